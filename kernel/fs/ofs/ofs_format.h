/* OFS on-disk format: constants, the byte layout of every structure, and the freestanding
 * encode/decode/validate helpers shared by the kernel driver and the host tools (mkfs.ofs,
 * fsck.ofs, tests). docs/ofs.md is the specification; this header must agree with it.
 *
 * Every integer on disk is little-endian and is read and written through the ofs_get and
 * ofs_put helpers below, never by casting a buffer to a struct, so the layout does not depend
 * on the compiler or the host. Checksums are CRC-32C (crc32c(0, ...), kernel/lib/crc32.c).
 *
 * Block map (block size 4096):
 *   block 0, 1      superblock slots A and B (commit N goes to slot N % 2)
 *   anything else   tree nodes, space-map index and bitmap blocks, file data; located only
 *                   through pointers from the newest valid superblock
 */
#pragma once
#include "types.h"

#define OFS_BLOCK_SIZE 4096u
#define OFS_BLOCK_SHIFT 12
/* Version 2 added the data checksums in extent items (docs/ofs.md: "Data checksums").
 * Version 1 is still read: a read-write mount converts it (ofs_super.c). */
#define OFS_VERSION 2u
#define OFS_VERSION_NO_DATASUMS 1u

/* ---- Little-endian access ---- */
static inline uint16_t ofs_get16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t ofs_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t ofs_get64(const uint8_t *p)
{
    return (uint64_t)ofs_get32(p) | ((uint64_t)ofs_get32(p + 4) << 32);
}
static inline void ofs_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void ofs_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void ofs_put64(uint8_t *p, uint64_t v) { ofs_put32(p, (uint32_t)v); ofs_put32(p + 4, (uint32_t)(v >> 32)); }

/* ---- Checksums ---- */
/* Host fuzzing only (tests/fuzz/fuzz_ofs.c sets it to reach the structure checks behind the
 * checksums with mutated images); nothing in the kernel sets it. */
extern bool ofs_fuzz_skip_checksums;
/* Does the block's CRC-32C match the expected value? */
bool ofs_crc_ok(uint32_t want, const void *buf, size_t len);

/* ---- Superblock (blocks 0 and 1) ---- */
#define OFS_SB_MAGIC "OFSSUPER"
#define OFS_SB_SLOTS 2
#define OFS_SB_CRC_OFF (OFS_BLOCK_SIZE - 4)   /* crc32c of bytes [0, 4092) */
#define OFS_UUID_LEN 16
#define OFS_LABEL_LEN 32

struct ofs_ptr {            /* a checksummed pointer to a metadata block */
    uint64_t blk;
    uint32_t crc;           /* crc32c of the whole 4096-byte target block */
};

struct ofs_super {
    uint32_t version;       /* OFS_VERSION */
    uint32_t block_size;    /* OFS_BLOCK_SIZE */
    uint64_t seq;           /* commit sequence number, >= 1; slot = seq % 2 */
    uint64_t total_blocks;  /* filesystem size in blocks */
    struct ofs_ptr root;    /* the tree's root node */
    uint32_t root_level;    /* the root node's level (0: the root is a leaf) */
    struct ofs_ptr bmap;    /* the space-map index block */
    uint32_t bmap_chunks;   /* bitmap blocks = ceil(total_blocks / OFS_BITS_PER_CHUNK) */
    uint64_t next_ino;      /* the next inode number to hand out (never reused) */
    uint64_t inode_count;   /* inode items in the tree */
    uint64_t free_blocks;   /* zero bits in the space map */
    int64_t mkfs_time;      /* seconds since the epoch (SOURCE_DATE_EPOCH or 0 in mkfs) */
    uint8_t uuid[OFS_UUID_LEN];
    char label[OFS_LABEL_LEN];  /* NUL-padded, not necessarily NUL-terminated */
    uint32_t flags;         /* no flags defined: must be 0 */
};
/* Byte offsets inside the superblock block. */
#define OFS_SB_OFF_MAGIC 0
#define OFS_SB_OFF_VERSION 8
#define OFS_SB_OFF_BSIZE 12
#define OFS_SB_OFF_SEQ 16
#define OFS_SB_OFF_TOTAL 24
#define OFS_SB_OFF_ROOT 32          /* u64 blk, u32 crc */
#define OFS_SB_OFF_ROOT_LEVEL 44
#define OFS_SB_OFF_BMAP 48          /* u64 blk, u32 crc */
#define OFS_SB_OFF_BMAP_CHUNKS 60
#define OFS_SB_OFF_NEXT_INO 64
#define OFS_SB_OFF_INODES 72
#define OFS_SB_OFF_FREE 80
#define OFS_SB_OFF_MKFS_TIME 88
#define OFS_SB_OFF_UUID 96
#define OFS_SB_OFF_LABEL 112
#define OFS_SB_OFF_FLAGS 144
#define OFS_SB_USED 148             /* bytes [148, 4092) are zero */

