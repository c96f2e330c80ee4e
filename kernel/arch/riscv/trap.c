/* Trap dispatch: interrupts, system calls, exceptions from user mode (signals) and from the
 * kernel (uaccess fixups, else panic). */
#include "kernel.h"
#include "task.h"
#include "vm.h"
#include "memlayout.h"
#include "smp.h"
#include "asm/csr.h"
#include "asm/cpu.h"
#include "asm/trapframe.h"
#include "asm/entry.h"
#include "irq.h"
#include "ktimer.h"
#include "ratelimit.h"

static unsigned long search_exception_table(unsigned long epc)
{
    for (const struct exception_entry *e = __ex_table_start; e < __ex_table_end; e++)
        if (e->insn == epc)
            return e->fixup;
    return 0;
}

void trap_init(void)
{
    csr_write(stvec, (unsigned long)trap_entry);
    csr_write(sscratch, 0);
}

static int fault_access(unsigned long cause)
{
    switch (cause) {
    case EXC_STORE_PAGE_FAULT:
    case EXC_STORE_ACCESS:
        return FAULT_WRITE;
    case EXC_INST_PAGE_FAULT:
    case EXC_INST_ACCESS:
        return FAULT_EXEC;
    default:
        return FAULT_READ;
    }
}

static __noreturn void kernel_fault(struct trapframe *tf, const char *what)
{
    panic_trapframe = tf;
    panic("%s in kernel mode at pc %lx, address %lx (scause %lx)", what, tf->regs[0],
          tf->badaddr, tf->cause);
}

static void kernel_exception(struct trapframe *tf)
{
    unsigned long cause = tf->cause;
    if (cause == EXC_LOAD_PAGE_FAULT || cause == EXC_STORE_PAGE_FAULT ||
        cause == EXC_LOAD_ACCESS || cause == EXC_STORE_ACCESS) {
        unsigned long fixup = search_exception_table(tf->regs[0]);
        if (fixup) {
            /* A user copy: resolve the fault as the user's own access would be, else fail
             * the copy. Faults may sleep: let interrupts in as the interrupted code had. */
            if (tf->status & SR_SPIE)
                csr_set(sstatus, SR_SIE);
            int r = tf->badaddr < USER_TOP && current->mm
                        ? handle_mm_fault(current->mm, tf->badaddr, fault_access(cause))
                        : -EFAULT;
            csr_clear(sstatus, SR_SIE);
            if (r != 0)
                tf->regs[0] = fixup;
            return;
        }
    }
    kernel_fault(tf, cause == EXC_ILLEGAL_INST ? "illegal instruction" : "unhandled exception");
}

/* Linux's unhandled_signal(): the fault will kill the task (no handler), or it is init. */
static bool fault_is_fatal(int sig)
{
    struct task *t = current;
    if (t->tgid == 1 || !t->priv->sighand)
        return true;
    void *h = (void *)t->priv->sighand->action[sig - 1].handler;
    return h == (void *)SIG_DFL || h == (void *)SIG_IGN || (t->priv->blocked & sigmask(sig));
}

/* A user fault with its signal. One that kills the task is logged as Linux's
 * show_unhandled_signals does (rate-limited: a crash loop must not flood the console), so
 * a program that dies at once, every time, is seen: a damaged binary on a damaged disk looks
 * exactly like that. */
static void user_fault(struct trapframe *tf, int sig, int code, unsigned long addr)
{
    static struct ratelimit_state rs = RATELIMIT_STATE_INIT;
    if (sig != SIGKILL && fault_is_fatal(sig) && __ratelimit(&rs)) {
        pr_info("%s[%d]: unhandled signal %d code 0x%x at 0x%016lx\n", current->comm,
                current->tgid, sig, code, addr);
        pr_info("epc : %016lx ra : %016lx sp : %016lx\n", tf->regs[0], tf->regs[1],
                tf->regs[2]);
        pr_info("status: %016lx badaddr: %016lx cause: %016lx\n", tf->status, tf->badaddr,
                tf->cause);
    }
    force_sig_fault(sig, code, addr);
}

