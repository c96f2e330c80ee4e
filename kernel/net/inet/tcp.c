/* AF_INET SOCK_STREAM over lwIP's raw TCP API.
 *
 * A struct tcp_sock is the socket's TCP state; its lwIP pcb calls back into it (under the
 * network lock) when data arrives, sent data is acknowledged, a connection completes or is
 * lost. Received data is kept as a queue of pbuf chains until read; the receive window is
 * reopened (tcp_recved) as the reader consumes it, so an idle reader throttles the sender.
 * Data to send is copied from user memory to a kernel buffer, then into lwIP (tcp_write with
 * COPY), as far as lwIP's send buffer has room.
 *
 * Lifetime: the tcp_sock is freed in release(). A connection accepted by lwIP but not yet by
 * the user sits on its listener's queue with sock == NULL. When lwIP frees a pcb on its own
 * (reset, abort, timeout) it calls tcp_err_cb first, which forgets the pcb.
 */
#include "inet.h"
#include "mm.h"
#include "mutex.h"
#include "string.h"
#include "list.h"
#include "uaccess.h"
#include "kprintf.h"

#include "lwip/tcp.h"
#include "lwip/priv/tcp_priv.h"

enum tcp_sock_state {
    TS_CLOSED,          /* fresh, or bound */
    TS_LISTEN,
    TS_CONNECTING,
    TS_CONNECTED,
    TS_DEAD,            /* the connection existed and is gone (reset, aborted, closed) */
};

#define RXQ_MAX 64                    /* pbuf chains queued (each chain up to RXQ_CHAIN_MAX) */
#define RXQ_CHAIN_MAX 0xf000u         /* pbuf tot_len is 16 bits: keep chains well below */

struct tcp_sock {
    struct socket *sock;              /* NULL while on a listener's accept queue */
    struct tcp_pcb *pcb;              /* NULL once lwIP freed it or we gave it up */
    int state;
    int pending_err;                  /* an error for a connection not yet accepted */

    /* Received data: rxq[rx_head..] chains, rx_off bytes of the first already read. */
    struct pbuf *rxq[RXQ_MAX];
    unsigned rx_head, rx_count;
    size_t rx_off, rx_bytes;
    bool rx_fin;                      /* the peer sent FIN */
    bool shut_rd, shut_wr;

    /* Listening: connections lwIP accepted, oldest first. */
    struct list_head accept_q;
    unsigned accept_len;
    struct list_head accept_node;     /* on the listener's accept_q */
    struct tcp_sock *listener;

    /* Addresses, remembered so getsockname/getpeername work after the pcb is gone. */
    ip_addr_t local_ip, remote_ip;
    uint16_t local_port, remote_port;
    bool nodelay;

    struct mutex send_lock, recv_lock; /* one sender and one reader at a time */
};

static const struct proto_ops tcp_ops;

static void tcp_wake(struct tcp_sock *ts)
{
    if (ts->sock)
        sock_wake(ts->sock);
}

/* Record an asynchronous error: SO_ERROR and the next call see it. Under the net lock. */
static void tcp_set_error(struct tcp_sock *ts, int err)
{
    if (ts->sock)
        ts->sock->err = err;
    else
        ts->pending_err = err;
}

static struct tcp_sock *tcp_sock_alloc(void)
{
    struct tcp_sock *ts = kzalloc(sizeof(*ts));
    if (!ts)
        return NULL;
    list_init(&ts->accept_q);
    list_init(&ts->accept_node);
    mutex_init(&ts->send_lock);
    mutex_init(&ts->recv_lock);
    return ts;
}

/* ---- receive queue (under the net lock) ---- */

static bool rxq_push(struct tcp_sock *ts, struct pbuf *p)
{
    if (ts->rx_count) {
        struct pbuf *tail = ts->rxq[(ts->rx_head + ts->rx_count - 1) % RXQ_MAX];
        if ((unsigned)tail->tot_len + p->tot_len <= RXQ_CHAIN_MAX) {
            ts->rx_bytes += p->tot_len;
            pbuf_cat(tail, p);
            return true;
        }
    }
    if (ts->rx_count == RXQ_MAX)
        return false;
    ts->rxq[(ts->rx_head + ts->rx_count) % RXQ_MAX] = p;
    ts->rx_count++;
    ts->rx_bytes += p->tot_len;
    return true;
}

/* Copy up to len queued bytes to buf; with consume, drop them from the queue. */
static size_t rxq_take(struct tcp_sock *ts, void *buf, size_t len, bool consume)
{
    size_t done = 0;
    unsigned i = 0;
    size_t off = ts->rx_off;
    while (done < len && i < ts->rx_count) {
        struct pbuf *p = ts->rxq[(ts->rx_head + i) % RXQ_MAX];
        size_t avail = p->tot_len - off;
        size_t n = MIN(avail, len - done);
        pbuf_copy_partial(p, (char *)buf + done, (u16_t)n, (u16_t)off);
        done += n;
        off += n;
        if (off == p->tot_len) {
            i++;
            off = 0;
        }
    }
    if (consume) {
        for (unsigned k = 0; k < i; k++) {
            pbuf_free(ts->rxq[ts->rx_head]);
            ts->rx_head = (ts->rx_head + 1) % RXQ_MAX;
            ts->rx_count--;
        }
        ts->rx_off = off;
        ts->rx_bytes -= done;
    }
    return done;
}

