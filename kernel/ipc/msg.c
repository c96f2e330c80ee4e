/* SysV message queues: msgget, msgsnd, msgrcv, msgctl (Linux's ipc/msg.c).
 *
 * A queue is a list of messages and a byte budget (msg_qbytes). Senders that do not fit and
 * receivers that find nothing sleep on the queue's wait queue; every change wakes them all
 * and each checks again, which keeps Linux's answers (not its exact wake-up order). */
#include "util.h"
#include "task.h"
#include "mm.h"
#include "string.h"
#include "kprintf.h"
#include "uaccess.h"
#include "syscall.h"
#include "uapi/msg.h"
#include "uapi/stat.h"

struct msg_msg {
    struct list_head node;
    int64_t type;
    size_t size;
    char text[];
};

struct msg_queue {
    struct kern_ipc_perm perm;       /* first: the ids list holds it */
    struct list_head messages;
    uint64_t cbytes, qnum, qbytes;
    int64_t stime, rtime, ctime;
    pid_t lspid, lrpid;
    struct wait_queue wq;            /* senders and receivers */
};

static struct ipc_ids msg_ids;
static uint64_t msg_total_bytes, msg_total_hdrs;

void msg_init(void)
{
    ipc_ids_init(&msg_ids);
}

static struct msg_queue *to_queue(struct kern_ipc_perm *p) { return (struct msg_queue *)p; }

static void free_queue(struct kern_ipc_perm *p)
{
    struct msg_queue *q = to_queue(p);
    struct msg_msg *m, *n;
    list_for_each_entry_safe(m, n, &q->messages, node)
        kfree(m);
    kfree(q);
}

static long newque(int32_t key, int flg, unsigned long arg)
{
    (void)arg;
    struct msg_queue *q = kzalloc(sizeof *q);
    if (!q)
        return -ENOMEM;
    ipc_init_perm(&q->perm, key, flg);
    list_init(&q->messages);
    wait_queue_init(&q->wq);
    q->qbytes = (uint64_t)ipc_limits.msgmnb;
    q->ctime = ipc_now();
    int r = ipc_addid(&msg_ids, &q->perm, ipc_limits.msgmni);
    if (r) {
        kfree(q);
        return r;
    }
    return q->perm.id;
}

static const struct ipc_get_ops msg_get_ops = { .getnew = newque };

SYSCALL_DEFINE2(msgget, int32_t, key, int, msgflg)
{
    return ipcget(&msg_ids, key, msgflg, 0, &msg_get_ops);
}

static void remove_queue(struct msg_queue *q)
{
    struct msg_msg *m;
    list_for_each_entry(m, &q->messages, node) {
        msg_total_bytes -= m->size;
        msg_total_hdrs--;
    }
    ipc_rmid(&msg_ids, &q->perm);
    wake_up(&q->wq);                  /* sleepers see EIDRM */
    ipc_put(&q->perm, free_queue);
}

SYSCALL_DEFINE4(msgsnd, int, msqid, uaddr_t, msgp, size_t, msgsz, int, msgflg)
{
    int64_t type;
    if (copy_from_user(&type, msgp, sizeof type))
        return -EFAULT;
    if (msgsz > (size_t)ipc_limits.msgmax || (long)msgsz < 0 || msqid < 0)
        return -EINVAL;
    if (type < 1)
        return -EINVAL;
    struct msg_msg *m = kmalloc(sizeof *m + msgsz);
    if (!m)
        return -ENOMEM;
    m->type = type;
    m->size = msgsz;
    if (copy_from_user(m->text, msgp + sizeof type, msgsz)) {
        kfree(m);
        return -EFAULT;
    }
    mutex_lock(&ipc_mutex);
    long r;
    struct kern_ipc_perm *p = ipc_obtain(&msg_ids, msqid);
    if (!p) {
        r = -EINVAL;
        goto out;
    }
    struct msg_queue *q = to_queue(p);
    p->refcount++;
    for (;;) {
        if (!ipc_permitted(p, S_IWUGO)) {
            r = -EACCES;
            break;
        }
        if (p->deleted) {
            r = -EIDRM;
            break;
        }
        if (msgsz + q->cbytes <= q->qbytes && 1 + q->qnum <= q->qbytes) {
            q->lspid = current->tgid;
            q->stime = ipc_now();
            list_add_tail(&m->node, &q->messages);
            q->cbytes += msgsz;
            q->qnum++;
            msg_total_bytes += msgsz;
            msg_total_hdrs++;
            m = NULL;
            wake_up(&q->wq);
            r = 0;
            break;
        }
        if (msgflg & IPC_NOWAIT) {
            r = -EAGAIN;
            break;
        }
        ipc_sleep(&q->wq, 0);
        if (p->deleted) {
            r = -EIDRM;
            break;
        }
        if (signal_pending(current)) {
            r = -ERESTARTNOHAND;
            break;
        }
    }
    ipc_put(p, free_queue);
out:
    mutex_unlock(&ipc_mutex);
    kfree(m);
    return r;
}

