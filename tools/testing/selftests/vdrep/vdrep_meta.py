#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Build, read and damage vdrep metadata, a second implementation of the format.

test_meta_02_offline uses it to check "vdrepctl meta" against an
implementation that shares no code with it: the layout is written here from
Documentation/admin-guide/metadata-format.rst with struct format strings, and
the CRC-32C is computed bit by bit (vdrepctl's is table-driven).
test_meta_03_assemble reads what the kernel committed with it (dump) and
damages a device's superblock copies before an assemble (damage,
set-version, poke), or turns its last commit into an older writer's one
(set-flags: write_intent cleared). Superblock flags: clean (1), write_intent
(2).

    vdrep_meta.py crc TEXT             CRC-32C of TEXT, seeded 0xffffffff, not
                                       inverted at the end, as 0x%08x
    vdrep_meta.py write IMAGE VARIANT  write the image VARIANT to the file IMAGE
    vdrep_meta.py compare VARIANT [SIZE]
                                       read "vdrepctl -j meta dump" of VARIANT's
                                       image on stdin (written on a device of
                                       SIZE bytes: default the image's size);
                                       exit 0 when it shows every field as
                                       written, else print the differences and
                                       exit 1
    vdrep_meta.py variants             list the variants
    vdrep_meta.py dump DEV             print DEV's metadata (a device or an
                                       image) as JSON, read here: "copies"
                                       (status valid, bad-checksum, no-magic
                                       or unknown-version; generation,
                                       version), "current" (the intact copy
                                       of the higher generation, null if
                                       none), and of the current copy
                                       "superblock" and "records" with
                                       their maps; enums by vdrepctl's names
    vdrep_meta.py damage DEV COPY [OFFSET]
                                       flip bit 6 of byte OFFSET of
                                       superblock copy COPY (0 or 1) without
                                       fixing its checksum; by default byte
                                       2 of record 0's rate_limit, so a
                                       reader that ignored the checksum
                                       would bring back another rate
    vdrep_meta.py set-version DEV COPY N
                                       set copy COPY's version to N and
                                       recompute its checksum
    vdrep_meta.py poke DEV COPY OFFSET HEX
                                       write the bytes HEX at byte OFFSET of
                                       copy COPY and recompute its checksum
                                       (a well-formed copy with a wrong field)
    vdrep_meta.py set-flags DEV COPY FLAGS
                                       set the superblock flags of copy COPY
                                       (0, 1, or "current": the intact copy
                                       of the higher generation) to FLAGS, or
                                       with +N / -N set / clear the bits N,
                                       and recompute its checksum; prints the
                                       copy and its flags before and after.
                                       "-2" clears write_intent: the copy of
                                       a writer that did not keep its maps
                                       ahead of the data
    vdrep_meta.py store-damage DEV COPY
                                       flip bit 6 of byte 200 of snapshot
                                       store header copy COPY (0 or 1), its
                                       checksum left as it was
    vdrep_meta.py store-poke DEV COPY OFFSET HEX
                                       write the bytes HEX at OFFSET of store
                                       header copy COPY and fix its checksum

A block device is read and written with O_DIRECT (the kernel writes the
metadata with bios, past the page cache), and written through to it.

