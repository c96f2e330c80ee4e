/* Parsing of the rtnetlink requests openv acts on (see include/netlink.h): the family header
 * and attributes of link, address and route messages, checked before any of it is used.
 * Freestanding, like nlattr.c, so the host unit test and fuzz target compile it as it is. */
#include "netlink.h"
#include "errno.h"
#include "string.h"
#include "uapi/socket.h"

/* Copy the family header (hdrlen bytes) and index the attributes after it. */
static int parse_common(const struct nlmsghdr *nlh, void *hdr, size_t hdrlen,
                        const struct nlattr **tb, int maxtype)
{
    size_t plen = nlmsg_payload_len(nlh);
    if (plen < hdrlen)
        return -EINVAL;
    memcpy(hdr, nlmsg_data(nlh), hdrlen);
    /* The attributes start at the aligned end of the family header. */
    size_t aoff = NLMSG_ALIGN(hdrlen);
    if (aoff > plen)
        aoff = plen;
    return nla_parse(tb, maxtype, (const uint8_t *)nlmsg_data(nlh) + aoff, plen - aoff);
}

uint32_t rtnl_prefix_mask(unsigned len)
{
    uint8_t b[4];
    for (unsigned i = 0; i < 4; i++) {
        unsigned bits = len > 8 * i ? len - 8 * i : 0;
        b[i] = bits >= 8 ? 0xff : (uint8_t)(0xff00u >> bits);
    }
    uint32_t m;
    memcpy(&m, b, sizeof m);
    return m;
}

int rtnl_parse_link(const struct nlmsghdr *nlh, struct rtnl_link_req *r)
{
    return parse_common(nlh, &r->ifi, sizeof r->ifi, r->tb, RTNL_IFLA_MAX) ? -EINVAL : 0;
}

int rtnl_parse_addr(const struct nlmsghdr *nlh, struct rtnl_addr_req *r)
{
    if (parse_common(nlh, &r->ifa, sizeof r->ifa, r->tb, RTNL_IFA_MAX))
        return -EINVAL;
    if (r->ifa.ifa_family != AF_INET)
        return r->ifa.ifa_family == AF_UNSPEC ? -EOPNOTSUPP : -EAFNOSUPPORT;
    if (r->ifa.ifa_prefixlen > 32)
        return -EINVAL;
    r->have_local = r->tb[IFA_LOCAL] != NULL;
    r->have_address = r->tb[IFA_ADDRESS] != NULL;
    r->local = r->address = 0;
    /* An IPv4 address attribute is exactly 4 bytes. */
    if ((r->have_local && nla_len(r->tb[IFA_LOCAL]) != 4) ||
        (r->have_address && nla_len(r->tb[IFA_ADDRESS]) != 4))
        return -EINVAL;
    if (r->have_local)
        nla_get_u32(r->tb[IFA_LOCAL], &r->local);
    if (r->have_address)
        nla_get_u32(r->tb[IFA_ADDRESS], &r->address);
    return 0;
}

int rtnl_parse_route(const struct nlmsghdr *nlh, struct rtnl_route_req *r)
{
    const struct nlattr *tb[RTNL_RTA_MAX + 1];
    if (parse_common(nlh, &r->rtm, sizeof r->rtm, tb, RTNL_RTA_MAX))
        return -EINVAL;
    if (r->rtm.rtm_family != AF_INET)
        return r->rtm.rtm_family == AF_UNSPEC ? -EOPNOTSUPP : -EAFNOSUPPORT;
    if (r->rtm.rtm_dst_len > 32)
        return -EINVAL;
    if (r->rtm.rtm_src_len)
        return -EOPNOTSUPP;            /* source routing */
    uint32_t table = r->rtm.rtm_table;
    if (tb[RTA_TABLE] && nla_get_u32(tb[RTA_TABLE], &table))
        return -EINVAL;
    if (table != RT_TABLE_MAIN && table != RT_TABLE_UNSPEC)
        return -EOPNOTSUPP;            /* only the main table */
    r->have_dst = tb[RTA_DST] != NULL;
    r->have_gw = tb[RTA_GATEWAY] != NULL;
    r->have_oif = tb[RTA_OIF] != NULL;
    r->dst = r->gw = r->oif = 0;
    if ((r->have_dst && nla_len(tb[RTA_DST]) != 4) ||
        (r->have_gw && nla_len(tb[RTA_GATEWAY]) != 4) ||
        (r->have_oif && nla_get_u32(tb[RTA_OIF], &r->oif)))
        return -EINVAL;
    if (r->have_dst)
        nla_get_u32(tb[RTA_DST], &r->dst);
    if (r->have_gw)
        nla_get_u32(tb[RTA_GATEWAY], &r->gw);
    if (r->dst & ~rtnl_prefix_mask(r->rtm.rtm_dst_len))
        return -EINVAL;                /* "Invalid prefix for given prefix length" */
    for (int t = 0; t <= RTNL_RTA_MAX; t++) {
        if (tb[t] && t != RTA_DST && t != RTA_GATEWAY && t != RTA_OIF && t != RTA_TABLE &&
            t != RTA_PREFSRC && t != RTA_PRIORITY)
            return -EOPNOTSUPP;        /* metrics, multipath, ... */
    }
    return 0;
}
