// SPDX-License-Identifier: GPL-2.0
/*
 * A snapshot's store on its device, in the format of uapi/linux/vdrep_meta.h
 * (Documentation/admin-guide/metadata-format.rst, "Snapshot stores"): a
 * header, the store map (one entry per data slot), the data slots.
 *
 * Taking a point in time writes a header with a new random epoch before
 * any write preserves for it; an entry counts only if it carries the
 * header's epoch, so a new point in time zeroes nothing. With a metadata
 * device the map is kept: when copy-on-write has put a chunk's old data in
 * a slot, vdrep_store_record() makes the slot's entry durable (a flush of
 * the store, so the data is, then the map block with FUA) before the
 * source write goes on. Concurrent records share the block writes: each
 * takes a sequence number when its entry is in the block's image, and the
 * one that writes covers every entry in the images when it copied them.
 *
 * Only the map blocks still being filled are in memory: slots are handed
 * out in order, so a block whose entries are all written is written for
 * the last time and freed. A volume without a metadata device writes the
 * header only (no map): its store says what it is, and that it cannot be
 * brought back.
 *
 * Locking: store->lock guards the block images, their fill counts, their
 * dirty marks and store->seq; store->io_mutex serialises the map's block
 * writes and guards store->done, store->bounce and store->err. Headers are
 * written when no write preserves for the snapshot (created, activated,
 * resynced: io_mode NONE), as is the map loaded at assemble.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/crc32c.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "vdrep.h"
#include "../uapi/linux/vdrep_meta.h"

#define VDREP_STORE_ENTRIES	(VDREP_STORE_BLOCK / sizeof(struct vdrep_store_entry))
#define VDREP_STORE_BOUNCE	4	/* map blocks copied out per write round */
#define VDREP_STORE_DIRTY	XA_MARK_0

static_assert(sizeof(struct vdrep_store_header) == VDREP_STORE_HEADER_BYTES);
static_assert(sizeof(struct vdrep_store_entry) == 16);
static_assert(VDREP_STORE_BLOCK <= PAGE_SIZE);

struct vdrep_store {
	struct vdrep_store_header *header;	/* as last written */
	u64 generation;				/* of header as last written */
	u64 epoch;
	bool keep_map;				/* the volume has a metadata device */

	spinlock_t lock;			/* the images, their fill and marks, seq */
	struct xarray blocks;			/* map block -> page; fill in page_private */
	u64 seq;				/* entries put in the images */

	struct mutex io_mutex;			/* map writes; done, err, bounce */
	u64 done;				/* entries known durable */
	int err;				/* a map write failed: no more */
	void *bounce[VDREP_STORE_BOUNCE];
};

/*
 * Where a store of @chunks chunks puts its map and data slots: the header
 * area (8 KiB, at least one chunk), then as many chunks of map as its data
 * slots need, then the data slots.
 */
int vdrep_store_layout(struct vdrep_assoc *a, u64 chunks)
{
	u32 cs = a->vol->chunk_size;
	u64 head = DIV_ROUND_UP(VDREP_STORE_HEADER_AREA, cs), avail, slots;

	if (chunks <= head + 1)
		return -ENOSPC;
	avail = chunks - head;
	slots = div64_u64(avail * cs, cs + sizeof(struct vdrep_store_entry));
	while (slots && slots + DIV_ROUND_UP(slots * sizeof(struct vdrep_store_entry), cs) > avail)
		slots--;
	if (!slots)
		return -ENOSPC;
	a->store_slots = slots;
	a->store_first = chunks - slots;
	a->store_next = a->store_first;
	return 0;
}

int vdrep_store_init(struct vdrep_assoc *a)
{
	struct vdrep_store *st;
	unsigned int i;

	if (!vdrep_is_snapshot(a))
		return 0;
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	a->store = st;
	spin_lock_init(&st->lock);
	xa_init(&st->blocks);
	mutex_init(&st->io_mutex);
	st->keep_map = !!a->vol->meta;
	st->header = (void *)get_zeroed_page(GFP_KERNEL);
	if (!st->header)
		return -ENOMEM;
	for (i = 0; i < VDREP_STORE_BOUNCE; i++) {
		st->bounce[i] = (void *)__get_free_page(GFP_KERNEL);
		if (!st->bounce[i])
			return -ENOMEM;
	}
	return 0;
}

