/* virtio-blk (virtio 1.2 §5.2): one request queue, several requests in flight, completion by
 * interrupt (or by polling before interrupts work). Each disk registers with the block layer
 * as vda, vdb, ... (major 254, minor 16 * index), which reads its partition table.
 *
 * A request is three or more descriptors: the 16-byte header (device-readable), the data
 * segments (split at page boundaries and at size_max), and the status byte (device-writable).
 */
#include "kernel.h"
#include "virtio.h"
#include "blkdev.h"
#include "mm.h"
#include "string.h"
#include "kprintf.h"

/* Feature bits (§5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_GEOMETRY 4
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9

/* Configuration layout (§5.2.4). */
#define CFG_CAPACITY 0
#define CFG_SIZE_MAX 8
#define CFG_SEG_MAX 12
#define CFG_BLK_SIZE 20

/* Request types and status values (§5.2.6). */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_ID_BYTES 20

#define VBLK_QUEUE_MAX 128
#define VBLK_SEGS_MAX 64        /* data segments per request (bounds the stack sg list) */
#define VBLK_STATUS_UNSET 0xff

struct vblk_req {
    /* Device-visible: header and status in direct-map memory (this struct is kzalloc'd). */
    struct {
        uint32_t type;
        uint32_t reserved;
        uint64_t sector;
    } hdr;
    uint8_t status;
    bool busy;
    struct blk_request *rq;
};

struct virtio_blk {
    struct virtio_device *vdev;
    struct virtqueue *vq;
    struct block_device disk;
    spinlock_t lock;                /* the queue and reqs[]; taken in interrupt context too */
    struct wait_queue room;         /* submitters waiting for a free slot/descriptors */
    struct vblk_req *reqs;
    unsigned nreqs;
    unsigned max_segs;              /* data segments per request */
    uint32_t seg_size;              /* bytes per segment (<= PAGE_SIZE) */
};

static unsigned vblk_count;

static int vblk_status_errno(uint8_t s)
{
    switch (s) {
    case VIRTIO_BLK_S_OK: return 0;
    case VIRTIO_BLK_S_UNSUPP: return -EOPNOTSUPP;
    default: return -EIO;   /* IOERR, or a status the device never wrote */
    }
}

/* Completion: under vb->lock (interrupt handler, or a poll). */
static void vblk_complete_locked(struct virtio_blk *vb)
{
    bool freed = false;
    struct vblk_req *r;
    uint32_t len;
    while ((r = virtqueue_get_buf(vb->vq, &len))) {
        /* The token is one of our slots (virtqueue checked the id; check the pointer too). */
        if (r < vb->reqs || r >= vb->reqs + vb->nreqs || !r->busy)
            continue;
        uint8_t st = READ_ONCE(r->status);
        int err = vblk_status_errno(st);
        if (st != VIRTIO_BLK_S_OK && st != VIRTIO_BLK_S_UNSUPP)
            pr_err("%s: request type %u sector %llu failed (status %u)\n", vb->disk.name,
                   r->hdr.type, (unsigned long long)r->hdr.sector, st);
        struct blk_request *rq = r->rq;
        r->busy = false;
        r->rq = NULL;
        freed = true;
        blk_complete(rq, err);
    }
    if (virtqueue_is_broken(vb->vq)) {
        /* The device broke the ring protocol: nothing in flight will complete. */
        for (unsigned i = 0; i < vb->nreqs; i++) {
            if (vb->reqs[i].busy) {
                vb->reqs[i].busy = false;
                blk_complete(vb->reqs[i].rq, -EIO);
                vb->reqs[i].rq = NULL;
                freed = true;
            }
        }
    }
    if (freed)
        wake_up(&vb->room);
}

static void vblk_vq_done(struct virtqueue *vq)
{
    struct virtio_blk *vb = vq->priv;
    irqflags_t f = spin_lock_irqsave(&vb->lock);
    vblk_complete_locked(vb);
    spin_unlock_irqrestore(&vb->lock, f);
}

