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
#include "../uapi/linux/vdrep_meta.h"

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
	if (vdrep_is_mirror(a) &&
	    (a->phase == VDREP_PH_SYNCHRONIZED || phase == VDREP_PH_SYNCHRONIZED))
		a->sync_time = ktime_get_real_ns();
	a->phase = phase;
	vdrep_phase_report(a->sync_type, a->phase, a->prev_phase, &to);
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
	vdrep_phase_report(a->sync_type, a->phase, a->prev_phase, &r);
	spin_unlock_irqrestore(&a->lock, flags);

	vdrep_assoc_notify(a, VDREP_CMD_ASSOC_CHANGE_NTF);
	vdrep_meta_changed(a->vol);

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

enum vdrep_phase vdrep_assoc_phase(struct vdrep_assoc *a)
{
	unsigned long flags;
	enum vdrep_phase phase;

	spin_lock_irqsave(&a->lock, flags);
	phase = a->phase;
	spin_unlock_irqrestore(&a->lock, flags);
	return phase;
}

/* What volume writes do to a broken association's target: nothing more. */
static enum vdrep_io_mode vdrep_broken_mode(struct vdrep_assoc *a)
{
	return vdrep_is_mirror(a) ? VDREP_IO_TRACK : VDREP_IO_NONE;
}

/* Whether a fault in @phase breaks @a (else its target is out of use). */
static bool vdrep_fault_breaks(struct vdrep_assoc *a, enum vdrep_phase phase)
{
	switch (phase) {
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
		return true;
	case VDREP_PH_SPLIT:
	case VDREP_PH_SKEWED:
	case VDREP_PH_SUSPENDED:
		/* A snapshot or clone still preserves the source here. */
		return !vdrep_is_mirror(a);
	default:
		return false;
	}
}

/*
 * Make @a Broken (any context), unless its target is already out of use;
 * true if it changed. Writes stop using the target and the copy stops.
 */
static bool vdrep_assoc_break_quiet(struct vdrep_assoc *a)
{
	unsigned long flags;
	bool changed = false;

	spin_lock_irqsave(&a->lock, flags);
	if (vdrep_fault_breaks(a, a->phase)) {
		if (a->io_mode != VDREP_IO_REVERSE)
			WRITE_ONCE(a->io_mode, vdrep_broken_mode(a));
		vdrep_assoc_set_phase_locked(a, VDREP_PH_BROKEN);
		changed = true;
	}
	spin_unlock_irqrestore(&a->lock, flags);
	if (changed && !READ_ONCE(a->going))
		queue_work(vdrep_wq, &a->event_work);
	return changed;
}

/* @a cannot go on for a reason other than an I/O error (store full). */
void vdrep_assoc_break(struct vdrep_assoc *a, const char *why)
{
	if (vdrep_assoc_break_quiet(a))
		pr_warn_ratelimited("%s: association %s is broken: %s\n",
				    a->vol->disk->disk_name, a->name, why);
}

/*
 * An I/O error on one side of @a (any context): count it, and unless the
 * target is already out of the picture, the association is Broken: writes
 * are tracked from now on and the copy engine stops.
 */
void vdrep_assoc_fault(struct vdrep_assoc *a, atomic64_t *counter)
{
	atomic64_inc(counter);
	if (vdrep_assoc_break_quiet(a))
		pr_warn_ratelimited("%s: association %s is broken (I/O error)\n",
				    a->vol->disk->disk_name, a->name);
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
		mode = vdrep_broken_mode(a);
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
	vdrep_meta_assoc_exit(a);
	vdrep_store_exit(a);
	xa_destroy(&a->store_map);
	vdrep_chunkmap_exit(&a->restore);
	vdrep_chunkmap_exit(&a->changed);
	vdrep_chunkmap_exit(&a->async_dirty);
	vdrep_chunkmap_exit(&a->dirty);
	kfree(a->target_path);
	kfree(a);
}

