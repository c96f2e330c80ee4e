/* AF_UNIX connections (listen, connect, accept: SOCK_STREAM and SOCK_SEQPACKET) and byte
 * streams (SOCK_STREAM send and receive). */
#include "unix_internal.h"
#include "string.h"

/* ---- connection set-up ---- */

int unix_listen(struct socket *sock, int backlog)
{
    struct unix_sock *u = usk(sock);
    if (u->type == SOCK_DGRAM)
        return -EOPNOTSUPP;
    mutex_lock(&unix_mutex);
    int err = 0;
    if (!u->addr)
        err = -EINVAL;              /* Linux: listen needs a bound socket */
    else if (u->state == US_CONNECTED)
        err = -EINVAL;
    else {
        if (u->state != US_LISTENING)
            sock_current_ucred(&u->listen_cred);
        u->state = US_LISTENING;
        u->backlog = backlog;
    }
    mutex_unlock(&unix_mutex);
    if (!err)
        wake_up(&unix_conn_wait);
    return err;
}

int unix_stream_connect(struct socket *sock, const void *uaddr, int len, int flags)
{
    struct unix_sock *u = usk(sock);
    struct unix_name name;
    int nlen = unix_mkname(uaddr, len, &name);
    if (nlen < 0)
        return nlen;
    mutex_lock(&unix_mutex);
    int err = u->state == US_CONNECTED ? -EISCONN : u->state == US_LISTENING ? -EINVAL : 0;
    if (!err && sock->passcred && !u->addr)
        err = unix_autobind_locked(u);
    mutex_unlock(&unix_mutex);
    if (err)
        return err;

    struct unix_sock *other = unix_find(&name.sun, nlen, u->type, &err);
    if (!other)
        return err;
    struct unix_sock *embryo = unix_sock_new(u->type);
    if (!embryo) {
        unix_find_put(other);
        return -ENOMEM;
    }
    uint64_t deadline = sock_snd_deadline(sock);
    mutex_lock(&unix_mutex);
    for (;;) {
        if (other->type != u->type) {
            err = -EPROTOTYPE;
            break;
        }
        if (other->dead || other->state != US_LISTENING || (other->shutdown & RCV_SHUTDOWN)) {
            err = -ECONNREFUSED;
            break;
        }
        if (u->state != US_UNCONNECTED) {
            err = u->state == US_CONNECTED ? -EISCONN : -EINVAL;
            break;
        }
        if (other->accept_count <= (unsigned)other->backlog) {
            err = 0;
            break;
        }
        if (flags & O_NONBLOCK) {
            err = -EAGAIN;
            break;
        }
        mutex_unlock(&unix_mutex);
        err = sock_wait_event(&unix_conn_wait,
                              READ_ONCE(other->accept_count) <=
                                      (unsigned)READ_ONCE(other->backlog) ||
                                  READ_ONCE(other->dead) ||
                                  READ_ONCE(other->state) != US_LISTENING,
                              deadline);
        mutex_lock(&unix_mutex);
        if (err)
            break;
    }
    if (err) {
        unix_put(other);
        unix_put(embryo);
        mutex_unlock(&unix_mutex);
        return err;
    }
    /* The server side: named like the listener, credited with the connector's creds. */
    embryo->state = US_CONNECTED;
    embryo->addr = other->addr;
    addr_get(embryo->addr);
    sock_current_ucred(&embryo->peercred);
    embryo->has_peercred = true;
    embryo->peer = u;
    unix_get(u);
    embryo->refcount++;                 /* the accept queue's reference */
    list_add_tail(&embryo->accept_link, &other->accept_q);
    other->accept_count++;
    u->peer = embryo;                   /* keeps the creation reference */
    u->state = US_CONNECTED;
    u->peercred = other->listen_cred;
    u->has_peercred = true;
    sock->state = SS_CONNECTED;
    wake_sock(other);
    unix_put(other);
    mutex_unlock(&unix_mutex);
    return 0;
}

