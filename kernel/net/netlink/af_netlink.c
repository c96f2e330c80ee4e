/* AF_NETLINK sockets (Linux's net/netlink/af_netlink.c semantics), NETLINK_ROUTE only.
 *
 * A socket has a port id (nl_pid): bind() with 0, the first sendmsg or connect() assigns one
 * (the process's tgid if free, else a negative number counting down from -4096, as Linux).
 * Messages to port 0 are requests for the kernel, handled at once inside sendmsg (see
 * nl_internal.h); their replies, and datagrams from other netlink sockets, wait on the
 * receiving socket's queue, one datagram per recvmsg (MSG_PEEK, MSG_TRUNC: the datagram's
 * real length is returned; a short buffer loses the rest of the datagram, MSG_TRUNC set).
 *
 * Multicast groups (netlink event notifications) are not implemented: subscribing, by bind
 * or NETLINK_ADD_MEMBERSHIP, fails with EOPNOTSUPP rather than silently never delivering.
 *
 * One lock (nl_lock) covers the socket list and every receive queue; nobody sleeps or
 * touches user memory holding it.
 */
#include "kernel.h"
#include "net.h"
#include "mm.h"
#include "string.h"
#include "task.h"
#include "nl_internal.h"

/* A queued datagram. */
struct nl_skb {
    struct list_head link;
    int refs;                          /* the queue's, plus readers peeking at it */
    uint32_t src_portid;               /* 0: the kernel */
    size_t len;
    uint8_t data[];
};

struct nl_sock {
    struct list_head link;             /* in nl_socks */
    struct socket *sock;
    uint32_t portid;
    bool bound;
    uint32_t dst_portid;               /* connect() */
    struct list_head rxq;
    size_t rx_bytes;
    bool cap_ack, ext_ack, strict_chk, no_enobufs, pktinfo, broadcast_error, listen_all_nsid;
};

/* The largest datagram a dump reply is packed into (about Linux's NLMSG_GOODSIZE), and the
 * largest request accepted (Linux: the send buffer; capped to keep kernel copies small). */
#define NL_DUMP_DGRAM 4096u
#define NL_SEND_MAX 65536u
/* NETLINK_ROUTE's multicast groups (Linux's RTNLGRP_MAX, rounded up). */
#define NL_ROUTE_GROUPS 64

static spinlock_t nl_lock = SPINLOCK_INIT("netlink");
static LIST_HEAD(nl_socks);
static int32_t nl_rover = -4096;

static struct nl_sock *nl_sk(struct socket *sock)
{
    return sock->sk;
}

/* nl_lock held. */
static struct nl_sock *nl_lookup(uint32_t portid)
{
    struct nl_sock *n;
    list_for_each_entry(n, &nl_socks, link) {
        if (n->bound && n->portid == portid)
            return n;
    }
    return NULL;
}

/* nl_lock held. */
static void nl_autobind_locked(struct nl_sock *nlk)
{
    if (nlk->bound)
        return;
    uint32_t portid = (uint32_t)current->tgid;
    while (portid == 0 || nl_lookup(portid)) {
        portid = (uint32_t)nl_rover--;
        if (nl_rover > -4096)             /* wrapped */
            nl_rover = -4096;
    }
    nlk->portid = portid;
    nlk->bound = true;
}

static void nl_skb_put(struct nl_skb *skb)
{
    if (--skb->refs == 0)
        kfree(skb);
}

/* The receive buffer is full: SO_RCVBUF applies once something is queued, so one datagram
 * of any size always gets through. nl_lock held. */
static bool nl_rcvbuf_full(const struct nl_sock *nlk, size_t more)
{
    return !list_empty(&nlk->rxq) && nlk->rx_bytes + more > (size_t)nlk->sock->rcvbuf;
}

/* Queue a copy of data[0, len) on nlk: 0, or -ENOMEM. nl_lock held. */
static int nl_queue_locked(struct nl_sock *nlk, uint32_t src, const void *data, size_t len)
{
    struct nl_skb *skb = kmalloc(sizeof *skb + len);
    if (!skb)
        return -ENOMEM;
    skb->refs = 1;
    skb->src_portid = src;
    skb->len = len;
    memcpy(skb->data, data, len);
    list_add_tail(&skb->link, &nlk->rxq);
    nlk->rx_bytes += len;
    sock_wake(nlk->sock);
    return 0;
}

/* A kernel reply that cannot be queued sets ENOBUFS on the socket (Linux: sk_err, reported
 * by the next recvmsg) unless NETLINK_NO_ENOBUFS. nl_lock held. */
static void nl_lost_reply_locked(struct nl_sock *nlk)
{
    if (!nlk->no_enobufs) {
        nlk->sock->err = -ENOBUFS;
        sock_wake(nlk->sock);
    }
}

