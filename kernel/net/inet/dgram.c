/* The datagram socket base UDP and ICMP sockets share (inet.h): the queue of received
 * datagrams, and every socket operation, which calls the protocol's struct dgram_proto for
 * what is its own (its pcb, its address checks, how it sends). */
#include "inet.h"
#include "mm.h"
#include "string.h"
#include "uaccess.h"

#include "lwip/ip.h"

/* The largest payload: 65535 less the IP and UDP (or ICMP echo) headers. */
#define DGRAM_MAX_PAYLOAD 65507

static const struct proto_ops dgram_ops;

static struct dgram_sock *dgram_sk(const struct socket *sock)
{
    return sock->sk;
}

/* ---- the queue of received datagrams ---- */

struct dgram {
    struct list_head node;
    struct pbuf *p;
    ip_addr_t src;
    uint16_t port;
};

static void dgram_queue_init(struct dgram_queue *q, size_t limit)
{
    list_init(&q->list);
    q->bytes = 0;
    q->limit = limit;
}

/* Takes ownership of p (freed if the queue is full). */
static bool dgram_queue_push(struct dgram_queue *q, struct pbuf *p, const ip_addr_t *src,
                             uint16_t port)
{
    /* Like a full socket receive buffer on Linux: the datagram is dropped. */
    if (q->bytes + p->tot_len > q->limit) {
        pbuf_free(p);
        return false;
    }
    struct dgram *d = kmalloc(sizeof(*d));
    if (!d) {
        pbuf_free(p);
        return false;
    }
    d->p = p;
    ip_addr_copy(d->src, *src);
    d->port = port;
    list_add_tail(&d->node, &q->list);
    q->bytes += p->tot_len;
    return true;
}

static void dgram_free(struct dgram_queue *q, struct dgram *d)
{
    list_del(&d->node);
    q->bytes -= d->p->tot_len;
    pbuf_free(d->p);
    kfree(d);
}

static void dgram_queue_free(struct dgram_queue *q)
{
    while (!list_empty(&q->list))
        dgram_free(q, list_first_entry(&q->list, struct dgram, node));
}

static size_t dgram_queue_next_len(const struct dgram_queue *q)
{
    if (list_empty(&q->list))
        return 0;
    return list_first_entry(&q->list, struct dgram, node)->p->tot_len;
}

void dgram_deliver(struct dgram_sock *ds, struct pbuf *p, const ip_addr_t *src, uint16_t port)
{
    if (!ds || !ds->sock) {
        pbuf_free(p);
        return;
    }
    if (dgram_queue_push(&ds->rxq, p, src, port))
        sock_wake(ds->sock);
}

/* ---- creation and release ---- */

int dgram_sock_create(struct socket *sock, struct dgram_sock *ds,
                      const struct dgram_proto *proto)
{
    ds->sock = sock;
    ds->proto = proto;
    dgram_queue_init(&ds->rxq, proto->rcvq_limit);
    irqflags_t f = net_lock();
    bool made = proto->pcb_new(ds);
    net_unlock(f);
    if (!made) {
        kfree(ds);
        return -ENOMEM;
    }
    sock->sk = ds;
    sock->ops = &dgram_ops;
    sock->state = SS_UNCONNECTED;
    return 0;
}

static void dgram_release(struct socket *sock)
{
    struct dgram_sock *ds = dgram_sk(sock);
    irqflags_t f = net_lock();
    ds->proto->pcb_remove(ds);
    ds->pcb.ip = NULL;
    ds->sock = NULL;
    dgram_queue_free(&ds->rxq);
    net_unlock(f);
    kfree(ds);
    sock->sk = NULL;
}

/* ---- addresses ---- */

static int dgram_bind(struct socket *sock, const void *addr, int addrlen)
{
    struct dgram_sock *ds = dgram_sk(sock);
    ip_addr_t ip;
    uint16_t port;
    int err = inet_parse_addr(addr, addrlen, &ip, &port);
    if (err)
        return err;
    irqflags_t f = net_lock();
    err = ds->proto->bind(ds, &ip, port);
    net_unlock(f);
    return err;
}

static int dgram_connect(struct socket *sock, const void *addr, int addrlen, int flags)
{
    (void)flags;
    struct dgram_sock *ds = dgram_sk(sock);
    sa_family_t fam = AF_UNSPEC;
    if (addrlen >= (int)sizeof fam)
        memcpy(&fam, addr, sizeof fam);
    irqflags_t f;
    if (fam == AF_UNSPEC) {
        f = net_lock();
        ds->proto->disconnect(ds);
        ds->connected = false;
        sock->state = SS_UNCONNECTED;
        net_unlock(f);
        return 0;
    }
    ip_addr_t ip;
    uint16_t port;
    int err = inet_parse_addr(addr, addrlen, &ip, &port);
    if (err)
        return err;
    f = net_lock();
    err_t e = ds->proto->connect(ds, &ip, port);
    if (e == ERR_OK) {
        ds->connected = true;
        sock->state = SS_CONNECTED;
    }
    net_unlock(f);
    return inet_err(e);
}

