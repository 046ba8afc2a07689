#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Read a dm-log-writes log and replay parts of it onto a device.

test_meta_04_crash logs every write below a vdrep volume with the
device-mapper target log-writes, then rebuilds the device as it was after
each flush point ("a crash there") from the log. Debian ships no replayer,
so this is one, written from the format as the kernel's
drivers/md/dm-log-writes.c and
Documentation/admin-guide/device-mapper/log-writes.rst describe it:

    byte 0                   the super: magic 0x6a736677736872, version 1,
                             nr_entries, sectorsize (all little-endian;
                             u64 u64 u64 u32); sectorsize is the logical
                             block size of the logged device
    byte sectorsize          entry 0: one sectorsize block holding sector,
                             nr_sectors, flags, data_len (u64 each; sector and
                             nr_sectors in sectorsize units), a mark's text
                             right after them; then, unless it is a discard,
                             nr_sectors blocks of the data written
    ...                      entry 1, and so on, nr_entries of them

Flags: FLUSH 1, FUA 2, DISCARD 4, MARK 8, METADATA 16 (REQ_META). Writes are
logged in the order they became durable: a plain write when the flush after
it completed (before that flush's entry), a FUA write when it completed. So
the entries before a FLUSH or FUA entry, and that entry, are what a power
cut right after it leaves on the device. The super's nr_entries is rewritten
at FUA entries and marks; "dmsetup remove" of the log-writes device writes a
last mark, dm-log-writes-end, and with it the final count.

    vdrep_logreplay.py info LOG
        the super: "magic ok version 1 entries N sectorsize S"
    vdrep_logreplay.py list LOG
        one line per entry: INDEX FLAGS SECTOR SECTORS [MARK]; FLAGS the
        flag names joined by "," (flush, fua, discard, mark, meta) or "-";
        SECTOR and SECTORS in 512-byte sectors of the logged device
    vdrep_logreplay.py replay LOG DEV FROM TO
        write entries FROM to TO-1 onto DEV, in log order (a discard as
        zeroes; marks and empty flushes write nothing), then fsync DEV.
        Replaying 0..A, then A..B, ... onto one device is one pass.

Exit status: 0, 1 for a log that is not well formed (the reason on
stderr), 2 for usage.
"""
import os
import stat
import struct
import sys

MAGIC = 0x6A736677736872
VERSION = 1
SUPER = struct.Struct("<QQQI")
ENTRY = struct.Struct("<QQQQ")
FLAG_NAMES = ((1, "flush"), (2, "fua"), (4, "discard"), (8, "mark"),
              (16, "meta"))
FLUSH, FUA, DISCARD, MARK = 1, 2, 4, 8
KNOWN_FLAGS = 31
# Data copied per write: a whole 16 MiB chunk copy is one entry.
PIECE = 4 << 20


class LogError(Exception):
    pass


def dev_bytes(fd):
    return os.lseek(fd, 0, os.SEEK_END)


def read_exact(fd, pos, length):
    data = os.pread(fd, length, pos)
    if len(data) != length:
        raise LogError("short read at byte %d (%d of %d bytes)" %
                       (pos, len(data), length))
    return data


def open_log(path):
    fd = os.open(path, os.O_RDONLY)
    # The log was written with bios, past this device's page cache: drop
    # whatever an earlier reader may have left there.
    if stat.S_ISBLK(os.fstat(fd).st_mode):
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    return fd


def read_super(fd):
    magic, version, nr_entries, sectorsize = SUPER.unpack(
        read_exact(fd, 0, SUPER.size))
    if magic != MAGIC:
        raise LogError("no dm-log-writes super (magic 0x%x)" % magic)
    if version != VERSION:
        raise LogError("log version %d, not %d" % (version, VERSION))
    if sectorsize < 512 or sectorsize & (sectorsize - 1) or \
            sectorsize > 65536:
        raise LogError("sectorsize %d is not a power of two from 512 to 64K" %
                       sectorsize)
    return dict(version=version, nr_entries=nr_entries,
                sectorsize=sectorsize)


def entries(fd):
    """Yield (index, sector, nr_sectors, flags, mark, data_pos, data_len)
    for every entry, sector and nr_sectors in sectorsize units, data_pos
    the byte of the log where the entry's data starts."""
    sup = read_super(fd)
    ss = sup["sectorsize"]
    size = dev_bytes(fd)
    pos = ss
    for i in range(sup["nr_entries"]):
        if pos + ss > size:
            raise LogError("entry %d at byte %d is past the log's end (%d)" %
                           (i, pos, size))
        block = read_exact(fd, pos, ss)
        sector, nr, flags, data_len = ENTRY.unpack_from(block)
        if flags & ~KNOWN_FLAGS:
            raise LogError("entry %d: unknown flags 0x%x (not an entry?)" %
                           (i, flags))
        mark = None
        if flags & MARK:
            if data_len > ss - ENTRY.size or nr:
                raise LogError("entry %d: a mark of %d bytes and %d sectors" %
                               (i, data_len, nr))
            mark = block[ENTRY.size:ENTRY.size + data_len].decode(
                errors="replace")
        pos += ss
        data_pos, data_bytes = pos, 0
        if not flags & (DISCARD | MARK):
            data_bytes = nr * ss
            if pos + data_bytes > size:
                raise LogError("entry %d: its %d bytes of data pass the log's end" %
                               (i, data_bytes))
            pos += data_bytes
        yield i, sector, nr, flags, mark, data_pos, data_bytes


def flag_text(flags):
    names = [n for bit, n in FLAG_NAMES if flags & bit]
    return ",".join(names) if names else "-"


def cmd_info(log):
    fd = open_log(log)
    try:
        sup = read_super(fd)
    finally:
        os.close(fd)
    print("magic ok version %d entries %d sectorsize %d" %
          (sup["version"], sup["nr_entries"], sup["sectorsize"]))


def cmd_list(log):
    fd = open_log(log)
    try:
        ss = read_super(fd)["sectorsize"]
        per = ss // 512
        out = []
        for i, sector, nr, flags, mark, _, _ in entries(fd):
            line = "%d %s %d %d" % (i, flag_text(flags), sector * per, nr * per)
            if mark is not None:
                # One word: the test's marks have no blanks.
                line += " " + (mark.replace(" ", "_") or "-")
            out.append(line)
        sys.stdout.write("\n".join(out) + ("\n" if out else ""))
    finally:
        os.close(fd)


def cmd_replay(log, dev, first, end):
    fd = open_log(log)
    out = os.open(dev, os.O_WRONLY)
    try:
        ss = read_super(fd)["sectorsize"]
        limit = dev_bytes(out)
        seen = first
        for i, sector, nr, flags, _, data_pos, data_bytes in entries(fd):
            if i >= end:
                break
            seen = i + 1
            if i < first or flags & MARK or not nr:
                continue
            at = sector * ss
            if at + nr * ss > limit:
                raise LogError("entry %d writes bytes %d-%d, past %s's end (%d)" %
                               (i, at, at + nr * ss - 1, dev, limit))
            if flags & DISCARD:
                left = nr * ss
                while left:
                    n = min(left, PIECE)
                    os.pwrite(out, bytes(n), at)
                    at += n
                    left -= n
                continue
            done = 0
            while done < data_bytes:
                n = min(data_bytes - done, PIECE)
                os.pwrite(out, read_exact(fd, data_pos + done, n), at + done)
                done += n
        if seen < end:
            raise LogError("the log has %d entries, not %d" % (seen, end))
        os.fsync(out)
    finally:
        os.close(out)
        os.close(fd)


def main(argv):
    try:
        if len(argv) == 3 and argv[1] == "info":
            cmd_info(argv[2])
        elif len(argv) == 3 and argv[1] == "list":
            cmd_list(argv[2])
        elif len(argv) == 6 and argv[1] == "replay":
            first, end = int(argv[4]), int(argv[5])
            if not 0 <= first <= end:
                raise ValueError("FROM must be 0 to TO")
            cmd_replay(argv[2], argv[3], first, end)
        else:
            sys.stderr.write(__doc__)
            return 2
    except (LogError, OSError, ValueError) as e:
        sys.stderr.write("vdrep_logreplay.py: %s\n" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
