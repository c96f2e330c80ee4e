/*
 * Unit tests for the dm-verity code the kernel runs: kernel/lib/sha256.c, kernel/lib/verity.c
 * (the verity target's arguments and the hash tree check) and kernel/lib/dm_table.c
 * (dm-mod.create=).
 *
 * The trees are made by block.mk with `veritysetup format` (cryptsetup: the reference
 * writer), so the verifier is checked against a third-party tree; corruptions are applied to
 * in-memory copies.
 */
#include "test_util.h"

#include "errno.h"
#include "sha256.h"
#include "verity.h"

#define BS 4096u

/* ---- SHA-256 (FIPS 180-4 examples) ---------------------------------------- */

static void hex(const uint8_t *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void check_sha(const void *data, size_t len, const char *want)
{
	uint8_t d[32];
	char h[65];
	sha256(data, len, d);
	hex(d, 32, h);
	assert_string_equal(h, want);
}

static void test_sha256_vectors(void **state)
{
	(void)state;
	check_sha("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check_sha("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	check_sha(m, strlen(m), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	char *a = malloc(1000000);
	assert_non_null(a);
	memset(a, 'a', 1000000);
	check_sha(a, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(a);
}

static void test_sha256_incremental(void **state)
{
	(void)state;
	uint8_t buf[1000];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	uint8_t want[32], got[32];
	sha256(buf, sizeof buf, want);
	/* Every split point, including those at and around the 64-byte block and the padding
	 * boundary (55/56 bytes). */
	for (size_t cut = 0; cut <= 200; cut++) {
		struct sha256_ctx c;
		sha256_init(&c);
		sha256_update(&c, buf, cut);
		sha256_update(&c, buf + cut, sizeof buf - cut);
		sha256_final(&c, got);
		assert_memory_equal(got, want, 32);
	}
	for (size_t len = 50; len < 70; len++) {
		struct sha256_ctx c;
		sha256_init(&c);
		for (size_t i = 0; i < len; i++)
			sha256_update(&c, buf + i, 1);
		sha256_final(&c, got);
		sha256(buf, len, want);
		assert_memory_equal(got, want, 32);
	}
}

/* The Zbb build's source (lib/sha256_zbb.c, compiled plainly here): the same digests through
 * sha256_set_compress, and back; and the riscv,isa parsing that picks it. */
static void test_sha256_compress_switch(void **state)
{
	(void)state;
	sha256_set_compress(sha256_compress_zbb);
	test_sha256_vectors(state);
	test_sha256_incremental(state);
	sha256_set_compress(NULL);
	check_sha("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *qemu = "rv64imafdch_zicbom_zicboz_zicsr_zifencei_zihintpause_zawrs_zfa_zba_zbb_zbc_zbs_sstc";
	assert_true(sha256_isa_has(qemu, "zbb"));
	assert_true(sha256_isa_has(qemu, "sstc"));
	assert_true(sha256_isa_has("rv64gc_zbb", "zbb"));
	assert_false(sha256_isa_has(qemu, "zb"));
	assert_false(sha256_isa_has("rv64imafdc_zbbx", "zbb"));
	assert_false(sha256_isa_has("rv64imafdczbb", "zbb"));
	assert_false(sha256_isa_has("rv64imafdc", "zbb"));
	assert_false(sha256_isa_has(NULL, "zbb"));
}

/* ---- dm-mod.create= -------------------------------------------------------- */

static void test_dm_create_parse(void **state)
{
	(void)state;
	struct dm_create_dev d[DM_MAX_DEVICES];
	const char *err;
	char s1[] = "vroot,,,ro,0 98304 verity 1 /dev/vda2 /dev/vda3 4096 4096 12288 1 sha256 aa bb";
	assert_int_equal(dm_parse_create(s1, d, DM_MAX_DEVICES, &err), 1);
	assert_string_equal(d[0].name, "vroot");
	assert_string_equal(d[0].uuid, "");
	assert_int_equal(d[0].minor, -1);
	assert_true(d[0].read_only);
	assert_int_equal(d[0].start, 0);
	assert_int_equal(d[0].len, 98304);
	assert_string_equal(d[0].target, "verity");
	assert_string_equal(d[0].args, "1 /dev/vda2 /dev/vda3 4096 4096 12288 1 sha256 aa bb");

	char s2[] = "a,uuid-a,3,rw,0 8 verity x;b,,,ro,0 16 linear /dev/vdb 0";
	assert_int_equal(dm_parse_create(s2, d, DM_MAX_DEVICES, &err), 2);
	assert_string_equal(d[0].uuid, "uuid-a");
	assert_int_equal(d[0].minor, 3);
	assert_false(d[0].read_only);
	assert_string_equal(d[1].name, "b");
	assert_string_equal(d[1].target, "linear");

	static const char *const bad[] = {
		"", "vroot", "vroot,,,ro", ",,,ro,0 8 verity x", "v,,,rx,0 8 verity x",
		"v,,,ro,0 8", "v,,,ro,x 8 verity", "v,,,ro,0 0 verity x", "v,,300,ro,0 8 verity x",
		"v,,,ro,0 8 verity a,0 8 verity b", "v,,,ro,0 8 verity x;v,,,ro,0 8 verity y",
		"a/b,,,ro,0 8 verity x", "v,,,ro,0 99999999999999999999 verity x",
		"a,,,ro,0 8 v;b,,,ro,0 8 v;c,,,ro,0 8 v;d,,,ro,0 8 v;e,,,ro,0 8 v",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char buf[256];
		snprintf(buf, sizeof buf, "%s", bad[i]);
		err = NULL;
		assert_int_equal(dm_parse_create(buf, d, DM_MAX_DEVICES, &err), -EINVAL);
		assert_non_null(err);
	}
}

/* ---- The verity target's arguments ------------------------------------------ */

#define ROOT64 "7e685e212e0676b71ce659aaf36a986aebf927c8da7ac9115db9b10b22bd1ac1"

static void test_verity_args(void **state)
{
	(void)state;
	struct verity_params p;
	const char *err;
	char a[] = "1 /dev/vda2 /dev/vda3 4096 4096 12288 1 sha256 " ROOT64 " 0a0B";
	assert_int_equal(verity_parse_args(a, &p, &err), 0);
	assert_int_equal(p.version, 1);
	assert_string_equal(p.data_dev, "/dev/vda2");
	assert_string_equal(p.hash_dev, "/dev/vda3");
	assert_int_equal(p.data_block_size, 4096);
	assert_int_equal(p.data_blocks, 12288);
	assert_int_equal(p.hash_start, 1);
	assert_int_equal(p.root_digest[0], 0x7e);
	assert_int_equal(p.salt_size, 2);
	assert_int_equal(p.salt[1], 0x0b);
	assert_int_equal(p.mode, VERITY_MODE_EIO);

	char b[] = "0 254:2 254:3 512 1024 8 0 sha256 " ROOT64 " - 3 ignore_zero_blocks "
		   "restart_on_corruption check_at_most_once";
	assert_int_equal(verity_parse_args(b, &p, &err), 0);
	assert_int_equal(p.salt_size, 0);
	assert_int_equal(p.mode, VERITY_MODE_RESTART);
	assert_true(p.ignore_zero_blocks && p.check_at_most_once);
	char c[] = "1 a b 4096 4096 8 1 sha256 " ROOT64 " - 1 panic_on_corruption";
	assert_int_equal(verity_parse_args(c, &p, &err), 0);
	assert_int_equal(p.mode, VERITY_MODE_PANIC);
	char d[] = "1 a b 4096 4096 8 1 sha256 " ROOT64 " - 1 ignore_corruption";
	assert_int_equal(verity_parse_args(d, &p, &err), 0);
	assert_int_equal(p.mode, VERITY_MODE_LOGGING);

	static const struct {
		const char *args, *err;
	} bad[] = {
		{ "2 a b 4096 4096 8 1 sha256 " ROOT64 " -", "Invalid version" },
		{ "1 a b 3000 4096 8 1 sha256 " ROOT64 " -", "Invalid data device block size" },
		{ "1 a b 4096 8192 8 1 sha256 " ROOT64 " -", "Invalid hash device block size" },
		{ "1 a b 4096 4096 0 1 sha256 " ROOT64 " -", "Invalid data blocks" },
		{ "1 a b 4096 4096 8 x sha256 " ROOT64 " -", "Invalid hash start" },
		{ "1 a b 4096 4096 8 1 sha1 " ROOT64 " -", "Cannot initialize hash function" },
		{ "1 a b 4096 4096 8 1 sha256 7e68 -", "Invalid root digest" },
		{ "1 a b 4096 4096 8 1 sha256 " ROOT64 " abc", "Invalid salt" },
		{ "1 a b 4096 4096 8 1 sha256 " ROOT64 " zz", "Invalid salt" },
		{ "1 a b 4096 4096 8 1 sha256 " ROOT64, "Not enough arguments" },
		{ "1 a b 4096 4096 8 1 sha256 " ROOT64 " - 2 ignore_corruption",
		  "Not enough feature arguments" },
		{ "1 a b 4096 4096 8 1 sha256 " ROOT64 " - 1 use_fec_from_device",
		  "Unrecognized verity feature request" },
		{ "1 a b 4096 4096 8 1 sha256 " ROOT64 " - x", "Invalid number of feature args" },
		{ "1 a b 4096 4096 8 1 sha256 " ROOT64 " - 0 extra", "Too many arguments" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char buf[256];
		snprintf(buf, sizeof buf, "%s", bad[i].args);
		err = NULL;
		assert_int_equal(verity_parse_args(buf, &p, &err), -EINVAL);
		assert_non_null(err);
		assert_string_equal(err, bad[i].err);
	}
}

/* ---- The tree check, on veritysetup's trees --------------------------------- */

struct image {
	uint8_t *data, *hash;
	size_t data_len, hash_len;
	char table[512];		/* the target arguments */
	int hash_fail;			/* a read of this hash block fails (-1: none) */
	unsigned hash_reads;
	unsigned ncorrupt;
	enum verity_block_type last_type;
	uint64_t last_block;
	int policy;			/* what corrupted() returns */
};

static int img_read_hash(void *ctx, uint64_t block, void *buf)
{
	struct image *im = ctx;
	im->hash_reads++;
	if ((int64_t)block == im->hash_fail)
		return -EIO;
	if ((block + 1) * BS > im->hash_len)
		return -EIO;
	memcpy(buf, im->hash + block * BS, BS);
	return 0;
}

static int img_corrupted(void *ctx, enum verity_block_type type, uint64_t block)
{
	struct image *im = ctx;
	im->ncorrupt++;
	im->last_type = type;
	im->last_block = block;
	return im->policy;
}

static const struct verity_io img_io = { img_read_hash, img_corrupted };

static char *read_text(const char *name)
{
	size_t len;
	uint8_t *t = read_fixture(name, &len);
	t = realloc(t, len + 1);
	t[len] = 0;
	while (len && (t[len - 1] == '\n' || t[len - 1] == ' '))
		t[--len] = 0;
	return (char *)t;
}

static void load(struct image *im, const char *prefix, const char *opts)
{
	char name[64];
	memset(im, 0, sizeof *im);
	snprintf(name, sizeof name, "%s-data.img", prefix);
	im->data = read_fixture(name, &im->data_len);
	snprintf(name, sizeof name, "%s-hash.img", prefix);
	im->hash = read_fixture(name, &im->hash_len);
	snprintf(name, sizeof name, "%s-root.txt", prefix);
	char *root = read_text(name);
	snprintf(name, sizeof name, "%s-salt.txt", prefix);
	char *salt = read_text(name);
	snprintf(im->table, sizeof im->table, "1 data hash 4096 4096 %zu 1 sha256 %s %s%s%s",
		 im->data_len / BS, root, salt, opts ? " " : "", opts ? opts : "");
	free(root);
	free(salt);
	im->hash_fail = -1;
	im->policy = -EIO;
}

static void unload(struct image *im)
{
	free(im->data);
	free(im->hash);
}

struct tree {
	struct verity_tree v;
	struct verity_cached cache[8];
	uint8_t bufs[8][BS];
	uint8_t bitmap[64];
	uint8_t block[BS];
};

static int setup_tree(struct tree *t, struct image *im, unsigned ncache)
{
	struct verity_params p;
	const char *err = NULL;
	char args[512];
	memset(t, 0, sizeof *t);
	snprintf(args, sizeof args, "%s", im->table);
	assert_int_equal(verity_parse_args(args, &p, &err), 0);
	for (unsigned i = 0; i < 8; i++)
		t->cache[i].data = t->bufs[i];
	assert_true(verity_bitmap_bytes(&p) <= sizeof t->bitmap);
	assert_int_equal(verity_tree_init(&t->v, &p, &img_io, im, t->cache, ncache, t->bitmap,
					  &err), 0);
	return 0;
}

/* Check data block b as the kernel does: read it from the image, then verify. */
static int check(struct tree *t, struct image *im, uint64_t b)
{
	memcpy(t->block, im->data + b * BS, BS);
	return verity_verify_block(&t->v, b, t->block);
}

static void test_good_tree(void **state)
{
	(void)state;
	struct image im;
	struct tree t;
	load(&im, "verity", NULL);
	for (unsigned ncache = 1; ncache <= 8; ncache += 7) {
		setup_tree(&t, &im, ncache);
		assert_int_equal(t.v.levels, 2);
		assert_int_equal(t.v.hash_level_block[1], 1);	/* the top block after the sb */
		assert_int_equal(t.v.hash_level_block[0], 2);
		assert_int_equal(t.v.hash_end * BS, im.hash_len);
		assert_int_equal(verity_check_root(&t.v), 0);
		for (uint64_t b = 0; b < im.data_len / BS; b++)
			assert_int_equal(check(&t, &im, b), 0);
		/* Backwards too (other cache paths). */
		for (uint64_t b = im.data_len / BS; b-- > 0;)
			assert_int_equal(check(&t, &im, b), 0);
		assert_int_equal(im.ncorrupt, 0);
	}
	/* With the whole tree cached, each hash block is read once. */
	im.hash_reads = 0;
	setup_tree(&t, &im, 8);
	for (uint64_t b = 0; b < im.data_len / BS; b++)
		assert_int_equal(check(&t, &im, b), 0);
	assert_int_equal(im.hash_reads, 4);		/* the top block and 3 leaves */
	assert_int_equal(verity_verify_block(&t.v, im.data_len / BS, t.block), -EINVAL);
	unload(&im);
}

static void test_one_block(void **state)
{
	(void)state;
	struct image im;
	struct tree t;
	load(&im, "verity1", NULL);
	setup_tree(&t, &im, 1);
	assert_int_equal(t.v.levels, 0);
	assert_int_equal(verity_check_root(&t.v), 0);
	assert_int_equal(check(&t, &im, 0), 0);
	im.data[100] ^= 1;
	assert_int_equal(check(&t, &im, 0), -EIO);
	assert_int_equal(im.last_type, VERITY_BLOCK_DATA);
	unload(&im);
}

static void test_corrupt_data(void **state)
{
	(void)state;
	struct image im;
	struct tree t;
	load(&im, "verity", NULL);
	setup_tree(&t, &im, 8);
	im.data[250 * BS + 1234] ^= 0x40;
	for (uint64_t b = 0; b < im.data_len / BS; b++) {
		int r = check(&t, &im, b);
		assert_int_equal(r, b == 250 ? -EIO : 0);
	}
	assert_int_equal(im.ncorrupt, 1);
	assert_int_equal(im.last_type, VERITY_BLOCK_DATA);
	assert_int_equal(im.last_block, 250);
	/* Every time it is read, not only the first. */
	assert_int_equal(check(&t, &im, 250), -EIO);
	assert_int_equal(im.ncorrupt, 2);
	/* ignore_corruption: logged, the data returned. */
	im.policy = 0;
	assert_int_equal(check(&t, &im, 250), 0);
	assert_int_equal(im.ncorrupt, 3);
	unload(&im);
}

static void test_corrupt_hash_leaf(void **state)
{
	(void)state;
	struct image im;
	struct tree t;
	load(&im, "verity", NULL);
	/* Leaf 1 (hash block 3) holds the digests of data blocks 128..255. */
	im.hash[3 * BS + 5 * 32] ^= 1;
	for (unsigned ncache = 1; ncache <= 8; ncache += 7) {
		setup_tree(&t, &im, ncache);
		im.ncorrupt = 0;
		for (uint64_t b = 0; b < im.data_len / BS; b++) {
			int r = check(&t, &im, b);
			assert_int_equal(r, b >= 128 && b < 256 ? -EIO : 0);
		}
		assert_int_equal(im.ncorrupt, 128);
		assert_int_equal(im.last_type, VERITY_BLOCK_METADATA);
		assert_int_equal(im.last_block, 3);
	}
	unload(&im);
	/* A byte in the unused tail of the last leaf: the leaf's digest covers it too. */
	load(&im, "verity", NULL);
	im.hash[5 * BS - 1] ^= 1;
	setup_tree(&t, &im, 8);
	assert_int_equal(check(&t, &im, 299), -EIO);
	assert_int_equal(im.last_block, 4);
	unload(&im);
}

static void test_wrong_root_and_corrupt_top(void **state)
{
	(void)state;
	struct image im;
	struct tree t;
	load(&im, "verity", NULL);
	char *root = im.table;
	while (memcmp(root, "sha256 ", 7))
		root++;
	root += 7;
	root[0] = root[0] == '0' ? '1' : '0';
	setup_tree(&t, &im, 8);
	assert_int_equal(verity_check_root(&t.v), -EIO);
	assert_int_equal(im.last_type, VERITY_BLOCK_METADATA);
	assert_int_equal(im.last_block, 1);
	for (uint64_t b = 0; b < im.data_len / BS; b += 37)
		assert_int_equal(check(&t, &im, b), -EIO);
	unload(&im);

	load(&im, "verity", NULL);
	im.hash[1 * BS + 4000] ^= 1;	/* the top block's zero tail */
	setup_tree(&t, &im, 8);
	assert_int_equal(verity_check_root(&t.v), -EIO);
	assert_int_equal(check(&t, &im, 0), -EIO);
	unload(&im);
	/* The superblock is not part of the tree: dm-verity never reads it. */
	load(&im, "verity", NULL);
	im.hash[10] ^= 1;
	setup_tree(&t, &im, 8);
	assert_int_equal(verity_check_root(&t.v), 0);
	assert_int_equal(check(&t, &im, 0), 0);
	unload(&im);
}

static void test_hash_read_error(void **state)
{
	(void)state;
	struct image im;
	struct tree t;
	load(&im, "verity", NULL);
	im.hash_fail = 2;
	setup_tree(&t, &im, 8);
	assert_int_equal(check(&t, &im, 5), -EIO);
	assert_int_equal(im.ncorrupt, 0);		/* an I/O error is not corruption */
	assert_int_equal(check(&t, &im, 200), 0);
	unload(&im);
}

static void test_ignore_zero_blocks(void **state)
{
	(void)state;
	struct image im;
	struct tree t;
	load(&im, "verity", "1 ignore_zero_blocks");
	setup_tree(&t, &im, 8);
	/* Data block 1 is all zero: whatever is read there, zeros are returned. */
	im.data[1 * BS + 9] = 0x55;
	assert_int_equal(check(&t, &im, 1), 0);
	for (unsigned i = 0; i < BS; i++)
		assert_int_equal(t.block[i], 0);
	im.data[2 * BS + 9] ^= 0x55;
	assert_int_equal(check(&t, &im, 2), -EIO);
	unload(&im);
}

static void test_check_at_most_once(void **state)
{
	(void)state;
	struct image im;
	struct tree t;
	load(&im, "verity", "1 check_at_most_once");
	setup_tree(&t, &im, 8);
	assert_int_equal(check(&t, &im, 7), 0);
	im.data[7 * BS] ^= 1;
	assert_int_equal(check(&t, &im, 7), 0);		/* as Linux: verified once, trusted */
	im.data[8 * BS] ^= 1;
	assert_int_equal(check(&t, &im, 8), -EIO);	/* never verified: checked */
	assert_int_equal(check(&t, &im, 8), -EIO);	/* and a failure is not remembered */
	unload(&im);
}

static void test_geometry_limits(void **state)
{
	(void)state;
	struct verity_params p;
	struct verity_tree v;
	struct verity_cached c = { 0 };
	const char *err;
	char a[] = "1 a b 512 512 8000000000000 0 sha256 " ROOT64 " -";
	assert_int_equal(verity_parse_args(a, &p, &err), 0);
	assert_int_equal(verity_tree_init(&v, &p, &img_io, NULL, &c, 1, NULL, &err), 0);
	assert_int_equal(v.hash_per_block_bits, 4);
	assert_true(v.levels >= 11);
	assert_int_equal(verity_tree_init(&v, &p, &img_io, NULL, &c, 0, NULL, &err), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_sha256_incremental),
		cmocka_unit_test(test_sha256_compress_switch),
		cmocka_unit_test(test_dm_create_parse),
		cmocka_unit_test(test_verity_args),
		cmocka_unit_test(test_good_tree),
		cmocka_unit_test(test_one_block),
		cmocka_unit_test(test_corrupt_data),
		cmocka_unit_test(test_corrupt_hash_leaf),
		cmocka_unit_test(test_wrong_root_and_corrupt_top),
		cmocka_unit_test(test_hash_read_error),
		cmocka_unit_test(test_ignore_zero_blocks),
		cmocka_unit_test(test_check_at_most_once),
		cmocka_unit_test(test_geometry_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
