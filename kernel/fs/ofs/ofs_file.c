/* OFS core: inode items, the extent map, and file data (read, write, truncate, evict).
 *
 * Extents are tree items keyed (ino, EXTENT, end) where end is one past the extent's last
 * logical block, so "the extent containing lblk" is the first item with a key > (ino, EXTENT,
 * lblk): one ordered lookup. Unmapped ranges are holes (sparse files).
 *
 * Data is copy-on-write too: a block the last commit references is never overwritten; the
 * write goes to a new block and the extent map changes in the transaction. A block written
 * since the last commit (not yet referenced by any commit) is rewritten in place.
 *
 * Every extent item carries the CRC-32C of each of its blocks (format version 2), written in
 * the same transaction as the data, and every read checks it: a damaged block reads as EIO,
 * never as wrong bytes. */
#include "ofs.h"
#include "kernel.h"
#include "mm.h"
#include "string.h"

/* Blocks per reservation round of a write: small enough to reserve little. */
#define WRITE_CHUNK 16u
/* Tree changes one data block can cause (punch: delete + 2 inserts; merge: delete + insert). */
#define OPS_PER_BLOCK 6u

int ofs_iget(struct ofs_fs *fs, uint64_t ino, struct ofs_inode *out)
{
    uint8_t buf[OFS_DINODE_SIZE];
    size_t len;
    struct ofs_key k = { ino, OFS_TYPE_INODE, 0 };
    int r = ofs_tree_lookup(fs, &k, buf, sizeof(buf), &len);
    if (r < 0)
        return r;
    out->ino = ino;
    if (ofs_dinode_decode(buf, len, &out->d) < 0)
        return ofs_error(fs, ino, -EUCLEAN, "invalid inode item");
    return 0;
}

int ofs_iput(struct ofs_fs *fs, const struct ofs_inode *in)
{
    uint8_t buf[OFS_DINODE_SIZE];
    ofs_dinode_encode(&in->d, buf);
    struct ofs_key k = { in->ino, OFS_TYPE_INODE, 0 };
    return ofs_tree_insert(fs, &k, buf, sizeof(buf), true);
}

/* ---- Extents ---- */

/* Logical blocks [start, end) at x.pblk, with their checksums (version 2). */
struct extent {
    uint64_t start, end;
    struct ofs_extent x;
};

/* A version-1 filesystem (not converted yet) has extents without checksums. */
static bool legacy(const struct ofs_fs *fs)
{
    return fs->sb.version == OFS_VERSION_NO_DATASUMS;
}

static int extent_decode(struct ofs_fs *fs, uint64_t ino, uint64_t end, const uint8_t *v,
                         size_t len, struct extent *e)
{
    if (ofs_extent_decode(v, len, end, fs->sb.total_blocks, legacy(fs), &e->x) < 0)
        return ofs_error(fs, ino, -EUCLEAN, "invalid extent item");
    e->end = end;
    e->start = end - e->x.nblocks;
    return 0;
}

/* The first extent of ino that ends after lblk: 1 and *e, 0 if none, or -errno. */
static int extent_after(struct ofs_fs *fs, uint64_t ino, uint64_t lblk, struct extent *e)
{
    struct ofs_key k = { ino, OFS_TYPE_EXTENT, lblk + 1 }, found;
    uint8_t v[OFS_EXTENT_MAX_SIZE];
    size_t len;
    int r = ofs_tree_next(fs, &k, &found, v, sizeof(v), &len);
    if (r == -ENOENT || (r == 0 && (found.obj != ino || found.type != OFS_TYPE_EXTENT)))
        return 0;
    if (r < 0)
        return r;
    if (len > sizeof(v))
        return ofs_error(fs, ino, -EUCLEAN, "invalid extent item");
    r = extent_decode(fs, ino, found.off, v, len, e);
    return r < 0 ? r : 1;
}

/* Store the extent item ending at `end` (replace: overwrite the item with that key). */
static int extent_store(struct ofs_fs *fs, uint64_t ino, uint64_t end, const struct ofs_extent *x,
                        bool replace)
{
    uint8_t v[OFS_EXTENT_MAX_SIZE];
    size_t len = ofs_extent_encode(x, v);
    struct ofs_key k = { ino, OFS_TYPE_EXTENT, end };
    return ofs_tree_insert(fs, &k, v, len, replace);
}