static void vdrep_store_drop_blocks(struct vdrep_store *st)
{
	struct page *page;
	unsigned long blk;

	xa_for_each(&st->blocks, blk, page)
		__free_page(page);
	xa_destroy(&st->blocks);
}

void vdrep_store_exit(struct vdrep_assoc *a)
{
	struct vdrep_store *st = a->store;
	unsigned int i;

	if (!st)
		return;
	vdrep_store_drop_blocks(st);
	for (i = 0; i < VDREP_STORE_BOUNCE; i++)
		free_page((unsigned long)st->bounce[i]);
	free_page((unsigned long)st->header);
	kfree(st);
	a->store = NULL;
}

/* Synchronous I/O of one page-memory buffer of @len bytes at byte @pos of the store. */
static int vdrep_store_io(struct vdrep_assoc *a, blk_opf_t opf, u64 pos, void *buf,
			  unsigned int len)
{
	struct bio *bio;
	int err;

	bio = bio_alloc(a->target.bdev, 1, opf, GFP_NOIO);
	bio->bi_iter.bi_sector = pos >> SECTOR_SHIFT;
	__bio_add_page(bio, virt_to_page(buf), len, offset_in_page(buf));
	err = submit_bio_wait(bio);
	bio_put(bio);
	return err;
}

static u64 vdrep_store_table_offset(struct vdrep_assoc *a)
{
	return (u64)DIV_ROUND_UP(VDREP_STORE_HEADER_AREA, a->vol->chunk_size) *
	       a->vol->chunk_size;
}

static u64 vdrep_store_blocks(struct vdrep_assoc *a)
{
	return DIV_ROUND_UP(a->store_slots, VDREP_STORE_ENTRIES);
}

/* Entries map block @blk holds: all of them but maybe in the last one. */
static unsigned int vdrep_store_block_entries(struct vdrep_assoc *a, u64 blk)
{
	return min_t(u64, VDREP_STORE_ENTRIES, a->store_slots - blk * VDREP_STORE_ENTRIES);
}

static bool vdrep_store_header_valid(const struct vdrep_store_header *h)
{
	return !memcmp(h->magic, VDREP_STORE_MAGIC, sizeof(h->magic)) &&
	       le32_to_cpu(h->csum) == crc32c(VDREP_META_CRC_SEED, (const u8 *)h + 4,
					      VDREP_STORE_HEADER_BYTES - 4);
}

/*
 * Write the header: both copies, one after the other, each a generation
 * on. A torn write leaves the other copy: the previous point in time,
 * still whole (nothing preserves into a slot before both are written), or
 * the new one.
 */
static int vdrep_store_write_header(struct vdrep_assoc *a)
{
	struct vdrep_store *st = a->store;
	struct vdrep_store_header *h = st->header;
	struct vdrep_volume *vol = a->vol;
	const u8 *uuid = vdrep_meta_uuid(vol);
	int copies = 2, err = 0;

	memset(h, 0, sizeof(*h));
	h->version = cpu_to_le32(VDREP_STORE_VERSION);
	memcpy(h->magic, VDREP_STORE_MAGIC, sizeof(h->magic));
	if (uuid)
		memcpy(h->volume_uuid, uuid, sizeof(h->volume_uuid));
	h->epoch = cpu_to_le64(st->epoch);
	h->sync_time = cpu_to_le64(a->sync_time);
	h->chunk_size = cpu_to_le32(vol->chunk_size);
	h->assoc_id = cpu_to_le32(a->id);
	h->nr_chunks = cpu_to_le64(vol->nr_chunks);
	h->table_offset = cpu_to_le64(vdrep_store_table_offset(a));
	h->data_offset = cpu_to_le64(a->store_first * vol->chunk_size);
	h->data_slots = cpu_to_le64(a->store_slots);
	h->flags = cpu_to_le32(st->keep_map ? VDREP_STORE_MAP : 0);
	strscpy_pad((char *)h->name, a->name, sizeof(h->name));
	while (copies-- && !err) {
		st->generation++;
		h->generation = cpu_to_le64(st->generation);
		h->csum = cpu_to_le32(crc32c(VDREP_META_CRC_SEED, (u8 *)h + 4,
					     VDREP_STORE_HEADER_BYTES - 4));
		err = vdrep_store_io(a, REQ_OP_WRITE | REQ_SYNC | REQ_FUA,
				     (st->generation % 2) * VDREP_STORE_HEADER_BYTES, h,
				     VDREP_STORE_HEADER_BYTES);
	}
	return err;
}

