#!/bin/bash
# tests/host/uml.sh — print the path of a User-Mode Linux kernel that can run user space on this
# machine's CPU: Debian 12's own linux.uml (user-mode-linux, tools/deps) when it can, or else
# the user-mode-linux of Debian's unstable suite, cached.
#
# Why: UML hands its processes' FPU state to the host with PTRACE_SETREGSET(NT_X86_XSTATE),
# which takes exactly the host's whole XSAVE size. On a CPU with AMX (Intel Sapphire Rapids
# and later: an XSAVE area of ~11 KiB) Debian 12's UML 6.1, and Debian 13's 6.12, pass a smaller
# buffer and get EFAULT: "userspace - ptrace set fp regs failed, errno = 14", and the guest's
# init dies at its first instruction. UML 7.2 (unstable, checked here on such a CPU) sizes it
# from the host.
#
# The probe: boot the kernel with this machine's / as a read-only hostfs root and /bin/true as
# init, 64 MiB, its memory file in a temporary directory; user space ran when init exited 0.
#
# Cache: $HOST_CACHE (/var/cache/pam_nsjail-tests)/uml-VERSION (used as long as it runs here;
# the archive is asked only when no copy does): the unstable package's
# linux.uml and the libc it was built against (unpacked from their .debs, fetched by apt-get
# download through a sources list of this script's own that names the archive the machine's
# apt already uses for Debian 12; signatures and hashes checked by apt as for any package),
# the kernel's interpreter and library path pointed at that libc (patchelf). Nothing is
# installed on the machine; built beside its final name and renamed when complete.
# Exit status 0 and the path on stdout; 1 and one line on stderr when there is none.
set -euo pipefail
cache=${HOST_CACHE:-/var/cache/pam_nsjail-tests}

# probe KERNEL: 0 when KERNEL ran /bin/true as init to its end.
probe() {
	local t rc=0
	t=$(mktemp -d)
	# (in a subshell of its own: the panic that ends the guest is a SIGABRT, which the shell
	# would report)
	(TMPDIR=$t timeout -k 2 30 "$1" mem=64M root=/dev/root rootfstype=hostfs rootflags=/ ro \
		init=/bin/true con=null con0=null,fd:1 uml_dir="$t" umid=probe </dev/null >"$t/console" 2>&1
	true) 2>/dev/null
	grep -q 'Attempted to kill init! exitcode=0x00000000' "$t/console" || rc=1
	rm -rf "$t"
	return $rc
}

sys=$(command -v linux.uml || true)
if [ -n "$sys" ] && probe "$sys"; then
	echo "$sys"
	exit 0
fi
why=${sys:+"$sys cannot run user space on this CPU (ptrace set fp regs: EFAULT)"}
why=${why:-"linux.uml is missing (user-mode-linux, tools/deps)"}
# A copy cached by an earlier run, when it still runs here: no need to ask the archive.
for k in $(ls -d "$cache"/uml-*/ 2>/dev/null | sort -rV); do
	if [ -x "$k/linux.uml" ] && probe "$k/linux.uml"; then
		echo "$k"linux.uml
		exit 0
	fi
done
command -v patchelf >/dev/null || { echo "uml.sh: $why, and patchelf is missing (tools/deps)" >&2; exit 1; }

# The archive this machine's apt takes Debian 12 from, for the same archive's unstable suite.
# (apt's own view of it needs its lists; without them, its sources files say the same)
site=$(apt-get indextargets --format '$(SITE) $(RELEASE) $(COMPONENT)' 'Identifier: Packages' 2>/dev/null |
	awk '$2 == "bookworm" && $3 == "main" { print $1; exit }')
if [ -z "$site" ]; then
	site=$( { cat /etc/apt/sources.list.d/*.sources 2>/dev/null; echo; } | awk '
		/^$/ { if (s ~ /(^| )bookworm( |$)/ && c ~ /(^| )main( |$)/ && u != "") { print u; exit }
		       u = s = c = ""; next }
		$1 == "URIs:" { u = $2 } $1 == "Suites:" { $1 = ""; s = $0 } $1 == "Components:" { $1 = ""; c = $0 }')
fi
if [ -z "$site" ]; then
	site=$(sed 's/\[[^]]*\]//' /etc/apt/sources.list 2>/dev/null |
		awk '$1 == "deb" && $3 == "bookworm" && / main( |$)/ { print $2; exit }')
fi
[ -n "$site" ] || { echo "uml.sh: $why, and apt has no Debian 12 archive to take unstable's from" >&2; exit 1; }
install -d -m 0700 "$cache"
exec 8>"$cache/.uml-lock"
flock 8
apt=$(mktemp -d "$cache/tmp-uml.XXXXXX")
trap 'rm -rf "$apt"' EXIT
mkdir -p "$apt/lists/partial" "$apt/archives/partial"
echo "deb $site sid main" >"$apt/sources.list"
opts=(-o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt" -o Dir::Cache::archives="$apt/archives"
	-o APT::Sandbox::User=root -q)
if ! timeout 300 apt-get "${opts[@]}" update >"$apt/log" 2>&1; then
	echo "uml.sh: $why, and the unstable suite's index could not be had: $(tail -n1 "$apt/log")" >&2
	exit 1
fi
ver=$(apt-cache "${opts[@]}" show user-mode-linux 2>/dev/null | awk '/^Version:/ { print $2; exit }')
[ -n "$ver" ] || { echo "uml.sh: $why, and the unstable suite has no user-mode-linux" >&2; exit 1; }
dir=$cache/uml-$ver
if [ ! -x "$dir/linux.uml" ]; then
	rm -rf "$cache"/tmp-uml-build.*
	work=$(mktemp -d "$cache/tmp-uml-build.XXXXXX")
	if ! (cd "$apt/archives" && timeout 300 apt-get "${opts[@]}" download user-mode-linux libc6) >>"$apt/log" 2>&1; then
		rm -rf "$work"
		echo "uml.sh: $why, and unstable's user-mode-linux could not be fetched: $(tail -n1 "$apt/log")" >&2
		exit 1
	fi
	for d in "$apt"/archives/*.deb; do dpkg-deb -x "$d" "$work/root"; done
	lib=$dir/root/usr/lib/x86_64-linux-gnu
	mv "$work/root/usr/bin/linux.uml" "$work/linux.uml"
	patchelf --set-interpreter "$lib/ld-linux-x86-64.so.2" --set-rpath "$lib" "$work/linux.uml"
	rm -rf "$dir"
	mv "$work" "$dir"
fi
# Other versions' copies go once this one is in place.
find "$cache" -maxdepth 1 -name 'uml-*' ! -name "uml-$ver" -exec rm -rf {} +
if ! probe "$dir/linux.uml"; then
	echo "uml.sh: $why, nor can unstable's user-mode-linux $ver" >&2
	exit 1
fi
echo "$dir/linux.uml"
