#!/bin/bash
# Real logins through su, su -, runuser, runuser -l and login -f, each with a realistic Debian
# session stack and pam_nsjail last: they land in the user's set, the same one a session of
# any other program joins; root (exempt) keeps the namespaces of whoever called su.
. tests/lib.sh

W=/run/world/su
install -d -m 0700 $W

conf 'min_uid = 1000
default { tmp_size = "16M" }
group "lab" { hostname = "lab-%u" }'
service nsjail-test

# --- the PAM services, as Debian 12 ships them (minus systemd, selinux, motd, mail) -----
cat >/etc/pam.d/su <<EOF
auth       sufficient pam_rootok.so
session    required   pam_env.so readenv=1
session    required   pam_env.so readenv=1 envfile=/etc/default/locale
session    required   pam_limits.so
@include common-auth
@include common-account
account    required   $MODULE
@include common-session-noninteractive
session    required   $MODULE
EOF
cat >/etc/pam.d/su-l <<'EOF'
auth		include		su
account		include		su
password	include		su
session		optional	pam_keyinit.so force revoke
session		include		su
EOF
cat >/etc/pam.d/runuser <<EOF
auth		sufficient	pam_rootok.so
session		optional	pam_keyinit.so revoke
session		required	pam_limits.so
session		required	pam_unix.so
session		required	$MODULE
EOF
cat >/etc/pam.d/runuser-l <<'EOF'
auth		include		runuser
session		optional	pam_keyinit.so force revoke
session		include		runuser
EOF
cat >/etc/pam.d/login <<EOF
auth       optional   pam_faildelay.so  delay=3000000
auth       requisite  pam_nologin.so
session    required   pam_loginuid.so
session    required   pam_env.so readenv=1
session    required   pam_env.so readenv=1 envfile=/etc/default/locale
@include common-auth
auth       optional   pam_group.so
session    required   pam_limits.so
session    optional   pam_lastlog.so
session    optional   pam_keyinit.so force revoke
@include common-account
account    required   $MODULE
@include common-session-noninteractive
session    required   $MODULE
@include common-password
EOF
# cron and systemd --user: the callers cannot run here (no cron daemon, no systemd as PID 1);
# their stacks are driven the way those programs drive them (below).
cat >/etc/pam.d/cron <<EOF
@include common-auth
session    required   pam_loginuid.so
session    required   pam_env.so
session    required   pam_env.so envfile=/etc/default/locale
@include common-account
account    required   $MODULE
@include common-session-noninteractive
session    required   pam_limits.so
session    required   $MODULE
EOF
cat >/etc/pam.d/systemd-user <<EOF
@include common-account
account    required   $MODULE
session    required   pam_loginuid.so
session    required   pam_limits.so
@include common-session-noninteractive
session    optional   pam_keyinit.so force revoke
session    optional   pam_systemd.so
session    required   $MODULE
EOF

# session_stack SERVICE: the session modules in order, includes expanded
session_stack() {
	local a b c rest
	while read -r a b c rest; do
		case "$a" in
		@include) session_stack "$b" ;;
		session | -session)
			case "$b" in
			include | substack) session_stack "$c" ;;
			*) echo "$c" ;;
			esac
			;;
		esac
	done < <(grep -v '^#' "/etc/pam.d/$1")
}
for f in su su-l runuser runuser-l login cron systemd-user; do
	is "$(session_stack $f | tail -n1)" "$MODULE" "/etc/pam.d/$f: pam_nsjail is the last session module"
done

host_name=$(hostname)
short=${host_name%%.*}
host_mnt=$(readlink /proc/self/ns/mnt)
host_pid=$(readlink /proc/self/ns/pid)

# The reference: a session opened by the harness creates alice's set and leaves a marker.
as alice 'echo "alice-mark-$(cat /proc/sys/kernel/random/uuid)" >/tmp/mark'
mark=$(as alice 'cat /tmp/mark')
alice_pid=$(as alice 'readlink /proc/self/ns/pid')
like "$mark" '^alice-mark-[0-9a-f-]{36}$' "reference: a harness session of alice leaves a marker in her /tmp"
check "the marker is not on the host" test ! -e /tmp/mark
PROBE='id -un; hostname; cat /tmp/mark; readlink /proc/self/ns/pid; cat /proc/1/comm'
want=$(printf '%s\n' alice "alice-$short" "$mark" "$alice_pid" nsjail-keeper)

# closed SERVICE USER: the module's close line for that service and user
closed() { log_has "pam_nsjail($1:session): user=$2 .*action=closed"; }
joined() { log_has "pam_nsjail($1:session): user=$2 .*action=joined"; }