static void rxq_free(struct tcp_sock *ts)
{
    while (ts->rx_count) {
        pbuf_free(ts->rxq[ts->rx_head]);
        ts->rx_head = (ts->rx_head + 1) % RXQ_MAX;
        ts->rx_count--;
    }
    ts->rx_bytes = ts->rx_off = 0;
}

/* ---- lwIP callbacks (net lock held) ---- */

static err_t tcp_recv_cb(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    struct tcp_sock *ts = arg;
    (void)err;
    if (!ts) {
        if (p) {
            tcp_recved(pcb, p->tot_len);
            pbuf_free(p);
        }
        return ERR_OK;
    }
    if (!p) {
        ts->rx_fin = true;
        tcp_wake(ts);
        return ERR_OK;
    }
    if (ts->shut_rd) {
        /* Linux discards data that arrives after SHUT_RD; keep the window open. */
        tcp_recved(pcb, p->tot_len);
        pbuf_free(p);
        return ERR_OK;
    }
    if (!rxq_push(ts, p))
        return ERR_MEM;     /* lwIP keeps it and offers it again later */
    tcp_wake(ts);
    return ERR_OK;
}

static bool tcp_writable_locked(struct tcp_sock *ts);

/* Acknowledged data freed send buffer: wake the writer only once a good share of the buffer
 * is free (Linux's sk_stream_write_space), not on every ACK. Waking it per ACK made it copy
 * one segment's worth per system call and switch tasks for each (docs/network.md). */
static err_t tcp_sent_cb(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    (void)pcb;
    (void)len;
    struct tcp_sock *ts = arg;
    if (ts && tcp_writable_locked(ts))
        tcp_wake(ts);
    return ERR_OK;
}

/* lwIP has freed (or is about to free) the pcb. */
static void tcp_err_cb(void *arg, err_t err)
{
    struct tcp_sock *ts = arg;
    if (!ts)
        return;
    int was = ts->state;
    ts->pcb = NULL;
    /* A connection that never got established leaves the socket unconnected (Linux: it may
     * connect again); one that did is over for good. */
    ts->state = was == TS_CONNECTING ? TS_CLOSED : TS_DEAD;
    int e;
    if (was == TS_CONNECTING)
        e = err == ERR_RST ? -ECONNREFUSED : err == ERR_ABRT ? -ETIMEDOUT : inet_err(err);
    else
        e = err == ERR_RST ? -ECONNRESET : err == ERR_CLSD ? 0 : inet_err(err);
    if (e)
        tcp_set_error(ts, e);
    if (ts->state == TS_DEAD)
        ts->rx_fin = true;
    tcp_wake(ts);
    if (ts->listener)
        tcp_wake(ts->listener);
}

static err_t tcp_connected_cb(void *arg, struct tcp_pcb *pcb, err_t err)
{
    struct tcp_sock *ts = arg;
    (void)err;
    if (!ts)
        return ERR_OK;
    /* sock->state stays SS_CONNECTING until connect() sees this (Linux: the connect() after
     * an asynchronous one completed returns 0 once, then EISCONN). */
    ts->state = TS_CONNECTED;
    ip_addr_copy(ts->local_ip, pcb->local_ip);
    ts->local_port = pcb->local_port;
    tcp_wake(ts);
    return ERR_OK;
}

static void tcp_attach(struct tcp_sock *ts, struct tcp_pcb *pcb)
{
    ts->pcb = pcb;
    tcp_arg(pcb, ts);
    tcp_recv(pcb, tcp_recv_cb);
    tcp_sent(pcb, tcp_sent_cb);
    tcp_err(pcb, tcp_err_cb);
}

/* Forget the pcb's callbacks: lwIP may keep it for the closing handshake, but nothing of ours
 * is reachable from it any more. */
static void tcp_detach(struct tcp_pcb *pcb)
{
    tcp_arg(pcb, NULL);
    if (pcb->state != LISTEN) {
        tcp_recv(pcb, NULL);
        tcp_sent(pcb, NULL);
        tcp_err(pcb, NULL);
    } else {
        tcp_accept(pcb, NULL);
    }
}

static err_t tcp_accept_cb(void *arg, struct tcp_pcb *newpcb, err_t err)
{
    struct tcp_sock *ls = arg;
    if (err != ERR_OK || !newpcb)
        return ERR_VAL;
    if (!ls || ls->state != TS_LISTEN) {
        tcp_abort(newpcb);
        return ERR_ABRT;
    }
    struct tcp_sock *ts = tcp_sock_alloc();
    if (!ts) {
        tcp_abort(newpcb);
        return ERR_ABRT;
    }
    tcp_attach(ts, newpcb);
    ts->state = TS_CONNECTED;
    ts->listener = ls;
    ip_addr_copy(ts->local_ip, newpcb->local_ip);
    ip_addr_copy(ts->remote_ip, newpcb->remote_ip);
    ts->local_port = newpcb->local_port;
    ts->remote_port = newpcb->remote_port;
    if (ls->nodelay)
        tcp_nagle_disable(newpcb);
    /* lwIP counts it against the backlog until the user accepts it (tcp_backlog_accepted). */
    tcp_backlog_delayed(newpcb);
    list_add_tail(&ts->accept_node, &ls->accept_q);
    ls->accept_len++;
    tcp_wake(ls);
    return ERR_OK;
}

