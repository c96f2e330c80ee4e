/* What the netlink socket family (af_netlink.c) and the routing messages (rtnetlink.c) share.
 *
 * A request is handled synchronously inside sendmsg: af_netlink walks the datagram's
 * messages and hands each NETLINK_ROUTE request to rtnetlink_rcv(), which appends its replies
 * (whole messages, nlmsg_pid = the requester's port id, nlmsg_seq = the request's) to a
 * kernel buffer. af_netlink then queues them on the socket as datagrams, adds NLMSG_DONE to
 * dumps and the NLMSG_ERROR acknowledgement, as Linux's netlink_rcv_skb and netlink_dump do.
 */
#pragma once
#include "netlink.h"

/* Room for every reply to one request: a dump of all interfaces (at most INET_MAX_IFINDEX,
 * a few hundred bytes each) fits many times over. */
#define NL_REPLY_MAX 32768u

struct nl_request {
    const struct nlmsghdr *nlh;         /* the whole request (length checked) */
    uint32_t portid;                    /* the requester: replies go to it */
    struct nlmsg_builder *out;          /* append replies here */
    bool dump;                          /* set by the handler: replies are a dump (NLM_F_MULTI,
                                           end with NLMSG_DONE, no ACK) */
};

/* Handle one NETLINK_ROUTE request: 0 (ACK'ed if NLM_F_ACK) or -errno (sent as NLMSG_ERROR).
 * Process context; takes the network lock itself. */
int rtnetlink_rcv(struct nl_request *req);
