/* AF_INET internals shared by the TCP, UDP, ICMP and interface-ioctl files.
 *
 * Every protocol object here is touched by lwIP callbacks, which run under the network lock
 * (kernel/net/lwip/netlock.h) in interrupt or process context; the system-call side takes the
 * same lock around lwIP calls and around the protocol object's state, never sleeps or copies
 * user memory while holding it, and wakes sleepers with sock_wake().
 */
#pragma once
#include "kernel.h"
#include "net.h"
#include "list.h"
#include "../lwip/netlock.h"

#include "lwip/ip_addr.h"
#include "lwip/err.h"
#include "lwip/pbuf.h"

#include "uapi/in.h"
#include "uapi/tcp.h"

/* Bytes copied per round trip between user memory and lwIP (through a kernel buffer, since
 * user copies may fault and must not happen under the network lock). */
#define INET_CHUNK 16384u

/* sockaddr_in <-> lwIP. inet_addr_from_user: 0, -EINVAL (short), -EAFNOSUPPORT. */
int inet_parse_addr(const void *addr, int addrlen, ip_addr_t *ip, uint16_t *port);
int inet_fill_addr(void *addr, const ip_addr_t *ip, uint16_t port);   /* returns its length */
int inet_err(err_t e);                /* lwIP error -> -errno */
bool inet_capable_raw(void);          /* the caller may open raw sockets */
/* Binding `port` needs root (Linux's CAP_NET_BIND_SERVICE): 0 < port <
 * ip_unprivileged_port_start. bind's EACCES check, after the address's. */
bool inet_port_requires_bind_service(uint16_t port);
/* ip is 127.x or an address of one of our interfaces (bind's EADDRNOTAVAIL check). Net lock
 * held. */
bool inet_is_local_addr(const ip_addr_t *ip);
bool inet_is_broadcast(const ip_addr_t *ip);   /* 255.255.255.255 or a subnet's; net lock held */
/* Options every protocol accepts at IPPROTO_IP (stored, mostly informational). */
int inet_int_opt(const void *val, unsigned len, int *out);
int inet_put_int(void *val, unsigned *len, int v);

/* /proc/net texts (proc_net.c), snprintf-like. */
int net_proc_dev(char *buf, size_t size);
int net_proc_route(char *buf, size_t size);
int net_proc_pnp(char *buf, size_t size);
int net_proc_tcp(char *buf, size_t size);      /* tcp.c */
int net_proc_udp(char *buf, size_t size);      /* udp.c */

/* Per-protocol creation (af_inet.c dispatches on type/protocol). */
int tcp_sock_create(struct socket *sock);
int udp_sock_create(struct socket *sock);
int icmp_sock_create(struct socket *sock, bool raw);

/* ---- datagram sockets (UDP, ICMP): one base, dgram.c ----
 *
 * A datagram socket is an lwIP pcb whose receive callback queues what arrives, with its
 * source, until recvmsg takes it; a send is copied into a fresh pbuf and leaves at once.
 * dgram.c implements every socket operation once; a protocol supplies its pcb calls and checks
 * (struct dgram_proto) and the receive callback, which hands packets to dgram_deliver(). */
struct ip_pcb;
struct udp_pcb;
struct raw_pcb;
struct dgram_proto;

/* Received datagrams with their source, oldest first; net lock. */
struct dgram_queue {
    struct list_head list;
    size_t bytes, limit;
};

struct dgram_sock {
    struct socket *sock;              /* NULL once released: a late packet is dropped */
    union {
        struct ip_pcb *ip;            /* the fields every lwIP pcb starts with (IP_PCB) */
        struct udp_pcb *udp;
        struct raw_pcb *raw;
    } pcb;                            /* NULL once released */
    struct dgram_queue rxq;
    bool connected;                   /* connect() set a default destination */
    const struct dgram_proto *proto;
};

/* A protocol's part of its datagram sockets. The hooks run under the net lock unless they say
 * otherwise. */
struct dgram_proto {
    size_t rcvq_limit;                /* queued bytes beyond which new datagrams are dropped */
    pbuf_layer send_layer;            /* the headers lwIP puts in front of a sent payload */
    /* Make ds->pcb with ds as its receive callback's argument: false when out of memory. */
    bool (*pcb_new)(struct dgram_sock *ds);
    void (*pcb_remove)(struct dgram_sock *ds);
    /* bind(): check the address and bind the pcb; 0 or -errno. */
    int (*bind)(struct dgram_sock *ds, const ip_addr_t *ip, uint16_t port);
    /* connect(): make ip:port (which may be rewritten) the default destination;
     * connect(AF_UNSPEC): forget it. */
    err_t (*connect)(struct dgram_sock *ds, ip_addr_t *ip, uint16_t port);
    void (*disconnect)(struct dgram_sock *ds);
    /* The port getsockname (peer 0) and getpeername (peer 1) report, and a default
     * destination's. */
    uint16_t (*port)(const struct dgram_sock *ds, int peer);
    /* sendmsg, before the data is copied, net lock not held: check the length and the
     * explicit destination `to` (NULL: the default one), which it may rewrite. 0 or -errno. */
    int (*send_check)(struct dgram_sock *ds, ip_addr_t *to, uint16_t port, size_t len);
    /* sendmsg, once the data is in buf, net lock not held: check or complete it (NULL: it
     * leaves as it is). 0 or -errno. */
    int (*send_prepare)(struct dgram_sock *ds, uint8_t *buf, size_t len);
    /* Send p to ip:port (p stays the caller's). */
    err_t (*send)(struct dgram_sock *ds, struct pbuf *p, const ip_addr_t *ip, uint16_t port);
};

/* Make sock a datagram socket of `proto` on ds: ds is zeroed, allocated with kzalloc and the
 * start of the protocol's own state, which is freed from here on (on failure, and at
 * release). 0 or -ENOMEM. */
int dgram_sock_create(struct socket *sock, struct dgram_sock *ds,
                      const struct dgram_proto *proto);
/* For receive callbacks: queue p (owned from here) from src:port and wake readers. When the
 * socket is released or its queue full, p is dropped. Net lock held. */
void dgram_deliver(struct dgram_sock *ds, struct pbuf *p, const ip_addr_t *src, uint16_t port);
