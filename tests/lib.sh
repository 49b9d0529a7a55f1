# tests/lib.sh — TAP helpers and session helpers shared by the integration scripts.
# Sourced inside tests/world; NSJ_BUILD and NSJ_LOG are set there.
T_N=0
T_FAILED=0
HARNESS="$NSJ_BUILD/tests/pam-harness"
MODULE="$NSJ_BUILD/pam_nsjail.so"
NSJAILCTL="$NSJ_BUILD/nsjailctl"
CONF=/etc/security/pam_nsjail.conf
PIN=/run/pam_nsjail
PAMD=/run/world/pam.d

ok() {
	T_N=$((T_N + 1))
	echo "ok $T_N - $*"
}
not_ok() {
	T_N=$((T_N + 1))
	T_FAILED=$((T_FAILED + 1))
	echo "not ok $T_N - $*"
}
# check DESC CMD...: passes when CMD succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
# is GOT EXPECTED DESC
is() {
	if [ "$1" == "$2" ]; then
		ok "$3"
	else
		not_ok "$3"
		echo "#   got:      '$1'"
		echo "#   expected: '$2'"
	fi
}
isnt() {
	if [ "$1" != "$2" ]; then
		ok "$3"
	else
		not_ok "$3"
		echo "#   both: '$1'"
	fi
}
# like TEXT REGEX DESC
like() {
	if [[ "$1" =~ $2 ]]; then
		ok "$3"
	else
		not_ok "$3"
		echo "#   got:  '$1'"
		echo "#   want: /$2/"
	fi
}
skip() {
	T_N=$((T_N + 1))
	echo "ok $T_N # skip $*"
}
done_testing() {
	echo "1..$T_N"
	exit 0
}
diag() { echo "# $*"; }

# conf TEXT: write the world's /etc/security/pam_nsjail.conf (root 0644).
conf() {
	mkdir -p /etc/security
	printf '%s\n' "$1" >"$CONF"
	chown root:root "$CONF"
	chmod 0644 "$CONF"
}

# service NAME [MODULE ARGS]: a PAM service whose session stack ends with pam_nsjail, written
# both where pam-harness looks ($PAMD) and in the world's /etc/pam.d for pamtester.
service() {
	local name=$1
	shift
	local text
	text=$(printf 'auth required pam_permit.so\naccount required pam_permit.so\nsession optional pam_permit.so\nsession required %s %s\n' "$MODULE" "$*")
	printf '%s\n' "$text" >"$PAMD/$name"
	printf '%s\n' "$text" >"/etc/pam.d/$name"
}

# session USER [harness options] -- CMD: open a session through pam-harness, run CMD inside.
session() {
	local user=$1
	shift
	"$HARNESS" -d "$PAMD" -s "${SVC:-nsjail-test}" -u "$user" "$@"
}
# as USER CMD: a one-line shell command in a session of USER (as that user).
as() {
	local user=$1
	shift
	session "$user" -- /bin/sh -c "$*"
}
# as_root_in USER CMD: as root inside USER's set (the harness opens the session for USER).
as_root_in() {
	local user=$1
	shift
	session "$user" -r -- /bin/sh -c "$*"
}
keeper_pid() { head -n1 "$PIN/$(id -u "$1")/keeper" 2>/dev/null; }
# log_sync: wait until every message sent so far is in $NSJ_LOG (a marker goes through the
# same socket after them). Markers stay in the file (syslog-catch appends to that inode).
log_sync() {
	local mark="nsjail-test-mark-$$-$RANDOM" i
	logger -u /dev/log "$mark"
	for i in $(seq 100); do
		grep -q -- "$mark" "$NSJ_LOG" && break
		sleep 0.02
	done
}
log_has() { log_sync; grep -q -- "$1" "$NSJ_LOG"; }
# last_log: the module's last line, leaving out the close of a session that joined no set.
last_log() { log_sync; grep 'pam_nsjail' "$NSJ_LOG" | grep -v 'action=skipped (no set joined)' | tail -n 1; }
# stale FILE: FILE is missing, or older than a source it is built from or than the build's
# flags (a package made during make check SANITIZE=1 is not this build's) (t50, t51).
stale() {
	[ -z "$1" ] || [ ! -e "$1" ] || [ "$NSJ_BUILD/.flags" -nt "$1" ] ||
		[ -n "$(find Makefile pam_nsjail conf man packaging -newer "$1" -type f 2>/dev/null | head -n1)" ]
}
# make_package TARGET LOG: make TARGET (deb, rpm); on failure a not_ok with the log's end, and
# the end of the test.
make_package() {
	diag "building the package (make $1)"
	# (a plain build, whatever make check was called with: an administrator's package)
	if ! env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s SANITIZE= "$1" >"$2" 2>&1; then
		not_ok "make $1 builds the package"
		sed 's/^/#   /' "$2" | tail -n 30
		done_testing
	fi
}
# reset_all: end every set of the world and forget its records.
reset_all() {
	local d pid
	for d in "$PIN"/*/; do
		[ -f "$d/keeper" ] || continue
		pid=$(head -n1 "$d/keeper")
		kill -KILL "$pid" 2>/dev/null
		rm -rf "$d"
	done
	sleep 0.1
}
# net_outside ADDR: in a network namespace the test made itself (unshare --net), the "outside"
# a set's network provider reaches: a bridge holding ADDR/24 as the default route, lo up, and
# the tun device slirp4netns needs (the world's /dev has only the usual nodes).
net_outside() {
	[ -e /dev/net/tun ] || { mkdir -p /dev/net && mknod -m 0666 /dev/net/tun c 10 200; }
	ip link set lo up
	ip link add br0 type bridge
	ip addr add "$1/24" dev br0
	ip link set br0 up
	ip route add default dev br0
}
# kill_wait PID: SIGKILL it and wait (5 s at most) until it is gone or a zombie.
kill_wait() {
	local st i
	kill -KILL "$1"
	for i in $(seq 50); do
		st=$(ps -o stat= -p "$1" 2>/dev/null)
		{ [ -z "$st" ] || [[ $st == Z* ]]; } && return 0
		sleep 0.1
	done
}
# gone_within PID: 0 when PID has exited within 5 s (not waited for: another's child).
gone_within() {
	local i
	for i in $(seq 50); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}
# provider_pid USER: the network provider's pid in USER's record (network = outbound).
provider_pid() { awk '$1 == "provider" {print $2}' "$PIN/$(id -u "$1")/keeper"; }
# sshd_config PORT DIR: a test sshd's config, written to DIR/sshd_config: 127.0.0.1:PORT, its
# host key DIR/host_key, UsePAM, key logins only, sftp, verbose logs.
sshd_config() {
	cat >"$2/sshd_config" <<EOF
Port $1
ListenAddress 127.0.0.1
HostKey $2/host_key
PidFile $2/sshd.pid
UsePAM yes
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes yes
PermitRootLogin no
PrintMotd no
PrintLastLog no
AcceptEnv none
LogLevel VERBOSE
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
}
