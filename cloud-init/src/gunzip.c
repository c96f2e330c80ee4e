/* gzip (RFC 1952) around deflate (RFC 1951): compressed user-data, as cloud-init accepts it.
 * A small canonical-Huffman inflater in the manner of zlib's contrib/puff: every read is checked
 * against the input, every back-reference against the output so far, and the output is bounded
 * (a gzip bomb is an error, not memory exhaustion). The CRC-32 and length trailer are checked. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

enum { MAXBITS = 15, MAXLCODES = 286, MAXDCODES = 30, FIXLCODES = 288 };

struct inflate {
    const unsigned char *in;
    size_t inlen, incnt;
    unsigned long bitbuf;
    int bitcnt;
    unsigned char *out;
    size_t outcnt, outcap, max;
    const char *why;          /* the first error, or NULL */
};

struct huffman {
    short count[MAXBITS + 1];
    short symbol[FIXLCODES];
};

static int fail(struct inflate *s, const char *why)
{
    if (!s->why)
        s->why = why;
    return -1;
}

static int bits(struct inflate *s, int need)
{
    unsigned long val = s->bitbuf;
    while (s->bitcnt < need) {
        if (s->incnt == s->inlen)
            return fail(s, "truncated deflate data"), 0;
        val |= (unsigned long)s->in[s->incnt++] << s->bitcnt;
        s->bitcnt += 8;
    }
    s->bitbuf = val >> need;
    s->bitcnt -= need;
    return (int)(val & ((1UL << need) - 1));
}

static int put(struct inflate *s, unsigned char c)
{
    if (s->outcnt == s->outcap) {
        if (s->outcap >= s->max)
            return fail(s, "decompressed data too large");
        size_t cap = s->outcap ? s->outcap * 2 : 4096;
        if (cap > s->max)
            cap = s->max;
        unsigned char *g = realloc(s->out, cap + 1);
        if (!g)
            return fail(s, "out of memory");
        s->out = g;
        s->outcap = cap;
    }
    s->out[s->outcnt++] = c;
    return 0;
}

static int stored(struct inflate *s)
{
    s->bitbuf = 0;
    s->bitcnt = 0;
    if (s->inlen - s->incnt < 4)
        return fail(s, "truncated stored block");
    unsigned len = s->in[s->incnt] | (unsigned)s->in[s->incnt + 1] << 8;
    unsigned nlen = s->in[s->incnt + 2] | (unsigned)s->in[s->incnt + 3] << 8;
    s->incnt += 4;
    if (len != (~nlen & 0xffffu))
        return fail(s, "stored block length check failed");
    if (s->inlen - s->incnt < len)
        return fail(s, "truncated stored block");
    while (len--)
        if (put(s, s->in[s->incnt++]) < 0)
            return -1;
    return 0;
}

static int decode(struct inflate *s, const struct huffman *h)
{
    int code = 0, first = 0, index = 0;
    for (int len = 1; len <= MAXBITS; len++) {
        code |= bits(s, 1);
        if (s->why)
            return -1;
        int count = h->count[len];
        if (code - count < first)
            return h->symbol[index + (code - first)];
        index += count;
        first += count;
        first <<= 1;
        code <<= 1;
    }
    return fail(s, "invalid Huffman code");
}

/* 0: a complete code; > 0: incomplete; < 0: over-subscribed. */
static int construct(struct huffman *h, const short *length, int n)
{
    short offs[MAXBITS + 1];
    memset(h->count, 0, sizeof h->count);
    for (int sym = 0; sym < n; sym++)
        h->count[length[sym]]++;
    if (h->count[0] == n)
        return 0;
    int left = 1;
    for (int len = 1; len <= MAXBITS; len++) {
        left <<= 1;
        left -= h->count[len];
        if (left < 0)
            return left;
    }
    offs[1] = 0;
    for (int len = 1; len < MAXBITS; len++)
        offs[len + 1] = (short)(offs[len] + h->count[len]);
    for (int sym = 0; sym < n; sym++)
        if (length[sym])
            h->symbol[offs[length[sym]]++] = (short)sym;
    return left;
}

static const short lbase[29] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35,
                                43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const short lext[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4,
                               4, 4, 4, 5, 5, 5, 5, 0};
static const short dbase[30] = {1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257,
                                385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289,
                                16385, 24577};
static const short dext[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9,
                               9, 10, 10, 11, 11, 12, 12, 13, 13};

static int codes(struct inflate *s, const struct huffman *lencode, const struct huffman *distcode)
{
    for (;;) {
        int sym = decode(s, lencode);
        if (sym < 0)
            return -1;
        if (sym == 256)
            return 0;
        if (sym < 256) {
            if (put(s, (unsigned char)sym) < 0)
                return -1;
            continue;
        }
        sym -= 257;
        if (sym >= 29)
            return fail(s, "invalid length code");
        int len = lbase[sym] + bits(s, lext[sym]);
        int d = decode(s, distcode);
        if (d < 0)
            return -1;
        if (d >= 30)
            return fail(s, "invalid distance code");
        size_t dist = (size_t)dbase[d] + (size_t)bits(s, dext[d]);
        if (s->why)
            return -1;
        if (dist > s->outcnt)
            return fail(s, "distance too far back");
        while (len--)
            if (put(s, s->out[s->outcnt - dist]) < 0)
                return -1;
    }
}

