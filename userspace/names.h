/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vdrepctl: names of enum values. Tables are indexed by the values of
 * uapi/linux/vdrep.h, which are the seed class's (MSFT_VirtualDiskToVirtualDisk)
 * own numbers. Each value has a CLI/JSON name, lowercase with hyphens
 * ("resync-in-progress"), and the seed's display name ("ResyncInProgress").
 */
#ifndef VDREPCTL_NAMES_H
#define VDREPCTL_NAMES_H

struct enum_name {
	const char *name;	/* CLI and JSON */
	const char *seed;	/* as the seed class writes it */
};

struct enum_names {
	const char *what;		/* "copy state", for messages */
	const struct enum_name *values;	/* indexed by value; gaps have NULL names */
	unsigned int count;
};

extern const struct enum_names copy_state_names;	/* CopyState, RequestedCopyState */
extern const struct enum_names sync_state_names;
extern const struct enum_names progress_status_names;
extern const struct enum_names sync_type_names;
extern const struct enum_names sync_mode_names;
extern const struct enum_names copy_type_names;
extern const struct enum_names replica_type_names;
extern const struct enum_names copy_methodology_names;
extern const struct enum_names copy_priority_names;
extern const struct enum_names operation_names;		/* vendor: assoc operations */
extern const struct enum_names meta_state_names;	/* vendor: volume metadata */

/* The CLI name of @value, or NULL if the table has none. */
const char *enum_name(const struct enum_names *e, unsigned int value);
/* The seed's name of @value, or NULL. */
const char *enum_seed_name(const struct enum_names *e, unsigned int value);
/*
 * The value named @name: a CLI name, or a seed name in any case
 * ("Synchronized"). -1 if none.
 */
int enum_value(const struct enum_names *e, const char *name);

#endif /* VDREPCTL_NAMES_H */
