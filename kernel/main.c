// SPDX-License-Identifier: GPL-2.0
/*
 * vdrep module: load and unload, and the registry of volumes.
 *
 * Unloading with volumes present tears them down: the module can only be
 * removed when no volume disk is open (an open disk holds a module
 * reference), so every remaining volume is unopened and is destroyed as by
 * volume-destroy, its associations first (as by detach). The netlink family
 * goes first, so no command races the teardown; listeners see the family
 * disappear instead of destroy events.
 */
#include <linux/module.h>

#include "vdrep.h"

/* The control plane's lock (see "Locking" in vdrep.h). */
DEFINE_MUTEX(vdrep_volumes_lock);
DEFINE_XARRAY_ALLOC(vdrep_volumes);
/* Copy engines, async mirror queues, announcements, read retries. */
struct workqueue_struct *vdrep_wq;
struct workqueue_struct *vdrep_io_wq;

/* Caller holds vdrep_volumes_lock. */
struct vdrep_volume *vdrep_volume_find(const char *name)
{
	struct vdrep_volume *vol;
	unsigned long id;

	lockdep_assert_held(&vdrep_volumes_lock);
	xa_for_each(&vdrep_volumes, id, vol)
		if (!strcmp(vol->name, name))
			return vol;
	return NULL;
}

static int __init vdrep_init(void)
{
	int err;

	vdrep_wq = alloc_workqueue("vdrep", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	if (!vdrep_wq)
		return -ENOMEM;
	/*
	 * A bio that must wait for a copy-on-write runs its copy on the CPU
	 * that submitted it: no cross-CPU wakeup on the way, the submitter
	 * sleeps meanwhile, and the pages it touches are that CPU's.
	 */
	vdrep_io_wq = alloc_workqueue("vdrep_io", WQ_MEM_RECLAIM | VDREP_WQ_PERCPU, 0);
	if (!vdrep_io_wq) {
		destroy_workqueue(vdrep_wq);
		return -ENOMEM;
	}
	err = vdrep_netlink_init();
	if (err) {
		destroy_workqueue(vdrep_io_wq);
		destroy_workqueue(vdrep_wq);
		return err;
	}
	pr_info("loaded, netlink family %s version %u\n",
		VDREP_FAMILY_NAME, VDREP_FAMILY_VERSION);
	return 0;
}

static void __exit vdrep_exit(void)
{
	struct vdrep_volume *vol;
	unsigned long id;

	vdrep_netlink_exit();

	mutex_lock(&vdrep_volumes_lock);
	xa_for_each(&vdrep_volumes, id, vol) {
		unsigned int i;

		/*
		 * Unloading stops volumes, it does not destroy them: the last
		 * commit keeps the associations' records and maps.
		 */
		vdrep_meta_stop(vol);
		/* Unopened views: an open one would have kept the module in. */
		for (i = 0; i < VDREP_MAX_ASSOCS; i++) {
			struct vdrep_assoc *a = vol->slots[i];

			if (!a)
				continue;
			WARN_ON(vdrep_view_remove(a, NULL));
			vdrep_assoc_destroy(a);
		}
		/* Cannot fail: an open volume would have kept the module in. */
		WARN_ON(vdrep_volume_destroy_check(vol, NULL));
		vdrep_volume_destroy(vol);
	}
	mutex_unlock(&vdrep_volumes_lock);
	xa_destroy(&vdrep_volumes);
	destroy_workqueue(vdrep_io_wq);
	destroy_workqueue(vdrep_wq);
}

module_init(vdrep_init);
module_exit(vdrep_exit);

MODULE_DESCRIPTION("vdrep: block device mirrors, snapshots and clones");
MODULE_AUTHOR("The vdrep developers");
MODULE_LICENSE("GPL");
MODULE_ALIAS_GENL_FAMILY(VDREP_FAMILY_NAME);
