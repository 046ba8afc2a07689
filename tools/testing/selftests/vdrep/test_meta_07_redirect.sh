#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Failover and restore survive a restart (metadata-format.rst, "Failover
# and restore"): a record says REDIRECTED before the volume's I/O turns to
# the association's target, and assemble brings the volume back served
# from there. A power cut is what brd holds at an instant (it has no
# cache): the metadata device is copied then, the volume stopped, the copy
# written back, and the volume assembled from it.
#
#  - An asynchronous mirror failed over, chunks written: after a clean stop
#    and after a cut it comes back failed over, the chunks read from its
#    target; failback then copies them to the source, and the mirror queues
#    its writes again.
#  - Failing back at 4 KiB/s, cut: it comes back failing back and ends
#    with both sides equal.
#  - A snapshot restoring at 16 then 4 KiB/s, a chunk written after the restore
#    copied it and one before, cut: it comes back restoring and ends with
#    the point in time but for those two writes. A crash must not restore a
#    chunk over a later write: the restore map drops the chunk on the device
#    before the write is issued (invariant-checking: without that, chunk 0
#    would come back as it was at the point in time).
#  - A clone restoring, cut: it comes back restoring and ends with the
#    source holding the clone's image but for two writes made meanwhile.

# shellcheck source=lib.sh disable=SC2016 # eval '...' expands as check runs it
. "$(dirname "$0")/lib.sh"

test_init
require_tools sha256sum jq python3
ktap_plan 51

CS=65536
N=16		# chunks a restore copies: 16 s at 64 KiB/s
ST_FAILING_BACK=failedover/restore-in-progress/failing-back

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 7 16 || ktap_abort "cannot set up brd ramdisks"

meta_json()
{
	"$VDREPCTL" -j meta dump "$1" >"$tmpdir/meta.json" 2>"$tmpdir/meta.err"
}

# meta_is DEV EXPR VALUE: after a fresh dump of DEV, EXPR prints VALUE.
meta_is()
{
	local v

	meta_json "$1" || { diag "meta dump $1 failed: $(cat "$tmpdir/meta.err")"; return 1; }
	v=$(meta_eval "$tmpdir/meta.json" "$2") || return 1
	[ "$v" = "$3" ] && return 0
	diag "$2 is '$v', expected '$3'"
	return 1
}

# REC NAME: clean, copy state and redirected of record NAME, as meta_is reads them.
REC()
{
	echo 'str(d["superblock"]["clean"]).lower() + " " + rec("'"$1"'")["copy_state"] + " " + str(rec("'"$1"'")["redirected"]).lower()'
}

# power_cut META: the power cut, as the metadata device holds it now.
power_cut()
{
	dd if="$1" of="$tmpdir/cut.img" bs=1M iflag=direct status=none
}

# stop_at_cut VOLUME META: stop VOLUME, then put back META as power_cut() saw it.
stop_at_cut()
{
	ctl volume stop "$1" || return 1
	untrack_volume "$1"
	dd if="$tmpdir/cut.img" of="$2" bs=1M oflag=direct status=none
}

# cut_says META ASSOC: "redirected" if the record of ASSOC in the cut's metadata (put back
# on META) says the volume's I/O went through it, else "ended". Which one depends on how
# far the copy got before the cut (a slow kernel may finish it first): what comes back is
# checked against what the record says, not against a guess.
cut_says()
{
	meta_is "$1" 'str(rec("'"$2"'")["redirected"]).lower()' true >/dev/null 2>&1 &&
		echo redirected || echo ended
}

# ok_if_redirected CUT DESCRIPTION: ok, or a skip saying the copy ended before the cut.
ok_if_redirected()
{
	if [ "$1" = redirected ]; then
		ok "$2"
	else
		skip "$2" "the copy had ended before the cut (a slow machine)"
	fi
}

# expect_sha: sha256 of the point in time ($tmpdir/pit.img) with chunks 0 and N-1
# holding the "after" writes.
expect_sha()
{
	cp "$tmpdir/pit.img" "$tmpdir/expect.img" &&
		expect_image "$tmpdir/expect.img" after 0 $((N - 1)) &&
		sha256sum <"$tmpdir/expect.img" | cut -d' ' -f1
}

# assemble_after_cut VOLUME META ASSOC: stop VOLUME, put the cut back, say whether ASSOC
# was still restoring then, and assemble: ASSOC restoring if its record said so, else
# done (completed). Three results.
assemble_after_cut()
{
	local vol=$1 meta=$2 assoc=$1/$3 cut want=completed

	check "stop; the metadata put back as the cut left it" stop_at_cut "$vol" "$meta"
	cut=$(cut_says "$meta" "$3")
	ok_if_redirected "$cut" "$assoc was restoring at the cut (its record redirected)"
	[ "$cut" = redirected ] && want=restoring
	check "assembled after the cut: $assoc $want" \
		eval 'vol_create $vol /dev/ram0 meta $meta && [ "$(assoc_get $assoc progress-status)" = $want ]'
}

