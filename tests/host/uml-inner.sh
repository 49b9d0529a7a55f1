#!/bin/bash
# tests/host/uml-inner.sh — runs inside the User-Mode Linux boot of h90-uml.sh, as the unit
# nsj-host-uml.service (Type=simple): writes what it sees, one file per question, to the hostfs
# directory of the run (mounted on /mnt/out), then powers the machine off. The assertions are
# made outside, by h90-uml.sh, on those files.
set -u
mkdir -p /mnt/out
mount -t hostfs none /mnt/out || { systemctl poweroff; exit 1; }
o=/mnt/out
ssh_opts=(-i /etc/nsj-host/id_ed25519 -o BatchMode=yes -o StrictHostKeyChecking=no
	-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=20)
as() { ssh "${ssh_opts[@]}" "$1@127.0.0.1" "$2" </dev/null; }
wait_for() { local i; for i in $(seq $(($2 * 10))); do sh -c "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }

timeout 120 systemctl is-system-running --wait >$o/state 2>&1
stat -f -c %T /sys/fs/cgroup >$o/cgroup-fs
cat /sys/fs/cgroup/cgroup.controllers >$o/controllers
readlink /proc/self/ns/pid >$o/host-pid
as alice 'hostname; readlink /proc/self/ns/pid; ps -o comm= -p 1; echo from-ssh >/tmp/f' >$o/ssh 2>&1
su alice -c 'hostname; readlink /proc/self/ns/pid; cat /tmp/f' </dev/null >$o/su 2>&1
k=$(head -n1 /run/pam_nsjail/3001/keeper 2>/dev/null)
uname -r >$o/kernel
grep -c '^pidfs ' /run/pam_nsjail/3001/keeper >$o/record-pidfs 2>&1
cat /proc/"$k"/cgroup >$o/keeper-cgroup 2>&1
systemctl is-active user@3001.service >$o/userman 2>&1
as alice 'systemctl --user is-system-running; systemd-run --user --wait -q -P readlink /proc/self/ns/pid' \
	>$o/user-ssh 2>&1
# The first session's scope stopped while a second one runs (issue 11.2).
as bob 'grep -o "session-[^/]*\.scope" /proc/self/cgroup | head -n1 >~/s1; exec sleep 600' &
wait_for 'test -s /home/bob/s1' 20
as bob 'exec sleep 601' &
s2=$!
wait_for 'pgrep -u bob -f "^sleep 601"' 20
systemctl stop "$(cat /home/bob/s1)"
sleep 1
{ kill -0 $s2 && pgrep -u bob -f '^sleep 601'; } >$o/second-session 2>&1
systemctl is-system-running >$o/state-after 2>&1
systemctl --failed --no-legend >$o/failed 2>&1
journalctl -q --no-pager | grep -E 'pam_nsjail|user@300' >$o/journal 2>&1
echo finished >$o/done
umount /mnt/out
systemctl poweroff
