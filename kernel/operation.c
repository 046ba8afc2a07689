// SPDX-License-Identifier: GPL-2.0
/*
 * Operations on associations (DESIGN.md section 3), run by assoc-modify under
 * vdrep_volumes_lock. Each checks the phase against the table in state.c
 * (nothing changes when refused), sets RequestedCopyState, goes through its
 * in-progress phase (announced) and either ends in its final phase or, for
 * copies, hands over to the copy engine, which ends it.
 *
 * Quiescing operations (fracture, split, suspend, abort, failover) stop the
 * copy engine, switch volume writes to tracking (or reverse) and drain those
 * issued before, and for an asynchronous mirror wait until its queue has
 * reached the target, so the target is exactly as the phase says.
 */
#include <linux/blkdev.h>
#include <linux/ktime.h>

#include "vdrep.h"

static void vdrep_assoc_request(struct vdrep_assoc *a, u32 op)
{
	unsigned long flags;

	spin_lock_irqsave(&a->lock, flags);
	a->requested = vdrep_op_requested_state(a->sync_type, op);
	spin_unlock_irqrestore(&a->lock, flags);
}

/* A snapshot or clone of the volume other than @a preserves the source. */
static bool vdrep_other_preserving(struct vdrep_assoc *a)
{
	struct vdrep_volume *vol = a->vol;
	unsigned int i;

	for (i = 0; i < VDREP_MAX_ASSOCS; i++) {
		struct vdrep_assoc *o = vol->slots[i];

		if (o && o != a && READ_ONCE(o->io_mode) == VDREP_IO_COW)
			return true;
	}
	return false;
}

/*
 * Another association would miss what a restore from @a writes to the
 * source: a mirror whose writes reach its target, or (unless @a is a
 * snapshot, whose restore preserves for the others) a snapshot or clone.
 */
static const char *vdrep_restore_conflict(struct vdrep_assoc *a)
{
	struct vdrep_volume *vol = a->vol;
	unsigned int i;

	for (i = 0; i < VDREP_MAX_ASSOCS; i++) {
		struct vdrep_assoc *o = vol->slots[i];
		enum vdrep_io_mode mode;

		if (!o || o == a)
			continue;
		mode = READ_ONCE(o->io_mode);
		if (mode == VDREP_IO_SYNC || mode == VDREP_IO_ASYNC)
			return "another mirror of the volume is in sync and would miss the restored data: fracture it first";
	}
	if (!vdrep_is_snapshot(a) && vdrep_other_preserving(a))
		return "a snapshot or clone of the volume preserves its source, which this restore would bypass";
	return NULL;
}

/* Another association holds the volume's reads (failed over, restoring). */
static bool vdrep_other_redirect(struct vdrep_assoc *a)
{
	struct vdrep_assoc *r = rcu_dereference_protected(a->vol->redirect,
				lockdep_is_held(&vdrep_volumes_lock));

	return r && r != a;
}

/* Another association of the volume is copying. */
static bool vdrep_other_copying(struct vdrep_assoc *a)
{
	struct vdrep_volume *vol = a->vol;
	unsigned int i;

	for (i = 0; i < VDREP_MAX_ASSOCS; i++) {
		struct vdrep_assoc *o = vol->slots[i];

		if (o && o != a && vdrep_phase_copying(vdrep_assoc_phase(o)))
			return true;
	}
	return false;
}

/* Stop writing the target, and wait until it holds all it was sent. */
static void vdrep_quiesce(struct vdrep_assoc *a)
{
	vdrep_copy_stop(a);
	vdrep_assoc_drain(a, VDREP_IO_TRACK);
	vdrep_async_wait_empty(a);
}

/*
 * An asynchronous mirror went Pending between the check and the quiesce:
 * the target is behind, so the operation cannot end as asked. Resync and
 * tell the caller to try again.
 */
static int vdrep_fell_behind(struct vdrep_assoc *a, struct netlink_ext_ack *extack)
{
	vdrep_assoc_set_phase(a, VDREP_PH_RESYNCING);
	vdrep_assoc_drain(a, vdrep_assoc_async(a) ? VDREP_IO_TRACK : VDREP_IO_SYNC);
	vdrep_copy_start(a, VDREP_COPY_TO_TARGET);
	NL_SET_ERR_MSG(extack, "the mirror fell behind its source and is resyncing; retry once it is synchronized");
	return -EAGAIN;
}

