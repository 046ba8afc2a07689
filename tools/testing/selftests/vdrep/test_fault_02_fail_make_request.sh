#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Seeded fault injection with fail_make_request (kernels with
# CONFIG_FAIL_MAKE_REQUEST, the debug lane): /sys/block/<disk>/make-it-fail
# on one disk, with debugfs fail_make_request/{probability,interval,times,
# space,verbose} failing every INTERVAL-th request to it (INTERVAL 1 to 16,
# TIMES failures or without end, both drawn from the seed), switched on at a
# random moment (0 to 2 s) of a fio job. One volume on /dev/ram0 (16 MiB,
# random data) has a synchronous mirror (ms, /dev/ram1), an asynchronous
# mirror (ma, /dev/ram2) and a snapshot (s, store /dev/ram3). The first four
# rounds take each victim once (ms, ma, s, the source), in an order drawn
# from the seed; more rounds draw victims at random.
#  - A target fails (the admin guide's Faults, The store): while a verified
#    fio loop writes the volume, the victim alone becomes broken,
#    target-write-errors counts it (a snapshot's view fails with EIO), fio
#    sees no error, the monitor announced it, the others carry on; once
#    make-it-fail is off, a resync brings it back (mirror: synchronized and
#    idle, target equal to the volume; snapshot: a new point in time, the
#    view equal to the volume). A snapshot writes its store only for a
#    chunk's first write after its point in time, so its round writes new
#    chunks, one at a time, until the store fails.
#  - The source fails: (1) during a read-only fio job, a failed source read
#    is retried on a synchronized mirror: fio sees no error, the volume reads
#    as before, source-read-errors counts the retries, nothing breaks;
#    (2) during a write-only job, a failed source write is the writer's:
#    fio gets EIO; both mirrors, which were sent the write, become broken
#    (source-write-errors) while the snapshot, which had preserved the
#    chunks, carries on; once make-it-fail is off the volume works (fio
#    verifies), and a resync makes the targets equal to the volume again.
# Every fio run under a fault is bounded, so a hang fails the test.
#
#   VDREP_FAULT_SEED    the seed (default: from the clock; printed as a
#                       diagnostic line, set it to replay the same choices)
#   VDREP_FAULT_ROUNDS  rounds (default 4)

# shellcheck source=lib.sh disable=SC2016 # eval '...' expands as check runs it
. "$(dirname "$0")/lib.sh"

test_init
require_tools fio sha256sum
FMR=/sys/kernel/debug/fail_make_request
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
[ -d "$FMR" ] || ktap_skip_all "kernel lacks CONFIG_FAIL_MAKE_REQUEST"

ROUNDS=${VDREP_FAULT_ROUNDS:-4}
fault_seed
CS=65536
V=f02
ktap_plan $((6 + ROUNDS * 9 + 3))
diag "seed $SEED, $ROUNDS rounds (replay: VDREP_FAULT_SEED=$SEED VDREP_FAULT_ROUNDS=$ROUNDS)"

# ------------------------------------------------------------- helpers

declare -A disk=([src]=ram0 [ms]=ram1 [ma]=ram2 [s]=ram3)
declare -A what=([src]=source [ms]="synchronous mirror" [ma]="asynchronous mirror" [s]=snapshot)

# fmr_on DISK INTERVAL TIMES: every INTERVAL-th request to DISK fails, TIMES
# times (-1: until fmr_off).
fmr_on()
{
	echo 100 >"$FMR/probability" && echo "$2" >"$FMR/interval" &&
		echo "$3" >"$FMR/times" && echo 0 >"$FMR/space" &&
		echo 1 >"$FMR/verbose" && echo 1 >"/sys/block/$1/make-it-fail"
}

fmr_off()
{
	local d

	for d in ram0 ram1 ram2 ram3; do
		[ -w "/sys/block/$d/make-it-fail" ] && echo 0 >"/sys/block/$d/make-it-fail"
	done
	return 0
}
# No disk may go on failing after the test, whatever stopped it.
trap 'fmr_off; cleanup' EXIT

declare -A allowed=(
	[ms]="$ST_SYNCHRONIZED"
	[ma]="$ST_SYNCHRONIZED $ST_PENDING"
	[s]="$ST_SNAP_SPLIT"
)

# mon_broken_back FINAL VICTIM...: the monitor announced each VICTIM broken,
# then copy-state FINAL, and no other association broken.
mon_broken_back()
{
	local final=$1 lines x others

	shift
	lines=$(mon_new)
	others=$(grep -E '^change assoc .*copy-state:broken( |$)' <<<"$lines")
	for x in "$@"; do
		sed -n "\\|^change assoc $V/$x .*copy-state:broken|,\$p" <<<"$lines" |
			grep -qE "^change assoc $V/$x .*copy-state:$final( |\$)" || return 1
		others=$(grep -vE "^change assoc $V/$x " <<<"$others")
	done
	[ -z "$others" ] && return 0
	diag "unexpected: $others"
	return 1
}

