#!/bin/bash
# h55-kill-user.sh — issue 11.2 with KillUserProcesses=yes in logind.conf: a plain logout of
# the session that made the set ends that session only; the user's other session goes on, in
# the same set. Gated by HOST_EXPECT_SCOPE (tests/host/features).
. tests/host/lib.sh

host_prepare
mkdir -p $HOST_ROOT/etc/systemd/logind.conf.d
printf '[Login]\nKillUserProcesses=yes\n' >$HOST_ROOT/etc/systemd/logind.conf.d/nsj-host.conf
host_boot
is "$(host_run 'busctl get-property org.freedesktop.login1 /org/freedesktop/login1 org.freedesktop.login1.Manager KillUserProcesses')" \
	"b true" "logind: KillUserProcesses=yes"
gate HOST_EXPECT_SCOPE 'issue 11.2'
# Without a user manager for alice: logind waits for user@'s start before it lets a first login
# go on, and user@'s own PAM session would make the set, never this session's; so the set
# would not be in the session's scope to begin with, and the checks below would hold whatever
# the module does with it.
host_run 'systemctl mask --runtime user@3001.service' >/dev/null 2>&1

# The first session makes the set and logs out (exit) when told to; a second one stays.
s1=$(host_ssh_bg alice 'while ! test -e ~/s1-end; do sleep 0.1; done; echo $XDG_SESSION_ID >~/s1-id')
host_wait 'test -s /run/pam_nsjail/3001/keeper && pgrep -u alice -x sleep' 10
k=$(host_keeper alice)
host_journal -t sshd | grep -q 'user=alice .*action=created'
is "$?" 0 "the first session's own login made the set (sshd logged action=created)"
like "$(host_run "cat /proc/$k/cgroup")" '/user\.slice/user-3001\.slice/nsjail-3001\.scope$' \
	"...and its keeper is in nsjail-3001.scope, out of the session's scope"
s2=$(host_ssh_bg alice 'exec sleep 601')
host_wait 'pgrep -u alice -f "^sleep 601"' 10
host_run 'touch /home/alice/s1-end'
host_bg_ended "$s1" 10
id=$(host_run 'cat /home/alice/s1-id')
check "the first session ($id) logged out" host_bg_ended "$s1" 0
check "logind ended it" host_wait "! loginctl show-session $id >/dev/null 2>&1" 5
check "the second session goes on (its ssh is still connected)" kill -0 "$s2"
check "and its process lives" host_run 'pgrep -u alice -f "^sleep 601" >/dev/null'
like "$(host_run 'nsjailctl list' | grep '^alice ')" "^alice +3001 +$k .* alive " \
	"nsjailctl list: the same keeper, alive"
out=$(host_ssh alice 'pgrep -f "^sleep 601" >/dev/null && echo same-set')
is "$out" same-set "a new login joins that set (it sees the second session's process)"
host_journal -t sshd | grep -q 'user=alice .*action=repaired'
isnt "$?" 0 "no login of alice was repaired"
ungate
done_testing
