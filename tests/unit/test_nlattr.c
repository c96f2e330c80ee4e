/*
 * Unit tests for the netlink message/attribute parser and builder (kernel/net/netlink/nlattr.c)
 * and the rtnetlink request parsers (rtnl_parse.c):
 * the walk over a request datagram and its attributes must never leave the buffer and must
 * reject what Linux rejects; built replies must have Linux's exact byte layout (lengths
 * unpadded, every message and attribute starting 4-byte aligned, padding zeroed).
 */
#include "test_util.h"

#include "errno.h"
#include "netlink.h"

/* Append a header for a message of `len` bytes at buf + off; returns the next aligned offset. */
static size_t put_hdr(uint8_t *buf, size_t off, uint32_t len, uint16_t type, uint32_t seq)
{
	struct nlmsghdr h = { .nlmsg_len = len, .nlmsg_type = type, .nlmsg_seq = seq };
	memcpy(buf + off, &h, sizeof h);
	return off + NLMSG_ALIGN(len);
}

static void test_iter_walks_aligned_messages(void **state)
{
	(void)state;
	uint8_t buf[128];
	memset(buf, 0, sizeof buf);
	size_t off = put_hdr(buf, 0, 17, 20, 1);       /* 17 bytes: next at 20 */
	assert_int_equal(off, 20);
	off = put_hdr(buf, off, 16, 21, 2);
	off = put_hdr(buf, off, 18, 22, 3);            /* last: unpadded end is fine */
	size_t len = off - 2;
	struct nlmsg_iter it;
	nlmsg_iter_init(&it, buf, len);
	bool bad;
	const struct nlmsghdr *h;
	uint32_t seqs[4], n = 0;
	while ((h = nlmsg_iter_next(&it, &bad)) != NULL && n < 4)
		seqs[n++] = h->nlmsg_seq;
	assert_false(bad);
	assert_int_equal(n, 3);
	assert_int_equal(seqs[0], 1);
	assert_int_equal(seqs[1], 2);
	assert_int_equal(seqs[2], 3);
}

static void test_iter_rejects_bad_lengths(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct nlmsg_iter it;
	bool bad;

	/* nlmsg_len below the header. */
	memset(buf, 0, sizeof buf);
	put_hdr(buf, 0, 15, 20, 1);
	nlmsg_iter_init(&it, buf, 32);
	assert_null(nlmsg_iter_next(&it, &bad));
	assert_true(bad);

	/* nlmsg_len past the end of the datagram. */
	put_hdr(buf, 0, 33, 20, 1);
	nlmsg_iter_init(&it, buf, 32);
	assert_null(nlmsg_iter_next(&it, &bad));
	assert_true(bad);

	/* A trailing fragment shorter than a header after a good message. */
	put_hdr(buf, 0, 16, 20, 1);
	nlmsg_iter_init(&it, buf, 16 + 8);
	assert_non_null(nlmsg_iter_next(&it, &bad));
	assert_null(nlmsg_iter_next(&it, &bad));
	assert_true(bad);

	/* Huge lengths do not wrap the offset. */
	put_hdr(buf, 0, 0xfffffffe, 20, 1);
	nlmsg_iter_init(&it, buf, 64);
	assert_null(nlmsg_iter_next(&it, &bad));
	assert_true(bad);

	/* Empty input: no message, nothing bad. */
	nlmsg_iter_init(&it, buf, 0);
	assert_null(nlmsg_iter_next(&it, &bad));
	assert_false(bad);
}

static size_t put_attr(uint8_t *buf, size_t off, uint16_t len, uint16_t type, const void *data)
{
	struct nlattr a = { .nla_len = len, .nla_type = type };
	memcpy(buf + off, &a, sizeof a);
	if (data && len > 4)
		memcpy(buf + off + 4, data, len - 4u);
	return off + NLA_ALIGN(len);
}

