/* The kernel side of PCI: find the ECAM host bridges in the device tree, reach their config
 * space through the direct map, run the pure core (pci_dt.c, pci_probe.c, pci_assign.c) over
 * it, and keep the driver model: the list of functions, drivers and their probes, BAR
 * mappings and shared INTx handlers.
 *
 * Everything here runs at boot or from a driver's probe, in task context under the BKL; only
 * the INTx dispatcher runs in interrupt context. */
#include "kernel.h"
#include "pci.h"
#include "fdt.h"
#include "irq.h"
#include "mm.h"
#include "memlayout.h"
#include "spinlock.h"
#include "pci_core.h"

#define PCI_MAX_HOSTS 4
#define PCI_MAX_DEVICES 256     /* functions per host: a full bus of multi-function devices */
#define PCI_MAX_IRQ_LINES 16    /* distinct INTx interrupts (QEMU virt: 4 per host) */

struct ecam_host {
    struct pci_host host;
    volatile uint8_t *ecam;     /* the ECAM window through the direct map */
};

static struct pci_dev *dev_list, **dev_tail = &dev_list;
static struct pci_driver *drivers;

/* ---- ECAM ---- */

/* Config accesses are device memory accesses: ordered against each other and against normal
 * memory on both sides (RISC-V needs the I/O bits in the fence). */
static inline void io_fence(void)
{
    __asm__ volatile("fence iorw, iorw" ::: "memory");
}

static int ecam_read(void *ctx, unsigned bus, unsigned devfn, unsigned off, unsigned size,
                     uint32_t *val)
{
    struct ecam_host *eh = ctx;
    uint64_t o;
    if (pci_ecam_offset(&eh->host.info, bus, devfn, off, size, &o))
        return -EINVAL;
    volatile uint8_t *p = eh->ecam + o;
    io_fence();
    if (size == 1)
        *val = *p;
    else if (size == 2)
        *val = *(volatile uint16_t *)p;
    else
        *val = *(volatile uint32_t *)p;
    io_fence();
    return 0;
}

static int ecam_write(void *ctx, unsigned bus, unsigned devfn, unsigned off, unsigned size,
                      uint32_t val)
{
    struct ecam_host *eh = ctx;
    uint64_t o;
    if (pci_ecam_offset(&eh->host.info, bus, devfn, off, size, &o))
        return -EINVAL;
    volatile uint8_t *p = eh->ecam + o;
    io_fence();
    if (size == 1)
        *p = (uint8_t)val;
    else if (size == 2)
        *(volatile uint16_t *)p = (uint16_t)val;
    else
        *(volatile uint32_t *)p = val;
    io_fence();
    return 0;
}

static const struct pci_cfg_ops ecam_ops = { .read = ecam_read, .write = ecam_write };

static bool in_direct_map(uint64_t pa, uint64_t len)
{
    return pa < DIRECT_MAP_SIZE && len <= DIRECT_MAP_SIZE - pa;
}

/* ---- Drivers ---- */

static void try_bind(struct pci_dev *dev, struct pci_driver *drv)
{
    const struct pci_device_id *id = pci_match_id(drv->id_table, dev);
    if (dev->driver || !id)
        return;
    dev->driver = drv;
    int err = drv->probe(dev, id);
    if (err) {
        dev->driver = NULL;
        if (err != -ENODEV)
            pci_dev_err(dev, "%s: probe failed (%d)", drv->name, err);
    }
}

int pci_register_driver(struct pci_driver *drv)
{
    if (!drv || !drv->probe || !drv->id_table)
        return -EINVAL;
    /* At the tail: a driver registered earlier gets first refusal. */
    struct pci_driver **pp = &drivers;
    while (*pp)
        pp = &(*pp)->next;
    drv->next = NULL;
    *pp = drv;
    for (struct pci_dev *dev = dev_list; dev; dev = dev->next)
        try_bind(dev, drv);
    return 0;
}

struct pci_dev *pci_next_dev(struct pci_dev *from)
{
    return from ? from->next : dev_list;
}

/* ---- BAR mappings ---- */

void *pci_iomap_range(struct pci_dev *dev, unsigned bar, uint64_t offset, uint64_t len)
{
    if (bar >= PCI_NUM_BARS || !(dev->resource[bar].flags & PCI_RES_ASSIGNED)) {
        pci_dev_err(dev, "BAR %u has no address: cannot map it", bar);
        return NULL;
    }
    const struct pci_resource *r = &dev->resource[bar];
    uint16_t decode = (r->flags & PCI_RES_IO) ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
    if (len == 0 && offset < r->size)
        len = r->size - offset;
    if (offset >= r->size || len > r->size - offset) {
        pci_dev_err(dev, "BAR %u: [%#llx, +%#llx) is outside its %#llx bytes", bar,
                    (unsigned long long)offset, (unsigned long long)len,
                    (unsigned long long)r->size);
        return NULL;
    }
    if (!(dev->command & decode)) {
        pci_dev_err(dev, "BAR %u: decoding is off (another BAR got no address)", bar);
        return NULL;
    }
    if (!in_direct_map(r->start + offset, len)) {
        pci_dev_err(dev, "BAR %u at %#llx is beyond the kernel's direct map", bar,
                    (unsigned long long)r->start);
        return NULL;
    }
    return pa_to_va(r->start + offset);
}

