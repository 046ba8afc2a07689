// SPDX-License-Identifier: GPL-2.0
/*
 * The background copy engine: initial sync, resync, catch-up of an
 * asynchronous mirror, restore and failback. It copies the chunks set in an
 * association's dirty map, up to VDREP_COPY_JOBS jobs at once, from the
 * source to the target (or back, for restore and failback), and clears a
 * chunk's bit only when its copy has been written. A job copies one chunk,
 * or at full speed (every job allowed, no rate limit) a run of adjacent
 * dirty chunks up to VDREP_COPY_RUN_BYTES in one read and one write: fewer,
 * larger I/Os, as a plain copy tool would issue. The pages for runs are
 * allocated when such a copy starts and freed when it ends; where they
 * cannot be had, jobs copy one chunk.
 *
 * Foreground writes and copies of one chunk never overlap (invariant 4): a
 * job registers its chunk under copy_lock and then checks that no volume
 * write is in flight on it (vol->write_buckets), else it leaves the chunk
 * for later; a volume write arriving while a chunk is copied is parked on
 * the association and resubmitted when the copy ends (mirror.c).
 *
 * CopyPriority paces it: High keeps every job busy; Same uses two jobs while
 * the volume has foreground I/O (in the last 100 ms) and all of them when
 * idle; Low one job at a time, at most ten chunks a second, while the volume
 * is busy. rate-limit caps any of them in bytes per second.
 *
 * Everything runs in one delayed work item per association; bio
 * completions only queue the finished job and kick it.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/jiffies.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "vdrep.h"

#define VDREP_BUSY_WINDOW	(HZ / 10)

/* Chunks in a run: at least one. */
static unsigned int vdrep_copy_run_chunks(struct vdrep_volume *vol)
{
	return max(1U, VDREP_COPY_RUN_BYTES >> (vol->chunk_shift + SECTOR_SHIFT));
}

int vdrep_copy_init(struct vdrep_assoc *a)
{
	unsigned int nr_pages = a->vol->chunk_size >> PAGE_SHIFT;
	unsigned int max_pages = nr_pages * vdrep_copy_run_chunks(a->vol);
	unsigned int i, p;

	spin_lock_init(&a->copy_lock);
	bio_list_init(&a->parked);
	init_llist_head(&a->copy_done);
	INIT_DELAYED_WORK(&a->copy_work, vdrep_copy_work);
	init_waitqueue_head(&a->copy_wait);
	for (i = 0; i < VDREP_COPY_JOBS; i++) {
		struct vdrep_copy_job *job = &a->jobs[i];

		job->assoc = a;
		job->chunk = U64_MAX;
		job->nr_pages = nr_pages;
		job->max_pages = max_pages;
		job->pages = kcalloc(max_pages, sizeof(*job->pages), GFP_KERNEL);
		if (!job->pages)
			goto err;
		for (p = 0; p < nr_pages; p++) {
			job->pages[p] = alloc_page(GFP_KERNEL);
			if (!job->pages[p])
				goto err;
		}
	}
	return 0;
err:
	vdrep_copy_exit(a);
	return -ENOMEM;
}

void vdrep_copy_exit(struct vdrep_assoc *a)
{
	unsigned int i, p;

	for (i = 0; i < VDREP_COPY_JOBS; i++) {
		struct vdrep_copy_job *job = &a->jobs[i];

		if (!job->pages)
			continue;
		for (p = 0; p < job->max_pages; p++)
			if (job->pages[p])
				__free_page(job->pages[p]);
		kfree(job->pages);
		job->pages = NULL;
	}
}

/*
 * A copy at full speed starts: pages for runs of chunks. The copy work may
 * sit in the volume's write path (writes parked on a copy), so no reclaim
 * I/O and no retrying: what is not there now means shorter runs.
 */
