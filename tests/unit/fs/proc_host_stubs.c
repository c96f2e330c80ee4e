/* Host stand-ins for the process and system reports procfs reads (procinfo.h, vm.h's mm
 * reports, irq.h, ksyms.h): a small fake process table that tests can change. The calling
 * "process" is host_task (pid 1) with its real fd table and fs_struct. */
#include "kernel.h"
#include "procinfo.h"
#include "vm.h"
#include "fs.h"
#include "irq.h"
#include "ksyms.h"
#include "blkdev.h"
#include "string.h"
#include "kprintf.h"
#include "sysrq.h"

extern struct task host_task;

#define HOST_MAX_PROCS 8
struct proc_info host_procs[HOST_MAX_PROCS] = {
    { .pid = 1, .tid = 1, .ppid = 0, .pgid = 1, .sid = 1, .state = 'S', .comm = "init",
      .tty_pgrp = -1, .nr_threads = 1, .utime_ns = 1230000000ULL, .stime_ns = 450000000ULL,
      .start_ns = 20000000ULL },
};
int host_nprocs = 1;
/* The memory of every fake process: argv "init\0-v\0", environment "HOME=/\0". */
static char host_mem[] = "init\0-v\0HOME=/";
#define HOST_ARG_START 0x10000UL
static struct mm_struct host_mm = {
    .refcount = 1,
    .arg_start = HOST_ARG_START, .arg_end = HOST_ARG_START + 8,
    .env_start = HOST_ARG_START + 8, .env_end = HOST_ARG_START + 15,
};
const char *host_cmdline = "console=ttyS0 rdinit=/init";

static struct proc_info *find(pid_t pid)
{
    for (int i = 0; i < host_nprocs; i++)
        if (host_procs[i].pid == pid)
            return &host_procs[i];
    return NULL;
}

int procinfo_list_pids(pid_t from, pid_t *out, int max)
{
    int n = 0;
    for (pid_t p = from; p < 32768 && n < max; p++)
        if (find(p))
            out[n++] = p;
    return n;
}

int procinfo_list_tids(pid_t pid, pid_t from, pid_t *out, int max)
{
    if (!find(pid))
        return -ESRCH;
    if (pid >= from && max > 0) {
        out[0] = pid;
        return 1;
    }
    return 0;
}

int procinfo_get(pid_t pid, pid_t tid, struct proc_info *out)
{
    struct proc_info *p = find(pid);
    if (!p || (tid && tid != pid))
        return -ESRCH;
    *out = *p;
    return 0;
}

bool procinfo_exists(pid_t pid, pid_t tid) { return find(pid) && (!tid || tid == pid); }
pid_t procinfo_tgid_of(pid_t tid) { return find(tid) ? tid : -ESRCH; }
pid_t procinfo_self_pid(void) { return host_task.tgid; }
pid_t procinfo_self_tid(void) { return host_task.tid; }

struct mm_struct *procinfo_get_mm(pid_t pid)
{
    struct proc_info *p = find(pid);
    return p && p->state != 'Z' ? &host_mm : NULL;
}

struct files_struct *procinfo_get_files(pid_t pid)
{
    if (pid != host_task.tgid || !host_task.files)
        return NULL;
    files_get(host_task.files);
    return host_task.files;
}

struct fs_struct *procinfo_get_fs(pid_t pid)
{
    if (pid != host_task.tgid || !host_task.fs)
        return NULL;
    fs_struct_get(host_task.fs);
    return host_task.fs;
}

void procinfo_counts(struct procinfo_counts *c)
{
    memset(c, 0, sizeof *c);
    for (int i = 0; i < host_nprocs; i++) {
        c->processes++;
        c->threads += (unsigned)host_procs[i].nr_threads;
        if (host_procs[i].state == 'R')
            c->running++;
    }
    c->last_pid = host_nprocs ? host_procs[host_nprocs - 1].pid : 0;
}

void uts_get_names(char *host, char *domain, size_t size)
{
    strlcpy(host, "openv", size);
    strlcpy(domain, "(none)", size);
}

int cpustat_nr_cpus(void) { return 1; }
unsigned long cpustat_hartid(int cpu) { return (unsigned long)cpu; }
void cpustat_read(int cpu, struct cpustat *out)
{
    (void)cpu;
    out->ns[CPUSTAT_USER] = 2000000000ULL;
    out->ns[CPUSTAT_NICE] = 0;
    out->ns[CPUSTAT_SYSTEM] = 1000000000ULL;
    out->ns[CPUSTAT_IDLE] = 7000000000ULL;
}
uint64_t cpustat_context_switches(void) { return 1234; }
uint64_t cpustat_forks(void) { return 56; }
uint64_t cpustat_ticks(void) { return 2500; }
void cpustat_loadavg(uint64_t loads[3])
{
    loads[0] = 65536 + 65536 / 2;     /* 1.50 */
    loads[1] = 65536 / 4;             /* 0.25 */
    loads[2] = 0;
}

void mm_put(struct mm_struct *mm) { (void)mm; }
void mm_report_usage(struct mm_struct *mm, struct mm_usage *u)
{
    memset(u, 0, sizeof *u);
    u->vsize = 1024 * 1024;
    u->rss_pages = 64;
    u->rss_anon_pages = 16;
    u->rss_file_pages = 48;
    u->text = 512 * 1024;
    u->data = 64 * 1024;
    u->stack = 132 * 1024;
    u->arg_start = mm->arg_start;
    u->arg_end = mm->arg_end;
    u->env_start = mm->env_start;
    u->env_end = mm->env_end;
}
int mm_report_vmas(struct mm_struct *mm, struct vma_report *out, int max)
{
    (void)mm;
    if (max < 2)
        return 0;
    out[0] = (struct vma_report){ .start = 0x400000, .end = 0x480000, .prot = PROT_READ | PROT_EXEC };
    out[1] = (struct vma_report){ .start = 0x3fffff0000UL - 0x21000, .end = 0x3fffff0000UL,
                                  .prot = PROT_READ | PROT_WRITE, .flags = VM_GROWSDOWN };
    return 2;
}
size_t mm_read_remote(struct mm_struct *mm, uaddr_t addr, void *buf, size_t n)
{
    (void)mm;
    if (addr < HOST_ARG_START || addr - HOST_ARG_START >= sizeof host_mem)
        return 0;
    size_t off = addr - HOST_ARG_START, len = MIN(n, sizeof host_mem - off);
    memcpy(buf, host_mem + off, len);
    return len;
}

int irq_for_each(void (*fn)(void *ctx, unsigned irq, uint64_t count, irq_handler_t handler),
                 void *ctx)
{
    fn(ctx, 10, 42, NULL);
    return 1;
}
const char *ksym_lookup(unsigned long addr, unsigned long *offset)
{
    (void)addr;
    *offset = 0;
    return "uart_irq";
}
/* Weak, like the block layer's below: host_stubs.c may have its own; tests compare with
 * whichever is linked. */
__attribute__((weak)) const char *cmdline_raw(void) { return host_cmdline; }
/* Weak: the block layer's host stubs may provide their own. */
__attribute__((weak)) int blkdev_partitions_show(char *buf, size_t size)
{
    return ksnprintf(buf, size, "major minor  #blocks  name\n\n 254        0      65536 vda\n");
}
__attribute__((weak)) void bcache_get_stats(struct bcache_stats *st)
{
    memset(st, 0, sizeof *st);
}
/* /proc/sysrq-trigger: the host has no task table to show. */
void handle_sysrq(char key, bool may_sleep) { (void)key; (void)may_sleep; }
