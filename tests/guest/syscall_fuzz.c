/*
 * syscall_fuzz - random system calls with random arguments, as uid 1000, reproducible from a
 * seed. Run as root; each batch of calls runs in a child that drops to uid 1000 in a session
 * of its own (no controlling tty), with its output on /dev/null, in a scratch directory, under
 * small rlimits and a 20 ms SIGALRM that breaks blocking calls. The parent watches it.
 *
 *   syscall_fuzz [self-path]              the short pass of the shared test boot (20 s)
 *   syscall_fuzz --seconds N [--seed S]   a long run (make fuzz-syscalls MINUTES=...)
 *   syscall_fuzz --seed S --batch B       replay one batch
 *
 * A FAIL line names the seed and the batch, which replays it. It fails on:
 *   - a wrong success: the batch gained a uid or gid other than 1000 (escalation), or a
 *     read/write/pread/pwrite moved bytes to or from a kernel address;
 *   - a hang: a batch that SIGKILL does not end within 20 s (a task the kernel cannot kill);
 * a kernel panic or a stalled kernel ends the whole boot, which the host side reports with
 * the last progress line (seed and batch). Excluded, to keep the batch in its box: exit,
 * exit_group, execve, execveat, clone, clone3 (children outliving the batch).
 * The per-batch generator is xorshift64* seeded by (seed, batch), so a batch replays exactly.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <grp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

#include "check.h"

#define USER_UID 1000
#define NR_MAX 460
#define CALLS_PER_BATCH 400
#define BATCH_SECONDS 3         /* then SIGKILL: a call blocking is no bug */
#define KILL_GRACE_SECONDS 20   /* SIGKILL not taking effect by then is */
#define KADDR 0xffffffc000200000UL

enum { EXIT_ESCALATION = 42, EXIT_KERNEL_POINTER = 43 };

/* What the batch was doing, for the report (a shared page the parent reads). */
struct last_call {
    unsigned long index, nr, args[6];
    long ret;
};
static struct last_call *shared;

static uint64_t rng;
static uint64_t next_rand(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1DULL;
}

static bool excluded(unsigned long nr)
{
    switch (nr) {
    case SYS_exit: case SYS_exit_group: case SYS_execve: case SYS_execveat:
    case SYS_clone:
#ifdef SYS_clone3
    case SYS_clone3:
#endif
        return true;
    default:
        return false;
    }
}

static char *scratch;           /* a page of random bytes the calls may point into */
static const char *paths[] = {
    "f0", "f1", "d0", "d0/f2", "/", ".", "..", "/proc/self/status", "/proc/self/mem",
    "/dev/null", "/dev/zero", "/etc/passwd", "/nonexistent", "", "/proc/sys/kernel/dmesg_restrict",
};

static unsigned long random_arg(void)
{
    uint64_t r = next_rand();
    switch (r % 16) {
    case 0: return 0;
    case 1: return (unsigned long)-1;
    case 2: return r >> 60;                                 /* small */
    case 3: return (r >> 32) & 0xfff;                       /* medium */
    case 4: return 3 + (r >> 40) % 8;                       /* an fd the batch opened */
    case 5: return (unsigned long)scratch + ((r >> 20) % 4096);
    case 6: return (unsigned long)scratch;
    case 7: return KADDR + ((r >> 16) & 0xffff);            /* kernel */
    case 8: return 0x10;                                     /* unmapped, low */
    case 9: return (unsigned long)paths[(r >> 24) % (sizeof paths / sizeof paths[0])];
    case 10: return 1UL << ((r >> 32) % 64);
    case 11: return (unsigned long)(int)(r >> 33);          /* sign-extended int */
    case 12: return 4096;
    case 13: return 0x3fffff0000UL;                          /* top of user space */
    default: return r;
    }
}

static void on_alarm(int sig) { (void)sig; }

static bool is_kernel_addr(unsigned long a) { return a >= 0xffffffc000000000UL; }

