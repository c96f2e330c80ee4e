/* Bringing up the other harts (SBI HSM), IPIs (SBI IPI -> supervisor software interrupt) and
 * remote TLB / instruction-cache fences (SBI RFENCE). See smp.h for the model. */
#include "kernel.h"
#include "task.h"
#include "smp.h"
#include "vm.h"
#include "fdt.h"
#include "kprintf.h"
#include "string.h"
#include "memlayout.h"
#include "asm/cpu.h"
#include "asm/csr.h"
#include "asm/sbi.h"
#include "asm/entry.h"
#include "ktimer.h"

/* Every hart the FDT lists, unless `maxcpus=N` (as Linux's option) or `nosmp` says fewer. */
#define SMP_DEFAULT_MAXCPUS NR_CPUS

static unsigned long online_mask = 1;      /* bit n: cpus[n] runs the scheduler */
static unsigned online_count = 1;

/* The root table a secondary hart enables paging with (smp_head.S). */
unsigned long smp_boot_pgdir[512] __attribute__((aligned(4096)));

unsigned nr_cpus_online(void) { return READ_ONCE(online_count); }
unsigned long cpus_online_mask(void) { return READ_ONCE(online_mask); }
bool cpu_is_online(int cpu) { return cpu >= 0 && cpu < NR_CPUS && (cpus_online_mask() >> cpu & 1); }
int smp_cpu_id(void) { return this_cpu()->id; }

static void idle_loop(struct cpu *cpu) __attribute__((noreturn));
static void idle_loop(struct cpu *cpu)
{
    for (;;) {
        csr_clear(sstatus, SR_SIE);
        if (!cpu->need_resched)
            wait_for_interrupt();
        csr_set(sstatus, SR_SIE);
        schedule();
    }
}

/* First C code of a secondary hart: on its idle task's stack, interrupts off. */
__noreturn void secondary_main(struct cpu *cpu)
{
    mm_activate(NULL);             /* the kernel's root table; drops the identity map */
    trap_init();
    csr_set(sie, IE_SSIE);
    timer_init();
    __atomic_store_n(&cpu->online, true, __ATOMIC_RELEASE);
    idle_loop(cpu);
}

static unsigned parse_maxcpus(void)
{
    if (cmdline_get("nosmp"))
        return 1;
    const char *s = cmdline_get("maxcpus");
    if (!s)
        return SMP_DEFAULT_MAXCPUS;
    unsigned n = 0;
    for (; *s >= '0' && *s <= '9' && n < 1000; s++)
        n = n * 10 + (unsigned)(*s - '0');
    return n ? n : 1;
}

static struct task *idle_task_for(int id)
{
    struct task *t = task_alloc();
    if (!t)
        return NULL;
    struct task_private *p = t->priv;
    ksnprintf(t->comm, sizeof t->comm, "swapper/%d", id);
    t->state = TASK_RUNNING;
    p->is_idle = true;
    p->on_cpu = true;
    p->last_cpu = id;
    return t;
}

