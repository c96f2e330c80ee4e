/* The test rig shared by the PCI host tests: a host (QEMU virt's windows, or QEMU's recorded
 * tree) over a fake ECAM (fake_ecam.h), run through pci_setup_host. */
#pragma once
#include "test_util.h"
#include "fake_ecam.h"
#include "fdt.h"

struct rig {
    struct fake_ecam *e;
    struct pci_host *host;
    int n;                      /* what pci_setup_host returned */
};

static inline void assert_logged(const char *text)
{
    if (!host_log_has(text))
        fail_msg("expected \"%s\" in the log:\n%s", text, host_log);
}

/* QEMU virt's windows, without an interrupt-map. */
static inline struct rig *rig_new(void)
{
    struct rig *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->e = fake_new(0);
    r->host = calloc(1, sizeof *r->host);
    assert_non_null(r->e);
    assert_non_null(r->host);
    fake_qemu_windows(&r->host->info, "test.pci");
    return r;
}

/* QEMU's recorded tree and its recorded config spaces. */
static inline struct rig *rig_qemu(void)
{
    struct rig *r = rig_new();
    size_t len;
    uint8_t *raw = read_fixture("qemu-virt-smp1.dtb", &len);
    struct fdt fdt;
    assert_int_equal(fdt_init(&fdt, raw, len), 0);
    memset(&r->host->info, 0, sizeof r->host->info);
    assert_int_equal(pci_dt_parse_host(&fdt, fdt_path_offset(&fdt, "/soc/pci@30000000"), 0,
                                       r->host), 0);
    free(raw);      /* the host keeps no pointer into the tree */
    assert_int_equal(fake_load(r->e, PCI_FIXTURES "/qemu-virt-pci.cfg"), 9);
    return r;
}

static inline void rig_run(struct rig *r, unsigned max_devs)
{
    r->host->ops = &fake_ops;
    r->host->ops_ctx = r->e;
    r->host->devs = calloc(max_devs, sizeof(struct pci_dev));
    r->host->max_devs = max_devs;
    assert_non_null(r->host->devs);
    host_log_clear();
    r->n = pci_setup_host(r->host);
    assert_int_equal(r->e->bad_args, 0);    /* the core only makes well-formed accesses */
}

static inline void rig_free(struct rig *r)
{
    free(r->host->devs);
    free(r->host);
    free(r->e);
    free(r);
}

static inline struct pci_dev *dev_at(struct rig *r, unsigned bus, unsigned slot, unsigned fn)
{
    for (unsigned i = 0; i < r->host->ndevs; i++) {
        struct pci_dev *d = &r->host->devs[i];
        if (d->bus == bus && d->devfn == PCI_DEVFN(slot, fn))
            return d;
    }
    fail_msg("no function %02x:%02x.%u", bus, slot, fn);
    return NULL;
}
