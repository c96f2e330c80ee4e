/* The big kernel lock (smp.h): kernel code running for tasks is serialised across harts, so
 * the kernel's "not preemptible, one hart" reasoning holds while user code runs in parallel.
 * Interrupt handlers never take it (they use spinlocks), so it is waited for with interrupts
 * enabled: device interrupts are routed to the boot hart, and a holder may be waiting for one. */
#include "kernel.h"
#include "task.h"
#include "smp.h"
#include "asm/csr.h"

static volatile uint32_t bkl_word;
volatile bool bkl_enabled;

void bkl_enable(void);
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
    while (__atomic_exchange_n(&bkl_word, 1, __ATOMIC_ACQUIRE)) {
        csr_set(sstatus, SR_SIE);
        while (READ_ONCE(bkl_word))
            __asm__ volatile("nop");
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
    __atomic_store_n(&bkl_word, 0, __ATOMIC_RELEASE);
}
