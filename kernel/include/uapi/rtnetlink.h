/* Routing netlink messages (NETLINK_ROUTE): Linux's linux/rtnetlink.h. */
#pragma once
#include "types.h"
#include "netlink.h"
#include "if_link.h"
#include "if_addr.h"

#define RTM_NEWLINK 16
#define RTM_DELLINK 17
#define RTM_GETLINK 18
#define RTM_SETLINK 19
#define RTM_NEWADDR 20
#define RTM_DELADDR 21
#define RTM_GETADDR 22
#define RTM_NEWROUTE 24
#define RTM_DELROUTE 25
#define RTM_GETROUTE 26
#define RTM_MAX 123                     /* Linux 6.1: (((__RTM_MAX + 3) & ~3) - 1) */

struct rtgenmsg {
    uint8_t rtgen_family;
};

/* RTM_*LINK's family header. */
struct ifinfomsg {
    uint8_t ifi_family;
    uint8_t ifi_pad;
    uint16_t ifi_type;                /* ARPHRD_* */
    int32_t ifi_index;
    uint32_t ifi_flags;               /* IFF_* */
    uint32_t ifi_change;              /* which flags a NEWLINK changes */
};

/* RTM_*ROUTE's family header. */
struct rtmsg {
    uint8_t rtm_family;
    uint8_t rtm_dst_len;
    uint8_t rtm_src_len;
    uint8_t rtm_tos;
    uint8_t rtm_table;
    uint8_t rtm_protocol;
    uint8_t rtm_scope;
    uint8_t rtm_type;
    uint32_t rtm_flags;
};

#define RT_TABLE_UNSPEC 0
#define RT_TABLE_MAIN 254
#define RT_TABLE_LOCAL 255
#define RTPROT_UNSPEC 0
#define RTPROT_KERNEL 2
#define RTPROT_BOOT 3
#define RTPROT_STATIC 4
#define RT_SCOPE_UNIVERSE 0
#define RT_SCOPE_LINK 253
#define RT_SCOPE_HOST 254
#define RT_SCOPE_NOWHERE 255
#define RTN_UNSPEC 0
#define RTN_UNICAST 1
#define RTN_LOCAL 2

/* Route attributes. */
#define RTA_UNSPEC 0
#define RTA_DST 1
#define RTA_SRC 2
#define RTA_IIF 3
#define RTA_OIF 4
#define RTA_GATEWAY 5
#define RTA_PRIORITY 6
#define RTA_PREFSRC 7
#define RTA_METRICS 8
#define RTA_MULTIPATH 9
#define RTA_TABLE 15
