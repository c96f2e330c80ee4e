/* sysfs (kernel/fs/sysfs) in a host process: the VFS over host_stubs.c, the interfaces and
 * cpus over sysfs_host_stubs.c. Checks the exact attribute text Linux prints, the listings,
 * cpu range lists, and that nothing can be written or created. (Block devices: the host VFS
 * has none; tests/integration/test_sysfs.py covers /sys/block.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#undef RENAME_NOREPLACE
#undef RENAME_EXCHANGE
#undef RENAME_WHITEOUT
#include "fs.h"
#include "netinfo.h"
#include "string.h"
char *strstr(const char *haystack, const char *needle);

extern struct net_iface_info host_ifaces[];
extern int host_nifaces;
extern unsigned long host_cpu_mask;

#define FS_TEST_READ_CHUNK 3
#define FS_TEST_DIRENT_BUF 128
#include "host_syscalls.h"

static long sopen(const char *p, int flags) { return sys_openat(AT_FDCWD, L(p), flags, 0, 0, 0); }

static const char *attr(const char *path)
{
    static char buf[256];
    long n = slurp(path, buf, sizeof buf);
    if (n < 0)
        snprintf(buf, sizeof buf, "error %ld", n);
    return buf;
}

static int setup(void **state)
{
    (void)state;
    static bool booted;
    if (!booted) {
        host_vfs_boot("sysfs", "/sys");
        booted = true;
    }
    host_task.cred = (struct cred){ 0 };
    host_nifaces = 2;
    host_ifaces[1].up = true;
    host_ifaces[1].carrier = true;
    host_cpu_mask = 1;
    return 0;
}

static void test_layout(void **state)
{
    (void)state;
    char buf[512];
    list_dir("/sys", buf, sizeof buf);
    assert_string_equal(buf, "block class devices ");
    list_dir("/sys/class", buf, sizeof buf);
    assert_string_equal(buf, "net ");
    list_dir("/sys/devices/system/cpu", buf, sizeof buf);
    assert_string_equal(buf, "online possible present ");
    list_dir("/sys/class/net", buf, sizeof buf);
    assert_string_equal(buf, "lo eth0 ");
    list_dir("/sys/class/net/eth0", buf, sizeof buf);
    assert_string_equal(buf, "address carrier flags ifindex mtu operstate type ");
    list_dir("/sys/block", buf, sizeof buf);
    assert_string_equal(buf, "");
    host_nifaces = 1;                      /* eth0 went away */
    list_dir("/sys/class/net", buf, sizeof buf);
    assert_string_equal(buf, "lo ");
    assert_int_equal(sopen("/sys/class/net/eth0/mtu", O_RDONLY), -ENOENT);
}

static void test_net_attributes(void **state)
{
    (void)state;
    assert_string_equal(attr("/sys/class/net/eth0/address"), "52:54:00:12:34:56\n");
    assert_string_equal(attr("/sys/class/net/eth0/mtu"), "1500\n");
    assert_string_equal(attr("/sys/class/net/eth0/flags"), "0x1003\n");
    assert_string_equal(attr("/sys/class/net/eth0/type"), "1\n");
    assert_string_equal(attr("/sys/class/net/eth0/ifindex"), "2\n");
    assert_string_equal(attr("/sys/class/net/eth0/operstate"), "up\n");
    assert_string_equal(attr("/sys/class/net/eth0/carrier"), "1\n");
    assert_string_equal(attr("/sys/class/net/lo/address"), "00:00:00:00:00:00\n");
    assert_string_equal(attr("/sys/class/net/lo/type"), "772\n");
    assert_string_equal(attr("/sys/class/net/lo/mtu"), "65536\n");
    assert_string_equal(attr("/sys/class/net/lo/operstate"), "unknown\n");
    host_ifaces[1].carrier = false;        /* cable out */
    assert_string_equal(attr("/sys/class/net/eth0/operstate"), "down\n");
    assert_string_equal(attr("/sys/class/net/eth0/carrier"), "0\n");
    host_ifaces[1].up = false;             /* ifconfig eth0 down: the carrier is unknown */
    assert_string_equal(attr("/sys/class/net/eth0/carrier"), "error -22");
}

static void test_cpu_lists(void **state)
{
    (void)state;
    assert_string_equal(attr("/sys/devices/system/cpu/online"), "0\n");
    host_cpu_mask = 0xf;
    assert_string_equal(attr("/sys/devices/system/cpu/online"), "0-3\n");
    host_cpu_mask = 0x2d;                  /* 0, 2-3, 5 */
    assert_string_equal(attr("/sys/devices/system/cpu/possible"), "0,2-3,5\n");
    assert_string_equal(attr("/sys/devices/system/cpu/present"), "0,2-3,5\n");
}

static void test_read_only(void **state)
{
    (void)state;
    struct kst st;
    assert_int_equal(sstat("/sys/class/net/eth0/mtu", &st, 0), 0);
    assert_int_equal(st.mode, S_IFREG | 0444);
    assert_int_equal(sstat("/sys/class/net/eth0", &st, 0), 0);
    assert_int_equal(st.mode, S_IFDIR | 0555);
    assert_int_equal(sopen("/sys/class/net/eth0/mtu", O_WRONLY), -EACCES);
    assert_int_equal(sopen("/sys/class/net/eth0/mtu", O_RDWR | O_TRUNC), -EACCES);
    assert_true(sopen("/sys/class/net/new", O_WRONLY | O_CREAT) < 0);
    assert_true(sys_mkdirat(AT_FDCWD, L("/sys/class/x"), 0755, 0, 0, 0) < 0);
    assert_int_equal(sopen("/sys/class/net/eth0/nope", O_RDONLY), -ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_layout, setup),
        cmocka_unit_test_setup(test_net_attributes, setup),
        cmocka_unit_test_setup(test_cpu_lists, setup),
        cmocka_unit_test_setup(test_read_only, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
