/*
 * fork_cow: fork gives the child a copy-on-write snapshot of every kind of
 * page (data, heap, stack), wait4 reports exit codes and signals, pid/ppid
 * relations hold, and vfork suspends the parent while sharing its memory.
 */
#include "check.h"

#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <stdint.h>
#include <sys/resource.h>
#include <time.h>

#define PAGE 4096
#define MANY_PAGES 256 /* 1 MiB: enough to cross several page-table pages */

static volatile int global_var = 1234;
static char bss_page[PAGE]; /* .bss: first written after fork in the child */

/* Child side of the single-page test: modify global, heap and stack copies
 * and check the child sees its own writes. Exit code encodes the result. */
static int child_modify(volatile int *heap, volatile int *stack)
{
    if (global_var != 1234 || *heap != 5678 || *stack != 91011)
        return 2; /* child must start from the parent's values */
    global_var = 1;
    *heap = 2;
    *stack = 3;
    bss_page[100] = 'c';
    return (global_var == 1 && *heap == 2 && *stack == 3) ? 0 : 3;
}

static void test_single_pages(void)
{
    volatile int *heap = malloc(sizeof *heap);
    volatile int stack_var = 91011;
    *heap = 5678;

    pid_t pid = fork();
    if (pid == 0)
        _exit(child_modify(heap, &stack_var));
    CHECK(pid > 0, "fork returns child pid");
    check_child(pid, "child sees parent values and its own writes");
    CHECK_EQ(global_var, 1234, "parent global unchanged after child write");
    CHECK_EQ(*heap, 5678, "parent heap unchanged after child write");
    CHECK_EQ(stack_var, 91011, "parent stack unchanged after child write");
    CHECK_EQ(bss_page[100], 0, "parent bss unchanged after child write");
    free((void *)heap);
}

static unsigned char pattern(size_t page, int who)
{
    return (unsigned char)(page * 7 + (size_t)who * 31 + 1);
}

/* Parent and child both write many pages after fork; each must keep seeing
 * only its own writes. A pipe orders things so the parent writes while the
 * child is still alive (the interesting case for COW refcounts). */
static void test_many_pages(void)
{
    unsigned char *buf = malloc(MANY_PAGES * PAGE);
    if (!CHECK(buf != NULL, "malloc 1 MiB"))
        return;
    for (size_t i = 0; i < MANY_PAGES; i++)
        memset(buf + i * PAGE, pattern(i, 0), PAGE);

    int p2c[2], c2p[2];
    if (!CHECK(pipe(p2c) == 0 && pipe(c2p) == 0, "pipes"))
        return;
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        int bad = 0;
        for (size_t i = 0; i < MANY_PAGES; i++)
            memset(buf + i * PAGE, pattern(i, 1), PAGE);
        if (write(c2p[1], "w", 1) != 1) /* tell parent: child has written */
            _exit(10);
        if (read(p2c[0], &c, 1) != 1) /* wait: parent has written too */
            _exit(11);
        for (size_t i = 0; i < MANY_PAGES; i++)
            for (size_t j = 0; j < PAGE; j += 511)
                bad |= buf[i * PAGE + j] != pattern(i, 1);
        _exit(bad ? 12 : 0);
    }
    char c;
    CHECK(read(c2p[0], &c, 1) == 1, "child signalled it wrote its pages");
    int bad = 0;
    for (size_t i = 0; i < MANY_PAGES; i++)
        for (size_t j = 0; j < PAGE; j += 511)
            bad |= buf[i * PAGE + j] != pattern(i, 0);
    CHECK(!bad, "parent pages unchanged while child wrote 256 pages");
    for (size_t i = 0; i < MANY_PAGES; i += 2) /* every other page */
        memset(buf + i * PAGE, pattern(i, 2), PAGE);
    CHECK(write(p2c[1], "p", 1) == 1, "resume child");
    check_child(pid, "child sees only its own 256 page writes");
    bad = 0;
    for (size_t i = 0; i < MANY_PAGES; i++)
        bad |= buf[i * PAGE + 17] != pattern(i, (i % 2) ? 0 : 2);
    CHECK(!bad, "parent sees its own writes after child exit");
    close(p2c[0]), close(p2c[1]), close(c2p[0]), close(c2p[1]);
    free(buf);
}

