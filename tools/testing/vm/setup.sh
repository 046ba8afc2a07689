#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Prepares a Debian 12 machine for building and VM-testing vdrep on every kernel lane:
#   6.1  - newest bookworm(-security) kernel, built on the host
#   6.12 - bookworm-backports kernel, built on the host
#   7    - newest 7.x kernel of trixie-backports, built in a Debian 13 chroot
# Kernel versions are resolved from the linux-image-amd64/linux-headers-amd64 metapackages
# each time (ABI numbers move), and each lane's kernel is extracted into
# $VDREP_CACHE/kernels/<lane>/root with an env file describing it.  Safe to run again: work
# already done for the resolved versions is skipped via stamp files.
# Braces: bash reads the whole script before running it, so editing it mid-run is safe.
{
set -euo pipefail
. "$(dirname "$0")/lib.sh"

export DEBIAN_FRONTEND=noninteractive
CODENAME=bookworm
HOST_PKGS="qemu-system-x86 busybox-static libnl-3-dev libnl-genl-3-dev pkg-config
	build-essential fio dmsetup e2fsprogs util-linux kmod cpio xz-utils zstd debootstrap
	python3 python3-yaml python3-jsonschema sparse dkms file udev jq linux-source-6.12 shellcheck gnuplot-nox"
mkdir -p "$CACHE/debs" "$CACHE/kernels" "$CACHE/stamps"
exec 8>"$CACHE/.setup.lock"
flock 8

# ---- apt on the host ------------------------------------------------------------------

HOST_UPDATED=0
host_update() {
	[ $HOST_UPDATED = 1 ] && return 0
	say "apt-get update"
	apt-get update -qq
	HOST_UPDATED=1
}

installed() { # PKG... -> true when every package is installed
	local p
	for p; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
			return 1
	done
}

host_install() {
	installed "$@" && return 0
	say "installing $*"
	local apt=(apt-get install -y -qq --no-install-recommends)
	if ! "${apt[@]}" "$@" >/dev/null; then
		host_update
		"${apt[@]}" "$@" >/dev/null
	fi
}

# URI of the Debian archive (or of its security archive) from the machine's own sources:
# deb822 files first, then one-line sources.list entries.
apt_uri_for_suite() {
	local suite=$1 f uri=
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		uri=$(awk -v want="$suite" 'BEGIN { RS = ""; FS = "\n" }
			{
				uris = ""; suites = ""; on = 1
				for (i = 1; i <= NF; i++) {
					if ($i ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", $i); uris = $i }
					if ($i ~ /^Suites:/) { sub(/^Suites:[ \t]*/, "", $i); suites = $i }
					if ($i ~ /^Enabled:[ \t]*[Nn]o/) on = 0
				}
				n = split(suites, s, /[ \t]+/)
				for (j = 1; j <= n; j++)
					if (on && s[j] == want) { split(uris, u, /[ \t]+/); print u[1]; exit }
			}' "$f")
		[ -n "$uri" ] && break
	done
	if [ -z "$uri" ]; then
		uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			sed -n -E "s/^deb[ \t]+(\[[^]]*\][ \t]+)?([^ \t]+)[ \t]+${suite}[ \t].*/\2/p" | head -n1)
	fi
	echo "${uri%/}"
}

MIRROR=$(apt_uri_for_suite $CODENAME)
[ -n "$MIRROR" ] || die "no $CODENAME entry found in the apt sources"
SECURITY_MIRROR=$(apt_uri_for_suite $CODENAME-security)

# ---- host packages and bookworm-backports -------------------------------------------------

BPO=/etc/apt/sources.list.d/$CODENAME-backports.sources
if [ ! -e "$BPO" ] && [ -z "$(apt_uri_for_suite $CODENAME-backports)" ]; then
	say "adding $CODENAME-backports ($MIRROR)"
	cat >"$BPO" <<-EOS
	Types: deb
	URIs: $MIRROR
	Suites: $CODENAME-backports
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOS
	host_update
fi
if ! ls /var/lib/apt/lists/*_dists_${CODENAME}_*Packages* >/dev/null 2>&1 ||
   ! ls /var/lib/apt/lists/*_dists_${CODENAME}-backports_*Packages* >/dev/null 2>&1; then
	host_update
fi

# shellcheck disable=SC2086
host_install $HOST_PKGS

# ---- kernel lanes ---------------------------------------------------------------------

# madison lines "pkg | version | uri suite/component arch Packages" -> "version suite"
madison() { awk -F'|' '{ gsub(/ /, "", $2); split($3, a, " "); sub(/\/.*/, "", a[2]); print $2, a[2] }'; }

