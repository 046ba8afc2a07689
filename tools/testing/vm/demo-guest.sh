#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of demo.sh: a volume on a ramdisk, written and verified by fio, compared with
# its source, shown as text and JSON, then destroyed.  Each step is echoed before it runs;
# the first failing step ends the demo with a non-zero status.

# Braces: bash reads the whole script before running it, so editing it mid-run is safe.
{
step() {
	echo
	echo "\$ $*"
	"$@" || { echo "demo: step failed (status $?): $*"; exit 1; }
}

cd /tmp || exit 1
step modprobe brd rd_nr=2 rd_size=65536
step insmod "$VDREP_KO"
step "$VDREPCTL" volume create demo source /dev/ram0
step ls -l /dev/vdrep0 /sys/block/vdrep0/vdrep
step fio --name=demo --filename=/dev/vdrep0 --rw=randwrite --bs=4k --size=32M \
	--direct=1 --ioengine=libaio --iodepth=16 --verify=crc32c --do_verify=1 \
	--verify_fatal=1 --verify_state_save=0 --randrepeat=1 --group_reporting
# Drop cached pages so cmp reads what the ramdisk really holds.
step sync
echo 3 >/proc/sys/vm/drop_caches
step cmp -n $((32 << 20)) /dev/vdrep0 /dev/ram0
echo "the first 32 MiB of /dev/vdrep0 and /dev/ram0 are identical"
step "$VDREPCTL" volume show
step "$VDREPCTL" -j -p volume show demo
step "$VDREPCTL" volume destroy demo
step rmmod vdrep
echo
echo "kernel messages about vdrep:"
# Without timestamps: the runner hides console lines that look like kernel messages.
dmesg | sed -E 's/^\[ *[0-9]+\.[0-9]+\] ?//' | grep -i vdrep || echo "(none)"
echo
echo "demo: done"
exit
}
