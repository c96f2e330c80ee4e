/* Files under ctx->root and the agent's log lines. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cloudinit.h"

int ci_path(const struct ci_context *ctx, const char *abs, char *out, size_t outlen)
{
    const char *root = ctx->root ? ctx->root : "/";
    size_t rl = strlen(root);
    while (rl > 0 && root[rl - 1] == '/')
        rl--;
    if (abs[0] != '/') {
        errno = EINVAL;
        return -1;
    }
    int n = snprintf(out, outlen, "%.*s%s", (int)rl, root, abs);
    if (n < 0 || (size_t)n >= outlen) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

char *ci_read_file(const struct ci_context *ctx, const char *abs, size_t *len)
{
    char path[4096];
    if (ci_path(ctx, abs, path, sizeof path) < 0)
        return NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 4096, used = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (used + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                errno = ENOMEM;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + used, cap - used - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            buf = NULL;
            errno = e;
            break;
        }
        if (r == 0) {
            buf[used] = '\0';
            if (len)
                *len = used;
            break;
        }
        used += (size_t)r;
    }
    int e = errno;
    close(fd);
    errno = e;
    return buf;
}

int ci_mkdir_p(const struct ci_context *ctx, const char *abs, mode_t mode)
{
    char path[4096];
    if (ci_path(ctx, abs, path, sizeof path) < 0)
        return -1;
    size_t skip = strlen(path) - strlen(abs);   /* never create the root prefix itself */
    for (char *p = path + skip + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(path, mode) < 0 && errno != EEXIST)
                return -1;
            *p = c;
            if (c == '\0')
                break;
        }
    }
    struct stat st;
    if (stat(path, &st) < 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

int ci_write_file(const struct ci_context *ctx, const char *abs, const void *data, size_t len,
                  mode_t mode, uid_t uid, gid_t gid)
{
    char path[4096], tmp[4096 + 16];
    if (ci_path(ctx, abs, path, sizeof path) < 0)
        return -1;
    if (snprintf(tmp, sizeof tmp, "%s.ci-new", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -1;
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            goto fail;
        p += w;
        left -= (size_t)w;
    }
    if ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) < 0)
        goto fail;
    /* After chown, which clears set-id bits. */
    if (fchmod(fd, mode) < 0 || fsync(fd) < 0)
        goto fail;
    if (close(fd) < 0) {
        fd = -1;
        goto fail;
    }
    if (rename(tmp, path) < 0) {
        fd = -1;
        goto fail;
    }
    return 0;
fail:;
    int e = errno;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    errno = e;
    return -1;
}

static const char *const level_names[] = {"DEBUG", "INFO", "WARNING", "ERROR"};

static void vlog(struct ci_context *ctx, enum ci_level level, const char *fmt, va_list ap)
{
    FILE *f = ctx->log ? ctx->log : stderr;
    /* cloud-init's format, milliseconds after a comma: "2026-12-07 01:43:17,123". */
    char stamp[40] = "";
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    if (gmtime_r(&now.tv_sec, &tm)) {
        size_t n = strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
        snprintf(stamp + n, sizeof stamp - n, ",%03ld", now.tv_nsec / 1000000);
    }
    fprintf(f, "%s - %s[%s]: ", stamp, ctx->module ? ctx->module : "cloud-init",
            level_names[level]);
    vfprintf(f, fmt, ap);
    fputc('\n', f);
    fflush(f);
}

void ci_log(struct ci_context *ctx, enum ci_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(ctx, level, fmt, ap);
    va_end(ap);
}

/* Keeps a copy of the message, prefixed by the module, for status --long and status.json. */
static void remember(struct ci_context *ctx, char ***msgs, size_t *n, const char *fmt, va_list ap)
{
    char text[1024];
    int off = ctx->module ? snprintf(text, sizeof text, "%s: ", ctx->module) : 0;
    if (off < 0 || (size_t)off >= sizeof text)
        off = 0;
    vsnprintf(text + off, sizeof text - (size_t)off, fmt, ap);
    char **grown = realloc(*msgs, (*n + 1) * sizeof **msgs);
    if (!grown)
        return;
    *msgs = grown;
    char *copy = strdup(text);
    if (copy)
        grown[(*n)++] = copy;
}

void ci_error(struct ci_context *ctx, const char *fmt, ...)
{
    va_list ap;
    ctx->errors++;
    va_start(ap, fmt);
    vlog(ctx, CI_ERROR, fmt, ap);
    va_end(ap);
    va_start(ap, fmt);
    remember(ctx, &ctx->error_msgs, &ctx->n_error_msgs, fmt, ap);
    va_end(ap);
}

void ci_warn(struct ci_context *ctx, const char *fmt, ...)
{
    va_list ap;
    ctx->warnings++;
    va_start(ap, fmt);
    vlog(ctx, CI_WARNING, fmt, ap);
    va_end(ap);
    va_start(ap, fmt);
    remember(ctx, &ctx->warning_msgs, &ctx->n_warning_msgs, fmt, ap);
    va_end(ap);
}

void ci_context_release(struct ci_context *ctx)
{
    for (size_t i = 0; i < ctx->n_error_msgs; i++)
        free(ctx->error_msgs[i]);
    for (size_t i = 0; i < ctx->n_warning_msgs; i++)
        free(ctx->warning_msgs[i]);
    free(ctx->error_msgs);
    free(ctx->warning_msgs);
    ctx->error_msgs = ctx->warning_msgs = NULL;
    ctx->n_error_msgs = ctx->n_warning_msgs = 0;
}
