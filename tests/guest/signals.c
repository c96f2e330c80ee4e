/*
 * signals: delivery, siginfo, full register save/restore across a handler,
 * masks, SA_* flags, sigaltstack, pending/queued signals, sigsuspend,
 * sigtimedwait, SIGCHLD, SIGPIPE, job-control stops and ucontext editing.
 *
 * The register tests are in assembly: only asm can load every register with
 * a known value, trap into the kernel, let a handler trash everything, and
 * dump the registers after sigreturn before C code touches them.
 */
#include "check.h"

#include <sys/utsname.h>

#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <ucontext.h>

/* ------------------------------------------------------------------ */
/* Assembly helpers                                                     */
/* ------------------------------------------------------------------ */

/* Dump layout used by the asm below (unsigned long out[65]):
 *   out[i]      integer register xi (out[0] and out[2]=sp are not dumped)
 *   out[32+i]   raw bits of fi
 *   out[64]     fcsr                                                       */
#define OUT_FP 32
#define OUT_FCSR 64
#define OUT_WORDS 65

#define INT_PATTERN(i) (0x5eed000000000000UL + (unsigned long)(i) * 0x10001UL)
#define FP_PATTERN(i) (0x7ff1000000000000UL + (unsigned long)(i) * 0x1000003UL)
#define FCSR_PATTERN 0x35UL /* frm=1 (RTZ), fflags=0x15 */

volatile int regs_handler_count; /* incremented by regs_clobber_handler */

/* The asm-based tests are riscv64-only; the rest of the file also builds
 * natively so its expectations can be checked against a real Linux. */
#if defined(__riscv)
__asm__(
    ".text\n"
    /* No linker relaxation: "lla" must not become gp-relative, because gp
     * holds a test pattern while this code runs. */
    ".option push\n"
    ".option norelax\n"
    /* Save ra/gp/tp/s0-s11/fs0-fs11/fcsr and the out pointer (a0). */
    ".macro REGS_PROLOGUE\n"
    "  addi sp, sp, -256\n"
    "  sd ra, 0(sp)\n  sd gp, 8(sp)\n  sd tp, 16(sp)\n"
    "  .irp i,0,1,2,3,4,5,6,7,8,9,10,11\n"
    "    sd s\\i, 24+\\i*8(sp)\n"
    "    fsd fs\\i, 128+\\i*8(sp)\n"
    "  .endr\n"
    "  sd a0, 120(sp)\n"
    "  frcsr t0\n  sd t0, 224(sp)\n"
    ".endm\n"
    /* Distinctive FP values and fcsr. */
    ".macro REGS_LOAD_FP\n"
    "  .irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,"
    "24,25,26,27,28,29,30,31\n"
    "    li t0, 0x7ff1000000000000 + \\i * 0x1000003\n"
    "    fmv.d.x f\\i, t0\n"
    "  .endr\n"
    "  li t0, 0x35\n  fscsr t0\n"
    ".endm\n"
    /* Dump everything into out (pointer saved at 120(sp)); t0 via 232(sp). */
    ".macro REGS_DUMP\n"
    "  sd t0, 232(sp)\n"
    "  ld t0, 120(sp)\n"
    "  .irp i,1,3,4,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,"
    "26,27,28,29,30,31\n"
    "    sd x\\i, \\i*8(t0)\n"
    "  .endr\n"
    "  ld t1, 232(sp)\n  sd t1, 5*8(t0)\n"
    "  .irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,"
    "24,25,26,27,28,29,30,31\n"
    "    fsd f\\i, 256+\\i*8(t0)\n"
    "  .endr\n"
    "  frcsr t1\n  sd t1, 512(t0)\n"
    ".endm\n"
    ".macro REGS_EPILOGUE\n"
    "  ld ra, 0(sp)\n  ld gp, 8(sp)\n  ld tp, 16(sp)\n"
    "  .irp i,0,1,2,3,4,5,6,7,8,9,10,11\n"
    "    ld s\\i, 24+\\i*8(sp)\n"
    "    fld fs\\i, 128+\\i*8(sp)\n"
    "  .endr\n"
    "  ld t0, 224(sp)\n  fscsr t0\n"
    "  addi sp, sp, 256\n"
    "  ret\n"
    ".endm\n"

    /* void regs_sync_test(unsigned long *out, long tgid, long tid, long sig)
     * Loads patterns into every register but sp, then tgkill()s itself with
     * an ecall so the signal is delivered on the way back from the syscall.
     * Syscall args a0-a2/a7 keep their argument values (a0 = result 0). */
    ".globl regs_sync_test\n"
    ".type regs_sync_test, @function\n"
    "regs_sync_test:\n"
    "  REGS_PROLOGUE\n"
    "  REGS_LOAD_FP\n"
    "  mv a0, a1\n  mv a1, a2\n  mv a2, a3\n  li a7, 131\n"
    "  .irp i,1,3,4,5,6,7,8,9,13,14,15,16,18,19,20,21,22,23,24,25,26,27,28,"
    "29,30,31\n"
    "    li x\\i, 0x5eed000000000000 + \\i * 0x10001\n"
    "  .endr\n"
    "  ecall\n"
    "  REGS_DUMP\n"
    "  REGS_EPILOGUE\n"

    /* void regs_async_test(unsigned long *out, long target)
     * Same patterns, then spins (no syscalls) until regs_handler_count reaches
     * target (a7) or a bound (t4) runs out; a timer signal interrupts the
     * spin asynchronously. t5 = last count read, t6 = &regs_handler_count. */
    ".globl regs_async_test\n"
    ".type regs_async_test, @function\n"
    "regs_async_test:\n"
    "  REGS_PROLOGUE\n"
    "  REGS_LOAD_FP\n"
    "  mv a7, a1\n"
    "  .irp i,1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,18,19,20,21,22,23,24,25,26,"
    "27,28\n"
    "    li x\\i, 0x5eed000000000000 + \\i * 0x10001\n"
    "  .endr\n"
    "  li t4, 0x40000000\n"
    "  lla t6, regs_handler_count\n"
    "1:\n"
    "  lw t5, 0(t6)\n"
    "  addi t4, t4, -1\n"
    "  beqz t4, 2f\n"
    "  blt t5, a7, 1b\n"
    "2:\n"
    "  REGS_DUMP\n"
    "  REGS_EPILOGUE\n"

    /* Handler that destroys every register except sp and ra (it must still
     * return to the sigreturn trampoline), including gp, tp, FP and fcsr. */
    ".globl regs_clobber_handler\n"
    ".type regs_clobber_handler, @function\n"
    "regs_clobber_handler:\n"
    "  lla t0, regs_handler_count\n"
    "  lw t1, 0(t0)\n  addi t1, t1, 1\n  sw t1, 0(t0)\n"
    "  .irp i,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,"
    "26,27,28,29,30,31\n"
    "    li x\\i, -1\n"
    "  .endr\n"
    "  .irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,"
    "24,25,26,27,28,29,30,31\n"
    "    fmv.d.x f\\i, zero\n"
    "  .endr\n"
    "  fscsr zero\n"
    "  ret\n"

    /* long regs_uc_test(long tgid, long tid, long sig): s2 = 111, tgkill;
     * the handler sets s2 = 222 in the ucontext and moves pc past the
     * "li s2, 999". Returns s2. */
    ".globl regs_uc_test\n"
    ".type regs_uc_test, @function\n"
    "regs_uc_test:\n"
    "  addi sp, sp, -16\n  sd s2, 0(sp)\n"
    "  li s2, 111\n  li a7, 131\n"
    "  ecall\n"
    ".globl regs_uc_after_ecall\n"
    "regs_uc_after_ecall:\n"
    "  li s2, 999\n"
    ".globl regs_uc_resume\n"
    "regs_uc_resume:\n"
    "  mv a0, s2\n  ld s2, 0(sp)\n  addi sp, sp, 16\n"
    "  ret\n"

    /* void regs_ill_test(void): executes an illegal instruction; the SIGILL
     * handler moves pc to regs_ill_resume. */
    ".globl regs_ill_test\n"
    ".type regs_ill_test, @function\n"
    "regs_ill_test:\n"
    ".globl regs_ill_insn\n"
    "regs_ill_insn:\n"
    "  .4byte 0\n"
    ".globl regs_ill_resume\n"
    "regs_ill_resume:\n"
    "  ret\n"
    ".option pop\n");

