#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The mirror state table of the contract, walked state by state. In each
# reachable state (prepared, initial sync, resync, pending, synchronized,
# fractured, split, skewed, suspended, restoring, failedover, broken,
# aborted) every operation that does not apply there is refused: vdrepctl
# exits 1 with EINVAL, the extack reads "operation does not apply:
# association is <state>" naming the current state, and nothing changes
# (every association's states, view and settings, every volume). Every
# operation that does apply is run from each state it applies to and leads
# where the table says. Also: resync, restore, detach and destroy are
# refused with EBUSY "target view is open" while the view is open; failover
# is refused with EBUSY while another mirror of the volume is failed over;
# detach works in every state but those where the volume's data lives on
# the target (failed over, restoring), where it is refused with EBUSY, and
# a restore cannot be aborted (EINVAL: the volume already shows the
# target's image) - the kernel's deliberate rules, in the admin guide.
#
# States that copy (initial sync, resync, restoring) are held with a low
# --rate; pending is held by suspending the device-mapper target under an
# asynchronous mirror, so that its backlog cannot drain.

# shellcheck source=lib.sh disable=SC2016,SC2034 # eval '...' expands as check runs it
. "$(dirname "$0")/lib.sh"

test_init
require_tools jq
dm_require linear error
ktap_plan 191

CS=65536
EINVAL="Invalid argument"
EBUSY="Device or resource busy"
VIEW_OPEN="target view is open"

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 8 16 || ktap_abort "cannot set up brd ramdisks"

# refused ASSOC OP LABEL: OP does not apply to ASSOC in its current state.
refused()
{
	local assoc=$1 op=$2 label=$3 out=$tmpdir/refused.out before after rc fail=0
	local cs ps msg norm

	{ read -r cs; read -r ps; } < <(assoc_get "$assoc" copy-state progress-status)
	before=$(mirror_state)
	"$VDREPCTL" assoc "$op" "$assoc" >"$out" 2>&1
	rc=$?
	after=$(mirror_state)
	if [ "$rc" -ne 1 ]; then
		diag "exit status $rc, expected 1"
		fail=1
	fi
	msg=$(sed -n "s/.*operation does not apply: association is \(.*\): $EINVAL\$/\1/p" "$out")
	if [ -z "$msg" ]; then
		diag "no 'operation does not apply: association is <state>: $EINVAL'"
		fail=1
	else
		# "failed over" names failedover; "synchronizing" the initial sync.
		norm=$(tr -cd 'a-z0-9' <<<"${msg,,}")
		if [[ $norm != "$(tr -cd 'a-z0-9' <<<"$cs")"* &&
			$norm != "$(tr -cd 'a-z0-9' <<<"$ps")"* ]]; then
			diag "the message names '$msg', not the state ($cs, $ps)"
			fail=1
		fi
	fi
	if [ "$before" != "$after" ]; then
		diag "state changed; before:"
		diag "$before"
		diag "after:"
		diag "$after"
		fail=1
	fi
	if [ "$fail" -ne 0 ]; then
		diag "command: vdrepctl assoc $op $assoc"
		diag_file "$out"
	fi
	result "$label: $op is refused (EINVAL, the extack names it)" "$fail"
}

# walk ASSOC LABEL APPLIES...: every operation but APPLIES and detach
# (which applies everywhere) is refused.
walk()
{
	local assoc=$1 label=$2 op

	shift 2
	for op in "${MIRROR_OPS[@]}"; do
		case " $* detach " in
		*" $op "*) continue ;;
		esac
		refused "$assoc" "$op" "$label"
	done
}

view_write()
{
	local view

	view=$(assoc_view "$1") || { diag "$1 has no view"; return 1; }
	dd if=/dev/urandom of="$view" bs=4096 count=1 seek=20 oflag=direct status=none
}

# dirty VOLUME_DEV FIRST_CHUNK COUNT: one direct write per chunk.
dirty()
{
	dd if=/dev/urandom of="$1" bs="$CS" seek="$2" count="$3" oflag=direct iflag=fullblock \
		status=none
}

