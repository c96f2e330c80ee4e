/*
 * Unit tests for kernel/lib/fdt.c.
 *
 * Three kinds of input: DTBs QEMU generated for its virt machine (the
 * platform openv boots on), a hand-written tree covering what QEMU's does
 * not, and blobs assembled here token by token to hit each malformation
 * the parser must refuse.
 */
#include "test_util.h"

#include "errno.h"
#include "fdt.h"

/* ---- Fixture loading ------------------------------------------------------ */

struct blob {
	uint8_t *data;
	size_t len;
};

static struct blob load_dtb(const char *name)
{
	struct blob b;
	b.data = read_fixture(name, &b.len);
	return b;
}

static void init_fdt(struct fdt *fdt, const struct blob *b)
{
	assert_int_equal(fdt_init(fdt, b->data, b->len), 0);
}

/* The platform's strings point into the blob: free it only when done. */
static uint8_t *parse_platform(const char *name, struct fdt_platform *p)
{
	struct blob b = load_dtb(name);
	assert_int_equal(fdt_parse_platform(b.data, b.len, p), 0);
	return b.data;
}

/* ---- A tiny DTB assembler for malformed trees ------------------------------ */

struct dtb_builder {
	uint8_t structure[8192];
	size_t struct_len;
	char strings[2048];
	size_t strings_len;
};

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void emit_bytes(struct dtb_builder *b, const void *data, size_t len)
{
	assert_true(b->struct_len + len + 4 <= sizeof(b->structure));
	memcpy(b->structure + b->struct_len, data, len);
	b->struct_len += len;
	while (b->struct_len % 4)
		b->structure[b->struct_len++] = 0;
}

static void emit_token(struct dtb_builder *b, uint32_t token)
{
	uint8_t be[4];
	put_be32(be, token);
	emit_bytes(b, be, 4);
}

static void begin_node(struct dtb_builder *b, const char *name)
{
	emit_token(b, 1);
	emit_bytes(b, name, strlen(name) + 1);
}

static void end_node(struct dtb_builder *b)
{
	emit_token(b, 2);
}

static uint32_t add_string(struct dtb_builder *b, const char *s)
{
	size_t len = strlen(s) + 1;
	assert_true(b->strings_len + len <= sizeof(b->strings));
	memcpy(b->strings + b->strings_len, s, len);
	b->strings_len += len;
	return (uint32_t)(b->strings_len - len);
}

static void add_prop_raw(struct dtb_builder *b, uint32_t nameoff,
			 uint32_t len, const void *value, size_t value_len)
{
	emit_token(b, 3);
	emit_token(b, len);
	emit_token(b, nameoff);
	if (value_len)
		emit_bytes(b, value, value_len);
}

static void add_prop(struct dtb_builder *b, const char *name,
		     const void *value, size_t len)
{
	add_prop_raw(b, add_string(b, name), (uint32_t)len, value, len);
}

static void add_prop_str(struct dtb_builder *b, const char *name, const char *s)
{
	add_prop(b, name, s, strlen(s) + 1);
}

static void add_prop_cells(struct dtb_builder *b, const char *name,
			   const uint32_t *cells, size_t n)
{
	uint8_t value[64];
	assert_true(n * 4 <= sizeof(value));
	for (size_t i = 0; i < n; i++)
		put_be32(value + 4 * i, cells[i]);
	add_prop(b, name, value, n * 4);
}

static void add_prop_u32(struct dtb_builder *b, const char *name, uint32_t v)
{
	add_prop_cells(b, name, &v, 1);
}

/* Header + empty reservation map + structure + strings, as dtc lays out. */
static struct blob finish_dtb(const struct dtb_builder *b)
{
	size_t rsv_off = 40, st_off = rsv_off + 16;
	size_t str_off = st_off + b->struct_len;
	size_t total = str_off + b->strings_len;
	struct blob out = { calloc(1, total), total };
	assert_non_null(out.data);

	uint32_t hdr[10] = {
		FDT_MAGIC, (uint32_t)total, (uint32_t)st_off, (uint32_t)str_off,
		(uint32_t)rsv_off, 17, 16, 0, (uint32_t)b->strings_len,
		(uint32_t)b->struct_len,
	};
	for (int i = 0; i < 10; i++)
		put_be32(out.data + 4 * i, hdr[i]);
	memcpy(out.data + st_off, b->structure, b->struct_len);
	memcpy(out.data + str_off, b->strings, b->strings_len);
	return out;
}

/* A root with the usual cell sizes; the caller adds children and ends it. */
static void begin_root(struct dtb_builder *b)
{
	memset(b, 0, sizeof(*b));
	begin_node(b, "");
	add_prop_u32(b, "#address-cells", 2);
	add_prop_u32(b, "#size-cells", 2);
}

