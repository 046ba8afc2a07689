// SPDX-License-Identifier: GPL-2.0
/* 6.9+: block devices are opened as files. */
#include <linux/blkdev.h>

struct file *vdrep_compat_test(void);

struct file *vdrep_compat_test(void)
{
	return bdev_file_open_by_path("/dev/null", BLK_OPEN_READ, NULL, NULL);
}
