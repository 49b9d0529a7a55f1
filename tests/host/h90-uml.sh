#!/bin/bash
# h90-uml.sh — the same image, booted under User-Mode Linux: a pure cgroup v2 host (nspawn's
# boots here are hybrid, as this machine is cgroup v1). A unit of the image runs
# tests/host/uml-inner.sh at boot, which writes its answers to a hostfs directory and powers
# off; the assertions are here. Slower (~40 s): a small subset.
. tests/host/lib.sh

# Debian 12's linux.uml, or where it cannot run user space on this CPU (AMX), unstable's
# (tests/host/uml.sh says why).
uml=$(tests/host/uml.sh 2>"$NSJ_BUILD/tests/uml.err") || host_skip_all "$(cat "$NSJ_BUILD/tests/uml.err")"
diag "User-Mode Linux: $uml"
command -v mkfs.ext4 >/dev/null || host_skip_all "mkfs.ext4 is missing (e2fsprogs)"
host_prepare
out=$HOST_DIR/uml-out
mkdir -p $out $HOST_DIR/uml $HOST_DIR/uml-tmp
install -D -m 0755 tests/host/uml-inner.sh $HOST_ROOT/usr/local/lib/nsj-host/uml-inner
cat >$HOST_ROOT/etc/systemd/system/nsj-host-uml.service <<'U'
[Unit]
Description=pam_nsjail booted-host tests (User-Mode Linux)
After=ssh.service cron.service systemd-logind.service
[Service]
Type=simple
ExecStart=/usr/local/lib/nsj-host/uml-inner
[Install]
WantedBy=multi-user.target
U
ln -s /etc/systemd/system/nsj-host-uml.service \
	$HOST_ROOT/etc/systemd/system/multi-user.target.wants/nsj-host-uml.service
if ! mkfs.ext4 -q -d $HOST_ROOT $HOST_DIR/uml.img 3G >$HOST_DIR/mkfs.log 2>&1; then
	not_ok "mkfs.ext4 -d makes the image"
	sed 's/^/#   /' $HOST_DIR/mkfs.log
	done_testing
fi
umount -R $HOST_ROOT
rm -rf $HOST_DIR/up # the ext4 image has it all now: keep the tmpfs small
start=$SECONDS
# Bounded: killed on overrun. Its memory file goes to TMPDIR (this run's tmpfs), its pid and
# console sockets to uml_dir; hostfs reaches only $out.
TMPDIR=$HOST_DIR/uml-tmp timeout -k 5 180 "$uml" ubd0=$HOST_DIR/uml.img root=/dev/ubda rw \
	mem=1024M con=null con0=null,fd:1 uml_dir=$HOST_DIR/uml umid=nsj-host hostfs=$out \
	</dev/null >$HOST_DIR/uml-console.log 2>&1
rc=$?
diag "User-Mode Linux ran $((SECONDS - start)) s (exit $rc)"
if ! test -f $out/done; then
	not_ok "the UML boot ran the tests and powered off"
	tail -n 30 $HOST_DIR/uml-console.log | sed 's/^/#   /'
	done_testing
fi
ok "the UML boot ran the tests and powered off"
r() { cat "$out/$1" 2>/dev/null; }
is "$(r state)" running "systemctl is-system-running at boot: running"
sed 's/^/#   failed: /' $out/failed
is "$(r cgroup-fs)" cgroup2fs "/sys/fs/cgroup is cgroup v2 only"
like "$(r controllers)" '(^| )memory( |$)' "with the memory controller"
{ read -r name; read -r pid; read -r one; } < <(r ssh)
is "$name" alice-nsjhost "ssh: alice lands in her set (hostname)"
isnt "$pid" "$(r host-pid)" "ssh: in a PID namespace of her own"
is "$one" nsjail-keeper "ssh: PID 1 is nsjail-keeper"
is "$(r su)" "alice-nsjhost
$pid
from-ssh" "su alice -c: the same set (hostname, PID namespace, /tmp)"
# Debian 12's UML kernel is 6.1: no pidfs, so the keeper is recorded and checked the older way
# (start time, owner, PID 1, namespace inodes), and su's rejoin above went through that;
# unstable's (tests/host/uml.sh) is past 6.9, and it went through the pidfd's inode.
if [ "$(printf '%s\n' 6.9 "$(r kernel)" | sort -V | head -n1)" != 6.9 ]; then
	is "$(r record-pidfs)" 0 "Linux $(r kernel) (no pidfs): the record names no pidfd inode; the rejoin was checked through /proc"
else
	is "$(r record-pidfs)" 1 "Linux $(r kernel): the record names the keeper's pidfd inode"
fi
gate HOST_EXPECT_SCOPE 'issue 11.2'
like "$(r keeper-cgroup)" '^0::/user\.slice/user-3001\.slice/nsjail-3001\.scope$' \
	"alice's keeper is in nsjail-3001.scope (cgroup v2)"
like "$(r second-session)" '^[0-9]+$' "bob's second session lives after his first session's scope is stopped"
gate HOST_EXPECT_USERMAN 'issue 11.3'
is "$(r userman)" active "user@3001.service is active"
is "$(r state-after)" running "the system is still running after the logins (not degraded)"
is "$(r user-ssh)" "running
$pid" "systemctl --user and systemd-run --user from ssh: in her set"
ungate
grep -q 'pam_nsjail(sshd:session): user=alice' $out/journal
is "$?" 0 "the journal has the module's lines"
done_testing
