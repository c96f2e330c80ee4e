/*
 * faults: bad user behaviour must kill (or error out) only the offender.
 * Each crash runs in a child; the parent checks the wait status and keeps
 * going. Bad pointers passed to syscalls must give EFAULT, not a crash.
 */
#include "check.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#define PAGE 4096UL

typedef void (*crash_fn)(void);

/* Hide a constant address from the compiler so it neither warns about nor
 * optimises away a deliberately bad access. */
static void *hide(uintptr_t v)
{
    __asm__("" : "+r"(v));
    return (void *)v;
}

/* Run fn in a child and check it dies from signal sig. */
static void expect_death(crash_fn fn, int sig, const char *what)
{
    pid_t pid = fork();
    if (pid == 0) {
        alarm(20); /* a kernel that loops on the fault must not hang us */
        fn();
        _exit(100); /* survived: wrong */
    }
    check_child_signaled(pid, sig, what);
}

static void null_write(void) { *(volatile int *)hide(0) = 1; }
static void null_read(void) { (void)*(volatile int *)hide(8); }

static void illegal_insn(void)
{
#if defined(__riscv)
    __asm__ volatile(".4byte 0");
#else
    __asm__ volatile("ud2");
#endif
}

static void breakpoint(void)
{
#if defined(__riscv)
    __asm__ volatile("ebreak");
#else
    __asm__ volatile("int3");
#endif
}

static void jump_unmapped(void)
{
    void *p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(p, PAGE);
    ((void (*)(void))p)();
}

static void jump_kernel_half(void)
{
    /* An address in the (Sv39) kernel half of the address space. */
    ((void (*)(void))hide(0xffffffc000001000UL))();
}

static void write_text(void)
{
    *(volatile unsigned char *)(uintptr_t)&write_text = 0;
}

static void write_rodata(void)
{
    static const char ro[] = "read-only string";
    *(volatile char *)(uintptr_t)ro = 'R';
}

static volatile int recursion_sink, recursion_limit = -1;
static int recurse(int n)
{
    volatile char buf[1024];
    if (n == recursion_limit) /* never: keeps the compiler from objecting */
        return 0;
    buf[0] = (char)n;
    buf[sizeof buf - 1] = (char)n;
    recursion_sink += buf[0];
    return recurse(n + 1) + buf[sizeof buf - 1]; /* not a tail call */
}
static void stack_overflow(void) { recursion_sink = recurse(0); }

static void segv_exit_handler(int sig)
{
    (void)sig;
    _exit(42);
}

/* With a SIGSEGV handler but no alternate stack the kernel cannot deliver
 * on overflow and must kill with SIGSEGV anyway. */
static void stack_overflow_handler_no_altstack(void)
{
    signal(SIGSEGV, segv_exit_handler);
    stack_overflow();
}

/* Same, with an alternate stack: the handler runs and exits 42. */
static void stack_overflow_altstack(void)
{
    static char alt[65536];
    stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = segv_exit_handler;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    stack_overflow();
}

#if defined(__riscv)
static void misaligned_amo(void)
{
    /* Crosses a 16-byte boundary, so it traps even on harts with Zama16b
     * (misaligned AMOs inside one 16-byte granule). */
    static uint64_t words[4] __attribute__((aligned(16)));
    int *p = (int *)((char *)words + 14);
    int old;
    __asm__ volatile("amoadd.w %0, %2, (%1)" : "=r"(old) : "r"(p), "r"(1)
                     : "memory");
    (void)old;
}
#endif

static void test_crashes(void)
{
    expect_death(null_write, SIGSEGV, "NULL write: SIGSEGV");
    expect_death(null_read, SIGSEGV, "NULL read: SIGSEGV");
    expect_death(illegal_insn, SIGILL, "illegal instruction: SIGILL");
    expect_death(breakpoint, SIGTRAP, "breakpoint: SIGTRAP");
    expect_death(jump_unmapped, SIGSEGV, "jump to unmapped page: SIGSEGV");
#if defined(__riscv)
    expect_death(jump_kernel_half, SIGSEGV, "jump to kernel address: SIGSEGV");
    expect_death(misaligned_amo, SIGBUS, "misaligned AMO: SIGBUS");
#else
    (void)jump_kernel_half;
#endif
    expect_death(write_text, SIGSEGV, "write to own text: SIGSEGV");
    expect_death(write_rodata, SIGSEGV, "write to .rodata: SIGSEGV");
    expect_death(stack_overflow, SIGSEGV, "stack overflow: SIGSEGV");
    expect_death(stack_overflow_handler_no_altstack, SIGSEGV,
                 "stack overflow with handler but no altstack: SIGSEGV");
    expect_death(abort, SIGABRT, "abort(): SIGABRT");

    pid_t pid = fork();
    if (pid == 0) {
        alarm(20);
        stack_overflow_altstack();
        _exit(100);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 42,
           "stack overflow caught by handler on sigaltstack", "%s",
           check_wstatus(st));

    /* Misaligned plain loads/stores are legal for user code on Linux
     * (hardware or kernel emulation): the value must be right. */
    pid = fork();
    if (pid == 0) {
        alarm(20);
        static uint64_t buf[3];
        volatile uint64_t *m = (volatile uint64_t *)((char *)buf + 3);
        *m = 0x1122334455667788ULL;
        volatile uint32_t *m4 = (volatile uint32_t *)((char *)buf + 17);
        *m4 = 0xdeadbeef;
        _exit(*m == 0x1122334455667788ULL && *m4 == 0xdeadbeef ? 0 : 1);
    }
    check_child(pid, "misaligned 8/4-byte load+store work");
}

