/* The block layer: block devices (disks and their partitions), synchronous sector I/O, the
 * buffer cache filesystems read metadata through, and the /dev/vd* file operations.
 *
 * Units. A "sector" is always 512 bytes (as in Linux and virtio), whatever the device's
 * logical block size; every transfer must still be a whole number of logical blocks, aligned
 * to one. A buffer-cache "block" is `size` bytes: block n covers bytes [n*size, (n+1)*size) of
 * the device it was read through.
 *
 * Context. Everything here may sleep (process context) except blk_complete(), which drivers
 * call from their interrupt handler. Before the scheduler runs (no `current`) or with
 * interrupts off, waits poll the driver instead of sleeping, so the same calls work during
 * early boot.
 *
 * Memory. Buffers handed to the block layer must be kernel memory in the direct map
 * (kmalloc, page_alloc, kernel stacks, kernel .data/.bss): drivers translate them with
 * va_to_pa() page by page. They need not be aligned or physically contiguous beyond a page.
 */
#pragma once
#include "types.h"
#include "list.h"
#include "spinlock.h"
#include "sched.h"
#include "gpt.h"

#define SECTOR_SHIFT 9
#define SECTOR_SIZE 512u
#define BDEVNAME_LEN 16
#define VIRTBLK_MAJOR 254           /* Linux's dynamic major for virtblk */
#define BLK_PART_SHIFT 4            /* minors per disk: 16 = whole disk + partitions 1..15 */
#define BLK_MAX_PARTS ((1u << BLK_PART_SHIFT) - 1)

struct block_device;
struct file;

/* ---- Requests (the driver interface) ---- */

enum blk_op {
    BLK_OP_READ,        /* device -> buf */
    BLK_OP_WRITE,       /* buf -> device */
    BLK_OP_FLUSH,       /* make every completed write durable; sector/buf/len unused */
    BLK_OP_GET_ID,      /* device serial string into buf (up to 20 bytes), if supported */
};

struct blk_request {
    enum blk_op op;
    uint64_t sector;            /* 512-byte sector on the whole disk */
    void *buf;
    size_t len;                 /* bytes: whole logical blocks, at most disk->max_transfer */
    /* Completion, written by blk_complete(): */
    int status;                 /* 0, -EIO, -EOPNOTSUPP, -EROFS, ... */
    volatile bool done;
    struct wait_queue wait;
    void *driver_data;          /* the driver's, while the request is in flight */
};

struct blkdev_ops {
    /* The driver, as Linux's root-mount diagnostics name it ("virtio_blk", "loop"). NULL:
     * "(driver?)". */
    const char *driver;
    /* Queue rq on the disk. May sleep (or, in polled mode, poll) until the device has room.
     * Returns 0 and later calls blk_complete(rq) exactly once (possibly before returning), or
     * returns -errno without calling it. Several requests may be in flight at once. */
    int (*submit)(struct block_device *disk, struct blk_request *rq);
    /* Reap finished requests without interrupts (early boot). NULL: interrupts only. */
    void (*poll)(struct block_device *disk);
    /* The disk's last opener went away (blkdev_put). NULL: nothing to do. A loop device
     * detaches here when it is set to autoclear. Process context, no block-layer lock held. */
    void (*release)(struct block_device *disk);
    /* Driver ioctls on a device file of the disk (`bdev` is the one opened), for commands the
     * block layer does not know. NULL: -ENOTTY. */
    long (*ioctl)(struct block_device *bdev, struct file *f, unsigned int cmd, unsigned long arg);
};

/* Drivers: report rq finished (any context, interrupts included). */
void blk_complete(struct blk_request *rq, int status);

/* ---- Block devices ---- */

struct block_device {
    char name[BDEVNAME_LEN];        /* "vda", "vda2" */
    dev_t devt;                     /* MKDEV(254, 16 * disk index + partno) for virtio */
    uint64_t nr_sectors;            /* size in 512-byte sectors */
    uint32_t logical_block_size;    /* 512, 1024, 2048 or 4096 */
    bool read_only;                 /* writes fail with -EROFS */
    bool volatile_cache;            /* needs BLK_OP_FLUSH for durability (virtio FLUSH) */
    uint32_t max_transfer;          /* bytes per request (a multiple of logical_block_size) */
    bool irq_driven;                /* completions arrive by interrupt: waiters may sleep
                                     * (false: every wait polls ops->poll) */

