/* Kernel threads (kthread.h).
 *
 * A kernel thread is a bare task: task_alloc() gives it a kernel stack; it gets no process
 * (priv->proc stays NULL, which the scheduler and signal_pending() accept), no mm (the
 * scheduler leaves the previous address space in satp, as for an idle task), no pid (tid 0,
 * never entered into the pid table) and no sighand. It starts in entry.S kthread_entry, which
 * finishes the context switch, enables interrupts, takes the big kernel lock and calls
 * s2(s3); kthread_main then runs the thread's function and ends the thread when it returns. */
#include "kthread.h"
#include "kernel.h"
#include "task.h"
#include "smp.h"
#include "mm.h"
#include "string.h"
#include "asm/entry.h"

struct kthread_start {
    void (*fn)(void *arg);
    void *arg;
};

static void kthread_main(void *p)
{
    struct kthread_start start = *(struct kthread_start *)p;
    kfree(p);
    start.fn(start.arg);
    kthread_exit();
}

struct task *kthread_run(const char *name, void (*fn)(void *arg), void *arg)
{
    struct kthread_start *start = kmalloc(sizeof *start);
    struct task *t = start ? task_alloc() : NULL;
    if (!t) {
        kfree(start);
        return NULL;
    }
    start->fn = fn;
    start->arg = arg;
    struct task_private *p = t->priv;
    strlcpy(t->comm, name, sizeof t->comm);
    p->ss_flags = SS_DISABLE;
    /* The stack starts below an all-zero trapframe, as for PID 1's kernel half (main.c
     * start_init), so code that looks at current_tf() finds a kernel-mode frame. */
    struct trapframe *tf = task_tf(t);
    memset(tf, 0, sizeof *tf);
    p->ctx.ra = (unsigned long)kthread_entry;
    p->ctx.sp = (unsigned long)tf;
    p->ctx.s[2] = (unsigned long)kthread_main;
    p->ctx.s[3] = (unsigned long)start;
    sched_add_new(t);
    return t;
}

__noreturn void kthread_exit(void)
{
    struct task *t = current;
    bkl_unlock();
    /* TASK_DEAD: schedule() never comes back, and schedule_tail() on the next task frees
     * this one's stack and struct once we are off it. */
    set_current_state(TASK_DEAD);
    schedule();
    panic("dead kernel thread %s scheduled", t->comm);
}