# --- su, su -, runuser, runuser -l ----------------------------------------------------
is "$(timeout 20 su alice -c "$PROBE" 2>&1)" "$want" "su alice -c: lands in alice's set (name, hostname, marker, pid ns, keeper)"
check "su alice: logged action=joined under service su" joined su alice
check "su alice: close_session ran (action=closed)" closed su alice
is "$(timeout 20 su - alice -c "$PROBE" 2>&1)" "$want" "su - alice -c: lands in alice's set"
check "su - alice: logged under service su-l" joined su-l alice
check "su - alice: close_session ran" closed su-l alice
is "$(timeout 20 runuser -l alice -c "$PROBE" 2>&1)" "$want" "runuser -l alice -c: lands in alice's set"
check "runuser -l: logged under service runuser-l" joined runuser-l alice
is "$(timeout 20 runuser -u alice -- /bin/sh -c "$PROBE" 2>&1)" "$want" "runuser -u alice -- CMD: lands in alice's set"
check "runuser -u: logged under service runuser" joined runuser alice
check "runuser -u: close_session ran" closed runuser alice
# su without - does not chdir: the shell starts where the caller was (/home is the world's,
# seen in the set too). Joining a mount namespace resets the cwd to its root, so the module has
# to restore it by path.
is "$(cd /home && timeout 20 su sysu -c pwd 2>&1)" "/home" "su sysu (not jailed): the shell starts in the caller's cwd"
is "$(cd /home && timeout 20 su alice -c pwd 2>&1)" "/home" "su alice (jailed, not -l): the shell starts in the caller's cwd, as unjailed"
is "$(cd /home && timeout 20 runuser -u alice -- pwd 2>&1)" "/home" "runuser -u alice: the command starts in the caller's cwd, as unjailed"
# ...by name, without following a symlink: inside the set the path may be one of the user's
# own (here in alice's /tmp, to /etc), which root must not follow for her.
timeout 20 su alice -c 'mkdir -p /tmp/cwd-x && ln -sfn /etc /tmp/cwd-x/y'
mkdir -p /tmp/cwd-x/y
is "$(cd /tmp/cwd-x/y && timeout 20 su alice -c 'pwd -P' 2>&1)" "/" \
	"su alice from a directory that is alice's symlink in her set: the shell starts in /, not where it leads"
rm -rf /tmp/cwd-x
is "$(timeout 20 su - alice -c 'echo $HOME; pwd' 2>&1)" $'/home/alice\n/home/alice' "su - starts in alice's home"
# a job started under su survives su's exit and is seen by the next login of any kind
timeout 20 su alice -c 'nohup sleep 300 </dev/null >/dev/null 2>&1 &'
# su returns before its background job has exec'd sleep: wait for it (seen from the world).
for _ in $(seq 50); do pgrep -u alice -x sleep >/dev/null && break; sleep 0.1; done
is "$(as alice 'pgrep -c -x sleep')" "1" "a nohup job started under su is seen by a later session"
is "$(timeout 20 runuser -u bob -- pgrep -c -x sleep)" "0" "...and not by bob (runuser -u bob)"
is "$(su alice -c 'ps -e -o pid=,comm=' | awk '$1 == 1 {print $2}')" "nsjail-keeper" "under su, ps shows the keeper as PID 1"
is "$(su alice -c 'ps -e -o comm=' | grep -cvE '^(nsjail-keeper|sleep|bash|ps)$')" "0" "under su, ps shows only the set's processes (nothing of the host)"

# --- login -f under a pty --------------------------------------------------------------
login_out=$(printf '%s\n' 'echo "LOGIN-BEGIN"' "$PROBE" 'echo "TTY=$(tty)"; echo "LOGINUID=$(cat /proc/self/loginuid)"' 'echo LOGIN-END' 'exit' |
	timeout 30 script -qec 'login -f alice' /dev/null 2>&1 | tr -d '\r' | sed -E 's/\x1b\[\?2004[hl]//g')
body=$(sed -n '/^LOGIN-BEGIN$/,/^LOGIN-END$/p' <<<"$login_out" | sed '1d;$d' | grep -v '^alice@')
is "$(head -n5 <<<"$body")" "$want" "login -f alice (under script's pty): lands in alice's set"
like "$body" 'TTY=/dev/pts/[0-9]+' "login -f: the shell has a pty"
like "$body" 'LOGINUID=3001' "login -f: pam_loginuid (before pam_nsjail) set the loginuid"
check "login: logged action=joined under service login" joined login alice
for i in $(seq 30); do closed login alice && break; sleep 0.1; done
check "login: close_session ran" closed login alice
if [ "$(head -n5 <<<"$body")" != "$want" ]; then
	diag "login output:"
	sed 's/^/#   /' <<<"$login_out" | tail -n 20
