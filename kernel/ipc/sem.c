/* SysV semaphores: semget, semop, semtimedop, semctl, and SEM_UNDO (Linux's ipc/sem.c).
 *
 * A semop applies all its operations or none: they are applied in order to the set and
 * rolled back when one would block or fail. A task that must wait sleeps on the set's wait
 * queue, registered in `pending` so GETNCNT/GETZCNT can count it; every change wakes all
 * sleepers, and each tries its operations again.
 *
 * SEM_UNDO: each task points at an undo list (shared by CLONE_SYSVSEM threads), which holds
 * one entry per set the process used SEM_UNDO on: the adjustment that reverses what it did.
 * The last thread to exit applies it (exit_sem). Removing a set drops its entries; SETVAL and
 * SETALL zero them. */
#include "util.h"
#include "ipc.h"
#include "task.h"
#include "time.h"
#include "mm.h"
#include "string.h"
#include "kprintf.h"
#include "uaccess.h"
#include "syscall.h"
#include "uapi/sem.h"
#include "uapi/sched.h"

struct sem {
    int semval;
    pid_t sempid;
};

struct sem_array {
    struct kern_ipc_perm perm;       /* first: the ids list holds it */
    int nsems;
    int64_t otime, ctime;
    struct wait_queue wq;            /* tasks waiting in semop */
    struct list_head pending;        /* their struct sem_waiter */
    struct list_head undos;          /* struct sem_undo.set_node */
    struct sem sems[];
};

struct sem_waiter {                  /* on the sleeper's stack */
    struct list_head node;
    int semnum;
    bool for_zero;                   /* GETZCNT; else GETNCNT */
};

struct sem_undo_list {
    int refcount;                    /* tasks sharing it */
    struct list_head undos;          /* struct sem_undo.list_node */
};

struct sem_undo {
    struct list_head list_node;      /* in the undo list */
    struct list_head set_node;       /* in the set's undos */
    struct sem_array *sma;
    int semid;
    int semadj[];
};

static struct ipc_ids sem_ids;
static int used_sems;

void sem_init(void)
{
    ipc_ids_init(&sem_ids);
}

static struct sem_array *to_set(struct kern_ipc_perm *p) { return (struct sem_array *)p; }

static void free_set(struct kern_ipc_perm *p)
{
    kfree(to_set(p));
}

static long newary(int32_t key, int flg, unsigned long nsems)
{
    if (nsems == 0)
        return -EINVAL;
    if ((uint64_t)used_sems + nsems > (uint64_t)ipc_limits.semmns)
        return -ENOSPC;
    struct sem_array *sma = kzalloc(sizeof *sma + nsems * sizeof(struct sem));
    if (!sma)
        return -ENOMEM;
    ipc_init_perm(&sma->perm, key, flg);
    sma->nsems = (int)nsems;
    wait_queue_init(&sma->wq);
    list_init(&sma->pending);
    list_init(&sma->undos);
    sma->ctime = ipc_now();
    int r = ipc_addid(&sem_ids, &sma->perm, ipc_limits.semmni);
    if (r) {
        kfree(sma);
        return r;
    }
    used_sems += (int)nsems;
    return sma->perm.id;
}

static int sem_more_checks(struct kern_ipc_perm *p, unsigned long nsems)
{
    return nsems > (unsigned long)to_set(p)->nsems ? -EINVAL : 0;
}

static const struct ipc_get_ops sem_get_ops = { .getnew = newary, .more_checks = sem_more_checks };

SYSCALL_DEFINE3(semget, int32_t, key, int, nsems, int, semflg)
{
    if (nsems < 0 || nsems > ipc_limits.semmsl)
        return -EINVAL;
    return ipcget(&sem_ids, key, semflg, (unsigned long)nsems, &sem_get_ops);
}

static void free_undo(struct sem_undo *un)
{
    list_del(&un->list_node);
    list_del(&un->set_node);
    kfree(un);
}

static void remove_set(struct sem_array *sma)
{
    while (!list_empty(&sma->undos))
        free_undo(list_entry(sma->undos.next, struct sem_undo, set_node));
    used_sems -= sma->nsems;
    ipc_rmid(&sem_ids, &sma->perm);
    wake_up(&sma->wq);                /* sleepers see EIDRM */
    ipc_put(&sma->perm, free_set);
}

