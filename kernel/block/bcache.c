/* The buffer cache (semantics in blkdev.h).
 *
 * One spinlock (bc_lock) covers the hash, the LRU list, every disk's buffer list, and each
 * buffer's refcount and flags; it is never held across I/O. A buffer's BH_BUSY flag is its
 * I/O lock: whoever sets it owns bh->data's transfer until unlock_buffer(), and everyone else
 * who needs the buffer quiet waits on bc_wait. Buffers with references are never freed, which
 * is what lets the write-back loops drop bc_lock in the middle of a list walk and resume from
 * the buffer they hold.
 *
 * Only process context uses the cache (no interrupt handler takes bc_lock), and the kernel does
 * not preempt kernel code, so a plain spin_lock suffices.
 */
#include "kernel.h"
#include "blkdev.h"
#include "mm.h"
#include "string.h"
#include "blk.h"

#define BC_HASH_SIZE 512
#define BC_DEFAULT_LIMIT (4u << 20)
/* Eviction writes back at most this many dirty buffers per allocation before giving up and
 * exceeding the limit (a failing disk must not make every getblk loop). */
#define BC_EVICT_WRITES 8

static spinlock_t bc_lock = SPINLOCK_INIT("bcache");
static struct buffer_head *bc_hash[BC_HASH_SIZE];
static LIST_HEAD(bc_lru);
static struct wait_queue bc_wait = {
    .lock = SPINLOCK_INIT("bcache-wait"),
    .waiters = LIST_HEAD_INIT(bc_wait.waiters),
};
static size_t bc_limit = BC_DEFAULT_LIMIT;
static size_t bc_bytes, bc_count, bc_hits, bc_misses, bc_evictions;

static unsigned bc_hashfn(const struct block_device *disk, uint64_t sector)
{
    uint64_t h = ((uint64_t)(uintptr_t)disk >> 4) ^ (sector * 0x9e3779b97f4a7c15ull);
    return (unsigned)(h >> 32) % BC_HASH_SIZE;
}

/* ---- Lookup and lifetime (bc_lock held) ---- */

static struct buffer_head *bc_find(struct block_device *disk, uint64_t sector, uint32_t size)
{
    for (struct buffer_head *bh = bc_hash[bc_hashfn(disk, sector)]; bh; bh = bh->hash_next)
        if (bh->disk == disk && bh->disk_sector == sector && bh->size == size)
            return bh;
    return NULL;
}

static void bc_insert(struct buffer_head *bh)
{
    unsigned h = bc_hashfn(bh->disk, bh->disk_sector);
    bh->hash_next = bc_hash[h];
    bc_hash[h] = bh;
    list_add_tail(&bh->lru, &bc_lru);
    list_add_tail(&bh->disk_node, &bh->disk->buffers);
    bc_bytes += bh->size;
    bc_count++;
}

static void bc_unlink(struct buffer_head *bh)
{
    for (struct buffer_head **pp = &bc_hash[bc_hashfn(bh->disk, bh->disk_sector)]; *pp;
         pp = &(*pp)->hash_next) {
        if (*pp == bh) {
            *pp = bh->hash_next;
            break;
        }
    }
    list_del(&bh->lru);
    list_del(&bh->disk_node);
    bc_bytes -= bh->size;
    bc_count--;
}

static void bh_free(struct buffer_head *bh)
{
    kfree(bh->data);
    kfree(bh);
}

static bool bh_evictable(const struct buffer_head *bh)
{
    return bh->refcount == 0 && !(bh->flags & (BH_BUSY | BH_DIRTY));
}

/* ---- The buffer lock ---- */

static void lock_buffer(struct buffer_head *bh)
{
    for (;;) {
        spin_lock(&bc_lock);
        if (!(bh->flags & BH_BUSY)) {
            bh->flags |= BH_BUSY;
            spin_unlock(&bc_lock);
            return;
        }
        spin_unlock(&bc_lock);
        if (blk_can_sleep()) {
            struct wait_entry we;
            prepare_to_wait(&bc_wait, &we, TASK_UNINTERRUPTIBLE);
            if (READ_ONCE(bh->flags) & BH_BUSY)
                schedule();
            finish_wait(&bc_wait, &we);
        }
        /* Cannot sleep: early boot has one thread, so the holder is finishing in an
         * interrupt-free path of our own; just retry. */
    }
}

static void unlock_buffer(struct buffer_head *bh)
{
    spin_lock(&bc_lock);
    bh->flags &= ~BH_BUSY;
    spin_unlock(&bc_lock);
    wake_up(&bc_wait);
}

/* Write bh back if it is dirty (the caller holds a reference). The dirty bit is cleared
 * before the write starts, so a mark_buffer_dirty() during the write is not lost. On
 * failure the buffer is dirty again and the disk remembers the error for sync_dev. */
