/*
 * fdevents: eventfd2 (counter and EFD_SEMAPHORE, limits, blocking), timerfd (one-shot,
 * interval counts, TFD_TIMER_ABSTIME on CLOCK_MONOTONIC and CLOCK_REALTIME, gettime,
 * errnos), signalfd4 (the signalfd_siginfo fields for kill, sigqueue and SIGCHLD, mask
 * updates), all three through poll and epoll, and their /proc/self/fd names.
 */
#include "check.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void check_link(int fd, const char *want)
{
    char path[64], link[64] = "", what[96];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, link, sizeof link - 1);
    if (n > 0)
        link[n] = 0;
    snprintf(what, sizeof what, "/proc/self/fd link is %s", want);
    CHECKF(!strcmp(link, want), what, "'%s'", link);
}

static int readable(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void test_eventfd(void)
{
    uint64_t v = 0;
    int fd = eventfd(3, EFD_NONBLOCK);
    if (!CHECK_OK(fd, "eventfd(3, EFD_NONBLOCK)"))
        return;
    check_link(fd, "anon_inode:[eventfd]");
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == 0 && (st.st_mode & 0777) == 0600,
          "fstat: mode 0600, no file type");
    CHECK(readable(fd), "initval 3: readable");
    CHECK(read(fd, &v, 8) == 8 && v == 3, "read returns the count");
    CHECK_ERR(read(fd, &v, 8), EAGAIN, "count 0, nonblocking: EAGAIN");
    CHECK(!readable(fd), "count 0: not readable");
    v = 5;
    CHECK_EQ(write(fd, &v, 8), 8, "write 5");
    v = 2;
    write(fd, &v, 8);
    CHECK(read(fd, &v, 8) == 8 && v == 7, "writes add up: 7");
    CHECK_ERR(read(fd, &v, 4), EINVAL, "read of 4 bytes: EINVAL");
    CHECK_ERR(write(fd, &v, 4), EINVAL, "write of 4 bytes: EINVAL");
    v = UINT64_MAX;
    CHECK_ERR(write(fd, &v, 8), EINVAL, "write 2^64-1: EINVAL");
    v = UINT64_MAX - 1;
    CHECK_EQ(write(fd, &v, 8), 8, "write 2^64-2 (the maximum count)");
    struct pollfd p = { .fd = fd, .events = POLLOUT };
    CHECK(poll(&p, 1, 0) == 0, "at the maximum: not writable");
    v = 1;
    CHECK_ERR(write(fd, &v, 8), EAGAIN, "overflowing write, nonblocking: EAGAIN");
    read(fd, &v, 8);
    CHECK_ERR(eventfd(0, 0x10), EINVAL, "bad flags: EINVAL");
    close(fd);

    fd = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC);
    CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0, "EFD_CLOEXEC");
    CHECK(read(fd, &v, 8) == 8 && v == 1, "EFD_SEMAPHORE: read 1");
    CHECK(read(fd, &v, 8) == 8 && v == 1, "EFD_SEMAPHORE: read 1 again");
    CHECK_ERR(read(fd, &v, 8), EAGAIN, "EFD_SEMAPHORE: then EAGAIN");
    close(fd);

    /* A blocking read is woken by a write from another process; epoll sees it. */
    fd = eventfd(0, 0);
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u32 = 1 }, out[2];
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    pid_t pid = fork();
    if (pid == 0) {
        usleep(50000);
        uint64_t one = 41;
        write(fd, &one, 8);
        _exit(0);
    }
    CHECK(read(fd, &v, 8) == 8 && v == 41, "blocking read woken by a write");
    check_child(pid, "writer child");
    v = 1;
    write(fd, &v, 8);
    CHECK_EQ(epoll_wait(ep, out, 2, 1000), 1, "epoll: eventfd write is an edge");
    write(fd, &v, 8);
    CHECK_EQ(epoll_wait(ep, out, 2, 1000), 1, "epoll ET: each write is a new edge");
    close(ep);
    close(fd);
}