static void end_tree(struct dtb_builder *b)
{
	end_node(b);
	emit_token(b, 9);
}

static void add_device(struct dtb_builder *b, const char *name,
		       const char *compat, uint64_t base, uint32_t irq)
{
	uint32_t reg[4] = { (uint32_t)(base >> 32), (uint32_t)base, 0, 0x1000 };
	begin_node(b, name);
	add_prop_str(b, "compatible", compat);
	add_prop_cells(b, "reg", reg, 4);
	add_prop_u32(b, "interrupts", irq);
	end_node(b);
}

/* ---- QEMU virt trees -------------------------------------------------------- */

static void test_qemu_smp4_platform(void **state)
{
	(void)state;
	struct fdt_platform p;
	uint8_t *blob = parse_platform("qemu-virt-smp4.dtb", &p);

	assert_int_equal(p.mem_count, 1);
	assert_int_equal(p.mem[0].base, 0x80000000);
	assert_int_equal(p.mem[0].size, 512u << 20);
	assert_int_equal(p.reserved_count, 0);
	assert_int_equal(p.timebase_frequency, 10000000);

	assert_int_equal(p.hart_count, 4);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(p.harts[i].hartid, i);
		assert_true(p.harts[i].enabled);
		assert_non_null(p.harts[i].isa);
		assert_memory_equal(p.harts[i].isa, "rv64imafdc", 10);
	}

	assert_null(p.bootargs);
	assert_false(p.has_initrd);
	assert_string_equal(p.stdout_path, "/soc/serial@10000000");
	assert_int_equal(p.dropped, 0);
	free(blob);
}

static void test_qemu_devices(void **state)
{
	(void)state;
	struct fdt_platform p;
	uint8_t *blob = parse_platform("qemu-virt-smp4.dtb", &p);

	assert_true(p.uart.dev.present);
	assert_int_equal(p.uart.dev.base, 0x10000000);
	assert_int_equal(p.uart.dev.size, 0x100);
	assert_true(p.uart.dev.has_irq);
	assert_int_equal(p.uart.dev.irq, 10);
	assert_int_equal(p.uart.clock_frequency, 3686400);
	assert_int_equal(p.uart.reg_shift, 0);
	assert_int_equal(p.uart.reg_io_width, 1);

	assert_true(p.plic.dev.present);
	assert_int_equal(p.plic.dev.base, 0x0c000000);
	assert_int_equal(p.plic.dev.size, 0x600000);
	assert_int_equal(p.plic.ndev, 0x60);

	assert_true(p.clint.present);
	assert_int_equal(p.clint.base, 0x02000000);
	assert_int_equal(p.clint.size, 0x10000);
	assert_false(p.aclint_mtimer.present);
	assert_false(p.aclint_mswi.present);

	assert_true(p.rtc.present);
	assert_int_equal(p.rtc.base, 0x101000);
	assert_int_equal(p.rtc.irq, 11);

	assert_true(p.poweroff.present);
	assert_true(p.poweroff.base_valid);
	assert_int_equal(p.poweroff.base, 0x100000);
	assert_int_equal(p.poweroff.offset, 0);
	assert_int_equal(p.poweroff.value, 0x5555);
	assert_int_equal(p.poweroff.mask, 0xffffffff);
	assert_true(p.reboot.present);
	assert_int_equal(p.reboot.value, 0x7777);
	free(blob);
}

/* QEMU lists virtio nodes from the highest address down. */
static void test_qemu_virtio_sorted(void **state)
{
	(void)state;
	struct fdt_platform p;
	uint8_t *blob = parse_platform("qemu-virt-smp4.dtb", &p);

	assert_int_equal(p.virtio_count, 8);
	for (unsigned i = 0; i < 8; i++) {
		assert_true(p.virtio[i].present);
		assert_int_equal(p.virtio[i].base, 0x10001000 + 0x1000 * i);
		assert_int_equal(p.virtio[i].size, 0x1000);
		assert_int_equal(p.virtio[i].irq, i + 1);
	}
	free(blob);
}

static void test_qemu_smp1(void **state)
{
	(void)state;
	struct fdt_platform p;
	uint8_t *blob = parse_platform("qemu-virt-smp1.dtb", &p);
	assert_int_equal(p.hart_count, 1);
	assert_int_equal(p.harts[0].hartid, 0);
	assert_int_equal(p.virtio_count, 8);
	free(blob);
}

