# shellcheck shell=bash
# tests/host/lib.sh — boot a Debian 12 with systemd as PID 1 and the freshly built package
# installed, and drive real clients in it. Sourced by tests/host/h*.sh; run from the top of the
# source tree as root (tests/run does: `bash tests/host/hNN-name.sh`).
#
# Sourcing it re-runs the script in a mount and PID namespace of its own (as tests/world does):
# the copy of the image is an overlay on a tmpfs of that namespace (on /run), so when the
# script ends — or is killed — its PID 1 goes, the kernel ends the container and every process
# started, and the mounts and files go with the namespace. Nothing is written on the machine
# but the image cache (tests/host/image.sh), build/ (the .deb) and nspawn's cgroups (removed
# at host_stop; tests/host/leftovers checks).
#
# Variables: $HOST_ROOT the copy's root (a directory of this script's namespace), $HOST_PID
# the container's systemd as this namespace sees it, $HOST_STATE, $HOST_IMAGE the cached image
# (read-only: never write to it). Users: alice, bob, carol, dave (uids 3001..3004), each with
# root's key /etc/nsj-host/id_ed25519 in ~/.ssh/authorized_keys; the host is named nsjhost, so
# alice's set is alice-nsjhost with the shipped config.
#
# Steps, in this order:
#   host_prepare          a fresh copy of the cached image in $HOST_ROOT with the package
#                         installed (apt install ./libpam-nsjail_*.deb, pam-auth-update
#                         --enable nsjail); after it, a test may change files under $HOST_ROOT
#                         (rm etc/hosts, plant an /etc/cron.d entry, a logind.conf drop-in)
#   host_boot             boot it (systemd-nspawn, private network; host_prepare first when not
#                         done); waits for `systemctl is-system-running --wait`, whose answer is
#                         in $HOST_STATE (running, degraded, ...)
#   host_stop             power it off and drop the copy (also run at exit); a script may
#                         host_prepare and host_boot again after it, from the image
#
# Inside the booted host (each prints what the command prints, returns its status):
#   host_exec ARGV...     run ARGV as root in all the container's namespaces (nsenter),
#                         with a clean environment
#   host_run 'SH CMD'     host_exec /bin/sh -c 'SH CMD'
#   host_ssh USER 'CMD'   a real ssh key login of USER to 127.0.0.1 (BatchMode) running CMD
#   host_ssh_bg USER 'CMD'  the same, in the background: a session that stays open while CMD
#                         runs (e.g. 'sleep 600'); prints the local pid (ended at host_stop)
#   host_su [-] USER 'CMD'  su USER -c CMD (with "-": su - USER -c CMD), started by root
#   host_journal [ARGS]   journalctl --no-pager ARGS (e.g. -u ssh, -t sshd, --grep pam_nsjail)
#   host_wait 'SH CMD' [SECONDS]  wait until SH CMD succeeds inside (default 10 s); 1 if not
#   host_bg_ended PID [SECONDS]  wait until host_ssh_bg's PID (a local one) has ended
#                         (default 10 s); 1 if it still runs
#   host_keeper USER      the pid (inside the container) of USER's keeper, from the record
#   host_nsinode USER KIND   the KIND (pid, mnt, uts) namespace inode of USER's set
#
# Known failures, gated: tests/host/features sets HOST_EXPECT_* flags (0 or 1). Between
# `gate 'FLAG...' 'WHY'` and `ungate`, while a FLAG is not 1, each result is reported as
# "ok N # skip TODO WHY: DESC (now: pass|fail)" with the diagnostics kept; once the lead flips
# FLAG to 1, the same checks count as they do everywhere else.
#
# TAP helpers come from tests/lib.sh: ok, not_ok, check, is, isnt, like, skip, diag,
# done_testing. host_skip_all REASON ends the test with a single skip.
set -u
if [ "${NSJ_HOST_NS:-}" != 1 ]; then
	export NSJ_HOST_NS=1 NSJ_HOST_RUN=${NSJ_HOST_RUN:-$$}
	exec unshare --mount --pid --fork --mount-proc --propagation private -- bash "$0" "$@"
fi
export NSJ_BUILD=${NSJ_BUILD:-$PWD/build}
# shellcheck source=tests/lib.sh
. tests/lib.sh
# shellcheck source=tests/host/features
. tests/host/features

