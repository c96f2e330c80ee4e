/* The host bridge's device tree node (Documentation/devicetree/bindings/pci/
 * host-generic-pci.yaml and the PCI bus binding): reg (the ECAM window), bus-range, ranges
 * (the windows through which the CPU reaches PCI I/O and memory space) and interrupt-map (INTx
 * to interrupt controller). Pure: runs on the host in tests/unit/pci.
 *
 * The tree is not trusted: fdt.c bounds-checks every property, and this file checks every cell
 * count, length and sum before using it. */
#include "kernel.h"
#include "kprintf.h"
#include "pci_core.h"
#include "byteorder.h"

/* phys.hi of a 3-cell PCI address: npt000ss bbbbbbbb dddddfff rrrrrrrr. */
#define PHYS_HI_SPACE(hi) (((hi) >> 24) & 3)
#define PHYS_HI_PREFETCH 0x40000000u
enum { SPACE_CONFIG, SPACE_IO, SPACE_MEM32, SPACE_MEM64 };

#define ECAM_BUS_SHIFT 20       /* 1 MiB of ECAM per bus: 32 devices x 8 functions x 4 KiB */

/* @n (1 or 2) big-endian cells at @p. */
static uint64_t cells(const uint8_t *p, unsigned n)
{
    return n == 2 ? (uint64_t)get_be32(p) << 32 | get_be32(p + 4) : get_be32(p);
}

/* Is [start, start + size) a non-empty range that ends below 2^64 - 1? Keeping the last
 * address out means "end + 1" never wraps in the allocator. */
static bool range_fits(uint64_t start, uint64_t size)
{
    return size && start <= UINT64_MAX - size;
}

/* "pci@30000000" -> "30000000.pci": Linux's name for the platform device. */
static void host_name(const struct fdt *fdt, int node, char *buf, size_t size)
{
    size_t len = 0;
    const char *name = fdt_node_name(fdt, node, &len);
    if (!name) {
        ksnprintf(buf, size, "pci");
        return;
    }
    size_t at = 0;
    while (at < len && name[at] != '@')
        at++;
    if (at < len)
        ksnprintf(buf, size, "%.*s.%.*s", (int)(len - at - 1), name + at + 1, (int)at, name);
    else
        ksnprintf(buf, size, "%.*s", (int)len, name);
}

/* ---- ranges ---- */

static const char *const space_name[] = { "CFG", "IO", "MEM", "MEM64" };

static void add_window(struct pci_host *host, unsigned space, bool pref, uint64_t bus,
                       uint64_t cpu, uint64_t size)
{
    struct pci_host_info *info = &host->info;
    if (size == 0) {
        pci_host_err(host, "%s window of size 0 ignored", space_name[space]);
        return;
    }
    if (!range_fits(bus, size) || !range_fits(cpu, size)) {
        pci_host_err(host, "%s window runs past the end of the address space, ignored",
                     space_name[space]);
        return;
    }
    unsigned w;
    switch (space) {
    case SPACE_IO:
        w = PCI_HWIN_IO;
        if (bus + size - 1 > 0xffffffffu) {
            pci_host_err(host, "IO window above 4 GiB of I/O space, ignored");
            return;
        }
        break;
    case SPACE_MEM32:
        w = PCI_HWIN_MEM32;
        if (bus + size - 1 > 0xffffffffu) {
            pci_host_err(host, "32-bit MEM window above 4 GiB, ignored");
            return;
        }
        break;
    case SPACE_MEM64:
        w = PCI_HWIN_MEM64;
        break;
    default:
        pci_host_err(host, "configuration space window ignored (ECAM is in reg)");
        return;
    }
    struct pci_window *win = &info->win[w];
    if (win->size) {
        /* One window of each kind keeps bridge windows simple; keep the larger one. */
        pci_host_err(host, "more than one %s window: using the larger", space_name[space]);
        if (win->size >= size)
            return;
    }
    win->bus_start = bus;
    win->cpu_start = cpu;
    win->size = size;
    win->prefetch = pref;
}

static void parse_ranges(const struct fdt *fdt, int node, int parent, struct pci_host *host)
{
    int len = 0;
    const uint8_t *p = fdt_getprop(fdt, node, "ranges", &len);
    int pac = fdt_address_cells(fdt, parent);
    int sc = fdt_size_cells(fdt, node);
    if (!p) {
        pci_host_err(host, "no ranges: devices get no BARs");
        return;
    }
    if (pac < 1 || sc < 1) {
        pci_host_err(host, "ranges: unsupported #address-cells %d / #size-cells %d", pac, sc);
        return;
    }
    unsigned entry = 4 * (3 + (unsigned)pac + (unsigned)sc);
    if ((unsigned)len % entry)
        pci_host_err(host, "ranges is %d bytes, not a multiple of %u: the last entry is cut off",
                     len, entry);
    pci_host_info(host, "host bridge %s ranges:", fdt_node_name(fdt, node, NULL));
    for (unsigned off = 0; off + entry <= (unsigned)len; off += entry) {
        uint32_t hi = get_be32(p + off);
        uint64_t bus = (uint64_t)get_be32(p + off + 4) << 32 | get_be32(p + off + 8);
        uint64_t cpu = cells(p + off + 12, (unsigned)pac);
        uint64_t size = cells(p + off + 12 + 4 * (unsigned)pac, (unsigned)sc);
        unsigned space = PHYS_HI_SPACE(hi);
        bool pref = hi & PHYS_HI_PREFETCH;
        pci_host_info(host, "%8s 0x%010llx..0x%010llx -> 0x%010llx%s", space_name[space],
                      (unsigned long long)cpu, (unsigned long long)(cpu + size - 1),
                      (unsigned long long)bus, pref ? " pref" : "");
        add_window(host, space, pref, bus, cpu, size);
    }
}

