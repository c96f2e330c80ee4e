/* bootcmd, runcmd, power_state_change, final_message, the modules openv refuses, the doas
 * mapping of sudo rules, and the module table. */
#include "mod_test.h"

static void test_bootcmd(void **state)
{
    struct mt *t = *state;
    mt_config(t, "bootcmd:\n  - echo one > /tmp/x\n  - [sh, -c, \"echo $INSTANCE_ID it's\"]\n"
              "  - {not: a command}\n", NULL);
    assert_int_equal(cc_bootcmd(&t->ctx), 0);
    mt_assert_file(t, "/.ci-commands", "sh -c #!/bin/sh\necho one > /tmp/x\n"
                   "sh -c 'echo $INSTANCE_ID it'\"'\"'s'\n\n");
    assert_true(mt_said(t, "bootcmd: not a command string or a non-empty list (line 4)"));
    assert_null(getenv("INSTANCE_ID"));
    setenv("CI_FAKE_STATUS", "3", 1);
    assert_int_equal(cc_bootcmd(&t->ctx), -1);
    unsetenv("CI_FAKE_STATUS");
    assert_true(mt_said(t, "bootcmd: the commands failed (exit status 3)"));
    mt_config(t, "bootcmd: {a: b}\n", NULL);
    assert_int_equal(cc_bootcmd(&t->ctx), -1);
}

static void test_runcmd_script(void **state)
{
    struct mt *t = *state;
    mt_config(t, "runcmd:\n  - echo hello\n  - [ls, -l, /]\n  - [echo, 'a b', '$HOME', '']\n"
              "  - 'touch /x; echo done'\n", NULL);
    assert_int_equal(cc_runcmd(&t->ctx), 0);
    mt_assert_file(t, "/var/lib/cloud/instance/scripts/runcmd",
                   "#!/bin/sh\necho hello\nls -l /\necho 'a b' '$HOME' ''\ntouch /x; echo done\n");
    assert_int_equal(mt_stat(t, "/var/lib/cloud/instance/scripts/runcmd").st_mode & 07777, 0700);
    assert_false(mt_exists(t, "/.ci-commands"));            /* scripts_user runs it later */
}

static void test_power_state(void **state)
{
    struct mt *t = *state;
    mt_config(t, "power_state: {mode: poweroff, message: bye}\n", NULL);
    assert_int_equal(cc_power_state_change(&t->ctx), 0);
    mt_config(t, "power_state: {mode: reboot, delay: '+2', condition: 'test -e /x'}\n", NULL);
    assert_int_equal(cc_power_state_change(&t->ctx), 0);
    mt_config(t, "power_state: {mode: halt, delay: now, condition: false}\n", NULL);
    assert_int_equal(cc_power_state_change(&t->ctx), 0);
    mt_assert_file(t, "/.ci-commands", "poweroff\nsh -c test -e /x\nreboot -d 120\n");
    mt_config(t, "power_state: {mode: sleep}\n", NULL);
    assert_int_equal(cc_power_state_change(&t->ctx), -1);
    mt_config(t, "power_state: {mode: poweroff, delay: soon}\n", NULL);
    assert_int_equal(cc_power_state_change(&t->ctx), -1);
    mt_config(t, "power_state: {mode: poweroff, timeout: long}\n", NULL);
    assert_int_equal(cc_power_state_change(&t->ctx), -1);
    assert_int_equal(t->ctx.errors, 3);
    assert_true(mt_said(t, "mode \"sleep\" is none of poweroff, reboot, halt"));
    /* A condition command exiting 1: nothing happens. */
    setenv("CI_FAKE_STATUS", "1", 1);
    mt_config(t, "power_state: {mode: poweroff, condition: [test, -e, /y]}\n", NULL);
    assert_int_equal(cc_power_state_change(&t->ctx), 0);
    unsetenv("CI_FAKE_STATUS");
    char *s = mt_get(t, "/.ci-commands");
    assert_non_null(strstr(s, "reboot -d 120\nsh -c test -e /y\n"));
    assert_null(strstr(s, "/y\npoweroff"));
    free(s);
}

static char *final_message(struct mt *t, const char *cfg)
{
    mt_config(t, cfg, NULL);
    fflush(stderr);
    char path[4096];
    assert_int_equal(ci_path(&t->ctx, "/stderr", path, sizeof path), 0);
    int saved = dup(2);
    FILE *f = freopen(path, "w", stderr);
    assert_non_null(f);
    assert_int_equal(cc_final_message(&t->ctx), 0);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    return mt_get(t, "/stderr");
}

static void test_final_message(void **state)
{
    struct mt *t = *state;
    mt_put(t, "/proc/uptime", "12.34 20.00\n", 0644);
    char *s = final_message(t, "{}");
    char want[256];
    snprintf(want, sizeof want, "Cloud-init v. %s finished at ", "dev");
    assert_memory_equal(s, want, strlen(want));
    assert_non_null(strstr(s, " +0000. Datasource DataSourceNoCloud [seed=/dev/vdb].  "
                           "Up 12.34 seconds\n"));
    free(s);
    s = final_message(t, "final_message: \"## template: jinja\\nup {{ uptime }} $uptime "
                      "${datasource} $other {{nope}} $\"\n");
    assert_string_equal(s, "up 12.34 12.34 DataSourceNoCloud [seed=/dev/vdb] $other {{nope}} $\n");
    free(s);
}

