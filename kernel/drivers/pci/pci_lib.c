/* Configuration-space access with argument checks, the helpers drivers call (capabilities,
 * resources, id matching) and logging. Pure: runs on the host in tests/unit/pci. */
#include "kernel.h"
#include "kprintf.h"
#include "pci_core.h"

/* ---- Logging ---- */

/* printk takes the level from the start of its format string, so it cannot be an argument. */
static void pci_vlog(bool err, const char *kind, const char *name, const char *fmt, va_list ap)
{
    char text[200];
    kvsnprintf(text, sizeof text, fmt, ap);
    if (err)
        printk(KERN_ERR "%s %s: %s", kind, name, text);
    else
        printk(KERN_INFO "%s %s: %s", kind, name, text);
}

void pci_dev_info(const struct pci_dev *dev, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pci_vlog(false, "pci", dev->name, fmt, ap);
    va_end(ap);
}

void pci_dev_err(const struct pci_dev *dev, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pci_vlog(true, "pci", dev->name, fmt, ap);
    va_end(ap);
    if (dev->host)
        dev->host->errors++;
}

void pci_host_info(const struct pci_host *host, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pci_vlog(false, "pci-host-generic", host->info.name, fmt, ap);
    va_end(ap);
}

void pci_host_err(struct pci_host *host, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pci_vlog(true, "pci-host-generic", host->info.name, fmt, ap);
    va_end(ap);
    host->errors++;
}

void pci_format_res(char *buf, size_t size, const struct pci_resource *res)
{
    const char *extra = (res->flags & PCI_RES_MEM64) ? " 64bit" : "";
    const char *pref = (res->flags & PCI_RES_PREFETCH) ? " pref" : "";
    uint64_t start = (res->flags & PCI_RES_ASSIGNED) ? res->start : res->bus_start;
    if (res->flags & PCI_RES_IO) {
        /* I/O is shown as port numbers (bus addresses), as Linux shows it. */
        start = res->bus_start;
        ksnprintf(buf, size, "[io  0x%04llx-0x%04llx]", (unsigned long long)start,
                  (unsigned long long)(start + res->size - 1));
    } else if (res->size) {
        ksnprintf(buf, size, "[mem 0x%08llx-0x%08llx%s%s]", (unsigned long long)start,
                  (unsigned long long)(start + res->size - 1), extra, pref);
    } else {
        ksnprintf(buf, size, "[mem disabled]");
    }
}

/* ---- Config space ---- */

