/* cc_users_groups: `groups` and `users` (default [default]); the distro's default user is
 * ctx->default_user ("openv"), changed by a top-level `user:` (a name or a map of options).
 *
 * Accounts are edited in /etc/passwd, /etc/shadow and /etc/group directly (accounts.c), the
 * way useradd on Debian makes them: a group of the user's name as its primary group, ids from
 * 1000 (system users: below 1000, no home), shell /bin/sh, password "!" (locked) until one is
 * given. A user that exists is not re-created; its groups, password, keys and sudo rules are
 * still applied, as cloud-init does. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "modules.h"

/* Ubuntu's default user is in these groups; openv's default user gets those the image has. */
static const char *const default_groups[] = {
    "adm", "audio", "cdrom", "dialout", "dip", "floppy", "lxd", "netdev", "plugdev", "sudo",
    "video", NULL,
};
static const char *const default_sudo[] = {"ALL=(ALL) NOPASSWD:ALL", NULL};

/* Per-user keys cloud-init knows that openv does not act on. */
static const char *const unsupported_user_keys[] = {
    "expiredate", "inactive", "selinux_user", "ssh_import_id", "ssh_redirect_user",
    "snapuser", "no_log_init", "create_groups", "no_user_group", NULL,
};
static const char *const user_keys[] = {
    "name", "gecos", "groups", "primary_group", "shell", "homedir", "no_create_home", "uid",
    "system", "lock_passwd", "hashed_passwd", "passwd", "plain_text_passwd",
    "ssh_authorized_keys", "sudo", "doas", NULL,
};

struct user {
    const char *name;
    const struct ci_node *m;       /* the user's options (a map), or NULL */
    const struct ci_node *over;    /* default user only: `user:` options over the defaults */
    bool is_default;
};

static bool in_list(const char *const *list, const char *s)
{
    for (size_t i = 0; list[i]; i++)
        if (!strcmp(list[i], s))
            return true;
    return false;
}

/* The user's option key: its own map, then (default user) the `user:` map. */
static const struct ci_node *opt(const struct user *u, const char *key)
{
    const struct ci_node *v = ci_map_get(u->m, key);
    if (!v && u->over)
        v = ci_map_get(u->over, key);
    return v && v->type != CI_NULL ? v : NULL;
}

static const char *opt_str(struct ci_context *ctx, const struct user *u, const char *key)
{
    const struct ci_node *v = opt(u, key);
    const char *s = ci_scalar(v);
    if (v && !s)
        ci_warn(ctx, "user %s: %s (line %d) is not a string: ignored", u->name, key, v->line);
    return s;
}

static bool opt_bool(struct ci_context *ctx, const struct user *u, const char *key, bool def)
{
    const struct ci_node *v = opt(u, key);
    bool b;
    if (!v)
        return def;
    if (ci_bool(v, &b) == 0)
        return b;
    ci_warn(ctx, "user %s: %s (line %d) is not a boolean: using %s", u->name, key, v->line,
            def ? "true" : "false");
    return def;
}

/* No ':' or newline may reach a passwd/group line, and names are what useradd accepts. */
static bool valid_name(const char *s)
{
    if (!s || !*s || strlen(s) > 32 || *s == '-')
        return false;
    for (const char *p = s; *p; p++) {
        if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') && !(*p >= '0' && *p <= '9') &&
            *p != '_' && *p != '-' && *p != '.' && !(*p == '$' && !p[1]))
            return false;
    }
    return true;
}

static bool valid_field(const char *s)
{
    return s && !strpbrk(s, ":\n");
}

static int add_group(struct ci_context *ctx, struct acct_db *db, const char *name, bool system,
                     long want_gid)
{
    if (acct_find(&db->group, name) >= 0)
        return 0;
    if (!valid_name(name)) {
        ci_error(ctx, "group %s: not a valid group name", name);
        return -1;
    }
    long gid = want_gid;
    for (size_t i = 0; i < db->group.n && gid >= 0; i++) {
        char *s = acct_field(&db->group, (long)i, 2);
        if (s && *s && strtol(s, NULL, 10) == gid)
            gid = -1;                           /* taken: pick a free one as groupadd does */
        free(s);
    }
    if (gid < 0)
        gid = acct_free_id(db, system, ACCT_IN_GROUP);
    if (gid < 0) {
        ci_error(ctx, "group %s: no free group id", name);
        return -1;
    }
    char *line = NULL;
    if (asprintf(&line, "%s:x:%ld:", name, gid) < 0 || acct_append(&db->group, line) < 0) {
        free(line);
        ci_error(ctx, "group %s: out of memory", name);
        return -1;
    }
    free(line);
    ci_log(ctx, CI_INFO, "created group %s (gid %ld)", name, gid);
    return 0;
}

