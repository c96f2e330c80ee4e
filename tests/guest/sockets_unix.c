/*
 * sockets_unix.c - AF_UNIX sockets and the generic socket system calls.
 *
 * socket/socketpair flags and errors; stream, datagram and seqpacket semantics (boundaries,
 * truncation, EOF, EPIPE/SIGPIPE, ECONNRESET, shutdown); path names (the S_IFSOCK node,
 * EADDRINUSE, ENOENT, ECONNREFUSED, EPROTOTYPE), abstract names and autobind; listen backlog
 * and accept4; getsockname/getpeername; SCM_RIGHTS and SCM_CREDENTIALS; SO_PEERCRED and the
 * generic options; poll/select readiness; non-blocking and timed I/O; readv/writev,
 * sendmmsg/recvmmsg; EFAULT on bad pointers; sendto/recvfrom address rules against
 * sendmsg/recvmsg; records, peeking and files with short buffers; a bulk transfer between
 * two processes.
 * Everything here is checked against Linux too (OPENV_TEST_KERNEL=linux).
 */
#include "check.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>

static char dir[64];
static volatile sig_atomic_t got_sigpipe;

static void on_sigpipe(int sig) { (void)sig; got_sigpipe++; }

static socklen_t mkaddr(struct sockaddr_un *sa, const char *name)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/%s", dir, name);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(sa->sun_path) + 1);
}

/* An abstract name; the length covers exactly the bytes used. */
static socklen_t mkabstract(struct sockaddr_un *sa, const char *name)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    size_t n = strlen(name);
    memcpy(sa->sun_path + 1, name, n);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_creation(void)
{
    CHECK_ERR(socket(1000, SOCK_STREAM, 0), EAFNOSUPPORT, "unknown family -> EAFNOSUPPORT");
    CHECK_ERR(socket(AF_UNIX, SOCK_RDM, 0), ESOCKTNOSUPPORT, "SOCK_RDM -> ESOCKTNOSUPPORT");
    CHECK_ERR(socket(AF_UNIX, SOCK_STREAM, 5), EPROTONOSUPPORT, "protocol 5 -> EPROTONOSUPPORT");
    if (under_qemu_user())
        check_skip("unknown type flag -> EINVAL", "qemu-user drops unknown socket flags");
    else
        CHECK_ERR(socket(AF_UNIX, SOCK_STREAM | 0x100000, 0), EINVAL, "unknown type flag -> EINVAL");

    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (!CHECK(s >= 0, "socket(AF_UNIX, SOCK_STREAM|CLOEXEC|NONBLOCK)"))
        return;
    CHECK(fcntl(s, F_GETFD) & FD_CLOEXEC, "SOCK_CLOEXEC sets FD_CLOEXEC");
    CHECK(fcntl(s, F_GETFL) & O_NONBLOCK, "SOCK_NONBLOCK sets O_NONBLOCK");
    CHECK((fcntl(s, F_GETFL) & O_ACCMODE) == O_RDWR, "a socket is O_RDWR");
    struct stat st;
    if (CHECK_OK(fstat(s, &st), "fstat on a socket"))
        CHECK(S_ISSOCK(st.st_mode), "fstat says S_IFSOCK");
    CHECK_ERR(lseek(s, 0, SEEK_SET), ESPIPE, "lseek on a socket -> ESPIPE");
    char link[64], want[64];
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", s);
    ssize_t n = readlink(path, link, sizeof link - 1);
    if (n < 0) {
        check_skip("readlink /proc/self/fd/N", "no /proc here (errno %d)", errno);
    } else {
        link[n] = 0;
        snprintf(want, sizeof want, "socket:[%lu]", (unsigned long)st.st_ino);
        CHECKF(strcmp(link, want) == 0, "/proc/self/fd link is socket:[ino]", "got %s want %s",
               link, want);
    }
    int v = -1;
    socklen_t len = sizeof v;
    CHECK(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len) == 0 && v == SOCK_STREAM && len == 4,
          "SO_TYPE is SOCK_STREAM");
    len = sizeof v;
    CHECK(getsockopt(s, SOL_SOCKET, SO_DOMAIN, &v, &len) == 0 && v == AF_UNIX, "SO_DOMAIN");
    len = sizeof v;
    CHECK(getsockopt(s, SOL_SOCKET, SO_PROTOCOL, &v, &len) == 0 && v == 0, "SO_PROTOCOL");
    len = sizeof v;
    CHECK(getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0 && v == 0, "SO_ACCEPTCONN 0");
    len = sizeof v;
    CHECK(getsockopt(s, SOL_SOCKET, SO_ERROR, &v, &len) == 0 && v == 0, "SO_ERROR 0");
    v = 1;
    CHECK_OK(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, sizeof v), "set SO_REUSEADDR");
    v = 0;
    len = sizeof v;
    CHECK(getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, &len) == 0 && v == 1, "get SO_REUSEADDR");
    v = 65536;
    CHECK_OK(setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof v), "set SO_RCVBUF");
    len = sizeof v;
    CHECK(getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &len) == 0 && v == 131072,
          "SO_RCVBUF reads back doubled");
    CHECK_ERR(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, 2), EINVAL, "short int option -> EINVAL");
    CHECK_ERR(setsockopt(s, SOL_SOCKET, SO_TYPE, &v, sizeof v), ENOPROTOOPT,
              "SO_TYPE is read-only -> ENOPROTOOPT");
    CHECK_ERR(getsockopt(s, SOL_SOCKET, 9999, &v, &len), ENOPROTOOPT, "unknown option -> ENOPROTOOPT");
    CHECK_ERR(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, (socklen_t *)8), EFAULT, "bad optlen -> EFAULT");
    close(s);

    int p[2];
    pipe(p);
    struct sockaddr_un sa;
    CHECK_ERR(bind(p[0], (struct sockaddr *)&sa, mkaddr(&sa, "x")), ENOTSOCK, "bind on a pipe -> ENOTSOCK");
    CHECK_ERR(bind(999, (struct sockaddr *)&sa, mkaddr(&sa, "x")), EBADF, "bind on a bad fd -> EBADF");
    close(p[0]);
    close(p[1]);
}

