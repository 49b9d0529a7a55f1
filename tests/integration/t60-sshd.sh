#!/bin/bash
# Real logins through OpenSSH: a real sshd on 127.0.0.1 (key login, UsePAM, a realistic Debian
# session stack with pam_nsjail last) puts every ssh session of a user into that user's set.
. tests/lib.sh

W=/run/world/sshd
install -d -m 0700 $W

conf 'min_uid = 1000
default { tmp_size = "16M" }
group "lab" { hostname = "lab-%u" }
user "carol" { enable = false }'

# --- the world's sshd ------------------------------------------------------------------
cp /etc/pam.d/sshd /etc/pam.d/common-session $W/ 2>/dev/null # the distribution's, for later
cat >/etc/pam.d/sshd <<EOF
# as Debian 12 ships it (minus selinux, motd, mail), pam_nsjail last
@include common-auth
account    required     pam_nologin.so
@include common-account
account    required     $MODULE
session    required     pam_loginuid.so
session    optional     pam_keyinit.so force revoke
session    required     pam_limits.so
session    required     pam_env.so readenv=1 user_readenv=0
session    required     pam_env.so readenv=1 user_readenv=0 envfile=/etc/default/locale
session    required     pam_unix.so
session    required     $MODULE
@include common-password
EOF
echo 'alice hard nofile 1234' >>/etc/security/limits.conf
echo 'NSJ_FROM_ENVIRONMENT=etc-environment' >>/etc/environment
echo 'NSJ_FROM_PAM_ENV DEFAULT=pam-env-conf' >>/etc/security/pam_env.conf

ssh-keygen -q -t ed25519 -N '' -C world-host -f $W/host_key
ssh-keygen -q -t ed25519 -N '' -C world-client -f $W/client_key
for u in alice bob carol; do
	install -d -m 0700 -o $u -g $u /home/$u/.ssh
	install -m 0600 -o $u -g $u $W/client_key.pub /home/$u/.ssh/authorized_keys
done
printf 'Host *\n  BatchMode yes\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n' >$W/ssh_config

SSHD_PID=
cleanup() {
	local m
	for m in "$W"/cm-*; do
		[ -S "$m" ] && ssh -F $W/ssh_config -S "$m" -O exit x 2>/dev/null
	done
	[ -n "$SSHD_PID" ] && kill "$SSHD_PID" 2>/dev/null
	true
}
trap cleanup EXIT

# The world shares the host's network: find a free port on 127.0.0.1.
start_sshd() {
	local try i
	for try in 1 2 3 4 5 6 7 8; do
		PORT=$((20000 + RANDOM % 30000))
		sshd_config $PORT $W
		: >$W/sshd.log
		/usr/sbin/sshd -D -f $W/sshd_config -E $W/sshd.log &
		SSHD_PID=$!
		for i in $(seq 50); do
			grep -q 'Server listening on' $W/sshd.log && return 0
			kill -0 $SSHD_PID 2>/dev/null || break
			sleep 0.1
		done
		kill $SSHD_PID 2>/dev/null
		wait $SSHD_PID 2>/dev/null
		SSHD_PID=
	done
	return 1
}
if ! start_sshd; then
	not_ok "sshd starts on 127.0.0.1"
	sed 's/^/# /' $W/sshd.log
	done_testing
fi
ok "sshd starts on 127.0.0.1:$PORT with UsePAM and its own /etc/pam.d/sshd"

