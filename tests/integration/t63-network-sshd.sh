#!/bin/bash
# network = outbound through real ssh logins: sshd's session process is in the set's network
# namespace, so ssh -L reaches a tenant's server on the set's 127.0.0.1, ssh -R listens there,
# agent forwarding and sftp work, and every login of a user shares one network namespace.
# Everything runs in a network namespace of this script's own (sshd, clients, the outside).
if [ "${NSJ_NET_WORLD:-}" != 1 ]; then
	export NSJ_NET_WORLD=1
	exec unshare --net -- bash "$0" "$@"
fi
. tests/lib.sh

OUT=192.0.2.1
net_outside $OUT

W=/run/world/sshd
install -d -m 0700 $W
conf 'min_uid = 1000
default { namespaces = {mount, ipc, uts, pid, net}  network = outbound  tmp_size = "16M" }'
cat >/etc/pam.d/sshd <<EOF
@include common-auth
account    required     pam_nologin.so
@include common-account
session    required     pam_unix.so
session    required     $MODULE
@include common-password
EOF
ssh-keygen -q -t ed25519 -N '' -C world-host -f $W/host_key
ssh-keygen -q -t ed25519 -N '' -C world-client -f $W/client_key
ssh-keygen -q -t ed25519 -N '' -C agent-key -f $W/agent_key
for u in alice bob; do
	install -d -m 0700 -o $u -g $u /home/$u/.ssh
	install -m 0600 -o $u -g $u $W/client_key.pub /home/$u/.ssh/authorized_keys
done
printf 'Host *\n  BatchMode yes\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n' >$W/ssh_config
PORT=2222
sshd_config $PORT $W

