/* AF_UNIX sockets: SOCK_STREAM, SOCK_DGRAM and SOCK_SEQPACKET between processes of this
 * machine, named by a filesystem node (bind creates an S_IFSOCK inode; connect finds the
 * socket bound to that inode), by an abstract name (leading NUL byte), or unnamed; socketpair,
 * listen/accept, shutdown, SCM_RIGHTS and SCM_CREDENTIALS, SO_PEERCRED, poll.
 *
 * Shape (as in Linux): a connection-oriented connect() immediately makes the server side of
 * the connection (an "embryo" unix_sock with no struct socket yet) and queues it on the
 * listener; accept() attaches the first embryo to the new socket. Data travels as `unix_skb`s
 * queued on the receiver: one per datagram/record, or chunks of a byte stream.
 *
 * Locking: one mutex, unix_mutex, protects every unix_sock, the name tables and the queues.
 * AF_UNIX traffic is light on this system, and a single lock makes connect/release/send, which
 * touch two or three sockets at once, simple and deadlock-free. Nobody sleeps holding it, and
 * nothing that may re-enter this file (file_put on a passed socket, iput) runs under it: such
 * work is collected and done after unlocking.
 *
 * Waiting: a reader sleeps on its own socket's queue (sock->wq); a stream/seqpacket writer on
 * its own queue too (the reader wakes its peer's socket when it frees room); a datagram sender,
 * which may not know who will drain the target, sleeps on the global unix_dgram_wait; a
 * connect() waiting for backlog room on unix_conn_wait. Global queues are never freed, so poll
 * may register them safely. */
#include "kernel.h"
#include "net.h"
#include "../fs/vfs.h"
#include "mm.h"
#include "string.h"
#include "uaccess.h"
#include "kprintf.h"

#define UNIX_PATH_MAX 108
struct sockaddr_un {
    sa_family_t sun_family;
    char sun_path[UNIX_PATH_MAX];
};
#define SUN_PATH_OFF 2

#define SCM_MAX_FD 253
#define MAX_DGRAM_QLEN 10          /* net.unix.max_dgram_qlen */
#define STREAM_CHUNK (16384 - 256) /* bytes per stream skb: keeps allocations at 4 pages */
#define RCV_SHUTDOWN 1u
#define SEND_SHUTDOWN 2u
#define SHUTDOWN_MASK 3u
#define FIONREAD 0x541B
/* What a queued message costs beyond its data, for the buffer limits: without it a flood of
 * empty messages would be free (Linux counts the skb's truesize). */
#define SKB_OVERHEAD 256

enum unix_state { US_UNCONNECTED, US_LISTENING, US_CONNECTED };

/* A bound name, shared (refcounted) by the socket, its accepted children and queued skbs. */
struct unix_addr {
    int refcount;
    int len;                        /* sockaddr length as getsockname reports it */
    struct sockaddr_un sun;
};

struct unix_skb {
    struct list_head link;
    size_t len, off;                /* data bytes; bytes already read (streams) */
    struct unix_addr *addr;         /* sender's name (+ref) or NULL */
    struct ucred cred;              /* sender's credentials */
    struct file **fds;              /* SCM_RIGHTS in flight (each +1 ref) */
    unsigned nfds;
    char data[];
};

struct unix_sock {
    int refcount;                   /* the socket, peers pointing here, an accept queue */
    int type;
    enum unix_state state;
    struct socket *sock;            /* NULL for an embryo and after release */
    struct unix_sock *peer;         /* +1 ref */
    struct unix_addr *addr;         /* +1 ref */
    struct inode *inode;            /* path name: the bound node (+1 ref) */
    struct list_head name_link;     /* in unix_names while bound */
    struct list_head all_link;      /* in unix_all (/proc/net/unix) */
    bool named, binding, dead;
    unsigned shutdown;              /* RCV_SHUTDOWN | SEND_SHUTDOWN */
    int err;                        /* pending error (negative errno): SO_ERROR */
    struct list_head rq;            /* unix_skbs */
    size_t rq_bytes;                /* data bytes queued (FIONREAD) */
    size_t rq_mem;                  /* bytes + per-message overhead: what the limits count */
    unsigned rq_count;
    struct list_head accept_q;      /* embryos (listeners) */
    unsigned accept_count;
    int backlog;
    struct list_head accept_link;   /* in the listener's accept_q (embryos) */
    struct ucred peercred;          /* SO_PEERCRED */
    bool has_peercred;
    struct ucred listen_cred;       /* the listener's creds, given to connecting clients */
    unsigned inflight;              /* times our file sits in queued messages (atomic) */
    /* Garbage collection scratch (unix_gc, under unix_mutex). */
    bool gc_candidate, gc_alive;
    long gc_refs;
};

static struct mutex unix_mutex;
static struct list_head unix_names;
static struct list_head unix_all;
static struct wait_queue unix_dgram_wait;
static struct wait_queue unix_conn_wait;
static unsigned unix_autobind_next;

static const struct proto_ops unix_stream_ops, unix_dgram_ops, unix_seqpacket_ops;

static inline struct unix_sock *usk(struct socket *sock) { return sock->sk; }

static void unix_get(struct unix_sock *u) { u->refcount++; }      /* under unix_mutex */
static void addr_get(struct unix_addr *a)
{
    if (a)
        __atomic_add_fetch(&a->refcount, 1, __ATOMIC_ACQ_REL);
}
static void addr_put(struct unix_addr *a)
{
    if (a && __atomic_sub_fetch(&a->refcount, 1, __ATOMIC_ACQ_REL) == 0)
        kfree(a);
}

/* Files in flight (held by queued messages), system-wide. Unprivileged senders may not push it
 * past UNIX_INFLIGHT_MAX: in-flight files count against no fd table, so this is what bounds
 * them (Linux: too_many_unix_fds). */
#define UNIX_INFLIGHT_MAX 16384
static unsigned unix_inflight;

/* AF_UNIX sockets in flight, system-wide: the garbage collector has work only when this is
 * not zero. */
static unsigned unix_socks_inflight;

/* The unix_sock behind a file, if it is an AF_UNIX socket (the file keeps it alive). */
static struct unix_sock *unix_of_file(struct file *f)
{
    struct socket *s = sock_from_file(f);
    return s && s->ops && s->ops->family == AF_UNIX ? s->sk : NULL;
}

static void inflight_account(struct file **fds, unsigned nfds, int delta)
{
    __atomic_add_fetch(&unix_inflight, (unsigned)((int)nfds * delta), __ATOMIC_RELAXED);
    for (unsigned i = 0; i < nfds; i++) {
        struct unix_sock *u = fds[i] ? unix_of_file(fds[i]) : NULL;
        if (u) {
            __atomic_add_fetch(&u->inflight, (unsigned)delta, __ATOMIC_RELAXED);
            __atomic_add_fetch(&unix_socks_inflight, (unsigned)delta, __ATOMIC_RELAXED);
        }
    }
}

static void skb_attach_fds(struct unix_skb *skb, struct file **fds, unsigned nfds)
{
    skb->fds = fds;
    skb->nfds = nfds;
    inflight_account(fds, nfds, 1);
}

/* Take the files out of a message (the caller now owns the array and the references). */
static struct file **skb_detach_fds(struct unix_skb *skb, unsigned *nfds)
{
    struct file **fds = skb->fds;
    *nfds = skb->nfds;
    inflight_account(fds, skb->nfds, -1);
    skb->fds = NULL;
    skb->nfds = 0;
    return fds;
}

/* Free a message; runs without unix_mutex (file_put may release another unix socket). */
static void skb_free(struct unix_skb *skb)
{
    unsigned nfds;
    struct file **fds = skb_detach_fds(skb, &nfds);
    for (unsigned i = 0; i < nfds; i++)
        file_put(fds[i]);
    kfree(fds);
    addr_put(skb->addr);
    kfree(skb);
}

