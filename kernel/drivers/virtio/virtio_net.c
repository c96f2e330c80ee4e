/* virtio-net (virtio 1.2 §5.1): queue 0 receives, queue 1 transmits. Every receive buffer is
 * posted up front (the device fills them and interrupts); transmit buffers come from a fixed
 * pool and are reclaimed on completion. Frames are copied in and out, so the stack never sees
 * device memory.
 *
 * Transmit completions interrupt no one (VIRTQ_AVAIL_F_NO_INTERRUPT on the transmit queue):
 * used transmit buffers are taken back when the next frame is sent and on every receive
 * interrupt (the ACKs of what we send), which saves an interrupt per frame on the send path.
 *
 * Nor does every frame notify the device: xmit only queues it, and the device is notified
 * once per burst, when the stack releases the network lock (netdev flush) or at the end of a
 * receive interrupt for what the stack sent in answer (ACKs, the next part of a send window),
 * and at least every VNET_TX_KICK_BATCH frames. A notification is a trap into the hypervisor
 * (with QEMU, a register write that waits for its device lock and wakes its I/O thread), and
 * a 16 KiB write could cost up to 12 of them, one per TCP segment.
 *
 * Each packet is preceded by a virtio_net_hdr: 10 bytes on a legacy device that did not
 * negotiate VIRTIO_NET_F_MRG_RXBUF (which we never offer), 12 bytes (with num_buffers) on a
 * modern one (§5.1.6). No offloads are negotiated: the header is all zeros on transmit and
 * ignored on receive. A legacy device without VIRTIO_F_ANY_LAYOUT wants the header in its own
 * descriptor (§5.1.6.6 legacy), so every buffer is two descriptors.
 */
#include "kernel.h"
#include "virtio.h"
#include "netdev.h"
#include "mm.h"
#include "string.h"
#include "random.h"
#include "kprintf.h"

/* Feature bits (§5.1.3). */
#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_STATUS 16

/* Configuration layout (§5.1.4). */
#define VNET_CFG_MAC 0
#define VNET_CFG_STATUS 6
#define VNET_CFG_MTU 10
#define VIRTIO_NET_S_LINK_UP 1

#define VNET_HDR_LEGACY 10
#define VNET_HDR_MODERN 12
#define VNET_BUF_SIZE 2048u           /* one buffer: header room, then the frame */
#define VNET_HDR_ROOM 64u             /* frame starts here (keeps it 64-byte aligned) */
#define VNET_FRAME_ROOM (VNET_BUF_SIZE - VNET_HDR_ROOM)
#define VNET_QUEUE_MAX 256u
/* Frames queued before the device is notified even if the burst goes on, so that it starts
 * sending while we still fill the queue. */
#define VNET_TX_KICK_BATCH 32u

struct virtio_net {
    struct virtio_device *vdev;
    struct virtqueue *rxq, *txq;
    struct netdev dev;
    unsigned hdr_len;
    spinlock_t rx_lock;               /* rxq; taken in interrupt context */
    spinlock_t tx_lock;               /* txq and the free list; taken inside the net lock */
    uint8_t *rx_mem, *tx_mem;         /* nrx / ntx buffers of VNET_BUF_SIZE */
    unsigned nrx, ntx;
    size_t rx_pages, tx_pages;
    uint16_t *tx_free;                /* stack of free transmit buffer indexes */
    unsigned tx_nfree;
    unsigned tx_unkicked;             /* frames queued since the last notification */
    bool rx_batch;                    /* in vnet_rx_done: hold notifications until its end */
};

static unsigned vnet_count;

static uint8_t *rx_buf(struct virtio_net *vn, unsigned i) { return vn->rx_mem + (size_t)i * VNET_BUF_SIZE; }
static uint8_t *tx_buf(struct virtio_net *vn, unsigned i) { return vn->tx_mem + (size_t)i * VNET_BUF_SIZE; }