void regs_sync_test(unsigned long *out, long tgid, long tid, long sig);
void regs_async_test(unsigned long *out, long target);
void regs_clobber_handler(int sig);
long regs_uc_test(long tgid, long tid, long sig);
void regs_ill_test(void);
extern char regs_uc_after_ecall[], regs_uc_resume[];
extern char regs_ill_insn[], regs_ill_resume[];
#endif

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */
/* ------------------------------------------------------------------ */

static volatile sig_atomic_t hcount; /* generic handler counter */
static siginfo_t last_info;

static long my_tid(void) { return syscall(SYS_gettid); }

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int install(int sig, void (*fn)(int, siginfo_t *, void *), int flags,
                   const sigset_t *mask)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = flags | SA_SIGINFO;
    if (mask)
        sa.sa_mask = *mask;
    else
        sigemptyset(&sa.sa_mask);
    return sigaction(sig, &sa, NULL);
}

static void set_disposition(int sig, void (*h)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sigaction(sig, &sa, NULL);
}

static void count_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)uc;
    hcount++;
    last_info = *si;
}

static void unblock_all(void)
{
    sigset_t s;
    sigemptyset(&s);
    sigprocmask(SIG_SETMASK, &s, NULL);
}

static sigset_t one_sig(int sig)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    return s;
}

