/* ext2 core: inodes (read, write, validation), block mapping through the direct and the
 * single/double/triple indirect pointers, file data I/O, truncation and freeing. Shape after
 * Linux's fs/ext2/inode.c. */
#include "ext2.h"
#include "kernel.h"
#include "mm.h"
#include "string.h"
#include "fs.h"

/* ---- Inode table access ---- */

static int inode_location(struct ext2_fs *fs, uint32_t ino, uint32_t *blk, uint32_t *off)
{
    if (ino == 0 || ino > fs->sb.s_inodes_count)
        return ext2_error(fs, 0, "inode number %u out of range", (unsigned)ino);
    uint32_t g = (ino - 1) / fs->inodes_per_group;
    uint64_t byte = (uint64_t)((ino - 1) % fs->inodes_per_group) * fs->inode_size;
    *blk = fs->gd[g].bg_inode_table + (uint32_t)(byte >> fs->log_block_size);
    *off = (uint32_t)(byte & (fs->block_size - 1));
    return 0;
}

uint64_t ext2_max_size(struct ext2_fs *fs)
{
    return fs->max_file_blocks << fs->log_block_size;
}

static bool valid_type(uint32_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG: case S_IFDIR: case S_IFLNK: case S_IFCHR: case S_IFBLK: case S_IFIFO:
    case S_IFSOCK:
        return true;
    default:
        return false;
    }
}

static bool has_data_blocks(struct ext2_fs *fs, const struct ext2_inode_mem *in)
{
    uint32_t m = in->d.i_mode & S_IFMT;
    if (m == S_IFREG || m == S_IFDIR)
        return true;
    return m == S_IFLNK && !ext2_is_fast_symlink(fs, in);
}

/* What an inode must satisfy before any of its numbers is used. */
static int check_inode(struct ext2_fs *fs, const struct ext2_inode_mem *in)
{
    const struct ext2_inode *d = &in->d;
    if (d->i_links_count == 0)
        return ext2_error(fs, in->ino, "deleted inode referenced");
    if (!valid_type(d->i_mode))
        return ext2_error(fs, in->ino, "bad file type 0%o", (unsigned)d->i_mode);
    if (d->i_flags & (EXT4_EXTENTS_FL | EXT4_INLINE_DATA_FL))
        return ext2_error(fs, in->ino, "extent or inline-data inode on ext2");
    uint64_t size = ext2_isize(in);
    if (size > ext2_max_size(fs))
        return ext2_error(fs, in->ino, "size %llu too large", (unsigned long long)size);
    if (S_ISDIR(d->i_mode) && (size & (fs->block_size - 1)))
        return ext2_error(fs, in->ino, "directory size %llu is not a multiple of the block size",
                          (unsigned long long)size);
    if (S_ISLNK(d->i_mode)) {
        if (ext2_is_fast_symlink(fs, in) ? size >= sizeof(d->i_block) : size >= fs->block_size)
            return ext2_error(fs, in->ino, "bad symlink size %llu", (unsigned long long)size);
    }
    return 0;
}

int ext2_iget(struct ext2_fs *fs, uint32_t ino, struct ext2_inode_mem *out)
{
    uint32_t blk, off;
    int err = inode_location(fs, ino, &blk, &off);
    if (err)
        return err;
    char *buf = ext2_blk_alloc(fs);
    if (!buf)
        return -ENOMEM;
    err = ext2_read_block(fs, blk, buf);
    if (err == 0) {
        out->ino = ino;
        memcpy(&out->d, buf + off, sizeof(out->d));
        err = check_inode(fs, out);
    }
    kfree(buf);
    return err;
}

