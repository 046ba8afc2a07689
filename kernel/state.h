/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The association state machine as pure logic: the phases an association
 * goes through, what each reports as the seed's (CopyState, SyncState,
 * ProgressStatus), and which operation applies in which phase. No
 * block-layer dependency, so unit tests can walk the whole table.
 *
 * Documentation/admin-guide/vdrep.rst ("Mirror states") has the same table
 * for users; keep them together.
 */
#ifndef VDREP_STATE_H
#define VDREP_STATE_H

#include <linux/types.h>

enum vdrep_phase {
	VDREP_PH_PREPARED,
	VDREP_PH_SYNCING,	/* initial copy */
	VDREP_PH_RESYNCING,	/* resync or resume: copying tracked chunks */
	VDREP_PH_PENDING,	/* async backlog went over its bound: catching up */
	VDREP_PH_SYNCHRONIZED,
	VDREP_PH_FRACTURING,	/* transient: draining before Fractured */
	VDREP_PH_FRACTURED,
	VDREP_PH_QUIESCING,	/* transient: split, draining */
	VDREP_PH_QUIESCED,	/* transient: split, drained, flushing */
	VDREP_PH_SPLIT,
	VDREP_PH_SKEWED,	/* written through the view while fractured/split */
	VDREP_PH_SUSPENDING,	/* transient */
	VDREP_PH_SUSPENDED,
	VDREP_PH_RESTORING,
	VDREP_PH_FAILING_OVER,	/* transient */
	VDREP_PH_FAILEDOVER,
	VDREP_PH_FAILING_BACK,
	VDREP_PH_BROKEN,
	VDREP_PH_ABORTING,	/* transient */
	VDREP_PH_ABORTED,
	VDREP_PH_DETACHING,	/* transient, then the association is gone */
	VDREP_PH_COUNT
};

/* What a phase shows through netlink. */
struct vdrep_report {
	u32 copy_state;
	u32 sync_state;
	u32 progress_status;
};

/*
 * The report of @phase for an association of kind @sync_type (enum
 * vdrep_sync_type). Transient phases keep the CopyState (and for
 * aborting/detaching the SyncState) of the phase they started from, @prev.
 * Snapshots and clones differ from mirrors only in a few SyncStates: a
 * split snapshot is Idle, a split clone Frozen, a filling clone
 * CopyInProgress.
 */
void vdrep_phase_report(u32 sync_type, enum vdrep_phase phase,
			enum vdrep_phase prev, struct vdrep_report *r);

/*
 * The phase a report read back from the metadata device stands for, for
 * assemble: the stable phase of kind @sync_type whose report it is, or for
 * a report taken in a transient phase (told apart by its ProgressStatus)
 * the phase it was going to: Fractured, Split, Suspended, Aborted; a
 * failover in progress stays VDREP_PH_FAILING_OVER and a detach
 * VDREP_PH_DETACHING, for the caller to refuse or drop. VDREP_PH_COUNT if
 * no phase reports it.
 */
enum vdrep_phase vdrep_phase_from_report(u32 sync_type, const struct vdrep_report *r);

/* The background copy runs in this phase. */
bool vdrep_phase_copying(enum vdrep_phase phase);

/*
 * Whether operation @op (enum vdrep_operation) applies to an association
 * of kind @sync_type in @phase. Returns NULL if it does, or the extack
 * message (naming the phase, or the kind when the operation never applies
 * to it) and sets *@err to the errno.
 */
const char *vdrep_op_check(u32 sync_type, u32 op, enum vdrep_phase phase, int *err);

/* CLI names ("resync-in-progress"), as vdrepctl and uevents spell them. */
const char *vdrep_copy_state_name(u32 v);
const char *vdrep_sync_state_name(u32 v);
const char *vdrep_progress_status_name(u32 v);

/* The CopyState operation @op ends in (RequestedCopyState while it runs). */
u32 vdrep_op_requested_state(u32 sync_type, u32 op);

#endif /* VDREP_STATE_H */
