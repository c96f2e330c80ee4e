/*
 * Unit tests for the cpio iterator (kernel/lib/cpio.c).
 *
 * tree.newc / tree.crc are made by GNU cpio at build time from the small
 * tree described in unit.mk; everything malformed is assembled here.
 */
#include "test_util.h"

#include "cpio.h"
#include "errno.h"

/* ---- Collecting what the iterator yields ------------------------------------ */

#define MAX_SEEN 64

struct seen {
	unsigned count;            /* entries returned with 1 */
	unsigned bad;              /* per-entry errors */
	int error;                 /* it.error at the end */
	char names[MAX_SEEN][64];
	struct cpio_entry entries[MAX_SEEN];
};

/* Iterate an exact-size heap copy until cpio_next() says 0. */
static struct seen iterate(const void *archive, size_t len)
{
	struct seen s = { 0 };
	uint8_t *copy = exact_copy(archive, len);
	struct cpio_iter it;
	struct cpio_entry e;
	int r;
	unsigned guard = 0;

	cpio_iter_init(&it, copy, len);
	while ((r = cpio_next(&it, &e)) != 0) {
		assert_true(++guard < 10000);
		if (r < 0) {
			if (!it.done)
				s.bad++;
			continue;
		}
		assert_int_equal(r, 1);
		if (s.count < MAX_SEEN) {
			snprintf(s.names[s.count], sizeof(s.names[0]), "%s", e.name);
			assert_int_equal(strlen(e.name), e.name_len);
			e.name = NULL;   /* points into the copy, freed below */
			e.data = NULL;
			s.entries[s.count] = e;
		}
		s.count++;
	}
	/* Finished means finished. */
	assert_int_equal(cpio_next(&it, &e), 0);
	s.error = it.error;
	free(copy);
	return s;
}

/* ---- Archives made by GNU cpio --------------------------------------------------- */

struct expected_entry {
	const char *name;
	uint32_t type;
	size_t size;
};

static const struct expected_entry tree[] = {
	{ "", CPIO_S_IFDIR, 0 },
	{ "bin", CPIO_S_IFDIR, 0 },
	{ "bin/motd-link", CPIO_S_IFLNK, 11 },
	{ "empty-dir", CPIO_S_IFDIR, 0 },
	{ "empty-file", CPIO_S_IFREG, 0 },
	{ "etc", CPIO_S_IFDIR, 0 },
	{ "etc/init.d", CPIO_S_IFDIR, 0 },
	{ "etc/init.d/rcS", CPIO_S_IFREG, 18 },
	{ "etc/motd", CPIO_S_IFREG, 17 },
	{ "fifo", CPIO_S_IFIFO, 0 },
	{ "numbers.txt", CPIO_S_IFREG, 6393 },   /* seq 1 1500 */
};
#define TREE_ENTRIES (sizeof(tree) / sizeof(tree[0]))

/* Look up @name in the archive and return its data (in @archive). */
static const char *find_data(const uint8_t *archive, size_t len,
			     const char *name, size_t *size)
{
	struct cpio_iter it;
	struct cpio_entry e;
	cpio_iter_init(&it, archive, len);
	while (cpio_next(&it, &e) == 1) {
		if (strcmp(e.name, name) == 0) {
			*size = e.size;
			return e.data;
		}
	}
	fail_msg("%s not in archive", name);
	return NULL;
}

static void check_tree(const char *fixture, bool crc)
{
	size_t len;
	uint8_t *archive = read_fixture(fixture, &len);
	struct seen s = iterate(archive, len);

	assert_int_equal(s.error, 0);
	assert_int_equal(s.bad, 0);
	assert_int_equal(s.count, TREE_ENTRIES);
	for (unsigned i = 0; i < TREE_ENTRIES; i++) {
		assert_string_equal(s.names[i], tree[i].name);
		assert_int_equal(s.entries[i].mode & CPIO_S_IFMT, tree[i].type);
		assert_int_equal(s.entries[i].size, tree[i].size);
		assert_int_equal(s.entries[i].crc_format, crc);
		assert_true(s.entries[i].nlink >= 1);
	}
	assert_true(s.entries[7].mode & 0111);   /* rcS is executable */

	size_t size;
	const char *data = find_data(archive, len, "etc/motd", &size);
	assert_memory_equal(data, "hello, initramfs\n", size);
	data = find_data(archive, len, "bin/motd-link", &size);
	assert_memory_equal(data, "../etc/motd", size);
	data = find_data(archive, len, "numbers.txt", &size);
	assert_memory_equal(data, "1\n2\n3\n", 6);
	assert_memory_equal(data + size - 5, "1500\n", 5);
	free(archive);
}

