/* state.c, runner.c, status.c under a temporary root: instances, semaphores, frequencies,
 * unknown keys, scripts_user, status.json and the status command's exit codes, clean. */
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

#include "core.h"
#include "test_helpers.h"

static int runs[3];

static int run_a(struct ci_context *ctx) { (void)ctx; runs[0]++; return 0; }
static int run_b(struct ci_context *ctx) { runs[1]++; ci_error(ctx, "b broke"); return -1; }
static int run_c(struct ci_context *ctx) { (void)ctx; runs[2]++; return 0; }
static int run_final(struct ci_context *ctx) { (void)ctx; return 0; }

static const char *const a_keys[] = {"hostname", "fqdn", NULL};
static const char *const b_keys[] = {"runcmd", NULL};

/* A test-only table: the runner takes its table as a parameter. */
static const struct ci_module table[] = {
    {"a", CI_STAGE_CONFIG, CI_PER_INSTANCE, a_keys, run_a},
    {"b", CI_STAGE_CONFIG, CI_PER_ALWAYS, b_keys, run_b},
    {"c", CI_STAGE_CONFIG, CI_PER_ONCE, NULL, run_c},
    {"final_message", CI_STAGE_FINAL, CI_PER_ALWAYS, NULL, run_final},
};

static struct ci_context ctx_for(void **state)
{
    struct ci_context ctx = {.root = *state};
    ctx.log = fopen("/dev/null", "w");
    return ctx;
}

static void done(struct ci_context *ctx)
{
    fclose(ctx->log);
    ci_context_release(ctx);
}

static bool present(struct ci_context *ctx, const char *abs)
{
    char p[4096];
    struct stat st;
    return ci_path(ctx, abs, p, sizeof p) == 0 && lstat(p, &st) == 0;
}

static void test_instances_and_frequencies(void **state)
{
    struct ci_context ctx = ctx_for(state);
    memset(runs, 0, sizeof runs);
    assert_int_equal(ci_state_set_instance(&ctx, "iid-1"), 1);
    char iid[64];
    assert_int_equal(ci_state_instance_id(&ctx, iid, sizeof iid), 0);
    assert_string_equal(iid, "iid-1");
    assert_true(present(&ctx, "/var/lib/cloud/instance/sem"));
    ci_run_stage(&ctx, CI_STAGE_CONFIG, table, 4);
    assert_int_equal(runs[0], 1);
    assert_int_equal(runs[1], 1);
    assert_int_equal(runs[2], 1);
    assert_int_equal(ctx.errors, 1);                  /* b failed; c still ran */
    assert_true(present(&ctx, "/var/lib/cloud/instances/iid-1/sem/config_a"));
    assert_true(present(&ctx, "/var/lib/cloud/sem/config_c.once"));
    /* The next boot, same instance: only per-always runs. */
    assert_int_equal(ci_state_set_instance(&ctx, "iid-1"), 0);
    ci_run_stage(&ctx, CI_STAGE_CONFIG, table, 4);
    assert_int_equal(runs[0], 1);
    assert_int_equal(runs[1], 2);
    assert_int_equal(runs[2], 1);
    /* A new instance: per-instance again, per-once never. */
    assert_int_equal(ci_state_set_instance(&ctx, "iid-2"), 1);
    size_t len;
    char *prev = ci_read_file(&ctx, "/var/lib/cloud/data/previous-instance-id", &len);
    assert_string_equal(prev, "iid-1");
    free(prev);
    ci_run_stage(&ctx, CI_STAGE_CONFIG, table, 4);
    assert_int_equal(runs[0], 2);
    assert_int_equal(runs[2], 1);
    done(&ctx);
}

static void test_iid_sanitize(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(ci_iid_sanitize("../../etc", out, sizeof out), 0);
    assert_null(strchr(out, '/'));
    assert_int_equal(ci_iid_sanitize("..", out, sizeof out), -1);
    assert_int_equal(ci_iid_sanitize("", out, sizeof out), -1);
}

static void test_unknown_keys(void **state)
{
    struct ci_context ctx = ctx_for(state);
    char err[100];
    struct ci_node *cfg = ci_yaml_parse("hostname: x\nbogus_key: 1\nruncmd: []\n", 36, err, 100);
    ctx.cfg = cfg;
    ci_check_keys(&ctx, table, 4);
    assert_int_equal(ctx.warnings, 1);
    assert_non_null(strstr(ctx.warning_msgs[0], "bogus_key"));
    ci_node_free(cfg);
    done(&ctx);
}

