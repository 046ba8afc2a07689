// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of chunk arithmetic and chunk bitmaps (kernel/chunkmap.c,
 * chunkmap.h) at the edges of a device: sizes that are not a multiple of
 * the chunk, the last partial chunk, every chunk size from 4 KiB to 1 MiB,
 * the first and last chunk of a map, ranges across the 64-bit words of the
 * bitmap, empty maps, and PercentSynced's rounding ("(total - dirty) * 100
 * / total, rounded down ...; 100 only when no chunk differs", admin guide,
 * Reported properties). chunkmap.c is compiled into this module.
 */
#include "../chunkmap.c"

#include <kunit/test.h>
#include <linux/log2.h>
#include <linux/sizes.h>

/* vdrep_nr_chunks() counts 512-byte sectors (no block header here). */
#define SECTOR_BITS	9

/* Maps a test allocates; freed by the suite's exit even when a test fails. */
struct cm_maps {
	struct vdrep_chunkmap a, b;
};

static int cm_init(struct kunit *test)
{
	test->priv = kunit_kzalloc(test, sizeof(struct cm_maps), GFP_KERNEL);
	return test->priv ? 0 : -ENOMEM;
}

static void cm_exit(struct kunit *test)
{
	struct cm_maps *m = test->priv;

	vdrep_chunkmap_exit(&m->a);
	vdrep_chunkmap_exit(&m->b);
}

static struct vdrep_chunkmap *cm_new(struct kunit *test, struct vdrep_chunkmap *map,
				     u64 nr_chunks)
{
	KUNIT_ASSERT_EQ(test, vdrep_chunkmap_init(map, nr_chunks), 0);
	KUNIT_ASSERT_EQ(test, map->nr_chunks, nr_chunks);
	return map;
}

/* ------------------------------------------------------ chunk arithmetic */

/* Every chunk size a volume may have (admin guide: 4 KiB to 1 MiB). */
static const u32 chunk_sizes[] = {
	SZ_4K, SZ_8K, SZ_16K, SZ_32K, SZ_64K, SZ_128K, SZ_256K, SZ_512K, SZ_1M,
};

static void chunk_size_desc(const u32 *size, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%u KiB", *size >> 10);
}

KUNIT_ARRAY_PARAM(chunk_size, chunk_sizes, chunk_size_desc);

/* The volume's shift for @size: chunks of 2^shift sectors (io.c). */
static unsigned int shift_of(u32 size)
{
	return ilog2(size) - SECTOR_BITS;
}

/*
 * vdrep_nr_chunks(): the chunks that cover a device of @sectors, the last
 * one partial when the size is not a multiple of the chunk.
 */
static void chunk_nr_chunks(struct kunit *test)
{
	const u32 size = *(const u32 *)test->param_value;
	const unsigned int shift = shift_of(size);
	const u64 spc = size >> SECTOR_BITS;	/* sectors per chunk */
	static const u64 devices[] = {		/* bytes */
		SZ_16M, SZ_16M + 512, SZ_16M - 512, SZ_16M + SZ_4K, SZ_1G + 3 * 512,
		SZ_1G * 1024ULL * 1024, SZ_1G * 1024ULL * 1024 - 512,
	};
	u64 sectors;
	size_t i;

	KUNIT_EXPECT_EQ(test, 1ULL << shift, spc);
	KUNIT_EXPECT_EQ(test, vdrep_nr_chunks(0, shift), 0ULL);
	KUNIT_EXPECT_EQ(test, vdrep_nr_chunks(1, shift), 1ULL);
	KUNIT_EXPECT_EQ(test, vdrep_nr_chunks(spc - 1, shift), 1ULL);
	KUNIT_EXPECT_EQ(test, vdrep_nr_chunks(spc, shift), 1ULL);
	KUNIT_EXPECT_EQ(test, vdrep_nr_chunks(spc + 1, shift), 2ULL);
	KUNIT_EXPECT_EQ(test, vdrep_nr_chunks(2 * spc, shift), 2ULL);
	KUNIT_EXPECT_EQ(test, vdrep_nr_chunks(SZ_16M >> SECTOR_BITS, shift),
			(u64)(SZ_16M / size));
	/* 1 PiB, and one sector less: the largest devices in sight. */
	KUNIT_EXPECT_EQ(test, vdrep_nr_chunks(1ULL << 41, shift), (1ULL << 50) / size);
	KUNIT_EXPECT_EQ(test, vdrep_nr_chunks((1ULL << 41) - 1, shift), (1ULL << 50) / size);

	/* Every size up to four chunks and a bit: the chunks just cover it. */
	for (sectors = 1; sectors <= 4 * spc + 3; sectors++) {
		u64 n = vdrep_nr_chunks(sectors, shift);

		if (!((n - 1) * spc < sectors && sectors <= n * spc)) {
			/* The first one only: the others would flood the log. */
			KUNIT_FAIL(test, "%llu sectors: %llu chunks", sectors, n);
			break;
		}
	}
	for (i = 0; i < ARRAY_SIZE(devices); i++) {
		u64 n;

		sectors = devices[i] >> SECTOR_BITS;
		n = vdrep_nr_chunks(sectors, shift);
		KUNIT_EXPECT_TRUE_MSG(test, (n - 1) * spc < sectors && sectors <= n * spc,
				      "%llu sectors: %llu chunks", sectors, n);
	}
}

