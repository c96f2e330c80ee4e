/* Interface ioctls on any AF_INET socket (what BusyBox ifconfig and route use): list the
 * interfaces and read their flags, addresses, MTU, hardware address and index; root may set
 * an address, netmask or the up/down flag. Interfaces are lwIP's netifs: "lo" (the loopback
 * interface) and each network device by its driver's name ("eth0"). */
#include "inet.h"
#include "netdev.h"
#include "string.h"
#include "uaccess.h"
#include "kprintf.h"
#include "../lwip/inet_if.h"
#include "uapi/if.h"
#include "uapi/if_arp.h"
#include "uapi/route.h"

#include "lwip/netif.h"
#include "lwip/dhcp.h"

/* ifconf() copies out an array of these; the layout is the user's. */
_Static_assert(sizeof(struct ifreq) == 40, "struct ifreq is 40 bytes on a 64-bit kernel");

static void put_sin(struct sockaddr *sa, u32_t addr)
{
    ip_addr_t ip;
    ip_addr_set_ip4_u32_val(ip, addr);
    inet_fill_addr(sa, &ip, 0);
}

static short netif_flags(const struct netif *netif)
{
    short fl = 0;
    if (netif_is_up(netif))
        fl |= IFF_UP;
    if (netif_is_up(netif) && netif_is_link_up(netif))
        fl |= IFF_RUNNING;
    if (inet_netif_is_loopback(netif))
        fl |= IFF_LOOPBACK;
    else
        fl |= IFF_BROADCAST | IFF_MULTICAST;
    return fl;
}

static long ifconf(unsigned long arg)
{
    struct ifconf ifc;
    if (copy_from_user(&ifc, arg, sizeof ifc))
        return -EFAULT;
    struct ifreq list[8];
    unsigned n = 0;
    irqflags_t f = net_lock();
    struct netif *netif;
    INET_FOREACH_NETIF(netif) {
        /* Like Linux: only interfaces that have an IPv4 address. */
        if (n == ARRAY_SIZE(list) || ip4_addr_isany_val(*netif_ip4_addr(netif)))
            continue;
        memset(&list[n], 0, sizeof list[n]);
        inet_netif_name(netif, list[n].ifr_name);
        put_sin(&list[n].ifr_addr, ip4_addr_get_u32(netif_ip4_addr(netif)));
        n++;
    }
    net_unlock(f);
    if (ifc.ifc_buf == 0) {
        ifc.ifc_len = (int)(n * sizeof(struct ifreq));
    } else {
        unsigned fit = ifc.ifc_len < 0 ? 0 : (unsigned)ifc.ifc_len / sizeof(struct ifreq);
        n = MIN(n, fit);
        if (n && copy_to_user(ifc.ifc_buf, list, n * sizeof(struct ifreq)))
            return -EFAULT;
        ifc.ifc_len = (int)(n * sizeof(struct ifreq));
    }
    return put_user_u32((uint32_t)ifc.ifc_len, arg) ? -EFAULT : 0;
}

static long ifreq_set(unsigned cmd, struct ifreq *ifr, struct netif *netif)
{
    ip_addr_t ip;
    uint16_t port;
    switch (cmd) {
    case SIOCSIFFLAGS:
        if ((ifr->ifr_flags & IFF_UP) && !netif_is_up(netif))
            netif_set_up(netif);
        else if (!(ifr->ifr_flags & IFF_UP) && netif_is_up(netif))
            netif_set_down(netif);
        return 0;
    case SIOCSIFADDR:
    case SIOCSIFNETMASK: {
        int err = inet_parse_addr(&ifr->ifr_addr, sizeof ifr->ifr_addr, &ip, &port);
        if (err)
            return err;
        if (inet_netif_is_loopback(netif))
            return -EPERM;
        /* A manual address ends DHCP on the interface, as it would with udhcpc gone. */
        if (netif_dhcp_data(netif))
            dhcp_stop(netif);
        if (cmd == SIOCSIFADDR)
            netif_set_ipaddr(netif, ip_2_ip4(&ip));
        else
            netif_set_netmask(netif, ip_2_ip4(&ip));
        return 0;
    }
    }
    return -ENOIOCTLCMD;
}

