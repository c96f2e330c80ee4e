/* Block device registry and synchronous I/O: requests are checked against the device,
 * offset into the whole disk for partitions, split to the driver's transfer limit, submitted
 * and waited for (sleeping on the request, or polling the driver before the scheduler runs). */
#include "ratelimit.h"
#include "kernel.h"
#include "blkdev.h"
#include "mm.h"
#include "string.h"
#include "kprintf.h"
#include "blk.h"

spinlock_t blk_registry_lock = SPINLOCK_INIT("blkdev");
LIST_HEAD(blk_registry);

/* ---- Completion and waiting ---- */

/* The waiter's request usually lives on its stack: everything the completer touches is done
 * under rq->wait.lock, and the waiter takes that lock once before returning, so the request
 * cannot disappear under a completer on another hart. */
void blk_complete(struct blk_request *rq, int status)
{
    irqflags_t f = spin_lock_irqsave(&rq->wait.lock);
    rq->status = status;
    WRITE_ONCE(rq->done, true);
    struct wait_entry *e;
    list_for_each_entry(e, &rq->wait.waiters, node)
        wake_up_process(e->task);
    spin_unlock_irqrestore(&rq->wait.lock, f);
}

static void blk_wait(struct block_device *disk, struct blk_request *rq)
{
    while (!READ_ONCE(rq->done)) {
        if (disk->irq_driven && blk_can_sleep()) {
            /* Uninterruptible: a signal must not abandon a buffer the device still owns. */
            struct wait_entry we;
            prepare_to_wait(&rq->wait, &we, TASK_UNINTERRUPTIBLE);
            if (!READ_ONCE(rq->done))
                schedule();
            finish_wait(&rq->wait, &we);
        } else if (disk->ops->poll) {
            disk->ops->poll(disk);
        }
    }
    irqflags_t f = spin_lock_irqsave(&rq->wait.lock);
    spin_unlock_irqrestore(&rq->wait.lock, f);
}

/* Submit one request and wait for it: the request's status. */
static int blk_execute(struct block_device *disk, enum blk_op op, uint64_t sector, void *buf,
                       size_t len)
{
    struct blk_request rq;
    memset(&rq, 0, sizeof rq);
    rq.op = op;
    rq.sector = sector;
    rq.buf = buf;
    rq.len = len;
    wait_queue_init(&rq.wait);
    int err = disk->ops->submit(disk, &rq);
    if (err)
        return err;
    blk_wait(disk, &rq);
    return rq.status;
}

/* ---- Synchronous I/O ---- */

static int blk_check(struct block_device *bdev, uint64_t sector, size_t len)
{
    struct block_device *disk = bdev->disk;
    uint32_t lbs_sect = disk->logical_block_size >> SECTOR_SHIFT;
    if (!disk->ops || !disk->ops->submit)
        return -ENXIO;
    if (len % disk->logical_block_size || (bdev->start_sect + sector) % lbs_sect)
        return -EINVAL;
    uint64_t nsect = bytes_to_sectors(len);
    if (sector > bdev->nr_sectors || nsect > bdev->nr_sectors - sector)
        return -EINVAL;
    return 0;
}

static int blk_rw(struct block_device *bdev, enum blk_op op, uint64_t sector, void *buf,
                  size_t len)
{
    int err = blk_check(bdev, sector, len);
    if (err)
        return err;
    struct block_device *disk = bdev->disk;
    if (op == BLK_OP_WRITE && (disk->read_only || bdev->read_only))
        return -EROFS;
    uint64_t abs = bdev->start_sect + sector;
    size_t max = disk->max_transfer ? disk->max_transfer : 65536;
    max -= max % disk->logical_block_size;
    if (max == 0)
        max = disk->logical_block_size;
    while (len) {
        size_t n = MIN(len, max);
        err = blk_execute(disk, op, abs, buf, n);
        if (err)
            return err;
        abs += bytes_to_sectors(n);
        buf = (char *)buf + n;
        len -= n;
    }
    return 0;
}

int blkdev_read(struct block_device *bdev, uint64_t sector, void *buf, size_t len)
{
    return blk_rw(bdev, BLK_OP_READ, sector, buf, len);
}

int blkdev_write(struct block_device *bdev, uint64_t sector, const void *buf, size_t len)
{
    return blk_rw(bdev, BLK_OP_WRITE, sector, (void *)buf, len);
}

int blkdev_flush(struct block_device *bdev)
{
    struct block_device *disk = bdev->disk;
    /* An empty disk (an unbound loop device) caches nothing: Linux's queue has no write
     * cache then and completes the flush at once. */
    if (!disk->volatile_cache || disk->read_only || disk->nr_sectors == 0)
        return 0;
    if (!disk->ops || !disk->ops->submit)
        return -ENXIO;
    int err = blk_execute(disk, BLK_OP_FLUSH, 0, NULL, 0);
    if (err)     /* fsync and sync(2) reach here from any process: not a console flood */
        pr_err_ratelimited("%s: flush failed (%d)\n", disk->name, err);
    return err;
}