/* The part [a, b) of e, checksums included, as a new item ending at b. */
static int extent_put_slice(struct ofs_fs *fs, uint64_t ino, const struct extent *e, uint64_t a,
                            uint64_t b)
{
    struct ofs_extent x = { .pblk = e->x.pblk + (a - e->start), .nblocks = b - a,
                            .has_sums = e->x.has_sums };
    if (x.has_sums)
        memcpy(x.sum, e->x.sum + (a - e->start), sizeof(x.sum[0]) * (b - a));
    return extent_store(fs, ino, b, &x, false);
}

int ofs_bmap(struct ofs_fs *fs, uint64_t ino, uint64_t lblk, uint64_t *pblk, uint64_t *run)
{
    struct extent e;
    int r = extent_after(fs, ino, lblk, &e);
    if (r < 0)
        return r;
    if (r == 0) {
        *pblk = 0;
        *run = UINT64_MAX - lblk;
    } else if (e.start > lblk) {
        *pblk = 0;
        *run = e.start - lblk;
    } else {
        *pblk = e.x.pblk + (lblk - e.start);
        *run = e.end - lblk;
    }
    return 0;
}

static int data_read(struct ofs_fs *fs, uint64_t blk, void *buf)
{
    return (fs->io.read_data ? fs->io.read_data : fs->io.read)(fs->io.ctx, blk, buf);
}

static int data_write(struct ofs_fs *fs, uint64_t blk, const void *buf)
{
    return (fs->io.write_data ? fs->io.write_data : fs->io.write)(fs->io.ctx, blk, buf);
}

ssize_t ofs_check_data(struct ofs_fs *fs, uint64_t ino, uint64_t lblk, uint64_t n,
                       const void *buf)
{
    uint64_t i = 0;
    while (i < n) {
        struct extent e;
        int r = extent_after(fs, ino, lblk + i, &e);
        if (r < 0)
            return i ? (ssize_t)i : r;
        if (r == 0)
            return (ssize_t)n;          /* holes to the end */
        if (e.start > lblk + i) {
            i = MIN(n, e.start - lblk);   /* a hole up to the extent */
            continue;
        }
        for (; i < n && lblk + i < e.end; i++) {
            const uint8_t *b = (const uint8_t *)buf + i * OFS_BLOCK_SIZE;
            if (e.x.has_sums && !ofs_crc_ok(e.x.sum[lblk + i - e.start], b, OFS_BLOCK_SIZE))
                return i ? (ssize_t)i
                         : ofs_data_error(fs, ino, lblk, e.x.pblk + (lblk - e.start));
        }
    }
    return (ssize_t)n;
}

/* Unmap [lstart, lend) of in, freeing the blocks. With `reserve`, each step reserves its
 * own space (and may commit in between; every step leaves a consistent state, the inode's
 * block count included); otherwise the caller has reserved for one step. */
static int punch(struct ofs_fs *fs, struct ofs_inode *in, uint64_t lstart, uint64_t lend,
                 bool reserve)
{
    for (uint64_t steps = 0; steps < fs->sb.total_blocks + 1; steps++) {
        struct extent e;
        int r = extent_after(fs, in->ino, lstart, &e);
        if (r <= 0)
            return r;
        if (e.start >= lend)
            return 0;
        if (reserve && (r = ofs_begin(fs, 0, 4)) < 0)
            return r;
        uint64_t a = MAX(e.start, lstart), b = MIN(e.end, lend);
        struct ofs_key k = { in->ino, OFS_TYPE_EXTENT, e.end };
        r = ofs_tree_delete(fs, &k);
        if (r == 0 && e.start < a)
            r = extent_put_slice(fs, in->ino, &e, e.start, a);
        if (r == 0 && b < e.end)
            r = extent_put_slice(fs, in->ino, &e, b, e.end);
        if (r < 0)
            return ofs_error(fs, in->ino, r, "cannot update the extent map");
        for (uint64_t x = a; x < b; x++)
            ofs_free_block(fs, e.x.pblk + (x - e.start));
        in->d.blocks = in->d.blocks >= b - a ? in->d.blocks - (b - a) : 0;
        if (reserve && (r = ofs_iput(fs, in)) < 0)
            return ofs_error(fs, in->ino, r, "cannot write the inode");
        if (fs->errors)
            return -EIO;
    }
    return ofs_error(fs, in->ino, -EUCLEAN, "extent map does not shrink");
}

