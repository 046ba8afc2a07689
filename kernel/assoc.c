// SPDX-License-Identifier: GPL-2.0
/*
 * Association lifetime, phase changes and their announcements, and the
 * drain that lets an operation change how volume writes treat a target.
 *
 * An association holds its target open exclusively (holder = the
 * association), so nothing else writes it behind the mirror's back. It is
 * published in vol->assocs[] for the I/O path and in vol->slots[] for
 * completions; removal unpublishes it, waits for every bio holding a
 * reference, and only then releases the target.
 */
#include <linux/blkdev.h>
#include <linux/kobject.h>
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "vdrep.h"

#define VDREP_BACKLOG_DEFAULT	(16ULL << 20)

struct vdrep_assoc *vdrep_assoc_find(struct vdrep_volume *vol, const char *name)
{
	unsigned int i;

	lockdep_assert_held(&vdrep_volumes_lock);
	for (i = 0; i < VDREP_MAX_ASSOCS; i++) {
		struct vdrep_assoc *a = rcu_dereference_protected(vol->assocs[i],
					lockdep_is_held(&vdrep_volumes_lock));

		if (a && !strcmp(a->name, name))
			return a;
	}
	return NULL;
}

/* ---------------------------------------------------------------- phases */

/*
 * Move @a to @phase; caller holds a->lock. Keeps SyncTime (the moment the
 * two sides were last known equal) and RequestedCopyState (cleared once the
 * CopyState it asked for is reached) in step with it.
 */
void vdrep_assoc_set_phase_locked(struct vdrep_assoc *a, enum vdrep_phase phase)
{
	struct vdrep_report to;

	lockdep_assert_held(&a->lock);
	/* A transient phase remembers where it came from. */
	switch (phase) {
	case VDREP_PH_FRACTURING:
	case VDREP_PH_QUIESCING:
	case VDREP_PH_SUSPENDING:
	case VDREP_PH_FAILING_OVER:
	case VDREP_PH_ABORTING:
	case VDREP_PH_DETACHING:
		a->prev_phase = a->phase;
		break;
	case VDREP_PH_QUIESCED:
		break;		/* still the split's phase of origin */
	default:
		a->prev_phase = phase;
		break;
	}
	if (a->phase == VDREP_PH_SYNCHRONIZED || phase == VDREP_PH_SYNCHRONIZED)
		a->sync_time = ktime_get_real_ns();
	a->phase = phase;
	vdrep_phase_report(a->phase, a->prev_phase, &to);
	/* Reached, or ended by a fault: no operation is running any more. */
	if (to.copy_state == a->requested || phase == VDREP_PH_BROKEN)
		a->requested = VDREP_COPY_STATE_NOT_APPLICABLE;
}

/* Change @a's phase and announce it; process context. */
void vdrep_assoc_set_phase(struct vdrep_assoc *a, enum vdrep_phase phase)
{
	unsigned long flags;

	spin_lock_irqsave(&a->lock, flags);
	vdrep_assoc_set_phase_locked(a, phase);
	spin_unlock_irqrestore(&a->lock, flags);
	vdrep_assoc_announce(a);
}

/*
 * Tell userspace about @a's current state: a change notification on the
 * events group and a "change" uevent on the volume disk naming the states,
 * so udev rules can act without a helper program.
 */
void vdrep_assoc_announce(struct vdrep_assoc *a)
{
	struct kobject *kobj = &disk_to_dev(a->vol->disk)->kobj;
	struct vdrep_report r;
	unsigned long flags;
	char *envp[6] = {};
	int i;

	spin_lock_irqsave(&a->lock, flags);
	vdrep_phase_report(a->phase, a->prev_phase, &r);
	spin_unlock_irqrestore(&a->lock, flags);

	vdrep_assoc_notify(a, VDREP_CMD_ASSOC_CHANGE_NTF);

	envp[0] = kasprintf(GFP_KERNEL, "VDREP_VOLUME=%s", a->vol->name);
	envp[1] = kasprintf(GFP_KERNEL, "VDREP_ASSOC=%s", a->name);
	envp[2] = kasprintf(GFP_KERNEL, "VDREP_COPY_STATE=%s",
			    vdrep_copy_state_name(r.copy_state));
	envp[3] = kasprintf(GFP_KERNEL, "VDREP_SYNC_STATE=%s",
			    vdrep_sync_state_name(r.sync_state));
	envp[4] = kasprintf(GFP_KERNEL, "VDREP_PROGRESS_STATUS=%s",
			    vdrep_progress_status_name(r.progress_status));
	for (i = 0; i < 5; i++)
		if (!envp[i])
			goto out;
	kobject_uevent_env(kobj, KOBJ_CHANGE, envp);
out:
	for (i = 0; i < 5; i++)
		kfree(envp[i]);
}

static void vdrep_assoc_event_work(struct work_struct *work)
{
	vdrep_assoc_announce(container_of(work, struct vdrep_assoc, event_work));
}

/*
 * An I/O error on one side of @a (any context): count it, and unless the
 * target is already out of the picture, the association is Broken: writes
 * are tracked from now on and the copy engine stops.
 */
