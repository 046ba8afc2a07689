#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-all.sh [TEST...]: the project's test command.  Installs what is missing (setup.sh),
# checks the generated netlink files, the static checks (tools/testing/static/check.sh),
# DKMS and make install on the host, builds vdrep.ko for every kernel lane and vdrepctl,
# runs the selftests (or the TESTs named) in VMs on every lane (the first lane with vdrepctl
# built with ASan and UBSan for the tests that drive it), power-cut cycles on every stock
# lane, and ends with one line "N passed, N failed[, N skipped]" over all lanes.  Exits
# non-zero when anything failed.
# The VMs: each lane's tests are dealt to shards, one VM each (stock lanes:
# VDREP_LANE_SHARDS, default 3; the debug lane, debug-kernel/: KASAN, lockdep, kmemleak,
# KUnit, fail_make_request: VDREP_DEBUG_SHARDS, default 2), and a queue runs them, longest
# first, VDREP_VM_SLOTS at a time (default: the host's CPUs).  A VM runs its vCPUs on one
# host thread (TCG thread=single) and keeps it busy (95 % of a core), so more VMs than cores
# only share the cores, and worse than that: five VMs on 2 cores took 2.7 to 4 times each
# test's time with two (test_meta_03: 530 s against 134 s), 83 minutes in all.
# The debug kernel builds in the background (cached after the first run); its shards wait
# for it, the stock lanes' do not.
# Environment: VDREP_LANES (stock lanes, default "6.1 6.12 7"), VDREP_DEBUG_LANE (1: run
# the debug lane, the default; 0: not), VDREP_DEBUG_TESTS (the tests of the debug lane, as
# names or globs, or "all"; see debug_tests below), VDREP_LANE_SHARDS, VDREP_DEBUG_SHARDS,
# VDREP_VM_SLOTS, VDREP_TOTAL_BUDGET (seconds the whole command may take, default 5220, 87
# minutes: CI stops a run at 90 minutes), VDREP_POWERCUT_CYCLES (power-cut cycles per stock
# lane, default 2, 0: none), plus what run.sh reads.
# Braces: bash reads the whole script before running it, so editing it mid-run is safe.
{
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lanes=${VDREP_LANES:-$ALL_LANES}
deadline=$((SECONDS + ${VDREP_TOTAL_BUDGET:-5220}))
passed=0 failed=0 skipped=0
logs=$CACHE/logs/run-all-$(date +%Y%m%d-%H%M%S)
mkdir -p "$logs"
# Logs of runs older than a week go.
find "$CACHE/logs" -mindepth 1 -maxdepth 1 -mtime +7 -exec rm -rf {} + 2>/dev/null || true

result() { # ok|not ok, then the line's text
	if [ "$1" = ok ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
	echo "$1 $2"
}

"$VM_DIR/setup.sh"

# ---- the debug kernel, built in the background -------------------------------------------
# Its result lines go to $logs/debug-build.out; $logs/debug-build.done says "ok" or "fail".
debug_build() {
	exec >"$logs/debug-build.out" 2>&1
	if ! VDREP_DEBUG_NICE=0 "$VM_DIR/debug-kernel/build.sh" >"$logs/debug-kernel.log" 2>&1; then
		tail -n 40 "$logs/debug-kernel.log" | sed 's/^/# /'
		echo "not ok debug build: the debug kernel did not build (log: $logs/debug-kernel.log)"
		echo fail >"$logs/debug-build.done"
		return
	fi
	grep -h 'built in\|ready' "$logs/debug-kernel.log" | sed 's/^/# /'
	if ! "$VM_DIR/build-module.sh" debug >"$logs/build-debug.log" 2>&1; then
		sed 's/^/# /' "$logs/build-debug.log" | tail -n 40
		echo "not ok debug build: vdrep.ko did not build (log: $logs/build-debug.log)"
		echo fail >"$logs/debug-build.done"
		return
	fi
	echo "ok debug build: debug kernel and vdrep.ko"
	echo ok >"$logs/debug-build.done"
}
debug_build_pid=
if [ "${VDREP_DEBUG_LANE:-1}" = 1 ]; then
	debug_build &
	debug_build_pid=$!
	say "debug lane: building its kernel in the background ($logs/debug-build.out)"
fi

# ---- builds of the stock lanes -------------------------------------------------------------
# $logs/build-LANE.out holds the lane's build result lines, $logs/build-LANE.ok exists when
# vdrep.ko (and vdrepctl) built.
asan_env=() asan_lane=''
first=1
for lane in $lanes; do
	{
		if "$VM_DIR/build-module.sh" "$lane" >"$logs/build-$lane.log" 2>&1; then
			echo "ok $lane build: vdrep.ko$([ -e "$VDREP_TOP/userspace/Makefile" ] && echo " and vdrepctl")"
			touch "$logs/build-$lane.ok"
		else
			sed 's/^/# /' "$logs/build-$lane.log" | tail -n 40
			echo "not ok $lane build: vdrep.ko or vdrepctl did not build (log: $logs/build-$lane.log)"
		fi
		# The first lane runs the tests that drive vdrepctl's parsing, output and error paths
		# (VDREP_ASAN_TESTS, names or globs, or "all") with vdrepctl built with ASan, LSan and
		# UBSan (any report aborts it).  Not every test: a sanitized vdrepctl takes twice as
		# long to run in the guest (1.2 s against 0.6 s on a busy host).
		if [ "$first" = 1 ] && [ -e "$logs/build-$lane.ok" ]; then
			if make -s -C "$VDREP_TOP/userspace" asan >"$logs/asan-build.log" 2>&1; then
				want=${VDREP_ASAN_TESTS:-"test_volume_01_* test_volume_05_* test_volume_06_*
					test_volume_08_* test_mirror_10_* test_mirror_11_* test_mirror_20_*
					test_snapshot_06_* test_snapshot_20_* test_clone_02_* test_clone_20_*
					test_meta_02_*"}
				[ "$want" = all ] && want="test_*"
				read -ra pats <<<"${want//[$'\n\t']/ }"
				asan_env=(VDREPCTL_ASAN="$VDREP_TOP/userspace/asan/vdrepctl" VDREP_ASAN_TESTS="${pats[*]}")
				echo "# lane $lane: vdrepctl with AddressSanitizer and UBSan for ${pats[*]}"
			else
				echo "not ok $lane build: vdrepctl's sanitizer build failed (log: $logs/asan-build.log)"
			fi
		fi
	} >"$logs/build-$lane.out"
	[ "$first" = 1 ] && asan_lane=$lane
	first=0
done

# ---- the VM queue -----------------------------------------------------------------------
# A job is "stock LANE K" (shard K of the lane's tests), "powercut LANE" or "debug K".  Its
# lines go to $logs/job-NAME.out and its counts ("PASSED FAILED SKIPPED") to
# $logs/job-NAME.counts.

# test_seconds TEST: what the test took on a stock lane with a core of its own
# (test-seconds.txt, refreshed by hand from a run's script.log; 60 for a test not there).
declare -A test_secs=()
while read -r name secs; do
	[ -n "$name" ] && [ "${name:0:1}" != "#" ] && test_secs[$name]=$secs
done <"$VM_DIR/test-seconds.txt"
test_seconds() { echo "${test_secs[${1%.sh}]:-60}"; }

# The stock lanes' tests, dealt to VDREP_LANE_SHARDS shards, longest first, each to the
# shard with the least time so far.  shard_tests[K] holds shard K's names.
tests=("$@")
all_tests=("${tests[@]}")
if [ ${#all_tests[@]} -eq 0 ]; then
	for t in "$VDREP_TOP"/tools/testing/selftests/vdrep/test_*.sh; do
		all_tests+=("$(basename "$t" .sh)")
	done
fi
nshards=${VDREP_LANE_SHARDS:-3}
[ "$nshards" -le ${#all_tests[@]} ] || nshards=${#all_tests[@]}
declare -a shard_tests=() shard_secs=()
for ((k = 0; k < nshards; k++)); do shard_tests[k]='' shard_secs[k]=0; done
while read -r secs t; do
	best=0
	for ((k = 1; k < nshards; k++)); do
		[ "${shard_secs[k]}" -lt "${shard_secs[best]}" ] && best=$k
	done
	shard_tests[best]+=" $t"
	shard_secs[best]=$((shard_secs[best] + secs))
done < <(for t in "${all_tests[@]}"; do echo "$(test_seconds "$t") $t"; done | sort -k1,1rn -k2)
for ((k = 0; k < nshards; k++)); do # each shard in name order
	shard_tests[k]=$(echo "${shard_tests[k]}" | tr ' ' '\n' | sort | tr '\n' ' ')
done

# What the debug lane runs by default (about 23 minutes of a core, with its boot): the tests
# made for its checkers (KUnit, fail_make_request on mirrors and snapshots, dm-dust, netlink
# fuzzing with 20k messages as root and 20k unprivileged), the volume and snapshot data
# tests, a snapshot store's own map (its locks under lockdep) and the metadata device's
# write intents (the intent writer and the lazy clear).  The whole suite
# (VDREP_DEBUG_TESTS=all) takes 5-12 times the stock lanes' time here and does not fit
# CI's 90 minutes on 2 cores.  In this order, dealt round-robin to two shards, the two take
# about the same time.
debug_tests=()
if [ "${VDREP_DEBUG_LANE:-1}" = 1 ]; then
	if [ ${#tests[@]} -gt 0 ]; then
		debug_tests=("${tests[@]}")
	else
		want=${VDREP_DEBUG_TESTS:-"test_fault_02_* test_netlink_fuzz test_meta_05_*
			test_snapshot_01_* test_volume_01_* test_fault_03_* test_meta_06_* test_kunit"}
		[ "$want" = all ] && want="test_*"
		read -ra patterns <<<"${want//[$'\n\t']/ }"
		for pattern in "${patterns[@]}"; do
			for t in "$VDREP_TOP"/tools/testing/selftests/vdrep/${pattern%.sh}.sh; do
				[ -e "$t" ] && debug_tests+=("$(basename "$t" .sh)")
			done
		done
	fi
fi
dshards=${VDREP_DEBUG_SHARDS:-2}
[ "$dshards" -le ${#debug_tests[@]} ] || dshards=${#debug_tests[@]}

# The queue, longest first: the debug shards (5-10 times a stock test's time), the stock
# shards, the power cuts (three boots, 2 to 3 minutes).
jobs=()
for ((k = 0; k < dshards; k++)); do jobs+=("debug $k"); done
for ((k = 0; k < nshards; k++)); do
	for lane in $lanes; do jobs+=("stock $lane $k"); done
done
if [ ${#tests[@]} -eq 0 ] && [ "${VDREP_POWERCUT_CYCLES:-2}" -gt 0 ]; then
	for lane in $lanes; do jobs+=("powercut $lane"); done
fi

job_name() { local IFS=-; echo "$*"; }

# vm_shard NAME LANE K OF MIN_BUDGET [VAR=VALUE...] -- TEST...: run.sh for shard K (of OF)
# of LANE, with that environment, unless less than MIN_BUDGET seconds are left; its summary
# line becomes a comment, its counts go to job-NAME.counts.
vm_shard() {
	local name=$1 lane=$2 k=$3 of=$4 min=$5 budget=$((deadline - SECONDS - 60)) env=() p f s
	shift 5
	while [ "$1" != -- ]; do env+=("$1"); shift; done
	shift
	if [ "$budget" -lt "$min" ]; then
		echo "not ok $lane vm $((k + 1)): not run, the total time budget is used up"
		echo "0 1 0" >"$logs/job-$name.counts"
		return
	fi
	env "${env[@]}" "$VM_DIR/run.sh" --lane "$lane" --timeout "$budget" \
		--log "$logs/$lane-$k" "$@" |
		sed -E "\$ s/^([0-9]+ passed, [0-9]+ failed.*)/# lane $lane, VM $((k + 1)) of $of: \1/" ||
		true # a failed test is counted from the counts file
	if read -r p f s <"$logs/$lane-$k/counts" 2>/dev/null; then
		echo "$p $f $s" >"$logs/job-$name.counts"
	else
		echo "not ok $lane vm $((k + 1)): the runner reported nothing (log: $logs/$lane-$k)"
		echo "0 1 0" >"$logs/job-$name.counts"
	fi
}

# run_job KIND ARGS...: one job, in the background of the queue.
run_job() {
	local name p f s
	name=$(job_name "$@")
	exec >"$logs/job-$name.out" 2>&1
	case $1 in
	debug)
		local shard=() t
		for ((t = $2; t < ${#debug_tests[@]}; t += dshards)); do shard+=("${debug_tests[t]}"); done
		# A test's limit (settings: 900 s) is sized for the stock kernels.
		vm_shard "$name" debug "$2" "$dshards" 300 \
			VDREP_TEST_TIMEOUT="${VDREP_TEST_TIMEOUT:-1800}" \
			VDREP_FUZZ_COUNT="${VDREP_FUZZ_COUNT:-20000}" -- "${shard[@]}"
		;;
	stock)
		local lane=$2 k=$3 shard env=()
		read -ra shard <<<"${shard_tests[k]}"
		[ "$lane" != "$asan_lane" ] || env=("${asan_env[@]}")
		# A test's limit (settings: 900 s) is for a VM alone.  CI's share of the longest
		# loops: 50k fuzz messages per user (100k by hand), 30 s of copy-on-write stress
		# (60 s by hand).
		vm_shard "$name" "$lane" "$k" "$nshards" 120 "${env[@]}" \
			VDREP_TEST_TIMEOUT="${VDREP_TEST_TIMEOUT:-1800}" \
			VDREP_FUZZ_COUNT="${VDREP_FUZZ_COUNT:-50000}" \
			VDREP_STRESS_RUNTIME="${VDREP_STRESS_RUNTIME:-30}" -- "${shard[@]}"
		;;
	powercut)
		# Power-cut cycles (powercut.sh: QEMU killed mid-write, the next boot assembles and
		# checks), VDREP_POWERCUT_CYCLES of them (default 2; 20 and more by hand).  Three
		# boots take 1.5 to 3 minutes; with less time left they are skipped, said so, rather
		# than the whole run going over CI's limit.
		local lane=$2 line
		p=0 f=0 s=0
		if [ $((deadline - SECONDS)) -lt 300 ]; then
			echo "ok $lane powercut # SKIP $((deadline - SECONDS)) s left of the total budget"
			echo "0 0 1" >"$logs/job-$name.counts"
			return
		fi
		# Its disk images and boot logs: $CACHE/powercut/LANE, made afresh each run.
		timeout -k 10 $((deadline - SECONDS - 60)) "$VM_DIR/powercut.sh" --lane "$lane" \
			--cycles "${VDREP_POWERCUT_CYCLES:-2}" >"$logs/powercut-$lane.out" 2>&1 || true
		while IFS= read -r line; do
			case $line in
			"ok "[0-9]*) echo "ok ${line#ok * - }"; p=$((p + 1)) ;;
			"not ok "[0-9]*) echo "not ok ${line#not ok * - }"; f=$((f + 1)) ;;
			"ok - "* | "not ok - "* | "#"*) echo "# ${line#\# }" ;;
			esac
		done <"$logs/powercut-$lane.out"
		grep -q '^ok [0-9]' "$logs/powercut-$lane.out" || {
			echo "not ok $lane powercut: no result (log: $logs/powercut-$lane.out)"
			f=$((f + 1))
		}
		echo "$p $f $s" >"$logs/job-$name.counts"
		;;
	esac
}

# job_ready KIND ARGS...: 0 when the job can start, 1 when it must wait, 2 when it never
# will (its build failed: the build's line says so).
job_ready() {
	case $1 in
	debug)
		[ -e "$logs/debug-build.done" ] || return 1
		[ "$(cat "$logs/debug-build.done")" = ok ] || return 2 ;;
	stock | powercut)
		[ -e "$logs/build-$2.ok" ] || return 2 ;;
	esac
	return 0
}

# The queue: VDREP_VM_SLOTS jobs at once, each the first ready one in the order above.
vm_queue() {
	local slots=${VDREP_VM_SLOTS:-$(nproc)} pending=("${jobs[@]}") running=() pids=()
	local i j rc next
	while [ ${#pending[@]} -gt 0 ] || [ ${#running[@]} -gt 0 ]; do
		next=()
		for ((i = 0; i < ${#running[@]}; i++)); do
			kill -0 "${pids[i]}" 2>/dev/null || { wait "${pids[i]}" || true; continue; }
			next+=("$i")
		done
		local r2=() p2=()
		for i in "${next[@]}"; do r2+=("${running[i]}"); p2+=("${pids[i]}"); done
		running=("${r2[@]}") pids=("${p2[@]}")
		next=()
		for j in "${pending[@]}"; do
			# shellcheck disable=SC2086 # a job is its words
			if [ ${#running[@]} -lt "$slots" ] && { job_ready $j; rc=$?; [ $rc -ne 1 ]; }; then
				[ $rc -eq 0 ] || continue
				say "$j: starting"
				# shellcheck disable=SC2086
				run_job $j &
				running+=("$j") pids+=($!)
			else
				next+=("$j")
			fi
		done
		pending=("${next[@]}")
		sleep 2
	done
}
vm_queue &
queue_pid=$!

# ---- host checks, beside the VMs --------------------------------------------------------
if [ -x "$VDREP_TOP/scripts/ynl-regen.sh" ]; then
	if make -s -C "$VDREP_TOP" check-generated >"$logs/check-generated.log" 2>&1; then
		result ok "all check-generated: generated netlink files are current"
	else
		sed 's/^/# /' "$logs/check-generated.log"
		result "not ok" "all check-generated: generated netlink files are stale (scripts/ynl-regen.sh)"
	fi
else
	say "no scripts/ynl-regen.sh; skipping the generated-files check"
fi

# Host checks for the kernels whose headers are installed here: CHECK-SCRIPT NAME
# COUNTED (a regex of the ok lines that count kernels) WHAT.
host_check() {
	local log=$logs/${1%%/*}.log

	if "$VDREP_TOP/tools/testing/$1" >"$log" 2>&1; then
		result ok "host $2: $4 for $(grep -cE "^ok .*$3" "$log") kernels"
	else
		grep -v '^ok' "$log" | sed 's/^/# /' | tail -n 40
		result "not ok" "host $2: see $log"
	fi
}
# Static checks (W=1 + sparse per stock kernel, checkpatch, vdrepctl -Werror and its
# sanitizer build, shellcheck): each of its KTAP lines is a result here.  The VMs run
# beside them, on copies of their own; the kernels checked are the stock ones.
if VDREP_STATIC_LANES="$ALL_LANES" "$VDREP_TOP/tools/testing/static/check.sh" "$logs/static" \
	>"$logs/static.log" 2>&1; then :; fi
while IFS= read -r line; do
	case $line in
	"ok "[0-9]*) result ok "host static: ${line#ok * - }" ;;
	"not ok "[0-9]*) result "not ok" "host static: ${line#not ok * - } (log: $logs/static.log)" ;;
	"#"*) echo "$line" ;;
	esac
done <"$logs/static.log"
grep -q '^ok \|^not ok ' "$logs/static.log" ||
	result "not ok" "host static: check.sh printed no result (log: $logs/static.log)"

host_check dkms/check.sh dkms "dkms build" "add, build and install"
host_check install/check.sh "make install" "under DESTDIR" "module, vdrepctl, udev rules, man page"

set +e
say "waiting for the VMs"
wait "$queue_pid"
[ -z "$debug_build_pid" ] || wait "$debug_build_pid"
set -e
# The results, lane by lane: the build, the shards, the power cuts.
collect() { # JOB-NAME: print its lines, add its counts
	local p f s
	[ -e "$logs/job-$1.out" ] || return 0
	cat "$logs/job-$1.out"
	if read -r p f s <"$logs/job-$1.counts" 2>/dev/null; then
		passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	else
		result "not ok" "$1: the job reported nothing (log: $logs/job-$1.out)"
	fi
}
build_results() { # NAME: the build's lines in NAME.out, its ok/not ok lines counted
	local line
	while IFS= read -r line; do
		case $line in
		"ok "*) result ok "${line#ok }" ;;
		"not ok "*) result "not ok" "${line#not ok }" ;;
		*) echo "$line" ;;
		esac
	done <"$logs/$1.out"
}
for lane in $lanes; do
	build_results "build-$lane"
	for ((k = 0; k < nshards; k++)); do collect "stock-$lane-$k"; done
	collect "powercut-$lane"
done
if [ -n "$debug_build_pid" ]; then
	build_results debug-build
	for ((k = 0; k < dshards; k++)); do collect "debug-$k"; done
fi

echo "# logs: $logs"
echo "$passed passed, $failed failed$([ $skipped -gt 0 ] && echo ", $skipped skipped")"
[ $failed -eq 0 ]
exit
}
