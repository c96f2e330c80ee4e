/* SysV IPC: ids and keys, permissions, the shared lock and sleeping, and the limits in
 * /proc/sys/kernel (Linux's ipc/util.c and ipc/ipc_sysctl.c). */
#include "util.h"
#include "ipc.h"
#include "task.h"
#include "time.h"
#include "mm.h"
#include "procfs.h"
#include "string.h"
#include "kprintf.h"
#include "uapi/msg.h"
#include "uapi/sem.h"
#include "uapi/shm.h"
#include "uapi/stat.h"

struct mutex ipc_mutex;

struct ipc_limits ipc_limits = {
    .msgmax = MSGMAX, .msgmnb = MSGMNB, .msgmni = MSGMNI,
    .semmsl = SEMMSL, .semmns = SEMMNS, .semopm = SEMOPM, .semmni = SEMMNI,
    .shmmax = SHMMAX, .shmall = SHMALL, .shmmni = SHMMNI,
};

void ipc_ids_init(struct ipc_ids *ids)
{
    list_init(&ids->all);
    ids->in_use = 0;
    ids->seq = 0;
    ids->last_idx = -1;
}

static bool idx_taken(struct ipc_ids *ids, int idx, struct list_head **before)
{
    struct kern_ipc_perm *p;
    *before = &ids->all;
    list_for_each_entry(p, &ids->all, node) {
        if (p->idx == idx)
            return true;
        if (p->idx > idx) {
            *before = &p->node;
            return false;
        }
    }
    return false;
}

/* Indexes are handed out cyclically from the last one, and the sequence number goes up each
 * time the search wraps, as Linux's idr_alloc_cyclic does: a removed id is not reused at
 * once. */
int ipc_addid(struct ipc_ids *ids, struct kern_ipc_perm *p, int limit)
{
    if (ids->in_use >= limit || ids->in_use >= IPCMNI)
        return -ENOSPC;
    int idx = ids->last_idx + 1;
    struct list_head *before;
    for (int n = 0; n < IPCMNI; n++, idx++) {
        if (idx >= IPCMNI)
            idx = 0;
        if (!idx_taken(ids, idx, &before))
            break;
    }
    if (idx <= ids->last_idx)
        ids->seq = (uint16_t)((ids->seq + 1) % (INT32_MAX >> IPCMNI_SHIFT));
    ids->last_idx = idx;
    p->idx = idx;
    p->seq = ids->seq;
    p->id = (int)((uint32_t)p->seq << IPCMNI_SHIFT) | idx;
    p->deleted = false;
    p->refcount = 1;
    __list_add(&p->node, before->prev, before);
    ids->in_use++;
    return 0;
}

void ipc_rmid(struct ipc_ids *ids, struct kern_ipc_perm *p)
{
    list_del(&p->node);
    ids->in_use--;
    p->deleted = true;
}

struct kern_ipc_perm *ipc_by_index(struct ipc_ids *ids, int idx)
{
    struct kern_ipc_perm *p;
    list_for_each_entry(p, &ids->all, node)
        if (p->idx == idx)
            return p;
    return NULL;
}

struct kern_ipc_perm *ipc_obtain(struct ipc_ids *ids, int id)
{
    if (id < 0)
        return NULL;
    struct kern_ipc_perm *p = ipc_by_index(ids, id & (IPCMNI - 1));
    return p && p->id == id ? p : NULL;
}

int ipc_max_idx(const struct ipc_ids *ids)
{
    if (list_empty(&ids->all))
        return -1;
    return list_entry(ids->all.prev, struct kern_ipc_perm, node)->idx;
}

void ipc_init_perm(struct kern_ipc_perm *p, int32_t key, int flg)
{
    p->key = key;
    p->mode = (mode_t)flg & 0777;
    p->uid = p->cuid = current->cred.euid;
    p->gid = p->cgid = current->cred.egid;
}

static bool in_group(gid_t g)
{
    const struct cred *c = &current->cred;
    if (c->fsgid == g)
        return true;
    for (int i = 0; i < c->ngroups; i++)
        if (c->groups[i] == g)
            return true;
    return false;
}

bool ipc_permitted(const struct kern_ipc_perm *p, int flag)
{
    const struct cred *c = &current->cred;
    int requested = (flag >> 6) | (flag >> 3) | flag;
    int granted = (int)p->mode;
    if (c->euid == p->cuid || c->euid == p->uid)
        granted >>= 6;
    else if (in_group(p->cgid) || in_group(p->gid))
        granted >>= 3;
    return !(requested & ~granted & 07) || c->euid == 0;
}

