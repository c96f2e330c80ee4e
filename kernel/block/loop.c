/* Loop block devices (Linux's drivers/block/loop.c interface, include/uapi/linux/loop.h):
 * /dev/loop0..7 (major 7) each present a regular file as a disk, and /dev/loop-control
 * (10:237) hands out a free one.
 *
 * A device is unbound (size 0, GET_STATUS fails with ENXIO) until LOOP_SET_FD or
 * LOOP_CONFIGURE binds it to an open file; it then serves sectors [offset, offset + size) of
 * the file, synchronously, through the file's own read/write/fsync (tmpfs, ext2, OFS...).
 * It is read-only if the file or the device file was opened without write access.
 * LOOP_CLR_FD, or the last close of an AUTOCLEAR device (mount -o loop sets that flag, so
 * umount frees it), unbinds it. The buffer cache forgets the device's blocks at every bind
 * and unbind, so a re-bound device never shows blocks of the file it had before. */
#include "kernel.h"
#include "blkdev.h"
#include "fs.h"
#include "mm.h"
#include "mutex.h"
#include "string.h"
#include "uaccess.h"
#include "kprintf.h"
#include "blk.h"
#include "uapi/loop.h"

#define LOOP_MAJOR 7
#define LOOP_COUNT 8                /* Linux's default max_loop (CONFIG_BLK_DEV_LOOP_MIN_COUNT) */
#define LOOP_DISK_INDEX_BASE 100    /* sysfs keys: after the virtio disks */
#define LOOP_CTRL_MAJOR 10          /* misc */
#define LOOP_CTRL_MINOR 237
#define LOOP_MAX_TRANSFER (128u << 10)

struct loop_device {
    struct block_device disk;
    unsigned number;
    struct mutex lock;              /* binding, unbinding and status changes */
    /* The binding. lo->file is read by the I/O path under io_lock (it takes its own file
     * reference), and changed under both locks. */
    spinlock_t io_lock;
    struct file *file;              /* NULL: unbound */
    uint64_t offset;
    uint64_t sizelimit;
    uint32_t flags;                 /* LO_FLAGS_* */
    uint8_t file_name[LO_NAME_SIZE];
};

static struct loop_device loops[LOOP_COUNT];

static struct loop_device *to_loop(struct block_device *b) { return b->disk->driver_data; }

/* Who may change a binding's status: Linux asks for a device file opened for writing or
 * CAP_SYS_ADMIN. Binding and unbinding need only an open device file, which /dev/loopN's
 * 0600 root mode already restricts to root (a non-root open fails with EACCES). */
static bool loop_may_set_status(struct file *f)
{
    return (f->fmode & FMODE_WRITE) || current->cred.euid == 0;
}

/* ---- I/O ---- */

static struct file *loop_get_file(struct loop_device *lo, uint64_t *offset)
{
    spin_lock(&lo->io_lock);
    struct file *f = lo->file;
    if (f) {
        file_get(f);
        *offset = lo->offset;
    }
    spin_unlock(&lo->io_lock);
    return f;
}

static int loop_read(struct file *f, loff_t pos, char *buf, size_t len)
{
    ssize_t n = kernel_read(f, buf, len, pos);
    if (n < 0)
        return (int)n;
    /* Past the end of the file reads as zeros, as Linux's loop does. */
    memset(buf + n, 0, len - (size_t)n);
    return 0;
}