static void test_stream_pair(void)
{
    int sv[2];
    if (!CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair(SOCK_STREAM)"))
        return;
    CHECK_EQ(write(sv[0], "hello", 5), 5, "write on a stream socket");
    char buf[64];
    CHECK_EQ(recv(sv[1], buf, sizeof buf, MSG_PEEK), 5, "MSG_PEEK sees the data");
    int avail = -1;
    CHECK(ioctl(sv[1], FIONREAD, &avail) == 0 && avail == 5, "FIONREAD counts queued bytes");
    CHECK_EQ(read(sv[1], buf, 3), 3, "a short read takes part");
    CHECK_EQ(read(sv[1], buf + 3, sizeof buf), 2, "the rest follows");
    CHECK(memcmp(buf, "hello", 5) == 0, "stream bytes arrive in order");
    CHECK_ERR(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), EAGAIN, "MSG_DONTWAIT on empty -> EAGAIN");

    /* Stream writes glue together. */
    send(sv[0], "ab", 2, 0);
    send(sv[0], "cd", 2, 0);
    CHECK_EQ(recv(sv[1], buf, sizeof buf, 0), 4, "two sends read as one stream");

    struct iovec iov[3] = { { "one", 3 }, { "two", 3 }, { "three", 5 } };
    CHECK_EQ(writev(sv[0], iov, 3), 11, "writev");
    char a[4], b[7];
    struct iovec riov[2] = { { a, 4 }, { b, 7 } };
    CHECK(readv(sv[1], riov, 2) == 11 && memcmp(a, "onet", 4) == 0 && memcmp(b, "wothree", 7) == 0,
          "readv scatters the stream");

    struct ucred uc;
    socklen_t len = sizeof uc;
    CHECK(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0 && uc.pid == getpid() &&
              uc.uid == geteuid() && uc.gid == getegid() && len == sizeof uc,
          "SO_PEERCRED of a socketpair is ours");

    /* SO_RCVTIMEO: a blocking read gives up with EAGAIN. */
    struct timeval tv = { 0, 100000 };
    CHECK_OK(setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), "set SO_RCVTIMEO");
    struct timeval tv2;
    len = sizeof tv2;
    CHECK(getsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv2, &len) == 0 && tv2.tv_sec == 0 &&
              tv2.tv_usec == 100000, "SO_RCVTIMEO reads back");
    double t0 = now();
    CHECK_ERR(read(sv[1], buf, sizeof buf), EAGAIN, "read past SO_RCVTIMEO -> EAGAIN");
    CHECK(now() - t0 >= 0.09, "the read waited for the timeout");
    tv.tv_usec = 2000000;
    CHECK_ERR(setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), EDOM, "tv_usec >= 1e6 -> EDOM");

    /* Fill the pipe without blocking. */
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    static char big[65536];
    long total = 0;
    ssize_t r;
    while ((r = write(sv[0], big, sizeof big)) > 0 && total < (64L << 20))
        total += r;
    CHECK(r < 0 && errno == EAGAIN, "a full stream socket gives EAGAIN");
    struct pollfd pf = { sv[0], POLLOUT, 0 };
    CHECK(poll(&pf, 1, 0) == 0, "poll: no POLLOUT when full");
    char drain[65536];
    long got = 0;
    while (got < total && (r = read(sv[1], drain, sizeof drain)) > 0)
        got += r;
    CHECK_EQ(got, total, "everything written is read back");
    pf.revents = 0;
    CHECK(poll(&pf, 1, 0) == 1 && (pf.revents & POLLOUT), "poll: POLLOUT after draining");

    /* shutdown(SHUT_WR): the peer sees EOF and POLLRDHUP; we cannot write; it still can. */
    CHECK_OK(shutdown(sv[0], SHUT_WR), "shutdown(SHUT_WR)");
    pf.fd = sv[1];
    pf.events = POLLIN | POLLRDHUP;
    CHECK(poll(&pf, 1, 1000) == 1 && (pf.revents & POLLIN) && (pf.revents & POLLRDHUP),
          "peer polls POLLIN|POLLRDHUP after shutdown");
    CHECK_EQ(read(sv[1], buf, sizeof buf), 0, "peer reads EOF after shutdown(SHUT_WR)");
    signal(SIGPIPE, on_sigpipe);
    got_sigpipe = 0;
    CHECK_ERR(write(sv[0], "x", 1), EPIPE, "write after own SHUT_WR -> EPIPE");
    CHECK(got_sigpipe == 1, "and SIGPIPE");
    CHECK_EQ(write(sv[1], "y", 1), 1, "the other direction still works");
    CHECK_EQ(read(sv[0], buf, 1), 1, "read it");
    CHECK_ERR(shutdown(sv[0], 7), EINVAL, "shutdown(7) -> EINVAL");
    close(sv[0]);
    close(sv[1]);

    /* Peer close: EOF, POLLHUP, then EPIPE (with SIGPIPE unless MSG_NOSIGNAL). */
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    write(sv[0], "z", 1);
    close(sv[0]);
    CHECK_EQ(read(sv[1], buf, sizeof buf), 1, "queued data survives the writer's close");
    CHECK_EQ(read(sv[1], buf, sizeof buf), 0, "then EOF");
    pf.fd = sv[1];
    pf.events = POLLIN | POLLOUT;
    pf.revents = 0;
    CHECK(poll(&pf, 1, 0) == 1 && (pf.revents & POLLHUP), "POLLHUP after the peer closed");
    got_sigpipe = 0;
    CHECK_ERR(send(sv[1], "x", 1, MSG_NOSIGNAL), EPIPE, "send to a closed peer -> EPIPE");
    CHECK(got_sigpipe == 0, "MSG_NOSIGNAL: no SIGPIPE");
    CHECK_ERR(write(sv[1], "x", 1), EPIPE, "write to a closed peer -> EPIPE");
    CHECK(got_sigpipe == 1, "write raised SIGPIPE");
    close(sv[1]);

    /* Closing with unread data resets the peer. */
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    write(sv[0], "unread", 6);
    close(sv[1]);
    CHECK_ERR(read(sv[0], buf, sizeof buf), ECONNRESET, "peer closed with our data unread -> ECONNRESET");
    CHECK_EQ(read(sv[0], buf, sizeof buf), 0, "then EOF");
    close(sv[0]);
    signal(SIGPIPE, SIG_DFL);

    /* EFAULT paths. */
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    CHECK_ERR(send(sv[0], (void *)8, 10, 0), EFAULT, "send from a bad buffer -> EFAULT");
    write(sv[0], "q", 1);
    CHECK_ERR(recv(sv[1], (void *)8, 10, 0), EFAULT, "recv into a bad buffer -> EFAULT");
    /* The raw call: musl copies the msghdr itself and would fault in user space. */
    CHECK_ERR(syscall(SYS_recvmsg, sv[1], 8L, 0L), EFAULT, "recvmsg with a bad msghdr -> EFAULT");
    CHECK_ERR(syscall(SYS_sendmsg, sv[1], 8L, 0L), EFAULT, "sendmsg with a bad msghdr -> EFAULT");
    int *volatile bad_sv = (int *)8;    /* volatile: keep the compiler from judging it */
    CHECK_ERR(socketpair(AF_UNIX, SOCK_STREAM, 0, bad_sv), EFAULT, "socketpair bad sv -> EFAULT");
    close(sv[0]);
    close(sv[1]);
}