/*
 * An unsync-unassoc clone is complete: it goes, releasing its target. The
 * request names it rather than pointing at it, so a detach that wins the
 * race has nothing to wait for.
 */
struct vdrep_remove_req {
	struct work_struct work;
	char volume[VDREP_NAME_MAX_LEN + 1];
	char assoc[VDREP_NAME_MAX_LEN + 1];
};

static void vdrep_assoc_remove_work(struct work_struct *work)
{
	struct vdrep_remove_req *req = container_of(work, struct vdrep_remove_req, work);
	struct netlink_ext_ack extack = {};
	struct vdrep_volume *vol;
	struct vdrep_assoc *a = NULL;

	mutex_lock(&vdrep_volumes_lock);
	vol = vdrep_volume_find(req->volume);
	if (vol)
		a = vdrep_assoc_find(vol, req->assoc);
	if (a && vdrep_is_clone(a) && a->copy_type == VDREP_COPY_TYPE_UNSYNC_UNASSOC &&
	    vdrep_assoc_phase(a) == VDREP_PH_SPLIT && vdrep_assoc_detach(a, &extack))
		pr_warn("%s: clone %s is complete but stays: %s\n", vol->disk->disk_name,
			req->assoc, extack._msg ?: "cannot remove it");
	mutex_unlock(&vdrep_volumes_lock);
	kfree(req);
}

void vdrep_assoc_remove_when_done(struct vdrep_assoc *a)
{
	struct vdrep_remove_req *req = kzalloc(sizeof(*req), GFP_KERNEL);

	if (!req) {
		pr_warn("%s: clone %s is complete but stays: no memory\n",
			a->vol->disk->disk_name, a->name);
		return;
	}
	INIT_WORK(&req->work, vdrep_assoc_remove_work);
	strscpy(req->volume, a->vol->name, sizeof(req->volume));
	strscpy(req->assoc, a->name, sizeof(req->assoc));
	queue_work(vdrep_wq, &req->work);
}

/* Checks of the target against the volume and the kind; 0 or an errno. */
static int vdrep_assoc_check_target(struct vdrep_assoc *a, struct netlink_ext_ack *extack)
{
	struct vdrep_volume *vol = a->vol;
	struct block_device *target = a->target.bdev;
	u64 chunks = bdev_nr_sectors(target) >> vol->chunk_shift;

	if (target->bd_disk->fops == &vdrep_volume_fops ||
	    target->bd_disk->fops == &vdrep_view_fops) {
		NL_SET_ERR_MSG(extack, "target is a vdrep device");
		return -EINVAL;
	}
	if (vdrep_is_snapshot(a)) {
		/* Header and map first, then at least one data slot. */
		if (vdrep_store_layout(a, chunks)) {
			NL_SET_ERR_MSG(extack, "snapshot store is too small: it needs 8 KiB (at least a chunk) of header, a chunk of map and a chunk of data");
			return -EINVAL;
		}
		if (bdev_logical_block_size(target) > VDREP_STORE_BLOCK) {
			NL_SET_ERR_MSG(extack, "snapshot store's logical block size is above 4096 bytes");
			return -EINVAL;
		}
	} else if (bdev_nr_sectors(target) < get_capacity(vol->disk)) {
		NL_SET_ERR_MSG(extack, "target is smaller than the volume");
		return -EINVAL;
	}
	if (bdev_logical_block_size(target) > queue_logical_block_size(vol->disk->queue)) {
		NL_SET_ERR_MSG(extack, "target's logical block size is larger than the volume's");
		return -EINVAL;
	}
	if (bdev_is_zoned(target)) {
		NL_SET_ERR_MSG(extack, "zoned target devices are not supported");
		return -EOPNOTSUPP;
	}
	return 0;
}

static const char *const vdrep_kind_names[] = {
	[VDREP_SYNC_TYPE_MIRROR] = "mirror",
	[VDREP_SYNC_TYPE_SNAPSHOT] = "snapshot",
	[VDREP_SYNC_TYPE_CLONE] = "clone",
};

