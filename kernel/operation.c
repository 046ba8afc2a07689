// SPDX-License-Identifier: GPL-2.0
/*
 * Operations on a mirror (DESIGN.md section 3), run by assoc-modify under
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

#include "vdrep.h"

static enum vdrep_phase vdrep_assoc_phase(struct vdrep_assoc *a)
{
	unsigned long flags;
	enum vdrep_phase phase;

	spin_lock_irqsave(&a->lock, flags);
	phase = a->phase;
	spin_unlock_irqrestore(&a->lock, flags);
	return phase;
}

static void vdrep_assoc_request(struct vdrep_assoc *a, u32 op)
{
	unsigned long flags;

	spin_lock_irqsave(&a->lock, flags);
	a->requested = vdrep_op_requested_state(op);
	spin_unlock_irqrestore(&a->lock, flags);
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

/* Copy the target's image back to the source, serving it at once. */
static void vdrep_start_restore(struct vdrep_assoc *a, enum vdrep_phase phase)
{
	vdrep_assoc_set_phase(a, phase);
	/* Writes reach both sides, so the target stays the image to serve. */
	vdrep_assoc_drain(a, VDREP_IO_SYNC);
	rcu_assign_pointer(a->vol->redirect, a);
	vdrep_copy_start(a, VDREP_COPY_TO_SOURCE);
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
	vdrep_assoc_set_phase(a, VDREP_PH_FAILING_OVER);
	vdrep_copy_stop(a);
	/* Every write reaches both sides, and the async queue lands. */
	vdrep_assoc_drain(a, VDREP_IO_SYNC);
	vdrep_async_wait_empty(a);
	if (vdrep_assoc_phase(a) == VDREP_PH_BROKEN)
		return vdrep_broke(a, extack);
	if (vdrep_chunkmap_weight(&a->dirty))
		return vdrep_fell_behind(a, extack);
	rcu_assign_pointer(a->vol->redirect, a);
	vdrep_assoc_drain(a, VDREP_IO_REVERSE);
	vdrep_assoc_set_phase(a, VDREP_PH_FAILEDOVER);
	return 0;
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
	msg = vdrep_mirror_op_check(op, phase, &err);
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
	/* The view goes first: if it is open, nothing has changed. */
	if (op == VDREP_OPERATION_RESYNC || op == VDREP_OPERATION_RESTORE) {
		err = vdrep_view_remove(a, extack);
		if (err)
			return err;
	}

	vdrep_assoc_request(a, op);
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
			vdrep_start_restore(a, VDREP_PH_RESTORING);
		else
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
		vdrep_start_restore(a, VDREP_PH_RESTORING);
		return 0;
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