static void test_unsupported_warn(void **state)
{
    struct mt *t = *state;
    mt_config(t, "{packages: [vim], package_update: false, package_upgrade: true, "
              "apt: {primary: []}, ntp: {enabled: true}, timezone: Europe/Paris}\n", NULL);
    assert_int_equal(cc_package_update_upgrade_install(&t->ctx), 0);
    assert_int_equal(cc_apt_configure(&t->ctx), 0);
    assert_int_equal(cc_ntp(&t->ctx), 0);
    assert_int_equal(cc_timezone(&t->ctx), 0);
    assert_int_equal(t->ctx.errors, 0);
    assert_int_equal(t->ctx.warnings, 5);
    assert_true(mt_said(t, "packages: not supported on openv (it has no package manager)"));
    assert_true(mt_said(t, "timezone: not supported on openv (it has no zoneinfo"));
    assert_false(mt_said(t, "package_update"));
    mt_config(t, "{timezone: Etc/UTC}\n", NULL);
    assert_int_equal(cc_timezone(&t->ctx), 0);
    assert_int_equal(t->ctx.warnings, 5);
}

static void test_sudo_to_doas(void **state)
{
    (void)state;
    static const struct {
        const char *rule, *doas;
    } cases[] = {
        {"ALL=(ALL) NOPASSWD:ALL", "permit nopass u"},
        {"ALL=(ALL:ALL) NOPASSWD: ALL", "permit nopass u"},
        {"ALL=(ALL) ALL", "permit u"},
        {"ALL=(ALL:ALL) ALL", "permit u"},
        {"ALL = (root) NOPASSWD: /sbin/poweroff", "permit nopass u as root cmd /sbin/poweroff"},
        {"ALL=NOPASSWD: /bin/ls -l /tmp", "permit nopass u as root cmd /bin/ls args -l /tmp"},
        {"ALL=(www) PASSWD: /bin/a, /bin/b",
         "permit u as www cmd /bin/a\npermit u as www cmd /bin/b"},
        {"host1=(ALL) ALL", NULL},
        {"ALL=(ALL) NOPASSWD: /usr/bin/*", NULL},
        {"ALL=(ALL) ls", NULL},
        {"ALL=(ALL:wheel) ALL", NULL},
        {"ALL=(a b) ALL", NULL},
        {"ALL=(ALL) NOEXEC: ALL", NULL},
        {"ALL=(ALL)", NULL},
        {"", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *got = doas_rule_from_sudo("u", cases[i].rule);
        if (!cases[i].doas) {
            if (got)
                fail_msg("\"%s\" gave \"%s\", wanted nothing", cases[i].rule, got);
            continue;
        }
        if (!got)
            fail_msg("\"%s\" gave nothing", cases[i].rule);
        assert_string_equal(got, cases[i].doas);
        free(got);
    }
}

static void test_doas_conf_blocks(void **state)
{
    struct mt *t = *state;
    mt_put(t, "/etc/doas.conf", "permit keepenv :wheel\n", 0600);
    char *a[] = {"permit nopass a", NULL}, *b[] = {"permit b", "permit b as x", NULL},
         *a2[] = {"permit a", NULL};
    assert_int_equal(doas_set_user_rules(&t->ctx, "a", a), 0);
    assert_int_equal(doas_set_user_rules(&t->ctx, "b", b), 0);
    assert_int_equal(doas_set_user_rules(&t->ctx, "a", a2), 0);
    mt_assert_file(t, "/etc/doas.conf", "permit keepenv :wheel\n"
                   "# cloud-init: rules of user b\npermit b\npermit b as x\n# cloud-init: end of b\n"
                   "# cloud-init: rules of user a\npermit a\n# cloud-init: end of a\n");
    assert_int_equal(doas_set_user_rules(&t->ctx, "b", NULL), 0);
    mt_assert_file(t, "/etc/doas.conf", "permit keepenv :wheel\n"
                   "# cloud-init: rules of user a\npermit a\n# cloud-init: end of a\n");
    struct stat st = mt_stat(t, "/etc/doas.conf");
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(st.st_uid, 0);
}

static void test_table(void **state)
{
    (void)state;
    static const char *const order[] = {
        "bootcmd", "write_files", "set_hostname", "update_hostname", "update_etc_hosts",
        "users_groups", "ssh", "set_passwords", "apt_configure", "ntp", "timezone", "runcmd",
        "package_update_upgrade_install", "write_files_deferred", "final_message",
        "power_state_change",
    };
    assert_int_equal(ci_nmodules, sizeof order / sizeof *order);
    enum ci_stage last = CI_STAGE_INIT;
    for (size_t i = 0; i < ci_nmodules; i++) {
        assert_string_equal(ci_modules[i].name, order[i]);
        assert_true(ci_modules[i].stage >= last);           /* stages in order */
        last = ci_modules[i].stage;
        assert_non_null(ci_modules[i].run);
        assert_non_null(ci_modules[i].keys);
    }
    /* Keys the issue names are known to some module, so the core does not warn about them. */
    static const char *const keys[] = {
        "hostname", "fqdn", "prefer_fqdn_over_hostname", "users", "groups", "ssh_authorized_keys",
        "disable_root", "disable_root_opts", "ssh_pwauth", "chpasswd", "password", "ssh_keys",
        "ssh_deletekeys", "ssh_genkeytypes", "write_files", "bootcmd", "runcmd", "power_state",
        "final_message", "timezone", "packages", "package_update", "package_upgrade",
        "manage_etc_hosts", "ntp", "apt",
    };
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        bool found = false;
        for (size_t i = 0; i < ci_nmodules && !found; i++)
            for (size_t j = 0; ci_modules[i].keys[j] && !found; j++)
                found = !strcmp(ci_modules[i].keys[j], keys[k]);
        if (!found)
            fail_msg("no module lists %s", keys[k]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        MT(test_bootcmd),
        MT(test_runcmd_script),
        MT(test_power_state),
        MT(test_final_message),
        MT(test_unsupported_warn),
        cmocka_unit_test(test_sudo_to_doas),
        MT(test_doas_conf_blocks),
        cmocka_unit_test(test_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
