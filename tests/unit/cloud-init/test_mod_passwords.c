/* set_passwords: chpasswd users and list forms, RANDOM, expire, password, ssh_pwauth. */
#include <crypt.h>

#include "mod_test.h"

static void with_users(struct mt *t)
{
    mt_put(t, "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
           "openv:x:1000:1000:openv:/home/openv:/bin/sh\nann:x:1001:1001::/home/ann:/bin/sh\n",
           0644);
    mt_put(t, "/etc/shadow", "root:!:0:0:99999:7:::\nopenv:!:20000:0:99999:7:::\n"
           "ann:!:20000:0:99999:7:::\n", 0600);
    mt_put(t, "/dev/console", "", 0600);                 /* catches the random passwords */
}

/* The hash field of user in shadow, into out. */
static void shadow_field(struct mt *t, const char *user, int idx, char *out, size_t len)
{
    char *f = mt_get(t, "/etc/shadow"), *s = NULL;
    assert_true(asprintf(&s, "\n%s", f) > 0);        /* every line starts after a newline */
    free(f);
    char key[64];
    snprintf(key, sizeof key, "\n%s:", user);
    char *p = strstr(s, key);
    assert_non_null(p);
    p += strlen(key);
    for (int i = 1; i < idx; i++)
        p = strchr(p, ':') + 1;
    snprintf(out, len, "%.*s", (int)strcspn(p, ":"), p);
    free(s);
}

static void test_chpasswd_users(void **state)
{
    struct mt *t = *state;
    with_users(t);
    mt_config(t,
              "#cloud-config\nchpasswd:\n  expire: false\n  users:\n"
              "    - {name: openv, password: pass1}\n"
              "    - {name: ann, password: $6$salt$hash, type: hash}\n"
              "    - {name: root, type: RANDOM}\n"
              "    - {name: ghost, password: x}\n",
              NULL);
    assert_int_equal(cc_set_passwords(&t->ctx), -1);
    assert_true(mt_said(t, "password for ghost: no such user"));
    char h[256], day[32], want[32];
    shadow_field(t, "openv", 1, h, sizeof h);
    assert_string_equal(crypt("pass1", h), h);
    shadow_field(t, "openv", 2, day, sizeof day);
    snprintf(want, sizeof want, "%ld", acct_today());
    assert_string_equal(day, want);                       /* expire: false */
    shadow_field(t, "ann", 1, h, sizeof h);
    assert_string_equal(h, "$6$salt$hash");
    /* RANDOM: printed to the console as cloud-init prints it; the hash matches it. */
    char *con = mt_get(t, "/dev/console");
    assert_memory_equal(con, "Set the following 'random' passwords\nroot:", 42);
    char pw[64];
    snprintf(pw, sizeof pw, "%.*s", (int)strcspn(con + 42, "\n"), con + 42);
    assert_int_equal(strlen(pw), 20);
    free(con);
    shadow_field(t, "root", 1, h, sizeof h);
    assert_string_equal(crypt(pw, h), h);
}

static void test_chpasswd_list_and_expire(void **state)
{
    struct mt *t = *state;
    with_users(t);
    mt_config(t,
              "#cloud-config\nchpasswd:\n  list: |\n    openv:word:with:colons\n"
              "    ann:$6$rounds=5000$s$h\n    bad-line\n",
              NULL);
    assert_int_equal(cc_set_passwords(&t->ctx), 0);
    assert_true(mt_said(t, "chpasswd: list is deprecated"));
    assert_true(mt_said(t, "list entry 3 is not user:password"));
    char h[256], day[32];
    shadow_field(t, "openv", 1, h, sizeof h);
    assert_string_equal(crypt("word:with:colons", h), h);
    shadow_field(t, "openv", 2, day, sizeof day);
    assert_string_equal(day, "0");                        /* expire defaults to true */
    shadow_field(t, "ann", 1, h, sizeof h);
    assert_string_equal(h, "$6$rounds=5000$s$h");
    mt_assert_contains(t, "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
    mt_assert_contains(t, "/etc/shadow", "root:!:0:0:99999:7:::\n");
}

static void test_password_and_list_of_strings(void **state)
{
    struct mt *t = *state;
    with_users(t);
    mt_config(t, "#cloud-config\npassword: topsecret\nchpasswd: {list: ['ann:R']}\n", NULL);
    assert_int_equal(cc_set_passwords(&t->ctx), 0);
    char h[256];
    shadow_field(t, "openv", 1, h, sizeof h);
    assert_string_equal(crypt("topsecret", h), h);
    mt_assert_contains(t, "/dev/console", "\nann:");
}

static void test_ssh_pwauth(void **state)
{
    struct mt *t = *state;
    mt_config(t, "#cloud-config\nssh_pwauth: true\n", NULL);
    assert_int_equal(cc_set_passwords(&t->ctx), 0);
    mt_assert_contains(t, "/etc/default/dropbear", "\nDROPBEAR_ARGS=\"-g\"\n");
    mt_config(t, "#cloud-config\nssh_pwauth: no\n", NULL);
    assert_int_equal(cc_set_passwords(&t->ctx), 0);
    char *s = mt_get(t, "/etc/default/dropbear");
    assert_non_null(strstr(s, "\nDROPBEAR_ARGS=\"-s\"\n"));
    assert_null(strstr(s, "-g"));
    free(s);
    mt_config(t, "#cloud-config\nssh_pwauth: unchanged\n", NULL);
    assert_int_equal(cc_set_passwords(&t->ctx), 0);
    mt_assert_contains(t, "/etc/default/dropbear", "\nDROPBEAR_ARGS=\"-s\"\n");
    mt_config(t, "#cloud-config\nssh_pwauth: sometimes\n", NULL);
    assert_int_equal(cc_set_passwords(&t->ctx), 0);
    assert_true(mt_said(t, "ssh_pwauth: \"sometimes\" is none of"));
    /* A running Dropbear is restarted to take the new arguments. */
    mt_put(t, "/run/dropbear.pid", "42\n", 0644);
    mt_config(t, "#cloud-config\nssh_pwauth: true\n", NULL);
    assert_int_equal(cc_set_passwords(&t->ctx), 0);
    mt_assert_file(t, "/.ci-commands", "/etc/init.d/S50dropbear restart\n");
}

static void test_bad_chpasswd(void **state)
{
    struct mt *t = *state;
    with_users(t);
    mt_config(t, "#cloud-config\nchpasswd: [a]\n", NULL);
    assert_int_equal(cc_set_passwords(&t->ctx), -1);
    mt_config(t, "#cloud-config\nchpasswd: {users: [{name: ann, type: clear, password: x}, "
              "{name: ann}], other: 1}\n", NULL);
    assert_int_equal(cc_set_passwords(&t->ctx), 0);
    assert_true(mt_said(t, "chpasswd: expected a map"));
    assert_true(mt_said(t, "type clear is none of"));
    assert_true(mt_said(t, "user ann has no password"));
    assert_true(mt_said(t, "chpasswd: unknown key other"));
    mt_assert_contains(t, "/etc/shadow", "\nann:!:20000:");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        MT(test_chpasswd_users),
        MT(test_chpasswd_list_and_expire),
        MT(test_password_and_list_of_strings),
        MT(test_ssh_pwauth),
        MT(test_bad_chpasswd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