/* The batch: never returns. */
static void run_batch(uint64_t seed, unsigned long batch, const char *dir)
{
    setsid();                               /* no controlling tty, its own process group */
    int null = open("/dev/null", O_RDWR);
    for (int fd = 0; fd < 3; fd++)
        dup2(null, fd);
    if (null > 2)
        close(null);
    if (chdir(dir) != 0)
        _exit(100);
    struct rlimit as = { 256UL << 20, 256UL << 20 }, fsz = { 1 << 20, 1 << 20 },
                  nproc = { 8, 8 }, nofile = { 64, 64 }, core = { 0, 0 };
    setrlimit(RLIMIT_AS, &as);
    setrlimit(RLIMIT_FSIZE, &fsz);
    setrlimit(RLIMIT_NOFILE, &nofile);
    setrlimit(RLIMIT_CORE, &core);
    if (setgroups(0, NULL) || setresgid(USER_UID, USER_UID, USER_UID) ||
        setresuid(USER_UID, USER_UID, USER_UID))
        _exit(101);
    setrlimit(RLIMIT_NPROC, &nproc);
    signal(SIGXFSZ, SIG_IGN);                 /* RLIMIT_FSIZE: EFBIG instead */
    struct sigaction sa = { .sa_handler = on_alarm };      /* no SA_RESTART: EINTR */
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = { { 0, 20000 }, { 0, 20000 } };
    setitimer(ITIMER_REAL, &it, NULL);

    rng = (seed ^ (batch * 0x9E3779B97F4A7C15ULL)) | 1;
    for (unsigned long i = 0; i < CALLS_PER_BATCH; i++) {
        unsigned long nr;
        do
            nr = next_rand() % NR_MAX;
        while (excluded(nr));
        unsigned long a[6];
        for (int k = 0; k < 6; k++)
            a[k] = random_arg();
        for (int k = 0; k < 64; k++)
            scratch[(next_rand() >> 20) % 4096] = (char)next_rand();
        shared->index = i;
        shared->nr = nr;
        memcpy(shared->args, a, sizeof a);
        long r = syscall((long)nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        shared->ret = r < 0 ? -errno : r;
        /* Wrong successes. */
        if (syscall(SYS_getuid) != USER_UID || syscall(SYS_geteuid) != USER_UID ||
            syscall(SYS_getgid) != USER_UID || syscall(SYS_getegid) != USER_UID) {
            uid_t ru, eu, su;
            /* A setresuid to 1000's own ids is fine; anything else is an escalation. */
            if (getresuid(&ru, &eu, &su) != 0 || ru != USER_UID || eu != USER_UID ||
                su != USER_UID || getgid() != USER_UID || getegid() != USER_UID)
                _exit(EXIT_ESCALATION);
        }
        if ((nr == SYS_read || nr == SYS_write || nr == SYS_pread64 || nr == SYS_pwrite64) &&
            is_kernel_addr(a[1]) && r > 0)
            _exit(EXIT_KERNEL_POINTER);
    }
    _exit(0);
}

static const char *verdict(int code)
{
    return code == EXIT_ESCALATION ? "uid or gid changed: escalation"
         : code == EXIT_KERNEL_POINTER ? "data moved to or from a kernel address"
         : "?";
}

/* 0: fine; -1: failure (reported). */
static int one_batch(uint64_t seed, unsigned long batch, const char *dir)
{
    memset(shared, 0, sizeof *shared);
    pid_t pid = fork();
    if (pid < 0) {
        check_result(0, "fork a batch", "errno %d", errno);
        return -1;
    }
    if (pid == 0)
        run_batch(seed, batch, dir);
    time_t start = time(NULL);
    bool killed = false;
    for (;;) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) {
            if (WIFEXITED(st) && (WEXITSTATUS(st) == EXIT_ESCALATION ||
                                  WEXITSTATUS(st) == EXIT_KERNEL_POINTER)) {
                check_result(0, "wrong success",
                             "%s: seed %llu batch %lu: call %lu syscall %lu(%#lx, %#lx, %#lx, "
                             "%#lx, %#lx, %#lx) = %ld; replay: syscall_fuzz --seed %llu "
                             "--batch %lu", verdict(WEXITSTATUS(st)), (unsigned long long)seed,
                             batch, shared->index, shared->nr, shared->args[0], shared->args[1],
                             shared->args[2], shared->args[3], shared->args[4], shared->args[5],
                             shared->ret, (unsigned long long)seed, batch);
                return -1;
            }
            return 0;
        }
        time_t now = time(NULL);
        if (!killed && now - start >= BATCH_SECONDS) {
            kill(pid, SIGKILL);
            killed = true;
            start = now;
        } else if (killed && now - start >= KILL_GRACE_SECONDS) {
            check_result(0, "no hang",
                         "seed %llu batch %lu: SIGKILL did not end the batch in %d s (call %lu: "
                         "syscall %lu); replay: syscall_fuzz --seed %llu --batch %lu",
                         (unsigned long long)seed, batch, KILL_GRACE_SECONDS, shared->index,
                         shared->nr, (unsigned long long)seed, batch);
            return -1;
        }
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
}