/*
 * A new association of @vol in slot @id as @p says, with its target open
 * and checked, not yet published; phase and maps are the caller's to set.
 */
static struct vdrep_assoc *vdrep_assoc_alloc(struct vdrep_volume *vol, u32 id,
					     const struct vdrep_assoc_params *p,
					     struct netlink_ext_ack *extack)
{
	struct vdrep_assoc *a;
	int err;

	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return ERR_PTR(-ENOMEM);
	a->vol = vol;
	a->id = id;
	strscpy(a->name, p->name, sizeof(a->name));
	a->sync_type = p->sync_type;
	a->sync_mode = p->sync_mode;
	a->copy_type = p->copy_type;
	a->copy_priority = p->copy_priority;
	a->rate_limit = p->rate_limit;
	a->backlog_limit = p->backlog_limit ?: VDREP_BACKLOG_DEFAULT;
	a->view_writable = p->view_writable;
	a->requested = VDREP_COPY_STATE_NOT_APPLICABLE;
	a->last_percent = U32_MAX;
	a->resume_phase = VDREP_PH_SYNCING;
	spin_lock_init(&a->lock);
	mutex_init(&a->drain_mutex);
	init_waitqueue_head(&a->io_wait);
	init_waitqueue_head(&a->view_wait);
	spin_lock_init(&a->async_lock);
	INIT_LIST_HEAD(&a->async_queue);
	init_waitqueue_head(&a->async_wait);
	INIT_WORK(&a->async_work, vdrep_async_work);
	INIT_WORK(&a->event_work, vdrep_assoc_event_work);
	INIT_WORK(&a->restore_work, vdrep_snapshot_restore_work);
	xa_init(&a->store_map);

	a->target_path = kstrdup(p->target_path, GFP_KERNEL);
	if (!a->target_path) {
		err = -ENOMEM;
		goto err_free;
	}
	err = vdrep_chunkmap_init(&a->dirty, vol->nr_chunks);
	if (!err)
		err = vdrep_chunkmap_init(&a->async_dirty, vol->nr_chunks);
	if (!err)
		err = vdrep_chunkmap_init(&a->changed, vol->nr_chunks);
	if (!err)
		err = vdrep_chunkmap_init(&a->restore, vol->nr_chunks);
	if (!err)
		err = vdrep_copy_init(a);
	if (!err)
		err = vdrep_meta_assoc_init(a);
	if (!err)
		err = vdrep_store_init(a);
	if (err)
		goto err_free;

	err = vdrep_bdev_open(&a->target, p->target_path, a);
	if (err) {
		vdrep_extack(extack, NULL, vdrep_target_open_error(err));
		goto err_free;
	}
	err = vdrep_assoc_check_target(a, extack);
	if (err) {
		vdrep_bdev_close(&a->target);
		goto err_free;
	}
	return a;

err_free:
	vdrep_assoc_free(a);
	return ERR_PTR(err);
}

/* Make @a visible to the I/O path; every bio still in flight saw it. */
static void vdrep_assoc_publish(struct vdrep_assoc *a)
{
	struct vdrep_volume *vol = a->vol;

	vol->slots[a->id] = a;
	rcu_assign_pointer(vol->assocs[a->id], a);
	WRITE_ONCE(vol->nr_assocs, vol->nr_assocs + 1);
	if (vol->nr_assocs == 1)
		vdrep_io_drain_plain(vol);
	vdrep_volume_drain(vol);
}

/*
 * Create an association of @vol as @p says, in its first phase (prepared,
 * or the initial copy; a snapshot is taken at once). Caller holds
 * vdrep_volumes_lock, checked the name, and starts the copy with
 * vdrep_assoc_start() once it announced the association.
 */
struct vdrep_assoc *vdrep_assoc_create(struct vdrep_volume *vol,
				       const struct vdrep_assoc_params *p,
				       struct netlink_ext_ack *extack)
{
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
	if (rcu_access_pointer(vol->redirect)) {
		NL_SET_ERR_MSG(extack, "the volume is failed over or restoring: its source is not the current image");
		return ERR_PTR(-EBUSY);
	}

