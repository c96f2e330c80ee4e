/* AF_INET: the family's socket() entry, address conversions shared by its protocols, and the
 * network stack's start (inet_init, called by the socket layer's net_init()). */
#include "inet.h"
#include "netdev.h"
#include "virtio.h"
#include "string.h"
#include "task.h"
#include "procfs.h"

#include "lwip/netif.h"

int inet_parse_addr(const void *addr, int addrlen, ip_addr_t *ip, uint16_t *port)
{
    struct sockaddr_in sin;
    if (addrlen < (int)sizeof(sa_family_t))
        return -EINVAL;
    memcpy(&sin.sin_family, addr, sizeof(sa_family_t));
    if (sin.sin_family != AF_INET)
        return -EAFNOSUPPORT;
    if (addrlen < (int)sizeof sin)
        return -EINVAL;
    memcpy(&sin, addr, sizeof sin);
    ip_addr_set_ip4_u32_val(*ip, sin.sin_addr.s_addr);
    *port = lwip_ntohs(sin.sin_port);
    return 0;
}

int inet_fill_addr(void *addr, const ip_addr_t *ip, uint16_t port)
{
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = lwip_htons(port);
    sin.sin_addr.s_addr = ip ? ip4_addr_get_u32(ip_2_ip4(ip)) : 0;
    memcpy(addr, &sin, sizeof sin);
    return (int)sizeof sin;
}

int inet_err(err_t e)
{
    switch (e) {
    case ERR_OK: return 0;
    case ERR_MEM: return -ENOMEM;
    case ERR_BUF: return -ENOBUFS;
    case ERR_TIMEOUT: return -ETIMEDOUT;
    case ERR_RTE: return -ENETUNREACH;
    case ERR_INPROGRESS: return -EINPROGRESS;
    case ERR_VAL: return -EINVAL;
    case ERR_WOULDBLOCK: return -EAGAIN;
    case ERR_USE: return -EADDRINUSE;
    case ERR_ALREADY: return -EALREADY;
    case ERR_ISCONN: return -EISCONN;
    case ERR_CONN: return -ENOTCONN;
    case ERR_IF: return -ENETDOWN;
    case ERR_ABRT: return -ECONNABORTED;
    case ERR_RST: return -ECONNRESET;
    case ERR_CLSD: return -ENOTCONN;
    case ERR_ARG: return -EINVAL;
    default: return -EIO;
    }
}

bool inet_is_local_addr(const ip_addr_t *ip)
{
    if (ip4_addr_isloopback(ip_2_ip4(ip)))
        return true;
    struct netif *netif;
    NETIF_FOREACH(netif) {
        if (ip4_addr_cmp(ip_2_ip4(ip), netif_ip4_addr(netif)))
            return true;
    }
    return false;
}

bool inet_is_broadcast(const ip_addr_t *ip)
{
    u32_t a = ip4_addr_get_u32(ip_2_ip4(ip));
    if (a == IPADDR_BROADCAST)
        return true;
    struct netif *netif;
    NETIF_FOREACH(netif) {
        if (netif_is_up(netif) && ip4_addr_isbroadcast_u32(a, netif))
            return true;
    }
    return false;
}

bool inet_capable_raw(void)
{
    return current->cred.euid == 0;
}

/* /proc/sys/net/ipv4/ip_unprivileged_port_start (include/net.h). */
int sysctl_ip_unprivileged_port_start = 1024;

bool inet_port_requires_bind_service(uint16_t port)
{
    return port != 0 && port < READ_ONCE(sysctl_ip_unprivileged_port_start) &&
           current->cred.euid != 0;
}

int inet_int_opt(const void *val, unsigned len, int *out)
{
    if (len >= sizeof(int)) {
        memcpy(out, val, sizeof(int));
        return 0;
    }
    if (len >= 1) {     /* Linux accepts a char for many IP options */
        *out = *(const unsigned char *)val;
        return 0;
    }
    return -EINVAL;
}

int inet_put_int(void *val, unsigned *len, int v)
{
    if (*len >= sizeof(int)) {
        memcpy(val, &v, sizeof v);
        *len = sizeof v;
    } else if (*len > 0) {
        *(unsigned char *)val = (unsigned char)v;
        *len = 1;
    } else {
        return -EINVAL;
    }
    return 0;
}

static int inet_create(struct socket *sock, int type, int protocol, bool kern)
{
    (void)kern;
    switch (type) {
    case SOCK_STREAM:
        if (protocol != 0 && protocol != IPPROTO_TCP)
            return -EPROTONOSUPPORT;
        sock->protocol = IPPROTO_TCP;
        return tcp_sock_create(sock);
    case SOCK_DGRAM:
        if (protocol == IPPROTO_ICMP)
            return icmp_sock_create(sock, false);
        if (protocol != 0 && protocol != IPPROTO_UDP)
            return -EPROTONOSUPPORT;
        sock->protocol = IPPROTO_UDP;
        return udp_sock_create(sock);
    case SOCK_RAW:
        if (!inet_capable_raw())
            return -EPERM;
        if (protocol != IPPROTO_ICMP)
            return -EPROTONOSUPPORT;
        return icmp_sock_create(sock, true);
    default:
        return -ESOCKTNOSUPPORT;
    }
}

void inet_init(void)
{
    lwip_port_init();
    int err = sock_register_family(AF_INET, inet_create);
    if (err)
        pr_err("net: cannot register AF_INET (%d)\n", err);
    procfs_register_file("net", "dev", net_proc_dev);
    procfs_register_file("net", "route", net_proc_route);
    procfs_register_file("net", "pnp", net_proc_pnp);
    procfs_register_file("net", "tcp", net_proc_tcp);
    procfs_register_file("net", "udp", net_proc_udp);
    virtio_register_driver(&virtio_net_driver);
}
