/*
 * Unit tests for kernel/lib/gpt.c and kernel/lib/crc32.c.
 *
 * Disk images are made by block.mk with sgdisk (the tool that builds the real image), so the
 * parser is checked against a third-party writer; the corruptions are applied here to an
 * in-memory copy, with CRCs recomputed when a test wants a well-formed but semantically bad
 * table.
 */
#include "test_util.h"

#include "crc32.h"
#include "errno.h"
#include "gpt.h"

/* ---- An in-memory disk ---------------------------------------------------- */

#define SECTOR 512u

struct disk {
	uint8_t *data;
	uint64_t sectors;
	int64_t fail_lba;	/* a read touching this LBA fails with -EIO (-1: none) */
	unsigned reads;
};

static int disk_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
	struct disk *d = ctx;
	d->reads++;
	if (lba >= d->sectors || count > d->sectors - lba)
		return -EIO;
	if (d->fail_lba >= 0 && (uint64_t)d->fail_lba >= lba &&
	    (uint64_t)d->fail_lba < lba + count)
		return -EIO;
	memcpy(buf, d->data + lba * SECTOR, (size_t)count * SECTOR);
	return 0;
}

static struct gpt_io disk_io(struct disk *d)
{
	struct gpt_io io = {
		.read = disk_read, .alloc = malloc, .free = free, .ctx = d,
		.sector_size = SECTOR, .disk_sectors = d->sectors,
	};
	return io;
}

static struct disk load_disk(const char *name)
{
	struct disk d = { .fail_lba = -1 };
	size_t len;
	d.data = read_fixture(name, &len);
	assert_int_equal(len % SECTOR, 0);
	d.sectors = len / SECTOR;
	return d;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint8_t *sector(struct disk *d, uint64_t lba)
{
	return d->data + lba * SECTOR;
}

static uint64_t backup_lba(struct disk *d)
{
	return d->sectors - 1;
}

/* Recompute the header CRC of the header at lba. */
static void fix_header_crc(struct disk *d, uint64_t lba)
{
	uint8_t *h = sector(d, lba);
	put32(h + 16, 0);
	put32(h + 16, crc32(0, h, le32(h + 12)));
}

/* Recompute the entry-array CRC of the header at lba, then its header CRC. */
static void fix_array_crc(struct disk *d, uint64_t lba)
{
	uint8_t *h = sector(d, lba);
	uint8_t *array = sector(d, le64(h + 72));
	put32(h + 88, crc32(0, array, (size_t)le32(h + 80) * le32(h + 84)));
	fix_header_crc(d, lba);
}

/* Entry `i` (0-based) of the array the header at lba points to. */
static uint8_t *entry(struct disk *d, uint64_t lba, unsigned i)
{
	uint8_t *h = sector(d, lba);
	return sector(d, le64(h + 72)) + (size_t)i * le32(h + 84);
}

static int read_table(struct disk *d, struct gpt_table *t, struct gpt_part *parts,
		      unsigned max)
{
	struct gpt_io io = disk_io(d);
	return gpt_read(&io, t, parts, max);
}

static void guid_str(const struct gpt_guid *g, char *out)
{
	gpt_guid_to_str(g, out);
}

/* ---- CRC ------------------------------------------------------------------ */

static void test_crc32_vectors(void **state)
{
	(void)state;
	const char *s = "123456789";
	assert_int_equal(crc32(0, s, 9), 0xcbf43926u);
	assert_int_equal(crc32c(0, s, 9), 0xe3069283u);
	assert_int_equal(crc32(0, s, 0), 0);
	/* Chaining gives the CRC of the concatenation. */
	assert_int_equal(crc32(crc32(0, s, 4), s + 4, 5), 0xcbf43926u);
	assert_int_equal(crc32c(crc32c(0, s, 3), s + 3, 6), 0xe3069283u);
	/* Raw forms: no inversion. */
	assert_int_equal(~crc32_le(~0u, s, 9), 0xcbf43926u);
	assert_int_equal(~crc32c_le(~0u, s, 9), 0xe3069283u);
	/* The 32 zero bytes vector from RFC 3720 (iSCSI). */
	uint8_t zeros[32] = { 0 };
	assert_int_equal(crc32c(0, zeros, 32), 0x8a9136aau);
}

/* ---- GUIDs ---------------------------------------------------------------- */

static void test_guid_text(void **state)
{
	(void)state;
	struct gpt_guid g;
	char s[GPT_GUID_STR_LEN + 1];

	assert_int_equal(gpt_guid_parse("6f70656e-7600-4000-8000-000000000002", 36, &g), 0);
	static const uint8_t want[16] = { 0x6e, 0x65, 0x70, 0x6f, 0x00, 0x76, 0x00, 0x40,
					  0x80, 0x00, 0, 0, 0, 0, 0, 0x02 };
	assert_memory_equal(g.b, want, 16);
	guid_str(&g, s);
	assert_string_equal(s, "6f70656e-7600-4000-8000-000000000002");

	/* Upper case is accepted; output is lower case. NUL ends the string early. */
	assert_int_equal(gpt_guid_parse("BC13C2FF-59E6-4262-A352-B275FD6F7172", 100, &g), 0);
	guid_str(&g, s);
	assert_string_equal(s, "bc13c2ff-59e6-4262-a352-b275fd6f7172");

	/* Malformed. */
	assert_int_equal(gpt_guid_parse("6f70656e-7600-4000-8000-00000000000", 35, &g), -EINVAL);
	assert_int_equal(gpt_guid_parse("6f70656e-7600-4000-8000-0000000000021", 37, &g),
			 -EINVAL);
	assert_int_equal(gpt_guid_parse("6f70656e+7600-4000-8000-000000000002", 36, &g),
			 -EINVAL);
	assert_int_equal(gpt_guid_parse("6f70656g-7600-4000-8000-000000000002", 36, &g),
			 -EINVAL);
	assert_int_equal(gpt_guid_parse("", 0, &g), -EINVAL);

	struct gpt_guid z = { { 0 } };
	assert_true(gpt_guid_is_zero(&z));
	assert_false(gpt_guid_is_zero(&g));
	assert_true(gpt_guid_equal(&g, &g));
	assert_false(gpt_guid_equal(&g, &z));
}

/* ---- Good tables ---------------------------------------------------------- */

static int file_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
	FILE *f = ctx;
	if (fseek(f, (long)(lba * SECTOR), SEEK_SET) != 0)
		return -EIO;
	return fread(buf, SECTOR, count, f) == count ? 0 : -EIO;
}