# Depends of a package -> the names matching an extended regex, one a line
deps_matching() { sed -n 's/^Depends: //p' | head -n1 | tr ',' '\n' | sed 's/^ *//; s/ .*//' | grep -E "$1"; }

# Debs making up a kernel image: the versioned image package and, since 7.x splits it,
# the linux-{binary,modules,base}-KREL packages it depends on.
image_pkgs() { # KREL; reads "apt-cache show $IMG" on stdin
	echo "$IMG"
	# shellcheck disable=SC2001 # escapes regex characters; ${var//} has no & before bash 5.2
	deps_matching "^linux-[a-z]+-$(echo "$1" | sed 's/[.+]/\\&/g')\$"
}

# Make sure every package's deb is in $CACHE/debs, fetching the missing ones with FETCH
# (a command run in a download dir), and print the deb paths.
cached_debs() { # FETCH-FUNCTION PKG...
	local fetch=$1 p missing=()
	shift
	for p; do
		ls "$CACHE/debs/${p}_"*"_amd64.deb" >/dev/null 2>&1 || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		say "downloading ${missing[*]}" >&2
		"$fetch" "${missing[@]}" >&2
	fi
	for p; do
		# shellcheck disable=SC2012 # the first of the deb names we wrote ourselves
		ls "$CACHE/debs/${p}_"*"_amd64.deb" | head -n1
	done
}
host_fetch() {
	(cd "$CACHE/debs" && { apt-get download -qq "$@" 2>/dev/null ||
		{ host_update && apt-get download -qq "$@"; }; })
}

# Extract a kernel's debs into the lane's root and index its modules for modprobe.
extract_kernel() { # LANE KREL DEB...
	local lane=$1 krel=$2 root=$CACHE/kernels/$1/root d
	shift 2
	rm -rf "$root"
	mkdir -p "$root"
	for d; do
		say "lane $lane: extracting $(basename "$d")"
		dpkg-deb -x "$d" "$root"
	done
	# 7.x packages ship merged-/usr paths only; depmod -b looks in $root/lib/modules.
	[ -e "$root/lib" ] || ln -s usr/lib "$root/lib"
	depmod -b "$root" "$krel"
	[ -s "$root/lib/modules/$krel/modules.dep" ] || die "depmod made no modules.dep for $krel"
	vmlinuz_of "$root" "$krel" >/dev/null || die "no vmlinuz for $krel in the debs of lane $lane"
}
vmlinuz_of() { # ROOT KREL
	local f
	for f in "$1/boot/vmlinuz-$2" "$1/usr/lib/modules/$2/vmlinuz" "$1/lib/modules/$2/vmlinuz"; do
		[ -f "$f" ] && { readlink -f "$f"; return 0; }
	done
	return 1
}

write_env() { # LANE KREL KVER KDIR BUILD_IN_CHROOT
	local root=$CACHE/kernels/$1/root
	cat >"$CACHE/kernels/$1/env" <<-EOS
	# Written by tools/testing/vm/setup.sh; sourceable.
	LANE=$1
	KREL=$2
	KVER=$3
	VMLINUZ=$(vmlinuz_of "$root" "$2")
	MODDIR=$(readlink -f "$root/lib/modules/$2")
	KDIR=$4
	BUILD_IN_CHROOT=$5
	CHROOT=$([ "$5" = 1 ] && echo "$TRIXIE")
	EOS
}

