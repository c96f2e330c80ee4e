/*
 * Unit tests for elf_parse() and elf_load_bias() (kernel/lib/elf.c).
 *
 * Real programs come from fixtures/tiny.c linked three ways at build
 * time; the malformed ones are crafted here from a valid template, one
 * defect at a time.
 */
#include "test_util.h"

#include "elf.h"
#include "errno.h"

#define USER_LIMIT 0x4000000000ull   /* Sv39 user half */

/* ---- Real programs ---------------------------------------------------------- */

struct file {
	uint8_t *data;
	size_t len;
};

static struct file load(const char *name)
{
	struct file f;
	f.data = read_fixture(name, &f.len);
	return f;
}

/* Program header @i straight from the file (host is little-endian). */
static Elf64_Phdr raw_phdr(const struct file *f, unsigned i)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	memcpy(&eh, f->data, sizeof(eh));
	memcpy(&ph, f->data + eh.e_phoff + i * sizeof(ph), sizeof(ph));
	return ph;
}

/* Each accepted segment must match a PT_LOAD of the file. */
static void check_segments_match_file(const struct file *f,
				      const struct elf_image *img)
{
	unsigned seg = 0;
	for (unsigned i = 0; i < img->phnum; i++) {
		Elf64_Phdr ph = raw_phdr(f, i);
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		assert_true(seg < img->nsegs);
		assert_int_equal(img->segs[seg].vaddr, ph.p_vaddr);
		assert_int_equal(img->segs[seg].memsz, ph.p_memsz);
		assert_int_equal(img->segs[seg].offset, ph.p_offset);
		assert_int_equal(img->segs[seg].filesz, ph.p_filesz);
		seg++;
	}
	assert_int_equal(seg, img->nsegs);
}

static void test_static_exec(void **state)
{
	(void)state;
	struct file f = load("static.elf");
	struct elf_image img;

	assert_int_equal(elf_parse(f.data, f.len, f.len, USER_LIMIT, &img), 0);
	assert_int_equal(img.type, ET_EXEC);
	assert_int_equal(img.nsegs, 2);
	check_segments_match_file(&f, &img);

	/* text then data+bss */
	assert_int_equal(img.segs[0].prot, ELF_PROT_R | ELF_PROT_X);
	assert_int_equal(img.segs[1].prot, ELF_PROT_R | ELF_PROT_W);
	assert_true(img.segs[1].memsz > img.segs[1].filesz);   /* bss */
	assert_int_equal(img.vaddr_min, 0x10000);
	assert_int_equal(img.vaddr_max % ELF_PAGE_SIZE, 0);
	assert_true(img.entry >= img.segs[0].vaddr &&
		    img.entry < img.segs[0].vaddr + img.segs[0].memsz);

	/* No PT_PHDR: the headers are found inside the first PT_LOAD. */
	assert_true(img.phdr_mapped);
	assert_int_equal(img.phdr_vaddr, 0x10000 + img.phoff);

	assert_true(img.has_tls);
	assert_int_equal(img.tls_memsz, 4);
	assert_false(img.has_interp);
	assert_true(img.has_gnu_stack);
	assert_false(img.exec_stack);

	uint64_t bias = 1;
	assert_int_equal(elf_load_bias(&img, 0x40000000, USER_LIMIT, &bias), 0);
	assert_int_equal(bias, 0);
	assert_int_equal(elf_load_bias(&img, 0, 0x10000, &bias), -ENOMEM);
	free(f.data);
}

