/* What UDP and ICMP sockets share: the queue of received datagrams and the recvmsg on it, and
 * the IPPROTO_IP options and queue ioctls both answer the same way. */
#include "inet.h"
#include "mm.h"
#include "string.h"
#include "uaccess.h"

struct dgram {
    struct list_head node;
    struct pbuf *p;
    ip_addr_t src;
    uint16_t port;
};

void dgram_queue_init(struct dgram_queue *q, size_t limit)
{
    list_init(&q->list);
    q->bytes = 0;
    q->limit = limit;
}

bool dgram_queue_push(struct dgram_queue *q, struct pbuf *p, const ip_addr_t *src, uint16_t port)
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

void dgram_queue_free(struct dgram_queue *q)
{
    while (!list_empty(&q->list))
        dgram_free(q, list_first_entry(&q->list, struct dgram, node));
}

size_t dgram_queue_next_len(const struct dgram_queue *q)
{
    if (list_empty(&q->list))
        return 0;
    return list_first_entry(&q->list, struct dgram, node)->p->tot_len;
}

static bool dgram_ready(struct socket *sock, struct dgram_queue *q)
{
    irqflags_t f = net_lock();
    bool r = !list_empty(&q->list) || sock->err;
    net_unlock(f);
    return r;
}

long dgram_recvmsg(struct socket *sock, struct dgram_queue *q, struct kmsghdr *msg,
                   size_t len, int flags)
{
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

/* ---- the options and ioctls UDP and ICMP sockets answer alike ---- */

int dgram_setsockopt_ip(u8_t *ttl, u8_t *tos, int level, int name, const void *val,
                        unsigned len)
{
    int v;
    int err = inet_int_opt(val, len, &v);
    if (err)
        return err;
    if (level != IPPROTO_IP)
        return -ENOPROTOOPT;
    int ret = 0;
    irqflags_t f = net_lock();
    if (name == IP_TTL) {
        if (v < -1 || v == 0 || v > 255)
            ret = -EINVAL;
        else
            *ttl = (u8_t)(v == -1 ? IP_DEFAULT_TTL : v);
    } else if (name == IP_TOS) {
        *tos = (u8_t)v;
    } else if (name != IP_RECVERR && name != IP_MTU_DISCOVER) {
        /* Those two are accepted: no ICMP errors are queued, no path MTU discovery. */
        ret = -ENOPROTOOPT;
    }
    net_unlock(f);
    return ret;
}

int dgram_getsockopt_ip(const u8_t *ttl, const u8_t *tos, int level, int name, void *val,
                        unsigned *len)
{
    if (level != IPPROTO_IP || (name != IP_TTL && name != IP_TOS))
        return -ENOPROTOOPT;
    irqflags_t f = net_lock();
    int v = name == IP_TTL ? *ttl : *tos;
    net_unlock(f);
    return inet_put_int(val, len, v);
}

long dgram_ioctl(const struct dgram_queue *q, unsigned cmd, unsigned long arg)
{
    if (cmd != SIOCINQ && cmd != SIOCOUTQ)
        return inet_ifioctl(cmd, arg);
    /* SIOCOUTQ is 0: a datagram leaves at once. SIOCINQ is the next datagram's length. */
    irqflags_t f = net_lock();
    int v = cmd == SIOCINQ ? (int)dgram_queue_next_len(q) : 0;
    net_unlock(f);
    return copy_to_user(arg, &v, sizeof v);
}
