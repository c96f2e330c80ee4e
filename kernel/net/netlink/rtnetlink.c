/* NETLINK_ROUTE requests (Linux's net/core/rtnetlink.c, net/ipv4/devinet.c, fib_frontend.c)
 * over the interfaces lwIP keeps: links, IPv4 addresses and the IPv4 main routing table.
 *
 * What lwIP can hold decides what can be changed:
 *  - links: up/down (RTM_NEWLINK/SETLINK ifi_flags & ifi_change); renaming, MTU, hardware
 *    address and other flag changes are refused with EOPNOTSUPP;
 *  - addresses: one IPv4 address per interface. Adding one to an interface that has none
 *    works; adding a second (Linux would make it secondary) is EOPNOTSUPP; deleting the
 *    address also drops the interface's gateway, as Linux flushes routes of an interface
 *    left without addresses;
 *  - routes: each interface's subnet (implicit, cannot be removed: EOPNOTSUPP) and one default
 *    route (a gateway on the default interface), which can be added, replaced and deleted.
 *
 * Attribute layout and order follow Linux's rtnl_fill_ifinfo, inet_fill_ifaddr and
 * fib_dump_info, so BusyBox ip and iproute2 print what they print on Linux.
 */
#include "kernel.h"
#include "net.h"
#include "netdev.h"
#include "string.h"
#include "kprintf.h"
#include "task.h"
#include "nl_internal.h"
#include "../lwip/netlock.h"
#include "../lwip/inet_if.h"
#include "uapi/if.h"
#include "uapi/if_arp.h"

#include "lwip/netif.h"
#include "lwip/dhcp.h"

/* Flags a link change may name; of these openv can only change IFF_UP. */
#define NL_IFF_CHANGEABLE_OTHER (IFF_DEBUG | IFF_NOARP | IFF_PROMISC | IFF_ALLMULTI | \
                                 IFF_MULTICAST | IFF_DYNAMIC)

/* ---- interfaces ---- */

static struct netif *netif_by_ifindex(int32_t index)
{
    return index > 0 && index <= INET_MAX_IFINDEX ? netif_get_by_index((u8_t)index) : NULL;
}

static uint32_t link_flags(const struct netif *netif)
{
    uint32_t fl = inet_netif_is_loopback(netif) ? IFF_LOOPBACK : IFF_BROADCAST | IFF_MULTICAST;
    if (netif_is_up(netif)) {
        fl |= IFF_UP;
        if (netif_is_link_up(netif))
            fl |= IFF_RUNNING | IFF_LOWER_UP;
    }
    return fl;
}

static uint8_t link_operstate(const struct netif *netif)
{
    if (!netif_is_up(netif) || !netif_is_link_up(netif))
        return IF_OPER_DOWN;
    /* The loopback device reports no carrier state: Linux shows it as UNKNOWN. */
    return inet_netif_is_loopback(netif) ? IF_OPER_UNKNOWN : IF_OPER_UP;
}

static unsigned prefix_len(u32_t mask_be)
{
    uint32_t m = lwip_ntohl(mask_be);
    unsigned n = 0;
    while (m & 0x80000000u) {
        n++;
        m <<= 1;
    }
    return n;
}

/* ---- links ---- */