static void test_static_pie(void **state)
{
	(void)state;
	struct file f = load("static-pie.elf");
	struct elf_image img;

	assert_int_equal(elf_parse(f.data, f.len, f.len, USER_LIMIT, &img), 0);
	assert_int_equal(img.type, ET_DYN);
	assert_false(img.has_interp);
	check_segments_match_file(&f, &img);
	assert_int_equal(img.vaddr_min, 0);
	assert_true(img.phdr_mapped);   /* inside the first PT_LOAD */
	assert_int_equal(img.phdr_vaddr, img.phoff);
	assert_true(img.has_tls);

	uint64_t bias;
	assert_int_equal(elf_load_bias(&img, 0x40000000, USER_LIMIT, &bias), 0);
	assert_int_equal(bias, 0x40000000);
	assert_int_equal(elf_load_bias(&img, 0x40000123, USER_LIMIT, &bias), 0);
	assert_int_equal(bias, 0x40001000);   /* rounded to the alignment */
	assert_int_equal(elf_load_bias(&img, USER_LIMIT - 0x1000, USER_LIMIT,
				       &bias), -ENOMEM);
	assert_int_equal(elf_load_bias(&img, UINT64_MAX - 10, UINT64_MAX,
				       &bias), -ENOMEM);
	free(f.data);
}

static void test_dynamic_reports_interp(void **state)
{
	(void)state;
	struct file f = load("dynamic.elf");
	struct elf_image img;

	assert_int_equal(elf_parse(f.data, f.len, f.len, USER_LIMIT, &img), 0);
	assert_true(img.has_interp);
	assert_true(img.interp_offset + img.interp_size <= f.len);
	const char *path = (const char *)f.data + img.interp_offset;
	assert_memory_equal(path, "/lib/ld-linux-riscv64", 21);
	assert_int_equal(path[img.interp_size - 1], '\0');
	assert_true(img.phdr_mapped);   /* from PT_PHDR */
	assert_int_equal(img.phdr_vaddr, img.phoff);
	free(f.data);
}

/* The caller passes only the first page; segments may lie beyond it. */
static void test_header_page_only(void **state)
{
	(void)state;
	struct file f = load("static-pie.elf");
	struct elf_image img;
	size_t head = f.len < ELF_HEADER_BUF ? f.len : ELF_HEADER_BUF;
	uint8_t *copy = exact_copy(f.data, head);

	assert_int_equal(elf_parse(copy, head, f.len, USER_LIMIT, &img), 0);
	/* ...but a file shorter than its segments is refused. */
	assert_int_equal(elf_parse(copy, head, 200, USER_LIMIT, &img), -ENOEXEC);
	free(copy);
	free(f.data);
}

/* Every buffer too short to hold the headers is refused without reading
 * past it (exact-size heap copies). */
static void test_truncated(void **state)
{
	(void)state;
	struct file f = load("static.elf");
	struct elf_image img;
	Elf64_Ehdr eh;
	memcpy(&eh, f.data, sizeof(eh));
	size_t needed = eh.e_phoff + (size_t)eh.e_phnum * eh.e_phentsize;

	for (size_t len = 0; len < needed; len++) {
		uint8_t *copy = exact_copy(f.data, len);
		assert_int_equal(elf_parse(copy, len, f.len, USER_LIMIT, &img),
				 -ENOEXEC);
		assert_int_equal(elf_parse(copy, len, len, USER_LIMIT, &img),
				 -ENOEXEC);
		free(copy);
	}
	assert_int_equal(elf_parse(NULL, 0, 0, USER_LIMIT, &img), -ENOEXEC);
	free(f.data);
}

/* ---- Crafted files ------------------------------------------------------------ */

#define MAX_CRAFTED_PH 80

struct crafted {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[MAX_CRAFTED_PH];
	uint64_t file_size;
};

/* A valid two-segment static executable, headers only. */
static void craft_valid(struct crafted *c)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->eh.e_ident, ELFMAG, 4);
	c->eh.e_ident[EI_CLASS] = ELFCLASS64;
	c->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	c->eh.e_ident[EI_VERSION] = EV_CURRENT;
	c->eh.e_type = ET_EXEC;
	c->eh.e_machine = EM_RISCV;
	c->eh.e_version = EV_CURRENT;
	c->eh.e_entry = 0x10078;
	c->eh.e_phoff = sizeof(Elf64_Ehdr);
	c->eh.e_ehsize = sizeof(Elf64_Ehdr);
	c->eh.e_phentsize = sizeof(Elf64_Phdr);
	c->eh.e_phnum = 3;
	c->file_size = 0x3000;

	c->ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X,
		.p_offset = 0, .p_vaddr = 0x10000, .p_filesz = 0x1800,
		.p_memsz = 0x1800, .p_align = 0x1000 };
	c->ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W,
		.p_offset = 0x2000, .p_vaddr = 0x12000, .p_filesz = 0x800,
		.p_memsz = 0x5000, .p_align = 0x1000 };
	c->ph[2] = (Elf64_Phdr){ .p_type = PT_GNU_STACK, .p_flags = PF_R | PF_W };
}