static void test_dgram_and_seqpacket_pairs(void)
{
    int sv[2];
    char buf[64];
    if (CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), "socketpair(SOCK_DGRAM)")) {
        send(sv[0], "first", 5, 0);
        send(sv[0], "second", 6, 0);
        send(sv[0], "", 0, 0);
        int avail = -1;
        CHECK(ioctl(sv[1], FIONREAD, &avail) == 0 && avail == 5, "dgram FIONREAD = next datagram");
        CHECK_EQ(recv(sv[1], buf, sizeof buf, 0), 5, "datagram boundaries are kept");
        CHECK_EQ(recv(sv[1], buf, 3, MSG_TRUNC), 6, "MSG_TRUNC returns the real length");
        CHECK_EQ(recv(sv[1], buf, sizeof buf, 0), 0, "an empty datagram");
        CHECK_ERR(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), EAGAIN, "empty -> EAGAIN");
        send(sv[0], "truncated", 9, 0);
        struct iovec iov = { buf, 4 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        CHECK(recvmsg(sv[1], &mh, 0) == 4 && (mh.msg_flags & MSG_TRUNC), "recvmsg sets MSG_TRUNC");
        CHECK_ERR(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), EAGAIN, "the rest was discarded");

        /* writev/readv move one datagram, not one per segment. */
        struct iovec wv[2] = { { "dat", 3 }, { "agram", 5 } };
        CHECK_EQ(writev(sv[0], wv, 2), 8, "writev on a datagram socket");
        char r1[4], r2[16];
        struct iovec rv[2] = { { r1, 4 }, { r2, sizeof r2 } };
        CHECK(readv(sv[1], rv, 2) == 8 && memcmp(r1, "data", 4) == 0 && memcmp(r2, "gram", 4) == 0,
              "writev sent one datagram; readv scatters it");
        CHECK_ERR(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), EAGAIN, "nothing else was queued");

                /* sendmmsg / recvmmsg */
        struct mmsghdr mm[3];
        struct iovec siov[3] = { { "a", 1 }, { "bb", 2 }, { "ccc", 3 } };
        memset(mm, 0, sizeof mm);
        for (int i = 0; i < 3; i++) {
            mm[i].msg_hdr.msg_iov = &siov[i];
            mm[i].msg_hdr.msg_iovlen = 1;
        }
        CHECK(sendmmsg(sv[0], mm, 3, 0) == 3 && mm[2].msg_len == 3, "sendmmsg sends 3");
        char rb[3][8];
        struct iovec riov[3] = { { rb[0], 8 }, { rb[1], 8 }, { rb[2], 8 } };
        memset(mm, 0, sizeof mm);
        for (int i = 0; i < 3; i++) {
            mm[i].msg_hdr.msg_iov = &riov[i];
            mm[i].msg_hdr.msg_iovlen = 1;
        }
        CHECK(recvmmsg(sv[1], mm, 3, MSG_DONTWAIT, NULL) == 3 && mm[0].msg_len == 1 &&
                  mm[1].msg_len == 2 && mm[2].msg_len == 3 && memcmp(rb[2], "ccc", 3) == 0,
              "recvmmsg receives 3");
        close(sv[0]);
        struct pollfd pf = { sv[1], POLLIN, 0 };
        CHECK(poll(&pf, 1, 0) == 0, "dgram: no POLLHUP/POLLIN when the peer goes away");
        CHECK_ERR(send(sv[1], "x", 1, 0), ECONNREFUSED, "dgram send to a closed peer -> ECONNREFUSED");
        CHECK_ERR(send(sv[1], "x", 1, 0), ENOTCONN, "and then it is disconnected -> ENOTCONN");
        close(sv[1]);
    }

    if (CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), "socketpair(SOCK_SEQPACKET)")) {
        send(sv[0], "rec1", 4, 0);
        send(sv[0], "record2", 7, 0);
        CHECK_EQ(recv(sv[1], buf, sizeof buf, 0), 4, "seqpacket keeps records");
        struct iovec iov = { buf, 3 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        CHECK(recvmsg(sv[1], &mh, 0) == 3 && (mh.msg_flags & MSG_TRUNC), "seqpacket truncation flag");
        CHECK_ERR(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), EAGAIN, "truncated rest discarded");
        close(sv[0]);
        CHECK_EQ(recv(sv[1], buf, sizeof buf, 0), 0, "seqpacket EOF after peer close");
        signal(SIGPIPE, on_sigpipe);
        got_sigpipe = 0;
        CHECK_ERR(send(sv[1], "x", 1, 0), EPIPE, "seqpacket send to closed peer -> EPIPE");
        CHECK(got_sigpipe == 0, "seqpacket EPIPE raises no SIGPIPE");
        signal(SIGPIPE, SIG_DFL);
        close(sv[1]);
    }
}

