/* Received-datagram queues for UDP and ICMP sockets, and the recvmsg they share. */
#include "inet.h"
#include "mm.h"
#include "string.h"

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