/* What a release or a read frees after dropping unix_mutex. */
struct deferred {
    struct list_head skbs;
    struct inode *inode;
};

/* Freeing a message may drop the last reference to a socket that was passed in it, whose
 * release frees its own queue, and so on: a chain of sockets inside sockets. To keep the
 * kernel stack flat whatever the chain's depth, messages to free go onto one list that a single
 * drainer empties; a release nested inside the drain only appends to it. */
static struct list_head unix_free_list;
static bool unix_draining;

static void deferred_run(struct deferred *d)
{
    mutex_lock(&unix_mutex);
    while (!list_empty(&d->skbs)) {
        struct unix_skb *skb = list_first_entry(&d->skbs, struct unix_skb, link);
        list_del(&skb->link);
        list_add_tail(&skb->link, &unix_free_list);
    }
    if (!unix_draining) {
        unix_draining = true;
        while (!list_empty(&unix_free_list)) {
            struct unix_skb *skb = list_first_entry(&unix_free_list, struct unix_skb, link);
            list_del(&skb->link);
            mutex_unlock(&unix_mutex);
            skb_free(skb);
            mutex_lock(&unix_mutex);
        }
        unix_draining = false;
    }
    mutex_unlock(&unix_mutex);
    if (d->inode)
        iput(d->inode);
}

static void unix_put(struct unix_sock *u)   /* under unix_mutex; u's queues already drained */
{
    if (--u->refcount == 0) {
        list_del(&u->all_link);
        addr_put(u->addr);
        kfree(u);
    }
}

static struct unix_sock *unix_sock_new(int type)
{
    struct unix_sock *u = kzalloc(sizeof(*u));
    if (!u)
        return NULL;
    u->refcount = 1;
    u->type = type;
    list_init(&u->rq);
    list_init(&u->accept_q);
    list_init(&u->name_link);
    list_init(&u->accept_link);
    mutex_lock(&unix_mutex);
    list_add_tail(&u->all_link, &unix_all);
    mutex_unlock(&unix_mutex);
    return u;
}

static void wake_sock(struct unix_sock *u)
{
    if (u && u->sock)
        sock_wake(u->sock);
}

static void current_ucred_real(struct ucred *uc)
{
    uc->pid = current->tgid;
    uc->uid = current->cred.uid;
    uc->gid = current->cred.gid;
}

static int take_err(struct unix_sock *u)
{
    int e = u->err;
    u->err = 0;
    return e;
}

/* ---- names ---- */

/* Check a sockaddr_un and make it canonical (paths NUL-terminated, length recomputed).
 * Returns the name's length or -EINVAL. */
static int unix_mkname(struct sockaddr_un *sun, int len)
{
    if (len <= SUN_PATH_OFF || len > (int)sizeof(*sun) || sun->sun_family != AF_UNIX)
        return -EINVAL;
    if (sun->sun_path[0]) {
        /* sockaddr_storage has room for the terminator past a full sun_path. */
        ((char *)sun)[len] = 0;
        return (int)(SUN_PATH_OFF + strlen(sun->sun_path) + 1);
    }
    return len;
}

static struct unix_addr *addr_new(const struct sockaddr_un *sun, int len)
{
    struct unix_addr *a = kzalloc(sizeof(*a));
    if (!a)
        return NULL;
    a->refcount = 1;
    a->len = len;
    memcpy(&a->sun, sun, (size_t)len);
    return a;
}

/* Abstract names are per socket type, as in Linux 6.1 (its name hash includes the type). */
static struct unix_sock *find_abstract(const struct sockaddr_un *sun, int len, int type)
{
    struct unix_sock *u;
    list_for_each_entry(u, &unix_names, name_link) {
        if (u->inode || u->dead || u->addr->len != len || u->type != type)
            continue;
        if (!memcmp(&u->addr->sun, sun, (size_t)len))
            return u;
    }
    return NULL;
}

/* By (superblock, inode number) rather than by pointer: a disk filesystem may give the same
 * node a fresh struct inode once its dentry has been dropped from the cache. */
static struct unix_sock *find_inode(struct inode *inode)
{
    struct unix_sock *u;
    list_for_each_entry(u, &unix_names, name_link)
        if (u->inode && !u->dead &&
            (u->inode == inode || (u->inode->sb == inode->sb && u->inode->ino == inode->ino)))
            return u;
    return NULL;
}

/* Find the socket a (canonical) name refers to; returns it with a reference, or -errno:
 * ENOENT/EACCES/... from the path walk, ECONNREFUSED if nothing is bound there. Takes and
 * releases unix_mutex itself for path names (the walk happens unlocked). */
static struct unix_sock *unix_find(struct sockaddr_un *sun, int len, int type, int *err)
{
    struct unix_sock *u;
    if (sun->sun_path[0]) {
        struct path p;
        int e = path_lookupat(AT_FDCWD, sun->sun_path, LOOKUP_FOLLOW, &p);
        if (e) {
            *err = e;
            return NULL;
        }
        struct inode *inode = p.dentry->inode;
        if (!S_ISSOCK(inode->mode)) {
            path_put(&p);
            *err = -ECONNREFUSED;
            return NULL;
        }
        e = inode_permission(inode, MAY_WRITE);
        if (e) {
            path_put(&p);
            *err = e;
            return NULL;
        }
        mutex_lock(&unix_mutex);
        u = find_inode(inode);
        if (u)
            unix_get(u);
        mutex_unlock(&unix_mutex);
        path_put(&p);
    } else {
        mutex_lock(&unix_mutex);
        u = find_abstract(sun, len, type);
        if (u)
            unix_get(u);
        mutex_unlock(&unix_mutex);
    }
    if (!u)
        *err = -ECONNREFUSED;
    return u;
}

static void unix_find_put(struct unix_sock *u)
{
    mutex_lock(&unix_mutex);
    unix_put(u);
    mutex_unlock(&unix_mutex);
}

/* Bind an abstract name "\0xxxxx" (unix_mutex held). */
static int autobind_locked(struct unix_sock *u)
{
    if (u->addr || u->binding)
        return 0;
    struct sockaddr_un sun;
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    int len = SUN_PATH_OFF + 1 + 5;
    for (unsigned tries = 0; tries < 0x100000; tries++) {
        char name[8];
        ksnprintf(name, sizeof(name), "%05x", (unix_autobind_next++) & 0xfffff);
        memcpy(sun.sun_path + 1, name, 5);
        if (!find_abstract(&sun, len, u->type)) {
            struct unix_addr *a = addr_new(&sun, len);
            if (!a)
                return -ENOMEM;
            u->addr = a;
            u->named = true;
            list_add_tail(&u->name_link, &unix_names);
            return 0;
        }
    }
    return -ENOSPC;
}

static int unix_bind(struct socket *sock, const void *uaddr, int len)
{
    struct unix_sock *u = usk(sock);
    struct sockaddr_un sun;
    if (len < (int)sizeof(sa_family_t))
        return -EINVAL;
    memset(&sun, 0, sizeof(sun));
    memcpy(&sun, uaddr, (size_t)MIN(len, (int)sizeof(sun)));
    if (len == SUN_PATH_OFF && sun.sun_family == AF_UNIX) {
        mutex_lock(&unix_mutex);
        int err = u->addr || u->binding ? -EINVAL : autobind_locked(u);
        mutex_unlock(&unix_mutex);
        return err;
    }
    char buf[sizeof(struct sockaddr_storage) + 1];
    memset(buf, 0, sizeof(buf));
    memcpy(buf, uaddr, (size_t)len);
    struct sockaddr_un *s = (struct sockaddr_un *)buf;
    int nlen = unix_mkname(s, len);
    if (nlen < 0)
        return nlen;
    struct unix_addr *a = addr_new(s, nlen);
    if (!a)
        return -ENOMEM;
    mutex_lock(&unix_mutex);
    if (u->addr || u->binding) {
        mutex_unlock(&unix_mutex);
        addr_put(a);
        return -EINVAL;
    }
    if (!s->sun_path[0]) {
        int err = 0;
        if (find_abstract(s, nlen, u->type)) {
            err = -EADDRINUSE;
            addr_put(a);
        } else {
            u->addr = a;
            u->named = true;
            list_add_tail(&u->name_link, &unix_names);
        }
        mutex_unlock(&unix_mutex);
        return err;
    }
    u->binding = true;
    mutex_unlock(&unix_mutex);

    struct dentry *d;
    mode_t mode = S_IFSOCK | (0777 & ~current_umask());
    int err = vfs_mknod_at(AT_FDCWD, s->sun_path, mode, 0, &d);
    if (err == -EEXIST)
        err = -EADDRINUSE;
    struct inode *inode = NULL;
    if (!err) {
        inode = d->inode;
        iget(inode);
        dput(d);
    }
    mutex_lock(&unix_mutex);
    u->binding = false;
    if (!err) {
        u->addr = a;
        u->inode = inode;
        u->named = true;
        list_add_tail(&u->name_link, &unix_names);
    }
    mutex_unlock(&unix_mutex);
    if (err)
        addr_put(a);
    return err;
}

