#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The target fails in the middle of fio: the target is a dm-flakey device
# whose table is reloaded to fail every write (error_writes) while fio
# writes and verifies through the volume round after round. fio never sees
# an error, the mirror becomes Broken (target-write-errors counted), and a
# `vdrepctl monitor` running in the background printed the transition line.
# After the repair (the flakey table up again) a resync restores equality.

# shellcheck source=lib.sh disable=SC2016 # eval '...' expands as check runs it
. "$(dirname "$0")/lib.sh"

test_init
require_tools fio sha256sum jq
dm_require flakey
ktap_plan 20

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 2 16 || ktap_abort "cannot set up brd ramdisks"

dev_fill_random /dev/ram0
check "create volume m07 on /dev/ram0" vol_create m07 /dev/ram0 ||
	ktap_abort "volume create failed"
vol=/dev/$(vol_disk m07)
check "dm-flakey device m07t over /dev/ram1, always up" \
	dm_create m07t "$(dm_table_flakey /dev/ram1 1 0)" || ktap_abort "dmsetup create failed"

mon=$tmpdir/monitor.txt
check "vdrepctl monitor runs" monitor_start "$mon" || ktap_abort "monitor did not start"
check "mirror m07/m on /dev/mapper/m07t, synchronized and idle" \
	eval 'assoc_create m07/m /dev/mapper/m07t && assoc_wait_idle m07/m' ||
	ktap_abort "no synchronized mirror"

fio_loop_start bg "$vol" --bs=4k --iodepth=8 --offset=0 --size=8M
check "fio loop runs on the volume" kill -0 "${fio_loop_pids[bg]}"
check "m07t now fails every write (table reload, error_writes)" \
	dm_reload m07t "$(dm_table_flakey /dev/ram1 0 1 error_writes)"
check "m07/m becomes broken" assoc_wait m07/m broken
check_eq "m07/m is $ST_BROKEN" "$ST_BROKEN" "$(assoc_states m07/m)"
check "target-write-errors is above 0" test "$(assoc_get m07/m target-write-errors)" -gt 0

# Two more whole rounds of fio, so writes and reads ran while broken.
check "fio completes two more rounds while the mirror is broken" fio_more 2
check "fio saw no error in any round" fio_loop_stop bg
check "the monitor printed the transition to broken" \
	eventually grep -qE '^change assoc m07/m .*copy-state:broken( |$)' "$mon"

check "repair: m07t is up again (table reload)" dm_reload m07t "$(dm_table_flakey /dev/ram1 1 0)"
check "resync m07/m: synchronized and idle" \
	eval 'assoc_op resync m07/m && assoc_wait_idle m07/m'
check_eq "target equals source" "$(dev_sha256 /dev/ram0)" "$(dev_sha256 /dev/mapper/m07t)"
sync_after_broken()
{
	grep -E '^change assoc m07/m ' "$mon" | sed -n '/copy-state:broken/,$p' |
		grep -qE 'copy-state:synchronized( |$)'
}
check "the monitor printed the way back to synchronized" eventually sync_after_broken
check "destroy m07/m" assoc_destroy m07/m
check "destroy m07" vol_destroy m07
check "remove m07t" dm_remove m07t

if [ "$ktap_failed" -gt 0 ]; then
	diag "monitor output (m07/m changes):"
	grep -E 'assoc m07/m' "$mon" | grep -oE 'copy-state:[a-z-]+ .*progress-status:[a-z-]+' |
		uniq | head -n 40 | sed 's/^/#   /'
fi

ktap_finished
