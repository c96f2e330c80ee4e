/* mime.c and userdata.c: what `cloud-init devel make-mime` writes, scripts, merging. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

/* The shape of `cloud-init devel make-mime -a config.yaml:cloud-config -a s.sh:x-shellscript`. */
static const char make_mime[] =
    "Content-Type: multipart/mixed; boundary=\"===============4291038100093149247==\"\n"
    "MIME-Version: 1.0\n"
    "Number-Attachments: 2\n"
    "\n"
    "--===============4291038100093149247==\n"
    "Content-Type: text/cloud-config; charset=\"us-ascii\"\n"
    "MIME-Version: 1.0\n"
    "Content-Transfer-Encoding: 7bit\n"
    "Content-Disposition: attachment; filename=\"config.yaml\"\n"
    "\n"
    "#cloud-config\n"
    "hostname: mimebox\n"
    "\n"
    "--===============4291038100093149247==\n"
    "Content-Type: text/x-shellscript; charset=\"us-ascii\"\n"
    "MIME-Version: 1.0\n"
    "Content-Transfer-Encoding: base64\n"
    "Content-Disposition: attachment; filename=\"s.sh\"\n"
    "\n"
    "IyEvYmluL3NoCmVjaG8gaGkK\n"
    "\n"
    "--===============4291038100093149247==\n"
    "Content-Type: text/x-include-url; charset=\"us-ascii\"\n"
    "\n"
    "http://127.0.0.1/x\n"
    "--===============4291038100093149247==--\n";

static void test_split(void **state)
{
    (void)state;
    struct ci_part *p;
    size_t n;
    char err[200];
    assert_int_equal(ci_mime_split(make_mime, strlen(make_mime), &p, &n, err, sizeof err), 0);
    assert_int_equal(n, 3);
    assert_string_equal(p[0].type, "text/cloud-config");
    assert_string_equal(p[0].filename, "config.yaml");
    assert_string_equal(p[0].body, "#cloud-config\nhostname: mimebox\n");
    assert_string_equal(p[1].type, "text/x-shellscript");
    assert_string_equal(p[1].body, "#!/bin/sh\necho hi\n");
    assert_string_equal(p[2].type, "text/x-include-url");
    ci_parts_free(p, n);
}

static void test_split_errors(void **state)
{
    (void)state;
    struct ci_part *p;
    size_t n;
    char err[200];
    const char *nob = "Content-Type: multipart/mixed\n\nbody\n";
    assert_int_equal(ci_mime_split(nob, strlen(nob), &p, &n, err, sizeof err), -1);
    const char *bad64 = "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
                        "Content-Transfer-Encoding: base64\n\n!!!!\n--b--\n";
    assert_int_equal(ci_mime_split(bad64, strlen(bad64), &p, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "base64"));
    /* No closing delimiter: the parts found are kept. */
    const char *open = "Content-Type: multipart/mixed; boundary=b\n\n--b\n\n#cloud-config\n";
    assert_int_equal(ci_mime_split(open, strlen(open), &p, &n, err, sizeof err), 0);
    assert_int_equal(n, 1);
    ci_parts_free(p, n);
}

static struct ci_context quiet_ctx(void)
{
    struct ci_context ctx = {.root = "/nonexistent"};
    ctx.log = fopen("/dev/null", "w");
    return ctx;
}

static void done(struct ci_context *ctx)
{
    fclose(ctx->log);
    ci_context_release(ctx);
}

static void test_userdata_mime(void **state)
{
    (void)state;
    struct ci_context ctx = quiet_ctx();
    struct ci_userdata u;
    ci_userdata_process(&ctx, make_mime, strlen(make_mime), NULL, 0, &u);
    assert_string_equal(ci_scalar(ci_map_get(u.cfg, "hostname")), "mimebox");
    assert_int_equal(u.n_scripts, 1);
    assert_string_equal(u.scripts[0].name, "part-001");
    assert_int_equal(ctx.errors, 0);
    assert_int_equal(ctx.warnings, 1);          /* the x-include-url part */
    assert_non_null(strstr(ctx.warning_msgs[0], "text/x-include-url"));
    ci_userdata_free(&u);
    done(&ctx);
}

static void test_userdata_vendor_merge(void **state)
{
    (void)state;
    struct ci_context ctx = quiet_ctx();
    struct ci_userdata u;
    const char *user = "#cloud-config\nhostname: mine\nruncmd: [a]\n";
    const char *vendor = "#cloud-config\nhostname: vendor\ntimezone: UTC\n";
    ci_userdata_process(&ctx, user, strlen(user), vendor, strlen(vendor), &u);
    assert_string_equal(ci_scalar(ci_map_get(u.cfg, "hostname")), "mine");
    assert_string_equal(ci_scalar(ci_map_get(u.cfg, "timezone")), "UTC");
    assert_non_null(ci_map_get(u.cfg, "runcmd"));
    assert_int_equal(u.cfg->n, 3);
    ci_userdata_free(&u);
    done(&ctx);
}

