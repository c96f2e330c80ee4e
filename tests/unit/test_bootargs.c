/*
 * Unit tests for kernel/lib/bootargs.c: the command line's words (double quotes keep spaces)
 * and the merge rule of the built-in command line with the boot loader's bootargs.
 */
#include "test_util.h"

#include "bootargs.h"

static char dropped[1024];

static void record_dropped(const char *w, size_t len)
{
	size_t at = strlen(dropped);
	snprintf(dropped + at, sizeof dropped - at, "[%.*s]", (int)len, w);
}

static void test_words(void **state)
{
	(void)state;
	const char *p = "  a=1 dm-mod.create=\"x,,,ro,0 8 verity\"  b \"c d\"=e\tf ";
	const char *want[] = { "a=1", "dm-mod.create=\"x,,,ro,0 8 verity\"", "b", "\"c d\"=e", "f" };
	size_t len;
	for (size_t i = 0; i < 5; i++) {
		const char *w = bootargs_next_word(&p, &len);
		assert_non_null(w);
		assert_int_equal(len, strlen(want[i]));
		assert_memory_equal(w, want[i], len);
	}
	assert_null(bootargs_next_word(&p, &len));
	/* An unterminated quote runs to the end. */
	p = "a=\"b c";
	assert_non_null(bootargs_next_word(&p, &len));
	assert_int_equal(len, 6);
}

static void test_allowlist(void **state)
{
	(void)state;
	static const char *const ok[] = { "console=ttyS0", "quiet", "loglevel=7", "earlycon",
					  "ignore_loglevel", "console=", "ds=nocloud;s=http://10.0.2.2:8000/",
					  "ds=nocloud-net;s=http://10.0.2.2/;i=iid-1;h=vm1" };
	static const char *const no[] = { "root=/dev/vda2", "init=/bin/sh", "rdinit=/bin/sh",
					  "dm-mod.create=x", "rw", "ro", "openv.autologin",
					  "consoleX=1", "consol", "rootwait", "quieter",
					  "dsx=1", "d=1", "ds.x=1" };
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		assert_true(bootargs_allowed_from_bootloader(ok[i], strlen(ok[i])));
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		assert_false(bootargs_allowed_from_bootloader(no[i], strlen(no[i])));
}

static void test_merge(void **state)
{
	(void)state;
	char out[256];
	const char *builtin = "dm-mod.create=\"v,,,ro,0 8 verity 1 a b\" root=/dev/dm-0 ro console=ttyS0";

	/* No built-in line: the boot loader's, as it is. */
	dropped[0] = 0;
	size_t n = bootargs_merge("", "root=/dev/vda2 rw init=/bin/sh", out, sizeof out, record_dropped);
	assert_string_equal(out, "root=/dev/vda2 rw init=/bin/sh");
	assert_int_equal(n, strlen(out));
	assert_string_equal(dropped, "");
	bootargs_merge(NULL, NULL, out, sizeof out, NULL);
	assert_string_equal(out, "");

	/* The built-in line, then only the boot loader's harmless words it lacks. */
	bootargs_merge(builtin, "root=/dev/vda2 console=ttyS0 rw quiet init=/bin/sh "
		       "dm-mod.create=\"evil a b\" loglevel=7 openv.autologin ro", out, sizeof out,
		       record_dropped);
	assert_string_equal(out, "dm-mod.create=\"v,,,ro,0 8 verity 1 a b\" root=/dev/dm-0 ro "
			    "console=ttyS0 quiet loglevel=7");
	assert_string_equal(dropped, "[root=/dev/vda2][rw][init=/bin/sh][dm-mod.create=\"evil a b\"]"
			    "[openv.autologin]");

	/* extlinux.conf repeating the built-in line adds nothing and drops nothing. */
	dropped[0] = 0;
	bootargs_merge(builtin, builtin, out, sizeof out, record_dropped);
	assert_string_equal(out, builtin);
	assert_string_equal(dropped, "");

	/* cloud-init's ds= arrives whole: ';' and '=' inside a word are not separators. */
	dropped[0] = 0;
	bootargs_merge(builtin, "console=ttyS0 ds=nocloud;s=http://10.0.2.2:8000/ root=/dev/vdb",
		       out, sizeof out, record_dropped);
	assert_string_equal(out, "dm-mod.create=\"v,,,ro,0 8 verity 1 a b\" root=/dev/dm-0 ro "
			    "console=ttyS0 ds=nocloud;s=http://10.0.2.2:8000/");
	assert_string_equal(dropped, "[root=/dev/vdb]");

	/* Too long: truncated at a word, NUL-terminated, the full length returned. */
	char small[20];
	n = bootargs_merge("aaaa bbbb cccc", "quiet loglevel=3 console=ttyS0", small, sizeof small, NULL);
	assert_int_equal(n, strlen("aaaa bbbb cccc quiet loglevel=3 console=ttyS0"));
	assert_string_equal(small, "aaaa bbbb cccc");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_allowlist),
		cmocka_unit_test(test_merge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