/* ---- helpers for the system calls ---- */

static struct tcp_sock *tsk(struct socket *sock)
{
    return sock->sk;
}

/* A fresh pcb for a socket that has none (new socket, or after a failed connect). */
static int tcp_ensure_pcb(struct tcp_sock *ts)
{
    if (ts->pcb)
        return 0;
    if (ts->state != TS_CLOSED)
        return -EINVAL;
    struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
    if (!pcb)
        return -ENOMEM;
    tcp_attach(ts, pcb);
    if (ts->sock) {
        if (ts->sock->reuseaddr)
            ip_set_option(pcb, SOF_REUSEADDR);
        if (ts->sock->keepalive)
            ip_set_option(pcb, SOF_KEEPALIVE);
    }
    if (ts->nodelay)
        tcp_nagle_disable(pcb);
    return 0;
}

int tcp_sock_create(struct socket *sock)
{
    struct tcp_sock *ts = tcp_sock_alloc();
    if (!ts)
        return -ENOMEM;
    ts->sock = sock;
    irqflags_t f = net_lock();
    int err = tcp_ensure_pcb(ts);
    net_unlock(f);
    if (err) {
        kfree(ts);
        return err;
    }
    sock->sk = ts;
    sock->ops = &tcp_ops;
    sock->state = SS_UNCONNECTED;
    return 0;
}

/* Drop a connection that was never accepted (listener closing). Net lock held. */
static void tcp_drop_unaccepted(struct tcp_sock *ts)
{
    if (ts->pcb) {
        tcp_detach(ts->pcb);
        tcp_abort(ts->pcb);
        ts->pcb = NULL;
    }
    rxq_free(ts);
    kfree(ts);
}

static void tcp_release(struct socket *sock)
{
    struct tcp_sock *ts = tsk(sock);
    irqflags_t f = net_lock();
    ts->sock = NULL;
    while (!list_empty(&ts->accept_q)) {
        struct tcp_sock *c = list_first_entry(&ts->accept_q, struct tcp_sock, accept_node);
        list_del(&c->accept_node);
        tcp_drop_unaccepted(c);
    }
    if (ts->pcb) {
        struct tcp_pcb *pcb = ts->pcb;
        if (pcb->state == LISTEN) {
            /* Half-open connections (SYN_RCVD) inherited the listener's callback argument;
             * lwIP drops them once the listener is gone, but they must not point at us. */
            for (struct tcp_pcb *c = tcp_active_pcbs; c; c = c->next)
                if (c->callback_arg == ts)
                    c->callback_arg = NULL;
        }
        tcp_detach(pcb);
        ts->pcb = NULL;
        /* Unread data or SO_LINGER with a zero timeout: reset, as Linux does. */
        bool reset = ts->rx_bytes > 0 || (sock->linger.l_onoff && sock->linger.l_linger == 0);
        if (pcb->state == LISTEN || !reset) {
            if (tcp_close(pcb) != ERR_OK)
                tcp_abort(pcb);
        } else {
            tcp_abort(pcb);
        }
    }
    rxq_free(ts);
    net_unlock(f);
    kfree(ts);
    sock->sk = NULL;
}

static int tcp_bind_op(struct socket *sock, const void *addr, int addrlen)
{
    struct tcp_sock *ts = tsk(sock);
    ip_addr_t ip;
    uint16_t port;
    int err = inet_parse_addr(addr, addrlen, &ip, &port);
    if (err)
        return err;
    irqflags_t f = net_lock();
    if (ts->state == TS_CLOSED && !ts->pcb && tcp_ensure_pcb(ts) != 0) {
        net_unlock(f);
        return -ENOMEM;
    }
    if (ts->state != TS_CLOSED || !ts->pcb || ts->pcb->local_port != 0) {
        net_unlock(f);
        return -EINVAL;
    }
    if (!ip_addr_isany(&ip) && !inet_is_local_addr(&ip)) {
        net_unlock(f);
        return -EADDRNOTAVAIL;
    }
    if (inet_port_requires_bind_service(port)) {
        net_unlock(f);
        return -EACCES;
    }
    err_t e = tcp_bind(ts->pcb, &ip, port);
    if (e == ERR_OK) {
        ip_addr_copy(ts->local_ip, ts->pcb->local_ip);
        ts->local_port = ts->pcb->local_port;
    }
    net_unlock(f);
    return e == ERR_USE ? -EADDRINUSE : inet_err(e);
}

