// SPDX-License-Identifier: GPL-2.0
/*
 * Chunk bitmaps (see chunkmap.h).
 */
#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/find.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "chunkmap.h"

int vdrep_chunkmap_init(struct vdrep_chunkmap *map, u64 nr_chunks)
{
	map->bits = kvcalloc(BITS_TO_LONGS(nr_chunks), sizeof(long), GFP_KERNEL);
	if (!map->bits)
		return -ENOMEM;
	map->nr_chunks = nr_chunks;
	atomic64_set(&map->nr_set, 0);
	return 0;
}

void vdrep_chunkmap_exit(struct vdrep_chunkmap *map)
{
	kvfree(map->bits);
	map->bits = NULL;
}

u64 vdrep_chunkmap_set_range(struct vdrep_chunkmap *map, u64 first, u64 last)
{
	u64 chunk, newly = 0;

	for (chunk = first; chunk <= last && chunk < map->nr_chunks; chunk++)
		if (!test_and_set_bit(chunk, map->bits))
			newly++;
	if (newly)
		atomic64_add(newly, &map->nr_set);
	return newly;
}

void vdrep_chunkmap_set_all(struct vdrep_chunkmap *map)
{
	vdrep_chunkmap_set_range(map, 0, map->nr_chunks - 1);
}

bool vdrep_chunkmap_clear(struct vdrep_chunkmap *map, u64 chunk)
{
	if (!test_and_clear_bit(chunk, map->bits))
		return false;
	atomic64_dec(&map->nr_set);
	return true;
}

void vdrep_chunkmap_clear_all(struct vdrep_chunkmap *map)
{
	u64 chunk;

	for (chunk = vdrep_chunkmap_next(map, 0); chunk < map->nr_chunks;
	     chunk = vdrep_chunkmap_next(map, chunk + 1))
		vdrep_chunkmap_clear(map, chunk);
}

bool vdrep_chunkmap_any(const struct vdrep_chunkmap *map, u64 first, u64 last)
{
	u64 next = vdrep_chunkmap_next(map, first);

	return next <= last && next < map->nr_chunks;
}

u64 vdrep_chunkmap_next(const struct vdrep_chunkmap *map, u64 from)
{
	if (from >= map->nr_chunks)
		return map->nr_chunks;
	return find_next_bit(map->bits, map->nr_chunks, from);
}

bool vdrep_chunkmap_all(const struct vdrep_chunkmap *map, u64 first, u64 last)
{
	/* Chunks past the end are not in the map: an empty range is all set. */
	if (first > last || first >= map->nr_chunks)
		return true;
	if (last >= map->nr_chunks)
		last = map->nr_chunks - 1;
	return find_next_zero_bit(map->bits, last + 1, first) > last;
}

u64 vdrep_chunkmap_merge(struct vdrep_chunkmap *dst, struct vdrep_chunkmap *src,
			 bool clear_src)
{
	u64 chunk, newly = 0;

	for (chunk = vdrep_chunkmap_next(src, 0); chunk < src->nr_chunks;
	     chunk = vdrep_chunkmap_next(src, chunk + 1)) {
		newly += vdrep_chunkmap_set_range(dst, chunk, chunk);
		if (clear_src)
			vdrep_chunkmap_clear(src, chunk);
	}
	return newly;
}

void vdrep_chunkmap_to_le(const struct vdrep_chunkmap *map, u64 first, u8 *buf,
			  size_t bytes)
{
	size_t i;

	for (i = 0; i < bytes; i++) {
		u64 chunk = first + (u64)i * 8;
		u8 v;

		if (chunk >= map->nr_chunks) {
			memset(buf + i, 0, bytes - i);
			return;
		}
		/* chunk % BITS_PER_LONG is a multiple of 8: one byte of the word. */
		v = READ_ONCE(map->bits[chunk / BITS_PER_LONG]) >> (chunk % BITS_PER_LONG);
		if (map->nr_chunks - chunk < 8)
			v &= (1U << (map->nr_chunks - chunk)) - 1;
		buf[i] = v;
	}
}

/* Bits from an on-disk map: set, and with @assign cleared too; the change of nr_set. */
static s64 vdrep_chunkmap_apply_le(struct vdrep_chunkmap *map, u64 first, const u8 *buf,
				   size_t bytes, bool assign)
{
	s64 delta = 0;
	size_t i;
	int b;

	for (i = 0; i < bytes; i++) {
		u64 chunk = first + (u64)i * 8;

		if (chunk >= map->nr_chunks)
			break;
		if (!buf[i] && !assign)
			continue;
		for (b = 0; b < 8 && chunk + b < map->nr_chunks; b++) {
			if (buf[i] & (1U << b)) {
				if (!test_and_set_bit(chunk + b, map->bits))
					delta++;
			} else if (assign && test_and_clear_bit(chunk + b, map->bits)) {
				delta--;
			}
		}
	}
	atomic64_add(delta, &map->nr_set);
	return delta;
}

u64 vdrep_chunkmap_from_le(struct vdrep_chunkmap *map, u64 first, const u8 *buf,
			   size_t bytes)
{
	return vdrep_chunkmap_apply_le(map, first, buf, bytes, false);
}

void vdrep_chunkmap_assign_le(struct vdrep_chunkmap *map, u64 first, const u8 *buf,
			      size_t bytes)
{
	vdrep_chunkmap_apply_le(map, first, buf, bytes, true);
}
