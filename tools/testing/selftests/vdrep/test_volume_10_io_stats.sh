#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# I/O accounting of the volume disk: /sys/block/vdrepN/stat counts the
# reads and writes done through it, nothing stays in flight afterwards, and
# the disk is listed in /proc/diskstats.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

test_init
ktap_plan 9

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 1 16 || ktap_abort "cannot set up brd ramdisks"
check "create volume t10 on /dev/ram0" vol_create t10 /dev/ram0 ||
	ktap_abort "volume create failed"
disk=$(vol_disk t10)

reads=$(disk_stat "$disk" 1)
read_sectors=$(disk_stat "$disk" 3)
dd if="/dev/$disk" of=/dev/null bs=4096 count=32 iflag=direct status=none
check "32 direct reads: read I/Os grow by at least 32 ($reads -> $(disk_stat "$disk" 1))" \
	test "$(disk_stat "$disk" 1)" -ge $((reads + 32))
check "32 direct 4 KiB reads: sectors read grow by at least 256" \
	test "$(disk_stat "$disk" 3)" -ge $((read_sectors + 256))

writes=$(disk_stat "$disk" 5)
write_sectors=$(disk_stat "$disk" 7)
dd if=/dev/zero of="/dev/$disk" bs=4096 count=32 oflag=direct status=none
check "32 direct writes: write I/Os grow by at least 32 ($writes -> $(disk_stat "$disk" 5))" \
	test "$(disk_stat "$disk" 5)" -ge $((writes + 32))
check "32 direct 4 KiB writes: sectors written grow by at least 256" \
	test "$(disk_stat "$disk" 7)" -ge $((write_sectors + 256))
check_eq "nothing in flight afterwards" "0 0" \
	"$(awk '{ print $1, $2 }' "/sys/block/$disk/inflight")"
check "$disk is in /proc/diskstats" grep -qE "^ *[0-9]+ +[0-9]+ $disk " /proc/diskstats
check "destroy t10" vol_destroy t10

ktap_finished
