/* The socket layer: socket files, the family registry, and every socket system call. All user
 * memory (sockaddrs, msghdrs, iovecs, control messages, option values) is copied and checked
 * here, so protocol families (AF_UNIX, AF_INET, AF_NETLINK) work on kernel buffers and
 * iterators only. The contract with the families is described at the top of include/net.h. */
#include "kernel.h"
#include "net.h"
#include "fs.h"
#include "mm.h"
#include "string.h"
#include "uaccess.h"
#include "time.h"
#include "signal.h"
#include "syscall.h"
#include "uapi/uio.h"

#define SOCK_MAX (SOCK_PACKET + 1) /* higher types are EINVAL */
#define CONTROL_MAX 65536          /* control message bytes per call (Linux: optmem_max) */
#define SOCK_BUF_DEFAULT 212992    /* net.core.[rw]mem_default and _max */
#define SOCK_MIN_SNDBUF 4608
#define SOCK_MIN_RCVBUF 2304
#define SOCK_INT_MAX 0x7fffffff

/* The layer passes SOCK_NONBLOCK and SOCK_CLOEXEC on as file flags. */
_Static_assert(SOCK_NONBLOCK == O_NONBLOCK && SOCK_CLOEXEC == O_CLOEXEC,
               "socket type flags are the open flags");

static int (*families[AF_MAX])(struct socket *, int, int, bool);

int sock_register_family(int family, int (*create)(struct socket *, int, int, bool))
{
    if (family <= 0 || family >= AF_MAX || !create)
        return -EINVAL;
    if (families[family])
        return -EEXIST;
    families[family] = create;
    return 0;
}

void net_init(void)
{
    unix_init();
    inet_init();
    netlink_init();
}

/* ---- iterators and control messages ---- */

int msg_copy_from_iter(void *dst, struct msg_iter *it, size_t n)
{
    char *d = dst;
    if (n > it->resid)
        return -EFAULT;
    while (n) {
        struct kiovec *v = &it->iov[it->seg];
        size_t left = v->len - it->seg_off;
        if (!left) {
            it->seg++;
            it->seg_off = 0;
            continue;
        }
        size_t k = MIN(left, n);
        if (it->kernel)
            memcpy(d, (const char *)v->base + it->seg_off, k);
        else if (copy_from_user(d, (uaddr_t)(v->base + it->seg_off), k) < 0)
            return -EFAULT;
        d += k;
        n -= k;
        it->seg_off += k;
        it->resid -= k;
    }
    return 0;
}

int msg_copy_to_iter(struct msg_iter *it, const void *src, size_t n)
{
    const char *s = src;
    if (n > it->resid)
        return -EFAULT;
    while (n) {
        struct kiovec *v = &it->iov[it->seg];
        size_t left = v->len - it->seg_off;
        if (!left) {
            it->seg++;
            it->seg_off = 0;
            continue;
        }
        size_t k = MIN(left, n);
        if (it->kernel)
            memcpy((char *)v->base + it->seg_off, s, k);
        else if (copy_to_user((uaddr_t)(v->base + it->seg_off), s, k) < 0)
            return -EFAULT;
        s += k;
        n -= k;
        it->seg_off += k;
        it->resid -= k;
    }
    return 0;
}

void msg_iter_advance(struct msg_iter *it, size_t n)
{
    n = MIN(n, it->resid);
    while (n) {
        struct kiovec *v = &it->iov[it->seg];
        size_t left = v->len - it->seg_off;
        if (!left) {
            it->seg++;
            it->seg_off = 0;
            continue;
        }
        size_t k = MIN(left, n);
        n -= k;
        it->seg_off += k;
        it->resid -= k;
    }
}

void msg_iter_kernel(struct msg_iter *it, struct kiovec *seg, void *buf, size_t len)
{
    seg->base = (uintptr_t)buf;
    seg->len = len;
    it->iov = seg;
    it->nr_segs = 1;
    it->seg = 0;
    it->seg_off = 0;
    it->resid = len;
    it->kernel = true;
}

struct cmsghdr *kcmsg_first(const struct kmsghdr *msg)
{
    return cmsg_first(msg->control, msg->controllen);
}

struct cmsghdr *kcmsg_next(const struct kmsghdr *msg, struct cmsghdr *c)
{
    return cmsg_next(msg->control, msg->controllen, c);
}

int put_cmsg(struct kmsghdr *msg, int level, int type, size_t len, const void *data)
{
    int err = cmsg_append(msg->control, msg->controllen, &msg->control_used, level, type, data,
                          len);
    if (err)
        msg->flags |= MSG_CTRUNC;
    return err;
}

/* ---- socket files ---- */

static const struct file_operations socket_fops;

struct socket *sock_from_file(struct file *f)
{
    return f && f->ops == &socket_fops ? f->private_data : NULL;
}

struct socket *sockfd_lookup(int fd, struct file **filep, int *err)
{
    struct file *f = fget(fd);
    if (!f) {
        *err = -EBADF;
        return NULL;
    }
    struct socket *sock = sock_from_file(f);
    if (!sock) {
        file_put(f);
        *err = -ENOTSOCK;
        return NULL;
    }
    *filep = f;
    return sock;
}

bool sock_nonblock(const struct socket *sock, int msg_flags)
{
    return (msg_flags & MSG_DONTWAIT) ||
           (sock->file && (READ_ONCE(sock->file->flags) & O_NONBLOCK));
}

