/* The socket layer: BSD sockets as open files, and the interface a protocol family implements.
 *
 * HOW A FAMILY PLUGS IN
 *
 *  1. Register a create function once at boot:
 *         sock_register_family(AF_INET, inet_create);
 *     net_init() (kernel/net/socket.c, called from kmain after the VFS is up) calls each
 *     family's init function (unix_init, inet_init, netlink_init, declared below), which
 *     registers it; a new family adds its init there. Registering later (from a driver probe,
 *     say) works too.
 *
 *  2. socket(family, type, protocol) allocates a zeroed `struct socket`, fills family, type
 *     (without SOCK_NONBLOCK/SOCK_CLOEXEC), protocol and the SOL_SOCKET defaults, and calls
 *     create(sock, type, protocol, kern). create checks type/protocol (-ESOCKTNOSUPPORT,
 *     -EPROTONOSUPPORT, -EPROTOTYPE as Linux does), sets sock->ops and its own state in
 *     sock->sk, and returns 0 or -errno. Only then is the file made: sock->file is the struct
 *     file (an S_IFSOCK inode with its own inode number; fstat and /proc/<pid>/fd see it).
 *
 *  3. The layer does every user-memory copy and argument check that is not protocol
 *     specific: sockaddrs arrive in kernel buffers (at most sizeof(struct sockaddr_storage),
 *     addrlen already checked to be 0..128), data moves through a `struct msg_iter` (use
 *     msg_copy_from_iter / msg_copy_to_iter, which do the checked user copies), control
 *     messages are copied in and length-validated before sendmsg (walk them with
 *     kcmsg_first/kcmsg_next) and recvmsg writes them with put_cmsg() into a kernel buffer that
 *     the layer copies out (cmsg.h has the header layout). read()/write()/readv()/writev() on
 *     a socket become one recvmsg/sendmsg each (a whole vector is one message), flags 0, no
 *     address.
 *
 *  4. Blocking: decide with sock_nonblock(sock, flags) (file O_NONBLOCK or MSG_DONTWAIT), get
 *     the deadline from sock_rcv_deadline()/sock_snd_deadline() (SO_RCVTIMEO/SO_SNDTIMEO; 0 =
 *     none), and sleep with sock_wait_event(wq, cond, deadline): 0 when cond held, -EAGAIN
 *     when the timeout ran out, -ERESTARTSYS/-EINTR for a signal (return it as is). Anything
 *     that can change readiness (data in, room freed, connection made or lost, error) must
 *     call sock_wake(sock) (any context, interrupts included): sock->wq is what poll/select
 *     and blocked callers of this socket wait on. Wait queues live as long as the socket;
 *     never sleep on another socket's queue unless you hold a reference that keeps it alive.
 *
 *  5. Errors the layer handles: -EPIPE from sendmsg on a SOCK_STREAM socket raises SIGPIPE
 *     unless MSG_NOSIGNAL (so TCP and AF_UNIX streams just return -EPIPE; Linux sends no
 *     SIGPIPE for datagram or seqpacket sockets); SO_ERROR reads and clears sock->err (set it
 *     to a negative errno for asynchronous errors, e.g. a refused non-blocking connect, and
 *     sock_wake()).
 *
 *  6. Options: for SOL_SOCKET the layer stores the generic options in struct socket (fields
 *     below) and then also passes the call to ops->setsockopt if present (ignoring its
 *     -ENOPROTOOPT), so a protocol can react to SO_REUSEADDR, SO_KEEPALIVE, SO_RCVBUF, ... .
 *     getsockopt(SOL_SOCKET) asks ops->getsockopt first; -ENOPROTOOPT falls back to the layer.
 *     Other levels go to the protocol only (absent: -EOPNOTSUPP, as Linux). Option values are
 *     kernel buffers of at most SOCK_OPT_MAX bytes.
 *
 *  7. Lifetime: ops->release(sock) runs once, when the last file reference is dropped (or when
 *     accept fails after ops->accept gave newsock an sk); free sock->sk there and wake any peer.
 *     The struct socket itself is freed by the layer afterwards. The protocol must not keep a
 *     pointer to the struct socket after release without its own reference scheme.
 *
 *  8. accept: the layer makes `newsock` (same family, type, protocol and ops, sk NULL, no file
 *     yet) and calls ops->accept(sock, newsock, flags) with flags = O_NONBLOCK if the listening
 *     file is non-blocking; the protocol attaches the connection to newsock->sk (state
 *     SS_CONNECTED) or returns -errno (-EAGAIN, -EINVAL if not listening, ...). The layer then
 *     gives it a file and an fd.
 */
#pragma once
#include "types.h"
#include "fs.h"
#include "sched.h"
#include "cmsg.h"
#include "uapi/socket.h"
#include "uapi/sockios.h"

struct poll_table;

/* The socket type in socket()'s type argument (the rest is SOCK_NONBLOCK | SOCK_CLOEXEC). */
#define SOCK_TYPE_MASK 0xf

/* struct socket.state, as Linux's socket_state. Maintained by the protocol; the layer reads
 * it only for getpeername-style checks the protocol does not do itself. */
