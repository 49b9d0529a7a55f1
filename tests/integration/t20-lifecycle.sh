#!/bin/bash
# The life of a set: concurrent first logins, repair, recycled pids, persist = false,
# idle_timeout, mount propagation, SIGTERM (the record goes too), joining without
# setns(pidfd), orphans reaped.
. tests/lib.sh

conf 'default { tmp_size = "16M" }'
service nsjail-test

# --- 40 concurrent first logins make exactly one set -----------------------------------
for i in $(seq 40); do
	as alice 'readlink /proc/self/ns/mnt' >/run/world/c.$i 2>&1 &
done
wait
is "$(cat /run/world/c.* | sort -u | wc -l)" "1" "40 concurrent first logins all land in one mount namespace"
is "$(pgrep -c -x nsjail-keeper)" "1" "40 concurrent first logins start exactly one keeper"
is "$(grep -c 'user=alice .*action=created' "$NSJ_LOG")" "1" "one created, the rest joined"
is "$(grep -c 'user=alice .*action=joined' "$NSJ_LOG")" "39" "39 logged action=joined"
rm -f /run/world/c.*

# --- a dead keeper is replaced ---------------------------------------------------------
old=$(keeper_pid alice)
as alice 'touch /tmp/old-set'
kill -KILL "$old"
sleep 0.2
as alice 'test ! -e /tmp/old-set'
ok_new=$?
check "keeper killed: next login logs action=repaired, and why" log_has "user=alice .*action=repaired (keeper $old is gone)\$"
# (namespace inode numbers are recycled by the kernel: compare contents, not numbers)
is "$ok_new" "0" "the repaired set is a new one (the old set's /tmp is gone)"
isnt "$(keeper_pid alice)" "$old" "the record names the new keeper"
is "$(as alice 'cat /proc/1/comm')" "nsjail-keeper" "the repaired set works (keeper is PID 1)"

# --- a recycled pid is never joined ----------------------------------------------------
# A root process in a namespace that is not the set's, recorded with its true start time:
# pid and start time match, the namespaces do not.
unshare --mount --uts --ipc sleep 300 &
decoy=$!
sleep 0.2
decoy_pid=$(pgrep -P $decoy -x sleep || echo $decoy)
start=$(awk '{print $22}' /proc/$decoy_pid/stat)
rec=$PIN/3002
mkdir -p -m 0700 $rec
printf '%s\nstart %s\nuid 3002\nuser bob\ncreated 0\nnsdev %s\nmnt %s\nipc 1\nuts 1\npid 1\n' \
	"$decoy_pid" "$start" "$(stat -L -c %d /proc/$decoy_pid/ns/mnt)" "$(stat -L -c %i /proc/$decoy_pid/ns/mnt)" >$rec/keeper
bob_ns=$(as bob 'readlink /proc/self/ns/mnt')
isnt "$bob_ns" "$(readlink /proc/$decoy_pid/ns/mnt)" "a record naming another live process is not joined"
check "it is replaced: action=repaired, and why" log_has "user=bob .*action=repaired (pid $decoy_pid is not a root-owned namespace init)\$"
isnt "$(keeper_pid bob)" "$decoy_pid" "the record now names bob's own keeper"
kill $decoy 2>/dev/null
# pid alive but start time differs (the classic recycled pid)
kill -KILL "$(keeper_pid bob)"
sleep 0.1
printf '%s\nstart 1\nuid 3002\nuser bob\ncreated 0\nnsdev 4\nmnt 4026531841\n' "$$" >$rec/keeper
bob_ns=$(as bob 'readlink /proc/self/ns/mnt')
isnt "$bob_ns" "$(readlink /proc/$$/ns/mnt)" "a recorded pid with another start time is not joined"
# a record writable by others is not trusted
pidb=$(keeper_pid bob)
chmod 0666 $rec/keeper
as bob true
isnt "$(keeper_pid bob)" "$pidb" "a group/other-writable record is replaced, not trusted"

