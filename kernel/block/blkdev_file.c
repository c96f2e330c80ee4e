/* /dev/vda* files: byte-granular I/O on a block device, through a bounce buffer, kept
 * coherent with the buffer cache (dirty cached blocks are written back before a direct read;
 * cached copies are dropped or marked stale after a direct write). */
#include "kernel.h"
#include "blkdev.h"
#include "fs.h"
#include "mm.h"
#include "sched.h"
#include "uaccess.h"
#include "uapi/fs.h"

#define BOUNCE_SIZE (64u << 10)

static struct block_device *file_bdev(struct file *f) { return f->private_data; }

static uint64_t bdev_bytes(const struct block_device *b) { return b->nr_sectors << SECTOR_SHIFT; }

static unsigned file_claim_flags(const struct file *f)
{
    return (f->fmode & FMODE_WRITE) ? BLK_CLAIM_WRITE : 0;
}

int blkdev_open_dev(dev_t rdev, struct file *f)
{
    struct block_device *b = blkdev_lookup_by_devt(rdev);
    if (!b || (!b->nr_sectors && !b->disk->open_empty))
        return -ENXIO;
    if ((f->flags & O_ACCMODE) != O_RDONLY && (b->read_only || b->disk->read_only))
        return -EROFS;
    /* O_EXCL: an exclusive open, held by this file (Linux's blkdev_open); a write open of a
     * device dm-verity holds is refused (blkdev.h, "Exclusive claims"). */
    int err = blkdev_claim(b, (f->flags & O_EXCL) ? f : NULL, file_claim_flags(f));
    if (err)
        return err;
    f->ops = &blkdev_fops;
    f->private_data = b;
    blkdev_get(b);
    return 0;
}

static void blkdev_file_release(struct file *f)
{
    /* The file is the holder only if its open claimed (O_EXCL); otherwise a no-op claim. */
    blkdev_unclaim(file_bdev(f), f, file_claim_flags(f));
    blkdev_put(file_bdev(f));
}

static int blkdev_file_open(struct inode *inode, struct file *f)
{
    return blkdev_open_dev(inode_rdev(inode), f);
}

/* One pass of at most BOUNCE_SIZE: the logical blocks covering [pos, pos + n), clipped.
 * *start is the first byte of the first block, *len the whole-block length, *off where pos
 * falls in it, and the return value how many of the caller's bytes this pass moves. */
static size_t chunk(const struct block_device *b, uint64_t pos, size_t n, uint64_t *start,
                    size_t *len, size_t *off)
{
    uint32_t lbs = b->disk->logical_block_size;
    *start = ALIGN_DOWN(pos, (uint64_t)lbs);
    *off = (size_t)(pos - *start);
    uint64_t end = ALIGN_UP((uint64_t)*off + n, (uint64_t)lbs);
    *len = (size_t)MIN(end, (uint64_t)BOUNCE_SIZE);
    return MIN(n, *len - *off);
}

static ssize_t blkdev_file_read(struct file *f, struct uio *to, loff_t *ppos)
{
    struct block_device *b = file_bdev(f);
    uint64_t size = bdev_bytes(b);
    if (*ppos < 0)
        return -EINVAL;
    uint64_t pos = (uint64_t)*ppos;
    if (pos >= size || to->resid == 0)
        return 0;
    size_t n = (size_t)MIN((uint64_t)to->resid, size - pos);
    char *bounce = kmalloc(BOUNCE_SIZE);
    if (!bounce)
        return -ENOMEM;
    ssize_t done = 0;
    int err = 0;
    while (n) {
        uint64_t start;
        size_t len, off;
        size_t bytes = chunk(b, pos, n, &start, &len, &off);
        uint64_t sect = start >> SECTOR_SHIFT;
        err = bcache_writeback_range(b->disk, b->start_sect + sect, len >> SECTOR_SHIFT);
        if (!err)
            err = blkdev_read(b, sect, bounce, len);
        if (!err)
            err = uio_copyout(to, bounce + off, bytes);
        if (err)
            break;
        pos += bytes;
        n -= bytes;
        done += (ssize_t)bytes;
    }
    kfree(bounce);
    *ppos = (loff_t)pos;
    return done ? done : err;
}