/*
 * A new point in time (at a->sync_time) for snapshot @a, whose store is
 * empty and which no write preserves for yet: its header, with a new
 * epoch, is on the device before any write can preserve into a slot.
 */
int vdrep_store_take(struct vdrep_assoc *a)
{
	struct vdrep_store *st = a->store;
	int err;

	do {
		st->epoch = get_random_u64();
	} while (!st->epoch);
	vdrep_store_drop_blocks(st);
	st->seq = 0;
	st->done = 0;
	st->err = 0;
	err = vdrep_store_write_header(a);
	if (err)
		pr_err("%s: snapshot %s: cannot write its store's header on %s: %d\n",
		       a->vol->disk->disk_name, a->name, a->target_path, err);
	return err;
}

/* The image of map block @blk, allocated zeroed when first needed. */
static struct page *vdrep_store_block(struct vdrep_store *st, u64 blk)
{
	struct page *page = xa_load(&st->blocks, blk), *old;

	if (page)
		return page;
	page = alloc_page(GFP_NOIO | __GFP_ZERO);
	if (!page)
		return NULL;
	old = xa_cmpxchg(&st->blocks, blk, NULL, page, GFP_NOIO);
	if (old) {
		__free_page(page);
		return xa_is_err(old) ? NULL : old;
	}
	return page;
}

/*
 * Write out the dirty map blocks, until every entry put in before this
 * call (sequence number up to @seq) is durable. Caller holds io_mutex.
 */
static int vdrep_store_write_map(struct vdrep_assoc *a, u64 seq)
{
	struct vdrep_store *st = a->store;
	u64 table = vdrep_store_table_offset(a);
	unsigned long blks[VDREP_STORE_BOUNCE];
	struct page *page;
	unsigned long blk;
	unsigned int n, i;
	u64 covered;
	bool more;
	int err;

	while (st->done < seq) {
		n = 0;
		more = false;
		spin_lock(&st->lock);
		covered = st->seq;
		xa_for_each_marked(&st->blocks, blk, page, VDREP_STORE_DIRTY) {
			if (n == VDREP_STORE_BOUNCE) {
				more = true;
				break;
			}
			memcpy(st->bounce[n], page_address(page), VDREP_STORE_BLOCK);
			xa_clear_mark(&st->blocks, blk, VDREP_STORE_DIRTY);
			blks[n++] = blk;
		}
		spin_unlock(&st->lock);

		/* The data of every entry copied out is written: make it durable first. */
		err = blkdev_issue_flush(a->target.bdev);
		for (i = 0; i < n && !err; i++)
			err = vdrep_store_io(a, REQ_OP_WRITE | REQ_SYNC | REQ_FUA,
					     table + (u64)blks[i] * VDREP_STORE_BLOCK,
					     st->bounce[i], VDREP_STORE_BLOCK);
		if (err)
			return err;

		/* A full block was written for the last time. */
		spin_lock(&st->lock);
		for (i = 0; i < n; i++) {
			page = xa_load(&st->blocks, blks[i]);
			if (page && page_private(page) == vdrep_store_block_entries(a, blks[i]) &&
			    !xa_get_mark(&st->blocks, blks[i], VDREP_STORE_DIRTY)) {
				xa_erase(&st->blocks, blks[i]);
				__free_page(page);
			}
		}
		spin_unlock(&st->lock);
		if (!more)
			st->done = covered;
	}
	return 0;
}

