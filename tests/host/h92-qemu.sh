#!/bin/bash
# h92-qemu.sh — the same image, booted by Debian 12's own kernel (linux-image-amd64: 6.1)
# under qemu, as a Debian 12 server boots: the kernel every other script here is not
# (nspawn runs on this machine's, h90 on unstable's UML). 6.1 has no pidfs and no
# PIDFD_GET_INFO, so the module records and checks its keepers the older way, and it is a pure
# cgroup v2 host. The same subset as h90 (tests/host/boot-inner.sh, run by a unit at boot,
# writes its answers into the image and powers off; they are read back with debugfs), and
# network = outbound (its tun device is a module there, which the initramfs loads).
#
# qemu emulates the CPU (TCG): this machine's /dev/kvm is PVM (kvm_pvm), under which only a
# kernel built for it boots, so acceleration is not asked for. ~30 s, most of it the boot.
. tests/host/lib.sh

command -v qemu-system-x86_64 >/dev/null || host_skip_all "qemu-system-x86_64 is missing (qemu-system-x86, tools/deps)"
command -v mkfs.ext4 >/dev/null && command -v debugfs >/dev/null ||
	host_skip_all "mkfs.ext4 or debugfs is missing (e2fsprogs)"
kernel=$(tests/host/qemu.sh 2>"$NSJ_BUILD/tests/qemu.err") || host_skip_all "$(cat "$NSJ_BUILD/tests/qemu.err")"
diag "kernel: $(cat "$kernel/version")"
img=$HOST_DIR/qemu.img
host_inner_image $img disk
start=$SECONDS
# Bounded: killed on overrun. No network card (the guest has its loopback); no serial getty
# (the image has no udev to make dev-ttyS0.device); its console to a file of this run's tmpfs.
timeout -k 5 300 qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp 2 -m 1024 \
	-nographic -no-reboot -nic none -kernel "$kernel/vmlinuz" -initrd "$kernel/initrd.gz" \
	-drive "file=$img,format=raw,if=virtio" \
	-append "console=ttyS0 panic=-1 quiet systemd.mask=serial-getty@ttyS0.service" \
	</dev/null >$HOST_DIR/qemu-console.log 2>&1
rc=$?
diag "qemu ran $((SECONDS - start)) s (exit $rc)"
out=$HOST_DIR/qemu-out
mkdir -p $out
debugfs -R "rdump /mnt/out $out" $img >$HOST_DIR/debugfs.log 2>&1
if ! host_inner_checks $out/out "the qemu boot of Debian 12's kernel" net; then
	tail -n 30 $HOST_DIR/qemu-console.log | sed 's/^/#   /'
fi
done_testing
