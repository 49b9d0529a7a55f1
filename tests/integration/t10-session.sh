#!/bin/bash
# Sessions land in the user's set: created, rejoined, isolated from other users; group policy
# through NSS; the module's arguments, its log lines, and the PAM groups it ignores.
. tests/lib.sh

conf 'min_uid = 1000
default { tmp_size = "16M" }
group "lab" { hostname = "lab-%u" }'
service nsjail-test

host_name=$(hostname)
short=${host_name%%.*}

# --- first login creates, second joins -------------------------------------------------
ns1=$(as alice 'readlink /proc/self/ns/mnt /proc/self/ns/pid /proc/self/ns/uts /proc/self/ns/ipc' | tr '\n' ' ')
like "$(grep 'user=alice' "$NSJ_LOG" | head -n1)" 'pam_nsjail\(nsjail-test:session\): user=alice uid=3001 ns=mnt:[0-9]+,ipc:[0-9]+,uts:[0-9]+,pid:[0-9]+ elapsed=[0-9]+us action=created$' \
	"first login logs one line: user, uid, namespace ids, elapsed, action=created"
like "$(last_log)" 'user=alice uid=3001 ns=mnt:[0-9]+,.* action=closed \(set kept\)$' "close_session logs one line too"
ns2=$(as alice 'readlink /proc/self/ns/mnt /proc/self/ns/pid /proc/self/ns/uts /proc/self/ns/ipc' | tr '\n' ' ')
is "$ns2" "$ns1" "second login joins the same mnt, pid, uts and ipc namespaces"
check "second login logs action=joined" log_has 'user=alice uid=3001 .*action=joined'
host_ns=$(readlink /proc/self/ns/mnt /proc/self/ns/pid | tr '\n' ' ')
like "$ns1" "^mnt:\[[0-9]+\] pid:\[[0-9]+\]" "namespace ids are read inside the session"
isnt "${ns1%% *}" "${host_ns%% *}" "the session's mount namespace is not the host's"

# the record names the keeper, first line its pid
pid=$(keeper_pid alice)
like "$pid" '^[0-9]+$' "record's first line is the keeper pid"
is "$(stat -c %a:%U $PIN)" "700:root" "pin_dir is root:root 0700"
is "$(readlink /proc/$pid/ns/mnt)" "${ns1%% *}" "the recorded keeper is in the set"
is "$(tr '\0' ' ' </proc/$pid/cmdline | cut -d' ' -f1)" "nsjail-keeper" "keeper runs the keeper executable"
if (echo -1000 >/proc/self/oom_score_adj) 2>/dev/null; then
	is "$(tr -d ' ' </proc/$pid/oom_score_adj)" "-1000" "keeper is spared by the OOM killer"
else
	skip "keeper is spared by the OOM killer: this machine's root lacks CAP_SYS_RESOURCE"
fi
is "$(cat /proc/$pid/environ | wc -c)" "0" "keeper has an empty environment"
fds=$(ls -l /proc/$pid/fd | awk 'NR>1 {print $9 $10 $11}' | sort | tr '\n' ' ')
is "$fds" "0->/dev/null 1->/dev/null 2->/dev/null " "keeper holds only /dev/null on 0-2"
is "$(awk '/^Uid:/ {print $2}' /proc/$pid/status)" "0" "keeper runs as root"
sid=$(ps -o sid= -p "$pid" | tr -d ' ')
is "$sid" "$pid" "keeper leads its own session"

# --- inside the set --------------------------------------------------------------------
is "$(as alice hostname)" "alice-$short" "hostname is the expanded template %u-%h"
is "$(as alice 'getent hosts $(hostname) | awk "{print \$1}"')" "127.0.1.1" "the set's hostname resolves through /etc/hosts"
is "$(as alice 'cat /proc/1/comm')" "nsjail-keeper" "the keeper is PID 1 inside"
# (ps alone, not in a pipeline: the other end of a pipe may not have exec'd yet when ps looks)
procs=$(as alice 'ps -e -o pid=,comm=' | sort -n | awk '{print $2}' | tr '\n' ' ')
is "$procs" "nsjail-keeper sh ps " "ps inside shows only the set's processes"
is "$(as alice 'stat -c %a /tmp')" "1777" "private /tmp has mode 1777"
like "$(as alice 'grep " /tmp " /proc/self/mounts | tail -n1')" '^pam_nsjail /tmp tmpfs rw,nosuid,nodev.*size=16384k,nr_inodes=4096' \
	"private /tmp is a nosuid,nodev tmpfs with size and nr_inodes limits"