	a = vdrep_assoc_alloc(vol, id, p, extack);
	if (IS_ERR(a))
		return a;

	if (vdrep_is_snapshot(a) && !p->prepare_only) {
		/* The point in time: its store header is written before any write preserves. */
		a->sync_time = ktime_get_real_ns();
		err = vdrep_store_take(a);
		if (err) {
			NL_SET_ERR_MSG(extack, "cannot write the snapshot store's header");
			vdrep_bdev_close(&a->target);
			vdrep_assoc_free(a);
			return ERR_PTR(err);
		}
	}
	if (vdrep_is_snapshot(a)) {
		/* Nothing preserved yet; the point in time is now (above). */
		a->phase = p->prepare_only ? VDREP_PH_PREPARED : VDREP_PH_SPLIT;
		a->io_mode = p->prepare_only ? VDREP_IO_NONE : VDREP_IO_COW;
	} else {
		/* Nothing is on the target yet: every chunk differs. */
		vdrep_chunkmap_set_all(&a->dirty);
		a->phase = p->prepare_only ? VDREP_PH_PREPARED : VDREP_PH_SYNCING;
		if (vdrep_is_clone(a))
			a->io_mode = p->prepare_only ? VDREP_IO_TRACK : VDREP_IO_COW;
		else	/* mirrored (sync) or tracked (async) during the copy */
			a->io_mode = (p->prepare_only || vdrep_assoc_async(a)) ?
				     VDREP_IO_TRACK : VDREP_IO_SYNC;
	}
	a->prev_phase = a->phase;
	/* A snapshot is complete at once; the others run their first copy. */
	if (!p->prepare_only && !vdrep_is_snapshot(a))
		a->requested = vdrep_op_requested_state(a->sync_type,
							VDREP_OPERATION_ACTIVATE);

	/* The point in time of a snapshot or clone, and what an activation relies on. */
	vdrep_assoc_publish(a);
	if (!vdrep_is_mirror(a) && !p->prepare_only) {
		if (!a->sync_time)
			a->sync_time = ktime_get_real_ns();
		if (vdrep_is_snapshot(a) || vdrep_is_clone(a)) {
			err = vdrep_view_create(a);
			if (err)
				pr_warn("%s: no view for %s: %d\n", vol->disk->disk_name,
					a->name, err);
		}
	}

	if (vdrep_is_mirror(a))
		pr_info("%s: %s mirror %s created on %s (%pg)%s\n", vol->disk->disk_name,
			vdrep_assoc_async(a) ? "asynchronous" : "synchronous", a->name,
			a->target_path, a->target.bdev, p->prepare_only ? ", prepared" : "");
	else
		pr_info("%s: %s %s created on %s (%pg)%s\n", vol->disk->disk_name,
			vdrep_kind_names[a->sync_type], a->name, a->target_path,
			a->target.bdev, p->prepare_only ? ", prepared" : "");
	return a;
}

/*
 * How volume writes treat the target of @a, restored in @phase: as the
 * operation that led there left it.
 */
static enum vdrep_io_mode vdrep_restored_io_mode(struct vdrep_assoc *a,
						 enum vdrep_phase phase)
{
	/* A snapshot preserves for its point in time, or has none (yet, or any more). */
	if (vdrep_is_snapshot(a))
		return (phase == VDREP_PH_SPLIT || phase == VDREP_PH_SKEWED ||
			phase == VDREP_PH_RESTORING) ? VDREP_IO_COW : VDREP_IO_NONE;
	/* Restoring, failing back: writes reach both sides; failed over: the target. */
	if (phase == VDREP_PH_RESTORING || phase == VDREP_PH_FAILING_BACK)
		return VDREP_IO_SYNC;
	if (phase == VDREP_PH_FAILEDOVER)
		return VDREP_IO_REVERSE;
	if (vdrep_is_clone(a)) {
		switch (phase) {
		case VDREP_PH_SYNCING:
		case VDREP_PH_RESYNCING:
		case VDREP_PH_SUSPENDED:	/* the fill pauses, the point in time holds */
			return VDREP_IO_COW;
		case VDREP_PH_SPLIT:
		case VDREP_PH_SKEWED:
		case VDREP_PH_BROKEN:
			return VDREP_IO_NONE;
		default:			/* prepared, aborted */
			return VDREP_IO_TRACK;
		}
	}
	switch (phase) {
	case VDREP_PH_SYNCING:
	case VDREP_PH_RESYNCING:
		return vdrep_assoc_async(a) ? VDREP_IO_TRACK : VDREP_IO_SYNC;
	case VDREP_PH_SYNCHRONIZED:
		return vdrep_assoc_async(a) ? VDREP_IO_ASYNC : VDREP_IO_SYNC;
	default:
		return VDREP_IO_TRACK;
	}
}

