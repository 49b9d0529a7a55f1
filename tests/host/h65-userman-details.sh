#!/bin/bash
# h65-userman-details.sh — how the keeper's scope and the user manager inside the set behave
# beyond issue 11's list: what user@ keeps of the stock one (PAM session, no capabilities,
# READY=1, an orderly stop), a scope of the same name still alive or failed, the system bus
# down, user@ exactly as stock when the profile is disabled, and a set without a PID namespace.
. tests/host/lib.sh

host_boot
no_caps=0000000000000000

# --- user@3001: what it keeps -------------------------------------------------------------
host_ssh alice true
main=$(host_run 'systemctl show -p MainPID --value user@3001.service')
is "$(host_run "cat /proc/$main/comm")" nsjail-userman \
	"user@3001's main process is nsjail-userman (systemd 252 cannot wait for a main process that is not its child)"
mgr=$(host_run "pgrep -P $main -x systemd")
is "$(host_run "readlink /proc/$mgr/ns/pid")" "pid:[$(host_nsinode alice pid)]" \
	"its child, the manager, is in alice's set"
is "$(host_run "cat /proc/$mgr/loginuid")" 3001 "the manager's PAM session is kept (loginuid 3001)"
check "and (sd-pam), which closes it, is alive" host_run "ps -o comm= --ppid $main | grep -qxF '(sd-pam)'"
is "$(host_run "grep ^CapEff: /proc/$mgr/status | cut -f2")" $no_caps "the manager has no capability"
is "$(host_run "grep ^CapAmb: /proc/$mgr/status | cut -f2")" $no_caps "...none in its ambient set"
is "$(host_run "grep ^CapPrm: /proc/$main/status | cut -f2")" $no_caps "nsjail-userman kept none either"
is "$(host_run "stat -c %u /proc/$main/status")" 0 "...and is not dumpable (it stays in the host's namespaces)"
is "$(host_run 'systemctl show -p StatusText --value user@3001.service')" Ready. \
	"the manager's notifications reach systemd (StatusText)"
host_run 'systemctl stop user@3001.service'
is "$(host_run 'systemctl show -p ActiveState --value user@3001.service; systemctl show -p Result --value user@3001.service' | tr '\n' ' ')" \
	"inactive success " "systemctl stop user@3001: an orderly stop (SIGTERM to the manager), result success"
st=$(host_run 'systemctl is-system-running')
is "$st" running "the system stays running"
[ "$st" = running ] || diag "failed units: $(host_run 'systemctl --failed --no-legend --plain' | tr '\n' ';')"
# a stop of the whole slice: the manager first (the keeper's scope is ordered before user@), so
# that a user service's ExecStop= runs while the set is still there
host_ssh alice 'mkdir -p ~/.config/systemd/user && printf "[Service]\nExecStart=/bin/sleep 600\nExecStop=/bin/sh -c \"sleep 2; touch %%h/stopped\"\n" >~/.config/systemd/user/slow.service && systemctl --user start slow.service'
check "(a user service with a slow ExecStop= runs)" host_run 'pgrep -u alice -f "^/bin/sleep 600" >/dev/null'
host_run 'systemctl stop user-3001.slice'
check "systemctl stop user-3001.slice: the user service's ExecStop= ran to its end" host_run 'test -e /home/alice/stopped'
is "$(host_run 'systemctl show -p Result --value user@3001.service')" success "...and user@3001 stopped with result success"
is "$(host_run 'systemctl is-system-running')" running "...and the system stays running"

# --- a live scope of the same name ----------------------------------------------------------
host_run 'setsid systemd-run -q --scope --unit=nsjail-3002 --slice=user-3002.slice sleep 600 \
	</dev/null >/dev/null 2>&1 &'