# Drop debs of older kernels of a lane once a newer one is in place.
prune_debs() { # KREL LANE
	local f
	for f in "$CACHE"/debs/linux-*-"$2"[.-]*.deb; do
		[ -e "$f" ] || continue
		case ${f##*/} in *-"$1"_*) ;; *) say "removing old $(basename "$f")"; rm -f "$f" ;; esac
	done
	return 0
}

setup_host_lane() { # LANE SUITE-PATTERN
	local lane=$1 want=$2 ver hdr krel stamp pkgs debs
	ver=$(apt-cache madison linux-headers-amd64 | madison | awk -v w="$want" '$2 ~ w { print $1; exit }')
	[ -n "$ver" ] || die "lane $lane: no linux-headers-amd64 in $want"
	case $ver in "$lane".*) ;; *) say "note: lane $lane resolves to kernel $ver" ;; esac
	hdr=$(apt-cache show "linux-headers-amd64=$ver" | deps_matching '^linux-headers-[0-9]')
	IMG=$(apt-cache show "linux-image-amd64=$ver" | deps_matching '^linux-image-[0-9]')
	krel=${hdr#linux-headers-}
	stamp="$IMG $ver"
	if [ "$(cat "$CACHE/kernels/$lane/stamp" 2>/dev/null)" = "$stamp" ] && installed "$hdr"; then
		say "lane $lane: $krel ready"
		return
	fi
	say "lane $lane: kernel $krel ($ver)"
	host_install "$hdr"
	mapfile -t pkgs < <(apt-cache show "$IMG=${ver#*:}" | image_pkgs "$krel")
	mapfile -t debs < <(cached_debs host_fetch "${pkgs[@]}")
	mkdir -p "$CACHE/kernels/$lane"
	extract_kernel "$lane" "$krel" "${debs[@]}"
	write_env "$lane" "$krel" "$ver" "/usr/src/$hdr" 0
	rm -f "$CACHE/kernels/$lane"/initramfs*
	echo "$stamp" >"$CACHE/kernels/$lane/stamp"
	prune_debs "$krel" "$lane"
}

setup_host_lane 6.1 "^$CODENAME(-security|-updates)?\$"
setup_host_lane 6.12 "^$CODENAME-backports\$"

# ---- kernel source pieces used by the YNL generator, checkpatch and the selftests ------------

SRC_TAR=/usr/src/linux-source-6.12.tar.xz
SRC_STAMP="$(dpkg-query -W -f='${Version}' linux-source-6.12) 2"
if [ "$(cat "$CACHE/stamps/linux-source-6.12" 2>/dev/null)" != "$SRC_STAMP" ]; then
	say "extracting tools/net/ynl, Documentation/netlink, checkpatch, kselftest from linux-source-6.12"
	mkdir -p "$CACHE/linux-source-6.12"
	p=linux-source-6.12
	tar -xJf "$SRC_TAR" -C "$CACHE/linux-source-6.12" --strip-components=1 --wildcards \
		"$p/tools/net/ynl" "$p/Documentation/netlink" "$p/scripts/checkpatch.pl" \
		"$p/scripts/spelling.txt" "$p/scripts/const_structs.checkpatch" \
		"$p/tools/testing/selftests/kselftest*" "$p/tools/testing/selftests/lib.mk"
	echo "$SRC_STAMP" >"$CACHE/stamps/linux-source-6.12"
else
	say "linux-source-6.12 pieces ready"
fi

# ---- lane 7: Debian 13 chroot -------------------------------------------------------------

if [ ! -x "$TRIXIE/usr/bin/apt-get" ]; then
	say "creating Debian 13 chroot at $TRIXIE (debootstrap, several minutes)"
	rm -rf "$TRIXIE"
	debootstrap --variant=minbase --include=build-essential trixie "$TRIXIE" "$MIRROR/" >/dev/null
fi

sources=$(
	printf 'Types: deb\nURIs: %s\nSuites: trixie trixie-updates trixie-backports\n' "$MIRROR"
	printf 'Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
	if [ -n "$SECURITY_MIRROR" ]; then
		printf '\nTypes: deb\nURIs: %s\nSuites: trixie-security\n' "$SECURITY_MIRROR"
		printf 'Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
	fi
)
CHROOT_UPDATED=0
chroot_update() {
	[ $CHROOT_UPDATED = 1 ] && return 0
	say "chroot: apt-get update"
	in_chroot apt-get update -qq
	CHROOT_UPDATED=1
}
chroot_mount "$TRIXIE"
if [ "$(cat "$TRIXIE/etc/apt/sources.list.d/debian.sources" 2>/dev/null)" != "$sources" ]; then
	say "chroot: writing trixie + trixie-backports sources ($MIRROR)"
	echo "$sources" >"$TRIXIE/etc/apt/sources.list.d/debian.sources"
	: >"$TRIXIE/etc/apt/sources.list"
	chroot_update
