/* The kernel side of PCI: find the ECAM host bridges in the device tree, reach their config
 * space through the direct map, run the pure core (pci_dt.c, pci_probe.c, pci_assign.c) over
 * it, and hand the functions found to the driver model (pci_driver.c). Runs once, at boot. */
#include "kernel.h"
#include "pci.h"
#include "fdt.h"
#include "mm.h"
#include "memlayout.h"
#include "pci_core.h"
#include "asm/io.h"

#define PCI_MAX_HOSTS 4
#define PCI_MAX_DEVICES 256     /* functions per host: a full bus of multi-function devices */

struct ecam_host {
    struct pci_host host;
    volatile uint8_t *ecam;     /* the ECAM window through the direct map */
};

/* ---- ECAM ---- */

static int ecam_read(void *ctx, unsigned bus, unsigned devfn, unsigned off, unsigned size,
                     uint32_t *val)
{
    struct ecam_host *eh = ctx;
    uint64_t o;
    if (pci_ecam_offset(&eh->host.info, bus, devfn, off, size, &o))
        return -EINVAL;
    volatile uint8_t *p = eh->ecam + o;
    *val = size == 1 ? readb(p) : size == 2 ? readw(p) : readl(p);
    return 0;
}

static int ecam_write(void *ctx, unsigned bus, unsigned devfn, unsigned off, unsigned size,
                      uint32_t val)
{
    struct ecam_host *eh = ctx;
    uint64_t o;
    if (pci_ecam_offset(&eh->host.info, bus, devfn, off, size, &o))
        return -EINVAL;
    volatile uint8_t *p = eh->ecam + o;
    if (size == 1)
        writeb((uint8_t)val, p);
    else if (size == 2)
        writew((uint16_t)val, p);
    else
        writel(val, p);
    return 0;
}

static const struct pci_cfg_ops ecam_ops = { .read = ecam_read, .write = ecam_write };

/* ---- Boot ---- */

static void add_host(const struct fdt *fdt, int node, unsigned index)
{
    struct ecam_host *eh = kzalloc(sizeof *eh);
    struct pci_dev *devs = kzalloc(PCI_MAX_DEVICES * sizeof *devs);
    if (!eh || !devs) {
        pr_err("pci: out of memory for a host bridge");
        kfree(eh);
        kfree(devs);
        return;
    }
    struct pci_host *host = &eh->host;
    if (pci_dt_parse_host(fdt, node, index, host))
        goto fail;
    if (!pci_in_direct_map(host->info.ecam_base, host->info.ecam_size)) {
        pci_host_err(host, "ECAM window at %#llx is beyond the kernel's direct map",
                     (unsigned long long)host->info.ecam_base);
        goto fail;
    }
    eh->ecam = pa_to_va(host->info.ecam_base);
    host->ops = &ecam_ops;
    host->ops_ctx = eh;
    host->devs = devs;
    host->max_devs = PCI_MAX_DEVICES;
    int n = pci_setup_host(host);
    if (n < 0)
        goto fail;
    pci_add_devices(devs, host->ndevs);
    pci_host_info(host, "%d PCI functions%s", n, host->errors ? ", with errors (see above)" : "");
    return;
fail:
    pci_host_err(host, "host bridge not used");
    kfree(devs);
    kfree(eh);
}

void pci_init(const void *blob, size_t size)
{
    static bool done;
    if (done)
        return;
    done = true;
    struct fdt fdt;
    if (fdt_init(&fdt, blob, size))
        return;                 /* kmain has said the tree is malformed */
    unsigned index = 0;
    for (int node = fdt_find_compatible(&fdt, -1, "pci-host-ecam-generic"); node >= 0;
         node = fdt_find_compatible(&fdt, node, "pci-host-ecam-generic")) {
        if (!fdt_node_is_enabled(&fdt, node))
            continue;
        if (index == PCI_MAX_HOSTS) {
            pr_err("pci: more than %d host bridges: the rest are not used", PCI_MAX_HOSTS);
            break;
        }
        add_host(&fdt, node, index++);
    }
}
