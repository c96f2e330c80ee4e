/*
 * Unit tests for kprintf (kernel/lib/kprintf.c): every combination of
 * flags, width, precision and length modifier the kernel supports is
 * compared with the host's snprintf, which is the reference for C99.
 */
#include "test_util.h"

#include <limits.h>

#include "errno.h"
#include "kprintf.h"

static unsigned compared;

/* Both outputs and return values must match exactly. */
static void compare(const char *fmt, const char *kbuf, int kret,
		    const char *hbuf, int hret)
{
	compared++;
	if (kret != hret || strcmp(kbuf, hbuf) != 0)
		fail_msg("format \"%s\": got %d \"%s\", want %d \"%s\"",
			 fmt, kret, kbuf, hret, hbuf);
}

#define COMPARE(fmt, ...)                                                 \
	do {                                                              \
		char kbuf_[256], hbuf_[256];                              \
		int kret_ = ksnprintf(kbuf_, sizeof(kbuf_), fmt, __VA_ARGS__); \
		int hret_ = snprintf(hbuf_, sizeof(hbuf_), fmt, __VA_ARGS__);  \
		compare(fmt, kbuf_, kret_, hbuf_, hret_);                 \
	} while (0)

/* Call with the '*' arguments the format asks for, then @value. */
#define COMPARE_STARS(fmt, stars, w, p, value)                          \
	do {                                                              \
		switch (stars) {                                          \
		case 0: COMPARE(fmt, value); break;                       \
		case 1: COMPARE(fmt, w, value); break;                    \
		case 2: COMPARE(fmt, p, value); break;                    \
		default: COMPARE(fmt, w, p, value); break;                \
		}                                                         \
	} while (0)

/* ---- Integers: the full cross product ----------------------------------------- */

static const long long values[] = {
	0, 1, -1, 7, 8, 42, -42, 127, 128, -128, 255, 256, 32767, -32768,
	65535, 65536, INT_MAX, INT_MIN, UINT_MAX, 0x123456789LL,
	LLONG_MAX, LLONG_MIN, (long long)0x8000000000000000ull + 1,
};

static const char *const flag_sets[] = {
	"", "-", "0", " ", "+", "#", "-0", "+ ", "0#", "-#", "0+", "- ",
	"-+#0 ",
};
static const char *const widths[] = { "", "1", "6", "25", "*" };
static const char *const precisions[] = { "", ".", ".0", ".1", ".5", ".*" };
static const char *const lengths[] = { "hh", "h", "", "l", "ll", "z", "t", "j" };
static const char conversions[] = "diuxXo";

static bool is_signed_conv(char c)
{
	return c == 'd' || c == 'i';
}

/* Pass @v with the type @len and @conv call for. */
static void compare_integer(const char *fmt, const char *len, char conv,
			    int stars, int w, int p, long long v)
{
	bool s = is_signed_conv(conv);
	unsigned long long u = (unsigned long long)v;

	if (strcmp(len, "hh") == 0 || strcmp(len, "h") == 0 || len[0] == '\0') {
		if (s)
			COMPARE_STARS(fmt, stars, w, p, (int)v);
		else
			COMPARE_STARS(fmt, stars, w, p, (unsigned)u);
	} else if (strcmp(len, "l") == 0) {
		if (s)
			COMPARE_STARS(fmt, stars, w, p, (long)v);
		else
			COMPARE_STARS(fmt, stars, w, p, (unsigned long)u);
	} else if (strcmp(len, "ll") == 0) {
		if (s)
			COMPARE_STARS(fmt, stars, w, p, v);
		else
			COMPARE_STARS(fmt, stars, w, p, u);
	} else if (strcmp(len, "z") == 0) {
		if (s)
			COMPARE_STARS(fmt, stars, w, p, (ptrdiff_t)v);
		else
			COMPARE_STARS(fmt, stars, w, p, (size_t)u);
	} else if (strcmp(len, "t") == 0) {
		COMPARE_STARS(fmt, stars, w, p, (ptrdiff_t)v);
	} else {
		if (s)
			COMPARE_STARS(fmt, stars, w, p, (intmax_t)v);
		else
			COMPARE_STARS(fmt, stars, w, p, (uintmax_t)u);
	}
}

static void test_integers_match_libc(void **state)
{
	(void)state;
	static const int star_widths[] = { 0, 5, -7, 30 };
	static const int star_precisions[] = { 0, 3, -1, 12 };
	char fmt[64];

	for (size_t f = 0; f < sizeof(flag_sets) / sizeof(*flag_sets); f++)
	for (size_t w = 0; w < sizeof(widths) / sizeof(*widths); w++)
	for (size_t p = 0; p < sizeof(precisions) / sizeof(*precisions); p++)
	for (size_t l = 0; l < sizeof(lengths) / sizeof(*lengths); l++)
	for (const char *c = conversions; *c; c++) {
		snprintf(fmt, sizeof(fmt), "[%%%s%s%s%s%c]", flag_sets[f],
			 widths[w], precisions[p], lengths[l], *c);
		int stars = (strchr(widths[w], '*') != NULL) |
			    (strchr(precisions[p], '*') != NULL) << 1;
		for (size_t v = 0; v < sizeof(values) / sizeof(*values); v++) {
			size_t k = v % 4;
			compare_integer(fmt, lengths[l], *c, stars,
					star_widths[k], star_precisions[k],
					values[v]);
		}
	}
	assert_true(compared > 100000);
}

/* ---- Strings, characters, pointers ----------------------------------------------- */

