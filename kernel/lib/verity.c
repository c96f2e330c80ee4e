/* The verity target: its table arguments and the hash tree check, after Linux's
 * drivers/md/dm-verity-target.c and the format `veritysetup format` writes (image/verity.py
 * writes the same bytes).
 *
 * The tree: each level-0 hash block holds the digests of 2^bits consecutive data blocks
 * (bits = log2(hash_block_size / digest slot)), each level-1 block the digests of 2^bits
 * level-0 blocks, and so on up to one top block, whose digest is the root digest. The top
 * level is stored first, from hash_start; the leaves last. A digest is sha256(salt || block)
 * in format version 1 (sha256(block || salt) in version 0).
 *
 * A data block is checked by walking from the lowest hash block already verified (cached)
 * down to its leaf digest, verifying each hash block read on the way against the digest in
 * its parent (the root digest for the top block). Only verified hash blocks enter the cache,
 * so every byte that decides a verdict has been checked against the root. */
#include "verity.h"
#include "errno.h"
#include "string.h"

/* ---- Arguments ---- */

static char *next_word(char **s)
{
    char *p = *s;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p)
        return NULL;
    char *w = p;
    while (*p && *p != ' ' && *p != '\t')
        p++;
    if (*p)
        *p++ = 0;
    *s = p;
    return w;
}