static void test_nla_parse(void **state)
{
	(void)state;
	uint8_t buf[128];
	memset(buf, 0, sizeof buf);
	uint32_t v = 1500, v2 = 9000;
	size_t off = put_attr(buf, 0, 8, IFLA_MTU, &v);
	off = put_attr(buf, off, 7, IFLA_IFNAME, "lo");          /* "lo\0" = 3 bytes */
	off = put_attr(buf, off, 4, 40, NULL);                  /* above maxtype: ignored */
	off = put_attr(buf, off, 8, IFLA_MTU | 0x8000, &v2);    /* NLA_F_NESTED masked, last wins */
	const struct nlattr *tb[IFLA_IFNAME + 2];
	assert_int_equal(nla_parse(tb, IFLA_IFNAME + 1, buf, off + 3), 0);   /* +3 trailing */
	assert_non_null(tb[IFLA_MTU]);
	uint32_t got;
	assert_int_equal(nla_get_u32(tb[IFLA_MTU], &got), 0);
	assert_int_equal(got, 9000);
	char name[16];
	assert_int_equal(nla_get_string(tb[IFLA_IFNAME], name, sizeof name), 0);
	assert_string_equal(name, "lo");
	assert_null(tb[IFLA_ADDRESS]);

	/* Too small for its value, too small for a header, past the end. */
	off = put_attr(buf, 0, 6, IFLA_MTU, &v);
	assert_int_equal(nla_parse(tb, IFLA_MTU, buf, off), 0);
	assert_int_equal(nla_get_u32(tb[IFLA_MTU], &got), -EINVAL);
	put_attr(buf, 0, 3, IFLA_MTU, NULL);
	assert_int_equal(nla_parse(tb, IFLA_IFNAME, buf, 8), -EINVAL);
	put_attr(buf, 0, 12, IFLA_MTU, "12345678");
	assert_int_equal(nla_parse(tb, IFLA_IFNAME, buf, 8), -EINVAL);

	/* Strings: too long for the destination; unterminated but fitting is accepted. */
	off = put_attr(buf, 0, 4 + 20, IFLA_IFNAME, "abcdefghijklmnopqrs");
	assert_int_equal(nla_parse(tb, IFLA_IFNAME, buf, off), 0);
	assert_int_equal(nla_get_string(tb[IFLA_IFNAME], name, sizeof name), -EINVAL);
	off = put_attr(buf, 0, 4 + 4, IFLA_IFNAME, "eth0");
	assert_int_equal(nla_parse(tb, IFLA_IFNAME, buf, off), 0);
	assert_int_equal(nla_get_string(tb[IFLA_IFNAME], name, sizeof name), 0);
	assert_string_equal(name, "eth0");
}

static void test_builder_layout(void **state)
{
	(void)state;
	uint8_t buf[256];
	memset(buf, 0xaa, sizeof buf);
	struct nlmsg_builder b;
	nlb_init(&b, buf, sizeof buf);
	struct ifinfomsg *ifi = nlb_begin(&b, RTM_NEWLINK, NLM_F_MULTI, 7, 1234, sizeof *ifi);
	assert_non_null(ifi);
	ifi->ifi_index = 2;
	nlb_put_string(&b, IFLA_IFNAME, "eth0");      /* 4 + 5 = 9, padded to 12 */
	nlb_put_u8(&b, IFLA_OPERSTATE, 6);              /* 5, padded to 8 */
	nlb_put_u32(&b, IFLA_MTU, 1500);
	size_t len = nlb_end(&b);
	assert_int_equal(len, 16 + 16 + 12 + 8 + 8);
	struct nlmsghdr h;
	memcpy(&h, buf, sizeof h);
	assert_int_equal(h.nlmsg_len, len);
	assert_int_equal(h.nlmsg_type, RTM_NEWLINK);
	assert_int_equal(h.nlmsg_flags, NLM_F_MULTI);
	assert_int_equal(h.nlmsg_seq, 7);
	assert_int_equal(h.nlmsg_pid, 1234);
	const uint8_t want_name[12] = { 9, 0, IFLA_IFNAME, 0, 'e', 't', 'h', '0', 0, 0, 0, 0 };
	assert_memory_equal(buf + 32, want_name, sizeof want_name);
	const uint8_t want_oper[8] = { 5, 0, IFLA_OPERSTATE, 0, 6, 0, 0, 0 };
	assert_memory_equal(buf + 44, want_oper, sizeof want_oper);

	/* Parse it back. */
	const struct nlattr *tb[IFLA_MTU + 1];
	assert_int_equal(nla_parse(tb, IFLA_MTU, buf + 32, len - 32), 0);
	uint32_t mtu;
	assert_int_equal(nla_get_u32(tb[IFLA_MTU], &mtu), 0);
	assert_int_equal(mtu, 1500);
	assert_int_equal(buf[len], 0xaa);               /* nothing written past the end */
}

static void test_builder_overflow(void **state)
{
	(void)state;
	uint8_t buf[48];
	struct nlmsg_builder b;
	nlb_init(&b, buf, sizeof buf);
	assert_non_null(nlb_begin(&b, RTM_NEWADDR, 0, 1, 1, 8));
	size_t first = nlb_end(&b);
	assert_int_equal(first, 24);
	assert_non_null(nlb_begin(&b, RTM_NEWADDR, 0, 2, 1, 8));
	nlb_put_string(&b, IFA_LABEL, "a-long-label");   /* does not fit */
	assert_int_equal(nlb_end(&b), 0);
	assert_int_equal(b.used, first);                  /* the partial message is dropped */
	/* An attribute payload beyond what nla_len can express. */
	assert_non_null(nlb_begin(&b, RTM_NEWADDR, 0, 3, 1, 0));
	nlb_put(&b, 1, buf, 70000);
	assert_int_equal(nlb_end(&b), 0);
	assert_int_equal(b.used, first);
}