# write_chunks DEV TAG FIRST LAST: chunks FIRST..LAST in one direct write of TAG's pattern.
write_chunks()
{
	range_write "$1" $(($3 * CS)) $((($4 - $3 + 1) * CS)) "$2"
}

# expect_image FILE TAG CHUNK...: FILE with those chunks holding TAG's patterns.
expect_image()
{
	local i

	for i in "${@:3}"; do
		chunk_pattern "$2-$i" "$CS" |
			dd of="$1" bs="$CS" seek="$i" conv=notrunc status=none || return 1
	done
}

# ----------------------------------------------------- a mirror failed over

V=m07
MMETA=/dev/ram4
check "create $V on /dev/ram0, metadata on $MMETA; async mirror $V/a on /dev/ram1 synchronizes" \
	eval 'dev_fill_random /dev/ram0 && vol_create $V /dev/ram0 meta $MMETA chunk-size 64K &&
	assoc_create $V/a /dev/ram1 --mode async && assoc_wait_idle $V/a' ||
	ktap_abort "setup failed"
vd=/dev/$(vol_disk "$V")
check "fail over to $V/a" eval 'assoc_op failover $V/a && assoc_wait $V/a failedover'
check "write chunks 3 and 40 while failed over" eval 'chunk_write $vd $CS 3 fo && chunk_write $vd $CS 40 fo'
power_cut "$MMETA"
check "volume stop while failed over" eval 'ctl volume stop $V && untrack_volume $V'
check "the clean commit: $V/a failed over, redirected" meta_is "$MMETA" "$(REC a)" "true failedover true"
check "assembled: $V/a comes back $ST_FAILEDOVER" \
	eval 'vol_create $V /dev/ram0 meta $MMETA && assoc_is $V/a $ST_FAILEDOVER'
vd=/dev/$(vol_disk "$V")
FO=$(pattern_sha fo "$CS")
check_eq "chunks 3 and 40 read through the volume (from the target), not on the source" \
	"$FO $FO no" "$(chunk_sha "$vd" "$CS" 3) $(chunk_sha "$vd" "$CS" 40) \
$([ "$(chunk_sha /dev/ram0 "$CS" 3)" = "$FO" ] && echo yes || echo no)"
check "stop; the metadata put back as the cut after the writes left it" stop_at_cut "$V" "$MMETA"
check "at the cut: not clean, $V/a failed over, redirected" meta_is "$MMETA" "$(REC a)" \
	"false failedover true"
check "assembled after the cut: $V/a $ST_FAILEDOVER, chunks 3 and 40 read back" \
	eval 'vol_create $V /dev/ram0 meta $MMETA && assoc_is $V/a $ST_FAILEDOVER &&
	vd=/dev/$(vol_disk $V) &&
	[ "$(chunk_sha $vd $CS 3) $(chunk_sha $vd $CS 40)" = "$FO $FO" ]'
check "fail back: synchronized, the source equals the target and holds chunk 40" \
	eval 'assoc_op failback $V/a && assoc_wait $V/a synchronized && assoc_wait_idle $V/a &&
	[ "$(dev_sha256 /dev/ram0)" = "$(dev_sha256 /dev/ram1)" ] &&
	[ "$(chunk_sha /dev/ram0 $CS 40)" = "$FO" ]'
check "its record is no longer redirected" settles meta_is "$MMETA" "$(REC a)" \
	"false synchronized false"
check "after the failback writes reach the target again (queued): chunk 7 written, idle, equal" \
	eval 'chunk_write $vd $CS 7 after && assoc_wait_idle $V/a &&
	[ "$(dev_sha256 /dev/ram0)" = "$(dev_sha256 /dev/ram1)" ]'

# ------------------------------------------------ a power cut in a failback

check "fail over again; chunks 10-$((10 + N - 1)) written while failed over" \
	eval 'assoc_op failover $V/a && assoc_wait $V/a failedover &&
	write_chunks $vd fb 10 $((10 + N - 1))'
IMAGE=$(dev_sha256 "$vd")
check "fail back at 4 KiB/s (16 s a chunk)" eval 'assoc_op set $V/a --rate 4K && assoc_op failback $V/a'
power_cut "$MMETA"
check "stop; the metadata put back as the cut left it" stop_at_cut "$V" "$MMETA"
cut=$(cut_says "$MMETA" a)
ok_if_redirected "$cut" "$V/a was failing back at the cut (its record redirected)"
want=$ST_SYNCHRONIZED
[ "$cut" = redirected ] && want=$ST_FAILING_BACK
check "assembled after the cut: $V/a $want" \
	eval 'vol_create $V /dev/ram0 meta $MMETA && assoc_is $V/a $want'
vd=/dev/$(vol_disk "$V")
check_eq "the volume reads as at the cut meanwhile" "$IMAGE" "$(dev_sha256 "$vd")"
check "at full speed the failback ends: synchronized, idle" \
	eval 'assoc_op set $V/a --rate 0 && assoc_wait $V/a synchronized && assoc_wait_idle $V/a'
