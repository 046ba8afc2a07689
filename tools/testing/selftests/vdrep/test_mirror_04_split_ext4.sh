#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Split of a frozen ext4: ext4 is mounted on the volume, mirrored and
# synchronized; fsfreeze -f, split, fsfreeze -u. The target view
# /dev/vdrepNaM (its name from the view-disk-name attribute; sysfs
# vdrep/volume and vdrep/name say whose it is) is read-only, passes
# e2fsck -fn, mounts with -o ro,noload and holds the files as they were at
# the split, not a file written after it. A resync (once the view is closed)
# removes the view and makes the target equal to the source again.

# shellcheck source=lib.sh disable=SC2016 # eval '...' expands as check runs it
. "$(dirname "$0")/lib.sh"

test_init
require_tools mkfs.ext4 e2fsck fsfreeze sha256sum jq
ktap_plan 27

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 2 32 || ktap_abort "cannot set up brd ramdisks"
modprobe ext4 2>/dev/null

check "create volume m04 on /dev/ram0" vol_create m04 /dev/ram0 ||
	ktap_abort "volume create failed"
disk=$(vol_disk m04)
vol=/dev/$disk
mnt=$tmpdir/vol
vmnt=$tmpdir/view

# No lazy initialisation: nothing writes in the background later.
mkfs_mount()
{
	mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$vol" &&
		mount_dev "$vol" "$mnt"
}
check "mkfs.ext4 on the volume and mount it" mkfs_mount || ktap_abort "no ext4 on the volume"

write_files()
{
	mkdir -p "$mnt/dir" &&
		head -c 1M /dev/urandom >"$mnt/a.bin" &&
		echo "written before the split" >"$mnt/b.txt" &&
		head -c 300K /dev/urandom >"$mnt/dir/c.bin" &&
		sync
}
check "write files on it" write_files
sums=$(cd "$mnt" && sha256sum a.bin b.txt dir/c.bin)

check "mirror m04/m on /dev/ram1, synchronized and idle" \
	eval 'assoc_create m04/m /dev/ram1 && assoc_wait_idle m04/m' ||
	ktap_abort "no synchronized mirror"

track_frozen+=("$mnt")
check "fsfreeze -f the volume's ext4" fsfreeze -f "$mnt"
check "split m04/m while frozen" assoc_op split m04/m
check "fsfreeze -u" fsfreeze -u "$mnt"
check "m04/m becomes split" assoc_wait m04/m split
check_eq "m04/m is $ST_SPLIT" "$ST_SPLIT" "$(assoc_states m04/m)"
check "write a file on the volume after the split" \
	eval 'echo after >"$mnt/after.txt" && sync'

view=$(assoc_view m04/m)
check "view-disk-name names a block device ${vol}aN: '$view'" \
	eval '[[ $view =~ ^${vol}a[0-9]+$ ]] && [ -b "$view" ]'
vname=${view#/dev/}
check_eq "/sys/block/$vname/vdrep/{volume,name} are m04 and m" "m04 m" \
	"$(cat "/sys/block/$vname/vdrep/volume" "/sys/block/$vname/vdrep/name" 2>&1 | paste -sd' ')"
check_eq "the view is read-only (blockdev --getro)" 1 "$(blockdev --getro "$view" 2>&1)"
check "e2fsck -fn on the view finds nothing" e2fsck -fn "$view"
check "the view mounts with -o ro,noload" mount_dev "$view" "$vmnt" ro,noload
check_eq "the view holds the files as written before the split" "$sums" \
	"$(cd "$vmnt" && sha256sum a.bin b.txt dir/c.bin 2>&1)"
check "the file written after the split is not in the view" test ! -e "$vmnt/after.txt"
check "unmount the view" umount_dir "$vmnt"
check "a write to the read-only view fails" \
	eval '! dd if=/dev/zero of="$view" bs=4096 count=1 oflag=direct status=none'
check_eq "m04/m is still $ST_SPLIT" "$ST_SPLIT" "$(assoc_states m04/m)"

check "unmount the volume" umount_dir "$mnt"
check "resync m04/m: synchronized and idle" \
	eval 'assoc_op resync m04/m && assoc_wait_idle m04/m'
check "the view is gone (no $view, no view-disk-name)" \
	eval '[ ! -e "$view" ] && [ -z "$(assoc_get m04/m view-disk-name)" ]'
check_eq "target equals source" "$(dev_sha256 /dev/ram0)" "$(dev_sha256 /dev/ram1)"
check "destroy m04/m" assoc_destroy m04/m
check "destroy m04" vol_destroy m04

ktap_finished
