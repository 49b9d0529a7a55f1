#!/bin/bash
# The user manager (user@UID.service) inside the set, as far as it can be seen without systemd:
# under the PAM service systemd-user the module joins all but the mount and PID namespaces and
# names the keeper in the PAM environment; nsjail-userman, started the way the drop-in makes
# systemd start it (as the user, with three ambient capabilities and the PAM environment),
# runs the manager in the set with no capability, relays its notifications as its own and
# passes on signals. (The real user@ is tested on a booted host: tests/host/.)
. tests/lib.sh

conf 'default { tmp_size = "16M" }'
service systemd-user
service nsjail-test
USERMAN=$(dirname "${KEEPER_PATH:-/usr/libexec/pam_nsjail/nsjail-keeper}")/nsjail-userman
W=/run/world
host_mnt=$(readlink /proc/self/ns/mnt)
host_pid=$(readlink /proc/self/ns/pid)
host_uts=$(readlink /proc/self/ns/uts)
CAPS=+sys_admin,+sys_chroot,+sys_ptrace
# as_manager USER CMD...: what systemd does for user@: the PAM session of systemd-user in the
# process that then becomes USER with the drop-in's ambient capabilities, the PAM environment
# added, and execs CMD.
as_manager() {
	local user=$1
	shift
	SVC=systemd-user session "$user" -r -e -- setpriv --reuid "$user" --regid "$user" --init-groups \
		--inh-caps $CAPS --ambient-caps $CAPS -- "$@"
}
caps_of_self='grep -E "^Cap(Inh|Prm|Eff|Amb):" /proc/self/status | tr -d "\t" | tr "\n" " "'
no_caps='CapInh:0000000000000000 CapPrm:0000000000000000 CapEff:0000000000000000 CapAmb:0000000000000000 '

# --- the module under systemd-user -----------------------------------------------------
out=$(SVC=systemd-user session alice -r -e -- sh -c \
	'echo "$NSJAIL_KEEPER"; readlink /proc/self/ns/mnt /proc/self/ns/pid /proc/self/ns/uts; hostname')
kp=$(keeper_pid alice)
start=$(awk '{print $22}' /proc/$kp/stat 2>/dev/null)
set_uts=$(readlink /proc/$kp/ns/uts)
set_pid=$(readlink /proc/$kp/ns/pid)
is "$(sed -n 1p <<<"$out")" "$kp $start" "systemd-user: the PAM environment names the new set's keeper (pid, start time)"
is "$(sed -n 2,3p <<<"$out")" "$host_mnt"$'\n'"$host_pid" \
	"...the caller stays in the host's mount and PID namespaces (its /proc/self still resolves)"
is "$(sed -n 4p <<<"$out")" "$set_uts" "...and joins the set's UTS namespace"
like "$(grep 'systemd-user' "$NSJ_LOG" | grep -v closed | tail -n1)" \
	'user=alice .*action=created \(user manager: nsjail-userman joins the mnt and pid namespaces\)$' \
	"...and logs one line that says so"
is "$(SVC=systemd-user session root -r -e -- sh -c 'echo "${NSJAIL_KEEPER-unset}"')" "unset" \
	"root (left out by policy) gets no NSJAIL_KEEPER"
is "$(NSJAIL_KEEPER="$kp $start" SVC=nsjail-test session alice -r -e -- sh -c 'echo "${NSJAIL_KEEPER-unset}"')" \
	"$kp $start" "(the harness passes its own environment on)"
out=$(NSJAIL_KEEPER="1 1" SVC=systemd-user session alice -r -e -- sh -c 'echo "$NSJAIL_KEEPER"')
is "$out" "$kp $start" "a NSJAIL_KEEPER from elsewhere is replaced by the module's"

# A set with a cgroup namespace: the manager must see the cgroup systemd delegated to it.
conf 'default { tmp_size = "16M"  namespaces = {mount, ipc, uts, pid, cgroup} }'
out=$(SVC=systemd-user session carol -r -e -- readlink /proc/self/ns/cgroup /proc/self/ns/uts)
kc=$(keeper_pid carol)
is "$out" "$(readlink /proc/self/ns/cgroup)"$'\n'"$(readlink /proc/$kc/ns/uts)" \
	"systemd-user: the cgroup namespace is not joined either (the UTS namespace is)"