/* ---- Shared INTx ---- */

struct irq_action {
    irq_handler_t fn;
    void *arg;
    struct irq_action *next;
};

static struct irq_line {
    unsigned irq;
    struct irq_action *actions;
} irq_lines[PCI_MAX_IRQ_LINES];
static unsigned nirq_lines;
static spinlock_t irq_lines_lock = SPINLOCK_INIT("pci_irq");

/* Every handler on the line: each checks whether its own device interrupted. Actions are
 * never removed and are published complete (release/acquire), so no lock is needed here. */
static void irq_dispatch(void *arg)
{
    struct irq_line *line = arg;
    for (struct irq_action *a = __atomic_load_n(&line->actions, __ATOMIC_ACQUIRE); a;
         a = __atomic_load_n(&a->next, __ATOMIC_ACQUIRE))
        a->fn(a->arg);
}

int pci_request_irq(struct pci_dev *dev, irq_handler_t fn, void *arg)
{
    if (!dev->irq)
        return -ENOENT;
    struct irq_action *action = kzalloc(sizeof *action);
    if (!action)
        return -ENOMEM;
    action->fn = fn;
    action->arg = arg;

    int err = 0;
    irqflags_t f = spin_lock_irqsave(&irq_lines_lock);
    struct irq_line *line = NULL;
    for (unsigned i = 0; i < nirq_lines; i++)
        if (irq_lines[i].irq == dev->irq)
            line = &irq_lines[i];
    if (!line) {
        if (nirq_lines == PCI_MAX_IRQ_LINES) {
            err = -ENOSPC;
        } else {
            line = &irq_lines[nirq_lines];
            line->irq = dev->irq;
            line->actions = NULL;
            err = irq_register(dev->irq, irq_dispatch, line);
            if (!err)
                nirq_lines++;
        }
    }
    if (!err) {
        struct irq_action **pp = &line->actions;
        while (*pp)
            pp = &(*pp)->next;
        __atomic_store_n(pp, action, __ATOMIC_RELEASE);
    }
    spin_unlock_irqrestore(&irq_lines_lock, f);
    if (err) {
        pci_dev_err(dev, "irq %u: cannot install a handler (%d)", dev->irq, err);
        kfree(action);
    }
    return err;
}

/* ---- Boot ---- */

static void add_host(const struct fdt *fdt, int node, unsigned index)
{
    struct ecam_host *eh = kzalloc(sizeof *eh);
    struct pci_dev *devs = kzalloc(PCI_MAX_DEVICES * sizeof *devs);
    if (!eh || !devs) {
        pr_err("pci: out of memory for a host bridge");
        kfree(eh);
        kfree(devs);
        return;
    }
    struct pci_host *host = &eh->host;
    if (pci_dt_parse_host(fdt, node, index, host))
        goto fail;
    if (!in_direct_map(host->info.ecam_base, host->info.ecam_size)) {
        pci_host_err(host, "ECAM window at %#llx is beyond the kernel's direct map",
                     (unsigned long long)host->info.ecam_base);
        goto fail;
    }
    eh->ecam = pa_to_va(host->info.ecam_base);
    host->ops = &ecam_ops;
    host->ops_ctx = eh;
    host->devs = devs;
    host->max_devs = PCI_MAX_DEVICES;
    int n = pci_setup_host(host);
    if (n < 0)
        goto fail;
    for (unsigned i = 0; i < host->ndevs; i++) {
        *dev_tail = &devs[i];
        dev_tail = &devs[i].next;
    }
    pci_host_info(host, "%d PCI functions%s", n, host->errors ? ", with errors (see above)" : "");
    return;
fail:
    pci_host_err(host, "host bridge not used");
    kfree(devs);
    kfree(eh);
}

void pci_init(const void *blob, size_t size)
{
    static bool done;
    if (done)
        return;
    done = true;
    struct fdt fdt;
    if (fdt_init(&fdt, blob, size))
        return;                 /* kmain has said the tree is malformed */
    unsigned index = 0;
    for (int node = fdt_find_compatible(&fdt, -1, "pci-host-ecam-generic"); node >= 0;
         node = fdt_find_compatible(&fdt, node, "pci-host-ecam-generic")) {
        if (!fdt_node_is_enabled(&fdt, node))
            continue;
        if (index == PCI_MAX_HOSTS) {
            pr_err("pci: more than %d host bridges: the rest are not used", PCI_MAX_HOSTS);
            break;
        }
        add_host(&fdt, node, index++);
    }
    /* Drivers registered before the devices existed. */
    for (struct pci_dev *dev = dev_list; dev; dev = dev->next)
        for (struct pci_driver *drv = drivers; drv && !dev->driver; drv = drv->next)
            try_bind(dev, drv);
}