int unix_accept(struct socket *sock, struct socket *newsock, int flags)
{
    struct unix_sock *u = usk(sock);
    if (u->type == SOCK_DGRAM)
        return -EOPNOTSUPP;
    uint64_t deadline = sock_rcv_deadline(sock);
    mutex_lock(&unix_mutex);
    int err = 0;
    for (;;) {
        if (u->state != US_LISTENING) {
            err = -EINVAL;
            break;
        }
        if (!list_empty(&u->accept_q))
            break;
        if (flags & O_NONBLOCK) {
            err = -EAGAIN;
            break;
        }
        mutex_unlock(&unix_mutex);
        err = sock_wait_event(&sock->wq, !list_empty(&u->accept_q) ||
                                             READ_ONCE(u->state) != US_LISTENING, deadline);
        mutex_lock(&unix_mutex);
        if (err)
            break;
    }
    if (err) {
        mutex_unlock(&unix_mutex);
        return err;
    }
    struct unix_sock *e = list_first_entry(&u->accept_q, struct unix_sock, accept_link);
    list_del(&e->accept_link);
    u->accept_count--;
    e->sock = newsock;                  /* the queue's reference becomes the socket's */
    newsock->passcred = sock->passcred; /* inherited, as Linux's unix_sock_inherit_flags */
    newsock->sk = e;
    newsock->state = SS_CONNECTED;
    mutex_unlock(&unix_mutex);
    wake_up(&unix_conn_wait);
    return 0;
}

/* ---- byte streams (SOCK_STREAM) ---- */

long unix_stream_sendmsg(struct socket *sock, struct kmsghdr *msg, size_t len, int flags)
{
    struct unix_sock *u = usk(sock);
    if (flags & MSG_OOB)
        return -EOPNOTSUPP;
    if (msg->namelen) {
        mutex_lock(&unix_mutex);
        bool conn = u->state == US_CONNECTED;
        mutex_unlock(&unix_mutex);
        return conn ? -EISCONN : -EOPNOTSUPP;
    }
    struct unix_scm scm;
    int err = unix_scm_send(msg, &scm);
    if (err)
        return err;
    uint64_t deadline = sock_snd_deadline(sock);
    bool nonblock = sock_nonblock(sock, flags);
    size_t sent = 0;
    size_t limit = (size_t)sock->sndbuf;
    mutex_lock(&unix_mutex);
    if (!u->peer || u->state != US_CONNECTED) {
        err = -ENOTCONN;
        goto unlock;
    }
    struct unix_sock *to = u->peer;       /* fixed for the socket's life: u holds a ref */
    if (u->shutdown & SEND_SHUTDOWN)
        err = -EPIPE;
    while (!err && sent < len) {
        if (u->shutdown & SEND_SHUTDOWN) {
            err = -EPIPE;
            break;
        }
        if (to->dead || (to->shutdown & RCV_SHUTDOWN)) {
            err = -EPIPE;
            break;
        }
        if (to->rq_mem >= limit) {
            if (nonblock) {
                err = -EAGAIN;
                break;
            }
            mutex_unlock(&unix_mutex);
            err = sock_wait_event(&sock->wq, READ_ONCE(to->rq_mem) < limit || READ_ONCE(to->dead) ||
                                                 (READ_ONCE(to->shutdown) & RCV_SHUTDOWN) ||
                                                 (READ_ONCE(u->shutdown) & SEND_SHUTDOWN),
                                  deadline);
            mutex_lock(&unix_mutex);
            if (err)
                break;
            continue;
        }
        size_t n = MIN(MIN(len - sent, (size_t)STREAM_CHUNK), limit - to->rq_mem);
        mutex_unlock(&unix_mutex);
        struct unix_skb *skb = unix_skb_new(n);
        if (!skb) {
            err = -ENOBUFS;
            mutex_lock(&unix_mutex);
            break;
        }
        if (n && msg_copy_from_iter(skb->data, &msg->iter, n) < 0) {
            kfree(skb);
            err = -EFAULT;
            mutex_lock(&unix_mutex);
            break;
        }
        skb->cred = scm.cred;
        mutex_lock(&unix_mutex);
        if (to->dead || (to->shutdown & RCV_SHUTDOWN) || (u->shutdown & SEND_SHUTDOWN)) {
            kfree(skb);
            err = -EPIPE;
            break;
        }
        if (scm.nfds) {
            unix_skb_attach_fds(skb, scm.fds, scm.nfds);
            scm.fds = NULL;
            scm.nfds = 0;
        }
        skb->addr = u->addr;
        addr_get(skb->addr);
        list_add_tail(&skb->link, &to->rq);
        to->rq_bytes += n;
        to->rq_mem += n + SKB_OVERHEAD;
        to->rq_count++;
        sent += n;
        wake_sock(to);
    }
unlock:
    mutex_unlock(&unix_mutex);
    unix_scm_destroy(&scm);
    if (sent)
        return (long)sent;
    return err;
}

