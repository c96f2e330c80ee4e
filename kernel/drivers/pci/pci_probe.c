/* Enumeration: find the functions on each bus through the config accessor, number the buses
 * behind PCI-to-PCI bridges (depth first, as Linux does), read each function's identity, walk
 * its capability list and size its BARs. Pure: runs on the host in tests/unit/pci.
 *
 * A function's config space is not trusted: every pointer it holds is checked before it is
 * followed, lists are walked with a visited set, the recursion is bounded by PCI_MAX_DEPTH and
 * the host's bus range, and the number of functions by the caller's table. */
#include "kernel.h"
#include "kprintf.h"
#include "string.h"
#include "pci_core.h"

#define CAP_FIRST 0x40          /* capabilities live after the 64-byte header */

/* ---- One function ---- */

static struct pci_dev *new_dev(struct pci_host *host, struct pci_dev *parent, unsigned bus,
                               unsigned devfn)
{
    if (host->ndevs >= host->max_devs) {
        if (!host->devs_full)
            pci_host_err(host, "more than %u PCI functions: the rest are ignored",
                         host->max_devs);
        host->devs_full = true;
        return NULL;
    }
    struct pci_dev *dev = &host->devs[host->ndevs++];
    memset(dev, 0, sizeof *dev);
    dev->host = host;
    dev->parent = parent;
    dev->domain = host->info.domain;
    dev->bus = (uint8_t)bus;
    dev->devfn = (uint8_t)devfn;
    ksnprintf(dev->name, sizeof dev->name, "%04x:%02x:%02x.%u", dev->domain, bus,
              PCI_SLOT(devfn), PCI_FUNC(devfn));
    return dev;
}

/* The capability list, as a validated copy in dev->caps. */
static void walk_caps(struct pci_dev *dev)
{
    if (!(pci_read_config16(dev, PCI_STATUS) & PCI_STATUS_CAP_LIST))
        return;
    unsigned pos = pci_read_config8(dev, PCI_CAPABILITY_LIST);
    uint64_t seen = 0;          /* one bit per 4-byte slot in 0x40..0xff: 48 slots */
    for (;;) {
        pos &= 0xfc;            /* the two low bits are reserved (PCI 3.0 6.7) */
        if (pos == 0)
            return;
        if (pos < CAP_FIRST) {
            pci_dev_err(dev, "capability pointer %#x points into the header", pos);
            return;
        }
        unsigned slot = (pos - CAP_FIRST) / 4;
        if (seen & (1ull << slot)) {
            pci_dev_err(dev, "capability list loops back to %#x", pos);
            return;
        }
        seen |= 1ull << slot;
        uint16_t hdr = pci_read_config16(dev, pos);
        unsigned id = hdr & 0xff;
        if (id == 0xff) {       /* what a vanished device reads as */
            pci_dev_err(dev, "capability at %#x reads as all ones", pos);
            return;
        }
        dev->caps[dev->ncaps].id = (uint8_t)id;      /* ncaps < 48: one per seen slot */
        dev->caps[dev->ncaps].offset = (uint8_t)pos;
        dev->ncaps++;
        pos = hdr >> 8;
    }
}

/* Size BAR @i (write all ones, read back, restore; PCI 3.0 6.2.5.1). Returns the number of
 * BAR slots it takes: 2 for a 64-bit memory BAR. */