static int loop_write(struct file *f, loff_t pos, const char *buf, size_t len)
{
    while (len) {
        ssize_t n = kernel_write(f, buf, len, pos);
        if (n < 0)
            return (int)n;
        if (n == 0)
            return -EIO;
        buf += n;
        pos += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Every request is done at once, against the backing file, in the submitter's context. */
static int loop_submit(struct block_device *disk, struct blk_request *rq)
{
    struct loop_device *lo = to_loop(disk);
    uint64_t offset = 0;
    struct file *f = loop_get_file(lo, &offset);
    if (!f)
        return -ENXIO;
    loff_t pos = (loff_t)(offset + (rq->sector << SECTOR_SHIFT));
    int status;
    switch (rq->op) {
    case BLK_OP_READ:
        status = loop_read(f, pos, rq->buf, rq->len);
        break;
    case BLK_OP_WRITE:
        status = disk->read_only ? -EROFS : loop_write(f, pos, rq->buf, rq->len);
        break;
    case BLK_OP_FLUSH:
        status = f->ops->fsync ? f->ops->fsync(f) : 0;
        break;
    default:
        status = -EOPNOTSUPP;
        break;
    }
    file_put(f);
    blk_complete(rq, status);
    return 0;
}

/* ---- Binding ---- */

/* The device size for the binding: the file from `offset`, at most sizelimit, in sectors. */
static uint64_t loop_sectors(struct file *f, uint64_t offset, uint64_t sizelimit)
{
    loff_t fsize = file_size(f);
    uint64_t size = fsize > 0 && (uint64_t)fsize > offset ? (uint64_t)fsize - offset : 0;
    if (sizelimit && sizelimit < size)
        size = sizelimit;
    return size >> SECTOR_SHIFT;
}

static void loop_update_size(struct loop_device *lo)
{
    lo->disk.nr_sectors = loop_sectors(lo->file, lo->offset, lo->sizelimit);
}

/* LOOP_SET_FD / LOOP_CONFIGURE. `info` may be NULL (SET_FD: everything zero). */
static int loop_bind(struct loop_device *lo, struct file *devf, int fd,
                     const struct loop_info64 *info)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    int err = 0;
    mutex_lock(&lo->lock);
    /* Bound devices are refused first, which also rules out a device backed by a file on a
     * filesystem on itself (that filesystem keeps it bound). */
    if (lo->file)
        err = -EBUSY;
    else if (S_ISBLK(f->inode->mode) && f->ops == &blkdev_fops &&
             blkdev_claimed(f->private_data, NULL))
        err = -EBUSY;       /* held exclusively (dm-verity's partitions): not even read-only */
    else if (!S_ISREG(f->inode->mode) || (f->fmode & FMODE_PATH) || !f->ops->read)
        err = -EINVAL;
    else if (info && (info->lo_encrypt_type || info->lo_encrypt_key_size > LO_KEY_SIZE))
        err = -EINVAL;
    else if (info && (info->lo_flags & ~(LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR)))
        err = -EINVAL;      /* partition scanning and direct I/O are not supported */
    else if (info && (info->lo_offset > INT64_MAX || info->lo_sizelimit > INT64_MAX))
        err = -EOVERFLOW;
    if (err) {
        mutex_unlock(&lo->lock);
        file_put(f);
        return err;
    }
    bool ro = !(f->fmode & FMODE_WRITE) || !(devf->fmode & FMODE_WRITE) || !f->ops->write ||
              (info && (info->lo_flags & LO_FLAGS_READ_ONLY));
    bcache_discard_disk(&lo->disk);
    spin_lock(&lo->io_lock);
    lo->file = f;
    lo->offset = info ? info->lo_offset : 0;
    lo->sizelimit = info ? info->lo_sizelimit : 0;
    lo->flags = (ro ? LO_FLAGS_READ_ONLY : 0) |
                (info ? info->lo_flags & LO_FLAGS_AUTOCLEAR : 0);
    memset(lo->file_name, 0, sizeof lo->file_name);
    if (info)
        memcpy(lo->file_name, info->lo_file_name, LO_NAME_SIZE - 1);
    lo->disk.read_only = ro;
    loop_update_size(lo);
    spin_unlock(&lo->io_lock);
    mutex_unlock(&lo->lock);
    return 0;
}

/* Unbind (lo->lock held). Writes back what the cache holds for the device while the file is
 * still there, then forgets it all. */
static void loop_unbind_locked(struct loop_device *lo)
{
    int err = sync_dev(&lo->disk);
    if (err)
        pr_warn("%s: writeback before detach failed (%d)\n", lo->disk.name, err);
    spin_lock(&lo->io_lock);
    struct file *f = lo->file;
    lo->file = NULL;
    lo->disk.nr_sectors = 0;
    lo->disk.read_only = false;
    lo->offset = lo->sizelimit = 0;
    lo->flags = 0;
    memset(lo->file_name, 0, sizeof lo->file_name);
    spin_unlock(&lo->io_lock);
    bcache_discard_disk(&lo->disk);
    file_put(f);
}

static int loop_clr_fd(struct loop_device *lo)
{
    mutex_lock(&lo->lock);
    if (!lo->file) {
        mutex_unlock(&lo->lock);
        return -ENXIO;
    }
    /* Still open elsewhere (mounted, say): detach lazily when the last user goes, as Linux
     * does; the caller's own open is the one expected. */
    if (blkdev_openers(&lo->disk) > 1) {
        lo->flags |= LO_FLAGS_AUTOCLEAR;
        mutex_unlock(&lo->lock);
        return 0;
    }
    loop_unbind_locked(lo);
    mutex_unlock(&lo->lock);
    return 0;
}

/* The last opener went away. */
static void loop_release(struct block_device *disk)
{
    struct loop_device *lo = to_loop(disk);
    mutex_lock(&lo->lock);
    if (lo->file && (lo->flags & LO_FLAGS_AUTOCLEAR) && blkdev_openers(disk) == 0)
        loop_unbind_locked(lo);
    mutex_unlock(&lo->lock);
}

/* ---- Status ---- */

static int loop_set_status(struct loop_device *lo, const struct loop_info64 *info)
{
    if (info->lo_encrypt_type || info->lo_encrypt_key_size > LO_KEY_SIZE)
        return -EINVAL;
    if (info->lo_offset > INT64_MAX || info->lo_sizelimit > INT64_MAX)
        return -EOVERFLOW;
    if (info->lo_flags & LO_FLAGS_PARTSCAN)
        return -EINVAL;         /* no partition scanning on loop devices here */
    mutex_lock(&lo->lock);
    if (!lo->file) {
        mutex_unlock(&lo->lock);
        return -ENXIO;
    }
    bool geometry = info->lo_offset != lo->offset || info->lo_sizelimit != lo->sizelimit;
    if (geometry) {
        /* Cached blocks are at the old offsets: write them back and drop them. */
        int err = sync_dev(&lo->disk);
        if (err) {
            mutex_unlock(&lo->lock);
            return err;
        }
        bcache_discard_disk(&lo->disk);
    }
    spin_lock(&lo->io_lock);
    lo->offset = info->lo_offset;
    lo->sizelimit = info->lo_sizelimit;
    /* Only AUTOCLEAR may be set or cleared (Linux's LOOP_SET_STATUS_SETTABLE_FLAGS less
     * PARTSCAN); READ_ONLY follows the binding. */
    lo->flags = (lo->flags & ~LO_FLAGS_AUTOCLEAR) | (info->lo_flags & LO_FLAGS_AUTOCLEAR);
    memcpy(lo->file_name, info->lo_file_name, LO_NAME_SIZE - 1);
    lo->file_name[LO_NAME_SIZE - 1] = 0;
    loop_update_size(lo);
    spin_unlock(&lo->io_lock);
    mutex_unlock(&lo->lock);
    return 0;
}

static int loop_get_status(struct loop_device *lo, struct loop_info64 *info)
{
    memset(info, 0, sizeof *info);
    mutex_lock(&lo->lock);
    if (!lo->file) {
        mutex_unlock(&lo->lock);
        return -ENXIO;
    }
    struct inode *inode = lo->file->inode;
    info->lo_number = lo->number;
    info->lo_device = dev_to_user(inode->sb ? inode->sb->dev : 0);
    info->lo_inode = inode->ino;
    info->lo_rdevice = dev_to_user(inode->rdev);
    info->lo_offset = lo->offset;
    info->lo_sizelimit = lo->sizelimit;
    info->lo_flags = lo->flags;
    memcpy(info->lo_file_name, lo->file_name, LO_NAME_SIZE);
    mutex_unlock(&lo->lock);
    return 0;
}

static void info_from_old(const struct loop_info *o, struct loop_info64 *n)
{
    memset(n, 0, sizeof *n);
    n->lo_number = (uint32_t)o->lo_number;
    n->lo_offset = (uint64_t)(int64_t)o->lo_offset;
    n->lo_encrypt_type = (uint32_t)o->lo_encrypt_type;
    n->lo_encrypt_key_size = (uint32_t)o->lo_encrypt_key_size;
    n->lo_flags = (uint32_t)o->lo_flags;
    memcpy(n->lo_file_name, o->lo_name, LO_NAME_SIZE);
}

static int info_to_old(const struct loop_info64 *n, struct loop_info *o)
{
    memset(o, 0, sizeof *o);
    o->lo_number = (int32_t)n->lo_number;
    o->lo_device = (uint32_t)n->lo_device;
    o->lo_inode = n->lo_inode;
    o->lo_rdevice = (uint32_t)n->lo_rdevice;
    o->lo_offset = (int32_t)n->lo_offset;
    o->lo_flags = (int32_t)n->lo_flags;
    memcpy(o->lo_name, n->lo_file_name, LO_NAME_SIZE);
    if (o->lo_device != n->lo_device || o->lo_rdevice != n->lo_rdevice ||
        (uint64_t)(int64_t)o->lo_offset != n->lo_offset)
        return -EOVERFLOW;
    return 0;
}

static int loop_set_capacity(struct loop_device *lo)
{
    mutex_lock(&lo->lock);
    int err = -ENXIO;
    if (lo->file) {
        spin_lock(&lo->io_lock);
        loop_update_size(lo);
        spin_unlock(&lo->io_lock);
        err = 0;
    }
    mutex_unlock(&lo->lock);
    return err;
}

/* ---- ioctls on /dev/loopN ---- */

static long loop_ioctl(struct block_device *bdev, struct file *f, unsigned int cmd,
                       unsigned long arg)
{
    struct loop_device *lo = to_loop(bdev);
    struct loop_info64 info;
    struct loop_info old;
    int err;
    switch (cmd) {
    case LOOP_GET_STATUS64:
        if (!arg)
            return -EINVAL;
        err = loop_get_status(lo, &info);
        return err ? err : copy_to_user(arg, &info, sizeof info);
    case LOOP_GET_STATUS:
        if (!arg)
            return -EINVAL;
        err = loop_get_status(lo, &info);
        if (!err)
            err = info_to_old(&info, &old);
        return err ? err : copy_to_user(arg, &old, sizeof old);
    default:
        break;
    }
    switch (cmd) {
    case LOOP_SET_FD:
        return loop_bind(lo, f, (int)arg, NULL);
    case LOOP_CONFIGURE: {
        struct loop_config cfg;
        if (copy_from_user(&cfg, arg, sizeof cfg))
            return -EFAULT;
        if (cfg.block_size && cfg.block_size != SECTOR_SIZE)
            return -EINVAL;     /* 512-byte logical blocks only */
        return loop_bind(lo, f, (int)cfg.fd, &cfg.info);
    }
    case LOOP_CLR_FD:
        return loop_clr_fd(lo);
    case LOOP_SET_STATUS64:
        if (!loop_may_set_status(f))
            return -EPERM;
        if (copy_from_user(&info, arg, sizeof info))
            return -EFAULT;
        return loop_set_status(lo, &info);
    case LOOP_SET_STATUS:
        if (!loop_may_set_status(f))
            return -EPERM;
        if (copy_from_user(&old, arg, sizeof old))
            return -EFAULT;
        info_from_old(&old, &info);
        /* The old structure has no size limit: keep the current one. */
        info.lo_sizelimit = lo->sizelimit;
        return loop_set_status(lo, &info);
    case LOOP_SET_CAPACITY:
        if (!loop_may_set_status(f))
            return -EPERM;
        return loop_set_capacity(lo);
    case LOOP_SET_DIRECT_IO:
    case LOOP_SET_BLOCK_SIZE:
        if (!loop_may_set_status(f))
            return -EPERM;
        if (!READ_ONCE(lo->file))
            return -ENXIO;
        /* Only what the device already does: buffered I/O, 512-byte blocks. */
        if (cmd == LOOP_SET_DIRECT_IO ? arg != 0 : arg != SECTOR_SIZE)
            return -EINVAL;
        return 0;
    case LOOP_CHANGE_FD:
        return -EINVAL;         /* not supported: what Linux says for an unusable request */
    default:
        return -ENOTTY;
    }
}

static const struct blkdev_ops loop_ops = {
    .driver = "loop",
    .submit = loop_submit,
    .release = loop_release,
    .ioctl = loop_ioctl,
};

/* ---- /dev/loop-control ---- */

static long loop_ctl_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
    (void)f;
    switch (cmd) {
    case LOOP_CTL_GET_FREE:
        for (unsigned i = 0; i < LOOP_COUNT; i++)
            if (!READ_ONCE(loops[i].file))
                return (long)i;
        return -ENOSPC;         /* a fixed set of devices: none can be added */
    case LOOP_CTL_ADD:
        if (arg < LOOP_COUNT)
            return -EEXIST;
        return -EOPNOTSUPP;
    case LOOP_CTL_REMOVE:
        if (arg >= LOOP_COUNT)
            return -ENODEV;
        if (READ_ONCE(loops[arg].file) || blkdev_openers(&loops[arg].disk))
            return -EBUSY;
        return -EOPNOTSUPP;     /* the devices are permanent */
    default:
        return -ENOTTY;
    }
}

