#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Restore from a snapshot. fio writes the whole volume (16 KiB blocks with
# crc32c headers, a fixed seed, no verify); a snapshot is taken; fio
# overwrites every block with other data (4 KiB blocks, another seed). The
# restore starts (the store is a dm-delay device that delays its reads by
# 20 ms, so that the restore likely still runs: a snapshot's restore takes
# no rate limit; restoring at the start is checked when it is seen, skipped
# when the restore had already ended) and at once fio verifies the first
# job's data through the volume
# (--verify_only with its parameters): the volume serves the restored image
# while the restore runs, so no block fails. At the end the snapshot is
# split/idle/completed (copy-elapsed its duration), the volume, its source
# and the view have the sha256 of the moment of the snapshot, and the
# snapshot keeps that point in time under later writes.

# shellcheck source=lib.sh disable=SC2016 # eval '...' expands as check runs it
. "$(dirname "$0")/lib.sh"

test_init
require_tools fio sha256sum jq
dm_require linear delay
ktap_plan 21

CS=65536

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 2 20 || ktap_abort "cannot set up brd ramdisks"
check "create volume s05 on a 16 MiB slice of /dev/ram0" \
	eval 'dm_slice s05v /dev/ram0 0 16 && vol_create s05 /dev/mapper/s05v chunk-size 64K' ||
	ktap_abort "volume create failed"
vol=/dev/$(vol_disk s05)

job_a=(--bs=16k --iodepth=16 --size=16M --randseed=501)
fio_check "fio writes the whole volume (16k, crc32c, seed 501, do_verify=0)" a "$vol" \
	"${job_a[@]}" --do_verify=0 || ktap_abort "fio failed"
image=$(dev_sha256 "$vol")
# The store: /dev/ram1 with every read 20 ms late.
check "snapshot s05/s on a dm-delay store over /dev/ram1 (reads 20 ms late)" \
	eval 'dm_create s05st "0 $(dm_sectors /dev/ram1) delay /dev/ram1 0 20 /dev/ram1 0 0" &&
		snap_create s05/s /dev/mapper/s05st' || ktap_abort "snapshot create failed"
fio_check "fio overwrites every block with other data (4k, seed 502)" b "$vol" \
	--bs=4k --iodepth=16 --size=16M --randseed=502 --do_verify=0
check_eq "the volume changed; the view reads the snapshot's moment" "changed $image" \
	"$([ "$(dev_sha256 "$vol")" != "$image" ] && echo changed) $(view_sha s05/s)"

check "restore s05/s" assoc_op restore s05/s
states=$(assoc_states s05/s)
fio_check "fio --verify_only of the first job through the volume while the restore runs" \
	a "$vol" "${job_a[@]}" --verify_only
if [ "$states" = "$ST_RESTORING" ]; then
	ok "s05/s was $ST_RESTORING at the start"
else
	skip "s05/s was $ST_RESTORING at the start" "the restore had already ended ($states)"
fi
check "the restore ends: split" assoc_wait s05/s split
elapsed=$(assoc_get s05/s copy-elapsed)
check "copy-elapsed of the restore is above 0" test "$elapsed" -gt 0
check_eq "copy-elapsed stays put once the restore ended" "$elapsed" "$(assoc_get s05/s copy-elapsed)"
check_eq "s05/s is $ST_SNAP_SPLIT" "$ST_SNAP_SPLIT" "$(assoc_states s05/s)"
check_eq "requested-copy-state not-applicable" not-applicable \
	"$(assoc_get s05/s requested-copy-state)"
check_eq "the volume has the snapshot's image" "$image" "$(dev_sha256 "$vol")"
check_eq "the view has it too" "$image" "$(view_sha s05/s)"
check_eq "the source has it (restored, not only redirected)" "$image" \
	"$(dev_sha256 /dev/mapper/s05v)"
fio_check "fio --verify_only of the first job through the volume after the restore" \
	a "$vol" "${job_a[@]}" --verify_only
check "write 3 chunks through the volume" touch_chunks "$vol" "$CS" after 1 77 250
check_eq "the snapshot keeps its point in time" "$ST_SNAP_SPLIT $image" \
	"$(assoc_states s05/s) $(view_sha s05/s)"
check "destroy s05/s and s05" eval 'assoc_destroy s05/s && vol_destroy s05'

ktap_finished
