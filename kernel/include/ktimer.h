/* One-shot kernel timers on the monotonic clock. The callback runs in interrupt context
 * (interrupts off) and must not sleep; a callback may re-arm its own timer. */
#pragma once
#include "types.h"
#include "list.h"

#define HZ 250   /* scheduler ticks per second */

struct ktimer {
    struct list_head node;
    uint64_t deadline;                 /* CLOCK_MONOTONIC ns */
    void (*fn)(struct ktimer *t);
    bool armed;
};
void ktimer_init(struct ktimer *t, void (*fn)(struct ktimer *));
void ktimer_arm(struct ktimer *t, uint64_t deadline_ns);
void ktimer_cancel(struct ktimer *t);
/* Also waits for the callback if it is running on another hart (SMP): afterwards the timer's
 * owner may be freed. Not with a lock held that the callback takes. */
void ktimer_cancel_sync(struct ktimer *t);
uint64_t ktimer_next_deadline(void);   /* UINT64_MAX if none */
void ktimers_run(uint64_t now_ns);     /* timer interrupt */

/* The timer hardware (arch/riscv/timer.c): rdtime counts timebase_hz ticks a second. */
extern uint64_t timebase_hz;
void timer_early_init(uint64_t hz);    /* boot, before anything reads the clock; 0: keep */
void timer_init(void);                 /* this hart's scheduler tick */
void timer_interrupt(bool from_user);
void timer_reprogram(void);
uint64_t ticks_to_ns(uint64_t ticks);
