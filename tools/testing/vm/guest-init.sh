#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the test VM once the host's root is mounted (see initramfs-init.sh): finishes
# the mounts, runs the guest script with the test environment, saves its exit status and
# the kernel log to the results share, and powers off.  Whatever happens, it must reach the
# power-off: a PID 1 that exits panics the kernel.

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8 LC_ALL=C.UTF-8
RESULTS=/run/vdrep/results
set -a
# shellcheck source=/dev/null
. "$RESULTS/guest.env"
set +a
export VDREP_RESULTS=$RESULTS

power_off() {
	sync
	# A kernel without ACPI (the debug lane's) cannot power off: sysrq o would shut the
	# virtio devices down, 9p with them, and PID 1 would die on its next exec.  A reset
	# ends QEMU just as well (-no-reboot), and everything is written by now.
	[ -d /sys/firmware/acpi ] || echo b >/proc/sysrq-trigger
	echo o >/proc/sysrq-trigger
	sleep 10
	/bin/busybox poweroff -f
}
trap power_off EXIT

mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
modprobe -q configfs 2>/dev/null
mount -t configfs configfs /sys/kernel/config 2>/dev/null
hostname "vdrep-${VDREP_LANE//./-}" 2>/dev/null
ip link set lo up 2>/dev/null || /bin/busybox ip link set lo up 2>/dev/null
# Without udev, dmsetup must make its own /dev/mapper nodes.
export DM_DISABLE_UDEV=1

echo "vdrep-vm: guest up, kernel $(uname -r), lane $VDREP_LANE" | tee /dev/kmsg
# A kernel that splatted while booting, before any vdrep code ran, would check nothing:
# KASAN and lockdep turn lock debugging off at their first report.  Seen once on the
# debug kernel in TCG (KASAN: wild-memory-access in handle_edge_irq during
# identify_cpu, 0.06 s into the boot).  Say so and stop; run.sh boots again.
# Taint bits: 16 MCE, 32 bad page (KASAN), 128 oops, 512 warning, 16384 soft lockup.
tainted=$(cat /proc/sys/kernel/tainted 2>/dev/null || echo 0)
debug_locks=$(sed -n 's/^ *debug_locks: *//p' /proc/lockdep_stats 2>/dev/null)
if [ $((tainted & (16 | 32 | 128 | 512 | 16384))) -ne 0 ] || [ "${debug_locks:-1}" = 0 ]; then
	echo "vdrep-vm: boot splat: the kernel is tainted ($tainted) or lockdep is off" \
		"(debug_locks ${debug_locks:-?}) before any test" | tee /dev/kmsg
	dmesg >"$RESULTS/boot-splat.txt" 2>&1
	exit 0
fi
cd /tmp || exit 1
# shellcheck disable=SC2086
bash "$VDREP_SCRIPT" $VDREP_SCRIPT_ARGS </dev/null 2>&1 | tee "$RESULTS/script.log"
echo "${PIPESTATUS[0]}" >"$RESULTS/guest.rc"
dmesg >"$RESULTS/dmesg.txt" 2>&1
echo "vdrep-vm: guest script done, powering off"
