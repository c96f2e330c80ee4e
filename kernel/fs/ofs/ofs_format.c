/* OFS on-disk format: encode, decode and validate the superblock, tree nodes and items.
 * Pure functions over byte buffers: no I/O, no allocation, so fuzzing them is cheap and the
 * host tools and the kernel share exactly one definition of what a valid structure is. */
#include "ofs_format.h"
#include "crc32.h"
#include "errno.h"
#include "string.h"

bool ofs_fuzz_skip_checksums;

bool ofs_crc_ok(uint32_t want, const void *buf, size_t len)
{
    return crc32c(0, buf, len) == want || ofs_fuzz_skip_checksums;
}

/* ---- Superblock ---- */

void ofs_super_encode(const struct ofs_super *sb, uint8_t *b)
{
    memset(b, 0, OFS_BLOCK_SIZE);
    memcpy(b + OFS_SB_OFF_MAGIC, OFS_SB_MAGIC, 8);
    ofs_put32(b + OFS_SB_OFF_VERSION, sb->version);
    ofs_put32(b + OFS_SB_OFF_BSIZE, sb->block_size);
    ofs_put64(b + OFS_SB_OFF_SEQ, sb->seq);
    ofs_put64(b + OFS_SB_OFF_TOTAL, sb->total_blocks);
    ofs_put64(b + OFS_SB_OFF_ROOT, sb->root.blk);
    ofs_put32(b + OFS_SB_OFF_ROOT + 8, sb->root.crc);
    ofs_put32(b + OFS_SB_OFF_ROOT_LEVEL, sb->root_level);
    ofs_put64(b + OFS_SB_OFF_BMAP, sb->bmap.blk);
    ofs_put32(b + OFS_SB_OFF_BMAP + 8, sb->bmap.crc);
    ofs_put32(b + OFS_SB_OFF_BMAP_CHUNKS, sb->bmap_chunks);
    ofs_put64(b + OFS_SB_OFF_NEXT_INO, sb->next_ino);
    ofs_put64(b + OFS_SB_OFF_INODES, sb->inode_count);
    ofs_put64(b + OFS_SB_OFF_FREE, sb->free_blocks);
    ofs_put64(b + OFS_SB_OFF_MKFS_TIME, (uint64_t)sb->mkfs_time);
    memcpy(b + OFS_SB_OFF_UUID, sb->uuid, OFS_UUID_LEN);
    memcpy(b + OFS_SB_OFF_LABEL, sb->label, OFS_LABEL_LEN);
    ofs_put32(b + OFS_SB_OFF_FLAGS, sb->flags);
    ofs_put32(b + OFS_SB_CRC_OFF, crc32c(0, b, OFS_SB_CRC_OFF));
}

static int bad(const char **why, const char *msg)
{
    if (why)
        *why = msg;
    return -EUCLEAN;
}

