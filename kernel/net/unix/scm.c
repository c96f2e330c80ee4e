/* AF_UNIX control messages: SCM_CREDENTIALS and SCM_RIGHTS in and out, and the count of files
 * in flight (held by queued messages) that bounds them and tells the garbage collector when it
 * has work. */
#include "unix_internal.h"
#include "string.h"

/* Files in flight (held by queued messages), system-wide. Unprivileged senders may not push it
 * past UNIX_INFLIGHT_MAX: in-flight files count against no fd table, so this is what bounds
 * them (Linux: too_many_unix_fds). */
#define UNIX_INFLIGHT_MAX 16384
static unsigned unix_inflight;

unsigned unix_socks_inflight;

struct unix_sock *unix_of_file(struct file *f)
{
    struct socket *s = sock_from_file(f);
    return s && s->ops && s->ops->family == AF_UNIX ? s->sk : NULL;
}

static void inflight_account(struct file **fds, unsigned nfds, int delta)
{
    __atomic_add_fetch(&unix_inflight, (unsigned)((int)nfds * delta), __ATOMIC_RELAXED);
    for (unsigned i = 0; i < nfds; i++) {
        struct unix_sock *u = fds[i] ? unix_of_file(fds[i]) : NULL;
        if (u) {
            __atomic_add_fetch(&u->inflight, (unsigned)delta, __ATOMIC_RELAXED);
            __atomic_add_fetch(&unix_socks_inflight, (unsigned)delta, __ATOMIC_RELAXED);
        }
    }
}

void unix_skb_attach_fds(struct unix_skb *skb, struct file **fds, unsigned nfds)
{
    skb->fds = fds;
    skb->nfds = nfds;
    inflight_account(fds, nfds, 1);
}

struct file **unix_skb_detach_fds(struct unix_skb *skb, unsigned *nfds)
{
    struct file **fds = skb->fds;
    *nfds = skb->nfds;
    inflight_account(fds, skb->nfds, -1);
    skb->fds = NULL;
    skb->nfds = 0;
    return fds;
}

static void current_ucred_real(struct ucred *uc)
{
    uc->pid = current->tgid;
    uc->uid = current->cred.uid;
    uc->gid = current->cred.gid;
}

void unix_scm_destroy(struct unix_scm *scm)
{
    for (unsigned i = 0; i < scm->nfds; i++)
        file_put(scm->fds[i]);
    kfree(scm->fds);
    scm->fds = NULL;
    scm->nfds = 0;
}

static bool cred_ok(const struct ucred *uc)
{
    const struct cred *c = &current->cred;
    if (c->euid == 0)
        return true;
    if (uc->pid != current->tgid)
        return false;
    if (uc->uid != c->uid && uc->uid != c->euid && uc->uid != c->suid)
        return false;
    if (uc->gid != c->gid && uc->gid != c->egid && uc->gid != c->sgid)
        return false;
    return true;
}

int unix_scm_send(struct kmsghdr *msg, struct unix_scm *scm)
{
    if (msg->control)
        unix_gc_maybe();
    current_ucred_real(&scm->cred);
    scm->fds = NULL;
    scm->nfds = 0;
    for (struct cmsghdr *c = kcmsg_first(msg); c; c = kcmsg_next(msg, c)) {
        if (c->cmsg_level != SOL_SOCKET)
            continue;
        size_t dlen = c->cmsg_len - KCMSG_HDRLEN;
        if (c->cmsg_len < KCMSG_HDRLEN)
            goto inval;
        if (c->cmsg_type == SCM_RIGHTS) {
            unsigned n = (unsigned)(dlen / sizeof(int32_t));
            if (!n)
                continue;
            if (scm->nfds + n > SCM_MAX_FD)
                goto inval;
            struct file **nf = kmalloc(sizeof(*nf) * (scm->nfds + n));
            if (!nf) {
                unix_scm_destroy(scm);
                return -ENOMEM;
            }
            if (scm->nfds)
                memcpy(nf, scm->fds, sizeof(*nf) * scm->nfds);
            kfree(scm->fds);
            scm->fds = nf;
            const int32_t *fdp = KCMSG_DATA(c);
            for (unsigned i = 0; i < n; i++) {
                struct file *f = fget(fdp[i]);
                if (!f) {
                    unix_scm_destroy(scm);
                    return -EBADF;
                }
                scm->fds[scm->nfds++] = f;
            }
        } else if (c->cmsg_type == SCM_CREDENTIALS) {
            if (c->cmsg_len != KCMSG_LEN(sizeof(struct ucred)))
                goto inval;
            struct ucred uc;
            memcpy(&uc, KCMSG_DATA(c), sizeof(uc));
            if (!cred_ok(&uc)) {
                unix_scm_destroy(scm);
                return -EPERM;
            }
            scm->cred = uc;
        } else {
            goto inval;
        }
    }
    if (scm->nfds && current->cred.euid != 0 &&
        __atomic_load_n(&unix_inflight, __ATOMIC_RELAXED) + scm->nfds > UNIX_INFLIGHT_MAX) {
        unix_scm_destroy(scm);
        return -ETOOMANYREFS;
    }
    return 0;
inval:
    unix_scm_destroy(scm);
    return -EINVAL;
}

void unix_scm_recv(struct socket *sock, struct kmsghdr *msg, const struct ucred *cred,
                     struct file **fds, unsigned nfds)
{
    if (sock->passcred)
        put_cmsg(msg, SOL_SOCKET, SCM_CREDENTIALS, sizeof(*cred), cred);
    if (!nfds)
        return;
    size_t room = msg->control && msg->controllen > msg->control_used + KCMSG_HDRLEN
                      ? msg->controllen - msg->control_used - KCMSG_HDRLEN : 0;
    unsigned fit = (unsigned)MIN((size_t)nfds, room / sizeof(int32_t));
    int32_t *ints = fit ? kmalloc(sizeof(int32_t) * fit) : NULL;
    unsigned done = 0;
    if (ints) {
        for (; done < fit; done++) {
            int fd = fd_install_new(fds[done], msg->cmsg_cloexec ? O_CLOEXEC : 0);
            if (fd < 0)
                break;
            ints[done] = fd;
            fds[done] = NULL;       /* the table owns the reference now */
        }
        if (done)
            put_cmsg(msg, SOL_SOCKET, SCM_RIGHTS, sizeof(int32_t) * done, ints);
        kfree(ints);
    }
    if (done < nfds)
        msg->flags |= MSG_CTRUNC;
    for (unsigned i = 0; i < nfds; i++)
        if (fds[i])
            file_put(fds[i]);
}

struct file **unix_skb_take_fds(struct unix_skb *skb, bool peek, unsigned *nfds)
{
    if (!peek)
        return unix_skb_detach_fds(skb, nfds);
    struct file **fds = skb->nfds ? kmalloc(sizeof(*fds) * skb->nfds) : NULL;
    *nfds = fds ? skb->nfds : 0;
    for (unsigned i = 0; i < *nfds; i++) {
        fds[i] = skb->fds[i];
        file_get(fds[i]);
    }
    return fds;
}
