/* lwIP configuration for the openv kernel (lwIP 2.1, see build/pkg/lwip/src/include/lwip/opt.h
 * for what each option means). The raw API only: the kernel's own socket layer
 * (kernel/net/inet) sits on top of it. */
#pragma once
#include <stddef.h>

/* No OS integration inside lwIP: one kernel lock around every lwIP call (lock.c). */
#define NO_SYS 1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_NETCONN 0
#define LWIP_SOCKET 0
#define LWIP_TIMERS 1

/* Memory: lwIP's heap and pools come from kmalloc, so they grow with demand instead of being
 * a fixed reservation; listen backlogs and windows bound what one peer can make us hold. */
#include "mm.h"
void *lwip_port_calloc(size_t n, size_t size);
#define MEM_LIBC_MALLOC 1
#define mem_clib_malloc kmalloc
#define mem_clib_free kfree
#define mem_clib_calloc lwip_port_calloc
#define MEMP_MEM_MALLOC 1
#define MEM_ALIGNMENT 8
#define PBUF_POOL_SIZE 512
#define PBUF_POOL_BUFSIZE 1536
#define MEMP_NUM_TCP_PCB 512
#define MEMP_NUM_TCP_PCB_LISTEN 64
#define MEMP_NUM_UDP_PCB 64
#define MEMP_NUM_RAW_PCB 32
#define MEMP_NUM_TCP_SEG 4096

/* Protocols. */
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_RAW 1
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_IGMP 0
#define LWIP_AUTOIP 0
#define LWIP_DHCP 1
#define DHCP_DOES_ARP_CHECK 0       /* QEMU's DHCP server owns its subnet; saves a second */
#define LWIP_DNS 1                  /* only to keep the DNS servers DHCP hands out */
#define DNS_MAX_SERVERS 2
#define IP_FORWARD 0
#define IP_REASSEMBLY 1
#define IP_FRAG 1
#define IP_DEFAULT_TTL 64
#define LWIP_BROADCAST_PING 0
#define LWIP_MULTICAST_PING 0
#define ARP_TABLE_SIZE 32
#define ARP_QUEUEING 1
#define ETHARP_SUPPORT_STATIC_ENTRIES 0

/* TCP sized for a virtio link: windows large enough to keep a LAN-speed stream moving. */
#define TCP_MSS 1460
#define LWIP_WND_SCALE 1
#define TCP_RCV_SCALE 2
#define TCP_WND (128 * 1024)
#define TCP_SND_BUF (128 * 1024)
#define TCP_SND_QUEUELEN (4 * TCP_SND_BUF / TCP_MSS)
#define TCP_SNDLOWAT (TCP_SND_BUF / 4)
#define TCP_OVERSIZE TCP_MSS
#define TCP_QUEUE_OOSEQ 1
#define TCP_LISTEN_BACKLOG 1
#define TCP_DEFAULT_LISTEN_BACKLOG 128
#define LWIP_TCP_KEEPALIVE 1
#define SO_REUSE 1
#define LWIP_TCP_TIMESTAMPS 0
#define LWIP_CALLBACK_API 1
#define LWIP_ALTCP 0
#define LWIP_CHECKSUM_ON_COPY 1
/* The Internet checksum: ours (kernel/lib/inet_csum.c, the same results as lwIP's for any
 * address and length), four bytes per load where lwIP's portable loop takes two. It sums every
 * byte TCP sends (while copying it in) and receives. */
#include "inet_csum.h"
#define LWIP_CHKSUM(data, len) inet_csum((data), (size_t)(len))

/* Interfaces: eth0 (virtio-net) and the loopback interface (127.0.0.1). Loopback packets are
 * queued and delivered by netif_poll_all() when the kernel lock is released. */
#define LWIP_SINGLE_NETIF 0
#define LWIP_HAVE_LOOPIF 1
#define LWIP_NETIF_LOOPBACK 1
#define LWIP_NETIF_LOOPBACK_MULTITHREADING 0
#define LWIP_LOOPBACK_MAX_PBUFS 0
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK 1
#define LWIP_NETIF_HOSTNAME 1
#define LWIP_NETIF_API 0
#define LWIP_NUM_NETIF_CLIENT_DATA 0
#define ETH_PAD_SIZE 0

#define LWIP_STATS 0
