/* The SIOCADDRT/SIOCDELRT route entry: Linux's linux/route.h. */
#pragma once
#include "types.h"
#include "socket.h"

/* struct rtentry on a 64-bit kernel. */
struct rtentry {
    unsigned long rt_pad1;
    struct sockaddr rt_dst;
    struct sockaddr rt_gateway;
    struct sockaddr rt_genmask;
    unsigned short rt_flags;          /* RTF_* */
    short rt_pad2;
    unsigned long rt_pad3;
    uint64_t rt_pad4;
    short rt_metric;
    uint64_t rt_dev;                  /* user address of an interface name, or 0 */
    unsigned long rt_mtu;
    unsigned long rt_window;
    unsigned short rt_irtt;
};

#define RTF_UP 0x0001
#define RTF_GATEWAY 0x0002
#define RTF_HOST 0x0004