static void test_strings(void **state)
{
	(void)state;
	static const char *const fmts[] = {
		"%s", "%10s", "%-10s", "%.3s", "%.0s", "%10.2s", "%-10.20s",
		"%1s", "<%s|%s>",
	};
	static const char *const strs[] = { "", "a", "hello world", "tab\there" };

	for (size_t f = 0; f < sizeof(fmts) / sizeof(*fmts); f++)
		for (size_t s = 0; s < sizeof(strs) / sizeof(*strs); s++)
			COMPARE(fmts[f], strs[s], strs[s]);
	COMPARE("%*.*s", 12, 4, "truncated string");
	COMPARE("%-*s|", 6, "ab");

	/* Precision bounds the read: no NUL needed past it. */
	char unterminated[3] = { 'x', 'y', 'z' };
	COMPARE("%.3s", unterminated);
	COMPARE("%.2s", unterminated);

	/* NULL: glibc agrees when the precision does not cut "(null)".
	 * (volatile hides the NULL from GCC's format checker.) */
	const char *volatile null_str = NULL;
	COMPARE("%s", null_str);
	COMPARE("%8s", null_str);
	COMPARE("%-8s|", null_str);
}

static void test_chars(void **state)
{
	(void)state;
	static const char *const fmts[] = { "%c", "%3c", "%-3c|", "%c%c" };
	for (size_t f = 0; f < sizeof(fmts) / sizeof(*fmts); f++)
		for (int c = 1; c < 256; c += 37)
			COMPARE(fmts[f], c, c + 1);

	/* A NUL character counts and is stored. */
	char buf[8];
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(ksnprintf(buf, sizeof(buf), "a%cb", 0), 3);
	assert_memory_equal(buf, "a\0b\0", 4);
}

static void test_pointers(void **state)
{
	(void)state;
	int local;
	void *ptrs[] = { &local, (void *)0x1, (void *)0xdeadbeef,
			 (void *)UINTPTR_MAX };

	for (size_t i = 0; i < sizeof(ptrs) / sizeof(*ptrs); i++) {
		COMPARE("%p", ptrs[i]);
		COMPARE("%24p|", ptrs[i]);
		COMPARE("%-24p|", ptrs[i]);
	}

	/* Unlike glibc's "(nil)". */
	char buf[32];
	assert_int_equal(ksnprintf(buf, sizeof(buf), "%p", NULL), 3);
	assert_string_equal(buf, "0x0");
}

static void test_percent_and_text(void **state)
{
	(void)state;
	char buf[64];
	assert_int_equal(ksnprintf(buf, sizeof(buf), "100%%"), 4);
	assert_string_equal(buf, "100%");
	assert_int_equal(ksnprintf(buf, sizeof(buf), "plain"), 5);
	assert_string_equal(buf, "plain");
	const char *empty = "";   /* a literal "" trips -Wformat-zero-length */
	assert_int_equal(ksnprintf(buf, sizeof(buf), empty, 0), 0);
	assert_string_equal(buf, "");
	COMPARE("%d%%%s", 5, "x");
}

/* ---- snprintf buffer semantics --------------------------------------------------- */

static void test_truncation(void **state)
{
	(void)state;
	const char *fmt = "%s-%05d-%x";
	for (size_t size = 0; size < 20; size++) {
		char kbuf[24], hbuf[24];
		memset(kbuf, '#', sizeof(kbuf));
		memset(hbuf, '#', sizeof(hbuf));
		int kret = ksnprintf(kbuf, size, fmt, "abc", 42, 0xbeef);
		int hret = snprintf(hbuf, size, fmt, "abc", 42, 0xbeef);
		assert_int_equal(kret, hret);
		/* Same bytes written, including the NUL and nothing past it. */
		assert_memory_equal(kbuf, hbuf, sizeof(kbuf));
	}
	assert_int_equal(ksnprintf(NULL, 0, "%d", 12345), 5);
}

/* Unsupported or cut-off conversions come out as written. */
static void test_unsupported(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{ "a%fb", "a%fb" }, { "%n", "%n" }, { "%lf", "%lf" },
		{ "%-5", "%-5" }, { "%", "%" }, { "x%", "x%" }, { "%q%d", "%q7" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char buf[32];
		const char *fmt = cases[i][0];   /* non-literal: no -Wformat */
		int ret = ksnprintf(buf, sizeof(buf), fmt, 7);
		assert_string_equal(buf, cases[i][1]);
		assert_int_equal(ret, (int)strlen(cases[i][1]));
	}
}

/* ---- kvformat's sink ------------------------------------------------------------- */

struct collector {
	char text[128];
	size_t len;
	unsigned calls;
};

static void collect(void *ctx, const char *s, size_t n)
{
	struct collector *c = ctx;
	assert_true(n > 0);
	assert_true(c->len + n < sizeof(c->text));
	memcpy(c->text + c->len, s, n);
	c->len += n;
	c->calls++;
}

static int format_to(struct collector *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int ret = kvformat(collect, c, fmt, ap);
	va_end(ap);
	return ret;
}

static void test_sink(void **state)
{
	(void)state;
	struct collector c = { .len = 0 };
	int ret = format_to(&c, "pid %d: %s%40s|", 7, "ok", "");
	assert_int_equal(ret, (int)c.len);
	assert_int_equal(c.len, strlen("pid 7: ") + 2 + 40 + 1);
	assert_memory_equal(c.text, "pid 7: ok", 9);
	assert_true(c.calls >= 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers_match_libc),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_chars),
		cmocka_unit_test(test_pointers),
		cmocka_unit_test(test_percent_and_text),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_sink),
	};
	return cmocka_run_group_tests_name("kprintf", tests, NULL, NULL);
}