int ofs_super_decode(const uint8_t *b, unsigned slot, uint64_t dev_blocks, struct ofs_super *sb,
                     const char **why)
{
    if (memcmp(b + OFS_SB_OFF_MAGIC, OFS_SB_MAGIC, 8) != 0)
        return bad(why, "no superblock magic");
    if (!ofs_crc_ok(ofs_get32(b + OFS_SB_CRC_OFF), b, OFS_SB_CRC_OFF))
        return bad(why, "superblock checksum mismatch");
    for (size_t i = OFS_SB_USED; i < OFS_SB_CRC_OFF; i++)
        if (b[i])
            return bad(why, "superblock reserved bytes not zero");
    memset(sb, 0, sizeof(*sb));
    sb->version = ofs_get32(b + OFS_SB_OFF_VERSION);
    sb->block_size = ofs_get32(b + OFS_SB_OFF_BSIZE);
    sb->seq = ofs_get64(b + OFS_SB_OFF_SEQ);
    sb->total_blocks = ofs_get64(b + OFS_SB_OFF_TOTAL);
    sb->root.blk = ofs_get64(b + OFS_SB_OFF_ROOT);
    sb->root.crc = ofs_get32(b + OFS_SB_OFF_ROOT + 8);
    sb->root_level = ofs_get32(b + OFS_SB_OFF_ROOT_LEVEL);
    sb->bmap.blk = ofs_get64(b + OFS_SB_OFF_BMAP);
    sb->bmap.crc = ofs_get32(b + OFS_SB_OFF_BMAP + 8);
    sb->bmap_chunks = ofs_get32(b + OFS_SB_OFF_BMAP_CHUNKS);
    sb->next_ino = ofs_get64(b + OFS_SB_OFF_NEXT_INO);
    sb->inode_count = ofs_get64(b + OFS_SB_OFF_INODES);
    sb->free_blocks = ofs_get64(b + OFS_SB_OFF_FREE);
    sb->mkfs_time = (int64_t)ofs_get64(b + OFS_SB_OFF_MKFS_TIME);
    memcpy(sb->uuid, b + OFS_SB_OFF_UUID, OFS_UUID_LEN);
    memcpy(sb->label, b + OFS_SB_OFF_LABEL, OFS_LABEL_LEN);
    sb->flags = ofs_get32(b + OFS_SB_OFF_FLAGS);

    if (sb->version != OFS_VERSION && sb->version != OFS_VERSION_NO_DATASUMS)
        return bad(why, "unsupported version");
    if (sb->block_size != OFS_BLOCK_SIZE)
        return bad(why, "unsupported block size");
    if (sb->flags != 0)
        return bad(why, "unknown flags");
    if (sb->seq == 0 || sb->seq % OFS_SB_SLOTS != slot)
        return bad(why, "sequence number does not belong to this slot");
    if (sb->total_blocks < OFS_MIN_BLOCKS || sb->total_blocks > OFS_MAX_BLOCKS)
        return bad(why, "filesystem size out of range");
    if (dev_blocks && sb->total_blocks > dev_blocks)
        return bad(why, "filesystem larger than the device");
    uint64_t chunks = (sb->total_blocks + OFS_BITS_PER_CHUNK - 1) / OFS_BITS_PER_CHUNK;
    if (sb->bmap_chunks != chunks)
        return bad(why, "space map size does not match the filesystem size");
    if (sb->root.blk < OFS_SB_SLOTS || sb->root.blk >= sb->total_blocks)
        return bad(why, "root pointer out of range");
    if (sb->bmap.blk < OFS_SB_SLOTS || sb->bmap.blk >= sb->total_blocks)
        return bad(why, "space map pointer out of range");
    if (sb->root_level >= OFS_MAX_LEVEL)
        return bad(why, "tree too tall");
    if (sb->free_blocks > sb->total_blocks)
        return bad(why, "free block count larger than the filesystem");
    if (sb->next_ino < OFS_FIRST_INO || sb->inode_count == 0 || sb->inode_count >= sb->next_ino)
        return bad(why, "inode counters inconsistent");
    return 0;
}

/* ---- Nodes ---- */

