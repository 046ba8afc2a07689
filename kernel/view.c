// SPDX-License-Identifier: GPL-2.0
/*
 * Target views: /dev/vdrepNaM presents association M's target image: a
 * mirror's target while it is fractured, split or skewed, so the copy can
 * be read (backups, fsck, mounting) without touching the volume; a
 * snapshot's point-in-time image (chunks in the store from their slot, the
 * others from the source); a clone's point-in-time image (chunks not yet
 * copied from the source, the others from the target).
 *
 * Snapshot and clone view bios are split at chunk boundaries, since each
 * chunk may live elsewhere. A view read sent to the source counts itself in
 * assoc->view_buckets before it looks at the map, and copy-on-write waits
 * for those counts after it changed the map (cow.c), so a read either sees
 * the chunk preserved or completes before the source is overwritten.
 *
 * A view is read-only unless the association was made with a writable
 * view. A write through it marks its chunks dirty before it is issued (a
 * later resync or restore copies exactly them) and moves a Fractured or
 * Split mirror to Skewed. View bios hold an association io_ref, so removing
 * the association waits for them before the target is released. Views are
 * created and removed by operations, under vdrep_volumes_lock; removal is
 * refused while the view is open.
 */
#include <linux/blkdev.h>
#include <linux/slab.h>

#include "vdrep.h"

static struct vdrep_assoc *dev_to_assoc(struct device *dev)
{
	return dev_to_disk(dev)->private_data;
}

static ssize_t volume_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%s\n", dev_to_assoc(dev)->vol->name);
}
static DEVICE_ATTR_RO(volume);

static ssize_t name_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", dev_to_assoc(dev)->name);
}
static DEVICE_ATTR_RO(name);

static struct attribute *vdrep_view_attrs[] = {
	&dev_attr_volume.attr,
	&dev_attr_name.attr,
	NULL,
};

static const struct attribute_group vdrep_view_group = {
	.name = "vdrep",
	.attrs = vdrep_view_attrs,
};

static const struct attribute_group *vdrep_view_groups[] = {
	&vdrep_view_group,
	NULL,
};

/* Called with disk->open_mutex held. */
static VDREP_BDOPS_OPEN(vdrep_view_open)
{
	struct vdrep_assoc *a = vdrep_bdops_open_disk()->private_data;

	return a->view_dying ? -ENXIO : 0;
}

static void vdrep_view_endio(struct bio *clone)
{
	struct vdrep_target_io *tio = container_of(clone, struct vdrep_target_io, clone);
	struct vdrep_assoc *a = tio->assoc;
	struct bio *orig = tio->orig;
	unsigned int gen = (unsigned long)clone->bi_private;

	orig->bi_status = clone->bi_status;
	rcu_read_lock();
	if (tio->view_bucket) {
		vdrep_buckets_add(a->view_buckets, tio->chunk, tio->chunk, -1);
		wake_up_all(&a->view_wait);
	}
	bio_put(clone);
	bio_endio(orig);
	if (atomic_dec_and_test(&a->io_refs[gen]))
		wake_up_all(&a->io_wait);
	rcu_read_unlock();
}

/*
 * A write through the view: the target now differs from the source there
 * (mirror: dirty; clone: changed; a snapshot's store map already says it)
 * and the association is Skewed.
 */
static void vdrep_view_mark_written(struct vdrep_assoc *a, struct bio *bio)
{
	struct vdrep_volume *vol = a->vol;
	u64 first = bio->bi_iter.bi_sector >> vol->chunk_shift;
	u64 last = (bio_end_sector(bio) - 1) >> vol->chunk_shift;
	unsigned long flags;
	bool skewed = false;

	if (vdrep_is_mirror(a))
		vdrep_chunkmap_set_range(&a->dirty, first, last);
	else if (vdrep_is_clone(a))
		vdrep_chunkmap_set_range(&a->changed, first, last);
	spin_lock_irqsave(&a->lock, flags);
	if (a->phase == VDREP_PH_FRACTURED || a->phase == VDREP_PH_SPLIT) {
		vdrep_assoc_set_phase_locked(a, VDREP_PH_SKEWED);
		skewed = true;
	}
	spin_unlock_irqrestore(&a->lock, flags);
	if (skewed)
		queue_work(vdrep_wq, &a->event_work);
}

