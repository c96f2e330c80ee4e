/* The host bridge's device tree node (kernel/drivers/pci/pci_dt.c) against QEMU's recorded
 * trees and the hand-written malformed ones of fixtures/pci-hosts.dts. */
#include "test_util.h"
#include "fake_ecam.h"
#include "fdt.h"

struct dt {
    uint8_t *blob;
    size_t len;
    struct fdt fdt;
};

static void dt_open(struct dt *d, const char *name)
{
    uint8_t *raw = read_fixture(name, &d->len);
    d->blob = exact_copy(raw, d->len);
    free(raw);
    assert_int_equal(fdt_init(&d->fdt, d->blob, d->len), 0);
}

static void dt_close(struct dt *d)
{
    free(d->blob);
}

static struct pci_host *host_new(void)
{
    struct pci_host *host = calloc(1, sizeof *host);
    assert_non_null(host);
    return host;
}

/* Parse the node at @path into a fresh host (freed by the caller). */
static int parse(const struct dt *d, const char *path, struct pci_host **out)
{
    int node = fdt_path_offset(&d->fdt, path);
    if (node < 0)
        fail_msg("no node %s", path);
    *out = host_new();
    host_log_clear();
    return pci_dt_parse_host(&d->fdt, node, 0, *out);
}

static void assert_logged(const char *text)
{
    if (!host_log_has(text))
        fail_msg("expected \"%s\" in the log:\n%s", text, host_log);
}

/* ---- QEMU's own trees ---- */

static void check_qemu_virt(const char *fixture)
{
    struct dt d;
    struct pci_host *host;
    dt_open(&d, fixture);
    assert_int_equal(parse(&d, "/soc/pci@30000000", &host), 0);
    const struct pci_host_info *info = &host->info;
    assert_int_equal(host->errors, 0);
    assert_string_equal(info->name, "30000000.pci");
    assert_int_equal(info->domain, 0);
    assert_int_equal(info->ecam_base, 0x30000000);
    assert_int_equal(info->ecam_size, 0x10000000);
    assert_int_equal(info->bus_start, 0);
    assert_int_equal(info->bus_end, 255);

    const struct pci_window *io = &info->win[PCI_HWIN_IO];
    const struct pci_window *mem = &info->win[PCI_HWIN_MEM32];
    const struct pci_window *mem64 = &info->win[PCI_HWIN_MEM64];
    assert_int_equal(io->cpu_start, 0x3000000);
    assert_int_equal(io->bus_start, 0);
    assert_int_equal(io->size, 0x10000);
    assert_int_equal(mem->cpu_start, 0x40000000);
    assert_int_equal(mem->bus_start, 0x40000000);
    assert_int_equal(mem->size, 0x40000000);
    assert_false(mem->prefetch);
    assert_int_equal(mem64->cpu_start, 0x400000000ull);
    assert_int_equal(mem64->bus_start, 0x400000000ull);
    assert_int_equal(mem64->size, 0x400000000ull);

    /* QEMU virt wires INTx of slot s, pin p to PLIC 32 + (s + p - 1) % 4, and the mask keeps
     * two slot bits: slot 4 is wired like slot 0. */
    assert_true(info->has_irq_map);
    assert_int_equal(info->irq_map_len, 16);
    for (unsigned slot = 0; slot < 32; slot++)
        for (unsigned pin = 1; pin <= 4; pin++)
            assert_int_equal(pci_dt_map_irq(info, 0, PCI_DEVFN(slot, slot % 8), pin),
                             32 + (slot + pin - 1) % 4);
    assert_int_equal(pci_dt_map_irq(info, 0, 0, 0), -ENOENT);   /* no pin 0 in the map */

    assert_logged("pci-host-generic 30000000.pci:       IO 0x0003000000..0x000300ffff -> "
                  "0x0000000000");
    assert_logged("pci-host-generic 30000000.pci:      MEM 0x0040000000..0x007fffffff -> "
                  "0x0040000000");
    assert_logged("ECAM at [mem 0x30000000-0x3fffffff] for [bus 00-ff]");
    free(host);
    dt_close(&d);
}

static void test_qemu_virt_smp1(void **state)
{
    (void)state;
    check_qemu_virt("qemu-virt-smp1.dtb");
}

static void test_qemu_virt_smp4(void **state)
{
    (void)state;
    check_qemu_virt("qemu-virt-smp4.dtb");      /* other phandles, 2 GiB */
}

