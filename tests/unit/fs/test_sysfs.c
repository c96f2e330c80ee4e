/* sysfs (kernel/fs/sysfs) in a host process: the VFS over host_stubs.c, the interfaces,
 * cpus and PCI functions over sysfs_host_stubs.c. Checks the exact attribute text Linux
 * prints, the listings, cpu range lists, the PCI tree with its symlinks and config space, and
 * that nothing can be written or created. (Block devices: the host VFS has none;
 * tests/integration/test_sysfs.py covers /sys/block.) */
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
#include "pci.h"
#include "string.h"
char *strstr(const char *haystack, const char *needle);

extern struct net_iface_info host_ifaces[];
extern int host_nifaces;
extern unsigned long host_cpu_mask;
extern struct pci_dev host_pci_devs[];
extern struct pci_driver host_pci_driver;
extern bool host_pci_present, host_pci_driver_registered;
uint8_t host_pci_config_byte(const struct pci_dev *dev, unsigned off);

#define FS_TEST_READ_CHUNK 3
#define FS_TEST_DIRENT_BUF 128
#include "host_syscalls.h"

static long sopen(const char *p, int flags) { return sys_openat(AT_FDCWD, L(p), flags, 0, 0, 0); }

static long sreadlink(const char *path, char *buf, size_t size)
{
    long n = sys_readlinkat(AT_FDCWD, L(path), L(buf), (long)size - 1, 0, 0);
    if (n >= 0)
        buf[n] = 0;
    return n;
}

static const char *attr(const char *path)
{
    static char buf[1024];
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
    host_pci_present = true;
    host_pci_driver_registered = true;
    host_pci_devs[1].driver = &host_pci_driver;
    return 0;
}

