// SPDX-License-Identifier: GPL-2.0
/* 6.2+: genl_info_dump() gives a dump's parsed request as a genl_info. */
#include <net/genetlink.h>

struct nlattr **vdrep_compat_test(struct netlink_callback *cb);
struct nlattr **vdrep_compat_test(struct netlink_callback *cb)
{
	return genl_info_dump(cb)->attrs;
}