/*
 * Bring back association @id of @vol from the metadata device, in @phase
 * (vdrep_phase_from_report() of its record, already checked to be one
 * assemble handles). @p, @sync_time and @target_sectors are what the record
 * holds, @maps loads its two maps into the association (0 or an errno,
 * with @arg); @trusted says whether the maps cover every write: the last
 * commit was the clean one of a stop, or its writer kept write intents
 * (meta.c). If not, writes since the commit before may be missing from
 * the maps, so every chunk counts as differing, and a clone still taking
 * its point in time through copy-on-write comes back Broken. A snapshot's
 * point in time comes from its store (store.c), which is durable on its own.
 * Nothing starts: vdrep_assoc_resume() does, once the volume is visible.
 * Caller holds vdrep_volumes_lock.
 */
struct vdrep_assoc *vdrep_assoc_restore(struct vdrep_volume *vol, u32 id,
					const struct vdrep_assoc_params *p,
					enum vdrep_phase phase, u64 sync_time,
					u64 target_sectors, bool trusted,
					int (*maps)(struct vdrep_assoc *a, void *arg), void *arg,
					struct netlink_ext_ack *extack)
{
	struct vdrep_assoc *a;
	int err;

	lockdep_assert_held(&vdrep_volumes_lock);
	a = vdrep_assoc_alloc(vol, id, p, extack);
	if (IS_ERR(a))
		return a;
	if (bdev_nr_sectors(a->target.bdev) != target_sectors) {
		pr_err("%s: association %s: target %s has %llu sectors, the metadata recorded %llu\n",
		       vol->disk->disk_name, a->name, a->target_path,
		       (u64)bdev_nr_sectors(a->target.bdev), target_sectors);
		NL_SET_ERR_MSG(extack, "an association's target has another size than the metadata recorded: replaced? (kernel log names it)");
		err = -EINVAL;
		goto err_free;
	}
	err = maps(a, arg);
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot read an association's maps from the metadata device");
		goto err_free;
	}

	if (vdrep_is_snapshot(a)) {
		/*
		 * Its store says what it holds; the record's map may lag behind.
		 * A restore goes on with the chunks map 1 still names.
		 */
		vdrep_chunkmap_clear_all(&a->dirty);
		if (phase != VDREP_PH_RESTORING)
			vdrep_chunkmap_clear_all(&a->restore);
		if (phase == VDREP_PH_SPLIT || phase == VDREP_PH_SKEWED ||
		    phase == VDREP_PH_RESTORING) {
			err = vdrep_store_load(a, extack);
			if (err) {
				pr_err("%s: snapshot %s: its store on %s cannot be brought back (%d)\n",
				       vol->disk->disk_name, a->name, a->target_path, err);
				goto err_free;
			}
			sync_time = a->sync_time;
		}
	} else if (!trusted) {
		vdrep_chunkmap_set_all(&a->dirty);
		if (vdrep_is_clone(a)) {
			vdrep_chunkmap_set_all(&a->changed);
			/* Chunks preserved since the last commit are not in its map. */
			if (phase == VDREP_PH_SYNCING || phase == VDREP_PH_RESYNCING ||
			    phase == VDREP_PH_SUSPENDED)
				phase = VDREP_PH_BROKEN;
		}
	}
	/* A mirror with chunks to copy goes on copying them. */
	if (vdrep_is_mirror(a) && phase == VDREP_PH_SYNCHRONIZED &&
	    vdrep_chunkmap_weight(&a->dirty))
		phase = VDREP_PH_RESYNCING;
	if (vdrep_is_clone(a) && (phase == VDREP_PH_SYNCING || phase == VDREP_PH_RESYNCING))
		a->resume_phase = phase;

	a->phase = phase;
	a->prev_phase = phase;
	a->sync_time = sync_time;
	a->io_mode = vdrep_restored_io_mode(a, phase);
	if (vdrep_phase_copying(phase))
		a->requested = vdrep_op_requested_state(a->sync_type,
							VDREP_OPERATION_RESYNC);
	/* Failed over, failing back, restoring: the volume is served through it. */
	a->meta_redirect = phase == VDREP_PH_RESTORING || phase == VDREP_PH_FAILEDOVER ||
			   phase == VDREP_PH_FAILING_BACK;
	if (a->meta_redirect) {
		u32 op = phase == VDREP_PH_FAILEDOVER ? VDREP_OPERATION_FAILOVER :
			 phase == VDREP_PH_FAILING_BACK ? VDREP_OPERATION_FAILBACK :
			 VDREP_OPERATION_RESTORE;

		a->requested = vdrep_op_requested_state(a->sync_type, op);
		rcu_assign_pointer(vol->redirect, a);
	}
	vdrep_assoc_publish(a);
	pr_info("%s: %s %s brought back on %s (%pg), %llu chunks to copy%s\n",
		vol->disk->disk_name, vdrep_kind_names[a->sync_type], a->name,
		a->target_path, a->target.bdev, vdrep_chunkmap_weight(&a->dirty),
		trusted ? "" : " (maps not trusted after an unclean end: all of them)");
	return a;

