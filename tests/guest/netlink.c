/*
 * netlink - AF_NETLINK / NETLINK_ROUTE sockets at the message level: what BusyBox ip and
 * iproute2 rely on. Uses only the loopback interface (index 1), so it runs with or without a
 * network device, on openv and on Linux.
 */
#include "check.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

static int nl_open(void)
{
    return socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
}

static int send_req(int fd, const void *req, size_t len)
{
    struct sockaddr_nl to = { .nl_family = AF_NETLINK };
    return (int)sendto(fd, req, len, 0, (struct sockaddr *)&to, sizeof to);
}

/* A dump request with a struct rtgenmsg, as BusyBox sends it. */
static int send_dump(int fd, int type, unsigned seq)
{
    struct {
        struct nlmsghdr nlh;
        struct rtgenmsg g;
    } req;
    memset(&req, 0, sizeof req);
    req.nlh.nlmsg_len = sizeof req;
    req.nlh.nlmsg_type = (unsigned short)type;
    req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.nlh.nlmsg_seq = seq;
    req.g.rtgen_family = AF_UNSPEC;
    return send_req(fd, &req, sizeof req);
}

/* Receive one datagram (non-blocking after the first wait). */
static ssize_t recv_dgram(int fd, void *buf, size_t len, int flags, struct sockaddr_nl *from)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    if (poll(&p, 1, 5000) != 1)
        return -2;
    struct iovec iov = { buf, len };
    struct msghdr m = { .msg_name = from, .msg_namelen = from ? sizeof *from : 0,
                        .msg_iov = &iov, .msg_iovlen = 1 };
    ssize_t n = recvmsg(fd, &m, flags);
    if (n >= 0 && (m.msg_flags & MSG_TRUNC) && !(flags & MSG_TRUNC))
        errno = EMSGSIZE;            /* marker for callers that look */
    return n;
}

/* Read the reply to one non-dump request; returns the NLMSG_ERROR code or 1 if the first
 * message is not an error. */
static int read_ack(int fd, unsigned seq, struct nlmsgerr *out)
{
    char buf[8192];
    ssize_t n = recv_dgram(fd, buf, sizeof buf, 0, NULL);
    if (n < (ssize_t)sizeof(struct nlmsghdr))
        return 1000;
    struct nlmsghdr *h = (struct nlmsghdr *)buf;
    if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq != seq ||
        h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
        return 1;
    struct nlmsgerr *e = NLMSG_DATA(h);
    if (out)
        *out = *e;
    return e->error;
}

static void test_socket_and_bind(void)
{
    int fd = nl_open();
    CHECK(fd >= 0, "socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)");
    int dg = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_ROUTE);
    CHECK(dg >= 0, "SOCK_DGRAM works too");
    CHECK_ERR(socket(AF_NETLINK, SOCK_STREAM, NETLINK_ROUTE), ESOCKTNOSUPPORT,
              "SOCK_STREAM is not a netlink type");

    struct sockaddr_nl sa;
    socklen_t len = sizeof sa;
    CHECK_OK(getsockname(fd, (struct sockaddr *)&sa, &len), "getsockname before bind");
    CHECK(len == sizeof sa && sa.nl_family == AF_NETLINK && sa.nl_pid == 0,
          "unbound socket has nl_pid 0");

    struct sockaddr_nl me = { .nl_family = AF_NETLINK };
    CHECK_OK(bind(fd, (struct sockaddr *)&me, sizeof me), "bind nl_pid 0");
    len = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &len);
    CHECK_EQ(sa.nl_pid, (unsigned)getpid(), "first autobound port id is the tgid");
    CHECK_ERR(bind(fd, (struct sockaddr *)&me, 4), EINVAL, "short sockaddr_nl");

    /* The second socket of this process cannot have the tgid. */
    CHECK_OK(bind(dg, (struct sockaddr *)&me, sizeof me), "bind a second socket");
    struct sockaddr_nl sb;
    len = sizeof sb;
    getsockname(dg, (struct sockaddr *)&sb, &len);
    CHECK(sb.nl_pid != 0 && sb.nl_pid != sa.nl_pid, "second socket gets another port id");

    /* An explicit port id in use. */
    int third = nl_open();
    struct sockaddr_nl taken = { .nl_family = AF_NETLINK, .nl_pid = sa.nl_pid };
    CHECK_ERR(bind(third, (struct sockaddr *)&taken, sizeof taken), EADDRINUSE,
              "bind to a port id in use");
    struct sockaddr_nl mine = { .nl_family = AF_NETLINK, .nl_pid = 0x7ffff123 };
    CHECK_OK(bind(third, (struct sockaddr *)&mine, sizeof mine), "bind an explicit port id");
    len = sizeof sb;
    getsockname(third, (struct sockaddr *)&sb, &len);
    CHECK_EQ(sb.nl_pid, 0x7ffff123u, "explicit port id kept");

    int v = 32768;
    CHECK_OK(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v), "SO_RCVBUF");
    CHECK_OK(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v), "SO_SNDBUF");
    close(third);
    close(dg);
    close(fd);
}