static void test_timerfd(void)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    if (!CHECK_OK(fd, "timerfd_create(CLOCK_MONOTONIC)"))
        return;
    check_link(fd, "anon_inode:[timerfd]");
    struct itimerspec its, cur;
    uint64_t ticks = 0;
    CHECK(timerfd_gettime(fd, &cur) == 0 && cur.it_value.tv_sec == 0 &&
          cur.it_value.tv_nsec == 0, "gettime of a disarmed timer: 0");
    CHECK_ERR(read(fd, &ticks, 8), EAGAIN, "disarmed, nonblocking: EAGAIN");
    its = (struct itimerspec){ { 0, 0 }, { 0, 50 * 1000000 } };
    CHECK_OK(timerfd_settime(fd, 0, &its, NULL), "settime 50 ms one-shot");
    CHECK(timerfd_gettime(fd, &cur) == 0 && cur.it_value.tv_sec == 0 &&
          cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 50 * 1000000,
          "gettime: time left, at most 50 ms");
    struct pollfd p = { .fd = fd, .events = POLLIN };
    long long t0 = now_ms();
    int n = poll(&p, 1, 2000);
    long long dt = now_ms() - t0;
    CHECKF(n == 1 && dt >= 40, "poll: readable after ~50 ms", "n=%d after %lld ms", n, dt);
    CHECK(read(fd, &ticks, 8) == 8 && ticks == 1, "read: 1 expiration");
    CHECK_ERR(read(fd, &ticks, 8), EAGAIN, "read resets the count");
    CHECK_ERR(read(fd, &ticks, 4), EINVAL, "read of 4 bytes: EINVAL");

    its = (struct itimerspec){ { 0, 10 * 1000000 }, { 0, 10 * 1000000 } };
    t0 = now_ms();
    timerfd_settime(fd, 0, &its, NULL);
    usleep(105 * 1000);
    read(fd, &ticks, 8);
    dt = now_ms() - t0;   /* a loaded host may oversleep: bound by the time really passed */
    CHECKF(ticks >= 8 && (long long)ticks <= dt / 10 + 1,
           "interval 10 ms: an expiration per 10 ms passed", "%llu in %lld ms",
           (unsigned long long)ticks, dt);
    CHECK(timerfd_gettime(fd, &cur) == 0 && cur.it_interval.tv_nsec == 10 * 1000000,
          "gettime: the interval");
    struct itimerspec old;
    its = (struct itimerspec){ { 0, 0 }, { 0, 0 } };
    CHECK(timerfd_settime(fd, 0, &its, &old) == 0 && old.it_interval.tv_nsec == 10 * 1000000,
          "disarm returns the old setting");

    /* Absolute deadlines. */
    struct timespec now;
    its = (struct itimerspec){ { 0, 0 }, { 0, 1 } };   /* 1 ns after boot */
    timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL);
    n = poll(&p, 1, 1000);
    CHECK(n == 1 && read(fd, &ticks, 8) == 8 && ticks == 1,
          "TFD_TIMER_ABSTIME in the past: expires at once");
    close(fd);

    fd = timerfd_create(CLOCK_REALTIME, 0);
    clock_gettime(CLOCK_REALTIME, &now);
    now.tv_nsec += 30 * 1000000;
    if (now.tv_nsec >= 1000000000) {
        now.tv_sec++;
        now.tv_nsec -= 1000000000;
    }
    its = (struct itimerspec){ { 0, 0 }, now };
    CHECK_OK(timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL), "CLOCK_REALTIME absolute");
    t0 = now_ms();
    CHECK(read(fd, &ticks, 8) == 8 && ticks == 1, "blocking read: 1 expiration");
    dt = now_ms() - t0;
    CHECKF(dt < 1000, "CLOCK_REALTIME absolute: fires in about 30 ms", "%lld ms", dt);
    close(fd);

    fd = timerfd_create(CLOCK_BOOTTIME, TFD_CLOEXEC);
    CHECK(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC), "CLOCK_BOOTTIME, TFD_CLOEXEC");
    its = (struct itimerspec){ { 0, 0 }, { 0, 1000000000 } };
    CHECK_ERR(timerfd_settime(fd, 0, &its, NULL), EINVAL, "tv_nsec 1e9: EINVAL");
    its.it_value.tv_nsec = 1;
    CHECK_ERR(timerfd_settime(fd, 4, &its, NULL), EINVAL, "bad settime flags: EINVAL");
    close(fd);
    CHECK_ERR(timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0), EINVAL, "CPU-time clock: EINVAL");
    CHECK_ERR(timerfd_create(CLOCK_MONOTONIC, 1), EINVAL, "bad create flags: EINVAL");
    int pfd[2];
    pipe(pfd);
    CHECK_ERR(timerfd_gettime(pfd[0], &cur), EINVAL, "gettime on a pipe: EINVAL");
    CHECK_ERR(timerfd_gettime(999, &cur), EBADF, "gettime on a bad fd: EBADF");
    close(pfd[0]);
    close(pfd[1]);

    /* Through epoll, edge-triggered: one event per expiry batch. */
    fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u32 = 7 }, out[2];
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    its = (struct itimerspec){ { 0, 20 * 1000000 }, { 0, 20 * 1000000 } };
    timerfd_settime(fd, 0, &its, NULL);
    int got = 0;
    for (int i = 0; i < 3; i++) {
        if (epoll_wait(ep, out, 2, 1000) == 1 && out[0].data.u32 == 7)
            got++;
        read(fd, &ticks, 8);   /* the read re-arms the interval (Linux) */
    }
    CHECK_EQ(got, 3, "epoll ET: an event per expiry, each read");
    CHECK_EQ(epoll_wait(ep, out, 2, 100), 1, "unread expiry: one edge...");
    CHECK_EQ(epoll_wait(ep, out, 2, 100), 0, "...and no more until read (re-armed by read)");
    close(ep);
    close(fd);
}

static volatile sig_atomic_t got_usr2;
static void on_usr2(int sig)
{
    (void)sig;
    got_usr2 = 1;
}

