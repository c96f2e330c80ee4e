/* Datasources: NoCloud and ConfigDrive seed directories (a test root's /dev/disk/by-label/X
 * may be a directory, standing for the mounted filesystem), the kernel command line, HTTP
 * responses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "test_helpers.h"

static struct ci_context ctx_for(void **state)
{
    struct ci_context ctx = {.root = *state};
    ctx.log = fopen("/dev/null", "w");
    return ctx;
}

static void put(struct ci_context *ctx, const char *abs, const char *text)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s", abs);
    *strrchr(dir, '/') = '\0';
    assert_int_equal(ci_mkdir_p(ctx, dir, 0755), 0);
    assert_int_equal(ci_write_file(ctx, abs, text, strlen(text), 0644, (uid_t)-1, (gid_t)-1), 0);
}

static void test_no_seed(void **state)
{
    struct ci_context ctx = ctx_for(state);
    struct ci_seed s = {0};
    assert_int_equal(ci_find_local_seed(&ctx, &s), 0);
    fclose(ctx.log);
}

static void test_nocloud_dir(void **state)
{
    struct ci_context ctx = ctx_for(state);
    put(&ctx, "/dev/disk/by-label/CIDATA/meta-data", "{\"instance-id\": \"iid-local01\"}\n");
    put(&ctx, "/dev/disk/by-label/CIDATA/user-data", "#cloud-config\nhostname: h\n");
    put(&ctx, "/dev/disk/by-label/CIDATA/network-config", "version: 2\n");
    struct ci_seed s = {0};
    assert_int_equal(ci_find_local_seed(&ctx, &s), 1);
    assert_string_equal(s.name, "DataSourceNoCloud [seed=/dev/disk/by-label/CIDATA]");
    assert_non_null(strstr(s.user, "hostname"));
    assert_string_equal(s.netcfg, "version: 2\n");
    assert_null(s.vendor);
    assert_false(s.meta_is_configdrive);
    ci_seed_free(&s);
    fclose(ctx.log);
}

static void test_nocloud_missing_userdata(void **state)
{
    struct ci_context ctx = ctx_for(state);
    put(&ctx, "/dev/disk/by-label/cidata/meta-data", "instance-id: x\n");
    struct ci_seed s = {0};
    assert_int_equal(ci_find_local_seed(&ctx, &s), -1);
    assert_int_equal(ctx.errors, 1);
    assert_non_null(strstr(ctx.error_msgs[0], "user-data"));
    fclose(ctx.log);
    ci_context_release(&ctx);
}

static void test_seed_file_too_big(void **state)
{
    struct ci_context ctx = ctx_for(state);
    put(&ctx, "/dev/disk/by-label/cidata/meta-data", "instance-id: x\n");
    put(&ctx, "/dev/disk/by-label/cidata/user-data", "");
    char path[4096];
    assert_int_equal(ci_path(&ctx, "/dev/disk/by-label/cidata/user-data", path, sizeof path), 0);
    assert_int_equal(truncate(path, CI_SEED_FILE_MAX + 1), 0);   /* sparse: never read */
    struct ci_seed s = {0};
    assert_int_equal(ci_find_local_seed(&ctx, &s), -1);
    assert_non_null(strstr(ctx.error_msgs[0], "larger than"));
    fclose(ctx.log);
    ci_context_release(&ctx);
}

static void test_configdrive_dir(void **state)
{
    struct ci_context ctx = ctx_for(state);
    put(&ctx, "/dev/disk/by-label/config-2/openstack/latest/meta_data.json",
        "{\"uuid\": \"u-1\", \"hostname\": \"cd\"}");
    put(&ctx, "/dev/disk/by-label/config-2/openstack/latest/user_data", "#!/bin/sh\n");
    struct ci_seed s = {0};
    assert_int_equal(ci_find_local_seed(&ctx, &s), 1);
    assert_true(s.meta_is_configdrive);
    assert_string_equal(s.name, "DataSourceConfigDrive [seed=/dev/disk/by-label/config-2]");
    struct ci_meta m;
    char err[100];
    assert_int_equal(ci_meta_parse(s.meta, s.meta_len, true, &m, err, sizeof err), 0);
    assert_string_equal(m.instance_id, "u-1");
    ci_meta_free(&m);
    ci_seed_free(&s);
    fclose(ctx.log);
}

static void test_cmdline(void **state)
{
    (void)state;
    struct ci_cmdline c;
    ci_cmdline_parse("console=ttyS0 ds=nocloud;s=http://10.0.2.2:8000/seed/;h=web1;i=iid-9 quiet\n", &c);
    assert_true(c.nocloud);
    assert_string_equal(c.url, "http://10.0.2.2:8000/seed/");
    assert_string_equal(c.hostname, "web1");
    assert_string_equal(c.instance_id, "iid-9");
    ci_cmdline_parse("ds=nocloud-net;s=http://localhost/", &c);
    assert_true(c.nocloud);
    assert_string_equal(c.url, "http://localhost/");
    ci_cmdline_parse("ds=nocloud", &c);
    assert_true(c.nocloud);
    assert_string_equal(c.url, "");
    ci_cmdline_parse("ds=ec2;s=http://10.0.2.2/ root=/dev/vda2", &c);
    assert_false(c.nocloud);
    ci_cmdline_parse("", &c);
    assert_false(c.nocloud);
}

static void test_http_response(void **state)
{
    (void)state;
    int st;
    char *body, err[200];
    size_t len;
    const char *plain = "HTTP/1.0 200 OK\r\nContent-Length: 5\r\nServer: x\r\n\r\nhello extra";
    assert_int_equal(ci_http_parse_response(plain, strlen(plain), &st, &body, &len, err, 200), 0);
    assert_int_equal(st, 200);
    assert_int_equal(len, 5);
    assert_string_equal(body, "hello");
    free(body);
    const char *chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n"
                          "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n";
    assert_int_equal(ci_http_parse_response(chunked, strlen(chunked), &st, &body, &len, err, 200), 0);
    assert_string_equal(body, "hello, world");
    free(body);
    const char *nf = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    assert_int_equal(ci_http_parse_response(nf, strlen(nf), &st, &body, &len, err, 200), 0);
    assert_int_equal(st, 404);
    free(body);
    const char *close_delimited = "HTTP/1.0 200 OK\n\nall of it";
    assert_int_equal(ci_http_parse_response(close_delimited, strlen(close_delimited), &st, &body,
                                            &len, err, 200), 0);
    assert_string_equal(body, "all of it");
    free(body);
    const char *bad[] = {
        "SSH-2.0-dropbear\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nff\r\nshort",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1",
        "HTTP/1.1 2x0 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(ci_http_parse_response(bad[i], strlen(bad[i]), &st, &body, &len, err, 200), -1);
    assert_int_equal(ci_http_get("https://127.0.0.1/", 100, 10, &st, &body, &len, err, 200), -1);
    assert_non_null(strstr(err, "http://"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_seed, ci_test_make_root, ci_test_drop_root),
        cmocka_unit_test_setup_teardown(test_nocloud_dir, ci_test_make_root, ci_test_drop_root),
        cmocka_unit_test_setup_teardown(test_nocloud_missing_userdata, ci_test_make_root, ci_test_drop_root),
        cmocka_unit_test_setup_teardown(test_seed_file_too_big, ci_test_make_root, ci_test_drop_root),
        cmocka_unit_test_setup_teardown(test_configdrive_dir, ci_test_make_root, ci_test_drop_root),
        cmocka_unit_test(test_cmdline),
        cmocka_unit_test(test_http_response),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
