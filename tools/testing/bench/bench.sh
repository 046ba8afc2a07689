#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh [--lane LANE] [--reps N] [--runtime S] [--size MIB] [--scenario NAME]...
#          [--job NAME]... [--profile CONTENDER]... [--icount] [--smoke] [--out DIR]
#          [--timeout S] [--no-setup]
#
# The benchmark: vdrep against raw ramdisks, dm-linear, md raid1, dm-mirror, dm-snapshot
# and dm-thin, in one VM boot.  Installs what is missing (setup.sh), builds vdrep.ko and
# vdrepctl for the lane, boots the lane's kernel under QEMU with bench-guest.sh, copies the
# results to $VDREP_CACHE/bench/DATE-LANE/ (results.md, results.json, runs.tsv, the fio
# job files and every run's fio JSON, chart.png when gnuplot is installed), and prints
# the Markdown table.  See Documentation/admin-guide/performance.rst.
#   --lane      kernel lane (default 6.12)
#   --reps, --runtime, --size, --scenario, --job, --profile, --smoke: passed to
#               bench-guest.sh (defaults 5 repetitions, 3 s per time-based job, 128 MiB
#               ramdisks, every scenario: passthrough mirror snapshot resync intent async
#               load; no profile)
#   --icount    deterministic mode: QEMU -icount shift=0,sleep=off (one TCG thread), guest
#               time counts instructions; the tables add instructions per I/O at QD1
#   --out       results directory (default $VDREP_CACHE/bench/DATE-LANE)
#   --timeout   time budget of the VM in seconds (default 3600)
#   --no-setup  do not run setup.sh (the machine is set up already)
# Environment: VDREP_KO (a module already built for the lane: no module build; vdrepctl
# is still built when missing), VDREPCTL, VDREP_QEMU_TCG (default here thread=multi: the
# machine is the benchmark's alone, and fio at QD32 gets both cores), VDREP_QEMU_MEM
# (default here 3G: the snapshot scenario holds 23 ramdisks), VDREP_QEMU_SMP.
# Braces: bash reads the whole script before running it, so editing it mid-run is safe.
{
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
. "$BENCH_DIR/../vm/lib.sh"

usage() { sed -n '4,26s/^# \{0,1\}//p' "$0" >&2; exit 2; }

lane=6.12 out='' timeout=3600 setup=1 guest_args=() smoke=0 icount=0
while [ $# -gt 0 ]; do
	case $1 in
	--lane) lane=${2:?}; shift 2 ;;
	--reps|--runtime|--size|--scenario|--job|--profile) guest_args+=("$1" "${2:?}"); shift 2 ;;
	--smoke) guest_args+=(--smoke); smoke=1; shift ;;
	--icount) guest_args+=(--icount); icount=1; shift ;;
	--out) out=${2:?}; shift 2 ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	--no-setup) setup=0; shift ;;
	-h|--help) usage ;;
	*) echo "bench.sh: unknown argument $1" >&2; usage ;;
	esac
done
for a in "${guest_args[@]}"; do
	case $a in *[[:space:]]*) die "arguments with spaces are not supported: $a" ;; esac
done

start=$(date +%s)
stamp=$(date +%Y%m%d-%H%M%S)
[ $setup = 0 ] || "$VM_DIR/setup.sh"
lane_env "$lane"

# ---- build ----------------------------------------------------------------------------------

buildlog=$(mktemp)
if [ -n "${VDREP_KO:-}" ]; then
	[ -r "$VDREP_KO" ] || die "VDREP_KO=$VDREP_KO is not readable"
	ko=$VDREP_KO
	say "using the module $ko (VDREP_KO)"
	if [ -z "${VDREPCTL:-}" ] && [ ! -x "$VDREP_TOP/userspace/vdrepctl" ]; then
		make -s -C "$VDREP_TOP/userspace" >"$buildlog" 2>&1 ||
			{ cat "$buildlog"; rm -f "$buildlog"; die "building vdrepctl failed"; }
	fi
else
	say "lane $lane: building vdrep.ko and vdrepctl"
	if ! ko=$("$VM_DIR/build-module.sh" "$lane" 2>"$buildlog"); then
		cat "$buildlog"
		rm -f "$buildlog"
		die "the build failed"
	fi
fi
rm -f "$buildlog"

# ---- the VM ---------------------------------------------------------------------------------

out=${out:-$CACHE/bench/$stamp-$lane}
log=$CACHE/logs/bench-$lane-$stamp
mkdir -p "$out"
out=$(cd "$out" && pwd)
say "lane $lane: benchmark in a VM (${guest_args[*]:-defaults}); log $log"
rc=0
[ $icount = 0 ] || export VDREP_QEMU_ICOUNT=shift=0,sleep=off
VDREP_KO=$ko VDREP_QEMU_MEM=${VDREP_QEMU_MEM:-3G} VDREP_QEMU_TCG=${VDREP_QEMU_TCG:-thread=multi} \
	"$VM_DIR/run.sh" --lane "$lane" \
	--timeout "$timeout" --log "$log" -v --script "$BENCH_DIR/bench-guest.sh" -- \
	"${guest_args[@]}" || rc=$?

# ---- results --------------------------------------------------------------------------------

[ -s "$log/results/bench/runs.tsv" ] || die "the guest recorded no run (log: $log)"
cp -r "$log/results/bench/." "$out/"
cp "$log/console.log" "$out/console.log" 2>/dev/null || true
{
	echo "commit=$(git -C "$VDREP_TOP" describe --always --dirty 2>/dev/null || echo unknown)"
	echo "qemu=$(qemu-system-x86_64 --version | head -n1)"
	echo "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1) x $(nproc)"
	echo "wall_seconds=$(($(date +%s) - start))"
} >"$out/host.txt"
python3=/usr/bin/python3
[ -x "$python3" ] || python3=python3
"$python3" "$BENCH_DIR/bench_report.py" "$out" >/dev/null ||
	die "bench_report.py failed on $out"
if command -v gnuplot >/dev/null && [ -e "$out/chart.gp" ]; then
	(cd "$out" && gnuplot chart.gp) || say "gnuplot failed; no chart"
else
	say "no gnuplot (apt-get install gnuplot-nox): no chart.png; chart.gp and its data are there"
fi
echo
cat "$out/results.md"
echo
[ $smoke = 0 ] || say "a smoke run: one job, one repetition; its numbers measure nothing"
say "results in $out; took $(($(date +%s) - start)) s"
exit $rc
exit
}
