/* AF_INET SOCK_DGRAM (UDP) over lwIP's raw UDP API. Received datagrams wait in a queue of
 * pbufs with their source; sends are copied into a fresh pbuf and go out at once. */
#include "inet.h"
#include "mm.h"
#include "string.h"

#include "lwip/udp.h"

#define UDP_RCVQ_LIMIT (256 * 1024)
#define UDP_MAX_PAYLOAD 65507

struct udp_sock {
    struct socket *sock;
    struct udp_pcb *pcb;
    struct dgram_queue rxq;
    bool connected;
};

static const struct proto_ops udp_ops;

static void udp_recv_cb(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
                        u16_t port)
{
    (void)pcb;
    struct udp_sock *us = arg;
    if (!us || !us->sock) {
        pbuf_free(p);
        return;
    }
    if (dgram_queue_push(&us->rxq, p, addr, port))
        sock_wake(us->sock);
}

int udp_sock_create(struct socket *sock)
{
    struct udp_sock *us = kzalloc(sizeof(*us));
    if (!us)
        return -ENOMEM;
    us->sock = sock;
    dgram_queue_init(&us->rxq, UDP_RCVQ_LIMIT);
    irqflags_t f = net_lock();
    us->pcb = udp_new_ip_type(IPADDR_TYPE_V4);
    if (us->pcb)
        udp_recv(us->pcb, udp_recv_cb, us);
    net_unlock(f);
    if (!us->pcb) {
        kfree(us);
        return -ENOMEM;
    }
    sock->sk = us;
    sock->ops = &udp_ops;
    sock->state = SS_UNCONNECTED;
    return 0;
}

static void udp_release(struct socket *sock)
{
    struct udp_sock *us = sock->sk;
    irqflags_t f = net_lock();
    udp_remove(us->pcb);
    us->pcb = NULL;
    us->sock = NULL;
    dgram_queue_free(&us->rxq);
    net_unlock(f);
    kfree(us);
    sock->sk = NULL;
}

static int udp_bind_op(struct socket *sock, const void *addr, int addrlen)
{
    struct udp_sock *us = sock->sk;
    ip_addr_t ip;
    uint16_t port;
    int err = inet_parse_addr(addr, addrlen, &ip, &port);
    if (err)
        return err;
    irqflags_t f = net_lock();
    if (us->pcb->local_port != 0) {
        net_unlock(f);
        return -EINVAL;
    }
    if (!ip_addr_isany(&ip) && !inet_is_local_addr(&ip) &&
        !inet_is_broadcast(&ip)) {
        net_unlock(f);
        return -EADDRNOTAVAIL;
    }
    if (sock->reuseaddr)
        ip_set_option(us->pcb, SOF_REUSEADDR);
    err_t e = udp_bind(us->pcb, &ip, port);
    net_unlock(f);
    return inet_err(e);
}

static int udp_connect_op(struct socket *sock, const void *addr, int addrlen, int flags)
{
    (void)flags;
    struct udp_sock *us = sock->sk;
    sa_family_t fam = AF_UNSPEC;
    if (addrlen >= (int)sizeof fam)
        memcpy(&fam, addr, sizeof fam);
    irqflags_t f;
    if (fam == AF_UNSPEC) {
        f = net_lock();
        udp_disconnect(us->pcb);
        us->connected = false;
        sock->state = SS_UNCONNECTED;
        net_unlock(f);
        return 0;
    }
    ip_addr_t ip;
    uint16_t port;
    int err = inet_parse_addr(addr, addrlen, &ip, &port);
    if (err)
        return err;
    if (ip_addr_isany(&ip))
        ip_addr_set_loopback(false, &ip);
    f = net_lock();
    err_t e = udp_connect(us->pcb, &ip, port);
    if (e == ERR_OK) {
        us->connected = true;
        sock->state = SS_CONNECTED;
    }
    net_unlock(f);
    return inet_err(e);
}

static int udp_getname(struct socket *sock, void *addr, int peer)
{
    struct udp_sock *us = sock->sk;
    irqflags_t f = net_lock();
    bool connected = us->connected;
    ip_addr_t ip = peer ? us->pcb->remote_ip : us->pcb->local_ip;
    uint16_t port = peer ? us->pcb->remote_port : us->pcb->local_port;
    net_unlock(f);
    if (peer && !connected)
        return -ENOTCONN;
    return inet_fill_addr(addr, &ip, port);
}