/* The target failed while the operation quiesced it. */
static int vdrep_broke(struct vdrep_assoc *a, struct netlink_ext_ack *extack)
{
	vdrep_assoc_announce(a);
	NL_SET_ERR_MSG(extack, "the target failed during the operation: the association is broken");
	return -EIO;
}

/* Start copying toward the target: activate, resync, resume. */
static void vdrep_start_resync(struct vdrep_assoc *a, enum vdrep_phase phase)
{
	vdrep_assoc_set_phase(a, phase);
	/* Async mirrors track during the copy and queue again once equal. */
	vdrep_assoc_drain(a, vdrep_assoc_async(a) ? VDREP_IO_TRACK : VDREP_IO_SYNC);
	vdrep_copy_start(a, VDREP_COPY_TO_TARGET);
}

/*
 * Copy a mirror's or clone's target back to the source, serving the
 * target's image at once. The record says so first (a mirror's map 0 holds
 * the chunks to copy already).
 */
static int vdrep_start_restore(struct vdrep_assoc *a, enum vdrep_phase phase,
			       struct netlink_ext_ack *extack)
{
	int err = vdrep_meta_redirect(a, extack);

	if (err)
		return err;
	vdrep_assoc_set_phase(a, phase);
	/* Writes reach both sides, so the target stays the image to serve. */
	vdrep_assoc_drain(a, VDREP_IO_SYNC);
	rcu_assign_pointer(a->vol->redirect, a);
	vdrep_copy_start(a, VDREP_COPY_TO_SOURCE);
	return 0;
}

static int vdrep_op_split(struct vdrep_assoc *a, struct netlink_ext_ack *extack)
{
	int err;

	vdrep_assoc_set_phase(a, VDREP_PH_QUIESCING);
	vdrep_quiesce(a);
	if (vdrep_assoc_phase(a) == VDREP_PH_BROKEN)
		return vdrep_broke(a, extack);
	if (vdrep_chunkmap_weight(&a->dirty))
		return vdrep_fell_behind(a, extack);
	vdrep_assoc_set_phase(a, VDREP_PH_QUIESCED);
	/* Both sides durable: the target is a consistent image. */
	err = blkdev_issue_flush(a->vol->source.bdev);
	if (err)
		pr_warn("%s: flush of the source failed during split of %s: %d\n",
			a->vol->disk->disk_name, a->name, err);
	if (blkdev_issue_flush(a->target.bdev))
		vdrep_assoc_fault(a, &a->target_write_errors);
	if (vdrep_assoc_phase(a) == VDREP_PH_BROKEN)
		return vdrep_broke(a, extack);
	vdrep_assoc_set_phase(a, VDREP_PH_SPLIT);
	return vdrep_view_create(a);
}

static int vdrep_op_failover(struct vdrep_assoc *a, struct netlink_ext_ack *extack)
{
	int err;

	vdrep_assoc_set_phase(a, VDREP_PH_FAILING_OVER);
	vdrep_copy_stop(a);
	/* Every write reaches both sides, and the async queue lands. */
	vdrep_assoc_drain(a, VDREP_IO_SYNC);
	vdrep_async_wait_empty(a);
	if (vdrep_assoc_phase(a) == VDREP_PH_BROKEN)
		return vdrep_broke(a, extack);
	if (vdrep_chunkmap_weight(&a->dirty))
		return vdrep_fell_behind(a, extack);
	/* Both sides equal: the record says the target serves, then it does. */
	err = vdrep_meta_redirect(a, extack);
	if (err) {
		vdrep_assoc_set_phase(a, VDREP_PH_SYNCHRONIZED);
		vdrep_assoc_drain(a, vdrep_assoc_async(a) ? VDREP_IO_ASYNC : VDREP_IO_SYNC);
		return err;
	}
	rcu_assign_pointer(a->vol->redirect, a);
	vdrep_assoc_drain(a, VDREP_IO_REVERSE);
	vdrep_assoc_set_phase(a, VDREP_PH_FAILEDOVER);
	return 0;
}

