/* SysV IPC internals shared by msg.c, sem.c and shm.c: ids and keys, permissions, the one
 * lock, and the /proc/sys limits (util.c). */
#pragma once
#include "kernel.h"
#include "list.h"
#include "mutex.h"
#include "uapi/ipc.h"

#define S_IRUGO 0444
#define S_IWUGO 0222
#define S_IXUGO 0111

/* What every queue, semaphore set and segment starts with (Linux's kern_ipc_perm). */
struct kern_ipc_perm {
    struct list_head node;   /* in ids->all, sorted by index */
    int idx;                 /* slot in the family's table, < IPCMNI */
    int id;                  /* seq << IPCMNI_SHIFT | idx: what user space holds */
    int32_t key;
    uid_t uid, gid, cuid, cgid;
    mode_t mode;             /* the 9 permission bits (plus SHM_DEST for shm) */
    uint16_t seq;
    bool deleted;            /* removed: sleepers wake to -EIDRM */
    int refcount;            /* 1 for the table, + 1 for each sleeper */
};

/* One family's table of ids. */
struct ipc_ids {
    struct list_head all;
    int in_use;
    uint16_t seq;
    int last_idx;            /* -1: none yet; the next index is searched from here */
};
void ipc_ids_init(struct ipc_ids *ids);

/* One lock for all of SysV IPC: everything below is called with it held. Sleepers drop it
 * around schedule(). */
extern struct mutex ipc_mutex;

/* Limits, as /proc/sys/kernel shows and root sets them. */
struct ipc_limits {
    int msgmax, msgmnb, msgmni;
    int semmsl, semmns, semopm, semmni;
    uint64_t shmmax, shmall, shmmni;
};
extern struct ipc_limits ipc_limits;

/* Adds p (key, mode and owner filled by ipc_init_perm) at the next free index; -ENOSPC when
 * `limit` ids are in use. p->refcount becomes 1. */
int ipc_addid(struct ipc_ids *ids, struct kern_ipc_perm *p, int limit);
/* Takes p out of the table: it can no longer be found; sleepers see p->deleted. */
void ipc_rmid(struct ipc_ids *ids, struct kern_ipc_perm *p);
/* The object an id names, or NULL (-EINVAL): wrong index or an old sequence number. */
struct kern_ipc_perm *ipc_obtain(struct ipc_ids *ids, int id);
struct kern_ipc_perm *ipc_by_index(struct ipc_ids *ids, int idx);   /* *_STAT */
int ipc_max_idx(const struct ipc_ids *ids);                          /* -1 if empty */
void ipc_init_perm(struct kern_ipc_perm *p, int32_t key, int flg);

/* Linux's ipcperms: may current access p as `flag` asks (S_IRUGO, S_IWUGO, or a get's mode
 * bits)? Root bypasses. */
bool ipc_permitted(const struct kern_ipc_perm *p, int flag);
/* IPC_SET and IPC_RMID: the owner, the creator or root; else -EPERM. */
int ipc_owner_check(const struct kern_ipc_perm *p);
void ipc_fill_perm(const struct kern_ipc_perm *p, struct ipc64_perm *out);
/* IPC_SET: new owner and mode bits; -EINVAL for an invalid uid or gid (-1). */
int ipc_set_perm(struct kern_ipc_perm *p, const struct ipc64_perm *in);

/* msgget, semget, shmget: Linux's ipcget. `arg` is the family's size (nsems, bytes). */
struct ipc_get_ops {
    long (*getnew)(int32_t key, int flg, unsigned long arg);       /* the new id or -errno */
    int (*more_checks)(struct kern_ipc_perm *p, unsigned long arg); /* optional */
};
long ipcget(struct ipc_ids *ids, int32_t key, int flg, unsigned long arg,
            const struct ipc_get_ops *ops);

/* Drops a sleeper's reference; the last one frees p with `destroy`. */
void ipc_put(struct kern_ipc_perm *p, void (*destroy)(struct kern_ipc_perm *p));

int64_t ipc_now(void);        /* CLOCK_REALTIME seconds */

/* Sleep on wq with ipc_mutex dropped, until woken, a signal or the monotonic deadline (ns,
 * 0 = none). Returns 0 when the deadline passed, else 1. */
struct wait_queue;
int ipc_sleep(struct wait_queue *wq, uint64_t deadline);

/* Each family's boot-time setup. */
void msg_init(void);
void sem_init(void);
void shm_init(void);

/* The /proc/sysvipc files (msg.c, sem.c, shm.c). */
int msg_proc_show(char *buf, size_t size);
int sem_proc_show(char *buf, size_t size);
int shm_proc_show(char *buf, size_t size);