/* ---- interrupt-map ---- */

static bool is_plic(const struct fdt *fdt, int node)
{
    return fdt_node_is_compatible(fdt, node, "riscv,plic0") ||
           fdt_node_is_compatible(fdt, node, "sifive,plic-1.0.0");
}

/* Each entry: child unit address (3 cells) and pin (1), the parent's phandle, the parent's
 * unit address (its #address-cells, 0 if absent) and interrupt specifier (its
 * #interrupt-cells). Entries differ in length when parents do, so the map is walked in order;
 * any malformed entry rejects the whole map (what follows it cannot be parsed reliably). */
static int parse_irq_map(const struct fdt *fdt, int node, struct pci_host *host)
{
    struct pci_host_info *info = &host->info;
    int len = 0;
    const uint8_t *map = fdt_getprop(fdt, node, "interrupt-map", &len);
    if (!map) {
        pci_host_info(host, "no interrupt-map: INTx unavailable, drivers poll");
        return 0;
    }
    uint32_t icells = 0;
    if (fdt_read_u32(fdt, node, "#interrupt-cells", &icells) || icells != 1) {
        pci_host_err(host, "interrupt-map needs #interrupt-cells = <1>");
        return -EINVAL;
    }
    int mlen = 0;
    const uint8_t *mask = fdt_getprop(fdt, node, "interrupt-map-mask", &mlen);
    for (unsigned i = 0; i < 4; i++)
        info->irq_mask[i] = 0xffffffffu;    /* no mask: every bit must match */
    if (mask) {
        if (mlen != 16) {
            pci_host_err(host, "interrupt-map-mask is %d bytes, not 16", mlen);
            return -EINVAL;
        }
        for (unsigned i = 0; i < 4; i++)
            info->irq_mask[i] = get_be32(mask + 4 * i);
    }
    if (len % 4) {
        pci_host_err(host, "interrupt-map is %d bytes, not whole cells", len);
        return -EINVAL;
    }

    unsigned ncells = (unsigned)len / 4, pos = 0;
    uint32_t last_phandle = 0;
    int pnode = -1;
    uint32_t pac = 0, pic = 0;
    bool plic = false;
    while (pos < ncells) {
        if (ncells - pos < 5) {
            pci_host_err(host, "interrupt-map is cut off in entry %u", info->irq_map_len);
            return -EINVAL;
        }
        uint32_t phandle = get_be32(map + 4 * (pos + 4));
        if (pnode < 0 || phandle != last_phandle) {
            pnode = fdt_find_phandle(fdt, phandle);
            if (pnode < 0) {
                pci_host_err(host, "interrupt-map entry %u: no interrupt parent %#x",
                             info->irq_map_len, phandle);
                return -EINVAL;
            }
            last_phandle = phandle;
            if (fdt_read_u32(fdt, pnode, "#address-cells", &pac))
                pac = 0;
            if (fdt_read_u32(fdt, pnode, "#interrupt-cells", &pic) || pic < 1 || pic > 4 ||
                pac > 3) {
                pci_host_err(host, "interrupt-map entry %u: parent %#x has bad "
                             "#interrupt-cells/#address-cells", info->irq_map_len, phandle);
                return -EINVAL;
            }
            plic = is_plic(fdt, pnode);
        }
        if (ncells - pos - 5 < pac + pic) {
            pci_host_err(host, "interrupt-map is cut off in entry %u", info->irq_map_len);
            return -EINVAL;
        }
        if (info->irq_map_len == PCI_MAX_IRQ_MAP) {
            pci_host_err(host, "interrupt-map has more than %u entries", PCI_MAX_IRQ_MAP);
            return -EINVAL;
        }
        struct pci_irq_map_entry *e = &info->irq_map[info->irq_map_len++];
        for (unsigned i = 0; i < 4; i++)
            e->child[i] = get_be32(map + 4 * (pos + i));
        e->parent_irq = get_be32(map + 4 * (pos + 5 + pac));
        e->parent_is_plic = plic;
        pos += 5 + pac + pic;
    }
    info->has_irq_map = true;
    return 0;
}