static void test_qemu_virt_bootargs(void **state)
{
    (void)state;
    check_qemu_virt("qemu-virt-bootargs.dtb");
}

/* -M virt,aia=aplic: the map parses (two-cell specifiers), but its parent is not a PLIC. */
static void test_qemu_virt_aplic(void **state)
{
    (void)state;
    struct dt d;
    struct pci_host *host;
    dt_open(&d, "qemu-virt-aplic.dtb");
    assert_int_equal(parse(&d, "/soc/pci@30000000", &host), 0);
    assert_int_equal(host->errors, 0);
    assert_true(host->info.has_irq_map);
    assert_int_equal(host->info.irq_map_len, 16);
    assert_false(host->info.irq_map[0].parent_is_plic);
    assert_int_equal(host->info.irq_map[0].parent_irq, 0x20);
    assert_int_equal(host->info.irq_map[15].parent_irq, 0x22);
    assert_int_equal(pci_dt_map_irq(&host->info, 0, PCI_DEVFN(1, 0), 1), -EOPNOTSUPP);
    free(host);
    dt_close(&d);
}

/* ---- Hand-written hosts ---- */

static void test_good_small(void **state)
{
    (void)state;
    struct dt d;
    struct pci_host *host;
    dt_open(&d, "pci-hosts.dtb");
    assert_int_equal(parse(&d, "/good-small@40000000", &host), 0);
    const struct pci_host_info *info = &host->info;
    assert_int_equal(host->errors, 0);
    assert_string_equal(info->name, "40000000.good-small");
    assert_int_equal(info->domain, 3);
    assert_int_equal(info->bus_start, 0x10);
    assert_int_equal(info->bus_end, 0x1f);
    assert_int_equal(info->win[PCI_HWIN_IO].bus_start, 0x1000);
    assert_int_equal(info->win[PCI_HWIN_IO].cpu_start, 0x50000000);
    assert_int_equal(info->win[PCI_HWIN_IO].size, 0x1000);
    assert_true(info->win[PCI_HWIN_MEM32].prefetch);
    assert_int_equal(info->win[PCI_HWIN_MEM32].size, 0x100000);
    assert_int_equal(info->win[PCI_HWIN_MEM64].size, 0);
    /* The parent has #address-cells = <1>: the irq is the cell after it. */
    assert_int_equal(info->irq_map_len, 4);
    for (unsigned pin = 1; pin <= 4; pin++)
        assert_int_equal(pci_dt_map_irq(info, 0x10, PCI_DEVFN(7, 3), pin), 0x10 + pin - 1);
    assert_logged("ECAM at [mem 0x40000000-0x40ffffff] for [bus 10-1f]");
    free(host);
    dt_close(&d);
}

static void test_defaults(void **state)
{
    (void)state;
    struct dt d;
    struct pci_host *host;
    dt_open(&d, "pci-hosts.dtb");
    assert_int_equal(parse(&d, "/defaults@30000000", &host), 0);
    assert_int_equal(host->errors, 0);
    assert_int_equal(host->info.bus_start, 0);
    assert_int_equal(host->info.bus_end, 255);
    /* No interrupt-map-mask: every bit of the child specifier must match. */
    assert_int_equal(pci_dt_map_irq(&host->info, 0, PCI_DEVFN(1, 0), 1), 0x21);
    assert_int_equal(pci_dt_map_irq(&host->info, 0, PCI_DEVFN(1, 1), 1), -ENOENT);
    assert_int_equal(pci_dt_map_irq(&host->info, 0, PCI_DEVFN(1, 0), 2), -ENOENT);
    assert_int_equal(pci_dt_map_irq(&host->info, 1, PCI_DEVFN(1, 0), 1), -ENOENT);
    free(host);
    dt_close(&d);
}

static void test_truncated_ranges(void **state)
{
    (void)state;
    struct dt d;
    struct pci_host *host;
    dt_open(&d, "pci-hosts.dtb");
    assert_int_equal(parse(&d, "/truncated-ranges@30000000", &host), 0);
    assert_int_equal(host->errors, 1);
    assert_logged("the last entry is cut off");
    assert_int_equal(host->info.win[PCI_HWIN_IO].size, 0x10000);     /* the whole entry */
    assert_int_equal(host->info.win[PCI_HWIN_MEM32].size, 0);        /* the cut one */
    free(host);
    dt_close(&d);
}

