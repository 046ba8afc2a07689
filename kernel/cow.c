// SPDX-License-Identifier: GPL-2.0
/*
 * Copy-on-write for snapshots and clones, and the restore of a snapshot.
 *
 * A snapshot or clone in io_mode COW needs a chunk's old contents before
 * the source overwrites it: a snapshot when the chunk is not yet in its
 * store (dirty bit clear), a clone when the chunk is not yet on its target
 * (dirty bit set). A volume write (or discard, write-zeroes: invariant 5)
 * touching such a chunk is handed to a worker, which for each chunk:
 *  - holds the chunk in vol->cow_busy[], waiting while another worker holds
 *    it, so concurrent writes to one chunk wait on the same copy;
 *  - reads the old data once and writes it to every association that needs
 *    it (invariant 3), then records it: a store slot in the snapshot's map,
 *    or the clone's dirty bit cleared;
 *  - waits for view reads that went to the source for that chunk before
 *    it was recorded, so none of them can see the new data;
 *  - lets the chunk go; the write then takes the usual path.
 * Whoever holds a chunk is the only one changing map bits for it, so the
 * I/O path can test bits without a lock: a snapshot's bits only get set,
 * and a clone's only cleared, while in COW mode.
 *
 * Restoring a snapshot copies its stored chunks back to the source. Any
 * volume I/O touching a chunk not yet restored restores that chunk first
 * (through the same worker), so the volume shows the snapshot's image at
 * once; a background worker restores the rest.
 *
 * Workers take their chunk buffer from vol->cow_buffers (a mempool of
 * VDREP_COW_BUFFERS buffers, made with the volume and never grown) before
 * holding any chunk, so a holder never waits for memory and the path
 * always makes progress (invariant 6).
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/mempool.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "vdrep.h"

struct vdrep_cow_buf {
	unsigned int nr_pages;
	struct page *pages[];
};

/* A chunk held by one worker (on its stack). */
struct vdrep_cow_hold {
	struct hlist_node node;
	u64 chunk;
};

static void *vdrep_cow_buf_alloc(gfp_t gfp, void *data)
{
	struct vdrep_volume *vol = data;
	unsigned int nr = vol->chunk_size >> PAGE_SHIFT, i;
	struct vdrep_cow_buf *buf;

	/*
	 * Only the pool's own buffers, made with the pool: mempool_alloc()
	 * asks the allocator first, and fresh pages for each copy would be
	 * zeroed on kernels that zero every allocation (init_on_alloc, on in
	 * Debian's), as much work again as the copy. A worker waits for one
	 * of the VDREP_COW_BUFFERS instead.
	 */
	if (READ_ONCE(vol->cow_buffers))
		return NULL;
	buf = kmalloc(struct_size(buf, pages, nr), gfp);
	if (!buf)
		return NULL;
	buf->nr_pages = nr;
	for (i = 0; i < nr; i++) {
		buf->pages[i] = alloc_page(gfp);
		if (!buf->pages[i]) {
			while (i--)
				__free_page(buf->pages[i]);
			kfree(buf);
			return NULL;
		}
	}
	return buf;
}

static void vdrep_cow_buf_free(void *element, void *data)
{
	struct vdrep_cow_buf *buf = element;
	unsigned int i;

	for (i = 0; i < buf->nr_pages; i++)
		__free_page(buf->pages[i]);
	kfree(buf);
}

int vdrep_cow_init(struct vdrep_volume *vol)
{
	unsigned int i;

	spin_lock_init(&vol->cow_lock);
	for (i = 0; i < VDREP_COW_HASH; i++)
		INIT_HLIST_HEAD(&vol->cow_busy[i]);
	init_waitqueue_head(&vol->cow_wait);
	init_waitqueue_head(&vol->io_wait);
	vol->cow_buffers = mempool_create(VDREP_COW_BUFFERS, vdrep_cow_buf_alloc,
					  vdrep_cow_buf_free, vol);
	return vol->cow_buffers ? 0 : -ENOMEM;
}