/* The real image's layout (image/mkimage.py), made by sgdisk. */
static void test_openv_layout(void **state)
{
	(void)state;
	/* 326 MiB sparse: read through the file, not into memory. */
	char path[512];
	snprintf(path, sizeof path, "%s/gpt-openv.img", UNIT_FIXTURES);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	assert_int_equal(size, 326L << 20);

	struct gpt_io io = {
		.read = file_read, .alloc = malloc, .free = free, .ctx = f,
		.sector_size = SECTOR, .disk_sectors = (uint64_t)size / SECTOR,
	};
	struct gpt_table t;
	struct gpt_part p[8];
	assert_int_equal(gpt_read(&io, &t, p, 8), 0);
	assert_true(t.found);
	assert_true(t.primary_ok);
	assert_true(t.backup_ok);
	assert_false(t.using_backup);
	assert_int_equal(t.nparts, 4);
	assert_int_equal(t.stored, 4);
	assert_int_equal(t.hdr.num_entries, 128);
	assert_int_equal(t.hdr.entry_size, 128);
	assert_int_equal(t.hdr.alternate_lba, 667647);

	char s[GPT_GUID_STR_LEN + 1];
	guid_str(&t.hdr.disk_guid, s);
	assert_string_equal(s, "6f70656e-7600-4000-8000-000000000000");

	static const struct {
		const char *name, *type, *uuid;
		uint64_t first, count;
	} want[4] = {
		{ "boot", "bc13c2ff-59e6-4262-a352-b275fd6f7172",
		  "6f70656e-7600-4000-8000-000000000001", 2048, 16 * 2048 },
		{ "root", "72ec70a6-cf74-40e6-bd49-4bda08e8f224",
		  "6f70656e-7600-4000-8000-000000000002", 2048 + 16 * 2048, 48 * 2048 },
		{ "root-verity", "b6ed5582-440b-4209-b8da-5ff7c419ea3d",
		  "6f70656e-7600-4000-8000-000000000003", 2048 + 64 * 2048, 4 * 2048 },
		{ "data", "0fc63daf-8483-4772-8e79-3d69d8477de4",
		  "6f70656e-7600-4000-8000-000000000004", 2048 + 68 * 2048, 256 * 2048 },
	};
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(p[i].number, i + 1);
		assert_string_equal(p[i].name, want[i].name);
		guid_str(&p[i].type, s);
		assert_string_equal(s, want[i].type);
		guid_str(&p[i].uuid, s);
		assert_string_equal(s, want[i].uuid);
		assert_int_equal(p[i].first_lba, want[i].first);
		assert_int_equal(p[i].last_lba, want[i].first + want[i].count - 1);
	}
	/* -A1:set:2: legacy BIOS bootable. */
	assert_int_equal(p[0].attributes, 1u << 2);
	assert_int_equal(p[1].attributes, 0);
	fclose(f);
}