static void vdrep_copy_grow(struct vdrep_assoc *a)
{
	unsigned int i;

	for (i = 0; i < VDREP_COPY_JOBS; i++) {
		struct vdrep_copy_job *job = &a->jobs[i];

		while (job->nr_pages < job->max_pages) {
			struct page *page = alloc_page(GFP_NOIO | __GFP_NORETRY | __GFP_NOWARN);

			if (!page)
				break;
			job->pages[job->nr_pages++] = page;
		}
	}
	a->copy_grown = true;
}

/* The copy ended, no job is busy: back to one chunk's pages a job. */
static void vdrep_copy_shrink(struct vdrep_assoc *a)
{
	unsigned int chunk_pages = a->vol->chunk_size >> PAGE_SHIFT;
	unsigned int i;

	if (!a->copy_grown)
		return;
	for (i = 0; i < VDREP_COPY_JOBS; i++) {
		struct vdrep_copy_job *job = &a->jobs[i];

		while (job->nr_pages > chunk_pages) {
			__free_page(job->pages[--job->nr_pages]);
			job->pages[job->nr_pages] = NULL;
		}
	}
	a->copy_grown = false;
}

/* ------------------------------------------------------------ chunk lock */

/*
 * Register @nr chunks from @chunk as being copied unless a volume write is
 * in flight on one of them.
 */
static bool vdrep_copy_try_lock(struct vdrep_assoc *a, struct vdrep_copy_job *job,
				u64 chunk, unsigned int nr)
{
	unsigned long flags;
	bool busy;

	spin_lock_irqsave(&a->copy_lock, flags);
	WRITE_ONCE(job->nr_chunks, nr);
	WRITE_ONCE(job->chunk, chunk);
	/* Pairs with the barrier after the write's bucket increment. */
	smp_mb();
	busy = vdrep_buckets_busy(a->vol->write_buckets, chunk, chunk + nr - 1);
	if (busy)
		WRITE_ONCE(job->chunk, U64_MAX);
	spin_unlock_irqrestore(&a->copy_lock, flags);
	return !busy;
}

static bool vdrep_copy_job_overlaps(struct vdrep_assoc *a, u64 first, u64 last)
{
	unsigned int i;

	for (i = 0; i < VDREP_COPY_JOBS; i++) {
		u64 chunk = READ_ONCE(a->jobs[i].chunk);

		if (chunk != U64_MAX && chunk <= last &&
		    chunk + READ_ONCE(a->jobs[i].nr_chunks) > first)
			return true;
	}
	return false;
}

/*
 * How many chunks from @chunk (dirty, no job on it) one job copies: the
 * adjacent dirty chunks no other job holds, up to @max.
 */
static unsigned int vdrep_copy_run(struct vdrep_assoc *a, u64 chunk, unsigned int max)
{
	unsigned int n = 1;

	while (n < max && chunk + n < a->dirty.nr_chunks &&
	       vdrep_chunkmap_next(&a->dirty, chunk + n) == chunk + n &&
	       !vdrep_copy_job_overlaps(a, chunk + n, chunk + n))
		n++;
	return n;
}

/*
 * Called by the volume's write path: if a copy holds a chunk of
 * @first..@last, park @bio on that association and return true.
 */
bool vdrep_copy_conflict(struct vdrep_volume *vol, u64 first, u64 last,
			 struct bio *bio)
{
	bool parked = false;
	unsigned int i;

	rcu_read_lock();
	for (i = 0; i < VDREP_MAX_ASSOCS && !parked; i++) {
		struct vdrep_assoc *a = rcu_dereference(vol->assocs[i]);
		unsigned long flags;

		if (!a || !READ_ONCE(a->copy_active))
			continue;
		spin_lock_irqsave(&a->copy_lock, flags);
		if (vdrep_copy_job_overlaps(a, first, last)) {
			bio_list_add(&a->parked, bio);
			parked = true;
		}
		spin_unlock_irqrestore(&a->copy_lock, flags);
	}
	rcu_read_unlock();
	return parked;
}

