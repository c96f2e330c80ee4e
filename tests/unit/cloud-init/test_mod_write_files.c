/* write_files and write_files_deferred: encodings, owner, permissions, append, defer, and bad
 * entries failing alone. gzip goes through the core's inflate (gunzip.c). */
#include "mod_test.h"

static void test_encodings(void **state)
{
    struct mt *t = *state;
    mt_config(t,
              "#cloud-config\nwrite_files:\n"
              "  - {path: /etc/plain, content: \"hello\\n\"}\n"
              "  - path: /etc/block\n    content: |\n      line one\n      line two\n"
              "  - {path: /etc/b64, encoding: b64, content: aGVsbG8gYjY0Cg==}\n"
              "  - {path: /etc/base64, encoding: base64, content: \"aGVs\\nbG8=\"}\n"
              "  - {path: /etc/gzb64, encoding: gz+b64, content: H4sIAAAAAAACA8tIzcnJV0iv4gIAGJpUaQkAAAA=}\n"
              "  - {path: /etc/gzipbase64, encoding: gzip+base64, content: H4sIAAAAAAACA8tIzcnJV0iv4gIAGJpUaQkAAAA=}\n"
              "  - {path: /etc/gzbinary, encoding: gzip, content: !!binary H4sIAAAAAAACA8tIzcnJV0iv4gIAGJpUaQkAAAA=}\n"
              "  - {path: /etc/empty}\n"
              "  - {path: /new/dir/file, content: x, encoding: text/plain}\n",
              NULL);
    assert_int_equal(cc_write_files(&t->ctx), 0);
    assert_int_equal(t->ctx.errors + t->ctx.warnings, 0);
    mt_assert_file(t, "/etc/plain", "hello\n");
    mt_assert_file(t, "/etc/block", "line one\nline two\n");
    mt_assert_file(t, "/etc/b64", "hello b64\n");
    mt_assert_file(t, "/etc/base64", "hello");
    mt_assert_file(t, "/etc/gzb64", "hello gz\n");
    mt_assert_file(t, "/etc/gzipbase64", "hello gz\n");
    mt_assert_file(t, "/etc/gzbinary", "hello gz\n");
    mt_assert_file(t, "/etc/empty", "");
    mt_assert_file(t, "/new/dir/file", "x");
    struct stat st = mt_stat(t, "/etc/plain");
    assert_int_equal(st.st_mode & 07777, 0644);            /* the default */
    assert_int_equal(st.st_uid, 0);
    assert_int_equal(mt_stat(t, "/new/dir").st_mode & 07777, 0755);
}

static void test_owner_and_permissions(void **state)
{
    struct mt *t = *state;
    mt_put(t, "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nann:x:1000:1000::/home/ann:/bin/sh\n",
           0644);
    mt_put(t, "/etc/group", "root:x:0:\nann:x:1000:\nstaff:x:50:\n", 0644);
    mt_config(t,
              "#cloud-config\nwrite_files:\n"
              "  - {path: /a, content: a, owner: 'ann:staff', permissions: '0600'}\n"
              "  - {path: /b, content: b, owner: ann, permissions: '755'}\n"
              "  - {path: /c, content: c, owner: 'root:ann', permissions: 0640}\n"
              "  - {path: /d, content: d, permissions: 420}\n"
              "  - {path: /e, content: e, permissions: '04755'}\n",
              NULL);
    assert_int_equal(cc_write_files(&t->ctx), 0);
    struct stat st = mt_stat(t, "/a");
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(st.st_uid, 1000);
    assert_int_equal(st.st_gid, 50);
    st = mt_stat(t, "/b");
    assert_int_equal(st.st_mode & 07777, 0755);
    assert_int_equal(st.st_uid, 1000);
    st = mt_stat(t, "/c");
    assert_int_equal(st.st_mode & 07777, 0640);            /* YAML 1.1: 0640 is octal */
    assert_int_equal(st.st_uid, 0);
    assert_int_equal(st.st_gid, 1000);
    assert_int_equal(mt_stat(t, "/d").st_mode & 07777, 0644);   /* 420 decimal */
    assert_int_equal(mt_stat(t, "/e").st_mode & 07777, 04755);  /* set-id kept after chown */
}