static int dgram_getname(struct socket *sock, void *addr, int peer)
{
    struct dgram_sock *ds = dgram_sk(sock);
    irqflags_t f = net_lock();
    bool connected = ds->connected;
    ip_addr_t ip = peer ? ds->pcb.ip->remote_ip : ds->pcb.ip->local_ip;
    uint16_t port = ds->proto->port(ds, peer);
    net_unlock(f);
    if (peer && !connected)
        return -ENOTCONN;
    return inet_fill_addr(addr, &ip, port);
}

/* ---- sending and receiving ---- */

static long dgram_sendmsg(struct socket *sock, struct kmsghdr *msg, size_t len, int flags)
{
    (void)flags;
    struct dgram_sock *ds = dgram_sk(sock);
    const struct dgram_proto *proto = ds->proto;
    ip_addr_t ip;
    uint16_t port = 0;
    bool to = msg->name && msg->namelen > 0;
    if (to) {
        int err = inet_parse_addr(msg->name, msg->namelen, &ip, &port);
        if (err)
            return err;
    } else if (!ds->connected) {
        return -EDESTADDRREQ;
    }
    if (len > DGRAM_MAX_PAYLOAD)
        return -EMSGSIZE;
    int err = proto->send_check(ds, to ? &ip : NULL, port, len);
    if (err)
        return err;
    uint8_t *buf = kmalloc(len ? len : 1);
    if (!buf)
        return -ENOMEM;
    if (len && msg_copy_from_iter(buf, &msg->iter, len)) {
        kfree(buf);
        return -EFAULT;
    }
    if (proto->send_prepare && (err = proto->send_prepare(ds, buf, len))) {
        kfree(buf);
        return err;
    }
    irqflags_t f = net_lock();
    if (!to) {
        ip = ds->pcb.ip->remote_ip;
        port = proto->port(ds, 1);
    }
    err_t e = ERR_MEM;
    struct pbuf *p = pbuf_alloc(proto->send_layer, (u16_t)len, PBUF_RAM);
    if (p) {
        if (len)
            pbuf_take(p, buf, (u16_t)len);
        if (inet_is_broadcast(&ip) && !sock->broadcast)
            e = ERR_ARG;   /* EACCES below: Linux wants SO_BROADCAST */
        else
            e = proto->send(ds, p, &ip, port);
        pbuf_free(p);
    }
    net_unlock(f);
    kfree(buf);
    if (e == ERR_ARG)
        return -EACCES;
    if (e == ERR_RTE)
        return -ENETUNREACH;
    if (e == ERR_MEM)
        return -ENOBUFS;
    if (e != ERR_OK && e != ERR_IF)
        return inet_err(e);
    return (long)len;    /* like a NIC dropping it, a down link loses the datagram quietly */
}

static bool dgram_ready(struct socket *sock, struct dgram_queue *q)
{
    irqflags_t f = net_lock();
    bool r = !list_empty(&q->list) || sock->err;
    net_unlock(f);
    return r;
}

/* Sleeps (outside the lock) as the socket's flags say, then copies the first datagram into
 * msg. Returns bytes copied (or the full length with MSG_TRUNC in flags) or -errno. */
static long dgram_recvmsg(struct socket *sock, struct kmsghdr *msg, size_t len, int flags)
{
    struct dgram_queue *q = &dgram_sk(sock)->rxq;
    if (flags & MSG_OOB)
        return -EOPNOTSUPP;
    bool nonblock = sock_nonblock(sock, flags);
    uint64_t deadline = sock_rcv_deadline(sock);
    for (;;) {
        irqflags_t f = net_lock();
        if (sock->err) {
            int e = sock->err;
            sock->err = 0;
            net_unlock(f);
            return e;
        }
        if (!list_empty(&q->list)) {
            struct dgram *d = list_first_entry(&q->list, struct dgram, node);
            size_t dlen = d->p->tot_len;
            size_t n = MIN(dlen, len);
            ip_addr_t src = d->src;
            uint16_t port = d->port;
            char *buf = n ? kmalloc(n) : NULL;
            if (n && !buf) {
                net_unlock(f);
                return -ENOMEM;
            }
            if (n)
                pbuf_copy_partial(d->p, buf, (u16_t)n, 0);
            if (!(flags & MSG_PEEK))
                dgram_free(q, d);
            net_unlock(f);
            int err = n ? msg_copy_to_iter(&msg->iter, buf, n) : 0;
            kfree(buf);
            if (err)
                return err;
            if (msg->name)
                msg->namelen = inet_fill_addr(msg->name, &src, port);
            if (dlen > n)
                msg->flags |= MSG_TRUNC;
            return (long)((flags & MSG_TRUNC) ? dlen : n);
        }
        net_unlock(f);
        if (nonblock)
            return -EAGAIN;
        int err = sock_wait_event(&sock->wq, dgram_ready(sock, q), deadline);
        if (err)
            return err;
    }
}

