/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Checks of user-supplied values. Pure logic with no block-layer dependency,
 * so unit tests can call them directly. Each returns NULL when the value is
 * acceptable, or the message to send back as the netlink extack.
 */
#ifndef VDREP_VALIDATE_H
#define VDREP_VALIDATE_H

#include <linux/types.h>

/* What a name names; it chooses the words of the message. */
enum vdrep_name_kind {
	VDREP_NAME_VOLUME,
	VDREP_NAME_ASSOC,
};

const char *vdrep_check_name(enum vdrep_name_kind kind, const char *name,
			     size_t len, int *err);
const char *vdrep_check_chunk_size(u32 chunk_size);

#endif /* VDREP_VALIDATE_H */
