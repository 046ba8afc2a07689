#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The I/O path invariants of DESIGN.md section 4 for mirrors, each checked
# so that breaking it fails a check:
#  1. a volume write completes only after the synchronous mirror's target
#     write completed: with the target suspended (dmsetup suspend) a direct
#     write to the volume stays pending, and completes once it resumes;
#  2. an asynchronous mirror does not wait for its target: the same write
#     completes while the target is suspended, and its chunk is counted
#     dirty and behind (marked before the write was issued) until the target
#     holds it; then both sides are equal;
#  4. a resync under concurrent random writes (fio with verify) ends with
#     source and target equal: copies and writes of one chunk never race;
#  5. flushes (fsync) reach a synchronous mirror's target (a loop device
#     with a write-back cache counts them); write-zeroes reach the target,
#     which ends equal to the source;
#  and a source read error on a Synchronized mirror is retried on the
#  target: the reader gets the right data and source-read-errors counts it.
# No check depends on how long anything takes: "still pending" is checked
# after a bounded wait that a correct driver can never end early.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

test_init
require_tools dmsetup fio jq losetup blkdiscard
dm_require linear error
ktap_plan 34

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 3 16 || ktap_abort "cannot set up brd ramdisks"

# The source and the target are dm-linear, so a test can suspend the target
# or make the source fail.
dev_fill_random /dev/ram0
dm_create m11s "$(dm_table_linear /dev/ram0)" || ktap_abort "dmsetup create failed"
dm_create m11t "$(dm_table_linear /dev/ram1)" || ktap_abort "dmsetup create failed"
check "create volume m11 on /dev/mapper/m11s" vol_create m11 /dev/mapper/m11s ||
	ktap_abort "volume create failed"
vol=/dev/$(vol_disk m11)

# write_bg TAG BLOCK: one direct 4 KiB write of TAG's pattern at BLOCK, in the
# background; its exit status lands in $tmpdir/write.rc.
write_bg()
{
	rm -f "$tmpdir/write.rc"
	(chunk_pattern "$1" 4096 | dd of="$vol" bs=4096 seek="$2" count=1 oflag=direct \
		iflag=fullblock status=none; echo $? >"$tmpdir/write.rc") &
	track_pids+=("$!")
}

# write_done TENTHS: the background write ended within TENTHS tenths of a
# second (a bound against hanging, or the time a pending write is given).
write_done()
{
	local i

	for ((i = 0; i < $1; i++)); do
		[ -s "$tmpdir/write.rc" ] && return 0
		sleep 0.1
	done
	return 1
}

# ------------------------------------------------ invariants 1 and 2

check "sync mirror m11/s on /dev/mapper/m11t" assoc_create m11/s /dev/mapper/m11t --mode sync
check "m11/s synchronized" assoc_wait_idle m11/s

dmsetup suspend m11t
write_bg inv1 100
if write_done 30; then
	not_ok "sync mirror: a volume write stays pending while the target is suspended"
else
	ok "sync mirror: a volume write stays pending while the target is suspended"
fi
dmsetup resume m11t
write_done 600
check_eq "sync mirror: the write completes once the target resumes" 0 "$(cat "$tmpdir/write.rc" 2>/dev/null)"
check "m11/s still synchronized" assoc_wait_idle m11/s
check_eq "sync mirror: target equals source" "$(dev_sha256 /dev/ram0)" "$(dev_sha256 /dev/ram1)"
check "destroy m11/s" assoc_destroy m11/s

check "async mirror m11/a on /dev/mapper/m11t" assoc_create m11/a /dev/mapper/m11t --mode async
check "m11/a synchronized" assoc_wait_idle m11/a
dmsetup suspend m11t
write_bg inv2 200
write_done 600
check_eq "async mirror: a volume write completes while the target is suspended" \
	0 "$(cat "$tmpdir/write.rc" 2>/dev/null)"
check_eq "async mirror: the chunk is dirty and 4096 bytes behind while the target is suspended" \
	"1 4096" "$(assoc_get m11/a dirty-chunks bytes-behind | paste -sd' ')"
dmsetup resume m11t
check "async mirror: idle once the target resumes" assoc_wait_idle m11/a
check_eq "async mirror: target equals source" "$(dev_sha256 /dev/ram0)" "$(dev_sha256 /dev/ram1)"

# ------------------------------------------------------- invariant 4

check "fracture m11/a, write 64 chunks" assoc_op fracture m11/a
dd if=/dev/urandom of="$vol" bs=64K count=64 seek=16 oflag=direct status=none
check "set m11/a --rate 1M (the resync runs while fio writes)" assoc_op set m11/a --rate 1M
check "resync m11/a" assoc_op resync m11/a
fio_check "fio verify through the volume during the resync" inv4 "$vol" \
	--bs=4k --iodepth=16 --offset=0 --size=8M
check "set m11/a --rate 0" assoc_op set m11/a --rate 0
check "m11/a idle after the resync" assoc_wait_idle m11/a
check_eq "after a resync under writes, target equals source" \
	"$(dev_sha256 /dev/ram0)" "$(dev_sha256 /dev/ram1)"

# ------------------------------------- source read error is retried

expected=$(dd if="$vol" bs=64K skip=40 count=4 iflag=direct status=none | sha256sum)
dm_reload m11s "$(dm_table_error /dev/ram0)"
got=$(dd if="$vol" bs=64K skip=40 count=4 iflag=direct status=none | sha256sum)
check_eq "source failing: reads of the volume return the mirror's data" "$expected" "$got"
check "source-read-errors counts the retried reads" \
	test "$(assoc_get m11/a source-read-errors)" -gt 0
dm_reload m11s "$(dm_table_linear /dev/ram0)"
check_eq "the mirror stays synchronized" "$ST_SYNCHRONIZED" "$(assoc_states m11/a)"
check "destroy m11/a" assoc_destroy m11/a
check "destroy volume m11" vol_destroy m11

# ------------------------------------------------------- invariant 5

loop_setup 16 512 || ktap_abort "cannot set up a loop device"
lsrc=$loop_dev
loop_setup 16 512 || ktap_abort "cannot set up a loop device"
ltgt=$loop_dev
dev_fill_random "$lsrc"
check "create volume m11l on $lsrc" vol_create m11l "$lsrc" || ktap_abort "volume create failed"
vol=/dev/$(vol_disk m11l)
check "sync mirror m11l/s on $ltgt" assoc_create m11l/s "$ltgt" --mode sync
check "m11l/s synchronized" assoc_wait_idle m11l/s
before=$(disk_stat "$ltgt" 16)
dd if=/dev/urandom of="$vol" bs=4096 count=8 seek=100 conv=fsync status=none
after=$(disk_stat "$ltgt" 16)
diag "target flushes: $before -> $after"
check "fsync on the volume flushes the sync mirror's target" test "$after" -gt "$before"
if blkdiscard -z -o 1048576 -l 2097152 "$vol"; then
	check "write-zeroes: zeros on the target" dev_is_zero "$ltgt" 1048576 2097152
else
	not_ok "write-zeroes: zeros on the target"
fi
check_eq "write-zeroes: target equals source" "$(dev_sha256 "$lsrc")" "$(dev_sha256 "$ltgt")"
check "destroy m11l/s" assoc_destroy m11l/s
