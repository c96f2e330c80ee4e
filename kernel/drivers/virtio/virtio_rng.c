/* virtio-rng (virtio 1.2 §5.4): one queue of device-writable buffers the device fills with
 * entropy. At probe, 64 bytes are read (polled, bounded) and fed to the core's CSPRNG through
 * rng_add_entropy(); later reads go through virtio_rng_read(). */
#include "kernel.h"
#include "virtio.h"
#include "mm.h"
#include "string.h"
#include "random.h"

#define RNG_BOOT_BYTES 64
#define RNG_POLL_LIMIT 20000000u     /* spins before giving up on the device */

struct virtio_rng {
    struct virtio_device *vdev;
    struct virtqueue *vq;
    spinlock_t lock;
    uint8_t *buf;                   /* RNG_BOOT_BYTES, direct map */
    volatile bool done;
    uint32_t got;
};

static struct virtio_rng *rng_dev;

static void rng_vq_done(struct virtqueue *vq)
{
    struct virtio_rng *r = vq->priv;
    irqflags_t f = spin_lock_irqsave(&r->lock);
    uint32_t len;
    if (virtqueue_get_buf(vq, &len) == r) {
        r->got = len;
        WRITE_ONCE(r->done, true);
    }
    spin_unlock_irqrestore(&r->lock, f);
}

/* Fill buf with up to len (<= RNG_BOOT_BYTES) bytes from the device, polling. Returns the
 * count (0 if the device gave nothing in time). Process context; one caller at a time. */
static size_t rng_fetch(struct virtio_rng *r, void *out, size_t len)
{
    irqflags_t f = spin_lock_irqsave(&r->lock);
    struct vq_sg sg = { .addr = va_to_pa(r->buf), .len = (uint32_t)len };
    r->done = false;
    r->got = 0;
    int err = virtqueue_add(r->vq, &sg, 0, 1, r);
    if (!err)
        virtqueue_kick(r->vq);
    spin_unlock_irqrestore(&r->lock, f);
    if (err)
        return 0;
    for (unsigned i = 0; i < RNG_POLL_LIMIT && !READ_ONCE(r->done); i++)
        virtio_poll(r->vdev);
    if (!READ_ONCE(r->done)) {
        /* The buffer stays with the device; do not reuse it. */
        pr_warn("virtio-rng: no entropy from the device\n");
        return 0;
    }
    size_t n = MIN((size_t)r->got, len);
    memcpy(out, r->buf, n);
    memset(r->buf, 0, len);
    return n;
}

/* Read device entropy (after boot, e.g. for reseeding): returns bytes read, 0 if no device. */
size_t virtio_rng_read(void *buf, size_t len)
{
    if (!rng_dev)
        return 0;
    size_t done = 0;
    while (done < len) {
        size_t n = rng_fetch(rng_dev, (char *)buf + done, MIN(len - done, (size_t)RNG_BOOT_BYTES));
        if (n == 0)
            break;
        done += n;
    }
    return done;
}

static int rng_probe(struct virtio_device *vdev)
{
    int err = virtio_negotiate(vdev, 0);
    if (err)
        return err;
    struct virtio_rng *r = kzalloc(sizeof(*r));
    uint8_t *buf = kzalloc(RNG_BOOT_BYTES);
    if (!r || !buf) {
        kfree(r);
        kfree(buf);
        return -ENOMEM;
    }
    r->vdev = vdev;
    r->buf = buf;
    spin_init(&r->lock, "virtio-rng");
    vdev->priv = r;
    r->vq = virtio_setup_vq(vdev, 0, 8, rng_vq_done, r);
    if (!r->vq) {
        vdev->priv = NULL;
        kfree(buf);
        kfree(r);
        return -ENODEV;
    }
    virtio_device_ready(vdev);
    rng_dev = r;

    uint8_t seed[RNG_BOOT_BYTES];
    size_t n = rng_fetch(r, seed, sizeof seed);
    char where[64];
    virtio_describe(vdev, where, sizeof where);
    if (n) {
        rng_add_entropy(seed, n);
        pr_info("virtio-rng: %s: %zu bytes of entropy fed to the CSPRNG\n", where, n);
    }
    memset(seed, 0, sizeof seed);
    return 0;
}

struct virtio_driver virtio_rng_driver = {
    .name = "virtio-rng",
    .device_id = VIRTIO_ID_RNG,
    .probe = rng_probe,
};