/* Queue the replies to one request, buf[0, len): a dump packed into datagrams of at most
 * NL_DUMP_DGRAM bytes cut at message boundaries, anything else one message per datagram.
 * Linux produces a dump lazily, as the reader makes room; here it is made at once (at most
 * NL_REPLY_MAX bytes), so SO_RCVBUF is checked once per request rather than per datagram
 * and a small receive buffer still gets whole dumps. */
static void nl_deliver_replies(struct nl_sock *nlk, const uint8_t *buf, size_t len, bool dump)
{
    if (!len)
        return;
    spin_lock(&nl_lock);
    if (nl_rcvbuf_full(nlk, 0)) {
        nl_lost_reply_locked(nlk);
        spin_unlock(&nl_lock);
        return;
    }
    size_t off = 0;
    while (off < len) {
        size_t end = off;
        do {
            const struct nlmsghdr *h = (const void *)(buf + end);
            size_t step = NLMSG_ALIGN((size_t)h->nlmsg_len);
            if (end > off && end - off + step > NL_DUMP_DGRAM)
                break;
            end += step;
        } while (dump && end < len);
        if (nl_queue_locked(nlk, 0, buf + off, end - off))
            nl_lost_reply_locked(nlk);
        off = end;
    }
    spin_unlock(&nl_lock);
}

/* One request for the kernel (Linux's netlink_rcv_skb for one message). */
static void nl_kernel_request(struct nl_sock *nlk, const struct nlmsghdr *nlh, uint8_t *rbuf)
{
    struct nlmsg_builder b;
    nlb_init(&b, rbuf, NL_REPLY_MAX);
    struct nl_request req = { .nlh = nlh, .portid = nlk->portid, .out = &b };
    int err = 0;
    /* Only requests are acted on; control types (NOOP, ERROR, DONE, ...) are skipped. Both
     * are still ACK'ed when asked, as Linux does. */
    if ((nlh->nlmsg_flags & NLM_F_REQUEST) && nlh->nlmsg_type >= NLMSG_MIN_TYPE)
        err = rtnetlink_rcv(&req);
    if (!err && req.dump) {
        if (!nlb_done(&b, nlh->nlmsg_seq, nlk->portid, 0))
            err = -EMSGSIZE;
    }
    if (err) {
        /* No partial answers: only the error. */
        nlb_init(&b, rbuf, NL_REPLY_MAX);
        req.dump = false;
    }
    if (err || (!req.dump && (nlh->nlmsg_flags & NLM_F_ACK))) {
        /* The answer (if any) then the ACK or error, each message its own datagram. */
        size_t n = nlb_error(&b, nlh, err, nlk->portid, nlk->cap_ack);
        if (!n && err)                /* a huge request: echo only its header */
            nlb_error(&b, nlh, err, nlk->portid, true);
        nl_deliver_replies(nlk, rbuf, b.used, false);
        return;
    }
    nl_deliver_replies(nlk, rbuf, b.used, req.dump);
}

static long nl_sendmsg(struct socket *sock, struct kmsghdr *msg, size_t len, int flags)
{
    (void)flags;
    struct nl_sock *nlk = nl_sk(sock);
    uint32_t dst_portid = nlk->dst_portid, dst_groups = 0;
    if (msg->name) {
        struct sockaddr_nl sa;
        if (msg->namelen < (int)sizeof sa)
            return -EINVAL;
        memcpy(&sa, msg->name, sizeof sa);
        if (sa.nl_family != AF_NETLINK)
            return -EINVAL;
        dst_portid = sa.nl_pid;
        dst_groups = sa.nl_groups;
    }
    /* NETLINK_ROUTE lets only CAP_NET_ADMIN send to groups; nobody can subscribe here, so
     * a permitted multicast reaches no one, exactly as a group without listeners would. */
    if (dst_groups && current->cred.euid != 0)
        return -EPERM;
    if (len > NL_SEND_MAX || len + 32 > (size_t)sock->sndbuf)
        return -EMSGSIZE;
    uint8_t *data = kmalloc(len ? len : 1);
    if (!data)
        return -ENOMEM;
    long ret = msg_copy_from_iter(data, &msg->iter, len);
    if (ret)
        goto out;
    spin_lock(&nl_lock);
    nl_autobind_locked(nlk);
    if (dst_portid) {
        struct nl_sock *peer = nl_lookup(dst_portid);
        if (!peer)
            ret = -ECONNREFUSED;
        else if (nl_rcvbuf_full(peer, len))
            ret = -EAGAIN;            /* Linux would wait for room; a full peer is rare */
        else
            ret = nl_queue_locked(peer, nlk->portid, data, len);
        spin_unlock(&nl_lock);
        if (ret)
            goto out;
        ret = (long)len;
        goto out;
    }
    spin_unlock(&nl_lock);
    uint8_t *rbuf = kmalloc(NL_REPLY_MAX);
    if (!rbuf) {
        ret = -ENOMEM;
        goto out;
    }
    struct nlmsg_iter it;
    nlmsg_iter_init(&it, data, len);
    const struct nlmsghdr *nlh;
    bool bad;
    /* A header claiming an impossible length ends the datagram silently, as in Linux. */
    while ((nlh = nlmsg_iter_next(&it, &bad)) != NULL)
        nl_kernel_request(nlk, nlh, rbuf);
    kfree(rbuf);
    ret = (long)len;
out:
    kfree(data);
    return ret;
}