static void vdrep_copy_unlock(struct vdrep_assoc *a, struct vdrep_copy_job *job)
{
	struct bio_list parked;
	unsigned long flags;
	struct bio *bio;

	spin_lock_irqsave(&a->copy_lock, flags);
	WRITE_ONCE(job->chunk, U64_MAX);
	a->copy_jobs_busy--;
	parked = a->parked;
	bio_list_init(&a->parked);
	spin_unlock_irqrestore(&a->copy_lock, flags);

	while ((bio = bio_list_pop(&parked)))
		vdrep_submit_with_assocs(a->vol, bio);
}

/* ------------------------------------------------------------------- jobs */

static void vdrep_copy_endio(struct bio *bio)
{
	struct vdrep_copy_job *job = bio->bi_private;
	struct vdrep_assoc *a = job->assoc;

	/* RCU: removal waits a grace period before it cancels the work. */
	rcu_read_lock();
	llist_add(&job->done, &a->copy_done);
	mod_delayed_work(vdrep_wq, &a->copy_work, 0);
	rcu_read_unlock();
}

static struct block_device *vdrep_copy_bdev(struct vdrep_assoc *a, bool dest)
{
	bool to_target = a->copy_dir == VDREP_COPY_TO_TARGET;

	return (to_target == dest) ? a->target.bdev : a->vol->source.bdev;
}

static void vdrep_copy_submit(struct vdrep_copy_job *job, bool write)
{
	struct vdrep_assoc *a = job->assoc;
	struct vdrep_volume *vol = a->vol;
	u64 size = vdrep_volume_size(vol);
	u64 pos = job->chunk << (vol->chunk_shift + SECTOR_SHIFT);
	unsigned int len = min_t(u64, (u64)job->nr_chunks * vol->chunk_size, size - pos);
	unsigned int p, off;
	struct bio *bio;

	bio = bio_alloc_bioset(vdrep_copy_bdev(a, write), DIV_ROUND_UP(len, PAGE_SIZE),
			       write ? REQ_OP_WRITE : REQ_OP_READ, GFP_NOIO,
			       &vol->target_bioset);
	bio->bi_iter.bi_sector = pos >> SECTOR_SHIFT;
	for (p = 0, off = 0; off < len; p++, off += PAGE_SIZE)
		__bio_add_page(bio, job->pages[p], min_t(unsigned int, PAGE_SIZE, len - off), 0);
	bio->bi_private = job;
	bio->bi_end_io = vdrep_copy_endio;
	job->bio = bio;
	job->writing = write;
	submit_bio_noacct(bio);
}

/* Start a new rate window once a second has passed; caller holds copy_lock. */
static void vdrep_copy_window_roll(struct vdrep_assoc *a)
{
	u64 now = get_jiffies_64();

	lockdep_assert_held(&a->copy_lock);
	if (time_after64(now, a->copy_window_start + HZ)) {
		a->copy_rate = div64_u64(a->copy_window_bytes * HZ,
					 now - a->copy_window_start);
		a->copy_window_start = now;
		a->copy_window_bytes = 0;
	}
}

static void vdrep_copy_account(struct vdrep_assoc *a, unsigned int bytes)
{
	unsigned long flags;

	spin_lock_irqsave(&a->copy_lock, flags);
	vdrep_copy_window_roll(a);
	a->copy_window_bytes += bytes;
	spin_unlock_irqrestore(&a->copy_lock, flags);
}