static int write_buffer(struct buffer_head *bh)
{
    lock_buffer(bh);
    spin_lock(&bc_lock);
    bool dirty = bh->flags & BH_DIRTY;
    bh->flags &= ~BH_DIRTY;
    spin_unlock(&bc_lock);
    int err = 0;
    if (dirty) {
        err = blkdev_write(bh->disk, bh->disk_sector, bh->data, bh->size);
        bool first = false;     /* log the first failure until sync_dev reports it */
        spin_lock(&bc_lock);
        if (err) {
            bh->flags |= BH_DIRTY | BH_WERR;
            first = bh->disk->wb_err == 0;
            bh->disk->wb_err = err;
        } else {
            bh->flags &= ~BH_WERR;
        }
        spin_unlock(&bc_lock);
        if (first)
            pr_err("%s: write-back of sector %llu failed (%d)\n", bh->disk->name,
                   (unsigned long long)bh->disk_sector, err);
    }
    unlock_buffer(bh);
    return err;
}

/* ---- Eviction ---- */

/* Make room for `need` more bytes: free least recently used clean buffers nobody holds,
 * writing back dirty ones first if that is all there is. If everything is in use the cache
 * grows past the limit. */
static void bc_shrink(size_t need)
{
    unsigned writes = 0;
    for (;;) {
        spin_lock(&bc_lock);
        if (bc_bytes + need <= bc_limit) {
            spin_unlock(&bc_lock);
            return;
        }
        struct buffer_head *bh, *victim = NULL, *dirty = NULL;
        list_for_each_entry(bh, &bc_lru, lru) {
            if (bh_evictable(bh)) {
                victim = bh;
                break;
            }
            /* A buffer whose last write failed is skipped: it would fail again. */
            if (!dirty && bh->refcount == 0 &&
                (bh->flags & (BH_DIRTY | BH_BUSY | BH_WERR)) == BH_DIRTY)
                dirty = bh;
        }
        if (victim) {
            bc_unlink(victim);
            bc_evictions++;
            spin_unlock(&bc_lock);
            bh_free(victim);
            continue;
        }
        if (!dirty || writes++ >= BC_EVICT_WRITES) {
            spin_unlock(&bc_lock);
            return;
        }
        dirty->refcount++;
        spin_unlock(&bc_lock);
        write_buffer(dirty);
        spin_lock(&bc_lock);
        dirty->refcount--;
        spin_unlock(&bc_lock);
    }
}

/* ---- The public calls ---- */

static bool valid_size(struct block_device *bdev, uint32_t size)
{
    return size >= SECTOR_SIZE && size <= 65536 && !(size & (size - 1)) &&
           size >= bdev->disk->logical_block_size;
}

struct buffer_head *getblk(struct block_device *bdev, uint64_t block, uint32_t size)
{
    if (!valid_size(bdev, size)) {
        pr_err("%s: bad buffer size %u\n", bdev->name, size);
        return NULL;
    }
    uint32_t spb = size >> SECTOR_SHIFT;
    uint64_t nblocks = bdev->nr_sectors / spb;
    if (block >= nblocks) {
        pr_err("%s: block %llu (size %u) is past the end of the device\n", bdev->name,
               (unsigned long long)block, size);
        return NULL;
    }
    struct block_device *disk = bdev->disk;
    uint64_t sector = bdev->start_sect + block * spb;

    spin_lock(&bc_lock);
    struct buffer_head *bh = bc_find(disk, sector, size);
    if (bh) {
        bh->refcount++;
        bc_hits++;
        spin_unlock(&bc_lock);
        return bh;
    }
    spin_unlock(&bc_lock);

    bc_shrink(size);
    struct buffer_head *nb = kzalloc(sizeof(*nb));
    void *data = nb ? kzalloc(size) : NULL;
    if (!data) {
        kfree(nb);
        pr_err("%s: out of memory for a %u-byte buffer\n", bdev->name, size);
        return NULL;
    }
    nb->data = data;
    nb->size = size;
    nb->blocknr = block;
    nb->bdev = bdev;
    nb->disk = disk;
    nb->disk_sector = sector;
    nb->refcount = 1;

    spin_lock(&bc_lock);
    /* Someone may have added it while we allocated. */
    bh = bc_find(disk, sector, size);
    if (bh) {
        bh->refcount++;
        bc_hits++;
    } else {
        bc_insert(nb);
        bc_misses++;
    }
    spin_unlock(&bc_lock);
    if (bh) {
        bh_free(nb);
        return bh;
    }
    return nb;
}

