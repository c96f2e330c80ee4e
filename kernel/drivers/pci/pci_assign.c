/* Address assignment: every BAR gets a naturally aligned range from one of the host bridge's
 * windows, every bridge a forwarding window around what is behind it; then decoding and bus
 * mastering are turned on where everything a function decodes got an address. Also INTx
 * routing. Pure: runs on the host in tests/unit/pci.
 *
 * Allocation is a bump pointer per host window. A bus is laid out biggest BAR first (sizes are
 * powers of two, so descending order leaves no alignment holes), with the bridges' windows
 * (1 MiB granules, 4 KiB for I/O) between the BARs of 1 MiB and up and the smaller ones. A
 * bridge's window is whatever its subtree took from the shared pointer, rounded out to the
 * granule, so windows nest as the hierarchy does (the scheme U-Boot's pci_auto uses).
 *
 * Placement: I/O BARs in the I/O window; memory BARs in the 32-bit window first, 64-bit BARs
 * in the 64-bit window when that is full. Low first because openv reaches device registers
 * through its direct map of the first 16 GiB of physical addresses, and QEMU virt puts the
 * 64-bit window at 16 GiB or above. Behind a bridge the 64-bit window is reached through the
 * bridge's prefetchable window, so only prefetchable BARs may go there. */
#include "kernel.h"
#include "kprintf.h"
#include "pci_core.h"

/* Which host windows the functions on a bus can reach, and up to which bus address. */
struct bus_ctx {
    bool allow[PCI_NUM_HWIN];
    uint64_t limit[PCI_NUM_HWIN];
    bool behind_bridge;
};

/* Bridge window granules (PCI-to-PCI Bridge 1.2 3.2.5.6 and 3.2.5.8). */
static const uint64_t granule[PCI_NUM_HWIN] = { 0x1000, 0x100000, 0x100000 };
/* The bridge window each host window is forwarded through. */
static const unsigned bridge_win[PCI_NUM_HWIN] = { PCI_WIN_IO, PCI_WIN_MEM, PCI_WIN_PREF };

#define LIMIT_16 0xffffull
#define LIMIT_32 0xffffffffull

/* @x rounded up to a multiple of @a (a power of two); false if that overflows. */
static bool align_up(uint64_t x, uint64_t a, uint64_t *out)
{
    if (x > UINT64_MAX - (a - 1))
        return false;
    *out = (x + (a - 1)) & ~(a - 1);
    return true;
}

static uint64_t bus_to_cpu(const struct pci_window *win, uint64_t bus)
{
    return bus - win->bus_start + win->cpu_start;
}

/* Take @size bytes, aligned to @size, from host window @w at or below @limit. */
static bool alloc(struct pci_host *host, const struct bus_ctx *ctx, unsigned w, uint64_t size,
                  uint64_t limit, uint64_t *out)
{
    const struct pci_window *win = &host->info.win[w];
    uint64_t start;
    if (!ctx->allow[w] || !win->size || !align_up(host->next[w], size, &start))
        return false;
    if (start > UINT64_MAX - (size - 1))
        return false;
    uint64_t end = start + size - 1;
    if (end > win->bus_start + win->size - 1 || end > limit || end > ctx->limit[w])
        return false;
    host->next[w] = end + 1;    /* no wrap: windows end below UINT64_MAX (pci_dt.c) */
    *out = start;
    return true;
}

