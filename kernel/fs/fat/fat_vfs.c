/* vfat VFS glue: the "vfat" filesystem type, the core (fat_*.c) adapted to the disk
 * filesystem glue of fs/diskfs.c, and the core's byte-range reads mapped onto the block
 * layer's buffer cache in 512-byte blocks (kept behind struct fat_io so that a page cache can
 * take over the read path later without touching the core).
 *
 * Read-only for now: a read-write mount is refused with EROFS (BusyBox's mount then retries
 * read-only), and so is remounting read-write. Writing is a later step of issue #16. */
#include "fs.h"
#include "fat.h"
#include "blkdev.h"
#include "mm.h"
#include "string.h"
#include "kprintf.h"

#define FAT_IO_BLOCK 512u

struct fat_sb_info {
    struct diskfs_sb df;             /* first: the glue's part */
    struct fat_fs *fs;
};

static struct fat_sb_info *FAT_SB(struct super_block *sb) { return sb->fs_info; }
static struct fat_fs *FS(struct super_block *sb) { return FAT_SB(sb)->fs; }
static struct fat_inode *FATI(struct inode *inode) { return diskfs_core(inode); }

static int bio_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct super_block *sb = ctx;
    while (len) {
        uint32_t in = (uint32_t)(off % FAT_IO_BLOCK);
        size_t n = MIN((size_t)(FAT_IO_BLOCK - in), len);
        struct buffer_head *bh = bread(sb->bdev, off / FAT_IO_BLOCK, FAT_IO_BLOCK);
        if (!bh)
            return -EIO;
        memcpy(buf, (char *)bh->data + in, n);
        brelse(bh);
        buf = (char *)buf + n;
        off += n;
        len -= n;
    }
    return 0;
}

static void ts_set(struct kernel_timespec *ts, int64_t sec)
{
    ts->tv_sec = sec;
    ts->tv_nsec = 0;
}

static void fat_to_vfs(struct inode *inode)
{
    struct fat_inode *m = FATI(inode);
    inode->mode = m->mode;
    inode->uid = m->uid;
    inode->gid = m->gid;
    inode->nlink = m->nlink;
    inode->size = (loff_t)m->size;
    inode->blocks = (m->size + 511) / 512;
    ts_set(&inode->atime, m->atime);
    ts_set(&inode->mtime, m->mtime);
    ts_set(&inode->ctime, m->ctime);
    inode->rdev = 0;
}

static int fat_read_inode(struct super_block *sb, ino_t ino, void *core)
{
    return fat_iget(FS(sb), ino, core);
}

static ino_t fat_core_ino(const void *core)
{
    return ((const struct fat_inode *)core)->ino;
}

static int fat_write_attrs(struct inode *inode)
{
    (void)inode;
    return 0;
}

static void fat_evict_inode(struct inode *inode)
{
    (void)inode;
}

/* Every change is refused here, before diskfs would call a create/link/... operation (which
 * this filesystem therefore does not have yet). */
static int fat_writable(struct super_block *sb)
{
    (void)sb;
    return -EROFS;
}

static int fat_vfs_lookup(struct inode *dir, const char *name, size_t len, ino_t *ino)
{
    uint64_t nr;
    int err = fat_lookup(FS(dir->sb), FATI(dir), name, len, &nr);
    *ino = nr;
    return err;
}

static int fat_vfs_readlink(struct inode *inode, char *buf, size_t size)
{
    (void)inode, (void)buf, (void)size;
    return -EINVAL;                   /* FAT has no symlinks */
}

static ssize_t fat_vfs_read(struct inode *inode, uint64_t pos, void *buf, size_t len)
{
    return fat_read(FS(inode->sb), FATI(inode), pos, buf, len);
}

static int fat_vfs_readdir(struct inode *dir, uint64_t *pos, struct dir_context *ctx)
{
    return fat_readdir(FS(dir->sb), FATI(dir), pos, diskfs_emit, ctx);
}

static int fat_vfs_fsync(struct inode *inode)
{
    (void)inode;
    return 0;
}

static void fat_vfs_statfs(struct super_block *sb, struct kstatfs *st)
{
    struct fat_fs *fs = FS(sb);
    st->bsize = st->frsize = fs->cluster_size;
    st->blocks = fs->nclusters;
    st->bfree = st->bavail = 0;       /* not counted while read-only */
    st->files = st->ffree = 0;
    st->namelen = FAT_NAME_MAX;
}

static int fat_sync_fs(struct super_block *sb)
{
    (void)sb;
    return 0;
}

static int fat_vfs_remount(struct super_block *sb, unsigned long flags)
{
    (void)sb;
    return (flags & MS_RDONLY) ? 0 : -EROFS;
}

static int fat_vfs_unmount(struct super_block *sb)
{
    fat_unmount(FS(sb));
    return 0;
}

static const struct diskfs_operations fat_diskfs_ops = {
    .core_inode_size = sizeof(struct fat_inode),
    .io_chunk = 4096,
    .read_inode = fat_read_inode,
    .core_ino = fat_core_ino,
    .to_vfs = fat_to_vfs,
    .write_attrs = fat_write_attrs,
    .evict_inode = fat_evict_inode,
    .writable = fat_writable,
    .lookup = fat_vfs_lookup,
    .readlink = fat_vfs_readlink,
    .read = fat_vfs_read,
    .readdir = fat_vfs_readdir,
    .fsync = fat_vfs_fsync,
    .statfs = fat_vfs_statfs,
    .sync_fs = fat_sync_fs,
    .remount = fat_vfs_remount,
    .unmount = fat_vfs_unmount,
};

static int fat_fill_super(struct super_block *sb, const void *data)
{
    struct fat_sb_info *sbi = FAT_SB(sb);
    struct block_device *bdev = sb->bdev;
    struct fat_options opt;
    if (fat_parse_options(data, &opt))
        return -EINVAL;
    diskfs_init(sb, &fat_diskfs_ops);
    struct fat_io io = { .ctx = sb, .read = bio_read,
                         .dev_size = bdev->nr_sectors << SECTOR_SHIFT };
    int err = fat_mount(&io, &opt, &sbi->fs);
    if (err) {
        if (err != -EINVAL)
            pr_err("vfat: %s: cannot mount (error %d)\n", bdev->name, err);
        return err;
    }
    if (!(sb->flags & MS_RDONLY)) {
        fat_unmount(sbi->fs);
        return -EROFS;                /* read-only for now: mount it read-only */
    }
    err = diskfs_set_root(sb, MSDOS_SUPER_MAGIC, FAT_ROOT_INO);
    if (err) {
        pr_err("vfat: %s: bad root directory\n", bdev->name);
        fat_unmount(sbi->fs);
        return err;
    }
    pr_info("vfat: mounted %s (FAT%u, \"%s\", read-only)\n", bdev->name, sbi->fs->bits,
            sbi->fs->label);
    return 0;
}

static struct file_system_type fat_type = {
    .name = "vfat",
    .fill_super = fat_fill_super,
    .fs_info_size = sizeof(struct fat_sb_info),
};

/* Called once at boot after vfs_init() (main.c, next to ext2_init()). */
void vfat_init(void)
{
    register_filesystem(&fat_type);
}