static unsigned size_bar(struct pci_dev *dev, unsigned i, unsigned nbars)
{
    unsigned reg = PCI_BASE_ADDRESS_0 + 4 * i;
    struct pci_resource *res = &dev->resource[i];
    uint32_t orig = pci_read_config32(dev, reg);
    pci_write_config32(dev, reg, 0xffffffffu);
    uint32_t mask = pci_read_config32(dev, reg);
    pci_write_config32(dev, reg, orig);

    if (mask == 0)
        return 1;               /* not implemented */
    if (mask == 0xffffffffu) {  /* no BAR reads back like this: the low bits are fixed */
        pci_dev_err(dev, "reg %#x: reads as all ones, ignored", reg);
        return 1;
    }
    /* The type bits are read-only: if they changed, the function is not a sane device. */
    unsigned type_bits = (orig & PCI_BASE_ADDRESS_SPACE_IO) ? 0x3 : 0xf;
    if ((orig ^ mask) & type_bits) {
        pci_dev_err(dev, "reg %#x: type bits changed while sizing, ignored", reg);
        return 1;
    }

    unsigned used = 1, flags;
    uint64_t m, base;
    if (mask & PCI_BASE_ADDRESS_SPACE_IO) {
        flags = PCI_RES_IO;
        m = mask & PCI_BASE_ADDRESS_IO_MASK;
        base = orig & PCI_BASE_ADDRESS_IO_MASK;
        if (!(m & 0xffff0000u)) {   /* a 16-bit decoder: the upper half reads as zero */
            flags |= PCI_RES_IO16;
            m |= 0xffff0000u;
            base &= 0xffff;
        }
    } else {
        unsigned type = mask & PCI_BASE_ADDRESS_MEM_TYPE_MASK;
        if (type == 0x6) {
            pci_dev_err(dev, "reg %#x: reserved memory BAR type, ignored", reg);
            return 1;
        }
        flags = PCI_RES_MEM;
        if (mask & PCI_BASE_ADDRESS_MEM_PREFETCH)
            flags |= PCI_RES_PREFETCH;
        m = mask & PCI_BASE_ADDRESS_MEM_MASK;
        base = orig & PCI_BASE_ADDRESS_MEM_MASK;
        if (type == PCI_BASE_ADDRESS_MEM_TYPE_64) {
            if (i + 1 >= nbars) {
                pci_dev_err(dev, "reg %#x: 64-bit BAR in the last slot, ignored", reg);
                return 1;
            }
            uint32_t orig_hi = pci_read_config32(dev, reg + 4);
            pci_write_config32(dev, reg + 4, 0xffffffffu);
            uint32_t mask_hi = pci_read_config32(dev, reg + 4);
            pci_write_config32(dev, reg + 4, orig_hi);
            m |= (uint64_t)mask_hi << 32;
            base |= (uint64_t)orig_hi << 32;
            flags |= PCI_RES_MEM64;
            used = 2;
        }
    }
    if (m == 0)
        return used;            /* only type bits: nothing to decode */
    /* The size is the lowest writable address bit; bits above it that do not stick are
     * ignored (as Linux's pci_size does). */
    res->size = m & (~m + 1);
    res->flags = flags;
    res->bus_start = base & ~(res->size - 1);
    char buf[64];
    pci_format_res(buf, sizeof buf, res);
    pci_dev_info(dev, "reg %#x: %s", reg, buf);
    return used;
}

static void size_bars(struct pci_dev *dev, unsigned nbars)
{
    /* Decoding off while a BAR holds the all-ones pattern, or the function would answer at
     * whatever address that happens to be. It stays off (firmware such as U-Boot may have left
     * it on, at addresses about to change) until pci_assign_host has programmed new ones. */
    uint16_t cmd = pci_read_config16(dev, PCI_COMMAND);
    uint16_t decode = PCI_COMMAND_IO | PCI_COMMAND_MEMORY;
    if (cmd & decode)
        pci_write_config16(dev, PCI_COMMAND, cmd & ~decode);
    dev->command = cmd & ~decode;
    for (unsigned i = 0; i < nbars; )
        i += size_bar(dev, i, nbars);
}

/* Which forwarding windows a bridge implements (PCI-to-PCI Bridge 1.2 3.2.5.6-9): the memory
 * window always; the I/O and prefetchable ones only if their registers are writable. */