/* Smallest and largest filesystems (blocks). The space-map index holds OFS_BMAP_MAX_CHUNKS
 * bitmap pointers of OFS_BITS_PER_CHUNK blocks each: 254 * 32768 * 4 KiB = 31.75 GiB. */
#define OFS_BITS_PER_CHUNK (OFS_BLOCK_SIZE * 8u)
#define OFS_MIN_BLOCKS 16u
#define OFS_BMAP_MAX_CHUNKS ((OFS_BLOCK_SIZE - OFS_BMAP_HDR) / OFS_BMAP_ENTRY)
#define OFS_MAX_BLOCKS ((uint64_t)OFS_BMAP_MAX_CHUNKS * OFS_BITS_PER_CHUNK)

void ofs_super_encode(const struct ofs_super *sb, uint8_t *block);
/* Decode and validate slot `slot` (magic, crc, version, sizes, pointers in range, seq parity).
 * 0, or -EUCLEAN with a reason in *why (a static string). */
int ofs_super_decode(const uint8_t *block, unsigned slot, uint64_t dev_blocks,
                     struct ofs_super *sb, const char **why);

/* ---- Space map: index block and bitmap blocks ---- */
#define OFS_BMAP_MAGIC "OFSBMIDX"
#define OFS_BMAP_HDR 24             /* magic[8], u32 nchunks, u32 zero, u64 self */
#define OFS_BMAP_ENTRY 16           /* u64 blk, u32 crc, u32 zero */
/* Bitmap blocks are raw bits: bit (b % 8) of byte (b / 8) of chunk (b / 32768) is block b;
 * 1 = in use. Bits past total_blocks in the last chunk are 1. */

/* ---- Tree nodes ---- */
#define OFS_NODE_MAGIC "OFSN"
#define OFS_NODE_HDR 24             /* magic[4], u8 level, u8 zero, u16 nitems, u64 gen, u64 self */
#define OFS_KEY_SIZE 17             /* u64 objectid, u8 type, u64 offset */
#define OFS_LEAF_ITEM_HDR (OFS_KEY_SIZE + 2)   /* key, u16 value length, then the value */
#define OFS_PTR_ITEM (OFS_KEY_SIZE + 12)       /* key, u64 child blk, u32 child crc */
#define OFS_MAX_LEVEL 8             /* a root above level 7 is corruption */
#define OFS_MAX_FANOUT ((OFS_BLOCK_SIZE - OFS_NODE_HDR) / OFS_PTR_ITEM)   /* 140 */
#define OFS_MAX_VALUE 1024u         /* longest item value */

/* Item types (the key's type byte). */
#define OFS_TYPE_INODE 1            /* (ino, 1, 0): struct ofs_dinode */
#define OFS_TYPE_DIRENT 2           /* (dir ino, 2, name hash): one or more entries */
#define OFS_TYPE_EXTENT 3           /* (ino, 3, end lblk): u64 pblk, u64 nblocks, u32 crc[] */
#define OFS_TYPE_ORPHAN 4           /* (0, 4, ino): empty; an unlinked inode still open */

struct ofs_key {
    uint64_t obj;
    uint8_t type;
    uint64_t off;
};
static inline int ofs_key_cmp(const struct ofs_key *a, const struct ofs_key *b)
{
    if (a->obj != b->obj)
        return a->obj < b->obj ? -1 : 1;
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    if (a->off != b->off)
        return a->off < b->off ? -1 : 1;
    return 0;
}
static inline void ofs_key_get(const uint8_t *p, struct ofs_key *k)
{
    k->obj = ofs_get64(p);
    k->type = p[8];
    k->off = ofs_get64(p + 9);
}
static inline void ofs_key_put(uint8_t *p, const struct ofs_key *k)
{
    ofs_put64(p, k->obj);
    p[8] = k->type;
    ofs_put64(p + 9, k->off);
}

