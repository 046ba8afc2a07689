/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A chunk bitmap: one bit per chunk of a volume, set while the chunk
 * differs between the two sides of an association. Bits are changed with
 * atomic bit operations, so the I/O path (including completions) marks
 * chunks without a lock; the count of set bits is kept alongside so
 * PercentSynced and "dirty chunks" cost nothing to read.
 *
 * Pure logic with no block-layer dependency (unit-testable); the volume's
 * sector-to-chunk arithmetic is here too.
 */
#ifndef VDREP_CHUNKMAP_H
#define VDREP_CHUNKMAP_H

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/types.h>

struct vdrep_chunkmap {
	unsigned long *bits;
	u64 nr_chunks;
	atomic64_t nr_set;
};

int vdrep_chunkmap_init(struct vdrep_chunkmap *map, u64 nr_chunks);
void vdrep_chunkmap_exit(struct vdrep_chunkmap *map);

/* Set chunks first..last (inclusive); returns how many were newly set. */
u64 vdrep_chunkmap_set_range(struct vdrep_chunkmap *map, u64 first, u64 last);
void vdrep_chunkmap_set_all(struct vdrep_chunkmap *map);
/* Clear one chunk; true if it was set. */
bool vdrep_chunkmap_clear(struct vdrep_chunkmap *map, u64 chunk);
void vdrep_chunkmap_clear_all(struct vdrep_chunkmap *map);
/* Any chunk of first..last set. */
bool vdrep_chunkmap_any(const struct vdrep_chunkmap *map, u64 first, u64 last);
/* Every chunk of first..last that the map has is set (true when it has none). */
bool vdrep_chunkmap_all(const struct vdrep_chunkmap *map, u64 first, u64 last);
/* Set in @dst every chunk set in @src; with @clear_src, clear them in @src. */
u64 vdrep_chunkmap_merge(struct vdrep_chunkmap *dst, struct vdrep_chunkmap *src,
			 bool clear_src);
static inline bool vdrep_chunkmap_test(const struct vdrep_chunkmap *map, u64 chunk)
{
	return chunk < map->nr_chunks && test_bit(chunk, map->bits);
}

/*
 * Write chunks @first onwards of @map into @buf as @bytes bytes of an
 * on-disk map: chunk first + 8 * i + j is bit j of byte i, whatever the
 * CPU's byte order; chunks past the map's end are 0. @first is a multiple
 * of BITS_PER_LONG.
 */
void vdrep_chunkmap_to_le(const struct vdrep_chunkmap *map, u64 first, u8 *buf,
			  size_t bytes);

/*
 * The reverse: set in @map the chunks that @bytes bytes of an on-disk map
 * at @buf mark, from chunk @first (a multiple of 8) on; bits past the
 * map's end are ignored. Returns how many were newly set.
 */
u64 vdrep_chunkmap_from_le(struct vdrep_chunkmap *map, u64 first, const u8 *buf,
			   size_t bytes);

/*
 * Make chunks @first.. of @map what @bytes bytes of an on-disk map at @buf
 * say, setting and clearing (@first a multiple of 8); bits past the end
 * are ignored.
 */
void vdrep_chunkmap_assign_le(struct vdrep_chunkmap *map, u64 first, const u8 *buf,
			      size_t bytes);

/* The first set chunk at or after @from, or nr_chunks if none. */
u64 vdrep_chunkmap_next(const struct vdrep_chunkmap *map, u64 from);

static inline u64 vdrep_chunkmap_weight(const struct vdrep_chunkmap *map)
{
	return atomic64_read(&map->nr_set);
}

/* Chunks needed for @sectors (512-byte) with chunks of 2^@shift sectors. */
static inline u64 vdrep_nr_chunks(u64 sectors, unsigned int shift)
{
	return (sectors + (1ULL << shift) - 1) >> shift;
}

/* PercentSynced: chunks in sync over all, rounded down; 100 only when none differ. */
static inline u32 vdrep_percent_synced(u64 dirty, u64 total)
{
	if (!dirty || !total)
		return 100;
	return div64_u64((total - dirty) * 100, total);
}

#endif /* VDREP_CHUNKMAP_H */