static long nl_recvmsg(struct socket *sock, struct kmsghdr *msg, size_t len, int flags)
{
    struct nl_sock *nlk = nl_sk(sock);
    if (flags & MSG_OOB)
        return -EOPNOTSUPP;
    uint64_t deadline = sock_rcv_deadline(sock);
    struct nl_skb *skb;
    for (;;) {
        spin_lock(&nl_lock);
        if (!list_empty(&nlk->rxq)) {
            skb = list_first_entry(&nlk->rxq, struct nl_skb, link);
            if (flags & MSG_PEEK) {
                skb->refs++;
            } else {
                list_del(&skb->link);
                nlk->rx_bytes -= skb->len;
            }
            spin_unlock(&nl_lock);
            break;
        }
        int err = sock->err;
        sock->err = 0;
        spin_unlock(&nl_lock);
        if (err)
            return err;
        if (sock_nonblock(sock, flags))
            return -EAGAIN;
        err = sock_wait_event(&sock->wq, !list_empty(&nlk->rxq) || sock->err, deadline);
        if (err)
            return err;
    }
    size_t copied = MIN(len, skb->len);
    if (copied < skb->len)
        msg->flags |= MSG_TRUNC;
    long ret = msg_copy_to_iter(&msg->iter, skb->data, copied);
    if (!ret) {
        ret = (long)((flags & MSG_TRUNC) ? skb->len : copied);
        if (msg->name) {
            struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_pid = skb->src_portid };
            memcpy(msg->name, &sa, sizeof sa);
            msg->namelen = (int)sizeof sa;
        }
    }
    spin_lock(&nl_lock);
    nl_skb_put(skb);
    spin_unlock(&nl_lock);
    return ret;
}

static int nl_bind(struct socket *sock, const void *addr, int addrlen)
{
    struct nl_sock *nlk = nl_sk(sock);
    struct sockaddr_nl sa;
    if (addrlen < (int)sizeof sa)
        return -EINVAL;
    memcpy(&sa, addr, sizeof sa);
    if (sa.nl_family != AF_NETLINK)
        return -EINVAL;
    if (sa.nl_groups)
        return -EOPNOTSUPP;           /* no multicast groups (see the top of this file) */
    int ret = 0;
    spin_lock(&nl_lock);
    if (nlk->bound) {
        if (sa.nl_pid && sa.nl_pid != nlk->portid)
            ret = -EINVAL;
    } else if (sa.nl_pid) {
        if (nl_lookup(sa.nl_pid)) {
            ret = -EADDRINUSE;
        } else {
            nlk->portid = sa.nl_pid;
            nlk->bound = true;
        }
    } else {
        nl_autobind_locked(nlk);
    }
    spin_unlock(&nl_lock);
    return ret;
}

static int nl_connect(struct socket *sock, const void *addr, int addrlen, int flags)
{
    (void)flags;
    struct nl_sock *nlk = nl_sk(sock);
    struct sockaddr_nl sa;
    if (addrlen < (int)sizeof(sa_family_t))
        return -EINVAL;
    memcpy(&sa.nl_family, addr, sizeof sa.nl_family);
    if (sa.nl_family == AF_UNSPEC) {
        nlk->dst_portid = 0;
        sock->state = SS_UNCONNECTED;
        return 0;
    }
    if (sa.nl_family != AF_NETLINK || addrlen < (int)sizeof sa)
        return -EINVAL;
    memcpy(&sa, addr, sizeof sa);
    if (sa.nl_groups && current->cred.euid != 0)
        return -EPERM;
    spin_lock(&nl_lock);
    nl_autobind_locked(nlk);
    nlk->dst_portid = sa.nl_pid;
    spin_unlock(&nl_lock);
    sock->state = SS_CONNECTED;
    return 0;
}

