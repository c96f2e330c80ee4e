/* PCI devices and drivers (kernel/drivers/pci).
 *
 * At boot pci_init() finds every "pci-host-ecam-generic" host bridge of the device tree,
 * enumerates its buses through ECAM, gives every BAR an address from the bridge's windows,
 * turns on decoding and bus mastering, and works out each function's INTx interrupt. The
 * functions are then `struct pci_dev`s; a driver registers with pci_register_driver() and its
 * probe() is called for every unclaimed function its id table matches.
 *
 * A virtio-pci transport, for instance:
 *     static const struct pci_device_id ids[] = {
 *         { .vendor = 0x1af4, .device = 0x1000, .device_last = 0x107f },   // all virtio
 *         { 0 } };
 *     probe(dev, id):
 *         for (pos = pci_find_capability(dev, PCI_CAP_ID_VNDR); pos;
 *              pos = pci_find_next_capability(dev, pos, PCI_CAP_ID_VNDR))
 *             cfg_type = pci_read_config8(dev, pos + 3), bar = pci_read_config8(dev, pos + 4),
 *             offset = pci_read_config32(dev, pos + 8), length = ...(pos + 12);
 *         regs = pci_iomap_range(dev, bar, offset, length);      // NULL: unusable
 *         pci_request_irq(dev, handler, arg);                    // shared INTx line
 *
 * Config space and device tree contents are not trusted: everything is bounds-checked when it
 * is read, and what does not make sense is logged and left out (no BAR, no irq, no device).
 */
#pragma once
#include "types.h"
#include "irq.h"
#include "pci_regs.h"

#define PCI_NUM_BARS 6
/* Capabilities live at 4-byte aligned offsets in 0x40..0xff: at most 48 of them. */
#define PCI_MAX_CAPS 48

/* Resource flags. */
#define PCI_RES_IO 0x01         /* I/O space BAR (reached through the host's I/O window) */
#define PCI_RES_MEM 0x02        /* memory BAR */
#define PCI_RES_MEM64 0x04      /* 64-bit memory BAR: it also uses the next BAR slot */
#define PCI_RES_PREFETCH 0x08
#define PCI_RES_ASSIGNED 0x10   /* start/bus_start are valid and programmed into the BAR */
#define PCI_RES_IO16 0x20       /* I/O BAR that decodes only 16 address bits */

struct pci_resource {
    uint64_t start;             /* CPU physical address (when ASSIGNED) */
    uint64_t size;              /* a power of two; 0: no BAR here */
    uint64_t bus_start;         /* the address on the PCI bus: what the BAR register holds */
    unsigned flags;
};

struct pci_cap {
    uint8_t id;
    uint8_t offset;
};

/* Bridge windows (type 1 functions), in pci_dev.window[]. */
enum { PCI_WIN_IO, PCI_WIN_MEM, PCI_WIN_PREF, PCI_NUM_WINDOWS };

struct pci_host;
struct pci_driver;

struct pci_dev {
    struct pci_host *host;
    struct pci_dev *parent;     /* the bridge this function sits behind; NULL on a root bus */
    char name[16];              /* "0000:00:01.0" (domain:bus:slot.function) */
    uint16_t domain;
    uint8_t bus, devfn;
    uint16_t vendor, device;
    uint16_t subsystem_vendor, subsystem_device;   /* 0 when the header has none */
    uint32_t class;             /* base class << 16 | sub class << 8 | programming interface */
    uint8_t revision;
    uint8_t hdr_type;           /* PCI_HEADER_TYPE_NORMAL / _BRIDGE / _CARDBUS */
    bool multifunction;
    uint8_t pin;                /* 1..4 = INTA..INTD, 0 = none */
    unsigned irq;               /* the PLIC interrupt INTx arrives on; 0 = none known */
    struct pci_resource resource[PCI_NUM_BARS];
    struct pci_cap caps[PCI_MAX_CAPS];      /* the capability list as walked at enumeration */
    unsigned ncaps;
    uint16_t command;           /* what enumeration left in PCI_COMMAND */
    /* Bridges only. */
    uint8_t secondary, subordinate;
    struct pci_resource window[PCI_NUM_WINDOWS];
    bool pref64;                /* the prefetchable window takes 64-bit addresses */
    bool io32;                  /* the I/O window takes 32-bit addresses */

    /* Driver model (kernel/drivers/pci/pci.c). */
    const struct pci_driver *driver;
    void *driver_data;
    struct pci_dev *next;       /* all functions of all hosts, in enumeration order */
};