static void test_append_and_defer(void **state)
{
    struct mt *t = *state;
    mt_put(t, "/etc/motd", "first\n", 0644);
    mt_config(t,
              "#cloud-config\nwrite_files:\n"
              "  - {path: /etc/motd, content: \"second\\n\", append: true}\n"
              "  - {path: /etc/new, content: \"n\\n\", append: true}\n"
              "  - {path: /etc/later, content: late, defer: true}\n",
              NULL);
    assert_int_equal(cc_write_files(&t->ctx), 0);
    mt_assert_file(t, "/etc/motd", "first\nsecond\n");
    mt_assert_file(t, "/etc/new", "n\n");
    assert_false(mt_exists(t, "/etc/later"));
    assert_int_equal(cc_write_files_deferred(&t->ctx), 0);
    mt_assert_file(t, "/etc/later", "late");
    mt_assert_file(t, "/etc/motd", "first\nsecond\n");     /* not written twice */
}

static void test_bad_entries_fail_alone(void **state)
{
    struct mt *t = *state;
    mt_config(t,
              "#cloud-config\nwrite_files:\n"
              "  - {path: /ok1, content: one}\n"
              "  - {path: relative/file, content: x}\n"
              "  - {path: /../escape, content: x}\n"
              "  - {path: /bad64, encoding: b64, content: 'not*base64'}\n"
              "  - {path: /badgz, encoding: gz+b64, content: aGVsbG8K}\n"
              "  - {path: /badowner, content: x, owner: 'nobody-here:root'}\n"
              "  - {path: /badgroup, content: x, owner: 'root:nogroup-here'}\n"
              "  - {path: /badperm, content: x, permissions: '0999'}\n"
              "  - {content: no path}\n"
              "  - {path: /ok1/under-a-file, content: x}\n"
              "  - {path: /weird, content: x, encoding: rot13, mode: '0644'}\n"
              "  - {path: /ok2, content: two}\n",
              NULL);
    assert_int_equal(cc_write_files(&t->ctx), -1);
    mt_assert_file(t, "/ok1", "one");
    mt_assert_file(t, "/ok2", "two");
    mt_assert_file(t, "/weird", "x");                        /* as cloud-init: text */
    assert_true(mt_said(t, "relative/file: not an absolute path"));
    assert_true(mt_said(t, "/../escape: not an absolute path"));
    assert_true(mt_said(t, "/bad64: content is not valid base64"));
    assert_true(mt_said(t, "/badgz: content is not valid gzip"));
    assert_true(mt_said(t, "/badowner: owner nobody-here:root: no such user"));
    assert_true(mt_said(t, "/badgroup: owner root:nogroup-here"));
    assert_true(mt_said(t, "/badperm: permissions \"0999\""));
    assert_true(mt_said(t, "entry 9 (line 11) has no path"));
    assert_true(mt_said(t, "/ok1/under-a-file: cannot write"));
    assert_true(mt_said(t, "/weird: unknown encoding rot13"));
    assert_true(mt_said(t, "/weird: unknown key mode"));
    assert_int_equal(t->ctx.errors, 9);
    assert_int_equal(t->ctx.warnings, 2);
    for (const char *const *p = (const char *const[]){"/bad64", "/badgz", "/badowner",
                                                      "/badgroup", "/badperm", NULL}; *p; p++)
        assert_false(mt_exists(t, *p));
}

static void test_not_a_list(void **state)
{
    struct mt *t = *state;
    mt_config(t, "#cloud-config\nwrite_files: {path: /x}\n", NULL);
    assert_int_equal(cc_write_files(&t->ctx), -1);
    assert_true(mt_said(t, "write_files: expected a list"));
}

static void test_base64_decoder(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } ok[] = {
        {"", ""}, {"YQ==", "a"}, {"YWI=", "ab"}, {"YWJj", "abc"}, {"YW Jj\n", "abc"},
        {"-_8=", "\xfb\xff"}, {"+/8=", "\xfb\xff"}, {"YWJj\r\nZA==", "abcd"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        struct mod_buf b = {0};
        assert_int_equal(mod_base64_decode(ok[i].in, strlen(ok[i].in), &b), 0);
        assert_int_equal(b.len, strlen(ok[i].out));
        if (b.len)
            assert_memory_equal(b.p, ok[i].out, b.len);
        free(b.p);
    }
    static const char *const bad[] = {"Y", "YQ=a", "YQ===", "Y$==", "YWJjZ"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct mod_buf b = {0};
        assert_int_equal(mod_base64_decode(bad[i], strlen(bad[i]), &b), -1);
        free(b.p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        MT(test_encodings),
        MT(test_owner_and_permissions),
        MT(test_append_and_defer),
        MT(test_bad_entries_fail_alone),
        MT(test_not_a_list),
        cmocka_unit_test(test_base64_decoder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
