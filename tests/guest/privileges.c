/*
 * privileges - what a user other than root may not do, and the kernel log's limits:
 *   - bind(2) below /proc/sys/net/ipv4/ip_unprivileged_port_start needs root (EACCES),
 *     TCP and UDP; the sysctl moves the line and rejects bad values;
 *   - kill(-1, sig) signals every process the caller may signal but init and itself, and
 *     returns 0 when there is one (kill(-1, 0) as uid 1000 owning a process);
 *   - /proc/sys/kernel/dmesg_restrict governs syslog(2) and opening /dev/kmsg to read;
 *   - /dev/kmsg writers are rate-limited (10 lines per open per 5 s, as Linux);
 *   - sync(2) and fsync of an unbound loop device log nothing ("flush failed");
 *   - device nodes have Linux's devtmpfs modes: a user opens /dev/null, /dev/tty, /dev/ptmx
 *     and friends, but not the serial line or the console for writing (TIOCSTI would type
 *     into a root shell) nor a block device for reading.
 * Runs as root; the checks as a user run in children that drop to uid 1000 and report
 * through their exit status. Validated on Linux (the sysctls need a writable /proc/sys).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/klog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "check.h"

#define USER_UID 1000
#define DMESG_RESTRICT "/proc/sys/kernel/dmesg_restrict"
#define PORT_START "/proc/sys/net/ipv4/ip_unprivileged_port_start"

enum { ACTION_READ_ALL = 3, ACTION_CLEAR = 5, ACTION_SIZE_BUFFER = 10 };

static int read_sysctl(const char *path)
{
    char buf[32] = "";
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    return n > 0 ? atoi(buf) : -1;
}

/* 0, or the errno of the open or the write. */
static int write_sysctl(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_TRUNC);
    if (fd < 0)
        return errno;
    ssize_t n = write(fd, text, strlen(text));
    int e = n == (ssize_t)strlen(text) ? 0 : n < 0 ? errno : EIO;
    close(fd);
    return e;
}

static void drop_to_user(void)
{
    if (setgroups(0, NULL) != 0 || setresgid(USER_UID, USER_UID, USER_UID) != 0 ||
        setresuid(USER_UID, USER_UID, USER_UID) != 0)
        _exit(100);
}

/* bind(2) of a fresh socket of `type` to 0.0.0.0:port: 0 or errno. (Not 127.0.0.1: Linux
 * booted with the bare initramfs has lo down.) */
static int try_bind(int type, int port)
{
    int s = socket(AF_INET, type, 0);
    if (s < 0)
        return errno;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    int r = bind(s, (struct sockaddr *)&a, sizeof a);
    int e = r == 0 ? 0 : errno;
    close(s);
    return e;
}

/* Forks a child that drops to the user, runs fn and exits with what it returns. */
static pid_t as_user(int (*fn)(void))
{
    pid_t pid = fork();
    if (pid == 0) {
        drop_to_user();
        _exit(fn());
    }
    return pid;
}

/* ---- ports ---- */

static int user_binds_default(void)
{
    int bad = 0;
    if (try_bind(SOCK_STREAM, 80) != EACCES)
        bad |= 1;
    if (try_bind(SOCK_DGRAM, 80) != EACCES)
        bad |= 2;
    if (try_bind(SOCK_STREAM, 1023) != EACCES)
        bad |= 4;
    if (try_bind(SOCK_STREAM, 0) != 0 || try_bind(SOCK_DGRAM, 0) != 0)
        bad |= 8;           /* port 0 picks an ephemeral port: no privilege needed */
    if (try_bind(SOCK_STREAM, 24242) != 0 || try_bind(SOCK_DGRAM, 24242) != 0)
        bad |= 16;
    return bad;
}

static int user_binds_lowered(void)
{
    int bad = 0;
    if (try_bind(SOCK_STREAM, 1000) != 0 || try_bind(SOCK_DGRAM, 1000) != 0)
        bad |= 1;
    if (try_bind(SOCK_STREAM, 999) != EACCES || try_bind(SOCK_DGRAM, 999) != EACCES)
        bad |= 2;
    if (write_sysctl(PORT_START, "0\n") != EACCES)
        bad |= 4;
    return bad;
}