static int dgram_shutdown(struct socket *sock, int how)
{
    (void)how;
    return dgram_sk(sock)->connected ? 0 : -ENOTCONN;
}

static unsigned dgram_poll(struct socket *sock, struct poll_table *pt)
{
    (void)pt;
    struct dgram_sock *ds = dgram_sk(sock);
    irqflags_t f = net_lock();
    unsigned mask = POLLOUT | POLLWRNORM;
    if (!list_empty(&ds->rxq.list))
        mask |= POLLIN | POLLRDNORM;
    if (sock->err)
        mask |= POLLERR;
    net_unlock(f);
    return mask;
}

/* ---- options and ioctls ---- */

/* IP_TTL and IP_TOS at IPPROTO_IP live in the pcb (its ttl and tos); IP_RECVERR and
 * IP_MTU_DISCOVER are accepted. At SOL_SOCKET (after the socket layer stored the option),
 * SO_REUSEADDR and SO_BROADCAST also go into the pcb for lwIP. */
static int dgram_setsockopt(struct socket *sock, int level, int name, const void *val,
                            unsigned len)
{
    struct dgram_sock *ds = dgram_sk(sock);
    int v;
    int err = inet_int_opt(val, len, &v);
    if (err)
        return err;
    int ret = 0;
    irqflags_t f;
    if (level == SOL_SOCKET) {
        u8_t opt = name == SO_REUSEADDR ? SOF_REUSEADDR
                   : name == SO_BROADCAST ? SOF_BROADCAST : 0;
        if (!opt)
            return -ENOPROTOOPT;
        f = net_lock();
        if (v)
            ip_set_option(ds->pcb.ip, opt);
        else
            ip_reset_option(ds->pcb.ip, opt);
        net_unlock(f);
        return 0;
    }
    if (level != IPPROTO_IP)
        return -ENOPROTOOPT;
    f = net_lock();
    if (name == IP_TTL) {
        if (v < -1 || v == 0 || v > 255)
            ret = -EINVAL;
        else
            ds->pcb.ip->ttl = (u8_t)(v == -1 ? IP_DEFAULT_TTL : v);
    } else if (name == IP_TOS) {
        ds->pcb.ip->tos = (u8_t)v;
    } else if (name != IP_RECVERR && name != IP_MTU_DISCOVER) {
        /* Those two are accepted: no ICMP errors are queued, no path MTU discovery. */
        ret = -ENOPROTOOPT;
    }
    net_unlock(f);
    return ret;
}

static int dgram_getsockopt(struct socket *sock, int level, int name, void *val, unsigned *len)
{
    struct dgram_sock *ds = dgram_sk(sock);
    if (level != IPPROTO_IP || (name != IP_TTL && name != IP_TOS))
        return -ENOPROTOOPT;
    irqflags_t f = net_lock();
    int v = name == IP_TTL ? ds->pcb.ip->ttl : ds->pcb.ip->tos;
    net_unlock(f);
    return inet_put_int(val, len, v);
}

static long dgram_ioctl(struct socket *sock, unsigned cmd, unsigned long arg)
{
    if (cmd != SIOCINQ && cmd != SIOCOUTQ)
        return inet_ifioctl(cmd, arg);
    /* SIOCOUTQ is 0: a datagram leaves at once. SIOCINQ is the next datagram's length. */
    irqflags_t f = net_lock();
    int v = cmd == SIOCINQ ? (int)dgram_queue_next_len(&dgram_sk(sock)->rxq) : 0;
    net_unlock(f);
    return copy_to_user(arg, &v, sizeof v);
}

static const struct proto_ops dgram_ops = {
    .family = AF_INET,
    .release = dgram_release,
    .bind = dgram_bind,
    .connect = dgram_connect,
    .getname = dgram_getname,
    .sendmsg = dgram_sendmsg,
    .recvmsg = dgram_recvmsg,
    .shutdown = dgram_shutdown,
    .poll = dgram_poll,
    .setsockopt = dgram_setsockopt,
    .getsockopt = dgram_getsockopt,
    .ioctl = dgram_ioctl,
};
