/* The PCI functions (kernel/drivers/pci) as Linux shows them:
 *   /sys/devices/pciDDDD:BB/DDDD:BB:SS.F/[DDDD:BB:SS.F/...]   one directory per function,
 *       under its root bus and the bridges in front of it, with the attributes Linux prints;
 *   /sys/bus/pci/devices/DDDD:BB:SS.F -> ../../../devices/pciDDDD:BB/...   (BusyBox lspci
 *       lstat()s these and reads each one's uevent through the link);
 *   /sys/bus/pci/drivers/<driver>/DDDD:BB:SS.F -> the functions bound to it.
 * (Linux on a device-tree machine puts the root bus under its host bridge's platform device,
 * /sys/devices/platform/soc/30000000.pci/pci0000:00; the PC layout here is what tools expect
 * and nothing reads the platform part.) Functions are never removed, so a function's position
 * in the device list is a stable key. */
#include "sysfs_internal.h"
#include "pci.h"
#include "string.h"

/* The pci core nests bridges at most 16 deep; deeper than this is not a tree it made. */
#define PCI_MAX_DEPTH 32

/* Linux's struct resource flags, as /sys/.../resource prints them. */
#define IORESOURCE_IO 0x00000100
#define IORESOURCE_MEM 0x00000200
#define IORESOURCE_PREFETCH 0x00002000
#define IORESOURCE_SIZEALIGN 0x00040000
#define IORESOURCE_MEM_64 0x00100000

#define PCI_CFG_SPACE_SIZE 256
#define PCI_CFG_SPACE_EXP_SIZE 4096
#define PCI_CFG_SPACE_USER 64         /* what an unprivileged reader gets, as in Linux */

/* ---- walking the device list ---- */

typedef bool (*pick_fn)(const struct pci_dev *d, const struct sysfs_ctx *parent);

/* The first function at list position >= from that pick() takes; its position, or -1. Key
 * 0 of a function's directory is its driver link, so positions stop one short of the keys. */
static long next_dev(long from, pick_fn pick, const struct sysfs_ctx *parent,
                     struct pci_dev **out)
{
    long i = 0;
    for (struct pci_dev *d = pci_next_dev(NULL); d && i < SYSFS_MAX_KEY - 1;
         d = pci_next_dev(d), i++)
        if (i >= from && pick(d, parent)) {
            *out = d;
            return i;
        }
    return -1;
}

/* The function's bridges from the root bus down, then the function; how many, or -1 if the
 * chain is implausibly deep (a loop). */
static int chain(const struct pci_dev *d, const struct pci_dev *out[PCI_MAX_DEPTH])
{
    int n = 0;
    for (const struct pci_dev *p = d; p; p = p->parent)
        if (n++ == PCI_MAX_DEPTH)
            return -1;
    int i = n;
    for (const struct pci_dev *p = d; p; p = p->parent)
        out[--i] = p;
    return n;
}

static bool same_root_bus(const struct pci_dev *a, const struct pci_dev *b)
{
    return !a->parent && !b->parent && a->domain == b->domain && a->bus == b->bus;
}

/* ---- link targets ---- */

#define EMIT(...) (len += (size_t)ksnprintf(len < size ? buf + len : NULL,                  \
                                            len < size ? size - len : 0, __VA_ARGS__))

/* "../" ups times, then the function's directory below /sys, then tail. */
static int dev_link(const struct pci_dev *d, int ups, const char *tail, char *buf, size_t size)
{
    const struct pci_dev *path[PCI_MAX_DEPTH];
    int n = chain(d, path);
    if (n < 0)
        return -ELOOP;
    size_t len = 0;
    for (int i = 0; i < ups; i++)
        EMIT("../");
    EMIT("devices/pci%04x:%02x", path[0]->domain, path[0]->bus);
    for (int i = 0; i < n; i++)
        EMIT("/%s", path[i]->name);
    EMIT("%s", tail);
    return len < size ? (int)len : -ENAMETOOLONG;
}

/* From a function's own directory up to /sys: devices, pciDDDD:BB and one per function on the
 * way. */
