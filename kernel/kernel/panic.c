/* panic(): the message, the registers of the trap that caused it (if any), a symbolized
 * frame-pointer backtrace, then every hart stops. */
#include "kernel.h"
#include "smp.h"
#include "kprintf.h"
#include "ksyms.h"
#include "memlayout.h"
#include "asm/csr.h"
#include "asm/trapframe.h"

static volatile int panicking;
struct trapframe *panic_trapframe;

static void __printf(1, 2) pp(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = kvsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0)
        printk_panic_emit(buf, MIN((size_t)n, sizeof buf - 1));
}

static void print_symbol(const char *what, unsigned long addr)
{
    unsigned long off;
    const char *name = ksym_lookup(addr, &off);
    if (name)
        pp("%s %016lx %s+0x%lx\n", what, addr, name, off);
    else
        pp("%s %016lx\n", what, addr);
}

static const char *const reg_names[32] = {
    "pc", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
    "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

static void dump_trapframe(const struct trapframe *tf)
{
    for (int i = 0; i < 32; i += 4)
        pp(" %3s %016lx %3s %016lx %3s %016lx %3s %016lx\n", reg_names[i], tf->regs[i],
           reg_names[i + 1], tf->regs[i + 1], reg_names[i + 2], tf->regs[i + 2],
           reg_names[i + 3], tf->regs[i + 3]);
    pp(" sstatus %016lx stval %016lx scause %016lx\n", tf->status, tf->badaddr, tf->cause);
}

static bool is_kernel_addr(unsigned long a) { return a >= PAGE_OFFSET && (a & 7) == 0; }

/* Walks the frame-pointer chain from fp while it stays inside [lo, hi), calling fn with each
 * return address (panic(), and sysrq's task dump on a sleeping task's stack). */
void backtrace_walk(unsigned long fp, unsigned long lo, unsigned long hi,
                    void (*fn)(unsigned long ra, void *arg), void *arg)
{
    for (int depth = 0; depth < 32 && is_kernel_addr(fp) && fp > lo + 16 && fp <= hi; depth++) {
        unsigned long ra = ((unsigned long *)fp)[-1];
        unsigned long next = ((unsigned long *)fp)[-2];
        if (ra < PAGE_OFFSET)
            break;
        fn(ra, arg);
        if (next <= fp)
            break;
        fp = next;
    }
}

static void print_frame(unsigned long ra, void *arg)
{
    (void)arg;
    print_symbol("  ", ra);
}

static void backtrace_from(unsigned long fp)
{
    backtrace_walk(fp, 0, ~0UL, print_frame, NULL);
}

__noreturn void panic(const char *fmt, ...)
{
    csr_clear(sstatus, SR_SIE);
    if (__atomic_exchange_n(&panicking, 1, __ATOMIC_SEQ_CST))
        for (;;)
            wait_for_interrupt();
    smp_stop_others();
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = kvsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    pp("\nKernel panic: ");
    if (n > 0)
        printk_panic_emit(buf, MIN((size_t)n, sizeof buf - 1));
    pp("\n");
    struct trapframe *tf = panic_trapframe;
    if (tf) {
        dump_trapframe(tf);
        print_symbol("  pc", tf->regs[0]);
        print_symbol("  ra", tf->regs[1]);
        pp("Backtrace of the trapped code:\n");
        backtrace_from(tf->regs[8]);
    }
    pp("Backtrace:\n");
    backtrace_from((unsigned long)__builtin_frame_address(0));
    pp("---[ end Kernel panic ]---\n");
    for (;;)
        wait_for_interrupt();
}
