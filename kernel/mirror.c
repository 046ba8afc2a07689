// SPDX-License-Identifier: GPL-2.0
/*
 * The volume's bio path when it has associations (io.c keeps the plain
 * remap for volumes without any).
 *
 * Each association says, through its io_mode, what a volume write does to
 * its target:
 *  - TRACK: nothing; the written chunks are marked dirty before the source
 *    write is issued, so a later resync copies exactly them;
 *  - SYNC: the write is cloned to the target and the volume bio completes
 *    only when the source and every such target completed (invariant 1);
 *    a target error marks the chunks dirty and makes that association
 *    Broken, and never reaches the writer;
 *  - ASYNC: the data is copied into pages of our own and queued to the
 *    target, so the writer waits for the source only; the queue is bounded
 *    by the backlog limit, past which the association falls back to TRACK
 *    (Pending) and its copy engine catches up (invariant 2). Flushes are
 *    queued in order: the worker issues a target flush only once every
 *    earlier target write completed;
 *  - REVERSE: failed over, the target takes the source's place; written
 *    chunks are marked dirty (the source is stale there);
 *  - COW: a snapshot or clone that needs old data: a write to a chunk it
 *    still needs goes to a worker that preserves the chunk first (cow.c);
 *  - NONE: the target is left alone (a clone notes the changed chunks).
 * Reads go to the source, or to the target of vol->redirect (failed over:
 * all reads; restoring or failing back: reads touching a chunk not yet
 * copied back; a snapshot being restored has such chunks restored first,
 * by cow.c). A source read error is retried on a Synchronized mirror.
 *
 * Foreground writes count themselves in vol->write_buckets and park behind
 * chunks a copy engine is copying (copy.c), so the two never race
 * (invariant 4). Completions never sleep (invariant 6): anything that must
 * sleep is queued to a worker.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/highmem.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "vdrep.h"

/* An asynchronous mirror's queued target write or flush. */
struct vdrep_async_item {
	struct list_head list;
	struct vdrep_assoc *assoc;
	struct bio *bio;
	u64 first_chunk, last_chunk;
	unsigned int bytes;
	bool flush;
};

/* ----------------------------------------------------------- completion */

static void vdrep_assoc_put_ref(struct vdrep_assoc *a, unsigned int gen)
{
	/* RCU keeps @a alive until the waiter has seen the count drop. */
	rcu_read_lock();
	if (atomic_dec_and_test(&a->io_refs[gen]))
		wake_up_all(&a->io_wait);
	rcu_read_unlock();
}

static void vdrep_io_put(struct vdrep_io *io)
{
	struct vdrep_volume *vol = io->vol;
	struct bio *orig = io->orig;
	unsigned int i;

	if (!atomic_dec_and_test(&io->remaining))
		return;

	if (io->buckets)
		vdrep_buckets_add(vol->write_buckets, io->first_chunk,
				  io->last_chunk, -1);
	rcu_read_lock();
	for (i = 0; i < VDREP_MAX_ASSOCS; i++) {
		struct vdrep_assoc *a;

		if (!(io->refs & BIT(i)))
			continue;
		/* Kept in slots[] until its last reference is dropped. */
		a = READ_ONCE(vol->slots[i]);
		vdrep_assoc_put_ref(a, !!(io->gens & BIT(i)));
	}
	if (atomic_dec_and_test(&vol->io_refs[io->vol_gen]))
		wake_up_all(&vol->io_wait);
	rcu_read_unlock();

	orig->bi_status = io->status;
	bio_end_io_acct(orig, io->start_time);
	bio_put(&io->clone);
	bio_endio(orig);
	percpu_ref_put(&vol->inflight);
}

/*
 * A volume write failed on the source. The writer gets the error, but the
 * targets it was cloned or queued to may hold data the source does not:
 * every mirror (and a clone being restored) marks the chunks, so that a
 * resync copies them from the source again, and one whose target was sent
 * the write is no longer known equal: the fault breaks it, counted in
 * source-write-errors. The mark is made whatever the mode is now: a drain
 * that changed it (a fracture, say) still waits for this bio, which was
 * sent with the old one. Completion context.
 */
