#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Regenerate uapi/linux/vdrep.h and kernel/netlink-gen.[ch] from
# Documentation/netlink/specs/vdrep.yaml with the kernel's YNL generator.
#
#   scripts/ynl-regen.sh           rewrite the committed files
#   scripts/ynl-regen.sh --check   exit 1 (and show a diff) if they are stale
#
# ynl-gen-c.py wants a kernel tree around the spec (it walks up to a
# MAINTAINERS file and reads the schema from <spec dir>/../<protocol>.yaml), so
# we generate in a scratch tree holding the spec, the schema files from
# linux-source and an empty MAINTAINERS, then copy the outputs back.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
ynl_src=${VDREP_YNL_SRC:-${VDREP_CACHE:-/var/cache/vdrep}/linux-source-6.12}
gen=$ynl_src/tools/net/ynl/ynl-gen-c.py
python=${PYTHON:-/usr/bin/python3}
check=
[ "${1:-}" = --check ] && check=1

if [ ! -f "$gen" ]; then
	echo "ynl-regen: $gen not found; run tools/testing/vm/setup.sh first" >&2
	exit 2
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/Documentation/netlink/specs" "$scratch/out"
touch "$scratch/MAINTAINERS"
cp "$ynl_src"/Documentation/netlink/*.yaml "$scratch/Documentation/netlink/"
cp "$top/Documentation/netlink/specs/vdrep.yaml" "$scratch/Documentation/netlink/specs/"
spec=$scratch/Documentation/netlink/specs/vdrep.yaml

# name in the tree            mode    what
outputs=(
	"uapi/linux/vdrep.h        uapi   --header"
	"kernel/netlink-gen.h      kernel --header"
	"kernel/netlink-gen.c      kernel --source"
)

stale=0
for o in "${outputs[@]}"; do
	read -r path mode kind <<<"$o"
	out=$scratch/out/$(basename "$path")
	(cd "$scratch" && "$python" "$gen" --mode "$mode" "$kind" --spec "$spec" \
		-o "$out" >/dev/null)
	# The generator names the spec by its path below the kernel root, which
	# is the same here; keep the include of the generated header local.
	# The generated group array is static and the family struct is not
	# generated for genetlink-legacy; export the array so the hand-written
	# family in kernel/netlink.c can use it.
	sed -i -e 's|#include <uapi/linux/vdrep.h>|#include "../uapi/linux/vdrep.h"|' \
		-e 's|#include "vdrep-nl.h"|#include "netlink-gen.h"|' \
		-e 's|^static const struct genl_multicast_group|const struct genl_multicast_group|' \
		-e 's|^/\* Ops table for vdrep \*/$|extern const struct genl_multicast_group vdrep_nl_mcgrps[];\n\n&|' "$out"
	[ "$path" = kernel/netlink-gen.h ] || sed -i -e '/^extern const struct genl_multicast_group vdrep_nl_mcgrps\[\];$/,+1d' "$out"
	if [ -n "$check" ]; then
		if ! diff -u "$top/$path" "$out"; then
			echo "ynl-regen: $path is stale; run scripts/ynl-regen.sh" >&2
			stale=1
		fi
	else
		mkdir -p "$(dirname "$top/$path")"
		cp "$out" "$top/$path"
		echo "	GEN $path"
	fi
done
exit $stale
