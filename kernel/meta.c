// SPDX-License-Identifier: GPL-2.0
/*
 * The metadata device: a volume's state on disk, in the format of
 * uapi/linux/vdrep_meta.h (Documentation/admin-guide/metadata-format.rst).
 *
 * A volume created with a metadata device formats it and then commits its
 * state there: each association's two maps, written in place, then the
 * superblock copy (generation % 2) holding the volume and one record per
 * association, written with a preflush and FUA so the maps it describes
 * are on stable storage before it. A torn superblock write leaves the
 * other copy, one generation older, for a reader.
 *
 * Commits happen at control operations (association create, destroy,
 * operations and settings: before the reply), after the state changes the
 * copy engine and completions announce (coalesced by commit_work, at most
 * one a second), and when the volume stops: the last commit, marked clean,
 * at volume destroy (no association left), and at volume stop and module
 * unload (before the associations are torn down, so their records and maps
 * stay).
 *
 * A volume created on a device that already holds vdrep metadata is
 * assembled from it: the superblock is checked against the volume asked
 * for (name, source, chunk size), each record brings its association back
 * (vdrep_assoc_restore()), and only when all of them are back is anything
 * written: a commit that is not clean, before the volume accepts a write.
 * A refusal writes nothing.
 *
 * Not in this version: map updates ordered with the data writes they cover
 * (so a crash between commits can lose track of chunks written since, and
 * the maps on disk are only as recent as the last commit). Assemble
 * therefore trusts the maps only after a clean stop; otherwise every chunk
 * counts as differing.
 *
 * Locking: commits are serialised by vdrep_volumes_lock, which also keeps
 * vol->assocs[] still while a commit reads it; commit_work only ever
 * trylocks it, since volume destroy cancels the work holding it.
 * meta->state changes only in a commit; meta->live only under the lock.
 */
#include <linux/crc32c.h>
#include <linux/gfp.h>
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

static_assert(sizeof(struct vdrep_meta_assoc) == 256);
static_assert(sizeof(struct vdrep_meta_sb) == VDREP_META_SB_BYTES);
static_assert(offsetof(struct vdrep_meta_sb, assocs) == 1024);
static_assert(ARRAY_SIZE(((struct vdrep_meta_sb *)0)->assocs) == VDREP_MAX_ASSOCS);
static_assert(VDREP_META_BLOCK <= PAGE_SIZE);

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
	u8 *block;			/* a map block on its way out */
	u8 *block2;			/* ... and a second map OR-ed into it */
	struct vdrep_meta_sb *found;	/* the superblock to assemble from, or NULL */
	bool clean;			/* ... its last commit was a clean stop */
	bool live;			/* the volume is visible: commits go on */
	bool closing;			/* commit_work does nothing more */
	struct delayed_work commit_work;
};

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

/* Write map @map of association @a (VDREP_META_MAP_*), block by block. */
static int vdrep_meta_write_map(struct vdrep_meta *meta, struct vdrep_assoc *a, u32 map)
{
	struct vdrep_chunkmap *bits = NULL, *more = NULL;
	u64 pos = vdrep_meta_map_pos(meta, a->id, map), done;
	size_t i;
	int err;

	if (map == VDREP_META_MAP_DIFFER) {
		bits = &a->dirty;
		/* An asynchronous mirror's queued chunks differ too. */
		if (vdrep_is_mirror(a) && vdrep_assoc_async(a))
			more = &a->async_dirty;
	} else if (vdrep_is_clone(a)) {
		bits = &a->changed;
	} else if (vdrep_is_snapshot(a)) {
		bits = &a->restore;
	}

	for (done = 0; done < meta->map_bytes; done += VDREP_META_BLOCK) {
		u64 first = done * 8;

		if (bits)
			vdrep_chunkmap_to_le(bits, first, meta->block, VDREP_META_BLOCK);
		else
			memset(meta->block, 0, VDREP_META_BLOCK);
		if (more) {
			vdrep_chunkmap_to_le(more, first, meta->block2, VDREP_META_BLOCK);
			for (i = 0; i < VDREP_META_BLOCK; i++)
				meta->block[i] |= meta->block2[i];
		}
		err = vdrep_meta_io(meta, REQ_OP_WRITE | REQ_META, pos + done,
				    meta->block, VDREP_META_BLOCK);
		if (err)
			return err;
	}
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
	spin_unlock_irqrestore(&a->lock, irqflags);

	r->copy_state = cpu_to_le32(rep.copy_state);
	r->sync_state = cpu_to_le32(rep.sync_state);
	r->progress_status = cpu_to_le32(rep.progress_status);
	r->flags = cpu_to_le32(flags);
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
	sb->flags = cpu_to_le32(clean ? VDREP_META_SB_CLEAN : 0);
	sb->max_assocs = cpu_to_le32(VDREP_MAX_ASSOCS);
	strscpy_pad(sb->name, vol->name, sizeof(sb->name));
	strscpy_pad(sb->source_path, vol->source_path, sizeof(sb->source_path));
	for (i = 0; i < VDREP_MAX_ASSOCS; i++) {
		a = rcu_dereference_protected(vol->assocs[i],
					      lockdep_is_held(&vdrep_volumes_lock));
		if (a)
			vdrep_meta_fill_record(&sb->assocs[i], a);
	}
	sb->csum = cpu_to_le32(crc32c(VDREP_META_CRC_SEED, (u8 *)sb + 4,
				      VDREP_META_SB_BYTES - 4));
}