static void vdrep_source_write_failed(struct vdrep_io *io)
{
	struct vdrep_volume *vol = io->vol;
	unsigned int i;

	rcu_read_lock();
	for (i = 0; i < VDREP_MAX_ASSOCS; i++) {
		struct vdrep_assoc *a;
		enum vdrep_io_mode mode;

		if (!(io->refs & BIT(i)))
			continue;
		/* Kept in slots[] until the bio's reference is dropped. */
		a = READ_ONCE(vol->slots[i]);
		mode = READ_ONCE(a->io_mode);
		if (!vdrep_is_mirror(a) && mode != VDREP_IO_SYNC)
			continue;
		vdrep_chunkmap_set_range(&a->dirty, io->first_chunk, io->last_chunk);
		if (mode == VDREP_IO_SYNC || mode == VDREP_IO_ASYNC)
			vdrep_assoc_fault(a, &a->source_write_errors);
	}
	rcu_read_unlock();
}

/* The source clone (or its stand-in on a redirected target). */
static void vdrep_primary_endio(struct bio *clone)
{
	struct vdrep_io *io = container_of(clone, struct vdrep_io, clone);
	struct vdrep_volume *vol = io->vol;

	if (clone->bi_status)
		WRITE_ONCE(io->status, clone->bi_status);
	/* The clone's iterator may have advanced: the original tells the size. */
	if (clone->bi_status && clone->bi_status != BLK_STS_NOTSUPP &&
	    op_is_write(bio_op(clone)) && bio_sectors(io->orig) &&
	    clone->bi_bdev == vol->source.bdev)
		vdrep_source_write_failed(io);
	if (clone->bi_status && bio_op(clone) == REQ_OP_READ &&
	    clone->bi_bdev == vol->source.bdev) {
		/* Retried on a mirror by a worker (it sleeps). */
		llist_add((struct llist_node *)&clone->bi_private,
			  &vol->read_retries);
		queue_work(vdrep_wq, &vol->read_retry_work);
		return;
	}
	vdrep_io_put(io);
}

static void vdrep_target_endio(struct bio *clone)
{
	struct vdrep_target_io *tio = container_of(clone, struct vdrep_target_io, clone);
	struct vdrep_io *io = tio->parent;
	struct vdrep_assoc *a = tio->assoc;

	if (clone->bi_status == BLK_STS_NOTSUPP &&
	    (bio_op(clone) == REQ_OP_WRITE_ZEROES || bio_op(clone) == REQ_OP_DISCARD ||
	     bio_op(clone) == REQ_OP_SECURE_ERASE)) {
		/*
		 * The target cannot do it after all (a loop file without
		 * zero-range, say). Discarded data is undefined anyway; for
		 * write-zeroes the writer is told, and blkdev_issue_zeroout()
		 * falls back to writing zeroes, which are mirrored.
		 */
		if (bio_op(clone) == REQ_OP_WRITE_ZEROES)
			WRITE_ONCE(io->status, BLK_STS_NOTSUPP);
	} else if (clone->bi_status) {
		/* The target misses this write: it must be copied again. */
		if (bio_sectors(clone))
			vdrep_chunkmap_set_range(&a->dirty, io->first_chunk,
						 io->last_chunk);
		vdrep_assoc_fault(a, &a->target_write_errors);
	}
	bio_put(clone);
	vdrep_io_put(io);
}

/* ------------------------------------------------------ source read retry */

static struct vdrep_assoc *vdrep_find_synchronized(struct vdrep_volume *vol,
						   u64 first, u64 last, unsigned int *gen)
{
	struct vdrep_assoc *found = NULL;
	unsigned int i;

	rcu_read_lock();
	for (i = 0; i < VDREP_MAX_ASSOCS && !found; i++) {
		struct vdrep_assoc *a = rcu_dereference(vol->assocs[i]);
		unsigned long flags;

		if (!a)
			continue;
		spin_lock_irqsave(&a->lock, flags);
		if (a->phase == VDREP_PH_SYNCHRONIZED &&
		    !vdrep_chunkmap_any(&a->dirty, first, last) &&
		    !vdrep_chunkmap_any(&a->async_dirty, first, last)) {
			/* Pairs with the release in vdrep_assoc_drain(). */
			*gen = smp_load_acquire(&a->io_gen) & 1;
			atomic_inc(&a->io_refs[*gen]);
			found = a;
		}
		spin_unlock_irqrestore(&a->lock, flags);
	}
	rcu_read_unlock();
	return found;
}

