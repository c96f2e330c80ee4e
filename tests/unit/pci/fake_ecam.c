/* The fake configuration space of fake_ecam.h (the printk the core logs through is
 * ../log_host.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_ecam.h"
#include "kernel.h"

/* ---- The host ---- */

void fake_qemu_windows(struct pci_host_info *info, const char *name)
{
    snprintf(info->name, sizeof info->name, "%s", name);
    info->bus_end = 255;
    info->ecam_size = 0x10000000;
    info->win[PCI_HWIN_IO] = (struct pci_window){ .cpu_start = 0x3000000, .size = 0x10000 };
    info->win[PCI_HWIN_MEM32] = (struct pci_window){ .cpu_start = 0x40000000,
        .bus_start = 0x40000000, .size = 0x40000000 };
    info->win[PCI_HWIN_MEM64] = (struct pci_window){ .cpu_start = 0x400000000ull,
        .bus_start = 0x400000000ull, .size = 0x400000000ull };
}

/* ---- Bytes ---- */

uint8_t fake_cfg8(const struct fake_ecam *e, int idx, unsigned off)
{
    return e->fn[idx].cfg[off];
}

uint16_t fake_cfg16(const struct fake_ecam *e, int idx, unsigned off)
{
    return (uint16_t)(fake_cfg8(e, idx, off) | fake_cfg8(e, idx, off + 1) << 8);
}

uint32_t fake_cfg32(const struct fake_ecam *e, int idx, unsigned off)
{
    return fake_cfg16(e, idx, off) | (uint32_t)fake_cfg16(e, idx, off + 2) << 16;
}

void fake_set8(struct fake_ecam *e, int idx, unsigned off, uint8_t v)
{
    e->fn[idx].cfg[off] = v;
}

void fake_set16(struct fake_ecam *e, int idx, unsigned off, uint16_t v)
{
    fake_set8(e, idx, off, (uint8_t)v);
    fake_set8(e, idx, off + 1, (uint8_t)(v >> 8));
}

void fake_set32(struct fake_ecam *e, int idx, unsigned off, uint32_t v)
{
    fake_set16(e, idx, off, (uint16_t)v);
    fake_set16(e, idx, off + 2, (uint16_t)(v >> 16));
}

static void set_wmask(struct fake_fn *f, unsigned off, unsigned size, uint64_t mask)
{
    for (unsigned i = 0; i < size; i++)
        f->wmask[off + i] = (uint8_t)(mask >> (8 * i));
}

/* ---- Routing: which function a config cycle reaches ---- */

/* Does bridge @b pass config cycles for @bus downstream (and is it itself reached)? */
static bool forwards(const struct fake_ecam *e, int b, unsigned bus, unsigned depth)
{
    const struct fake_fn *br = &e->fn[b];
    unsigned sec = br->cfg[PCI_SECONDARY_BUS], sub = br->cfg[PCI_SUBORDINATE_BUS];
    if (depth > FAKE_MAX_FNS || sec == 0 || bus < sec || bus > sub)
        return false;
    return br->behind < 0 || forwards(e, br->behind, bus, depth + 1);
}

static bool on_bus(const struct fake_ecam *e, const struct fake_fn *f, unsigned bus)
{
    if (f->behind < 0)
        return e->any_bus || bus == e->bus_start;
    return e->fn[f->behind].cfg[PCI_SECONDARY_BUS] == bus && forwards(e, f->behind, bus, 0);
}

static struct fake_fn *route(struct fake_ecam *e, unsigned bus, unsigned devfn)
{
    for (unsigned i = 0; i < e->nfn; i++)
        if (e->fn[i].devfn == devfn && on_bus(e, &e->fn[i], bus))
            return &e->fn[i];
    return NULL;
}

static bool args_ok(struct fake_ecam *e, unsigned off, unsigned size)
{
    if ((size != 1 && size != 2 && size != 4) || off % size || off + size > 4096) {
        e->bad_args++;
        return false;
    }
    return true;
}

static int fake_read(void *ctx, unsigned bus, unsigned devfn, unsigned off, unsigned size,
                     uint32_t *val)
{
    struct fake_ecam *e = ctx;
    e->reads++;
    uint32_t ones = size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    *val = ones;
    if (!args_ok(e, off, size))
        return -EINVAL;
    struct fake_fn *f = route(e, bus, devfn);
    if (!f || e->all_ones || (f->vanished && off >= 4))
        return 0;               /* master abort: all ones, as ECAM hosts answer */
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)f->cfg[off + i] << (8 * i);
    /* Return more than was asked for: the core must mask it. */
    *val = v | (size < 4 ? 0xdead0000u << (8 * (size - 1)) : 0);
    return 0;
}

