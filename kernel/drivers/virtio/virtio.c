/* The virtio core (include/virtio.h): the device table, binding devices to drivers, feature
 * negotiation, configuration reads, queue set-up and interrupt dispatch. Everything that
 * touches a device goes through its transport's virtio_config_ops, so the drivers above work
 * over any transport. */
#include "kernel.h"
#include "virtio.h"
#include "irq.h"
#include "mm.h"
#include "string.h"
#include "kprintf.h"
#include "asm/io.h"

#define VIRTIO_MAX_DEVICES 64
/* The legacy ring layout: the used ring starts at the next 4 KiB boundary. It also meets the
 * modern alignment rules (descriptors 16, available ring 2, used ring 4), so every device
 * gets it and a legacy transport can describe the rings by one page number. */
#define LEGACY_RING_ALIGN 4096u

static struct virtio_device *devices[VIRTIO_MAX_DEVICES];
static unsigned ndevices;
static struct virtio_driver *drivers;
static bool binding_started;           /* virtio_init has bound the first devices */
static spinlock_t virtio_lock = SPINLOCK_INIT("virtio");

static void add_status(struct virtio_device *vdev, uint8_t bits)
{
    vdev->ops->set_status(vdev, vdev->ops->get_status(vdev) | bits);
}

/* ---- Features and status ---- */

int virtio_negotiate(struct virtio_device *vdev, uint64_t driver_features)
{
    uint64_t want = driver_features;
    if (vdev->legacy)
        want &= 0xffffffffull;      /* a legacy device has only 32 feature bits */
    else
        want |= 1ull << VIRTIO_F_VERSION_1;
    vdev->features = vdev->device_features & want;
    vdev->ops->set_features(vdev, vdev->features);
    if (vdev->legacy)
        return 0;       /* legacy: no FEATURES_OK handshake */

    if (!virtio_has_feature(vdev, VIRTIO_F_VERSION_1)) {
        pr_err("%s: modern device without VIRTIO_F_VERSION_1\n", vdev->name);
        return -ENODEV;
    }
    add_status(vdev, VIRTIO_STATUS_FEATURES_OK);
    if (!(vdev->ops->get_status(vdev) & VIRTIO_STATUS_FEATURES_OK)) {
        pr_err("%s: device refused features %#llx\n", vdev->name,
               (unsigned long long)vdev->features);
        return -ENODEV;
    }
    return 0;
}

void virtio_device_ready(struct virtio_device *vdev)
{
    add_status(vdev, VIRTIO_STATUS_DRIVER_OK);
}

/* ---- Configuration space ---- */

void virtio_cread(struct virtio_device *vdev, unsigned offset, void *buf, size_t len)
{
    const struct virtio_config_ops *ops = vdev->ops;
    if (!ops->generation) {
        /* Legacy has no generation counter: read until two reads agree. */
        uint8_t check[16];
        for (unsigned tries = 0; tries < 8; tries++) {
            ops->read_config(vdev, offset, buf, len);
            if (len > sizeof check)
                return;
            ops->read_config(vdev, offset, check, len);
            if (memcmp(buf, check, len) == 0)
                return;
        }
        return;
    }
    for (unsigned tries = 0; tries < 64; tries++) {
        uint32_t gen = ops->generation(vdev);
        ops->read_config(vdev, offset, buf, len);
        if (ops->generation(vdev) == gen)
            return;
    }
    pr_warn("%s: configuration kept changing while read\n", vdev->name);
}

/* Config fields are little-endian (legacy: guest-endian, which is little-endian here). */
static uint64_t le_bytes(const uint8_t *b, size_t n)
{
    uint64_t v = 0;
    for (size_t i = n; i-- > 0;)
        v = v << 8 | b[i];
    return v;
}

uint8_t virtio_cread8(struct virtio_device *vdev, unsigned offset)
{
    uint8_t b[1];
    virtio_cread(vdev, offset, b, 1);
    return b[0];
}

uint16_t virtio_cread16(struct virtio_device *vdev, unsigned offset)
{
    uint8_t b[2];
    virtio_cread(vdev, offset, b, 2);
    return (uint16_t)le_bytes(b, 2);
}

uint32_t virtio_cread32(struct virtio_device *vdev, unsigned offset)
{
    uint8_t b[4];
    virtio_cread(vdev, offset, b, 4);
    return (uint32_t)le_bytes(b, 4);
}

