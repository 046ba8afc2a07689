#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2016 # eval '...' expands as result runs it
#
# powercut-guest.sh CYCLE SEED HISTORY|- PIT|- FINAL: one boot of the power-cut cycles, run by
# run.sh for powercut.sh in a VM with six virtio disks (64 MiB; the store 65, the metadata 4):
#   /dev/vda source, vdb a sync mirror's target, vdc an async mirror's, vdd a snapshot's
#   store, vde a clone's target, vdf the metadata device.
# CYCLE 0 creates volume pc on them (chunk size 64K), mirrors ms (sync) and ma (async) that
# synchronize, snapshot sn and clone cl (filling at 256 KiB/s, so that a cut finds it
# filling). A later CYCLE assembles it from the metadata after the power cut that ended the
# one before, and checks: no association broken; every write acknowledged in the cycles so
# far (HISTORY, "CYCLE:SEED:ACKED,...") reads back through the volume; each mirror
# synchronizes again with its target equal to the source (what its resync copied is
# printed); the snapshot's view reads its point in time (PIT, the volume's sha256 when it was
# taken); the clone, at full speed, ends split with its view equal to its point in time.
# Then, unless FINAL is 1: a new point in time for the snapshot (resync) and for the clone
# (resync, 256 KiB/s again), its hash printed, and the writer (powercut-io.py, SEED) runs
# until the host kills QEMU.
# Every line for the host goes to the serial console, prefixed "vdrep-powercut:": "ok - ..."
# and "not ok - ..." results, "pit HASH", "writing", and the writer's "ack CYCLE SEQ".

cycle=${1:?} seed=${2:?} history=${3:?} pit=${4:?} final=${5:?}
# "-" stands for nothing: the arguments reach the guest split on blanks.
[ "$history" = - ] && history=''
[ "$pit" = - ] && pit=''

# shellcheck source=../selftests/vdrep/lib.sh
. "$VDREP_TOP/tools/testing/selftests/vdrep/lib.sh"
tmpdir=$(mktemp -d)
export VDREP_WAIT_TIMEOUT=600
IO=$VDREP_TOP/tools/testing/vm/powercut-io.py
SRC=/dev/vda MS=/dev/vdb MA=/dev/vdc SN=/dev/vdd CL=/dev/vde META=/dev/vdf

# The guest's output reaches the console (guest-init.sh); the writer writes there itself.
say() { echo "vdrep-powercut: $*"; }
result()
{
	local desc=$1

	shift
	if "$@" >"$tmpdir/out" 2>&1; then
		say "ok - cycle $cycle: $desc"
	else
		say "not ok - cycle $cycle: $desc"
		sed 's/^/vdrep-powercut: #   /' "$tmpdir/out" | head -n 20
	fi
}
sha() { dd if="$1" bs=1M iflag=direct status=none | sha256sum | cut -d' ' -f1; }
same() { [ "$(sha "$1")" = "$(sha "$2")" ] || { echo "$1 and $2 differ"; return 1; }; }

modprobe virtio_blk 2>/dev/null
for d in $SRC $MS $MA $SN $CL $META; do
	[ -b "$d" ] || { say "not ok - cycle $cycle: no disk $d"; exit 1; }
done
insmod_vdrep || { say "not ok - cycle $cycle: cannot load $VDREP_KO"; exit 1; }

if [ "$cycle" = 0 ]; then
	setup()
	{
		dd if=/dev/urandom of=$SRC bs=1M count=64 oflag=direct status=none &&
			"$VDREPCTL" volume create pc source $SRC meta $META chunk-size 64K &&
			"$VDREPCTL" assoc create pc/ms $MS &&
			"$VDREPCTL" assoc create pc/ma $MA --mode async &&
			assoc_wait_idle pc/ms && assoc_wait_idle pc/ma &&
			"$VDREPCTL" assoc create pc/sn $SN --type snapshot &&
			"$VDREPCTL" assoc create pc/cl $CL --type clone --rate 256K
	}
	result "create pc with metadata: ms, ma synchronized, snapshot sn, clone cl filling" setup
else
	result "assemble pc from $META after the power cut" \
		"$VDREPCTL" volume create pc source $SRC meta $META
	vol=/dev/$(vol_disk pc)
	states=$(for a in ms ma sn cl; do echo "$a=$(assoc_states pc/$a)"; done | paste -sd' ')
	say "cycle $cycle: back: $states; ms dirty $(assoc_get pc/ms dirty-chunks), ma dirty $(assoc_get pc/ma dirty-chunks), sn stored $(($(assoc_get pc/sn store-used) / 65536)) chunks"
	result "no association came back broken" eval '! grep -q "broken" <<<"$states"'
	result "every acknowledged write reads back through the volume" \
		"$PYTHON" -S "$IO" verify "$vol" "$history"
	mirror()
	{
		assoc_wait_idle "pc/$1" && same $SRC "$2" &&
			echo "$1 copied $(assoc_get "pc/$1" copied-chunks) chunks"
	}
	result "ms (sync) synchronizes, its target equal to the source" mirror ms $MS
	say "cycle $cycle: $(grep copied "$tmpdir/out")"
	result "ma (async) synchronizes, its target equal to the source" mirror ma $MA
	say "cycle $cycle: $(grep copied "$tmpdir/out")"
	result "sn is split and its view reads its point in time" \
		eval '[ "$(assoc_states pc/sn)" = "$ST_SNAP_SPLIT" ] && [ "$(view_sha pc/sn)" = "$pit" ]'
	result "cl at full speed ends split, its view equal to its point in time" \
		eval '"$VDREPCTL" assoc set pc/cl --rate 0 && assoc_wait pc/cl split &&
		[ "$(view_sha pc/cl)" = "$pit" ]'
	if [ "$final" = 1 ]; then
		result "volume stop" "$VDREPCTL" volume stop pc
		exit 0
	fi
	result "new points in time: sn resynced, cl resynced, filling at 256 KiB/s" \
		eval '"$VDREPCTL" assoc resync pc/sn && assoc_wait pc/sn split &&
		"$VDREPCTL" assoc set pc/cl --rate 256K && "$VDREPCTL" assoc resync pc/cl'
fi
vol=/dev/$(vol_disk pc)
say "pit $(sha "$vol")"
say "writing cycle $cycle seed $seed"
"$PYTHON" -S "$IO" write "$vol" "$cycle" "$seed" 120 8
say "the writer ended before the power cut"