uint64_t sock_rcv_deadline(const struct socket *sock)
{
    uint64_t t = READ_ONCE(sock->rcvtimeo_ns);
    return t ? ktime_mono_ns() + t : 0;
}

uint64_t sock_snd_deadline(const struct socket *sock)
{
    uint64_t t = READ_ONCE(sock->sndtimeo_ns);
    return t ? ktime_mono_ns() + t : 0;
}

void sock_current_ucred(struct ucred *uc)
{
    uc->pid = current->tgid;
    uc->uid = current->cred.euid;
    uc->gid = current->cred.egid;
}

static struct socket *sock_alloc(int family, int type, int protocol)
{
    struct socket *sock = kzalloc(sizeof(*sock));
    if (!sock)
        return NULL;
    sock->family = family;
    sock->type = type;
    sock->protocol = protocol;
    sock->state = SS_UNCONNECTED;
    wait_queue_init(&sock->wq);
    sock->rcvbuf = SOCK_BUF_DEFAULT;
    sock->sndbuf = SOCK_BUF_DEFAULT;
    sock->rcvlowat = 1;
    return sock;
}

/* Free a socket that never got a file. */
static void sock_destroy(struct socket *sock)
{
    if (sock->sk && sock->ops && sock->ops->release)
        sock->ops->release(sock);
    kfree(sock);
}

/* Give the socket its file: returns it (one reference) or NULL (the socket is then freed). */
static struct file *sock_make_file(struct socket *sock, unsigned flags)
{
    struct file *f = anon_file_new(S_IFSOCK, &socket_fops, sock, O_RDWR | (flags & O_NONBLOCK));
    if (!f) {
        sock_destroy(sock);
        return NULL;
    }
    f->inode->mode = S_IFSOCK | 0777;
    sock->file = f;
    return f;
}

/* A new fd for a socket (file made here); returns the fd or -errno (the socket is freed). */
static int sock_map_fd(struct socket *sock, unsigned flags)
{
    struct file *f = sock_make_file(sock, flags);
    if (!f)
        return -ENFILE;
    int fd = fd_install_new(f, flags & O_CLOEXEC);
    if (fd < 0)
        file_put(f);
    return fd;
}

static int sock_create(int family, int type, int protocol, bool kern, struct socket **out)
{
    if (family < 0 || family >= AF_MAX)
        return -EAFNOSUPPORT;
    if (type < 0 || type >= SOCK_MAX)
        return -EINVAL;
    int (*create)(struct socket *, int, int, bool) = families[family];
    if (!create)
        return -EAFNOSUPPORT;
    struct socket *sock = sock_alloc(family, type, protocol);
    if (!sock)
        return -ENOMEM;
    sock->kern = kern;
    int err = create(sock, type, protocol, kern);
    if (err) {
        sock->sk = NULL;        /* create failed: nothing to release */
        kfree(sock);
        return err;
    }
    *out = sock;
    return 0;
}

/* Sending: the layer's EPIPE rule (streams only, as Linux). */
static long sock_do_sendmsg(struct socket *sock, struct kmsghdr *msg, int flags)
{
    if (!sock->ops->sendmsg)
        return -EOPNOTSUPP;
    long r = sock->ops->sendmsg(sock, msg, msg->iter.resid, flags);
    if (r == -EPIPE && sock->type == SOCK_STREAM && !(flags & MSG_NOSIGNAL))
        send_signal(current, SIGPIPE);
    return r;
}

static long sock_do_recvmsg(struct socket *sock, struct kmsghdr *msg, int flags)
{
    if (!sock->ops->recvmsg)
        return -EOPNOTSUPP;
    return sock->ops->recvmsg(sock, msg, msg->iter.resid, flags);
}

static ssize_t sock_read(struct file *f, struct uio *to, loff_t *pos)
{
    (void)pos;
    struct socket *sock = f->private_data;
    struct kiovec seg = { to->kernel ? (uintptr_t)to->kbase : (uintptr_t)to->ubase, to->resid };
    struct kmsghdr msg = { .iter = { .iov = &seg, .nr_segs = 1, .resid = seg.len,
                                     .kernel = to->kernel } };
    if (!seg.len)
        return 0;
    long r = sock_do_recvmsg(sock, &msg, 0);
    if (r > 0) {
        size_t n = MIN((size_t)r, to->resid);
        to->resid -= n;
        if (to->kernel)
            to->kbase = (char *)to->kbase + n;
        else
            to->ubase += n;
    }
    return r;
}

static ssize_t sock_write(struct file *f, struct uio *from, loff_t *pos)
{
    (void)pos;
    struct socket *sock = f->private_data;
    struct kiovec seg = { from->kernel ? (uintptr_t)from->kbase : (uintptr_t)from->ubase,
                          from->resid };
    struct kmsghdr msg = { .iter = { .iov = &seg, .nr_segs = 1, .resid = seg.len,
                                     .kernel = from->kernel } };
    long r = sock_do_sendmsg(sock, &msg, 0);
    if (r > 0) {
        size_t n = MIN((size_t)r, from->resid);
        from->resid -= n;
        if (from->kernel)
            from->kbase = (char *)from->kbase + n;
        else
            from->ubase += n;
    }
    return r;
}

