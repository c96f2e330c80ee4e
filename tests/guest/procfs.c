/*
 * procfs: what programs read about themselves through /proc, from the inside: /proc/self,
 * argv and environment, the fd links (and reopening a pipe through one), threads under
 * task/ and /proc/<tid>, ttyname(), and a child's state as its parent sees it.
 * /proc/<pid>/fdinfo as Linux 6.1 writes it: pos, flags (O_LARGEFILE, O_CLOEXEC, F_SETFL),
 * mnt_id (mountinfo's), ino; eventfd-count/-id, signalfd's sigmask, timerfd's clockid, ticks,
 * settime flags and times, epoll's tfd lines, inotify's wd lines; the listing; mode 0555 and
 * EACCES for another user's process.
 */
#include "check.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/timerfd.h>
#include <time.h>

static char *slurp(const char *path, size_t *len)
{
    static char buf[65536];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}

/* The value after "key:\t" in a status-like file, or -1. */
static long status_field(const char *path, const char *key)
{
    char *text = slurp(path, NULL);
    if (!text)
        return -1;
    size_t klen = strlen(key);
    for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (strncmp(line, key, klen) == 0 && line[klen] == ':')
            return strtol(line + klen + 1, NULL, 10);
    return -1;
}

static void test_self(int argc, char **argv)
{
    char link[64], want[32];
    ssize_t n = readlink("/proc/self", link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    snprintf(want, sizeof want, "%d", (int)getpid());
    CHECKF(strcmp(link, want) == 0, "/proc/self is the pid", "'%s' vs '%s'", link, want);
    CHECK(status_field("/proc/self/status", "Pid") == getpid(), "status Pid");
    CHECK(status_field("/proc/self/status", "PPid") == getppid(), "status PPid");
    CHECK(status_field("/proc/self/status", "Uid") == (long)getuid(), "status Uid");

    size_t len;
    char *cmd = slurp("/proc/self/cmdline", &len);
    size_t want_len = 0;
    for (int i = 0; i < argc; i++)
        want_len += strlen(argv[i]) + 1;
    int same = cmd && len == want_len;
    for (size_t off = 0, i = 0; same && i < (size_t)argc; off += strlen(argv[i]) + 1, i++)
        same = strcmp(cmd + off, argv[i]) == 0;
    CHECKF(same, "cmdline is argv", "len %zu, want %zu", len, want_len);

    if (getenv("PROCFS_REEXEC")) {
        char *env = slurp("/proc/self/environ", &len);
        int found = 0;
        for (size_t off = 0; env && off < len; off += strlen(env + off) + 1)
            found |= strcmp(env + off, "PROCFS_TEST=42") == 0;
        CHECKF(found, "environ has the variable exec was given", "not found");
    } else {
        check_skip("environ has the variable exec was given", "not re-executed");
    }

    if (getenv("OPENV_UNDER_QEMU_USER")) {
        check_skip("/proc/self/exe is the program", "qemu-user");
        return;
    }
    struct stat a, b;
    CHECK(stat("/proc/self/exe", &a) == 0 && stat(argv[0], &b) == 0 && a.st_ino == b.st_ino &&
          a.st_dev == b.st_dev, "/proc/self/exe is the program");
}

static void test_fds(void)
{
    int fd = open("/proc/self/status", O_RDONLY);
    char path[64], link[256];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    snprintf(path, sizeof path, "/proc/%d/status", (int)getpid());
    CHECKF(strcmp(link, path) == 0, "fd link names the file", "'%s'", link);
    close(fd);

    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
    n = readlink(path, link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    CHECKF(strncmp(link, "pipe:[", 6) == 0, "pipe fd link", "'%s'", link);
    int again = open(path, O_RDONLY);
    CHECK(again >= 0, "reopen a pipe through /proc/self/fd");
    CHECK(write(p[1], "hey", 3) == 3, "write to the pipe");
    char buf[8] = {0};
    CHECK(again >= 0 && read(again, buf, sizeof buf) == 3 && memcmp(buf, "hey", 3) == 0,
          "read it from the reopened end");
    close(again);
    close(p[0]);
    close(p[1]);

    if (isatty(0)) {
        char *name = ttyname(0);
        CHECKF(name && strncmp(name, "/dev/", 5) == 0, "ttyname(0)", "%s", name ? name : "NULL");
    } else {
        check_skip("ttyname(0)", "stdin is not a terminal");
    }
}

/* ---- fdinfo ---- */

static char fdinfo_text[8192];

static const char *fdinfo(int fd)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
    char *t = slurp(path, NULL);
    snprintf(fdinfo_text, sizeof fdinfo_text, "%s", t ? t : "(unreadable)");
    return fdinfo_text;
}

/* Whether the fdinfo of fd has the line `line` (without its newline). */
static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == 0))
            return true;
    return false;
}