static void test_paths(void)
{
    struct sockaddr_un sa, got;
    socklen_t len = mkaddr(&sa, "stream.sock");
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_ERR(listen(l, 5), EINVAL, "listen on an unbound socket -> EINVAL");
    if (!CHECK_OK(bind(l, (struct sockaddr *)&sa, len), "bind to a path"))
        return;
    struct stat st;
    CHECK(stat(sa.sun_path, &st) == 0 && S_ISSOCK(st.st_mode), "bind made an S_IFSOCK node");
    struct sockaddr_un s2;
    socklen_t len2 = mkaddr(&s2, "second.sock");
    CHECK_ERR(bind(l, (struct sockaddr *)&s2, len2), EINVAL, "binding a bound socket again -> EINVAL");
    int other = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_ERR(bind(other, (struct sockaddr *)&sa, len), EADDRINUSE, "path in use -> EADDRINUSE");
    CHECK_ERR(connect(other, (struct sockaddr *)&sa, len), ECONNREFUSED,
              "connect to a bound, non-listening socket -> ECONNREFUSED");
    CHECK_ERR(accept(l, NULL, NULL), EINVAL, "accept before listen -> EINVAL");
    CHECK_OK(listen(l, 5), "listen");
    FILE *pnu = fopen("/proc/net/unix", "r");
    if (!pnu) {
        check_skip("/proc/net/unix lists the listener", "no /proc/net/unix (errno %d)", errno);
    } else {
        char line[512];
        int found = 0;
        while (fgets(line, sizeof line, pnu))
            if (strstr(line, sa.sun_path) && strstr(line, " 00010000 0001 01 "))
                found = 1;
        fclose(pnu);
        CHECK(found, "/proc/net/unix lists the listener (flags __SO_ACCEPTCON, stream)");
    }
    int v = 0;
    socklen_t vl = sizeof v;
    CHECK(getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl) == 0 && v == 1, "SO_ACCEPTCONN 1");
    fcntl(l, F_SETFL, O_NONBLOCK);
    CHECK_ERR(accept(l, NULL, NULL), EAGAIN, "non-blocking accept with nothing pending -> EAGAIN");
    struct pollfd pf = { l, POLLIN, 0 };
    CHECK(poll(&pf, 1, 0) == 0, "listener not readable when nothing is pending");

    CHECK_OK(connect(other, (struct sockaddr *)&sa, len), "connect to the listener");
    CHECK_ERR(connect(other, (struct sockaddr *)&sa, len), EISCONN, "connect twice -> EISCONN");
    /* Data may flow before accept. */
    CHECK_EQ(write(other, "early", 5), 5, "write before accept");
    CHECK(poll(&pf, 1, 1000) == 1 && (pf.revents & POLLIN), "listener readable with a pending connection");
    memset(&got, 0, sizeof got);
    socklen_t gl = sizeof got;
    int c = accept4(l, (struct sockaddr *)&got, &gl, SOCK_CLOEXEC);
    if (CHECK(c >= 0, "accept4")) {
        CHECK(gl == offsetof(struct sockaddr_un, sun_path) && got.sun_family == AF_UNIX,
              "accept: an unnamed client has a 2-byte address");
        CHECK(fcntl(c, F_GETFD) & FD_CLOEXEC, "accept4 SOCK_CLOEXEC");
        CHECK(!(fcntl(c, F_GETFL) & O_NONBLOCK), "accepted socket does not inherit O_NONBLOCK");
        char buf[16];
        CHECK(read(c, buf, sizeof buf) == 5 && memcmp(buf, "early", 5) == 0, "early data arrives");
        gl = sizeof got;
        CHECK(getsockname(c, (struct sockaddr *)&got, &gl) == 0 && gl == len &&
                  strcmp(got.sun_path, sa.sun_path) == 0, "accepted socket is named like the listener");
        gl = sizeof got;
        CHECK(getpeername(other, (struct sockaddr *)&got, &gl) == 0 && gl == len &&
                  strcmp(got.sun_path, sa.sun_path) == 0, "client's peer name is the path");
        gl = 4;
        CHECK(getpeername(other, (struct sockaddr *)&got, &gl) == 0 && gl == len,
              "short buffer: full length reported");
        struct ucred uc;
        socklen_t ul = sizeof uc;
        CHECK(getsockopt(c, SOL_SOCKET, SO_PEERCRED, &uc, &ul) == 0 && uc.pid == getpid(),
              "SO_PEERCRED on the accepted side");
        close(c);
    }
    close(other);
    int un = socket(AF_UNIX, SOCK_STREAM, 0);
    gl = sizeof got;
    CHECK_ERR(getpeername(un, (struct sockaddr *)&got, &gl), ENOTCONN, "getpeername unconnected -> ENOTCONN");
    gl = sizeof got;
    CHECK(getsockname(un, (struct sockaddr *)&got, &gl) == 0 && gl == 2, "unbound getsockname is 2 bytes");
    CHECK_ERR(getsockname(un, (struct sockaddr *)&got, (socklen_t *)8), EFAULT, "bad addrlen -> EFAULT");
    close(un);

    /* Backlog: listen(0) takes one pending connection, then a non-blocking connect fails. */
    struct sockaddr_un sb;
    socklen_t lb = mkaddr(&sb, "backlog.sock");
    int lq = socket(AF_UNIX, SOCK_STREAM, 0);
    bind(lq, (struct sockaddr *)&sb, lb);
    listen(lq, 0);
    int c1 = socket(AF_UNIX, SOCK_STREAM, 0);
    int c2 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    CHECK_OK(connect(c1, (struct sockaddr *)&sb, lb), "first connect within backlog");
    CHECK_ERR(connect(c2, (struct sockaddr *)&sb, lb), EAGAIN, "backlog full, non-blocking -> EAGAIN");
    /* The listener going away resets connections nobody accepted. */
    close(lq);
    char ch;
    CHECK_ERR(read(c1, &ch, 1), ECONNRESET, "unaccepted connection reset when the listener closes");
    CHECK_ERR(connect(c2, (struct sockaddr *)&sb, lb), ECONNREFUSED, "node without socket -> ECONNREFUSED");
    close(c1);
    close(c2);

    int d = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sx;
    socklen_t lx = mkaddr(&sx, "missing.sock");
    CHECK_ERR(connect(d, (struct sockaddr *)&sx, lx), ENOENT, "connect to a missing path -> ENOENT");
    lx = mkaddr(&sx, "regular");
    close(open(sx.sun_path, O_CREAT | O_WRONLY, 0644));
    CHECK_ERR(connect(d, (struct sockaddr *)&sx, lx), ECONNREFUSED, "connect to a regular file -> ECONNREFUSED");
    CHECK_ERR(bind(d, (struct sockaddr *)&sx, lx), EADDRINUSE, "bind over a regular file -> EADDRINUSE");
    CHECK_ERR(connect(d, (struct sockaddr *)&sx, 1), EINVAL, "address too short -> EINVAL");
    sx.sun_family = AF_INET;
    CHECK_ERR(connect(d, (struct sockaddr *)&sx, lx), EINVAL, "wrong family -> EINVAL");
    CHECK_ERR(connect(d, (struct sockaddr *)&sx, 200), EINVAL, "address too long -> EINVAL");
    close(d);

    /* Type mismatch. */
    struct sockaddr_un sd;
    socklen_t ld = mkaddr(&sd, "dgram.sock");
    int ds = socket(AF_UNIX, SOCK_DGRAM, 0);
    bind(ds, (struct sockaddr *)&sd, ld);
    int st2 = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_ERR(connect(st2, (struct sockaddr *)&sd, ld), EPROTOTYPE, "stream connect to dgram -> EPROTOTYPE");
    int dg = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK_ERR(sendto(dg, "x", 1, 0, (struct sockaddr *)&sa, len), EPROTOTYPE,
              "dgram sendto a stream socket -> EPROTOTYPE");
    CHECK_ERR(listen(ds, 1), EOPNOTSUPP, "listen on dgram -> EOPNOTSUPP");
    close(st2);
    close(dg);
    close(ds);
    close(l);
}