/* A job's read or write completed. */
static void vdrep_copy_job_done(struct vdrep_copy_job *job)
{
	struct vdrep_assoc *a = job->assoc;
	bool to_target = a->copy_dir == VDREP_COPY_TO_TARGET;
	blk_status_t status = job->bio->bi_status;
	bool write = job->writing;
	u64 chunk;

	bio_put(job->bio);
	job->bio = NULL;
	if (status) {
		if (write)
			vdrep_assoc_fault(a, to_target ? &a->target_write_errors
						       : &a->source_write_errors);
		else
			vdrep_assoc_fault(a, to_target ? &a->source_read_errors
						       : &a->target_read_errors);
		vdrep_copy_unlock(a, job);
		return;
	}
	if (!write) {
		vdrep_copy_submit(job, true);
		return;
	}
	for (chunk = job->chunk; chunk < job->chunk + job->nr_chunks; chunk++) {
		vdrep_chunkmap_clear(&a->dirty, chunk);
		if (!to_target)
			vdrep_source_rewritten(a->vol, a, chunk);
		else if (vdrep_is_clone(a))
			/* Writes stay parked until view reads sent to the source are done. */
			vdrep_cow_view_wait(a, chunk);
	}
	atomic64_add(job->nr_chunks, &a->copied_chunks);
	vdrep_copy_account(a, job->nr_chunks * a->vol->chunk_size);
	WRITE_ONCE(a->copy_last_write_ns, ktime_get_ns());
	vdrep_copy_unlock(a, job);
}

/* ---------------------------------------------------------------- pacing */

/* How many jobs may run now, 0 to wait; *@delay says when to look again. */
static unsigned int vdrep_copy_allowed(struct vdrep_assoc *a, unsigned long *delay)
{
	bool busy = time_before(jiffies, READ_ONCE(a->vol->last_io) + VDREP_BUSY_WINDOW);
	u64 rate_limit = READ_ONCE(a->rate_limit);
	unsigned int jobs = VDREP_COPY_JOBS;

	if (rate_limit) {
		unsigned long flags;
		bool over;

		spin_lock_irqsave(&a->copy_lock, flags);
		vdrep_copy_window_roll(a);
		/*
		 * Jobs in flight count against the window too; a window always
		 * gets one chunk, so a limit below the chunk size still copies.
		 */
		over = (a->copy_window_bytes || a->copy_jobs_busy) &&
		       a->copy_window_bytes +
		       (u64)(a->copy_jobs_busy + 1) * a->vol->chunk_size > rate_limit;
		spin_unlock_irqrestore(&a->copy_lock, flags);
		if (over) {
			*delay = HZ / 20;
			return 0;
		}
		jobs = 1;
	}
	switch (READ_ONCE(a->copy_priority)) {
	case VDREP_COPY_PRIORITY_HIGH:
		break;
	case VDREP_COPY_PRIORITY_LOW:
		if (busy) {
			if (time_before(jiffies, a->copy_last_start + HZ / 10)) {
				*delay = HZ / 10;
				return 0;
			}
			jobs = 1;
		}
		break;
	default:	/* Same, Not Managed */
		if (busy)
			jobs = min(jobs, 2U);
		break;
	}
	return jobs;
}

/*
 * Pacing for a copy that runs outside the engine, one chunk at a time (a
 * snapshot's restore): the same CopyPriority and rate-limit rules.
 */
void vdrep_copy_pace_start(struct vdrep_assoc *a)
{
	unsigned long flags;

	spin_lock_irqsave(&a->copy_lock, flags);
	a->copy_window_start = get_jiffies_64();
	a->copy_window_bytes = 0;
	a->copy_rate = 0;
	a->copy_began_ns = ktime_get_ns();
	a->copy_ended_ns = 0;
	spin_unlock_irqrestore(&a->copy_lock, flags);
}

/* Sleep until one more chunk may be copied; may sleep. */
void vdrep_copy_pace(struct vdrep_assoc *a)
{
	unsigned long delay = 0;

	while (!vdrep_copy_allowed(a, &delay) && !READ_ONCE(a->going)) {
		schedule_timeout_uninterruptible(delay ?: 1);
		delay = 0;
	}
	a->copy_last_start = jiffies;
}

/* One chunk of such a copy is done. */
void vdrep_copy_paced(struct vdrep_assoc *a)
{
	vdrep_copy_account(a, a->vol->chunk_size);
}

/* Such a copy ended, done or not. */
void vdrep_copy_pace_end(struct vdrep_assoc *a)
{
	unsigned long flags;

	spin_lock_irqsave(&a->copy_lock, flags);
	a->copy_rate = 0;
	a->copy_ended_ns = ktime_get_ns();
	spin_unlock_irqrestore(&a->copy_lock, flags);
}

