#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Create and destroy need CAP_NET_ADMIN: a caller without it (uid 65534
# via setpriv, which drops every capability) gets EPERM and changes
# nothing, through vdrepctl and through raw netlink; showing volumes needs
# no privilege.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

test_init
require_tools setpriv
ktap_plan 9

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 1 16 || ktap_abort "cannot set up brd ramdisks"

EPERM="Operation not permitted"

# Copies the unprivileged user can certainly read and run (the tree may
# not be readable to it through 9p).
chmod 755 "$tmpdir"
install -m 755 "$VDREPCTL" "$tmpdir/vdrepctl"
install -D -m 644 "$VDREP_TOP/uapi/linux/vdrep.h" "$tmpdir/uapi/linux/vdrep.h"
install -m 644 "$VDREP_TEST_DIR/vdrep_nl.py" "$tmpdir/vdrep_nl.py"

nobody()
{
	setpriv --reuid=65534 --regid=65534 --clear-groups env VDREP_TOP="$tmpdir" "$@"
}

expect_fail_cmd "non-root volume create: EPERM" "$EPERM" "" \
	nobody "$tmpdir/vdrepctl" volume create t06 source /dev/ram0
expect_fail_cmd "non-root raw create: EPERM" "$EPERM" "" \
	nobody "$PYTHON" -S "$tmpdir/vdrep_nl.py" create --name t06 --source /dev/ram0
check "/dev/ram0 is not held after the refusals" open_excl /dev/ram0

check "root creates t06" vol_create t06 /dev/ram0 || ktap_abort "volume create failed"
expect_fail_cmd "non-root volume destroy: EPERM" "$EPERM" "" \
	nobody "$tmpdir/vdrepctl" volume destroy t06
expect_fail_cmd "non-root volume destroy of an unknown name: EPERM, not ENOENT" "$EPERM" "" \
	nobody "$tmpdir/vdrepctl" volume destroy no-such-volume

show_as_nobody()
{
	if nobody "$tmpdir/vdrepctl" volume show >"$tmpdir/show.out" 2>&1 &&
		grep -q '^t06: ' "$tmpdir/show.out"; then
		return 0
	fi
	cat "$tmpdir/show.out"
	return 1
}
check "non-root volume show works" show_as_nobody
check "root destroys t06" vol_destroy t06

ktap_finished
