/* The vendor-specific capabilities of a virtio-pci device (virtio 1.2 §4.1.4): which BAR
 * range holds the common configuration, notifications, the ISR status and the device
 * configuration. Pure (configuration reads and the BAR table), host-tested in tests/unit/pci.
 *
 * Nothing the device says is trusted: a capability whose fields do not fit inside the
 * capability, whose BAR has no address, whose range leaves the BAR or is misaligned (a
 * misaligned device access would trap) or is too short for the structure is logged and
 * skipped, and the next instance of that type is tried. */
#include "kernel.h"
#include "kprintf.h"
#include "virtio_pci.h"

uint32_t virtio_pci_device_type(const struct pci_dev *dev)
{
    if (dev->vendor != VIRTIO_PCI_VENDOR)
        return 0;
    if (dev->device >= VIRTIO_PCI_TRANSITIONAL_FIRST &&
        dev->device <= VIRTIO_PCI_TRANSITIONAL_LAST)
        return dev->subsystem_device;
    if (dev->device >= VIRTIO_PCI_MODERN_FIRST && dev->device <= VIRTIO_PCI_MODERN_LAST)
        return dev->device - VIRTIO_PCI_MODERN_FIRST;
    return 0;
}

static const char *type_name(unsigned type)
{
    switch (type) {
    case VIRTIO_PCI_CAP_COMMON_CFG: return "common";
    case VIRTIO_PCI_CAP_NOTIFY_CFG: return "notify";
    case VIRTIO_PCI_CAP_ISR_CFG: return "isr";
    default: return "device";
    }
}

/* The smallest structure and the alignment its accesses need (§4.1.4.3-4.1.4.6). */
static void type_limits(unsigned type, uint64_t *min_len, uint64_t *align)
{
    switch (type) {
    case VIRTIO_PCI_CAP_COMMON_CFG: *min_len = VP_COMMON_CFG_MIN; *align = 4; break;
    case VIRTIO_PCI_CAP_NOTIFY_CFG: *min_len = 2; *align = 2; break;
    case VIRTIO_PCI_CAP_ISR_CFG: *min_len = 1; *align = 1; break;
    default: *min_len = 1; *align = 4; break;
    }
}

/* Check the capability at @pos of @type; fill @r (and the multiplier) if it is usable. */
static bool cap_usable(const struct pci_dev *dev, unsigned pos, unsigned type,
                       struct virtio_pci_region *r, uint32_t *multiplier)
{
    const char *name = type_name(type);
    unsigned cap_len = pci_read_config8(dev, pos + VIRTIO_PCI_CAP_LEN);
    unsigned need = type == VIRTIO_PCI_CAP_NOTIFY_CFG ? VIRTIO_PCI_NOTIFY_CAP_SIZE
                                                      : VIRTIO_PCI_CAP_SIZE;
    /* The fields read below must lie inside this capability and config space's first 256
     * bytes, where capabilities live. */
    if (cap_len < need || pos + cap_len > 0x100) {
        pr_err("virtio-pci %s: %s capability at %#x: length %u (need %u): ignored\n",
               pci_name(dev), name, pos, cap_len, need);
        return false;
    }
    unsigned bar = pci_read_config8(dev, pos + VIRTIO_PCI_CAP_BAR);
    uint64_t offset = pci_read_config32(dev, pos + VIRTIO_PCI_CAP_OFFSET);
    uint64_t len = pci_read_config32(dev, pos + VIRTIO_PCI_CAP_LENGTH);
    uint64_t bar_len = bar < PCI_NUM_BARS ? pci_resource_len(dev, bar) : 0;
    uint64_t min_len, align;
    type_limits(type, &min_len, &align);
    const char *why = NULL;
    if (bar >= PCI_NUM_BARS)
        why = "no such BAR";
    else if (!bar_len)
        why = "its BAR has no address";
    else if (offset > bar_len || len > bar_len - offset)
        why = "outside its BAR";
    else if (len < min_len)
        why = "too short";
    else if (offset % align)
        why = "misaligned";
    if (why) {
        pr_err("virtio-pci %s: %s capability at %#x: BAR %u [%#llx, +%#llx): %s: ignored\n",
               pci_name(dev), name, pos, bar, (unsigned long long)offset,
               (unsigned long long)len, why);
        return false;
    }
    if (type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
        uint32_t m = pci_read_config32(dev, pos + VIRTIO_PCI_NOTIFY_MULTIPLIER);
        /* Even keeps every queue's notify address 16-bit aligned (§4.1.4.4). */
        if (m % 2) {
            pr_err("virtio-pci %s: notify capability at %#x: odd multiplier %u: ignored\n",
                   pci_name(dev), pos, m);
            return false;
        }
        *multiplier = m;
    }
    *r = (struct virtio_pci_region){ .present = true, .bar = bar, .offset = offset,
                                     .len = len };
    return true;
}

int virtio_pci_parse_caps(const struct pci_dev *dev, struct virtio_pci_layout *out)
{
    *out = (struct virtio_pci_layout){ 0 };
    bool offered[VIRTIO_PCI_CAP_DEVICE_CFG + 1] = { false };
    bool any = false;
    for (unsigned pos = pci_find_capability(dev, PCI_CAP_ID_VNDR); pos;
         pos = pci_find_next_capability(dev, pos, PCI_CAP_ID_VNDR)) {
        unsigned type = pci_read_config8(dev, pos + VIRTIO_PCI_CAP_CFG_TYPE);
        struct virtio_pci_region *r;
        switch (type) {
        case VIRTIO_PCI_CAP_COMMON_CFG: r = &out->common; break;
        case VIRTIO_PCI_CAP_NOTIFY_CFG: r = &out->notify; break;
        case VIRTIO_PCI_CAP_ISR_CFG: r = &out->isr; break;
        case VIRTIO_PCI_CAP_DEVICE_CFG: r = &out->device; break;
        default: continue;      /* PCI_CFG access, shared memory, vendor data: not used */
        }
        any = true;
        offered[type] = true;
        if (!r->present)
            cap_usable(dev, pos, type, r, &out->notify_multiplier);
    }
    if (!any)
        return -ENODEV;
    const struct virtio_pci_region *need[] = { &out->common, &out->notify, &out->isr };
    for (unsigned t = VIRTIO_PCI_CAP_COMMON_CFG; t <= VIRTIO_PCI_CAP_ISR_CFG; t++) {
        if (!need[t - 1]->present) {
            pr_err("virtio-pci %s: no usable %s capability\n", pci_name(dev), type_name(t));
            return -EINVAL;
        }
    }
    if (offered[VIRTIO_PCI_CAP_DEVICE_CFG] && !out->device.present) {
        pr_err("virtio-pci %s: no usable device capability\n", pci_name(dev));
        return -EINVAL;
    }
    return 0;
}
