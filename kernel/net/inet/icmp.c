/* ICMP sockets, for ping:
 *   SOCK_RAW, IPPROTO_ICMP (root only): every ICMP packet received, IP header included; what
 *     is sent is the ICMP message (the caller computes its checksum), lwIP adds the IP header.
 *   SOCK_DGRAM, IPPROTO_ICMP ("ping sockets", Linux 3.0+): echo requests only; the kernel sets
 *     the identifier (the socket's "port") and the checksum, and only echo replies carrying
 *     that identifier are received, without the IP header. Linux limits these to the groups
 *     in net.ipv4.ping_group_range; openv allows every user.
 * Both are lwIP raw pcbs: lwIP's own ICMP processing (answering echo requests) goes on as
 * well, since the receive callback copies packets instead of taking them.
 */
#include "inet.h"
#include "mm.h"
#include "string.h"
#include "random.h"

#include "lwip/raw.h"
#include "lwip/inet_chksum.h"
#include "lwip/prot/icmp.h"

#define ICMP_RCVQ_LIMIT (128 * 1024)
#define ICMP_MAX_PAYLOAD 65507

struct icmp_sock {
    struct socket *sock;
    struct raw_pcb *pcb;
    struct dgram_queue rxq;
    bool raw;                         /* SOCK_RAW (else a ping socket) */
    bool connected;
    uint16_t ident;                   /* ping sockets: the echo identifier (host order) */
};

static const struct proto_ops icmp_ops;

static u8_t icmp_recv_cb(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr)
{
    (void)pcb;
    struct icmp_sock *is = arg;
    if (!is || !is->sock || p->tot_len < 1)
        return 0;
    uint8_t vhl;
    pbuf_copy_partial(p, &vhl, 1, 0);
    u16_t hlen = (u16_t)((vhl & 0x0f) * 4);
    if (hlen < 20 || p->tot_len < hlen + 8)
        return 0;
    if (!is->raw) {
        uint8_t h[8];
        pbuf_copy_partial(p, h, sizeof h, hlen);
        uint16_t id = (uint16_t)(h[4] << 8 | h[5]);
        if (h[0] != ICMP_ER || id != is->ident)
            return 0;
    }
    struct pbuf *q = pbuf_clone(PBUF_RAW, PBUF_RAM, p);
    if (!q)
        return 0;
    if (!is->raw)
        pbuf_remove_header(q, hlen);
    if (dgram_queue_push(&is->rxq, q, addr, 0))
        sock_wake(is->sock);
    return 0;   /* not taken: lwIP's own ICMP handling still sees it */
}

int icmp_sock_create(struct socket *sock, bool raw)
{
    struct icmp_sock *is = kzalloc(sizeof(*is));
    if (!is)
        return -ENOMEM;
    is->sock = sock;
    is->raw = raw;
    is->ident = (uint16_t)get_random_u64();
    dgram_queue_init(&is->rxq, ICMP_RCVQ_LIMIT);
    irqflags_t f = net_lock();
    is->pcb = raw_new_ip_type(IPADDR_TYPE_V4, IP_PROTO_ICMP);
    if (is->pcb)
        raw_recv(is->pcb, icmp_recv_cb, is);
    net_unlock(f);
    if (!is->pcb) {
        kfree(is);
        return -ENOMEM;
    }
    sock->protocol = IPPROTO_ICMP;
    sock->sk = is;
    sock->ops = &icmp_ops;
    sock->state = SS_UNCONNECTED;
    return 0;
}

static void icmp_release(struct socket *sock)
{
    struct icmp_sock *is = sock->sk;
    irqflags_t f = net_lock();
    raw_remove(is->pcb);
    is->sock = NULL;
    dgram_queue_free(&is->rxq);
    net_unlock(f);
    kfree(is);
    sock->sk = NULL;
}

static int icmp_bind_op(struct socket *sock, const void *addr, int addrlen)
{
    struct icmp_sock *is = sock->sk;
    ip_addr_t ip;
    uint16_t port;
    int err = inet_parse_addr(addr, addrlen, &ip, &port);
    if (err)
        return err;
    irqflags_t f = net_lock();
    if (!ip_addr_isany(&ip) && !inet_is_local_addr(&ip)) {
        net_unlock(f);
        return -EADDRNOTAVAIL;
    }
    err_t e = raw_bind(is->pcb, &ip);
    if (!is->raw && port)
        is->ident = port;
    net_unlock(f);
    return inet_err(e);
}

static int icmp_connect_op(struct socket *sock, const void *addr, int addrlen, int flags)
{
    (void)flags;
    struct icmp_sock *is = sock->sk;
    ip_addr_t ip;
    uint16_t port;
    int err = inet_parse_addr(addr, addrlen, &ip, &port);
    if (err)
        return err;
    irqflags_t f = net_lock();
    err_t e = raw_connect(is->pcb, &ip);
    if (e == ERR_OK) {
        is->connected = true;
        sock->state = SS_CONNECTED;
    }
    net_unlock(f);
    return inet_err(e);
}

