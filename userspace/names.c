// SPDX-License-Identifier: GPL-2.0
/*
 * vdrepctl: names of the enum values of uapi/linux/vdrep.h, indexed by value.
 * The seed names are MSFT_VirtualDiskToVirtualDisk's, spelled as it spells
 * them (but "Restore In Progress" without the seed's third 's').
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include <linux/vdrep.h>

#include "names.h"
#include "vdrepctl.h"

#define ENUM_NAMES(var, desc, table)					\
	const struct enum_names var = {					\
		.what = desc, .values = table, .count = ARRAY_SIZE(table) }

static const struct enum_name copy_states[] = {
	[VDREP_COPY_STATE_INITIALIZED]		= { "initialized", "Initialized" },
	[VDREP_COPY_STATE_UNSYNCHRONIZED]	= { "unsynchronized", "Unsynchronized" },
	[VDREP_COPY_STATE_SYNCHRONIZED]		= { "synchronized", "Synchronized" },
	[VDREP_COPY_STATE_BROKEN]		= { "broken", "Broken" },
	[VDREP_COPY_STATE_FRACTURED]		= { "fractured", "Fractured" },
	[VDREP_COPY_STATE_SPLIT]		= { "split", "Split" },
	[VDREP_COPY_STATE_INACTIVE]		= { "inactive", "Inactive" },
	[VDREP_COPY_STATE_SUSPENDED]		= { "suspended", "Suspended" },
	[VDREP_COPY_STATE_FAILEDOVER]		= { "failedover", "Failedover" },
	[VDREP_COPY_STATE_PREPARED]		= { "prepared", "Prepared" },
	[VDREP_COPY_STATE_ABORTED]		= { "aborted", "Aborted" },
	[VDREP_COPY_STATE_SKEWED]		= { "skewed", "Skewed" },
	[VDREP_COPY_STATE_MIXED]		= { "mixed", "Mixed" },
	[VDREP_COPY_STATE_NOT_APPLICABLE]	= { "not-applicable", "Not Applicable" },
};
ENUM_NAMES(copy_state_names, "copy state", copy_states);

static const struct enum_name sync_states[] = {
	[VDREP_SYNC_STATE_INITIALIZED]		= { "initialized", "Initialized" },
	[VDREP_SYNC_STATE_PREPARE_IN_PROGRESS]	= { "prepare-in-progress", "PrepareInProgress" },
	[VDREP_SYNC_STATE_PREPARED]		= { "prepared", "Prepared" },
	[VDREP_SYNC_STATE_RESYNC_IN_PROGRESS]	= { "resync-in-progress", "ResyncInProgress" },
	[VDREP_SYNC_STATE_SYNCHRONIZED]		= { "synchronized", "Synchronized" },
	[VDREP_SYNC_STATE_FRACTURE_IN_PROGRESS]	= { "fracture-in-progress", "Fracture In Progress" },
	[VDREP_SYNC_STATE_QUIESCE_IN_PROGRESS]	= { "quiesce-in-progress", "QuiesceInProgress" },
	[VDREP_SYNC_STATE_QUIESCED]		= { "quiesced", "Quiesced" },
	[VDREP_SYNC_STATE_RESTORE_IN_PROGRESS]	= { "restore-in-progress", "Restore In Progress" },
	[VDREP_SYNC_STATE_IDLE]			= { "idle", "Idle" },
	[VDREP_SYNC_STATE_BROKEN]		= { "broken", "Broken" },
	[VDREP_SYNC_STATE_FRACTURED]		= { "fractured", "Fractured" },
	[VDREP_SYNC_STATE_FROZEN]		= { "frozen", "Frozen" },
	[VDREP_SYNC_STATE_COPY_IN_PROGRESS]	= { "copy-in-progress", "Copy In Progress" },
};
ENUM_NAMES(sync_state_names, "sync state", sync_states);

static const struct enum_name progress_statuses[] = {
	[VDREP_PROGRESS_STATUS_UNKNOWN]			= { "unknown", "Unknown" },
	[VDREP_PROGRESS_STATUS_COMPLETED]		= { "completed", "Completed" },
	[VDREP_PROGRESS_STATUS_DORMANT]			= { "dormant", "Dormant" },
	[VDREP_PROGRESS_STATUS_INITIALIZING]		= { "initializing", "Initializing" },
	[VDREP_PROGRESS_STATUS_PREPARING]		= { "preparing", "Preparing" },
	[VDREP_PROGRESS_STATUS_SYNCHRONIZING]		= { "synchronizing", "Synchronizing" },
	[VDREP_PROGRESS_STATUS_RESYNCING]		= { "resyncing", "Resyncing" },
	[VDREP_PROGRESS_STATUS_RESTORING]		= { "restoring", "Restoring" },
	[VDREP_PROGRESS_STATUS_FRACTURING]		= { "fracturing", "Fracturing" },
	[VDREP_PROGRESS_STATUS_SPLITTING]		= { "splitting", "Splitting" },
	[VDREP_PROGRESS_STATUS_FAILING_OVER]		= { "failing-over", "Failing over" },
	[VDREP_PROGRESS_STATUS_FAILING_BACK]		= { "failing-back", "Failing back" },
	[VDREP_PROGRESS_STATUS_ABORTING]		= { "aborting", "Aborting" },
	[VDREP_PROGRESS_STATUS_MIXED]			= { "mixed", "Mixed" },
	[VDREP_PROGRESS_STATUS_NOT_APPLICABLE]		= { "not-applicable", "Not Applicable" },
	[VDREP_PROGRESS_STATUS_SUSPENDING]		= { "suspending", "Suspending" },
	[VDREP_PROGRESS_STATUS_REQUIRES_FRACTURE]	= { "requires-fracture", "Requires fracture" },
	[VDREP_PROGRESS_STATUS_REQUIRES_RESYNC]		= { "requires-resync", "Requires resync" },
	[VDREP_PROGRESS_STATUS_REQUIRES_ACTIVATE]	= { "requires-activate", "Requires activate" },
	[VDREP_PROGRESS_STATUS_PENDING]			= { "pending", "Pending" },
	[VDREP_PROGRESS_STATUS_DETACHING]		= { "detaching", "Detaching" },
};
ENUM_NAMES(progress_status_names, "progress status", progress_statuses);

static const struct enum_name sync_types[] = {
	[VDREP_SYNC_TYPE_MIRROR]	= { "mirror", "Mirror" },
	[VDREP_SYNC_TYPE_SNAPSHOT]	= { "snapshot", "Snapshot" },
	[VDREP_SYNC_TYPE_CLONE]		= { "clone", "Clone" },
};
ENUM_NAMES(sync_type_names, "sync type", sync_types);

static const struct enum_name sync_modes[] = {
	[VDREP_SYNC_MODE_UNKNOWN]	= { "unknown", "Unknown" },
	[VDREP_SYNC_MODE_SYNCHRONOUS]	= { "synchronous", "Synchronous" },
	[VDREP_SYNC_MODE_ASYNCHRONOUS]	= { "asynchronous", "Asynchronous" },
};
ENUM_NAMES(sync_mode_names, "sync mode", sync_modes);

static const struct enum_name copy_types[] = {
	[VDREP_COPY_TYPE_ASYNC]		 = { "async", "Async" },
	[VDREP_COPY_TYPE_SYNC]		 = { "sync", "Sync" },
	[VDREP_COPY_TYPE_UNSYNC_ASSOC]	 = { "unsync-assoc", "UnSyncAssoc" },
	[VDREP_COPY_TYPE_UNSYNC_UNASSOC] = { "unsync-unassoc", "UnSyncUnAssoc" },
};
ENUM_NAMES(copy_type_names, "copy type", copy_types);

static const struct enum_name replica_types[] = {
	[VDREP_REPLICA_TYPE_NOT_SPECIFIED]	= { "not-specified", "Not Specified" },
	[VDREP_REPLICA_TYPE_FULL_COPY]		= { "full-copy", "Full Copy" },
	[VDREP_REPLICA_TYPE_BEFORE_DELTA]	= { "before-delta", "Before Delta" },
	[VDREP_REPLICA_TYPE_AFTER_DELTA]	= { "after-delta", "After Delta" },
	[VDREP_REPLICA_TYPE_LOG]		= { "log", "Log" },
};
ENUM_NAMES(replica_type_names, "replica type", replica_types);

static const struct enum_name copy_methodologies[] = {
	[VDREP_COPY_METHODOLOGY_NOT_SPECIFIED]		= { "not-specified", "Not Specified" },
	[VDREP_COPY_METHODOLOGY_OTHER]			= { "other", "Other" },
	[VDREP_COPY_METHODOLOGY_IMPLEMENTATION_DECIDES]	= { "implementation-decides", "Implementation decides" },
	[VDREP_COPY_METHODOLOGY_FULL_COPY]		= { "full-copy", "Full Copy" },
	[VDREP_COPY_METHODOLOGY_INCREMENTAL_COPY]	= { "incremental-copy", "Incremental-Copy" },
	[VDREP_COPY_METHODOLOGY_DIFFERENTIAL_COPY]	= { "differential-copy", "Differential-Copy" },
	[VDREP_COPY_METHODOLOGY_COPY_ON_WRITE]		= { "copy-on-write", "Copy-On-Write" },
	[VDREP_COPY_METHODOLOGY_COPY_ON_ACCESS]		= { "copy-on-access", "Copy-On-Access" },
	[VDREP_COPY_METHODOLOGY_DELTA_UPDATE]		= { "delta-update", "Delta-Update" },
	[VDREP_COPY_METHODOLOGY_SNAP_AND_CLONE]		= { "snap-and-clone", "Snap-And-Clone" },
};
ENUM_NAMES(copy_methodology_names, "copy methodology", copy_methodologies);

static const struct enum_name copy_priorities[] = {
	[VDREP_COPY_PRIORITY_NOT_MANAGED]	= { "not-managed", "Not Managed" },
	[VDREP_COPY_PRIORITY_LOW]		= { "low", "Low" },
	[VDREP_COPY_PRIORITY_SAME]		= { "same", "Same" },
	[VDREP_COPY_PRIORITY_HIGH]		= { "high", "High" },
};
ENUM_NAMES(copy_priority_names, "copy priority", copy_priorities);

/* Vendor enums: not in the seed, "seed" names are only for symmetry. */
static const struct enum_name operations[] = {
	[VDREP_OPERATION_ACTIVATE]	= { "activate", "Activate" },
	[VDREP_OPERATION_FRACTURE]	= { "fracture", "Fracture" },
	[VDREP_OPERATION_SPLIT]		= { "split", "Split" },
	[VDREP_OPERATION_SUSPEND]	= { "suspend", "Suspend" },
	[VDREP_OPERATION_RESUME]	= { "resume", "Resume" },
	[VDREP_OPERATION_RESYNC]	= { "resync", "Resync" },
	[VDREP_OPERATION_RESTORE]	= { "restore", "Restore" },
	[VDREP_OPERATION_FAILOVER]	= { "failover", "Failover" },
	[VDREP_OPERATION_FAILBACK]	= { "failback", "Failback" },
	[VDREP_OPERATION_ABORT]		= { "abort", "Abort" },
	[VDREP_OPERATION_DETACH]	= { "detach", "Detach" },
};
ENUM_NAMES(operation_names, "operation", operations);

static const struct enum_name meta_states[] = {
	[VDREP_META_STATE_TRANSIENT]	= { "transient", "Transient" },
	[VDREP_META_STATE_WRITABLE]	= { "writable", "Writable" },
	[VDREP_META_STATE_READ_ONLY]	= { "read-only", "Read-only" },
	[VDREP_META_STATE_FAILED]	= { "failed", "Failed" },
};
ENUM_NAMES(meta_state_names, "metadata state", meta_states);

const char *enum_name(const struct enum_names *e, unsigned int value)
{
	return value < e->count ? e->values[value].name : NULL;
}

const char *enum_seed_name(const struct enum_names *e, unsigned int value)
{
	return value < e->count ? e->values[value].seed : NULL;
}

int enum_value(const struct enum_names *e, const char *name)
{
	for (unsigned int v = 0; v < e->count; v++) {
		const struct enum_name *n = &e->values[v];

		if (n->name && (!strcmp(n->name, name) || !strcasecmp(n->seed, name)))
			return (int)v;
	}
	return -1;
}
