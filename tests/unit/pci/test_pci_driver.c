/* The driver model (kernel/drivers/pci/pci_driver.c) over QEMU's recorded functions: driver
 * binding and its order, BAR mappings, shared INTx handlers. The kernel services it calls are
 * stood in for below. The driver and device lists are global, so the tests build on each
 * other and run in order. */
#include "pci_rig.h"
#include "mm.h"
#include "spinlock.h"

/* ---- Stand-ins ---- */

void *kzalloc(size_t size) { return calloc(1, size ? size : 1); }
void kfree(void *p) { free(p); }
irqflags_t spin_lock_irqsave(spinlock_t *l) { (void)l; return 0; }
void spin_unlock_irqrestore(spinlock_t *l, irqflags_t f) { (void)l; (void)f; }

/* The PLIC: one handler per interrupt, as irq_register allows; irq 34 is taken. */
static struct {
    irq_handler_t fn;
    void *arg;
    unsigned registrations;
} plic[64];

int irq_register(unsigned irq, irq_handler_t fn, void *arg)
{
    if (irq == 0 || irq >= 64)
        return -EINVAL;
    if (plic[irq].fn || irq == 34)
        return -EBUSY;
    plic[irq].fn = fn;
    plic[irq].arg = arg;
    plic[irq].registrations++;
    return 0;
}

static void fire(unsigned irq)
{
    assert_non_null(plic[irq].fn);
    plic[irq].fn(plic[irq].arg);
}

/* ---- Shared state: QEMU's recorded functions, added once ---- */

static struct rig *rig;

static struct pci_dev *fn_at(unsigned slot, unsigned fn)
{
    return dev_at(rig, 0, slot, fn);
}

/* ---- Drivers that record what they were offered ---- */

static struct pci_dev *probed[32];
static unsigned nprobed;

static int probe_all_but_modern_net(struct pci_dev *dev, const struct pci_device_id *id)
{
    assert_int_equal(id->vendor, 0x1af4);
    probed[nprobed++] = dev;
    if (dev->device == 0x1041)
        return -ENODEV;         /* not mine: the next driver may take it */
    dev->driver_data = (void *)"virtio";
    return 0;
}

static int probe_net(struct pci_dev *dev, const struct pci_device_id *id)
{
    (void)id;
    probed[nprobed++] = dev;
    dev->driver_data = (void *)"net";
    return 0;
}

static int probe_fails(struct pci_dev *dev, const struct pci_device_id *id)
{
    (void)id;
    probed[nprobed++] = dev;
    return -EIO;
}

static const struct pci_device_id virtio_ids[] = {
    { .vendor = 0x1af4, .device = 0x1000, .device_last = 0x107f }, { 0 } };
static const struct pci_device_id net_class[] = {
    { .vendor = PCI_ANY_ID, .device = PCI_ANY_ID, .class = 0x020000, .class_mask = 0xffff00 },
    { 0 } };
static const struct pci_device_id bridge_ids[] = {
    { .vendor = 0x1b36, .device = 0x0001 }, { 0 } };

static struct pci_driver virtio_drv = {
    .name = "virtio-pci", .id_table = virtio_ids, .probe = probe_all_but_modern_net };
static struct pci_driver net_drv = { .name = "net", .id_table = net_class, .probe = probe_net };
static struct pci_driver failing_drv = {
    .name = "failing", .id_table = bridge_ids, .probe = probe_fails };

static void test_drivers(void **state)
{
    (void)state;
    assert_int_equal(pci_register_driver(NULL), -EINVAL);
    assert_int_equal(pci_register_driver(&(struct pci_driver){ .name = "x" }), -EINVAL);

    /* Registered before there are devices: nothing to probe yet. */
    assert_int_equal(pci_register_driver(&virtio_drv), 0);
    assert_int_equal(nprobed, 0);
    assert_null(pci_next_dev(NULL));

    rig = rig_qemu();
    rig_run(rig, 64);
    host_log_clear();
    pci_add_devices(rig->host->devs, rig->host->ndevs);

    /* In enumeration order, all virtio functions. */
    static const unsigned want[][2] = { { 1, 0 }, { 2, 0 }, { 4, 0 }, { 5, 0 }, { 6, 0 },
                                        { 6, 1 } };
    assert_int_equal(nprobed, 6);
    for (unsigned i = 0; i < 6; i++)
        assert_ptr_equal(probed[i], fn_at(want[i][0], want[i][1]));
    assert_ptr_equal(fn_at(1, 0)->driver, &virtio_drv);
    assert_null(fn_at(2, 0)->driver);                   /* declined */
    assert_false(host_log_has("probe failed"));          /* -ENODEV is not a failure */

    /* A later driver gets what is still unbound, and only that. */
    nprobed = 0;
    assert_int_equal(pci_register_driver(&net_drv), 0);
    assert_int_equal(nprobed, 1);
    assert_ptr_equal(probed[0], fn_at(2, 0));
    assert_ptr_equal(fn_at(2, 0)->driver, &net_drv);
    assert_string_equal(fn_at(5, 0)->driver_data, "virtio");   /* net, but already bound */

    /* A failing probe is logged and leaves the function unbound. */
    nprobed = 0;
    assert_int_equal(pci_register_driver(&failing_drv), 0);
    assert_int_equal(nprobed, 1);
    assert_null(fn_at(3, 0)->driver);
    assert_logged("pci 0000:00:03.0: failing: probe failed (-5)");

    /* Every function, in order. */
    unsigned n = 0;
    for (struct pci_dev *d = pci_next_dev(NULL); d; d = pci_next_dev(d))
        assert_ptr_equal(d, &rig->host->devs[n++]);
    assert_int_equal(n, 9);

    /* Every driver that registered, in order (/sys/bus/pci/drivers). */
    const struct pci_driver *want_drv[] = { &virtio_drv, &net_drv, &failing_drv };
    n = 0;
    for (const struct pci_driver *d = pci_next_driver(NULL); d; d = pci_next_driver(d))
        assert_ptr_equal(d, want_drv[n++]);
    assert_int_equal(n, 3);
}

