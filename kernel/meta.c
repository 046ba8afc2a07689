// SPDX-License-Identifier: GPL-2.0
/*
 * The metadata device: a volume's state on disk, in the format of
 * uapi/linux/vdrep_meta.h (Documentation/admin-guide/metadata-format.rst).
 *
 * A volume created with a metadata device formats it and then commits its
 * state there: each association's two maps, then the superblock copy
 * (generation % 2) holding the volume and one record per association,
 * written with a preflush and FUA so the maps it describes are on stable
 * storage before it. A torn superblock write leaves the other copy, one
 * generation older, for a reader.
 *
 * Write intent: the maps on the device stay ahead of the data. Before a
 * volume write (or a view write) is issued, the bits that cover it are on
 * the device: for every mirror, map 0 set for its chunks (a write in
 * flight may leave source and target different); for every clone, map 1
 * (changed) set, and map 0 (not yet copied) clear for chunks it already
 * holds, once its target was flushed (so a crash never makes a copied
 * chunk look uncopied and copied again from newer source data). A write
 * whose bits are there already goes on at once, testing
 * assoc->meta_bits, the device's maps as last written, without a lock;
 * the others wait in meta->waiting for intent_work, which writes the map
 * blocks they need (FUA, grouped: every write waiting shares them) and
 * sends them on. Mirror bits of chunks that are equal again are cleared
 * lazily by clear_work: a bit written to in the last period is kept
 * (meta_recent), the others are cleared in memory first, then kept if a
 * write to the chunk is in flight (vol->write_buckets) or it differs, and
 * the rest written out after a flush of the source and the target, so
 * their data is on stable storage before their bits go. Commits write only
 * the map blocks that differ from what the device holds.
 *
 * Commits happen at control operations (association create, destroy,
 * operations and settings: before the reply), after the state changes the
 * copy engine and completions announce (coalesced by commit_work, at most
 * one a second), and when the volume stops: the last commit, marked clean,
 * at volume destroy (no association left), and at volume stop and module
 * unload (before the associations are torn down, so their records and maps
 * stay); a clean commit's maps are exact (no write intents).
 *
 * A volume created on a device that already holds vdrep metadata is
 * assembled from it: the superblock is checked against the volume asked
 * for (name, source, chunk size), each record brings its association back
 * (vdrep_assoc_restore()), and only when all of them are back is anything
 * written: a commit that is not clean, before the volume accepts a write.
 * A refusal writes nothing. The maps are trusted after a clean stop, and
 * after any end when the superblock says its writer kept write intents.
 *
 * A failed metadata write stops all metadata writes (read-only); the
 * device is then told not to trust its maps (a superblock without the
 * write-intent flag), and if even that fails the metadata is failed. Each
 * step is announced; the volume goes on serving with its maps in memory.
 *
 * Locking: commits are serialised by vdrep_volumes_lock, which also keeps
 * vol->assocs[] still while a commit reads it; commit_work and clear_work
 * only ever trylock it, since volume destroy cancels them holding it.
 * meta->io_mutex serialises every metadata write (commits, intent_work,
 * clear_work): it guards assoc->meta_bits changes, meta->out, meta->sb and
 * meta->state changes; the write path only reads meta_bits and state.
 * meta->live changes only under vdrep_volumes_lock.
 */
#include <linux/crc32c.h>
#include <linux/gfp.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>

#include "vdrep.h"
#include "validate.h"
#include "../uapi/linux/vdrep_meta.h"

/* Changes announced within this delay share one commit. */
#define VDREP_META_COMMIT_DELAY	HZ
/* Map bytes written per bio: one block. */
#define VDREP_META_BLOCK	VDREP_META_ALIGN
#define VDREP_META_BLOCK_CHUNKS	((u64)VDREP_META_BLOCK * 8)
/* Map blocks written as one group, each with its buffer. */
#define VDREP_META_OUT		16

/*
 * Mirror bits of chunks equal again are cleared at this pace (a bit lives
 * one to two periods after its chunk's last write); 0: kept until a clean
 * stop. Read each time a pass is queued.
 */
static unsigned int intent_clear_secs = 5;
static int vdrep_intent_clear_secs_set(const char *val, const struct kernel_param *kp);
static const struct kernel_param_ops vdrep_intent_clear_secs_ops = {
	.set = vdrep_intent_clear_secs_set,
	.get = param_get_uint,
};
module_param_cb(intent_clear_secs, &vdrep_intent_clear_secs_ops, &intent_clear_secs, 0644);
MODULE_PARM_DESC(intent_clear_secs,
		 "seconds between passes clearing a mirror's write intents of chunks equal again (0: never, until a clean stop)");

static_assert(sizeof(struct vdrep_meta_assoc) == 256);
static_assert(sizeof(struct vdrep_meta_sb) == VDREP_META_SB_BYTES);
static_assert(offsetof(struct vdrep_meta_sb, assocs) == 1024);
static_assert(ARRAY_SIZE(((struct vdrep_meta_sb *)0)->assocs) == VDREP_MAX_ASSOCS);
static_assert(VDREP_META_BLOCK <= PAGE_SIZE);
static_assert(ARRAY_SIZE(((struct vdrep_assoc *)0)->meta_bits) == VDREP_META_MAPS);

/* A map block on its way to the device. */
struct vdrep_meta_out {
	struct vdrep_assoc *a;
	u32 map;
	u64 blk;
	bool clears;		/* the device holds bits this image drops */
	u8 *image;		/* VDREP_META_BLOCK bytes */
};

struct vdrep_meta {
	struct vdrep_volume *vol;
	struct vdrep_bdev dev;		/* held exclusively, holder = the volume */
	char *path;			/* as given by the creator */
	u32 state;			/* enum vdrep_meta_state */
	u64 generation;			/* of the last commit */
	u8 uuid[16];
	u64 format_time;		/* ns since the epoch */
	u64 map_bytes;			/* of one map */
	struct vdrep_meta_sb *sb;	/* the copy being written (pages, for bios) */
	u8 *scratch;			/* a map block, read or compared */
	struct vdrep_meta_sb *found;	/* the superblock to assemble from, or NULL */
	bool clean;			/* ... its last commit was a clean stop */
	bool trusted;			/* ... its maps cover every write */
	bool live;			/* the volume is visible: commits go on */
	bool closing;			/* commit_work does nothing more */
	unsigned long announce;		/* bit 0: state changed outside a commit */
	struct delayed_work commit_work;

	struct mutex io_mutex;		/* see Locking */
	struct vdrep_meta_out out[VDREP_META_OUT];
	unsigned int nr_out;
	struct llist_head waiting;	/* struct vdrep_meta_wait */
	struct work_struct intent_work;
	struct delayed_work clear_work;
};

/* Queue the next clear pass, unless passes are off or the volume stops. */
static void vdrep_meta_clear_later(struct vdrep_meta *meta)
{
	unsigned int secs = READ_ONCE(intent_clear_secs);

	if (secs && !READ_ONCE(meta->closing))
		queue_delayed_work(vdrep_wq, &meta->clear_work,
				   min_t(unsigned long, secs, 3600) * HZ);
}

/* A new pace applies at once: every volume's next pass is due after it. */
static int vdrep_intent_clear_secs_set(const char *val, const struct kernel_param *kp)
{
	struct vdrep_volume *vol;
	unsigned long id;
	unsigned int secs;
	int err;

	err = param_set_uint(val, kp);
	if (err)
		return err;
	secs = READ_ONCE(intent_clear_secs);
	mutex_lock(&vdrep_volumes_lock);
	xa_for_each(&vdrep_volumes, id, vol) {
		struct vdrep_meta *meta = vol->meta;

		if (!meta || READ_ONCE(meta->closing))
			continue;
		if (secs)
			mod_delayed_work(vdrep_wq, &meta->clear_work,
					 min_t(unsigned long, secs, 3600) * HZ);
		else
			cancel_delayed_work(&meta->clear_work);
	}
	mutex_unlock(&vdrep_volumes_lock);
	return 0;
}

/* Synchronous I/O of @len bytes at byte @pos of the device; @buf is page memory. */
static int vdrep_meta_io(struct vdrep_meta *meta, blk_opf_t opf, u64 pos,
			 void *buf, size_t len)
{
	struct bio *bio;
	size_t off;
	int err;

	bio = bio_alloc(meta->dev.bdev, DIV_ROUND_UP(len, PAGE_SIZE), opf, GFP_NOIO);
	bio->bi_iter.bi_sector = pos >> SECTOR_SHIFT;
	for (off = 0; off < len; off += PAGE_SIZE)
		__bio_add_page(bio, virt_to_page(buf + off),
			       min_t(size_t, len - off, PAGE_SIZE), 0);
	err = submit_bio_wait(bio);
	bio_put(bio);
	return err;
}