static int ups_to_sys(const struct pci_dev *d, char *buf, size_t size)
{
    const struct pci_dev *path[PCI_MAX_DEPTH];
    int n = chain(d, path);
    if (n < 0)
        return -ELOOP;
    size_t len = 0;
    for (int i = 0; i < n + 2; i++)
        EMIT("../");
    return len < size ? (int)len : -ENAMETOOLONG;
}

static int link_subsystem(const struct sysfs_ctx *c, char *buf, size_t size)
{
    int n = ups_to_sys(c->pdev, buf, size);
    if (n < 0)
        return n;
    int m = ksnprintf(buf + n, size - (size_t)n, "bus/pci");
    return (size_t)m < size - (size_t)n ? n + m : -ENAMETOOLONG;
}

static int link_driver(const struct sysfs_ctx *c, char *buf, size_t size)
{
    const struct pci_driver *drv = c->pdev->driver;
    if (!drv)
        return -ENOENT;            /* unbound meanwhile */
    int n = ups_to_sys(c->pdev, buf, size);
    if (n < 0)
        return n;
    int m = ksnprintf(buf + n, size - (size_t)n, "bus/pci/drivers/%s", drv->name);
    return (size_t)m < size - (size_t)n ? n + m : -ENAMETOOLONG;
}

/* /sys/bus/pci/devices/X */
static int link_bus_device(const struct sysfs_ctx *c, char *buf, size_t size)
{
    return dev_link(c->pdev, 3, "", buf, size);
}

/* /sys/bus/pci/drivers/<driver>/X */
static int link_driver_device(const struct sysfs_ctx *c, char *buf, size_t size)
{
    return dev_link(c->pdev, 4, "", buf, size);
}

/* ---- attributes ---- */

/* An attribute that prints one field of the function, as Linux's pci_config_attr(). */
#define FIELD_ATTR(field, fmt)                                                                \
    static int show_##field(const struct sysfs_ctx *c, char *buf, size_t size)               \
    {                                                                                         \
        return ksnprintf(buf, size, fmt, c->pdev->field);                                     \
    }

FIELD_ATTR(vendor, "0x%04x\n")
FIELD_ATTR(device, "0x%04x\n")
FIELD_ATTR(subsystem_vendor, "0x%04x\n")
FIELD_ATTR(subsystem_device, "0x%04x\n")
FIELD_ATTR(class, "0x%06x\n")
FIELD_ATTR(revision, "0x%02x\n")
/* The PLIC interrupt its INTx arrives on (Linux prints its own irq number there). */
FIELD_ATTR(irq, "%u\n")
/* Bridges. */
FIELD_ATTR(secondary, "%u\n")
FIELD_ATTR(subordinate, "%u\n")

static int show_modalias(const struct sysfs_ctx *c, char *buf, size_t size)
{
    const struct pci_dev *d = c->pdev;
    return ksnprintf(buf, size, "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n", d->vendor,
                     d->device, d->subsystem_vendor, d->subsystem_device, d->class >> 16 & 0xff,
                     d->class >> 8 & 0xff, d->class & 0xff);
}

/* What Linux's uevent has for a PCI function; BusyBox lspci takes everything from here. */
static int show_uevent(const struct sysfs_ctx *c, char *buf, size_t size)
{
    const struct pci_dev *d = c->pdev;
    size_t len = 0;
    if (d->driver)
        EMIT("DRIVER=%s\n", d->driver->name);
    EMIT("PCI_CLASS=%X\n", d->class);
    EMIT("PCI_ID=%04X:%04X\n", d->vendor, d->device);
    EMIT("PCI_SUBSYS_ID=%04X:%04X\n", d->subsystem_vendor, d->subsystem_device);
    EMIT("PCI_SLOT_NAME=%s\n", d->name);
    EMIT("MODALIAS=");
    if (len < size)
        len += (size_t)show_modalias(c, buf + len, size - len);
    return (int)len;
}

/* One line of Linux's resource file: start, end, flags; zeros where nothing is decoded.
 * Memory is at its CPU address; I/O at its port number (the bus address: what Linux calls the
 * port on a machine with one host bridge). @type: the register's own type bits, which Linux
 * keeps in the low byte of the flags. */