void vdrep_assoc_fault(struct vdrep_assoc *a, atomic64_t *counter)
{
	unsigned long flags;
	bool changed = false;

	atomic64_inc(counter);
	spin_lock_irqsave(&a->lock, flags);
	switch (a->phase) {
	case VDREP_PH_SYNCING:
	case VDREP_PH_RESYNCING:
	case VDREP_PH_PENDING:
	case VDREP_PH_SYNCHRONIZED:
	case VDREP_PH_RESTORING:
	case VDREP_PH_FAILING_BACK:
	case VDREP_PH_FRACTURING:
	case VDREP_PH_QUIESCING:
	case VDREP_PH_QUIESCED:
	case VDREP_PH_SUSPENDING:
	case VDREP_PH_FAILING_OVER:
		if (a->io_mode != VDREP_IO_REVERSE)
			WRITE_ONCE(a->io_mode, VDREP_IO_TRACK);
		vdrep_assoc_set_phase_locked(a, VDREP_PH_BROKEN);
		changed = true;
		break;
	default:
		break;
	}
	spin_unlock_irqrestore(&a->lock, flags);
	if (changed) {
		pr_warn_ratelimited("%s: association %s is broken (I/O error)\n",
				    a->vol->disk->disk_name, a->name);
		if (!READ_ONCE(a->going))
			queue_work(vdrep_wq, &a->event_work);
	}
}

/*
 * Make volume writes treat @a's target as @mode, and return only when no
 * bio that saw the previous mode is still in flight. A Broken association
 * stays tracking whatever is asked.
 */
void vdrep_assoc_drain(struct vdrep_assoc *a, enum vdrep_io_mode mode)
{
	unsigned int old;
	unsigned long flags;

	mutex_lock(&a->drain_mutex);
	spin_lock_irqsave(&a->lock, flags);
	if (a->phase == VDREP_PH_BROKEN && mode != VDREP_IO_REVERSE)
		mode = VDREP_IO_TRACK;
	WRITE_ONCE(a->io_mode, mode);
	old = a->io_gen & 1;
	/* Mode first: a bio that sees the new generation sees the new mode. */
	smp_store_release(&a->io_gen, a->io_gen + 1);
	spin_unlock_irqrestore(&a->lock, flags);
	synchronize_rcu();
	wait_event(a->io_wait, !atomic_read(&a->io_refs[old]));
	mutex_unlock(&a->drain_mutex);
}

u64 vdrep_assoc_bytes_behind(struct vdrep_assoc *a)
{
	unsigned long flags;
	u64 bytes;

	spin_lock_irqsave(&a->async_lock, flags);
	bytes = a->bytes_behind;
	spin_unlock_irqrestore(&a->async_lock, flags);
	return bytes;
}

/* -------------------------------------------------------------- lifetime */

static const char *vdrep_target_open_error(int err)
{
	switch (err) {
	case -ENOENT:
		return "cannot open target: no such file";
	case -ENOTBLK:
		return "target is not a block device";
	case -EBUSY:
		return "target is in use (the volume's source, another target, a mounted filesystem or another driver)";
	case -EACCES:
	case -EROFS:
		return "target cannot be opened for writing";
	case -ENXIO:
	case -ENODEV:
		return "target device is not present";
	default:
		return "cannot open target";
	}
}

static void vdrep_assoc_free(struct vdrep_assoc *a)
{
	vdrep_copy_exit(a);
	vdrep_chunkmap_exit(&a->async_dirty);
	vdrep_chunkmap_exit(&a->dirty);
	kfree(a->target_path);
	kfree(a);
}

/*
 * Create a mirror of @vol on @target_path, in its initial-copy phase unless
 * @prepare_only (the caller starts the copy). Caller holds
 * vdrep_volumes_lock and checked the name.
 */
