/*
 * sysinfo: identity and limits. uname, getrandom, rlimits (and that they
 * are enforced), sysinfo(), umask, credentials and dropping root in a
 * child, sessions/process groups, and a few queries libc relies on.
 */
#include "check.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>

static char tmpfile_path[64]; /* /tmp/openv_sysinfo_secret.<pid> */

#if defined(__riscv)
#define EXPECT_MACHINE "riscv64"
#elif defined(__x86_64__)
#define EXPECT_MACHINE "x86_64"
#endif

static void test_uname(void)
{
    struct utsname u;
    if (!CHECK_OK(uname(&u), "uname"))
        return;
    check_note("uname: sysname='%s' nodename='%s' release='%s' version='%s' "
               "machine='%s'", u.sysname, u.nodename, u.release, u.version,
               u.machine);
    CHECK(u.sysname[0] != 0, "uname sysname non-empty");
    CHECK(u.release[0] != 0, "uname release non-empty");
    CHECKF(strcmp(u.machine, EXPECT_MACHINE) == 0, "uname machine",
           "'%s', want '%s'", u.machine, EXPECT_MACHINE);
    char host[256];
    CHECK(gethostname(host, sizeof host) == 0 && !strcmp(host, u.nodename),
          "gethostname matches uname nodename");
}

static void test_getrandom(void)
{
    unsigned char a[32], b[32];
    CHECK_EQ(getrandom(a, sizeof a, 0), sizeof a, "getrandom 32 bytes");
    CHECK_EQ(getrandom(b, sizeof b, GRND_NONBLOCK), sizeof b,
             "getrandom GRND_NONBLOCK");
    int nz = 0;
    for (size_t i = 0; i < sizeof a; i++)
        nz |= a[i];
    CHECK(nz && memcmp(a, b, sizeof a) != 0, "getrandom bytes vary");
    static unsigned char big[1 << 16];
    ssize_t n = getrandom(big, sizeof big, 0);
    CHECKF(n > 0 && n <= (ssize_t)sizeof big, "getrandom 64 KiB request",
           "returned %zd", n);
    CHECK_ERR(getrandom(a, sizeof a, 0x1000), EINVAL,
              "getrandom bad flags: EINVAL");
}