int pci_dt_map_irq(const struct pci_host_info *info, unsigned bus, unsigned devfn,
                   unsigned pin)
{
    /* The child unit interrupt specifier of a root-bus function: its bus and devfn in
     * phys.hi (as a config-space address), the pin after it. */
    uint32_t key[4] = { (bus & 0xff) << 16 | (devfn & 0xff) << 8, 0, 0, pin };
    if (!info->has_irq_map)
        return -ENOENT;
    for (unsigned i = 0; i < info->irq_map_len && i < PCI_MAX_IRQ_MAP; i++) {
        const struct pci_irq_map_entry *e = &info->irq_map[i];
        bool match = true;
        for (unsigned c = 0; c < 4; c++)
            if ((key[c] ^ e->child[c]) & info->irq_mask[c])
                match = false;
        if (!match)
            continue;
        if (!e->parent_is_plic)
            return -EOPNOTSUPP;
        return e->parent_irq ? (int)MIN(e->parent_irq, 0x7fffffffu) : -ENOENT;
    }
    return -ENOENT;
}

/* ---- The node ---- */

int pci_dt_parse_host(const struct fdt *fdt, int node, unsigned index, struct pci_host *host)
{
    struct pci_host_info *info = &host->info;
    host_name(fdt, node, info->name, sizeof info->name);
    info->node = node;
    uint32_t domain = index;
    if (fdt_read_u32(fdt, node, "linux,pci-domain", &domain) == 0 && domain > 0xffff) {
        pci_host_err(host, "linux,pci-domain %u is out of range", domain);
        domain = index;
    }
    info->domain = (uint16_t)domain;

    uint32_t ac = 0;
    int sc = fdt_size_cells(fdt, node);
    int parent = fdt_parent_offset(fdt, node);
    if (fdt_read_u32(fdt, node, "#address-cells", &ac) || ac != 3 || sc < 1 || parent < 0) {
        pci_host_err(host, "not a PCI bus node (#address-cells must be 3, #size-cells 1 or 2)");
        return -EINVAL;
    }

    /* reg: the ECAM window, in the parent's address space. */
    if (fdt_read_reg(fdt, node, 0, &info->ecam_base, &info->ecam_size) ||
        !range_fits(info->ecam_base, info->ecam_size)) {
        pci_host_err(host, "no usable reg (ECAM window)");
        return -EINVAL;
    }

    /* bus-range: optional, the whole 0..255 if absent. */
    int len = 0;
    const uint8_t *br = fdt_getprop(fdt, node, "bus-range", &len);
    info->bus_start = 0;
    info->bus_end = 255;
    if (br) {
        uint32_t start = len == 8 ? get_be32(br) : 1, end = len == 8 ? get_be32(br + 4) : 0;
        if (start > end || end > 255) {
            pci_host_err(host, "bad bus-range (%d bytes, %u..%u)", len, start, end);
            return -EINVAL;
        }
        info->bus_start = start;
        info->bus_end = end;
    }
    uint64_t nbus = info->ecam_size >> ECAM_BUS_SHIFT;
    if (nbus == 0) {
        pci_host_err(host, "ECAM window of %#llx bytes is smaller than one bus",
                     (unsigned long long)info->ecam_size);
        return -EINVAL;
    }
    if (info->bus_end - info->bus_start + 1 > nbus) {
        /* As Linux: use the buses the window can reach. */
        unsigned end = info->bus_start + (unsigned)nbus - 1;
        pci_host_err(host, "ECAM area can only accommodate [bus %02x-%02x] (reduced from "
                     "[bus %02x-%02x] desired)", info->bus_start, end, info->bus_start,
                     info->bus_end);
        info->bus_end = end;
    }

    parse_ranges(fdt, node, parent, host);
    if (parse_irq_map(fdt, node, host)) {
        info->has_irq_map = false;
        info->irq_map_len = 0;
        pci_host_err(host, "interrupt-map ignored: INTx unavailable, drivers poll");
    }
    pci_host_info(host, "ECAM at [mem 0x%08llx-0x%08llx] for [bus %02x-%02x]",
                  (unsigned long long)info->ecam_base,
                  (unsigned long long)(info->ecam_base +
                                       ((uint64_t)(info->bus_end - info->bus_start + 1)
                                        << ECAM_BUS_SHIFT) - 1),
                  info->bus_start, info->bus_end);
    return 0;
}

int pci_ecam_offset(const struct pci_host_info *info, unsigned bus, unsigned devfn,
                    unsigned off, unsigned size, uint64_t *out)
{
    if (bus < info->bus_start || bus > info->bus_end || devfn > 0xff ||
        off >= PCI_CFG_SPACE_EXP_SIZE || size > PCI_CFG_SPACE_EXP_SIZE - off)
        return -EINVAL;
    uint64_t o = (uint64_t)(bus - info->bus_start) << ECAM_BUS_SHIFT | (uint64_t)devfn << 12 |
                 off;
    if (o + size > info->ecam_size)
        return -EINVAL;
    *out = o;
    return 0;
}