/* Write the inode; `fresh` also clears the bytes past the first 128 (a new inode). */
static int iwrite(struct ext2_fs *fs, const struct ext2_inode_mem *in, bool fresh)
{
    int err = ext2_check_writable(fs);
    if (err)
        return err;
    uint32_t blk, off;
    if ((err = inode_location(fs, in->ino, &blk, &off)))
        return err;
    char *buf = ext2_blk_alloc(fs);
    if (!buf)
        return -ENOMEM;
    err = ext2_read_block(fs, blk, buf);
    if (err == 0) {
        memcpy(buf + off, &in->d, sizeof(in->d));
        if (fresh && fs->inode_size > EXT2_GOOD_OLD_INODE_SIZE) {
            memset(buf + off + EXT2_GOOD_OLD_INODE_SIZE, 0,
                   fs->inode_size - EXT2_GOOD_OLD_INODE_SIZE);
            /* Large inodes: declare the fixed extra fields (as mke2fs and Linux do) so
             * e2fsck does not ask to expand them. */
            uint16_t extra = fs->inode_size >= 160 ? 32 : 0;
            memcpy(buf + off + EXT2_INODE_EXTRA_ISIZE_OFF, &extra, sizeof(extra));
        }
        err = ext2_write_block(fs, blk, buf);
    }
    kfree(buf);
    return err;
}

int ext2_iwrite(struct ext2_fs *fs, const struct ext2_inode_mem *in)
{
    return iwrite(fs, in, false);
}

int ext2_iwrite_new(struct ext2_fs *fs, const struct ext2_inode_mem *in)
{
    return iwrite(fs, in, true);
}

/* ---- Attributes ---- */

uint64_t ext2_isize(const struct ext2_inode_mem *in)
{
    uint64_t size = in->d.i_size;
    /* i_size_high is i_dir_acl for directories in revision 0 ext2. */
    if (S_ISREG(in->d.i_mode))
        size |= (uint64_t)in->d.i_size_high << 32;
    return size;
}

void ext2_set_isize(struct ext2_fs *fs, struct ext2_inode_mem *in, uint64_t size)
{
    in->d.i_size = (uint32_t)size;
    if (S_ISREG(in->d.i_mode)) {
        in->d.i_size_high = (uint32_t)(size >> 32);
        /* Files past 2 GiB need the large_file feature (set as Linux does). */
        if (size > 0x7fffffffu && fs->sb.s_rev_level >= EXT2_DYNAMIC_REV &&
            !(fs->sb.s_feature_ro_compat & EXT2_FEATURE_RO_COMPAT_LARGE_FILE)) {
            fs->sb.s_feature_ro_compat |= EXT2_FEATURE_RO_COMPAT_LARGE_FILE;
            fs->sb_dirty = true;
        }
    }
}

uint32_t ext2_iuid(const struct ext2_inode_mem *in)
{
    return in->d.i_uid | ((uint32_t)in->d.i_uid_high << 16);
}

uint32_t ext2_igid(const struct ext2_inode_mem *in)
{
    return in->d.i_gid | ((uint32_t)in->d.i_gid_high << 16);
}

void ext2_set_iuid(struct ext2_inode_mem *in, uint32_t uid)
{
    in->d.i_uid = (uint16_t)uid;
    in->d.i_uid_high = (uint16_t)(uid >> 16);
}

void ext2_set_igid(struct ext2_inode_mem *in, uint32_t gid)
{
    in->d.i_gid = (uint16_t)gid;
    in->d.i_gid_high = (uint16_t)(gid >> 16);
}

void ext2_get_dev(const struct ext2_inode_mem *in, unsigned *major, unsigned *minor)
{
    uint32_t old = in->d.i_block[0], nw = in->d.i_block[1];
    if (old) {
        *major = (old >> 8) & 0xff;
        *minor = old & 0xff;
    } else {
        *major = (nw & 0xfff00) >> 8;
        *minor = (nw & 0xff) | ((nw >> 12) & 0xfff00);
    }
}

void ext2_set_dev(struct ext2_inode_mem *in, unsigned major, unsigned minor)
{
    if (major < 256 && minor < 256) {
        in->d.i_block[0] = (major << 8) | minor;
        in->d.i_block[1] = 0;
    } else {
        in->d.i_block[0] = 0;
        in->d.i_block[1] = (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xffu) << 12);
        in->d.i_block[2] = 0;
    }
}

bool ext2_is_fast_symlink(struct ext2_fs *fs, const struct ext2_inode_mem *in)
{
    uint32_t ea = in->d.i_file_acl ? fs->block_size >> 9 : 0;
    return S_ISLNK(in->d.i_mode) && in->d.i_blocks - ea == 0;
}

/* ---- Block mapping ---- */

