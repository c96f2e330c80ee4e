/* Network devices inside lwIP: each struct netdev (a driver's Ethernet device) becomes an
 * lwIP netif, configured as the kernel command line's `ip=` says (Linux's nfsroot syntax):
 *     ip=dhcp (the default, also on/any/both/bootp)    DHCP
 *     ip=off (or none)                                 interface left down, no address
 *     ip=<client>:<server>:<gw>:<netmask>[:<host>[:<dev>[:<autoconf>[:<dns0>[:<dns1>]]]]]
 * The address in use is logged when it is set or changes.
 */
#include "kernel.h"
#include "string.h"
#include "kprintf.h"
#include "netdev.h"
#include "netlock.h"
#include "inet_if.h"

#include "lwip/netif.h"
#include "lwip/etharp.h"
#include "lwip/dhcp.h"
#include "lwip/dns.h"
#include "lwip/pbuf.h"
#include "netif/ethernet.h"

#define MAX_NETDEVS 8
static struct netdev *netdevs[MAX_NETDEVS];
static struct netif netifs[MAX_NETDEVS];
static unsigned nnetdevs;

/* ---- transmit and receive ---- */

static void copy_pbuf(void *dst, size_t len, void *ctx)
{
    pbuf_copy_partial((struct pbuf *)ctx, dst, (u16_t)len, 0);
}

static err_t netif_linkoutput(struct netif *netif, struct pbuf *p)
{
    struct netdev *dev = netif->state;
    if (!dev->link_up)
        return ERR_IF;
    /* A full device queue is ERR_MEM: TCP keeps the segment and retries it soon instead of
     * waiting for a retransmission timeout. */
    return dev->xmit(dev, p->tot_len, copy_pbuf, p) ? ERR_MEM : ERR_OK;
}

void netdev_rx(struct netdev *dev, const void *frame, size_t len)
{
    if (len > 0xffff) {
        dev->stats.rx_dropped++;
        return;
    }
    irqflags_t f = net_lock();
    struct netif *netif = dev->stack;
    if (!netif || !netif_is_up(netif)) {
        dev->stats.rx_dropped++;
        net_unlock(f);
        return;
    }
    struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
    if (!p) {
        dev->stats.rx_dropped++;
        net_unlock(f);
        return;
    }
    pbuf_take(p, frame, (u16_t)len);
    if (netif->input(p, netif) != ERR_OK) {
        pbuf_free(p);
        dev->stats.rx_dropped++;
    }
    net_unlock(f);
}

void netdev_flush_all(void)
{
    for (unsigned i = 0; i < nnetdevs; i++)
        if (netdevs[i]->flush)
            netdevs[i]->flush(netdevs[i]);
}

void netdev_link_changed(struct netdev *dev)
{
    irqflags_t f = net_lock();
    struct netif *netif = dev->stack;
    if (netif) {
        if (dev->link_up)
            netif_set_link_up(netif);
        else
            netif_set_link_down(netif);
    }
    net_unlock(f);
    pr_info("net: %s: link %s\n", dev->name, dev->link_up ? "up" : "down");
}

/* ---- configuration ---- */

static void log_address(struct netif *netif)
{
    struct netdev *dev = netif->state;
    if (!dev)
        return;
    if (ip4_addr_isany_val(*netif_ip4_addr(netif)))
        return;     /* up, address still to come (DHCP) */
    char a[16], m[16], g[16];
    strlcpy(a, ip4addr_ntoa(netif_ip4_addr(netif)), sizeof a);
    strlcpy(m, ip4addr_ntoa(netif_ip4_netmask(netif)), sizeof m);
    strlcpy(g, ip4addr_ntoa(netif_ip4_gw(netif)), sizeof g);
    bool dhcp = dhcp_supplied_address(netif);
    pr_info("net: %s: address %s netmask %s gateway %s (%s)\n", dev->name, a, m, g,
            dhcp ? "DHCP" : "static");
    for (u8_t i = 0; i < DNS_MAX_SERVERS; i++) {
        const ip_addr_t *d = dns_getserver(i);
        if (!ip_addr_isany(d))
            pr_info("net: %s: DNS server %s\n", dev->name, ipaddr_ntoa(d));
    }
}

static void netif_status_changed(struct netif *netif)
{
    if (netif_is_up(netif))
        log_address(netif);
}

static err_t netif_setup(struct netif *netif)
{
    struct netdev *dev = netif->state;
    netif->name[0] = 'e';
    netif->name[1] = 'n';
    netif->hwaddr_len = ETH_HWADDR_LEN;
    memcpy(netif->hwaddr, dev->mac, ETH_HWADDR_LEN);
    netif->mtu = (u16_t)dev->mtu;
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    netif->output = etharp_output;
    netif->linkoutput = netif_linkoutput;
#if LWIP_NETIF_HOSTNAME
    netif->hostname = "openv";
#endif
    return ERR_OK;
}

/* Split the ip= value at ':' into at most n fields (empty fields stay ""). */
static unsigned split_fields(char *s, char **field, unsigned n)
{
    unsigned k = 0;
    field[k++] = s;
    for (char *p = s; *p && k < n; p++) {
        if (*p == ':') {
            *p = 0;
            field[k++] = p + 1;
        }
    }
    for (unsigned i = k; i < n; i++)
        field[i] = "";
    return k;
}