/* Routes: lwIP has one gateway per interface and a default interface, so the routing table
 * openv can hold is "each interface's subnet" plus one default route. SIOCADDRT/SIOCDELRT
 * manage that default route (what `route add default gw X` and DHCP scripts do); other
 * routes are refused with EOPNOTSUPP. */
static long route_ioctl(unsigned cmd, unsigned long arg)
{
    if (!inet_capable_raw())
        return -EPERM;
    struct rtentry rt;
    if (copy_from_user(&rt, arg, sizeof rt))
        return -EFAULT;
    ip_addr_t gw;
    uint16_t port;
    /* Like Linux, the destination and mask are read as IPv4 whatever their family field
     * says (route(8) leaves the mask's family unset for "default"). */
    struct sockaddr_in dst, mask;
    memcpy(&dst, &rt.rt_dst, sizeof dst);
    memcpy(&mask, &rt.rt_genmask, sizeof mask);
    if (dst.sin_addr.s_addr != 0 || mask.sin_addr.s_addr != 0)
        return -EOPNOTSUPP;
    bool have_gw = (rt.rt_flags & RTF_GATEWAY) &&
                   !inet_parse_addr(&rt.rt_gateway, sizeof rt.rt_gateway, &gw, &port);
    char devname[IFNAMSIZ] = "";
    if (rt.rt_dev && strncpy_from_user(devname, rt.rt_dev, sizeof devname) < 0)
        return -EFAULT;
    devname[IFNAMSIZ - 1] = 0;
    long ret = 0;
    irqflags_t f = net_lock();
    struct netif *netif = NULL;
    if (devname[0]) {
        netif = inet_netif_by_name(devname);
    } else if (have_gw) {
        /* The interface whose subnet holds the gateway (Linux: "Network is unreachable"). */
        struct netif *n;
        INET_FOREACH_NETIF(n) {
            if (netif_is_up(n) && !ip4_addr_isany_val(*netif_ip4_addr(n)) &&
                ip4_addr_netcmp(ip_2_ip4(&gw), netif_ip4_addr(n), netif_ip4_netmask(n))) {
                netif = n;
                break;
            }
        }
    } else {
        netif = netif_default;
    }
    if (!netif) {
        ret = devname[0] ? -ENODEV : -ENETUNREACH;
    } else if (cmd == SIOCADDRT) {
        if (netif_default && !ip4_addr_isany_val(*netif_ip4_gw(netif_default))) {
            ret = -EEXIST;      /* one default route at a time */
        } else {
            if (have_gw)
                netif_set_gw(netif, ip_2_ip4(&gw));
            netif_set_default(netif);
        }
    } else {
        if (netif != netif_default || ip4_addr_isany_val(*netif_ip4_gw(netif)))
            ret = -ESRCH;
        else
            netif_set_gw(netif, IP4_ADDR_ANY4);
    }
    net_unlock(f);
    return ret;
}