/* Dump the links with a tiny buffer: MSG_PEEK|MSG_TRUNC gives the size, then every datagram
 * is read whole until NLMSG_DONE. */
static void test_dump_link(void)
{
    int fd = nl_open();
    struct sockaddr_nl me = { .nl_family = AF_NETLINK };
    bind(fd, (struct sockaddr *)&me, sizeof me);
    socklen_t len = sizeof me;
    getsockname(fd, (struct sockaddr *)&me, &len);
    CHECK(send_dump(fd, RTM_GETLINK, 42) > 0, "send RTM_GETLINK dump");

    struct pollfd p = { .fd = fd, .events = POLLIN };
    CHECK(poll(&p, 1, 5000) == 1 && (p.revents & POLLIN), "reply makes the socket readable");

    int nlinks = 0, datagrams = 0;
    bool done = false, lo_ok = false, multi = true, pid_ok = true;
    while (!done && datagrams < 64) {
        char small[16];
        struct sockaddr_nl from;
        ssize_t peek = recv_dgram(fd, small, sizeof small, MSG_PEEK | MSG_TRUNC, &from);
        if (!CHECK(peek > (ssize_t)sizeof small, "MSG_PEEK|MSG_TRUNC returns the full length"))
            break;
        if (datagrams == 0)
            CHECK(from.nl_pid == 0 && from.nl_family == AF_NETLINK, "sender is the kernel");
        char *buf = malloc((size_t)peek);
        ssize_t n = recv_dgram(fd, buf, (size_t)peek, 0, NULL);
        CHECK_EQ(n, peek, "datagram read whole after the peek");
        datagrams++;
        int left = (int)n;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, left);
             h = NLMSG_NEXT(h, left)) {
            if (h->nlmsg_seq != 42 || h->nlmsg_pid != me.nl_pid)
                pid_ok = false;
            if (!(h->nlmsg_flags & NLM_F_MULTI))
                multi = false;
            if (h->nlmsg_type == NLMSG_DONE) {
                done = true;
                break;
            }
            if (h->nlmsg_type != RTM_NEWLINK)
                continue;
            nlinks++;
            struct ifinfomsg *ifi = NLMSG_DATA(h);
            int alen = (int)IFLA_PAYLOAD(h);
            const char *name = NULL;
            unsigned mtu = 0;
            for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
                if (a->rta_type == IFLA_IFNAME)
                    name = RTA_DATA(a);
                if (a->rta_type == IFLA_MTU)
                    memcpy(&mtu, RTA_DATA(a), 4);
            }
            if (ifi->ifi_index == 1 && name && !strcmp(name, "lo") &&
                (ifi->ifi_flags & IFF_LOOPBACK) && ifi->ifi_type == 772 && mtu == 65536)
                lo_ok = true;
        }
        free(buf);
    }
    CHECK(done, "dump ends with NLMSG_DONE");
    CHECK(nlinks >= 1, "at least one RTM_NEWLINK");
    CHECK(lo_ok, "lo is index 1, ARPHRD_LOOPBACK, IFF_LOOPBACK, mtu 65536");
    CHECK(multi, "every dump message has NLM_F_MULTI");
    CHECK(pid_ok, "replies carry the request's seq and our port id");
    char b[64];
    CHECK_ERR(recv(fd, b, sizeof b, MSG_DONTWAIT), EAGAIN, "nothing after NLMSG_DONE");
    close(fd);
}