static void test_newc_tree(void **state)
{
	(void)state;
	check_tree("tree.newc", false);
}

static void test_crc_tree(void **state)
{
	(void)state;
	check_tree("tree.crc", true);
}

/* Linux initramfs: archives back to back, NUL padding in between. */
static void test_concatenated(void **state)
{
	(void)state;
	size_t newc_len, crc_len;
	uint8_t *newc = read_fixture("tree.newc", &newc_len);
	uint8_t *crc = read_fixture("tree.crc", &crc_len);
	uint8_t *both = calloc(1, newc_len + 516 + crc_len);
	assert_non_null(both);

	memcpy(both, newc, newc_len);
	memcpy(both + newc_len + 516, crc, crc_len);
	struct seen s = iterate(both, newc_len + 516 + crc_len);
	assert_int_equal(s.error, 0);
	assert_int_equal(s.count, 2 * TREE_ENTRIES);
	assert_false(s.entries[0].crc_format);
	assert_true(s.entries[TREE_ENTRIES].crc_format);

	/* The second archive must start on a 4-byte boundary. */
	memmove(both + newc_len + 3, crc, crc_len);
	s = iterate(both, newc_len + 3 + crc_len);
	assert_int_equal(s.count, TREE_ENTRIES);
	assert_int_equal(s.error, -EINVAL);

	free(both);
	free(newc);
	free(crc);
}

/* Offset just past the trailer's name: any prefix shorter than that is
 * an archive cut short. */
static size_t trailer_name_end(const uint8_t *archive, size_t len)
{
	for (size_t i = CPIO_HEADER_SIZE; i + 11 <= len; i++)
		if (memcmp(archive + i, "TRAILER!!!", 11) == 0)
			return i + 11;
	fail_msg("no trailer");
	return 0;
}

static void test_every_truncation(void **state)
{
	(void)state;
	size_t len;
	uint8_t *archive = read_fixture("tree.newc", &len);
	size_t complete = trailer_name_end(archive, len);

	for (size_t cut = 1; cut <= len; cut++) {
		struct seen s = iterate(archive, cut);
		if (cut < complete) {
			if (s.error != -EINVAL)
				fail_msg("cut at %zu accepted", cut);
			assert_true(s.count <= TREE_ENTRIES);
		} else {
			assert_int_equal(s.error, 0);
			assert_int_equal(s.count, TREE_ENTRIES);
		}
	}
	free(archive);
}

/* ---- Crafted archives ---------------------------------------------------------- */

struct archive {
	uint8_t data[16384];
	size_t len;
};

struct header {
	const char *magic;
	uint32_t ino, mode, nlink, filesize, rdevmajor, rdevminor, namesize, check;
};

static void put(struct archive *a, const void *data, size_t len)
{
	assert_true(a->len + len <= sizeof(a->data));
	memcpy(a->data + a->len, data, len);
	a->len += len;
}

static void pad4(struct archive *a)
{
	while (a->len % 4)
		a->data[a->len++] = 0;
}

/* Header, @namesize bytes of @name, padding, @size bytes of @data, padding. */
static void put_entry(struct archive *a, const struct header *h,
		      const char *name, const void *data)
{
	char text[CPIO_HEADER_SIZE + 1];
	snprintf(text, sizeof(text),
		 "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 h->magic ? h->magic : "070701", h->ino, h->mode, 0u, 0u,
		 h->nlink, 0x5f000000u, h->filesize, 8u, 1u, h->rdevmajor,
		 h->rdevminor, h->namesize, h->check);
	put(a, text, CPIO_HEADER_SIZE);
	put(a, name, h->namesize);
	pad4(a);
	put(a, data, h->filesize);
	pad4(a);
}

static void add(struct archive *a, uint32_t mode, const char *name,
		const char *data)
{
	struct header h = { .mode = mode, .nlink = 1,
		.filesize = (uint32_t)strlen(data),
		.namesize = (uint32_t)strlen(name) + 1 };
	put_entry(a, &h, name, data);
}

static void add_file(struct archive *a, const char *name, const char *data)
{
	add(a, CPIO_S_IFREG | 0644, name, data);
}

static void add_trailer(struct archive *a)
{
	add(a, 0, "TRAILER!!!", "");
}