#define SS_FREE 0
#define SS_UNCONNECTED 1
#define SS_CONNECTING 2
#define SS_CONNECTED 3
#define SS_DISCONNECTING 4

/* The largest socket address (struct sockaddr_storage). */
#define SOCKADDR_MAX _K_SS_MAXSIZE

/* ---- data and control buffers ---- */

/* One segment of the data: a user range (checked on every copy by uaccess), or kernel memory
 * when the iterator is a kernel one. */
struct kiovec {
    uintptr_t base;
    size_t len;
};

/* Where the bytes of one sendmsg/recvmsg come from / go to. Consumed as it is copied. */
struct msg_iter {
    struct kiovec *iov;
    unsigned nr_segs;
    unsigned seg;          /* current segment */
    size_t seg_off;        /* offset in it */
    size_t resid;          /* bytes left in all segments */
    bool kernel;           /* bases are kernel pointers */
};
/* Copy n bytes (n <= resid) and advance: 0, or -EFAULT (the iterator may have advanced over
 * the bytes copied before the fault). */
int msg_copy_from_iter(void *dst, struct msg_iter *it, size_t n);
int msg_copy_to_iter(struct msg_iter *it, const void *src, size_t n);
/* Skip n bytes (for MSG_TRUNC-style discards). */
void msg_iter_advance(struct msg_iter *it, size_t n);
/* A single-segment kernel iterator over buf (for sockets used from inside the kernel). */
void msg_iter_kernel(struct msg_iter *it, struct kiovec *seg, void *buf, size_t len);

/* The kernel-side msghdr handed to ops->sendmsg / ops->recvmsg. */
struct kmsghdr {
    struct msg_iter iter;
    /* sendmsg: the destination (NULL/0 if none given). recvmsg: a SOCKADDR_MAX buffer (NULL if
     * the caller does not want the source address); the protocol stores the address and sets
     * namelen (leave 0 for "no address", as connected stream sockets do). */
    void *name;
    int namelen;
    /* sendmsg: the validated control messages (controllen bytes, NULL if none).
     * recvmsg: a buffer of `controllen` bytes; put_cmsg() fills it and advances
     * control_used (and sets MSG_CTRUNC when it does not fit). */
    void *control;
    size_t controllen;
    size_t control_used;
    /* recvmsg: flags returned to the user (MSG_TRUNC, MSG_CTRUNC, MSG_EOR, MSG_OOB). */
    unsigned flags;
    /* recvmsg: MSG_CMSG_CLOEXEC was given (SCM_RIGHTS fds get FD_CLOEXEC). */
    bool cmsg_cloexec;
};

/* Control message headers: struct cmsghdr (uapi/socket.h); the KCMSG_* macros are in cmsg.h. */
/* Walk sendmsg's control messages (already validated: every cmsg_len >= KCMSG_HDRLEN and
 * within controllen). */
struct cmsghdr *kcmsg_first(const struct kmsghdr *msg);
struct cmsghdr *kcmsg_next(const struct kmsghdr *msg, struct cmsghdr *c);
/* Append a control message to recvmsg's buffer: 0, or -ENOBUFS if it did not fit (then
 * MSG_CTRUNC is set; a partial SCM_RIGHTS is the caller's business: see net/unix/scm.c). */
int put_cmsg(struct kmsghdr *msg, int level, int type, size_t len, const void *data);

/* ---- sockets and protocol families ---- */

struct socket;
struct proto_ops {
    int family;
    /* Last close: free sk and wake/notify any peer. Called only if sk != NULL. */
    void (*release)(struct socket *sock);
    int (*bind)(struct socket *sock, const void *addr, int addrlen);
    /* flags: O_NONBLOCK (file) -> -EINPROGRESS instead of waiting, where that applies. */
    int (*connect)(struct socket *sock, const void *addr, int addrlen, int flags);
    int (*listen)(struct socket *sock, int backlog);
    int (*accept)(struct socket *sock, struct socket *newsock, int flags);
    /* Connect two fresh sockets made by the layer (both sk set by create). NULL: -EOPNOTSUPP. */
    int (*socketpair)(struct socket *a, struct socket *b);
    /* Store the local (peer = 0) or remote (peer = 1) address in a SOCKADDR_MAX buffer;
     * returns its length or -errno (-ENOTCONN for a missing peer). */
    int (*getname)(struct socket *sock, void *addr, int peer);
    /* Returns bytes sent or -errno (-EPIPE on a stream: the layer raises SIGPIPE). len =
     * iter.resid. */
    long (*sendmsg)(struct socket *sock, struct kmsghdr *msg, size_t len, int flags);
    /* Returns bytes received (with MSG_TRUNC in flags: the datagram's real length) or -errno;
     * 0 is end of file. len = iter.resid. */
    long (*recvmsg)(struct socket *sock, struct kmsghdr *msg, size_t len, int flags);
    int (*shutdown)(struct socket *sock, int how);      /* how: SHUT_RD/WR/RDWR (checked) */
    /* The POLL* mask now. The layer has already registered sock->wq with the poll table;
     * register other queues with poll_wait(sock->file, wq, pt). NULL: POLLIN|POLLOUT. */
    unsigned (*poll)(struct socket *sock, struct poll_table *pt);
    int (*setsockopt)(struct socket *sock, int level, int name, const void *val, unsigned len);
    /* *len: capacity on entry, bytes stored on return. */
    int (*getsockopt)(struct socket *sock, int level, int name, void *val, unsigned *len);
    /* Protocol ioctls (FIONREAD/SIOCINQ, SIOCOUTQ, SIOCGIF* for AF_INET...); NULL or
     * -ENOIOCTLCMD: -ENOTTY (FIONBIO/FIOCLEX/FIOASYNC are answered by fs/misc.c before this;
     * FIONBIO is also passed on, result ignored). arg is a user address. */
    long (*ioctl)(struct socket *sock, unsigned cmd, unsigned long arg);
};
#ifndef ENOIOCTLCMD
#define ENOIOCTLCMD 515         /* kernel-internal: "not my ioctl" */
#endif
#define SOCK_OPT_MAX 512

