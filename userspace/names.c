// SPDX-License-Identifier: GPL-2.0
/*
 * vdrepctl: names of the MSFT_VirtualDiskToVirtualDisk enum values, indexed
 * by the seed's numbers (uapi/linux/vdrep.h), as the CLI and JSON show them.
 */
#include <stddef.h>
#include <string.h>

#include "vdrepctl.h"

#define NAME_LOOKUP(fn, table)						\
const char *fn(unsigned int v)						\
{									\
	return v < sizeof(table) / sizeof(table[0]) ? table[v] : NULL;	\
}

static const char *const copy_states[] = {
	[VDREP_COPY_STATE_INITIALIZED]		= "initialized",
	[VDREP_COPY_STATE_UNSYNCHRONIZED]	= "unsynchronized",
	[VDREP_COPY_STATE_SYNCHRONIZED]		= "synchronized",
	[VDREP_COPY_STATE_BROKEN]		= "broken",
	[VDREP_COPY_STATE_FRACTURED]		= "fractured",
	[VDREP_COPY_STATE_SPLIT]		= "split",
	[VDREP_COPY_STATE_INACTIVE]		= "inactive",
	[VDREP_COPY_STATE_SUSPENDED]		= "suspended",
	[VDREP_COPY_STATE_FAILEDOVER]		= "failedover",
	[VDREP_COPY_STATE_PREPARED]		= "prepared",
	[VDREP_COPY_STATE_ABORTED]		= "aborted",
	[VDREP_COPY_STATE_SKEWED]		= "skewed",
	[VDREP_COPY_STATE_MIXED]		= "mixed",
	[VDREP_COPY_STATE_NOT_APPLICABLE]	= "not-applicable",
};
NAME_LOOKUP(copy_state_name, copy_states)

static const char *const sync_states[] = {
	[VDREP_SYNC_STATE_INITIALIZED]		= "initialized",
	[VDREP_SYNC_STATE_PREPARE_IN_PROGRESS]	= "prepare-in-progress",
	[VDREP_SYNC_STATE_PREPARED]		= "prepared",
	[VDREP_SYNC_STATE_RESYNC_IN_PROGRESS]	= "resync-in-progress",
	[VDREP_SYNC_STATE_SYNCHRONIZED]		= "synchronized",
	[VDREP_SYNC_STATE_FRACTURE_IN_PROGRESS]	= "fracture-in-progress",
	[VDREP_SYNC_STATE_QUIESCE_IN_PROGRESS]	= "quiesce-in-progress",
	[VDREP_SYNC_STATE_QUIESCED]		= "quiesced",
	[VDREP_SYNC_STATE_RESTORE_IN_PROGRESS]	= "restore-in-progress",
	[VDREP_SYNC_STATE_IDLE]			= "idle",
	[VDREP_SYNC_STATE_BROKEN]		= "broken",
	[VDREP_SYNC_STATE_FRACTURED]		= "fractured",
	[VDREP_SYNC_STATE_FROZEN]		= "frozen",
	[VDREP_SYNC_STATE_COPY_IN_PROGRESS]	= "copy-in-progress",
};
NAME_LOOKUP(sync_state_name, sync_states)

static const char *const progress_statuses[] = {
	[VDREP_PROGRESS_STATUS_UNKNOWN]			= "unknown",
	[VDREP_PROGRESS_STATUS_COMPLETED]		= "completed",
	[VDREP_PROGRESS_STATUS_DORMANT]			= "dormant",
	[VDREP_PROGRESS_STATUS_INITIALIZING]		= "initializing",
	[VDREP_PROGRESS_STATUS_PREPARING]		= "preparing",
	[VDREP_PROGRESS_STATUS_SYNCHRONIZING]		= "synchronizing",
	[VDREP_PROGRESS_STATUS_RESYNCING]		= "resyncing",
	[VDREP_PROGRESS_STATUS_RESTORING]		= "restoring",
	[VDREP_PROGRESS_STATUS_FRACTURING]		= "fracturing",
	[VDREP_PROGRESS_STATUS_SPLITTING]		= "splitting",
	[VDREP_PROGRESS_STATUS_FAILING_OVER]		= "failing-over",
	[VDREP_PROGRESS_STATUS_FAILING_BACK]		= "failing-back",
	[VDREP_PROGRESS_STATUS_ABORTING]		= "aborting",
	[VDREP_PROGRESS_STATUS_MIXED]			= "mixed",
	[VDREP_PROGRESS_STATUS_NOT_APPLICABLE]		= "not-applicable",
	[VDREP_PROGRESS_STATUS_SUSPENDING]		= "suspending",
	[VDREP_PROGRESS_STATUS_REQUIRES_FRACTURE]	= "requires-fracture",
	[VDREP_PROGRESS_STATUS_REQUIRES_RESYNC]		= "requires-resync",
	[VDREP_PROGRESS_STATUS_REQUIRES_ACTIVATE]	= "requires-activate",
	[VDREP_PROGRESS_STATUS_PENDING]			= "pending",
	[VDREP_PROGRESS_STATUS_DETACHING]		= "detaching",
};
NAME_LOOKUP(progress_status_name, progress_statuses)