static void test_ports(void)
{
    int start = read_sysctl(PORT_START);
    CHECK_EQ(start, 1024, "ip_unprivileged_port_start is 1024");
    CHECK_EQ(try_bind(SOCK_STREAM, 999), 0, "root binds TCP port 999");
    CHECK_EQ(try_bind(SOCK_DGRAM, 999), 0, "root binds UDP port 999");
    pid_t pid = as_user(user_binds_default);
    check_child(pid, "uid 1000: TCP/UDP port 80 and 1023 EACCES, 0 and 24242 bind");

    int e = write_sysctl(PORT_START, "1000\n");
    if (e == EROFS || e == EACCES) {
        check_skip("ip_unprivileged_port_start set by root", "/proc/sys not writable here");
        return;
    }
    CHECK_EQ(e, 0, "root sets ip_unprivileged_port_start to 1000");
    CHECK_EQ(read_sysctl(PORT_START), 1000, "ip_unprivileged_port_start reads back 1000");
    pid = as_user(user_binds_lowered);
    check_child(pid, "uid 1000: port 1000 binds, 999 EACCES, the sysctl is root's");
    CHECK_EQ(write_sysctl(PORT_START, "abc"), EINVAL, "a non-number: EINVAL");
    CHECK_EQ(write_sysctl(PORT_START, "70000"), EINVAL, "past 65535: EINVAL");
    CHECK_EQ(write_sysctl(PORT_START, "1024"), 0, "ip_unprivileged_port_start back to 1024");
    CHECK_EQ(read_sysctl(PORT_START), 1024, "and reads 1024");
}

/* ---- kill(-1) ---- */

static int user_kills_all(void)
{
    int bad = 0;
    pid_t victim = fork();
    if (victim == 0) {
        for (;;)
            pause();
    }
    if (victim < 0)
        return 99;
    if (kill(-1, 0) != 0)
        bad |= 1;
    if (kill(1, 0) != -1 || errno != EPERM)
        bad |= 2;           /* init is root's */
    /* SIGUSR1 to all: the caller is spared (it would die), the victim dies, root's
     * processes (the test runner, init) are not the caller's to signal. */
    if (kill(-1, SIGUSR1) != 0)
        bad |= 4;
    int st = 0;
    if (waitpid(victim, &st, 0) != victim || !WIFSIGNALED(st) || WTERMSIG(st) != SIGUSR1)
        bad |= 8;
    return bad;
}

static void test_kill_all(void)
{
    pid_t pid = as_user(user_kills_all);
    check_child(pid, "uid 1000: kill(-1, 0) = 0 owning a process, kill(-1, SIGUSR1) kills it "
                     "and spares the caller, kill(1, 0) EPERM");
    CHECK_EQ(kill(getpid(), 0), 0, "root's test process was not signalled");
}

/* ---- the kernel log ---- */

static int user_reads_log_restricted(void)
{
    int bad = 0;
    char buf[64];
    if (klogctl(ACTION_READ_ALL, buf, sizeof buf) != -1 || errno != EPERM)
        bad |= 1;
    if (klogctl(ACTION_SIZE_BUFFER, NULL, 0) != -1 || errno != EPERM)
        bad |= 2;
    if (open("/dev/kmsg", O_RDONLY) != -1 || errno != EPERM)
        bad |= 4;
    if (open("/dev/kmsg", O_WRONLY) != -1 || errno != EACCES)
        bad |= 8;           /* crw-r--r-- root */
    if (write_sysctl(DMESG_RESTRICT, "0") != EACCES)
        bad |= 16;
    return bad;
}

static int user_reads_log_open(void)
{
    int bad = 0;
    char buf[64];
    if (klogctl(ACTION_READ_ALL, buf, sizeof buf) < 0)
        bad |= 1;
    if (klogctl(ACTION_SIZE_BUFFER, NULL, 0) <= 0)
        bad |= 2;
    int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
    if (fd < 0)
        bad |= 4;
    else
        close(fd);
    if (klogctl(ACTION_CLEAR, NULL, 0) != -1 || errno != EPERM)
        bad |= 8;           /* clearing stays root's */
    return bad;
}

static int count_in_log(const char *needle)
{
    static char log[256 * 1024];
    int n = klogctl(ACTION_READ_ALL, log, sizeof log - 1);
    if (n < 0)
        return -1;
    log[n] = 0;
    int count = 0;
    for (char *p = log; (p = strstr(p, needle)); p += strlen(needle))
        count++;
    return count;
}

