#!/bin/bash
# network = outbound: a set has its own loopback and abstract sockets and still gets out (TCP,
# UDP, DNS) through its slirp4netns, which lives as long as the set. All traffic stays in a
# network namespace this script makes: the world's "outside" is a bridge holding 192.0.2.1
# (TEST-NET-1) with socat servers and a one-name DNS responder on it, and a server on the
# world's own 127.0.0.1 stands for the host's loopback services.
if [ "${NSJ_NET_WORLD:-}" != 1 ]; then
	export NSJ_NET_WORLD=1
	exec unshare --net -- bash "$0" "$@"
fi
. tests/lib.sh

OUT=192.0.2.1
net_outside $OUT
rm -f /etc/resolv.conf # the world's /etc is an overlay
printf 'nameserver %s\nsearch test\n' $OUT >/etc/resolv.conf

PIDS=()
cleanup() {
	[ ${#PIDS[@]} -gt 0 ] && kill "${PIDS[@]}" 2>/dev/null
	reset_all
	true
}
trap cleanup EXIT
bg() {
	"$@" </dev/null >/dev/null 2>&1 &
	PIDS+=($!)
}
bg socat TCP4-LISTEN:7000,bind=$OUT,reuseaddr,fork SYSTEM:'echo tcp-outside'
bg socat UDP4-RECVFROM:7001,bind=$OUT,fork SYSTEM:'echo udp-outside'
bg socat TCP4-LISTEN:7002,bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo host-loopback'
bg /usr/bin/python3 tests/net/dns-one.py $OUT outside.test $OUT
listening() { # ADDR:PORT PROTO(t|u)
	local i
	for i in $(seq 50); do
		ss -Hln"$2" | grep -q " $1 " && return 0
		sleep 0.1
	done
	return 1
}
for l in $OUT:7000/t $OUT:7001/u 127.0.0.1:7002/t $OUT:53/u; do
	listening "${l%/*}" "${l#*/}" || { not_ok "the test's outside listens on $l"; done_testing; }
done
is "$(socat -T5 - TCP4:$OUT:7000 </dev/null)" "tcp-outside" "the test's outside answers on $OUT (from the world)"

conf 'min_uid = 1000
default { namespaces = {mount, ipc, uts, pid, net}  network = outbound  tmp_size = "16M" }
user "dave" { network = loopback }'
service nsjail-test
service nsjail-allow on_error=allow
world_net=$(readlink /proc/self/ns/net)
world_pid=$(readlink /proc/self/ns/pid)

# --- what a tenant gets -------------------------------------------------------------------
is "$(as alice 'ip -4 -o addr show dev tap0' | awk '{print $4}')" "10.0.2.100/24" "the set has tap0 with 10.0.2.100/24"
like "$(log_sync; grep 'user=alice .*action=created' "$NSJ_LOG" | head -n1)" 'user=alice uid=3001 ns=mnt:[0-9]+,ipc:[0-9]+,uts:[0-9]+,pid:[0-9]+,net:[0-9]+ .*action=created' "...in a set of its own (net in the log line)"
is "$(as alice 'ip route show default')" "default via 10.0.2.2 dev tap0 " "...and a default route through the provider"
isnt "$(as alice 'readlink /proc/self/ns/net')" "$world_net" "the set's network namespace is not the host's"
is "$(as alice "socat -T5 - TCP4:$OUT:7000 </dev/null")" "tcp-outside" "outbound TCP reaches the outside"
is "$(as alice "echo hi | socat -T5 - UDP4:$OUT:7001")" "udp-outside" "outbound UDP reaches the outside and gets the answer"
is "$(as alice 'getent hosts outside.test' | awk '{print $1}')" "$OUT" "DNS: a name the outside's resolver knows resolves in the set"
is "$(as alice "socat -T5 - TCP4:outside:7000 </dev/null")" "tcp-outside" "...and a short name through the host's search line"
is "$(as alice 'grep -v "^#" /etc/resolv.conf' | tr '\n' ' ')" "nameserver $OUT search test " "the set's resolv.conf names the host's nameserver (reached through the provider) and keeps the host's search"
is "$(tr '\n' ' ' </etc/resolv.conf)" "nameserver $OUT search test " "...while the host's resolv.conf is unchanged"
# the host's first nameserver down: the set's resolver goes on to the next, as the host's does
# (slirp's 10.0.2.3 forwards to the first only)
cp /etc/resolv.conf /run/world/resolv.keep
printf 'nameserver 192.0.2.99\nnameserver %s\nsearch test\noptions timeout:1 attempts:1\n' "$OUT" >/etc/resolv.conf
"$NSJAILCTL" reset alice >/dev/null
is "$(as alice 'getent hosts outside.test' | awk '{print $1}')" "$OUT" "DNS: the host's first nameserver down, the set's resolver fails over to the second"
is "$(as alice 'grep "^nameserver" /etc/resolv.conf' | tr '\n' ' ')" "nameserver 192.0.2.99 nameserver $OUT " "...both in the set's resolv.conf, in the host's order"
cat /run/world/resolv.keep >/etc/resolv.conf
"$NSJAILCTL" reset alice >/dev/null

# --- nothing of the host's loopback, nothing in ----------------------------------------------
out=$(as alice 'socat -T2 - TCP4:10.0.2.2:7002 </dev/null 2>&1; echo rc=$?')
like "$out" 'rc=1$' "the host's loopback service is unreachable through the provider's 10.0.2.2"
is "$(as alice 'socat -T2 - TCP4:127.0.0.1:7002 </dev/null 2>/dev/null; echo rc=$?')" "rc=1" "...and 127.0.0.1 in the set is the set's own"
is "$(as alice 'socat -T2 - TCP4:10.0.2.3:7002 </dev/null 2>/dev/null; echo rc=$?')" "rc=1" "...nor through its resolver's 10.0.2.3 on another port than 53"

# --- each tenant its own 127.0.0.1 and abstract sockets ------------------------------------
as alice 'nohup socat TCP4-LISTEN:8888,bind=127.0.0.1,reuseaddr,fork SYSTEM:"echo alice-server" </dev/null >/dev/null 2>&1 &
	nohup socat ABSTRACT-LISTEN:nsj-alice,fork SYSTEM:"echo alice-abstract" </dev/null >/dev/null 2>&1 &
	for i in $(seq 50); do ss -Hltn | grep -q " 127.0.0.1:8888 " && ss -Hlx | grep -q "@nsj-alice " && break; sleep 0.1; done'
is "$(as alice 'socat -T5 - TCP4:127.0.0.1:8888 </dev/null')" "alice-server" "alice's server on 127.0.0.1:8888 answers her next session"
is "$(as alice 'socat -T5 - ABSTRACT-CONNECT:nsj-alice </dev/null')" "alice-abstract" "...and so does her abstract socket"
is "$(as bob 'socat -T2 - TCP4:127.0.0.1:8888 </dev/null 2>/dev/null; echo rc=$?')" "rc=1" "bob cannot reach alice's 127.0.0.1:8888"
is "$(as bob 'socat -T2 - ABSTRACT-CONNECT:nsj-alice </dev/null 2>/dev/null; echo rc=$?')" "rc=1" "bob cannot reach alice's abstract socket"
is "$(socat -T2 - TCP4:127.0.0.1:8888 </dev/null 2>/dev/null; echo rc=$?)" "rc=1" "the host cannot reach alice's 127.0.0.1:8888"
is "$(socat -T2 - ABSTRACT-CONNECT:nsj-alice </dev/null 2>/dev/null; echo rc=$?)" "rc=1" "the host cannot reach alice's abstract socket"
is "$(as bob 'timeout 1 socat TCP4-LISTEN:8888,bind=127.0.0.1 /dev/null; echo rc=$?')" "rc=124" "bob can bind 127.0.0.1:8888 too (it listened until the timeout)"
as alice 'nohup socat TCP4-LISTEN:8889,reuseaddr,fork SYSTEM:"echo alice-any" </dev/null >/dev/null 2>&1 &
	for i in $(seq 50); do ss -Hltn | grep -q " 0.0.0.0:8889 " && break; sleep 0.1; done'
is "$(as alice 'socat -T5 - TCP4:10.0.2.100:8889 </dev/null')" "alice-any" "alice's server on all addresses (0.0.0.0:8889) answers on her tap0 address"
is "$(socat -T2 - TCP4:10.0.2.100:8889 </dev/null 2>/dev/null; echo rc=$?)" "rc=1" "nothing is forwarded in: the host cannot reach it at 10.0.2.100"
is "$(socat -T2 - TCP4:$OUT:8889 </dev/null 2>/dev/null; echo rc=$?)" "rc=1" "...nor through the host's own address"
is "$(as bob 'socat -T2 - TCP4:10.0.2.100:8889 </dev/null 2>/dev/null; echo rc=$?')" "rc=1" "...and bob's 10.0.2.100 is his own set's"
is "$(as bob "socat -T5 - TCP4:$OUT:7000 </dev/null")" "tcp-outside" "bob gets out as well, through his own provider"

# --- network = loopback keeps today's behaviour --------------------------------------------------
is "$(as dave 'ip -o link show | awk "{print \$2}"' | tr '\n' ' ')" "lo: " "network = loopback: the set has lo and nothing else"
is "$(as dave "socat -T2 - TCP4:$OUT:7000 </dev/null 2>/dev/null; echo rc=\$?")" "rc=1" "...and no way out"
check "...and no provider in its record" sh -c "! grep -q '^provider ' $PIN/3004/keeper"

# --- the provider: outside the set, little privilege, as long as the set -----------------------
rec=$PIN/3001/keeper
np=$(awk '$1 == "provider" {print $2}' $rec)
like "$np" '^[0-9]+$' "the record names alice's provider"
is "$(cat /proc/$np/comm)" "slirp4netns" "...which is slirp4netns"
is "$(readlink /proc/$np/ns/pid)" "$world_pid" "...in the host's PID namespace, not the set's"
is "$(readlink /proc/$np/ns/net)" "$world_net" "...and the host's network namespace"
is "$(as alice 'ps -e -o comm=' | grep -c slirp4netns)" "0" "the tenant's ps does not list it"
is "$(as alice 'cat /proc/[0-9]*/comm 2>/dev/null' | grep -c slirp4netns)" "0" "...nor does the set's /proc"
is "$(awk '/^CapEff:/ {print $2}' /proc/$np/status)" "0000000000000400" "it runs with net_bind_service as its only capability (its sandbox)"
is "$(awk '/^CapBnd:/ {print $2}' /proc/$np/status)" "0000000000000400" "...and cannot regain more"
is "$(awk '/^NoNewPrivs:/ {print $2}' /proc/$np/status)" "1" "...under no_new_privs"
like "$(awk '/^Seccomp:/ {print $2}' /proc/$np/status)" '^2$' "...with a seccomp filter"
is "$(wc -c </proc/$np/environ)" "0" "...with an empty environment"
is "$(readlink /proc/$np/root)" "/" "...(its root is its sandbox's)"
is "$(awk '/^Seccomp_filters:/ {print $2}' /proc/$np/status)" "2" "...two of them: slirp4netns's and the module's (no unix socket)"
is "$(ls -A /proc/$np/root/etc | tr '\n' ' ')" "ld.so.cache resolv.conf " "its /etc holds only the resolver's file and the loader's cache, not the host's"
check "...the host's resolv.conf as it is" cmp -s /proc/$np/root/etc/resolv.conf /etc/resolv.conf
is "$(ls -A /proc/$np/root/run)" "" "...and its /run nothing of the host's (no socket, no pin_dir)"
is "$(ps -o sid=,tty= -p $np | tr -s ' ')" " $np ?" "it has a session of its own, with no terminal"
kp=$(keeper_pid alice)
kfds=$(ls -l /proc/$kp/fd | awk 'NR>1 {print $11}' | sed 's/pipe:.*/pipe/' | sort | tr '\n' ' ')
is "$kfds" "/dev/null /dev/null /dev/null pipe pipe " "the keeper holds /dev/null on 0-2 and the two ends of the provider's exit pipe"
pfd=$(ls -l /proc/$np/fd | awk 'NR>1 {print $9 $10 $11}' | grep -c '^[0-2]->/dev/null$')
is "$pfd" "3" "the provider has /dev/null on 0-2"
is "$(ls /proc/$np/fd | sort -n | tr '\n' ' ' | cut -d' ' -f1-3)" "0 1 2" "...and its own fds after them (tap, pipes)"
# (every other fd is its own: sockets, pipes, the tap device, the set's netns; never a file or
# directory of the host's)
nsino=$(readlink /proc/$kp/ns/net | sed 's/[][]/\\&/g')
is "$(ls -l /proc/$np/fd | awk 'NR > 1 { print $NF }' | grep -Ev "^(/dev/null|socket:\[[0-9]+\]|pipe:\[[0-9]+\]|/(dev/)?net/tun|anon_inode:.*|$nsino)\$")" "" \
	"...and nothing else: no file or directory of the host's"

out=$("$NSJAILCTL" show alice)
like "$out" $'network:    outbound\nprovider:   slirp4netns pid '"$np"' \(running\)' "nsjailctl show: mode, provider and its pid"
like "$out" 'addresses:  lo 127\.0\.0\.1/8, tap0 10\.0\.2\.100/24' "nsjailctl show: the set's addresses"
like "$out" 'routes:     gateway 10\.0\.2\.2, dns 10\.0\.2\.3' "nsjailctl show: gateway and resolver"
like "$out" 'network = outbound' "nsjailctl show: the policy's network key"
like "$("$NSJAILCTL" show dave)" $'network:    loopback\naddresses:  lo 127\.0\.0\.1/8' "nsjailctl show: a loopback set"

"$NSJAILCTL" reset alice >/dev/null
check "nsjailctl reset: the provider ends with the set" gone_within "$np"
kp=$(keeper_pid bob)
bnp=$(provider_pid bob)
kill -KILL "$kp"
check "a keeper killed with SIGKILL takes its provider with it" gone_within "$bnp"

# --- a provider that dies is restarted at the next login; if that fails, reported -----------------
as carol 'nohup sleep 300 </dev/null >/dev/null 2>&1 &'
cnp=$(provider_pid carol)
ckp=$(keeper_pid carol)
kill_wait "$cnp"
is "$(as carol "socat -T5 - TCP4:$OUT:7000 </dev/null; pgrep -c -x sleep")" $'tcp-outside\n1' \
	"a set whose provider died gets out again at the next login, in the same set (its job survived)"
nnp=$(provider_pid carol)
isnt "$nnp" "$cnp" "...through a new provider, recorded"
is "$(keeper_pid carol)" "$ckp" "...with the same keeper"
check "...and the login logs the restart" log_has "user=carol: the set's network provider (pid $cnp) had died: restarted as pid $nnp"
check "the login is logged as joined" log_has 'user=carol uid=3003 .*action=joined'
is "$(readlink /proc/$nnp/ns/pid):$(awk '/^CapEff:/ {print $2}' /proc/$nnp/status):$(wc -c </proc/$nnp/environ)" \
	"$world_pid:0000000000000400:0" "the new provider runs as the first did (host PID namespace, sandboxed, no environment)"
like "$("$NSJAILCTL" show carol)" "provider:   slirp4netns pid $nnp \(running\)" "nsjailctl show: the new provider"
kill -KILL "$ckp"
check "the restarted provider ends with its set too" gone_within "$nnp"
as carol true
cnp=$(provider_pid carol)
kill_wait "$cnp"
install -m 0644 /dev/null /run/world/not-slirp
mount --bind /run/world/not-slirp /usr/bin/slirp4netns
out=$(as carol "socat -T2 - TCP4:$OUT:7000 </dev/null 2>/dev/null; echo rc=\$?")
is "$out" "rc=1" "a provider that cannot be restarted: the login works, without a way out"
check "...with a warning naming the provider, the reason and the remedy" log_has "user=carol: the set's network provider (pid $cnp) is gone and could not be restarted (network = outbound needs slirp4netns: /usr/bin/slirp4netns is not an executable file): no outbound network; the next login tries again"
like "$("$NSJAILCTL" show carol)" "provider:   slirp4netns pid $cnp \(gone: no way out until reset\)" "nsjailctl show: the provider is gone"
umount /usr/bin/slirp4netns
is "$(as carol "socat -T5 - TCP4:$OUT:7000 </dev/null")" "tcp-outside" "once slirp4netns is back, the next login restarts it"

# --- persist = false: the session's own set, and its own provider ---------------------------------
conf 'min_uid = 1000
default { namespaces = {mount, ipc, uts, pid, net}  network = outbound  persist = false  tmp_size = "16M" }'
before=$(pgrep -x slirp4netns | sort | tr '\n' ' ')
is "$(as alice "socat -T5 - TCP4:$OUT:7000 </dev/null")" "tcp-outside" "persist = false: the session's own set gets out"
after=
for i in $(seq 50); do
	after=$(pgrep -x slirp4netns | sort | tr '\n' ' ')
	[ "$after" == "$before" ] && break
	sleep 0.1
done
is "$after" "$before" "...and its provider ended with the session"

# --- a host whose resolver is a stub on its own loopback (systemd-resolved) -----------------------
bg /usr/bin/python3 tests/net/dns-one.py 127.0.0.53 stub.test $OUT
mkdir -p /run/systemd/resolve
printf 'nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch test\n' >/run/systemd/resolve/stub-resolv.conf
rm -f /etc/resolv.conf
ln -s ../run/systemd/resolve/stub-resolv.conf /etc/resolv.conf
listening 127.0.0.53:53 u
is "$(as alice 'getent hosts stub.test' | awk '{print $1}')" "$OUT" \
	"a host whose resolv.conf links to a stub on its loopback (systemd-resolved): DNS works in the set"
is "$(as alice 'grep -v "^#" /etc/resolv.conf' | tr '\n' ' ')" "nameserver 10.0.2.3 options edns0 trust-ad search test " \
	"...through the set's own resolv.conf, mounted over the file the link names"
is "$(head -n 1 /run/systemd/resolve/stub-resolv.conf)" "nameserver 127.0.0.53" "...while the host's stays as it was"
# systemd-resolved rewrites its stub file by a rename at each DNS change, which detaches the
# set's resolv.conf mounted over it: the set would ask its own loopback. The next login puts
# it back.
conf 'min_uid = 1000
default { namespaces = {mount, ipc, uts, pid, net}  network = outbound  tmp_size = "16M" }'
as alice true
kp=$(keeper_pid alice)
printf 'nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch test other\n' >/run/systemd/resolve/stub-resolv.conf.new
mv /run/systemd/resolve/stub-resolv.conf.new /run/systemd/resolve/stub-resolv.conf
check "(the rename took the set's resolv.conf away)" grep -q 127.0.0.53 /proc/$kp/root/etc/resolv.conf
is "$(as alice 'grep -v "^#" /etc/resolv.conf' | tr '\n' ' ')" "nameserver 10.0.2.3 options edns0 trust-ad search test other " \
	"after the host's resolver rewrote its stub by a rename, the next login has the set's resolv.conf again, with the new search line"
is "$(keeper_pid alice)" "$kp" "...in the same set"
is "$(as alice 'getent hosts stub.test' | awk '{print $1}')" "$OUT" "...and DNS works in the set"
np=$(provider_pid alice)
is "$(find /proc/$np/root/run -mindepth 1 -maxdepth 3 -printf '%P ')" "systemd systemd/resolve systemd/resolve/stub-resolv.conf " \
	"the provider's /run holds only the resolver's directory"
check "...which it sees as the host changes it (the stub renamed after the provider started)" \
	cmp -s /proc/$np/root/run/systemd/resolve/stub-resolv.conf /run/systemd/resolve/stub-resolv.conf
is "$(readlink /proc/$np/root/etc/resolv.conf)" "../run/systemd/resolve/stub-resolv.conf" "...through the host's link"
reset_all

# --- outbound needs net; and slirp4netns installed ----------------------------------------------
conf 'min_uid = 1000
default { network = outbound }'
out=$("$NSJAILCTL" check 2>&1)
is "$?" "1" "nsjailctl check: network = outbound without net in namespaces is an error"
like "$out" "^$CONF:2: default: network = outbound needs net in namespaces \(add net or set network = loopback\)$" "...with FILE:LINE and the remedy"
conf 'min_uid = 1000
default { namespaces = {mount, net} tmp = none hostname = "" network = outbound }
group "lab" { namespaces = {mount} }'
like "$("$NSJAILCTL" check 2>&1)" "^$CONF:3: group \"lab\": network = outbound \(from default\) needs net in namespaces \(add net or set network = loopback\)$" "...also in a section that inherits outbound but not net"

conf 'min_uid = 1000
default { namespaces = {mount, ipc, uts, pid, net}  tmp_size = "16M" }
user "alice" { network = outbound }'
is "$("$NSJAILCTL" check)" "$CONF: OK" "nsjailctl check: OK with slirp4netns installed"
reset_all
install -m 0644 /dev/null /run/world/not-slirp
mount --bind /run/world/not-slirp /usr/bin/slirp4netns
out=$("$NSJAILCTL" check 2>&1)
is "$?" "1" "nsjailctl check: network = outbound without the provider installed is an error"
is "$out" "$CONF:3: user \"alice\": network = outbound needs slirp4netns: /usr/bin/slirp4netns is not an executable file" "...with FILE:LINE of the section and the reason"
out=$(as alice 'echo RAN' 2>&1)
is "$?" "90" "...and alice's login fails (on_error=deny)"
like "$(last_log)" 'user=alice .*action=failed: set-up: network = outbound needs slirp4netns: /usr/bin/slirp4netns is not an executable file$' "...with the reason in the log"
check "...and leaves no keeper and no record" test ! -e $PIN/3001/keeper
out=$(SVC=nsjail-allow as alice 'readlink /proc/self/ns/net' 2>&1)
is "$out" "$world_net" "on_error=allow: the session goes on unjailed"
is "$(as bob 'ip -o link show | wc -l')" "1" "a user without outbound still logs in (loopback set)"
umount /usr/bin/slirp4netns
reset_all
# no tun device (a kernel without the module loaded, a container without /dev/net/tun)
mv /dev/net/tun /dev/net/tun.off
out=$("$NSJAILCTL" check 2>&1)
is "$?:$out" "1:$CONF:3: user \"alice\": network = outbound needs /dev/net/tun (the tun module: modprobe tun)" \
	"nsjailctl check: no /dev/net/tun is an error that names it"
as alice true 2>/dev/null
like "$(last_log)" 'user=alice .*action=failed: set-up: network = outbound needs /dev/net/tun \(the tun module: modprobe tun\)$' \
	"...and a login's failure says so (not \"exited before it was ready\")"
mv /dev/net/tun.off /dev/net/tun
reset_all
check "no provider is left running" test -z "$(pgrep -x slirp4netns)"
done_testing
