#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Default guest script of run.sh: runs each selftest given as an argument (absolute paths),
# one after the other, each under its own time limit, with its KTAP output in
# $VDREP_RESULTS/<test>.ktap and its exit status in $VDREP_RESULTS/<test>.rc.
# The kernel log gets begin/end markers so a splat can be tied to the test that caused it.

# A selftest directory may hold a kselftest "settings" file with timeout=SECONDS.
# Braces: bash reads the whole script before running it, so editing it mid-run is safe.
{
test_timeout() {
	local t
	t=$(sed -n 's/^timeout=\([0-9][0-9]*\)$/\1/p' "$(dirname "$1")/settings" 2>/dev/null)
	echo "${VDREP_TEST_TIMEOUT:-${t:-300}}"
}

for t in "$@"; do
	name=$(basename "$t" .sh)
	limit=$(test_timeout "$t")
	echo "vdrep-vm: begin $name" >/dev/kmsg
	echo "# vdrep-vm: running $name (limit ${limit}s)"
	start=$SECONDS
	(cd /tmp && timeout -k 10 "$limit" bash "$t" </dev/null 2>&1) | tee "$VDREP_RESULTS/$name.ktap"
	rc=${PIPESTATUS[0]}
	echo "$rc" >"$VDREP_RESULTS/$name.rc"
	echo "# vdrep-vm: $name exited $rc after $((SECONDS - start))s"
	echo "vdrep-vm: end $name rc=$rc" >/dev/kmsg
done
exit 0
exit
}
