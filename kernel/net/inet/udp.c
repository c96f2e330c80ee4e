/* AF_INET SOCK_DGRAM (UDP) over lwIP's raw UDP API: a datagram socket (dgram.c) on a
 * udp_pcb, and /proc/net/udp. */
#include "inet.h"
#include "mm.h"
#include "string.h"

#include "lwip/udp.h"

#define UDP_RCVQ_LIMIT (256 * 1024)

static void udp_recv_cb(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
                        u16_t port)
{
    (void)pcb;
    dgram_deliver(arg, p, addr, port);
}

static bool udp_pcb_new(struct dgram_sock *ds)
{
    ds->pcb.udp = udp_new_ip_type(IPADDR_TYPE_V4);
    if (ds->pcb.udp)
        udp_recv(ds->pcb.udp, udp_recv_cb, ds);
    return ds->pcb.udp != NULL;
}

static void udp_pcb_remove(struct dgram_sock *ds)
{
    udp_remove(ds->pcb.udp);
}

static int udp_bind_pcb(struct dgram_sock *ds, const ip_addr_t *ip, uint16_t port)
{
    if (ds->pcb.udp->local_port != 0)
        return -EINVAL;                 /* bound already */
    if (!ip_addr_isany(ip) && !inet_is_local_addr(ip) && !inet_is_broadcast(ip))
        return -EADDRNOTAVAIL;
    if (inet_port_requires_bind_service(port))
        return -EACCES;
    if (ds->sock->reuseaddr)
        ip_set_option(ds->pcb.udp, SOF_REUSEADDR);
    return inet_err(udp_bind(ds->pcb.udp, ip, port));
}

/* As in Linux, INADDR_ANY as a destination is this host. */
static err_t udp_connect_pcb(struct dgram_sock *ds, ip_addr_t *ip, uint16_t port)
{
    if (ip_addr_isany(ip))
        ip_addr_set_loopback(false, ip);
    return udp_connect(ds->pcb.udp, ip, port);
}

static void udp_disconnect_pcb(struct dgram_sock *ds)
{
    udp_disconnect(ds->pcb.udp);
}

static uint16_t udp_port(const struct dgram_sock *ds, int peer)
{
    return peer ? ds->pcb.udp->remote_port : ds->pcb.udp->local_port;
}

static int udp_send_check(struct dgram_sock *ds, ip_addr_t *to, uint16_t port, size_t len)
{
    (void)ds;
    (void)len;
    if (!to)
        return 0;
    if (port == 0)
        return -EINVAL;                 /* sendto needs a port */
    if (ip_addr_isany(to))
        ip_addr_set_loopback(false, to);
    return 0;
}

static err_t udp_send_pbuf(struct dgram_sock *ds, struct pbuf *p, const ip_addr_t *ip,
                           uint16_t port)
{
    return udp_sendto(ds->pcb.udp, p, ip, port);
}

static const struct dgram_proto udp_proto = {
    .rcvq_limit = UDP_RCVQ_LIMIT,
    .send_layer = PBUF_TRANSPORT,
    .pcb_new = udp_pcb_new,
    .pcb_remove = udp_pcb_remove,
    .bind = udp_bind_pcb,
    .connect = udp_connect_pcb,
    .disconnect = udp_disconnect_pcb,
    .port = udp_port,
    .send_check = udp_send_check,
    .send = udp_send_pbuf,
};

int udp_sock_create(struct socket *sock)
{
    struct dgram_sock *ds = kzalloc(sizeof(*ds));
    if (!ds)
        return -ENOMEM;
    return dgram_sock_create(sock, ds, &udp_proto);
}

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
        struct dgram_sock *ds = pcb->recv_arg;
        unsigned rxq = (unsigned)ds->rxq.bytes;
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