static size_t resource_line(const struct pci_resource *r, unsigned long long type, char *buf,
                            size_t size)
{
    unsigned long long start = 0, end = 0, flags = 0;
    if (r && r->size && (r->flags & PCI_RES_ASSIGNED)) {
        bool io = r->flags & PCI_RES_IO;
        start = io ? r->bus_start : r->start;
        end = start + r->size - 1;
        flags = type | (io ? IORESOURCE_IO : IORESOURCE_MEM);
        if (r->flags & PCI_RES_PREFETCH)
            flags |= IORESOURCE_PREFETCH;
        if (r->flags & PCI_RES_MEM64)
            flags |= IORESOURCE_MEM_64;
    }
    return (size_t)ksnprintf(buf, size, "0x%016llx 0x%016llx 0x%016llx\n", start, end, flags);
}

static unsigned long long bar_type(const struct pci_resource *r)
{
    if (r->flags & PCI_RES_IO)
        return IORESOURCE_SIZEALIGN | PCI_BASE_ADDRESS_SPACE_IO;
    return IORESOURCE_SIZEALIGN |
           (r->flags & PCI_RES_MEM64 ? PCI_BASE_ADDRESS_MEM_TYPE_64 : 0) |
           (r->flags & PCI_RES_PREFETCH ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0);
}

/* Six BARs, the expansion ROM (left disabled: zeros) and, for a bridge, its I/O, memory and
 * prefetchable windows and a fourth, unused one, as Linux prints them. */
static int show_resource(const struct sysfs_ctx *c, char *buf, size_t size)
{
    const struct pci_dev *d = c->pdev;
    size_t len = 0;
#define LINE(r, type) (len += resource_line(r, type, len < size ? buf + len : NULL,            \
                                            len < size ? size - len : 0))
    for (unsigned i = 0; i < PCI_NUM_BARS; i++)
        LINE(&d->resource[i], bar_type(&d->resource[i]));
    LINE(NULL, 0);
    if (d->hdr_type == PCI_HEADER_TYPE_BRIDGE) {
        LINE(&d->window[PCI_WIN_IO], d->io32 ? PCI_IO_RANGE_TYPE_32 : 0);
        LINE(&d->window[PCI_WIN_MEM], 0);
        LINE(&d->window[PCI_WIN_PREF], d->pref64 ? PCI_PREF_RANGE_TYPE_64 : 0);
        LINE(NULL, 0);
    }
#undef LINE
    return (int)len;
}

static bool has_pcie_cap(const struct pci_dev *d)
{
    for (unsigned i = 0; i < d->ncaps && i < PCI_MAX_CAPS; i++)
        if (d->caps[i].id == PCI_CAP_ID_EXP)
            return true;
    return false;
}

/* The configuration space, read now: 256 bytes, or 4096 for a PCI Express function; only the
 * standard header's first 64 bytes for a reader who is not root, as Linux does (reading the
 * rest can have side effects on some devices). */
static int show_config(const struct sysfs_ctx *c, char *buf, size_t size)
{
    const struct pci_dev *d = c->pdev;
    size_t n = has_pcie_cap(d) ? PCI_CFG_SPACE_EXP_SIZE : PCI_CFG_SPACE_SIZE;
    if (!fs_capable())
        n = PCI_CFG_SPACE_USER;
    n = MIN(n, size) & ~(size_t)3;
    for (size_t off = 0; off < n; off += 4) {
        uint32_t v = pci_read_config32(d, (unsigned)off);
        for (unsigned b = 0; b < 4; b++)
            buf[off + b] = (char)(v >> (8 * b));     /* config space is little-endian */
    }
    return (int)n;
}

#undef EMIT

/* ---- directories ---- */

