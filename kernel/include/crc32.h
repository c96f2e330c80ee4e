/* CRC-32 (IEEE 802.3, as in zlib, GPT, PNG) and CRC-32C (Castagnoli, as in ext4 metadata,
 * iSCSI, btrfs). Freestanding; used by the kernel and by host tests.
 *
 * Two flavours of each:
 *   crc32(crc, buf, len)      zlib convention: start with 0, the result is the finished CRC,
 *                             and chaining works: crc32(crc32(0, a, n), b, m) == CRC of a||b.
 *                             crc32(0, "123456789", 9) == 0xcbf43926.
 *   crc32_le(crc, buf, len)   the raw register update (no inversion on entry or exit), as
 *                             Linux's crc32_le(); crc32(c, b, n) == ~crc32_le(~c, b, n).
 * and the same for CRC-32C: crc32c(0, "123456789", 9) == 0xe3069283; crc32c_le() is Linux's
 * raw __crc32c_le() (ext4 computes ext4_chksum(~0, ...) == crc32c_le(~0u, ...) and stores it
 * without a final inversion). */
#ifndef OPENV_CRC32_H
#define OPENV_CRC32_H

#include <stddef.h>
#include <stdint.h>

uint32_t crc32_le(uint32_t crc, const void *buf, size_t len);
uint32_t crc32(uint32_t crc, const void *buf, size_t len);
uint32_t crc32c_le(uint32_t crc, const void *buf, size_t len);
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

#endif /* OPENV_CRC32_H */