static u64 vdrep_meta_map_pos(struct vdrep_meta *meta, u32 slot, u32 map)
{
	return VDREP_META_BITMAP_OFFSET +
	       ((u64)slot * VDREP_META_MAPS + map) * meta->map_bytes;
}

/* OR block @blk of @bits into @image. */
static void vdrep_meta_or(struct vdrep_meta *meta, u8 *image,
			  const struct vdrep_chunkmap *bits, u64 blk)
{
	size_t i;

	vdrep_chunkmap_to_le(bits, blk * VDREP_META_BLOCK_CHUNKS, meta->scratch,
			     VDREP_META_BLOCK);
	for (i = 0; i < VDREP_META_BLOCK; i++)
		image[i] |= meta->scratch[i];
}

/*
 * What block @blk of map @map of @a is to hold: the bits the association
 * keeps in memory (map 0: what differs; map 1: a clone's changed chunks, a
 * snapshot's chunks to restore), and with @keep the bits the device holds
 * too (write intents).
 */
static void vdrep_meta_image(struct vdrep_meta *meta, struct vdrep_assoc *a, u32 map,
			     u64 blk, bool keep, u8 *image)
{
	memset(image, 0, VDREP_META_BLOCK);
	if (map == VDREP_META_MAP_DIFFER) {
		vdrep_meta_or(meta, image, &a->dirty, blk);
		/* An asynchronous mirror's queued chunks differ too. */
		if (vdrep_is_mirror(a))
			vdrep_meta_or(meta, image, &a->async_dirty, blk);
	} else if (vdrep_is_clone(a)) {
		vdrep_meta_or(meta, image, &a->changed, blk);
	} else if (vdrep_is_snapshot(a)) {
		vdrep_meta_or(meta, image, &a->restore, blk);
	}
	if (keep)
		vdrep_meta_or(meta, image, &a->meta_bits[map], blk);
}

/* Set in @image the chunks of block @blk that @w writes. */
static void vdrep_meta_image_add(u8 *image, u64 blk, const struct vdrep_meta_wait *w)
{
	u64 first = blk * VDREP_META_BLOCK_CHUNKS, c;

	for (c = max(first, w->first); c <= w->last && c < first + VDREP_META_BLOCK_CHUNKS; c++)
		image[(c - first) / 8] |= 1U << ((c - first) % 8);
}

/* Flush @bdev; false (logged) if it failed. */
static bool vdrep_meta_flush_data(struct vdrep_assoc *a, struct block_device *bdev)
{
	if (!blkdev_issue_flush(bdev))
		return true;
	pr_warn_ratelimited("%s: association %s: flush of %pg failed: its map bits stay\n",
			    a->vol->disk->disk_name, a->name, bdev);
	return false;
}

/*
 * What a block dropping bits waits for: the target's data (a mirror's
 * source too), or, for a snapshot's restore map, the source holding the
 * restored chunks.
 */
static bool vdrep_meta_clear_needs_target(const struct vdrep_meta_out *o)
{
	return !(vdrep_is_snapshot(o->a) && o->map == VDREP_META_MAP_SECOND);
}

/*
 * Write the queued map blocks (FUA) and make meta_bits say so. Blocks that
 * drop bits wait for their data: a's target (and a mirror's source; the
 * source alone for a snapshot's restore map) flushed first; if that fails,
 * they are not written (the device keeps the bits, which is safe). Caller
 * holds io_mutex.
 */
static int vdrep_meta_out_write(struct vdrep_meta *meta)
{
	struct vdrep_volume *vol = meta->vol;
	bool source_flushed = false, source_ok = true;
	unsigned int i, j;
	int err = 0;

	for (i = 0; i < meta->nr_out; i++) {
		struct vdrep_meta_out *o = &meta->out[i];
		bool done = false, ok = true;

		if (!o->a || !o->clears)
			continue;
		/* One flush per device. */
		for (j = 0; j < i; j++)
			if (meta->out[j].clears && meta->out[j].a == o->a &&
			    vdrep_meta_clear_needs_target(&meta->out[j]))
				done = true;
		if (vdrep_meta_clear_needs_target(o) && !done &&
		    !vdrep_meta_flush_data(o->a, o->a->target.bdev)) {
			ok = false;
			vdrep_assoc_fault(o->a, &o->a->target_write_errors);
		}
		if (vdrep_is_mirror(o->a) || !vdrep_meta_clear_needs_target(o)) {
			if (!source_flushed) {
				source_ok = vdrep_meta_flush_data(o->a, vol->source.bdev);
				source_flushed = true;
			}
			ok = ok && source_ok;
		}
		if (!ok) {
			for (j = i; j < meta->nr_out; j++)
				if (meta->out[j].a == o->a && meta->out[j].clears)
					meta->out[j].a = NULL;
		}
	}
	for (i = 0; i < meta->nr_out && !err; i++) {
		struct vdrep_meta_out *o = &meta->out[i];

		if (!o->a)
			continue;
		err = vdrep_meta_io(meta, REQ_OP_WRITE | REQ_META | REQ_SYNC | REQ_FUA,
				    vdrep_meta_map_pos(meta, o->a->id, o->map) +
				    o->blk * VDREP_META_BLOCK, o->image, VDREP_META_BLOCK);
		if (!err)
			vdrep_chunkmap_assign_le(&o->a->meta_bits[o->map],
						 o->blk * VDREP_META_BLOCK_CHUNKS, o->image,
						 VDREP_META_BLOCK);
	}
	meta->nr_out = 0;
	return err;
}

/*
 * Queue block @blk of map @map of @a for writing, as vdrep_meta_image()
 * makes it (with the chunks the writes of @batch, if any, are waiting
 * for), unless the device holds just that and @force is false; the image
 * is taken now, before any flush. @clears: it drops bits the device holds,
 * whatever meta_bits says (a clear pass changed them first). Writes the
 * group when it is full.
 */
static int vdrep_meta_out_add(struct vdrep_meta *meta, struct vdrep_assoc *a, u32 map,
			      u64 blk, bool keep, bool force, bool clears,
			      struct llist_node *batch)
{
	struct vdrep_meta_out *o = &meta->out[meta->nr_out];
	struct vdrep_meta_wait *w;
	bool same = true;
	size_t i;

	o->a = a;
	o->map = map;
	o->blk = blk;
	vdrep_meta_image(meta, a, map, blk, keep, o->image);
	/* Intents only go where the device's bits are kept: never a clone's map 0. */
	if (keep)
		llist_for_each_entry(w, batch, node)
			if (w->assocs & BIT(a->id))
				vdrep_meta_image_add(o->image, blk, w);
	/* What the device holds, in scratch. */
	vdrep_chunkmap_to_le(&a->meta_bits[map], blk * VDREP_META_BLOCK_CHUNKS,
			     meta->scratch, VDREP_META_BLOCK);
	o->clears = clears;
	for (i = 0; i < VDREP_META_BLOCK; i++) {
		if (meta->scratch[i] & ~o->image[i])
			o->clears = true;
		if (meta->scratch[i] != o->image[i])
			same = false;
	}
	/*
	 * Map 0 holds data's state, and a snapshot's map 1 too (restored
	 * chunks); a clone's map 1 drops bits that map 0 now has.
	 */
	if (map != VDREP_META_MAP_DIFFER && !vdrep_is_snapshot(a))
		o->clears = false;
	if (same && !force)
		return 0;
	if (++meta->nr_out < VDREP_META_OUT)
		return 0;
	return vdrep_meta_out_write(meta);
}

static u64 vdrep_meta_blocks(struct vdrep_meta *meta)
{
	return meta->map_bytes / VDREP_META_BLOCK;
}

/*
 * Clear a mirror's map-0 bits of chunks that are equal again, and queue
 * the blocks that changed (their data flushed before they are written). A
 * bit is cleared in memory, then set again if the chunk differs or a write
 * to it is in flight: pairs with the write path, which counts itself in
 * vol->write_buckets (or marks the chunk dirty, through a view) before it
 * tests the bit. With @aged, a bit written to since the last pass is only
 * aged. *@stayed: bits that could go some day stayed.
 */
