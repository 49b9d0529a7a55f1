#!/bin/bash
# The account phase, and refusals that hold under every caller — real sudo included, which
# runs the command when pam_open_session returns PAM_SESSION_ERR. pam_nsjail's account line
# refuses what open_session is certain to refuse (a caller inside another user's set, a config
# that cannot be loaded under on_error=deny; root exempt); a refused session is
# PAM_PERM_DENIED, which sudo enforces.
. tests/lib.sh

conf 'min_uid = 1000
default { tmp_size = "16M" }
group "lab" { hostname = "lab-%u" }'
service nsjail-test
short=$(hostname)
short=${short%%.*}
host_mnt=$(readlink /proc/self/ns/mnt)

# --- sudo, as Debian 12 ships it, with pam_nsjail in account and session -----------------
for svc in sudo sudo-i; do
	inc=common-session-noninteractive
	[ $svc = sudo-i ] && inc=common-session
	cat >/etc/pam.d/$svc <<EOF
session    required   pam_limits.so
@include common-auth
@include common-account
account    required   $MODULE
@include $inc
session    required   $MODULE
EOF
done
install -m 0440 /dev/stdin /etc/sudoers.d/nsjail-test <<'EOF'
alice ALL=(alice, bob, root) NOPASSWD: ALL
EOF
check "sudo's configuration is valid (visudo -c)" visudo -cq

# a PAM service with only the module's account line, for pamtester
printf 'account required %s\naccount required pam_permit.so\n' "$MODULE" >/etc/pam.d/nsjail-acct
printf 'account required %s on_error=allow\naccount required pam_permit.so\n' "$MODULE" >/etc/pam.d/nsjail-acct-allow
acct() { pamtester "${SVC:-nsjail-acct}" "$1" acct_mgmt 2>&1; }

alice_mnt=$(as alice 'readlink /proc/self/ns/mnt')
bob_mnt=$(as bob 'readlink /proc/self/ns/mnt')
as alice 'echo alice-was-here >/tmp/mark'

# --- from alice's set, sudo -u bob is refused; nothing runs -----------------------------
out=$(as alice 'sudo -u bob sh -c "echo RAN; readlink /proc/self/ns/mnt"; echo rc=$?' 2>&1)
like "$out" 'rc=1$' "sudo -u bob from inside alice's set fails"
check "...and runs no command" test "${out/RAN/}" = "$out"
like "$out" 'sudo: pam_open_session: Permission denied' "...with sudo's message: pam_open_session: Permission denied"
check "...and the reason in the log" log_has "pam_nsjail(sudo:session): user=bob uid=3002 .*action=failed: the caller is inside the set of uid 3001"
is "$(pgrep -c -f '^nsjail-keeper --uid 3002 ')" "1" "...and no second set for bob"

# --- from alice's set, sudo -i (root: exempt) works and stays in alice's set ------------
out=$(as alice 'sudo -i sh -c "id -un; readlink /proc/self/ns/mnt; cat /tmp/mark"; echo rc=$?' 2>&1)
is "$out" "root"$'\n'"$alice_mnt"$'\n'"alice-was-here"$'\n'"rc=0" "sudo -i from inside alice's set works (root exempt), in alice's set"
out=$(as alice 'sudo -u alice readlink /proc/self/ns/mnt' 2>&1)
is "$out" "$alice_mnt" "sudo -u alice from her own set stays in her set"

# --- from the host, root's sudo -u bob lands in bob's set -------------------------------
out=$(sudo -u bob sh -c 'id -un; hostname; readlink /proc/self/ns/mnt; cat /proc/1/comm' 2>&1)
is "$out" "bob"$'\n'"lab-bob"$'\n'"$bob_mnt"$'\n'"nsjail-keeper" "root's sudo -u bob from the host lands in bob's set"
check "...logged action=joined under service sudo" log_has "pam_nsjail(sudo:session): user=bob uid=3002 .*action=joined"
out=$(sudo -u bob readlink /proc/self/ns/mnt 2>&1)
isnt "$out" "$host_mnt" "...not in the host's mount namespace"

# --- the account phase itself (pamtester acct_mgmt) -------------------------------------
log_sync
before=$(grep -c 'pam_nsjail' "$NSJ_LOG")
is "$(acct bob)" "pamtester: account management done." "account: from the host, bob passes (PAM_IGNORE)"
is "$(acct root)" "pamtester: account management done." "account: root passes"
log_sync
is "$(grep -c 'pam_nsjail' "$NSJ_LOG")" "$before" "...and nothing is logged when nothing is refused"
out=$(as_root_in alice 'pamtester nsjail-acct bob acct_mgmt' 2>&1)
like "$out" 'Permission denied' "account: inside alice's set, bob's account is refused (PAM_PERM_DENIED)"
like "$(log_sync; grep 'nsjail-acct:account' "$NSJ_LOG" | tail -n1)" 'pam_nsjail\(nsjail-acct:account\): user=bob uid=3002 ns=- elapsed=[0-9]+us action=refused: the caller is inside the set of uid 3001, and a PID namespace cannot be left' \
	"...in one log line with the reason"