static bool is_autoconf_word(const char *s)
{
    return !strcmp(s, "dhcp") || !strcmp(s, "on") || !strcmp(s, "any") || !strcmp(s, "both") ||
           !strcmp(s, "bootp") || !strcmp(s, "rarp");
}

/* The classful default netmask Linux uses when ip= gives none. */
static void default_netmask(const ip4_addr_t *a, ip4_addr_t *mask)
{
    u32_t h = lwip_ntohl(ip4_addr_get_u32(a));
    u32_t m = (h >> 31) == 0 ? 0xff000000u : (h >> 30) == 2 ? 0xffff0000u : 0xffffff00u;
    ip4_addr_set_u32(mask, lwip_htonl(m));
}

enum ipconf { IPCONF_DHCP, IPCONF_STATIC, IPCONF_OFF };

struct ip_config {
    enum ipconf mode;
    ip4_addr_t addr, mask, gw;
    ip_addr_t dns[2];
    bool have_dns[2];
    char device[16];
};

static void parse_ip_cmdline(struct ip_config *c)
{
    memset(c, 0, sizeof *c);
    c->mode = IPCONF_DHCP;
    const char *v = cmdline_get("ip");
    if (!v || !*v)
        return;
    char buf[256];
    strlcpy(buf, v, sizeof buf);
    char *fld[9];
    split_fields(buf, fld, 9);
    if (!strcmp(fld[0], "off") || !strcmp(fld[0], "none")) {
        c->mode = IPCONF_OFF;
        return;
    }
    if (is_autoconf_word(fld[0]))
        return;
    strlcpy(c->device, fld[5], sizeof c->device);
    if (is_autoconf_word(fld[6]))
        return;
    if (!ip4addr_aton(fld[0], &c->addr)) {
        pr_warn("net: ip=%s: bad address, using DHCP\n", v);
        return;
    }
    c->mode = IPCONF_STATIC;
    if (!*fld[3] || !ip4addr_aton(fld[3], &c->mask))
        default_netmask(&c->addr, &c->mask);
    if (*fld[2] && !ip4addr_aton(fld[2], &c->gw))
        ip4_addr_set_zero(&c->gw);
    for (unsigned i = 0; i < 2; i++)
        c->have_dns[i] = *fld[7 + i] && ipaddr_aton(fld[7 + i], &c->dns[i]);
}

int netdev_register(struct netdev *dev)
{
    struct ip_config cfg;
    parse_ip_cmdline(&cfg);
    /* ip=...:<device>: only that device is configured; the others stay down. */
    bool configure = !cfg.device[0] || !strcmp(cfg.device, dev->name);

    irqflags_t f = net_lock();
    if (nnetdevs == MAX_NETDEVS) {
        net_unlock(f);
        return -ENOSPC;
    }
    struct netif *netif = &netifs[nnetdevs];
    if (!netif_add(netif, NULL, NULL, NULL, dev, netif_setup, ethernet_input)) {
        net_unlock(f);
        return -ENOMEM;
    }
    dev->stack = netif;
    dev->ifindex = netif_get_index(netif);
    netdevs[nnetdevs++] = dev;
    netif_set_status_callback(netif, netif_status_changed);
    if (dev->link_up)
        netif_set_link_up(netif);
    if (configure && cfg.mode != IPCONF_OFF) {
        if (!netif_default)
            netif_set_default(netif);
        if (cfg.mode == IPCONF_STATIC) {
            netif_set_addr(netif, &cfg.addr, &cfg.mask, &cfg.gw);
            for (u8_t i = 0; i < 2; i++)
                if (cfg.have_dns[i])
                    dns_setserver(i, &cfg.dns[i]);
            netif_set_up(netif);
        } else {
            netif_set_up(netif);
            err_t e = dhcp_start(netif);
            if (e != ERR_OK)
                pr_err("net: %s: DHCP did not start (%d)\n", dev->name, e);
            else
                pr_info("net: %s: DHCP started\n", dev->name);
        }
    } else {
        pr_info("net: %s: not configured (ip=off)\n", dev->name);
    }
    net_unlock(f);
    return 0;
}

/* ---- for the interface ioctls and /proc ---- */

struct netdev *inet_netdev_of(struct netif *netif)
{
    return netif ? netif->state : NULL;
}

unsigned inet_netdev_count(void)
{
    return nnetdevs;
}

struct netdev *inet_netdev_get(unsigned i)
{
    return i < nnetdevs ? netdevs[i] : NULL;
}

bool inet_netif_is_loopback(const struct netif *netif)
{
    return netif->name[0] == 'l' && netif->name[1] == 'o';
}

/* The Linux name: the device's own ("eth0"), "lo", else lwIP's two letters and number. */
void inet_netif_name(const struct netif *netif, char out[IFNAMSIZ])
{
    struct netdev *dev = inet_netdev_of((struct netif *)netif);
    memset(out, 0, IFNAMSIZ);
    if (dev)
        strlcpy(out, dev->name, IFNAMSIZ);
    else if (inet_netif_is_loopback(netif))
        strlcpy(out, "lo", IFNAMSIZ);
    else
        ksnprintf(out, IFNAMSIZ, "%c%c%u", netif->name[0], netif->name[1], netif->num);
}

struct netif *inet_netif_by_name(const char *name)
{
    struct netif *netif;
    char n[IFNAMSIZ];
    INET_FOREACH_NETIF(netif) {
        inet_netif_name(netif, n);
        if (!strncmp(n, name, IFNAMSIZ))
            return netif;
    }
    return NULL;
}