/* The path to logical block lblk: depth slots, offsets[0] into i_block. 0 if too large. */
static int block_path(struct ext2_fs *fs, uint64_t lblk, uint32_t offsets[4])
{
    uint64_t apb = fs->addr_per_block;
    if (lblk >= fs->max_file_blocks)
        return 0;
    if (lblk < EXT2_NDIR_BLOCKS) {
        offsets[0] = (uint32_t)lblk;
        return 1;
    }
    lblk -= EXT2_NDIR_BLOCKS;
    if (lblk < apb) {
        offsets[0] = EXT2_IND_BLOCK;
        offsets[1] = (uint32_t)lblk;
        return 2;
    }
    lblk -= apb;
    if (lblk < apb * apb) {
        offsets[0] = EXT2_DIND_BLOCK;
        offsets[1] = (uint32_t)(lblk / apb);
        offsets[2] = (uint32_t)(lblk % apb);
        return 3;
    }
    lblk -= apb * apb;
    offsets[0] = EXT2_TIND_BLOCK;
    offsets[1] = (uint32_t)(lblk / (apb * apb));
    offsets[2] = (uint32_t)((lblk / apb) % apb);
    offsets[3] = (uint32_t)(lblk % apb);
    return 4;
}

static uint32_t inode_goal(struct ext2_fs *fs, const struct ext2_inode_mem *in)
{
    uint32_t g = (in->ino - 1) / fs->inodes_per_group;
    return fs->first_data_block + g * fs->blocks_per_group;
}

/* Allocate a block for `in` near goal, zeroing it if it will be an indirect block. */
static int alloc_for(struct ext2_fs *fs, struct ext2_inode_mem *in, uint32_t goal, bool zero,
                     uint32_t *out)
{
    int err = ext2_new_block(fs, goal ? goal : inode_goal(fs, in), out);
    if (err)
        return err;
    if (zero) {
        void *z = ext2_blk_alloc(fs);
        if (!z)
            err = -ENOMEM;
        else
            err = ext2_write_block(fs, *out, z);
        kfree(z);
        if (err) {
            ext2_free_block(fs, in->ino, *out);
            return err;
        }
    }
    in->d.i_blocks += fs->block_size >> 9;
    return 0;
}

static int bmap_ex(struct ext2_fs *fs, struct ext2_inode_mem *in, uint64_t lblk, bool create,
                   uint32_t *pblk, bool *fresh)
{
    uint32_t off[4];
    int depth = block_path(fs, lblk, off);
    *pblk = 0;
    if (fresh)
        *fresh = false;
    if (depth == 0)
        return create ? -EFBIG : 0;
    uint32_t p = in->d.i_block[off[0]];
    if (p == 0 && create) {
        int err = alloc_for(fs, in, 0, depth > 1, &p);
        if (err)
            return err;
        in->d.i_block[off[0]] = p;
        if (depth == 1 && fresh)
            *fresh = true;
    }
    if (p == 0)
        return 0;
    uint32_t *buf = NULL;
    for (int level = 1; level < depth; level++) {
        if (!ext2_data_block_ok(fs, p)) {
            kfree(buf);
            return ext2_error(fs, in->ino, "indirect block %u out of range", (unsigned)p);
        }
        if (!buf && !(buf = ext2_blk_alloc(fs)))
            return -ENOMEM;
        int err = ext2_read_block(fs, p, buf);
        if (err) {
            kfree(buf);
            return err;
        }
        uint32_t child = buf[off[level]];
        if (child == 0 && create) {
            uint32_t goal = off[level] > 0 && buf[off[level] - 1] ? buf[off[level] - 1] + 1 : p + 1;
            if ((err = alloc_for(fs, in, goal, level + 1 < depth, &child))) {
                kfree(buf);
                return err;
            }
            buf[off[level]] = child;
            if ((err = ext2_write_block(fs, p, buf))) {
                kfree(buf);
                return err;
            }
            if (level + 1 == depth && fresh)
                *fresh = true;
        }
        p = child;
        if (p == 0)
            break;
    }
    kfree(buf);
    if (p && !ext2_data_block_ok(fs, p))
        return ext2_error(fs, in->ino, "data block %u out of range", (unsigned)p);
    *pblk = p;
    return 0;
}