void vdrep_cow_exit(struct vdrep_volume *vol)
{
	mempool_destroy(vol->cow_buffers);
}

/* ------------------------------------------------------------ chunk holds */

static bool vdrep_cow_busy_locked(struct vdrep_volume *vol, u64 chunk)
{
	struct vdrep_cow_hold *h;

	hlist_for_each_entry(h, &vol->cow_busy[chunk % VDREP_COW_HASH], node)
		if (h->chunk == chunk)
			return true;
	return false;
}

static bool vdrep_cow_busy(struct vdrep_volume *vol, u64 chunk)
{
	unsigned long flags;
	bool busy;

	spin_lock_irqsave(&vol->cow_lock, flags);
	busy = vdrep_cow_busy_locked(vol, chunk);
	spin_unlock_irqrestore(&vol->cow_lock, flags);
	return busy;
}

static void vdrep_cow_hold(struct vdrep_volume *vol, struct vdrep_cow_hold *h, u64 chunk)
{
	unsigned long flags;

	h->chunk = chunk;
	for (;;) {
		spin_lock_irqsave(&vol->cow_lock, flags);
		if (!vdrep_cow_busy_locked(vol, chunk)) {
			hlist_add_head(&h->node, &vol->cow_busy[chunk % VDREP_COW_HASH]);
			spin_unlock_irqrestore(&vol->cow_lock, flags);
			return;
		}
		spin_unlock_irqrestore(&vol->cow_lock, flags);
		wait_event(vol->cow_wait, !vdrep_cow_busy(vol, chunk));
	}
}

static void vdrep_cow_release(struct vdrep_volume *vol, struct vdrep_cow_hold *h)
{
	unsigned long flags;

	spin_lock_irqsave(&vol->cow_lock, flags);
	hlist_del(&h->node);
	spin_unlock_irqrestore(&vol->cow_lock, flags);
	wake_up_all(&vol->cow_wait);
}

/* ------------------------------------------------------------- chunk I/O */

static unsigned int vdrep_chunk_len(struct vdrep_volume *vol, u64 chunk)
{
	u64 pos = (u64)vdrep_chunk_sector(vol, chunk) << SECTOR_SHIFT;

	return min_t(u64, vol->chunk_size, vdrep_volume_size(vol) - pos);
}

static blk_status_t vdrep_cow_io(struct vdrep_volume *vol, struct block_device *bdev,
				 sector_t sector, struct vdrep_cow_buf *buf,
				 unsigned int len, blk_opf_t opf)
{
	unsigned int off, p;
	blk_status_t status;
	struct bio *bio;

	bio = bio_alloc_bioset(bdev, buf->nr_pages, opf, GFP_NOIO, &vol->target_bioset);
	bio->bi_iter.bi_sector = sector;
	for (p = 0, off = 0; off < len; p++, off += PAGE_SIZE)
		__bio_add_page(bio, buf->pages[p], min_t(unsigned int, PAGE_SIZE, len - off), 0);
	submit_bio_wait(bio);
	status = bio->bi_status;
	bio_put(bio);
	return status;
}

/* ------------------------------------------------------------ snapshots */

bool vdrep_snapshot_slot(struct vdrep_assoc *a, u64 chunk, sector_t *sector)
{
	void *entry = xa_load(&a->store_map, chunk);

	if (!entry)
		return false;
	*sector = vdrep_chunk_sector(a->vol, xa_to_value(entry));
	return true;
}

static bool vdrep_snapshot_alloc_slot(struct vdrep_assoc *a, u64 *slot)
{
	unsigned long flags;
	bool ok;

	spin_lock_irqsave(&a->lock, flags);
	ok = a->store_next < a->store_first + a->store_slots;
	if (ok)
		*slot = a->store_next++;
	spin_unlock_irqrestore(&a->lock, flags);
	return ok;
}