static void assign_bar(struct pci_host *host, const struct bus_ctx *ctx, struct pci_dev *dev,
                       unsigned i)
{
    struct pci_resource *res = &dev->resource[i];
    uint64_t bus = 0;
    unsigned w = PCI_HWIN_IO;
    bool ok;
    if (res->flags & PCI_RES_IO) {
        ok = alloc(host, ctx, w, res->size, (res->flags & PCI_RES_IO16) ? LIMIT_16 : LIMIT_32,
                   &bus);
    } else {
        uint64_t limit = (res->flags & PCI_RES_MEM64) ? UINT64_MAX : LIMIT_32;
        w = PCI_HWIN_MEM32;
        ok = alloc(host, ctx, w, res->size, limit, &bus);
        if (!ok && (!ctx->behind_bridge || (res->flags & PCI_RES_PREFETCH))) {
            w = PCI_HWIN_MEM64;
            ok = alloc(host, ctx, w, res->size, limit, &bus);
        }
    }
    char buf[64];
    if (!ok) {
        pci_dev_err(dev, "BAR %u: no space for [%s size %#010llx%s%s]", i,
                    (res->flags & PCI_RES_IO) ? "io " : "mem", (unsigned long long)res->size,
                    (res->flags & PCI_RES_MEM64) ? " 64bit" : "",
                    (res->flags & PCI_RES_PREFETCH) ? " pref" : "");
        return;
    }
    unsigned reg = PCI_BASE_ADDRESS_0 + 4 * i;
    pci_write_config32(dev, reg, (uint32_t)bus);
    if (res->flags & PCI_RES_MEM64)
        pci_write_config32(dev, reg + 4, (uint32_t)(bus >> 32));
    res->bus_start = bus;
    res->start = bus_to_cpu(&host->info.win[w], bus);
    res->flags |= PCI_RES_ASSIGNED;
    pci_format_res(buf, sizeof buf, res);
    pci_dev_info(dev, "BAR %u: assigned %s", i, buf);
}

/* The BARs of the functions on @parent's bus whose size is 2^lo..2^hi, biggest first. */
static void assign_bars(struct pci_host *host, const struct bus_ctx *ctx,
                        const struct pci_dev *parent, unsigned hi, unsigned lo)
{
    for (unsigned shift = hi + 1; shift-- > lo;)
        for (unsigned d = 0; d < host->ndevs; d++) {
            struct pci_dev *dev = &host->devs[d];
            if (dev->parent != parent)
                continue;
            for (unsigned i = 0; i < PCI_NUM_BARS; i++)
                if (dev->resource[i].size == 1ull << shift &&
                    !(dev->resource[i].flags & PCI_RES_ASSIGNED))
                    assign_bar(host, ctx, dev, i);
        }
}

static void program_bridge_windows(struct pci_dev *br)
{
    const struct pci_resource *io = &br->window[PCI_WIN_IO];
    const struct pci_resource *mem = &br->window[PCI_WIN_MEM];
    const struct pci_resource *pref = &br->window[PCI_WIN_PREF];
    /* A closed window has base above limit. */
    if (io->flags) {
        uint64_t base = io->size ? io->bus_start : 0xf000, lim = io->size ? base + io->size - 1 : 0;
        if (br->io32) {
            pci_write_config16(br, PCI_IO_BASE_UPPER16, (uint16_t)(base >> 16));
            pci_write_config16(br, PCI_IO_LIMIT_UPPER16, (uint16_t)(lim >> 16));
        }
        pci_write_config8(br, PCI_IO_BASE, (uint8_t)((base >> 8) & 0xf0));
        pci_write_config8(br, PCI_IO_LIMIT, (uint8_t)((lim >> 8) & 0xf0));
    }
    uint64_t base = mem->size ? mem->bus_start : 0xfff00000u;
    uint64_t lim = mem->size ? base + mem->size - 1 : 0;
    pci_write_config16(br, PCI_MEMORY_BASE, (uint16_t)((base >> 16) & 0xfff0));
    pci_write_config16(br, PCI_MEMORY_LIMIT, (uint16_t)((lim >> 16) & 0xfff0));
    if (pref->flags) {
        base = pref->size ? pref->bus_start : 0xfff00000u;
        lim = pref->size ? base + pref->size - 1 : 0;
        if (br->pref64) {
            pci_write_config32(br, PCI_PREF_BASE_UPPER32, (uint32_t)(base >> 32));
            pci_write_config32(br, PCI_PREF_LIMIT_UPPER32, (uint32_t)(lim >> 32));
        }
        pci_write_config16(br, PCI_PREF_MEMORY_BASE, (uint16_t)((base >> 16) & 0xfff0));
        pci_write_config16(br, PCI_PREF_MEMORY_LIMIT, (uint16_t)((lim >> 16) & 0xfff0));
    }
}

