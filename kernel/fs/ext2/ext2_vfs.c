/* ext2 VFS glue: the "ext2" filesystem type, the core (ext2_*.c) adapted to the disk
 * filesystem glue of fs/diskfs.c (which owns locking, the live-inode table and every VFS
 * operation table), and the core's I/O interface mapped onto the block layer's buffer cache.
 *
 * The core's copy of an on-disk inode is its struct ext2_inode_mem; attributes the VFS
 * changes itself (chmod, chown, utimens) are copied into it and written back before the next
 * core operation on the inode (write_attrs) and when it is evicted. */
#include "fs.h"
#include "ext2.h"
#include "blkdev.h"
#include "mm.h"
#include "string.h"
#include "kprintf.h"

struct ext2_sb_info {
    struct diskfs_sb df;             /* first: the glue's part */
    struct ext2_fs *fs;
    uint32_t bsize;                  /* buffer-cache block size (0 until the core says) */
};

static struct ext2_sb_info *EXT2_SB(struct super_block *sb) { return sb->fs_info; }
static struct ext2_fs *FS(struct super_block *sb) { return EXT2_SB(sb)->fs; }
static struct ext2_inode_mem *EXT2I(struct inode *inode) { return diskfs_core(inode); }

/* ---- The I/O interface over the buffer cache (ctx: the super_block) ---- */

static int bio_direct(struct block_device *bdev, uint64_t off, void *buf, size_t len)
{
    /* Before the block size is known (the superblock read): a direct read of the aligned
     * region around it. */
    uint32_t lbs = bdev->logical_block_size ? bdev->logical_block_size : 512;
    uint64_t start = ALIGN_DOWN(off, (uint64_t)lbs);
    uint64_t end = ALIGN_UP(off + len, (uint64_t)lbs);
    char *tmp = kmalloc(end - start);
    if (!tmp)
        return -ENOMEM;
    int err = blkdev_read(bdev, start >> SECTOR_SHIFT, tmp, end - start);
    if (!err)
        memcpy(buf, tmp + (off - start), len);
    kfree(tmp);
    return err;
}

static int bio_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct super_block *sb = ctx;
    uint32_t bs = EXT2_SB(sb)->bsize;
    if (!bs)
        return bio_direct(sb->bdev, off, buf, len);
    return bread_bytes(sb->bdev, bs, off, buf, len);
}

static int bio_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
    struct super_block *sb = ctx;
    uint32_t bs = EXT2_SB(sb)->bsize;
    if (!bs)
        return -EIO;
    if (sb->bdev->read_only)
        return -EROFS;
    while (len) {
        uint32_t in = (uint32_t)(off & (bs - 1));
        size_t n = MIN((size_t)(bs - in), len);
        struct buffer_head *bh = n == bs ? getblk(sb->bdev, off / bs, bs)
                                         : bread(sb->bdev, off / bs, bs);
        if (!bh)
            return -EIO;
        memcpy((char *)bh->data + in, buf, n);
        if (n == bs)
            set_buffer_uptodate(bh);
        mark_buffer_dirty(bh);
        brelse(bh);
        buf = (const char *)buf + n;
        off += n;
        len -= n;
    }
    return 0;
}

/* File data around the buffer cache (fs/diskfs_data.c), in whole blocks. */
static int bio_read_data(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct super_block *sb = ctx;
    uint32_t bs = DISKFS(sb)->data_bsize;
    if (!bs)
        return bio_read(ctx, off, buf, len);
    return diskfs_read_data(sb, off / bs, len / bs, buf);
}

static int bio_write_data(void *ctx, uint64_t off, const void *buf, size_t len)
{
    struct super_block *sb = ctx;
    uint32_t bs = DISKFS(sb)->data_bsize;
    if (!bs)
        return bio_write(ctx, off, buf, len);
    return diskfs_write_data(sb, off / bs, len / bs, buf);
}

static int bio_flush(void *ctx)
{
    struct super_block *sb = ctx;
    return sync_dev(sb->bdev);
}

static int64_t bio_now(void *ctx)
{
    (void)ctx;
    struct kernel_timespec ts;
    fs_now(&ts);
    return ts.tv_sec;
}