/* RTM_GETADDR dump: 127.0.0.1/8 on lo with host scope and Linux's attributes; RTM_GETROUTE
 * dump ends with NLMSG_DONE (the main table may be empty without a network device). */
static void test_dump_addr_route(void)
{
    int fd = nl_open();
    send_dump(fd, RTM_GETADDR, 50);
    bool done = false, lo_ok = false;
    char buf[16384];
    for (int i = 0; i < 64 && !done; i++) {
        ssize_t n = recv_dgram(fd, buf, sizeof buf, 0, NULL);
        if (n <= 0)
            break;
        int left = (int)n;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, left);
             h = NLMSG_NEXT(h, left)) {
            if (h->nlmsg_type == NLMSG_DONE) {
                done = true;
                break;
            }
            struct ifaddrmsg *ifa = NLMSG_DATA(h);
            if (h->nlmsg_type != RTM_NEWADDR || ifa->ifa_family != AF_INET)
                continue;
            int alen = (int)IFA_PAYLOAD(h);
            const uint8_t *local = NULL;
            const char *label = NULL;
            for (struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
                if (a->rta_type == IFA_LOCAL && RTA_PAYLOAD(a) == 4)
                    local = RTA_DATA(a);
                if (a->rta_type == IFA_LABEL)
                    label = RTA_DATA(a);
            }
            if (ifa->ifa_index == 1 && ifa->ifa_prefixlen == 8 && ifa->ifa_scope == RT_SCOPE_HOST &&
                local && local[0] == 127 && local[3] == 1 && label && !strcmp(label, "lo"))
                lo_ok = true;
        }
    }
    CHECK(done, "RTM_GETADDR dump ends with NLMSG_DONE");
    CHECK(lo_ok, "127.0.0.1/8 scope host on lo (IFA_LOCAL, IFA_LABEL)");

    send_dump(fd, RTM_GETROUTE, 51);
    done = false;
    bool types_ok = true;
    for (int i = 0; i < 64 && !done; i++) {
        ssize_t n = recv_dgram(fd, buf, sizeof buf, 0, NULL);
        if (n <= 0)
            break;
        int left = (int)n;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, left);
             h = NLMSG_NEXT(h, left)) {
            if (h->nlmsg_type == NLMSG_DONE) {
                done = true;
                break;
            }
            if (h->nlmsg_type != RTM_NEWROUTE || h->nlmsg_seq != 51)
                types_ok = false;
        }
    }
    CHECK(done && types_ok, "RTM_GETROUTE dump: RTM_NEWROUTE messages, then NLMSG_DONE");

    /* Group 0 does not exist. */
    int zero = 0;
    CHECK_ERR(setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &zero, sizeof zero), EINVAL,
              "NETLINK_ADD_MEMBERSHIP group 0");
    int one = 1;
    CHECK_OK(setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one), "NETLINK_CAP_ACK");
    /* With capped acks an error echoes only the request header. */
    struct {
        struct nlmsghdr nlh;
        struct ifinfomsg ifi;
    } get;
    memset(&get, 0, sizeof get);
    get.nlh.nlmsg_len = sizeof get;
    get.nlh.nlmsg_type = RTM_GETLINK;
    get.nlh.nlmsg_flags = NLM_F_REQUEST;
    get.nlh.nlmsg_seq = 52;
    get.ifi.ifi_index = 999;
    send_req(fd, &get, sizeof get);
    ssize_t n = recv_dgram(fd, buf, sizeof buf, 0, NULL);
    struct nlmsghdr *h = (struct nlmsghdr *)buf;
    CHECK(n == (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) && h->nlmsg_type == NLMSG_ERROR &&
          (h->nlmsg_flags & NLM_F_CAPPED) && ((struct nlmsgerr *)NLMSG_DATA(h))->error == -ENODEV,
          "NETLINK_CAP_ACK: a 36-byte NLMSG_ERROR with NLM_F_CAPPED");
    close(fd);
}

