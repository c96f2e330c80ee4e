/*
 * sockets_inet.c - AF_INET sockets over the loopback interface (no network device needed).
 *
 * TCP: connect/listen/accept, addresses, data both ways, half-close and EOF, a refused
 * connect (blocking and non-blocking with poll + SO_ERROR), ECONNRESET after the peer closes
 * with unread data, EPIPE, non-blocking EAGAIN, FIONREAD, SO_REUSEADDR, EADDRINUSE,
 * TCP_NODELAY, a bulk transfer between two processes. UDP: sendto/recvfrom with addresses,
 * datagram boundaries, MSG_TRUNC, connect; IP_TTL/IP_TOS and SIOCINQ/SIOCOUTQ on UDP and raw
 * ICMP sockets; sendto with an address on a connected TCP socket. Checked against Linux too
 * (OPENV_TEST_KERNEL=linux).
 */
#include "check.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#ifndef SIOCINQ
#define SIOCINQ FIONREAD      /* linux/sockios.h */
#endif
#ifndef SIOCOUTQ
#define SIOCOUTQ TIOCOUTQ
#endif

static struct sockaddr_in loopback(unsigned short port)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sa;
}

/* Linux leaves lo down without an init system: bring it up (root) if needed. */
static int ensure_loopback_up(void)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0)
        return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    int r = ioctl(s, SIOCGIFFLAGS, &ifr);
    if (r == 0 && !(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags |= IFF_UP;
        r = ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    close(s);
    return r;
}

/* A listening TCP socket on 127.0.0.1 with a kernel-chosen port. */
static int listener(unsigned short *port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = loopback(0);
    if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof sa) || listen(s, 8))
        return -1;
    socklen_t len = sizeof sa;
    getsockname(s, (struct sockaddr *)&sa, &len);
    *port = ntohs(sa.sin_port);
    return s;
}

static int connect_to(unsigned short port)
{
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = loopback(port);
    if (c < 0 || connect(c, (struct sockaddr *)&sa, sizeof sa))
        return -1;
    return c;
}

/* A port nobody listens on: bind one, then close it. */
static unsigned short unused_port(void)
{
    unsigned short port = 0;
    int s = listener(&port);
    close(s);
    return port;
}

static void test_tcp_basics(void)
{
    unsigned short port;
    int l = listener(&port);
    if (!CHECK(l >= 0 && port != 0, "listen on an ephemeral port"))
        return;
    int c = connect_to(port);
    CHECK(c >= 0, "connect to 127.0.0.1");
    struct sockaddr_in peer;
    socklen_t plen = sizeof peer;
    int a = accept(l, (struct sockaddr *)&peer, &plen);
    CHECK(a >= 0, "accept");
    CHECK_EQ(plen, sizeof peer, "accept returns a sockaddr_in");
    CHECK_EQ(peer.sin_addr.s_addr, htonl(INADDR_LOOPBACK), "peer address is 127.0.0.1");

    struct sockaddr_in local, remote;
    socklen_t len = sizeof local;
    CHECK_OK(getsockname(c, (struct sockaddr *)&local, &len), "getsockname of the client");
    len = sizeof remote;
    CHECK_OK(getpeername(c, (struct sockaddr *)&remote, &len), "getpeername of the client");
    CHECK_EQ(ntohs(remote.sin_port), port, "client's peer port is the listener's");
    CHECK_EQ(ntohs(peer.sin_port), ntohs(local.sin_port), "accepted peer port = client port");

    int one = 1, v = 0;
    len = sizeof v;
    CHECK_OK(setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), "set TCP_NODELAY");
    CHECK_OK(getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, &len), "get TCP_NODELAY");
    CHECK(v != 0, "TCP_NODELAY reads back set");
    v = 0;
    len = sizeof v;
    CHECK_OK(getsockopt(c, SOL_SOCKET, SO_TYPE, &v, &len), "SO_TYPE");
    CHECK_EQ(v, SOCK_STREAM, "SO_TYPE is SOCK_STREAM");

    CHECK_EQ(write(c, "ping", 4), 4, "client writes");
    char buf[64];
    CHECK_EQ(read(a, buf, sizeof buf), 4, "server reads what was written");
    CHECK(memcmp(buf, "ping", 4) == 0, "data arrives intact");
    CHECK_EQ(write(a, "pong!", 5), 5, "server writes");
    /* FIONREAD once the data is there. */
    struct pollfd pfd = { .fd = c, .events = POLLIN };
    CHECK_EQ(poll(&pfd, 1, 5000), 1, "poll: client readable");
    int avail = 0;
    CHECK_OK(ioctl(c, FIONREAD, &avail), "FIONREAD");
    CHECK_EQ(avail, 5, "FIONREAD counts the queued bytes");
    CHECK_EQ(recv(c, buf, 2, MSG_PEEK), 2, "MSG_PEEK");
    CHECK_EQ(read(c, buf, sizeof buf), 5, "peeked data is still there");

    /* Non-blocking read with nothing queued. */
    CHECK_ERR(recv(c, buf, sizeof buf, MSG_DONTWAIT), EAGAIN, "MSG_DONTWAIT: EAGAIN");

    /* Half-close: the server sees EOF but can still send. */
    CHECK_OK(shutdown(c, SHUT_WR), "shutdown(SHUT_WR)");
    CHECK_EQ(read(a, buf, sizeof buf), 0, "EOF after the peer's SHUT_WR");
    CHECK_EQ(write(a, "late", 4), 4, "writing to a half-closed peer works");
    CHECK_EQ(read(c, buf, sizeof buf), 4, "the half-closed side still reads");
    close(a);
    CHECK_EQ(read(c, buf, sizeof buf), 0, "EOF after the server closes");
    close(c);
    close(l);
}