/* ------------------------------------------------------------ snapshots */

/* Take the point in time: from now on writes preserve what it needs. */
static int vdrep_snapshot_take(struct vdrep_assoc *a, struct netlink_ext_ack *extack)
{
	u64 now = ktime_get_real_ns();
	unsigned long flags;
	int err;

	/* Its store's header first: no write preserves for it before. */
	spin_lock_irqsave(&a->lock, flags);
	a->sync_time = now;
	spin_unlock_irqrestore(&a->lock, flags);
	err = vdrep_store_take(a);
	if (err) {
		vdrep_assoc_break(a, "cannot write its store's header");
		vdrep_assoc_announce(a);
		NL_SET_ERR_MSG(extack, "cannot write the snapshot store's header: the snapshot is broken");
		return err;
	}
	vdrep_assoc_drain(a, VDREP_IO_COW);
	spin_lock_irqsave(&a->lock, flags);
	vdrep_assoc_set_phase_locked(a, VDREP_PH_SPLIT);
	spin_unlock_irqrestore(&a->lock, flags);
	vdrep_assoc_announce(a);
	return vdrep_view_create(a);
}

/* A new point in time: no write preserves for the old one, the store empties. */
static int vdrep_snapshot_resync(struct vdrep_assoc *a, struct netlink_ext_ack *extack)
{
	vdrep_assoc_set_phase(a, VDREP_PH_RESYNCING);
	vdrep_assoc_drain(a, VDREP_IO_NONE);
	vdrep_snapshot_reset(a);
	atomic64_set(&a->copied_chunks, 0);
	return vdrep_snapshot_take(a, extack);
}

/*
 * Copy the stored chunks back to the source. I/O to a chunk not yet
 * restored restores it first (cow.c), so the volume shows the snapshot's
 * image as soon as this returns; a worker does the rest.
 */
static int vdrep_snapshot_restore(struct vdrep_assoc *a, struct netlink_ext_ack *extack)
{
	struct vdrep_volume *vol = a->vol;
	int err;

	if (rcu_access_pointer(vol->redirect) != a) {
		/* The chunks to restore (map 1) are in the record before it says so. */
		vdrep_chunkmap_merge(&a->restore, &a->dirty, false);
		err = vdrep_meta_redirect(a, extack);
		if (err) {
			vdrep_chunkmap_clear_all(&a->restore);
			return err;
		}
	}
	vdrep_assoc_set_phase(a, VDREP_PH_RESTORING);
	a->last_percent = U32_MAX;
	atomic64_set(&a->copied_chunks, 0);
	if (rcu_access_pointer(vol->redirect) != a) {
		rcu_assign_pointer(vol->redirect, a);
		/* Bios that missed the redirect are done before the restore runs. */
		vdrep_volume_drain(vol);
	}
	queue_work(vdrep_wq, &a->restore_work);
	return 0;
}

static int vdrep_snapshot_operate(struct vdrep_assoc *a, u32 op,
				  struct netlink_ext_ack *extack)
{
	switch (op) {
	case VDREP_OPERATION_ACTIVATE:
		return vdrep_snapshot_take(a, extack);
	case VDREP_OPERATION_RESYNC:
		/* Broken during a restore: the restore is what must go on. */
		if (rcu_access_pointer(a->vol->redirect) == a)
			return vdrep_snapshot_restore(a, extack);
		return vdrep_snapshot_resync(a, extack);
	case VDREP_OPERATION_RESTORE:
		return vdrep_snapshot_restore(a, extack);
	default:
		return -EINVAL;
	}
}

/* --------------------------------------------------------------- clones */

/*
 * Start filling @a from a new point in time: the chunks changed since the
 * last one are copied again, and writes preserve them meanwhile.
 */