long unix_stream_recvmsg(struct socket *sock, struct kmsghdr *msg, size_t len, int flags)
{
    struct unix_sock *u = usk(sock);
    if (flags & MSG_OOB)
        return -EOPNOTSUPP;
    uint64_t deadline = sock_rcv_deadline(sock);
    bool nonblock = sock_nonblock(sock, flags);
    size_t target = (flags & MSG_WAITALL) ? len : MIN(len, (size_t)MAX(sock->rcvlowat, 1));
    size_t done = 0;
    long err = 0;
    struct file **fds = NULL;
    unsigned nfds = 0;
    struct ucred cred;
    bool have_cred = false;
    struct unix_deferred d = { .inode = NULL };
    list_init(&d.skbs);
    mutex_lock(&unix_mutex);
    if (u->state != US_CONNECTED && !(u->shutdown & RCV_SHUTDOWN)) {
        mutex_unlock(&unix_mutex);
        return -EINVAL;
    }
    while (done < len) {
        if (list_empty(&u->rq)) {
            if (done >= target)
                break;
            err = unix_wait_rq(sock, u, nonblock, deadline);
            if (err <= 0)
                break;
            err = 0;
        }
        /* Walk the queue (peeking leaves it as it is). */
        struct list_head *pos = u->rq.next;
        bool stop = false;
        while (pos != &u->rq && done < len) {
            struct unix_skb *skb = list_entry(pos, struct unix_skb, link);
            if (have_cred && (skb->cred.pid != cred.pid || skb->cred.uid != cred.uid ||
                              skb->cred.gid != cred.gid) && sock->passcred) {
                stop = true;    /* never glue data from different writers under SO_PASSCRED */
                break;
            }
            if (!have_cred) {
                cred = skb->cred;
                have_cred = true;
                if (done == 0 && skb->addr && msg->name)
                    unix_copy_addr(msg, skb->addr);
            }
            size_t avail = skb->len - skb->off;
            size_t n = MIN(avail, len - done);
            if (n && msg_copy_to_iter(&msg->iter, skb->data + skb->off, n) < 0) {
                if (!done)
                    err = -EFAULT;
                stop = true;
                break;
            }
            done += n;
            if (skb->nfds && !fds) {
                fds = unix_skb_take_fds(skb, flags & MSG_PEEK, &nfds);
                stop = true;    /* files end a read, as in Linux */
            }
            pos = pos->next;
            if (flags & MSG_PEEK) {
                if (stop)
                    break;
                continue;
            }
            skb->off += n;
            u->rq_bytes -= n;
            u->rq_mem -= n;
            if (skb->off == skb->len) {
                list_del(&skb->link);
                u->rq_mem -= SKB_OVERHEAD;
                u->rq_count--;
                list_add_tail(&skb->link, &d.skbs);
            }
            if (stop)
                break;
        }
        wake_sock(u->peer);
        if (stop || (flags & MSG_PEEK))
            break;
    }
    mutex_unlock(&unix_mutex);
    unix_deferred_run(&d);
    if (done || (!err && have_cred)) {
        if (have_cred)
            unix_scm_recv(sock, msg, &cred, fds, nfds);
        kfree(fds);
        return (long)done;
    }
    if (fds) {
        for (unsigned i = 0; i < nfds; i++)
            file_put(fds[i]);
        kfree(fds);
    }
    return err;
}