# --- a keeper recorded by its pidfs inode (Linux >= 6.9, 64-bit) -------------------------
# pidfs_ino PID: the inode number of a pidfd of PID
pidfs_ino() { python3 -c 'import os, sys; print(os.fstat(os.pidfd_open(int(sys.argv[1]))).st_ino)' "$1"; }
rec_field() { awk -v k="$1" '$1 == k {print $2}' "$PIN/$(id -u "$2")/keeper"; }
# set_field KEY VALUE USER: the user's record with KEY's value replaced (or the line dropped)
set_field() {
	local f=$PIN/$(id -u "$3")/keeper
	awk -v k="$1" -v v="$2" '$1 != k {print; next} v != "" {print k, v}' "$f" >"$f.t"
	chmod 0600 "$f.t"
	mv "$f.t" "$f"
}
sleep 300 &
s1=$!
sleep 300 &
s2=$!
# a kernel without pidfs gives every pidfd one anonymous inode
if [ "$(uname -m)" = x86_64 ] && [ "$(pidfs_ino $s1)" != "$(pidfs_ino $s2)" ]; then
	kill $s1 $s2
	as bob true
	kb=$(keeper_pid bob)
	is "$(rec_field pidfs bob):$(rec_field boot bob)" "$(pidfs_ino "$kb"):$(cat /proc/sys/kernel/random/boot_id)" \
		"the record names the keeper by its pidfs inode, and this boot"
	# (detect_leaks=0: LeakSanitizer, on in a sanitizer build, cannot run under ptrace)
	ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o /run/world/strace.log -e trace=openat,open,stat,newfstatat,statx,readlink "$HARNESS" -d "$PAMD" \
		-s nsjail-test -u bob -- /bin/true
	is "$(grep -c "/proc/$kb/" /run/world/strace.log)" "0" "...so a rejoin recognises it without reading its /proc files"
	check "...and joins it" log_has "user=bob .*action=joined"
	bob_ns=$(as bob 'readlink /proc/self/ns/mnt')
	is "$bob_ns" "$(readlink /proc/$kb/ns/mnt)" "...its namespaces"
	rm -f /run/world/strace.log
	# an older module's record (no pidfs lines) is checked through /proc, and still joined
	set_field pidfs "" bob
	set_field boot "" bob
	is "$(as bob 'readlink /proc/self/ns/mnt'):$(keeper_pid bob)" "$bob_ns:$kb" \
		"a record without the pidfs inode (an older module's) is still joined, after the /proc checks"
	# the keeper alive, its record naming another pidfs inode or another boot: never joined
	kill -KILL "$kb"
	sleep 0.1
	for t in "pidfs $(($(pidfs_ino "$kb") + 1)):another pidfs inode" \
		"boot 0b2c1f8e-0000-4000-8000-000000000000:another boot's id"; do
		as bob true
		kb=$(keeper_pid bob)
		bob_ns=$(readlink /proc/$kb/ns/mnt)
		n=$(grep -c 'user=bob .*action=repaired' "$NSJ_LOG")
		f=${t%%:*}
		set_field "${f%% *}" "${f#* }" bob
		like "$("$NSJAILCTL" show bob)" "state: +stale \\((pid $kb is another process now \\(pidfd inode differs\\)|keeper $kb was recorded in another boot)\\)" \
			"nsjailctl show: a live keeper recorded with ${t#*:} is stale, and why"
		isnt "$(as bob 'readlink /proc/self/ns/mnt')" "$bob_ns" "a live keeper recorded with ${t#*:} is not joined"
		log_sync
		is "$(grep -c 'user=bob .*action=repaired' "$NSJ_LOG")" "$((n + 1))" "...the set is repaired"
		like "$(grep 'user=bob .*action=repaired' "$NSJ_LOG" | tail -n 1)" "action=repaired \\((pid $kb is another process now \\(pidfd inode differs\\)|keeper $kb was recorded in another boot)\\)\$" \
			"...logged with why"
		kill -KILL "$kb"
	done
	# A kernel with pidfs but without PIDFD_GET_INFO (6.9-6.12), as a shim makes this one look:
	# the owner comes from /proc/PID/status there.
	INFO_SHIM=/run/world/no-pidfd-info.so
	INFO_LOG=/run/world/info-shim.log
	cc -shared -fPIC -DLOG_PATH="\"$INFO_LOG\"" -o $INFO_SHIM tests/shim/no-pidfd-info.c -ldl ||
		not_ok "build tests/shim/no-pidfd-info.c"
	# In a sanitizer build (make check SANITIZE=1) the ASan runtime must come first in LD_PRELOAD.
	if ldd "$MODULE" 2>/dev/null | grep -q libasan; then INFO_SHIM="$(gcc -print-file-name=libasan.so) $INFO_SHIM"; fi
	as bob true
	kb=$(keeper_pid bob)
	: >$INFO_LOG
	is "$(LD_PRELOAD=$INFO_SHIM as bob 'readlink /proc/self/ns/mnt')" "$(readlink /proc/$kb/ns/mnt)" \
		"without PIDFD_GET_INFO (Linux 6.9-6.12): a rejoin recognises the keeper by its inode, and joins"
	like "$(grep -c 'ioctl(PIDFD_GET_INFO) refused' $INFO_LOG)" '^[1-9]' "(the shim refused PIDFD_GET_INFO)"
	# a process of the user's, recorded with its true pidfs inode, start time and namespaces:
	# never joined (not root's), with PIDFD_GET_INFO and without
	for shim in "" "$INFO_SHIM"; do
		how=${shim:+ (without PIDFD_GET_INFO: from status)}
		setpriv --reuid=3002 --regid=3002 --init-groups -- sleep 300 &
		decoy=$!
		sleep 0.2
		as bob true
		kb=$(keeper_pid bob)
		printf '%s\nstart %s\nuid 3002\nuser bob\ncreated 0\nnsdev %s\n' "$decoy" \
			"$(awk '{print $22}' /proc/$decoy/stat)" "$(stat -L -c %d /proc/$decoy/ns/mnt)" >$rec/keeper.t
		for k in mnt ipc uts pid; do echo "$k $(stat -L -c %i /proc/$decoy/ns/$k)"; done >>$rec/keeper.t
		# (idle 0: a joined keeper with a timeout would get a SIGUSR1, which ends a sleep)
		printf 'idle 0\npidfs %s\npidfsdev %s\nboot %s\n' "$(pidfs_ino $decoy)" "$(rec_field pidfsdev bob)" \
			"$(cat /proc/sys/kernel/random/boot_id)" >>$rec/keeper.t
		chmod 0600 $rec/keeper.t
		mv $rec/keeper.t $rec/keeper
		like "$(LD_PRELOAD=$shim "$NSJAILCTL" show bob)" \
			"state: +stale \\(pid $decoy is not (owned by root|a root-owned namespace init)\\)" \
			"nsjailctl show: the user's own process recorded by its pidfs inode is stale (not root's)$how"
		ns=$(LD_PRELOAD=$shim as bob 'readlink /proc/self/ns/mnt; cat /proc/1/comm' 2>&1 | tr '\n' ' ')
		like "$ns" '^mnt:\[[0-9]+\] nsjail-keeper $' \
			"a record naming the user's own process by its true pidfs inode: the login lands in a set of its own keeper$how"
		isnt "${ns%% *}" "$(readlink /proc/$decoy/ns/mnt)" "...not in the process's namespaces (not root's)$how"
		kill $decoy "$kb" 2>/dev/null
		wait $decoy 2>/dev/null
	done
