/* A small HTTP/1.1 GET client for NoCloud seeds served over HTTP: plain sockets, a deadline
 * for the whole request, bounded response size, Content-Length or chunked bodies. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core.h"

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The value of header name in the header block [h, hend), or NULL; *vlen its length. */
static const char *header(const char *h, const char *hend, const char *name, size_t *vlen)
{
    size_t nl = strlen(name);
    for (const char *l = h; l < hend;) {
        const char *e = memchr(l, '\n', (size_t)(hend - l));
        if (!e)
            e = hend;
        if ((size_t)(e - l) > nl && !strncasecmp(l, name, nl) && l[nl] == ':') {
            const char *v = l + nl + 1;
            while (v < e && (*v == ' ' || *v == '\t'))
                v++;
            const char *ve = e;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
                ve--;
            *vlen = (size_t)(ve - v);
            return v;
        }
        l = e + 1;
    }
    return NULL;
}

static int dechunk(const char *p, size_t len, char *out, size_t *olen, char *err, size_t errlen)
{
    size_t i = 0, o = 0;
    for (;;) {
        size_t size = 0;
        int digits = 0;
        while (i < len) {
            char c = p[i];
            int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (v < 0)
                break;
            if (size > (SIZE_MAX >> 4)) {
                snprintf(err, errlen, "chunk size too large");
                return -1;
            }
            size = size * 16 + (size_t)v;
            digits++;
            i++;
        }
        const char *nl = i < len ? memchr(p + i, '\n', len - i) : NULL;
        if (!digits || !nl) {
            snprintf(err, errlen, "truncated or invalid chunked body");
            return -1;
        }
        i = (size_t)(nl - p) + 1;
        if (size == 0)
            break;
        if (size > len - i) {
            snprintf(err, errlen, "truncated chunked body");
            return -1;
        }
        memcpy(out + o, p + i, size);
        o += size;
        i += size;
        if (i < len && p[i] == '\r')
            i++;
        if (i < len && p[i] == '\n')
            i++;
    }
    *olen = o;
    return 0;
}

