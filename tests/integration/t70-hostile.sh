#!/bin/bash
# Hostile users and hostile callers. Users attack what they can influence: objects planted at
# the tmp_dir path and its parents, a RENAME_EXCHANGE race between a directory and a symlink,
# tmp_paths under a world-writable /tmp, tampered pin dirs and records, a namespace of their own
# dressed up as a keeper. A hostile caller (su run by a user) picks the environment, umask,
# rlimits, inherited fds and stdio, and may SIGKILL su mid-set-up. Then: fd leaks into sessions
# and keepers, user names at the edges, tmpfs limits.
# The rule everywhere: no host file is created, changed or chowned, no link is followed, nothing
# that root did not start is joined; a login either fails closed or succeeds safely.
. tests/lib.sh

W=/run/world
service nsjail-test
short=$(hostname -s 2>/dev/null || hostname)
short=${short%%.*}

# --- helpers --------------------------------------------------------------------------------
cc -O2 -o $W/swap tests/hostile/swap.c || { not_ok "build tests/hostile/swap.c"; done_testing; }
# A library that says where it was loaded: must never reach a keeper.
cc -shared -fPIC -DLOG_PATH="\"$W/evil.log\"" -o $W/evil.so tests/hostile/evil-preload.c
: >$W/evil.log
chmod 0666 $W/evil.log
# Programs a module must never run through PATH: each leaves a mark.
mkdir -p $W/evilbin
for p in sh bash mount umount unshare nsenter hostname nsjail-keeper true cat ls; do
	printf '#!/bin/sh\ntouch %s/evil-ran-%s\nexec /bin/%s "$@"\n' $W $p $p >$W/evilbin/$p
	chmod 0755 $W/evilbin/$p
done

# Things an attack would aim at. Root's, and a snapshot that shows any change to them.
echo 'root secret' >$W/rootfile
chmod 0600 $W/rootfile
mkdir -p -m 0700 $W/rootdir
echo 'root secret' >$W/rootdir/file
snap() {
	local p
	for p in /etc /etc/passwd /etc/shadow /etc/hosts $W/rootfile $W/rootdir $W/rootdir/file "$@"; do
		stat -c '%n %F %i %u:%g %a %s %Y %Z %h' -- "$p" 2>/dev/null || echo "$p absent"
	done
	ls -A $W/rootdir
	md5sum </etc/passwd
	# (the propagation paths' own mount points, made once at the first login, are by design)
	awk '$5 !~ "^/(home|media|mnt|net|run/media|run/user)(/|$)"' /proc/self/mountinfo | grep -c .
}
keepers() { pgrep -f -- "^nsjail-keeper --uid $1 " | sort -n | tr '\n' ' '; }
# as_user UID CMD...: run CMD with real uid/gid UID (a user running a setuid su).
as_user() {
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$u" --init-groups -- "$@"
}
# the mount namespace of a process, as a host path sees it
mntns() { readlink "/proc/$1/ns/mnt"; }
# the last open_session line of the log (close_session logs a line of its own after it)
last_open() { log_sync; grep 'pam_nsjail' "$NSJ_LOG" | grep -v 'action=closed' | tail -n 1; }
count_log() { log_sync; grep -c -- "$1" "$NSJ_LOG"; }
# end every keeper of uid $1, recorded or not (a test that hid a record leaves one behind)
kill_keepers() { local p; for p in $(keepers "$1"); do kill -KILL "$p"; done; sleep 0.1; }
# Raising a hard rlimit back needs CAP_SYS_RESOURCE, which root lacks in some containers: there
# a hostile caller's lowered *hard* limits stay (harmless to others), so only soft ones are tested.
cap_resource=$(( (0x$(awk '/^CapEff:/ {print $2}' /proc/self/status) >> 24) & 1 ))
if [ "$cap_resource" = 1 ]; then lim=; else lim=-S; fi

# --- 1. tmp = dir: objects planted at the per-user path and at each parent ------------------
# tmp_dir = $W/tmproot/lvl/%U: parents are /run, /run/world, $W/tmproot (root 0755) and
# $W/tmproot/lvl; the per-user directory is .../lvl/3001; the instance of /tmp is .../3001/tmp.
mkdir -p -m 0755 $W/tmproot
chmod 0755 $W/tmproot
conf "default { tmp = dir  tmp_dir = \"$W/tmproot/lvl/%U\" }"
LVL=$W/tmproot/lvl
UDIR=$LVL/3001
INST=$UDIR/tmp

before=$(snap)
out=$(as alice 'echo hello >/tmp/mine; stat -c "%i %a" /tmp; echo RAN' 2>&1)
like "$out" 'RAN' "tmp = dir: a clean first login works"
is "$(stat -c '%U %a' $LVL $UDIR $INST | tr '\n' ' ')" "root 755 root 700 root 1777 " \
	"tmp = dir: parent root 0755, per-user directory root 0700, instance root 1777"
is "${out%%$'\n'*}" "$(stat -c '%i %a' $INST)" "tmp = dir: the session's /tmp is the instance directory"
is "$(stat -c %U $INST/mine 2>/dev/null)" "alice" "tmp = dir: the user's file lands in the instance, owned by her"
is "$(snap)" "$before" "tmp = dir: a clean login changes no host file"
reset_all