static void test_log(void)
{
    int restrict_was = read_sysctl(DMESG_RESTRICT);
    CHECK(restrict_was == 0 || restrict_was == 1, "dmesg_restrict reads 0 or 1");
    if (under_qemu_user()) {
        check_skip("dmesg_restrict", "qemu-user shows the host's /proc/sys");
        return;
    }
    int e = write_sysctl(DMESG_RESTRICT, "1");
    if (e == EROFS || e == EACCES) {
        check_skip("dmesg_restrict set by root", "/proc/sys not writable here");
        return;
    }
    CHECK_EQ(e, 0, "root sets dmesg_restrict to 1");
    pid_t pid = as_user(user_reads_log_restricted);
    check_child(pid, "uid 1000 with dmesg_restrict=1: syslog EPERM, /dev/kmsg read EPERM, "
                     "write EACCES, the sysctl is root's");
    CHECK(klogctl(ACTION_SIZE_BUFFER, NULL, 0) > 0, "root still reads the log");
    CHECK_EQ(write_sysctl(DMESG_RESTRICT, "0"), 0, "root sets dmesg_restrict to 0");
    pid = as_user(user_reads_log_open);
    check_child(pid, "uid 1000 with dmesg_restrict=0: syslog READ_ALL and /dev/kmsg read work, "
                     "CLEAR EPERM");
    CHECK_EQ(write_sysctl(DMESG_RESTRICT, "2"), EINVAL, "dmesg_restrict=2: EINVAL");
    char old[4];
    snprintf(old, sizeof old, "%d", restrict_was);
    CHECK_EQ(write_sysctl(DMESG_RESTRICT, old), 0, "dmesg_restrict restored");

    /* 30 lines through one open /dev/kmsg: 10 reach the log. A unique tag per run. */
    char tag[48];
    snprintf(tag, sizeof tag, "privileges-kmsg-%d-%ld", getpid(), (long)time(NULL));
    int fd = open("/dev/kmsg", O_WRONLY);
    if (CHECK(fd >= 0, "root opens /dev/kmsg to write")) {
        int short_writes = 0;
        for (int i = 0; i < 30; i++) {
            char line[96];
            /* <7>: debug level, kept off the console */
            int n = snprintf(line, sizeof line, "<7>%s line %d\n", tag, i);
            if (write(fd, line, (size_t)n) != n)
                short_writes++;
        }
        close(fd);
        CHECK_EQ(short_writes, 0, "every /dev/kmsg write succeeds, logged or dropped");
        CHECK_EQ(count_in_log(tag), 10, "/dev/kmsg: 10 of 30 lines logged (ratelimit burst)");
    }

    /* Nothing to flush on an unbound loop device: no message, fsync succeeds. */
    int before = count_in_log("flush failed");
    sync();
    sync();
    int lfd = open("/dev/loop7", O_RDONLY);
    if (lfd >= 0) {
        CHECK_OK(fsync(lfd), "fsync of an unbound /dev/loop7");
        close(lfd);
    }
    CHECK_EQ(count_in_log("flush failed"), before, "sync logs no 'flush failed'");
}

/* ---- device nodes ---- */

/* errno of open(path, flags), 0 if it opened. */
static int open_errno(const char *path, int flags)
{
    int fd = open(path, flags | O_NOCTTY);
    if (fd < 0)
        return errno;
    close(fd);
    return 0;
}

static int user_opens_devices(void)
{
    int bad = 0;
    static const char *const open_to_all[] = { "/dev/null", "/dev/zero", "/dev/full",
                                               "/dev/random", "/dev/urandom", "/dev/ptmx" };
    for (size_t i = 0; i < sizeof open_to_all / sizeof *open_to_all; i++)
        if (open_errno(open_to_all[i], O_RDWR) != 0)
            bad |= 1;
    if (open_errno("/dev/tty", O_RDWR) == EACCES)   /* ENXIO without a controlling tty */
        bad |= 2;
    if (open_errno("/dev/console", O_WRONLY) != EACCES)
        bad |= 4;
    if (access("/dev/ttyS0", F_OK) == 0 && open_errno("/dev/ttyS0", O_WRONLY) != EACCES)
        bad |= 8;
    if (access("/dev/loop0", F_OK) == 0 && open_errno("/dev/loop0", O_RDONLY) != EACCES)
        bad |= 16;
    if (open_errno("/dev/kmsg", O_WRONLY) != EACCES)
        bad |= 32;
    return bad;
}

/* The permission bits of path, or -1. */
static int perm_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

static void test_device_nodes(void)
{
    static const char *const world_rw[] = { "/dev/null", "/dev/zero", "/dev/full",
                                            "/dev/random", "/dev/urandom", "/dev/tty",
                                            "/dev/ptmx" };
    for (size_t i = 0; i < sizeof world_rw / sizeof *world_rw; i++) {
        char what[64];
        snprintf(what, sizeof what, "%s is 0666", world_rw[i]);
        CHECK_EQ(perm_of(world_rw[i]), 0666, what);
    }
    CHECK_EQ(perm_of("/dev/kmsg"), 0644, "/dev/kmsg is 0644");
    CHECK_EQ(perm_of("/dev/console"), 0600, "/dev/console is 0600");
    int tty_s0 = perm_of("/dev/ttyS0");
    CHECKF(tty_s0 == -1 || (tty_s0 & 0007) == 0, "/dev/ttyS0 gives others nothing", "mode %o",
           tty_s0);
    int loop0 = perm_of("/dev/loop0");
    CHECKF(loop0 == -1 || (loop0 & 0007) == 0, "/dev/loop0 gives others nothing", "mode %o",
           loop0);
    pid_t pid = as_user(user_opens_devices);
    check_child(pid, "uid 1000 opens null, zero, full, random, urandom, ptmx and tty, not "
                     "console, ttyS0, kmsg (write) or loop0 (read)");
}

int main(void)
{
    check_begin("privileges");
    if (geteuid() != 0) {
        check_skip("all", "must run as root");
        return check_done();
    }
    test_ports();
    test_kill_all();
    test_log();
    test_device_nodes();
    return check_done();
}