static void test_userdata_formats(void **state)
{
    (void)state;
    struct ci_context ctx = quiet_ctx();
    struct ci_userdata u;
    ci_userdata_process(&ctx, "#!/bin/sh\ntrue\n", 15, NULL, 0, &u);
    assert_null(u.cfg);
    assert_int_equal(u.n_scripts, 1);
    ci_userdata_free(&u);
    ci_userdata_process(&ctx, "", 0, NULL, 0, &u);
    assert_null(u.cfg);
    assert_int_equal(u.n_scripts, 0);
    ci_userdata_free(&u);
    assert_int_equal(ctx.errors + ctx.warnings, 0);
    ci_userdata_process(&ctx, "#cloud-config\nusers: [\n", 22, NULL, 0, &u);
    assert_null(u.cfg);
    assert_int_equal(ctx.errors, 1);
    assert_non_null(strstr(ctx.error_msgs[0], "line"));
    ci_userdata_free(&u);
    ci_userdata_process(&ctx, "\x1f\x8b\x08\x00", 4, NULL, 0, &u);
    assert_int_equal(ctx.errors, 2);
    assert_non_null(strstr(ctx.error_msgs[1], "gzip"));
    ci_userdata_free(&u);
    ci_userdata_process(&ctx, "#cloud-config\n- a list\n", 23, NULL, 0, &u);
    assert_int_equal(ctx.errors, 3);
    ci_userdata_free(&u);
    ci_userdata_process(&ctx, "hello world\n", 12, NULL, 0, &u);
    assert_int_equal(ctx.warnings, 1);
    ci_userdata_free(&u);
    /* Binary garbage is no format at all: an error, not cloud-init's unknown-text warning. */
    ci_userdata_process(&ctx, "\x01\x02garbage\0\xff", 12, NULL, 0, &u);
    assert_int_equal(ctx.errors, 4);
    assert_int_equal(ctx.warnings, 1);
    assert_non_null(strstr(ctx.error_msgs[3], "binary data"));
    ci_userdata_free(&u);
    done(&ctx);
}

static char *slurp(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", CI_TEST_DATA, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 16);
    *len = fread(buf, 1, 1 << 16, f);
    fclose(f);
    return buf;
}

static void test_gzip(void **state)
{
    (void)state;
    struct ci_context ctx = quiet_ctx();
    struct ci_userdata u;
    size_t len;
    /* Python's gzip.compress: a dynamic-Huffman, a stored and a fixed-Huffman block. */
    char *gz = slurp("cloud-config.yaml.gz", &len);
    ci_userdata_process(&ctx, gz, len, NULL, 0, &u);
    assert_string_equal(ci_scalar(ci_map_get(u.cfg, "hostname")), "box");
    ci_userdata_free(&u);
    char *out, err[200];
    size_t olen;
    assert_int_equal(ci_gunzip(gz, len, 4 << 20, &out, &olen, err, sizeof err), 0);
    assert_memory_equal(out, "#cloud-config\n", 14);
    free(out);
    assert_int_equal(ci_gunzip(gz, len, 100, &out, &olen, err, sizeof err), -1);   /* a bomb */
    assert_non_null(strstr(err, "too large"));
    assert_int_equal(ci_gunzip(gz, len / 2, 4 << 20, &out, &olen, err, sizeof err), -1);
    gz[len - 6] ^= 1;                                                              /* the CRC */
    assert_int_equal(ci_gunzip(gz, len, 4 << 20, &out, &olen, err, sizeof err), -1);
    free(gz);
    assert_int_equal(ctx.errors, 0);
    for (int i = 0; i < 2; i++) {
        gz = slurp(i ? "script-fixed.gz" : "script-stored.gz", &len);
        ci_userdata_process(&ctx, gz, len, NULL, 0, &u);
        assert_int_equal(u.n_scripts, 1);
        assert_string_equal(u.scripts[0].body, i ? "#!/bin/sh\necho fixed\n" : "#!/bin/sh\necho stored\n");
        ci_userdata_free(&u);
        free(gz);
    }
    assert_int_equal(ctx.errors, 0);
    done(&ctx);
}

static void test_metadata(void **state)
{
    (void)state;
    struct ci_meta m;
    char err[200];
    const char *yaml = "instance-id: iid-abc\nlocal-hostname: box\npublic-keys:\n  - ssh-ed25519 AAA\n";
    assert_int_equal(ci_meta_parse(yaml, strlen(yaml), false, &m, err, sizeof err), 0);
    assert_string_equal(m.instance_id, "iid-abc");
    assert_string_equal(m.hostname, "box");
    ci_meta_free(&m);
    const char *json = "{\"instance-id\": \"iid-local01\"}";
    assert_int_equal(ci_meta_parse(json, strlen(json), false, &m, err, sizeof err), 0);
    assert_string_equal(m.instance_id, "iid-local01");
    assert_null(m.hostname);
    ci_meta_free(&m);
    const char *cd = "{\"uuid\": \"83679162-1378-4288\", \"hostname\": \"cd\","
                     " \"public_keys\": {\"mykey\": \"ssh-rsa AAA\"}}";
    assert_int_equal(ci_meta_parse(cd, strlen(cd), true, &m, err, sizeof err), 0);
    assert_string_equal(m.instance_id, "83679162-1378-4288");
    assert_string_equal(m.hostname, "cd");
    ci_meta_free(&m);
    assert_int_equal(ci_meta_parse("local-hostname: x\n", 18, false, &m, err, sizeof err), -1);
    assert_non_null(strstr(err, "instance-id"));
    assert_int_equal(ci_meta_parse("[1]", 3, false, &m, err, sizeof err), -1);
    assert_int_equal(ci_meta_parse("a: [", 4, false, &m, err, sizeof err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_split_errors),
        cmocka_unit_test(test_userdata_mime),
        cmocka_unit_test(test_userdata_vendor_merge),
        cmocka_unit_test(test_userdata_formats),
        cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_metadata),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