static const char *const sync_types[] = {
	[VDREP_SYNC_TYPE_MIRROR]	= "mirror",
	[VDREP_SYNC_TYPE_SNAPSHOT]	= "snapshot",
	[VDREP_SYNC_TYPE_CLONE]		= "clone",
};
NAME_LOOKUP(sync_type_name, sync_types)

static const char *const sync_modes[] = {
	[VDREP_SYNC_MODE_UNKNOWN]	= "unknown",
	[VDREP_SYNC_MODE_SYNCHRONOUS]	= "synchronous",
	[VDREP_SYNC_MODE_ASYNCHRONOUS]	= "asynchronous",
};
NAME_LOOKUP(sync_mode_name, sync_modes)

static const char *const copy_types[] = {
	[VDREP_COPY_TYPE_ASYNC]		= "async",
	[VDREP_COPY_TYPE_SYNC]		= "sync",
	[VDREP_COPY_TYPE_UNSYNC_ASSOC]	= "unsync-assoc",
	[VDREP_COPY_TYPE_UNSYNC_UNASSOC] = "unsync-unassoc",
};
NAME_LOOKUP(copy_type_name, copy_types)

static const char *const replica_types[] = {
	[VDREP_REPLICA_TYPE_NOT_SPECIFIED]	= "not-specified",
	[VDREP_REPLICA_TYPE_FULL_COPY]		= "full-copy",
	[VDREP_REPLICA_TYPE_BEFORE_DELTA]	= "before-delta",
	[VDREP_REPLICA_TYPE_AFTER_DELTA]	= "after-delta",
	[VDREP_REPLICA_TYPE_LOG]		= "log",
};
NAME_LOOKUP(replica_type_name, replica_types)

static const char *const copy_methodologies[] = {
	[VDREP_COPY_METHODOLOGY_NOT_SPECIFIED]		= "not-specified",
	[VDREP_COPY_METHODOLOGY_OTHER]			= "other",
	[VDREP_COPY_METHODOLOGY_IMPLEMENTATION_DECIDES]	= "implementation-decides",
	[VDREP_COPY_METHODOLOGY_FULL_COPY]		= "full-copy",
	[VDREP_COPY_METHODOLOGY_INCREMENTAL_COPY]	= "incremental-copy",
	[VDREP_COPY_METHODOLOGY_DIFFERENTIAL_COPY]	= "differential-copy",
	[VDREP_COPY_METHODOLOGY_COPY_ON_WRITE]		= "copy-on-write",
	[VDREP_COPY_METHODOLOGY_COPY_ON_ACCESS]		= "copy-on-access",
	[VDREP_COPY_METHODOLOGY_DELTA_UPDATE]		= "delta-update",
	[VDREP_COPY_METHODOLOGY_SNAP_AND_CLONE]		= "snap-and-clone",
};
NAME_LOOKUP(copy_methodology_name, copy_methodologies)

static const char *const copy_priorities[] = {
	[VDREP_COPY_PRIORITY_NOT_MANAGED]	= "not-managed",
	[VDREP_COPY_PRIORITY_LOW]		= "low",
	[VDREP_COPY_PRIORITY_SAME]		= "same",
	[VDREP_COPY_PRIORITY_HIGH]		= "high",
};
NAME_LOOKUP(copy_priority_name, copy_priorities)

static const char *const meta_states[] = {
	[VDREP_META_STATE_TRANSIENT]	= "transient",
	[VDREP_META_STATE_WRITABLE]	= "writable",
	[VDREP_META_STATE_READ_ONLY]	= "read-only",
	[VDREP_META_STATE_FAILED]	= "failed",
};
NAME_LOOKUP(meta_state_name, meta_states)

int enum_value(const char *(*lookup)(unsigned int), const char *name)
{
	/* Every table above has fewer than 64 entries. */
	for (unsigned int v = 0; v < 64; v++) {
		const char *n = lookup(v);

		if (n && !strcmp(n, name))
			return (int)v;
	}
	return -1;
}
