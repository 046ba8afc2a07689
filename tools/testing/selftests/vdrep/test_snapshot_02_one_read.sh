#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# One read of the old data feeds every snapshot that needs it (DESIGN.md
# section 4, invariant 3). The volume is a 16 MiB slice of a ramdisk; the
# snapshot stores are 4 MiB dm-linear slices of another.
#  - 4 snapshots; N distinct chunks are written once each (one direct 4 KiB
#    write inside each chunk, which needs the rest of the chunk's old data):
#    the volume's old-data-reads rises by exactly N, each snapshot's by N,
#    each store-used by N chunks, each dirty-chunks by N; writing the same
#    chunks again reads nothing more; 8 concurrent writes into one new chunk
#    make one read; every view still reads the volume of its moment.
#  - 16 snapshots (DESIGN.md: up to 16 associations per volume; the 17th is
#    refused with ENOSPC and its store is not held): M new chunks written
#    once make M reads on the volume and M in each of the 16 snapshots.
#  - discard and write-zeroes on chunks no snapshot has preserved yet (a
#    volume on a loop device, which has both): each is treated as a write,
#    the chunk is preserved first (one read, one chunk more in the store)
#    and the view does not change.

# shellcheck source=lib.sh disable=SC2016 # eval '...' expands as check runs it
. "$(dirname "$0")/lib.sh"

test_init
require_tools sha256sum jq losetup blkdiscard
dm_require linear
ktap_plan 35

CS=65536
ENOSPC="No space left on device"
VDREP_STATE_FN=mirror_state

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 2 68 || ktap_abort "cannot set up brd ramdisks"
dev_fill_random /dev/ram0 16

# s02v: the volume's source; s02s1..s02s16 on /dev/ram1, s02s17 on /dev/ram0.
slices()
{
	local i

	dm_slice s02v /dev/ram0 0 16 || return 1
	for ((i = 1; i <= 16; i++)); do
		dm_slice "s02s$i" /dev/ram1 $(((i - 1) * 4)) 4 || return 1
	done
	dm_slice s02s17 /dev/ram0 16 4
}
check "dm-linear slices: the volume's source and 17 stores of 4 MiB" slices ||
	ktap_abort "dmsetup create failed"
check "create volume s02 on the 16 MiB slice (chunk-size 64K)" \
	vol_create s02 /dev/mapper/s02v chunk-size 64K || ktap_abort "volume create failed"
vol=/dev/$(vol_disk s02)

# reads: the volume's old-data-reads now.
reads()
{
	vol_get s02 old-data-reads
}

# counters FIRST LAST: "old-data-reads store-used dirty-chunks" of the
# snapshots s02/aFIRST..aLAST, one line.
counters()
{
	local i out=()

	for ((i = $1; i <= $2; i++)); do
		out+=("$(assoc_get "s02/a$i" old-data-reads store-used dirty-chunks | paste -sd' ')")
	done
	echo "${out[*]}"
}

# expect_counters FIRST LAST READS CHUNKS: what counters prints when each
# snapshot fed from READS reads and holds CHUNKS chunks.
expect_counters()
{
	local i out=()

	for ((i = $1; i <= $2; i++)); do
		out+=("$3 $(($4 * CS)) $4")
	done
	echo "${out[*]}"
}

# snaps FIRST LAST: create s02/aFIRST..aLAST on the stores of their number.
snaps()
{
	local i

	for ((i = $1; i <= $2; i++)); do
		snap_create "s02/a$i" "/dev/mapper/s02s$i" || return 1
	done
}

# views_are FIRST LAST SHA: every view of s02/aFIRST..aLAST reads SHA.
views_are()
{
	local i sum rc=0

	for ((i = $1; i <= $2; i++)); do
		sum=$(view_sha "s02/a$i")
		[ "$sum" = "$3" ] || { diag "s02/a$i reads $sum"; rc=1; }
	done
	return "$rc"
}

# --- four snapshots
sha1=$(dev_sha256 "$vol")
r0=$(reads)
check "create snapshots s02/a1..a4" snaps 1 4 || ktap_abort "snapshot create failed"
fresh()
{
	local i

	for i in 1 2 3 4; do
		echo "$(assoc_states "s02/a$i") $(assoc_get "s02/a$i" store-used old-data-reads | paste -sd' ')"
	done
}
check_eq "a1..a4: $ST_SNAP_SPLIT, store-used 0, old-data-reads 0" \
	"$(printf '%s\n' "$ST_SNAP_SPLIT 0 0" "$ST_SNAP_SPLIT 0 0" "$ST_SNAP_SPLIT 0 0" "$ST_SNAP_SPLIT 0 0")" \
	"$(fresh)"

