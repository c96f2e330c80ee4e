/* write_files content encodings: base64 here; gzip through `gzip -dc` (BusyBox on openv,
 * gzip on the host in unit tests) rather than an inflate of our own. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "modules.h"

int mod_base64_decode(const char *in, size_t len, struct mod_buf *out)
{
    unsigned acc = 0;
    int bits = 0, pad = 0;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        int v;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
            continue;
        if (c == '=') {
            pad++;
            continue;
        }
        if (pad)
            return -1;                          /* data after padding */
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            v = c - '0' + 52;
        else if (c == '+' || c == '-')
            v = 62;
        else if (c == '/' || c == '_')
            v = 63;
        else
            return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            unsigned char byte = (unsigned char)(acc >> bits);
            if (mod_buf_add(out, &byte, 1) < 0)
                return -1;
        }
    }
    /* 2 or 4 leftover bits are padding of a well-formed input; 6 means a lone character. */
    if (bits >= 6 || pad > 2 || (pad && bits == 0))
        return -1;
    return 0;
}

/* Decompressed output larger than this is refused (a small seed must not fill /data). */
#define GUNZIP_LIMIT (64u << 20)

int mod_gunzip(const void *in, size_t len, struct mod_buf *out)
{
    int to[2], from[2];
    if (pipe(to) < 0)
        return -1;
    if (pipe(from) < 0) {
        close(to[0]);
        close(to[1]);
        return -1;
    }
    pid_t gz = fork();
    if (gz == 0) {
        dup2(to[0], 0);
        dup2(from[1], 1);
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2(null, 2);
        close(to[0]);
        close(to[1]);
        close(from[0]);
        close(from[1]);
        execlp("gzip", "gzip", "-dc", (char *)NULL);
        _exit(127);
    }
    close(to[0]);
    close(from[1]);
    /* A writer of its own, so neither side of gzip blocks the other. */
    pid_t wr = gz < 0 ? -1 : fork();
    if (wr == 0) {
        close(from[0]);
        signal(SIGPIPE, SIG_DFL);
        const char *p = in;
        while (len > 0) {
            ssize_t w = write(to[1], p, len);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                _exit(1);
            p += w;
            len -= (size_t)w;
        }
        _exit(0);
    }
    close(to[1]);
    int rc = gz < 0 || wr < 0 ? -1 : 0;
    char buf[8192];
    while (rc == 0) {
        ssize_t r = read(from[0], buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            rc = r < 0 ? -1 : 0;
            break;
        }
        if (out->len + (size_t)r > GUNZIP_LIMIT || mod_buf_add(out, buf, (size_t)r) < 0) {
            rc = -1;
            break;
        }
    }
    close(from[0]);
    int st;
    if (wr > 0) {
        if (rc < 0)
            kill(wr, SIGKILL);
        while (waitpid(wr, &st, 0) < 0 && errno == EINTR)
            ;
    }
    if (gz > 0) {
        if (rc < 0)
            kill(gz, SIGKILL);
        while (waitpid(gz, &st, 0) < 0 && errno == EINTR)
            ;
        if (rc == 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
            rc = -1;
    }
    return rc;
}
