// SPDX-License-Identifier: GPL-2.0
/*
 * The association state machine as a table (see state.h).
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/types.h>

#include "state.h"
#include "../uapi/linux/vdrep.h"

#define CS(x) VDREP_COPY_STATE_##x
#define SS(x) VDREP_SYNC_STATE_##x
#define PS(x) VDREP_PROGRESS_STATUS_##x
/* Transient phases take this part of the report from the previous phase. */
#define PREV 0

static const struct {
	struct vdrep_report report;
	/* Refusal message naming the phase (extack strings are static). */
	const char *refusal;
} vdrep_phases[VDREP_PH_COUNT] = {
#define PHASE(ph, nm, cs, ss, ps) \
	[VDREP_PH_##ph] = { { cs, ss, ps }, \
		"operation does not apply: association is " nm }
	PHASE(PREPARED,	     "prepared",	 CS(PREPARED),	     SS(PREPARED),		PS(REQUIRES_ACTIVATE)),
	PHASE(SYNCING,	     "synchronizing",	 CS(UNSYNCHRONIZED), SS(RESYNC_IN_PROGRESS),	PS(SYNCHRONIZING)),
	PHASE(RESYNCING,     "resyncing",	 CS(UNSYNCHRONIZED), SS(RESYNC_IN_PROGRESS),	PS(RESYNCING)),
	PHASE(PENDING,	     "pending (async backlog over its bound)",
						 CS(UNSYNCHRONIZED), SS(RESYNC_IN_PROGRESS),	PS(PENDING)),
	PHASE(SYNCHRONIZED,  "synchronized",	 CS(SYNCHRONIZED),   SS(SYNCHRONIZED),		PS(COMPLETED)),
	PHASE(FRACTURING,    "fracturing",	 PREV,		     SS(FRACTURE_IN_PROGRESS),	PS(FRACTURING)),
	PHASE(FRACTURED,     "fractured",	 CS(FRACTURED),	     SS(FRACTURED),		PS(COMPLETED)),
	PHASE(QUIESCING,     "splitting",	 PREV,		     SS(QUIESCE_IN_PROGRESS),	PS(SPLITTING)),
	PHASE(QUIESCED,	     "splitting",	 PREV,		     SS(QUIESCED),		PS(SPLITTING)),
	PHASE(SPLIT,	     "split",		 CS(SPLIT),	     SS(FRACTURED),		PS(COMPLETED)),
	PHASE(SKEWED,	     "skewed",		 CS(SKEWED),	     SS(FRACTURED),		PS(COMPLETED)),
	PHASE(SUSPENDING,    "suspending",	 PREV,		     SS(QUIESCE_IN_PROGRESS),	PS(SUSPENDING)),
	PHASE(SUSPENDED,     "suspended",	 CS(SUSPENDED),	     SS(QUIESCED),		PS(DORMANT)),
	PHASE(RESTORING,     "restoring",	 CS(UNSYNCHRONIZED), SS(RESTORE_IN_PROGRESS),	PS(RESTORING)),
	PHASE(FAILING_OVER,  "failing over",	 PREV,		     SS(QUIESCE_IN_PROGRESS),	PS(FAILING_OVER)),
	PHASE(FAILEDOVER,    "failed over",	 CS(FAILEDOVER),     SS(FRACTURED),		PS(COMPLETED)),
	PHASE(FAILING_BACK,  "failing back",	 CS(FAILEDOVER),     SS(RESTORE_IN_PROGRESS),	PS(FAILING_BACK)),
	PHASE(BROKEN,	     "broken",		 CS(BROKEN),	     SS(BROKEN),		PS(REQUIRES_RESYNC)),
	PHASE(ABORTING,	     "aborting",	 PREV,		     PREV,			PS(ABORTING)),
	PHASE(ABORTED,	     "aborted",		 CS(ABORTED),	     SS(FRACTURED),		PS(REQUIRES_RESYNC)),
	PHASE(DETACHING,     "detaching",	 PREV,		     PREV,			PS(DETACHING)),
#undef PHASE
};

/* The SyncState of @phase for @sync_type: a few differ from a mirror's. */
static u32 vdrep_kind_sync_state(u32 sync_type, enum vdrep_phase phase)
{
	u32 mirror = vdrep_phases[phase].report.sync_state;

	if (sync_type == VDREP_SYNC_TYPE_MIRROR)
		return mirror;
	switch (phase) {
	case VDREP_PH_SPLIT:
	case VDREP_PH_SKEWED:
		return sync_type == VDREP_SYNC_TYPE_SNAPSHOT ? SS(IDLE) : SS(FROZEN);
	case VDREP_PH_SYNCING:
		return SS(COPY_IN_PROGRESS);
	default:
		return mirror;
	}
}

