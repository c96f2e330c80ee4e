/* Reading cloud-config values the way cloud-init's modules do, and small text helpers. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modules.h"

bool mod_bool(struct ci_context *ctx, const struct ci_node *m, const char *key, bool def)
{
    const struct ci_node *v = ci_map_get(m, key);
    if (!v || v->type == CI_NULL)
        return def;
    bool b;
    if (ci_bool(v, &b) == 0)
        return b;
    ci_warn(ctx, "%s: not a boolean (line %d): using %s", key, v->line, def ? "true" : "false");
    return def;
}

void mod_strv_free(char **v)
{
    if (!v)
        return;
    for (size_t i = 0; v[i]; i++)
        free(v[i]);
    free(v);
}

static int strv_push(char ***v, size_t *n, const char *s, size_t len)
{
    char **grown = realloc(*v, (*n + 2) * sizeof **v);
    if (!grown)
        return -1;
    *v = grown;
    grown[*n] = strndup(s, len);
    if (!grown[*n])
        return -1;
    grown[++*n] = NULL;
    return 0;
}

char **mod_str_list(struct ci_context *ctx, const struct ci_node *n, const char *what, size_t *count)
{
    char **v = calloc(1, sizeof *v);
    size_t k = 0;
    if (!v)
        return NULL;
    const char *s = ci_scalar(n);
    if (s) {
        while (*s) {
            const char *end = strchr(s, ',');
            if (!end)
                end = s + strlen(s);
            const char *a = s, *b = end;
            while (a < b && (*a == ' ' || *a == '\t'))
                a++;
            while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
                b--;
            if (b > a && strv_push(&v, &k, a, (size_t)(b - a)) < 0)
                goto nomem;
            s = *end ? end + 1 : end;
        }
    } else if (n && n->type == CI_SEQ) {
        for (size_t i = 0; i < n->n; i++) {
            const char *item = ci_scalar(n->items[i]);
            if (!item) {
                ci_warn(ctx, "%s: item %zu (line %d) is not a string: skipped", what, i + 1,
                        n->items[i]->line);
                continue;
            }
            if (strv_push(&v, &k, item, strlen(item)) < 0)
                goto nomem;
        }
    } else if (n && n->type != CI_NULL) {
        ci_warn(ctx, "%s: expected a string or a list (line %d): ignored", what, n->line);
    }
    if (count)
        *count = k;
    return v;
nomem:
    mod_strv_free(v);
    errno = ENOMEM;
    return NULL;
}

int mod_buf_add(struct mod_buf *b, const void *src, size_t len)
{
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, len);
    b->len += len;
    b->p[b->len] = '\0';
    return 0;
}

int mod_buf_str(struct mod_buf *b, const char *s)
{
    return mod_buf_add(b, s, strlen(s));
}

int mod_buf_printf(struct mod_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    int r = mod_buf_add(b, s, (size_t)n);
    free(s);
    return r;
}

int mod_buf_shell_word(struct mod_buf *b, const char *word)
{
    /* Words made only of these need no quotes (what Python's shlex.quote leaves alone). */
    static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "0123456789@%+=:,./-_";
    if (*word && strspn(word, plain) == strlen(word))
        return mod_buf_str(b, word);
    if (mod_buf_str(b, "'") < 0)
        return -1;
    for (const char *p = word; *p; p++) {
        if (*p == '\'' ? mod_buf_str(b, "'\"'\"'") < 0 : mod_buf_add(b, p, 1) < 0)
            return -1;
    }
    return mod_buf_str(b, "'");
}

int mod_cmd_line(struct ci_context *ctx, const struct ci_node *entry, const char *what,
                 struct mod_buf *out)
{
    const char *s = ci_scalar(entry);
    if (s)
        return mod_buf_str(out, s);
    if (entry && entry->type == CI_SEQ && entry->n > 0) {
        for (size_t i = 0; i < entry->n; i++) {
            const char *w = ci_scalar(entry->items[i]);
            if (!w) {
                ci_warn(ctx, "%s: argument %zu (line %d) is not a string: command skipped", what,
                        i + 1, entry->items[i]->line);
                return -1;
            }
            if ((i && mod_buf_str(out, " ") < 0) || mod_buf_shell_word(out, w) < 0)
                return -1;
        }
        return 0;
    }
    ci_warn(ctx, "%s: not a command string or a non-empty list (line %d): skipped", what,
            entry ? entry->line : 0);
    return -1;
}

bool mod_safe_path(const char *path)
{
    if (!path || path[0] != '/')
        return false;
    for (const char *p = path; *p; ) {
        while (*p == '/')
            p++;
        size_t len = strcspn(p, "/");
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return false;
        p += len;
    }
    return true;
}

static void copy(char *dst, size_t len, const char *src, size_t n)
{
    if (!len)
        return;
    if (n >= len)
        n = len - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void mod_hostname_fqdn(const struct ci_context *ctx, char *host, size_t hostlen, char *fqdn,
                       size_t fqdnlen)
{
    const char *cfg_fqdn = ci_scalar(ci_map_get(ctx->cfg, "fqdn"));
    const char *cfg_host = ci_scalar(ci_map_get(ctx->cfg, "hostname"));
    const char *meta_host = ci_scalar(ci_map_get(ctx->meta, "local-hostname"));
    if (!meta_host)
        meta_host = ci_scalar(ci_map_get(ctx->meta, "hostname"));
    host[0] = fqdn[0] = '\0';
    if (cfg_fqdn && *cfg_fqdn) {
        copy(fqdn, fqdnlen, cfg_fqdn, strlen(cfg_fqdn));
        if (cfg_host && *cfg_host)
            copy(host, hostlen, cfg_host, strlen(cfg_host));
        else
            copy(host, hostlen, cfg_fqdn, strcspn(cfg_fqdn, "."));
    } else if (cfg_host && *cfg_host) {
        copy(fqdn, fqdnlen, cfg_host, strlen(cfg_host));
        copy(host, hostlen, cfg_host, strcspn(cfg_host, "."));
    } else if (meta_host && *meta_host) {
        copy(fqdn, fqdnlen, meta_host, strlen(meta_host));
        copy(host, hostlen, meta_host, strcspn(meta_host, "."));
    }
}

void mod_console(struct ci_context *ctx, const char *text)
{
    char path[4096];
    int fd = ci_path(ctx, "/dev/console", path, sizeof path) == 0
                 ? open(path, O_WRONLY | O_APPEND | O_NOCTTY | O_CLOEXEC) : -1;
    if (fd < 0) {
        fflush(stderr);
        fd = dup(2);
    }
    if (fd < 0)
        return;
    size_t len = strlen(text);
    while (len > 0) {
        ssize_t w = write(fd, text, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        text += w;
        len -= (size_t)w;
    }
    close(fd);
}