static int vdrep_meta_clear_mirror(struct vdrep_meta *meta, struct vdrep_assoc *a,
				   bool aged, bool *stayed)
{
	struct vdrep_chunkmap *bits = &a->meta_bits[VDREP_META_MAP_DIFFER];
	struct vdrep_volume *vol = a->vol;
	u64 c, blk = U64_MAX;
	int err;

	for (c = vdrep_chunkmap_next(bits, 0); c < bits->nr_chunks;
	     c = vdrep_chunkmap_next(bits, c + 1)) {
		if (vdrep_chunkmap_test(&a->dirty, c) || vdrep_chunkmap_test(&a->async_dirty, c))
			continue;
		if (aged && vdrep_chunkmap_clear(&a->meta_recent, c)) {
			*stayed = true;
			continue;
		}
		vdrep_chunkmap_clear(bits, c);
		/* Pairs with the write path's barrier between its mark and its test. */
		smp_mb__after_atomic();
		if (vdrep_chunkmap_test(&a->dirty, c) ||
		    vdrep_chunkmap_test(&a->async_dirty, c) ||
		    vdrep_buckets_busy(vol->write_buckets, c, c)) {
			vdrep_chunkmap_set_range(bits, c, c);
			*stayed = true;
			continue;
		}
		if (blk == c / VDREP_META_BLOCK_CHUNKS)
			continue;
		/* Blocks come in order: the previous one is complete. */
		if (blk != U64_MAX) {
			err = vdrep_meta_out_add(meta, a, VDREP_META_MAP_DIFFER, blk, true,
						 true, true, NULL);
			if (err)
				return err;
		}
		blk = c / VDREP_META_BLOCK_CHUNKS;
	}
	if (blk == U64_MAX)
		return 0;
	return vdrep_meta_out_add(meta, a, VDREP_META_MAP_DIFFER, blk, true, true, true, NULL);
}

/*
 * Write every map of @a whose device copy differs from what it is to
 * hold; @clean: exact maps, no write intents. Caller holds io_mutex.
 */
static int vdrep_meta_write_maps(struct vdrep_meta *meta, struct vdrep_assoc *a, bool clean)
{
	bool stayed = false;
	u64 blk;
	u32 m;
	int err;

	/*
	 * A fractured mirror marks every write dirty before its bits are
	 * tested, so its intents can all go now: its map says exactly what
	 * it tracks, the moment it is committed. Others' commits are clear
	 * passes too (unless passes are off), so a copy's bits go with the
	 * commit that records it done.
	 */
	if (!clean && vdrep_is_mirror(a)) {
		bool track = READ_ONCE(a->io_mode) == VDREP_IO_TRACK;

		if (track || READ_ONCE(intent_clear_secs)) {
			err = vdrep_meta_clear_mirror(meta, a, !track, &stayed);
			if (err)
				return err;
		}
	}
	for (m = 0; m < VDREP_META_MAPS; m++) {
		bool keep = !clean && m == VDREP_META_MAP_DIFFER && vdrep_is_mirror(a);

		for (blk = 0; blk < vdrep_meta_blocks(meta); blk++) {
			err = vdrep_meta_out_add(meta, a, m, blk, keep, a->meta_fresh,
						 false, NULL);
			if (err)
				return err;
		}
		/* Map 0 on stable storage before map 1 drops what it took over. */
		err = vdrep_meta_out_write(meta);
		if (err)
			return err;
	}
	a->meta_fresh = false;
	return 0;
}

static void vdrep_meta_fill_record(struct vdrep_meta_assoc *r, struct vdrep_assoc *a)
{
	u32 flags = VDREP_META_ASSOC_IN_USE;
	struct vdrep_report rep;
	unsigned long irqflags;

	strscpy_pad(r->name, a->name, sizeof(r->name));
	strscpy_pad(r->target_path, a->target_path, sizeof(r->target_path));
	r->id = cpu_to_le32(a->id);
	r->sync_type = cpu_to_le32(a->sync_type);
	r->sync_mode = cpu_to_le32(vdrep_is_mirror(a) ? a->sync_mode : 0);
	r->copy_type = cpu_to_le32(a->copy_type);
	r->target_sectors = cpu_to_le64(bdev_nr_sectors(a->target.bdev));
	r->store_slots = cpu_to_le64(a->store_slots);

	spin_lock_irqsave(&a->lock, irqflags);
	vdrep_phase_report(a->sync_type, a->phase, a->prev_phase, &rep);
	r->requested_copy_state = cpu_to_le32(a->requested);
	r->copy_priority = cpu_to_le32(a->copy_priority);
	r->rate_limit = cpu_to_le64(a->rate_limit);
	r->backlog_limit = cpu_to_le64(vdrep_is_mirror(a) && vdrep_assoc_async(a) ?
				       a->backlog_limit : 0);
	r->sync_time = cpu_to_le64(a->sync_time);
	if (a->view_writable)
		flags |= VDREP_META_ASSOC_VIEW_WRITABLE;
	if (a->meta_redirect)
		flags |= VDREP_META_ASSOC_REDIRECTED;
	spin_unlock_irqrestore(&a->lock, irqflags);

	r->copy_state = cpu_to_le32(rep.copy_state);
	r->sync_state = cpu_to_le32(rep.sync_state);
	r->progress_status = cpu_to_le32(rep.progress_status);
	r->flags = cpu_to_le32(flags);
}

static void vdrep_meta_seal_sb(struct vdrep_meta_sb *sb)
{
	sb->csum = cpu_to_le32(crc32c(VDREP_META_CRC_SEED, (u8 *)sb + 4,
				      VDREP_META_SB_BYTES - 4));
}

/* The superblock of the next generation, in meta->sb. */
static void vdrep_meta_fill_sb(struct vdrep_meta *meta, bool clean)
{
	struct vdrep_volume *vol = meta->vol;
	struct vdrep_meta_sb *sb = meta->sb;
	struct vdrep_assoc *a;
	u32 i;

	memset(sb, 0, sizeof(*sb));
	sb->version = cpu_to_le32(VDREP_META_VERSION);
	memcpy(sb->magic, VDREP_META_MAGIC, sizeof(sb->magic));
	memcpy(sb->uuid, meta->uuid, sizeof(sb->uuid));
	sb->generation = cpu_to_le64(meta->generation + 1);
	sb->sb_bytes = cpu_to_le32(VDREP_META_SB_BYTES);
	sb->chunk_size = cpu_to_le32(vol->chunk_size);
	sb->source_sectors = cpu_to_le64(bdev_nr_sectors(vol->source.bdev));
	sb->nr_chunks = cpu_to_le64(vol->nr_chunks);
	sb->bitmap_offset = cpu_to_le64(VDREP_META_BITMAP_OFFSET);
	sb->bitmap_bytes = cpu_to_le64(meta->map_bytes);
	sb->meta_sectors = cpu_to_le64(bdev_nr_sectors(meta->dev.bdev));
	sb->format_time = cpu_to_le64(meta->format_time);
	sb->commit_time = cpu_to_le64(ktime_get_real_ns());
	sb->flags = cpu_to_le32(VDREP_META_SB_WRITE_INTENT |
				(clean ? VDREP_META_SB_CLEAN : 0));
	sb->max_assocs = cpu_to_le32(VDREP_MAX_ASSOCS);
	strscpy_pad(sb->name, vol->name, sizeof(sb->name));
	strscpy_pad(sb->source_path, vol->source_path, sizeof(sb->source_path));
	for (i = 0; i < VDREP_MAX_ASSOCS; i++) {
		a = rcu_dereference_protected(vol->assocs[i],
					      lockdep_is_held(&vdrep_volumes_lock));
		if (a)
			vdrep_meta_fill_record(&sb->assocs[i], a);
	}
	vdrep_meta_seal_sb(sb);
}

static int vdrep_meta_write_sb(struct vdrep_meta *meta)
{
	int err;

	err = vdrep_meta_io(meta, REQ_OP_WRITE | REQ_META | REQ_SYNC | REQ_PREFLUSH |
			    REQ_FUA, ((meta->generation + 1) % 2) * VDREP_META_SB_BYTES,
			    meta->sb, VDREP_META_SB_BYTES);
	if (!err)
		meta->generation++;
	return err;
}

