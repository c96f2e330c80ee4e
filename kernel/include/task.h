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

struct rlimit64 {
    uint64_t cur, max;
};
#define RLIMIT_CPU 0
#define RLIMIT_FSIZE 1
#define RLIMIT_DATA 2
#define RLIMIT_STACK 3
#define RLIMIT_CORE 4
#define RLIMIT_RSS 5
#define RLIMIT_NPROC 6
#define RLIMIT_NOFILE 7
#define RLIMIT_MEMLOCK 8
#define RLIMIT_AS 9
#define RLIMIT_LOCKS 10
#define RLIMIT_SIGPENDING 11
#define RLIMIT_MSGQUEUE 12
#define RLIMIT_NICE 13
#define RLIMIT_RTPRIO 14
#define RLIMIT_RTTIME 15
#define RLIM_NLIMITS 16
#define RLIM_INFINITY (~0ULL)

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
    struct k_sigaction action[NSIG];
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
    struct rlimit64 rlim[RLIM_NLIMITS];
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
/* Tasks (threads, and zombies until reaped) whose real uid is uid: what RLIMIT_NPROC counts. */
uint64_t nproc_count(uid_t uid);
/* After a set*uid() that changed the real uid: flag current if that user is over its
 * RLIMIT_NPROC (the call itself still succeeds, as in Linux). */
void nproc_check_setuid(const struct cred *old, const struct cred *n);
/* execve: -EAGAIN if a flagged set*uid() left current over RLIMIT_NPROC, else 0. */
int nproc_check_exec(void);
/* Timer tick (interrupts off): charge `ns` of CPU time of t (in user mode or not) to its
 * process's ITIMER_VIRTUAL and ITIMER_PROF, signalling t when one runs out. */
void itimer_cpu_tick(struct task *t, bool user, uint64_t ns);
extern struct list_head all_processes;
extern struct process *init_process;

struct task *task_by_tid(pid_t tid);          /* proc_lock held */
struct process *process_by_pid(pid_t pid);    /* proc_lock held */
pid_t pid_last_allocated(void);               /* /proc/loadavg's last field */

/* sched.c */
void sched_init(void);
void sched_add_new(struct task *t);
void wake_up_state(struct task *t, unsigned states);   /* bitmask of 1 << TASK_* */
void switch_fpu(struct task *prev, struct task *next);
void sched_yield_now(void);
void sched_kick(struct task *t);                    /* SMP: make a running task trap */

/* fork.c, exit.c, exec.c */
struct task *task_alloc(void);
void task_free(struct task *t);
__noreturn void do_exit(int code);
__noreturn void do_group_exit(int status);
void release_process(struct process *p);
int kernel_execve(const char *path, const char *const *argv, const char *const *envp);

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
void signal_return_to_user(struct trapframe *tf);   /* deliver pending signals, stops */
void sighand_put(struct sighand *sh);
struct sighand *sighand_copy(struct sighand *sh);
void sigpending_init(struct sigpending *p);
void sigpending_flush(struct sigpending *p);
void signals_reset_on_exec(void);
void notify_parent_exit(struct process *p);   /* proc_lock held */
int do_send_signal(struct task *t, int sig, const struct ksiginfo *info, bool group); /* lock held */
void futex_wake_tid(uaddr_t uaddr);
void exit_robust_list(struct task *t);
