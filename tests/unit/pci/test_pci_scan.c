/* Enumeration, BAR sizing and assignment, capabilities and INTx routing
 * (kernel/drivers/pci/pci_probe.c, pci_assign.c, pci_lib.c) over the fake ECAM: QEMU's recorded
 * config spaces under QEMU's recorded host bridge, hand-built topologies, and malformed or
 * random config spaces. */
#include "pci_rig.h"

/* The fake function behind a pci_dev (by position: both are in enumeration order only for
 * the root bus, so look it up by bus routing instead). */
static int fake_of(struct rig *r, const struct pci_dev *d)
{
    for (unsigned i = 0; i < r->e->nfn; i++) {
        const struct fake_fn *f = &r->e->fn[i];
        if (f->devfn != d->devfn)
            continue;
        unsigned bus = f->behind < 0 ? r->e->bus_start
                                     : r->e->fn[f->behind].cfg[PCI_SECONDARY_BUS];
        if (bus == d->bus)
            return (int)i;
    }
    fail_msg("%s has no fake function", d->name);
    return -1;
}

/* ---- Layout invariants ---- */

struct span {
    uint64_t start, end;        /* bus addresses, inclusive */
    bool io;
    const struct pci_dev *owner;
    bool window;
};

static bool is_below(const struct pci_dev *d, const struct pci_dev *bridge)
{
    for (unsigned hops = 0; d && hops < 64; hops++, d = d->parent)
        if (d->parent == bridge)
            return true;
    return false;
}

static uint64_t bridge_reg_base(struct rig *r, int f, unsigned k, uint64_t *limit)
{
    const struct fake_ecam *e = r->e;
    if (k == PCI_WIN_IO) {
        uint64_t base = (uint64_t)(fake_cfg8(e, f, PCI_IO_BASE) & 0xf0) << 8;
        *limit = (uint64_t)(fake_cfg8(e, f, PCI_IO_LIMIT) & 0xf0) << 8 | 0xfff;
        if ((fake_cfg8(e, f, PCI_IO_BASE) & 0xf) == PCI_IO_RANGE_TYPE_32) {
            base |= (uint64_t)fake_cfg16(e, f, PCI_IO_BASE_UPPER16) << 16;
            *limit |= (uint64_t)fake_cfg16(e, f, PCI_IO_LIMIT_UPPER16) << 16;
        }
        return base;
    }
    unsigned reg = k == PCI_WIN_MEM ? PCI_MEMORY_BASE : PCI_PREF_MEMORY_BASE;
    uint64_t base = (uint64_t)(fake_cfg16(e, f, reg) & 0xfff0) << 16;
    *limit = (uint64_t)(fake_cfg16(e, f, reg + 2) & 0xfff0) << 16 | 0xfffff;
    if (k == PCI_WIN_PREF && (fake_cfg16(e, f, reg) & 0xf) == PCI_PREF_RANGE_TYPE_64) {
        base |= (uint64_t)fake_cfg32(e, f, PCI_PREF_BASE_UPPER32) << 32;
        *limit |= (uint64_t)fake_cfg32(e, f, PCI_PREF_LIMIT_UPPER32) << 32;
    }
    return base;
}

static bool in_host_window(const struct pci_host *host, const struct pci_resource *res)
{
    for (unsigned w = 0; w < PCI_NUM_HWIN; w++) {
        const struct pci_window *win = &host->info.win[w];
        if ((w == PCI_HWIN_IO) != !!(res->flags & PCI_RES_IO) || !win->size)
            continue;
        if (res->bus_start >= win->bus_start &&
            res->bus_start + res->size <= win->bus_start + win->size)
            return res->start == res->bus_start - win->bus_start + win->cpu_start;
    }
    return false;
}

/* Every assigned BAR: naturally aligned, inside a host window with the right CPU address, in
 * its BAR register, inside its bridges' windows, overlapping nothing else; every bridge window
 * as programmed and nested in its parent's. */
static void check_layout(struct rig *r)
{
    static struct span spans[1024];
    unsigned n = 0;
    for (unsigned i = 0; i < r->host->ndevs; i++) {
        const struct pci_dev *d = &r->host->devs[i];
        int f = fake_of(r, d);
        for (unsigned b = 0; b < PCI_NUM_BARS; b++) {
            const struct pci_resource *res = &d->resource[b];
            if (!(res->flags & PCI_RES_ASSIGNED))
                continue;
            assert_int_equal(res->size & (res->size - 1), 0);
            assert_int_equal(res->bus_start % res->size, 0);
            assert_true(in_host_window(r->host, res));
            uint64_t reg = fake_cfg32(r->e, f, PCI_BASE_ADDRESS_0 + 4 * b);
            if (res->flags & PCI_RES_MEM64)
                reg |= (uint64_t)fake_cfg32(r->e, f, PCI_BASE_ADDRESS_0 + 4 * b + 4) << 32;
            reg &= (res->flags & PCI_RES_IO) ? ~3ull : ~0xfull;
            assert_int_equal(reg, res->bus_start);
            if (res->flags & PCI_RES_IO16)
                assert_true(res->bus_start + res->size - 1 <= 0xffff);
            if (!(res->flags & PCI_RES_MEM64) && !(res->flags & PCI_RES_IO))
                assert_true(res->bus_start + res->size - 1 <= 0xffffffffull);
            spans[n++] = (struct span){ res->bus_start, res->bus_start + res->size - 1,
                                        res->flags & PCI_RES_IO, d, false };
        }
        if (d->hdr_type != PCI_HEADER_TYPE_BRIDGE)
            continue;
        for (unsigned k = 0; k < PCI_NUM_WINDOWS; k++) {
            const struct pci_resource *w = &d->window[k];
            uint64_t limit, base = bridge_reg_base(r, f, k, &limit);
            if (!w->size) {
                if (w->flags)
                    assert_true(base > limit);      /* implemented, closed */
                continue;
            }
            assert_int_equal(base, w->bus_start);
            assert_int_equal(limit, w->bus_start + w->size - 1);
            assert_true(in_host_window(r->host, w));
            spans[n++] = (struct span){ base, limit, k == PCI_WIN_IO, d, true };
        }
        assert_true(n < 1000);
    }
    for (unsigned a = 0; a < n; a++)
        for (unsigned b = 0; b < n; b++) {
            if (a == b || spans[a].io != spans[b].io)
                continue;
            bool overlap = spans[a].start <= spans[b].end && spans[b].start <= spans[a].end;
            bool a_holds_b = spans[a].window && is_below(spans[b].owner, spans[a].owner);
            bool b_holds_a = spans[b].window && is_below(spans[a].owner, spans[b].owner);
            if (overlap && !a_holds_b && !b_holds_a)
                fail_msg("%s [%#llx-%#llx] overlaps %s [%#llx-%#llx]", spans[a].owner->name,
                         (unsigned long long)spans[a].start, (unsigned long long)spans[a].end,
                         spans[b].owner->name, (unsigned long long)spans[b].start,
                         (unsigned long long)spans[b].end);
            /* Whatever sits behind a bridge is inside one of its windows. */
            if (spans[a].window && is_below(spans[b].owner, spans[a].owner) && overlap)
                assert_true(spans[b].start >= spans[a].start && spans[b].end <= spans[a].end);
            if (spans[a].window && !spans[b].window && spans[b].owner->parent == spans[a].owner) {
                bool inside = false;
                for (unsigned c = 0; c < n; c++)
                    inside |= spans[c].window && spans[c].owner == spans[a].owner &&
                              spans[c].io == spans[b].io && spans[b].start >= spans[c].start &&
                              spans[b].end <= spans[c].end;
                assert_true(inside);
            }
        }
}