static int tcp_listen_op(struct socket *sock, int backlog)
{
    struct tcp_sock *ts = tsk(sock);
    irqflags_t f = net_lock();
    if (ts->state == TS_LISTEN) {
        net_unlock(f);
        return 0;
    }
    if (ts->state == TS_CLOSED && !ts->pcb && tcp_ensure_pcb(ts) != 0) {
        net_unlock(f);
        return -ENOMEM;
    }
    if (ts->state != TS_CLOSED || !ts->pcb) {
        net_unlock(f);
        return -EINVAL;
    }
    err_t e = ERR_OK;
    if (ts->pcb->local_port == 0)
        e = tcp_bind(ts->pcb, IP4_ADDR_ANY, 0);
    if (e != ERR_OK) {
        net_unlock(f);
        return inet_err(e);
    }
    u8_t bl = (u8_t)(backlog <= 0 ? 1 : backlog > 255 ? 255 : backlog);
    struct tcp_pcb *old = ts->pcb;
    struct tcp_pcb *lpcb = tcp_listen_with_backlog_and_err(old, bl, &e);
    if (!lpcb) {
        net_unlock(f);
        return e == ERR_USE ? -EADDRINUSE : inet_err(e);
    }
    /* The listen pcb replaced (and freed) the old one. */
    ts->pcb = lpcb;
    tcp_arg(lpcb, ts);
    tcp_accept(lpcb, tcp_accept_cb);
    ts->state = TS_LISTEN;
    ip_addr_copy(ts->local_ip, lpcb->local_ip);
    ts->local_port = lpcb->local_port;
    sock->listening = true;
    net_unlock(f);
    return 0;
}

static bool tcp_accept_ready(struct tcp_sock *ts)
{
    irqflags_t f = net_lock();
    bool r = !list_empty(&ts->accept_q) || ts->state != TS_LISTEN;
    net_unlock(f);
    return r;
}

static int tcp_accept_op(struct socket *sock, struct socket *newsock, int flags)
{
    struct tcp_sock *ts = tsk(sock);
    uint64_t deadline = sock_rcv_deadline(sock);
    for (;;) {
        irqflags_t f = net_lock();
        if (ts->state != TS_LISTEN) {
            net_unlock(f);
            return -EINVAL;
        }
        if (!list_empty(&ts->accept_q)) {
            struct tcp_sock *c = list_first_entry(&ts->accept_q, struct tcp_sock, accept_node);
            list_del(&c->accept_node);
            list_init(&c->accept_node);
            ts->accept_len--;
            c->listener = NULL;
            if (c->pcb)
                tcp_backlog_accepted(c->pcb);
            c->sock = newsock;
            newsock->sk = c;
            newsock->ops = &tcp_ops;
            newsock->state = SS_CONNECTED;
            newsock->err = c->pending_err;
            c->pending_err = 0;
            /* Options inherited from the listener (Linux copies these to the child). */
            newsock->keepalive = sock->keepalive;
            newsock->reuseaddr = sock->reuseaddr;
            net_unlock(f);
            return 0;
        }
        net_unlock(f);
        if ((flags & O_NONBLOCK))
            return -EAGAIN;
        int err = sock_wait_event(&sock->wq, tcp_accept_ready(ts), deadline);
        if (err)
            return err;
    }
}

static bool tcp_connect_done(struct tcp_sock *ts)
{
    return READ_ONCE(ts->state) != TS_CONNECTING;
}

static int tcp_connect_op(struct socket *sock, const void *addr, int addrlen, int flags)
{
    struct tcp_sock *ts = tsk(sock);
    ip_addr_t ip;
    uint16_t port;
    irqflags_t f = net_lock();
    int st = ts->state;
    net_unlock(f);
    if (st == TS_CONNECTED) {
        if (sock->state == SS_CONNECTING) {
            sock->state = SS_CONNECTED;
            return 0;
        }
        return -EISCONN;
    }
    if (st == TS_LISTEN)
        return -EISCONN;
    if (st == TS_DEAD) {
        /* A failed non-blocking connect: report it once (as SO_ERROR would), then EISCONN
         * for an established-then-lost connection is not Linux's answer either; keep it
         * simple: the pending error, or ECONNABORTED. */
        int e = sock->err;
        sock->err = 0;
        return e ? e : -ECONNABORTED;
    }
    if (st == TS_CLOSED && sock->state == SS_CONNECTING) {
        /* The asynchronous connect failed: this call reports it (Linux's sock_error). */
        int e = sock->err;
        sock->err = 0;
        sock->state = SS_UNCONNECTED;
        return e ? e : -ECONNREFUSED;
    }
    if (st == TS_CONNECTING) {
        if (flags & O_NONBLOCK)
            return -EALREADY;
    } else {
        int err = inet_parse_addr(addr, addrlen, &ip, &port);
        if (err)
            return err;
        f = net_lock();
        err = tcp_ensure_pcb(ts);
        if (err) {
            net_unlock(f);
            return err;
        }
        ip_addr_copy(ts->remote_ip, ip);
        ts->remote_port = port;
        if (ip_addr_isany(&ip))
            ip_addr_set_loopback(false, &ip);     /* Linux: INADDR_ANY means this host */
        err_t e = tcp_connect(ts->pcb, &ip, port, tcp_connected_cb);
        if (e != ERR_OK) {
            net_unlock(f);
            return e == ERR_USE ? -EADDRNOTAVAIL : inet_err(e);
        }
        ts->state = TS_CONNECTING;
        sock->state = SS_CONNECTING;
        ip_addr_copy(ts->local_ip, ts->pcb->local_ip);
        ts->local_port = ts->pcb->local_port;
        net_unlock(f);
        if (flags & O_NONBLOCK)
            return -EINPROGRESS;
    }
    int err = sock_wait_event(&sock->wq, tcp_connect_done(ts), sock_snd_deadline(sock));
    if (err == -EAGAIN)
        return -EINPROGRESS;    /* SO_SNDTIMEO ran out: Linux says EINPROGRESS */
    if (err)
        return err;
    f = net_lock();
    st = ts->state;
    net_unlock(f);
    if (st == TS_CONNECTED) {
        sock->state = SS_CONNECTED;
        return 0;
    }
    sock->state = SS_UNCONNECTED;
    int e = sock->err;
    sock->err = 0;
    return e ? e : -ECONNREFUSED;
}

