/* /dev/disk/by-label/<label> -> ../../<device>, made when a disk registers (after its
 * partitions are found), for the disk if it has no partition table and for each partition:
 * what udev's 60-persistent-storage rules give Linux, so that cloud-init-style agents and
 * scripts find a seed by its label. Devices that show up empty (unbound loop devices) are
 * skipped; a label seen twice points at the device probed last, as with udev. */
#include "fs.h"
#include "blkdev.h"
#include "kprintf.h"
#include "mm.h"
#include "string.h"
#include "fslabel.h"

/* Reads in whole logical blocks of the device: 512 bytes on a virtio disk, 4096 on dm-verity's
 * dm-0 (blkdev_read refuses anything else). */
static int bdev_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct block_device *bdev = ctx;
    uint64_t lbs = bdev->disk->logical_block_size;
    uint64_t start = ALIGN_DOWN(off, lbs);
    uint64_t end = ALIGN_UP(off + len, lbs);
    if (end > bdev->nr_sectors << SECTOR_SHIFT)
        return -EIO;
    char *tmp = kmalloc(end - start);
    if (!tmp)
        return -ENOMEM;
    int err = blkdev_read(bdev, start >> SECTOR_SHIFT, tmp, end - start);
    if (!err)
        memcpy(buf, tmp + (off - start), len);
    kfree(tmp);
    return err;
}

static void probe_one(struct block_device *bdev)
{
    struct byte_io io = { .ctx = bdev, .read = bdev_read,
                             .dev_size = bdev->nr_sectors << SECTOR_SHIFT };
    struct fslabel fl;
    char name[160], path[200], target[64];
    if (!bdev->nr_sectors || fslabel_probe(&io, &fl) || !fl.type)
        return;
    if (!fslabel_devname(fl.label, name, sizeof name))
        return;
    ksnprintf(path, sizeof path, "disk/by-label/%s", name);
    ksnprintf(target, sizeof target, "../../%s", bdev->name);
    int err = devfs_symlink(path, target);
    if (err)
        pr_warn("%s: cannot create /dev/%s (%d)\n", bdev->name, path, err);
    else
        pr_info("%s: %s \"%s\"\n", bdev->name, fl.type, fl.label);
}

void devfs_probe_labels(struct block_device *disk)
{
    bool partitioned = false;
    for (struct block_device *b = blkdev_next(NULL); b; b = blkdev_next(b)) {
        if (b->disk == disk && b != disk && b->nr_sectors) {
            partitioned = true;
            probe_one(b);
        }
    }
    if (!partitioned)
        probe_one(disk);
}
