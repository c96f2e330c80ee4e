/*
 * limits: RLIMIT_NPROC (counted per real uid, processes and threads, EAGAIN, root exempt),
 * the limits init starts with, and nice/setpriority/getpriority with Linux's ranges and
 * permission errors (EACCES to lower nice without privilege, EPERM on another user's task).
 *
 * Also a few helper modes for tests/integration/test_limits.py (not run as checks):
 *   limits run-as UID CMD [ARG...]   drop to uid/gid UID (no groups) and exec CMD
 *   limits kill-user UID             as UID, SIGKILL every process of UID until none is left
 *   limits bomb LOGFILE              fork bomb; each process appends "EAGAIN" (or "ERRNO n")
 *                                    to LOGFILE once when its fork fails
 *   limits spin                      burn CPU forever
 *   limits hog                       allocate and touch memory without bound
 *   limits hold MB                   touch MB MiB, print "held", then sleep
 */
#include "check.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#define USER_UID 1000

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static int drop_to(uid_t uid)
{
    if (setgroups(0, NULL) != 0 || setgid(uid) != 0 || setuid(uid) != 0)
        return -1;
    return 0;
}

/* ---- helper modes ---- */

static int mode_run_as(int argc, char **argv)
{
    if (argc < 4 || drop_to((uid_t)atoi(argv[2])) != 0) {
        perror("run-as");
        return 127;
    }
    execvp(argv[3], argv + 3);
    perror("execvp");
    return 127;
}

/* Live (non-zombie) processes owned by uid, other than this one. */
static int count_user_processes(uid_t uid)
{
    DIR *d = opendir("/proc");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        pid_t pid = (pid_t)atoi(e->d_name);
        if (pid <= 0 || pid == getpid())
            continue;
        char path[64], buf[256];
        struct stat st;
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        if (stat(path, &st) != 0 || st.st_uid != uid)
            continue;
        int fd = open(path, O_RDONLY);
        ssize_t len = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
        if (fd >= 0)
            close(fd);
        if (len <= 0)
            continue;
        buf[len] = 0;
        char *rp = strrchr(buf, ')');
        if (rp && rp[1] == ' ' && rp[2] != 'Z' && rp[2] != 'X')
            n++;
    }
    closedir(d);
    return n;
}

static int mode_kill_user(char **argv)
{
    uid_t uid = (uid_t)atoi(argv[2]);
    if (drop_to(uid) != 0) {
        perror("kill-user");
        return 1;
    }
    /* kill(-1) reaches every process we may signal but ourselves. A process forked while
     * the kill runs may escape it: repeat until none of the user's processes is left. (Its
     * result cannot tell: it is 0 while other users' processes exist, as in Linux.) */
    for (int i = 0; i < 1000; i++) {
        kill(-1, SIGKILL);
        if (count_user_processes(uid) == 0)
            return 0;
        sleep_ms(20);
    }
    return 1;
}

static __attribute__((noreturn)) int mode_bomb(char **argv)
{
    int fd = open(argv[2], O_WRONLY | O_CREAT | O_APPEND, 0666);
    bool reported = false;
    for (;;) {
        pid_t p = fork();
        if (p == 0) {
            reported = false;
            continue;
        }
        if (p < 0) {
            if (!reported && fd >= 0) {
                char buf[32];
                int n = errno == EAGAIN ? snprintf(buf, sizeof buf, "EAGAIN\n")
                                        : snprintf(buf, sizeof buf, "ERRNO %d\n", errno);
                if (write(fd, buf, (size_t)n) < 0) { /* nowhere to report it */ }
                reported = true;
            }
            sleep_ms(5);    /* the limit holds; keep trying, as a bomb does */
        }
    }
}

static __attribute__((noreturn)) int mode_spin(void)
{
    volatile unsigned long n = 0;
    for (;;)
        n++;
}

static __attribute__((noreturn)) int mode_hog(void)
{
    const size_t chunk = 1 << 20;
    for (size_t total = 0;; total += chunk) {
        char *p = malloc(chunk);
        if (!p) {             /* no overcommit refusal expected; keep trying */
            sleep_ms(10);
            continue;
        }
        for (size_t i = 0; i < chunk; i += 4096)
            p[i] = (char)(total >> 20);
    }
}

/* Touch mb MiB, say so on stdout, then sleep: a big process that is not the one faulting. */
static int mode_hold(char **argv)
{
    size_t bytes = (size_t)atoi(argv[2]) << 20;
    char *p = malloc(bytes);
    if (!p)
        return 1;
    for (size_t i = 0; i < bytes; i += 4096)
        p[i] = 1;
    if (write(1, "held\n", 5) != 5)
        return 1;
    for (;;)
        pause();
}

/* ---- RLIMIT_NPROC ---- */

