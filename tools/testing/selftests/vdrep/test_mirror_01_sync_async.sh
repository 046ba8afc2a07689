#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Mirrors keep the data, on brd ramdisks: a synchronous and an asynchronous
# mirror of one volume are created with a low --rate, so their initial copy
# still runs (checked) when fio starts writing and verifying (crc32c)
# through the volume; then the rate limit goes, both become Synchronized
# (SyncMaintained, 100 %, RequestedCopyState not-applicable), fio verifies
# again, and once both are idle each target holds exactly the source's data
# (sha256 of the whole devices, and fio --verify_only on a target). Then a
# third mirror: three mirrors of one volume at once, all equal to the source
# after more fio. Destroying them releases the targets.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

test_init
require_tools fio sha256sum jq
ktap_plan 35

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 4 32 || ktap_abort "cannot set up brd ramdisks"

dev_fill_random /dev/ram0
check "create volume m01 on /dev/ram0" vol_create m01 /dev/ram0 ||
	ktap_abort "volume create failed"
vol=/dev/$(vol_disk m01)

# 32 MiB at 256 KiB/s: a copy of two minutes, far longer than the fio job.
check "create sync mirror m01/s on /dev/ram1 with --rate 256K" \
	assoc_create m01/s /dev/ram1 --mode sync --rate 256K ||
	ktap_abort "assoc create failed"
check "create async mirror m01/a on /dev/ram2 with --rate 256K" \
	assoc_create m01/a /dev/ram2 --mode async --rate 256K ||
	ktap_abort "assoc create failed"
check_eq "sync-mode: m01/s synchronous, m01/a asynchronous" "synchronous asynchronous" \
	"$(assoc_get m01/s sync-mode) $(assoc_get m01/a sync-mode)"
check_eq "rate-limit of both is 262144" "262144 262144" \
	"$(assoc_get m01/s rate-limit) $(assoc_get m01/a rate-limit)"

# The initial copy still runs as fio starts.
check_eq "m01/s is in its initial sync when fio starts" "$ST_SYNCING" "$(assoc_states m01/s)"
check_eq "m01/a is in its initial sync when fio starts" "$ST_SYNCING" "$(assoc_states m01/a)"
fio_check "fio verify through the volume during the initial sync (4k, iodepth 16)" \
	during "$vol" --bs=4k --iodepth=16 --offset=0 --size=8M
fio_check "fio verify through the volume during the initial sync (4k..256k)" \
	during2 "$vol" --bssplit=4k/40:16k/30:128k/20:256k/10 --iodepth=8 --offset=8M --size=4M
diag "after fio: m01/s $(assoc_states m01/s) $(assoc_get m01/s percent-synced)%," \
	"m01/a $(assoc_states m01/a) $(assoc_get m01/a percent-synced)%"

check "set --rate 0 (no limit) on m01/s" assoc_op set m01/s --rate 0
check "set --rate 0 (no limit) on m01/a" assoc_op set m01/a --rate 0
check "m01/s becomes synchronized" assoc_wait m01/s synchronized
check "m01/a becomes synchronized" assoc_wait m01/a synchronized
check_eq "m01/s is $ST_SYNCHRONIZED" "$ST_SYNCHRONIZED" "$(assoc_states m01/s)"
check_eq "m01/s: requested-copy-state not-applicable, sync-maintained, 100 %, 0 dirty" \
	"not-applicable true 100 0" \
	"$(assoc_get m01/s requested-copy-state sync-maintained percent-synced dirty-chunks | paste -sd' ')"
check "m01/s sync-time is set (not 0)" \
	test "$(assoc_get m01/s sync-time)" -gt 0

fio_check "fio verify through the volume once synchronized (4k)" \
	after "$vol" --bs=4k --iodepth=16 --offset=12M --size=8M
fio_check "fio verify through the volume once synchronized (64k)" \
	after64 "$vol" --bs=64k --iodepth=4 --offset=20M --size=8M

check "m01/s is idle (synchronized, nothing dirty)" assoc_wait_idle m01/s
check "m01/a is idle (synchronized, bytes-behind 0)" assoc_wait_idle m01/a
src=$(dev_sha256 /dev/ram0)
check_eq "the sync target has the source's sha256" "$src" "$(dev_sha256 /dev/ram1)"
check_eq "the async target has the source's sha256" "$src" "$(dev_sha256 /dev/ram2)"
check_eq "the volume has the source's sha256" "$src" "$(dev_sha256 "$vol")"
if mirror_fio after /dev/ram1 --bs=4k --iodepth=16 --offset=12M --size=8M --verify_only; then
	ok "fio --verify_only of the synchronized-phase region on the sync target"
else
	not_ok "fio --verify_only of the synchronized-phase region on the sync target"
	diag_file "$tmpdir/fio-after.out"
fi

# --- three mirrors at once
check "create a third mirror m01/t on /dev/ram3 (sync, no rate limit)" \
	assoc_create m01/t /dev/ram3 --mode sync
check_eq "m01 has three associations" 3 "$("$VDREPCTL" -j assoc show m01 | jq length)"
fio_check "fio verify through the volume with three mirrors" \
	three "$vol" --bs=8k --iodepth=16 --offset=4M --size=16M
check "m01/t becomes synchronized" assoc_wait m01/t synchronized
idle=0
for a in s a t; do
	assoc_wait_idle "m01/$a" || idle=1
done
result "all three mirrors are idle" "$idle"
src=$(dev_sha256 /dev/ram0)
check_eq "all three targets have the source's sha256" "$src $src $src" \
	"$(dev_sha256 /dev/ram1) $(dev_sha256 /dev/ram2) $(dev_sha256 /dev/ram3)"

destroyed=0
for a in s a t; do
	assoc_destroy "m01/$a" || destroyed=1
done
result "destroy the three mirrors" "$destroyed"
check_eq "m01 has no association left" 0 "$("$VDREPCTL" -j assoc show m01 | jq length)"
released()
{
	open_excl /dev/ram1 && open_excl /dev/ram2 && open_excl /dev/ram3
}
check "the targets are released (open exclusively)" released
check "destroy m01" vol_destroy m01

ktap_finished