int ext2_bmap(struct ext2_fs *fs, struct ext2_inode_mem *in, uint64_t lblk, bool create,
              uint32_t *pblk)
{
    if (create && !has_data_blocks(fs, in))
        return -EINVAL;
    return bmap_ex(fs, in, lblk, create, pblk, NULL);
}

/* ---- Data ---- */

ssize_t ext2_read(struct ext2_fs *fs, struct ext2_inode_mem *in, uint64_t off, void *buf,
                  size_t len)
{
    uint64_t size = ext2_isize(in);
    if (off >= size || len == 0)
        return 0;
    if (!has_data_blocks(fs, in))
        return -EINVAL;
    if (len > size - off)
        len = (size_t)(size - off);
    char *blk = ext2_blk_alloc(fs);
    if (!blk)
        return -ENOMEM;
    size_t done = 0;
    int err = 0;
    while (done < len) {
        uint64_t pos = off + done;
        uint32_t in_blk = (uint32_t)(pos & (fs->block_size - 1));
        size_t n = MIN((size_t)(fs->block_size - in_blk), len - done);
        uint32_t p;
        if ((err = bmap_ex(fs, in, pos >> fs->log_block_size, false, &p, NULL)))
            break;
        if (p == 0) {
            memset((char *)buf + done, 0, n);       /* a hole */
        } else {
            if ((err = ext2_read_data(fs, p, blk)))
                break;
            memcpy((char *)buf + done, blk + in_blk, n);
        }
        done += n;
    }
    kfree(blk);
    if (err && done == 0)
        return err;
    return (ssize_t)done;
}

ssize_t ext2_write(struct ext2_fs *fs, struct ext2_inode_mem *in, uint64_t off,
                   const void *buf, size_t len)
{
    int err = ext2_check_writable(fs);
    if (err)
        return err;
    if (!has_data_blocks(fs, in))
        return -EINVAL;
    uint64_t max = ext2_max_size(fs);
    if (off >= max)
        return len ? -EFBIG : 0;
    if (len > max - off)
        len = (size_t)(max - off);
    char *blk = ext2_blk_alloc(fs);
    if (!blk)
        return -ENOMEM;
    size_t done = 0;
    uint64_t size = ext2_isize(in);
    while (done < len) {
        uint64_t pos = off + done;
        uint32_t in_blk = (uint32_t)(pos & (fs->block_size - 1));
        size_t n = MIN((size_t)(fs->block_size - in_blk), len - done);
        uint32_t p;
        bool fresh;
        if ((err = bmap_ex(fs, in, pos >> fs->log_block_size, true, &p, &fresh)))
            break;
        if (n < fs->block_size) {
            /* A partial block: merge with what is there (a fresh block starts as zeros). */
            if (fresh)
                memset(blk, 0, fs->block_size);
            else if ((err = ext2_read_data(fs, p, blk)))
                break;
        }
        memcpy(blk + in_blk, (const char *)buf + done, n);
        if ((err = ext2_write_data(fs, p, blk)))
            break;
        done += n;
        if (pos + n > size)
            size = pos + n;
    }
    kfree(blk);
    if (done) {
        ext2_set_isize(fs, in, size);
        in->d.i_mtime = in->d.i_ctime = ext2_now(fs);
    }
    /* The inode changed even on failure (blocks may have been allocated). */
    int werr = ext2_iwrite(fs, in);
    if (done)
        return (ssize_t)done;
    return err ? err : werr;
}

/* ---- Truncation ---- */

struct trunc {
    struct ext2_fs *fs;
    struct ext2_inode_mem *in;
    uint64_t first;       /* first logical block to free */
    uint64_t end;         /* one past the last block the old size covered */
};

/* Free what *slot maps of [t->first, t->end): `level` 0 is a data block, 1 a single
 * indirect block, ... covering logical blocks from base. Clears *slot if the whole subtree
 * went. Bounded by the old size, so a corrupted tree cannot make it loop. */