/* Serialise into an exact-size heap buffer and parse it. */
static int parse_crafted(const struct crafted *c, struct elf_image *img)
{
	size_t len = sizeof(c->eh) + (size_t)c->eh.e_phnum * sizeof(Elf64_Phdr);
	if (c->eh.e_phnum > MAX_CRAFTED_PH)
		len = sizeof(c->eh) + sizeof(c->ph);
	uint8_t *buf = calloc(1, len);
	assert_non_null(buf);
	memcpy(buf, &c->eh, sizeof(c->eh));
	memcpy(buf + sizeof(c->eh), c->ph, len - sizeof(c->eh));
	int ret = elf_parse(buf, len, c->file_size, USER_LIMIT, img);
	free(buf);
	return ret;
}

static void expect_noexec(const struct crafted *c, const char *what)
{
	struct elf_image img;
	int ret = parse_crafted(c, &img);
	if (ret != -ENOEXEC)
		fail_msg("%s: got %d, want -ENOEXEC", what, ret);
}

static void test_crafted_valid(void **state)
{
	(void)state;
	struct crafted c;
	struct elf_image img;
	craft_valid(&c);

	assert_int_equal(parse_crafted(&c, &img), 0);
	assert_int_equal(img.nsegs, 2);
	assert_int_equal(img.vaddr_min, 0x10000);
	assert_int_equal(img.vaddr_max, 0x17000);
	assert_int_equal(img.max_align, 0x1000);
	assert_true(img.phdr_mapped);
	assert_int_equal(img.phdr_vaddr, 0x10040);
	assert_false(img.has_tls);

	/* ET_DYN bias at an unaligned preference. */
	c.eh.e_type = ET_DYN;
	assert_int_equal(parse_crafted(&c, &img), 0);
	uint64_t bias;
	assert_int_equal(elf_load_bias(&img, 0x20000001, USER_LIMIT, &bias), 0);
	assert_int_equal(bias, 0x20001000 - 0x10000);
}

static void test_crafted_ident(void **state)
{
	(void)state;
	struct crafted c;

	craft_valid(&c); c.eh.e_ident[0] = 0x7e;
	expect_noexec(&c, "magic");
	craft_valid(&c); c.eh.e_ident[EI_CLASS] = 1;
	expect_noexec(&c, "ELFCLASS32");
	craft_valid(&c); c.eh.e_ident[EI_DATA] = 2;
	expect_noexec(&c, "big-endian");
	craft_valid(&c); c.eh.e_ident[EI_VERSION] = 0;
	expect_noexec(&c, "ident version");
	craft_valid(&c); c.eh.e_version = 2;
	expect_noexec(&c, "e_version");
	craft_valid(&c); c.eh.e_machine = 62;
	expect_noexec(&c, "x86-64");
	craft_valid(&c); c.eh.e_type = 1;
	expect_noexec(&c, "ET_REL");
	craft_valid(&c); c.eh.e_type = 4;
	expect_noexec(&c, "ET_CORE");
}