static int vdrep_clone_fill(struct vdrep_assoc *a, enum vdrep_phase phase)
{
	unsigned long flags;

	vdrep_assoc_set_phase(a, phase);
	/* Writes mark dirty while the changed chunks join the dirty ones. */
	vdrep_assoc_drain(a, VDREP_IO_TRACK);
	vdrep_chunkmap_merge(&a->dirty, &a->changed, true);
	vdrep_assoc_drain(a, VDREP_IO_COW);
	spin_lock_irqsave(&a->lock, flags);
	a->sync_time = ktime_get_real_ns();
	a->resume_phase = phase;
	spin_unlock_irqrestore(&a->lock, flags);
	vdrep_copy_start(a, VDREP_COPY_TO_TARGET);
	return vdrep_view_create(a);
}

/*
 * Copy the clone's image back to the source, serving it at once. The
 * record says so, with the chunks to copy in map 0, before it is served;
 * if that write fails, the metadata is read-only from then on (announced)
 * and the restore goes on in memory.
 */
static void vdrep_clone_restore(struct vdrep_assoc *a)
{
	vdrep_assoc_set_phase(a, VDREP_PH_RESTORING);
	vdrep_assoc_drain(a, VDREP_IO_TRACK);
	vdrep_chunkmap_merge(&a->dirty, &a->changed, true);
	vdrep_meta_redirect(a, NULL);
	rcu_assign_pointer(a->vol->redirect, a);
	/* Writes reach both sides, so the target stays the image to serve. */
	vdrep_assoc_drain(a, VDREP_IO_SYNC);
	vdrep_copy_start(a, VDREP_COPY_TO_SOURCE);
}