static bool bh_uptodate(struct buffer_head *bh)
{
    spin_lock(&bc_lock);
    bool ok = bh->flags & BH_UPTODATE;
    spin_unlock(&bc_lock);
    return ok;
}

struct buffer_head *bread(struct block_device *bdev, uint64_t block, uint32_t size)
{
    struct buffer_head *bh = getblk(bdev, block, size);
    if (!bh || bh_uptodate(bh))
        return bh;
    lock_buffer(bh);
    int err = 0;
    if (!bh_uptodate(bh)) {    /* another reader may have filled it while we waited */
        err = blkdev_read(bh->disk, bh->disk_sector, bh->data, size);
        if (!err)
            set_buffer_uptodate(bh);
    }
    unlock_buffer(bh);
    if (err) {
        pr_err("%s: read of block %llu (size %u) failed (%d)\n", bdev->name,
               (unsigned long long)block, size, err);
        brelse(bh);
        return NULL;
    }
    return bh;
}

void set_buffer_uptodate(struct buffer_head *bh)
{
    spin_lock(&bc_lock);
    bh->flags |= BH_UPTODATE;
    spin_unlock(&bc_lock);
}

void brelse(struct buffer_head *bh)
{
    if (!bh)
        return;
    spin_lock(&bc_lock);
    BUG_ON(bh->refcount == 0);
    bool last = --bh->refcount == 0;
    if (last) {
        /* Most recently used goes last. */
        list_del(&bh->lru);
        list_add_tail(&bh->lru, &bc_lru);
    }
    spin_unlock(&bc_lock);
    if (last)
        bc_shrink(0);
}

