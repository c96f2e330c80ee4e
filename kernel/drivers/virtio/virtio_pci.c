/* The virtio-pci transport, modern interface (virtio 1.2 §4.1): a PCI driver for every
 * virtio function (vendor 0x1af4, devices 0x1000..0x107f) that maps the register blocks its
 * capabilities describe (virtio_pci_caps.c) and drives them for the core (virtio.c).
 *
 * Transitional devices (0x1000..0x103f: QEMU's default on the root bus) are driven through
 * their modern capabilities like modern-only ones; their legacy I/O BAR is never used. A
 * legacy-only device (no capabilities: disable-modern=on) is refused with a message.
 * Interrupts are INTx through the PCI core's shared-line dispatcher: reading the ISR status
 * acknowledges and deasserts the line. MSI-X is left disabled.
 *
 * Register values are not trusted either: the queue count and each queue's notify offset are
 * checked against what was mapped before they are used. */
#include "kernel.h"
#include "virtio.h"
#include "pci.h"
#include "mm.h"
#include "kprintf.h"
#include "asm/io.h"
#include "virtio_pci.h"

struct vp_device {
    struct virtio_device vdev;
    struct pci_dev *pci;
    volatile uint8_t *common;       /* the blocks, through the direct map */
    volatile uint8_t *notify;
    volatile uint8_t *isr;
    volatile uint8_t *device;       /* NULL: no device configuration */
    uint64_t notify_len, device_len;
    uint32_t notify_multiplier;
    volatile uint16_t *queue_notify[VIRTIO_MAX_VQS];
    bool config_warned;
};

static struct vp_device *to_vp(const struct virtio_device *vdev) { return vdev->transport; }

/* Register accesses at an offset of a mapped capability (asm/io.h orders them). */
static uint8_t rd8(volatile uint8_t *base, unsigned off) { return readb(base + off); }
static uint16_t rd16(volatile uint8_t *base, unsigned off) { return readw(base + off); }
static uint32_t rd32(volatile uint8_t *base, unsigned off) { return readl(base + off); }
static void wr8(volatile uint8_t *base, unsigned off, uint8_t v) { writeb(v, base + off); }
static void wr16(volatile uint8_t *base, unsigned off, uint16_t v) { writew(v, base + off); }
static void wr32(volatile uint8_t *base, unsigned off, uint32_t v) { writel(v, base + off); }

/* 64-bit fields as two 32-bit writes, low half first: devices need not take 64-bit
 * accesses (§4.1.3.1). */
static void wr64(volatile uint8_t *base, unsigned off, uint64_t v)
{
    wr32(base, off, (uint32_t)v);
    wr32(base, off + 4, (uint32_t)(v >> 32));
}

/* ---- The transport operations ---- */

static uint8_t vp_get_status(struct virtio_device *vdev)
{
    return rd8(to_vp(vdev)->common, VP_DEVICE_STATUS);
}

static void vp_set_status(struct virtio_device *vdev, uint8_t status)
{
    wr8(to_vp(vdev)->common, VP_DEVICE_STATUS, status);
}

static void vp_reset(struct virtio_device *vdev)
{
    struct vp_device *vp = to_vp(vdev);
    wr8(vp->common, VP_DEVICE_STATUS, 0);
    /* The reset is done when the status reads back 0 (§4.1.4.3.2). */
    for (unsigned i = 0; i < 1000000; i++)
        if (rd8(vp->common, VP_DEVICE_STATUS) == 0)
            return;
    pr_warn("%s: the device did not finish its reset\n", vdev->name);
}

static uint64_t vp_get_features(struct virtio_device *vdev)
{
    struct vp_device *vp = to_vp(vdev);
    wr32(vp->common, VP_DEVICE_FEATURE_SELECT, 0);
    uint64_t f = rd32(vp->common, VP_DEVICE_FEATURE);
    wr32(vp->common, VP_DEVICE_FEATURE_SELECT, 1);
    return f | (uint64_t)rd32(vp->common, VP_DEVICE_FEATURE) << 32;
}