int ofs_node_validate(const uint8_t *b, uint64_t self, unsigned level, uint64_t total_blocks,
                      const char **why)
{
    if (memcmp(b, OFS_NODE_MAGIC, 4) != 0)
        return bad(why, "no node magic");
    if (b[4] != level)
        return bad(why, "node level is not what its parent says");
    if (b[5] != 0)
        return bad(why, "node reserved byte not zero");
    if (ofs_get64(b + 16) != self)
        return bad(why, "node written for another address (misdirected write)");
    unsigned n = ofs_get16(b + 6);
    size_t off = OFS_NODE_HDR;
    struct ofs_key prev = { 0, 0, 0 };
    for (unsigned i = 0; i < n; i++) {
        struct ofs_key k;
        if (level == 0) {
            if (off + OFS_LEAF_ITEM_HDR > OFS_BLOCK_SIZE)
                return bad(why, "leaf item header past the end of the block");
            ofs_key_get(b + off, &k);
            unsigned vlen = ofs_get16(b + off + OFS_KEY_SIZE);
            if (vlen > OFS_MAX_VALUE)
                return bad(why, "item value too long");
            if (off + OFS_LEAF_ITEM_HDR + vlen > OFS_BLOCK_SIZE)
                return bad(why, "item value past the end of the block");
            off += OFS_LEAF_ITEM_HDR + vlen;
        } else {
            if (off + OFS_PTR_ITEM > OFS_BLOCK_SIZE)
                return bad(why, "too many child pointers");
            ofs_key_get(b + off, &k);
            uint64_t child = ofs_get64(b + off + OFS_KEY_SIZE);
            if (child < OFS_SB_SLOTS || child >= total_blocks)
                return bad(why, "child pointer out of range");
            off += OFS_PTR_ITEM;
        }
        if (i > 0 && ofs_key_cmp(&prev, &k) >= 0)
            return bad(why, "keys not strictly increasing");
        prev = k;
    }
    if (level > 0 && n == 0)
        return bad(why, "interior node without children");
    for (; off < OFS_BLOCK_SIZE; off++)
        if (b[off])
            return bad(why, "bytes after the last item not zero");
    return 0;
}

/* ---- Items ---- */

static void put_ts(uint8_t *p, const struct ofs_timespec *t)
{
    ofs_put64(p, (uint64_t)t->sec);
    ofs_put32(p + 8, t->nsec);
}

static void get_ts(const uint8_t *p, struct ofs_timespec *t)
{
    t->sec = (int64_t)ofs_get64(p);
    t->nsec = ofs_get32(p + 8);
}

void ofs_dinode_encode(const struct ofs_dinode *di, uint8_t *p)
{
    memset(p, 0, OFS_DINODE_SIZE);
    ofs_put32(p + 0, di->mode);
    ofs_put32(p + 4, di->uid);
    ofs_put32(p + 8, di->gid);
    ofs_put32(p + 12, di->nlink);
    ofs_put64(p + 16, di->size);
    ofs_put64(p + 24, di->blocks);
    put_ts(p + 32, &di->atime);
    put_ts(p + 44, &di->mtime);
    put_ts(p + 56, &di->ctime);
    put_ts(p + 68, &di->btime);
    ofs_put64(p + 80, di->rdev);
    ofs_put64(p + 88, di->parent);
    ofs_put32(p + 96, di->flags);
    /* bytes 100..103 zero */
}

int ofs_dinode_decode(const uint8_t *p, size_t len, struct ofs_dinode *di)
{
    if (len != OFS_DINODE_SIZE)
        return -EUCLEAN;
    di->mode = ofs_get32(p + 0);
    di->uid = ofs_get32(p + 4);
    di->gid = ofs_get32(p + 8);
    di->nlink = ofs_get32(p + 12);
    di->size = ofs_get64(p + 16);
    di->blocks = ofs_get64(p + 24);
    get_ts(p + 32, &di->atime);
    get_ts(p + 44, &di->mtime);
    get_ts(p + 56, &di->ctime);
    get_ts(p + 68, &di->btime);
    di->rdev = ofs_get64(p + 80);
    di->parent = ofs_get64(p + 88);
    di->flags = ofs_get32(p + 96);
    if (ofs_mode_to_dt(di->mode) == OFS_DT_UNKNOWN || (di->mode & ~0177777u))
        return -EUCLEAN;
    if (di->atime.nsec >= 1000000000u || di->mtime.nsec >= 1000000000u ||
        di->ctime.nsec >= 1000000000u || di->btime.nsec >= 1000000000u)
        return -EUCLEAN;
    if (di->flags != 0 || ofs_get32(p + 100) != 0)
        return -EUCLEAN;
    if (di->size > (1ull << 62))
        return -EUCLEAN;
    return 0;
}