/* readv/writev on a socket: `iov` is an array of struct iovec, which is struct kiovec's
 * layout. */
_Static_assert(sizeof(struct kiovec) == sizeof(struct iovec) &&
               offsetof(struct kiovec, len) == offsetof(struct iovec, iov_len),
               "kiovec must match the iovec layout");
ssize_t sock_iov_rw(struct file *f, const void *iov, unsigned n, bool write)
{
    struct socket *sock = sock_from_file(f);
    if (!sock)
        return -ENOTSOCK;
    struct kmsghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.iter.iov = (struct kiovec *)iov;
    msg.iter.nr_segs = n;
    for (unsigned i = 0; i < n; i++)
        msg.iter.resid += msg.iter.iov[i].len;
    if (!write && !msg.iter.resid)
        return 0;
    return write ? sock_do_sendmsg(sock, &msg, 0) : sock_do_recvmsg(sock, &msg, 0);
}

static unsigned sock_poll(struct file *f, struct poll_table *pt)
{
    struct socket *sock = f->private_data;
    poll_wait(f, &sock->wq, pt);
    if (!sock->ops->poll)
        return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
    return sock->ops->poll(sock, pt);
}

static long sock_ioctl(struct file *f, unsigned cmd, unsigned long arg)
{
    struct socket *sock = f->private_data;
    long r = -ENOIOCTLCMD;
    if (sock->ops->ioctl)
        r = sock->ops->ioctl(sock, cmd, arg);
    if (r == -ENOIOCTLCMD)      /* interface ioctls work on any socket (Linux's dev_ioctl) */
        r = inet_ifioctl(cmd, arg);
    if (r == -ENOIOCTLCMD)
        r = -ENOTTY;
    return r;
}

static loff_t sock_llseek(struct file *f, loff_t off, int whence)
{
    (void)f; (void)off; (void)whence;
    return -ESPIPE;
}

static void sock_release_file(struct file *f)
{
    struct socket *sock = f->private_data;
    if (!sock)
        return;
    sock->file = NULL;
    sock_destroy(sock);
}

static const struct file_operations socket_fops = {
    .read = sock_read,
    .write = sock_write,
    .poll = sock_poll,
    .ioctl = sock_ioctl,
    .llseek = sock_llseek,
    .release = sock_release_file,
};

/* ---- user addresses ---- */

static int move_addr_from_user(uaddr_t uaddr, long len, struct sockaddr_storage *k)
{
    if (len < 0 || len > (long)sizeof(*k))
        return -EINVAL;
    if (len && copy_from_user(k, uaddr, (size_t)len) < 0)
        return -EFAULT;
    return 0;
}

/* Copy a kernel address out, truncated to the user's buffer; the user length becomes the
 * full length (Linux's move_addr_to_user). */
static int move_addr_to_user(const void *kaddr, int klen, uaddr_t uaddr, uaddr_t ulenp)
{
    uint32_t ulen;
    if (get_user_u32(&ulen, ulenp) < 0)
        return -EFAULT;
    if ((int32_t)ulen < 0)
        return -EINVAL;
    size_t n = MIN((size_t)ulen, (size_t)klen);
    if (n && copy_to_user(uaddr, kaddr, n) < 0)
        return -EFAULT;
    return put_user_u32((uint32_t)klen, ulenp) < 0 ? -EFAULT : 0;
}

/* ---- socket, socketpair, bind, listen, accept, connect, names ---- */

SYSCALL_DEFINE3(socket, int, family, int, type, int, protocol)
{
    unsigned flags = (unsigned)type & ~(unsigned)SOCK_TYPE_MASK;
    if (flags & ~(unsigned)(SOCK_NONBLOCK | SOCK_CLOEXEC))
        return -EINVAL;
    struct socket *sock;
    int err = sock_create(family, type & SOCK_TYPE_MASK, protocol, false, &sock);
    if (err)
        return err;
    return sock_map_fd(sock, flags);
}

SYSCALL_DEFINE4(socketpair, int, family, int, type, int, protocol, uaddr_t, usockvec)
{
    unsigned flags = (unsigned)type & ~(unsigned)SOCK_TYPE_MASK;
    if (flags & ~(unsigned)(SOCK_NONBLOCK | SOCK_CLOEXEC))
        return -EINVAL;
    type &= SOCK_TYPE_MASK;
    struct socket *a, *b;
    int err = sock_create(family, type, protocol, false, &a);
    if (err)
        return err;
    err = sock_create(family, type, protocol, false, &b);
    if (err) {
        sock_destroy(a);
        return err;
    }
    if (!a->ops->socketpair) {
        sock_destroy(a);
        sock_destroy(b);
        return -EOPNOTSUPP;
    }
    err = a->ops->socketpair(a, b);
    if (err) {
        sock_destroy(a);
        sock_destroy(b);
        return err;
    }
    struct file *fa = sock_make_file(a, flags);
    if (!fa) {
        sock_destroy(b);
        return -ENFILE;
    }
    struct file *fb = sock_make_file(b, flags);
    if (!fb) {
        file_put(fa);
        return -ENFILE;
    }
    int fds[2];
    fds[0] = fd_install_new(fa, flags & O_CLOEXEC);
    if (fds[0] < 0) {
        file_put(fa);
        file_put(fb);
        return fds[0];
    }
    fds[1] = fd_install_new(fb, flags & O_CLOEXEC);
    if (fds[1] < 0) {
        fd_close(fds[0]);
        file_put(fb);
        return fds[1];
    }
    if (copy_to_user(usockvec, fds, sizeof(fds)) < 0) {
        fd_close(fds[0]);
        fd_close(fds[1]);
        return -EFAULT;
    }
    return 0;
}

