/* users_groups: the default user, users' options, groups, passwords, keys, sudo; the account
 * files keep every other line byte for byte. */
#include <crypt.h>

#include "mod_test.h"

static char today[24];

static void test_default_user(void **state)
{
    struct mt *t = *state;
    mt_config(t, "#cloud-config\n{}\n", NULL);
    assert_int_equal(cc_users_groups(&t->ctx), 0);
    assert_int_equal(t->ctx.errors + t->ctx.warnings, 0);
    mt_assert_file(t, "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                   "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
                   "openv:x:1000:1000:openv:/home/openv:/bin/sh\n");
    mt_assert_file(t, "/etc/group", "root:x:0:\ntty:x:5:\nnogroup:x:65534:\nopenv:x:1000:\n");
    char want[128];
    snprintf(want, sizeof want, "root:!:0:0:99999:7:::\nnobody:!:0:0:99999:7:::\n"
             "openv:!:%s:0:99999:7:::\n", today);
    mt_assert_file(t, "/etc/shadow", want);
    struct stat st = mt_stat(t, "/home/openv");
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0755);
    assert_int_equal(st.st_uid, 1000);
    assert_int_equal(st.st_gid, 1000);
    assert_int_equal(mt_stat(t, "/etc/shadow").st_mode & 07777, 0600);
    /* cloud-init's default sudo rule for the default user: ALL=(ALL) NOPASSWD:ALL */
    mt_assert_file(t, "/etc/doas.conf", "# cloud-init: rules of user openv\n"
                   "permit nopass openv\n# cloud-init: end of openv\n");
    assert_int_equal(mt_stat(t, "/etc/doas.conf").st_mode & 07777, 0600);
    /* The lock file lckpwdf uses. */
    assert_true(mt_exists(t, "/etc/.pwd.lock"));
}

static void test_rerun_changes_nothing(void **state)
{
    struct mt *t = *state;
    mt_config(t, "#cloud-config\nusers: [default, {name: ann, groups: [tty]}]\n", NULL);
    assert_int_equal(cc_users_groups(&t->ctx), 0);
    char *p1 = mt_get(t, "/etc/passwd"), *g1 = mt_get(t, "/etc/group"), *s1 = mt_get(t, "/etc/shadow");
    assert_int_equal(cc_users_groups(&t->ctx), 0);
    mt_assert_file(t, "/etc/passwd", p1);
    mt_assert_file(t, "/etc/group", g1);
    mt_assert_file(t, "/etc/shadow", s1);
    assert_non_null(strstr(g1, "tty:x:5:ann\n"));
    assert_non_null(strstr(p1, "ann:x:1001:1001::/home/ann:/bin/sh\n"));
    free(p1);
    free(g1);
    free(s1);
}

static void test_user_options(void **state)
{
    struct mt *t = *state;
    mt_config(t,
              "#cloud-config\n"
              "groups:\n  - admins: [root]\n  - cloud-users\n"
              "users:\n"
              "  - name: bob\n"
              "    gecos: Bob B\n"
              "    groups: admins, tty\n"
              "    primary_group: staff\n"
              "    shell: /bin/ash\n"
              "    homedir: /srv/bob\n"
              "    uid: 2001\n"
              "    lock_passwd: false\n"
              "    hashed_passwd: $6$abc$xyz\n"
              "    ssh_authorized_keys:\n"
              "      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBob bob@host\n"
              "    sudo: ALL=(ALL) ALL\n",
              NULL);
    assert_int_equal(cc_users_groups(&t->ctx), 0);
    assert_int_equal(t->ctx.errors, 0);
    mt_assert_contains(t, "/etc/passwd", "\nbob:x:2001:1002:Bob B:/srv/bob:/bin/ash\n");
    mt_assert_contains(t, "/etc/group", "\nadmins:x:1000:root,bob\n");
    mt_assert_contains(t, "/etc/group", "\ncloud-users:x:1001:\n");
    mt_assert_contains(t, "/etc/group", "\ntty:x:5:bob\n");
    mt_assert_contains(t, "/etc/group", "\nstaff:x:1002:\n");
    mt_assert_contains(t, "/etc/shadow", "\nbob:$6$abc$xyz:");
    struct stat st = mt_stat(t, "/srv/bob/.ssh");
    assert_int_equal(st.st_mode & 07777, 0700);
    assert_int_equal(st.st_uid, 2001);
    st = mt_stat(t, "/srv/bob/.ssh/authorized_keys");
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(st.st_uid, 2001);
    assert_int_equal(st.st_gid, 1002);
    mt_assert_file(t, "/srv/bob/.ssh/authorized_keys",
                   "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBob bob@host\n");
    mt_assert_file(t, "/etc/doas.conf", "# cloud-init: rules of user bob\n"
                   "permit bob\n# cloud-init: end of bob\n");
    /* users: given without default: no openv. */
    char *p = mt_get(t, "/etc/passwd");
    assert_null(strstr(p, "openv"));
    free(p);
}