static int tcp_getname(struct socket *sock, void *addr, int peer)
{
    struct tcp_sock *ts = tsk(sock);
    irqflags_t f = net_lock();
    if (ts->pcb && ts->pcb->state != LISTEN) {
        ip_addr_copy(ts->local_ip, ts->pcb->local_ip);
        ts->local_port = ts->pcb->local_port;
    }
    int st = ts->state;
    ip_addr_t ip = peer ? ts->remote_ip : ts->local_ip;
    uint16_t port = peer ? ts->remote_port : ts->local_port;
    net_unlock(f);
    if (peer && st != TS_CONNECTED && !(st == TS_DEAD && ts->remote_port))
        return -ENOTCONN;
    return inet_fill_addr(addr, &ip, port);
}

/* Writable (POLLOUT, and what wakes a blocked writer): a third of the send buffer free and
 * the segment queue at most two thirds full, as Linux's sk_stream_is_writeable; or a reason
 * to stop waiting. A writer that finds any room keeps writing until the buffer is full. */
static bool tcp_writable_locked(struct tcp_sock *ts)
{
    if (!ts->pcb || ts->state != TS_CONNECTED || ts->shut_wr)
        return true;
    return tcp_sndbuf(ts->pcb) >= TCP_SND_BUF / 3 &&
           tcp_sndqueuelen(ts->pcb) <= TCP_SND_QUEUELEN * 2 / 3;
}

static bool tcp_can_send(struct tcp_sock *ts)
{
    irqflags_t f = net_lock();
    bool r = tcp_writable_locked(ts) || (ts->sock && ts->sock->err);
    net_unlock(f);
    return r;
}

static long tcp_sendmsg(struct socket *sock, struct kmsghdr *msg, size_t len, int flags)
{
    struct tcp_sock *ts = tsk(sock);
    bool nonblock = sock_nonblock(sock, flags);
    uint64_t deadline = sock_snd_deadline(sock);
    size_t total = 0;
    long ret = 0;
    char *buf = kmalloc(INET_CHUNK);
    if (!buf)
        return -ENOMEM;
    mutex_lock(&ts->send_lock);
    while (total < len) {
        irqflags_t f = net_lock();
        if (sock->err && (ts->state == TS_DEAD || ts->state == TS_CLOSED)) {
            ret = sock->err;
            sock->err = 0;
            net_unlock(f);
            break;
        }
        if (ts->state == TS_CONNECTING) {
            net_unlock(f);
            if (nonblock) {
                ret = -EAGAIN;
                break;
            }
            ret = sock_wait_event(&sock->wq, tcp_connect_done(ts), deadline);
            if (ret)
                break;
            continue;
        }
        if (ts->state != TS_CONNECTED || !ts->pcb) {
            ret = ts->state == TS_DEAD ? -EPIPE : -ENOTCONN;
            net_unlock(f);
            break;
        }
        if (ts->shut_wr) {
            ret = -EPIPE;
            net_unlock(f);
            break;
        }
        size_t room = tcp_sndbuf(ts->pcb);
        bool qfull = tcp_sndqueuelen(ts->pcb) + 4 >= TCP_SND_QUEUELEN;
        net_unlock(f);
        if (room == 0 || qfull) {
            if (nonblock) {
                ret = -EAGAIN;
                break;
            }
            ret = sock_wait_event(&sock->wq, tcp_can_send(ts), deadline);
            if (ret)
                break;
            continue;
        }
        size_t n = MIN(MIN(room, len - total), (size_t)INET_CHUNK);
        n = MIN(n, (size_t)0xffff);
        if (msg_copy_from_iter(buf, &msg->iter, n)) {
            ret = -EFAULT;
            break;
        }
        f = net_lock();
        err_t e = ERR_CONN;
        if (ts->pcb && ts->state == TS_CONNECTED && !ts->shut_wr) {
            u8_t wflags = TCP_WRITE_FLAG_COPY;
            if ((flags & MSG_MORE) || total + n < len)
                wflags |= TCP_WRITE_FLAG_MORE;
            e = tcp_write(ts->pcb, buf, (u16_t)n, wflags);
            if (e == ERR_OK && !(flags & MSG_MORE))
                tcp_output(ts->pcb);
        }
        net_unlock(f);
        if (e != ERR_OK) {
            /* The copied bytes were not queued (room was checked, so this is a lost
             * connection or memory exhaustion): report what was sent before them. */
            ret = e == ERR_MEM ? -ENOBUFS : -EPIPE;
            break;
        }
        total += n;
    }
    mutex_unlock(&ts->send_lock);
    kfree(buf);
    if (total)
        return (long)total;
    return ret;
}

