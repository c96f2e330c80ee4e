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
    struct mod_buf out = {0};
    int r = 0;
    if (old && len) {
        r = mod_buf_add(&out, old, len);
        if (r == 0 && old[len - 1] != '\n')
            r = mod_buf_str(&out, "\n");
    }
    for (size_t i = 0; keys[i] && r == 0; i++) {
        const char *k = keys[i];
        while (*k == ' ' || *k == '\t')
            k++;
        if (!*k || *k == '#')
            continue;
        /* A key already there keeps its line (and its options) as it is. */
        if (has_key(out.p ? out.p : "", k))
            continue;
        if (prefix)
            r = mod_buf_printf(&out, "%s %s\n", prefix, k);
        else
            r = mod_buf_printf(&out, "%s\n", k);
    }
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