static void test_signalfd(void)
{
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    sigaddset(&mask, SIGRTMIN);
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    int fd = signalfd(-1, &mask, SFD_NONBLOCK);
    if (!CHECK_OK(fd, "signalfd"))
        return;
    check_link(fd, "anon_inode:[signalfd]");
    struct signalfd_siginfo si;
    CHECK_ERR(read(fd, &si, sizeof si), EAGAIN, "nothing pending: EAGAIN");
    CHECK(!readable(fd), "nothing pending: not readable");
    kill(getpid(), SIGUSR1);
    CHECK(readable(fd), "SIGUSR1 pending: readable");
    CHECK_ERR(read(fd, &si, sizeof si - 1), EINVAL, "buffer below 128 bytes: EINVAL");
    memset(&si, 0xff, sizeof si);
    CHECK_EQ(read(fd, &si, sizeof si), 128, "read one signalfd_siginfo (128 bytes)");
    CHECK_EQ(si.ssi_signo, SIGUSR1, "ssi_signo");
    CHECK_EQ(si.ssi_code, SI_USER, "ssi_code SI_USER");
    CHECK_EQ(si.ssi_pid, getpid(), "ssi_pid");
    CHECK_EQ(si.ssi_uid, getuid(), "ssi_uid");
    CHECK_EQ(si.ssi_errno, 0, "ssi_errno");
    CHECK(si.ssi_ptr == 0 && si.ssi_int == 0 && si.ssi_addr == 0 && si.ssi_status == 0,
          "unused fields are zero");
    CHECK(!readable(fd), "consumed: not readable");

    union sigval sv = { .sival_int = 42 };
    sigqueue(getpid(), SIGRTMIN, sv);
    sigqueue(getpid(), SIGRTMIN, sv);
    struct signalfd_siginfo two[3];
    CHECK_EQ(read(fd, two, sizeof two), 256, "two queued RT signals in one read");
    CHECK(two[0].ssi_signo == (uint32_t)SIGRTMIN && two[0].ssi_code == SI_QUEUE &&
          two[0].ssi_int == 42 && two[0].ssi_ptr == 42 && two[0].ssi_pid == (uint32_t)getpid(),
          "sigqueue: SI_QUEUE, ssi_int and ssi_ptr");

    pid_t pid = fork();
    if (pid == 0)
        _exit(7);
    struct pollfd p = { .fd = fd, .events = POLLIN };
    poll(&p, 1, 2000);
    CHECK_EQ(read(fd, &si, sizeof si), 128, "SIGCHLD read");
    CHECK(si.ssi_signo == SIGCHLD && si.ssi_code == CLD_EXITED && si.ssi_pid == (uint32_t)pid &&
          si.ssi_status == 7, "SIGCHLD: CLD_EXITED, ssi_pid, ssi_status");
    waitpid(pid, NULL, 0);

    /* Through epoll; then a mask update through the same fd. */
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 3 }, out[2];
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    CHECK_EQ(epoll_wait(ep, out, 2, 0), 0, "epoll: idle signalfd");
    pid = fork();
    if (pid == 0) {
        usleep(50000);
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    CHECK_EQ(epoll_wait(ep, out, 2, 2000), 1, "epoll: woken by a signal from another process");
    read(fd, &si, sizeof si);
    CHECK_EQ(si.ssi_signo, SIGUSR1, "...and it is SIGUSR1");
    waitpid(pid, NULL, 0);
    while (read(fd, &si, sizeof si) > 0) { }   /* the child's SIGCHLD */
    close(ep);

    sigset_t m2;
    sigemptyset(&m2);
    sigaddset(&m2, SIGUSR2);
    sigprocmask(SIG_BLOCK, &m2, NULL);
    CHECK_EQ(signalfd(fd, &m2, 0), fd, "mask update returns the same fd");
    kill(getpid(), SIGUSR2);
    CHECK(read(fd, &si, sizeof si) == 128 && si.ssi_signo == SIGUSR2, "new mask: SIGUSR2 read");
    if (under_qemu_user())
        check_skip("sigsetsize 4: EINVAL", "qemu-user accepts it");
    else
        CHECK_ERR(syscall(SYS_signalfd4, -1, &m2, 4, 0), EINVAL, "sigsetsize 4: EINVAL");
    CHECK_ERR(signalfd(-1, &m2, 0x4), EINVAL, "bad flags: EINVAL");
    int pfd[2];
    pipe(pfd);
    CHECK_ERR(signalfd(pfd[0], &m2, 0), EINVAL, "update through a pipe fd: EINVAL");
    close(pfd[0]);
    close(pfd[1]);
    /* An unblocked signal in the mask is delivered, not read. */
    signal(SIGUSR2, on_usr2);
    sigprocmask(SIG_UNBLOCK, &m2, NULL);
    kill(getpid(), SIGUSR2);
    CHECK(got_usr2 && read(fd, &si, sizeof si) < 0 && errno == EAGAIN,
          "unblocked signal: handler runs, nothing to read");
    close(fd);
    sigprocmask(SIG_UNBLOCK, &mask, NULL);
}

int main(void)
{
    check_begin("fdevents");
    test_eventfd();
    test_timerfd();
    test_signalfd();
    return check_done();
}
