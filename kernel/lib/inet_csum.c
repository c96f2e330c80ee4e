/* The Internet checksum for lwIP (include/inet_csum.h). lwIP's generic loop adds two bytes at
 * a time (about 2.5 instructions a byte on rv64); this adds aligned 32-bit words into a 64-bit
 * sum, which cannot overflow for any buffer shorter than 16 GiB, and folds once at the end:
 * about 0.6 instructions a byte. Every byte TCP sends or receives is summed once, so this is
 * the largest per-byte cost of the network stack after the copies. */
#include "inet_csum.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "inet_csum: little-endian only"
#endif

typedef uint16_t __attribute__((may_alias)) u16_alias;
typedef uint32_t __attribute__((may_alias)) u32_alias;

uint16_t inet_csum(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t sum = 0;
    /* At an odd address, sum one byte out of phase (the first byte is the high half of a
     * word) and swap the result back: one's-complement sums commute with byte rotation. */
    int odd = (uintptr_t)p & 1;
    if (odd && len) {
        sum = (uint64_t)*p++ << 8;
        len--;
    }
    if (((uintptr_t)p & 2) && len >= 2) {
        sum += *(const u16_alias *)p;
        p += 2;
        len -= 2;
    }
    const u32_alias *w = (const u32_alias *)p;
    for (; len >= 32; len -= 32, w += 8)
        sum += (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4] + w[5] + w[6] + w[7];
    for (; len >= 4; len -= 4)
        sum += *w++;
    p = (const uint8_t *)w;
    if (len >= 2) {
        sum += *(const u16_alias *)p;
        p += 2;
        len -= 2;
    }
    if (len)
        sum += *p;      /* the low byte of a word whose high byte is zero */
    /* 2^16 = 1 (mod 2^16 - 1): fold 64 -> 32 -> 16 bits, end-around carries included. */
    sum = (sum & 0xffffffffu) + (sum >> 32);
    sum = (sum & 0xffffffffu) + (sum >> 32);
    sum = (sum & 0xffffu) + (sum >> 16);
    sum = (sum & 0xffffu) + (sum >> 16);
    if (odd)
        sum = ((sum & 0xffu) << 8) | (sum >> 8);
    return (uint16_t)sum;
}