/* The line of text starting with prefix, copied (without the newline), or "". */
static const char *line_of(const char *text, const char *prefix)
{
    static char out[256];
    out[0] = 0;
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, prefix, strlen(prefix)) == 0) {
            size_t n = strcspn(p, "\n");
            snprintf(out, sizeof out, "%.*s", (int)(n < sizeof out ? n : sizeof out - 1), p);
            break;
        }
    return out;
}

#define CHECK_LINE(fd, line, what)                                                           \
    do {                                                                                     \
        const char *t_ = fdinfo(fd);                                                         \
        CHECKF(has_line(t_, line), what, "no '%s' in:\n%s", line, t_);                       \
    } while (0)

/* The mount ID of the mount at `where` in /proc/self/mountinfo, or -1. */
static int mount_id_of(const char *where)
{
    char *text = slurp("/proc/self/mountinfo", NULL);
    for (char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        int id, parent;
        char point[256];
        if (sscanf(p, "%d %d %*s %*s %255s", &id, &parent, point) == 3 && !strcmp(point, where))
            return id;
    }
    return -1;
}

static void test_fdinfo_files(void)
{
    char path[64], line[128];
    snprintf(path, sizeof path, "/tmp/procfs-fdinfo.%d", (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (!CHECK_OK(fd, "open a file in /tmp"))
        return;
    write(fd, "hello", 5);
    lseek(fd, 3, SEEK_SET);
    CHECK_LINE(fd, "pos:\t3", "fdinfo pos is the offset");
    /* 64-bit Linux opens everything O_LARGEFILE; O_CREAT and O_TRUNC are not kept. */
    CHECK_LINE(fd, "flags:\t0100002", "fdinfo flags: O_RDWR | O_LARGEFILE");
    struct stat st;
    fstat(fd, &st);
    snprintf(line, sizeof line, "ino:\t%llu", (unsigned long long)st.st_ino);
    CHECK_LINE(fd, line, "fdinfo ino is the file's");
    snprintf(line, sizeof line, "mnt_id:\t%d", mount_id_of("/tmp"));
    CHECK_LINE(fd, line, "fdinfo mnt_id is /tmp's mount ID in mountinfo");
    fcntl(fd, F_SETFL, O_NONBLOCK | O_APPEND);
    CHECK_LINE(fd, "flags:\t0106002", "fdinfo flags follow F_SETFL");
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    CHECK_LINE(fd, "flags:\t02106002", "fdinfo flags show close-on-exec");
    const char *t = fdinfo(fd);
    CHECKF(!strncmp(t, "pos:\t", 5) && strstr(t, "\nflags:\t") && strstr(t, "\nmnt_id:\t") &&
           strstr(t, "\nino:\t"), "fdinfo lines in Linux's order", "%s", t);
    close(fd);
    fd = open(path, O_WRONLY | O_APPEND);
    CHECK_LINE(fd, "flags:\t0102001", "fdinfo flags: O_WRONLY | O_APPEND | O_LARGEFILE");
    close(fd);
    unlink(path);
    int p[2];
    pipe(p);
    CHECK_LINE(p[0], "flags:\t00", "fdinfo of a pipe's read end: flags 00");
    CHECK_LINE(p[1], "flags:\t01", "fdinfo of a pipe's write end: flags 01");
    CHECK_LINE(p[0], "pos:\t0", "fdinfo of a pipe: pos 0");
    close(p[0]);
    close(p[1]);
}

static void test_fdinfo_events(void)
{
    /* eventfd: the counter as %16llx, and an id. */
    int e1 = eventfd(5, EFD_NONBLOCK), e2 = eventfd(0, 0);
    CHECK_LINE(e1, "eventfd-count:                5", "eventfd-count: %16llx of the counter");
    uint64_t v = 0x10;
    write(e1, &v, sizeof v);
    CHECK_LINE(e1, "eventfd-count:               15", "eventfd-count after a write");
    CHECK_LINE(e1, "flags:\t04002", "eventfd flags: O_RDWR | O_NONBLOCK");
    CHECK_LINE(e2, "flags:\t02", "eventfd flags: O_RDWR");
    char id1[64], id2[64];
    snprintf(id1, sizeof id1, "%s", line_of(fdinfo(e1), "eventfd-id: "));
    snprintf(id2, sizeof id2, "%s", line_of(fdinfo(e2), "eventfd-id: "));
    CHECKF(id1[0] && id2[0] && strcmp(id1, id2) != 0, "eventfd-id: one per eventfd",
           "'%s' '%s'", id1, id2);

    /* signalfd: the mask (without SIGKILL/SIGSTOP), signal 1 in the lowest bit. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGKILL);
    sigaddset(&set, 64);
    int sfd = signalfd(-1, &set, SFD_NONBLOCK);
    CHECK_LINE(sfd, "sigmask:\t8000000000004200", "signalfd sigmask: USR1, TERM, 64, no KILL");
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    signalfd(sfd, &set, 0);
    CHECK_LINE(sfd, "sigmask:\t0000000000000001", "signalfd sigmask after a mask update");
    close(sfd);

    /* timerfd: clock, ticks, settime flags, value left and interval. */
    int tfd = timerfd_create(CLOCK_MONOTONIC, 0);
    CHECK_LINE(tfd, "clockid: 1", "timerfd clockid");
    CHECK_LINE(tfd, "it_value: (0, 0)", "timerfd disarmed: it_value (0, 0)");
    struct itimerspec its = { .it_value = { 100, 0 }, .it_interval = { 2, 500000000 } };
    timerfd_settime(tfd, 0, &its, NULL);
    const char *t = fdinfo(tfd);
    unsigned long long sec = 0, nsec = 0;
    CHECKF(sscanf(line_of(t, "it_value: "), "it_value: (%llu, %llu)", &sec, &nsec) == 2 &&
           sec >= 95 && sec <= 99 && nsec < 1000000000ULL, "timerfd it_value: what is left",
           "%s", t);
    CHECK_LINE(tfd, "it_interval: (2, 500000000)", "timerfd it_interval");
    CHECK_LINE(tfd, "settime flags: 00", "timerfd settime flags 00");
    CHECK_LINE(tfd, "ticks: 0", "timerfd ticks 0");
    its = (struct itimerspec){ .it_value = { 0, 1 } };
    timerfd_settime(tfd, 0, &its, NULL);
    struct timespec ts = { 0, 20000000 };
    nanosleep(&ts, NULL);
    CHECK_LINE(tfd, "ticks: 1", "timerfd ticks after an expiry");
    CHECK_LINE(tfd, "it_value: (0, 0)", "timerfd expired one-shot: it_value (0, 0)");
    close(tfd);
    tfd = timerfd_create(CLOCK_REALTIME, 0);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    its = (struct itimerspec){ .it_value = { now.tv_sec + 1000, 0 } };
    timerfd_settime(tfd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL);
    CHECK_LINE(tfd, "clockid: 0", "timerfd CLOCK_REALTIME clockid");
    CHECK_LINE(tfd, "settime flags: 03", "timerfd settime flags: ABSTIME | CANCEL_ON_SET");
    close(tfd);

    /* epoll: a line per registration, with the EPOLLERR | EPOLLHUP epoll_ctl adds. */
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u64 = 0x1234567890ULL };
    epoll_ctl(ep, EPOLL_CTL_ADD, e1, &ev);
    int p[2];
    pipe(p);
    ev = (struct epoll_event){ .events = EPOLLOUT, .data.u64 = 7 };
    epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev);
    struct stat st;
    fstat(e1, &st);
    char want[160];
    snprintf(want, sizeof want, "tfd: %8d events: %8x data: %16llx  pos:0 ino:%llx sdev:%x", e1,
             EPOLLIN | EPOLLET | EPOLLERR | EPOLLHUP, 0x1234567890ULL,
             (unsigned long long)st.st_ino, (major(st.st_dev) << 20) | minor(st.st_dev));
    CHECK_LINE(ep, want, "epoll fdinfo: the eventfd's line");
    fstat(p[1], &st);
    snprintf(want, sizeof want, "tfd: %8d events: %8x data: %16llx  pos:0 ino:%llx sdev:%x",
             p[1], EPOLLOUT | EPOLLERR | EPOLLHUP, 7ULL, (unsigned long long)st.st_ino,
             (major(st.st_dev) << 20) | minor(st.st_dev));
    CHECK_LINE(ep, want, "epoll fdinfo: the pipe's line");
    epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL);
    t = fdinfo(ep);
    snprintf(want, sizeof want, "tfd: %8d ", p[1]);
    CHECKF(!strstr(t, want), "epoll fdinfo: a removed registration goes", "%s", t);
    close(p[0]);
    close(p[1]);
    close(ep);
    close(e1);
    close(e2);

    /* inotify: a line per watch (Linux may add a file handle after "ignored_mask:0 "). */
    int in = inotify_init1(IN_NONBLOCK);
    int wd = inotify_add_watch(in, "/tmp", IN_CREATE | IN_DELETE);
    int wd2 = inotify_add_watch(in, "/", IN_MODIFY | IN_ONESHOT);
    stat("/tmp", &st);
    snprintf(want, sizeof want, "inotify wd:%x ino:%llx sdev:%x mask:300 ignored_mask:0 ", wd,
             (unsigned long long)st.st_ino, (major(st.st_dev) << 20) | minor(st.st_dev));
    t = fdinfo(in);
    CHECKF(strstr(t, want), "inotify fdinfo: the watch's line", "no '%s' in:\n%s", want, t);
    snprintf(want, sizeof want, "inotify wd:%x ", wd2);
    CHECKF(strstr(line_of(t, want), "mask:80000002 ignored_mask:0 "),
           "inotify fdinfo: IN_ONESHOT shows in the mask", "%s", t);
    CHECK_LINE(in, "flags:\t04000", "inotify flags: O_RDONLY | O_NONBLOCK");
    close(in);
}

