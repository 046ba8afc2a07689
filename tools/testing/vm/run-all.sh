#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-all.sh [TEST...]: the project's test command.  Installs what is missing (setup.sh),
# checks the generated netlink files, the static checks (tools/testing/static/check.sh),
# DKMS and make install on the host, builds vdrep.ko for every kernel lane and vdrepctl,
# runs the selftests (or the TESTs named) in a VM per lane (the first with vdrepctl built
# with ASan and UBSan for the tests that drive it), and ends with one line "N passed, N failed[, N skipped]" over all lanes.  Exits
# non-zero when anything failed.
# The debug lane (debug-kernel/: KASAN, lockdep, kmemleak, KUnit, fail_make_request) runs
# beside the stock lanes: its kernel build and then its VM form a stream started right
# after setup, and the stock lanes run one after the other beside it.
# Everything runs at the same priority: a niced stream starves (a stock lane at nice 10
# beside two debug VMs ran 20 times slower and ran out of time).
# Environment: VDREP_LANES (stock lanes, default "6.1 6.12 7"), VDREP_DEBUG_LANE (1: run
# the debug lane, the default; 0: not), VDREP_DEBUG_SHARDS (VMs the debug lane's tests are
# dealt to, side by side; default 2), VDREP_DEBUG_TESTS (the tests of the debug lane, as
# names or globs, or "all"; see debug_stream below), VDREP_LANE_TIMEOUT (the most a stock
# lane's VM may take, default what is left of the total budget),
# VDREP_STOCK_SLOTS (stock lanes at once, default 3; see the stock lanes below),
# VDREP_TOTAL_BUDGET (seconds the whole command may take, default 5220, 87 minutes: CI stops a run at
# 90 minutes), VDREP_POWERCUT_CYCLES (power-cut cycles per stock lane after its selftests,
# default 2, 0: none), plus what run.sh reads.
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

