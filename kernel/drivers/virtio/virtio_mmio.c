/* The virtio-mmio transport, legacy (version 1) and modern (version 2) register layouts.
 *
 * Differences handled here: a legacy device has 32 feature bits, no FEATURES_OK step, a
 * single guest-physical page number for each queue (descriptors, then the available ring,
 * then the used ring at the next QueueAlign boundary) and GuestPageSize; a modern device
 * takes the three ring addresses separately, must negotiate VIRTIO_F_VERSION_1, and has a
 * ConfigGeneration counter for consistent configuration reads.
 *
 * Without a working interrupt (no PLIC yet, or irq_register failing) devices still work in
 * polled mode: see virtio_poll().
 */
#include "kernel.h"
#include "virtio.h"
#include "fdt.h"
#include "irq.h"
#include "mm.h"
#include "string.h"
#include "kprintf.h"

/* Register offsets (§4.2.2, legacy §4.2.4). */
#define VM_MAGIC 0x000
#define VM_VERSION 0x004
#define VM_DEVICE_ID 0x008
#define VM_VENDOR_ID 0x00c
#define VM_DEVICE_FEATURES 0x010
#define VM_DEVICE_FEATURES_SEL 0x014
#define VM_DRIVER_FEATURES 0x020
#define VM_DRIVER_FEATURES_SEL 0x024
#define VM_GUEST_PAGE_SIZE 0x028    /* legacy */
#define VM_QUEUE_SEL 0x030
#define VM_QUEUE_NUM_MAX 0x034
#define VM_QUEUE_NUM 0x038
#define VM_QUEUE_ALIGN 0x03c        /* legacy */
#define VM_QUEUE_PFN 0x040          /* legacy */
#define VM_QUEUE_READY 0x044
#define VM_QUEUE_NOTIFY 0x050
#define VM_INTERRUPT_STATUS 0x060
#define VM_INTERRUPT_ACK 0x064
#define VM_STATUS 0x070
#define VM_QUEUE_DESC_LOW 0x080
#define VM_QUEUE_DESC_HIGH 0x084
#define VM_QUEUE_DRIVER_LOW 0x090
#define VM_QUEUE_DRIVER_HIGH 0x094
#define VM_QUEUE_DEVICE_LOW 0x0a0
#define VM_QUEUE_DEVICE_HIGH 0x0a4
#define VM_CONFIG_GENERATION 0x0fc
#define VM_CONFIG 0x100

#define VIRTIO_MMIO_MAGIC 0x74726976u  /* "virt" */
#define VIRTIO_INT_USED_RING 1u
#define VIRTIO_INT_CONFIG 2u
#define LEGACY_ALIGN 4096u

/* Device memory accesses: ordered against normal memory on both sides, so a ring update
 * before a notify is visible to the device, and a ring read after an interrupt status read
 * sees what the device wrote (RISC-V needs the I/O bits in the fence). */
static inline void io_fence(void)
{
#if defined(__riscv)
    __asm__ volatile("fence iorw, iorw" ::: "memory");
#else
    __sync_synchronize();
#endif
}

static inline uint32_t vm_read(struct virtio_device *vdev, unsigned off)
{
    io_fence();
    uint32_t v = *(volatile uint32_t *)(vdev->base + off);
    io_fence();
    return v;
}

static inline void vm_write(struct virtio_device *vdev, unsigned off, uint32_t v)
{
    io_fence();
    *(volatile uint32_t *)(vdev->base + off) = v;
    io_fence();
}

static struct virtio_device *devices[FDT_MAX_VIRTIO];
static unsigned ndevices;
static struct virtio_driver *drivers;
static spinlock_t virtio_lock = SPINLOCK_INIT("virtio");

/* ---- Status and features ---- */

static void vm_set_status(struct virtio_device *vdev, uint32_t bits)
{
    vm_write(vdev, VM_STATUS, vm_read(vdev, VM_STATUS) | bits);
}

