/* The agent's file helpers under a test root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cloudinit.h"

static int make_root(void **state)
{
    char *dir = strdup("/tmp/ci-util-XXXXXX");
    assert_non_null(mkdtemp(dir));
    *state = dir;
    return 0;
}

static int drop_root(void **state)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", (char *)*state);
    assert_int_equal(system(cmd), 0);
    free(*state);
    return 0;
}

static void test_write_read_mode(void **state)
{
    struct ci_context ctx = {.root = *state};
    assert_int_equal(ci_mkdir_p(&ctx, "/etc/a/b", 0755), 0);
    assert_int_equal(ci_write_file(&ctx, "/etc/a/b/f", "hello\n", 6, 0640, (uid_t)-1, (gid_t)-1), 0);
    size_t len;
    char *s = ci_read_file(&ctx, "/etc/a/b/f", &len);
    assert_non_null(s);
    assert_int_equal(len, 6);
    assert_string_equal(s, "hello\n");
    free(s);
    char path[4096];
    assert_int_equal(ci_path(&ctx, "/etc/a/b/f", path, sizeof path), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
}

static void test_errors_counted(void **state)
{
    struct ci_context ctx = {.root = *state, .module = "write_files"};
    FILE *devnull = fopen("/dev/null", "w");
    ctx.log = devnull;
    ci_error(&ctx, "bad %s", "thing");
    ci_warn(&ctx, "unknown key %s", "foo");
    assert_int_equal(ctx.errors, 1);
    assert_int_equal(ctx.warnings, 1);
    assert_string_equal(ctx.error_msgs[0], "write_files: bad thing");
    ci_context_release(&ctx);
    fclose(devnull);
}

static void test_commands_recorded(void **state)
{
    struct ci_context ctx = {.root = *state};
    assert_int_equal(ci_run_shell(&ctx, "echo hi"), 0);
    char *s = ci_read_file(&ctx, "/.ci-commands", NULL);
    assert_non_null(s);
    assert_string_equal(s, "sh -c echo hi\n");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_read_mode, make_root, drop_root),
        cmocka_unit_test_setup_teardown(test_errors_counted, make_root, drop_root),
        cmocka_unit_test_setup_teardown(test_commands_recorded, make_root, drop_root),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
