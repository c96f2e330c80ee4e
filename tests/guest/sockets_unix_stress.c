/*
 * sockets_unix_stress.c - several processes hammer AF_UNIX at once: connect/accept on one
 * listener, files passed in both directions and closed in every order, sockets passed inside
 * sockets, datagram floods against a slow reader, peers vanishing mid-transfer. Success is
 * every worker finishing its fixed amount of work and the kernel still answering; nothing
 * here depends on timing.
 */
#include "check.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#define WORKERS 4
#define ROUNDS 150

static int send_fds(int s, const int *fds, int n)
{
    char byte = 'F';
    struct iovec iov = { &byte, 1 };
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int) * 4)];
    } cb;
    memset(&cb, 0, sizeof cb);
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb.buf,
                         .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n) };
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n);
    return (int)sendmsg(s, &mh, MSG_NOSIGNAL);
}

/* Receive one byte and close whatever files came with it; returns how many came. */
static int recv_and_close(int s, int flags)
{
    char byte;
    struct iovec iov = { &byte, 1 };
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int) * 8)];
    } cb;
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb.buf,
                         .msg_controllen = sizeof cb.buf };
    if (recvmsg(s, &mh, flags) <= 0)
        return -1;
    int got = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        int fds[8];
        memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)n);
        for (int i = 0; i < n; i++)
            close(fds[i]);
        got += n;
    }
    return got;
}

/* One worker: returns 0 when all its rounds completed. */
static int worker(int id, const struct sockaddr_un *srv, socklen_t srvlen)
{
    for (int r = 0; r < ROUNDS; r++) {
        int sv[2], inner[2], p[2];
        if (socketpair(AF_UNIX, (r & 1) ? SOCK_SEQPACKET : SOCK_STREAM, 0, sv) < 0)
            return 10;
        if (socketpair(AF_UNIX, SOCK_DGRAM, 0, inner) < 0 || pipe(p) < 0)
            return 11;
        /* Queue something inside the inner pair, pass it and a pipe across, close in an
         * order that depends on the round. */
        send(inner[0], "in", 2, 0);
        int fds[4] = { inner[0], inner[1], p[0], p[1] };
        if (send_fds(sv[0], fds, 4) != 1)
            return 12;
        for (int i = 0; i < 4; i++)
            close(fds[i]);
        if (r % 3 == 0) {
            if (recv_and_close(sv[1], 0) != 4)
                return 13;
        }
        if (r % 2) {
            close(sv[1]);
            close(sv[0]);
        } else {
            close(sv[0]);
            close(sv[1]);
        }

        /* Connect to the shared server, which echoes one message and hangs up. */
        int c = socket(AF_UNIX, SOCK_STREAM, 0);
        if (c < 0)
            return 14;
        if (connect(c, (const struct sockaddr *)srv, srvlen) < 0) {
            close(c);
            return 15;
        }
        char msg[32], back[32];
        int n = snprintf(msg, sizeof msg, "w%d r%d", id, r);
        if (write(c, msg, (size_t)n) != n || read(c, back, sizeof back) != n ||
            memcmp(msg, back, (size_t)n) != 0) {
            close(c);
            return 16;
        }
        close(c);

        /* A datagram flood into a pair nobody reads, then drop both ends. */
        if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0)
            return 17;
        for (int k = 0; k < 64; k++)
            if (send(sv[0], msg, (size_t)n, MSG_DONTWAIT) < 0 && errno != EAGAIN)
                return 18;
        close(sv[1]);
        if (send(sv[0], "x", 1, 0) != -1 || errno != ECONNREFUSED)
            return 19;
        close(sv[0]);
    }
    return 0;
}

int main(void)
{
    check_begin("sockets_unix_stress");
    signal(SIGPIPE, SIG_IGN);
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    int nlen = snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "stress-%d-srv", (int)getpid());
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)nlen);
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    if (!CHECK_OK(bind(l, (struct sockaddr *)&sa, len), "bind the echo server") ||
        !CHECK_OK(listen(l, 8), "listen"))
        return check_done();

    pid_t server = fork();
    if (server == 0) {
        /* Serve exactly WORKERS * ROUNDS connections. */
        for (int i = 0; i < WORKERS * ROUNDS; i++) {
            int c = accept(l, NULL, NULL);
            if (c < 0)
                _exit(1);
            char buf[32];
            ssize_t n = read(c, buf, sizeof buf);
            if (n > 0 && write(c, buf, (size_t)n) != n)
                _exit(2);
            close(c);
        }
        _exit(0);
    }
    pid_t pids[WORKERS];
    for (int w = 0; w < WORKERS; w++) {
        pids[w] = fork();
        if (pids[w] == 0)
            _exit(worker(w, &sa, len));
    }
    close(l);
    for (int w = 0; w < WORKERS; w++) {
        char what[64];
        snprintf(what, sizeof what, "worker %d finished %d rounds", w, ROUNDS);
        check_child(pids[w], what);
    }
    check_child(server, "echo server served every connection");
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 && write(sv[0], "ok", 2) == 2 &&
              recv_and_close(sv[1], 0) == 0, "AF_UNIX still works afterwards");
    return check_done();
}
