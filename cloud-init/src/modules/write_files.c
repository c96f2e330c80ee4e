/* cc_write_files (init stage: entries without `defer: true`) and cc_write_files_deferred
 * (final stage, after users exist: the `defer: true` ones). Per entry, as cloud-init:
 * path (required), content (default empty), encoding (text/plain; b64/base64; gz/gzip;
 * gz+b64, gzip+base64, gz+base64, gzip+b64; gzip content given as `!!binary` is base64 text,
 * decoded first), owner (default root:root, names resolved in the
 * system's /etc/passwd and /etc/group), permissions (default 0644: a string is octal, an
 * integer is taken as YAML reads it, so 0644 is octal and 420 decimal), append (default false).
 * A bad entry is an error for that file only; the others are still written. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "modules.h"

static const char *const entry_keys[] = {"path", "content", "source", "owner", "permissions",
                                         "encoding", "append", "defer", NULL};

enum enc { ENC_TEXT, ENC_B64, ENC_GZ, ENC_GZ_B64 };

static const struct {
    const char *name;
    enum enc enc;
} encodings[] = {
    {"text/plain", ENC_TEXT}, {"b64", ENC_B64}, {"base64", ENC_B64}, {"gz", ENC_GZ},
    {"gzip", ENC_GZ}, {"gz+b64", ENC_GZ_B64}, {"gzip+base64", ENC_GZ_B64},
    {"gz+base64", ENC_GZ_B64}, {"gzip+b64", ENC_GZ_B64},
};

/* cloud-init's decode_perms: an integer as it is, anything else parsed as octal. */
static int parse_perms(const struct ci_node *v, mode_t *mode)
{
    const char *s = ci_scalar(v);
    if (!s)
        return -1;
    char *end;
    errno = 0;
    unsigned long m;
    if (!v->quoted && s[0] >= '1' && s[0] <= '9') {
        m = strtoul(s, &end, 10);               /* a YAML decimal integer */
    } else {
        if (!v->quoted && (!strncmp(s, "0o", 2) || !strncmp(s, "0O", 2)))
            s += 2;
        m = strtoul(s, &end, 8);
    }
    if (errno || *end || end == s || m > 07777)
        return -1;
    *mode = (mode_t)m;
    return 0;
}

static int resolve_owner(struct ci_context *ctx, const char *owner, uid_t *uid, gid_t *gid)
{
    struct acct_db db;
    if (acct_open(ctx, &db) < 0)
        return -1;
    char user[256];
    snprintf(user, sizeof user, "%.*s", (int)strcspn(owner, ":"), owner);
    const char *group = strchr(owner, ':');
    int r = 0;
    *uid = (uid_t)-1;
    *gid = (gid_t)-1;
    if (*user && acct_uid(&db, user, uid) < 0)
        r = -1;
    if (group && group[1] && acct_gid(&db, group + 1, gid) < 0)
        r = -1;
    acct_close(&db);
    return r;
}

