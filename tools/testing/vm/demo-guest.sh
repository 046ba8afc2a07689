#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of demo.sh: a volume on a ramdisk, written and verified by fio, compared with
# its source; a synchronous mirror of it (initial sync, fracture with a read-only target
# view, writes tracked, a resync that copies only those chunks); an asynchronous mirror;
# a snapshot (overwritten volume, unchanged view, restore) and a clone that removes itself
# when complete; the volume's metadata device (/dev/ram5) as vdrepctl meta dump reads it,
# a clean volume stop and the volume assembled from that device with its mirrors;
# everything shown as text and JSON, then destroyed.  Each step is echoed before it runs;
# the first failing step ends the demo with a non-zero status.

# Braces: bash reads the whole script before running it, so editing it mid-run is safe.
{
step() {
	echo
	echo "\$ $*"
	"$@" || { echo "demo: step failed (status $?): $*"; exit 1; }
}

cd /tmp || exit 1
step modprobe brd rd_nr=6 rd_size=65536
# vdrep needs libcrc32c where crc32c is not built in (modprobe vdrep would load it).
for dep in $(modinfo -F depends "$VDREP_KO" | tr , ' '); do step modprobe "$dep"; done
step insmod "$VDREP_KO"
step "$VDREPCTL" volume create demo source /dev/ram0 meta /dev/ram5
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

# Whole-device checksums read with O_DIRECT: the ramdisks' page cache is not
# what the volume wrote.
sum() { dd if="$1" bs=1M iflag=direct status=none | sha256sum | cut -c1-16; }
same() { # DEV DEV
	local a b
	a=$(sum "$1") b=$(sum "$2")
	echo "sha256 $1 $a, $2 $b"
	[ "$a" = "$b" ]
}

echo
echo "--- a synchronous mirror on /dev/ram1"
step "$VDREPCTL" monitor >/tmp/monitor.log 2>&1 &
monitor=$!
step "$VDREPCTL" assoc create demo/m1 /dev/ram1 --mode sync
step "$VDREPCTL" assoc wait demo/m1 --state synchronized --timeout 120
step same /dev/ram0 /dev/ram1
step "$VDREPCTL" assoc fracture demo/m1
step ls -l /dev/vdrep0a0
step dd if=/dev/urandom of=/dev/vdrep0 bs=64K count=3 seek=100 oflag=direct status=none
step "$VDREPCTL" assoc show demo/m1
step "$VDREPCTL" assoc resync demo/m1
step "$VDREPCTL" assoc wait demo/m1 --state synchronized --timeout 120
step "$VDREPCTL" -j -p assoc show demo/m1
echo "the resync copied $("$VDREPCTL" -j assoc show demo/m1 | grep -o '"copied-chunks":[0-9]*') (3 chunks written)"
step same /dev/ram0 /dev/ram1

echo
echo "--- an asynchronous mirror on /dev/ram2"
step "$VDREPCTL" assoc create demo/m2 /dev/ram2 --mode async --priority high
step "$VDREPCTL" assoc wait demo/m2 --state synchronized --timeout 120
step fio --name=demo2 --filename=/dev/vdrep0 --rw=randwrite --bs=64k --size=16M \
	--direct=1 --ioengine=libaio --iodepth=8 --verify=crc32c --do_verify=1 \
	--verify_fatal=1 --verify_state_save=0 --randrepeat=1 --group_reporting
step "$VDREPCTL" assoc wait demo/m2 --state synchronized --timeout 120
step "$VDREPCTL" assoc show demo
# The metadata device, read offline: the volume and a record per mirror, as last committed.
step "$VDREPCTL" meta dump /dev/ram5
step same /dev/ram0 /dev/ram2
echo "--- a clean stop, and the volume brought back from its metadata device"
step "$VDREPCTL" volume stop demo
step "$VDREPCTL" volume create demo source /dev/ram0 meta /dev/ram5
step "$VDREPCTL" assoc wait demo/m2 --state synchronized --timeout 120
step "$VDREPCTL" assoc show demo
echo "after the stop, m1 copied $("$VDREPCTL" -j assoc show demo/m1 | grep -o '"copied-chunks":[0-9]*') again (it was in sync)"
step same /dev/ram0 /dev/ram1
step "$VDREPCTL" assoc destroy demo/m1
step "$VDREPCTL" assoc destroy demo/m2

echo
echo "--- a snapshot on /dev/ram3: the volume is overwritten, the view keeps the old image"
before=$(sum /dev/vdrep0)
step "$VDREPCTL" assoc create demo/s1 /dev/ram3 --type snapshot
step ls -l /dev/vdrep0a0
step fio --name=demo3 --filename=/dev/vdrep0 --rw=randwrite --bs=4k --size=64M \
	--io_size=16M --direct=1 --ioengine=libaio --iodepth=16 --randrepeat=0 --group_reporting
echo "sha256 before the snapshot $before, view $(sum /dev/vdrep0a0), volume now $(sum /dev/vdrep0)"
step "$VDREPCTL" assoc show demo/s1
echo "old data read once per chunk: volume $("$VDREPCTL" -j volume show demo | grep -o '"old-data-reads":[0-9]*')"
step "$VDREPCTL" assoc restore demo/s1
step "$VDREPCTL" assoc wait demo/s1 --state split --timeout 120
echo "after the restore: volume $(sum /dev/vdrep0), snapshot view $(sum /dev/vdrep0a0)"

echo
echo "--- a clone on /dev/ram4 that releases its target when complete (unsync-unassoc)"
step "$VDREPCTL" assoc create demo/c1 /dev/ram4 --type clone --copy-type unsync-unassoc --priority high
step "$VDREPCTL" assoc wait demo/c1 --destroyed --timeout 120
step same /dev/ram0 /dev/ram4
step "$VDREPCTL" assoc destroy demo/s1
kill "$monitor"
echo
echo "--- what vdrepctl monitor saw: the state changes (one line per event, shortened)"
awk '{ line = $1 " " $2 " " $3
	for (i = 4; i <= NF; i++)
		if ($i ~ /^(copy-state|sync-state|progress-status|percent-synced|seq):/)
			line = line " " $i
	if (line != last) print line
	last = line }' /tmp/monitor.log | grep -vE 'progress-status:(synchronizing|resyncing) percent-synced:([1-9]|[1-9][0-9]) ' | head -n 40
step "$VDREPCTL" volume destroy demo
step "$VDREPCTL" meta check /dev/ram5
step rmmod vdrep
echo
echo "kernel messages about vdrep:"
# Without timestamps: the runner hides console lines that look like kernel messages.
dmesg | sed -E 's/^\[ *[0-9]+\.[0-9]+\] ?//' | grep -i vdrep || echo "(none)"
echo
echo "demo: done"
exit
}
