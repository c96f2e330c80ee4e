/* ext2 core: superblock and group descriptors (validation at mount, write-back, statfs) and
 * the small helpers the rest of the core shares (block I/O, error handling, metadata map).
 * Shape after Linux's fs/ext2/super.c. */
#include "ext2.h"
#include "kernel.h"
#include "kprintf.h"
#include "ratelimit.h"
#include "mm.h"
#include "string.h"

/* ---- Errors ---- */

int ext2_error(struct ext2_fs *fs, uint32_t ino, const char *fmt, ...)
{
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* Any reader of a damaged file gets here at every access: rate-limited. */
    if (ino)
        pr_err_ratelimited("ext2: error: inode %u: %s\n", (unsigned)ino, msg);
    else
        pr_err_ratelimited("ext2: error: %s\n", msg);
    /* errors=remount-ro: stop writing so the damage is not spread; the error state is
     * recorded in the superblock at unmount for e2fsck. */
    if (!fs->errors && !fs->readonly)
        pr_err("ext2: remounting filesystem read-only\n");
    fs->errors = true;
    fs->readonly = true;
    return -EUCLEAN;
}

int ext2_check_writable(struct ext2_fs *fs)
{
    return fs->readonly ? -EROFS : 0;
}

uint32_t ext2_now(struct ext2_fs *fs)
{
    int64_t t = fs->io.now ? fs->io.now(fs->io.ctx) : 0;
    if (t < 0)
        return 0;
    return t > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

void *ext2_blk_alloc(struct ext2_fs *fs)
{
    return kzalloc(fs->block_size);
}

/* ---- Block I/O ---- */

/* The I/O function for a block: file data has its own path when the io gives one. */
typedef int (*io_read_fn)(void *, uint64_t, void *, size_t);
typedef int (*io_write_fn)(void *, uint64_t, const void *, size_t);

static int read_via(struct ext2_fs *fs, io_read_fn fn, uint32_t blk, void *buf)
{
    if (blk >= fs->sb.s_blocks_count)
        return ext2_error(fs, 0, "read of block %u past the end (%u)", (unsigned)blk,
                          (unsigned)fs->sb.s_blocks_count);
    int err = fn(fs->io.ctx, (uint64_t)blk << fs->log_block_size, buf, fs->block_size);
    if (err < 0)
        pr_err("ext2: I/O error reading block %u\n", (unsigned)blk);
    return err;
}

static int write_via(struct ext2_fs *fs, io_write_fn fn, uint32_t blk, const void *buf)
{
    if (fs->readonly && fs->errors)
        return -EROFS;
    if (blk >= fs->sb.s_blocks_count || blk < fs->first_data_block)
        return ext2_error(fs, 0, "write of block %u outside the filesystem", (unsigned)blk);
    int err = fn(fs->io.ctx, (uint64_t)blk << fs->log_block_size, buf, fs->block_size);
    if (err < 0)
        pr_err("ext2: I/O error writing block %u\n", (unsigned)blk);
    return err;
}

int ext2_read_block(struct ext2_fs *fs, uint32_t blk, void *buf)
{
    return read_via(fs, fs->io.read, blk, buf);
}

int ext2_write_block(struct ext2_fs *fs, uint32_t blk, const void *buf)
{
    return write_via(fs, fs->io.write, blk, buf);
}

int ext2_read_data(struct ext2_fs *fs, uint32_t blk, void *buf)
{
    return read_via(fs, fs->io.read_data ? fs->io.read_data : fs->io.read, blk, buf);
}

int ext2_write_data(struct ext2_fs *fs, uint32_t blk, const void *buf)
{
    return write_via(fs, fs->io.write_data ? fs->io.write_data : fs->io.write, blk, buf);
}

/* ---- Geometry ---- */

static bool is_power_of(uint32_t n, uint32_t base)
{
    while (n > 1 && n % base == 0)
        n /= base;
    return n == 1;
}

bool ext2_group_has_super(struct ext2_fs *fs, uint32_t group)
{
    if (!(fs->sb.s_feature_ro_compat & EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER))
        return true;
    if (group <= 1)
        return true;
    return is_power_of(group, 3) || is_power_of(group, 5) || is_power_of(group, 7);
}

static uint32_t group_first_block(struct ext2_fs *fs, uint32_t g)
{
    return fs->first_data_block + g * fs->blocks_per_group;
}

static uint32_t group_last_block(struct ext2_fs *fs, uint32_t g)
{
    uint64_t last = (uint64_t)group_first_block(fs, g) + fs->blocks_per_group - 1;
    if (last >= fs->sb.s_blocks_count)
        last = fs->sb.s_blocks_count - 1;
    return (uint32_t)last;
}

static uint32_t inode_table_blocks(struct ext2_fs *fs)
{
    return (uint32_t)(((uint64_t)fs->inodes_per_group * fs->inode_size + fs->block_size - 1) /
                      fs->block_size);
}

/* Blocks after the superblock copy in groups that have one: descriptors plus the ones
 * reserved for online resizing (owned by the resize inode). */
static uint32_t super_area_blocks(struct ext2_fs *fs, uint32_t g)
{
    if (!ext2_group_has_super(fs, g))
        return 0;
    uint32_t n = 1 + fs->gdt_blocks;
    if (fs->sb.s_feature_compat & EXT2_FEATURE_COMPAT_RESIZE_INODE)
        n += fs->sb.s_reserved_gdt_blocks;
    return n;
}

bool ext2_data_block_ok(struct ext2_fs *fs, uint32_t blk)
{
    if (blk < fs->first_data_block || blk >= fs->sb.s_blocks_count)
        return false;
    uint32_t g = (blk - fs->first_data_block) / fs->blocks_per_group;
    uint32_t start = group_first_block(fs, g);
    if (blk - start < super_area_blocks(fs, g))
        return false;
    const struct ext2_group_desc *d = &fs->gd[g];
    if (blk == d->bg_block_bitmap || blk == d->bg_inode_bitmap)
        return false;
    if (blk >= d->bg_inode_table && blk - d->bg_inode_table < inode_table_blocks(fs))
        return false;
    return true;
}

/* ---- Mount-time validation ---- */

struct feature_name {
    uint32_t mask;
    const char *name;
};

static const struct feature_name incompat_names[] = {
    { EXT2_FEATURE_INCOMPAT_COMPRESSION, "compression" },
    { EXT3_FEATURE_INCOMPAT_RECOVER, "needs_recovery" },
    { EXT3_FEATURE_INCOMPAT_JOURNAL_DEV, "journal_dev" },
    { EXT2_FEATURE_INCOMPAT_META_BG, "meta_bg" },
    { EXT4_FEATURE_INCOMPAT_EXTENTS, "extent" },
    { EXT4_FEATURE_INCOMPAT_64BIT, "64bit" },
    { EXT4_FEATURE_INCOMPAT_MMP, "mmp" },
    { EXT4_FEATURE_INCOMPAT_FLEX_BG, "flex_bg" },
    { EXT4_FEATURE_INCOMPAT_EA_INODE, "ea_inode" },
    { EXT4_FEATURE_INCOMPAT_DIRDATA, "dirdata" },
    { EXT4_FEATURE_INCOMPAT_CSUM_SEED, "metadata_csum_seed" },
    { EXT4_FEATURE_INCOMPAT_LARGEDIR, "large_dir" },
    { EXT4_FEATURE_INCOMPAT_INLINE_DATA, "inline_data" },
    { EXT4_FEATURE_INCOMPAT_ENCRYPT, "encrypt" },
    { EXT4_FEATURE_INCOMPAT_CASEFOLD, "casefold" },
};

static int check_features(struct ext2_fs *fs, unsigned flags)
{
    uint32_t bad = fs->sb.s_feature_incompat & ~(uint32_t)EXT2_FEATURE_INCOMPAT_SUPPORTED;
    if (bad) {
        for (size_t i = 0; i < ARRAY_SIZE(incompat_names); i++)
            if (bad & incompat_names[i].mask) {
                pr_err("ext2: cannot mount: unsupported incompatible feature %s\n",
                       incompat_names[i].name);
                bad &= ~incompat_names[i].mask;
            }
        if (bad)
            pr_err("ext2: cannot mount: unknown incompatible features 0x%x\n", (unsigned)bad);
        return -EINVAL;
    }
    uint32_t ro = fs->sb.s_feature_ro_compat & ~(uint32_t)EXT2_FEATURE_RO_COMPAT_SUPPORTED;
    if (ro && !(flags & EXT2_MOUNT_RDONLY))
        pr_warn("ext2: unsupported read-only-compatible features 0x%x: mounting read-only\n",
                (unsigned)ro);
    if (ro)
        fs->readonly = true;
    return 0;
}

static int check_geometry(struct ext2_fs *fs)
{
    struct ext2_super_block *s = &fs->sb;
    if (s->s_magic != EXT2_SUPER_MAGIC) {
        pr_err("ext2: no ext2 superblock (magic 0x%x)\n", (unsigned)s->s_magic);
        return -EINVAL;
    }
    if (s->s_rev_level > EXT2_DYNAMIC_REV) {
        pr_err("ext2: unsupported revision %u\n", (unsigned)s->s_rev_level);
        return -EINVAL;
    }
    if (s->s_log_block_size > EXT2_MAX_BLOCK_LOG - EXT2_MIN_BLOCK_LOG) {
        pr_err("ext2: bad block size log %u\n", (unsigned)s->s_log_block_size);
        return -EINVAL;
    }
    fs->log_block_size = EXT2_MIN_BLOCK_LOG + s->s_log_block_size;
    fs->block_size = 1u << fs->log_block_size;
    fs->addr_per_block = fs->block_size / 4;
    if (s->s_rev_level == EXT2_GOOD_OLD_REV) {
        fs->inode_size = EXT2_GOOD_OLD_INODE_SIZE;
        fs->first_ino = EXT2_GOOD_OLD_FIRST_INO;
    } else {
        fs->inode_size = s->s_inode_size;
        fs->first_ino = s->s_first_ino;
        if (fs->inode_size < EXT2_GOOD_OLD_INODE_SIZE || fs->inode_size > fs->block_size ||
            (fs->inode_size & (fs->inode_size - 1))) {
            pr_err("ext2: bad inode size %u\n", (unsigned)fs->inode_size);
            return -EINVAL;
        }
    }
    fs->blocks_per_group = s->s_blocks_per_group;
    fs->inodes_per_group = s->s_inodes_per_group;
    fs->first_data_block = s->s_first_data_block;
    if (fs->blocks_per_group == 0 || fs->blocks_per_group > 8 * fs->block_size ||
        fs->inodes_per_group == 0 || fs->inodes_per_group > 8 * fs->block_size) {
        pr_err("ext2: bad blocks/inodes per group %u/%u\n", (unsigned)fs->blocks_per_group,
               (unsigned)fs->inodes_per_group);
        return -EINVAL;
    }
    if (fs->first_data_block > 1 || fs->first_data_block != (fs->block_size == 1024 ? 1u : 0u) ||
        s->s_blocks_count <= fs->first_data_block + 1) {
        pr_err("ext2: bad first data block %u / block count %u\n",
               (unsigned)fs->first_data_block, (unsigned)s->s_blocks_count);
        return -EINVAL;
    }
    uint64_t groups = ((uint64_t)s->s_blocks_count - fs->first_data_block +
                       fs->blocks_per_group - 1) / fs->blocks_per_group;
    if ((uint64_t)fs->inodes_per_group * groups != s->s_inodes_count) {
        pr_err("ext2: inode count %u does not match %u groups of %u\n",
               (unsigned)s->s_inodes_count, (unsigned)groups, (unsigned)fs->inodes_per_group);
        return -EINVAL;
    }
    fs->groups = (uint32_t)groups;
    if (fs->first_ino < EXT2_GOOD_OLD_FIRST_INO || fs->first_ino >= s->s_inodes_count) {
        pr_err("ext2: bad first inode %u\n", (unsigned)fs->first_ino);
        return -EINVAL;
    }
    if ((uint64_t)fs->inodes_per_group * fs->inode_size / fs->block_size >= fs->blocks_per_group) {
        pr_err("ext2: the inode table does not fit in a group\n");
        return -EINVAL;
    }
    fs->gdt_blocks = (uint32_t)((groups * sizeof(struct ext2_group_desc) + fs->block_size - 1) /
                                fs->block_size);
    if ((uint64_t)fs->first_data_block + 1 + fs->gdt_blocks > s->s_blocks_count) {
        pr_err("ext2: the group descriptor table runs past the end\n");
        return -EINVAL;
    }
    if (fs->io.dev_size && ((uint64_t)s->s_blocks_count << fs->log_block_size) > fs->io.dev_size) {
        pr_err("ext2: filesystem (%u blocks) is larger than the device (%llu bytes)\n",
               (unsigned)s->s_blocks_count, (unsigned long long)fs->io.dev_size);
        return -EINVAL;
    }
    /* 12 direct, then single, double and triple indirect; capped so i_blocks (32-bit count
     * of 512-byte units) cannot overflow. */
    uint64_t apb = fs->addr_per_block;
    uint64_t max = EXT2_NDIR_BLOCKS + apb + apb * apb + apb * apb * apb;
    uint64_t cap = ((uint64_t)UINT32_MAX >> (fs->log_block_size - 9)) - apb * apb - apb - 3;
    fs->max_file_blocks = max < cap ? max : cap;
    return 0;
}

static int check_descriptors(struct ext2_fs *fs)
{
    uint32_t itb = inode_table_blocks(fs);
    for (uint32_t g = 0; g < fs->groups; g++) {
        struct ext2_group_desc *d = &fs->gd[g];
        uint32_t first = group_first_block(fs, g), last = group_last_block(fs, g);
        if (d->bg_block_bitmap < first || d->bg_block_bitmap > last ||
            d->bg_inode_bitmap < first || d->bg_inode_bitmap > last ||
            d->bg_inode_table < first || d->bg_inode_table > last ||
            (uint64_t)d->bg_inode_table + itb - 1 > last) {
            pr_err("ext2: group %u: descriptor points outside the group (bitmaps %u %u, "
                   "table %u)\n", (unsigned)g, (unsigned)d->bg_block_bitmap,
                   (unsigned)d->bg_inode_bitmap, (unsigned)d->bg_inode_table);
            return -EUCLEAN;
        }
        if (d->bg_free_blocks_count > last - first + 1 ||
            d->bg_free_inodes_count > fs->inodes_per_group) {
            pr_err("ext2: group %u: free counts out of range\n", (unsigned)g);
            return -EUCLEAN;
        }
    }
    return 0;
}

static int read_descriptors(struct ext2_fs *fs)
{
    size_t bytes = (size_t)fs->gdt_blocks * fs->block_size;
    char *buf = kzalloc(bytes);
    if (!buf)
        return -ENOMEM;
    for (uint32_t i = 0; i < fs->gdt_blocks; i++) {
        int err = ext2_read_block(fs, fs->first_data_block + 1 + i, buf + (size_t)i * fs->block_size);
        if (err < 0) {
            kfree(buf);
            return err;
        }
    }
    fs->gd = (struct ext2_group_desc *)buf;
    return 0;
}

/* Like Linux, trust the per-group counts and derive the totals from them. */
static void recount_free(struct ext2_fs *fs)
{
    uint64_t fb = 0, fi = 0;
    for (uint32_t g = 0; g < fs->groups; g++) {
        fb += fs->gd[g].bg_free_blocks_count;
        fi += fs->gd[g].bg_free_inodes_count;
    }
    if (fs->sb.s_free_blocks_count != fb || fs->sb.s_free_inodes_count != fi)
        fs->sb_dirty = true;
    fs->sb.s_free_blocks_count = (uint32_t)MIN(fb, (uint64_t)fs->sb.s_blocks_count);
    fs->sb.s_free_inodes_count = (uint32_t)MIN(fi, (uint64_t)fs->sb.s_inodes_count);
}

static int write_super(struct ext2_fs *fs)
{
    fs->sb.s_wtime = ext2_now(fs);
    int err = fs->io.write(fs->io.ctx, EXT2_SUPERBLOCK_OFFSET, &fs->sb, EXT2_SUPERBLOCK_SIZE);
    if (err == 0)
        fs->sb_dirty = false;
    return err;
}

static int write_descriptors(struct ext2_fs *fs)
{
    for (uint32_t i = 0; i < fs->gdt_blocks; i++) {
        int err = ext2_write_block(fs, fs->first_data_block + 1 + i,
                                   (char *)fs->gd + (size_t)i * fs->block_size);
        if (err < 0)
            return err;
    }
    fs->gd_dirty = false;
    return 0;
}

int ext2_mount(const struct ext2_io *io, unsigned flags, struct ext2_fs **out)
{
    struct ext2_fs *fs = kzalloc(sizeof(*fs));
    if (!fs)
        return -ENOMEM;
    fs->io = *io;
    fs->readonly = (flags & EXT2_MOUNT_RDONLY) != 0;
    int err = io->read(io->ctx, EXT2_SUPERBLOCK_OFFSET, &fs->sb, EXT2_SUPERBLOCK_SIZE);
    if (err < 0)
        goto fail;
    if ((err = check_geometry(fs)) < 0 || (err = check_features(fs, flags)) < 0)
        goto fail;
    if (io->set_block_size)
        io->set_block_size(io->ctx, fs->block_size);
    if ((err = read_descriptors(fs)) < 0)
        goto fail;
    if ((err = check_descriptors(fs)) < 0)
        goto fail;
    if (!(fs->sb.s_state & EXT2_VALID_FS) || (fs->sb.s_state & EXT2_ERROR_FS))
        pr_warn("ext2: warning: mounting %s filesystem, running e2fsck is recommended\n",
                (fs->sb.s_state & EXT2_ERROR_FS) ? "a filesystem with errors" : "an unchecked");
    recount_free(fs);
    if (!fs->readonly) {
        /* Mark it in use: e2fsck then knows it was not unmounted cleanly after a crash. */
        fs->sb.s_state &= (uint16_t)~EXT2_VALID_FS;
        fs->sb.s_mnt_count++;
        fs->sb.s_mtime = ext2_now(fs);
        if ((err = write_super(fs)) < 0)
            goto fail;
        fs->mounted_rw = true;
    }
    *out = fs;
    return 0;
fail:
    kfree(fs->gd);
    kfree(fs);
    return err;
}

int ext2_sync(struct ext2_fs *fs)
{
    int err = 0;
    if (fs->mounted_rw) {
        if (fs->gd_dirty && !fs->errors)
            err = write_descriptors(fs);
        if (fs->errors)
            fs->sb.s_state |= EXT2_ERROR_FS;
        if (fs->sb_dirty || fs->errors) {
            int e = write_super(fs);
            if (!err)
                err = e;
        }
    }
    if (fs->io.flush) {
        int e = fs->io.flush(fs->io.ctx);
        if (!err)
            err = e;
    }
    return err;
}

/* Mark the filesystem clean (rw -> ro or unmount). */
static int mark_clean(struct ext2_fs *fs)
{
    if (!fs->mounted_rw)
        return 0;
    if (!fs->errors)
        fs->sb.s_state |= EXT2_VALID_FS;
    fs->sb_dirty = true;
    int err = ext2_sync(fs);
    fs->mounted_rw = false;
    return err;
}

int ext2_remount(struct ext2_fs *fs, bool readonly)
{
    if (readonly) {
        int err = mark_clean(fs);
        fs->readonly = true;
        return err;
    }
    if (fs->errors)
        return -EROFS;
    if (fs->sb.s_feature_ro_compat & ~(uint32_t)EXT2_FEATURE_RO_COMPAT_SUPPORTED)
        return -EROFS;
    if (fs->mounted_rw)
        return 0;
    fs->readonly = false;
    fs->sb.s_state &= (uint16_t)~EXT2_VALID_FS;
    fs->sb.s_mnt_count++;
    fs->sb.s_mtime = ext2_now(fs);
    int err = write_super(fs);
    if (err < 0) {
        fs->readonly = true;
        return err;
    }
    fs->mounted_rw = true;
    return 0;
}

int ext2_unmount(struct ext2_fs *fs)
{
    int err = mark_clean(fs);
    if (fs->io.flush) {
        int e = fs->io.flush(fs->io.ctx);
        if (!err)
            err = e;
    }
    kfree(fs->gd);
    kfree(fs);
    return err;
}

void ext2_statfs(struct ext2_fs *fs, struct ext2_statfs *st)
{
    /* Like Linux's default (minixdf off): the metadata overhead is not counted as size. */
    uint64_t overhead = fs->first_data_block;
    for (uint32_t g = 0; g < fs->groups; g++)
        overhead += (ext2_group_has_super(fs, g) ? 1 + fs->gdt_blocks : 0) + 2 +
                    inode_table_blocks(fs);
    uint64_t total = fs->sb.s_blocks_count;
    st->bsize = fs->block_size;
    st->blocks = total > overhead ? total - overhead : 0;
    st->bfree = fs->sb.s_free_blocks_count;
    st->bavail = st->bfree > fs->sb.s_r_blocks_count ? st->bfree - fs->sb.s_r_blocks_count : 0;
    st->files = fs->sb.s_inodes_count;
    st->ffree = fs->sb.s_free_inodes_count;
}
