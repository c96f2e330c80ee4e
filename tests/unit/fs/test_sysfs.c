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
#include "../../../kernel/fs/vfs.h"
#include "netinfo.h"
#include "string.h"
char *strstr(const char *haystack, const char *needle);

extern struct task host_task;
extern struct net_iface_info host_ifaces[];
extern int host_nifaces;
extern unsigned long host_cpu_mask;

#define SYS(name) long sys_##name(long, long, long, long, long, long)
SYS(openat); SYS(close); SYS(read); SYS(mkdirat); SYS(getdents64); SYS(mount); SYS(newfstatat);

#define L(x) ((long)(uintptr_t)(x))
static long sopen(const char *p, int flags) { return sys_openat(AT_FDCWD, L(p), flags, 0, 0, 0); }
static long sclose(long fd) { return sys_close(fd, 0, 0, 0, 0, 0); }

struct kst { uint64_t dev, ino; uint32_t mode, nlink, uid, gid; uint64_t rdev, pad; int64_t size; int32_t blksize, pad2; int64_t blocks; int64_t t[6]; uint32_t u[2]; };
static long sstat(const char *p, struct kst *st) { return sys_newfstatat(AT_FDCWD, L(p), L(st), 0, 0, 0); }

/* The whole file in small reads, NUL-terminated; its length or -errno. */
static long slurp(const char *path, char *buf, size_t size)
{
    long fd = sopen(path, O_RDONLY);
    if (fd < 0)
        return fd;
    size_t len = 0;
    for (;;) {
        long n = sys_read(fd, L(buf + len), 3, 0, 0, 0);
        if (n < 0) {
            sclose(fd);
            return n;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        assert_true(len + 4 < size);
    }
    buf[len] = 0;
    sclose(fd);
    return (long)len;
}

static const char *attr(const char *path)
{
    static char buf[256];
    long n = slurp(path, buf, sizeof buf);
    if (n < 0)
        snprintf(buf, sizeof buf, "error %ld", n);
    return buf;
}

/* Names in a directory, space-separated (without . and ..). */
static void list_dir(const char *path, char *out, size_t size)
{
    long fd = sopen(path, O_RDONLY | O_DIRECTORY);
    assert_true(fd >= 0);
    char buf[128];
    out[0] = 0;
    for (;;) {
        long n = sys_getdents64(fd, L(buf), sizeof buf, 0, 0, 0);   /* several calls */
        assert_true(n >= 0);
        if (n == 0)
            break;
        for (long off = 0; off < n;) {
            uint16_t reclen;
            memcpy(&reclen, buf + off + 16, 2);
            const char *name = buf + off + 19;
            if (strcmp(name, ".") && strcmp(name, "..")) {
                strlcpy(out + strlen(out), name, size - strlen(out));
                strlcpy(out + strlen(out), " ", size - strlen(out));
            }
            off += reclen;
        }
    }
    sclose(fd);
}

static int setup(void **state)
{
    (void)state;
    static bool booted;
    if (!booted) {
        vfs_init();
        host_task.files = files_new();
        host_task.fs = fs_struct_new_root();
        host_task.tgid = host_task.tid = 1;
        assert_int_equal(sys_mkdirat(AT_FDCWD, L("/sys"), 0555, 0, 0, 0), 0);
        assert_int_equal(sys_mount(L("sysfs"), L("/sys"), L("sysfs"), 0, 0, 0), 0);
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
    assert_int_equal(sstat("/sys/class/net/eth0/mtu", &st), 0);
    assert_int_equal(st.mode, S_IFREG | 0444);
    assert_int_equal(sstat("/sys/class/net/eth0", &st), 0);
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