uint64_t virtio_cread64(struct virtio_device *vdev, unsigned offset)
{
    uint8_t b[8];
    virtio_cread(vdev, offset, b, 8);
    return le_bytes(b, 8);
}

/* ---- Queues ---- */

static size_t ring_used_offset(unsigned num)
{
    return ALIGN_UP(16 * (size_t)num + 6 + 2 * (size_t)num, (size_t)LEGACY_RING_ALIGN);
}

static size_t ring_bytes(unsigned num)
{
    return ring_used_offset(num) + ALIGN_UP(6 + 8 * (size_t)num, (size_t)LEGACY_RING_ALIGN);
}

static void vq_free(struct virtqueue *vq)
{
    if (vq->mem)
        page_free_contig(vq->mem, vq->mem_pages);
    kfree(vq->next_free);
    kfree(vq->chain_len);
    kfree(vq->in_bytes);
    kfree(vq->tokens);
    kfree(vq);
}

struct virtqueue *virtio_setup_vq(struct virtio_device *vdev, unsigned index, unsigned max_num,
                                  vq_callback_t callback, void *priv)
{
    if (index >= VIRTIO_MAX_VQS || vdev->vqs[index])
        return NULL;
    int dev_max = vdev->ops->queue_max(vdev, index);
    if (dev_max <= 0) {
        pr_err("%s: queue %u is %s\n", vdev->name, index,
               dev_max < 0 ? "already in use" : "not available");
        return NULL;
    }
    unsigned num = MIN(MIN((unsigned)dev_max, max_num), 32768u);
    while (num & (num - 1))
        num &= num - 1;     /* largest power of two not above it */

    struct virtqueue *vq = kzalloc(sizeof(*vq));
    if (!vq)
        return NULL;
    vq->vdev = vdev;
    vq->index = index;
    vq->num = (uint16_t)num;
    vq->callback = callback;
    vq->priv = priv;
    vq->mem_pages = ring_bytes(num) / PAGE_SIZE;
    vq->mem = page_alloc_contig(vq->mem_pages);
    vq->next_free = kzalloc(num * sizeof(uint16_t));
    vq->chain_len = kzalloc(num * sizeof(uint16_t));
    vq->in_bytes = kzalloc(num * sizeof(uint32_t));
    vq->tokens = kzalloc(num * sizeof(void *));
    if (!vq->mem || !vq->next_free || !vq->chain_len || !vq->in_bytes || !vq->tokens) {
        pr_err("%s: out of memory for queue %u\n", vdev->name, index);
        vq_free(vq);
        return NULL;
    }
    vq->desc = vq->mem;
    vq->avail = (struct virtq_avail *)((char *)vq->mem + 16 * (size_t)num);
    vq->used = (struct virtq_used *)((char *)vq->mem + ring_used_offset(num));
    for (unsigned i = 0; i < num; i++)
        vq->next_free[i] = (uint16_t)(i + 1);
    vq->free_head = 0;
    vq->num_free = (uint16_t)num;

    int err = vdev->ops->activate_queue(vdev, vq);
    if (err) {
        pr_err("%s: queue %u: the device did not take it (%d)\n", vdev->name, index, err);
        vq_free(vq);
        return NULL;
    }
    vdev->vqs[index] = vq;
    return vq;
}

void virtqueue_kick(struct virtqueue *vq)
{
    /* The avail->idx store must reach memory before the device sees the notify, and the
     * used->flags read must not be satisfied early (I/O bits: the notify is a device
     * access). */
    io_fence();
    if (!(READ_ONCE(vq->used->flags) & VIRTQ_USED_F_NO_NOTIFY))
        vq->vdev->ops->notify(vq);
}

/* ---- Interrupts ---- */

static void virtio_interrupt(void *arg)
{
    struct virtio_device *vdev = arg;
    uint32_t isr = vdev->ops->ack_interrupt(vdev);
    /* Also run the queues when the status is 0: polled callers rely on that, and an
     * interrupt already acknowledged by a poll must not leave completions behind. */
    for (unsigned i = 0; i < VIRTIO_MAX_VQS; i++)
        if (vdev->vqs[i] && vdev->vqs[i]->callback)
            vdev->vqs[i]->callback(vdev->vqs[i]);
    if ((isr & VIRTIO_ISR_CONFIG) && vdev->driver && vdev->driver->config_changed)
        vdev->driver->config_changed(vdev);
}