else
	kill $s1 $s2
	skip "pidfs identity" "this kernel has no pidfs (Linux < 6.9) or is not 64-bit"
fi

# --- persist = false: a set per session, torn down at close ----------------------------
conf 'default { persist = false  tmp_size = "16M" }'
as carol 'touch /tmp/mark; sleep 2' &
sleep 1
is "$(as carol 'ls /tmp/mark 2>/dev/null | wc -l')" "0" "persist = false: concurrent sessions get sets of their own"
wait
like "$(as carol 'cat /proc/1/comm')" 'nsjail-keeper' "persist = false: the set has a keeper as PID 1"
check "persist = false: no record is written" test ! -e $PIN/3003/keeper
sleep 0.2
is "$(pgrep -c -f -- "nsjail-keeper --uid 3003")" "0" "persist = false: the sets' keepers are gone after close"
check "persist = false: close logged the teardown" log_has 'user=carol .*action=closed (set torn down)'
# a process left in the session dies with the set
session carol -- /bin/sh -c 'sleep 300 & echo $! > /tmp/p' 
is "$(pgrep -c -u carol -x sleep)" "0" "persist = false: processes left in the set end with it"
# The session's process gone without its close_session (killed, or a caller that never
# closes): the set lives while a process of it does, and then ends, never left behind.
"$HARNESS" -d "$PAMD" -s nsjail-test -u carol -- sleep 300 &
hp=$!
for _ in $(seq 50); do pgrep -u carol -x sleep >/dev/null && break; sleep 0.1; done
kp=$(pgrep -f -- "nsjail-keeper --uid 3003")
kill -9 $hp
wait $hp 2>/dev/null
sleep 1.5
check "persist = false, the session's process killed before its close: the set lives on with its process" \
	test -n "$kp" -a -d "/proc/$kp" -a -n "$(pgrep -u carol -x sleep)"