host_wait 'systemctl is-active nsjail-3002.scope' 10
is "$(host_ssh bob 'cat /proc/1/comm')" nsjail-keeper "with nsjail-3002.scope taken, bob's login still lands in a set"
like "$(host_run "cat /proc/$(host_keeper bob)/cgroup" | grep -o -m1 '/user.slice/.*')" \
	'^/user\.slice/user-3002\.slice/nsjail-3002-[0-9]+\.scope$' "...whose keeper has nsjail-3002-PID.scope"
like "$(host_journal | grep 'pam_nsjail.*user=bob .*action=created' | tail -n1)" \
	'action=created \(in nsjail-3002-[0-9]+\.scope: nsjail-3002\.scope is another set.s\)' \
	"...and the login's line names that scope"

# --- a failed scope of the same name: reset and reused ----------------------------------------
host_run 'systemctl stop user-3002.slice'
host_run 'setsid systemd-run -q --scope --unit=nsjail-3002 --slice=user-3002.slice -p TimeoutStopSec=1 \
	sh -c "trap \"\" TERM; while :; do sleep 1; done" </dev/null >/dev/null 2>&1 &'
host_wait 'systemctl is-active nsjail-3002.scope' 10
host_run 'systemctl stop nsjail-3002.scope' 2>/dev/null
is "$(host_run 'systemctl is-failed nsjail-3002.scope')" failed "(a scope that had to be killed is left failed)"
is "$(host_ssh bob 'cat /proc/1/comm')" nsjail-keeper "with a failed nsjail-3002.scope, bob's login lands in a set"
like "$(host_run "cat /proc/$(host_keeper bob)/cgroup" | grep -o -m1 '/user.slice/.*')" \
	'^/user\.slice/user-3002\.slice/nsjail-3002\.scope$' "...whose keeper has nsjail-3002.scope (reset, then reused)"

# --- the system bus down: systemd's own socket still answers --------------------------------
host_run 'systemctl stop dbus.socket dbus.service'
is "$(host_su carol 'cat /proc/1/comm' 2>&1)" nsjail-keeper "with dbus stopped, su carol creates her set"
like "$(host_run "cat /proc/$(host_keeper carol)/cgroup" | grep -o -m1 '/user.slice/.*')" \
	'^/user\.slice/user-3003\.slice/nsjail-3003\.scope$' "...in nsjail-3003.scope"
host_run 'systemctl start dbus.socket dbus.service'

# --- the profile disabled: user@ is stock -------------------------------------------------
host_run 'DEBIAN_FRONTEND=noninteractive pam-auth-update --package --disable nsjail'
host_ssh dave true
main=$(host_run 'systemctl show -p MainPID --value user@3004.service')
is "$(host_run "cat /proc/$main/comm")" systemd "profile disabled: user@3004's main process is the manager itself"
is "$(host_run "readlink /proc/$main/ns/pid")" "$(host_run 'readlink /proc/1/ns/pid')" \
	"...in the host's PID namespace"
is "$(host_run "grep ^CapEff: /proc/$main/status | cut -f2")" $no_caps "...without the drop-in's capabilities"
is "$(host_run 'timeout 20 systemctl is-system-running --wait')" running "the system is running"

# --- a set without a PID namespace: joined whole, the manager is the main process ------------
host_stop
host_prepare
printf 'default {\n\tnamespaces = {mount, uts}\n}\n' >$HOST_ROOT/etc/security/pam_nsjail.conf
host_boot
out=$(host_ssh alice 'hostname; readlink /proc/self/ns/mnt; systemd-run --user --wait -q -P sh -c "hostname; readlink /proc/self/ns/mnt"')
is "$(sed -n 3,4p <<<"$out")" "$(sed -n 1,2p <<<"$out")" \
	"namespaces = {mount, uts}: what the user manager starts has the set's hostname and mounts"
main=$(host_run 'systemctl show -p MainPID --value user@3001.service')
is "$(host_run "cat /proc/$main/comm")" systemd "...and the manager is user@'s main process (nsjail-userman exec'd it in place)"
is "$(host_run 'timeout 20 systemctl is-system-running --wait')" running "...and the system is running"
done_testing