static int free_branch(struct trunc *t, uint32_t *slot, int level, uint64_t base, bool *dirty)
{
    struct ext2_fs *fs = t->fs;
    uint32_t p = *slot;
    if (p == 0 || base >= t->end)
        return 0;
    int err = 0;
    if (level > 0) {
        uint64_t span = 1;
        for (int i = 1; i < level; i++)
            span *= fs->addr_per_block;
        if (!ext2_data_block_ok(fs, p))
            return ext2_error(fs, t->in->ino, "indirect block %u out of range", (unsigned)p);
        uint32_t *buf = ext2_blk_alloc(fs);
        if (!buf)
            return -ENOMEM;
        if ((err = ext2_read_block(fs, p, buf))) {
            kfree(buf);
            return err;
        }
        bool changed = false;
        for (uint32_t i = 0; i < fs->addr_per_block && !err; i++) {
            uint64_t cb = base + i * span;
            if (cb >= t->end)
                break;
            if (cb + span <= t->first)
                continue;
            err = free_branch(t, &buf[i], level - 1, cb, &changed);
        }
        bool left = false;
        for (uint32_t i = 0; i < fs->addr_per_block; i++)
            left |= buf[i] != 0;
        if (base < t->first || left || err) {
            /* Part of this subtree stays: keep the block, with the freed pointers cleared. */
            if (changed && !err)
                err = ext2_write_block(fs, p, buf);
            kfree(buf);
            return err;
        }
        kfree(buf);
        if (err)
            return err;
    } else if (base < t->first) {
        return 0;
    }
    if ((err = ext2_free_block(fs, t->in->ino, p)))
        return err;
    uint32_t unit = fs->block_size >> 9;
    t->in->d.i_blocks = t->in->d.i_blocks >= unit ? t->in->d.i_blocks - unit : 0;
    *slot = 0;
    *dirty = true;
    return 0;
}

static int free_blocks_from(struct ext2_fs *fs, struct ext2_inode_mem *in, uint64_t first,
                            uint64_t old_size)
{
    uint64_t end = (old_size + fs->block_size - 1) >> fs->log_block_size;
    if (end > fs->max_file_blocks)
        end = fs->max_file_blocks;
    struct trunc t = { fs, in, first, end };
    uint64_t apb = fs->addr_per_block;
    uint64_t bases[EXT2_N_BLOCKS];
    int levels[EXT2_N_BLOCKS];
    for (int i = 0; i < EXT2_NDIR_BLOCKS; i++) {
        bases[i] = (uint64_t)i;
        levels[i] = 0;
    }
    bases[EXT2_IND_BLOCK] = EXT2_NDIR_BLOCKS;
    levels[EXT2_IND_BLOCK] = 1;
    bases[EXT2_DIND_BLOCK] = EXT2_NDIR_BLOCKS + apb;
    levels[EXT2_DIND_BLOCK] = 2;
    bases[EXT2_TIND_BLOCK] = EXT2_NDIR_BLOCKS + apb + apb * apb;
    levels[EXT2_TIND_BLOCK] = 3;
    bool dirty = false;
    for (int i = 0; i < EXT2_N_BLOCKS; i++) {
        int err = free_branch(&t, &in->d.i_block[i], levels[i], bases[i], &dirty);
        if (err)
            return err;
    }
    return 0;
}

int ext2_truncate(struct ext2_fs *fs, struct ext2_inode_mem *in, uint64_t size)
{
    int err = ext2_check_writable(fs);
    if (err)
        return err;
    if (!S_ISREG(in->d.i_mode) && !S_ISDIR(in->d.i_mode))
        return -EINVAL;
    if (size > ext2_max_size(fs))
        return -EFBIG;
    uint64_t old = ext2_isize(in);
    if (size < old) {
        uint64_t first = (size + fs->block_size - 1) >> fs->log_block_size;
        err = free_blocks_from(fs, in, first, old);
        /* Zero the tail of the last partial block so a later extension reads zeros. */
        uint32_t tail = (uint32_t)(size & (fs->block_size - 1));
        uint32_t p = 0;
        if (!err && tail && !(err = bmap_ex(fs, in, size >> fs->log_block_size, false, &p, NULL)) && p) {
            char *buf = ext2_blk_alloc(fs);
            if (!buf)
                err = -ENOMEM;
            else if (!(err = ext2_read_block(fs, p, buf))) {
                memset(buf + tail, 0, fs->block_size - tail);
                err = ext2_write_block(fs, p, buf);
            }
            kfree(buf);
        }
    }
    ext2_set_isize(fs, in, size);
    in->d.i_mtime = in->d.i_ctime = ext2_now(fs);
    int werr = ext2_iwrite(fs, in);
    return err ? err : werr;
}

