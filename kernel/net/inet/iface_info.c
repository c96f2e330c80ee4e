/* netinfo.h: interface snapshots for sysfs (/sys/class/net), taken under the net lock with
 * the same names, indexes and MTUs the interface ioctls report. */
#include "netinfo.h"
#include "netdev.h"
#include "errno.h"
#include "string.h"
#include "../lwip/inet_if.h"
#include "../lwip/netlock.h"
#include "uapi/if.h"

#include "lwip/netif.h"

/* Net lock held. */
static void snapshot(struct netif *netif, struct net_iface_info *info)
{
    memset(info, 0, sizeof *info);
    inet_netif_name(netif, info->name);
    info->ifindex = netif_get_index(netif);
    info->loopback = inet_netif_is_loopback(netif);
    info->up = netif_is_up(netif);
    info->carrier = info->loopback || netif_is_link_up(netif);
    info->mtu = info->loopback ? 65536 : netif->mtu;     /* as SIOCGIFMTU says */
    info->flags = (info->up ? IFF_UP : 0) |
                  (info->loopback ? IFF_LOOPBACK : IFF_BROADCAST | IFF_MULTICAST);
    struct netdev *dev = inet_netdev_of(netif);
    if (dev)
        memcpy(info->mac, dev->mac, sizeof info->mac);
}

int net_iface_next(int from, struct net_iface_info *info)
{
    if (from < 1)
        from = 1;
    int found = -1;
    irqflags_t f = net_lock();
    for (int i = from; i <= INET_MAX_IFINDEX; i++) {
        struct netif *netif = netif_get_by_index((u8_t)i);
        if (netif) {
            snapshot(netif, info);
            found = i;
            break;
        }
    }
    net_unlock(f);
    return found;
}

int net_iface_by_name(const char *name, struct net_iface_info *info)
{
    irqflags_t f = net_lock();
    struct netif *netif = inet_netif_by_name(name);
    if (netif)
        snapshot(netif, info);
    net_unlock(f);
    return netif ? 0 : -ENODEV;
}
