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
const struct nla_policy vdrep_volume_create_nl_policy[VDREP_A_VOLUME_CHUNK_SIZE + 1] = {
	[VDREP_A_VOLUME_NAME] = { .type = NLA_NUL_STRING, },
	[VDREP_A_VOLUME_SOURCE_PATH] = { .type = NLA_NUL_STRING, },
	[VDREP_A_VOLUME_CHUNK_SIZE] = { .type = NLA_U32, },
};

/* VDREP_CMD_VOLUME_DESTROY - do */
const struct nla_policy vdrep_volume_destroy_nl_policy[VDREP_A_VOLUME_NAME + 1] = {
	[VDREP_A_VOLUME_NAME] = { .type = NLA_NUL_STRING, },
};

/* Ops table for vdrep */
const struct genl_ops vdrep_nl_ops[3] = {
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
		.maxattr	= VDREP_A_VOLUME_CHUNK_SIZE,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= VDREP_CMD_VOLUME_DESTROY,
		.doit		= vdrep_nl_volume_destroy_doit,
		.policy		= vdrep_volume_destroy_nl_policy,
		.maxattr	= VDREP_A_VOLUME_NAME,
		.flags		= GENL_ADMIN_PERM,
	},
};

const struct genl_multicast_group vdrep_nl_mcgrps[] = {
	[VDREP_NLGRP_EVENTS] = { "events", },
};