void vdrep_read_retry_work(struct work_struct *work)
{
	struct vdrep_volume *vol = container_of(work, struct vdrep_volume,
						read_retry_work);
	struct llist_node *node = llist_del_all(&vol->read_retries);

	while (node) {
		struct bio *clone = container_of((void *)node, struct bio, bi_private);
		struct vdrep_io *io = container_of(clone, struct vdrep_io, clone);
		struct vdrep_assoc *a;
		unsigned int gen;

		node = node->next;
		a = vdrep_find_synchronized(vol, io->first_chunk, io->last_chunk, &gen);
		if (a) {
			struct bio *retry = bio_alloc_clone(a->target.bdev, io->orig,
							    GFP_NOIO, &vol->target_bioset);

			atomic64_inc(&a->source_read_errors);
			submit_bio_wait(retry);
			io->status = retry->bi_status;
			bio_put(retry);
			if (!io->status)
				pr_warn_ratelimited("%s: source read error at sector %llu, read from mirror %s instead\n",
						    vol->disk->disk_name,
						    (u64)io->orig->bi_iter.bi_sector,
						    a->name);
			vdrep_assoc_put_ref(a, gen);
		}
		vdrep_io_put(io);
	}
}

/* ------------------------------------------------------------ async queue */

static bool vdrep_async_overlaps(struct vdrep_assoc *a, struct vdrep_async_item *item)
{
	return !item->flush &&
	       vdrep_buckets_busy(a->async_buckets, item->first_chunk, item->last_chunk);
}

static void vdrep_async_endio(struct bio *bio)
{
	struct vdrep_async_item *item = bio->bi_private;
	struct vdrep_assoc *a = item->assoc;
	struct bio_vec *bv;
	struct bvec_iter_all iter;
	unsigned long flags;

	if (bio->bi_status) {
		vdrep_chunkmap_set_range(&a->dirty, item->first_chunk,
					 item->last_chunk);
		vdrep_assoc_fault(a, &a->target_write_errors);
	}
	bio_for_each_segment_all(bv, bio, iter)
		__free_page(bv->bv_page);
	bio_put(bio);

	vdrep_buckets_add(a->async_buckets, item->first_chunk, item->last_chunk, -1);
	spin_lock_irqsave(&a->async_lock, flags);
	a->bytes_behind -= item->bytes;
	spin_unlock_irqrestore(&a->async_lock, flags);
	kfree(item);
	/* RCU: removal waits a grace period before it cancels the work. */
	rcu_read_lock();
	if (atomic_dec_and_test(&a->async_inflight))
		wake_up_all(&a->async_wait);
	/* The worker clears async_dirty once everything landed. */
	queue_work(vdrep_wq, &a->async_work);
	rcu_read_unlock();
}

/* Everything queued before this call has reached the target. */
void vdrep_async_wait_empty(struct vdrep_assoc *a)
{
	wait_event(a->async_wait, ({
		unsigned long flags;
		bool empty;

		spin_lock_irqsave(&a->async_lock, flags);
		empty = !a->bytes_behind && list_empty(&a->async_queue);
		spin_unlock_irqrestore(&a->async_lock, flags);
		empty && !atomic_read(&a->async_inflight);
	}));
}

/*
 * Issues queued items in order. A flush waits for every earlier write to
 * complete; a write overlapping one in flight waits for it, so the target
 * applies writes to a chunk in the order the volume saw them.
 */
void vdrep_async_work(struct work_struct *work)
{
	struct vdrep_assoc *a = container_of(work, struct vdrep_assoc, async_work);
	struct vdrep_async_item *item;
	unsigned long flags;

	for (;;) {
		spin_lock_irqsave(&a->async_lock, flags);
		item = list_first_entry_or_null(&a->async_queue,
						struct vdrep_async_item, list);
		if (item)
			list_del(&item->list);
		else if (!a->bytes_behind)
			vdrep_chunkmap_clear_all(&a->async_dirty);
		spin_unlock_irqrestore(&a->async_lock, flags);
		if (!item)
			break;

		if (item->flush) {
			wait_event(a->async_wait, !atomic_read(&a->async_inflight));
			if (blkdev_issue_flush(a->target.bdev))
				vdrep_assoc_fault(a, &a->target_write_errors);
			kfree(item);
			wake_up_all(&a->async_wait);
			continue;
		}
		if (vdrep_async_overlaps(a, item))
			wait_event(a->async_wait, !atomic_read(&a->async_inflight));
		vdrep_buckets_add(a->async_buckets, item->first_chunk,
				  item->last_chunk, 1);
		atomic_inc(&a->async_inflight);
		submit_bio(item->bio);
	}
	if (!atomic_read(&a->async_inflight))
		wake_up_all(&a->async_wait);
}