static bool tcp_can_recv(struct tcp_sock *ts)
{
    irqflags_t f = net_lock();
    bool r = ts->rx_bytes > 0 || ts->rx_fin || ts->shut_rd || ts->state == TS_DEAD ||
             (ts->sock && ts->sock->err) || ts->state == TS_CLOSED || ts->state == TS_LISTEN;
    net_unlock(f);
    return r;
}

static long tcp_recvmsg(struct socket *sock, struct kmsghdr *msg, size_t len, int flags)
{
    struct tcp_sock *ts = tsk(sock);
    bool nonblock = sock_nonblock(sock, flags);
    uint64_t deadline = sock_rcv_deadline(sock);
    bool peek = flags & MSG_PEEK;
    size_t total = 0;
    long ret = 0;
    msg->namelen = 0;
    if (flags & MSG_OOB)
        return -EINVAL;     /* no urgent data is ever kept (Linux: EINVAL without OOB data) */
    if (len == 0)
        return 0;
    char *buf = kmalloc(INET_CHUNK);
    if (!buf)
        return -ENOMEM;
    mutex_lock(&ts->recv_lock);
    while (total < len) {
        irqflags_t f = net_lock();
        if (ts->rx_bytes > 0) {
            size_t n = rxq_take(ts, buf, MIN(len - total, (size_t)INET_CHUNK), !peek);
            if (!peek && ts->pcb)
                tcp_recved(ts->pcb, (u16_t)n);
            net_unlock(f);
            if (msg_copy_to_iter(&msg->iter, buf, n)) {
                ret = -EFAULT;
                break;
            }
            total += n;
            if (peek || !(flags & MSG_WAITALL))
                break;
            continue;
        }
        /* Nothing queued. Data already taken is returned, unless MSG_WAITALL asks for the
         * rest: then only end of file, an error, a signal or the timeout end the wait (the
         * caller gets what came, and an error waits for the next call). */
        bool waitall = (flags & MSG_WAITALL) && !peek;
        if (total && !waitall) {
            net_unlock(f);
            break;
        }
        int err = sock->err;
        bool eof = ts->rx_fin || ts->shut_rd;
        int st = ts->state;
        if (err && (st == TS_DEAD || st == TS_CLOSED)) {
            if (!total) {
                sock->err = 0;
                ret = err;
            }
            net_unlock(f);
            break;
        }
        net_unlock(f);
        if (eof || st == TS_DEAD)
            break;          /* end of file */
        if (st == TS_CLOSED || st == TS_LISTEN) {
            ret = -ENOTCONN;
            break;
        }
        if (nonblock) {
            ret = -EAGAIN;
            break;
        }
        ret = sock_wait_event(&sock->wq, tcp_can_recv(ts), deadline);
        if (ret)
            break;
    }
    mutex_unlock(&ts->recv_lock);
    kfree(buf);
    if (total)
        return (long)total;
    return ret;
}

static int tcp_shutdown_op(struct socket *sock, int how)
{
    struct tcp_sock *ts = tsk(sock);
    irqflags_t f = net_lock();
    if (ts->state == TS_LISTEN) {
        /* Linux: shutdown of a listener stops it; accept then fails. */
        net_unlock(f);
        return -ENOTCONN;
    }
    if (ts->state != TS_CONNECTED && ts->state != TS_CONNECTING) {
        net_unlock(f);
        return -ENOTCONN;
    }
    if (how == SHUT_RD || how == SHUT_RDWR)
        ts->shut_rd = true;
    if ((how == SHUT_WR || how == SHUT_RDWR) && !ts->shut_wr) {
        ts->shut_wr = true;
        if (ts->pcb)
            tcp_shutdown(ts->pcb, 0, 1);    /* sends FIN once queued data is out */
    }
    if (ts->shut_rd)
        rxq_free(ts);
    net_unlock(f);
    sock_wake(sock);
    return 0;
}