static void test_dgram_paths(void)
{
    struct sockaddr_un sa, from;
    socklen_t len = mkaddr(&sa, "log.sock");
    int srv = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (!CHECK_OK(bind(srv, (struct sockaddr *)&sa, len), "bind a dgram socket (like /dev/log)"))
        return;
    int cl = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK_ERR(send(cl, "x", 1, 0), ENOTCONN, "dgram send without destination -> ENOTCONN");
    CHECK_EQ(sendto(cl, "<13>msg", 7, 0, (struct sockaddr *)&sa, len), 7, "sendto a path");
    char buf[64];
    socklen_t fl = sizeof from;
    memset(&from, 0x55, sizeof from);
    CHECK_EQ(recvfrom(srv, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl), 7, "recvfrom");
    /* Unnamed sender: no meaningful address. */
    struct sockaddr_un sc;
    socklen_t lc = mkaddr(&sc, "client.sock");
    bind(cl, (struct sockaddr *)&sc, lc);
    sendto(cl, "named", 5, 0, (struct sockaddr *)&sa, len);
    fl = sizeof from;
    CHECK(recvfrom(srv, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl) == 5 && fl == lc &&
              strcmp(from.sun_path, sc.sun_path) == 0, "recvfrom reports a named sender");
    CHECK_OK(connect(cl, (struct sockaddr *)&sa, len), "connect a dgram socket");
    CHECK_EQ(send(cl, "conn", 4, 0), 4, "send to the connected address");
    CHECK_EQ(recv(srv, buf, sizeof buf, 0), 4, "received");
    /* srv connected to someone else refuses a third party. */
    int third = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK_OK(connect(srv, (struct sockaddr *)&sc, lc), "server connects back");
    CHECK_ERR(sendto(third, "x", 1, 0, (struct sockaddr *)&sa, len), EPERM,
              "sendto a socket connected elsewhere -> EPERM");
    struct sockaddr unspec = { .sa_family = AF_UNSPEC };
    CHECK_OK(connect(srv, &unspec, sizeof unspec), "AF_UNSPEC disconnects");
    CHECK_EQ(sendto(third, "ok", 2, 0, (struct sockaddr *)&sa, len), 2, "then anyone may send");
    CHECK_EQ(recv(srv, buf, sizeof buf, 0), 2, "received");

    /* Non-blocking senders eventually see a full queue. */
    int n = 0;
    while (n < 100000 && sendto(third, "fill", 4, MSG_DONTWAIT, (struct sockaddr *)&sa, len) == 4)
        n++;
    CHECK(n < 100000 && errno == EAGAIN, "a full receive queue -> EAGAIN");
    struct pollfd pf = { srv, POLLIN, 0 };
    CHECK(poll(&pf, 1, 0) == 1 && (pf.revents & POLLIN), "poll: dgram POLLIN");
    close(third);
    close(cl);
    close(srv);
    CHECK_ERR(sendto(socket(AF_UNIX, SOCK_DGRAM, 0), "x", 1, 0, (struct sockaddr *)&sa, len),
              ECONNREFUSED, "sendto a path whose socket closed -> ECONNREFUSED");
}

static void test_abstract_and_autobind(void)
{
    struct sockaddr_un sa, got;
    char name[32];
    snprintf(name, sizeof name, "openv-test-%d", (int)getpid());
    socklen_t len = mkabstract(&sa, name);
    int l = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    if (!CHECK_OK(bind(l, (struct sockaddr *)&sa, len), "bind an abstract name"))
        return;
    socklen_t gl = sizeof got;
    CHECK(getsockname(l, (struct sockaddr *)&got, &gl) == 0 && gl == len &&
              memcmp(&got, &sa, len) == 0, "getsockname returns the abstract name exactly");
    int dup = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    CHECK_ERR(bind(dup, (struct sockaddr *)&sa, len), EADDRINUSE, "abstract name in use -> EADDRINUSE");
    listen(l, 4);
    int c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    CHECK_OK(connect(c, (struct sockaddr *)&sa, len), "connect to an abstract name");
    int a = accept(l, NULL, NULL);
    char buf[16];
    CHECK(send(c, "pkt", 3, 0) == 3 && recv(a, buf, sizeof buf, 0) == 3, "seqpacket over abstract");
    close(a);
    close(c);
    close(l);
    c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    CHECK_ERR(connect(c, (struct sockaddr *)&sa, len), ECONNREFUSED, "abstract name gone -> ECONNREFUSED");

    struct sockaddr_un ab = { .sun_family = AF_UNIX };
    CHECK_OK(bind(dup, (struct sockaddr *)&ab, sizeof(sa_family_t)), "bind with just the family autobinds");
    gl = sizeof got;
    CHECK(getsockname(dup, (struct sockaddr *)&got, &gl) == 0 && gl == 8 && got.sun_path[0] == 0,
          "autobind name is abstract, 5 hex digits");
    close(dup);
    close(c);
}

static void test_scm(void)
{
    int sv[2];
    if (!CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair for SCM"))
        return;
    int p[2];
    pipe(p);
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int) * 2)];
    } cb;
    memset(&cb, 0, sizeof cb);
    struct iovec iov = { "F", 1 };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb.buf,
                         .msg_controllen = CMSG_SPACE(sizeof(int) * 2) };
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int) * 2);
    int fds[2] = { p[0], p[1] };
    memcpy(CMSG_DATA(cm), fds, sizeof fds);
    CHECK_EQ(sendmsg(sv[0], &mh, 0), 1, "sendmsg with SCM_RIGHTS");
    close(p[0]);
    close(p[1]);

    char data[4];
    struct iovec riov = { data, sizeof data };
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int) * 2)];
    } rb;
    memset(&rb, 0, sizeof rb);
    struct msghdr rh = { .msg_iov = &riov, .msg_iovlen = 1, .msg_control = rb.buf,
                         .msg_controllen = sizeof rb.buf };
    if (CHECK_EQ(recvmsg(sv[1], &rh, MSG_CMSG_CLOEXEC), 1, "recvmsg with SCM_RIGHTS")) {
        struct cmsghdr *rc = CMSG_FIRSTHDR(&rh);
        if (CHECK(rc && rc->cmsg_level == SOL_SOCKET && rc->cmsg_type == SCM_RIGHTS &&
                      rc->cmsg_len == CMSG_LEN(sizeof(int) * 2), "an SCM_RIGHTS cmsg arrives")) {
            int got[2];
            memcpy(got, CMSG_DATA(rc), sizeof got);
            CHECK(fcntl(got[0], F_GETFD) & FD_CLOEXEC, "MSG_CMSG_CLOEXEC sets FD_CLOEXEC");
            char b[8];
            CHECK(write(got[1], "via", 3) == 3 && read(got[0], b, sizeof b) == 3 &&
                      memcmp(b, "via", 3) == 0, "the passed pipe works");
            close(got[0]);
            close(got[1]);
        }
        CHECK(!(rh.msg_flags & MSG_CTRUNC), "no MSG_CTRUNC");
    }

    /* Not enough control space: MSG_CTRUNC, and the files do not leak into our table. */
    pipe(p);
    memset(&cb, 0, sizeof cb);
    mh.msg_control = cb.buf;
    mh.msg_controllen = CMSG_SPACE(sizeof(int) * 2);
    cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int) * 2);
    fds[0] = p[0];
    fds[1] = p[1];
    memcpy(CMSG_DATA(cm), fds, sizeof fds);
    sendmsg(sv[0], &mh, 0);
    int probe = dup(0);
    close(probe);
    rh.msg_control = NULL;
    rh.msg_controllen = 0;
    rh.msg_flags = 0;
    CHECK(recvmsg(sv[1], &rh, 0) == 1 && (rh.msg_flags & MSG_CTRUNC), "no control buffer -> MSG_CTRUNC");
    int probe2 = dup(0);
    CHECK_EQ(probe2, probe, "the dropped files took no fds");
    close(probe2);
    close(p[0]);
    close(p[1]);

    /* A bad fd in SCM_RIGHTS. */
    cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    int bad = 999;
    memcpy(CMSG_DATA(cm), &bad, sizeof bad);
    mh.msg_controllen = CMSG_SPACE(sizeof(int));
    CHECK_ERR(sendmsg(sv[0], &mh, 0), EBADF, "SCM_RIGHTS with a bad fd -> EBADF");
    cm->cmsg_len = 4;
    if (under_qemu_user())
        check_skip("cmsg_len too small -> EINVAL", "qemu-user rewrites control messages");
    else
        CHECK_ERR(sendmsg(sv[0], &mh, 0), EINVAL, "cmsg_len too small -> EINVAL");

    /* SCM_CREDENTIALS with SO_PASSCRED. */
    int on = 1;
    CHECK_OK(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on), "SO_PASSCRED");
    write(sv[0], "c", 1);
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(struct ucred))];
    } cc;
    memset(&cc, 0, sizeof cc);
    rh.msg_control = cc.buf;
    rh.msg_controllen = sizeof cc.buf;
    rh.msg_flags = 0;
    if (CHECK_EQ(recvmsg(sv[1], &rh, 0), 1, "recvmsg with SO_PASSCRED")) {
        struct cmsghdr *rc = CMSG_FIRSTHDR(&rh);
        struct ucred uc;
        if (CHECK(rc && rc->cmsg_type == SCM_CREDENTIALS && rc->cmsg_len == CMSG_LEN(sizeof uc),
                  "an SCM_CREDENTIALS cmsg arrives")) {
            memcpy(&uc, CMSG_DATA(rc), sizeof uc);
            if (under_qemu_user())
                check_skip("credentials are the sender's", "qemu-user rewrites control messages");
            else
                CHECK(uc.pid == getpid() && uc.uid == getuid() && uc.gid == getgid(),
                      "credentials are the sender's");
        }
    }
    close(sv[0]);
    close(sv[1]);
}