static void test_layout(void **state)
{
    (void)state;
    char buf[512];
    list_dir("/sys", buf, sizeof buf);
    assert_string_equal(buf, "block bus class devices ");
    list_dir("/sys/class", buf, sizeof buf);
    assert_string_equal(buf, "net rtc ");
    list_dir("/sys/class/rtc", buf, sizeof buf);
    assert_string_equal(buf, "rtc0 ");
    list_dir("/sys/class/rtc/rtc0", buf, sizeof buf);
    assert_string_equal(buf, "date hctosys name since_epoch time ");
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

extern bool host_rtc_present;
extern int64_t host_rtc_secs;
extern int host_rtc_error;

/* Linux's formats; each read asks the clock again. */
static void test_rtc_attributes(void **state)
{
    (void)state;
    host_rtc_secs = 1796593200;
    assert_string_equal(attr("/sys/class/rtc/rtc0/name"), "goldfish_rtc 101000.rtc\n");
    assert_string_equal(attr("/sys/class/rtc/rtc0/date"), "2026-12-06\n");
    assert_string_equal(attr("/sys/class/rtc/rtc0/time"), "21:40:00\n");
    assert_string_equal(attr("/sys/class/rtc/rtc0/since_epoch"), "1796593200\n");
    assert_string_equal(attr("/sys/class/rtc/rtc0/hctosys"), "1\n");
    host_rtc_secs = 951868799;             /* 2000-02-29T23:59:59Z */
    assert_string_equal(attr("/sys/class/rtc/rtc0/date"), "2000-02-29\n");
    assert_string_equal(attr("/sys/class/rtc/rtc0/time"), "23:59:59\n");
    host_rtc_error = -EIO;
    assert_string_equal(attr("/sys/class/rtc/rtc0/time"), "error -5");
    host_rtc_error = 0;
    host_rtc_present = false;
    char buf[64];
    list_dir("/sys/class/rtc", buf, sizeof buf);
    assert_string_equal(buf, "");
    host_rtc_present = true;
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

#define PCI_DEV "/sys/devices/pci0000:00/"
#define FUNCTION_ATTRS "class config device irq modalias resource revision subsystem " \
    "subsystem_device subsystem_vendor uevent vendor "

static void test_pci_layout(void **state)
{
    (void)state;
    char buf[512];
    list_dir("/sys/bus", buf, sizeof buf);
    assert_string_equal(buf, "pci ");
    list_dir("/sys/bus/pci", buf, sizeof buf);
    assert_string_equal(buf, "devices drivers ");
    list_dir("/sys/bus/pci/devices", buf, sizeof buf);
    assert_string_equal(buf, "0000:00:00.0 0000:00:01.0 0000:00:02.0 0000:01:00.0 0001:00:00.0 ");
    /* One directory per root bus, functions under the bridges they sit behind. */
    list_dir("/sys/devices", buf, sizeof buf);
    assert_string_equal(buf, "system pci0000:00 pci0001:00 ");
    list_dir("/sys/devices/pci0000:00", buf, sizeof buf);
    assert_string_equal(buf, "0000:00:00.0 0000:00:01.0 0000:00:02.0 ");
    list_dir("/sys/devices/pci0001:00", buf, sizeof buf);
    assert_string_equal(buf, "0001:00:00.0 ");
    list_dir(PCI_DEV "0000:00:00.0", buf, sizeof buf);
    assert_string_equal(buf, FUNCTION_ATTRS);
    list_dir(PCI_DEV "0000:00:01.0", buf, sizeof buf);
    assert_string_equal(buf, FUNCTION_ATTRS "driver ");
    list_dir(PCI_DEV "0000:00:02.0", buf, sizeof buf);
    assert_string_equal(buf, FUNCTION_ATTRS
                        "secondary_bus_number subordinate_bus_number 0000:01:00.0 ");
    list_dir(PCI_DEV "0000:00:02.0/0000:01:00.0", buf, sizeof buf);
    assert_string_equal(buf, FUNCTION_ATTRS);
    list_dir("/sys/bus/pci/drivers", buf, sizeof buf);
    assert_string_equal(buf, "virtio-pci ");
    list_dir("/sys/bus/pci/drivers/virtio-pci", buf, sizeof buf);
    assert_string_equal(buf, "0000:00:01.0 ");

    /* Unbound: no driver link, nothing in the driver's directory. */
    host_pci_devs[1].driver = NULL;
    list_dir(PCI_DEV "0000:00:01.0", buf, sizeof buf);
    assert_string_equal(buf, FUNCTION_ATTRS);
    assert_int_equal(sopen(PCI_DEV "0000:00:01.0/driver", O_RDONLY), -ENOENT);
    list_dir("/sys/bus/pci/drivers/virtio-pci", buf, sizeof buf);
    assert_string_equal(buf, "");

    /* No PCI host at all (a machine without one): empty, not missing. */
    host_pci_present = false;
    host_pci_driver_registered = false;
    list_dir("/sys/bus/pci/devices", buf, sizeof buf);
    assert_string_equal(buf, "");
    list_dir("/sys/bus/pci/drivers", buf, sizeof buf);
    assert_string_equal(buf, "");
    list_dir("/sys/devices", buf, sizeof buf);
    assert_string_equal(buf, "system ");
}

static void test_pci_links(void **state)
{
    (void)state;
    char buf[256];
    struct kst st;
    assert_true(sreadlink("/sys/bus/pci/devices/0000:00:01.0", buf, sizeof buf) > 0);
    assert_string_equal(buf, "../../../devices/pci0000:00/0000:00:01.0");
    assert_true(sreadlink("/sys/bus/pci/devices/0000:01:00.0", buf, sizeof buf) > 0);
    assert_string_equal(buf, "../../../devices/pci0000:00/0000:00:02.0/0000:01:00.0");
    assert_true(sreadlink("/sys/bus/pci/devices/0001:00:00.0", buf, sizeof buf) > 0);
    assert_string_equal(buf, "../../../devices/pci0001:00/0001:00:00.0");
    assert_true(sreadlink(PCI_DEV "0000:00:01.0/driver", buf, sizeof buf) > 0);
    assert_string_equal(buf, "../../../bus/pci/drivers/virtio-pci");
    assert_true(sreadlink(PCI_DEV "0000:00:01.0/subsystem", buf, sizeof buf) > 0);
    assert_string_equal(buf, "../../../bus/pci");
    assert_true(sreadlink(PCI_DEV "0000:00:02.0/0000:01:00.0/subsystem", buf, sizeof buf) > 0);
    assert_string_equal(buf, "../../../../bus/pci");
    assert_true(sreadlink("/sys/bus/pci/drivers/virtio-pci/0000:00:01.0", buf, sizeof buf) > 0);
    assert_string_equal(buf, "../../../../devices/pci0000:00/0000:00:01.0");

    /* lspci lstat()s the entries (links, so it does not descend) and reads through them. */
    assert_int_equal(sstat("/sys/bus/pci/devices/0000:01:00.0", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_int_equal(st.mode, S_IFLNK | 0777);
    assert_int_equal(sstat("/sys/bus/pci/devices/0000:01:00.0", &st, 0), 0);
    assert_int_equal(st.mode, S_IFDIR | 0555);
    assert_string_equal(attr("/sys/bus/pci/devices/0000:01:00.0/device"), "0x1041\n");
    assert_string_equal(attr("/sys/bus/pci/drivers/virtio-pci/0000:00:01.0/device"), "0x1001\n");
    assert_string_equal(attr(PCI_DEV "0000:00:01.0/driver/0000:00:01.0/subsystem/devices/"
                             "0001:00:00.0/vendor"), "0x1b36\n");
}

static void test_pci_attributes(void **state)
{
    (void)state;
    const char *blk = "/sys/bus/pci/devices/0000:00:01.0/";
    char path[128];
#define A(dir, name) (snprintf(path, sizeof path, "%s%s", dir, name), attr(path))
    assert_string_equal(A(blk, "vendor"), "0x1af4\n");
    assert_string_equal(A(blk, "device"), "0x1001\n");
    assert_string_equal(A(blk, "class"), "0x010000\n");
    assert_string_equal(A(blk, "subsystem_vendor"), "0x1af4\n");
    assert_string_equal(A(blk, "subsystem_device"), "0x0002\n");
    assert_string_equal(A(blk, "revision"), "0x00\n");
    assert_string_equal(A(blk, "irq"), "33\n");
    assert_string_equal(A(blk, "modalias"),
                        "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00\n");
    assert_string_equal(A(blk, "uevent"),
                        "DRIVER=virtio-pci\n"
                        "PCI_CLASS=10000\n"
                        "PCI_ID=1AF4:1001\n"
                        "PCI_SUBSYS_ID=1AF4:0002\n"
                        "PCI_SLOT_NAME=0000:00:01.0\n"
                        "MODALIAS=pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00\n");
    /* I/O at its port, memory at its address; the flags as Linux's struct resource has them
     * (IORESOURCE_SIZEALIGN, _IO/_MEM, _PREFETCH, _MEM_64 and the BAR's type bits). */
    const char *zero = "0x0000000000000000 0x0000000000000000 0x0000000000000000\n";
    char want[1024];
    snprintf(want, sizeof want, "%s%s%s%s%s%s%s",
             "0x0000000000001000 0x000000000000107f 0x0000000000040101\n",
             "0x0000000040104000 0x0000000040104fff 0x0000000000040200\n", zero, zero,
             "0x0000000040100000 0x0000000040103fff 0x000000000014220c\n", zero, zero);
    assert_string_equal(A(blk, "resource"), want);

    /* A bridge: its BAR, then after the ROM its I/O (unused), memory and prefetchable
     * windows and a fourth, empty one. */
    const char *br = PCI_DEV "0000:00:02.0/";
    snprintf(want, sizeof want, "%s%s%s%s%s%s%s%s%s%s%s",
             "0x0000000040105000 0x0000000040105fff 0x0000000000040200\n", zero, zero, zero,
             zero, zero, zero, zero,
             "0x0000000040000000 0x00000000400fffff 0x0000000000000200\n",
             "0x0000000400000000 0x00000004000fffff 0x0000000000102201\n", zero);
    assert_string_equal(A(br, "resource"), want);
    assert_string_equal(A(br, "class"), "0x060400\n");
    assert_string_equal(A(br, "subsystem_device"), "0x0000\n");
    assert_string_equal(A(br, "secondary_bus_number"), "1\n");
    assert_string_equal(A(br, "subordinate_bus_number"), "1\n");
    assert_string_equal(A(br, "uevent"),
                        "PCI_CLASS=60400\n"
                        "PCI_ID=1B36:000C\n"
                        "PCI_SUBSYS_ID=1B36:0000\n"
                        "PCI_SLOT_NAME=0000:00:02.0\n"
                        "MODALIAS=pci:v00001B36d0000000Csv00001B36sd00000000bc06sc04i00\n");
    const char *net = PCI_DEV "0000:00:02.0/0000:01:00.0/";
    assert_string_equal(A(net, "revision"), "0x01\n");
    assert_string_equal(A(net, "irq"), "34\n");
    assert_int_equal(sopen(PCI_DEV "0000:00:01.0/secondary_bus_number", O_RDONLY), -ENOENT);
#undef A
}

/* config: the bytes the core reads, as many as Linux gives (256, 4096 for PCI Express, the
 * first 64 to anyone but root). */
static void check_config(const char *path, const struct pci_dev *dev, long want_len)
{
    static char buf[8192];
    long n = slurp(path, buf, sizeof buf);
    assert_int_equal(n, want_len);
    for (long off = 0; off < n; off++)
        if ((uint8_t)buf[off] != host_pci_config_byte(dev, (unsigned)off))
            fail_msg("%s: byte %ld is %#x, not %#x", path, off, (uint8_t)buf[off],
                     host_pci_config_byte(dev, (unsigned)off));
}

static void test_pci_config(void **state)
{
    (void)state;
    check_config(PCI_DEV "0000:00:01.0/config", &host_pci_devs[1], 256);
    check_config(PCI_DEV "0000:00:02.0/config", &host_pci_devs[2], 4096);
    check_config("/sys/bus/pci/devices/0000:01:00.0/config", &host_pci_devs[3], 4096);

    /* A read at an offset, first thing after open (lspci -x style). */
    long fd = sopen(PCI_DEV "0000:00:02.0/config", O_RDONLY);
    assert_true(fd >= 0);
    uint8_t b[8];
    assert_int_equal(sys_pread64(fd, L(b), sizeof b, 0x100, 0, 0), sizeof b);
    for (unsigned i = 0; i < sizeof b; i++)
        assert_int_equal(b[i], host_pci_config_byte(&host_pci_devs[2], 0x100 + i));
    assert_int_equal(sys_pread64(fd, L(b), sizeof b, 4096, 0, 0), 0);
    sclose(fd);

    host_task.cred.fsuid = host_task.cred.euid = host_task.cred.uid = 1000;
    check_config(PCI_DEV "0000:00:02.0/config", &host_pci_devs[2], 64);
    assert_string_equal(attr(PCI_DEV "0000:00:02.0/vendor"), "0x1b36\n");
    assert_int_equal(sopen(PCI_DEV "0000:00:02.0/config", O_RDWR), -EACCES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_layout, setup),
        cmocka_unit_test_setup(test_net_attributes, setup),
        cmocka_unit_test_setup(test_rtc_attributes, setup),
        cmocka_unit_test_setup(test_cpu_lists, setup),
        cmocka_unit_test_setup(test_read_only, setup),
        cmocka_unit_test_setup(test_pci_layout, setup),
        cmocka_unit_test_setup(test_pci_links, setup),
        cmocka_unit_test_setup(test_pci_attributes, setup),
        cmocka_unit_test_setup(test_pci_config, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
