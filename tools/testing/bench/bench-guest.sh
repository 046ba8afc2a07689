#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-guest.sh [--reps N] [--runtime S] [--size MIB] [--scenario NAME]... [--job NAME]...
#                [--smoke] [--out DIR] [--profile CONTENDER]... [--icount]
#
# Guest side of bench.sh (and of the selftest test_bench_smoke): builds the same topology
# for every contender on pre-filled brd ramdisks, runs the fio jobs interleaved (for each
# job, rep 1 of every contender, then rep 2, ...), records every run in OUT/runs.tsv with
# fio's JSON in OUT/fio/, and prints the Markdown table bench_report.py makes of them
# (OUT/results.md, OUT/results.json, chart data for gnuplot).
#   --reps      repetitions of each (job, contender) (default 5)
#   --runtime   seconds of each time-based fio job (default 3)
#   --size      MiB of each ramdisk (default 128); the snapshot scenario writes its first
#               quarter, the resync scenario copies all of it
#   --scenario  passthrough, mirror, snapshot, resync, intent, async, load (default: all,
#               in this order)
#   --job       only the jobs of that name (e.g. randwrite-qd1), repeatable
#   --smoke     passthrough, randwrite-qd1 only, 1 rep of 1 s on 16 MiB ramdisks
#               (options given as well still apply)
#   --out       results directory (default $VDREP_RESULTS/bench, else /tmp/vdrep-bench)
#   --profile   sample every fio run of CONTENDER with perf (cpu-clock on every CPU, call
#               graphs): OUT/perf/SCENARIO.JOB.CONTENDER.REP.txt, the hottest symbols by
#               task (the idle task left out), and .callers.txt; perf slows what it samples, so that contender's rates are
#               not comparable in such a run (repeatable)
#   --icount    QEMU runs with -icount (bench.sh --icount): noted in meta.txt, and the
#               tables give instructions per I/O
# Runs as root inside the test VM only (VDREP_LANE set): it reloads brd and removes every
# device it made when it exits. Loads $VDREP_KO unless vdrep is loaded, and unloads it
# again at the end in that case. No timing is checked here: a run fails only when a
# contender could not be set up or fio failed, and that contender's cells say so.
# Braces: bash reads the whole script before running it, so editing it mid-run is safe.
{
set -uo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
VDREP_TOP=${VDREP_TOP:-$(cd "$BENCH_DIR/../../.." && pwd)}
VDREPCTL=${VDREPCTL:-$VDREP_TOP/userspace/vdrepctl}
VDREP_KO=${VDREP_KO:-$VDREP_TOP/vdrep.ko}
PYTHON=${PYTHON:-/usr/bin/python3}
export DM_DISABLE_UDEV=1

usage() { sed -n '4,30s/^# \{0,1\}//p' "$0" >&2; exit 2; }

reps='' runtime='' size='' smoke=0 out='' scenarios=() only_jobs=() profiled=() icount=0
while [ $# -gt 0 ]; do
	case $1 in
	--reps) reps=${2:?}; shift 2 ;;
	--runtime) runtime=${2:?}; shift 2 ;;
	--size) size=${2:?}; shift 2 ;;
	--scenario) scenarios+=("${2:?}"); shift 2 ;;
	--job) only_jobs+=("${2:?}"); shift 2 ;;
	--smoke) smoke=1; shift ;;
	--out) out=${2:?}; shift 2 ;;
	--profile) profiled+=("${2:?}"); shift 2 ;;
	--icount) icount=1; shift ;;
	-h|--help) usage ;;
	*) echo "bench-guest.sh: unknown argument $1" >&2; usage ;;
	esac