static void test_small_and_names(void **state)
{
	(void)state;
	struct disk d = load_disk("gpt-small.img");
	struct gpt_table t;
	struct gpt_part p[8];
	assert_int_equal(read_table(&d, &t, p, 8), 0);
	assert_int_equal(t.nparts, 3);
	assert_string_equal(p[0].name, "boot");
	/* "données": é is not ASCII. */
	assert_string_equal(p[2].name, "donn?es");
	/* Fewer slots than partitions: the first ones are stored, all are counted. */
	assert_int_equal(read_table(&d, &t, p, 2), 0);
	assert_int_equal(t.nparts, 3);
	assert_int_equal(t.stored, 2);
	assert_int_equal(p[1].number, 2);
	free(d.data);
}

/* Sparse numbering: sgdisk can leave holes; numbers follow the entry index. */
static void test_many_partitions(void **state)
{
	(void)state;
	struct disk d = load_disk("gpt-many.img");
	struct gpt_table t;
	struct gpt_part p[32];
	assert_int_equal(read_table(&d, &t, p, 32), 0);
	assert_int_equal(t.nparts, 20);
	for (unsigned i = 0; i < 20; i++) {
		assert_int_equal(p[i].number, i + 1);
		assert_int_equal(p[i].first_lba, 2048 + 64 * i);
	}
	/* Drop entry 5 (number 6): the next used entry keeps number 7. */
	memset(entry(&d, 1, 5), 0, 128);
	fix_array_crc(&d, 1);
	assert_int_equal(read_table(&d, &t, p, 32), 0);
	assert_int_equal(t.nparts, 19);
	assert_int_equal(p[5].number, 7);
	free(d.data);
}

/* ---- Damaged tables ------------------------------------------------------- */

static void expect_backup_used(struct disk *d)
{
	struct gpt_table t;
	struct gpt_part p[8];
	assert_int_equal(read_table(d, &t, p, 8), 0);
	assert_false(t.primary_ok);
	assert_true(t.backup_ok);
	assert_true(t.using_backup);
	assert_int_equal(t.hdr.my_lba, backup_lba(d));
	assert_int_equal(t.nparts, 3);
	assert_int_equal(p[1].first_lba, 4096);
}

static void test_primary_header_crc(void **state)
{
	(void)state;
	struct disk d = load_disk("gpt-small.img");
	sector(&d, 1)[40] ^= 1;		/* first usable LBA, CRC left stale */
	expect_backup_used(&d);
	free(d.data);
}

static void test_primary_array_crc(void **state)
{
	(void)state;
	struct disk d = load_disk("gpt-small.img");
	entry(&d, 1, 1)[32] ^= 0x10;	/* partition 2's first LBA */
	expect_backup_used(&d);
	free(d.data);
}

static void test_primary_missing(void **state)
{
	(void)state;
	struct disk d = load_disk("gpt-small.img");
	memset(sector(&d, 1), 0, SECTOR);
	struct gpt_table t;
	struct gpt_part p[8];
	assert_int_equal(read_table(&d, &t, p, 8), 0);
	assert_true(t.found);
	assert_true(t.using_backup);
	free(d.data);
}

static void test_primary_read_error(void **state)
{
	(void)state;
	struct disk d = load_disk("gpt-small.img");
	d.fail_lba = 1;
	expect_backup_used(&d);
	free(d.data);
}

