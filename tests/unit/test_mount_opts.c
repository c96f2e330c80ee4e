/*
 * Unit tests for the mount option walk (kernel/lib/mount_opts.c) that tmpfs, vfat and
 * iso9660 parse their options with: splitting at commas and the first '=', empty options
 * skipped, an over-long option refused; and the 32-bit numbers in values.
 */
#include "test_util.h"

#include "errno.h"
#include "mount_opts.h"

static void test_walk(void **state)
{
	(void)state;
	struct mount_opts it;
	char *name, *val;
	mount_opts_init(&it, "ro,,uid=1000,iocharset=utf8,x=a=b,");
	assert_int_equal(mount_opts_next(&it, &name, &val), 1);
	assert_string_equal(name, "ro");
	assert_null(val);
	assert_int_equal(mount_opts_next(&it, &name, &val), 1);
	assert_string_equal(name, "uid");
	assert_string_equal(val, "1000");
	assert_int_equal(mount_opts_next(&it, &name, &val), 1);
	assert_string_equal(name, "iocharset");
	assert_string_equal(val, "utf8");
	assert_int_equal(mount_opts_next(&it, &name, &val), 1);
	assert_string_equal(name, "x");
	assert_string_equal(val, "a=b");	/* split at the first '=' only */
	assert_int_equal(mount_opts_next(&it, &name, &val), 0);
	assert_int_equal(mount_opts_next(&it, &name, &val), 0);
}

static void test_empty_and_null(void **state)
{
	(void)state;
	struct mount_opts it;
	char *name, *val;
	mount_opts_init(&it, NULL);
	assert_int_equal(mount_opts_next(&it, &name, &val), 0);
	mount_opts_init(&it, "");
	assert_int_equal(mount_opts_next(&it, &name, &val), 0);
	mount_opts_init(&it, ",,,");
	assert_int_equal(mount_opts_next(&it, &name, &val), 0);
}

static void test_too_long(void **state)
{
	(void)state;
	char data[2 * MOUNT_OPT_MAX];
	memset(data, 'a', MOUNT_OPT_MAX - 1);
	data[MOUNT_OPT_MAX - 1] = 0;
	struct mount_opts it;
	char *name, *val;
	mount_opts_init(&it, data);		/* the longest that fits */
	assert_int_equal(mount_opts_next(&it, &name, &val), 1);
	assert_int_equal(strlen(name), MOUNT_OPT_MAX - 1);
	memset(data, 'a', MOUNT_OPT_MAX);
	data[MOUNT_OPT_MAX] = 0;
	mount_opts_init(&it, data);
	assert_int_equal(mount_opts_next(&it, &name, &val), -EINVAL);
}

static void test_u32(void **state)
{
	(void)state;
	uint32_t v = 7;
	assert_int_equal(mount_opt_u32("0755", 8, &v), 0);
	assert_int_equal(v, 0755);
	assert_int_equal(mount_opt_u32("4294967295", 10, &v), 0);
	assert_int_equal(v, 4294967295u);
	assert_int_equal(mount_opt_u32("4294967296", 10, &v), -EINVAL);
	assert_int_equal(mount_opt_u32("", 10, &v), -EINVAL);
	assert_int_equal(mount_opt_u32("8", 8, &v), -EINVAL);
	assert_int_equal(mount_opt_u32("-1", 10, &v), -EINVAL);
	assert_int_equal(mount_opt_u32("12a", 10, &v), -EINVAL);
	assert_int_equal(mount_opt_u32(" 1", 10, &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_empty_and_null),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_u32),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
