// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/vdrep.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "netlink-gen.h"

#include "../uapi/linux/vdrep.h"

/* VDREP_CMD_VOLUME_GET - do */
const struct nla_policy vdrep_volume_get_nl_policy[VDREP_A_VOLUME_NAME + 1] = {
	[VDREP_A_VOLUME_NAME] = { .type = NLA_NUL_STRING, },
};

/* VDREP_CMD_VOLUME_CREATE - do */
const struct nla_policy vdrep_volume_create_nl_policy[VDREP_A_VOLUME_META_PATH + 1] = {
	[VDREP_A_VOLUME_NAME] = { .type = NLA_NUL_STRING, },
	[VDREP_A_VOLUME_SOURCE_PATH] = { .type = NLA_NUL_STRING, },
	[VDREP_A_VOLUME_CHUNK_SIZE] = { .type = NLA_U32, },
	[VDREP_A_VOLUME_META_PATH] = { .type = NLA_NUL_STRING, },
};

/* VDREP_CMD_VOLUME_DESTROY - do */
const struct nla_policy vdrep_volume_destroy_nl_policy[VDREP_A_VOLUME_NAME + 1] = {
	[VDREP_A_VOLUME_NAME] = { .type = NLA_NUL_STRING, },
};

/* VDREP_CMD_ASSOC_GET - do */
const struct nla_policy vdrep_assoc_get_nl_policy[VDREP_A_ASSOC_NAME + 1] = {
	[VDREP_A_ASSOC_VOLUME] = { .type = NLA_NUL_STRING, },
	[VDREP_A_ASSOC_NAME] = { .type = NLA_NUL_STRING, },
};

/* VDREP_CMD_ASSOC_CREATE - do */
const struct nla_policy vdrep_assoc_create_nl_policy[VDREP_A_ASSOC_RATE_LIMIT + 1] = {
	[VDREP_A_ASSOC_VOLUME] = { .type = NLA_NUL_STRING, },
	[VDREP_A_ASSOC_NAME] = { .type = NLA_NUL_STRING, },
	[VDREP_A_ASSOC_TARGET_PATH] = { .type = NLA_NUL_STRING, },
	[VDREP_A_ASSOC_SYNC_TYPE] = NLA_POLICY_RANGE(NLA_U32, 6, 8),
	[VDREP_A_ASSOC_SYNC_MODE] = { .type = NLA_U32, },
	[VDREP_A_ASSOC_COPY_TYPE] = NLA_POLICY_RANGE(NLA_U32, 2, 5),
	[VDREP_A_ASSOC_COPY_PRIORITY] = NLA_POLICY_MAX(NLA_U32, 3),
	[VDREP_A_ASSOC_PREPARE_ONLY] = { .type = NLA_FLAG, },
	[VDREP_A_ASSOC_VIEW_WRITABLE] = { .type = NLA_FLAG, },
	[VDREP_A_ASSOC_RATE_LIMIT] = { .type = NLA_U64, },
	[VDREP_A_ASSOC_BACKLOG_LIMIT] = { .type = NLA_U64, },
};

/* VDREP_CMD_ASSOC_DESTROY - do */
const struct nla_policy vdrep_assoc_destroy_nl_policy[VDREP_A_ASSOC_NAME + 1] = {
	[VDREP_A_ASSOC_VOLUME] = { .type = NLA_NUL_STRING, },
	[VDREP_A_ASSOC_NAME] = { .type = NLA_NUL_STRING, },
};

/* VDREP_CMD_ASSOC_MODIFY - do */
const struct nla_policy vdrep_assoc_modify_nl_policy[VDREP_A_ASSOC_RATE_LIMIT + 1] = {
	[VDREP_A_ASSOC_VOLUME] = { .type = NLA_NUL_STRING, },
	[VDREP_A_ASSOC_NAME] = { .type = NLA_NUL_STRING, },
	[VDREP_A_ASSOC_OPERATION] = NLA_POLICY_RANGE(NLA_U32, 1, 11),
	[VDREP_A_ASSOC_COPY_PRIORITY] = NLA_POLICY_MAX(NLA_U32, 3),
	[VDREP_A_ASSOC_RATE_LIMIT] = { .type = NLA_U64, },
	[VDREP_A_ASSOC_BACKLOG_LIMIT] = { .type = NLA_U64, },
	[VDREP_A_ASSOC_VIEW_WRITABLE] = { .type = NLA_FLAG, },
};

/* VDREP_CMD_VOLUME_STOP - do */
const struct nla_policy vdrep_volume_stop_nl_policy[VDREP_A_VOLUME_NAME + 1] = {
	[VDREP_A_VOLUME_NAME] = { .type = NLA_NUL_STRING, },
};

/* Ops table for vdrep */
const struct genl_ops vdrep_nl_ops[8] = {
	{
		.cmd		= VDREP_CMD_VOLUME_GET,
		.doit		= vdrep_nl_volume_get_doit,
		.dumpit		= vdrep_nl_volume_get_dumpit,
		.policy		= vdrep_volume_get_nl_policy,
		.maxattr	= VDREP_A_VOLUME_NAME,
	},
	{
		.cmd		= VDREP_CMD_VOLUME_CREATE,
		.doit		= vdrep_nl_volume_create_doit,
		.policy		= vdrep_volume_create_nl_policy,
		.maxattr	= VDREP_A_VOLUME_META_PATH,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= VDREP_CMD_VOLUME_DESTROY,
		.doit		= vdrep_nl_volume_destroy_doit,
		.policy		= vdrep_volume_destroy_nl_policy,
		.maxattr	= VDREP_A_VOLUME_NAME,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= VDREP_CMD_ASSOC_GET,
		.doit		= vdrep_nl_assoc_get_doit,
		.dumpit		= vdrep_nl_assoc_get_dumpit,
		.policy		= vdrep_assoc_get_nl_policy,
		.maxattr	= VDREP_A_ASSOC_NAME,
	},
	{
		.cmd		= VDREP_CMD_ASSOC_CREATE,
		.doit		= vdrep_nl_assoc_create_doit,
		.policy		= vdrep_assoc_create_nl_policy,
		.maxattr	= VDREP_A_ASSOC_RATE_LIMIT,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= VDREP_CMD_ASSOC_DESTROY,
		.doit		= vdrep_nl_assoc_destroy_doit,
		.policy		= vdrep_assoc_destroy_nl_policy,
		.maxattr	= VDREP_A_ASSOC_NAME,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= VDREP_CMD_ASSOC_MODIFY,
		.doit		= vdrep_nl_assoc_modify_doit,
		.policy		= vdrep_assoc_modify_nl_policy,
		.maxattr	= VDREP_A_ASSOC_RATE_LIMIT,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= VDREP_CMD_VOLUME_STOP,
		.doit		= vdrep_nl_volume_stop_doit,
		.policy		= vdrep_volume_stop_nl_policy,
		.maxattr	= VDREP_A_VOLUME_NAME,
		.flags		= GENL_ADMIN_PERM,
	},
};

const struct genl_multicast_group vdrep_nl_mcgrps[] = {
	[VDREP_NLGRP_EVENTS] = { "events", },
};