/*
 * The last partial chunk: a device of k chunks and r sectors has k + 1
 * chunks; its last sector maps (sector >> shift, as the I/O path does) to
 * the last chunk, which holds r sectors, and a map of the device has a bit
 * for it and none beyond.
 */
static void chunk_last_partial(struct kunit *test)
{
	const u32 size = *(const u32 *)test->param_value;
	const unsigned int shift = shift_of(size);
	const u64 spc = size >> SECTOR_BITS;
	const u64 rests[] = { 1, 8, spc / 2, spc - 1 };
	static const u64 whole[] = { 0, 1, 2, 63, 64, 65, 127, 128, 129 };
	struct cm_maps *m = test->priv;
	size_t i, j;

	for (j = 0; j < ARRAY_SIZE(whole); j++) {
		for (i = 0; i < ARRAY_SIZE(rests); i++) {
			u64 k = whole[j], r = rests[i], sectors = k * spc + r, n, last;

			if (r == 0 || r >= spc)
				continue;
			n = vdrep_nr_chunks(sectors, shift);
			last = (sectors - 1) >> shift;
			KUNIT_EXPECT_EQ_MSG(test, n, k + 1, "%llu chunks + %llu sectors", k, r);
			KUNIT_EXPECT_EQ_MSG(test, last, n - 1, "%llu chunks + %llu sectors", k, r);
			KUNIT_EXPECT_EQ_MSG(test, sectors - (last << shift), r,
					    "%llu chunks + %llu sectors", k, r);

			cm_new(test, &m->a, n);
			/* A write of the device's last sector. */
			KUNIT_EXPECT_EQ(test, vdrep_chunkmap_set_range(&m->a, last, last), 1ULL);
			KUNIT_EXPECT_TRUE(test, vdrep_chunkmap_test(&m->a, n - 1));
			KUNIT_EXPECT_FALSE(test, vdrep_chunkmap_test(&m->a, n));
			KUNIT_EXPECT_EQ(test, vdrep_chunkmap_next(&m->a, 0), n - 1);
			/* A write of the whole device. */
			KUNIT_EXPECT_EQ(test, vdrep_chunkmap_set_range(&m->a, 0, last), n - 1);
			KUNIT_EXPECT_EQ(test, vdrep_chunkmap_weight(&m->a), n);
			KUNIT_EXPECT_TRUE(test, vdrep_chunkmap_all(&m->a, 0, n - 1));
			vdrep_chunkmap_exit(&m->a);
		}
	}
}

/* ------------------------------------------------- the first and last chunk */

static const u64 map_sizes[] = { 1, 2, 3, 63, 64, 65, 127, 128, 129, 4097 };

static void map_size_desc(const u64 *n, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%llu chunks", *n);
}

KUNIT_ARRAY_PARAM(map_size, map_sizes, map_size_desc);