static void vdrep_async_item_free(struct vdrep_async_item *item)
{
	struct bio_vec *bv;
	struct bvec_iter_all iter;

	if (item->bio) {
		bio_for_each_segment_all(bv, item->bio, iter)
			__free_page(bv->bv_page);
		bio_put(item->bio);
	}
	kfree(item);
}

/* Copy @dst's size of data from @src, at *@src_iter (which advances). */
static void vdrep_bio_copy_from(struct bio *dst, struct bio *src,
				struct bvec_iter *src_iter)
{
	struct bvec_iter dst_iter = dst->bi_iter;

	while (src_iter->bi_size && dst_iter.bi_size) {
		struct bio_vec s = bio_iter_iovec(src, *src_iter);
		struct bio_vec d = bio_iter_iovec(dst, dst_iter);
		unsigned int len = min(s.bv_len, d.bv_len);

		memcpy_page(d.bv_page, d.bv_offset, s.bv_page, s.bv_offset, len);
		bio_advance_iter_single(src, src_iter, len);
		bio_advance_iter_single(dst, &dst_iter, len);
	}
}

/*
 * One queued target write: the next at most BIO_MAX_VECS pages of @bio's
 * data, from *@src on (which it advances), copied into pages of our own.
 */
static struct vdrep_async_item *vdrep_async_item_copy(struct vdrep_assoc *a,
						      struct bio *bio,
						      struct bvec_iter *src)
{
	const gfp_t gfp = GFP_NOIO | __GFP_NORETRY | __GFP_NOWARN;
	struct vdrep_volume *vol = a->vol;
	unsigned int bytes = min_t(unsigned int, src->bi_size, BIO_MAX_VECS * PAGE_SIZE);
	unsigned int nr_pages = DIV_ROUND_UP(bytes, PAGE_SIZE), i;
	struct vdrep_async_item *item;
	struct bio *copy;

	item = kzalloc(sizeof(*item), gfp);
	if (!item)
		return NULL;
	copy = bio_alloc_bioset(a->target.bdev, nr_pages,
				REQ_OP_WRITE | (bio->bi_opf & (REQ_FUA | REQ_SYNC)),
				gfp, &vol->target_bioset);
	if (!copy) {
		kfree(item);
		return NULL;
	}
	item->bio = copy;
	for (i = 0; i < nr_pages; i++) {
		struct page *page = alloc_page(gfp);
		unsigned int len = min_t(unsigned int, PAGE_SIZE, bytes - i * PAGE_SIZE);

		if (!page) {
			vdrep_async_item_free(item);
			return NULL;
		}
		__bio_add_page(copy, page, len, 0);
	}
	copy->bi_iter.bi_sector = src->bi_sector;
	vdrep_bio_copy_from(copy, bio, src);
	copy->bi_end_io = vdrep_async_endio;
	copy->bi_private = item;
	item->assoc = a;
	item->bytes = bytes;
	item->first_chunk = copy->bi_iter.bi_sector >> vol->chunk_shift;
	item->last_chunk = (bio_end_sector(copy) - 1) >> vol->chunk_shift;
	return item;
}

/*
 * Copy @bio's data into pages of our own and queue it for @a's target,
 * all of it or nothing. False if it cannot (backlog over the bound, no
 * memory, discard or write-zeroes, which resync copies): the caller falls
 * back to tracking.
 */
