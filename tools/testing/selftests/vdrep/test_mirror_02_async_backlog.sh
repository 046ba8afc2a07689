#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# An asynchronous mirror over a slow target (dm-delay, writes 300 ms late):
#  - a burst of writes smaller than --backlog completes while the target has
#    none of it (the dm device is suspended, so it holds every write:
#    writers are not throttled to the target), bytes-behind is exactly the
#    burst, and the mirror stays Synchronized;
#  - a burst larger than the backlog (1M) makes the mirror Pending
#    (Unsynchronized/ResyncInProgress/Pending, seen in a `vdrepctl -j
#    monitor` stream and in show), still without blocking the writer;
#  - once writers stop and the target works again, `vdrepctl assoc wait
#    --state synchronized` returns, the monitor shows the way back, and the
#    target equals the source (sha256) once idle.
# No check depends on time: the dm suspension makes "the target has not got
# it yet" certain.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

test_init
require_tools sha256sum jq
dm_require delay
ktap_plan 25

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 2 16 || ktap_abort "cannot set up brd ramdisks"

dev_fill_random /dev/ram0
check "create volume m02 on /dev/ram0" vol_create m02 /dev/ram0 ||
	ktap_abort "volume create failed"
vol=/dev/$(vol_disk m02)
check "dm-delay device m02slow over /dev/ram1 (no delay yet)" \
	dm_create m02slow "$(dm_table_delay /dev/ram1 0)" || ktap_abort "dmsetup create failed"
target=/dev/mapper/m02slow

check "create async mirror m02/a on $target with --backlog 8M" \
	assoc_create m02/a "$target" --mode async --backlog 8M ||
	ktap_abort "assoc create failed"
check "m02/a becomes synchronized" assoc_wait_idle m02/a || ktap_abort "no initial sync"
check_eq "sync-mode asynchronous, backlog-limit 8388608" "asynchronous 8388608" \
	"$(assoc_get m02/a sync-mode backlog-limit | paste -sd' ')"
check "the target's writes now take 300 ms (table reload)" \
	dm_reload m02slow "$(dm_table_delay /dev/ram1 300)"

mon=$tmpdir/monitor.json
check "vdrepctl -j monitor runs" monitor_start "$mon" -j || ktap_abort "monitor did not start"

# burst OFFSET_MIB SIZE_MIB: 64 KiB direct writes of random data through
# the volume.
burst()
{
	dd if=/dev/urandom of="$vol" bs=64K seek=$(($1 * 16)) count=$(($2 * 16)) \
		oflag=direct iflag=fullblock status=none
}

# --- under the backlog bound
# The dm device holds every write until resumed. A writer that waited for
# the target would sleep uninterruptibly: bounded (30 s, below the hung
# task limit) gives up on it, the target is let go, and the check fails.
dmsetup suspend m02slow
bounded 300 burst 0 2
rc=$?
behind=$(assoc_get m02/a bytes-behind)
states=$(assoc_states m02/a)
dmsetup resume m02slow
result "a 2 MiB burst completes while the target holds every write" "$rc"
check_eq "bytes-behind is the whole burst (2097152) while the target holds it" 2097152 "$behind"
check_eq "under the bound the mirror stays $ST_SYNCHRONIZED" "$ST_SYNCHRONIZED" "$states"
check "it drains: idle again (bytes-behind 0)" assoc_wait_idle m02/a
check_eq "the target equals the source" "$(dev_sha256 /dev/ram0)" "$(dev_sha256 "$target")"

# --- over the bound
check "set --backlog 1M" assoc_op set m02/a --backlog 1M
check_eq "backlog-limit is 1048576" 1048576 "$(assoc_get m02/a backlog-limit)"
dmsetup suspend m02slow
bounded 300 burst 4 4
rc=$?
pending_re='"name":"a".*"progress-status":"pending"'
check "the monitor shows m02/a pending (a 4 MiB burst over a 1 MiB backlog)" \
	wait_for_line "$mon" "$pending_re" "$monitor_pid"
check_eq "show says $ST_PENDING while the target holds its writes" \
	"$ST_PENDING" "$(assoc_states m02/a)"
dmsetup resume m02slow
result "the 4 MiB burst completes while the target holds every write" "$rc"

check "writers stopped: vdrepctl assoc wait --state synchronized returns" \
	"$VDREPCTL" assoc wait m02/a --state synchronized --timeout 300
check "m02/a is idle (bytes-behind 0, nothing dirty)" assoc_wait_idle m02/a
check_eq "the target equals the source" "$(dev_sha256 /dev/ram0)" "$(dev_sha256 "$target")"

# The monitor's JSON lines of m02/a, in order: pending, then synchronized.
back_to_sync()
{
	jq -R -r 'fromjson? | select(.object == "assoc" and .name == "a") |
		.["copy-state"] + "/" + .["progress-status"]' "$mon" |
		sed -n '/\/pending$/,$p' | grep -qx 'synchronized/completed'
}
check "the monitor shows m02/a synchronized again after pending" eventually back_to_sync
check "destroy m02/a" assoc_destroy m02/a
check "destroy m02" vol_destroy m02
check "remove m02slow (released by the mirror)" dm_remove m02slow

if [ "$ktap_failed" -gt 0 ]; then
	diag "monitor output:"
	diag_file "$mon"
fi

ktap_finished