/* fork in a loop: many short-lived children must not leak or corrupt. */
static void test_fork_many(void)
{
    int ok = 1;
    for (int i = 0; i < 50 && ok; i++) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(i & 0x7f);
        int st;
        ok = pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
             WEXITSTATUS(st) == (i & 0x7f);
    }
    CHECK(ok, "50 sequential fork+exit+wait with distinct codes");
}

static void test_pids(void)
{
    pid_t me = getpid();
    int fds[2];
    if (!CHECK(pipe(fds) == 0, "pipe"))
        return;
    pid_t pid = fork();
    if (pid == 0) {
        pid_t ids[2] = {getpid(), getppid()};
        _exit(write(fds[1], ids, sizeof ids) == sizeof ids ? 0 : 1);
    }
    pid_t ids[2] = {0, 0};
    CHECK(read(fds[0], ids, sizeof ids) == sizeof ids, "read child ids");
    check_child(pid, "pid child exit");
    CHECK_EQ(ids[0], pid, "child getpid() == fork() return value");
    CHECK_EQ(ids[1], me, "child getppid() == parent getpid()");
    CHECK(ids[0] != me, "child pid differs from parent pid");
    CHECK_EQ(getpid(), me, "parent pid unchanged by fork");
    close(fds[0]);
    close(fds[1]);
}

static void test_wait_status(void)
{
    int st = 0;
    struct rusage ru;
    pid_t pid = fork();
    if (pid == 0)
        _exit(42);
    pid_t r = wait4(pid, &st, 0, &ru);
    CHECK_EQ(r, pid, "wait4 returns the child pid");
    CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 42, "wait4 exit status 42",
           "%s", check_wstatus(st));

    /* exit() (not _exit) of a child goes through atexit/stdio too. */
    pid = fork();
    if (pid == 0)
        exit(255);
    r = waitpid(pid, &st, 0);
    CHECKF(r == pid && WIFEXITED(st) && WEXITSTATUS(st) == 255,
           "exit(255) status", "%s", check_wstatus(st));

    /* A running child: WNOHANG returns 0, SIGKILL shows as WIFSIGNALED. */
    int fds[2];
    if (pipe(fds) != 0)
        return;
    pid = fork();
    if (pid == 0) {
        char c;
        close(fds[1]);
        (void)!read(fds[0], &c, 1); /* blocks until killed */
        _exit(0);
    }
    close(fds[0]);
    CHECK_EQ(waitpid(pid, &st, WNOHANG), 0, "WNOHANG on running child is 0");
    kill(pid, SIGKILL);
    r = waitpid(pid, &st, 0);
    CHECKF(r == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
           "SIGKILLed child reported WIFSIGNALED", "%s", check_wstatus(st));
    close(fds[1]);

    /* wait(-1) picks up any child; with none left: ECHILD. */
    pid = fork();
    if (pid == 0)
        _exit(7);
    r = waitpid(-1, &st, 0);
    CHECKF(r == pid && WEXITSTATUS(st) == 7, "waitpid(-1) reaps any child",
           "r=%d %s", (int)r, check_wstatus(st));
    CHECK_ERR(waitpid(-1, &st, 0), ECHILD, "waitpid with no children: ECHILD");
    CHECK_ERR(waitpid(1, &st, WNOHANG), ECHILD,
              "waitpid on a non-child: ECHILD");
}

/* A grandchild orphaned by its parent is reparented (getppid changes away
 * from the dead parent). Linux reparents to init or a subreaper. */
