/* The virtio-pci capability parser (kernel/drivers/virtio/virtio_pci_caps.c) over QEMU's
 * recorded virtio functions, then over the same functions with each capability field made
 * hostile: every bad one is logged and skipped, never used, and a device without the
 * structures it needs is refused. */
#include "pci_rig.h"
#include "virtio.h"
#include "virtio_pci.h"

/* Fresh QEMU functions, enumerated and given addresses. */
static struct rig *setup(void)
{
    struct rig *r = rig_qemu();
    rig_run(r, 64);
    host_log_clear();
    return r;
}

/* Position of the @nth (0: first) vendor capability of @cfg_type in walk order, or 0. */
static unsigned vcap(const struct pci_dev *dev, unsigned cfg_type, unsigned nth)
{
    for (unsigned pos = pci_find_capability(dev, PCI_CAP_ID_VNDR); pos;
         pos = pci_find_next_capability(dev, pos, PCI_CAP_ID_VNDR))
        if (pci_read_config8(dev, pos + VIRTIO_PCI_CAP_CFG_TYPE) == cfg_type && nth-- == 0)
            return pos;
    return 0;
}

static int fake_index(struct rig *r, const struct pci_dev *dev)
{
    int idx = fake_find(r->e, -1, PCI_SLOT(dev->devfn), PCI_FUNC(dev->devfn));
    assert_true(idx >= 0);
    return idx;
}

static void assert_region(const struct virtio_pci_region *reg, unsigned bar, uint64_t offset,
                          uint64_t len)
{
    assert_true(reg->present);
    assert_int_equal(reg->bar, bar);
    assert_int_equal(reg->offset, offset);
    assert_int_equal(reg->len, len);
}

static void test_qemu_functions(void **state)
{
    (void)state;
    struct rig *r = setup();
    /* Transitional (1000..103f: the type is the subsystem id) and modern-only (1040 + type)
     * functions, and the functions that are no virtio device. */
    assert_int_equal(virtio_pci_device_type(dev_at(r, 0, 1, 0)), VIRTIO_ID_BLOCK);
    assert_int_equal(virtio_pci_device_type(dev_at(r, 0, 2, 0)), VIRTIO_ID_NET);
    assert_int_equal(virtio_pci_device_type(dev_at(r, 0, 4, 0)), VIRTIO_ID_RNG);
    assert_int_equal(virtio_pci_device_type(dev_at(r, 0, 5, 0)), VIRTIO_ID_NET);
    assert_int_equal(virtio_pci_device_type(dev_at(r, 0, 6, 0)), VIRTIO_ID_BLOCK);
    assert_int_equal(virtio_pci_device_type(dev_at(r, 0, 6, 1)), VIRTIO_ID_RNG);
    assert_int_equal(virtio_pci_device_type(dev_at(r, 0, 0, 0)), 0);
    assert_int_equal(virtio_pci_device_type(dev_at(r, 0, 3, 0)), 0);

    /* QEMU's layout: four 4 KiB blocks in the 64-bit BAR 4, notify multiplier 4. */
    static const unsigned fns[][2] = { { 1, 0 }, { 2, 0 }, { 4, 0 }, { 5, 0 }, { 6, 0 },
                                       { 6, 1 } };
    for (unsigned i = 0; i < 6; i++) {
        struct virtio_pci_layout l;
        assert_int_equal(virtio_pci_parse_caps(dev_at(r, 0, fns[i][0], fns[i][1]), &l), 0);
        assert_region(&l.common, 4, 0x0000, 0x1000);
        assert_region(&l.isr, 4, 0x1000, 0x1000);
        assert_region(&l.device, 4, 0x2000, 0x1000);
        assert_region(&l.notify, 4, 0x3000, 0x1000);
        assert_int_equal(l.notify_multiplier, 4);
    }
    assert_int_equal(host_log[0], '\0');        /* nothing to complain about */
    rig_free(r);
}

/* One hostile field: capability @cfg_type of function 01.0 gets @val (@size bytes) at @field;
 * the parse must give @want and log @logged. */
struct mutation {
    unsigned cfg_type, field, size;
    uint32_t val;
    int want;
    const char *logged;
};

static const struct mutation mutations[] = {
    { VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_CAP_LEN, 1, 15, -EINVAL,
      "common capability at 0x40: length 15 (need 16): ignored" },
    { VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_CAP_LEN, 1, 0xf0, -EINVAL,
      "length 240 (need 16)" },                        /* runs past config space's 256 bytes */
    { VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_CAP_LEN, 1, 16, -EINVAL,
      "notify capability at 0x70: length 16 (need 20)" },   /* no room for the multiplier */
    { VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_CAP_BAR, 1, 6, -EINVAL, "no such BAR" },
    { VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_CAP_BAR, 1, 0xff, -EINVAL, "no such BAR" },
    { VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_CAP_BAR, 1, 2, -EINVAL, "its BAR has no address" },
    { VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_CAP_BAR, 1, 5, -EINVAL, "its BAR has no address" },
    { VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_CAP_OFFSET, 4, 0x4000, -EINVAL, "outside its BAR" },
    { VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_CAP_OFFSET, 4, 0xfffffff0u, -EINVAL,
      "outside its BAR" },
    { VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_CAP_LENGTH, 4, 0xffffffffu, -EINVAL,
      "outside its BAR" },                              /* offset + length wraps in 32 bits */
    { VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_CAP_LENGTH, 4, 0x1001, -EINVAL,
      "outside its BAR" },                              /* one byte too long */
    { VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_CAP_LENGTH, 4, 0x37, -EINVAL, "too short" },
    { VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_CAP_LENGTH, 4, 0, -EINVAL, "too short" },
    { VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_CAP_LENGTH, 4, 1, -EINVAL, "too short" },
    { VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_CAP_OFFSET, 4, 0x2, -EINVAL, "misaligned" },
    { VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_CAP_OFFSET, 4, 0x2fff, -EINVAL, "misaligned" },
    { VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_CAP_OFFSET, 4, 0x2002, -EINVAL,
      "no usable device capability" },
    { VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_MULTIPLIER, 4, 3, -EINVAL,
      "notify capability at 0x70: odd multiplier 3: ignored" },
    /* The ISR needs no alignment, and a zero multiplier (one notify address) is allowed. */
    { VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_CAP_OFFSET, 4, 0x1fff, 0, NULL },
    { VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_MULTIPLIER, 4, 0, 0, NULL },
};

