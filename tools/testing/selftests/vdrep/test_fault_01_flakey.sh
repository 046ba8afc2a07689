#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Seeded fault injection with dm-flakey (every lane). One volume (a 16 MiB
# slice of a ramdisk, random data) has four associations, each target on a
# device-mapper device of its own: a synchronous mirror (ms), an
# asynchronous mirror (ma), a snapshot (s) and a clone (c, filling at
# 128 KiB/s, so it is still copying when it is the victim). Each round
# picks, from the seed, a victim, a fault and a moment: while a verified fio
# job (fio --verify=crc32c, round after round) writes the first 2 MiB of the
# volume, the victim's table is reloaded from linear to dm-flakey failing
# writes (error_writes), every I/O (no feature), or only reads (error_reads,
# where the kernel's dm-flakey has it), 0 to 2 s into fio. What each round
# checks is the admin guide's (Faults, The store, The fill):
#  - writes fail: the victim alone becomes broken/broken/requires-resync,
#    target-write-errors counts it (a snapshot's view fails with EIO), fio
#    sees no error, vdrepctl monitor announced it, the other three carry on;
#    after the repair (linear table again) a resync brings it back
#    (mirror: synchronized and idle, target equal to the volume; snapshot:
#    split at a new point in time, view equal to the volume; clone: split,
#    target equal to the volume at the resync);
#  - reads fail: nothing breaks (a mirror and a clone's fill never read the
#    target); a snapshot's view read of a preserved chunk fails with EIO
#    (view I/O fails to the view's user only); after the repair the data is
#    intact (snapshot: the view shows the old point in time).
# The first four rounds take each victim once, in an order drawn from the
# seed. A snapshot only writes its store when a chunk is first written
# after its point in time, so its round starts with a resync (a new point
# in time) and, once the fault is in, writes one chunk fio never touches.
# At the end: the clone completes and holds its point in time, the snapshot
# view its own, the mirrors equal the volume.
#
#   VDREP_FAULT_SEED    the seed (default: from the clock; printed as a
#                       diagnostic line, set it to replay the same choices)
#   VDREP_FAULT_ROUNDS  rounds (default 4)

# shellcheck source=lib.sh disable=SC2016 # eval '...' expands as check runs it
. "$(dirname "$0")/lib.sh"

test_init
require_tools fio sha256sum
dm_require linear flakey

ROUNDS=${VDREP_FAULT_ROUNDS:-4}
fault_seed
CS=65536
VOL_MIB=16
SLOW=128K
V=f01
ktap_plan $((8 + ROUNDS * 10 + 5 + 5))
diag "seed $SEED, $ROUNDS rounds (replay: VDREP_FAULT_SEED=$SEED VDREP_FAULT_ROUNDS=$ROUNDS)"

# ------------------------------------------------------------- helpers

# head_sha DEV: sha256 of DEV's first $VOL_MIB MiB (a target is larger
# than the volume), read directly.
head_sha()
{
	dd if="$1" bs=1M count="$VOL_MIB" iflag=direct status=none | sha256sum | cut -d' ' -f1
}

declare -A tdev=([ms]=/dev/ram1 [ma]=/dev/ram2 [s]=/dev/ram3 [c]=/dev/ram4)
declare -A what=([ms]="synchronous mirror" [ma]="asynchronous mirror" [s]=snapshot [c]=clone)

# The table of victim X's device-mapper device: linear, or a fault.
fault_table()
{
	case $2 in
	linear) dm_table_linear "${tdev[$1]}" ;;
	writes) dm_table_flakey "${tdev[$1]}" 0 1 error_writes ;;
	reads) dm_table_flakey "${tdev[$1]}" 0 1 error_reads ;;
	all) dm_table_flakey "${tdev[$1]}" 0 1 ;;
	esac
}

# Whether this kernel's dm-flakey knows error_reads (Linux 6.6 on).
has_error_reads()
{
	dmsetup create f01probe --table "$(dm_table_flakey /dev/ram0 0 1 error_reads)" \
		>/dev/null 2>&1 || return 1
	dmsetup remove f01probe >/dev/null 2>&1
	return 0
}

