/* set_hostname, update_hostname, update_etc_hosts: which name, /etc/hostname, the hostname
 * command, and the three manage_etc_hosts modes. */
#include "mod_test.h"

static void test_hostname_sources(void **state)
{
    struct mt *t = *state;
    static const struct {
        const char *cfg, *meta, *file;
    } cases[] = {
        {"{}", "local-hostname: meta1", "meta1\n"},
        {"{}", "local-hostname: meta2.example.org", "meta2\n"},
        {"hostname: cfg1", "local-hostname: meta", "cfg1\n"},
        {"hostname: cfg2.example.org", NULL, "cfg2\n"},
        {"fqdn: box.example.org", NULL, "box\n"},
        {"{fqdn: box.example.org, hostname: other}", NULL, "other\n"},
        {"{fqdn: box.example.org, prefer_fqdn_over_hostname: true}", NULL, "box.example.org\n"},
        {"{hostname: a.b.c, prefer_fqdn_over_hostname: true}", NULL, "a.b.c\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mt_config(t, cases[i].cfg, cases[i].meta);
        assert_int_equal(cc_set_hostname(&t->ctx), 0);
        mt_assert_file(t, "/etc/hostname", cases[i].file);
    }
    assert_int_equal(t->ctx.errors + t->ctx.warnings, 0);
    char *cmds = mt_get(t, "/.ci-commands");
    assert_string_equal(cmds, "hostname meta1\nhostname meta2\nhostname cfg1\nhostname cfg2\n"
                        "hostname box\nhostname other\nhostname box.example.org\nhostname a.b.c\n");
    free(cmds);
}

static void test_preserve_none_and_bad(void **state)
{
    struct mt *t = *state;
    mt_put(t, "/etc/hostname", "openv\n", 0644);
    mt_config(t, "{hostname: new, preserve_hostname: true}", NULL);
    assert_int_equal(cc_update_hostname(&t->ctx), 0);
    mt_config(t, "{}", "instance-id: x");
    assert_int_equal(cc_update_hostname(&t->ctx), 0);
    mt_assert_file(t, "/etc/hostname", "openv\n");
    assert_false(mt_exists(t, "/.ci-commands"));
    mt_config(t, "{hostname: 'bad name;rm -rf /'}", NULL);
    assert_int_equal(cc_set_hostname(&t->ctx), -1);
    assert_true(mt_said(t, "is not a valid host name"));
    mt_assert_file(t, "/etc/hostname", "openv\n");
    /* The hostname command failing is an error too. */
    setenv("CI_FAKE_STATUS", "1", 1);
    mt_config(t, "{hostname: ok}", NULL);
    assert_int_equal(cc_set_hostname(&t->ctx), -1);
    unsetenv("CI_FAKE_STATUS");
    assert_true(mt_said(t, "hostname ok failed (exit status 1)"));
}

static void test_update_keeps_user_hostname(void **state)
{
    struct mt *t = *state;
    mt_put(t, "/etc/hostname", "openv\n", 0644);
    mt_config(t, "{hostname: seedname}", NULL);
    /* First boot of the instance: set_hostname, then update_hostname remembers the name. */
    assert_int_equal(cc_set_hostname(&t->ctx), 0);
    assert_int_equal(cc_update_hostname(&t->ctx), 0);
    mt_assert_file(t, "/etc/hostname", "seedname\n");
    mt_assert_file(t, "/var/lib/cloud/data/previous-hostname", "seedname\n");
    mt_assert_file(t, "/.ci-commands", "hostname seedname\n");
    /* The user renames the machine: later boots keep the user's name. */
    mt_put(t, "/etc/hostname", "mine\n", 0644);
    assert_int_equal(cc_update_hostname(&t->ctx), 0);
    mt_assert_file(t, "/etc/hostname", "mine\n");
    /* A new name in the seed while /etc/hostname still holds cloud-init's: updated. */
    mt_put(t, "/etc/hostname", "seedname\n", 0644);
    mt_config(t, "{hostname: newname}", NULL);
    assert_int_equal(cc_update_hostname(&t->ctx), 0);
    mt_assert_file(t, "/etc/hostname", "newname\n");
    mt_assert_file(t, "/var/lib/cloud/data/previous-hostname", "newname\n");
    mt_assert_file(t, "/.ci-commands", "hostname seedname\nhostname newname\n");
    assert_int_equal(t->ctx.errors + t->ctx.warnings, 0);
}

static const char image_hosts[] = "127.0.0.1\tlocalhost\n127.0.1.1\topenv\n::1\tlocalhost\n";

static void test_manage_etc_hosts(void **state)
{
    struct mt *t = *state;
    mt_put(t, "/etc/hosts", image_hosts, 0644);
    mt_config(t, "{hostname: web}", NULL);                  /* default: false */
    assert_int_equal(cc_update_etc_hosts(&t->ctx), 0);
    mt_assert_file(t, "/etc/hosts", image_hosts);

    mt_config(t, "{fqdn: web.example.org, manage_etc_hosts: localhost}", NULL);
    assert_int_equal(cc_update_etc_hosts(&t->ctx), 0);
    mt_assert_file(t, "/etc/hosts", "127.0.0.1\tlocalhost\n127.0.1.1 web.example.org web\n"
                   "::1\tlocalhost\n");
    assert_int_equal(cc_update_etc_hosts(&t->ctx), 0);       /* right already: unchanged */
    mt_assert_file(t, "/etc/hosts", "127.0.0.1\tlocalhost\n127.0.1.1 web.example.org web\n"
                   "::1\tlocalhost\n");
    mt_put(t, "/etc/hosts", "10.0.0.1 db\n", 0644);
    assert_int_equal(cc_update_etc_hosts(&t->ctx), 0);
    mt_assert_file(t, "/etc/hosts", "10.0.0.1 db\n127.0.1.1 web.example.org web\n");

    mt_config(t, "{hostname: app, manage_etc_hosts: true}", "local-hostname: x");
    assert_int_equal(cc_update_etc_hosts(&t->ctx), 0);
    mt_assert_contains(t, "/etc/hosts", "\n127.0.1.1 app app\n127.0.0.1 localhost\n");
    mt_assert_contains(t, "/etc/hosts", "\n::1 localhost ip6-localhost ip6-loopback\n");
    mt_config(t, "{fqdn: a.example, manage_etc_hosts: template}", NULL);
    assert_int_equal(cc_update_etc_hosts(&t->ctx), 0);
    mt_assert_contains(t, "/etc/hosts", "\n127.0.1.1 a.example a\n");
    assert_int_equal(t->ctx.errors + t->ctx.warnings, 0);

    mt_config(t, "{hostname: h, manage_etc_hosts: sometimes}", NULL);
    assert_int_equal(cc_update_etc_hosts(&t->ctx), 0);
    assert_true(mt_said(t, "manage_etc_hosts: \"sometimes\" is none of"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        MT(test_hostname_sources),
        MT(test_preserve_none_and_bad),
        MT(test_update_keeps_user_hostname),
        MT(test_manage_etc_hosts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