u64 vdrep_snapshot_store_used(struct vdrep_assoc *a)
{
	unsigned long flags;
	u64 used;

	spin_lock_irqsave(&a->lock, flags);
	used = (a->store_next - a->store_first) * a->vol->chunk_size;
	spin_unlock_irqrestore(&a->lock, flags);
	return used;
}

/* A new point in time: empty store. No write may be preserving for @a. */
void vdrep_snapshot_reset(struct vdrep_assoc *a)
{
	unsigned long flags;

	xa_destroy(&a->store_map);
	vdrep_chunkmap_clear_all(&a->dirty);
	spin_lock_irqsave(&a->lock, flags);
	a->store_next = a->store_first;
	spin_unlock_irqrestore(&a->lock, flags);
}

/* --------------------------------------------------------------- preserve */

/* @a needs @chunk's old data before the source overwrites it. */
static bool vdrep_cow_wants(struct vdrep_assoc *a, u64 chunk)
{
	if (READ_ONCE(a->io_mode) != VDREP_IO_COW)
		return false;
	if (vdrep_is_snapshot(a))
		return !vdrep_chunkmap_test(&a->dirty, chunk);
	return vdrep_chunkmap_test(&a->dirty, chunk);
}

void vdrep_cow_view_wait(struct vdrep_assoc *a, u64 chunk)
{
	/* Pairs with the barrier after a view read's bucket increment. */
	smp_mb();
	wait_event(a->view_wait, !vdrep_buckets_busy(a->view_buckets, chunk, chunk));
}

/*
 * @a now holds @chunk's point-in-time data (at @slot for a snapshot, whose
 * store map entry is durable before this returns).
 */
static bool vdrep_cow_record(struct vdrep_assoc *a, u64 chunk, u64 slot)
{
	if (vdrep_is_snapshot(a)) {
		if (vdrep_store_record(a, slot, chunk)) {
			vdrep_assoc_fault(a, &a->target_write_errors);
			return false;
		}
		if (xa_is_err(xa_store(&a->store_map, chunk, xa_mk_value(slot), GFP_NOIO))) {
			vdrep_assoc_break(a, "no memory for the snapshot's map");
			return false;
		}
		vdrep_chunkmap_set_range(&a->dirty, chunk, chunk);
	} else if (vdrep_chunkmap_clear(&a->dirty, chunk)) {
		atomic64_inc(&a->copied_chunks);
	}
	vdrep_cow_view_wait(a, chunk);
	return true;
}

/* Where @a keeps @chunk: a new store slot, or the same place on a clone. */
static bool vdrep_cow_place(struct vdrep_assoc *a, u64 chunk, u64 *slot, sector_t *sector)
{
	*slot = 0;
	*sector = vdrep_chunk_sector(a->vol, chunk);
	if (!vdrep_is_snapshot(a))
		return true;
	if (!vdrep_snapshot_alloc_slot(a, slot)) {
		vdrep_assoc_break(a, "its store is full");
		return false;
	}
	*sector = vdrep_chunk_sector(a->vol, *slot);
	return true;
}

/*
 * Preserve @chunk, held by the caller, for the @n associations in @want:
 * one read of the source feeds them all (invariant 3).
 */
static void vdrep_cow_preserve(struct vdrep_volume *vol, u64 chunk,
			       struct vdrep_assoc **want, unsigned int n,
			       struct vdrep_cow_buf *buf)
{
	unsigned int len = vdrep_chunk_len(vol, chunk), i;
	blk_status_t status;

	status = vdrep_cow_io(vol, vol->source.bdev, vdrep_chunk_sector(vol, chunk),
			      buf, len, REQ_OP_READ);
	atomic64_inc(&vol->old_data_reads);
	for (i = 0; i < n; i++) {
		struct vdrep_assoc *a = want[i];
		sector_t sector;
		u64 slot;

		atomic64_inc(&a->old_data_reads);
		if (status) {
			vdrep_assoc_fault(a, &a->source_read_errors);
			continue;
		}
		if (!vdrep_cow_place(a, chunk, &slot, &sector))
			continue;
		if (vdrep_cow_io(vol, a->target.bdev, sector, buf, len, REQ_OP_WRITE)) {
			vdrep_assoc_fault(a, &a->target_write_errors);
			continue;
		}
		vdrep_cow_record(a, chunk, slot);
	}
}