/* Write one whole block of data at lblk (space reserved by the caller). Its checksum goes
 * into the extent item in the same transaction, so any commit has data and checksum of the
 * same write: the block is either new or one no commit references yet. */
static int write_block(struct ofs_fs *fs, struct ofs_inode *in, uint64_t lblk, const void *data)
{
    uint32_t sum = ofs_data_sum(data);
    struct extent e;
    int r = extent_after(fs, in->ino, lblk, &e);
    if (r < 0)
        return r;
    bool mapped = r == 1 && e.start <= lblk;
    if (mapped && e.x.has_sums) {
        uint64_t p = e.x.pblk + (lblk - e.start);
        if (!ofs_block_committed(fs, p)) {
            if ((r = data_write(fs, p, data)) < 0)
                return r;
            e.x.sum[lblk - e.start] = sum;
            return extent_store(fs, in->ino, e.end, &e.x, true);
        }
    }
    /* A new block, preferably right after the extent that ends where this block starts. */
    uint8_t v[OFS_EXTENT_MAX_SIZE];
    size_t len;
    struct ofs_key left_key = { in->ino, OFS_TYPE_EXTENT, lblk };
    struct extent left = { 0 };
    bool has_left = lblk > 0 && ofs_tree_lookup(fs, &left_key, v, sizeof(v), &len) == 0;
    if (has_left) {
        if (len > sizeof(v) || (r = extent_decode(fs, in->ino, lblk, v, len, &left)) < 0)
            return ofs_error(fs, in->ino, -EUCLEAN, "invalid extent item");
    }
    uint64_t q;
    r = ofs_alloc_block(fs, has_left ? left.x.pblk + left.x.nblocks : fs->alloc_cursor, &q);
    if (r < 0)
        return r;
    r = data_write(fs, q, data);
    if (r < 0)
        return r;
    if (mapped && (r = punch(fs, in, lblk, lblk + 1, false)) < 0)
        return r;
    if (has_left && left.x.has_sums && left.x.nblocks < OFS_EXTENT_MAX_BLOCKS &&
        left.x.pblk + left.x.nblocks == q) {
        left.x.sum[left.x.nblocks++] = sum;
        r = ofs_tree_delete(fs, &left_key);
        if (r == 0)
            r = extent_store(fs, in->ino, lblk + 1, &left.x, false);
    } else {
        struct ofs_extent x = { .pblk = q, .nblocks = 1, .has_sums = true, .sum = { sum } };
        r = extent_store(fs, in->ino, lblk + 1, &x, false);
    }
    if (r < 0)
        return r;
    in->d.blocks++;
    return 0;
}

/* A checksum mismatch is damage to one file's data, not to the filesystem's structure: the
 * read fails, the filesystem stays writable. The buffer never keeps the bad bytes. */
static int read_block(struct ofs_fs *fs, uint64_t ino, uint64_t lblk, void *buf)
{
    struct extent e;
    int r = extent_after(fs, ino, lblk, &e);
    if (r < 0)
        return r;
    if (r == 0 || e.start > lblk) {
        memset(buf, 0, OFS_BLOCK_SIZE);
        return 0;
    }
    uint64_t p = e.x.pblk + (lblk - e.start);
    r = data_read(fs, p, buf);
    if (r < 0)
        return ofs_error(fs, ino, -EIO, "I/O error reading file data");
    if (e.x.has_sums && !ofs_crc_ok(e.x.sum[lblk - e.start], buf, OFS_BLOCK_SIZE)) {
        memset(buf, 0, OFS_BLOCK_SIZE);
        return ofs_data_error(fs, ino, lblk, p);
    }
    return 0;
}

