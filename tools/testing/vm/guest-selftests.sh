#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Default guest script of run.sh: runs each selftest given as an argument (absolute paths),
# one after the other (those named by VDREP_ASAN_TESTS with VDREPCTL_ASAN as VDREPCTL), each
# under its own time limit, with its KTAP output in
# $VDREP_RESULTS/<test>.ktap and its exit status in $VDREP_RESULTS/<test>.rc.
# The kernel log gets begin/end markers so a splat can be tied to the test that caused it.
# On a kernel with kmemleak (the debug lane), reports from boot are cleared first, and after
# the last test a scan's reports become the pseudo-test "kmemleak" (kmemleak.ktap): it fails
# on any unreferenced object allocated by vdrep (a vdrep frame in its backtrace, or a frame
# in an unloaded module, which is what vdrep's frames become after an rmmod).

# A selftest directory may hold a kselftest "settings" file with timeout=SECONDS.
# Braces: bash reads the whole script before running it, so editing it mid-run is safe.
{
test_timeout() {
	local t
	t=$(sed -n 's/^timeout=\([0-9][0-9]*\)$/\1/p' "$(dirname "$1")/settings" 2>/dev/null)
	echo "${VDREP_TEST_TIMEOUT:-${t:-300}}"
}

KMEMLEAK=/sys/kernel/debug/kmemleak
if [ -w "$KMEMLEAK" ]; then
	echo scan >"$KMEMLEAK"
	echo clear >"$KMEMLEAK"
fi

# asan_test NAME: NAME is one of VDREP_ASAN_TESTS (names or globs), to run with
# VDREPCTL_ASAN, the sanitizer build of vdrepctl.
asan_test() {
	local pattern patterns
	[ -n "${VDREPCTL_ASAN:-}" ] || return 1
	read -ra patterns <<<"${VDREP_ASAN_TESTS:-}"
	for pattern in "${patterns[@]}"; do
		# shellcheck disable=SC2053 # a glob on purpose
		[[ $1 == ${pattern%.sh} ]] && return 0
	done
	return 1
}

for t in "$@"; do
	name=$(basename "$t" .sh)
	limit=$(test_timeout "$t")
	ctl=$VDREPCTL with=
	if asan_test "$name"; then
		ctl=$VDREPCTL_ASAN with=", with $VDREPCTL_ASAN"
	fi
	echo "vdrep-vm: begin $name" >/dev/kmsg
	echo "# vdrep-vm: running $name (limit ${limit}s)$with"
	start=$SECONDS
	# <test>.times: each output line after the seconds since the test began (where its time
	# goes, for keeping CI short).
	(cd /tmp && VDREPCTL=$ctl timeout -k 10 "$limit" bash "$t" </dev/null 2>&1) |
		tee "$VDREP_RESULTS/$name.ktap" |
		while IFS= read -r line; do
			echo "$line"
			echo "$((SECONDS - start)) $line" >>"$VDREP_RESULTS/$name.times"
		done
	rc=${PIPESTATUS[0]}
	echo "$rc" >"$VDREP_RESULTS/$name.rc"
	echo "# vdrep-vm: $name exited $rc after $((SECONDS - start))s"
	echo "vdrep-vm: end $name rc=$rc" >/dev/kmsg
done

kmemleak_report() {
	local out=$VDREP_RESULTS/kmemleak.ktap all=$VDREP_RESULTS/kmemleak.txt n
	# An object must be older than kmemleak's minimum age (5 s) to be reported, and a
	# second scan drops the ones only a stale register or stack slot seemed to leak.
	sleep 6
	echo scan >"$KMEMLEAK"
	sleep 1
	echo scan >"$KMEMLEAK"
	cat "$KMEMLEAK" >"$all"
	# kmemleak prints frames with %pS: "vdrep_x+0x1/0x2 [vdrep]", or a bare address once
	# the module that held it is gone.
	awk -v RS='unreferenced object' 'NR > 1 && (/\[vdrep\]/ || /\n +0xffffffff[a-f][0-9a-f]+\n/) {
		printf "unreferenced object%s", $0 }' "$all" >"$VDREP_RESULTS/kmemleak-vdrep.txt"
	n=$(grep -c '^unreferenced object' "$VDREP_RESULTS/kmemleak-vdrep.txt")
	{
		echo "TAP version 13"
		echo "1..1"
		echo "# kmemleak: $(grep -c '^unreferenced object' "$all") unreferenced objects in all, $n from vdrep"
		if [ "$n" -eq 0 ]; then
			echo "ok 1 - kmemleak finds no unreferenced vdrep object after the tests"
		else
			sed 's/^/# /' "$VDREP_RESULTS/kmemleak-vdrep.txt" | head -n 200
			echo "not ok 1 - kmemleak: $n unreferenced vdrep objects after the tests"
		fi
	} >"$out"
	cat "$out"
	echo 0 >"$VDREP_RESULTS/kmemleak.rc"
}
if [ -w "$KMEMLEAK" ]; then
	echo "# vdrep-vm: running kmemleak scan"
	kmemleak_report
fi
exit 0
exit
}