# data_ok VICTIM: the target (or view) holds what it should.
data_ok()
{
	local want got

	case $1 in
	ms | ma) want=$(dev_sha256 "$vol") got=$(dev_sha256 "/dev/${disk[$1]}") ;;
	s) want=$pit_s got=$(view_sha "$V/s") ;;
	esac
	[ "$want" = "$got" ] && return 0
	diag "$1: expected $want, found $got"
	return 1
}

# fio_job NAME ARGS...: one fio job on the volume (no verification), its
# output in $tmpdir/fio-NAME.out; fio's status.
fio_job()
{
	local name=$1

	shift
	(cd "$tmpdir" && exec fio --name="$name" --filename="$vol" --ioengine=libaio \
		--direct=1 --output="$tmpdir/fio-$name.out" "$@")
}

# ------------------------------------------------------------------ setup

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
setup()
{
	brd_setup 4 16 || return 1
	dev_fill_random /dev/ram0
	vol_create "$V" /dev/ram0
}
check "volume $V on /dev/ram0 (random data)" setup || ktap_abort "setup failed"
vol=/dev/$(vol_disk "$V")
mon=$tmpdir/monitor.txt
check "vdrepctl monitor runs" monitor_start "$mon" || ktap_abort "monitor did not start"
check "synchronous mirror $V/ms on /dev/ram1, synchronized and idle" \
	eval 'assoc_create $V/ms /dev/ram1 --mode sync && assoc_wait_idle $V/ms' ||
	ktap_abort "no synchronous mirror"
check "asynchronous mirror $V/ma on /dev/ram2, synchronized and idle" \
	eval 'assoc_create $V/ma /dev/ram2 --mode async && assoc_wait_idle $V/ma' ||
	ktap_abort "no asynchronous mirror"
pit_s=$(dev_sha256 "$vol")
check "snapshot $V/s on /dev/ram3, split" \
	eval 'snap_create $V/s /dev/ram3 && assoc_is $V/s "$ST_SNAP_SPLIT"' ||
	ktap_abort "no snapshot"

# ------------------------------------------------------- a target fails

# snap_trigger: first writes after the point in time on chunks fio never
# writes, one at a time, until the store has failed one.
snap_trigger()
{
	local i

	for ((i = 128; i < 256; i++)); do
		[ "$(assoc_get "$V/s" copy-state)" = broken ] && return 0
		touch_chunks "$vol" "$CS" "round$r" "$i" || return 1
	done
	wait_broken "$V/s"
}

target_round()
{
	local x=$1 a=$V/$1 errs

	if [ "$x" = s ]; then
		check "round $r: $a ready: a new point in time" \
			eval 'assoc_op resync $a && assoc_wait $a split && pit_s=$(dev_sha256 "$vol")'
	else
		check "round $r: $a ready: synchronized and idle" assoc_wait_idle "$a"
	fi
	mon_mark=$(wc -l <"$mon")
	errs=$(assoc_get "$a" target-write-errors)
	fio_loop_start bg "$vol" --bs=4k --iodepth=8 --offset=0 --size=2M
	sleep "$delay"
	check "round $r: ${disk[$x]} fails $fault, ${delay} s into fio" \
		fmr_on "${disk[$x]}" "$interval" "$times"
	[ "$x" = s ] && snap_trigger
	check "round $r: $a becomes $ST_BROKEN" eval 'wait_broken $a && assoc_is $a "$ST_BROKEN"'
	if [ "$x" = s ]; then
		check "round $r: target-write-errors counted, the view fails with EIO" \
			eval 'test "$(assoc_get $a target-write-errors)" -gt "$errs" &&
				read_eio "$(assoc_view $a)"'
	else
		check "round $r: target-write-errors counted" \
			test "$(assoc_get "$a" target-write-errors)" -gt "$errs"
	fi
	check "round $r: fio verified a whole round after the fault, no error" fio_finish
	check "round $r: the other associations carry on" others_fine "$x"
	if [ "$x" = s ]; then
		check "round $r: make-it-fail off, resync: a new point in time" \
			eval 'fmr_off && assoc_op resync $a && assoc_wait $a split &&
				pit_s=$(dev_sha256 "$vol")'
		check "round $r: the view shows the new point in time" data_ok s
		check "round $r: the monitor announced $a broken and split again" \
			eventually mon_broken_back split s
	else
		check "round $r: make-it-fail off, resync: synchronized and idle" \
			eval 'fmr_off && assoc_op resync $a && assoc_wait_idle $a'
		check "round $r: the target equals the volume" data_ok "$x"
		check "round $r: the monitor announced $a broken and synchronized again" \
			eventually mon_broken_back synchronized "$x"
	fi
}

# ------------------------------------------------------- the source fails

read_errors()
{
	echo $(($(assoc_get "$V/ms" source-read-errors) + $(assoc_get "$V/ma" source-read-errors)))
}

# fault_read_job: a read-only job; make-it-fail on the source after
# $delay s; then the volume read whole. fio's status.
fault_read_job()
{
	fio_job rd --rw=randread --bs=4k --iodepth=8 --size=16M --time_based --runtime=4 &
	local pid=$!

	sleep "$delay"
	fmr_on ram0 "$interval" -1 || { wait "$pid"; return 1; }
	wait "$pid"
}