static void test_qemu_bootargs_initrd(void **state)
{
	(void)state;
	struct fdt_platform p;
	uint8_t *blob = parse_platform("qemu-virt-bootargs.dtb", &p);
	assert_string_equal(p.bootargs, "console=ttyS0 root=/dev/vda2");
	assert_true(p.has_initrd);   /* u32 cells here */
	assert_int_equal(p.initrd_start, 0x88200000);
	assert_int_equal(p.initrd_end, 0x88200bb8);
	assert_int_equal(p.hart_count, 2);
	free(blob);
}

/* ---- Hand-written tree ------------------------------------------------------- */

static void test_synthetic_memory(void **state)
{
	(void)state;
	struct fdt_platform p;
	uint8_t *blob = parse_platform("synthetic.dtb", &p);

	assert_int_equal(p.mem_count, 3);   /* the disabled node is skipped */
	assert_int_equal(p.mem[0].base, 0x80000000);
	assert_int_equal(p.mem[1].base, 0x90000000);
	assert_int_equal(p.mem[2].base, 0x100000000);
	assert_int_equal(p.mem[2].size, 0x08000000);

	assert_int_equal(p.reserved_count, 3);
	assert_int_equal(p.reserved[0].base, 0x80000000);
	assert_int_equal(p.reserved[0].size, 0x200000);
	assert_int_equal(p.reserved[1].base, 0x9ff00000);
	assert_int_equal(p.reserved[2].base, 0x80000000);   /* 1-cell reg */
	assert_int_equal(p.reserved[2].size, 0x40000);
	free(blob);
}

static void test_synthetic_harts_and_chosen(void **state)
{
	(void)state;
	struct fdt_platform p;
	uint8_t *blob = parse_platform("synthetic.dtb", &p);

	assert_int_equal(p.timebase_frequency, 1000000);
	assert_int_equal(p.hart_count, 3);   /* cpu-map is not a hart */
	assert_int_equal(p.harts[0].hartid, 0);
	assert_true(p.harts[0].enabled);
	assert_string_equal(p.harts[0].isa, "rv64imac");
	assert_int_equal(p.harts[1].hartid, 1);
	assert_false(p.harts[1].enabled);
	assert_int_equal(p.harts[2].hartid, 5);
	assert_true(p.harts[2].enabled);
	assert_null(p.harts[2].isa);

	assert_string_equal(p.bootargs, "init=/sbin/init quiet");
	assert_string_equal(p.stdout_path, "serial0:115200n8");
	assert_true(p.has_initrd);   /* u64 cells here */
	assert_int_equal(p.initrd_start, 0x84000000);
	assert_int_equal(p.initrd_end, 0x84100000);
	free(blob);
}

static void test_synthetic_devices(void **state)
{
	(void)state;
	struct fdt_platform p;
	uint8_t *blob = parse_platform("synthetic.dtb", &p);

	/* stdout-path (through an alias) wins over document order. */
	assert_int_equal(p.uart.dev.base, 0x10000000);
	assert_int_equal(p.uart.dev.irq, 10);
	assert_int_equal(p.uart.reg_shift, 2);
	assert_int_equal(p.uart.reg_io_width, 4);
	assert_int_equal(p.uart.clock_frequency, 3686400);

	assert_int_equal(p.plic.ndev, 53);
	assert_false(p.clint.present);
	assert_true(p.aclint_mtimer.present);
	assert_int_equal(p.aclint_mtimer.base, 0x2004000);
	assert_true(p.aclint_mswi.present);
	assert_int_equal(p.aclint_mswi.base, 0x2000000);
	assert_int_equal(p.rtc.irq, 12);

	assert_int_equal(p.virtio_count, 2);   /* one is disabled */
	assert_int_equal(p.virtio[0].base, 0x10002000);
	assert_int_equal(p.virtio[1].base, 0x10008000);

	assert_true(p.poweroff.base_valid);
	assert_int_equal(p.poweroff.base, 0x100000);
	assert_int_equal(p.poweroff.value, 0x5555);
	assert_true(p.reboot.present);
	assert_int_equal(p.reboot.offset, 4);
	assert_int_equal(p.reboot.value, 0x7777);   /* from mask */
	assert_int_equal(p.reboot.mask, 0x7777);
	free(blob);
}

/* ---- Low-level API on a real tree ------------------------------------------- */

