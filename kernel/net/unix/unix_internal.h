/* AF_UNIX sockets: what the files of kernel/net/unix share (each section below names its
 * file).
 *
 * SOCK_STREAM, SOCK_DGRAM and SOCK_SEQPACKET between processes of this
 * machine, named by a filesystem node (bind creates an S_IFSOCK inode; connect finds the
 * socket bound to that inode), by an abstract name (leading NUL byte), or unnamed; socketpair,
 * listen/accept, shutdown, SCM_RIGHTS and SCM_CREDENTIALS, SO_PEERCRED, poll.
 *
 * Shape (as in Linux): a connection-oriented connect() immediately makes the server side of
 * the connection (an "embryo" unix_sock with no struct socket yet) and queues it on the
 * listener; accept() attaches the first embryo to the new socket. Data travels as `unix_skb`s
 * queued on the receiver: one per datagram/record, or chunks of a byte stream.
 *
 * Locking: one mutex, unix_mutex, protects every unix_sock, the name tables and the queues.
 * AF_UNIX traffic is light on this system, and a single lock makes connect/release/send, which
 * touch two or three sockets at once, simple and deadlock-free. Nobody sleeps holding it, and
 * nothing that may re-enter this family (file_put on a passed socket, iput) runs under it:
 * such work is collected (struct unix_deferred) and done after unlocking.
 *
 * Waiting: a reader sleeps on its own socket's queue (sock->wq); a stream/seqpacket writer on
 * its own queue too (the reader wakes its peer's socket when it frees room); a datagram sender,
 * which may not know who will drain the target, sleeps on the global unix_dgram_wait; a
 * connect() waiting for backlog room on unix_conn_wait. Global queues are never freed, so poll
 * may register them safely. */
#pragma once
#include "kernel.h"
#include "net.h"
#include "fs.h"
#include "mm.h"
#include "mutex.h"
#include "uapi/un.h"

#define SUN_PATH_OFF 2              /* offsetof(struct sockaddr_un, sun_path) */

#define SCM_MAX_FD 253
#define MAX_DGRAM_QLEN 10          /* net.unix.max_dgram_qlen */
#define STREAM_CHUNK (16384 - 256) /* bytes per stream skb: keeps allocations at 4 pages */
#define RCV_SHUTDOWN 1u
#define SEND_SHUTDOWN 2u
#define SHUTDOWN_MASK 3u

/* What a queued message costs beyond its data, for the buffer limits: without it a flood of
 * empty messages would be free (Linux counts the skb's truesize). */
#define SKB_OVERHEAD 256

enum unix_state { US_UNCONNECTED, US_LISTENING, US_CONNECTED };

/* A bound name, shared (refcounted) by the socket, its accepted children and queued skbs. */
struct unix_addr {
    int refcount;
    int len;                        /* sockaddr length as getsockname reports it */
    struct sockaddr_un sun;
};

struct unix_skb {
    struct list_head link;
    size_t len, off;                /* data bytes; bytes already read (streams) */
    struct unix_addr *addr;         /* sender's name (+ref) or NULL */
    struct ucred cred;              /* sender's credentials */
    struct file **fds;              /* SCM_RIGHTS in flight (each +1 ref) */
    unsigned nfds;
    char data[];
};

struct unix_sock {
    int refcount;                   /* the socket, peers pointing here, an accept queue */
    int type;
    enum unix_state state;
    struct socket *sock;            /* NULL for an embryo and after release */
    struct unix_sock *peer;         /* +1 ref */
    struct unix_addr *addr;         /* +1 ref */
    struct inode *inode;            /* path name: the bound node (+1 ref) */
    struct list_head name_link;     /* in unix_names while bound */
    struct list_head all_link;      /* in unix_all (/proc/net/unix) */
    bool named, binding, dead;
    unsigned shutdown;              /* RCV_SHUTDOWN | SEND_SHUTDOWN */
    int err;                        /* pending error (negative errno): SO_ERROR */
    struct list_head rq;            /* unix_skbs */
    size_t rq_bytes;                /* data bytes queued (FIONREAD) */
    size_t rq_mem;                  /* bytes + per-message overhead: what the limits count */
    unsigned rq_count;
    struct list_head accept_q;      /* embryos (listeners) */
    unsigned accept_count;
    int backlog;
    struct list_head accept_link;   /* in the listener's accept_q (embryos) */
    struct ucred peercred;          /* SO_PEERCRED */
    bool has_peercred;
    struct ucred listen_cred;       /* the listener's creds, given to connecting clients */
    unsigned inflight;              /* times our file sits in queued messages (atomic) */
    /* Garbage collection scratch (unix_gc, under unix_mutex). */
    bool gc_candidate, gc_alive;
    long gc_refs;
};

static inline struct unix_sock *usk(struct socket *sock) { return sock->sk; }

static inline void unix_get(struct unix_sock *u) { u->refcount++; }      /* under unix_mutex */
static inline void addr_get(struct unix_addr *a)
{
    if (a)
        __atomic_add_fetch(&a->refcount, 1, __ATOMIC_ACQ_REL);
}
static inline void addr_put(struct unix_addr *a)
{
    if (a && __atomic_sub_fetch(&a->refcount, 1, __ATOMIC_ACQ_REL) == 0)
        kfree(a);
}

static inline void wake_sock(struct unix_sock *u)
{
    if (u && u->sock)
        sock_wake(u->sock);
}

static inline int take_err(struct unix_sock *u)
{
    int e = u->err;
    u->err = 0;
    return e;
}