The variants are a good image and the same with one thing wrong (see
VARIANTS below). The good one: volume "data" on 131077 sectors of 64 KiB
chunks (1025 chunks, so the last is partial), generation 6 in copy 0 and 5 in
copy 1, and three records: a mirror in slot 0, a snapshot in slot 3, a clone
in slot 5, with known bits in their maps.
"""
import datetime
import json
import mmap
import os
import stat
import struct
import sys

MAGIC = b"vdrep-md"
VERSION = 1
SB_BYTES = 8192
BITMAP_OFFSET = 16384
ALIGN = 4096
MAX_ASSOCS = 16
SB_CLEAN = 1
SB_WRITE_INTENT = 2
IN_USE, VIEW_WRITABLE, REDIRECTED = 1, 2, 4

# Superblock bytes 0-1023 (the records follow at 1024, then 3072 reserved
# bytes): csum version magic uuid generation sb_bytes chunk_size
# source_sectors nr_chunks bitmap_offset bitmap_bytes meta_sectors format_time
# commit_time flags max_assocs name source_path, 752 reserved.
SB_HEAD = struct.Struct("<II8s16sQIIQQQQQQQII32s128s752x")
# A record (256 bytes): name flags id sync_type sync_mode copy_type copy_state
# sync_state requested_copy_state copy_priority progress_status rate_limit
# backlog_limit sync_time target_sectors store_slots target_path, 16 reserved.
RECORD = struct.Struct("<32s10I5Q128s16x")
assert SB_HEAD.size == 1024 and RECORD.size == 256
RECORDS_OFFSET = 1024
# Byte offsets in a copy: the version; a record's rate_limit.
VERSION_OFFSET = 4
FLAGS_OFFSET = 104
RATE_LIMIT_OFFSET = 72

# The seed's values, and vdrepctl's names for them (assoc show's spelling).
SYNC_TYPES = {6: "mirror", 7: "snapshot", 8: "clone"}
SYNC_MODES = {0: "unknown", 2: "synchronous", 3: "asynchronous"}
COPY_TYPES = {2: "async", 3: "sync", 4: "unsync-assoc", 5: "unsync-unassoc"}
COPY_STATES = {2: "initialized", 3: "unsynchronized", 4: "synchronized",
               5: "broken", 6: "fractured", 7: "split", 8: "inactive",
               9: "suspended", 10: "failedover", 11: "prepared", 12: "aborted",
               13: "skewed", 14: "mixed", 15: "not-applicable"}
SYNC_STATES = {2: "initialized", 3: "prepare-in-progress", 4: "prepared",
               5: "resync-in-progress", 6: "synchronized",
               7: "fracture-in-progress", 8: "quiesce-in-progress",
               9: "quiesced", 10: "restore-in-progress", 11: "idle",
               12: "broken", 13: "fractured", 14: "frozen",
               15: "copy-in-progress"}
PRIORITIES = {0: "not-managed", 1: "low", 2: "same", 3: "high"}
PROGRESS_STATUSES = {0: "unknown", 2: "completed", 3: "dormant",
                     4: "initializing", 5: "preparing", 6: "synchronizing",
                     7: "resyncing", 8: "restoring", 9: "fracturing",
                     10: "splitting", 11: "failing-over", 12: "failing-back",
                     13: "aborting", 14: "mixed", 15: "not-applicable",
                     16: "suspending", 17: "requires-fracture",
                     18: "requires-resync", 19: "requires-activate",
                     20: "pending", 21: "detaching"}


def crc32c(data, crc=0xFFFFFFFF):
    """CRC-32C, reflected polynomial 0x82f63b78, one bit at a time."""
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc


def map_bytes(nr_chunks):
    return ((nr_chunks + 7) // 8 + ALIGN - 1) // ALIGN * ALIGN


def min_bytes(nr_chunks):
    return BITMAP_OFFSET + MAX_ASSOCS * 2 * map_bytes(nr_chunks)


# ------------------------------------------------------------------ the model

def good_model():
    """The good image, as plain values: what the superblocks and maps hold."""
    nr = 1025
    recs = {
        0: dict(name=b"m1", flags=IN_USE, id=0, sync_type=6, sync_mode=2,
                copy_type=3, copy_state=4, sync_state=6, requested=0,
                priority=2, progress=2, rate_limit=0, backlog_limit=0,
                sync_time=1764075700000000000, target_sectors=131077,
                store_slots=0, target_path=b"/dev/disk/by-id/mirror-1",
                maps=[set(range(0, 16)) | {32, 40, 41}, set()]),
        3: dict(name=b"s1", flags=IN_USE | VIEW_WRITABLE, id=3, sync_type=7,
                sync_mode=0, copy_type=4, copy_state=7, sync_state=11,
                requested=15, priority=0, progress=2, rate_limit=0,
                backlog_limit=0, sync_time=0, target_sectors=40960, store_slots=319,
                target_path=b"/dev/ram2",
                maps=[{1024}, {7}]),
        5: dict(name=b"c.1_x-Y", flags=IN_USE, id=5, sync_type=8, sync_mode=0,
                copy_type=4, copy_state=3, sync_state=15, requested=7,
                priority=3, progress=6, rate_limit=104857600, backlog_limit=0,
                sync_time=0, target_sectors=262144, store_slots=0,
                target_path=b"/dev/mapper/clone target",
                maps=[set(range(100, 200)), {0, 1, 2, 1022, 1023, 1024}]),
    }
    return dict(
        version=VERSION, magic=MAGIC,
        uuid=bytes.fromhex("0f1e2d3c4b5a69788796a5b4c3d2e1f0"),
        generation=6, sb_bytes=SB_BYTES, chunk_size=65536,
        source_sectors=131077, nr_chunks=nr, bitmap_offset=BITMAP_OFFSET,
        bitmap_bytes=map_bytes(nr), format_time=1764075662123456789,
        commit_time=1764075799987654321, flags=0, max_assocs=MAX_ASSOCS,
        name=b"data", source_path=b"/dev/disk/by-id/source-disk",
        records=recs,
        # The file: the maps, and one more block that wipe must leave alone.
        size=min_bytes(nr) + ALIGN,
    )


def encode_sb(m, generation, csum=None):
    recs = b""
    for slot in range(MAX_ASSOCS):
        r = m["records"].get(slot)
        if r is None:
            recs += bytes(RECORD.size)
            continue
        recs += RECORD.pack(r["name"], r["flags"], r["id"], r["sync_type"],
                            r["sync_mode"], r["copy_type"], r["copy_state"],
                            r["sync_state"], r["requested"], r["priority"],
                            r["progress"],
                            r["rate_limit"], r["backlog_limit"],
                            r["sync_time"], r["target_sectors"],
                            r["store_slots"], r["target_path"])
    body = SB_HEAD.pack(0, m["version"], m["magic"], m["uuid"], generation,
                        m["sb_bytes"], m["chunk_size"], m["source_sectors"],
                        m["nr_chunks"], m["bitmap_offset"], m["bitmap_bytes"],
                        m["size"] // 512, m["format_time"],
                        m["commit_time"] - (m["generation"] - generation),
                        m["flags"], m["max_assocs"], m["name"],
                        m["source_path"])
    sb = bytearray(body + recs + bytes(3072))
    assert len(sb) == SB_BYTES
    if csum is None:
        csum = crc32c(sb[4:])
    struct.pack_into("<I", sb, 0, csum)
    return sb


def encode_map(bits, nbytes):
    buf = bytearray(nbytes)
    for c in bits:
        buf[c // 8] |= 1 << (c % 8)
    return buf


def image(m, older=None):
    """The image of model @m: its generation in copy generation % 2, the
    previous one (model @older, else @m) in the other copy."""
    img = bytearray(m["size"])
    gen = m["generation"]
    prev = older if older is not None else m
    for g, mod in ((gen, m), (gen - 1, prev)):
        img[(g % 2) * SB_BYTES:(g % 2 + 1) * SB_BYTES] = encode_sb(mod, g)
    nb = map_bytes(m["nr_chunks"])
    for slot, r in m["records"].items():
        for i, bits in enumerate(r["maps"]):
            pos = BITMAP_OFFSET + (slot * 2 + i) * nb
            img[pos:pos + nb] = encode_map(bits, nb)
    return img


def flip(img, pos):
    img[pos] ^= 0x40


# -------------------------------------------------------------- the variants

def v_good():
    return image(good_model())


def v_torn1():
    """Copy 1 (the older one) with a bad checksum: copy 0 stays current."""
    img = v_good()
    flip(img, SB_BYTES + 3000)
    return img


def v_torn0():
    """Copy 0 (the newer one) torn: copy 1, generation 5, is current."""
    img = v_good()
    flip(img, 1100)
    return img


def v_torn_both():
    img = v_good()
    flip(img, 100)
    flip(img, SB_BYTES + 100)
    return img


def v_v2():
    """Version 2, with checksums that are right: a newer format."""
    m = good_model()
    m["version"] = 2
    return image(m)


def v_nr_chunks():
    m = good_model()
    m["nr_chunks"] = 1024	# 131077 sectors need 1025
    return image(m)


def v_beyond():
    """A bit for chunk 1025 in the clone's map 0 (the map holds 32768 bits)."""
    m = good_model()
    m["records"][5]["maps"][0].add(1025)
    return image(m)


