/* network-config v1 and v2 applied against a temporary root: the `ip` commands recorded in
 * <root>/.ci-commands (run.c records instead of running off "/"), the /etc/resolv.conf written,
 * and the error/warning counts that `cloud-init status` reports. */
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

#define ETH0_MAC "52:54:00:12:34:56"

struct fixture {
    char *root;
    FILE *log;
    struct ci_context ctx;
};

static void put(const struct ci_context *ctx, const char *abs, const char *text)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", abs);
    *strrchr(dir, '/') = '\0';
    assert_int_equal(ci_mkdir_p(ctx, dir, 0755), 0);
    assert_int_equal(ci_write_file(ctx, abs, text, strlen(text), 0644, (uid_t)-1, (gid_t)-1), 0);
}

/* A root with openv's interfaces (lo, eth0 with QEMU's first MAC) and the image's resolv.conf
 * symlink. */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->root = strdup("/tmp/ci-netcfg-XXXXXX");
    assert_non_null(mkdtemp(f->root));
    f->log = fopen("/dev/null", "w");
    f->ctx = (struct ci_context){.root = f->root, .log = f->log};
    put(&f->ctx, "/sys/class/net/lo/address", "00:00:00:00:00:00\n");
    put(&f->ctx, "/sys/class/net/eth0/address", ETH0_MAC "\n");
    put(&f->ctx, "/proc/cmdline", "root=/dev/dm-0 ro console=ttyS0\n");
    char link[4096];
    assert_int_equal(ci_mkdir_p(&f->ctx, "/etc", 0755), 0);
    assert_int_equal(ci_path(&f->ctx, "/etc/resolv.conf", link, sizeof link), 0);
    assert_int_equal(symlink("/proc/net/pnp", link), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->root);
    assert_int_equal(system(cmd), 0);
    ci_context_release(&f->ctx);
    fclose(f->log);
    free(f->root);
    free(f);
    return 0;
}

/* Parses yaml and applies it; returns ci_netcfg_apply's result. */
static int apply(struct fixture *f, const char *yaml)
{
    char err[256];
    struct ci_node *n = ci_yaml_parse(yaml, strlen(yaml), err, sizeof err);
    assert_non_null(n);
    int rc = ci_netcfg_apply(&f->ctx, n);
    ci_node_free(n);
    return rc;
}

static char *commands(struct fixture *f)
{
    char *s = ci_read_file(&f->ctx, "/.ci-commands", NULL);
    return s ? s : strdup("");
}

static void assert_commands(struct fixture *f, const char *want)
{
    char *s = commands(f);
    assert_string_equal(s, want);
    free(s);
}

static void assert_resolv(struct fixture *f, const char *want)
{
    char path[4096];
    struct stat st;
    assert_int_equal(ci_path(&f->ctx, "/etc/resolv.conf", path, sizeof path), 0);
    assert_int_equal(lstat(path, &st), 0);
    if (!want) {
        assert_true(S_ISLNK(st.st_mode));   /* untouched: still the image's symlink */
        return;
    }
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0644);
    char *s = ci_read_file(&f->ctx, "/etc/resolv.conf", NULL);
    assert_non_null(s);
    assert_string_equal(s, want);
    free(s);
}

static const char static_cmds[] =
    "ip addr flush dev eth0\n"
    "ip addr add 192.168.7.10/24 dev eth0\n"
    "ip link set eth0 up\n"
    "ip route add default via 192.168.7.1 dev eth0\n";

static void test_v1_static_by_mac(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(apply(f,
        "version: 1\n"
        "config:\n"
        "  - type: physical\n"
        "    name: eth0\n"
        "    mac_address: '52:54:00:12:34:56'\n"
        "    subnets:\n"
        "      - type: static\n"
        "        address: 192.168.7.10\n"
        "        netmask: 255.255.255.0\n"
        "        gateway: 192.168.7.1\n"
        "        dns_nameservers: [192.168.7.2, 9.9.9.9]\n"
        "        dns_search: [lab.example]\n"
        "  - type: nameserver\n"
        "    address: 1.1.1.1\n"
        "    search: [example.org]\n"), 0);
    assert_commands(f, static_cmds);
    assert_resolv(f, "# written by cloud-init from network-config\n"
                     "nameserver 192.168.7.2\nnameserver 9.9.9.9\nnameserver 1.1.1.1\n"
                     "search lab.example example.org\n");
    assert_int_equal(f->ctx.errors, 0);
    assert_int_equal(f->ctx.warnings, 0);
}

