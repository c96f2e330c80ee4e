/* cc_ssh (per instance): host keys and authorized keys, for Dropbear.
 *
 * - ssh_deletekeys (default true): the host keys S50dropbear made go, so it makes new ones for
 *   the new instance.
 * - ssh_keys: OpenSSH private host keys (rsa/ecdsa/ed25519_private) converted with
 *   `dropbearconvert openssh dropbear` into S50dropbear's key directory; the _public halves are
 *   derived by Dropbear from the private ones; certificates and dsa are not supported.
 * - ssh_genkeytypes: the types S50dropbear makes (DROPBEAR_KEYTYPES in /etc/default/dropbear);
 *   Dropbear makes rsa, ecdsa and ed25519.
 * - ssh_authorized_keys and meta-data public-keys go to the default user and to root; with
 *   disable_root (default true) root's lines carry disable_root_opts, so a root login prints
 *   "Please login as the user ..." and ends. Keys already in a file keep their line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modules.h"

/* cloud-init's default, with one difference: its echo of \"$USER\" relies on OpenSSH turning
 * \" back into " inside command="..."; Dropbear passes the command on as it is written, so the
 * quotes are printf's \042 here and the user reads the same line as on Ubuntu. */
static const char default_root_opts[] =
    "no-port-forwarding,no-agent-forwarding,no-X11-forwarding,"
    "command=\"printf 'Please login as the user \\042$USER\\042 rather than the user "
    "\\042$DISABLE_USER\\042.\\n';echo;sleep 10;exit 142\"";

static const char *const key_types[] = {"rsa", "ecdsa", "ed25519", NULL};

/* S50dropbear's choice: the data partition when it is mounted (OFS, rw), else /run. */
const char *mod_dropbear_keydir(struct ci_context *ctx)
{
    char *mounts = ci_read_file(ctx, "/proc/mounts", NULL);
    bool data = false;
    for (char *p = mounts; p && *p; ) {
        size_t l = strcspn(p, "\n");
        char *sp = memchr(p, ' ', l);
        if (sp && !strncmp(sp, " /data ofs rw", 13))
            data = true;
        p += l + (p[l] == '\n');
    }
    free(mounts);
    return data ? "/data/etc/dropbear" : "/run/dropbear";
}

static void delete_host_keys(struct ci_context *ctx)
{
    static const char *const dirs[] = {"/data/etc/dropbear", "/run/dropbear"};
    for (size_t d = 0; d < 2; d++) {
        for (size_t t = 0; key_types[t]; t++) {
            char abs[128], full[4096];
            snprintf(abs, sizeof abs, "%s/dropbear_%s_host_key", dirs[d], key_types[t]);
            if (ci_path(ctx, abs, full, sizeof full) == 0 && unlink(full) == 0)
                ci_log(ctx, CI_INFO, "removed host key %s", abs);
        }
    }
}

static int import_host_keys(struct ci_context *ctx, const struct ci_node *keys)
{
    if (keys->type != CI_MAP) {
        ci_error(ctx, "ssh_keys: expected a map (line %d)", keys->line);
        return -1;
    }
    const char *dir = mod_dropbear_keydir(ctx);
    int rc = 0;
    for (size_t i = 0; i < keys->n; i++) {
        const char *k = keys->keys[i];
        size_t t;
        for (t = 0; key_types[t]; t++) {
            size_t tl = strlen(key_types[t]);
            if (!strncmp(k, key_types[t], tl) && k[tl] == '_')
                break;
        }
        const char *kind = key_types[t] ? k + strlen(key_types[t]) + 1 : "";
        if (!key_types[t] || strcmp(kind, "private")) {
            if (key_types[t] && !strcmp(kind, "public"))
                ci_log(ctx, CI_DEBUG, "ssh_keys: %s: Dropbear derives it from the private key", k);
            else
                ci_warn(ctx, "ssh_keys: %s is not supported on openv (Dropbear host keys: "
                        "rsa, ecdsa, ed25519 private keys): ignored", k);
            continue;
        }
        const char *pem = ci_scalar(keys->items[i]);
        if (!pem) {
            ci_error(ctx, "ssh_keys: %s is not a string", k);
            rc = -1;
            continue;
        }
        char tmp[128], dst[128], tmpfull[4096], dstfull[4096];
        snprintf(tmp, sizeof tmp, "%s/cloud-init-%s.openssh", dir, key_types[t]);
        snprintf(dst, sizeof dst, "%s/dropbear_%s_host_key", dir, key_types[t]);
        if (ci_mkdir_p(ctx, dir, 0700) < 0 ||
            ci_write_file(ctx, tmp, pem, strlen(pem), 0600, (uid_t)-1, (gid_t)-1) < 0 ||
            ci_path(ctx, tmp, tmpfull, sizeof tmpfull) < 0 ||
            ci_path(ctx, dst, dstfull, sizeof dstfull) < 0) {
            ci_error(ctx, "ssh_keys: cannot write %s: %s", tmp, strerror(errno));
            rc = -1;
            continue;
        }
        unlink(dstfull);
        char *argv[] = {"dropbearconvert", "openssh", "dropbear", tmpfull, dstfull, NULL};
        int st = ci_run(ctx, argv);
        unlink(tmpfull);
        if (st != 0) {
            ci_error(ctx, "ssh_keys: %s is not an OpenSSH private key dropbearconvert reads "
                     "(exit status %d)", k, st);
            rc = -1;
            continue;
        }
        ci_log(ctx, CI_INFO, "ssh_keys: %s installed as %s", k, dst);
    }
    return rc;
}