void vdrep_phase_report(u32 sync_type, enum vdrep_phase phase,
			enum vdrep_phase prev, struct vdrep_report *r)
{
	*r = vdrep_phases[phase].report;
	if (r->copy_state == PREV)
		r->copy_state = vdrep_phases[prev].report.copy_state;
	r->sync_state = vdrep_kind_sync_state(sync_type,
					      r->sync_state == PREV ? prev : phase);
}

enum vdrep_phase vdrep_phase_from_report(u32 sync_type, const struct vdrep_report *r)
{
	static const struct {
		u32 progress_status;
		enum vdrep_phase to;
	} transients[] = {
		{ PS(FRACTURING),	VDREP_PH_FRACTURED },
		{ PS(SPLITTING),	VDREP_PH_SPLIT },
		{ PS(SUSPENDING),	VDREP_PH_SUSPENDED },
		{ PS(ABORTING),		VDREP_PH_ABORTED },
		{ PS(FAILING_OVER),	VDREP_PH_FAILING_OVER },
		{ PS(DETACHING),	VDREP_PH_DETACHING },
	};
	struct vdrep_report x;
	unsigned int i;

	for (i = 0; i < VDREP_PH_COUNT; i++) {
		/* Transient phases report part of another phase's. */
		if (vdrep_phases[i].report.copy_state == PREV ||
		    vdrep_phases[i].report.sync_state == PREV)
			continue;
		vdrep_phase_report(sync_type, i, i, &x);
		if (x.copy_state == r->copy_state && x.sync_state == r->sync_state &&
		    x.progress_status == r->progress_status)
			return i;
	}
	for (i = 0; i < ARRAY_SIZE(transients); i++)
		if (transients[i].progress_status == r->progress_status)
			return transients[i].to;
	return VDREP_PH_COUNT;
}

bool vdrep_phase_copying(enum vdrep_phase phase)
{
	switch (phase) {
	case VDREP_PH_SYNCING:
	case VDREP_PH_RESYNCING:
	case VDREP_PH_PENDING:
	case VDREP_PH_RESTORING:
	case VDREP_PH_FAILING_BACK:
		return true;
	default:
		return false;
	}
}

#define PH(x) BIT(VDREP_PH_##x)
/* Not while the volume's data lives on the target. */
#define DETACHABLE ((BIT(VDREP_PH_COUNT) - 1) & \
		    ~(PH(FAILEDOVER) | PH(FAILING_BACK) | PH(RESTORING)))

/* For each operation, the phases of a mirror it applies to. */
static const u32 vdrep_mirror_op_phases[VDREP_OPERATION_DETACH + 1] = {
	[VDREP_OPERATION_ACTIVATE]	= PH(PREPARED),
	[VDREP_OPERATION_FRACTURE]	= PH(SYNCHRONIZED) | PH(SYNCING) |
					  PH(RESYNCING) | PH(PENDING),
	[VDREP_OPERATION_SPLIT]		= PH(SYNCHRONIZED),
	[VDREP_OPERATION_SUSPEND]	= PH(SYNCHRONIZED) | PH(SYNCING) |
					  PH(RESYNCING) | PH(PENDING),
	[VDREP_OPERATION_RESUME]	= PH(SUSPENDED),
	[VDREP_OPERATION_RESYNC]	= PH(FRACTURED) | PH(SPLIT) | PH(SKEWED) |
					  PH(BROKEN) | PH(ABORTED),
	[VDREP_OPERATION_RESTORE]	= PH(FRACTURED) | PH(SPLIT) | PH(SKEWED),
	[VDREP_OPERATION_FAILOVER]	= PH(SYNCHRONIZED),
	[VDREP_OPERATION_FAILBACK]	= PH(FAILEDOVER),
	[VDREP_OPERATION_ABORT]		= PH(SYNCING) | PH(RESYNCING) | PH(PENDING),
	[VDREP_OPERATION_DETACH]	= DETACHABLE,
};

/*
 * A snapshot is taken at once: it has no copy to fracture, suspend or
 * abort, and no failover (its store is not a full copy).
 */