# plant KIND PATH: put KIND at PATH, as root (as if the user had while a parent was writable).
plant() {
	local kind=$1 p=$2
	rm -rf "$p"
	case $kind in
	symlink-etc) ln -s /etc "$p" ;;
	symlink-rootdir) ln -s $W/rootdir "$p" ;;
	symlink-dangling) ln -s $W/rootdir/new "$p" ;;
	fifo) mkfifo -m 0666 "$p" ;;
	file) echo planted >"$p" ;;
	hardlink) ln $W/rootfile "$p" ;;
	userdir) mkdir -m 0755 "$p" && chown alice:alice "$p" ;;
	dir0777) mkdir "$p" && chmod 0777 "$p" ;;
	esac
}
# attempt DESC [PATH]: log alice in; the login fails closed, or succeeds with /tmp being the
# instance directory; either way no host file changes (PATH: the planted object, watched too)
# and no keeper is left behind but the recorded one.
attempt() {
	local desc=$1 watch=${2:-} before after out rc kp
	before=$(snap $watch)
	out=$(timeout 20 "$HARNESS" -d "$PAMD" -s nsjail-test -u alice -- /bin/sh -c 'stat -c %i /tmp; echo RAN' 2>&1)
	rc=$?
	after=$(snap $watch)
	if [ $rc -eq 90 ] && [[ "$out" != *RAN* ]]; then
		ok "$desc: login fails closed"
		like "$(last_log)" 'user=alice .*action=failed: set-up: tmp_dir .*(symlink|not a directory|not owned by root|writable by others|Not a directory|Too many levels)' \
			"$desc: logged with the reason"
	elif [ $rc -eq 0 ] && [ "${out%%$'\n'*}" == "$(stat -c %i $INST 2>/dev/null)" ]; then
		ok "$desc: login succeeds safely (/tmp is the root-owned instance directory)"
	else
		not_ok "$desc: login fails closed or succeeds safely (rc=$rc: $out)"
	fi
	is "$after" "$before" "$desc: no host file created, changed or chowned"
	kp=$(keeper_pid alice)
	is "$(keepers 3001)" "${kp:+$kp }" "$desc: no keeper left behind"
	reset_all
}

for kind in symlink-etc symlink-rootdir symlink-dangling fifo file hardlink userdir dir0777; do
	plant $kind $LVL
	attempt "parent $LVL is a $kind" $LVL
	rm -rf $LVL
done
mkdir -m 0755 $LVL
for kind in symlink-etc symlink-rootdir symlink-dangling fifo file hardlink userdir dir0777; do
	plant $kind $UDIR
	attempt "per-user directory $UDIR is a $kind" $UDIR
	rm -rf $UDIR
done
mkdir -m 0700 $UDIR
for kind in symlink-etc symlink-rootdir symlink-dangling fifo file hardlink userdir dir0777; do
	plant $kind $INST
	# (a root-owned directory there is used, made 1777: not watched)
	attempt "instance $INST is a $kind" "$([[ $kind == dir* ]] || echo $INST)"
	rm -rf $INST
done
# one level up: the grandparent $W/tmproot
mv $W/tmproot $W/tmproot.real
for kind in symlink-rootdir fifo userdir dir0777; do
	plant $kind $W/tmproot
	attempt "grandparent $W/tmproot is a $kind" $W/tmproot
	rm -rf $W/tmproot
done
mv $W/tmproot.real $W/tmproot

# A user-writable parent is refused, whatever is in it.
conf "default { tmp = dir  tmp_dir = \"/tmp/nsj-tmp/%U\" }"
before=$(snap)
out=$(as alice 'echo RAN' 2>&1)
is "$?" "90" "tmp_dir under world-writable /tmp: login denied"
like "$(last_log)" 'action=failed: set-up: tmp_dir /tmp/nsj-tmp/3001: not owned by root or writable by others' \
	"...because /tmp is writable by others"
check "...and nothing was created in /tmp" test ! -e /tmp/nsj-tmp
is "$(snap)" "$before" "...and no host file changed"
reset_all

# An existing root-owned parent keeps its mode: the module makes what is missing, and never
# widens (or narrows) what an administrator made.
conf "default { tmp = dir  tmp_dir = \"$W/tmproot/lvl/%U\" }"
rm -rf $LVL
mkdir -m 0751 $LVL
chmod 0751 $LVL
as alice true
is "$(stat -c %a $LVL)" "751" "an existing root-owned parent of tmp_dir keeps its mode (0751)"
chmod 0711 $W/tmproot
as bob true
is "$(stat -c %a $W/tmproot)" "711" "...and so does a grandparent (0711)"
chmod 0755 $W/tmproot
reset_all

