/* AF_UNIX: the family (socket creation, /proc/net/unix), names (bind, the lookup connect and
 * sendto use, getname, autobind), socketpair, release and shutdown, what both receive paths
 * share, and poll, ioctl and options. How the family is built: unix_internal.h. */
#include "unix_internal.h"
#include "string.h"
#include "uaccess.h"
#include "kprintf.h"
#include "procfs.h"

struct mutex unix_mutex;
struct list_head unix_all;
struct wait_queue unix_dgram_wait;
struct wait_queue unix_conn_wait;
static struct list_head unix_names;
static unsigned unix_autobind_next;

_Static_assert(offsetof(struct sockaddr_un, sun_path) == SUN_PATH_OFF, "sun_path's offset");

/* ---- sockets and messages ---- */

struct unix_skb *unix_skb_new(size_t len)
{
    struct unix_skb *skb = kmalloc(sizeof(*skb) + len);
    if (!skb)
        return NULL;
    memset(skb, 0, sizeof(*skb));
    skb->len = len;
    return skb;
}

void unix_skb_free(struct unix_skb *skb)
{
    unsigned nfds;
    struct file **fds = unix_skb_detach_fds(skb, &nfds);
    for (unsigned i = 0; i < nfds; i++)
        file_put(fds[i]);
    kfree(fds);
    addr_put(skb->addr);
    kfree(skb);
}

/* Freeing a message may drop the last reference to a socket that was passed in it, whose
 * release frees its own queue, and so on: a chain of sockets inside sockets. To keep the
 * kernel stack flat whatever the chain's depth, messages to free go onto one list that a single
 * drainer empties; a release nested inside the drain only appends to it. */
static struct list_head unix_free_list;
bool unix_draining;

void unix_deferred_run(struct unix_deferred *d)
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
            unix_skb_free(skb);
            mutex_lock(&unix_mutex);
        }
        unix_draining = false;
    }
    mutex_unlock(&unix_mutex);
    if (d->inode)
        iput(d->inode);
}

void unix_put(struct unix_sock *u)
{
    if (--u->refcount == 0) {
        list_del(&u->all_link);
        addr_put(u->addr);
        kfree(u);
    }
}

struct unix_sock *unix_sock_new(int type)
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

/* ---- names ---- */

int unix_mkname(const void *uaddr, int len, struct unix_name *name)
{
    if (len <= SUN_PATH_OFF || len > (int)sizeof(name->sun))
        return -EINVAL;
    memset(name, 0, sizeof(*name));
    memcpy(name->bytes, uaddr, (size_t)len);
    if (name->sun.sun_family != AF_UNIX)
        return -EINVAL;
    if (name->sun.sun_path[0])        /* bytes[len] (zeroed) ends a path that fills len */
        return (int)(SUN_PATH_OFF + strnlen(name->sun.sun_path, (size_t)len - SUN_PATH_OFF) + 1);
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

struct unix_sock *unix_find(struct sockaddr_un *sun, int len, int type, int *err)
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

void unix_find_put(struct unix_sock *u)
{
    mutex_lock(&unix_mutex);
    unix_put(u);
    mutex_unlock(&unix_mutex);
}

int unix_autobind_locked(struct unix_sock *u)
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
    /* The family alone: an autobind, as in Linux. */
    if (len == SUN_PATH_OFF && ((const struct sockaddr *)uaddr)->sa_family == AF_UNIX) {
        mutex_lock(&unix_mutex);
        int err = u->addr || u->binding ? -EINVAL : unix_autobind_locked(u);
        mutex_unlock(&unix_mutex);
        return err;
    }
    struct unix_name name;
    int nlen = unix_mkname(uaddr, len, &name);
    if (nlen < 0)
        return nlen;
    struct unix_addr *a = addr_new(&name.sun, nlen);
    if (!a)
        return -ENOMEM;
    mutex_lock(&unix_mutex);
    if (u->addr || u->binding) {
        mutex_unlock(&unix_mutex);
        addr_put(a);
        return -EINVAL;
    }
    if (!name.sun.sun_path[0]) {
        int err = 0;
        if (find_abstract(&name.sun, nlen, u->type)) {
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
    int err = vfs_mknod_at(AT_FDCWD, name.sun.sun_path, mode, 0, &d);
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

/* ---- connection set-up shared by all types (the rest: stream.c, dgram.c) ---- */

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

/* ---- release and shutdown ---- */

/* Tear one unix_sock down (unix_mutex held); queued skbs and the inode go to *d. */
static void unix_release_locked(struct unix_sock *u, bool embryo,
                                struct unix_deferred *d)
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

static void unix_release(struct socket *sock)
{
    struct unix_sock *u = usk(sock);
    struct unix_deferred d = { .inode = NULL };
    list_init(&d.skbs);
    mutex_lock(&unix_mutex);
    unix_release_locked(u, false, &d);
    sock->sk = NULL;
    unix_put(u);
    /* Not from inside a drain: the outermost release collects for everyone. */
    if (__atomic_load_n(&unix_socks_inflight, __ATOMIC_RELAXED) && !unix_draining)
        unix_gc_locked(&d);
    mutex_unlock(&unix_mutex);
    unix_deferred_run(&d);
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


/* ---- what both receive paths use ---- */

void unix_copy_addr(struct kmsghdr *msg, const struct unix_addr *a)
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

long unix_wait_rq(struct socket *sock, struct unix_sock *u, bool nonblock,
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
        if (to && !to->dead && to->peer != u && unix_recvq_full(to, u, 1, sock->sndbuf))
            writable = false;
    } else {
        if (u->state == US_UNCONNECTED)
            mask |= POLLHUP;
        struct unix_sock *to = u->peer;
        if (u->state == US_CONNECTED && to && !to->dead && !(to->shutdown & RCV_SHUTDOWN)) {
            if (u->type == SOCK_STREAM && to->rq_mem >= (size_t)sock->sndbuf)
                writable = false;
            if (u->type == SOCK_SEQPACKET && unix_recvq_full(to, u, 1, sock->sndbuf))
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
static int net_proc_unix(char *buf, size_t size)
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
    procfs_register_file("net", "unix", net_proc_unix);
}
