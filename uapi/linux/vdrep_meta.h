/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/*
 * vdrep's on-disk metadata, format version 1: what a metadata device holds.
 * Documentation/admin-guide/metadata-format.rst describes it byte by byte;
 * the kernel (kernel/meta.c) writes it, vdrepctl's "meta" commands read it
 * offline.  Every field is little-endian and fixed-width, padding is
 * explicit, and nothing is a pointer.
 *
 * Layout (byte offsets on the metadata device):
 *   0      superblock copy 0 (VDREP_META_SB_BYTES)
 *   8 KiB  superblock copy 1
 *   16 KiB association maps: for record slot i (0-15) and map m (0-1),
 *          bitmap_offset + (i * 2 + m) * bitmap_bytes, bit c (byte c / 8,
 *          bit c % 8) standing for chunk c of the volume.
 * The two superblock copies are written alternately, copy generation % 2;
 * a reader takes the copy with a valid checksum, magic and version and the
 * higher generation.
 */
#ifndef _UAPI_LINUX_VDREP_META_H
#define _UAPI_LINUX_VDREP_META_H

#include <linux/types.h>

#define VDREP_META_MAGIC		"vdrep-md"	/* 8 bytes, no NUL */
#define VDREP_META_VERSION		1
#define VDREP_META_SB_BYTES		8192
#define VDREP_META_BITMAP_OFFSET	(2 * VDREP_META_SB_BYTES)
#define VDREP_META_ALIGN		4096	/* maps start and end on it */
#define VDREP_META_MAPS			2	/* per association record */
#define VDREP_META_PATH_LEN		128	/* with its NUL */

/* vdrep_meta_sb.flags */
#define VDREP_META_SB_CLEAN		(1U << 0)	/* last commit: destroy, unload */
/*
 * The writer keeps the maps ahead of the data: a chunk's bit is on the
 * device before any write to the chunk is issued (mirrors: map 0; clones:
 * map 1, and map 0 cleared before a copied chunk is rewritten), so after an
 * unclean end the maps can be trusted (metadata-format.rst, "Write intent").
 */
#define VDREP_META_SB_WRITE_INTENT	(1U << 1)
#define VDREP_META_SB_FLAGS		(VDREP_META_SB_CLEAN | VDREP_META_SB_WRITE_INTENT)

/* vdrep_meta_assoc.flags */
#define VDREP_META_ASSOC_IN_USE		(1U << 0)
#define VDREP_META_ASSOC_VIEW_WRITABLE	(1U << 1)
/*
 * The volume's I/O goes through this association's target: it is failed
 * over, failing back or restoring, or a restore was asked for. Written
 * before the volume's I/O turns to the target, and cleared before it
 * turns back (metadata-format.rst, "Failover and restore").
 */
#define VDREP_META_ASSOC_REDIRECTED	(1U << 2)

/*
 * Map 0 of a record: chunks whose target may differ from the source (a
 * mirror's resync set, with an asynchronous mirror's queued chunks; a
 * clone's chunks not yet copied; a snapshot's preserved chunks).  Map 1: a
 * clone's chunks written since its point in time, a snapshot's chunks still
 * to copy back in a restore; unused (zero) for mirrors.
 */
#define VDREP_META_MAP_DIFFER		0
#define VDREP_META_MAP_SECOND		1

/* One association (256 bytes). */
struct vdrep_meta_assoc {
	__u8	name[32];		/* NUL-padded */
	__le32	flags;			/* VDREP_META_ASSOC_* */
	__le32	id;			/* M of /dev/vdrepNaM */
	__le32	sync_type;		/* enum vdrep_sync_type (seed SyncType) */
	__le32	sync_mode;		/* enum vdrep_sync_mode, 0 but for mirrors */
	__le32	copy_type;		/* enum vdrep_copy_type (seed CopyType) */
	__le32	copy_state;		/* enum vdrep_copy_state (seed) */
	__le32	sync_state;		/* enum vdrep_sync_state (seed) */
	__le32	requested_copy_state;	/* enum vdrep_copy_state; NotApplicable: none */
	__le32	copy_priority;		/* enum vdrep_copy_priority */
	__le32	progress_status;	/* enum vdrep_progress_status (seed) */
	__le64	rate_limit;		/* bytes/s, 0: none */
	__le64	backlog_limit;		/* asynchronous mirror, bytes */
	__le64	sync_time;		/* ns since the epoch, 0: never */
	__le64	target_sectors;		/* target size, 512-byte sectors */
	__le64	store_slots;		/* snapshot: chunk slots of its store */
	__u8	target_path[VDREP_META_PATH_LEN];	/* NUL-padded, as given */
	__u8	reserved1[16];
};

