/* Partitions: read a disk's GPT (kernel/lib/gpt.c does the validation) and register each
 * partition 1..15 as a block device that offsets into the disk. A table that fails both the
 * primary and the backup checks is reported and not trusted: no partitions. */
#include "kernel.h"
#include "blkdev.h"
#include "mm.h"
#include "string.h"
#include "gpt.h"
#include "blk.h"

static int gpt_io_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
    struct block_device *disk = ctx;
    uint32_t spb = disk->logical_block_size >> SECTOR_SHIFT;
    return blkdev_read(disk, lba * spb, buf, (size_t)count * disk->logical_block_size);
}

/* "vda" + 2 -> "vda2"; a name ending in a digit takes a 'p' ("nvme0n1p2"), as in Linux. */
static void part_name(char *out, const char *disk, unsigned n)
{
    size_t len = strlen(disk);
    memcpy(out, disk, len);
    if (len && disk[len - 1] >= '0' && disk[len - 1] <= '9')
        out[len++] = 'p';
    if (n >= 10)
        out[len++] = (char)('0' + n / 10);
    out[len++] = (char)('0' + n % 10);
    out[len] = '\0';
}

/* Register partition p of disk, or update the device already registered for its number
 * (a rescan). */
static void add_partition(struct block_device *disk, const struct gpt_part *p)
{
    uint32_t spb = disk->logical_block_size >> SECTOR_SHIFT;
    dev_t devt = disk->devt + p->number;
    struct block_device *b = blkdev_lookup_by_devt(devt);
    bool fresh = !b;
    if (fresh) {
        b = kzalloc(sizeof(*b));
        if (!b) {
            pr_err("%s: out of memory for partition %u\n", disk->name, p->number);
            return;
        }
        if (strlen(disk->name) + 3 >= BDEVNAME_LEN) {
            kfree(b);
            return;
        }
        part_name(b->name, disk->name, p->number);
        b->devt = devt;
        b->disk = disk;
        b->partno = p->number;
        list_init(&b->buffers);
    }
    b->start_sect = p->first_lba * spb;
    b->nr_sectors = (p->last_lba - p->first_lba + 1) * spb;
    b->logical_block_size = disk->logical_block_size;
    b->read_only = disk->read_only;
    b->volatile_cache = disk->volatile_cache;
    b->max_transfer = disk->max_transfer;
    b->has_uuid = true;
    b->part_uuid = p->uuid;
    b->part_type = p->type;
    memcpy(b->label, p->name, sizeof b->label);
    if (fresh && blkdev_add(b)) {
        pr_err("%s: cannot register %s\n", disk->name, b->name);
        kfree(b);
        return;
    }
    char uuid[GPT_GUID_STR_LEN + 1];
    gpt_guid_to_str(&p->uuid, uuid);
    pr_info("%s: %s: sectors %llu..%llu (%llu MiB) PARTUUID=%s \"%s\"\n", disk->name, b->name,
            (unsigned long long)b->start_sect,
            (unsigned long long)(b->start_sect + b->nr_sectors - 1),
            (unsigned long long)(b->nr_sectors >> 11), uuid, b->label);
}

/* After a rescan: partitions of this disk no longer in the table become empty (they stay
 * registered, since nothing is ever unregistered, but all I/O on them fails). */
static void drop_missing(struct block_device *disk, const struct gpt_part *parts, unsigned n)
{
    for (struct block_device *b = blkdev_next(NULL); b; b = blkdev_next(b)) {
        if (b->disk != disk || b == disk || !b->nr_sectors)
            continue;
        bool present = false;
        for (unsigned i = 0; i < n; i++)
            present |= parts[i].number == b->partno;
        if (!present) {
            b->nr_sectors = 0;
            b->has_uuid = false;
            pr_info("%s: %s removed from the partition table\n", disk->name, b->name);
        }
    }
}

int blk_scan_partitions(struct block_device *disk)
{
    struct gpt_io io = {
        .read = gpt_io_read,
        .alloc = kmalloc,
        .free = kfree,
        .ctx = disk,
        .sector_size = disk->logical_block_size,
        .disk_sectors = disk->nr_sectors / (disk->logical_block_size >> SECTOR_SHIFT),
    };
    /* Collect every used entry: numbers above 15 are reported, not registered. */
    enum { MAX_SCAN = 128 };
    struct gpt_part *parts = kmalloc(MAX_SCAN * sizeof(*parts));
    if (!parts)
        return -ENOMEM;
    struct gpt_table t;
    int err = gpt_read(&io, &t, parts, MAX_SCAN);
    if (err == -ENOENT) {
        pr_info("%s: no partition table\n", disk->name);
        drop_missing(disk, parts, 0);
        kfree(parts);
        return 0;
    }
    if (err) {
        if (t.found)
            pr_err("%s: GPT: primary and backup tables are both invalid (%d): "
                   "not using them, no partitions\n", disk->name, err);
        else
            pr_err("%s: cannot read the partition table (%d)\n", disk->name, err);
        drop_missing(disk, parts, 0);
        kfree(parts);
        return err;
    }
    if (t.using_backup)
        pr_warn("%s: GPT: the primary table is invalid; using the backup at LBA %llu\n",
                disk->name, (unsigned long long)t.hdr.my_lba);
    else if (!t.backup_ok)
        pr_warn("%s: GPT: the backup table is invalid (the primary is fine)\n", disk->name);
    pr_info("%s: GPT: %u partition%s\n", disk->name, t.nparts, t.nparts == 1 ? "" : "s");

    unsigned n = 0;
    for (unsigned i = 0; i < t.stored; i++) {
        if (parts[i].number > BLK_MAX_PARTS) {
            pr_warn("%s: partition %u ignored (only 1..%u have device numbers)\n",
                    disk->name, parts[i].number, BLK_MAX_PARTS);
            continue;
        }
        add_partition(disk, &parts[i]);
        parts[n++] = parts[i];
    }
    drop_missing(disk, parts, n);
    kfree(parts);
    return 0;
}