/* ---- QEMU's devices ---- */

struct vcap {
    unsigned pos, cfg_type, bar;
    uint32_t offset, length;
};

/* What a virtio-pci transport will do: walk the vendor capabilities and read each. */
static unsigned virtio_caps(const struct pci_dev *d, struct vcap *out, unsigned max)
{
    unsigned n = 0;
    for (unsigned pos = pci_find_capability(d, PCI_CAP_ID_VNDR); pos && n < max;
         pos = pci_find_next_capability(d, pos, PCI_CAP_ID_VNDR)) {
        out[n].pos = pos;
        out[n].cfg_type = pci_read_config8(d, pos + 3);
        out[n].bar = pci_read_config8(d, pos + 4);
        out[n].offset = pci_read_config32(d, pos + 8);
        out[n].length = pci_read_config32(d, pos + 12);
        n++;
    }
    return n;
}

static void check_virtio_function(struct rig *r, const struct pci_dev *d, uint16_t device,
                                  bool legacy_io)
{
    assert_int_equal(d->vendor, PCI_VENDOR_ID_REDHAT_QUMRANET);
    assert_int_equal(d->device, device);
    assert_int_equal(d->subsystem_vendor, PCI_VENDOR_ID_REDHAT_QUMRANET);
    assert_int_equal(d->pin, 1);
    /* BAR 1: MSI-X table, BAR 4: the modern registers, BAR 0: the legacy I/O header. */
    assert_int_equal(d->resource[1].size, 0x1000);
    assert_int_equal(d->resource[1].flags, PCI_RES_MEM | PCI_RES_ASSIGNED);
    assert_int_equal(d->resource[4].size, 0x4000);
    assert_int_equal(d->resource[4].flags,
                     PCI_RES_MEM | PCI_RES_MEM64 | PCI_RES_PREFETCH | PCI_RES_ASSIGNED);
    assert_int_equal(d->resource[5].size, 0);   /* the upper half of BAR 4 */
    uint16_t want = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
    if (legacy_io) {
        assert_true(d->resource[0].flags & PCI_RES_IO);
        assert_true(d->resource[0].flags & PCI_RES_ASSIGNED);
        want |= PCI_COMMAND_IO;
    } else {
        assert_int_equal(d->resource[0].size, 0);
    }
    assert_int_equal(d->command, want);
    assert_int_equal(fake_cfg16(r->e, fake_of(r, d), PCI_COMMAND), want);

    /* MSI-X then five virtio structures: common, notify, ISR, device, PCI cfg access. */
    assert_int_equal(d->ncaps, 6);
    assert_int_equal(d->caps[0].id, PCI_CAP_ID_MSIX);
    assert_int_equal(d->caps[0].offset, 0x98);
    struct vcap c[8];
    assert_int_equal(virtio_caps(d, c, 8), 5);
    static const unsigned pos[] = { 0x84, 0x70, 0x60, 0x50, 0x40 };
    static const unsigned type[] = { 5, 2, 4, 3, 1 };
    static const uint32_t off[] = { 0, 0x3000, 0x2000, 0x1000, 0 };
    for (unsigned i = 0; i < 5; i++) {
        assert_int_equal(c[i].pos, pos[i]);
        assert_int_equal(c[i].cfg_type, type[i]);
        if (type[i] == 5)
            continue;           /* VIRTIO_PCI_CAP_PCI_CFG: a window, no BAR range */
        assert_int_equal(c[i].bar, 4);
        assert_int_equal(c[i].offset, off[i]);
        assert_int_equal(c[i].length, 0x1000);
        assert_true(c[i].offset + c[i].length <= pci_resource_len(d, c[i].bar));
    }
    assert_int_equal(pci_read_config8(d, 0x70 + 2), 0x14);      /* notify cap is longer */
    assert_int_equal(pci_read_config32(d, 0x70 + 16), 4);       /* notify_off_multiplier */
}

