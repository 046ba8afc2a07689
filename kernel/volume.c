// SPDX-License-Identifier: GPL-2.0
/*
 * Volume lifetime: a gendisk (/dev/vdrepN) stacked on a source block device.
 *
 * Creation opens the source exclusively with the volume as holder, so no one
 * else (another volume, a filesystem, md/dm) can write it behind our back,
 * and inherits its size and queue limits. Destruction is refused while the
 * volume disk is open; once it starts, new opens are refused, the disk is
 * removed, in-flight I/O drains, and only then is the source released.
 */
#include <linux/blkdev.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "vdrep.h"

/* ------------------------------------------------------------------ sysfs */

/*
 * /sys/block/vdrepN/vdrep/{name,source,chunk_size}: published with the disk
 * so they exist before udev sees the "add" event (60-vdrep.rules uses name).
 */
static struct vdrep_volume *dev_to_volume(struct device *dev)
{
	return dev_to_disk(dev)->private_data;
}

static ssize_t name_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", dev_to_volume(dev)->name);
}
static DEVICE_ATTR_RO(name);

static ssize_t source_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%s\n", dev_to_volume(dev)->source_path);
}
static DEVICE_ATTR_RO(source);

static ssize_t chunk_size_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", dev_to_volume(dev)->chunk_size);
}
static DEVICE_ATTR_RO(chunk_size);

static struct attribute *vdrep_volume_attrs[] = {
	&dev_attr_name.attr,
	&dev_attr_source.attr,
	&dev_attr_chunk_size.attr,
	NULL,
};

static const struct attribute_group vdrep_volume_group = {
	.name = "vdrep",
	.attrs = vdrep_volume_attrs,
};

static const struct attribute_group *vdrep_volume_groups[] = {
	&vdrep_volume_group,
	NULL,
};

/* ------------------------------------------------------------ block device */

/* Called with disk->open_mutex held. */
static VDREP_BDOPS_OPEN(vdrep_volume_open)
{
	struct vdrep_volume *vol = vdrep_bdops_open_disk()->private_data;

	return vol->dying ? -ENXIO : 0;
}

const struct block_device_operations vdrep_volume_fops = {
	.owner = THIS_MODULE,
	.submit_bio = vdrep_submit_bio,
	.open = vdrep_volume_open,
};

u64 vdrep_volume_size(const struct vdrep_volume *vol)
{
	return get_capacity(vol->disk) << SECTOR_SHIFT;
}

unsigned int vdrep_volume_openers(struct vdrep_volume *vol)
{
	return disk_openers(vol->disk);
}

/* --------------------------------------------------------------- lifetime */

static const char *vdrep_source_open_error(int err)
{
	switch (err) {
	case -ENOENT:
		return "cannot open source: no such file";
	case -ENOTBLK:
		return "source is not a block device";
	case -EBUSY:
		return "source is in use (held by another volume, a mounted filesystem or another driver)";
	case -EACCES:
	case -EROFS:
		return "source cannot be opened for writing";
	case -ENXIO:
	case -ENODEV:
		return "source device is not present";
	default:
		return "cannot open source";
	}
}

/* Destroy the associations a failed assemble brought back. */
static void vdrep_volume_drop_assocs(struct vdrep_volume *vol)
{
	struct vdrep_assoc *a;
	u32 i;

	for (i = 0; i < VDREP_MAX_ASSOCS; i++) {
		a = rcu_dereference_protected(vol->assocs[i],
					      lockdep_is_held(&vdrep_volumes_lock));
		if (a)
			vdrep_assoc_destroy(a);
	}
}

/*
 * Create a volume named @name on @source_path; the caller holds
 * vdrep_volumes_lock and has checked the name and chunk size (0: the
 * default, or the metadata device's). With @meta_path holding vdrep
 * metadata, the volume and its associations are assembled from it; the
 * caller announces them and then calls vdrep_meta_assembled().
 */
struct vdrep_volume *vdrep_volume_create(const char *name, const char *source_path,
					 u32 chunk_size, const char *meta_path,
					 struct netlink_ext_ack *extack)
{
	struct block_device *src;
	struct vdrep_volume *vol;
	struct gendisk *disk;
	u32 id;
	int err;

	vol = kzalloc(sizeof(*vol), GFP_KERNEL);
	if (!vol)
		return ERR_PTR(-ENOMEM);
	strscpy(vol->name, name, sizeof(vol->name));
	vol->source_path = kstrdup(source_path, GFP_KERNEL);
	if (!vol->source_path) {
		err = -ENOMEM;
		goto err_free_vol;
	}

	err = xa_alloc(&vdrep_volumes, &id, NULL,
		       XA_LIMIT(0, VDREP_MAX_VOLUMES - 1), GFP_KERNEL);
	if (err) {
		if (err == -EBUSY) {
			err = -ENOSPC;
			NL_SET_ERR_MSG(extack, "too many volumes");
		}
		goto err_free_path;
	}
	vol->id = id;

	err = vdrep_bdev_open(&vol->source, source_path, vol);
	if (err) {
		vdrep_extack(extack, NULL, vdrep_source_open_error(err));
		goto err_erase_id;
	}
	src = vol->source.bdev;
	if (bdev_is_zoned(src)) {
		err = -EOPNOTSUPP;
		NL_SET_ERR_MSG(extack, "zoned source devices are not supported");
		goto err_close_source;
	}
	if (!bdev_nr_sectors(src)) {
		err = -EINVAL;
		NL_SET_ERR_MSG(extack, "source is empty");
		goto err_close_source;
	}
	if (meta_path) {
		err = vdrep_meta_open(vol, meta_path, &chunk_size, extack);
		if (err)
			goto err_close_source;
	} else if (!chunk_size) {
		chunk_size = VDREP_CHUNK_SIZE_DEFAULT;
	}
	vol->chunk_size = chunk_size;
	if (chunk_size < bdev_logical_block_size(src)) {
		err = -EINVAL;
		NL_SET_ERR_MSG(extack, "chunk size is smaller than the source's logical block size");
		goto err_meta_close;
	}

