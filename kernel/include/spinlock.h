/* Spinlocks (safe against other harts) and interrupt masking (safe against this hart's
 * interrupt handlers). Take a lock with spin_lock_irqsave() when an interrupt handler may
 * take it too. Sleeping locks are in mutex.h. */
#pragma once
#include "types.h"

typedef struct spinlock {
    volatile uint32_t locked;
    int owner_cpu;          /* for deadlock diagnostics */
    const char *name;
} spinlock_t;

#define SPINLOCK_INIT(n) { .locked = 0, .owner_cpu = -1, .name = (n) }
void spin_init(spinlock_t *l, const char *name);
void spin_lock(spinlock_t *l);
void spin_unlock(spinlock_t *l);
bool spin_is_locked(spinlock_t *l);

typedef unsigned long irqflags_t;
irqflags_t local_irq_save(void);       /* disable interrupts, return the previous state */
void local_irq_restore(irqflags_t f);
bool irqs_enabled(void);               /* on this hart, now */
irqflags_t spin_lock_irqsave(spinlock_t *l);
void spin_unlock_irqrestore(spinlock_t *l, irqflags_t f);