/* The view bio's clone, to @bdev; holds an io_ref until it completes. */
static struct vdrep_target_io *vdrep_view_clone(struct vdrep_assoc *a, struct bio *bio,
						struct block_device *bdev)
{
	struct vdrep_target_io *tio;
	struct bio *clone;
	unsigned int gen;

	rcu_read_lock();
	/* Pairs with the release in vdrep_assoc_drain(). */
	gen = smp_load_acquire(&a->io_gen) & 1;
	atomic_inc(&a->io_refs[gen]);
	rcu_read_unlock();

	clone = bio_alloc_clone(bdev, bio, GFP_NOIO, &a->vol->target_bioset);
	tio = container_of(clone, struct vdrep_target_io, clone);
	tio->assoc = a;
	tio->parent = NULL;
	tio->orig = bio;
	tio->view_bucket = false;
	tio->chunk = 0;
	/* Which io_refs[] counter to drop on completion. */
	clone->bi_private = (void *)(unsigned long)gen;
	clone->bi_end_io = vdrep_view_endio;
	return tio;
}

static void vdrep_view_meta_resume(struct vdrep_meta_wait *w)
{
	struct vdrep_target_io *tio = container_of(w, struct vdrep_target_io, meta_wait);

	submit_bio_noacct(&tio->clone);
}

/*
 * Issue a view write marked written: once the metadata device covers its
 * chunks, as for volume writes (meta.c).
 */
static void vdrep_view_submit_write(struct vdrep_assoc *a, struct vdrep_target_io *tio)
{
	struct bio *bio = &tio->clone;
	unsigned int shift = a->vol->chunk_shift;

	if (bio_sectors(bio)) {
		tio->meta_wait.first = bio->bi_iter.bi_sector >> shift;
		tio->meta_wait.last = (bio_end_sector(bio) - 1) >> shift;
		tio->meta_wait.assocs = BIT(a->id);
		tio->meta_wait.resume = vdrep_view_meta_resume;
		if (!vdrep_meta_write_ready(a->vol, &tio->meta_wait))
			return;
	}
	submit_bio_noacct(bio);
}

/* Offset of @bio in its chunk, in sectors. */
static sector_t vdrep_view_offset(struct vdrep_assoc *a, struct bio *bio)
{
	return bio->bi_iter.bi_sector & ((1ULL << a->vol->chunk_shift) - 1);
}

/* A snapshot or clone view serves its image only while it is valid. */
static bool vdrep_view_valid(struct vdrep_assoc *a, bool write)
{
	enum vdrep_phase phase = vdrep_assoc_phase(a);

	switch (phase) {
	case VDREP_PH_SPLIT:
	case VDREP_PH_SKEWED:
		return true;
	case VDREP_PH_SYNCING:
	case VDREP_PH_RESYNCING:
	case VDREP_PH_SUSPENDING:
	case VDREP_PH_SUSPENDED:
	case VDREP_PH_RESTORING:
		/* Read-only while filling or restoring. */
		return !write;
	default:
		return false;	/* broken, aborted: the image is incomplete */
	}
}

/* Read of one chunk of a snapshot's or clone's image. */
static void vdrep_view_read_chunk(struct vdrep_assoc *a, struct bio *bio, u64 chunk)
{
	struct vdrep_volume *vol = a->vol;
	struct vdrep_target_io *tio;
	sector_t slot;
	bool on_target;

	/* Counted before the map is read: see the comment at the top. */
	vdrep_buckets_add(a->view_buckets, chunk, chunk, 1);
	/* Pairs with the barrier in vdrep_cow_view_wait(). */
	smp_mb__after_atomic();
	if (vdrep_is_snapshot(a))
		on_target = vdrep_snapshot_slot(a, chunk, &slot);
	else	/* a clone's dirty chunks are on the source only while it fills */
		on_target = READ_ONCE(a->io_mode) != VDREP_IO_COW ||
			    !vdrep_chunkmap_test(&a->dirty, chunk);

	tio = vdrep_view_clone(a, bio, on_target ? a->target.bdev : vol->source.bdev);
	if (on_target) {
		vdrep_buckets_add(a->view_buckets, chunk, chunk, -1);
		wake_up_all(&a->view_wait);
		if (vdrep_is_snapshot(a))
			tio->clone.bi_iter.bi_sector = slot + vdrep_view_offset(a, bio);
	} else {
		tio->view_bucket = true;
		tio->chunk = chunk;
	}
	submit_bio_noacct(&tio->clone);
}