static void clear_undos(struct sem_array *sma, int semnum)   /* -1: every semaphore */
{
    struct sem_undo *un;
    list_for_each_entry(un, &sma->undos, set_node) {
        if (semnum < 0)
            memset(un->semadj, 0, sizeof(int) * (size_t)sma->nsems);
        else
            un->semadj[semnum] = 0;
    }
}

/* ---- undo lists ---- */

static struct sem_undo_list *get_undo_list(struct task *t)
{
    struct sem_undo_list *ulp = t->priv->sysvsem;
    if (!ulp && (ulp = kzalloc(sizeof *ulp))) {
        ulp->refcount = 1;
        list_init(&ulp->undos);
        t->priv->sysvsem = ulp;
    }
    return ulp;
}

/* The current process's undo entry for semid, made if needed. -EINVAL: no such set. */
static struct sem_undo *find_alloc_undo(int semid, int *err)
{
    struct sem_undo_list *ulp = get_undo_list(current);
    if (!ulp) {
        *err = -ENOMEM;
        return NULL;
    }
    struct sem_undo *un;
    list_for_each_entry(un, &ulp->undos, list_node)
        if (un->semid == semid)
            return un;
    struct kern_ipc_perm *p = ipc_obtain(&sem_ids, semid);
    if (!p) {
        *err = -EINVAL;
        return NULL;
    }
    struct sem_array *sma = to_set(p);
    un = kzalloc(sizeof *un + sizeof(int) * (size_t)sma->nsems);
    if (!un) {
        *err = -ENOMEM;
        return NULL;
    }
    un->sma = sma;
    un->semid = semid;
    list_add_tail(&un->list_node, &ulp->undos);
    list_add_tail(&un->set_node, &sma->undos);
    return un;
}

int copy_semundo(unsigned long clone_flags, struct task *child)
{
    child->priv->sysvsem = NULL;
    if (!(clone_flags & CLONE_SYSVSEM))
        return 0;
    mutex_lock(&ipc_mutex);
    struct sem_undo_list *ulp = get_undo_list(current);
    if (ulp) {
        ulp->refcount++;
        child->priv->sysvsem = ulp;
    }
    mutex_unlock(&ipc_mutex);
    return ulp ? 0 : -ENOMEM;
}

/* Applied as Linux does: each value moves by its adjustment, clamped to [0, SEMVMX]. */
void exit_sem(struct task *t)
{
    struct sem_undo_list *ulp = t->priv->sysvsem;
    if (!ulp)
        return;
    mutex_lock(&ipc_mutex);
    t->priv->sysvsem = NULL;
    if (--ulp->refcount > 0) {
        mutex_unlock(&ipc_mutex);
        return;
    }
    while (!list_empty(&ulp->undos)) {
        struct sem_undo *un = list_entry(ulp->undos.next, struct sem_undo, list_node);
        struct sem_array *sma = un->sma;
        for (int i = 0; i < sma->nsems; i++) {
            if (!un->semadj[i])
                continue;
            struct sem *s = &sma->sems[i];
            s->semval = MAX(0, MIN(SEMVMX, s->semval + un->semadj[i]));
            s->sempid = t->tgid;
        }
        wake_up(&sma->wq);
        free_undo(un);
    }
    mutex_unlock(&ipc_mutex);
    kfree(ulp);
}

/* ---- semop ---- */

/* All operations or none. 0 done; 1 the operation *blocking would wait; -EAGAIN it would
 * wait but has IPC_NOWAIT; -ERANGE a value or an adjustment out of range. */
