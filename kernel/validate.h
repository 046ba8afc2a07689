/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Checks of user-supplied values. Pure logic with no block-layer dependency,
 * so unit tests can call them directly. Each returns NULL when the value is
 * acceptable, or the message to send back as the netlink extack.
 */
#ifndef VDREP_VALIDATE_H
#define VDREP_VALIDATE_H

#include <linux/types.h>

const char *vdrep_check_name(const char *name, size_t len, int *err);
const char *vdrep_check_chunk_size(u32 chunk_size);

#endif /* VDREP_VALIDATE_H */
