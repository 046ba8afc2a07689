#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A resync copies exactly the chunks written since the mirror stopped
# following the volume, no more and no fewer: a known set of chunks is
# written through the volume with single direct writes (some chunks twice,
# one write straddling two chunks, one 4 KiB write inside a chunk), then
# dirty-chunks and, after the resync, copied-chunks equal the number of
# distinct chunks touched (and copy-elapsed is the resync's duration), the
# target was left alone meanwhile, and source and target are equal
# afterwards. Three ways to stop following:
#  - fracture, then resync;
#  - suspend, then resume;
#  - a Broken target: the target is a device-mapper device whose table is
#    swapped from linear to error; a write fails there, the writer sees no
#    error, the mirror becomes Broken and tracks writes; the table goes back
#    to linear (the repair) and a resync copies the tracked chunks.

# shellcheck source=lib.sh disable=SC2016 # eval '...' expands as check runs it
. "$(dirname "$0")/lib.sh"

test_init
require_tools sha256sum jq
dm_require linear error
ktap_plan 38

CS=65536

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 3 16 || ktap_abort "cannot set up brd ramdisks"

dev_fill_random /dev/ram0
check "create volume m03 on /dev/ram0 (chunk-size 64K)" vol_create m03 /dev/ram0 chunk-size 64K ||
	ktap_abort "volume create failed"
vol=/dev/$(vol_disk m03)

# writes TAG SPEC...: each SPEC is a chunk index (one whole-chunk write) or
# OFFSET+LENGTH in bytes (one write of that range); all must succeed.
writes()
{
	local tag=$1 spec rc=0

	shift
	for spec in "$@"; do
		case $spec in
		*+*) range_write "$vol" "${spec%+*}" "${spec#*+}" "$tag-$spec" || rc=1 ;;
		*) chunk_write "$vol" "$CS" "$spec" "$tag-$spec" || rc=1 ;;
		esac
	done
	return "$rc"
}

# --- fracture, resync
check "create mirror m03/m on /dev/ram1" assoc_create m03/m /dev/ram1 ||
	ktap_abort "assoc create failed"
check "m03/m becomes synchronized and idle" assoc_wait_idle m03/m || ktap_abort "no initial sync"
check_eq "chunk-size 65536, total-chunks 256" "65536 256" \
	"$(assoc_get m03/m chunk-size total-chunks | paste -sd' ')"
image=$(dev_sha256 /dev/ram1)

check "fracture m03/m" eval 'assoc_op fracture m03/m && assoc_wait m03/m fractured'
check_eq "no dirty chunk right after the fracture" 0 "$(assoc_get m03/m dirty-chunks)"
# Chunks 0 5 17 100 255, 5 and 100 again, 40 and 41 in one write across
# their boundary, and 4 KiB inside chunk 200: 8 distinct chunks.
check "write 9 times through the volume (8 distinct chunks)" \
	writes f 0 5 17 100 255 5 100 $((41 * CS - 4096))+8192 $((200 * CS + 8192))+4096
check_eq "dirty-chunks is 8" 8 "$(assoc_get m03/m dirty-chunks)"
check_eq "the fractured target was not written" "$image" "$(dev_sha256 /dev/ram1)"
check "resync m03/m: synchronized and idle again" \
	eval 'assoc_op resync m03/m && assoc_wait_idle m03/m'
check_eq "copied-chunks is 8" 8 "$(assoc_get m03/m copied-chunks)"
# The resync's duration: a clock that kept running would differ between reads.
elapsed=$(assoc_get m03/m copy-elapsed)
check "copy-elapsed of the resync is above 0" test "$elapsed" -gt 0
check_eq "copy-elapsed stays put once the copy ended" "$elapsed" "$(assoc_get m03/m copy-elapsed)"
check_eq "target equals source" "$(dev_sha256 /dev/ram0)" "$(dev_sha256 /dev/ram1)"

# --- suspend, resume
image=$(dev_sha256 /dev/ram1)
check "suspend m03/m" eval 'assoc_op suspend m03/m && assoc_wait m03/m suspended'
check "write 7 times through the volume (5 distinct chunks)" writes s 1 2 3 2 128 254 1
check_eq "dirty-chunks is 5" 5 "$(assoc_get m03/m dirty-chunks)"
check_eq "the suspended target was not written" "$image" "$(dev_sha256 /dev/ram1)"
check "resume m03/m: synchronized and idle again" \
	eval 'assoc_op resume m03/m && assoc_wait_idle m03/m'
check_eq "copied-chunks is 5" 5 "$(assoc_get m03/m copied-chunks)"
check_eq "target equals source" "$(dev_sha256 /dev/ram0)" "$(dev_sha256 /dev/ram1)"
check "destroy m03/m" assoc_destroy m03/m

# --- broken target, repaired underneath
check "dm device m03t: linear over /dev/ram2" \
	dm_create m03t "$(dm_table_linear /dev/ram2)" || ktap_abort "dmsetup create failed"
check "create mirror m03/d on /dev/mapper/m03t, synchronized and idle" \
	eval 'assoc_create m03/d /dev/mapper/m03t && assoc_wait_idle m03/d' ||
	ktap_abort "no mirror on the dm device"
check "m03t's table becomes error" dm_reload m03t "$(dm_table_error /dev/ram2)"
check "a write through the volume succeeds although the target fails it" writes b 10
check "m03/d becomes broken" assoc_wait m03/d broken
check_eq "m03/d is $ST_BROKEN" "$ST_BROKEN" "$(assoc_states m03/d)"
check "target-write-errors is above 0" test "$(assoc_get m03/d target-write-errors)" -gt 0
check "write 3 times more while broken (chunks 10 11 60)" writes b2 10 11 60
check_eq "dirty-chunks is 3 (10, 11, 60)" 3 "$(assoc_get m03/d dirty-chunks)"
check "m03t's table is linear again (the repair)" dm_reload m03t "$(dm_table_linear /dev/ram2)"
check "resync m03/d: synchronized and idle again" \
	eval 'assoc_op resync m03/d && assoc_wait_idle m03/d'
check_eq "copied-chunks is 3" 3 "$(assoc_get m03/d copied-chunks)"
check_eq "target equals source" "$(dev_sha256 /dev/ram0)" "$(dev_sha256 /dev/mapper/m03t)"
check "destroy m03/d" assoc_destroy m03/d
check "destroy m03" vol_destroy m03

ktap_finished
