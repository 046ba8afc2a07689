#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-module.sh LANE: build vdrep.ko for one kernel lane in its own build directory (lanes
# never share objects; lane 7 builds inside the Debian 13 chroot with that kernel's gcc)
# and print the path of the result, $VDREP_CACHE/build/LANE/vdrep.ko (and put the KUnit
# tests' vdrep_kunit.ko beside it when the kernel has KUnit: lane debug).  Also builds
# userspace/vdrepctl on the host when the repository has it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 LANE" >&2; exit 2; }
lane=$1
lane_env "$lane"

out=$CACHE/build/$lane
mkdir -p "$out"
# One build per lane at a time (other shells may be testing the same tree).
exec 9>"$CACHE/build/.$lane.lock"
flock 9

[ -e "$VDREP_TOP/Kbuild" ] || die "no Kbuild in $VDREP_TOP"
rm -f "$out/vdrep.ko" "$out/vdrep_kunit.ko"
if [ "$BUILD_IN_CHROOT" = 1 ]; then
	inner=/var/tmp/vdrep-build/$lane
	copy_sources "$CHROOT$inner"
	chroot_mount "$CHROOT"
	say "lane $lane: make module KDIR=$KDIR (in the chroot $CHROOT)" >&2
	in_chroot make -C "$inner" KDIR="$KDIR" module >&2
	chroot_umount
	cp "$CHROOT$inner/vdrep.ko" "$out/vdrep.ko"
	if [ -e "$CHROOT$inner/vdrep_kunit.ko" ]; then cp "$CHROOT$inner/vdrep_kunit.ko" "$out/"; fi
else
	copy_sources "$out/src"
	say "lane $lane: make module KDIR=$KDIR" >&2
	make -C "$out/src" KDIR="$KDIR" module >&2
	cp "$out/src/vdrep.ko" "$out/vdrep.ko"
	if [ -e "$out/src/vdrep_kunit.ko" ]; then cp "$out/src/vdrep_kunit.ko" "$out/"; fi
fi

# The host tools are shared by every lane: one make at a time (lanes build side by side).
exec 8>"$CACHE/build/.host-tools.lock"
flock 8
if [ -e "$VDREP_TOP/userspace/Makefile" ]; then
	make -s -C "$VDREP_TOP/userspace" >&2
fi
make -s -C "$VDREP_TOP/tools/testing/selftests/vdrep" >&2
flock -u 8
echo "$out/vdrep.ko"