/*
 * A metadata write failed (@err): no more metadata writes. The device is
 * told not to trust its maps, which may miss writes from now on: the last
 * superblock again, one generation on, without the write-intent flag
 * (read-only); if even that fails, the metadata is failed. Caller holds
 * io_mutex; announced by the next commit_work.
 */
static void vdrep_meta_failed(struct vdrep_meta *meta, int err)
{
	struct vdrep_meta_sb *sb = meta->sb;
	int err2;

	if (meta->state != VDREP_META_STATE_WRITABLE)
		return;
	sb->generation = cpu_to_le64(meta->generation + 1);
	sb->commit_time = cpu_to_le64(ktime_get_real_ns());
	sb->flags &= ~cpu_to_le32(VDREP_META_SB_WRITE_INTENT | VDREP_META_SB_CLEAN);
	vdrep_meta_seal_sb(sb);
	err2 = vdrep_meta_write_sb(meta);
	WRITE_ONCE(meta->state, err2 ? VDREP_META_STATE_FAILED : VDREP_META_STATE_READ_ONLY);
	if (err2)
		pr_err("%s: metadata device %s: write failed (%d), and so did marking its maps untrusted (%d): metadata failed; its maps may miss writes from now on (a later assemble would trust them: wipe it)\n",
		       meta->vol->disk->disk_name, meta->path, err, err2);
	else
		pr_err("%s: metadata device %s: write failed (%d): metadata is read-only now, the maps are kept in memory only (a later assemble copies every chunk)\n",
		       meta->vol->disk->disk_name, meta->path, err);
	set_bit(0, &meta->announce);
	queue_delayed_work(vdrep_wq, &meta->commit_work, 0);
}

/*
 * Maps first, then the superblock; caller holds vdrep_volumes_lock and
 * checked that the metadata is writable.
 */
static int vdrep_meta_write(struct vdrep_meta *meta, bool clean)
{
	struct vdrep_volume *vol = meta->vol;
	struct vdrep_assoc *a;
	int err = 0;
	u32 i;

	lockdep_assert_held(&vdrep_volumes_lock);
	mutex_lock(&meta->io_mutex);
	for (i = 0; i < VDREP_MAX_ASSOCS && !err; i++) {
		a = rcu_dereference_protected(vol->assocs[i],
					      lockdep_is_held(&vdrep_volumes_lock));
		if (a)
			err = vdrep_meta_write_maps(meta, a, clean);
	}
	if (!err) {
		vdrep_meta_fill_sb(meta, clean);
		err = vdrep_meta_write_sb(meta);
	}
	if (err && meta->live)
		vdrep_meta_failed(meta, err);
	mutex_unlock(&meta->io_mutex);
	/* Intents left behind go in a while. */
	if (!err && !clean)
		vdrep_meta_clear_later(meta);
	return err;
}

/*
 * A commit cleared REDIRECTED: asynchronous mirrors whose failback or
 * restore ended may queue their writes again.
 */
static void vdrep_meta_async_after_commit(struct vdrep_volume *vol)
{
	struct vdrep_assoc *a;
	unsigned long flags;
	bool go;
	u32 i;

	for (i = 0; i < VDREP_MAX_ASSOCS; i++) {
		a = rcu_dereference_protected(vol->assocs[i],
					      lockdep_is_held(&vdrep_volumes_lock));
		if (!a || !READ_ONCE(a->async_after_commit))
			continue;
		spin_lock_irqsave(&a->lock, flags);
		go = !a->meta_redirect;
		spin_unlock_irqrestore(&a->lock, flags);
		if (!go)
			continue;
		WRITE_ONCE(a->async_after_commit, false);
		if (vdrep_assoc_phase(a) == VDREP_PH_SYNCHRONIZED &&
		    READ_ONCE(a->io_mode) == VDREP_IO_SYNC)
			vdrep_assoc_drain(a, VDREP_IO_ASYNC);
	}
}

/* Commit @vol's state; caller holds vdrep_volumes_lock. */
void vdrep_meta_commit(struct vdrep_volume *vol)
{
	struct vdrep_meta *meta = vol->meta;

	lockdep_assert_held(&vdrep_volumes_lock);
	if (!meta || !meta->live)
		return;
	if (test_and_clear_bit(0, &meta->announce))
		vdrep_volume_announce(vol);
	if (meta->closing || READ_ONCE(meta->state) != VDREP_META_STATE_WRITABLE)
		return;
	if (!vdrep_meta_write(meta, false))
		vdrep_meta_async_after_commit(vol);
	if (test_and_clear_bit(0, &meta->announce))
		vdrep_volume_announce(vol);
}

/* Whether a failover or restore of @vol can be recorded; caller holds vdrep_volumes_lock. */
int vdrep_meta_redirect_check(struct vdrep_volume *vol, struct netlink_ext_ack *extack)
{
	struct vdrep_meta *meta = vol->meta;

	if (meta && (READ_ONCE(meta->state) != VDREP_META_STATE_WRITABLE || meta->closing)) {
		NL_SET_ERR_MSG(extack, "the metadata device is not writable: a failover or restore could not be brought back after a restart");
		return -EROFS;
	}
	return 0;
}

/*
 * Make @a's record say that the volume's I/O goes through it, before it
 * does (failover, restore): a crash from here on brings the volume back
 * served from @a's target. Refused, with nothing changed, when the
 * metadata cannot record it. Caller holds vdrep_volumes_lock.
 */
int vdrep_meta_redirect(struct vdrep_assoc *a, struct netlink_ext_ack *extack)
{
	struct vdrep_meta *meta = a->vol->meta;
	unsigned long flags;
	int err;

	lockdep_assert_held(&vdrep_volumes_lock);
	err = vdrep_meta_redirect_check(a->vol, extack);
	if (err || !meta)
		return err;
	spin_lock_irqsave(&a->lock, flags);
	a->meta_redirect = true;
	spin_unlock_irqrestore(&a->lock, flags);
	err = vdrep_meta_write(meta, false);
	if (err) {
		spin_lock_irqsave(&a->lock, flags);
		a->meta_redirect = false;
		spin_unlock_irqrestore(&a->lock, flags);
		NL_SET_ERR_MSG(extack, "cannot write the metadata device");
	}
	return err;
}

/*
 * @a's I/O no longer goes through its target, or is about to stop (any
 * context): the next commit says so.
 */
void vdrep_meta_unredirect(struct vdrep_assoc *a)
{
	unsigned long flags;

	spin_lock_irqsave(&a->lock, flags);
	a->meta_redirect = false;
	spin_unlock_irqrestore(&a->lock, flags);
	vdrep_meta_changed(a->vol);
}

static void vdrep_meta_commit_work(struct work_struct *work)
{
	struct vdrep_meta *meta = container_of(to_delayed_work(work),
					       struct vdrep_meta, commit_work);

	/* Volume destroy cancels this work holding the lock: never wait for it. */
	if (!mutex_trylock(&vdrep_volumes_lock)) {
		queue_delayed_work(vdrep_wq, &meta->commit_work, HZ / 10);
		return;
	}
	vdrep_meta_commit(meta->vol);
	mutex_unlock(&vdrep_volumes_lock);
}

/*
 * Something to commit changed (any context but hard irq); coalesced. The
 * metadata lives until volume destroy, when no association is left to
 * announce anything.
 */
void vdrep_meta_changed(struct vdrep_volume *vol)
{
	struct vdrep_meta *meta = vol->meta;

	if (meta && !READ_ONCE(meta->closing))
		queue_delayed_work(vdrep_wq, &meta->commit_work, VDREP_META_COMMIT_DELAY);
}

/* ------------------------------------------------------------ write intent */

/* Which maps of @a must be written before a write to chunk @c (bits). */
static u32 vdrep_meta_chunk_needs(struct vdrep_assoc *a, u64 c)
{
	u32 needs = 0;

	if (vdrep_is_mirror(a)) {
		if (!vdrep_chunkmap_test(&a->meta_bits[0], c))
			needs |= BIT(VDREP_META_MAP_DIFFER);
	} else if (vdrep_is_clone(a)) {
		if (!vdrep_chunkmap_test(&a->meta_bits[1], c))
			needs |= BIT(VDREP_META_MAP_SECOND);
		/* Copied already: it must not look uncopied after a crash. */
		if (vdrep_chunkmap_test(&a->meta_bits[0], c) &&
		    !vdrep_chunkmap_test(&a->dirty, c))
			needs |= BIT(VDREP_META_MAP_DIFFER);
	} else if (vdrep_is_snapshot(a)) {
		/* Restored already: a crash must not restore it over this write. */
		if (vdrep_chunkmap_test(&a->meta_bits[1], c) &&
		    !vdrep_chunkmap_test(&a->restore, c))
			needs |= BIT(VDREP_META_MAP_SECOND);
	}
	return needs;
}

