/* The text of /proc/net/{dev,route,pnp}, in Linux's formats (BusyBox ifconfig reads dev,
 * route reads route; pnp is what Linux's kernel DHCP client writes, and /etc/resolv.conf can
 * be a link to it). Each is an snprintf-like producer: it writes at most size bytes (NUL
 * included) and returns the full length, for procfs's pb_fill(). */
#include "inet.h"
#include "netdev.h"
#include "string.h"
#include "kprintf.h"
#include "../lwip/inet_if.h"
#include "uapi/route.h"

#include "lwip/netif.h"
#include "lwip/dhcp.h"
#include "lwip/dns.h"

struct out {
    char *buf;
    size_t size, len;
};

static void out_printf(struct out *o, const char *fmt, ...) __printf(2, 3);
static void out_printf(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = o->len < o->size ? o->size - o->len : 0;
    int n = kvsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

static void iface_name(struct netif *netif, char *name, size_t size)
{
    struct netdev *dev = inet_netdev_of(netif);
    if (dev)
        strlcpy(name, dev->name, size);
    else
        strlcpy(name, netif->name[0] == 'l' && netif->name[1] == 'o' ? "lo" : "?", size);
}

int net_proc_dev(char *buf, size_t size)
{
    struct out o = { buf, size, 0 };
    if (size)
        buf[0] = 0;
    out_printf(&o, "Inter-|   Receive                                                |  Transmit\n"
                   " face |bytes    packets errs drop fifo frame compressed multicast|"
                   "bytes    packets errs drop fifo colls carrier compressed\n");
    irqflags_t f = net_lock();
    struct netif *netif;
    INET_FOREACH_NETIF(netif) {
        char name[16];
        iface_name(netif, name, sizeof name);
        struct netdev *dev = inet_netdev_of(netif);
        struct netdev_stats s;
        memset(&s, 0, sizeof s);
        if (dev)
            s = dev->stats;
        out_printf(&o, "%6s: %7llu %7llu %4llu %4llu %4u %5u %10u %9u %8llu %7llu %4llu %4llu "
                       "%4u %5u %7u %10u\n", name,
                   (unsigned long long)s.rx_bytes, (unsigned long long)s.rx_packets,
                   (unsigned long long)s.rx_errors, (unsigned long long)s.rx_dropped, 0u, 0u, 0u,
                   0u, (unsigned long long)s.tx_bytes, (unsigned long long)s.tx_packets,
                   (unsigned long long)s.tx_errors, (unsigned long long)s.tx_dropped, 0u, 0u,
                   0u, 0u);
    }
    net_unlock(f);
    return (int)o.len;
}

/* One route line, padded to 127 columns as Linux does. */
static void route_line(struct out *o, const char *name, u32_t dst, u32_t gw, unsigned flags,
                       u32_t mask)
{
    char line[128];
    ksnprintf(line, sizeof line, "%s\t%08X\t%08X\t%04X\t%d\t%u\t%d\t%08X\t%d\t%u\t%u", name,
              dst, gw, flags, 0, 0u, 0, mask, 0, 0u, 0u);
    out_printf(o, "%-127s\n", line);
}

int net_proc_route(char *buf, size_t size)
{
    struct out o = { buf, size, 0 };
    if (size)
        buf[0] = 0;
    char head[128];
    ksnprintf(head, sizeof head, "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\t"
                                 "Mask\t\tMTU\tWindow\tIRTT");
    out_printf(&o, "%-127s\n", head);
    irqflags_t f = net_lock();
    struct netif *netif;
    /* Linux lists no route for lo in the main table (it lives in the local table). */
    NETIF_FOREACH(netif) {
        if (!inet_netdev_of(netif) || !netif_is_up(netif))
            continue;
        u32_t addr = ip4_addr_get_u32(netif_ip4_addr(netif));
        u32_t mask = ip4_addr_get_u32(netif_ip4_netmask(netif));
        u32_t gw = ip4_addr_get_u32(netif_ip4_gw(netif));
        if (addr == 0)
            continue;
        char name[16];
        iface_name(netif, name, sizeof name);
        if (netif == netif_default && gw != 0)
            route_line(&o, name, 0, gw, RTF_UP | RTF_GATEWAY, 0);
        route_line(&o, name, addr & mask, 0, RTF_UP, mask);
    }
    net_unlock(f);
    return (int)o.len;
}

int net_proc_pnp(char *buf, size_t size)
{
    struct out o = { buf, size, 0 };
    if (size)
        buf[0] = 0;
    irqflags_t f = net_lock();
    bool dhcp = netif_default && dhcp_supplied_address(netif_default);
    out_printf(&o, "#PROTO: %s\n", dhcp ? "DHCP" : "MANUAL");
    for (u8_t i = 0; i < DNS_MAX_SERVERS; i++) {
        const ip_addr_t *d = dns_getserver(i);
        if (!ip_addr_isany(d))
            out_printf(&o, "nameserver %s\n", ipaddr_ntoa(d));
    }
    net_unlock(f);
    return (int)o.len;
}