static void chunkmap_edges(struct kunit *test)
{
	const u64 n = *(const u64 *)test->param_value;
	struct cm_maps *m = test->priv;
	struct vdrep_chunkmap *a = cm_new(test, &m->a, n);

	/* A new map: nothing set. */
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_weight(a), 0ULL);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_next(a, 0), n);
	KUNIT_EXPECT_FALSE(test, vdrep_chunkmap_any(a, 0, n - 1));
	KUNIT_EXPECT_FALSE(test, vdrep_chunkmap_all(a, 0, n - 1));
	KUNIT_EXPECT_FALSE(test, vdrep_chunkmap_test(a, 0));
	KUNIT_EXPECT_FALSE(test, vdrep_chunkmap_test(a, n - 1));

	/* The first chunk. */
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_set_range(a, 0, 0), 1ULL);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_set_range(a, 0, 0), 0ULL);
	KUNIT_EXPECT_TRUE(test, vdrep_chunkmap_test(a, 0));
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_weight(a), 1ULL);
	KUNIT_EXPECT_TRUE(test, vdrep_chunkmap_any(a, 0, 0));
	KUNIT_EXPECT_TRUE(test, vdrep_chunkmap_all(a, 0, 0));
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_next(a, 0), 0ULL);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_next(a, 1), n);

	/* The last chunk (the first one again when there is one). */
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_set_range(a, n - 1, n - 1), n > 1 ? 1ULL : 0ULL);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_weight(a), n > 1 ? 2ULL : 1ULL);
	KUNIT_EXPECT_TRUE(test, vdrep_chunkmap_test(a, n - 1));
	KUNIT_EXPECT_TRUE(test, vdrep_chunkmap_any(a, n - 1, n - 1));
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_next(a, n - 1), n - 1);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_next(a, n), n);
	if (n > 1)
		KUNIT_EXPECT_EQ(test, vdrep_chunkmap_next(a, 1), n - 1);
	if (n > 2) {
		KUNIT_EXPECT_FALSE(test, vdrep_chunkmap_any(a, 1, n - 2));
		KUNIT_EXPECT_FALSE(test, vdrep_chunkmap_all(a, 0, n - 1));
	}

	/* Past the end: nothing is set, nothing is there. */
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_set_range(a, n, n + 64), 0ULL);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_set_range(a, n - 1, U64_MAX), 0ULL);
	KUNIT_EXPECT_FALSE(test, vdrep_chunkmap_test(a, n));
	KUNIT_EXPECT_FALSE(test, vdrep_chunkmap_any(a, n, U64_MAX));
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_next(a, U64_MAX), n);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_weight(a), n > 1 ? 2ULL : 1ULL);
	/* A reversed range is empty. */
	if (n > 1)
		KUNIT_EXPECT_EQ(test, vdrep_chunkmap_set_range(a, n - 1, 0), 0ULL);

	/* Clear the last chunk: once. */
	KUNIT_EXPECT_TRUE(test, vdrep_chunkmap_clear(a, n - 1));
	KUNIT_EXPECT_FALSE(test, vdrep_chunkmap_clear(a, n - 1));
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_weight(a), n > 1 ? 1ULL : 0ULL);
	KUNIT_EXPECT_FALSE(test, vdrep_chunkmap_test(a, n - 1));

	/* Every chunk. */
	vdrep_chunkmap_set_all(a);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_weight(a), n);
	KUNIT_EXPECT_TRUE(test, vdrep_chunkmap_all(a, 0, n - 1));
	KUNIT_EXPECT_TRUE(test, vdrep_chunkmap_all(a, 0, U64_MAX));
	KUNIT_EXPECT_TRUE(test, vdrep_chunkmap_any(a, 0, U64_MAX));
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_next(a, n - 1), n - 1);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_next(a, n), n);
	KUNIT_EXPECT_TRUE(test, vdrep_chunkmap_clear(a, 0));
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_weight(a), n - 1);
	KUNIT_EXPECT_FALSE(test, vdrep_chunkmap_all(a, 0, n - 1));
	KUNIT_EXPECT_TRUE(test, vdrep_chunkmap_all(a, 1, n - 1));
	KUNIT_EXPECT_FALSE(test, vdrep_chunkmap_any(a, 0, 0));
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_next(a, 0), n > 1 ? 1ULL : n);

	vdrep_chunkmap_clear_all(a);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_weight(a), 0ULL);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_next(a, 0), n);
	KUNIT_EXPECT_FALSE(test, vdrep_chunkmap_any(a, 0, U64_MAX));
}

/* ------------------------------------------------------ across word edges */

struct cm_range {
	u64 first, last;
};

