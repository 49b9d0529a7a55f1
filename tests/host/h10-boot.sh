#!/bin/bash
# h10-boot.sh — the package installed the way an administrator does, on a booted Debian 12:
# the system comes up, the profile is in the PAM stacks, the tools answer.
. tests/host/lib.sh

host_boot
is "$HOST_STATE" running "systemctl is-system-running: running"
[ "$HOST_STATE" = running ] || host_run 'systemctl --failed --no-legend' | sed 's/^/#   failed: /'
is "$(host_run 'readlink /proc/1/exe')" /usr/lib/systemd/systemd "PID 1 is systemd"
like "$(host_run 'systemctl --version | head -n1')" '^systemd 252 ' "systemd 252 (Debian 12)"
is "$(host_run "dpkg-query -W -f='\${db:Status-Abbrev}' libpam-nsjail")" "ii " "libpam-nsjail is installed"
like "$(host_run 'grep -E "^session" /etc/pam.d/common-session | tail -n1')" 'pam_nsjail\.so' \
	"common-session ends with pam_nsjail"
is "$(host_run 'systemctl is-active ssh.service cron.service systemd-logind.service' | sort -u)" \
	active "ssh, cron and logind are active"
check "nsjailctl check validates the shipped config" host_run 'nsjailctl check'
is "$(host_run 'nsjailctl list | tail -n +2')" "" "nsjailctl list: no set before any login"
is "$(host_run 'loginctl list-sessions --no-legend')" "" "loginctl: no session before any login"
done_testing