#define ATTR(n, fn) { .base = { n, S_IFREG | 0444 }, .show = fn }
#define LINK(n, fn) { .base = { n, S_IFLNK | 0777 }, .link = fn }
#define FUNCTION_ENTRIES                                                                      \
    ATTR("class", show_class),                                                                \
    { .base = { "config", S_IFREG | 0444 }, .show = show_config, .binary = true },            \
    ATTR("device", show_device),                                                              \
    ATTR("irq", show_irq),                                                                    \
    ATTR("modalias", show_modalias),                                                          \
    ATTR("resource", show_resource),                                                          \
    ATTR("revision", show_revision),                                                          \
    LINK("subsystem", link_subsystem),                                                        \
    ATTR("subsystem_device", show_subsystem_device),                                          \
    ATTR("subsystem_vendor", show_subsystem_vendor),                                          \
    ATTR("uevent", show_uevent),                                                              \
    ATTR("vendor", show_vendor)

static long next_in_function(const struct sysfs_ctx *parent, long from, char name[SYSFS_NAME_MAX],
                             struct sysfs_ctx *child, const struct sysfs_entry **entry);

static const struct sysfs_entry function_entries[] = { FUNCTION_ENTRIES };
static const struct sysfs_entry bridge_entries[] = {
    FUNCTION_ENTRIES,
    ATTR("secondary_bus_number", show_secondary),
    ATTR("subordinate_bus_number", show_subordinate),
};
static const struct sysfs_dir function_dir = {
    function_entries, ARRAY_SIZE(function_entries), next_in_function,
};
static const struct sysfs_dir bridge_dir = {
    bridge_entries, ARRAY_SIZE(bridge_entries), next_in_function,
};
static const struct sysfs_entry function_entry = {
    .base = { "<function>", S_IFDIR | 0555 }, .dir = &function_dir,
};
static const struct sysfs_entry bridge_entry = {
    .base = { "<bridge>", S_IFDIR | 0555 }, .dir = &bridge_dir,
};
static const struct sysfs_entry driver_link_entry = LINK("driver", link_driver);
static const struct sysfs_entry bus_device_entry = LINK("<function>", link_bus_device);
static const struct sysfs_entry driver_device_entry = LINK("<function>", link_driver_device);

static long function_child(struct pci_dev *d, const struct sysfs_entry *e, long key,
                           char name[SYSFS_NAME_MAX], struct sysfs_ctx *child,
                           const struct sysfs_entry **entry)
{
    memset(child, 0, sizeof *child);
    child->pdev = d;
    strlcpy(name, d->name, SYSFS_NAME_MAX);
    *entry = e;
    return key;
}

static const struct sysfs_entry *function_dir_entry(const struct pci_dev *d)
{
    return d->hdr_type == PCI_HEADER_TYPE_BRIDGE ? &bridge_entry : &function_entry;
}

static bool behind(const struct pci_dev *d, const struct sysfs_ctx *parent)
{
    return d->parent == parent->pdev;
}

/* In a function's directory: key 0 is the driver link (when bound), key 1 + position the
 * functions behind it (a bridge's). */
static long next_in_function(const struct sysfs_ctx *parent, long from, char name[SYSFS_NAME_MAX],
                             struct sysfs_ctx *child, const struct sysfs_entry **entry)
{
    if (from == 0 && parent->pdev->driver) {
        function_child(parent->pdev, &driver_link_entry, 0, name, child, entry);
        strlcpy(name, "driver", SYSFS_NAME_MAX);
        return 0;
    }
    struct pci_dev *d;
    long i = next_dev(from > 0 ? from - 1 : 0, behind, parent, &d);
    return i < 0 ? -1 : function_child(d, function_dir_entry(d), i + 1, name, child, entry);
}

static bool on_root_bus_of(const struct pci_dev *d, const struct sysfs_ctx *parent)
{
    return same_root_bus(d, parent->pdev);
}

/* /sys/devices/pciDDDD:BB: the functions on the root bus (its context is the first of them). */
static long next_on_root_bus(const struct sysfs_ctx *parent, long from,
                             char name[SYSFS_NAME_MAX], struct sysfs_ctx *child,
                             const struct sysfs_entry **entry)
{
    struct pci_dev *d;
    long i = next_dev(from, on_root_bus_of, parent, &d);
    return i < 0 ? -1 : function_child(d, function_dir_entry(d), i, name, child, entry);
}

