#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A full store breaks only its own snapshot. The volume is a 16 MiB slice of
# a ramdisk; snapshot A has a 1 MiB store (a dm-linear slice: 14 chunks of
# 64 KiB after its header and map), snapshot B a 20 MiB ramdisk (room for
# every chunk). fio then writes the whole volume and verifies it (crc32c):
# fio sees no error, A becomes broken/broken/requires-resync and reading its
# view fails with EIO, while B stays split and its view still reads the
# volume as it was before (sha256), with every chunk in its store. A resync
# of A takes a new point in time: split again, an empty store, the view
# reads the volume as it is now and keeps that image under later writes.

# shellcheck source=lib.sh disable=SC2016 # eval '...' expands as check runs it
. "$(dirname "$0")/lib.sh"

test_init
require_tools fio sha256sum jq
dm_require linear
ktap_plan 22

CS=65536

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 3 20 || ktap_abort "cannot set up brd ramdisks"
setup()
{
	dm_slice s04v /dev/ram0 0 16 && dm_slice s04a /dev/ram1 0 1 || return 1
	dev_fill_random /dev/mapper/s04v
	vol_create s04 /dev/mapper/s04v chunk-size 64K
}
check "create volume s04 on a 16 MiB slice of /dev/ram0 (random data)" setup ||
	ktap_abort "volume create failed"
vol=/dev/$(vol_disk s04)
before=$(dev_sha256 "$vol")

check "snapshot s04/a on a 1 MiB store" snap_create s04/a /dev/mapper/s04a ||
	ktap_abort "snapshot create failed"
check_eq "s04/a store-capacity is 14 chunks" $((14 * CS)) "$(assoc_get s04/a store-capacity)"
check "snapshot s04/b on /dev/ram2 (20 MiB)" snap_create s04/b /dev/ram2 ||
	ktap_abort "snapshot create failed"
check_eq "both are $ST_SNAP_SPLIT" "$ST_SNAP_SPLIT $ST_SNAP_SPLIT" \
	"$(assoc_states s04/a) $(assoc_states s04/b)"

fio_check "fio writes the whole volume and verifies it: no error" full "$vol" \
	--bs=16k --iodepth=16 --size=16M
check "s04/a becomes broken" assoc_wait s04/a broken
check_eq "s04/a is $ST_BROKEN" "$ST_BROKEN" "$(assoc_states s04/a)"
view_a=$(assoc_view s04/a)
check "reading s04/a's view ($view_a) fails with EIO" read_eio "$view_a"
check_eq "s04/b is still $ST_SNAP_SPLIT" "$ST_SNAP_SPLIT" "$(assoc_states s04/b)"
check_eq "s04/b's view reads the volume as it was before fio" "$before" "$(view_sha s04/b)"
check_eq "s04/b's store holds every chunk (store-used 16 MiB)" $((16 * 1048576)) \
	"$(assoc_get s04/b store-used)"
fio_check "fio --verify_only through the volume: the data is all there" full "$vol" \
	--bs=16k --iodepth=16 --size=16M --verify_only
check_eq "the volume reads as its source" "$(dev_sha256 /dev/mapper/s04v)" "$(dev_sha256 "$vol")"

now=$(dev_sha256 "$vol")
check "resync s04/a: split again" eval 'assoc_op resync s04/a && assoc_wait s04/a split'
check_eq "s04/a is $ST_SNAP_SPLIT with an empty store" "$ST_SNAP_SPLIT 0" \
	"$(assoc_states s04/a) $(assoc_get s04/a store-used)"
check_eq "s04/a's view reads the volume as it is now (a new point in time)" "$now" \
	"$(view_sha s04/a)"
check "write 3 chunks through the volume" touch_chunks "$vol" "$CS" later 5 6 200
check_eq "s04/a keeps its new image (3 chunks stored, view unchanged)" "$((3 * CS)) $now" \
	"$(assoc_get s04/a store-used) $(view_sha s04/a)"
check_eq "s04/b keeps the image of before fio" "$ST_SNAP_SPLIT $before" \
	"$(assoc_states s04/b) $(view_sha s04/b)"
check "destroy s04/a, s04/b and s04" \
	eval 'assoc_destroy s04/a && assoc_destroy s04/b && vol_destroy s04'

ktap_finished