# ================================================= w1/m: one mirror's walk
check "create volume w1 on /dev/ram0 (chunk-size 64K)" vol_create w1 /dev/ram0 chunk-size 64K ||
	ktap_abort "volume create failed"
vol1=/dev/$(vol_disk w1)
check "dm device m08t: linear over /dev/ram1" dm_create m08t "$(dm_table_linear /dev/ram1)" ||
	ktap_abort "dmsetup create failed"
T1=/dev/mapper/m08t

# --- prepared
check "create w1/m --prepare-only --rate 64K" \
	assoc_create w1/m "$T1" --prepare-only --rate 64K || ktap_abort "assoc create failed"
check_states w1/m "$ST_PREPARED" prepared
walk w1/m prepared activate

# --- initial sync (16 MiB at 64 KiB/s: minutes)
check "prepared: activate works" assoc_op activate w1/m
check_states w1/m "$ST_SYNCING" "initial sync"
check_eq "initial sync: requested-copy-state is synchronized" synchronized \
	"$(assoc_get w1/m requested-copy-state)"
walk w1/m "initial sync" fracture suspend abort

# --- aborted
check "initial sync: abort works (aborted)" eval 'assoc_op abort w1/m && assoc_wait w1/m aborted'
check_states w1/m "$ST_ABORTED" aborted
walk w1/m aborted resync

# --- resync (most chunks still to copy, at 64 KiB/s)
check "aborted: resync works" assoc_op resync w1/m
check_states w1/m "$ST_RESYNCING" resync
walk w1/m resync fracture suspend abort

# --- suspended
check "resync: suspend works (suspended)" eval 'assoc_op suspend w1/m && assoc_wait w1/m suspended'
check_states w1/m "$ST_SUSPENDED" suspended
walk w1/m suspended resume
check "suspended: resume works" assoc_op resume w1/m
check_states w1/m "$ST_RESYNCING" "resumed"
check "resync: abort works (aborted)" eval 'assoc_op abort w1/m && assoc_wait w1/m aborted'
check "aborted: resync again" assoc_op resync w1/m
check "resync: fracture works (fractured)" eval 'assoc_op fracture w1/m && assoc_wait w1/m fractured'
check "fractured: resync at full rate works (synchronized)" \
	eval 'assoc_op set w1/m --rate 0 && assoc_op resync w1/m && assoc_wait_idle w1/m'

# --- synchronized
check_states w1/m "$ST_SYNCHRONIZED" synchronized
walk w1/m synchronized fracture split suspend failover

# --- fractured
check "synchronized: fracture works (fractured)" \
	eval 'assoc_op fracture w1/m && assoc_wait w1/m fractured'
check_states w1/m "$ST_FRACTURED" fractured
walk w1/m fractured resync restore
VDREP_STATE_FN=mirror_state
if view=$(assoc_view w1/m) && exec 9<"$view"; then
	ok "fractured: the view $view opens"
	expect_fail "view open: resync is refused with EBUSY" "$EBUSY" "$VIEW_OPEN" assoc resync w1/m
	expect_fail "view open: restore is refused with EBUSY" "$EBUSY" "$VIEW_OPEN" assoc restore w1/m
	expect_fail "view open: detach is refused with EBUSY" "$EBUSY" "$VIEW_OPEN" assoc detach w1/m
	expect_fail "view open: destroy is refused with EBUSY" "$EBUSY" "$VIEW_OPEN" assoc destroy w1/m
	exec 9<&-
else
	not_ok "fractured: the view opens"
	for i in 1 2 3 4; do
		not_ok "view open: refusal $i not run"
	done
fi
check "fractured: resync works (synchronized)" eval 'assoc_op resync w1/m && assoc_wait_idle w1/m'

# --- split
check "synchronized: split works (split)" eval 'assoc_op split w1/m && assoc_wait w1/m split'
check_states w1/m "$ST_SPLIT" split
walk w1/m split resync restore
check "split: restore works (synchronized)" eval 'assoc_op restore w1/m && assoc_wait_idle w1/m'