isnt "$(readlink /proc/$kc/ns/cgroup)" "$(readlink /proc/self/ns/cgroup)" "...though carol's set has one"
# ...nor without a PID namespace, where the join is otherwise whole
conf 'default { tmp_size = "16M"  namespaces = {mount, ipc, uts, cgroup} }'
out=$(SVC=systemd-user session dave -r -e -- readlink /proc/self/ns/cgroup /proc/self/ns/mnt)
kd=$(keeper_pid dave)
is "$out" "$(readlink /proc/self/ns/cgroup)"$'\n'"$(readlink /proc/$kd/ns/mnt)" \
	"systemd-user, a set without a PID namespace: the mount namespace is joined, the cgroup one is not"
"$NSJAILCTL" reset dave >/dev/null
conf 'default { tmp_size = "16M" }'

# --- nsjail-userman: the manager in the set --------------------------------------------
as alice 'echo set-tmp >/tmp/mark'
out=$(as_manager alice "$USERMAN" /bin/sh -c \
	"readlink /proc/self/ns/pid /proc/self/ns/mnt; hostname; cat /proc/1/comm /tmp/mark; id -un; echo \"\${NSJAIL_KEEPER-unset}\"; $caps_of_self")
is "$(sed -n 1p <<<"$out")" "$set_pid" "nsjail-userman: the manager is in the set's PID namespace"
isnt "$(sed -n 2p <<<"$out")" "$host_mnt" "...and not in the host's mount namespace"
is "$(sed -n 3,5p <<<"$out")" "alice-$(hostname -s)"$'\n'"nsjail-keeper"$'\n'"set-tmp" \
	"...with the set's hostname, /proc (the keeper is PID 1) and /tmp"
is "$(sed -n 6,7p <<<"$out")" "alice"$'\n'"unset" "...as the user, without NSJAIL_KEEPER"
is "$(sed -n 8p <<<"$out")" "$no_caps" "...with no capability left"

# (no session: as systemd starts user@ when the module is not in the stack)
out=$(setpriv --reuid alice --regid alice --init-groups --inh-caps $CAPS --ambient-caps $CAPS -- \
	"$USERMAN" /bin/sh -c "readlink /proc/self/ns/pid /proc/self/ns/mnt; $caps_of_self")
is "$out" "$host_pid"$'\n'"$host_mnt"$'\n'"$no_caps" \
	"without NSJAIL_KEEPER it execs the manager in place, with no capability"
out=$("$USERMAN" /bin/sh -c 'grep ^CapEff: /proc/self/status')
is "$out" "$(grep ^CapEff: /proc/self/status)" "...and root's manager keeps root's capabilities (execve as uid 0)"

# A keeper that is not the user's, or no keeper at all, is refused.
as bob true
kb=$(keeper_pid bob)
refused() { # NSJAIL_KEEPER value, description
	local out rc
	out=$(NSJAIL_KEEPER="$1" setpriv --reuid alice --regid alice --init-groups --inh-caps $CAPS \
		--ambient-caps $CAPS -- "$USERMAN" /bin/echo RAN 2>&1)
	rc=$?
	is "$rc:$out" "1:nsjail-userman: NSJAIL_KEEPER does not name this user's keeper: No such process" "$2"
}
refused "$kb $(awk '{print $22}' /proc/$kb/stat)" "nsjail-userman refuses another user's keeper"
refused "$kp 12345" "...a start time that is not the keeper's"
refused "$$ $(awk '{print $22}' /proc/$$/stat)" "...a root process that is not a keeper"

# --- notifications and signals ---------------------------------------------------------
# A listener where systemd's notification socket would be: prints each message and its sender.
cat >$W/listen.py <<'EOF'
import os, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o777)
open(sys.argv[2], "w").close()
while True:
    msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
    pid = struct.unpack("iII", anc[0][2])[0] if anc else 0
    print(pid, msg.decode().replace("\n", "|"), flush=True)