/* Under the top-level network: key, CIDR address, the default route as a v1 route. */
static void test_v1_cidr_route_by_name(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(apply(f,
        "network:\n"
        "  version: 1\n"
        "  config:\n"
        "  - type: physical\n"
        "    name: eth0\n"
        "    subnets:\n"
        "    - type: static4\n"
        "      address: 192.168.7.10/24\n"
        "      routes:\n"
        "      - {network: 0.0.0.0, netmask: 0.0.0.0, gateway: 192.168.7.1}\n"
        "      - {network: 10.9.0.0, netmask: 255.255.0.0, gateway: 192.168.7.3}\n"), 0);
    assert_commands(f, static_cmds);
    assert_resolv(f, NULL);
    assert_int_equal(f->ctx.errors, 0);
    assert_int_equal(f->ctx.warnings, 1);   /* the 10.9/16 route: openv has only the default */
}

static void test_v1_dhcp(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(apply(f,
        "version: 1\n"
        "config:\n"
        "- type: physical\n"
        "  name: eth0\n"
        "  subnets: [{type: dhcp}]\n"), 0);
    /* The kernel's DHCP is already running: nothing stops it. */
    assert_commands(f, "ip link set eth0 up\n");
    assert_resolv(f, NULL);
    assert_int_equal(f->ctx.errors + f->ctx.warnings, 0);
}

static void test_dhcp_with_ip_off_warns(void **state)
{
    struct fixture *f = *state;
    put(&f->ctx, "/proc/cmdline", "root=/dev/dm-0 ip=off\n");
    assert_int_equal(apply(f, "version: 2\nethernets:\n  eth0:\n    dhcp4: true\n"), 0);
    assert_int_equal(f->ctx.warnings, 1);
    assert_non_null(strstr(f->ctx.warning_msgs[0], "cannot start DHCP"));
}

static void test_v2_static(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(apply(f,
        "network:\n"
        "  version: 2\n"
        "  ethernets:\n"
        "    id0:\n"
        "      match:\n"
        "        macaddress: '52:54:00:12:34:56'\n"
        "      set-name: eth0\n"
        "      dhcp4: false\n"
        "      addresses: [192.168.7.10/24]\n"
        "      gateway4: 192.168.7.1\n"
        "      nameservers:\n"
        "        addresses: [192.168.7.2]\n"
        "        search: [lab.example]\n"), 0);
    assert_commands(f, static_cmds);
    assert_resolv(f, "# written by cloud-init from network-config\n"
                     "nameserver 192.168.7.2\nsearch lab.example\n");
    assert_int_equal(f->ctx.errors + f->ctx.warnings, 0);
}

static void test_v2_routes_and_name_glob(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(apply(f,
        "version: 2\n"
        "ethernets:\n"
        "  nic:\n"
        "    match: {name: 'eth*'}\n"
        "    addresses: [192.168.7.10/24, '2001:db8::5/64']\n"
        "    routes:\n"
        "    - {to: default, via: 192.168.7.1}\n"), 0);
    assert_commands(f, static_cmds);
    assert_int_equal(f->ctx.errors, 0);
    assert_int_equal(f->ctx.warnings, 1);   /* the IPv6 address */
}

static void test_v2_dhcp_by_key_name(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(apply(f, "version: 2\nethernets:\n  eth0: {dhcp4: true}\n"), 0);
    assert_commands(f, "ip link set eth0 up\n");
    assert_int_equal(f->ctx.errors + f->ctx.warnings, 0);
}

static void test_mac_mismatch_skips(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(apply(f,
        "version: 2\n"
        "ethernets:\n"
        "  other:\n"
        "    match: {macaddress: 'aa:bb:cc:dd:ee:ff'}\n"
        "    addresses: [10.1.1.1/8]\n"), 0);
    assert_commands(f, "");
    assert_int_equal(f->ctx.warnings, 1);
}

