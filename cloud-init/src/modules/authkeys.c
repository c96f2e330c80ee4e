/* ~/.ssh/authorized_keys for users_groups (per-user keys) and ssh (the default user's and
 * root's keys). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "modules.h"

/* The base64 blob of an authorized_keys line (after its key type), as [*start, +*len). */
static bool key_blob(const char *line, size_t linelen, const char **start, size_t *len)
{
    static const char *const types[] = {"ssh-", "ecdsa-", "sk-"};
    const char *end = line + linelen;
    for (const char *p = line; p < end; p++) {
        if (p != line && p[-1] != ' ' && p[-1] != '\t')
            continue;
        for (size_t t = 0; t < sizeof types / sizeof *types; t++) {
            size_t tl = strlen(types[t]);
            if ((size_t)(end - p) <= tl || strncmp(p, types[t], tl))
                continue;
            const char *q = p;
            while (q < end && *q != ' ' && *q != '\t')
                q++;
            while (q < end && (*q == ' ' || *q == '\t'))
                q++;
            const char *b = q;
            while (q < end && *q != ' ' && *q != '\t')
                q++;
            if (q > b) {
                *start = b;
                *len = (size_t)(q - b);
                return true;
            }
        }
    }
    return false;
}

static bool has_key(const char *text, const char *key)
{
    const char *kb;
    size_t kl;
    if (!key_blob(key, strlen(key), &kb, &kl))
        return false;
    for (const char *p = text; p && *p; ) {
        size_t l = strcspn(p, "\n");
        const char *b;
        size_t bl;
        if (key_blob(p, l, &b, &bl) && bl == kl && !memcmp(b, kb, kl))
            return true;
        p += l + (p[l] == '\n');
    }
    return false;
}

static const char *skip_blank(const char *k)
{
    while (*k == ' ' || *k == '\t')
        k++;
    return k;
}

/* Whether the authorized_keys line [line, +linelen) holds the same key as key. */
static bool same_key(const char *line, size_t linelen, const char *key)
{
    const char *a, *b;
    size_t al, bl;
    key = skip_blank(key);
    return *key && *key != '#' && key_blob(line, linelen, &a, &al) &&
           key_blob(key, strlen(key), &b, &bl) && al == bl && !memcmp(a, b, al);
}

/* One line for key (blank or comment keys add nothing). */
static int add_key_line(struct mod_buf *out, const char *key, const char *prefix)
{
    key = skip_blank(key);
    if (!*key || *key == '#')
        return 0;
    return prefix ? mod_buf_printf(out, "%s %s\n", prefix, key) : mod_buf_printf(out, "%s\n", key);
}

/* uid, gid and home of user from ctx->root's /etc/passwd. */
static int user_info(struct ci_context *ctx, const char *user, uid_t *uid, gid_t *gid,
                     char *home, size_t homelen)
{
    struct acct_file f = {0};
    char *text = ci_read_file(ctx, "/etc/passwd", NULL);
    if (!text)
        return -1;
    int r = -1;
    size_t ul = strlen(user);
    for (char *p = text; *p; ) {
        size_t l = strcspn(p, "\n");
        if (!strncmp(p, user, ul) && p[ul] == ':') {
            char *line = strndup(p, l);
            if (line && acct_append(&f, line) == 0) {
                char *u = acct_field(&f, 0, 2), *g = acct_field(&f, 0, 3), *h = acct_field(&f, 0, 5);
                if (u && g && h && *u && *g && *h == '/') {
                    *uid = (uid_t)strtoul(u, NULL, 10);
                    *gid = (gid_t)strtoul(g, NULL, 10);
                    snprintf(home, homelen, "%s", h);
                    r = 0;
                }
                free(u);
                free(g);
                free(h);
            }
            free(line);
            break;
        }
        p += l + (p[l] == '\n');
    }
    for (size_t i = 0; i < f.n; i++)
        free(f.lines[i]);
    free(f.lines);
    free(text);
    return r;
}

int mod_add_authorized_keys(struct ci_context *ctx, const char *user, char *const keys[],
                            const char *prefix)
{
    if (!keys || !keys[0])
        return 0;
    uid_t uid = 0;
    gid_t gid = 0;
    char home[1024], dir[1100], file[1200], full[4096];
    if (user_info(ctx, user, &uid, &gid, home, sizeof home) < 0) {
        ci_error(ctx, "ssh keys for %s: no such user with a home directory", user);
        return -1;
    }
    snprintf(dir, sizeof dir, "%s/.ssh", strcmp(home, "/") ? home : "");
    snprintf(file, sizeof file, "%s/authorized_keys", dir);
    if (ci_mkdir_p(ctx, dir, 0700) < 0 || ci_path(ctx, dir, full, sizeof full) < 0 ||
        chown(full, uid, gid) < 0) {
        ci_error(ctx, "ssh keys for %s: cannot make %s: %s", user, dir, strerror(errno));
        return -1;
    }
    chmod(full, 0700);
    size_t len = 0;
    char *old = ci_read_file(ctx, file, &len);
    if (!old && errno != ENOENT) {
        ci_error(ctx, "ssh keys for %s: cannot read %s: %s", user, file, strerror(errno));
        return -1;
    }
    /* As cloud-init's update_authorized_keys: a line whose key is one of ours is replaced by our
     * line (so root's copy of a key gains disable_root's options), every other line stays byte
     * for byte, and the keys not yet there are appended. */
    size_t nkeys = 0;
    while (keys[nkeys])
        nkeys++;
    bool *placed = calloc(nkeys, sizeof *placed);
    struct mod_buf out = {0};
    int r = placed ? 0 : -1;
    for (const char *p = old; r == 0 && p && p < old + len; ) {
        size_t l = strcspn(p, "\n");
        size_t k = 0;
        while (k < nkeys && !same_key(p, l, keys[k]))
            k++;
        if (k < nkeys && !placed[k]) {
            placed[k] = true;
            r = add_key_line(&out, keys[k], prefix);
        } else if (k == nkeys) {
            r = mod_buf_add(&out, p, l);
            if (r == 0)
                r = mod_buf_str(&out, "\n");
        }
        p += l + (p[l] == '\n');
    }
    for (size_t i = 0; i < nkeys && r == 0; i++)
        if (!placed[i] && !has_key(out.p ? out.p : "", keys[i]))
            r = add_key_line(&out, keys[i], prefix);
    free(placed);
    free(old);
    if (r < 0 || ci_write_file(ctx, file, out.p ? out.p : "", out.len, 0600, uid, gid) < 0) {
        ci_error(ctx, "ssh keys for %s: cannot write %s: %s", user, file, strerror(errno));
        free(out.p);
        return -1;
    }
    free(out.p);
    ci_log(ctx, CI_INFO, "ssh keys for %s in %s", user, file);
    return 0;
}