static int try_semops(struct sem_array *sma, const struct sembuf *sops, unsigned nsops,
                      struct sem_undo *un, unsigned *blocking)
{
    unsigned i;
    int r = 0;
    for (i = 0; i < nsops; i++) {
        const struct sembuf *sop = &sops[i];
        struct sem *s = &sma->sems[sop->sem_num];
        int result = s->semval;
        if ((sop->sem_op == 0 && result != 0) || result + sop->sem_op < 0) {
            *blocking = i;
            r = (sop->sem_flg & IPC_NOWAIT) ? -EAGAIN : 1;
            break;
        }
        result += sop->sem_op;
        if (result > SEMVMX) {
            r = -ERANGE;
            break;
        }
        if (sop->sem_flg & SEM_UNDO) {
            int undo = un->semadj[sop->sem_num] - sop->sem_op;
            if (undo < -SEMAEM - 1 || undo > SEMAEM) {
                r = -ERANGE;
                break;
            }
            un->semadj[sop->sem_num] = undo;
        }
        s->semval = result;
    }
    if (r == 0) {
        for (i = 0; i < nsops; i++)
            sma->sems[sops[i].sem_num].sempid = current->tgid;
        return 0;
    }
    while (i-- > 0) {                  /* undo what was applied, last first */
        sma->sems[sops[i].sem_num].semval -= sops[i].sem_op;
        if (sops[i].sem_flg & SEM_UNDO)
            un->semadj[sops[i].sem_num] += sops[i].sem_op;
    }
    return r;
}

static long do_semtimedop(int semid, uaddr_t tsops, unsigned nsops, const struct kernel_timespec *timeout)
{
    if (nsops > (unsigned)ipc_limits.semopm)
        return -E2BIG;
    if (nsops < 1)
        return -EINVAL;
    struct sembuf *sops = kmalloc(sizeof *sops * nsops);
    if (!sops)
        return -ENOMEM;
    long r;
    if (copy_from_user(sops, tsops, sizeof *sops * nsops)) {
        r = -EFAULT;
        goto out_free;
    }
    r = -EINVAL;
    if (semid < 0)
        goto out_free;
    uint64_t deadline = 0;
    if (timeout) {
        if (timeout->tv_sec < 0 || timeout->tv_nsec < 0 || timeout->tv_nsec >= 1000000000L)
            goto out_free;
        deadline = ktime_mono_ns() + (uint64_t)timeout->tv_sec * 1000000000ULL +
                   (uint64_t)timeout->tv_nsec;
    }
    unsigned max = 0;
    bool undos = false, alter = false;
    for (unsigned i = 0; i < nsops; i++) {
        max = MAX(max, sops[i].sem_num);
        undos |= (sops[i].sem_flg & SEM_UNDO) != 0;
        alter |= sops[i].sem_op != 0;
    }
    mutex_lock(&ipc_mutex);
    struct sem_undo *un = NULL;
    if (undos) {
        int err = 0;
        un = find_alloc_undo(semid, &err);
        if (!un) {
            r = err;
            goto out_unlock;
        }
    }
    struct kern_ipc_perm *p = ipc_obtain(&sem_ids, semid);
    if (!p) {
        r = -EINVAL;
        goto out_unlock;
    }
    struct sem_array *sma = to_set(p);
    if (max >= (unsigned)sma->nsems) {
        r = -EFBIG;
        goto out_unlock;
    }
    if (!ipc_permitted(p, alter ? S_IWUGO : S_IRUGO)) {
        r = -EACCES;
        goto out_unlock;
    }
    p->refcount++;
    for (;;) {
        unsigned blocking = 0;
        r = try_semops(sma, sops, nsops, un, &blocking);
        if (r == 0) {
            sma->otime = ipc_now();
            if (alter)
                wake_up(&sma->wq);
            break;
        }
        if (r < 0)
            break;
        if (signal_pending(current)) {
            r = -EINTR;
            break;
        }
        struct sem_waiter w = { .semnum = sops[blocking].sem_num,
                                .for_zero = sops[blocking].sem_op == 0 };
        list_add_tail(&w.node, &sma->pending);
        int in_time = ipc_sleep(&sma->wq, deadline);
        list_del(&w.node);
        if (p->deleted) {
            r = -EIDRM;
            break;
        }
        if (!in_time) {               /* one last try, then EAGAIN */
            r = try_semops(sma, sops, nsops, un, &blocking);
            if (r == 0) {
                sma->otime = ipc_now();
                if (alter)
                    wake_up(&sma->wq);
            } else if (r > 0) {
                r = -EAGAIN;
            }
            break;
        }
    }
    ipc_put(p, free_set);
out_unlock:
    mutex_unlock(&ipc_mutex);
out_free:
    kfree(sops);
    return r;
}

