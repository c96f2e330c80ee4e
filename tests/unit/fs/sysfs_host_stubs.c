/* Host stand-ins for what sysfs reads from the network stack (netinfo.h), the SMP code
 * (smp.h) and the PCI core (pci.h): two fake interfaces, a cpu mask, and the functions QEMU
 * virt shows with a transitional virtio-blk, a PCIe root port with a modern virtio-net behind
 * it and a second host bridge, which tests can change. */
#include "kernel.h"
#include "netinfo.h"
#include "pci.h"
#include "rtc.h"
#include "smp.h"
#include "string.h"

struct net_iface_info host_ifaces[2] = {
    { .name = "lo", .ifindex = 1, .loopback = true, .up = true, .carrier = true,
      .mtu = 65536, .flags = 0x9 },
    { .name = "eth0", .ifindex = 2, .up = true, .carrier = true, .mtu = 1500, .flags = 0x1003,
      .mac = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 } },
};
int host_nifaces = 2;
unsigned long host_cpu_mask = 1;

int net_iface_next(int from, struct net_iface_info *info)
{
    int best = -1;
    for (int i = 0; i < host_nifaces; i++)
        if (host_ifaces[i].ifindex >= from &&
            (best < 0 || host_ifaces[i].ifindex < host_ifaces[best].ifindex))
            best = i;
    if (best < 0)
        return -1;
    *info = host_ifaces[best];
    return info->ifindex;
}

int net_iface_by_name(const char *name, struct net_iface_info *info)
{
    for (int i = 0; i < host_nifaces; i++)
        if (!strcmp(host_ifaces[i].name, name)) {
            *info = host_ifaces[i];
            return 0;
        }
    return -ENODEV;
}

unsigned long cpus_online_mask(void) { return host_cpu_mask; }

/* ---- PCI ---- */

#define HOST_PCI_NDEVS 5

struct pci_driver host_pci_driver = { .name = "virtio-pci" };

#define MEM(s, n, f) { .start = (s), .bus_start = (s), .size = (n), \
                       .flags = PCI_RES_MEM | PCI_RES_ASSIGNED | (f) }
struct pci_dev host_pci_devs[HOST_PCI_NDEVS] = {
    { .name = "0000:00:00.0", .bus = 0, .devfn = 0, .vendor = 0x1b36, .device = 0x0008,
      .subsystem_vendor = 0x1af4, .subsystem_device = 0x1100, .class = 0x060000,
      .next = &host_pci_devs[1] },
    { .name = "0000:00:01.0", .bus = 0, .devfn = 0x08, .vendor = 0x1af4, .device = 0x1001,
      .subsystem_vendor = 0x1af4, .subsystem_device = 0x0002, .class = 0x010000,
      .revision = 0, .pin = 1, .irq = 33,
      .resource = {
          { .start = 0x3001000, .bus_start = 0x1000, .size = 0x80,
            .flags = PCI_RES_IO | PCI_RES_ASSIGNED },
          MEM(0x40104000, 0x1000, 0),
          [4] = MEM(0x40100000, 0x4000, PCI_RES_MEM64 | PCI_RES_PREFETCH),
      },
      .driver = &host_pci_driver, .next = &host_pci_devs[2] },
    { .name = "0000:00:02.0", .bus = 0, .devfn = 0x10, .vendor = 0x1b36, .device = 0x000c,
      .subsystem_vendor = 0x1b36, .class = 0x060400, .hdr_type = PCI_HEADER_TYPE_BRIDGE,
      .pin = 1, .irq = 34, .resource = { MEM(0x40105000, 0x1000, 0) },
      .caps = { { PCI_CAP_ID_EXP, 0x54 } }, .ncaps = 1, .secondary = 1, .subordinate = 1,
      .window = {
          [PCI_WIN_IO] = { .flags = PCI_RES_IO },            /* nothing behind it uses I/O */
          [PCI_WIN_MEM] = MEM(0x40000000, 0x100000, 0),
          [PCI_WIN_PREF] = MEM(0x400000000, 0x100000, PCI_RES_PREFETCH | PCI_RES_MEM64),
      },
      .io32 = true, .pref64 = true, .next = &host_pci_devs[3] },
    { .name = "0000:01:00.0", .bus = 1, .devfn = 0, .vendor = 0x1af4, .device = 0x1041,
      .subsystem_vendor = 0x1af4, .subsystem_device = 0x1100, .class = 0x020000,
      .revision = 1, .pin = 1, .irq = 34, .parent = &host_pci_devs[2],
      .resource = { [1] = MEM(0x40004000, 0x1000, 0),
                    [4] = MEM(0x400000000, 0x4000, PCI_RES_MEM64 | PCI_RES_PREFETCH) },
      .caps = { { PCI_CAP_ID_MSIX, 0x40 }, { PCI_CAP_ID_EXP, 0x80 } }, .ncaps = 2,
      .next = &host_pci_devs[4] },
    { .name = "0001:00:00.0", .domain = 1, .bus = 0, .devfn = 0, .vendor = 0x1b36,
      .device = 0x0008, .class = 0x060000 },
};
bool host_pci_present = true;
bool host_pci_driver_registered = true;

struct pci_dev *pci_next_dev(struct pci_dev *from)
{
    if (!host_pci_present)
        return NULL;
    return from ? from->next : &host_pci_devs[0];
}

const struct pci_driver *pci_next_driver(const struct pci_driver *from)
{
    return !from && host_pci_driver_registered ? &host_pci_driver : NULL;
}

/* A config space whose bytes say where they are: function index, then the offset. */
uint8_t host_pci_config_byte(const struct pci_dev *dev, unsigned off)
{
    return (uint8_t)((dev - host_pci_devs) * 16 + off * 7);
}

uint32_t pci_read_config32(const struct pci_dev *dev, unsigned off)
{
    if (off % 4 || off >= 4096)
        return 0xffffffffu;            /* what the core answers for a bad offset */
    uint32_t v = 0;
    for (unsigned b = 0; b < 4; b++)
        v |= (uint32_t)host_pci_config_byte(dev, off + b) << (8 * b);
    return v;
}

/* One RTC, rtc0, whose time the test sets. */
bool host_rtc_present = true;
int64_t host_rtc_secs = 1796593200;       /* 2026-12-06T21:40:00Z */
int host_rtc_error;
static struct rtc_device host_rtc = { .name = "goldfish_rtc 101000.rtc", .hctosys = true };

struct rtc_device *rtc_get(int id)
{
    return id == 0 && host_rtc_present ? &host_rtc : NULL;
}

int rtc_read_secs(struct rtc_device *rtc, int64_t *secs)
{
    (void)rtc;
    *secs = host_rtc_secs;
    return host_rtc_error;
}
