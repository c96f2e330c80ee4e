/* procfs (kernel/fs/proc) in a host process: the VFS over host_stubs.c, the process and
 * system reports over proc_host_stubs.c's fake process table. Checks the exact text of the
 * files Linux tools parse, the directory listings, links and permissions. */
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
#include "procinfo.h"
#include "procfs.h"
#include "net.h"
#include "blkdev.h"
#include "kprintf.h"
#include "string.h"
char *strstr(const char *haystack, const char *needle);

extern struct proc_info host_procs[];
extern int host_nprocs;

#define FS_TEST_READ_CHUNK 7    /* small reads: continuation */
#define FS_TEST_DIRENT_BUF 512
#include "host_syscalls.h"

static long sopen(const char *p, int flags) { return sys_openat(AT_FDCWD, L(p), flags, 0, 0, 0); }

static long sreadlink(const char *path, char *buf, size_t size)
{
    long n = sys_readlinkat(AT_FDCWD, L(path), L(buf), (long)size - 1, 0, 0);
    if (n >= 0)
        buf[n] = 0;
    return n;
}

static int setup(void **state)
{
    (void)state;
    static bool booted;
    if (!booted) {
        host_vfs_boot("proc", "/proc");
        booted = true;
    }
    host_task.cred = (struct cred){ 0 };
    host_nprocs = 1;
    host_procs[0].state = 'S';
    host_procs[0].cred = (struct cred){ 0 };
    return 0;
}

static void test_pid_stat_line(void **state)
{
    (void)state;
    char buf[1024];
    assert_true(slurp("/proc/1/stat", buf, sizeof buf) > 0);
    /* pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
     * utime stime cutime cstime priority nice num_threads itrealvalue starttime vsize rss */
    const char *want = "1 (init) S 0 1 1 0 -1 0 0 0 0 0 123 45 0 0 20 0 1 0 2 1048576 64 "
                       "18446744073709551615 ";
    assert_memory_equal(buf, want, strlen(want));
    assert_int_equal(buf[strlen(buf) - 1], '\n');
    int fields = 0;
    for (char *p = buf; *p; p++)
        fields += *p == ' ';
    assert_int_equal(fields + 1, 52);     /* Linux 6.1 has 52 fields */
}

static void test_pid_status_and_statm(void **state)
{
    (void)state;
    char buf[4096];
    assert_true(slurp("/proc/1/status", buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "Name:\tinit\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t1\n"));
    assert_non_null(strstr(buf, "\nPid:\t1\nPPid:\t0\n"));
    assert_non_null(strstr(buf, "\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n"));
    assert_non_null(strstr(buf, "\nVmSize:\t    1024 kB\n"));
    assert_non_null(strstr(buf, "\nVmRSS:\t     256 kB\n"));
    assert_non_null(strstr(buf, "\nThreads:\t1\n"));
    assert_true(slurp("/proc/1/statm", buf, sizeof buf) > 0);
    assert_string_equal(buf, "256 64 48 128 0 49 0\n");
}

static void test_cmdline_environ_comm(void **state)
{
    (void)state;
    char buf[256];
    assert_int_equal(slurp("/proc/1/cmdline", buf, sizeof buf), 8);
    assert_memory_equal(buf, "init\0-v\0", 8);
    assert_int_equal(slurp("/proc/1/environ", buf, sizeof buf), 7);
    assert_memory_equal(buf, "HOME=/\0", 7);
    assert_int_equal(slurp("/proc/1/comm", buf, sizeof buf), 5);
    assert_string_equal(buf, "init\n");
    /* A zombie has no memory: empty, as in Linux. */
    host_procs[0].state = 'Z';
    assert_int_equal(slurp("/proc/1/cmdline", buf, sizeof buf), 0);
}

static void test_self_and_listing(void **state)
{
    (void)state;
    char buf[1024];
    assert_int_equal(sreadlink("/proc/self", buf, sizeof buf), 1);
    assert_string_equal(buf, "1");
    assert_int_equal(sreadlink("/proc/thread-self", buf, sizeof buf), 8);
    assert_string_equal(buf, "1/task/1");
    assert_int_equal(sreadlink("/proc/mounts", buf, sizeof buf), 11);
    host_procs[1] = host_procs[0];
    host_procs[1].pid = host_procs[1].tid = 42;
    host_nprocs = 2;
    list_dir("/proc", buf, sizeof buf);
    assert_string_equal(buf, "self thread-self mounts sys net sysvipc cmdline cpuinfo filesystems interrupts "
                             "loadavg meminfo partitions stat swaps sysrq-trigger uptime version 1 42 ");
    struct kst st;
    assert_int_equal(sstat("/proc/42/stat", &st, 0), 0);
    assert_int_equal(sstat("/proc/43", &st, 0), -ENOENT);
    assert_int_equal(sstat("/proc/042", &st, 0), -ENOENT);
    assert_int_equal(sstat("/proc/self/stat", &st, 0), 0);
    list_dir("/proc/1", buf, sizeof buf);
    assert_string_equal(buf, "cmdline comm cwd environ exe fd fdinfo maps mounts mountinfo root smaps "
                             "stat statm status task ");
    list_dir("/proc/1/task", buf, sizeof buf);
    assert_string_equal(buf, "1 ");
    list_dir("/proc/sys/kernel", buf, sizeof buf);
    assert_string_equal(buf, "dmesg_restrict domainname hostname osrelease ostype pid_max ");
    list_dir("/proc/sys/net/ipv4", buf, sizeof buf);
    assert_string_equal(buf, "ip_unprivileged_port_start ");
    /* The process goes away: so do its nodes. */
    host_nprocs = 1;
    assert_int_equal(sstat("/proc/42/stat", &st, 0), -ENOENT);
}