static int unix_getname(struct socket *sock, void *out, int peer)
{
    struct unix_sock *u = usk(sock);
    int len;
    mutex_lock(&unix_mutex);
    struct unix_sock *who = u;
    if (peer) {
        who = u->peer;
        if (!who || (u->type != SOCK_DGRAM && u->state != US_CONNECTED)) {
            mutex_unlock(&unix_mutex);
            return -ENOTCONN;
        }
    }
    if (who->addr) {
        len = who->addr->len;
        memcpy(out, &who->addr->sun, (size_t)len);
    } else {
        ((struct sockaddr_un *)out)->sun_family = AF_UNIX;
        len = SUN_PATH_OFF;
    }
    mutex_unlock(&unix_mutex);
    return len;
}

/* ---- connection set-up ---- */

static int unix_listen(struct socket *sock, int backlog)
{
    struct unix_sock *u = usk(sock);
    if (u->type == SOCK_DGRAM)
        return -EOPNOTSUPP;
    mutex_lock(&unix_mutex);
    int err = 0;
    if (!u->addr)
        err = -EINVAL;              /* Linux: listen needs a bound socket */
    else if (u->state == US_CONNECTED)
        err = -EINVAL;
    else {
        if (u->state != US_LISTENING)
            sock_current_ucred(&u->listen_cred);
        u->state = US_LISTENING;
        u->backlog = backlog;
    }
    mutex_unlock(&unix_mutex);
    if (!err)
        wake_up(&unix_conn_wait);
    return err;
}

static int unix_stream_connect(struct socket *sock, const void *uaddr, int len, int flags)
{
    struct unix_sock *u = usk(sock);
    char buf[sizeof(struct sockaddr_storage) + 1];
    if (len < (int)sizeof(sa_family_t))
        return -EINVAL;
    memset(buf, 0, sizeof(buf));
    memcpy(buf, uaddr, (size_t)len);
    struct sockaddr_un *s = (struct sockaddr_un *)buf;
    int nlen = unix_mkname(s, len);
    if (nlen < 0)
        return nlen;
    mutex_lock(&unix_mutex);
    int err = u->state == US_CONNECTED ? -EISCONN : u->state == US_LISTENING ? -EINVAL : 0;
    if (!err && sock->passcred && !u->addr)
        err = autobind_locked(u);
    mutex_unlock(&unix_mutex);
    if (err)
        return err;

    struct unix_sock *other = unix_find(s, nlen, u->type, &err);
    if (!other)
        return err;
    struct unix_sock *embryo = unix_sock_new(u->type);
    if (!embryo) {
        unix_find_put(other);
        return -ENOMEM;
    }
    uint64_t deadline = sock_snd_deadline(sock);
    mutex_lock(&unix_mutex);
    for (;;) {
        if (other->type != u->type) {
            err = -EPROTOTYPE;
            break;
        }
        if (other->dead || other->state != US_LISTENING || (other->shutdown & RCV_SHUTDOWN)) {
            err = -ECONNREFUSED;
            break;
        }
        if (u->state != US_UNCONNECTED) {
            err = u->state == US_CONNECTED ? -EISCONN : -EINVAL;
            break;
        }
        if (other->accept_count <= (unsigned)other->backlog) {
            err = 0;
            break;
        }
        if (flags & O_NONBLOCK) {
            err = -EAGAIN;
            break;
        }
        mutex_unlock(&unix_mutex);
        err = sock_wait_event(&unix_conn_wait,
                              READ_ONCE(other->accept_count) <=
                                      (unsigned)READ_ONCE(other->backlog) ||
                                  READ_ONCE(other->dead) ||
                                  READ_ONCE(other->state) != US_LISTENING,
                              deadline);
        mutex_lock(&unix_mutex);
        if (err)
            break;
    }
    if (err) {
        unix_put(other);
        unix_put(embryo);
        mutex_unlock(&unix_mutex);
        return err;
    }
    /* The server side: named like the listener, credited with the connector's creds. */
    embryo->state = US_CONNECTED;
    embryo->addr = other->addr;
    addr_get(embryo->addr);
    sock_current_ucred(&embryo->peercred);
    embryo->has_peercred = true;
    embryo->peer = u;
    unix_get(u);
    embryo->refcount++;                 /* the accept queue's reference */
    list_add_tail(&embryo->accept_link, &other->accept_q);
    other->accept_count++;
    u->peer = embryo;                   /* keeps the creation reference */
    u->state = US_CONNECTED;
    u->peercred = other->listen_cred;
    u->has_peercred = true;
    sock->state = SS_CONNECTED;
    wake_sock(other);
    unix_put(other);
    mutex_unlock(&unix_mutex);
    return 0;
}

static int unix_accept(struct socket *sock, struct socket *newsock, int flags)
{
    struct unix_sock *u = usk(sock);
    if (u->type == SOCK_DGRAM)
        return -EOPNOTSUPP;
    uint64_t deadline = sock_rcv_deadline(sock);
    mutex_lock(&unix_mutex);
    int err = 0;
    for (;;) {
        if (u->state != US_LISTENING) {
            err = -EINVAL;
            break;
        }
        if (!list_empty(&u->accept_q))
            break;
        if (flags & O_NONBLOCK) {
            err = -EAGAIN;
            break;
        }
        mutex_unlock(&unix_mutex);
        err = sock_wait_event(&sock->wq, !list_empty(&u->accept_q) ||
                                             READ_ONCE(u->state) != US_LISTENING, deadline);
        mutex_lock(&unix_mutex);
        if (err)
            break;
    }
    if (err) {
        mutex_unlock(&unix_mutex);
        return err;
    }
    struct unix_sock *e = list_first_entry(&u->accept_q, struct unix_sock, accept_link);
    list_del(&e->accept_link);
    u->accept_count--;
    e->sock = newsock;                  /* the queue's reference becomes the socket's */
    newsock->passcred = sock->passcred; /* inherited, as Linux's unix_sock_inherit_flags */
    newsock->sk = e;
    newsock->state = SS_CONNECTED;
    mutex_unlock(&unix_mutex);
    wake_up(&unix_conn_wait);
    return 0;
}

static int unix_socketpair(struct socket *a, struct socket *b)
{
    struct unix_sock *ua = usk(a), *ub = usk(b);
    mutex_lock(&unix_mutex);
    ua->peer = ub;
    unix_get(ub);
    ub->peer = ua;
    unix_get(ua);
    sock_current_ucred(&ua->peercred);
    ub->peercred = ua->peercred;
    ua->has_peercred = ub->has_peercred = true;
    if (ua->type != SOCK_DGRAM) {
        ua->state = ub->state = US_CONNECTED;
        a->state = b->state = SS_CONNECTED;
    }
    mutex_unlock(&unix_mutex);
    return 0;
}

