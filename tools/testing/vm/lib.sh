# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # ALL_LANES, DEBUG_KERNEL_DIR, CMDLINE_EXTRA: read by the sourcing scripts
# Shared helpers for the VM test scripts; sourced, not run.

VDREP_CACHE=${VDREP_CACHE:-/var/cache/vdrep}
CACHE=$VDREP_CACHE
VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VDREP_TOP=${VDREP_TOP:-$(cd "$VM_DIR/../../.." && pwd)}
TRIXIE=$CACHE/trixie
ALL_LANES="6.1 6.12 7"
# The fourth lane, "debug", is a kernel built by debug-kernel/build.sh (not in ALL_LANES).
DEBUG_KERNEL_DIR=$CACHE/debug-kernel

say() { echo "${0##*/}: $*"; }
die() { echo "${0##*/}: error: $*" >&2; exit 1; }

lane_env() {
	local f=$CACHE/kernels/$1/env
	CMDLINE_EXTRA=
	if [ "$1" = debug ]; then
		[ -r "$f" ] || die "lane debug is not built (no $f); run tools/testing/vm/debug-kernel/build.sh"
		# shellcheck disable=SC1090
		. "$f"
		[ "$DEBUG_KEY" = "$(debug_kernel_key)" ] ||
			die "the debug kernel in $KDIR is stale (debug.config or linux-source-6.12 changed); run tools/testing/vm/debug-kernel/build.sh"
		return 0
	fi
	[ -r "$f" ] || die "lane $1 is not set up (no $f); run tools/testing/vm/setup.sh"
	# shellcheck disable=SC1090
	. "$f"
}

# Cache key of the debug kernel: its config fragment's settings (not its comments) and the
# linux-source-6.12 version.
debug_kernel_key() {
	local ver
	ver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null) || return 0
	{
		sed -e '/^# CONFIG_/b' -e '/^#/d' -e '/^[[:space:]]*$/d' \
			"$VM_DIR/debug-kernel/debug.config"
		echo "linux-source-6.12 $ver"
	} | sha256sum | cut -c1-16
}

# Mounts made for chroot work are undone on exit, and only the ones we made.
CHROOT_MOUNTS=()
chroot_mount() {
	local root=$1 m
	for m in proc sys dev dev/pts; do
		mountpoint -q "$root/$m" && continue
		mkdir -p "$root/$m"
		case $m in
		proc) mount -t proc proc "$root/proc" ;;
		sys) mount -t sysfs sysfs "$root/sys" ;;
		dev) mount --bind /dev "$root/dev" ;;
		dev/pts) mount -t devpts devpts "$root/dev/pts" ;;
		esac
		CHROOT_MOUNTS=("$root/$m" "${CHROOT_MOUNTS[@]}")
	done
	# shellcheck disable=SC2015 # no resolv.conf, or one that cannot be copied: fine either way
	[ -r /etc/resolv.conf ] && cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
	trap chroot_umount EXIT
}
chroot_umount() {
	local m
	for m in "${CHROOT_MOUNTS[@]}"; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	CHROOT_MOUNTS=()
}
in_chroot() {
	chroot "$TRIXIE" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

# copy_sources DEST: the module's sources only (Kbuild, Makefile, kernel/ with its tests,
# uapi/, dkms.conf), without objects: the developer's tree may hold some built for another
# kernel.
copy_sources() {
	rm -rf "$1"
	mkdir -p "$1"
	# shellcheck disable=SC2046 # split on purpose: dkms.conf is named only when it exists
	tar -C "$VDREP_TOP" -cf - --exclude='*.o' --exclude='*.ko' --exclude='*.mod' \
		--exclude='*.mod.c' --exclude='.*.cmd' --exclude='*.a' --exclude='*.order' \
		--exclude='*.symvers' Kbuild Makefile kernel uapi \
		$(cd "$VDREP_TOP" && ls dkms.conf 2>/dev/null) | tar -C "$1" -xf -
}