/*
 * The source's @chunk was rewritten behind the volume's write path (a
 * restore): associations that track the source learn it.
 */
void vdrep_source_rewritten(struct vdrep_volume *vol, struct vdrep_assoc *except,
			    u64 chunk)
{
	unsigned int i;

	rcu_read_lock();
	for (i = 0; i < VDREP_MAX_ASSOCS; i++) {
		struct vdrep_assoc *a = rcu_dereference(vol->assocs[i]);

		if (!a || a == except)
			continue;
		switch (READ_ONCE(a->io_mode)) {
		case VDREP_IO_TRACK:
			vdrep_chunkmap_set_range(&a->dirty, chunk, chunk);
			break;
		case VDREP_IO_NONE:
			if (vdrep_is_clone(a))
				vdrep_chunkmap_set_range(&a->changed, chunk, chunk);
			break;
		default:
			break;
		}
	}
	rcu_read_unlock();
}

/* Copy @chunk of snapshot @s back to the source, if still to be restored. */
static blk_status_t vdrep_snapshot_restore_chunk(struct vdrep_assoc *s, u64 chunk,
						 struct vdrep_cow_buf *buf)
{
	struct vdrep_volume *vol = s->vol;
	unsigned int len = vdrep_chunk_len(vol, chunk);
	blk_status_t status;
	sector_t sector;

	if (!vdrep_chunkmap_test(&s->restore, chunk))
		return BLK_STS_OK;
	if (vdrep_snapshot_slot(s, chunk, &sector)) {
		status = vdrep_cow_io(vol, s->target.bdev, sector, buf, len, REQ_OP_READ);
		if (status) {
			vdrep_assoc_fault(s, &s->target_read_errors);
			return status;
		}
		status = vdrep_cow_io(vol, vol->source.bdev, vdrep_chunk_sector(vol, chunk),
				      buf, len, REQ_OP_WRITE);
		if (status) {
			vdrep_assoc_fault(s, &s->source_write_errors);
			return status;
		}
		vdrep_source_rewritten(vol, s, chunk);
		atomic64_inc(&s->copied_chunks);
	}
	vdrep_chunkmap_clear(&s->restore, chunk);
	return BLK_STS_OK;
}

/*
 * Make @chunk safe to touch: preserve it for every association of @pinned
 * that needs it (when the source is to change: @write, or a restore of it),
 * and restore it from @restoring first.
 */
static blk_status_t vdrep_cow_chunk(struct vdrep_volume *vol, u64 chunk, bool write,
				    struct vdrep_assoc **pinned, unsigned int n,
				    struct vdrep_assoc *restoring,
				    struct vdrep_cow_buf *buf)
{
	struct vdrep_assoc *want[VDREP_MAX_ASSOCS];
	struct vdrep_cow_hold hold;
	blk_status_t status = BLK_STS_OK;
	unsigned int nw = 0, i;
	bool restore;

	vdrep_cow_hold(vol, &hold, chunk);
	restore = restoring && vdrep_chunkmap_test(&restoring->restore, chunk);
	if (write || restore)
		for (i = 0; i < n; i++)
			if (vdrep_cow_wants(pinned[i], chunk))
				want[nw++] = pinned[i];
	if (nw)
		vdrep_cow_preserve(vol, chunk, want, nw, buf);
	if (restore)
		status = vdrep_snapshot_restore_chunk(restoring, chunk, buf);
	vdrep_cow_release(vol, &hold);
	return status;
}

/* The snapshot being restored, if it is one of @pinned. */
static struct vdrep_assoc *vdrep_cow_restoring(struct vdrep_volume *vol,
					       struct vdrep_assoc **pinned,
					       unsigned int n)
{
	struct vdrep_assoc *r;
	unsigned int i;

	rcu_read_lock();
	r = rcu_dereference(vol->redirect);
	rcu_read_unlock();
	if (!r || !vdrep_is_snapshot(r))
		return NULL;
	for (i = 0; i < n; i++)
		if (pinned[i] == r)
			return r;
	return NULL;
}

