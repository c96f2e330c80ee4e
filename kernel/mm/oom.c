/* The out-of-memory killer. When a user page cannot be had (a fault, a user copy) and nothing
 * can be reclaimed, the process with the largest resident set is killed with SIGKILL, and the
 * task that needed memory waits for the victim's memory to come back, as in Linux. The choice
 * is logged in Linux's words so dmesg shows what happened.
 *
 * Linux's badness is the resident set plus swap and page tables; here it is the resident set
 * (no swap; page tables are small next to it). PID 1 is chosen only when nothing else has
 * memory: killing init takes the system down.
 *
 * One victim at a time: while the last one is still dying (its address space not yet freed),
 * faults that run out wait for it instead of killing more. A victim that does not die within
 * OOM_VICTIM_WAIT_NS is passed over from then on (Linux's MMF_OOM_SKIP) and the next largest
 * is chosen, so a stuck victim can neither hang the system nor make the faulting task, which
 * may be init, fail while others still hold memory. */
#include "kernel.h"
#include "mm.h"
#include "vm.h"
#include "task.h"
#include "procinfo.h"
#include "signal.h"
#include "vm_internal.h"
#include "string.h"

#define OOM_VICTIM_WAIT_NS (3 * NSEC_PER_SEC)
#define OOM_RETRY_NS (10 * 1000 * 1000ULL)

static struct mutex oom_lock = {
    .lock = SPINLOCK_INIT("oom"),
    .owner = NULL,
    .waiters = LIST_HEAD_INIT(oom_lock.waiters),
};
static pid_t victim_pid;          /* the last victim while it may still be dying; 0: none */
static uint64_t victim_since_ns;
/* Victims that did not exit in time and still have an address space: never chosen again. */
#define OOM_MAX_STUCK 8
static pid_t stuck[OOM_MAX_STUCK];

static bool is_stuck(pid_t pid)
{
    for (int i = 0; i < OOM_MAX_STUCK; i++)
        if (stuck[i] == pid)
            return true;
    return false;
}

/* Remember pid, forgetting those that have since exited (and, if full, the oldest). */
static void remember_stuck(pid_t pid)
{
    for (int i = 0; i < OOM_MAX_STUCK; i++) {
        struct mm_struct *mm = stuck[i] ? procinfo_get_mm(stuck[i]) : NULL;
        if (mm)
            mm_put(mm);
        else
            stuck[i] = 0;
    }
    for (int i = 0; i < OOM_MAX_STUCK; i++) {
        if (!stuck[i]) {
            stuck[i] = pid;
            return;
        }
    }
    memmove(stuck, stuck + 1, sizeof(stuck) - sizeof(stuck[0]));
    stuck[OOM_MAX_STUCK - 1] = pid;
}

static bool current_is_dying(void)
{
    struct process *p = proc_of(current);
    return p->group_exiting || (current->priv->pending.set & sigmask(SIGKILL));
}

struct oom_choice {
    pid_t pid;
    struct mm_usage usage;
};

/* The process with the largest resident set, or pid 0 if no process has memory. */
static void choose_victim(struct oom_choice *best)
{
    struct mm_usage u;
    struct oom_choice init_choice = { 0 };
    pid_t pids[32];
    best->pid = 0;
    for (pid_t from = 1;;) {
        int n = procinfo_list_pids(from, pids, ARRAY_SIZE(pids));
        if (n <= 0)
            break;
        for (int i = 0; i < n; i++) {
            if (is_stuck(pids[i]))
                continue;
            struct mm_struct *mm = procinfo_get_mm(pids[i]);
            if (!mm)
                continue;         /* a zombie or a kernel thread */
            mm_report_usage(mm, &u);
            mm_put(mm);
            struct oom_choice *slot = pids[i] == 1 ? &init_choice : best;
            if (!slot->pid || u.rss_pages > slot->usage.rss_pages) {
                slot->pid = pids[i];
                slot->usage = u;
            }
        }
        from = pids[n - 1] + 1;
    }
    if (!best->pid || !best->usage.rss_pages)
        *best = init_choice;
}

static bool kill_process(pid_t pid)
{
    struct ksiginfo info;
    memset(&info, 0, sizeof info);
    info.si_signo = SIGKILL;
    info.si_code = SI_KERNEL;
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    struct process *p = process_by_pid(pid);
    bool sent = false;
    if (p && p->state == PROC_ALIVE && !list_empty(&p->threads)) {
        struct task *t = list_first_entry(&p->threads, struct task_private, thread_node)->task;
        sent = do_send_signal(t, SIGKILL, &info, true) == 0;
    }
    spin_unlock_irqrestore(&proc_lock, f);
    return sent;
}

/* Is the last victim still holding on to its memory? */
static bool victim_still_dying(void)
{
    if (!victim_pid)
        return false;
    struct mm_struct *mm = procinfo_get_mm(victim_pid);
    if (!mm) {
        victim_pid = 0;
        return false;
    }
    mm_put(mm);
    return ktime_mono_ns() - victim_since_ns < OOM_VICTIM_WAIT_NS;
}

bool out_of_memory(void)
{
    if (current_is_dying())
        return false;
    /* The page cache gives up pages before any process does. */
    if (reclaim_file_pages())
        return true;
    mutex_lock(&oom_lock);
    bool retry = true;
    const char *fail_why = NULL;      /* why this allocation fails, when not as the victim */
    bool dying = victim_still_dying();     /* clears victim_pid once the victim is gone */
    if (!dying && victim_pid) {
        pr_err("Out of memory: process %d did not exit in time; passing it over", victim_pid);
        remember_stuck(victim_pid);
        victim_pid = 0;
    }
    if (dying) {
        if (victim_pid == current->tgid)
            retry = false;
    } else {
        struct oom_choice c;
        choose_victim(&c);
        if (!c.pid) {
            retry = false;
            fail_why = "no process to kill";
        } else {
            struct proc_info pi;
            if (procinfo_get(c.pid, 0, &pi) < 0)
                memset(&pi, 0, sizeof pi);
            if (kill_process(c.pid)) {
                pr_err("Out of memory: Killed process %d (%s) total-vm:%llukB, anon-rss:%llukB, "
                       "file-rss:%llukB, shmem-rss:0kB, UID:%u",
                       c.pid, pi.comm, (unsigned long long)(c.usage.vsize / 1024),
                       (unsigned long long)(c.usage.rss_anon_pages * (PAGE_SIZE / 1024)),
                       (unsigned long long)(c.usage.rss_file_pages * (PAGE_SIZE / 1024)),
                       (unsigned)pi.cred.uid);
                victim_pid = c.pid;
                victim_since_ns = ktime_mono_ns();
            }
            if (c.pid == current->tgid)
                retry = false;
        }
    }
    mutex_unlock(&oom_lock);
    if (fail_why)
        pr_err("Out of memory: %s; failing the allocation of %s (pid %d)", fail_why,
               current->comm, current->tgid);
    if (retry) {
        /* Give the victim time to run and exit; the caller then tries again. */
        current->state = TASK_INTERRUPTIBLE;
        schedule_timeout(ktime_mono_ns() + OOM_RETRY_NS);
        current->state = TASK_RUNNING;
    }
    return retry && !current_is_dying();
}