# --- skewed
check "set --writable-view" assoc_op set w1/m --writable-view
check_eq "view-writable is true" true "$(assoc_get w1/m view-writable)"
check "fracture, then write through the view: skewed" \
	eval 'assoc_op fracture w1/m && assoc_wait w1/m fractured && view_write w1/m &&
		assoc_wait w1/m skewed'
check_states w1/m "$ST_SKEWED" skewed
walk w1/m skewed resync restore
check "skewed: restore works (synchronized)" eval 'assoc_op restore w1/m && assoc_wait_idle w1/m'
check "split, then write through the view: skewed" \
	eval 'assoc_op split w1/m && assoc_wait w1/m split && view_write w1/m &&
		assoc_wait w1/m skewed'
check "skewed: resync works (synchronized)" eval 'assoc_op resync w1/m && assoc_wait_idle w1/m'

# --- restoring (128 chunks back at 64 KiB/s)
check "fracture, write 128 chunks, set --rate 64K" \
	eval 'assoc_op fracture w1/m && assoc_wait w1/m fractured && dirty "$vol1" 64 128 &&
		assoc_op set w1/m --rate 64K'
check "fractured: restore works" assoc_op restore w1/m
check_states w1/m "$ST_RESTORING" restoring
walk w1/m restoring abort
expect_refused "restoring: abort is refused (EINVAL, a restore cannot be aborted)" \
	"$EINVAL" "a restore cannot be aborted" "$VDREPCTL" assoc abort w1/m
expect_refused "restoring: detach is refused (EBUSY, the volume's data is on the target)" \
	"$EBUSY" "the volume's data is on this target" "$VDREPCTL" assoc detach w1/m
check "at full rate back to synchronized" \
	eval 'assoc_op set w1/m --rate 0 && assoc_wait_idle w1/m'

# --- failedover
check "synchronized: failover works (failedover)" \
	eval 'assoc_op failover w1/m && assoc_wait w1/m failedover'
check_states w1/m "$ST_FAILEDOVER" failedover
walk w1/m failedover failback
check "failedover: failback works (synchronized)" \
	eval 'assoc_op failback w1/m && assoc_wait_idle w1/m'
check "synchronized: suspend works (suspended)" \
	eval 'assoc_op suspend w1/m && assoc_wait w1/m suspended'
check "suspended: resume works (synchronized)" eval 'assoc_op resume w1/m && assoc_wait_idle w1/m'

# --- broken
check "the target's table becomes error; a write through the volume: broken" \
	eval 'dm_reload m08t "$(dm_table_error /dev/ram1)" && dirty "$vol1" 3 1 &&
		assoc_wait w1/m broken'
check_states w1/m "$ST_BROKEN" broken
walk w1/m broken resync
check "repaired (linear again); broken: resync works (synchronized)" \
	eval 'dm_reload m08t "$(dm_table_linear /dev/ram1)" && assoc_op resync w1/m &&
		assoc_wait_idle w1/m'
check "synchronized: detach works (the association goes)" \
	eval 'assoc_op detach w1/m && eventually assoc_gone w1/m'

# ============================ w2: the initial sync's edges, failover EBUSY
check "create volume w2 on /dev/ram2" vol_create w2 /dev/ram2 chunk-size 64K ||
	ktap_abort "volume create failed"
check "create w2/x on /dev/ram3 --rate 64K" assoc_create w2/x /dev/ram3 --rate 64K
check_states w2/x "$ST_SYNCING" "initial sync"
check "initial sync: fracture works (fractured)" \
	eval 'assoc_op fracture w2/x && assoc_wait w2/x fractured'
check "destroy w2/x" assoc_destroy w2/x
check "create w2/x again --rate 64K" assoc_create w2/x /dev/ram3 --rate 64K
check_states w2/x "$ST_SYNCING" "initial sync"
check "initial sync: suspend works (suspended)" \
	eval 'assoc_op suspend w2/x && assoc_wait w2/x suspended'
check "suspended: resume at full rate works (synchronized)" \
	eval 'assoc_op set w2/x --rate 0 && assoc_op resume w2/x && assoc_wait_idle w2/x'
check "create w2/y on /dev/ram4, synchronized" \
	eval 'assoc_create w2/y /dev/ram4 && assoc_wait_idle w2/y'