    struct block_device *disk;      /* the whole disk (itself for a disk) */
    uint64_t start_sect;            /* partition: first sector on the disk (0 for a disk) */
    unsigned partno;                /* 0 for a disk */
    bool has_uuid;
    struct gpt_guid part_uuid;      /* partition: GPT unique GUID (PARTUUID) */
    struct gpt_guid part_type;
    char label[GPT_NAME_LEN];       /* partition: GPT name (PARTLABEL) */

    /* Exclusive claims (Linux's bd_holder; blkdev_claim below), under a block-layer lock. */
    void *holder;                   /* who holds the device exclusively; NULL: nobody */
    int holders;                    /* claims by that holder */
    bool holder_blocks_writes;      /* the holder refuses other writers (dm-verity) */
    int writers;                    /* device files open for writing */

    /* Whole disks only. */
    const struct blkdev_ops *ops;
    void *driver_data;
    struct list_head buffers;       /* buffer cache entries (bcache.c) */
    int wb_err;                     /* failed background writeback, reported by sync_dev */
    unsigned disk_index;
    bool no_partscan;               /* never read a partition table (loop devices) */
    bool open_empty;                /* may be opened while its size is 0 (an unbound loop) */
    int openers;                    /* open files and mounted filesystems on the disk or its
                                     * partitions (blkdev_get/blkdev_put; atomic) */

    struct list_head node;          /* the registry */
};

/* Register a whole disk the driver has filled in (name, devt, nr_sectors, logical_block_size,
 * read_only, volatile_cache, max_transfer, irq_driven, ops, driver_data), then read its GPT
 * and register partitions 1..15 as "<name><n>" (devt + n). A corrupt GPT is logged and no
 * partitions are registered; the disk itself still is. Returns 0 or -errno (-EEXIST, -EINVAL). */
int blkdev_register_disk(struct block_device *disk);
/* Re-read the partition table (BLKRRPART): -EBUSY while a partition has cache buffers in
 * use. */
int blkdev_rescan(struct block_device *disk);
/* Openers: a device file open and a mounted filesystem each hold the device (counted on its
 * whole disk), so a driver can tell whether it is in use; the put that drops the count to 0
 * calls ops->release. */
static inline void blkdev_get(struct block_device *bdev)
{
    __atomic_add_fetch(&bdev->disk->openers, 1, __ATOMIC_ACQ_REL);
}

static inline void blkdev_put(struct block_device *bdev)
{
    struct block_device *disk = bdev->disk;
    if (__atomic_sub_fetch(&disk->openers, 1, __ATOMIC_ACQ_REL) == 0 && disk->ops &&
        disk->ops->release)
        disk->ops->release(disk);
}

static inline int blkdev_openers(struct block_device *bdev)
{
    return __atomic_load_n(&bdev->disk->openers, __ATOMIC_RELAXED);
}

/* Exclusive claims, Linux's bd_claim/FMODE_EXCL (blkdev_get_by_dev with a holder): a device
 * is held by at most one holder at a time, any number of times by it; a partition claimed
 * marks its whole disk as held too (the disk cannot be claimed, nor its partition table
 * re-read, while a partition is held), and a claimed whole disk keeps its partitions from
 * being claimed. Holders: dm-verity for its data and hash devices (the dm device), a mounted
 * filesystem for its device (the filesystem type: mounts of one type share the device, as in
 * Linux), a device file opened with O_EXCL (the file).
 *
 * BLK_CLAIM_BLOCK_WRITES (dm-verity's): while held so, the device cannot be opened for
 * writing by anyone (-EBUSY; Linux with CONFIG_BLK_DEV_WRITE_MOUNTED off), and it cannot be
 * claimed so while a device file has it open for writing. Plain read-only opens stay allowed.
 * BLK_CLAIM_WRITE: the claimer itself writes (a device file opened for writing; counted so
 * that a writes-blocking claim sees it). A NULL holder is a plain open: no claim, only the
 * writer rules.
 * 0 or -EBUSY; blkdev_unclaim takes the same holder and flags. */
#define BLK_CLAIM_WRITE 1u
#define BLK_CLAIM_BLOCK_WRITES 2u
int blkdev_claim(struct block_device *bdev, void *holder, unsigned flags);
void blkdev_unclaim(struct block_device *bdev, void *holder, unsigned flags);
/* The device is claimed by someone other than `holder` (NULL: by anyone). */
bool blkdev_claimed(struct block_device *bdev, void *holder);