int bread_bytes(struct block_device *bdev, uint32_t bs, uint64_t off, void *buf, size_t len)
{
    while (len) {
        uint32_t in = (uint32_t)(off % bs);
        size_t n = MIN((size_t)(bs - in), len);
        struct buffer_head *bh = bread(bdev, off / bs, bs);
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

void mark_buffer_dirty(struct buffer_head *bh)
{
    spin_lock(&bc_lock);
    bh->flags |= BH_DIRTY | BH_UPTODATE;
    spin_unlock(&bc_lock);
}

int sync_dirty_buffer(struct buffer_head *bh)
{
    return write_buffer(bh);
}

/* Write back the dirty buffers of disk overlapping [first, first + nsect) (every buffer if
 * nsect is 0), waiting for any write-back already in progress. Returns the first error. */
static int writeback_disk(struct block_device *disk, uint64_t first, uint64_t nsect)
{
    int err = 0;
    spin_lock(&bc_lock);
    struct list_head *pos = disk->buffers.next;
    while (pos != &disk->buffers) {
        struct buffer_head *bh = list_entry(pos, struct buffer_head, disk_node);
        bool in_range = !nsect || (bh->disk_sector < first + nsect &&
                                   first < bh->disk_sector + (bh->size >> SECTOR_SHIFT));
        if (!in_range || !(bh->flags & (BH_DIRTY | BH_BUSY))) {
            pos = pos->next;
            continue;
        }
        /* Our reference keeps bh on the list, so its next pointer is valid afterwards. */
        bh->refcount++;
        spin_unlock(&bc_lock);
        int e = write_buffer(bh);
        if (e && !err)
            err = e;
        spin_lock(&bc_lock);
        bh->refcount--;
        pos = bh->disk_node.next;
    }
    spin_unlock(&bc_lock);
    return err;
}

int sync_dev(struct block_device *bdev)
{
    struct block_device *disk = bdev->disk;
    int err = writeback_disk(disk, 0, 0);
    int ferr = blkdev_flush(disk);
    if (!err)
        err = ferr;
    spin_lock(&bc_lock);
    if (!err)
        err = disk->wb_err;
    disk->wb_err = 0;
    spin_unlock(&bc_lock);
    return err;
}

int invalidate_bdev(struct block_device *bdev)
{
    struct block_device *disk = bdev->disk;
    int err = sync_dev(disk);
    struct buffer_head *bh, *tmp, *freelist = NULL;
    spin_lock(&bc_lock);
    list_for_each_entry_safe(bh, tmp, &disk->buffers, disk_node) {
        if (bh_evictable(bh)) {
            bc_unlink(bh);
            bh->hash_next = freelist;
            freelist = bh;
        }
    }
    spin_unlock(&bc_lock);
    while (freelist) {
        bh = freelist;
        freelist = bh->hash_next;
        bh_free(bh);
    }
    return err;
}

int sync_all_block_devices(void)
{
    int err = 0;
    for (struct block_device *b = blkdev_next(NULL); b; b = blkdev_next(b)) {
        /* An empty disk (an unbound loop device) holds nothing, and its driver would fail
         * the flush. */
        if (b->disk != b || b->nr_sectors == 0)
            continue;
        int e = sync_dev(b);
        if (e && !err)
            err = e;
    }
    return err;
}

int bcache_writeback_range(struct block_device *disk, uint64_t sector, uint64_t nsect)
{
    if (!nsect)
        return 0;
    return writeback_disk(disk->disk, sector, nsect);
}

void bcache_invalidate_range(struct block_device *disk, uint64_t sector, uint64_t nsect)
{
    struct buffer_head *bh, *tmp, *freelist = NULL;
    disk = disk->disk;
    spin_lock(&bc_lock);
    list_for_each_entry_safe(bh, tmp, &disk->buffers, disk_node) {
        if (bh->disk_sector >= sector + nsect ||
            sector >= bh->disk_sector + (bh->size >> SECTOR_SHIFT))
            continue;
        if (bh_evictable(bh)) {
            bc_unlink(bh);
            bh->hash_next = freelist;
            freelist = bh;
        } else if (!(bh->flags & (BH_DIRTY | BH_BUSY))) {
            bh->flags &= ~BH_UPTODATE;  /* held: the next bread reads the new data */
        }
    }
    spin_unlock(&bc_lock);
    while (freelist) {
        bh = freelist;
        freelist = bh->hash_next;
        bh_free(bh);
    }
}

void bcache_discard_disk(struct block_device *disk)
{
    struct buffer_head *bh, *tmp, *freelist = NULL;
    disk = disk->disk;
    spin_lock(&bc_lock);
    list_for_each_entry_safe(bh, tmp, &disk->buffers, disk_node) {
        if (bh->refcount == 0 && !(bh->flags & BH_BUSY)) {
            bc_unlink(bh);
            bh->hash_next = freelist;
            freelist = bh;
        } else if (!(bh->flags & BH_BUSY)) {
            bh->flags &= ~(BH_UPTODATE | BH_DIRTY | BH_WERR);
        }
    }
    spin_unlock(&bc_lock);
    while (freelist) {
        bh = freelist;
        freelist = bh->hash_next;
        bh_free(bh);
    }
}

bool bcache_disk_busy(struct block_device *disk)
{
    bool busy = false;
    struct buffer_head *bh;
    spin_lock(&bc_lock);
    list_for_each_entry(bh, &disk->buffers, disk_node)
        busy |= bh->refcount > 0;
    spin_unlock(&bc_lock);
    return busy;
}

void bcache_set_limit(size_t bytes)
{
    spin_lock(&bc_lock);
    bc_limit = bytes;
    spin_unlock(&bc_lock);
    bc_shrink(0);
}

void bcache_get_stats(struct bcache_stats *st)
{
    spin_lock(&bc_lock);
    st->buffers = bc_count;
    st->bytes = bc_bytes;
    st->hits = bc_hits;
    st->misses = bc_misses;
    st->evictions = bc_evictions;
    st->dirty = 0;
    struct buffer_head *bh;
    list_for_each_entry(bh, &bc_lru, lru)
        st->dirty += (bh->flags & BH_DIRTY) != 0;
    spin_unlock(&bc_lock);
}

int bcache_forget(struct block_device *bdev, uint64_t block, uint64_t n, uint32_t size,
                  bool write_dirty)
{
    struct block_device *disk = bdev->disk;
    uint64_t spb = size >> SECTOR_SHIFT;
    int err = 0;
    /* One hash probe per block: the filesystem uses one buffer size, and the data path must
     * not pay for a walk over every buffer of the disk. */
    for (uint64_t i = 0; i < n; i++) {
        uint64_t sector = bdev->start_sect + (block + i) * spb;
        spin_lock(&bc_lock);
        struct buffer_head *bh = bc_find(disk, sector, size);
        /* A write-back in progress finishes first: it must not land after our direct I/O. */
        if (bh && (bh->flags & (write_dirty ? BH_DIRTY | BH_BUSY : BH_BUSY))) {
            bh->refcount++;
            spin_unlock(&bc_lock);
            int e = 0;
            if (write_dirty) {
                e = write_buffer(bh);
            } else {
                lock_buffer(bh);
                unlock_buffer(bh);
            }
            if (e && !err)
                err = e;
            spin_lock(&bc_lock);
            bh->refcount--;
        }
        if (bh && !write_dirty && !(bh->flags & BH_BUSY))
            bh->flags &= ~(BH_DIRTY | BH_WERR);
        if (bh && bh_evictable(bh)) {
            bc_unlink(bh);
        } else {
            if (bh && !(bh->flags & (BH_BUSY | BH_DIRTY)))
                bh->flags &= ~BH_UPTODATE;
            bh = NULL;
        }
        spin_unlock(&bc_lock);
        if (bh)
            bh_free(bh);
    }
    return err;
}