ssize_t ofs_read(struct ofs_fs *fs, struct ofs_inode *in, uint64_t off, void *buf, size_t len)
{
    int r = ofs_iget(fs, in->ino, in);
    if (r < 0)
        return r;
    if (off >= in->d.size)
        return 0;
    if (len > in->d.size - off)
        len = (size_t)(in->d.size - off);
    size_t done = 0;
    while (done < len) {
        uint64_t pos = off + done;
        uint64_t lblk = pos >> OFS_BLOCK_SHIFT;
        size_t boff = (size_t)(pos & (OFS_BLOCK_SIZE - 1));
        size_t n = MIN(len - done, OFS_BLOCK_SIZE - boff);
        if (n == OFS_BLOCK_SIZE) {
            r = read_block(fs, in->ino, lblk, (uint8_t *)buf + done);
        } else {
            r = read_block(fs, in->ino, lblk, fs->iobuf);
            if (r == 0)
                memcpy((uint8_t *)buf + done, fs->iobuf + boff, n);
        }
        if (r < 0)
            return done ? (ssize_t)done : r;
        done += n;
    }
    return (ssize_t)done;
}

/* Before the size grows past old_size: nothing may stay mapped beyond it (a truncate that
 * was interrupted by a commit can leave blocks there), or old data would reappear. */
static int clear_past_eof(struct ofs_fs *fs, struct ofs_inode *in, uint64_t old_size)
{
    uint64_t first = (old_size + OFS_BLOCK_SIZE - 1) >> OFS_BLOCK_SHIFT;
    return punch(fs, in, first, UINT64_MAX, true);
}

/* The body of ofs_write. With `reserve`, each round of up to WRITE_CHUNK blocks reserves
 * its space (and may commit first); without, the caller reserved for all of it. */
static ssize_t write_range(struct ofs_fs *fs, struct ofs_inode *in, uint64_t off,
                           const void *buf, size_t len, bool reserve)
{
    if (fs->readonly)
        return -EROFS;
    int r = ofs_iget(fs, in->ino, in);
    if (r < 0)
        return r;
    if (off > OFS_MAX_FILE_SIZE || len > OFS_MAX_FILE_SIZE - off)
        return -EFBIG;
    if (len == 0)
        return 0;
    if (off + len > in->d.size) {
        uint64_t first = (in->d.size + OFS_BLOCK_SIZE - 1) >> OFS_BLOCK_SHIFT;
        if ((r = punch(fs, in, first, UINT64_MAX, reserve)) < 0)
            return r;
    }
    size_t done = 0;
    while (done < len) {
        /* Reserve for the blocks this round touches (at most WRITE_CHUNK). */
        uint64_t first = (off + done) >> OFS_BLOCK_SHIFT;
        uint64_t last = (off + len - 1) >> OFS_BLOCK_SHIFT;
        unsigned nblk = (unsigned)MIN((uint64_t)WRITE_CHUNK, last - first + 1);
        r = reserve ? ofs_begin(fs, nblk, nblk * OPS_PER_BLOCK + 1) : 0;
        /* Nearly full: the worst-case reservation for a whole round may not fit where a
         * smaller round does. */
        while (r == -ENOSPC && nblk > 1) {
            nblk /= 2;
            r = ofs_begin(fs, nblk, nblk * OPS_PER_BLOCK + 1);
        }
        if (r < 0)
            return done ? (ssize_t)done : r;
        /* The reservation may have committed: the inode is unchanged by that. */
        for (unsigned i = 0; i < nblk && done < len; i++) {
            uint64_t pos = off + done;
            uint64_t lblk = pos >> OFS_BLOCK_SHIFT;
            size_t boff = (size_t)(pos & (OFS_BLOCK_SIZE - 1));
            size_t n = MIN(len - done, OFS_BLOCK_SIZE - boff);
            const void *src = (const uint8_t *)buf + done;
            if (n != OFS_BLOCK_SIZE) {
                if (pos >= ALIGN_DOWN(in->d.size + OFS_BLOCK_SIZE - 1, OFS_BLOCK_SIZE))
                    memset(fs->iobuf, 0, OFS_BLOCK_SIZE);    /* wholly past EOF: a hole */
                else if ((r = read_block(fs, in->ino, lblk, fs->iobuf)) < 0)
                    return r;
                memcpy(fs->iobuf + boff, src, n);
                src = fs->iobuf;
            }
            r = write_block(fs, in, lblk, src);
            if (r < 0)
                return ofs_error(fs, in->ino, r, "cannot write file data");
            done += n;
            if (pos + n > in->d.size)
                in->d.size = pos + n;
        }
        ofs_now(fs, &in->d.mtime);
        in->d.ctime = in->d.mtime;
        r = ofs_iput(fs, in);
        if (r < 0)
            return ofs_error(fs, in->ino, r, "cannot write the inode");
    }
    return (ssize_t)done;
}