static void test_crafted_phdr_table(void **state)
{
	(void)state;
	struct crafted c;

	craft_valid(&c); c.eh.e_phentsize = 32;
	expect_noexec(&c, "phentsize");
	craft_valid(&c); c.eh.e_phnum = 0;
	expect_noexec(&c, "no phdrs");
	craft_valid(&c); c.eh.e_phnum = ELF_MAX_PHNUM + 1;
	expect_noexec(&c, "65 phdrs");
	craft_valid(&c); c.eh.e_phnum = 0xffff;
	expect_noexec(&c, "huge phnum");
	craft_valid(&c); c.eh.e_phoff = 0x1000;
	expect_noexec(&c, "phoff past buffer");
	craft_valid(&c); c.eh.e_phoff = UINT64_MAX - 16;
	expect_noexec(&c, "phoff wraps");

	/* 64 program headers are fine (PT_NULL padding). */
	craft_valid(&c); c.eh.e_phnum = ELF_MAX_PHNUM;
	struct elf_image img;
	assert_int_equal(parse_crafted(&c, &img), 0);

	/* Only PT_GNU_STACK: nothing to load. */
	craft_valid(&c); c.ph[0].p_type = PT_NULL; c.ph[1].p_type = PT_NOTE;
	expect_noexec(&c, "no PT_LOAD");
}

static void test_crafted_segments(void **state)
{
	(void)state;
	struct crafted c;

	craft_valid(&c); c.ph[1].p_filesz = c.ph[1].p_memsz + 1;
	expect_noexec(&c, "filesz > memsz");
	craft_valid(&c); c.ph[1].p_offset = 0x2801;   /* ends past the file */
	c.ph[1].p_vaddr = 0x12801;
	expect_noexec(&c, "beyond file");
	craft_valid(&c); c.ph[1].p_offset = UINT64_MAX - 0x7ff;
	c.ph[1].p_vaddr = 0x12000 - 0x800;
	expect_noexec(&c, "offset wraps");
	craft_valid(&c); c.ph[1].p_vaddr = UINT64_MAX - 0xfff;
	expect_noexec(&c, "vaddr wraps");
	craft_valid(&c); c.ph[1].p_vaddr = USER_LIMIT - 0x1000;
	expect_noexec(&c, "above user limit");
	craft_valid(&c); c.ph[1].p_vaddr = 0x12100;
	expect_noexec(&c, "vaddr/offset not congruent");
	craft_valid(&c); c.ph[1].p_vaddr = 0x11000;
	expect_noexec(&c, "overlap");
	craft_valid(&c); c.ph[0].p_vaddr = 0x20000;
	expect_noexec(&c, "unsorted");
	craft_valid(&c); c.ph[1].p_align = 0x3000;
	expect_noexec(&c, "align not a power of two");

	/* Ending exactly at the limit is fine. */
	craft_valid(&c); c.ph[1].p_vaddr = USER_LIMIT - 0x5000;
	struct elf_image img;
	assert_int_equal(parse_crafted(&c, &img), 0);
	assert_int_equal(img.vaddr_max, USER_LIMIT);
}

static void test_crafted_segment_count(void **state)
{
	(void)state;
	struct crafted c;
	struct elf_image img;

	craft_valid(&c);
	c.eh.e_phnum = ELF_MAX_SEGMENTS + 1;
	for (unsigned i = 0; i < c.eh.e_phnum; i++)
		c.ph[i] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R,
			.p_offset = 0, .p_vaddr = 0x10000 + 0x1000ull * i,
			.p_filesz = 0x100, .p_memsz = 0x100 };
	expect_noexec(&c, "too many PT_LOADs");

	/* Empty segments do not count and are dropped. */
	c.ph[0].p_memsz = c.ph[0].p_filesz = 0;
	assert_int_equal(parse_crafted(&c, &img), 0);
	assert_int_equal(img.nsegs, ELF_MAX_SEGMENTS);
	assert_int_equal(img.vaddr_min, 0x11000);
}