static void test_paths_and_names(void **state)
{
	(void)state;
	struct blob b = load_dtb("qemu-virt-smp4.dtb");
	struct fdt fdt;
	size_t len;
	init_fdt(&fdt, &b);

	int root = fdt_root(&fdt);
	assert_true(root >= 0);
	assert_int_equal(fdt_path_offset(&fdt, "/"), root);
	assert_string_equal(fdt_node_name(&fdt, root, &len), "");
	assert_int_equal(len, 0);

	int cpu2 = fdt_path_offset(&fdt, "/cpus/cpu@2");
	assert_true(cpu2 >= 0);
	assert_string_equal(fdt_node_name(&fdt, cpu2, &len), "cpu@2");
	assert_int_equal(len, 5);
	assert_int_equal(fdt_parent_offset(&fdt, cpu2),
			 fdt_path_offset(&fdt, "/cpus"));
	assert_int_equal(fdt_parent_offset(&fdt, root), -ENOENT);
	assert_int_equal(fdt_parent_offset(&fdt, cpu2 + 4), -EINVAL);

	/* Without a unit address, the first "serial@..." matches. */
	assert_int_equal(fdt_path_offset(&fdt, "/soc/serial"),
			 fdt_path_offset(&fdt, "/soc/serial@10000000"));
	assert_int_equal(fdt_path_offset(&fdt, "//soc//serial@10000000/"),
			 fdt_path_offset(&fdt, "/soc/serial@10000000"));
	assert_int_equal(fdt_path_offset(&fdt, "/soc/serial@1"), -ENOENT);
	assert_int_equal(fdt_path_offset(&fdt, "/nope"), -ENOENT);
	assert_int_equal(fdt_path_offset(&fdt, "serial0"), -ENOENT);
	assert_int_equal(fdt_path_offset(&fdt, ""), -EINVAL);
	free(b.data);
}

static void test_children_and_props(void **state)
{
	(void)state;
	struct blob b = load_dtb("qemu-virt-smp4.dtb");
	struct fdt fdt;
	init_fdt(&fdt, &b);

	int cpus = fdt_path_offset(&fdt, "/cpus");
	const char *expect[] = { "cpu@0", "cpu@1", "cpu@2", "cpu@3", "cpu-map" };
	unsigned n = 0;
	int child;
	for (child = fdt_first_child(&fdt, cpus); child >= 0;
	     child = fdt_next_sibling(&fdt, child)) {
		assert_true(n < 5);
		assert_string_equal(fdt_node_name(&fdt, child, NULL), expect[n++]);
	}
	assert_int_equal(child, -ENOENT);
	assert_int_equal(n, 5);

	/* A leaf has no children. */
	int uart = fdt_path_offset(&fdt, "/soc/serial@10000000");
	assert_int_equal(fdt_first_child(&fdt, uart), -ENOENT);

	int len;
	const char *compat = fdt_getprop(&fdt, uart, "compatible", &len);
	assert_non_null(compat);
	assert_int_equal(len, 9);
	assert_string_equal(compat, "ns16550a");
	assert_null(fdt_getprop(&fdt, uart, "missing", &len));
	assert_int_equal(len, -ENOENT);

	/* Walk the properties by hand. */
	unsigned props = 0;
	for (int prop = fdt_first_prop(&fdt, uart); prop >= 0;
	     prop = fdt_next_prop(&fdt, prop)) {
		const char *name;
		const void *value;
		uint32_t vlen;
		assert_int_equal(fdt_prop_info(&fdt, prop, &name, &value, &vlen), 0);
		props++;
	}
	assert_int_equal(props, 5);

	uint32_t u32;
	uint64_t u64;
	const char *str;
	assert_int_equal(fdt_read_u32(&fdt, uart, "interrupts", &u32), 0);
	assert_int_equal(u32, 10);
	assert_int_equal(fdt_read_u32(&fdt, uart, "reg", &u32), -EINVAL);
	assert_int_equal(fdt_read_u64(&fdt, uart, "reg", &u64), -EINVAL);
	assert_int_equal(fdt_read_u32(&fdt, uart, "nope", &u32), -ENOENT);
	assert_int_equal(fdt_read_string(&fdt, uart, "compatible", &str), 0);
	assert_int_equal(fdt_read_string(&fdt, uart, "interrupts", &str), -EINVAL);
	free(b.data);
}