static void on_alarm(int sig) { (void)sig; }

/* Waiting: signals, SO_SNDTIMEO, a poll woken from another process. */
static void test_waiting(void)
{
    int sv[2];
    if (!CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair for waiting"))
        return;
    struct sigaction sa = { .sa_handler = on_alarm };    /* no SA_RESTART */
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = { { 0, 0 }, { 0, 50000 } };
    setitimer(ITIMER_REAL, &it, NULL);
    char buf[8];
    CHECK_ERR(read(sv[0], buf, sizeof buf), EINTR, "a signal interrupts a blocking read -> EINTR");
    setitimer(ITIMER_REAL, &it, NULL);
    CHECK_ERR(accept(sv[0], NULL, NULL), EINVAL, "accept on a connected socket -> EINVAL");
    pause();

    struct timeval tv = { 0, 50000 };
    CHECK_OK(setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv), "set SO_SNDTIMEO");
    static char big[65536];
    ssize_t r;
    long total = 0;
    while ((r = write(sv[0], big, sizeof big)) > 0 && total < (64L << 20))
        total += r;
    CHECK(r < 0 && errno == EAGAIN, "a full stream past SO_SNDTIMEO -> EAGAIN");

    pid_t pid = fork();
    if (pid == 0) {
        usleep(100000);
        char drain[65536];
        long got = 0;
        while (got < total && (r = read(sv[1], drain, sizeof drain)) > 0)
            got += r;
        _exit(got == total ? 0 : 1);
    }
    struct pollfd pf = { sv[0], POLLOUT, 0 };
    CHECK(poll(&pf, 1, 60000) == 1 && (pf.revents & POLLOUT), "poll woken when another process drains");
    check_child(pid, "drainer child");
    close(sv[0]);
    close(sv[1]);
    signal(SIGALRM, SIG_DFL);
}

/* Hostile arguments and sockets inside sockets. */
static void test_hostile(void)
{
    int sv[2];
    if (!CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), "socketpair for hostile input"))
        return;
    struct iovec iov = { "x", 1 };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1025 };
    CHECK_ERR(sendmsg(sv[0], &mh, 0), EMSGSIZE, "iovlen > 1024 -> EMSGSIZE");
    struct iovec neg = { "x", (size_t)-1 };
    mh.msg_iov = &neg;
    mh.msg_iovlen = 1;
    CHECK_ERR(sendmsg(sv[0], &mh, 0), EINVAL, "negative iov_len -> EINVAL");
    mh.msg_iov = (struct iovec *)8;
    CHECK_ERR(sendmsg(sv[0], &mh, 0), EFAULT, "bad iovec array -> EFAULT");
    mh.msg_iov = &iov;
    char ctl[64] = { 0 };
    mh.msg_control = ctl;
    mh.msg_controllen = 1u << 30;
    /* The raw call: musl refuses control data over 1 KiB itself (ENOMEM). */
    CHECK_ERR(syscall(SYS_sendmsg, sv[0], &mh, 0L), ENOBUFS, "huge msg_controllen -> ENOBUFS");
    mh.msg_controllen = 0;
    mh.msg_control = NULL;
    CHECK_ERR(sendto(sv[0], "x", 1, 0, (struct sockaddr *)8, 16), EFAULT, "bad address pointer -> EFAULT");
    static char huge[300000];
    CHECK_ERR(send(sv[0], huge, sizeof huge, 0), EMSGSIZE, "datagram larger than SO_SNDBUF -> EMSGSIZE");
    close(sv[0]);
    close(sv[1]);

    /* A chain of sockets, each queued inside the next, then all closed: freed without fuss. */
    int prev[2] = { -1, -1 };
    int ok = 1;
    for (int i = 0; i < 200 && ok; i++) {
        int cur[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, cur) < 0) {
            ok = 0;
            break;
        }
        if (prev[0] >= 0) {
            union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int) * 2)];
            } cb;
            memset(&cb, 0, sizeof cb);
            struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb.buf,
                                .msg_controllen = sizeof cb.buf };
            struct cmsghdr *c = CMSG_FIRSTHDR(&m);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int) * 2);
            memcpy(CMSG_DATA(c), prev, sizeof prev);
            /* Linux may refuse deep nesting (ETOOMANYREFS); either way nothing leaks into us. */
            if (sendmsg(cur[0], &m, 0) != 1 && errno != ETOOMANYREFS)
                ok = 0;
            close(prev[0]);
            close(prev[1]);
        }
        prev[0] = cur[0];
        prev[1] = cur[1];
    }
    close(prev[0]);
    close(prev[1]);
    CHECK(ok, "a chain of 200 sockets passed inside each other is built and freed");

    /* A socket passed over itself (a cycle). */
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int) * 2)];
    } cb;
    memset(&cb, 0, sizeof cb);
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb.buf,
                        .msg_controllen = sizeof cb.buf };
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * 2);
    memcpy(CMSG_DATA(c), sv, sizeof sv);
    CHECK_EQ(sendmsg(sv[0], &m, 0), 1, "a socketpair sent over itself");
    close(sv[0]);
    close(sv[1]);
    int t = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(t >= 0, "sockets still work afterwards");
    close(t);
}

