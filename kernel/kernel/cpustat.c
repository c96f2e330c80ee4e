/* System-wide statistics for /proc/stat, /proc/loadavg and sysinfo(): CPU time per state
 * (sampled at the scheduler tick, as Linux does without precise accounting), context
 * switches, forks, and the load average (Linux's exponentially damped average of runnable
 * plus uninterruptible threads, taken every 5 seconds). */
#include "kernel.h"
#include "procinfo.h"
#include "ktimer.h"
#include "asm/cpu.h"

static struct cpustat cpu_times[NR_CPUS];
static bool cpu_seen[NR_CPUS];
static uint64_t context_switches, forks, ticks;
static uint64_t cpu0_ticks;          /* the load average is sampled by CPU 0's tick */

/* Fixed point with 11 fractional bits, and the decay factors exp(-5s/1min), exp(-5s/5min),
 * exp(-5s/15min) in that scale (Linux's FIXED_1, EXP_1, EXP_5, EXP_15). */
#define FSHIFT 11
#define FIXED_1 (1UL << FSHIFT)
static const uint64_t load_exp[3] = { 1884, 2014, 2037 };
static uint64_t load_avg[3];
#define LOAD_INTERVAL_TICKS (5 * HZ)

static uint64_t decay(uint64_t load, uint64_t exp, uint64_t active)
{
    uint64_t v = load * exp + active * (FIXED_1 - exp);
    if (active >= load)
        v += FIXED_1 - 1;      /* round up while rising, as Linux does */
    return v / FIXED_1;
}

static void update_loadavg(void)
{
    struct procinfo_counts c;
    procinfo_counts(&c);
    uint64_t active = (uint64_t)(c.running + c.blocked) * FIXED_1;
    for (int i = 0; i < 3; i++)
        load_avg[i] = decay(load_avg[i], load_exp[i], active);
}

/* The timer interrupt of `cpu` (interrupts off). */
void cpustat_tick(int cpu, enum cpustat_kind kind, uint64_t ns)
{
    if (cpu < 0 || cpu >= NR_CPUS)
        return;
    cpu_seen[cpu] = true;
    cpu_times[cpu].ns[kind] += ns;
    __atomic_add_fetch(&ticks, 1, __ATOMIC_RELAXED);
    if (cpu == 0 && ++cpu0_ticks % LOAD_INTERVAL_TICKS == 0)
        update_loadavg();
}

void cpustat_note_context_switch(void)
{
    __atomic_add_fetch(&context_switches, 1, __ATOMIC_RELAXED);
}

void cpustat_note_fork(void) { __atomic_add_fetch(&forks, 1, __ATOMIC_RELAXED); }
uint64_t cpustat_context_switches(void) { return READ_ONCE(context_switches); }
uint64_t cpustat_forks(void) { return READ_ONCE(forks); }
uint64_t cpustat_ticks(void) { return READ_ONCE(ticks); }

int cpustat_nr_cpus(void)
{
    int n = 1;
    for (int i = 0; i < NR_CPUS; i++)
        if (READ_ONCE(cpu_seen[i]))
            n = i + 1;
    return n;
}

void cpustat_read(int cpu, struct cpustat *out)
{
    for (int k = 0; k < CPUSTAT_NR; k++)
        out->ns[k] = cpu >= 0 && cpu < NR_CPUS ? READ_ONCE(cpu_times[cpu].ns[k]) : 0;
}

void cpustat_loadavg(uint64_t loads[3])
{
    for (int i = 0; i < 3; i++)
        loads[i] = READ_ONCE(load_avg[i]) << (16 - FSHIFT);
}

unsigned long cpustat_hartid(int cpu)
{
    return cpu >= 0 && cpu < NR_CPUS ? cpus[cpu].hartid : 0;
}
