/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vdrep: block device replication. Private header shared by the module's
 * files; it owns pr_fmt so every message is prefixed with "vdrep: ".
 *
 * Objects (Documentation/admin-guide/vdrep.rst has the user's view):
 *  - a volume is a bio-based gendisk (/dev/vdrepN) stacked on one source
 *    block device, which it holds open exclusively;
 *  - associations (mirrors, snapshots, clones) hang off a volume, each with
 *    a target block device held exclusively, a chunk bitmap of what differs,
 *    a background copy engine and a target view; snapshots and clones also
 *    preserve old data before the source is overwritten (cow.c).
 *
 * Locking:
 *  - vdrep_volumes_lock (mutex, main.c) serialises the control plane:
 *    creating, destroying, looking up and dumping volumes, and the
 *    vdrep_volumes xarray's membership. The I/O path never takes it.
 *  - disk->open_mutex (block layer) orders opens of a volume against
 *    destroy: destroy sets vol->dying under it, and open refuses a dying
 *    volume, so a volume found unopened stays unopened.
 *  - vol->inflight counts I/O submitted to the source and not yet completed;
 *    destroy waits for it to drain before releasing the source.
 *  - vdrep_volumes_lock also serialises every association operation and
 *    the membership of vol->assocs[]; the I/O path reads vol->assocs[] and
 *    vol->redirect under RCU and pins what it uses with assoc io_refs.
 *  - assoc->lock (irq-safe spinlock) guards the association's phase and
 *    everything reported with it; completions take it to record faults.
 *  - assoc->io_refs[2] count bios that use the association, split by
 *    assoc->io_gen: an operation that changes how writes treat the target
 *    flips io_gen, waits an RCU grace period, and drains the old counter,
 *    so it knows no write of the old kind is still in flight
 *    (vdrep_assoc_drain(), serialised by assoc->drain_mutex).
 *  - assoc->copy_lock guards the chunks being copied and the writes parked
 *    behind them; with vol->write_buckets it keeps background copies and
 *    foreground writes of one chunk apart (DESIGN.md invariant 4, copy.c).
 *  - assoc->async_lock guards the asynchronous mirror's queue (mirror.c).
 *  - vol->io_refs[2], split by vol->io_gen, count every bio of the
 *    association path (reads too); vdrep_volume_drain() waits for those
 *    that started before it, so a new snapshot or clone knows no write that
 *    missed it is still in flight (its point in time).
 *  - vol->cow_lock (irq-safe spinlock) guards vol->cow_busy[], the chunks
 *    being preserved or restored; whoever holds a chunk there is the only
 *    one changing any association's map bits for it (cow.c).
 *  - assoc->view_buckets count view reads in flight to the source per
 *    chunk hash, so a preserve waits for them before the source changes.
 *  - With a metadata device, meta.c's io_mutex serialises its writes and
 *    every change of assoc->meta_bits; the write path tests meta_bits
 *    without a lock and parks writes whose bits are missing (meta.c).
 */
#ifndef VDREP_H
#define VDREP_H

#undef pr_fmt
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/completion.h>
#include <linux/llist.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/mempool.h>
#include <linux/mutex.h>
#include <linux/percpu-refcount.h>
#include <linux/xarray.h>
#include <net/genetlink.h>

#include "chunkmap.h"
#include "compat.h"
#include "state.h"
#include "../uapi/linux/vdrep.h"

/* Most volumes at once; ids (the N of /dev/vdrepN) are below this. */
#define VDREP_MAX_VOLUMES	1024

/*
 * Foreground writes in flight are counted per hash bucket of their chunks,
 * so a background copy can tell that a chunk has no write in flight.
 */
#define VDREP_WRITE_BUCKETS	64
/* Chunk copies in flight per association. */
#define VDREP_COPY_JOBS		8
/* A job at full speed copies adjacent dirty chunks up to this many bytes at once. */
#define VDREP_COPY_RUN_BYTES	(256 * 1024)
/* Copy-on-write's chunk buffers: all it uses, so it never allocates and always progresses. */
#define VDREP_COW_BUFFERS	4
#define VDREP_COW_HASH		64

struct vdrep_assoc;
struct vdrep_meta;
struct vdrep_store;

/*
 * A write waiting for its chunks' bits to reach the metadata device
 * (meta.c): chunks @first..@last, for the associations in @assocs (ids);
 * @resume sends it on once they are there (process context).
 */
struct vdrep_meta_wait {
	struct llist_node node;
	u64 first, last;
	u16 assocs;
	void (*resume)(struct vdrep_meta_wait *w);
};

struct vdrep_volume {
	/* Set at creation, constant for the volume's life. */
	int id;
	char name[VDREP_NAME_MAX_LEN + 1];
	char *source_path;		/* as given by the creator */
	struct vdrep_bdev source;	/* held exclusively, holder = volume */
	u32 chunk_size;			/* bytes, power of two */
	struct gendisk *disk;
	struct bio_set bioset;		/* clones with a struct vdrep_io front */
	struct vdrep_meta *meta;	/* metadata device (meta.c), NULL: transient */

	/* Under disk->open_mutex. */
	bool dying;

	/* I/O submitted to the source and not yet completed. */
	struct percpu_ref inflight;
	struct completion drained;	/* inflight reached zero after kill */

	/* log2 of the chunk size in sectors */
	unsigned int chunk_shift;
	u64 nr_chunks;

	/* Associations by id (M of /dev/vdrepNaM); see Locking. */
	struct vdrep_assoc __rcu *assocs[VDREP_MAX_ASSOCS];
	/*
	 * The same, but kept until the association's last bio completed, so
	 * completions find what they hold references on.
	 */
	struct vdrep_assoc *slots[VDREP_MAX_ASSOCS];
	/*
	 * Plain-remap bios in flight, per CPU, so that adding the first
	 * association can wait for those that bypassed it.
	 */
	long __percpu *plain_refs;
	unsigned int nr_assocs;		/* read locklessly by the I/O path */
	/* The association whose target serves volume reads (failover, restore). */
	struct vdrep_assoc __rcu *redirect;
	atomic_t write_buckets[VDREP_WRITE_BUCKETS];
	atomic_t copies_active;		/* associations whose copy engine runs */
	struct bio_set target_bioset;	/* clones to targets, copy bios */
	unsigned long last_io;		/* jiffies of the last foreground bio */

	/* Source reads that failed, retried on a mirror (mirror.c). */
	struct llist_head read_retries;
	struct work_struct read_retry_work;

	/* Bios of the association path in flight, by generation; see Locking. */
	unsigned int io_gen;
	atomic_t io_refs[2];
	wait_queue_head_t io_wait;

	/* Copy-on-write (cow.c). */
	spinlock_t cow_lock;
	struct hlist_head cow_busy[VDREP_COW_HASH];
	wait_queue_head_t cow_wait;
	mempool_t *cow_buffers;		/* chunk-sized page arrays */
	atomic64_t old_data_reads;
};

enum vdrep_io_mode {
	VDREP_IO_NONE,		/* writes leave the target alone (clones: mark changed) */
	VDREP_IO_COW,		/* writes first preserve the chunks the target needs */
	VDREP_IO_TRACK,		/* writes mark chunks dirty, target untouched */
	VDREP_IO_SYNC,		/* writes cloned to the target, waited for */
	VDREP_IO_ASYNC,		/* writes copied and queued to the target */
	VDREP_IO_REVERSE,	/* failed over: the target replaces the source */
};

enum vdrep_copy_dir {
	VDREP_COPY_TO_TARGET,
	VDREP_COPY_TO_SOURCE,
};

/*
 * One copy of the background engine (copy.c): @nr_chunks adjacent chunks
 * from @chunk, read into @pages and written out. Its fields change only in
 * the association's copy work; @chunk and @nr_chunks under copy_lock too.
 */
struct vdrep_copy_job {
	struct vdrep_assoc *assoc;
	u64 chunk;			/* the first, U64_MAX while unused */
	unsigned int nr_chunks;
	struct bio *bio;		/* in flight, over @pages */
	/*
	 * One chunk's pages always; up to VDREP_COPY_RUN_BYTES' worth while a
	 * copy runs at full speed (allocated for it, freed when it ends).
	 */
	struct page **pages;
	unsigned int nr_pages;		/* allocated */
	unsigned int max_pages;		/* entries of @pages */
	bool writing;
	struct llist_node done;
};

struct vdrep_assoc {
	/* Set at creation, constant. */
	struct vdrep_volume *vol;
	u32 id;
	char name[VDREP_NAME_MAX_LEN + 1];
	char *target_path;
	struct vdrep_bdev target;	/* held exclusively, holder = assoc */
	u32 sync_type;
	u32 sync_mode;			/* mirrors */
	u32 copy_type;			/* clones: unsync-assoc or unsync-unassoc */

	/* Under assoc->lock. */
	spinlock_t lock;
	enum vdrep_phase phase;
	enum vdrep_phase prev_phase;	/* for transient phases' reports */
	u32 requested;			/* RequestedCopyState */
	u64 sync_time;			/* ns since the epoch, 0 = never */
	u32 copy_priority;
	u64 rate_limit;			/* bytes/s, 0 = none */
	u64 backlog_limit;		/* async: bytes */
	bool view_writable;
	u32 last_percent;		/* last PercentSynced announced */

	/* How volume writes treat the target; READ_ONCE in the I/O path. */
	enum vdrep_io_mode io_mode;
	unsigned int io_gen;
	atomic_t io_refs[2];
	wait_queue_head_t io_wait;
	struct mutex drain_mutex;	/* one vdrep_assoc_drain() at a time */

	/* Chunks that differ between source and target. */
	struct vdrep_chunkmap dirty;
	/*
	 * Asynchronous mirror: chunks written to the source whose copy is still
	 * queued or in flight to the target; cleared when the queue empties.
	 */
	struct vdrep_chunkmap async_dirty;
	/*
	 * Snapshot: dirty holds the chunks preserved in the store (the source
	 * differs there from the point in time); restore the chunks a restore
	 * has still to copy back. Clone: dirty holds the chunks not yet on the
	 * target; changed those written (on either side) since the point in
	 * time, which the next resync copies.
	 */
	struct vdrep_chunkmap changed;
	struct vdrep_chunkmap restore;
	/*
	 * With a metadata device: its two maps as the device holds them
	 * (durably), and the chunks written since the last lazy clear
	 * (mirrors); changed under meta's io_mutex, read locklessly by the
	 * write path (meta.c).
	 */
	struct vdrep_chunkmap meta_bits[2];
	struct vdrep_chunkmap meta_recent;
	bool meta_fresh;		/* its maps on the device are stale: rewrite all */
	/*
	 * Under lock: its record says the volume's I/O goes through it
	 * (REDIRECTED); set before vol->redirect points here, cleared before
	 * it stops doing so (meta.c, vdrep_meta_redirect()).
	 */
	bool meta_redirect;
	/*
	 * Asynchronous mirror whose failback or restore ended: its writes stay
	 * synchronous until a commit has cleared REDIRECTED (vdrep_meta_commit()),
	 * so a crash before it finds both sides equal.
	 */
	bool async_after_commit;

	/*
	 * Snapshot store: chunk -> the store's chunk holding its data (a data
	 * slot); header and map come first on the device (store.c).
	 */
	struct xarray store_map;
	u64 store_first;		/* constant: the store's chunk of slot 0 */
	u64 store_slots;		/* constant: data slots */
	u64 store_next;			/* under assoc->lock: next chunk handed out */
	struct vdrep_store *store;	/* header and map on the device (store.c) */
	atomic64_t old_data_reads;
	/* View reads in flight to the source, per chunk hash. */
	atomic_t view_buckets[VDREP_WRITE_BUCKETS];
	wait_queue_head_t view_wait;
	struct work_struct restore_work;	/* snapshot restore (cow.c) */
	enum vdrep_phase resume_phase;		/* clone: where resume goes back to */
	bool remove_when_done;		/* copy work: unsync-unassoc clone complete */

	/* Counters reported as vendor attributes. */
	atomic64_t copied_chunks;
	atomic64_t source_read_errors;
	atomic64_t source_write_errors;
	atomic64_t target_read_errors;
	atomic64_t target_write_errors;

	/* Background copy engine (copy.c). */
	spinlock_t copy_lock;
	enum vdrep_copy_dir copy_dir;
	bool copy_running;		/* engine may start copies */
	bool copy_active;		/* counted in vol->copies_active */
	bool copy_need_prep;		/* async: drain the queue before copying */
	unsigned long copy_last_start;	/* jiffies, for the Low priority pace */
	u64 copy_cursor;
	unsigned int copy_jobs_busy;
	bool copy_grown;		/* jobs hold pages for runs of chunks */
	struct vdrep_copy_job jobs[VDREP_COPY_JOBS];
	struct bio_list parked;		/* writes waiting for a copy */
	struct llist_head copy_done;
	struct delayed_work copy_work;
	wait_queue_head_t copy_wait;
	u64 copy_window_start;		/* jiffies64, rate accounting */
	u64 copy_window_bytes;
	u64 copy_rate;			/* bytes/s over the last window */
	/*
	 * ktime_get_ns() at the start and end (0: running) of the copy
	 * copied_chunks counts; its end is its last write, if it wrote.
	 */
	u64 copy_began_ns;
	u64 copy_ended_ns;
	u64 copy_last_write_ns;		/* set by the copy work, reset at a start */

	/* Asynchronous mirror queue (mirror.c). */
	spinlock_t async_lock;
	struct list_head async_queue;
	u64 bytes_behind;		/* queued or in flight to the target */
	atomic_t async_inflight;
	atomic_t async_buckets[VDREP_WRITE_BUCKETS];
	wait_queue_head_t async_wait;
	struct work_struct async_work;

	/* Announcements from contexts that cannot send them (completions). */
	struct work_struct event_work;
	bool going;			/* being removed: no more work queued */

	/*
	 * The target view, while the phase has one: changed under
	 * vdrep_volumes_lock and a->lock, so either one is enough to read it.
	 */
	struct gendisk *view;
	bool view_dying;		/* under view->open_mutex */
};

/*
 * Per-I/O context, in the front pad of the clone sent to the source (one
 * bioset allocation gives both; container_of() gets it back).
 */
struct vdrep_io {
	struct vdrep_volume *vol;
	struct bio *orig;		/* the bio submitted to the volume */
	unsigned long start_time;	/* for I/O accounting */
	/* Below: only with associations (mirror.c). */
	atomic_t remaining;		/* clones not yet completed, +1 while submitting */
	blk_status_t status;		/* of the source (or redirected) clone */
	u16 refs;			/* assoc ids holding an io_ref */
	u16 gens;			/* ... and which io_refs[] counter */
	bool buckets;			/* holds vol->write_buckets */
	u8 vol_gen;			/* which vol->io_refs[] it holds */
	bool meta_done;			/* its write intent is on the metadata device */
	u64 first_chunk, last_chunk;
	struct work_struct cow_work;	/* preserving chunks first (cow.c) */
	struct vdrep_meta_wait meta_wait;
	struct bio clone;		/* must be last */
};

/* A clone sent to a target for a volume bio, or a view bio's clone. */
struct vdrep_target_io {
	struct vdrep_assoc *assoc;
	struct vdrep_io *parent;	/* NULL for view I/O */
	struct bio *orig;		/* view I/O: the view bio */
	u64 chunk;			/* view I/O: its chunk */
	bool view_bucket;		/* view read of the source, counted */
	struct work_struct work;	/* view write preserving its chunk */
	struct vdrep_meta_wait meta_wait;	/* view write waiting for its intent */
	struct bio clone;		/* must be last */
};

/*
 * NL_SET_ERR_MSG() wants a literal; this takes a message chosen at run time,
 * which must still be a static string (the ack is built after we return).
 */
static inline void vdrep_extack(struct netlink_ext_ack *extack,
				const struct nlattr *attr, const char *msg)
{
	if (!extack)
		return;
	extack->_msg = msg;
	if (attr)
		extack->bad_attr = attr;
}

/* main.c: the registry of volumes */
extern struct mutex vdrep_volumes_lock;
extern struct xarray vdrep_volumes;
struct vdrep_volume *vdrep_volume_find(const char *name);

/* volume.c: volume lifetime; callers hold vdrep_volumes_lock */
struct vdrep_volume *vdrep_volume_create(const char *name, const char *source_path,
					 u32 chunk_size, const char *meta_path,
					 struct netlink_ext_ack *extack);
int vdrep_volume_destroy_check(struct vdrep_volume *vol,
			       struct netlink_ext_ack *extack);
void vdrep_volume_destroy(struct vdrep_volume *vol);
int vdrep_volume_stop_check(struct vdrep_volume *vol, struct netlink_ext_ack *extack);
u64 vdrep_volume_size(const struct vdrep_volume *vol);
unsigned int vdrep_volume_openers(struct vdrep_volume *vol);
extern const struct block_device_operations vdrep_volume_fops;
extern const struct block_device_operations vdrep_view_fops;

/* meta.c: the metadata device; see there for when it is written */
int vdrep_meta_open(struct vdrep_volume *vol, const char *path, u32 *chunk_size,
		    struct netlink_ext_ack *extack);
int vdrep_meta_start(struct vdrep_volume *vol, struct netlink_ext_ack *extack);
void vdrep_meta_assembled(struct vdrep_volume *vol);
void vdrep_meta_stop(struct vdrep_volume *vol);
void vdrep_meta_close(struct vdrep_volume *vol);
void vdrep_meta_commit(struct vdrep_volume *vol);
void vdrep_meta_changed(struct vdrep_volume *vol);
int vdrep_meta_redirect_check(struct vdrep_volume *vol, struct netlink_ext_ack *extack);
int vdrep_meta_redirect(struct vdrep_assoc *a, struct netlink_ext_ack *extack);
void vdrep_meta_unredirect(struct vdrep_assoc *a);
int vdrep_meta_assoc_init(struct vdrep_assoc *a);
void vdrep_meta_assoc_exit(struct vdrep_assoc *a);
bool vdrep_meta_write_ready(struct vdrep_volume *vol, struct vdrep_meta_wait *w);
u32 vdrep_meta_state(const struct vdrep_volume *vol);
const char *vdrep_meta_path(const struct vdrep_volume *vol);
const char *vdrep_meta_check_path(const struct vdrep_volume *vol, const char *path);
const u8 *vdrep_meta_uuid(const struct vdrep_volume *vol);

/* store.c: a snapshot store's header and map on its device */
int vdrep_store_layout(struct vdrep_assoc *a, u64 chunks);
int vdrep_store_init(struct vdrep_assoc *a);
void vdrep_store_exit(struct vdrep_assoc *a);
int vdrep_store_take(struct vdrep_assoc *a);
int vdrep_store_record(struct vdrep_assoc *a, u64 slot, u64 chunk);
int vdrep_store_load(struct vdrep_assoc *a, struct netlink_ext_ack *extack);

/* io.c: the volume's bio path */
int vdrep_io_init(struct vdrep_volume *vol);
void vdrep_io_exit(struct vdrep_volume *vol);
void vdrep_submit_bio(struct bio *bio);
void vdrep_io_drain_plain(struct vdrep_volume *vol);

/*
 * Writes in flight per hash bucket of chunks (vol->write_buckets and the
 * async queue's): a range touches at most every bucket once.
 */
static inline void vdrep_buckets_add(atomic_t *buckets, u64 first, u64 last, int delta)
{
	u64 n = min_t(u64, last - first + 1, VDREP_WRITE_BUCKETS), i;

	for (i = 0; i < n; i++)
		atomic_add(delta, &buckets[(first + i) % VDREP_WRITE_BUCKETS]);
}

static inline bool vdrep_buckets_busy(atomic_t *buckets, u64 first, u64 last)
{
	u64 n = min_t(u64, last - first + 1, VDREP_WRITE_BUCKETS), i;

	for (i = 0; i < n; i++)
		if (atomic_read(&buckets[(first + i) % VDREP_WRITE_BUCKETS]))
			return true;
	return false;
}

/* mirror.c: the volume's bio path with associations */
void vdrep_submit_with_assocs(struct vdrep_volume *vol, struct bio *bio);
void vdrep_io_dispatch_deferred(struct vdrep_io *io);
void vdrep_volume_drain(struct vdrep_volume *vol);
void vdrep_read_retry_work(struct work_struct *work);
void vdrep_async_work(struct work_struct *work);
void vdrep_async_wait_empty(struct vdrep_assoc *a);

/* assoc.c: association lifetime, phases, announcements, views */
struct vdrep_assoc *vdrep_assoc_find(struct vdrep_volume *vol, const char *name);
/* What assoc-create asked for. */
struct vdrep_assoc_params {
	const char *name;
	const char *target_path;
	u32 sync_type, sync_mode, copy_type, copy_priority;
	bool prepare_only, view_writable;
	u64 rate_limit, backlog_limit;
};

struct vdrep_assoc *vdrep_assoc_create(struct vdrep_volume *vol,
				       const struct vdrep_assoc_params *p,
				       struct netlink_ext_ack *extack);
void vdrep_assoc_start(struct vdrep_assoc *a);
struct vdrep_assoc *vdrep_assoc_restore(struct vdrep_volume *vol, u32 id,
					const struct vdrep_assoc_params *p,
					enum vdrep_phase phase, u64 sync_time,
					u64 target_sectors, bool trusted,
					int (*maps)(struct vdrep_assoc *a, void *arg), void *arg,
					struct netlink_ext_ack *extack);
void vdrep_assoc_resume(struct vdrep_assoc *a);
void vdrep_assoc_remove_when_done(struct vdrep_assoc *a);
void vdrep_assoc_destroy(struct vdrep_assoc *a);
void vdrep_assoc_set_phase(struct vdrep_assoc *a, enum vdrep_phase phase);
void vdrep_assoc_set_phase_locked(struct vdrep_assoc *a, enum vdrep_phase phase);
void vdrep_assoc_announce(struct vdrep_assoc *a);
void vdrep_assoc_fault(struct vdrep_assoc *a, atomic64_t *counter);
void vdrep_assoc_break(struct vdrep_assoc *a, const char *why);
enum vdrep_phase vdrep_assoc_phase(struct vdrep_assoc *a);
void vdrep_assoc_drain(struct vdrep_assoc *a, enum vdrep_io_mode mode);
int vdrep_view_create(struct vdrep_assoc *a);
int vdrep_view_remove(struct vdrep_assoc *a, struct netlink_ext_ack *extack);
int vdrep_view_block(struct vdrep_assoc *a, bool block);
void vdrep_view_set_writable(struct vdrep_assoc *a);
void vdrep_view_name(struct vdrep_assoc *a, char name[DISK_NAME_LEN]);
u64 vdrep_assoc_bytes_behind(struct vdrep_assoc *a);

static inline bool vdrep_assoc_async(const struct vdrep_assoc *a)
{
	return a->sync_mode == VDREP_SYNC_MODE_ASYNCHRONOUS;
}

static inline bool vdrep_is_mirror(const struct vdrep_assoc *a)
{
	return a->sync_type == VDREP_SYNC_TYPE_MIRROR;
}

static inline bool vdrep_is_snapshot(const struct vdrep_assoc *a)
{
	return a->sync_type == VDREP_SYNC_TYPE_SNAPSHOT;
}

static inline bool vdrep_is_clone(const struct vdrep_assoc *a)
{
	return a->sync_type == VDREP_SYNC_TYPE_CLONE;
}

/* Sectors of the volume's chunk @chunk on the source (and a clone). */
static inline sector_t vdrep_chunk_sector(const struct vdrep_volume *vol, u64 chunk)
{
	return chunk << vol->chunk_shift;
}

/* cow.c: copy-on-write for snapshots and clones */
int vdrep_cow_init(struct vdrep_volume *vol);
void vdrep_cow_exit(struct vdrep_volume *vol);
bool vdrep_cow_needed(struct vdrep_volume *vol, struct vdrep_assoc **assocs,
		      const enum vdrep_io_mode *modes, unsigned int n,
		      struct vdrep_assoc *redirect, bool write, u64 first, u64 last);
void vdrep_cow_work(struct work_struct *work);
blk_status_t vdrep_cow_view_write_prepare(struct vdrep_assoc *a, u64 chunk, bool full);
void vdrep_cow_view_wait(struct vdrep_assoc *a, u64 chunk);
bool vdrep_snapshot_slot(struct vdrep_assoc *a, u64 chunk, sector_t *sector);
void vdrep_snapshot_reset(struct vdrep_assoc *a);
u64 vdrep_snapshot_store_used(struct vdrep_assoc *a);
void vdrep_snapshot_restore_work(struct work_struct *work);
void vdrep_source_rewritten(struct vdrep_volume *vol, struct vdrep_assoc *except,
			    u64 chunk);

/* copy.c: the background copy engine */
int vdrep_copy_init(struct vdrep_assoc *a);
void vdrep_copy_exit(struct vdrep_assoc *a);
void vdrep_copy_start(struct vdrep_assoc *a, enum vdrep_copy_dir dir);
void vdrep_copy_stop(struct vdrep_assoc *a);
void vdrep_copy_work(struct work_struct *work);
bool vdrep_copy_conflict(struct vdrep_volume *vol, u64 first, u64 last,
			 struct bio *bio);
void vdrep_copy_pace_start(struct vdrep_assoc *a);
void vdrep_copy_pace(struct vdrep_assoc *a);
void vdrep_copy_paced(struct vdrep_assoc *a);
void vdrep_copy_pace_end(struct vdrep_assoc *a);
u64 vdrep_copy_elapsed_ns(struct vdrep_assoc *a);
void vdrep_copy_announce_progress(struct vdrep_assoc *a, struct vdrep_chunkmap *left);

/* operation.c: operations on associations */
int vdrep_assoc_operate(struct vdrep_assoc *a, u32 op, struct netlink_ext_ack *extack);

/* netlink.c: the generic netlink family */
int vdrep_netlink_init(void);
void vdrep_netlink_exit(void);
void vdrep_assoc_notify(struct vdrep_assoc *a, u8 cmd);
void vdrep_volume_announce(struct vdrep_volume *vol);
int vdrep_assoc_detach(struct vdrep_assoc *a, struct netlink_ext_ack *extack);

extern struct workqueue_struct *vdrep_wq;
extern struct workqueue_struct *vdrep_io_wq;	/* per CPU: copy-on-write of a bio */

#endif /* VDREP_H */