static void test_compatible_and_reg(void **state)
{
	(void)state;
	struct blob b = load_dtb("qemu-virt-smp4.dtb");
	struct fdt fdt;
	init_fdt(&fdt, &b);

	/* A stringlist matches any of its entries, never a prefix. */
	int plic = fdt_find_compatible(&fdt, -1, "riscv,plic0");
	assert_true(plic >= 0);
	assert_true(fdt_node_is_compatible(&fdt, plic, "sifive,plic-1.0.0"));
	assert_false(fdt_node_is_compatible(&fdt, plic, "riscv,plic"));
	assert_int_equal(fdt_find_compatible(&fdt, plic, "riscv,plic0"), -ENOENT);

	unsigned virtio = 0;
	for (int node = fdt_find_compatible(&fdt, -1, "virtio,mmio"); node >= 0;
	     node = fdt_find_compatible(&fdt, node, "virtio,mmio"))
		virtio++;
	assert_int_equal(virtio, 8);

	/* The flash has two reg entries. */
	int flash = fdt_path_offset(&fdt, "/flash@20000000");
	uint64_t addr, size;
	assert_int_equal(fdt_read_reg(&fdt, flash, 1, &addr, &size), 0);
	assert_int_equal(addr, 0x22000000);
	assert_int_equal(size, 0x2000000);
	assert_int_equal(fdt_read_reg(&fdt, flash, 2, &addr, &size), -ENOENT);

	/* #size-cells = 0 under /cpus. */
	int cpu3 = fdt_path_offset(&fdt, "/cpus/cpu@3");
	assert_int_equal(fdt_read_reg(&fdt, cpu3, 0, &addr, &size), 0);
	assert_int_equal(addr, 3);
	assert_int_equal(size, 0);

	/* Defaults (2, 1) for a node that declares nothing; PCI's 3 is
	 * beyond what fits in 64 bits. */
	int uart = fdt_path_offset(&fdt, "/soc/serial@10000000");
	assert_int_equal(fdt_address_cells(&fdt, uart), 2);
	assert_int_equal(fdt_size_cells(&fdt, uart), 1);
	int pci = fdt_path_offset(&fdt, "/soc/pci@30000000");
	assert_int_equal(fdt_address_cells(&fdt, pci), -EINVAL);

	assert_int_equal(fdt_find_phandle(&fdt, 0x0a),
			 fdt_path_offset(&fdt, "/soc/test@100000"));
	assert_int_equal(fdt_find_phandle(&fdt, 0x1234), -ENOENT);
	assert_int_equal(fdt_find_phandle(&fdt, 0), -ENOENT);
	free(b.data);
}

static void test_next_node_depth(void **state)
{
	(void)state;
	struct blob b = load_dtb("qemu-virt-smp4.dtb");
	struct fdt fdt;
	init_fdt(&fdt, &b);

	int depth = -1, max_depth = 0, nodes = 0, node;
	for (node = fdt_next_node(&fdt, -1, &depth); node >= 0;
	     node = fdt_next_node(&fdt, node, &depth)) {
		assert_true(depth >= 0);
		if (depth > max_depth)
			max_depth = depth;
		nodes++;
		if (strcmp(fdt_node_name(&fdt, node, NULL), "core3") == 0)
			assert_int_equal(depth, 4);   /* /cpus/cpu-map/cluster0 */
	}
	assert_int_equal(node, -ENOENT);
	assert_int_equal(max_depth, 4);
	assert_true(nodes > 30);
	free(b.data);
}

static void test_aliases_and_rsvmap(void **state)
{
	(void)state;
	struct blob b = load_dtb("synthetic.dtb");
	struct fdt fdt;
	init_fdt(&fdt, &b);

	assert_int_equal(fdt_path_offset(&fdt, "serial0"),
			 fdt_path_offset(&fdt, "/soc/serial@10000000"));
	assert_int_equal(fdt_path_offset_len(&fdt, "serial0:115200", 7),
			 fdt_path_offset(&fdt, "/soc/serial@10000000"));
	assert_int_equal(fdt_path_offset(&fdt, "serial0/x"), -ENOENT);
	assert_int_equal(fdt_path_offset(&fdt, "serial1"), -ENOENT);

	uint64_t addr, size;
	assert_int_equal(fdt.rsvmap_count, 2);
	assert_int_equal(fdt_get_mem_rsv(&fdt, 1, &addr, &size), 0);
	assert_int_equal(addr, 0x9ff00000);
	assert_int_equal(size, 0x100000);
	assert_int_equal(fdt_get_mem_rsv(&fdt, 2, &addr, &size), -ENOENT);

	int cpu1 = fdt_path_offset(&fdt, "/cpus/cpu@1");
	assert_false(fdt_node_is_enabled(&fdt, cpu1));
	assert_true(fdt_node_is_enabled(&fdt, fdt_root(&fdt)));
	free(b.data);
}

static void test_stringlist(void **state)
{
	(void)state;
	static const char list[] = "a\0bc\0";   /* 6 bytes with final NUL */
	assert_true(fdt_stringlist_contains(list, 5, "a"));
	assert_true(fdt_stringlist_contains(list, 5, "bc"));
	assert_false(fdt_stringlist_contains(list, 5, "b"));
	assert_false(fdt_stringlist_contains(list, 4, "bc"));   /* unterminated */
	assert_false(fdt_stringlist_contains(list, 0, "a"));
	assert_true(fdt_stringlist_contains("\0x", 3, "x"));
	assert_true(fdt_stringlist_contains("\0x", 3, ""));
}