uint32_t ofs_name_hash(const char *name, size_t len)
{
    return crc32c(0, name, len);
}

int ofs_dirent_next(const uint8_t *val, size_t len, size_t *pos, uint64_t *ino, uint8_t *type,
                    const char **name, size_t *namelen)
{
    size_t p = *pos;
    if (p == len)
        return 0;
    if (p > len || len - p < OFS_DIRENT_HDR)
        return -EUCLEAN;
    uint64_t i = ofs_get64(val + p);
    uint8_t t = val[p + 8];
    size_t nl = val[p + 9];
    if (nl == 0 || len - p - OFS_DIRENT_HDR < nl || i == 0)
        return -EUCLEAN;
    const char *n = (const char *)val + p + OFS_DIRENT_HDR;
    for (size_t k = 0; k < nl; k++)
        if (n[k] == '/' || n[k] == 0)
            return -EUCLEAN;
    if ((nl == 1 && n[0] == '.') || (nl == 2 && n[0] == '.' && n[1] == '.'))
        return -EUCLEAN;
    switch (t) {
    case OFS_DT_FIFO: case OFS_DT_CHR: case OFS_DT_DIR: case OFS_DT_BLK:
    case OFS_DT_REG: case OFS_DT_LNK: case OFS_DT_SOCK:
        break;
    default:
        return -EUCLEAN;
    }
    *ino = i;
    *type = t;
    *name = n;
    *namelen = nl;
    *pos = p + OFS_DIRENT_HDR + nl;
    return 1;
}

uint8_t ofs_mode_to_dt(uint32_t mode)
{
    switch (mode & 0170000u) {
    case 0010000u: return OFS_DT_FIFO;
    case 0020000u: return OFS_DT_CHR;
    case 0040000u: return OFS_DT_DIR;
    case 0060000u: return OFS_DT_BLK;
    case 0100000u: return OFS_DT_REG;
    case 0120000u: return OFS_DT_LNK;
    case 0140000u: return OFS_DT_SOCK;
    default: return OFS_DT_UNKNOWN;
    }
}

int ofs_extent_decode(const uint8_t *v, size_t len, uint64_t end, uint64_t total_blocks,
                      bool legacy, struct ofs_extent *e)
{
    if (len < OFS_EXTENT_HDR)
        return -EUCLEAN;
    e->pblk = ofs_get64(v);
    e->nblocks = ofs_get64(v + 8);
    e->has_sums = len != OFS_EXTENT_HDR;
    if (e->nblocks == 0 || e->nblocks > end || e->pblk < OFS_SB_SLOTS ||
        e->pblk >= total_blocks || e->nblocks > total_blocks - e->pblk)
        return -EUCLEAN;
    if (!e->has_sums)
        return legacy ? 0 : -EUCLEAN;
    if (e->nblocks > OFS_EXTENT_MAX_BLOCKS || len != OFS_EXTENT_HDR + 4 * e->nblocks)
        return -EUCLEAN;
    for (uint64_t i = 0; i < e->nblocks; i++)
        e->sum[i] = ofs_get32(v + OFS_EXTENT_HDR + 4 * i);
    return 0;
}

size_t ofs_extent_encode(const struct ofs_extent *e, uint8_t *buf)
{
    ofs_put64(buf, e->pblk);
    ofs_put64(buf + 8, e->nblocks);
    if (!e->has_sums)
        return OFS_EXTENT_HDR;
    for (uint64_t i = 0; i < e->nblocks; i++)
        ofs_put32(buf + OFS_EXTENT_HDR + 4 * i, e->sum[i]);
    return OFS_EXTENT_HDR + 4 * e->nblocks;
}

uint32_t ofs_data_sum(const void *block)
{
    return crc32c(0, block, OFS_BLOCK_SIZE);
}
