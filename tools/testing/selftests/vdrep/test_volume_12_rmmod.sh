#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unloading the module with volumes present: unopened volumes are torn down
# (their disks disappear and their sources are released); an open or
# mounted volume holds a module reference, so rmmod fails and the volume
# keeps working until it is closed.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

test_init
require_tools mkfs.ext4
ktap_plan 17

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 2 32 || ktap_abort "cannot set up brd ramdisks"
modprobe ext4 2>/dev/null
mnt=$tmpdir/mnt

vol_create t12a /dev/ram0 && vol_create t12b /dev/ram1
check "two unopened volumes" test -n "$(vol_disk t12a)" -a -n "$(vol_disk t12b)"
disk_a=$(vol_disk t12a)
check "rmmod vdrep with two unopened volumes succeeds" rmmod vdrep
track_volumes=()
check "their disks are gone from /dev and /sys/block" \
	test -z "$(vdrep_disks)" -a ! -e "/dev/$disk_a"
check "/dev/ram0 is released" open_excl /dev/ram0
check "/dev/ram1 is released" open_excl /dev/ram1

check "reload the module" load_module || ktap_abort "cannot reload $VDREP_KO"
check "create t12c on /dev/ram0" vol_create t12c /dev/ram0 ||
	ktap_abort "volume create failed"
disk=$(vol_disk t12c)
exec 9<>"/dev/$disk"
check "an open volume holds a module reference" test "$(module_refcnt)" -ge 1
rmmod_refused()
{
	! rmmod vdrep 2>&1 && module_loaded && test -b "/dev/$disk"
}
check "rmmod fails while the volume is open; module and disk stay" rmmod_refused
check "the open volume still does I/O" \
	dd if="/dev/$disk" of=/dev/null bs=4096 count=4 iflag=direct status=none
exec 9<&-

if mkfs.ext4 -q -F "/dev/$disk" && mount_dev "/dev/$disk" "$mnt"; then
	check "rmmod fails while the volume is mounted" rmmod_refused
	check "unmount" umount_dir "$mnt"
else
	not_ok "rmmod fails while the volume is mounted"
	not_ok "unmount"
fi
check_eq "module reference count is 0 once closed" 0 "$(module_refcnt)"
check "rmmod vdrep succeeds once nothing holds the volume" rmmod vdrep
track_volumes=()
check "the disk is gone from /dev and /sys/block" \
	test ! -e "/sys/block/$disk" -a ! -e "/dev/$disk"
check "/dev/ram0 opens exclusively" open_excl /dev/ram0

ktap_finished