int ipc_owner_check(const struct kern_ipc_perm *p)
{
    uid_t euid = current->cred.euid;
    return euid == p->cuid || euid == p->uid || euid == 0 ? 0 : -EPERM;
}

void ipc_fill_perm(const struct kern_ipc_perm *p, struct ipc64_perm *out)
{
    memset(out, 0, sizeof *out);
    out->key = p->key;
    out->uid = p->uid;
    out->gid = p->gid;
    out->cuid = p->cuid;
    out->cgid = p->cgid;
    out->mode = p->mode;
    out->seq = p->seq;
}

int ipc_set_perm(struct kern_ipc_perm *p, const struct ipc64_perm *in)
{
    if (in->uid == (uint32_t)-1 || in->gid == (uint32_t)-1)
        return -EINVAL;
    p->uid = in->uid;
    p->gid = in->gid;
    p->mode = (p->mode & ~0777u) | (in->mode & 0777);
    return 0;
}

static struct kern_ipc_perm *find_key(struct ipc_ids *ids, int32_t key)
{
    struct kern_ipc_perm *p;
    list_for_each_entry(p, &ids->all, node)
        if (p->key == key)
            return p;
    return NULL;
}

long ipcget(struct ipc_ids *ids, int32_t key, int flg, unsigned long arg,
            const struct ipc_get_ops *ops)
{
    mutex_lock(&ipc_mutex);
    long r;
    struct kern_ipc_perm *p = key == IPC_PRIVATE ? NULL : find_key(ids, key);
    if (key == IPC_PRIVATE) {
        r = ops->getnew(key, flg, arg);
    } else if (!p) {
        r = (flg & IPC_CREAT) ? ops->getnew(key, flg, arg) : -ENOENT;
    } else if ((flg & IPC_CREAT) && (flg & IPC_EXCL)) {
        r = -EEXIST;
    } else {
        r = ops->more_checks ? ops->more_checks(p, arg) : 0;
        if (!r)
            r = ipc_permitted(p, flg) ? p->id : -EACCES;
    }
    mutex_unlock(&ipc_mutex);
    return r;
}

void ipc_put(struct kern_ipc_perm *p, void (*destroy)(struct kern_ipc_perm *p))
{
    if (--p->refcount == 0)
        destroy(p);
}

int64_t ipc_now(void)
{
    struct kernel_timespec ts;
    ktime_real(&ts);
    return ts.tv_sec;
}

int ipc_sleep(struct wait_queue *wq, uint64_t deadline)
{
    struct wait_entry we;
    prepare_to_wait(wq, &we, TASK_INTERRUPTIBLE);
    mutex_unlock(&ipc_mutex);
    int r = 1;
    if (!signal_pending(current))
        r = schedule_timeout(deadline);
    finish_wait(wq, &we);
    set_current_state(TASK_RUNNING);
    mutex_lock(&ipc_mutex);
    return r;
}

/* ---- /proc/sys/kernel: read by anyone, written by root (the file mode says so) ---- */

