/*
 * procfs: what programs read about themselves through /proc, from the inside: /proc/self,
 * argv and environment, the fd links (and reopening a pipe through one), threads under
 * task/ and /proc/<tid>, ttyname(), and a child's state as its parent sees it.
 */
#include "check.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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
    test_threads();
    test_child_states();
    return check_done();
}
