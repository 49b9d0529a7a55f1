#!/bin/bash
# tests/host/image.sh — print the path of a cached Debian 12 root filesystem for the booted-host
# tests, building it first when the cache has none for the current key.
#
# The image holds everything a boot needs that does not depend on the freshly built package:
# systemd, sshd (host keys made, enabled, listening on the loopback), cron, tmux, the test
# users alice, bob, carol and dave (uids 3001..3004, homes, a key in ~/.ssh/authorized_keys),
# root's client key /etc/nsj-host/id_ed25519 for them, a sudoers drop-in. The package is installed later, into
# a throwaway copy of it (tests/host/lib.sh).
#
# Cache: $HOST_CACHE (/var/cache/pam_nsjail-tests)/rootfs-KEY, KEY a hash of the package list,
# of this script and of the month (so that Debian's point and security releases get in); built into a temporary directory beside it (one builder at a time: a
# lock) and renamed when complete, so a killed build never leaves a half image under the final
# name. Each use marks the image used; images of other keys unused for two days go (two trees
# side by side, with different keys, each keep theirs), and so do the temporary directories of
# builds that were killed. The last build's log: $HOST_CACHE/build.log.
# Exit status 0 and the path on stdout; 1 and one line on stderr when it cannot be built (no
# mmdebstrap, the archive unreachable).
set -euo pipefail
cache=${HOST_CACHE:-/var/cache/pam_nsjail-tests}
suite=bookworm
pkgs=(systemd systemd-sysv dbus dbus-user-session libpam-systemd libsystemd0 openssh-server openssh-client
	libconfuse2 tmux cron sudo procps iproute2 netbase passwd socat slirp4netns)
# (and the month: the archive's point and security releases reach the image within one)
key=$( { printf '%s\n' "$suite" "${pkgs[@]}" "$(date -u +%Y-%m)"; cat "${BASH_SOURCE[0]}"; } | sha256sum | cut -c1-16)
img=$cache/rootfs-$key
if [ -f "$img/etc/nsj-host/ready" ]; then
	touch "$img/etc/nsj-host/ready"
	echo "$img"
	exit 0
fi
command -v mmdebstrap >/dev/null || { echo "image.sh: mmdebstrap is not installed" >&2; exit 1; }
install -d -m 0700 "$cache"
# One builder at a time; a second waits and then finds the image.
exec 8>"$cache/.lock"
flock 8
if [ -f "$img/etc/nsj-host/ready" ]; then
	echo "$img"
	exit 0
fi
# Holding the lock: a temporary directory here is one of a killed build.
rm -rf --one-file-system "$cache"/tmp.*
find "$cache" -mindepth 4 -maxdepth 4 -path "$cache/rootfs-*/etc/nsj-host/ready" -mmin +2880 -printf '%h\n' |
	sed 's|/etc/nsj-host$||' | xargs -r rm -rf
tmp=$(mktemp -d "$cache/tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log=$cache/build.log
inc=$(IFS=,; echo "${pkgs[*]}")
if ! timeout 900 mmdebstrap --variant=minbase --include="$inc" --skip=check/empty \
	"$suite" "$tmp" >"$log" 2>&1; then
	echo "image.sh: mmdebstrap failed (log: $log): $(tail -n1 "$log")" >&2
	exit 1
fi

inroot() { chroot "$tmp" "$@"; }
echo nsjhost >"$tmp/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tnsjhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
	>"$tmp/etc/hosts"
install -d -m 0700 "$tmp/etc/nsj-host"
ssh-keygen -q -t ed25519 -N '' -C nsj-host-tests -f "$tmp/etc/nsj-host/id_ed25519"
uid=3001
for u in alice bob carol dave; do
	inroot useradd -m -u $uid -U -s /bin/bash -c "${u^}" "$u"
	# "*": no password, but not a locked account (sshd refuses "!" ones)
	inroot usermod -p '*' "$u"
	install -d -m 0700 -o $uid -g $uid "$tmp/home/$u/.ssh"
	install -m 0600 -o $uid -g $uid "$tmp/etc/nsj-host/id_ed25519.pub" \
		"$tmp/home/$u/.ssh/authorized_keys"
	uid=$((uid + 1))
done
# sshd: host keys (postinst made them), on the loopback only, keys only
[ -n "$(ls "$tmp"/etc/ssh/ssh_host_*_key 2>/dev/null)" ] || inroot ssh-keygen -A
cat >"$tmp/etc/ssh/sshd_config.d/nsj-host.conf" <<'C'
ListenAddress 127.0.0.1
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
MaxStartups 50
C
inroot systemctl enable ssh.service cron.service >/dev/null 2>&1
printf 'Defaults !lecture\nalice ALL=(ALL:ALL) NOPASSWD: ALL\n' >"$tmp/etc/sudoers.d/nsj-host"
chmod 0440 "$tmp/etc/sudoers.d/nsj-host"
# A quiet, quick boot: no getty on the container's console, a volatile journal.
inroot systemctl mask console-getty.service getty@tty1.service >/dev/null 2>&1 || true
install -d "$tmp/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\n' >"$tmp/etc/systemd/journald.conf.d/nsj-host.conf"
: >"$tmp/etc/machine-id"
rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/*_Packages
touch "$tmp/etc/nsj-host/ready"
mv -T "$tmp" "$img"
trap - EXIT
echo "$img"
