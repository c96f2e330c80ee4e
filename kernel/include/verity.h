/* dm-verity: the device-mapper table syntax of Linux's dm-mod.create= and the verity target's
 * hash tree check (Documentation/admin-guide/device-mapper/{dm-init,verity}.rst). Pure code in
 * lib/dm_table.c and lib/verity.c (the host tests compile them as they are); the block
 * device that uses them is drivers/md/dm_verity.c. */
#pragma once
#include "types.h"
#include "sha256.h"

/* ---- dm-mod.create="<name>,<uuid>,<minor>,<flags>,<table>[;<name>,...]" (lib/dm_table.c) ---- */

#define DM_MAX_DEVICES 4
#define DM_NAME_LEN 128                 /* Linux's DM_NAME_LEN, with the NUL */
#define DM_UUID_LEN 129

struct dm_create_dev {
    const char *name;                   /* pointers into the parsed buffer */
    const char *uuid;                   /* "" if none */
    int minor;                          /* -1: the first free one */
    bool read_only;                     /* flags "ro" (else "rw") */
    uint64_t start, len;                /* the table line: sectors */
    const char *target;                 /* "verity" */
    char *args;                         /* the target's arguments */
};

/* Parse the value of dm-mod.create in place (the buffer is cut into fields). One table line
 * per device. Returns the number of devices (1..max), or -EINVAL with *err saying what is
 * wrong. */
int dm_parse_create(char *buf, struct dm_create_dev *devs, unsigned max, const char **err);

/* ---- The verity target (lib/verity.c) ---- */

#define VERITY_MAX_LEVELS 63            /* Linux's DM_VERITY_MAX_LEVELS */
#define VERITY_MAX_SALT 256
#define VERITY_DIGEST SHA256_DIGEST_SIZE
#define VERITY_MAX_BLOCK 4096           /* data and hash blocks: 512..4096, powers of two */

/* What a corrupt block does (Linux's names). */
enum verity_mode {
    VERITY_MODE_EIO,                    /* default: the read fails with -EIO */
    VERITY_MODE_LOGGING,                /* ignore_corruption: log, return the data */
    VERITY_MODE_RESTART,                /* restart_on_corruption */
    VERITY_MODE_PANIC,                  /* panic_on_corruption */
};

enum verity_block_type { VERITY_BLOCK_DATA, VERITY_BLOCK_METADATA };

/* "<version> <data_dev> <hash_dev> <data_block_size> <hash_block_size> <num_data_blocks>
 *  <hash_start_block> <algorithm> <root_digest> <salt> [<#opt_params> <opt_params>]" */
struct verity_params {
    unsigned version;                   /* 1: sha256(salt || block); 0: sha256(block || salt) */
    const char *data_dev, *hash_dev;    /* pointers into the parsed buffer */
    uint32_t data_block_size, hash_block_size;
    uint64_t data_blocks;
    uint64_t hash_start;                /* in hash blocks: where the tree's top level is */
    uint8_t root_digest[VERITY_DIGEST];
    uint8_t salt[VERITY_MAX_SALT];
    unsigned salt_size;                 /* 0 for "-" */
    enum verity_mode mode;
    bool ignore_zero_blocks;            /* a block whose digest is the zero block's reads as zeros */
    bool check_at_most_once;            /* verify each data block only the first time it is read */
};

/* Parse the target arguments in place. 0, or -EINVAL with *err in Linux's words ("Invalid
 * root digest", "Unrecognized verity feature request"...). */
int verity_parse_args(char *args, struct verity_params *p, const char **err);

struct verity_io {
    /* Read hash block `block` (hash_block_size bytes, block numbers from the start of the
     * hash device) into buf: 0 or -errno. */
    int (*read_hash)(void *ctx, uint64_t block, void *buf);
    /* A block did not match (data block number, or hash block number for metadata): log it
     * and apply the policy. Returns 0 to carry on with the data as read (ignore_corruption)
     * or -EIO. */
    int (*corrupted)(void *ctx, enum verity_block_type type, uint64_t block);
};

/* A verified hash block (the cache the caller provides). */
struct verity_cached {
    uint64_t block;                     /* UINT64_MAX: empty */
    uint64_t last_used;
    uint8_t *data;                      /* hash_block_size bytes */
};

struct verity_tree {
    struct verity_params p;
    unsigned data_block_bits, hash_block_bits, hash_per_block_bits, levels;
    uint64_t hash_level_block[VERITY_MAX_LEVELS];   /* level 0 (leaves) .. levels-1 (top) */
    uint64_t hash_end;                  /* one past the tree's last hash block */
    uint8_t zero_digest[VERITY_DIGEST];
    const struct verity_io *io;
    void *ctx;
    struct verity_cached *cache;
    unsigned cache_size;                /* at least 1 */
    uint64_t clock;
    uint8_t *verified;                  /* check_at_most_once: a bit per data block, or NULL */
};

/* The tree's geometry from the parameters (Linux's verity_ctr): 0, or -EINVAL with *err
 * ("Too many tree levels", "Hash device offset overflow"). The cache (cache_size entries,
 * each with a hash_block_size buffer) and, with check_at_most_once, a zeroed bitmap of
 * verity_bitmap_bytes() are the caller's. */
int verity_tree_init(struct verity_tree *v, const struct verity_params *p,
                     const struct verity_io *io, void *ctx, struct verity_cached *cache,
                     unsigned cache_size, uint8_t *verified, const char **err);
size_t verity_bitmap_bytes(const struct verity_params *p);
/* Hash blocks the tree needs from the start of the hash device (hash_start included). */
static inline uint64_t verity_hash_blocks(const struct verity_tree *v) { return v->hash_end; }

/* Read the top-level hash block and check it against the root digest (it is then cached):
 * a wrong root digest or a corrupt top block shows at once, not at the first read. 0, -EIO
 * (through io->corrupted, so the policy applies) or a read error. With one data block
 * (no tree) there is nothing to check before the data is read: 0. */
int verity_check_root(struct verity_tree *v);
/* Check data block `block`, whose content the caller has read into `data`, up the tree to the
 * root digest (hash blocks verified once stay in the cache). 0: it matches (or the policy
 * ignored a mismatch; with ignore_zero_blocks a zero-hash block is cleared to zeros); -EIO:
 * corrupt (data or hash tree); another -errno: reading the hash device failed. */
int verity_verify_block(struct verity_tree *v, uint64_t block, void *data);
