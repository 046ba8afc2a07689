// SPDX-License-Identifier: GPL-2.0
/*
 * Target views: /dev/vdrepNaM presents association M's target while the
 * mirror is fractured, split or skewed, so the copy can be read (backups,
 * fsck, mounting) without touching the volume.
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
	bio_put(clone);
	bio_endio(orig);
	rcu_read_lock();
	if (atomic_dec_and_test(&a->io_refs[gen]))
		wake_up_all(&a->io_wait);
	rcu_read_unlock();
}

static void vdrep_view_mark_written(struct vdrep_assoc *a, struct bio *bio)
{
	struct vdrep_volume *vol = a->vol;
	unsigned long flags;
	bool skewed = false;

	vdrep_chunkmap_set_range(&a->dirty, bio->bi_iter.bi_sector >> vol->chunk_shift,
				 (bio_end_sector(bio) - 1) >> vol->chunk_shift);
	spin_lock_irqsave(&a->lock, flags);
	if (a->phase == VDREP_PH_FRACTURED || a->phase == VDREP_PH_SPLIT) {
		vdrep_assoc_set_phase_locked(a, VDREP_PH_SKEWED);
		skewed = true;
	}
	spin_unlock_irqrestore(&a->lock, flags);
	if (skewed)
		queue_work(vdrep_wq, &a->event_work);
}

static void vdrep_view_submit_bio(struct bio *bio)
{
	struct vdrep_assoc *a = bio->bi_bdev->bd_disk->private_data;
	struct vdrep_target_io *tio;
	struct bio *clone;
	unsigned int gen;

	if (op_is_write(bio_op(bio))) {
		if (!READ_ONCE(a->view_writable)) {
			bio_io_error(bio);
			return;
		}
		if (bio_sectors(bio))
			vdrep_view_mark_written(a, bio);
	}

	rcu_read_lock();
	gen = smp_load_acquire(&a->io_gen) & 1;
	atomic_inc(&a->io_refs[gen]);
	rcu_read_unlock();

	clone = bio_alloc_clone(a->target.bdev, bio, GFP_NOIO, &a->vol->target_bioset);
	tio = container_of(clone, struct vdrep_target_io, clone);
	tio->assoc = a;
	tio->parent = NULL;
	tio->orig = bio;
	/* Which io_refs[] counter to drop on completion. */
	clone->bi_private = (void *)(unsigned long)gen;
	clone->bi_end_io = vdrep_view_endio;
	submit_bio_noacct(clone);
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

/* Caller holds vdrep_volumes_lock. */
void vdrep_view_set_writable(struct vdrep_assoc *a)
{
	WRITE_ONCE(a->view_writable, true);
	if (a->view)
		set_disk_ro(a->view, false);
}