/* In a map of 200 chunks: bits 63/64/65 and 127/128, one word, whole words. */
#define RANGE_MAP 200ULL
static const struct cm_range cm_ranges[] = {
	{ 0, 63 }, { 63, 64 }, { 64, 127 }, { 63, 65 }, { 1, 64 }, { 62, 66 },
	{ 64, 64 }, { 65, 65 }, { 60, 130 }, { 127, 128 }, { 128, 191 },
	{ 0, 199 }, { 199, 199 }, { 190, 199 },
};

static void range_desc(const struct cm_range *r, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "chunks %llu-%llu", r->first, r->last);
}

KUNIT_ARRAY_PARAM(cm_range, cm_ranges, range_desc);

static void chunkmap_word_ranges(struct kunit *test)
{
	const struct cm_range *r = test->param_value;
	const u64 first = r->first, last = r->last, count = last - first + 1;
	const u64 mid = first + (last - first) / 2;
	struct cm_maps *m = test->priv;
	struct vdrep_chunkmap *a = cm_new(test, &m->a, RANGE_MAP);
	u64 c;

	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_set_range(a, first, last), count);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_weight(a), count);
	for (c = 0; c < RANGE_MAP; c++)
		KUNIT_EXPECT_EQ_MSG(test, vdrep_chunkmap_test(a, c), c >= first && c <= last,
				    "chunk %llu", c);
	KUNIT_EXPECT_TRUE(test, vdrep_chunkmap_all(a, first, last));
	KUNIT_EXPECT_TRUE(test, vdrep_chunkmap_any(a, first, last));
	KUNIT_EXPECT_TRUE(test, vdrep_chunkmap_any(a, last, last));
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_next(a, 0), first);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_next(a, last), last);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_next(a, last + 1), RANGE_MAP);
	if (first > 0) {
		KUNIT_EXPECT_FALSE(test, vdrep_chunkmap_all(a, first - 1, last));
		KUNIT_EXPECT_FALSE(test, vdrep_chunkmap_any(a, 0, first - 1));
	}
	if (last < RANGE_MAP - 1) {
		KUNIT_EXPECT_FALSE(test, vdrep_chunkmap_all(a, first, last + 1));
		KUNIT_EXPECT_FALSE(test, vdrep_chunkmap_any(a, last + 1, RANGE_MAP - 1));
	}
	/* Setting it again, or a part of it, sets nothing new. */
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_set_range(a, first, last), 0ULL);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_set_range(a, mid, last), 0ULL);

	/* A hole in the middle. */
	KUNIT_EXPECT_TRUE(test, vdrep_chunkmap_clear(a, mid));
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_weight(a), count - 1);
	KUNIT_EXPECT_FALSE(test, vdrep_chunkmap_all(a, first, last));
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_any(a, first, last), count > 1);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_next(a, mid), mid < last ? mid + 1 : RANGE_MAP);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_set_range(a, first, last), 1ULL);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_weight(a), count);
}

/* --------------------------------------------------------------- merge */

static void chunkmap_merge(struct kunit *test)
{
	static const u64 src_bits[] = { 0, 63, 64, 65, 127, 128, 199 };
	struct cm_maps *m = test->priv;
	struct vdrep_chunkmap *dst = cm_new(test, &m->a, RANGE_MAP);
	struct vdrep_chunkmap *src = cm_new(test, &m->b, RANGE_MAP);
	size_t i;
	u64 c;

	for (i = 0; i < ARRAY_SIZE(src_bits); i++)
		vdrep_chunkmap_set_range(src, src_bits[i], src_bits[i]);
	/* dst already has 64 and 199 of them, and 100 of its own. */
	vdrep_chunkmap_set_range(dst, 64, 64);
	vdrep_chunkmap_set_range(dst, 100, 100);
	vdrep_chunkmap_set_range(dst, 199, 199);

	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_merge(dst, src, false), 5ULL);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_weight(dst), 8ULL);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_weight(src), 7ULL);
	for (i = 0; i < ARRAY_SIZE(src_bits); i++)
		KUNIT_EXPECT_TRUE(test, vdrep_chunkmap_test(dst, src_bits[i]));
	KUNIT_EXPECT_TRUE(test, vdrep_chunkmap_test(dst, 100));

	/* Again, emptying src: nothing new in dst. */
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_merge(dst, src, true), 0ULL);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_weight(src), 0ULL);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_next(src, 0), RANGE_MAP);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_weight(dst), 8ULL);

	/* From an empty map: nothing. */
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_merge(dst, src, true), 0ULL);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_weight(dst), 8ULL);

	/* Everything into a map that has one chunk: the others come, src empties. */
	vdrep_chunkmap_clear_all(dst);
	vdrep_chunkmap_set_range(dst, 128, 128);
	vdrep_chunkmap_set_all(src);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_merge(dst, src, true), RANGE_MAP - 1);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_weight(dst), RANGE_MAP);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_weight(src), 0ULL);
	for (c = 0; c < RANGE_MAP; c++)
		KUNIT_EXPECT_FALSE_MSG(test, vdrep_chunkmap_test(src, c), "chunk %llu", c);
}