void smp_boot_secondaries(const struct fdt_platform *plat)
{
    unsigned max = MIN(parse_maxcpus(), (unsigned)NR_CPUS);
    cpus[0].online = true;
    cpus[0].idle->priv->is_idle = true;
    cpus[0].idle->priv->on_cpu = true;
    if (max <= 1 || plat->hart_count <= 1)
        return;
    if (!sbi_has_smp()) {
        pr_warn("SMP: the SBI lacks HSM, IPI or RFENCE; running on one hart");
        return;
    }
    /* The identity gigapage the secondary entry code runs from while turning paging on. */
    memcpy(smp_boot_pgdir, kernel_pgdir, sizeof smp_boot_pgdir);
    paddr_t entry_pa = va_to_pa((const void *)secondary_entry);
    smp_boot_pgdir[entry_pa >> 30] = ((entry_pa >> 30 << 30) >> 12 << PTE_PPN_SHIFT) | PTE_KERNEL;
    __sync_synchronize();

    bkl_enable();   /* before a second hart can run a task */
    csr_set(sie, IE_SSIE);
    int next_id = 1;
    for (unsigned i = 0; i < plat->hart_count && next_id < NR_CPUS && online_count < max; i++) {
        const struct fdt_hart *h = &plat->harts[i];
        if (!h->enabled || h->hartid == cpus[0].hartid)
            continue;
        if (h->hartid >= 64) {          /* SBI hart masks here are based at 0 */
            pr_warn("SMP: hart %lu not supported", (unsigned long)h->hartid);
            continue;
        }
        int id = next_id;
        struct task *idle = idle_task_for(id);
        if (!idle) {
            pr_err("SMP: no memory for hart %lu", (unsigned long)h->hartid);
            break;
        }
        struct cpu *c = &cpus[id];
        c->id = id;
        c->hartid = h->hartid;
        c->idle = idle;
        c->cur_task = idle;
        c->boot_sp = (unsigned long)task_tf(idle) & ~15UL;
        __sync_synchronize();
        long r = sbi_hart_start(h->hartid, entry_pa, (unsigned long)c);
        if (r) {
            pr_err("SMP: hart %lu did not start (SBI error %ld)", (unsigned long)h->hartid, r);
            task_free(idle);
            continue;
        }
        uint64_t deadline = rdtime() + 2 * timebase_hz;
        while (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE) && rdtime() < deadline)
            ;
        if (!c->online) {
            /* It may still come up later: its slot and idle task stay reserved. */
            pr_err("SMP: hart %lu did not come online", (unsigned long)h->hartid);
            next_id++;
            continue;
        }
        next_id++;
        __atomic_or_fetch(&online_mask, 1UL << id, __ATOMIC_SEQ_CST);
        __atomic_add_fetch(&online_count, 1, __ATOMIC_SEQ_CST);
    }
    pr_info("SMP: %u hart%s online", online_count, online_count == 1 ? "" : "s");
}

/* ---- IPIs ---- */

void smp_send_ipi(int cpu, uint32_t what)
{
    if (!cpu_is_online(cpu))
        return;
    __atomic_or_fetch(&cpus[cpu].ipi_pending, what, __ATOMIC_SEQ_CST);
    sbi_send_ipi(1UL << cpus[cpu].hartid, 0);
}

void smp_handle_ipi(void)
{
    csr_clear(sip, 1UL << IRQ_S_SOFT);
    struct cpu *cpu = this_cpu();
    uint32_t what = __atomic_exchange_n(&cpu->ipi_pending, 0, __ATOMIC_SEQ_CST);
    if (what & IPI_STOP) {
        csr_clear(sstatus, SR_SIE);
        for (;;)
            wait_for_interrupt();
    }
    if (what & IPI_RESCHEDULE)
        cpu->need_resched = true;
}

void smp_stop_others(void)
{
    if (nr_cpus_online() <= 1)
        return;
    int me = smp_cpu_id();
    for (int c = 0; c < NR_CPUS; c++)
        if (c != me && cpu_is_online(c))
            smp_send_ipi(c, IPI_STOP);
}

/* ---- TLB and instruction cache ---- */

/* Harts other than this one with `mm` in satp. The caller's page-table stores are ordered
 * before the read of active_mm, and mm_activate orders its active_mm store before satp, so
 * a hart either appears here or loads satp after the stores (and sees them). */
static unsigned long other_harts_using(struct mm_struct *mm)
{
    if (nr_cpus_online() <= 1 || !mm)
        return 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    unsigned long mask = 0;
    int me = smp_cpu_id();
    for (int c = 0; c < NR_CPUS; c++)
        if (c != me && cpu_is_online(c) && READ_ONCE(cpus[c].active_mm) == mm)
            mask |= 1UL << cpus[c].hartid;
    return mask;
}

void flush_tlb_mm_page(struct mm_struct *mm, unsigned long va)
{
    local_flush_tlb_page(va);
    unsigned long mask = other_harts_using(mm);
    if (mask)
        sbi_remote_sfence_vma(mask, 0, va & ~(PAGE_SIZE - 1), PAGE_SIZE);
}

void flush_tlb_mm(struct mm_struct *mm)
{
    local_flush_tlb_all();
    unsigned long mask = other_harts_using(mm);
    if (mask)
        sbi_remote_sfence_vma(mask, 0, 0, (unsigned long)-1);
}

void flush_icache_mm(struct mm_struct *mm)
{
    local_flush_icache();
    unsigned long mask = other_harts_using(mm);
    if (mask)
        sbi_remote_fence_i(mask, 0);
}
