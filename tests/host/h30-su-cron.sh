#!/bin/bash
# h30-su-cron.sh — su, su - and a real cron job land in the user's set on a booted host. The
# cron job (an @reboot entry in /etc/cron.d, run by cron through its PAM stack at boot) makes
# alice's set; her later ssh login joins it.
. tests/host/lib.sh

host_prepare
cat >$HOST_ROOT/etc/cron.d/nsj-host <<'C'
@reboot alice { readlink /proc/self/ns/pid; hostname; echo cron >/tmp/cron-file; } >/home/alice/cron.out
C
host_boot
check "the cron job ran" host_wait 'test "$(wc -l </home/alice/cron.out)" = 2' 20
{ read -r c_pid; read -r c_host; } < <(host_run 'cat /home/alice/cron.out')
is "$c_host" alice-nsjhost "the cron job ran with alice's set's hostname"
isnt "$c_pid" "$(host_run 'readlink /proc/self/ns/pid')" "the cron job ran outside the host's PID namespace"
host_journal -u cron | grep -q 'pam_nsjail(cron:session): user=alice .*action=created'
is "$?" 0 "cron's journal: the module created alice's set"
s_pid=$(host_ssh alice 'readlink /proc/self/ns/pid; cat /tmp/cron-file')
is "$s_pid" "$c_pid
cron" "alice's ssh login joins the set cron made (same PID namespace, its /tmp)"

out=$(host_su alice 'hostname; readlink /proc/self/ns/pid; cat /tmp/cron-file; ps -o comm= -p 1')
is "$out" "alice-nsjhost
$c_pid
cron
nsjail-keeper" "su alice -c: her hostname, PID namespace, /tmp, the keeper as PID 1"
out=$(host_su - alice 'hostname; readlink /proc/self/ns/pid; cat /tmp/cron-file; pwd')
is "$out" "alice-nsjhost
$c_pid
cron
/home/alice" "su - alice -c: the same set, in her home"
out=$(host_su - bob 'hostname; readlink /proc/self/ns/pid')
like "$out" "^bob-nsjhost
pid:" "su - bob -c: bob's own set"
isnt "$(sed -n 2p <<<"$out")" "$c_pid" "which is not alice's"
done_testing
