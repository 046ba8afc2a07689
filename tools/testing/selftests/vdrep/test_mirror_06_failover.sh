#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Failover, writes, failback, with fio writing and verifying (crc32c)
# through the volume round after round the whole time: no volume I/O ever
# fails. After failover the mirror is Failedover/Fractured/Completed and the
# target is the current copy (a write through the volume lands on the
# target, not on the stale source); after failback it is Synchronized again,
# and once idle source, target and volume are equal.

# shellcheck source=lib.sh disable=SC2016 # eval '...' expands as check runs it
. "$(dirname "$0")/lib.sh"

test_init
require_tools fio sha256sum jq
ktap_plan 20

CS=65536

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 2 16 || ktap_abort "cannot set up brd ramdisks"

dev_fill_random /dev/ram0
check "create volume m06 on /dev/ram0 (chunk-size 64K)" vol_create m06 /dev/ram0 chunk-size 64K ||
	ktap_abort "volume create failed"
vol=/dev/$(vol_disk m06)
check "mirror m06/m on /dev/ram1, synchronized and idle" \
	eval 'assoc_create m06/m /dev/ram1 && assoc_wait_idle m06/m' ||
	ktap_abort "no synchronized mirror"

fio_loop_start bg "$vol" --bs=4k --iodepth=8 --offset=0 --size=8M
check "fio loop runs on the volume (0..8M)" kill -0 "${fio_loop_pids[bg]}"
diag "fio rounds done before the failover: $(fio_loop_rounds bg)"

check "failover m06/m; it becomes failedover" \
	eval 'assoc_op failover m06/m && assoc_wait m06/m failedover'
check_eq "m06/m is $ST_FAILEDOVER" "$ST_FAILEDOVER" "$(assoc_states m06/m)"
fio_check "fio verify through the volume while failed over (8M..12M)" \
	fo "$vol" --bs=16k --iodepth=8 --offset=8M --size=4M
check "write chunk 200 through the volume while failed over" chunk_write "$vol" "$CS" 200 fo
fo=$(pattern_sha fo $CS)
check_eq "the target (the current copy) has it" "$fo" "$(chunk_sha /dev/ram1 "$CS" 200)"
check "the stale source does not" test "$(chunk_sha /dev/ram0 "$CS" 200)" != "$fo"
check_eq "m06/m is still $ST_FAILEDOVER" "$ST_FAILEDOVER" "$(assoc_states m06/m)"

check "failback m06/m; it becomes synchronized" \
	eval 'assoc_op failback m06/m && assoc_wait m06/m synchronized'
check_eq "m06/m is $ST_SYNCHRONIZED" "$ST_SYNCHRONIZED" "$(assoc_states m06/m)"
diag "fio rounds done by the end of the failback: $(fio_loop_rounds bg)"
check "the fio loop saw no error in any round (I/O never failed)" fio_loop_stop bg

check "m06/m is idle" assoc_wait_idle m06/m
src=$(dev_sha256 /dev/ram0)
check_eq "target equals source" "$src" "$(dev_sha256 /dev/ram1)"
check_eq "volume equals source" "$src" "$(dev_sha256 "$vol")"
check_eq "the source has chunk 200 written while failed over" "$fo" "$(chunk_sha /dev/ram0 "$CS" 200)"
check "destroy m06/m" assoc_destroy m06/m
check "destroy m06" vol_destroy m06

ktap_finished
