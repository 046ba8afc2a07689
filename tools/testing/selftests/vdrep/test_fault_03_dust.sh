#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Bad blocks with dm-dust (kernels with CONFIG_DM_DUST, the debug lane):
# a volume on a dm-dust device over /dev/ram0 with a synchronous mirror on
# a dm-dust device over /dev/ram1 (16 MiB, 4 KiB dust blocks). Bad blocks
# (dmsetup message ... addbadblock, enable) fail reads of those blocks; a
# write to a bad block takes it off the list. The blocks, and the moment a
# source's bad blocks are enabled during fio, are drawn from a seed. What
# is checked is the admin guide's (Faults, Target views):
#  - the source has bad blocks: a failed source read of a volume read is
#    retried on the synchronized mirror: a read-only fio job sees no error,
#    the volume reads as before, source-read-errors counts the retries, the
#    kernel logs them, the mirror stays synchronized;
#  - the target has bad blocks: a synchronized mirror never reads its
#    target: the volume reads as before, nothing is counted;
#  - the same block is bad on both: the reader gets the error (EIO), the
#    mirror stays synchronized; a block bad on the source only still reads;
#  - a fractured mirror's view: a read of a bad block fails with EIO, to the
#    view's reader only (the mirror stays fractured);
#  - a restore whose copy reads a bad block of the target: the mirror
#    becomes broken (target-read-errors); once the bad blocks are cleared,
#    a resync goes on with the restore (restoring, then synchronized) and
#    the volume is the image the mirror held.
#
#   VDREP_FAULT_SEED    the seed (default: from the clock; printed as a
#                       diagnostic line, set it to replay the same choices)

# shellcheck source=lib.sh disable=SC2016 # eval '...' expands as check runs it
. "$(dirname "$0")/lib.sh"

test_init
require_tools fio sha256sum
dm_require dust

fault_seed
BS=4096
CS=65536
BLOCKS=$((16 * 1048576 / BS))
V=f03
a=$V/m
ktap_plan 25
diag "seed $SEED (replay: VDREP_FAULT_SEED=$SEED)"

# dust DEVICE MESSAGE...: a message to a dm-dust device.
dust()
{
	local dev=$1

	shift
	dmsetup message "$dev" 0 "$@"
}

# dust_add DEVICE BLOCK...: these blocks are bad (dm-dust says so quietly).
dust_add()
{
	local dev=$1 b

	shift
	for b in "$@"; do
		dust "$dev" addbadblock "$b" || return 1
	done
}

# block_read DEV BLOCK: one direct read of dust block BLOCK of DEV.
block_read()
{
	dd if="$1" of=/dev/null bs="$BS" skip="$2" count=1 iflag=direct status=none
}

# block_eio DEV BLOCK: that read fails with EIO.
block_eio()
{
	local out

	out=$(block_read "$1" "$2" 2>&1) && {
		echo "reading block $2 of $1 succeeded"
		return 1
	}
	grep -q "Input/output error" <<<"$out" && return 0
	echo "$out"
	return 1
}

# distinct_blocks N FIRST COUNT: N distinct random blocks of [FIRST,
# FIRST + COUNT), in $blocks.
distinct_blocks()
{
	local b

	blocks=()
	while [ "${#blocks[@]}" -lt "$1" ]; do
		rand "$3"
		b=$(($2 + REPLY))
		[[ " ${blocks[*]} " == *" $b "* ]] || blocks+=("$b")
	done
}

read_retries()
{
	assoc_get "$a" source-read-errors
}

logged()
{
	dmesg | grep -cE "source read error at sector [0-9]+, read from mirror m instead"
}

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
setup()
{
	brd_setup 2 16 || return 1
	dev_fill_random /dev/ram0
	dm_create f03s "0 $(dm_sectors /dev/ram0) dust /dev/ram0 0 $BS" &&
		dm_create f03t "0 $(dm_sectors /dev/ram1) dust /dev/ram1 0 $BS" || return 1
	dust f03s quiet && dust f03t quiet || return 1
	vol_create "$V" /dev/mapper/f03s
}
check "volume $V on dm-dust over /dev/ram0, 4 KiB blocks" setup || ktap_abort "setup failed"
vol=/dev/$(vol_disk "$V")
check "synchronous mirror $a on dm-dust over /dev/ram1, synchronized and idle" \
	eval 'assoc_create $a /dev/mapper/f03t --mode sync && assoc_wait_idle $a' ||
	ktap_abort "no mirror"
image=$(dev_sha256 "$vol")

# ---------------------------------------------------- the source's blocks

rand 5
distinct_blocks $((4 + REPLY)) 0 "$BLOCKS"
src_bad=("${blocks[@]}")
rand 21
delay=$((REPLY / 10)).$((REPLY % 10))
diag "source bad blocks ${src_bad[*]}, enabled ${delay} s into fio"
retries=$(read_retries)
nlogged=$(logged)
check "source: ${#src_bad[@]} bad blocks added (${src_bad[*]}), still off" dust_add f03s "${src_bad[@]}"
read_job()
{
	(cd "$tmpdir" && exec fio --name=rd --filename="$vol" --ioengine=libaio --direct=1 \
		--rw=randread --bs=16k --iodepth=8 --time_based --runtime=4 \
		--output="$tmpdir/fio-rd.out") &
	local pid=$!

	sleep "$delay"
	dust f03s enable || { wait "$pid"; return 1; }
	wait "$pid" || { cat "$tmpdir/fio-rd.out"; return 1; }
}
check "source: enabled ${delay} s into a read-only fio job, which sees no error" \
	bounded 3000 read_job
