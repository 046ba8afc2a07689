// SPDX-License-Identifier: GPL-2.0
/* 6.9+: limits are stacked into a queue_limits before the disk exists. */
#include <linux/blkdev.h>

void vdrep_compat_test(struct queue_limits *lim, struct block_device *bdev);

void vdrep_compat_test(struct queue_limits *lim, struct block_device *bdev)
{
	queue_limits_stack_bdev(lim, bdev, 0, "vdrep");
}