static void test_tcp_refused(void)
{
    unsigned short port = unused_port();
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = loopback(port);
    CHECK_ERR(connect(c, (struct sockaddr *)&sa, sizeof sa), ECONNREFUSED,
              "blocking connect to a closed port: ECONNREFUSED");
    close(c);

    c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int r = connect(c, (struct sockaddr *)&sa, sizeof sa);
    int e = errno;
    CHECK(r == -1 && (e == EINPROGRESS || e == ECONNREFUSED),
          "non-blocking connect: EINPROGRESS (or an immediate ECONNREFUSED)");
    if (r == -1 && e == EINPROGRESS) {
        struct pollfd pfd = { .fd = c, .events = POLLOUT };
        CHECK_EQ(poll(&pfd, 1, 5000), 1, "poll reports the failed connect");
        CHECK(pfd.revents & (POLLERR | POLLHUP), "POLLERR/POLLHUP after a refused connect");
        int err = 0;
        socklen_t len = sizeof err;
        CHECK_OK(getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len), "SO_ERROR");
        CHECK_EQ(err, ECONNREFUSED, "SO_ERROR is ECONNREFUSED");
        err = -1;
        getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len);
        CHECK_EQ(err, 0, "SO_ERROR is cleared once read");
    }
    close(c);
}

static void test_tcp_nonblocking_connect_ok(void)
{
    unsigned short port;
    int l = listener(&port);
    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in sa = loopback(port);
    int r = connect(c, (struct sockaddr *)&sa, sizeof sa);
    CHECK(r == 0 || errno == EINPROGRESS, "non-blocking connect starts");
    struct pollfd pfd = { .fd = c, .events = POLLOUT };
    CHECK_EQ(poll(&pfd, 1, 5000), 1, "poll: connected socket writable");
    int err = -1;
    socklen_t len = sizeof err;
    getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len);
    CHECK_EQ(err, 0, "SO_ERROR 0 after a successful connect");
    /* Linux: the first connect() after the asynchronous one completed returns 0, the next
     * EISCONN. */
    CHECK_OK(connect(c, (struct sockaddr *)&sa, sizeof sa), "connect again completes: 0");
    CHECK_ERR(connect(c, (struct sockaddr *)&sa, sizeof sa), EISCONN, "and then: EISCONN");
    int fl = fcntl(l, F_GETFL);
    fcntl(l, F_SETFL, fl | O_NONBLOCK);
    int a = accept(l, NULL, NULL);
    CHECK(a >= 0, "accept the non-blocking connection");
    CHECK_ERR(accept(l, NULL, NULL), EAGAIN, "non-blocking accept with none pending: EAGAIN");
    close(a);
    close(c);
    close(l);
}

static void test_tcp_reset_and_epipe(void)
{
    unsigned short port;
    int l = listener(&port);
    int c = connect_to(port);
    int a = accept(l, NULL, NULL);
    /* Closing with unread data sends a reset. */
    CHECK_EQ(write(c, "unread", 6), 6, "client writes data the server never reads");
    struct pollfd pfd = { .fd = a, .events = POLLIN };
    poll(&pfd, 1, 5000);
    close(a);
    pfd.fd = c;
    CHECK_EQ(poll(&pfd, 1, 5000), 1, "client sees the reset");
    char buf[16];
    CHECK_ERR(read(c, buf, sizeof buf), ECONNRESET, "read after a reset: ECONNRESET");
    signal(SIGPIPE, SIG_IGN);
    CHECK_ERR(write(c, "x", 1), EPIPE, "write after a reset: EPIPE");
    signal(SIGPIPE, SIG_DFL);
    close(c);
    close(l);
}