static int unix_dgram_connect(struct socket *sock, const void *uaddr, int len, int flags)
{
    (void)flags;
    struct unix_sock *u = usk(sock);
    if (len < (int)sizeof(sa_family_t))
        return -EINVAL;
    const struct sockaddr *sa = uaddr;
    struct unix_sock *other = NULL;
    int err;
    if (sa->sa_family != AF_UNSPEC) {
        char buf[sizeof(struct sockaddr_storage) + 1];
        memset(buf, 0, sizeof(buf));
        memcpy(buf, uaddr, (size_t)len);
        struct sockaddr_un *s = (struct sockaddr_un *)buf;
        int nlen = unix_mkname(s, len);
        if (nlen < 0)
            return nlen;
        if (sock->passcred) {
            mutex_lock(&unix_mutex);
            err = autobind_locked(u);
            mutex_unlock(&unix_mutex);
            if (err)
                return err;
        }
        other = unix_find(s, nlen, SOCK_DGRAM, &err);
        if (!other)
            return err;
    }
    mutex_lock(&unix_mutex);
    err = 0;
    if (other) {
        if (other->type != SOCK_DGRAM)
            err = -EPROTOTYPE;
        else if (other->dead)
            err = -ECONNREFUSED;
        else if (other->peer && other->peer != u && other != u)
            err = -EPERM;
    }
    if (err) {
        unix_put(other);
        mutex_unlock(&unix_mutex);
        return err;
    }
    struct unix_sock *old = u->peer;
    u->peer = other;                    /* the lookup's reference moves here */
    sock->state = other ? SS_CONNECTED : SS_UNCONNECTED;
    if (old)
        unix_put(old);
    mutex_unlock(&unix_mutex);
    wake_up(&unix_dgram_wait);
    return 0;
}

/* ---- release and shutdown ---- */

/* Tear one unix_sock down (unix_mutex held); queued skbs and the inode go to *d. */
static void unix_release_locked(struct unix_sock *u, bool embryo, struct deferred *d)
{
    u->dead = true;
    u->sock = NULL;
    if (u->named) {
        list_del(&u->name_link);
        u->named = false;
    }
    if (u->inode) {
        /* Only one inode per release: embryos have none (they share the listener's addr). */
        d->inode = u->inode;
        u->inode = NULL;
    }
    bool had_data = !list_empty(&u->rq);
    while (!list_empty(&u->rq)) {
        struct unix_skb *skb = list_first_entry(&u->rq, struct unix_skb, link);
        list_del(&skb->link);
        list_add_tail(&skb->link, &d->skbs);
    }
    u->rq_bytes = 0;
    u->rq_mem = 0;
    u->rq_count = 0;
    u->shutdown = SHUTDOWN_MASK;
    /* Connections nobody accepted die with the listener: their clients see a reset. */
    while (!list_empty(&u->accept_q)) {
        struct unix_sock *e = list_first_entry(&u->accept_q, struct unix_sock, accept_link);
        list_del(&e->accept_link);
        u->accept_count--;
        unix_release_locked(e, true, d);
        unix_put(e);
    }
    bool was_listening = u->state == US_LISTENING;
    u->state = US_UNCONNECTED;
    struct unix_sock *peer = u->peer;
    if (peer) {
        if (u->type != SOCK_DGRAM) {
            peer->shutdown = SHUTDOWN_MASK;
            if (had_data || embryo)
                peer->err = -ECONNRESET;
            wake_sock(peer);
        }
        u->peer = NULL;
        unix_put(peer);
    }
    if (was_listening)
        wake_up(&unix_conn_wait);
    wake_up(&unix_dgram_wait);
}

/* ---- garbage collection of sockets in flight ----
 *
 * A socket passed over a socket lives as long as the message holding it. When such sockets
 * only hold each other (A's queue holds B, B's holds A, and no process has either open), no
 * reference is ever dropped: a cycle. Like Linux, look for them whenever a unix socket is
 * released while sockets are in flight:
 *  1. candidates: sockets whose every file reference is a queued message (refcount ==
 *     inflight);
 *  2. subtract the references that candidates' queues (and their embryos' queues) hold on
 *     candidates; one left over means a message outside the set holds it: alive;
 *  3. everything reachable from an alive candidate's queue is alive too;
 *  4. the rest is garbage: empty its queues. Freeing those messages drops the last file
 *     references, and the sockets are released the ordinary way. */

static void gc_scan_queue(struct unix_sock *q, void (*fn)(struct unix_sock *v, void *arg),
                          void *arg)
{
    struct unix_skb *skb;
    list_for_each_entry(skb, &q->rq, link)
        for (unsigned i = 0; i < skb->nfds; i++) {
            struct unix_sock *v = unix_of_file(skb->fds[i]);
            if (v)
                fn(v, arg);
        }
}

/* Call fn for every unix socket queued on u or on its not yet accepted connections. */
static void gc_for_each_queued_unix(struct unix_sock *u,
                                    void (*fn)(struct unix_sock *v, void *arg), void *arg)
{
    gc_scan_queue(u, fn, arg);
    struct unix_sock *e;
    list_for_each_entry(e, &u->accept_q, accept_link)
        gc_scan_queue(e, fn, arg);
}

static void gc_dec_ref(struct unix_sock *v, void *arg)
{
    (void)arg;
    if (v->gc_candidate)
        v->gc_refs--;
}

static void gc_mark(struct unix_sock *v, void *arg)
{
    bool *changed = arg;
    if (v->gc_candidate && !v->gc_alive) {
        v->gc_alive = true;
        *changed = true;
    }
}

static void gc_purge_queue(struct unix_sock *u, struct deferred *d)
{
    while (!list_empty(&u->rq)) {
        struct unix_skb *skb = list_first_entry(&u->rq, struct unix_skb, link);
        list_del(&skb->link);
        list_add_tail(&skb->link, &d->skbs);
    }
    u->rq_bytes = u->rq_mem = 0;
    u->rq_count = 0;
}

static void unix_gc_locked(struct deferred *d)
{
    struct unix_sock *u;
    bool any = false;
    list_for_each_entry(u, &unix_all, all_link) {
        u->gc_candidate = u->gc_alive = false;
        unsigned inflight = __atomic_load_n(&u->inflight, __ATOMIC_RELAXED);
        if (u->dead || !u->sock || !u->sock->file || !inflight)
            continue;
        int refs = __atomic_load_n(&u->sock->file->refcount, __ATOMIC_ACQUIRE);
        if (refs == (int)inflight) {
            u->gc_candidate = true;
            u->gc_refs = refs;
            any = true;
        }
    }
    if (!any)
        return;
    list_for_each_entry(u, &unix_all, all_link)
        if (u->gc_candidate)
            gc_for_each_queued_unix(u, gc_dec_ref, NULL);
    list_for_each_entry(u, &unix_all, all_link)
        if (u->gc_candidate && u->gc_refs > 0)
            u->gc_alive = true;
    /* Propagate until nothing changes (the sets are small; simplicity over speed). */
    bool changed = true;
    while (changed) {
        changed = false;
        list_for_each_entry(u, &unix_all, all_link)
            if (u->gc_candidate && u->gc_alive)
                gc_for_each_queued_unix(u, gc_mark, &changed);
    }
    list_for_each_entry(u, &unix_all, all_link) {
        if (!u->gc_candidate || u->gc_alive)
            continue;
        gc_purge_queue(u, d);
        struct unix_sock *e;
        list_for_each_entry(e, &u->accept_q, accept_link)
            gc_purge_queue(e, d);
    }
    list_for_each_entry(u, &unix_all, all_link)
        u->gc_candidate = u->gc_alive = false;
}

/* Senders of files also collect once many sockets are in flight, so cycles made by a process
 * that never releases a unix socket stay bounded (Linux: wait_for_unix_gc). */