static void vp_set_features(struct virtio_device *vdev, uint64_t features)
{
    struct vp_device *vp = to_vp(vdev);
    wr32(vp->common, VP_DRIVER_FEATURE_SELECT, 0);
    wr32(vp->common, VP_DRIVER_FEATURE, (uint32_t)features);
    wr32(vp->common, VP_DRIVER_FEATURE_SELECT, 1);
    wr32(vp->common, VP_DRIVER_FEATURE, (uint32_t)(features >> 32));
}

static uint32_t vp_generation(struct virtio_device *vdev)
{
    return rd8(to_vp(vdev)->common, VP_CONFIG_GENERATION);
}

/* Byte by byte, like virtio_mmio.c (the core makes multi-byte fields consistent). Bytes past
 * the device's configuration structure read as 0, so a driver reading a field the device
 * did not map sees it absent rather than reading past the mapping. */
static void vp_read_config(struct virtio_device *vdev, unsigned offset, uint8_t *buf,
                           size_t len)
{
    struct vp_device *vp = to_vp(vdev);
    for (size_t i = 0; i < len; i++) {
        uint64_t at = (uint64_t)offset + i;
        if (vp->device && at < vp->device_len) {
            buf[i] = rd8(vp->device, (unsigned)at);
        } else {
            buf[i] = 0;
            if (!vp->config_warned)
                pr_warn("%s: configuration byte %#llx is beyond the device's %llu bytes\n",
                        vdev->name, (unsigned long long)at, (unsigned long long)vp->device_len);
            vp->config_warned = true;
        }
    }
}

static int vp_queue_max(struct virtio_device *vdev, unsigned index)
{
    struct vp_device *vp = to_vp(vdev);
    if (index >= rd16(vp->common, VP_NUM_QUEUES))
        return 0;
    wr16(vp->common, VP_QUEUE_SELECT, (uint16_t)index);
    if (rd16(vp->common, VP_QUEUE_ENABLE))
        return -EBUSY;
    return (int)MIN(rd16(vp->common, VP_QUEUE_SIZE), 32768u);
}

static int vp_activate_queue(struct virtio_device *vdev, struct virtqueue *vq)
{
    struct vp_device *vp = to_vp(vdev);
    if (vq->index >= VIRTIO_MAX_VQS)
        return -EINVAL;
    wr16(vp->common, VP_QUEUE_SELECT, (uint16_t)vq->index);
    /* Where this queue's notifications go (§4.1.4.4); the multiplier is even and the block
     * 2-aligned, so the address is aligned if it is inside the block. */
    uint64_t at = (uint64_t)rd16(vp->common, VP_QUEUE_NOTIFY_OFF) * vp->notify_multiplier;
    if (at > vp->notify_len - 2) {
        pr_err("%s: queue %u notifies at %#llx, outside the %llu-byte notify block\n",
               vdev->name, vq->index, (unsigned long long)at,
               (unsigned long long)vp->notify_len);
        return -EINVAL;
    }
    wr16(vp->common, VP_QUEUE_SIZE, vq->num);
    wr64(vp->common, VP_QUEUE_DESC, va_to_pa(vq->desc));
    wr64(vp->common, VP_QUEUE_DRIVER, va_to_pa(vq->avail));
    wr64(vp->common, VP_QUEUE_DEVICE, va_to_pa(vq->used));
    vp->queue_notify[vq->index] = (volatile uint16_t *)(vp->notify + at);
    wr16(vp->common, VP_QUEUE_ENABLE, 1);
    return 0;
}

static void vp_notify(struct virtqueue *vq)
{
    struct vp_device *vp = to_vp(vq->vdev);
    volatile uint16_t *reg = vq->index < VIRTIO_MAX_VQS ? vp->queue_notify[vq->index] : NULL;
    if (!reg)
        return;
    writew((uint16_t)vq->index, reg);
}

static uint32_t vp_ack_interrupt(struct virtio_device *vdev)
{
    /* Reading the ISR status clears it and deasserts INTx (§4.1.4.5). */
    return rd8(to_vp(vdev)->isr, 0);
}

static int vp_request_irq(struct virtio_device *vdev, irq_handler_t handler, void *arg)
{
    return pci_request_irq(to_vp(vdev)->pci, handler, arg);
}

static void vp_describe(const struct virtio_device *vdev, char *buf, size_t size)
{
    ksnprintf(buf, size, "modern pci %s", pci_name(to_vp(vdev)->pci));
}

