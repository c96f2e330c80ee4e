/* What the AF_INET code needs from the interface glue (netif.c). */
#pragma once
#include "types.h"
#include "uapi/if.h"

struct netif;
struct netdev;
struct netdev *inet_netdev_of(struct netif *netif);   /* NULL for the loopback interface */
unsigned inet_netdev_count(void);
struct netdev *inet_netdev_get(unsigned i);
bool inet_netif_is_loopback(const struct netif *netif);
void inet_netif_name(const struct netif *netif, char out[IFNAMSIZ]);   /* "lo", "eth0" */
struct netif *inet_netif_by_name(const char *name);   /* net lock held; NULL if none */

/* Interfaces in index order (lo first, as Linux lists them); net lock held. lwIP's own list
 * is newest first. */
#define INET_MAX_IFINDEX 16
#define INET_FOREACH_NETIF(netif)                                                        \
    for (unsigned __idx = 1; __idx <= INET_MAX_IFINDEX; __idx++)                         \
        if (((netif) = netif_get_by_index((u8_t)__idx)) != NULL)