# --- 2. a RENAME_EXCHANGE race while 50 logins run ------------------------------------------
# alice swaps her directory /tmp/alice-scratch with a symlink to /etc (and back) as fast as she
# can; every login sets up a fresh set (persist = false) that puts its private instance on
# tmp_paths = {"/tmp/alice-scratch"}. No login may mount over /etc, inside or outside the set.
cat >$W/probe.sh <<'EOF'
#!/bin/sh
# what a session sees: mounts on /etc, /etc/passwd, where the private instances are
echo "etc_mounts=$(awk '$2 == "/etc" || $2 ~ /^\/etc\// {print $1 ":" $2 ":" $3}' /proc/self/mounts | sort | tr '\n' ' ')"
echo "passwd=$(md5sum </etc/passwd | cut -d' ' -f1)"
echo "instances=$(awk '$1 == "pam_nsjail" || $2 ~ /alice/ {print $2}' /proc/self/mounts | tr '\n' ' ')"
echo RAN
EOF
chmod 0755 $W/probe.sh
host_passwd=$(md5sum </etc/passwd | cut -d' ' -f1)
# what a session sees on /etc without any race: the host's /etc and the set's /etc/hosts
conf 'default { tmp_size = "1M" }'
etc_mounts=$(as alice "sh $W/probe.sh" | grep '^etc_mounts=')
like "$etc_mounts" '^etc_mounts=pam_nsjail:/etc/hosts:tmpfs world-etc:/etc:overlay $' \
	"(a session sees the host's /etc and the set's /etc/hosts)"
reset_all

# race DESC: 50 logins (5 waves of 10) during the swap loop; each login must fail with
# "symlinks are not followed" or succeed with no mount on /etc and the host's /etc/passwd.
race() {
	local desc=$1 i bad=0 okn=0 denied=0 before after out f
	rm -rf /tmp/alice-scratch /tmp/alice-link
	as_user 3001 mkdir /tmp/alice-scratch
	as_user 3001 ln -s /etc /tmp/alice-link
	before=$(snap)
	# (setpriv execs swap: $! is the swapper itself)
	setpriv --reuid=3001 --regid=3001 --init-groups -- $W/swap /tmp/alice-scratch /tmp/alice-link 60 >$W/swap.out &
	local swapper=$!
	sleep 0.2
	for wave in 1 2 3 4 5; do
		for i in $(seq 10); do
			timeout 20 "$HARNESS" -d "$PAMD" -s nsjail-test -u alice -- /bin/sh $W/probe.sh >$W/race.$wave.$i 2>&1 &
		done
		wait $(jobs -p | grep -v "^$swapper$")
	done
	kill $swapper 2>/dev/null
	wait $swapper 2>/dev/null
	after=$(snap)
	for f in $W/race.*; do
		out=$(cat "$f")
		if [[ "$out" == *RAN* ]]; then
			if [[ "$out" == *"$etc_mounts"* && "$out" == *"passwd=$host_passwd"* ]]; then
				okn=$((okn + 1))
			else
				bad=$((bad + 1))
				diag "unsafe session: $out"
			fi
		elif [[ "$out" == *"open_session"* ]]; then
			denied=$((denied + 1))
		else
			bad=$((bad + 1))
			diag "odd result: $out"
		fi
	done
	rm -f $W/race.*
	diag "$desc: $okn logins succeeded, $denied were denied, $(cat $W/swap.out 2>/dev/null || echo '?') exchanges"
	is "$bad" "0" "$desc: 50 logins during the race: each denied or safe (no mount on /etc, host /etc/passwd)"
	is "$((okn + denied))" "50" "$desc: every login finished"
	is "$after" "$before" "$desc: no host file changed and no mount added on the host"
	if [ "$denied" -gt 0 ]; then
		check "$desc: denials say that symlinks are not followed" \
			log_has 'action=failed: set-up: /tmp/alice-scratch: Too many levels of symbolic links (symlinks are not followed)'
	fi
	is "$(keepers 3001)" "" "$desc: no keeper is left (persist = false tears each set down)"
	rm -rf /tmp/alice-scratch /tmp/alice-link
}
conf 'default { persist = false  tmp_size = "1M"  tmp_paths = {"/tmp/alice-scratch"} }'
race "tmp = tmpfs"
conf "default { persist = false  tmp = dir  tmp_dir = \"$W/tmproot/race/%U\"  tmp_paths = {\"/tmp/alice-scratch\"} }"
race "tmp = dir"

# The same swap on a tmp_dir component under a user-writable parent: every login is refused
# and nothing is created where the symlink points.
conf 'default { tmp = dir  tmp_dir = "/tmp/alice-tmpdir/x/%U" }'
rm -rf /tmp/alice-tmpdir /tmp/alice-tmplink
as_user 3001 mkdir /tmp/alice-tmpdir
as_user 3001 ln -s $W/rootdir /tmp/alice-tmplink
before=$(snap)
setpriv --reuid=3001 --regid=3001 --init-groups -- $W/swap /tmp/alice-tmpdir /tmp/alice-tmplink 60 >/dev/null &
swapper=$!
n_ok=0
for i in $(seq 20); do
	as alice 'echo RAN' >/dev/null 2>&1 && n_ok=$((n_ok + 1))