# fault_write_job: a write-only job; make-it-fail on the source after
# $delay s. Succeeds when fio failed with EIO.
fault_write_job()
{
	fio_job wr --rw=randwrite --bs=4k --iodepth=8 --offset=0 --size=2M \
		--time_based --runtime=10 &
	local pid=$! rc

	sleep "$delay"
	fmr_on ram0 "$interval" "$times" || { wait "$pid"; return 1; }
	wait "$pid"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		echo "fio saw no error"
		return 1
	fi
	grep -qE "Input/output error|err= *5" "$tmpdir/fio-wr.out" && return 0
	cat "$tmpdir/fio-wr.out"
	return 1
}

# reads_retried SHA ERRORS: with the source still failing, the volume reads
# whole as SHA; then, make-it-fail off, the mirrors' source-read-errors are
# above ERRORS and nothing is broken.
reads_retried()
{
	local sha

	sha=$(bounded 3000 dev_sha256 "$vol")
	fmr_off
	[ "$sha" = "$1" ] || { echo "the volume reads as $sha, not $1"; return 1; }
	test "$(read_errors)" -gt "$2" && others_fine
}

src_broken()
{
	wait_broken "$V/ms" && wait_broken "$V/ma" || return 1
	assoc_is "$V/ms" "$ST_BROKEN" && assoc_is "$V/ma" "$ST_BROKEN" || return 1
	test "$(assoc_get "$V/ms" source-write-errors)" -gt "$werrs_ms" &&
		test "$(assoc_get "$V/ma" source-write-errors)" -gt "$werrs_ma" &&
		others_fine ms ma && data_ok s
}

source_round()
{
	local before rerrs

	# Every chunk of the first 2 MiB preserved for the snapshot, so the
	# writes under the fault read no old data from the source.
	check "round $r: the source ready: mirrors idle, the snapshot holds fio's 2 MiB" \
		eval 'assoc_wait_idle $V/ms && assoc_wait_idle $V/ma &&
			fio_job prep --rw=write --bs=64k --offset=0 --size=2M &&
			assoc_wait_idle $V/ms && assoc_wait_idle $V/ma'
	mon_mark=$(wc -l <"$mon")
	before=$(dev_sha256 "$vol")
	rerrs=$(read_errors)
	logged=$(dmesg | grep -cE "source read error at sector [0-9]+, read from mirror m[sa] instead")
	check "round $r: ram0 fails one request in $interval, ${delay} s into a read job: no error" \
		bounded 3000 fault_read_job
	check "round $r: the volume reads as before, source-read-errors counted, nothing broken" \
		reads_retried "$before" "$rerrs"
	fmr_off
	check "round $r: the kernel logged the reads from a mirror" \
		test "$(dmesg | grep -cE "source read error at sector [0-9]+, read from mirror m[sa] instead")" \
		-gt "$logged"
	werrs_ms=$(assoc_get "$V/ms" source-write-errors)
	werrs_ma=$(assoc_get "$V/ma" source-write-errors)
	check "round $r: ram0 fails $fault, ${delay} s into a write job: fio gets EIO" \
		bounded 3000 fault_write_job
	fmr_off
	check "round $r: both mirrors become broken (source-write-errors), the snapshot carries on" \
		src_broken
	fio_check "round $r: make-it-fail off: fio writes and verifies the volume" after "$vol" \
		--bs=4k --iodepth=8 --offset=0 --size=2M
	check "round $r: resync both mirrors: idle, targets equal the volume" \
		eval 'assoc_op resync $V/ms && assoc_op resync $V/ma &&
			assoc_wait_idle $V/ms && assoc_wait_idle $V/ma && data_ok ms && data_ok ma'
	check "round $r: the monitor announced both mirrors broken and synchronized again" \
		eventually mon_broken_back synchronized ms ma
}

# ------------------------------------------------------------------ rounds

order=(ms ma s src)
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
	rand 16
	interval=$((REPLY + 1))
	rand 9
	times=$((REPLY == 0 ? -1 : REPLY))
	rand 21
	delay=$((REPLY / 10)).$((REPLY % 10))
	if [ "$times" = -1 ]; then
		fault="one request in $interval"
	else
		fault="one request in $interval, $times times"
	fi
	diag "round $r, at ${SECONDS} s: the ${what[$x]} (${disk[$x]}) fails $fault," \
		"after ${delay} s of fio"
	if [ "$x" = src ]; then
		source_round
	else
		target_round "$x"
	fi
done

# ------------------------------------------------------------------- end

check "nothing is broken, the view shows the snapshot's point in time" \
	eval 'others_fine && data_ok s'
check "both mirrors are idle, their targets equal the volume" \
	eval 'assoc_wait_idle $V/ms && assoc_wait_idle $V/ma && data_ok ms && data_ok ma'
check "destroy the associations and the volume" eval 'assoc_destroy_all $V && vol_destroy $V'

ktap_finished