/* `groups`: a name, a list of names or of {group: members} maps, or one such map. */
static int do_groups(struct ci_context *ctx, const struct ci_node *groups)
{
    struct acct_db db;
    if (acct_open(ctx, &db) < 0) {
        ci_error(ctx, "groups: cannot open the account files: %s", strerror(errno));
        return -1;
    }
    int rc = 0;
    const struct ci_node *one[] = {groups};
    const struct ci_node *const *items = one;
    size_t n = 1;
    if (groups->type == CI_SEQ) {
        items = (const struct ci_node *const *)groups->items;
        n = groups->n;
    }
    for (size_t i = 0; i < n; i++) {
        const struct ci_node *g = items[i];
        if (g->type == CI_MAP) {
            for (size_t k = 0; k < g->n; k++) {
                if (add_group(ctx, &db, g->keys[k], false, -1) < 0) {
                    rc = -1;
                    continue;
                }
                char **members = mod_str_list(ctx, g->items[k], "groups: members", NULL);
                for (size_t m = 0; members && members[m]; m++) {
                    if (acct_find(&db.passwd, members[m]) < 0) {
                        ci_warn(ctx, "group %s: member %s does not exist: skipped", g->keys[k],
                                members[m]);
                        continue;
                    }
                    acct_add_member(&db, g->keys[k], members[m]);
                }
                mod_strv_free(members);
            }
        } else {
            char **names = mod_str_list(ctx, g, "groups", NULL);
            for (size_t m = 0; names && names[m]; m++)
                if (add_group(ctx, &db, names[m], false, -1) < 0)
                    rc = -1;
            mod_strv_free(names);
        }
    }
    if (acct_commit(ctx, &db) < 0) {
        ci_error(ctx, "groups: cannot write the account files: %s", strerror(errno));
        return -1;
    }
    return rc;
}

/* The password options of cloud-init's create_user, then lock_passwd. */
static int apply_password(struct ci_context *ctx, struct acct_db *db, const struct user *u)
{
    const char *hashed = opt_str(ctx, u, "hashed_passwd");
    if (!hashed)
        hashed = opt_str(ctx, u, "passwd");
    const char *plain = opt_str(ctx, u, "plain_text_passwd");
    char *made = NULL;
    if (plain && !hashed) {
        made = mod_hash_password(plain);
        if (!made) {
            ci_error(ctx, "user %s: cannot hash plain_text_passwd: %s", u->name, strerror(errno));
            return -1;
        }
        hashed = made;
    }
    if (hashed && !valid_field(hashed)) {
        ci_error(ctx, "user %s: the password hash contains ':' or a newline", u->name);
        free(made);
        return -1;
    }
    if (hashed && mod_set_shadow_hash(db, u->name, hashed, false) < 0) {
        free(made);
        ci_error(ctx, "user %s: out of memory", u->name);
        return -1;
    }
    free(made);
    long i = acct_find(&db->shadow, u->name);
    char *cur = acct_field(&db->shadow, i, 1);
    if (!cur)
        return 0;
    bool lock = opt_bool(ctx, u, "lock_passwd", true);
    int r = 0;
    if (lock && cur[0] != '!') {
        char *l = NULL;
        r = asprintf(&l, "!%s", cur) < 0 ? -1 : acct_set_field(&db->shadow, i, 1, l);
        free(l);
    } else if (!lock && cur[0] == '!' && cur[1]) {
        /* As usermod -U: "!" alone stays (unlocking would leave no password at all). */
        r = acct_set_field(&db->shadow, i, 1, cur + 1);
    }
    free(cur);
    return r;
}