# One run of tests/run (or one script run alone): its processes' command lines and cgroups
# carry this id, so that tests/host/leftovers tells them from another tree's run beside it.
HOST_RUN=$NSJ_HOST_RUN
HOST_DIR=/run/nsj-host-$HOST_RUN
HOST_ROOT=$HOST_DIR/root
HOST_PID=
HOST_NSPAWN=
HOST_STATE=
HOST_BG=()
HOST_KEY=/etc/nsj-host/id_ed25519
HOST_SSH_OPTS=(-i "$HOST_KEY" -o BatchMode=yes -o StrictHostKeyChecking=no
	-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=10)
export DEBIAN_FRONTEND=noninteractive

host_skip_all() {
	echo "ok 1 # skip $*"
	echo "1..1"
	exit 0
}

# The machine: root, systemd-nspawn, an image (cached or buildable).
mkdir -p "$NSJ_BUILD/tests"
[ "$(id -u)" = 0 ] || host_skip_all "not root"
command -v systemd-nspawn >/dev/null || host_skip_all "systemd-nspawn is missing (tools/deps)"
# (tests/run builds it once for all scripts and passes NSJ_HOST_IMAGE or NSJ_HOST_IMAGE_ERR)
[ -z "${NSJ_HOST_IMAGE_ERR:-}" ] || host_skip_all "no root filesystem: $NSJ_HOST_IMAGE_ERR"
HOST_IMAGE=${NSJ_HOST_IMAGE:-$(tests/host/image.sh 2>"$NSJ_BUILD/tests/host-image.err")} ||
	host_skip_all "no root filesystem: $(tail -n1 "$NSJ_BUILD/tests/host-image.err")"

# A tmpfs of this namespace on /run holds the copy, and whatever systemd-nspawn keeps in
# /run/systemd: all of it goes with the namespace.
mount -t tmpfs -o mode=0755,size=6G nsj-host /run || { not_ok "a tmpfs of its own on /run"; done_testing; }
mkdir -m 0700 $HOST_DIR

# host_deb: the .deb of this tree in build/, built when missing, older than the sources, or
# older than the build's flags (a sanitizer run's t50 leaves a .deb that needs libasan).
host_deb() {
	local deb
	deb=$(ls -t build/libpam-nsjail_*.deb 2>/dev/null | head -n1)
	if stale "$deb" || [ "$NSJ_BUILD/.flags" -nt "$deb" ]; then
		make -s deb >"$NSJ_BUILD/tests/host-deb.log" 2>&1 || return 1
		deb=$(ls -t build/libpam-nsjail_*.deb 2>/dev/null | head -n1)
	fi
	[ -f "$deb" ] && echo "$deb"
}

