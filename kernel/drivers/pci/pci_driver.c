/* The PCI driver model: the list of functions, drivers and their probes, BAR mappings and
 * shared INTx handlers. Runs in task context under the BKL (boot, a driver's probe); only the
 * INTx dispatcher runs in interrupt context. Host-tested (tests/unit/pci/test_pci_driver.c)
 * with stand-ins for kzalloc, spinlocks and irq_register. */
#include "kernel.h"
#include "pci.h"
#include "irq.h"
#include "mm.h"
#include "memlayout.h"
#include "spinlock.h"
#include "pci_core.h"

#define PCI_MAX_IRQ_LINES 16    /* distinct INTx interrupts (QEMU virt: 4 per host) */

static struct pci_dev *dev_list, **dev_tail = &dev_list;
static struct pci_driver *drivers;

bool pci_in_direct_map(uint64_t pa, uint64_t len)
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

const struct pci_driver *pci_next_driver(const struct pci_driver *from)
{
    return from ? from->next : drivers;
}

void pci_add_devices(struct pci_dev *devs, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        devs[i].next = NULL;
        *dev_tail = &devs[i];
        dev_tail = &devs[i].next;
    }
    /* Drivers registered before these functions existed, in registration order. */
    for (unsigned i = 0; i < n; i++)
        for (struct pci_driver *drv = drivers; drv && !devs[i].driver; drv = drv->next)
            try_bind(&devs[i], drv);
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
    if (!pci_in_direct_map(r->start + offset, len)) {
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
    if (line) {
        struct irq_action **pp = &line->actions;
        while (*pp)
            pp = &(*pp)->next;
        __atomic_store_n(pp, action, __ATOMIC_RELEASE);
    } else if (nirq_lines == PCI_MAX_IRQ_LINES) {
        err = -ENOSPC;
    } else {
        /* The handler is in place before the line is unmasked: a level-triggered line that is
         * already asserted finds it at once. */
        line = &irq_lines[nirq_lines];
        line->irq = dev->irq;
        __atomic_store_n(&line->actions, action, __ATOMIC_RELEASE);
        err = irq_register(dev->irq, irq_dispatch, line);
        if (err)
            line->actions = NULL;
        else
            nirq_lines++;
    }
    spin_unlock_irqrestore(&irq_lines_lock, f);
    if (err) {
        pci_dev_err(dev, "irq %u: cannot install a handler (%d)", dev->irq, err);
        kfree(action);
    }
    return err;
}
