/*
 * libFuzzer target for PCI enumeration and assignment (kernel/drivers/pci, the pure core) over
 * the fake ECAM of tests/unit/pci: the input is a list of functions, each a 264-byte record
 *     [0] the record index of the bridge it sits behind (0xff: the root bus)
 *     [1] devfn
 *     [2..7] BAR 0-5: bits 0-5 log2 of the size (0: none), bits 6-7 the kind (mem, mem64,
 *            I/O, mem64 prefetchable): what the write mask lets through
 *     [8..263] the first 256 bytes of its config space
 * under QEMU virt's host windows and interrupt-map; then the virtio-pci capability parser
 * (kernel/drivers/virtio/virtio_pci_caps.c) on every function. tests/fuzz/pci_seed.py turns
 * the recorded QEMU config spaces into a seed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fake_ecam.h"
#include "virtio_pci.h"

#define REC 264
#define MAX_FNS 16

/* Keeps the reads from being optimised away. */
static volatile uint64_t sink;

static void qemu_host(struct pci_host *host)
{
    struct pci_host_info *info = &host->info;
    memset(host, 0, sizeof *host);
    fake_qemu_windows(info, "fuzz.pci");
    /* QEMU's map: slot bits 0-1 and the pin pick PLIC 32..35. */
    info->has_irq_map = true;
    info->irq_mask[0] = 0x1800;
    info->irq_mask[3] = 7;
    for (unsigned slot = 0; slot < 4; slot++)
        for (unsigned pin = 1; pin <= 4; pin++) {
            struct pci_irq_map_entry *m = &info->irq_map[info->irq_map_len++];
            m->child[0] = slot << 11;
            m->child[3] = pin;
            m->parent_irq = 32 + (slot + pin - 1) % 4;
            m->parent_is_plic = true;
        }
}

/* The virtio-pci transport's parser: whatever the capabilities say, what it accepts is inside
 * an assigned BAR, aligned for its accesses and long enough for its structure. */
static void check_region(const struct pci_dev *d, const struct virtio_pci_region *r,
                         uint64_t min_len, uint64_t align)
{
    if (!r->present)
        return;
    uint64_t bar_len = pci_resource_len(d, r->bar);
    if (r->bar >= PCI_NUM_BARS || !bar_len || r->offset > bar_len ||
        r->len > bar_len - r->offset || r->len < min_len || r->offset % align)
        abort();
}

static void check_virtio_layout(const struct pci_dev *d)
{
    struct virtio_pci_layout l;
    sink += virtio_pci_device_type(d);
    if (virtio_pci_parse_caps(d, &l) != 0)
        return;
    if (!l.common.present || !l.notify.present || !l.isr.present || l.notify_multiplier % 2)
        abort();
    check_region(d, &l.common, VP_COMMON_CFG_MIN, 4);
    check_region(d, &l.notify, 2, 2);
    check_region(d, &l.isr, 1, 1);
    check_region(d, &l.device, 1, 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct pci_host host;
    static struct pci_dev devs[32];
    static const unsigned kinds[4] = { PCI_RES_MEM, PCI_RES_MEM | PCI_RES_MEM64, PCI_RES_IO,
                                       PCI_RES_MEM | PCI_RES_MEM64 | PCI_RES_PREFETCH };
    struct fake_ecam *e = fake_new(0);
    if (!e)
        return 0;
    for (unsigned i = 0; i < MAX_FNS && (i + 1) * REC <= size; i++) {
        const uint8_t *r = data + i * REC;
        int behind = r[0] < i ? r[0] : -1;
        int f = fake_add(e, behind, PCI_SLOT(r[1]), PCI_FUNC(r[1]), 0, 0, 0, r[8 + 0x0e]);
        for (unsigned b = 0; b < 6; b++)
            if (r[2 + b] & 63)
                fake_bar(e, f, b, kinds[r[2 + b] >> 6], 1ull << (r[2 + b] & 63));
        if ((r[8 + 0x0e] & PCI_HEADER_TYPE_MASK) == PCI_HEADER_TYPE_BRIDGE)
            fake_bridge_windows(e, f, true, r[8 + 0x1c] & 1, true, r[8 + 0x24] & 1);
        memcpy(e->fn[f].cfg, r + 8, 256);
    }
    qemu_host(&host);
    host.ops = &fake_ops;
    host.ops_ctx = e;
    host.devs = devs;
    host.max_devs = 32;
    host_log_clear();
    int n = pci_setup_host(&host);
    if (n < 0 || (unsigned)n > host.max_devs || e->bad_args)
        abort();
    static const struct pci_device_id ids[] = {
        { .vendor = 0x1af4, .device = 0x1000, .device_last = 0x107f },
        { .vendor = PCI_ANY_ID, .device = PCI_ANY_ID, .class = 0x060400,
          .class_mask = 0xffffff }, { 0 } };
    for (unsigned i = 0; i < host.ndevs; i++) {
        const struct pci_dev *d = &devs[i];
        check_virtio_layout(d);
        sink += pci_resource_start(d, i % 7) + pci_resource_len(d, i % 7) + d->irq;
        sink += (uintptr_t)pci_match_id(ids, d);
    }
    free(e);
    return 0;
}
