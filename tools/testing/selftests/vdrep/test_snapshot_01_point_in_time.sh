#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A snapshot keeps its point in time. The volume is a 16 MiB dm-linear slice
# of a ramdisk, so that each 20 MiB ramdisk store holds every chunk of it.
# fio writes pattern A (64 KiB blocks, crc32c) over the whole volume; a
# snapshot is taken: at once split/idle/completed with SyncType snapshot,
# CopyType unsync-assoc, ReplicaType after-delta, CopyMethodology
# copy-on-write, an empty store of the contract's capacity, and a read-only
# view /dev/vdrepNaM that reads A (sha256 and fio --verify_only). fio then
# overwrites every block with pattern B (4 KiB blocks, another seed): the
# volume holds B (fio verifies it, its sha256 is the source's and not A's),
# the view still reads A (the same sha256 as before the overwrite, and
# fio --verify_only of A's job), every chunk was preserved (store-used =
# the volume's size, dirty-chunks = total-chunks), and the view still
# refuses writes. Then four snapshots taken at four moments, with fio
# writing with another seed between them: each view reads the volume of
# its own moment.

# shellcheck source=lib.sh disable=SC2016 # eval '...' expands as check runs it
. "$(dirname "$0")/lib.sh"

test_init
require_tools fio sha256sum jq
dm_require linear
ktap_plan 33

CS=65536
VOL_MIB=16
STORE_MIB=20

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 6 "$STORE_MIB" || ktap_abort "cannot set up brd ramdisks"
dm_slice s01v /dev/ram0 0 "$VOL_MIB" || ktap_abort "dmsetup create failed"
src=/dev/mapper/s01v

check "create volume s01 on a $VOL_MIB MiB slice of /dev/ram0 (chunk-size 64K)" \
	vol_create s01 "$src" chunk-size 64K || ktap_abort "volume create failed"
vol=/dev/$(vol_disk s01)

# Pattern A: sequential 64 KiB blocks over the whole volume (every block).
job_a=(--rw=write --bs=64k "--size=${VOL_MIB}M" --iodepth=8 --randseed=101)
fio_check "fio writes pattern A over the whole volume (64k, verified)" a "$vol" "${job_a[@]}" ||
	ktap_abort "no pattern A"
sha_a=$(dev_sha256 "$vol")
reads0=$(vol_get s01 old-data-reads)

check "create snapshot s01/a on /dev/ram1" snap_create s01/a /dev/ram1 ||
	ktap_abort "snapshot create failed"
check_eq "s01/a is $ST_SNAP_SPLIT at once" "$ST_SNAP_SPLIT" "$(assoc_states s01/a)"
check_eq "sync-type, copy-type, replica-type, copy-methodology" \
	"snapshot unsync-assoc after-delta copy-on-write" \
	"$(assoc_get s01/a sync-type copy-type replica-type copy-methodology | paste -sd' ')"
check_eq "requested-copy-state not-applicable" not-applicable \
	"$(assoc_get s01/a requested-copy-state)"
check_eq "store-capacity (store chunks - 2: header, map) * chunk, store-used 0, old-data-reads 0" \
	"$(((STORE_MIB * 1048576 / CS - 2) * CS)) 0 0" \
	"$(assoc_get s01/a store-capacity store-used old-data-reads | paste -sd' ')"
view=$(assoc_view s01/a)
check "view-disk-name names a block device ${vol}aN: '$view'" \
	eval '[[ $view =~ ^${vol}a[0-9]+$ ]] && [ -b "$view" ]'
check_eq "the view is read-only (blockdev --getro)" 1 "$(blockdev --getro "$view" 2>&1)"
check_eq "the view reads pattern A (sha256 before the overwrite)" "$sha_a" "$(view_sha s01/a)"

# Pattern B: random 4 KiB blocks, another seed, every block once.
job_b=(--rw=randwrite --bs=4k "--size=${VOL_MIB}M" --iodepth=16 --randseed=202)
fio_check "fio overwrites every block with pattern B (4k, verified through the volume)" \
	b "$vol" "${job_b[@]}"