pkill -u carol -x sleep
for _ in $(seq 50); do [ -d "/proc/$kp" ] || break; sleep 0.1; done
check "...and its keeper ends with the last of them" test ! -d "/proc/$kp"
# The module twice in one stack (or a caller that opens twice): the second open keeps the
# first's session, so its close still ends the set.
printf 'auth required pam_permit.so\naccount required pam_permit.so\nsession required %s\nsession required %s\n' \
	"$MODULE" "$MODULE" >"$PAMD/nsjail-twice"
out=$("$HARNESS" -d "$PAMD" -s nsjail-twice -u carol -- /bin/sh -c 'cat /proc/1/comm; nohup sleep 300 >/dev/null 2>&1 &' 2>&1)
sleep 0.2
is "$out" "nsjail-keeper" "persist = false, the module twice in the stack: the session runs in its live set"
is "$(pgrep -c -u carol -x sleep)" "0" "...and the set still ends at close"
check "...and close logged the teardown" log_has 'nsjail-twice:session): user=carol .*action=closed (set torn down)$'
# Closed by a process that dropped to the user's uid ("(sd-pam)" of user@): no root keeper can be
# signalled from there; the set ends with its last process, and the close says so, not "failed".
"$HARNESS" -d "$PAMD" -s nsjail-test -u carol -U -- /bin/sh -c 'nohup sleep 2 >/dev/null 2>&1 &'
rc=$?
kp=$(pgrep -f -- "nsjail-keeper --uid 3003")
is "$rc" "0" "persist = false, closed without privileges: the close succeeds"
check "...and says the set ends with its last process" log_has 'user=carol .*action=closed (set ends with its last process)$'
check "...which it does: the set lives on with its process" test -n "$kp" -a -d "/proc/$kp"
for _ in $(seq 50); do [ -d "/proc/$kp" ] || break; sleep 0.1; done
check "...and then ends" test ! -d "/proc/$kp"