static bool parse_u64(const char *w, uint64_t *out)
{
    uint64_t v = 0;
    if (!w || !*w)
        return false;
    for (; *w; w++) {
        if (*w < '0' || *w > '9')
            return false;
        uint64_t d = (uint64_t)(*w - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Exactly 2*len hex digits into out. */
static bool parse_hex(const char *w, uint8_t *out, size_t len)
{
    if (!w || strlen(w) != 2 * len)
        return false;
    for (size_t i = 0; i < len; i++) {
        int hi = hexval(w[2 * i]), lo = hexval(w[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static bool valid_block_size(uint64_t s)
{
    return s >= 512 && s <= VERITY_MAX_BLOCK && (s & (s - 1)) == 0;
}

/* The optional arguments this kernel implements (the rest of Linux's, FEC and signatures,
 * are refused rather than silently ignored). */
static int parse_feature(const char *w, struct verity_params *p)
{
    static const struct {
        const char *name;
        int mode;                       /* -1: not a mode */
    } features[] = {
        { "ignore_corruption", VERITY_MODE_LOGGING },
        { "restart_on_corruption", VERITY_MODE_RESTART },
        { "panic_on_corruption", VERITY_MODE_PANIC },
        { "ignore_zero_blocks", -1 },
        { "check_at_most_once", -1 },
    };
    for (size_t i = 0; i < sizeof features / sizeof features[0]; i++) {
        if (strcmp(w, features[i].name))
            continue;
        if (features[i].mode >= 0)
            p->mode = (enum verity_mode)features[i].mode;
        else if (w[0] == 'i')
            p->ignore_zero_blocks = true;
        else
            p->check_at_most_once = true;
        return 0;
    }
    return -EINVAL;
}

int verity_parse_args(char *args, struct verity_params *p, const char **err)
{
    char *s = args;
    char *w[10];
    uint64_t v;
    memset(p, 0, sizeof *p);
    *err = NULL;
    for (int i = 0; i < 10; i++) {
        w[i] = next_word(&s);
        if (!w[i]) {
            *err = "Not enough arguments";
            return -EINVAL;
        }
    }
    if (!parse_u64(w[0], &v) || v > 1) {
        *err = "Invalid version";
        return -EINVAL;
    }
    p->version = (unsigned)v;
    p->data_dev = w[1];
    p->hash_dev = w[2];
    if (!parse_u64(w[3], &v) || !valid_block_size(v)) {
        *err = "Invalid data device block size";
        return -EINVAL;
    }
    p->data_block_size = (uint32_t)v;
    if (!parse_u64(w[4], &v) || !valid_block_size(v)) {
        *err = "Invalid hash device block size";
        return -EINVAL;
    }
    p->hash_block_size = (uint32_t)v;
    if (!parse_u64(w[5], &p->data_blocks) || p->data_blocks == 0 ||
        p->data_blocks > (UINT64_MAX >> 12) / 512) {
        *err = "Invalid data blocks";
        return -EINVAL;
    }
    if (!parse_u64(w[6], &p->hash_start) || p->hash_start > (UINT64_MAX >> 12) / 512) {
        *err = "Invalid hash start";
        return -EINVAL;
    }
    if (strcmp(w[7], "sha256")) {
        *err = "Cannot initialize hash function";
        return -EINVAL;
    }
    if (!parse_hex(w[8], p->root_digest, VERITY_DIGEST)) {
        *err = "Invalid root digest";
        return -EINVAL;
    }
    if (strcmp(w[9], "-")) {
        size_t len = strlen(w[9]);
        if (len % 2 || len / 2 > VERITY_MAX_SALT || !parse_hex(w[9], p->salt, len / 2)) {
            *err = "Invalid salt";
            return -EINVAL;
        }
        p->salt_size = (unsigned)(len / 2);
    }
    char *n = next_word(&s);
    if (!n)
        return 0;
    if (!parse_u64(n, &v) || v > 16) {
        *err = "Invalid number of feature args";
        return -EINVAL;
    }
    for (uint64_t i = 0; i < v; i++) {
        char *f = next_word(&s);
        if (!f) {
            *err = "Not enough feature arguments";
            return -EINVAL;
        }
        if (parse_feature(f, p)) {
            *err = "Unrecognized verity feature request";
            return -EINVAL;
        }
    }
    if (next_word(&s)) {
        *err = "Too many arguments";
        return -EINVAL;
    }
    return 0;
}

/* ---- Geometry ---- */

static unsigned log2u(uint64_t x)
{
    unsigned b = 0;
    while (x >>= 1)
        b++;
    return b;
}

static void hash_block_digest(const struct verity_tree *v, const void *block, size_t len,
                              uint8_t out[VERITY_DIGEST])
{
    struct sha256_ctx c;
    sha256_init(&c);
    if (v->p.version == 1)
        sha256_update(&c, v->p.salt, v->p.salt_size);
    sha256_update(&c, block, len);
    if (v->p.version == 0)
        sha256_update(&c, v->p.salt, v->p.salt_size);
    sha256_final(&c, out);
}

size_t verity_bitmap_bytes(const struct verity_params *p)
{
    return (size_t)((p->data_blocks + 7) / 8);
}

int verity_tree_init(struct verity_tree *v, const struct verity_params *p,
                     const struct verity_io *io, void *ctx, struct verity_cached *cache,
                     unsigned cache_size, uint8_t *verified, const char **err)
{
    memset(v, 0, sizeof *v);
    v->p = *p;
    v->p.data_dev = v->p.hash_dev = NULL;      /* they point into the caller's buffer */
    v->io = io;
    v->ctx = ctx;
    v->cache = cache;
    v->cache_size = cache_size;
    v->verified = p->check_at_most_once ? verified : NULL;
    v->data_block_bits = log2u(p->data_block_size);
    v->hash_block_bits = log2u(p->hash_block_size);
    /* Digest slots are a power of two >= the digest (32 bytes for sha256). */
    v->hash_per_block_bits = log2u(p->hash_block_size / VERITY_DIGEST);
    if (v->hash_per_block_bits == 0 || cache_size == 0) {
        *err = "Invalid hash device block size";
        return -EINVAL;
    }
    v->levels = 0;
    while (v->hash_per_block_bits * v->levels < 64 &&
           (p->data_blocks - 1) >> (v->hash_per_block_bits * v->levels))
        v->levels++;
    if (v->levels > VERITY_MAX_LEVELS) {
        *err = "Too many tree levels";
        return -EINVAL;
    }
    uint64_t position = p->hash_start;
    for (int i = (int)v->levels - 1; i >= 0; i--) {
        unsigned shift = (unsigned)(i + 1) * v->hash_per_block_bits;
        uint64_t s = shift >= 64 ? 1 : (p->data_blocks + (1ull << shift) - 1) >> shift;
        v->hash_level_block[i] = position;
        if (position + s < position) {
            *err = "Hash device offset overflow";
            return -EINVAL;
        }
        position += s;
    }
    v->hash_end = position;
    for (unsigned i = 0; i < cache_size; i++)
        cache[i].block = UINT64_MAX;
    /* The zero block's digest, for ignore_zero_blocks (hashed a chunk at a time: no buffer). */
    static const uint8_t zeros[512];
    struct sha256_ctx c;
    sha256_init(&c);
    if (p->version == 1)
        sha256_update(&c, p->salt, p->salt_size);
    for (uint32_t off = 0; off < p->data_block_size; off += sizeof zeros)
        sha256_update(&c, zeros, sizeof zeros);
    if (p->version == 0)
        sha256_update(&c, p->salt, p->salt_size);
    sha256_final(&c, v->zero_digest);
    return 0;
}

/* ---- The check ---- */

/* Where the digest of `block` (a data block) is at `level`: the hash block and the byte
 * offset of its slot. */
static void hash_position(const struct verity_tree *v, uint64_t block, unsigned level,
                          uint64_t *hash_block, unsigned *offset)
{
    uint64_t position = block >> (level * v->hash_per_block_bits);
    *hash_block = v->hash_level_block[level] + (position >> v->hash_per_block_bits);
    uint64_t idx = position & ((1u << v->hash_per_block_bits) - 1);
    *offset = (unsigned)(idx << (v->hash_block_bits - v->hash_per_block_bits));
}

static struct verity_cached *cache_lookup(struct verity_tree *v, uint64_t hash_block)
{
    for (unsigned i = 0; i < v->cache_size; i++) {
        if (v->cache[i].block == hash_block) {
            v->cache[i].last_used = ++v->clock;
            return &v->cache[i];
        }
    }
    return NULL;
}

static struct verity_cached *cache_victim(struct verity_tree *v)
{
    struct verity_cached *best = &v->cache[0];
    for (unsigned i = 0; i < v->cache_size; i++) {
        if (v->cache[i].block == UINT64_MAX)
            return &v->cache[i];
        if (v->cache[i].last_used < best->last_used)
            best = &v->cache[i];
    }
    return best;
}

/* Read hash block `hb` and check it against `want`; on success it is cached. Its digest slot
 * at `offset` is copied to `want`. 0, -EIO (corrupt, policy says fail) or a read error. */
static int verify_level(struct verity_tree *v, uint64_t hb, unsigned offset,
                        uint8_t want[VERITY_DIGEST])
{
    struct verity_cached *e = cache_victim(v);
    e->block = UINT64_MAX;
    int err = v->io->read_hash(v->ctx, hb, e->data);
    if (err)
        return err;
    uint8_t real[VERITY_DIGEST];
    hash_block_digest(v, e->data, v->p.hash_block_size, real);
    bool good = memcmp(real, want, VERITY_DIGEST) == 0;
    if (!good) {
        err = v->io->corrupted(v->ctx, VERITY_BLOCK_METADATA, hb);
        if (err)
            return err;
    }
    memcpy(want, e->data + offset, VERITY_DIGEST);
    if (good) {                         /* an ignored corrupt block is used, never cached */
        e->block = hb;
        e->last_used = ++v->clock;
    }
    return 0;
}

/* The expected digest of data block `block`, from the tree. */
static int digest_for_block(struct verity_tree *v, uint64_t block, uint8_t want[VERITY_DIGEST])
{
    memcpy(want, v->p.root_digest, VERITY_DIGEST);
    if (v->levels == 0)
        return 0;                       /* one data block: the root digest is its digest */
    /* Start below the lowest verified (cached) hash block on the path, else at the top. */
    int level = (int)v->levels - 1;
    uint64_t hb;
    unsigned offset;
    for (unsigned l = 0; l < v->levels; l++) {
        hash_position(v, block, l, &hb, &offset);
        struct verity_cached *e = cache_lookup(v, hb);
        if (e) {
            memcpy(want, e->data + offset, VERITY_DIGEST);
            if (l == 0)
                return 0;
            level = (int)l - 1;
            break;
        }
    }
    for (; level >= 0; level--) {
        hash_position(v, block, (unsigned)level, &hb, &offset);
        int err = verify_level(v, hb, offset, want);
        if (err)
            return err;
    }
    return 0;
}

int verity_check_root(struct verity_tree *v)
{
    if (v->levels == 0)
        return 0;
    uint8_t want[VERITY_DIGEST];
    memcpy(want, v->p.root_digest, VERITY_DIGEST);
    return verify_level(v, v->hash_level_block[v->levels - 1], 0, want);
}

int verity_verify_block(struct verity_tree *v, uint64_t block, void *data)
{
    if (block >= v->p.data_blocks)
        return -EINVAL;
    if (v->verified && (v->verified[block / 8] & (1u << (block % 8))))
        return 0;
    uint8_t want[VERITY_DIGEST], real[VERITY_DIGEST];
    int err = digest_for_block(v, block, want);
    if (err)
        return err;
    if (v->p.ignore_zero_blocks && memcmp(want, v->zero_digest, VERITY_DIGEST) == 0) {
        memset(data, 0, v->p.data_block_size);
        return 0;
    }
    hash_block_digest(v, data, v->p.data_block_size, real);
    if (memcmp(real, want, VERITY_DIGEST)) {
        err = v->io->corrupted(v->ctx, VERITY_BLOCK_DATA, block);
        if (err)
            return err;
        return 0;                       /* ignored: never remembered as verified */
    }
    if (v->verified)
        v->verified[block / 8] |= (uint8_t)(1u << (block % 8));
    return 0;
}