check "failover w2/x (failedover)" eval 'assoc_op failover w2/x && assoc_wait w2/x failedover'
if [ "$(assoc_get w2/y copy-state)" = synchronized ]; then
	expect_fail_cmd "failover of w2/y while w2/x is failed over: EBUSY" "$EBUSY" "" \
		"$VDREPCTL" assoc failover w2/y
else
	skip "failover of w2/y while w2/x is failed over: EBUSY" \
		"w2/y is $(assoc_states w2/y), not synchronized, while w2/x is failed over"
fi
expect_refused "failedover: detach is refused (EBUSY, the volume's data is on the target)" \
	"$EBUSY" "the volume's data is on this target" "$VDREPCTL" assoc detach w2/x
check "failedover: after failback, detach works" \
	eval 'assoc_op failback w2/x && assoc_wait_idle w2/x && assoc_op detach w2/x && eventually assoc_gone w2/x'
check "create w2/z on /dev/ram7 --prepare-only" assoc_create w2/z /dev/ram7 --prepare-only
check "prepared: detach works" eval 'assoc_op detach w2/z && eventually assoc_gone w2/z'

# ======================================== w3/p: pending (async, held target)
check "create volume w3 on /dev/ram5" vol_create w3 /dev/ram5 chunk-size 64K ||
	ktap_abort "volume create failed"
vol3=/dev/$(vol_disk w3)
check "dm device m08p: linear over /dev/ram6" dm_create m08p "$(dm_table_linear /dev/ram6)" ||
	ktap_abort "dmsetup create failed"
check "create async w3/p on /dev/mapper/m08p --backlog 1M, synchronized" \
	eval 'assoc_create w3/p /dev/mapper/m08p --mode async --backlog 1M &&
		assoc_wait_idle w3/p'

# The target holds every write; 2 MiB more than the 1 MiB backlog. (A
# writer that waited for the target would sleep uninterruptibly: bounded
# gives up on it after 30 s and the target is let go.)
make_pending()
{
	dmsetup suspend m08p || return 1
	if ! bounded 300 dd if=/dev/urandom of="$vol3" bs="$CS" seek=0 count=32 oflag=direct \
		iflag=fullblock status=none; then
		dmsetup resume m08p
		return 1
	fi
	assoc_wait_for w3/p progress-status pending
}

# held_op OP STATE: run OP while the target holds its writes; once the
# kernel took it (requested-copy-state or copy-state is STATE), let the
# target go; then OP must end in STATE.
held_op()
{
	local op=$1 state=$2 pid i v rc

	"$VDREPCTL" assoc "$op" w3/p >"$tmpdir/held.out" 2>&1 &
	pid=$!
	for ((i = 0; i < 300; i++)); do
		v=$(bounded 50 assoc_get w3/p requested-copy-state copy-state) || break
		v=$(paste -sd' ' <<<"$v")
		case " $v " in
		*" $state "*) break ;;
		esac
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	dmsetup resume m08p
	wait "$pid"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		diag "vdrepctl assoc $op w3/p failed:"
		diag_file "$tmpdir/held.out"
		return 1
	fi
	assoc_wait w3/p "$state"
}

check "a burst over the backlog with the target held: pending" make_pending
check_states w3/p "$ST_PENDING" pending
walk w3/p pending fracture suspend abort
check "pending: fracture works (fractured)" held_op fracture fractured
check "fractured: resync works (synchronized)" eval 'assoc_op resync w3/p && assoc_wait_idle w3/p'
check "pending again" make_pending
check "pending: suspend works (suspended)" held_op suspend suspended
check "suspended: resume works (synchronized)" eval 'assoc_op resume w3/p && assoc_wait_idle w3/p'
check "pending again" make_pending
check "pending: abort works (aborted)" held_op abort aborted
check "aborted: resync works (synchronized)" eval 'assoc_op resync w3/p && assoc_wait_idle w3/p'

check "destroy w2/y" assoc_destroy w2/y
check "destroy w3/p" assoc_destroy w3/p
check "destroy w1, w2, w3" eval 'vol_destroy w1 && vol_destroy w2 && vol_destroy w3'

ktap_finished