ssize_t ofs_write(struct ofs_fs *fs, struct ofs_inode *in, uint64_t off, const void *buf,
                  size_t len)
{
    return write_range(fs, in, off, buf, len, true);
}

ssize_t ofs_write_reserved(struct ofs_fs *fs, struct ofs_inode *in, uint64_t off,
                           const void *buf, size_t len)
{
    return write_range(fs, in, off, buf, len, false);
}

static int do_truncate(struct ofs_fs *fs, struct ofs_inode *in, uint64_t size)
{
    if (size > OFS_MAX_FILE_SIZE)
        return -EFBIG;
    uint64_t old = in->d.size;
    int r;
    if (size < old) {
        /* One reservation for zeroing the tail of the new last block (so a later extension
         * reads zeros) and the new size: no commit can fall between the two. */
        if ((r = ofs_begin(fs, 1, OPS_PER_BLOCK + 1)) < 0)
            return r;
        size_t tail = (size_t)(size & (OFS_BLOCK_SIZE - 1));
        if (tail) {
            uint64_t lblk = size >> OFS_BLOCK_SHIFT, p, run;
            if ((r = ofs_bmap(fs, in->ino, lblk, &p, &run)) < 0)
                return r;
            if (p) {
                if ((r = read_block(fs, in->ino, lblk, fs->iobuf)) < 0)
                    return r;
                memset(fs->iobuf + tail, 0, OFS_BLOCK_SIZE - tail);
                if ((r = write_block(fs, in, lblk, fs->iobuf)) < 0)
                    return ofs_error(fs, in->ino, r, "cannot write file data");
            }
        }
        in->d.size = size;
        if ((r = ofs_iput(fs, in)) < 0)
            return ofs_error(fs, in->ino, r, "cannot write the inode");
        return punch(fs, in, (size + OFS_BLOCK_SIZE - 1) >> OFS_BLOCK_SHIFT, UINT64_MAX, true);
    }
    if (size > old) {
        if ((r = clear_past_eof(fs, in, old)) < 0)
            return r;
        in->d.size = size;
    }
    return 0;
}

int ofs_setattr(struct ofs_fs *fs, struct ofs_inode *in, const struct ofs_setattr *sa)
{
    if (fs->readonly)
        return -EROFS;
    int r = ofs_iget(fs, in->ino, in);
    if (r < 0)
        return r;
    if (sa->mask & OFS_SET_SIZE) {
        if ((in->d.mode & 0170000u) != 0100000u)
            return -EINVAL;
        if (sa->size != in->d.size) {
            if ((r = do_truncate(fs, in, sa->size)) < 0)
                return r;
            ofs_now(fs, &in->d.mtime);
        }
    }
    if ((r = ofs_begin(fs, 0, 1)) < 0)
        return r;
    if (sa->mask & OFS_SET_MODE)
        in->d.mode = (in->d.mode & 0170000u) | (sa->mode & 07777u);
    if (sa->mask & OFS_SET_UID)
        in->d.uid = sa->uid;
    if (sa->mask & OFS_SET_GID)
        in->d.gid = sa->gid;
    if (sa->mask & OFS_SET_ATIME)
        in->d.atime = sa->atime;
    if (sa->mask & OFS_SET_MTIME)
        in->d.mtime = sa->mtime;
    if (sa->mask & OFS_SET_CTIME)
        in->d.ctime = sa->ctime;
    else
        ofs_now(fs, &in->d.ctime);
    r = ofs_iput(fs, in);
    if (r < 0)
        return ofs_error(fs, in->ino, r, "cannot write the inode");
    return 0;
}