/* Hand a receive buffer (back) to the device. Under rx_lock (or before DRIVER_OK). */
static int vnet_post_rx(struct virtio_net *vn, uint8_t *buf)
{
    struct vq_sg sg[2] = {
        { .addr = va_to_pa(buf), .len = vn->hdr_len },
        { .addr = va_to_pa(buf + VNET_HDR_ROOM), .len = VNET_FRAME_ROOM },
    };
    return virtqueue_add(vn->rxq, sg, 0, 2, buf);
}

static bool rx_token_ok(struct virtio_net *vn, const uint8_t *buf)
{
    if (buf < vn->rx_mem || buf >= vn->rx_mem + (size_t)vn->nrx * VNET_BUF_SIZE)
        return false;
    return (size_t)(buf - vn->rx_mem) % VNET_BUF_SIZE == 0;
}

/* Under tx_lock: notify the device of the frames queued since the last time. */
static void vnet_kick_tx_locked(struct virtio_net *vn)
{
    if (vn->tx_unkicked) {
        vn->tx_unkicked = 0;
        virtqueue_kick(vn->txq);
    }
}

/* The stack releases the network lock: the burst of frames it queued goes to the device. */
static void vnet_flush(struct netdev *dev)
{
    struct virtio_net *vn = dev->priv;
    if (!READ_ONCE(vn->tx_unkicked))
        return;
    irqflags_t f = spin_lock_irqsave(&vn->tx_lock);
    if (!vn->rx_batch)
        vnet_kick_tx_locked(vn);
    spin_unlock_irqrestore(&vn->tx_lock, f);
}

static void vnet_set_rx_batch(struct virtio_net *vn, bool on)
{
    irqflags_t f = spin_lock_irqsave(&vn->tx_lock);
    vn->rx_batch = on;
    if (!on)
        vnet_kick_tx_locked(vn);
    spin_unlock_irqrestore(&vn->tx_lock, f);
}

/* Receive completions: interrupt context. Each frame goes to the stack (which copies it) and
 * its buffer goes straight back to the device. What the stack sends in answer (ACKs, more of
 * a send window) is notified once, at the end. */
static void vnet_rx_done(struct virtqueue *vq)
{
    struct virtio_net *vn = vq->priv;
    irqflags_t f = spin_lock_irqsave(&vn->rx_lock);
    vnet_set_rx_batch(vn, true);
    bool reposted = false;
    uint8_t *buf;
    uint32_t len;
    while ((buf = virtqueue_get_buf(vq, &len))) {
        if (!rx_token_ok(vn, buf))
            continue;
        /* len counts header and frame; anything shorter than an Ethernet header is junk. */
        if (len < vn->hdr_len + 14) {
            vn->dev.stats.rx_errors++;
        } else {
            size_t flen = len - vn->hdr_len;
            vn->dev.stats.rx_packets++;
            vn->dev.stats.rx_bytes += flen;
            netdev_rx(&vn->dev, buf + VNET_HDR_ROOM, flen);
        }
        if (vnet_post_rx(vn, buf) == 0)
            reposted = true;
    }
    if (reposted)
        virtqueue_kick(vq);
    vnet_set_rx_batch(vn, false);
    spin_unlock_irqrestore(&vn->rx_lock, f);
}

static bool tx_token_ok(struct virtio_net *vn, const uint8_t *buf)
{
    if (buf < vn->tx_mem || buf >= vn->tx_mem + (size_t)vn->ntx * VNET_BUF_SIZE)
        return false;
    return (size_t)(buf - vn->tx_mem) % VNET_BUF_SIZE == 0;
}

/* Under tx_lock: take back every buffer the device has finished sending. */
static void vnet_tx_reclaim_locked(struct virtio_net *vn)
{
    uint8_t *buf;
    uint32_t len;
    while ((buf = virtqueue_get_buf(vn->txq, &len))) {
        if (!tx_token_ok(vn, buf) || vn->tx_nfree >= vn->ntx)
            continue;
        vn->tx_free[vn->tx_nfree++] = (uint16_t)((size_t)(buf - vn->tx_mem) / VNET_BUF_SIZE);
    }
}