/* Whether @w's bits are all on the device (lockless). */
static bool vdrep_meta_covered(struct vdrep_volume *vol, struct vdrep_meta_wait *w)
{
	unsigned long ids = w->assocs;
	unsigned int id;
	u64 c;

	for_each_set_bit(id, &ids, VDREP_MAX_ASSOCS) {
		/* The write holds an io_ref on it: it stays in slots[]. */
		struct vdrep_assoc *a = READ_ONCE(vol->slots[id]);

		if (vdrep_is_mirror(a)) {
			if (!vdrep_chunkmap_all(&a->meta_bits[0], w->first, w->last))
				return false;
			/* Kept one more clear pass. */
			for (c = w->first; c <= w->last; c++)
				if (!vdrep_chunkmap_test(&a->meta_recent, c))
					vdrep_chunkmap_set_range(&a->meta_recent, c, c);
		} else {
			for (c = w->first; c <= w->last; c++)
				if (vdrep_meta_chunk_needs(a, c))
					return false;
		}
	}
	return true;
}

/*
 * Whether a write with data to chunks @w->first..@w->last may be issued
 * now for the associations in @w->assocs; if not, @w waits and its
 * ->resume() is called once the bits are on the device (or the metadata
 * stopped being writable). The caller marked in memory what the write
 * changes (dirty, changed) before: a commit or clear pass sees it.
 */
bool vdrep_meta_write_ready(struct vdrep_volume *vol, struct vdrep_meta_wait *w)
{
	struct vdrep_meta *meta = vol->meta;

	if (!meta || !w->assocs || READ_ONCE(meta->state) != VDREP_META_STATE_WRITABLE)
		return true;
	if (vdrep_meta_covered(vol, w))
		return true;
	llist_add(&w->node, &meta->waiting);
	queue_work(vdrep_wq, &meta->intent_work);
	return false;
}

/* Whether map @m of @a keeps write intents (bits set ahead of writes). */
static bool vdrep_meta_keeps_intents(struct vdrep_assoc *a, u32 m)
{
	if (vdrep_is_clone(a))
		return m != VDREP_META_MAP_DIFFER;
	if (vdrep_is_snapshot(a))
		return m != VDREP_META_MAP_SECOND;
	return true;
}

/* Queue the map blocks of @a that a write to chunk @c waits for. */
static int vdrep_meta_intent_chunk(struct vdrep_meta *meta, struct vdrep_assoc *a, u64 c,
				   struct llist_node *batch)
{
	unsigned long needs = vdrep_meta_chunk_needs(a, c);
	u64 blk = c / VDREP_META_BLOCK_CHUNKS;
	unsigned int i;
	u32 m;
	int err;

	if (vdrep_is_mirror(a))
		vdrep_chunkmap_set_range(&a->meta_recent, c, c);
	for_each_set_bit(m, &needs, VDREP_META_MAPS) {
		bool queued = false;

		for (i = 0; i < meta->nr_out; i++)
			if (meta->out[i].a == a && meta->out[i].map == m && meta->out[i].blk == blk)
				queued = true;
		if (queued)
			continue;
		/* A clone's map 0 and a snapshot's map 1 are exact; the others keep intents. */
		err = vdrep_meta_out_add(meta, a, m, blk, vdrep_meta_keeps_intents(a, m),
					 true, false, batch);
		if (err)
			return err;
	}
	return 0;
}

/* Write the map blocks the waiting writes of @batch need. */
static int vdrep_meta_intent_write(struct vdrep_meta *meta, struct llist_node *batch)
{
	struct vdrep_volume *vol = meta->vol;
	struct vdrep_meta_wait *w;
	unsigned long ids;
	unsigned int id;
	int err;
	u64 c;

	llist_for_each_entry(w, batch, node) {
		ids = w->assocs;
		for_each_set_bit(id, &ids, VDREP_MAX_ASSOCS) {
			/* The write holds an io_ref on it: it stays in slots[]. */
			struct vdrep_assoc *a = READ_ONCE(vol->slots[id]);

			for (c = w->first; c <= w->last && c < vol->nr_chunks; c++) {
				err = vdrep_meta_intent_chunk(meta, a, c, batch);
				if (err)
					return err;
			}
		}
	}
	return vdrep_meta_out_write(meta);
}

static void vdrep_meta_intent_work(struct work_struct *work)
{
	struct vdrep_meta *meta = container_of(work, struct vdrep_meta, intent_work);
	struct vdrep_meta_wait *w, *next;
	struct llist_node *batch;
	int err;

	mutex_lock(&meta->io_mutex);
	batch = llist_reverse_order(llist_del_all(&meta->waiting));
	if (batch && meta->state == VDREP_META_STATE_WRITABLE) {
		err = vdrep_meta_intent_write(meta, batch);
		if (err) {
			meta->nr_out = 0;
			vdrep_meta_failed(meta, err);
		}
	}
	mutex_unlock(&meta->io_mutex);
	vdrep_meta_clear_later(meta);
	llist_for_each_entry_safe(w, next, batch, node)
		w->resume(w);
}

static void vdrep_meta_clear_work(struct work_struct *work)
{
	struct vdrep_meta *meta = container_of(to_delayed_work(work),
					       struct vdrep_meta, clear_work);
	struct vdrep_volume *vol = meta->vol;
	struct vdrep_assoc *a;
	bool again = false;
	int err = 0;
	u32 i;

	/* Volume destroy cancels this work holding the lock: never wait for it. */
	if (!mutex_trylock(&vdrep_volumes_lock)) {
		queue_delayed_work(vdrep_wq, &meta->clear_work, HZ / 10);
		return;
	}
	mutex_lock(&meta->io_mutex);
	for (i = 0; i < VDREP_MAX_ASSOCS && !err && meta->live && !meta->closing &&
	     meta->state == VDREP_META_STATE_WRITABLE; i++) {
		a = rcu_dereference_protected(vol->assocs[i],
					      lockdep_is_held(&vdrep_volumes_lock));
		if (!a || !vdrep_is_mirror(a))
			continue;
		err = vdrep_meta_clear_mirror(meta, a, true, &again);
		if (!err)
			err = vdrep_meta_out_write(meta);
	}
	if (err) {
		meta->nr_out = 0;
		vdrep_meta_failed(meta, err);
	}
	mutex_unlock(&meta->io_mutex);
	mutex_unlock(&vdrep_volumes_lock);
	if (again && !err)
		vdrep_meta_clear_later(meta);
}

/* An association's copy of the device's maps, with a metadata device. */
int vdrep_meta_assoc_init(struct vdrep_assoc *a)
{
	struct vdrep_volume *vol = a->vol;
	int err;

	if (!vol->meta)
		return 0;
	/* Until its first commit, what its slot holds is another's. */
	a->meta_fresh = true;
	err = vdrep_chunkmap_init(&a->meta_bits[0], vol->nr_chunks);
	if (!err)
		err = vdrep_chunkmap_init(&a->meta_bits[1], vol->nr_chunks);
	if (!err && vdrep_is_mirror(a))
		err = vdrep_chunkmap_init(&a->meta_recent, vol->nr_chunks);
	return err;
}

void vdrep_meta_assoc_exit(struct vdrep_assoc *a)
{
	vdrep_chunkmap_exit(&a->meta_recent);
	vdrep_chunkmap_exit(&a->meta_bits[1]);
	vdrep_chunkmap_exit(&a->meta_bits[0]);
}

static void vdrep_meta_free(struct vdrep_meta *meta)
{
	unsigned int i;

	if (meta->dev.bdev)
		vdrep_bdev_close(&meta->dev);
	free_pages((unsigned long)meta->sb, get_order(VDREP_META_SB_BYTES));
	kfree(meta->found);
	for (i = 0; i < VDREP_META_OUT; i++)
		free_page((unsigned long)meta->out[i].image);
	free_page((unsigned long)meta->scratch);
	kfree(meta->path);
	kfree(meta);
}