/* The listing, mode 0555, and who may read it. */
static void test_fdinfo_access(void)
{
    int extra = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    DIR *fdd = opendir("/proc/self/fd"), *infod = opendir("/proc/self/fdinfo");
    char fds[1024] = "", infos[1024] = "";
    struct dirent *de;
    while (fdd && (de = readdir(fdd)))
        if (de->d_name[0] != '.' && strlen(fds) + strlen(de->d_name) + 2 < sizeof fds)
            strcat(strcat(fds, de->d_name), " ");
    while (infod && (de = readdir(infod)))
        if (de->d_name[0] != '.' && strlen(infos) + strlen(de->d_name) + 2 < sizeof infos)
            strcat(strcat(infos, de->d_name), " ");
    /* Both directories' own fds are open meanwhile: leave them out of both listings. */
    if (fdd && infod) {
        int own[2] = { dirfd(fdd), dirfd(infod) };
        char *lists[2] = { fds, infos };
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++) {
                char word[16];
                snprintf(word, sizeof word, "%d ", own[i]);
                for (char *o = lists[j]; (o = strstr(o, word));) {
                    if (o == lists[j] || o[-1] == ' ') {
                        memmove(o, o + strlen(word), strlen(o + strlen(word)) + 1);
                        break;
                    }
                    o++;
                }
            }
    }
    CHECKF(fdd && infod && !strcmp(fds, infos), "fdinfo lists the open fds", "fd: '%s' fdinfo: '%s'",
           fds, infos);
    if (fdd)
        closedir(fdd);
    if (infod)
        closedir(infod);
    close(extra);
    struct stat st;
    CHECKF(stat("/proc/self/fdinfo", &st) == 0 && (st.st_mode & 07777) == 0555,
           "/proc/<pid>/fdinfo is mode 0555", "mode %o", st.st_mode & 07777);
    CHECKF(stat("/proc/self/fdinfo/0", &st) == 0 && (st.st_mode & 07777) == 0444,
           "/proc/<pid>/fdinfo/<fd> is mode 0444", "mode %o", st.st_mode & 07777);
    if (getuid() != 0) {
        check_skip("fdinfo of another user's process", "not root");
        return;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        if (setgid(1000) != 0 || setuid(1000) != 0)
            _exit(2);
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/fdinfo", (int)parent);
        bool ok = opendir(path) == NULL && errno == EACCES;
        snprintf(path, sizeof path, "/proc/%d/fdinfo/0", (int)parent);
        ok &= open(path, O_RDONLY) < 0 && errno == EACCES;
        ok &= opendir("/proc/self/fdinfo") != NULL;
        ok &= open("/proc/self/fdinfo/0", O_RDONLY) >= 0;
        _exit(ok ? 0 : 1);
    }
    check_child(pid, "uid 1000: EACCES for root's fdinfo (dir and file), its own readable");
}

