#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build and install vdrep with Debian's dkms from dkms.conf, for every kernel
# whose headers are installed on this host (the 6.1 and 6.12 lanes), then
# remove it again. Prints KTAP. Uses a private DKMS source and build tree;
# the install step writes /lib/modules/<kernel>/updates/dkms and is undone.
set -u
top=$(cd "$(dirname "$0")/../../.." && pwd)
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
# shellcheck source-path=SCRIPTDIR source=../host-lib.sh
. "$top/tools/testing/host-lib.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
make -s -C "$top" dkms-source DESTDIR="$work/src" >/dev/null
src=$work/src/usr/src
tree=$work/tree
mkdir -p "$tree"
dkms_args=(-m vdrep -v "$version" --sourcetree "$src" --dkmstree "$tree")

echo "TAP version 13"
echo "1..$((2 * ${#host_kernels[@]} + 1))"

dkms add "${dkms_args[@]}" >"$work/add.log" 2>&1
result $? "dkms add vdrep/$version" "$work/add.log"
for k in "${host_kernels[@]}"; do
	log=$work/$k.log
	dkms build "${dkms_args[@]}" -k "$k" >"$log" 2>&1
	result $? "dkms build for $k" "$log"
	ilog=$work/$k.install.log
	if dkms install "${dkms_args[@]}" -k "$k" --force >"$ilog" 2>&1 &&
	   modinfo -k "$k" -F version vdrep >>"$ilog" 2>&1 &&
	   modinfo -k "$k" -n vdrep | grep -q "/lib/modules/$k/" ; then
		rc=0
	else
		rc=1
	fi
	dkms uninstall "${dkms_args[@]}" -k "$k" >>"$ilog" 2>&1
	result $rc "dkms install for $k (modinfo finds it), then uninstall" "$ilog"
done
exit $host_failed