/* ------------------------------------------------------------ empty maps */

static void chunkmap_empty(struct kunit *test)
{
	struct cm_maps *m = test->priv;
	/* A map of no chunk (a volume never has one: an empty source is refused). */
	struct vdrep_chunkmap *none = cm_new(test, &m->a, 0);
	/* A map with no chunk set. */
	struct vdrep_chunkmap *clean = cm_new(test, &m->b, 100);

	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_weight(none), 0ULL);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_next(none, 0), 0ULL);
	KUNIT_EXPECT_FALSE(test, vdrep_chunkmap_test(none, 0));
	KUNIT_EXPECT_FALSE(test, vdrep_chunkmap_any(none, 0, 0));
	KUNIT_EXPECT_FALSE(test, vdrep_chunkmap_any(none, 0, U64_MAX));
	/* No chunk in the range, so none of them is clear. */
	KUNIT_EXPECT_TRUE(test, vdrep_chunkmap_all(none, 0, 0));
	KUNIT_EXPECT_TRUE(test, vdrep_chunkmap_all(none, 0, U64_MAX));
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_set_range(none, 0, 0), 0ULL);
	vdrep_chunkmap_set_all(none);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_weight(none), 0ULL);
	vdrep_chunkmap_clear_all(none);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_merge(clean, none, true), 0ULL);

	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_weight(clean), 0ULL);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_next(clean, 0), 100ULL);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_next(clean, 99), 100ULL);
	KUNIT_EXPECT_FALSE(test, vdrep_chunkmap_any(clean, 0, 99));
	KUNIT_EXPECT_FALSE(test, vdrep_chunkmap_all(clean, 0, 99));
	KUNIT_EXPECT_FALSE(test, vdrep_chunkmap_all(clean, 99, 99));
	KUNIT_EXPECT_TRUE(test, vdrep_chunkmap_all(clean, 100, 200));
	KUNIT_EXPECT_FALSE(test, vdrep_chunkmap_clear(clean, 0));
	KUNIT_EXPECT_FALSE(test, vdrep_chunkmap_clear(clean, 99));
	vdrep_chunkmap_clear_all(clean);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_weight(clean), 0ULL);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_merge(none, clean, true), 0ULL);
}

/* ------------------------------------------------------- PercentSynced */

static void chunk_percent_synced(struct kunit *test)
{
	/* { dirty, total, PercentSynced }, worked out by hand. */
	static const struct {
		u64 dirty, total;
		u32 percent;
	} cases[] = {
		{ 0, 1, 100 }, { 0, 256, 100 }, { 0, 1ULL << 40, 100 },
		{ 0, 0, 100 },			/* no chunk: none differs */
		{ 1, 1, 0 }, { 256, 256, 0 }, { 255, 256, 0 },
		{ 1, 2, 50 }, { 128, 256, 50 }, { 1, 3, 66 }, { 2, 3, 33 },
		{ 1, 100, 99 }, { 1, 101, 99 }, { 1, 1000, 99 }, { 10, 1000, 99 },
		{ 11, 1000, 98 }, { 999, 1000, 0 }, { 990, 1000, 1 },
		{ 1, 16777216, 99 },		/* 1 TiB of 64 KiB chunks, one dirty */
		{ 1, 1ULL << 40, 99 }, { 1ULL << 39, 1ULL << 40, 50 },
		{ (1ULL << 40) - 1, 1ULL << 40, 0 },
	};
	u64 total, dirty;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		KUNIT_EXPECT_EQ_MSG(test, vdrep_percent_synced(cases[i].dirty, cases[i].total),
				    cases[i].percent, "%llu dirty of %llu",
				    cases[i].dirty, cases[i].total);

	/*
	 * Rounded down: 100 only when none differs, never above, never rising
	 * with the dirty count; 0 when all differ. The first failure only: the
	 * others would flood the log.
	 */
	for (total = 1; total <= 300; total++) {
		u32 prev = 100;

		for (dirty = 0; dirty <= total; dirty++) {
			u32 p = vdrep_percent_synced(dirty, total);
			bool hundred = p == 100, clean = !dirty;
			bool rounded_down = (u64)p * total <= (total - dirty) * 100 &&
				     (total - dirty) * 100 < (u64)(p + 1) * total;

			if (hundred != clean || !rounded_down || p > prev ||
			    (dirty == total && p != 0)) {
				KUNIT_FAIL(test, "%llu dirty of %llu chunks: %u%% (before: %u%%)",
					   dirty, total, p, prev);
				return;
			}
			prev = p;
		}
	}
}