/* Whatever a batch left: uid 1000's processes (kill(-1) as that user) and files. */
static void clean_up(const char *dir)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (setresuid(USER_UID, USER_UID, USER_UID) == 0)
            kill(-1, SIGKILL);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s/* %s/.[!.]* 2>/dev/null", dir, dir);
    if (system(cmd) < 0) { /* the next batch starts from what is left */ }
}

int main(int argc, char **argv)
{
    check_begin("syscall_fuzz");
    uint64_t seed = 0;
    long seconds = 20, only_batch = -1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = strtol(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
            only_batch = strtol(argv[++i], NULL, 0);
    }
    if (geteuid() != 0 || under_qemu_user()) {
        check_skip("all", "needs root on a kernel of its own");
        return check_done();
    }
    if (!seed) {
        int fd = open("/dev/urandom", O_RDONLY);
        if (fd < 0 || read(fd, &seed, sizeof seed) != sizeof seed)
            seed = (uint64_t)time(NULL);
        if (fd >= 0)
            close(fd);
        seed &= 0xffffffffffffULL;
    }
    shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    scratch = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!CHECK(shared != MAP_FAILED && scratch != MAP_FAILED, "mmap"))
        return check_done();
    char dir[64];
    snprintf(dir, sizeof dir, "/tmp/syscall_fuzz.%d", getpid());
    mkdir(dir, 0755);
    if (!CHECK_OK(chown(dir, USER_UID, USER_UID), "scratch directory for uid 1000"))
        return check_done();
    /* The oracle's own case, fixed: a file that never touches the buffer still gets EFAULT
     * for a kernel address (Linux checks access_ok first). */
    int nfd = open("/dev/null", O_RDWR);
    CHECK_ERR(write(nfd, (void *)KADDR, 10), EFAULT, "write to /dev/null from a kernel address");
    CHECK_ERR(pwrite(nfd, (void *)KADDR, 10, 0), EFAULT, "pwrite to /dev/null from a kernel address");
    CHECK_ERR(read(nfd, (void *)KADDR, 10), EFAULT, "read of /dev/null (EOF) into a kernel address");
    close(nfd);
    check_note("seed %llu (replay a batch: syscall_fuzz --seed %llu --batch N)",
               (unsigned long long)seed, (unsigned long long)seed);

    int failed = 0;
    unsigned long batches = 0;
    time_t start = time(NULL), last_note = start;
    if (only_batch >= 0) {
        failed = one_batch(seed, (unsigned long)only_batch, dir) != 0;
        batches = 1;
        clean_up(dir);
    } else {
        for (unsigned long b = 0; time(NULL) - start < seconds; b++) {
            if (one_batch(seed, b, dir) != 0) {
                failed = 1;
                break;
            }
            clean_up(dir);
            batches++;
            if (time(NULL) - last_note >= 10) {
                last_note = time(NULL);
                /* Progress for the host: a stalled kernel stops these lines. */
                check_note("seed %llu batch %lu", (unsigned long long)seed, b);
            }
        }
    }
    clean_up(dir);
    rmdir(dir);
    if (!failed)
        CHECK(1, "no panic, hang or wrong success");
    check_note("seed %llu: %lu batches of %d calls", (unsigned long long)seed, batches,
               CALLS_PER_BATCH);
    return check_done();
}