/* Parses up to n integers separated by blanks (proc_dointvec): the count, or -EINVAL. */
static int parse_values(const char *buf, size_t len, int64_t *vals, int n, bool is_unsigned)
{
    size_t i = 0;
    int got = 0;
    while (i < len) {
        while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n'))
            i++;
        if (i == len)
            break;
        if (got == n)
            return -EINVAL;
        bool neg = false;
        if (buf[i] == '-' && !is_unsigned) {
            neg = true;
            i++;
        }
        if (i == len || buf[i] < '0' || buf[i] > '9')
            return -EINVAL;
        uint64_t v = 0;
        while (i < len && buf[i] >= '0' && buf[i] <= '9') {
            uint64_t d = (uint64_t)(buf[i++] - '0');
            if (v > (UINT64_MAX - d) / 10)
                return -EINVAL;
            v = v * 10 + d;
        }
        if (i < len && buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n')
            return -EINVAL;
        if (!is_unsigned && v > (uint64_t)INT32_MAX + neg)
            return -EINVAL;
        vals[got++] = neg ? -(int64_t)v : (int64_t)v;
    }
    return got ? got : -EINVAL;
}

/* An int limit in [0, max]. */
static int store_int(int *where, int64_t max, const char *buf, size_t len)
{
    int64_t v;
    int n = parse_values(buf, len, &v, 1, false);
    if (n < 0)
        return n;
    if (v < 0 || v > max)
        return -EINVAL;
    mutex_lock(&ipc_mutex);
    *where = (int)v;
    mutex_unlock(&ipc_mutex);
    return 0;
}

static int store_ulong(uint64_t *where, uint64_t max, const char *buf, size_t len)
{
    int64_t v;
    int n = parse_values(buf, len, &v, 1, true);
    if (n < 0)
        return n;
    if ((uint64_t)v > max)
        return -EINVAL;
    mutex_lock(&ipc_mutex);
    *where = (uint64_t)v;
    mutex_unlock(&ipc_mutex);
    return 0;
}

#define INT_SYSCTL(name, max)                                                           \
    static int show_##name(char *buf, size_t size)                                      \
    {                                                                                   \
        return ksnprintf(buf, size, "%d\n", ipc_limits.name);                           \
    }                                                                                   \
    static int store_##name(const char *buf, size_t len)                               \
    {                                                                                   \
        return store_int(&ipc_limits.name, max, buf, len);                              \
    }
#define ULONG_SYSCTL(name, max)                                                         \
    static int show_##name(char *buf, size_t size)                                      \
    {                                                                                   \
        return ksnprintf(buf, size, "%llu\n", (unsigned long long)ipc_limits.name);     \
    }                                                                                   \
    static int store_##name(const char *buf, size_t len)                               \
    {                                                                                   \
        return store_ulong(&ipc_limits.name, max, buf, len);                            \
    }
INT_SYSCTL(msgmax, INT32_MAX)
INT_SYSCTL(msgmnb, INT32_MAX)
INT_SYSCTL(msgmni, IPCMNI)
ULONG_SYSCTL(shmmax, UINT64_MAX)
ULONG_SYSCTL(shmall, UINT64_MAX)
ULONG_SYSCTL(shmmni, IPCMNI)

/* sem: SEMMSL SEMMNS SEMOPM SEMMNI, tab-separated; SEMMNI at most IPCMNI. */
static int show_sem(char *buf, size_t size)
{
    return ksnprintf(buf, size, "%d\t%d\t%d\t%d\n", ipc_limits.semmsl, ipc_limits.semmns,
                     ipc_limits.semopm, ipc_limits.semmni);
}

static int store_sem(const char *buf, size_t len)
{
    int64_t v[4];
    int n = parse_values(buf, len, v, 4, false);
    if (n < 0)
        return n;
    if (n == 4 && (v[3] < 0 || v[3] > IPCMNI))
        return -EINVAL;
    mutex_lock(&ipc_mutex);
    int *fields[4] = { &ipc_limits.semmsl, &ipc_limits.semmns, &ipc_limits.semopm,
                       &ipc_limits.semmni };
    for (int i = 0; i < n; i++)
        *fields[i] = (int)v[i];
    mutex_unlock(&ipc_mutex);
    return 0;
}

static const struct {
    const char *name;
    procfs_show_fn show;
    procfs_store_fn store;
} sysctls[] = {
    { "msgmax", show_msgmax, store_msgmax },
    { "msgmnb", show_msgmnb, store_msgmnb },
    { "msgmni", show_msgmni, store_msgmni },
    { "sem", show_sem, store_sem },
    { "shmall", show_shmall, store_shmall },
    { "shmmax", show_shmmax, store_shmmax },
    { "shmmni", show_shmmni, store_shmmni },
};

static const struct {
    const char *name;
    procfs_show_fn show;
} proc_files[] = {
    { "msg", msg_proc_show },
    { "sem", sem_proc_show },
    { "shm", shm_proc_show },
};

void ipc_init(void)
{
    mutex_init(&ipc_mutex);
    msg_init();
    sem_init();
    shm_init();
    for (size_t i = 0; i < ARRAY_SIZE(sysctls); i++)
        if (procfs_register_sysctl("kernel", sysctls[i].name, sysctls[i].show, sysctls[i].store))
            pr_warn("ipc: cannot add /proc/sys/kernel/%s", sysctls[i].name);
    for (size_t i = 0; i < ARRAY_SIZE(proc_files); i++)
        if (procfs_register_file("sysvipc", proc_files[i].name, proc_files[i].show))
            pr_warn("ipc: cannot add /proc/sysvipc/%s", proc_files[i].name);
}