static void test_rlimits(void)
{
    struct rlimit rl, rl2;
    CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl), "getrlimit NOFILE");
    CHECK(rl.rlim_cur <= rl.rlim_max, "soft <= hard");
    check_note("RLIMIT_NOFILE %llu/%llu", (unsigned long long)rl.rlim_cur,
               (unsigned long long)rl.rlim_max);
    CHECK(prlimit(0, RLIMIT_NOFILE, NULL, &rl2) == 0 &&
              rl2.rlim_cur == rl.rlim_cur && rl2.rlim_max == rl.rlim_max,
          "prlimit64(0, get) matches getrlimit");
    struct rlimit st;
    getrlimit(RLIMIT_STACK, &st);
    check_note("RLIMIT_STACK %llu/%llu (Linux default soft: 8388608)",
               (unsigned long long)st.rlim_cur, (unsigned long long)st.rlim_max);

    /* Lower NOFILE in a child and check open() honours it. */
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit lim = {16, rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &lim) != 0)
            _exit(1);
        struct rlimit back;
        if (getrlimit(RLIMIT_NOFILE, &back) != 0 || back.rlim_cur != 16)
            _exit(2);
        int last = -1;
        for (int i = 0; i < 64; i++) {
            int fd = open("/dev/null", O_RDONLY);
            if (fd < 0) {
                _exit(errno == EMFILE && last == 15 ? 0 : 3);
            }
            last = fd;
        }
        _exit(4);
    }
    check_child(pid, "setrlimit NOFILE=16: fds 0..15 then EMFILE");

    struct rlimit bad = {rl.rlim_max + 1, rl.rlim_max};
    if (rl.rlim_max != RLIM_INFINITY)
        CHECK_ERR(setrlimit(RLIMIT_NOFILE, &bad), EINVAL,
                  "setrlimit soft > hard: EINVAL");
    struct rlimit old;
    struct rlimit nw = {rl.rlim_cur, rl.rlim_max};
    CHECK(prlimit(0, RLIMIT_NOFILE, &nw, &old) == 0 &&
              old.rlim_cur == rl.rlim_cur,
          "prlimit64 set returns old value");

    /* RLIMIT_AS makes big mmaps fail. */
    if (under_qemu_user()) {
        check_skip("RLIMIT_AS 256 MiB: 512 MiB mmap fails ENOMEM",
                   "qemu-user accepts but ignores RLIMIT_AS");
        pid = -1;
    } else {
        pid = fork();
    }
    if (pid == 0) {
        struct rlimit as = {256UL << 20, 256UL << 20};
        if (setrlimit(RLIMIT_AS, &as) != 0)
            _exit(1);
        void *p = mmap(NULL, 512UL << 20, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        _exit(p == MAP_FAILED && errno == ENOMEM ? 0 : 2);
    }
    if (pid > 0)
        check_child(pid, "RLIMIT_AS 256 MiB: 512 MiB mmap fails ENOMEM");

    /* RLIMIT_CORE / RLIMIT_CPU round trips (values only). */
    struct rlimit core = {0, 0};
    pid = fork();
    if (pid == 0) {
        if (setrlimit(RLIMIT_CORE, &core) != 0)
            _exit(1);
        getrlimit(RLIMIT_CORE, &core);
        _exit(core.rlim_cur == 0 && core.rlim_max == 0 ? 0 : 2);
    }
    check_child(pid, "RLIMIT_CORE round trip");
}

static void test_sysinfo(void)
{
    struct sysinfo si;
    if (!CHECK_OK(sysinfo(&si), "sysinfo()"))
        return;
    unsigned long long unit = si.mem_unit ? si.mem_unit : 1;
    check_note("sysinfo: uptime=%ld s totalram=%llu MiB freeram=%llu MiB "
               "procs=%u", (long)si.uptime, si.totalram * unit >> 20,
               si.freeram * unit >> 20, si.procs);
    CHECK((long)si.uptime >= 0, "sysinfo uptime >= 0");
    CHECK(si.totalram > 0 && si.mem_unit >= 1, "sysinfo totalram > 0");
    CHECK(si.freeram <= si.totalram, "sysinfo freeram <= totalram");
    CHECK(si.procs >= 1, "sysinfo procs >= 1");

    CHECK_EQ(sysconf(_SC_PAGESIZE), 4096, "sysconf(_SC_PAGESIZE)");
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    CHECKF(ncpu >= 1, "sysconf(_SC_NPROCESSORS_ONLN) >= 1", "%ld", ncpu);
    cpu_set_t set;
    CPU_ZERO(&set);
    CHECK(sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) >= 1,
          "sched_getaffinity has at least one CPU");
    long phys = sysconf(_SC_PHYS_PAGES);
    CHECKF(phys > 0, "sysconf(_SC_PHYS_PAGES) > 0", "%ld", phys);
    struct rusage ru;
    CHECK_OK(getrusage(RUSAGE_SELF, &ru), "getrusage(RUSAGE_SELF)");

    char name[16] = {0};
    CHECK_OK(prctl(PR_SET_NAME, "openv-sysinfo"), "prctl PR_SET_NAME");
    CHECK(prctl(PR_GET_NAME, name) == 0 && !strcmp(name, "openv-sysinfo"),
          "prctl PR_GET_NAME");
}

static void test_umask(void)
{
    mode_t old = umask(027);
    CHECK_EQ(umask(old), 027, "umask round trip");
    CHECK_EQ(umask(old), old, "umask restored");
    CHECK_EQ(umask(0777777) & ~0777, 0, "umask keeps only 0777 bits");
    umask(old);
}

