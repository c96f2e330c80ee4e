/*
 * rtc - the real-time clock of QEMU virt (goldfish) through Linux's interface:
 *   - /dev/rtc0 (crw------- root), RTC_RD_TIME agreeing with the system time (set from it
 *     at boot: hctosys) and with /sys/class/rtc/rtc0/{date,time,since_epoch,name,hctosys};
 *   - RTC_SET_TIME as root (read back, then the clock restored from the system time), EINVAL
 *     for an invalid time, EACCES for a user holding an open descriptor;
 *   - read() with O_NONBLOCK is EAGAIN and poll() reports nothing: no interrupt is pending;
 *   - an unknown ioctl is ENOTTY.
 * openv's clock has no alarm or update interrupts: RTC_AIE_ON, RTC_UIE_ON, RTC_ALM_READ and
 * RTC_WKALM_RD give EINVAL there, as Linux gives for such a device, and /dev/rtc links to
 * rtc0 (udev's link; Linux's devtmpfs alone does not make it). Those two are checked on
 * openv only: Linux's goldfish driver has alarms. The rest passes on the Linux reference.
 */
#include <fcntl.h>
#include <linux/rtc.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>

#include "check.h"

static int is_openv(void)
{
    struct utsname u;
    return uname(&u) == 0 && strstr(u.release, "openv") != NULL;
}

static long long tm_to_secs(const struct rtc_time *rt)
{
    struct tm tm = {
        .tm_sec = rt->tm_sec, .tm_min = rt->tm_min, .tm_hour = rt->tm_hour,
        .tm_mday = rt->tm_mday, .tm_mon = rt->tm_mon, .tm_year = rt->tm_year,
    };
    return (long long)timegm(&tm);
}

static int slurp(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = 0;
    return (int)n;
}

static void test_read(int fd)
{
    struct rtc_time rt;
    memset(&rt, 0xff, sizeof rt);
    if (!CHECK_OK(ioctl(fd, RTC_RD_TIME, &rt), "RTC_RD_TIME"))
        return;
    long long secs = tm_to_secs(&rt);
    time_t now = time(NULL);
    CHECKF(llabs(secs - (long long)now) <= 5, "the system time is the RTC's (hctosys)",
           "rtc %lld, system %lld", secs, (long long)now);
    struct tm g;
    time_t t = (time_t)secs;
    gmtime_r(&t, &g);
    /* Not tm_yday: Linux 6.1's is one more than the C library's on some days (Dec 6 2026
     * gave 340 where gmtime says 339); openv's is the C library's. */
    CHECKF(rt.tm_wday == g.tm_wday && rt.tm_isdst == 0, "RTC_RD_TIME fills wday, isdst",
           "wday %d isdst %d, want %d 0", rt.tm_wday, rt.tm_isdst, g.tm_wday);

    char buf[128], want[64];
    if (CHECK(slurp("/sys/class/rtc/rtc0/since_epoch", buf, sizeof buf) > 0,
              "read /sys/class/rtc/rtc0/since_epoch"))
        CHECKF(llabs(atoll(buf) - secs) <= 2, "since_epoch is the RTC's time",
               "since_epoch %s, RTC_RD_TIME %lld", buf, secs);
    if (CHECK(slurp("/sys/class/rtc/rtc0/date", buf, sizeof buf) > 0, "read rtc0/date")) {
        strftime(want, sizeof want, "%Y-%m-%d\n", &g);
        CHECKF(strlen(buf) == 11 && buf[4] == '-' && buf[7] == '-',
               "rtc0/date is YYYY-MM-DD", "%s", buf);
    }
    if (CHECK(slurp("/sys/class/rtc/rtc0/time", buf, sizeof buf) > 0, "read rtc0/time"))
        CHECKF(strlen(buf) == 9 && buf[2] == ':' && buf[5] == ':', "rtc0/time is HH:MM:SS",
               "%s", buf);
    if (CHECK(slurp("/sys/class/rtc/rtc0/name", buf, sizeof buf) > 0, "read rtc0/name"))
        CHECKF(strncmp(buf, "goldfish_rtc ", 13) == 0 && strstr(buf, ".rtc\n"),
               "rtc0/name is 'goldfish_rtc <addr>.rtc'", "%s", buf);
    if (CHECK(slurp("/sys/class/rtc/rtc0/hctosys", buf, sizeof buf) > 0, "read rtc0/hctosys"))
        CHECKF(strcmp(buf, "1\n") == 0, "rtc0/hctosys is 1", "%s", buf);
}

