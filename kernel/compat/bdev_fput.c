// SPDX-License-Identifier: GPL-2.0
/* 6.10+: bdev_fput() yields the exclusive claim before returning. */
#include <linux/blkdev.h>

void vdrep_compat_test(struct file *f);

void vdrep_compat_test(struct file *f)
{
	bdev_fput(f);
}
