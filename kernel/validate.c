// SPDX-License-Identifier: GPL-2.0
/*
 * Checks of user-supplied values (see validate.h).
 */
#include <linux/errno.h>
#include <linux/log2.h>
#include <linux/types.h>

#include "validate.h"
#include "../uapi/linux/vdrep.h"

enum vdrep_name_error {
	VDREP_NAME_EMPTY,
	VDREP_NAME_TOO_LONG,
	VDREP_NAME_BAD_CHAR,
	VDREP_NAME_DOTS,
	VDREP_NAME_ERRORS
};

/* Extack messages must be static strings, so each is spelled out. */
static const char *const vdrep_name_messages[][VDREP_NAME_ERRORS] = {
	[VDREP_NAME_VOLUME] = {
		[VDREP_NAME_EMPTY]	= "volume name is empty",
		[VDREP_NAME_TOO_LONG]	= "volume name is longer than 31 bytes",
		[VDREP_NAME_BAD_CHAR]	= "volume name may only contain A-Z a-z 0-9 _ . -",
		[VDREP_NAME_DOTS]	= "volume name may not be . or ..",
	},
	[VDREP_NAME_ASSOC] = {
		[VDREP_NAME_EMPTY]	= "association name is empty",
		[VDREP_NAME_TOO_LONG]	= "association name is longer than 31 bytes",
		[VDREP_NAME_BAD_CHAR]	= "association name may only contain A-Z a-z 0-9 _ . -",
		[VDREP_NAME_DOTS]	= "association name may not be . or ..",
	},
};

static bool vdrep_name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/*
 * Names become udev symlinks (/dev/vdrep/<volume> and /dev/vdrep/<volume>:<assoc>) and sysfs
 * values, so they are kept to a portable file-name alphabet; "." and ".."
 * would walk the /dev/vdrep tree. @len excludes the terminating NUL.
 */
const char *vdrep_check_name(enum vdrep_name_kind kind, const char *name,
			     size_t len, int *err)
{
	const char *const *msg = vdrep_name_messages[kind];
	size_t i;

	*err = -EINVAL;
	if (len == 0)
		return msg[VDREP_NAME_EMPTY];
	if (len > VDREP_NAME_MAX_LEN) {
		*err = -ENAMETOOLONG;
		return msg[VDREP_NAME_TOO_LONG];
	}
	for (i = 0; i < len; i++)
		if (!vdrep_name_char_ok(name[i]))
			return msg[VDREP_NAME_BAD_CHAR];
	if ((len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return msg[VDREP_NAME_DOTS];
	*err = 0;
	return NULL;
}

const char *vdrep_check_chunk_size(u32 chunk_size)
{
	if (chunk_size < VDREP_CHUNK_SIZE_MIN || chunk_size > VDREP_CHUNK_SIZE_MAX ||
	    !is_power_of_2(chunk_size))
		return "chunk size must be a power of two from 4096 to 1048576 bytes";
	return NULL;
}

const char *vdrep_check_sync_mode(u32 mode)
{
	if (mode == VDREP_SYNC_MODE_SYNCHRONOUS || mode == VDREP_SYNC_MODE_ASYNCHRONOUS)
		return NULL;
	return "sync mode must be synchronous (2) or asynchronous (3)";
}

const char *vdrep_check_backlog_limit(u64 bytes)
{
	if (bytes < VDREP_BACKLOG_MIN || bytes > VDREP_BACKLOG_MAX)
		return "backlog limit must be between 1 MiB and 1 GiB";
	return NULL;
}

const char *vdrep_check_copy_type(u32 copy_type)
{
	if (copy_type == VDREP_COPY_TYPE_UNSYNC_ASSOC ||
	    copy_type == VDREP_COPY_TYPE_UNSYNC_UNASSOC)
		return NULL;
	return "a clone's copy type is unsync-assoc (4) or unsync-unassoc (5)";
}
