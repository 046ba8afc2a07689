#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# userspace/udev/60-vdrep.rules under a real systemd-udevd: each volume gets
# /dev/vdrep/<name> pointing at its /dev/vdrepN as soon as the "add" event is
# handled (the module publishes vdrep/name with the disk), two volumes get
# two links, and destroy removes only the destroyed volume's link. The guest
# has no udev of its own, so the test starts the host's udevd with the
# project's rules in /run/udev/rules.d and stops it at the end.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

test_init
require_tools udevadm
[ -x "$UDEVD" ] || ktap_skip_all "no $UDEVD (Debian package udev)"
[ -r "$UDEV_RULES" ] || ktap_skip_all "no $UDEV_RULES"
if udevadm control --ping >/dev/null 2>&1; then
	ktap_skip_all "a udevd already runs here; this test starts its own"
fi
ktap_plan 15


# link_is NAME DISK: /dev/vdrep/NAME resolves to /dev/DISK.
link_is()
{
	local target

	target=$(readlink -f "/dev/vdrep/$1") || return 1
	[ "$target" = "/dev/$2" ] || {
		diag "/dev/vdrep/$1 -> $target, expected /dev/$2"
		return 1
	}
}

link_absent()
{
	[ ! -e "/dev/vdrep/$1" ] && [ ! -L "/dev/vdrep/$1" ]
}

# devlinks_has DISK LINK: udev's database lists LINK among DISK's links.
devlinks_has()
{
	# shellcheck disable=SC2020 # both characters become newlines
	udevadm info --query=property --name="/dev/$1" | grep -E '^DEVLINKS=' |
		tr ' =' '\n\n' | grep -qxF "$2"
}

same_size()
{
	[ "$(blockdev --getsize64 "/dev/vdrep/$1")" = "$(blockdev --getsize64 "$2")" ]
}

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 2 32 || ktap_abort "cannot set up brd ramdisks"
check "systemd-udevd runs with 60-vdrep.rules" udevd_start ||
	ktap_abort "udevd did not start"

check "create volume t14a on /dev/ram0" vol_create t14a /dev/ram0 ||
	ktap_abort "volume create failed"
check "create volume t14b on /dev/ram1" vol_create t14b /dev/ram1 ||
	ktap_abort "volume create failed"
disk_a=$(vol_disk t14a)
disk_b=$(vol_disk t14b)
check "udev settles after the add events" udev_settle
check "/dev/vdrep/t14a -> $disk_a" link_is t14a "$disk_a"
check "/dev/vdrep/t14b -> $disk_b" link_is t14b "$disk_b"
check "udev database lists /dev/vdrep/t14a for $disk_a" devlinks_has "$disk_a" /dev/vdrep/t14a
check "/dev/vdrep/t14a opens and has the source's size" same_size t14a /dev/ram0

check "destroy t14a" vol_destroy t14a
check "udev settles after the remove event" udev_settle
check "/dev/vdrep/t14a is gone" link_absent t14a
check "/dev/vdrep/t14b still -> $disk_b" link_is t14b "$disk_b"
check "destroy t14b" vol_destroy t14b
udev_settle
check "/dev/vdrep/t14b is gone" link_absent t14b

ktap_finished