static bool vdrep_async_queue(struct vdrep_assoc *a, struct bio *bio,
			      u64 first, u64 last)
{
	const gfp_t gfp = GFP_NOIO | __GFP_NORETRY | __GFP_NOWARN;
	unsigned int bytes = bio->bi_iter.bi_size;
	struct vdrep_async_item *item, *next;
	struct bvec_iter src = bio->bi_iter;
	unsigned long flags;
	LIST_HEAD(items);

	if (bytes && bio_op(bio) != REQ_OP_WRITE)
		return false;
	if (READ_ONCE(a->bytes_behind) + bytes > READ_ONCE(a->backlog_limit))
		return false;	/* a hint; checked again under the lock */

	if (bio->bi_opf & REQ_PREFLUSH) {
		item = kzalloc(sizeof(*item), gfp);
		if (!item)
			return false;
		item->flush = true;
		item->assoc = a;
		list_add_tail(&item->list, &items);
	}
	while (src.bi_size) {
		item = vdrep_async_item_copy(a, bio, &src);
		if (!item)
			goto fail;
		list_add_tail(&item->list, &items);
	}

	spin_lock_irqsave(&a->async_lock, flags);
	if (a->bytes_behind + bytes > a->backlog_limit) {
		spin_unlock_irqrestore(&a->async_lock, flags);
		goto fail;
	}
	if (bytes) {
		/* Marked before the source write is issued (invariant 2). */
		vdrep_chunkmap_set_range(&a->async_dirty, first, last);
		a->bytes_behind += bytes;
	}
	list_splice_tail(&items, &a->async_queue);
	spin_unlock_irqrestore(&a->async_lock, flags);
	queue_work(vdrep_wq, &a->async_work);
	return true;

fail:
	list_for_each_entry_safe(item, next, &items, list)
		vdrep_async_item_free(item);
	return false;
}

/* The backlog overflowed: track and let the copy engine catch up. */
static void vdrep_async_overflow(struct vdrep_assoc *a)
{
	unsigned long flags;
	bool kick = false;

	bool announce = false;

	spin_lock_irqsave(&a->lock, flags);
	if (a->io_mode == VDREP_IO_ASYNC) {
		WRITE_ONCE(a->io_mode, VDREP_IO_TRACK);
		kick = true;
		/* Else the copy engine is finishing: it sees the mode and goes on. */
		if (a->phase == VDREP_PH_SYNCHRONIZED) {
			vdrep_assoc_set_phase_locked(a, VDREP_PH_PENDING);
			announce = true;
		}
	}
	spin_unlock_irqrestore(&a->lock, flags);
	if (announce)
		queue_work(vdrep_wq, &a->event_work);
	if (kick)
		vdrep_copy_start(a, VDREP_COPY_TO_TARGET);
}

/* ------------------------------------------------------------- submission */

/* Write zeroes to a target that has no write-zeroes command: zero pages. */
static void vdrep_target_zeroes(struct vdrep_assoc *a, struct vdrep_io *io,
				struct bio *bio)
{
	sector_t sector = bio->bi_iter.bi_sector;
	sector_t left = bio_sectors(bio);

	while (left) {
		unsigned int vecs = min_t(sector_t, BIO_MAX_VECS,
					  DIV_ROUND_UP(left, PAGE_SECTORS));
		struct vdrep_target_io *tio;
		struct bio *zb;

		zb = bio_alloc_bioset(a->target.bdev, vecs, REQ_OP_WRITE,
				      GFP_NOIO, &a->vol->target_bioset);
		zb->bi_iter.bi_sector = sector;
		while (left && zb->bi_vcnt < vecs) {
			unsigned int len = min_t(sector_t, left, PAGE_SECTORS) << SECTOR_SHIFT;

			__bio_add_page(zb, ZERO_PAGE(0), len, 0);
			sector += len >> SECTOR_SHIFT;
			left -= len >> SECTOR_SHIFT;
		}
		tio = container_of(zb, struct vdrep_target_io, clone);
		tio->assoc = a;
		tio->parent = io;
		zb->bi_end_io = vdrep_target_endio;
		atomic_inc(&io->remaining);
		submit_bio_noacct(zb);
	}
}

static void vdrep_target_clone(struct vdrep_assoc *a, struct vdrep_io *io,
			       struct bio *bio)
{
	struct block_device *target = a->target.bdev;
	struct vdrep_target_io *tio;
	struct bio *clone;

	switch (bio_op(bio)) {
	case REQ_OP_DISCARD:
	case REQ_OP_SECURE_ERASE:
		/* Discarded data is undefined: nothing to keep equal. */
		if (!bdev_max_discard_sectors(target))
			return;
		break;
	case REQ_OP_WRITE_ZEROES:
		if (!bdev_write_zeroes_sectors(target)) {
			vdrep_target_zeroes(a, io, bio);
			return;
		}
		break;
	default:
		break;
	}
	clone = bio_alloc_clone(target, bio, GFP_NOIO, &a->vol->target_bioset);
	tio = container_of(clone, struct vdrep_target_io, clone);
	tio->assoc = a;
	tio->parent = io;
	clone->bi_end_io = vdrep_target_endio;
	atomic_inc(&io->remaining);
	submit_bio_noacct(clone);
}