like "$(as alice 'grep " /dev/shm " /proc/self/mounts | tail -n1')" '^pam_nsjail /dev/shm tmpfs rw,nosuid,nodev' "/dev/shm is a private tmpfs"
is "$(as alice 'ls -A /run/pam_nsjail 2>/dev/null | wc -l')" "0" "pin_dir shows nothing inside the set"
is "$(as_root_in alice 'ls -A /run/pam_nsjail')" "set-owner" "pin_dir's records are hidden even from root inside the set"
is "$(as_root_in alice 'readlink /run/pam_nsjail/set-owner')" "3001" "...which holds only the mark of whose set it is (a symlink to the owner's uid)"

# --- /tmp is shared by the user's sessions and private to them --------------------------
as alice 'echo secret > /tmp/alice-file; touch /dev/shm/alice-shm'
is "$(as alice 'cat /tmp/alice-file')" "secret" "a file in /tmp is seen by the user's next session"
check "the file is absent from the host's /tmp" test ! -e /tmp/alice-file
check "the shm object is absent from the host's /dev/shm" test ! -e /dev/shm/alice-shm
is "$(as bob 'ls /tmp/alice-file 2>/dev/null | wc -l')" "0" "another user does not see it"
is "$(as bob 'ls /dev/shm | wc -l')" "0" "another user's /dev/shm is empty"

# --- another user: own set, own name, group policy -------------------------------------
bob_ns=$(as bob 'readlink /proc/self/ns/mnt')
isnt "$bob_ns" "${ns1%% *}" "bob gets a set of his own"
is "$(as bob hostname)" "lab-bob" "group section (lab) gives bob its hostname template"
as alice 'nohup sleep 300 >/dev/null 2>&1 &'
is "$(as alice 'pgrep -c -x sleep')" "1" "a background job survives logout and is seen at the next login"
is "$(as bob 'pgrep -c -x sleep')" "0" "another user does not see it"
is "$(pgrep -c -x sleep)" "1" "the host sees it (the set is nested in the host)"
is "$(as bob 'ps -e -o comm= | grep -c nsjail-keeper')" "1" "bob's ps shows only his own keeper"

# --- carol: default policy; sysu: below min_uid ----------------------------------------
is "$(as carol hostname)" "carol-$short" "default section for a user with no section"
is "$(as sysu 'readlink /proc/self/ns/mnt')" "$(readlink /proc/self/ns/mnt)" "uid below min_uid is not jailed"
check "below min_uid logs action=skipped" log_has 'user=sysu uid=900 .*action=skipped'
is "$(session root -r -- readlink /proc/self/ns/mnt)" "$(readlink /proc/self/ns/mnt)" "root is not jailed by default"
check "root logs action=skipped (uid 0)" log_has 'user=root uid=0 .*action=skipped'

# --- pamtester drives the same module through /etc/pam.d -------------------------------
out=$(pamtester -v nsjail-test dave open_session close_session 2>&1)
like "$out" 'successfully opened a session' "pamtester: open_session succeeds"
check "pamtester: dave's set was created" test -s "$PIN/3004/keeper"
out=$(pamtester -v nsjail-test dave open_session close_session 2>&1)
check "pamtester: dave's second login joined" log_has 'user=dave uid=3004 .*action=joined'

# --- other PAM groups are ignored ------------------------------------------------------
printf 'auth required %s\naccount required %s\n' "$MODULE" "$MODULE" >/etc/pam.d/nsjail-auth
out=$(pamtester -v nsjail-auth alice authenticate 2>&1)
like "$out" 'Authentication service cannot retrieve|failure|Permission denied|Authentication failure' \
	"auth group returns PAM_IGNORE (a stack of only ignores fails)"