static void test_qemu_recorded(void **state)
{
    (void)state;
    struct rig *r = rig_qemu();
    rig_run(r, 64);
    assert_int_equal(r->n, 9);
    assert_int_equal(r->host->errors, 0);
    check_layout(r);

    const struct pci_dev *hb = dev_at(r, 0, 0, 0);
    assert_int_equal(hb->vendor, PCI_VENDOR_ID_REDHAT);
    assert_int_equal(hb->device, 0x0008);
    assert_int_equal(hb->class, 0x060000);
    assert_int_equal(hb->command, 0);           /* nothing to decode: left alone */

    const struct pci_dev *blk = dev_at(r, 0, 1, 0);
    check_virtio_function(r, blk, 0x1001, true);
    assert_int_equal(blk->class, 0x010000);
    assert_int_equal(blk->subsystem_device, 2);         /* transitional: the virtio id */
    assert_int_equal(blk->resource[0].size, 0x80);
    assert_int_equal(blk->irq, 33);
    assert_int_equal(fake_cfg8(r->e, fake_of(r, blk), PCI_INTERRUPT_LINE), 33);
    /* Biggest first, in enumeration order: the first 16 KiB BAR opens the window. */
    assert_int_equal(pci_resource_start(blk, 4), 0x40000000);
    assert_int_equal(pci_resource_start(blk, 0), 0x3001000);    /* I/O from port 0x1000 */
    assert_int_equal(blk->resource[0].bus_start, 0x1000);

    check_virtio_function(r, dev_at(r, 0, 2, 0), 0x1041, false);
    check_virtio_function(r, dev_at(r, 0, 4, 0), 0x1005, true);
    check_virtio_function(r, dev_at(r, 0, 5, 0), 0x1000, true);
    const struct pci_dev *mf0 = dev_at(r, 0, 6, 0), *mf1 = dev_at(r, 0, 6, 1);
    check_virtio_function(r, mf0, 0x1042, false);
    check_virtio_function(r, mf1, 0x1044, false);
    assert_true(mf0->multifunction);
    assert_int_equal(mf0->irq, 32 + (6 + 0) % 4);
    assert_int_equal(mf1->irq, 32 + (6 + 0) % 4);       /* also INTA */

    const struct pci_dev *br = dev_at(r, 0, 3, 0);
    assert_int_equal(br->hdr_type, PCI_HEADER_TYPE_BRIDGE);
    assert_int_equal(br->class, 0x060400);
    assert_int_equal(br->secondary, 1);
    assert_int_equal(br->subordinate, 1);
    assert_int_equal(br->resource[0].size, 0x100);      /* SHPC registers */
    assert_true(br->resource[0].flags & PCI_RES_MEM64);
    assert_true(br->pref64);
    assert_false(br->io32);
    for (unsigned k = 0; k < PCI_NUM_WINDOWS; k++)
        assert_int_equal(br->window[k].size, 0);        /* nothing behind it */
    assert_int_equal(br->command, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);

    const struct pci_dev *rp = dev_at(r, 0, 7, 0);
    assert_int_equal(rp->device, 0x000c);
    assert_int_equal(rp->subsystem_vendor, PCI_VENDOR_ID_REDHAT);   /* from its SSVID cap */
    assert_int_equal(rp->secondary, 2);
    assert_true(pci_find_capability(rp, PCI_CAP_ID_EXP) != 0);

    assert_logged("pci 0000:00:01.0: [1af4:1001] type 00 class 0x010000");
    assert_logged("pci 0000:00:01.0: reg 0x10: [io  0x0000-0x007f]");
    assert_logged("pci 0000:00:01.0: reg 0x20: [mem 0x00000000-0x00003fff 64bit pref]");
    assert_logged("pci 0000:00:01.0: BAR 4: assigned [mem 0x40000000-0x40003fff 64bit pref]");
    assert_logged("pci 0000:00:01.0: BAR 0: assigned [io  0x1000-0x107f]");
    assert_logged("pci 0000:00:03.0: [1b36:0001] type 01 class 0x060400");
    assert_logged("pci 0000:00:01.0: INTA: irq 33");
    rig_free(r);
}

/* QEMU's own topology for -device pci-bridge,id=b1 -device virtio-net-pci,bus=b1,addr=1 (and
 * a device behind the PCIe root port): the recorded functions, moved behind the recorded
 * bridges. */
