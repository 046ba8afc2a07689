#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel/build.sh: build the "debug" lane's guest kernel (KASAN, lockdep, kmemleak,
# KUnit, fail_make_request, ...) from Debian's linux-source-6.12: x86_64 defconfig +
# kvm_guest.config + debug.config, out of tree into $VDREP_CACHE/debug-kernel/KEY, where KEY
# hashes debug.config and the linux-source-6.12 version.  A finished build of the same key is
# reused (a few seconds).  Modules are installed into KEY/mods; KEY itself is the tree that
# external modules build against (make -C KEY M=...).  Writes $VDREP_CACHE/kernels/debug/env,
# the lane description run.sh and build-module.sh read, and prints the tree's path.
# Environment: VDREP_DEBUG_JOBS (make -j, default 2), VDREP_DEBUG_NICE (default 19: a
# background job; run-all.sh passes 0, the build being on its critical path); ccache in
# $VDREP_CACHE/ccache.
# Braces: bash reads the whole script before running it, so editing it mid-run is safe.
{
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

export DEBIAN_FRONTEND=noninteractive
PKGS="linux-source-6.12 ccache build-essential bc flex bison libelf-dev libssl-dev kmod cpio
	xz-utils"
FRAGMENT=$VM_DIR/debug-kernel/debug.config
mkdir -p "$DEBUG_KERNEL_DIR" "$CACHE/kernels/debug"
exec 8>"$DEBUG_KERNEL_DIR/.lock"
flock 8

installed() {
	local p
	for p; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
			return 1
	done
}
# shellcheck disable=SC2086
if ! installed $PKGS; then
	say "installing what is missing of: ${PKGS//[[:space:]]/ }"
	apt=(apt-get install -y -qq --no-install-recommends)
	if ! "${apt[@]}" $PKGS >/dev/null; then
		apt-get update -qq
		"${apt[@]}" $PKGS >/dev/null
	fi
fi

ver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
key=$(debug_kernel_key)
out=$DEBUG_KERNEL_DIR/$key
bzimage=$out/arch/x86/boot/bzImage

# The kernel has no ACPI (debug.config), so nothing extra is needed on its command line.
CMDLINE_EXTRA=""
write_env() {
	local krel
	krel=$(cat "$out/include/config/kernel.release")
	cat >"$CACHE/kernels/debug/env.$$" <<-EOS
	# Written by tools/testing/vm/debug-kernel/build.sh; sourceable.
	LANE=debug
	KREL=$krel
	KVER=$ver
	VMLINUZ=$bzimage
	MODDIR=$out/mods/lib/modules/$krel
	KDIR=$out
	BUILD_IN_CHROOT=0
	CHROOT=
	DEBUG_KEY=$key
	CMDLINE_EXTRA="$CMDLINE_EXTRA"
	EOS
	mv "$CACHE/kernels/debug/env.$$" "$CACHE/kernels/debug/env"
}

if [ -e "$out/.complete" ] && [ -s "$bzimage" ] &&
   [ -s "$out/mods/lib/modules/$(cat "$out/include/config/kernel.release")/modules.dep" ]; then
	say "debug kernel $key (linux-source-6.12 $ver) ready"
	write_env
	echo "$out"
	exit 0
fi

# ---- the source, unpacked once per linux-source version ---------------------------------------
src=$DEBUG_KERNEL_DIR/src/linux-source-6.12_$(echo "$ver" | tr '~:' '__')
if [ ! -e "$src/.unpacked" ]; then
	say "unpacking /usr/src/linux-source-6.12.tar.xz ($ver)"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xJf /usr/src/linux-source-6.12.tar.xz -C "$src.tmp" --strip-components=1
	touch "$src.tmp/.unpacked"
	mv "$src.tmp" "$src"
fi

# ---- configure ----------------------------------------------------------------------------
export PATH=/usr/lib/ccache:$PATH
export CCACHE_DIR=$CACHE/ccache CCACHE_BASEDIR=$DEBUG_KERNEL_DIR CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
# Same objects whatever the time or place of the build, so ccache hits across keys.
export KBUILD_BUILD_TIMESTAMP="linux-source-6.12 $ver" KBUILD_BUILD_USER=vdrep
export KBUILD_BUILD_HOST=vdrep
mk=(make -C "$src" O="$out" ARCH=x86_64)

say "debug kernel $key: configuring in $out"
rm -rf "$out"
mkdir -p "$out"
start=$SECONDS
log=$out/build.log
run() { # log the command's output; show its end when it fails
	if ! "$@" >>"$log" 2>&1; then
		tail -n 40 "$log" >&2
		die "failed: $* (log: $log)"
	fi
}
run "${mk[@]}" x86_64_defconfig
run "${mk[@]}" kvm_guest.config
(cd "$src" && run scripts/kconfig/merge_config.sh -m -O "$out" "$out/.config" "$FRAGMENT")
run "${mk[@]}" olddefconfig
# Every line of the fragment must have survived (a dependency may have dropped it).
bad=0
while read -r line; do
	case $line in
	CONFIG_*=*) sym=${line%%=*} ;;
	"# CONFIG_"*" is not set") sym=${line#\# }; sym=${sym%% *} ;;
	*) continue ;;
	esac
	got=$(grep -E "^$sym=|^# $sym is not set" "$out/.config" || echo "# $sym is not set")
	[ "$line" = "$got" ] || { echo "debug.config: wanted '$line', got '$got'" >&2; bad=1; }
done <"$FRAGMENT"
[ $bad = 0 ] || die "debug.config does not survive olddefconfig"

# ---- build --------------------------------------------------------------------------------
say "debug kernel $key: building (nice -n ${VDREP_DEBUG_NICE:-19} make -j${VDREP_DEBUG_JOBS:-2}; log: $log)"
ccache -z >/dev/null
run nice -n "${VDREP_DEBUG_NICE:-19}" "${mk[@]}" -j"${VDREP_DEBUG_JOBS:-2}" bzImage modules
run "${mk[@]}" INSTALL_MOD_PATH="$out/mods" modules_install
ccache -s >>"$log" 2>&1 || true
took=$((SECONDS - start))
echo "$took" >"$out/build-seconds"
touch "$out/.complete"
write_env
say "debug kernel $key: built in $((took / 60)) min $((took % 60)) s ($(ccache -s 2>/dev/null |
	sed -n 's/^ *Hits: *\([0-9]*\) \/ *\([0-9]*\).*/ccache hits \1 of \2/p' | head -n1))"
echo "$out"
exit
}