/* The backup header copied over the primary: valid CRC, wrong location. */
static void test_primary_wrong_my_lba(void **state)
{
	(void)state;
	struct disk d = load_disk("gpt-small.img");
	memcpy(sector(&d, 1), sector(&d, backup_lba(&d)), SECTOR);
	expect_backup_used(&d);
	free(d.data);
}

static void test_backup_bad_primary_good(void **state)
{
	(void)state;
	struct disk d = load_disk("gpt-small.img");
	sector(&d, backup_lba(&d))[100 % 92] ^= 0xff;
	struct gpt_table t;
	struct gpt_part p[8];
	assert_int_equal(read_table(&d, &t, p, 8), 0);
	assert_true(t.primary_ok);
	assert_false(t.backup_ok);
	assert_false(t.using_backup);
	assert_int_equal(t.nparts, 3);
	free(d.data);
}

static void test_both_bad(void **state)
{
	(void)state;
	struct disk d = load_disk("gpt-small.img");
	sector(&d, 1)[60] ^= 1;
	sector(&d, backup_lba(&d))[60] ^= 1;
	struct gpt_table t;
	struct gpt_part p[8];
	assert_int_equal(read_table(&d, &t, p, 8), -EINVAL);
	assert_true(t.found);
	assert_false(t.primary_ok);
	assert_false(t.backup_ok);
	assert_int_equal(t.stored, 0);
	free(d.data);
}

static void test_no_gpt(void **state)
{
	(void)state;
	struct disk d = { .fail_lba = -1, .sectors = 2048 };
	d.data = calloc(d.sectors, SECTOR);
	struct gpt_table t;
	struct gpt_part p[8];
	assert_int_equal(read_table(&d, &t, p, 8), -ENOENT);
	assert_false(t.found);
	/* Too small to hold a GPT at all. */
	d.sectors = 3;
	assert_int_equal(read_table(&d, &t, p, 8), -EINVAL);
	free(d.data);
}

/* An image cut short: the primary's alternate LBA and usable range lie past the end, and the
 * last sector holds partition data, not a header. */
static void test_truncated(void **state)
{
	(void)state;
	struct disk d = load_disk("gpt-small.img");
	d.sectors = 5000;
	struct gpt_table t;
	struct gpt_part p[8];
	assert_int_equal(read_table(&d, &t, p, 8), -EINVAL);
	assert_true(t.found);
	/* Truncated to less than the entry array. */
	d.sectors = 20;
	assert_int_equal(read_table(&d, &t, p, 8), -EINVAL);
	free(d.data);
}

/* A read failing mid-array is an I/O error, not a corrupt table. */
static void test_read_errors(void **state)
{
	(void)state;
	struct disk d = load_disk("gpt-small.img");
	d.fail_lba = 10;		/* in the primary array only */
	expect_backup_used(&d);
	d.fail_lba = -1;
	memset(sector(&d, backup_lba(&d)), 0, SECTOR);
	d.fail_lba = 10;
	struct gpt_table t;
	struct gpt_part p[8];
	assert_int_equal(read_table(&d, &t, p, 8), -EIO);
	free(d.data);
}

/* Header fields that are well-formed for CRC purposes but out of range. */
static void expect_header_rejected(void (*mutate)(uint8_t *h))
{
	struct disk d = load_disk("gpt-small.img");
	uint8_t *h = sector(&d, 1);
	mutate(h);
	fix_header_crc(&d, 1);
	struct gpt_header hdr;
	assert_int_equal(gpt_parse_header(h, SECTOR, 1, d.sectors, &hdr), -EINVAL);
	expect_backup_used(&d);
	free(d.data);
}

static void m_huge_count(uint8_t *h) { put32(h + 80, 0xffffffffu); }
static void m_count_over_limit(uint8_t *h) { put32(h + 80, GPT_MAX_ARRAY_BYTES / 128 + 1); }
static void m_entry_size_odd(uint8_t *h) { put32(h + 84, 136); }
static void m_entry_size_small(uint8_t *h) { put32(h + 84, 64); }
static void m_entry_size_huge(uint8_t *h) { put32(h + 84, 0x80000000u); }
static void m_header_small(uint8_t *h) { put32(h + 12, 91); }
static void m_header_big(uint8_t *h) { put32(h + 12, SECTOR + 1); }
static void m_revision(uint8_t *h) { put32(h + 8, 0x00020000); }
static void m_alt_past_end(uint8_t *h) { put64(h + 32, 1u << 20); }
static void m_alt_self(uint8_t *h) { put64(h + 32, 1); }
static void m_usable_inverted(uint8_t *h) { put64(h + 40, 6000); put64(h + 48, 5000); }
static void m_usable_past_end(uint8_t *h) { put64(h + 48, 8192); }
static void m_usable_covers_header(uint8_t *h) { put64(h + 40, 1); }
static void m_array_in_usable(uint8_t *h) { put64(h + 72, 100); }
static void m_array_past_end(uint8_t *h) { put64(h + 72, 8190); }
static void m_array_on_header(uint8_t *h) { put64(h + 72, 1); }
static void m_array_huge_lba(uint8_t *h) { put64(h + 72, UINT64_MAX - 2); }