# States in which an association that is not the victim may be found.
declare -A allowed=(
	[ms]="$ST_SYNCHRONIZED"
	[ma]="$ST_SYNCHRONIZED $ST_PENDING"
	[s]="$ST_SNAP_SPLIT"
	[c]="$ST_CLONE_FILLING $ST_RESYNCING $ST_CLONE_SPLIT"
)

# mon_round VICTIM BROKEN FINAL: if BROKEN, the monitor announced the
# victim's change to broken and then to copy-state FINAL; in any case it
# announced no other association's (nor, unless BROKEN, the victim's)
# change to broken.
mon_round()
{
	local lines others

	lines=$(mon_new)
	if [ "$2" = 1 ]; then
		sed -n "\\|^change assoc $V/$1 .*copy-state:broken|,\$p" <<<"$lines" |
			grep -qE "^change assoc $V/$1 .*copy-state:$3( |\$)" || return 1
		others=$(grep -E '^change assoc .*copy-state:broken( |$)' <<<"$lines" |
			grep -vE "^change assoc $V/$1 ")
	else
		others=$(grep -E '^change assoc .*copy-state:broken( |$)' <<<"$lines")
	fi
	[ -z "$others" ] && return 0
	diag "unexpected: $others"
	return 1
}

# ------------------------------------------------------------------ setup

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
setup()
{
	local x

	brd_setup 5 20 || return 1
	dm_slice f01src /dev/ram0 0 "$VOL_MIB" || return 1
	dev_fill_random /dev/mapper/f01src
	for x in ms ma s c; do
		dm_create "f01$x" "$(fault_table "$x" linear)" || return 1
	done
	vol_create "$V" /dev/mapper/f01src
}
check "volume $V on a $VOL_MIB MiB slice of /dev/ram0, targets on linear dm devices" setup ||
	ktap_abort "setup failed"
vol=/dev/$(vol_disk "$V")
modes=(writes all)
if has_error_reads; then
	modes+=(reads)
else
	diag "dm-flakey has no error_reads here: faults fail writes or every I/O"
fi

mon=$tmpdir/monitor.txt
check "vdrepctl monitor runs" monitor_start "$mon" || ktap_abort "monitor did not start"
check "synchronous mirror $V/ms, synchronized and idle" \
	eval 'assoc_create $V/ms /dev/mapper/f01ms --mode sync && assoc_wait_idle $V/ms' ||
	ktap_abort "no synchronous mirror"
check "asynchronous mirror $V/ma, synchronized and idle" \
	eval 'assoc_create $V/ma /dev/mapper/f01ma --mode async && assoc_wait_idle $V/ma' ||
	ktap_abort "no asynchronous mirror"
pit_s=$(dev_sha256 "$vol")
pit_c=$pit_s
check "snapshot $V/s, split" \
	eval 'snap_create $V/s /dev/mapper/f01s && assoc_is $V/s "$ST_SNAP_SPLIT"' ||
	ktap_abort "no snapshot"
check "clone $V/c at $SLOW/s, copying" \
	eval 'clone_create $V/c /dev/mapper/f01c --rate $SLOW && assoc_is $V/c "$ST_CLONE_FILLING"' ||
	ktap_abort "no clone"
check_eq "the snapshot's view is the volume" "$pit_s" "$(view_sha "$V/s")"

# ------------------------------------------------------------------ rounds

# prepare VICTIM: make the victim's target one that the fault will reach.
prepare()
{
	local st pct

	case $1 in
	ms | ma)
		assoc_wait_idle "$V/$1"
		;;
	s)
		# A new point in time: every chunk is to be preserved again.
		assoc_op resync "$V/s" && assoc_wait "$V/s" split || return 1
		pit_s=$(dev_sha256 "$vol")
		;;
	c)
		# Copying, with chunks left beyond fio's 2 MiB that only the
		# slow copy engine copies.
		st=$(assoc_states "$V/c")
		pct=$(assoc_get "$V/c" percent-synced)
		if [ "$st" = "$ST_CLONE_FILLING" ] && [ "$pct" -le 50 ]; then
			return 0
		fi
		assoc_op set "$V/c" --rate 0 && assoc_wait "$V/c" split || return 1
		dd if=/dev/urandom of="$vol" bs=1M seek=8 count=8 oflag=direct status=none ||
			return 1
		pit_c=$(dev_sha256 "$vol")
		assoc_op set "$V/c" --rate "$SLOW" && assoc_op resync "$V/c" &&
			assoc_is "$V/c" "$ST_RESYNCING"
		;;
	esac
}