struct socket {
    int family, type, protocol;
    unsigned state;                 /* SS_* (the protocol keeps it) */
    const struct proto_ops *ops;
    void *sk;                       /* the protocol's state */
    struct file *file;              /* the open file (no reference; NULL until made) */
    struct wait_queue wq;           /* readiness changes: sock_wake() */
    int err;                        /* pending error (negative errno) for SO_ERROR */
    /* SOL_SOCKET options (the layer keeps them; protocols read them). */
    uint64_t rcvtimeo_ns, sndtimeo_ns;      /* 0 = wait forever */
    int rcvbuf, sndbuf;
    int rcvlowat;
    int priority;
    int mark;
    struct linger linger;
    bool reuseaddr, reuseport, keepalive, broadcast, passcred, oobinline, dontroute,
         timestamp;
    bool listening;                 /* listen() succeeded (SO_ACCEPTCONN) */
    bool kern;                      /* created by the kernel */
};

int sock_register_family(int family, int (*create)(struct socket *sock, int type, int protocol,
                                                   bool kern));
/* Start the socket layer and every family (kmain, once). */
void net_init(void);
/* /proc/sys/net/ipv4/ip_unprivileged_port_start: the first port bind(2) gives a user other
 * than root (TCP and UDP; 1024 as Linux). */
extern int sysctl_ip_unprivileged_port_start;
/* The families' setup, called by net_init(): each registers its create function. */
void unix_init(void);           /* kernel/net/unix/af_unix.c */
void inet_init(void);           /* kernel/net/inet/af_inet.c (also starts lwIP and virtio-net) */
void netlink_init(void);        /* kernel/net/netlink/af_netlink.c */
/* Interface and route ioctls (SIOCGIF..., SIOCSIF..., SIOCADDRT) on any socket, as Linux's
 * dev_ioctl (kernel/net/inet/ifioctl.c): -ENOIOCTLCMD if cmd is not one of them. */
long inet_ifioctl(unsigned cmd, unsigned long arg);

/* The socket behind an open file, or NULL if the file is not a socket. */
struct socket *sock_from_file(struct file *f);
/* Current's fd -> socket with a reference on its file (*filep; file_put when done), or NULL
 * with *err = -EBADF / -ENOTSOCK. */
struct socket *sockfd_lookup(int fd, struct file **filep, int *err);

static inline void sock_wake(struct socket *sock) { wake_up(&sock->wq); }
bool sock_nonblock(const struct socket *sock, int msg_flags);
/* Absolute CLOCK_MONOTONIC deadlines from SO_RCVTIMEO/SO_SNDTIMEO; 0 = none. Take it once at
 * the start of an operation. */
uint64_t sock_rcv_deadline(const struct socket *sock);
uint64_t sock_snd_deadline(const struct socket *sock);
/* Sleep on wq until cond; see point 4 above. `deadline` 0 waits forever. A signal gives
 * -ERESTARTSYS when there is no timeout and -EINTR otherwise (Linux's sock_intr_errno). */
#define sock_wait_event(wq, cond, deadline)                                              \
    ({                                                                                   \
        int __ret = 0;                                                                   \
        uint64_t __dl = (deadline);                                                      \
        struct wait_entry __we;                                                          \
        for (;;) {                                                                       \
            prepare_to_wait((wq), &__we, TASK_INTERRUPTIBLE);                            \
            if (cond)                                                                    \
                break;                                                                   \
            if (signal_pending(current)) {                                               \
                __ret = __dl ? -EINTR : -ERESTARTSYS;                                    \
                break;                                                                   \
            }                                                                            \
            if (!schedule_timeout(__dl)) {                                               \
                __ret = (cond) ? 0 : -EAGAIN;                                            \
                break;                                                                   \
            }                                                                            \
        }                                                                                \
        finish_wait((wq), &__we);                                                        \
        __ret;                                                                           \
    })

/* For SCM_RIGHTS and the like: the credentials of the calling process as a ucred. */
void sock_current_ucred(struct ucred *uc);