enum search_mode { SEARCH_ANY, SEARCH_EQUAL, SEARCH_NOTEQUAL, SEARCH_LESSEQUAL, SEARCH_NUMBER };

static bool type_matches(const struct msg_msg *m, int64_t type, enum search_mode mode)
{
    switch (mode) {
    case SEARCH_EQUAL: return m->type == type;
    case SEARCH_NOTEQUAL: return m->type != type;
    case SEARCH_LESSEQUAL: return m->type <= type;
    default: return true;
    }
}

/* Linux's find_msg: LESSEQUAL takes the lowest type <= |msgtyp| (the first of it); NUMBER
 * (MSG_COPY) the msgtyp-th message. NULL if none. */
static struct msg_msg *find_msg(struct msg_queue *q, int64_t type, enum search_mode mode)
{
    struct msg_msg *m, *found = NULL;
    int64_t count = 0;
    list_for_each_entry(m, &q->messages, node) {
        if (!type_matches(m, type, mode))
            continue;
        if (mode == SEARCH_LESSEQUAL && m->type != 1) {
            type = m->type - 1;
            found = m;
        } else if (mode == SEARCH_NUMBER) {
            if (type == count)
                return m;
        } else {
            return m;
        }
        count++;
    }
    return found;
}

SYSCALL_DEFINE5(msgrcv, int, msqid, uaddr_t, msgp, size_t, msgsz, long, msgtyp, int, msgflg)
{
    if (msqid < 0 || (long)msgsz < 0)
        return -EINVAL;
    enum search_mode mode;
    if (msgflg & MSG_COPY) {
        if ((msgflg & MSG_EXCEPT) || !(msgflg & IPC_NOWAIT))
            return -EINVAL;
        mode = SEARCH_NUMBER;
    } else if (msgtyp == 0) {
        mode = SEARCH_ANY;
    } else if (msgtyp < 0) {
        msgtyp = msgtyp == INT64_MIN ? INT64_MAX : -msgtyp;
        mode = SEARCH_LESSEQUAL;
    } else {
        mode = (msgflg & MSG_EXCEPT) ? SEARCH_NOTEQUAL : SEARCH_EQUAL;
    }
    mutex_lock(&ipc_mutex);
    struct kern_ipc_perm *p = ipc_obtain(&msg_ids, msqid);
    if (!p) {
        mutex_unlock(&ipc_mutex);
        return -EINVAL;
    }
    struct msg_queue *q = to_queue(p);
    struct msg_msg *m = NULL;
    long r;
    p->refcount++;
    for (;;) {
        if (!ipc_permitted(p, S_IRUGO)) {
            r = -EACCES;
            break;
        }
        if (p->deleted) {
            r = -EIDRM;
            break;
        }
        m = find_msg(q, msgtyp, mode);
        if (m) {
            if (msgsz < m->size && !(msgflg & MSG_NOERROR)) {
                r = -E2BIG;
                m = NULL;
                break;
            }
            if (mode == SEARCH_NUMBER) {
                /* A copy: the message stays queued. */
                struct msg_msg *copy = kmalloc(sizeof *copy + m->size);
                if (!copy) {
                    r = -ENOMEM;
                    m = NULL;
                    break;
                }
                memcpy(copy, m, sizeof *copy + m->size);
                m = copy;
            } else {
                list_del(&m->node);
                q->qnum--;
                q->cbytes -= m->size;
                msg_total_bytes -= m->size;
                msg_total_hdrs--;
                q->rtime = ipc_now();
                q->lrpid = current->tgid;
                wake_up(&q->wq);      /* room for senders */
            }
            r = 0;
            break;
        }
        if (msgflg & IPC_NOWAIT) {
            r = -ENOMSG;
            break;
        }
        ipc_sleep(&q->wq, 0);
        if (p->deleted) {
            r = -EIDRM;
            break;
        }
        if (signal_pending(current)) {
            r = -ERESTARTNOHAND;
            break;
        }
    }
    ipc_put(p, free_queue);
    mutex_unlock(&ipc_mutex);
    if (!m)
        return r;
    /* Out of the queue now: a fault loses the message, as in Linux. */
    size_t n = MIN(msgsz, m->size);
    if (copy_to_user(msgp, &m->type, sizeof m->type) ||
        copy_to_user(msgp + sizeof m->type, m->text, n))
        r = -EFAULT;
    else
        r = (long)n;
    kfree(m);
    return r;
}