static void test_crafted_fields(void **state)
{
	(void)state;
	struct archive a = { .len = 0 };
	struct header dev = { .ino = 0x1234abcd, .mode = CPIO_S_IFCHR | 0600,
		.nlink = 1, .rdevmajor = 5, .rdevminor = 1, .namesize = 8 };
	put_entry(&a, &dev, "dev/tty", "");
	add_trailer(&a);

	struct seen s = iterate(a.data, a.len);
	assert_int_equal(s.count, 1);
	assert_int_equal(s.error, 0);
	const struct cpio_entry *e = &s.entries[0];
	assert_string_equal(s.names[0], "dev/tty");
	assert_int_equal(e->ino, 0x1234abcd);
	assert_int_equal(e->mode, CPIO_S_IFCHR | 0600);
	assert_int_equal(e->mtime, 0x5f000000);
	assert_int_equal(e->devmajor, 8);
	assert_int_equal(e->devminor, 1);
	assert_int_equal(e->rdevmajor, 5);
	assert_int_equal(e->rdevminor, 1);
	assert_false(cpio_is_reg(e) || cpio_is_dir(e) || cpio_is_symlink(e));

	/* Lower-case hex digits are hex digits too. */
	for (size_t i = 6; i < CPIO_HEADER_SIZE; i++)
		if (a.data[i] >= 'A' && a.data[i] <= 'F')
			a.data[i] = (uint8_t)(a.data[i] - 'A' + 'a');
	s = iterate(a.data, a.len);
	assert_int_equal(s.count, 1);
	assert_int_equal(s.entries[0].ino, 0x1234abcd);
}

static void test_name_normalisation(void **state)
{
	(void)state;
	static const char *const in[] = {
		"/abs/path", "./rel", ".//./y", ".", "/", "plain", "a/b/",
		"..hidden", "a/..b", "b..",
	};
	static const char *const out[] = {
		"abs/path", "rel", "y", "", "", "plain", "a/b/",
		"..hidden", "a/..b", "b..",
	};
	struct archive a = { .len = 0 };
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		add_file(&a, in[i], "x");
	add_trailer(&a);

	struct seen s = iterate(a.data, a.len);
	assert_int_equal(s.error, 0);
	assert_int_equal(s.bad, 0);
	assert_int_equal(s.count, sizeof(out) / sizeof(out[0]));
	for (size_t i = 0; i < s.count; i++)
		assert_string_equal(s.names[i], out[i]);
}

/* Unsafe or malformed entries are refused one by one; the rest survive. */
static void test_per_entry_errors(void **state)
{
	(void)state;
	struct archive a = { .len = 0 };
	add_file(&a, "ok1", "1");
	add_file(&a, "..", "x");
	add_file(&a, "../etc/passwd", "x");
	add_file(&a, "a/../../b", "x");
	add_file(&a, "/a/..", "x");
	add(&a, 0000644, "no-type", "x");
	add(&a, 0170644, "bad-type", "x");

	struct header h = { .mode = CPIO_S_IFREG, .nlink = 1, .namesize = 4 };
	put_entry(&a, &h, "abcd", "");          /* namesize without the NUL */
	put_entry(&a, &h, "a\0b", "");          /* NUL inside the name */

	add_file(&a, "ok2", "2");
	add_trailer(&a);

	struct seen s = iterate(a.data, a.len);
	assert_int_equal(s.error, 0);
	assert_int_equal(s.bad, 8);
	assert_int_equal(s.count, 2);
	assert_string_equal(s.names[0], "ok1");
	assert_string_equal(s.names[1], "ok2");
}

static void test_crc_checksums(void **state)
{
	(void)state;
	struct archive a = { .len = 0 };
	struct header good = { .magic = "070702", .mode = CPIO_S_IFREG | 0644,
		.nlink = 1, .filesize = 3, .namesize = 2,
		.check = 'a' + 'b' + 'c' };
	struct header bad = good;
	bad.check++;
	struct header dir = { .magic = "070702", .mode = CPIO_S_IFDIR | 0755,
		.nlink = 2, .namesize = 2, .check = 99 };   /* ignored */

	put_entry(&a, &good, "g", "abc");
	put_entry(&a, &bad, "b", "abc");
	put_entry(&a, &dir, "d", "");
	add_trailer(&a);

	struct seen s = iterate(a.data, a.len);
	assert_int_equal(s.error, 0);
	assert_int_equal(s.bad, 1);
	assert_int_equal(s.count, 2);
	assert_string_equal(s.names[0], "g");
	assert_string_equal(s.names[1], "d");
}