SYSCALL_DEFINE4(semtimedop, int, semid, uaddr_t, tsops, unsigned, nsops, uaddr_t, timeout)
{
    if (timeout) {
        struct kernel_timespec ts;
        if (copy_from_user(&ts, timeout, sizeof ts))
            return -EFAULT;
        return do_semtimedop(semid, tsops, nsops, &ts);
    }
    return do_semtimedop(semid, tsops, nsops, NULL);
}

SYSCALL_DEFINE3(semop, int, semid, uaddr_t, tsops, unsigned, nsops)
{
    return do_semtimedop(semid, tsops, nsops, NULL);
}

/* ---- semctl ---- */

static int count_waiters(struct sem_array *sma, int semnum, bool for_zero)
{
    int n = 0;
    struct sem_waiter *w;
    list_for_each_entry(w, &sma->pending, node)
        n += w->semnum == semnum && w->for_zero == for_zero;
    return n;
}

static long semctl_info(int cmd, uaddr_t buf)
{
    struct seminfo si = {
        .semmni = ipc_limits.semmni, .semmns = ipc_limits.semmns,
        .semmsl = ipc_limits.semmsl, .semopm = ipc_limits.semopm, .semvmx = SEMVMX,
        .semmnu = SEMMNU, .semmap = SEMMAP, .semume = SEMUME,
    };
    mutex_lock(&ipc_mutex);
    if (cmd == SEM_INFO) {
        si.semusz = sem_ids.in_use;
        si.semaem = used_sems;
    } else {
        si.semusz = SEMUSZ;
        si.semaem = SEMAEM;
    }
    int max = ipc_max_idx(&sem_ids);
    mutex_unlock(&ipc_mutex);
    if (copy_to_user(buf, &si, sizeof si))
        return -EFAULT;
    return max < 0 ? 0 : max;
}

static long semctl_stat(int semid, int cmd, uaddr_t buf)
{
    struct semid64_ds ds;
    memset(&ds, 0, sizeof ds);
    mutex_lock(&ipc_mutex);
    struct kern_ipc_perm *p = cmd == IPC_STAT ? ipc_obtain(&sem_ids, semid)
                                              : ipc_by_index(&sem_ids, semid);
    long r;
    if (!p) {
        r = -EINVAL;
    } else if (cmd != SEM_STAT_ANY && !ipc_permitted(p, S_IRUGO)) {
        r = -EACCES;
    } else {
        struct sem_array *sma = to_set(p);
        ipc_fill_perm(p, &ds.sem_perm);
        ds.sem_otime = sma->otime;
        ds.sem_ctime = sma->ctime;
        ds.sem_nsems = (uint64_t)sma->nsems;
        r = cmd == IPC_STAT ? 0 : p->id;
    }
    mutex_unlock(&ipc_mutex);
    if (r >= 0 && copy_to_user(buf, &ds, sizeof ds))
        return -EFAULT;
    return r;
}

static long semctl_setval(int semid, int semnum, int val)
{
    if (val > SEMVMX || val < 0)
        return -ERANGE;
    mutex_lock(&ipc_mutex);
    struct kern_ipc_perm *p = ipc_obtain(&sem_ids, semid);
    long r = 0;
    if (!p) {
        r = -EINVAL;
    } else if (semnum < 0 || semnum >= to_set(p)->nsems) {
        r = -EINVAL;
    } else if (!ipc_permitted(p, S_IWUGO)) {
        r = -EACCES;
    } else {
        struct sem_array *sma = to_set(p);
        clear_undos(sma, semnum);
        sma->sems[semnum].semval = val;
        sma->sems[semnum].sempid = current->tgid;
        sma->ctime = ipc_now();
        wake_up(&sma->wq);
    }
    mutex_unlock(&ipc_mutex);
    return r;
}

/* GETALL, SETALL, GETVAL, GETPID, GETNCNT, GETZCNT. The array for GETALL and SETALL is
 * copied with the lock dropped (a user copy may fault and sleep). */
