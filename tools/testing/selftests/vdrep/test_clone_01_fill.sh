#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A clone is the volume's point-in-time image, filled in the background
# while the volume keeps being written. fio writes the volume; once it has
# stopped, the volume's sha256 P is the point in time. A clone is created
# with --rate 256K (the fill of 16 MiB takes about a minute) and fio random
# writes with crc32c verification run again through the volume, round after
# round, on its first 4 MiB (so the copy-on-write copies cannot finish the
# fill for the background copy):
#  - copy-type unsync-assoc (the default): unsynchronized/copy-in-progress/
#    synchronizing while filling, with a read-only view that reads P (sha256
#    while the fill still runs); at full rate it ends split/frozen/completed,
#    fio verified every round, and the view and the target itself hold P.
#    dirty-chunks then counts the 64 chunks fio changed since the point in
#    time; a resync copies exactly those (copied-chunks 64) and the target
#    equals the volume; K more chunks written once each make a resync copy
#    K chunks, and the target equals the volume again.
#  - copy-type unsync-unassoc: once filled the association removes itself
#    (assoc wait --destroyed; monitor prints "destroy assoc ..."), its view
#    goes, the target can be opened exclusively and holds its P.

# shellcheck source=lib.sh disable=SC2016 # eval '...' expands as check runs it
. "$(dirname "$0")/lib.sh"

test_init
require_tools fio sha256sum jq
ktap_plan 39

CS=65536

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 3 16 || ktap_abort "cannot set up brd ramdisks"
dev_fill_random /dev/ram0
check "create volume c01 on /dev/ram0 (chunk-size 64K)" vol_create c01 /dev/ram0 chunk-size 64K ||
	ktap_abort "volume create failed"
vol=/dev/$(vol_disk c01)

# ------------------------------------------------------- unsync-assoc
fio_check "fio random writes through the volume (verified), then stopped" pre "$vol" \
	--bs=16k --iodepth=16 --size=16M
P=$(dev_sha256 "$vol")
check "create clone c01/c on /dev/ram1 with --rate 256K" clone_create c01/c /dev/ram1 --rate 256K ||
	ktap_abort "clone create failed"
fio_loop_start during "$vol" --bs=4k --iodepth=8 --offset=0 --size=4M
check_eq "c01/c is $ST_CLONE_FILLING" "$ST_CLONE_FILLING" "$(assoc_states c01/c)"
check_eq "sync-type, copy-type, replica-type, copy-methodology" \
	"clone unsync-assoc full-copy snap-and-clone" \
	"$(assoc_get c01/c sync-type copy-type replica-type copy-methodology | paste -sd' ')"
view=$(assoc_view c01/c)
check_eq "the view $view exists from the start, read-only" 1 "$(blockdev --getro "$view" 2>&1)"
check_eq "during the fill, under fio, the view reads P" "$P" "$(view_sha c01/c)"
states=$(assoc_states c01/c)
if [ "$states" = "$ST_CLONE_FILLING" ]; then
	ok "the fill still ran after the view was read ($(assoc_get c01/c percent-synced) %)"
else
	skip "the fill still ran after the view was read" "it ended: $states"
fi
check "a write to the view fails" \
	eval '! dd if=/dev/zero of="$view" bs=4096 count=1 oflag=direct status=none'
check "set --rate 0 on c01/c" assoc_op set c01/c --rate 0
check "c01/c becomes split" assoc_wait c01/c split
check_eq "c01/c is $ST_CLONE_SPLIT, 100 %" "$ST_CLONE_SPLIT 100" \
	"$(assoc_states c01/c) $(assoc_get c01/c percent-synced)"
diag "fio rounds during the fill: $(fio_loop_rounds during)"
check "fio verified every round it wrote during the fill" fio_loop_stop during
check_eq "the view reads P" "$P" "$(view_sha c01/c)"
check_eq "the target /dev/ram1 holds P" "$P" "$(dev_sha256 /dev/ram1)"
check_eq "dirty-chunks: the 64 chunks fio changed since the point in time" 64 \
	"$(assoc_get c01/c dirty-chunks)"
check "resync c01/c: split again" eval 'assoc_op resync c01/c && assoc_wait c01/c split'
now=$(dev_sha256 "$vol")
check_eq "copied-chunks 64, dirty-chunks 0, the target equals the volume" "64 0 $now" \
	"$(assoc_get c01/c copied-chunks dirty-chunks | paste -sd' ') $(dev_sha256 /dev/ram1)"
K=5
check "write $K distinct chunks once each through the volume" \
	touch_chunks "$vol" "$CS" k 100 110 120 130 250
check_eq "dirty-chunks is $K" "$K" "$(assoc_get c01/c dirty-chunks)"
check "resync c01/c: split again" eval 'assoc_op resync c01/c && assoc_wait c01/c split'
check_eq "copied-chunks is $K" "$K" "$(assoc_get c01/c copied-chunks)"
now=$(dev_sha256 "$vol")
check_eq "the target and the view equal the volume" "$now $now" \
	"$(dev_sha256 /dev/ram1) $(view_sha c01/c)"
check "destroy c01/c: /dev/ram1 is released" eval 'assoc_destroy c01/c && open_excl /dev/ram1'

# ----------------------------------------------------- unsync-unassoc
check "vdrepctl monitor runs" monitor_start "$tmpdir/monitor.out"
P2=$(dev_sha256 "$vol")
check "create clone c01/u on /dev/ram2 --copy-type unsync-unassoc --rate 256K" \
	clone_create c01/u /dev/ram2 --copy-type unsync-unassoc --rate 256K ||
	ktap_abort "clone create failed"
fio_loop_start during2 "$vol" --bs=4k --iodepth=8 --offset=0 --size=4M
check_eq "c01/u: copy-type unsync-unassoc, $ST_CLONE_FILLING" \
	"unsync-unassoc $ST_CLONE_FILLING" "$(assoc_get c01/u copy-type) $(assoc_states c01/u)"
uview=$(assoc_view c01/u)
check_eq "during the fill, under fio, the view reads P2" "$P2" "$(view_sha c01/u)"
states=$(assoc_states c01/u)
if [ "$states" = "$ST_CLONE_FILLING" ]; then
	ok "the fill still ran after the view was read"
else
	skip "the fill still ran after the view was read" "it ended: $states"
fi
check "set --rate 0 on c01/u (it may be gone already)" \
	eval 'assoc_op set c01/u --rate 0 || assoc_gone c01/u'
check "c01/u removes itself once filled (assoc wait --destroyed)" assoc_wait_destroyed c01/u
check "monitor printed 'destroy assoc c01/u'" \
	wait_for_line "$tmpdir/monitor.out" '^destroy assoc c01/u( |$)'
check "show no longer finds c01/u; its view $uview is gone" \
	eval 'assoc_gone c01/u && [ ! -e "$uview" ]'
check "fio verified every round it wrote during the fill" fio_loop_stop during2
check "the target /dev/ram2 opens exclusively (released)" open_excl /dev/ram2
check_eq "the target /dev/ram2 holds P2" "$P2" "$(dev_sha256 /dev/ram2)"
check_eq "c01 has no association left" 0 "$("$VDREPCTL" -j assoc show c01 | jq length)"
check "destroy c01" vol_destroy c01

ktap_finished