static int make_home(struct ci_context *ctx, const char *home, uid_t uid, gid_t gid)
{
    char full[4096];
    struct stat st;
    if (ci_path(ctx, home, full, sizeof full) < 0)
        return -1;
    if (stat(full, &st) == 0)
        return 0;                               /* useradd -m leaves an existing home alone */
    const char *slash = strrchr(home, '/');
    if (slash && slash != home) {
        char parent[1024];
        snprintf(parent, sizeof parent, "%.*s", (int)(slash - home), home);
        if (ci_mkdir_p(ctx, parent, 0755) < 0)
            return -1;
    }
    if (mkdir(full, 0755) < 0 || chown(full, uid, gid) < 0 || chmod(full, 0755) < 0)
        return -1;
    return 0;
}

static int apply_sudo(struct ci_context *ctx, const struct user *u)
{
    const struct ci_node *sudo = opt(u, "sudo");
    const struct ci_node *doas = opt(u, "doas");
    char **rules = NULL;
    bool set = false;
    bool flag;
    if (u->is_default && !ci_map_get(u->m, "sudo") && !(u->over && ci_map_get(u->over, "sudo"))) {
        rules = calloc(2, sizeof *rules);
        if (rules)
            rules[0] = strdup(default_sudo[0]);
        set = true;
    } else if (sudo && ci_bool(sudo, &flag) == 0) {
        /* sudo: false (or null) removes the user's rules; true names no rule. */
        if (flag)
            ci_warn(ctx, "user %s: sudo: true is not a rule: no rules given", u->name);
        rules = calloc(1, sizeof *rules);
        set = true;
    } else if (sudo) {
        rules = mod_str_list(ctx, sudo, "sudo", NULL);
        /* A rule may contain commas (several commands): a single string is one rule. */
        if (ci_scalar(sudo)) {
            mod_strv_free(rules);
            rules = calloc(2, sizeof *rules);
            if (rules)
                rules[0] = strdup(ci_scalar(sudo));
        }
        set = true;
    }
    if (!set && !doas)
        return 0;
    char **lines = calloc(1, sizeof *lines);
    size_t n = 0;
    int rc = 0;
    for (size_t i = 0; rules && rules[i] && lines; i++) {
        char *l = doas_rule_from_sudo(u->name, rules[i]);
        if (!l) {
            ci_warn(ctx, "user %s: sudo rule \"%s\" has no doas equivalent: not applied", u->name,
                    rules[i]);
            continue;
        }
        /* One sudo rule may give several doas lines. */
        for (char *p = l; *p; ) {
            size_t len = strcspn(p, "\n");
            char **g = realloc(lines, (n + 2) * sizeof *lines);
            if (!g)
                break;
            lines = g;
            lines[n++] = strndup(p, len);
            lines[n] = NULL;
            p += len + (p[len] == '\n');
        }
        free(l);
    }
    char **extra = doas ? mod_str_list(ctx, doas, "doas", NULL) : NULL;
    for (size_t i = 0; extra && extra[i] && lines; i++) {
        /* cloud-init's doas: rules are doas.conf lines that must name the user. */
        if (!strstr(extra[i], u->name) || strpbrk(extra[i], "\n")) {
            ci_warn(ctx, "user %s: doas rule \"%s\" does not name the user: not applied",
                    u->name, extra[i]);
            continue;
        }
        char **g = realloc(lines, (n + 2) * sizeof *lines);
        if (!g)
            break;
        lines = g;
        lines[n++] = strdup(extra[i]);
        lines[n] = NULL;
    }
    if (!lines || doas_set_user_rules(ctx, u->name, lines) < 0)
        rc = -1;
    mod_strv_free(lines);
    mod_strv_free(rules);
    mod_strv_free(extra);
    return rc;
}

