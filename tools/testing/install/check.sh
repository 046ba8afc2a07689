#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make install DESTDIR=...` for every kernel whose headers are installed on
# this host (the 6.1 and 6.12 lanes), from a copy of the tracked files so the
# checkout stays clean. Checks that the module (with that kernel's vermagic),
# vdrepctl, the udev rules and the man page land under DESTDIR and nothing
# lands in the host's /lib/modules. Prints KTAP.
set -u
top=$(cd "$(dirname "$0")/../../.." && pwd)
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
# shellcheck source-path=SCRIPTDIR source=../host-lib.sh
. "$top/tools/testing/host-lib.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "TAP version 13"
echo "1..$((2 * ${#host_kernels[@]}))"

# installed_files DEST KREL: what make install must have written, and that
# each works: the module for KREL, vdrepctl of this version, rules, man page.
installed_files() {
	local dest=$1 k=$2 ko

	# extra/ or updates/, vdrep.ko or .ko.xz: as that kernel's kbuild does it.
	ko=$(find "$dest/lib/modules/$k" -name 'vdrep.ko*' 2>/dev/null | head -n1)
	[ -n "$ko" ] || { echo "no vdrep.ko under $dest/lib/modules/$k"; return 1; }
	modinfo -F vermagic "$ko" | grep -q "^$k " ||
		{ echo "$ko: vermagic $(modinfo -F vermagic "$ko"), not $k"; return 1; }
	[ "$("$dest/usr/sbin/vdrepctl" --version)" = "vdrepctl $version" ] ||
		{ echo "$dest/usr/sbin/vdrepctl --version failed"; return 1; }
	[ -s "$dest/lib/udev/rules.d/60-vdrep.rules" ] || { echo "missing udev rules"; return 1; }
	[ -s "$dest/usr/share/man/man8/vdrepctl.8" ] || { echo "missing man page"; return 1; }
}

# The vdrep modules in the host's tree for KREL, with their times.
host_modules() {
	find "/lib/modules/$1" -name 'vdrep.ko*' -printf '%p %T@\n' 2>/dev/null | sort
}

for k in "${host_kernels[@]}"; do
	src=$work/$k/src dest=$work/$k/dest log=$work/$k.log
	mkdir -p "$src"
	(cd "$top" && git ls-files -z | cpio -0pdm --quiet "$src")
	host_before=$(host_modules "$k")
	make -C "$src" install DESTDIR="$dest" KDIR="/lib/modules/$k/build" >"$log" 2>&1
	result $? "make install DESTDIR=... for $k" "$log"
	installed_files "$dest" "$k" >>"$log" 2>&1
	rc=$?
	if [ "$(host_modules "$k")" != "$host_before" ]; then
		echo "the host's /lib/modules/$k changed: $(host_modules "$k")" >>"$log"
		rc=1
	fi
	result $rc "$k: module, vdrepctl, udev rules, man page under DESTDIR only" "$log"
done
exit $host_failed