static void probe_bridge_windows(struct pci_dev *dev)
{
    uint16_t io = pci_read_config16(dev, PCI_IO_BASE);
    if (!io) {
        pci_write_config16(dev, PCI_IO_BASE, 0xe0f0);
        io = pci_read_config16(dev, PCI_IO_BASE);
        pci_write_config16(dev, PCI_IO_BASE, 0);
    }
    uint32_t pref = pci_read_config32(dev, PCI_PREF_MEMORY_BASE);
    if (!pref) {
        pci_write_config32(dev, PCI_PREF_MEMORY_BASE, 0xffe0fff0u);
        pref = pci_read_config32(dev, PCI_PREF_MEMORY_BASE);
        pci_write_config32(dev, PCI_PREF_MEMORY_BASE, 0);
    }
    dev->io32 = (io & PCI_IO_RANGE_TYPE_MASK) == PCI_IO_RANGE_TYPE_32;
    dev->pref64 = (pref & PCI_PREF_RANGE_TYPE_MASK) == PCI_PREF_RANGE_TYPE_64;
    dev->window[PCI_WIN_IO].flags = io ? PCI_RES_IO : 0;
    dev->window[PCI_WIN_MEM].flags = PCI_RES_MEM;
    dev->window[PCI_WIN_PREF].flags =
        pref ? PCI_RES_MEM | PCI_RES_PREFETCH | (dev->pref64 ? PCI_RES_MEM64 : 0) : 0;
}

static bool function_present(uint32_t id)
{
    /* No function: all ones (master abort). Vendor 0 is not assigned to anyone either, and
     * is what some broken hosts return. */
    uint16_t vendor = id & 0xffff;
    return vendor != 0xffff && vendor != 0;
}

static struct pci_dev *scan_function(struct pci_host *host, struct pci_dev *parent,
                                     unsigned bus, unsigned devfn)
{
    uint32_t id;
    if (pci_cfg_read(host, bus, devfn, PCI_VENDOR_ID, 4, &id) || !function_present(id))
        return NULL;
    struct pci_dev *dev = new_dev(host, parent, bus, devfn);
    if (!dev)
        return NULL;
    dev->vendor = id & 0xffff;
    dev->device = id >> 16;
    uint32_t cr = pci_read_config32(dev, PCI_CLASS_REVISION);
    dev->class = cr >> 8;
    dev->revision = cr & 0xff;
    uint8_t ht = pci_read_config8(dev, PCI_HEADER_TYPE);
    dev->hdr_type = ht & PCI_HEADER_TYPE_MASK;
    dev->multifunction = ht & PCI_HEADER_TYPE_MFD;
    pci_dev_info(dev, "[%04x:%04x] type %02x class 0x%06x", dev->vendor, dev->device,
                 dev->hdr_type, dev->class);

    unsigned nbars;
    switch (dev->hdr_type) {
    case PCI_HEADER_TYPE_NORMAL:
        nbars = 6;
        dev->subsystem_vendor = pci_read_config16(dev, PCI_SUBSYSTEM_VENDOR_ID);
        dev->subsystem_device = pci_read_config16(dev, PCI_SUBSYSTEM_ID);
        break;
    case PCI_HEADER_TYPE_BRIDGE:
        nbars = 2;
        break;
    case PCI_HEADER_TYPE_CARDBUS:
        pci_dev_info(dev, "CardBus bridge: not supported, left alone");
        nbars = 0;
        break;
    default:
        pci_dev_err(dev, "unknown header type %02x, ignored", dev->hdr_type);
        host->ndevs--;          /* the entry new_dev just handed out */
        return NULL;
    }
    dev->pin = pci_read_config8(dev, PCI_INTERRUPT_PIN);
    if (dev->pin > 4) {
        pci_dev_err(dev, "interrupt pin %u does not exist, INTx ignored", dev->pin);
        dev->pin = 0;
    }
    if (dev->hdr_type != PCI_HEADER_TYPE_CARDBUS)
        walk_caps(dev);
    if (dev->hdr_type == PCI_HEADER_TYPE_BRIDGE) {
        unsigned ss = pci_find_capability(dev, PCI_CAP_ID_SSVID);
        if (ss) {
            dev->subsystem_vendor = pci_read_config16(dev, ss + 4);
            dev->subsystem_device = pci_read_config16(dev, ss + 6);
        }
    }
    if (nbars)
        size_bars(dev, nbars);
    if (dev->hdr_type == PCI_HEADER_TYPE_BRIDGE)
        probe_bridge_windows(dev);
    return dev;
}