static int create_user(struct ci_context *ctx, const struct user *u)
{
    if (!valid_name(u->name)) {
        ci_error(ctx, "user %s: not a valid user name", u->name);
        return -1;
    }
    for (size_t k = 0; u->m && u->m->type == CI_MAP && k < u->m->n; k++) {
        if (in_list(unsupported_user_keys, u->m->keys[k]))
            ci_warn(ctx, "user %s: %s is not supported on openv: ignored", u->name,
                    u->m->keys[k]);
        else if (!in_list(user_keys, u->m->keys[k]))
            ci_warn(ctx, "user %s: unknown key %s: ignored", u->name, u->m->keys[k]);
    }
    const char *gecos = opt_str(ctx, u, "gecos");
    const char *shell = opt_str(ctx, u, "shell");
    const char *homedir = opt_str(ctx, u, "homedir");
    const char *primary = opt_str(ctx, u, "primary_group");
    bool system = opt_bool(ctx, u, "system", false);
    bool no_home = opt_bool(ctx, u, "no_create_home", false) || system;
    if (!gecos)
        gecos = u->is_default ? "openv" : "";
    if (!shell)
        shell = "/bin/sh";
    char home[1024];
    snprintf(home, sizeof home, "%s", homedir ? homedir : "");
    if (!homedir)
        snprintf(home, sizeof home, "/home/%s", u->name);
    if (!valid_field(gecos) || !valid_field(shell) || !valid_field(home) ||
        !mod_safe_path(home) || shell[0] != '/') {
        ci_error(ctx, "user %s: gecos, shell or homedir contains ':' or a newline, or is not an "
                 "absolute path", u->name);
        return -1;
    }
    long want_uid = -1;
    const struct ci_node *uidn = opt(u, "uid");
    if (uidn && (ci_long(uidn, &want_uid) < 0 || want_uid < 0 || want_uid > 65535)) {
        ci_error(ctx, "user %s: uid (line %d) is not a number from 0 to 65535", u->name,
                 uidn->line);
        return -1;
    }
    char **groups = NULL;
    if (opt(u, "groups")) {
        groups = mod_str_list(ctx, opt(u, "groups"), "groups", NULL);
    } else if (u->is_default) {
        groups = calloc(1, sizeof *groups);
    }

    struct acct_db db;
    if (acct_open(ctx, &db) < 0) {
        ci_error(ctx, "user %s: cannot open the account files: %s", u->name, strerror(errno));
        mod_strv_free(groups);
        return -1;
    }
    int rc = 0;
    bool created = false;
    uid_t uid = 0;
    gid_t gid = 0;
    if (acct_find(&db.passwd, u->name) >= 0) {
        ci_log(ctx, CI_INFO, "user %s already exists: not re-created", u->name);
        if (acct_uid(&db, u->name, &uid) < 0)
            rc = -1;
    } else {
        long id = want_uid;
        if (id >= 0) {
            for (size_t i = 0; i < db.passwd.n; i++) {
                char *s = acct_field(&db.passwd, (long)i, 2);
                if (s && *s && strtol(s, NULL, 10) == id) {
                    ci_error(ctx, "user %s: uid %ld is already taken", u->name, id);
                    rc = -1;
                }
                free(s);
            }
        } else {
            /* With a group of its own, useradd keeps uid and gid equal: free in both. */
            id = acct_free_id(&db, system, primary ? ACCT_IN_PASSWD : ACCT_IN_PASSWD | ACCT_IN_GROUP);
        }
        if (id < 0 && rc == 0) {
            ci_error(ctx, "user %s: no free user id", u->name);
            rc = -1;
        }
        const char *pg = primary ? primary : u->name;
        if (rc == 0 && add_group(ctx, &db, pg, system, primary ? -1 : id) < 0)
            rc = -1;
        if (rc == 0 && acct_gid(&db, pg, &gid) < 0) {
            ci_error(ctx, "user %s: primary group %s has no gid", u->name, pg);
            rc = -1;
        }
        char *line = NULL;
        if (rc == 0) {
            uid = (uid_t)id;
            if (asprintf(&line, "%s:x:%ld:%u:%s:%s:%s", u->name, id, (unsigned)gid, gecos, home,
                         shell) < 0 || acct_append(&db.passwd, line) < 0)
                rc = -1;
            free(line);
            line = NULL;
            if (rc == 0 && acct_find(&db.shadow, u->name) < 0 &&
                (asprintf(&line, "%s:!:%ld:0:99999:7:::", u->name, acct_today()) < 0 ||
                 acct_append(&db.shadow, line) < 0))
                rc = -1;
            free(line);
            created = rc == 0;
        }
    }
    for (size_t i = 0; rc == 0 && groups && groups[i]; i++) {
        bool exists = acct_find(&db.group, groups[i]) >= 0;
        if (!exists && u->is_default && !opt(u, "groups"))
            continue;
        if (!exists && add_group(ctx, &db, groups[i], false, -1) < 0)
            continue;
        acct_add_member(&db, groups[i], u->name);
    }
    if (u->is_default && !opt(u, "groups")) {
        for (size_t i = 0; default_groups[i]; i++)
            if (acct_find(&db.group, default_groups[i]) >= 0)
                acct_add_member(&db, default_groups[i], u->name);
    }
    if (rc == 0 && apply_password(ctx, &db, u) < 0)
        rc = -1;
    if (rc == 0) {
        if (acct_commit(ctx, &db) < 0) {
            ci_error(ctx, "user %s: cannot write the account files: %s", u->name, strerror(errno));
            rc = -1;
        }
    } else {
        acct_close(&db);
    }
    mod_strv_free(groups);
    if (rc < 0)
        return -1;
    if (created) {
        ci_log(ctx, CI_INFO, "created user %s (uid %u)", u->name, (unsigned)uid);
        if (!no_home && make_home(ctx, home, uid, gid) < 0) {
            ci_error(ctx, "user %s: cannot make home %s: %s", u->name, home, strerror(errno));
            rc = -1;
        }
    }
    const struct ci_node *keys = opt(u, "ssh_authorized_keys");
    if (keys) {
        char **kv = mod_str_list(ctx, keys, "ssh_authorized_keys", NULL);
        /* One key per string: a key never contains a comma, but options can. */
        if (ci_scalar(keys)) {
            mod_strv_free(kv);
            kv = calloc(2, sizeof *kv);
            if (kv)
                kv[0] = strdup(ci_scalar(keys));
        }
        if (!kv || mod_add_authorized_keys(ctx, u->name, kv, NULL) < 0)
            rc = -1;
        mod_strv_free(kv);
    }
    if (apply_sudo(ctx, u) < 0)
        rc = -1;
    return rc;
}

