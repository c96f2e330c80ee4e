/*
 * libFuzzer target for netlink requests (kernel/net/netlink/nlattr.c and rtnl_parse.c), the
 * parsers that see every byte a process sends to a NETLINK_ROUTE socket: walk the datagram's
 * messages as af_netlink does, give each to the link, address and route parsers, read every
 * attribute they found, and answer each with an NLMSG_ERROR (which echoes the request) into
 * a small buffer, so ASan checks all of it stays in bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netlink.h"

static volatile uint8_t sink;

static void touch_attrs(const struct nlattr **tb, int maxtype)
{
	for (int t = 0; t <= maxtype; t++) {
		if (!tb[t])
			continue;
		size_t n = nla_len(tb[t]);
		if (n)
			sink ^= ((const uint8_t *)nla_data(tb[t]))[n - 1];
		char s[16];
		uint32_t v;
		if (!nla_get_string(tb[t], s, sizeof s))
			sink ^= (uint8_t)s[0];
		if (!nla_get_u32(tb[t], &v))
			sink ^= (uint8_t)v;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exactly-sized copy so ASan sees any overrun. */
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	uint8_t reply[512];
	struct nlmsg_builder b;
	struct nlmsg_iter it;
	nlmsg_iter_init(&it, buf, size);
	const struct nlmsghdr *nlh;
	bool bad;
	unsigned steps = 0;
	while ((nlh = nlmsg_iter_next(&it, &bad)) != NULL) {
		if (++steps > size / sizeof(struct nlmsghdr) + 1)
			__builtin_trap();   /* every step must move forward */
		if (nlmsg_payload_len(nlh))
			sink ^= ((const uint8_t *)nlmsg_data(nlh))[nlmsg_payload_len(nlh) - 1];
		struct rtnl_link_req lr;
		if (!rtnl_parse_link(nlh, &lr))
			touch_attrs(lr.tb, RTNL_IFLA_MAX);
		struct rtnl_addr_req ar;
		if (!rtnl_parse_addr(nlh, &ar))
			touch_attrs(ar.tb, RTNL_IFA_MAX);
		struct rtnl_route_req rr;
		if (!rtnl_parse_route(nlh, &rr))
			sink ^= (uint8_t)(rr.dst ^ rr.gw ^ rr.oif);
		nlb_init(&b, reply, sizeof reply);
		size_t n = nlb_error(&b, nlh, -22, 1, false);
		if (!n)
			n = nlb_error(&b, nlh, -22, 1, true);
		if (n > sizeof reply || b.used > sizeof reply)
			__builtin_trap();
	}
	free(buf);
	return 0;
}