static unsigned tcp_poll_op(struct socket *sock, struct poll_table *pt)
{
    (void)pt;
    struct tcp_sock *ts = tsk(sock);
    unsigned mask = 0;
    irqflags_t f = net_lock();
    switch (ts->state) {
    case TS_LISTEN:
        if (!list_empty(&ts->accept_q))
            mask |= POLLIN | POLLRDNORM;
        break;
    case TS_CLOSED:
        mask |= POLLOUT | POLLWRNORM | POLLHUP;
        break;
    case TS_CONNECTING:
        break;
    case TS_CONNECTED:
    case TS_DEAD:
        if (ts->rx_bytes > 0 || ts->rx_fin || ts->shut_rd)
            mask |= POLLIN | POLLRDNORM;
        if (ts->rx_fin)
            mask |= POLLRDHUP;
        if (ts->state == TS_DEAD) {
            mask |= POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLHUP;
        } else if (!ts->shut_wr && tcp_writable_locked(ts)) {
            mask |= POLLOUT | POLLWRNORM;
        } else if (ts->shut_wr) {
            mask |= POLLOUT | POLLWRNORM;   /* a write would fail at once (EPIPE) */
        }
        if (ts->shut_wr && (ts->rx_fin || ts->shut_rd))
            mask |= POLLHUP;
        break;
    }
    if (sock->err)
        mask |= POLLERR;
    net_unlock(f);
    return mask;
}

static int tcp_setsockopt_op(struct socket *sock, int level, int name, const void *val,
                             unsigned len)
{
    struct tcp_sock *ts = tsk(sock);
    int v;
    int err = inet_int_opt(val, len, &v);
    if (err)
        return err;
    irqflags_t f = net_lock();
    struct tcp_pcb *pcb = ts->pcb && ts->state != TS_LISTEN ? ts->pcb : NULL;
    int ret = 0;
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_REUSEADDR:
            if (ts->pcb) {
                if (v)
                    ip_set_option(ts->pcb, SOF_REUSEADDR);
                else
                    ip_reset_option(ts->pcb, SOF_REUSEADDR);
            }
            break;
        case SO_KEEPALIVE:
            if (ts->pcb) {
                if (v)
                    ip_set_option(ts->pcb, SOF_KEEPALIVE);
                else
                    ip_reset_option(ts->pcb, SOF_KEEPALIVE);
            }
            break;
        default:
            ret = -ENOPROTOOPT;
        }
    } else if (level == IPPROTO_TCP) {
        switch (name) {
        case TCP_NODELAY:
            ts->nodelay = v != 0;
            if (pcb) {
                if (v)
                    tcp_nagle_disable(pcb);
                else
                    tcp_nagle_enable(pcb);
            }
            break;
        case TCP_KEEPIDLE:
        case TCP_KEEPINTVL:
        case TCP_KEEPCNT:
            if (v < 1 || v > 32767) {
                ret = -EINVAL;
                break;
            }
            if (pcb) {
                if (name == TCP_KEEPIDLE)
                    pcb->keep_idle = (u32_t)v * 1000u;
                else if (name == TCP_KEEPINTVL)
                    pcb->keep_intvl = (u32_t)v * 1000u;
                else
                    pcb->keep_cnt = (u32_t)v;
            }
            break;
        case TCP_MAXSEG:
        case TCP_CORK:
        case TCP_QUICKACK:
            break;          /* accepted; lwIP picks segment sizes and ACK timing itself */
        default:
            ret = -ENOPROTOOPT;
        }
    } else if (level == IPPROTO_IP) {
        switch (name) {
        case IP_TOS:
            if (ts->pcb)
                ts->pcb->tos = (u8_t)v;
            break;
        case IP_TTL:
            if (v < -1 || v == 0 || v > 255)
                ret = -EINVAL;
            else if (ts->pcb)
                ts->pcb->ttl = (u8_t)(v == -1 ? IP_DEFAULT_TTL : v);
            break;
        default:
            ret = -ENOPROTOOPT;
        }
    } else {
        ret = -ENOPROTOOPT;
    }
    net_unlock(f);
    return ret;
}

static int tcp_getsockopt_op(struct socket *sock, int level, int name, void *val, unsigned *len)
{
    struct tcp_sock *ts = tsk(sock);
    irqflags_t f = net_lock();
    struct tcp_pcb *pcb = ts->pcb && ts->state != TS_LISTEN ? ts->pcb : NULL;
    int v = 0, ret = 0;
    if (level == IPPROTO_TCP) {
        switch (name) {
        case TCP_NODELAY: v = ts->nodelay; break;
        case TCP_MAXSEG: v = pcb ? tcp_mss(pcb) : TCP_MSS; break;
        case TCP_KEEPIDLE: v = pcb ? (int)(pcb->keep_idle / 1000) : (int)(TCP_KEEPIDLE_DEFAULT / 1000); break;
        case TCP_KEEPINTVL: v = pcb ? (int)(pcb->keep_intvl / 1000) : (int)(TCP_KEEPINTVL_DEFAULT / 1000); break;
        case TCP_KEEPCNT: v = pcb ? (int)pcb->keep_cnt : (int)TCP_KEEPCNT_DEFAULT; break;
        default: ret = -ENOPROTOOPT;
        }
    } else if (level == IPPROTO_IP) {
        switch (name) {
        case IP_TOS: v = ts->pcb ? ts->pcb->tos : 0; break;
        case IP_TTL: v = ts->pcb ? ts->pcb->ttl : IP_DEFAULT_TTL; break;
        default: ret = -ENOPROTOOPT;
        }
    } else {
        ret = -ENOPROTOOPT;     /* SOL_SOCKET: the layer answers */
    }
    net_unlock(f);
    if (ret)
        return ret;
    return inet_put_int(val, len, v);
}

