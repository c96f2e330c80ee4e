/* ssh: authorized keys of the default user and root (disable_root's prefix), meta-data
 * public-keys, host keys (deletion, ssh_keys conversion, ssh_genkeytypes). */
#include "mod_test.h"

#define KEY_A "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAAA a@host"
#define KEY_B "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABBBBB b@host"
#define KEY_DEV "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDEV dev@build"
#define ROOT_PREFIX "no-port-forwarding,no-agent-forwarding,no-X11-forwarding," \
    "command=\"printf 'Please login as the user \\042openv\\042 rather than the user " \
    "\\042root\\042.\\n';echo;sleep 10;exit 142\""

static void add_openv(struct mt *t)
{
    mt_put(t, "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
           "openv:x:1000:1000:openv:/home/openv:/bin/sh\n", 0644);
    assert_int_equal(ci_mkdir_p(&t->ctx, "/home/openv", 0755), 0);
    assert_int_equal(ci_mkdir_p(&t->ctx, "/root", 0700), 0);
}

static void test_keys_default_user_and_root(void **state)
{
    struct mt *t = *state;
    add_openv(t);
    /* The development key rcS installs stays as it is. */
    mt_put(t, "/root/.ssh/authorized_keys", KEY_DEV "\n", 0600);
    mt_config(t, "#cloud-config\nssh_authorized_keys: ['" KEY_A "']\n",
              "instance-id: i-1\npublic-keys: ['" KEY_B "']\n");
    assert_int_equal(cc_ssh(&t->ctx), 0);
    assert_int_equal(t->ctx.errors + t->ctx.warnings, 0);
    mt_assert_file(t, "/home/openv/.ssh/authorized_keys", KEY_B "\n" KEY_A "\n");
    mt_assert_file(t, "/root/.ssh/authorized_keys",
                   KEY_DEV "\n" ROOT_PREFIX " " KEY_B "\n" ROOT_PREFIX " " KEY_A "\n");
    struct stat st = mt_stat(t, "/home/openv/.ssh");
    assert_int_equal(st.st_mode & 07777, 0700);
    assert_int_equal(st.st_uid, 1000);
    st = mt_stat(t, "/home/openv/.ssh/authorized_keys");
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(st.st_uid, 1000);
    /* Again (a re-run): nothing added twice. */
    assert_int_equal(cc_ssh(&t->ctx), 0);
    mt_assert_file(t, "/home/openv/.ssh/authorized_keys", KEY_B "\n" KEY_A "\n");
}

/* As cloud-init: root's line of a key the seed also gives is replaced by the seed's line with
 * disable_root's options (an unprefixed copy would let root in with that key); other lines stay. */
static void test_key_already_in_root_file_gains_prefix(void **state)
{
    struct mt *t = *state;
    add_openv(t);
    mt_put(t, "/root/.ssh/authorized_keys", "# keep me\n" KEY_DEV "\n" KEY_B, 0600);  /* no final newline */
    mt_config(t, "#cloud-config\nssh_authorized_keys: ['" KEY_DEV "', '" KEY_A "', '" KEY_A "']\n", NULL);
    assert_int_equal(cc_ssh(&t->ctx), 0);
    const char *want = "# keep me\n" ROOT_PREFIX " " KEY_DEV "\n" KEY_B "\n" ROOT_PREFIX " " KEY_A "\n";
    mt_assert_file(t, "/root/.ssh/authorized_keys", want);
    mt_assert_file(t, "/home/openv/.ssh/authorized_keys", KEY_DEV "\n" KEY_A "\n");
    /* Again (a re-run): the same file. */
    assert_int_equal(cc_ssh(&t->ctx), 0);
    mt_assert_file(t, "/root/.ssh/authorized_keys", want);
}

static void test_disable_root_false_and_opts(void **state)
{
    struct mt *t = *state;
    add_openv(t);
    mt_config(t, "#cloud-config\ndisable_root: false\nssh_authorized_keys: ['" KEY_A "']\n", NULL);
    assert_int_equal(cc_ssh(&t->ctx), 0);
    mt_assert_file(t, "/root/.ssh/authorized_keys", KEY_A "\n");
    mt_put(t, "/root/.ssh/authorized_keys", "", 0600);
    mt_config(t, "#cloud-config\ndisable_root_opts: 'no-pty,command=\"echo $USER not $DISABLE_USER\"'\n"
              "ssh_authorized_keys: ['" KEY_A "']\n", NULL);
    assert_int_equal(cc_ssh(&t->ctx), 0);
    mt_assert_file(t, "/root/.ssh/authorized_keys",
                   "no-pty,command=\"echo openv not root\" " KEY_A "\n");
}

