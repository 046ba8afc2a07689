// SPDX-License-Identifier: GPL-2.0
/*
 * vdrepctl: CRC-32C, one table lookup a byte. The metadata format uses it
 * as Linux's crc32c() computes it: register seeded with 0xffffffff
 * (VDREP_META_CRC_SEED) and no final inversion, so that
 *
 *	crc32c(0xffffffff, "123456789", 9) == 0x1cf96d7c
 *
 * (the catalogue's CRC-32C check value, 0xe3069283, is its inversion).
 * test_meta_02_offline checks its writer's CRC against this value, and
 * that vdrepctl accepts the superblocks that writer checksums.
 */
#include <stdbool.h>

#include "crc32c.h"

#define CRC32C_POLY	0x82f63b78U	/* 0x1edc6f41 bit-reversed */

static uint32_t table[256];
static bool table_ready;

/* table[b]: the register after shifting byte b out of it, 8 bits at a time. */
static void crc32c_init(void)
{
	for (uint32_t b = 0; b < 256; b++) {
		uint32_t r = b;

		for (int i = 0; i < 8; i++)
			r = (r >> 1) ^ (r & 1 ? CRC32C_POLY : 0);
		table[b] = r;
	}
	table_ready = true;
}

uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	if (!table_ready)
		crc32c_init();
	while (len--)
		crc = (crc >> 8) ^ table[(crc ^ *p++) & 0xff];
	return crc;
}