check_eq "source and target hold the image" "$IMAGE $IMAGE" \
	"$(dev_sha256 /dev/ram0) $(dev_sha256 /dev/ram1)"
check "meta check of $MMETA: consistent" "$VDREPCTL" meta check "$MMETA"
check "destroy $V" eval 'assoc_destroy_all $V && vol_destroy $V'

# -------------------------------------------------- a snapshot restoring

S=s07
SMETA=/dev/ram5
check "create $S on /dev/ram0, metadata on $SMETA; snapshot $S/sn on /dev/ram2" \
	eval 'vol_create $S /dev/ram0 meta $SMETA chunk-size 64K &&
	snap_create $S/sn /dev/ram2' || ktap_abort "setup failed"
vs=/dev/$(vol_disk "$S")
dd if="$vs" of="$tmpdir/pit.img" bs=1M iflag=direct status=none
check "chunks 0-$((N - 1)) written (each preserved first)" write_chunks "$vs" later 0 $((N - 1))
check "restore $S/sn at 16 KiB/s; it restored 2 chunks or more (0 and 1: in order); 4 KiB/s on" \
	eval 'assoc_op set $S/sn --rate 16K && assoc_op restore $S/sn &&
	assoc_wait_for $S/sn copied-chunks "([2-9]|[1-9][0-9]+)" && assoc_op set $S/sn --rate 4K'
check "write chunk 0 (restored) and chunk $((N - 1)) (restored first, then written)" \
	eval 'chunk_write $vs $CS 0 after-0 && chunk_write $vs $CS $((N - 1)) after-$((N - 1))'
power_cut "$SMETA"
EXPECT=$(expect_sha)
PIT=$(sha256sum <"$tmpdir/pit.img" | cut -d' ' -f1)
check_eq "the volume reads the point in time but for the two writes" "$EXPECT" "$(dev_sha256 "$vs")"
assemble_after_cut "$S" "$SMETA" sn
vs=/dev/$(vol_disk "$S")
check_eq "the volume reads as before the cut" "$EXPECT" "$(dev_sha256 "$vs")"
check "at full speed the restore ends: $ST_SNAP_SPLIT" \
	eval 'assoc_op set $S/sn --rate 0 && assoc_wait $S/sn split && assoc_is $S/sn $ST_SNAP_SPLIT'
check_eq "the source holds the point in time but for the two writes (chunk 0 not restored again)" \
	"$EXPECT $(pattern_sha after-0 "$CS")" \
	"$(dev_sha256 /dev/ram0) $(chunk_sha /dev/ram0 "$CS" 0)"
check_eq "the view still reads the point in time" "$PIT" "$(view_sha "$S/sn")"
check "its record is split, not redirected" settles meta_is "$SMETA" "$(REC sn)" \
	"false split false"
check "meta check of $SMETA and of the store: consistent" \
	eval '"$VDREPCTL" meta check $SMETA && "$VDREPCTL" meta check /dev/ram2'
check "destroy $S" eval 'assoc_destroy_all $S && vol_destroy $S'

# ----------------------------------------------------- a clone restoring

C=c07
CMETA=/dev/ram6
check "create $C on /dev/ram0, metadata on $CMETA; clone $C/cl on /dev/ram3 fills: split" \
	eval 'vol_create $C /dev/ram0 meta $CMETA chunk-size 64K &&
	clone_create $C/cl /dev/ram3 && assoc_wait $C/cl split' || ktap_abort "setup failed"
vc=/dev/$(vol_disk "$C")
dd if="$vc" of="$tmpdir/pit.img" bs=1M iflag=direct status=none
check "chunks 0-$((N - 1)) written on the volume" write_chunks "$vc" later 0 $((N - 1))
check "restore $C/cl at 4 KiB/s" eval 'assoc_op set $C/cl --rate 4K && assoc_op restore $C/cl'
check "write chunk 0 and chunk $((N - 1)) through the volume" \
	eval 'chunk_write $vc $CS 0 after-0 && chunk_write $vc $CS $((N - 1)) after-$((N - 1))'
states=$(assoc_get "$C/cl" progress-status)
power_cut "$CMETA"
EXPECT=$(expect_sha)
assemble_after_cut "$C" "$CMETA" cl
vc=/dev/$(vol_disk "$C")
check "at full speed the restore ends: $ST_CLONE_SPLIT" \
	eval 'assoc_op set $C/cl --rate 0 && assoc_wait $C/cl split && assoc_is $C/cl $ST_CLONE_SPLIT'
check_eq "the source holds the clone's point in time but for the two writes" "$EXPECT" \
	"$(dev_sha256 /dev/ram0)"
# Written during the restore, the two writes reached the clone too.
if [ "$states" = restoring ]; then
	check_eq "so does the clone (written during the restore, the writes reached both)" \
		"$EXPECT" "$(dev_sha256 /dev/ram3)"
else
	skip "so does the clone" "the restore had ended before the writes ($states)"
fi
check "meta check of $CMETA: consistent" "$VDREPCTL" meta check "$CMETA"
check "destroy $C" eval 'assoc_destroy_all $C && vol_destroy $C'

ktap_finished
