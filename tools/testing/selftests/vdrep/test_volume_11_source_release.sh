#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A volume holds its source exclusively while it exists, and releases it on
# destroy: afterwards the source opens exclusively, takes another volume,
# and takes a filesystem that mounts. A mounted source is refused until it
# is unmounted.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

test_init
require_tools mkfs.ext4
ktap_plan 13

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 2 32 || ktap_abort "cannot set up brd ramdisks"
modprobe ext4 2>/dev/null
mnt=$tmpdir/mnt

check "create volume t11a on /dev/ram0" vol_create t11a /dev/ram0 ||
	ktap_abort "volume create failed"
check "the source is held: an exclusive open fails with EBUSY" is_held /dev/ram0
check "destroy t11a" vol_destroy t11a
check "the source opens exclusively after destroy" open_excl /dev/ram0
check "another volume t11b on the same source" vol_create t11b /dev/ram0
check "destroy t11b" vol_destroy t11b
check "mkfs.ext4 on the released source" mkfs.ext4 -q -F /dev/ram0
check "mount the released source" mount_dev /dev/ram0 "$mnt"
expect_fail "a volume on the mounted source is refused: EBUSY" \
	"Device or resource busy" "source is in use" volume create t11c source /dev/ram0
check "unmount" umount_dir "$mnt"
check "a volume on the unmounted source" vol_create t11c /dev/ram0
check "destroy t11c" vol_destroy t11c

ktap_finished
