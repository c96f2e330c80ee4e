/* SHA-256 as FIPS 180-4 specifies it: a plain, portable implementation (dm-verity hashes
 * every data block it reads with it, so the compression loop is kept tight). */
#include "sha256.h"
#include "string.h"

#define SHA256_COMPRESS_NAME compress_generic
#define SHA256_COMPRESS_LINKAGE static
#include "sha256_compress.h"

static sha256_compress_fn compress = compress_generic;

void sha256_set_compress(sha256_compress_fn fn)
{
    compress = fn ? fn : compress_generic;
}

bool sha256_isa_has(const char *isa, const char *ext)
{
    size_t n = strlen(ext);
    if (!isa)
        return false;
    /* Multi-letter extensions follow the base ("rv64imafdch") after underscores. */
    for (const char *p = strchr(isa, '_'); p; p = strchr(p + 1, '_'))
        if (strncmp(p + 1, ext, n) == 0 && (p[1 + n] == '_' || p[1 + n] == '\0'))
            return true;
    return false;
}

void sha256_init(struct sha256_ctx *c)
{
    static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
    memcpy(c->state, iv, sizeof iv);
    c->bytes = 0;
}

void sha256_update(struct sha256_ctx *c, const void *data, size_t len)
{
    const uint8_t *p = data;
    size_t used = (size_t)(c->bytes % SHA256_BLOCK_SIZE);
    c->bytes += len;
    if (used) {
        size_t n = SHA256_BLOCK_SIZE - used;
        if (len < n) {
            memcpy(c->buf + used, p, len);
            return;
        }
        memcpy(c->buf + used, p, n);
        compress(c->state, c->buf);
        p += n;
        len -= n;
    }
    for (; len >= SHA256_BLOCK_SIZE; p += SHA256_BLOCK_SIZE, len -= SHA256_BLOCK_SIZE)
        compress(c->state, p);
    if (len)
        memcpy(c->buf, p, len);
}

void sha256_final(struct sha256_ctx *c, uint8_t out[SHA256_DIGEST_SIZE])
{
    uint64_t bits = c->bytes * 8;
    size_t used = (size_t)(c->bytes % SHA256_BLOCK_SIZE);
    c->buf[used++] = 0x80;
    if (used > SHA256_BLOCK_SIZE - 8) {
        memset(c->buf + used, 0, SHA256_BLOCK_SIZE - used);
        compress(c->state, c->buf);
        used = 0;
    }
    memset(c->buf + used, 0, SHA256_BLOCK_SIZE - 8 - used);
    for (int i = 0; i < 8; i++)
        c->buf[SHA256_BLOCK_SIZE - 1 - i] = (uint8_t)(bits >> (8 * i));
    compress(c->state, c->buf);
    for (int i = 0; i < 8; i++)
        sha256_store_be32(out + 4 * i, c->state[i]);
    memset(c, 0, sizeof *c);
}

void sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_SIZE])
{
    struct sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, data, len);
    sha256_final(&c, out);
}
