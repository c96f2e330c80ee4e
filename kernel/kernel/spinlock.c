/* Spinlocks and interrupt masking. */
#include "kernel.h"
#include "spinlock.h"
#include "asm/csr.h"
#include "asm/cpu.h"

void spin_init(spinlock_t *l, const char *name)
{
    l->locked = 0;
    l->owner_cpu = -1;
    l->name = name;
}

void spin_lock(spinlock_t *l)
{
    int me = this_cpu()->id;
    if (unlikely(l->locked && l->owner_cpu == me))
        panic("spinlock %s: recursive lock on cpu %d", l->name ? l->name : "?", me);
    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
        while (READ_ONCE(l->locked))
            ;
    l->owner_cpu = me;
}

void spin_unlock(spinlock_t *l)
{
    l->owner_cpu = -1;
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

bool spin_is_locked(spinlock_t *l) { return READ_ONCE(l->locked) != 0; }

irqflags_t local_irq_save(void) { return csr_read_clear(sstatus, SR_SIE) & SR_SIE; }

void local_irq_restore(irqflags_t f)
{
    if (f & SR_SIE)
        csr_set(sstatus, SR_SIE);
}

bool irqs_enabled(void) { return (csr_read(sstatus) & SR_SIE) != 0; }

irqflags_t spin_lock_irqsave(spinlock_t *l)
{
    irqflags_t f = local_irq_save();
    spin_lock(l);
    return f;
}

void spin_unlock_irqrestore(spinlock_t *l, irqflags_t f)
{
    spin_unlock(l);
    local_irq_restore(f);
}