static int fixed(struct inflate *s)
{
    struct huffman lencode, distcode;
    short lengths[FIXLCODES];
    int sym = 0;
    for (; sym < 144; sym++)
        lengths[sym] = 8;
    for (; sym < 256; sym++)
        lengths[sym] = 9;
    for (; sym < 280; sym++)
        lengths[sym] = 7;
    for (; sym < FIXLCODES; sym++)
        lengths[sym] = 8;
    construct(&lencode, lengths, FIXLCODES);
    for (sym = 0; sym < MAXDCODES; sym++)
        lengths[sym] = 5;
    construct(&distcode, lengths, MAXDCODES);
    return codes(s, &lencode, &distcode);
}

static int dynamic(struct inflate *s)
{
    static const short order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    short lengths[MAXLCODES + MAXDCODES];
    struct huffman lencode, distcode;
    int nlen = bits(s, 5) + 257, ndist = bits(s, 5) + 1, ncode = bits(s, 4) + 4;
    if (s->why)
        return -1;
    if (nlen > MAXLCODES || ndist > MAXDCODES)
        return fail(s, "bad code counts");
    int index = 0;
    for (; index < ncode; index++)
        lengths[order[index]] = (short)bits(s, 3);
    for (; index < 19; index++)
        lengths[order[index]] = 0;
    if (s->why)
        return -1;
    if (construct(&lencode, lengths, 19) != 0)
        return fail(s, "incomplete code-length code");
    index = 0;
    while (index < nlen + ndist) {
        int sym = decode(s, &lencode);
        if (sym < 0)
            return -1;
        if (sym < 16) {
            lengths[index++] = (short)sym;
            continue;
        }
        short len = 0;
        if (sym == 16) {
            if (index == 0)
                return fail(s, "repeat with no first length");
            len = lengths[index - 1];
            sym = 3 + bits(s, 2);
        } else if (sym == 17) {
            sym = 3 + bits(s, 3);
        } else {
            sym = 11 + bits(s, 7);
        }
        if (s->why)
            return -1;
        if (index + sym > nlen + ndist)
            return fail(s, "too many lengths");
        while (sym--)
            lengths[index++] = len;
    }
    if (lengths[256] == 0)
        return fail(s, "no end-of-block code");
    int err = construct(&lencode, lengths, nlen);
    if (err && (err < 0 || nlen != lencode.count[0] + lencode.count[1]))
        return fail(s, "incomplete literal/length code");
    err = construct(&distcode, lengths + nlen, ndist);
    if (err && (err < 0 || ndist != distcode.count[0] + distcode.count[1]))
        return fail(s, "incomplete distance code");
    return codes(s, &lencode, &distcode);
}

static uint32_t crc32(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
    }
    return ~c;
}

int ci_gunzip(const void *data, size_t len, size_t max, char **out, size_t *outlen, char *err,
              size_t errlen)
{
    const unsigned char *in = data;
    *out = NULL;
    if (len < 18 || in[0] != 0x1f || in[1] != 0x8b || in[2] != 8) {
        snprintf(err, errlen, "not gzip (deflate) data");
        return -1;
    }
    unsigned flg = in[3];
    size_t pos = 10;
    if (flg & 4) {                                   /* FEXTRA */
        size_t xlen = in[pos] | (size_t)in[pos + 1] << 8;
        pos += 2 + xlen;
    }
    for (unsigned f = 8; f <= 16; f <<= 1) {         /* FNAME, FCOMMENT: NUL-terminated */
        if (!(flg & f))
            continue;
        while (pos < len && in[pos])
            pos++;
        pos++;
    }
    if (flg & 2)                                     /* FHCRC */
        pos += 2;
    if (pos + 8 > len) {
        snprintf(err, errlen, "truncated gzip header");
        return -1;
    }
    struct inflate s = {.in = in + pos, .inlen = len - pos - 8, .max = max};
    int last;
    do {
        last = bits(&s, 1);
        int type = bits(&s, 2);
        if (s.why)
            break;
        if (type == 0)
            stored(&s);
        else if (type == 1)
            fixed(&s);
        else if (type == 2)
            dynamic(&s);
        else
            fail(&s, "invalid block type");
    } while (!last && !s.why);
    if (!s.why) {
        const unsigned char *t = in + len - 8;
        uint32_t crc = t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24;
        uint32_t isize = t[4] | (uint32_t)t[5] << 8 | (uint32_t)t[6] << 16 | (uint32_t)t[7] << 24;
        if (isize != (uint32_t)s.outcnt || crc != crc32(s.out, s.outcnt))
            fail(&s, "CRC or length check failed");
    }
    if (s.why) {
        snprintf(err, errlen, "gzip: %s", s.why);
        free(s.out);
        return -1;
    }
    if (!s.out && !(s.out = malloc(1))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s.out[s.outcnt] = '\0';
    *out = (char *)s.out;
    *outlen = s.outcnt;
    return 0;
}