check "source: reading the source itself fails at block ${src_bad[0]}" \
	block_eio /dev/mapper/f03s "${src_bad[0]}"
check_eq "source: the volume reads as before (every bad block retried on the mirror)" \
	"$image" "$(bounded 3000 dev_sha256 "$vol")"
counted_logged()
{
	test "$(read_retries)" -gt "$retries" && test "$(logged)" -gt "$nlogged"
}
check "source: source-read-errors counts the retries, the kernel logged them" counted_logged
check_eq "source: the mirror is still $ST_SYNCHRONIZED" "$ST_SYNCHRONIZED" "$(assoc_states "$a")"

# ---------------------------------------------------- the target's blocks

rand 5
distinct_blocks $((4 + REPLY)) 0 "$BLOCKS"
tgt_bad=("${blocks[@]}")
diag "target bad blocks ${tgt_bad[*]}"
errs=$(assoc_get "$a" target-read-errors source-read-errors | paste -sd' ')
check "target: ${#tgt_bad[@]} bad blocks enabled (${tgt_bad[*]}); reading the target fails" \
	eval 'dust_add f03t "${tgt_bad[@]}" && dust f03t enable &&
		block_eio /dev/mapper/f03t ${tgt_bad[0]}'
# The source sound: the volume reads the source, never the target.
dust f03s disable
check_eq "target: with the source sound, the volume reads as before" "$image" \
	"$(bounded 3000 dev_sha256 "$vol")"
check_eq "target: nothing read the target: no error counted, still synchronized" \
	"$errs $ST_SYNCHRONIZED" \
	"$(assoc_get "$a" target-read-errors source-read-errors | paste -sd' ') $(assoc_states "$a")"

# ----------------------------------------------------- bad on both sides

both=${tgt_bad[0]}
rand "$BLOCKS"
only=$REPLY
while [[ " ${tgt_bad[*]} ${src_bad[*]} " == *" $only "* ]]; do
	only=$(((only + 1) % BLOCKS))
done
diag "block $both bad on both sides, block $only on the source only"
check "both: block $both bad on the source too; reading it through the volume fails with EIO" \
	eval 'dust_add f03s $both $only && dust f03s enable && block_eio $vol $both'
check "both: block $only, bad on the source only, reads through the volume" \
	block_read "$vol" "$only"
check_eq "both: the mirror is still $ST_SYNCHRONIZED" "$ST_SYNCHRONIZED" "$(assoc_states "$a")"
check "source sound again (bad blocks disabled and cleared)" \
	eval 'dust f03s disable && dust f03s clearbadblocks'

# ------------------------------------------------------------ the view

check "fracture $a: its view appears" eval 'assoc_op fracture $a && assoc_wait $a fractured &&
	assoc_view $a'
view=$(assoc_view "$a")
check "view: reading block ${tgt_bad[1]} of $view fails with EIO" block_eio "$view" "${tgt_bad[1]}"
check_eq "view: the mirror is still $ST_FRACTURED" "$ST_FRACTURED" "$(assoc_states "$a")"

# ------------------------------------------------------------- restore

# Chunks written on the volume since the fracture are copied back from the
# target by a restore; one of them has a bad block on the target.
rand 4
first=$((32 + REPLY * 32))
wchunks=("$first" $((first + 1)) $((first + 2)) $((first + 3)))
bad_in=$((wchunks[2] * CS / BS + 5))
diag "restore: chunks ${wchunks[*]} written, target block $bad_in bad"
check "restore: chunks ${wchunks[*]} written; target block $bad_in bad; restore starts" \
	eval 'touch_chunks $vol $CS after ${wchunks[*]} && dust_add f03t $bad_in &&
		assoc_op restore $a'
check "restore: reading block $bad_in breaks it: $ST_BROKEN, target-read-errors counted" \
	eval 'wait_broken $a && assoc_is $a "$ST_BROKEN" &&
		test "$(assoc_get $a target-read-errors)" -gt "${errs%% *}"'
check "restore: the target sound again, resync goes on with the restore: synchronized" \
	eval 'dust f03t disable && dust f03t clearbadblocks && assoc_op resync $a &&
		assoc_wait_idle $a'
check_eq "restore: the volume, its source and the target are the image before the writes" \
	"$image $image $image" \
	"$(dev_sha256 "$vol") $(dev_sha256 /dev/mapper/f03s) $(dev_sha256 /dev/mapper/f03t)"
fio_check "fio writes and verifies the volume" after "$vol" --bs=4k --iodepth=8 --size=8M
check "destroy $a and $V" eval 'assoc_destroy $a && vol_destroy $V'

ktap_finished