long inet_ifioctl(unsigned cmd, unsigned long arg)
{
    if (cmd == SIOCGIFCONF)
        return ifconf(arg);
    if (cmd == SIOCADDRT || cmd == SIOCDELRT)
        return route_ioctl(cmd, arg);
    switch (cmd) {
    case SIOCGIFNAME: case SIOCGIFFLAGS: case SIOCSIFFLAGS: case SIOCGIFADDR:
    case SIOCSIFADDR: case SIOCGIFDSTADDR: case SIOCGIFBRDADDR: case SIOCGIFNETMASK:
    case SIOCSIFNETMASK: case SIOCGIFMETRIC: case SIOCGIFMTU: case SIOCGIFHWADDR:
    case SIOCGIFINDEX: case SIOCGIFTXQLEN: case SIOCGIFMAP:
        break;
    default:
        return -ENOIOCTLCMD;
    }
    struct ifreq ifr;
    if (copy_from_user(&ifr, arg, sizeof ifr))
        return -EFAULT;
    bool set = cmd == SIOCSIFFLAGS || cmd == SIOCSIFADDR || cmd == SIOCSIFNETMASK;
    if (set && !inet_capable_raw())
        return -EPERM;
    ifr.ifr_name[IFNAMSIZ - 1] = 0;
    long ret = 0;
    irqflags_t f = net_lock();
    struct netif *netif = NULL;
    if (cmd == SIOCGIFNAME) {
        int index = ifr.ifr_ifindex;
        netif = index > 0 && index < 256 ? netif_get_by_index((u8_t)index) : NULL;
        if (netif)
            inet_netif_name(netif, ifr.ifr_name);
    } else {
        netif = inet_netif_by_name(ifr.ifr_name);
    }
    if (!netif) {
        net_unlock(f);
        return -ENODEV;
    }
    u32_t addr = ip4_addr_get_u32(netif_ip4_addr(netif));
    u32_t mask = ip4_addr_get_u32(netif_ip4_netmask(netif));
    struct netdev *dev = inet_netdev_of(netif);
    switch (cmd) {
    case SIOCGIFNAME:
        break;
    case SIOCGIFFLAGS:
        memset(&ifr.ifr_ifru, 0, sizeof ifr.ifr_ifru);
        ifr.ifr_flags = netif_flags(netif);
        break;
    case SIOCGIFADDR:
    case SIOCGIFNETMASK:
    case SIOCGIFBRDADDR:
        if (addr == 0) {
            ret = -EADDRNOTAVAIL;
            break;
        }
        memset(&ifr.ifr_ifru, 0, sizeof ifr.ifr_ifru);
        put_sin(&ifr.ifr_addr, cmd == SIOCGIFADDR ? addr : cmd == SIOCGIFNETMASK ? mask
                                                                             : (addr | ~mask));
        break;
    case SIOCGIFDSTADDR:
        memset(&ifr.ifr_ifru, 0, sizeof ifr.ifr_ifru);
        put_sin(&ifr.ifr_dstaddr, 0);
        break;
    case SIOCGIFMETRIC:
        memset(&ifr.ifr_ifru, 0, sizeof ifr.ifr_ifru);
        break;
    case SIOCGIFMTU:
        memset(&ifr.ifr_ifru, 0, sizeof ifr.ifr_ifru);
        ifr.ifr_mtu = inet_netif_is_loopback(netif) ? 65536 : netif->mtu;
        break;
    case SIOCGIFTXQLEN:
        memset(&ifr.ifr_ifru, 0, sizeof ifr.ifr_ifru);
        ifr.ifr_qlen = inet_netif_is_loopback(netif) ? 1000 : 1000;
        break;
    case SIOCGIFINDEX:
        memset(&ifr.ifr_ifru, 0, sizeof ifr.ifr_ifru);
        ifr.ifr_ifindex = netif_get_index(netif);
        break;
    case SIOCGIFMAP:
        memset(&ifr.ifr_ifru, 0, sizeof ifr.ifr_ifru);
        break;
    case SIOCGIFHWADDR:
        memset(&ifr.ifr_ifru, 0, sizeof ifr.ifr_ifru);
        ifr.ifr_hwaddr.sa_family = inet_netif_is_loopback(netif) ? ARPHRD_LOOPBACK : ARPHRD_ETHER;
        if (dev)
            memcpy(ifr.ifr_hwaddr.sa_data, dev->mac, NETDEV_ETH_ALEN);
        break;
    default:
        ret = ifreq_set(cmd, &ifr, netif);
        break;
    }
    net_unlock(f);
    if (ret)
        return ret;
    if (!set && copy_to_user(arg, &ifr, sizeof ifr))
        return -EFAULT;
    return 0;
}