/*
 * Data slot @slot (a chunk of the device) of snapshot @a holds @chunk's
 * point-in-time data, written: make its map entry durable before the
 * caller lets the source write go on. Process context, chunk held.
 */
int vdrep_store_record(struct vdrep_assoc *a, u64 slot, u64 chunk)
{
	struct vdrep_store *st = a->store;
	u64 idx = slot - a->store_first, blk = idx / VDREP_STORE_ENTRIES, seq;
	struct vdrep_store_entry *e;
	struct page *page;
	int err;

	if (!st->keep_map)
		return 0;
	page = vdrep_store_block(st, blk);
	if (!page)
		return -ENOMEM;
	spin_lock(&st->lock);
	e = (struct vdrep_store_entry *)page_address(page) + idx % VDREP_STORE_ENTRIES;
	e->chunk = cpu_to_le64(chunk);
	e->epoch = cpu_to_le64(st->epoch);
	set_page_private(page, page_private(page) + 1);
	xa_set_mark(&st->blocks, blk, VDREP_STORE_DIRTY);
	seq = ++st->seq;
	spin_unlock(&st->lock);

	mutex_lock(&st->io_mutex);
	err = st->err;
	if (!err) {
		err = vdrep_store_write_map(a, seq);
		st->err = err;
	}
	mutex_unlock(&st->io_mutex);
	return err;
}

/* ---------------------------------------------------------------- assemble */

/* The header copy with a valid checksum and the higher generation, or an errno. */
static int vdrep_store_read_header(struct vdrep_assoc *a, struct netlink_ext_ack *extack)
{
	struct vdrep_store *st = a->store;
	struct vdrep_store_header *h = st->header;
	u64 best = 0;
	int copy, err, found = -1;
	bool future = false;

	for (copy = 0; copy < 2; copy++) {
		err = vdrep_store_io(a, REQ_OP_READ, copy * VDREP_STORE_HEADER_BYTES, h,
				     VDREP_STORE_HEADER_BYTES);
		if (err) {
			NL_SET_ERR_MSG(extack, "cannot read a snapshot's store header (kernel log names it)");
			return err;
		}
		if (!vdrep_store_header_valid(h))
			continue;
		if (le32_to_cpu(h->version) != VDREP_STORE_VERSION) {
			future = true;
			continue;
		}
		if (le64_to_cpu(h->generation) > best) {
			best = le64_to_cpu(h->generation);
			found = copy;
		}
	}
	if (found < 0) {
		if (future) {
			NL_SET_ERR_MSG(extack, "a snapshot's store has a format version this driver does not know (kernel log names it)");
			return -EOPNOTSUPP;
		}
		NL_SET_ERR_MSG(extack, "a snapshot's store has no valid header: replaced or damaged? (kernel log names it)");
		return -EUCLEAN;
	}
	if (found == 0) {
		err = vdrep_store_io(a, REQ_OP_READ, 0, h, VDREP_STORE_HEADER_BYTES);
		if (err)
			return err;
	}
	return 0;
}

/* The header read matches this volume, association and layout. */
static int vdrep_store_check_header(struct vdrep_assoc *a, struct netlink_ext_ack *extack)
{
	struct vdrep_store_header *h = a->store->header;
	struct vdrep_volume *vol = a->vol;
	const u8 *uuid = vdrep_meta_uuid(vol);

	if (!uuid || memcmp(h->volume_uuid, uuid, sizeof(h->volume_uuid)) ||
	    le32_to_cpu(h->assoc_id) != a->id ||
	    strncmp((const char *)h->name, a->name, sizeof(h->name))) {
		NL_SET_ERR_MSG(extack, "a snapshot's store belongs to another volume or association: replaced? (kernel log names it)");
		return -EINVAL;
	}
	if (le32_to_cpu(h->chunk_size) != vol->chunk_size ||
	    le64_to_cpu(h->nr_chunks) != vol->nr_chunks ||
	    le64_to_cpu(h->table_offset) != vdrep_store_table_offset(a) ||
	    le64_to_cpu(h->data_offset) != a->store_first * vol->chunk_size ||
	    le64_to_cpu(h->data_slots) != a->store_slots ||
	    !(le32_to_cpu(h->flags) & VDREP_STORE_MAP) || !h->epoch) {
		NL_SET_ERR_MSG(extack, "a snapshot's store has a malformed header: 'vdrepctl meta check' tells more");
		return -EUCLEAN;
	}
	return 0;
}