static void test_iomap(void **state)
{
    (void)state;
    struct pci_dev *blk = fn_at(1, 0);
    uint64_t bar4 = pci_resource_start(blk, 4);
    unsigned errors = rig->host->errors;
    host_log_clear();
    assert_ptr_equal(pci_iomap_range(blk, 4, 0x3000, 0x1000), pa_to_va(bar4 + 0x3000));
    assert_ptr_equal(pci_iomap(blk, 4), pa_to_va(bar4));
    assert_ptr_equal(pci_iomap_range(blk, 4, 0x3fff, 1), pa_to_va(bar4 + 0x3fff));
    /* The legacy I/O BAR: memory-mapped through the host's I/O window. */
    assert_ptr_equal(pci_iomap(blk, 0), pa_to_va(0x3000000 + blk->resource[0].bus_start));
    assert_int_equal(rig->host->errors, errors);

    assert_null(pci_iomap_range(blk, 4, 0x3000, 0x1001));
    assert_logged("pci 0000:00:01.0: BAR 4: [0x3000, +0x1001) is outside its 0x4000 bytes");
    assert_null(pci_iomap_range(blk, 4, 0x4000, 0));
    assert_null(pci_iomap_range(blk, 4, UINT64_MAX, 2));
    assert_null(pci_iomap(blk, 5));                     /* the upper half of BAR 4 */
    assert_null(pci_iomap(blk, 6));
    assert_logged("BAR 6 has no address: cannot map it");

    /* Decoding off, and a BAR past the direct map (QEMU's 64-bit window starts there). */
    struct pci_dev far = *blk;
    far.command &= ~PCI_COMMAND_MEMORY;
    assert_null(pci_iomap(&far, 4));
    assert_logged("BAR 4: decoding is off");
    far.command |= PCI_COMMAND_MEMORY;
    far.resource[4].start = DIRECT_MAP_SIZE;
    assert_null(pci_iomap(&far, 4));
    assert_logged("BAR 4 at 0x400000000 is beyond the kernel's direct map");
    far.resource[4].start = DIRECT_MAP_SIZE - 0x2000;
    assert_null(pci_iomap(&far, 4));
    assert_non_null(pci_iomap_range(&far, 4, 0, 0x2000));
}

static unsigned calls[4];

static void handler(void *arg)
{
    calls[(uintptr_t)arg]++;
}

static void test_shared_intx(void **state)
{
    (void)state;
    struct pci_dev *blk = fn_at(1, 0), *net = fn_at(5, 0), *mf = fn_at(6, 0);
    /* Slots 1 and 5 share QEMU's INTA wiring: one PLIC line, two handlers. */
    assert_int_equal(blk->irq, 33);
    assert_int_equal(net->irq, 33);
    assert_int_equal(pci_request_irq(blk, handler, (void *)0), 0);
    assert_int_equal(pci_request_irq(net, handler, (void *)1), 0);
    assert_int_equal(plic[33].registrations, 1);
    fire(33);
    fire(33);
    assert_int_equal(calls[0], 2);
    assert_int_equal(calls[1], 2);

    /* No INTx: the driver polls. */
    assert_int_equal(pci_request_irq(fn_at(0, 0), handler, (void *)2), -ENOENT);

    /* The PLIC refuses the line: the error comes back, and nothing is half set up. */
    struct pci_dev *modern = fn_at(2, 0);
    assert_int_equal(modern->irq, 34);
    host_log_clear();
    assert_int_equal(pci_request_irq(modern, handler, (void *)2), -EBUSY);
    assert_logged("pci 0000:00:02.0: irq 34: cannot install a handler (-16)");

    assert_int_equal(mf->irq, 34);
    assert_int_equal(pci_request_irq(mf, handler, (void *)3), -EBUSY);
    assert_int_equal(calls[2] + calls[3], 0);
}

static int teardown(void **state)
{
    (void)state;
    return 0;   /* the lists keep pointers into rig: it lives as long as the process */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drivers),
        cmocka_unit_test(test_iomap),
        cmocka_unit_test(test_shared_intx),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