#define UNIX_GC_TRIGGER 1024
static void unix_gc_maybe(void)
{
    if (__atomic_load_n(&unix_socks_inflight, __ATOMIC_RELAXED) < UNIX_GC_TRIGGER)
        return;
    struct deferred d = { .inode = NULL };
    list_init(&d.skbs);
    mutex_lock(&unix_mutex);
    if (!unix_draining)
        unix_gc_locked(&d);
    mutex_unlock(&unix_mutex);
    deferred_run(&d);
}

static void unix_release(struct socket *sock)
{
    struct unix_sock *u = usk(sock);
    struct deferred d = { .inode = NULL };
    list_init(&d.skbs);
    mutex_lock(&unix_mutex);
    unix_release_locked(u, false, &d);
    sock->sk = NULL;
    unix_put(u);
    /* Not from inside a drain: the outermost release collects for everyone. */
    if (__atomic_load_n(&unix_socks_inflight, __ATOMIC_RELAXED) && !unix_draining)
        unix_gc_locked(&d);
    mutex_unlock(&unix_mutex);
    deferred_run(&d);
}

static int unix_shutdown(struct socket *sock, int how)
{
    struct unix_sock *u = usk(sock);
    unsigned mode = (unsigned)how + 1;          /* SHUT_RD -> RCV, SHUT_WR -> SEND */
    mutex_lock(&unix_mutex);
    u->shutdown |= mode;
    struct unix_sock *peer = u->peer;
    if (peer && u->type != SOCK_DGRAM) {
        unsigned pm = 0;
        if (mode & RCV_SHUTDOWN)
            pm |= SEND_SHUTDOWN;
        if (mode & SEND_SHUTDOWN)
            pm |= RCV_SHUTDOWN;
        peer->shutdown |= pm;
        wake_sock(peer);
    }
    mutex_unlock(&unix_mutex);
    sock_wake(sock);
    wake_up(&unix_dgram_wait);
    return 0;
}

/* ---- control messages ---- */

struct scm {
    struct file **fds;
    unsigned nfds;
    struct ucred cred;
};

static void scm_destroy(struct scm *scm)
{
    for (unsigned i = 0; i < scm->nfds; i++)
        file_put(scm->fds[i]);
    kfree(scm->fds);
    scm->fds = NULL;
    scm->nfds = 0;
}

static bool cred_ok(const struct ucred *uc)
{
    const struct cred *c = &current->cred;
    if (c->euid == 0)
        return true;
    if (uc->pid != current->tgid)
        return false;
    if (uc->uid != c->uid && uc->uid != c->euid && uc->uid != c->suid)
        return false;
    if (uc->gid != c->gid && uc->gid != c->egid && uc->gid != c->sgid)
        return false;
    return true;
}

static int scm_send(struct kmsghdr *msg, struct scm *scm)
{
    if (msg->control)
        unix_gc_maybe();
    current_ucred_real(&scm->cred);
    scm->fds = NULL;
    scm->nfds = 0;
    for (struct kcmsghdr *c = kcmsg_first(msg); c; c = kcmsg_next(msg, c)) {
        if (c->cmsg_level != SOL_SOCKET)
            continue;
        size_t dlen = c->cmsg_len - KCMSG_HDRLEN;
        if (c->cmsg_len < KCMSG_HDRLEN)
            goto inval;
        if (c->cmsg_type == SCM_RIGHTS) {
            unsigned n = (unsigned)(dlen / sizeof(int32_t));
            if (!n)
                continue;
            if (scm->nfds + n > SCM_MAX_FD)
                goto inval;
            struct file **nf = kmalloc(sizeof(*nf) * (scm->nfds + n));
            if (!nf) {
                scm_destroy(scm);
                return -ENOMEM;
            }
            if (scm->nfds)
                memcpy(nf, scm->fds, sizeof(*nf) * scm->nfds);
            kfree(scm->fds);
            scm->fds = nf;
            const int32_t *fdp = KCMSG_DATA(c);
            for (unsigned i = 0; i < n; i++) {
                struct file *f = fget(fdp[i]);
                if (!f) {
                    scm_destroy(scm);
                    return -EBADF;
                }
                scm->fds[scm->nfds++] = f;
            }
        } else if (c->cmsg_type == SCM_CREDENTIALS) {
            if (c->cmsg_len != KCMSG_LEN(sizeof(struct ucred)))
                goto inval;
            struct ucred uc;
            memcpy(&uc, KCMSG_DATA(c), sizeof(uc));
            if (!cred_ok(&uc)) {
                scm_destroy(scm);
                return -EPERM;
            }
            scm->cred = uc;
        } else {
            goto inval;
        }
    }
    if (scm->nfds && current->cred.euid != 0 &&
        __atomic_load_n(&unix_inflight, __ATOMIC_RELAXED) + scm->nfds > UNIX_INFLIGHT_MAX) {
        scm_destroy(scm);
        return -ETOOMANYREFS;
    }
    return 0;
inval:
    scm_destroy(scm);
    return -EINVAL;
}

/* Deliver a received skb's credentials and files as control messages. The files are consumed:
 * installed as new fds, or dropped if they did not fit (MSG_CTRUNC), as Linux does. Called
 * without unix_mutex. */
static void scm_recv(struct socket *sock, struct kmsghdr *msg, const struct ucred *cred,
                     struct file **fds, unsigned nfds)
{
    if (sock->passcred)
        put_cmsg(msg, SOL_SOCKET, SCM_CREDENTIALS, sizeof(*cred), cred);
    if (!nfds)
        return;
    size_t room = msg->control && msg->controllen > msg->control_used + KCMSG_HDRLEN
                      ? msg->controllen - msg->control_used - KCMSG_HDRLEN : 0;
    unsigned fit = (unsigned)MIN((size_t)nfds, room / sizeof(int32_t));
    int32_t *ints = fit ? kmalloc(sizeof(int32_t) * fit) : NULL;
    unsigned done = 0;
    if (ints) {
        for (; done < fit; done++) {
            int fd = fd_install_new(fds[done], msg->cmsg_cloexec ? O_CLOEXEC : 0);
            if (fd < 0)
                break;
            ints[done] = fd;
            fds[done] = NULL;       /* the table owns the reference now */
        }
        if (done)
            put_cmsg(msg, SOL_SOCKET, SCM_RIGHTS, sizeof(int32_t) * done, ints);
        kfree(ints);
    }
    if (done < nfds)
        msg->flags |= MSG_CTRUNC;
    for (unsigned i = 0; i < nfds; i++)
        if (fds[i])
            file_put(fds[i]);
}

static struct unix_skb *skb_new(size_t len)
{
    struct unix_skb *skb = kmalloc(sizeof(*skb) + len);
    if (!skb)
        return NULL;
    memset(skb, 0, sizeof(*skb));
    skb->len = len;
    return skb;
}

/* ---- datagrams (SOCK_DGRAM) and records (SOCK_SEQPACKET) ---- */

static bool recvq_full(const struct unix_sock *to, const struct unix_sock *from, size_t len,
                       int sndbuf)
{
    if (!to->rq_count)
        return false;
    if (to->rq_mem + len + SKB_OVERHEAD > (size_t)sndbuf)
        return true;
    /* The queue-length limit applies to senders other than the receiver's own peer. */
    return to->peer != from && to->rq_count > MAX_DGRAM_QLEN;
}