static const struct file_operations loop_ctl_fops = {
    .ioctl = loop_ctl_ioctl,
};

void loop_init(void)
{
    for (unsigned i = 0; i < LOOP_COUNT; i++) {
        struct loop_device *lo = &loops[i];
        struct block_device *d = &lo->disk;
        lo->number = i;
        mutex_init(&lo->lock);
        spin_init(&lo->io_lock, "loop");
        ksnprintf(d->name, sizeof d->name, "loop%u", i);
        d->devt = MKDEV(LOOP_MAJOR, i);
        d->nr_sectors = 0;
        d->logical_block_size = SECTOR_SIZE;
        d->max_transfer = LOOP_MAX_TRANSFER;
        d->volatile_cache = true;   /* sync_dev's FLUSH becomes the backing file's fsync */
        d->irq_driven = true;   /* requests complete inside submit: nothing to poll */
        d->no_partscan = true;
        d->open_empty = true;
        d->ops = &loop_ops;
        d->driver_data = lo;
        d->disk_index = LOOP_DISK_INDEX_BASE + i;
        int err = blkdev_register_disk(d);
        if (err)
            pr_err("%s: cannot register (%d)\n", d->name, err);
    }
    int err = register_chrdev(LOOP_CTRL_MAJOR, LOOP_CTRL_MINOR, "loop-control", &loop_ctl_fops);
    if (!err)
        err = devfs_set_owner(LOOP_CTRL_MAJOR, LOOP_CTRL_MINOR, 0600, 0, 0);
    if (err)
        pr_err("loop: cannot register /dev/loop-control (%d)\n", err);
}