/* A snapshot view write whose chunk needed a slot first (process context). */
static void vdrep_view_write_work(struct work_struct *work)
{
	struct vdrep_target_io *tio = container_of(work, struct vdrep_target_io, work);
	struct vdrep_assoc *a = tio->assoc;
	struct bio *bio = tio->orig;
	unsigned int chunk_sectors = 1U << a->vol->chunk_shift;
	u64 pos = (u64)vdrep_chunk_sector(a->vol, tio->chunk);
	bool full = bio->bi_iter.bi_sector == pos &&
		    (bio_sectors(bio) == chunk_sectors ||
		     bio_end_sector(bio) == get_capacity(a->vol->disk));
	blk_status_t status;
	sector_t slot;

	status = vdrep_cow_view_write_prepare(a, tio->chunk,
					      full && bio_op(bio) == REQ_OP_WRITE);
	if (status || !vdrep_snapshot_slot(a, tio->chunk, &slot)) {
		tio->clone.bi_status = status ?: BLK_STS_IOERR;
		bio_endio(&tio->clone);
		return;
	}
	tio->clone.bi_iter.bi_sector = slot + vdrep_view_offset(a, bio);
	submit_bio_noacct(&tio->clone);
}

/* Write of one chunk of a snapshot's or (complete) clone's image. */
static void vdrep_view_write_chunk(struct vdrep_assoc *a, struct bio *bio, u64 chunk)
{
	struct vdrep_target_io *tio;
	sector_t slot;

	if (bio_sectors(bio))
		vdrep_view_mark_written(a, bio);
	tio = vdrep_view_clone(a, bio, a->target.bdev);
	tio->chunk = chunk;
	if (!vdrep_is_snapshot(a) || !bio_sectors(bio)) {
		vdrep_view_submit_write(a, tio);
		return;
	}
	if (vdrep_snapshot_slot(a, chunk, &slot)) {
		tio->clone.bi_iter.bi_sector = slot + vdrep_view_offset(a, bio);
		submit_bio_noacct(&tio->clone);
		return;
	}
	INIT_WORK(&tio->work, vdrep_view_write_work);
	queue_work(vdrep_wq, &tio->work);
}

static void vdrep_view_submit_cow(struct vdrep_assoc *a, struct bio *bio)
{
	struct vdrep_volume *vol = a->vol;
	bool write = op_is_write(bio_op(bio));
	unsigned int chunk_sectors = 1U << vol->chunk_shift;
	u64 chunk;

	if (!vdrep_view_valid(a, write)) {
		bio_io_error(bio);
		return;
	}
	if (bio_sectors(bio)) {
		unsigned int room = chunk_sectors - vdrep_view_offset(a, bio);

		if (bio_sectors(bio) > room) {
			struct bio *split = bio_split(bio, room, GFP_NOIO,
						      &vol->target_bioset);

			bio_chain(split, bio);
			submit_bio_noacct(bio);
			bio = split;
		}
	}
	chunk = bio->bi_iter.bi_sector >> vol->chunk_shift;
	if (write)
		vdrep_view_write_chunk(a, bio, chunk);
	else if (bio_sectors(bio))
		vdrep_view_read_chunk(a, bio, chunk);
	else
		submit_bio_noacct(&vdrep_view_clone(a, bio, a->target.bdev)->clone);
}

static void vdrep_view_submit_bio(struct bio *bio)
{
	struct vdrep_assoc *a = bio->bi_bdev->bd_disk->private_data;

	if (op_is_write(bio_op(bio)) && !READ_ONCE(a->view_writable)) {
		bio_io_error(bio);
		return;
	}
	if (!vdrep_is_mirror(a)) {
		vdrep_view_submit_cow(a, bio);
		return;
	}
	if (!op_is_write(bio_op(bio))) {
		submit_bio_noacct(&vdrep_view_clone(a, bio, a->target.bdev)->clone);
		return;
	}
	if (bio_sectors(bio))
		vdrep_view_mark_written(a, bio);
	vdrep_view_submit_write(a, vdrep_view_clone(a, bio, a->target.bdev));
}

