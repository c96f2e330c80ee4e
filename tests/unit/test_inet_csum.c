/*
 * Unit tests for the Internet checksum lwIP uses (kernel/lib/inet_csum.c): exactly the value of
 * the definition (16-bit little-endian words from the first byte, a last odd byte padded with
 * zero, end-around carry) for every start alignment and many lengths, random and extreme data,
 * and RFC 1071's worked example.
 */
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

#include "inet_csum.h"

/* The definition, a word at a time. */
static uint16_t reference(const uint8_t *d, size_t len)
{
	uint64_t s = 0;
	for (size_t i = 0; i < len; i += 2)
		s += (uint64_t)d[i] | (i + 1 < len ? (uint64_t)d[i + 1] << 8 : 0);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

#define BUF (70 * 1024)

static uint8_t *random_buffer(unsigned seed)
{
	uint8_t *b = malloc(BUF + 16);
	assert_non_null(b);
	srand(seed);
	for (size_t i = 0; i < BUF + 16; i++)
		b[i] = (uint8_t)rand();
	return b;
}

static void test_every_alignment_short_lengths(void **state)
{
	(void)state;
	uint8_t *b = random_buffer(1);
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len <= 600; len++)
			assert_int_equal(inet_csum(b + off, len), reference(b + off, len));
	free(b);
}

static void test_frame_and_segment_sizes(void **state)
{
	(void)state;
	uint8_t *b = random_buffer(2);
	static const size_t lens[] = { 1023, 1024, 1459, 1460, 1479, 1480, 1499, 1500, 1514,
				       4096, 16384, 16385, 65535, 65536, BUF };
	for (size_t off = 0; off < 16; off++)
		for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
			if (off + lens[i] <= BUF + 16)
				assert_int_equal(inet_csum(b + off, lens[i]),
						 reference(b + off, lens[i]));
	for (int round = 0; round < 2000; round++) {
		size_t off = (size_t)rand() % 16, len = (size_t)rand() % (BUF - 16);
		assert_int_equal(inet_csum(b + off, len), reference(b + off, len));
	}
	free(b);
}

static void test_extreme_data(void **state)
{
	(void)state;
	uint8_t *b = malloc(BUF + 8);
	assert_non_null(b);
	/* All ones: the largest sums, every carry taken. */
	memset(b, 0xff, BUF + 8);
	for (size_t off = 0; off < 8; off++)
		for (size_t len = BUF - 8; len <= BUF; len++)
			assert_int_equal(inet_csum(b + off, len), reference(b + off, len));
	/* All zero sums to 0, never to its other representation 0xffff. */
	memset(b, 0, BUF + 8);
	for (size_t off = 0; off < 8; off++)
		assert_int_equal(inet_csum(b + off, BUF), 0);
	/* One's complement: a sum of 0xffff stays 0xffff. */
	b[0] = 0xff;
	b[1] = 0xff;
	assert_int_equal(inet_csum(b, 2), 0xffff);
	assert_int_equal(inet_csum(b, 64), 0xffff);
	free(b);
}

/* RFC 1071, 3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (here in memory order: f2dd). */
static void test_rfc1071_example(void **state)
{
	(void)state;
	static const uint8_t d[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	uint8_t buf[16];
	for (size_t off = 0; off < 8; off++) {
		memcpy(buf + off, d, sizeof d);
		uint16_t s = inet_csum(buf + off, sizeof d);
		assert_int_equal(s, 0xf2dd);
	}
	/* An IPv4 header whose checksum field (b861) is filled in sums to all ones. */
	static const uint8_t ip[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
				      0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	assert_int_equal(inet_csum(ip, sizeof ip), 0xffff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_alignment_short_lengths),
		cmocka_unit_test(test_frame_and_segment_sizes),
		cmocka_unit_test(test_extreme_data),
		cmocka_unit_test(test_rfc1071_example),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