/* Bad user pointers handed to the kernel must give EFAULT. Each probe runs
 * in a child so that a kernel delivering SIGSEGV instead (or crashing the
 * process) costs one FAIL, not the rest of the test. */
static char *ro_page;   /* mapped PROT_READ */
static char *unmapped;  /* a hole nothing else will be mapped into */
static char *straddle;  /* last 100 bytes before the hole */

enum efault_case {
    EF_WRITE_WILD, EF_WRITE_UNMAPPED, EF_READ_RO, EF_READ_UNMAPPED,
    EF_OPEN_WILD, EF_OPEN_UNMAPPED, EF_STAT_RO, EF_UNAME, EF_PIPE_RO,
    EF_GETCWD, EF_NANOSLEEP, EF_GETRLIMIT_RO, EF_COUNT
};

static const struct {
    const char *what;
    const char *qemu_broken; /* why qemu-user 7.2 gets it wrong, if it does */
} efault_cases[EF_COUNT] = {
    [EF_WRITE_WILD] = {"write(1, (void *)1, 10): EFAULT", NULL},
    [EF_WRITE_UNMAPPED] = {"write from unmapped page: EFAULT", NULL},
    [EF_READ_RO] = {"read into read-only page: EFAULT", NULL},
    [EF_READ_UNMAPPED] = {"read into unmapped page: EFAULT", NULL},
    [EF_OPEN_WILD] = {"open with wild path pointer: EFAULT", NULL},
    [EF_OPEN_UNMAPPED] = {"open with unmapped path: EFAULT", NULL},
    [EF_STAT_RO] = {"stat into read-only buffer: EFAULT",
                    "qemu-user raises SIGSEGV instead of returning EFAULT"},
    [EF_UNAME] = {"uname into unmapped buffer: EFAULT", NULL},
    [EF_PIPE_RO] = {"pipe into read-only buffer: EFAULT", NULL},
    [EF_GETCWD] = {"getcwd into unmapped buffer: EFAULT", NULL},
    [EF_NANOSLEEP] = {"nanosleep with unmapped timespec: EFAULT",
                      "qemu-user ignores the bad pointer and returns 0"},
    [EF_GETRLIMIT_RO] = {"getrlimit into read-only buffer: EFAULT", NULL},
};

static long efault_run(int c, int pipe_rd)
{
    switch (c) {
    case EF_WRITE_WILD: return write(1, hide(1), 10);
    case EF_WRITE_UNMAPPED: return write(1, unmapped, 10);
    case EF_READ_RO: return read(pipe_rd, ro_page, 10);
    case EF_READ_UNMAPPED: return read(pipe_rd, unmapped, 10);
    case EF_OPEN_WILD: return open(hide(1), O_RDONLY);
    case EF_OPEN_UNMAPPED: return open(unmapped, O_RDONLY);
    /* The raw system call: musl's stat() fills a kernel-layout buffer on its own stack and
     * copies it out in user space, which faults in user mode on Linux too. */
    case EF_STAT_RO: return syscall(SYS_newfstatat, AT_FDCWD, "/", ro_page, 0);
    case EF_UNAME: return uname((struct utsname *)unmapped);
    case EF_PIPE_RO: return pipe((int *)ro_page);
    case EF_GETCWD: return syscall(SYS_getcwd, unmapped, 100);
    case EF_NANOSLEEP: return syscall(SYS_nanosleep, unmapped, NULL);
    case EF_GETRLIMIT_RO:
        return syscall(SYS_getrlimit, RLIMIT_NOFILE, ro_page);
    }
    return 0;
}

