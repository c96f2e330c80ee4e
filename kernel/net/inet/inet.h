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

#define IPPROTO_IP 0
#define IPPROTO_ICMP 1
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_RAW 255

/* IPPROTO_IP options. */
#define IP_TOS 1
#define IP_TTL 2
#define IP_HDRINCL 3
#define IP_OPTIONS 4
#define IP_RECVERR 11
#define IP_MTU_DISCOVER 10

/* IPPROTO_TCP options. */
#define TCP_NODELAY 1
#define TCP_MAXSEG 2
#define TCP_CORK 3
#define TCP_KEEPIDLE 4
#define TCP_KEEPINTVL 5
#define TCP_KEEPCNT 6
#define TCP_INFO 11
#define TCP_QUICKACK 12

struct sockaddr_in {
    sa_family_t sin_family;
    uint16_t sin_port;                /* network order */
    uint32_t sin_addr;                /* network order */
    uint8_t sin_zero[8];
};

/* Bytes copied per round trip between user memory and lwIP (through a kernel buffer, since
 * user copies may fault and must not happen under the network lock). */
#define INET_CHUNK 16384u

/* sockaddr_in <-> lwIP. inet_addr_from_user: 0, -EINVAL (short), -EAFNOSUPPORT. */
int inet_parse_addr(const void *addr, int addrlen, ip_addr_t *ip, uint16_t *port);
int inet_fill_addr(void *addr, const ip_addr_t *ip, uint16_t port);   /* returns its length */
int inet_err(err_t e);                /* lwIP error -> -errno */
bool inet_capable_raw(void);
/* ip is 127.x or an address of one of our interfaces (bind's EADDRNOTAVAIL check). Net lock
 * held. */
bool inet_is_local_addr(const ip_addr_t *ip);
bool inet_is_broadcast(const ip_addr_t *ip);   /* 255.255.255.255 or a subnet's; net lock held */          /* the caller may open raw sockets */
/* Options every protocol accepts at IPPROTO_IP (stored, mostly informational). */
int inet_int_opt(const void *val, unsigned len, int *out);
int inet_put_int(void *val, unsigned *len, int v);

/* Interface ioctls (SIOCGIF*), shared by all AF_INET sockets. -ENOIOCTLCMD if not one. */
long inet_ifioctl(unsigned cmd, unsigned long arg);

/* /proc/net texts (proc_net.c), snprintf-like. */
int net_proc_dev(char *buf, size_t size);
int net_proc_route(char *buf, size_t size);
int net_proc_pnp(char *buf, size_t size);
int net_proc_tcp(char *buf, size_t size);      /* tcp.c */
int net_proc_udp(char *buf, size_t size);      /* udp.c */

/* Per-protocol creation (af_inet.c dispatches on type/protocol). */
int tcp_sock_create(struct socket *sock);

/* A queue of received datagrams with their source (UDP and ICMP sockets; dgram.c). The
 * queue's methods run under the net lock except where noted. */
struct dgram_queue {
    struct list_head list;
    size_t bytes, limit;
};
void dgram_queue_init(struct dgram_queue *q, size_t limit);
/* Takes ownership of p (freed if the queue is full). */
bool dgram_queue_push(struct dgram_queue *q, struct pbuf *p, const ip_addr_t *src, uint16_t port);
void dgram_queue_free(struct dgram_queue *q);
static inline bool dgram_queue_empty(const struct dgram_queue *q) { return list_empty(&q->list); }
size_t dgram_queue_next_len(const struct dgram_queue *q);
/* Sleeps (outside the lock) as the socket's flags say, then copies the first datagram into
 * msg; process context, net lock not held. Returns bytes copied (or the full length with
 * MSG_TRUNC in flags) or -errno. */
long dgram_recvmsg(struct socket *sock, struct dgram_queue *q, struct kmsghdr *msg,
                   size_t len, int flags);
/* IP_TTL and IP_TOS at IPPROTO_IP, kept in the socket's lwIP pcb (its ttl and tos fields);
 * setting also accepts IP_RECVERR and IP_MTU_DISCOVER. -ENOPROTOOPT for anything else.
 * Process context, net lock not held. */
int dgram_setsockopt_ip(u8_t *ttl, u8_t *tos, int level, int name, const void *val,
                        unsigned len);
int dgram_getsockopt_ip(const u8_t *ttl, const u8_t *tos, int level, int name, void *val,
                        unsigned *len);
/* SIOCINQ/SIOCOUTQ on the receive queue q, else the interface ioctls. */
long dgram_ioctl(const struct dgram_queue *q, unsigned cmd, unsigned long arg);
int udp_sock_create(struct socket *sock);
int icmp_sock_create(struct socket *sock, bool raw);