done
kill $swapper
wait $swapper 2>/dev/null
is "$n_ok" "0" "swap on a tmp_dir component under /tmp: all 20 logins are refused"
is "$(snap)" "$before" "...and nothing is created where the symlink points"
rm -rf /tmp/alice-tmpdir /tmp/alice-tmplink
reset_all

# --- 3. tmp_paths under a world-writable parent: a planted symlink is never followed --------
for mode in tmpfs dir; do
	# (alone in tmp_paths: after a private /tmp, /tmp/alice-scratch would be looked up there)
	conf "default { tmp = $mode  tmp_dir = \"$W/tmproot/tp/%U\"  tmp_paths = {\"/tmp/alice-scratch\"} }"
	rm -rf /tmp/alice-scratch
	as_user 3002 ln -s /etc /tmp/alice-scratch # bob plants it for alice
	before=$(snap)
	out=$(as alice 'echo RAN' 2>&1)
	is "$?" "90" "tmp = $mode, tmp_paths = /tmp/alice-scratch planted as a symlink to /etc: login denied"
	like "$(last_log)" 'action=failed: set-up: /tmp/alice-scratch: .*\(symlinks are not followed\)' \
		"tmp = $mode: ...with \"symlinks are not followed\""
	is "$(snap)" "$before" "tmp = $mode: ...and /etc is untouched"
	is "$(keepers 3001)" "" "tmp = $mode: ...and no keeper is left"
	rm -f /tmp/alice-scratch
	# a directory that another user planted: the instance goes over it, inside the set only
	as_user 3002 mkdir -m 0777 /tmp/alice-scratch
	out=$(as alice 'stat -c %U /tmp/alice-scratch; ls -A /tmp/alice-scratch | wc -l' 2>&1)
	is "$(echo $out)" "root 0" "tmp = $mode: a directory planted by bob gets alice's private instance over it"
	is "$(stat -c %U /tmp/alice-scratch)" "bob" "tmp = $mode: ...and the host's directory is still bob's"
	rm -rf /tmp/alice-scratch
	reset_all
done

# --- 4. tampering with the pin dir ----------------------------------------------------------
conf 'default { tmp_size = "1M" }'
as alice true
old=$(keeper_pid alice)
# tampered DESC MESSAGE-REGEX: after a change made just before, alice's login is denied with
# MESSAGE and nothing is joined or started
tampered() {
	local desc=$1 re=$2 out rc
	out=$(as alice 'readlink /proc/self/ns/mnt; echo RAN' 2>&1)
	rc=$?
	if [ $rc -eq 90 ] && [[ "$out" != *RAN* ]]; then ok "$desc: login denied"; else not_ok "$desc: login denied (rc=$rc: $out)"; fi
	like "$(last_log)" "user=alice .*action=failed: $re" "$desc: logged with the reason"
	is "$(keepers 3001)" "$old " "$desc: no keeper started"
}
chown alice $PIN
tampered "pin dir owned by a user" "pin_dir $PIN: owned by uid 3001, not root"
chown root $PIN
chmod 0777 $PIN
tampered "pin dir mode 0777" "pin_dir $PIN: writable by group or others"
chmod 0700 $PIN
mv $PIN $W/pin.real
mkdir -m 0700 $W/pin.fake
ln -s $W/pin.fake $PIN
tampered "pin dir is a symlink" "pin_dir $PIN: a symlink or not a directory"
rm $PIN
mv $W/pin.real $PIN
check "...and nothing was written where the symlink pointed" test -z "$(ls -A $W/pin.fake)"
chown alice $PIN/3001
tampered "the user's record directory owned by her" "record dir 3001: owned by uid 3001, not root"
chown root $PIN/3001
chmod 0777 $PIN/3001
tampered "the user's record directory mode 0777" "record dir 3001: writable by group or others"
chmod 0700 $PIN/3001
is "$(as alice 'readlink /proc/self/ns/mnt')" "$(mntns $old)" "after the tampering is undone, the set is joined again"
reset_all