/* Net lock held. */
static void fill_link(struct nlmsg_builder *b, struct netif *netif, uint16_t type,
                      uint16_t flags, uint32_t seq, uint32_t portid)
{
    struct ifinfomsg *ifi = nlb_begin(b, type, flags, seq, portid, sizeof *ifi);
    if (!ifi)
        return;
    bool lo = inet_netif_is_loopback(netif);
    struct netdev *dev = inet_netdev_of(netif);
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_type = lo ? ARPHRD_LOOPBACK : ARPHRD_ETHER;
    ifi->ifi_index = netif_get_index(netif);
    ifi->ifi_flags = link_flags(netif);
    char name[IFNAMSIZ];
    inet_netif_name(netif, name);
    nlb_put_string(b, IFLA_IFNAME, name);
    nlb_put_u32(b, IFLA_TXQLEN, 1000);
    nlb_put_u8(b, IFLA_OPERSTATE, link_operstate(netif));
    nlb_put_u8(b, IFLA_LINKMODE, 0);
    nlb_put_u32(b, IFLA_MTU, lo ? 65536 : netif->mtu);
    nlb_put_u32(b, IFLA_GROUP, 0);
    nlb_put_u32(b, IFLA_PROMISCUITY, 0);
    nlb_put_u32(b, IFLA_NUM_TX_QUEUES, 1);
    nlb_put_u32(b, IFLA_NUM_RX_QUEUES, 1);
    nlb_put_u8(b, IFLA_CARRIER, netif_is_link_up(netif) ? 1 : 0);
    /* No queueing discipline: frames go straight to the driver. */
    nlb_put_string(b, IFLA_QDISC, "noqueue");
    uint8_t hw[NETDEV_ETH_ALEN], bcast[NETDEV_ETH_ALEN];
    memset(hw, 0, sizeof hw);
    memset(bcast, lo ? 0 : 0xff, sizeof bcast);
    if (dev)
        memcpy(hw, dev->mac, sizeof hw);
    nlb_put(b, IFLA_ADDRESS, hw, sizeof hw);
    nlb_put(b, IFLA_BROADCAST, bcast, sizeof bcast);
    /* struct rtnl_link_stats64 then rtnl_link_stats: rx/tx packets, bytes, errors, dropped
     * first; the error details after them are not counted (zero). */
    struct netdev_stats s;
    memset(&s, 0, sizeof s);
    if (dev)
        s = dev->stats;
    uint64_t st64[RTNL_LINK_STATS_FIELDS];
    uint32_t st32[RTNL_LINK_STATS_FIELDS];
    memset(st64, 0, sizeof st64);
    st64[0] = s.rx_packets;
    st64[1] = s.tx_packets;
    st64[2] = s.rx_bytes;
    st64[3] = s.tx_bytes;
    st64[4] = s.rx_errors;
    st64[5] = s.tx_errors;
    st64[6] = s.rx_dropped;
    st64[7] = s.tx_dropped;
    for (unsigned i = 0; i < RTNL_LINK_STATS_FIELDS; i++)
        st32[i] = (uint32_t)st64[i];
    nlb_put(b, IFLA_STATS64, st64, sizeof st64);
    nlb_put(b, IFLA_STATS, st32, sizeof st32);
    nlb_end(b);
}

/* The interface a link or address request names: the index, else IFLA_IFNAME. */
static int link_target(int32_t index, const struct nlattr *ifname, struct netif **out)
{
    char name[IFNAMSIZ];
    if (index > 0) {
        *out = netif_by_ifindex(index);
    } else if (ifname) {
        if (nla_get_string(ifname, name, sizeof name))
            return -EINVAL;
        *out = inet_netif_by_name(name);
    } else {
        return -EINVAL;
    }
    return *out ? 0 : -ENODEV;
}