static long unix_dgram_sendmsg(struct socket *sock, struct kmsghdr *msg, size_t len, int flags)
{
    struct unix_sock *u = usk(sock);
    bool seqpacket = u->type == SOCK_SEQPACKET;
    if (flags & MSG_OOB)
        return -EOPNOTSUPP;
    if (len > (size_t)sock->sndbuf - 32)
        return -EMSGSIZE;
    struct unix_sock *other = NULL;       /* an explicit destination (+ref) */
    int err = 0;
    if (!seqpacket && msg->namelen) {
        char buf[sizeof(struct sockaddr_storage) + 1];
        memset(buf, 0, sizeof(buf));
        memcpy(buf, msg->name, (size_t)msg->namelen);
        struct sockaddr_un *s = (struct sockaddr_un *)buf;
        int nlen = unix_mkname(s, msg->namelen);
        if (nlen < 0)
            return nlen;
        other = unix_find(s, nlen, SOCK_DGRAM, &err);
        if (!other)
            return err;
    }
    struct scm scm;
    err = scm_send(msg, &scm);
    if (err) {
        if (other)
            unix_find_put(other);
        return err;
    }
    struct unix_skb *skb = skb_new(len);
    if (!skb) {
        err = -ENOBUFS;
        goto out;
    }
    /* From here `other` is put at the end, after unlocking. */
    if (msg_copy_from_iter(skb->data, &msg->iter, len) < 0) {
        err = -EFAULT;
        goto out;
    }
    skb->cred = scm.cred;
    skb_attach_fds(skb, scm.fds, scm.nfds);
    scm.fds = NULL;
    scm.nfds = 0;

    uint64_t deadline = sock_snd_deadline(sock);
    bool nonblock = sock_nonblock(sock, flags);
    mutex_lock(&unix_mutex);
    if (sock->passcred && !u->addr && (err = autobind_locked(u)))
        goto unlock;
    for (;;) {
        if (u->shutdown & SEND_SHUTDOWN) {
            err = -EPIPE;
            break;
        }
        struct unix_sock *to = other ? other : u->peer;
        if (!to) {
            err = seqpacket ? (u->state == US_CONNECTED ? -EPIPE : -ENOTCONN) : -ENOTCONN;
            break;
        }
        if (seqpacket && u->state != US_CONNECTED) {
            err = -ENOTCONN;
            break;
        }
        if (to->dead) {
            if (seqpacket) {
                err = -EPIPE;
            } else {
                err = -ECONNREFUSED;
                if (!other && u->peer == to) {
                    /* A dead default destination is forgotten (Linux disconnects). */
                    u->peer = NULL;
                    sock->state = SS_UNCONNECTED;
                    unix_put(to);
                }
            }
            break;
        }
        if (!seqpacket && to->type != SOCK_DGRAM) {
            err = -EPROTOTYPE;
            break;
        }
        if (!seqpacket && to->peer && to->peer != u && to != u) {
            err = -EPERM;
            break;
        }
        if (to->shutdown & RCV_SHUTDOWN) {
            err = -EPIPE;
            break;
        }
        if (!recvq_full(to, u, len, sock->sndbuf)) {
            skb->addr = u->addr;
            addr_get(skb->addr);
            list_add_tail(&skb->link, &to->rq);
            to->rq_bytes += len;
            to->rq_mem += len + SKB_OVERHEAD;
            to->rq_count++;
            skb = NULL;
            wake_sock(to);
            err = 0;
            break;
        }
        if (nonblock) {
            err = -EAGAIN;
            break;
        }
        unix_get(to);
        mutex_unlock(&unix_mutex);
        if (seqpacket)
            err = sock_wait_event(&sock->wq, !recvq_full(to, u, len, sock->sndbuf) ||
                                                 READ_ONCE(to->dead) ||
                                                 (READ_ONCE(to->shutdown) & RCV_SHUTDOWN) ||
                                                 (READ_ONCE(u->shutdown) & SEND_SHUTDOWN),
                                  deadline);
        else
            err = sock_wait_event(&unix_dgram_wait, !recvq_full(to, u, len, sock->sndbuf) ||
                                                        READ_ONCE(to->dead) ||
                                                        (READ_ONCE(to->shutdown) & RCV_SHUTDOWN) ||
                                                        (!other && READ_ONCE(u->peer) != to),
                                  deadline);
        mutex_lock(&unix_mutex);
        unix_put(to);
        if (err)
            break;
    }
unlock:
    mutex_unlock(&unix_mutex);
out:
    if (other)
        unix_find_put(other);
    if (skb)
        skb_free(skb);
    scm_destroy(&scm);
    return err ? err : (long)len;
}

static void copy_addr(struct kmsghdr *msg, const struct unix_addr *a)
{
    if (!msg->name)
        return;
    if (a) {
        memcpy(msg->name, &a->sun, (size_t)a->len);
        msg->namelen = a->len;
    } else {
        msg->namelen = 0;
    }
}

/* With unix_mutex held, wait (dropping it while asleep) for a message in u's queue: 1 when
 * there is one, 0 at end of file, or -errno: a pending error (taken), -EAGAIN if not
 * blocking, a signal or the receive timeout. */
static long unix_wait_rq(struct socket *sock, struct unix_sock *u, bool nonblock,
                         uint64_t deadline)
{
    for (;;) {
        if (!list_empty(&u->rq))
            return 1;
        if (u->err)
            return take_err(u);
        if (u->shutdown & RCV_SHUTDOWN)
            return 0;
        if (nonblock)
            return -EAGAIN;
        mutex_unlock(&unix_mutex);
        int err = sock_wait_event(&sock->wq, !list_empty(&u->rq) || READ_ONCE(u->err) ||
                                                 (READ_ONCE(u->shutdown) & RCV_SHUTDOWN),
                                  deadline);
        mutex_lock(&unix_mutex);
        if (err)
            return err;
    }
}

/* The files of a message for its reader: a read takes them; a peek gets duplicates (the
 * queued message keeps its own), or none if there is no memory for the copy. */
static struct file **skb_take_fds(struct unix_skb *skb, bool peek, unsigned *nfds)
{
    if (!peek)
        return skb_detach_fds(skb, nfds);
    struct file **fds = skb->nfds ? kmalloc(sizeof(*fds) * skb->nfds) : NULL;
    *nfds = fds ? skb->nfds : 0;
    for (unsigned i = 0; i < *nfds; i++) {
        fds[i] = skb->fds[i];
        file_get(fds[i]);
    }
    return fds;
}

static long unix_dgram_recvmsg(struct socket *sock, struct kmsghdr *msg, size_t len, int flags)
{
    struct unix_sock *u = usk(sock);
    bool seqpacket = u->type == SOCK_SEQPACKET;
    bool peek = flags & MSG_PEEK;
    if (flags & MSG_OOB)
        return -EOPNOTSUPP;
    uint64_t deadline = sock_rcv_deadline(sock);
    bool nonblock = sock_nonblock(sock, flags);
    mutex_lock(&unix_mutex);
    if (seqpacket && u->state != US_CONNECTED && !(u->shutdown & RCV_SHUTDOWN)) {
        mutex_unlock(&unix_mutex);
        return -ENOTCONN;
    }
    long err = unix_wait_rq(sock, u, nonblock, deadline);
    if (err <= 0) {
        mutex_unlock(&unix_mutex);
        return err;
    }
    /* A peeked message stays queued, so it is read under the mutex; a taken one after. */
    struct unix_skb *skb = list_first_entry(&u->rq, struct unix_skb, link);
    if (!peek) {
        list_del(&skb->link);
        u->rq_bytes -= skb->len;
        u->rq_mem -= skb->len + SKB_OVERHEAD;
        u->rq_count--;
        if (seqpacket)
            wake_sock(u->peer);
        mutex_unlock(&unix_mutex);
        wake_up(&unix_dgram_wait);
    }
    size_t n = MIN(len, skb->len);
    struct file **fds = NULL;
    unsigned nfds = 0;
    struct ucred cred = skb->cred;
    err = msg_copy_to_iter(&msg->iter, skb->data, n) < 0 ? -EFAULT : (long)n;
    if (err >= 0) {
        copy_addr(msg, skb->addr);
        if (skb->len > len)
            msg->flags |= MSG_TRUNC;
        if (seqpacket && !peek)
            msg->flags |= MSG_EOR;
        if (flags & MSG_TRUNC)
            err = (long)skb->len;
        fds = skb_take_fds(skb, peek, &nfds);
    }
    if (peek)
        mutex_unlock(&unix_mutex);
    if (err >= 0)
        scm_recv(sock, msg, &cred, fds, nfds);
    kfree(fds);
    if (!peek)
        skb_free(skb);
    return err;
}