/* ---- Header validation ------------------------------------------------------- */

/* Every proper prefix of a valid blob must be refused, reading only
 * inside it (each is an exact-size heap copy, so ASan would see). */
static void test_truncation(void **state)
{
	(void)state;
	struct blob b = load_dtb("synthetic.dtb");
	assert_int_equal(fdt_check(b.data, b.len), 0);
	for (size_t len = 0; len < b.len; len++) {
		uint8_t *copy = exact_copy(b.data, len);
		struct fdt_platform p;
		assert_int_equal(fdt_check(copy, len), -EINVAL);
		assert_int_equal(fdt_parse_platform(copy, len, &p), -EINVAL);
		free(copy);
	}
	assert_int_equal(fdt_check(NULL, 100), -EINVAL);

	/* A failed fdt_init() leaves a handle every accessor refuses. */
	struct fdt fdt;
	assert_int_equal(fdt_init(&fdt, b.data, b.len - 1), -EINVAL);
	assert_int_equal(fdt_root(&fdt), -EINVAL);
	assert_int_equal(fdt_path_offset(&fdt, "/cpus"), -EINVAL);
	assert_int_equal(fdt_next_node(&fdt, 0, NULL), -EINVAL);
	free(b.data);
}

/* Overwrite header word @index of a copy and expect fdt_check to refuse. */
static void expect_header_rejected(const struct blob *b, int index,
				   uint32_t value)
{
	uint8_t *copy = exact_copy(b->data, b->len);
	put_be32(copy + 4 * index, value);
	if (fdt_check(copy, b->len) != -EINVAL)
		fail_msg("header word %d = %#x accepted", index, value);
	free(copy);
}

static void test_bad_headers(void **state)
{
	(void)state;
	struct blob b = load_dtb("synthetic.dtb");
	uint32_t total = (uint32_t)b.len;

	expect_header_rejected(&b, 0, 0xedfe0dd0);            /* magic */
	expect_header_rejected(&b, 1, total + 1);              /* > maxlen */
	expect_header_rejected(&b, 1, 8);                      /* < header */
	expect_header_rejected(&b, 2, total);                  /* struct off */
	expect_header_rejected(&b, 2, 0xfffffffc);
	expect_header_rejected(&b, 2, 2);                      /* in header */
	expect_header_rejected(&b, 2, 0x3a);                   /* misaligned */
	expect_header_rejected(&b, 3, 0xffffffff);             /* strings off */
	expect_header_rejected(&b, 4, 0x2c);                   /* rsvmap align */
	expect_header_rejected(&b, 4, total - 8);              /* unterminated */
	expect_header_rejected(&b, 5, 15);                     /* version */
	expect_header_rejected(&b, 6, 18);                     /* last comp */
	expect_header_rejected(&b, 8, 0xffffffff);             /* strings size */
	expect_header_rejected(&b, 9, 0xffffffff);             /* struct size */
	expect_header_rejected(&b, 9, 4);                      /* struct cut */
	free(b.data);
}

/* Version 16 headers have no size_dt_struct; FDT_END bounds the walk. */
static void test_version16(void **state)
{
	(void)state;
	struct blob b = load_dtb("qemu-virt-smp1.dtb");
	uint8_t *copy = exact_copy(b.data, b.len);
	put_be32(copy + 20, 16);
	put_be32(copy + 36, 0xdeadbeef);   /* ignored in v16 */
	struct fdt_platform p;
	assert_int_equal(fdt_parse_platform(copy, b.len, &p), 0);
	assert_int_equal(p.hart_count, 1);
	free(copy);
	free(b.data);
}

/* ---- Malformed structure blocks ---------------------------------------------- */

static void expect_rejected(struct dtb_builder *b)
{
	struct blob blob = finish_dtb(b);
	uint8_t *copy = exact_copy(blob.data, blob.len);
	struct fdt_platform p;
	assert_int_equal(fdt_check(copy, blob.len), -EINVAL);
	assert_int_equal(fdt_parse_platform(copy, blob.len, &p), -EINVAL);
	free(copy);
	free(blob.data);
}

static void test_minimal_tree(void **state)
{
	(void)state;
	struct dtb_builder b;
	begin_root(&b);
	end_tree(&b);
	struct blob blob = finish_dtb(&b);
	struct fdt_platform p;
	assert_int_equal(fdt_parse_platform(blob.data, blob.len, &p), 0);
	assert_int_equal(p.mem_count + p.hart_count + p.virtio_count, 0);
	assert_false(p.uart.dev.present);
	assert_null(p.bootargs);
	free(blob.data);
}