# --- 5. tampering with the record: never trust, never join ---------------------------------
# write_record PID [FILE]: a record that names PID with its true start time and namespaces
write_record() {
	local pid=$1 f=${2:-$PIN/3001/keeper} k
	mkdir -p -m 0700 $PIN/3001
	{
		echo "$pid"
		echo "start $(awk '{print $22}' /proc/$pid/stat)"
		echo "uid 3001"
		echo "user alice"
		echo "created 0"
		echo "nsdev $(stat -L -c %d /proc/$pid/ns/mnt)"
		for k in mnt ipc uts pid; do echo "$k $(stat -L -c %i /proc/$pid/ns/$k)"; done
	} >"$f"
	chmod 0600 "$f"
}
# not_joined DESC DECOY-PID WHY: alice's next login neither joins the decoy's namespaces nor
# leaves the decoy's record in place, and logs WHY (a regex) with action=repaired
not_joined() {
	local desc=$1 decoy=$2 why=$3 ns n
	n=$(count_log 'user=alice .*action=repaired')
	ns=$(as alice 'readlink /proc/self/ns/mnt; cat /proc/1/comm' 2>&1 | tr '\n' ' ')
	like "$ns" '^mnt:\[[0-9]+\] nsjail-keeper $' "$desc: the login lands in a set of its own keeper"
	isnt "${ns%% *}" "$(mntns $decoy)" "$desc: ...not in the decoy's mount namespace"
	isnt "$(keeper_pid alice)" "$decoy" "$desc: ...and the record is replaced"
	is "$(count_log 'user=alice .*action=repaired')" "$((n + 1))" "$desc: ...logged as repaired"
	like "$(grep 'user=alice .*action=repaired' "$NSJ_LOG" | tail -n 1)" "action=repaired \\($why\\)\$" \
		"$desc: ...and why"
	reset_all
}
# a process of the user's own, recorded with its true start time and namespaces
as_user 3001 sleep 300 &
decoy=$!
sleep 0.2
write_record $decoy
not_joined "record naming the user's own sleep" $decoy "pid $decoy is not a root-owned namespace init"
# the same record, owned by the user (as if she could write it)
write_record $decoy
chown alice $PIN/3001/keeper
not_joined "record owned by the user" $decoy "record: not a root-owned regular file, ignored"
write_record $decoy
chmod 0666 $PIN/3001/keeper
not_joined "record writable by others" $decoy "record: not a root-owned regular file, ignored"
kill $decoy
# a namespace the user built (firejail CVE-2022-31214): PID 1 of its own PID namespace, root
# inside its user namespace, /etc replaced by her own; recorded with its true pid, start and
# namespace inodes
as_user 3001 unshare -Urmp --fork --mount-proc sh -c \
	'mount -t tmpfs evil /etc && echo "root::0:0:root:/root:/bin/sh" >/etc/passwd && exec sleep 300' &
sleep 0.5
decoy=$(pgrep -u alice -x sleep -n)
like "$(grep NSpid /proc/$decoy/status)" 'NSpid:.*[[:space:]]1$' "the user's decoy is PID 1 of its own PID namespace"
write_record $decoy
n=$(count_log 'user=alice .*action=repaired')
ns=$(as alice 'readlink /proc/self/ns/mnt; md5sum </etc/passwd | cut -d" " -f1' 2>&1 | tr '\n' ' ')
isnt "${ns%% *}" "$(mntns $decoy)" "a namespace built by the user (unshare -Urmp) is not joined"
is "${ns#* }" "$host_passwd " "...the session sees the host's /etc/passwd, not hers"
is "$(count_log 'user=alice .*action=repaired')" "$((n + 1))" "...the set was repaired"
kill "$(pgrep -u alice -x unshare)" "$decoy" 2>/dev/null
reset_all
# the record as a symlink to /etc/shadow, and as a FIFO: never read through, never hang
as alice true
kp=$(keeper_pid alice)
before=$(snap)
ln -sf /etc/shadow $PIN/3001/keeper
ns=$(timeout 20 "$HARNESS" -d "$PAMD" -s nsjail-test -u alice -- readlink /proc/self/ns/mnt 2>&1)
isnt "$ns" "$(mntns $kp)" "a record that is a symlink is not trusted (not joined)"
like "$ns$(stat -c %F $PIN/3001/keeper)" '(^mnt:\[[0-9]+\]regular file$|open_session.*symbolic link$)' \
	"...the login is denied, or the record replaced by a regular file"
is "$(snap)" "$before" "...and /etc/shadow is untouched"
rm -f $PIN/3001/keeper
kill_keepers 3001
reset_all
mkdir -p -m 0700 $PIN/3001
mkfifo -m 0600 $PIN/3001/keeper
out=$(timeout 20 "$HARNESS" -d "$PAMD" -s nsjail-test -u alice -- echo RAN 2>&1)
is "$out" "RAN" "a record that is a FIFO does not hang the login (it is replaced)"
reset_all