err_free:
	vdrep_bdev_close(&a->target);
	vdrep_assoc_free(a);
	return ERR_PTR(err);
}

/*
 * A restored association goes on, once its volume is visible: its view
 * comes back and its copy restarts.
 */
void vdrep_assoc_resume(struct vdrep_assoc *a)
{
	enum vdrep_phase phase = vdrep_assoc_phase(a);
	bool view;
	int err;

	/* The phases the operations leading there create a view in. */
	switch (phase) {
	case VDREP_PH_FRACTURED:
	case VDREP_PH_SPLIT:
	case VDREP_PH_SKEWED:
		view = true;
		break;
	case VDREP_PH_SYNCING:
	case VDREP_PH_RESYNCING:
	case VDREP_PH_SUSPENDED:
	case VDREP_PH_RESTORING:	/* a snapshot's or clone's view stays */
		view = !vdrep_is_mirror(a);
		break;
	default:
		view = false;
		break;
	}
	if (view) {
		err = vdrep_view_create(a);
		if (err)
			pr_warn("%s: no view for %s: %d\n", a->vol->disk->disk_name,
				a->name, err);
	}
	if (vdrep_is_snapshot(a) && phase == VDREP_PH_RESTORING)
		queue_work(vdrep_wq, &a->restore_work);
	else if (phase == VDREP_PH_RESTORING || phase == VDREP_PH_FAILING_BACK)
		vdrep_copy_start(a, VDREP_COPY_TO_SOURCE);
	else if (vdrep_phase_copying(phase))
		vdrep_copy_start(a, VDREP_COPY_TO_TARGET);
}

/* Start the first copy of a new association (not prepared). */
void vdrep_assoc_start(struct vdrep_assoc *a)
{
	if (!vdrep_is_snapshot(a))
		vdrep_copy_start(a, VDREP_COPY_TO_TARGET);
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
	cancel_work_sync(&a->restore_work);
	vdrep_assoc_drain(a, VDREP_IO_NONE);
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