static void test_permissions_and_owners(void **state)
{
    (void)state;
    struct kst st;
    host_procs[0].cred.uid = host_procs[0].cred.euid = 1000;
    host_procs[0].cred.egid = 100;
    assert_int_equal(sstat("/proc", &st, 0), 0);
    assert_int_equal(st.mode, S_IFDIR | 0555);
    assert_int_equal(sstat("/proc/1", &st, 0), 0);
    assert_int_equal(st.mode, S_IFDIR | 0555);
    assert_int_equal(st.uid, 1000);
    assert_int_equal(st.gid, 100);
    assert_int_equal(sstat("/proc/1/fd", &st, 0), 0);
    assert_int_equal(st.mode, S_IFDIR | 0500);
    assert_int_equal(sstat("/proc/1/environ", &st, 0), 0);
    assert_int_equal(st.mode, S_IFREG | 0400);
    assert_int_equal(sstat("/proc/meminfo", &st, 0), 0);
    assert_int_equal(st.mode, S_IFREG | 0444);
    assert_int_equal(st.uid, 0);
    assert_int_equal(sstat("/proc/self", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_int_equal(st.mode, S_IFLNK | 0777);
    /* Another user: status yes, fds no. */
    host_task.cred.uid = host_task.cred.euid = host_task.cred.fsuid = 2000;
    char buf[4096];
    assert_true(slurp("/proc/1/status", buf, sizeof buf) > 0);
    assert_int_equal(sopen("/proc/1/fd/0", O_RDONLY), -EACCES);
    /* A sysctl is root's to write. */
    assert_int_equal(sopen("/proc/sys/kernel/dmesg_restrict", O_WRONLY), -EACCES);
    /* Nothing else is writable, not even for root. */
    host_task.cred = (struct cred){ 0 };
    assert_int_equal(sopen("/proc/meminfo", O_WRONLY), -EACCES);
    assert_int_equal(sopen("/proc/sys/kernel/hostname", O_WRONLY), -EACCES);
}

/* Integer sysctls: one decimal number per write, checked against the range. */
static void test_sysctl_writes(void **state)
{
    (void)state;
    const char *path = "/proc/sys/net/ipv4/ip_unprivileged_port_start";
    char buf[64];
    assert_int_equal(sstat(path, &(struct kst){ 0 }, 0), 0);
    assert_true(slurp(path, buf, sizeof buf) > 0);
    assert_string_equal(buf, "1024\n");
    long fd = sopen(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(sys_write(fd, L(" 80\n"), 4, 0, 0, 0), 4);
    assert_int_equal(sys_write(fd, L("81"), 2, 0, 0, 0), 2);   /* past offset 0: ignored */
    sclose(fd);
    assert_int_equal(sysctl_ip_unprivileged_port_start, 80);
    const char *bad[] = { "", "x", "12x", "-1", "65536", "99999999999999999999", "1 2" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fd = sopen(path, O_WRONLY);
        long r = sys_write(fd, L(bad[i]), strlen(bad[i]), 0, 0, 0);
        assert_int_equal(r, bad[i][0] ? -EINVAL : 0);
        sclose(fd);
    }
    assert_int_equal(sysctl_ip_unprivileged_port_start, 80);
    fd = sopen(path, O_WRONLY);
    assert_int_equal(sys_write(fd, L("1024"), 4, 0, 0, 0), 4);
    sclose(fd);
    assert_true(slurp(path, buf, sizeof buf) > 0);
    assert_string_equal(buf, "1024\n");
    fd = sopen("/proc/sys/kernel/dmesg_restrict", O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(sys_write(fd, L("2"), 1, 0, 0, 0), -EINVAL);
    assert_int_equal(dmesg_restrict, 1);
    sclose(fd);
}

static void test_fd_links_and_reopen(void **state)
{
    (void)state;
    long fd = sopen("/proc/version", O_RDONLY);
    assert_true(fd >= 0);
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/self/fd/%ld", fd);
    assert_true(sreadlink(path, buf, sizeof buf) > 0);
    assert_string_equal(buf, "/proc/version");
    struct kst a, b;
    assert_int_equal(sstat(path, &a, 0), 0);
    assert_int_equal(sys_fstat(fd, L(&b), 0, 0, 0, 0), 0);
    assert_int_equal(a.ino, b.ino);
    assert_int_equal(sstat(path, &a, AT_SYMLINK_NOFOLLOW), 0);
    assert_int_equal(a.mode, S_IFLNK | 0500);
    snprintf(path, sizeof path, "/proc/self/fdinfo/%ld", fd);
    assert_true(slurp(path, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "pos:\t0\nflags:\t0"));
    sclose(fd);
    snprintf(path, sizeof path, "/proc/self/fd/%ld", fd);
    assert_int_equal(sstat(path, &a, 0), -ENOENT);

    /* A pipe: named pipe:[ino], and opening the link reopens the pipe itself. */
    int p[2];
    assert_int_equal(sys_pipe2(L(p), 0, 0, 0, 0, 0), 0);
    snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
    assert_true(sreadlink(path, buf, sizeof buf) > 0);
    assert_memory_equal(buf, "pipe:[", 6);
    long r2 = sopen(path, O_RDONLY);
    assert_true(r2 >= 0);
    assert_int_equal(sys_write(p[1], L("xyz"), 3, 0, 0, 0), 3);
    assert_int_equal(sys_read(r2, L(buf), sizeof buf, 0, 0, 0), 3);
    assert_memory_equal(buf, "xyz", 3);
    snprintf(path, sizeof path, "/proc/self/fd/%ld", r2);
    assert_true(sreadlink(path, buf, sizeof buf) > 0);
    assert_memory_equal(buf, "pipe:[", 6);
    sclose(r2);
    sclose(p[0]);
    sclose(p[1]);
}

static void test_system_files(void **state)
{
    (void)state;
    char buf[4096];
    assert_true(slurp("/proc/loadavg", buf, sizeof buf) > 0);
    assert_string_equal(buf, "1.50 0.25 0.00 0/1 1\n");
    assert_true(slurp("/proc/meminfo", buf, sizeof buf) > 0);
    const char *mem_head = "MemTotal:         524288 kB\nMemFree:          400000 kB\n"
                           "MemAvailable:     400000 kB\n";
    assert_memory_equal(buf, mem_head, strlen(mem_head));
    assert_true(slurp("/proc/stat", buf, sizeof buf) > 0);
    const char *stat_head = "cpu  200 0 100 700 0 0 0 0 0 0\ncpu0 200 0 100 700 0 0 0 0 0 0\n"
                            "intr 42 0 0 0 0 0 0 0 0 0 0 42\nctxt 1234\nbtime ";
    assert_memory_equal(buf, stat_head, strlen(stat_head));
    assert_non_null(strstr(buf, "\nprocesses 56\nprocs_running 0\nprocs_blocked 0\n"));
    char want[256];
    assert_true(slurp("/proc/cmdline", buf, sizeof buf) > 0);
    snprintf(want, sizeof want, "%s\n", cmdline_raw());
    assert_string_equal(buf, want);
    assert_true(slurp("/proc/version", buf, sizeof buf) > 0);
    assert_memory_equal(buf, "Linux version 6.1.0-openv ", 26);
    assert_true(slurp("/proc/cpuinfo", buf, sizeof buf) > 0);
    assert_string_equal(buf, "processor\t: 0\nhart\t\t: 0\nisa\t\t: rv64imafdc_zicsr_zifencei\n"
                             "mmu\t\t: sv39\n\n");
    assert_true(slurp("/proc/filesystems", buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "nodev\tproc\n"));
    assert_true(slurp("/proc/self/mounts", buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "proc /proc proc rw"));
    assert_true(slurp("/proc/interrupts", buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "  10:         42  SiFive PLIC  10 Edge      uart_irq\n"));
    assert_true(slurp("/proc/partitions", buf, sizeof buf) >= 0);
    blkdev_partitions_show(want, sizeof want);
    assert_string_equal(buf, want);
    assert_true(slurp("/proc/sys/kernel/osrelease", buf, sizeof buf) > 0);
    assert_string_equal(buf, "6.1.0-openv\n");
}

static void test_maps(void **state)
{
    (void)state;
    char buf[1024];
    assert_true(slurp("/proc/1/maps", buf, sizeof buf) > 0);
    assert_string_equal(buf,
        "00400000-00480000 r-xp 00000000 00:00 0 \n"
        "3ffffcf000-3fffff0000 rw-p 00000000 00:00 0                              [stack]\n");
}

/* A registered file bigger than procfs's first buffer: it is asked again with room. */
static int big_show(char *buf, size_t size)
{
    size_t len = 0;
    for (int i = 0; i < 1000; i++)
        len += (size_t)ksnprintf(len < size ? buf + len : NULL, len < size ? size - len : 0,
                                 "line %04d\n", i);
    return (int)len;
}

static int small_show(char *buf, size_t size)
{
    return ksnprintf(buf, size, "hello\n");
}

static void test_registered_files(void **state)
{
    (void)state;
    assert_int_equal(procfs_register_file("net", "dev", big_show), 0);
    assert_int_equal(procfs_register_file("net", "dev", big_show), -EEXIST);
    assert_int_equal(procfs_register_file("", "stat", small_show), -EEXIST);
    assert_int_equal(procfs_register_file("", "123", small_show), -EINVAL);
    assert_int_equal(procfs_register_file("bogus", "x", small_show), -EINVAL);
    assert_int_equal(procfs_register_file("", "openv", small_show), 0);
    char buf[16384];
    assert_int_equal(slurp("/proc/net/dev", buf, sizeof buf), 10000);
    assert_memory_equal(buf, "line 0000\nline 0001\n", 20);
    assert_memory_equal(buf + 9990, "line 0999\n", 10);
    assert_int_equal(slurp("/proc/openv", buf, sizeof buf), 6);
    list_dir("/proc/net", buf, sizeof buf);
    assert_string_equal(buf, "dev ");
    list_dir("/proc", buf, sizeof buf);
    assert_string_equal(buf, "self thread-self mounts sys net sysvipc cmdline cpuinfo filesystems interrupts "
                             "loadavg meminfo partitions stat swaps sysrq-trigger uptime version openv 1 ");
}

static char stored[32];

static int stored_show(char *buf, size_t size)
{
    return ksnprintf(buf, size, "%s", stored);
}

static int stored_store(const char *buf, size_t len)
{
    if (len >= sizeof stored || (len && buf[0] == 'x'))
        return -EINVAL;
    memcpy(stored, buf, len);
    stored[len] = 0;
    return 0;
}

/* A writable /proc/sys/kernel file: written whole at offset 0, the store's error returned,
 * mode 0644. */
static void test_registered_sysctl(void **state)
{
    (void)state;
    assert_int_equal(procfs_register_sysctl("kernel", "testval", stored_show, stored_store), 0);
    assert_int_equal(procfs_register_sysctl("kernel", "testval", stored_show, stored_store), -EEXIST);
    assert_int_equal(procfs_register_sysctl("net", "x", stored_show, stored_store), -EINVAL);
    assert_int_equal(procfs_register_sysctl("kernel", "y", stored_show, NULL), -EINVAL);
    assert_int_equal(procfs_register_file("sysvipc", "msg", small_show), 0);
    char buf[256];
    assert_int_equal(slurp("/proc/sysvipc/msg", buf, sizeof buf), 6);
    long fd = sys_openat(AT_FDCWD, L("/proc/sys/kernel/testval"), O_WRONLY, 0, 0, 0);
    assert_true(fd >= 0);
    assert_int_equal(sys_write(fd, L("42\n"), 3, 0, 0, 0), 3);
    assert_int_equal(sys_write(fd, L("ignored"), 7, 0, 0, 0), 7);   /* at offset 3 */
    sclose(fd);
    assert_int_equal(slurp("/proc/sys/kernel/testval", buf, sizeof buf), 3);
    assert_memory_equal(buf, "42\n", 3);
    fd = sys_openat(AT_FDCWD, L("/proc/sys/kernel/testval"), O_WRONLY, 0, 0, 0);
    assert_int_equal(sys_write(fd, L("xx"), 2, 0, 0, 0), -EINVAL);
    sclose(fd);
    struct kst st;
    assert_int_equal(sstat("/proc/sys/kernel/testval", &st, 0), 0);
    assert_int_equal(st.mode & 07777, 0644);
    assert_true(sys_openat(AT_FDCWD, L("/proc/sys/kernel/ostype"), O_WRONLY, 0, 0, 0) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_pid_stat_line, setup),
        cmocka_unit_test_setup(test_pid_status_and_statm, setup),
        cmocka_unit_test_setup(test_cmdline_environ_comm, setup),
        cmocka_unit_test_setup(test_self_and_listing, setup),
        cmocka_unit_test_setup(test_permissions_and_owners, setup),
        cmocka_unit_test_setup(test_fd_links_and_reopen, setup),
        cmocka_unit_test_setup(test_sysctl_writes, setup),
        cmocka_unit_test_setup(test_system_files, setup),
        cmocka_unit_test_setup(test_maps, setup),
        cmocka_unit_test_setup(test_registered_files, setup),
        cmocka_unit_test_setup(test_registered_sysctl, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