static void vnet_tx_done(struct virtqueue *vq)
{
    struct virtio_net *vn = vq->priv;
    irqflags_t f = spin_lock_irqsave(&vn->tx_lock);
    vnet_tx_reclaim_locked(vn);
    spin_unlock_irqrestore(&vn->tx_lock, f);
}

static int vnet_xmit(struct netdev *dev, size_t len, netdev_copy_fn copy, void *ctx)
{
    struct virtio_net *vn = dev->priv;
    if (len > VNET_FRAME_ROOM) {
        dev->stats.tx_errors++;
        return -EMSGSIZE;
    }
    irqflags_t f = spin_lock_irqsave(&vn->tx_lock);
    if (vn->tx_nfree < vn->ntx / 2)
        vnet_tx_reclaim_locked(vn);
    if (vn->tx_nfree == 0 || virtqueue_is_broken(vn->txq)) {
        vnet_kick_tx_locked(vn);    /* the queue is full: let the device drain it */
        dev->stats.tx_dropped++;
        spin_unlock_irqrestore(&vn->tx_lock, f);
        return -ENOBUFS;
    }
    unsigned i = vn->tx_free[--vn->tx_nfree];
    uint8_t *buf = tx_buf(vn, i);
    memset(buf, 0, vn->hdr_len);
    copy(buf + VNET_HDR_ROOM, len, ctx);
    struct vq_sg sg[2] = {
        { .addr = va_to_pa(buf), .len = vn->hdr_len },
        { .addr = va_to_pa(buf + VNET_HDR_ROOM), .len = (uint32_t)len },
    };
    int err = virtqueue_add(vn->txq, sg, 2, 0, buf);
    if (err) {
        vn->tx_free[vn->tx_nfree++] = (uint16_t)i;
        dev->stats.tx_dropped++;
    } else {
        if (++vn->tx_unkicked >= VNET_TX_KICK_BATCH)
            vnet_kick_tx_locked(vn);
        dev->stats.tx_packets++;
        dev->stats.tx_bytes += len;
    }
    spin_unlock_irqrestore(&vn->tx_lock, f);
    return err ? -ENOBUFS : 0;
}

static bool vnet_read_link(struct virtio_net *vn)
{
    if (!virtio_has_feature(vn->vdev, VIRTIO_NET_F_STATUS))
        return true;    /* no status field: the link is always up (§5.1.4) */
    return virtio_cread16(vn->vdev, VNET_CFG_STATUS) & VIRTIO_NET_S_LINK_UP;
}

static void vnet_config_changed(struct virtio_device *vdev)
{
    struct virtio_net *vn = vdev->priv;
    if (!vn)
        return;
    bool up = vnet_read_link(vn);
    if (up != vn->dev.link_up) {
        vn->dev.link_up = up;
        netdev_link_changed(&vn->dev);
    }
}

static void vnet_free(struct virtio_net *vn)
{
    /* Queues already set up stay with the (now FAILED) device: make sure an interrupt can
     * never reach this memory through them. */
    if (vn->rxq) {
        vn->rxq->callback = NULL;
        vn->rxq->priv = NULL;
    }
    if (vn->txq) {
        vn->txq->callback = NULL;
        vn->txq->priv = NULL;
    }
    if (vn->rx_mem)
        page_free_contig(vn->rx_mem, vn->rx_pages);
    if (vn->tx_mem)
        page_free_contig(vn->tx_mem, vn->tx_pages);
    kfree(vn->tx_free);
    kfree(vn);
}

