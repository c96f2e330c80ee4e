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

/* The compression function every digest goes through: the portable one unless set (NULL: back
 * to it). The kernel sets sha256_compress_zbb when every hart has Zbb (sha256_pick below). */
typedef void (*sha256_compress_fn)(uint32_t state[8], const uint8_t *block);
void sha256_set_compress(sha256_compress_fn fn);
/* The same C compiled with Zbb (lib/sha256_zbb.c; the kernel build only). */
void sha256_compress_zbb(uint32_t state[8], const uint8_t *block);
/* Whether a "riscv,isa" string (rv64imafdc_zicsr_..._zbb_...) names extension `ext`. */
bool sha256_isa_has(const char *isa, const char *ext);