# --- 6. hostile caller: su run by the user --------------------------------------------------
# su's PAM stack for this section: authentication passes (the caller knows the password).
# (In a sanitizer build the setuid su gets the runtime from the world's /etc/ld.so.preload, which
# secure-execution mode honours; the caller's LD_PRELOAD it ignores.)
su_section() {
	printf 'auth required pam_permit.so\naccount required pam_permit.so\nsession required %s\n' "$MODULE" >/etc/pam.d/su
	conf 'default { tmp_size = "1M" }'
	rm -rf $PIN
	: >$W/evil.log
	rm -f $W/evil-ran-*
	# alice runs su with LD_PRELOAD, PATH, IFS, umask 0777, tiny RLIMIT_NOFILE/NPROC/CPU, an fd 7 of
	# her own, and asks for a shell in her set.
	hostile_su() {
		as_user 3001 env -i LD_PRELOAD=$W/evil.so PATH=$W/evilbin:/usr/bin:/bin IFS=$'/\t' HOME=/home/alice \
			/bin/bash -c "umask 0777; ulimit $lim -n 32; ulimit $lim -u 64; ulimit $lim -t 30; exec 7</home/alice; "'exec su alice -c "$1"' sh "$1"
	}
	out=$(hostile_su '/bin/readlink /proc/self/ns/mnt; /bin/cat /proc/1/comm; echo RAN' 2>&1)
	like "$out" 'RAN' "hostile su: the login works"
	kp=$(keeper_pid alice)
	like "$kp" '^[0-9]+$' "hostile su: a keeper is recorded"
	is "$(wc -c </proc/$kp/environ)" "0" "hostile su: the keeper's environment is empty"
	is "$(ls -l /proc/$kp/fd | awk 'NR>1 {print $9 $10 $11}' | sort | tr '\n' ' ')" \
		"0->/dev/null 1->/dev/null 2->/dev/null " "hostile su: the keeper holds only /dev/null on 0-2"
	check "hostile su: LD_PRELOAD never reaches the keeper" test -z "$(grep evil.so /proc/$kp/maps; grep nsjail-keeper $W/evil.log)"
	check "hostile su: no program was run through the caller's PATH" test -z "$(ls $W/evil-ran-* 2>/dev/null)"
	is "$(stat -c %a $PIN $PIN/3001 $PIN/3001/keeper | tr '\n' ' ')" "700 700 600 " \
		"hostile su with umask 0777: pin dir 0700, record dir 0700, record 0600"
	is "$(awk '/^Uid:/ {print $2, $3, $4, $5}' /proc/$kp/status)" "0 0 0 0" \
		"hostile su: the keeper's real, effective, saved uids are 0 (not the caller's)"
	is "$(awk '/^Gid:/ {print $2, $3, $4, $5}' /proc/$kp/status) / $(awk '/^Groups:/ {print $2}' /proc/$kp/status)" "0 0 0 0 / " \
		"hostile su: the keeper's gids are 0 and it has no supplementary groups"
	# (in the order of /proc/PID/limits: cpu time, processes, open files)
	is "$(awk '/^Max open files/ {print ($4 >= 1024)} /^Max cpu time/ {print $4} /^Max processes/ {print ($3 == "unlimited" || $3 > 64)}' /proc/$kp/limits | tr '\n' ' ')" \
		"unlimited 1 1 " "hostile su: the keeper does not keep the caller's ${lim:+soft }rlimits (nofile 32, cpu 30 s, nproc 64)"
	out=$(hostile_su '/bin/readlink /proc/self/ns/mnt' 2>&1)
	is "$(last_open | grep -o 'action=[a-z]*')" "action=joined" "hostile su: the next su login joins the set it made"
	is "$out" "$(mntns "$kp")" "hostile su: ...the same mount namespace"
	is "$(keepers 3001)" "$(keeper_pid alice) " "hostile su: one keeper for the user, the recorded one"
	kp=$(keeper_pid alice)
	as_user 3001 kill -KILL "$kp" 2>/dev/null
	sleep 0.1
	check "hostile su: the user cannot kill her keeper" test -d /proc/$kp
	reset_all
	kill_keepers 3001
}
su_section

# --- 7. hostile caller: the module loaded by a root program with a hostile environment ------
# LD_PRELOAD (loaded into the caller itself), PATH, IFS, umask 000, tiny RLIMIT_NOFILE, an fd 7
# on /etc/shadow, and stdio closed.
rm -rf $PIN
: >$W/evil.log
rm -f $W/evil-ran-*
# the fds a program run by the caller sees without the module, then with it
cat >$W/fdprobe.sh <<'EOF'
#!/bin/sh
# absolute paths: PATH is the hostile caller's
/bin/ls -l /proc/self/fd | /usr/bin/awk 'NR > 1 {t = $11; gsub(/[0-9]+/, "N", t); print $9, t}' >"$1"
EOF
(exec 7</etc/shadow; umask 000; LD_PRELOAD=$W/evil.so PATH=$W/evilbin:/usr/bin:/bin IFS=/ prlimit --nofile=24:$([ "$cap_resource" = 1 ] && echo 24) \
	/bin/sh $W/fdprobe.sh $W/fds.plain <&- >&- 2>&-)
plain_rc=$?
(exec 7</etc/shadow; umask 000; LD_PRELOAD=$W/evil.so PATH=$W/evilbin:/usr/bin:/bin IFS=/ prlimit --nofile=24:$([ "$cap_resource" = 1 ] && echo 24) \
	"$HARNESS" -d "$PAMD" -s nsjail-test -u alice -r -- /bin/sh $W/fdprobe.sh $W/fds.session <&- >&- 2>&-)
is "$?" "$plain_rc" "hostile root caller with closed stdio: the login works (the command's status comes back)"
kp=$(keeper_pid alice)
like "$(cat $W/fds.plain)" '7 /etc/shadow' "(the caller passes fd 7 on /etc/shadow)"
is "$(sort $W/fds.session)" "$(sort $W/fds.plain)" \
	"hostile root caller: the session has exactly the fds the caller passed (fd 7 included)"
is "$(wc -c </proc/$kp/environ)" "0" "hostile root caller: the keeper's environment is empty"
is "$(ls -l /proc/$kp/fd | awk 'NR>1 {print $9 $10 $11}' | sort | tr '\n' ' ')" \
	"0->/dev/null 1->/dev/null 2->/dev/null " "hostile root caller with closed stdio: the keeper holds /dev/null on 0-2, nothing else"