/* Two processes: a server accepts and echoes a megabyte back with a checksum. */
static void test_processes(void)
{
    struct sockaddr_un sa;
    socklen_t len = mkaddr(&sa, "echo.sock");
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    bind(l, (struct sockaddr *)&sa, len);
    listen(l, 1);
    pid_t pid = fork();
    if (pid == 0) {
        int c = accept(l, NULL, NULL);
        if (c < 0)
            _exit(1);
        unsigned long sum = 0;
        char buf[4096];
        ssize_t r;
        while ((r = read(c, buf, sizeof buf)) > 0)
            for (ssize_t i = 0; i < r; i++)
                sum = sum * 31 + (unsigned char)buf[i];
        if (r < 0 || write(c, &sum, sizeof sum) != sizeof sum)
            _exit(2);
        _exit(0);
    }
    close(l);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    if (!CHECK_OK(connect(c, (struct sockaddr *)&sa, len), "connect to a server in a child")) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return;
    }
    static char chunk[7919];
    unsigned long sum = 0;
    long total = 0;
    for (int i = 0; i < 130; i++) {
        for (size_t k = 0; k < sizeof chunk; k++) {
            chunk[k] = (char)(k * 7 + i);
            sum = sum * 31 + (unsigned char)chunk[k];
        }
        size_t off = 0;
        while (off < sizeof chunk) {
            ssize_t w = write(c, chunk + off, sizeof chunk - off);
            if (w <= 0)
                break;
            off += (size_t)w;
        }
        total += (long)off;
    }
    shutdown(c, SHUT_WR);
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(c, &rs);
    struct timeval tv = { 60, 0 };
    CHECK(select(c + 1, &rs, NULL, NULL, &tv) == 1 && FD_ISSET(c, &rs), "select: the reply is readable");
    unsigned long theirs = 0;
    CHECK(recv(c, &theirs, sizeof theirs, MSG_WAITALL) == sizeof theirs && theirs == sum,
          "about 1 MB crossed intact (checksum)");
    check_note("bytes sent: %ld", total);
    close(c);
    check_child(pid, "echo server exited cleanly");
}

/* Send one byte with one file (SCM_RIGHTS) on s. */
static int send_with_fd(int s, const char *byte, int fd)
{
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } cb;
    memset(&cb, 0, sizeof cb);
    struct iovec iov = { (void *)byte, 1 };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb.buf,
                         .msg_controllen = sizeof cb.buf };
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof fd);
    return (int)sendmsg(s, &mh, 0);
}

/* Receive into buf (len bytes) with room for one file; *fd = the file received or -1. */
static long recv_with_fd(int s, char *buf, size_t len, int flags, int *fd, int *mflags)
{
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } cb;
    memset(&cb, 0, sizeof cb);
    struct iovec iov = { buf, len };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb.buf,
                         .msg_controllen = sizeof cb.buf };
    long r = recvmsg(s, &mh, flags);
    struct cmsghdr *cm = r >= 0 ? CMSG_FIRSTHDR(&mh) : NULL;
    *fd = -1;
    if (cm && cm->cmsg_type == SCM_RIGHTS)
        memcpy(fd, CMSG_DATA(cm), sizeof *fd);
    *mflags = mh.msg_flags;
    return r;
}

/* The address, length and flag rules of sendto/recvfrom against sendmsg/recvmsg, and record
 * boundaries with short buffers, peeking and passed files. */