fi

# --- cron and systemd-user stacks ----------------------------------------------------
# cron opens the session in its per-job child and forks the job from it: pam-harness does the same.
out=$(timeout 20 "$HARNESS" -d /etc/pam.d -s cron -u alice -- /bin/sh -c "$PROBE; cat /proc/self/loginuid" 2>&1)
is "$out" "$want"$'\n'"3001" "cron stack: the job lands in alice's set, loginuid set by pam_loginuid before pam_nsjail"
check "cron stack: logged under service cron" joined cron alice
# Debian's own cron file with the module added by pam-auth-update (last line of
# common-session-noninteractive): pam_limits then runs after pam_nsjail. It must still apply.
cp /etc/pam.d/common-session-noninteractive /etc/pam.d/common-session-noninteractive-nsj
printf 'session\trequired\t\t\t%s\n' "$MODULE" >>/etc/pam.d/common-session-noninteractive-nsj
cat >/etc/pam.d/cron-debian <<'CRON'
@include common-auth
session    required     pam_loginuid.so
session       required   pam_env.so
session       required   pam_env.so envfile=/etc/default/locale
@include common-account
@include common-session-noninteractive-nsj
session    required   pam_limits.so
CRON
echo 'alice hard nofile 777' >>/etc/security/limits.conf
out=$(timeout 20 "$HARNESS" -d /etc/pam.d -s cron-debian -u alice -- /bin/sh -c "$PROBE; cat /proc/self/loginuid; echo; ulimit -Hn" 2>&1)
is "$out" "$want"$'\n'"3001"$'\n'"777" \
	"Debian's cron file, pam_nsjail added by pam-auth-update: the job is in the set, loginuid set, pam_limits (after it) applies"
check "...and no module logged an error for it" \
	bash -c "! grep -E '\\(cron-debian:' '$NSJ_LOG' | grep -qiE 'error|fail|cannot|unable'"
# systemd opens the session in the process that then execs `systemd --user`: pam-exec.py does the
# same. There the module joins all but the mount and PID namespaces, and names the keeper in
# the PAM environment for nsjail-userman, which starts the manager inside (t23, tests/host).
if [ -x /usr/bin/python3 ]; then
	out=$(timeout 20 /usr/bin/python3 tests/e2e/pam-exec.py systemd-user alice /bin/bash -c \
		'hostname; readlink /proc/self/ns/mnt; /bin/sh -c "readlink /proc/self/ns/pid"; read -r x </proc/self/comm 2>/dev/null && echo self-resolves || echo no-self; echo "$NSJAIL_KEEPER"' 2>&1)
	is "$(sed -n 1p <<<"$out")" "alice-$short" \
		"systemd-user stack: the process that execs the manager gets the set's hostname"
	is "$(sed -n 2,3p <<<"$out")" "$(readlink /proc/self/ns/mnt)"$'\n'"$(readlink /proc/self/ns/pid)" \
		"...keeps the host's mount namespace, and the host's PID namespace for its children"
	is "$(sed -n 4p <<<"$out")" self-resolves "...so its /proc/self resolves"
	like "$(sed -n 5p <<<"$out")" "^$(keeper_pid alice) [0-9]+$" \
		"...and the PAM environment names alice's keeper (for nsjail-userman)"
	check "systemd-user stack: logged under service systemd-user" joined systemd-user alice
else
	skip "systemd-user stack: /usr/bin/python3 is needed to drive it"
fi

# --- su - bob from inside alice's set is refused, clearly -----------------------------
# A process in alice's PID namespace cannot setns() into bob's, its sibling (EINVAL), and
# giving bob a shell in alice's PID namespace would show his processes to her: the module
# refuses, says why, and on_error decides (deny here).
as bob 'echo "bob-mark-$(cat /proc/sys/kernel/random/uuid)" >/tmp/mark'
bmark=$(as bob 'cat /tmp/mark')
out=$(as_root_in alice "hostname; timeout 20 su - bob -c '$PROBE'; echo rc=\$?" 2>&1)
is "$(head -n1 <<<"$out")" "alice-$short" "su - bob is run from inside alice's set (as root there)"
like "$out" 'rc=1' "su - bob from inside alice's set is refused"
check "...with a clear reason in the log, from the account phase" log_has "pam_nsjail(su-l:account): user=bob uid=3002 .*action=refused: the caller is inside the set of uid 3001, and a PID namespace cannot be left"
[[ "$out" != *"$mark"* ]] && [[ "$out" != *"$bmark"* ]] && [[ "$out" != *"lab-bob"* ]]
check "su - bob from inside alice's set never gives bob a shell in alice's set" test $? -eq 0
is "$(pgrep -c -f '^nsjail-keeper --uid 3002 ')" "1" "...and makes no second set for bob"
out=$(as_root_in alice "timeout 20 runuser -u bob -- /bin/sh -c 'cat /tmp/mark'; echo rc=\$?" 2>&1)
[[ "$out" != *"$bmark"* ]] && [[ "$out" == *rc=1* ]]
check "runuser -u bob from inside alice's set is refused too" test $? -eq 0