static void test_creds(void)
{
    uid_t r, e, s;
    gid_t gr, ge, gs;
    CHECK(getresuid(&r, &e, &s) == 0 && r == getuid() && e == geteuid(),
          "getresuid consistent with getuid/geteuid");
    CHECK(getresgid(&gr, &ge, &gs) == 0 && gr == getgid() && ge == getegid(),
          "getresgid consistent with getgid/getegid");
    int ng = getgroups(0, NULL);
    CHECKF(ng >= 0, "getgroups count", "%d", ng);

    if (geteuid() != 0) {
        check_skip("setuid drop", "not running as root");
        CHECK_ERR(setuid(0), EPERM, "setuid(0) as non-root: EPERM");
        return;
    }
    /* A root-only file for the dropped child to fail on. */
    int fd = open(tmpfile_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0)
        close(fd);
    chown(tmpfile_path, 0, 0);

    pid_t pid = fork();
    if (pid == 0) {
        int bad = 0;
        if (setgroups(0, NULL) != 0)
            bad |= 1;
        if (setgid(1000) != 0 || getgid() != 1000 || getegid() != 1000)
            bad |= 2;
        if (setuid(1000) != 0 || getuid() != 1000 || geteuid() != 1000)
            bad |= 4;
        uid_t rr, ee, ss;
        getresuid(&rr, &ee, &ss);
        if (ss != 1000)
            bad |= 8; /* setuid as root sets all three */
        errno = 0;
        if (setuid(0) != -1 || errno != EPERM)
            bad |= 16;
        errno = 0;
        if (open(tmpfile_path, O_RDONLY) != -1 || errno != EACCES)
            bad |= 32;
        errno = 0;
        if (kill(1, 0) != -1 || errno != EPERM)
            bad |= 64;
        struct rlimit rl;
        getrlimit(RLIMIT_NOFILE, &rl);
        if (rl.rlim_max != RLIM_INFINITY) {
            struct rlimit up = {rl.rlim_max + 1, rl.rlim_max + 1};
            errno = 0;
            if (setrlimit(RLIMIT_NOFILE, &up) != -1 || errno != EPERM)
                bad |= 128;
        }
        _exit(bad);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0,
           "child drops root: setuid(0) EPERM, 0600 root file EACCES, "
           "kill(1) EPERM, raise hard rlimit EPERM",
           "%s (bit mask of failed steps)", check_wstatus(st));
    unlink(tmpfile_path);

    /* seteuid keeps the saved uid, so root can be regained. */
    pid = fork();
    if (pid == 0) {
        if (seteuid(1000) != 0 || geteuid() != 1000 || getuid() != 0)
            _exit(1);
        if (seteuid(0) != 0 || geteuid() != 0)
            _exit(2);
        _exit(0);
    }
    check_child(pid, "seteuid(1000) then seteuid(0) via saved uid");
}

static void test_session(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        int bad = 0;
        pid_t me = getpid();
        if (setsid() != me)
            bad |= 1;
        if (getsid(0) != me || getpgid(0) != me || getpgrp() != me)
            bad |= 2;
        errno = 0;
        if (setsid() != -1 || errno != EPERM)
            bad |= 4; /* already a process group leader */
        _exit(bad);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0,
           "setsid makes a new session and group; twice is EPERM", "%s",
           check_wstatus(st));
    CHECK_EQ(getsid(0), getsid(getpid()), "getsid(0) == getsid(self)");
    CHECK_ERR(getpgid(999999), ESRCH, "getpgid of missing pid: ESRCH");
}

int main(void)
{
    check_begin("sysinfo");
    snprintf(tmpfile_path, sizeof tmpfile_path, "/tmp/openv_sysinfo_secret.%d",
             (int)getpid());
    test_uname();
    test_getrandom();
    test_rlimits();
    test_sysinfo();
    test_umask();
    test_creds();
    test_session();
    return check_done();
}
