/* Reporting on processes and on the system (procfs, sysinfo) without reaching into the
 * process code's internals (task.h).
 *
 * Every call takes a consistent snapshot under proc_lock and returns plain values; the
 * resources a report needs beyond that (address space, fd table, root and cwd) are handed
 * out with a reference, so the caller may sleep while it formats them.
 *
 * Kept by kernel/kernel/proc_info.c (processes) and kernel/kernel/cpustat.c (CPU time,
 * load average, counters). */
#pragma once
#include "types.h"
#include "sched.h"

struct mm_struct;
struct files_struct;
struct fs_struct;

#define PROCINFO_COMM_LEN 16

/* One process (tid == 0 in procinfo_get) or one thread of it. */
struct proc_info {
    pid_t pid;                  /* thread group id */
    pid_t tid;                  /* the thread described; == pid for the process view */
    pid_t ppid, pgid, sid;
    char state;                 /* Linux's letter: R S D T Z X */
    char comm[PROCINFO_COMM_LEN];
    struct cred cred;
    uint64_t tty_dev;           /* controlling tty in user dev_t encoding; 0: none */
    pid_t tty_pgrp;             /* its foreground process group; -1: no tty */
    int nice;
    int nr_threads;
    uint64_t utime_ns, stime_ns;     /* this thread, or the whole process (+ dead threads) */
    uint64_t cutime_ns, cstime_ns;   /* reaped children */
    uint64_t start_ns;               /* CLOCK_MONOTONIC at creation */
    uint64_t nvcsw, nivcsw;
    int exit_signal;
    uint64_t sig_pending;       /* the thread's own pending set */
    uint64_t sig_shared;        /* process-wide pending set */
    uint64_t sig_blocked, sig_ignored, sig_caught;
};

/* Process ids (thread group ids) >= from, ascending, at most max of them into out.
 * Returns how many were stored. */
int procinfo_list_pids(pid_t from, pid_t *out, int max);
/* Thread ids of process pid that are >= from, ascending; -ESRCH if there is no such process. */
int procinfo_list_tids(pid_t pid, pid_t from, pid_t *out, int max);
/* Snapshot of process pid (tid 0) or of its thread tid. 0, or -ESRCH. */
int procinfo_get(pid_t pid, pid_t tid, struct proc_info *out);
/* Does process pid exist (and, if tid != 0, is tid one of its threads)? Zombies count. */
bool procinfo_exists(pid_t pid, pid_t tid);
/* The process (thread group) a thread belongs to, or -ESRCH. */
pid_t procinfo_tgid_of(pid_t tid);
/* The pid and tid of the calling thread. */
pid_t procinfo_self_pid(void);
pid_t procinfo_self_tid(void);

/* The resources of a live process, each with one reference the caller drops (mm_put,
 * files_put, fs_struct_put); NULL for zombies and kernel threads. */
struct mm_struct *procinfo_get_mm(pid_t pid);
struct files_struct *procinfo_get_files(pid_t pid);
struct fs_struct *procinfo_get_fs(pid_t pid);

/* Counts of threads that are runnable and that are in uninterruptible sleep, and the number
 * of threads and processes in total. */
struct procinfo_counts {
    unsigned running, blocked, threads, processes;
    pid_t last_pid;
};
void procinfo_counts(struct procinfo_counts *c);

/* The host and domain names (sys.c), each into a buffer of `size` bytes (65 holds any). */
void uts_get_names(char *host, char *domain, size_t size);

/* ---- cpustat.c: system-wide statistics ---- */

/* Time each CPU spent in each state since boot (tick-sampled, like Linux without
 * VIRT_CPU_ACCOUNTING). */
enum cpustat_kind { CPUSTAT_USER, CPUSTAT_NICE, CPUSTAT_SYSTEM, CPUSTAT_IDLE, CPUSTAT_NR };
struct cpustat {
    uint64_t ns[CPUSTAT_NR];
};
/* The number of CPUs that account time (harts that have ticked). */
int cpustat_nr_cpus(void);
unsigned long cpustat_hartid(int cpu);      /* the hart id of CPU number cpu */
void cpustat_read(int cpu, struct cpustat *out);
uint64_t cpustat_context_switches(void);
uint64_t cpustat_forks(void);
uint64_t cpustat_ticks(void);           /* scheduler ticks taken, all CPUs */
/* Load averages over 1, 5 and 15 minutes as fixed point with 16 fractional bits (Linux's
 * sysinfo() scale: 1.0 == 65536). */
void cpustat_loadavg(uint64_t loads[3]);

/* Hooks for the scheduler and fork. */
void cpustat_tick(int cpu, enum cpustat_kind kind, uint64_t ns);
void cpustat_note_context_switch(void);
void cpustat_note_fork(void);