static const u32 vdrep_snapshot_op_phases[VDREP_OPERATION_DETACH + 1] = {
	[VDREP_OPERATION_ACTIVATE]	= PH(PREPARED),
	[VDREP_OPERATION_RESYNC]	= PH(SPLIT) | PH(SKEWED) | PH(BROKEN),
	[VDREP_OPERATION_RESTORE]	= PH(SPLIT) | PH(SKEWED),
	[VDREP_OPERATION_DETACH]	= DETACHABLE,
};

/* A clone's fill can be suspended and aborted; it is never fractured. */
static const u32 vdrep_clone_op_phases[VDREP_OPERATION_DETACH + 1] = {
	[VDREP_OPERATION_ACTIVATE]	= PH(PREPARED),
	[VDREP_OPERATION_SUSPEND]	= PH(SYNCING) | PH(RESYNCING),
	[VDREP_OPERATION_RESUME]	= PH(SUSPENDED),
	[VDREP_OPERATION_RESYNC]	= PH(SPLIT) | PH(SKEWED) | PH(BROKEN) |
					  PH(ABORTED),
	[VDREP_OPERATION_RESTORE]	= PH(SPLIT) | PH(SKEWED),
	[VDREP_OPERATION_ABORT]		= PH(SYNCING) | PH(RESYNCING),
	[VDREP_OPERATION_DETACH]	= DETACHABLE,
};

#undef PH
#undef DETACHABLE

const char *vdrep_op_check(u32 sync_type, u32 op, enum vdrep_phase phase, int *err)
{
	const u32 *table = vdrep_mirror_op_phases;

	if (op < VDREP_OPERATION_ACTIVATE || op > VDREP_OPERATION_DETACH) {
		*err = -EINVAL;
		return "unknown operation";
	}
	if (sync_type == VDREP_SYNC_TYPE_SNAPSHOT)
		table = vdrep_snapshot_op_phases;
	else if (sync_type == VDREP_SYNC_TYPE_CLONE)
		table = vdrep_clone_op_phases;
	if (table[op] & BIT(phase))
		return NULL;
	if (!table[op]) {
		*err = -EINVAL;
		return sync_type == VDREP_SYNC_TYPE_SNAPSHOT ?
		       "operation does not apply to a snapshot" :
		       "operation does not apply to a clone";
	}
	if (op == VDREP_OPERATION_DETACH) {
		*err = -EBUSY;
		return "the volume's data is on this target (failed over or restoring): fail back or let the restore finish first";
	}
	if (op == VDREP_OPERATION_ABORT && phase == VDREP_PH_RESTORING) {
		*err = -EINVAL;
		return "a restore cannot be aborted: the volume already shows the target's image";
	}
	*err = -EINVAL;
	return vdrep_phases[phase].refusal;
}

u32 vdrep_op_requested_state(u32 sync_type, u32 op)
{
	/* Snapshots and clones end their copies split from the source. */
	if (sync_type != VDREP_SYNC_TYPE_MIRROR && op != VDREP_OPERATION_SUSPEND &&
	    op != VDREP_OPERATION_ABORT && op != VDREP_OPERATION_DETACH)
		return VDREP_COPY_STATE_SPLIT;
	switch (op) {
	case VDREP_OPERATION_FRACTURE:
		return VDREP_COPY_STATE_FRACTURED;
	case VDREP_OPERATION_SPLIT:
		return VDREP_COPY_STATE_SPLIT;
	case VDREP_OPERATION_SUSPEND:
		return VDREP_COPY_STATE_SUSPENDED;
	case VDREP_OPERATION_FAILOVER:
		return VDREP_COPY_STATE_FAILEDOVER;
	case VDREP_OPERATION_ABORT:
		return VDREP_COPY_STATE_ABORTED;
	case VDREP_OPERATION_DETACH:
		return VDREP_COPY_STATE_NOT_APPLICABLE;
	default:	/* activate, resume, resync, restore, failback */
		return VDREP_COPY_STATE_SYNCHRONIZED;
	}
}