/*
 * How long the copy that copied_chunks counts ran, or has run so far; 0 if
 * none ran. Its average rate is copied_chunks * chunk_size / this, without
 * the time a caller spends starting it and noticing its end.
 */
u64 vdrep_copy_elapsed_ns(struct vdrep_assoc *a)
{
	unsigned long flags;
	u64 ns = 0;

	spin_lock_irqsave(&a->copy_lock, flags);
	if (a->copy_began_ns)
		ns = (a->copy_ended_ns ?: ktime_get_ns()) - a->copy_began_ns;
	spin_unlock_irqrestore(&a->copy_lock, flags);
	return ns;
}

/* ------------------------------------------------------------------ work */

static void vdrep_copy_deactivate(struct vdrep_assoc *a)
{
	struct bio_list parked;
	unsigned long flags;
	struct bio *bio;

	spin_lock_irqsave(&a->copy_lock, flags);
	if (a->copy_active) {
		WRITE_ONCE(a->copy_active, false);
		atomic_dec(&a->vol->copies_active);
		/* Not the state change after it (a clone's drain waits a grace period). */
		a->copy_ended_ns = READ_ONCE(a->copy_last_write_ns) ?: ktime_get_ns();
	}
	a->copy_rate = 0;
	parked = a->parked;
	bio_list_init(&a->parked);
	spin_unlock_irqrestore(&a->copy_lock, flags);
	vdrep_copy_shrink(a);
	while ((bio = bio_list_pop(&parked)))
		vdrep_submit_with_assocs(a->vol, bio);
	wake_up_all(&a->copy_wait);
}

/*
 * A clone's fill, resync or restore is done: it is split from the source
 * (SyncState Frozen), and writes only note what they change. An
 * unsync-unassoc clone's fill ends the association.
 */
static bool vdrep_clone_finish(struct vdrep_assoc *a, enum vdrep_phase phase)
{
	unsigned long flags;
	bool done = false;

	vdrep_assoc_drain(a, VDREP_IO_NONE);
	spin_lock_irqsave(&a->lock, flags);
	if (a->phase == phase && a->copy_running && !vdrep_chunkmap_weight(&a->dirty)) {
		a->copy_running = false;
		vdrep_assoc_set_phase_locked(a, VDREP_PH_SPLIT);
		done = true;
	}
	spin_unlock_irqrestore(&a->lock, flags);
	/* Removed after the announcement, so the split comes before the destroy. */
	a->remove_when_done = done && phase != VDREP_PH_RESTORING &&
			      a->copy_type == VDREP_COPY_TYPE_UNSYNC_UNASSOC;
	return true;
}

/*
 * The dirty map is empty and nothing is in flight: end the operation.
 * Returns false if new dirty chunks appeared and copying must go on.
 */
