#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Bad requests are refused with the errno and extack message of the
# contract, and change nothing (no volume, disk or module reference appears
# or goes, and no source stays held). Through vdrepctl, and through raw
# netlink (vdrep_nl.py) for what vdrepctl cannot send: a missing attribute,
# an empty name, a chunk size of 0.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

test_init
require_tools mkfs.ext4
ktap_plan 39

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 3 16 || ktap_abort "cannot set up brd ramdisks"
modprobe ext4 2>/dev/null

ENOENT="No such file or directory"
ENOTBLK="Block device required"
EBUSY="Device or resource busy"
EEXIST="File exists"
ENAMETOOLONG="File name too long"
EINVAL="Invalid argument"
# The contract's messages, in full (common.md "Kernel errors").
BAD_CHARS="volume name may only contain A-Z a-z 0-9 _ . -"
TOO_LONG="volume name is longer than 31 bytes"
BAD_CHUNK="chunk size must be a power of two from 4096 to 1048576 bytes"
IN_USE="source is in use (held by another volume, a mounted filesystem or another driver)"

check "create volume t05 on /dev/ram0" vol_create t05 /dev/ram0 ||
	ktap_abort "volume create failed"
disk=$(vol_disk t05)

# --- sources
touch "$tmpdir/regular"
expect_fail "nonexistent source path: ENOENT" "$ENOENT" \
	"cannot open source: no such file" volume create x source /dev/vdrep-no-such-device
expect_fail "a regular file as source: ENOTBLK" "$ENOTBLK" \
	"source is not a block device" volume create x source "$tmpdir/regular"
expect_fail "a character device as source: ENOTBLK" "$ENOTBLK" \
	"source is not a block device" volume create x source /dev/null
expect_fail "a directory as source: ENOTBLK" "$ENOTBLK" \
	"source is not a block device" volume create x source "$tmpdir"
expect_fail "a source held by another volume: EBUSY" "$EBUSY" "$IN_USE" \
	volume create x source /dev/ram0
if mkfs.ext4 -q -F /dev/ram2 && mount_dev /dev/ram2 "$tmpdir/mnt"; then
	expect_fail "a mounted source: EBUSY" "$EBUSY" "$IN_USE" \
		volume create x source /dev/ram2
	umount_dir "$tmpdir/mnt"
else
	not_ok "a mounted source: EBUSY"
	diag "cannot mount ext4 on /dev/ram2"
fi

# --- names
expect_fail "a duplicate name: EEXIST" "$EEXIST" "a volume with this name exists" \
	volume create t05 source /dev/ram1
expect_fail "a name of 32 bytes: ENAMETOOLONG" "$ENAMETOOLONG" \
	"$TOO_LONG" volume create "$(printf 'n%.0s' {1..32})" source /dev/ram1
expect_fail "a name with /: EINVAL" "$EINVAL" "$BAD_CHARS" \
	volume create bad/name source /dev/ram1
expect_fail "a name with a space: EINVAL" "$EINVAL" "$BAD_CHARS" \
	volume create "bad name" source /dev/ram1
expect_fail "a name with a non-ASCII letter: EINVAL" "$EINVAL" "$BAD_CHARS" \
	volume create "caf$(printf '\xc3\xa9')" source /dev/ram1
expect_fail "the name ..: EINVAL" "$EINVAL" "name" volume create .. source /dev/ram1
name31=$(printf 'n%.0s' {1..31})
check "a name of 31 bytes of every allowed kind is accepted" \
	vol_create "${name31:0:24}aZ09_.-" /dev/ram1
check "destroy it" vol_destroy "${name31:0:24}aZ09_.-"

# --- chunk sizes
expect_fail "chunk-size 5000: EINVAL" "$EINVAL" "$BAD_CHUNK" \
	volume create x source /dev/ram1 chunk-size 5000
expect_fail "chunk-size 12288 (not a power of two): EINVAL" "$EINVAL" "$BAD_CHUNK" \
	volume create x source /dev/ram1 chunk-size 12288
expect_fail "chunk-size 2048 (below 4096): EINVAL" "$EINVAL" "$BAD_CHUNK" \
	volume create x source /dev/ram1 chunk-size 2048
expect_fail "chunk-size 2M (above 1M): EINVAL" "$EINVAL" "$BAD_CHUNK" \
	volume create x source /dev/ram1 chunk-size 2M
check "chunk-size 1M (the largest) is accepted" vol_create c1m /dev/ram1 chunk-size 1M
check "destroy it" vol_destroy c1m

# --- destroy and show
expect_fail "destroy of an unknown volume: ENOENT" "$ENOENT" "no volume with this name" \
	volume destroy no-such-volume
expect_fail "show of an unknown volume: ENOENT" "$ENOENT" "no volume with this name" \
	volume show no-such-volume
exec 9<"/dev/$disk"
expect_fail "destroy of an open volume: EBUSY" "$EBUSY" "volume is open" volume destroy t05
exec 9<&-
check "/dev/$disk still works after the refused destroy" \
	dd if="/dev/$disk" of=/dev/null bs=4096 count=1 iflag=direct status=none

# --- raw netlink: the kernel's own checks
expect_fail_cmd "raw create without a name: EINVAL" "$EINVAL" "volume name is required" \
	vdrep_nl create --source /dev/ram1
expect_fail_cmd "raw create without a source: EINVAL" "$EINVAL" "source path is required" \
	vdrep_nl create --name x
expect_fail_cmd "raw create with an empty name: EINVAL" "$EINVAL" "volume name is empty" \
	vdrep_nl create --name "" --source /dev/ram1
expect_fail_cmd "raw create with a 32-byte name: ENAMETOOLONG" "$ENAMETOOLONG" \
	"$TOO_LONG" vdrep_nl create --name "$(printf 'n%.0s' {1..32})" --source /dev/ram1
expect_fail_cmd "raw create with chunk size 0: EINVAL" "$EINVAL" "$BAD_CHUNK" \
	vdrep_nl create --name x --source /dev/ram1 --chunk 0
expect_fail_cmd "raw create with chunk size 5000: EINVAL" "$EINVAL" "$BAD_CHUNK" \
	vdrep_nl create --name x --source /dev/ram1 --chunk 5000
expect_fail_cmd "raw create of a duplicate name: EEXIST" "$EEXIST" \
	"a volume with this name exists" vdrep_nl create --name t05 --source /dev/ram1
expect_fail_cmd "raw destroy without a name: EINVAL" "$EINVAL" "volume name is required" \
	vdrep_nl destroy
expect_fail_cmd "raw get of an unknown volume: ENOENT" "$ENOENT" "no volume with this name" \
	vdrep_nl get --name no-such-volume

# --- nothing leaked by the refusals
check "/dev/ram1 is free (opens exclusively)" open_excl /dev/ram1
check "/dev/ram2 is free (opens exclusively)" open_excl /dev/ram2
check_eq "only t05's disk exists" "$disk" "$(vdrep_disks | tr '\n' ' ' | sed 's/ $//')"
check "destroy t05" vol_destroy t05

ktap_finished
