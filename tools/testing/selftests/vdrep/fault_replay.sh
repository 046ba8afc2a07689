#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fault_replay.sh SEED ROUNDS TEST...: a guest script for run.sh that runs
# fault-injection selftests with VDREP_FAULT_SEED=SEED and
# VDREP_FAULT_ROUNDS=ROUNDS (run.sh passes no environment to the guest):
#
#   tools/testing/vm/run.sh --lane 6.12 -v \
#       --script tools/testing/selftests/vdrep/fault_replay.sh 733670432 4 test_fault_01_flakey
#
# TEST is an absolute path, a path from the repository's top, or a test
# name of this directory (test_fault_01_flakey[.sh]). See
# Documentation/dev-tools/fault-injection.rst.

[ $# -ge 3 ] || { echo "usage: $0 SEED ROUNDS TEST..." >&2; exit 2; }
export VDREP_FAULT_SEED=$1 VDREP_FAULT_ROUNDS=$2
shift 2
dir=$(cd "$(dirname "$0")" && pwd)
tests=()
for t in "$@"; do
	case $t in
	/*) ;;
	*/*) t=$VDREP_TOP/$t ;;
	*) t=$dir/${t%.sh}.sh ;;
	esac
	tests+=("$t")
done
exec "$VDREP_TOP/tools/testing/vm/guest-selftests.sh" "${tests[@]}"