static long tcp_ioctl_op(struct socket *sock, unsigned cmd, unsigned long arg)
{
    struct tcp_sock *ts = tsk(sock);
    int v;
    irqflags_t f;
    switch (cmd) {
    case SIOCINQ:
        f = net_lock();
        if (ts->state == TS_LISTEN) {
            net_unlock(f);
            return -EINVAL;
        }
        v = (int)MIN(ts->rx_bytes, (size_t)0x7fffffff);
        net_unlock(f);
        return copy_to_user(arg, &v, sizeof v);
    case SIOCOUTQ:
        f = net_lock();
        if (ts->state == TS_LISTEN) {
            net_unlock(f);
            return -EINVAL;
        }
        v = ts->pcb && ts->state == TS_CONNECTED ? (int)(TCP_SND_BUF - tcp_sndbuf(ts->pcb)) : 0;
        net_unlock(f);
        return copy_to_user(arg, &v, sizeof v);
    default:
        return inet_ifioctl(cmd, arg);
    }
}

static const struct proto_ops tcp_ops = {
    .family = AF_INET,
    .release = tcp_release,
    .bind = tcp_bind_op,
    .connect = tcp_connect_op,
    .listen = tcp_listen_op,
    .accept = tcp_accept_op,
    .getname = tcp_getname,
    .sendmsg = tcp_sendmsg,
    .recvmsg = tcp_recvmsg,
    .shutdown = tcp_shutdown_op,
    .poll = tcp_poll_op,
    .setsockopt = tcp_setsockopt_op,
    .getsockopt = tcp_getsockopt_op,
    .ioctl = tcp_ioctl_op,
};

/* ---- /proc/net/tcp ---- */

/* Linux's TCP state numbers (include/net/tcp_states.h) for lwIP's. */
static unsigned linux_tcp_state(enum tcp_state s)
{
    switch (s) {
    case ESTABLISHED: return 1;
    case SYN_SENT: return 2;
    case SYN_RCVD: return 3;
    case FIN_WAIT_1: return 4;
    case FIN_WAIT_2: return 5;
    case TIME_WAIT: return 6;
    case CLOSED: return 7;
    case CLOSE_WAIT: return 8;
    case LAST_ACK: return 9;
    case LISTEN: return 10;
    case CLOSING: return 11;
    }
    return 7;
}

struct tcp_proc_out {
    char *buf;
    size_t size, len;
    int line;
};

static void tcp_proc_pcb(struct tcp_proc_out *o, struct tcp_pcb *pcb)
{
    unsigned txq = 0, rxq = 0;
    struct tcp_sock *ts = pcb->callback_arg;
    if (pcb->state != LISTEN) {
        if (ts && ts->pcb == pcb)
            rxq = (unsigned)ts->rx_bytes;
    } else if (ts && ts->pcb == pcb) {
        rxq = ts->accept_len;
    }
    u32_t la = ip4_addr_get_u32(ip_2_ip4(&pcb->local_ip));
    u32_t ra = pcb->state == LISTEN ? 0 : ip4_addr_get_u32(ip_2_ip4(&pcb->remote_ip));
    u16_t rp = pcb->state == LISTEN ? 0 : pcb->remote_port;
    size_t room = o->len < o->size ? o->size - o->len : 0;
    if (pcb->state != LISTEN)
        txq = (unsigned)(TCP_SND_BUF - pcb->snd_buf);   /* tcp_sndbuf() clamps at 64 KiB */
    int n = ksnprintf(room ? o->buf + o->len : NULL, room,
                      "%4d: %08X:%04X %08X:%04X %02X %08X:%08X 00:00000000 00000000 %5u %8d %lu\n",
                      o->line++, la, pcb->local_port, ra, rp, linux_tcp_state(pcb->state), txq,
                      rxq, 0u, 0, 0ul);
    if (n > 0)
        o->len += (size_t)n;
}

int net_proc_tcp(char *buf, size_t size)
{
    struct tcp_proc_out o = { buf, size, 0, 0 };
    if (size)
        buf[0] = 0;
    size_t room = size;
    int n = ksnprintf(buf, room, "  sl  local_address rem_address   st tx_queue rx_queue tr "
                                 "tm->when retrnsmt   uid  timeout inode\n");
    if (n > 0)
        o.len = (size_t)n;
    irqflags_t f = net_lock();
    for (struct tcp_pcb_listen *l = tcp_listen_pcbs.listen_pcbs; l; l = l->next)
        tcp_proc_pcb(&o, (struct tcp_pcb *)l);
    for (struct tcp_pcb *p = tcp_active_pcbs; p; p = p->next)
        tcp_proc_pcb(&o, p);
    for (struct tcp_pcb *p = tcp_tw_pcbs; p; p = p->next)
        tcp_proc_pcb(&o, p);
    net_unlock(f);
    return (int)o.len;
}
