#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A filesystem on a volume: mkfs.ext4, e2fsck -f, files written through a
# mount read back after a remount; after destroy the filesystem is intact on
# the source itself, which can be checked and mounted (the volume released
# it).

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

test_init
require_tools mkfs.ext4 e2fsck sha256sum
ktap_plan 15

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 1 64 || ktap_abort "cannot set up brd ramdisks"
modprobe ext4 2>/dev/null

check "create volume t03 on /dev/ram0" vol_create t03 /dev/ram0 ||
	ktap_abort "volume create failed"
vol=/dev/$(vol_disk t03)
mnt=$tmpdir/mnt

check "mkfs.ext4 on the volume" mkfs.ext4 -q -F "$vol"
check "e2fsck -f on the fresh filesystem" e2fsck -f -n "$vol"
check "mount the volume" mount_dev "$vol" "$mnt"

# One big file and a few hundred small ones (split, so that TCG does not
# spend minutes starting a process per file).
write_files()
{
	mkdir -p "$mnt/dir" || return 1
	dd if=/dev/urandom of="$mnt/big" bs=1M count=16 status=none || return 1
	head -c 2M /dev/urandom | split -a 3 -b 7777 - "$mnt/dir/f" || return 1
	(cd "$mnt" && find . -type f -print0 | xargs -0 sha256sum) >"$tmpdir/sums" &&
		sync
}

verify_sums()
{
	(cd "$1" && sha256sum --quiet -c "$tmpdir/sums")
}

check "write a 16 MiB file and 270 small ones through the mount" write_files
check "unmount" umount_dir "$mnt"
check "e2fsck -f after writing" e2fsck -f -n "$vol"
check "mount again" mount_dev "$vol" "$mnt"
check "files read back with the same sha256" verify_sums "$mnt"
check "unmount" umount_dir "$mnt"
check "destroy t03" vol_destroy t03

# The filesystem lives on the source, now free again.
check "e2fsck -f on the source after destroy" e2fsck -f -n /dev/ram0
check "mount the source" mount_dev /dev/ram0 "$mnt"
check "files read back from the source" verify_sums "$mnt"
umount_dir "$mnt"

ktap_finished