def v_bad_name():
    m = good_model()
    m["records"][3]["name"] = b"bad/name"
    return image(m)


def v_dup_name():
    m = good_model()
    m["records"][5]["name"] = b"m1"
    return image(m)


def v_mirror_map1():
    m = good_model()
    m["records"][0]["maps"][1] = {3}
    return image(m)


def v_random():
    return bytearray(os.urandom(good_model()["size"]))


def v_small():
    return v_good()[:SB_BYTES + 4096]


VARIANTS = {
    "good": v_good, "torn1": v_torn1, "torn0": v_torn0,
    "torn-both": v_torn_both, "v2": v_v2, "nr-chunks": v_nr_chunks,
    "beyond": v_beyond, "bad-name": v_bad_name, "dup-name": v_dup_name,
    "mirror-map1": v_mirror_map1, "random": v_random, "small": v_small,
}


# -------------------------------------------------- what dump -j should show

def iso(ns):
    if not ns:
        return "never"
    t = datetime.datetime.fromtimestamp(ns // 10**9, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def ranges(bits):
    out, run = [], None
    for c in sorted(bits):
        if run and c == run[1] + 1:
            run[1] = c
            continue
        if run:
            out.append(run)
        run = [c, c]
    if run:
        out.append(run)
    return ",".join(str(a) if a == b else "%d-%d" % (a, b) for a, b in out)


def expected_dump(variant, size=None):
    """dump -j of the good image (torn1: copy 1's status differs) on a
    device of @size bytes."""
    m = good_model()
    u = m["uuid"].hex()
    sb = dict(
        version=VERSION, csum=struct.unpack_from("<I", encode_sb(m, 6))[0],
        uuid="-".join((u[:8], u[8:12], u[12:16], u[16:20], u[20:])),
        generation=6, flags=0, clean=False, write_intent=False, name="data",
        source_path=m["source_path"].decode(), source_sectors=131077,
        chunk_size=65536, nr_chunks=1025, sb_bytes=SB_BYTES,
        bitmap_offset=BITMAP_OFFSET, bitmap_bytes=4096,
        meta_sectors=m["size"] // 512, max_assocs=MAX_ASSOCS,
        format_time=iso(m["format_time"]), format_time_ns=m["format_time"],
        commit_time=iso(m["commit_time"]), commit_time_ns=m["commit_time"])
    records = []
    for slot in sorted(m["records"]):
        r = m["records"][slot]
        records.append(dict(
            slot=slot, name=r["name"].decode(), id=r["id"], flags=r["flags"],
            view_writable=bool(r["flags"] & VIEW_WRITABLE),
            redirected=bool(r["flags"] & REDIRECTED),
            sync_type=SYNC_TYPES[r["sync_type"]],
            sync_mode=SYNC_MODES[r["sync_mode"]],
            copy_type=COPY_TYPES[r["copy_type"]],
            copy_priority=PRIORITIES[r["priority"]],
            copy_state=COPY_STATES[r["copy_state"]],
            requested_copy_state=(COPY_STATES[r["requested"]]
                                  if r["requested"] else "none"),
            sync_state=SYNC_STATES[r["sync_state"]],
            progress_status=PROGRESS_STATUSES[r["progress"]],
            rate_limit=r["rate_limit"], backlog_limit=r["backlog_limit"],
            sync_time=iso(r["sync_time"]), sync_time_ns=r["sync_time"],
            target_path=r["target_path"].decode(),
            target_sectors=r["target_sectors"], store_slots=r["store_slots"],
            maps=[dict(map=i, set=len(b), chunks=ranges(b))
                  for i, b in enumerate(r["maps"])]))
    copy1 = dict(copy=1, status="valid", generation=5)
    if variant == "torn1":
        copy1["status"] = "bad-checksum"
    return dict(size=size or m["size"], current=0,
                copies=[dict(copy=0, status="valid", generation=6), copy1],
                superblock=sb, records=records)


def differences(want, got, path=""):
    if isinstance(want, dict) and isinstance(got, dict):
        out = []
        for k in sorted(set(want) | set(got)):
            if k not in got:
                out.append("%s.%s: missing (want %r)" % (path, k, want[k]))
            elif k not in want:
                out.append("%s.%s: unexpected %r" % (path, k, got[k]))
            else:
                out += differences(want[k], got[k], "%s.%s" % (path, k))
        return out
    if isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        out = []
        for i, (w, g) in enumerate(zip(want, got)):
            out += differences(w, g, "%s[%d]" % (path, i))
        return out
    if want != got or type(want) is not type(got):
        return ["%s: want %r, got %r" % (path or ".", want, got)]
    return []


# ---------------------------------------------- reading and damaging a device

def is_blockdev(path):
    return stat.S_ISBLK(os.stat(path).st_mode)


def dev_bytes(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.lseek(fd, 0, os.SEEK_END)
    finally:
        os.close(fd)


def read_at(path, pos, length):
    """@length bytes at @pos (multiples of 4096 on a block device)."""
    if not is_blockdev(path):
        with open(path, "rb") as f:
            f.seek(pos)
            return f.read(length)
    fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    try:
        buf = mmap.mmap(-1, length)
        n = os.preadv(fd, [buf], pos)
        return bytes(buf[:n])
    finally:
        os.close(fd)


def write_at(path, pos, data):
    """Write @data at @pos (multiples of 4096 on a block device) and wait
    until it is on the device."""
    if not is_blockdev(path):
        with open(path, "r+b") as f:
            f.seek(pos)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        return
    fd = os.open(path, os.O_WRONLY | os.O_DIRECT)
    try:
        buf = mmap.mmap(-1, len(data))
        buf[:] = data
        if os.pwritev(fd, [buf], pos) != len(data):
            raise OSError("short write to %s" % path)
        os.fsync(fd)
    finally:
        os.close(fd)


def copy_status(sb):
    """A copy's status and generation, checked as a reader must: magic,
    version, then checksum."""
    head = SB_HEAD.unpack_from(sb)
    csum, version, magic, generation = head[0], head[1], head[2], head[4]
    if magic != MAGIC:
        status = "no-magic"
    elif version != VERSION:
        status = "unknown-version"
    elif crc32c(sb[4:]) != csum:
        status = "bad-checksum"
    else:
        status = "valid"
    return dict(status=status, generation=generation, version=version)


def cstr(b):
    return b.split(b"\0", 1)[0].decode(errors="replace")


def name_of(table, value):
    return table.get(value, "unknown(%d)" % value)


def decode(path):
    """What @path holds, as "dump" prints it."""
    size = dev_bytes(path)
    both = read_at(path, 0, 2 * SB_BYTES)
    copies, current = [], None
    for c in range(2):
        st = copy_status(both[c * SB_BYTES:(c + 1) * SB_BYTES])
        st["copy"] = c
        copies.append(st)
        if st["status"] == "valid" and (current is None or
                                        st["generation"] >
                                        copies[current]["generation"]):
            current = c
    out = dict(size=size, copies=copies, current=current)
    if current is None:
        return out
    sb = both[current * SB_BYTES:(current + 1) * SB_BYTES]
    (_, version, _, uuid, generation, sb_bytes, chunk_size, source_sectors,
     nr_chunks, bitmap_offset, bitmap_bytes, meta_sectors, format_time,
     commit_time, flags, max_assocs, name, source_path) = SB_HEAD.unpack_from(sb)
    out["superblock"] = dict(
        version=version, uuid=uuid.hex(), generation=generation,
        sb_bytes=sb_bytes, chunk_size=chunk_size,
        source_sectors=source_sectors, nr_chunks=nr_chunks,
        bitmap_offset=bitmap_offset, bitmap_bytes=bitmap_bytes,
        meta_sectors=meta_sectors, format_time_ns=format_time,
        commit_time_ns=commit_time, flags=flags,
        clean=bool(flags & SB_CLEAN),
        write_intent=bool(flags & SB_WRITE_INTENT), max_assocs=max_assocs,
        name=cstr(name), source_path=cstr(source_path))
    records = []
    for slot in range(MAX_ASSOCS):
        (rname, rflags, rid, sync_type, sync_mode, copy_type, copy_state,
         sync_state, requested, priority, progress, rate_limit,
         backlog_limit, sync_time, target_sectors, store_slots,
         target_path) = RECORD.unpack_from(sb, RECORDS_OFFSET +
                                           slot * RECORD.size)
        if not rflags & IN_USE:
            continue
        maps = []
        for m in range(2):
            pos = bitmap_offset + (slot * 2 + m) * bitmap_bytes
            data = read_at(path, pos, bitmap_bytes)
            bits = {i * 8 + j for i, byte in enumerate(data) if byte
                    for j in range(8) if byte & (1 << j)}
            maps.append(dict(map=m, set=len(bits), chunks=ranges(bits)))
        records.append(dict(
            slot=slot, name=cstr(rname), id=rid, flags=rflags,
            view_writable=bool(rflags & VIEW_WRITABLE),
            redirected=bool(rflags & REDIRECTED),
            sync_type=name_of(SYNC_TYPES, sync_type),
            sync_mode=name_of(SYNC_MODES, sync_mode),
            copy_type=name_of(COPY_TYPES, copy_type),
            copy_priority=name_of(PRIORITIES, priority),
            copy_state=name_of(COPY_STATES, copy_state),
            requested_copy_state=(name_of(COPY_STATES, requested)
                                  if requested else "none"),
            sync_state=name_of(SYNC_STATES, sync_state),
            progress_status=name_of(PROGRESS_STATUSES, progress),
            rate_limit=rate_limit, backlog_limit=backlog_limit,
            sync_time_ns=sync_time, target_sectors=target_sectors,
            store_slots=store_slots, target_path=cstr(target_path),
            maps=maps))
    out["records"] = records
    return out


def rewrite_copy(path, copy, change):
    """Read superblock copy @copy of @path, let @change edit it (a
    bytearray), write it back."""
    if copy not in (0, 1):
        raise ValueError("copy must be 0 or 1")
    sb = bytearray(read_at(path, copy * SB_BYTES, SB_BYTES))
    change(sb)
    write_at(path, copy * SB_BYTES, bytes(sb))


def damage(path, copy, offset):
    def change(sb):
        flip(sb, offset)
    if not 4 <= offset < SB_BYTES:
        raise ValueError("offset must be from 4 to %d" % (SB_BYTES - 1))
    rewrite_copy(path, copy, change)


def set_version(path, copy, version):
    def change(sb):
        struct.pack_into("<I", sb, VERSION_OFFSET, version)
        struct.pack_into("<I", sb, 0, crc32c(sb[4:]))
    rewrite_copy(path, copy, change)


def poke(path, copy, offset, data):
    def change(sb):
        sb[offset:offset + len(data)] = data
        struct.pack_into("<I", sb, 0, crc32c(sb[4:]))
    if not 4 <= offset <= SB_BYTES - len(data):
        raise ValueError("bytes must lie from 4 to %d" % (SB_BYTES - 1))
    rewrite_copy(path, copy, change)


def set_flags(path, copy, spec):
    """Set (N), add (+N) or clear (-N) superblock flags of copy @copy (0, 1
    or "current") of @path, checksum recomputed; returns (copy, old, new)."""
    if copy == "current":
        copy = decode(path)["current"]
        if copy is None:
            raise ValueError("no intact superblock copy")
    copy = int(copy)
    value = int(spec.lstrip("+-"), 0)
    flags = {}

    def change(sb):
        old = struct.unpack_from("<I", sb, FLAGS_OFFSET)[0]
        new = (old | value if spec[0] == "+" else
               old & ~value if spec[0] == "-" else value)
        struct.pack_into("<I", sb, FLAGS_OFFSET, new)
        struct.pack_into("<I", sb, 0, crc32c(sb[4:]))
        flags.update(old=old, new=new)
    rewrite_copy(path, copy, change)
    return copy, flags["old"], flags["new"]

STORE_HEADER_BYTES = 4096


def store_rewrite(path, copy, change):
    """Let @change edit snapshot store header copy @copy of @path."""
    if copy not in (0, 1):
        raise ValueError("copy must be 0 or 1")
    hdr = bytearray(read_at(path, copy * STORE_HEADER_BYTES, STORE_HEADER_BYTES))
    change(hdr)
    write_at(path, copy * STORE_HEADER_BYTES, bytes(hdr))


def store_damage(path, copy):
    store_rewrite(path, copy, lambda hdr: flip(hdr, 200))


def store_poke(path, copy, offset, data):
    def change(hdr):
        hdr[offset:offset + len(data)] = data
        struct.pack_into("<I", hdr, 0, crc32c(hdr[4:]))
    if not 4 <= offset <= STORE_HEADER_BYTES - len(data):
        raise ValueError("bytes must lie from 4 to %d" % (STORE_HEADER_BYTES - 1))
    store_rewrite(path, copy, change)


def main(argv):
    if len(argv) == 3 and argv[1] == "crc":
        print("0x%08x" % crc32c(argv[2].encode()))
    elif len(argv) == 4 and argv[1] == "write" and argv[3] in VARIANTS:
        with open(argv[2], "wb") as f:
            f.write(VARIANTS[argv[3]]())
    elif len(argv) in (3, 4) and argv[1] == "compare":
        got = json.load(sys.stdin)
        got.pop("device", None)
        size = int(argv[3]) if len(argv) == 4 else None
        diff = differences(expected_dump(argv[2], size), got)
        for line in diff:
            print(line)
        return 1 if diff else 0
    elif len(argv) == 2 and argv[1] == "variants":
        print(" ".join(VARIANTS))
    elif len(argv) == 3 and argv[1] == "dump":
        print(json.dumps(decode(argv[2]), sort_keys=True))
    elif len(argv) in (4, 5) and argv[1] == "damage":
        offset = (int(argv[4], 0) if len(argv) == 5 else
                  RECORDS_OFFSET + RATE_LIMIT_OFFSET + 2)
        damage(argv[2], int(argv[3]), offset)
    elif len(argv) == 5 and argv[1] == "set-version":
        set_version(argv[2], int(argv[3]), int(argv[4], 0))
    elif len(argv) == 5 and argv[1] == "set-flags":
        print("copy %d: flags 0x%x -> 0x%x" % set_flags(argv[2], argv[3], argv[4]))
    elif len(argv) == 4 and argv[1] == "store-damage":
        store_damage(argv[2], int(argv[3]))
    elif len(argv) == 6 and argv[1] == "store-poke":
        store_poke(argv[2], int(argv[3]), int(argv[4], 0), bytes.fromhex(argv[5]))
    elif len(argv) == 6 and argv[1] == "poke":
        poke(argv[2], int(argv[3]), int(argv[4], 0), bytes.fromhex(argv[5]))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
