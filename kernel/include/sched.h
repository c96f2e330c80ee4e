/* Tasks, sleeping and waking.
 *
 * A task is a thread; a process is a thread group (tasks sharing tgid, mm, files, signal
 * handlers). `current` is the task running on this hart.
 *
 * Sleeping follows Linux's pattern, which cannot lose a wakeup:
 *     wait_event_interruptible(&wq, condition)   -> 0, or -ERESTARTSYS if a signal arrived
 * and the wakers call wake_up(&wq) after making the condition true.
 */
#pragma once
#include "types.h"
#include "list.h"
#include "spinlock.h"

struct files_struct;
struct fs_struct;
struct mm_struct;
struct signal_struct;
struct sighand_struct;
struct trapframe;

#define NGROUPS_MAX 32
struct cred {
    uid_t uid, euid, suid, fsuid;
    gid_t gid, egid, sgid, fsgid;
    int ngroups;
    gid_t groups[NGROUPS_MAX];
};

enum task_state {
    TASK_RUNNING,          /* runnable or running */
    TASK_INTERRUPTIBLE,    /* sleeping; a signal wakes it */
    TASK_UNINTERRUPTIBLE,  /* sleeping; only its event wakes it */
    TASK_STOPPED,          /* job-control stop */
    TASK_ZOMBIE,           /* exited, waiting to be reaped */
    TASK_DEAD,
};

/* The fields the rest of the kernel relies on; the process code owns the rest of the struct
 * (include/task.h). */
struct task {
    pid_t tid;                      /* gettid() */
    pid_t tgid;                     /* getpid() */
    volatile int state;             /* enum task_state */
    struct cred cred;
    struct files_struct *files;     /* fd table (fs/) */
    struct fs_struct *fs;           /* cwd, root, umask (fs/) */
    struct mm_struct *mm;           /* address space (mm/) */
    char comm[16];                  /* name, as in /proc/<pid>/comm */
    struct task_private *priv;      /* everything else: include/task.h */
};

/* The running task: this hart's struct cpu is at tp, and its `current` field is at offset 16
 * (asm/cpu.h). A task only ever sees itself there, so the load may be cached freely. */
static inline struct task *get_current(void)
{
    struct task *t;
    __asm__("ld %0, 16(tp)" : "=r"(t));
    return t;
}
#define current (get_current())

/* Scheduling. */
void schedule(void);                            /* give up the CPU; state says whether we come back */
void set_current_state(int state);
void wake_up_process(struct task *t);
void sched_tick(bool user);                     /* the timer interrupt, HZ times a second */
/* Sleep until woken, a signal (if interruptible), or the monotonic deadline (ns; 0 = none).
 * Returns 0 if the deadline passed, 1 if woken earlier. */
int schedule_timeout(uint64_t deadline_ns);

/* Wait queues. */
struct wait_queue {
    spinlock_t lock;
    struct list_head waiters;
};
/* A waiter: a task to wake, or (poll tables that outlive a system call: epoll) a function
 * that wake_up() calls instead, with interrupts off and the queue's lock held; key: the POLL*
 * bits of the event, 0 if not known. Function entries may be exclusive (EPOLLEXCLUSIVE): a
 * wake-up reaches every other entry, but only exclusive ones up to the first whose function
 * returns nonzero (it woke a task), as Linux's __wake_up with nr_exclusive = 1
 * (kernel/waitqueue.c). */
struct wait_entry;
typedef int (*wait_func_t)(struct wait_entry *e, unsigned key);
struct wait_entry {
    struct list_head node;
    struct task *task;
    wait_func_t func;
    bool exclusive;
};
void wait_queue_init(struct wait_queue *wq);
void prepare_to_wait(struct wait_queue *wq, struct wait_entry *e, int state);
/* Queue e on wq without changing current's state (poll tables watching several queues:
 * one wake-up must not be undone by registering on the next queue). finish_wait removes it. */
void add_wait_queue(struct wait_queue *wq, struct wait_entry *e);
void finish_wait(struct wait_queue *wq, struct wait_entry *e);
void wake_up(struct wait_queue *wq);            /* wakes every waiter */
void wake_up_key(struct wait_queue *wq, unsigned key);   /* ... telling functions the event */
/* Queue a function entry (no task); remove it with remove_wait_queue. */
void add_wait_queue_func(struct wait_queue *wq, struct wait_entry *e, wait_func_t func,
                         bool exclusive);
void remove_wait_queue(struct wait_queue *wq, struct wait_entry *e);

/* Signals, as far as code outside kernel/signal.c needs them. */
void send_signal(struct task *t, int sig);      /* to one task (SIGPIPE for a write, say) */
int kill_pgrp(pid_t pgrp, int sig);             /* to a process group (tty job control) */
bool signal_pending(struct task *t);            /* an unblocked signal is pending */

/* Sleep until `cond` holds. Returns 0, or -ERESTARTSYS when a signal interrupted the wait. */
#define wait_event_interruptible(wq, cond)                                               \
    ({                                                                                   \
        int __ret = 0;                                                                   \
        struct wait_entry __we;                                                          \
        for (;;) {                                                                       \
            prepare_to_wait((wq), &__we, TASK_INTERRUPTIBLE);                            \
            if (cond)                                                                    \
                break;                                                                   \
            if (signal_pending(current)) {                                               \
                __ret = -ERESTARTSYS;                                                    \
                break;                                                                   \
            }                                                                            \
            schedule();                                                                  \
        }                                                                                \
        finish_wait((wq), &__we);                                                        \
        __ret;                                                                           \
    })

/* Process groups, sessions and the controlling terminal (process-wide values, kept by the
 * process code; the tty layer uses these to implement job control). */
struct tty;
pid_t task_pgid(struct task *t);
pid_t task_sid(struct task *t);
struct tty *task_ctty(struct task *t);
void task_set_ctty(struct task *t, struct tty *tty);   /* for the whole session leader's process */
bool pgrp_exists_in_session(pid_t pgrp, pid_t sid);
bool pgrp_is_orphaned(pid_t pgrp);
bool signal_is_ignored_or_blocked(struct task *t, int sig);
/* Called by the tty when its session leader goes away or the line hangs up: SIGHUP+SIGCONT to
 * the foreground process group, and every process of the session loses its controlling tty. */
void session_clear_ctty(pid_t sid);