static void *thread_idle(void *arg)
{
    (void)arg;
    return NULL;
}

/* In a child that drops to USER_UID with RLIMIT_NPROC = 8: forks until EAGAIN. Exit status:
 * bit 0: fork never failed, 1: failed with another errno, 2: too many forks succeeded,
 * 3: pthread_create not EAGAIN at the limit, 4: fork after reaping failed, 5: setup,
 * 6: a fork succeeded while unreaped zombies held the count at the limit. */
static int nproc_child(void)
{
    struct rlimit rl = { 8, 8 };
    if (drop_to(USER_UID) != 0 || setrlimit(RLIMIT_NPROC, &rl) != 0)
        return 1 << 5;
    int gate[2];
    if (pipe(gate) != 0)
        return 1 << 5;
    int bad = 0, forked = 0, err = 0;
    pid_t kids[32];
    for (int i = 0; i < 32; i++) {
        pid_t p = fork();
        if (p == 0) {
            char c;
            close(gate[1]);
            while (read(gate[0], &c, 1) < 0 && errno == EINTR)
                ;
            _exit(0);
        }
        if (p < 0) {
            err = errno;
            break;
        }
        kids[forked++] = p;
    }
    if (!err)
        bad |= 1;
    else if (err != EAGAIN)
        bad |= 2;
    if (forked > 7)         /* this process counts too: at most 7 more */
        bad |= 4;
    pthread_t th;
    int r = pthread_create(&th, NULL, thread_idle, NULL);
    if (r != EAGAIN) {
        bad |= 8;
        if (r == 0)
            pthread_join(th, NULL);
    }
    /* Children that have exited still count until they are reaped. */
    close(gate[1]);
    siginfo_t si;
    for (int i = 0; i < forked; i++)
        waitid(P_PID, (id_t)kids[i], &si, WEXITED | WNOWAIT);
    pid_t z = fork();
    if (z == 0)
        _exit(0);
    if (forked > 0 && (z >= 0 || errno != EAGAIN))
        bad |= 64;
    if (z > 0)
        waitpid(z, NULL, 0);
    for (int i = 0; i < forked; i++)
        waitpid(kids[i], NULL, 0);
    pid_t p = fork();
    if (p == 0)
        _exit(0);
    if (p < 0)
        bad |= 16;
    else
        waitpid(p, NULL, 0);
    return bad;
}

static void test_nproc(void)
{
    pid_t p = fork();
    if (p == 0)
        _exit(nproc_child());
    int st = 0;
    waitpid(p, &st, 0);
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    CHECKF(code != -1 && !(code & 32), "unprivileged child sets RLIMIT_NPROC 8", "%s",
           check_wstatus(st));
    if (code == -1 || (code & 32))
        return;
    CHECKF(!(code & 1), "fork fails at RLIMIT_NPROC", "never failed");
    CHECKF(!(code & 2), "fork at RLIMIT_NPROC: EAGAIN", "another errno");
    CHECKF(!(code & 4), "fork at RLIMIT_NPROC: the caller counts", "more than 7 forks");
    CHECKF(!(code & 8), "pthread_create at RLIMIT_NPROC: EAGAIN", "threads are not counted");
    CHECKF(!(code & 16), "fork works again once the children are reaped", "still EAGAIN");
    CHECKF(!(code & 64), "zombies count toward RLIMIT_NPROC until reaped", "fork succeeded");

    /* Root is not held to RLIMIT_NPROC. */
    p = fork();
    if (p == 0) {
        struct rlimit rl = { 1, 1 };
        if (setrlimit(RLIMIT_NPROC, &rl) != 0)
            _exit(2);
        pid_t q = fork();
        if (q == 0)
            _exit(0);
        if (q < 0)
            _exit(1);
        waitpid(q, NULL, 0);
        _exit(0);
    }
    if (getuid() == 0)
        check_child(p, "root forks past RLIMIT_NPROC");
    else
        waitpid(p, NULL, 0);

    /* Raising the hard limit needs privilege. */
    p = fork();
    if (p == 0) {
        struct rlimit rl = { 10, 10 };
        if (drop_to(USER_UID) != 0 || setrlimit(RLIMIT_NPROC, &rl) != 0)
            _exit(2);
        rl.rlim_max = 11;
        if (setrlimit(RLIMIT_NPROC, &rl) != -1 || errno != EPERM)
            _exit(1);
        _exit(0);
    }
    if (getuid() == 0)
        check_child(p, "unprivileged raise of the RLIMIT_NPROC hard limit: EPERM");
    else
        waitpid(p, NULL, 0);
}

/* setuid() into a user already over its RLIMIT_NPROC succeeds, and the next execve fails with
 * EAGAIN (Linux's PF_NPROC_EXCEEDED): the limit holds for daemons that drop privileges. */