EOF
/usr/bin/python3 $W/listen.py $W/notify.sock $W/listening >$W/notified &
listener=$!
for i in $(seq 50); do [ -e $W/listening ] && break; sleep 0.1; done
send='import os, socket; s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.sendto(os.environ["MSG"].encode(), "\0" + os.environ["NOTIFY_SOCKET"][1:])'
NOTIFY_SOCKET=$W/notify.sock as_manager alice "$USERMAN" /bin/sh -c \
	"MSG=READY=1 exec /usr/bin/python3 -c '$send'" &
mp=$!
wait $mp
sleep 0.3
notified=$(cat $W/notified)
like "$notified" "^[0-9]+ READY=1$" "the manager's READY=1 reaches systemd's socket"
NOTIFY_SOCKET=$W/notify.sock as_manager alice "$USERMAN" /bin/sh -c \
	"MSG=STATUS=from-a-child /usr/bin/python3 -c '$send'; MSG=MAINPID=1 exec /usr/bin/python3 -c '$send'"
sleep 0.3
is "$(cat $W/notified)" "$notified" "...and nothing from the manager's children, nor a MAINPID="
kill $listener
wait $listener 2>/dev/null

# Relayed as its own: the sender systemd sees is nsjail-userman (the unit's main process).
cat >$W/rel.sh <<'EOF'
echo $$ >/tmp/userman.pid
exec "$@"
EOF
/usr/bin/python3 $W/listen.py $W/notify2.sock $W/listening2 >$W/notified2 &
listener=$!
for i in $(seq 50); do [ -e $W/listening2 ] && break; sleep 0.1; done
NOTIFY_SOCKET=$W/notify2.sock as_manager alice /bin/sh $W/rel.sh "$USERMAN" /bin/sh -c \
	"MSG=READY=1 /usr/bin/python3 -c '$send' & sleep 0.2; MSG=READY=1 exec /usr/bin/python3 -c '$send'"
sleep 0.3
is "$(cut -d' ' -f1 $W/notified2)" "$(cat /tmp/userman.pid)" "...sent by nsjail-userman itself"
kill $listener
wait $listener 2>/dev/null

as_manager alice /bin/sh $W/rel.sh "$USERMAN" /bin/sleep 300 &
mp=$!
for i in $(seq 50); do pgrep -u alice -x sleep >/dev/null && break; sleep 0.1; done
sp=$(pgrep -u alice -x sleep)
is "$(readlink /proc/$sp/ns/pid)" "$set_pid" "a long-running manager lives in the set"
kill -TERM "$(cat /tmp/userman.pid)"
wait $mp
is "$?" "143" "SIGTERM to nsjail-userman reaches the manager; it exits as the manager did"
check "...and the manager is gone" test ! -d /proc/$sp
# A failed pam_putenv (libpam out of memory) denies the manager's session, and only that: the
# set it joined is the user's, shared with their other sessions, and stays.
PUTENV_SHIM=$W/fail-putenv.so
if cc -shared -fPIC -o $PUTENV_SHIM tests/shim/fail-putenv.c -ldl; then
	as alice 'sleep 300 </dev/null >/dev/null 2>&1 &'
	kp=$(keeper_pid alice)
	sp=$(pgrep -u alice -x sleep | head -n1)
	LD_PRELOAD=$PUTENV_SHIM SVC=systemd-user session alice -r -e -- true 2>/dev/null
	isnt "$?" "0" "systemd-user, pam_putenv failing: the session is denied"
	like "$(last_log)" "user=alice .*action=failed: pam_putenv NSJAIL_KEEPER: no memory" \
		"...with its reason in the log line"
	is "$(keeper_pid alice)" "$kp" "...and the user's set is the same"
	check "...its keeper alive" test -d /proc/$kp
	check "...and the user's other session's process too" test -d /proc/$sp
	kill "$sp" 2>/dev/null
else
	not_ok "build tests/shim/fail-putenv.c"
fi
done_testing
