/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels vdrep supports lives here, keyed by
 * the VDREP_HAVE_* feature tests that Kbuild compiles from kernel/compat/.
 * Nothing else in the module tests a kernel version or a VDREP_HAVE_* macro.
 */
#ifndef VDREP_COMPAT_H
#define VDREP_COMPAT_H

#include <linux/blkdev.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/workqueue.h>

/* ---------------------------------------------------------------- bdev open */

/* A block device opened read-write and exclusively for @holder. */
struct vdrep_bdev {
	struct block_device *bdev;
#ifdef VDREP_HAVE_BDEV_FILE_OPEN_BY_PATH
	struct file *file;
#endif
};

static inline int vdrep_bdev_open(struct vdrep_bdev *b, const char *path,
				  void *holder)
{
#ifdef VDREP_HAVE_BDEV_FILE_OPEN_BY_PATH
	/* A holder implies an exclusive open since 6.5. */
	struct file *file = bdev_file_open_by_path(path,
						   BLK_OPEN_READ | BLK_OPEN_WRITE,
						   holder, NULL);

	if (IS_ERR(file))
		return PTR_ERR(file);
	b->file = file;
	b->bdev = file_bdev(file);
#else
	struct block_device *bdev = blkdev_get_by_path(path,
				FMODE_READ | FMODE_WRITE | FMODE_EXCL, holder);

	if (IS_ERR(bdev))
		return PTR_ERR(bdev);
	b->bdev = bdev;
#endif
	return 0;
}

/* Returns only after the exclusive claim is released. */
static inline void vdrep_bdev_close(struct vdrep_bdev *b)
{
#if defined(VDREP_HAVE_BDEV_FPUT)
	bdev_fput(b->file);
#elif defined(VDREP_HAVE_BDEV_FILE_OPEN_BY_PATH)
	fput(b->file);
	flush_delayed_fput();
#else
	blkdev_put(b->bdev, FMODE_READ | FMODE_WRITE | FMODE_EXCL);
#endif
	b->bdev = NULL;
}

/* ------------------------------------------------------------ stacked disk */

/*
 * Allocate a bio-based gendisk whose limits and features are stacked on
 * @lower: block sizes, transfer sizes, discard and write-zeroes, flush/FUA,
 * rotational. I/O statistics are turned on.
 */
static inline struct gendisk *vdrep_alloc_stacked_disk(struct block_device *lower)
{
#if defined(VDREP_HAVE_BLK_ALLOC_DISK_LIMITS) && defined(VDREP_HAVE_QUEUE_LIMITS_STACK_BDEV)
	struct queue_limits lim;

	blk_set_stacking_limits(&lim);
	/* Inherits write cache, FUA and rotational through the feature mask. */
	queue_limits_stack_bdev(&lim, lower, 0, lower->bd_disk->disk_name);
	lim.features |= BLK_FEAT_IO_STAT;
	return blk_alloc_disk(&lim, NUMA_NO_NODE);
#else
	struct gendisk *disk = blk_alloc_disk(NUMA_NO_NODE);
	struct request_queue *q;

	if (!disk)
		return ERR_PTR(-ENOMEM);
	q = disk->queue;
	blk_set_stacking_limits(&q->limits);
	disk_stack_limits(disk, lower, 0);
	blk_queue_write_cache(q, bdev_write_cache(lower), bdev_fua(lower));
	if (bdev_nonrot(lower))
		blk_queue_flag_set(QUEUE_FLAG_NONROT, q);
	if (bdev_stable_writes(lower))
		blk_queue_flag_set(QUEUE_FLAG_STABLE_WRITES, q);
	blk_queue_flag_set(QUEUE_FLAG_IO_STAT, q);
	return disk;
#endif
}

/* ------------------------------------------------------ block_device_ops */

/*
 * The open signature changed in 6.5. VDREP_BDOPS_OPEN(fn) declares the
 * handler; inside it vdrep_bdops_open_disk() is the gendisk being opened.
 */
#ifdef VDREP_HAVE_BDOPS_OPEN_GENDISK
#define VDREP_BDOPS_OPEN(fn) int fn(struct gendisk *vdrep_disk_arg, \
				    blk_mode_t vdrep_mode_arg)
#define vdrep_bdops_open_disk() (vdrep_disk_arg)
#else
#define VDREP_BDOPS_OPEN(fn) int fn(struct block_device *vdrep_bdev_arg, \
				    fmode_t vdrep_mode_arg)
#define vdrep_bdops_open_disk() (vdrep_bdev_arg->bd_disk)
#endif

/* ----------------------------------------------------------- genetlink */

#include <net/genetlink.h>

/* The attributes a dump request carried (parsed with the op's policy). */
static inline struct nlattr **vdrep_dump_attrs(struct netlink_callback *cb)
{
#ifdef VDREP_HAVE_GENL_INFO_DUMP
	return genl_info_dump(cb)->attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

/* ------------------------------------------------------------ workqueues */

/* A per-CPU workqueue is asked for by name from 6.17; 7.x warns without it. */
#ifdef VDREP_HAVE_WQ_PERCPU
#define VDREP_WQ_PERCPU	WQ_PERCPU
#else
#define VDREP_WQ_PERCPU	0
#endif

#endif /* VDREP_COMPAT_H */
