/* The virtio-mmio transport (virtio 1.2 §4.2): finds the FDT's virtio,mmio slots and drives
 * their registers for the core (virtio.c), legacy (version 1) and modern (version 2) layouts.
 *
 * Differences handled here: a legacy device has 32 feature bits, no FEATURES_OK step, a
 * single guest-physical page number for each queue (descriptors, then the available ring,
 * then the used ring at the next QueueAlign boundary) and GuestPageSize; a modern device
 * takes the three ring addresses separately, must negotiate VIRTIO_F_VERSION_1, and has a
 * ConfigGeneration counter for consistent configuration reads.
 *
 */
#include "kernel.h"
#include "virtio.h"
#include "fdt.h"
#include "mm.h"
#include "kprintf.h"
#include "asm/io.h"

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
#define LEGACY_ALIGN 4096u                /* QueueAlign: the core's ring layout */

struct vm_device {
    struct virtio_device vdev;
    volatile uint8_t *base;         /* the registers (direct map) */
    paddr_t phys;
    uint32_t version;               /* 1 legacy, 2 modern */
};

static struct vm_device *to_vm(const struct virtio_device *vdev) { return vdev->transport; }

static inline uint32_t vm_read(const struct vm_device *vm, unsigned off)
{
    return readl(vm->base + off);
}

static inline void vm_write(const struct vm_device *vm, unsigned off, uint32_t v)
{
    writel(v, vm->base + off);
}

/* ---- The transport operations ---- */

static uint8_t vm_get_status(struct virtio_device *vdev)
{
    return (uint8_t)vm_read(to_vm(vdev), VM_STATUS);
}

static void vm_set_status(struct virtio_device *vdev, uint8_t status)
{
    vm_write(to_vm(vdev), VM_STATUS, status);
}

static void vm_reset(struct virtio_device *vdev)
{
    struct vm_device *vm = to_vm(vdev);
    vm_write(vm, VM_STATUS, 0);
    /* Modern devices may take time to reset; reading 0 back says it is done (§4.2.3.1). */
    for (unsigned i = 0; i < 1000000 && vm_read(vm, VM_STATUS) != 0; i++)
        ;
}

static uint64_t vm_get_features(struct virtio_device *vdev)
{
    struct vm_device *vm = to_vm(vdev);
    vm_write(vm, VM_DEVICE_FEATURES_SEL, 0);
    uint64_t f = vm_read(vm, VM_DEVICE_FEATURES);
    if (vm->version >= 2) {
        vm_write(vm, VM_DEVICE_FEATURES_SEL, 1);
        f |= (uint64_t)vm_read(vm, VM_DEVICE_FEATURES) << 32;
    }
    return f;
}

static void vm_set_features(struct virtio_device *vdev, uint64_t features)
{
    struct vm_device *vm = to_vm(vdev);
    vm_write(vm, VM_DRIVER_FEATURES_SEL, 0);
    vm_write(vm, VM_DRIVER_FEATURES, (uint32_t)features);
    if (vm->version >= 2) {
        vm_write(vm, VM_DRIVER_FEATURES_SEL, 1);
        vm_write(vm, VM_DRIVER_FEATURES, (uint32_t)(features >> 32));
    }
}

static uint32_t vm_generation(struct virtio_device *vdev)
{
    return vm_read(to_vm(vdev), VM_CONFIG_GENERATION);
}

/* Byte-wise copy of the config window: legal for any field; the core makes multi-byte
 * fields consistent (generation counter, or reading twice on legacy devices). */
static void vm_read_config(struct virtio_device *vdev, unsigned offset, uint8_t *buf,
                           size_t len)
{
    struct vm_device *vm = to_vm(vdev);
    for (size_t i = 0; i < len; i++)
        buf[i] = readb(vm->base + VM_CONFIG + offset + i);
}

static int vm_queue_max(struct virtio_device *vdev, unsigned index)
{
    struct vm_device *vm = to_vm(vdev);
    vm_write(vm, VM_QUEUE_SEL, index);
    bool in_use = vm->version < 2 ? vm_read(vm, VM_QUEUE_PFN) != 0
                                  : vm_read(vm, VM_QUEUE_READY) != 0;
    if (in_use)
        return -EBUSY;
    return (int)MIN(vm_read(vm, VM_QUEUE_NUM_MAX), 32768u);
}