/*
 * Bring back snapshot @a's point in time from its store (assemble): the
 * slots whose entries carry the header's epoch, into store_map and dirty;
 * slots are handed out after the last of them. The map block being filled
 * is kept in memory, holes (slots handed out but never recorded) counted
 * as filled. Sets a->sync_time to the point in time. 0 or an errno.
 */
int vdrep_store_load(struct vdrep_assoc *a, struct netlink_ext_ack *extack)
{
	struct vdrep_store *st = a->store;
	struct vdrep_volume *vol = a->vol;
	struct vdrep_store_entry *e;
	u64 blk, table, next = a->store_first;
	void *buf = st->bounce[0];
	unsigned int i;
	int err;

	err = vdrep_store_read_header(a, extack);
	if (!err)
		err = vdrep_store_check_header(a, extack);
	if (err)
		return err;
	st->generation = le64_to_cpu(st->header->generation);
	st->epoch = le64_to_cpu(st->header->epoch);
	a->sync_time = le64_to_cpu(st->header->sync_time);

	table = vdrep_store_table_offset(a);
	for (blk = 0; blk < vdrep_store_blocks(a); blk++) {
		err = vdrep_store_io(a, REQ_OP_READ, table + blk * VDREP_STORE_BLOCK, buf,
				     VDREP_STORE_BLOCK);
		if (err) {
			NL_SET_ERR_MSG(extack, "cannot read a snapshot's store map (kernel log names it)");
			return err;
		}
		e = buf;
		for (i = 0; i < vdrep_store_block_entries(a, blk); i++, e++) {
			u64 chunk = le64_to_cpu(e->chunk);
			u64 slot = a->store_first + blk * VDREP_STORE_ENTRIES + i;

			if (le64_to_cpu(e->epoch) != st->epoch)
				continue;
			if (chunk >= vol->nr_chunks || vdrep_chunkmap_test(&a->dirty, chunk)) {
				pr_err("%s: snapshot %s: store map entry %llu names chunk %llu, out of range or twice\n",
				       vol->disk->disk_name, a->name, slot - a->store_first,
				       chunk);
				NL_SET_ERR_MSG(extack, "a snapshot's store map is malformed: 'vdrepctl meta check' tells more");
				return -EUCLEAN;
			}
			if (xa_is_err(xa_store(&a->store_map, chunk, xa_mk_value(slot),
					       GFP_KERNEL)))
				return -ENOMEM;
			vdrep_chunkmap_set_range(&a->dirty, chunk, chunk);
			next = slot + 1;
		}
	}
	a->store_next = next;

	/* The block that the next slot's entry goes to keeps what it holds. */
	i = (next - a->store_first) % VDREP_STORE_ENTRIES;
	if (i && next < a->store_first + a->store_slots) {
		struct page *page;

		blk = (next - a->store_first) / VDREP_STORE_ENTRIES;
		err = vdrep_store_io(a, REQ_OP_READ, table + blk * VDREP_STORE_BLOCK, buf,
				     VDREP_STORE_BLOCK);
		if (err)
			return err;
		page = vdrep_store_block(st, blk);
		if (!page)
			return -ENOMEM;
		e = page_address(page);
		memcpy(e, buf, VDREP_STORE_BLOCK);
		/* Entries of other points in time, holes among them, mean nothing. */
		for (; i < VDREP_STORE_ENTRIES; i++)
			memset(&e[i], 0, sizeof(e[i]));
		set_page_private(page, (next - a->store_first) % VDREP_STORE_ENTRIES);
	}
	return 0;
}