/* -------------------------------------------------- the on-disk encoding */

/*
 * vdrep_chunkmap_to_le() against the format's definition (metadata-format.rst:
 * chunk first + 8 * i + j is bit j of byte i), bit by bit, for every map size
 * of the edge table, from the start and from a later word, with a buffer
 * reaching past the map's end (those bytes must be 0).
 */
static void chunkmap_to_le(struct kunit *test)
{
	const u64 n = *(const u64 *)test->param_value;
	struct cm_maps *m = test->priv;
	struct vdrep_chunkmap *a = cm_new(test, &m->a, n);
	u64 c, first;
	size_t bytes, i;
	u8 *buf;

	/* Chunks 0, 3, 7, 8, 62-64, every 5th, and the last. */
	vdrep_chunkmap_set_range(a, 0, 0);
	vdrep_chunkmap_set_range(a, 3, 3);
	vdrep_chunkmap_set_range(a, 7, 8);
	vdrep_chunkmap_set_range(a, 62, 64);
	for (c = 0; c < n; c += 5)
		vdrep_chunkmap_set_range(a, c, c);
	vdrep_chunkmap_set_range(a, n - 1, n - 1);

	for (first = 0; first < n; first += BITS_PER_LONG) {
		bytes = DIV_ROUND_UP(n - first, 8) + 9;
		buf = kunit_kzalloc(test, bytes, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, buf);
		memset(buf, 0xa5, bytes);
		vdrep_chunkmap_to_le(a, first, buf, bytes);
		for (i = 0; i < bytes * 8; i++) {
			bool want = first + i < n && vdrep_chunkmap_test(a, first + i);
			bool got = buf[i / 8] & (1U << (i % 8));

			KUNIT_EXPECT_EQ_MSG(test, got, want, "chunk %llu (from %llu)",
					    first + i, first);
		}
	}
}

/*
 * vdrep_chunkmap_from_le() reads back what vdrep_chunkmap_to_le() wrote,
 * bit for bit and with the count of set chunks, from the start and from a
 * later word; set bits past the map's end (a damaged map) are ignored.
 */
static void chunkmap_from_le(struct kunit *test)
{
	const u64 n = *(const u64 *)test->param_value;
	struct cm_maps *m = test->priv;
	struct vdrep_chunkmap *a = cm_new(test, &m->a, n);
	struct vdrep_chunkmap *b = cm_new(test, &m->b, n);
	size_t bytes = DIV_ROUND_UP(n, 8) + 9, i;
	u64 c, first, split, newly;
	u8 *buf;

	for (c = 0; c < n; c += 3)
		vdrep_chunkmap_set_range(a, c, c);
	vdrep_chunkmap_set_range(a, n - 1, n - 1);
	buf = kunit_kzalloc(test, bytes, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	vdrep_chunkmap_to_le(a, 0, buf, bytes);
	/* Past the end: every bit set. */
	buf[n / 8] |= (u8)(0xff << (n % 8));
	memset(buf + n / 8 + 1, 0xff, bytes - n / 8 - 1);

	/* In two parts: up to a word boundary, then the rest. */
	split = n / 2 / BITS_PER_LONG * BITS_PER_LONG;
	newly = vdrep_chunkmap_from_le(b, 0, buf, split / 8);
	first = split;
	newly += vdrep_chunkmap_from_le(b, first, buf + first / 8, bytes - first / 8);
	KUNIT_EXPECT_EQ(test, newly, vdrep_chunkmap_weight(a));
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_weight(b), vdrep_chunkmap_weight(a));
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ_MSG(test, vdrep_chunkmap_test(b, i), vdrep_chunkmap_test(a, i),
				    "chunk %zu", i);
	/* Read again: nothing is newly set. */
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_from_le(b, 0, buf, bytes), 0ULL);
}