/* ---- Exclusive claims (blkdev.h) ---- */

static spinlock_t blk_claim_lock = SPINLOCK_INIT("blkclaim");
/* The holder of a whole disk one of whose partitions is claimed (Linux's bd_may_claim
 * marker); its `holders` counts those partition claims. */
static const char part_held_marker;
#define PART_HELD ((void *)&part_held_marker)

/* Linux's bd_may_claim(). */
static bool may_claim(struct block_device *bdev, void *holder)
{
    struct block_device *whole = bdev->disk;
    if (bdev->holder == holder)
        return true;
    if (bdev->holder)
        return false;
    if (whole == bdev)
        return true;
    return !whole->holder || whole->holder == PART_HELD;
}

int blkdev_claim(struct block_device *bdev, void *holder, unsigned flags)
{
    struct block_device *whole = bdev->disk;
    bool write = flags & BLK_CLAIM_WRITE, block_writes = flags & BLK_CLAIM_BLOCK_WRITES;
    int err = 0;
    spin_lock(&blk_claim_lock);
    if (write && bdev->holder_blocks_writes && bdev->holder != holder)
        err = -EBUSY;       /* held by dm-verity: no writer but the holder */
    else if (holder && !may_claim(bdev, holder))
        err = -EBUSY;
    else if (block_writes && bdev->writers > 0)
        err = -EBUSY;       /* someone has it open for writing */
    if (!err) {
        if (holder) {
            if (!bdev->holder)
                bdev->holder_blocks_writes = false;
            bdev->holder = holder;
            bdev->holders++;
            bdev->holder_blocks_writes |= block_writes;
            if (whole != bdev) {
                if (!whole->holder)
                    whole->holder = PART_HELD;
                whole->holders++;       /* whole->holder is PART_HELD: may_claim said so */
            }
        }
        if (write)
            bdev->writers++;
    }
    spin_unlock(&blk_claim_lock);
    return err;
}

void blkdev_unclaim(struct block_device *bdev, void *holder, unsigned flags)
{
    struct block_device *whole = bdev->disk;
    spin_lock(&blk_claim_lock);
    if (flags & BLK_CLAIM_WRITE)
        bdev->writers--;
    if (holder && bdev->holder == holder) {
        if (--bdev->holders == 0) {
            bdev->holder = NULL;
            bdev->holder_blocks_writes = false;
        }
        if (whole != bdev && whole->holder == PART_HELD && --whole->holders == 0)
            whole->holder = NULL;
    }
    spin_unlock(&blk_claim_lock);
}

static bool partition_held(struct block_device *disk)
{
    spin_lock(&blk_claim_lock);
    bool held = disk->holder == PART_HELD;
    spin_unlock(&blk_claim_lock);
    return held;
}

bool blkdev_claimed(struct block_device *bdev, void *holder)
{
    spin_lock(&blk_claim_lock);
    bool held = bdev->holder && bdev->holder != holder;
    spin_unlock(&blk_claim_lock);
    return held;
}

/* ---- Registry ---- */

int blkdev_add(struct block_device *bdev)
{
    spin_lock(&blk_registry_lock);
    struct block_device *o;
    list_for_each_entry(o, &blk_registry, node) {
        if (o->devt == bdev->devt || strcmp(o->name, bdev->name) == 0) {
            spin_unlock(&blk_registry_lock);
            return -EEXIST;
        }
    }
    list_add_tail(&bdev->node, &blk_registry);
    spin_unlock(&blk_registry_lock);
    int err = devfs_register_blkdev(bdev->name, bdev->devt);
    if (err)
        pr_warn("%s: cannot create /dev/%s (%d)\n", bdev->name, bdev->name, err);
    return 0;
}

int blkdev_register_disk(struct block_device *disk)
{
    uint32_t lbs = disk->logical_block_size;
    if (!disk->name[0] || !disk->ops || !disk->ops->submit || lbs < SECTOR_SIZE ||
        lbs > 65536 || (lbs & (lbs - 1)) || disk->nr_sectors % (lbs >> SECTOR_SHIFT))
        return -EINVAL;
    disk->disk = disk;
    disk->start_sect = 0;
    disk->partno = 0;
    disk->has_uuid = false;
    disk->wb_err = 0;
    list_init(&disk->buffers);
    if (disk->max_transfer < lbs)
        disk->max_transfer = lbs;
    disk->max_transfer -= disk->max_transfer % lbs;
    disk->openers = 0;
    disk->holder = NULL;
    disk->holders = disk->writers = 0;
    disk->holder_blocks_writes = false;
    int err = blkdev_add(disk);
    if (err)
        return err;
    if (!disk->no_partscan)
        blk_scan_partitions(disk);
    devfs_probe_labels(disk);
    return 0;
}