# ---- the debug stream: kernel build, module build, VM -------------------------------------
# It prints its result lines to $logs/debug.out and its counts to $logs/debug.counts.
debug_stream() {
	local p=0 f=0 s=0 budget
	exec >"$logs/debug.out" 2>&1
	if ! VDREP_DEBUG_NICE=0 "$VM_DIR/debug-kernel/build.sh" >"$logs/debug-kernel.log" 2>&1; then
		tail -n 40 "$logs/debug-kernel.log" | sed 's/^/# /'
		echo "not ok debug build: the debug kernel did not build (log: $logs/debug-kernel.log)"
		echo "0 1 0" >"$logs/debug.counts"
		return
	fi
	grep -h 'built in\|ready' "$logs/debug-kernel.log" | sed 's/^/# /'
	if ! "$VM_DIR/build-module.sh" debug >"$logs/build-debug.log" 2>&1; then
		sed 's/^/# /' "$logs/build-debug.log" | tail -n 40
		echo "not ok debug build: vdrep.ko did not build (log: $logs/build-debug.log)"
		echo "0 1 0" >"$logs/debug.counts"
		return
	fi
	echo "ok debug build: debug kernel and vdrep.ko"
	p=1
	budget=$((deadline - SECONDS - 60))
	if [ "$budget" -lt 300 ]; then
		echo "not ok debug vm: not run, the total time budget is used up"
		echo "$p 1 0" >"$logs/debug.counts"
		return
	fi
	# The lane's tests are dealt round-robin to VDREP_DEBUG_SHARDS VMs side by side (2 by
	# default: once the stock lanes are done, the debug lane is what is left, and one VM
	# uses one core: see the stock lanes below).
	local tests=("$@") nshards=${VDREP_DEBUG_SHARDS:-2} k t pids=() f2 s2 want
	# What the lane runs by default (about 18 minutes of guest time): the tests made for
	# its checkers (KUnit, fail_make_request on mirrors and snapshots, dm-dust, netlink
	# fuzzing with 20k messages as root and 20k unprivileged: 851 s for 50k each with five
	# VMs on the machine), the
	# volume and snapshot data tests, a snapshot store's own map (its locks under lockdep)
	# and the metadata device's write intents (the intent writer and the lazy clear; test_meta_01, 450 s here, ran clean on this kernel and
	# runs on every stock lane).  test_fault_01_flakey
	# (400 s here), test_mirror_01 (150 s) and test_clone_01 (120 s) run on every stock
	# lane.  The whole suite (VDREP_DEBUG_TESTS=all) takes 5-12 times the stock lanes'
	# time here (about 8000 s of guest time) and does not fit CI's 90 minutes on 2 cores.
	# In this order, dealt round-robin to two VMs, the two take about the same time: with
	# five VMs on the machine test_fault_02 took 12.5 minutes here, test_snapshot_01 9,
	# test_fault_03 8, test_netlink_fuzz 14 for 50k messages per user.
	want=${VDREP_DEBUG_TESTS:-"test_fault_02_* test_netlink_fuzz test_meta_05_*
		test_snapshot_01_* test_volume_01_* test_fault_03_* test_meta_06_* test_kunit"}
	[ "$want" = all ] && want="test_*"
	if [ ${#tests[@]} -eq 0 ]; then
		local pattern patterns
		read -ra patterns <<<"${want//$'\n'/ }"
		for pattern in "${patterns[@]}"; do
			for t in "$VDREP_TOP"/tools/testing/selftests/vdrep/${pattern%.sh}.sh; do
				[ -e "$t" ] && tests+=("$(basename "$t")")
			done
		done
	fi
	[ "$nshards" -le ${#tests[@]} ] || nshards=${#tests[@]}
	for ((k = 0; k < nshards; k++)); do
		local shard=()
		for ((t = k; t < ${#tests[@]}; t += nshards)); do
			shard+=("${tests[t]}")
		done
		# A test's limit (settings: 900 s) is sized for the stock kernels.
		VDREP_TEST_TIMEOUT=${VDREP_TEST_TIMEOUT:-1800} \
			VDREP_FUZZ_COUNT=${VDREP_FUZZ_COUNT:-20000} \
			"$VM_DIR/run.sh" --lane debug --timeout "$budget" --log "$logs/debug-$k" \
			"${shard[@]}" >"$logs/debug-$k.out" 2>&1 &
		pids+=($!)
	done
	for ((k = 0; k < nshards; k++)); do
		wait "${pids[k]}" || true
		sed -E "\$ s/^([0-9]+ passed, [0-9]+ failed.*)/# lane debug, VM $((k + 1)) of $nshards: \1/" \
			"$logs/debug-$k.out"
		if read -r p2 f2 s2 <"$logs/debug-$k/counts" 2>/dev/null; then
			p=$((p + p2)) f=$((f + f2)) s=$((s + s2))
		else
			echo "not ok debug vm $((k + 1)): the runner reported nothing (log: $logs/debug-$k)"
			f=$((f + 1))
		fi
	done
	echo "$p $f $s" >"$logs/debug.counts"
}
debug_pid=
if [ "${VDREP_DEBUG_LANE:-1}" = 1 ]; then
	debug_stream "$@" &
	debug_pid=$!
	say "debug lane: building its kernel and running its VM in the background ($logs/debug.out)"
fi

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
# sanitizer build, shellcheck): each of its KTAP lines is a result here.  The debug tree
# is being built beside this, so the kernels checked are the stock ones.
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

# ---- the stock lanes ----------------------------------------------------------------------
# Each lane builds and runs in the background as soon as a slot is free: VDREP_STOCK_SLOTS
# lanes at once (default 3: all of them), beside the debug stream.  Each VM runs its vCPUs on one host
# thread (run.sh: TCG thread=single), so VMs side by side share the cores without stalling
# each other: with multi-threaded TCG, two 2-vCPU VMs on 2 cores took 1.5-6 times (median
# 3x) each test's time alone (run-all-20261126-042025), since a cross-CPU TLB flush waits
# for a vCPU thread that is off-CPU; with thread=single the two halves of lane 6.12 side by
# side took 9 and 12 minutes (one lane at a time with multi-threaded TCG: 19-26 minutes
# a lane in CI).  Each lane's lines go to
# $logs/LANE.out and are printed in lane order.
stock_lane() { # LANE FIRST(1 for the first lane)
	local lane=$1 budget
	budget=$((deadline - SECONDS - 120))
	[ -z "${VDREP_LANE_TIMEOUT:-}" ] || [ "$budget" -le "$VDREP_LANE_TIMEOUT" ] ||
		budget=$VDREP_LANE_TIMEOUT
	if [ "$budget" -lt 120 ]; then
		echo "not ok $lane vm: not run, the total time budget is used up"
		echo "0 1 0" >"$logs/$lane.counts"
		return
	fi
	if ! "$VM_DIR/build-module.sh" "$lane" >"$logs/build-$lane.log" 2>&1; then
		sed 's/^/# /' "$logs/build-$lane.log" | tail -n 40
		echo "not ok $lane build: vdrep.ko or vdrepctl did not build (log: $logs/build-$lane.log)"
		echo "0 1 0" >"$logs/$lane.counts"
		return
	fi
	echo "ok $lane build: vdrep.ko$([ -e "$VDREP_TOP/userspace/Makefile" ] && echo " and vdrepctl")"
	local p=1 f=0 s=0 p2 f2 s2
	# The first lane runs the tests that drive vdrepctl's parsing, output and error paths
	# (VDREP_ASAN_TESTS, names or globs, or "all") with vdrepctl built with ASan, LSan and
	# UBSan (any report aborts it).  Not every test: a sanitized vdrepctl takes twice as
	# long to run in the guest (1.2 s against 0.6 s on a busy host), and with it for every
	# test that lane ended 8 minutes after the others (test_mirror_08: 726 s
	# against 366 s on lane 6.12 beside it).
	local asan=()
	if [ "$2" = 1 ]; then
		if make -s -C "$VDREP_TOP/userspace" asan >"$logs/asan-build.log" 2>&1; then
			local want=${VDREP_ASAN_TESTS:-"test_volume_01_* test_volume_05_* test_volume_06_*
				test_volume_08_* test_mirror_10_* test_mirror_11_* test_mirror_20_*
				test_snapshot_06_* test_snapshot_20_* test_clone_02_* test_clone_20_*
				test_meta_02_*"}
			[ "$want" = all ] && want="test_*"
			local pats
			read -ra pats <<<"${want//[$'\n\t']/ }"
			want=${pats[*]}
			asan=(VDREPCTL_ASAN="$VDREP_TOP/userspace/asan/vdrepctl" VDREP_ASAN_TESTS="$want")
			say "lane $lane: vdrepctl with AddressSanitizer and UBSan for $want"
		else
			echo "not ok $lane build: vdrepctl's sanitizer build failed (log: $logs/asan-build.log)"
			f=1
		fi
	fi
	# The lane's own summary becomes a comment; only the total is a summary line.
	# A test's limit (settings: 900 s) is for a VM alone: here five share 2 cores, and
	# test_mirror_08 took 726 s on the ASan lane (118 s beside one other VM).
	# CI's share of the longest loops: 50k fuzz messages per user (100k by hand), 30 s of
	# copy-on-write stress (60 s by hand).
	env "${asan[@]}" VDREP_TEST_TIMEOUT="${VDREP_TEST_TIMEOUT:-1800}" \
		VDREP_FUZZ_COUNT="${VDREP_FUZZ_COUNT:-50000}" \
		VDREP_STRESS_RUNTIME="${VDREP_STRESS_RUNTIME:-30}" \
		"$VM_DIR/run.sh" --lane "$lane" --timeout "$budget" \
		--log "$logs/$lane" "${tests[@]}" | sed -E "\$ s/^([0-9]+ passed, [0-9]+ failed.*)/# lane $lane: \1/" ||
		true # a failed test is counted below; under set -e it would end the lane here
	if read -r p2 f2 s2 <"$logs/$lane/counts" 2>/dev/null; then
		p=$((p + p2)) f=$((f + f2)) s=$((s + s2))
	else
		echo "not ok $lane vm: the runner reported nothing (log: $logs/$lane)"
		f=$((f + 1))
	fi
	# Power-cut cycles (powercut.sh: QEMU killed mid-write, the next boot assembles and
	# checks), VDREP_POWERCUT_CYCLES of them (default 2, about 25 s a boot here; 20 and more
	# by hand), when the whole suite runs.
	local cycles=${VDREP_POWERCUT_CYCLES:-2} line
	if [ ${#tests[@]} -eq 0 ] && [ "$cycles" -gt 0 ]; then
		# Three boots take 1.5 to 3 minutes here; with less time left they are skipped,
		# said so, rather than the whole run going over CI's limit.
		if [ $((deadline - SECONDS)) -lt 300 ]; then
			echo "ok $lane powercut # SKIP $((deadline - SECONDS)) s left of the total budget"
			s=$((s + 1))
		else
			# Its disk images and boot logs: $CACHE/powercut/LANE, made afresh each run.
			timeout -k 10 $((deadline - SECONDS - 60)) "$VM_DIR/powercut.sh" --lane "$lane" \
				--cycles "$cycles" >"$logs/powercut-$lane.out" 2>&1 || true
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
		fi
	fi
	echo "$p $f $s" >"$logs/$lane.counts"
}

# Stock lanes running now.
busy_slots() {
	local n=0 pid
	for pid in "${lane_pids[@]}"; do
		kill -0 "$pid" 2>/dev/null && n=$((n + 1))
	done
	echo "$n"
}

tests=("$@")
lane_pids=()
first=1
for lane in $lanes; do
	while [ "$(busy_slots)" -ge "${VDREP_STOCK_SLOTS:-3}" ]; do
		sleep 5
	done
	say "lane $lane: starting (log: $logs/$lane.out)"
	stock_lane "$lane" "$first" >"$logs/$lane.out" 2>&1 &
	lane_pids+=($!)
	first=0
done
set +e
i=0
for lane in $lanes; do
	wait "${lane_pids[i]}"
	say "lane $lane: done ($(cat "$logs/$lane.counts" 2>/dev/null || echo "no counts"): passed, failed, skipped)"
	i=$((i + 1))
done
set -e
for lane in $lanes; do
	cat "$logs/$lane.out"
	if read -r p f s <"$logs/$lane.counts" 2>/dev/null; then
		passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	else
		result "not ok" "$lane: the lane reported nothing (log: $logs/$lane.out)"
	fi
done

if [ -n "$debug_pid" ]; then
	say "waiting for the debug lane"
	wait "$debug_pid" || true
	cat "$logs/debug.out"
	if read -r p f s <"$logs/debug.counts" 2>/dev/null; then
		passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	else
		result "not ok" "debug lane: reported nothing (log: $logs/debug.out)"
	fi
fi

echo "# logs: $logs"
echo "$passed passed, $failed failed$([ $skipped -gt 0 ] && echo ", $skipped skipped")"
[ $failed -eq 0 ]
exit
}