# s USER [ssh options] CMD: a command over ssh (notty), with a timeout.
s() {
	local user=$1 cmd=${!#}
	shift
	timeout 20 ssh -F $W/ssh_config -i $W/client_key -p "$PORT" "${@:1:$#-1}" "$user@127.0.0.1" "$cmd" 2>>$W/ssh-client.err
}
# closed_count USER: how many close_session lines the module logged for USER.
closed_count() { log_sync; grep -c "user=$1 .*action=closed" "$NSJ_LOG"; }
# wait_closed USER N: until USER has N close lines (sshd closes after the client has gone).
wait_closed() {
	local i
	for i in $(seq 50); do
		[ "$(closed_count "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

host_name=$(hostname)
short=${host_name%%.*}
host_pidns=$(readlink /proc/self/ns/pid)

# --- two logins of one user share the set ----------------------------------------------
out1=$(s alice 'readlink /proc/self/ns/pid; hostname; echo "mark-$(cat /proc/sys/kernel/random/uuid)" >/tmp/ssh-mark; cat /tmp/ssh-mark;
	nohup sleep 300 </dev/null >/dev/null 2>&1 & echo started')
mapfile -t a1 <<<"$out1"
is "${a1[3]}" "started" "first ssh login runs its command"
log_sync
like "$(grep 'user=alice' "$NSJ_LOG" | grep -v closed | head -n1)" 'pam_nsjail\(sshd:session\): user=alice uid=3001 ns=mnt:[0-9]+,ipc:[0-9]+,uts:[0-9]+,pid:[0-9]+ .*action=created' \
	"first ssh login creates the set (service name sshd)"
isnt "${a1[0]}" "$host_pidns" "the ssh session is not in the host's PID namespace"
is "${a1[1]}" "alice-$short" "the ssh session has the expanded hostname"
check "sshd closed the first session (close_session logged action=closed)" wait_closed alice 1
out2=$(s alice 'readlink /proc/self/ns/pid; hostname; cat /tmp/ssh-mark; pgrep -c -x sleep')
mapfile -t a2 <<<"$out2"
is "${a2[0]}" "${a1[0]}" "a second ssh login is in the same PID namespace"
is "${a2[2]}" "${a1[2]}" "the file written to /tmp by the first login is read by the second"
is "${a2[1]}" "alice-$short" "the second login has the same hostname"
is "${a2[3]}" "1" "the nohup job of the first login survived logout and is seen by the second"
check "second ssh login logs action=joined" log_has 'pam_nsjail(sshd:session): user=alice uid=3001 .*action=joined'
check "the file is absent from the host's /tmp" test ! -e /tmp/ssh-mark
out3=$(s bob 'hostname; ls /tmp/ssh-mark 2>/dev/null | wc -l; pgrep -c -x sleep; readlink /proc/self/ns/pid')
mapfile -t b <<<"$out3"
is "${b[0]}" "lab-bob" "bob's ssh session has his own hostname (group lab)"
is "${b[1]}" "0" "bob does not see alice's /tmp file"
is "${b[2]}" "0" "bob does not see alice's processes"
isnt "${b[3]}" "${a1[0]}" "bob is in a PID namespace of his own"

# --- the realistic stack: loginuid, limits, pam_env ------------------------------------
out=$(s alice 'cat /proc/self/loginuid; echo; ulimit -Hn; echo "$NSJ_FROM_ENVIRONMENT"; echo "$NSJ_FROM_PAM_ENV"; cat /proc/1/comm')
mapfile -t e <<<"$out"
is "${e[0]}" "3001" "pam_loginuid (before pam_nsjail) set the loginuid to alice's uid"
is "${e[1]}" "1234" "pam_limits applies (hard nofile 1234)"
is "${e[2]}" "etc-environment" "pam_env readenv=1: /etc/environment reaches the session"
is "${e[3]}" "pam-env-conf" "pam_env: /etc/security/pam_env.conf reaches the session"
is "${e[4]}" "nsjail-keeper" "...and the session is in the set (keeper is PID 1)"

# --- an interactive pty session --------------------------------------------------------
pty=$(timeout 30 ssh -F $W/ssh_config -i $W/client_key -p "$PORT" -tt alice@127.0.0.1 2>>$W/ssh-client.err <<'EOF' | tr -d '\r'
echo TTY=$(tty)
sleep 100 &
jobs
echo PS-BEGIN; ps -e -o pid=,comm=; echo PS-END
kill %1
exit
EOF
)
like "$pty" "alice@alice-$short:~\\$ " "ssh -tt: an interactive shell prints its prompt (with the set's hostname)"
like "$pty" $'TTY=/dev/pts/[0-9]+\n' "ssh -tt: tty is a /dev/pts/N"
like "$pty" '\[1\]\+ +Running +sleep 100 &' "ssh -tt: job control (sleep 100 &, jobs)"
ps_in=$(sed -n '/PS-BEGIN$/,/^PS-END$/p' <<<"$pty" | sed '1d;$d')
is "$(awk '$1 == 1 {print $2}' <<<"$ps_in")" "nsjail-keeper" "ssh -tt: ps -e shows the keeper as PID 1"
is "$(awk '{print $2}' <<<"$ps_in" | grep -cvE '^(nsjail-keeper|sshd|bash|sleep|ps)$')" "0" \
	"ssh -tt: ps -e shows only the set's processes (keeper, sshd's user child, bash, sleep, ps)"
like "$ps_in" 'sshd' "ssh -tt: sshd's user child is inside the set"
check "ssh -tt: nothing of the host (syslog-catch, the listening sshd) is visible" \
	test "$(grep -cE 'syslog-catch' <<<"$ps_in")" = 0
is "$(grep -c 'sshd' <<<"$ps_in")" "1" "ssh -tt: only the session's own sshd process is seen"

# --- ControlMaster: one connection, several channels -----------------------------------
log_sync
opens_before=$(grep -cE 'pam_nsjail\(sshd:session\): user=alice .*action=(created|joined)' "$NSJ_LOG")
timeout 20 ssh -F $W/ssh_config -i $W/client_key -p "$PORT" -o ControlMaster=yes -o ControlPath=$W/cm-alice \
	-o ControlPersist=no -fN alice@127.0.0.1 2>>$W/ssh-client.err
check "ControlMaster: the master connection is up" test -S $W/cm-alice
c1=$(s alice -o ControlPath=$W/cm-alice -o ControlMaster=no 'readlink /proc/self/ns/pid; cat /tmp/ssh-mark; echo chan1 >/tmp/chan1')
c2=$(s alice -o ControlPath=$W/cm-alice -o ControlMaster=no 'readlink /proc/self/ns/pid; cat /tmp/ssh-mark; cat /tmp/chan1')
is "$c1" "${a1[0]}"$'\n'"${a1[2]}" "ControlMaster: channel 1 is in alice's set"
is "$c2" "${a1[0]}"$'\n'"${a1[2]}"$'\nchan1' "ControlMaster: channel 2 shares the set with channel 1"
log_sync
opens_after=$(grep -cE 'pam_nsjail\(sshd:session\): user=alice .*action=(created|joined)' "$NSJ_LOG")
is "$((opens_after - opens_before))" "1" "ControlMaster: one open_session for the connection and its channels"
timeout 10 ssh -F $W/ssh_config -S $W/cm-alice -O exit alice@127.0.0.1 2>/dev/null
rm -f $W/cm-alice

# --- sftp and scp uploads land in the private /tmp -------------------------------------
echo "uploaded by sftp" >$W/up-sftp
echo "uploaded by scp" >$W/up-scp
echo "uploaded by scp -O" >$W/up-scpo
chmod 0644 $W/up-*
printf 'put %s /tmp/up-sftp\n' $W/up-sftp >$W/sftp-batch
timeout 20 sftp -F $W/ssh_config -i $W/client_key -P "$PORT" -b $W/sftp-batch alice@127.0.0.1 >/dev/null 2>>$W/ssh-client.err
check "sftp: upload succeeds" test $? -eq 0
timeout 20 scp -F $W/ssh_config -i $W/client_key -P "$PORT" $W/up-scp alice@127.0.0.1:/tmp/up-scp 2>>$W/ssh-client.err
check "scp (sftp protocol): upload succeeds" test $? -eq 0
timeout 20 scp -O -F $W/ssh_config -i $W/client_key -P "$PORT" $W/up-scpo alice@127.0.0.1:/tmp/up-scpo 2>>$W/ssh-client.err
check "scp -O (scp protocol): upload succeeds" test $? -eq 0
out=$(s alice 'cat /tmp/up-sftp /tmp/up-scp /tmp/up-scpo')
is "$out" $'uploaded by sftp\nuploaded by scp\nuploaded by scp -O' "sftp and scp uploads land in alice's private /tmp"
check "the uploads are absent from the host's /tmp" test ! -e /tmp/up-sftp -a ! -e /tmp/up-scp -a ! -e /tmp/up-scpo
out=$(timeout 20 sftp -F $W/ssh_config -i $W/client_key -P "$PORT" -b - alice@127.0.0.1 <<<'ls -1 /tmp' 2>>$W/ssh-client.err)
like "$out" 'up-sftp' "sftp sees the private /tmp (ls)"

# --- fd hygiene: a jailed session holds what an unjailed one holds ---------------------
# normalize: "FD -> TARGET" with pts numbers, pipe/socket ids and pids taken out
norm_fds() { grep -E '^l[rwx-]{9}' | awk '{print $9, $10, $11}' | sed -E 's/\[[0-9]+\]/[]/; s#/dev/pts/[0-9]+#/dev/pts/N#; s#/proc/[0-9]+/#/proc/PID/#' | sort; }
jailed=$(s alice 'ls -l /proc/$$/fd; :' | norm_fds)
unjailed=$(s carol 'ls -l /proc/$$/fd; :' | norm_fds)
check "carol is exempt (user carol { enable = false }): her session is not jailed" \
	log_has 'pam_nsjail(sshd:session): user=carol uid=3003 .*action=skipped'
is "$jailed" "$unjailed" "the jailed shell holds the same fds as an unjailed one (notty)"
pty_fds() {
	printf 'ls -l /proc/$$/fd\nexit\n' | timeout 20 ssh -F $W/ssh_config -i $W/client_key -p "$PORT" -tt "$1@127.0.0.1" 2>/dev/null |
		tr -d '\r' | norm_fds
}
jailed=$(pty_fds alice)
unjailed=$(pty_fds carol)
like "$jailed" '/dev/pts/N' "the pty shell's fds are listed"
is "$jailed" "$unjailed" "the jailed shell holds the same fds as an unjailed one (pty)"
# sshd's own processes: the [priv] monitor (which ran open_session) and the user child
s alice 'sleep 4' &
bg1=$!
s carol 'sleep 4' &
bg2=$!
proc_fds() { ls -l "/proc/$1/fd" 2>/dev/null | norm_fds; }
for i in $(seq 30); do
	ma=$(pgrep -f '^sshd: alice \[priv\]' | head -n1)
	mc=$(pgrep -f '^sshd: carol \[priv\]' | head -n1)
	ua=$(pgrep -f '^sshd: alice@notty' | head -n1)
	uc=$(pgrep -f '^sshd: carol@notty' | head -n1)
	[ -n "$ma" ] && [ -n "$mc" ] && [ -n "$ua" ] && [ -n "$uc" ] && break
	sleep 0.1
done
sleep 0.3 # both shells started: the monitors are past open_session
if [ -n "$ma" ] && [ -n "$mc" ]; then
	fa=$(proc_fds "$ma")
	like "$fa" 'socket:\[\]' "sshd's monitor fds are listed (it holds its sockets)"
	is "$fa" "$(proc_fds "$mc")" "sshd's monitor holds the same fds after a jailed open_session as after an unjailed one"
else
	not_ok "sshd's monitor processes found (alice: '$ma', carol: '$mc')"
fi
if [ -n "$ua" ] && [ -n "$uc" ]; then
	is "$(proc_fds "$ua")" "$(proc_fds "$uc")" "sshd's user child holds the same fds jailed and unjailed"
else
	not_ok "sshd's user child processes found (alice: '$ua', carol: '$uc')"
fi
wait $bg1 $bg2

# --- close_session ran cleanly for every login -----------------------------------------
log_sync
n_open=$(grep -cE 'pam_nsjail\(sshd:session\): user=alice .*action=(created|joined)' "$NSJ_LOG")
wait_closed alice "$n_open"
is "$(closed_count alice)" "$n_open" "every alice login was closed by sshd (one action=closed per open)"
errs=$(grep -E 'error|PAM' $W/sshd.log)
is "$errs" "" "sshd's log shows no error and no PAM complaint"
errs=$(grep -iE 'sshd.*(error|fail|cannot|unable)' "$NSJ_LOG" | grep -v 'nsjail-test-mark')
is "$errs" "" "no PAM module logged an error to syslog for sshd"

# --- why last: pam_loginuid placed after pam_nsjail silently fails -------------------
cp /etc/pam.d/sshd $W/pam-sshd.good
sed -e '/pam_loginuid.so/d' -e "s#^session    required     $MODULE\$#&\nsession    required     pam_loginuid.so#" $W/pam-sshd.good >/etc/pam.d/sshd
if grep -A1 "$MODULE" /etc/pam.d/sshd | grep -q pam_loginuid; then
	out=$(s alice 'cat /proc/self/loginuid; echo; cat /proc/1/comm')
	is "$out" $'4294967295\nnsjail-keeper' "pam_loginuid after pam_nsjail: login goes on in the set but loginuid stays unset (why pam_nsjail goes last)"
else
	not_ok "could not build the misordered stack"
fi
cp $W/pam-sshd.good /etc/pam.d/sshd

# --- the distribution's own sshd file, module added by pam-auth-update --------------
# `pam-auth-update --enable nsjail` appends the line to common-session (priority -1: after
# pam_systemd), which Debian's sshd file includes before pam_motd, pam_mail, pam_limits, pam_env
# and pam_selinux open: those then run after pam_nsjail. They must still work.
if [ -f $W/sshd ] && grep -q '^@include common-session$' $W/sshd; then
	cp $W/sshd /etc/pam.d/sshd
	{ cat $W/common-session; echo "session	required			$MODULE"; } >/etc/pam.d/common-session
	out=$(s alice 'cat /proc/self/loginuid; echo; ulimit -Hn; echo "$NSJ_FROM_ENVIRONMENT"; hostname; cat /tmp/ssh-mark; cat /proc/1/comm')
	is "$out" $'3001\n1234\n'"etc-environment"$'\n'"alice-$short"$'\n'"${a1[2]}"$'\nnsjail-keeper' \
		"Debian's sshd file + pam_nsjail at the end of common-session: in the set, loginuid, limits and pam_env right"
	cp $W/common-session /etc/pam.d/common-session
	cp $W/pam-sshd.good /etc/pam.d/sshd
else
	skip "the distribution's /etc/pam.d/sshd does not include common-session"
fi

# --- on_error = deny: a setup failure gives no shell -----------------------------------
# With the account line (as pam-auth-update installs it) a config that cannot be loaded is
# refused before the session: sshd ends the login at authentication.
conf 'default { bogus = 1 }'
out=$(s alice 'echo RAN')
rc=$?
isnt "$out" "RAN" "on_error=deny, broken config, account line: the command does not run"
is "$rc" "255" "on_error=deny, broken config, account line: refused at authentication (ssh exits 255)"
check "...refused by the account phase, logged" log_has "pam_nsjail(sshd:account): user=alice uid=3001 .*action=refused: $CONF:1"
# Without it (a stack an administrator wrote by hand) the session fails, and sshd ends the login.
grep -v "^account    required     $MODULE\$" $W/pam-sshd.good >/etc/pam.d/sshd
out=$(s alice 'echo RAN')
rc=$?
isnt "$out" "RAN" "on_error=deny, broken config: the command does not run"
is "$rc" "254" "on_error=deny, broken config: ssh exits 254"
check "the failure is logged" log_has "pam_nsjail(sshd:session): user=alice uid=3001 .*action=failed: $CONF:1"
like "$(grep -c 'PAM session not opened\|pam_open_session' $W/sshd.log)" '^[1-9]' "sshd logs that the PAM session failed"
conf 'default { tmp_size = "16M" }'
chmod 0600 "$CONF"
chown alice "$CONF"
out=$(s alice 'echo RAN')
rc=$?
isnt "$out" "RAN" "on_error=deny, config not owned by root: the command does not run"
is "$rc" "254" "on_error=deny, config not owned by root: ssh exits 254"
# Without a command (-N) sshd keeps the connection but restricts it: no forwarding.
out=$(timeout 10 ssh -F $W/ssh_config -i $W/client_key -p "$PORT" -N -o ExitOnForwardFailure=yes \
	-R "127.0.0.1:0:127.0.0.1:$PORT" alice@127.0.0.1 2>&1)
rc=$?
is "$rc" "255" "on_error=deny, ssh -N -R: the connection ends (forwarding refused), rc 255"
like "$out" 'remote port forwarding failed' "on_error=deny, ssh -N -R: remote port forwarding failed"
# A set-up failure no account phase can foresee (the keeper's program gone): the session fails,
# and sshd ends the login, with a command as without one.
conf 'min_uid = 1000
default { tmp_size = "16M" }'
reset_all
kp_bin=/usr/libexec/pam_nsjail/nsjail-keeper
mv $kp_bin $kp_bin.off
out=$(s alice 'echo RAN')
rc=$?
isnt "$out" "RAN" "on_error=deny, a set that cannot be made (no keeper program): the command does not run"
is "$rc" "254" "...ssh exits 254"
check "...and the reason is logged" log_has "pam_nsjail(sshd:session): user=alice uid=3001 .*action=failed: .*nsjail-keeper"
check "...and no record is left" test ! -e $PIN/3001/keeper
mv $kp_bin.off $kp_bin
is "$(s alice 'echo RAN')" "RAN" "a fixed config lets alice in again"
cp $W/pam-sshd.good /etc/pam.d/sshd
is "$(s alice 'echo RAN')" "RAN" "...with the account line too"

# --- end: sshd goes away ---------------------------------------------------------------
kill "$SSHD_PID"
wait "$SSHD_PID" 2>/dev/null
check "sshd is stopped" test ! -d "/proc/$SSHD_PID"
SSHD_PID=
if [ -s $W/ssh-client.err ]; then
	diag "ssh client stderr:"
	sed 's/^/#   /' $W/ssh-client.err | tail -n 20
fi
done_testing
