/* Superblocks of filesystems on block devices (Linux's get_tree_bdev and kill_block_super):
 * one superblock per device, shared by every mount of it.
 *
 * Policy, as in Linux: the mount holds the device exclusively for its filesystem type
 * (blkdev_claim: a device dm-verity holds, or one opened with O_EXCL, is -EBUSY); mounting a
 * device that is already mounted reuses its superblock; a mount that would change its
 * read-only state, or that names another filesystem type, is refused with EBUSY (so is a
 * device whose superblock is being shut down right now: its filesystem is still writing to
 * it). A read-only device is mounted read-only.
 *
 * Locking: the list changes under bdev_supers_lock; mounts run under vfs_ns_lock, so two
 * mounts never set up a superblock for the same device at once. */
#include "fs.h"
#include "blkdev.h"
#include "mm.h"
#include "kprintf.h"

static LIST_HEAD(bdev_supers);
static spinlock_t bdev_supers_lock = SPINLOCK_INIT("bdev_supers");

/* The superblock mounted from bdev with a new reference, NULL if none, or ERR_PTR(-EBUSY). */
static struct super_block *find_bdev_super(struct file_system_type *type,
                                           struct block_device *bdev, unsigned long flags)
{
    struct super_block *found = NULL, *sb;
    const char *other_type = NULL;
    bool other_ro_state = false;
    spin_lock(&bdev_supers_lock);
    list_for_each_entry(sb, &bdev_supers, bdev_link) {
        if (sb->bdev != bdev)
            continue;
        if (sb->type != type)
            other_type = sb->type->name;
        else if ((flags ^ sb->flags) & MS_RDONLY)
            other_ro_state = true;
        else if (atomic_inc_not_zero(&sb->refcount))
            found = sb;
        if (!found)
            found = ERR_PTR(-EBUSY);
        break;
    }
    spin_unlock(&bdev_supers_lock);
    if (other_type)
        pr_err("%s: %s: already mounted as %s\n", type->name, bdev->name, other_type);
    else if (other_ro_state)
        pr_err("%s: %s: can't mount, would change RO state\n", type->name, bdev->name);
    return found;
}

int get_sb_bdev(struct file_system_type *type, struct block_device *bdev, unsigned long flags,
                const void *data, struct super_block **out)
{
    if (!type->fill_super)
        return -EINVAL;
    if (bdev->read_only || bdev->disk->read_only)
        flags |= MS_RDONLY;
    struct super_block *sb = find_bdev_super(type, bdev, flags);
    if (sb) {
        if (IS_ERR(sb))
            return (int)PTR_ERR(sb);
        *out = sb;
        return 0;
    }
    /* Held exclusively by the filesystem type, as Linux's get_tree_bdev: a device that
     * dm-verity holds (or a file opened with O_EXCL, or another type's mount) is -EBUSY. */
    int err = blkdev_claim(bdev, type, 0);
    if (err) {
        pr_err("/dev/%s: Can't open blockdev\n", bdev->name);     /* Linux's words */
        return err;
    }
    sb = sb_new_with_info(type, 0, NULL, type->fs_info_size);
    if (!sb) {
        blkdev_unclaim(bdev, type, 0);
        return -ENOMEM;
    }
    sb->bdev = bdev;
    sb->dev = bdev->devt;
    sb->flags = flags & MS_RDONLY;
    err = type->fill_super(sb, data);
    if (err) {
        blkdev_unclaim(bdev, type, 0);
        kfree(sb);
        return err;
    }
    blkdev_get(bdev);
    spin_lock(&bdev_supers_lock);
    list_add_tail(&sb->bdev_link, &bdev_supers);
    spin_unlock(&bdev_supers_lock);
    *out = sb;
    return 0;
}

void kill_block_super(struct super_block *sb)
{
    struct block_device *bdev = sb->bdev;
    spin_lock(&bdev_supers_lock);
    list_del(&sb->bdev_link);
    spin_unlock(&bdev_supers_lock);
    struct file_system_type *type = sb->type;
    generic_shutdown_super(sb);
    kfree(sb);
    blkdev_unclaim(bdev, type, 0);
    blkdev_put(bdev);       /* may detach an autoclear loop device */
}