int blkdev_rescan(struct block_device *disk)
{
    disk = disk->disk;
    if (disk->no_partscan)
        return -EINVAL;         /* Linux: a disk without partition support */
    /* A claimed partition (dm-verity's, a mount's) must not move under its holder. */
    if (bcache_disk_busy(disk) || partition_held(disk))
        return -EBUSY;
    int err = invalidate_bdev(disk);
    if (err)
        return err;
    return blk_scan_partitions(disk);
}

/* Find the first registered device matching pred(dev, arg). */
static struct block_device *blk_find(bool (*pred)(struct block_device *, const void *),
                                     const void *arg)
{
    struct block_device *found = NULL, *b;
    spin_lock(&blk_registry_lock);
    list_for_each_entry(b, &blk_registry, node) {
        if (pred(b, arg)) {
            found = b;
            break;
        }
    }
    spin_unlock(&blk_registry_lock);
    return found;
}

static bool match_name(struct block_device *b, const void *arg)
{
    return strcmp(b->name, arg) == 0;
}

static bool match_devt(struct block_device *b, const void *arg)
{
    return b->devt == *(const dev_t *)arg;
}

static bool match_uuid(struct block_device *b, const void *arg)
{
    return b->has_uuid && b->nr_sectors && gpt_guid_equal(&b->part_uuid, arg);
}

static bool match_label(struct block_device *b, const void *arg)
{
    return b->partno && b->nr_sectors && strcmp(b->label, arg) == 0;
}

struct block_device *blkdev_lookup_by_name(const char *name)
{
    if (strncmp(name, "/dev/", 5) == 0)
        name += 5;
    return blk_find(match_name, name);
}

struct block_device *blkdev_lookup_by_devt(dev_t devt)
{
    return blk_find(match_devt, &devt);
}

struct block_device *blkdev_lookup_by_partuuid(const char *uuid)
{
    struct gpt_guid g;
    if (gpt_guid_parse(uuid, strlen(uuid), &g))
        return NULL;
    return blk_find(match_uuid, &g);
}

struct block_device *blkdev_lookup_by_label(const char *label)
{
    return blk_find(match_label, label);
}

/* "major:minor" in decimal; false if s is not exactly that. */
static bool parse_devnum(const char *s, dev_t *out)
{
    unsigned long v[2] = { 0, 0 };
    int field = 0;
    bool digit = false;
    for (; *s; s++) {
        if (*s == ':' && field == 0 && digit) {
            field = 1;
            digit = false;
        } else if (*s >= '0' && *s <= '9' && v[field] < 0x100000) {
            v[field] = v[field] * 10 + (unsigned long)(*s - '0');
            digit = true;
        } else {
            return false;
        }
    }
    if (field != 1 || !digit)
        return false;
    *out = MKDEV(v[0], v[1]);
    return true;
}

struct block_device *blkdev_resolve(const char *spec)
{
    dev_t devt;
    if (strncmp(spec, "PARTUUID=", 9) == 0)
        return blkdev_lookup_by_partuuid(spec + 9);
    if (strncmp(spec, "PARTLABEL=", 10) == 0)
        return blkdev_lookup_by_label(spec + 10);
    if (parse_devnum(spec, &devt))
        return blkdev_lookup_by_devt(devt);
    return blkdev_lookup_by_name(spec);
}

struct block_device *blkdev_next(struct block_device *prev)
{
    struct block_device *next = NULL;
    spin_lock(&blk_registry_lock);
    struct list_head *pos = prev ? prev->node.next : blk_registry.next;
    if (pos != &blk_registry)
        next = list_entry(pos, struct block_device, node);
    spin_unlock(&blk_registry_lock);
    return next;
}

int blkdev_partitions_show(char *buf, size_t size)
{
    size_t len = 0;
#define EMIT(...) (len += (size_t)ksnprintf(len < size ? buf + len : NULL,                  \
                                            len < size ? size - len : 0, __VA_ARGS__))
    EMIT("major minor  #blocks  name\n\n");
    for (struct block_device *b = blkdev_next(NULL); b; b = blkdev_next(b))
        if (b->nr_sectors)      /* Linux leaves out empty disks (unbound loop devices) */
            EMIT("%4u  %7u %10llu %s\n", MAJOR(b->devt), MINOR(b->devt),
                 (unsigned long long)(b->nr_sectors >> 1), b->name);
#undef EMIT
    return (int)len;
}