static int vm_activate_queue(struct virtio_device *vdev, struct virtqueue *vq)
{
    struct vm_device *vm = to_vm(vdev);
    paddr_t desc = va_to_pa(vq->desc);
    vm_write(vm, VM_QUEUE_SEL, vq->index);
    vm_write(vm, VM_QUEUE_NUM, vq->num);
    if (vm->version < 2) {
        /* One page number for all three rings, laid out with QueueAlign. */
        vm_write(vm, VM_GUEST_PAGE_SIZE, PAGE_SIZE);
        vm_write(vm, VM_QUEUE_ALIGN, LEGACY_ALIGN);
        vm_write(vm, VM_QUEUE_PFN, (uint32_t)(desc / PAGE_SIZE));
        return 0;
    }
    paddr_t avail = va_to_pa(vq->avail), used = va_to_pa(vq->used);
    vm_write(vm, VM_QUEUE_DESC_LOW, (uint32_t)desc);
    vm_write(vm, VM_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
    vm_write(vm, VM_QUEUE_DRIVER_LOW, (uint32_t)avail);
    vm_write(vm, VM_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
    vm_write(vm, VM_QUEUE_DEVICE_LOW, (uint32_t)used);
    vm_write(vm, VM_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
    vm_write(vm, VM_QUEUE_READY, 1);
    return 0;
}

static void vm_notify(struct virtqueue *vq)
{
    vm_write(to_vm(vq->vdev), VM_QUEUE_NOTIFY, vq->index);
}

static uint32_t vm_ack_interrupt(struct virtio_device *vdev)
{
    struct vm_device *vm = to_vm(vdev);
    uint32_t status = vm_read(vm, VM_INTERRUPT_STATUS);
    if (status)
        vm_write(vm, VM_INTERRUPT_ACK, status);
    return status;
}

static void vm_describe(const struct virtio_device *vdev, char *buf, size_t size)
{
    const struct vm_device *vm = to_vm(vdev);
    ksnprintf(buf, size, "%s mmio @%#llx", vm->version < 2 ? "legacy" : "modern",
              (unsigned long long)vm->phys);
}

static const struct virtio_config_ops vm_ops = {
    .reset = vm_reset,
    .get_status = vm_get_status,
    .set_status = vm_set_status,
    .get_features = vm_get_features,
    .set_features = vm_set_features,
    .generation = vm_generation,
    .read_config = vm_read_config,
    .queue_max = vm_queue_max,
    .activate_queue = vm_activate_queue,
    .notify = vm_notify,
    .ack_interrupt = vm_ack_interrupt,
    .describe = vm_describe,
};

/* ---- Discovery ---- */

/* Check one slot: a new device for the core, or NULL (empty slot, not virtio, bad version). */
static struct vm_device *discover(const struct fdt_device *d)
{
    struct vm_device probe = { .base = pa_to_va(d->base), .phys = d->base };
    uint32_t magic = vm_read(&probe, VM_MAGIC);
    uint32_t version = vm_read(&probe, VM_VERSION);
    uint32_t id = vm_read(&probe, VM_DEVICE_ID);
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
    struct vm_device *vm = kzalloc(sizeof(*vm));
    if (!vm)
        return NULL;
    *vm = probe;
    vm->version = version;
    struct virtio_device *vdev = &vm->vdev;
    vdev->ops = &vm_ops;
    vdev->transport = vm;
    ksnprintf(vdev->name, sizeof vdev->name, "virtio@%llx", (unsigned long long)d->base);
    vdev->legacy = version == 1;
    vdev->device_id = id;
    vdev->vendor_id = vm_read(vm, VM_VENDOR_ID);
    vdev->irq = d->has_irq ? d->irq : 0;
    return vm;
}

void virtio_mmio_probe(const struct fdt_platform *plat)
{
    /* Highest address first. QEMU virt fills the transports from the highest address down
     * and lists them in that order in its device tree, which is the order Linux probes them
     * in: so the first -device is vda, the second vdb, with either kernel. */
    for (unsigned k = plat->virtio_count; k-- > 0;) {
        if (!plat->virtio[k].present)
            continue;
        struct vm_device *vm = discover(&plat->virtio[k]);
        if (vm && virtio_add_device(&vm->vdev) != 0)
            kfree(vm);
    }
}
