/* The system-wide files of /proc: memory, CPU time and load, uptime, the kernel's version
 * and command line, CPUs, interrupts, filesystems and mounts. Formats follow Linux 6.1 so
 * BusyBox (free, top, uptime, ps, mount, df) and scripts parse them unchanged. */
#include "proc_internal.h"
#include "procinfo.h"
#include "irq.h"
#include "ksyms.h"
#include "mm.h"
#include "ktimer.h"
#include "blkdev.h"
#include "time.h"
#include "pagemap.h"

static void meminfo_line(struct pseudo_buf *b, const char *name, uint64_t kb)
{
    pb_printf(b, "%-16s%8llu kB\n", name, (unsigned long long)kb);
}

int proc_show_meminfo(struct pseudo_buf *b, const struct proc_ctx *c)
{
    (void)c;
    uint64_t kb_per_page = PAGE_SIZE / 1024;
    uint64_t total = pages_total() * kb_per_page, free = pages_free() * kb_per_page;
    struct procinfo_counts n;
    procinfo_counts(&n);
    /* The block cache is Linux's "Buffers" (clean ones can be dropped: available); the page
     * cache of disk files and tmpfs file data ("Shmem", which cannot be dropped) are
     * "Cached", as in Linux. Clean cached file pages can be dropped: available. No swap. */
    struct bcache_stats bc;
    bcache_get_stats(&bc);
    struct filemap_stats fm;
    filemap_get_stats(&fm);
    uint64_t buffers = bc.bytes / 1024;
    uint64_t dirty = bc.buffers ? bc.dirty * (bc.bytes / bc.buffers) / 1024 : 0;
    uint64_t shmem = tmpfs_pages_used() * kb_per_page;
    uint64_t filecache = fm.cached * kb_per_page, filedirty = fm.dirty * kb_per_page;
    meminfo_line(b, "MemTotal:", total);
    meminfo_line(b, "MemFree:", free);
    meminfo_line(b, "MemAvailable:",
                 free + (buffers - MIN(dirty, buffers)) + (filecache - filedirty));
    meminfo_line(b, "Buffers:", buffers);
    meminfo_line(b, "Cached:", shmem + filecache);
    meminfo_line(b, "SwapCached:", 0);
    meminfo_line(b, "Active:", buffers + shmem + filecache);
    meminfo_line(b, "Inactive:", 0);
    meminfo_line(b, "SwapTotal:", 0);
    meminfo_line(b, "SwapFree:", 0);
    meminfo_line(b, "Dirty:", dirty + filedirty);
    meminfo_line(b, "Writeback:", fm.writeback * kb_per_page);
    meminfo_line(b, "Shmem:", shmem);
    meminfo_line(b, "KernelStack:", (uint64_t)n.threads * 16);
    meminfo_line(b, "CommitLimit:", total);
    meminfo_line(b, "Committed_AS:", total - free);
    return 0;
}

static void cpu_line(struct pseudo_buf *b, const char *name, const struct cpustat *s)
{
    pb_printf(b, "%s %llu %llu %llu %llu 0 0 0 0 0 0\n", name,
              ns_to_clock_t(s->ns[CPUSTAT_USER]), ns_to_clock_t(s->ns[CPUSTAT_NICE]),
              ns_to_clock_t(s->ns[CPUSTAT_SYSTEM]), ns_to_clock_t(s->ns[CPUSTAT_IDLE]));
}

static void count_irq(void *ctx, unsigned irq, uint64_t count, irq_handler_t handler)
{
    (void)irq; (void)handler;
    *(uint64_t *)ctx += count;
}

struct intr_line {
    struct pseudo_buf *b;
    unsigned next;             /* the next irq number to print */
};

static void print_irq_count(void *ctx, unsigned irq, uint64_t count, irq_handler_t handler)
{
    (void)handler;
    struct intr_line *l = ctx;
    for (; l->next < irq; l->next++)
        pb_write(l->b, " 0", 2);
    pb_printf(l->b, " %llu", (unsigned long long)count);
    l->next = irq + 1;
}

static uint64_t boot_time_sec(void)
{
    struct kernel_timespec now;
    ktime_real(&now);
    return (uint64_t)now.tv_sec - ktime_mono_ns() / NSEC_PER_SEC;
}

int proc_show_stat(struct pseudo_buf *b, const struct proc_ctx *c)
{
    (void)c;
    int ncpu = cpustat_nr_cpus();
    struct cpustat sum = { { 0 } }, one;
    for (int i = 0; i < ncpu; i++) {
        cpustat_read(i, &one);
        for (int k = 0; k < CPUSTAT_NR; k++)
            sum.ns[k] += one.ns[k];
    }
    cpu_line(b, "cpu ", &sum);
    for (int i = 0; i < ncpu; i++) {
        char name[8];
        ksnprintf(name, sizeof name, "cpu%d", i);
        cpustat_read(i, &one);
        cpu_line(b, name, &one);
    }
    /* intr: the total, then one count per interrupt number from 0. */
    uint64_t total = 0;
    irq_for_each(count_irq, &total);
    pb_printf(b, "intr %llu", (unsigned long long)total);
    struct intr_line l = { b, 0 };
    irq_for_each(print_irq_count, &l);
    pb_write(b, "\n", 1);
    struct procinfo_counts n;
    procinfo_counts(&n);
    pb_printf(b, "ctxt %llu\nbtime %llu\nprocesses %llu\nprocs_running %u\nprocs_blocked %u\n",
              (unsigned long long)cpustat_context_switches(), (unsigned long long)boot_time_sec(),
              (unsigned long long)cpustat_forks(), n.running, n.blocked);
    pb_printf(b, "softirq 0 0 0 0 0 0 0 0 0 0 0\n");
    return 0;
}

