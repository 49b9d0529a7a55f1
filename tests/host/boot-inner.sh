#!/bin/bash
# tests/host/boot-inner.sh — runs inside the User-Mode Linux boot of h90-uml.sh and the qemu
# boot of h92-qemu.sh, as the unit nsj-host-inner.service (Type=simple): writes what it sees,
# one file per question, to /mnt/out, then powers the machine off. The assertions are made
# outside, on those files, by host_inner_checks (tests/host/lib.sh).
#   boot-inner.sh hostfs   /mnt/out is the run's hostfs directory (UML)
#   boot-inner.sh disk     /mnt/out is a directory of the image itself, read back from the
#                          powered-off image with debugfs (qemu)
set -u
mkdir -p /mnt/out
if [ "${1:-}" = hostfs ]; then
	mount -t hostfs none /mnt/out || { systemctl poweroff; exit 1; }
fi
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
su bob -c 'if test -e /tmp/f; then echo seen; else echo unseen; fi' </dev/null >$o/other-tmp 2>&1
# Host mounts made after the set exists: under /home (a propagation path) it reaches the set,
# under /srv not.
mkdir -p /home/nsj-probe /srv/nsj-probe
mount -t tmpfs nsj-probe-home /home/nsj-probe && mount -t tmpfs nsj-probe-srv /srv/nsj-probe
su alice -c 'awk "\$5 ~ /nsj-probe/ { print \$5 }" /proc/self/mountinfo' </dev/null >$o/propagation 2>&1
umount /home/nsj-probe /srv/nsj-probe
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
# network = outbound for carol: her set's slirp4netns reaches a server on an address of this
# machine's own (192.0.2.1 on its loopback: nothing leaves the guest). Where the kernel has no
# tun device (UML's is a module, and its image has no modules), the answer says so.
if [ -c /dev/net/tun ]; then
	ip addr add 192.0.2.1/32 dev lo
	socat TCP4-LISTEN:7000,bind=192.0.2.1,reuseaddr,fork SYSTEM:'echo tcp-outside' </dev/null >/dev/null 2>&1 &
	wait_for 'ss -Hlnt | grep -q " 192.0.2.1:7000 "' 10
	printf 'user "carol" { namespaces = {mount, ipc, uts, pid, net}  network = outbound }\n' \
		>>/etc/security/pam_nsjail.conf
	as carol 'ip -4 -o addr show dev tap0 | awk "{ print \$4 }"; ip route show default;
		socat -T5 - TCP4:192.0.2.1:7000 </dev/null; readlink /proc/self/ns/net' >$o/net 2>&1
	readlink /proc/self/ns/net >$o/host-net
else
	echo "no /dev/net/tun" >$o/net
fi
systemctl is-system-running >$o/state-after 2>&1
systemctl --failed --no-legend >$o/failed 2>&1
journalctl -q --no-pager | grep -E 'pam_nsjail|user@300' >$o/journal 2>&1
echo finished >$o/done
if [ "${1:-}" = hostfs ]; then umount /mnt/out; fi
systemctl poweroff