static void bio_set_block_size(void *ctx, uint32_t size)
{
    EXT2_SB(ctx)->bsize = size;
    /* Blocks larger than a page keep file data on the core's read path. */
    EXT2_SB(ctx)->df.data_bsize = size <= PAGE_SIZE ? size : 0;
}

/* ---- Inodes ---- */

/* Core -> VFS after the core changed the inode. */
static void to_vfs(struct inode *inode)
{
    struct ext2_inode_mem *m = EXT2I(inode);
    inode->mode = m->d.i_mode;
    inode->uid = ext2_iuid(m);
    inode->gid = ext2_igid(m);
    inode->nlink = m->d.i_links_count;
    inode->size = (loff_t)ext2_isize(m);
    inode->blocks = m->d.i_blocks;
    inode->atime = timespec_from_sec(m->d.i_atime);
    inode->mtime = timespec_from_sec(m->d.i_mtime);
    inode->ctime = timespec_from_sec(m->d.i_ctime);
    unsigned ma = 0, mi = 0;
    if (S_ISCHR(m->d.i_mode) || S_ISBLK(m->d.i_mode))
        ext2_get_dev(m, &ma, &mi);
    inode->rdev = MKDEV(ma, mi);
}

/* VFS -> core: what the VFS changes without asking us. Returns true if anything changed. */
static bool from_vfs(struct inode *inode)
{
    struct ext2_inode_mem *m = EXT2I(inode);
    struct ext2_inode old = m->d;
    m->d.i_mode = (uint16_t)((m->d.i_mode & S_IFMT) | (inode->mode & 07777));
    ext2_set_iuid(m, inode->uid);
    ext2_set_igid(m, inode->gid);
    m->d.i_atime = (uint32_t)inode->atime.tv_sec;
    m->d.i_mtime = (uint32_t)inode->mtime.tv_sec;
    m->d.i_ctime = (uint32_t)inode->ctime.tv_sec;
    return memcmp(&old, &m->d, sizeof(old)) != 0;
}

static int ext2_write_attrs(struct inode *inode)
{
    struct ext2_fs *fs = FS(inode->sb);
    if (!from_vfs(inode) || fs->readonly)
        return 0;
    return ext2_iwrite(fs, EXT2I(inode));
}

static int ext2_read_inode(struct super_block *sb, ino_t ino, void *core)
{
    return ext2_iget(FS(sb), (uint32_t)ino, core);
}

static ino_t ext2_core_ino(const void *core)
{
    return ((const struct ext2_inode_mem *)core)->ino;
}

static void ext2_evict_inode(struct inode *inode)
{
    struct ext2_fs *fs = FS(inode->sb);
    bool dirty = from_vfs(inode);
    if (EXT2I(inode)->d.i_links_count == 0)
        ext2_free_inode(fs, EXT2I(inode));
    else if (dirty && !fs->readonly)
        ext2_iwrite(fs, EXT2I(inode));
}

/* Follow a read-only remount done by the VFS (it only flips sb->flags). */
static int ext2_writable(struct super_block *sb)
{
    struct ext2_fs *fs = FS(sb);
    bool want_ro = (sb->flags & MS_RDONLY) != 0;
    if (want_ro != fs->readonly || (!want_ro && !fs->mounted_rw))
        ext2_remount(fs, want_ro);
    return fs->readonly ? -EROFS : 0;
}

/* ---- Namespace ---- */

static int ext2_vfs_lookup(struct inode *dir, const char *name, size_t len, ino_t *ino)
{
    uint32_t nr;
    int err = ext2_lookup(FS(dir->sb), EXT2I(dir), name, len, &nr);
    *ino = nr;
    return err;
}

static int ext2_vfs_create(struct inode *dir, const char *name, size_t len,
                           const struct diskfs_new *a, void *core)
{
    struct ext2_fs *fs = FS(dir->sb);
    struct ext2_new_attrs na = { .mode = a->mode, .uid = a->uid, .gid = a->gid,
                                 .major = MAJOR(a->rdev), .minor = MINOR(a->rdev) };
    if (a->target)
        return ext2_symlink(fs, EXT2I(dir), name, len, a->target, &na, core);
    return S_ISDIR(a->mode) ? ext2_mkdir(fs, EXT2I(dir), name, len, &na, core)
                            : ext2_create(fs, EXT2I(dir), name, len, &na, core);
}