static void vblk_poll(struct block_device *disk)
{
    struct virtio_blk *vb = disk->driver_data;
    virtio_poll(vb->vdev);
}

/* Split buf into device segments: page boundaries (the direct map is contiguous, but each
 * page is translated separately so no assumption is made) and seg_size. Returns the count or
 * -EINVAL if more than max are needed. */
static int vblk_map(struct virtio_blk *vb, void *buf, size_t len, struct vq_sg *sg,
                    unsigned max)
{
    unsigned n = 0;
    uintptr_t va = (uintptr_t)buf;
    while (len) {
        size_t chunk = MIN(len, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
        chunk = MIN(chunk, (size_t)vb->seg_size);
        if (n == max)
            return -EINVAL;
        sg[n].addr = va_to_pa((void *)va);
        sg[n].len = (uint32_t)chunk;
        n++;
        va += chunk;
        len -= chunk;
    }
    return (int)n;
}

/* Try to queue rq now: 0, -EAGAIN (no room yet), or another -errno. */
static int vblk_try_queue(struct virtio_blk *vb, struct blk_request *rq, struct vq_sg *sg,
                          unsigned out, unsigned in)
{
    irqflags_t f = spin_lock_irqsave(&vb->lock);
    if (virtqueue_is_broken(vb->vq)) {
        spin_unlock_irqrestore(&vb->lock, f);
        return -EIO;
    }
    struct vblk_req *r = NULL;
    for (unsigned i = 0; i < vb->nreqs && !r; i++)
        if (!vb->reqs[i].busy)
            r = &vb->reqs[i];
    if (!r || virtqueue_num_free(vb->vq) < out + in) {
        spin_unlock_irqrestore(&vb->lock, f);
        return -EAGAIN;
    }
    switch (rq->op) {
    case BLK_OP_READ: r->hdr.type = VIRTIO_BLK_T_IN; break;
    case BLK_OP_WRITE: r->hdr.type = VIRTIO_BLK_T_OUT; break;
    case BLK_OP_FLUSH: r->hdr.type = VIRTIO_BLK_T_FLUSH; break;
    case BLK_OP_GET_ID: r->hdr.type = VIRTIO_BLK_T_GET_ID; break;
    }
    r->hdr.reserved = 0;
    r->hdr.sector = rq->op == BLK_OP_READ || rq->op == BLK_OP_WRITE ? rq->sector : 0;
    r->status = VBLK_STATUS_UNSET;
    r->rq = rq;
    r->busy = true;
    sg[0].addr = va_to_pa(&r->hdr);
    sg[0].len = sizeof r->hdr;
    sg[out + in - 1].addr = va_to_pa(&r->status);
    sg[out + in - 1].len = 1;
    int err = virtqueue_add(vb->vq, sg, out, in, r);
    if (err) {
        r->busy = false;
        r->rq = NULL;
        spin_unlock_irqrestore(&vb->lock, f);
        return err == -ENOSPC ? -EAGAIN : err;
    }
    virtqueue_kick(vb->vq);
    spin_unlock_irqrestore(&vb->lock, f);
    return 0;
}

static int vblk_submit(struct block_device *disk, struct blk_request *rq)
{
    struct virtio_blk *vb = disk->driver_data;
    struct vq_sg sg[VBLK_SEGS_MAX + 2];
    int nseg = 0;
    bool data_in = false;

    switch (rq->op) {
    case BLK_OP_WRITE:
        if (disk->read_only)
            return -EROFS;
        /* fall through */
    case BLK_OP_READ:
        data_in = rq->op == BLK_OP_READ;
        if (rq->len == 0 || rq->len % SECTOR_SIZE || rq->sector > disk->nr_sectors ||
            (rq->len >> SECTOR_SHIFT) > disk->nr_sectors - rq->sector)
            return -EINVAL;
        nseg = vblk_map(vb, rq->buf, rq->len, sg + 1, vb->max_segs);
        break;
    case BLK_OP_FLUSH:
        if (!virtio_has_feature(vb->vdev, VIRTIO_BLK_F_FLUSH)) {
            blk_complete(rq, 0);    /* no volatile cache: nothing to do */
            return 0;
        }
        break;
    case BLK_OP_GET_ID:
        data_in = true;
        if (rq->len < VIRTIO_BLK_ID_BYTES)
            return -EINVAL;
        nseg = vblk_map(vb, rq->buf, VIRTIO_BLK_ID_BYTES, sg + 1, vb->max_segs);
        break;
    default:
        return -EOPNOTSUPP;
    }
    if (nseg < 0) {
        pr_err("%s: request of %zu bytes needs more than %u segments\n", disk->name, rq->len,
               vb->max_segs);
        return nseg;
    }
    unsigned out = 1 + (data_in ? 0 : (unsigned)nseg);
    unsigned in = 1 + (data_in ? (unsigned)nseg : 0);

    for (;;) {
        int err = vblk_try_queue(vb, rq, sg, out, in);
        if (err != -EAGAIN)
            return err;
        /* Full: wait for a completion to free room. */
        if (disk->irq_driven && blk_can_sleep()) {
            struct wait_entry we;
            prepare_to_wait(&vb->room, &we, TASK_UNINTERRUPTIBLE);
            if (virtqueue_num_free(vb->vq) < out + in)
                schedule();
            finish_wait(&vb->room, &we);
        } else {
            vblk_poll(disk);
        }
    }
}

static const struct blkdev_ops vblk_ops = {
    .driver = "virtio_blk",
    .submit = vblk_submit,
    .poll = vblk_poll,
};

/* The device's serial (GET_ID), best effort, for the log. */
static void vblk_log_id(struct virtio_blk *vb)
{
    char *id = kzalloc(VIRTIO_BLK_ID_BYTES + 1);
    if (!id)
        return;
    struct blk_request rq;
    memset(&rq, 0, sizeof rq);
    rq.op = BLK_OP_GET_ID;
    rq.buf = id;
    rq.len = VIRTIO_BLK_ID_BYTES;
    wait_queue_init(&rq.wait);
    if (vblk_submit(&vb->disk, &rq) == 0) {
        while (!READ_ONCE(rq.done))
            vblk_poll(&vb->disk);
        if (rq.status == 0 && id[0]) {
            for (unsigned i = 0; i < VIRTIO_BLK_ID_BYTES && id[i]; i++)
                if (id[i] < 0x20 || id[i] > 0x7e)
                    id[i] = '?';
            pr_info("%s: serial \"%s\"\n", vb->disk.name, id);
        }
    }
    kfree(id);
}

static int vblk_probe(struct virtio_device *vdev)
{
    uint64_t want = (1ull << VIRTIO_BLK_F_SIZE_MAX) | (1ull << VIRTIO_BLK_F_SEG_MAX) |
                    (1ull << VIRTIO_BLK_F_RO) | (1ull << VIRTIO_BLK_F_BLK_SIZE) |
                    (1ull << VIRTIO_BLK_F_FLUSH) | (1ull << VIRTIO_BLK_F_GEOMETRY);
    int err = virtio_negotiate(vdev, want);
    if (err)
        return err;

    struct virtio_blk *vb = kzalloc(sizeof(*vb));
    if (!vb)
        return -ENOMEM;
    vb->vdev = vdev;
    spin_init(&vb->lock, "virtio-blk");
    wait_queue_init(&vb->room);
    vdev->priv = vb;

    uint64_t capacity = virtio_cread64(vdev, CFG_CAPACITY);
    uint32_t lbs = SECTOR_SIZE;
    if (virtio_has_feature(vdev, VIRTIO_BLK_F_BLK_SIZE)) {
        uint32_t b = virtio_cread32(vdev, CFG_BLK_SIZE);
        if (b >= SECTOR_SIZE && b <= PAGE_SIZE && !(b & (b - 1)))
            lbs = b;
        else
            pr_warn("virtio-blk: ignoring block size %u\n", b);
    }
    vb->seg_size = PAGE_SIZE;
    if (virtio_has_feature(vdev, VIRTIO_BLK_F_SIZE_MAX)) {
        uint32_t m = virtio_cread32(vdev, CFG_SIZE_MAX);
        if (m >= SECTOR_SIZE)
            vb->seg_size = MIN((uint32_t)PAGE_SIZE, m & ~(SECTOR_SIZE - 1));
    }
    unsigned seg_max = 1;
    if (virtio_has_feature(vdev, VIRTIO_BLK_F_SEG_MAX)) {
        uint32_t m = virtio_cread32(vdev, CFG_SEG_MAX);
        if (m)
            seg_max = m;
    }

    vb->vq = virtio_setup_vq(vdev, 0, VBLK_QUEUE_MAX, vblk_vq_done, vb);
    if (!vb->vq) {
        kfree(vb);
        vdev->priv = NULL;
        return -ENODEV;
    }
    vb->max_segs = MIN(MIN(seg_max, (unsigned)vb->vq->num - 2), (unsigned)VBLK_SEGS_MAX);
    if (vb->max_segs < 2) {
        /* One segment cannot carry a buffer that crosses a page; keep requests small. */
        vb->max_segs = MAX(vb->max_segs, 1u);
    }
    /* Requests in flight: each takes at least 3 descriptors. */
    vb->nreqs = MAX(vb->vq->num / 3u, 1u);
    vb->reqs = kzalloc(vb->nreqs * sizeof(*vb->reqs));
    if (!vb->reqs)
        return -ENOMEM;   /* the queue is abandoned with the device (FAILED) */

    unsigned index = vblk_count++;
    struct block_device *d = &vb->disk;
    if (index < 26)
        ksnprintf(d->name, sizeof d->name, "vd%c", 'a' + index);
    else
        ksnprintf(d->name, sizeof d->name, "vd%c%c", 'a' + index / 26 - 1, 'a' + index % 26);
    d->devt = MKDEV(VIRTBLK_MAJOR, index << BLK_PART_SHIFT);
    d->logical_block_size = lbs;
    d->nr_sectors = capacity - capacity % (lbs / SECTOR_SIZE);
    d->read_only = virtio_has_feature(vdev, VIRTIO_BLK_F_RO);
    d->volatile_cache = virtio_has_feature(vdev, VIRTIO_BLK_F_FLUSH);
    /* One segment may be lost to a misaligned start. */
    size_t xfer = vb->max_segs > 1 ? (size_t)(vb->max_segs - 1) * vb->seg_size : SECTOR_SIZE;
    d->max_transfer = (uint32_t)MIN(xfer, (size_t)1 << 20);
    d->irq_driven = vdev->irq_ok;
    d->ops = &vblk_ops;
    d->driver_data = vb;
    d->disk_index = index;

    virtio_device_ready(vdev);

    char where[64];
    virtio_describe(vdev, where, sizeof where);
    pr_info("virtio-blk: %s: %llu sectors (%llu MiB), %s%s%s, %u-byte blocks\n", d->name,
            (unsigned long long)d->nr_sectors, (unsigned long long)(d->nr_sectors >> 11),
            where, d->read_only ? ", read-only" : "", d->volatile_cache ? ", flush" : "",
            lbs);
    vblk_log_id(vb);

    err = blkdev_register_disk(d);
    if (err)
        pr_err("%s: cannot register (%d)\n", d->name, err);
    return 0;   /* the device is live even if the block layer refused it */
}

static void vblk_config_changed(struct virtio_device *vdev)
{
    struct virtio_blk *vb = vdev->priv;
    if (vb)
        pr_info("%s: configuration changed (capacity %llu sectors; not resized)\n",
                vb->disk.name, (unsigned long long)virtio_cread64(vdev, CFG_CAPACITY));
}

struct virtio_driver virtio_blk_driver = {
    .name = "virtio-blk",
    .device_id = VIRTIO_ID_BLOCK,
    .probe = vblk_probe,
    .config_changed = vblk_config_changed,
};
