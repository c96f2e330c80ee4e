/* The verity target (Linux's dm-verity, Documentation/admin-guide/device-mapper/verity.rst):
 * a read-only device over a data device whose every block is checked, when read, against a
 * hash tree on a hash device and a trusted root digest from the table. The table and the tree
 * walk are lib/verity.c's (host-tested); here are the devices, the reads and the policy.
 *
 * A read fetches the data blocks straight into the request's buffer, then checks each; if one
 * does not match, the buffer is cleared and the read fails with -EIO (default), or the policy
 * logs and returns the data (ignore_corruption), restarts (restart_on_corruption) or panics
 * (panic_on_corruption). Each corrupt block is logged as Linux does,
 *   device-mapper: verity: 254:2: data block 1234 is corrupted
 * (the data device's major:minor; "metadata block" for the hash tree), at most 10 messages
 * per 5 seconds and 100 in all, then "reached maximum errors".
 *
 * The table's root digest is checked against the top of the tree when the device is made, so
 * a wrong root hash refuses the device at boot instead of failing every read. */
#include "kernel.h"
#include "mm.h"
#include "mutex.h"
#include "string.h"
#include "errno.h"
#include "time.h"
#include "kprintf.h"
#include "dm.h"

#define VERITY_CACHE_MAX 256            /* verified hash blocks kept (1 MiB at 4 KiB) */
#define VERITY_MAX_CORRUPTED_ERRS 100   /* Linux's DM_VERITY_MAX_CORRUPTED_ERRS */
#define VERITY_RATELIMIT_BURST 10       /* printk_ratelimit: 10 messages ... */
#define VERITY_RATELIMIT_NS (5ull * NSEC_PER_SEC)  /* ... per 5 seconds */

struct dm_verity {
    struct block_device *data_dev, *hash_dev;
    char data_name[16];                 /* "254:2", as Linux names the device in messages */
    struct verity_tree tree;
    struct verity_cached cache[VERITY_CACHE_MAX];
    struct mutex lock;                  /* the tree's cache, the bitmap, the counters */
    unsigned corrupted_errs;
    uint64_t rl_start;
    unsigned rl_count;
};

static int verity_read_hash(void *ctx, uint64_t block, void *buf)
{
    struct dm_verity *v = ctx;
    uint32_t bs = v->tree.p.hash_block_size;
    return blkdev_read(v->hash_dev, (block * bs) >> SECTOR_SHIFT, buf, bs);
}

static bool verity_ratelimit_ok(struct dm_verity *v)
{
    uint64_t now = ktime_mono_ns();
    if (!v->rl_start || now - v->rl_start >= VERITY_RATELIMIT_NS) {
        v->rl_start = now ? now : 1;
        v->rl_count = 0;
    }
    return v->rl_count++ < VERITY_RATELIMIT_BURST;
}

/* Linux's verity_handle_err(). */
static int verity_corrupted(void *ctx, enum verity_block_type type, uint64_t block)
{
    struct dm_verity *v = ctx;
    if (v->corrupted_errs < VERITY_MAX_CORRUPTED_ERRS) {
        v->corrupted_errs++;
        if (verity_ratelimit_ok(v))
            pr_err("device-mapper: verity: %s: %s block %llu is corrupted", v->data_name,
                   type == VERITY_BLOCK_DATA ? "data" : "metadata", (unsigned long long)block);
        if (v->corrupted_errs == VERITY_MAX_CORRUPTED_ERRS)
            pr_err("device-mapper: verity: %s: reached maximum errors", v->data_name);
    }
    switch (v->tree.p.mode) {
    case VERITY_MODE_LOGGING:
        return 0;
    case VERITY_MODE_RESTART:
        kernel_restart("dm-verity device corrupted");
    case VERITY_MODE_PANIC:
        panic("dm-verity device corrupted");
    default:
        return -EIO;
    }
}

static const struct verity_io verity_io_ops = {
    .read_hash = verity_read_hash,
    .corrupted = verity_corrupted,
};