int proc_show_uptime(struct pseudo_buf *b, const struct proc_ctx *c)
{
    (void)c;
    uint64_t up = ktime_mono_ns(), idle = 0;
    int ncpu = cpustat_nr_cpus();
    for (int i = 0; i < ncpu; i++) {
        struct cpustat s;
        cpustat_read(i, &s);
        idle += s.ns[CPUSTAT_IDLE];
    }
    unsigned long long up_cs = up / 10000000ULL, idle_cs = idle / 10000000ULL;
    pb_printf(b, "%llu.%02llu %llu.%02llu\n", up_cs / 100, up_cs % 100, idle_cs / 100,
              idle_cs % 100);
    return 0;
}

int proc_show_loadavg(struct pseudo_buf *b, const struct proc_ctx *c)
{
    (void)c;
    uint64_t loads[3];
    cpustat_loadavg(loads);
    struct procinfo_counts n;
    procinfo_counts(&n);
    for (int i = 0; i < 3; i++) {
        /* 16 fractional bits; two decimals, rounded as Linux does (+ 1/200). */
        uint64_t v = loads[i] + (65536 / 200);
        pb_printf(b, "%llu.%02llu ", (unsigned long long)(v >> 16),
                  (unsigned long long)(((v & 0xffff) * 100) >> 16));
    }
    pb_printf(b, "%u/%u %d\n", n.running, n.threads, n.last_pid);
    return 0;
}

int proc_show_version(struct pseudo_buf *b, const struct proc_ctx *c)
{
    (void)c;
    pb_printf(b, "Linux version " OPENV_RELEASE " (openv@openv) (gcc version " __VERSION__ ") "
              OPENV_UTS_VERSION "\n");
    return 0;
}

int proc_show_cmdline(struct pseudo_buf *b, const struct proc_ctx *c)
{
    (void)c;
    const char *cmd = cmdline_raw();
    pb_printf(b, "%s\n", cmd ? cmd : "");
    return 0;
}

int proc_show_cpuinfo(struct pseudo_buf *b, const struct proc_ctx *c)
{
    (void)c;
    int ncpu = cpustat_nr_cpus();
    for (int i = 0; i < ncpu; i++) {
        /* The ISA the kernel supports for user programs (exec's AT_HWCAP). */
        pb_printf(b, "processor\t: %d\nhart\t\t: %lu\nisa\t\t: rv64imafdc_zicsr_zifencei\n"
                  "mmu\t\t: sv39\n\n", i, cpustat_hartid(i));
    }
    return 0;
}

int proc_show_filesystems(struct pseudo_buf *b, const struct proc_ctx *c)
{
    (void)c;
    pb_fill(b, vfs_filesystems_show);
    return 0;
}

int proc_show_partitions(struct pseudo_buf *b, const struct proc_ctx *c)
{
    (void)c;
    pb_fill(b, blkdev_partitions_show);
    return 0;
}

int proc_show_swaps(struct pseudo_buf *b, const struct proc_ctx *c)
{
    (void)c;
    pb_printf(b, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");   /* no swap */
    return 0;
}

int proc_show_mounts(struct pseudo_buf *b, const struct proc_ctx *c)
{
    (void)c;
    pb_fill(b, vfs_mounts_show);
    return 0;
}

int proc_show_mountinfo(struct pseudo_buf *b, const struct proc_ctx *c)
{
    (void)c;
    pb_fill(b, vfs_mountinfo_show);
    return 0;
}

struct irq_lines {
    struct pseudo_buf *b;
    int ncpu;
};

/* Device interrupts are routed to the boot hart's PLIC context: CPU0's column. */
static void print_irq(void *ctx, unsigned irq, uint64_t count, irq_handler_t handler)
{
    struct irq_lines *l = ctx;
    unsigned long off;
    const char *name = ksym_lookup((unsigned long)handler, &off);
    pb_printf(l->b, "%4u: %10llu ", irq, (unsigned long long)count);
    for (int i = 1; i < l->ncpu; i++)
        pb_printf(l->b, "%10u ", 0u);
    pb_printf(l->b, " SiFive PLIC %3u Edge      %s\n", irq, name ? name : "?");
}

int proc_show_interrupts(struct pseudo_buf *b, const struct proc_ctx *c)
{
    (void)c;
    int ncpu = cpustat_nr_cpus();
    pb_printf(b, "     ");
    for (int i = 0; i < ncpu; i++)
        pb_printf(b, "      CPU%-3d", i);
    pb_write(b, "\n", 1);
    /* The timer: one interrupt per scheduler tick on each hart (others, for kernel timers,
     * are folded into those). */
    pb_printf(b, "%4u: ", 5u);
    for (int i = 0; i < ncpu; i++) {
        struct cpustat s;
        cpustat_read(i, &s);
        uint64_t ns = 0;
        for (int k = 0; k < CPUSTAT_NR; k++)
            ns += s.ns[k];
        pb_printf(b, "%10llu ", (unsigned long long)(ns / (NSEC_PER_SEC / HZ)));
    }
    pb_printf(b, " RISC-V INTC   5 Edge      riscv-timer\n");
    struct irq_lines l = { b, ncpu };
    irq_for_each(print_irq, &l);
    return 0;
}