/*
 * vdrep_chunkmap_assign_le() makes a map what an on-disk block says, bits
 * cleared as well as set, and keeps the count of set chunks right; only
 * the chunks the block covers change, and bits past the end are ignored.
 */
static void chunkmap_assign_le(struct kunit *test)
{
	const u64 n = *(const u64 *)test->param_value;
	struct cm_maps *m = test->priv;
	struct vdrep_chunkmap *a = cm_new(test, &m->a, n);
	struct vdrep_chunkmap *b = cm_new(test, &m->b, n);
	size_t bytes = DIV_ROUND_UP(n, 8) + 9;
	u64 c, first, count = 0;
	u8 *buf;

	/* @a: every third chunk; @b starts as every other one. */
	for (c = 0; c < n; c += 3)
		vdrep_chunkmap_set_range(a, c, c);
	for (c = 0; c < n; c += 2)
		vdrep_chunkmap_set_range(b, c, c);
	buf = kunit_kzalloc(test, bytes, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	vdrep_chunkmap_to_le(a, 0, buf, bytes);
	memset(buf + DIV_ROUND_UP(n, 8), 0xff, bytes - DIV_ROUND_UP(n, 8));
	if (n % 8)
		buf[n / 8] |= (u8)(0xff << (n % 8));

	/* From a later word on only: the chunks before keep @b's bits. */
	first = n / 2 / BITS_PER_LONG * BITS_PER_LONG;
	vdrep_chunkmap_assign_le(b, first, buf + first / 8, bytes - first / 8);
	for (c = 0; c < n; c++) {
		bool want = c < first ? c % 2 == 0 : c % 3 == 0;

		KUNIT_EXPECT_EQ_MSG(test, vdrep_chunkmap_test(b, c), want, "chunk %llu", c);
		count += want;
	}
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_weight(b), count);

	/* All of it: @b equals @a, count included. */
	vdrep_chunkmap_assign_le(b, 0, buf, bytes);
	for (c = 0; c < n; c++)
		KUNIT_EXPECT_EQ_MSG(test, vdrep_chunkmap_test(b, c), vdrep_chunkmap_test(a, c),
				    "chunk %llu", c);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_weight(b), vdrep_chunkmap_weight(a));

	/* An empty block clears what it covers. */
	memset(buf, 0, bytes);
	vdrep_chunkmap_assign_le(b, 0, buf, bytes);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_weight(b), 0ULL);
	KUNIT_EXPECT_EQ(test, vdrep_chunkmap_next(b, 0), n);
}

static struct kunit_case vdrep_chunkmap_cases[] = {
	KUNIT_CASE_PARAM(chunkmap_to_le, map_size_gen_params),
	KUNIT_CASE_PARAM(chunkmap_from_le, map_size_gen_params),
	KUNIT_CASE_PARAM(chunkmap_assign_le, map_size_gen_params),
	KUNIT_CASE_PARAM(chunk_nr_chunks, chunk_size_gen_params),
	KUNIT_CASE_PARAM(chunk_last_partial, chunk_size_gen_params),
	KUNIT_CASE_PARAM(chunkmap_edges, map_size_gen_params),
	KUNIT_CASE_PARAM(chunkmap_word_ranges, cm_range_gen_params),
	KUNIT_CASE(chunkmap_merge),
	KUNIT_CASE(chunkmap_empty),
	KUNIT_CASE(chunk_percent_synced),
	{}
};

static struct kunit_suite vdrep_chunkmap_suite = {
	.name = "vdrep_chunkmap",
	.init = cm_init,
	.exit = cm_exit,
	.test_cases = vdrep_chunkmap_cases,
};

kunit_test_suites(&vdrep_chunkmap_suite);