/* Maps first, then the superblock; nothing once metadata went read-only. */
static int vdrep_meta_write(struct vdrep_meta *meta, bool clean)
{
	struct vdrep_volume *vol = meta->vol;
	struct vdrep_assoc *a;
	u32 i, m;
	int err;

	lockdep_assert_held(&vdrep_volumes_lock);
	for (i = 0; i < VDREP_MAX_ASSOCS; i++) {
		a = rcu_dereference_protected(vol->assocs[i],
					      lockdep_is_held(&vdrep_volumes_lock));
		if (!a)
			continue;
		for (m = 0; m < VDREP_META_MAPS; m++) {
			err = vdrep_meta_write_map(meta, a, m);
			if (err)
				return err;
		}
	}
	vdrep_meta_fill_sb(meta, clean);
	err = vdrep_meta_io(meta, REQ_OP_WRITE | REQ_META | REQ_SYNC | REQ_PREFLUSH |
			    REQ_FUA, ((meta->generation + 1) % 2) * VDREP_META_SB_BYTES,
			    meta->sb, VDREP_META_SB_BYTES);
	if (err)
		return err;
	meta->generation++;
	return 0;
}

/*
 * Commit @vol's state; caller holds vdrep_volumes_lock. A failed write
 * makes the metadata read-only for good: the volume goes on serving with
 * its maps in memory, and says so.
 */
void vdrep_meta_commit(struct vdrep_volume *vol)
{
	struct vdrep_meta *meta = vol->meta;
	int err;

	lockdep_assert_held(&vdrep_volumes_lock);
	if (!meta || !meta->live || meta->closing ||
	    meta->state != VDREP_META_STATE_WRITABLE)
		return;
	err = vdrep_meta_write(meta, false);
	if (!err)
		return;
	meta->state = VDREP_META_STATE_READ_ONLY;
	pr_err("%s: metadata device %s: write failed (%d): metadata is read-only now, the maps are kept in memory only\n",
	       vol->disk->disk_name, meta->path, err);
	vdrep_volume_announce(vol);
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

static void vdrep_meta_free(struct vdrep_meta *meta)
{
	if (meta->dev.bdev)
		vdrep_bdev_close(&meta->dev);
	free_pages((unsigned long)meta->sb, get_order(VDREP_META_SB_BYTES));
	kfree(meta->found);
	free_pages((unsigned long)meta->block, 1);
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
	switch (phase) {
	case VDREP_PH_COUNT:
		pr_err("metadata device %s: association %s: states %u/%u/%u are not ones this driver reports\n",
		       meta->path, r->name, rep.copy_state, rep.sync_state,
		       rep.progress_status);
		NL_SET_ERR_MSG(extack, "metadata device has an association in states this driver does not know");
		return -EUCLEAN;
	case VDREP_PH_FAILING_OVER:
	case VDREP_PH_FAILEDOVER:
	case VDREP_PH_FAILING_BACK:
	case VDREP_PH_RESTORING:
		pr_err("metadata device %s: association %s was failed over or restoring\n",
		       meta->path, r->name);
		NL_SET_ERR_MSG(extack, "an association was failed over or restoring: bringing that back is not supported yet (kernel log names it)");
		return -EOPNOTSUPP;
	default:
		return 0;
	}
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
	meta->clean = le32_to_cpu(sb->flags) & VDREP_META_SB_CLEAN;
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
	meta->path = kstrdup(path, GFP_KERNEL);
	meta->sb = (void *)__get_free_pages(GFP_KERNEL, get_order(VDREP_META_SB_BYTES));
	/* Two blocks: a map block and a second map to OR into it. */
	meta->block = (void *)__get_free_pages(GFP_KERNEL, 1);
	if (!meta->path || !meta->sb || !meta->block) {
		err = -ENOMEM;
		goto err_free;
	}
	meta->block2 = meta->block + PAGE_SIZE;

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

/* Load association @a's two maps from the device (vdrep_assoc_restore()). */
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
			continue;
		pos = vdrep_meta_map_pos(meta, a->id, m);
		for (done = 0; done < meta->map_bytes; done += VDREP_META_BLOCK) {
			err = vdrep_meta_io(meta, REQ_OP_READ, pos + done, meta->block,
					    VDREP_META_BLOCK);
			if (err)
				return err;
			vdrep_chunkmap_from_le(bits, done * 8, meta->block, VDREP_META_BLOCK);
		}
	}
	return 0;
}

/* Bring back every association the found superblock records. */
static int vdrep_meta_assemble(struct vdrep_meta *meta, struct netlink_ext_ack *extack)
{
	struct vdrep_volume *vol = meta->vol;
	struct vdrep_meta_sb *sb = meta->found;
	struct vdrep_assoc *a;
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
		a = vdrep_assoc_restore(vol, i, &p, phase, le64_to_cpu(r->sync_time),
					le64_to_cpu(r->target_sectors), meta->clean,
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
			meta->clean ? "clean" : "not clean: every chunk differs");
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