static void test_orphan(void)
{
    int fds[2];
    if (pipe(fds) != 0)
        return;
    pid_t mid = fork();
    if (mid == 0) {
        pid_t before = getpid(); /* the grandchild's parent-to-be */
        pid_t gc = fork();
        if (gc == 0) {
            for (int i = 0; i < 200 && getppid() == before; i++) {
                struct timespec ts = {0, 5 * 1000 * 1000};
                nanosleep(&ts, NULL);
            }
            pid_t ids[2] = {before, getppid()};
            (void)!write(fds[1], ids, sizeof ids);
            _exit(0);
        }
        _exit(0); /* orphan the grandchild */
    }
    close(fds[1]);
    check_child(mid, "middle child exits");
    pid_t ids[2] = {0, 0};
    ssize_t n = read(fds[0], ids, sizeof ids);
    CHECKF(n == sizeof ids && ids[0] == mid && ids[1] != mid && ids[1] > 0,
           "orphaned grandchild is reparented", "n=%zd before=%d after=%d mid=%d",
           n, (int)ids[0], (int)ids[1], (int)mid);
    close(fds[0]);
}

/* clone(CLONE_VM | CLONE_VFORK | SIGCHLD) with the child's whole life in assembly: it shares
 * the parent's stack, so it must not touch it (musl 1.2.3 on riscv64 has no vfork of its own:
 * its vfork() is a plain fork). The child stores 1, sleeps 50 ms, stores 2 and exits 9. */
static volatile int vfork_shared;
static const struct timespec vfork_nap = {0, 50 * 1000000L};

__attribute__((noinline)) static long raw_vfork_child_writes(void)
{
    register long a0 __asm__("a0") = CLONE_VM | CLONE_VFORK | SIGCHLD;
    register long a1 __asm__("a1") = 0;
    register long a7 __asm__("a7") = SYS_clone;
    __asm__ volatile(
        "ecall\n"
        "bnez a0, 1f\n"
        "li t0, 1\n"
        "sw t0, 0(%[sh])\n"
        "mv a0, %[nap]\n"
        "li a1, 0\n"
        "li a7, %[nanosleep]\n"
        "ecall\n"
        "li t0, 2\n"
        "sw t0, 0(%[sh])\n"
        "li a0, 9\n"
        "li a7, %[exit]\n"
        "ecall\n"
        "1:\n"
        : "+r"(a0), "+r"(a1)
        : "r"(a7), [sh] "r"(&vfork_shared), [nap] "r"(&vfork_nap),
          [nanosleep] "i"(SYS_nanosleep), [exit] "i"(SYS_exit)
        : "t0", "memory");
    return a0;
}

static void test_vfork(const char *self)
{
    if (under_qemu_user()) {
        check_skip("vfork shares memory and suspends parent",
                   "qemu-user implements vfork as plain fork (no CLONE_VM)");
    } else {
        vfork_shared = 0;
        pid_t pid = (pid_t)raw_vfork_child_writes();
        /* We only get here once the child has _exited. */
        CHECK_EQ(vfork_shared, 2, "vfork child write visible, parent was suspended");
        int st;
        CHECKF(waitpid(pid, &st, 0) == pid && WEXITSTATUS(st) == 9,
               "vfork child exit status", "%s", check_wstatus(st));
    }

    if (under_qemu_user() || !self) {
        check_skip("vfork + execve", "%s",
                   !self ? "argv[0] is not an absolute path"
                         : "qemu-user cannot execve a guest binary");
        return;
    }
    pid_t pid = vfork();
    if (pid == 0) {
        char *const args[] = {(char *)self, "--exit", "33", NULL};
        char *const env[] = {NULL};
        execve(self, args, env);
        _exit(127);
    }
    int st;
    CHECKF(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
               WEXITSTATUS(st) == 33,
           "vfork + execve self, exit code from new image", "%s",
           check_wstatus(st));
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--exit") == 0)
        return atoi(argv[2]); /* exec target for the vfork test */

    check_begin("fork_cow");
    const char *self = (argc > 0 && argv[0][0] == '/') ? argv[0] : NULL;
    test_single_pages();
    test_many_pages();
    test_fork_many();
    test_pids();
    test_wait_status();
    test_orphan();
    test_vfork(self);
    return check_done();
}