SYSCALL_DEFINE3(bind, int, fd, uaddr_t, umyaddr, int, addrlen)
{
    struct file *f;
    int err;
    struct socket *sock = sockfd_lookup(fd, &f, &err);
    if (!sock)
        return err;
    struct sockaddr_storage addr;
    err = move_addr_from_user(umyaddr, addrlen, &addr);
    if (!err)
        err = sock->ops->bind ? sock->ops->bind(sock, &addr, addrlen) : -EOPNOTSUPP;
    file_put(f);
    return err;
}

SYSCALL_DEFINE2(listen, int, fd, int, backlog)
{
    struct file *f;
    int err;
    struct socket *sock = sockfd_lookup(fd, &f, &err);
    if (!sock)
        return err;
    /* A negative backlog is a huge one, as in Linux. */
    unsigned ubacklog = (unsigned)backlog;
    if (ubacklog > SOMAXCONN)
        ubacklog = SOMAXCONN;
    err = sock->ops->listen ? sock->ops->listen(sock, (int)ubacklog) : -EOPNOTSUPP;
    if (!err)
        sock->listening = true;
    file_put(f);
    return err;
}

static long do_accept(int fd, uaddr_t uaddr, uaddr_t ulenp, int flags)
{
    if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
        return -EINVAL;
    struct file *f;
    int err;
    struct socket *sock = sockfd_lookup(fd, &f, &err);
    if (!sock)
        return err;
    if (!sock->ops->accept) {
        file_put(f);
        return -EOPNOTSUPP;
    }
    struct socket *newsock = sock_alloc(sock->family, sock->type, sock->protocol);
    if (!newsock) {
        file_put(f);
        return -ENOMEM;
    }
    newsock->ops = sock->ops;
    err = sock->ops->accept(sock, newsock, (int)(READ_ONCE(f->flags) & O_NONBLOCK));
    file_put(f);
    if (err) {
        sock_destroy(newsock);
        return err;
    }
    struct file *nf = sock_make_file(newsock, (unsigned)flags);
    if (!nf)
        return -ENFILE;
    if (uaddr) {
        struct sockaddr_storage addr;
        int len = newsock->ops->getname ? newsock->ops->getname(newsock, &addr, 1) : -ENOTCONN;
        err = len < 0 ? -ECONNABORTED : move_addr_to_user(&addr, len, uaddr, ulenp);
        if (err) {
            file_put(nf);
            return err;
        }
    }
    int nfd = fd_install_new(nf, (unsigned)flags & O_CLOEXEC);
    if (nfd < 0)
        file_put(nf);
    return nfd;
}

SYSCALL_DEFINE3(accept, int, fd, uaddr_t, upeer_sockaddr, uaddr_t, upeer_addrlen)
{
    return do_accept(fd, upeer_sockaddr, upeer_addrlen, 0);
}

SYSCALL_DEFINE4(accept4, int, fd, uaddr_t, upeer_sockaddr, uaddr_t, upeer_addrlen, int, flags)
{
    return do_accept(fd, upeer_sockaddr, upeer_addrlen, flags);
}

SYSCALL_DEFINE3(connect, int, fd, uaddr_t, uservaddr, int, addrlen)
{
    struct file *f;
    int err;
    struct socket *sock = sockfd_lookup(fd, &f, &err);
    if (!sock)
        return err;
    struct sockaddr_storage addr;
    err = move_addr_from_user(uservaddr, addrlen, &addr);
    if (!err && !sock->ops->connect)
        err = -EOPNOTSUPP;
    if (!err)
        err = sock->ops->connect(sock, &addr, addrlen, (int)(READ_ONCE(f->flags) & O_NONBLOCK));
    file_put(f);
    return err;
}

static long do_getname(int fd, uaddr_t uaddr, uaddr_t ulenp, int peer)
{
    struct file *f;
    int err;
    struct socket *sock = sockfd_lookup(fd, &f, &err);
    if (!sock)
        return err;
    struct sockaddr_storage addr;
    memset(&addr, 0, sizeof(addr));
    int len = sock->ops->getname ? sock->ops->getname(sock, &addr, peer) : -EOPNOTSUPP;
    err = len < 0 ? len : move_addr_to_user(&addr, len, uaddr, ulenp);
    file_put(f);
    return err;
}

SYSCALL_DEFINE3(getsockname, int, fd, uaddr_t, usockaddr, uaddr_t, usockaddr_len)
{
    return do_getname(fd, usockaddr, usockaddr_len, 0);
}

SYSCALL_DEFINE3(getpeername, int, fd, uaddr_t, usockaddr, uaddr_t, usockaddr_len)
{
    return do_getname(fd, usockaddr, usockaddr_len, 1);
}

/* ---- sending and receiving ---- */

