// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the association state table (kernel/state.c) against its
 * documentation: Documentation/admin-guide/vdrep.rst ("Mirror states",
 * "Operations", "The copy engine", "Snapshot states", "Clone states") and
 * DESIGN.md section 3.
 *
 * Every expected outcome below is data copied from those chapters, never
 * computed by the code under test: which operation applies in which phase of
 * each kind (with the refusal's message and errno), the RequestedCopyState
 * each operation sets, and what each phase reports. state.c is compiled into
 * this module (vdrep.ko has its own copy), so nothing needs exporting.
 */
#include "../state.c"

#include <kunit/test.h>
#include <linux/module.h>
#include <linux/string.h>

/* The table's own shorthands are not the tests' business. */
#undef CS
#undef SS
#undef PS
#undef PREV

#define OP_FIRST	VDREP_OPERATION_ACTIVATE
#define OP_LAST		VDREP_OPERATION_DETACH
#define NR_OPS		(OP_LAST - OP_FIRST + 1)

static const char *const op_name[NR_OPS + 1] = {
	[VDREP_OPERATION_ACTIVATE] = "activate",
	[VDREP_OPERATION_FRACTURE] = "fracture",
	[VDREP_OPERATION_SPLIT] = "split",
	[VDREP_OPERATION_SUSPEND] = "suspend",
	[VDREP_OPERATION_RESUME] = "resume",
	[VDREP_OPERATION_RESYNC] = "resync",
	[VDREP_OPERATION_RESTORE] = "restore",
	[VDREP_OPERATION_FAILOVER] = "failover",
	[VDREP_OPERATION_FAILBACK] = "failback",
	[VDREP_OPERATION_ABORT] = "abort",
	[VDREP_OPERATION_DETACH] = "detach",
};

/* Phase labels for the failure messages (both splitting phases told apart). */
static const char *const phase_label[VDREP_PH_COUNT] = {
	[VDREP_PH_PREPARED] = "prepared",
	[VDREP_PH_SYNCING] = "synchronizing",
	[VDREP_PH_RESYNCING] = "resyncing",
	[VDREP_PH_PENDING] = "pending",
	[VDREP_PH_SYNCHRONIZED] = "synchronized",
	[VDREP_PH_FRACTURING] = "fracturing",
	[VDREP_PH_FRACTURED] = "fractured",
	[VDREP_PH_QUIESCING] = "splitting (quiesce in progress)",
	[VDREP_PH_QUIESCED] = "splitting (quiesced)",
	[VDREP_PH_SPLIT] = "split",
	[VDREP_PH_SKEWED] = "skewed",
	[VDREP_PH_SUSPENDING] = "suspending",
	[VDREP_PH_SUSPENDED] = "suspended",
	[VDREP_PH_RESTORING] = "restoring",
	[VDREP_PH_FAILING_OVER] = "failing over",
	[VDREP_PH_FAILEDOVER] = "failed over",
	[VDREP_PH_FAILING_BACK] = "failing back",
	[VDREP_PH_BROKEN] = "broken",
	[VDREP_PH_ABORTING] = "aborting",
	[VDREP_PH_ABORTED] = "aborted",
	[VDREP_PH_DETACHING] = "detaching",
};

/*
 * "The phase names in the first column are the ones the kernel uses in its
 * refusals ("operation does not apply: association is fractured"); pending
 * is spelled "pending (async backlog over its bound)" there." (Mirror
 * states). Both splitting phases are "splitting"; a clone's copying phase is
 * "synchronizing" (Clone states).
 */
static const char *const doc_refusal[VDREP_PH_COUNT] = {
	[VDREP_PH_PREPARED] = "operation does not apply: association is prepared",
	[VDREP_PH_SYNCING] = "operation does not apply: association is synchronizing",
	[VDREP_PH_RESYNCING] = "operation does not apply: association is resyncing",
	[VDREP_PH_PENDING] =
		"operation does not apply: association is pending (async backlog over its bound)",
	[VDREP_PH_SYNCHRONIZED] = "operation does not apply: association is synchronized",
	[VDREP_PH_FRACTURING] = "operation does not apply: association is fracturing",
	[VDREP_PH_FRACTURED] = "operation does not apply: association is fractured",
	[VDREP_PH_QUIESCING] = "operation does not apply: association is splitting",
	[VDREP_PH_QUIESCED] = "operation does not apply: association is splitting",
	[VDREP_PH_SPLIT] = "operation does not apply: association is split",
	[VDREP_PH_SKEWED] = "operation does not apply: association is skewed",
	[VDREP_PH_SUSPENDING] = "operation does not apply: association is suspending",
	[VDREP_PH_SUSPENDED] = "operation does not apply: association is suspended",
	[VDREP_PH_RESTORING] = "operation does not apply: association is restoring",
	[VDREP_PH_FAILING_OVER] = "operation does not apply: association is failing over",
	[VDREP_PH_FAILEDOVER] = "operation does not apply: association is failed over",
	[VDREP_PH_FAILING_BACK] = "operation does not apply: association is failing back",
	[VDREP_PH_BROKEN] = "operation does not apply: association is broken",
	[VDREP_PH_ABORTING] = "operation does not apply: association is aborting",
	[VDREP_PH_ABORTED] = "operation does not apply: association is aborted",
	[VDREP_PH_DETACHING] = "operation does not apply: association is detaching",
};

/* "detach ... refused with EBUSY" (Operations: detach). */
#define DOC_DETACH_BUSY \
	"the volume's data is on this target (failed over or restoring): fail back or let the restore finish first"
/* "A restore cannot be aborted (EINVAL ...)" (Operations: restore). */
#define DOC_NO_ABORT \
	"a restore cannot be aborted: the volume already shows the target's image"

/*
 * Which operation applies in which phase, one row per phase and one column
 * per operation, in the order of enum vdrep_operation:
 *
 *	activate fracture split suspend resume resync restore failover
 *	failback abort detach
 *
 *	y  applies (vdrep_op_check() returns NULL)
 *	.  refused, EINVAL, "operation does not apply: association is <phase>"
 *	k  never applies to this kind: EINVAL, "operation does not apply to a
 *	   snapshot" / "... to a clone", in every phase
 *	B  detach refused, EBUSY, DOC_DETACH_BUSY
 *	R  abort refused, EINVAL, DOC_NO_ABORT
 *
 * Mirrors: the "applies in" column of the transition table under "State
 * diagram", and "Operations". Detach applies "from any phase but failed
 * over, failing back and restoring", transient phases included.
 */
static const char *const mirror_ops[VDREP_PH_COUNT] = {
	/*			   a f s S r y R o b A d */
	[VDREP_PH_PREPARED]	= "y . . . . . . . . . y",
	[VDREP_PH_SYNCING]	= ". y . y . . . . . y y",
	[VDREP_PH_RESYNCING]	= ". y . y . . . . . y y",
	[VDREP_PH_PENDING]	= ". y . y . . . . . y y",
	[VDREP_PH_SYNCHRONIZED]	= ". y y y . . . y . . y",
	[VDREP_PH_FRACTURING]	= ". . . . . . . . . . y",
	[VDREP_PH_FRACTURED]	= ". . . . . y y . . . y",
	[VDREP_PH_QUIESCING]	= ". . . . . . . . . . y",
	[VDREP_PH_QUIESCED]	= ". . . . . . . . . . y",
	[VDREP_PH_SPLIT]	= ". . . . . y y . . . y",
	[VDREP_PH_SKEWED]	= ". . . . . y y . . . y",
	[VDREP_PH_SUSPENDING]	= ". . . . . . . . . . y",
	[VDREP_PH_SUSPENDED]	= ". . . . y . . . . . y",
	[VDREP_PH_RESTORING]	= ". . . . . . . . . R B",
	[VDREP_PH_FAILING_OVER]	= ". . . . . . . . . . y",
	[VDREP_PH_FAILEDOVER]	= ". . . . . . . . y . B",
	[VDREP_PH_FAILING_BACK]	= ". . . . . . . . . . B",
	[VDREP_PH_BROKEN]	= ". . . . . y . . . . y",
	[VDREP_PH_ABORTING]	= ". . . . . . . . . . y",
	[VDREP_PH_ABORTED]	= ". . . . . y . . . . y",
	[VDREP_PH_DETACHING]	= ". . . . . . . . . . y",
};

/*
 * Snapshots ("Snapshot states", transitions; "Every other operation -
 * fracture, split, suspend, resume, failover, failback, abort - is refused
 * with EINVAL "operation does not apply to a snapshot""): activate in
 * prepared; resync in split, skewed, broken; restore in split, skewed;
 * detach in "every phase but restoring". A snapshot is never failed over
 * or failing back; in those phases detach follows the rule of every kind
 * (Mirror states, DESIGN.md: not while the volume's data is on the target).
 */
static const char *const snapshot_ops[VDREP_PH_COUNT] = {
	/*			   a f s S r y R o b A d */
	[VDREP_PH_PREPARED]	= "y k k k k . . k k k y",
	[VDREP_PH_SYNCING]	= ". k k k k . . k k k y",
	[VDREP_PH_RESYNCING]	= ". k k k k . . k k k y",
	[VDREP_PH_PENDING]	= ". k k k k . . k k k y",
	[VDREP_PH_SYNCHRONIZED]	= ". k k k k . . k k k y",
	[VDREP_PH_FRACTURING]	= ". k k k k . . k k k y",
	[VDREP_PH_FRACTURED]	= ". k k k k . . k k k y",
	[VDREP_PH_QUIESCING]	= ". k k k k . . k k k y",
	[VDREP_PH_QUIESCED]	= ". k k k k . . k k k y",
	[VDREP_PH_SPLIT]	= ". k k k k y y k k k y",
	[VDREP_PH_SKEWED]	= ". k k k k y y k k k y",
	[VDREP_PH_SUSPENDING]	= ". k k k k . . k k k y",
	[VDREP_PH_SUSPENDED]	= ". k k k k . . k k k y",
	[VDREP_PH_RESTORING]	= ". k k k k . . k k k B",
	[VDREP_PH_FAILING_OVER]	= ". k k k k . . k k k y",
	[VDREP_PH_FAILEDOVER]	= ". k k k k . . k k k B",
	[VDREP_PH_FAILING_BACK]	= ". k k k k . . k k k B",
	[VDREP_PH_BROKEN]	= ". k k k k y . k k k y",
	[VDREP_PH_ABORTING]	= ". k k k k . . k k k y",
	[VDREP_PH_ABORTED]	= ". k k k k . . k k k y",
	[VDREP_PH_DETACHING]	= ". k k k k . . k k k y",
};

/*
 * Clones ("Clone states", transitions; "fracture, split, failover and
 * failback are refused with EINVAL "operation does not apply to a clone""):
 * activate in prepared; suspend and abort in copying (synchronizing) and
 * resyncing; resume in suspended; resync in split, skewed, broken,
 * aborted; restore in split, skewed; detach "any phase but restoring, as
 * for mirrors". A restore "as a mirror's restore": it cannot be aborted.
 */
static const char *const clone_ops[VDREP_PH_COUNT] = {
	/*			   a f s S r y R o b A d */
	[VDREP_PH_PREPARED]	= "y k k . . . . k k . y",
	[VDREP_PH_SYNCING]	= ". k k y . . . k k y y",
	[VDREP_PH_RESYNCING]	= ". k k y . . . k k y y",
	[VDREP_PH_PENDING]	= ". k k . . . . k k . y",
	[VDREP_PH_SYNCHRONIZED]	= ". k k . . . . k k . y",
	[VDREP_PH_FRACTURING]	= ". k k . . . . k k . y",
	[VDREP_PH_FRACTURED]	= ". k k . . . . k k . y",
	[VDREP_PH_QUIESCING]	= ". k k . . . . k k . y",
	[VDREP_PH_QUIESCED]	= ". k k . . . . k k . y",
	[VDREP_PH_SPLIT]	= ". k k . . y y k k . y",
	[VDREP_PH_SKEWED]	= ". k k . . y y k k . y",
	[VDREP_PH_SUSPENDING]	= ". k k . . . . k k . y",
	[VDREP_PH_SUSPENDED]	= ". k k . y . . k k . y",
	[VDREP_PH_RESTORING]	= ". k k . . . . k k R B",
	[VDREP_PH_FAILING_OVER]	= ". k k . . . . k k . y",
	[VDREP_PH_FAILEDOVER]	= ". k k . . . . k k . B",
	[VDREP_PH_FAILING_BACK]	= ". k k . . . . k k . B",
	[VDREP_PH_BROKEN]	= ". k k . . y . k k . y",
	[VDREP_PH_ABORTING]	= ". k k . . . . k k . y",
	[VDREP_PH_ABORTED]	= ". k k . . y . k k . y",
	[VDREP_PH_DETACHING]	= ". k k . . . . k k . y",
};

/*
 * RequestedCopyState while each operation runs (0: the operation never
 * applies to the kind, nothing to check). Mirrors ("Reported properties":
 * "Synchronized (4) for activate, resume, resync, restore and failback ...
 * Fractured for fracture, Split, Suspended, Failedover, Aborted for the
 * others, Not Applicable for detach"); snapshots ("Split (7) while
 * activate, resync or restore runs"); clones ("Split (7) while activate,
 * resume, resync or restore runs, Suspended or Aborted while suspend or
 * abort runs"). Detach is Not Applicable for every kind (DESIGN.md:
 * RequestedCopyState "then becomes Not Applicable (15)"; the association
 * goes away).
 */
static const u32 mirror_requested[NR_OPS + 1] = {
	[VDREP_OPERATION_ACTIVATE] = VDREP_COPY_STATE_SYNCHRONIZED,
	[VDREP_OPERATION_FRACTURE] = VDREP_COPY_STATE_FRACTURED,
	[VDREP_OPERATION_SPLIT] = VDREP_COPY_STATE_SPLIT,
	[VDREP_OPERATION_SUSPEND] = VDREP_COPY_STATE_SUSPENDED,
	[VDREP_OPERATION_RESUME] = VDREP_COPY_STATE_SYNCHRONIZED,
	[VDREP_OPERATION_RESYNC] = VDREP_COPY_STATE_SYNCHRONIZED,
	[VDREP_OPERATION_RESTORE] = VDREP_COPY_STATE_SYNCHRONIZED,
	[VDREP_OPERATION_FAILOVER] = VDREP_COPY_STATE_FAILEDOVER,
	[VDREP_OPERATION_FAILBACK] = VDREP_COPY_STATE_SYNCHRONIZED,
	[VDREP_OPERATION_ABORT] = VDREP_COPY_STATE_ABORTED,
	[VDREP_OPERATION_DETACH] = VDREP_COPY_STATE_NOT_APPLICABLE,
};

static const u32 snapshot_requested[NR_OPS + 1] = {
	[VDREP_OPERATION_ACTIVATE] = VDREP_COPY_STATE_SPLIT,
	[VDREP_OPERATION_RESYNC] = VDREP_COPY_STATE_SPLIT,
	[VDREP_OPERATION_RESTORE] = VDREP_COPY_STATE_SPLIT,
	[VDREP_OPERATION_DETACH] = VDREP_COPY_STATE_NOT_APPLICABLE,
};

static const u32 clone_requested[NR_OPS + 1] = {
	[VDREP_OPERATION_ACTIVATE] = VDREP_COPY_STATE_SPLIT,
	[VDREP_OPERATION_SUSPEND] = VDREP_COPY_STATE_SUSPENDED,
	[VDREP_OPERATION_RESUME] = VDREP_COPY_STATE_SPLIT,
	[VDREP_OPERATION_RESYNC] = VDREP_COPY_STATE_SPLIT,
	[VDREP_OPERATION_RESTORE] = VDREP_COPY_STATE_SPLIT,
	[VDREP_OPERATION_ABORT] = VDREP_COPY_STATE_ABORTED,
	[VDREP_OPERATION_DETACH] = VDREP_COPY_STATE_NOT_APPLICABLE,
};

/* *previous* in the admin guide's tables. */
#define PREVIOUS	U32_MAX

/*
 * One row of a documented state table: what the phase reports. A row whose
 * CopyState (or SyncState) is *previous* reports the one of the phase the
 * operation @op started from.
 */
struct doc_report {
	enum vdrep_phase phase;
	bool transient;		/* (t) */
	u32 op;			/* the operation that passes through it */
	u32 cs, ss, ps;
};

#define ROW(ph, t, o, c, s, p) { VDREP_PH_##ph, t, o, c, s, p }
#define C(x) VDREP_COPY_STATE_##x
#define S(x) VDREP_SYNC_STATE_##x
#define P(x) VDREP_PROGRESS_STATUS_##x
#define OP(x) VDREP_OPERATION_##x

/* "Mirror states" */
static const struct doc_report mirror_reports[] = {
	ROW(PREPARED,	  0, 0, C(PREPARED),	   S(PREPARED),		     P(REQUIRES_ACTIVATE)),
	ROW(SYNCING,	  0, 0, C(UNSYNCHRONIZED), S(RESYNC_IN_PROGRESS),    P(SYNCHRONIZING)),
	ROW(RESYNCING,	  0, 0, C(UNSYNCHRONIZED), S(RESYNC_IN_PROGRESS),    P(RESYNCING)),
	ROW(PENDING,	  0, 0, C(UNSYNCHRONIZED), S(RESYNC_IN_PROGRESS),    P(PENDING)),
	ROW(SYNCHRONIZED, 0, 0, C(SYNCHRONIZED),   S(SYNCHRONIZED),	     P(COMPLETED)),
	ROW(FRACTURING,	  1, OP(FRACTURE), PREVIOUS, S(FRACTURE_IN_PROGRESS), P(FRACTURING)),
	ROW(FRACTURED,	  0, 0, C(FRACTURED),	   S(FRACTURED),	     P(COMPLETED)),
	/* "Quiesce In Progress (8), then Quiesced (9)" */
	ROW(QUIESCING,	  1, OP(SPLIT), PREVIOUS,  S(QUIESCE_IN_PROGRESS),   P(SPLITTING)),
	ROW(QUIESCED,	  1, OP(SPLIT), PREVIOUS,  S(QUIESCED),		     P(SPLITTING)),
	ROW(SPLIT,	  0, 0, C(SPLIT),	   S(FRACTURED),	     P(COMPLETED)),
	ROW(SKEWED,	  0, 0, C(SKEWED),	   S(FRACTURED),	     P(COMPLETED)),
	ROW(SUSPENDING,	  1, OP(SUSPEND), PREVIOUS, S(QUIESCE_IN_PROGRESS),  P(SUSPENDING)),
	ROW(SUSPENDED,	  0, 0, C(SUSPENDED),	   S(QUIESCED),		     P(DORMANT)),
	ROW(RESTORING,	  0, 0, C(UNSYNCHRONIZED), S(RESTORE_IN_PROGRESS),   P(RESTORING)),
	ROW(FAILING_OVER, 1, OP(FAILOVER), PREVIOUS, S(QUIESCE_IN_PROGRESS), P(FAILING_OVER)),
	ROW(FAILEDOVER,	  0, 0, C(FAILEDOVER),	   S(FRACTURED),	     P(COMPLETED)),
	ROW(FAILING_BACK, 0, 0, C(FAILEDOVER),	   S(RESTORE_IN_PROGRESS),   P(FAILING_BACK)),
	ROW(BROKEN,	  0, 0, C(BROKEN),	   S(BROKEN),		     P(REQUIRES_RESYNC)),
	ROW(ABORTING,	  1, OP(ABORT), PREVIOUS,  PREVIOUS,		     P(ABORTING)),
	ROW(ABORTED,	  0, 0, C(ABORTED),	   S(FRACTURED),	     P(REQUIRES_RESYNC)),
	ROW(DETACHING,	  1, OP(DETACH), PREVIOUS, PREVIOUS,		     P(DETACHING)),
};

/* "Snapshot states": the phases a snapshot goes through. */
static const struct doc_report snapshot_reports[] = {
	ROW(PREPARED,	  0, 0, C(PREPARED),	   S(PREPARED),		     P(REQUIRES_ACTIVATE)),
	ROW(SPLIT,	  0, 0, C(SPLIT),	   S(IDLE),		     P(COMPLETED)),
	ROW(SKEWED,	  0, 0, C(SKEWED),	   S(IDLE),		     P(COMPLETED)),
	ROW(RESYNCING,	  1, OP(RESYNC), C(UNSYNCHRONIZED), S(RESYNC_IN_PROGRESS), P(RESYNCING)),
	ROW(RESTORING,	  0, 0, C(UNSYNCHRONIZED), S(RESTORE_IN_PROGRESS),   P(RESTORING)),
	ROW(BROKEN,	  0, 0, C(BROKEN),	   S(BROKEN),		     P(REQUIRES_RESYNC)),
	ROW(DETACHING,	  1, OP(DETACH), PREVIOUS, PREVIOUS,		     P(DETACHING)),
};

/* "Clone states": copying is the synchronizing phase. */
static const struct doc_report clone_reports[] = {
	ROW(PREPARED,	  0, 0, C(PREPARED),	   S(PREPARED),		     P(REQUIRES_ACTIVATE)),
	ROW(SYNCING,	  0, 0, C(UNSYNCHRONIZED), S(COPY_IN_PROGRESS),	     P(SYNCHRONIZING)),
	ROW(RESYNCING,	  0, 0, C(UNSYNCHRONIZED), S(RESYNC_IN_PROGRESS),    P(RESYNCING)),
	ROW(SPLIT,	  0, 0, C(SPLIT),	   S(FROZEN),		     P(COMPLETED)),
	ROW(SKEWED,	  0, 0, C(SKEWED),	   S(FROZEN),		     P(COMPLETED)),
	ROW(SUSPENDING,	  1, OP(SUSPEND), PREVIOUS, S(QUIESCE_IN_PROGRESS),  P(SUSPENDING)),
	ROW(SUSPENDED,	  0, 0, C(SUSPENDED),	   S(QUIESCED),		     P(DORMANT)),
	ROW(RESTORING,	  0, 0, C(UNSYNCHRONIZED), S(RESTORE_IN_PROGRESS),   P(RESTORING)),
	ROW(BROKEN,	  0, 0, C(BROKEN),	   S(BROKEN),		     P(REQUIRES_RESYNC)),
	ROW(ABORTING,	  1, OP(ABORT), PREVIOUS,  PREVIOUS,		     P(ABORTING)),
	ROW(ABORTED,	  0, 0, C(ABORTED),	   S(FRACTURED),	     P(REQUIRES_RESYNC)),
	ROW(DETACHING,	  1, OP(DETACH), PREVIOUS, PREVIOUS,		     P(DETACHING)),
};

#undef ROW

struct doc_kind {
	const char *name;
	u32 sync_type;
	const char *never;	/* refusal of an operation that never applies */
	const char *const *ops;
	const u32 *requested;
	const struct doc_report *reports;
	size_t nr_reports;
};

static const struct doc_kind doc_kinds[] = {
	{ "mirror", VDREP_SYNC_TYPE_MIRROR, NULL, mirror_ops, mirror_requested,
	  mirror_reports, ARRAY_SIZE(mirror_reports) },
	{ "snapshot", VDREP_SYNC_TYPE_SNAPSHOT, "operation does not apply to a snapshot",
	  snapshot_ops, snapshot_requested, snapshot_reports, ARRAY_SIZE(snapshot_reports) },
	{ "clone", VDREP_SYNC_TYPE_CLONE, "operation does not apply to a clone",
	  clone_ops, clone_requested, clone_reports, ARRAY_SIZE(clone_reports) },
};

static void doc_kind_desc(const struct doc_kind *k, char *desc)
{
	strscpy(desc, k->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(doc_kind, doc_kinds, doc_kind_desc);

/* The table's entry for @op in @phase. */
static char doc_op_entry(const struct doc_kind *k, enum vdrep_phase phase, u32 op)
{
	return k->ops[phase][2 * (op - OP_FIRST)];
}

/*
 * The numbers the admin guide prints next to each name are the uapi's
 * (the seed's values, DESIGN.md section 3).
 */
static void state_uapi_numbers(struct kunit *test)
{
	static const struct {
		u32 value, doc;
		const char *name;
	} nums[] = {
#define N(v, d) { v, d, #v }
		N(VDREP_COPY_STATE_UNSYNCHRONIZED, 3), N(VDREP_COPY_STATE_SYNCHRONIZED, 4),
		N(VDREP_COPY_STATE_BROKEN, 5), N(VDREP_COPY_STATE_FRACTURED, 6),
		N(VDREP_COPY_STATE_SPLIT, 7), N(VDREP_COPY_STATE_SUSPENDED, 9),
		N(VDREP_COPY_STATE_FAILEDOVER, 10), N(VDREP_COPY_STATE_PREPARED, 11),
		N(VDREP_COPY_STATE_ABORTED, 12), N(VDREP_COPY_STATE_SKEWED, 13),
		N(VDREP_COPY_STATE_NOT_APPLICABLE, 15),
		N(VDREP_SYNC_STATE_PREPARED, 4), N(VDREP_SYNC_STATE_RESYNC_IN_PROGRESS, 5),
		N(VDREP_SYNC_STATE_SYNCHRONIZED, 6), N(VDREP_SYNC_STATE_FRACTURE_IN_PROGRESS, 7),
		N(VDREP_SYNC_STATE_QUIESCE_IN_PROGRESS, 8), N(VDREP_SYNC_STATE_QUIESCED, 9),
		N(VDREP_SYNC_STATE_RESTORE_IN_PROGRESS, 10), N(VDREP_SYNC_STATE_IDLE, 11),
		N(VDREP_SYNC_STATE_BROKEN, 12), N(VDREP_SYNC_STATE_FRACTURED, 13),
		N(VDREP_SYNC_STATE_FROZEN, 14), N(VDREP_SYNC_STATE_COPY_IN_PROGRESS, 15),
		N(VDREP_PROGRESS_STATUS_COMPLETED, 2), N(VDREP_PROGRESS_STATUS_DORMANT, 3),
		N(VDREP_PROGRESS_STATUS_SYNCHRONIZING, 6), N(VDREP_PROGRESS_STATUS_RESYNCING, 7),
		N(VDREP_PROGRESS_STATUS_RESTORING, 8), N(VDREP_PROGRESS_STATUS_FRACTURING, 9),
		N(VDREP_PROGRESS_STATUS_SPLITTING, 10), N(VDREP_PROGRESS_STATUS_FAILING_OVER, 11),
		N(VDREP_PROGRESS_STATUS_FAILING_BACK, 12), N(VDREP_PROGRESS_STATUS_ABORTING, 13),
		N(VDREP_PROGRESS_STATUS_SUSPENDING, 16),
		N(VDREP_PROGRESS_STATUS_REQUIRES_RESYNC, 18),
		N(VDREP_PROGRESS_STATUS_REQUIRES_ACTIVATE, 19),
		N(VDREP_PROGRESS_STATUS_PENDING, 20), N(VDREP_PROGRESS_STATUS_DETACHING, 21),
		N(VDREP_SYNC_TYPE_MIRROR, 6), N(VDREP_SYNC_TYPE_SNAPSHOT, 7),
		N(VDREP_SYNC_TYPE_CLONE, 8),
#undef N
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(nums); i++)
		KUNIT_EXPECT_EQ_MSG(test, nums[i].value, nums[i].doc, "%s", nums[i].name);
}

/* ------------------------------------------------------ vdrep_op_check() */

/* Whether vdrep_op_check() does what the table says. */
static bool expect_op(struct kunit *test, const struct doc_kind *k,
		      enum vdrep_phase phase, u32 op)
{
	const char *want = NULL, *got;
	int want_err = 0, err = 0;

	switch (doc_op_entry(k, phase, op)) {
	case '.':
		want = doc_refusal[phase];
		want_err = -EINVAL;
		break;
	case 'k':
		want = k->never;
		want_err = -EINVAL;
		break;
	case 'B':
		want = DOC_DETACH_BUSY;
		want_err = -EBUSY;
		break;
	case 'R':
		want = DOC_NO_ABORT;
		want_err = -EINVAL;
		break;
	}
	got = vdrep_op_check(k->sync_type, op, phase, &err);
	if (!want) {
		KUNIT_EXPECT_TRUE_MSG(test, !got,
				      "%s %s in %s: refused (\"%s\", %d), documented to apply",
				      k->name, op_name[op], phase_label[phase], got, err);
		return !got;
	}
	KUNIT_EXPECT_TRUE_MSG(test, got && !strcmp(got, want),
			      "%s %s in %s: got \"%s\", documented \"%s\"", k->name,
			      op_name[op], phase_label[phase], got ?: "(applies)", want);
	KUNIT_EXPECT_EQ_MSG(test, err, want_err, "%s %s in %s: errno", k->name,
			    op_name[op], phase_label[phase]);
	return got && !strcmp(got, want) && err == want_err;
}

/* Failures reported per kind at most: the kernel log has room for a few only. */
#define MAX_REPORTED	32

/* Every (operation, phase) pair of one kind. */
static void state_op_check(struct kunit *test)
{
	const struct doc_kind *k = test->param_value;
	unsigned int failed = 0;
	int ph;
	u32 op;

	for (ph = 0; ph < VDREP_PH_COUNT; ph++) {
		/* A row of the table above: one known letter per operation. */
		KUNIT_ASSERT_NOT_NULL_MSG(test, k->ops[ph], "%s: no row for %s",
					  k->name, phase_label[ph]);
		KUNIT_ASSERT_EQ_MSG(test, strlen(k->ops[ph]), 2 * NR_OPS - 1,
				    "%s: row %s", k->name, phase_label[ph]);
		for (op = OP_FIRST; op <= OP_LAST; op++) {
			KUNIT_ASSERT_NOT_NULL_MSG(test, strchr("y.kBR", doc_op_entry(k, ph, op)),
						  "%s: row %s", k->name, phase_label[ph]);
			if (!expect_op(test, k, ph, op) && ++failed == MAX_REPORTED) {
				kunit_info(test, "%s: more failures not shown", k->name);
				return;
			}
		}
	}
}

/* Operation numbers outside the enum (the netlink policy keeps them out). */
static void state_op_unknown(struct kunit *test)
{
	static const u32 bad[] = { 0, OP_LAST + 1, 0x8000, U32_MAX };
	size_t i, j;
	int ph;

	for (i = 0; i < ARRAY_SIZE(doc_kinds); i++)
		for (j = 0; j < ARRAY_SIZE(bad); j++)
			for (ph = 0; ph < VDREP_PH_COUNT; ph++) {
				int err = 0;
				const char *msg = vdrep_op_check(doc_kinds[i].sync_type,
								 bad[j], ph, &err);

				KUNIT_EXPECT_NOT_NULL_MSG(test, msg, "%s: op %u in %s",
							  doc_kinds[i].name, bad[j],
							  phase_label[ph]);
				KUNIT_EXPECT_EQ_MSG(test, err, -EINVAL, "%s: op %u in %s",
						    doc_kinds[i].name, bad[j], phase_label[ph]);
			}
}

/* ---------------------------------------------- vdrep_op_requested_state() */

static void state_requested(struct kunit *test)
{
	const struct doc_kind *k = test->param_value;
	unsigned int checked = 0;
	u32 op;
	int ph;

	for (op = OP_FIRST; op <= OP_LAST; op++) {
		bool applies = false;

		for (ph = 0; ph < VDREP_PH_COUNT; ph++)
			applies |= doc_op_entry(k, ph, op) == 'y';
		/* The table above has a state exactly for the operations that apply. */
		KUNIT_EXPECT_EQ_MSG(test, applies, k->requested[op] != 0, "%s %s",
				    k->name, op_name[op]);
		if (!k->requested[op])
			continue;
		KUNIT_EXPECT_EQ_MSG(test, vdrep_op_requested_state(k->sync_type, op),
				    k->requested[op], "%s %s: RequestedCopyState",
				    k->name, op_name[op]);
		checked++;
	}
	KUNIT_EXPECT_GT(test, checked, 0U);
}

/* ---------------------------------------------------- vdrep_phase_report() */

static void expect_report(struct kunit *test, const struct doc_kind *k,
			  const struct doc_report *row, enum vdrep_phase prev,
			  u32 cs, u32 ss)
{
	struct vdrep_report r;

	memset(&r, 0xa5, sizeof(r));
	vdrep_phase_report(k->sync_type, row->phase, prev, &r);
	KUNIT_EXPECT_EQ_MSG(test, r.copy_state, cs, "%s %s (from %s): CopyState",
			    k->name, phase_label[row->phase], phase_label[prev]);
	KUNIT_EXPECT_EQ_MSG(test, r.sync_state, ss, "%s %s (from %s): SyncState",
			    k->name, phase_label[row->phase], phase_label[prev]);
	KUNIT_EXPECT_EQ_MSG(test, r.progress_status, row->ps,
			    "%s %s (from %s): ProgressStatus",
			    k->name, phase_label[row->phase], phase_label[prev]);
}

/*
 * Each documented phase of one kind. A phase with its own values reports
 * them whatever phase came before; a *previous* column takes the value of
 * each phase the operation passing through it is documented to start from.
 */
static void state_report(struct kunit *test)
{
	const struct doc_kind *k = test->param_value;
	size_t i, j;

	for (i = 0; i < k->nr_reports; i++) {
		const struct doc_report *row = &k->reports[i];
		unsigned int starts = 0;

		if (row->cs != PREVIOUS && row->ss != PREVIOUS) {
			for (j = 0; j < k->nr_reports; j++)
				expect_report(test, k, row, k->reports[j].phase,
					      row->cs, row->ss);
			continue;
		}
		for (j = 0; j < k->nr_reports; j++) {
			const struct doc_report *from = &k->reports[j];

			if (from->transient || doc_op_entry(k, from->phase, row->op) != 'y')
				continue;
			expect_report(test, k, row, from->phase,
				      row->cs == PREVIOUS ? from->cs : row->cs,
				      row->ss == PREVIOUS ? from->ss : row->ss);
			starts++;
		}
		KUNIT_EXPECT_GT_MSG(test, starts, 0U, "%s %s: no phase to start from",
				    k->name, phase_label[row->phase]);
	}
}

/* ------------------------------------------------ vdrep_phase_from_report() */

/*
 * What assemble makes of a record (metadata-format.rst, "Assemble"): every
 * phase with its own report comes back as itself, so the documented reports
 * of one kind tell its phases apart; a transient one, from each phase it is
 * documented to start from, as the phase it was going to.
 */
static enum vdrep_phase doc_transient_end(enum vdrep_phase phase)
{
	switch (phase) {
	case VDREP_PH_FRACTURING:
		return VDREP_PH_FRACTURED;
	case VDREP_PH_QUIESCING:
	case VDREP_PH_QUIESCED:
		return VDREP_PH_SPLIT;
	case VDREP_PH_SUSPENDING:
		return VDREP_PH_SUSPENDED;
	case VDREP_PH_ABORTING:
		return VDREP_PH_ABORTED;
	default:	/* failing over, detaching: the caller refuses or drops */
		return phase;
	}
}

static void state_from_report(struct kunit *test)
{
	const struct doc_kind *k = test->param_value;
	struct vdrep_report r = {};
	size_t i, j;

	for (i = 0; i < k->nr_reports; i++) {
		const struct doc_report *row = &k->reports[i];

		if (!row->transient) {
			vdrep_phase_report(k->sync_type, row->phase, row->phase, &r);
			KUNIT_EXPECT_EQ_MSG(test, vdrep_phase_from_report(k->sync_type, &r),
					    row->phase, "%s %s", k->name,
					    phase_label[row->phase]);
			continue;
		}
		for (j = 0; j < k->nr_reports; j++) {
			const struct doc_report *from = &k->reports[j];

			if (from->transient || doc_op_entry(k, from->phase, row->op) != 'y')
				continue;
			vdrep_phase_report(k->sync_type, row->phase, from->phase, &r);
			KUNIT_EXPECT_EQ_MSG(test, vdrep_phase_from_report(k->sync_type, &r),
					    doc_transient_end(row->phase), "%s %s (from %s)",
					    k->name, phase_label[row->phase],
					    phase_label[from->phase]);
		}
	}
	/* Values no phase reports. */
	r = (struct vdrep_report){ 0, 0, 0 };
	KUNIT_EXPECT_EQ(test, vdrep_phase_from_report(k->sync_type, &r), VDREP_PH_COUNT);
	r = (struct vdrep_report){ VDREP_COPY_STATE_SYNCHRONIZED, VDREP_SYNC_STATE_BROKEN,
				   VDREP_PROGRESS_STATUS_COMPLETED };
	KUNIT_EXPECT_EQ(test, vdrep_phase_from_report(k->sync_type, &r), VDREP_PH_COUNT);
}

/* ---------------------------------------------------- vdrep_phase_copying() */

/*
 * "The copy engine": it copies "from the source to the target (initial
 * sync, resync, resume, pending catch-up) or back (restore, failback)".
 */
static void state_phase_copying(struct kunit *test)
{
	static const bool copying[VDREP_PH_COUNT] = {
		[VDREP_PH_SYNCING] = true,
		[VDREP_PH_RESYNCING] = true,
		[VDREP_PH_PENDING] = true,
		[VDREP_PH_RESTORING] = true,
		[VDREP_PH_FAILING_BACK] = true,
	};
	int ph;

	for (ph = 0; ph < VDREP_PH_COUNT; ph++)
		KUNIT_EXPECT_EQ_MSG(test, vdrep_phase_copying(ph), copying[ph], "%s",
				    phase_label[ph]);
}

/* ------------------------------------------------------------- CLI names */

/*
 * "vdrepctl and the uevents spell them lowercase with hyphens": the seed's
 * names of every value (seed/MSFT_VirtualDiskToVirtualDisk.md).
 */
static void state_names(struct kunit *test)
{
	static const char *const copy[] = {
		[2] = "initialized", [3] = "unsynchronized", [4] = "synchronized",
		[5] = "broken", [6] = "fractured", [7] = "split", [8] = "inactive",
		[9] = "suspended", [10] = "failedover", [11] = "prepared",
		[12] = "aborted", [13] = "skewed", [14] = "mixed",
		[15] = "not-applicable",
	};
	static const char *const sync[] = {
		[2] = "initialized", [3] = "prepare-in-progress", [4] = "prepared",
		[5] = "resync-in-progress", [6] = "synchronized",
		[7] = "fracture-in-progress", [8] = "quiesce-in-progress",
		[9] = "quiesced", [10] = "restore-in-progress", [11] = "idle",
		[12] = "broken", [13] = "fractured", [14] = "frozen",
		[15] = "copy-in-progress",
	};
	static const char *const progress[] = {
		[0] = "unknown", [2] = "completed", [3] = "dormant",
		[4] = "initializing", [5] = "preparing", [6] = "synchronizing",
		[7] = "resyncing", [8] = "restoring", [9] = "fracturing",
		[10] = "splitting", [11] = "failing-over", [12] = "failing-back",
		[13] = "aborting", [14] = "mixed", [15] = "not-applicable",
		[16] = "suspending", [17] = "requires-fracture",
		[18] = "requires-resync", [19] = "requires-activate",
		[20] = "pending", [21] = "detaching",
	};
	/* Values the seed reserves: some name, never NULL. */
	static const u32 reserved[] = { 1, 16, 22, 0x8000, U32_MAX };
	u32 v;
	size_t i;

	for (v = 0; v < ARRAY_SIZE(copy); v++)
		if (copy[v])
			KUNIT_EXPECT_STREQ_MSG(test, vdrep_copy_state_name(v), copy[v],
					       "CopyState %u", v);
	for (v = 0; v < ARRAY_SIZE(sync); v++)
		if (sync[v])
			KUNIT_EXPECT_STREQ_MSG(test, vdrep_sync_state_name(v), sync[v],
					       "SyncState %u", v);
	for (v = 0; v < ARRAY_SIZE(progress); v++)
		if (progress[v])
			KUNIT_EXPECT_STREQ_MSG(test, vdrep_progress_status_name(v),
					       progress[v], "ProgressStatus %u", v);
	for (i = 0; i < ARRAY_SIZE(reserved); i++) {
		KUNIT_EXPECT_NOT_NULL(test, vdrep_copy_state_name(reserved[i]));
		KUNIT_EXPECT_NOT_NULL(test, vdrep_sync_state_name(reserved[i]));
		if (reserved[i] != 16)
			KUNIT_EXPECT_NOT_NULL(test, vdrep_progress_status_name(reserved[i]));
	}
}

static struct kunit_case vdrep_state_cases[] = {
	KUNIT_CASE(state_uapi_numbers),
	KUNIT_CASE_PARAM(state_op_check, doc_kind_gen_params),
	KUNIT_CASE(state_op_unknown),
	KUNIT_CASE_PARAM(state_requested, doc_kind_gen_params),
	KUNIT_CASE_PARAM(state_report, doc_kind_gen_params),
	KUNIT_CASE_PARAM(state_from_report, doc_kind_gen_params),
	KUNIT_CASE(state_phase_copying),
	KUNIT_CASE(state_names),
	{}
};

static struct kunit_suite vdrep_state_suite = {
	.name = "vdrep_state",
	.test_cases = vdrep_state_cases,
};

kunit_test_suites(&vdrep_state_suite);

/* For the whole vdrep_kunit module (kernel/tests/). */
MODULE_DESCRIPTION("vdrep: KUnit tests of the state table, chunk maps and input checks");
MODULE_LICENSE("GPL");
