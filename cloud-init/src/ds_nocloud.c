/* NoCloud: a filesystem labelled cidata/CIDATA (iso9660 or vfat, what cloud-localds writes),
 * and the kernel command line's ds=nocloud;s=URL;h=HOST;i=IID. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"

void ci_seed_free(struct ci_seed *s)
{
    free(s->meta);
    free(s->user);
    free(s->vendor);
    free(s->netcfg);
    memset(s, 0, sizeof *s);
}

char *ci_seed_file(const struct ci_context *ctx, const char *dir, const char *name, size_t *len,
                   bool *too_big)
{
    char abs[1024], path[4096];
    struct stat st;
    *too_big = false;
    if (snprintf(abs, sizeof abs, "%s/%s", dir, name) >= (int)sizeof abs ||
        ci_path(ctx, abs, path, sizeof path) < 0 || stat(path, &st) < 0)
        return NULL;
    /* A seed is untrusted: a file far larger than any real seed is refused before reading. */
    if (st.st_size > CI_SEED_FILE_MAX) {
        *too_big = true;
        return NULL;
    }
    return ci_read_file(ctx, abs, len);
}

static char *read_in(const struct ci_context *ctx, const char *dir, const char *name, size_t *len,
                     char *err, size_t errlen)
{
    bool too_big;
    char *s = ci_seed_file(ctx, dir, name, len, &too_big);
    if (too_big && !err[0])
        snprintf(err, errlen, "%s is larger than %d bytes", name, CI_SEED_FILE_MAX);
    return s;
}

int ci_nocloud_read_dir(const struct ci_context *ctx, const char *dir, struct ci_seed *s,
                        char *err, size_t errlen)
{
    err[0] = '\0';
    s->meta = read_in(ctx, dir, "meta-data", &s->meta_len, err, errlen);
    s->user = read_in(ctx, dir, "user-data", &s->user_len, err, errlen);
    s->vendor = read_in(ctx, dir, "vendor-data", &s->vendor_len, err, errlen);
    s->netcfg = read_in(ctx, dir, "network-config", &s->netcfg_len, err, errlen);
    if (err[0])
        return -1;
    if (!s->meta || !s->user) {
        snprintf(err, errlen, "the seed has no %s", !s->meta ? "meta-data" : "user-data");
        return -1;
    }
    return 0;
}

/* Splits "ds=nocloud;s=...;h=...;i=..." (one word of the command line). */
void ci_cmdline_parse(const char *cmdline, struct ci_cmdline *out)
{
    memset(out, 0, sizeof *out);
    const char *p = cmdline;
    while (p && *p) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        const char *end = p;
        while (*end && *end != ' ' && *end != '\t' && *end != '\n')
            end++;
        size_t wl = (size_t)(end - p);
        if (wl > 3 && !strncmp(p, "ds=", 3)) {
            const char *v = p + 3;
            size_t vl = wl - 3;
            /* The datasource name ends at ';' (or is all of it). */
            const char *semi = memchr(v, ';', vl);
            size_t nl = semi ? (size_t)(semi - v) : vl;
            if ((nl == 7 && !strncmp(v, "nocloud", 7)) || (nl == 11 && !strncmp(v, "nocloud-net", 11))) {
                memset(out, 0, sizeof *out);
                out->nocloud = true;
                const char *k = semi ? semi + 1 : v + vl;
                while (k < p + wl) {
                    const char *ke = memchr(k, ';', (size_t)(p + wl - k));
                    if (!ke)
                        ke = p + wl;
                    if (ke - k > 2 && k[1] == '=') {
                        char *dst = k[0] == 's' ? out->url : k[0] == 'h' ? out->hostname
                                  : k[0] == 'i' ? out->instance_id : NULL;
                        size_t cap = k[0] == 's' ? sizeof out->url : sizeof out->hostname;
                        size_t l = (size_t)(ke - k - 2);
                        if (dst && l < cap) {
                            memcpy(dst, k + 2, l);
                            dst[l] = '\0';
                        }
                    } else if (ke - k > 12 && !strncmp(k, "seedfrom=", 9)) {
                        size_t l = (size_t)(ke - k - 9);
                        if (l < sizeof out->url) {
                            memcpy(out->url, k + 9, l);
                            out->url[l] = '\0';
                        }
                    }
                    k = ke + 1;
                }
            }
        }
        p = end;
    }
}

enum { HTTP_MAX = 1 << 20, HTTP_TIMEOUT_MS = 5000, HTTP_TRIES = 3 };

/* One seed file over HTTP with retries; *body NULL on 404 (absent). 0 or -1 (err). */
static int fetch(const char *base, const char *name, char **body, size_t *len, char *err,
                 size_t errlen)
{
    char url[700];
    size_t bl = strlen(base);
    snprintf(url, sizeof url, "%s%s%s", base, bl && base[bl - 1] == '/' ? "" : "/", name);
    *body = NULL;
    for (int attempt = 1; attempt <= HTTP_TRIES; attempt++) {
        int status;
        if (ci_http_get(url, HTTP_TIMEOUT_MS, HTTP_MAX, &status, body, len, err, errlen) == 0) {
            if (status == 200)
                return 0;
            free(*body);
            *body = NULL;
            if (status == 404)
                return 0;
            snprintf(err, errlen, "%s: HTTP status %d", url, status);
        }
        if (attempt < HTTP_TRIES)
            usleep(500000u * (unsigned)attempt);
    }
    return -1;
}

int ci_nocloud_http(struct ci_context *ctx, const char *url, struct ci_seed *s)
{
    char err[1024];
    static const char *const names[] = {"meta-data", "user-data", "vendor-data", "network-config"};
    char **bodies[] = {&s->meta, &s->user, &s->vendor, &s->netcfg};
    size_t *lens[] = {&s->meta_len, &s->user_len, &s->vendor_len, &s->netcfg_len};
    for (size_t i = 0; i < 4; i++) {
        if (fetch(url, names[i], bodies[i], lens[i], err, sizeof err) < 0) {
            ci_error(ctx, "NoCloud seed %s: %s", url, err);
            return -1;
        }
        if (i < 2 && !*bodies[i]) {
            ci_error(ctx, "NoCloud seed %s: no %s (HTTP 404)", url, names[i]);
            return -1;
        }
    }
    snprintf(s->name, sizeof s->name, "DataSourceNoCloudNet [seed=%s]", url);
    return 0;
}
