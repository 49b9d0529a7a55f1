#!/bin/bash
# h90-uml.sh — the same image, booted under User-Mode Linux: a pure cgroup v2 host (nspawn's
# boots here are hybrid, as this machine is cgroup v1). A unit of the image runs
# tests/host/boot-inner.sh at boot, which writes its answers to a hostfs directory and powers
# off; the assertions are here. Slower (~40 s): a small subset.
. tests/host/lib.sh

# Debian 12's linux.uml, or where it cannot run user space on this CPU (AMX), unstable's
# (tests/host/uml.sh says why).
uml=$(tests/host/uml.sh 2>"$NSJ_BUILD/tests/uml.err") || host_skip_all "$(cat "$NSJ_BUILD/tests/uml.err")"
diag "User-Mode Linux: $uml"
command -v mkfs.ext4 >/dev/null || host_skip_all "mkfs.ext4 is missing (e2fsprogs)"
out=$HOST_DIR/uml-out
mkdir -p $out $HOST_DIR/uml $HOST_DIR/uml-tmp
host_inner_image $HOST_DIR/uml.img hostfs
start=$SECONDS
# Bounded: killed on overrun. Its memory file goes to TMPDIR (this run's tmpfs), its pid and
# console sockets to uml_dir; hostfs reaches only $out.
TMPDIR=$HOST_DIR/uml-tmp timeout -k 5 180 "$uml" ubd0=$HOST_DIR/uml.img root=/dev/ubda rw \
	mem=1024M con=null con0=null,fd:1 uml_dir=$HOST_DIR/uml umid=nsj-host hostfs=$out \
	</dev/null >$HOST_DIR/uml-console.log 2>&1
rc=$?
diag "User-Mode Linux ran $((SECONDS - start)) s (exit $rc)"
if ! host_inner_checks $out "the UML boot"; then
	tail -n 30 $HOST_DIR/uml-console.log | sed 's/^/#   /'
fi
done_testing