/* CLI names of the seed's values, for uevents (as vdrepctl spells them). */
const char *vdrep_copy_state_name(u32 v)
{
	static const char *const names[] = {
		[VDREP_COPY_STATE_INITIALIZED] = "initialized",
		[VDREP_COPY_STATE_UNSYNCHRONIZED] = "unsynchronized",
		[VDREP_COPY_STATE_SYNCHRONIZED] = "synchronized",
		[VDREP_COPY_STATE_BROKEN] = "broken",
		[VDREP_COPY_STATE_FRACTURED] = "fractured",
		[VDREP_COPY_STATE_SPLIT] = "split",
		[VDREP_COPY_STATE_INACTIVE] = "inactive",
		[VDREP_COPY_STATE_SUSPENDED] = "suspended",
		[VDREP_COPY_STATE_FAILEDOVER] = "failedover",
		[VDREP_COPY_STATE_PREPARED] = "prepared",
		[VDREP_COPY_STATE_ABORTED] = "aborted",
		[VDREP_COPY_STATE_SKEWED] = "skewed",
		[VDREP_COPY_STATE_MIXED] = "mixed",
		[VDREP_COPY_STATE_NOT_APPLICABLE] = "not-applicable",
	};

	return v < ARRAY_SIZE(names) && names[v] ? names[v] : "unknown";
}

const char *vdrep_sync_state_name(u32 v)
{
	static const char *const names[] = {
		[VDREP_SYNC_STATE_INITIALIZED] = "initialized",
		[VDREP_SYNC_STATE_PREPARE_IN_PROGRESS] = "prepare-in-progress",
		[VDREP_SYNC_STATE_PREPARED] = "prepared",
		[VDREP_SYNC_STATE_RESYNC_IN_PROGRESS] = "resync-in-progress",
		[VDREP_SYNC_STATE_SYNCHRONIZED] = "synchronized",
		[VDREP_SYNC_STATE_FRACTURE_IN_PROGRESS] = "fracture-in-progress",
		[VDREP_SYNC_STATE_QUIESCE_IN_PROGRESS] = "quiesce-in-progress",
		[VDREP_SYNC_STATE_QUIESCED] = "quiesced",
		[VDREP_SYNC_STATE_RESTORE_IN_PROGRESS] = "restore-in-progress",
		[VDREP_SYNC_STATE_IDLE] = "idle",
		[VDREP_SYNC_STATE_BROKEN] = "broken",
		[VDREP_SYNC_STATE_FRACTURED] = "fractured",
		[VDREP_SYNC_STATE_FROZEN] = "frozen",
		[VDREP_SYNC_STATE_COPY_IN_PROGRESS] = "copy-in-progress",
	};

	return v < ARRAY_SIZE(names) && names[v] ? names[v] : "unknown";
}

const char *vdrep_progress_status_name(u32 v)
{
	static const char *const names[] = {
		[VDREP_PROGRESS_STATUS_UNKNOWN] = "unknown",
		[VDREP_PROGRESS_STATUS_COMPLETED] = "completed",
		[VDREP_PROGRESS_STATUS_DORMANT] = "dormant",
		[VDREP_PROGRESS_STATUS_INITIALIZING] = "initializing",
		[VDREP_PROGRESS_STATUS_PREPARING] = "preparing",
		[VDREP_PROGRESS_STATUS_SYNCHRONIZING] = "synchronizing",
		[VDREP_PROGRESS_STATUS_RESYNCING] = "resyncing",
		[VDREP_PROGRESS_STATUS_RESTORING] = "restoring",
		[VDREP_PROGRESS_STATUS_FRACTURING] = "fracturing",
		[VDREP_PROGRESS_STATUS_SPLITTING] = "splitting",
		[VDREP_PROGRESS_STATUS_FAILING_OVER] = "failing-over",
		[VDREP_PROGRESS_STATUS_FAILING_BACK] = "failing-back",
		[VDREP_PROGRESS_STATUS_ABORTING] = "aborting",
		[VDREP_PROGRESS_STATUS_MIXED] = "mixed",
		[VDREP_PROGRESS_STATUS_NOT_APPLICABLE] = "not-applicable",
		[VDREP_PROGRESS_STATUS_SUSPENDING] = "suspending",
		[VDREP_PROGRESS_STATUS_REQUIRES_FRACTURE] = "requires-fracture",
		[VDREP_PROGRESS_STATUS_REQUIRES_RESYNC] = "requires-resync",
		[VDREP_PROGRESS_STATUS_REQUIRES_ACTIVATE] = "requires-activate",
		[VDREP_PROGRESS_STATUS_PENDING] = "pending",
		[VDREP_PROGRESS_STATUS_DETACHING] = "detaching",
	};

	return v < ARRAY_SIZE(names) && names[v] ? names[v] : "unknown";
}
