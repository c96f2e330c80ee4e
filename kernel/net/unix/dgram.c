/* AF_UNIX datagrams (SOCK_DGRAM: connect, send, receive) and records (SOCK_SEQPACKET send and
 * receive). */
#include "unix_internal.h"
#include "string.h"

int unix_dgram_connect(struct socket *sock, const void *uaddr, int len, int flags)
{
    (void)flags;
    struct unix_sock *u = usk(sock);
    if (len < (int)sizeof(sa_family_t))
        return -EINVAL;
    const struct sockaddr *sa = uaddr;
    struct unix_sock *other = NULL;
    int err;
    if (sa->sa_family != AF_UNSPEC) {
        struct unix_name name;
        int nlen = unix_mkname(uaddr, len, &name);
        if (nlen < 0)
            return nlen;
        if (sock->passcred) {
            mutex_lock(&unix_mutex);
            err = unix_autobind_locked(u);
            mutex_unlock(&unix_mutex);
            if (err)
                return err;
        }
        other = unix_find(&name.sun, nlen, SOCK_DGRAM, &err);
        if (!other)
            return err;
    }
    mutex_lock(&unix_mutex);
    err = 0;
    if (other) {
        if (other->type != SOCK_DGRAM)
            err = -EPROTOTYPE;
        else if (other->dead)
            err = -ECONNREFUSED;
        else if (other->peer && other->peer != u && other != u)
            err = -EPERM;
    }
    if (err) {
        unix_put(other);
        mutex_unlock(&unix_mutex);
        return err;
    }
    struct unix_sock *old = u->peer;
    u->peer = other;                    /* the lookup's reference moves here */
    sock->state = other ? SS_CONNECTED : SS_UNCONNECTED;
    if (old)
        unix_put(old);
    mutex_unlock(&unix_mutex);
    wake_up(&unix_dgram_wait);
    return 0;
}

bool unix_recvq_full(const struct unix_sock *to, const struct unix_sock *from, size_t len,
                       int sndbuf)
{
    if (!to->rq_count)
        return false;
    if (to->rq_mem + len + SKB_OVERHEAD > (size_t)sndbuf)
        return true;
    /* The queue-length limit applies to senders other than the receiver's own peer. */
    return to->peer != from && to->rq_count > MAX_DGRAM_QLEN;
}