static void fill_stat(struct msg_queue *q, struct msqid64_ds *out)
{
    memset(out, 0, sizeof *out);
    ipc_fill_perm(&q->perm, &out->msg_perm);
    out->msg_stime = q->stime;
    out->msg_rtime = q->rtime;
    out->msg_ctime = q->ctime;
    out->msg_cbytes = q->cbytes;
    out->msg_qnum = q->qnum;
    out->msg_qbytes = q->qbytes;
    out->msg_lspid = q->lspid;
    out->msg_lrpid = q->lrpid;
}

static long msgctl_info(int cmd, uaddr_t buf)
{
    struct msginfo mi = {
        .msgmni = ipc_limits.msgmni, .msgmax = ipc_limits.msgmax, .msgmnb = ipc_limits.msgmnb,
        .msgssz = MSGSSZ, .msgseg = MSGSEG,
    };
    mutex_lock(&ipc_mutex);
    if (cmd == MSG_INFO) {
        mi.msgpool = msg_ids.in_use;
        mi.msgmap = (int32_t)MIN(msg_total_hdrs, (uint64_t)INT32_MAX);
        mi.msgtql = (int32_t)MIN(msg_total_bytes, (uint64_t)INT32_MAX);
    } else {
        mi.msgmap = MSGMAP;
        mi.msgpool = MSGPOOL;
        mi.msgtql = MSGTQL;
    }
    int max = ipc_max_idx(&msg_ids);
    mutex_unlock(&ipc_mutex);
    if (copy_to_user(buf, &mi, sizeof mi))
        return -EFAULT;
    return max < 0 ? 0 : max;
}

static long msgctl_stat(int msqid, int cmd, uaddr_t buf)
{
    struct msqid64_ds ds;
    mutex_lock(&ipc_mutex);
    struct kern_ipc_perm *p = cmd == IPC_STAT ? ipc_obtain(&msg_ids, msqid)
                                              : ipc_by_index(&msg_ids, msqid);
    long r;
    if (!p)
        r = -EINVAL;
    else if (cmd != MSG_STAT_ANY && !ipc_permitted(p, S_IRUGO))
        r = -EACCES;
    else {
        fill_stat(to_queue(p), &ds);
        r = cmd == IPC_STAT ? 0 : p->id;
    }
    mutex_unlock(&ipc_mutex);
    if (r >= 0 && copy_to_user(buf, &ds, sizeof ds))
        return -EFAULT;
    return r;
}

SYSCALL_DEFINE3(msgctl, int, msqid, int, cmd, uaddr_t, buf)
{
    if (msqid < 0 || cmd < 0)
        return -EINVAL;
    switch (cmd) {
    case IPC_INFO:
    case MSG_INFO:
        return msgctl_info(cmd, buf);
    case IPC_STAT:
    case MSG_STAT:
    case MSG_STAT_ANY:
        return msgctl_stat(msqid, cmd, buf);
    case IPC_SET:
    case IPC_RMID:
        break;
    default:
        return -EINVAL;
    }
    struct msqid64_ds ds;
    if (cmd == IPC_SET && copy_from_user(&ds, buf, sizeof ds))
        return -EFAULT;
    mutex_lock(&ipc_mutex);
    struct kern_ipc_perm *p = ipc_obtain(&msg_ids, msqid);
    long r = p ? ipc_owner_check(p) : -EINVAL;
    if (r == 0 && cmd == IPC_RMID) {
        remove_queue(to_queue(p));
    } else if (r == 0) {
        struct msg_queue *q = to_queue(p);
        if (ds.msg_qbytes > (uint64_t)ipc_limits.msgmnb && current->cred.euid != 0) {
            r = -EPERM;
        } else if (!(r = ipc_set_perm(p, &ds.msg_perm))) {
            q->qbytes = ds.msg_qbytes;
            q->ctime = ipc_now();
            wake_up(&q->wq);          /* senders may fit now, or lost permission */
        }
    }
    mutex_unlock(&ipc_mutex);
    return r;
}

/* /proc/sysvipc/msg, in Linux's format. */
int msg_proc_show(char *buf, size_t size)
{
    size_t len = 0;
#define OUT(...) (len += (size_t)ksnprintf(buf + MIN(len, size), size - MIN(len, size), __VA_ARGS__))
    OUT("       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid"
        "      stime      rtime      ctime\n");
    mutex_lock(&ipc_mutex);
    struct kern_ipc_perm *p;
    list_for_each_entry(p, &msg_ids.all, node) {
        struct msg_queue *q = to_queue(p);
        OUT("%10d %10d  %4o  %10llu %10llu %5u %5u %5u %5u %5u %5u %10llu %10llu %10llu\n",
            p->key, p->id, p->mode, (unsigned long long)q->cbytes,
            (unsigned long long)q->qnum, (unsigned)q->lspid, (unsigned)q->lrpid, p->uid, p->gid,
            p->cuid, p->cgid, (unsigned long long)q->stime, (unsigned long long)q->rtime,
            (unsigned long long)q->ctime);
    }
    mutex_unlock(&ipc_mutex);
#undef OUT
    return (int)len;
}
