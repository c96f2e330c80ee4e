/* Process internals (kernel/kernel/): the parts of a task other subsystems don't see.
 *
 * struct task (sched.h) is a thread; its priv points at struct task_private, allocated with it.
 * struct process is what the threads of one thread group share (Linux's signal_struct plus
 * the process tree): pid, parent and children, process group, session, controlling tty,
 * rlimits, process-wide pending signals, exit status and job-control state, interval timers.
 * struct sighand (the handler table) is shared with CLONE_SIGHAND.
 *
 * Locking: proc_lock (irqsave: signals are sent from interrupt handlers) protects the process
 * tree, the pid table, every pending set and sighand table, and the exit/stop state. The run
 * queue has its own lock (sched.c). */
#pragma once
#include "sched.h"
#include "signal.h"
#include "ktimer.h"
#include "time.h"
#include "uapi/resource.h"
#include "memlayout.h"
#include "asm/trapframe.h"

#define KSTACK_SIZE (16 * 1024)
#define PID_MAX 32768

struct context {          /* callee-saved registers, switch.S */
    unsigned long ra, sp, s[12];
};
struct fpstate {          /* fpu.S */
    uint64_t f[32];
    uint32_t fcsr;
    uint32_t __pad;
};

/* A resource limit as a process keeps it (uapi/resource.h: RLIMIT_*, and struct rlimit64,
 * the layout user space passes). */
struct krlimit {
    uint64_t cur, max;
};

struct sigqueue {         /* a queued siginfo (RT signals, and the first of a standard one) */
    struct list_head node;
    struct ksiginfo info;
};
struct sigpending {
    ksigset_t set;
    struct list_head queue;
};

struct k_sigaction {
    uint64_t handler;
    uint64_t flags;
    uint64_t restorer;   /* kept only to hand back in oldact (see sys_rt_sigaction) */
    ksigset_t mask;
};
struct sighand {
    int refcount;
    struct k_sigaction action[_NSIG];
};

enum { PROC_ALIVE, PROC_ZOMBIE, PROC_DEAD };

struct process {
    int refcount;                 /* threads + the parent's interest while a zombie */
    pid_t pid;
    struct task *leader;
    struct process *parent;
    struct list_head children;
    struct list_head sibling;     /* in parent->children */
    struct list_head all_node;    /* in all_processes */
    struct list_head threads;     /* task_private.thread_node */
    int nr_threads;               /* live threads */
    pid_t pgid, sid;
    struct tty *ctty;
    struct krlimit rlim[RLIM_NLIMITS];
    struct sigpending shared_pending;
    int exit_signal;              /* sent to the parent at exit (SIGCHLD; 0 for threads) */

    int state;                    /* PROC_* */
    bool group_exiting;           /* exit_group or a fatal signal: every thread must exit */
    int exit_status;              /* wait status once a zombie */
    bool execed;                  /* setpgid() on a child that has exec'd fails */
    struct task *exec_task;       /* a thread in execve, waiting for the others to die */

    /* Job control. */
    bool stopped;
    int stop_signal;
    int stop_pending_count;       /* threads that still have to stop */
    bool report_stopped;          /* a WUNTRACED waiter has not seen this stop yet */
    bool report_continued;        /* ... nor this continue (WCONTINUED) */

    struct wait_queue child_wait; /* wait4/waitid sleep here; children wake it */

    struct ktimer real_timer;     /* ITIMER_REAL */
    uint64_t real_interval_ns;
    /* ITIMER_VIRTUAL (user CPU time) and ITIMER_PROF (user + system): what is left and
     * the reload, charged by the timer tick (itimer_cpu_tick); under proc_lock. */
    uint64_t cpu_itimer_left_ns[2], cpu_itimer_interval_ns[2];

    uint64_t utime_ns, stime_ns;      /* of threads that exited */
    uint64_t cutime_ns, cstime_ns;    /* of reaped children */
    uint64_t start_ns;
    uint64_t nvcsw, nivcsw;
    char comm[16];                /* the last thread's name, kept for a zombie (procfs) */
    uid_t zombie_uid;             /* the last thread's real uid (RLIMIT_NPROC counts zombies) */
};

struct task_private {
    struct task *task;
    struct context ctx;
    void *kstack;
    struct process *proc;
    struct sighand *sighand;
    struct list_head thread_node;
    struct list_head run_node;
    bool on_rq;
    bool on_cpu;                  /* running, or still switching out (sched.c, rq lock) */
    bool is_idle;                 /* a hart's idle task */
    bool holds_bkl;               /* holds the big kernel lock (smp.h) */
    int last_cpu;                 /* the hart it last ran on */
    unsigned long cpus_allowed;   /* sched_setaffinity mask of cpus; 0 = all */
    int nice;
    int slice;                    /* ticks left in this time slice */
    uint64_t vruntime;            /* CPU time scaled by nice weight (sched.c, rq lock) */
    bool yielded;                 /* sched_yield: let the others go first */

    ksigset_t blocked;
    ksigset_t real_blocked;       /* the mask rt_sigtimedwait lifted while it waits */
    ksigset_t saved_mask;         /* restored after a handler runs (sigsuspend, pselect) */
    bool restore_mask;
    struct sigpending pending;

    uint64_t ss_sp, ss_size;      /* sigaltstack */
    int ss_flags;

