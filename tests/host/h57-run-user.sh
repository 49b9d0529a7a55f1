#!/bin/bash
# h57-run-user.sh — propagation_paths on a booted host when /run/user already holds a user's
# runtime directory (logind's tmpfs) at the first set: the module binds /run/user onto itself
# with a copy of it and detaches the original, so that /run/user is a mount point of its own
# (a host mount elsewhere on /run walks no set), the runtime directory is there once, logind
# still ends it (user-runtime-dir@UID stops, nothing stays hidden, the system keeps running),
# and a runtime directory logind makes later reaches a set made before it.
. tests/host/lib.sh

host_boot
# mounts PATH: how many mounts of the host are at PATH.
mounts() { host_run "awk -v p='$1' '\$5 == p { n++ } END { print n + 0 }' /proc/self/mountinfo"; }

# user-runtime-dir@ stops when nothing needs it (StopWhenUnneeded=yes): a unit holds it.
host_run 'systemd-run -q --unit=hold-3003 -p Requires=user-runtime-dir@3003.service \
	-p After=user-runtime-dir@3003.service sleep 600'
host_wait 'systemctl is-active user-runtime-dir@3003.service' 10
is "$(mounts /run/user/3003)" 1 "carol's runtime directory is mounted before any set"
is "$(mounts /run/user)" 0 "...and /run/user is not a mount point yet"
host_run 'touch /run/user/3003/made-before'

# alice's first login makes the first set: /run/user is taken in then.
s1=$(host_ssh_bg alice 'exec sleep 600')
host_wait 'test -s /run/pam_nsjail/3001/keeper' 10
is "$(mounts /run/user)" 1 "alice's first set: /run/user is a mount point of the host"
is "$(mounts /run/user/3003)" 1 "...carol's runtime directory is there once (a copy; the original detached)"
check "...with its files" host_run 'test -e /run/user/3003/made-before'
like "$(host_run "awk '\$5 == \"/run/user\" { for (i = 7; \$i != \"-\"; i++) printf \"%s \", \$i }' /proc/self/mountinfo")" \
	'shared:[0-9]+' "...shared in a peer group of its own"

# Its stop (what logind has done at carol's last logout) unmounts it as usual.
host_run 'systemctl stop hold-3003.service user-runtime-dir@3003.service'
is "$(host_run 'systemctl show -p Result --value user-runtime-dir@3003.service')" success \
	"user-runtime-dir@3003 stops with success"
is "$(mounts /run/user/3003)" 0 "...and nothing of /run/user/3003 stays mounted, hidden or not"
is "$(host_ssh alice 'awk "\$5 == \"/run/user/3003\"" /proc/self/mountinfo | wc -l')" 0 \
	"...nor in alice's set, made while it was there: no hidden copy keeps it alive"
is "$(host_run 'systemctl is-system-running')" running "the system keeps running"

# bob logs in later: logind makes /run/user/3002 now, and alice's set, made before, sees it.
host_ssh bob true
check "bob's runtime directory, made after alice's set, reaches her set" \
	host_ssh alice 'awk "\$5 == \"/run/user/3002\"" /proc/self/mountinfo | grep -q .'
is "$(host_ssh alice 'stat -c %U "$XDG_RUNTIME_DIR" 2>&1')" alice "alice's own runtime directory is there in her set"
kill "$s1" 2>/dev/null
host_bg_ended "$s1" 10
is "$(host_run 'timeout 20 systemctl is-system-running --wait')" running "the system is running at the end"
done_testing
