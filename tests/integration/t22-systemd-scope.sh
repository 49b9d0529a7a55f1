#!/bin/bash
# On a host run by systemd (/run/systemd/system), a new set's keeper is moved into
# nsjail-UID.scope by nsjail-scope before the set is committed; a failure follows on_error and
# leaves no set. Where systemd is not PID 1, nothing is called. (The real D-Bus call is tested
# on a booted host: tests/host/.) The world's /run and libexec are its own: a stand-in
# nsjail-scope records how it was called.
. tests/lib.sh

conf 'default { tmp_size = "16M" }'
service nsjail-test
service nsjail-allow on_error=allow
SCOPE=$(dirname "${KEEPER_PATH:-/usr/libexec/pam_nsjail/nsjail-keeper}")/nsjail-scope
CALLS=/run/world/scope.calls
host_mnt=$(readlink /proc/self/ns/mnt)
# no_keeper UID: no keeper of UID within a second (a failed login SIGKILLs it: not synchronous)
no_keeper() {
	local i
	for i in $(seq 20); do
		[ -z "$(pgrep -f -- "nsjail-keeper --uid $1")" ] && return 0
		sleep 0.05
	done
	return 1
}

# stand_in BODY: replace nsjail-scope by a script; it appends "ARGS | what it saw" to $CALLS.
stand_in() {
	cat >"$SCOPE" <<EOF
#!/bin/bash
pid=\$4
seen="record=\$(test -e $PIN/3001/keeper && echo yes || echo no)"
seen="\$seen keeper=\$(cat /proc/\$pid/comm 2>/dev/null) env=\$(env | grep -cv '^\(PWD\|SHLVL\|_\)=')"
echo "\$* | \$seen" >>$CALLS
$1
EOF
	chmod 0755 "$SCOPE"
}

# --- no systemd: no call ---------------------------------------------------------------
stand_in 'echo nsjail-$2.scope'
: >$CALLS
is "$(as alice 'echo IN')" "IN" "without /run/systemd/system the first login works"
is "$(cat $CALLS)" "" "...and nsjail-scope is not started"
reset_all

# --- systemd is PID 1: the keeper goes to its scope before the commit -----------------
mkdir -p /run/systemd/system
out=$(as alice 'echo IN; cat /proc/1/comm')
is "$out" "IN"$'\n'"nsjail-keeper" "on a systemd host the first login lands in a new set"
kp=$(keeper_pid alice)
call=$(cat $CALLS)
is "$call" "--uid 3001 --pid $kp | record=no keeper=nsjail-keeper env=0" \
	"nsjail-scope was given the user's uid and the keeper's pid, before the record, with an empty environment"
check "...and the login logs created" log_has "user=alice .*action=created"
: >$CALLS
as alice true
is "$(cat $CALLS)" "" "a later login joins without a call"
reset_all

# --- network = outbound: the provider goes into the keeper's scope with it; a restarted one into its own
if command -v slirp4netns >/dev/null; then
	[ -e /dev/net/tun ] || { mkdir -p /dev/net && mknod -m 0666 /dev/net/tun c 10 200; }
	conf 'default { tmp_size = "16M" namespaces = {mount, ipc, uts, pid, net} network = outbound }'
	: >$CALLS
	as alice true
	kp=$(keeper_pid alice)
	np=$(provider_pid alice)
	is "$(cut -d'|' -f1 $CALLS)" "--uid 3001 --pid $kp --provider $np " \
		"network = outbound: nsjail-scope is given the provider's pid beside the keeper's"
	is "$(cat /proc/$np/comm 2>/dev/null)" "slirp4netns" "...which is the set's slirp4netns"
	: >$CALLS
	kill_wait "$np"
	as alice true
	np2=$(provider_pid alice)
	isnt "$np2" "$np" "a provider that died is restarted at the next login"
	is "$(cut -d'|' -f1 $CALLS)" "--uid 3001 --pid $kp --provider $np2 --attach " \
		"...and the new one goes into a scope of its own (nsjail-scope --attach)"
	# systemd refuses: the provider works, and the login's warning says where it stays
	stand_in 'case "$*" in *--attach*) echo "nsjail-3001-net-$6.scope: Access denied"; exit 1;; esac; echo nsjail-3001.scope'
	kill_wait "$np2"
	as alice true
	np3=$(provider_pid alice)
	isnt "$np3" "$np2" "a provider restarted again"
	check "...whose scope systemd refused: the login's warning says it stays in the session's cgroup, and why" \
		log_has "user=alice: the set's network provider (pid $np2) had died: restarted as pid $np3, but it stays in this session's cgroup: systemd scope for the network provider: nsjail-3001-net-$np3.scope: Access denied"
	reset_all
	conf 'default { tmp_size = "16M" }'
else
	skip "network = outbound and the scope: slirp4netns is not installed"
fi

# --- the call fails: on_error, and no set is left -------------------------------------
stand_in 'echo "connect to systemd: No such file or directory"; exit 1'
out=$(as alice 'echo RAN' 2>&1)
is "$?" "90" "nsjail-scope fails: the session is denied"
like "$(last_log)" 'user=alice .*action=failed: systemd scope for the keeper: connect to systemd: No such file or directory$' \
	"...with a log line saying so"
check "...and no keeper is left" no_keeper 3001
check "...and no record" test ! -e $PIN/3001/keeper
out=$(SVC=nsjail-allow as alice 'readlink /proc/self/ns/mnt' 2>&1)
is "$out" "$host_mnt" "on_error=allow: the session goes on unjailed"
like "$(last_log)" 'action=failed: systemd scope for the keeper: .*\(on_error=allow: session goes on unjailed\)$' \
	"...and the log says so"
check "...and no keeper is left" no_keeper 3001

stand_in 'exit 3'
as alice true 2>/dev/null
like "$(last_log)" 'action=failed: systemd scope for the keeper: nsjail-scope failed without a word$' \
	"a helper that fails silently still gets a reason in the log"
rm -f "$SCOPE"
as alice true 2>/dev/null
like "$(last_log)" "action=failed: systemd scope: spawn $SCOPE: No such file or directory" \
	"a missing nsjail-scope denies the session with the reason"
check "...and leaves no keeper" no_keeper 3001

# --- the real helper, with no system bus in the world ---------------------------------
install -m 0755 "$NSJ_BUILD/nsjail-scope" "$SCOPE"
as alice true 2>/dev/null
like "$(last_log)" 'action=failed: systemd scope for the keeper: connect to systemd: ' \
	"the real nsjail-scope without a system bus: denied, saying it could not connect"
check "...and leaves no keeper" no_keeper 3001
is "$(su -s /bin/sh alice -c "$SCOPE --uid 3001 --pid 1"; echo "rc=$?")" "usage: nsjail-scope --uid UID --pid KEEPER [--provider PID] [--attach]"$'\n'"rc=2" \
	"nsjail-scope refuses pid 1"
is "$(su -s /bin/sh alice -c "$SCOPE --uid 3001 --pid 2"; echo "rc=$?")" "must run as root"$'\n'"rc=2" \
	"nsjail-scope run by a user does nothing"
rmdir /run/systemd/system
done_testing