static void vm_reset(struct virtio_device *vdev)
{
    vm_write(vdev, VM_STATUS, 0);
    /* Modern devices may take time to reset; reading 0 back says it is done (§4.2.3.1). */
    for (unsigned i = 0; i < 1000000 && vm_read(vdev, VM_STATUS) != 0; i++)
        ;
}

static uint64_t vm_device_features(struct virtio_device *vdev)
{
    vm_write(vdev, VM_DEVICE_FEATURES_SEL, 0);
    uint64_t f = vm_read(vdev, VM_DEVICE_FEATURES);
    if (vdev->version >= 2) {
        vm_write(vdev, VM_DEVICE_FEATURES_SEL, 1);
        f |= (uint64_t)vm_read(vdev, VM_DEVICE_FEATURES) << 32;
    }
    return f;
}

int virtio_negotiate(struct virtio_device *vdev, uint64_t driver_features)
{
    uint64_t want = driver_features;
    if (vdev->version >= 2)
        want |= 1ull << VIRTIO_F_VERSION_1;
    else
        want &= 0xffffffffull;      /* a legacy device has only 32 feature bits */
    vdev->features = vdev->device_features & want;

    vm_write(vdev, VM_DRIVER_FEATURES_SEL, 0);
    vm_write(vdev, VM_DRIVER_FEATURES, (uint32_t)vdev->features);
    if (vdev->version < 2)
        return 0;       /* legacy: no FEATURES_OK handshake */

    if (!virtio_has_feature(vdev, VIRTIO_F_VERSION_1)) {
        pr_err("virtio@%llx: modern device without VIRTIO_F_VERSION_1\n",
               (unsigned long long)vdev->phys);
        return -ENODEV;
    }
    vm_write(vdev, VM_DRIVER_FEATURES_SEL, 1);
    vm_write(vdev, VM_DRIVER_FEATURES, (uint32_t)(vdev->features >> 32));
    vm_set_status(vdev, VIRTIO_STATUS_FEATURES_OK);
    if (!(vm_read(vdev, VM_STATUS) & VIRTIO_STATUS_FEATURES_OK)) {
        pr_err("virtio@%llx: device refused features %#llx\n", (unsigned long long)vdev->phys,
               (unsigned long long)vdev->features);
        return -ENODEV;
    }
    return 0;
}

void virtio_device_ready(struct virtio_device *vdev)
{
    vm_set_status(vdev, VIRTIO_STATUS_DRIVER_OK);
}

/* ---- Configuration space ---- */

/* Byte-wise copy of the config window: legal for any field, and the generation check below
 * makes multi-byte fields consistent on modern devices. */
static void cread_raw(struct virtio_device *vdev, unsigned offset, uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        io_fence();
        buf[i] = *(volatile uint8_t *)(vdev->base + VM_CONFIG + offset + i);
    }
    io_fence();
}