static void test_error_and_done(void **state)
{
	(void)state;
	uint8_t req[24];
	memset(req, 0x5c, sizeof req);
	put_hdr(req, 0, sizeof req, RTM_NEWADDR, 77);
	uint8_t buf[128];
	struct nlmsg_builder b;

	/* An error echoes the whole request. */
	nlb_init(&b, buf, sizeof buf);
	size_t n = nlb_error(&b, (const struct nlmsghdr *)req, -EINVAL, 55, false);
	assert_int_equal(n, 16 + 4 + 24);
	struct nlmsghdr h;
	memcpy(&h, buf, sizeof h);
	assert_int_equal(h.nlmsg_type, NLMSG_ERROR);
	assert_int_equal(h.nlmsg_seq, 77);
	assert_int_equal(h.nlmsg_pid, 55);
	assert_int_equal(h.nlmsg_flags, 0);
	int32_t err;
	memcpy(&err, buf + 16, 4);
	assert_int_equal(err, -EINVAL);
	assert_memory_equal(buf + 20, req, sizeof req);

	/* An odd-length request: the echo's length is exact, the datagram room padded. */
	put_hdr(req, 0, 17, RTM_GETLINK, 78);
	nlb_init(&b, buf, sizeof buf);
	n = nlb_error(&b, (const struct nlmsghdr *)req, -EOPNOTSUPP, 55, false);
	assert_int_equal(n, 40);
	memcpy(&h, buf, sizeof h);
	assert_int_equal(h.nlmsg_len, 37);

		/* An ACK: the request header only, NLM_F_CAPPED. */
	nlb_init(&b, buf, sizeof buf);
	n = nlb_error(&b, (const struct nlmsghdr *)req, 0, 55, false);
	assert_int_equal(n, 36);
	memcpy(&h, buf, sizeof h);
	assert_int_equal(h.nlmsg_flags, NLM_F_CAPPED);

	/* NLMSG_DONE: a 4-byte result, NLM_F_MULTI. */
	nlb_init(&b, buf, sizeof buf);
	n = nlb_done(&b, 9, 55, 0);
	assert_int_equal(n, 20);
	memcpy(&h, buf, sizeof h);
	assert_int_equal(h.nlmsg_type, NLMSG_DONE);
	assert_int_equal(h.nlmsg_flags, NLM_F_MULTI);
}

/* A request: header, family header (hdrlen bytes of hdr), then attrs[alen]. */
static const struct nlmsghdr *make_req(uint8_t *buf, uint16_t type, const void *hdr,
				       size_t hdrlen, const void *attrs, size_t alen)
{
	memset(buf, 0, 256);
	size_t len = 16 + NLMSG_ALIGN(hdrlen) + alen;
	put_hdr(buf, 0, (uint32_t)len, type, 1);
	memcpy(buf + 16, hdr, hdrlen);
	if (alen)
		memcpy(buf + 16 + NLMSG_ALIGN(hdrlen), attrs, alen);
	return (const struct nlmsghdr *)buf;
}

static void test_rtnl_parse_addr(void **state)
{
	(void)state;
	uint8_t buf[256], attrs[64];
	struct rtnl_addr_req r;
	struct ifaddrmsg ifa = { .ifa_family = 2, .ifa_prefixlen = 24, .ifa_index = 2 };
	const uint8_t ip[4] = { 10, 0, 2, 99 };
	size_t off = put_attr(attrs, 0, 8, IFA_LOCAL, ip);
	off = put_attr(attrs, off, 8, IFA_ADDRESS, ip);
	assert_int_equal(rtnl_parse_addr(make_req(buf, RTM_NEWADDR, &ifa, sizeof ifa, attrs, off),
					 &r), 0);
	assert_true(r.have_local && r.have_address);
	assert_memory_equal(&r.local, ip, 4);
	assert_int_equal(r.ifa.ifa_index, 2);

	/* Short family header; a 3-byte address; prefix 33; other families. */
	assert_int_equal(rtnl_parse_addr(make_req(buf, RTM_NEWADDR, &ifa, 4, NULL, 0), &r),
			 -EINVAL);
	off = put_attr(attrs, 0, 7, IFA_LOCAL, ip);
	assert_int_equal(rtnl_parse_addr(make_req(buf, RTM_NEWADDR, &ifa, sizeof ifa, attrs, off),
					 &r), -EINVAL);
	ifa.ifa_prefixlen = 33;
	assert_int_equal(rtnl_parse_addr(make_req(buf, RTM_NEWADDR, &ifa, sizeof ifa, NULL, 0), &r),
			 -EINVAL);
	ifa.ifa_prefixlen = 24;
	ifa.ifa_family = 10;
	assert_int_equal(rtnl_parse_addr(make_req(buf, RTM_NEWADDR, &ifa, sizeof ifa, NULL, 0), &r),
			 -EAFNOSUPPORT);
	ifa.ifa_family = 0;
	assert_int_equal(rtnl_parse_addr(make_req(buf, RTM_NEWADDR, &ifa, sizeof ifa, NULL, 0), &r),
			 -EOPNOTSUPP);
}