static void test_efault(void)
{
    /* Map everything first: a later mmap could land in the hole. */
    ro_page = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *two = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!CHECK(ro_page != MAP_FAILED && two != MAP_FAILED, "mmap probes"))
        return;
    munmap(two + PAGE, PAGE);
    unmapped = two + PAGE;
    straddle = two + PAGE - 100;

    int fds[2];
    if (!CHECK(pipe(fds) == 0, "pipe"))
        return;
    (void)!write(fds[1], "0123456789abcdefghij", 20);
    for (int c = 0; c < EF_COUNT; c++) {
        if (efault_cases[c].qemu_broken && under_qemu_user()) {
            check_skip(efault_cases[c].what, "%s", efault_cases[c].qemu_broken);
            continue;
        }
        int rep[2];
        if (pipe(rep) != 0)
            continue;
        pid_t pid = fork();
        if (pid == 0) {
            alarm(20);
            errno = 0;
            long r = efault_run(c, fds[0]);
            int e = errno;
            long out[2] = {r, e};
            _exit(write(rep[1], out, sizeof out) == sizeof out ? 0 : 1);
        }
        close(rep[1]);
        long out[2] = {0, 0};
        ssize_t n = read(rep[0], out, sizeof out);
        close(rep[0]);
        int st = 0;
        waitpid(pid, &st, 0);
        if (n != sizeof out)
            CHECKF(0, efault_cases[c].what, "child %s", check_wstatus(st));
        else
            CHECKF(out[0] == -1 && out[1] == EFAULT, efault_cases[c].what,
                   "returned %ld errno=%ld (%s)", out[0], out[1],
                   strerror((int)out[1]));
    }
    char buf[20];
    CHECK_EQ(read(fds[0], buf, sizeof buf), 20,
             "pipe data intact after failed reads");
    close(fds[0]);
    close(fds[1]);

    /* A buffer that starts valid and runs into the hole. */
    int zfd = open("/dev/zero", O_RDONLY);
    if (zfd >= 0) {
        errno = 0;
        ssize_t r = read(zfd, straddle, 200);
        /* Linux returns the bytes copied before the fault (100) or EFAULT;
         * either is fine, crashing or claiming 200 is not. */
        CHECKF(r == 100 || (r == -1 && errno == EFAULT),
               "read straddling into unmapped page: short count or EFAULT",
               "r=%zd errno=%d", r, errno);
        close(zfd);
    }
    munmap(two, PAGE);
    munmap(ro_page, PAGE);

    CHECK_ERR(syscall(9999), ENOSYS, "unknown syscall number: ENOSYS");
    CHECK_ERR(syscall(-1L), ENOSYS, "syscall -1: ENOSYS");
}

/* Answers that used to be wrong successes (issue #18's bad-pointer sweep): no data moves,
 * but Linux still says EFAULT. */
static void test_wrong_successes(void)
{
    void *kern = hide(0xffffffc000000000UL);
    int fd = open("/dev/null", O_RDONLY);
    if (CHECK(fd >= 0, "open /dev/null")) {
        CHECK_ERR(read(fd, kern, 16), EFAULT, "read at EOF into a kernel address: EFAULT");
        CHECK_ERR(read(fd, kern, 0), EFAULT, "read of 0 bytes into a kernel address: EFAULT");
        CHECK_EQ(read(fd, hide(0), 0), 0, "read of 0 bytes at address 0: 0");
        CHECK_ERR(pread(fd, kern, 16, 0), EFAULT, "pread at EOF into a kernel address: EFAULT");
        struct iovec iov[2] = {{.iov_base = &fd, .iov_len = 4}, {.iov_base = kern, .iov_len = 0}};
        if (under_qemu_user())
            check_skip("readv with a kernel-address segment: EFAULT",
                       "qemu-user drops empty segments before the kernel sees them");
        else
            CHECK_ERR(readv(fd, iov, 2), EFAULT, "readv with a kernel-address segment: EFAULT");
        close(fd);
    }
    fd = open("/dev/null", O_WRONLY);
    if (CHECK(fd >= 0, "open /dev/null for writing")) {
        CHECK_ERR(write(fd, kern, 16), EFAULT, "write from a kernel address to /dev/null: EFAULT");
        close(fd);
    }

    /* A shared futex needs its page even to wake; a private one never touches memory. */
    uint32_t *none = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (CHECK(none != MAP_FAILED, "mmap PROT_NONE page")) {
        CHECK_ERR(syscall(SYS_futex, none, FUTEX_WAKE, 1, NULL, NULL, 0), EFAULT,
                  "futex_wake on a PROT_NONE page: EFAULT");
        CHECK_EQ(syscall(SYS_futex, none, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 0,
                 "FUTEX_WAKE_PRIVATE on a PROT_NONE page: 0");
        munmap(none, PAGE);
    }
    CHECK_ERR(syscall(SYS_futex, kern, FUTEX_WAKE, 1, NULL, NULL, 0), EFAULT,
              "futex_wake on a kernel address: EFAULT");
}

int main(void)
{
    check_begin("faults");
    /* Crashing children should not litter core files. */
    struct rlimit rl = {0, 0};
    setrlimit(RLIMIT_CORE, &rl);
    test_crashes();
    test_efault();
    test_wrong_successes();
    check_note("parent survived all faults, pid %d", (int)getpid());
    return check_done();
}