like "$(as_root_in alice 'pamtester nsjail-acct alice acct_mgmt' 2>&1)" 'account management done' \
	"account: inside alice's set, alice's own account passes"
like "$(as_root_in alice 'pamtester nsjail-acct sysu acct_mgmt' 2>&1)" 'account management done' \
	"account: inside alice's set, a user the policy leaves out (below min_uid) passes"
like "$(as_root_in alice 'pamtester nsjail-acct root acct_mgmt' 2>&1)" 'account management done' \
	"account: inside alice's set, root passes"
like "$(as_root_in alice 'pamtester nsjail-acct-allow bob acct_mgmt' 2>&1)" 'account management done' \
	"account: with on_error=allow nothing is refused (open_session would let it go on)"

# --- the session uses the config the account phase of the same handle loaded -----------
install -d -m 0755 /etc/security/alt
printf 'default { hostname = "alt-%%u" tmp_size = "16M" }\n' >/etc/security/alt/nsjail.conf
chmod 0644 /etc/security/alt/nsjail.conf
printf 'auth required pam_permit.so\naccount required %s debug\naccount required pam_permit.so\nsession required %s debug\n' \
	"$MODULE" "$MODULE" >/etc/pam.d/nsjail-both
printf 'auth required pam_permit.so\naccount required %s config=/etc/security/alt/nsjail.conf\naccount required pam_permit.so\nsession required %s debug\n' \
	"$MODULE" "$MODULE" >/etc/pam.d/nsjail-both-alt
pamtester nsjail-both carol acct_mgmt open_session close_session >/dev/null 2>&1
check "account + session: the session uses the config the account phase loaded" \
	log_has 'pam_nsjail(nsjail-both:session): policy from default (loaded by the account phase)'
pamtester nsjail-both-alt carol acct_mgmt open_session close_session >/dev/null 2>&1
check "...but not one loaded from another config= path" \
	log_has 'pam_nsjail(nsjail-both-alt:session): policy from default (\(parsed\|cached parse\)[,)]'
reset_all
alice_mnt=$(as alice 'readlink /proc/self/ns/mnt')

# --- su from alice's set: refused in the account phase already --------------------------
cat >/etc/pam.d/su <<EOF
auth       sufficient pam_rootok.so
@include common-auth
@include common-account
account    required   $MODULE
@include common-session-noninteractive
session    required   $MODULE
EOF
out=$(as_root_in alice "timeout 20 su bob -c 'echo RAN'; echo rc=\$?" 2>&1)
like "$out" 'rc=1$' "su bob from inside alice's set is refused"
check "...without running the command" test "${out/RAN/}" = "$out"
like "$out" 'pam_nsjail: the caller is inside the set of uid 3001' "...and su shows the module's reason"
check "...refused in the account phase (one line)" log_has "pam_nsjail(su:account): user=bob uid=3002 .*action=refused: the caller is inside the set of uid 3001"
is "$(timeout 20 su alice -c 'readlink /proc/self/ns/mnt' 2>&1)" "$alice_mnt" "su alice from the host still lands in alice's set"

# --- a config that cannot be loaded (on_error=deny) -------------------------------------
chmod 0666 "$CONF" # writable by others: refused
out=$(acct bob)
like "$out" 'Permission denied' "broken config: bob's account is refused"
like "$(last_log)" "pam_nsjail\\(nsjail-acct:account\\): user=bob uid=3002 .*action=refused: $CONF: writable by group or others" \
	"...logged with the config's error"
is "$(acct root)" "pamtester: account management done." "broken config: root's account passes (never locked out)"
is "$(SVC=nsjail-acct-allow acct bob)" "pamtester: account management done." "broken config, on_error=allow: bob's account passes"
out=$(sudo -u bob sh -c 'echo RAN' 2>&1; echo rc=$?)
like "$out" 'rc=1$' "broken config: root's sudo -u bob is refused (the session is denied, and sudo enforces it)"
check "...without running the command" test "${out/RAN/}" = "$out"
is "$(sudo -i sh -c 'id -un; readlink /proc/self/ns/mnt' 2>&1)" "root"$'\n'"$host_mnt" "broken config: root's sudo -i works, unjailed"
out=$(timeout 20 su bob -c 'echo RAN' 2>&1; echo rc=$?)
like "$out" 'rc=1$' "broken config: su bob is refused"
check "...without running the command" test "${out/RAN/}" = "$out"
check "...in the account phase" log_has "pam_nsjail(su:account): user=bob uid=3002 .*action=refused: $CONF: writable"
chmod 0644 "$CONF"
like "$(acct bob)" 'account management done' "config fixed: bob's account passes again"

# --- nsjailctl check is unaffected ------------------------------------------------------
out=$("$NSJAILCTL" check 2>&1)
is "$?:$out" "0:$CONF: OK" "nsjailctl check still reports the config"
reset_all

done_testing
