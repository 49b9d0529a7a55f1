#!/bin/bash
# nsjailctl: every command with its output, exit codes and error paths; the man pages lint clean.
. tests/lib.sh

CTL=$NSJAILCTL
W=/run/world
PY=/usr/bin/python3

# run CMD...: stdout in OUT, stderr in ERR, exit status in RC.
run() {
	OUT=$("$@" 2>"$W/t40.err")
	RC=$?
	ERR=$(cat "$W/t40.err")
}
# pids_of CMDLINE: host pids of processes whose command line is exactly CMDLINE.
pids_of() { pgrep -x -f "$1"; }
# wait_gone PID...: up to 3 s for every PID to be gone (or a zombie).
wait_gone() {
	local i p left
	for i in $(seq 30); do
		left=0
		for p in "$@"; do
			[ -n "$p" ] && [ -e "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ] && left=1
		done
		[ $left = 0 ] && return 0
		sleep 0.1
	done
	return 1
}
json() { # json EXPR: evaluate EXPR on the parsed JSON on stdin (variable d)
	"$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

conf 'pin_dir = "/run/pam_nsjail"
min_uid = 1000
default { hostname = "%u-box" tmp_size = "16M" }
group "lab" { hostname = "lab-%u" tmp_size = "64M" }
user "carol" { namespaces = {mount, uts} hostname = "c-%U" }'
service nsjail-test

# --- --version, --help, usage errors ---------------------------------------------------------
run "$CTL" --version
is "$RC" 0 "--version exits 0"
like "$OUT" '^nsjailctl \(pam_nsjail\) [0-9]+\.[0-9]+\.[0-9]+$' "--version prints the version"
run "$CTL" --help
is "$RC" 0 "--help exits 0"
main_help=$OUT
for c in list show enter reset gc check policy; do
	like "$main_help" $'\n'"  $c" "--help lists $c"
	run "$CTL" "$c" --help
	is "$RC:$ERR" "0:" "$c --help exits 0, nothing on stderr"
	like "$OUT" "^Usage: nsjailctl $c.*--config PATH" "$c --help shows its usage with --config"
done

usage() { # usage DESC ARGS...: exit 2 with a message and a hint on stderr
	local desc=$1
	shift
	run "$CTL" "$@"
	is "$RC" 2 "usage error exits 2: $desc"
	like "$ERR" "^nsjailctl: .*"$'\n'"Try 'nsjailctl.*--help'" "usage error explains itself: $desc"
}
usage "no command"
usage "unknown command" frobnicate
usage "unknown option" list --bogus
usage "option of another command" list --user
usage "unknown global option" --bogus list
usage "--config without a value" list --config
usage "show without USER" show
usage "show with two users" show alice bob
usage "reset without USER" reset
usage "enter without USER" enter
usage "policy without USER" policy
usage "gc with an argument" gc now
usage "check with two files" check a b
usage "enter: a command's own option needs --" enter alice ls -l

# --- list with no sets --------------------------------------------------------------------
run "$CTL" list
is "$RC:$OUT" "0:USER  UID  KEEPER  PROCS  AGE  STATE  NAMESPACES" "list with no sets: header only"
run "$CTL" list --json
is "$RC:$OUT" "0:[]" "list --json with no sets: []"

# --- two sets, one with a background process --------------------------------------------
as alice 'nohup sleep 3000 >/dev/null 2>&1 &'
as bob true
ka=$(keeper_pid alice)
kb=$(keeper_pid bob)
mnt_a=$(stat -L -c %i /proc/$ka/ns/mnt)
pid_a=$(stat -L -c %i /proc/$ka/ns/pid)

run "$CTL" list
is "$RC" 0 "list exits 0"
header=$(sed -n 1p <<<"$OUT")
like "$header" '^USER +UID +KEEPER +PROCS +AGE +STATE +NAMESPACES$' "list prints the header"
is "$(wc -l <<<"$OUT")" 3 "list: one row per set"
row_a=$(grep '^alice ' <<<"$OUT")
like "$row_a" "^alice +3001 +$ka +1 +[0-9]+s +alive +mnt:$mnt_a,ipc:[0-9]+,uts:[0-9]+,pid:$pid_a\$" \
	"alice's row: uid, keeper pid, 1 process, age, alive, namespace inodes"
like "$(grep '^bob ' <<<"$OUT")" "^bob +3002 +$kb +0 +[0-9]+s +alive +mnt:" "bob's row: no process but the keeper"
aligned=yes
for col in UID KEEPER PROCS AGE STATE NAMESPACES; do
	pre=${header%%"$col"*}
	while IFS= read -r line; do
		[ "${line:${#pre}-2:2}" = "  " ] && [ "${line:${#pre}:1}" != " " ] || aligned="no ($col: '$line')"
	done < <(sed 1d <<<"$OUT")
done
is "$aligned" yes "list: every column starts where its header does"
# every row's count from one pass over /proc: three of bob's, and alice's one, each in its own row
as bob 'for i in 1 2 3; do nohup sleep 3001 >/dev/null 2>&1 & done'
run "$CTL" list
is "$(awk '$1 == "alice" || $1 == "bob" {print $1, $4}' <<<"$OUT" | tr '\n' ' ')" "alice 1 bob 3 " \
	"list: each set's own processes (alice 1, bob 3)"
run "$CTL" show bob
like "$OUT" $'\nprocesses: +3\n' "show: bob's 3 processes"
pkill -u bob -f '^sleep 3001$'
for i in $(seq 50); do pgrep -u bob -f '^sleep 3001$' >/dev/null || break; sleep 0.1; done

run "$CTL" list --json
is "$RC" 0 "list --json exits 0"
if [ -x "$PY" ]; then
	is "$(json 'len(d)' <<<"$OUT")" 2 "--json: an array of two objects"
	is "$(json '" ".join(sorted(d[0]))' <<<"$OUT")" "keeper_pid namespaces processes started state uid user" \
		"--json: the object's keys"
	is "$(json '[ (s["user"], s["uid"], s["keeper_pid"], s["processes"], s["state"]) for s in d if s["user"] == "alice"][0]' <<<"$OUT")" \
		"('alice', 3001, $ka, 1, 'alive')" "--json: alice's user, uid, keeper, processes, state"
	is "$(json '[s["namespaces"] for s in d if s["user"] == "alice"][0]["mnt"]' <<<"$OUT")" "$mnt_a" \
		"--json: namespaces maps kind to inode"
	like "$(json 'd[0]["started"]' <<<"$OUT")" '^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z$' \
		"--json: started in ISO 8601 UTC"
else
	like "$OUT" "\"user\": \"alice\", \"uid\": 3001, \"keeper_pid\": $ka, \"processes\": 1" "--json: alice's object"
fi

# --- show ----------------------------------------------------------------------------------
run "$CTL" show alice
is "$RC" 0 "show exits 0"
like "$OUT" $'(^|\n)user: +alice\n' "show: user"
like "$OUT" $'\nstate: +alive\n' "show: state"
like "$OUT" $'\nkeeper: +'"$ka"$'\n' "show: keeper pid"
like "$OUT" $'\nprocesses: +1\n' "show: processes"
like "$OUT" $'\nstarted: +20[0-9-]+T[0-9:]+Z\n' "show: started"
like "$OUT" $'\nidle: +none\n' "show: no idle timeout"
like "$OUT" $'\nnamespaces: +mnt:'"$mnt_a," "show: namespaces"
like "$OUT" $'\nsection: default\n' "show: the resolved policy's section"
like "$OUT" $'\nhostname = "alice-box"' "show: the resolved policy's keys"
like "$OUT" $'\njailed: yes' "show: jailed"
run "$CTL" show dave
is "$RC:$OUT" "1:" "show of a user without a set exits 1, prints nothing"
is "$ERR" "nsjailctl: dave has no set" "show: one-line message"
run "$CTL" show nosuchuser
is "$RC:$ERR" "1:nsjailctl: unknown user nosuchuser" "show of an unknown user exits 1"

# --- enter as root ------------------------------------------------------------------------
run "$CTL" enter alice -- hostname
is "$RC:$OUT" "0:alice-box" "enter: the set's hostname"
run "$CTL" enter alice hostname
is "$RC:$OUT" "0:alice-box" "enter: the command without --"
run "$CTL" enter alice -- cat /proc/1/comm
is "$OUT" "nsjail-keeper" "enter: /proc shows the keeper as PID 1"
run "$CTL" enter alice -- ps -o pid=,comm= -p 1
like "$OUT" '^ *1 nsjail-keeper$' "enter: ps shows the keeper as PID 1"
run "$CTL" enter alice -- ps -e -o comm=
is "$(sort <<<"$OUT" | tr '\n' ' ')" "nsjail-keeper ps sleep " "enter: only the set's processes are visible"
session_ns=$(as alice 'readlink /proc/self/ns/mnt /proc/self/ns/pid /proc/self/ns/ipc /proc/self/ns/uts')
run "$CTL" enter alice -- readlink /proc/self/ns/mnt /proc/self/ns/pid /proc/self/ns/ipc /proc/self/ns/uts
is "$OUT" "$session_ns" "enter: the same mnt, pid, ipc, uts namespaces as a session"
run "$CTL" enter alice -- id -u
is "$OUT" 0 "enter: root by default"
run env -i FOO=bar TERM=vt100 PATH=/usr/bin:/bin "$CTL" enter alice -- env
is "$(sort <<<"$OUT" | tr '\n' ' ')" \
	"HOME=/root LOGNAME=root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin SHELL=/bin/bash TERM=vt100 USER=root " \
	"enter: root gets a clean environment (TERM kept)"
run "$CTL" enter alice -- pwd
is "$OUT" /root "enter: in root's home directory"
run "$CTL" enter alice -- sh -c 'exit 7'
is "$RC" 7 "enter: exits with the command's status"
run "$CTL" enter alice -- sh -c 'kill -TERM $$'
is "$RC" 143 "enter: a command killed by a signal: 128+signal"
run "$CTL" enter alice -- /nonexistent
is "$RC" 127 "enter: a command that does not exist: 127"
like "$ERR" '^nsjailctl: exec /nonexistent: No such file' "enter: says why"
run "$CTL" enter alice </dev/null
is "$RC" 0 "enter without a command: root's login shell (EOF on stdin ends it)"

# --- enter --user -------------------------------------------------------------------------
run "$CTL" enter alice --user -- id -u
is "$RC:$OUT" "0:3001" "enter --user: the user's uid"
as bob true
run "$CTL" enter bob --user -- id -G
is "$(tr ' ' '\n' <<<"$OUT" | sort | tr '\n' ' ')" "3002 3100 " "enter --user: the user's groups (lab included)"
run env -i FOO=bar TERM=xterm PATH=/usr/bin:/bin "$CTL" enter --user bob -- env
is "$(sort <<<"$OUT" | tr '\n' ' ')" \
	"HOME=/home/bob LOGNAME=bob PATH=/usr/local/bin:/usr/bin:/bin SHELL=/bin/bash TERM=xterm USER=bob " \
	"enter --user: a clean environment (FOO gone, TERM kept)"
run "$CTL" enter bob --user -- pwd
is "$OUT" /home/bob "enter --user: in the user's home directory"
run env -i PATH=/usr/bin:/bin "$CTL" enter bob --user -- env
unlike_term=$(grep -c '^TERM=' <<<"$OUT")
is "$unlike_term" 0 "enter --user: no TERM when the caller has none"
run "$CTL" enter alice --user < <(echo 'echo "$0 $(id -un) $(hostname)"')
is "$OUT" "-bash alice alice-box" "enter --user without a command: the user's login shell"
run "$CTL" enter alice --user -- cat /proc/1/status
like "$OUT" 'Name:	nsjail-keeper' "enter --user: the keeper is PID 1"
# --user never shares root's terminal (script(1) gives us one): the user's code that queues
# input on its terminal (TIOCSTI, as ~/.bash_logout could) fills its own pty, never the input
# of root's shell.
cat >$W/sti.py <<'PY'
import fcntl, os, termios
fd = os.open("/dev/tty", os.O_RDWR)
for c in b"echo INJECTED\n":
    fcntl.ioctl(fd, termios.TIOCSTI, bytes([c]))
print("queued on", os.ttyname(0))
PY
chmod 0644 $W/sti.py
out=$(timeout 20 script -qec "tty; $CTL enter alice --user -- python3 $W/sti.py" /dev/null </dev/null 2>&1 | tr -d '\r')
root_tty=$(head -n 1 <<<"$out")
like "$root_tty" '^/dev/pts/[0-9]+$' "(a terminal for root's shell)"
like "$out" $'\nqueued on /dev/pts/[0-9]+' "enter --user on a terminal: the command runs on a terminal, and can queue input there"
is "$(grep -c "^queued on $root_tty$" <<<"$out")" 0 "...but that terminal is not root's: what it queues never reaches root's shell"
out=$(timeout 20 script -qec "$CTL enter alice --user -- sh -c 'read -r a; echo \"got \$a\"; exit 3'; echo rc=\$?" /dev/null \
	< <(echo typed) 2>&1 | tr -d '\r')
like "$out" $'got typed\nrc=3' "...with our input passed on, and its exit status"
# --user gets nothing of root's process: not its session keyring (pam_keyinit's, with root's
# keys in it), not its fds, not its limits or umask
cat >$W/keyring.py <<'PY'
import ctypes, os, sys
nr = {"x86_64": (248, 250), "aarch64": (217, 219)}[os.uname().machine]  # add_key, keyctl
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall(nr[1], 1, b"t40-root")  # KEYCTL_JOIN_SESSION_KEYRING: a new one, root's
if libc.syscall(nr[0], b"user", b"t40-secret", b"s3cret", 6, ctypes.c_int(-3)) < 0:  # to @s
    sys.exit("add_key: " + os.strerror(ctypes.get_errno()))
os.execvp(sys.argv[1], sys.argv[1:])
PY
run python3 $W/keyring.py grep -c t40-secret /proc/keys
is "$RC:$OUT" "0:1" "(root's session keyring holds root's key)"
run python3 $W/keyring.py "$CTL" enter alice --user -- grep -c t40-secret /proc/keys
is "$OUT" "0" "enter --user: root's session keyring and its keys are not the user's"
install -m 0600 /dev/null $W/root-only
echo root-secret >$W/root-only
run "$CTL" enter alice --user -- sh -c 'cat <&9' 9<$W/root-only
isnt "$OUT" "root-secret" "enter --user: an fd root had open is not the user's"
run sh -c "ulimit -Sn 77; umask 077; exec \"$CTL\" enter alice --user -- sh -c 'ulimit -Sn; umask'"
is "$(tr '\n' ' ' <<<"$OUT")" "$(ulimit -Sn) 0022 " "enter --user: init's limits and umask 022, not root's"
# a user who stops her own command does not freeze root's nsjailctl (no terminal: no job control)
"$CTL" enter alice --user -- sleep 2 </dev/null >/dev/null 2>&1 &
ep=$!
for _ in $(seq 50); do sp=$(pgrep -u alice -x sleep) && break; sleep 0.1; done
kill -STOP $sp
sleep 0.5
st=$(ps -o stat= -p $ep)
check "enter --user: the user's SIGSTOP of her command does not stop nsjailctl (state $st)" test -n "$st" -a "${st#T}" = "$st"
kill -CONT $sp $ep # (nsjailctl too, should it have stopped: the test goes on)
wait $ep

# --- enter: error paths -------------------------------------------------------------------
run "$CTL" enter dave -- true
is "$RC:$ERR" "1:nsjailctl: dave has no set" "enter: no set exits 1"
run "$CTL" enter nosuchuser -- true
is "$RC:$ERR" "1:nsjailctl: unknown user nosuchuser" "enter: unknown user exits 1"

# --- a stale set: list, show, enter ------------------------------------------------------
kill -KILL "$kb"
wait_gone "$kb"
run "$CTL" list
like "$(grep '^bob ' <<<"$OUT")" "^bob +3002 +$kb +- +[0-9]+s +stale +mnt:" "list: a killed keeper's set is stale"
like "$(grep '^alice ' <<<"$OUT")" " alive " "list: the other set stays alive"
if [ -x "$PY" ]; then
	run "$CTL" list --json
	is "$(json '[(s["state"], s["processes"]) for s in d if s["user"] == "bob"][0]' <<<"$OUT")" "('stale', None)" \
		"--json: a stale set, processes null"
fi
run "$CTL" show bob
is "$RC" 0 "show of a stale set exits 0"
like "$OUT" "state: +stale \\(keeper $kb is gone\\)"$'\n' "show: state stale, and why"
run "$CTL" enter bob -- true
is "$RC" 1 "enter of a stale set exits 1"
like "$ERR" "^nsjailctl: bob's set is stale \\(keeper $kb is gone\\)" "enter: says the set is stale, and why"

# --- gc ------------------------------------------------------------------------------------
install -d -m 0700 "$PIN/3004"
printf 'not a record\n' >"$PIN/3004/keeper"
chmod 0600 "$PIN/3004/keeper"
run "$CTL" gc
is "$RC" 0 "gc exits 0"
like "$OUT" "removed stale set of bob \(uid 3002\)" "gc: removes the stale set"
like "$OUT" "removed stale set of dave \(uid 3004\)" "gc: removes a malformed record"
like "$OUT" "gc: 2 stale sets removed$" "gc: prints the count"
check "gc: bob's record is gone" test ! -e "$PIN/3002"
check "gc: dave's record is gone" test ! -e "$PIN/3004"
check "gc: alice's live set is kept" test -e "$PIN/3001/keeper"
check "gc: alice's keeper still runs" kill -0 "$ka"
run "$CTL" gc
is "$RC:$OUT" "0:gc: 0 stale sets removed" "gc with nothing stale"

# --- reset ---------------------------------------------------------------------------------
sleeper=$(pids_of 'sleep 3000')
like "$sleeper" '^[0-9]+$' "the background process runs in alice's set"
run "$CTL" reset alice
is "$RC:$OUT" "0:reset: alice (keeper $ka ended)" "reset: ends the keeper"
check "reset: the keeper is gone" wait_gone "$ka"
check "reset: the set's processes are gone" wait_gone "$sleeper"
check "reset: the record is gone" test ! -e "$PIN/3001"
run "$CTL" reset alice
is "$RC:$ERR" "1:nsjailctl: alice has no set" "reset: no set exits 1"
run "$CTL" reset nosuchuser
is "$RC:$ERR" "1:nsjailctl: unknown user nosuchuser" "reset: unknown user exits 1"
as alice true
run "$CTL" reset 3001
like "$RC:$OUT" "^0:reset: 3001 \(keeper [0-9]+ ended\)$" "reset takes a numeric uid"
# a keeper that does not end on SIGTERM (stopped here) is killed after the timeout
as alice 'nohup sleep 3001 >/dev/null 2>&1 &'
ka=$(keeper_pid alice)
sleeper=$(pids_of 'sleep 3001')
kill -STOP "$ka"
t0=$(date +%s%N)
run "$CTL" reset alice
ms=$((($(date +%s%N) - t0) / 1000000))
is "$RC:$OUT" "0:reset: alice (keeper $ka ended)" "reset of a keeper that ignores SIGTERM (stopped): exit 0"
check "...SIGKILL after the timeout (${ms} ms, 5 s expected)" test "$ms" -ge 4500 -a "$ms" -lt 15000
check "...the keeper is gone" wait_gone "$ka"
check "...and so is the set's process" wait_gone "$sleeper"
check "...and the record" test ! -e "$PIN/3001"
# A set without a PID namespace (carol's: mount, uts) has no PID 1 for the kernel to end it
# with: its keeper ends the user's processes in the set's mount namespace itself.
as carol 'nohup sleep 3002 >/dev/null 2>&1 &'
kc=$(keeper_pid carol)
sleeper=$(pids_of 'sleep 3002')
like "$sleeper" '^[0-9]+$' "(a process in carol's set, which has no PID namespace)"
run "$CTL" reset carol
is "$RC:$OUT" "0:reset: carol (keeper $kc ended)" "reset of a set without a PID namespace"
check "...ends its process too" wait_gone "$sleeper"
check "...and its keeper" wait_gone "$kc"
as bob true
kill -KILL "$(keeper_pid bob)"
sleep 0.2
run "$CTL" reset bob
is "$RC:$OUT" "0:reset: bob (stale record removed)" "reset of a stale set removes the record"
install -d -m 0700 "$PIN/3004"
printf 'not a record\n' >"$PIN/3004/keeper"
chmod 0600 "$PIN/3004/keeper"
run "$CTL" show dave
is "$RC:$OUT" "1:" "show of a malformed record exits 1"
like "$ERR" "^nsjailctl: dave: record: malformed" "show: says the record is malformed"
run "$CTL" enter dave -- true
like "$RC:$ERR" "^1:nsjailctl: dave: record: malformed" "enter refuses a malformed record"
run "$CTL" reset dave
is "$RC:$OUT" "0:reset: dave (stale record removed)" "reset removes a malformed record"
check "reset: the malformed record is gone" test ! -e "$PIN/3004"

# --- check ---------------------------------------------------------------------------------
run "$CTL" check
is "$RC:$OUT" "0:$CONF: OK" "check: the default config is valid"
cp "$CONF" "$W/good.conf"
run "$CTL" check "$W/good.conf"
is "$RC:$OUT" "0:$W/good.conf: OK" "check CONFIG"
run "$CTL" check --config "$W/good.conf"
is "$RC:$OUT" "0:$W/good.conf: OK" "check --config CONFIG"
run "$CTL" --config "$W/good.conf" check
is "$RC:$OUT" "0:$W/good.conf: OK" "global --config"

bad() { # bad NAME TEXT REGEX: a config that check refuses with FILE:LINE: message
	local f="$W/bad-$1.conf"
	printf '%s\n' "$2" >"$f"
	chmod 0644 "$f"
	run "$CTL" check "$f"
	is "$RC:$OUT" "1:" "check refuses $1 (exit 1)"
	like "$ERR" "^$f:[0-9]+: .*$3" "check: $1 reported as FILE:LINE: message"
}
bad "an unknown key" 'default {
	colour = blue
}' 'colour'
bad "an unknown section" 'server { enable = true }' 'server'
bad "a bad value" 'default { tmp = ramdisk }' 'ramdisk'
bad "a bad template" 'default { hostname = "%x-%u" }' '%x'
bad "var" 'default { hostname = "${HOME}" }' '\$\{'
bad "pid without mount" 'default { namespaces = {pid, uts} tmp = none }' 'mount'
printf 'user "alice" { namespaces = {uts} }\nuser "bob" { namespaces = {mount} hostname = "b" }\n' >"$W/bad-two.conf"
chmod 0644 "$W/bad-two.conf"
run "$CTL" check "$W/bad-two.conf"
is "$(grep -c "^$W/bad-two.conf:[0-9]*: " <<<"$ERR")" 2 "check: every error on a line of its own"
# More errors than the message holds: whole lines only, and a count of the rest.
for i in $(seq 40); do echo "user u$i { namespaces = {uts} }"; done >"$W/bad-many.conf"
chmod 0644 "$W/bad-many.conf"
run "$CTL" check "$W/bad-many.conf"
shown=$(grep -c "^$W/bad-many.conf:[0-9]*: user \"u[0-9]*\": tmp = tmpfs (from default) needs mount in namespaces (add mount or set tmp = none)\$" <<<"$ERR")
like "$shown" '^[1-9][0-9]*$' "check, 40 errors: the ones shown are whole lines"
is "$(tail -n 1 <<<"$ERR")" "$W/bad-many.conf: and $((40 - shown)) more errors" "...and the last line counts the rest"
is "$(wc -l <<<"$ERR")" "$((shown + 1))" "...and nothing else"
cp "$W/good.conf" "$W/gw.conf"
chmod 0664 "$W/gw.conf"
run "$CTL" check "$W/gw.conf"
is "$RC" 1 "check refuses a group-writable config"
like "$ERR" "^$W/gw.conf(:[0-9]+)?: .*writable" "check: says it is writable"
chown alice "$W/good.conf"
run "$CTL" check "$W/good.conf"
is "$RC" 1 "check refuses a config not owned by root"
chown root "$W/good.conf"
run "$CTL" check "$W/missing.conf"
is "$RC" 1 "check of a missing file exits 1"
like "$ERR" "^$W/missing.conf(:[0-9]+)?: " "check: names the missing file"

# --- policy --------------------------------------------------------------------------------
run "$CTL" policy alice
is "$RC" 0 "policy exits 0"
like "$OUT" '^section: default'$'\n' "policy: the default section for alice"
for kv in 'enable = true' 'namespaces = \{mount, ipc, uts, pid\}' 'hostname = "alice-box" +# template "%u-box"' \
	'tmp = tmpfs' 'tmp_size = "16M"' 'tmp_paths = \{"/tmp", "/var/tmp"\}' 'propagation = slave' \
	'propagation_paths = \{"/home", "/media", "/mnt", "/net", "/run/media", "/run/user"\}' 'persist = true' \
	'idle_timeout = 0' 'network = loopback +# unused without net in namespaces' 'system_bus = hidden' 'jailed: yes'; do
	like "$OUT" $'\n'"$kv"$'(\n|$)' "policy alice: $kv"
done
run "$CTL" policy bob
like "$OUT" '^section: group "lab"' "policy: a group section (bob is in lab)"
like "$OUT" $'\nhostname = "lab-bob"' "policy: the group's hostname"
like "$OUT" $'\ntmp_size = "64M"' "policy: the group's tmp_size"
like "$OUT" $'\npersist = true' "policy: keys the group does not set come from default"
run "$CTL" policy carol
like "$OUT" '^section: user "carol"' "policy: a user section"
like "$OUT" $'\nnamespaces = \\{mount, uts\\}\n' "policy: the user's namespaces"
like "$OUT" $'\nhostname = "c-3003"' "policy: the user's hostname template, expanded"
run "$CTL" policy root
like "$OUT" $'\njailed: no \\(uid 0\\)' "policy root: not jailed"
run "$CTL" policy sysu
like "$OUT" $'\njailed: no \\(uid 900 below min_uid 1000\\)' "policy sysu: below min_uid"
run "$CTL" policy nosuchuser
is "$RC:$OUT:$ERR" "1::nsjailctl: unknown user nosuchuser" "policy of an unknown user exits 1"
printf 'default { hostname = "x-%%u" }\n' >"$W/alt.conf"
chmod 0644 "$W/alt.conf"
run "$CTL" policy bob --config "$W/alt.conf"
like "$OUT" $'^section: default\nenable = true\nnamespaces = [^\n]*\nhostname = "x-bob"' "policy --config PATH"
run "$CTL" --config "$W/alt.conf" policy bob
like "$OUT" 'hostname = "x-bob"' "global --config applies to policy"
run "$CTL" policy bob --config "$W/bad-two.conf"
is "$RC:$OUT" "1:" "policy with a broken config exits 1"
like "$ERR" "^nsjailctl: $W/bad-two.conf:[0-9]+: .*see 'nsjailctl check'" "policy: one line pointing at check"

# the shipped config spells out the built-in defaults: it and an empty file give one policy
install -m 0644 conf/pam_nsjail.conf "$W/shipped.conf"
install -m 0644 /dev/null "$W/empty.conf"
run "$CTL" check "$W/shipped.conf"
is "$RC" 0 "conf/pam_nsjail.conf is valid"
for u in alice bob sysu; do
	is "$("$CTL" policy $u --config "$W/shipped.conf" 2>&1)" "$("$CTL" policy $u --config "$W/empty.conf" 2>&1)" \
		"conf/pam_nsjail.conf gives $u the built-in defaults (what its comments say)"
done

# --- a broken config: list and gc fall back to the default pin_dir ------------------------
as alice true
run "$CTL" list --config "$W/bad-two.conf"
is "$RC" 0 "list with a broken config still works"
like "$ERR" '^nsjailctl: warning: .*using pin_dir /run/pam_nsjail' "list: warns that it falls back"
like "$OUT" $'\nalice +3001 ' "list: the sets of the default pin_dir"
run "$CTL" gc --config "$W/bad-two.conf"
is "$RC" 0 "gc with a broken config still works"
printf 'pin_dir = "/run/other-pins"\n' >"$W/pin.conf"
chmod 0644 "$W/pin.conf"
run "$CTL" list --config "$W/pin.conf"
is "$RC:$OUT" "0:USER  UID  KEEPER  PROCS  AGE  STATE  NAMESPACES" "list: pin_dir comes from the config"
run "$CTL" show alice --config "$W/pin.conf"
is "$RC:$ERR" "1:nsjailctl: alice has no set" "show: pin_dir comes from the config"

run "$CTL" enter alice --config "$W/pin.conf" -- true
is "$RC:$ERR" "1:nsjailctl: alice has no set" "enter: pin_dir comes from the config"
run "$CTL" reset alice --config "$W/pin.conf"
is "$RC:$ERR" "1:nsjailctl: alice has no set" "reset: pin_dir comes from the config"
run "$CTL" gc --config "$W/pin.conf"
is "$RC:$OUT" "0:gc: 0 stale sets removed" "gc: pin_dir comes from the config"
check "...and the sets of the other pin_dir are left alone" test -e "$PIN/3001/keeper"

# --- a pin_dir that is not root's, or writable by others, is refused ---------------------
install -d -m 0700 -o alice /run/alice-pins
printf 'pin_dir = "/run/alice-pins"\n' >"$W/upin.conf"
chmod 0644 "$W/upin.conf"
for c in list gc "show alice" "enter alice -- true" "reset alice"; do
	run "$CTL" --config "$W/upin.conf" $c
	like "$RC:$ERR" '^1:nsjailctl: [^'$'\n'']*/run/alice-pins[^'$'\n'']*(owned|root)[^'$'\n'']*$' \
		"$c: a pin_dir owned by a user is refused (exit 1, one line)"
done
chown root /run/alice-pins
chmod 0777 /run/alice-pins
run "$CTL" list --config "$W/upin.conf"
like "$RC:$ERR" '^1:nsjailctl: [^'$'\n'']*/run/alice-pins[^'$'\n'']*writable' "list: a world-writable pin_dir is refused"

# --- I/O errors ----------------------------------------------------------------------------
run sh -c "'$CTL' list >/dev/full"
is "$RC:$ERR" "1:nsjailctl: write: No space left on device" "list: a failed write exits 1 with one line"
run sh -c "'$CTL' policy alice >/dev/full"
is "$RC:$ERR" "1:nsjailctl: write: No space left on device" "policy: a failed write exits 1 with one line"
for a in --help --version "list --help"; do
	run sh -c "'$CTL' $a >/dev/full"
	is "$RC:$ERR" "1:nsjailctl: write: No space left on device" "$a: a failed write exits 1"
done

# --- not root ------------------------------------------------------------------------------
run setpriv --reuid=3001 --regid=3001 --clear-groups "$CTL" list
is "$RC:$ERR" "1:nsjailctl: must be run as root" "list as a user: exit 1"
run setpriv --reuid=3001 --regid=3001 --clear-groups "$CTL" policy alice
is "$RC" 0 "policy works for a user (the config is world-readable)"
reset_all

# --- the man pages -------------------------------------------------------------------------
for m in man/pam_nsjail.8 man/pam_nsjail.conf.5 man/nsjailctl.8; do
	if [ ! -f "$m" ]; then
		not_ok "$m exists"
		continue
	fi
	if command -v groff >/dev/null; then
		is "$(groff -ww -z -man "$m" 2>&1)" "" "$m: groff -ww -z -man is silent"
		# as man(1) renders it on an 80-column terminal (where a line too long to break warns)
		is "$(groff -ww -z -man -Tutf8 -rLL=78n "$m" 2>&1)" "" "$m: groff -ww -z -man -Tutf8 (80 columns) is silent"
	else
		ok "$m: groff lint # SKIP groff not installed"
	fi
	if command -v mandoc >/dev/null; then
		out=$(mandoc -T lint "$m" 2>&1)
		is "$?:$out" "0:" "$m: mandoc -T lint is clean (style messages included)"
	else
		ok "$m: mandoc lint # SKIP mandoc not installed"
	fi
done

done_testing