static void assign_bus(struct pci_host *host, const struct bus_ctx *ctx,
                       const struct pci_dev *parent, unsigned depth);

static void assign_bridge(struct pci_host *host, const struct bus_ctx *ctx,
                          struct pci_dev *br, unsigned depth)
{
    struct bus_ctx child = { .behind_bridge = true };
    child.allow[PCI_HWIN_IO] = ctx->allow[PCI_HWIN_IO] && br->window[PCI_WIN_IO].flags;
    child.limit[PCI_HWIN_IO] = MIN(ctx->limit[PCI_HWIN_IO], br->io32 ? LIMIT_32 : LIMIT_16);
    child.allow[PCI_HWIN_MEM32] = ctx->allow[PCI_HWIN_MEM32];
    child.limit[PCI_HWIN_MEM32] = MIN(ctx->limit[PCI_HWIN_MEM32], LIMIT_32);
    child.allow[PCI_HWIN_MEM64] = ctx->allow[PCI_HWIN_MEM64] && br->window[PCI_WIN_PREF].flags;
    child.limit[PCI_HWIN_MEM64] = MIN(ctx->limit[PCI_HWIN_MEM64],
                                      br->pref64 ? UINT64_MAX : LIMIT_32);
    if (!br->secondary || depth >= PCI_MAX_DEPTH) {
        program_bridge_windows(br);     /* nothing scanned behind it: all closed */
        return;
    }

    uint64_t saved[PCI_NUM_HWIN], start[PCI_NUM_HWIN];
    for (unsigned w = 0; w < PCI_NUM_HWIN; w++) {
        saved[w] = host->next[w];
        if (child.allow[w] && !align_up(host->next[w], granule[w], &host->next[w]))
            child.allow[w] = false;
        start[w] = host->next[w];
    }
    assign_bus(host, &child, br, depth + 1);
    for (unsigned w = 0; w < PCI_NUM_HWIN; w++) {
        struct pci_resource *win = &br->window[bridge_win[w]];
        if (!child.allow[w] || host->next[w] == start[w]) {
            host->next[w] = saved[w];   /* nothing behind it uses this window */
            continue;
        }
        uint64_t end = UINT64_MAX, up;
        if (align_up(host->next[w], granule[w], &up))
            end = up - 1;
        host->next[w] = end == UINT64_MAX ? end : end + 1;
        win->bus_start = start[w];
        win->size = end - start[w] + 1;
        win->start = bus_to_cpu(&host->info.win[w], start[w]);
        win->flags |= PCI_RES_ASSIGNED;
    }
    program_bridge_windows(br);
    for (unsigned k = 0; k < PCI_NUM_WINDOWS; k++)
        if (br->window[k].size) {
            char buf[64];
            pci_format_res(buf, sizeof buf, &br->window[k]);
            pci_dev_info(br, "  bridge window %s", buf);
        }
}

static void assign_bus(struct pci_host *host, const struct bus_ctx *ctx,
                       const struct pci_dev *parent, unsigned depth)
{
    assign_bars(host, ctx, parent, 63, 20);
    for (unsigned d = 0; d < host->ndevs; d++) {
        struct pci_dev *dev = &host->devs[d];
        if (dev->parent == parent && dev->hdr_type == PCI_HEADER_TYPE_BRIDGE)
            assign_bridge(host, ctx, dev, depth);
    }
    assign_bars(host, ctx, parent, 19, 0);
}

/* Decoding for a kind of BAR only if every BAR of that kind got an address: an unassigned
 * BAR still holds whatever it held, and would answer there. */
