/* Virtio (virtio 1.2) with split virtqueues (§2.7): the core, its transports and drivers.
 *
 * Three layers, as in Linux:
 *   - transports find devices and drive their registers: virtio-mmio (drivers/virtio/
 *     virtio_mmio.c, the FDT's virtio,mmio slots) and virtio-pci (virtio_pci.c, modern and
 *     transitional PCI functions); each fills a struct virtio_device with its
 *     struct virtio_config_ops and calls virtio_add_device();
 *   - the core (drivers/virtio/virtio.c, virtqueue.c) binds devices to drivers by device ID,
 *     negotiates features, reads the configuration space, lays out and runs the virtqueues
 *     and dispatches interrupts, through those ops only;
 *   - drivers (virtio_blk.c, virtio_net.c, virtio_rng.c) see only the calls below, so they
 *     work over every transport.
 * Binding a device: reset, ACKNOWLEDGE, DRIVER, then the driver's probe():
 *     virtio_negotiate(vdev, features it supports)    -> FEATURES_OK (modern) or just written
 *     virtio_cread*() its configuration
 *     virtio_setup_vq() for each queue
 *     virtio_device_ready()                           -> DRIVER_OK
 * and returns 0; on an error it returns -errno and the core sets FAILED.
 *
 * Virtqueue calls are not locked: a driver serialises them itself (one spinlock taken with
 * spin_lock_irqsave in submit paths and in its queue callback, which runs in interrupt context
 * or from virtio_poll()).
 *
 * A device is not trusted: used-ring indexes, descriptor ids and lengths it returns are
 * checked; a queue that breaks the rules is marked broken (virtqueue_is_broken) and reported,
 * and its driver fails what was in flight.
 */
#pragma once
#include "types.h"
#include "spinlock.h"
#include "irq.h"

struct fdt_platform;

/* Device IDs (§5). */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4

/* Device status bits (§2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER 2u
#define VIRTIO_STATUS_DRIVER_OK 4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED 128u

/* Transport feature bits (§6). */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VIRTIO_F_RING_PACKED 34

/* Split ring layout (§2.7). */
struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4

struct virtq_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[];
};
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

struct virtq_used_elem {
    uint32_t id;
    uint32_t len;
};
struct virtq_used {
    uint16_t flags;
    uint16_t idx;
    struct virtq_used_elem ring[];
};
#define VIRTQ_USED_F_NO_NOTIFY 1

struct virtio_device;
struct virtqueue;
typedef void (*vq_callback_t)(struct virtqueue *vq);

/* One buffer segment: a physical address (va_to_pa of direct-map memory) and a length. */
struct vq_sg {
    paddr_t addr;
    uint32_t len;
};

struct virtqueue {
    struct virtio_device *vdev;
    unsigned index;
    uint16_t num;                   /* ring size, a power of two */
    struct virtq_desc *desc;
    struct virtq_avail *avail;
    struct virtq_used *used;
    void *mem;                      /* the rings: page_alloc_contig(mem_pages) */
    size_t mem_pages;
    vq_callback_t callback;
    void *priv;                     /* the driver's */

    /* Driver-side shadow state: never read back from memory the device can write. */
    uint16_t free_head;             /* first free descriptor (chained through next_free) */
    uint16_t num_free;
    uint16_t avail_idx;             /* our copy of avail->idx */
    uint16_t last_used;             /* used entries consumed */
    uint16_t *next_free;            /* [num] free-list links, and chain links while in use */
    uint16_t *chain_len;            /* [num] descriptors in the chain headed here (0: free) */
    uint32_t *in_bytes;             /* [num] device-writable bytes of that chain */
    void **tokens;                  /* [num] the driver's cookie per in-use head */
    bool broken;
};

/* What a transport does for the core (Linux's virtio_config_ops). Every call may touch device
 * registers; none sleeps. */
struct virtio_config_ops {
    void (*reset)(struct virtio_device *vdev);              /* status 0, and wait for it */
    uint8_t (*get_status)(struct virtio_device *vdev);
    void (*set_status)(struct virtio_device *vdev, uint8_t status);
    uint64_t (*get_features)(struct virtio_device *vdev);   /* what the device offers */
    void (*set_features)(struct virtio_device *vdev, uint64_t features);
    /* The configuration generation counter; NULL for a legacy device, which has none. */
    uint32_t (*generation)(struct virtio_device *vdev);
    /* Bytes of the device-specific configuration space, one access per byte. */
    void (*read_config)(struct virtio_device *vdev, unsigned offset, uint8_t *buf, size_t len);
    /* The largest size of queue `index`: > 0, 0 if the device has no such queue, -EBUSY if
     * it is already in use. */
    int (*queue_max)(struct virtio_device *vdev, unsigned index);
    /* Give the device the rings of vq (vq->num entries at vq->desc/avail/used) and enable it. */
    int (*activate_queue)(struct virtio_device *vdev, struct virtqueue *vq);
    void (*notify)(struct virtqueue *vq);                   /* buffers are available */
    /* Read and acknowledge the interrupt status: VIRTIO_ISR_* bits. */
    uint32_t (*ack_interrupt)(struct virtio_device *vdev);
    /* Install the core's interrupt handler (called with vdev->irq set): 0 or -errno (the
     * device is then polled). NULL: irq_register(vdev->irq), a line of the device's own.
     * virtio-pci shares INTx lines through the PCI core instead (pci_request_irq). */
    int (*request_irq)(struct virtio_device *vdev, irq_handler_t handler, void *arg);
    /* Where the device is, for the logs: "legacy mmio @0x10008000". */
    void (*describe)(const struct virtio_device *vdev, char *buf, size_t size);
};
#define VIRTIO_ISR_QUEUE 1u           /* a used ring changed */
#define VIRTIO_ISR_CONFIG 2u          /* the configuration changed */