# Beside pam_permit, an ignore leaves the result to the other module: success, nothing logged.
# [ignore=ignore default=die]: any other return (a success too) ends the stack with a failure.
for g in auth account password; do
	printf '%s [ignore=ignore default=die] %s\n%s required pam_permit.so\n' "$g" "$MODULE" "$g" >>/etc/pam.d/nsjail-groups
done
reset_all
log_sync
before=$(grep -c 'pam_nsjail' "$NSJ_LOG")
out=$(pamtester -v nsjail-groups carol authenticate setcred acct_mgmt chauthtok 2>&1)
rc=$?
is "$rc" "0" "auth, setcred, account and password return exactly PAM_IGNORE (beside pam_permit: success)"
[ "$rc" = 0 ] || sed 's/^/#   /' <<<"$out"
log_sync
is "$(grep -c 'pam_nsjail' "$NSJ_LOG")" "$before" "...and they log nothing"
check "...and make no set" test ! -e "$PIN/3003/keeper"

# --- one line per open_session and per close_session -----------------------------------
log_sync
before=$(grep -c 'pam_nsjail' "$NSJ_LOG")
as carol true
log_sync
is "$(($(grep -c 'pam_nsjail' "$NSJ_LOG") - before))" "2" \
	"a session writes exactly two lines of the module's, whatever they say: one at open, one at close"
is "$(grep 'pam_nsjail' "$NSJ_LOG" | tail -n 2 | grep -c 'pam_nsjail(nsjail-test:session): user=carol ')" "2" \
	"...both carol's session's"

# --- config=PATH, debug ----------------------------------------------------------------
install -d -m 0755 /etc/security/alt
printf 'default { hostname = "alt-%%u" tmp_size = "16M" }\n' >/etc/security/alt/nsjail.conf
chmod 0644 /etc/security/alt/nsjail.conf
service nsjail-alt config=/etc/security/alt/nsjail.conf debug
reset_all
is "$(SVC=nsjail-alt as carol hostname)" "alt-carol" "config=PATH: the policy comes from PATH"
check "config=PATH: the module accepts it (no unknown-option line)" \
	bash -c "! grep -q 'unknown or invalid option \"config=' $NSJ_LOG"
log_sync
like "$(grep 'pam_nsjail(nsjail-alt:session)' "$NSJ_LOG" | grep -Ec 'policy from default \((parsed|cached parse)\), keeper pid [0-9]')" '^[1-9]' \
	"debug: the section the policy came from and the keeper's pid are logged"
is "$(grep 'pam_nsjail(nsjail-test:session)' "$NSJ_LOG" | grep -c 'policy from')" "0" "without debug they are not"
kp=$(keeper_pid carol)
like "$(grep -E "pam_nsjail\(nsjail-alt:session\): policy from default \((parsed|cached parse)\), keeper pid $kp" "$NSJ_LOG" | head -n1)" '^<87>' \
	"debug lines go to authpriv.debug"
conf 'default { tmp_size = "16M" }'
is "$(SVC=nsjail-alt as dave hostname)" "alt-dave" "config=PATH: the default config is not read"
# a config= that is not an absolute path names no policy: a failure, which on_error decides
service nsjail-rel config=relative.conf
service nsjail-rel-allow config=relative.conf on_error=allow
reset_all
out=$(SVC=nsjail-rel as dave 'echo RAN' 2>&1)
is "$?" "90" "config=relative: the session is denied"
check "config=relative: ...without running the command" test "${out#*RAN}" = "$out"
like "$(last_log)" 'user=dave uid=3004 .*action=failed: option config=relative.conf: not an absolute path$' \
	"config=relative: logged with the reason"
host_uts=$(readlink /proc/self/ns/uts)
is "$(SVC=nsjail-rel-allow as dave 'readlink /proc/self/ns/uts')" "$host_uts" \
	"config=relative with on_error=allow: the session goes on unjailed"