/* Drop the inode's reference to its shared extended-attribute block. */
static int release_xattr_block(struct ext2_fs *fs, struct ext2_inode_mem *in)
{
    uint32_t b = in->d.i_file_acl;
    if (!b)
        return 0;
    if (!ext2_data_block_ok(fs, b))
        return ext2_error(fs, in->ino, "xattr block %u out of range", (unsigned)b);
    struct ext2_xattr_header *h = ext2_blk_alloc(fs);
    if (!h)
        return -ENOMEM;
    int err = ext2_read_block(fs, b, h);
    if (!err && (h->h_magic != EXT2_XATTR_MAGIC || h->h_refcount == 0))
        err = ext2_error(fs, in->ino, "bad xattr block %u", (unsigned)b);
    if (!err) {
        if (--h->h_refcount == 0)
            err = ext2_free_block(fs, in->ino, b);
        else
            err = ext2_write_block(fs, b, h);
    }
    kfree(h);
    if (!err) {
        in->d.i_file_acl = 0;
        uint32_t unit = fs->block_size >> 9;
        in->d.i_blocks = in->d.i_blocks >= unit ? in->d.i_blocks - unit : 0;
    }
    return err;
}

int ext2_free_inode(struct ext2_fs *fs, struct ext2_inode_mem *in)
{
    int err = ext2_check_writable(fs);
    if (err)
        return err;
    if (has_data_blocks(fs, in)) {
        err = free_blocks_from(fs, in, 0, ext2_isize(in));
        if (err)
            return err;
    }
    if ((err = release_xattr_block(fs, in)))
        return err;
    /* Device numbers and fast symlink targets live in i_block: clear them too. */
    memset(in->d.i_block, 0, sizeof(in->d.i_block));
    in->d.i_links_count = 0;
    in->d.i_size = 0;
    in->d.i_size_high = 0;
    in->d.i_dtime = ext2_now(fs);
    if (in->d.i_dtime == 0)
        in->d.i_dtime = 1;      /* 0 would mean "in use" to e2fsck */
    if ((err = ext2_iwrite(fs, in)))
        return err;
    return ext2_free_inode_nr(fs, in->ino, S_ISDIR(in->d.i_mode));
}

/* ---- Symlinks ---- */

int ext2_write_slow_symlink(struct ext2_fs *fs, struct ext2_inode_mem *in, const char *target,
                            size_t len)
{
    if (len >= fs->block_size)
        return -ENAMETOOLONG;
    uint32_t p;
    int err = bmap_ex(fs, in, 0, true, &p, NULL);
    if (err)
        return err;
    char *buf = ext2_blk_alloc(fs);
    if (!buf)
        return -ENOMEM;
    memcpy(buf, target, len);
    err = ext2_write_block(fs, p, buf);
    kfree(buf);
    ext2_set_isize(fs, in, len);
    int werr = ext2_iwrite(fs, in);
    return err ? err : werr;
}

int ext2_readlink(struct ext2_fs *fs, struct ext2_inode_mem *in, char *buf, size_t size)
{
    if (!S_ISLNK(in->d.i_mode))
        return -EINVAL;
    uint64_t len = ext2_isize(in);
    if (len + 1 > size)
        return -ENAMETOOLONG;
    if (ext2_is_fast_symlink(fs, in)) {
        if (len >= sizeof(in->d.i_block))
            return ext2_error(fs, in->ino, "fast symlink too long");
        memcpy(buf, in->d.i_block, (size_t)len);
    } else {
        if (len >= fs->block_size)
            return ext2_error(fs, in->ino, "symlink too long");
        ssize_t n = ext2_read(fs, in, 0, buf, (size_t)len);
        if (n < 0)
            return (int)n;
        if ((uint64_t)n != len)
            return ext2_error(fs, in->ino, "short symlink");
    }
    buf[len] = 0;
    if (strlen(buf) != len)
        return ext2_error(fs, in->ino, "symlink contains a NUL byte");
    return (int)len;
}
