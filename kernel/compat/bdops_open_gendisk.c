// SPDX-License-Identifier: GPL-2.0
/* 6.5+: block_device_operations.open takes the gendisk and a blk_mode_t. */
#include <linux/blkdev.h>

static int vdrep_compat_open(struct gendisk *disk, blk_mode_t mode)
{
	return 0;
}

static void vdrep_compat_release(struct gendisk *disk)
{
}

extern const struct block_device_operations vdrep_compat_fops;
const struct block_device_operations vdrep_compat_fops = {
	.open = vdrep_compat_open,
	.release = vdrep_compat_release,
};