static void arm_timer_ms(long first, long interval)
{
    struct itimerval it = {{interval / 1000, (interval % 1000) * 1000},
                           {first / 1000, (first % 1000) * 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

/* ------------------------------------------------------------------ */
/* Tests                                                                */
/* ------------------------------------------------------------------ */

static void test_siginfo(void)
{
    install(SIGUSR1, count_handler, 0, NULL);
    hcount = 0;
    kill(getpid(), SIGUSR1);
    /* A signal sent to yourself and not blocked is delivered before kill()
     * returns. */
    CHECK_EQ(hcount, 1, "kill(self) delivered before kill returns");
    CHECK_EQ(last_info.si_signo, SIGUSR1, "si_signo");
    CHECK_EQ(last_info.si_code, SI_USER, "kill: si_code SI_USER");
    CHECK_EQ(last_info.si_pid, getpid(), "kill: si_pid is sender");
    CHECK_EQ(last_info.si_uid, getuid(), "kill: si_uid is sender uid");

    syscall(SYS_tgkill, getpid(), my_tid(), SIGUSR1);
    CHECK_EQ(hcount, 2, "tgkill(self) delivered");
    CHECK_EQ(last_info.si_code, SI_TKILL, "tgkill: si_code SI_TKILL");
    CHECK_EQ(last_info.si_pid, getpid(), "tgkill: si_pid");

    union sigval v = {.sival_int = 4242};
    sigqueue(getpid(), SIGUSR1, v);
    CHECK_EQ(last_info.si_code, SI_QUEUE, "sigqueue: si_code SI_QUEUE");
    CHECK_EQ(last_info.si_value.sival_int, 4242, "sigqueue: si_value");

    /* A child sends us a signal: si_pid is the child. */
    sigset_t s = one_sig(SIGUSR1);
    sigprocmask(SIG_BLOCK, &s, NULL);
    pid_t pid = fork();
    if (pid == 0)
        _exit(kill(getppid(), SIGUSR1) == 0 ? 0 : 1);
    check_child(pid, "child kill(parent)");
    hcount = 0;
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    CHECK_EQ(hcount, 1, "signal from child delivered on unblock");
    CHECK_EQ(last_info.si_pid, pid, "signal from child: si_pid == child");

    CHECK_EQ(kill(getpid(), 0), 0, "kill(self, 0) probes existence");
    CHECK_ERR(kill(pid, 0), ESRCH, "kill(reaped pid, 0): ESRCH");
    CHECK_ERR(kill(getpid(), 65), EINVAL, "kill with signal 65: EINVAL");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    CHECK_ERR(sigaction(SIGKILL, &sa, NULL), EINVAL, "sigaction(SIGKILL)");
    CHECK_ERR(sigaction(SIGSTOP, &sa, NULL), EINVAL, "sigaction(SIGSTOP)");
    set_disposition(SIGUSR1, SIG_DFL);
}

#if defined(__riscv)
static const char *int_reg_name(int i)
{
    static const char *names[32] = {
        "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0",
        "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5",
        "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
    return names[i];
}

/* Compare a register dump against expected integer values (x0 and sp are
 * not compared) and the FP patterns. Reports the first few mismatches. */
static void check_dump(const char *what, const unsigned long *out,
                       const unsigned long *expect_int, int check_fp)
{
    char bad[256] = "";
    size_t len = 0;
    int nbad = 0;
    for (int i = 1; i < 32; i++) {
        if (i == 2)
            continue; /* sp */
        if (out[i] != expect_int[i]) {
            if (nbad++ < 4)
                len += (size_t)snprintf(bad + len, sizeof bad - len,
                                        " %s=%#lx(want %#lx)", int_reg_name(i),
                                        out[i], expect_int[i]);
        }
    }
    CHECKF(nbad == 0, what, "%d integer regs wrong:%s", nbad, bad);
    if (!check_fp)
        return;
    nbad = 0;
    len = 0;
    bad[0] = 0;
    for (int i = 0; i < 32; i++)
        if (out[OUT_FP + i] != FP_PATTERN(i) && nbad++ < 4)
            len += (size_t)snprintf(bad + len, sizeof bad - len,
                                    " f%d=%#lx", i, out[OUT_FP + i]);
    CHECKF(nbad == 0, "FP registers f0-f31 restored by sigreturn",
           "%d fp regs wrong:%s", nbad, bad);
    CHECKF(out[OUT_FCSR] == FCSR_PATTERN, "fcsr restored by sigreturn",
           "fcsr=%#lx want %#lx", out[OUT_FCSR], FCSR_PATTERN);
}

static void test_regs_sync(void)
{
    unsigned long out[OUT_WORDS];
    unsigned long want[32];
    memset(out, 0, sizeof out);
    for (int i = 0; i < 32; i++)
        want[i] = INT_PATTERN(i);
    long tgid = getpid(), tid = my_tid();
    want[10] = 0; /* a0: tgkill result */
    want[11] = (unsigned long)tid;
    want[12] = SIGUSR2;
    want[17] = SYS_tgkill;

    set_disposition(SIGUSR2, regs_clobber_handler);
    regs_handler_count = 0;
    regs_sync_test(out, tgid, tid, SIGUSR2);
    set_disposition(SIGUSR2, SIG_DFL);
    CHECK_EQ(regs_handler_count, 1, "clobbering handler ran once");
    check_dump("all integer registers restored after handler (syscall path)",
               out, want, 1);
}

static void test_regs_async(void)
{
    unsigned long out[OUT_WORDS];
    unsigned long want[32];
    memset(out, 0, sizeof out);
    for (int i = 0; i < 32; i++)
        want[i] = INT_PATTERN(i);
    want[17] = 3;                                /* a7: target count */
    want[29] = 0;                                /* t4: spin bound, varies */
    want[30] = 3;                                /* t5: last count */
    want[31] = (unsigned long)&regs_handler_count; /* t6 */

    set_disposition(SIGALRM, regs_clobber_handler);
    regs_handler_count = 0;
    arm_timer_ms(10, 10);
    regs_async_test(out, 3);
    arm_timer_ms(0, 0);
    set_disposition(SIGALRM, SIG_DFL);
    CHECKF(regs_handler_count >= 3, "timer signal interrupts a pure spin loop",
           "handler ran %d times", regs_handler_count);
    out[29] = 0; /* don't compare the spin bound */
    if (out[30] > 3)
        out[30] = 3; /* a fourth tick may land between load and compare */
    check_dump("all registers restored after async signal (interrupt path)",
               out, want, 1);
}

static volatile unsigned long uc_seen_pc;
static void uc_handler(int sig, siginfo_t *si, void *ctx)
{
    (void)sig, (void)si;
    ucontext_t *uc = ctx;
    uc_seen_pc = uc->uc_mcontext.__gregs[REG_PC];
    uc->uc_mcontext.__gregs[18] = 222; /* s2 */
    uc->uc_mcontext.__gregs[REG_PC] = (unsigned long)regs_uc_resume;
}

static volatile unsigned long ill_pc, ill_addr;
static volatile int ill_code;
static void ill_handler(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    ucontext_t *uc = ctx;
    ill_pc = uc->uc_mcontext.__gregs[REG_PC];
    ill_addr = (unsigned long)si->si_addr;
    ill_code = si->si_code;
    uc->uc_mcontext.__gregs[REG_PC] = (unsigned long)regs_ill_resume;
}

static void test_ucontext(void)
{
    install(SIGUSR1, uc_handler, 0, NULL);
    long r = regs_uc_test(getpid(), my_tid(), SIGUSR1);
    CHECKF(uc_seen_pc == (unsigned long)regs_uc_after_ecall,
           "uc pc after syscall is the instruction after ecall",
           "pc=%#lx want %p", uc_seen_pc, (void *)regs_uc_after_ecall);
    CHECKF(r == 222, "register and pc edited in ucontext take effect",
           "s2=%ld (111: edit lost, 999: pc edit lost)", r);
    set_disposition(SIGUSR1, SIG_DFL);

    install(SIGILL, ill_handler, 0, NULL);
    regs_ill_test();
    set_disposition(SIGILL, SIG_DFL);
    CHECKF(ill_pc == (unsigned long)regs_ill_insn,
           "SIGILL: uc pc is the faulting instruction", "pc=%#lx want %p",
           ill_pc, (void *)regs_ill_insn);
    CHECKF(ill_addr == (unsigned long)regs_ill_insn, "SIGILL: si_addr",
           "si_addr=%#lx", ill_addr);
    CHECK_EQ(ill_code, ILL_ILLOPC, "SIGILL: si_code ILL_ILLOPC");
}
#else
static void test_regs_sync(void) { check_skip("register tests", "not riscv"); }
static void test_regs_async(void) {}
static void test_ucontext(void) {}
#endif

static volatile int mask_has_self, mask_has_extra, mask_has_other;
static volatile int uc_mask_had_self, nest_depth, max_depth, nest_calls;
static void mask_handler(int sig, siginfo_t *si, void *ctx)
{
    (void)si;
    ucontext_t *uc = ctx;
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    mask_has_self = sigismember(&cur, sig);
    mask_has_extra = sigismember(&cur, SIGUSR2);
    mask_has_other = sigismember(&cur, SIGTERM);
    uc_mask_had_self = sigismember(&uc->uc_sigmask, sig);
    hcount++;
}

static void nest_handler(int sig, siginfo_t *si, void *ctx)
{
    (void)si, (void)ctx;
    nest_depth++;
    nest_calls++;
    if (nest_depth > max_depth)
        max_depth = nest_depth;
    if (nest_calls == 1)
        raise(sig); /* with SA_NODEFER this nests immediately */
    nest_depth--;
}

static void add_term_handler(int sig, siginfo_t *si, void *ctx)
{
    (void)sig, (void)si;
    sigaddset(&((ucontext_t *)ctx)->uc_sigmask, SIGTERM);
}

/* musl 1.2.3 defines SA_RESTORER on riscv64 and passes rt_sigaction a {handler, flags,
 * restorer, mask} structure; Linux reads {handler, flags, mask}, so there the restorer's address
 * becomes the mask (and SA_NODEFER's mask bits go astray). openv reads musl's layout when
 * SA_RESTORER is set. On another kernel the mask checks are skipped, with this reason. */
#define MUSL_LAYOUT_WHY "Linux reads musl 1.2.3's riscv64 sigaction (with a restorer) as {handler, flags, mask}"

static int sigaction_layout_mismatch(void)
{
    struct utsname u;
    return uname(&u) == 0 && !strstr(u.release, "openv") && !under_qemu_user();
}

static void test_masks(void)
{
    unblock_all();
    sigset_t extra = one_sig(SIGUSR2);
    install(SIGUSR1, mask_handler, 0, &extra);
    hcount = 0;
    raise(SIGUSR1);
    CHECK_EQ(hcount, 1, "mask handler ran");
    CHECK_EQ(mask_has_self, 1, "signal blocked in its own handler");
    if (sigaction_layout_mismatch()) {
        check_skip("sa_mask signals blocked in handler", MUSL_LAYOUT_WHY);
        check_skip("other signals not blocked in handler", MUSL_LAYOUT_WHY);
    } else {
        CHECK_EQ(mask_has_extra, 1, "sa_mask signals blocked in handler");
        CHECK_EQ(mask_has_other, 0, "other signals not blocked in handler");
    }
    CHECK_EQ(uc_mask_had_self, 0, "uc_sigmask holds the pre-signal mask");
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    CHECK(!sigismember(&cur, SIGUSR1) && !sigismember(&cur, SIGUSR2),
          "mask restored after handler returns");

    if (sigaction_layout_mismatch()) {
        check_skip("SA_NODEFER: signal not blocked in handler", MUSL_LAYOUT_WHY);
        check_skip("SA_NODEFER: handler nests on re-raise", MUSL_LAYOUT_WHY);
    } else {
        install(SIGUSR1, mask_handler, SA_NODEFER, NULL);
        raise(SIGUSR1);
        CHECK_EQ(mask_has_self, 0, "SA_NODEFER: signal not blocked in handler");
        install(SIGUSR1, nest_handler, SA_NODEFER, NULL);
        max_depth = nest_depth = nest_calls = 0;
        raise(SIGUSR1);
        CHECK(max_depth == 2 && nest_calls == 2,
              "SA_NODEFER: handler nests on re-raise");
    }
    install(SIGUSR1, nest_handler, 0, NULL);
    max_depth = nest_depth = nest_calls = 0;
    raise(SIGUSR1);
    CHECK(max_depth == 1 && nest_calls == 2,
          "without SA_NODEFER: re-raise delivered after handler returns");

    /* sigreturn installs the (possibly edited) uc_sigmask. */
    install(SIGUSR1, add_term_handler, 0, NULL);
    raise(SIGUSR1);
    sigprocmask(SIG_BLOCK, NULL, &cur);
    CHECK(sigismember(&cur, SIGTERM), "uc_sigmask edit applied by sigreturn");
    unblock_all();

    /* SA_RESETHAND: disposition back to SIG_DFL after first delivery. */
    install(SIGUSR1, count_handler, SA_RESETHAND, NULL);
    hcount = 0;
    raise(SIGUSR1);
    struct sigaction sa;
    sigaction(SIGUSR1, NULL, &sa);
    CHECK(hcount == 1 && sa.sa_handler == SIG_DFL,
          "SA_RESETHAND resets to SIG_DFL after one delivery");
    set_disposition(SIGUSR1, SIG_DFL);
}

static volatile int rt_vals[4], rt_nvals;
static void rt_handler(int sig, siginfo_t *si, void *ctx)
{
    (void)sig, (void)ctx;
    if (rt_nvals < 4)
        rt_vals[rt_nvals] = si->si_value.sival_int;
    rt_nvals++;
}

static void test_pending(void)
{
    unblock_all();
    install(SIGUSR1, count_handler, 0, NULL);
    sigset_t s = one_sig(SIGUSR1), pend;
    sigprocmask(SIG_BLOCK, &s, NULL);
    hcount = 0;
    raise(SIGUSR1);
    raise(SIGUSR1); /* standard signals do not queue */
    CHECK_EQ(hcount, 0, "blocked signal not delivered");
    sigpending(&pend);
    CHECK_EQ(sigismember(&pend, SIGUSR1), 1, "sigpending shows it");
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    CHECK_EQ(hcount, 1, "delivered once on unblock (standard sigs coalesce)");
    sigpending(&pend);
    CHECK_EQ(sigismember(&pend, SIGUSR1), 0, "no longer pending");

    /* Real-time signals queue, in order, with their values. */
    int rt = SIGRTMIN + 2;
    rt_nvals = 0;
    install(rt, rt_handler, 0, NULL);
    s = one_sig(rt);
    sigprocmask(SIG_BLOCK, &s, NULL);
    for (int i = 1; i <= 3; i++)
        sigqueue(getpid(), rt, (union sigval){.sival_int = i * 10});
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    CHECKF(rt_nvals == 3 && rt_vals[0] == 10 && rt_vals[1] == 20 &&
               rt_vals[2] == 30,
           "real-time signals queue in order with values",
           "n=%d vals=%d,%d,%d", rt_nvals, rt_vals[0], rt_vals[1], rt_vals[2]);
    set_disposition(rt, SIG_DFL);

    /* SIGKILL/SIGSTOP cannot be blocked: silently dropped from the mask. */
    sigset_t ks;
    sigemptyset(&ks);
    sigaddset(&ks, SIGKILL);
    sigaddset(&ks, SIGSTOP);
    sigprocmask(SIG_BLOCK, &ks, NULL);
    sigprocmask(SIG_BLOCK, NULL, &pend);
    CHECK(!sigismember(&pend, SIGKILL) && !sigismember(&pend, SIGSTOP),
          "SIGKILL/SIGSTOP cannot be blocked");
    CHECK_ERR(sigprocmask(12345, &ks, NULL), EINVAL, "sigprocmask bad how");

    /* Linux keeps a blocked-but-ignored signal pending, and setting SIG_IGN
     * discards an already pending signal. */
    s = one_sig(SIGUSR2);
    sigprocmask(SIG_BLOCK, &s, NULL);
    set_disposition(SIGUSR2, SIG_IGN);
    raise(SIGUSR2);
    sigpending(&pend);
    CHECK_EQ(sigismember(&pend, SIGUSR2), 1,
             "blocked + ignored signal is still pending (Linux)");
    set_disposition(SIGUSR2, SIG_DFL);
    install(SIGUSR2, count_handler, 0, NULL);
    raise(SIGUSR2);
    set_disposition(SIGUSR2, SIG_IGN);
    sigpending(&pend);
    CHECK_EQ(sigismember(&pend, SIGUSR2), 0,
             "setting SIG_IGN discards a pending signal");
    unblock_all();
    set_disposition(SIGUSR2, SIG_DFL);
    set_disposition(SIGUSR1, SIG_DFL);
}

static void test_restart(int restart)
{
    int fds[2];
    if (pipe(fds) != 0)
        return;
    install(SIGALRM, count_handler, restart ? SA_RESTART : 0, NULL);
    hcount = 0;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        sleep_ms(400);
        (void)!write(fds[1], "x", 1);
        _exit(0);
    }
    close(fds[1]);
    arm_timer_ms(100, 0);
    char c = 0;
    ssize_t r = read(fds[0], &c, 1);
    int e = errno;
    if (restart)
        CHECKF(r == 1 && c == 'x' && hcount == 1,
               "SA_RESTART: read interrupted by SIGALRM resumes, gets data",
               "r=%zd errno=%d handler=%d", r, e, (int)hcount);
    else
        CHECKF(r == -1 && e == EINTR && hcount == 1,
               "no SA_RESTART: read interrupted by SIGALRM returns EINTR",
               "r=%zd errno=%d handler=%d", r, e, (int)hcount);
    check_child(pid, "restart test writer child");
    close(fds[0]);

    if (restart) {
        /* nanosleep is never restarted after a handler: EINTR + remaining. */
        arm_timer_ms(50, 0);
        struct timespec ts = {1, 0}, rem = {0, 0};
        int nr = nanosleep(&ts, &rem);
        e = errno;
        CHECKF(nr == -1 && e == EINTR && rem.tv_sec == 0 && rem.tv_nsec > 0,
               "nanosleep with SA_RESTART handler: EINTR + remaining time",
               "r=%d errno=%d rem=%ld.%09ld", nr, e, (long)rem.tv_sec,
               rem.tv_nsec);
    }
    set_disposition(SIGALRM, SIG_DFL);
}

static char altstack[65536] __attribute__((aligned(16)));
static volatile uintptr_t alt_local;
static volatile int alt_flags, alt_eperm;
static volatile uintptr_t alt_uc_sp;
static volatile size_t alt_uc_size;
static void alt_handler(int sig, siginfo_t *si, void *ctx)
{
    (void)sig, (void)si;
    volatile int local = 0;
    alt_local = (uintptr_t)&local;
    stack_t cur;
    sigaltstack(NULL, &cur);
    alt_flags = cur.ss_flags;
    stack_t again = {.ss_sp = altstack, .ss_size = sizeof altstack};
    alt_eperm = sigaltstack(&again, NULL) == -1 && errno == EPERM;
    ucontext_t *uc = ctx;
    alt_uc_sp = (uintptr_t)uc->uc_stack.ss_sp;
    alt_uc_size = uc->uc_stack.ss_size;
}

static int on_altstack(uintptr_t p)
{
    return p >= (uintptr_t)altstack && p < (uintptr_t)altstack + sizeof altstack;
}

static void test_altstack(void)
{
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    CHECK_OK(sigaltstack(&ss, NULL), "sigaltstack install");
    install(SIGUSR1, alt_handler, SA_ONSTACK, NULL);
    raise(SIGUSR1);
    CHECKF(on_altstack(alt_local), "SA_ONSTACK handler runs on alt stack",
           "local at %#lx, altstack %p..+%zu", (unsigned long)alt_local,
           (void *)altstack, sizeof altstack);
    CHECK(alt_flags & SS_ONSTACK, "SS_ONSTACK reported inside handler");
    CHECK(alt_eperm, "sigaltstack while on it: EPERM");
    CHECK(alt_uc_sp == (uintptr_t)altstack && alt_uc_size == sizeof altstack,
          "uc_stack describes the alt stack");
    stack_t cur;
    sigaltstack(NULL, &cur);
    CHECKF(cur.ss_flags == 0 && cur.ss_sp == altstack,
           "outside handler: not on alt stack", "flags=%d", cur.ss_flags);

    install(SIGUSR1, alt_handler, 0, NULL);
    raise(SIGUSR1);
    CHECK(!on_altstack(alt_local), "handler without SA_ONSTACK: normal stack");

    ss.ss_size = 1024; /* below MINSIGSTKSZ (2048) */
    CHECK_ERR(sigaltstack(&ss, NULL), ENOMEM, "tiny alt stack: ENOMEM");
    ss.ss_flags = SS_DISABLE;
    CHECK_OK(sigaltstack(&ss, NULL), "sigaltstack disable");
    sigaltstack(NULL, &cur);
    CHECK(cur.ss_flags & SS_DISABLE, "SS_DISABLE reported after disable");
    set_disposition(SIGUSR1, SIG_DFL);
}

static void test_sigsuspend(void)
{
    install(SIGUSR1, count_handler, 0, NULL);
    sigset_t s = one_sig(SIGUSR1), empty, cur;
    sigemptyset(&empty);
    sigprocmask(SIG_BLOCK, &s, NULL);
    hcount = 0;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        sleep_ms(50);
        _exit(kill(parent, SIGUSR1) == 0 ? 0 : 1);
    }
    int r = sigsuspend(&empty);
    int e = errno;
    CHECKF(r == -1 && e == EINTR && hcount == 1,
           "sigsuspend waits for signal, returns EINTR after handler",
           "r=%d errno=%d handler=%d", r, e, (int)hcount);
    sigprocmask(SIG_BLOCK, NULL, &cur);
    CHECK(sigismember(&cur, SIGUSR1), "sigsuspend restores the old mask");
    check_child(pid, "sigsuspend sender child");

    raise(SIGUSR1); /* pending already: sigsuspend returns at once */
    r = sigsuspend(&empty);
    CHECK(r == -1 && hcount == 2, "sigsuspend with pending signal returns");
    unblock_all();
    set_disposition(SIGUSR1, SIG_DFL);
}

static void test_sigtimedwait(void)
{
    install(SIGUSR2, count_handler, 0, NULL);
    sigset_t s = one_sig(SIGUSR2);
    sigprocmask(SIG_BLOCK, &s, NULL);
    hcount = 0;
    syscall(SYS_tgkill, getpid(), my_tid(), SIGUSR2); /* libc-independent */
    siginfo_t si;
    struct timespec ts = {1, 0};
    /* Raw syscall: glibc's wrapper rewrites SI_TKILL to SI_USER. */
    int r = (int)syscall(SYS_rt_sigtimedwait, &s, &si, &ts, 8);
    CHECK_EQ(r, SIGUSR2, "sigtimedwait returns pending signal");
    CHECK_EQ(si.si_code, SI_TKILL, "sigtimedwait info si_code SI_TKILL");
    CHECK_EQ(hcount, 0, "sigtimedwait consumes signal without handler");

    ts = (struct timespec){0, 100 * 1000 * 1000};
    double t0 = now_ms();
    CHECK_ERR(sigtimedwait(&s, &si, &ts), EAGAIN,
              "sigtimedwait timeout: EAGAIN");
    double dt = now_ms() - t0;
    CHECKF(dt >= 90, "sigtimedwait waited for the timeout", "%.1f ms", dt);
    ts = (struct timespec){0, 0};
    CHECK_ERR(sigtimedwait(&s, &si, &ts), EAGAIN, "zero timeout: EAGAIN");

    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        sleep_ms(50);
        _exit(kill(parent, SIGUSR2) == 0 ? 0 : 1);
    }
    ts = (struct timespec){5, 0};
    r = sigtimedwait(&s, &si, &ts);
    CHECKF(r == SIGUSR2 && si.si_pid == pid && si.si_code == SI_USER,
           "sigtimedwait wakes for signal from another process",
           "r=%d si_pid=%d si_code=%d", r, (int)si.si_pid, si.si_code);
    check_child(pid, "sigtimedwait sender child");
    unblock_all();
    set_disposition(SIGUSR2, SIG_DFL);

    /* BusyBox init's main loop: SIGCHLD left at SIG_DFL (ignored by default) but blocked,
     * waited for with sigtimedwait while the child is still running. The wait lifts the
     * block, yet the signal must not be discarded as ignored. */
    set_disposition(SIGCHLD, SIG_DFL);
    s = one_sig(SIGCHLD);
    sigprocmask(SIG_BLOCK, &s, NULL);
    pid = fork();
    if (pid == 0) {
        sleep_ms(100);
        _exit(0);
    }
    ts = (struct timespec){10, 0};
    r = sigtimedwait(&s, &si, &ts);
    CHECKF(r == SIGCHLD && si.si_pid == pid && si.si_code == CLD_EXITED && si.si_status == 0,
           "sigtimedwait wakes for a blocked SIGCHLD whose default is ignore",
           "r=%d si_pid=%d si_code=%d", r, (int)si.si_pid, si.si_code);
    check_child(pid, "SIGCHLD sigtimedwait child");
    unblock_all();
}

static void test_sigchld(void)
{
    install(SIGCHLD, count_handler, 0, NULL);
    sigset_t s = one_sig(SIGCHLD), empty;
    sigemptyset(&empty);
    sigprocmask(SIG_BLOCK, &s, NULL);
    hcount = 0;
    pid_t pid = fork();
    if (pid == 0)
        _exit(5);
    while (hcount == 0)
        sigsuspend(&empty);
    CHECK_EQ(last_info.si_signo, SIGCHLD, "SIGCHLD on child exit");
    CHECK_EQ(last_info.si_code, CLD_EXITED, "SIGCHLD si_code CLD_EXITED");
    CHECK_EQ(last_info.si_pid, pid, "SIGCHLD si_pid");
    CHECK_EQ(last_info.si_status, 5, "SIGCHLD si_status = exit code");
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid, "reap after SIGCHLD");
    unblock_all();

    /* SIGCHLD ignored: children are reaped automatically, wait -> ECHILD. */
    set_disposition(SIGCHLD, SIG_IGN);
    pid = fork();
    if (pid == 0)
        _exit(0);
    CHECK_ERR(waitpid(pid, &st, 0), ECHILD,
              "SIGCHLD=SIG_IGN auto-reaps: waitpid blocks then ECHILD");
    set_disposition(SIGCHLD, SIG_DFL);
}