long unix_dgram_sendmsg(struct socket *sock, struct kmsghdr *msg, size_t len, int flags)
{
    struct unix_sock *u = usk(sock);
    bool seqpacket = u->type == SOCK_SEQPACKET;
    if (flags & MSG_OOB)
        return -EOPNOTSUPP;
    if (len > (size_t)sock->sndbuf - 32)
        return -EMSGSIZE;
    struct unix_sock *other = NULL;       /* an explicit destination (+ref) */
    int err = 0;
    if (!seqpacket && msg->namelen) {
        struct unix_name name;
        int nlen = unix_mkname(msg->name, msg->namelen, &name);
        if (nlen < 0)
            return nlen;
        other = unix_find(&name.sun, nlen, SOCK_DGRAM, &err);
        if (!other)
            return err;
    }
    struct unix_scm scm;
    err = unix_scm_send(msg, &scm);
    if (err) {
        if (other)
            unix_find_put(other);
        return err;
    }
    struct unix_skb *skb = unix_skb_new(len);
    if (!skb) {
        err = -ENOBUFS;
        goto out;
    }
    /* From here `other` is put at the end, after unlocking. */
    if (msg_copy_from_iter(skb->data, &msg->iter, len) < 0) {
        err = -EFAULT;
        goto out;
    }
    skb->cred = scm.cred;
    unix_skb_attach_fds(skb, scm.fds, scm.nfds);
    scm.fds = NULL;
    scm.nfds = 0;

    uint64_t deadline = sock_snd_deadline(sock);
    bool nonblock = sock_nonblock(sock, flags);
    mutex_lock(&unix_mutex);
    if (sock->passcred && !u->addr && (err = unix_autobind_locked(u)))
        goto unlock;
    for (;;) {
        if (u->shutdown & SEND_SHUTDOWN) {
            err = -EPIPE;
            break;
        }
        struct unix_sock *to = other ? other : u->peer;
        if (!to) {
            err = seqpacket ? (u->state == US_CONNECTED ? -EPIPE : -ENOTCONN) : -ENOTCONN;
            break;
        }
        if (seqpacket && u->state != US_CONNECTED) {
            err = -ENOTCONN;
            break;
        }
        if (to->dead) {
            if (seqpacket) {
                err = -EPIPE;
            } else {
                err = -ECONNREFUSED;
                if (!other && u->peer == to) {
                    /* A dead default destination is forgotten (Linux disconnects). */
                    u->peer = NULL;
                    sock->state = SS_UNCONNECTED;
                    unix_put(to);
                }
            }
            break;
        }
        if (!seqpacket && to->type != SOCK_DGRAM) {
            err = -EPROTOTYPE;
            break;
        }
        if (!seqpacket && to->peer && to->peer != u && to != u) {
            err = -EPERM;
            break;
        }
        if (to->shutdown & RCV_SHUTDOWN) {
            err = -EPIPE;
            break;
        }
        if (!unix_recvq_full(to, u, len, sock->sndbuf)) {
            skb->addr = u->addr;
            addr_get(skb->addr);
            list_add_tail(&skb->link, &to->rq);
            to->rq_bytes += len;
            to->rq_mem += len + SKB_OVERHEAD;
            to->rq_count++;
            skb = NULL;
            wake_sock(to);
            err = 0;
            break;
        }
        if (nonblock) {
            err = -EAGAIN;
            break;
        }
        unix_get(to);
        mutex_unlock(&unix_mutex);
        if (seqpacket)
            err = sock_wait_event(&sock->wq, !unix_recvq_full(to, u, len, sock->sndbuf) ||
                                                 READ_ONCE(to->dead) ||
                                                 (READ_ONCE(to->shutdown) & RCV_SHUTDOWN) ||
                                                 (READ_ONCE(u->shutdown) & SEND_SHUTDOWN),
                                  deadline);
        else
            err = sock_wait_event(&unix_dgram_wait, !unix_recvq_full(to, u, len, sock->sndbuf) ||
                                                        READ_ONCE(to->dead) ||
                                                        (READ_ONCE(to->shutdown) & RCV_SHUTDOWN) ||
                                                        (!other && READ_ONCE(u->peer) != to),
                                  deadline);
        mutex_lock(&unix_mutex);
        unix_put(to);
        if (err)
            break;
    }
unlock:
    mutex_unlock(&unix_mutex);
out:
    if (other)
        unix_find_put(other);
    if (skb)
        unix_skb_free(skb);
    unix_scm_destroy(&scm);
    return err ? err : (long)len;
}

long unix_dgram_recvmsg(struct socket *sock, struct kmsghdr *msg, size_t len, int flags)
{
    struct unix_sock *u = usk(sock);
    bool seqpacket = u->type == SOCK_SEQPACKET;
    bool peek = flags & MSG_PEEK;
    if (flags & MSG_OOB)
        return -EOPNOTSUPP;
    uint64_t deadline = sock_rcv_deadline(sock);
    bool nonblock = sock_nonblock(sock, flags);
    mutex_lock(&unix_mutex);
    if (seqpacket && u->state != US_CONNECTED && !(u->shutdown & RCV_SHUTDOWN)) {
        mutex_unlock(&unix_mutex);
        return -ENOTCONN;
    }
    long err = unix_wait_rq(sock, u, nonblock, deadline);
    if (err <= 0) {
        mutex_unlock(&unix_mutex);
        return err;
    }
    /* A peeked message stays queued, so it is read under the mutex; a taken one after. */
    struct unix_skb *skb = list_first_entry(&u->rq, struct unix_skb, link);
    if (!peek) {
        list_del(&skb->link);
        u->rq_bytes -= skb->len;
        u->rq_mem -= skb->len + SKB_OVERHEAD;
        u->rq_count--;
        if (seqpacket)
            wake_sock(u->peer);
        mutex_unlock(&unix_mutex);
        wake_up(&unix_dgram_wait);
    }
    size_t n = MIN(len, skb->len);
    struct file **fds = NULL;
    unsigned nfds = 0;
    struct ucred cred = skb->cred;
    err = msg_copy_to_iter(&msg->iter, skb->data, n) < 0 ? -EFAULT : (long)n;
    if (err >= 0) {
        unix_copy_addr(msg, skb->addr);
        if (skb->len > len)
            msg->flags |= MSG_TRUNC;
        if (seqpacket && !peek)
            msg->flags |= MSG_EOR;
        if (flags & MSG_TRUNC)
            err = (long)skb->len;
        fds = unix_skb_take_fds(skb, peek, &nfds);
    }
    if (peek)
        mutex_unlock(&unix_mutex);
    if (err >= 0)
        unix_scm_recv(sock, msg, &cred, fds, nfds);
    kfree(fds);
    if (!peek)
        unix_skb_free(skb);
    return err;
}