static int fake_write(void *ctx, unsigned bus, unsigned devfn, unsigned off, unsigned size,
                      uint32_t val)
{
    struct fake_ecam *e = ctx;
    e->writes++;
    if (!args_ok(e, off, size))
        return -EINVAL;
    struct fake_fn *f = route(e, bus, devfn);
    if (!f || e->all_ones)
        return 0;
    unsigned nbars = (f->cfg[PCI_HEADER_TYPE] & PCI_HEADER_TYPE_MASK) == 1 ? 2 : 6;
    if (size == 4 && val == 0xffffffffu && off >= PCI_BASE_ADDRESS_0 &&
        off < PCI_BASE_ADDRESS_0 + 4 * nbars &&
        (f->cfg[PCI_COMMAND] & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY)))
        e->sized_decoding++;
    for (unsigned i = 0; i < size; i++) {
        uint8_t b = (uint8_t)(val >> (8 * i)), m = f->wmask[off + i];
        f->cfg[off + i] = (uint8_t)((f->cfg[off + i] & ~m) | (b & m));
    }
    return 0;
}

const struct pci_cfg_ops fake_ops = { .read = fake_read, .write = fake_write };

/* ---- Building ---- */

struct fake_ecam *fake_new(unsigned bus_start)
{
    struct fake_ecam *e = calloc(1, sizeof *e);
    if (e)
        e->bus_start = bus_start;
    return e;
}

/* What QEMU lets software write in every header. */
static void common_wmask(struct fake_fn *f, unsigned hdr_type)
{
    set_wmask(f, PCI_COMMAND, 2, 0x0547);
    set_wmask(f, PCI_CACHE_LINE_SIZE, 2, 0xffff);
    set_wmask(f, PCI_INTERRUPT_LINE, 1, 0xff);
    if ((hdr_type & PCI_HEADER_TYPE_MASK) == PCI_HEADER_TYPE_BRIDGE) {
        set_wmask(f, PCI_PRIMARY_BUS, 4, 0xffffffff);
        set_wmask(f, PCI_MEMORY_BASE, 4, 0xfff0fff0);
    }
}

int fake_add(struct fake_ecam *e, int behind, unsigned slot, unsigned func, uint16_t vendor,
             uint16_t device, uint32_t class, uint8_t hdr_type)
{
    if (e->nfn == FAKE_MAX_FNS)
        abort();
    int idx = (int)e->nfn++;
    struct fake_fn *f = &e->fn[idx];
    memset(f, 0, sizeof *f);
    f->behind = behind;
    f->devfn = PCI_DEVFN(slot, func);
    fake_set16(e, idx, PCI_VENDOR_ID, vendor);
    fake_set16(e, idx, PCI_DEVICE_ID, device);
    fake_set32(e, idx, PCI_CLASS_REVISION, class << 8 | 0x01);
    fake_set8(e, idx, PCI_HEADER_TYPE, hdr_type);
    common_wmask(f, hdr_type);
    return idx;
}

void fake_bar(struct fake_ecam *e, int idx, unsigned bar, unsigned flags, uint64_t size)
{
    struct fake_fn *f = &e->fn[idx];
    unsigned reg = PCI_BASE_ADDRESS_0 + 4 * bar;
    uint64_t mask = ~(size - 1);
    uint32_t type = 0;
    if (flags & PCI_RES_IO) {
        type = PCI_BASE_ADDRESS_SPACE_IO;
        mask &= (flags & PCI_RES_IO16) ? 0xfffc : 0xfffffffc;
    } else {
        mask &= ~0xfull;
        if (flags & PCI_RES_MEM64)
            type |= PCI_BASE_ADDRESS_MEM_TYPE_64;
        if (flags & PCI_RES_PREFETCH)
            type |= PCI_BASE_ADDRESS_MEM_PREFETCH;
    }
    fake_set32(e, idx, reg, type);
    if ((flags & PCI_RES_MEM64) && !(flags & PCI_RES_IO)) {
        fake_set32(e, idx, reg + 4, 0);
        set_wmask(f, reg, 8, mask);
    } else {
        set_wmask(f, reg, 4, mask & 0xffffffffu);
    }
}

void fake_bridge_windows(struct fake_ecam *e, int idx, bool io, bool io32, bool pref,
                         bool pref64)
{
    struct fake_fn *f = &e->fn[idx];
    set_wmask(f, PCI_IO_BASE, 2, io ? 0xf0f0 : 0);
    fake_set8(e, idx, PCI_IO_BASE, io && io32 ? PCI_IO_RANGE_TYPE_32 : 0);
    fake_set8(e, idx, PCI_IO_LIMIT, io && io32 ? PCI_IO_RANGE_TYPE_32 : 0);
    set_wmask(f, PCI_IO_BASE_UPPER16, 4, io && io32 ? 0xffffffff : 0);
    set_wmask(f, PCI_PREF_MEMORY_BASE, 4, pref ? 0xfff0fff0 : 0);
    fake_set16(e, idx, PCI_PREF_MEMORY_BASE, pref && pref64 ? PCI_PREF_RANGE_TYPE_64 : 0);
    fake_set16(e, idx, PCI_PREF_MEMORY_LIMIT, pref && pref64 ? PCI_PREF_RANGE_TYPE_64 : 0);
    set_wmask(f, PCI_PREF_BASE_UPPER32, 8, pref && pref64 ? ~0ull : 0);
}

