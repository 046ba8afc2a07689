#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A snapshot of a frozen ext4: ext4 is mounted on the volume and holds
# files of known sha256; fsfreeze -f, snapshot, fsfreeze -u; then files are
# changed, deleted and written on the volume. The snapshot's view is
# read-only, e2fsck -fn finds it clean, it mounts with -o ro,noload and
# holds exactly the files of the moment of the snapshot (same sha256, the
# deleted ones still there, the later ones absent). More changes on the
# volume while the view is mounted change nothing in it (checked again
# after a remount, which reads from the device anew); the snapshot stays
# split/idle/completed with chunks in its store, and the volume's own
# filesystem is clean too.

# shellcheck source=lib.sh disable=SC2016 # eval '...' expands as check runs it
. "$(dirname "$0")/lib.sh"

test_init
require_tools mkfs.ext4 e2fsck fsfreeze sha256sum jq
ktap_plan 23

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 2 32 || ktap_abort "cannot set up brd ramdisks"
modprobe ext4 2>/dev/null

check "create volume s03 on /dev/ram0" vol_create s03 /dev/ram0 || ktap_abort "volume create failed"
vol=/dev/$(vol_disk s03)
mnt=$tmpdir/vol
vmnt=$tmpdir/view

# No lazy initialisation: nothing writes in the background later.
mkfs_mount()
{
	mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$vol" &&
		mount_dev "$vol" "$mnt"
}
check "mkfs.ext4 on the volume and mount it" mkfs_mount || ktap_abort "no ext4 on the volume"

FILES=(a.bin b.txt dir/c.bin del.bin)
write_files()
{
	mkdir -p "$mnt/dir" &&
		head -c 1M /dev/urandom >"$mnt/a.bin" &&
		echo "written before the snapshot" >"$mnt/b.txt" &&
		head -c 300K /dev/urandom >"$mnt/dir/c.bin" &&
		head -c 2M /dev/urandom >"$mnt/del.bin" &&
		sync
}
check "write files on it" write_files
sums=$(cd "$mnt" && sha256sum "${FILES[@]}")

track_frozen+=("$mnt")
check "fsfreeze -f the volume's ext4" fsfreeze -f "$mnt"
check "snapshot s03/s on /dev/ram1 while frozen" snap_create s03/s /dev/ram1
check "fsfreeze -u" fsfreeze -u "$mnt"
check_eq "s03/s is $ST_SNAP_SPLIT" "$ST_SNAP_SPLIT" "$(assoc_states s03/s)"

after_writes()
{
	head -c 1M /dev/urandom >"$mnt/a.bin" &&
		rm "$mnt/del.bin" &&
		echo after >"$mnt/after.txt" &&
		head -c 4M /dev/urandom >"$mnt/big.bin" &&
		sync
}
check "after the snapshot: rewrite a.bin, delete del.bin, write after.txt and big.bin" \
	after_writes
a_old=$(grep ' a.bin$' <<<"$sums" | cut -d' ' -f1)
volume_changed()
{
	[ "$(sha256sum <"$mnt/a.bin" | cut -d' ' -f1)" != "$a_old" ] && [ ! -e "$mnt/del.bin" ]
}
check "the volume's files changed (a.bin differs, del.bin gone)" volume_changed

view=$(assoc_view s03/s)
check_eq "the view $view is read-only (blockdev --getro)" 1 "$(blockdev --getro "$view" 2>&1)"
check "e2fsck -fn on the view finds it clean" e2fsck -fn "$view"
check "the view mounts with -o ro,noload" mount_dev "$view" "$vmnt" ro,noload
check_eq "the view holds the files of the snapshot's moment" "$sums" \
	"$(cd "$vmnt" && sha256sum "${FILES[@]}" 2>&1)"
check "after.txt and big.bin are not in the view" \
	eval '[ ! -e "$vmnt/after.txt" ] && [ ! -e "$vmnt/big.bin" ]'

more_writes()
{
	rm "$mnt/b.txt" &&
		head -c 300K /dev/urandom >"$mnt/dir/c.bin" &&
		rm "$mnt/big.bin" &&
		head -c 3M /dev/urandom >"$mnt/more.bin" &&
		sync
}
check "while the view is mounted: delete b.txt and big.bin, rewrite dir/c.bin, write more.bin" \
	more_writes
check "unmount the view; e2fsck -fn still finds it clean" \
	eval 'umount_dir "$vmnt" && e2fsck -fn "$view"'
check "the view mounts again with -o ro,noload" mount_dev "$view" "$vmnt" ro,noload
check_eq "it still holds the files of the snapshot's moment, nothing later" "$sums"$'\n'"-" \
	"$(cd "$vmnt" && sha256sum "${FILES[@]}" 2>&1; ls "$vmnt/more.bin" 2>/dev/null || echo -)"
check "unmount the view" umount_dir "$vmnt"
check_eq "s03/s is still $ST_SNAP_SPLIT, with chunks in its store" "$ST_SNAP_SPLIT yes" \
	"$(assoc_states s03/s) $([ "$(assoc_get s03/s store-used)" -gt 0 ] && echo yes)"
check "unmount the volume; e2fsck -fn finds it clean too" \
	eval 'umount_dir "$mnt" && e2fsck -fn "$vol"'
check "destroy s03/s and s03" eval 'assoc_destroy s03/s && vol_destroy s03'

ktap_finished
