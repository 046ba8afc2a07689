#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Clone operations. A clone filled at --rate 128K (16 MiB: two minutes) is
# held in its fill while:
#  - fracture, split, failover and failback are refused with EINVAL and the
#    extack "does not apply to a clone" (in every state visited), and
#    activate, resync and restore with "does not apply", nothing changed;
#  - suspend makes it suspended/quiesced/dormant: the fill copies nothing
#    more (copied-chunks unchanged), the view still reads the point in
#    time; resume continues the fill;
#  - abort makes it aborted/fractured/requires-resync; a resync from there
#    refreshes it: it ends split/frozen/completed and the target and the
#    view equal the volume as it was at the resync.
# Restore from a split clone (held at --rate 64K): the volume reads the
# clone's image at once, a snapshot cannot be created meanwhile (EBUSY), it
# copies only the 32 chunks written since (copied-chunks), ends split, and
# the volume and its source equal the clone. A restore is refused (EBUSY)
# while another clone of the volume is still filling (it still preserves
# the source). A clone target smaller than the volume is refused (EINVAL),
# as is sync-mode given for a clone. Detach releases the target.

# shellcheck source=lib.sh disable=SC2016,SC2034 # eval '...' expands as check runs it
. "$(dirname "$0")/lib.sh"

test_init
require_tools sha256sum jq
dm_require linear
ktap_plan 55

CS=65536
EINVAL="Invalid argument"
EBUSY="Device or resource busy"
NOT_CLONE="does not apply to a clone"
VDREP_STATE_FN=mirror_state
ST_CLONE_FILLING_RE="unsynchronized/(copy-in-progress|resync-in-progress)/(synchronizing|resyncing)"

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 4 16 || ktap_abort "cannot set up brd ramdisks"
dev_fill_random /dev/ram0
check "create volume c02 on /dev/ram0 (chunk-size 64K)" vol_create c02 /dev/ram0 chunk-size 64K ||
	ktap_abort "volume create failed"
vol=/dev/$(vol_disk c02)

# kind_refused ASSOC LABEL: the operations that never apply to a clone.
kind_refused()
{
	local op

	for op in fracture split failover failback; do
		expect_refused "$2: $op is refused (EINVAL, $NOT_CLONE)" "$EINVAL" "$NOT_CLONE" \
			"$VDREPCTL" assoc "$op" "$1"
	done
}

# state_refused ASSOC LABEL OP...: OPs do not apply in this state.
state_refused()
{
	local assoc=$1 label=$2 op

	shift 2
	for op in "$@"; do
		expect_refused "$label: $op is refused (EINVAL, does not apply)" "$EINVAL" \
			"does not apply" "$VDREPCTL" assoc "$op" "$assoc"
	done
}

P=$(dev_sha256 "$vol")
check "create clone c02/c on /dev/ram1 with --rate 128K" clone_create c02/c /dev/ram1 --rate 128K ||
	ktap_abort "clone create failed"
check_states c02/c "$ST_CLONE_FILLING" filling
kind_refused c02/c filling
state_refused c02/c filling activate resync restore

# --- suspend, resume
check "filling: suspend works (suspended)" eval 'assoc_op suspend c02/c && assoc_wait c02/c suspended'
check_states c02/c "$ST_SUSPENDED" suspended
copied=$(assoc_get c02/c copied-chunks)
sleep 2
check_eq "suspended: the fill copies nothing (copied-chunks stays $copied)" "$copied" \
	"$(assoc_get c02/c copied-chunks)"
check_eq "suspended: the view reads the point in time" "$P" "$(view_sha c02/c)"
kind_refused c02/c suspended
state_refused c02/c suspended suspend
check "suspended: resume works (filling again)" \
	eval 'assoc_op resume c02/c && [[ $(assoc_states c02/c) =~ ^($ST_CLONE_FILLING_RE)$ ]]'

# --- abort, resync
check "filling: abort works (aborted)" eval 'assoc_op abort c02/c && assoc_wait c02/c aborted'
check_states c02/c "$ST_ABORTED" aborted
state_refused c02/c aborted resume restore
check "aborted: write 3 chunks through the volume" touch_chunks "$vol" "$CS" ab 3 4 180
P3=$(dev_sha256 "$vol")
check "aborted: resync at full rate works (split)" \
	eval 'assoc_op set c02/c --rate 0 && assoc_op resync c02/c && assoc_wait c02/c split'
check_states c02/c "$ST_CLONE_SPLIT" split
check_eq "the target and the view equal the volume at the resync" "$P3 $P3" \
	"$(dev_sha256 /dev/ram1) $(view_sha c02/c)"
kind_refused c02/c split
state_refused c02/c split activate suspend resume abort

# --- restore refused while another clone fills
check "clone c02/d on /dev/ram2 with --rate 64K (filling)" \
	clone_create c02/d /dev/ram2 --rate 64K
expect_refused "restore of c02/c while c02/d fills: EBUSY" "$EBUSY" "." \
	"$VDREPCTL" assoc restore c02/c
check "destroy c02/d" assoc_destroy c02/d

# --- restore
restore_writes()
{
	dd if=/dev/urandom of="$vol" bs="$CS" seek=64 count=32 oflag=direct iflag=fullblock \
		status=none
}
check "write 32 chunks through the volume" restore_writes
check_eq "dirty-chunks is 32" 32 "$(assoc_get c02/c dirty-chunks)"
if ! assoc_op set c02/c --rate 64K; then
	diag "no rate limit: the restore runs at full speed"
fi
check "restore c02/c" assoc_op restore c02/c
states=$(assoc_states c02/c)
got=$(dev_sha256 "$vol")
if [ "$states" = "$ST_RESTORING" ]; then
	ok "c02/c is $ST_RESTORING"
	expect_refused "restoring: a snapshot cannot be created (EBUSY)" "$EBUSY" "." \
		"$VDREPCTL" assoc create c02/s /dev/ram2 --type snapshot
else
	skip "c02/c is $ST_RESTORING" "the restore had already ended ($states)"
	skip "restoring: a snapshot cannot be created (EBUSY)" "the restore had already ended"
fi
check_eq "the volume read the clone's image at once" "$P3" "$got"
check "the restore ends at full rate: split" \
	eval 'ctl assoc set c02/c --rate 0; assoc_wait c02/c split'
check_states c02/c "$ST_CLONE_SPLIT" restored
check_eq "copied-chunks is 32" 32 "$(assoc_get c02/c copied-chunks)"
check_eq "the volume, its source and the target have the clone's image" "$P3 $P3 $P3" \
	"$(dev_sha256 "$vol") $(dev_sha256 /dev/ram0) $(dev_sha256 /dev/ram1)"

# --- bad input
check "dm device c02small: 8 MiB of /dev/ram3" dm_slice c02small /dev/ram3 0 8
expect_refused "a clone target smaller than the volume: EINVAL" "$EINVAL" \
	"target is smaller than the volume" \
	"$VDREPCTL" assoc create c02/x /dev/mapper/c02small --type clone
expect_refused "sync-mode for a clone: EINVAL" "$EINVAL" "mode|mirror|clone" \
	"$VDREPCTL" assoc create c02/x /dev/ram2 --type clone --mode sync

check "detach c02/c: it goes, /dev/ram1 is released" \
	eval 'assoc_op detach c02/c && eventually assoc_gone c02/c && open_excl /dev/ram1'
check "destroy c02" vol_destroy c02

ktap_finished
