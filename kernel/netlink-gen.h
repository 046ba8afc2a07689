/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/vdrep.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_VDREP_GEN_H
#define _LINUX_VDREP_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include "../uapi/linux/vdrep.h"

extern const struct nla_policy vdrep_volume_get_nl_policy[VDREP_A_VOLUME_NAME + 1];

extern const struct nla_policy vdrep_volume_create_nl_policy[VDREP_A_VOLUME_META_PATH + 1];

extern const struct nla_policy vdrep_volume_destroy_nl_policy[VDREP_A_VOLUME_NAME + 1];

extern const struct nla_policy vdrep_assoc_get_nl_policy[VDREP_A_ASSOC_NAME + 1];

extern const struct nla_policy vdrep_assoc_create_nl_policy[VDREP_A_ASSOC_RATE_LIMIT + 1];

extern const struct nla_policy vdrep_assoc_destroy_nl_policy[VDREP_A_ASSOC_NAME + 1];

extern const struct nla_policy vdrep_assoc_modify_nl_policy[VDREP_A_ASSOC_RATE_LIMIT + 1];

extern const struct nla_policy vdrep_volume_stop_nl_policy[VDREP_A_VOLUME_NAME + 1];

extern const struct genl_multicast_group vdrep_nl_mcgrps[];

/* Ops table for vdrep */
extern const struct genl_ops vdrep_nl_ops[8];

int vdrep_nl_volume_get_doit(struct sk_buff *skb, struct genl_info *info);
int vdrep_nl_volume_get_dumpit(struct sk_buff *skb,
			       struct netlink_callback *cb);
int vdrep_nl_volume_create_doit(struct sk_buff *skb, struct genl_info *info);
int vdrep_nl_volume_destroy_doit(struct sk_buff *skb, struct genl_info *info);
int vdrep_nl_assoc_get_doit(struct sk_buff *skb, struct genl_info *info);
int vdrep_nl_assoc_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int vdrep_nl_assoc_create_doit(struct sk_buff *skb, struct genl_info *info);
int vdrep_nl_assoc_destroy_doit(struct sk_buff *skb, struct genl_info *info);
int vdrep_nl_assoc_modify_doit(struct sk_buff *skb, struct genl_info *info);
int vdrep_nl_volume_stop_doit(struct sk_buff *skb, struct genl_info *info);

enum {
	VDREP_NLGRP_EVENTS,
};

#endif /* _LINUX_VDREP_GEN_H */
