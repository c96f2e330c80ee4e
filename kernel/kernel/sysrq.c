/* Magic SysRq, the part openv has of Linux's drivers/tty/sysrq.c: one key, one report on the
 * console (and in the kernel log). Two ways in: a BREAK on the serial console followed by the
 * key within a few seconds (QEMU -nographic: Ctrl-A b, then the key; drivers/uart), and
 * writing the key to /proc/sysrq-trigger (root only, by its mode). Any other key prints the
 * list of keys.
 *
 * 't' (Linux's show-task-states) lists every hart (its task, whether it must reschedule) and
 * every task: state, the hart it runs on or last ran on, whether it is queued to run or holds
 * the big kernel lock, the user pc of its last trap, and, for a task that is switched out, the
 * backtrace of its kernel stack: where it sleeps (its wait channel), with symbols.
 *
 * It runs from the UART interrupt too, while a stuck hart may hold any lock, so like Linux's
 * it takes none: the tables are read as they are. A task that exits during the dump may show
 * garbage; the stack walk stays inside the task's own kernel stack. */
#include "kernel.h"
#include "sysrq.h"
#include "task.h"
#include "ksyms.h"
#include "kprintf.h"
#include "smp.h"
#include "asm/cpu.h"

static char state_letter(int state)
{
    static const char letters[] = {
        [TASK_RUNNING] = 'R', [TASK_INTERRUPTIBLE] = 'S', [TASK_UNINTERRUPTIBLE] = 'D',
        [TASK_STOPPED] = 'T', [TASK_ZOMBIE] = 'Z', [TASK_DEAD] = 'X',
    };
    return state >= 0 && state < (int)sizeof letters && letters[state] ? letters[state] : '?';
}

static void print_frame(unsigned long ra, void *arg)
{
    (void)arg;
    unsigned long off;
    const char *name = ksym_lookup(ra, &off);
    if (name)
        pr_err("        %s+0x%lx\n", name, off);
    else
        pr_err("        %016lx\n", ra);
}

static void show_task(struct task *t)
{
    struct task_private *p = t->priv;
    struct trapframe *tf = task_tf(t);
    pr_err("  %5d %5d %-15.15s %c hart %d%s%s%s upc %lx\n", t->tid, t->tgid, t->comm,
           state_letter(t->state), p->last_cpu, p->on_cpu ? " on-cpu" : "",
           p->on_rq ? " queued" : "", p->holds_bkl ? " bkl" : "", tf->regs[0]);
    if (p->on_cpu)
        return;     /* its stack is changing under us */
    unsigned long lo = (unsigned long)p->kstack, hi = lo + KSTACK_SIZE;
    print_frame(p->ctx.ra, NULL);
    backtrace_walk(p->ctx.s[0], lo, hi, print_frame, NULL);
}

static void show_task_states(bool may_sleep)
{
    pr_err("sysrq: show task states\n");
    for (int c = 0; c < NR_CPUS; c++) {
        struct cpu *cpu = &cpus[c];
        if (!cpu_is_online(c))
            continue;
        struct task *t = READ_ONCE(cpu->cur_task);
        pr_err("  hart %d: %s tid %d%s\n", c, t == cpu->idle ? "idle" : "runs",
               t && t != cpu->idle ? t->tid : 0, cpu->need_resched ? " need-resched" : "");
    }
    pr_err("    tid  tgid comm            state, hart, flags, user pc; then where it sleeps\n");
    for (pid_t tid = 1; tid < PID_MAX; tid++) {
        struct task *t = task_by_tid(tid);
        if (t)
            show_task(t);
    }
    futex_show_waiters(may_sleep);
    pr_err("sysrq: end of task states\n");
}

struct sysrq_key {
    char key;
    const char *help;
    void (*fn)(bool may_sleep);
};

static const struct sysrq_key sysrq_keys[] = {
    { 't', "show-task-states(t)", show_task_states },
};

void handle_sysrq(char key, bool may_sleep)
{
    for (size_t i = 0; i < ARRAY_SIZE(sysrq_keys); i++)
        if (sysrq_keys[i].key == key) {
            sysrq_keys[i].fn(may_sleep);
            return;
        }
    char help[128] = "";
    size_t n = 0;
    for (size_t i = 0; i < ARRAY_SIZE(sysrq_keys) && n < sizeof help; i++)
        n += (size_t)ksnprintf(help + n, sizeof help - n, " %s", sysrq_keys[i].help);
    pr_err("sysrq: HELP :%s\n", help);
}