/*
 * Wait until every bio of the association path that started before this
 * call completed (including those waiting for copy-on-write). Caller holds
 * vdrep_volumes_lock, which serialises the generations.
 */
void vdrep_volume_drain(struct vdrep_volume *vol)
{
	unsigned int old;

	lockdep_assert_held(&vdrep_volumes_lock);
	old = vol->io_gen & 1;
	/*
	 * Pairs with the acquire in vdrep_submit_with_assocs(): a bio counted
	 * in the new generation sees every association published before.
	 */
	smp_store_release(&vol->io_gen, vol->io_gen + 1);
	synchronize_rcu();
	wait_event(vol->io_wait, !atomic_read(&vol->io_refs[old]));
}

static void vdrep_io_meta_resume(struct vdrep_meta_wait *w)
{
	struct vdrep_io *io = container_of(w, struct vdrep_io, meta_wait);

	io->meta_done = true;
	vdrep_io_dispatch_deferred(io);
}

/*
 * Send @io's bio on: what each association's mode asks of a write, then
 * the primary clone. @modes are those seen under the bio's io_refs.
 */
static void vdrep_io_dispatch(struct vdrep_io *io, struct vdrep_assoc **assocs,
			      const enum vdrep_io_mode *modes, unsigned int n)
{
	struct bio *bio = io->orig;
	bool has_data = bio_sectors(bio) > 0;
	u64 first = io->first_chunk, last = io->last_chunk;
	unsigned int i;

	if (io->status) {
		/* Copy-on-write could not make the chunks safe: fail the bio. */
		atomic_dec(&io->remaining);
		vdrep_io_put(io);
		return;
	}
	if (op_is_write(bio_op(bio)) && has_data) {
		/* What the write changes, noted before its intent is tested (meta.c). */
		for (i = 0; i < n; i++) {
			struct vdrep_assoc *a = assocs[i];

			switch (modes[i]) {
			case VDREP_IO_NONE:
			case VDREP_IO_COW:
				/* Chunks already preserved; a clone notes the change. */
				if (vdrep_is_clone(a))
					vdrep_chunkmap_set_range(&a->changed, first, last);
				break;
			case VDREP_IO_TRACK:
			case VDREP_IO_REVERSE:
				vdrep_chunkmap_set_range(&a->dirty, first, last);
				break;
			default:
				break;
			}
		}
		/* The metadata device covers the write before any of it is issued. */
		if (!io->meta_done) {
			io->meta_wait.first = first;
			io->meta_wait.last = last;
			io->meta_wait.assocs = io->refs;
			io->meta_wait.resume = vdrep_io_meta_resume;
			if (!vdrep_meta_write_ready(io->vol, &io->meta_wait))
				return;
		}
	}
	if (op_is_write(bio_op(bio))) {
		for (i = 0; i < n; i++) {
			struct vdrep_assoc *a = assocs[i];

			switch (modes[i]) {
			case VDREP_IO_NONE:
			case VDREP_IO_COW:
			case VDREP_IO_TRACK:
			case VDREP_IO_REVERSE:
				break;
			case VDREP_IO_SYNC:
				vdrep_target_clone(a, io, bio);
				break;
			case VDREP_IO_ASYNC:
				if (!vdrep_async_queue(a, bio, first, last)) {
					if (has_data)
						vdrep_chunkmap_set_range(&a->dirty, first, last);
					vdrep_async_overflow(a);
				}
				break;
			}
		}
	}
	submit_bio_noacct(&io->clone);
	vdrep_io_put(io);
}

/* A bio back from copy-on-write (cow.c): dispatch it with today's modes. */
void vdrep_io_dispatch_deferred(struct vdrep_io *io)
{
	struct vdrep_assoc *assocs[VDREP_MAX_ASSOCS];
	enum vdrep_io_mode modes[VDREP_MAX_ASSOCS];
	struct vdrep_volume *vol = io->vol;
	unsigned int n = 0, i;

	/*
	 * A mode changed meanwhile is newer than the bio's generation: the
	 * drain that changed it still waits for this bio, and the new mode
	 * does at least what the old one did for it.
	 */
	for (i = 0; i < VDREP_MAX_ASSOCS; i++) {
		if (!(io->refs & BIT(i)))
			continue;
		assocs[n] = READ_ONCE(vol->slots[i]);
		modes[n] = READ_ONCE(assocs[n]->io_mode);
		n++;
	}
	vdrep_io_dispatch(io, assocs, modes, n);
}