/* Sets one VAR="value" line of /etc/default/dropbear, keeping the others. */
int mod_dropbear_default(struct ci_context *ctx, const char *var, const char *value)
{
    size_t len = 0, vl = strlen(var);
    char *old = ci_read_file(ctx, "/etc/default/dropbear", &len);
    if (!old && errno != ENOENT)
        return -1;
    struct mod_buf b = {0};
    int r = 0;
    bool done = false;
    if (!old)
        r = mod_buf_str(&b, "# Read by /etc/init.d/S50dropbear; cloud-init's ssh modules set it."
                            "\n");
    for (const char *p = old ? old : ""; *p && r == 0; ) {
        size_t l = strcspn(p, "\n");
        if (!strncmp(p, var, vl) && p[vl] == '=') {
            if (!done)
                r = mod_buf_printf(&b, "%s=\"%s\"\n", var, value);
            done = true;
        } else {
            r = mod_buf_add(&b, p, l) < 0 || mod_buf_str(&b, "\n") < 0 ? -1 : 0;
        }
        p += l + (p[l] == '\n');
    }
    if (!done && r == 0)
        r = mod_buf_printf(&b, "%s=\"%s\"\n", var, value);
    free(old);
    if (r == 0 && ci_mkdir_p(ctx, "/etc/default", 0755) < 0)
        r = -1;
    if (r == 0)
        r = ci_write_file(ctx, "/etc/default/dropbear", b.p, b.len, 0644, (uid_t)-1, (gid_t)-1);
    free(b.p);
    return r;
}

static int set_genkeytypes(struct ci_context *ctx, const struct ci_node *v)
{
    char **types = mod_str_list(ctx, v, "ssh_genkeytypes", NULL);
    if (!types)
        return -1;
    struct mod_buf list = {0};
    int r = 0;
    for (size_t i = 0; types[i] && r == 0; i++) {
        bool ok = false;
        for (size_t t = 0; key_types[t]; t++)
            ok = ok || !strcmp(types[i], key_types[t]);
        if (!ok) {
            ci_warn(ctx, "ssh_genkeytypes: %s is not a Dropbear host key type (rsa, ecdsa, "
                    "ed25519): not generated", types[i]);
            continue;
        }
        r = mod_buf_printf(&list, "%s%s", list.len ? " " : "", types[i]);
    }
    mod_strv_free(types);
    if (r == 0)
        r = mod_dropbear_default(ctx, "DROPBEAR_KEYTYPES", list.p ? list.p : "");
    free(list.p);
    if (r < 0)
        ci_error(ctx, "ssh_genkeytypes: cannot write /etc/default/dropbear: %s", strerror(errno));
    return r;
}

/* meta-data public-keys: a key, a list of keys, or a map of name -> key(s) (OpenStack). */
static int add_meta_keys(char ***keys, size_t *n, const struct ci_node *v)
{
    if (!v)
        return 0;
    const char *s = ci_scalar(v);
    if (s) {
        /* A string may hold several keys, one per line. */
        for (const char *p = s; *p; ) {
            size_t l = strcspn(p, "\n");
            char **g = realloc(*keys, (*n + 2) * sizeof **keys);
            if (!g)
                return -1;
            *keys = g;
            if (l && !(g[*n] = strndup(p, l)))
                return -1;
            if (l)
                g[++*n] = NULL;
            else
                g[*n] = NULL;
            p += l + (p[l] == '\n');
        }
        return 0;
    }
    if (v->type == CI_SEQ || v->type == CI_MAP) {
        for (size_t i = 0; i < v->n; i++)
            if (add_meta_keys(keys, n, v->items[i]) < 0)
                return -1;
    }
    return 0;
}