static void test_crafted_special_headers(void **state)
{
	(void)state;
	struct crafted c;
	struct elf_image img;

	craft_valid(&c);
	c.eh.e_phnum = 5;
	c.ph[2].p_flags = PF_R | PF_W | PF_X;
	c.ph[3] = (Elf64_Phdr){ .p_type = PT_INTERP, .p_offset = 0x200,
		.p_filesz = 28, .p_memsz = 28 };
	c.ph[4] = (Elf64_Phdr){ .p_type = PT_TLS, .p_offset = 0x2000,
		.p_vaddr = 0x12000, .p_filesz = 8, .p_memsz = 16, .p_align = 8 };
	assert_int_equal(parse_crafted(&c, &img), 0);
	assert_true(img.exec_stack);
	assert_true(img.has_interp);
	assert_int_equal(img.interp_offset, 0x200);
	assert_int_equal(img.interp_size, 28);
	assert_true(img.has_tls);
	assert_int_equal(img.tls_memsz, 16);

	c.ph[3].p_offset = c.file_size - 10;
	expect_noexec(&c, "PT_INTERP past the file");
	c.ph[3].p_offset = 0x200;
	c.ph[3].p_filesz = 1;
	expect_noexec(&c, "PT_INTERP empty");
	c.ph[3].p_filesz = 28;
	c.ph[4].p_filesz = 32;
	expect_noexec(&c, "PT_TLS filesz > memsz");

	/* Without PT_GNU_STACK the stack is not executable either. */
	craft_valid(&c);
	c.ph[2].p_type = PT_NULL;
	assert_int_equal(parse_crafted(&c, &img), 0);
	assert_false(img.has_gnu_stack);
	assert_false(img.exec_stack);

	/* PT_PHDR wins over the covering PT_LOAD. */
	craft_valid(&c);
	c.ph[2] = (Elf64_Phdr){ .p_type = PT_PHDR, .p_vaddr = 0x10040 + 0x100 };
	assert_int_equal(parse_crafted(&c, &img), 0);
	assert_int_equal(img.phdr_vaddr, 0x10140);

	/* Headers in no segment: not mapped. */
	craft_valid(&c);
	c.ph[0].p_offset = 0x1000;
	c.ph[0].p_vaddr = 0x11000;
	c.ph[0].p_filesz = c.ph[0].p_memsz = 0x800;
	assert_int_equal(parse_crafted(&c, &img), 0);
	assert_false(img.phdr_mapped);
}

static void test_prot_bits(void **state)
{
	(void)state;
	struct crafted c;
	struct elf_image img;

	for (uint32_t flags = 0; flags < 8; flags++) {
		craft_valid(&c);
		c.ph[0].p_flags = flags;
		assert_int_equal(parse_crafted(&c, &img), 0);
		uint32_t want = (flags & PF_R ? ELF_PROT_R : 0) |
				(flags & PF_W ? ELF_PROT_W : 0) |
				(flags & PF_X ? ELF_PROT_X : 0);
		assert_int_equal(img.segs[0].prot, want);
	}
}

/* Flip bits in the headers of a real program: anything but a crash. */
static void test_bit_flips(void **state)
{
	(void)state;
	struct file f = load("static-pie.elf");
	Elf64_Ehdr eh;
	memcpy(&eh, f.data, sizeof(eh));
	size_t span = eh.e_phoff + (size_t)eh.e_phnum * sizeof(Elf64_Phdr);

	for (size_t i = 0; i < span; i++) {
		for (unsigned bit = 0; bit < 8; bit++) {
			uint8_t *copy = exact_copy(f.data, span);
			struct elf_image img;
			copy[i] ^= (uint8_t)(1u << bit);
			int ret = elf_parse(copy, span, f.len, USER_LIMIT, &img);
			assert_true(ret == 0 || ret == -ENOEXEC);
			if (ret == 0) {
				uint64_t bias;
				elf_load_bias(&img, 0x1000, USER_LIMIT, &bias);
			}
			free(copy);
		}
	}
	free(f.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_static_exec),
		cmocka_unit_test(test_static_pie),
		cmocka_unit_test(test_dynamic_reports_interp),
		cmocka_unit_test(test_header_page_only),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_crafted_valid),
		cmocka_unit_test(test_crafted_ident),
		cmocka_unit_test(test_crafted_phdr_table),
		cmocka_unit_test(test_crafted_segments),
		cmocka_unit_test(test_crafted_segment_count),
		cmocka_unit_test(test_crafted_special_headers),
		cmocka_unit_test(test_prot_bits),
		cmocka_unit_test(test_bit_flips),
	};
	return cmocka_run_group_tests_name("elf", tests, NULL, NULL);
}
