#!/bin/bash
# The channels between tenants (SECURITY.md, "Channels between tenants"): under the default
# config, each one that the table calls closed is opened here as alice and looked for as bob
# (and from the host); the ones a setting closes are shown closed with that setting.
# The listeners below (loopback TCP, abstract sockets) go in a network namespace of this test's
# own, not the machine's: the world shares the host's.
if [ "${T17_NETNS:-}" != 1 ]; then
	export T17_NETNS=1
	exec unshare --net -- bash "$0" "$@"
fi
ip link set lo up
. tests/lib.sh

conf 'min_uid = 1000
default { tmp_size = "16M" }'
service nsjail-test

# mq USER NAME: mq_open(NAME, O_CREAT) as USER in a session (glibc's, through ctypes): "ok".
mq_make() {
	as "$1" "python3 -c '
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.mq_open(sys.argv[1].encode(), os.O_CREAT | os.O_RDWR, 0o600, None)
print(\"ok\" if fd >= 0 else os.strerror(ctypes.get_errno()))
' $2"
}
# mq_there USER NAME: does mq_open(NAME) without O_CREAT find the queue? "yes" or "no".
mq_there() {
	as "$1" "python3 -c '
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
print(\"yes\" if libc.mq_open(sys.argv[1].encode(), os.O_RDONLY) >= 0 else \"no\")
' $2"
}

# --- /tmp, /var/tmp, /dev/shm -----------------------------------------------------------
for d in /tmp /var/tmp /dev/shm; do
	as alice "echo secret >$d/alice-chan"
	is "$(as alice "cat $d/alice-chan")" "secret" "$d: alice's file is there for her next session"
	is "$(as bob "ls $d/alice-chan 2>&1 >/dev/null | wc -l")" "1" "$d: bob does not find it"
	check "$d: the host does not have it" test ! -e "$d/alice-chan"
done
like "$(as alice 'grep " /var/tmp " /proc/self/mounts | tail -n1')" '^pam_nsjail /var/tmp tmpfs rw,nosuid,nodev' \
	"/var/tmp is a private tmpfs by default (tmp_paths = {\"/tmp\", \"/var/tmp\"})"

# --- POSIX message queues (/dev/mqueue) -------------------------------------------------
like "$(as alice 'grep " /dev/mqueue " /proc/self/mounts | tail -n1')" '^pam_nsjail /dev/mqueue mqueue rw,nosuid,nodev,noexec' \
	"mqueue: the set has an mqueue instance of its own on /dev/mqueue"
is "$(mq_make alice /alice-q)" "ok" "mqueue: alice makes a queue with mq_open"
as alice 'touch /dev/mqueue/alice-file'
is "$(as alice 'ls /dev/mqueue' | tr '\n' ' ')" "alice-file alice-q " \
	"mqueue: alice's next session lists both queues in /dev/mqueue"
is "$(mq_there alice /alice-file)" "yes" "mqueue: the file made in /dev/mqueue is a queue of the set"
is "$(as bob 'ls -A /dev/mqueue | wc -l')" "0" "mqueue: bob's /dev/mqueue is empty"
is "$(mq_there bob /alice-q):$(mq_there bob /alice-file)" "no:no" "mqueue: bob cannot open alice's queues"
is "$(ls -A /dev/mqueue | wc -l)" "0" "mqueue: the host's /dev/mqueue has neither"
umount /dev/mqueue && rmdir /dev/mqueue
reset_all
is "$(as alice 'test -e /dev/mqueue && echo there; echo in')" "in" \
	"mqueue: a host without /dev/mqueue: the login works, and nothing is made on the host's /dev"
check "...and the host still has no /dev/mqueue" test ! -e /dev/mqueue
mkdir /dev/mqueue && mount -t mqueue -o nosuid,nodev,noexec world-mqueue /dev/mqueue
reset_all

# --- System V IPC -----------------------------------------------------------------------
id=$(as alice 'ipcmk -Q' | grep -o '[0-9]*$')
like "$id" '^[0-9]+$' "SysV: alice makes a message queue"
is "$(as alice 'ipcs -q | grep -c alice')" "1" "SysV: alice's next session sees it"
is "$(as bob 'ipcs -q | grep -c alice')" "0" "SysV: bob does not"
is "$(ipcs -q | grep -c alice)" "0" "SysV: nor does the host"

# --- /proc ------------------------------------------------------------------------------
as alice 'nohup python3 -c "import time; time.sleep(300)" --password=hunter2 >/dev/null 2>&1 &'
# every command line in /proc, one a line (the pattern's brackets keep the shell's own out)
cmdlines='for f in /proc/[0-9]*/cmdline; do tr "\0" " " <$f 2>/dev/null; echo; done | grep -c "[-]-password=hunter2"'
is "$(as alice "$cmdlines")" "1" "/proc: alice sees her process's command line"
is "$(as bob "$cmdlines")" "0" "/proc: bob does not"
is "$(as bob 'ps -eo args | grep -c "[-]-password=hunter2"')" "0" "/proc: nor does bob's ps"
# a procfs the host has mounted elsewhere (a rescue chroot's, a bind of /proc; with a space in
# its name) is not in a set made after it
mkdir -p "/run/world/chroot one/proc"
mount -t proc proc "/run/world/chroot one/proc"
mount --bind /proc /run/world/proc-bind 2>/dev/null || { mkdir -p /run/world/proc-bind; mount --bind /proc /run/world/proc-bind; }
"$NSJAILCTL" reset bob >/dev/null # (his next set is made after these mounts)
check "(the host's chroot procfs lists alice's process)" grep -q hunter2 "/run/world/chroot one/proc/$(pgrep -f -- --password=hunter2 | head -n1)/cmdline"
is "$(as bob 'ls "/run/world/chroot one/proc" /run/world/proc-bind | grep -c "^[0-9]"')" "0" \
	"/proc: a procfs or a bind of /proc the host has elsewhere is not in bob's set"
is "$(as bob "for f in '/run/world/chroot one/proc'/[0-9]*/cmdline /run/world/proc-bind/[0-9]*/cmdline; do tr '\\0' ' ' <\"\$f\" 2>/dev/null; echo; done | grep -c '[-]-password=hunter2'")" "0" \
	"...so alice's command line is not there either"
umount "/run/world/chroot one/proc" /run/world/proc-bind
reset_all

# --- abstract unix sockets and loopback TCP: open by default, closed by net ----------------
# Both belong to the network namespace, which the default namespaces do not include.
PORT=$((20000 + RANDOM % 10000))
serve() { # USER: alice listens on an abstract socket and on 127.0.0.1:$PORT, in her set
	as "$1" "nohup socat ABSTRACT-LISTEN:alice-chan,fork SYSTEM:'echo ALICE-ABSTRACT' >/dev/null 2>&1 &
		nohup socat TCP-LISTEN:$PORT,bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo ALICE-TCP' >/dev/null 2>&1 &
		for i in \$(seq 50); do grep -q '@alice-chan' /proc/net/unix && break; sleep 0.05; done"
}
probe_abs='socat -T 2 -u ABSTRACT-CONNECT:alice-chan - 2>/dev/null || echo unreachable'
probe_tcp="socat -T 2 -u TCP:127.0.0.1:$PORT - 2>/dev/null || echo unreachable"
serve alice
sleep 0.3
is "$(as alice "$probe_abs")" "ALICE-ABSTRACT" "abstract socket: alice's next session reaches it"
is "$(as bob "$probe_abs")" "ALICE-ABSTRACT" "abstract socket: open to bob by default (no net namespace; SECURITY.md)"
is "$(as bob "$probe_tcp")" "ALICE-TCP" "loopback TCP: open to bob by default (no net namespace; SECURITY.md)"
reset_all
conf 'min_uid = 1000
default { tmp_size = "16M"  namespaces = {mount, ipc, uts, pid, net} }'
serve alice
sleep 0.3
is "$(as alice "$probe_abs"):$(as alice "$probe_tcp")" "ALICE-ABSTRACT:ALICE-TCP" "with net: alice's next session reaches both"
is "$(as bob "$probe_abs")" "unreachable" "with net: bob does not reach her abstract socket"
is "$(as bob "$probe_tcp")" "unreachable" "with net: nor her 127.0.0.1 port"
is "$(sh -c "$probe_abs"):$(sh -c "$probe_tcp")" "unreachable:unreachable" "with net: nor does the host"
reset_all
conf 'min_uid = 1000
default { tmp_size = "16M" }'

# --- the system bus (systemd's and logind's process lists) ------------------------------
# A stand-in for dbus-daemon: whoever connects to the system bus socket reads "HOST-BUS".
bus_up() {
	socat UNIX-LISTEN:/run/dbus/system_bus_socket,fork,mode=0666 SYSTEM:'echo HOST-BUS' &
	BUS_PID=$!
	for i in $(seq 50); do [ -S /run/dbus/system_bus_socket ] && break; sleep 0.05; done
}
bus_down() { kill "$BUS_PID"; wait "$BUS_PID" 2>/dev/null; rm -f /run/dbus/system_bus_socket; }
bus_probe='socat -T 2 -u UNIX-CONNECT:/run/dbus/system_bus_socket - 2>/dev/null || echo unreachable'
install -d -m 0755 /run/dbus
bus_up
is "$(sh -c "$bus_probe")" "HOST-BUS" "system bus: the host reaches it"
is "$(as alice "$bus_probe")" "unreachable" "system bus: unreachable from alice's set by default (system_bus = hidden)"
is "$(as alice 'ls -A /run/dbus | wc -l')" "0" "...where /run/dbus is empty"
like "$(as alice 'grep " /run/dbus " /proc/self/mounts | tail -n1')" '^pam_nsjail /run/dbus tmpfs ro,nosuid,nodev,noexec' \
	"...an empty read-only tmpfs"
is "$(as alice 'touch /run/dbus/x 2>/dev/null && echo made || echo refused')" "refused" "...that nobody can write to"
bus_down
bus_up
is "$(as alice "$bus_probe")" "unreachable" "system bus: still unreachable after the bus restarted (a new socket)"
is "$(sh -c "$bus_probe")" "HOST-BUS" "...which the host reaches"
conf 'min_uid = 1000
default { tmp_size = "16M" }
user "bob" { system_bus = host }'
reset_all
is "$(as bob "$bus_probe")" "HOST-BUS" "system bus: reachable from a set with system_bus = host"
is "$(as alice "$bus_probe")" "unreachable" "...and still not from another user's set"
bus_down
rmdir /run/dbus
reset_all

done_testing