static const char *vdrep_meta_open_error(int err)
{
	switch (err) {
	case -ENOENT:
		return "cannot open metadata device: no such file";
	case -ENOTBLK:
		return "metadata device is not a block device";
	case -EBUSY:
		return "metadata device is in use (held by a volume, a mounted filesystem or another driver)";
	case -EACCES:
	case -EROFS:
		return "metadata device cannot be opened for writing";
	case -ENXIO:
	case -ENODEV:
		return "metadata device is not present";
	default:
		return "cannot open metadata device";
	}
}

/* A superblock copy as read: whether it can be trusted at all. */
static bool vdrep_meta_sb_valid(const struct vdrep_meta_sb *sb)
{
	return !memcmp(sb->magic, VDREP_META_MAGIC, sizeof(sb->magic)) &&
	       le32_to_cpu(sb->csum) == crc32c(VDREP_META_CRC_SEED, (const u8 *)sb + 4,
					       VDREP_META_SB_BYTES - 4);
}

/* Whether @field (@len bytes, NUL-padded on disk) holds a string. */
static bool vdrep_meta_str_ok(const u8 *field, size_t len)
{
	return memchr(field, 0, len);
}

/*
 * Read both superblock copies; on return meta->found holds the newer valid
 * one, or is NULL if neither copy has vdrep's magic (a device to format).
 */
static int vdrep_meta_read_sb(struct vdrep_meta *meta, struct netlink_ext_ack *extack)
{
	bool magic = false, valid[2];
	u64 gen[2];
	u32 copy;
	int err;

	meta->found = kmalloc(VDREP_META_SB_BYTES, GFP_KERNEL);
	if (!meta->found)
		return -ENOMEM;
	for (copy = 0; copy < 2; copy++) {
		err = vdrep_meta_io(meta, REQ_OP_READ, copy * VDREP_META_SB_BYTES,
				    meta->sb, VDREP_META_SB_BYTES);
		if (err) {
			NL_SET_ERR_MSG(extack, "cannot read the metadata device");
			return err;
		}
		if (!memcmp(meta->sb->magic, VDREP_META_MAGIC, sizeof(meta->sb->magic))) {
			magic = true;
			/*
			 * A version this driver does not know, in either copy:
			 * the other may be older than what a newer vdrep wrote.
			 */
			if (le32_to_cpu(meta->sb->version) != VDREP_META_VERSION) {
				pr_err("metadata device %s: superblock copy %u has format version %u, this driver knows %u\n",
				       meta->path, copy, le32_to_cpu(meta->sb->version),
				       VDREP_META_VERSION);
				NL_SET_ERR_MSG(extack, "metadata device has a format version this driver does not know (kernel log says which)");
				return -EOPNOTSUPP;
			}
		}
		valid[copy] = vdrep_meta_sb_valid(meta->sb);
		gen[copy] = le64_to_cpu(meta->sb->generation);
		if (valid[copy] && (copy == 0 || !valid[0] || gen[1] > gen[0]))
			memcpy(meta->found, meta->sb, VDREP_META_SB_BYTES);
	}
	if (!magic) {
		kfree(meta->found);
		meta->found = NULL;
		return 0;
	}
	if (!valid[0] && !valid[1]) {
		pr_err("metadata device %s: neither superblock copy is valid (checksum)\n",
		       meta->path);
		NL_SET_ERR_MSG(extack, "metadata device holds vdrep metadata, but neither superblock copy is valid (checksum): 'vdrepctl meta check' tells more");
		return -EUCLEAN;
	}
	if (!valid[0] || !valid[1])
		pr_warn("metadata device %s: superblock copy %u is damaged; using copy %u (generation %llu)\n",
			meta->path, valid[0] ? 1 : 0, valid[0] ? 0 : 1,
			le64_to_cpu(meta->found->generation));
	return 0;
}

/*
 * The phase a record comes back in, from the @phase its states say and its
 * REDIRECTED flag (in @flags): metadata-format.rst, "Failover and restore".
 * Without the flag, a failover never turned the I/O, and a failback or
 * restore had ended. With it, the volume's I/O goes through the target:
 * failed over, failing back, or restoring (also when the restore was asked
 * for and the record not yet rewritten); maps that do not cover every
 * write cannot say which side holds what, and a break is not handled.
 * 0, or an errno with *@msg saying why.
 */
static int vdrep_meta_record_phase(u32 type, enum vdrep_phase phase, u32 flags, bool trusted,
				   enum vdrep_phase *out, const char **msg)
{
	bool mirror = type == VDREP_SYNC_TYPE_MIRROR;

	*out = phase;
	if (!(flags & VDREP_META_ASSOC_REDIRECTED)) {
		switch (phase) {
		case VDREP_PH_FAILING_OVER:
		case VDREP_PH_FAILING_BACK:
			*out = VDREP_PH_SYNCHRONIZED;
			return 0;
		case VDREP_PH_RESTORING:
			*out = mirror ? VDREP_PH_SYNCHRONIZED : VDREP_PH_SPLIT;
			return 0;
		case VDREP_PH_FAILEDOVER:
			*msg = "an association's record says failed over, but not that the volume's I/O went to its target";
			return -EUCLEAN;
		default:
			return 0;
		}
	}
	if (!trusted) {
		*msg = "an association was failed over or restoring when the metadata stopped being written: which chunks are where is not known";
		return -EUCLEAN;
	}
	switch (phase) {
	case VDREP_PH_FAILING_OVER:
	case VDREP_PH_FAILEDOVER:
		if (!mirror)
			break;
		*out = VDREP_PH_FAILEDOVER;
		return 0;
	case VDREP_PH_FAILING_BACK:
		if (!mirror)
			break;
		return 0;
	case VDREP_PH_FRACTURED:
		if (!mirror)
			break;
		fallthrough;
	case VDREP_PH_RESTORING:
	case VDREP_PH_SPLIT:
	case VDREP_PH_SKEWED:
		*out = VDREP_PH_RESTORING;
		return 0;
	case VDREP_PH_BROKEN:
		*msg = "an association broke while failed over or restoring: bringing that back is not supported (kernel log names it)";
		return -EOPNOTSUPP;
	default:
		break;
	}
	*msg = "an association's record says the volume's I/O went to its target in states where it never does";
	return -EUCLEAN;
}

/* Whether record @r of the found superblock can be brought back. */
static int vdrep_meta_check_record(struct vdrep_meta *meta, u32 slot,
				   const struct vdrep_meta_assoc *r,
				   struct netlink_ext_ack *extack)
{
	u32 type = le32_to_cpu(r->sync_type);
	struct vdrep_report rep = {
		.copy_state = le32_to_cpu(r->copy_state),
		.sync_state = le32_to_cpu(r->sync_state),
		.progress_status = le32_to_cpu(r->progress_status),
	};
	const struct vdrep_meta_assoc *o;
	const char *msg;
	enum vdrep_phase phase;
	bool bad_name = true;
	int err;
	u32 i;

	/* A name as assoc-create takes it, unique among the records before it. */
	if (vdrep_meta_str_ok(r->name, sizeof(r->name)) &&
	    !vdrep_check_name(VDREP_NAME_ASSOC, r->name, strlen(r->name), &err)) {
		bad_name = false;
		for (i = 0; i < slot; i++) {
			o = &meta->found->assocs[i];
			if ((le32_to_cpu(o->flags) & VDREP_META_ASSOC_IN_USE) &&
			    !strcmp(o->name, r->name))
				bad_name = true;
		}
	}
	if (bad_name || le32_to_cpu(r->id) != slot ||
	    !vdrep_meta_str_ok(r->target_path, sizeof(r->target_path)) ||
	    type < VDREP_SYNC_TYPE_MIRROR || type > VDREP_SYNC_TYPE_CLONE ||
	    (type == VDREP_SYNC_TYPE_MIRROR &&
	     vdrep_check_sync_mode(le32_to_cpu(r->sync_mode))) ||
	    (type == VDREP_SYNC_TYPE_CLONE &&
	     vdrep_check_copy_type(le32_to_cpu(r->copy_type)))) {
		pr_err("metadata device %s: association record %u is malformed\n",
		       meta->path, slot);
		NL_SET_ERR_MSG(extack, "metadata device has a malformed association record: 'vdrepctl meta check' tells more");
		return -EUCLEAN;
	}
	phase = vdrep_phase_from_report(type, &rep);
	if (phase == VDREP_PH_COUNT) {
		pr_err("metadata device %s: association %s: states %u/%u/%u are not ones this driver reports\n",
		       meta->path, r->name, rep.copy_state, rep.sync_state,
		       rep.progress_status);
		NL_SET_ERR_MSG(extack, "metadata device has an association in states this driver does not know");
		return -EUCLEAN;
	}
	err = vdrep_meta_record_phase(type, phase, le32_to_cpu(r->flags), meta->trusted,
				      &phase, &msg);
	if (err) {
		pr_err("metadata device %s: association %s: %s\n", meta->path, r->name, msg);
		vdrep_extack(extack, NULL, msg);
	}
	return err;
}

