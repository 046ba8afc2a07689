#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Invariant 2, flush ordering: a flush on the volume reaches an
# asynchronous mirror's target only after every earlier target write
# completed. The target is dm-log-writes over dm-delay (writes 300 ms late)
# over a loop device (with a write-back cache, so flushes are passed down
# and logged rather than completed at once), so the log records, in order, each write when it completed
# and each flush with the writes completed before it. A 4 KiB direct write
# and an fsync of the volume follow at once; the log must show that write
# before the next flush. A driver that passed the flush on at once would
# have it logged first (the write is still in dm-delay). The source is a
# loop device (write-back cache), so the fsync sends a flush to the volume.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

test_init
require_tools dmsetup losetup jq
dm_require delay log-writes
ktap_plan 10

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 2 16 || ktap_abort "cannot set up brd ramdisks"
loop_setup 4 512 || ktap_abort "cannot set up a loop device"
src=$loop_dev
loop_setup 4 512 || ktap_abort "cannot set up a loop device"
tgt=$loop_dev
dev_fill_random "$src"

check "dm-delay m13d over $tgt (writes 300 ms late)" \
	dm_create m13d "$(dm_table_delay "$tgt" 300)"
check "dm-log-writes m13l over m13d, log on /dev/ram1" \
	dm_create m13l "0 $(dm_sectors /dev/mapper/m13d) log-writes /dev/mapper/m13d /dev/ram1"
check "create volume m13 on $src (write-back cache)" vol_create m13 "$src" ||
	ktap_abort "volume create failed"
vol=/dev/$(vol_disk m13)
check "async mirror m13/a on /dev/mapper/m13l, synchronized" \
	eval 'assoc_create m13/a /dev/mapper/m13l --mode async && assoc_wait_idle m13/a'
# dm-log-writes logs completed writes at the next flush: flush the initial
# copy's out first, so that only what follows is after the mark.
"$PYTHON" -S -c 'import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd)' \
	/dev/mapper/m13l
dmsetup message m13l 0 mark vdrep-m13-start

# One write at 1 MiB, then fsync, with nothing in between.
check "a direct write and an fsync of the volume" "$PYTHON" -S -c '
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_DIRECT)
buf = mmap.mmap(-1, 4096)
buf.write(b"vdrep-m13-" * 409 + b"\n" * 6)
os.pwrite(fd, buf, 1 << 20)
os.fsync(fd)
os.close(fd)' "$vol"
check "m13/a idle again" assoc_wait_idle m13/a
check "destroy m13/a, remove the log-writes target (its log is complete)" \
	eval 'assoc_destroy m13/a && dm_remove m13l'

# Entries after the mark: the 4 KiB write at 1 MiB must come before the
# first flush that follows the mark.
check "the log shows the write before the flush that followed it" "$PYTHON" -S -c '
import struct, sys
FLUSH, MARK = 1, 8
with open(sys.argv[1], "rb") as f:
    log = f.read()
magic, version, nr, secsize = struct.unpack_from("<QQQI", log, 0)
if magic != 0x6a736677736872:
    sys.exit("no dm-log-writes superblock")
pos, seen_mark, write_at, flush_at = secsize, False, None, None
for i in range(nr):
    sector, nr_sectors, flags, data_len = struct.unpack_from("<QQQQ", log, pos)
    if flags & MARK:
        name = log[pos + 32:pos + 32 + data_len].rstrip(b"\0")
        seen_mark = seen_mark or name == b"vdrep-m13-start"
    elif seen_mark:
        if write_at is None and sector == (1 << 20) // secsize and nr_sectors == 4096 // secsize:
            write_at = i
        if flush_at is None and flags & FLUSH:
            flush_at = i
    blocks = 1 + (nr_sectors if not flags & MARK else 0)
    pos += blocks * secsize
print("entries", nr, "write at", write_at, "flush at", flush_at)
if write_at is None or flush_at is None:
    sys.exit("write or flush not logged")
sys.exit(0 if write_at < flush_at else "the flush reached the target before the write")
' /dev/ram1
diag_file "$tmpdir/check.out"
check "destroy volume m13" vol_destroy m13
