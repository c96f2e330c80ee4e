/* Memory and string routines. GCC may emit calls to memcpy/memset/memmove/memcmp for struct
 * copies, so these are the real symbols (built with -fno-tree-loop-distribute-patterns so the
 * loops are not turned back into calls to themselves). */
#include "string.h"
#include "mm.h"

/* Word copies whatever the two alignments: the destination is aligned first; a source left
 * misaligned is read as aligned words and each output word merged from two of them (little
 * endian), so no load is misaligned (which real harts may trap on). The network paths copy
 * into and out of packet buffers at odd offsets: a byte loop there cost more than the rest of
 * the TCP send path (docs/network.md, "Throughput"). An aligned word read may reach past the
 * end of the source, but never past the aligned word holding its last byte, so never onto
 * another page; host sanitizers would flag it, hence no_sanitize. */
__attribute__((no_sanitize_address))
void *memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (n >= 16) {
        while ((uintptr_t)d & 7) {
            *d++ = *s++;
            n--;
        }
        unsigned shift = (unsigned)((uintptr_t)s & 7) * 8;
        if (shift == 0) {
            while (n >= 64) {
                const uint64_t *x = (const uint64_t *)s;
                uint64_t *y = (uint64_t *)d;
                uint64_t a = x[0], b = x[1], c = x[2], e = x[3];
                uint64_t f = x[4], g = x[5], h = x[6], k = x[7];
                y[0] = a;
                y[1] = b;
                y[2] = c;
                y[3] = e;
                y[4] = f;
                y[5] = g;
                y[6] = h;
                y[7] = k;
                d += 64;
                s += 64;
                n -= 64;
            }
            while (n >= 8) {
                *(uint64_t *)d = *(const uint64_t *)s;
                d += 8;
                s += 8;
                n -= 8;
            }
        } else {
            const uint64_t *x = (const uint64_t *)((uintptr_t)s & ~(uintptr_t)7);
            uint64_t lo = *x++;
            while (n >= 8) {
                uint64_t hi = *x++;
                *(uint64_t *)d = (lo >> shift) | (hi << (64 - shift));
                lo = hi;
                d += 8;
                s += 8;
                n -= 8;
            }
        }
    }
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d == s || n == 0)
        return dst;
    if (d < s || d >= s + n)
        return memcpy(dst, src, n);
    d += n;
    s += n;
    while (n--)
        *--d = *--s;
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    while (n && ((uintptr_t)d & 7)) {
        *d++ = (unsigned char)c;
        n--;
    }
    uint64_t w = (unsigned char)c;
    w |= w << 8;
    w |= w << 16;
    w |= w << 32;
    /* 64 bytes a turn: under emulation the loop overhead costs as much as the stores, and
     * clearing pages is a large part of fork and exec. */
    while (n >= 64) {
        uint64_t *q = (uint64_t *)d;
        q[0] = w;
        q[1] = w;
        q[2] = w;
        q[3] = w;
        q[4] = w;
        q[5] = w;
        q[6] = w;
        q[7] = w;
        d += 64;
        n -= 64;
    }
    while (n >= 8) {
        *(uint64_t *)d = w;
        d += 8;
        n -= 8;
    }
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

void *memchr(const void *s, int c, size_t n)
{
    const unsigned char *p = s;
    for (; n; n--, p++)
        if (*p == (unsigned char)c)
            return (void *)p;
    return NULL;
}

size_t strlen(const char *s)
{
    const char *p = s;
    while (*p)
        p++;
    return (size_t)(p - s);
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            return 0;
    }
    return 0;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return NULL;
    }
}

char *strrchr(const char *s, int c)
{
    const char *last = NULL;
    for (;; s++) {
        if (*s == (char)c)
            last = s;
        if (!*s)
            return (char *)last;
    }
}

size_t strlcpy(char *dst, const char *src, size_t size)
{
    size_t len = strlen(src);
    if (size) {
        size_t n = len < size - 1 ? len : size - 1;
        memcpy(dst, src, n);
        dst[n] = 0;
    }
    return len;
}

char *kstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = kmalloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}