static void test_scripts_user(void **state)
{
    struct ci_context ctx = ctx_for(state);
    assert_int_equal(ci_state_set_instance(&ctx, "iid-s"), 1);
    assert_int_equal(ci_write_file(&ctx, "/var/lib/cloud/instance/scripts/runcmd", "#!/bin/sh\n", 10,
                                   0700, (uid_t)-1, (gid_t)-1), 0);
    assert_int_equal(ci_write_file(&ctx, "/var/lib/cloud/instance/scripts/part-001", "#!/bin/sh\n",
                                   10, 0700, (uid_t)-1, (gid_t)-1), 0);
    ci_run_stage(&ctx, CI_STAGE_FINAL, table, 4);
    size_t len;
    char *cmds = ci_read_file(&ctx, "/.ci-commands", &len);
    assert_non_null(cmds);
    char *first = strstr(cmds, "part-001"), *second = strstr(cmds, "runcmd");
    assert_non_null(first);
    assert_non_null(second);
    assert_true(first < second);
    free(cmds);
    assert_true(present(&ctx, "/var/lib/cloud/instance/sem/config_scripts_user"));
    /* A failing script is an error with its status. */
    assert_int_equal(ci_state_set_instance(&ctx, "iid-t"), 1);
    assert_int_equal(ci_write_file(&ctx, "/var/lib/cloud/instance/scripts/part-001", "#!/bin/sh\n",
                                   10, 0700, (uid_t)-1, (gid_t)-1), 0);
    setenv("CI_FAKE_STATUS", "3", 1);
    ci_run_stage(&ctx, CI_STAGE_FINAL, table, 4);
    unsetenv("CI_FAKE_STATUS");
    assert_int_equal(ctx.errors, 1);
    assert_non_null(strstr(ctx.error_msgs[0], "exit status 3"));
    done(&ctx);
}

static int status_code(struct ci_context *ctx, const char *arg)
{
    char *argv[] = {(char *)arg, NULL};
    fflush(stdout);
    FILE *saved = stdout;
    stdout = fopen("/dev/null", "w");
    int r = ci_status_command(ctx, arg ? 1 : 0, argv);
    fclose(stdout);
    stdout = saved;
    return r;
}

static void test_status(void **state)
{
    struct ci_context ctx = ctx_for(state);
    assert_int_equal(status_code(&ctx, NULL), 0);          /* not run */
    ctx.datasource = "DataSourceNoCloud [seed=/dev/disk/by-label/cidata]";
    ci_status_update(&ctx, CI_ST_INIT_LOCAL, false, 0);
    ci_status_update(&ctx, CI_ST_INIT_LOCAL, true, 0);
    ci_status_update(&ctx, CI_ST_MODULES_FINAL, false, 0);
    ci_warn(&ctx, "unknown key \"x\"\n");
    ci_status_update(&ctx, CI_ST_MODULES_FINAL, true, 0);
    assert_int_equal(status_code(&ctx, "--long"), 2);       /* degraded done */
    size_t len;
    char *s = ci_read_file(&ctx, "/var/lib/cloud/data/status.json", &len);
    char err[100];
    struct ci_node *doc = ci_yaml_parse(s, len, err, sizeof err);
    assert_non_null(doc);
    const struct ci_node *v1 = ci_map_get(doc, "v1");
    assert_string_equal(ci_scalar(ci_map_get(v1, "datasource")), ctx.datasource);
    const struct ci_node *w = ci_map_get(ci_map_get(ci_map_get(v1, "modules-final"),
                                                    "recoverable_errors"), "WARNING");
    assert_int_equal(w->n, 1);
    assert_string_equal(ci_scalar(w->items[0]), "unknown key \"x\"\n");
    ci_node_free(doc);
    free(s);
    assert_true(present(&ctx, "/var/lib/cloud/data/result.json"));
    ci_error(&ctx, "boom");
    ci_status_update(&ctx, CI_ST_MODULES_FINAL, true, 0);
    assert_int_equal(status_code(&ctx, NULL), 1);
    assert_int_equal(status_code(&ctx, "--bogus"), 1);
    /* clean: the next boot is a first boot. */
    assert_int_equal(ci_state_set_instance(&ctx, "iid-c"), 1);
    assert_int_equal(ci_state_clean(&ctx, true), 0);
    assert_false(present(&ctx, "/var/lib/cloud/data/status.json"));
    assert_false(present(&ctx, "/var/lib/cloud/instance"));
    assert_true(present(&ctx, "/var/lib/cloud"));
    assert_int_equal(status_code(&ctx, NULL), 0);
    done(&ctx);
}

static void test_status_disabled(void **state)
{
    struct ci_context ctx = ctx_for(state);
    ci_status_disabled(&ctx, "Cloud-init disabled: no datasource found");
    assert_int_equal(status_code(&ctx, "--long"), 0);
    done(&ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_instances_and_frequencies, ci_test_make_root, ci_test_drop_root),
        cmocka_unit_test(test_iid_sanitize),
        cmocka_unit_test_setup_teardown(test_unknown_keys, ci_test_make_root, ci_test_drop_root),
        cmocka_unit_test_setup_teardown(test_scripts_user, ci_test_make_root, ci_test_drop_root),
        cmocka_unit_test_setup_teardown(test_status, ci_test_make_root, ci_test_drop_root),
        cmocka_unit_test_setup_teardown(test_status_disabled, ci_test_make_root, ci_test_drop_root),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