static void test_bad_windows(void **state)
{
    (void)state;
    struct dt d;
    struct pci_host *host;
    dt_open(&d, "pci-hosts.dtb");
    assert_int_equal(parse(&d, "/bad-windows@30000000", &host), 0);
    assert_logged("MEM window of size 0 ignored");
    assert_logged("MEM64 window runs past the end of the address space, ignored");
    assert_logged("32-bit MEM window above 4 GiB, ignored");
    assert_logged("configuration space window ignored");
    assert_logged("more than one IO window: using the larger");
    assert_int_equal(host->errors, 6);
    assert_int_equal(host->info.win[PCI_HWIN_MEM32].size, 0);
    assert_int_equal(host->info.win[PCI_HWIN_MEM64].size, 0);
    assert_int_equal(host->info.win[PCI_HWIN_IO].size, 0x10000);
    assert_int_equal(host->info.win[PCI_HWIN_IO].cpu_start, 0x3100000);
    free(host);
    dt_close(&d);
}

static void test_no_ranges(void **state)
{
    (void)state;
    struct dt d;
    struct pci_host *host;
    dt_open(&d, "pci-hosts.dtb");
    assert_int_equal(parse(&d, "/no-ranges@30000000", &host), 0);
    assert_int_equal(host->errors, 1);
    assert_logged("no ranges");
    for (unsigned w = 0; w < PCI_NUM_HWIN; w++)
        assert_int_equal(host->info.win[w].size, 0);
    assert_false(host->info.has_irq_map);
    assert_logged("no interrupt-map: INTx unavailable");
    free(host);
    dt_close(&d);
}

static void test_unusable_hosts(void **state)
{
    (void)state;
    static const char *const paths[] = {
        "/bus-range-past-255@30000000", "/bus-range-backwards@30000000",
        "/bus-range-one-cell@30000000", "/ecam-below-one-bus@30000000", "/no-reg",
        "/address-cells-2@30000000",
    };
    struct dt d;
    dt_open(&d, "pci-hosts.dtb");
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        struct pci_host *host;
        if (parse(&d, paths[i], &host) != -EINVAL)
            fail_msg("%s was accepted", paths[i]);
        assert_true(host->errors >= 1);
        free(host);
    }
    dt_close(&d);
}

static void test_ecam_smaller_than_bus_range(void **state)
{
    (void)state;
    struct dt d;
    struct pci_host *host;
    dt_open(&d, "pci-hosts.dtb");
    int node = fdt_path_offset(&d.fdt, "/ecam-two-buses@30000000");
    host = host_new();
    host_log_clear();
    assert_int_equal(pci_dt_parse_host(&d.fdt, node, 2, host), 0);
    assert_logged("ECAM area can only accommodate [bus 00-01] (reduced from [bus 00-ff] desired)");
    assert_logged("linux,pci-domain 65536 is out of range");
    assert_int_equal(host->info.domain, 2);     /* the index instead */
    assert_int_equal(host->info.bus_end, 1);
    uint64_t off;
    assert_int_equal(pci_ecam_offset(&host->info, 1, 0xff, 0xffc, 4, &off), 0);
    assert_int_equal(off, 0x1ffffc);
    assert_int_equal(pci_ecam_offset(&host->info, 2, 0, 0, 4, &off), -EINVAL);
    free(host);
    dt_close(&d);
}

static void test_bad_interrupt_maps(void **state)
{
    (void)state;
    static const struct {
        const char *path, *why;
    } cases[] = {
        { "/irqmap-cut-short@30000000", "interrupt-map is cut off in entry 1" },
        { "/irqmap-cut-in-child@30000000", "interrupt-map is cut off in entry 1" },
        { "/irqmap-unknown-parent@30000000", "no interrupt parent 0x4242" },
        { "/irqmap-parent-without-cells@30000000", "has bad #interrupt-cells" },
        { "/irqmap-mask-three-cells@30000000", "interrupt-map-mask is 12 bytes, not 16" },
        { "/irqmap-not-whole-cells@30000000", "not whole cells" },
        { "/irqmap-no-interrupt-cells@30000000", "needs #interrupt-cells = <1>" },
    };
    struct dt d;
    dt_open(&d, "pci-hosts.dtb");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pci_host *host;
        assert_int_equal(parse(&d, cases[i].path, &host), 0);
        assert_logged(cases[i].why);
        assert_logged("interrupt-map ignored: INTx unavailable");
        assert_false(host->info.has_irq_map);
        assert_int_equal(host->info.irq_map_len, 0);
        assert_int_equal(pci_dt_map_irq(&host->info, 0, 0, 1), -ENOENT);
        free(host);
    }
    dt_close(&d);
}

