/* A read-only disk filesystem (iso9660, vfat) over diskfs.c: the core's byte-range reads
 * mapped onto the buffer cache (kept behind struct byte_io so that a page cache can take over
 * the read path later without touching the cores), the mount sequence, and the operations
 * that only refuse or ignore changes. include/fs.h ("diskfs_ro.c") says what a filesystem
 * supplies. */
#include "fs.h"
#include "byte_io.h"
#include "blkdev.h"
#include "kprintf.h"

static struct diskfs_ro_sb *RO_SB(struct super_block *sb) { return sb->fs_info; }

static int bio_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct super_block *sb = ctx;
    return bread_bytes(sb->bdev, RO_SB(sb)->type->io_block, off, buf, len);
}

int diskfs_ro_fill_super(struct super_block *sb, const void *data,
                         const struct diskfs_ro_type *type)
{
    struct diskfs_ro_sb *sbi = RO_SB(sb);
    struct block_device *bdev = sb->bdev;
    sbi->type = type;
    diskfs_init(sb, type->ops);
    struct byte_io io = { .ctx = sb, .read = bio_read,
                          .dev_size = bdev->nr_sectors << SECTOR_SHIFT };
    int err = type->mount(&io, data, &sbi->core);
    if (err) {
        if (err != -EINVAL)
            pr_err("%s: %s: cannot mount (error %d)\n", type->log_name, bdev->name, err);
        return err;
    }
    if (!(sb->flags & MS_RDONLY)) {
        type->unmount(sbi->core);
        return -EROFS;                /* write-protected: mount it read-only */
    }
    err = diskfs_set_root(sb, type->magic, type->root_ino(sbi->core));
    if (err) {
        pr_err("%s: %s: bad root directory\n", type->log_name, bdev->name);
        type->unmount(sbi->core);
        return err;
    }
    char what[96];
    type->describe(sbi->core, what, sizeof what);
    pr_info("%s: mounted %s (%s)\n", type->log_name, bdev->name, what);
    return 0;
}

/* Nothing the VFS changes in memory (it refuses chmod and the like on a read-only mount)
 * ever goes to the disk. */
int diskfs_ro_write_attrs(struct inode *inode)
{
    (void)inode;
    return 0;
}

void diskfs_ro_evict_inode(struct inode *inode)
{
    (void)inode;
}

/* Every change is refused here, before diskfs would call a create/link/... operation (which
 * a read-only filesystem therefore does not have). */
int diskfs_ro_writable(struct super_block *sb)
{
    (void)sb;
    return -EROFS;
}

int diskfs_ro_fsync(struct inode *inode)
{
    (void)inode;
    return 0;
}

int diskfs_ro_sync_fs(struct super_block *sb)
{
    (void)sb;
    return 0;
}

int diskfs_ro_remount(struct super_block *sb, unsigned long flags)
{
    (void)sb;
    return (flags & MS_RDONLY) ? 0 : -EROFS;
}

int diskfs_ro_unmount(struct super_block *sb)
{
    RO_SB(sb)->type->unmount(RO_SB(sb)->core);
    return 0;
}