check "hostile root caller: LD_PRELOAD never reaches the keeper" test -z "$(grep evil.so /proc/$kp/maps; grep nsjail-keeper $W/evil.log)"
check "hostile root caller: no program was run through the caller's PATH" test -z "$(ls $W/evil-ran-* 2>/dev/null)"
is "$(stat -c %a $PIN $PIN/3001 $PIN/3001/keeper | tr '\n' ' ')" "700 700 600 " \
	"hostile root caller with umask 000: pin dir 0700, record dir 0700, record 0600"
is "$(awk '/^Max open files/ {print ($4 >= 1024)}' /proc/$kp/limits)" "1" \
	"hostile root caller: the keeper does not keep the caller's ${lim:+soft }RLIMIT_NOFILE of 24"
reset_all

# --- 8. the caller SIGKILLed at each step of a first login ---------------------------------
# 1..50 ms in 2 ms steps around a first login (which takes a few ms): every run ends with
# either no set, or a recorded set; a keeper that was never recorded is never joined.
conf 'default { tmp_size = "1M" }'
for ms in $(seq 1 2 51); do
	reset_all
	timeout -s KILL "0.0$(printf %02d $ms)" "$HARNESS" -d "$PAMD" -s nsjail-test -u alice -- /bin/true >/dev/null 2>&1
done
# And at each step of the module's own work, exactly: strace injects SIGKILL into the caller
# (only the caller is traced, not its children) at the Nth call of a system call.
for step in mkdirat:1 flock:1 pipe2:1 clone3:1 write:1 wait4:1 pidfd_open:1 unlinkat:1 write:2 \
	renameat:1 write:3 setns:1; do
	reset_all
	strace -o /dev/null -e trace="${step%%:*}" -e inject="${step%%:*}:signal=KILL:when=${step##*:}" \
		"$HARNESS" -d "$PAMD" -s nsjail-test -u alice -- /bin/true >/dev/null 2>&1
	is "$?" "137" "caller killed at ${step%%:*} #${step##*:}: (it was killed there)"
	ns=$(as alice 'readlink /proc/self/ns/mnt; cat /proc/1/comm' 2>&1 | tr '\n' ' ')
	kp=$(keeper_pid alice)
	like "$ns" '^mnt:\[[0-9]+\] nsjail-keeper $' "caller killed at ${step%%:*} #${step##*:}: the next login works"
	is "${ns%% *}" "$(mntns "$kp")" "caller killed at ${step%%:*} #${step##*:}: ...in the recorded set"
done
sleep 0.2
recorded=$(keeper_pid alice)
all=$(keepers 3001)
diag "after the kills: keepers [$all], recorded [$recorded]"
ns=$(as alice 'readlink /proc/self/ns/mnt; cat /proc/1/comm' 2>&1 | tr '\n' ' ')
like "$ns" '^mnt:\[[0-9]+\] nsjail-keeper $' "after all the killed first logins the next login works"
kp=$(keeper_pid alice)
is "${ns%% *}" "$(mntns $kp)" "...in the recorded keeper's set (a consistent set)"
joined_unrecorded=0
for p in $all; do
	[ "$p" == "$kp" ] && continue
	[ "$(mntns $p 2>/dev/null)" == "${ns%% *}" ] && joined_unrecorded=1
done
is "$joined_unrecorded" "0" "...never in the set of a keeper that was not recorded"
for i in 1 2 3; do as alice true; done
is "$(as alice 'readlink /proc/self/ns/mnt')" "$(mntns $kp)" "later logins keep joining the recorded set"
# A keeper that was never confirmed ends itself: at once when its creator's commit pipe closes,
# at the latest after the commit timeout (30 s in keeper.c).
for i in $(seq 70); do
	[ "$(keepers 3001)" == "$kp " ] && break
	sleep 0.5
done
is "$(keepers 3001)" "$kp " "unconfirmed keepers end themselves: the recorded keeper is the only one left"
reset_all

# --- 9. leaks: nothing of the module's in a session or a keeper ----------------------------
conf 'default { tmp_size = "1M" }'
as alice true
kp=$(keeper_pid alice)
fds=$(as alice 'for f in /proc/self/fd/*; do readlink $f; done' 2>&1 | tr '\n' ' ')
diag "a session's fds: $fds"
bad=$(echo "$fds" | tr ' ' '\n' | grep -E '^((mnt|ipc|uts|pid|net|cgroup|time|user):\[|anon_inode:|/run/pam_nsjail|/proc/[0-9]+/ns)')
is "$bad" "" "a session holds no nsfs, pidfd or anonymous fd, nor one on the pin dir"
fds=$(as_root_in alice 'for f in /proc/self/fd/*; do [ -d "$f" ] && readlink "$f"; done; true' 2>&1 | tr '\n' ' ')
is "$fds" "" "a session holds no directory fd (no host directory)"
is "$(ls -l /proc/$kp/fd | awk 'NR>1 {print $9 $10 $11}' | sort | tr '\n' ' ')" \
	"0->/dev/null 1->/dev/null 2->/dev/null " "the keeper holds only /dev/null on 0-2"