int ofs_evict(struct ofs_fs *fs, uint64_t ino)
{
    if (fs->readonly)
        return -EROFS;
    struct ofs_inode in;
    int r = ofs_iget(fs, ino, &in);
    struct ofs_key orphan = { OFS_ORPHAN_OBJ, OFS_TYPE_ORPHAN, ino };
    if (r == -ENOENT) {
        /* A stale orphan item (the inode is gone already): drop it. */
        if ((r = ofs_begin(fs, 0, 1)) < 0)
            return r;
        r = ofs_tree_delete(fs, &orphan);
        return r == -ENOENT ? 0 : r;
    }
    if (r < 0)
        return r;
    if (in.d.nlink != 0)
        return 0;
    if ((r = punch(fs, &in, 0, UINT64_MAX, true)) < 0)
        return r;
    if ((r = ofs_begin(fs, 0, 2)) < 0)
        return r;
    struct ofs_key k = { ino, OFS_TYPE_INODE, 0 };
    r = ofs_tree_delete(fs, &k);
    if (r == 0) {
        r = ofs_tree_delete(fs, &orphan);
        if (r == -ENOENT)
            r = 0;
    }
    if (r < 0)
        return ofs_error(fs, ino, r, "cannot remove the inode");
    if (fs->inode_count > 1)
        fs->inode_count--;
    return 0;
}

/* Format version 1 -> 2 (a read-write mount of a version-1 filesystem): every extent without
 * checksums is replaced, OFS_EXTENT_MAX_BLOCKS blocks at a time from its start, by
 * checksummed extents over the same blocks (no data moves). Each step is one consistent
 * change (the checksummed head gets a new item, the item at the old key keeps the rest), so a
 * commit may fall between steps: the superblock says version 1 until the caller's last commit,
 * and version 1 accepts both kinds of items. The checksums are of the data as it is now:
 * damage that happened before cannot be found afterwards. */
int ofs_add_datasums(struct ofs_fs *fs, uint64_t *converted)
{
    struct ofs_key k = { 0, 0, 0 }, found;
    uint8_t v[OFS_EXTENT_MAX_SIZE];
    size_t len;
    *converted = 0;
    for (;;) {
        int r = ofs_tree_next(fs, &k, &found, v, sizeof(v), &len);
        if (r == -ENOENT)
            return 0;
        if (r < 0)
            return r;
        /* Skip straight to the next inode's extents. */
        if (found.type < OFS_TYPE_EXTENT) {
            k = (struct ofs_key){ found.obj, OFS_TYPE_EXTENT, 0 };
            continue;
        }
        if (found.type > OFS_TYPE_EXTENT || len != OFS_EXTENT_HDR) {
            if (found.type > OFS_TYPE_EXTENT || found.off == UINT64_MAX) {
                if (found.obj == UINT64_MAX)
                    return 0;
                k = (struct ofs_key){ found.obj + 1, 0, 0 };
            } else {
                k = (struct ofs_key){ found.obj, OFS_TYPE_EXTENT, found.off + 1 };
            }
            continue;
        }
        struct extent e;
        if ((r = extent_decode(fs, found.obj, found.off, v, len, &e)) < 0)
            return r;
        /* The head [start, start + m) gets checksums; the old key keeps the rest. */
        uint64_t m = MIN(e.x.nblocks, (uint64_t)OFS_EXTENT_MAX_BLOCKS);
        struct ofs_extent head = { .pblk = e.x.pblk, .nblocks = m, .has_sums = true };
        for (uint64_t i = 0; i < m; i++) {
            if ((r = data_read(fs, e.x.pblk + i, fs->iobuf)) < 0)
                return ofs_error(fs, found.obj, -EIO, "I/O error reading file data");
            head.sum[i] = ofs_data_sum(fs->iobuf);
        }
        if ((r = ofs_begin(fs, 0, 2)) < 0)
            return r;
        if (m == e.x.nblocks) {
            r = extent_store(fs, found.obj, e.end, &head, true);
        } else {
            struct ofs_extent rest = { .pblk = e.x.pblk + m, .nblocks = e.x.nblocks - m };
            r = extent_store(fs, found.obj, e.start + m, &head, false);
            if (r == 0)
                r = extent_store(fs, found.obj, e.end, &rest, true);
        }
        if (r < 0)
            return ofs_error(fs, found.obj, r, "cannot update the extent map");
        *converted += m;
        /* Continue with what is left of this extent (the same key), or after it. */
        k = (struct ofs_key){ found.obj, OFS_TYPE_EXTENT, e.start + m + 1 };
    }
}