static void test_set(int fd)
{
    /* 2031-05-06 07:08:09 UTC */
    struct rtc_time set = { .tm_year = 131, .tm_mon = 4, .tm_mday = 6, .tm_hour = 7,
                            .tm_min = 8, .tm_sec = 9 };
    if (CHECK_OK(ioctl(fd, RTC_SET_TIME, &set), "RTC_SET_TIME as root")) {
        struct rtc_time rt;
        CHECK_OK(ioctl(fd, RTC_RD_TIME, &rt), "RTC_RD_TIME after the set");
        long long d = tm_to_secs(&rt) - tm_to_secs(&set);
        CHECKF(d >= 0 && d <= 2, "the RTC reads back what was set, and runs",
               "read %04d-%02d-%02d %02d:%02d:%02d", rt.tm_year + 1900, rt.tm_mon + 1,
               rt.tm_mday, rt.tm_hour, rt.tm_min, rt.tm_sec);
        char buf[64];
        if (slurp("/sys/class/rtc/rtc0/date", buf, sizeof buf) > 0)
            CHECKF(strcmp(buf, "2031-05-06\n") == 0, "rtc0/date follows", "%s", buf);
    }
    struct rtc_time bad = set;
    bad.tm_mon = 12;
    CHECK_ERR(ioctl(fd, RTC_SET_TIME, &bad), EINVAL, "RTC_SET_TIME month 12: EINVAL");
    bad = set;
    bad.tm_mon = 1;
    bad.tm_mday = 30;
    CHECK_ERR(ioctl(fd, RTC_SET_TIME, &bad), EINVAL, "RTC_SET_TIME February 30: EINVAL");
    CHECK_ERR(ioctl(fd, RTC_SET_TIME, (void *)8), EFAULT, "RTC_SET_TIME bad pointer: EFAULT");
    CHECK_ERR(ioctl(fd, RTC_RD_TIME, (void *)8), EFAULT, "RTC_RD_TIME bad pointer: EFAULT");

    /* A user holding a descriptor root opened reads but may not set. */
    pid_t pid = fork();
    if (pid == 0) {
        if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
            _exit(100);
        struct rtc_time rt;
        int bad_bits = 0;
        if (ioctl(fd, RTC_RD_TIME, &rt) != 0)
            bad_bits |= 1;
        if (ioctl(fd, RTC_SET_TIME, &set) != -1 || errno != EACCES)
            bad_bits |= 2;
        if (open("/dev/rtc0", O_RDONLY) != -1 || errno != EACCES)
            bad_bits |= 4;
        _exit(bad_bits);
    }
    check_child(pid, "uid 1000: RTC_RD_TIME works, RTC_SET_TIME EACCES, open EACCES");

    /* Back to the system time, which the set did not move. */
    time_t now = time(NULL);
    struct tm g;
    gmtime_r(&now, &g);
    struct rtc_time back = { .tm_year = g.tm_year, .tm_mon = g.tm_mon, .tm_mday = g.tm_mday,
                             .tm_hour = g.tm_hour, .tm_min = g.tm_min, .tm_sec = g.tm_sec };
    CHECK_OK(ioctl(fd, RTC_SET_TIME, &back), "the RTC restored from the system time");
}

static void test_no_interrupts(int fd)
{
    CHECK_ERR(open("/dev/rtc0", O_RDONLY), EBUSY, "a second open: EBUSY (one opener at a time)");
    CHECK_ERR(ioctl(fd, _IO('p', 0x7f)), ENOTTY, "unknown ioctl: ENOTTY");
    close(fd);
    int nb = open("/dev/rtc0", O_RDONLY | O_NONBLOCK);
    if (CHECK(nb >= 0, "open /dev/rtc0 O_NONBLOCK")) {
        unsigned long data;
        CHECK_ERR(read(nb, &data, sizeof data), EAGAIN, "read with no interrupt: EAGAIN");
        struct pollfd p = { .fd = nb, .events = POLLIN };
        CHECK_EQ(poll(&p, 1, 50), 0, "poll: not readable");
    }
    fd = nb;
    if (fd < 0 || !is_openv()) {
        check_skip("alarm ioctls", "Linux's goldfish driver has alarms");
        if (fd >= 0)
            close(fd);
        return;
    }
    struct rtc_time rt;
    struct rtc_wkalrm wk;
    CHECK_ERR(ioctl(fd, RTC_AIE_ON), EINVAL, "RTC_AIE_ON: EINVAL (no alarm)");
    CHECK_ERR(ioctl(fd, RTC_UIE_ON), EINVAL, "RTC_UIE_ON: EINVAL (no update interrupt)");
    CHECK_ERR(ioctl(fd, RTC_ALM_READ, &rt), EINVAL, "RTC_ALM_READ: EINVAL");
    CHECK_ERR(ioctl(fd, RTC_WKALM_RD, &wk), EINVAL, "RTC_WKALM_RD: EINVAL");
    CHECK_OK(ioctl(fd, RTC_UIE_OFF), "RTC_UIE_OFF: 0 (already off)");
    char link[32] = "";
    ssize_t n = readlink("/dev/rtc", link, sizeof link - 1);
    CHECKF(n > 0 && strcmp(link, "rtc0") == 0, "/dev/rtc -> rtc0", "readlink gave %zd '%s'",
           n, link);
    close(fd);
}

int main(void)
{
    check_begin("rtc");
    if (under_qemu_user()) {
        check_skip("all", "qemu-user has the host's devices");
        return check_done();
    }
    struct stat st;
    if (!CHECK_OK(stat("/dev/rtc0", &st), "/dev/rtc0 exists"))
        return check_done();
    CHECKF(S_ISCHR(st.st_mode) && (st.st_mode & 0777) == 0600 && st.st_uid == 0,
           "/dev/rtc0 is crw------- root", "mode %o uid %d", st.st_mode, st.st_uid);
    /* The initramfs of the shared boot mounts no sysfs. */
    if (stat("/sys/class", &st) != 0) {
        mkdir("/sys", 0555);
        CHECK_OK(mount("sysfs", "/sys", "sysfs", 0, NULL), "mount sysfs on /sys");
    }
    int fd = open("/dev/rtc0", O_RDONLY);
    if (!CHECK(fd >= 0, "open /dev/rtc0"))
        return check_done();
    test_read(fd);
    if (geteuid() == 0)
        test_set(fd);
    test_no_interrupts(fd);     /* closes fd */
    return check_done();
}