static void test_tcp_bind_rules(void)
{
    unsigned short port;
    int l = listener(&port);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = loopback(port);
    CHECK_ERR(bind(s, (struct sockaddr *)&sa, sizeof sa), EADDRINUSE,
              "bind to a listening port: EADDRINUSE");
    close(s);
    s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in bad = loopback(0);
    bad.sin_addr.s_addr = inet_addr("192.0.2.1");
    CHECK_ERR(bind(s, (struct sockaddr *)&bad, sizeof bad), EADDRNOTAVAIL,
              "bind to an address not ours: EADDRNOTAVAIL");
    CHECK_ERR(bind(s, (struct sockaddr *)&sa, 4), EINVAL, "bind with a short address: EINVAL");
    close(s);
    close(l);

    /* SO_REUSEADDR: a server can rebind its port right after a connection was closed (the
     * accepted socket inherits the option, which its TIME_WAIT remainder needs too). */
    l = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sa = loopback(0);
    bind(l, (struct sockaddr *)&sa, sizeof sa);
    listen(l, 8);
    socklen_t slen = sizeof sa;
    getsockname(l, (struct sockaddr *)&sa, &slen);
    port = ntohs(sa.sin_port);
    int c = connect_to(port);
    int a = accept(l, NULL, NULL);
    close(a);       /* the server side closes first: its end lingers in TIME_WAIT */
    char buf[4];
    read(c, buf, sizeof buf);
    close(c);
    close(l);
    s = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_OK(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), "SO_REUSEADDR");
    sa = loopback(port);
    CHECK_OK(bind(s, (struct sockaddr *)&sa, sizeof sa), "rebind with SO_REUSEADDR");
    CHECK_OK(listen(s, 1), "listen again");
    close(s);
}

static void test_tcp_bulk(void)
{
    unsigned short port;
    int l = listener(&port);
    const size_t total = 4u << 20;
    pid_t pid = fork();
    if (pid == 0) {
        int c = connect_to(port);
        static char chunk[32768];
        for (size_t i = 0; i < sizeof chunk; i++)
            chunk[i] = (char)(i * 7);
        size_t sent = 0;
        while (sent < total) {
            ssize_t n = write(c, chunk, sizeof chunk);
            if (n <= 0)
                _exit(1);
            sent += (size_t)n;
        }
        close(c);
        _exit(0);
    }
    int a = accept(l, NULL, NULL);
    static char buf[65536];
    size_t got = 0;
    int ok = 1;
    for (;;) {
        ssize_t n = read(a, buf, sizeof buf);
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] != (char)(((got + (size_t)i) % 32768) * 7))
                ok = 0;
        got += (size_t)n;
    }
    CHECK_EQ(got, total, "4 MiB over loopback TCP");
    CHECK(ok, "bulk data arrives in order and intact");
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the sender finished");
    close(a);
    close(l);
}

static void test_udp(void)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    int r = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = loopback(0);
    CHECK_OK(bind(r, (struct sockaddr *)&sa, sizeof sa), "bind a UDP socket");
    socklen_t len = sizeof sa;
    getsockname(r, (struct sockaddr *)&sa, &len);
    CHECK(sa.sin_port != 0, "UDP bind picks a port");

    CHECK_EQ(sendto(s, "one", 3, 0, (struct sockaddr *)&sa, sizeof sa), 3, "sendto");
    CHECK_EQ(sendto(s, "second", 6, 0, (struct sockaddr *)&sa, sizeof sa), 6, "sendto again");
    struct pollfd pfd = { .fd = r, .events = POLLIN };
    CHECK_EQ(poll(&pfd, 1, 5000), 1, "poll: datagram arrived");
    char buf[64];
    struct sockaddr_in from;
    len = sizeof from;
    CHECK_EQ(recvfrom(r, buf, sizeof buf, 0, (struct sockaddr *)&from, &len), 3,
             "datagram boundaries kept");
    CHECK_EQ(from.sin_addr.s_addr, htonl(INADDR_LOOPBACK), "source address reported");
    struct sockaddr_in me;
    len = sizeof me;
    getsockname(s, (struct sockaddr *)&me, &len);
    CHECK_EQ(from.sin_port, me.sin_port, "source port is the sender's (autobound) port");
    poll(&pfd, 1, 5000);
    CHECK_EQ(recv(r, buf, 2, MSG_TRUNC), 6, "MSG_TRUNC returns the full length");
    CHECK_ERR(recv(r, buf, sizeof buf, MSG_DONTWAIT), EAGAIN, "empty queue: EAGAIN");

    CHECK_OK(connect(s, (struct sockaddr *)&sa, sizeof sa), "connect a UDP socket");
    CHECK_EQ(send(s, "conn", 4, 0), 4, "send on a connected UDP socket");
    poll(&pfd, 1, 5000);
    CHECK_EQ(recv(r, buf, sizeof buf, 0), 4, "received");
    /* An address longer than sockaddr_storage: sendto refuses it, sendmsg clamps it. */
    struct {
        struct sockaddr_in sin;
        char pad[200];
    } longname;
    memset(&longname, 0, sizeof longname);
    longname.sin = sa;
    CHECK_ERR(sendto(s, "x", 1, 0, (struct sockaddr *)&longname, 200), EINVAL,
              "sendto with a 200-byte address: EINVAL");
    struct iovec iov = { "long", 4 };
    struct msghdr mh = { .msg_name = &longname, .msg_namelen = 200, .msg_iov = &iov,
                         .msg_iovlen = 1 };
    CHECK_EQ(sendmsg(s, &mh, 0), 4, "sendmsg with a 200-byte msg_namelen: clamped, sent");
    poll(&pfd, 1, 5000);
    CHECK(recv(r, buf, sizeof buf, 0) == 4 && memcmp(buf, "long", 4) == 0, "and received");
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK_ERR(send(u, "x", 1, 0), EDESTADDRREQ, "send without a destination: EDESTADDRREQ");
    close(u);
    close(s);
    close(r);
}