static void test_hostile_fields(void **state)
{
    (void)state;
    for (unsigned i = 0; i < sizeof mutations / sizeof mutations[0]; i++) {
        const struct mutation *m = &mutations[i];
        struct rig *r = setup();
        struct pci_dev *dev = dev_at(r, 0, 1, 0);
        unsigned pos = vcap(dev, m->cfg_type, 0);
        assert_true(pos != 0);
        int idx = fake_index(r, dev);
        if (m->size == 1)
            fake_set8(r->e, idx, pos + m->field, (uint8_t)m->val);
        else
            fake_set32(r->e, idx, pos + m->field, m->val);
        struct virtio_pci_layout l;
        int got = virtio_pci_parse_caps(dev, &l);
        if (got != m->want || (m->logged && !host_log_has(m->logged)))
            fail_msg("mutation %u: got %d, log:\n%s", i, got, host_log);
        rig_free(r);
    }
}

/* A device with no structure we know: what a legacy-only device looks like to the parser. */
static void test_no_virtio_capabilities(void **state)
{
    (void)state;
    struct rig *r = setup();
    struct pci_dev *dev = dev_at(r, 0, 2, 0);
    int idx = fake_index(r, dev);
    for (unsigned pos = pci_find_capability(dev, PCI_CAP_ID_VNDR); pos;
         pos = pci_find_next_capability(dev, pos, PCI_CAP_ID_VNDR))
        fake_set8(r->e, idx, pos + VIRTIO_PCI_CAP_CFG_TYPE, 9);    /* vendor-specific data */
    struct virtio_pci_layout l;
    assert_int_equal(virtio_pci_parse_caps(dev, &l), -ENODEV);
    rig_free(r);

    /* A bridge has no vendor capabilities at all. */
    r = setup();
    assert_int_equal(virtio_pci_parse_caps(dev_at(r, 0, 3, 0), &l), -ENODEV);
    rig_free(r);
}

/* The first usable instance of a type is used: an unusable first one is skipped, a usable
 * first one wins over a later one. QEMU's PCI_CFG capability (first in walk order) is turned
 * into a second common capability. */
static void test_first_usable_instance(void **state)
{
    (void)state;
    for (unsigned usable = 0; usable < 2; usable++) {
        struct rig *r = setup();
        struct pci_dev *dev = dev_at(r, 0, 4, 0);
        unsigned extra = vcap(dev, 5, 0), real = vcap(dev, VIRTIO_PCI_CAP_COMMON_CFG, 0);
        assert_true(extra != 0 && real != 0 && extra != real);
        int idx = fake_index(r, dev);
        fake_set8(r->e, idx, extra + VIRTIO_PCI_CAP_CFG_TYPE, VIRTIO_PCI_CAP_COMMON_CFG);
        fake_set8(r->e, idx, extra + VIRTIO_PCI_CAP_BAR, usable ? 4 : 7);
        fake_set32(r->e, idx, extra + VIRTIO_PCI_CAP_OFFSET, 0x800);
        fake_set32(r->e, idx, extra + VIRTIO_PCI_CAP_LENGTH, VP_COMMON_CFG_MIN);
        assert_int_equal(vcap(dev, VIRTIO_PCI_CAP_COMMON_CFG, 0), extra);
        struct virtio_pci_layout l;
        assert_int_equal(virtio_pci_parse_caps(dev, &l), 0);
        if (usable) {
            assert_region(&l.common, 4, 0x800, VP_COMMON_CFG_MIN);
        } else {
            assert_region(&l.common, 4, 0, 0x1000);
            assert_logged("no such BAR: ignored");
        }
        rig_free(r);
    }
}

/* A capability whose BAR got no address (decoding off, nothing mapped) is unusable. */
static void test_unassigned_bar(void **state)
{
    (void)state;
    struct rig *r = setup();
    struct pci_dev *dev = dev_at(r, 0, 6, 1);
    dev->resource[4].flags &= ~PCI_RES_ASSIGNED;
    struct virtio_pci_layout l;
    assert_int_equal(virtio_pci_parse_caps(dev, &l), -EINVAL);
    assert_logged("virtio-pci 0000:00:06.1: common capability at");
    assert_logged("its BAR has no address");
    assert_logged("virtio-pci 0000:00:06.1: no usable common capability");
    rig_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qemu_functions),
        cmocka_unit_test(test_hostile_fields),
        cmocka_unit_test(test_no_virtio_capabilities),
        cmocka_unit_test(test_first_usable_instance),
        cmocka_unit_test(test_unassigned_bar),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
