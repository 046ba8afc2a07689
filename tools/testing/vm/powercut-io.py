#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The writer and the checker of the power-cut cycles (powercut.sh).

    powercut-io.py write DEV CYCLE SEED SECONDS SYNC_EVERY
        4 KiB direct writes to random blocks of DEV (the offsets drawn from
        SEED), each block self-describing: magic, cycle, sequence number,
        offset and a CRC-32 of the rest. After every SYNC_EVERY writes an
        fdatasync, then "vdrep-powercut: ack CYCLE SEQ" on the serial
        console (/dev/ttyS0): the host keeps the console, so after a kill of
        QEMU it knows which writes were acknowledged. Runs until killed, or
        SECONDS.
    powercut-io.py verify DEV HISTORY
        HISTORY is "CYCLE:SEED:ACKED,...", the cycles so far with the last
        sequence number acknowledged in each. For every block of DEV whose
        last acknowledged write is (cycle c, seq s), the block must hold a
        whole block of the writer (CRC right) for that offset, of (c, s) or
        later (a write issued after it, acknowledged or not, may have
        landed). Prints one line of counts; exits 1, listing the first bad
        blocks, if an acknowledged write is lost.

Why not fio: fio's verify state is saved when fio stops, not at a random
kill, and what it acknowledged must be known outside the guest.
"""
import mmap
import os
import random
import struct
import sys
import time
import zlib

BLOCK = 4096
MAGIC = b"vdrepPC1"
HEAD = struct.Struct("<8sIQQ")		# magic, cycle, seq, offset


def offsets(seed, nblocks):
    rng = random.Random(seed)
    while True:
        yield rng.randrange(nblocks) * BLOCK


def block(cycle, seq, off):
    head = HEAD.pack(MAGIC, cycle, seq, off)
    fill = (struct.pack("<QQ", cycle, seq) * (BLOCK // 16))[:BLOCK - len(head) - 4]
    body = head + fill
    return body + struct.pack("<I", zlib.crc32(body))


def parse(buf):
    """(cycle, seq, offset) of a whole block of the writer, else None."""
    if buf[:8] != MAGIC:
        return None
    if struct.unpack_from("<I", buf, BLOCK - 4)[0] != zlib.crc32(buf[:BLOCK - 4]):
        return None
    _, cycle, seq, off = HEAD.unpack_from(buf, 0)
    return cycle, seq, off


def dev_blocks(fd):
    return os.lseek(fd, 0, os.SEEK_END) // BLOCK


def write(dev, cycle, seed, seconds, sync_every):
    fd = os.open(dev, os.O_RDWR | os.O_DIRECT)
    con = os.open("/dev/ttyS0", os.O_WRONLY | os.O_NOCTTY)
    buf = mmap.mmap(-1, BLOCK)
    end = time.monotonic() + seconds
    seq = 0
    for off in offsets(seed, dev_blocks(fd)):
        seq += 1
        buf[:] = block(cycle, seq, off)
        os.pwritev(fd, [buf], off)
        if seq % sync_every == 0:
            os.fdatasync(fd)
            os.write(con, b"vdrep-powercut: ack %d %d\n" % (cycle, seq))
            if time.monotonic() > end:
                break
    print("vdrep-powercut: writer ran its %d s: %d writes" % (seconds, seq))
    return 0


def verify(dev, history):
    fd = os.open(dev, os.O_RDONLY | os.O_DIRECT)
    nblocks = dev_blocks(fd)
    want = {}				# offset -> (cycle, seq) last acknowledged
    for item in filter(None, history.split(",")):
        cycle, seed, acked = (int(x) for x in item.split(":"))
        gen = offsets(seed, nblocks)
        for seq in range(1, acked + 1):
            want[next(gen)] = (cycle, seq)
    buf = mmap.mmap(-1, 1 << 20)
    bad, newer = [], 0
    for start in range(0, nblocks * BLOCK, len(buf)):
        n = os.preadv(fd, [buf], start)
        for off in range(start, start + n, BLOCK):
            if off not in want:
                continue
            got = parse(buf[off - start:off - start + BLOCK])
            if got is None or got[2] != off or got[:2] < want[off]:
                bad.append((off, want[off], got))
            elif got[:2] > want[off]:
                newer += 1
    print("vdrep-powercut: verify %s: %d blocks with an acknowledged write, %d lost, "
          "%d hold a later write" % (dev, len(want), len(bad), newer))
    for off, w, got in bad[:10]:
        print("vdrep-powercut:   block at %d: acknowledged cycle %d seq %d, holds %s" %
              (off, w[0], w[1], "cycle %d seq %d for offset %d" % got if got else
               "no whole block of the writer"))
    return 1 if bad else 0


def main(argv):
    if len(argv) == 7 and argv[1] == "write":
        return write(argv[2], int(argv[3]), int(argv[4]), int(argv[5]), int(argv[6]))
    if len(argv) == 4 and argv[1] == "verify":
        return verify(argv[2], argv[3])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