# --- root is exempt: su to root keeps the caller's namespaces --------------------------
is "$(timeout 20 su root -c 'readlink /proc/self/ns/mnt /proc/self/ns/pid' | tr '\n' ' ')" "$host_mnt $host_pid " \
	"su root from the host stays in the host's namespaces"
check "su root: logged action=skipped for uid 0" log_has 'pam_nsjail(su:session): user=root uid=0 .*action=skipped'
alice_mnt=$(as alice 'readlink /proc/self/ns/mnt')
out=$(as_root_in alice "timeout 20 su - root -c 'readlink /proc/self/ns/mnt; hostname; cat /tmp/mark'" 2>&1)
is "$out" "$alice_mnt"$'\n'"alice-$short"$'\n'"$mark" "su - root from inside alice's set stays in alice's set"
out=$(as_root_in alice "timeout 20 runuser -u root -- readlink /proc/self/ns/mnt" 2>&1)
is "$out" "$alice_mnt" "runuser -u root from inside alice's set stays in alice's set"
# back from root to alice, inside her own set (ssh alice@, su -, then su - alice)
out=$(as_root_in alice "timeout 20 su - alice -c 'readlink /proc/self/ns/mnt; cat /tmp/mark'" 2>&1)
is "$out" "$alice_mnt"$'\n'"$mark" "su - alice run by root inside alice's own set stays in alice's set"

# --- the set's hostname resolves (what sudo does) --------------------------------------
out=$(timeout 20 su alice -c 'getent hosts "$(hostname)"' 2>&1)
like "$out" "^127\\.0\\.1\\.1 +alice-$short( |\$)" "getent hosts \$(hostname) resolves the set's name to 127.0.1.1"
out=$(timeout 20 su alice -c 'getent ahostsv4 "$(hostname)" | head -n1' 2>&1)
like "$out" '^127\.0\.1\.1 ' "getaddrinfo (getent ahostsv4) resolves it too, as sudo does"
out=$(timeout 20 su - alice -c 'hostname -f' 2>&1)
is "$out" "alice-$short" "hostname -f works in the set (no 'unable to resolve host')"
is "$(timeout 20 su - bob -c 'getent hosts "$(hostname)" | cut -d" " -f1')" "127.0.1.1" "bob's set resolves its own name (lab-bob)"
check "the host's /etc/hosts is unchanged" test "$(grep -c "alice-$short" /etc/hosts)" = 0
localhost=$(timeout 20 su alice -c 'getent hosts localhost' | awk '{print $1}' | head -n1)
like "$localhost" '^(127\.0\.0\.1|::1)$' "the set's /etc/hosts keeps the host's entries (localhost)"

check "su - alice from inside alice's set logs action=joined (already in the set)" \
	log_has 'pam_nsjail(su-l:session): user=alice uid=3001 .*action=joined (already in the set)'

# --- every session was closed cleanly --------------------------------------------------
log_sync
# (su/runuser from inside alice's set are tested above; their failures are not counted here)
errs=$(grep -E '\((su|su-l|runuser|runuser-l|login):' "$NSJ_LOG" | grep -iE 'error|fail|cannot|unable' |
	grep -vE ': pam_nsjail\((su-l|runuser):(session|account)\): user=bob uid=3002 ns=- .*action=(failed|refused): the caller is inside the set of uid 3001')
is "$errs" "" "no PAM module of su, runuser or login logged an error"
opens=$(grep -cE 'pam_nsjail\((su|su-l|runuser|runuser-l|login):session\): user=(alice|bob) .*action=(created|joined)' "$NSJ_LOG")
closes=$(grep -cE 'pam_nsjail\((su|su-l|runuser|runuser-l|login):session\): user=(alice|bob) .*action=closed' "$NSJ_LOG")
is "$closes" "$opens" "one close_session per open_session ($opens)"

done_testing
