/* SPDX-License-Identifier: GPL-2.0 */
/* vdrepctl: CRC-32C, as the metadata format checksums its superblocks. */
#ifndef VDREPCTL_CRC32C_H
#define VDREPCTL_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/*
 * CRC-32C (Castagnoli, reflected polynomial 0x82f63b78) of @len bytes at
 * @buf, the register starting at @crc, with no final inversion: the
 * kernel's crc32c(crc, buf, len). Chains: crc32c(crc32c(s, a, n), b, m) is
 * the CRC of a then b.
 */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

#endif /* VDREPCTL_CRC32C_H */