static bool vdrep_copy_finish(struct vdrep_assoc *a)
{
	struct vdrep_volume *vol = a->vol;
	enum vdrep_phase phase = vdrep_assoc_phase(a);
	unsigned long flags;

	if (phase == VDREP_PH_RESTORING || phase == VDREP_PH_FAILING_BACK) {
		/*
		 * The source holds everything: reads may go there again. The
		 * next commit clears REDIRECTED; until then writes still reach
		 * both sides (a clone's copies nothing a crash could redo
		 * wrong: its map 0 drops copied chunks before they are written).
		 */
		vdrep_meta_unredirect(a);
		rcu_assign_pointer(vol->redirect, NULL);
		synchronize_rcu();
		if (vdrep_is_mirror(a) && vdrep_assoc_async(a) && vol->meta) {
			WRITE_ONCE(a->async_after_commit, true);
			spin_lock_irqsave(&a->lock, flags);
			if (a->phase == phase && a->copy_running &&
			    !vdrep_chunkmap_weight(&a->dirty)) {
				a->copy_running = false;
				vdrep_assoc_set_phase_locked(a, VDREP_PH_SYNCHRONIZED);
			}
			spin_unlock_irqrestore(&a->lock, flags);
			return true;
		}
	}
	if (vdrep_is_clone(a))
		return vdrep_clone_finish(a, phase);
	if (vdrep_assoc_async(a)) {
		/* Back to queued writes; any tracked meanwhile are copied first. */
		vdrep_assoc_drain(a, VDREP_IO_ASYNC);
		if (vdrep_chunkmap_weight(&a->dirty)) {
			vdrep_assoc_drain(a, VDREP_IO_TRACK);
			vdrep_async_wait_empty(a);
			a->copy_dir = VDREP_COPY_TO_TARGET;
			return false;
		}
	}

	spin_lock_irqsave(&a->lock, flags);
	/* A write tracked since the check above means: go on copying. */
	if (READ_ONCE(a->io_mode) == VDREP_IO_TRACK && a->phase != VDREP_PH_BROKEN) {
		spin_unlock_irqrestore(&a->lock, flags);
		if (vdrep_assoc_async(a))
			vdrep_async_wait_empty(a);
		return false;
	}
	if (a->phase == phase && a->copy_running && !vdrep_chunkmap_weight(&a->dirty)) {
		a->copy_running = false;
		vdrep_assoc_set_phase_locked(a, VDREP_PH_SYNCHRONIZED);
	}
	spin_unlock_irqrestore(&a->lock, flags);
	return true;
}

/* Announce @a when the PercentSynced of the copy of @left changed. */
void vdrep_copy_announce_progress(struct vdrep_assoc *a, struct vdrep_chunkmap *left)
{
	u32 percent = vdrep_percent_synced(vdrep_chunkmap_weight(left), left->nr_chunks);
	unsigned long flags;
	bool changed;

	spin_lock_irqsave(&a->lock, flags);
	changed = percent != a->last_percent;
	a->last_percent = percent;
	spin_unlock_irqrestore(&a->lock, flags);
	if (changed)
		vdrep_assoc_notify(a, VDREP_CMD_ASSOC_CHANGE_NTF);
}

static bool vdrep_copy_should_run(struct vdrep_assoc *a)
{
	unsigned long flags;
	bool run;

	spin_lock_irqsave(&a->lock, flags);
	run = a->copy_running && vdrep_phase_copying(a->phase) && !a->going;
	spin_unlock_irqrestore(&a->lock, flags);
	return run;
}