static long udp_sendmsg(struct socket *sock, struct kmsghdr *msg, size_t len, int flags)
{
    (void)flags;
    struct udp_sock *us = sock->sk;
    ip_addr_t ip;
    uint16_t port = 0;
    bool to = msg->name && msg->namelen > 0;
    if (to) {
        int err = inet_parse_addr(msg->name, msg->namelen, &ip, &port);
        if (err)
            return err;
        if (port == 0)
            return -EINVAL;
        if (ip_addr_isany(&ip))
            ip_addr_set_loopback(false, &ip);
    } else if (!us->connected) {
        return -EDESTADDRREQ;
    }
    if (len > UDP_MAX_PAYLOAD)
        return -EMSGSIZE;
    char *buf = len ? kmalloc(len) : NULL;
    if (len && !buf)
        return -ENOMEM;
    if (len && msg_copy_from_iter(buf, &msg->iter, len)) {
        kfree(buf);
        return -EFAULT;
    }
    irqflags_t f = net_lock();
    struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);
    err_t e = ERR_MEM;
    if (p) {
        if (len)
            pbuf_take(p, buf, (u16_t)len);
        if (to && inet_is_broadcast(&ip) && !sock->broadcast)
            e = ERR_ARG;   /* EACCES below: Linux wants SO_BROADCAST */
        else
            e = to ? udp_sendto(us->pcb, p, &ip, port) : udp_send(us->pcb, p);
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

static long udp_recvmsg(struct socket *sock, struct kmsghdr *msg, size_t len, int flags)
{
    struct udp_sock *us = sock->sk;
    if (flags & MSG_OOB)
        return -EOPNOTSUPP;
    return dgram_recvmsg(sock, &us->rxq, msg, len, flags);
}

static int udp_shutdown_op(struct socket *sock, int how)
{
    (void)how;
    struct udp_sock *us = sock->sk;
    return us->connected ? 0 : -ENOTCONN;
}

static unsigned udp_poll_op(struct socket *sock, struct poll_table *pt)
{
    (void)pt;
    struct udp_sock *us = sock->sk;
    irqflags_t f = net_lock();
    unsigned mask = POLLOUT | POLLWRNORM;
    if (!dgram_queue_empty(&us->rxq))
        mask |= POLLIN | POLLRDNORM;
    if (sock->err)
        mask |= POLLERR;
    net_unlock(f);
    return mask;
}

static int udp_setsockopt_op(struct socket *sock, int level, int name, const void *val,
                             unsigned len)
{
    struct udp_sock *us = sock->sk;
    if (level != SOL_SOCKET)
        return dgram_setsockopt_ip(&us->pcb->ttl, &us->pcb->tos, level, name, val, len);
    int v;
    int err = inet_int_opt(val, len, &v);
    if (err)
        return err;
    /* The layer keeps every SOL_SOCKET option; these two lwIP also wants in the pcb. */
    u8_t opt = name == SO_REUSEADDR ? SOF_REUSEADDR : name == SO_BROADCAST ? SOF_BROADCAST : 0;
    if (!opt)
        return -ENOPROTOOPT;
    irqflags_t f = net_lock();
    if (v)
        ip_set_option(us->pcb, opt);
    else
        ip_reset_option(us->pcb, opt);
    net_unlock(f);
    return 0;
}

static int udp_getsockopt_op(struct socket *sock, int level, int name, void *val,
                             unsigned *len)
{
    struct udp_sock *us = sock->sk;
    return dgram_getsockopt_ip(&us->pcb->ttl, &us->pcb->tos, level, name, val, len);
}

static long udp_ioctl_op(struct socket *sock, unsigned cmd, unsigned long arg)
{
    struct udp_sock *us = sock->sk;
    return dgram_ioctl(&us->rxq, cmd, arg);
}

static const struct proto_ops udp_ops = {
    .family = AF_INET,
    .release = udp_release,
    .bind = udp_bind_op,
    .connect = udp_connect_op,
    .getname = udp_getname,
    .sendmsg = udp_sendmsg,
    .recvmsg = udp_recvmsg,
    .shutdown = udp_shutdown_op,
    .poll = udp_poll_op,
    .setsockopt = udp_setsockopt_op,
    .getsockopt = udp_getsockopt_op,
    .ioctl = udp_ioctl_op,
};

/* ---- /proc/net/udp ---- */

#include "kprintf.h"

int net_proc_udp(char *buf, size_t size)
{
    size_t len = 0;
    int n = ksnprintf(buf, size, "   sl  local_address rem_address   st tx_queue rx_queue tr "
                                 "tm->when retrnsmt   uid  timeout inode ref pointer drops\n");
    if (n > 0)
        len = (size_t)n;
    int line = 0;
    irqflags_t f = net_lock();
    for (struct udp_pcb *pcb = udp_pcbs; pcb; pcb = pcb->next) {
        /* Only sockets: lwIP's own pcbs (the DHCP client's) are not listed, as Linux does
         * not list its kernel DHCP client either. */
        if (pcb->recv != udp_recv_cb || !pcb->recv_arg)
            continue;
        struct udp_sock *us = pcb->recv_arg;
        unsigned rxq = (unsigned)us->rxq.bytes;
        /* Linux: 07 (TCP_CLOSE) for unconnected sockets, 01 once connected. */
        unsigned st = (pcb->flags & UDP_FLAGS_CONNECTED) ? 1 : 7;
        size_t room = len < size ? size - len : 0;
        n = ksnprintf(room ? buf + len : NULL, room,
                      "%5d: %08X:%04X %08X:%04X %02X %08X:%08X 00:00000000 00000000 %5u %8d %lu"
                      " 2 0000000000000000 0\n",
                      line++, ip4_addr_get_u32(ip_2_ip4(&pcb->local_ip)), pcb->local_port,
                      ip4_addr_get_u32(ip_2_ip4(&pcb->remote_ip)), pcb->remote_port, st, 0u, rxq,
                      0u, 0, 0ul);
        if (n > 0)
            len += (size_t)n;
    }
    net_unlock(f);
    return (int)len;
}