const struct block_device_operations vdrep_view_fops = {
	.owner = THIS_MODULE,
	.submit_bio = vdrep_view_submit_bio,
	.open = vdrep_view_open,
};

/*
 * a->view changes under vdrep_volumes_lock and a->lock: announcements from
 * workers read its name under a->lock only (vdrep_view_name()).
 */
static void vdrep_view_publish(struct vdrep_assoc *a, struct gendisk *disk)
{
	unsigned long flags;

	spin_lock_irqsave(&a->lock, flags);
	a->view = disk;
	spin_unlock_irqrestore(&a->lock, flags);
}

/* Copy the view's disk name into @name (empty if none); caller holds a->lock. */
void vdrep_view_name(struct vdrep_assoc *a, char name[DISK_NAME_LEN])
{
	lockdep_assert_held(&a->lock);
	name[0] = 0;
	if (a->view)
		strscpy(name, a->view->disk_name, DISK_NAME_LEN);
}

/* Caller holds vdrep_volumes_lock; the phase has a view. */
int vdrep_view_create(struct vdrep_assoc *a)
{
	struct vdrep_volume *vol = a->vol;
	struct gendisk *disk;
	int err;

	lockdep_assert_held(&vdrep_volumes_lock);
	if (a->view)
		return 0;
	disk = vdrep_alloc_stacked_disk(a->target.bdev);
	if (IS_ERR(disk))
		return PTR_ERR(disk);
	disk->major = 0;
	disk->first_minor = 0;
	disk->minors = 0;
	disk->flags |= GENHD_FL_NO_PART;
	disk->fops = &vdrep_view_fops;
	disk->private_data = a;
	snprintf(disk->disk_name, DISK_NAME_LEN, "vdrep%ua%u", vol->id, a->id);
	/* The image is the volume's size, whatever the target's. */
	set_capacity(disk, get_capacity(vol->disk));
	set_disk_ro(disk, !a->view_writable);
	a->view_dying = false;
	err = device_add_disk(NULL, disk, vdrep_view_groups);
	if (err) {
		put_disk(disk);
		return err;
	}
	vdrep_view_publish(a, disk);
	return 0;
}

/* Remove the view unless it is open. Caller holds vdrep_volumes_lock. */
int vdrep_view_remove(struct vdrep_assoc *a, struct netlink_ext_ack *extack)
{
	struct gendisk *disk = a->view;

	lockdep_assert_held(&vdrep_volumes_lock);
	if (!disk)
		return 0;
	mutex_lock(&disk->open_mutex);
	if (disk_openers(disk)) {
		mutex_unlock(&disk->open_mutex);
		NL_SET_ERR_MSG(extack, "target view is open");
		return -EBUSY;
	}
	a->view_dying = true;
	mutex_unlock(&disk->open_mutex);
	/* Announcements stop naming it before the disk goes. */
	vdrep_view_publish(a, NULL);
	del_gendisk(disk);
	put_disk(disk);
	return 0;
}

/*
 * Refuse new opens of @a's view (@block), unless it is open now (-EBUSY);
 * or open it up again. Volume stop blocks every view before removing any,
 * so that it either removes them all or changes nothing. Caller holds
 * vdrep_volumes_lock.
 */
int vdrep_view_block(struct vdrep_assoc *a, bool block)
{
	struct gendisk *disk = a->view;
	int err = 0;

	lockdep_assert_held(&vdrep_volumes_lock);
	if (!disk)
		return 0;
	mutex_lock(&disk->open_mutex);
	if (block && disk_openers(disk))
		err = -EBUSY;
	else
		a->view_dying = block;
	mutex_unlock(&disk->open_mutex);
	return err;
}

/* Caller holds vdrep_volumes_lock. */
void vdrep_view_set_writable(struct vdrep_assoc *a)
{
	WRITE_ONCE(a->view_writable, true);
	if (a->view)
		set_disk_ro(a->view, false);
}
