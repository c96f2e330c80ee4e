/* Network interfaces as drivers see them: an Ethernet device hands received frames to the
 * stack and transmits what the stack gives it. The stack (lwIP, kernel/net/lwip/netif.c) owns
 * the protocol side; drivers never include lwIP headers.
 *
 * Calling rules: netdev_rx() and netdev_link_changed() may be called from interrupt context;
 * xmit() is called with the network lock held (interrupts off) and must not sleep.
 */
#pragma once
#include "types.h"

struct virtio_driver;

#define NETDEV_ETH_ALEN 6
#define NETDEV_ETH_FRAME_MAX 1514     /* without FCS; MTU 1500 + 14-byte header */

struct netdev;

/* Fills dst with len bytes of the outgoing frame (the stack's copy routine). */
typedef void (*netdev_copy_fn)(void *dst, size_t len, void *ctx);

struct netdev_stats {
    uint64_t rx_packets, rx_bytes, rx_dropped, rx_errors;
    uint64_t tx_packets, tx_bytes, tx_dropped, tx_errors;
};

struct netdev {
    char name[16];                    /* "eth0" */
    uint8_t mac[NETDEV_ETH_ALEN];
    unsigned mtu;
    bool link_up;
    /* Queue one frame of len bytes (<= NETDEV_ETH_FRAME_MAX): the driver calls copy(dst,
     * len, ctx) to fill its buffer. 0, or -ENOBUFS when the device queue is full. */
    int (*xmit)(struct netdev *dev, size_t len, netdev_copy_fn copy, void *ctx);
    /* Optional: hand the frames xmit queued to the device now. The stack calls it as it
     * releases the network lock, so a driver may queue a burst of frames (a TCP window's
     * worth) and notify the device once. Called with the network lock held. */
    void (*flush)(struct netdev *dev);
    void *priv;                       /* the driver's */
    void *stack;                      /* the stack's */
    struct netdev_stats stats;
    int ifindex;                      /* set by the stack (lo is 1) */
};

/* Attach a new device to the stack (gives it its ifindex and configures addresses as the
 * command line says). 0 or -errno. */
int netdev_register(struct netdev *dev);
/* One received frame (the data is copied before this returns). */
void netdev_rx(struct netdev *dev, const void *frame, size_t len);
/* The driver updated dev->link_up. */
void netdev_link_changed(struct netdev *dev);
/* The stack, as it releases the network lock: every device's flush. */
void netdev_flush_all(void);

extern struct virtio_driver virtio_net_driver;