#define PCI_ANY_ID 0xffffffffu

/* One match rule; a table ends with an all-zero entry. A field at PCI_ANY_ID matches anything;
 * class_mask 0 ignores the class. */
struct pci_device_id {
    uint32_t vendor, device;
    uint32_t device_last;       /* non-zero: matches devices device..device_last */
    uint32_t subvendor, subdevice;   /* 0 is taken as PCI_ANY_ID, so tables may omit them */
    uint32_t class, class_mask; /* (dev->class & class_mask) == class */
};

struct pci_driver {
    const char *name;
    const struct pci_device_id *id_table;
    /* Called in task context, BKL held. 0 binds the device to the driver; -ENODEV means "not
     * mine" (the next matching driver is tried); other errors are logged. */
    int (*probe)(struct pci_dev *dev, const struct pci_device_id *id);
    struct pci_driver *next;
};

/* ---- Boot ---- */

/* Enumerate and set up every ECAM host bridge of the flattened device tree at @fdt (@size
 * bytes). Call once, after the PLIC (irq_register) and before virtio_init; no host bridge in
 * the tree is not an error. */
void pci_init(const void *fdt, size_t size);

/* ---- Drivers ---- */

/* Add a driver and offer it every unclaimed function (before or after pci_init). */
int pci_register_driver(struct pci_driver *drv);
/* The entry of @ids matching @dev, or NULL. */
const struct pci_device_id *pci_match_id(const struct pci_device_id *ids,
                                         const struct pci_dev *dev);
/* Iterate over all functions: pass NULL to start; NULL at the end. */
struct pci_dev *pci_next_dev(struct pci_dev *from);
/* Iterate over the registered drivers in registration order, like pci_next_dev (sysfs lists
 * them in /sys/bus/pci/drivers). */
const struct pci_driver *pci_next_driver(const struct pci_driver *from);
static inline const char *pci_name(const struct pci_dev *dev) { return dev->name; }

/* ---- Configuration space ----
 * Offsets are bytes into the function's 4 KiB ECAM space and must be aligned to the access
 * size. A bad offset (or a host that cannot reach the function) reads as all ones, like a
 * master abort, and a write to one is dropped; both are logged. */
uint8_t pci_read_config8(const struct pci_dev *dev, unsigned off);
uint16_t pci_read_config16(const struct pci_dev *dev, unsigned off);
uint32_t pci_read_config32(const struct pci_dev *dev, unsigned off);
void pci_write_config8(const struct pci_dev *dev, unsigned off, uint8_t val);
void pci_write_config16(const struct pci_dev *dev, unsigned off, uint16_t val);
void pci_write_config32(const struct pci_dev *dev, unsigned off, uint32_t val);

/* Offset of the first capability @cap_id, or 0. */
unsigned pci_find_capability(const struct pci_dev *dev, unsigned cap_id);
/* Offset of the next capability @cap_id after the one at @pos, or 0. */
unsigned pci_find_next_capability(const struct pci_dev *dev, unsigned pos, unsigned cap_id);

/* ---- BARs ---- */

/* CPU physical address of BAR @bar if it was assigned, else 0. */
uint64_t pci_resource_start(const struct pci_dev *dev, unsigned bar);
/* Size of BAR @bar (0: no such BAR, or not assigned). */
uint64_t pci_resource_len(const struct pci_dev *dev, unsigned bar);
unsigned pci_resource_flags(const struct pci_dev *dev, unsigned bar);
/* Kernel pointer to bytes [@offset, @offset + @len) of BAR @bar (memory or I/O: both are
 * memory-mapped on RISC-V), through the direct map; @len 0 means to the end of the BAR. NULL
 * (logged) if the BAR is not assigned, the range is not inside it, or the kernel's direct map
 * does not reach it. Access it with volatile loads and stores. */
void *pci_iomap_range(struct pci_dev *dev, unsigned bar, uint64_t offset, uint64_t len);
static inline void *pci_iomap(struct pci_dev *dev, unsigned bar)
{
    return pci_iomap_range(dev, bar, 0, 0);
}

/* ---- Interrupts ---- */

/* Call @fn(@arg) when @dev's INTx line is asserted. Lines are shared (level-triggered, up to
 * four per host for all functions), so the handler must check that its device interrupted and
 * return quietly if not; it runs in interrupt context. 0, -ENOENT (no INTx for this function:
 * poll), -ENOMEM, or irq_register's error. */
int pci_request_irq(struct pci_dev *dev, irq_handler_t fn, void *arg);
