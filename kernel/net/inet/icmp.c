/* ICMP sockets, for ping:
 *   SOCK_RAW, IPPROTO_ICMP (root only): every ICMP packet received, IP header included; what
 *     is sent is the ICMP message (the caller computes its checksum), lwIP adds the IP header.
 *   SOCK_DGRAM, IPPROTO_ICMP ("ping sockets", Linux 3.0+): echo requests only; the kernel sets
 *     the identifier (the socket's "port") and the checksum, and only echo replies carrying
 *     that identifier are received, without the IP header. Linux limits these to the groups
 *     in net.ipv4.ping_group_range; openv allows every user.
 * Both are datagram sockets (dgram.c) on lwIP raw pcbs: lwIP's own ICMP processing
 * (answering echo requests) goes on as well, since the receive callback copies packets instead
 * of taking them.
 */
#include "inet.h"
#include "mm.h"
#include "string.h"
#include "random.h"

#include "lwip/raw.h"
#include "lwip/inet_chksum.h"
#include "lwip/prot/icmp.h"

#define ICMP_RCVQ_LIMIT (128 * 1024)

struct icmp_sock {
    struct dgram_sock ds;             /* first: dgram.c frees it */
    bool raw;                         /* SOCK_RAW (else a ping socket) */
    uint16_t ident;                   /* ping sockets: the echo identifier (host order) */
};
_Static_assert(offsetof(struct icmp_sock, ds) == 0, "dgram.c frees the dgram_sock");

static struct icmp_sock *icmp_sk(const struct dgram_sock *ds)
{
    return container_of(ds, struct icmp_sock, ds);
}

static u8_t icmp_recv_cb(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr)
{
    (void)pcb;
    struct icmp_sock *is = arg;
    if (!is || !is->ds.sock || p->tot_len < 1)
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
    dgram_deliver(&is->ds, q, addr, 0);
    return 0;   /* not taken: lwIP's own ICMP handling still sees it */
}

static bool icmp_pcb_new(struct dgram_sock *ds)
{
    ds->pcb.raw = raw_new_ip_type(IPADDR_TYPE_V4, IP_PROTO_ICMP);
    if (ds->pcb.raw)
        raw_recv(ds->pcb.raw, icmp_recv_cb, icmp_sk(ds));
    return ds->pcb.raw != NULL;
}

static void icmp_pcb_remove(struct dgram_sock *ds)
{
    raw_remove(ds->pcb.raw);
}

static int icmp_bind(struct dgram_sock *ds, const ip_addr_t *ip, uint16_t port)
{
    struct icmp_sock *is = icmp_sk(ds);
    if (!ip_addr_isany(ip) && !inet_is_local_addr(ip))
        return -EADDRNOTAVAIL;
    err_t e = raw_bind(ds->pcb.raw, ip);
    if (!is->raw && port)
        is->ident = port;
    return inet_err(e);
}

static err_t icmp_connect(struct dgram_sock *ds, ip_addr_t *ip, uint16_t port)
{
    (void)port;
    return raw_connect(ds->pcb.raw, ip);
}

static void icmp_disconnect(struct dgram_sock *ds)
{
    raw_disconnect(ds->pcb.raw);
}

/* A ping socket's local "port" is its echo identifier. */
static uint16_t icmp_port(const struct dgram_sock *ds, int peer)
{
    const struct icmp_sock *is = icmp_sk(ds);
    return peer || is->raw ? 0 : is->ident;
}

static int icmp_send_check(struct dgram_sock *ds, ip_addr_t *to, uint16_t port, size_t len)
{
    (void)to;
    (void)port;
    return len < 8 && !icmp_sk(ds)->raw ? -EINVAL : 0;
}

/* Linux accepts only echo requests on ping sockets and fills in id and checksum. */
static int icmp_send_prepare(struct dgram_sock *ds, uint8_t *buf, size_t len)
{
    const struct icmp_sock *is = icmp_sk(ds);
    if (is->raw)
        return 0;
    if (buf[0] != ICMP_ECHO || buf[1] != 0)
        return -EINVAL;
    buf[4] = (uint8_t)(is->ident >> 8);
    buf[5] = (uint8_t)is->ident;
    buf[2] = buf[3] = 0;
    u16_t sum = inet_chksum(buf, (u16_t)len);
    memcpy(buf + 2, &sum, 2);
    return 0;
}

static err_t icmp_send(struct dgram_sock *ds, struct pbuf *p, const ip_addr_t *ip,
                       uint16_t port)
{
    (void)port;
    return raw_sendto(ds->pcb.raw, p, ip);
}

static const struct dgram_proto icmp_proto = {
    .rcvq_limit = ICMP_RCVQ_LIMIT,
    .send_layer = PBUF_IP,
    .pcb_new = icmp_pcb_new,
    .pcb_remove = icmp_pcb_remove,
    .bind = icmp_bind,
    .connect = icmp_connect,
    .disconnect = icmp_disconnect,
    .port = icmp_port,
    .send_check = icmp_send_check,
    .send_prepare = icmp_send_prepare,
    .send = icmp_send,
};

int icmp_sock_create(struct socket *sock, bool raw)
{
    struct icmp_sock *is = kzalloc(sizeof(*is));
    if (!is)
        return -ENOMEM;
    is->raw = raw;
    is->ident = (uint16_t)get_random_u64();
    sock->protocol = IPPROTO_ICMP;
    return dgram_sock_create(sock, &is->ds, &icmp_proto);
}
