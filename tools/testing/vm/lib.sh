# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the VM test scripts; sourced, not run.

VDREP_CACHE=${VDREP_CACHE:-/var/cache/vdrep}
CACHE=$VDREP_CACHE
VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VDREP_TOP=${VDREP_TOP:-$(cd "$VM_DIR/../../.." && pwd)}
TRIXIE=$CACHE/trixie
ALL_LANES="6.1 6.12 7"

say() { echo "${0##*/}: $*"; }
die() { echo "${0##*/}: error: $*" >&2; exit 1; }

lane_env() {
	local f=$CACHE/kernels/$1/env
	[ -r "$f" ] || die "lane $1 is not set up (no $f); run tools/testing/vm/setup.sh"
	# shellcheck disable=SC1090
	. "$f"
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