int ci_http_parse_response(const char *buf, size_t len, int *status, char **body, size_t *blen,
                           char *err, size_t errlen)
{
    *body = NULL;
    if (len < 12 || strncmp(buf, "HTTP/1.", 7) || buf[8] != ' ') {
        snprintf(err, errlen, "not an HTTP/1.x response");
        return -1;
    }
    int st = 0;
    for (int i = 9; i < 12; i++) {
        if (buf[i] < '0' || buf[i] > '9') {
            snprintf(err, errlen, "bad HTTP status line");
            return -1;
        }
        st = st * 10 + (buf[i] - '0');
    }
    const char *hend = NULL;
    for (size_t i = 0; i + 1 < len; i++) {
        if (buf[i] == '\n' && (buf[i + 1] == '\n' ||
                               (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n'))) {
            hend = buf + i + 1;
            break;
        }
    }
    if (!hend) {
        snprintf(err, errlen, "truncated HTTP headers");
        return -1;
    }
    const char *b = hend + (*hend == '\r' ? 2 : 1);
    size_t avail = (size_t)(buf + len - b);
    char *out = malloc(avail + 1);
    if (!out) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t tel = 0, vl = 0, olen = avail;
    const char *te = header(buf, hend, "Transfer-Encoding", &tel);
    const char *cl = header(buf, hend, "Content-Length", &vl);
    if (te && tel >= 7 && !strncasecmp(te + tel - 7, "chunked", 7)) {
        if (dechunk(b, avail, out, &olen, err, errlen) < 0) {
            free(out);
            return -1;
        }
    } else {
        if (cl) {
            char tmp[24];
            size_t l = vl < sizeof tmp ? vl : 0;
            memcpy(tmp, cl, l);
            tmp[l] = '\0';
            char *end;
            unsigned long long n = strtoull(tmp, &end, 10);
            if (!l || *end || n > avail) {
                free(out);
                snprintf(err, errlen, "body shorter than its Content-Length");
                return -1;
            }
            olen = (size_t)n;
        }
        memcpy(out, b, olen);
    }
    out[olen] = '\0';
    *status = st;
    *body = out;
    *blen = olen;
    return 0;
}

static int wait_fd(int fd, short ev, long long deadline)
{
    long long left = deadline - now_ms();
    if (left <= 0)
        return -1;
    struct pollfd p = {fd, ev, 0};
    int r = poll(&p, 1, (int)left);
    return r > 0 ? 0 : -1;
}

int ci_http_get(const char *url, int timeout_ms, size_t max, int *status, char **body,
                size_t *blen, char *err, size_t errlen)
{
    *body = NULL;
    if (strncmp(url, "http://", 7)) {
        snprintf(err, errlen, "%s: only http:// seeds are supported", url);
        return -1;
    }
    const char *h = url + 7;
    const char *slash = strchr(h, '/');
    const char *path = slash ? slash : "/";
    size_t hl = slash ? (size_t)(slash - h) : strlen(h);
    char host[256], port[8] = "80";
    if (!hl || hl >= sizeof host) {
        snprintf(err, errlen, "%s: bad host", url);
        return -1;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    char *colon = strchr(host, ':');
    if (colon) {
        *colon = '\0';
        if (strlen(colon + 1) >= sizeof port || !colon[1]) {
            snprintf(err, errlen, "%s: bad port", url);
            return -1;
        }
        strcpy(port, colon + 1);
    }
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *ai;
    int gr = getaddrinfo(host, port, &hints, &ai);
    if (gr) {
        snprintf(err, errlen, "%s: cannot resolve %s: %s", url, host, gai_strerror(gr));
        return -1;
    }
    long long deadline = now_ms() + timeout_ms;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        freeaddrinfo(ai);
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    int cr = connect(fd, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    if (cr < 0 && errno != EINPROGRESS) {
        snprintf(err, errlen, "%s: connect: %s", url, strerror(errno));
        close(fd);
        return -1;
    }
    if (cr < 0) {
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if (wait_fd(fd, POLLOUT, deadline) < 0 ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr) {
            snprintf(err, errlen, "%s: connect: %s", url, soerr ? strerror(soerr) : "timed out");
            close(fd);
            return -1;
        }
    }
    char req[1200];
    int rl = snprintf(req, sizeof req,
                      "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: openv-cloud-init\r\n"
                      "Accept: */*\r\nConnection: close\r\n\r\n", path, host);
    if (rl < 0 || (size_t)rl >= sizeof req) {
        snprintf(err, errlen, "%s: URL too long", url);
        close(fd);
        return -1;
    }
    for (int off = 0; off < rl;) {
        if (wait_fd(fd, POLLOUT, deadline) < 0) {
            snprintf(err, errlen, "%s: send timed out", url);
            close(fd);
            return -1;
        }
        ssize_t w = send(fd, req + off, (size_t)(rl - off), MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN && errno != EINTR) {
            snprintf(err, errlen, "%s: send: %s", url, strerror(errno));
            close(fd);
            return -1;
        }
        if (w > 0)
            off += (int)w;
    }
    /* The whole response (headers too), up to max plus room for the headers. */
    size_t cap = 16384, used = 0, limit = max + 65536;
    char *resp = malloc(cap);
    int result = -1;
    while (resp) {
        if (wait_fd(fd, POLLIN, deadline) < 0) {
            snprintf(err, errlen, "%s: timed out", url);
            break;
        }
        if (used + 1 >= cap) {
            if (cap >= limit) {
                snprintf(err, errlen, "%s: response larger than %zu bytes", url, max);
                break;
            }
            char *g = realloc(resp, cap * 2);
            if (!g)
                break;
            resp = g;
            cap *= 2;
        }
        ssize_t r = recv(fd, resp + used, cap - used - 1, 0);
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (r < 0) {
            snprintf(err, errlen, "%s: recv: %s", url, strerror(errno));
            break;
        }
        if (r == 0) {
            result = ci_http_parse_response(resp, used, status, body, blen, err, errlen);
            if (result == 0 && *blen > max) {
                free(*body);
                *body = NULL;
                snprintf(err, errlen, "%s: response larger than %zu bytes", url, max);
                result = -1;
            }
            break;
        }
        used += (size_t)r;
    }
    free(resp);
    close(fd);
    return result;
}
