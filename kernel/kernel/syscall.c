/* System-call dispatch: one table, built from syscalls.def.
 *
 * Handlers are defined with SYSCALL_DEFINEn (include/syscall.h), which gives each a
 * register-width entry point `long sys_NAME(long x6)`. The table refers to the entry point of
 * every implemented call directly (not weakly), so a listed call without a handler is a link
 * error; calls listed SYSCALL_NI, and numbers past the table, return -ENOSYS. */
#include "kernel.h"
#include "task.h"
#include "smp.h"
#include "syscall.h"
#include "asm/csr.h"
#include "asm/entry.h"
#include "asm/trapframe.h"

typedef long (*syscall_fn)(long, long, long, long, long, long);

#define SYSCALL(n, name) [n] = sys_##name,
#define SYSCALL_NI(n, name) [n] = NULL,
static syscall_fn const syscall_table[] = {
#include "syscalls.def"
};
#undef SYSCALL
#undef SYSCALL_NI

#define SYSCALL(n, name) [n] = #name,
#define SYSCALL_NI(n, name) [n] = #name,
static const char *const syscall_names[] = {
#include "syscalls.def"
};
#undef SYSCALL
#undef SYSCALL_NI

/* Getters that read a few fields, touch no user memory and cannot sleep run with interrupts
 * off: under emulation, turning interrupts on and off again (two CSR writes) costs more
 * than the call. Everything else runs with interrupts on, as in Linux. */
#define BIT(nr) (1UL << ((nr) - __NR_getpgid))
static const uint64_t irqs_off_calls =
    BIT(__NR_getpgid) | BIT(__NR_getsid) | BIT(__NR_umask) | BIT(__NR_getpid) |
    BIT(__NR_getppid) | BIT(__NR_getuid) | BIT(__NR_geteuid) | BIT(__NR_getgid) |
    BIT(__NR_getegid) | BIT(__NR_gettid);
_Static_assert(__NR_gettid - __NR_getpgid < 64, "irqs_off_calls spans one word");
#undef BIT

static bool runs_with_irqs_off(unsigned long nr)
{
    return nr - __NR_getpgid < 64 && (irqs_off_calls >> (nr - __NR_getpgid) & 1);
}

#define NR_SYSCALLS ARRAY_SIZE(syscall_table)
static uint64_t enosys_logged[(NR_SYSCALLS + 63) / 64];

static long sys_ni(unsigned long nr)
{
    if (nr < NR_SYSCALLS && syscall_names[nr]) {
        if (!(enosys_logged[nr / 64] & (1UL << (nr % 64)))) {
            enosys_logged[nr / 64] |= 1UL << (nr % 64);
            pr_info("syscall %lu (%s) not implemented", nr, syscall_names[nr]);
        }
    }
    return -ENOSYS;
}

/* An ecall from user mode, straight from trap_entry: the hottest path in the kernel, so it
 * skips the general trap dispatch. */
void syscall_from_user(struct trapframe *tf)
{
    bkl_lock();
    unsigned long nr = tf->regs[17];
    tf->regs[0] += 4;
    tf->orig_a0 = tf->regs[10];
    bool irqs = !runs_with_irqs_off(nr);
    if (irqs)
        csr_set(sstatus, SR_SIE);
    syscall_fn fn = nr < NR_SYSCALLS ? syscall_table[nr] : NULL;
    long r = fn ? fn((long)tf->regs[10], (long)tf->regs[11], (long)tf->regs[12],
                     (long)tf->regs[13], (long)tf->regs[14], (long)tf->regs[15])
                : sys_ni(nr);
    /* rt_sigreturn returns the restored a0, so this store is right for it too. */
    tf->regs[10] = (unsigned long)r;
    if (irqs)
        csr_clear(sstatus, SR_SIE);
    exit_to_user_irqs_off(tf);
}