    uaddr_t set_child_tid, clear_child_tid;
    uaddr_t robust_list;
    size_t robust_len;
    struct sem_undo_list *sysvsem;  /* SEM_UNDO adjustments (kernel/ipc/sem.c), or NULL */

    struct ktimer sleep_timer;
    uint64_t utime_ns, stime_ns;

    struct fpstate fp;            /* valid while the thread is switched out with FS != Off */
    unsigned long fp_status;      /* sstatus.FS when last saved */

    void *vfork;                  /* CLONE_VFORK child: the parent's completion (fork.c) */
    bool exiting;                 /* this thread is in do_exit */
    int exit_code;
    bool nproc_exceeded;          /* a set*uid() went over RLIMIT_NPROC: execve checks again
                                   * (Linux's PF_NPROC_EXCEEDED) */
};

static inline struct task_private *tp_of(struct task *t) { return t->priv; }
static inline struct process *proc_of(struct task *t) { return t->priv->proc; }
static inline struct trapframe *task_tf(struct task *t)
{
    return (struct trapframe *)((char *)t->priv->kstack + KSTACK_SIZE - sizeof(struct trapframe));
}
#define current_tf() task_tf(current)

extern spinlock_t proc_lock;
extern struct list_head all_processes;
extern struct process *init_process;

/* task.c: allocation, the pid table (proc_lock held unless said otherwise), process groups. */
struct task *task_alloc(void);
void task_free(struct task *t);
void task_init_idle(void);                    /* boot: the running context becomes hart 0's idle */
pid_t pid_alloc(void);                        /* a free pid, or -EAGAIN */
void pid_free(pid_t pid);
void tid_set(pid_t tid, struct task *t);      /* t = NULL: tid names no task any more */
struct task *task_by_tid(pid_t tid);
struct process *process_by_pid(pid_t pid);
pid_t pid_last_allocated(void);               /* /proc/loadavg's last field; no lock */
void sigpending_init(struct sigpending *p);
/* No member has a parent in the same session but another group (POSIX); `ignore` (an exiting
 * process, or NULL) does not count. */
bool pgrp_is_orphaned_locked(pid_t pgrp, const struct process *ignore);

/* fork.c */
struct process *process_alloc_init(struct task *t);   /* PID 1's process, led by t */
void vfork_release(struct task *t);           /* t exec'd or is exiting: wake its vfork parent */
/* After a set*uid() that changed the real uid: flag current if that user is over its
 * RLIMIT_NPROC (the call itself still succeeds, as in Linux). */
void nproc_check_setuid(const struct cred *old, const struct cred *n);
/* execve: -EAGAIN if a flagged set*uid() left current over RLIMIT_NPROC, else 0. */
int nproc_check_exec(void);

/* exit.c, exec.c */
__noreturn void do_exit(int code);
__noreturn void do_group_exit(int status);
void release_process(struct process *p);      /* free a reaped process; proc_lock held */
int kernel_execve(const char *path, const char *const *argv, const char *const *envp);

/* sched.c */
void sched_add_new(struct task *t);
void wake_up_state(struct task *t, unsigned states);   /* bitmask of 1 << TASK_* */
void sched_kick(struct task *t);                    /* SMP: make a running task trap */
void sched_set_affinity(struct task *t, unsigned long mask);   /* proc_lock held; 0 = all */

/* time.c: the timer tick (interrupts off) charges `ns` of CPU time of t (in user mode or
 * not) to its process's ITIMER_VIRTUAL and ITIMER_PROF, signalling t when one runs out. */
void itimer_cpu_tick(struct task *t, bool user, uint64_t ns);

/* sys.c: the limits init starts with. */
void rlimits_init_defaults(struct krlimit *r);

/* futex.c */
void futex_wake_addr(uaddr_t uaddr, int n);   /* wake n waiters, shared or private */
void exit_robust_list(struct task *t);        /* mark t's robust futexes OWNER_DIED */
void futex_show_waiters(bool may_sleep);      /* SysRq: every queued waiter, no futex_lock */

/* signal_pending() (sched.h) inline, with task_has_signal_work, because every return to
 * user mode asks: an unblocked signal is pending, or the process is exiting or stopped. */
static inline bool task_signal_pending(struct task *t)
{
    struct task_private *tp = t->priv;
    struct process *p = tp->proc;
    return p && (p->group_exiting || p->stopped ||
                 ((tp->pending.set | p->shared_pending.set) & ~tp->blocked));
}

/* signal_return_to_user() has something to do. */
static inline bool task_has_signal_work(struct task *t)
{
    return task_signal_pending(t) || t->priv->restore_mask;
}

/* signal.c */
struct sighand *sighand_new(void);            /* all SIG_DFL */
struct sighand *sighand_copy(struct sighand *sh);
void sighand_put(struct sighand *sh);
void sigpending_flush(struct sigpending *p);
void signal_return_to_user(struct trapframe *tf);   /* deliver pending signals, stops */
/* An interrupted system call whose signal another thread took: restart it (trap.c). */
void syscall_restart_fixup(struct trapframe *tf);
void signals_reset_on_exec(void);
void notify_parent_exit(struct process *p);   /* proc_lock held */
/* proc_lock held. group: to the process (any thread may take it), else to thread t. */
int do_send_signal(struct task *t, int sig, const struct ksiginfo *info, bool group);