static void test_socket_args(void)
{
    CHECK_ERR(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT,
              "stream socket with IPPROTO_UDP: EPROTONOSUPPORT");
    CHECK_ERR(socket(AF_INET, SOCK_SEQPACKET, 0), ESOCKTNOSUPPORT,
              "AF_INET SOCK_SEQPACKET: ESOCKTNOSUPPORT");
    int s = socket(AF_INET, SOCK_STREAM, 0);
    char buf[4];
    CHECK_ERR(read(s, buf, sizeof buf), ENOTCONN, "read on an unconnected TCP socket: ENOTCONN");
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    CHECK_ERR(getpeername(s, (struct sockaddr *)&sa, &len), ENOTCONN,
              "getpeername unconnected: ENOTCONN");
    close(s);
}

/* IP_TTL / IP_TOS and SIOCINQ / SIOCOUTQ on the datagram protocols (UDP, raw ICMP). */
static void check_ip_opts_and_queue_ioctls(int s, const char *what)
{
    char label[96];
    int v = 0;
    socklen_t len = sizeof v;
    snprintf(label, sizeof label, "%s: default IP_TTL is 64", what);
    CHECK(getsockopt(s, IPPROTO_IP, IP_TTL, &v, &len) == 0 && v == 64, label);
    v = 7;
    snprintf(label, sizeof label, "%s: set IP_TTL 7", what);
    CHECK_OK(setsockopt(s, IPPROTO_IP, IP_TTL, &v, sizeof v), label);
    v = 0;
    len = sizeof v;
    snprintf(label, sizeof label, "%s: IP_TTL reads back 7", what);
    CHECK(getsockopt(s, IPPROTO_IP, IP_TTL, &v, &len) == 0 && v == 7 && len == sizeof v, label);
    v = 0;
    snprintf(label, sizeof label, "%s: IP_TTL 0 -> EINVAL", what);
    CHECK_ERR(setsockopt(s, IPPROTO_IP, IP_TTL, &v, sizeof v), EINVAL, label);
    v = 256;
    snprintf(label, sizeof label, "%s: IP_TTL 256 -> EINVAL", what);
    CHECK_ERR(setsockopt(s, IPPROTO_IP, IP_TTL, &v, sizeof v), EINVAL, label);
    v = -1;
    snprintf(label, sizeof label, "%s: IP_TTL -1 restores the default", what);
    len = sizeof v;
    CHECK(setsockopt(s, IPPROTO_IP, IP_TTL, &v, sizeof v) == 0 &&
              getsockopt(s, IPPROTO_IP, IP_TTL, &v, &len) == 0 && v == 64, label);
    v = 0x10;
    snprintf(label, sizeof label, "%s: IP_TOS set and read back", what);
    CHECK(setsockopt(s, IPPROTO_IP, IP_TOS, &v, sizeof v) == 0 &&
              (v = 0, len = sizeof v, getsockopt(s, IPPROTO_IP, IP_TOS, &v, &len)) == 0 &&
              v == 0x10, label);
    snprintf(label, sizeof label, "%s: unknown IPPROTO_IP option -> ENOPROTOOPT", what);
    len = sizeof v;
    CHECK_ERR(getsockopt(s, IPPROTO_IP, IP_HDRINCL + 1000, &v, &len), ENOPROTOOPT, label);
    v = -1;
    snprintf(label, sizeof label, "%s: SIOCOUTQ with nothing queued is 0", what);
    CHECK(ioctl(s, SIOCOUTQ, &v) == 0 && v == 0, label);
    v = -1;
    snprintf(label, sizeof label, "%s: SIOCINQ on an empty queue is 0", what);
    CHECK(ioctl(s, SIOCINQ, &v) == 0 && v == 0, label);
    snprintf(label, sizeof label, "%s: SIOCINQ into a bad pointer -> EFAULT", what);
    CHECK_ERR(ioctl(s, SIOCINQ, (int *)8), EFAULT, label);
}