static void test_meta_keys_forms(void **state)
{
    struct mt *t = *state;
    add_openv(t);
    mt_config(t, "#cloud-config\ndisable_root: false\n",
              "{\"public-keys\": {\"k1\": \"" KEY_A "\\n" KEY_B "\"}}");
    assert_int_equal(cc_ssh(&t->ctx), 0);
    mt_assert_file(t, "/home/openv/.ssh/authorized_keys", KEY_A "\n" KEY_B "\n");
    /* allow_public_ssh_keys: false ignores meta-data keys. */
    mt_config(t, "#cloud-config\nallow_public_ssh_keys: false\n", "public-keys: '" KEY_DEV "'\n");
    assert_int_equal(cc_ssh(&t->ctx), 0);
    mt_assert_file(t, "/home/openv/.ssh/authorized_keys", KEY_A "\n" KEY_B "\n");
}

static void test_no_default_user(void **state)
{
    struct mt *t = *state;
    assert_int_equal(ci_mkdir_p(&t->ctx, "/root", 0700), 0);
    mt_config(t, "#cloud-config\nssh_authorized_keys: ['" KEY_A "']\n", NULL);
    assert_int_equal(cc_ssh(&t->ctx), 0);
    mt_assert_contains(t, "/root/.ssh/authorized_keys", "the user \\042NONE\\042 rather");
}

static void test_host_keys(void **state)
{
    struct mt *t = *state;
    mt_put(t, "/proc/mounts", "/dev/vda4 /data ofs rw,nosuid,nodev 0 0\n", 0644);
    mt_put(t, "/data/etc/dropbear/dropbear_ed25519_host_key", "old", 0600);
    mt_put(t, "/data/etc/dropbear/dropbear_ecdsa_host_key", "old", 0600);
    mt_put(t, "/data/etc/dropbear/other", "kept", 0600);
    mt_config(t,
              "#cloud-config\nssh_keys:\n"
              "  ed25519_private: |\n    -----BEGIN OPENSSH PRIVATE KEY-----\n    abc\n"
              "    -----END OPENSSH PRIVATE KEY-----\n"
              "  ed25519_public: ssh-ed25519 AAAA\n"
              "  dsa_private: x\n"
              "  rsa_certificate: x\n"
              "ssh_genkeytypes: [ed25519, rsa, dsa]\n",
              NULL);
    assert_int_equal(cc_ssh(&t->ctx), 0);
    assert_false(mt_exists(t, "/data/etc/dropbear/dropbear_ecdsa_host_key"));
    assert_false(mt_exists(t, "/data/etc/dropbear/dropbear_ed25519_host_key"));
    assert_true(mt_exists(t, "/data/etc/dropbear/other"));
    assert_false(mt_exists(t, "/data/etc/dropbear/cloud-init-ed25519.openssh"));
    char want[512];
    snprintf(want, sizeof want, "dropbearconvert openssh dropbear %s/data/etc/dropbear/"
             "cloud-init-ed25519.openssh %s/data/etc/dropbear/dropbear_ed25519_host_key\n",
             t->root, t->root);
    mt_assert_file(t, "/.ci-commands", want);
    mt_assert_contains(t, "/etc/default/dropbear", "\nDROPBEAR_KEYTYPES=\"ed25519 rsa\"\n");
    assert_true(mt_said(t, "ssh_keys: dsa_private is not supported"));
    assert_true(mt_said(t, "ssh_keys: rsa_certificate is not supported"));
    assert_true(mt_said(t, "ssh_genkeytypes: dsa is not a Dropbear host key type"));
    assert_int_equal(t->ctx.warnings, 3);
}

static void test_deletekeys_false_and_run_dir(void **state)
{
    struct mt *t = *state;
    mt_put(t, "/run/dropbear/dropbear_ed25519_host_key", "old", 0600);
    mt_config(t, "#cloud-config\nssh_deletekeys: false\n", NULL);
    assert_int_equal(cc_ssh(&t->ctx), 0);
    assert_true(mt_exists(t, "/run/dropbear/dropbear_ed25519_host_key"));
    mt_config(t, "#cloud-config\n{}\n", NULL);
    assert_int_equal(cc_ssh(&t->ctx), 0);
    assert_false(mt_exists(t, "/run/dropbear/dropbear_ed25519_host_key"));
    /* Without an rw OFS /data, S50dropbear keeps keys in /run/dropbear. */
    assert_string_equal(mod_dropbear_keydir(&t->ctx), "/run/dropbear");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        MT(test_keys_default_user_and_root),
        MT(test_key_already_in_root_file_gains_prefix),
        MT(test_disable_root_false_and_opts),
        MT(test_meta_keys_forms),
        MT(test_no_default_user),
        MT(test_host_keys),
        MT(test_deletekeys_false_and_run_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