static int vdrep_clone_operate(struct vdrep_assoc *a, u32 op, struct netlink_ext_ack *extack)
{
	switch (op) {
	case VDREP_OPERATION_ACTIVATE:
		return vdrep_clone_fill(a, VDREP_PH_SYNCING);
	case VDREP_OPERATION_SUSPEND:
		/* The fill pauses; writes still preserve the point in time. */
		vdrep_assoc_set_phase(a, VDREP_PH_SUSPENDING);
		vdrep_copy_stop(a);
		if (vdrep_assoc_phase(a) != VDREP_PH_BROKEN)
			vdrep_assoc_set_phase(a, VDREP_PH_SUSPENDED);
		return 0;
	case VDREP_OPERATION_RESUME:
		vdrep_assoc_set_phase(a, a->resume_phase);
		vdrep_copy_start(a, VDREP_COPY_TO_TARGET);
		return 0;
	case VDREP_OPERATION_ABORT:
		/* The point in time is given up: writes mark what to copy. */
		vdrep_assoc_set_phase(a, VDREP_PH_ABORTING);
		vdrep_copy_stop(a);
		vdrep_assoc_drain(a, VDREP_IO_TRACK);
		if (vdrep_assoc_phase(a) != VDREP_PH_BROKEN)
			vdrep_assoc_set_phase(a, VDREP_PH_ABORTED);
		return 0;
	case VDREP_OPERATION_RESYNC:
		if (rcu_access_pointer(a->vol->redirect) == a)
			return vdrep_start_restore(a, VDREP_PH_RESTORING, extack);
		return vdrep_clone_fill(a, VDREP_PH_RESYNCING);
	case VDREP_OPERATION_RESTORE:
		vdrep_clone_restore(a);
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * Run @op on @a. Caller holds vdrep_volumes_lock. Detach is done by the
 * netlink handler (it ends in a destroy notification).
 */
int vdrep_assoc_operate(struct vdrep_assoc *a, u32 op, struct netlink_ext_ack *extack)
{
	enum vdrep_phase phase = vdrep_assoc_phase(a);
	const char *msg;
	int err;

	lockdep_assert_held(&vdrep_volumes_lock);
	msg = vdrep_op_check(a->sync_type, op, phase, &err);
	if (msg) {
		vdrep_extack(extack, NULL, msg);
		return err;
	}

	switch (op) {
	case VDREP_OPERATION_ACTIVATE:
	case VDREP_OPERATION_RESUME:
	case VDREP_OPERATION_RESYNC:
	case VDREP_OPERATION_FAILOVER:
	case VDREP_OPERATION_RESTORE:
		if (vdrep_other_redirect(a)) {
			NL_SET_ERR_MSG(extack, "another association of the volume is failed over or restoring");
			return -EBUSY;
		}
		break;
	default:
		break;
	}
	if ((op == VDREP_OPERATION_FAILOVER || op == VDREP_OPERATION_RESTORE) &&
	    vdrep_other_copying(a)) {
		NL_SET_ERR_MSG(extack, "another association of the volume is copying");
		return -EBUSY;
	}
	if (op == VDREP_OPERATION_RESTORE) {
		msg = vdrep_restore_conflict(a);
		if (msg) {
			vdrep_extack(extack, NULL, msg);
			return -EBUSY;
		}
	}
	if (op == VDREP_OPERATION_FAILOVER && vdrep_other_preserving(a)) {
		NL_SET_ERR_MSG(extack, "a snapshot or clone of the volume preserves its source, which a failover would leave behind");
		return -EBUSY;
	}
	/* Where the data lives changes: the metadata device must be able to say so. */
	if (op == VDREP_OPERATION_FAILOVER || op == VDREP_OPERATION_RESTORE) {
		err = vdrep_meta_redirect_check(a->vol, extack);
		if (err)
			return err;
	}
	/*
	 * The view goes first: if it is open, nothing has changed. A
	 * snapshot's or clone's view shows the same image during a restore.
	 */
	if (op == VDREP_OPERATION_RESYNC ||
	    (op == VDREP_OPERATION_RESTORE && vdrep_is_mirror(a))) {
		err = vdrep_view_remove(a, extack);
		if (err)
			return err;
	}

	vdrep_assoc_request(a, op);
	if (vdrep_is_snapshot(a))
		return vdrep_snapshot_operate(a, op, extack);
	if (vdrep_is_clone(a))
		return vdrep_clone_operate(a, op, extack);
	switch (op) {
	case VDREP_OPERATION_ACTIVATE:
		vdrep_start_resync(a, VDREP_PH_SYNCING);
		return 0;
	case VDREP_OPERATION_RESUME:
		vdrep_start_resync(a, VDREP_PH_RESYNCING);
		return 0;
	case VDREP_OPERATION_RESYNC:
		/* Broken during a restore: the restore is what must go on. */
		if (rcu_access_pointer(a->vol->redirect) == a)
			return vdrep_start_restore(a, VDREP_PH_RESTORING, extack);
		vdrep_start_resync(a, VDREP_PH_RESYNCING);
		return 0;
	case VDREP_OPERATION_FRACTURE:
		vdrep_assoc_set_phase(a, VDREP_PH_FRACTURING);
		vdrep_quiesce(a);
		if (vdrep_assoc_phase(a) == VDREP_PH_BROKEN) {
			vdrep_assoc_announce(a);
			return 0;
		}
		vdrep_assoc_set_phase(a, VDREP_PH_FRACTURED);
		return vdrep_view_create(a);
	case VDREP_OPERATION_SPLIT:
		return vdrep_op_split(a, extack);
	case VDREP_OPERATION_SUSPEND:
		vdrep_assoc_set_phase(a, VDREP_PH_SUSPENDING);
		vdrep_quiesce(a);
		if (vdrep_assoc_phase(a) != VDREP_PH_BROKEN)
			vdrep_assoc_set_phase(a, VDREP_PH_SUSPENDED);
		return 0;
	case VDREP_OPERATION_RESTORE:
		return vdrep_start_restore(a, VDREP_PH_RESTORING, extack);
	case VDREP_OPERATION_FAILOVER:
		return vdrep_op_failover(a, extack);
	case VDREP_OPERATION_FAILBACK:
		vdrep_assoc_set_phase(a, VDREP_PH_FAILING_BACK);
		vdrep_assoc_drain(a, VDREP_IO_SYNC);
		vdrep_copy_start(a, VDREP_COPY_TO_SOURCE);
		return 0;
	case VDREP_OPERATION_ABORT:
		vdrep_assoc_set_phase(a, VDREP_PH_ABORTING);
		vdrep_quiesce(a);
		if (vdrep_assoc_phase(a) != VDREP_PH_BROKEN)
			vdrep_assoc_set_phase(a, VDREP_PH_ABORTED);
		return 0;
	default:
		NL_SET_ERR_MSG(extack, "unknown operation");
		return -EINVAL;
	}
}
