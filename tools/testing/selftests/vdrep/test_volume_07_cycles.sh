#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lifetime leaks: 50 create/destroy cycles (each doing I/O through the
# volume) and 20 module load/unload cycles (each creating and destroying a
# volume) leave no disk, no held source, no module reference; the module
# unloads at the end, and so does brd (nothing still holds the ramdisk).

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

test_init
ktap_plan 11

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 1 16 || ktap_abort "cannot set up brd ramdisks"

# One create/destroy cycle with a write and a read-back in between.
volume_cycle()
{
	local name=$1 disk

	vol_create "$name" /dev/ram0 || return 1
	disk=$(vol_disk "$name") || { diag "no disk for $name"; return 1; }
	dd if=/dev/urandom of="$tmpdir/block" bs=4096 count=1 status=none
	dd if="$tmpdir/block" of="/dev/$disk" bs=4096 seek=7 oflag=direct status=none ||
		return 1
	cmp -s "$tmpdir/block" <(dd if="/dev/$disk" bs=4096 skip=7 count=1 \
		iflag=direct status=none) || { diag "read-back differs"; return 1; }
	vol_destroy "$name" || return 1
	if [ -e "/dev/$disk" ] || [ -e "/sys/block/$disk" ]; then
		diag "$disk still exists after destroy"
		return 1
	fi
}

create_destroy_cycles()
{
	local i

	for ((i = 0; i < 50; i++)); do
		volume_cycle "cycle$i" || { diag "cycle $i failed"; return 1; }
	done
}

check "50 create/destroy cycles with I/O" create_destroy_cycles
check_eq "no vdrep disk is left" "" "$(vdrep_disks)"
check "/dev/ram0 is free (opens exclusively)" open_excl /dev/ram0
check_eq "module reference count is 0" 0 "$(module_refcnt)"

module_cycles()
{
	local i

	for ((i = 0; i < 20; i++)); do
		rmmod vdrep || { diag "rmmod failed in cycle $i"; return 1; }
		insmod_vdrep || { diag "insmod failed in cycle $i"; return 1; }
		ctl volume show || { diag "volume show failed in cycle $i"; return 1; }
		volume_cycle "mod$i" || { diag "volume cycle failed in cycle $i"; return 1; }
	done
}

check "20 module unload/load cycles, each with a volume" module_cycles
check_eq "module reference count is 0" 0 "$(module_refcnt)"
check "the module unloads at the end" rmmod vdrep
check "/sys/module/vdrep is gone" test ! -e /sys/module/vdrep

not_loaded()
{
	! ctl volume show && grep -qF "vdrep module not loaded" "$(out_file)"
}
check "vdrepctl says 'vdrep module not loaded' when it is not" not_loaded
check "brd unloads (nothing holds the ramdisk)" rmmod brd && track_brd=0

ktap_finished