/* Lookups (NULL if none). Devices are never unregistered, so the pointers stay valid. */
struct block_device *blkdev_lookup_by_name(const char *name);      /* "vda2" or "/dev/vda2" */
struct block_device *blkdev_lookup_by_devt(dev_t devt);
struct block_device *blkdev_lookup_by_partuuid(const char *uuid);  /* text, either case */
struct block_device *blkdev_lookup_by_label(const char *label);    /* GPT partition name */
/* A root= style specification: "PARTUUID=<guid>", "PARTLABEL=<name>", "/dev/vda2", "vda2",
 * or "254:2" (major:minor). */
struct block_device *blkdev_resolve(const char *spec);
/* Iterate over every device in registration order: pass NULL to start. */
struct block_device *blkdev_next(struct block_device *prev);
/* /proc/partitions text (Linux's format: header, then "major minor #blocks name" per disk and
 * partition): into buf, returns the full length (may exceed size, like snprintf). */
int blkdev_partitions_show(char *buf, size_t size);

/* ---- Synchronous I/O (process context; polled before the scheduler runs) ---- */

/* `sector` is relative to bdev (a partition's sector 0 is its first sector). len must be a
 * multiple of the logical block size and sector aligned to it; the range must lie inside the
 * device (-EINVAL otherwise). Long transfers are split. Writes to a read-only device fail with
 * -EROFS. These bypass the buffer cache. 0 or -errno. */
int blkdev_read(struct block_device *bdev, uint64_t sector, void *buf, size_t len);
int blkdev_write(struct block_device *bdev, uint64_t sector, const void *buf, size_t len);
/* Ask the disk to make completed writes durable (BLK_OP_FLUSH); 0 at once if it has no
 * volatile cache. Does not write back the buffer cache: see sync_dev. */
int blkdev_flush(struct block_device *bdev);

/* ---- The buffer cache ----
 *
 * Buffers are shared by key (whole disk, byte offset, size): reading block 1 of vda2 and the
 * corresponding block of vda gives the same buffer. A filesystem should use one block size per
 * device; buffers of different sizes over the same bytes are not kept coherent with each other.
 *
 * The cache holds at most bcache_limit bytes of buffers nobody holds (LRU eviction, dirty ones
 * written back first); buffers in use are never evicted, so the total may exceed the limit
 * while callers hold many.
 */
struct buffer_head {
    void *data;                     /* `size` bytes, valid while BH_UPTODATE */
    uint32_t size;
    uint64_t blocknr;               /* in `size` units, on `bdev` */
    struct block_device *bdev;      /* the device it was first asked for through (a buffer
                                     * is shared with the disk and its partitions) */

    /* Private to bcache.c. */
    struct block_device *disk;
    uint64_t disk_sector;           /* key: first sector on the disk */
    unsigned refcount;
    unsigned flags;
    uint64_t sync_gen;
    struct list_head lru;           /* all unused-or-used buffers, least recently used first */
    struct list_head disk_node;     /* disk->buffers */
    struct buffer_head *hash_next;
};
#define BH_UPTODATE 1u              /* data matches the device (or is newer: BH_DIRTY) */
#define BH_DIRTY 2u                 /* data must be written back */
#define BH_BUSY 4u                  /* I/O in progress (the buffer lock) */
#define BH_WERR 8u                  /* the last write-back failed (eviction skips it) */

/* The buffer for `block` (size bytes: a power of two, 512..65536, at least the logical block
 * size), read from the device if not cached. Returns it with a reference, or NULL on an I/O
 * error, a block past the end of the device, a bad size, or no memory (the reason is logged).
 * Release with brelse(). */
struct buffer_head *bread(struct block_device *bdev, uint64_t block, uint32_t size);
/* Like bread, but without reading: for a block the caller will overwrite entirely. The data
 * is what was cached, or zeros; call set_buffer_uptodate() after filling it. */
struct buffer_head *getblk(struct block_device *bdev, uint64_t block, uint32_t size);
void set_buffer_uptodate(struct buffer_head *bh);
/* Drop a reference (NULL is ignored). The buffer stays cached. */
void brelse(struct buffer_head *bh);
/* Any byte range through the cache, in blocks of bs bytes as bread takes them: 0 or -EIO. */
int bread_bytes(struct block_device *bdev, uint32_t bs, uint64_t off, void *buf, size_t len);
/* The caller changed bh->data: it will be written back by sync_dev, sync_dirty_buffer, or
 * eviction. Modify the data first, then mark: a write-back that starts after the mark writes
 * the new data. */