void virtio_cread(struct virtio_device *vdev, unsigned offset, void *buf, size_t len)
{
    if (vdev->version < 2) {
        /* Legacy has no generation counter: read until two reads agree. */
        uint8_t check[16];
        for (unsigned tries = 0; tries < 8; tries++) {
            cread_raw(vdev, offset, buf, len);
            if (len > sizeof check)
                return;
            cread_raw(vdev, offset, check, len);
            if (memcmp(buf, check, len) == 0)
                return;
        }
        return;
    }
    for (unsigned tries = 0; tries < 64; tries++) {
        uint32_t gen = vm_read(vdev, VM_CONFIG_GENERATION);
        cread_raw(vdev, offset, buf, len);
        if (vm_read(vdev, VM_CONFIG_GENERATION) == gen)
            return;
    }
    pr_warn("virtio@%llx: configuration kept changing while read\n",
            (unsigned long long)vdev->phys);
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

/* Ring sizes for num entries, laid out the legacy way (which also meets the modern alignment
 * rules: descriptors 16, available ring 2, used ring 4). */
static size_t ring_used_offset(unsigned num)
{
    return ALIGN_UP(16 * (size_t)num + 6 + 2 * (size_t)num, (size_t)LEGACY_ALIGN);
}

static size_t ring_bytes(unsigned num)
{
    return ring_used_offset(num) + ALIGN_UP(6 + 8 * (size_t)num, (size_t)LEGACY_ALIGN);
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
    vm_write(vdev, VM_QUEUE_SEL, index);
    bool in_use = vdev->version < 2 ? vm_read(vdev, VM_QUEUE_PFN) != 0
                                    : vm_read(vdev, VM_QUEUE_READY) != 0;
    uint32_t dev_max = vm_read(vdev, VM_QUEUE_NUM_MAX);
    if (in_use || dev_max == 0) {
        pr_err("virtio@%llx: queue %u is %s\n", (unsigned long long)vdev->phys, index,
               in_use ? "already in use" : "not available");
        return NULL;
    }
    unsigned num = MIN(MIN(dev_max, max_num), 32768u);
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
        pr_err("virtio@%llx: out of memory for queue %u\n", (unsigned long long)vdev->phys,
               index);
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

    paddr_t pa = va_to_pa(vq->mem);
    vm_write(vdev, VM_QUEUE_NUM, num);
    if (vdev->version < 2) {
        vm_write(vdev, VM_QUEUE_ALIGN, LEGACY_ALIGN);
        vm_write(vdev, VM_QUEUE_PFN, (uint32_t)(pa / PAGE_SIZE));
    } else {
        paddr_t avail = va_to_pa(vq->avail), used = va_to_pa(vq->used);
        vm_write(vdev, VM_QUEUE_DESC_LOW, (uint32_t)pa);
        vm_write(vdev, VM_QUEUE_DESC_HIGH, (uint32_t)(pa >> 32));
        vm_write(vdev, VM_QUEUE_DRIVER_LOW, (uint32_t)avail);
        vm_write(vdev, VM_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
        vm_write(vdev, VM_QUEUE_DEVICE_LOW, (uint32_t)used);
        vm_write(vdev, VM_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
        vm_write(vdev, VM_QUEUE_READY, 1);
    }
    vdev->vqs[index] = vq;
    return vq;
}

void virtqueue_kick(struct virtqueue *vq)
{
    /* The avail->idx store must reach memory before the device reads the notify, and the
     * used->flags read must not be satisfied early. */
    io_fence();
    if (!(READ_ONCE(vq->used->flags) & VIRTQ_USED_F_NO_NOTIFY))
        vm_write(vq->vdev, VM_QUEUE_NOTIFY, vq->index);
}

/* ---- Interrupts ---- */

static void vm_interrupt(void *arg)
{
    struct virtio_device *vdev = arg;
    uint32_t status = vm_read(vdev, VM_INTERRUPT_STATUS);
    if (status)
        vm_write(vdev, VM_INTERRUPT_ACK, status);
    /* Also run the queues when status is 0: polled callers rely on that, and an interrupt
     * already acknowledged by a poll must not leave completions behind. */
    for (unsigned i = 0; i < VIRTIO_MAX_VQS; i++)
        if (vdev->vqs[i] && vdev->vqs[i]->callback)
            vdev->vqs[i]->callback(vdev->vqs[i]);
    if ((status & VIRTIO_INT_CONFIG) && vdev->driver && vdev->driver->config_changed)
        vdev->driver->config_changed(vdev);
}

void virtio_poll(struct virtio_device *vdev)
{
    irqflags_t f = local_irq_save();
    vm_interrupt(vdev);
    local_irq_restore(f);
}

void virtio_describe(const struct virtio_device *vdev, char *buf, size_t size)
{
    if (vdev->irq_ok)
        ksnprintf(buf, size, "%s mmio @%#llx irq %u", vdev->version < 2 ? "legacy" : "modern",
                  (unsigned long long)vdev->phys, vdev->irq);
    else
        ksnprintf(buf, size, "%s mmio @%#llx polled", vdev->version < 2 ? "legacy" : "modern",
                  (unsigned long long)vdev->phys);
}

/* ---- Probing ---- */

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
    vm_reset(vdev);
    vm_set_status(vdev, VIRTIO_STATUS_ACKNOWLEDGE);
    vm_set_status(vdev, VIRTIO_STATUS_DRIVER);
    if (vdev->version < 2)
        vm_write(vdev, VM_GUEST_PAGE_SIZE, PAGE_SIZE);
    vdev->device_features = vm_device_features(vdev);
    /* The handler goes in before the probe because the probe may already do I/O (virtio-blk
     * reads the partition table); it only touches queues once they exist. Without it the
     * driver polls. */
    if (vdev->irq && !vdev->irq_ok) {
        int ierr = irq_register(vdev->irq, vm_interrupt, vdev);
        if (ierr)
            pr_warn("virtio@%llx: irq %u unavailable (%d): polled mode\n",
                    (unsigned long long)vdev->phys, vdev->irq, ierr);
        else
            vdev->irq_ok = true;
    }
    int err = drv->probe(vdev);
    if (err) {
        pr_err("virtio@%llx: %s: probe failed (%d)\n", (unsigned long long)vdev->phys,
               drv->name, err);
        vm_set_status(vdev, VIRTIO_STATUS_FAILED);
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
    for (unsigned i = 0; i < ndevices; i++)
        if (!devices[i]->driver && devices[i]->device_id == drv->device_id)
            bind(devices[i], drv);
}

/* Check one slot; returns the new device or NULL (empty slot, not virtio, bad version). */
static struct virtio_device *discover(const struct fdt_device *d, unsigned slot)
{
    volatile uint8_t *base = pa_to_va(d->base);
    struct virtio_device tmp = { .base = base, .phys = d->base };
    uint32_t magic = vm_read(&tmp, VM_MAGIC);
    uint32_t version = vm_read(&tmp, VM_VERSION);
    uint32_t id = vm_read(&tmp, VM_DEVICE_ID);
    if (magic != VIRTIO_MMIO_MAGIC) {
        pr_warn("virtio@%llx: bad magic %#x\n", (unsigned long long)d->base, magic);
        return NULL;
    }
    if (version != 1 && version != 2) {
        pr_warn("virtio@%llx: unsupported version %u\n", (unsigned long long)d->base, version);
        return NULL;
    }
    if (id == 0)
        return NULL;    /* an empty slot: QEMU virt has eight, most unused */
    struct virtio_device *vdev = kzalloc(sizeof(*vdev));
    if (!vdev)
        return NULL;
    *vdev = tmp;
    vdev->version = version;
    vdev->device_id = id;
    vdev->vendor_id = vm_read(&tmp, VM_VENDOR_ID);
    vdev->irq = d->has_irq ? d->irq : 0;
    vdev->slot = slot;
    pr_info("virtio@%llx: %s device (id %u), %s, irq %u\n", (unsigned long long)d->base,
            device_name(id), id, version == 1 ? "legacy" : "modern", vdev->irq);
    return vdev;
}

void virtio_init(const struct fdt_platform *plat)
{
    static bool done;
    if (done)
        return;
    done = true;
    /* Highest address first. QEMU virt fills the transports from the highest address down
     * and lists them in that order in its device tree, which is the order Linux probes them
     * in: so the first -device is vda, the second vdb, with either kernel. */
    for (unsigned k = plat->virtio_count; k-- > 0 && ndevices < FDT_MAX_VIRTIO;) {
        if (!plat->virtio[k].present)
            continue;
        struct virtio_device *vdev = discover(&plat->virtio[k], k);
        if (vdev)
            devices[ndevices++] = vdev;
    }
    virtio_register_driver(&virtio_blk_driver);
    virtio_register_driver(&virtio_rng_driver);
    /* Drivers registered before virtio_init (virtio-net, from net_init) get their devices
     * now. */
    for (unsigned i = 0; i < ndevices; i++) {
        if (devices[i]->driver)
            continue;
        struct virtio_driver *drv = find_driver(devices[i]->device_id);
        if (drv)
            bind(devices[i], drv);
        else
            pr_info("virtio@%llx: no driver for %s device\n",
                    (unsigned long long)devices[i]->phys, device_name(devices[i]->device_id));
    }
}