struct virtio_device {
    const struct virtio_config_ops *ops;
    void *transport;                /* the transport's own state */
    char name[24];                  /* for messages: "virtio@10008000" */
    bool legacy;                    /* a pre-1.0 device: 32 feature bits, no FEATURES_OK */
    unsigned irq;                   /* 0: none (polled); a PLIC source, shared for PCI */
    bool irq_ok;                    /* the interrupt handler is installed */
    uint32_t device_id, vendor_id;
    uint64_t device_features;       /* offered */
    uint64_t features;              /* negotiated */
    const struct virtio_driver *driver;
    void *priv;                     /* the driver's */
#define VIRTIO_MAX_VQS 4
    struct virtqueue *vqs[VIRTIO_MAX_VQS];
};

struct virtio_driver {
    const char *name;
    uint32_t device_id;
    int (*probe)(struct virtio_device *vdev);
    void (*config_changed)(struct virtio_device *vdev);     /* may be NULL; interrupt context */
    struct virtio_driver *next;
};

/* ---- Boot ---- */

/* Find the devices of every transport, then register the built-in drivers (virtio-blk,
 * virtio-rng) and bind what they drive. Call once, after the PLIC is set up (irq_register
 * works) and before anything mounts a disk; without an interrupt a device is polled. */
void virtio_init(const struct fdt_platform *plat);
/* Add a driver (before or after virtio_init: it is offered every unclaimed device). */
void virtio_register_driver(struct virtio_driver *drv);

/* ---- For transports ---- */

/* A device the transport found (ops, transport, name, legacy, irq, device and vendor IDs
 * filled in). Devices are bound in the order they are added: the first virtio-blk added is
 * vda. 0, or -ENOSPC when the core's table is full (the device is ignored). */
int virtio_add_device(struct virtio_device *vdev);
/* The transports' discovery, called by virtio_init in this order (so mmio disks come first,
 * as with Linux, whose virtio_mmio is linked before virtio_pci). virtio_pci_probe needs
 * pci_init to have run. */
void virtio_mmio_probe(const struct fdt_platform *plat);
void virtio_pci_probe(void);

/* ---- For drivers ---- */

/* Offer `driver_features` (device-specific bits; VERSION_1 is added for modern devices) and
 * keep the intersection with the device's. Modern: sets FEATURES_OK and checks the device
 * kept it (-ENODEV if not). */
int virtio_negotiate(struct virtio_device *vdev, uint64_t driver_features);
static inline bool virtio_has_feature(const struct virtio_device *vdev, unsigned bit)
{
    return (vdev->features >> bit) & 1;
}
/* Device configuration space (little-endian; a modern device's is read consistently with the
 * ConfigGeneration protocol). */
void virtio_cread(struct virtio_device *vdev, unsigned offset, void *buf, size_t len);
uint8_t virtio_cread8(struct virtio_device *vdev, unsigned offset);
uint16_t virtio_cread16(struct virtio_device *vdev, unsigned offset);
uint32_t virtio_cread32(struct virtio_device *vdev, unsigned offset);
uint64_t virtio_cread64(struct virtio_device *vdev, unsigned offset);
/* Create queue `index` with at most max_num entries (rounded down to a power of two and to
 * what the device allows). NULL on failure (logged). */
struct virtqueue *virtio_setup_vq(struct virtio_device *vdev, unsigned index, unsigned max_num,
                                  vq_callback_t callback, void *priv);
void virtio_device_ready(struct virtio_device *vdev);
/* Run the interrupt handler by hand (polled mode; safe at any time). */
void virtio_poll(struct virtio_device *vdev);
/* Where the device is and how it interrupts: "legacy mmio @0x10008000 irq 8". */
void virtio_describe(const struct virtio_device *vdev, char *buf, size_t size);

/* ---- Virtqueues (the caller serialises) ---- */

/* Expose a chain of `out` device-readable then `in` device-writable segments. token (not
 * NULL) comes back from virtqueue_get_buf. 0, -ENOSPC (not enough free descriptors; retry
 * after completions), -EINVAL, or -EIO if the queue is broken. */
int virtqueue_add(struct virtqueue *vq, const struct vq_sg *sg, unsigned out, unsigned in,
                  void *token);
/* Tell the device new buffers are available (unless it asked not to be told). */
void virtqueue_kick(struct virtqueue *vq);
/* The next completed chain's token and the bytes the device says it wrote (clamped to the
 * chain's writable size), or NULL if none. */
void *virtqueue_get_buf(struct virtqueue *vq, uint32_t *len);
unsigned virtqueue_num_free(const struct virtqueue *vq);
bool virtqueue_is_broken(const struct virtqueue *vq);

/* Built-in drivers. */
extern struct virtio_driver virtio_blk_driver;
extern struct virtio_driver virtio_rng_driver;
/* Entropy from the virtio-rng device (polled): bytes read, 0 if there is no device. */
size_t virtio_rng_read(void *buf, size_t len);