static int rtm_getlink(struct nl_request *req)
{
    const struct nlmsghdr *nlh = req->nlh;
    if ((nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP) {
        req->dump = true;
        irqflags_t f = net_lock();
        struct netif *netif;
        INET_FOREACH_NETIF(netif)
            fill_link(req->out, netif, RTM_NEWLINK, NLM_F_MULTI, nlh->nlmsg_seq, req->portid);
        net_unlock(f);
        return 0;
    }
    struct rtnl_link_req lr;
    if (rtnl_parse_link(nlh, &lr))
        return -EINVAL;
    const struct ifinfomsg ifi = lr.ifi;
    const struct nlattr **tb = lr.tb;
    irqflags_t f = net_lock();
    struct netif *netif;
    int err = link_target(ifi.ifi_index, tb[IFLA_IFNAME], &netif);
    if (!err) {
        fill_link(req->out, netif, RTM_NEWLINK, 0, nlh->nlmsg_seq, req->portid);
        if (!req->out->used)
            err = -EMSGSIZE;
    }
    net_unlock(f);
    return err;
}

static int rtm_setlink(struct nl_request *req)
{
    const struct nlmsghdr *nlh = req->nlh;
    struct rtnl_link_req lr;
    if (rtnl_parse_link(nlh, &lr))
        return -EINVAL;
    const struct ifinfomsg ifi = lr.ifi;
    const struct nlattr **tb = lr.tb;
    /* Attributes openv cannot act on at all. */
    for (int t = 0; t <= RTNL_IFLA_MAX; t++) {
        if (tb[t] && t != IFLA_IFNAME && t != IFLA_MTU && t != IFLA_ADDRESS &&
            t != IFLA_TXQLEN && t != IFLA_EXT_MASK)
            return -EOPNOTSUPP;
    }
    irqflags_t f = net_lock();
    struct netif *netif = NULL;
    int err = link_target(ifi.ifi_index, ifi.ifi_index > 0 ? NULL : tb[IFLA_IFNAME], &netif);
    if (err == -ENODEV && nlh->nlmsg_type == RTM_NEWLINK &&
        (nlh->nlmsg_flags & NLM_F_CREATE))
        err = -EOPNOTSUPP;            /* creating links (veth, vlan, ...) */
    if (err)
        goto out;
    char name[IFNAMSIZ];
    inet_netif_name(netif, name);
    uint32_t v;
    /* Values equal to the current ones are no change; anything else cannot be done. */
    if (tb[IFLA_IFNAME] && ifi.ifi_index > 0) {
        char want[IFNAMSIZ];
        if (nla_get_string(tb[IFLA_IFNAME], want, sizeof want)) {
            err = -EINVAL;
            goto out;
        }
        if (strcmp(want, name)) {
            err = -EOPNOTSUPP;
            goto out;
        }
    }
    if (tb[IFLA_MTU]) {
        if (nla_get_u32(tb[IFLA_MTU], &v)) {
            err = -EINVAL;
            goto out;
        }
        if (v != (inet_netif_is_loopback(netif) ? 65536u : netif->mtu)) {
            err = -EOPNOTSUPP;
            goto out;
        }
    }
    if (tb[IFLA_TXQLEN]) {
        if (nla_get_u32(tb[IFLA_TXQLEN], &v)) {
            err = -EINVAL;
            goto out;
        }
        if (v != 1000) {
            err = -EOPNOTSUPP;
            goto out;
        }
    }
    if (tb[IFLA_ADDRESS]) {
        struct netdev *dev = inet_netdev_of(netif);
        if (!dev || nla_len(tb[IFLA_ADDRESS]) != NETDEV_ETH_ALEN ||
            memcmp(nla_data(tb[IFLA_ADDRESS]), dev->mac, NETDEV_ETH_ALEN)) {
            err = -EOPNOTSUPP;
            goto out;
        }
    }
    if (ifi.ifi_flags || ifi.ifi_change) {
        /* rtnl_dev_combine_flags: ifi_change names the flags to take from ifi_flags (0:
         * all of them). */
        uint32_t cur = link_flags(netif);
        uint32_t want = ifi.ifi_flags;
        if (ifi.ifi_change)
            want = (want & ifi.ifi_change) | (cur & ~ifi.ifi_change);
        if ((want ^ cur) & NL_IFF_CHANGEABLE_OTHER) {
            err = -EOPNOTSUPP;
            goto out;
        }
        if ((want & IFF_UP) && !netif_is_up(netif))
            netif_set_up(netif);
        else if (!(want & IFF_UP) && netif_is_up(netif))
            netif_set_down(netif);
    }
out:
    net_unlock(f);
    return err;
}

/* ---- addresses ---- */

/* Net lock held; netif has an address. */
static void fill_addr(struct nlmsg_builder *b, struct netif *netif, uint16_t flags, uint32_t seq,
                      uint32_t portid)
{
    struct ifaddrmsg *ifa = nlb_begin(b, RTM_NEWADDR, flags, seq, portid, sizeof *ifa);
    if (!ifa)
        return;
    u32_t addr = ip4_addr_get_u32(netif_ip4_addr(netif));
    u32_t mask = ip4_addr_get_u32(netif_ip4_netmask(netif));
    bool lo = inet_netif_is_loopback(netif);
    ifa->ifa_family = AF_INET;
    ifa->ifa_prefixlen = (uint8_t)prefix_len(mask);
    ifa->ifa_flags = IFA_F_PERMANENT;
    /* devinet.c: a 127/8 address has host scope. */
    ifa->ifa_scope = (lwip_ntohl(addr) >> 24) == 127 ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE;
    ifa->ifa_index = netif_get_index(netif);
    nlb_put(b, IFA_ADDRESS, &addr, sizeof addr);
    nlb_put(b, IFA_LOCAL, &addr, sizeof addr);
    if (!lo && mask != 0xffffffffu) {
        u32_t bcast = addr | ~mask;
        nlb_put(b, IFA_BROADCAST, &bcast, sizeof bcast);
    }
    char name[IFNAMSIZ];
    inet_netif_name(netif, name);
    nlb_put_string(b, IFA_LABEL, name);
    nlb_put_u32(b, IFA_FLAGS, IFA_F_PERMANENT);
    /* Permanent: infinite lifetimes. Creation times are not recorded (0). */
    struct ifa_cacheinfo ci = { INFINITY_LIFE_TIME, INFINITY_LIFE_TIME, 0, 0 };
    nlb_put(b, IFA_CACHEINFO, &ci, sizeof ci);
    nlb_end(b);
}

/* The family a dump asks for: the first payload byte (rtgenmsg or the family header). */
static uint8_t dump_family(const struct nlmsghdr *nlh)
{
    return *(const uint8_t *)nlmsg_data(nlh);
}

static int rtm_getaddr(struct nl_request *req)
{
    const struct nlmsghdr *nlh = req->nlh;
    if ((nlh->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP)
        return -EOPNOTSUPP;           /* as Linux: addresses are only dumped */
    req->dump = true;
    uint8_t family = dump_family(nlh);
    if (family != AF_UNSPEC && family != AF_INET)
        return 0;
    irqflags_t f = net_lock();
    struct netif *netif;
    INET_FOREACH_NETIF(netif) {
        if (!ip4_addr_isany_val(*netif_ip4_addr(netif)))
            fill_addr(req->out, netif, NLM_F_MULTI, nlh->nlmsg_seq, req->portid);
    }
    net_unlock(f);
    return 0;
}

static int rtm_newaddr(struct nl_request *req)
{
    struct rtnl_addr_req r;
    int err = rtnl_parse_addr(req->nlh, &r);
    if (err)
        return err;
    if (!r.have_local)
        return -EINVAL;
    if (r.have_address && r.address != r.local)
        return -EOPNOTSUPP;           /* point-to-point peers */
    u32_t mask = rtnl_prefix_mask(r.ifa.ifa_prefixlen);
    irqflags_t f = net_lock();
    struct netif *netif = netif_by_ifindex((int32_t)r.ifa.ifa_index);
    u32_t cur = netif ? ip4_addr_get_u32(netif_ip4_addr(netif)) : 0;
    u32_t cur_mask = netif ? ip4_addr_get_u32(netif_ip4_netmask(netif)) : 0;
    if (!netif) {
        err = -ENODEV;
    } else if (cur != 0 && (cur != r.local || cur_mask != mask)) {
        err = -EOPNOTSUPP;            /* lwIP holds one IPv4 address per interface */
    } else if (r.tb[IFA_BROADCAST]) {
        u32_t b;
        if (nla_get_u32(r.tb[IFA_BROADCAST], &b))
            err = -EINVAL;
        else if (b != (r.local | ~mask) && !inet_netif_is_loopback(netif))
            err = -EOPNOTSUPP;        /* the broadcast address is always the subnet's */
    }
    if (!err && cur != 0) {
        /* The same address again. */
        if (req->nlh->nlmsg_flags & NLM_F_EXCL)
            err = -EEXIST;
    } else if (!err) {
        ip4_addr_t a, m;
        ip4_addr_set_u32(&a, r.local);
        ip4_addr_set_u32(&m, mask);
        /* A manual address ends DHCP on the interface (as the ioctl path does). */
        if (netif_dhcp_data(netif))
            dhcp_stop(netif);
        netif_set_addr(netif, &a, &m, netif_ip4_gw(netif));
    }
    net_unlock(f);
    return err;
}

static int rtm_deladdr(struct nl_request *req)
{
    struct rtnl_addr_req r;
    int err = rtnl_parse_addr(req->nlh, &r);
    if (err)
        return err;
    irqflags_t f = net_lock();
    struct netif *netif = netif_by_ifindex((int32_t)r.ifa.ifa_index);
    if (!netif) {
        err = -ENODEV;
        goto out;
    }
    u32_t cur = ip4_addr_get_u32(netif_ip4_addr(netif));
    u32_t cur_mask = ip4_addr_get_u32(netif_ip4_netmask(netif));
    char name[IFNAMSIZ], label[IFNAMSIZ];
    inet_netif_name(netif, name);
    /* inet_rtm_deladdr's match: each attribute given must agree. */
    bool match = cur != 0;
    if (r.have_local && r.local != cur)
        match = false;
    if (r.tb[IFA_LABEL] && (nla_get_string(r.tb[IFA_LABEL], label, sizeof label) ||
                            strcmp(label, name)))
        match = false;
    if (r.have_address && (rtnl_prefix_mask(r.ifa.ifa_prefixlen) != cur_mask ||
                           ((r.address ^ cur) & cur_mask)))
        match = false;
    if (!match) {
        err = -EADDRNOTAVAIL;
        goto out;
    }
    if (netif_dhcp_data(netif))
        dhcp_stop(netif);
    /* The interface has no address left: its routes go too (Linux's fib_disable_ip). */
    netif_set_addr(netif, IP4_ADDR_ANY4, IP4_ADDR_ANY4, IP4_ADDR_ANY4);
out:
    net_unlock(f);
    return err;
}

/* ---- routes ---- */

static void fill_route(struct nlmsg_builder *b, uint32_t seq, uint32_t portid, unsigned dst_len,
                       u32_t dst, u32_t gw, u32_t prefsrc, int oif)
{
    struct rtmsg *rtm = nlb_begin(b, RTM_NEWROUTE, NLM_F_MULTI, seq, portid, sizeof *rtm);
    if (!rtm)
        return;
    rtm->rtm_family = AF_INET;
    rtm->rtm_dst_len = (uint8_t)dst_len;
    rtm->rtm_table = RT_TABLE_MAIN;
    /* Connected subnets are the kernel's; the default route came from boot configuration
     * (DHCP or ip=) or an administrator, which Linux records as boot. */
    rtm->rtm_protocol = gw ? RTPROT_BOOT : RTPROT_KERNEL;
    rtm->rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
    rtm->rtm_type = RTN_UNICAST;
    nlb_put_u32(b, RTA_TABLE, RT_TABLE_MAIN);
    if (dst_len)
        nlb_put(b, RTA_DST, &dst, sizeof dst);
    if (prefsrc)
        nlb_put(b, RTA_PREFSRC, &prefsrc, sizeof prefsrc);
    if (gw)
        nlb_put(b, RTA_GATEWAY, &gw, sizeof gw);
    nlb_put_u32(b, RTA_OIF, (uint32_t)oif);
    nlb_end(b);
}

/* Interfaces whose routes are in the main table: network devices that are up with an
 * address (lo's routes live in Linux's local table). */
static bool has_main_routes(struct netif *netif)
{
    return inet_netdev_of(netif) && netif_is_up(netif) &&
           !ip4_addr_isany_val(*netif_ip4_addr(netif));
}

static bool has_default_route(void)
{
    return netif_default && has_main_routes(netif_default) &&
           !ip4_addr_isany_val(*netif_ip4_gw(netif_default));
}

static int rtm_getroute(struct nl_request *req)
{
    const struct nlmsghdr *nlh = req->nlh;
    if ((nlh->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP)
        return -EOPNOTSUPP;           /* route lookups (ip route get) are not implemented */
    req->dump = true;
    uint8_t family = dump_family(nlh);
    if (family != AF_UNSPEC && family != AF_INET)
        return 0;
    irqflags_t f = net_lock();
    if (has_default_route())
        fill_route(req->out, nlh->nlmsg_seq, req->portid, 0, 0,
                   ip4_addr_get_u32(netif_ip4_gw(netif_default)), 0,
                   netif_get_index(netif_default));
    struct netif *netif;
    INET_FOREACH_NETIF(netif) {
        if (!has_main_routes(netif))
            continue;
        u32_t addr = ip4_addr_get_u32(netif_ip4_addr(netif));
        u32_t mask = ip4_addr_get_u32(netif_ip4_netmask(netif));
        fill_route(req->out, nlh->nlmsg_seq, req->portid, prefix_len(mask), addr & mask, 0,
                   addr, netif_get_index(netif));
    }
    net_unlock(f);
    return 0;
}

/* A connected subnet route matching r (no gateway), or NULL. Net lock held. */
static struct netif *subnet_route(const struct rtnl_route_req *r)
{
    struct netif *netif;
    INET_FOREACH_NETIF(netif) {
        if (!has_main_routes(netif) || (r->have_oif && netif_get_index(netif) != r->oif))
            continue;
        u32_t addr = ip4_addr_get_u32(netif_ip4_addr(netif));
        u32_t mask = ip4_addr_get_u32(netif_ip4_netmask(netif));
        if (r->rtm.rtm_dst_len == prefix_len(mask) && r->dst == (addr & mask))
            return netif;
    }
    return NULL;
}

static int rtm_newroute(struct nl_request *req)
{
    struct rtnl_route_req r;
    int err = rtnl_parse_route(req->nlh, &r);
    if (err)
        return err;
    uint16_t nlflags = req->nlh->nlmsg_flags;
    if (r.rtm.rtm_type != RTN_UNICAST)
        return -EOPNOTSUPP;
    irqflags_t f = net_lock();
    if (r.rtm.rtm_dst_len) {
        if (r.have_gw || !subnet_route(&r))
            err = -EOPNOTSUPP;        /* only the connected subnets exist */
        else if (nlflags & NLM_F_EXCL)
            err = -EEXIST;
        goto out;
    }
    if (!r.have_gw) {
        err = -EOPNOTSUPP;            /* a default route needs a gateway here */
        goto out;
    }
    /* The interface: RTA_OIF, else the one whose subnet holds the gateway. */
    struct netif *netif = NULL, *n;
    if (r.have_oif) {
        netif = netif_by_ifindex((int32_t)r.oif);
        if (!netif) {
            err = -ENODEV;
            goto out;
        }
    }
    INET_FOREACH_NETIF(n) {
        if (netif && n != netif)
            continue;
        if (has_main_routes(n) &&
            !((r.gw ^ ip4_addr_get_u32(netif_ip4_addr(n))) & ip4_addr_get_u32(netif_ip4_netmask(n)))) {
            netif = n;
            goto found;
        }
    }
    err = -ENETUNREACH;               /* the gateway is not on a connected subnet */
    goto out;
found:
    if (has_default_route()) {
        if (nlflags & NLM_F_EXCL) {
            err = -EEXIST;
            goto out;
        }
        if (!(nlflags & NLM_F_REPLACE)) {
            err = -EOPNOTSUPP;        /* a second default route (multipath/metrics) */
            goto out;
        }
    } else if (!(nlflags & NLM_F_CREATE)) {
        err = -ENOENT;
        goto out;
    }
    if (netif_default && netif_default != netif)
        netif_set_gw(netif_default, IP4_ADDR_ANY4);
    ip4_addr_t gw;
    ip4_addr_set_u32(&gw, r.gw);
    netif_set_gw(netif, &gw);
    netif_set_default(netif);
out:
    net_unlock(f);
    return err;
}

static int rtm_delroute(struct nl_request *req)
{
    struct rtnl_route_req r;
    int err = rtnl_parse_route(req->nlh, &r);
    if (err)
        return err;
    irqflags_t f = net_lock();
    if (r.rtm.rtm_dst_len) {
        err = subnet_route(&r) && !r.have_gw ? -EOPNOTSUPP : -ESRCH;
        goto out;
    }
    if (!has_default_route() ||
        (r.have_gw && r.gw != ip4_addr_get_u32(netif_ip4_gw(netif_default))) ||
        (r.have_oif && r.oif != netif_get_index(netif_default))) {
        err = -ESRCH;
        goto out;
    }
    netif_set_gw(netif_default, IP4_ADDR_ANY4);
out:
    net_unlock(f);
    return err;
}

int rtnetlink_rcv(struct nl_request *req)
{
    const struct nlmsghdr *nlh = req->nlh;
    /* rtnetlink_rcv_msg: a message without even a family byte is ignored. */
    if (nlmsg_payload_len(nlh) < sizeof(struct rtgenmsg))
        return 0;
    uint16_t type = nlh->nlmsg_type;
    if (type > RTM_MAX)
        return -EOPNOTSUPP;
    int kind = (type - RTM_NEWLINK) & 3;      /* NEW, DEL, GET, SET */
    if (kind != 2 && current->cred.euid != 0)
        return -EPERM;                        /* CAP_NET_ADMIN */
    switch (type) {
    case RTM_GETLINK: return rtm_getlink(req);
    case RTM_NEWLINK:
    case RTM_SETLINK: return rtm_setlink(req);
    case RTM_GETADDR: return rtm_getaddr(req);
    case RTM_NEWADDR: return rtm_newaddr(req);
    case RTM_DELADDR: return rtm_deladdr(req);
    case RTM_GETROUTE: return rtm_getroute(req);
    case RTM_NEWROUTE: return rtm_newroute(req);
    case RTM_DELROUTE: return rtm_delroute(req);
    }
    return -EOPNOTSUPP;
}