fi
ls "$TRIXIE"/var/lib/apt/lists/*_dists_trixie-backports_*Packages* >/dev/null 2>&1 || chroot_update

chroot_installed() {
	local p
	for p; do
		# shellcheck disable=SC2016 # dpkg-query's format, not a shell expansion
		in_chroot dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
			return 1
	done
}
chroot_install() {
	chroot_installed "$@" && return 0
	say "chroot: installing $*"
	local apt=(apt-get install -y -qq --no-install-recommends)
	if ! in_chroot "${apt[@]}" "$@" >/dev/null; then
		chroot_update
		in_chroot "${apt[@]}" "$@" >/dev/null
	fi
}

# apt-get download inside the chroot (the host has no trixie sources), then into the cache.
chroot_fetch() {
	local dir=$TRIXIE/var/tmp/vdrep-debs
	mkdir -p "$dir"
	rm -f "$dir"/*.deb
	if ! in_chroot sh -c 'cd /var/tmp/vdrep-debs && apt-get download -qq "$@" 2>/dev/null' sh "$@"; then
		chroot_update
		in_chroot sh -c 'cd /var/tmp/vdrep-debs && apt-get download -qq "$@"' sh "$@"
	fi
	mv "$dir"/*.deb "$CACHE/debs/"
}

setup_chroot_lane() {
	local lane=7 ver hdr krel stamp cc gccpkg pkgs debs
	ver=$(in_chroot apt-cache madison linux-headers-amd64 | madison |
		awk '$2 == "trixie-backports" && $1 ~ /^7\./ { print $1; exit }')
	if [ -z "$ver" ]; then
		ver=$(in_chroot apt-cache madison linux-headers-amd64 | madison |
			awk '$2 == "trixie-backports" { print $1; exit }')
		[ -n "$ver" ] || die "lane 7: no linux-headers-amd64 in trixie-backports"
		say "note: no 7.x kernel in trixie-backports, lane 7 uses $ver"
	fi
	hdr=$(in_chroot apt-cache show "linux-headers-amd64=$ver" | deps_matching '^linux-headers-[0-9]')
	IMG=$(in_chroot apt-cache show "linux-image-amd64=$ver" | deps_matching '^linux-image-[0-9]')
	krel=${hdr#linux-headers-}
	stamp="$IMG $ver"
	if [ "$(cat "$CACHE/kernels/$lane/stamp" 2>/dev/null)" = "$stamp" ] && chroot_installed "$hdr"; then
		say "lane $lane: $krel ready (chroot)"
		return
	fi
	say "lane $lane: kernel $krel ($ver) in the chroot"
	chroot_install gcc make "$hdr"
	# Debian builds modules with the compiler the kernel was built with (gcc-N).
	cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\) .*/\1/p' "$TRIXIE/usr/src/$hdr/.config")
	gccpkg=$(echo "$cc" | sed -n 's/.*\(gcc-[0-9][0-9]*\)$/\1/p')
	if [ -n "$gccpkg" ]; then
		chroot_install "$gccpkg"
		in_chroot "$cc" --version >/dev/null || die "lane 7: $cc does not run in the chroot"
	fi
	say "lane $lane: headers built with $cc; chroot gcc: $(in_chroot gcc -dumpfullversion)"
	mapfile -t pkgs < <(in_chroot apt-cache show "$IMG=${ver#*:}" | image_pkgs "$krel")
	mapfile -t debs < <(cached_debs chroot_fetch "${pkgs[@]}")
	mkdir -p "$CACHE/kernels/$lane"
	extract_kernel "$lane" "$krel" "${debs[@]}"
	write_env "$lane" "$krel" "$ver" "/usr/src/$hdr" 1
	rm -f "$CACHE/kernels/$lane"/initramfs*
	echo "$stamp" >"$CACHE/kernels/$lane/stamp"
	prune_debs "$krel" "$lane"
}
setup_chroot_lane
chroot_install sparse	# tools/testing/static/check.sh checks lane 7 with it
chroot_umount
say "done"
exit
}