void virtio_poll(struct virtio_device *vdev)
{
    irqflags_t f = local_irq_save();
    virtio_interrupt(vdev);
    local_irq_restore(f);
}

void virtio_describe(const struct virtio_device *vdev, char *buf, size_t size)
{
    char where[48];
    vdev->ops->describe(vdev, where, sizeof where);
    if (vdev->irq_ok)
        ksnprintf(buf, size, "%s irq %u", where, vdev->irq);
    else
        ksnprintf(buf, size, "%s polled", where);
}

/* ---- Binding ---- */

static const char *device_name(uint32_t id)
{
    switch (id) {
    case VIRTIO_ID_NET: return "net";
    case VIRTIO_ID_BLOCK: return "block";
    case VIRTIO_ID_CONSOLE: return "console";
    case VIRTIO_ID_RNG: return "rng";
    default: return "unknown";
    }
}

/* Hand vdev to drv: reset, ACKNOWLEDGE, DRIVER, probe; FAILED if the probe fails. */
static void bind(struct virtio_device *vdev, struct virtio_driver *drv)
{
    vdev->driver = drv;
    vdev->ops->reset(vdev);
    add_status(vdev, VIRTIO_STATUS_ACKNOWLEDGE);
    add_status(vdev, VIRTIO_STATUS_DRIVER);
    vdev->device_features = vdev->ops->get_features(vdev);
    /* The handler goes in before the probe because the probe may already do I/O (virtio-blk
     * reads the partition table); it only touches queues once they exist. Without it the
     * driver polls. */
    if (vdev->irq && !vdev->irq_ok) {
        int ierr = vdev->ops->request_irq ? vdev->ops->request_irq(vdev, virtio_interrupt, vdev)
                                          : irq_register(vdev->irq, virtio_interrupt, vdev);
        if (ierr)
            pr_warn("%s: irq %u unavailable (%d): polled mode\n", vdev->name, vdev->irq, ierr);
        else
            vdev->irq_ok = true;
    }
    int err = drv->probe(vdev);
    if (err) {
        pr_err("%s: %s: probe failed (%d)\n", vdev->name, drv->name, err);
        add_status(vdev, VIRTIO_STATUS_FAILED);
        vdev->driver = NULL;
    }
}

static struct virtio_driver *find_driver(uint32_t id)
{
    for (struct virtio_driver *d = drivers; d; d = d->next)
        if (d->device_id == id)
            return d;
    return NULL;
}

void virtio_register_driver(struct virtio_driver *drv)
{
    spin_lock(&virtio_lock);
    drv->next = drivers;
    drivers = drv;
    spin_unlock(&virtio_lock);
    if (!binding_started)
        return;     /* virtio_init binds it, in device order */
    for (unsigned i = 0; i < ndevices; i++)
        if (!devices[i]->driver && devices[i]->device_id == drv->device_id)
            bind(devices[i], drv);
}

int virtio_add_device(struct virtio_device *vdev)
{
    if (ndevices >= VIRTIO_MAX_DEVICES) {
        pr_err("%s: more than %u virtio devices: ignored\n", vdev->name, VIRTIO_MAX_DEVICES);
        return -ENOSPC;
    }
    devices[ndevices++] = vdev;
    char where[48];
    vdev->ops->describe(vdev, where, sizeof where);
    pr_info("%s: %s device (id %u), %s, irq %u\n", vdev->name, device_name(vdev->device_id),
            vdev->device_id, where, vdev->irq);
    if (binding_started) {
        struct virtio_driver *drv = find_driver(vdev->device_id);
        if (drv)
            bind(vdev, drv);
    }
    return 0;
}

void virtio_init(const struct fdt_platform *plat)
{
    static bool done;
    if (done)
        return;
    done = true;
    virtio_mmio_probe(plat);
    virtio_pci_probe();
    virtio_register_driver(&virtio_blk_driver);
    virtio_register_driver(&virtio_rng_driver);
    /* Bind in the order the transports found the devices, whatever the order the drivers
     * registered in (virtio-net registers from net_init, before this): the first virtio-blk
     * found is vda, the first virtio-net eth0. */
    binding_started = true;
    for (unsigned i = 0; i < ndevices; i++) {
        struct virtio_driver *drv = find_driver(devices[i]->device_id);
        if (drv)
            bind(devices[i], drv);
        else
            pr_info("%s: no driver for %s device\n", devices[i]->name,
                    device_name(devices[i]->device_id));
    }
}