# --- idle_timeout ends an unused set and leaves no record ------------------------------
conf 'default { idle_timeout = 1  tmp_size = "16M" }'
as dave true
kp=$(keeper_pid dave)
check "idle_timeout: the set exists after logout" test -n "$kp"
check "idle_timeout: the record names the keeper's timeout" grep -qx 'idle 1' $PIN/3004/keeper
for i in $(seq 60); do [ -d /proc/$kp ] || break; sleep 0.1; done
check "idle_timeout: the keeper exits after the timeout" test ! -d /proc/$kp
check "idle_timeout: the record is removed" test ! -e $PIN/3004
# a process in the set keeps it alive
session dave -- /bin/sh -c 'nohup sleep 4 >/dev/null 2>&1 &'
kp=$(keeper_pid dave)
sleep 2
check "idle_timeout: a running process keeps the set" test -d /proc/$kp
for i in $(seq 80); do [ -d /proc/$kp ] || break; sleep 0.1; done
check "idle_timeout: ended once the last process is gone" test ! -d /proc/$kp
# every login restarts the idle clock: logins 1.2 s apart keep a set with a 2 s timeout, whose
# keeper checks every second, alive for 3.6 s; left alone, it ends
conf 'default { idle_timeout = 2  tmp_size = "16M" }'
as dave true
kp=$(keeper_pid dave)
like "$("$NSJAILCTL" show dave)" $'\nidle: +2 s\n' "idle_timeout: nsjailctl show names the set's"
for i in 1 2 3; do sleep 1.2; as dave true; done
check "idle_timeout: each login restarts the idle clock" test -d /proc/$kp
is "$(keeper_pid dave)" "$kp" "idle_timeout: ...the same keeper all along"
for i in $(seq 60); do [ -d /proc/$kp ] || break; sleep 0.1; done
check "idle_timeout: ended once logins stop" test ! -d /proc/$kp
# ...and so does nsjailctl enter, as a login does
as dave true
kp=$(keeper_pid dave)
for i in 1 2 3; do sleep 1.2; "$NSJAILCTL" enter dave -- true; done
check "idle_timeout: nsjailctl enter restarts the idle clock too" test -d /proc/$kp
is "$(keeper_pid dave)" "$kp" "idle_timeout: ...the same keeper all along"
for i in $(seq 60); do [ -d /proc/$kp ] || break; sleep 0.1; done
check "idle_timeout: ended once nothing enters it" test ! -d /proc/$kp
# an idle check that cannot end the set (a login holds the user's lock) never takes the cover
# off pin_dir in the set: the same cover, the set-owner mark in it, all along
conf 'default { idle_timeout = 1  tmp_size = "16M" }'
as dave true
kp=$(keeper_pid dave)
cover() { awk -v p="$PIN" '$5 == p { print $1, $3 }' /proc/$kp/mountinfo; }
c0=$(cover)
miss=$(flock $PIN/3004 sh -c 'n=0; for i in $(seq 50); do
	test -L /proc/'$kp'/root'$PIN'/set-owner || n=$((n + 1)); sleep 0.05; done; echo $n')
is "$miss" 0 "idle_timeout: while a login holds the lock, the set-owner mark is there all along"
check "...and the keeper lived on through its idle checks" test -d /proc/$kp
is "$(cover)" "$c0" "...under the same cover of pin_dir (never taken off in the set)"
for i in $(seq 60); do [ -d /proc/$kp ] || break; sleep 0.1; done
check "...and once the lock is free, the keeper ends" test ! -d /proc/$kp -a ! -e $PIN/3004
# without a timeout (the default) the record says so, and a login does not wake the keeper
conf 'default { tmp_size = "16M" }'
as dave true
kp=$(keeper_pid dave)
check "no idle_timeout: the record says so" grep -qx 'idle 0' $PIN/3004/keeper
sw=$(awk '/^voluntary_ctxt_switches/ { print $2 }' /proc/$kp/status)
as dave true
as dave true
is "$(awk '/^voluntary_ctxt_switches/ { print $2 }' /proc/$kp/status)" "$sw" "no idle_timeout: a rejoin does not wake the keeper"
"$NSJAILCTL" reset dave >/dev/null || echo "# nsjailctl reset dave failed"

# --- propagation: host mounts reach the set; set mounts stay inside --------------------
conf 'default { tmp_size = "16M" }'
as alice true
mkdir -p /home/nsjail-late
mount -t tmpfs -o size=1M late-host /home/nsjail-late
touch /home/nsjail-late/from-host
check "a mount the host makes after login reaches the set (slave)" as alice 'test -e /home/nsjail-late/from-host'
as_root_in alice 'mkdir -p /home/nsjail-late/inner && mount -t tmpfs inner-set /home/nsjail-late/inner && touch /home/nsjail-late/inner/x'
check "a mount made inside the set does not reach the host" test ! -e /home/nsjail-late/inner/x
check "...and is seen by the user's other sessions" as alice 'test -e /home/nsjail-late/inner/x'
umount /home/nsjail-late
conf 'default { propagation = private  tmp_size = "16M" }'
as carol true
mount -t tmpfs -o size=1M late-host2 /home/nsjail-late
touch /home/nsjail-late/from-host
check "propagation = private: later host mounts do not reach the set" as carol 'test ! -e /home/nsjail-late/from-host'
umount /home/nsjail-late

# --- SIGTERM to the keeper ends the set ------------------------------------------------
conf 'default { tmp_size = "16M" }'
as carol 'nohup sleep 300 >/dev/null 2>&1 &'
kp=$(keeper_pid carol)
sp=$(pgrep -u carol -x sleep)
check "a job runs in carol's set" test -n "$sp"
kill -TERM "$kp"
for i in $(seq 50); do [ -d /proc/$kp ] || break; sleep 0.1; done
check "SIGTERM: the keeper exits" test ! -d /proc/$kp
check "SIGTERM: the set's processes end with it" test ! -d /proc/$sp
check "SIGTERM: the keeper removes its record (systemctl stop leaves nothing stale)" test ! -e $PIN/3003/keeper
n=$(grep -c 'user=carol .*action=created' "$NSJ_LOG")
as carol true
is "$(grep -c 'user=carol .*action=created' "$NSJ_LOG")" "$((n + 1))" "SIGTERM: the next login creates a new set"
# nsjailctl reset holds the user's lock while it stops the keeper: the keeper leaves the record
# to it, and does not wait for the lock.
exec {lk}<$PIN/3003
flock -x $lk
kp=$(keeper_pid carol)
kill -TERM "$kp"
for i in $(seq 50); do [ -d /proc/$kp ] || break; sleep 0.1; done
check "SIGTERM while the lock is held: the keeper exits at once" test ! -d /proc/$kp
check "...and leaves the record to the lock's holder" test -e $PIN/3003/keeper
exec {lk}<&-

# --- kernels without setns(pidfd): joining through /proc/PID/ns/* ----------------------
SHIM=/run/world/no-pidfd-setns.so
SHIM_LOG=/run/world/shim.log
if cc -shared -fPIC -DLOG_PATH="\"$SHIM_LOG\"" -o $SHIM tests/shim/no-pidfd-setns.c -ldl; then
	# In a sanitizer build (make check SANITIZE=1) the ASan runtime must come first in LD_PRELOAD.
	if ldd "$MODULE" 2>/dev/null | grep -q libasan; then SHIM="$(gcc -print-file-name=libasan.so) $SHIM"; fi
	reset_all
	: >$SHIM_LOG
	log_sync
	n=$(grep -c 'user=carol .*action=created' "$NSJ_LOG")
	probe='readlink /proc/self/ns/mnt /proc/self/ns/pid /proc/self/ns/uts /proc/self/ns/ipc; cat /proc/1/comm'
	first=$(LD_PRELOAD=$SHIM as carol "$probe")
	like "$(grep -c 'setns(pidfd) refused' $SHIM_LOG)" '^[1-9]' "(the shim refused setns on a pidfd, as a kernel < 5.8 does)"
	log_sync
	is "$(grep -c 'user=carol .*action=created' "$NSJ_LOG")" "$((n + 1))" "without setns(pidfd): a first login creates the set"
	like "$first" 'nsjail-keeper$' "...and joins it through /proc/PID/ns/* (the keeper is PID 1)"
	is "$(as carol "$probe")" "$first" "...the same mnt, pid, uts and ipc namespaces as a login with setns(pidfd)"
	is "$(LD_PRELOAD=$SHIM as carol "$probe")" "$first" "without setns(pidfd): a later login joins the same set"
	is "$(LD_PRELOAD=$SHIM "$NSJAILCTL" enter carol -- sh -c "$probe" 2>&1)" "$first" \
		"without setns(pidfd): nsjailctl enter joins it too"
	# A join that fails half-way (pid, uts, ipc joined, then mnt refused) goes back out: with
	# on_error=allow the session goes on wholly outside the set, never half in it.
	service nsjail-allow on_error=allow
	: >$SHIM_LOG
	host=$(readlink /proc/self/ns/mnt /proc/self/ns/pid /proc/self/ns/uts /proc/self/ns/ipc | tr '\n' ' ')
	out=$(NSJ_SHIM_FAIL_MNT=1 LD_PRELOAD=$SHIM SVC=nsjail-allow as carol \
		'readlink /proc/self/ns/mnt /proc/self/ns/pid /proc/self/ns/uts /proc/self/ns/ipc | tr "\n" " "')
	like "$(grep -c 'setns(mnt) refused' $SHIM_LOG)" '^[1-9]' "(the shim refused the mount namespace)"
	is "$out" "$host" "a join failing at mnt leaves pid, uts and ipc again: the session is wholly outside"
	like "$(last_log)" 'user=carol .*action=failed: setns mnt: .*on_error=allow' "...and the failure is logged"
	out=$(NSJ_SHIM_FAIL_MNT=1 LD_PRELOAD=$SHIM as carol 'echo RAN' 2>&1)
	is "$?:$out" "90:$(echo "$out" | grep -v RAN)" "...and with on_error=deny the session is refused"
	reset_all
else
	not_ok "build tests/shim/no-pidfd-setns.c"
fi

# --- the keeper reaps orphans ---------------------------------------------------------
out=$(as carol '(sleep 0.5 &); sleep 0.2; ps -o ppid= -C sleep | head -n1 | tr -d " "')
is "$out" "1" "an orphan in the set is adopted by the keeper (PID 1)"
sleep 0.6
is "$(as carol 'ps -e -o stat=,comm=' | grep -c '^Z')" "0" "...and reaped when it exits: no zombie is left"
for i in $(seq 20); do as carol '(true &)'; done
sleep 0.3
is "$(ps --ppid "$(keeper_pid carol)" -o stat= | grep -c Z)" "0" "20 more orphans: no zombie under the keeper"

# --- the keeper cannot be inspected or signalled by the user ---------------------------
check "the user cannot read the keeper's environment" as carol '! cat /proc/1/environ 2>/dev/null'
check "the user cannot signal the keeper" as carol '! kill -TERM 1 2>/dev/null'
check "the user cannot ptrace the keeper" as carol '! strace -p 1 -e trace=none -o /dev/null 2>/dev/null'
is "$(as carol 'cat /proc/1/comm')" "nsjail-keeper" "...and the keeper is still there"

# --- net and cgroup namespaces on request ----------------------------------------------
conf 'user "dave" { namespaces = {mount, ipc, uts, pid, net, cgroup} }'
reset_all
out=$(as dave 'ip -o link show | cut -d" " -f2,3')
is "$out" "lo: <LOOPBACK,UP,LOWER_UP>" "net: only lo, and it is up"
like "$(as dave 'ip -o addr show dev lo')" 'inet 127\.0\.0\.1/8' "net: loopback has its address"
isnt "$(as dave 'readlink /proc/self/ns/net')" "$(readlink /proc/self/ns/net)" "net: a network namespace of its own"
isnt "$(as dave 'readlink /proc/self/ns/cgroup')" "$(readlink /proc/self/ns/cgroup)" "cgroup: a cgroup namespace of its own"
is "$(as dave 'readlink /proc/self/ns/net')" "$(as dave 'readlink /proc/self/ns/net')" "net: rejoined by the next login"

# --- tmp = dir: a persistent per-user directory ----------------------------------------
install -d -m 0755 /run/world/tmproot
# (tmp_paths not set: the default has /var/tmp too)
conf 'default { tmp = dir  tmp_dir = "/run/world/tmproot/%U" }'
reset_all
as alice 'echo kept > /tmp/persist; echo v > /var/tmp/vfile'
is "$(stat -c %a:%U /run/world/tmproot/3001)" "700:root" "tmp = dir: the per-user directory is root-owned 0700"
is "$(stat -c %a /run/world/tmproot/3001/tmp):$(stat -c %a /run/world/tmproot/3001/var_tmp)" "1777:1777" "tmp = dir: one instance per path, mode 1777"
like "$(as alice 'grep " /tmp " /proc/self/mounts | tail -n1')" 'rw,nosuid,nodev' "tmp = dir: bind-mounted nosuid,nodev"
reset_all
is "$(as alice 'cat /tmp/persist /var/tmp/vfile')" "kept
v" "tmp = dir: contents survive the end of the set"
check "tmp = dir: not in the host's /tmp" test ! -e /tmp/persist
is "$(as bob 'cat /tmp/persist 2>/dev/null')" "" "tmp = dir: another user has another directory"

# --- pin_dir changed while a set lives: no set is made inside it --------------------------
conf 'default { tmp_size = "16M" }'
reset_all
as alice 'nohup sleep 60 >/dev/null 2>&1 &'
kp=$(keeper_pid alice)
conf 'pin_dir = /run/pam_nsjail-new
default { tmp_size = "16M"  hostname = "" }'
nk=$(pgrep -c -x nsjail-keeper)
# (root in alice's set, made under the old pin_dir: nsenter, as a root process left there would)
out=$(nsenter -t "$kp" -m -u -i -p -- "$HARNESS" -d "$PAMD" -s nsjail-test -u bob -- cat /proc/1/comm 2>&1; echo rc=$?)
like "$out" 'rc=90$' "pin_dir changed: root in alice's old set cannot open a session for bob there"
check "...and says why" log_has 'user=bob .*action=failed: the caller is inside a set (PID 1 is nsjail-keeper) that pin_dir /run/pam_nsjail-new does not know'
is "$(pgrep -c -x nsjail-keeper)" "$nk" "...and no keeper was made inside alice's set"
is "$(as bob 'cat /proc/1/comm')" "nsjail-keeper" "...while bob's login from the host gets his set"
PIN=/run/pam_nsjail-new reset_all
conf 'default { tmp_size = "16M" }'
reset_all

done_testing