struct vdrep_assoc *vdrep_assoc_create(struct vdrep_volume *vol, const char *name,
				       const char *target_path, u32 sync_mode,
				       u32 copy_priority, bool prepare_only,
				       bool view_writable, u64 rate_limit,
				       u64 backlog_limit, struct netlink_ext_ack *extack)
{
	struct block_device *target;
	struct vdrep_assoc *a;
	unsigned int id;
	int err;

	lockdep_assert_held(&vdrep_volumes_lock);
	for (id = 0; id < VDREP_MAX_ASSOCS; id++)
		if (!vol->slots[id])
			break;
	if (id == VDREP_MAX_ASSOCS) {
		NL_SET_ERR_MSG(extack, "volume has 16 associations, the most it can have");
		return ERR_PTR(-ENOSPC);
	}

	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return ERR_PTR(-ENOMEM);
	a->vol = vol;
	a->id = id;
	strscpy(a->name, name, sizeof(a->name));
	a->sync_type = VDREP_SYNC_TYPE_MIRROR;
	a->sync_mode = sync_mode;
	a->copy_priority = copy_priority;
	a->rate_limit = rate_limit;
	a->backlog_limit = backlog_limit ?: VDREP_BACKLOG_DEFAULT;
	a->view_writable = view_writable;
	a->requested = VDREP_COPY_STATE_NOT_APPLICABLE;
	a->last_percent = U32_MAX;
	spin_lock_init(&a->lock);
	mutex_init(&a->drain_mutex);
	init_waitqueue_head(&a->io_wait);
	spin_lock_init(&a->async_lock);
	INIT_LIST_HEAD(&a->async_queue);
	init_waitqueue_head(&a->async_wait);
	INIT_WORK(&a->async_work, vdrep_async_work);
	INIT_WORK(&a->event_work, vdrep_assoc_event_work);

	a->target_path = kstrdup(target_path, GFP_KERNEL);
	if (!a->target_path) {
		err = -ENOMEM;
		goto err_free;
	}
	err = vdrep_chunkmap_init(&a->dirty, vol->nr_chunks);
	if (!err)
		err = vdrep_chunkmap_init(&a->async_dirty, vol->nr_chunks);
	if (!err)
		err = vdrep_copy_init(a);
	if (err)
		goto err_free;

	err = vdrep_bdev_open(&a->target, target_path, a);
	if (err) {
		vdrep_extack(extack, NULL, vdrep_target_open_error(err));
		goto err_free;
	}
	target = a->target.bdev;
	err = -EINVAL;
	if (target->bd_disk->fops == &vdrep_volume_fops ||
	    target->bd_disk->fops == &vdrep_view_fops) {
		NL_SET_ERR_MSG(extack, "target is a vdrep device");
		goto err_close;
	}
	if (bdev_nr_sectors(target) < get_capacity(vol->disk)) {
		NL_SET_ERR_MSG(extack, "target is smaller than the volume");
		goto err_close;
	}
	if (bdev_logical_block_size(target) > queue_logical_block_size(vol->disk->queue)) {
		NL_SET_ERR_MSG(extack, "target's logical block size is larger than the volume's");
		goto err_close;
	}
	if (bdev_is_zoned(target)) {
		err = -EOPNOTSUPP;
		NL_SET_ERR_MSG(extack, "zoned target devices are not supported");
		goto err_close;
	}

	/* Nothing is on the target yet: every chunk differs. */
	vdrep_chunkmap_set_all(&a->dirty);
	a->phase = a->prev_phase = prepare_only ? VDREP_PH_PREPARED : VDREP_PH_SYNCING;
	if (!prepare_only)
		a->requested = VDREP_COPY_STATE_SYNCHRONIZED;
	/* The initial copy runs with writes mirrored (sync) or tracked (async). */
	a->io_mode = (prepare_only || vdrep_assoc_async(a)) ? VDREP_IO_TRACK
							    : VDREP_IO_SYNC;

	vol->slots[id] = a;
	rcu_assign_pointer(vol->assocs[id], a);
	WRITE_ONCE(vol->nr_assocs, vol->nr_assocs + 1);
	if (vol->nr_assocs == 1)
		vdrep_io_drain_plain(vol);

	pr_info("%s: %s mirror %s created on %s (%pg)%s\n", vol->disk->disk_name,
		vdrep_assoc_async(a) ? "asynchronous" : "synchronous", a->name,
		a->target_path, target, prepare_only ? ", prepared" : "");
	/* The caller starts the copy once it announced the association. */
	return a;

err_close:
	vdrep_bdev_close(&a->target);
err_free:
	vdrep_assoc_free(a);
	return ERR_PTR(err);
}

/*
 * Remove @a: stop its copy, drain its writes and queue, unpublish it, wait
 * for the last bio holding it, release the target. Caller holds
 * vdrep_volumes_lock, removed the view, and announced the destroy.
 */
void vdrep_assoc_destroy(struct vdrep_assoc *a)
{
	struct vdrep_volume *vol = a->vol;
	unsigned long flags;

	spin_lock_irqsave(&a->lock, flags);
	WRITE_ONCE(a->going, true);
	spin_unlock_irqrestore(&a->lock, flags);
	vdrep_copy_stop(a);
	vdrep_assoc_drain(a, VDREP_IO_TRACK);
	vdrep_async_wait_empty(a);

	if (rcu_access_pointer(vol->redirect) == a)
		rcu_assign_pointer(vol->redirect, NULL);
	RCU_INIT_POINTER(vol->assocs[a->id], NULL);
	WRITE_ONCE(vol->nr_assocs, vol->nr_assocs - 1);
	synchronize_rcu();
	wait_event(a->io_wait, !atomic_read(&a->io_refs[0]) &&
			       !atomic_read(&a->io_refs[1]));
	/*
	 * Completions drop their last reference, and queue their last work,
	 * under RCU: after this grace period nothing queues work any more.
	 */
	synchronize_rcu();
	cancel_delayed_work_sync(&a->copy_work);
	cancel_work_sync(&a->async_work);
	cancel_work_sync(&a->event_work);
	vol->slots[a->id] = NULL;

	vdrep_bdev_close(&a->target);
	pr_info("%s: association %s removed\n", vol->disk->disk_name, a->name);
	vdrep_assoc_free(a);
}