# a user NSS does not know: denied, and logged without a made-up uid
"$HARNESS" -d "$PAMD" -s nsjail-test -u nosuchuser -- /bin/true >/dev/null 2>&1
is "$?" "90" "a user unknown to NSS: the session is denied"
like "$(last_log)" 'user=nosuchuser uid=\? ns=- .*action=failed: unknown user nosuchuser$' "...logged with uid=?"
reset_all

# --- group sections through NSS: primary or supplementary, first in file order ---------
# (world: dave's primary group is dave, he is also in lab; bob is in lab; carol in staff2)
conf 'group "dave" { hostname = "prim-%u" }
group "lab" { hostname = "lab-%u" }
group "staff2" { hostname = "s2-%u" }'
is "$(as dave hostname)" "prim-dave" "a group section matches the primary group (dave, listed before lab)"
is "$(as bob hostname)" "lab-bob" "a group section matches a supplementary group (bob in lab)"
is "$(as carol hostname)" "s2-carol" "...and another one (carol in staff2)"
reset_all
conf 'group "lab" { hostname = "lab-%u" }
group "dave" { hostname = "prim-%u" }'
is "$(as dave hostname)" "lab-dave" "the first matching group in file order wins, primary or not"
conf 'user "dave" { hostname = "u-%u" }
group "dave" { hostname = "prim-%u" }'
reset_all
is "$(as dave hostname)" "u-dave" "a user section wins over every group section"
reset_all

# --- the host replaces its /etc/hosts by a rename (sed -i, an editor): the kernel detaches
# the set's copy, mounted over the old file, in every set; the next login puts it back ----
conf 'min_uid = 1000'
as alice 'sleep 300 </dev/null >/dev/null 2>&1 &'
sp=$(pgrep -u alice -x sleep | head -n1)
hn=$(as alice hostname)
cp /etc/hosts /etc/hosts.new && echo "10.9.9.9 renamed-in" >>/etc/hosts.new && mv /etc/hosts.new /etc/hosts
check "(the host's rename took the set's /etc/hosts away)" test -z "$(grep -w "$hn" /proc/$sp/root/etc/hosts)"
is "$(as alice 'grep -c -w "$(hostname)" /etc/hosts; grep -c renamed-in /etc/hosts')" $'1\n1' \
	"after the host's rename, the next login has the set's hostname in /etc/hosts again, with the host's new lines"
check "...for the set's other processes too" grep -q -w "$hn" /proc/$sp/root/etc/hosts
is "$(as alice 'grep -c " /etc/hosts " /proc/self/mountinfo')" "1" "...with one mount there, not one per login"
pkill -u alice -x sleep
reset_all

# --- a host with no /etc/hosts (a minimal install without netbase) ----------------------
rm /etc/hosts # the world's /etc is an overlay: the host's file is untouched
is "$(as alice 'getent hosts $(hostname) | awk "{print \$1}"')" "127.0.1.1" \
	"no /etc/hosts on the host: the login works and the set's hostname resolves"
like "$(as alice 'getent hosts localhost | awk "{print \$1}" | head -n1')" '^(127\.0\.0\.1|::1)$' \
	"...and so does localhost, from the generated file"
is "$(stat -c %s:%U:%a /etc/hosts)" "0:root:644" "the host gets an empty root 0644 /etc/hosts to mount on"
reset_all
# The next set (the first one ended: a reset, a failed user@.service) finds that empty file.
like "$(as alice 'getent hosts localhost | awk "{print \$1}" | head -n1')" '^(127\.0\.0\.1|::1)$' \
	"an empty /etc/hosts on the host (the mount point left): localhost still resolves in the next set"
reset_all

# A set is announced ready only once its PID 1 is hardened and named (keeper.c, --ready): a
# first login finds it as ps shows it (it was "exe" for the moment of the keeper's re-exec).
names=""
for i in 1 2 3 4 5 6 7 8 9 10; do
	names+="$(as alice 'cat /proc/1/comm') "
	reset_all
done
is "$names" "$(printf 'nsjail-keeper %.0s' 1 2 3 4 5 6 7 8 9 10)" \
	"ten first logins: each finds PID 1 named nsjail-keeper from its first moment"

done_testing