static void test_nproc_setuid_exec(void)
{
    int ready[2];
    if (!CHECK_OK(pipe(ready), "pipe"))
        return;
    pid_t holder = fork();
    if (holder == 0) {
        close(ready[0]);
        if (drop_to(USER_UID) != 0)
            _exit(2);
        if (write(ready[1], "u", 1) != 1)
            _exit(2);
        for (;;)
            pause();
    }
    close(ready[1]);
    char c;
    CHECK(read(ready[0], &c, 1) == 1, "a process of the user runs");
    close(ready[0]);
    pid_t p = fork();
    if (p == 0) {
        /* The holder is the user's one process: one more than a limit of 0. */
        struct rlimit rl = { 0, 0 };
        if (setrlimit(RLIMIT_NPROC, &rl) != 0)
            _exit(3);
        if (setuid(USER_UID) != 0)
            _exit(4);
        char *argv[] = {"/bin/sh", "-c", "exit 7", NULL};     /* 7: the exec went through */
        execv(argv[0], argv);
        _exit(errno == EAGAIN ? 0 : 5);
    }
    check_child(p, "setuid over RLIMIT_NPROC succeeds; the next execve fails with EAGAIN");
    kill(holder, SIGKILL);
    waitpid(holder, NULL, 0);
}

/* The limits of a process that has not changed them: Linux gives init RLIMIT_NPROC and
 * RLIMIT_SIGPENDING of half the threads memory allows (both limits equal). */
static void test_default_limits(void)
{
    struct rlimit np, sp, nf;
    if (!CHECK_OK(getrlimit(RLIMIT_NPROC, &np), "getrlimit RLIMIT_NPROC") ||
        !CHECK_OK(getrlimit(RLIMIT_SIGPENDING, &sp), "getrlimit RLIMIT_SIGPENDING") ||
        !CHECK_OK(getrlimit(RLIMIT_NOFILE, &nf), "getrlimit RLIMIT_NOFILE"))
        return;
    check_note("RLIMIT_NPROC %llu/%llu, RLIMIT_SIGPENDING %llu/%llu",
               (unsigned long long)np.rlim_cur, (unsigned long long)np.rlim_max,
               (unsigned long long)sp.rlim_cur, (unsigned long long)sp.rlim_max);
    CHECKF(np.rlim_cur == np.rlim_max && np.rlim_cur >= 20 && np.rlim_cur < (1u << 22),
           "default RLIMIT_NPROC: finite, soft == hard", "%llu/%llu",
           (unsigned long long)np.rlim_cur, (unsigned long long)np.rlim_max);
    CHECKF(sp.rlim_cur == np.rlim_cur && sp.rlim_max == np.rlim_max,
           "default RLIMIT_SIGPENDING == RLIMIT_NPROC", "%llu", (unsigned long long)sp.rlim_cur);
    CHECKF(nf.rlim_cur == 1024 && nf.rlim_max == 4096, "default RLIMIT_NOFILE 1024/4096",
           "%llu/%llu", (unsigned long long)nf.rlim_cur, (unsigned long long)nf.rlim_max);
}

/* ---- priorities ---- */