static uint32_t all_ones(unsigned size)
{
    return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static bool cfg_args_ok(const struct pci_host *host, unsigned bus, unsigned devfn,
                        unsigned off, unsigned size)
{
    if (size != 1 && size != 2 && size != 4)
        return false;
    if (off % size || off + size > PCI_CFG_SPACE_EXP_SIZE || devfn > 0xff)
        return false;
    return bus >= host->info.bus_start && bus <= host->info.bus_end && host->ops;
}

int pci_cfg_read(struct pci_host *host, unsigned bus, unsigned devfn, unsigned off,
                 unsigned size, uint32_t *val)
{
    *val = all_ones(size);
    if (!cfg_args_ok(host, bus, devfn, off, size))
        return -EINVAL;
    uint32_t v = 0;
    int err = host->ops->read(host->ops_ctx, bus, devfn, off, size, &v);
    if (err)
        return err;
    *val = v & all_ones(size);      /* an accessor cannot hand back more than it was asked */
    return 0;
}

int pci_cfg_write(struct pci_host *host, unsigned bus, unsigned devfn, unsigned off,
                  unsigned size, uint32_t val)
{
    if (!cfg_args_ok(host, bus, devfn, off, size))
        return -EINVAL;
    return host->ops->write(host->ops_ctx, bus, devfn, off, size, val & all_ones(size));
}

static uint32_t dev_read(const struct pci_dev *dev, unsigned off, unsigned size)
{
    uint32_t v;
    if (!dev->host || pci_cfg_read(dev->host, dev->bus, dev->devfn, off, size, &v)) {
        pci_dev_err(dev, "config read of %u bytes at %#x failed", size, off);
        return all_ones(size);
    }
    return v;
}

static void dev_write(const struct pci_dev *dev, unsigned off, unsigned size, uint32_t val)
{
    if (!dev->host || pci_cfg_write(dev->host, dev->bus, dev->devfn, off, size, val))
        pci_dev_err(dev, "config write of %u bytes at %#x failed", size, off);
}

uint8_t pci_read_config8(const struct pci_dev *dev, unsigned off)
{
    return (uint8_t)dev_read(dev, off, 1);
}

uint16_t pci_read_config16(const struct pci_dev *dev, unsigned off)
{
    return (uint16_t)dev_read(dev, off, 2);
}

uint32_t pci_read_config32(const struct pci_dev *dev, unsigned off)
{
    return dev_read(dev, off, 4);
}

void pci_write_config8(const struct pci_dev *dev, unsigned off, uint8_t val)
{
    dev_write(dev, off, 1, val);
}

void pci_write_config16(const struct pci_dev *dev, unsigned off, uint16_t val)
{
    dev_write(dev, off, 2, val);
}

void pci_write_config32(const struct pci_dev *dev, unsigned off, uint32_t val)
{
    dev_write(dev, off, 4, val);
}

/* ---- Capabilities: the list validated once at enumeration (pci_probe.c) ---- */

unsigned pci_find_capability(const struct pci_dev *dev, unsigned cap_id)
{
    for (unsigned i = 0; i < dev->ncaps && i < PCI_MAX_CAPS; i++)
        if (dev->caps[i].id == cap_id)
            return dev->caps[i].offset;
    return 0;
}

unsigned pci_find_next_capability(const struct pci_dev *dev, unsigned pos, unsigned cap_id)
{
    unsigned i = 0;
    while (i < dev->ncaps && i < PCI_MAX_CAPS && dev->caps[i].offset != pos)
        i++;
    for (i++; i < dev->ncaps && i < PCI_MAX_CAPS; i++)
        if (dev->caps[i].id == cap_id)
            return dev->caps[i].offset;
    return 0;
}

/* ---- Resources ---- */

static const struct pci_resource *bar_res(const struct pci_dev *dev, unsigned bar)
{
    if (bar >= PCI_NUM_BARS || !(dev->resource[bar].flags & PCI_RES_ASSIGNED))
        return NULL;
    return &dev->resource[bar];
}

uint64_t pci_resource_start(const struct pci_dev *dev, unsigned bar)
{
    const struct pci_resource *r = bar_res(dev, bar);
    return r ? r->start : 0;
}

uint64_t pci_resource_len(const struct pci_dev *dev, unsigned bar)
{
    const struct pci_resource *r = bar_res(dev, bar);
    return r ? r->size : 0;
}

unsigned pci_resource_flags(const struct pci_dev *dev, unsigned bar)
{
    return bar < PCI_NUM_BARS ? dev->resource[bar].flags : 0;
}

/* ---- Drivers ---- */

static bool id_is_end(const struct pci_device_id *id)
{
    return id->vendor == 0 && id->device == 0 && id->class_mask == 0;
}

static bool field_matches(uint32_t want, uint32_t have)
{
    return want == PCI_ANY_ID || want == have;
}

const struct pci_device_id *pci_match_id(const struct pci_device_id *ids,
                                         const struct pci_dev *dev)
{
    for (const struct pci_device_id *id = ids; ids && !id_is_end(id); id++) {
        if (!field_matches(id->vendor, dev->vendor))
            continue;
        if (id->device != PCI_ANY_ID) {
            uint32_t last = id->device_last ? id->device_last : id->device;
            if (dev->device < id->device || dev->device > last)
                continue;
        }
        if (id->subvendor && !field_matches(id->subvendor, dev->subsystem_vendor))
            continue;
        if (id->subdevice && !field_matches(id->subdevice, dev->subsystem_device))
            continue;
        if ((dev->class ^ id->class) & id->class_mask)
            continue;
        return id;
    }
    return NULL;
}

/* ---- INTx ---- */

unsigned pci_swizzle_interrupt_pin(const struct pci_dev *dev, unsigned pin)
{
    return ((pin - 1 + PCI_SLOT(dev->devfn)) % 4) + 1;
}