/* The default user's name and options: `user:` as a name or a map. */
static void default_user(struct ci_context *ctx, struct user *u)
{
    const struct ci_node *over = ci_map_get(ctx->cfg, "user");
    u->name = ctx->default_user ? ctx->default_user : "openv";
    u->is_default = true;
    if (ci_scalar(over)) {
        u->name = ci_scalar(over);
    } else if (over && over->type == CI_MAP) {
        u->over = over;
        const char *n = ci_scalar(ci_map_get(over, "name"));
        if (n)
            u->name = n;
    } else if (over && over->type != CI_NULL) {
        ci_warn(ctx, "user: expected a name or a map (line %d): ignored", over->line);
    }
}

int cc_users_groups(struct ci_context *ctx)
{
    int rc = 0;
    const struct ci_node *groups = ci_map_get(ctx->cfg, "groups");
    if (groups && groups->type != CI_NULL && do_groups(ctx, groups) < 0)
        rc = -1;
    const struct ci_node *users = ci_map_get(ctx->cfg, "users");
    if (users && users->type == CI_NULL)
        return rc;                              /* users: null (or []) makes no one */
    if (!users) {
        struct user u = {0};
        default_user(ctx, &u);
        return create_user(ctx, &u) < 0 ? -1 : rc;
    }
    const struct ci_node *one[] = {users};
    const struct ci_node *const *items = one;
    size_t n = 1;
    if (users->type == CI_SEQ) {
        items = (const struct ci_node *const *)users->items;
        n = users->n;
    } else if (users->type == CI_MAP && !ci_map_get(users, "name")) {
        ci_error(ctx, "users: expected a list (line %d)", users->line);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const struct ci_node *it = items[i];
        struct user u = {0};
        if (ci_scalar(it)) {
            char **names = mod_str_list(ctx, it, "users", NULL);
            for (size_t k = 0; names && names[k]; k++) {
                struct user s = {0};
                if (!strcmp(names[k], "default"))
                    default_user(ctx, &s);
                else
                    s.name = names[k];
                if (create_user(ctx, &s) < 0)
                    rc = -1;
            }
            mod_strv_free(names);
            continue;
        }
        if (it->type != CI_MAP) {
            ci_error(ctx, "users: item %zu (line %d) is neither a name nor a map", i + 1, it->line);
            rc = -1;
            continue;
        }
        u.m = it;
        u.name = ci_scalar(ci_map_get(it, "name"));
        if (!u.name) {
            ci_error(ctx, "users: item %zu (line %d) has no name", i + 1, it->line);
            rc = -1;
            continue;
        }
        if (create_user(ctx, &u) < 0)
            rc = -1;
    }
    return rc;
}