static void test_structure_errors(void **state)
{
	(void)state;
	struct dtb_builder b;

	begin_root(&b);                 /* no FDT_END */
	end_node(&b);
	expect_rejected(&b);

	begin_root(&b);                 /* node never closed */
	emit_token(&b, 9);
	expect_rejected(&b);

	begin_root(&b);                 /* extra END_NODE */
	end_node(&b);
	end_tree(&b);
	expect_rejected(&b);

	begin_root(&b);                 /* two roots */
	end_node(&b);
	begin_node(&b, "");
	end_tree(&b);
	expect_rejected(&b);

	memset(&b, 0, sizeof(b));       /* property outside any node */
	add_prop_u32(&b, "x", 1);
	begin_node(&b, "");
	end_tree(&b);
	expect_rejected(&b);

	memset(&b, 0, sizeof(b));       /* no root at all */
	emit_token(&b, 9);
	expect_rejected(&b);

	begin_root(&b);                 /* unknown token */
	emit_token(&b, 7);
	end_tree(&b);
	expect_rejected(&b);

	begin_root(&b);                 /* property name outside strings */
	add_prop_raw(&b, 0x10000, 0, NULL, 0);
	end_tree(&b);
	expect_rejected(&b);

	begin_root(&b);                 /* property longer than the block */
	add_prop_raw(&b, add_string(&b, "big"), 0xfffffff0, NULL, 0);
	end_tree(&b);
	expect_rejected(&b);
}

static void test_unterminated_names(void **state)
{
	(void)state;
	struct dtb_builder b;

	/* Node name running to the end of the structure block. */
	memset(&b, 0, sizeof(b));
	emit_token(&b, 1);
	emit_bytes(&b, "abcd", 4);
	expect_rejected(&b);

	/* Property name running to the end of the strings block. */
	begin_root(&b);
	add_prop(&b, "ok", "", 0);
	end_tree(&b);
	b.strings_len--;   /* drop the NUL of "ok" */
	expect_rejected(&b);
}

static void nest(struct dtb_builder *b, int levels)
{
	begin_root(b);
	for (int i = 1; i < levels; i++)
		begin_node(b, "n");
	for (int i = 1; i < levels; i++)
		end_node(b);
	end_tree(b);
}

static void test_depth_limit(void **state)
{
	(void)state;
	struct dtb_builder b;

	nest(&b, FDT_MAX_DEPTH);
	struct blob blob = finish_dtb(&b);
	struct fdt fdt;
	init_fdt(&fdt, &blob);
	int deepest = -1, depth = 0;
	for (int node = fdt_next_node(&fdt, -1, &depth); node >= 0;
	     node = fdt_next_node(&fdt, node, &depth))
		deepest = node;
	assert_true(fdt_parent_offset(&fdt, deepest) >= 0);
	free(blob.data);

	nest(&b, FDT_MAX_DEPTH + 1);
	expect_rejected(&b);
}

/* ---- Hostile values inside well-formed trees -------------------------------- */

static void test_bad_values(void **state)
{
	(void)state;
	struct dtb_builder b;
	begin_root(&b);

	begin_node(&b, "chosen");
	add_prop(&b, "linux,initrd-start", "\x01\x02\x03", 3);   /* 3 bytes */
	add_prop_u32(&b, "linux,initrd-end", 0x1000);
	add_prop(&b, "bootargs", "no-nul", 6);
	end_node(&b);

	begin_node(&b, "memory@0");
	add_prop_str(&b, "device_type", "memory");
	add_prop(&b, "reg", "\0\0\0\0\0\0\0\0\0\0", 10);   /* not whole cells */
	end_node(&b);

	begin_node(&b, "weird");
	add_prop_u32(&b, "#address-cells", 3);
	add_prop_u32(&b, "#size-cells", 0);
	add_device(&b, "uart@1", "ns16550a", 0x1000, 1);   /* unreadable reg */
	end_node(&b);

	begin_node(&b, "poweroff");
	add_prop_str(&b, "compatible", "syscon-poweroff");
	add_prop_u32(&b, "regmap", 0x99);   /* dangling phandle */
	add_prop_u32(&b, "offset", 0);
	add_prop_u32(&b, "value", 1);
	end_node(&b);

	end_tree(&b);
	struct blob blob = finish_dtb(&b);
	struct fdt_platform p;
	assert_int_equal(fdt_parse_platform(blob.data, blob.len, &p), 0);
	assert_false(p.has_initrd);
	assert_null(p.bootargs);
	assert_int_equal(p.mem_count, 0);
	assert_false(p.uart.dev.present);
	assert_true(p.poweroff.present);
	assert_false(p.poweroff.base_valid);

	struct fdt fdt;
	init_fdt(&fdt, &blob);
	uint64_t addr, size;
	int mem = fdt_path_offset(&fdt, "/memory@0");
	assert_int_equal(fdt_read_reg(&fdt, mem, 0, &addr, &size), -EINVAL);
	assert_int_equal(fdt_read_reg(&fdt, fdt_root(&fdt), 0, &addr, &size),
			 -EINVAL);
	assert_int_equal(fdt_read_reg_cells(&fdt, mem, 0, 0, 1, &addr, &size),
			 -EINVAL);
	free(blob.data);
}