void vdrep_copy_work(struct work_struct *work)
{
	struct vdrep_assoc *a = container_of(to_delayed_work(work),
					     struct vdrep_assoc, copy_work);
	struct llist_node *done = llist_del_all(&a->copy_done);
	struct vdrep_copy_job *job, *next;
	unsigned long delay = 0;
	unsigned int allowed, i, tries, run, n;
	bool skipped = false;

	llist_for_each_entry_safe(job, next, done, done)
		vdrep_copy_job_done(job);
	if (done)
		vdrep_copy_announce_progress(a, &a->dirty);

	if (!vdrep_copy_should_run(a)) {
		if (!READ_ONCE(a->copy_jobs_busy))
			vdrep_copy_deactivate(a);
		return;
	}

	if (a->copy_need_prep) {
		/* Older queued async writes must land before chunks are copied. */
		vdrep_assoc_drain(a, VDREP_IO_TRACK);
		vdrep_async_wait_empty(a);
		a->copy_need_prep = false;
	}

	if (!vdrep_chunkmap_weight(&a->dirty)) {
		if (!READ_ONCE(a->copy_jobs_busy)) {
			if (vdrep_copy_finish(a)) {
				vdrep_copy_deactivate(a);
				vdrep_assoc_announce(a);
				if (a->remove_when_done)
					vdrep_assoc_remove_when_done(a);
				return;
			}
			mod_delayed_work(vdrep_wq, &a->copy_work, 0);
		}
		return;
	}

	allowed = vdrep_copy_allowed(a, &delay);
	/* Runs only at full speed: a paced copy keeps to its chunks a second. */
	run = 1;
	if (allowed == VDREP_COPY_JOBS && !READ_ONCE(a->rate_limit)) {
		if (!a->copy_grown)
			vdrep_copy_grow(a);
		run = vdrep_copy_run_chunks(a->vol);
	}
	for (tries = 0; a->copy_jobs_busy < allowed && tries < 2 * VDREP_COPY_JOBS; tries++) {
		u64 chunk = vdrep_chunkmap_next(&a->dirty, a->copy_cursor);

		if (chunk >= a->dirty.nr_chunks) {
			a->copy_cursor = 0;
			chunk = vdrep_chunkmap_next(&a->dirty, 0);
			if (chunk >= a->dirty.nr_chunks)
				break;
		}
		a->copy_cursor = chunk + 1;
		if (vdrep_copy_job_overlaps(a, chunk, chunk))
			continue;
		for (i = 0; i < VDREP_COPY_JOBS; i++)
			if (READ_ONCE(a->jobs[i].chunk) == U64_MAX)
				break;
		if (i == VDREP_COPY_JOBS)
			break;
		job = &a->jobs[i];
		n = vdrep_copy_run(a, chunk, min(run, job->nr_pages /
						       (a->vol->chunk_size >> PAGE_SHIFT)));
		if (!vdrep_copy_try_lock(a, job, chunk, n)) {
			/* A write in flight on a later chunk of the run: the first alone. */
			if (n == 1 || !vdrep_copy_try_lock(a, job, chunk, 1)) {
				skipped = true;
				continue;
			}
			n = 1;
		}
		a->copy_cursor = chunk + n;
		spin_lock_irq(&a->copy_lock);
		a->copy_jobs_busy++;
		spin_unlock_irq(&a->copy_lock);
		a->copy_last_start = jiffies;
		vdrep_copy_submit(job, false);
	}
	/* Chunks with writes in flight, or pacing: look again shortly. */
	if (skipped && !delay)
		delay = 1;
	if (delay)
		mod_delayed_work(vdrep_wq, &a->copy_work, delay);
	else if (!a->copy_jobs_busy)
		mod_delayed_work(vdrep_wq, &a->copy_work, 1);
}

/*
 * Start (or restart) copying @a's dirty chunks in direction @dir. Does not
 * sleep: the write path calls it when an async backlog overflows.
 */
void vdrep_copy_start(struct vdrep_assoc *a, enum vdrep_copy_dir dir)
{
	unsigned long flags;

	spin_lock_irqsave(&a->copy_lock, flags);
	a->copy_dir = dir;
	a->copy_cursor = 0;
	a->copy_running = true;
	a->copy_need_prep = vdrep_assoc_async(a) && dir == VDREP_COPY_TO_TARGET;
	if (!a->copy_active) {
		WRITE_ONCE(a->copy_active, true);
		atomic_inc(&a->vol->copies_active);
	}
	a->copy_window_start = get_jiffies_64();
	a->copy_window_bytes = 0;
	a->copy_began_ns = ktime_get_ns();
	a->copy_ended_ns = 0;
	a->copy_last_write_ns = 0;
	spin_unlock_irqrestore(&a->copy_lock, flags);
	atomic64_set(&a->copied_chunks, 0);
	a->last_percent = U32_MAX;
	mod_delayed_work(vdrep_wq, &a->copy_work, 0);
}

/* Stop the engine and wait until no copy is in flight; may sleep. */
void vdrep_copy_stop(struct vdrep_assoc *a)
{
	unsigned long flags;

	spin_lock_irqsave(&a->copy_lock, flags);
	a->copy_running = false;
	spin_unlock_irqrestore(&a->copy_lock, flags);
	mod_delayed_work(vdrep_wq, &a->copy_work, 0);
	wait_event(a->copy_wait, !READ_ONCE(a->copy_active));
	cancel_delayed_work_sync(&a->copy_work);
}