static atomic_int thread_go, thread_ready;
static atomic_long thread_tid;

static void *thread_fn(void *arg)
{
    (void)arg;
    thread_tid = syscall(SYS_gettid);
    thread_ready = 1;
    while (!thread_go) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void test_threads(void)
{
    pthread_t th;
    CHECK(pthread_create(&th, NULL, thread_fn, NULL) == 0, "pthread_create");
    while (!thread_ready) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    long tid = thread_tid;
    /* qemu-user runs threads of its own in the process: counts differ there. */
    bool exact = getenv("OPENV_UNDER_QEMU_USER") == NULL;
    CHECK(!exact || status_field("/proc/self/status", "Threads") == 2, "status Threads: 2");
    DIR *d = opendir("/proc/self/task");
    int count = 0, seen_main = 0, seen_thread = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        count++;
        seen_main |= atol(e->d_name) == getpid();
        seen_thread |= atol(e->d_name) == tid;
    }
    if (d)
        closedir(d);
    CHECKF((count == 2 || !exact) && seen_main && seen_thread, "task/ lists both threads",
           "count %d", count);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%ld/status", tid);
    CHECK(status_field(path, "Pid") == tid, "task/<tid>/status Pid is the tid");
    CHECK(status_field(path, "Tgid") == getpid(), "task/<tid>/status Tgid");
    snprintf(path, sizeof path, "/proc/%ld/status", tid);
    CHECK(status_field(path, "Tgid") == getpid(), "/proc/<tid> of a thread is found");
    /* ... but not listed. */
    d = opendir("/proc");
    int listed = 0;
    while (d && (e = readdir(d)))
        listed |= atol(e->d_name) == tid;
    if (d)
        closedir(d);
    CHECK(!listed, "/proc does not list thread ids");
    thread_go = 1;
    pthread_join(th, NULL);
}