/* More devices than the fixed arrays hold: keep the lowest addresses. */
static void test_array_limits(void **state)
{
	(void)state;
	struct dtb_builder b;
	char name[32];
	begin_root(&b);
	for (int i = 40; i > 0; i--) {
		snprintf(name, sizeof(name), "virtio@%x", 0x10000000 + i * 0x1000);
		add_device(&b, name, "virtio,mmio", 0x10000000 + i * 0x1000, i);
	}
	begin_node(&b, "memory@0");
	add_prop_str(&b, "device_type", "memory");
	uint32_t reg[4 * 10];
	for (int i = 0; i < 10; i++) {
		reg[4 * i] = 0;
		reg[4 * i + 1] = 0x80000000u + (uint32_t)i * 0x100000;
		reg[4 * i + 2] = 0;
		reg[4 * i + 3] = 0x100000;
	}
	add_prop_cells(&b, "reg", reg, 16);   /* 4 entries: fits */
	end_node(&b);
	begin_node(&b, "memory@1");
	add_prop_str(&b, "device_type", "memory");
	add_prop_cells(&b, "reg", reg, 16);   /* 4 more: 8 in total */
	end_node(&b);
	begin_node(&b, "memory@2");
	add_prop_str(&b, "device_type", "memory");
	add_prop_cells(&b, "reg", reg, 8);    /* 2 dropped */
	end_node(&b);
	end_tree(&b);

	struct blob blob = finish_dtb(&b);
	struct fdt_platform p;
	assert_int_equal(fdt_parse_platform(blob.data, blob.len, &p), 0);
	assert_int_equal(p.virtio_count, FDT_MAX_VIRTIO);
	for (unsigned i = 0; i < FDT_MAX_VIRTIO; i++)
		assert_int_equal(p.virtio[i].base, 0x10001000 + 0x1000 * i);
	assert_int_equal(p.mem_count, FDT_MAX_MEM_REGIONS);
	assert_int_equal(p.dropped, 8 + 2);
	free(blob.data);
}

/* Flip bits all over a real blob: any result is fine except a crash,
 * an out-of-bounds read (ASan) or a hang. */
static void test_bit_flips(void **state)
{
	(void)state;
	struct blob b = load_dtb("synthetic.dtb");
	static const uint8_t masks[] = { 0x01, 0x80, 0xff };
	unsigned accepted = 0;

	for (size_t i = 0; i < b.len; i++) {
		for (size_t m = 0; m < sizeof(masks); m++) {
			uint8_t *copy = exact_copy(b.data, b.len);
			copy[i] ^= masks[m];
			struct fdt_platform p;
			if (fdt_parse_platform(copy, b.len, &p) == 0)
				accepted++;
			free(copy);
		}
	}
	assert_true(accepted > 0);   /* most flips hit property values */
	free(b.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qemu_smp4_platform),
		cmocka_unit_test(test_qemu_devices),
		cmocka_unit_test(test_qemu_virtio_sorted),
		cmocka_unit_test(test_qemu_smp1),
		cmocka_unit_test(test_qemu_bootargs_initrd),
		cmocka_unit_test(test_synthetic_memory),
		cmocka_unit_test(test_synthetic_harts_and_chosen),
		cmocka_unit_test(test_synthetic_devices),
		cmocka_unit_test(test_paths_and_names),
		cmocka_unit_test(test_children_and_props),
		cmocka_unit_test(test_compatible_and_reg),
		cmocka_unit_test(test_next_node_depth),
		cmocka_unit_test(test_aliases_and_rsvmap),
		cmocka_unit_test(test_stringlist),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_version16),
		cmocka_unit_test(test_minimal_tree),
		cmocka_unit_test(test_structure_errors),
		cmocka_unit_test(test_unterminated_names),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_array_limits),
		cmocka_unit_test(test_bit_flips),
	};
	return cmocka_run_group_tests_name("fdt", tests, NULL, NULL);
}