static void test_ecam_offset(void **state)
{
    (void)state;
    struct pci_host_info info = { .ecam_size = 0x10000000, .bus_start = 0, .bus_end = 255 };
    uint64_t off = 0;
    assert_int_equal(pci_ecam_offset(&info, 0, PCI_DEVFN(1, 0), 0x10, 4, &off), 0);
    assert_int_equal(off, 0x8010);
    assert_int_equal(pci_ecam_offset(&info, 255, 255, 0xffc, 4, &off), 0);
    assert_int_equal(off, 0xffffffc);
    assert_int_equal(pci_ecam_offset(&info, 0, 0, 0xffe, 4, &off), -EINVAL);
    assert_int_equal(pci_ecam_offset(&info, 0, 0, 0x1000, 1, &off), -EINVAL);
    assert_int_equal(pci_ecam_offset(&info, 0, 256, 0, 1, &off), -EINVAL);
    info.bus_start = 0x10;
    info.bus_end = 0x1f;
    info.ecam_size = 0x1000000;
    assert_int_equal(pci_ecam_offset(&info, 0x0f, 0, 0, 4, &off), -EINVAL);
    assert_int_equal(pci_ecam_offset(&info, 0x20, 0, 0, 4, &off), -EINVAL);
    assert_int_equal(pci_ecam_offset(&info, 0x11, 0, 0, 4, &off), 0);
    assert_int_equal(off, 0x100000);
    info.ecam_size = 0x100800;      /* a window that ends inside bus 0x11's first function */
    assert_int_equal(pci_ecam_offset(&info, 0x11, 0, 0x7fc, 4, &off), 0);
    assert_int_equal(pci_ecam_offset(&info, 0x11, 0, 0x800, 4, &off), -EINVAL);
}

/* Random bytes in every property of QEMU's host node: whatever they say, parsing ends with a
 * result or an error, never out of bounds (ASan) or in undefined behaviour (UBSan). */
static void test_scrambled_properties(void **state)
{
    (void)state;
    static const char *const props[] = {
        "reg", "bus-range", "ranges", "interrupt-map", "interrupt-map-mask", "#address-cells",
        "#size-cells", "#interrupt-cells", "linux,pci-domain",
    };
    struct dt d;
    dt_open(&d, "qemu-virt-smp1.dtb");
    int node = fdt_path_offset(&d.fdt, "/soc/pci@30000000");
    uint32_t seed = 12345;
    for (unsigned round = 0; round < 3000; round++) {
        const char *name = props[round % (sizeof props / sizeof props[0])];
        int len = 0;
        uint8_t *val = (uint8_t *)fdt_getprop(&d.fdt, node, name, &len);
        assert_non_null(val);
        uint8_t *orig = exact_copy(val, (size_t)len);
        for (unsigned k = 0; k < 1 + round % 7; k++) {
            seed = seed * 1103515245u + 12345u;
            unsigned pos = (seed >> 8) % (unsigned)len;
            /* Small values hit the interesting cases (cell counts, phandles, sizes). */
            val[pos] = (uint8_t)((seed >> 20) % 3 == 0 ? seed >> 24 : (seed >> 24) % 5);
        }
        struct pci_host *host = host_new();
        host_log_clear();
        int err = pci_dt_parse_host(&d.fdt, node, 0, host);
        assert_true(err == 0 || err == -EINVAL);
        if (err == 0) {
            assert_true(host->info.bus_start <= host->info.bus_end);
            assert_true(host->info.bus_end <= 255);
            for (unsigned p = 1; p <= 4; p++)
                (void)pci_dt_map_irq(&host->info, 0, PCI_DEVFN(p, 0), p);
        }
        memcpy(val, orig, (size_t)len);
        free(orig);
        free(host);
    }
    dt_close(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qemu_virt_smp1),
        cmocka_unit_test(test_qemu_virt_smp4),
        cmocka_unit_test(test_qemu_virt_bootargs),
        cmocka_unit_test(test_qemu_virt_aplic),
        cmocka_unit_test(test_good_small),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_truncated_ranges),
        cmocka_unit_test(test_bad_windows),
        cmocka_unit_test(test_no_ranges),
        cmocka_unit_test(test_unusable_hosts),
        cmocka_unit_test(test_ecam_smaller_than_bus_range),
        cmocka_unit_test(test_bad_interrupt_maps),
        cmocka_unit_test(test_ecam_offset),
        cmocka_unit_test(test_scrambled_properties),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