# repair VICTIM BROKEN: the victim is back to its working state, resynced
# if BROKEN.
repair()
{
	case $1 in
	ms | ma)
		if [ "$2" = 1 ]; then
			assoc_op resync "$V/$1" || return 1
		fi
		assoc_wait_idle "$V/$1"
		;;
	s)
		[ "$2" = 1 ] || return 0
		assoc_op resync "$V/s" && assoc_wait "$V/s" split || return 1
		pit_s=$(dev_sha256 "$vol")
		;;
	c)
		assoc_op set "$V/c" --rate 0 || return 1
		if [ "$2" = 1 ]; then
			pit_c=$(dev_sha256 "$vol")
			assoc_op resync "$V/c" || return 1
		fi
		assoc_wait "$V/c" split
		;;
	esac
}

# data_ok VICTIM: the victim's target (or view) holds what it should.
data_ok()
{
	local want got

	case $1 in
	ms | ma) want=$(dev_sha256 "$vol") got=$(head_sha "${tdev[$1]}") ;;
	s) want=$pit_s got=$(view_sha "$V/s") ;;
	c) want=$pit_c got=$(head_sha "${tdev[c]}") ;;
	esac
	[ "$want" = "$got" ] && return 0
	diag "expected $want, found $got"
	return 1
}

order=(ms ma s c)
for ((i = 3; i > 0; i--)); do
	rand $((i + 1))
	t=${order[i]} order[i]=${order[REPLY]} order[REPLY]=$t
done

for ((r = 1; r <= ROUNDS; r++)); do
	if [ "$r" -le 4 ]; then
		x=${order[r - 1]}
	else
		rand 4
		x=${order[REPLY]}
	fi
	rand ${#modes[@]}
	mode=${modes[REPLY]}
	rand 21
	delay=$((REPLY / 10)).$((REPLY % 10))
	broken=1
	[ "$mode" = reads ] && broken=0
	a=$V/$x
	case $mode in
	writes) desc="failing writes (error_writes)" ;;
	reads) desc="failing reads (error_reads)" ;;
	all) desc="failing every I/O" ;;
	esac
	diag "round $r, at ${SECONDS} s: $a (${what[$x]}), target $desc after ${delay} s of fio"

	check "round $r: $a ready for the fault ($(assoc_states "$a"))" prepare "$x"
	mon_mark=$(wc -l <"$mon")
	# The error counters so far (they count for the association's life).
	errs=$(assoc_get "$a" target-read-errors target-write-errors | paste -sd' ')
	fio_loop_start bg "$vol" --bs=4k --iodepth=8 --offset=0 --size=2M
	sleep "$delay"
	check "round $r: f01$x reloaded $desc, ${delay} s into fio" \
		dm_reload "f01$x" "$(fault_table "$x" "$mode")"
	if [ "$x" = s ]; then
		# A first write after the point in time, on a chunk fio never
		# writes: the store is written (or its write fails) now.
		touch_chunks "$vol" "$CS" "round$r" $((128 + r))
	fi
	if [ "$broken" = 1 ]; then
		check "round $r: $a becomes $ST_BROKEN" \
			eval 'wait_broken $a && assoc_is $a "$ST_BROKEN"'
		if [ "$x" = s ]; then
			check "round $r: target-write-errors counted, the view fails with EIO" \
				eval 'test "$(assoc_get $a target-write-errors)" -gt "${errs#* }" &&
					read_eio "$(assoc_view $a)"'
		else
			check "round $r: target-write-errors counted" \
				test "$(assoc_get "$a" target-write-errors)" -gt "${errs#* }"
		fi
		check "round $r: fio verified a whole round after the fault, no error" \
			fio_finish
	else
		check "round $r: fio verified a whole round after the fault, no error" \
			fio_finish
		check "round $r: nothing is broken" others_fine none
		if [ "$x" = s ]; then
			check "round $r: a view read of a preserved chunk fails with EIO" \
				read_eio "$(assoc_view "$a")"
		else
			check_eq "round $r: its target was not read: no error counted" "$errs" \
				"$(assoc_get "$a" target-read-errors target-write-errors | paste -sd' ')"
		fi
	fi
	check "round $r: the other associations carry on" others_fine "$x"
	check "round $r: repair: f01$x linear again" dm_reload "f01$x" "$(fault_table "$x" linear)"
	if [ "$broken" = 1 ]; then
		rdesc="resync"
	else
		rdesc="no resync needed"
	fi
	check "round $r: $a back in service ($rdesc): $(
		case $x in ms | ma) echo "synchronized, idle" ;; *) echo split ;; esac)" \
		repair "$x" "$broken"
	check "round $r: $(case $x in
		ms | ma) echo "its target equals the volume" ;;
		s) echo "its view shows its point in time" ;;
		c) echo "its target holds its point in time" ;; esac)" data_ok "$x"
	case $x in ms | ma) final=synchronized ;; *) final="split" ;; esac
	check "round $r: the monitor announced $([ "$broken" = 1 ] &&
		echo "$a broken and $final again, no other association broken" ||
		echo "no association broken")" eventually mon_round "$x" "$broken" "$final"
