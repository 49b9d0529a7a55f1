#!/bin/bash
# h20-ssh.sh — ssh key logins on a booted host: alice lands in her set (its hostname, the keeper
# as PID 1, a private /tmp), a second login joins it, bob's set is another one, and loginctl and
# nsjailctl show the sessions and the sets.
. tests/host/lib.sh

host_boot
out=$(host_ssh alice 'hostname; readlink /proc/self/ns/pid /proc/self/ns/mnt; echo from-alice >/tmp/alice-file')
is "$?" 0 "alice logs in over ssh with her key"
{ read -r a_host; read -r a_pid; read -r a_mnt; } <<<"$out"
is "$a_host" alice-nsjhost "her hostname is alice-nsjhost"
isnt "$a_pid" "$(host_run 'readlink /proc/self/ns/pid')" "her PID namespace is not the host's"
is "$(host_ssh alice 'ps -o comm= -p 1')" nsjail-keeper "ps in her session: PID 1 is nsjail-keeper"
# (and her user manager, which runs in her set too: issue 11.3)
like "$(host_ssh alice 'ps -eo comm=' | tr '\n' ' ')" '^nsjail-keeper (systemd )?(sshd )+(bash )?ps $' \
	"ps in her session shows only the keeper, her user manager, her sshd, her shell and ps"
check "her /tmp is not the host's" host_run 'test ! -e /tmp/alice-file'
host_run 'echo host >/tmp/host-file'
is "$(host_ssh alice 'cat /tmp/alice-file; test -e /tmp/host-file && echo host-visible')" from-alice \
	"the next login finds her /tmp file and not the host's"

# A second login while the first one is open.
bg=$(host_ssh_bg alice 'echo $$ >/tmp/first-session; exec sleep 300')
host_wait 'test -s /run/pam_nsjail/3001/keeper && pgrep -u alice -x sleep' 10
out=$(host_ssh alice 'readlink /proc/self/ns/pid /proc/self/ns/mnt; ps -o args= -p $(cat /tmp/first-session)')
{ read -r b_pid; read -r b_mnt; read -r b_first; } <<<"$out"
is "$b_pid" "$a_pid" "a second login joins the same PID namespace"
is "$b_mnt" "$a_mnt" "and the same mount namespace"
is "$b_first" "sleep 300" "and sees the first session's process"
is "pid:[$(host_nsinode alice pid)]" "$a_pid" "the record's keeper has that PID namespace"

sessions=$(host_run 'loginctl list-sessions --no-legend')
like "$sessions" '3001 alice' "loginctl list-sessions shows alice's open session"
is "$(host_run 'loginctl show-user alice -p State --value')" active "loginctl: alice is active"

# bob: a set of his own, with no process of alice in it.
out=$(host_ssh bob 'hostname; readlink /proc/self/ns/pid; ps -eo user=,args=')
is "$(sed -n 1p <<<"$out")" bob-nsjhost "bob's hostname is bob-nsjhost"
isnt "$(sed -n 2p <<<"$out")" "$a_pid" "bob's set is not alice's"
is "$(sed -n '3,$p' <<<"$out" | grep -c -e alice -e 'sleep 300')" 0 "bob sees no process of alice"
host_ssh bob 'test ! -e /tmp/alice-file'
is "$?" 0 "bob does not see alice's /tmp"

list=$(host_run 'nsjailctl list')
like "$(grep '^alice ' <<<"$list")" "^alice +3001 +$(host_keeper alice) .* alive " \
	"nsjailctl list: alice's set, its keeper, alive"
like "$(grep '^bob ' <<<"$list")" "^bob +3002 +$(host_keeper bob) .* alive " \
	"nsjailctl list: bob's set, its keeper, alive"
host_journal -t sshd | grep -q 'pam_nsjail(sshd:session): user=alice .*action=joined'
is "$?" 0 "sshd's journal has the module's line for alice's join"
kill "$bg" 2>/dev/null
done_testing