void vdrep_submit_with_assocs(struct vdrep_volume *vol, struct bio *bio)
{
	struct vdrep_assoc *assocs[VDREP_MAX_ASSOCS];
	enum vdrep_io_mode modes[VDREP_MAX_ASSOCS];
	struct block_device *primary = vol->source.bdev;
	bool write = op_is_write(bio_op(bio));
	bool has_data = bio_sectors(bio) > 0;
	struct vdrep_assoc *redirect;
	unsigned int n = 0, i, vol_gen;
	u64 first = 0, last = 0;
	struct vdrep_io *io;
	struct bio *clone;
	u16 refs = 0, gens = 0;
	unsigned long now;

	if (has_data) {
		first = bio->bi_iter.bi_sector >> vol->chunk_shift;
		last = (bio_end_sector(bio) - 1) >> vol->chunk_shift;
	}
	if (write && has_data) {
		vdrep_buckets_add(vol->write_buckets, first, last, 1);
		/* Pairs with the barrier in vdrep_copy_try_lock(). */
		smp_mb__after_atomic();
		if (atomic_read(&vol->copies_active) &&
		    vdrep_copy_conflict(vol, first, last, bio)) {
			/* Parked: resubmitted when the copy of the chunk ends. */
			vdrep_buckets_add(vol->write_buckets, first, last, -1);
			return;
		}
	}
	now = jiffies;
	if (READ_ONCE(vol->last_io) != now)
		WRITE_ONCE(vol->last_io, now);

	rcu_read_lock();
	/* Generation first: a bio of the new one sees every new association. */
	vol_gen = smp_load_acquire(&vol->io_gen) & 1;
	atomic_inc(&vol->io_refs[vol_gen]);
	for (i = 0; i < VDREP_MAX_ASSOCS; i++) {
		struct vdrep_assoc *a = rcu_dereference(vol->assocs[i]);
		unsigned int gen;

		if (!a)
			continue;
		/* Pairs with vdrep_assoc_drain(): the new generation, the new mode. */
		gen = smp_load_acquire(&a->io_gen) & 1;
		atomic_inc(&a->io_refs[gen]);
		refs |= BIT(i);
		if (gen)
			gens |= BIT(i);
		assocs[n] = a;
		modes[n] = READ_ONCE(a->io_mode);
		n++;
	}
	redirect = rcu_dereference(vol->redirect);
	rcu_read_unlock();

	/* A snapshot's restore is served by copy-on-write, not redirected. */
	if (redirect && !vdrep_is_snapshot(redirect)) {
		enum vdrep_io_mode mode = READ_ONCE(redirect->io_mode);

		if (mode == VDREP_IO_REVERSE)
			primary = redirect->target.bdev;
		else if (!write && has_data &&
			 vdrep_chunkmap_any(&redirect->dirty, first, last))
			primary = redirect->target.bdev;	/* not restored yet */
	}

	clone = bio_alloc_clone(primary, bio, GFP_NOIO, &vol->bioset);
	io = container_of(clone, struct vdrep_io, clone);
	io->vol = vol;
	io->orig = bio;
	io->status = BLK_STS_OK;
	io->refs = refs;
	io->gens = gens;
	io->vol_gen = vol_gen;
	io->buckets = write && has_data;
	io->meta_done = false;
	io->first_chunk = first;
	io->last_chunk = last;
	atomic_set(&io->remaining, 2);		/* the primary clone + submission */
	io->start_time = bio_start_io_acct(bio);
	clone->bi_end_io = vdrep_primary_endio;
	percpu_ref_get(&vol->inflight);

	if (has_data &&
	    vdrep_cow_needed(vol, assocs, modes, n, redirect, write, first, last)) {
		/* Old data first (invariant 3), in process context. */
		INIT_WORK(&io->cow_work, vdrep_cow_work);
		queue_work(vdrep_io_wq, &io->cow_work);
		return;
	}
	vdrep_io_dispatch(io, assocs, modes, n);
}
