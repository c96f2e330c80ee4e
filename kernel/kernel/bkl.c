/* The big kernel lock (smp.h): kernel code running for tasks is serialised across harts, so
 * the kernel's "not preemptible, one hart" reasoning holds while user code runs in parallel.
 * Interrupt handlers never take it (they use spinlocks), so it is waited for with interrupts
 * enabled: device interrupts are routed to the boot hart, and a holder may be waiting for one. */
#include "kernel.h"
#include "task.h"
#include "smp.h"
#include "asm/csr.h"

static volatile uint32_t bkl_word;
/* Harts (bit per CPU) asleep in wfi waiting for the lock. A waiter spins a little first
 * (the holder is usually about to leave), then sleeps: under QEMU each hart is a host thread,
 * often more of them than host cores, and a spinning hart takes the core the holder needs. */
static volatile uint32_t bkl_sleepers;
#define BKL_SPINS 200

static void wake_sleepers(uint32_t sleepers)
{
    for (int c = 0; sleepers; c++, sleepers >>= 1)
        if (sleepers & 1)
            smp_send_ipi(c, IPI_WAKE);
}
volatile bool bkl_enabled;

void bkl_enable(void) { bkl_enabled = true; }
bool bkl_active(void) { return bkl_enabled; }

void bkl_lock_slow(void)
{
    if (!bkl_enabled)
        return;
    struct task_private *p = current->priv;
    if (p->holds_bkl)
        panic("big kernel lock: taken twice by %s (tid %d)", current->comm, current->tid);
    irqflags_t f = local_irq_save();
    uint32_t me = 1u << smp_cpu_id();
    while (__atomic_exchange_n(&bkl_word, 1, __ATOMIC_ACQUIRE)) {
        csr_set(sstatus, SR_SIE);
        for (int i = 0; i < BKL_SPINS && READ_ONCE(bkl_word); i++)
            __asm__ volatile("nop");
        csr_clear(sstatus, SR_SIE);
        if (!READ_ONCE(bkl_word))
            continue;
        /* Sleep until the holder's unlock IPI. Interrupts stay off from the last check to
         * the wfi: an IPI (or a device interrupt) arriving in between stays pending and
         * makes wfi return at once; it is taken right after. */
        __atomic_or_fetch(&bkl_sleepers, me, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&bkl_word, __ATOMIC_SEQ_CST))
            wait_for_interrupt();
        __atomic_and_fetch(&bkl_sleepers, ~me, __ATOMIC_SEQ_CST);
        csr_set(sstatus, SR_SIE);
        csr_clear(sstatus, SR_SIE);
    }
    p->holds_bkl = true;
    local_irq_restore(f);
}

void bkl_unlock_slow(void)
{
    struct task_private *p = current->priv;
    if (!p->holds_bkl)
        return;
    p->holds_bkl = false;
    /* The store and the load are ordered (seq_cst) against the sleeper's bit-then-check, so
     * either we see its bit or it sees the lock free. */
    __atomic_store_n(&bkl_word, 0, __ATOMIC_SEQ_CST);
    uint32_t sleepers = __atomic_load_n(&bkl_sleepers, __ATOMIC_SEQ_CST);
    if (sleepers)
        wake_sleepers(sleepers);
}