void fake_caps(struct fake_ecam *e, int idx, const uint8_t *offs, const uint8_t *ids,
               unsigned n)
{
    fake_set16(e, idx, PCI_STATUS, fake_cfg16(e, idx, PCI_STATUS) | PCI_STATUS_CAP_LIST);
    fake_set8(e, idx, PCI_CAPABILITY_LIST, n ? offs[0] : 0);
    for (unsigned i = 0; i < n; i++) {
        fake_set8(e, idx, offs[i], ids[i]);
        fake_set8(e, idx, offs[i] + 1, i + 1 < n ? offs[i + 1] : 0);
    }
}

int fake_find(const struct fake_ecam *e, int behind, unsigned slot, unsigned func)
{
    for (unsigned i = 0; i < e->nfn; i++)
        if (e->fn[i].behind == behind && e->fn[i].devfn == PCI_DEVFN(slot, func))
            return (int)i;
    return -1;
}

void fake_move(struct fake_ecam *e, int idx, int bridge, unsigned slot, unsigned func)
{
    e->fn[idx].behind = bridge;
    e->fn[idx].devfn = PCI_DEVFN(slot, func);
}

/* ---- Recorded fixtures ---- */

int fake_load(struct fake_ecam *e, const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return -1;
    char line[256];
    int idx = -1, count = 0;
    while (fgets(line, sizeof line, fp)) {
        unsigned bus, slot, func, bar, off;
        char kind[16], pref[16];
        unsigned long long size;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (sscanf(line, "fn %x:%x.%x", &bus, &slot, &func) == 3) {
            if (e->nfn == FAKE_MAX_FNS || bus != 0)
                goto bad;
            idx = (int)e->nfn++;
            memset(&e->fn[idx], 0, sizeof e->fn[idx]);
            e->fn[idx].behind = -1;
            e->fn[idx].devfn = PCI_DEVFN(slot, func);
            count++;
        } else if (idx >= 0 && sscanf(line, "bar %u %15s %15s %llx", &bar, kind, pref, &size) == 4
                   && strcmp(pref, "pref") == 0) {
            fake_bar(e, idx, bar, PCI_RES_MEM | PCI_RES_PREFETCH |
                     (strcmp(kind, "mem64") == 0 ? PCI_RES_MEM64 : 0), size);
        } else if (idx >= 0 && sscanf(line, "bar %u %15s %llx", &bar, kind, &size) == 3) {
            unsigned flags = strcmp(kind, "io") == 0 ? PCI_RES_IO
                             : strcmp(kind, "mem64") == 0 ? PCI_RES_MEM | PCI_RES_MEM64
                             : PCI_RES_MEM;
            fake_bar(e, idx, bar, flags, size);
        } else if (idx >= 0 && sscanf(line, "%x:", &off) == 1 && off < 256 && off % 16 == 0) {
            const char *p = strchr(line, ':') + 1;
            for (unsigned i = 0; i < 16; i++) {
                unsigned b;
                int used;
                if (sscanf(p, "%x%n", &b, &used) != 1)
                    goto bad;
                e->fn[idx].cfg[off + i] = (uint8_t)b;
                p += used;
            }
        } else {
            goto bad;
        }
    }
    fclose(fp);
    /* Writable registers (the bytes above overwrote the BAR type bits fake_bar set, with the
     * same values). Bridges: QEMU's implement all three windows. */
    for (unsigned i = e->nfn - (unsigned)count; i < e->nfn; i++) {
        uint8_t ht = e->fn[i].cfg[PCI_HEADER_TYPE];
        common_wmask(&e->fn[i], ht);
        if ((ht & PCI_HEADER_TYPE_MASK) == PCI_HEADER_TYPE_BRIDGE) {
            struct fake_fn *f = &e->fn[i];
            bool io32 = (f->cfg[PCI_IO_BASE] & 0xf) == PCI_IO_RANGE_TYPE_32;
            bool pref64 = (f->cfg[PCI_PREF_MEMORY_BASE] & 0xf) == PCI_PREF_RANGE_TYPE_64;
            set_wmask(f, PCI_IO_BASE, 2, 0xf0f0);
            set_wmask(f, PCI_IO_BASE_UPPER16, 4, io32 ? 0xffffffff : 0);
            set_wmask(f, PCI_PREF_MEMORY_BASE, 4, 0xfff0fff0);
            set_wmask(f, PCI_PREF_BASE_UPPER32, 8, pref64 ? ~0ull : 0);
        }
    }
    return count;
bad:
    fclose(fp);
    return -1;
}
