/*
 * Unit tests for shebang_parse(): "#!" lines parsed the way Linux's
 * binfmt_script does (first 256 bytes, one optional argument).
 */
#include "test_util.h"

#include "elf.h"
#include "errno.h"

struct parsed {
	int ret;
	char interp[SHEBANG_BUF + 1];
	char arg[SHEBANG_BUF + 1];
	bool has_arg;
};

/* Parse an exact-size heap copy of @len bytes of @text. */
static struct parsed parse_len(const char *text, size_t len)
{
	struct parsed p = { 0 };
	uint8_t *copy = exact_copy(text, len);
	const char *interp, *arg;
	size_t interp_len, arg_len;

	p.ret = shebang_parse((const char *)copy, len, &interp, &interp_len,
			      &arg, &arg_len);
	if (p.ret == 0) {
		assert_true(interp >= (const char *)copy &&
			    interp + interp_len <= (const char *)copy + len);
		memcpy(p.interp, interp, interp_len);
		if (arg) {
			assert_true(arg >= (const char *)copy &&
				    arg + arg_len <= (const char *)copy + len);
			memcpy(p.arg, arg, arg_len);
			p.has_arg = true;
		}
	}
	free(copy);
	return p;
}

static struct parsed parse(const char *text)
{
	return parse_len(text, strlen(text));
}

static void expect(const char *text, const char *interp, const char *arg)
{
	struct parsed p = parse(text);
	assert_int_equal(p.ret, 0);
	assert_string_equal(p.interp, interp);
	if (arg) {
		assert_true(p.has_arg);
		assert_string_equal(p.arg, arg);
	} else {
		assert_false(p.has_arg);
	}
}

static void expect_noexec_len(const char *text, size_t len)
{
	assert_int_equal(parse_len(text, len).ret, -ENOEXEC);
}

static void test_common_lines(void **state)
{
	(void)state;
	expect("#!/bin/sh\necho hi\n", "/bin/sh", NULL);
	expect("#!/bin/sh -e\n", "/bin/sh", "-e");
	expect("#! /bin/sh -x\n", "/bin/sh", "-x");
	expect("#!\t/bin/sh\targ  \n", "/bin/sh", "arg");
	expect("#!/bin/sh  \t \nrest", "/bin/sh", NULL);
	expect("#!/bin/sh", "/bin/sh", NULL);             /* no newline, short */
	expect("#!/bin/sh x", "/bin/sh", "x");
}

/* Everything after the interpreter is ONE argument. */
static void test_single_argument(void **state)
{
	(void)state;
	expect("#!/usr/bin/env python3 -u -B\n", "/usr/bin/env", "python3 -u -B");
	expect("#!/bin/awk  -f  x y  \n", "/bin/awk", "-f  x y");
}

static void test_not_scripts(void **state)
{
	(void)state;
	expect_noexec_len("", 0);
	expect_noexec_len("#", 1);
	expect_noexec_len("#!", 2);
	expect_noexec_len("#!\n", 3);
	expect_noexec_len("#!   \t\n", 7);
	expect_noexec_len("!#/bin/sh\n", 10);
	expect_noexec_len("\x7f" "ELF", 4);
	expect_noexec_len("#!\0/bin/sh\n", 11);
	assert_int_equal(shebang_parse(NULL, 0, NULL, NULL, NULL, NULL), -ENOEXEC);
}

/* Only @len bytes exist, whatever follows in memory. */
static void test_respects_length(void **state)
{
	(void)state;
	struct parsed p = parse_len("#!/bin/sh -x\n", 9);
	assert_int_equal(p.ret, 0);
	assert_string_equal(p.interp, "/bin/sh");
	assert_false(p.has_arg);
}

/* Carriage returns and NULs are not special-cased away. */
static void test_odd_bytes(void **state)
{
	(void)state;
	expect("#!/bin/sh\r\n", "/bin/sh\r", NULL);

	/* A NUL ends the interpreter and means there is no argument. */
	struct parsed p = parse_len("#!/bin/s\0h x\n", 13);
	assert_int_equal(p.ret, 0);
	assert_string_equal(p.interp, "/bin/s");
	assert_false(p.has_arg);

	/* A NUL inside the argument cuts it. */
	p = parse_len("#!/bin/sh a\0b\n", 14);
	assert_string_equal(p.arg, "a");

	/* Linux passes an empty argument here. */
	p = parse_len("#!/bin/sh \0\n", 12);
	assert_int_equal(p.ret, 0);
	assert_true(p.has_arg);
	assert_string_equal(p.arg, "");
}

static char *repeat(char *dst, char c, size_t n)
{
	memset(dst, c, n);
	return dst + n;
}

/* Lines longer than the buffer: a cut argument is fine, a cut
 * interpreter is not. */
static void test_long_lines(void **state)
{
	(void)state;
	char buf[600];
	char *end;

	end = repeat(buf, 'a', 300);
	memcpy(buf, "#!/", 3);
	*end = '\n';
	expect_noexec_len(buf, 301);

	memcpy(buf, "#!/bin/sh ", 10);
	end = repeat(buf + 10, 'x', 400);
	*end = '\n';
	struct parsed p = parse_len(buf, 411);
	assert_int_equal(p.ret, 0);
	assert_string_equal(p.interp, "/bin/sh");
	assert_int_equal(strlen(p.arg), SHEBANG_BUF - 1 - 10);

	/* A blank as the very last byte read still ends the interpreter. */
	memcpy(buf, "#!/", 3);
	end = repeat(buf + 3, 'b', SHEBANG_BUF - 4);
	*end++ = ' ';
	repeat(end, 'c', 20);
	p = parse_len(buf, SHEBANG_BUF + 20);
	assert_int_equal(p.ret, 0);
	assert_int_equal(strlen(p.interp), SHEBANG_BUF - 3);
	assert_false(p.has_arg);

	/* Blanks all the way: no interpreter. */
	memcpy(buf, "#!", 2);
	repeat(buf + 2, ' ', 400);
	expect_noexec_len(buf, 402);

	/* A newline just inside the buffer ends the line there. */
	memcpy(buf, "#!/bin/sh ", 10);
	end = repeat(buf + 10, 'y', SHEBANG_BUF - 11);
	*end = '\n';
	p = parse_len(buf, SHEBANG_BUF);
	assert_int_equal(p.ret, 0);
	assert_int_equal(strlen(p.arg), SHEBANG_BUF - 11);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_common_lines),
		cmocka_unit_test(test_single_argument),
		cmocka_unit_test(test_not_scripts),
		cmocka_unit_test(test_respects_length),
		cmocka_unit_test(test_odd_bytes),
		cmocka_unit_test(test_long_lines),
	};
	return cmocka_run_group_tests_name("shebang", tests, NULL, NULL);
}