/* ---- byte streams (SOCK_STREAM) ---- */

static long unix_stream_sendmsg(struct socket *sock, struct kmsghdr *msg, size_t len, int flags)
{
    struct unix_sock *u = usk(sock);
    if (flags & MSG_OOB)
        return -EOPNOTSUPP;
    if (msg->namelen) {
        mutex_lock(&unix_mutex);
        bool conn = u->state == US_CONNECTED;
        mutex_unlock(&unix_mutex);
        return conn ? -EISCONN : -EOPNOTSUPP;
    }
    struct scm scm;
    int err = scm_send(msg, &scm);
    if (err)
        return err;
    uint64_t deadline = sock_snd_deadline(sock);
    bool nonblock = sock_nonblock(sock, flags);
    size_t sent = 0;
    size_t limit = (size_t)sock->sndbuf;
    mutex_lock(&unix_mutex);
    if (!u->peer || u->state != US_CONNECTED) {
        err = -ENOTCONN;
        goto unlock;
    }
    struct unix_sock *to = u->peer;       /* fixed for the socket's life: u holds a ref */
    if (u->shutdown & SEND_SHUTDOWN)
        err = -EPIPE;
    while (!err && sent < len) {
        if (u->shutdown & SEND_SHUTDOWN) {
            err = -EPIPE;
            break;
        }
        if (to->dead || (to->shutdown & RCV_SHUTDOWN)) {
            err = -EPIPE;
            break;
        }
        if (to->rq_mem >= limit) {
            if (nonblock) {
                err = -EAGAIN;
                break;
            }
            mutex_unlock(&unix_mutex);
            err = sock_wait_event(&sock->wq, READ_ONCE(to->rq_mem) < limit || READ_ONCE(to->dead) ||
                                                 (READ_ONCE(to->shutdown) & RCV_SHUTDOWN) ||
                                                 (READ_ONCE(u->shutdown) & SEND_SHUTDOWN),
                                  deadline);
            mutex_lock(&unix_mutex);
            if (err)
                break;
            continue;
        }
        size_t n = MIN(MIN(len - sent, (size_t)STREAM_CHUNK), limit - to->rq_mem);
        mutex_unlock(&unix_mutex);
        struct unix_skb *skb = skb_new(n);
        if (!skb) {
            err = -ENOBUFS;
            mutex_lock(&unix_mutex);
            break;
        }
        if (n && msg_copy_from_iter(skb->data, &msg->iter, n) < 0) {
            kfree(skb);
            err = -EFAULT;
            mutex_lock(&unix_mutex);
            break;
        }
        skb->cred = scm.cred;
        mutex_lock(&unix_mutex);
        if (to->dead || (to->shutdown & RCV_SHUTDOWN) || (u->shutdown & SEND_SHUTDOWN)) {
            kfree(skb);
            err = -EPIPE;
            break;
        }
        if (scm.nfds) {
            skb_attach_fds(skb, scm.fds, scm.nfds);
            scm.fds = NULL;
            scm.nfds = 0;
        }
        skb->addr = u->addr;
        addr_get(skb->addr);
        list_add_tail(&skb->link, &to->rq);
        to->rq_bytes += n;
        to->rq_mem += n + SKB_OVERHEAD;
        to->rq_count++;
        sent += n;
        wake_sock(to);
    }
unlock:
    mutex_unlock(&unix_mutex);
    scm_destroy(&scm);
    if (sent)
        return (long)sent;
    return err;
}

static long unix_stream_recvmsg(struct socket *sock, struct kmsghdr *msg, size_t len, int flags)
{
    struct unix_sock *u = usk(sock);
    if (flags & MSG_OOB)
        return -EOPNOTSUPP;
    uint64_t deadline = sock_rcv_deadline(sock);
    bool nonblock = sock_nonblock(sock, flags);
    size_t target = (flags & MSG_WAITALL) ? len : MIN(len, (size_t)MAX(sock->rcvlowat, 1));
    size_t done = 0;
    long err = 0;
    struct file **fds = NULL;
    unsigned nfds = 0;
    struct ucred cred;
    bool have_cred = false;
    struct deferred d = { .inode = NULL };
    list_init(&d.skbs);
    mutex_lock(&unix_mutex);
    if (u->state != US_CONNECTED && !(u->shutdown & RCV_SHUTDOWN)) {
        mutex_unlock(&unix_mutex);
        return -EINVAL;
    }
    while (done < len) {
        if (list_empty(&u->rq)) {
            if (done >= target)
                break;
            err = unix_wait_rq(sock, u, nonblock, deadline);
            if (err <= 0)
                break;
            err = 0;
        }
        /* Walk the queue (peeking leaves it as it is). */
        struct list_head *pos = u->rq.next;
        bool stop = false;
        while (pos != &u->rq && done < len) {
            struct unix_skb *skb = list_entry(pos, struct unix_skb, link);
            if (have_cred && (skb->cred.pid != cred.pid || skb->cred.uid != cred.uid ||
                              skb->cred.gid != cred.gid) && sock->passcred) {
                stop = true;    /* never glue data from different writers under SO_PASSCRED */
                break;
            }
            if (!have_cred) {
                cred = skb->cred;
                have_cred = true;
                if (done == 0 && skb->addr && msg->name)
                    copy_addr(msg, skb->addr);
            }
            size_t avail = skb->len - skb->off;
            size_t n = MIN(avail, len - done);
            if (n && msg_copy_to_iter(&msg->iter, skb->data + skb->off, n) < 0) {
                if (!done)
                    err = -EFAULT;
                stop = true;
                break;
            }
            done += n;
            if (skb->nfds && !fds) {
                fds = skb_take_fds(skb, flags & MSG_PEEK, &nfds);
                stop = true;    /* files end a read, as in Linux */
            }
            pos = pos->next;
            if (flags & MSG_PEEK) {
                if (stop)
                    break;
                continue;
            }
            skb->off += n;
            u->rq_bytes -= n;
            u->rq_mem -= n;
            if (skb->off == skb->len) {
                list_del(&skb->link);
                u->rq_mem -= SKB_OVERHEAD;
                u->rq_count--;
                list_add_tail(&skb->link, &d.skbs);
            }
            if (stop)
                break;
        }
        wake_sock(u->peer);
        if (stop || (flags & MSG_PEEK))
            break;
    }
    mutex_unlock(&unix_mutex);
    deferred_run(&d);
    if (done || (!err && have_cred)) {
        if (have_cred)
            scm_recv(sock, msg, &cred, fds, nfds);
        kfree(fds);
        return (long)done;
    }
    if (fds) {
        for (unsigned i = 0; i < nfds; i++)
            file_put(fds[i]);
        kfree(fds);
    }
    return err;
}

/* ---- poll, ioctl, options ---- */

static unsigned unix_poll(struct socket *sock, struct poll_table *pt)
{
    struct unix_sock *u = usk(sock);
    unsigned mask = 0;
    if (u->type == SOCK_DGRAM)
        poll_wait(sock->file, &unix_dgram_wait, pt);
    mutex_lock(&unix_mutex);
    if (u->err)
        mask |= POLLERR;
    if (u->shutdown == SHUTDOWN_MASK)
        mask |= POLLHUP;
    if (u->shutdown & RCV_SHUTDOWN)
        mask |= POLLRDHUP | POLLIN | POLLRDNORM;
    if (!list_empty(&u->rq) || !list_empty(&u->accept_q))
        mask |= POLLIN | POLLRDNORM;
    bool writable = u->state != US_LISTENING;
    if (u->type == SOCK_DGRAM) {
        struct unix_sock *to = u->peer;
        if (to && !to->dead && to->peer != u && recvq_full(to, u, 1, sock->sndbuf))
            writable = false;
    } else {
        if (u->state == US_UNCONNECTED)
            mask |= POLLHUP;
        struct unix_sock *to = u->peer;
        if (u->state == US_CONNECTED && to && !to->dead && !(to->shutdown & RCV_SHUTDOWN)) {
            if (u->type == SOCK_STREAM && to->rq_mem >= (size_t)sock->sndbuf)
                writable = false;
            if (u->type == SOCK_SEQPACKET && recvq_full(to, u, 1, sock->sndbuf))
                writable = false;
        }
    }
    if (writable)
        mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
    mutex_unlock(&unix_mutex);
    return mask;
}