static int ext2_vfs_link(struct inode *dir, const char *name, size_t len, struct inode *inode)
{
    return ext2_link(FS(dir->sb), EXT2I(dir), name, len, EXT2I(inode));
}

static int ext2_vfs_unlink(struct inode *dir, const char *name, size_t len, struct inode *inode,
                           bool isdir)
{
    return (isdir ? ext2_rmdir : ext2_unlink)(FS(dir->sb), EXT2I(dir), name, len, EXT2I(inode));
}

static int ext2_vfs_rename(struct inode *odir, const struct dentry *od, struct inode *ndir,
                           const struct dentry *nd)
{
    return ext2_rename(FS(odir->sb), EXT2I(odir), od->name, od->name_len, EXT2I(ndir),
                       nd->name, nd->name_len, EXT2I(od->inode),
                       nd->inode ? EXT2I(nd->inode) : NULL);
}

static int ext2_vfs_readlink(struct inode *inode, char *buf, size_t size)
{
    return ext2_readlink(FS(inode->sb), EXT2I(inode), buf, size);
}

static int ext2_vfs_setsize(struct inode *inode, uint64_t size)
{
    return ext2_truncate(FS(inode->sb), EXT2I(inode), size);
}

/* ---- Data ---- */

static ssize_t ext2_vfs_read(struct inode *inode, uint64_t pos, void *buf, size_t len)
{
    return ext2_read(FS(inode->sb), EXT2I(inode), pos, buf, len);
}

static ssize_t ext2_vfs_write(struct inode *inode, uint64_t pos, const void *buf, size_t len)
{
    return ext2_write(FS(inode->sb), EXT2I(inode), pos, buf, len);
}

static ssize_t ext2_vfs_map_blocks(struct inode *inode, uint64_t lblk, size_t n, uint64_t *pblk)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t p;
        int err = ext2_bmap(FS(inode->sb), EXT2I(inode), lblk + i, false, &p);
        if (err)
            return i ? (ssize_t)i : err;
        pblk[i] = p;
    }
    return (ssize_t)n;
}

static const unsigned char ft_to_dt[EXT2_FT_MAX] = {
    [EXT2_FT_UNKNOWN] = DT_UNKNOWN, [EXT2_FT_REG_FILE] = DT_REG, [EXT2_FT_DIR] = DT_DIR,
    [EXT2_FT_CHRDEV] = DT_CHR, [EXT2_FT_BLKDEV] = DT_BLK, [EXT2_FT_FIFO] = DT_FIFO,
    [EXT2_FT_SOCK] = DT_SOCK, [EXT2_FT_SYMLINK] = DT_LNK,
};

static bool ext2_fill(void *ctx, const char *name, size_t len, uint64_t next_pos, uint32_t ino,
                      unsigned ft)
{
    return diskfs_emit(ctx, name, len, ino, ft_to_dt[ft < EXT2_FT_MAX ? ft : 0], next_pos);
}

/* Positions are byte offsets into the directory ("." and ".." are on-disk records). */
static int ext2_vfs_readdir(struct inode *dir, uint64_t *pos, struct dir_context *ctx)
{
    return ext2_readdir(FS(dir->sb), EXT2I(dir), pos, ext2_fill, ctx);
}

static int ext2_vfs_fsync(struct inode *inode)
{
    struct ext2_fs *fs = FS(inode->sb);
    if (fs->readonly)
        return 0;
    int err = ext2_write_attrs(inode);
    int e = ext2_sync(fs);
    return err ? err : e;
}

/* ---- Superblock ---- */

static void ext2_vfs_statfs(struct super_block *sb, struct kstatfs *st)
{
    struct ext2_statfs s;
    ext2_statfs(FS(sb), &s);
    st->bsize = st->frsize = s.bsize;
    st->blocks = s.blocks;
    st->bfree = s.bfree;
    st->bavail = s.bavail;
    st->files = s.files;
    st->ffree = s.ffree;
    st->namelen = EXT2_NAME_LEN;
}

