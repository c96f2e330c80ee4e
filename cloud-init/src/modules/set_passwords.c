/* cc_set_passwords (per instance): ssh_pwauth, chpasswd, password.
 *
 * - ssh_pwauth: true lets Dropbear take passwords (not root's: like Ubuntu's
 *   PermitRootLogin prohibit-password, Dropbear's -g), false refuses them (-s, openv's default),
 *   "unchanged" or absent leaves it: DROPBEAR_ARGS in /etc/default/dropbear.
 * - chpasswd: users [{name, password, type: text|hash|RANDOM}] and the deprecated list
 *   ("user:password" lines; a password matching cloud-init's hash pattern is a hash, "R" or
 *   "RANDOM" a random one); expire (default true) makes each changed password expired
 *   (shadow lastchg 0).
 * - password: the default user's password, read like a list entry.
 * Random passwords are printed to the console as cloud-init does. */
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modules.h"

enum pw_type { PW_TEXT, PW_HASH, PW_RANDOM };

struct change {
    char *name;
    char *password;            /* the text, the hash, or the random text made here */
    enum pw_type type;
};

struct changes {
    struct change *v;
    size_t n;
};

static int push(struct changes *c, const char *name, size_t namelen, const char *pw,
                enum pw_type type)
{
    struct change *g = realloc(c->v, (c->n + 1) * sizeof *g);
    if (!g)
        return -1;
    c->v = g;
    g[c->n].name = strndup(name, namelen);
    g[c->n].password = strdup(pw ? pw : "");
    g[c->n].type = type;
    if (!g[c->n].name || !g[c->n].password) {
        free(g[c->n].name);
        free(g[c->n].password);
        return -1;
    }
    c->n++;
    return 0;
}

/* cloud-init's hashed_password_pattern. */
static bool looks_hashed(const char *pw)
{
    regex_t re;
    if (regcomp(&re, "^\\$(1|2a|2y|5|6)(\\$.+){2}$", REG_EXTENDED | REG_NOSUB) != 0)
        return false;
    bool m = regexec(&re, pw, 0, NULL, 0) == 0;
    regfree(&re);
    return m && !strchr(pw, ':');
}

/* A list entry or `password`: user:password (password may contain ':'). */
static int push_list_entry(struct ci_context *ctx, struct changes *c, const char *name,
                           size_t namelen, const char *pw)
{
    enum pw_type t = PW_TEXT;
    if (!strcmp(pw, "R") || !strcmp(pw, "RANDOM"))
        t = PW_RANDOM;
    else if (looks_hashed(pw))
        t = PW_HASH;
    (void)ctx;
    return push(c, name, namelen, pw, t);
}