/* One superblock copy (VDREP_META_SB_BYTES bytes). */
struct vdrep_meta_sb {
	__le32	csum;			/* crc32c of bytes 4 to the end, see below */
	__le32	version;		/* VDREP_META_VERSION */
	__u8	magic[8];		/* VDREP_META_MAGIC */
	__u8	uuid[16];		/* the volume's, random at format time */
	__le64	generation;		/* +1 at every commit; copy generation % 2 */
	__le32	sb_bytes;		/* VDREP_META_SB_BYTES */
	__le32	chunk_size;		/* bytes */
	__le64	source_sectors;		/* source size, 512-byte sectors */
	__le64	nr_chunks;
	__le64	bitmap_offset;		/* bytes, VDREP_META_BITMAP_OFFSET */
	__le64	bitmap_bytes;		/* bytes of one map, multiple of 4096 */
	__le64	meta_sectors;		/* size of the metadata device at format */
	__le64	format_time;		/* ns since the epoch */
	__le64	commit_time;		/* ns since the epoch, of this generation */
	__le32	flags;			/* VDREP_META_SB_* */
	__le32	max_assocs;		/* records below: VDREP_MAX_ASSOCS */
	__u8	name[32];		/* the volume's, NUL-padded */
	__u8	source_path[VDREP_META_PATH_LEN];	/* NUL-padded, as given */
	__u8	reserved0[752];		/* to 1024 */
	struct vdrep_meta_assoc assocs[16];	/* 1024 to 5120 */
	__u8	reserved1[3072];	/* to 8192 */
};

/*
 * The checksum: CRC-32C (Castagnoli, reflected polynomial 0x82f63b78) of the
 * superblock's bytes 4 to VDREP_META_SB_BYTES - 1, the register starting at
 * 0xffffffff and not inverted at the end (Linux's crc32c(~0, p, len)).
 * Check value: "123456789" gives 0x1cf96d7c.
 */
#define VDREP_META_CRC_SEED		0xffffffffU

/* Bytes of one map for @nr_chunks chunks. */
#define VDREP_META_MAP_BYTES(nr_chunks) \
	((((nr_chunks) + 7) / 8 + VDREP_META_ALIGN - 1) / VDREP_META_ALIGN * VDREP_META_ALIGN)

/* Smallest metadata device, in bytes, for a volume of @nr_chunks chunks. */
#define VDREP_META_MIN_BYTES(nr_chunks) \
	(VDREP_META_BITMAP_OFFSET + \
	 16ULL * VDREP_META_MAPS * VDREP_META_MAP_BYTES(nr_chunks))

/*
 * A snapshot's store: its target device, cut into chunks of the volume's
 * chunk size.  Byte offsets:
 *   0              store header copy 0 (VDREP_STORE_HEADER_BYTES)
 *   4096           store header copy 1
 *   table_offset   the store map: one struct vdrep_store_entry per data
 *                  slot, entry i for slot i (VDREP_STORE_HEADER_AREA bytes,
 *                  at least one chunk, precede it)
 *   data_offset    data slot i at data_offset + i * chunk_size
 * Each point in time has its own random, non-zero epoch: the header holds
 * the current one, and an entry counts only if it carries it, so a new
 * point in time needs no zeroing.  A store header copy is written
 * alternately (generation % 2), both at format time.  The map is kept only
 * by a volume with a metadata device (VDREP_STORE_MAP); an entry is on the
 * store, after its slot's data, before the source write it preserves for.
 */
#define VDREP_STORE_MAGIC		"vdrep-st"	/* 8 bytes, no NUL */
#define VDREP_STORE_VERSION		1
#define VDREP_STORE_HEADER_BYTES	4096
#define VDREP_STORE_HEADER_AREA		8192	/* both copies */
#define VDREP_STORE_BLOCK		4096	/* the map is written in these */

/* vdrep_store_header.flags */
#define VDREP_STORE_MAP			(1U << 0)	/* entries of the epoch are kept */

/* One store header copy (VDREP_STORE_HEADER_BYTES bytes). */
struct vdrep_store_header {
	__le32	csum;			/* crc32c of bytes 4 to the end, as the superblock's */
	__le32	version;		/* VDREP_STORE_VERSION */
	__u8	magic[8];		/* VDREP_STORE_MAGIC */
	__u8	volume_uuid[16];	/* the metadata device's uuid, 0: none */
	__le64	generation;		/* +1 at every write; copy generation % 2 */
	__le64	epoch;			/* the point in time's, random, not 0 */
	__le64	sync_time;		/* the point in time, ns since the epoch */
	__le32	chunk_size;		/* bytes, the volume's */
	__le32	assoc_id;		/* M of /dev/vdrepNaM */
	__le64	nr_chunks;		/* the volume's */
	__le64	table_offset;		/* bytes */
	__le64	data_offset;		/* bytes */
	__le64	data_slots;
	__le32	flags;			/* VDREP_STORE_* */
	__le32	reserved0;
	__u8	name[32];		/* the association's, NUL-padded */
	__u8	reserved1[3960];	/* to 4096 */
};

/* Store map entry i: which chunk data slot i holds, for which point in time. */
struct vdrep_store_entry {
	__le64	chunk;			/* chunk of the volume */
	__le64	epoch;			/* valid only if the header's epoch */
};

#endif /* _UAPI_LINUX_VDREP_META_H */