/* Overwrite the byte at @offset of the second entry's header. */
static void expect_fatal_at(size_t offset, uint8_t byte)
{
	struct archive a = { .len = 0 };
	add_file(&a, "first", "1");
	size_t second = a.len;
	add_file(&a, "second", "2");
	add_file(&a, "third", "3");
	add_trailer(&a);
	a.data[second + offset] = byte;

	struct seen s = iterate(a.data, a.len);
	if (s.error != -EINVAL || s.count != 1)
		fail_msg("byte %zu = %#x: error %d after %u entries",
			 offset, byte, s.error, s.count);
}

static void test_fatal_header_errors(void **state)
{
	(void)state;
	expect_fatal_at(5, '7');                  /* 070707: odc */
	expect_fatal_at(0, 'x');                  /* magic */
	expect_fatal_at(6, 'g');                  /* non-hex in ino */
	expect_fatal_at(6 + 8 * 6 + 7, ' ');      /* filesize */
	expect_fatal_at(6 + 8 * 11, '-');         /* namesize */
	expect_fatal_at(6 + 8 * 6, 'F');          /* filesize 0xF..: too big */
	expect_fatal_at(6 + 8 * 11, '8');         /* namesize too big */
}

static void test_namesize_zero(void **state)
{
	(void)state;
	struct archive a = { .len = 0 };
	struct header h = { .mode = CPIO_S_IFREG, .nlink = 1 };
	put_entry(&a, &h, "", "");
	add_trailer(&a);
	struct seen s = iterate(a.data, a.len);
	assert_int_equal(s.error, -EINVAL);
	assert_int_equal(s.count, 0);
}

static void test_padding_and_garbage(void **state)
{
	(void)state;
	struct archive a = { .len = 0 };
	add_file(&a, "f", "data");
	add_trailer(&a);
	size_t end = a.len;

	/* Trailing NULs, even an odd number, are padding. */
	memset(a.data + a.len, 0, 7);
	struct seen s = iterate(a.data, end + 7);
	assert_int_equal(s.error, 0);
	assert_int_equal(s.count, 1);

	/* Anything else after a trailer is not. */
	memcpy(a.data + end + 4, "junk", 4);
	s = iterate(a.data, end + 8);
	assert_int_equal(s.error, -EINVAL);
	assert_int_equal(s.count, 1);

	/* No trailer at all: truncated. */
	s = iterate(a.data, 116);   /* exactly the first entry */
	assert_int_equal(s.count, 1);
	assert_int_equal(s.error, -EINVAL);
}

static void test_empty_inputs(void **state)
{
	(void)state;
	static const uint8_t zeros[64];
	struct seen s = iterate(zeros, 0);
	assert_int_equal(s.count, 0);
	assert_int_equal(s.error, 0);
	s = iterate(zeros, sizeof(zeros));   /* only padding */
	assert_int_equal(s.count, 0);
	assert_int_equal(s.error, 0);

	struct cpio_iter it;
	struct cpio_entry e;
	cpio_iter_init(&it, NULL, 100);
	assert_int_equal(cpio_next(&it, &e), 0);
	assert_int_equal(it.error, 0);

	/* Just a trailer. */
	struct archive a = { .len = 0 };
	add_trailer(&a);
	s = iterate(a.data, a.len);
	assert_int_equal(s.count, 0);
	assert_int_equal(s.error, 0);
}

/* Flip bits across a real archive: the loop must end, nothing read
 * outside the buffer. */
static void test_bit_flips(void **state)
{
	(void)state;
	size_t len;
	uint8_t *archive = read_fixture("tree.crc", &len);
	size_t span = trailer_name_end(archive, len);

	for (size_t i = 0; i < span; i++) {
		for (unsigned bit = 0; bit < 8; bit += 3) {
			archive[i] ^= (uint8_t)(1u << bit);
			struct seen s = iterate(archive, span);
			assert_true(s.count <= TREE_ENTRIES + 1);
			archive[i] ^= (uint8_t)(1u << bit);
		}
	}
	free(archive);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_newc_tree),
		cmocka_unit_test(test_crc_tree),
		cmocka_unit_test(test_concatenated),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_crafted_fields),
		cmocka_unit_test(test_name_normalisation),
		cmocka_unit_test(test_per_entry_errors),
		cmocka_unit_test(test_crc_checksums),
		cmocka_unit_test(test_fatal_header_errors),
		cmocka_unit_test(test_namesize_zero),
		cmocka_unit_test(test_padding_and_garbage),
		cmocka_unit_test(test_empty_inputs),
		cmocka_unit_test(test_bit_flips),
	};
	return cmocka_run_group_tests_name("cpio", tests, NULL, NULL);
}
