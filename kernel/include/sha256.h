/* SHA-256 (FIPS 180-4), for dm-verity: pure code in lib/sha256.c. */
#pragma once
#include "types.h"

#define SHA256_DIGEST_SIZE 32
#define SHA256_BLOCK_SIZE 64

struct sha256_ctx {
    uint32_t state[8];
    uint64_t bytes;                     /* message length so far */
    uint8_t buf[SHA256_BLOCK_SIZE];     /* a partial block */
};

void sha256_init(struct sha256_ctx *c);
void sha256_update(struct sha256_ctx *c, const void *data, size_t len);
void sha256_final(struct sha256_ctx *c, uint8_t out[SHA256_DIGEST_SIZE]);
/* The digest of one buffer. */
void sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_SIZE]);