done
if [ $smoke = 1 ]; then
	reps=${reps:-1} runtime=${runtime:-1} size=${size:-16}
	[ ${#scenarios[@]} -gt 0 ] || scenarios=(passthrough)
	[ ${#only_jobs[@]} -gt 0 ] || only_jobs=(randwrite-qd1)
fi
REPS=${reps:-5} RUNTIME=${runtime:-3} SIZE_MIB=${size:-128}
[ ${#scenarios[@]} -gt 0 ] || scenarios=(passthrough mirror snapshot resync intent async load)
for s in "${scenarios[@]}"; do
	case $s in
	passthrough|mirror|snapshot|resync|intent|async|load) ;;
	*) echo "bench-guest.sh: unknown scenario $s" >&2; usage ;;
	esac
done
for v in "$REPS" "$RUNTIME" "$SIZE_MIB"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || { echo "bench-guest.sh: not a positive number: $v" >&2; exit 2; }
done
[ $((SIZE_MIB % 4)) -eq 0 ] || { echo "bench-guest.sh: --size must be a multiple of 4" >&2; exit 2; }

START=$SECONDS
say() { echo "bench: [$((SECONDS - START))s] $*"; }
die() { echo "bench: error: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root"
[ -n "${VDREP_LANE:-}" ] ||
	die "VDREP_LANE unset: this reloads brd and unloads vdrep; run it in the VM (bench.sh)"
for t in fio dmsetup blockdev "$PYTHON"; do
	command -v "$t" >/dev/null || die "$t not found"
done
[ ${#profiled[@]} -eq 0 ] || command -v perf >/dev/null || die "--profile: perf not found (linux-perf)"

[ -x "$VDREPCTL" ] || die "no vdrepctl at $VDREPCTL"

OUT=${out:-${VDREP_RESULTS:+$VDREP_RESULTS/bench}}
OUT=${OUT:-/tmp/vdrep-bench}
# A results directory is emptied, anything else is left alone.
if [ -d "$OUT" ] && [ -n "$(ls -A "$OUT")" ] && [ ! -e "$OUT/runs.tsv" ]; then
	die "$OUT is not empty and holds no earlier results: give another --out"
fi
rm -rf "$OUT"
mkdir -p "$OUT/fio" "$OUT/jobs" || die "cannot make $OUT"
OUT=$(cd "$OUT" && pwd)
RUNS=$OUT/runs.tsv
: >"$RUNS"
WORK=$(mktemp -d /tmp/vdrep-bench.XXXXXX) || die "mktemp failed"

CS=65536			# the chunk size of every contender (vdrep, dm-snapshot, dm-thin, dm-mirror)
CS_SECT=$((CS / 512))
SIZE=$((SIZE_MIB << 20))
SECTORS=$((SIZE / 512))

# ---- cleanup: whatever this script made, in reverse --------------------------------------

made_volumes=() made_dm=() made_md=() loaded_vdrep=0 loaded_brd=0 loaded_nullb=0
cleanup() {
	local i v obj
	for v in "${made_volumes[@]}"; do
		while read -r obj; do
			[[ $obj =~ \"name\":\"([^\"]*)\" ]] &&
				"$VDREPCTL" assoc destroy "$v/${BASH_REMATCH[1]}" >/dev/null 2>&1
		done < <(tr '{' '\n' < <("$VDREPCTL" -j assoc show "$v" 2>/dev/null))
		"$VDREPCTL" volume destroy "$v" >/dev/null 2>&1
	done
	made_volumes=()
	for ((i = ${#made_dm[@]} - 1; i >= 0; i--)); do
		dmsetup resume "${made_dm[i]}" >/dev/null 2>&1
		dmsetup remove --retry "${made_dm[i]}" >/dev/null 2>&1
	done
	made_dm=()
	for v in "${made_md[@]}"; do
		echo clear >"/sys/block/$v/md/array_state" 2>/dev/null
	done
	made_md=()
	if [ "$loaded_brd" = 1 ]; then
		for ((i = 0; i < 50; i++)); do
			rmmod brd 2>/dev/null && break
			sleep 0.1
		done
		loaded_brd=0
	fi
	if [ "$loaded_nullb" = 1 ]; then
		rmmod null_blk 2>/dev/null
		loaded_nullb=0
	fi
}
on_exit() {
	cleanup
	[ "$loaded_vdrep" = 1 ] && rmmod vdrep 2>/dev/null
	rm -rf "$WORK"
}
trap on_exit EXIT

# ---- devices ------------------------------------------------------------------------------

# brd_load COUNT: fresh ramdisks /dev/ram0..COUNT-1 of SIZE_MIB each (memory is taken
# only as they are written).
brd_load() {
	local i
	if [ -d /sys/module/brd ]; then
		rmmod brd || die "brd is in use: cannot get fresh ramdisks"
	fi
	modprobe brd rd_nr="$1" rd_size=$((SIZE_MIB * 1024)) max_part=0 || die "modprobe brd failed"
	loaded_brd=1
	for ((i = 0; i < 50; i++)); do
		[ -b "/dev/ram$(($1 - 1))" ] && return 0
		sleep 0.1
	done
	die "/dev/ram$(($1 - 1)) missing after modprobe brd"
}

# fill DEV [MIB]: write DEV (or its first MIB) once with fio's random buffers, so that brd
# has allocated every page before anything is measured (or to copy a snapshot's chunks).
fill() {
	local mib=${2:-$SIZE_MIB}
	fio --name=fill --filename="$1" --rw=write --bs=1M --size="${mib}M" --direct=1 \
		--ioengine=libaio --iodepth=4 --output="$WORK/fill.out" >/dev/null 2>&1 && return 0
	cat "$WORK/fill.out" >&2
	return 1
}

# prefill [MIB] DEV...: fill each, or die.
prefill() {
	local mib=$SIZE_MIB d
	[[ $1 == /* ]] || { mib=$1; shift; }
	for d in "$@"; do
		fill "$d" "$mib" || die "filling $d failed"
	done
}

dm_make() { # NAME TABLE
	dmsetup create "$1" --table "$2" || return 1
	made_dm+=("$1")
	[ -b "/dev/mapper/$1" ] || dmsetup mknodes "$1"
	[ -b "/dev/mapper/$1" ]
}

dm_gone() {
	local i
	dmsetup remove --retry "$1" >/dev/null || return 1
	for i in "${!made_dm[@]}"; do
		[ "${made_dm[i]}" = "$1" ] && unset 'made_dm[i]'
	done
	made_dm=("${made_dm[@]}")
}

devnum() { # DEV -> MAJOR:MINOR
	local m
	m=$(stat -L -c '%t:%T' "$1") || return 1
	echo "$((16#${m%:*})):$((16#${m#*:}))"
}

# md_raid1 NAME DEV1 DEV2: /dev/md_NAME, a RAID1 of the two devices without a superblock
# and without a bitmap, built in sync (what mdadm --build --level=1 --assume-clean makes),
# through md's sysfs interface: no mdadm needed.
md_raid1() {
	local name=md_$1 d i=0 dev kib
	modprobe raid1 || return 1
	echo "$name" >/sys/module/md_mod/parameters/new_array || return 1
	made_md+=("$name")
	d=/sys/block/$name/md
	echo none >"$d/metadata_version" &&
	echo raid1 >"$d/level" &&
	echo 2 >"$d/raid_disks" || return 1
	kib=$((SIZE / 1024))
	for dev in "$2" "$3"; do
		devnum "$dev" >"$d/new_dev" || return 1
		echo "$i" >"$d/dev-${dev#/dev/}/slot" &&
		echo "$kib" >"$d/dev-${dev#/dev/}/size" || return 1
		i=$((i + 1))
	done
	echo "$kib" >"$d/component_size" &&
	echo none >"$d/resync_start" &&
	echo active >"$d/array_state" || return 1
	[ -b "/dev/$name" ]
}

# ---- vdrep --------------------------------------------------------------------------------

vdrep_load() {
	local dep
	[ -d /sys/module/vdrep ] && return 0
	[ -r "$VDREP_KO" ] || die "no module at $VDREP_KO"
	for dep in $(modinfo -F depends "$VDREP_KO" | tr , ' '); do
		modprobe "$dep" || die "modprobe $dep failed"
	done
	insmod "$VDREP_KO" || die "insmod $VDREP_KO failed"
	loaded_vdrep=1
}

# json_num JSON KEY: the number KEY has in vdrepctl's compact JSON (first match).
json_num() {
	[[ $1 =~ \"$2\":([0-9]+) ]] && echo "${BASH_REMATCH[1]}"
}

# vol_make NAME SOURCE [ARG...]: the volume's device (/dev/vdrepN) in $REPLY; ARGs go to
# volume create (meta DEV).
vol_make() {
	local j name=$1 source=$2
	shift 2
	j=$("$VDREPCTL" -j volume create "$name" source "$source" chunk-size "$CS" "$@") || return 1
	made_volumes+=("$name")
	[[ $j =~ \"disk\":\"([^\"]+)\" ]] || return 1
	REPLY=/dev/${BASH_REMATCH[1]}
	[ -b "$REPLY" ]
}

vol_gone() {
	local i
	"$VDREPCTL" volume destroy "$1" >/dev/null || return 1
	for i in "${!made_volumes[@]}"; do
		[ "${made_volumes[i]}" = "$1" ] && unset 'made_volumes[i]'
	done
	made_volumes=("${made_volumes[@]}")
}

ctl() { "$VDREPCTL" "$@" >"$WORK/ctl.out" 2>&1 || { cat "$WORK/ctl.out" >&2; return 1; }; }

# ---- fio jobs -----------------------------------------------------------------------------

# The job files, written to OUT/jobs (they are part of the results). fio expands
# ${BENCH_*} from the environment run_fio sets.
write_jobs() {
	local name rw bs engine qd
	while read -r name rw bs engine qd; do
		cat >"$OUT/jobs/$name.fio" <<-EOF
		; $name: time-based, on \${BENCH_DEV}, over its first \${BENCH_REGION} bytes
		[$name]
		filename=\${BENCH_DEV}
		size=\${BENCH_REGION}
		rw=$rw
		bs=$bs
		ioengine=$engine
		iodepth=$qd
		direct=1
		time_based=1
		runtime=\${BENCH_RUNTIME}
		randrepeat=1
		norandommap=1
		EOF
	done <<-EOF
	randread-qd1 randread 4k psync 1
	randwrite-qd1 randwrite 4k psync 1
	randread-qd32 randread 4k libaio 32
	randwrite-qd32 randwrite 4k libaio 32
	seqread-1m read 1M libaio 4
	seqwrite-1m write 1M libaio 4
	rewrite-qd1 randwrite 4k psync 1
	randwrite-qd1-fsync randwrite 4k psync 1
	EOF
	# fdatasync after every write: every write is acknowledged durable.
	echo "fdatasync=1" >>"$OUT/jobs/randwrite-qd1-fsync.fio"
	# A foreground that asks for a fixed rate: what a copy leaves of it is what it kept.
	sed -e 's/^\[randwrite-qd1\]/[fg-rated-qd1]/' -e "s/^; randwrite-qd1:/; fg-rated-qd1 (at most $FG_IOPS writes a second):/" \
		"$OUT/jobs/randwrite-qd1.fio" >"$OUT/jobs/fg-rated-qd1.fio"
	echo "rate_iops=$FG_IOPS" >>"$OUT/jobs/fg-rated-qd1.fio"
	cat >"$OUT/jobs/fresh-qd1.fio" <<-EOF
	; fresh-qd1: one 4 KiB write into each chunk of the first \${BENCH_REGION} bytes of
	; \${BENCH_DEV}, in the random order of \${BENCH_IOLOG} (fresh-chunks.iolog, made
	; with a fixed seed): every write lands in a chunk no earlier write touched
	[fresh-qd1]
	ioengine=psync
	iodepth=1
	direct=1
	read_iolog=\${BENCH_IOLOG}
	replay_redirect=\${BENCH_DEV}
	EOF
}

# The offsets of fresh-qd1: chunk i's 4 KiB block (i * 7) % 16, chunks in a random order.
write_iolog() { # REGION_BYTES
	"$PYTHON" - "$1" "$CS" "$OUT/jobs/fresh-chunks.iolog" <<-'EOF'
	import random, sys
	region, cs, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
	chunks = list(range(region // cs))
	random.Random(7).shuffle(chunks)
	with open(path, 'w') as f:
	    f.write('fio version 2 iolog\nbench add\nbench open\n')
	    for c in chunks:
	        f.write(f'bench write {c * cs + (c * 7 % (cs // 4096)) * 4096} 4096\n')
	    f.write('bench close\n')
	EOF
}

want_job() {
	local j
	[ ${#only_jobs[@]} -eq 0 ] && return 0
	for j in "${only_jobs[@]}"; do
		[ "$j" = "$1" ] && return 0
	done
	return 1
}

# record SCENARIO JOB CONTENDER REP KIND UNIT VALUE [EXTRA]: one line of runs.tsv.
record() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" "${8:-}" >>"$RUNS"
}

# run_fio JOB DEV FILE [REGION_BYTES]: one fio run, its JSON in OUT/FILE; under perf when
# PERF_AS names the run (OUT/perf/PERF_AS.txt: the profile, see --profile); FIO_GLOBAL:
# options before the job file (fio runs in WORK, where exec_prerun leaves its output).
FIO_GLOBAL=()
run_fio() {
	local job=$1 dev=$2 f=$3 region=${4:-$SIZE} perf=()
	[ -z "${PERF_AS:-}" ] ||
		perf=(perf record -q -e cpu-clock -F 10000 -a -g -o "$WORK/perf.data" --)
	if BENCH_DEV=$dev BENCH_REGION=$region BENCH_RUNTIME=$RUNTIME \
		BENCH_IOLOG=$OUT/jobs/fresh-chunks.iolog \
		"${perf[@]}" fio --output-format=json --output="$OUT/$f" "${FIO_GLOBAL[@]}" \
		"$OUT/jobs/$job.fio" >"$WORK/fio.err" 2>&1; then
		[ -z "${PERF_AS:-}" ] || perf_report "$PERF_AS"
		return 0
	fi
	say "fio $job on $dev failed:"
	sed 's/^/bench:   /' "$WORK/fio.err" | tail -n 5
	return 1
}

# perf_report NAME: where $WORK/perf.data's samples fell, the idle task left out: the
# hottest symbols by task (self time) and the callers of the hottest, as text in OUT/perf/.
perf_report() {
	local comms
	mkdir -p "$OUT/perf"
	comms=$(perf report -i "$WORK/perf.data" --stdio --sort comm -g none 2>/dev/null |
		awk '!/^#/ && NF >= 2 && $NF != "swapper" { print $NF }' | paste -sd,)
	perf report -i "$WORK/perf.data" --stdio --no-children --sort comm,sym --percent-limit 0.3 \
		${comms:+--comms "$comms"} -g none 2>/dev/null | grep -v '^$' >"$OUT/perf/$1.txt"
	perf report -i "$WORK/perf.data" --stdio --children --sort sym --percent-limit 3 \
		${comms:+--comms "$comms"} -g caller,0.5,callee,function,percent --max-stack 12 \
		2>/dev/null >"$OUT/perf/$1.callers.txt"
	rm -f "$WORK/perf.data"
}

unit_of() { case $1 in *-1m) echo MiB/s ;; *) echo IOPS ;; esac; }

# Contenders whose setup failed: skipped, and reported as such.
declare -A broken=()
mark_broken() { # SCENARIO CONTENDER WHY
	broken[$2]=1
	say "$2: setup failed ($3); it is left out of $1"
	record "$1" - "$2" 0 fail - "setup failed: $3"
}

# interleave SCENARIO JOB CONTENDER...: for rep in 1..REPS, each contender in turn runs
# the job on ${dev[CONTENDER]}. With HOOKS=1, pre_CONTENDER runs before it and
# post_CONTENDER after it (untimed; '-' in a name is '_' in its hooks); post sets EXTRA,
# what the run's line in runs.tsv notes.
declare -A dev=()
interleave() {
	local sc=$1 job=$2 rep c fn f unit
	shift 2
	want_job "$job" || return 0
	unit=$(unit_of "$job")
	say "$sc: $job, $REPS reps of: $*"
	for ((rep = 1; rep <= REPS; rep++)); do
		for c in "$@"; do
			[ -z "${broken[$c]:-}" ] || continue
			fn=${c//-/_} EXTRA="" f=fio/$sc.$job.$c.$rep.json
			if [ "${HOOKS:-0}" = 1 ] && declare -F "pre_$fn" >/dev/null && ! "pre_$fn"; then
				record "$sc" "$job" "$c" "$rep" fail "$unit" "preparing failed"
				mark_broken "$sc" "$c" "preparing rep $rep"
				continue
			fi
			PERF_AS=
			[[ " ${profiled[*]} " != *" $c "* ]] || PERF_AS=$sc.$job.$c.$rep
			if ! PERF_AS=$PERF_AS run_fio "$job" "${dev[$c]}" "$f" "${REGION:-$SIZE}"; then
				record "$sc" "$job" "$c" "$rep" fail "$unit" "fio failed"
				f=
			fi
			if [ "${HOOKS:-0}" = 1 ] && declare -F "post_$fn" >/dev/null && ! "post_$fn"; then
				mark_broken "$sc" "$c" "cleaning up after rep $rep"
			fi
			[ -z "$f" ] || record "$sc" "$job" "$c" "$rep" fio "$unit" "$f" "$EXTRA"
		done
	done
	return 0
}

# ---- scenario 1: passthrough ------------------------------------------------------------

scenario_passthrough() {
	say "passthrough: raw /dev/ram0, dm-linear on /dev/ram1, vdrep volume on /dev/ram2"
	brd_load 3
	prefill /dev/ram0 /dev/ram1 /dev/ram2
	dev[raw]=/dev/ram0
	if dm_make bench-lin "0 $SECTORS linear /dev/ram1 0"; then
		dev[dm-linear]=/dev/mapper/bench-lin
	else
		mark_broken passthrough dm-linear "dmsetup create"
	fi
	if vol_make bench-pt /dev/ram2; then
		dev[vdrep]=$REPLY
	else
		mark_broken passthrough vdrep "volume create"
	fi
	local job
	for job in randread-qd1 randwrite-qd1 randread-qd32 randwrite-qd32 seqread-1m seqwrite-1m; do
		interleave passthrough "$job" raw dm-linear vdrep
	done
	cleanup
}

# ---- scenario 2: synchronous mirror, 2 legs -----------------------------------------------

scenario_mirror() {
	local i t0
	say "mirror: raw ram0, dm-linear ram1, md-raid1 ram2+ram3, dm-mirror ram4+ram5," \
		"vdrep-sync volume ram6 + mirror ram7"
	brd_load 8
	for ((i = 0; i < 8; i++)); do prefill "/dev/ram$i"; done
	dev[raw]=/dev/ram0
	if dm_make bench-lin "0 $SECTORS linear /dev/ram1 0"; then
		dev[dm-linear]=/dev/mapper/bench-lin
	else
		mark_broken mirror dm-linear "dmsetup create"
	fi
	if md_raid1 bench /dev/ram2 /dev/ram3; then
		dev[md-raid1]=/dev/md_bench
	else
		mark_broken mirror md-raid1 "md sysfs"
	fi
	modprobe dm-mirror 2>/dev/null
	if dm_make bench-mir "0 $SECTORS mirror core 2 $CS_SECT nosync 2 /dev/ram4 0 /dev/ram5 0"; then
		dev[dm-mirror]=/dev/mapper/bench-mir
	else
		mark_broken mirror dm-mirror "dmsetup create"
	fi
	t0=$SECONDS
	if vol_make bench-mr /dev/ram6 && dev[vdrep-sync]=$REPLY &&
		ctl assoc create bench-mr/m1 /dev/ram7 --mode sync &&
		ctl assoc wait bench-mr/m1 --state synchronized --timeout 600; then
		say "vdrep-sync: initial sync of $SIZE_MIB MiB took $((SECONDS - t0)) s"
	else
		mark_broken mirror vdrep-sync "volume or mirror create"
	fi
	local job
	for job in randwrite-qd1 randwrite-qd32 seqwrite-1m; do
		interleave mirror "$job" raw dm-linear md-raid1 dm-mirror vdrep-sync
	done
	# Still one synchronous mirror with nothing behind (not a timing check).
	"$VDREPCTL" -j assoc show bench-mr/m1 >"$OUT/mirror-vdrep-assoc.json" 2>&1
	cleanup
}

# ---- scenario 3: snapshots: first writes, rewrites ---------------------------------------

# vdrep_snaps N: N snapshots of volume bench-sn (stores /dev/ram3..), a new point in time.
nsnaps=0 odr0=0
vdrep_snaps() {
	local i
	for ((i = 1; i <= $1; i++)); do
		ctl assoc create "bench-sn/s$i" "/dev/ram$((i + 2))" --type snapshot || return 1
		nsnaps=$i
	done
	odr0=$(json_num "$("$VDREPCTL" -j volume show bench-sn)" old_data_reads)
}
# vdrep_unsnap: what the run did in EXTRA (the volume's old data reads, the chunks the
# first snapshot preserved), then every snapshot destroyed.
vdrep_unsnap() {
	local i odr used
	odr=$(json_num "$("$VDREPCTL" -j volume show bench-sn)" old_data_reads)
	used=$(json_num "$("$VDREPCTL" -j assoc show bench-sn/s1)" dirty-chunks)
	EXTRA="writes=$((REGION / CS)),old_data_reads=$((odr - odr0)),s1_chunks=$used,snapshots=$nsnaps"
	for ((i = nsnaps; i >= 1; i--)); do
		ctl assoc destroy "bench-sn/s$i" || return 1
		nsnaps=$((i - 1))
	done
}
# A dm-snapshot of the origin as LVM takes one: the origin suspended meanwhile.
dm_snap() {
	local rc
	dmsetup suspend bench-orig || return 1
	dm_make bench-snap "0 $SECTORS snapshot /dev/ram19 /dev/ram20 N $CS_SECT"
	rc=$?
	dmsetup resume bench-orig || return 1
	return "$rc"
}
dm_unsnap() {
	local st
	# "USED/TOTAL METADATA" sectors of the exception store.
	st=$(dmsetup status bench-snap | awk '{ print $4 }')
	EXTRA="writes=$((REGION / CS)),cow_sectors=${st%%/*}"
	dm_gone bench-snap
}
# A dm-thin snapshot (id 1) of thin volume 0, not activated: writes to 0 break sharing.
thin_snap() {
	local rc
	dmsetup suspend bench-thin || return 1
	dmsetup message bench-pool 0 "create_snap 1 0"
	rc=$?
	dmsetup resume bench-thin || return 1
	return "$rc"
}
thin_unsnap() {
	# "TRANSACTION USED/TOTAL METADATA USED/TOTAL DATA ..." of the pool, in blocks.
	EXTRA="writes=$((REGION / CS)),pool_data_blocks=$(dmsetup status bench-pool | awk '{ print $6 }')"
	dmsetup message bench-pool 0 "delete 1"
}
# The hooks of the first writes (HOOKS=1).
pre_vdrep_snap1() { vdrep_snaps 1; }
pre_vdrep_snap4() { vdrep_snaps 4; }
pre_vdrep_snap16() { vdrep_snaps 16; }
post_vdrep_snap1() { vdrep_unsnap; }
post_vdrep_snap4() { vdrep_unsnap; }
post_vdrep_snap16() { vdrep_unsnap; }
pre_dm_snapshot() { dm_snap; }
post_dm_snapshot() { dm_unsnap; }
pre_dm_thin() { thin_snap; }
post_dm_thin() { thin_unsnap; }

scenario_snapshot() {
	local i
	REGION=$((SIZE / 4))
	say "snapshot: raw ram0, dm-linear ram1, vdrep volume ram2 with 1/4/16 snapshots" \
		"(stores ram3..ram18), dm-snapshot origin ram19 + exception store ram20," \
		"dm-thin pool metadata ram21 + data ram22; chunks of $((CS / 1024)) KiB," \
		"writes over the first $((REGION >> 20)) MiB"
	brd_load 23
	prefill /dev/ram0 /dev/ram1 /dev/ram2 /dev/ram19 /dev/ram22
	# The stores: what a run writes of them (header, map and the region), so no brd page is new.
	for i in $(seq 3 18) 20; do prefill $(((REGION >> 20) + 1)) "/dev/ram$i"; done
	dev[raw]=/dev/ram0
	if dm_make bench-lin "0 $SECTORS linear /dev/ram1 0"; then
		dev[dm-linear]=/dev/mapper/bench-lin
	else
		mark_broken snapshot dm-linear "dmsetup create"
	fi
	if vol_make bench-sn /dev/ram2; then
		dev[vdrep-snap1]=$REPLY dev[vdrep-snap4]=$REPLY dev[vdrep-snap16]=$REPLY
	else
		for i in vdrep-snap1 vdrep-snap4 vdrep-snap16; do
			mark_broken snapshot "$i" "volume create"
		done
	fi
	modprobe dm-snapshot 2>/dev/null
	if dm_make bench-orig "0 $SECTORS snapshot-origin /dev/ram19"; then
		dev[dm-snapshot]=/dev/mapper/bench-orig
	else
		mark_broken snapshot dm-snapshot "dmsetup create"
	fi
	# dm-thin: the pool's block is the chunk; the thin volume (id 0) gets its region
	# provisioned by a first write, so that a write after the snapshot only breaks sharing.
	# The zeroed metadata device is formatted by the pool.
	modprobe dm-thin-pool 2>/dev/null
	dd if=/dev/zero of=/dev/ram21 bs=1M count=8 oflag=direct status=none
	if dm_make bench-pool "0 $SECTORS thin-pool /dev/ram21 /dev/ram22 $CS_SECT 0" &&
		dmsetup message bench-pool 0 "create_thin 0" &&
		dm_make bench-thin "0 $SECTORS thin /dev/mapper/bench-pool 0" &&
		fill /dev/mapper/bench-thin $((REGION >> 20)); then
		dev[dm-thin]=/dev/mapper/bench-thin
	else
		mark_broken snapshot dm-thin "thin-pool and thin volume"
	fi

	# First writes: each rep takes a new point in time and writes every chunk of the
	# region once (fresh-qd1), in the same order everywhere.
	write_iolog "$REGION"
	HOOKS=1 interleave snapshot fresh-qd1 raw dm-linear vdrep-snap1 vdrep-snap4 vdrep-snap16 \
		dm-snapshot dm-thin

	# Rewrites: one snapshot each, every chunk of the region copied beforehand (one
	# sequential 1 MiB pass), then 4 KiB random writes over the region.
	if want_job rewrite-qd1; then
		say "snapshot: one snapshot each, the region copied once"
		[ -n "${broken[vdrep-snap1]:-}" ] || vdrep_snaps 1 ||
			mark_broken snapshot vdrep-snap1 "snapshot for rewrite-qd1"
		[ -n "${broken[dm-snapshot]:-}" ] || dm_snap ||
			mark_broken snapshot dm-snapshot "snapshot for rewrite-qd1"
		[ -n "${broken[dm-thin]:-}" ] || thin_snap ||
			mark_broken snapshot dm-thin "snapshot for rewrite-qd1"
		for i in vdrep-snap1 dm-snapshot dm-thin; do
			[ -n "${broken[$i]:-}" ] || fill "${dev[$i]}" $((REGION >> 20)) ||
				mark_broken snapshot "$i" "copying the region"
		done
		[ -n "${broken[vdrep-snap1]:-}" ] || say "snapshot: vdrep-snap1 preserved" \
			"$(json_num "$("$VDREPCTL" -j assoc show bench-sn/s1)" dirty-chunks) chunks of $((REGION / CS))"
		interleave snapshot rewrite-qd1 raw dm-linear vdrep-snap1 dm-snapshot dm-thin
		[ -n "${broken[vdrep-snap1]:-}" ] || say "snapshot: after the rewrites, vdrep-snap1 has" \
			"$(json_num "$("$VDREPCTL" -j assoc show bench-sn/s1)" dirty-chunks) chunks"
	fi
	unset REGION
	cleanup
}

# ---- scenario 4: resync and clone fill --------------------------------------------------

# timed_copy CONTENDER REP POST CMD...: a copy of SIZE bytes by CMD. Job copy: at the rate
# of the copy's own duration, COPY_NS, which CMD or POST (a function, or -; untimed, may
# set EXTRA) sets from what the copier reports: dd its copy's seconds, vdrep copy-elapsed;
# both leave out process starts (some 0.1 s each under TCG, where vdrep needs two and dd
# one) and opening the devices. Job copy-wall: at the rate of CMD's wall time, process
# starts included; the only measure of a copier that reports no duration (dm-clone:
# WALL_ONLY=1).
timed_copy() {
	local c=$1 rep=$2 post=$3 t0 t1 rc
	shift 3
	EXTRA='' COPY_NS='' WALL_ONLY=0
	t0=$(date +%s%N)
	"$@"
	rc=$?
	t1=$(date +%s%N)
	if [ "$post" != - ] && ! "$post"; then
		mark_broken resync "$c" "cleaning up after rep $rep"
	fi
	if [ "$rc" -ne 0 ] || { [ "$WALL_ONLY" = 0 ] && ! [[ $COPY_NS =~ ^[1-9][0-9]*$ ]]; }; then
		say "resync: $c rep $rep failed (exit $rc, duration '${COPY_NS}')"
		record resync copy "$c" "$rep" fail MiB/s "copy failed"
		return
	fi
	[ "$WALL_ONLY" = 1 ] || record resync copy "$c" "$rep" copy MiB/s "$SIZE/$COPY_NS" "$EXTRA"
	record resync copy-wall "$c" "$rep" copy MiB/s "$SIZE/$((t1 - t0))" "$EXTRA"
}

# dd_copy BS: /dev/ram2 to /dev/ram3 with direct I/O; COPY_NS from dd's report
# ("... copied, 0.3021 s, 444 MB/s"), which times the copy from its first read.
dd_copy() {
	LC_ALL=C dd if=/dev/ram2 of=/dev/ram3 bs="$1" iflag=direct oflag=direct 2>"$WORK/dd.err" ||
		{ cat "$WORK/dd.err" >&2; return 1; }
	COPY_NS=$(sed -n 's/.* copied, \([0-9.e+-]*\) s,.*/\1/p' "$WORK/dd.err" |
		awk '{ printf "%d", $1 * 1e9 }')
}

# vdrep_copy mirror|clone: an association of volume bench-rs on /dev/ram1, created and
# waited for until its copy is complete (a mirror synchronized, a clone split).
vdrep_copy() {
	local opts=(--mode sync) state=synchronized
	[ "$1" = clone ] && opts=(--type clone) state=split
	"$VDREPCTL" assoc create bench-rs/c1 /dev/ram1 "${opts[@]}" >"$WORK/ctl.out" 2>&1 &&
	"$VDREPCTL" assoc wait bench-rs/c1 --state "$state" --timeout 600 >>"$WORK/ctl.out" 2>&1 &&
		return 0
	cat "$WORK/ctl.out" >&2
	return 1
}
# What the copy did (chunks copied of all, its priority, its duration: COPY_NS), then the
# association destroyed.
vdrep_copy_done() {
	local j p=
	j=$("$VDREPCTL" -j assoc show bench-rs/c1) || return 1
	[[ $j =~ \"copy-priority\":\"([^\"]*)\" ]] && p=${BASH_REMATCH[1]}
	EXTRA="copied_chunks=$(json_num "$j" copied-chunks),total_chunks=$(json_num "$j" total-chunks),priority=$p"
	COPY_NS=$(json_num "$j" copy-elapsed)
	ctl assoc destroy bench-rs/c1
}

# dmclone_copy: dm-clone hydrating /dev/ram5 from /dev/ram4, metadata on bench-dmcm (zeroed
# first, so that it starts empty), regions of 64 KiB, hydration_threshold 32 regions in
# flight and hydration_batch_size 4 (vdrep's 8 jobs of up to 4 chunks); done when its
# status counts every region hydrated, polled every 10 ms (it has no event for that:
# its table event comes with the next metadata commit, up to a second later).
dmclone_copy() {
	local st
	WALL_ONLY=1
	dd if=/dev/zero of=/dev/mapper/bench-dmcm bs=1M count=4 oflag=direct status=none &&
	dm_make bench-dmc "0 $SECTORS clone /dev/mapper/bench-dmcm /dev/ram5 /dev/ram4 $CS_SECT 0 4 hydration_threshold 32 hydration_batch_size 4" ||
		return 1
	while st=$(dmsetup status bench-dmc); do
		# "0 SECTORS clone MDBLOCK USED/TOTAL REGION HYDRATED/REGIONS HYDRATING ..."
		[[ $st =~ ^[0-9]+\ [0-9]+\ clone\ [0-9]+\ [0-9]+/[0-9]+\ [0-9]+\ ([0-9]+)/([0-9]+)\  ]] ||
			{ echo "dm-clone status unreadable: $st" >&2; return 1; }
		[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] && return 0
		sleep 0.01
	done
	return 1
}
dmclone_done() { EXTRA="regions=$((SECTORS / CS_SECT))"; dm_gone bench-dmc; }

scenario_resync() {
	local rep c
	want_job copy || return 0
	say "resync: vdrep volume ram0 -> ram1 (initial sync of a mirror, fill of a clone)," \
		"dd ram2 -> ram3 with 1 MiB and 64 KiB direct I/O, dm-clone ram4 -> ram5 (metadata" \
		"on ram6) where the kernel has it; $SIZE_MIB MiB each, idle"
	brd_load 7
	prefill /dev/ram0 /dev/ram1 /dev/ram2 /dev/ram3
	if ! vol_make bench-rs /dev/ram0; then
		mark_broken resync vdrep-mirror "volume create"
		mark_broken resync vdrep-clone "volume create"
	fi
	# dm-clone where the kernel has it (Debian 12's kernels do not; lane 7 and the
	# debug kernel do).
	local with_dmclone=''
	if modprobe dm-clone 2>/dev/null && dmsetup targets | grep -q '^clone '; then
		prefill /dev/ram4 /dev/ram5
		if dm_make bench-dmcm "0 8192 linear /dev/ram6 0"; then
			with_dmclone=dm-clone
		else
			mark_broken resync dm-clone "its metadata device"
		fi
	else
		say "resync: no dm-clone in kernel $(uname -r): it is left out"
	fi
	say "resync: copy, $REPS reps of: dd-1m dd-64k vdrep-mirror vdrep-clone $with_dmclone"
	for ((rep = 1; rep <= REPS; rep++)); do
		timed_copy dd-1m "$rep" - dd_copy 1M
		timed_copy dd-64k "$rep" - dd_copy 64K
		for c in mirror clone; do
			[ -z "${broken[vdrep-$c]:-}" ] || continue
			timed_copy "vdrep-$c" "$rep" vdrep_copy_done vdrep_copy "$c"
		done
		[ -z "$with_dmclone" ] || [ -n "${broken[dm-clone]:-}" ] ||
			timed_copy dm-clone "$rep" dmclone_done dmclone_copy
	done
	cleanup
}

# ---- scenario 5: write-intent cost ---------------------------------------------------------

# Completed write requests (diskstats) of the devices named, summed; brd keeps none, so
# metadata devices are dm-linear slices of ram4, which do.
writes_of() {
	local d n=0
	for d in "$@"; do
		n=$((n + $(awk '{ print $5 }' "/sys/dev/block/$(devnum "$d")/stat")))
	done
	echo "$n"
}
intent_counts() { echo "$(writes_of "${dev[$1]}") $(writes_of "${@:2}")"; }
intent_extra() { # BEFORE NOW: EXTRA of the run
	EXTRA="writes=$((${2% *} - ${1% *})),meta_writes=$((${2#* } - ${1#* }))"
}
pre_vdrep_intent() { intent0=$(intent_counts vdrep-intent /dev/mapper/bench-meta); }
post_vdrep_intent() { intent_extra "$intent0" "$(intent_counts vdrep-intent /dev/mapper/bench-meta)"; }
pre_md_raid1_bitmap() { intent0=$(intent_counts md-raid1-bitmap /dev/mapper/bench-rm0 /dev/mapper/bench-rm1); }
post_md_raid1_bitmap() {
	intent_extra "$intent0" \
		"$(intent_counts md-raid1-bitmap /dev/mapper/bench-rm0 /dev/mapper/bench-rm1)"
}

# Metadata writes per application write: 4k random writes (with fdatasync, and at QD32) on a
# volume with a synchronous mirror and a metadata device, against the same without one and
# against md raid1 with a write-intent bitmap of the same granularity and the same lazy
# clearing (md-raid1-bitmap: dm-raid's raid1, region_size 64 KiB, its superblock and bitmap
# on a metadata device per leg; md clears a region's bit some 5 s after its last write,
# vdrep intent_clear_secs 5 after). The working set is the whole ramdisk: the first rep
# marks fresh chunks, later ones find most marks still there.
scenario_intent() {
	say "intent: vdrep-sync volume ram0 + mirror ram1; vdrep-intent volume ram2 + mirror" \
		"ram3 + metadata device bench-meta (dm-linear on ram4); md-raid1-bitmap: dm-raid" \
		"raid1 of ram5 and ram6, metadata bench-rm0/1 (on ram4)"
	brd_load 7
	prefill /dev/ram0 /dev/ram1 /dev/ram2 /dev/ram3 /dev/ram5 /dev/ram6
	if ! { vol_make bench-nm /dev/ram0 && dev[vdrep-sync]=$REPLY &&
		ctl assoc create bench-nm/m1 /dev/ram1 --mode sync &&
		ctl assoc wait bench-nm/m1 --state synchronized --timeout 600; }; then
		mark_broken intent vdrep-sync "volume or mirror create"
	fi
	# ram4 in three 4 MiB slices (of at least 16): vdrep's metadata, dm-raid's two.
	local slice=8192
	if ! { dm_make bench-meta "0 $slice linear /dev/ram4 0" &&
		vol_make bench-im /dev/ram2 meta /dev/mapper/bench-meta && dev[vdrep-intent]=$REPLY &&
		ctl assoc create bench-im/m1 /dev/ram3 --mode sync &&
		ctl assoc wait bench-im/m1 --state synchronized --timeout 600; }; then
		mark_broken intent vdrep-intent "volume, metadata device or mirror create"
	fi
	# Zeroed metadata: dm-raid writes a new superblock and bitmap; nosync: the legs are
	# taken as equal (both prefilled alike), as vdrep's mirror is synchronized.
	if ! { modprobe dm-raid &&
		dm_make bench-rm0 "0 $slice linear /dev/ram4 $slice" &&
		dm_make bench-rm1 "0 $slice linear /dev/ram4 $((2 * slice))" &&
		dd if=/dev/zero of=/dev/mapper/bench-rm0 bs=1M count=4 oflag=direct status=none &&
		dd if=/dev/zero of=/dev/mapper/bench-rm1 bs=1M count=4 oflag=direct status=none &&
		dm_make bench-md "0 $(blockdev --getsz /dev/ram5) raid raid1 4 0 region_size $((CS / 512)) nosync 2 /dev/mapper/bench-rm0 /dev/ram5 /dev/mapper/bench-rm1 /dev/ram6" &&
		dev[md-raid1-bitmap]=/dev/mapper/bench-md; }; then
		mark_broken intent md-raid1-bitmap "dm-raid raid1 with a bitmap"
	fi
	local job
	for job in randwrite-qd1-fsync randwrite-qd32; do
		HOOKS=1 interleave intent "$job" vdrep-sync vdrep-intent md-raid1-bitmap
	done
	cleanup
}

# ---- scenario 6: asynchronous mirror on a slow leg ----------------------------------------

SLOW_MS=1	# the slow leg's write delay (dm-delay; brd writes take some 20-50 us here)

# After each vdrep-async run: what was still queued for the slow leg, and how long the
# queue took to drain (untimed for fio; a wait bounded against hangs, not a check).
post_vdrep_async() {
	local j behind t0
	j=$("$VDREPCTL" -j assoc show bench-as/m1) || return 1
	behind=$(json_num "$j" bytes-behind) || behind=0
	t0=$(date +%s%N)
	ctl assoc wait bench-as/m1 --state synchronized --timeout 600 || return 1
	local i
	for ((i = 0; i < 6000; i++)); do
		j=$("$VDREPCTL" -j assoc show bench-as/m1) || return 1
		[ "$(json_num "$j" bytes-behind)" = 0 ] && [ "$(json_num "$j" dirty-chunks)" = 0 ] &&
			break
		sleep 0.05
	done
	EXTRA="behind_bytes=$behind,drain_ms=$((($(date +%s%N) - t0) / 1000000))"
}

# The foreground's latency when one leg is slow: vdrep's asynchronous mirror (writes
# acknowledged once the source has them, queued for the target up to --backlog, 16 MiB by
# default, then tracked as dirty chunks and resynced) against md raid1 write-behind
# (md-writebehind: dm-raid raid1, the slow leg write_mostly, max_write_behind 4096 writes,
# i.e. 16 MiB of 4 KiB writes; beyond it md waits for the slow leg), against vdrep's
# synchronous mirror on the same slow leg (what the asynchronous mode saves) and the raw
# device. The slow legs are dm-delay devices whose writes complete SLOW_MS ms late.
scenario_async() {
	say "async: raw ram0; vdrep-async volume ram1 + async mirror on bench-slow2 (ram2, writes" \
		"$SLOW_MS ms late); md-writebehind: dm-raid raid1 of ram3 and bench-slow4 (ram4," \
		"write_mostly), metadata on ram5; vdrep-sync-slow: volume ram6 + sync mirror on" \
		"bench-slow7 (ram7)"
	brd_load 8
	prefill /dev/ram0 /dev/ram1 /dev/ram2 /dev/ram3 /dev/ram4 /dev/ram6 /dev/ram7
	dev[raw]=/dev/ram0
	modprobe dm-delay 2>/dev/null
	local n slow
	for n in 2 4 7; do
		dm_make "bench-slow$n" "0 $SECTORS delay /dev/ram$n 0 0 /dev/ram$n 0 $SLOW_MS" ||
			die "dm-delay over /dev/ram$n failed"
	done
	if ! { vol_make bench-as /dev/ram1 && dev[vdrep-async]=$REPLY &&
		ctl assoc create bench-as/m1 /dev/mapper/bench-slow2 --mode async &&
		ctl assoc wait bench-as/m1 --state synchronized --timeout 600; }; then
		mark_broken async vdrep-async "volume or mirror create"
	fi
	slow=8192
	if ! { modprobe dm-raid &&
		dm_make bench-rm0 "0 $slow linear /dev/ram5 0" &&
		dm_make bench-rm1 "0 $slow linear /dev/ram5 $slow" &&
		dd if=/dev/zero of=/dev/ram5 bs=1M count=8 oflag=direct status=none &&
		dm_make bench-mdwb "0 $SECTORS raid raid1 8 0 region_size $((CS / 512)) nosync write_mostly 1 max_write_behind 8192 2 /dev/mapper/bench-rm0 /dev/ram3 /dev/mapper/bench-rm1 /dev/mapper/bench-slow4" &&
		dev[md-writebehind]=/dev/mapper/bench-mdwb; }; then
		mark_broken async md-writebehind "dm-raid raid1 with write-behind"
	fi
	if ! { vol_make bench-ss /dev/ram6 && dev[vdrep-sync-slow]=$REPLY &&
		ctl assoc create bench-ss/m1 /dev/mapper/bench-slow7 --mode sync &&
		ctl assoc wait bench-ss/m1 --state synchronized --timeout 600; }; then
		mark_broken async vdrep-sync-slow "volume or mirror create"
	fi
	local job
	for job in randwrite-qd1 randwrite-qd32; do
		HOOKS=1 interleave async "$job" raw vdrep-async md-writebehind vdrep-sync-slow
	done
	cleanup
}

# ---- scenario 7: a copy under a rate-limited foreground job -------------------------------

FG_IOPS=1000	# what fg-rated-qd1 asks for

NULLB_GIB=64	# the load scenario's null_blk devices: a copy no priority ends within a job

# copy-PRIORITY: a mirror of volume bench-ld with that CopyPriority, created prepared;
# fio activates it (its initial sync starts) right before the job and suspends it (its
# copy stops) right after (exec_prerun, exec_postrun), so that copy-elapsed and the
# chunks copied are about the job's. At the job's edges the volume is idle for a moment
# and the copy runs at full speed; so the rate held while the foreground runs comes from
# two samples of copied-chunks and copy-elapsed taken 1 and 2 s after the activation (by
# a sampler the prerun command leaves in the background).
pre_copy() {
	local show="$VDREPCTL -j assoc show bench-ld/c1"
	ctl assoc create bench-ld/c1 /dev/nullb1 --mode sync --priority "$1" --prepare-only ||
		return 1
	rm -f "$WORK/sample1" "$WORK/sample2"
	FIO_GLOBAL=("--exec_prerun=$VDREPCTL assoc activate bench-ld/c1; { sleep 1; $show >$WORK/sample1; sleep 1; $show >$WORK/sample2; } </dev/null >/dev/null 2>&1 &"
		"--exec_postrun=$VDREPCTL assoc suspend bench-ld/c1")
}
# sample_num N KEY: KEY of the sampler's Nth sample, empty if it has none.
sample_num() { [ -s "$WORK/sample$1" ] && json_num "$(cat "$WORK/sample$1")" "$2"; }
post_copy() {
	local j p='' copied total ns c1 c2 e1 e2 i
	FIO_GLOBAL=()
	for ((i = 0; i < 100; i++)); do
		[ -s "$WORK/sample2" ] && break
		sleep 0.1
	done
	j=$("$VDREPCTL" -j assoc show bench-ld/c1) || return 1
	copied=$(json_num "$j" copied-chunks) total=$(json_num "$j" total-chunks)
	ns=$(json_num "$j" copy-elapsed)
	[[ $j =~ \"copy-priority\":\"([^\"]*)\" ]] && p=${BASH_REMATCH[1]}
	EXTRA="copied_chunks=$copied,total_chunks=$total,priority=$p"
	[ "${ns:-0}" -gt 0 ] && EXTRA+=",copy_kib_s=$((copied * (CS / 1024) * 1000000000 / ns))"
	c1=$(sample_num 1 copied-chunks) e1=$(sample_num 1 copy-elapsed)
	c2=$(sample_num 2 copied-chunks) e2=$(sample_num 2 copy-elapsed)
	if [ -n "$c1" ] && [ -n "$c2" ] && [ -n "$e1" ] && [ -n "$e2" ] && [ "$e2" -gt "$e1" ]; then
		EXTRA+=",held_kib_s=$(((c2 - c1) * (CS / 1024) * 1000000000 / (e2 - e1)))"
	fi
	ctl assoc destroy bench-ld/c1
}
pre_copy_low() { pre_copy low; }
pre_copy_same() { pre_copy same; }
pre_copy_high() { pre_copy high; }
post_copy_low() { post_copy; }
post_copy_same() { post_copy; }
post_copy_high() { post_copy; }

# The foreground IOPS a copy leaves and the copy rate it holds meanwhile: fg-rated-qd1
# (4 KiB random writes at QD1 over the first SIZE_MIB, at most FG_IOPS a second) on a
# vdrep volume alone (fg-alone), then while a synchronous mirror's initial sync runs with
# CopyPriority low, same or high (copy-low, copy-same, copy-high). x fg-alone is the
# foreground kept; the notes give the copy's rate. The volume and its mirror are null_blk
# devices of NULLB_GIB GiB without memory (reads return no data, writes are dropped): a
# copy of that size outlasts the job at every priority, where one of a ramdisk ended
# before the job's first write; so the copy costs the CPU its bios cost, not a memcpy.
scenario_load() {
	want_job fg-rated-qd1 || return 0
	say "load: vdrep volume on nullb0, mirror to nullb1 created before each copy-* run" \
		"(null_blk, $NULLB_GIB GiB, no memory)"
	[ ! -d /sys/module/null_blk ] || rmmod null_blk ||
		{ mark_broken load fg-alone "null_blk in use"; return 0; }
	if ! modprobe null_blk nr_devices=2 gb="$NULLB_GIB" memory_backed=0 bs=4096; then
		mark_broken load fg-alone "modprobe null_blk"
		return 0
	fi
	loaded_nullb=1
	if vol_make bench-ld /dev/nullb0; then
		dev[fg-alone]=$REPLY dev[copy-low]=$REPLY dev[copy-same]=$REPLY dev[copy-high]=$REPLY
	else
		mark_broken load fg-alone "volume create"
		cleanup
		return 0
	fi
	HOOKS=1 interleave load fg-rated-qd1 fg-alone copy-low copy-same copy-high
	cleanup
}

# ---- main ---------------------------------------------------------------------------------

vdrep_load
{
	echo "lane=$VDREP_LANE"
	echo "kernel=$(uname -r)"
	echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "reps=$REPS"
	echo "runtime=$RUNTIME"
	echo "size_mib=$SIZE_MIB"
	echo "chunk_size=$CS"
	echo "scenarios=${scenarios[*]}"
	echo "jobs=${only_jobs[*]:-all}"
	echo "smoke=$smoke"
	echo "icount=$icount"
	echo "fio=$(fio --version)"
	echo "cpus=$(nproc)"
	echo "mem_kib=$(awk '/MemTotal/ { print $2 }' /proc/meminfo)"
	echo "vdrep_srcversion=$(cat /sys/module/vdrep/srcversion 2>/dev/null)"
} >"$OUT/meta.txt"
write_jobs
say "lane $VDREP_LANE, kernel $(uname -r): ${scenarios[*]}; $REPS reps, ${RUNTIME}s per" \
	"time-based job, ramdisks of $SIZE_MIB MiB; results in $OUT"
cd "$WORK" || die "cannot enter $WORK"
for s in "${scenarios[@]}"; do
	broken=() dev=()
	"scenario_$s"
done
say "all runs done"
"$PYTHON" "$BENCH_DIR/bench_report.py" "$OUT" || die "bench_report.py failed"
nfail=$(awk -F'\t' '$5 == "fail"' "$RUNS" | wc -l)
[ "$nfail" -eq 0 ] || { say "$nfail runs or setups failed (see the table)"; exit 1; }
exit 0
exit
}