/* With the smallest receive buffer a dump still arrives whole. */
static void test_small_rcvbuf(void)
{
    int fd = nl_open();
    int v = 1;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
    send_dump(fd, RTM_GETLINK, 60);
    char buf[32768];
    bool done = false;
    for (int i = 0; i < 64 && !done; i++) {
        ssize_t n = recv_dgram(fd, buf, sizeof buf, 0, NULL);
        if (n <= 0)
            break;
        int left = (int)n;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, left);
             h = NLMSG_NEXT(h, left))
            if (h->nlmsg_type == NLMSG_DONE)
                done = true;
    }
    CHECK(done, "SO_RCVBUF 1: the link dump still ends with NLMSG_DONE");
    close(fd);
}

/* A short read loses the rest of the datagram and reports MSG_TRUNC. */
static void test_trunc(void)
{
    int fd = nl_open();
    send_dump(fd, RTM_GETLINK, 7);
    char buf[20];
    struct iovec iov = { buf, sizeof buf };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    struct pollfd p = { .fd = fd, .events = POLLIN };
    poll(&p, 1, 5000);
    ssize_t n = recvmsg(fd, &m, 0);
    CHECK(n == (ssize_t)sizeof buf && (m.msg_flags & MSG_TRUNC), "short recvmsg sets MSG_TRUNC");
    /* The truncated datagram is gone; whatever comes next starts with a header. */
    char big[16384];
    bool ok = true;
    for (;;) {
        ssize_t r = recv(fd, big, sizeof big, MSG_DONTWAIT);
        if (r < 0)
            break;
        struct nlmsghdr *h = (struct nlmsghdr *)big;
        if (r < (ssize_t)sizeof *h || h->nlmsg_len > (unsigned)r || h->nlmsg_seq != 7)
            ok = false;
    }
    CHECK(ok, "following datagrams start at a message boundary");
    close(fd);
}

