/* The Internet checksum (RFC 1071) of a buffer, as lwIP's LWIP_CHKSUM wants it: the
 * one's-complement sum of the data taken as 16-bit words in memory order, folded to 16 bits
 * and not inverted. A trailing odd byte counts as a word padded with a zero byte, and a buffer
 * at an odd address gives the same result as one at an even address: exactly what lwIP's own
 * lwip_standard_chksum returns, for any address and length. Little-endian only. Freestanding;
 * used by the kernel (lwIP) and by host tests. */
#ifndef OPENV_INET_CSUM_H
#define OPENV_INET_CSUM_H

#include <stddef.h>
#include <stdint.h>

uint16_t inet_csum(const void *data, size_t len);

#endif