/* Read the iovec array into a kmalloc'd kiovec array (*out, free with kfree). */
static int import_msg_iov(uint64_t uiov, uint64_t cnt, struct msg_iter *it)
{
    memset(it, 0, sizeof(*it));
    if (cnt > UIO_MAXIOV)
        return -EMSGSIZE;
    if (cnt == 0)
        return 0;
    struct iovec *uv = kmalloc(sizeof(*uv) * cnt);
    struct kiovec *kv = kmalloc(sizeof(*kv) * cnt);
    if (!uv || !kv) {
        kfree(uv);
        kfree(kv);
        return -ENOMEM;
    }
    if (copy_from_user(uv, (uaddr_t)uiov, sizeof(*uv) * cnt) < 0) {
        kfree(uv);
        kfree(kv);
        return -EFAULT;
    }
    size_t sum = 0;
    for (uint64_t i = 0; i < cnt; i++) {
        if ((int64_t)uv[i].iov_len < 0) {
            kfree(uv);
            kfree(kv);
            return -EINVAL;
        }
        /* Clamp like Linux: the total never exceeds MAX_RW_COUNT. */
        size_t len = MIN(uv[i].iov_len, MAX_RW_COUNT - sum);
        kv[i].base = (uintptr_t)uv[i].iov_base;
        kv[i].len = len;
        sum += len;
    }
    kfree(uv);
    it->iov = kv;
    it->nr_segs = (unsigned)cnt;
    it->resid = sum;
    return 0;
}

/* The data: sendto/recvfrom's one segment `seg`, or else the msghdr's iovec array (then kfree
 * it->iov when done). */
static int msg_data_get(struct msg_iter *it, struct kiovec *seg, const struct user_msghdr *um)
{
    if (!seg)
        return import_msg_iov(um->msg_iov, um->msg_iovlen, it);
    *it = (struct msg_iter){ .iov = seg, .nr_segs = 1, .resid = seg->len };
    return 0;
}

/* sendmsg with the user's msghdr *um (a kernel copy); sendto is this with one segment `seg`
 * and no control messages. A name of length 0 is no name. */
static long do_sendmsg(struct socket *sock, const struct user_msghdr *um, struct kiovec *seg,
                       int flags)
{
    struct kmsghdr msg;
    memset(&msg, 0, sizeof(msg));
    struct sockaddr_storage addr;
    long r;
    if (um->msg_namelen < 0)
        return -EINVAL;
    if (um->msg_name && um->msg_namelen) {
        /* Linux clamps an over-long name to sockaddr_storage rather than failing. */
        int namelen = MIN(um->msg_namelen, (int)sizeof(addr));
        r = move_addr_from_user((uaddr_t)um->msg_name, namelen, &addr);
        if (r)
            return r;
        msg.name = &addr;
        msg.namelen = namelen;
    }
    r = msg_data_get(&msg.iter, seg, um);
    if (r)
        return r;
    void *control = NULL;
    if (um->msg_controllen > SOCK_INT_MAX) {
        r = -ENOBUFS;
        goto out;
    }
    if (um->msg_controllen >= sizeof(struct cmsghdr)) {
        if (um->msg_controllen > CONTROL_MAX) {
            r = -ENOBUFS;
            goto out;
        }
        control = kmalloc(um->msg_controllen);
        if (!control) {
            r = -ENOMEM;
            goto out;
        }
        if (copy_from_user(control, (uaddr_t)um->msg_control, um->msg_controllen) < 0) {
            r = -EFAULT;
            goto out;
        }
        r = cmsg_validate(control, um->msg_controllen);
        if (r)
            goto out;
        msg.control = control;
        msg.controllen = um->msg_controllen;
    }
    r = sock_do_sendmsg(sock, &msg, flags);
out:
    kfree(control);
    if (!seg)
        kfree(msg.iter.iov);
    return r;
}

/* recvmsg into the user's msghdr *um (a kernel copy); on success updates um's namelen,
 * controllen and flags, which the caller writes back. recvfrom is this with one segment `seg`,
 * no control buffer, and *ulenp the user address of its address length, which (as Linux's
 * move_addr_to_user) is read and rewritten only after the data was taken. */
static long do_recvmsg(struct socket *sock, struct user_msghdr *um, struct kiovec *seg,
                       const uaddr_t *ulenp, int flags)
{
    struct kmsghdr msg;
    memset(&msg, 0, sizeof(msg));
    struct sockaddr_storage addr;
    if (um->msg_name) {
        if (um->msg_namelen < 0)
            return -EINVAL;
        msg.name = &addr;
    }
    long r = msg_data_get(&msg.iter, seg, um);
    if (r)
        return r;
    void *control = NULL;
    size_t clen = um->msg_control ? MIN(um->msg_controllen, (uint64_t)CONTROL_MAX) : 0;
    if (clen) {
        control = kzalloc(clen);
        if (!control) {
            r = -ENOMEM;
            goto out;
        }
        msg.control = control;
        msg.controllen = clen;
    }
    msg.cmsg_cloexec = flags & MSG_CMSG_CLOEXEC;
    r = sock_do_recvmsg(sock, &msg, flags & ~MSG_CMSG_CLOEXEC);
    if (r < 0)
        goto out;
    if (um->msg_name) {
        int n = MIN(um->msg_namelen, msg.namelen);
        int e = ulenp ? move_addr_to_user(&addr, msg.namelen, (uaddr_t)um->msg_name, *ulenp)
                : n > 0 && copy_to_user((uaddr_t)um->msg_name, &addr, (size_t)n) < 0 ? -EFAULT : 0;
        if (e) {
            r = e;
            goto out;
        }
        um->msg_namelen = msg.namelen;
    } else {
        um->msg_namelen = 0;
    }
    if (msg.control_used && copy_to_user((uaddr_t)um->msg_control, control, msg.control_used) < 0) {
        r = -EFAULT;
        goto out;
    }
    um->msg_controllen = msg.control_used;
    um->msg_flags = msg.flags;
out:
    kfree(control);
    if (!seg)
        kfree(msg.iter.iov);
    return r;
}