is "$(readlink /proc/$kp/cwd) $(readlink /proc/$kp/root)" "/ /" "the keeper's cwd and root are its set's /"
is "$(as_root_in alice 'ls -A /proc/1/fd | tr "\n" " "')" "0 1 2 " "inside the set, PID 1 has fds 0-2 only"
like "$(as alice 'awk "{print \$5}" /proc/self/mountinfo | grep -c "^/run/pam_nsjail$"')" '^1$' \
	"the pin dir is covered by one mount inside the set"
reset_all

# --- 10. user names at the edges give valid hostnames ---------------------------------------
long=abcdefghijklmnopqrstuvwxyz012345 # 32 characters
cat >>/etc/passwd <<P
$long:x:3201:3001::/home/alice:/bin/sh
j.doe:x:3202:3001::/home/alice:/bin/sh
12345:x:3203:3001::/home/alice:/bin/sh
UPPER:x:3204:3001::/home/alice:/bin/sh
under_score:x:3205:3001::/home/alice:/bin/sh
dot.:x:3206:3001::/home/alice:/bin/sh
P
conf 'default { hostname = "%u-%h"  tmp_size = "1M" }'
valid='^[A-Za-z0-9]([A-Za-z0-9.-]{0,62}[A-Za-z0-9])?$'
# user and the hostname "%u-%h" gives: '_' becomes '-', a label never ends with '-' or '.'
for t in "$long $long-$short" "j.doe j.doe-$short" "12345 12345-$short" "UPPER UPPER-$short" \
	"under_score under-score-$short" "dot. dot.$short"; do
	u=${t%% *}
	h=$(as "$u" hostname 2>&1)
	is "$h" "${t#* }" "user \"$u\": hostname is the sanitised template"
	like "$h" "$valid" "user \"$u\": \"$h\" is made of [A-Za-z0-9.-], at most 64 bytes"
	if [[ "$h" =~ (^|\.)-|-(\.|$) ]]; then
		not_ok "user \"$u\": no label of \"$h\" begins or ends with '-' (RFC 1123)"
	else
		ok "user \"$u\": no label of \"$h\" begins or ends with '-' (RFC 1123)"
	fi
done
reset_all
# A result longer than 64 bytes is a config error for that user (logged), not a truncation.
conf 'default { hostname = "%u-%u"  tmp_size = "1M" }'
out=$(as "$long" 'echo RAN' 2>&1)
is "$?" "90" "hostname \"%u-%u\" for a 32-character name (65 bytes): login denied"
like "$(last_log)" "user=$long uid=3201 .*action=failed: .*hostname template \"%u-%u\" gives \"$long-$long\" \\(65 bytes, more than 64\\)" \
	"...logged as an error with the full name (no truncation)"
is "$(as alice hostname)" "alice-alice" "...while the same template works for a short name"
reset_all

# --- 11. resource limits of the private tmpfs -----------------------------------------------
conf 'default { tmp_size = "1M" }'
like "$(as alice 'grep " /tmp " /proc/self/mounts | tail -n1')" '^pam_nsjail /tmp tmpfs rw,nosuid,nodev.*size=1024k,nr_inodes=1024' \
	"tmp_size = 1M: /tmp is a tmpfs with size=1024k and nr_inodes=1024"
like "$(as alice 'dd if=/dev/zero of=/tmp/big bs=64k count=32 2>&1; rm -f /tmp/big')" 'No space left on device' \
	"writing 2 MiB into a 1 MiB /tmp fails with ENOSPC"
like "$(as alice 'i=0; while [ $i -lt 1100 ]; do printf "" >/tmp/f$i || break; i=$((i+1)); done 2>&1; echo created=$i; rm -f /tmp/f*')" \
	'No space left on device.*created=10[0-9][0-9]' "creating 1100 empty files fails with ENOSPC (nr_inodes)"
like "$(as alice 'grep " /dev/shm " /proc/self/mounts | tail -n1')" 'size=1024k' \
	"/dev/shm, private to the set, has a size limit too (tmp_size)"
reset_all

# --- 12. a login that holds the user's lock and is stopped (su keeps the user's real uid) ----
as alice true
flock "$PIN/3001" sleep 40 &
lp=$!
for _ in $(seq 50); do grep -q " FLOCK .* WRITE " /proc/locks && break; sleep 0.1; done
start=$SECONDS
out=$(timeout 30 "$HARNESS" -d "$PAMD" -s nsjail-test -u alice -- echo RAN 2>&1; echo rc=$?)
took=$((SECONDS - start))
like "$out" 'rc=90$' "the user's lock held by a stopped login: a later login is refused, not hung"
check "...after the lock's wait, well within 30 s (took ${took} s)" test "$took" -ge 14 -a "$took" -le 25
like "$(last_log)" 'user=alice .*action=failed: record dir 3001: still locked after 15 s' "...and says why"
pkill -P $lp; kill $lp 2>/dev/null; wait $lp 2>/dev/null
is "$(as alice 'echo RAN')" "RAN" "...and once the holder is gone, logins work again"
reset_all

done_testing