/* What a release or a read frees after dropping unix_mutex. */
struct unix_deferred {
    struct list_head skbs;
    struct inode *inode;
};

/* The control messages of one send: SCM_RIGHTS files (each +1 ref) and the credentials. */
struct unix_scm {
    struct file **fds;
    unsigned nfds;
    struct ucred cred;
};

/* ---- af_unix.c: the family, names, release, the common operations ---- */

/* unix_mutex guards every unix_sock, the name tables and the queues (see the top). */
extern struct mutex unix_mutex;
extern struct list_head unix_all;               /* every unix_sock: /proc/net/unix, the GC */
extern struct wait_queue unix_dgram_wait;
extern struct wait_queue unix_conn_wait;
extern bool unix_draining;                      /* a deferred free is running */

void unix_put(struct unix_sock *u);             /* under unix_mutex; queues already drained */
struct unix_sock *unix_sock_new(int type);
struct unix_skb *unix_skb_new(size_t len);
/* Free a message; runs without unix_mutex (file_put may release another unix socket). */
void unix_skb_free(struct unix_skb *skb);
/* Free what a release or a read collected, after dropping unix_mutex. */
void unix_deferred_run(struct unix_deferred *d);
/* A caller's address (len bytes, already in kernel memory) as a checked, canonical name: a
 * path NUL-terminated and its length recomputed, so a name that fills sun_path needs the
 * extra byte. */
struct unix_name {
    union {
        struct sockaddr_un sun;
        char bytes[sizeof(struct sockaddr_un) + 1];
    };
};
/* Copy uaddr into *name: the name's length, or -EINVAL (too short or long, not AF_UNIX). */
int unix_mkname(const void *uaddr, int len, struct unix_name *name);
/* Find the socket a (canonical) name refers to; returns it with a reference, or NULL with
 * *err: ENOENT/EACCES/... from the path walk, ECONNREFUSED if nothing is bound there. Takes
 * and releases unix_mutex itself. */
struct unix_sock *unix_find(struct sockaddr_un *sun, int len, int type, int *err);
void unix_find_put(struct unix_sock *u);
/* Bind an abstract name "\0xxxxx" (unix_mutex held). */
int unix_autobind_locked(struct unix_sock *u);
/* Store a message's source address in recvmsg's name buffer. */
void unix_copy_addr(struct kmsghdr *msg, const struct unix_addr *a);
/* With unix_mutex held, wait (dropping it while asleep) for a message in u's queue: 1 when
 * there is one, 0 at end of file, or -errno: a pending error (taken), -EAGAIN if not
 * blocking, a signal or the receive timeout. */
long unix_wait_rq(struct socket *sock, struct unix_sock *u, bool nonblock, uint64_t deadline);

/* ---- stream.c: connections, and byte streams (SOCK_STREAM) ---- */

int unix_listen(struct socket *sock, int backlog);
int unix_stream_connect(struct socket *sock, const void *uaddr, int len, int flags);
int unix_accept(struct socket *sock, struct socket *newsock, int flags);
long unix_stream_sendmsg(struct socket *sock, struct kmsghdr *msg, size_t len, int flags);
long unix_stream_recvmsg(struct socket *sock, struct kmsghdr *msg, size_t len, int flags);

/* ---- dgram.c: datagrams (SOCK_DGRAM) and records (SOCK_SEQPACKET) ---- */

/* Would a len-byte message from `from` overflow to's receive queue (unix_mutex held)? */
bool unix_recvq_full(const struct unix_sock *to, const struct unix_sock *from, size_t len,
                     int sndbuf);
int unix_dgram_connect(struct socket *sock, const void *uaddr, int len, int flags);
long unix_dgram_sendmsg(struct socket *sock, struct kmsghdr *msg, size_t len, int flags);
long unix_dgram_recvmsg(struct socket *sock, struct kmsghdr *msg, size_t len, int flags);

/* ---- scm.c: credentials and files passed in messages ---- */

/* AF_UNIX sockets in flight, system-wide: the garbage collector has work only when this is
 * not zero. */
extern unsigned unix_socks_inflight;

/* The unix_sock behind a file, if it is an AF_UNIX socket (the file keeps it alive). */
struct unix_sock *unix_of_file(struct file *f);
void unix_skb_attach_fds(struct unix_skb *skb, struct file **fds, unsigned nfds);
/* Take the files out of a message (the caller now owns the array and the references). */
struct file **unix_skb_detach_fds(struct unix_skb *skb, unsigned *nfds);
/* The files of a message for its reader: a read takes them; a peek gets duplicates (the
 * queued message keeps its own), or none if there is no memory for the copy. */
struct file **unix_skb_take_fds(struct unix_skb *skb, bool peek, unsigned *nfds);
/* Parse a send's control messages into *scm (and the sender's credentials): 0 or -errno. */
int unix_scm_send(struct kmsghdr *msg, struct unix_scm *scm);
void unix_scm_destroy(struct unix_scm *scm);
/* Deliver a received skb's credentials and files as control messages. The files are consumed:
 * installed as new fds, or dropped if they did not fit (MSG_CTRUNC), as Linux does. Called
 * without unix_mutex. */
void unix_scm_recv(struct socket *sock, struct kmsghdr *msg, const struct ucred *cred,
                   struct file **fds, unsigned nfds);

/* ---- garbage.c: collecting cycles of sockets in flight ---- */

/* Find sockets only their own queues keep alive and empty those queues into *d (unix_mutex
 * held). */
void unix_gc_locked(struct unix_deferred *d);
/* Collect if many sockets are in flight (a sender of files calls this; takes the mutex). */
void unix_gc_maybe(void);
