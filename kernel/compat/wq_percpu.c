// SPDX-License-Identifier: GPL-2.0
/* 6.17+: a per-CPU workqueue says so (WQ_PERCPU); later kernels warn when it does not. */
#include <linux/workqueue.h>

unsigned int vdrep_compat_test(void);

unsigned int vdrep_compat_test(void)
{
	return WQ_PERCPU;
}