/*
 * Called by the volume's bio path: whether this bio must wait for chunks
 * to be preserved or restored (then it goes to vdrep_cow_work()).
 */
bool vdrep_cow_needed(struct vdrep_volume *vol, struct vdrep_assoc **assocs,
		      const enum vdrep_io_mode *modes, unsigned int n,
		      struct vdrep_assoc *redirect, bool write, u64 first, u64 last)
{
	unsigned int i;

	if (redirect && vdrep_is_snapshot(redirect) &&
	    vdrep_chunkmap_any(&redirect->restore, first, last))
		return true;
	if (!write)
		return false;
	for (i = 0; i < n; i++) {
		struct vdrep_assoc *a = assocs[i];

		if (modes[i] != VDREP_IO_COW)
			continue;
		if (vdrep_is_snapshot(a) ? !vdrep_chunkmap_all(&a->dirty, first, last)
					 : vdrep_chunkmap_any(&a->dirty, first, last))
			return true;
	}
	return false;
}

/* A volume bio that needs chunks preserved or restored before it goes on. */
void vdrep_cow_work(struct work_struct *work)
{
	struct vdrep_io *io = container_of(work, struct vdrep_io, cow_work);
	struct vdrep_volume *vol = io->vol;
	struct vdrep_assoc *pinned[VDREP_MAX_ASSOCS], *restoring;
	bool write = op_is_write(bio_op(io->orig));
	struct vdrep_cow_buf *buf;
	unsigned int n = 0, i;
	u64 chunk;

	/* The bio holds io_refs on these: they stay until it completes. */
	for (i = 0; i < VDREP_MAX_ASSOCS; i++)
		if (io->refs & BIT(i))
			pinned[n++] = READ_ONCE(vol->slots[i]);
	restoring = vdrep_cow_restoring(vol, pinned, n);

	buf = mempool_alloc(vol->cow_buffers, GFP_NOIO);
	for (chunk = io->first_chunk; chunk <= io->last_chunk; chunk++) {
		blk_status_t status = vdrep_cow_chunk(vol, chunk, write, pinned, n,
						      restoring, buf);

		if (status) {
			/* Not restored: the bio must not see or change the old data. */
			io->status = status;
			break;
		}
	}
	mempool_free(buf, vol->cow_buffers);
	vdrep_io_dispatch_deferred(io);
}

/*
 * A write through snapshot @a's view to @chunk, not yet in its store:
 * give it a slot holding the chunk's point-in-time data, or, when the
 * write covers the whole chunk (@full), just a slot: the old data is not
 * needed. Process context.
 */
blk_status_t vdrep_cow_view_write_prepare(struct vdrep_assoc *a, u64 chunk, bool full)
{
	struct vdrep_volume *vol = a->vol;
	struct vdrep_cow_buf *buf = NULL;
	blk_status_t status = BLK_STS_OK;
	struct vdrep_cow_hold hold;
	sector_t sector;
	u64 slot;

	if (!full)
		buf = mempool_alloc(vol->cow_buffers, GFP_NOIO);
	vdrep_cow_hold(vol, &hold, chunk);
	if (vdrep_chunkmap_test(&a->dirty, chunk))
		goto out;	/* preserved meanwhile */
	if (!vdrep_cow_place(a, chunk, &slot, &sector)) {
		status = BLK_STS_NOSPC;
		goto out;
	}
	if (!full) {
		unsigned int len = vdrep_chunk_len(vol, chunk);

		status = vdrep_cow_io(vol, vol->source.bdev, vdrep_chunk_sector(vol, chunk),
				      buf, len, REQ_OP_READ);
		atomic64_inc(&vol->old_data_reads);
		atomic64_inc(&a->old_data_reads);
		if (!status)
			status = vdrep_cow_io(vol, a->target.bdev, sector, buf, len,
					      REQ_OP_WRITE);
		if (status)
			goto out;
	}
	if (!vdrep_cow_record(a, chunk, slot))
		status = BLK_STS_IOERR;
out:
	vdrep_cow_release(vol, &hold);
	if (buf)
		mempool_free(buf, vol->cow_buffers);
	return status;
}