chunks1=(0 3 17 64 100 128 200 201 254 255)
N=${#chunks1[@]}
check "write $N distinct chunks once each (4 KiB inside each)" \
	touch_chunks "$vol" "$CS" one "${chunks1[@]}"
check_eq "the volume's old-data-reads rose by $N" "$N" "$(($(reads) - r0))"
check_eq "a1..a4 each: old-data-reads $N, store-used $N chunks, dirty-chunks $N" \
	"$(expect_counters 1 4 "$N" "$N")" "$(counters 1 4)"
check "write the same $N chunks again" touch_chunks "$vol" "$CS" again "${chunks1[@]}"
check_eq "no old-data read more on the volume" "$N" "$(($(reads) - r0))"
check_eq "a1..a4 unchanged" "$(expect_counters 1 4 "$N" "$N")" "$(counters 1 4)"

# Eight writers into chunk 50 at once: they wait on the same copy.
concurrent()
{
	local i pids=() rc=0

	for ((i = 0; i < 8; i++)); do
		range_write "$vol" $((50 * CS + i * 8192)) 4096 "conc-$i" &
		pids+=("$!")
	done
	for i in "${pids[@]}"; do
		wait "$i" || rc=1
	done
	return "$rc"
}
check "8 concurrent 4 KiB writes into chunk 50" concurrent
check_eq "one old-data read for them" "$((N + 1))" "$(($(reads) - r0))"
check_eq "a1..a4 each: old-data-reads $((N + 1)), $((N + 1)) chunks" \
	"$(expect_counters 1 4 $((N + 1)) $((N + 1)))" "$(counters 1 4)"
check "the views of a1..a4 read the volume as it was" views_are 1 4 "$sha1"

# --- sixteen snapshots
sha2=$(dev_sha256 "$vol")
check "create snapshots s02/a5..a16" snaps 5 16
check_eq "s02 has 16 associations" 16 "$("$VDREPCTL" -j assoc show s02 | jq length)"
expect_refused "a 17th snapshot: ENOSPC" "$ENOSPC" "16 associations" \
	"$VDREPCTL" assoc create s02/a17 /dev/mapper/s02s17 --type snapshot
check "the 17th store is not held" open_excl /dev/mapper/s02s17

chunks2=(1 30 31 90 150 240)
M=${#chunks2[@]}
r1=$(reads)
check "write $M more distinct chunks once each" touch_chunks "$vol" "$CS" two "${chunks2[@]}"
check_eq "the volume's old-data-reads rose by $M" "$M" "$(($(reads) - r1))"
check_eq "a1..a4 each fed $((N + 1 + M)) reads, a5..a16 each $M" \
	"$(expect_counters 1 4 $((N + 1 + M)) $((N + 1 + M))) $(expect_counters 5 16 "$M" "$M")" \
	"$(counters 1 16)"
check "write the same $M chunks again" touch_chunks "$vol" "$CS" again2 "${chunks2[@]}"
check_eq "no old-data read more on the volume" "$M" "$(($(reads) - r1))"
both_moments()
{
	views_are 1 4 "$sha1" && views_are 5 16 "$sha2"
}
check "the views of a1..a4 and a5..a16 read the volume of their moments" both_moments
all_split()
{
	local i rc=0

	for ((i = 1; i <= 16; i++)); do
		assoc_is "s02/a$i" "$ST_SNAP_SPLIT" || rc=1
	done
	return "$rc"
}
check "all 16 are $ST_SNAP_SPLIT" all_split
destroy_16()
{
	local i

	for ((i = 1; i <= 16; i++)); do
		assoc_destroy "s02/a$i" || return 1
	done
	vol_destroy s02
}
check "destroy the 16 snapshots and s02" destroy_16

# --- discard and write-zeroes
dvol_setup()
{
	loop_setup 16 512 || return 1
	dev_fill_random "$loop_dev"
	vol_create s02d "$loop_dev" chunk-size 64K
}
check "create volume s02d on a 16 MiB loop device" dvol_setup || ktap_abort "no volume on loop"
dvol=/dev/$(vol_disk s02d)
check "create snapshot s02d/s on a 4 MiB slice" snap_create s02d/s /dev/mapper/s02s1 ||
	ktap_abort "snapshot create failed"
dsha=$(dev_sha256 "$dvol")
dr0=$(vol_get s02d old-data-reads)

# dcounters: "volume-reads snapshot-reads store-used view-sha"
dcounters()
{
	echo "$(($(vol_get s02d old-data-reads) - dr0))" \
		"$(assoc_get s02d/s old-data-reads store-used | paste -sd' ')" "$(view_sha s02d/s)"
}
if [ "$(sysfs_queue "$dvol" discard_max_bytes)" -gt 0 ] 2>/dev/null; then
	check "discard of chunk 10 (blkdiscard -o -l)" blkdiscard -o $((10 * CS)) -l "$CS" "$dvol"
	check_eq "discard: chunk 10 preserved first (1 read, 1 chunk stored), view unchanged" \
		"1 1 $CS $dsha" "$(dcounters)"
else
	skip "discard of chunk 10 (blkdiscard -o -l)" "the volume has no discard"
	skip "discard: chunk 10 preserved first" "the volume has no discard"
	# A write in its place, so the counts below stay the same.
	range_write "$dvol" $((10 * CS)) 4096 nodiscard
fi
check "write-zeroes on chunk 20 (blkdiscard -z)" blkdiscard -z -o $((20 * CS)) -l "$CS" "$dvol"
check "the volume reads zeros in chunk 20" dev_is_zero "$dvol" $((20 * CS)) "$CS"
check_eq "write-zeroes: chunk 20 preserved first (2 reads, 2 chunks stored), view unchanged" \
	"2 2 $((2 * CS)) $dsha" "$(dcounters)"
check "destroy s02d/s and s02d" eval 'assoc_destroy s02d/s && vol_destroy s02d'

ktap_finished
