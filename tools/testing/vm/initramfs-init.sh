#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash # busybox ash, which shellcheck 0.9 does not know
#
# /init of the test VM's initramfs (busybox only).  Loads the virtio/9p modules, mounts the
# host's / read-only as the new root and the results share read-write, puts tmpfs where
# tools need to write, binds the lane's module tree at /lib/modules/$(uname -r), and hands
# over to tools/testing/vm/guest-init.sh from the host's root.

/bin/busybox mkdir -p /bin /proc /sys /dev /newroot /results /keep
/bin/busybox --install -s /bin
export PATH=/bin

fail() {
	echo "vdrep-init: $*"
	echo "vdrep-init: dropping to a shell is useless without a console; powering off"
	poweroff -f
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

# shellcheck disable=SC2013 # module names, one a line, never with spaces
for m in $(cat /modules.load); do
	insmod "/modules/$m.ko" || echo "vdrep-init: insmod $m failed"
done

p9="trans=virtio,version=9p2000.L"
# msize above what the transport allows makes older kernels refuse the mount.
mount -t 9p -o "$p9,msize=512000,ro,cache=loose" hostroot /newroot ||
	mount -t 9p -o "$p9,ro" hostroot /newroot || fail "cannot mount the host root"
mount -t 9p -o "$p9,msize=512000" results /results ||
	mount -t 9p -o "$p9" results /results || fail "cannot mount the results share"

[ -r /results/guest.env ] || fail "no guest.env in the results share"
# shellcheck source=/dev/null # written by run.sh for each run
. /results/guest.env

# Paths the guest needs that live below a directory about to get a tmpfs (a clone in /tmp,
# say) are bound aside first and put back on top of the tmpfs.
n=0
for p in $VDREP_KEEP; do
	n=$((n + 1))
	mkdir -p "/keep/$n"
	mount --bind "/newroot$p" "/keep/$n" || fail "cannot bind $p"
done

mount -t tmpfs -o mode=0755 tmpfs /newroot/lib/modules
mkdir -p "/newroot/lib/modules/$VDREP_KREL"
mount --bind "/newroot$VDREP_MODDIR" "/newroot/lib/modules/$VDREP_KREL" ||
	fail "cannot bind the module tree $VDREP_MODDIR"

for d in /tmp /var/tmp; do
	mount -t tmpfs -o mode=1777 tmpfs "/newroot$d"
done
for d in /run /root /var/log /mnt /media /srv; do
	[ -d "/newroot$d" ] && mount -t tmpfs -o mode=0755 tmpfs "/newroot$d"
done

n=0
for p in $VDREP_KEEP; do
	n=$((n + 1))
	mkdir -p "/newroot$p"
	mount --move "/keep/$n" "/newroot$p" || fail "cannot put back $p"
done

mkdir -p /newroot/run/vdrep/results
mount --move /results /newroot/run/vdrep/results
mount --move /dev /newroot/dev
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys

# shellcheck disable=SC2093 # the next line runs only if switch_root cannot be run
exec switch_root /newroot /bin/bash "$VDREP_GUEST_INIT"
fail "switch_root failed"