/* musl's getpriority returns the nice value (it undoes the kernel's 20 - nice). */
static void test_priority(void)
{
    CHECK_EQ(getpriority(PRIO_PROCESS, 0), 0, "getpriority: nice 0 to start with");
    CHECK_ERR(getpriority(7, 0), EINVAL, "getpriority bad which: EINVAL");
    CHECK_ERR(setpriority(7, 0, 0), EINVAL, "setpriority bad which: EINVAL");
    CHECK_ERR(getpriority(PRIO_PROCESS, 99999), ESRCH, "getpriority no such pid: ESRCH");
    CHECK_ERR(setpriority(PRIO_PROCESS, 99999, 1), ESRCH, "setpriority no such pid: ESRCH");

    int gate[2];
    if (pipe(gate) != 0)
        return;
    /* A root-owned sibling to try to renice from an unprivileged process. */
    pid_t sib = fork();
    if (sib == 0) {
        char c;
        close(gate[1]);
        while (read(gate[0], &c, 1) < 0 && errno == EINTR)
            ;
        _exit(0);
    }
    pid_t p = fork();
    if (p == 0) {
        int bad = 0;
        close(gate[0]);
        if (setpriority(PRIO_PROCESS, 0, 100) != 0 || getpriority(PRIO_PROCESS, 0) != 19)
            bad |= 1;                           /* clamped to 19 */
        if (setpriority(PRIO_PROCESS, 0, -100) != 0 || getpriority(PRIO_PROCESS, 0) != -20)
            bad |= 2;                           /* root may lower it, clamped to -20 */
        if (setpriority(PRIO_PROCESS, 0, 0) != 0 || drop_to(USER_UID) != 0)
            bad |= 4;
        errno = 0;
        if (nice(5) != 5 || getpriority(PRIO_PROCESS, 0) != 5)
            bad |= 8;                           /* unprivileged may raise it */
        if (setpriority(PRIO_PROCESS, 0, 4) != -1 || errno != EACCES)
            bad |= 16;                          /* ... but not lower it back */
        if (setpriority(PRIO_PROCESS, sib, 10) != -1 || errno != EPERM)
            bad |= 32;                          /* nor touch root's process */
        pid_t k = fork();                       /* nice is inherited */
        if (k == 0)
            _exit(getpriority(PRIO_PROCESS, 0) == 5 ? 0 : 1);
        int st;
        if (k < 0 || waitpid(k, &st, 0) != k || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            bad |= 64;
        /* PRIO_PGRP: every process of the group; getpriority reports the highest priority
         * (lowest nice) among them. */
        setpgid(0, 0);
        k = fork();
        if (k == 0) {
            sleep_ms(3000);
            _exit(0);
        }
        if (setpriority(PRIO_PGRP, 0, 9) != 0 || getpriority(PRIO_PROCESS, k) != 9 ||
            getpriority(PRIO_PROCESS, 0) != 9 || setpriority(PRIO_PROCESS, k, 12) != 0 ||
            getpriority(PRIO_PGRP, 0) != 9)
            bad |= 128;
        kill(k, SIGKILL);
        waitpid(k, NULL, 0);
        _exit(bad);
    }
    close(gate[0]);
    int st = 0;
    waitpid(p, &st, 0);
    close(gate[1]);
    waitpid(sib, NULL, 0);
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    if (code == -1) {
        CHECKF(0, "priority child", "%s", check_wstatus(st));
        return;
    }
    CHECKF(!(code & 1), "setpriority 100 clamps to 19", "code %d", code);
    CHECKF(!(code & 2), "root lowers nice to -20 (clamped)", "code %d", code);
    CHECKF(!(code & 4), "back to 0 and drop to an unprivileged uid", "code %d", code);
    CHECKF(!(code & 8), "unprivileged nice(5) returns 5", "code %d", code);
    CHECKF(!(code & 16), "unprivileged lowering nice: EACCES", "code %d", code);
    CHECKF(!(code & 32), "renicing another user's process: EPERM", "code %d", code);
    CHECKF(!(code & 64), "a child inherits nice", "code %d", code);
    if (under_qemu_user())
        check_skip("PRIO_PGRP", "qemu-user's own threads are in the group");
    else
        CHECKF(!(code & 128), "PRIO_PGRP sets the whole group, reports the lowest nice",
               "code %d", code);
}

static void test_prio_user(void)
{
    /* PRIO_USER in its own child so the earlier bits stay readable. */
    pid_t p = fork();
    if (p == 0) {
        if (drop_to(USER_UID) != 0)
            _exit(2);
        pid_t k = fork();
        if (k == 0) {
            sleep_ms(3000);
            _exit(0);
        }
        int ok = setpriority(PRIO_USER, USER_UID, 15) == 0 &&
                 getpriority(PRIO_PROCESS, k) == 15 && getpriority(PRIO_USER, 0) == 15;
        kill(k, SIGKILL);
        waitpid(k, NULL, 0);
        _exit(ok ? 0 : 1);
    }
    check_child(p, "PRIO_USER renices every process of the real uid");
}

int main(int argc, char **argv)
{
    if (argc >= 4 && !strcmp(argv[1], "run-as"))
        return mode_run_as(argc, argv);
    if (argc >= 3 && !strcmp(argv[1], "kill-user"))
        return mode_kill_user(argv);
    if (argc >= 3 && !strcmp(argv[1], "bomb"))
        return mode_bomb(argv);
    if (argc >= 2 && !strcmp(argv[1], "spin"))
        return mode_spin();
    if (argc >= 3 && !strcmp(argv[1], "hold"))
        return mode_hold(argv);
    if (argc >= 2 && !strcmp(argv[1], "hog"))
        return mode_hog();

    check_begin("limits");
    if (getuid() != 0) {
        check_skip("limits", "needs root to drop to uid %d", USER_UID);
        return check_done();
    }
    if (under_qemu_user()) {
        /* The limits come from the host's session and qemu's own threads count toward
         * RLIMIT_NPROC (and take part in PRIO_PGRP): only a real kernel can be judged. */
        check_skip("default limits, RLIMIT_NPROC", "under qemu-user");
    } else {
        test_default_limits();
        test_nproc();
        test_nproc_setuid_exec();
    }
    test_priority();
    test_prio_user();
    return check_done();
}