	err = vdrep_io_init(vol);
	if (err)
		goto err_meta_close;

	disk = vdrep_alloc_stacked_disk(src);
	if (IS_ERR(disk)) {
		err = PTR_ERR(disk);
		goto err_io_exit;
	}
	vol->disk = disk;
	/* Dynamic dev_t; no partition scan, as for dm devices (use kpartx). */
	disk->major = 0;
	disk->first_minor = 0;
	disk->minors = 0;
	disk->flags |= GENHD_FL_NO_PART;
	disk->fops = &vdrep_volume_fops;
	disk->private_data = vol;
	snprintf(disk->disk_name, DISK_NAME_LEN, "vdrep%u", id);
	set_capacity(disk, bdev_nr_sectors(src));
	vol->nr_chunks = vdrep_nr_chunks(bdev_nr_sectors(src), vol->chunk_shift);

	if (meta_path) {
		err = vdrep_meta_start(vol, extack);
		if (err)
			goto err_drop_assocs;
	}
	err = device_add_disk(NULL, disk, vdrep_volume_groups);
	if (err)
		goto err_drop_assocs;

	xa_store(&vdrep_volumes, id, vol, GFP_KERNEL);
	pr_info("%s: volume %s created on %s (%pg), chunk size %u, metadata %s\n",
		disk->disk_name, vol->name, vol->source_path, src, chunk_size,
		meta_path ?: "transient");
	return vol;

err_drop_assocs:
	vdrep_volume_drop_assocs(vol);
	put_disk(disk);
err_io_exit:
	vdrep_io_exit(vol);
err_meta_close:
	vdrep_meta_close(vol);
err_close_source:
	vdrep_bdev_close(&vol->source);
err_erase_id:
	xa_erase(&vdrep_volumes, id);
err_free_path:
	kfree(vol->source_path);
err_free_vol:
	kfree(vol);
	return ERR_PTR(err);
}

/*
 * Refuse new opens of @vol (@block), unless it is open now (-EBUSY); or
 * open it up again. Opens check vol->dying under the same mutex.
 */
static int vdrep_volume_block_opens(struct vdrep_volume *vol, bool block,
				    struct netlink_ext_ack *extack)
{
	int err = 0;

	mutex_lock(&vol->disk->open_mutex);
	if (block && disk_openers(vol->disk)) {
		err = -EBUSY;
		NL_SET_ERR_MSG(extack, "volume is open");
	} else {
		vol->dying = block;
	}
	mutex_unlock(&vol->disk->open_mutex);
	return err;
}

/*
 * Decide whether @vol may be destroyed, and if so stop new opens: from here
 * on the volume must be destroyed. Caller holds vdrep_volumes_lock.
 */
int vdrep_volume_destroy_check(struct vdrep_volume *vol,
			       struct netlink_ext_ack *extack)
{
	if (vol->nr_assocs) {
		NL_SET_ERR_MSG(extack, "volume has associations; destroy them first");
		return -EBUSY;
	}
	return vdrep_volume_block_opens(vol, true, extack);
}

/*
 * Decide whether @vol may be stopped (volume-stop), and if so stop new
 * opens of it and of its views: from here on the caller stops it. A
 * volume failed over or restoring may stop: its records say so, and
 * assemble brings it back that way. Caller holds vdrep_volumes_lock.
 */
int vdrep_volume_stop_check(struct vdrep_volume *vol, struct netlink_ext_ack *extack)
{
	struct vdrep_assoc *a;
	int err;
	u32 i, j;

	if (!vol->meta) {
		NL_SET_ERR_MSG(extack, "volume has no metadata device: nothing would keep its associations (volume destroy removes it)");
		return -EINVAL;
	}
	err = vdrep_volume_block_opens(vol, true, extack);
	if (err)
		return err;
	for (i = 0; i < VDREP_MAX_ASSOCS; i++) {
		a = rcu_dereference_protected(vol->assocs[i],
					      lockdep_is_held(&vdrep_volumes_lock));
		if (!a || !vdrep_view_block(a, true))
			continue;
		/* Open: let the views blocked so far, and the volume, be opened again. */
		for (j = 0; j < i; j++) {
			a = rcu_dereference_protected(vol->assocs[j],
						      lockdep_is_held(&vdrep_volumes_lock));
			if (a)
				vdrep_view_block(a, false);
		}
		vdrep_volume_block_opens(vol, false, NULL);
		NL_SET_ERR_MSG(extack, "a target view of the volume is open");
		return -EBUSY;
	}
	return 0;
}

/* Caller holds vdrep_volumes_lock and had vdrep_volume_destroy_check() pass. */
void vdrep_volume_destroy(struct vdrep_volume *vol)
{
	xa_erase(&vdrep_volumes, vol->id);
	del_gendisk(vol->disk);
	/* del_gendisk() stops new bios; wait for those already at the source. */
	vdrep_io_exit(vol);
	vdrep_meta_close(vol);
	vdrep_bdev_close(&vol->source);
	pr_info("%s: volume %s destroyed\n", vol->disk->disk_name, vol->name);
	put_disk(vol->disk);
	kfree(vol->source_path);
	kfree(vol);
}
