/* Netlink messages as they travel between user space and the kernel (uapi linux/netlink.h,
 * rtnetlink.h, if_link.h, if_addr.h), and the freestanding parser and builder for them
 * (kernel/net/netlink/nlattr.c). Only the types and memcpy are needed, so the host unit test
 * and fuzz target compile nlattr.c as it is; the socket family (af_netlink.c) and the routing
 * messages (rtnetlink.c) build on it.
 *
 * Wire rules (Linux's): a datagram is a sequence of messages, each a 16-byte nlmsghdr whose
 * nlmsg_len counts header + payload (unpadded), the next message starting at the 4-byte
 * aligned offset. A family header follows (struct ifinfomsg, ifaddrmsg, rtmsg), then
 * attributes: a 4-byte nlattr (length including the header, unpadded; type) and the payload,
 * each attribute again starting 4-byte aligned.
 */
#pragma once
#include "types.h"

/* ---- linux/netlink.h ---- */
#define NETLINK_ROUTE 0

struct sockaddr_nl {
    uint16_t nl_family;               /* AF_NETLINK */
    uint16_t nl_pad;
    uint32_t nl_pid;                  /* port id; 0 is the kernel */
    uint32_t nl_groups;               /* multicast group mask */
};

struct nlmsghdr {
    uint32_t nlmsg_len;
    uint16_t nlmsg_type;
    uint16_t nlmsg_flags;
    uint32_t nlmsg_seq;
    uint32_t nlmsg_pid;
};

#define NLM_F_REQUEST 0x01
#define NLM_F_MULTI 0x02
#define NLM_F_ACK 0x04
#define NLM_F_ECHO 0x08
#define NLM_F_DUMP_INTR 0x10
#define NLM_F_ROOT 0x100
#define NLM_F_MATCH 0x200
#define NLM_F_ATOMIC 0x400
#define NLM_F_DUMP (NLM_F_ROOT | NLM_F_MATCH)
#define NLM_F_REPLACE 0x100             /* NEW requests */
#define NLM_F_EXCL 0x200
#define NLM_F_CREATE 0x400
#define NLM_F_APPEND 0x800
#define NLM_F_CAPPED 0x100              /* NLMSG_ERROR: the request is not echoed whole */

#define NLMSG_NOOP 0x1
#define NLMSG_ERROR 0x2
#define NLMSG_DONE 0x3
#define NLMSG_OVERRUN 0x4
#define NLMSG_MIN_TYPE 0x10

#define NLMSG_ALIGNTO 4u
#define NLMSG_ALIGN(len) (((len) + NLMSG_ALIGNTO - 1) & ~(NLMSG_ALIGNTO - 1))
#define NLMSG_HDRLEN ((uint32_t)NLMSG_ALIGN(sizeof(struct nlmsghdr)))

struct nlmsgerr {
    int32_t error;                    /* 0 (an ACK) or a negative errno */
    struct nlmsghdr msg;              /* the request's header (and, for errors, its payload) */
};

struct nlattr {
    uint16_t nla_len;
    uint16_t nla_type;
};
#define NLA_ALIGNTO 4u
#define NLA_ALIGN(len) (((len) + NLA_ALIGNTO - 1) & ~(NLA_ALIGNTO - 1))
#define NLA_HDRLEN ((uint32_t)NLA_ALIGN(sizeof(struct nlattr)))
#define NLA_TYPE_MASK 0x3fff              /* without NLA_F_NESTED / NLA_F_NET_BYTEORDER */

/* SOL_NETLINK options. */
#define SOL_NETLINK 270
#define NETLINK_ADD_MEMBERSHIP 1
#define NETLINK_DROP_MEMBERSHIP 2
#define NETLINK_PKTINFO 3
#define NETLINK_BROADCAST_ERROR 4
#define NETLINK_NO_ENOBUFS 5
#define NETLINK_LISTEN_ALL_NSID 8
#define NETLINK_CAP_ACK 10
#define NETLINK_EXT_ACK 11
#define NETLINK_GET_STRICT_CHK 12

/* ---- linux/rtnetlink.h ---- */
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
#define RTM_MAX 127

struct rtgenmsg {
    uint8_t rtgen_family;
};

struct ifinfomsg {
    uint8_t ifi_family;
    uint8_t ifi_pad;
    uint16_t ifi_type;                /* ARPHRD_* */
    int32_t ifi_index;
    uint32_t ifi_flags;               /* IFF_* */
    uint32_t ifi_change;              /* which flags a NEWLINK changes */
};

