#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The volume inherits its source's queue limits and passes flush, FUA,
# discard and write-zeroes through. Two sources: a brd ramdisk (no volatile
# write cache; discard only on newer kernels) and a loop device on a tmpfs
# file (write-back cache, so flushes are counted in its stat; discard by
# punching holes). Each effect is checked on the source: zeros after
# blkdiscard / blkdiscard -z with the neighbouring data untouched, the
# source's flush counter growing after fsync and O_DSYNC writes, and fio
# with --fsync / --fdatasync verifying.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

test_init
require_tools blkdiscard fio losetup
ktap_plan 33

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 1 32 || ktap_abort "cannot set up brd ramdisks"
loop_setup 32 512 || ktap_abort "cannot set up a loop device"
loop=$loop_dev

MIB=1048576

# region_sha DEV OFFSET_MIB LENGTH_MIB
region_sha()
{
	dd if="$1" bs=1M skip="$2" count="$3" iflag=direct status=none | sha256sum
}

# Fill the first 4 MiB of the volume; remember the two neighbours of the
# range 1..3 MiB that the discard and write-zeroes checks clear.
fill_4m()
{
	dev_fill_random "$vol" 4
	head_sha=$(region_sha "$src" 0 1)
	tail_sha=$(region_sha "$src" 3 1)
}

neighbours_intact()
{
	if [ "$(region_sha "$src" 0 1)" != "$head_sha" ] ||
		[ "$(region_sha "$src" 3 1)" != "$tail_sha" ]; then
		echo "data next to the cleared range changed"
		return 1
	fi
}

discard_check()
{
	fill_4m
	if [ "$(sysfs_queue "$src" discard_max_bytes)" -gt 0 ]; then
		blkdiscard -o "$MIB" -l $((2 * MIB)) "$vol" || return 1
		dev_is_zero "$src" "$MIB" $((2 * MIB)) ||
			{ echo "discarded range is not zero on the source"; return 1; }
	else
		# No discard on the source: refused on the volume too.
		if blkdiscard -o "$MIB" -l $((2 * MIB)) "$vol" 2>/dev/null; then
			echo "blkdiscard worked on a volume whose source has no discard"
			return 1
		fi
		if dev_is_zero "$src" "$MIB" $((2 * MIB)); then
			echo "a refused discard cleared data"
			return 1
		fi
	fi
	neighbours_intact
}

zeroout_check()
{
	fill_4m
	blkdiscard -z -o "$MIB" -l $((2 * MIB)) "$vol" || return 1
	dev_is_zero "$src" "$MIB" $((2 * MIB)) ||
		{ echo "zeroed range is not zero on the source"; return 1; }
	neighbours_intact
}

# flushes_reach_source CMD...: the source's completed-flush counter grows
# while CMD writes through the volume.
flushes_reach_source()
{
	local before after

	before=$(disk_stat "$src" 16)
	"$@" || return 1
	after=$(disk_stat "$src" 16)
	echo "source flushes: $before -> $after"
	[ "$after" -gt "$before" ]
}

fsync_write()
{
	dd if=/dev/urandom of="$vol" bs=4096 count=8 seek=2000 conv=fsync status=none
}

dsync_write()
{
	dd if=/dev/urandom of="$vol" bs=4096 count=8 seek=3000 oflag=direct,dsync status=none
}

# fio_sync NAME ARGS...: verified direct random writes with syncs.
fio_sync()
{
	local name=$1

	shift
	(cd "$tmpdir" && fio --name="$name" --filename="$vol" --ioengine=psync \
		--direct=1 --rw=randwrite --bs=4k --offset=8M --size=8M \
		--verify=crc32c --do_verify=1 --verify_fatal=1 \
		--verify_state_save=0 --output="$tmpdir/fio.out" "$@") ||
		{ cat "$tmpdir/fio.out"; return 1; }
}

for src in /dev/ram0 "$loop"; do
	name=t09$(basename "$src")
	if ! check "create volume $name on $src" vol_create "$name" "$src"; then
		for ((i = 0; i < 15; i++)); do
			not_ok "$src: not run, no volume"
		done
		continue
	fi
	vol=/dev/$(vol_disk "$name")

	for attr in logical_block_size physical_block_size rotational write_cache \
		fua discard_max_bytes discard_granularity write_zeroes_max_bytes; do
		check_eq "$src: queue/$attr equals the source's" \
			"$(sysfs_queue "$src" "$attr")" "$(sysfs_queue "$vol" "$attr")"
	done

	if [ "$(sysfs_queue "$src" discard_max_bytes)" -gt 0 ]; then
		what="blkdiscard clears the range on the source"
	else
		what="blkdiscard is refused as by the source (no discard)"
	fi
	check "$src: $what, neighbours intact" discard_check
	check "$src: blkdiscard -z zeroes the range on the source, neighbours intact" \
		zeroout_check

	if [ "$(sysfs_queue "$src" write_cache)" = "write back" ]; then
		check "$src: fsync on the volume flushes the source" \
			flushes_reach_source fsync_write
		check "$src: O_DIRECT|O_DSYNC writes flush (or FUA) the source" \
			flushes_reach_source dsync_write
		check "$src: fio verify with --fsync=4 flushes the source" \
			flushes_reach_source fio_sync fsync --fsync=4
	else
		reason="source has no volatile write cache"
		skip "$src: fsync on the volume flushes the source" "$reason"
		skip "$src: O_DIRECT|O_DSYNC writes flush (or FUA) the source" "$reason"
		check "$src: fio verify with --fsync=4" fio_sync fsync --fsync=4
	fi
	check "$src: fio verify with --fdatasync=4" fio_sync fdatasync --fdatasync=4
	check "$src: destroy $name" vol_destroy "$name"
done

ktap_finished
