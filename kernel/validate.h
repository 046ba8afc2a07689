/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Checks of user-supplied values. Pure logic with no block-layer dependency,
 * so unit tests can call them directly. Each returns NULL when the value is
 * acceptable, or the message to send back as the netlink extack.
 */
#ifndef VDREP_VALIDATE_H
#define VDREP_VALIDATE_H

#include <linux/sizes.h>
#include <linux/types.h>

/* What a name names; it chooses the words of the message. */
enum vdrep_name_kind {
	VDREP_NAME_VOLUME,
	VDREP_NAME_ASSOC,
};

/* A name of @len bytes (no NUL among them); sets *@err (-EINVAL, -ENAMETOOLONG). */
const char *vdrep_check_name(enum vdrep_name_kind kind, const char *name,
			     size_t len, int *err);
/* A volume's chunk size; the errno is -EINVAL. */
const char *vdrep_check_chunk_size(u32 chunk_size);

/* A mirror's sync mode (synchronous or asynchronous); the errno is -EINVAL. */
const char *vdrep_check_sync_mode(u32 mode);

/* An asynchronous mirror's backlog limit, bytes; the errno is -ERANGE. */
#define VDREP_BACKLOG_MIN	SZ_1M
#define VDREP_BACKLOG_MAX	SZ_1G
const char *vdrep_check_backlog_limit(u64 bytes);

/* A clone's copy type (unsync-assoc or unsync-unassoc); the errno is -EINVAL. */
const char *vdrep_check_copy_type(u32 copy_type);

#endif /* VDREP_VALIDATE_H */