done

# ----------------------------------------------------------------- source
#
# The source fails writes. The writer gets the error (the admin guide:
# source write errors are the writer's); the mirrors, which were sent the
# write, may now hold data the source lacks: they break (source-write-errors)
# and a resync copies the chunk from the source again. The snapshot had
# preserved the chunk first, the clone copied or noted it: they carry on.

write_fails()
{
	local out

	out=$(dd if=/dev/urandom of="$vol" bs=64K count=1 seek=200 oflag=direct 2>&1) && {
		echo "the write succeeded"
		return 1
	}
	grep -q "Input/output error" <<<"$out" && return 0
	echo "$out"
	return 1
}
src_broken()
{
	wait_broken "$V/ms" && wait_broken "$V/ma" || return 1
	test "$(assoc_get "$V/ms" source-write-errors)" -gt 0 &&
		test "$(assoc_get "$V/ma" source-write-errors)" -gt 0 &&
		others_fine ms ma
}
src_repair()
{
	dm_reload f01src "0 $((VOL_MIB * 2048)) linear /dev/ram0 0" &&
		assoc_op resync "$V/ms" && assoc_op resync "$V/ma" &&
		assoc_wait_idle "$V/ms" && assoc_wait_idle "$V/ma" && data_ok ms && data_ok ma
}
src_mon()
{
	local lines

	lines=$(mon_new)
	grep -qE "^change assoc $V/ms .*copy-state:broken( |\$)" <<<"$lines" &&
		grep -qE "^change assoc $V/ma .*copy-state:broken( |\$)" <<<"$lines" &&
		! grep -E '^change assoc .*copy-state:broken( |$)' <<<"$lines" |
			grep -qvE "^change assoc $V/m[sa] "
}
check "source: both mirrors idle" eval 'assoc_wait_idle $V/ms && assoc_wait_idle $V/ma'
mon_mark=$(wc -l <"$mon")
check "source: f01src fails writes (error_writes); a volume write fails with EIO" \
	eval 'dm_reload f01src "0 $((VOL_MIB * 2048)) flakey /dev/ram0 0 0 1 1 error_writes" &&
		write_fails'
check "source: both mirrors become broken (source-write-errors), the others carry on" src_broken
check "source: repaired, both mirrors resynced: idle, targets equal the volume" src_repair
check "source: the monitor announced both mirrors broken, nothing else" eventually src_mon

# ------------------------------------------------------------------- end

check "the clone completes and holds its point in time" \
	eval 'assoc_op set $V/c --rate 0 && assoc_wait $V/c split && data_ok c'
check_eq "the snapshot is split, its view shows its point in time" "$ST_SNAP_SPLIT $pit_s" \
	"$(assoc_states "$V/s") $(view_sha "$V/s")"
check "both mirrors are idle, their targets equal the volume" \
	eval 'assoc_wait_idle $V/ms && assoc_wait_idle $V/ma && data_ok ms && data_ok ma'
check "nothing is broken" others_fine none
teardown()
{
	local x

	assoc_destroy_all "$V" && vol_destroy "$V" || return 1
	for x in ms ma s c src; do
		dm_remove "f01$x" || return 1
	done
}
check "destroy the associations, the volume and the dm devices" teardown

ktap_finished