SYSCALL_DEFINE6(sendto, int, fd, uaddr_t, buff, size_t, len, unsigned, flags, uaddr_t, addr,
                int, addr_len)
{
    struct file *f;
    int err;
    struct socket *sock = sockfd_lookup(fd, &f, &err);
    if (!sock)
        return err;
    /* No address: the length is ignored. An address longer than sockaddr_storage is EINVAL
     * here (Linux's move_addr_to_kernel), where sendmsg clamps it. */
    struct user_msghdr um = { .msg_name = addr, .msg_namelen = addr ? addr_len : 0 };
    struct kiovec seg = { (uintptr_t)buff, MIN(len, MAX_RW_COUNT) };
    long r = um.msg_namelen > (int)sizeof(struct sockaddr_storage)
                 ? -EINVAL : do_sendmsg(sock, &um, &seg, (int)flags);
    file_put(f);
    return r;
}

SYSCALL_DEFINE6(recvfrom, int, fd, uaddr_t, ubuf, size_t, size, unsigned, flags, uaddr_t, addr,
                uaddr_t, addr_len)
{
    struct file *f;
    int err;
    struct socket *sock = sockfd_lookup(fd, &f, &err);
    if (!sock)
        return err;
    struct user_msghdr um = { .msg_name = addr };
    struct kiovec seg = { (uintptr_t)ubuf, MIN(size, MAX_RW_COUNT) };
    long r = do_recvmsg(sock, &um, &seg, &addr_len, (int)flags);
    file_put(f);
    return r;
}

/* Write back what recvmsg changes in the user's msghdr. */
static int put_msghdr_result(uaddr_t umsg, const struct user_msghdr *um)
{
    if (copy_to_user(umsg + offsetof(struct user_msghdr, msg_namelen), &um->msg_namelen,
                     sizeof(um->msg_namelen)) < 0 ||
        copy_to_user(umsg + offsetof(struct user_msghdr, msg_controllen), &um->msg_controllen,
                     sizeof(um->msg_controllen)) < 0 ||
        copy_to_user(umsg + offsetof(struct user_msghdr, msg_flags), &um->msg_flags,
                     sizeof(um->msg_flags)) < 0)
        return -EFAULT;
    return 0;
}

SYSCALL_DEFINE3(sendmsg, int, fd, uaddr_t, msg, unsigned, flags)
{
    struct file *f;
    int err;
    struct socket *sock = sockfd_lookup(fd, &f, &err);
    if (!sock)
        return err;
    struct user_msghdr um;
    long r = copy_from_user(&um, msg, sizeof(um)) < 0
                 ? -EFAULT : do_sendmsg(sock, &um, NULL, (int)flags);
    file_put(f);
    return r;
}

SYSCALL_DEFINE3(recvmsg, int, fd, uaddr_t, msg, unsigned, flags)
{
    struct file *f;
    int err;
    struct socket *sock = sockfd_lookup(fd, &f, &err);
    if (!sock)
        return err;
    struct user_msghdr um;
    long r = copy_from_user(&um, msg, sizeof(um)) < 0
                 ? -EFAULT : do_recvmsg(sock, &um, NULL, NULL, (int)flags);
    if (r >= 0 && put_msghdr_result(msg, &um) < 0)
        r = -EFAULT;
    file_put(f);
    return r;
}

SYSCALL_DEFINE4(sendmmsg, int, fd, uaddr_t, mmsg, unsigned, vlen, unsigned, flags)
{
    struct file *f;
    int err;
    struct socket *sock = sockfd_lookup(fd, &f, &err);
    if (!sock)
        return err;
    vlen = MIN(vlen, (unsigned)UIO_MAXIOV);
    long done = 0, r = 0;
    for (unsigned i = 0; i < vlen; i++) {
        uaddr_t u = mmsg + i * sizeof(struct mmsghdr);
        struct mmsghdr mm;
        if (copy_from_user(&mm, u, sizeof(mm)) < 0) {
            r = -EFAULT;
            break;
        }
        r = do_sendmsg(sock, &mm.msg_hdr, NULL, (int)flags);
        if (r < 0)
            break;
        if (put_user_u32((uint32_t)r, u + offsetof(struct mmsghdr, msg_len)) < 0) {
            r = -EFAULT;
            break;
        }
        done++;
    }
    file_put(f);
    return done ? done : r;
}