static void enable_device(struct pci_dev *dev)
{
    bool has_io = false, has_mem = false, io_ok = true, mem_ok = true;
    for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
        const struct pci_resource *r = &dev->resource[i];
        if (!r->size)
            continue;
        bool assigned = r->flags & PCI_RES_ASSIGNED;
        if (r->flags & PCI_RES_IO) {
            has_io = true;
            io_ok &= assigned;
        } else {
            has_mem = true;
            mem_ok &= assigned;
        }
    }
    if (dev->hdr_type == PCI_HEADER_TYPE_BRIDGE) {
        has_io |= dev->window[PCI_WIN_IO].size != 0;
        has_mem |= dev->window[PCI_WIN_MEM].size || dev->window[PCI_WIN_PREF].size;
    }
    if (!has_io && !has_mem)
        return;                 /* nothing to decode (a host bridge function): left alone */
    uint16_t old = pci_read_config16(dev, PCI_COMMAND);
    uint16_t cmd = old & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE);
    if (has_io && io_ok)
        cmd |= PCI_COMMAND_IO;
    if (has_mem && mem_ok)
        cmd |= PCI_COMMAND_MEMORY;
    if (cmd & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY))
        cmd |= PCI_COMMAND_MASTER;
    else
        cmd &= ~PCI_COMMAND_MASTER;
    if ((has_io && !io_ok) || (has_mem && !mem_ok))
        pci_dev_err(dev, "not all BARs assigned: %s decoding left off",
                    !(has_io && !io_ok) ? "memory" : !(has_mem && !mem_ok) ? "I/O"
                                                                           : "I/O and memory");
    if (cmd != old)
        pci_write_config16(dev, PCI_COMMAND, cmd);
    dev->command = cmd;
}

void pci_assign_host(struct pci_host *host)
{
    struct bus_ctx root = { .behind_bridge = false };
    for (unsigned w = 0; w < PCI_NUM_HWIN; w++) {
        const struct pci_window *win = &host->info.win[w];
        root.allow[w] = win->size != 0;
        root.limit[w] = UINT64_MAX;
        host->next[w] = win->bus_start;
        /* Bus address 0 is left out (and I/O below 0x1000, the legacy ISA ports): a BAR that
         * holds 0 looks unassigned to firmware and to other kernels. */
        uint64_t skip = w == PCI_HWIN_IO ? 0x1000 : 0x10;
        if (win->size > skip && win->bus_start < skip)
            host->next[w] = skip;
    }
    assign_bus(host, &root, NULL, 0);
    for (unsigned d = 0; d < host->ndevs; d++)
        enable_device(&host->devs[d]);
}

void pci_route_irqs(struct pci_host *host)
{
    for (unsigned d = 0; d < host->ndevs; d++) {
        struct pci_dev *dev = &host->devs[d];
        dev->irq = 0;
        if (!dev->pin || dev->hdr_type == PCI_HEADER_TYPE_CARDBUS)
            continue;
        /* Up to the root bus, swizzling at every bridge; the root-bus function's slot and the
         * swizzled pin are what the interrupt-map is keyed on. */
        unsigned pin = dev->pin, hops = 0;
        const struct pci_dev *root = dev;
        while (root->parent && hops++ <= PCI_MAX_DEPTH) {
            pin = pci_swizzle_interrupt_pin(root, pin);
            root = root->parent;
        }
        if (!host->info.has_irq_map)
            continue;           /* already said once for the host */
        int irq = pci_dt_map_irq(&host->info, root->bus, root->devfn, pin);
        if (irq <= 0) {
            pci_dev_err(dev, "INT%c: %s", 'A' + dev->pin - 1, irq == -EOPNOTSUPP ?
                        "interrupt parent is not a PLIC" : "no interrupt-map entry");
            continue;
        }
        dev->irq = (unsigned)irq;
        pci_write_config8(dev, PCI_INTERRUPT_LINE, (uint8_t)MIN(irq, 0xff));
        pci_dev_info(dev, "INT%c: irq %u", 'A' + dev->pin - 1, dev->irq);
    }
}

int pci_setup_host(struct pci_host *host)
{
    int n = pci_scan_host(host);
    if (n < 0)
        return n;
    pci_assign_host(host);
    pci_route_irqs(host);
    return n;
}