/* The found superblock against the volume being created. */
static int vdrep_meta_check_found(struct vdrep_meta *meta, u32 *chunk_size,
				  struct netlink_ext_ack *extack)
{
	struct vdrep_meta_sb *sb = meta->found;
	struct vdrep_volume *vol = meta->vol;
	u32 i;
	int err;

	/* The version was checked on reading: a copy of another one is refused. */
	if (le32_to_cpu(sb->sb_bytes) != VDREP_META_SB_BYTES ||
	    le64_to_cpu(sb->bitmap_offset) != VDREP_META_BITMAP_OFFSET ||
	    le32_to_cpu(sb->max_assocs) != VDREP_MAX_ASSOCS ||
	    !vdrep_meta_str_ok(sb->name, sizeof(sb->name)) ||
	    !vdrep_meta_str_ok(sb->source_path, sizeof(sb->source_path))) {
		NL_SET_ERR_MSG(extack, "metadata device has a malformed superblock: 'vdrepctl meta check' tells more");
		return -EUCLEAN;
	}
	if (strcmp(sb->name, vol->name)) {
		pr_err("metadata device %s belongs to volume %s\n", meta->path, sb->name);
		NL_SET_ERR_MSG(extack, "metadata device belongs to a volume of another name (kernel log names it)");
		return -EINVAL;
	}
	if (strcmp(sb->source_path, vol->source_path) ||
	    le64_to_cpu(sb->source_sectors) != bdev_nr_sectors(vol->source.bdev)) {
		pr_err("metadata device %s: volume %s was on %s (%llu sectors)\n", meta->path,
		       sb->name, sb->source_path, le64_to_cpu(sb->source_sectors));
		NL_SET_ERR_MSG(extack, "metadata device belongs to a volume on another source (path or size differ; kernel log says which)");
		return -EINVAL;
	}
	if (*chunk_size && *chunk_size != le32_to_cpu(sb->chunk_size)) {
		NL_SET_ERR_MSG(extack, "chunk size differs from the one on the metadata device (leave it out to use that)");
		return -EINVAL;
	}
	*chunk_size = le32_to_cpu(sb->chunk_size);
	if (vdrep_check_chunk_size(*chunk_size)) {
		NL_SET_ERR_MSG(extack, "metadata device has a malformed superblock: 'vdrepctl meta check' tells more");
		return -EUCLEAN;
	}
	meta->clean = le32_to_cpu(sb->flags) & VDREP_META_SB_CLEAN;
	meta->trusted = meta->clean ||
			(le32_to_cpu(sb->flags) & VDREP_META_SB_WRITE_INTENT);
	for (i = 0; i < VDREP_MAX_ASSOCS; i++) {
		if (!(le32_to_cpu(sb->assocs[i].flags) & VDREP_META_ASSOC_IN_USE))
			continue;
		err = vdrep_meta_check_record(meta, i, &sb->assocs[i], extack);
		if (err)
			return err;
	}
	memcpy(meta->uuid, sb->uuid, sizeof(meta->uuid));
	meta->format_time = le64_to_cpu(sb->format_time);
	meta->generation = le64_to_cpu(sb->generation);
	return 0;
}

/*
 * Open @path as @vol's metadata device and read it; called by volume
 * create once the source is open, before anything else is set up, with
 * vdrep_volumes_lock held. *@chunk_size (0: not given) becomes the one the
 * metadata holds when there is some. Writes nothing:
 * vdrep_meta_start() formats or assembles.
 */
int vdrep_meta_open(struct vdrep_volume *vol, const char *path, u32 *chunk_size,
		    struct netlink_ext_ack *extack)
{
	struct vdrep_meta *meta;
	struct block_device *bdev;
	unsigned int i;
	int err;

	if (strlen(path) >= VDREP_META_PATH_LEN) {
		NL_SET_ERR_MSG(extack, "metadata device path is longer than the metadata format's 127 bytes");
		return -ENAMETOOLONG;
	}
	if (strlen(vol->source_path) >= VDREP_META_PATH_LEN) {
		NL_SET_ERR_MSG(extack, "source path is longer than the metadata format's 127 bytes");
		return -ENAMETOOLONG;
	}
	meta = kzalloc(sizeof(*meta), GFP_KERNEL);
	if (!meta)
		return -ENOMEM;
	meta->vol = vol;
	meta->state = VDREP_META_STATE_WRITABLE;
	INIT_DELAYED_WORK(&meta->commit_work, vdrep_meta_commit_work);
	mutex_init(&meta->io_mutex);
	init_llist_head(&meta->waiting);
	INIT_WORK(&meta->intent_work, vdrep_meta_intent_work);
	INIT_DELAYED_WORK(&meta->clear_work, vdrep_meta_clear_work);
	meta->path = kstrdup(path, GFP_KERNEL);
	meta->sb = (void *)__get_free_pages(GFP_KERNEL, get_order(VDREP_META_SB_BYTES));
	/* Every buffer the write path's metadata writes need, kept from now on. */
	meta->scratch = (void *)get_zeroed_page(GFP_KERNEL);
	err = 0;
	for (i = 0; i < VDREP_META_OUT; i++) {
		meta->out[i].image = (void *)get_zeroed_page(GFP_KERNEL);
		if (!meta->out[i].image)
			err = -ENOMEM;
	}
	if (!meta->path || !meta->sb || !meta->scratch || err) {
		err = -ENOMEM;
		goto err_free;
	}

	err = vdrep_bdev_open(&meta->dev, path, vol);
	if (err) {
		vdrep_extack(extack, NULL, vdrep_meta_open_error(err));
		goto err_free;
	}
	bdev = meta->dev.bdev;
	/* Same holder: the exclusive open of the source again succeeds. */
	if (bdev == vol->source.bdev) {
		NL_SET_ERR_MSG(extack, "metadata device is the source");
		err = -EINVAL;
		goto err_free;
	}
	if (bdev_logical_block_size(bdev) > VDREP_META_BLOCK) {
		NL_SET_ERR_MSG(extack, "metadata device's logical block size is above 4096 bytes");
		err = -EINVAL;
		goto err_free;
	}
	if (bdev_nr_bytes(bdev) < VDREP_META_BITMAP_OFFSET) {
		NL_SET_ERR_MSG(extack, "metadata device is too small for this volume: it needs 16 KiB and 32 maps of one bit per chunk, each rounded up to 4 KiB");
		err = -ENOSPC;
		goto err_free;
	}
	err = vdrep_meta_read_sb(meta, extack);
	if (!err && meta->found)
		err = vdrep_meta_check_found(meta, chunk_size, extack);
	if (err)
		goto err_free;
	if (!*chunk_size)
		*chunk_size = VDREP_CHUNK_SIZE_DEFAULT;
	vol->meta = meta;
	return 0;

err_free:
	vdrep_meta_free(meta);
	return err;
}

/*
 * Load association @a's two maps from the device (vdrep_assoc_restore()):
 * into the maps they describe, and into meta_bits, what the device holds.
 */
static int vdrep_meta_read_maps(struct vdrep_assoc *a, void *arg)
{
	struct vdrep_meta *meta = arg;
	struct vdrep_chunkmap *bits;
	u64 pos, done;
	u32 m;
	int err;

	for (m = 0; m < VDREP_META_MAPS; m++) {
		if (m == VDREP_META_MAP_DIFFER)
			bits = &a->dirty;
		else if (vdrep_is_clone(a))
			bits = &a->changed;
		else if (vdrep_is_snapshot(a))
			bits = &a->restore;
		else
			bits = NULL;
		pos = vdrep_meta_map_pos(meta, a->id, m);
		for (done = 0; done < meta->map_bytes; done += VDREP_META_BLOCK) {
			err = vdrep_meta_io(meta, REQ_OP_READ, pos + done, meta->scratch,
					    VDREP_META_BLOCK);
			if (err)
				return err;
			if (bits)
				vdrep_chunkmap_from_le(bits, done * 8, meta->scratch,
						       VDREP_META_BLOCK);
			vdrep_chunkmap_from_le(&a->meta_bits[m], done * 8, meta->scratch,
					       VDREP_META_BLOCK);
		}
	}
	a->meta_fresh = false;
	return 0;
}