host_prepare() {
	local deb out
	[ -d $HOST_ROOT/etc ] && return 0
	deb=$(host_deb) || { not_ok "make deb builds the package"; sed 's/^/#   /' \
		"$NSJ_BUILD/tests/host-deb.log" | tail -n 20; done_testing; }
	mkdir -p $HOST_DIR/up $HOST_DIR/work $HOST_ROOT
	mount -t overlay nsj-host-root -o "lowerdir=$HOST_IMAGE,upperdir=$HOST_DIR/up,workdir=$HOST_DIR/work" $HOST_ROOT
	tr -d - </proc/sys/kernel/random/uuid >$HOST_ROOT/etc/machine-id
	cp "$deb" $HOST_ROOT/root/
	# As an administrator does, in the stopped image (everything it depends on is in it).
	mount --rbind /dev $HOST_ROOT/dev
	mount -t proc proc $HOST_ROOT/proc
	out=$(chroot $HOST_ROOT sh -c "apt-get install -y -q /root/$(basename "$deb") &&
		pam-auth-update --enable nsjail" 2>&1)
	local rc=$?
	umount -R $HOST_ROOT/dev $HOST_ROOT/proc
	rm -f $HOST_ROOT/root/*.deb
	if [ $rc -ne 0 ]; then
		not_ok "apt install ./$(basename "$deb") && pam-auth-update --enable nsjail"
		sed 's/^/#   /' <<<"$out" | tail -n 20
		done_testing
	fi
}

# host_cgroups: this script's cgroup in each hierarchy nspawn uses (cgroup2, and v1's
# name=systemd on a hybrid host).
host_cgroups() {
	local v2 v1
	v2=$(sed -n 's/^0:://p' /proc/self/cgroup)
	v1=$(sed -n 's/^[0-9]*:name=systemd://p' /proc/self/cgroup)
	awk -v v2="${v2%/}" -v v1="${v1%/}" '$3 == "cgroup2" {print $2 v2}
		$3 == "cgroup" && $4 ~ /(^|,)name=systemd(,|$)/ {print $2 v1}' /proc/mounts
}
HOST_CG=nsj-host-$HOST_RUN-$(basename "$0" .sh)
# host_cg_enter: move this process into a cgroup of its own in each: nspawn (--keep-unit) makes
# its payload/supervisor groups under the cgroup it runs in, and two runs side by side must not
# share them. host_stop removes them.
host_cg_enter() {
	local m
	for m in $(host_cgroups); do
		mkdir -p "$m/$HOST_CG" && echo "$BASHPID" >"$m/$HOST_CG/cgroup.procs" || return 1
	done
}

host_boot() {
	local i
	host_prepare
	(host_cg_enter && exec systemd-nspawn -q -D $HOST_ROOT --register=no --keep-unit \
		--private-network --console=passive -b) >$HOST_DIR/console.log 2>&1 &
	HOST_NSPAWN=$!
	# PID 1 of the container: nspawn's child that runs systemd
	for i in $(seq 100); do
		HOST_PID=$(pgrep -P $HOST_NSPAWN -x systemd | head -n1)
		[ -n "$HOST_PID" ] && break
		sleep 0.1
	done
	if [ -z "$HOST_PID" ]; then
		not_ok "systemd-nspawn boots the image"
		sed 's/^/#   /' $HOST_DIR/console.log | tail -n 20
		done_testing
	fi
	for i in $(seq 50); do
		host_exec true 2>/dev/null && host_exec test -S /run/systemd/private && break
		sleep 0.1
	done
	HOST_STATE=$(timeout 60 nsenter -t "$HOST_PID" -a -- systemctl is-system-running --wait 2>&1)
}

host_stop() {
	local p i m
	for p in "${HOST_BG[@]}"; do kill "$p" 2>/dev/null; done
	HOST_BG=()
	if [ -n "$HOST_NSPAWN" ] && kill -0 "$HOST_NSPAWN" 2>/dev/null; then
		# nspawn turns SIGTERM into an orderly shutdown of the container
		kill -TERM "$HOST_NSPAWN"
		for i in $(seq 100); do
			kill -0 "$HOST_NSPAWN" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$HOST_NSPAWN" 2>/dev/null
		wait "$HOST_NSPAWN" 2>/dev/null
	fi
	HOST_NSPAWN=
	HOST_PID=
	for m in $(host_cgroups); do
		[ -d "$m/$HOST_CG" ] && find "$m/$HOST_CG" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	mountpoint -q $HOST_ROOT && umount -R $HOST_ROOT
	# a next host_prepare starts from the image again
	rm -rf $HOST_DIR/up $HOST_DIR/work
	return 0
}
trap host_stop EXIT

host_exec() {
	nsenter -t "$HOST_PID" -a -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		LANG=C.UTF-8 TERM=dumb "$@"
}
host_run() { host_exec /bin/sh -c "$1"; }
host_ssh() {
	host_exec ssh "${HOST_SSH_OPTS[@]}" "$1@127.0.0.1" "$2" </dev/null
}
host_ssh_bg() {
	host_exec ssh "${HOST_SSH_OPTS[@]}" "$1@127.0.0.1" "$2" </dev/null >/dev/null 2>&1 &
	HOST_BG+=($!)
	echo $!
}
host_su() {
	local login=()
	[ "$1" = - ] && { login=(-); shift; }
	host_exec su "${login[@]}" "$1" -c "$2" </dev/null
}
host_journal() { host_exec journalctl --no-pager -q "$@"; }
host_wait() {
	local i n=$((${2:-10} * 10))
	for i in $(seq $n); do
		host_run "$1" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
host_bg_ended() {
	local i n=$((${2:-10} * 10))
	for i in $(seq $n); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	! kill -0 "$1" 2>/dev/null
}
host_keeper() { host_run "head -n1 /run/pam_nsjail/\$(id -u $1)/keeper" 2>/dev/null; }
host_nsinode() {
	local k
	k=$(host_keeper "$1")
	[ -n "$k" ] && host_run "stat -L -c %i /proc/$k/ns/$2" 2>/dev/null
}

# gate FLAG WHY / ungate: see the header.
HOST_GATE=
gate() {
	local f
	HOST_GATE=
	for f in $1; do
		[ "${!f:-0}" = 1 ] || HOST_GATE=$2
	done
}
ungate() { HOST_GATE=; }
ok() {
	T_N=$((T_N + 1))
	if [ -n "$HOST_GATE" ]; then
		echo "ok $T_N # skip TODO $HOST_GATE: $* (now: pass)"
	else
		echo "ok $T_N - $*"
	fi
}
not_ok() {
	T_N=$((T_N + 1))
	if [ -n "$HOST_GATE" ]; then
		echo "ok $T_N # skip TODO $HOST_GATE: $* (now: fail)"
	else
		T_FAILED=$((T_FAILED + 1))
		echo "not ok $T_N - $*"
	fi
}

# The boots of a whole machine (h90 under User-Mode Linux, h92 under qemu): the copy becomes
# an ext4 image whose unit nsj-host-inner.service runs tests/host/boot-inner.sh at boot; that
# writes its answers to /mnt/out and powers off, and host_inner_checks asserts on them.
#   host_inner_image IMG MODE   host_prepare, the unit (boot-inner.sh MODE: hostfs or disk),
#                               then the copy made into the ext4 image IMG and dropped (the
#                               image has it all: the tmpfs stays small); on failure, not ok
#                               and the end of the test
#   host_inner_checks DIR WHAT [net]  the assertions on DIR, the answers of the boot WHAT ("the
#                               UML boot"); with net, network = outbound's too (a kernel with tun)
host_inner_image() {
	host_prepare
	install -D -m 0755 tests/host/boot-inner.sh $HOST_ROOT/usr/local/lib/nsj-host/boot-inner
	cat >$HOST_ROOT/etc/systemd/system/nsj-host-inner.service <<U
[Unit]
Description=pam_nsjail booted-host tests (a whole machine)
After=ssh.service cron.service systemd-logind.service
[Service]
Type=simple
ExecStart=/usr/local/lib/nsj-host/boot-inner $2
[Install]
WantedBy=multi-user.target
U
	ln -s /etc/systemd/system/nsj-host-inner.service \
		$HOST_ROOT/etc/systemd/system/multi-user.target.wants/nsj-host-inner.service
	if ! mkfs.ext4 -q -d $HOST_ROOT "$1" 3G >$HOST_DIR/mkfs.log 2>&1; then
		not_ok "mkfs.ext4 -d makes the image"
		sed 's/^/#   /' $HOST_DIR/mkfs.log
		done_testing
	fi
	umount -R $HOST_ROOT
	rm -rf $HOST_DIR/up
}

host_inner_checks() {
	local out=$1 name pid one
	r() { cat "$out/$1" 2>/dev/null; }
	if ! test -f "$out/done"; then
		not_ok "$2 ran the tests and powered off"
		return 1
	fi
	ok "$2 ran the tests and powered off"
	is "$(r state)" running "systemctl is-system-running at boot: running"
	sed 's/^/#   failed: /' "$out/failed"
	is "$(r cgroup-fs)" cgroup2fs "/sys/fs/cgroup is cgroup v2 only"
	like "$(r controllers)" '(^| )memory( |$)' "with the memory controller"
	{ read -r name; read -r pid; read -r one; } < <(r ssh)
	is "$name" alice-nsjhost "ssh: alice lands in her set (hostname)"
	isnt "$pid" "$(r host-pid)" "ssh: in a PID namespace of her own"
	is "$one" nsjail-keeper "ssh: PID 1 is nsjail-keeper"
	is "$(r su)" "alice-nsjhost
$pid
from-ssh" "su alice -c: the same set (hostname, PID namespace, /tmp)"
	is "$(r other-tmp)" unseen "su bob -c: alice's file in /tmp is not in his"
	is "$(r propagation)" /home/nsj-probe "a host mount made after her login under /home reaches her set, one under /srv does not"
	# Before 6.9 (Debian 12's own kernel, 6.1; its UML too) there is no pidfs, so the keeper
	# is recorded and checked the older way (start time, owner, PID 1, namespace inodes), and
	# su's rejoin above went through that; past it, through the pidfd's inode.
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
	if [ "${3:-}" = net ]; then
		local addr route answer netns
		{ read -r addr; read -r route; read -r answer; read -r netns; } < <(r net)
		is "$addr" 10.0.2.100/24 "network = outbound: carol's set has tap0 with 10.0.2.100/24"
		like "$route" '^default via 10\.0\.2\.2 dev tap0' "...a default route through her slirp4netns"
		is "$answer" tcp-outside "...and outbound TCP reaches a server outside her set"
		isnt "$netns" "$(r host-net)" "...from a network namespace of her own"
	fi
	grep -q 'pam_nsjail(sshd:session): user=alice' "$out/journal"
	is "$?" 0 "the journal has the module's lines"
}
