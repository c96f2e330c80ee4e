/* The PCI core's pure logic: device tree parsing, enumeration, BAR sizing and assignment,
 * capabilities, INTx routing. Everything here works over an abstract configuration-space
 * accessor (struct pci_cfg_ops) and a caller-provided array of pci_dev, with no allocation and
 * no kernel services but printk and ksnprintf, so tests/unit/pci runs it on the host against
 * recorded device trees and a fake ECAM. pci.c is the kernel glue around it. */
#pragma once
#include "kernel.h"
#include "pci.h"
#include "fdt.h"

/* Host windows, one of each kind (from the bridge's "ranges"). */
enum { PCI_HWIN_IO, PCI_HWIN_MEM32, PCI_HWIN_MEM64, PCI_NUM_HWIN };

/* interrupt-map entries kept; QEMU virt has 16 (4 slots x 4 pins). */
#define PCI_MAX_IRQ_MAP 64
/* Bridges nested below a root bus: recursion is bounded by this and by the bus numbers. */
#define PCI_MAX_DEPTH 16

struct pci_window {
    uint64_t cpu_start;         /* CPU physical address of bus_start */
    uint64_t bus_start;         /* PCI bus address */
    uint64_t size;              /* 0: no such window */
    bool prefetch;
};

struct pci_irq_map_entry {
    uint32_t child[4];          /* phys.hi, phys.mid, phys.lo, pin: as written in the map */
    uint32_t parent_irq;        /* the first cell of the parent's interrupt specifier */
    bool parent_is_plic;        /* the only interrupt controller openv drives */
};

/* What the device tree says about one host bridge. */
struct pci_host_info {
    char name[40];              /* "30000000.pci", as Linux names the platform device */
    int node;
    uint16_t domain;
    uint64_t ecam_base, ecam_size;
    unsigned bus_start, bus_end;
    struct pci_window win[PCI_NUM_HWIN];
    bool has_irq_map;           /* interrupt-map parsed, and well formed */
    uint32_t irq_mask[4];
    struct pci_irq_map_entry irq_map[PCI_MAX_IRQ_MAP];
    unsigned irq_map_len;
};

/* Configuration space access, for one host. @size is 1, 2 or 4, @off is aligned to it and
 * below PCI_CFG_SPACE_EXP_SIZE, @bus is inside the host's bus range (pci_cfg_read checks all
 * that first). read returns 0 and the value, or an error and all ones. */
struct pci_cfg_ops {
    int (*read)(void *ctx, unsigned bus, unsigned devfn, unsigned off, unsigned size,
                uint32_t *val);
    int (*write)(void *ctx, unsigned bus, unsigned devfn, unsigned off, unsigned size,
                 uint32_t val);
};

struct pci_host {
    struct pci_host_info info;
    const struct pci_cfg_ops *ops;
    void *ops_ctx;
    struct pci_dev *devs;       /* [max_devs]: the functions found, in enumeration order */
    unsigned max_devs, ndevs;
    bool devs_full;             /* a function did not fit (logged once) */
    /* Assignment state: next free bus address in each host window. */
    uint64_t next[PCI_NUM_HWIN];
    unsigned errors;            /* problems logged (malformed tree or config space, no space) */
};

/* ---- Device tree (pci_dt.c) ---- */

/* Parse host bridge @node (the @index-th one found; the domain unless linux,pci-domain says
 * otherwise) into host->info. -EINVAL if it cannot be used at all (no ECAM window, bad cell
 * counts, bad bus-range); a bad interrupt-map or window is logged and left out. */
int pci_dt_parse_host(const struct fdt *fdt, int node, unsigned index, struct pci_host *host);
/* The PLIC irq (> 0) for INTx @pin (1..4) of the root-bus function @bus/@devfn, -ENOENT if the
 * map has no entry for it, -EOPNOTSUPP if the entry's parent is not a PLIC. */
int pci_dt_map_irq(const struct pci_host_info *info, unsigned bus, unsigned devfn,
                   unsigned pin);
/* Byte offset of a function's config register in the ECAM window; -EINVAL outside it. */
int pci_ecam_offset(const struct pci_host_info *info, unsigned bus, unsigned devfn,
                    unsigned off, unsigned size, uint64_t *out);

/* ---- Enumeration (pci_probe.c) and assignment (pci_assign.c) ---- */

/* Scan every bus of @host (numbering the buses behind bridges) into host->devs; size BARs,
 * walk capabilities. Returns the number of functions found or -errno. */
int pci_scan_host(struct pci_host *host);
/* Give every BAR and bridge window an address, program them, then turn on decoding and bus
 * mastering where everything a function decodes got an address. */
void pci_assign_host(struct pci_host *host);
/* Work out every function's INTx irq (swizzled through bridges, then the interrupt-map). */
void pci_route_irqs(struct pci_host *host);
/* The three above, in order. */
int pci_setup_host(struct pci_host *host);

/* Linux's pci_swizzle_interrupt_pin: the pin @pin of @dev as seen on its bridge's bus. */
unsigned pci_swizzle_interrupt_pin(const struct pci_dev *dev, unsigned pin);

/* ---- Driver model (pci_driver.c) ---- */

/* Append @n functions to the global list and offer them to the registered drivers. */
void pci_add_devices(struct pci_dev *devs, unsigned n);
/* Can pa_to_va reach [pa, pa + len)? */
bool pci_in_direct_map(uint64_t pa, uint64_t len);

/* ---- Config access and helpers (pci_lib.c) ---- */

int pci_cfg_read(struct pci_host *host, unsigned bus, unsigned devfn, unsigned off,
                 unsigned size, uint32_t *val);
int pci_cfg_write(struct pci_host *host, unsigned bus, unsigned devfn, unsigned off,
                  unsigned size, uint32_t val);
/* "[mem 0x40000000-0x40003fff 64bit pref]", as Linux's %pR. */
void pci_format_res(char *buf, size_t size, const struct pci_resource *res);

/* Logging: "pci 0000:00:01.0: ..." and "pci-host-generic 30000000.pci: ..."; the _err forms
 * also count host->errors. */
void pci_dev_info(const struct pci_dev *dev, const char *fmt, ...) __printf(2, 3);
void pci_dev_err(const struct pci_dev *dev, const char *fmt, ...) __printf(2, 3);
void pci_host_info(const struct pci_host *host, const char *fmt, ...) __printf(2, 3);
void pci_host_err(struct pci_host *host, const char *fmt, ...) __printf(2, 3);