SYSCALL_DEFINE5(recvmmsg, int, fd, uaddr_t, mmsg, unsigned, vlen, unsigned, flags,
                uaddr_t, timeout)
{
    struct file *f;
    int err;
    struct socket *sock = sockfd_lookup(fd, &f, &err);
    if (!sock)
        return err;
    uint64_t deadline = 0;
    if (timeout) {
        struct kernel_timespec ts;
        if (copy_from_user(&ts, timeout, sizeof(ts)) < 0) {
            file_put(f);
            return -EFAULT;
        }
        if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (int64_t)NSEC_PER_SEC) {
            file_put(f);
            return -EINVAL;
        }
        deadline = ktime_mono_ns() + (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
    }
    vlen = MIN(vlen, (unsigned)UIO_MAXIOV);
    long done = 0, r = 0;
    for (unsigned i = 0; i < vlen; i++) {
        uaddr_t u = mmsg + i * sizeof(struct mmsghdr);
        struct mmsghdr mm;
        if (copy_from_user(&mm, u, sizeof(mm)) < 0) {
            r = -EFAULT;
            break;
        }
        r = do_recvmsg(sock, &mm.msg_hdr, NULL, NULL, (int)(flags & ~MSG_WAITFORONE));
        if (r < 0)
            break;
        mm.msg_len = (uint32_t)r;
        if (put_msghdr_result(u, &mm.msg_hdr) < 0 ||
            put_user_u32(mm.msg_len, u + offsetof(struct mmsghdr, msg_len)) < 0) {
            r = -EFAULT;
            break;
        }
        done++;
        if (flags & MSG_WAITFORONE)
            flags |= MSG_DONTWAIT;
        /* Linux checks the timeout only after each datagram. */
        if (deadline && ktime_mono_ns() >= deadline)
            break;
    }
    file_put(f);
    return done ? done : r;
}

/* ---- options ---- */

static int set_timeout(uint64_t *out, const void *val, unsigned len)
{
    struct kernel_sock_timeval tv;
    if (len < sizeof(tv))
        return -EINVAL;
    memcpy(&tv, val, sizeof(tv));
    if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
        return -EDOM;
    if (tv.tv_sec < 0) {
        *out = 1;       /* Linux: a negative timeout means "do not wait" */
        return 0;
    }
    *out = (uint64_t)tv.tv_sec * NSEC_PER_SEC + (uint64_t)tv.tv_usec * 1000;
    return 0;
}

static int sock_setsockopt_generic(struct socket *sock, int name, const void *val, unsigned len)
{
    int v = 0;
    bool is_int = name != SO_LINGER && name != SO_RCVTIMEO_OLD && name != SO_SNDTIMEO_OLD &&
                  name != SO_RCVTIMEO_NEW && name != SO_SNDTIMEO_NEW && name != SO_BINDTODEVICE;
    if (is_int) {
        if (len < sizeof(int))
            return -EINVAL;
        memcpy(&v, val, sizeof(int));
    }
    switch (name) {
    case SO_DEBUG: return 0;
    case SO_REUSEADDR: sock->reuseaddr = v != 0; return 0;
    case SO_REUSEPORT: sock->reuseport = v != 0; return 0;
    case SO_KEEPALIVE: sock->keepalive = v != 0; return 0;
    case SO_BROADCAST: sock->broadcast = v != 0; return 0;
    case SO_PASSCRED: sock->passcred = v != 0; return 0;
    case SO_OOBINLINE: sock->oobinline = v != 0; return 0;
    case SO_DONTROUTE: sock->dontroute = v != 0; return 0;
    case SO_SNDBUF:
    case SO_SNDBUFFORCE:
        if (name == SO_SNDBUFFORCE && current->cred.euid != 0)
            return -EPERM;
        v = v < 0 ? 0 : MIN(v, SOCK_BUF_DEFAULT);
        sock->sndbuf = MAX(v * 2, SOCK_MIN_SNDBUF);
        return 0;
    case SO_RCVBUF:
    case SO_RCVBUFFORCE:
        if (name == SO_RCVBUFFORCE && current->cred.euid != 0)
            return -EPERM;
        v = v < 0 ? 0 : MIN(v, SOCK_BUF_DEFAULT);
        sock->rcvbuf = MAX(v * 2, SOCK_MIN_RCVBUF);
        return 0;
    case SO_RCVLOWAT:
        sock->rcvlowat = v < 0 ? SOCK_INT_MAX : (v ? v : 1);
        return 0;
    case SO_PRIORITY:
        if ((v < 0 || v > 6) && current->cred.euid != 0)
            return -EPERM;
        sock->priority = v;
        return 0;
    case SO_MARK:
        if (current->cred.euid != 0)
            return -EPERM;
        sock->mark = v;
        return 0;
    case SO_LINGER:
        if (len < sizeof(struct linger))
            return -EINVAL;
        memcpy(&sock->linger, val, sizeof(struct linger));
        sock->linger.l_onoff = sock->linger.l_onoff != 0;
        return 0;
    case SO_RCVTIMEO_OLD:
    case SO_RCVTIMEO_NEW:
        return set_timeout(&sock->rcvtimeo_ns, val, len);
    case SO_SNDTIMEO_OLD:
    case SO_SNDTIMEO_NEW:
        return set_timeout(&sock->sndtimeo_ns, val, len);
    default:
        return -ENOPROTOOPT;
    }
}