static void test_sigpipe(void)
{
    int fds[2];
    pid_t pid = fork();
    if (pid == 0) {
        if (pipe(fds) != 0)
            _exit(1);
        close(fds[0]);
        (void)!write(fds[1], "x", 1);
        _exit(2); /* not reached: SIGPIPE kills */
    }
    check_child_signaled(pid, SIGPIPE, "write to readerless pipe: SIGPIPE");

    if (pipe(fds) != 0)
        return;
    close(fds[0]);
    set_disposition(SIGPIPE, SIG_IGN);
    CHECK_ERR(write(fds[1], "x", 1), EPIPE, "SIGPIPE ignored: write EPIPE");
    install(SIGPIPE, count_handler, 0, NULL);
    hcount = 0;
    CHECK_ERR(write(fds[1], "x", 1), EPIPE, "SIGPIPE caught: write EPIPE");
    CHECK_EQ(hcount, 1, "SIGPIPE handler ran");
    close(fds[1]);
    set_disposition(SIGPIPE, SIG_DFL);
}

static void test_default_actions(void)
{
    /* Default SIGTERM kills; SIGCHLD/SIGURG/SIGWINCH default is ignore. */
    pid_t pid = fork();
    if (pid == 0) {
        raise(SIGCHLD);
        raise(SIGURG);
        raise(SIGWINCH);
        raise(SIGTERM);
        _exit(0);
    }
    check_child_signaled(pid, SIGTERM,
                         "SIGCHLD/SIGURG/SIGWINCH ignored, SIGTERM kills");

    /* Job control: SIGSTOP, SIGCONT, reported by waitpid. */
    pid = fork();
    if (pid == 0) {
        alarm(20); /* watchdog: a broken SIGSTOP must not hang the suite */
        for (;;)
            pause();
    }
    int st = 0;
    kill(pid, SIGSTOP);
    CHECKF(waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st) &&
               WSTOPSIG(st) == SIGSTOP,
           "SIGSTOP: waitpid WUNTRACED reports stopped", "status=%#x", st);
    kill(pid, SIGCONT);
    CHECKF(waitpid(pid, &st, WCONTINUED) == pid && WIFCONTINUED(st),
           "SIGCONT: waitpid WCONTINUED reports continued", "status=%#x", st);
    kill(pid, SIGKILL);
    check_child_signaled(pid, SIGKILL, "stopped/continued child killed");

    /* Signal to a process group. */
    pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        alarm(20);
        for (;;)
            pause();
    }
    setpgid(pid, pid); /* both sides, as shells do, to avoid the race */
    CHECK_EQ(getpgid(pid), pid, "child is its own process group leader");
    CHECK_OK(kill(-pid, SIGTERM), "kill(-pgid)");
    check_child_signaled(pid, SIGTERM, "kill(-pgid) reaches the group");
}

int main(void)
{
    check_begin("signals");
    test_siginfo();
    test_regs_sync();
    test_regs_async();
    test_ucontext();
    test_masks();
    test_pending();
    test_restart(1);
    test_restart(0);
    test_altstack();
    test_sigsuspend();
    test_sigtimedwait();
    test_sigchld();
    test_sigpipe();
    test_default_actions();
    return check_done();
}