static void test_send_recv_rules(void)
{
    int sv[2];
    char buf[64];
    struct sockaddr_un sa, from;
    socklen_t len = mkaddr(&sa, "rules.sock");
    int srv = socket(AF_UNIX, SOCK_DGRAM, 0);
    int cl = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un ca;
    socklen_t clen = mkaddr(&ca, "rules-client.sock");
    if (!CHECK_OK(bind(srv, (struct sockaddr *)&sa, len), "bind the rules server") ||
        !CHECK_OK(bind(cl, (struct sockaddr *)&ca, clen), "bind the rules client"))
        return;
    CHECK_ERR(sendto(cl, "x", 1, 0, (struct sockaddr *)&sa, 129), EINVAL,
              "sendto with an address longer than sockaddr_storage -> EINVAL");
    CHECK_ERR(sendto(cl, "x", 1, 0, (struct sockaddr *)&sa, (socklen_t)-1), EINVAL,
              "sendto with a negative address length -> EINVAL");
    CHECK_EQ(sendto(cl, "truncate me", 11, 0, (struct sockaddr *)&sa, len), 11, "sendto a path");
    socklen_t fl = 4;
    memset(&from, 0, sizeof from);
    CHECK_EQ(recvfrom(srv, buf, 3, MSG_TRUNC, (struct sockaddr *)&from, &fl), 11,
             "recvfrom with MSG_TRUNC returns the datagram's length");
    CHECK(fl == clen && from.sun_family == AF_UNIX && from.sun_path[0] == ca.sun_path[0] &&
              from.sun_path[2] == 0, "a short address buffer: truncated, the length says the full size");
    CHECK_ERR(recv(srv, buf, sizeof buf, MSG_DONTWAIT), EAGAIN, "the truncated rest is gone");

    sendto(cl, "first", 5, 0, (struct sockaddr *)&sa, len);
    sendto(cl, "second", 6, 0, (struct sockaddr *)&sa, len);
    CHECK_ERR(recvfrom(srv, buf, sizeof buf, 0, (struct sockaddr *)&from, (socklen_t *)8), EFAULT,
              "recvfrom with a bad address-length pointer -> EFAULT");
    CHECK_EQ(recv(srv, buf, sizeof buf, 0), 6, "after the data was taken (Linux does so too)");

    /* recvmsg's name rules. */
    sendto(cl, "m", 1, 0, (struct sockaddr *)&sa, len);
    struct iovec iov = { buf, sizeof buf };
    struct msghdr mh = { .msg_name = &from, .msg_namelen = (socklen_t)-1, .msg_iov = &iov,
                         .msg_iovlen = 1 };
    CHECK_ERR(syscall(SYS_recvmsg, srv, &mh, 0L), EINVAL, "recvmsg with a negative msg_namelen -> EINVAL");
    mh.msg_namelen = 3;
    CHECK(recvmsg(srv, &mh, 0) == 1 && mh.msg_namelen == clen,
          "recvmsg: a short name buffer gets the full length back");
    /* sendmsg clamps an over-long msg_namelen to sockaddr_storage (sendto refuses it), but
     * that is still longer than a sockaddr_un. */
    struct {
        struct sockaddr_un sun;
        char pad[100];
    } longname;
    memset(&longname, 0, sizeof longname);
    longname.sun = sa;
    iov.iov_len = 1;
    struct msghdr big = { .msg_name = &longname, .msg_namelen = 200, .msg_iov = &iov,
                          .msg_iovlen = 1 };
    CHECK_ERR(sendmsg(cl, &big, 0), EINVAL, "sendmsg with msg_namelen 200 on AF_UNIX -> EINVAL");
    iov.iov_len = sizeof buf;
    close(srv);
    close(cl);

    /* Connected datagram pair: an empty address is no address; none at all with any length. */
    if (CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), "socketpair(SOCK_DGRAM) for rules")) {
        CHECK_EQ(sendto(sv[0], "z", 1, 0, (struct sockaddr *)&sa, 0), 1,
                 "sendto with address length 0 goes to the peer");
        CHECK_EQ(syscall(SYS_sendto, sv[0], "y", 1L, 0L, 0L, 12345L), 1,
                 "sendto with no address ignores the length");
        fl = sizeof from;
        CHECK(recvfrom(sv[1], buf, sizeof buf, 0, (struct sockaddr *)&from, &fl) == 1 && fl == 0,
              "recvfrom from an unnamed peer: address length 0");
        close(sv[0]);
        close(sv[1]);
    }

    /* Streams: an address on send is EISCONN (connected) or EOPNOTSUPP. */
    if (CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair(SOCK_STREAM) for rules")) {
        CHECK_ERR(sendto(sv[0], "x", 1, 0, (struct sockaddr *)&sa, len), EISCONN,
                  "sendto with an address on a connected stream -> EISCONN");
        CHECK_EQ(sendto(sv[0], "x", 1, 0, (struct sockaddr *)&sa, 0), 1,
                 "an address of length 0 is no address");
        struct msghdr none = { .msg_iov = &iov, .msg_iovlen = 1 };
        iov.iov_len = 2;
        write(sv[0], "yz", 2);
        CHECK(recv(sv[1], buf, 1, 0) == 1 && buf[0] == 'x', "stream: the first byte");
        CHECK(recvmsg(sv[1], &none, MSG_WAITALL) == 2 && none.msg_flags == 0 && memcmp(buf, "yz", 2) == 0,
              "stream recvmsg: no flags");
        close(sv[1]);
        signal(SIGPIPE, on_sigpipe);
        got_sigpipe = 0;
        iov.iov_len = 1;
        CHECK_ERR(sendmsg(sv[0], &none, MSG_NOSIGNAL), EPIPE, "sendmsg to a closed peer -> EPIPE");
        CHECK(got_sigpipe == 0, "sendmsg with MSG_NOSIGNAL: no SIGPIPE");
        CHECK_ERR(sendmsg(sv[0], &none, 0), EPIPE, "sendmsg again -> EPIPE");
        CHECK(got_sigpipe == 1, "sendmsg without MSG_NOSIGNAL raises SIGPIPE");
        CHECK_ERR(sendto(sv[0], "x", 1, 0, NULL, 0), EPIPE, "sendto -> EPIPE");
        CHECK(got_sigpipe == 2, "and sendto raises SIGPIPE too");
        signal(SIGPIPE, SIG_DFL);
        close(sv[0]);
    }
    int st = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_ERR(sendto(st, "x", 1, 0, (struct sockaddr *)&sa, len), EOPNOTSUPP,
              "sendto with an address on an unconnected stream -> EOPNOTSUPP");
    close(st);

    /* Records with short buffers, peeking, MSG_TRUNC and files. */
    if (CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), "socketpair(SOCK_SEQPACKET) for rules")) {
        send(sv[0], "abcdef", 6, 0);
        send(sv[0], "gh", 2, 0);
        int mflags = 0, fd = -1;
        memset(buf, 0, sizeof buf);
        CHECK(recv_with_fd(sv[1], buf, 4, MSG_PEEK, &fd, &mflags) == 4 && (mflags & MSG_TRUNC) &&
                  memcmp(buf, "abcd", 4) == 0, "seqpacket peek with a short buffer: MSG_TRUNC");
        CHECK_EQ(recv(sv[1], buf, 2, MSG_PEEK | MSG_TRUNC), 6, "peek with MSG_TRUNC: the full length");
        CHECK_EQ(recv(sv[1], buf, 3, MSG_TRUNC), 6, "read with MSG_TRUNC: the full length");
        CHECK_EQ(recv(sv[1], buf, sizeof buf, MSG_WAITALL), 2, "MSG_WAITALL stops at the record end");
        CHECK_ERR(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), EAGAIN, "seqpacket: empty -> EAGAIN");

        int p[2];
        pipe(p);
        CHECK_EQ(send_with_fd(sv[0], "F", p[1]), 1, "seqpacket sendmsg with SCM_RIGHTS");
        close(p[1]);
        CHECK(recv_with_fd(sv[1], buf, sizeof buf, MSG_PEEK, &fd, &mflags) == 1 && fd >= 0,
              "seqpacket peek gets a copy of the file");
        if (fd >= 0)
            close(fd);
        fd = -1;
        CHECK(recv_with_fd(sv[1], buf, sizeof buf, 0, &fd, &mflags) == 1 && fd >= 0 &&
                  buf[0] == 'F', "and the read gets the file again");
        if (fd >= 0) {
            CHECK(write(fd, "p", 1) == 1 && read(p[0], buf, 1) == 1, "the passed pipe end works");
            close(fd);
        }
        close(p[0]);
        close(sv[0]);
        CHECK_EQ(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), 0, "seqpacket EOF even with MSG_DONTWAIT");
        close(sv[1]);
    }

    /* A stream read stops at a passed file; peeking also leaves it queued. */
    if (CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair(SOCK_STREAM) for files")) {
        int p[2];
        pipe(p);
        write(sv[0], "ab", 2);
        send_with_fd(sv[0], "c", p[1]);
        write(sv[0], "de", 2);
        close(p[1]);
        int mflags = 0, fd = -1;
        CHECK(recv_with_fd(sv[1], buf, sizeof buf, MSG_PEEK, &fd, &mflags) == 3 && fd >= 0,
              "stream peek: data up to and with the file");
        if (fd >= 0)
            close(fd);
        CHECK(recv_with_fd(sv[1], buf, 1, 0, &fd, &mflags) == 1 && fd < 0, "a short read, no file yet");
        CHECK(recv_with_fd(sv[1], buf, sizeof buf, MSG_WAITALL, &fd, &mflags) == 2 && fd >= 0 &&
                  memcmp(buf, "bc", 2) == 0, "MSG_WAITALL stops at the file");
        if (fd >= 0)
            close(fd);
        CHECK_EQ(recv(sv[1], buf, sizeof buf, 0), 2, "then the rest");
        CHECK_ERR(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), EAGAIN, "stream: empty -> EAGAIN");
        close(sv[0]);
        CHECK_EQ(recv(sv[1], buf, sizeof buf, 0), 0, "stream EOF");
        close(p[0]);
        close(sv[1]);
    }
}

int main(void)
{
    check_begin("sockets_unix");
    snprintf(dir, sizeof dir, "/tmp/sockets_unix.XXXXXX");
    if (!mkdtemp(dir)) {
        CHECK(0, "mkdtemp");
        return check_done();
    }
    test_creation();
    test_stream_pair();
    test_dgram_and_seqpacket_pairs();
    test_paths();
    test_dgram_paths();
    test_abstract_and_autobind();
    test_scm();
    test_waiting();
    test_hostile();
    test_send_recv_rules();
    test_processes();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) { /* best effort */ }
    return check_done();
}