static void test_header_fields(void **state)
{
	(void)state;
	expect_header_rejected(m_huge_count);
	expect_header_rejected(m_count_over_limit);
	expect_header_rejected(m_entry_size_odd);
	expect_header_rejected(m_entry_size_small);
	expect_header_rejected(m_entry_size_huge);
	expect_header_rejected(m_header_small);
	expect_header_rejected(m_header_big);
	expect_header_rejected(m_revision);
	expect_header_rejected(m_alt_past_end);
	expect_header_rejected(m_alt_self);
	expect_header_rejected(m_usable_inverted);
	expect_header_rejected(m_usable_past_end);
	expect_header_rejected(m_usable_covers_header);
	expect_header_rejected(m_array_in_usable);
	expect_header_rejected(m_array_past_end);
	expect_header_rejected(m_array_on_header);
	expect_header_rejected(m_array_huge_lba);
}

/* A larger (legal) header: the CRC covers header_size bytes. */
static void test_header_size_larger(void **state)
{
	(void)state;
	struct disk d = load_disk("gpt-small.img");
	put32(sector(&d, 1) + 12, 120);
	fix_header_crc(&d, 1);
	struct gpt_table t;
	struct gpt_part p[8];
	assert_int_equal(read_table(&d, &t, p, 8), 0);
	assert_true(t.primary_ok);
	assert_int_equal(t.hdr.header_size, 120);
	free(d.data);
}

/* Entries with valid CRCs that break the rules, in both copies: not trusted at all. */
static void expect_entries_rejected(void (*mutate)(struct disk *d, uint64_t lba))
{
	struct disk d = load_disk("gpt-small.img");
	uint64_t copies[2] = { 1, backup_lba(&d) };
	for (int c = 0; c < 2; c++) {
		mutate(&d, copies[c]);
		fix_array_crc(&d, copies[c]);
	}
	struct gpt_table t;
	struct gpt_part p[8];
	assert_int_equal(read_table(&d, &t, p, 8), -EINVAL);
	assert_true(t.found);
	assert_int_equal(t.stored, 0);
	free(d.data);
}

static void e_overlap(struct disk *d, uint64_t lba) { put64(entry(d, lba, 1) + 32, 4095); }
static void e_overlap_contained(struct disk *d, uint64_t lba)
{
	put64(entry(d, lba, 2) + 32, 2100);
	put64(entry(d, lba, 2) + 40, 2200);
}
static void e_before_usable(struct disk *d, uint64_t lba) { put64(entry(d, lba, 0) + 32, 33); }
static void e_after_usable(struct disk *d, uint64_t lba) { put64(entry(d, lba, 2) + 40, 8159); }
static void e_inverted(struct disk *d, uint64_t lba) { put64(entry(d, lba, 2) + 40, 6143); }
static void e_huge_last(struct disk *d, uint64_t lba) { put64(entry(d, lba, 2) + 40, UINT64_MAX); }

static void test_entries_rules(void **state)
{
	(void)state;
	expect_entries_rejected(e_overlap);
	expect_entries_rejected(e_overlap_contained);
	expect_entries_rejected(e_before_usable);
	expect_entries_rejected(e_after_usable);
	expect_entries_rejected(e_inverted);
	expect_entries_rejected(e_huge_last);
}

/* Bad entries in the primary only: the backup is used. */
static void test_entries_primary_only(void **state)
{
	(void)state;
	struct disk d = load_disk("gpt-small.img");
	e_overlap(&d, 1);
	fix_array_crc(&d, 1);
	expect_backup_used(&d);
	free(d.data);
}