static void test_rtnl_parse_route(void **state)
{
	(void)state;
	uint8_t buf[256], attrs[64];
	struct rtnl_route_req r;
	struct rtmsg rtm = { .rtm_family = 2, .rtm_table = RT_TABLE_MAIN, .rtm_type = RTN_UNICAST };
	const uint8_t gw[4] = { 10, 0, 2, 2 };
	uint32_t oif = 2;
	size_t off = put_attr(attrs, 0, 8, RTA_GATEWAY, gw);
	off = put_attr(attrs, off, 8, RTA_OIF, &oif);
	assert_int_equal(rtnl_parse_route(make_req(buf, RTM_NEWROUTE, &rtm, sizeof rtm, attrs, off),
					  &r), 0);
	assert_true(r.have_gw && r.have_oif && !r.have_dst);
	assert_memory_equal(&r.gw, gw, 4);
	assert_int_equal(r.oif, 2);

	/* 10.0.2.0/24 is a prefix; 10.0.2.1/24 is not. */
	const uint8_t net[4] = { 10, 0, 2, 0 }, host[4] = { 10, 0, 2, 1 };
	rtm.rtm_dst_len = 24;
	off = put_attr(attrs, 0, 8, RTA_DST, net);
	assert_int_equal(rtnl_parse_route(make_req(buf, RTM_NEWROUTE, &rtm, sizeof rtm, attrs, off),
					  &r), 0);
	off = put_attr(attrs, 0, 8, RTA_DST, host);
	assert_int_equal(rtnl_parse_route(make_req(buf, RTM_NEWROUTE, &rtm, sizeof rtm, attrs, off),
					  &r), -EINVAL);
	/* Another table, metrics, a bad length. */
	uint32_t table = 100;
	off = put_attr(attrs, 0, 8, RTA_TABLE, &table);
	rtm.rtm_dst_len = 0;
	assert_int_equal(rtnl_parse_route(make_req(buf, RTM_NEWROUTE, &rtm, sizeof rtm, attrs, off),
					  &r), -EOPNOTSUPP);
	off = put_attr(attrs, 0, 4, RTA_METRICS, NULL);
	assert_int_equal(rtnl_parse_route(make_req(buf, RTM_NEWROUTE, &rtm, sizeof rtm, attrs, off),
					  &r), -EOPNOTSUPP);
	off = put_attr(attrs, 0, 6, RTA_GATEWAY, gw);
	assert_int_equal(rtnl_parse_route(make_req(buf, RTM_NEWROUTE, &rtm, sizeof rtm, attrs, off),
					  &r), -EINVAL);
	rtm.rtm_dst_len = 40;
	assert_int_equal(rtnl_parse_route(make_req(buf, RTM_NEWROUTE, &rtm, sizeof rtm, NULL, 0),
					  &r), -EINVAL);
}

static void test_prefix_mask(void **state)
{
	(void)state;
	const uint8_t m0[4] = { 0, 0, 0, 0 }, m8[4] = { 255, 0, 0, 0 },
		      m20[4] = { 255, 255, 240, 0 }, m32[4] = { 255, 255, 255, 255 };
	uint32_t m;
	m = rtnl_prefix_mask(0);
	assert_memory_equal(&m, m0, 4);
	m = rtnl_prefix_mask(8);
	assert_memory_equal(&m, m8, 4);
	m = rtnl_prefix_mask(20);
	assert_memory_equal(&m, m20, 4);
	m = rtnl_prefix_mask(32);
	assert_memory_equal(&m, m32, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iter_walks_aligned_messages),
		cmocka_unit_test(test_iter_rejects_bad_lengths),
		cmocka_unit_test(test_nla_parse),
		cmocka_unit_test(test_builder_layout),
		cmocka_unit_test(test_builder_overflow),
		cmocka_unit_test(test_error_and_done),
		cmocka_unit_test(test_rtnl_parse_addr),
		cmocka_unit_test(test_rtnl_parse_route),
		cmocka_unit_test(test_prefix_mask),
	};
	return cmocka_run_group_tests_name("nlattr", tests, NULL, NULL);
}