/* ---- Buses ---- */

static unsigned scan_bus(struct pci_host *host, struct pci_dev *bridge, unsigned bus,
                         unsigned depth);

/* Give the bridge @br the next bus number, scan behind it, and close its range at the last bus
 * found there. Returns the highest bus number now in use. */
static unsigned setup_bridge(struct pci_host *host, struct pci_dev *br, unsigned max,
                             unsigned depth)
{
    unsigned end = host->info.bus_end;
    uint32_t buses = pci_read_config32(br, PCI_PRIMARY_BUS) & 0xff000000u;  /* keep latency */
    if (depth >= PCI_MAX_DEPTH || max >= end) {
        pci_dev_err(br, depth >= PCI_MAX_DEPTH ? "bridges nested deeper than 16: not scanned"
                                              : "no bus number left: not scanned");
        pci_write_config32(br, PCI_PRIMARY_BUS, buses | br->bus);
        return max;
    }
    unsigned sec = max + 1;
    /* Subordinate at the end of the range while scanning, so config cycles for any bus found
     * further down are forwarded; closed to what was found afterwards. */
    pci_write_config32(br, PCI_PRIMARY_BUS, buses | end << 16 | sec << 8 | br->bus);
    br->secondary = (uint8_t)sec;
    br->subordinate = (uint8_t)end;
    unsigned sub = scan_bus(host, br, sec, depth + 1);
    pci_write_config32(br, PCI_PRIMARY_BUS, buses | sub << 16 | sec << 8 | br->bus);
    br->subordinate = (uint8_t)sub;
    if (sec == sub)
        pci_dev_info(br, "PCI bridge to [bus %02x]", sec);
    else
        pci_dev_info(br, "PCI bridge to [bus %02x-%02x]", sec, sub);
    return sub;
}

static unsigned scan_bus(struct pci_host *host, struct pci_dev *bridge, unsigned bus,
                         unsigned depth)
{
    unsigned first = host->ndevs;
    for (unsigned slot = 0; slot < 32; slot++) {
        for (unsigned fn = 0; fn < 8; fn++) {
            struct pci_dev *dev = scan_function(host, bridge, bus, PCI_DEVFN(slot, fn));
            if (!dev) {
                if (fn == 0)
                    break;      /* no function 0: no device in this slot */
                continue;
            }
            if (fn == 0 && !dev->multifunction)
                break;
        }
    }
    /* Bridges after all the bus's own functions, as Linux numbers them. */
    unsigned last = host->ndevs, max = bus;
    for (unsigned i = first; i < last; i++)
        if (host->devs[i].hdr_type == PCI_HEADER_TYPE_BRIDGE)
            max = setup_bridge(host, &host->devs[i], max, depth);
    return max;
}

int pci_scan_host(struct pci_host *host)
{
    const struct pci_host_info *info = &host->info;
    host->ndevs = 0;
    host->devs_full = false;
    if (!host->devs || !host->max_devs || !host->ops)
        return -EINVAL;
    printk(KERN_INFO "pci_bus %04x:%02x: root bus resource [bus %02x-%02x]", info->domain,
           info->bus_start, info->bus_start, info->bus_end);
    for (unsigned w = 0; w < PCI_NUM_HWIN; w++) {
        if (!info->win[w].size)
            continue;
        struct pci_resource r = {
            .start = info->win[w].cpu_start, .bus_start = info->win[w].bus_start,
            .size = info->win[w].size, .flags = PCI_RES_ASSIGNED |
            (w == PCI_HWIN_IO ? PCI_RES_IO : PCI_RES_MEM) |
            (info->win[w].prefetch ? PCI_RES_PREFETCH : 0) };
        char buf[64];
        pci_format_res(buf, sizeof buf, &r);
        printk(KERN_INFO "pci_bus %04x:%02x: root bus resource %s", info->domain,
               info->bus_start, buf);
    }
    scan_bus(host, NULL, info->bus_start, 0);
    return (int)host->ndevs;
}
