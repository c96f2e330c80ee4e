/* Netlink messages as they travel between user space and the kernel (the layouts are in
 * uapi/netlink.h, rtnetlink.h, if_link.h and if_addr.h), and the freestanding parser and
 * builder for them (kernel/net/netlink/nlattr.c). Only the types and memcpy are needed, so the
 * host unit test and fuzz target compile nlattr.c as it is; the socket family (af_netlink.c)
 * and the routing messages (rtnetlink.c) build on it.
 *
 * Wire rules (Linux's): a datagram is a sequence of messages, each a 16-byte nlmsghdr whose
 * nlmsg_len counts header + payload (unpadded), the next message starting at the 4-byte
 * aligned offset. A family header follows (struct ifinfomsg, ifaddrmsg, rtmsg), then
 * attributes: a 4-byte nlattr (length including the header, unpadded; type) and the payload,
 * each attribute again starting 4-byte aligned.
 */
#pragma once
#include "types.h"
#include "uapi/netlink.h"
#include "uapi/rtnetlink.h"

/* The first counters of struct rtnl_link_stats / rtnl_link_stats64 (same order); the
 * structures continue with error details openv does not count, sent as zeros. */
#define RTNL_LINK_STATS_FIELDS 24

/* An address lifetime that never ends (ifa_cacheinfo's ifa_prefered, ifa_valid). */
#define INFINITY_LIFE_TIME 0xFFFFFFFFu

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