PIDS=()
cleanup() {
	[ ${#PIDS[@]} -gt 0 ] && kill "${PIDS[@]}" 2>/dev/null
	[ -n "${SSH_AGENT_PID:-}" ] && kill "$SSH_AGENT_PID" 2>/dev/null
	reset_all
	true
}
trap cleanup EXIT
bg() {
	"$@" </dev/null >/dev/null 2>>$W/bg.err &
	PIDS+=($!)
}
listening() { # ADDR:PORT
	local i
	for i in $(seq 100); do
		ss -Hltn | grep -q " $1 " && return 0
		sleep 0.1
	done
	return 1
}
: >$W/sshd.log
/usr/sbin/sshd -D -f $W/sshd_config -E $W/sshd.log &
PIDS+=($!)
bg socat TCP4-LISTEN:7000,bind=$OUT,reuseaddr,fork SYSTEM:'echo tcp-outside'
bg socat TCP4-LISTEN:7100,bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo client-side'
for l in 127.0.0.1:$PORT $OUT:7000 127.0.0.1:7100; do
	listening $l || { not_ok "listening on $l"; sed 's/^/# /' $W/sshd.log; done_testing; }
done
ok "sshd listens on 127.0.0.1:$PORT in the test's own network namespace"

# s USER [ssh options] CMD
s() {
	local user=$1 cmd=${!#}
	shift
	timeout 20 ssh -F $W/ssh_config -i $W/client_key -p $PORT "${@:1:$#-1}" "$user@127.0.0.1" "$cmd" 2>>$W/ssh-client.err
}
world_net=$(readlink /proc/self/ns/net)

# --- every login of alice shares one network namespace, with a way out --------------------------
n1=$(s alice 'readlink /proc/self/ns/net')
n2=$(s alice 'readlink /proc/self/ns/net')
like "$n1" '^net:\[[0-9]+\]$' "an ssh login of alice runs in a network namespace"
isnt "$n1" "$world_net" "...not the host's"
is "$n2" "$n1" "a second ssh login of alice shares her network namespace"
is "$(s alice "socat -T5 - TCP4:$OUT:7000 </dev/null")" "tcp-outside" "an ssh session gets out (TCP to the outside)"

# --- ssh -L reaches alice's server on her 127.0.0.1 ------------------------------------------------
s alice 'nohup socat TCP4-LISTEN:8888,bind=127.0.0.1,reuseaddr,fork SYSTEM:"echo alice-server" </dev/null >/dev/null 2>&1 &
	for i in $(seq 50); do ss -Hltn | grep -q " 127.0.0.1:8888 " && break; sleep 0.1; done'
is "$(s alice 'socat -T5 - TCP4:127.0.0.1:8888 </dev/null')" "alice-server" "alice's server listens on her set's 127.0.0.1:8888"
is "$(socat -T2 - TCP4:127.0.0.1:8888 </dev/null 2>/dev/null; echo rc=$?)" "rc=1" "...which is not the host's 127.0.0.1:8888"
is "$(s bob 'socat -T2 - TCP4:127.0.0.1:8888 </dev/null 2>/dev/null; echo rc=$?')" "rc=1" "...nor bob's (ssh login of bob)"
timeout 30 ssh -F $W/ssh_config -i $W/client_key -p $PORT -N -o ExitOnForwardFailure=yes \
	-L 127.0.0.1:18888:127.0.0.1:8888 alice@127.0.0.1 2>>$W/ssh-client.err &
LPID=$!
PIDS+=($LPID)
listening 127.0.0.1:18888
is "$(socat -T5 - TCP4:127.0.0.1:18888 </dev/null)" "alice-server" "ssh -L 18888:127.0.0.1:8888 reaches alice's server in her set"
kill $LPID 2>/dev/null

# --- ssh -R listens in alice's set ------------------------------------------------------------------
mkfifo $W/r.fifo
# (the host is looked at while the forward is up: the session waits for the word to go)
s alice -o ExitOnForwardFailure=yes -R 127.0.0.1:9999:127.0.0.1:7100 \
	'for i in $(seq 50); do ss -Hltn | grep -q " 127.0.0.1:9999 " && break; sleep 0.1; done
	socat -T5 - TCP4:127.0.0.1:9999 </dev/null; echo; read -r -t 10 go' <$W/r.fifo >$W/r.out 2>&1 &
RPID=$!
PIDS+=($RPID)
exec 7>$W/r.fifo
for i in $(seq 100); do grep -q client-side $W/r.out && break; sleep 0.1; done
is "$(head -n1 $W/r.out)" "client-side" "ssh -R 9999:127.0.0.1:7100: the set's 127.0.0.1:9999 reaches the client's side"
check "...and the host's 127.0.0.1 has no port 9999, while the forward is up" sh -c '! ss -Hltn | grep -q " 127.0.0.1:9999 "'
check "...(the forward is still up: its session still runs)" kill -0 $RPID
echo go >&7
exec 7>&-
wait $RPID

# --- agent forwarding and sftp -----------------------------------------------------------------------
eval "$(ssh-agent -s -a $W/agent.sock)" >/dev/null
ssh-add -q $W/agent_key 2>/dev/null
out=$(s alice -A 'ssh-add -l; case "$SSH_AUTH_SOCK" in /tmp/*) test -S "$SSH_AUTH_SOCK" && echo in-private-tmp;; esac')
like "$out" 'agent-key \(ED25519\)' "agent forwarding: ssh-add -l in the set lists the forwarded key"
like "$out" 'in-private-tmp$' "...through a socket in the set's private /tmp"
echo "uploaded by sftp" >$W/up-sftp
printf 'put %s /tmp/up-sftp\n' $W/up-sftp >$W/sftp-batch
timeout 20 sftp -F $W/ssh_config -i $W/client_key -P $PORT -b $W/sftp-batch alice@127.0.0.1 >/dev/null 2>>$W/ssh-client.err
check "sftp: upload succeeds" test $? -eq 0
is "$(s alice 'cat /tmp/up-sftp')" "uploaded by sftp" "...into alice's set's /tmp"

if [ -s $W/ssh-client.err ]; then
	diag "ssh client stderr:"
	sed 's/^/#   /' $W/ssh-client.err | tail -n 20
fi
done_testing
