// SPDX-License-Identifier: GPL-2.0
/* 6.9+: blk_alloc_disk() takes the queue limits and returns an ERR_PTR. */
#include <linux/blkdev.h>

struct gendisk *vdrep_compat_test(struct queue_limits *lim);

struct gendisk *vdrep_compat_test(struct queue_limits *lim)
{
	return blk_alloc_disk(lim, NUMA_NO_NODE);
}