static void test_errors_and_acks(void)
{
    int fd = nl_open();
    struct nlmsgerr e;

    /* RTM_GETLINK for lo by index with NLM_F_ACK: the answer, then an ACK. */
    struct {
        struct nlmsghdr nlh;
        struct ifinfomsg ifi;
    } get;
    memset(&get, 0, sizeof get);
    get.nlh.nlmsg_len = sizeof get;
    get.nlh.nlmsg_type = RTM_GETLINK;
    get.nlh.nlmsg_flags = NLM_F_REQUEST;
    get.nlh.nlmsg_seq = 100;
    get.ifi.ifi_index = 1;
    send_req(fd, &get, sizeof get);
    char buf[8192];
    ssize_t n = recv_dgram(fd, buf, sizeof buf, 0, NULL);
    struct nlmsghdr *h = (struct nlmsghdr *)buf;
    CHECK(n > 0 && h->nlmsg_type == RTM_NEWLINK && h->nlmsg_seq == 100 &&
          ((struct ifinfomsg *)NLMSG_DATA(h))->ifi_index == 1 && !(h->nlmsg_flags & NLM_F_MULTI),
          "RTM_GETLINK by index answers one RTM_NEWLINK");

    /* A request too short for its family header: EINVAL, echoing the request. */
    struct {
        struct nlmsghdr nlh;
        char pad[4];
    } shortreq;
    memset(&shortreq, 0, sizeof shortreq);
    shortreq.nlh.nlmsg_len = sizeof shortreq;
    shortreq.nlh.nlmsg_type = RTM_NEWADDR;
    shortreq.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    shortreq.nlh.nlmsg_seq = 101;
    shortreq.pad[0] = AF_INET;
    CHECK_EQ(send_req(fd, &shortreq, sizeof shortreq), (int)sizeof shortreq,
             "sendto returns the length even for a bad request");
    CHECK_EQ(read_ack(fd, 101, &e), -EINVAL, "truncated ifaddrmsg: NLMSG_ERROR -EINVAL");
    CHECK(e.msg.nlmsg_seq == 101 && e.msg.nlmsg_type == RTM_NEWADDR,
          "the error echoes the request header");

    /* Malformed attributes (length past the end): EINVAL. */
    struct {
        struct nlmsghdr nlh;
        struct ifinfomsg ifi;
        struct rtattr a;
    } bad;
    memset(&bad, 0, sizeof bad);
    bad.nlh.nlmsg_len = sizeof bad;
    bad.nlh.nlmsg_type = RTM_GETLINK;
    bad.nlh.nlmsg_flags = NLM_F_REQUEST;
    bad.nlh.nlmsg_seq = 102;
    bad.a.rta_len = 200;
    bad.a.rta_type = IFLA_IFNAME;
    send_req(fd, &bad, sizeof bad);
    CHECK_EQ(read_ack(fd, 102, NULL), -EINVAL, "attribute longer than the message: -EINVAL");

    /* No such interface. */
    get.nlh.nlmsg_seq = 103;
    get.ifi.ifi_index = 999;
    send_req(fd, &get, sizeof get);
    CHECK_EQ(read_ack(fd, 103, NULL), -ENODEV, "RTM_GETLINK of ifindex 999: -ENODEV");

    /* An unknown message type. */
    get.nlh.nlmsg_seq = 104;
    get.nlh.nlmsg_type = 200;
    if (under_qemu_user()) {
        /* qemu-user's netlink translation refuses message types it does not know. */
        check_skip("type above RTM_MAX: -EOPNOTSUPP", "qemu-user");
    } else {
        send_req(fd, &get, sizeof get);
        CHECK_EQ(read_ack(fd, 104, NULL), -EOPNOTSUPP, "type above RTM_MAX: -EOPNOTSUPP");
    }

    /* A control message with NLM_F_ACK is acknowledged (error 0, header only). */
    struct nlmsghdr noop = { .nlmsg_len = sizeof noop, .nlmsg_type = NLMSG_NOOP,
                             .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK, .nlmsg_seq = 105 };
    send_req(fd, &noop, sizeof noop);
    n = recv_dgram(fd, buf, sizeof buf, 0, NULL);
    CHECK(n == (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) && h->nlmsg_type == NLMSG_ERROR &&
          ((struct nlmsgerr *)NLMSG_DATA(h))->error == 0, "NLMSG_NOOP + NLM_F_ACK: a 36-byte ACK");

    /* A header claiming more than was sent is dropped silently (as Linux). */
    struct nlmsghdr lie = { .nlmsg_len = 4096, .nlmsg_type = RTM_GETLINK,
                            .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK, .nlmsg_seq = 106 };
    CHECK_EQ(send_req(fd, &lie, sizeof lie), (int)sizeof lie, "oversized nlmsg_len accepted by sendto");
    CHECK_ERR(recv(fd, buf, sizeof buf, MSG_DONTWAIT), EAGAIN, "and no reply");

    /* Two requests in one datagram: both answered, in order. */
    struct nlmsghdr two[2] = {
        { .nlmsg_len = sizeof two[0], .nlmsg_type = NLMSG_NOOP,
          .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK, .nlmsg_seq = 107 },
        { .nlmsg_len = sizeof two[1], .nlmsg_type = NLMSG_NOOP,
          .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK, .nlmsg_seq = 108 },
    };
    send_req(fd, two, sizeof two);
    CHECK_EQ(read_ack(fd, 107, NULL), 0, "first of two batched requests ACKed");
    CHECK_EQ(read_ack(fd, 108, NULL), 0, "second of two batched requests ACKed");

    /* Unprivileged changes are refused. */
    if (getuid() == 0) {
        pid_t pid = fork();
        if (pid == 0) {
            if (setuid(1000))
                _exit(2);
            int u = nl_open();
            struct {
                struct nlmsghdr nlh;
                struct ifinfomsg ifi;
            } set;
            memset(&set, 0, sizeof set);
            set.nlh.nlmsg_len = sizeof set;
            set.nlh.nlmsg_type = RTM_NEWLINK;
            set.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
            set.nlh.nlmsg_seq = 1;
            set.ifi.ifi_index = 1;
            set.ifi.ifi_flags = IFF_UP;
            set.ifi.ifi_change = IFF_UP;
            send_req(u, &set, sizeof set);
            _exit(read_ack(u, 1, NULL) == -EPERM ? 0 : 1);
        }
        check_child(pid, "RTM_NEWLINK as uid 1000: -EPERM");
    }

    CHECK_ERR(recv(fd, buf, sizeof buf, MSG_OOB | MSG_DONTWAIT), EOPNOTSUPP, "MSG_OOB");
    close(fd);
}