static void test_disabled_and_empty(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(apply(f, "network: {config: disabled}\n"), 0);
    assert_int_equal(apply(f, "config: disabled\n"), 0);
    assert_int_equal(ci_netcfg_apply(&f->ctx, NULL), 0);
    assert_commands(f, "");
    assert_resolv(f, NULL);
    assert_int_equal(f->ctx.errors + f->ctx.warnings, 0);
}

static void test_eni_warns(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(apply(f, "'auto eth0\n\n  iface eth0 inet dhcp'\n"), 0);
    assert_commands(f, "");
    assert_int_equal(f->ctx.warnings, 1);
    assert_non_null(strstr(f->ctx.warning_msgs[0], "ENI"));
}

/* Bad values are errors; the interface is left as it is, nothing is half-applied. */
static void test_bad_values(void **state)
{
    struct fixture *f = *state;
    static const char *const bad[] = {
        "version: 3\n",
        "network: {ethernets: {eth0: {dhcp4: true}}}\n",
        "version: 1\nconfig: {a: b}\n",
        "version: 1\nconfig:\n- type: physical\n  name: eth0\n  subnets:\n"
        "  - {type: static, address: 300.1.1.1/24}\n",
        "version: 1\nconfig:\n- type: physical\n  name: eth0\n  subnets:\n"
        "  - {type: static, address: 10.0.0.5, netmask: 255.0.255.0}\n",
        "version: 1\nconfig:\n- type: physical\n  name: eth0\n  subnets:\n"
        "  - {type: static, address: 10.0.0.5}\n",
        "version: 1\nconfig:\n- type: physical\n  name: eth0\n  subnets: [{type: bogus}]\n",
        "version: 2\nethernets:\n  eth0: {addresses: [10.0.0.5/33]}\n",
        "version: 2\nethernets:\n  eth0: {dhcp4: maybe}\n",
        "version: 2\nethernets:\n  eth0: {addresses: [10.0.0.5/8], gateway4: gw}\n",
        "version: 2\nethernets: [eth0]\n",
        "[1, 2]\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int before = f->ctx.errors;
        assert_int_equal(apply(f, bad[i]), -1);
        assert_true(f->ctx.errors > before);
    }
    assert_commands(f, "");
    assert_resolv(f, NULL);
}

/* A failing `ip` (CI_FAKE_STATUS) is an error with the command line in it. */
static void test_ip_failure_is_error(void **state)
{
    struct fixture *f = *state;
    setenv("CI_FAKE_STATUS", "2", 1);
    int rc = apply(f, "version: 2\nethernets:\n  eth0: {addresses: [192.168.7.10/24]}\n");
    unsetenv("CI_FAKE_STATUS");
    assert_int_equal(rc, -1);
    assert_int_equal(f->ctx.errors, 1);
    assert_non_null(strstr(f->ctx.error_msgs[0], "ip addr flush dev eth0"));
    assert_commands(f, "ip addr flush dev eth0\n");
}

/* Two entries for the one NIC, an unsupported type, unknown keys: warnings, the first wins. */
static void test_extras_warn(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(apply(f,
        "version: 1\n"
        "config:\n"
        "- {type: bond, name: bond0}\n"
        "- type: physical\n"
        "  name: eth0\n"
        "  mtu: 1400\n"
        "  colour: blue\n"
        "  subnets: [{type: dhcp}]\n"
        "- type: physical\n"
        "  mac_address: '52:54:00:12:34:56'\n"
        "  subnets: [{type: static, address: 10.0.0.5/8}]\n"), 0);
    assert_commands(f, "ip link set eth0 up\n");
    assert_int_equal(f->ctx.errors, 0);
    assert_int_equal(f->ctx.warnings, 3);   /* bond, colour, the second eth0 entry */
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_v1_static_by_mac),     T(test_v1_cidr_route_by_name), T(test_v1_dhcp),
        T(test_dhcp_with_ip_off_warns), T(test_v2_static),           T(test_v2_routes_and_name_glob),
        T(test_v2_dhcp_by_key_name),  T(test_mac_mismatch_skips),    T(test_disabled_and_empty),
        T(test_eni_warns),            T(test_bad_values),            T(test_ip_failure_is_error),
        T(test_extras_warn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
