/* iso9660 VFS glue: the "iso9660" filesystem type, the core (isofs_*.c) adapted to the disk
 * filesystem glue of fs/diskfs.c, and the core's byte-range reads mapped onto the block
 * layer's buffer cache in 2048-byte blocks (kept behind struct iso_io so that a page cache
 * can take over the read path later without touching the core).
 *
 * Read-only, as in Linux: a read-write mount is refused with EROFS (BusyBox's mount then says
 * "is write-protected, mounting read-only" and retries), remounting read-write likewise. */
#include "fs.h"
#include "isofs.h"
#include "blkdev.h"
#include "mm.h"
#include "string.h"
#include "kprintf.h"

struct iso_sb_info {
    struct diskfs_sb df;             /* first: the glue's part */
    struct iso_fs *fs;
};

static struct iso_sb_info *ISO_SB(struct super_block *sb) { return sb->fs_info; }
static struct iso_fs *FS(struct super_block *sb) { return ISO_SB(sb)->fs; }
static struct iso_inode *ISOI(struct inode *inode) { return diskfs_core(inode); }

static int bio_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct super_block *sb = ctx;
    while (len) {
        uint32_t in = (uint32_t)(off % ISO_SECTOR);
        size_t n = MIN((size_t)(ISO_SECTOR - in), len);
        struct buffer_head *bh = bread(sb->bdev, off / ISO_SECTOR, ISO_SECTOR);
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

static void iso_to_vfs(struct inode *inode)
{
    struct iso_inode *m = ISOI(inode);
    inode->mode = m->mode;
    inode->uid = m->uid;
    inode->gid = m->gid;
    inode->nlink = m->nlink;
    inode->size = (loff_t)m->size;
    inode->blocks = (m->size + 511) / 512;
    ts_set(&inode->atime, m->atime);
    ts_set(&inode->mtime, m->mtime);
    ts_set(&inode->ctime, m->ctime);
    inode->rdev = MKDEV(m->rdev_major, m->rdev_minor);
}

static int iso_read_inode(struct super_block *sb, ino_t ino, void *core)
{
    return iso_iget(FS(sb), ino, core);
}

static ino_t iso_core_ino(const void *core)
{
    return ((const struct iso_inode *)core)->ino;
}

/* Nothing the VFS changes in memory (it refuses chmod and the like on a read-only mount)
 * ever goes to the disk. */
static int iso_write_attrs(struct inode *inode)
{
    (void)inode;
    return 0;
}

static void iso_evict_inode(struct inode *inode)
{
    (void)inode;
}

/* Every change is refused here, before diskfs would call a create/link/... operation (which
 * this filesystem therefore does not have). */
static int iso_writable(struct super_block *sb)
{
    (void)sb;
    return -EROFS;
}

static int iso_vfs_lookup(struct inode *dir, const char *name, size_t len, ino_t *ino)
{
    uint64_t nr;
    int err = iso_lookup(FS(dir->sb), ISOI(dir), name, len, &nr);
    *ino = nr;
    return err;
}

static int iso_vfs_readlink(struct inode *inode, char *buf, size_t size)
{
    return iso_readlink(FS(inode->sb), ISOI(inode), buf, size);
}

static ssize_t iso_vfs_read(struct inode *inode, uint64_t pos, void *buf, size_t len)
{
    return iso_read(FS(inode->sb), ISOI(inode), pos, buf, len);
}

static int iso_vfs_readdir(struct inode *dir, uint64_t *pos, struct dir_context *ctx)
{
    return iso_readdir(FS(dir->sb), ISOI(dir), pos, diskfs_emit, ctx);
}

static int iso_vfs_fsync(struct inode *inode)
{
    (void)inode;
    return 0;
}

static void iso_vfs_statfs(struct super_block *sb, struct kstatfs *st)
{
    struct iso_fs *fs = FS(sb);
    st->bsize = st->frsize = fs->block_size;
    st->blocks = fs->volume_blocks;
    st->bfree = st->bavail = 0;
    st->files = st->ffree = 0;
    st->namelen = ISO_NAME_MAX;
}

static int iso_sync_fs(struct super_block *sb)
{
    (void)sb;
    return 0;
}

static int iso_vfs_remount(struct super_block *sb, unsigned long flags)
{
    (void)sb;
    return (flags & MS_RDONLY) ? 0 : -EROFS;
}

static int iso_vfs_unmount(struct super_block *sb)
{
    iso_unmount(FS(sb));
    return 0;
}

static const struct diskfs_operations iso_diskfs_ops = {
    .core_inode_size = sizeof(struct iso_inode),
    .io_chunk = 4096,
    .read_inode = iso_read_inode,
    .core_ino = iso_core_ino,
    .to_vfs = iso_to_vfs,
    .write_attrs = iso_write_attrs,
    .evict_inode = iso_evict_inode,
    .writable = iso_writable,
    .lookup = iso_vfs_lookup,
    .readlink = iso_vfs_readlink,
    .read = iso_vfs_read,
    .readdir = iso_vfs_readdir,
    .fsync = iso_vfs_fsync,
    .statfs = iso_vfs_statfs,
    .sync_fs = iso_sync_fs,
    .remount = iso_vfs_remount,
    .unmount = iso_vfs_unmount,
};

static int iso_fill_super(struct super_block *sb, const void *data)
{
    struct iso_sb_info *sbi = ISO_SB(sb);
    struct block_device *bdev = sb->bdev;
    struct iso_options opt;
    if (iso_parse_options(data, &opt))
        return -EINVAL;
    diskfs_init(sb, &iso_diskfs_ops);
    struct iso_io io = { .ctx = sb, .read = bio_read,
                         .dev_size = bdev->nr_sectors << SECTOR_SHIFT };
    int err = iso_mount(&io, &opt, &sbi->fs);
    if (err) {
        if (err != -EINVAL)
            pr_err("isofs: %s: cannot mount (error %d)\n", bdev->name, err);
        return err;
    }
    if (!(sb->flags & MS_RDONLY)) {
        iso_unmount(sbi->fs);
        return -EROFS;                /* a CD is write-protected: mount it read-only */
    }
    err = diskfs_set_root(sb, ISOFS_SUPER_MAGIC, sbi->fs->root_ino);
    if (err) {
        pr_err("isofs: %s: bad root directory\n", bdev->name);
        iso_unmount(sbi->fs);
        return err;
    }
    static const char *const names[] = { "plain names", "Joliet", "Rock Ridge" };
    pr_info("isofs: mounted %s (\"%s\", %s)\n", bdev->name, sbi->fs->label,
            names[sbi->fs->names]);
    return 0;
}

static struct file_system_type iso_type = {
    .name = "iso9660",
    .fill_super = iso_fill_super,
    .fs_info_size = sizeof(struct iso_sb_info),
};

/* Called once at boot after vfs_init() (main.c, next to ext2_init()). */
void isofs_init(void)
{
    register_filesystem(&iso_type);
}