static long unix_ioctl(struct socket *sock, unsigned cmd, unsigned long arg)
{
    struct unix_sock *u = usk(sock);
    long v;
    mutex_lock(&unix_mutex);
    switch (cmd) {
    case SIOCINQ:
        if (u->state == US_LISTENING)
            v = -EINVAL;
        else if (u->type == SOCK_STREAM)
            v = (long)u->rq_bytes;
        else
            v = list_empty(&u->rq) ? 0 : (long)list_first_entry(&u->rq, struct unix_skb, link)->len;
        break;
    case SIOCOUTQ:
        v = u->peer && u->type != SOCK_DGRAM ? (long)u->peer->rq_bytes : 0;
        break;
    default:
        v = -ENOIOCTLCMD;
    }
    mutex_unlock(&unix_mutex);
    if (v < 0)
        return v;
    return put_user_u32((uint32_t)MIN(v, 0x7fffffffL), arg) < 0 ? -EFAULT : 0;
}

static int unix_getsockopt(struct socket *sock, int level, int name, void *val, unsigned *len)
{
    struct unix_sock *u = usk(sock);
    if (level != SOL_SOCKET)
        return -EOPNOTSUPP;
    if (name == SO_PEERCRED) {
        struct ucred uc = { 0, (uint32_t)-1, (uint32_t)-1 };
        mutex_lock(&unix_mutex);
        if (u->has_peercred)
            uc = u->peercred;
        else if (u->state == US_LISTENING)
            uc = u->listen_cred;
        mutex_unlock(&unix_mutex);
        *len = MIN(*len, (unsigned)sizeof(uc));
        memcpy(val, &uc, *len);
        return 0;
    }
    if (name == SO_ERROR) {
        mutex_lock(&unix_mutex);
        int e = -take_err(u);
        if (!e)
            e = -__atomic_exchange_n(&sock->err, 0, __ATOMIC_ACQ_REL);
        mutex_unlock(&unix_mutex);
        *len = MIN(*len, (unsigned)sizeof(int));
        memcpy(val, &e, *len);
        return 0;
    }
    return -ENOPROTOOPT;
}

/* ---- the family ---- */

static const struct proto_ops unix_stream_ops = {
    .family = AF_UNIX,
    .release = unix_release,
    .bind = unix_bind,
    .connect = unix_stream_connect,
    .listen = unix_listen,
    .accept = unix_accept,
    .socketpair = unix_socketpair,
    .getname = unix_getname,
    .sendmsg = unix_stream_sendmsg,
    .recvmsg = unix_stream_recvmsg,
    .shutdown = unix_shutdown,
    .poll = unix_poll,
    .getsockopt = unix_getsockopt,
    .ioctl = unix_ioctl,
};

static const struct proto_ops unix_seqpacket_ops = {
    .family = AF_UNIX,
    .release = unix_release,
    .bind = unix_bind,
    .connect = unix_stream_connect,
    .listen = unix_listen,
    .accept = unix_accept,
    .socketpair = unix_socketpair,
    .getname = unix_getname,
    .sendmsg = unix_dgram_sendmsg,
    .recvmsg = unix_dgram_recvmsg,
    .shutdown = unix_shutdown,
    .poll = unix_poll,
    .getsockopt = unix_getsockopt,
    .ioctl = unix_ioctl,
};

static const struct proto_ops unix_dgram_ops = {
    .family = AF_UNIX,
    .release = unix_release,
    .bind = unix_bind,
    .connect = unix_dgram_connect,
    .socketpair = unix_socketpair,
    .getname = unix_getname,
    .sendmsg = unix_dgram_sendmsg,
    .recvmsg = unix_dgram_recvmsg,
    .shutdown = unix_shutdown,
    .poll = unix_poll,
    .getsockopt = unix_getsockopt,
    .ioctl = unix_ioctl,
};

static int unix_create(struct socket *sock, int type, int protocol, bool kern)
{
    (void)kern;
    if (protocol && protocol != AF_UNIX)
        return -EPROTONOSUPPORT;
    const struct proto_ops *ops;
    switch (type) {
    case SOCK_STREAM: ops = &unix_stream_ops; break;
    case SOCK_DGRAM: ops = &unix_dgram_ops; break;
    case SOCK_SEQPACKET: ops = &unix_seqpacket_ops; break;
    case SOCK_RAW: type = SOCK_DGRAM; ops = &unix_dgram_ops; break;   /* as Linux */
    default: return -ESOCKTNOSUPPORT;
    }
    struct unix_sock *u = unix_sock_new(type);
    if (!u)
        return -ENOMEM;
    u->sock = sock;
    sock->type = type;
    sock->ops = ops;
    sock->sk = u;
    return 0;
}

/* /proc/net/unix in Linux's format (what netstat -x and ss read). snprintf-like: writes at most
 * size bytes, NUL included, and returns the full length. */
int net_proc_unix(char *buf, size_t size)
{
    size_t len = 0;
#define OUT(...)                                                                         \
    do {                                                                                 \
        size_t room = len < size ? size - len : 0;                                       \
        int n_ = ksnprintf(room ? buf + len : NULL, room, __VA_ARGS__);                  \
        if (n_ > 0)                                                                      \
            len += (size_t)n_;                                                           \
    } while (0)
    OUT("Num       RefCount Protocol Flags    Type St Inode Path\n");
    mutex_lock(&unix_mutex);
    struct unix_sock *u;
    list_for_each_entry(u, &unix_all, all_link) {
        if (u->dead)
            continue;
        unsigned st = u->state == US_CONNECTED ? SS_CONNECTED : SS_UNCONNECTED;
        unsigned long ino = u->sock && u->sock->file ? (unsigned long)u->sock->file->inode->ino : 0;
        OUT("0000000000000000: %08X %08X %08X %04X %02X %5lu", (unsigned)u->refcount, 0u,
            u->state == US_LISTENING ? 0x10000u : 0u, (unsigned)u->type, st, ino);
        if (u->addr) {
            char path[UNIX_PATH_MAX + 2];
            size_t n = (size_t)u->addr->len - SUN_PATH_OFF;
            if (u->addr->sun.sun_path[0]) {
                n = strnlen(u->addr->sun.sun_path, UNIX_PATH_MAX);
                memcpy(path, u->addr->sun.sun_path, n);
            } else {
                memcpy(path, u->addr->sun.sun_path, n);
                for (size_t i = 0; i < n; i++)      /* abstract: NULs shown as '@' */
                    if (!path[i])
                        path[i] = '@';
            }
            path[n] = 0;
            OUT(" %s", path);
        }
        OUT("\n");
    }
    mutex_unlock(&unix_mutex);
#undef OUT
    return (int)len;
}

void unix_init(void)
{
    mutex_init(&unix_mutex);
    list_init(&unix_names);
    list_init(&unix_all);
    list_init(&unix_free_list);
    wait_queue_init(&unix_dgram_wait);
    wait_queue_init(&unix_conn_wait);
    sock_register_family(AF_UNIX, unix_create);
    /* /proc/net/unix (include/procfs.h; weak so this file does not depend on procfs). */
    extern int procfs_register_file(const char *dir, const char *name,
                                    int (*show)(char *buf, size_t size)) __attribute__((weak));
    if (procfs_register_file)
        procfs_register_file("net", "unix", net_proc_unix);
}