static void user_exception(struct trapframe *tf)
{
    unsigned long cause = tf->cause, addr = tf->badaddr;
    switch (cause) {
    case EXC_INST_PAGE_FAULT:
    case EXC_LOAD_PAGE_FAULT:
    case EXC_STORE_PAGE_FAULT:
    case EXC_INST_ACCESS:
    case EXC_LOAD_ACCESS:
    case EXC_STORE_ACCESS: {
        int r = handle_mm_fault(current->mm, addr, fault_access(cause));
        if (r == 0)
            return;
        if (r == -ENOMEM) {
            /* The OOM killer (mm/oom.c) chose this task, or had no victim: it has logged. */
            force_sig_fault(SIGKILL, SI_KERNEL, addr);   /* logged by the OOM killer */
        } else if (r == -EIO) {
            user_fault(tf, SIGBUS, BUS_ADRERR, addr);
        } else {
            user_fault(tf, SIGSEGV, r == -EACCES ? SEGV_ACCERR : SEGV_MAPERR, addr);
        }
        return;
    }
    case EXC_ILLEGAL_INST:
        user_fault(tf, SIGILL, ILL_ILLOPC, tf->regs[0]);
        return;
    case EXC_BREAKPOINT:
        user_fault(tf, SIGTRAP, TRAP_BRKPT, tf->regs[0]);
        return;
    case EXC_INST_MISALIGNED:
    case EXC_LOAD_MISALIGNED:
    case EXC_STORE_MISALIGNED:
        user_fault(tf, SIGBUS, BUS_ADRALN, addr);
        return;
    default:
        user_fault(tf, SIGILL, ILL_ILLOPC, tf->regs[0]);
        return;
    }
}

static void interrupt(struct trapframe *tf)
{
    unsigned long irq = tf->cause & ~SCAUSE_INTR;
    if (irq == IRQ_S_TIMER)
        timer_interrupt(tf_from_user(tf));
    else if (irq == IRQ_S_EXT)
        plic_interrupt();
    else if (irq == IRQ_S_SOFT)
        smp_handle_ipi();
}

static bool restart_pending(const struct trapframe *tf)
{
    return tf->cause == EXC_ECALL_U && (long)tf->regs[10] <= -ERESTARTSYS &&
           (long)tf->regs[10] >= -ERESTART_RESTARTBLOCK;
}

static __attribute__((noinline)) void exit_to_user_work(struct trapframe *tf)
{
    for (;;) {
        csr_clear(sstatus, SR_SIE);
        if (this_cpu()->need_resched) {
            schedule();
            continue;
        }
        if (task_has_signal_work(current)) {
            csr_set(sstatus, SR_SIE);
            signal_return_to_user(tf);
            continue;
        }
        /* A call interrupted by a signal that another thread took: restart it. */
        if (restart_pending(tf))
            syscall_restart_fixup(tf);
        return;
    }
}

/* Work before returning to user mode: reschedule, deliver signals, stop. Interrupts are off
 * when this returns, so nothing can slip in before sret. The task holds the big kernel lock
 * (smp.h) on the way in and gives it up here. Usually there is nothing to do: that is
 * checked first, without the loop's frame. */
void exit_to_user_irqs_off(struct trapframe *tf)
{
    if (unlikely(this_cpu()->need_resched || task_has_signal_work(current) || restart_pending(tf)))
        exit_to_user_work(tf);
    bkl_unlock();
}

static void exit_to_user(struct trapframe *tf)
{
    csr_clear(sstatus, SR_SIE);
    exit_to_user_irqs_off(tf);
}

void trap_handler(struct trapframe *tf)
{
    if (tf->cause & SCAUSE_INTR) {
        /* The interrupt is handled first: it stays pending until then, and the lock is
         * waited for with interrupts enabled. */
        interrupt(tf);
        if (tf_from_user(tf)) {
            bkl_lock();
            exit_to_user(tf);
        }
        return;
    }
    if (!tf_from_user(tf)) {
        kernel_exception(tf);
        return;
    }
    /* System calls do not come here: trap_entry sends them to syscall_from_user. */
    bkl_lock();
    csr_set(sstatus, SR_SIE);
    user_exception(tf);
    exit_to_user(tf);
}

/* Returns to user mode from a fresh trapframe (exec of init). */
__noreturn void enter_user(struct trapframe *tf)
{
    exit_to_user(tf);
    __asm__ volatile("mv sp, %0; j ret_from_trap" : : "r"(tf) : "memory");
    __builtin_unreachable();
}
