// SPDX-License-Identifier: GPL-2.0
/*
 * Checks of user-supplied values (see validate.h).
 */
#include <linux/errno.h>
#include <linux/log2.h>
#include <linux/string.h>

#include "validate.h"
#include "../uapi/linux/vdrep.h"

/*
 * Names become udev symlinks (/dev/vdrep/<volume>/<assoc>) and sysfs
 * values, so they are kept to a portable file-name alphabet; "." and ".."
 * would walk the /dev/vdrep tree.
 */
const char *vdrep_check_name(const char *name, size_t len, int *err)
{
	size_t i;

	*err = -EINVAL;
	if (len == 0)
		return "name is empty";
	if (len > VDREP_NAME_MAX_LEN) {
		*err = -ENAMETOOLONG;
		return "name is longer than 31 bytes";
	}
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return "name may only contain A-Z a-z 0-9 _ . -";
	}
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return "name may not be . or ..";
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