static int nl_getname(struct socket *sock, void *addr, int peer)
{
    struct nl_sock *nlk = nl_sk(sock);
    struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
    spin_lock(&nl_lock);
    sa.nl_pid = peer ? nlk->dst_portid : (nlk->bound ? nlk->portid : 0);
    spin_unlock(&nl_lock);
    memcpy(addr, &sa, sizeof sa);
    return (int)sizeof sa;
}

static unsigned nl_poll(struct socket *sock, struct poll_table *pt)
{
    (void)pt;
    struct nl_sock *nlk = nl_sk(sock);
    unsigned mask = POLLOUT | POLLWRNORM;
    spin_lock(&nl_lock);
    if (!list_empty(&nlk->rxq))
        mask |= POLLIN | POLLRDNORM;
    if (sock->err)
        mask |= POLLERR;
    spin_unlock(&nl_lock);
    return mask;
}

static bool *nl_flag_opt(struct nl_sock *nlk, int name)
{
    switch (name) {
    case NETLINK_CAP_ACK: return &nlk->cap_ack;
    case NETLINK_EXT_ACK: return &nlk->ext_ack;
    case NETLINK_GET_STRICT_CHK: return &nlk->strict_chk;
    case NETLINK_NO_ENOBUFS: return &nlk->no_enobufs;
    case NETLINK_PKTINFO: return &nlk->pktinfo;
    case NETLINK_BROADCAST_ERROR: return &nlk->broadcast_error;
    case NETLINK_LISTEN_ALL_NSID: return &nlk->listen_all_nsid;
    }
    return NULL;
}

static int nl_setsockopt(struct socket *sock, int level, int name, const void *val, unsigned len)
{
    struct nl_sock *nlk = nl_sk(sock);
    if (level != SOL_NETLINK)
        return -ENOPROTOOPT;
    int v;
    if (len < sizeof v)
        return -EINVAL;
    memcpy(&v, val, sizeof v);
    if (name == NETLINK_ADD_MEMBERSHIP || name == NETLINK_DROP_MEMBERSHIP) {
        if (v <= 0 || v > NL_ROUTE_GROUPS)
            return -EINVAL;
        /* Leaving a group never joined is fine (Linux too); joining is not implemented. */
        return name == NETLINK_DROP_MEMBERSHIP ? 0 : -EOPNOTSUPP;
    }
    bool *flag = nl_flag_opt(nlk, name);
    if (!flag)
        return -ENOPROTOOPT;
    *flag = v != 0;
    return 0;
}

static int nl_getsockopt(struct socket *sock, int level, int name, void *val, unsigned *len)
{
    struct nl_sock *nlk = nl_sk(sock);
    if (level != SOL_NETLINK)
        return -ENOPROTOOPT;
    bool *flag = nl_flag_opt(nlk, name);
    if (!flag)
        return -ENOPROTOOPT;
    if (*len < sizeof(int))
        return -EINVAL;
    int v = *flag;
    memcpy(val, &v, sizeof v);
    *len = sizeof v;
    return 0;
}

static void nl_release(struct socket *sock)
{
    struct nl_sock *nlk = nl_sk(sock);
    spin_lock(&nl_lock);
    list_del(&nlk->link);
    while (!list_empty(&nlk->rxq)) {
        struct nl_skb *skb = list_first_entry(&nlk->rxq, struct nl_skb, link);
        list_del(&skb->link);
        nl_skb_put(skb);
    }
    spin_unlock(&nl_lock);
    kfree(nlk);
    sock->sk = NULL;
}

static const struct proto_ops netlink_ops = {
    .family = AF_NETLINK,
    .release = nl_release,
    .bind = nl_bind,
    .connect = nl_connect,
    .getname = nl_getname,
    .sendmsg = nl_sendmsg,
    .recvmsg = nl_recvmsg,
    .poll = nl_poll,
    .setsockopt = nl_setsockopt,
    .getsockopt = nl_getsockopt,
};

static int netlink_create(struct socket *sock, int type, int protocol, bool kern)
{
    (void)kern;
    if (type != SOCK_RAW && type != SOCK_DGRAM)
        return -ESOCKTNOSUPPORT;
    if (protocol != NETLINK_ROUTE)
        return -EPROTONOSUPPORT;       /* also for the families Linux has and openv lacks */
    struct nl_sock *nlk = kzalloc(sizeof *nlk);
    if (!nlk)
        return -ENOMEM;
    nlk->sock = sock;
    list_init(&nlk->rxq);
    sock->ops = &netlink_ops;
    sock->sk = nlk;
    sock->state = SS_UNCONNECTED;
    spin_lock(&nl_lock);
    list_add_tail(&nlk->link, &nl_socks);
    spin_unlock(&nl_lock);
    return 0;
}

void netlink_init(void)
{
    sock_register_family(AF_NETLINK, netlink_create);
}
