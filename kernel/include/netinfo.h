/* Facts about the network interfaces for code outside the network stack (sysfs), without
 * lwIP types: a snapshot taken under the net lock. */
#pragma once
#include "types.h"
#include "uapi/if.h"

struct net_iface_info {
    char name[IFNAMSIZ];           /* "lo", "eth0" */
    int ifindex;                   /* lo is 1 */
    bool loopback;
    bool up;                       /* administratively up (IFF_UP) */
    bool carrier;                  /* the link is up (lo: always) */
    unsigned mtu;
    unsigned flags;                /* Linux's dev->flags: IFF_UP, IFF_BROADCAST, IFF_LOOPBACK,
                                    * IFF_MULTICAST (IFF_RUNNING is not among them) */
    uint8_t mac[6];                /* lo: zeros */
};

/* The interface with the smallest index >= from: fills *info, returns its index, or -1. */
int net_iface_next(int from, struct net_iface_info *info);
/* The interface called `name`: 0, or -ENODEV. */
int net_iface_by_name(const char *name, struct net_iface_info *info);