static ssize_t blkdev_file_write(struct file *f, struct uio *from, loff_t *ppos)
{
    struct block_device *b = file_bdev(f);
    uint64_t size = bdev_bytes(b);
    if (*ppos < 0)
        return -EINVAL;
    if (b->read_only || b->disk->read_only)
        return -EROFS;
    uint64_t pos = (uint64_t)*ppos;
    if (from->resid == 0)
        return 0;
    if (pos >= size)
        return -ENOSPC;
    size_t n = (size_t)MIN((uint64_t)from->resid, size - pos);
    char *bounce = kmalloc(BOUNCE_SIZE);
    if (!bounce)
        return -ENOMEM;
    ssize_t done = 0;
    int err = 0;
    while (n) {
        uint64_t start;
        size_t len, off;
        size_t bytes = chunk(b, pos, n, &start, &len, &off);
        uint64_t sect = start >> SECTOR_SHIFT;
        /* A partial first or last block: read-modify-write. */
        if (off || bytes != len) {
            err = bcache_writeback_range(b->disk, b->start_sect + sect, len >> SECTOR_SHIFT);
            if (!err)
                err = blkdev_read(b, sect, bounce, len);
        }
        if (!err)
            err = uio_copyin(bounce + off, from, bytes);
        if (!err)
            err = blkdev_write(b, sect, bounce, len);
        bcache_invalidate_range(b->disk, b->start_sect + sect, len >> SECTOR_SHIFT);
        if (err)
            break;
        pos += bytes;
        n -= bytes;
        done += (ssize_t)bytes;
    }
    kfree(bounce);
    *ppos = (loff_t)pos;
    return done ? done : err;
}

static loff_t blkdev_file_llseek(struct file *f, loff_t off, int whence)
{
    struct block_device *b = file_bdev(f);
    loff_t base;
    switch (whence) {
    case SEEK_SET:
        base = 0;
        break;
    case SEEK_CUR:
        base = f->pos;
        break;
    case SEEK_END:
        base = (loff_t)bdev_bytes(b);
        break;
    default:
        return -EINVAL;
    }
    if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
        return -EINVAL;
    f->pos = base + off;
    return f->pos;
}

static long blkdev_file_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
    struct block_device *b = file_bdev(f);
    uint32_t lbs = b->disk->logical_block_size;
    switch (cmd) {
    case BLKGETSIZE64:
        return put_user_u64(bdev_bytes(b), arg);
    case BLKGETSIZE:
        return put_user_u64(b->nr_sectors, arg);
    case BLKSSZGET:
    case BLKBSZGET:
    case BLKPBSZGET:
        return put_user_u32(lbs, arg);
    case BLKROGET:
        return put_user_u32(b->read_only || b->disk->read_only, arg);
    case BLKFLSBUF:
        if (current->cred.euid != 0)
            return -EACCES;
        return invalidate_bdev(b);
    case BLKRRPART:
        if (current->cred.euid != 0)
            return -EACCES;
        if (b->disk != b)
            return -EINVAL;
        return blkdev_rescan(b);
    default:
        if (b->disk->ops && b->disk->ops->ioctl)
            return b->disk->ops->ioctl(b, f, cmd, arg);
        return -ENOTTY;
    }
}

static int blkdev_file_fsync(struct file *f)
{
    return sync_dev(file_bdev(f));
}

const struct file_operations blkdev_fops = {
    .open = blkdev_file_open,
    .release = blkdev_file_release,
    .read = blkdev_file_read,
    .write = blkdev_file_write,
    .llseek = blkdev_file_llseek,
    .ioctl = blkdev_file_ioctl,
    .fsync = blkdev_file_fsync,
};