static const struct sysfs_dir root_bus_dir = { NULL, 0, next_on_root_bus };
static const struct sysfs_entry root_bus_entry = {
    .base = { "<pci root>", S_IFDIR | 0555 }, .dir = &root_bus_dir,
};

/* The first function of each root bus stands for it. */
static bool first_on_its_root_bus(const struct pci_dev *d, const struct sysfs_ctx *parent)
{
    (void)parent;
    if (d->parent)
        return false;
    for (struct pci_dev *e = pci_next_dev(NULL); e != d; e = pci_next_dev(e))
        if (same_root_bus(e, d))
            return false;
    return true;
}

long sysfs_next_pci_root(const struct sysfs_ctx *parent, long from, char name[SYSFS_NAME_MAX],
                         struct sysfs_ctx *child, const struct sysfs_entry **entry)
{
    struct pci_dev *d;
    long i = next_dev(from, first_on_its_root_bus, parent, &d);
    if (i < 0)
        return -1;
    function_child(d, &root_bus_entry, i, name, child, entry);
    ksnprintf(name, SYSFS_NAME_MAX, "pci%04x:%02x", d->domain, d->bus);
    return i;
}

static bool any(const struct pci_dev *d, const struct sysfs_ctx *parent)
{
    (void)d; (void)parent;
    return true;
}

/* /sys/bus/pci/devices: every function. */
static long next_bus_device(const struct sysfs_ctx *parent, long from, char name[SYSFS_NAME_MAX],
                            struct sysfs_ctx *child, const struct sysfs_entry **entry)
{
    struct pci_dev *d;
    long i = next_dev(from, any, parent, &d);
    return i < 0 ? -1 : function_child(d, &bus_device_entry, i, name, child, entry);
}

static bool bound_to(const struct pci_dev *d, const struct sysfs_ctx *parent)
{
    return d->driver == parent->pdrv;
}

/* /sys/bus/pci/drivers/<driver>: the functions bound to it. */
static long next_driver_device(const struct sysfs_ctx *parent, long from,
                               char name[SYSFS_NAME_MAX], struct sysfs_ctx *child,
                               const struct sysfs_entry **entry)
{
    struct pci_dev *d;
    long i = next_dev(from, bound_to, parent, &d);
    return i < 0 ? -1 : function_child(d, &driver_device_entry, i, name, child, entry);
}

static const struct sysfs_dir driver_dir = { NULL, 0, next_driver_device };
static const struct sysfs_entry driver_entry = {
    .base = { "<driver>", S_IFDIR | 0555 }, .dir = &driver_dir,
};

/* /sys/bus/pci/drivers: the registered drivers by registration order. */
static long next_driver(const struct sysfs_ctx *parent, long from, char name[SYSFS_NAME_MAX],
                        struct sysfs_ctx *child, const struct sysfs_entry **entry)
{
    (void)parent;
    long i = 0;
    for (const struct pci_driver *drv = pci_next_driver(NULL); drv && i < SYSFS_MAX_KEY;
         drv = pci_next_driver(drv), i++)
        if (i >= from) {
            memset(child, 0, sizeof *child);
            child->pdrv = drv;
            strlcpy(name, drv->name, SYSFS_NAME_MAX);
            *entry = &driver_entry;
            return i;
        }
    return -1;
}

#define DIR(n, d) { .base = { n, S_IFDIR | 0555 }, .dir = &d }
static const struct sysfs_dir bus_devices_dir = { NULL, 0, next_bus_device };
static const struct sysfs_dir bus_drivers_dir = { NULL, 0, next_driver };
static const struct sysfs_entry pci_entries[] = {
    DIR("devices", bus_devices_dir),
    DIR("drivers", bus_drivers_dir),
};
static const struct sysfs_dir pci_dir = { pci_entries, ARRAY_SIZE(pci_entries), NULL };
static const struct sysfs_entry bus_entries[] = {
    DIR("pci", pci_dir),
};
const struct sysfs_dir sysfs_bus_dir = { bus_entries, ARRAY_SIZE(bus_entries), NULL };