static const struct virtio_config_ops vp_ops = {
    .reset = vp_reset,
    .get_status = vp_get_status,
    .set_status = vp_set_status,
    .get_features = vp_get_features,
    .set_features = vp_set_features,
    .generation = vp_generation,
    .read_config = vp_read_config,
    .queue_max = vp_queue_max,
    .activate_queue = vp_activate_queue,
    .notify = vp_notify,
    .ack_interrupt = vp_ack_interrupt,
    .request_irq = vp_request_irq,
    .describe = vp_describe,
};

/* ---- The PCI driver ---- */

static volatile uint8_t *map_region(struct pci_dev *dev, const struct virtio_pci_region *r)
{
    return pci_iomap_range(dev, r->bar, r->offset, r->len);
}

static int vp_probe(struct pci_dev *dev, const struct pci_device_id *id)
{
    (void)id;
    uint32_t type = virtio_pci_device_type(dev);
    if (!type) {
        pr_err("virtio-pci %s: device %04x:%04x is no virtio device type: ignored\n",
               pci_name(dev), dev->vendor, dev->device);
        return -ENODEV;
    }
    struct virtio_pci_layout l;
    int err = virtio_pci_parse_caps(dev, &l);
    if (err == -ENODEV) {
        pr_err("virtio-pci %s: legacy-only virtio device (%04x:%04x, no virtio 1.x "
               "capabilities): not supported (QEMU: drop disable-modern=on)\n", pci_name(dev),
               dev->vendor, dev->device);
        return -ENODEV;
    }
    if (err)
        return -ENODEV;     /* logged */

    struct vp_device *vp = kzalloc(sizeof *vp);
    if (!vp)
        return -ENOMEM;
    vp->pci = dev;
    vp->common = map_region(dev, &l.common);
    vp->notify = map_region(dev, &l.notify);
    vp->isr = map_region(dev, &l.isr);
    vp->device = l.device.present ? map_region(dev, &l.device) : NULL;
    if (!vp->common || !vp->notify || !vp->isr || (l.device.present && !vp->device)) {
        pr_err("virtio-pci %s: its register blocks cannot be mapped: ignored\n",
               pci_name(dev));
        kfree(vp);
        return -ENODEV;
    }
    vp->notify_len = l.notify.len;
    vp->notify_multiplier = l.notify_multiplier;
    vp->device_len = vp->device ? l.device.len : 0;

    /* The rings are in RAM the device reads and writes, and INTx is how it interrupts:
     * firmware may have left either off. */
    uint16_t cmd = pci_read_config16(dev, PCI_COMMAND);
    uint16_t want = (uint16_t)((cmd | PCI_COMMAND_MASTER) & ~PCI_COMMAND_INTX_DISABLE);
    if (want != cmd)
        pci_write_config16(dev, PCI_COMMAND, want);

    struct virtio_device *vdev = &vp->vdev;
    vdev->ops = &vp_ops;
    vdev->transport = vp;
    ksnprintf(vdev->name, sizeof vdev->name, "virtio@%s", pci_name(dev));
    vdev->legacy = false;
    vdev->device_id = type;
    vdev->vendor_id = dev->subsystem_vendor;
    vdev->irq = dev->irq;
    dev->driver_data = vp;
    if (virtio_add_device(vdev) != 0) {
        dev->driver_data = NULL;
        kfree(vp);
        return -ENOSPC;
    }
    return 0;
}

static const struct pci_device_id vp_ids[] = {
    { .vendor = VIRTIO_PCI_VENDOR, .device = VIRTIO_PCI_TRANSITIONAL_FIRST,
      .device_last = VIRTIO_PCI_MODERN_LAST },
    { 0 },
};

static struct pci_driver vp_driver = {
    .name = "virtio-pci",
    .id_table = vp_ids,
    .probe = vp_probe,
};

void virtio_pci_probe(void)
{
    /* Probes run now, in bus order, for every function enumerated so far: the devices are
     * added in that order, after the virtio-mmio ones (virtio_init's order). */
    int err = pci_register_driver(&vp_driver);
    if (err)
        pr_err("virtio-pci: cannot register the driver (%d)\n", err);
}