void mark_buffer_dirty(struct buffer_head *bh);
/* Write this one buffer now if dirty (no FLUSH). 0 or -errno. */
int sync_dirty_buffer(struct buffer_head *bh);
/* Write back every dirty buffer of bdev's disk (all its partitions), wait for those writes,
 * then issue a FLUSH. After sync_dev returns 0, every buffer marked dirty before the call is
 * on stable storage. On failure (-EIO...) the failed buffers stay dirty, and an error from an
 * earlier background write-back (eviction) is also reported here, once. */
int sync_dev(struct block_device *bdev);
/* sync_dev, then drop every clean buffer of the disk nobody holds (BLKFLSBUF). */
int invalidate_bdev(struct block_device *bdev);
/* Sync every registered disk (sync(2), shutdown). Returns the first error. */
int sync_all_block_devices(void);
/* The limit on cached bytes not in use (default 4 MiB). */
void bcache_set_limit(size_t bytes);
struct bcache_stats {
    size_t buffers, bytes, dirty, hits, misses, evictions;
};
void bcache_get_stats(struct bcache_stats *st);

/* Keep the cache coherent with direct I/O on [sector, sector + nsect) of the disk:
 * write back dirty buffers there (before a direct read), or forget clean unused ones and mark
 * others stale (after a direct write). Used by the device files. */
int bcache_writeback_range(struct block_device *disk, uint64_t sector, uint64_t nsect);
void bcache_invalidate_range(struct block_device *disk, uint64_t sector, uint64_t nsect);
/* A filesystem moves blocks [block, block + n) of bdev (in its buffer size `size`) between
 * the cache and direct I/O (file data goes around the cache): every cached copy goes.
 * write_dirty: a dirty copy is written first (before a direct read, so the disk holds the
 * newest bytes); otherwise it is dropped unwritten (before a direct write that supersedes it,
 * e.g. a freed metadata block reused for data). A copy someone holds is kept but marked stale
 * (its next bread reads the disk). 0 or the first write-back error. */
int bcache_forget(struct block_device *bdev, uint64_t block, uint64_t n, uint32_t size,
                  bool write_dirty);

/* ---- Device files ----
 *
 * blkdev_fops serves /dev/vda* nodes (S_IFBLK): byte-granular read/write (read-modify-write
 * of partial blocks; coherent with the buffer cache), llseek (SEEK_END = size), fsync (sync_dev)
 * and the ioctls BLKGETSIZE64, BLKGETSIZE, BLKSSZGET, BLKBSZGET, BLKPBSZGET, BLKROGET,
 * BLKFLSBUF and BLKRRPART; other commands go to the driver (ops->ioctl). An open file holds
 * the device (blkdev_get) until its release.
 * Its open() finds the device by the inode's rdev through inode_rdev() (the VFS's); a VFS
 * that opens by number can instead call blkdev_open_dev(). */
struct file;
struct inode;
struct file_operations;
extern const struct file_operations blkdev_fops;
/* Attach file f to the block device `rdev`: sets f->ops = &blkdev_fops and f->private_data.
 * -ENXIO if no such device, -EROFS for a write open of a read-only device. */
int blkdev_open_dev(dev_t rdev, struct file *f);

/* Services the block layer uses from the VFS (fs/devfs.c). */
dev_t inode_rdev(const struct inode *inode);              /* the inode's device number */
/* Create /dev/<name> as S_IFBLK 0600 root:root (Linux devtmpfs) with that number (called for
 * every disk and partition as it registers; before the devtmpfs exists, the VFS may instead
 * walk blkdev_next() once it mounts /dev). 0 or -errno. */
int devfs_register_blkdev(const char *name, dev_t devt);
/* Look at the filesystems on a newly registered disk (each partition, or the whole disk if it
 * has none) and make /dev/disk/by-label/<label> links (fs/bylabel). */
void devfs_probe_labels(struct block_device *disk);

/* ---- Boot ---- */

/* True if waiting may sleep (a task is running and interrupts are on). */
bool blk_can_sleep(void);
/* Register /dev/loop0..7 (unbound) and /dev/loop-control (block/loop.c). After vfs_init. */
void loop_init(void);
/* Make the device-mapper devices of dm-mod.create= (drivers/md: dm-0, dm-1... over disks
 * already registered). After the disk drivers have probed. */
void dm_init(void);