static void test_plain_text_and_lock(void **state)
{
    struct mt *t = *state;
    mt_config(t,
              "#cloud-config\nusers:\n"
              "  - {name: carol, plain_text_passwd: s3cret, lock_passwd: false}\n"
              "  - {name: dave, hashed_passwd: $6$x$y}\n",
              NULL);
    assert_int_equal(cc_users_groups(&t->ctx), 0);
    char *s = mt_get(t, "/etc/shadow");
    char *c = strstr(s, "\ncarol:");
    assert_non_null(c);
    char hash[256];
    snprintf(hash, sizeof hash, "%.*s", (int)strcspn(c + 7, ":"), c + 7);
    assert_memory_equal(hash, "$6$", 3);
    assert_string_equal(crypt("s3cret", hash), hash);
    /* lock_passwd defaults to true: the hash stays, locked with "!" (passwd -l). */
    assert_non_null(strstr(s, "\ndave:!$6$x$y:"));
    free(s);
}

static void test_system_user_and_errors(void **state)
{
    struct mt *t = *state;
    mt_config(t,
              "#cloud-config\nusers:\n"
              "  - {name: svc, system: true}\n"
              "  - {name: 'bad:name'}\n"
              "  - {name: eve, uid: 0}\n"
              "  - {name: frank, shell: 'sh'}\n"
              "  - {name: gina, gecos: 'x', expiredate: '2030-01-01'}\n"
              "  - name: hal\n    lock_passwd: maybe\n",
              NULL);
    assert_int_equal(cc_users_groups(&t->ctx), -1);
    mt_assert_contains(t, "/etc/passwd", "\nsvc:x:999:999::/home/svc:/bin/sh\n");
    assert_false(mt_exists(t, "/home/svc"));                     /* system: no home */
    assert_true(mt_said(t, "user bad:name: not a valid user name"));
    assert_true(mt_said(t, "user eve: uid 0 is already taken"));
    assert_true(mt_said(t, "user frank:"));
    assert_true(mt_said(t, "user gina: expiredate is not supported"));
    assert_true(mt_said(t, "user hal: lock_passwd (line 9) is not a boolean"));
    mt_assert_contains(t, "/etc/passwd", "\ngina:x:1000:1000:x:/home/gina:/bin/sh\n");
    mt_assert_contains(t, "/etc/passwd", "\nhal:x:1001:1001::/home/hal:/bin/sh\n");
    char *p = mt_get(t, "/etc/passwd");
    assert_null(strstr(p, "eve"));
    assert_null(strstr(p, "frank"));
    free(p);
    assert_int_equal(t->ctx.errors, 3);
}

static void test_user_override_and_unmappable_sudo(void **state)
{
    struct mt *t = *state;
    mt_config(t,
              "#cloud-config\n"
              "user: {name: admin, sudo: ['ALL=(ALL) NOPASSWD:/sbin/reboot, /bin/ls -l', "
              "'web1=(ALL) ALL'], doas: ['permit nopass admin cmd /bin/true']}\n",
              NULL);
    assert_int_equal(cc_users_groups(&t->ctx), 0);
    mt_assert_contains(t, "/etc/passwd", "\nadmin:x:1000:1000:openv:/home/admin:/bin/sh\n");
    mt_assert_file(t, "/etc/doas.conf", "# cloud-init: rules of user admin\n"
                   "permit nopass admin cmd /sbin/reboot\n"
                   "permit nopass admin cmd /bin/ls args -l\n"
                   "permit nopass admin cmd /bin/true\n"
                   "# cloud-init: end of admin\n");
    assert_true(mt_said(t, "sudo rule \"web1=(ALL) ALL\" has no doas equivalent"));
    assert_int_equal(t->ctx.warnings, 1);
}

static void test_existing_lines_kept(void **state)
{
    struct mt *t = *state;
    /* Odd but valid lines, no final newline: kept as they are. */
    mt_put(t, "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n#comment\n+::::::\n"
           "openv:x:1500:1500:Old:/home/openv:/bin/sh", 0644);
    mt_put(t, "/etc/group", "root:x:0:\nopenv:x:1500:\nvideo:x:44:\n", 0644);
    mt_put(t, "/etc/shadow", "root:!:0:0:99999:7:::\nopenv:*:1:0:99999:7:::\n", 0640);
    mt_config(t, "#cloud-config\nusers: [default]\n", NULL);
    assert_int_equal(cc_users_groups(&t->ctx), 0);
    /* Unchanged: not even rewritten (no newline added). */
    mt_assert_file(t, "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n#comment\n+::::::\n"
                   "openv:x:1500:1500:Old:/home/openv:/bin/sh");
    /* The default user joins the Ubuntu default groups the image has (video). */
    mt_assert_file(t, "/etc/group", "root:x:0:\nopenv:x:1500:\nvideo:x:44:openv\n");
    mt_assert_file(t, "/etc/shadow", "root:!:0:0:99999:7:::\nopenv:!*:1:0:99999:7:::\n");
    assert_int_equal(mt_stat(t, "/etc/shadow").st_mode & 07777, 0640);
}

static void test_users_null(void **state)
{
    struct mt *t = *state;
    mt_config(t, "#cloud-config\nusers: []\n", NULL);
    assert_int_equal(cc_users_groups(&t->ctx), 0);
    mt_assert_file(t, "/etc/passwd", mt_passwd);
    assert_false(mt_exists(t, "/etc/doas.conf"));
}

int main(void)
{
    snprintf(today, sizeof today, "%ld", acct_today());
    const struct CMUnitTest tests[] = {
        MT(test_default_user),
        MT(test_rerun_changes_nothing),
        MT(test_user_options),
        MT(test_plain_text_and_lock),
        MT(test_system_user_and_errors),
        MT(test_user_override_and_unmappable_sudo),
        MT(test_existing_lines_kept),
        MT(test_users_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