/* Zero entries is a legal, empty table. */
static void test_zero_entries(void **state)
{
	(void)state;
	struct disk d = load_disk("gpt-small.img");
	uint64_t copies[2] = { 1, backup_lba(&d) };
	for (int c = 0; c < 2; c++) {
		put32(sector(&d, copies[c]) + 80, 0);
		fix_array_crc(&d, copies[c]);
	}
	struct gpt_table t;
	struct gpt_part p[8];
	assert_int_equal(read_table(&d, &t, p, 8), 0);
	assert_int_equal(t.nparts, 0);
	free(d.data);
}

/* The piecewise API on its own. */
static void test_get_entry_bounds(void **state)
{
	(void)state;
	struct disk d = load_disk("gpt-small.img");
	struct gpt_header h;
	assert_int_equal(gpt_parse_header(sector(&d, 1), SECTOR, 1, d.sectors, &h), 0);
	assert_int_equal(gpt_entries_bytes(&h), 128 * 128);
	assert_int_equal(gpt_entries_sectors(&h, SECTOR), 32);
	const uint8_t *array = sector(&d, h.entries_lba);
	assert_int_equal(gpt_check_entries(&h, array, gpt_entries_bytes(&h)), 3);
	assert_int_equal(gpt_check_entries(&h, array, gpt_entries_bytes(&h) - 1), -EINVAL);
	struct gpt_part p;
	assert_int_equal(gpt_get_entry(&h, array, gpt_entries_bytes(&h), 0, &p), 1);
	assert_int_equal(gpt_get_entry(&h, array, gpt_entries_bytes(&h), 3, &p), 0);
	assert_int_equal(gpt_get_entry(&h, array, gpt_entries_bytes(&h), 128, &p), -EINVAL);
	assert_int_equal(gpt_get_entry(&h, array, 256, 2, &p), -EINVAL);
	/* Read at the wrong LBA. */
	assert_int_equal(gpt_parse_header(sector(&d, 1), SECTOR, 2, d.sectors, &h), -EINVAL);
	/* Not a GPT. */
	assert_int_equal(gpt_parse_header(sector(&d, 0), SECTOR, 1, d.sectors, &h), -ENOENT);
	/* Bad sector size. */
	assert_int_equal(gpt_parse_header(sector(&d, 1), 768, 1, d.sectors, &h), -EINVAL);
	free(d.data);
}

/* Names: stop at NUL, full 36 units without NUL, surrogate pairs as one '?'. */
static void test_names(void **state)
{
	(void)state;
	struct disk d = load_disk("gpt-small.img");
	uint8_t *e = entry(&d, 1, 0);
	for (unsigned i = 0; i < 36; i++) {
		e[56 + 2 * i] = (uint8_t)('a' + i % 26);
		e[56 + 2 * i + 1] = 0;
	}
	/* U+1F600 as a surrogate pair, at units 2 and 3. */
	e[56 + 4] = 0x3d; e[56 + 5] = 0xd8;
	e[56 + 6] = 0x00; e[56 + 7] = 0xde;
	fix_array_crc(&d, 1);
	struct gpt_table t;
	struct gpt_part p[8];
	assert_int_equal(read_table(&d, &t, p, 8), 0);
	assert_int_equal(strlen(p[0].name), 35);
	assert_int_equal(memcmp(p[0].name, "ab?efg", 6), 0);
	free(d.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32_vectors),
		cmocka_unit_test(test_guid_text),
		cmocka_unit_test(test_openv_layout),
		cmocka_unit_test(test_small_and_names),
		cmocka_unit_test(test_many_partitions),
		cmocka_unit_test(test_primary_header_crc),
		cmocka_unit_test(test_primary_array_crc),
		cmocka_unit_test(test_primary_missing),
		cmocka_unit_test(test_primary_read_error),
		cmocka_unit_test(test_primary_wrong_my_lba),
		cmocka_unit_test(test_backup_bad_primary_good),
		cmocka_unit_test(test_both_bad),
		cmocka_unit_test(test_no_gpt),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_read_errors),
		cmocka_unit_test(test_header_fields),
		cmocka_unit_test(test_header_size_larger),
		cmocka_unit_test(test_entries_rules),
		cmocka_unit_test(test_entries_primary_only),
		cmocka_unit_test(test_zero_entries),
		cmocka_unit_test(test_get_entry_bounds),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