static char stat_state(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    char *text = slurp(path, NULL);
    char *paren = text ? strrchr(text, ')') : NULL;
    return paren && paren[1] == ' ' ? paren[2] : '?';
}

static void test_child_states(void)
{
    int p[2];
    if (pipe(p) != 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        close(p[1]);
        ssize_t r = read(p[0], &c, 1);   /* sleeps until the parent writes */
        _exit(r == 1 ? 0 : 1);
    }
    close(p[0]);
    char s = '?';
    for (int i = 0; i < 2000 && (s = stat_state(pid)) != 'S'; i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    CHECKF(s == 'S', "a child blocked in read is S", "state %c", s);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (write(p[1], "x", 1) != 1) { /* the check below fails */ }
    close(p[1]);
    for (int i = 0; i < 2000 && (s = stat_state(pid)) != 'Z'; i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    CHECKF(s == 'Z', "an exited, unwaited child is Z", "state %c", s);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "reap it");
    struct stat st;
    CHECK(stat(path, &st) == -1 && errno == ENOENT, "a reaped child's directory is gone");
}

int main(int argc, char **argv)
{
    check_begin("procfs");
    setenv("PROCFS_TEST", "42", 1);
    bool qemu_user = getenv("OPENV_UNDER_QEMU_USER") != NULL;   /* its /proc is the host's */
    if (getenv("PROCFS_REEXEC") == NULL && !qemu_user) {
        /* The environment block is what exec was given: re-exec with the variable set. */
        setenv("PROCFS_REEXEC", "1", 1);
        execv("/proc/self/exe", argv);
        check_skip("re-exec through /proc/self/exe", "execv: %s", strerror(errno));
    }
    test_self(argc, argv);
    test_fds();
    test_fdinfo_files();
    test_fdinfo_events();
    test_fdinfo_access();
    test_threads();
    test_child_states();
    return check_done();
}