sha_b=$(dev_sha256 "$vol")
check "the volume's sha256 changed" test "$sha_b" != "$sha_a"
check_eq "the volume's sha256 is the source's" "$(dev_sha256 "$src")" "$sha_b"
fio_check "fio --verify_only of pattern B through the volume" b "$vol" "${job_b[@]}" \
	--verify_only
check_eq "the view still reads pattern A (sha256 after the overwrite)" "$sha_a" "$(view_sha s01/a)"
fio_check "fio --verify_only of pattern A through the view" a "$view" "${job_a[@]}" --verify_only
check_eq "s01/a is still $ST_SNAP_SPLIT" "$ST_SNAP_SPLIT" "$(assoc_states s01/a)"
check_eq "every chunk preserved: store-used $((VOL_MIB * 1048576)), dirty-chunks = total-chunks" \
	"$((VOL_MIB * 1048576)) $((VOL_MIB * 1048576 / CS)) $((VOL_MIB * 1048576 / CS))" \
	"$(assoc_get s01/a store-used dirty-chunks total-chunks | paste -sd' ')"
check_eq "s01/a old-data-reads is total-chunks" "$((VOL_MIB * 1048576 / CS))" \
	"$(assoc_get s01/a old-data-reads)"
check_eq "the volume's old-data-reads rose by total-chunks" "$((VOL_MIB * 1048576 / CS))" \
	"$(($(vol_get s01 old-data-reads) - reads0))"
check "a write to the read-only view fails" \
	eval '! dd if=/dev/zero of="$view" bs=4096 count=1 oflag=direct status=none'
check_eq "the view still reads pattern A after the refused write" "$sha_a" "$(view_sha s01/a)"
check "destroy s01/a" assoc_destroy s01/a
check "its view is gone and /dev/ram1 is released" \
	eval '[ ! -e "$view" ] && open_excl /dev/ram1'

# --- four moments
declare -a moment
store_used_grows=0
for m in 1 2 3 4; do
	# Moment m: random 16 KiB writes over half of the volume, seed 300 + m.
	if ! mirror_fio "m$m" "$vol" --bs=16k --iodepth=8 --size=8M --offset=$(((m % 2) * 8))M \
		--randseed=$((300 + m)) --do_verify=0; then
		diag "fio before moment $m failed:"
		diag_file "$tmpdir/fio-m$m.out"
	fi
	moment[m]=$(dev_sha256 "$vol")
	if ! snap_create "s01/m$m" "/dev/ram$((m + 1))"; then
		diag "no snapshot at moment $m"
		continue
	fi
	# The earlier snapshots' stores grow with each moment's writes.
	for ((k = 1; k < m; k++)); do
		u=$(assoc_get "s01/m$k" store-used)
		[ "${u:-0}" -gt 0 ] || { diag "s01/m$k store-used is '$u' after moment $m"; store_used_grows=1; }
	done
done
four_exist()
{
	local m

	for m in 1 2 3 4; do
		[ -n "$(assoc_get "s01/m$m" copy-state)" ] || return 1
	done
}
check "four snapshots s01/m1..m4 exist" four_exist
result "store-used of each earlier snapshot is above 0 after the later moments" \
	"$store_used_grows"
fio_check "fio writes once more after the fourth snapshot (verified)" m5 "$vol" \
	--bs=16k --iodepth=8 --size=${VOL_MIB}M --randseed=305
for m in 1 2 3 4; do
	check_eq "s01/m$m ($ST_SNAP_SPLIT) reads the volume of moment $m" \
		"$ST_SNAP_SPLIT ${moment[m]}" "$(assoc_states "s01/m$m") $(view_sha "s01/m$m")"
done
destroy_all()
{
	local m

	for m in 1 2 3 4; do
		assoc_destroy "s01/m$m" || return 1
	done
	vol_destroy s01
}
check "destroy s01/m1..m4 and s01" destroy_all

ktap_finished
