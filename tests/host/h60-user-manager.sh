#!/bin/bash
# h60-user-manager.sh — issue 11.3: with the package installed and the profile enabled (no hand
# edit), user@<uid>.service runs for a jailed user, inside the set: `systemctl --user` works over
# ssh, what it starts is born in the set's PID namespace with its hostname and /tmp, and a unit
# the user plants in ~/.config/systemd/user runs there too at the manager's next start.
# Gated by HOST_EXPECT_USERMAN (tests/host/features).
. tests/host/lib.sh

host_boot
gate HOST_EXPECT_USERMAN 'issue 11.3'
out=$(host_ssh alice 'readlink /proc/self/ns/pid; hostname; echo from-ssh >/tmp/alice-file')
{ read -r pid; read -r name; } <<<"$out"
is "$name" alice-nsjhost "alice's ssh session is in her set"
is "$(host_run 'systemctl is-active user@3001.service')" active "user@3001.service is active"
is "$(host_run 'timeout 20 systemctl is-system-running --wait')" running \
	"the system is running, not degraded, after her login"
host_run 'systemctl --failed --no-legend' | sed 's/^/#   failed: /'
is "$(host_ssh alice 'systemctl --user is-system-running --wait')" running \
	"systemctl --user works from her ssh session (her manager is running)"
is "$(host_ssh alice 'systemd-run --user --wait -q -P readlink /proc/self/ns/pid')" "$pid" \
	"systemd-run --user runs in the ssh session's PID namespace"
is "$(host_ssh alice 'systemd-run --user --wait -q -P hostname')" alice-nsjhost \
	"with the set's hostname"
is "$(host_ssh alice 'systemd-run --user --wait -q -P cat /tmp/alice-file')" from-ssh \
	"and the set's /tmp"

# A unit planted by the user runs in the set when her manager starts again.
host_ssh alice 'mkdir -p ~/.config/systemd/user/default.target.wants &&
	printf "[Service]\nType=oneshot\nExecStart=/bin/sh -c \"{ readlink /proc/self/ns/pid; hostname; cat /tmp/alice-file; } >%%h/planted.out\"\n" \
	>~/.config/systemd/user/planted.service &&
	ln -s ../planted.service ~/.config/systemd/user/default.target.wants/planted.service'
host_run 'systemctl restart user@3001.service'
host_wait 'test -s /home/alice/planted.out' 10
is "$(host_run 'cat /home/alice/planted.out' 2>&1)" "$pid
alice-nsjhost
from-ssh" "a unit in ~/.config/systemd/user/default.target.wants runs in her set"
ungate
done_testing