static int icmp_getname(struct socket *sock, void *addr, int peer)
{
    struct icmp_sock *is = sock->sk;
    irqflags_t f = net_lock();
    ip_addr_t ip = peer ? is->pcb->remote_ip : is->pcb->local_ip;
    bool connected = is->connected;
    uint16_t port = is->raw ? 0 : is->ident;
    net_unlock(f);
    if (peer && !connected)
        return -ENOTCONN;
    return inet_fill_addr(addr, &ip, peer ? 0 : port);
}

static long icmp_sendmsg(struct socket *sock, struct kmsghdr *msg, size_t len, int flags)
{
    (void)flags;
    struct icmp_sock *is = sock->sk;
    ip_addr_t ip;
    uint16_t port;
    bool to = msg->name && msg->namelen > 0;
    if (to) {
        int err = inet_parse_addr(msg->name, msg->namelen, &ip, &port);
        if (err)
            return err;
    } else if (!is->connected) {
        return -EDESTADDRREQ;
    }
    if (len > ICMP_MAX_PAYLOAD)
        return -EMSGSIZE;
    if (len < 8 && !is->raw)
        return -EINVAL;
    char *buf = kmalloc(len ? len : 1);
    if (!buf)
        return -ENOMEM;
    if (len && msg_copy_from_iter(buf, &msg->iter, len)) {
        kfree(buf);
        return -EFAULT;
    }
    if (!is->raw) {
        /* Linux accepts only echo requests on ping sockets and fills in id and checksum. */
        if ((uint8_t)buf[0] != ICMP_ECHO || buf[1] != 0) {
            kfree(buf);
            return -EINVAL;
        }
        buf[4] = (char)(is->ident >> 8);
        buf[5] = (char)is->ident;
        buf[2] = buf[3] = 0;
        u16_t sum = inet_chksum(buf, (u16_t)len);
        memcpy(buf + 2, &sum, 2);
    }
    irqflags_t f = net_lock();
    if (!to)
        ip = is->pcb->remote_ip;
    err_t e = ERR_MEM;
    struct pbuf *p = pbuf_alloc(PBUF_IP, (u16_t)len, PBUF_RAM);
    if (p) {
        if (len)
            pbuf_take(p, buf, (u16_t)len);
        if (inet_is_broadcast(&ip) && !sock->broadcast)
            e = ERR_ARG;
        else
            e = raw_sendto(is->pcb, p, &ip);
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
    return (long)len;
}

static long icmp_recvmsg(struct socket *sock, struct kmsghdr *msg, size_t len, int flags)
{
    struct icmp_sock *is = sock->sk;
    if (flags & MSG_OOB)
        return -EOPNOTSUPP;
    return dgram_recvmsg(sock, &is->rxq, msg, len, flags);
}

static unsigned icmp_poll_op(struct socket *sock, struct poll_table *pt)
{
    (void)pt;
    struct icmp_sock *is = sock->sk;
    irqflags_t f = net_lock();
    unsigned mask = POLLOUT | POLLWRNORM;
    if (!dgram_queue_empty(&is->rxq))
        mask |= POLLIN | POLLRDNORM;
    if (sock->err)
        mask |= POLLERR;
    net_unlock(f);
    return mask;
}

static int icmp_setsockopt_op(struct socket *sock, int level, int name, const void *val,
                              unsigned len)
{
    struct icmp_sock *is = sock->sk;
    return dgram_setsockopt_ip(&is->pcb->ttl, &is->pcb->tos, level, name, val, len);
}

static int icmp_getsockopt_op(struct socket *sock, int level, int name, void *val,
                              unsigned *len)
{
    struct icmp_sock *is = sock->sk;
    return dgram_getsockopt_ip(&is->pcb->ttl, &is->pcb->tos, level, name, val, len);
}

static long icmp_ioctl_op(struct socket *sock, unsigned cmd, unsigned long arg)
{
    struct icmp_sock *is = sock->sk;
    return dgram_ioctl(&is->rxq, cmd, arg);
}

static const struct proto_ops icmp_ops = {
    .family = AF_INET,
    .release = icmp_release,
    .bind = icmp_bind_op,
    .connect = icmp_connect_op,
    .getname = icmp_getname,
    .sendmsg = icmp_sendmsg,
    .recvmsg = icmp_recvmsg,
    .poll = icmp_poll_op,
    .setsockopt = icmp_setsockopt_op,
    .getsockopt = icmp_getsockopt_op,
    .ioctl = icmp_ioctl_op,
};