static long semctl_main(int semid, int semnum, int cmd, uaddr_t arg)
{
    uint16_t *vals = NULL;
    long r;
    int nsems;
    mutex_lock(&ipc_mutex);
    struct kern_ipc_perm *p = ipc_obtain(&sem_ids, semid);
    if (!p) {
        mutex_unlock(&ipc_mutex);
        return -EINVAL;
    }
    struct sem_array *sma = to_set(p);
    nsems = sma->nsems;
    if (!ipc_permitted(p, cmd == SETALL ? S_IWUGO : S_IRUGO)) {
        mutex_unlock(&ipc_mutex);
        return -EACCES;
    }
    if (cmd == GETALL || cmd == SETALL) {
        p->refcount++;
        mutex_unlock(&ipc_mutex);
        vals = kmalloc(sizeof *vals * (size_t)nsems);
        r = vals ? 0 : -ENOMEM;
        if (!r && cmd == SETALL) {
            if (copy_from_user(vals, arg, sizeof *vals * (size_t)nsems))
                r = -EFAULT;
            for (int i = 0; !r && i < nsems; i++)
                if (vals[i] > SEMVMX)
                    r = -ERANGE;
        }
        mutex_lock(&ipc_mutex);
        if (!r && p->deleted)
            r = -EIDRM;
        if (!r && cmd == SETALL) {
            for (int i = 0; i < nsems; i++) {
                sma->sems[i].semval = vals[i];
                sma->sems[i].sempid = current->tgid;
            }
            clear_undos(sma, -1);
            sma->ctime = ipc_now();
            wake_up(&sma->wq);
        } else if (!r) {
            for (int i = 0; i < nsems; i++)
                vals[i] = (uint16_t)sma->sems[i].semval;
        }
        ipc_put(p, free_set);
        mutex_unlock(&ipc_mutex);
        if (!r && cmd == GETALL && copy_to_user(arg, vals, sizeof *vals * (size_t)nsems))
            r = -EFAULT;
        kfree(vals);
        return r;
    }
    if (semnum < 0 || semnum >= nsems)
        r = -EINVAL;
    else if (cmd == GETVAL)
        r = sma->sems[semnum].semval;
    else if (cmd == GETPID)
        r = sma->sems[semnum].sempid;
    else
        r = count_waiters(sma, semnum, cmd == GETZCNT);
    mutex_unlock(&ipc_mutex);
    return r;
}

SYSCALL_DEFINE4(semctl, int, semid, int, semnum, int, cmd, unsigned long, arg)
{
    if (semid < 0)
        return -EINVAL;
    switch (cmd) {
    case IPC_INFO:
    case SEM_INFO:
        return semctl_info(cmd, arg);
    case IPC_STAT:
    case SEM_STAT:
    case SEM_STAT_ANY:
        return semctl_stat(semid, cmd, arg);
    case GETALL:
    case GETVAL:
    case GETPID:
    case GETNCNT:
    case GETZCNT:
    case SETALL:
        return semctl_main(semid, semnum, cmd, arg);
    case SETVAL:
        return semctl_setval(semid, semnum, (int)arg);
    case IPC_SET:
    case IPC_RMID:
        break;
    default:
        return -EINVAL;
    }
    struct semid64_ds ds;
    if (cmd == IPC_SET && copy_from_user(&ds, arg, sizeof ds))
        return -EFAULT;
    mutex_lock(&ipc_mutex);
    struct kern_ipc_perm *p = ipc_obtain(&sem_ids, semid);
    long r = p ? ipc_owner_check(p) : -EINVAL;
    if (r == 0 && cmd == IPC_RMID) {
        remove_set(to_set(p));
    } else if (r == 0 && !(r = ipc_set_perm(p, &ds.sem_perm))) {
        to_set(p)->ctime = ipc_now();
    }
    mutex_unlock(&ipc_mutex);
    return r;
}

/* /proc/sysvipc/sem, in Linux's format. */
int sem_proc_show(char *buf, size_t size)
{
    size_t len = 0;
#define OUT(...) (len += (size_t)ksnprintf(buf + MIN(len, size), size - MIN(len, size), __VA_ARGS__))
    OUT("       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n");
    mutex_lock(&ipc_mutex);
    struct kern_ipc_perm *p;
    list_for_each_entry(p, &sem_ids.all, node) {
        struct sem_array *sma = to_set(p);
        OUT("%10d %10d  %4o %10u %5u %5u %5u %5u %10llu %10llu\n", p->key, p->id, p->mode,
            (unsigned)sma->nsems, p->uid, p->gid, p->cuid, p->cgid,
            (unsigned long long)sma->otime, (unsigned long long)sma->ctime);
    }
    mutex_unlock(&ipc_mutex);
#undef OUT
    return (int)len;
}