static int random_password(char *out, size_t len)
{
    static const char alphabet[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    unsigned char rnd[64];
    if (len > sizeof rnd + 1)
        len = sizeof rnd + 1;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t got = read(fd, rnd, len - 1);
    close(fd);
    if (got != (ssize_t)(len - 1))
        return -1;
    for (size_t i = 0; i + 1 < len; i++)
        out[i] = alphabet[rnd[i] % (sizeof alphabet - 1)];   /* 62: a slight bias, as rand_str */
    out[len - 1] = '\0';
    return 0;
}

static int collect_chpasswd(struct ci_context *ctx, const struct ci_node *cp, struct changes *c)
{
    const struct ci_node *users = ci_map_get(cp, "users");
    for (size_t i = 0; users && users->type == CI_SEQ && i < users->n; i++) {
        const struct ci_node *u = users->items[i];
        const char *name = ci_scalar(ci_map_get(u, "name"));
        const char *type = ci_scalar(ci_map_get(u, "type"));
        const char *pw = ci_scalar(ci_map_get(u, "password"));
        if (!name) {
            ci_error(ctx, "chpasswd: users item %zu (line %d) has no name", i + 1, u->line);
            continue;
        }
        enum pw_type t = PW_TEXT;
        if (type && !strcmp(type, "RANDOM"))
            t = PW_RANDOM;
        else if (type && !strcmp(type, "hash"))
            t = PW_HASH;
        else if (type && strcmp(type, "text")) {
            ci_error(ctx, "chpasswd: user %s: type %s is none of text, hash, RANDOM", name, type);
            continue;
        }
        if (t != PW_RANDOM && !pw) {
            ci_error(ctx, "chpasswd: user %s has no password", name);
            continue;
        }
        if (push(c, name, strlen(name), pw, t) < 0)
            return -1;
    }
    if (users && users->type != CI_SEQ && users->type != CI_NULL)
        ci_error(ctx, "chpasswd: users (line %d) is not a list", users->line);
    const struct ci_node *list = ci_map_get(cp, "list");
    if (list && list->type != CI_NULL) {
        ci_warn(ctx, "chpasswd: list is deprecated in cloud-init: use users");
        /* A multi-line string or a list of "user:password" strings. */
        char **lines = NULL;
        size_t n = 0;
        if (ci_scalar(list)) {
            lines = calloc(1, sizeof *lines);
            for (const char *p = ci_scalar(list); lines && *p; ) {
                size_t l = strcspn(p, "\n");
                char **g = l ? realloc(lines, (n + 2) * sizeof *lines) : lines;
                if (!g)
                    break;
                lines = g;
                if (l) {
                    lines[n++] = strndup(p, l);
                    lines[n] = NULL;
                }
                p += l + (p[l] == '\n');
            }
        } else {
            lines = mod_str_list(ctx, list, "chpasswd: list", NULL);
        }
        for (size_t i = 0; lines && lines[i]; i++) {
            char *line = lines[i];
            while (*line == ' ' || *line == '\t')
                line++;
            char *colon = strchr(line, ':');
            if (!colon || colon == line) {
                ci_error(ctx, "chpasswd: list entry %zu is not user:password", i + 1);
                continue;
            }
            if (push_list_entry(ctx, c, line, (size_t)(colon - line), colon + 1) < 0) {
                mod_strv_free(lines);
                return -1;
            }
        }
        mod_strv_free(lines);
    }
    for (size_t k = 0; cp->type == CI_MAP && k < cp->n; k++) {
        const char *key = cp->keys[k];
        if (strcmp(key, "users") && strcmp(key, "list") && strcmp(key, "expire"))
            ci_warn(ctx, "chpasswd: unknown key %s: ignored", key);
    }
    return 0;
}

static int apply(struct ci_context *ctx, struct changes *c, bool expire)
{
    struct acct_db db;
    if (acct_open(ctx, &db) < 0) {
        ci_error(ctx, "cannot open the account files: %s", strerror(errno));
        return -1;
    }
    int rc = 0;
    struct mod_buf randoms = {0};
    for (size_t i = 0; i < c->n; i++) {
        struct change *ch = &c->v[i];
        if (acct_find(&db.passwd, ch->name) < 0) {
            ci_error(ctx, "password for %s: no such user", ch->name);
            rc = -1;
            continue;
        }
        char rnd[21];
        const char *plain = ch->password;
        if (ch->type == PW_RANDOM) {
            if (random_password(rnd, sizeof rnd) < 0) {
                ci_error(ctx, "password for %s: no random bytes", ch->name);
                rc = -1;
                continue;
            }
            plain = rnd;
            mod_buf_printf(&randoms, "%s:%s\n", ch->name, rnd);
        }
        char *hash = ch->type == PW_HASH ? strdup(ch->password) : mod_hash_password(plain);
        if (!hash || strpbrk(hash, ":\n")) {
            ci_error(ctx, "password for %s: %s", ch->name,
                     hash ? "the hash contains ':' or a newline" : "cannot hash it");
            free(hash);
            rc = -1;
            continue;
        }
        if (mod_set_shadow_hash(&db, ch->name, hash, expire) < 0)
            rc = -1;
        else
            ci_log(ctx, CI_INFO, "password of %s set%s", ch->name, expire ? " (expired)" : "");
        free(hash);
    }
    if (acct_commit(ctx, &db) < 0) {
        ci_error(ctx, "cannot write the account files: %s", strerror(errno));
        rc = -1;
    } else if (randoms.len) {
        struct mod_buf msg = {0};
        mod_buf_printf(&msg, "Set the following 'random' passwords\n%s", randoms.p);
        if (msg.p)
            mod_console(ctx, msg.p);   /* as cloud-init's multi_log */
        free(msg.p);
    }
    free(randoms.p);
    return rc;
}

static int set_pwauth(struct ci_context *ctx)
{
    const struct ci_node *v = ci_map_get(ctx->cfg, "ssh_pwauth");
    bool b;
    const char *s = ci_scalar(v);
    if (!v || v->type == CI_NULL || (s && !strcmp(s, "unchanged")))
        return 0;
    if (ci_bool(v, &b) < 0) {
        ci_warn(ctx, "ssh_pwauth: \"%s\" is none of true, false, unchanged: left alone",
                s ? s : "(not a string)");
        return 0;
    }
    /* -g: passwords, but not root's; -s: no passwords at all. */
    if (mod_dropbear_default(ctx, "DROPBEAR_ARGS", b ? "-g" : "-s") < 0) {
        ci_error(ctx, "ssh_pwauth: cannot write /etc/default/dropbear: %s", strerror(errno));
        return -1;
    }
    ci_log(ctx, CI_INFO, "ssh password logins %s", b ? "allowed (not for root)" : "refused");
    /* Already running (a re-run on a live system): restart it to take the new arguments. */
    char pid[4096];
    if (ci_path(ctx, "/run/dropbear.pid", pid, sizeof pid) == 0 && access(pid, F_OK) == 0) {
        char *argv[] = {"/etc/init.d/S50dropbear", "restart", NULL};
        ci_run(ctx, argv);
    }
    return 0;
}

int cc_set_passwords(struct ci_context *ctx)
{
    int rc = set_pwauth(ctx);
    struct changes c = {0};
    bool expire = true;
    const struct ci_node *cp = ci_map_get(ctx->cfg, "chpasswd");
    if (cp && cp->type == CI_MAP) {
        expire = mod_bool(ctx, cp, "expire", true);
        if (collect_chpasswd(ctx, cp, &c) < 0)
            rc = -1;
    } else if (cp && cp->type != CI_NULL) {
        ci_error(ctx, "chpasswd: expected a map (line %d)", cp->line);
        rc = -1;
    }
    const char *pw = ci_scalar(ci_map_get(ctx->cfg, "password"));
    if (pw) {
        const char *user = ctx->default_user ? ctx->default_user : "openv";
        if (push_list_entry(ctx, &c, user, strlen(user), pw) < 0)
            rc = -1;
    }
    if (c.n && apply(ctx, &c, expire) < 0)
        rc = -1;
    for (size_t i = 0; i < c.n; i++) {
        free(c.v[i].name);
        free(c.v[i].password);
    }
    free(c.v);
    return rc;
}