static int sock_getsockopt_generic(struct socket *sock, int name, void *val, unsigned *len)
{
    int v;
    switch (name) {
    case SO_TYPE: v = sock->type; break;
    case SO_PROTOCOL: v = sock->protocol; break;
    case SO_DOMAIN: v = sock->family; break;
    case SO_ERROR: v = -__atomic_exchange_n(&sock->err, 0, __ATOMIC_ACQ_REL); break;
    case SO_ACCEPTCONN: v = sock->listening; break;
    case SO_DEBUG: v = 0; break;
    case SO_REUSEADDR: v = sock->reuseaddr; break;
    case SO_REUSEPORT: v = sock->reuseport; break;
    case SO_KEEPALIVE: v = sock->keepalive; break;
    case SO_BROADCAST: v = sock->broadcast; break;
    case SO_PASSCRED: v = sock->passcred; break;
    case SO_OOBINLINE: v = sock->oobinline; break;
    case SO_DONTROUTE: v = sock->dontroute; break;
    case SO_SNDBUF: v = sock->sndbuf; break;
    case SO_RCVBUF: v = sock->rcvbuf; break;
    case SO_RCVLOWAT: v = sock->rcvlowat; break;
    case SO_SNDLOWAT: v = 1; break;
    case SO_PRIORITY: v = sock->priority; break;
    case SO_MARK: v = sock->mark; break;
    case SO_LINGER:
        *len = MIN(*len, (unsigned)sizeof(struct linger));
        memcpy(val, &sock->linger, *len);
        return 0;
    case SO_RCVTIMEO_OLD:
    case SO_RCVTIMEO_NEW:
    case SO_SNDTIMEO_OLD:
    case SO_SNDTIMEO_NEW: {
        uint64_t ns = (name == SO_RCVTIMEO_OLD || name == SO_RCVTIMEO_NEW) ? sock->rcvtimeo_ns
                                                                           : sock->sndtimeo_ns;
        struct kernel_sock_timeval tv = { (int64_t)(ns / NSEC_PER_SEC),
                                          (int64_t)(ns % NSEC_PER_SEC) / 1000 };
        *len = MIN(*len, (unsigned)sizeof(tv));
        memcpy(val, &tv, *len);
        return 0;
    }
    default:
        return -ENOPROTOOPT;
    }
    *len = MIN(*len, (unsigned)sizeof(int));
    memcpy(val, &v, *len);
    return 0;
}

SYSCALL_DEFINE5(setsockopt, int, fd, int, level, int, optname, uaddr_t, optval, int, optlen)
{
    struct file *f;
    int err;
    struct socket *sock = sockfd_lookup(fd, &f, &err);
    if (!sock)
        return err;
    char *buf = NULL;
    if (optlen < 0) {
        err = -EINVAL;
        goto out;
    }
    unsigned len = MIN((unsigned)optlen, (unsigned)SOCK_OPT_MAX);
    buf = kzalloc(SOCK_OPT_MAX);
    if (!buf) {
        err = -ENOMEM;
        goto out;
    }
    if (len && copy_from_user(buf, optval, len) < 0) {
        err = -EFAULT;
        goto out;
    }
    if (level == SOL_SOCKET) {
        err = sock_setsockopt_generic(sock, optname, buf, len);
        if (err && err != -ENOPROTOOPT)
            goto out;
        if (sock->ops->setsockopt) {
            int perr = sock->ops->setsockopt(sock, level, optname, buf, len);
            if (perr != -ENOPROTOOPT)
                err = perr;
        }
    } else {
        err = sock->ops->setsockopt ? sock->ops->setsockopt(sock, level, optname, buf, len)
                                    : -EOPNOTSUPP;
    }
out:
    kfree(buf);
    file_put(f);
    return err;
}

SYSCALL_DEFINE5(getsockopt, int, fd, int, level, int, optname, uaddr_t, optval, uaddr_t, optlen)
{
    struct file *f;
    int err;
    struct socket *sock = sockfd_lookup(fd, &f, &err);
    if (!sock)
        return err;
    char *buf = NULL;
    uint32_t ulen;
    if (get_user_u32(&ulen, optlen) < 0) {
        err = -EFAULT;
        goto out;
    }
    if ((int32_t)ulen < 0) {
        err = -EINVAL;
        goto out;
    }
    buf = kzalloc(SOCK_OPT_MAX);
    if (!buf) {
        err = -ENOMEM;
        goto out;
    }
    unsigned len = MIN(ulen, (unsigned)SOCK_OPT_MAX);
    err = level == SOL_SOCKET ? -ENOPROTOOPT : -EOPNOTSUPP;
    if (sock->ops->getsockopt)
        err = sock->ops->getsockopt(sock, level, optname, buf, &len);
    if (err == -ENOPROTOOPT && level == SOL_SOCKET) {
        len = MIN(ulen, (unsigned)SOCK_OPT_MAX);
        err = sock_getsockopt_generic(sock, optname, buf, &len);
    }
    if (err)
        goto out;
    len = MIN(len, (unsigned)SOCK_OPT_MAX);     /* never trust a protocol to stay inside buf */
    if ((len && copy_to_user(optval, buf, len) < 0) || put_user_u32(len, optlen) < 0)
        err = -EFAULT;
out:
    kfree(buf);
    file_put(f);
    return err;
}

SYSCALL_DEFINE2(shutdown, int, fd, int, how)
{
    struct file *f;
    int err;
    struct socket *sock = sockfd_lookup(fd, &f, &err);
    if (!sock)
        return err;
    if (how < SHUT_RD || how > SHUT_RDWR)
        err = -EINVAL;
    else
        err = sock->ops->shutdown ? sock->ops->shutdown(sock, how) : -EOPNOTSUPP;
    file_put(f);
    return err;
}