/* One entry: 0 written (or skipped for the other stage), -1 after ci_error. */
static int write_entry(struct ci_context *ctx, const struct ci_node *e, size_t idx, bool deferred)
{
    if (e->type != CI_MAP) {
        ci_error(ctx, "entry %zu (line %d) is not a map: skipped", idx, e->line);
        return -1;
    }
    if (mod_bool(ctx, e, "defer", false) != deferred)
        return 0;
    const char *path = ci_scalar(ci_map_get(e, "path"));
    if (!path) {
        ci_error(ctx, "entry %zu (line %d) has no path: skipped", idx, e->line);
        return -1;
    }
    for (size_t k = 0; k < e->n; k++) {
        bool known = false;
        for (size_t i = 0; entry_keys[i]; i++)
            known = known || !strcmp(entry_keys[i], e->keys[k]);
        if (!known)
            ci_warn(ctx, "%s: unknown key %s: ignored", path, e->keys[k]);
    }
    if (!mod_safe_path(path)) {
        ci_error(ctx, "%s: not an absolute path without \"..\": not written", path);
        return -1;
    }
    if (ci_map_get(e, "source")) {
        ci_error(ctx, "%s: source (a URL to download) is not supported on openv: not written",
                 path);
        return -1;
    }
    const struct ci_node *cn = ci_map_get(e, "content");
    const char *content = ci_scalar(cn);
    if (cn && cn->type != CI_NULL && !content) {
        ci_error(ctx, "%s: content (line %d) is not a string: not written", path, cn->line);
        return -1;
    }
    if (!content)
        content = "";
    const char *encname = ci_scalar(ci_map_get(e, "encoding"));
    enum enc enc = ENC_TEXT;
    if (encname) {
        size_t i;
        for (i = 0; i < sizeof encodings / sizeof *encodings; i++)
            if (!strcasecmp(encname, encodings[i].name))
                break;
        if (i < sizeof encodings / sizeof *encodings)
            enc = encodings[i].enc;
        else
            ci_warn(ctx, "%s: unknown encoding %s: written as text/plain, as cloud-init does",
                    path, encname);
    }
    mode_t mode = 0644;
    const struct ci_node *pn = ci_map_get(e, "permissions");
    if (pn && pn->type != CI_NULL && parse_perms(pn, &mode) < 0) {
        ci_error(ctx, "%s: permissions \"%s\" (line %d) are not an octal mode: not written",
                 path, ci_scalar(pn) ? ci_scalar(pn) : "?", pn->line);
        return -1;
    }
    const char *owner = ci_scalar(ci_map_get(e, "owner"));
    if (!owner)
        owner = "root:root";
    uid_t uid;
    gid_t gid;
    if (resolve_owner(ctx, owner, &uid, &gid) < 0) {
        ci_error(ctx, "%s: owner %s: no such user or group in /etc/passwd, /etc/group: not "
                 "written", path, owner);
        return -1;
    }
    struct mod_buf data = {0}, tmp = {0};
    int r = 0;
    const char *what = NULL;
    switch (enc) {
    case ENC_TEXT:
        r = mod_buf_str(&data, content);
        break;
    case ENC_B64:
        r = mod_base64_decode(content, strlen(content), &data);
        what = "base64";
        break;
    case ENC_GZ:
        /* Binary gzip data reaches YAML as `!!binary` base64 (a scalar cannot hold its NUL
         * bytes): without gzip's magic number, the content is read as that base64. */
        if ((unsigned char)content[0] == 0x1f && (unsigned char)content[1] == 0x8b) {
            r = mod_gunzip(content, strlen(content), &data);
            what = "gzip";
            break;
        }
        /* fall through */
    case ENC_GZ_B64:
        r = mod_base64_decode(content, strlen(content), &tmp);
        what = "base64";
        if (r == 0) {
            r = mod_gunzip(tmp.p ? tmp.p : "", tmp.len, &data);
            what = "gzip";
        }
        break;
    }
    free(tmp.p);
    if (r < 0) {
        ci_error(ctx, "%s: content is not valid %s: not written", path, what ? what : "text");
        free(data.p);
        return -1;
    }
    bool append = mod_bool(ctx, e, "append", false);
    if (append) {
        size_t oldlen = 0;
        char *old = ci_read_file(ctx, path, &oldlen);
        if (old) {
            struct mod_buf joined = {0};
            if (mod_buf_add(&joined, old, oldlen) < 0 ||
                mod_buf_add(&joined, data.p ? data.p : "", data.len) < 0) {
                free(old);
                free(joined.p);
                free(data.p);
                ci_error(ctx, "%s: out of memory", path);
                return -1;
            }
            free(old);
            free(data.p);
            data = joined;
        }
    }
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", path);
    char *slash = strrchr(parent, '/');
    if (slash)
        *slash = '\0';
    if ((parent[0] && ci_mkdir_p(ctx, parent, 0755) < 0) ||
        ci_write_file(ctx, path, data.p ? data.p : "", data.len, mode, uid, gid) < 0) {
        ci_error(ctx, "%s: cannot write: %s", path, strerror(errno));
        free(data.p);
        return -1;
    }
    ci_log(ctx, CI_INFO, "wrote %s (%zu bytes, mode %04o, owner %s)", path, data.len,
           (unsigned)mode, owner);
    free(data.p);
    return 0;
}

int mod_write_files(struct ci_context *ctx, bool deferred)
{
    const struct ci_node *files = ci_map_get(ctx->cfg, "write_files");
    if (!files || files->type == CI_NULL)
        return 0;
    if (files->type != CI_SEQ) {
        ci_error(ctx, "write_files: expected a list (line %d)", files->line);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < files->n; i++)
        if (write_entry(ctx, files->items[i], i + 1, deferred) < 0)
            rc = -1;
    return rc;
}

int cc_write_files(struct ci_context *ctx)
{
    return mod_write_files(ctx, false);
}

int cc_write_files_deferred(struct ci_context *ctx)
{
    return mod_write_files(ctx, true);
}
