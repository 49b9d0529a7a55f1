#!/bin/bash
# h50-scope.sh — issue 11.2: the keeper in a scope of its own, nsjail-<uid>.scope in
# user-<uid>.slice, so that one session can end without ending the set or any other session.
# Gated by HOST_EXPECT_SCOPE (tests/host/features) until the implementation is merged.
#
# The nohup job and the tmux session are started from a login of their own that then logs out
# (what a user does: start, detach, log out): processes inside the scope being stopped end with
# it by systemd's rules, whatever the module does.
. tests/host/lib.sh

host_prepare
# carol's set is first made by cron
echo '@reboot carol sleep 3600' >$HOST_ROOT/etc/cron.d/nsj-host
host_boot
gate HOST_EXPECT_SCOPE 'issue 11.2'

# --- alice: the first login's scope is stopped --------------------------------------------
# (no user manager for alice: user@'s own PAM session would make her set first, h55 says why)
host_run 'systemctl mask --runtime user@3001.service' >/dev/null 2>&1
s1=$(host_ssh_bg alice 'grep -o "session-[^/]*\.scope" /proc/self/cgroup | head -n1 >~/s1-scope; exec sleep 600')
host_wait 'test -s /home/alice/s1-scope && pgrep -u alice -x sleep' 10
scope1=$(host_run 'cat /home/alice/s1-scope')
k=$(host_keeper alice)
diag "alice's first session: $scope1, keeper $k ($(host_run "grep -m1 -o '/user.slice.*' /proc/$k/cgroup"))"
host_ssh alice 'nohup sleep 1001 >/dev/null 2>&1 & tmux new-session -d -s work "sleep 1002"'
s2=$(host_ssh_bg alice 'exec sleep 601')
host_wait 'pgrep -u alice -f "^sleep 601"' 10
like "$(host_run "cat /proc/$k/cgroup")" '/user\.slice/user-3001\.slice/nsjail-3001\.scope$' \
	"alice's keeper is in user-3001.slice/nsjail-3001.scope"
host_journal -t sshd | grep -q 'user=alice .*action=created'
is "$?" 0 "...though her first session's own login made the set (sshd logged action=created)"
host_run "systemctl stop $scope1"
check "systemctl stop $scope1 ended the first session" host_bg_ended "$s1" 5
check "the second session goes on (its ssh is still connected)" kill -0 "$s2"
check "and its process lives" host_run 'pgrep -u alice -f "^sleep 601" >/dev/null'
check "the nohup job lives" host_run 'pgrep -u alice -f "^sleep 1001" >/dev/null'
is "$(host_ssh alice 'tmux has-session -t work && echo live')" live "the tmux session lives"
like "$(host_run 'nsjailctl list' | grep '^alice ')" "^alice +3001 +$k .* alive " \
	"nsjailctl list: the same keeper, alive"
host_journal -t sshd | grep -q 'user=alice .*action=repaired'
isnt "$?" 0 "no login of alice was repaired"

# --- bob: a logged-out session does not stay "closing" ------------------------------------
id=$(host_ssh bob 'echo $XDG_SESSION_ID')
diag "bob's session $id: $(host_run "loginctl show-session $id -p State --value" 2>&1)"
check "bob's session $id is gone from loginctl after his logout" \
	host_wait "! loginctl show-session $id >/dev/null 2>&1" 5
is "$(host_run 'loginctl list-sessions --no-legend' | grep -c ' bob ')" 0 \
	"loginctl list-sessions: no session of bob"

# --- carol (cron) and dave (user@.service): the same place ----------------------------------
host_wait 'test -s /run/pam_nsjail/3003/keeper' 10
like "$(host_run "cat /proc/$(host_keeper carol)/cgroup")" \
	'/user\.slice/user-3003\.slice/nsjail-3003\.scope$' "a set made by cron: nsjail-3003.scope"
gate 'HOST_EXPECT_SCOPE HOST_EXPECT_USERMAN' 'issue 11.2 and 11.3'
host_run 'systemctl start user@3004.service'
like "$(host_run "cat /proc/$(host_keeper dave)/cgroup" 2>&1)" \
	'/user\.slice/user-3004\.slice/nsjail-3004\.scope$' "a set made by user@3004.service: nsjail-3004.scope"
gate HOST_EXPECT_SCOPE 'issue 11.2'

# --- systemctl stop user-3001.slice ends the set and its record -----------------------------
host_run 'systemctl stop user-3001.slice'
check "systemctl stop user-3001.slice ends alice's keeper" host_wait "! kill -0 $k" 5
check "and removes her record" host_wait '! test -e /run/pam_nsjail/3001' 5
is "$(host_run 'nsjailctl list' | grep -c '^alice ')" 0 "nsjailctl list: no set of alice"
ungate
done_testing
