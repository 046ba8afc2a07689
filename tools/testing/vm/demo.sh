#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh: the end-to-end demonstration.  Installs what is missing, builds vdrep.ko and
# vdrepctl for lane 6.1 (VDREP_DEMO_LANE to change), boots that kernel in QEMU and runs
# demo-guest.sh there, showing its output as it goes.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lane=${VDREP_DEMO_LANE:-6.1}
"$VM_DIR/setup.sh"
log=$(mktemp)
if ! "$VM_DIR/build-module.sh" "$lane" >"$log" 2>&1; then
	cat "$log"
	rm -f "$log"
	die "the build failed"
fi
rm -f "$log"
exec "$VM_DIR/run.sh" --lane "$lane" --timeout 900 -v --script "$VM_DIR/demo-guest.sh"