static void test_qemu_recorded_behind_bridges(void **state)
{
    (void)state;
    struct rig *r = rig_qemu();
    int br = fake_find(r->e, -1, 3, 0), rp = fake_find(r->e, -1, 7, 0);
    fake_move(r->e, fake_find(r->e, -1, 5, 0), br, 1, 0);
    fake_move(r->e, fake_find(r->e, -1, 4, 0), rp, 0, 0);
    rig_run(r, 64);
    assert_int_equal(r->n, 9);
    assert_int_equal(r->host->errors, 0);
    check_layout(r);

    const struct pci_dev *b = dev_at(r, 0, 3, 0), *p = dev_at(r, 0, 7, 0);
    assert_int_equal(b->secondary, 1);
    assert_int_equal(b->subordinate, 1);
    assert_int_equal(p->secondary, 2);
    assert_int_equal(p->subordinate, 2);
    assert_int_equal(fake_cfg32(r->e, br, PCI_PRIMARY_BUS) & 0xffffff, 0x010100);
    assert_int_equal(fake_cfg32(r->e, rp, PCI_PRIMARY_BUS) & 0xffffff, 0x020200);

    const struct pci_dev *net = dev_at(r, 1, 1, 0), *rng = dev_at(r, 2, 0, 0);
    assert_ptr_equal(net->parent, b);
    assert_ptr_equal(rng->parent, p);
    check_virtio_function(r, net, 0x1000, true);
    check_virtio_function(r, rng, 0x1005, true);
    /* INTA of slot 1 is INTB at the bridge in slot 3: 32 + (3 + 1) % 4. */
    assert_int_equal(net->irq, 32);
    assert_int_equal(rng->irq, 32 + (7 + 0) % 4);

    /* 1 MiB memory and 4 KiB I/O windows; everything fit below 4 GiB: no prefetchable one. */
    assert_int_equal(b->window[PCI_WIN_MEM].size, 0x100000);
    assert_int_equal(b->window[PCI_WIN_MEM].bus_start % 0x100000, 0);
    assert_int_equal(b->window[PCI_WIN_IO].size, 0x1000);
    assert_int_equal(b->window[PCI_WIN_PREF].size, 0);
    assert_int_equal(b->command, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    assert_logged("pci 0000:00:03.0: PCI bridge to [bus 01]");
    assert_logged("pci 0000:00:03.0:   bridge window [mem 0x40000000-0x400fffff]");
    assert_logged("pci 0000:01:01.0: [1af4:1000] type 00 class 0x020000");
    rig_free(r);
}

/* ---- Hand-built topologies ---- */

static int add_bridge(struct fake_ecam *e, int behind, unsigned slot, bool pref)
{
    int b = fake_add(e, behind, slot, 0, 0x1b36, 0x0001, 0x060400, PCI_HEADER_TYPE_BRIDGE);
    fake_bridge_windows(e, b, true, false, pref, true);
    fake_set8(e, b, PCI_INTERRUPT_PIN, 1);
    return b;
}

static int add_device(struct fake_ecam *e, int behind, unsigned slot, unsigned fn)
{
    int d = fake_add(e, behind, slot, fn, 0x1af4, 0x1042, 0x010000, PCI_HEADER_TYPE_NORMAL);
    fake_bar(e, d, 0, PCI_RES_IO, 0x40);
    fake_bar(e, d, 1, PCI_RES_MEM, 0x1000);
    fake_bar(e, d, 4, PCI_RES_MEM | PCI_RES_MEM64 | PCI_RES_PREFETCH, 0x4000);
    fake_set8(e, d, PCI_INTERRUPT_PIN, 1 + slot % 4);
    return d;
}

static void test_nested_bridges(void **state)
{
    (void)state;
    struct rig *r = rig_new();
    struct fake_ecam *e = r->e;
    int a = add_bridge(e, -1, 1, true);
    int b = add_bridge(e, a, 0, true);
    add_device(e, b, 2, 0);
    add_device(e, a, 1, 0);
    int c = add_bridge(e, -1, 2, true);
    add_device(e, c, 0, 0);
    add_device(e, -1, 3, 0);
    fake_bar(e, add_device(e, -1, 4, 0), 2, PCI_RES_MEM, 0x400000);   /* a 4 MiB BAR */
    rig_run(r, 64);
    assert_int_equal(r->n, 8);
    assert_int_equal(r->host->errors, 0);
    check_layout(r);
    struct pci_dev *da = dev_at(r, 0, 1, 0), *db = dev_at(r, 1, 0, 0), *dc = dev_at(r, 0, 2, 0);
    assert_int_equal(da->secondary, 1);
    assert_int_equal(da->subordinate, 2);
    assert_int_equal(db->secondary, 2);
    assert_int_equal(db->subordinate, 2);
    assert_int_equal(dc->secondary, 3);
    assert_int_equal(dc->subordinate, 3);
    struct pci_dev *deep = dev_at(r, 2, 2, 0);
    assert_ptr_equal(deep->parent, db);
    assert_ptr_equal(db->parent, da);
    /* Pin C (slot 2) -> swizzled at B (slot 0): C -> at A (slot 1): D; slot 1 pin D. No map:
     * no irq, no complaint per function. */
    assert_int_equal(deep->pin, 3);
    assert_int_equal(deep->irq, 0);
    assert_int_equal(pci_swizzle_interrupt_pin(deep, 3), 1);
    assert_int_equal(pci_swizzle_interrupt_pin(db, 1), 1);
    assert_int_equal(pci_swizzle_interrupt_pin(da, 1), 2);
    /* The 4 MiB BAR went first, then the bridges' 1 MiB windows. */
    assert_int_equal(pci_resource_start(dev_at(r, 0, 4, 0), 2), 0x40000000);
    assert_true(da->window[PCI_WIN_MEM].bus_start >= 0x40400000);
    rig_free(r);
}

/* The 32-bit window is full: a 64-bit BAR moves to the 64-bit window; a 32-bit BAR cannot,
 * and its function gets no memory decoding. */
static void test_mem32_full(void **state)
{
    (void)state;
    struct rig *r = rig_new();
    r->host->info.win[PCI_HWIN_MEM32].size = 0x10000;
    int x = fake_add(r->e, -1, 1, 0, 0x1234, 0x0001, 0x020000, 0);
    fake_bar(r->e, x, 0, PCI_RES_MEM | PCI_RES_MEM64 | PCI_RES_PREFETCH, 0x100000);
    fake_bar(r->e, x, 2, PCI_RES_MEM, 0x8000);
    fake_bar(r->e, x, 3, PCI_RES_IO, 0x20);
    /* As firmware may leave it: decoding on, at addresses about to change. */
    fake_set16(r->e, x, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    int y = fake_add(r->e, -1, 2, 0, 0x1234, 0x0002, 0x020000, 0);
    fake_bar(r->e, y, 0, PCI_RES_MEM, 0x10000);
    rig_run(r, 8);
    assert_int_equal(fake_cfg16(r->e, x, PCI_COMMAND), PCI_COMMAND_IO | PCI_COMMAND_MASTER);
    check_layout(r);
    const struct pci_dev *dx = dev_at(r, 0, 1, 0), *dy = dev_at(r, 0, 2, 0);
    assert_int_equal(pci_resource_start(dx, 0), 0x400000000ull);
    assert_int_equal(pci_resource_start(dy, 0), 0x40000000);
    assert_int_equal(pci_resource_start(dx, 2), 0);
    assert_false(dx->resource[2].flags & PCI_RES_ASSIGNED);
    assert_int_equal(dx->command, PCI_COMMAND_IO | PCI_COMMAND_MASTER);
    assert_int_equal(dy->command, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    assert_logged("pci 0000:00:01.0: BAR 2: no space for [mem size 0x00008000]");
    assert_logged("memory decoding left off");
    assert_int_equal(r->host->errors, 2);
    rig_free(r);
}

/* Behind a bridge the 64-bit window is its prefetchable window: only prefetchable BARs, and
 * only if the bridge has one. */
static void test_mem64_behind_bridges(void **state)
{
    (void)state;
    struct rig *r = rig_new();
    r->host->info.win[PCI_HWIN_MEM32].size = 0x100000;
    int a = add_bridge(r->e, -1, 1, true);
    int d1 = fake_add(r->e, a, 0, 0, 0x1234, 0x0001, 0x020000, 0);
    fake_bar(r->e, d1, 0, PCI_RES_MEM | PCI_RES_MEM64 | PCI_RES_PREFETCH, 0x200000);
    fake_bar(r->e, d1, 2, PCI_RES_MEM | PCI_RES_MEM64, 0x200000);
    int b = add_bridge(r->e, -1, 2, false);
    int d2 = fake_add(r->e, b, 0, 0, 0x1234, 0x0002, 0x020000, 0);
    fake_bar(r->e, d2, 0, PCI_RES_MEM | PCI_RES_MEM64 | PCI_RES_PREFETCH, 0x200000);
    rig_run(r, 8);
    check_layout(r);
    const struct pci_dev *da = dev_at(r, 0, 1, 0), *dd1 = dev_at(r, 1, 0, 0);
    const struct pci_dev *dd2 = dev_at(r, 2, 0, 0);
    assert_int_equal(pci_resource_start(dd1, 0), 0x400000000ull);
    assert_false(dd1->resource[2].flags & PCI_RES_ASSIGNED);
    assert_false(dd2->resource[0].flags & PCI_RES_ASSIGNED);
    assert_int_equal(da->window[PCI_WIN_PREF].bus_start, 0x400000000ull);
    assert_int_equal(da->window[PCI_WIN_PREF].size, 0x200000);
    assert_int_equal(fake_cfg32(r->e, a, PCI_PREF_BASE_UPPER32), 4);
    assert_logged("pci 0000:01:00.0: BAR 2: no space for [mem size 0x00200000 64bit]");
    assert_logged("pci 0000:02:00.0: BAR 0: no space for [mem size 0x00200000 64bit pref]");
    assert_logged("pci 0000:00:01.0:   bridge window [mem 0x400000000-0x4001fffff 64bit pref]");
    assert_int_equal(r->host->errors, 4);   /* two BARs, two functions left undecoded */
    rig_free(r);
}

static void test_bars_that_do_not_fit(void **state)
{
    (void)state;
    struct rig *r = rig_new();
    int x = fake_add(r->e, -1, 1, 0, 0x1234, 0x0001, 0x020000, 0);
    fake_bar(r->e, x, 0, PCI_RES_MEM, 0x80000000u);                      /* 2 GiB > 1 GiB */
    fake_bar(r->e, x, 1, PCI_RES_IO, 0x20);
    fake_bar(r->e, x, 2, PCI_RES_MEM | PCI_RES_MEM64, 1ull << 40);        /* 1 TiB > 16 GiB */
    fake_bar(r->e, x, 4, PCI_RES_MEM | PCI_RES_MEM64, 1ull << 63);        /* the largest */
    int y = fake_add(r->e, -1, 2, 0, 0x1234, 0x0002, 0x020000, 0);
    fake_bar(r->e, y, 0, PCI_RES_IO, 0x20000);                            /* > I/O window */
    rig_run(r, 8);
    check_layout(r);
    const struct pci_dev *dx = dev_at(r, 0, 1, 0);
    assert_int_equal(dx->resource[0].size, 0x80000000u);
    assert_int_equal(dx->resource[2].size, 1ull << 40);
    assert_int_equal(dx->resource[4].size, 1ull << 63);
    assert_true(dx->resource[1].flags & PCI_RES_ASSIGNED);
    assert_int_equal(dx->command, PCI_COMMAND_IO | PCI_COMMAND_MASTER);
    assert_int_equal(dev_at(r, 0, 2, 0)->command, 0);
    assert_logged("pci 0000:00:01.0: BAR 4: no space for [mem size 0x8000000000000000 64bit]");
    assert_logged("pci 0000:00:02.0: BAR 0: no space for [io  size 0x00020000]");
    assert_logged("pci 0000:00:02.0: not all BARs assigned: I/O decoding left off");
    assert_int_equal(r->host->errors, 6);
    rig_free(r);
}

/* BAR encodings: 16-bit I/O, 32-bit prefetchable, the old below-1M type, holes in the mask,
 * and the ones that make no sense. */
static void test_bar_sizing(void **state)
{
    (void)state;
    struct rig *r = rig_new();
    int x = fake_add(r->e, -1, 1, 0, 0x1234, 0x0001, 0x020000, 0);
    fake_bar(r->e, x, 0, PCI_RES_IO | PCI_RES_IO16, 0x100);
    fake_bar(r->e, x, 1, PCI_RES_MEM | PCI_RES_PREFETCH, 0x2000);
    fake_bar(r->e, x, 2, PCI_RES_MEM, 0x1000);
    fake_set32(r->e, x, 0x18, PCI_BASE_ADDRESS_MEM_TYPE_1M);
    fake_bar(r->e, x, 3, PCI_RES_MEM, 0x1000);
    r->e->fn[x].wmask[0x1d] = 0xf0;                 /* mask 0xfffff000 with bits 8-11 stuck */
    r->e->fn[x].wmask[0x1e] = 0xf0;                 /* and a hole at bits 16-19 */
    fake_bar(r->e, x, 5, PCI_RES_MEM | PCI_RES_MEM64, 0x1000);            /* no upper half */
    int y = fake_add(r->e, -1, 2, 0, 0x1234, 0x0002, 0x020000, 0);
    fake_bar(r->e, y, 0, PCI_RES_MEM, 0x1000);
    fake_set32(r->e, y, 0x10, 0x6);                 /* reserved type */
    fake_set32(r->e, y, 0x14, 0xffffffff);          /* reads as all ones, not writable */
    fake_bar(r->e, y, 2, PCI_RES_MEM, 0x1000);
    r->e->fn[y].wmask[0x18] = 0x01;                 /* the space bit flips when written */
    rig_run(r, 8);
    check_layout(r);
    const struct pci_dev *dx = dev_at(r, 0, 1, 0), *dy = dev_at(r, 0, 2, 0);
    assert_int_equal(dx->resource[0].flags, PCI_RES_IO | PCI_RES_IO16 | PCI_RES_ASSIGNED);
    assert_int_equal(dx->resource[0].size, 0x100);
    assert_int_equal(dx->resource[1].flags, PCI_RES_MEM | PCI_RES_PREFETCH | PCI_RES_ASSIGNED);
    assert_int_equal(dx->resource[2].flags, PCI_RES_MEM | PCI_RES_ASSIGNED);
    assert_int_equal(dx->resource[3].size, 0x1000);  /* the lowest writable bit */
    assert_int_equal(dx->resource[5].size, 0);
    assert_logged("pci 0000:00:01.0: reg 0x24: 64-bit BAR in the last slot, ignored");
    for (unsigned i = 0; i < PCI_NUM_BARS; i++)
        assert_int_equal(dy->resource[i].size, 0);
    assert_logged("pci 0000:00:02.0: reg 0x10: reserved memory BAR type, ignored");
    assert_logged("pci 0000:00:02.0: reg 0x14: reads as all ones, ignored");
    assert_logged("pci 0000:00:02.0: reg 0x18: type bits changed while sizing, ignored");
    assert_int_equal(r->host->errors, 4);
    rig_free(r);
}

/* Sizing writes all ones to BARs: never while the function decodes (firmware such as U-Boot
 * may leave it on), and what was there is put back before the new address is written. */
static void test_firmware_left_decoding_on(void **state)
{
    (void)state;
    struct rig *r = rig_qemu();
    int f = fake_find(r->e, -1, 1, 0);
    fake_set16(r->e, f, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    fake_set32(r->e, f, 0x20, 0x7000000c);
    fake_set32(r->e, f, 0x24, 0);
    rig_run(r, 64);
    assert_int_equal(r->e->sized_decoding, 0);
    const struct pci_dev *d = dev_at(r, 0, 1, 0);
    assert_int_equal(d->resource[4].flags & PCI_RES_ASSIGNED, PCI_RES_ASSIGNED);
    assert_logged("pci 0000:00:01.0: reg 0x20: [mem 0x70000000-0x70003fff 64bit pref]");
    check_layout(r);
    rig_free(r);
}

/* ---- Malformed config spaces ---- */

static void test_capability_lists(void **state)
{
    (void)state;
    struct rig *r = rig_new();
    struct fake_ecam *e = r->e;
    static const uint8_t loop_offs[] = { 0x40, 0x50 }, loop_ids[] = { 0x09, 0x05 };
    int loop = fake_add(e, -1, 1, 0, 0x1234, 1, 0x020000, 0);
    fake_caps(e, loop, loop_offs, loop_ids, 2);
    fake_set8(e, loop, 0x51, 0x40);                 /* 0x40 -> 0x50 -> 0x40 */
    int self = fake_add(e, -1, 2, 0, 0x1234, 2, 0x020000, 0);
    fake_caps(e, self, (const uint8_t[]){ 0x40 }, (const uint8_t[]){ 0x11 }, 1);
    fake_set8(e, self, 0x41, 0x40);                 /* 0x40 -> 0x40 */
    int header = fake_add(e, -1, 3, 0, 0x1234, 3, 0x020000, 0);
    fake_caps(e, header, (const uint8_t[]){ 0x20 }, (const uint8_t[]){ 0x09 }, 1);
    int unaligned = fake_add(e, -1, 4, 0, 0x1234, 4, 0x020000, 0);
    fake_caps(e, unaligned, (const uint8_t[]){ 0x40, 0x50 }, (const uint8_t[]){ 0x09, 0x10 }, 2);
    fake_set8(e, unaligned, PCI_CAPABILITY_LIST, 0x43);      /* low bits are reserved */
    fake_set8(e, unaligned, 0x41, 0x52);
    int full = fake_add(e, -1, 5, 0, 0x1234, 5, 0x020000, 0);
    uint8_t offs[48], ids[48];
    for (unsigned i = 0; i < 48; i++) {
        offs[i] = (uint8_t)(0xfc - 4 * i);          /* all 48 slots, top down */
        ids[i] = (uint8_t)(i % 2 ? PCI_CAP_ID_VNDR : PCI_CAP_ID_MSI);
    }
    fake_caps(e, full, offs, ids, 48);
    int nobit = fake_add(e, -1, 6, 0, 0x1234, 6, 0x020000, 0);
    fake_set8(e, nobit, PCI_CAPABILITY_LIST, 0x40);  /* pointer without the status bit */
    fake_set8(e, nobit, 0x40, 0x09);
    int ones = fake_add(e, -1, 7, 0, 0x1234, 7, 0x020000, 0);
    fake_caps(e, ones, (const uint8_t[]){ 0x40, 0x80 }, (const uint8_t[]){ 0x09, 0xff }, 2);
    rig_run(r, 16);
    assert_int_equal(r->n, 7);

    assert_int_equal(dev_at(r, 0, 1, 0)->ncaps, 2);
    assert_logged("pci 0000:00:01.0: capability list loops back to 0x40");
    assert_int_equal(dev_at(r, 0, 2, 0)->ncaps, 1);
    assert_logged("pci 0000:00:02.0: capability list loops back to 0x40");
    assert_int_equal(dev_at(r, 0, 3, 0)->ncaps, 0);
    assert_logged("pci 0000:00:03.0: capability pointer 0x20 points into the header");
    const struct pci_dev *u = dev_at(r, 0, 4, 0);
    assert_int_equal(u->ncaps, 2);
    assert_int_equal(pci_find_capability(u, PCI_CAP_ID_VNDR), 0x40);
    assert_int_equal(pci_find_capability(u, PCI_CAP_ID_EXP), 0x50);
    const struct pci_dev *f = dev_at(r, 0, 5, 0);
    assert_int_equal(f->ncaps, 48);
    unsigned seen = 0, pos = pci_find_capability(f, PCI_CAP_ID_VNDR);
    assert_int_equal(pos, 0xf8);
    for (; pos; pos = pci_find_next_capability(f, pos, PCI_CAP_ID_VNDR))
        seen++;
    assert_int_equal(seen, 24);
    assert_int_equal(pci_find_next_capability(f, 0x3c, PCI_CAP_ID_VNDR), 0);  /* not a cap */
    assert_int_equal(pci_find_capability(f, PCI_CAP_ID_MSIX), 0);
    assert_int_equal(dev_at(r, 0, 6, 0)->ncaps, 0);
    assert_int_equal(dev_at(r, 0, 7, 0)->ncaps, 1);
    assert_logged("pci 0000:00:07.0: capability at 0x80 reads as all ones");
    assert_int_equal(r->host->errors, 4);
    rig_free(r);
}

/* A function that disappears after its id was read: everything else reads as all ones. */
static void test_vanishing_function(void **state)
{
    (void)state;
    struct rig *r = rig_qemu();
    r->e->fn[fake_find(r->e, -1, 2, 0)].vanished = true;
    rig_run(r, 64);
    assert_int_equal(r->n, 8);
    assert_logged("pci 0000:00:02.0: unknown header type 7f, ignored");
    check_layout(r);
    assert_int_equal(r->host->errors, 1);
    rig_free(r);
}

static void test_nothing_answers(void **state)
{
    (void)state;
    struct rig *r = rig_qemu();
    r->e->all_ones = true;
    rig_run(r, 64);
    assert_int_equal(r->n, 0);
    assert_int_equal(r->host->errors, 0);
    rig_free(r);
}

static void test_odd_headers(void **state)
{
    (void)state;
    struct rig *r = rig_new();
    int bad = fake_add(r->e, -1, 1, 0, 0x1234, 1, 0x020000, 0x05);
    fake_bar(r->e, bad, 0, PCI_RES_MEM, 0x1000);
    int cb = fake_add(r->e, -1, 2, 0, 0x1234, 2, 0x060700, PCI_HEADER_TYPE_CARDBUS);
    fake_set8(r->e, cb, PCI_INTERRUPT_PIN, 1);
    int pin = fake_add(r->e, -1, 3, 0, 0x1234, 3, 0x020000, 0);
    fake_set8(r->e, pin, PCI_INTERRUPT_PIN, 7);
    fake_add(r->e, -1, 4, 0, 0x0000, 4, 0x020000, 0);      /* vendor 0: nobody */
    rig_run(r, 8);
    assert_int_equal(r->n, 2);
    assert_logged("pci 0000:00:01.0: unknown header type 05, ignored");
    assert_logged("pci 0000:00:02.0: CardBus bridge: not supported, left alone");
    assert_logged("pci 0000:00:03.0: interrupt pin 7 does not exist, INTx ignored");
    assert_int_equal(dev_at(r, 0, 2, 0)->irq, 0);
    assert_int_equal(dev_at(r, 0, 3, 0)->pin, 0);
    assert_int_equal(r->host->errors, 2);
    rig_free(r);
}

/* A bridge whose bus number registers do not stick: nothing is found behind it. */
static void test_bridge_ignores_bus_numbers(void **state)
{
    (void)state;
    struct rig *r = rig_new();
    int b = add_bridge(r->e, -1, 1, true);
    memset(&r->e->fn[b].wmask[PCI_PRIMARY_BUS], 0, 4);
    add_device(r->e, b, 0, 0);
    rig_run(r, 8);
    assert_int_equal(r->n, 1);
    assert_int_equal(r->host->errors, 0);
    rig_free(r);
}

/* A host that ignores the bus number: the bridge on bus 0 shows up on every bus. The walk
 * stops at the nesting limit. */
static void test_bridge_on_every_bus(void **state)
{
    (void)state;
    struct rig *r = rig_new();
    add_bridge(r->e, -1, 0, true);
    r->e->any_bus = true;
    rig_run(r, 64);
    assert_int_equal(r->n, PCI_MAX_DEPTH + 1);
    assert_logged("bridges nested deeper than 16: not scanned");
    rig_free(r);
}

static void test_out_of_bus_numbers(void **state)
{
    (void)state;
    struct rig *r = rig_new();
    r->host->info.bus_end = 1;
    int a = add_bridge(r->e, -1, 1, true), b = add_bridge(r->e, -1, 2, true);
    add_device(r->e, a, 0, 0);
    add_device(r->e, b, 0, 0);
    rig_run(r, 8);
    assert_int_equal(r->n, 3);
    assert_logged("pci 0000:00:02.0: no bus number left: not scanned");
    assert_int_equal(dev_at(r, 0, 2, 0)->secondary, 0);
    assert_int_equal(fake_cfg8(r->e, b, PCI_SECONDARY_BUS), 0);
    check_layout(r);
    rig_free(r);
}

static void test_too_many_functions(void **state)
{
    (void)state;
    struct rig *r = rig_new();
    for (unsigned slot = 0; slot < 8; slot++)
        for (unsigned fn = 0; fn < 8; fn++) {
            int d = add_device(r->e, -1, slot, fn);
            fake_set8(r->e, d, PCI_HEADER_TYPE, PCI_HEADER_TYPE_MFD);
        }
    rig_run(r, 20);
    assert_int_equal(r->n, 20);
    assert_int_equal(r->host->errors, 1);
    assert_logged("more than 20 PCI functions: the rest are ignored");
    check_layout(r);
    rig_free(r);
}

/* Random config spaces: whatever they say, the walk ends, stays in bounds and only makes
 * well-formed accesses. */
static void test_random_config_spaces(void **state)
{
    (void)state;
    uint32_t seed = 1;
    for (unsigned round = 0; round < 400; round++) {
        struct rig *r = rig_new();
        unsigned nfn = 1 + round % 6;
        for (unsigned i = 0; i < nfn; i++) {
            seed = seed * 1103515245u + 12345u;
            int behind = i > 0 && seed % 3 == 0 ? (int)(seed >> 8) % (int)i : -1;
            int f = fake_add(r->e, behind, (seed >> 12) % 32, (seed >> 20) % 8, 0x1234, 1, 0,
                             0);
            struct fake_fn *fn = &r->e->fn[f];
            for (unsigned k = 4; k < 256; k++) {
                seed = seed * 1103515245u + 12345u;
                fn->cfg[k] = (uint8_t)(seed >> 24);
                fn->wmask[k] = (uint8_t)(seed >> 16);
            }
            fn->cfg[PCI_HEADER_TYPE] = (uint8_t)(seed % 4 == 0 ? 0x81 : (seed >> 3) % 3);
        }
        r->host->info.win[PCI_HWIN_MEM32].size = 0x100000u << (round % 4);
        rig_run(r, 1 + round % 40);
        assert_true(r->n >= 0 && (unsigned)r->n <= r->host->max_devs);
        for (unsigned i = 0; i < r->host->ndevs; i++)
            assert_true(r->host->devs[i].ncaps <= PCI_MAX_CAPS);
        rig_free(r);
    }
}

/* ---- The driver-facing helpers ---- */

static void test_helpers(void **state)
{
    (void)state;
    struct rig *r = rig_qemu();
    rig_run(r, 64);
    struct pci_dev *blk = dev_at(r, 0, 1, 0), *net = dev_at(r, 0, 2, 0);
    unsigned errors = r->host->errors;

    static const struct pci_device_id virtio_ids[] = {
        { .vendor = 0x1af4, .device = 0x1000, .device_last = 0x107f }, { 0 } };
    static const struct pci_device_id net_ids[] = {
        { .vendor = 0x1af4, .device = 0x1041, .subvendor = 0x1af4, .subdevice = 0x1100 },
        { 0 } };
    static const struct pci_device_id storage_class[] = {
        { .vendor = PCI_ANY_ID, .device = PCI_ANY_ID, .class = 0x010000,
          .class_mask = 0xff0000 }, { 0 } };
    static const struct pci_device_id bridges[] = {
        { .vendor = 0x1234, .device = 1 },
        { .vendor = PCI_ANY_ID, .device = PCI_ANY_ID, .class = 0x060400,
          .class_mask = 0xffffff }, { 0 } };
    assert_ptr_equal(pci_match_id(virtio_ids, blk), &virtio_ids[0]);
    assert_ptr_equal(pci_match_id(virtio_ids, net), &virtio_ids[0]);
    assert_null(pci_match_id(virtio_ids, dev_at(r, 0, 3, 0)));
    assert_ptr_equal(pci_match_id(net_ids, net), &net_ids[0]);
    assert_null(pci_match_id(net_ids, blk));
    assert_ptr_equal(pci_match_id(storage_class, blk), &storage_class[0]);
    assert_null(pci_match_id(storage_class, net));
    assert_ptr_equal(pci_match_id(bridges, dev_at(r, 0, 3, 0)), &bridges[1]);
    assert_null(pci_match_id(NULL, blk));

    /* Config access: what the device says, or all ones (and a complaint) for bad offsets. */
    assert_int_equal(pci_read_config16(blk, PCI_VENDOR_ID), 0x1af4);
    assert_int_equal(pci_read_config8(blk, PCI_INTERRUPT_PIN), 1);
    assert_int_equal(pci_read_config32(blk, PCI_CLASS_REVISION), 0x01000000);
    assert_int_equal(pci_read_config16(blk, 0x41), 0xffff);
    assert_int_equal(pci_read_config32(blk, 0xffe), 0xffffffffu);
    assert_int_equal(pci_read_config8(blk, 0x1000), 0xff);
    pci_write_config8(blk, PCI_LATENCY_TIMER, 0x40);
    assert_int_equal(pci_read_config8(blk, PCI_LATENCY_TIMER), 0x40);
    pci_write_config16(blk, 0x3, 0);                    /* misaligned: dropped */
    pci_write_config32(blk, 0x1000, 0);
    assert_int_equal(r->host->errors, errors + 5);
    assert_int_equal(r->e->bad_args, 0);

    assert_int_equal(pci_resource_start(blk, 6), 0);
    assert_int_equal(pci_resource_len(blk, 5), 0);
    assert_int_equal(pci_resource_len(blk, 4), 0x4000);
    assert_int_equal(pci_resource_flags(blk, 99), 0);
    assert_int_equal(pci_resource_flags(blk, 0), PCI_RES_IO | PCI_RES_ASSIGNED);
    assert_string_equal(pci_name(blk), "0000:00:01.0");
    rig_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qemu_recorded),
        cmocka_unit_test(test_qemu_recorded_behind_bridges),
        cmocka_unit_test(test_nested_bridges),
        cmocka_unit_test(test_mem32_full),
        cmocka_unit_test(test_mem64_behind_bridges),
        cmocka_unit_test(test_bars_that_do_not_fit),
        cmocka_unit_test(test_bar_sizing),
        cmocka_unit_test(test_firmware_left_decoding_on),
        cmocka_unit_test(test_capability_lists),
        cmocka_unit_test(test_vanishing_function),
        cmocka_unit_test(test_nothing_answers),
        cmocka_unit_test(test_odd_headers),
        cmocka_unit_test(test_bridge_ignores_bus_numbers),
        cmocka_unit_test(test_bridge_on_every_bus),
        cmocka_unit_test(test_out_of_bus_numbers),
        cmocka_unit_test(test_too_many_functions),
        cmocka_unit_test(test_random_config_spaces),
        cmocka_unit_test(test_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