/* Bring back every association the found superblock records. */
static int vdrep_meta_assemble(struct vdrep_meta *meta, struct netlink_ext_ack *extack)
{
	struct vdrep_volume *vol = meta->vol;
	struct vdrep_meta_sb *sb = meta->found;
	struct vdrep_assoc *a;
	const char *msg;
	u32 i;

	if (le64_to_cpu(sb->nr_chunks) != vol->nr_chunks ||
	    le64_to_cpu(sb->bitmap_bytes) != meta->map_bytes) {
		NL_SET_ERR_MSG(extack, "metadata device has a malformed superblock: 'vdrepctl meta check' tells more");
		return -EUCLEAN;
	}
	for (i = 0; i < VDREP_MAX_ASSOCS; i++) {
		struct vdrep_meta_assoc *r = &sb->assocs[i];
		u32 flags = le32_to_cpu(r->flags);
		struct vdrep_report rep = {
			.copy_state = le32_to_cpu(r->copy_state),
			.sync_state = le32_to_cpu(r->sync_state),
			.progress_status = le32_to_cpu(r->progress_status),
		};
		struct vdrep_assoc_params p = {
			.name = r->name,
			.target_path = r->target_path,
			.sync_type = le32_to_cpu(r->sync_type),
			.sync_mode = le32_to_cpu(r->sync_mode),
			.copy_type = le32_to_cpu(r->copy_type),
			.copy_priority = le32_to_cpu(r->copy_priority),
			.rate_limit = le64_to_cpu(r->rate_limit),
			.backlog_limit = le64_to_cpu(r->backlog_limit),
			.view_writable = flags & VDREP_META_ASSOC_VIEW_WRITABLE,
		};
		enum vdrep_phase phase;

		if (!(flags & VDREP_META_ASSOC_IN_USE))
			continue;
		phase = vdrep_phase_from_report(p.sync_type, &rep);
		/* It was going away: it goes. */
		if (phase == VDREP_PH_DETACHING)
			continue;
		/* Checked by vdrep_meta_check_record(). */
		if (vdrep_meta_record_phase(p.sync_type, phase, flags, meta->trusted, &phase,
					    &msg))
			return -EUCLEAN;
		a = vdrep_assoc_restore(vol, i, &p, phase, le64_to_cpu(r->sync_time),
					le64_to_cpu(r->target_sectors), meta->trusted,
					vdrep_meta_read_maps, meta, extack);
		if (IS_ERR(a)) {
			pr_err("%s: metadata device %s: association %s on %s cannot be brought back (%ld)\n",
			       vol->disk->disk_name, meta->path, r->name, r->target_path,
			       PTR_ERR(a));
			return PTR_ERR(a);
		}
	}
	return 0;
}

/*
 * Format the device, or assemble from it; called by volume create once
 * vol->nr_chunks is known, before the volume is visible. After a refusal
 * nothing was written; the caller destroys what was brought back.
 */
int vdrep_meta_start(struct vdrep_volume *vol, struct netlink_ext_ack *extack)
{
	struct vdrep_meta *meta = vol->meta;
	struct block_device *bdev = meta->dev.bdev;
	int err;

	meta->map_bytes = VDREP_META_MAP_BYTES(vol->nr_chunks);
	if (bdev_nr_bytes(bdev) < VDREP_META_MIN_BYTES(vol->nr_chunks)) {
		NL_SET_ERR_MSG(extack, "metadata device is too small for this volume: it needs 16 KiB and 32 maps of one bit per chunk, each rounded up to 4 KiB");
		return -ENOSPC;
	}
	if (meta->found) {
		err = vdrep_meta_assemble(meta, extack);
		if (err)
			return err;
		/* Not clean any more before the volume takes a write. */
		err = vdrep_meta_write(meta, false);
		if (err) {
			NL_SET_ERR_MSG(extack, "cannot write the metadata device");
			return err;
		}
		pr_info("%s: volume %s assembled from %s (generation %llu, %s)\n",
			vol->disk->disk_name, vol->name, meta->path, meta->generation - 1,
			meta->clean ? "clean" : meta->trusted ?
			"not clean: the chunks its maps name differ" :
			"not clean, maps not trusted: every chunk differs");
		return 0;
	}

	/* Format: maps zeroed, then both superblock copies (generations 1 and 2). */
	get_random_bytes(meta->uuid, sizeof(meta->uuid));
	meta->format_time = ktime_get_real_ns();
	err = blkdev_issue_zeroout(bdev, VDREP_META_BITMAP_OFFSET >> SECTOR_SHIFT,
				   (VDREP_MAX_ASSOCS * VDREP_META_MAPS * meta->map_bytes) >>
				   SECTOR_SHIFT, GFP_KERNEL, 0);
	if (!err)
		err = vdrep_meta_write(meta, false);
	if (!err)
		err = vdrep_meta_write(meta, false);
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot write the metadata device");
		return err;
	}
	return 0;
}

/*
 * The volume is visible and announced: associations brought back resume
 * (views, copies) and announce their states, and commits go on from here.
 * Caller holds vdrep_volumes_lock.
 */
void vdrep_meta_assembled(struct vdrep_volume *vol)
{
	struct vdrep_meta *meta = vol->meta;
	struct vdrep_assoc *a;
	u32 i;

	if (!meta)
		return;
	meta->live = true;
	for (i = 0; i < VDREP_MAX_ASSOCS; i++) {
		a = rcu_dereference_protected(vol->assocs[i],
					      lockdep_is_held(&vdrep_volumes_lock));
		if (!a)
			continue;
		vdrep_assoc_resume(a);
		/* A "change" uevent with its states, for udev rules (a broken mirror). */
		vdrep_assoc_announce(a);
	}
}

/*
 * The last commit, marked clean; nothing is written after it. Volume stop
 * and module unload call it before tearing the associations down, so their
 * records stay; volume destroy through vdrep_meta_close(). Caller holds
 * vdrep_volumes_lock.
 */
void vdrep_meta_stop(struct vdrep_volume *vol)
{
	struct vdrep_meta *meta = vol->meta;

	if (!meta || meta->closing)
		return;
	WRITE_ONCE(meta->closing, true);
	cancel_delayed_work_sync(&meta->commit_work);
	cancel_delayed_work_sync(&meta->clear_work);
	/* No write is waiting any more (no opener), but its work may still run. */
	flush_work(&meta->intent_work);
	/* A volume that never became visible leaves the device as it found it. */
	if (!meta->live)
		return;
	if (vol->nr_assocs)
		pr_info("%s: volume %s stops: its associations stay on %s\n",
			vol->disk->disk_name, vol->name, meta->path);
	if (meta->state == VDREP_META_STATE_WRITABLE && vdrep_meta_write(meta, true))
		pr_err("%s: metadata device %s: the last commit failed\n",
		       vol->disk->disk_name, meta->path);
}

/* Stop, then release the device; volume destroy, after I/O drained. */
void vdrep_meta_close(struct vdrep_volume *vol)
{
	struct vdrep_meta *meta = vol->meta;

	if (!meta)
		return;
	vdrep_meta_stop(vol);
	/* Queued by an announcement that raced with the stop. */
	cancel_delayed_work_sync(&meta->commit_work);
	vol->meta = NULL;
	vdrep_meta_free(meta);
}

u32 vdrep_meta_state(const struct vdrep_volume *vol)
{
	return vol->meta ? vol->meta->state : VDREP_META_STATE_TRANSIENT;
}

/* The volume's uuid, as its metadata device holds it; NULL when transient. */
const u8 *vdrep_meta_uuid(const struct vdrep_volume *vol)
{
	return vol->meta ? vol->meta->uuid : NULL;
}

const char *vdrep_meta_path(const struct vdrep_volume *vol)
{
	return vol->meta ? vol->meta->path : NULL;
}

/* A path an association record can hold, for assoc create; NULL if fine. */
const char *vdrep_meta_check_path(const struct vdrep_volume *vol, const char *path)
{
	if (vol->meta && strlen(path) >= VDREP_META_PATH_LEN)
		return "target path is longer than the metadata format's 127 bytes";
	return NULL;
}