/* ---------------------------------------------------------------- restore */

static unsigned int vdrep_cow_pin(struct vdrep_volume *vol, struct vdrep_assoc **pinned,
				  u16 *gens)
{
	unsigned int n = 0, i;

	*gens = 0;
	rcu_read_lock();
	for (i = 0; i < VDREP_MAX_ASSOCS; i++) {
		struct vdrep_assoc *a = rcu_dereference(vol->assocs[i]);
		unsigned int gen;

		if (!a)
			continue;
		/* Pairs with the release in vdrep_assoc_drain(). */
		gen = smp_load_acquire(&a->io_gen) & 1;
		atomic_inc(&a->io_refs[gen]);
		if (gen)
			*gens |= BIT(n);
		pinned[n++] = a;
	}
	rcu_read_unlock();
	return n;
}

static void vdrep_cow_unpin(struct vdrep_assoc **pinned, unsigned int n, u16 gens)
{
	unsigned int i;

	rcu_read_lock();
	for (i = 0; i < n; i++)
		if (atomic_dec_and_test(&pinned[i]->io_refs[!!(gens & BIT(i))]))
			wake_up_all(&pinned[i]->io_wait);
	rcu_read_unlock();
}

/*
 * Restores, in the background, the chunks no I/O has restored yet, paced
 * by CopyPriority and rate-limit as the copy engine is.
 */
void vdrep_snapshot_restore_work(struct work_struct *work)
{
	struct vdrep_assoc *s = container_of(work, struct vdrep_assoc, restore_work);
	struct vdrep_volume *vol = s->vol;
	struct vdrep_assoc *pinned[VDREP_MAX_ASSOCS];
	struct vdrep_cow_buf *buf;
	unsigned long flags;
	bool done = false;
	u64 chunk;

	vdrep_copy_pace_start(s);
	for (chunk = vdrep_chunkmap_next(&s->restore, 0); chunk < s->restore.nr_chunks;
	     chunk = vdrep_chunkmap_next(&s->restore, chunk + 1)) {
		blk_status_t status;
		unsigned int n;
		u16 gens;

		/* No buffer held while pacing: volume I/O may need the pool. */
		vdrep_copy_pace(s);
		if (READ_ONCE(s->going) || vdrep_assoc_phase(s) != VDREP_PH_RESTORING)
			break;
		buf = mempool_alloc(vol->cow_buffers, GFP_NOIO);
		n = vdrep_cow_pin(vol, pinned, &gens);
		status = vdrep_cow_chunk(vol, chunk, true, pinned, n, s, buf);
		vdrep_cow_unpin(pinned, n, gens);
		mempool_free(buf, vol->cow_buffers);
		if (status)
			break;
		vdrep_copy_paced(s);
		vdrep_copy_announce_progress(s, &s->restore);
		cond_resched();
	}
	vdrep_copy_pace_end(s);

	spin_lock_irqsave(&s->lock, flags);
	if (s->phase == VDREP_PH_RESTORING && !vdrep_chunkmap_weight(&s->restore)) {
		/* Not redirected in the record before it says Split (meta.c). */
		s->meta_redirect = false;
		vdrep_assoc_set_phase_locked(s, VDREP_PH_SPLIT);
		done = true;
	}
	spin_unlock_irqrestore(&s->lock, flags);
	if (!done)
		return;		/* broken or going: a resync goes on */
	/* Nothing left to restore: I/O no longer needs to look at the map. */
	rcu_assign_pointer(vol->redirect, NULL);
	synchronize_rcu();
	vdrep_assoc_announce(s);
}
