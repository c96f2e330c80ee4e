/* The clock: rdtime counts at the FDT's timebase-frequency; the SBI timer interrupts at the
 * next scheduler tick or the earliest kernel timer (ktimer), whichever comes first. Every hart
 * has its own tick (struct cpu's next_tick); kernel timers run on whichever hart sees them
 * due first. */
#include "kernel.h"
#include "time.h"
#include "ktimer.h"
#include "sched.h"
#include "asm/csr.h"
#include "asm/sbi.h"
#include "asm/cpu.h"

uint64_t timebase_hz = 10000000;   /* QEMU virt; replaced by the FDT's value */
static uint64_t boot_ticks;
static uint64_t tick_period;       /* in timebase ticks */

uint64_t ticks_to_ns(uint64_t t)
{
    return t / timebase_hz * NSEC_PER_SEC + t % timebase_hz * NSEC_PER_SEC / timebase_hz;
}

static uint64_t ns_to_ticks(uint64_t ns)
{
    return ns / NSEC_PER_SEC * timebase_hz + ns % NSEC_PER_SEC * timebase_hz / NSEC_PER_SEC;
}

uint64_t ktime_mono_ns(void) { return ticks_to_ns(rdtime() - boot_ticks); }

void timer_early_init(uint64_t hz)
{
    if (hz)
        timebase_hz = hz;
    boot_ticks = rdtime();
}

/* Programs the SBI timer for the earlier of the next tick and the first ktimer. */
void timer_reprogram(void)
{
    uint64_t when = this_cpu()->next_tick;
    uint64_t d = ktimer_next_deadline();
    if (d != UINT64_MAX) {
        uint64_t t = boot_ticks + ns_to_ticks(d);
        if (t < when)
            when = t;
    }
    sbi_set_timer(when);
}

void timer_init(void)
{
    tick_period = timebase_hz / HZ;
    this_cpu()->next_tick = rdtime() + tick_period;
    timer_reprogram();
    csr_set(sie, IE_STIE);
}

/* The supervisor timer interrupt. */
void timer_interrupt(bool from_user)
{
    uint64_t now = rdtime();
    uint64_t *next_tick = &this_cpu()->next_tick;
    if (now >= *next_tick) {
        do
            *next_tick += tick_period;
        while (*next_tick <= now);
        sched_tick(from_user);
    }
    ktimers_run(ticks_to_ns(now - boot_ticks));
    timer_reprogram();
}