static int ext2_sync_fs(struct super_block *sb)
{
    if (FS(sb)->readonly)
        return 0;
    diskfs_write_inodes(sb);
    return ext2_sync(FS(sb));
}

static int ext2_vfs_remount(struct super_block *sb, unsigned long flags)
{
    struct ext2_fs *fs = FS(sb);
    struct block_device *bdev = sb->bdev;
    int err = 0;
    if (flags & MS_RDONLY) {
        if (!fs->readonly || fs->mounted_rw) {
            diskfs_write_inodes(sb);
            err = ext2_remount(fs, true);     /* written back and marked clean */
        }
    } else if (bdev->read_only || bdev->disk->read_only) {
        pr_err("ext2: %s: cannot remount a read-only device read-write\n", bdev->name);
        err = -EACCES;
    } else {
        err = ext2_remount(fs, false);
        if (err)
            pr_err("ext2: %s: cannot remount read-write (error %d)\n", bdev->name, err);
    }
    return err;
}

static int ext2_vfs_unmount(struct super_block *sb)
{
    return ext2_unmount(FS(sb));
}

static const struct diskfs_operations ext2_diskfs_ops = {
    .core_inode_size = sizeof(struct ext2_inode_mem),
    .io_chunk = 4096,
    .read_inode = ext2_read_inode,
    .core_ino = ext2_core_ino,
    .to_vfs = to_vfs,
    .write_attrs = ext2_write_attrs,
    .evict_inode = ext2_evict_inode,
    .writable = ext2_writable,
    .lookup = ext2_vfs_lookup,
    .create = ext2_vfs_create,
    .link = ext2_vfs_link,
    .unlink = ext2_vfs_unlink,
    .rename = ext2_vfs_rename,
    .readlink = ext2_vfs_readlink,
    .setsize = ext2_vfs_setsize,
    .read = ext2_vfs_read,
    .write = ext2_vfs_write,
    .map_blocks = ext2_vfs_map_blocks,
    .readdir = ext2_vfs_readdir,
    .fsync = ext2_vfs_fsync,
    .statfs = ext2_vfs_statfs,
    .sync_fs = ext2_sync_fs,
    .remount = ext2_vfs_remount,
    .unmount = ext2_vfs_unmount,
};

static int ext2_fill_super(struct super_block *sb, const void *data)
{
    (void)data;
    struct ext2_sb_info *sbi = EXT2_SB(sb);
    struct block_device *bdev = sb->bdev;
    diskfs_init(sb, &ext2_diskfs_ops);
    struct ext2_io io = {
        .ctx = sb, .read = bio_read, .write = bio_write, .flush = bio_flush,
        .read_data = bio_read_data, .write_data = bio_write_data,
        .dev_size = bdev->nr_sectors << SECTOR_SHIFT, .now = bio_now,
        .set_block_size = bio_set_block_size,
    };
    int err = ext2_mount(&io, (sb->flags & MS_RDONLY) ? EXT2_MOUNT_RDONLY : 0, &sbi->fs);
    if (err) {
        pr_err("ext2: %s: cannot mount (error %d)\n", bdev->name, err);
        return err;
    }
    sb->flags = sbi->fs->readonly ? MS_RDONLY : 0;
    err = diskfs_set_root(sb, EXT2_SUPER_MAGIC, EXT2_ROOT_INO);
    if (err) {
        pr_err("ext2: %s: bad root inode\n", bdev->name);
        ext2_unmount(sbi->fs);
        return err;
    }
    pr_info("ext2: mounted %s (%s, %u-byte blocks)\n", bdev->name,
            sbi->fs->readonly ? "ro" : "rw", (unsigned)sbi->fs->block_size);
    return 0;
}

static struct file_system_type ext2_type = {
    .name = "ext2",
    .fill_super = ext2_fill_super,
    .fs_info_size = sizeof(struct ext2_sb_info),
};

/* Called once at boot after vfs_init(). */
void ext2_init(void)
{
    register_filesystem(&ext2_type);
}
