/* /sys/block/<disk>/ and /sys/block/<disk>/<disk>N/: the disks and their partitions with
 * the attributes tools read (sizes in 512-byte sectors, "major:minor"), as Linux prints them.
 * (Linux makes /sys/block/<disk> a symlink into /sys/devices; here it is the directory.) */
#include "sysfs_internal.h"
#include "blkdev.h"
#include "string.h"

static int show_size(const struct sysfs_ctx *c, char *buf, size_t size)
{
    return ksnprintf(buf, size, "%llu\n", (unsigned long long)c->bdev->nr_sectors);
}

static int show_dev(const struct sysfs_ctx *c, char *buf, size_t size)
{
    return ksnprintf(buf, size, "%u:%u\n", MAJOR(c->bdev->devt), MINOR(c->bdev->devt));
}

static int show_ro(const struct sysfs_ctx *c, char *buf, size_t size)
{
    return ksnprintf(buf, size, "%d\n", c->bdev->read_only || c->bdev->disk->read_only);
}

static int show_removable(const struct sysfs_ctx *c, char *buf, size_t size)
{
    (void)c;
    return ksnprintf(buf, size, "0\n");     /* virtio disks are not removable media */
}

static int show_start(const struct sysfs_ctx *c, char *buf, size_t size)
{
    return ksnprintf(buf, size, "%llu\n", (unsigned long long)c->bdev->start_sect);
}

static int show_partition(const struct sysfs_ctx *c, char *buf, size_t size)
{
    return ksnprintf(buf, size, "%u\n", c->bdev->partno);
}

#define ATTR(n, fn) { .base = { n, S_IFREG | 0444 }, .show = fn }
static const struct sysfs_entry part_entries[] = {
    ATTR("dev", show_dev),
    ATTR("partition", show_partition),
    ATTR("ro", show_ro),
    ATTR("size", show_size),
    ATTR("start", show_start),
};
static const struct sysfs_dir part_dir = { part_entries, ARRAY_SIZE(part_entries), NULL };
static const struct sysfs_entry part_entry = {
    .base = { "<part>", S_IFDIR | 0555 }, .dir = &part_dir,
};

/* Hands the device found by a directory walk to sysfs as the child named after it. */
static long bdev_child(struct block_device *b, const struct sysfs_entry *e,
                       char name[SYSFS_NAME_MAX], struct sysfs_ctx *child,
                       const struct sysfs_entry **entry, long key)
{
    memset(child, 0, sizeof *child);
    child->bdev = b;
    strlcpy(name, b->name, SYSFS_NAME_MAX);
    *entry = e;
    return key;
}

/* A disk's partitions by number; the empty slots of the partition table are not listed. */
static long next_part(const struct sysfs_ctx *parent, long from, char name[SYSFS_NAME_MAX],
                      struct sysfs_ctx *child, const struct sysfs_entry **entry)
{
    struct block_device *best = NULL;
    for (struct block_device *b = blkdev_next(NULL); b; b = blkdev_next(b))
        if (b->disk == parent->bdev && b->partno && b->nr_sectors && b->partno >= from &&
            (!best || b->partno < best->partno))
            best = b;
    return best ? bdev_child(best, &part_entry, name, child, entry, best->partno) : -1;
}

static const struct sysfs_entry disk_entries[] = {
    ATTR("dev", show_dev),
    ATTR("removable", show_removable),
    ATTR("ro", show_ro),
    ATTR("size", show_size),
};
static const struct sysfs_dir disk_dir = { disk_entries, ARRAY_SIZE(disk_entries), next_part };
static const struct sysfs_entry disk_entry = {
    .base = { "<disk>", S_IFDIR | 0555 }, .dir = &disk_dir,
};

/* The whole disks by index. */
static long next_disk(const struct sysfs_ctx *parent, long from, char name[SYSFS_NAME_MAX],
                      struct sysfs_ctx *child, const struct sysfs_entry **entry)
{
    (void)parent;
    struct block_device *best = NULL;
    for (struct block_device *b = blkdev_next(NULL); b; b = blkdev_next(b))
        if (!b->partno && b->disk_index >= from && b->disk_index < SYSFS_MAX_KEY &&
            (!best || b->disk_index < best->disk_index))
            best = b;
    return best ? bdev_child(best, &disk_entry, name, child, entry, best->disk_index) : -1;
}

const struct sysfs_dir sysfs_block_dir = { NULL, 0, next_disk };