static int vnet_probe(struct virtio_device *vdev)
{
    int err = virtio_negotiate(vdev, (1ull << VIRTIO_NET_F_MAC) | (1ull << VIRTIO_NET_F_STATUS) |
                                         (1ull << VIRTIO_NET_F_MTU));
    if (err)
        return err;
    struct virtio_net *vn = kzalloc(sizeof(*vn));
    if (!vn)
        return -ENOMEM;
    vn->vdev = vdev;
    vn->hdr_len = virtio_has_feature(vdev, VIRTIO_F_VERSION_1) ? VNET_HDR_MODERN : VNET_HDR_LEGACY;
    spin_init(&vn->rx_lock, "virtio-net rx");
    spin_init(&vn->tx_lock, "virtio-net tx");

    vn->rxq = virtio_setup_vq(vdev, 0, VNET_QUEUE_MAX, vnet_rx_done, vn);
    vn->txq = vn->rxq ? virtio_setup_vq(vdev, 1, VNET_QUEUE_MAX, vnet_tx_done, vn) : NULL;
    if (!vn->txq) {
        vnet_free(vn);
        return -ENODEV;
    }
    /* Two descriptors per buffer. */
    vn->nrx = vn->rxq->num / 2;
    vn->ntx = vn->txq->num / 2;
    vn->rx_pages = ALIGN_UP((size_t)vn->nrx * VNET_BUF_SIZE, (size_t)PAGE_SIZE) / PAGE_SIZE;
    vn->tx_pages = ALIGN_UP((size_t)vn->ntx * VNET_BUF_SIZE, (size_t)PAGE_SIZE) / PAGE_SIZE;
    vn->rx_mem = page_alloc_contig(vn->rx_pages);
    vn->tx_mem = page_alloc_contig(vn->tx_pages);
    vn->tx_free = kzalloc(vn->ntx * sizeof(uint16_t));
    if (!vn->rx_mem || !vn->tx_mem || !vn->tx_free) {
        /* The queues stay configured but unused: the transport sets FAILED. */
        vnet_free(vn);
        return -ENOMEM;
    }
    for (unsigned i = 0; i < vn->ntx; i++)
        vn->tx_free[vn->tx_nfree++] = (uint16_t)(vn->ntx - 1 - i);
    /* A hint (§2.7.7): the device may still interrupt; vnet_tx_done then reclaims. */
    WRITE_ONCE(vn->txq->avail->flags, VIRTQ_AVAIL_F_NO_INTERRUPT);
    for (unsigned i = 0; i < vn->nrx; i++)
        vnet_post_rx(vn, rx_buf(vn, i));

    struct netdev *dev = &vn->dev;
    ksnprintf(dev->name, sizeof dev->name, "eth%u", vnet_count);
    if (virtio_has_feature(vdev, VIRTIO_NET_F_MAC)) {
        virtio_cread(vdev, VNET_CFG_MAC, dev->mac, NETDEV_ETH_ALEN);
    } else {
        /* A random locally administered unicast address (what Linux does without one). */
        get_random_bytes(dev->mac, NETDEV_ETH_ALEN);
        dev->mac[0] = (uint8_t)((dev->mac[0] & 0xfe) | 0x02);
    }
    dev->mtu = 1500;
    if (virtio_has_feature(vdev, VIRTIO_NET_F_MTU)) {
        uint16_t mtu = virtio_cread16(vdev, VNET_CFG_MTU);
        if (mtu >= 68 && mtu < 1500)
            dev->mtu = mtu;
    }
    dev->xmit = vnet_xmit;
    dev->flush = vnet_flush;
    dev->priv = vn;
    vdev->priv = vn;
    virtio_device_ready(vdev);
    dev->link_up = vnet_read_link(vn);
    virtqueue_kick(vn->rxq);

    char where[64];
    virtio_describe(vdev, where, sizeof where);
    pr_info("virtio-net: %s: %s, MAC %02x:%02x:%02x:%02x:%02x:%02x, %u rx / %u tx buffers, link %s\n",
            dev->name, where, dev->mac[0], dev->mac[1], dev->mac[2], dev->mac[3], dev->mac[4],
            dev->mac[5], vn->nrx, vn->ntx, dev->link_up ? "up" : "down");
    vnet_count++;
    err = netdev_register(dev);
    if (err)
        pr_err("virtio-net: %s: the network stack refused it (%d)\n", dev->name, err);
    return 0;
}

struct virtio_driver virtio_net_driver = {
    .name = "virtio-net",
    .device_id = VIRTIO_ID_NET,
    .probe = vnet_probe,
    .config_changed = vnet_config_changed,
};