/* Structural check of a node block (the checksum is checked by whoever holds the pointer):
 * magic, self address, level, item count and bounds, strictly increasing keys, value sizes,
 * child pointers inside [2, total_blocks). 0 or -EUCLEAN with *why. */
int ofs_node_validate(const uint8_t *block, uint64_t self, unsigned level,
                      uint64_t total_blocks, const char **why);

/* ---- Items ---- */
#define OFS_ROOT_INO 1
#define OFS_FIRST_INO 2
#define OFS_ORPHAN_OBJ 0

#define OFS_DINODE_SIZE 104
struct ofs_timespec {
    int64_t sec;
    uint32_t nsec;          /* < 1e9 */
};
struct ofs_dinode {
    uint32_t mode;          /* S_IFMT type and permission bits, as Linux */
    uint32_t uid, gid;
    uint32_t nlink;
    uint64_t size;          /* bytes */
    uint64_t blocks;        /* data blocks mapped by extents */
    struct ofs_timespec atime, mtime, ctime, btime;
    uint64_t rdev;          /* devices: Linux user-space dev_t encoding */
    uint64_t parent;        /* directories: the parent's inode (root: itself); else 0 */
    uint32_t flags;         /* none defined: 0 */
};
void ofs_dinode_encode(const struct ofs_dinode *di, uint8_t *buf);
/* Decodes and validates (known file type, nsec range, flags). 0 or -EUCLEAN. */
int ofs_dinode_decode(const uint8_t *buf, size_t len, struct ofs_dinode *di);

/* Extent item: u64 physical block, u64 length, then one CRC-32C of each 4096-byte data block
 * (version 2). Version 1 items have no checksums (exactly OFS_EXTENT_HDR bytes). The length
 * of a checksummed extent is at most OFS_EXTENT_MAX_BLOCKS, so the item stays small. */
#define OFS_EXTENT_HDR 16
#define OFS_EXTENT_MAX_BLOCKS 64u
#define OFS_EXTENT_MAX_SIZE (OFS_EXTENT_HDR + 4 * OFS_EXTENT_MAX_BLOCKS)
struct ofs_extent {
    uint64_t pblk, nblocks;
    bool has_sums;              /* false: a version-1 item (no checksums) */
    uint32_t sum[OFS_EXTENT_MAX_BLOCKS];
};
/* Decode and validate the extent item ending at logical block `end` (length, range inside
 * [2, total_blocks), value size). Items without checksums are accepted only if `legacy`
 * (a version-1 filesystem). 0 or -EUCLEAN. */
int ofs_extent_decode(const uint8_t *v, size_t len, uint64_t end, uint64_t total_blocks,
                      bool legacy, struct ofs_extent *e);
/* Encode into buf (OFS_EXTENT_MAX_SIZE bytes); returns the value's length. A checksummed
 * extent must have 1 <= nblocks <= OFS_EXTENT_MAX_BLOCKS. */
size_t ofs_extent_encode(const struct ofs_extent *e, uint8_t *buf);
/* The checksum of one data block. */
uint32_t ofs_data_sum(const void *block);
/* Directory entries: each is u64 ino, u8 file type (DT_*), u8 name length, name bytes. */
#define OFS_DIRENT_HDR 10
#define OFS_NAME_MAX 255
/* The name hash, the key offset of a directory entry item: crc32c of the name. */
uint32_t ofs_name_hash(const char *name, size_t len);
/* Walk the entries of a dirent item value: *pos is the byte offset (start 0). Returns 1 with
 * the entry, 0 at the end, -EUCLEAN if malformed (a zero/oversized name, '/' or NUL in it,
 * "." or "..", ino 0, or a truncated entry). */
int ofs_dirent_next(const uint8_t *val, size_t len, size_t *pos, uint64_t *ino, uint8_t *type,
                    const char **name, size_t *namelen);

/* DT_* values for the entry type. */
#define OFS_DT_UNKNOWN 0
#define OFS_DT_FIFO 1
#define OFS_DT_CHR 2
#define OFS_DT_DIR 4
#define OFS_DT_BLK 6
#define OFS_DT_REG 8
#define OFS_DT_LNK 10
#define OFS_DT_SOCK 12
/* The DT_* for a mode (0 if not a valid file type). */
uint8_t ofs_mode_to_dt(uint32_t mode);