static char *replace_all(const char *s, const char *from, const char *to)
{
    struct mod_buf b = {0};
    size_t fl = strlen(from);
    for (const char *p = s; *p; ) {
        const char *hit = strstr(p, from);
        if (!hit) {
            if (mod_buf_str(&b, p) < 0)
                goto fail;
            break;
        }
        if (mod_buf_add(&b, p, (size_t)(hit - p)) < 0 || mod_buf_str(&b, to) < 0)
            goto fail;
        p = hit + fl;
    }
    if (!b.p && mod_buf_str(&b, "") < 0)
        goto fail;
    return b.p;
fail:
    free(b.p);
    return NULL;
}

static bool user_exists(struct ci_context *ctx, const char *name)
{
    char *text = ci_read_file(ctx, "/etc/passwd", NULL);
    bool found = false;
    size_t nl = strlen(name);
    for (char *p = text; p && *p && !found; ) {
        found = !strncmp(p, name, nl) && p[nl] == ':';
        p += strcspn(p, "\n");
        if (*p)
            p++;
    }
    free(text);
    return found;
}

int cc_ssh(struct ci_context *ctx)
{
    int rc = 0;
    if (mod_bool(ctx, ctx->cfg, "ssh_deletekeys", true))
        delete_host_keys(ctx);
    const struct ci_node *hk = ci_map_get(ctx->cfg, "ssh_keys");
    if (hk && hk->type != CI_NULL && import_host_keys(ctx, hk) < 0)
        rc = -1;
    const struct ci_node *gen = ci_map_get(ctx->cfg, "ssh_genkeytypes");
    if (gen && gen->type != CI_NULL && set_genkeytypes(ctx, gen) < 0)
        rc = -1;
    if (ci_map_get(ctx->cfg, "ssh_publish_hostkeys"))
        ci_log(ctx, CI_DEBUG, "ssh_publish_hostkeys: openv's datasources have nowhere to publish");

    char **keys = calloc(1, sizeof *keys);
    size_t n = 0;
    if (!keys)
        return -1;
    if (mod_bool(ctx, ctx->cfg, "allow_public_ssh_keys", true) &&
        add_meta_keys(&keys, &n, ci_map_get(ctx->meta, "public-keys")) < 0)
        goto nomem;
    const struct ci_node *ck = ci_map_get(ctx->cfg, "ssh_authorized_keys");
    if (ck && ck->type != CI_NULL) {
        char **more = ci_scalar(ck) ? NULL : mod_str_list(ctx, ck, "ssh_authorized_keys", NULL);
        if (ci_scalar(ck) && add_meta_keys(&keys, &n, ck) < 0)
            goto nomem;
        for (size_t i = 0; more && more[i]; i++) {
            char **g = realloc(keys, (n + 2) * sizeof *keys);
            if (!g) {
                for (size_t j = i; more[j]; j++)
                    free(more[j]);                /* the rest, not yet moved */
                free(more);
                goto nomem;
            }
            keys = g;
            keys[n++] = more[i];           /* moved: more's array is freed below */
            keys[n] = NULL;
        }
        free(more);
    }
    if (n == 0) {
        free(keys);
        return rc;
    }
    const char *user = ctx->default_user ? ctx->default_user : "openv";
    const char *named = ci_scalar(ci_map_get(ctx->cfg, "user"));
    const struct ci_node *um = ci_map_get(ctx->cfg, "user");
    if (named)
        user = named;
    else if (um && ci_scalar(ci_map_get(um, "name")))
        user = ci_scalar(ci_map_get(um, "name"));
    bool have_user = user_exists(ctx, user);
    if (have_user && mod_add_authorized_keys(ctx, user, keys, NULL) < 0)
        rc = -1;
    char *prefix = NULL;
    if (mod_bool(ctx, ctx->cfg, "disable_root", true)) {
        const char *opts = ci_scalar(ci_map_get(ctx->cfg, "disable_root_opts"));
        char *a = replace_all(opts ? opts : default_root_opts, "$USER", have_user ? user : "NONE");
        prefix = a ? replace_all(a, "$DISABLE_USER", "root") : NULL;
        free(a);
        if (!prefix)
            goto nomem;
    }
    if (mod_add_authorized_keys(ctx, "root", keys, prefix && *prefix ? prefix : NULL) < 0)
        rc = -1;
    free(prefix);
    mod_strv_free(keys);
    return rc;
nomem:
    mod_strv_free(keys);
    ci_error(ctx, "ssh: out of memory");
    return -1;
}