struct ifaddrmsg {
    uint8_t ifa_family;
    uint8_t ifa_prefixlen;
    uint8_t ifa_flags;
    uint8_t ifa_scope;
    uint32_t ifa_index;
};

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

/* ---- linux/if_link.h ---- */
#define IFLA_UNSPEC 0
#define IFLA_ADDRESS 1
#define IFLA_BROADCAST 2
#define IFLA_IFNAME 3
#define IFLA_MTU 4
#define IFLA_LINK 5
#define IFLA_QDISC 6
#define IFLA_STATS 7
#define IFLA_MASTER 10
#define IFLA_TXQLEN 13
#define IFLA_MAP 14
#define IFLA_OPERSTATE 16
#define IFLA_LINKMODE 17
#define IFLA_GROUP 27
#define IFLA_PROMISCUITY 30
#define IFLA_NUM_TX_QUEUES 31
#define IFLA_NUM_RX_QUEUES 32
#define IFLA_CARRIER 33
#define IFLA_STATS64 23
#define IFLA_MIN_MTU 50
#define IFLA_MAX_MTU 51

#define IF_OPER_UNKNOWN 0
#define IF_OPER_DOWN 2
#define IF_OPER_UP 6

/* The first counters of struct rtnl_link_stats / rtnl_link_stats64 (same order); the
 * structures continue with error details openv does not count, sent as zeros. */
#define RTNL_LINK_STATS_FIELDS 24

/* ---- linux/if_addr.h ---- */
#define IFA_UNSPEC 0
#define IFA_ADDRESS 1
#define IFA_LOCAL 2
#define IFA_LABEL 3
#define IFA_BROADCAST 4
#define IFA_ANYCAST 5
#define IFA_CACHEINFO 6
#define IFA_FLAGS 8

#define IFA_F_SECONDARY 0x01
#define IFA_F_PERMANENT 0x80

struct ifa_cacheinfo {
    uint32_t ifa_prefered;
    uint32_t ifa_valid;
    uint32_t cstamp;                  /* created, hundredths of seconds since boot */
    uint32_t tstamp;                  /* updated */
};
#define INFINITY_LIFE_TIME 0xFFFFFFFFu

/* ---- linux/if.h flags and if_arp.h types ---- */
#define NL_IFF_UP 0x1
#define NL_IFF_BROADCAST 0x2
#define NL_IFF_LOOPBACK 0x8
#define NL_IFF_RUNNING 0x40
#define NL_IFF_MULTICAST 0x1000
#define NL_IFF_LOWER_UP 0x10000
#define NL_ARPHRD_ETHER 1
#define NL_ARPHRD_LOOPBACK 772

/* ---- parsing (nlattr.c) ---- */

/* The messages of one received datagram, in order. Never reads outside [buf, buf + len). */
struct nlmsg_iter {
    const uint8_t *buf;
    size_t len, off;
};
void nlmsg_iter_init(struct nlmsg_iter *it, const void *buf, size_t len);
/* The next whole message, or NULL at the end. A header that claims less than 16 bytes or more
 * than what is left ends the walk (*bad set), as Linux's netlink_rcv_skb stops there. */
const struct nlmsghdr *nlmsg_iter_next(struct nlmsg_iter *it, bool *bad);

static inline const void *nlmsg_data(const struct nlmsghdr *nlh)
{
    return (const uint8_t *)nlh + NLMSG_HDRLEN;
}
static inline size_t nlmsg_payload_len(const struct nlmsghdr *nlh)
{
    return nlh->nlmsg_len - NLMSG_HDRLEN;
}

/* Index the attributes in buf[0, len) by type into tb[0..maxtype] (NULL where absent; a
 * repeated type keeps the last, as Linux). Types above maxtype are ignored. 0, or -EINVAL if
 * an attribute's length is below the header or past the end (trailing bytes shorter than a
 * header are ignored, as nla_parse does). */
int nla_parse(const struct nlattr **tb, int maxtype, const void *buf, size_t len);
static inline const void *nla_data(const struct nlattr *a)
{
    return (const uint8_t *)a + NLA_HDRLEN;
}
static inline size_t nla_len(const struct nlattr *a)
{
    return a->nla_len - NLA_HDRLEN;
}
/* Fixed-size payload reads: 0, or -EINVAL when the attribute is shorter than the value. */
int nla_get_u32(const struct nlattr *a, uint32_t *out);
int nla_get_u8(const struct nlattr *a, uint8_t *out);
/* A NUL-terminated string attribute copied into dst[size]; -EINVAL if it does not fit or is
 * not terminated within its payload (an unterminated payload that fits is accepted, as
 * nla_strscpy does). */
