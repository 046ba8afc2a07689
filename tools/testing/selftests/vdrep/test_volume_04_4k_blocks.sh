#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A source with 4096-byte logical blocks (a loop device made with
# losetup -b 4096) gives a volume with 4096-byte logical blocks and the same
# size: 512-byte direct I/O is refused, 4 KiB and larger works and verifies,
# ext4 works, and a 4096-byte chunk size is accepted.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

test_init
require_tools losetup fio mkfs.ext4 e2fsck
ktap_plan 15

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
loop_setup 64 4096 || ktap_abort "cannot set up a loop device"
src=$loop_dev
check_eq "the loop source has 4096-byte logical blocks" 4096 "$(blockdev --getss "$src")" ||
	ktap_abort "losetup -b 4096 did not take"

check "create volume t04 on $src with chunk-size 4096" \
	vol_create t04 "$src" chunk-size 4096 || ktap_abort "volume create failed"
disk=$(vol_disk t04)
vol=/dev/$disk
check_eq "queue/logical_block_size is 4096" 4096 "$(sysfs_queue "$vol" logical_block_size)"
check_eq "BLKSSZGET is 4096" 4096 "$(blockdev --getss "$vol")"
check_eq "physical block size equals the source's" "$(blockdev --getpbsz "$src")" \
	"$(blockdev --getpbsz "$vol")"
check_eq "size equals the source's" "$(dev_size "$src")" "$(dev_size "$vol")"
"$VDREPCTL" -j volume show t04 >"$tmpdir/t04.json" 2>&1
check_eq "vdrepctl reports logical_block_size 4096 and chunk_size 4096" "4096 4096" \
	"$(json_get logical_block_size <"$tmpdir/t04.json") $(json_get chunk_size <"$tmpdir/t04.json")"

write_512()
{
	! dd if=/dev/zero of="$vol" bs=512 count=1 oflag=direct status=none 2>"$tmpdir/dd.err" &&
		grep -q "Invalid argument" "$tmpdir/dd.err"
}
check "a 512-byte direct write is refused with EINVAL" write_512
check "a 4096-byte direct write works" \
	dd if=/dev/urandom of="$vol" bs=4096 count=1 seek=100 oflag=direct status=none

fio_verify()
{
	(cd "$tmpdir" && fio --name=v4k --filename="$vol" --ioengine=libaio --direct=1 \
		--rw=randwrite --bssplit=4k/50:8k/25:64k/25 --iodepth=16 --size=32M \
		--verify=crc32c --do_verify=1 --verify_fatal=1 --verify_state_save=0 \
		--output="$tmpdir/fio.out") || { cat "$tmpdir/fio.out"; return 1; }
}
check "fio verify, 4k/8k/64k, direct" fio_verify
check_eq "source and volume have the same sha256" "$(dev_sha256 "$src")" \
	"$(dev_sha256 "$vol")"
check "mkfs.ext4 on the volume" mkfs.ext4 -q -F "$vol"
check "e2fsck -f on the volume" e2fsck -f -n "$vol"
check "destroy t04" vol_destroy t04

ktap_finished
