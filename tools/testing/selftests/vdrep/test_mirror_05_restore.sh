#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Restore after a fracture: chunk 7 is written ("old") while mirrored, the
# mirror is fractured, then chunk 7 ("new") and 64 more chunks are written
# through the volume. A restore with a low --rate is still running
# (progress-status restoring before and after the reads) while the volume
# already reads the target's image: chunk 7 is "old" again, chunk 163 is the
# target's, the whole volume has the target's sha256. At full rate it ends
# Synchronized, with source, target and volume all equal to the target's
# image of the fracture.

# shellcheck source=lib.sh disable=SC2016 # eval '...' expands as check runs it
. "$(dirname "$0")/lib.sh"

test_init
require_tools sha256sum jq
ktap_plan 26

CS=65536

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 2 16 || ktap_abort "cannot set up brd ramdisks"

dev_fill_random /dev/ram0
check "create volume m05 on /dev/ram0 (chunk-size 64K)" vol_create m05 /dev/ram0 chunk-size 64K ||
	ktap_abort "volume create failed"
vol=/dev/$(vol_disk m05)

check "mirror m05/m on /dev/ram1, synchronized and idle" \
	eval 'assoc_create m05/m /dev/ram1 && assoc_wait_idle m05/m' ||
	ktap_abort "no synchronized mirror"
check "write chunk 7 (old) through the mirrored volume" chunk_write "$vol" "$CS" 7 old
old=$(pattern_sha old $CS)
check_eq "the target has chunk 7 (old)" "$old" "$(chunk_sha /dev/ram1 "$CS" 7)"

check "fracture m05/m" eval 'assoc_op fracture m05/m && assoc_wait m05/m fractured'
image=$(dev_sha256 /dev/ram1)
target163=$(chunk_sha /dev/ram1 "$CS" 163)

new_writes()
{
	local i

	chunk_write "$vol" "$CS" 7 new || return 1
	for ((i = 100; i < 164; i++)); do
		chunk_write "$vol" "$CS" "$i" "new-$i" || return 1
	done
}
check "write chunk 7 (new) and chunks 100..163 through the volume" new_writes
check_eq "the volume reads chunk 7 (new)" "$(pattern_sha new $CS)" "$(chunk_sha "$vol" "$CS" 7)"
check_eq "dirty-chunks is 65" 65 "$(assoc_get m05/m dirty-chunks)"

# 65 chunks of 64 KiB at 64 KiB/s: about a minute.
check "set --rate 64K" assoc_op set m05/m --rate 64K
check "restore m05/m" assoc_op restore m05/m
check_eq "m05/m is $ST_RESTORING" "$ST_RESTORING" "$(assoc_states m05/m)"
check_eq "requested-copy-state is synchronized" synchronized \
	"$(assoc_get m05/m requested-copy-state)"
check_eq "the volume reads chunk 7 as the target has it (old)" "$old" "$(chunk_sha "$vol" "$CS" 7)"
check_eq "the volume reads chunk 163 as the target has it" "$target163" \
	"$(chunk_sha "$vol" "$CS" 163)"
check_eq "the whole volume reads as the target's image" "$image" "$(dev_sha256 "$vol")"
if [ "$(assoc_get m05/m progress-status)" = restoring ]; then
	ok "still restoring after the reads: they ran during the restore"
else
	skip "still restoring after the reads: they ran during the restore" \
		"the restore ended during the reads (now $(assoc_states m05/m))"
fi

check "set --rate 0" assoc_op set m05/m --rate 0
check "m05/m becomes synchronized and idle" assoc_wait_idle m05/m
check_eq "m05/m is $ST_SYNCHRONIZED" "$ST_SYNCHRONIZED" "$(assoc_states m05/m)"
check_eq "the source has the target's image" "$image" "$(dev_sha256 /dev/ram0)"
check_eq "the target still has its image" "$image" "$(dev_sha256 /dev/ram1)"
check_eq "the volume has the target's image" "$image" "$(dev_sha256 "$vol")"
check_eq "copied-chunks is 65" 65 "$(assoc_get m05/m copied-chunks)"
check "destroy m05/m" assoc_destroy m05/m
check "destroy m05" vol_destroy m05

ktap_finished