static void test_datagram_options(void)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    check_ip_opts_and_queue_ioctls(s, "UDP");
    int r = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = loopback(0);
    socklen_t len = sizeof sa;
    bind(r, (struct sockaddr *)&sa, sizeof sa);
    getsockname(r, (struct sockaddr *)&sa, &len);
    sendto(s, "12345", 5, 0, (struct sockaddr *)&sa, sizeof sa);
    sendto(s, "123", 3, 0, (struct sockaddr *)&sa, sizeof sa);
    struct pollfd pfd = { .fd = r, .events = POLLIN };
    poll(&pfd, 1, 5000);
    int v = -1;
    CHECK(ioctl(r, SIOCINQ, &v) == 0 && v == 5, "UDP SIOCINQ is the next datagram's length");
    char buf[16];
    recv(r, buf, sizeof buf, 0);
    poll(&pfd, 1, 5000);
    v = -1;
    CHECK(ioctl(r, SIOCINQ, &v) == 0 && v == 3, "then the following one's");
    close(r);
    close(s);

    s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    if (s < 0) {
        check_skip("raw ICMP options", "socket(SOCK_RAW, IPPROTO_ICMP): errno %d", errno);
        return;
    }
    check_ip_opts_and_queue_ioctls(s, "raw ICMP");
    close(s);
}

/* sendto with an address on a connected TCP socket: the address is ignored (Linux). */
static void test_tcp_sendto_with_address(void)
{
    unsigned short port;
    int l = listener(&port);
    int c = connect_to(port);
    int a = accept(l, NULL, NULL);
    struct sockaddr_in other = loopback(1);
    CHECK_EQ(sendto(c, "addr", 4, 0, (struct sockaddr *)&other, sizeof other), 4,
             "sendto on a connected TCP socket ignores the address");
    char buf[8];
    CHECK(recv(a, buf, 4, MSG_WAITALL) == 4 && memcmp(buf, "addr", 4) == 0,
          "and the data arrives on the connection");
    close(a);
    close(c);
    close(l);
}

/* MSG_WAITALL waits for the whole length across separate segments; at end of file it
 * returns what came. */
static void test_tcp_recv_waitall(void)
{
    unsigned short port;
    int l = listener(&port);
    int c = connect_to(port);
    int a = accept(l, NULL, NULL);
    pid_t pid = fork();
    if (pid == 0) {
        usleep(100 * 1000);
        int ok = write(c, "first", 5) == 5;
        usleep(100 * 1000);
        ok = ok && write(c, "second", 6) == 6;
        usleep(100 * 1000);
        ok = ok && write(c, "end", 3) == 3;
        shutdown(c, SHUT_WR);
        _exit(ok ? 0 : 1);
    }
    char buf[32] = {0};
    CHECK(recv(a, buf, 11, MSG_WAITALL) == 11 && memcmp(buf, "firstsecond", 11) == 0,
          "recv MSG_WAITALL waits for data sent in two writes");
    CHECK_EQ(recv(a, buf, sizeof buf, MSG_WAITALL), 3,
             "recv MSG_WAITALL returns the rest at end of file");
    check_child(pid, "MSG_WAITALL writer");
    close(a);
    close(c);
    close(l);
}

int main(void)
{
    check_begin("sockets_inet");
    if (ensure_loopback_up() != 0) {
        check_skip("loopback", "cannot bring lo up");
        return check_done();
    }
    test_socket_args();
    test_tcp_basics();
    test_tcp_refused();
    test_tcp_nonblocking_connect_ok();
    test_tcp_reset_and_epipe();
    test_tcp_bind_rules();
    test_tcp_bulk();
    test_udp();
    test_datagram_options();
    test_tcp_sendto_with_address();
    test_tcp_recv_waitall();
    return check_done();
}