int nla_get_string(const struct nlattr *a, char *dst, size_t size);

/* ---- building (nlattr.c) ---- */

/* A message under construction in buf[0, cap). Any step that does not fit sets `overflow`
 * and writes nothing; the caller checks it once at the end (nlb_end). */
struct nlmsg_builder {
    uint8_t *buf;
    size_t cap;
    size_t used;                      /* bytes used by finished messages + the open one */
    size_t start;                     /* offset of the open message */
    bool overflow;
};
void nlb_init(struct nlmsg_builder *b, void *buf, size_t cap);
/* Open a message with a zeroed family header of hdrlen bytes; returns it (NULL on overflow). */
void *nlb_begin(struct nlmsg_builder *b, uint16_t type, uint16_t flags, uint32_t seq,
                uint32_t portid, size_t hdrlen);
void nlb_put(struct nlmsg_builder *b, uint16_t type, const void *data, size_t len);
void nlb_put_u8(struct nlmsg_builder *b, uint16_t type, uint8_t v);
void nlb_put_u32(struct nlmsg_builder *b, uint16_t type, uint32_t v);
void nlb_put_string(struct nlmsg_builder *b, uint16_t type, const char *s);
/* Close the open message: sets its nlmsg_len and returns its aligned length, or 0 if anything
 * overflowed (the message is then dropped, b->used back at its start, overflow cleared so
 * the caller can flush and retry). */
size_t nlb_end(struct nlmsg_builder *b);
/* An NLMSG_ERROR message answering req (error 0 = ACK). Errors echo the whole request unless
 * cap_ack; ACKs only its header (Linux's netlink_ack). Returns bytes appended or 0. */
size_t nlb_error(struct nlmsg_builder *b, const struct nlmsghdr *req, int error, uint32_t portid,
                 bool cap_ack);
/* NLMSG_DONE ending a dump: a 4-byte payload holding the dump's result (0). */
size_t nlb_done(struct nlmsg_builder *b, uint32_t seq, uint32_t portid, int result);

/* ---- rtnetlink request parsing (rtnl_parse.c) ----
 * Each checks the family header's length, the attributes' framing and the fixed-size values
 * it reads, and returns 0 or the errno Linux answers with (-EINVAL for malformed input). */

#define RTNL_IFLA_MAX 64
#define RTNL_IFA_MAX 16
#define RTNL_RTA_MAX 32

/* RTM_{NEW,SET,GET}LINK with a struct ifinfomsg. */
struct rtnl_link_req {
    struct ifinfomsg ifi;
    const struct nlattr *tb[RTNL_IFLA_MAX + 1];
};
int rtnl_parse_link(const struct nlmsghdr *nlh, struct rtnl_link_req *r);

/* RTM_{NEW,DEL}ADDR: AF_INET only (AF_UNSPEC: -EOPNOTSUPP, others -EAFNOSUPPORT), prefix
 * length <= 32; IFA_LOCAL / IFA_ADDRESS are 4-byte values in network order. */
struct rtnl_addr_req {
    struct ifaddrmsg ifa;
    const struct nlattr *tb[RTNL_IFA_MAX + 1];
    bool have_local, have_address;
    uint32_t local, address;
};
int rtnl_parse_addr(const struct nlmsghdr *nlh, struct rtnl_addr_req *r);

/* RTM_{NEW,DEL}ROUTE: AF_INET, the main table only, no source prefix, the destination a
 * valid prefix of rtm_dst_len bits; attributes other than RTA_DST, RTA_GATEWAY, RTA_OIF,
 * RTA_TABLE, RTA_PREFSRC and RTA_PRIORITY (metrics, multipath, ...) are -EOPNOTSUPP. */
struct rtnl_route_req {
    struct rtmsg rtm;
    bool have_dst, have_gw, have_oif;
    uint32_t dst, gw;                  /* network order */
    uint32_t oif;
};
int rtnl_parse_route(const struct nlmsghdr *nlh, struct rtnl_route_req *r);
/* The network-order netmask of a prefix length (0..32). */
uint32_t rtnl_prefix_mask(unsigned len);