static int verity_ctr(struct dm_device *md, char *args, const char **err)
{
    if (!md->read_only) {
        *err = "Device must be readonly";
        return -EINVAL;
    }
    struct verity_params p;
    int r = verity_parse_args(args, &p, err);
    if (r)
        return r;
    struct dm_verity *v = kzalloc(sizeof *v);
    if (!v) {
        *err = "Cannot allocate verity structure";
        return -ENOMEM;
    }
    mutex_init(&v->lock);
    v->data_dev = blkdev_resolve(p.data_dev);
    v->hash_dev = blkdev_resolve(p.hash_dev);
    if (!v->data_dev || !v->data_dev->nr_sectors) {
        *err = "Data device lookup failed";
        r = -EINVAL;
    } else if (!v->hash_dev || !v->hash_dev->nr_sectors) {
        *err = "Hash device lookup failed";
        r = -EINVAL;
    } else if (p.data_block_size < v->data_dev->disk->logical_block_size) {
        *err = "Invalid data device block size";
        r = -EINVAL;
    } else if (p.hash_block_size < v->hash_dev->disk->logical_block_size) {
        *err = "Invalid hash device block size";
        r = -EINVAL;
    } else if (p.data_blocks > v->data_dev->nr_sectors / (p.data_block_size >> SECTOR_SHIFT)) {
        *err = "Data device is too small";
        r = -EINVAL;
    } else if ((r = blkdev_claim(v->data_dev, md, BLK_CLAIM_BLOCK_WRITES))) {
        /* Held exclusively from here on, as Linux's dm_get_device: no mount, no O_EXCL or
         * write open of the partitions under the device (blkdev.h, "Exclusive claims"). */
        *err = "Data device lookup failed (busy)";
    } else if ((r = blkdev_claim(v->hash_dev, md, BLK_CLAIM_BLOCK_WRITES))) {
        blkdev_unclaim(v->data_dev, md, BLK_CLAIM_BLOCK_WRITES);
        *err = "Hash device lookup failed (busy)";
    }
    if (r) {
        kfree(v);
        return r;
    }
    ksnprintf(v->data_name, sizeof v->data_name, "%u:%u", MAJOR(v->data_dev->devt),
              MINOR(v->data_dev->devt));
    /* Cache buffers: the whole tree when it is small (it is for openv's root), else 256. */
    unsigned ncache = VERITY_CACHE_MAX;
    uint8_t *bitmap = NULL;
    if (p.check_at_most_once && !(bitmap = kzalloc(verity_bitmap_bytes(&p)))) {
        *err = "Cannot allocate bitmap";
        blkdev_unclaim(v->hash_dev, md, BLK_CLAIM_BLOCK_WRITES);
        blkdev_unclaim(v->data_dev, md, BLK_CLAIM_BLOCK_WRITES);
        kfree(v);
        return -ENOMEM;
    }
    r = verity_tree_init(&v->tree, &p, &verity_io_ops, v, v->cache, ncache, bitmap, err);
    if (!r && v->tree.hash_end >
                  v->hash_dev->nr_sectors / (p.hash_block_size >> SECTOR_SHIFT)) {
        *err = "Hash device is too small";
        r = -EINVAL;
    }
    if (!r) {
        ncache = (unsigned)MIN((uint64_t)VERITY_CACHE_MAX, v->tree.hash_end - p.hash_start);
        if (ncache == 0)
            ncache = 1;
        v->tree.cache_size = ncache;
        for (unsigned i = 0; i < ncache && !r; i++)
            if (!(v->cache[i].data = kmalloc(p.hash_block_size)))
                r = -ENOMEM;
        if (r)
            *err = "Cannot allocate hash block cache";
    }
    if (!r) {
        /* The root digest against the top of the tree, now (see above). */
        r = verity_check_root(&v->tree);
        if (r == -EIO)
            *err = "the root digest does not match the hash tree (wrong root hash, or a "
                   "corrupt hash device)";
        else if (r)
            *err = "cannot read the hash device";
    }
    if (r) {
        blkdev_unclaim(v->hash_dev, md, BLK_CLAIM_BLOCK_WRITES);
        blkdev_unclaim(v->data_dev, md, BLK_CLAIM_BLOCK_WRITES);
        for (unsigned i = 0; i < VERITY_CACHE_MAX; i++)
            kfree(v->cache[i].data);
        kfree(bitmap);
        kfree(v);
        return r;
    }
    blkdev_get(v->data_dev);
    blkdev_get(v->hash_dev);
    md->target = v;
    md->disk.logical_block_size = p.data_block_size;   /* as Linux's verity_io_hints */
    md->disk.nr_sectors = p.data_blocks * (p.data_block_size >> SECTOR_SHIFT);
    pr_info("device-mapper: verity: %s: %llu data blocks of %u bytes, %u tree levels, root %02x%02x%02x%02x...",
            v->data_name, (unsigned long long)p.data_blocks, p.data_block_size, v->tree.levels,
            p.root_digest[0], p.root_digest[1], p.root_digest[2], p.root_digest[3]);
    return 0;
}

static int verity_read(struct dm_device *md, uint64_t sector, void *buf, size_t len)
{
    struct dm_verity *v = md->target;
    uint32_t bs = v->tree.p.data_block_size;
    /* The block layer hands whole logical blocks (= data blocks), aligned. */
    if ((sector << SECTOR_SHIFT) % bs || len % bs)
        return -EINVAL;
    int err = blkdev_read(v->data_dev, sector, buf, len);
    if (err)
        return err;
    uint64_t first = (sector << SECTOR_SHIFT) / bs;
    mutex_lock(&v->lock);
    for (size_t off = 0; off < len && !err; off += bs)
        err = verity_verify_block(&v->tree, first + off / bs, (char *)buf + off);
    mutex_unlock(&v->lock);
    if (err)
        memset(buf, 0, len);        /* nobody sees unverified bytes, whatever they check */
    return err;
}

const struct dm_target_type dm_verity_target = {
    .name = "verity",
    .ctr = verity_ctr,
    .read = verity_read,
};
