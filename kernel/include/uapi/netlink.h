/* Netlink sockets and messages: Linux's linux/netlink.h. */
#pragma once
#include "types.h"

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
#define NLM_F_ROOT 0x100                /* GET requests */
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

/* Messages start 4-byte aligned; the header length is unsigned here (Linux casts it to int),
 * which is what the kernel's length arithmetic wants. */
#define NLMSG_ALIGNTO 4u
#define NLMSG_ALIGN(len) (((len) + NLMSG_ALIGNTO - 1) & ~(NLMSG_ALIGNTO - 1))
#define NLMSG_HDRLEN ((uint32_t)NLMSG_ALIGN(sizeof(struct nlmsghdr)))

struct nlmsgerr {
    int32_t error;                    /* 0 (an ACK) or a negative errno */
    struct nlmsghdr msg;              /* the request's header (and, for errors, its payload) */
};

/* SOL_NETLINK options. */
#define NETLINK_ADD_MEMBERSHIP 1
#define NETLINK_DROP_MEMBERSHIP 2
#define NETLINK_PKTINFO 3
#define NETLINK_BROADCAST_ERROR 4
#define NETLINK_NO_ENOBUFS 5
#define NETLINK_LISTEN_ALL_NSID 8
#define NETLINK_CAP_ACK 10
#define NETLINK_EXT_ACK 11
#define NETLINK_GET_STRICT_CHK 12

/* Attributes: a 4-byte header (length including it, unpadded; type), the payload, the next
 * one 4-byte aligned. */
struct nlattr {
    uint16_t nla_len;
    uint16_t nla_type;
};
#define NLA_F_NESTED (1 << 15)
#define NLA_F_NET_BYTEORDER (1 << 14)
#define NLA_TYPE_MASK ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER)
#define NLA_ALIGNTO 4u
#define NLA_ALIGN(len) (((len) + NLA_ALIGNTO - 1) & ~(NLA_ALIGNTO - 1))
#define NLA_HDRLEN ((uint32_t)NLA_ALIGN(sizeof(struct nlattr)))