/* Setting lo's flags to what they are is accepted and ACKed (no real change). */
static void test_setlink_noop(void)
{
    if (getuid() != 0) {
        check_skip("RTM_NEWLINK lo up", "not root");
        return;
    }
    int fd = nl_open();
    struct {
        struct nlmsghdr nlh;
        struct ifinfomsg ifi;
    } set;
    memset(&set, 0, sizeof set);
    set.nlh.nlmsg_len = sizeof set;
    set.nlh.nlmsg_type = RTM_NEWLINK;
    set.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    set.nlh.nlmsg_seq = 200;
    set.ifi.ifi_index = 1;
    set.ifi.ifi_flags = IFF_UP;
    set.ifi.ifi_change = IFF_UP;
    send_req(fd, &set, sizeof set);
    CHECK_EQ(read_ack(fd, 200, NULL), 0, "RTM_NEWLINK lo up: ACK");
    close(fd);
}

/* Two netlink sockets can talk to each other by port id. */
static void test_unicast(void)
{
    int a = nl_open(), b = nl_open();
    struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
    bind(a, (struct sockaddr *)&sa, sizeof sa);
    bind(b, (struct sockaddr *)&sa, sizeof sa);
    struct sockaddr_nl ab;
    socklen_t len = sizeof ab;
    getsockname(b, (struct sockaddr *)&ab, &len);
    struct nlmsghdr msg = { .nlmsg_len = sizeof msg, .nlmsg_type = NLMSG_MIN_TYPE + 5,
                            .nlmsg_seq = 9 };
    CHECK_EQ(sendto(a, &msg, sizeof msg, 0, (struct sockaddr *)&ab, sizeof ab),
             (ssize_t)sizeof msg, "send to another socket's port id");
    struct nlmsghdr got;
    struct sockaddr_nl from;
    ssize_t n = recv_dgram(b, &got, sizeof got, 0, &from);
    struct sockaddr_nl aa;
    len = sizeof aa;
    getsockname(a, (struct sockaddr *)&aa, &len);
    CHECK(n == (ssize_t)sizeof got && got.nlmsg_seq == 9 && from.nl_pid == aa.nl_pid,
          "received with the sender's port id");
    close(a);
    close(b);
}

int main(void)
{
    check_begin("netlink");
    if (nl_open() < 0) {
        check_skip("netlink", "no AF_NETLINK (errno %d)", errno);
        return check_done();
    }
    test_socket_and_bind();
    test_dump_link();
    test_dump_addr_route();
    test_small_rcvbuf();
    test_trunc();
    test_errors_and_acks();
    test_setlink_noop();
    test_unicast();
    return check_done();
}
