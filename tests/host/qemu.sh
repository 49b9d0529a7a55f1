#!/bin/bash
# tests/host/qemu.sh — print the path of a directory holding Debian 12's own kernel for booting
# the test image under qemu (h92-qemu.sh): vmlinuz, the kernel of the package linux-image-amd64
# depends on (6.1, as a Debian 12 server boots it), and initrd.gz, a small initramfs of
# busybox-static and the modules that mount the image (virtio_pci, virtio_blk, ext4 and what
# they depend on, from the same package) and tun (network = outbound's slirp4netns), whose
# /init loads them, mounts /dev/vda and hands over to its /sbin/init (systemd). The image has
# no /lib/modules of this kernel: what the boot needs is loaded here.
#
# Why: the other booted-host scripts run on this machine's kernel (nspawn) or on unstable's UML
# (tests/host/uml.sh says why not Debian 12's), both past 6.9. Debian 12's own kernel has no
# pidfs and no PIDFD_GET_INFO: there the module records and checks a keeper the older way, and
# this is where that way meets a real boot.
#
# Cache: $HOST_CACHE (/var/cache/pam_nsjail-tests)/qemu-VERSION-KEY, VERSION the kernel
# package's, KEY a hash of this script; used as long as apt names no newer one (or, when apt
# has no lists, the newest of this script's). The packages are fetched
# with apt-get download through the machine's own apt (signatures and hashes checked as for
# any package) and unpacked, nothing installed; built beside the final name and renamed when
# complete; other versions' copies go once a new one is in place.
# Exit status 0 and the path on stdout; 1 and one line on stderr when there is none.
set -euo pipefail
cache=${HOST_CACHE:-/var/cache/pam_nsjail-tests}

key=$(sha256sum <"${BASH_SOURCE[0]}" | cut -c1-16)
newest_cached() { ls -d "$cache"/qemu-*-"$key"/ 2>/dev/null | sort -V | tail -n1 | sed 's|/$||'; }
complete() { [ -f "$1/vmlinuz" ] && [ -f "$1/initrd.gz" ]; }

# linux-image-amd64 -> linux-image-6.1.0-N-amd64 and its version, from apt's lists.
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
kver=${kpkg:+$(apt-cache show "$kpkg" 2>/dev/null | awk '/^Version:/ { print $2; exit }')}
if [ -z "$kver" ]; then
	old=$(newest_cached)
	if [ -n "$old" ] && complete "$old"; then
		echo "$old"
		exit 0
	fi
	echo "qemu.sh: apt knows no linux-image-amd64 (no lists: apt-get update) and nothing is cached" >&2
	exit 1
fi
dir=$cache/qemu-$kver-$key
if complete "$dir"; then
	echo "$dir"
	exit 0
fi
install -d -m 0700 "$cache"
exec 8>"$cache/.qemu-lock"
flock 8
if complete "$dir"; then
	echo "$dir"
	exit 0
fi
rm -rf "$cache"/tmp-qemu.*
work=$(mktemp -d "$cache/tmp-qemu.XXXXXX")
trap 'rm -rf "$work"' EXIT
if ! (cd "$work" && timeout 300 apt-get -q -o APT::Sandbox::User=root download "$kpkg" busybox-static) \
	>"$work/log" 2>&1; then
	echo "qemu.sh: $kpkg could not be fetched: $(tail -n1 "$work/log")" >&2
	exit 1
fi
for d in "$work"/*.deb; do dpkg-deb -x "$d" "$work/pkg"; done
mods=$(ls -d "$work"/pkg/lib/modules/*/ | head -n1)
ird=$work/initrd
mkdir -p "$ird"/bin "$ird"/dev "$ird"/proc "$ird"/sys "$ird"/root "$ird"/lib/modules
cp "$work/pkg/bin/busybox" "$ird/bin/"
# The modules in load order: each after those its .modinfo names in depends=.
declare -A seen=()
order=()
need() {
	local m=$1 f d
	[ -z "${seen[$m]:-}" ] || return 0
	seen[$m]=1
	f=$(find "$mods" \( -name "$m.ko" -o -name "${m//_/-}.ko" \) | head -n1)
	[ -n "$f" ] || { echo "qemu.sh: $kpkg has no module $m" >&2; exit 1; }
	d=$(tr '\0' '\n' <"$f" | sed -n 's/^depends=//p')
	for x in ${d//,/ }; do need "$x"; done
	order+=("$f")
}
for m in virtio_pci virtio_blk crc32c_generic ext4 tun; do need "$m"; done
for f in "${order[@]}"; do
	cp "$f" "$ird/lib/modules/"
	basename "$f" .ko >>"$ird/modules"
done
cat >"$ird/init" <<'I'
#!/bin/busybox sh
export PATH=/bin
/bin/busybox --install -s /bin
mount -t devtmpfs dev /dev
mount -t proc proc /proc
mount -t sysfs sys /sys
for m in $(cat /modules); do insmod "/lib/modules/$m.ko" || echo "initrd: insmod $m failed"; done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
mount -t ext4 -o rw /dev/vda /root || { echo "initrd: cannot mount /dev/vda"; poweroff -f; }
umount /proc /sys
mount --move /dev /root/dev
exec switch_root /root /sbin/init "$@"
I
chmod 0755 "$ird/init"
mkdir -p "$work/out"
(cd "$ird" && find . | "$ird/bin/busybox" cpio -o -H newc 2>/dev/null) | gzip -1 >"$work/out/initrd.gz"
cp "$(ls "$work"/pkg/boot/vmlinuz-* | head -n1)" "$work/out/vmlinuz"
echo "$kpkg $kver" >"$work/out/version"
rm -rf "$dir"
mv "$work/out" "$dir"
find "$cache" -maxdepth 1 -name 'qemu-*' ! -name "qemu-$kver-$key" -exec rm -rf {} +
echo "$dir"
