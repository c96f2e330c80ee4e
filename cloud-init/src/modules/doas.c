/* Users' sudo rules, honoured through OpenDoas (/usr/bin/doas, /usr/bin/sudo is a front end).
 *
 * A sudoers rule "HOSTS=(RUNAS) TAGS: COMMANDS" maps to doas.conf lines when doas can say the
 * same thing: hosts ALL only; runas ALL (any target: no "as") or one user ("as USER"); tag
 * NOPASSWD: -> "nopass", PASSWD: or none -> a password is asked; commands ALL (no "cmd") or
 * absolute paths, one line each ("cmd PATH args ARGS..."). Anything else is not mapped. */
#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modules.h"

static const char *skip_blanks(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* True when p starts with word followed by a non-identifier character. */
static bool starts_word(const char *p, const char *word, const char **after)
{
    size_t l = strlen(word);
    if (strncmp(p, word, l) || isalnum((unsigned char)p[l]) || p[l] == '_')
        return false;
    *after = p + l;
    return true;
}

/* A doas identity must not contain blanks or quotes. */
static bool plain_name(const char *s, size_t len)
{
    if (!len)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && c != '_' && c != '-' && c != '.')
            return false;
    }
    return true;
}

static int add_command(struct mod_buf *out, const char *prefix, const char *cmd, size_t len)
{
    const char *start = skip_blanks(cmd);
    len = start - cmd < (ptrdiff_t)len ? len - (size_t)(start - cmd) : 0;
    cmd = start;
    while (len && (cmd[len - 1] == ' ' || cmd[len - 1] == '\t'))
        len--;
    if (out->len && mod_buf_str(out, "\n") < 0)
        return -1;
    if (mod_buf_str(out, prefix) < 0)
        return -1;
    if (len == 3 && !strncmp(cmd, "ALL", 3))
        return 0;
    /* "cmd PATH args A B": doas then allows exactly these arguments, as sudoers does. */
    size_t pl = strcspn(cmd, " \t");
    if (pl > len)
        pl = len;
    if (mod_buf_str(out, " cmd ") < 0 || mod_buf_add(out, cmd, pl) < 0)
        return -1;
    const char *args = skip_blanks(cmd + pl);
    size_t al = len - (size_t)(args - cmd);
    if (al && (mod_buf_str(out, " args ") < 0 || mod_buf_add(out, args, al) < 0))
        return -1;
    return 0;
}

char *doas_rule_from_sudo(const char *name, const char *rule)
{
    const char *p = skip_blanks(rule), *after;
    if (!starts_word(p, "ALL", &after))
        return NULL;                             /* host lists other than ALL */
    p = skip_blanks(after);
    if (*p++ != '=')
        return NULL;
    p = skip_blanks(p);
    char target[64] = "";
    if (*p == '(') {
        const char *close = strchr(p, ')');
        if (!close)
            return NULL;
        const char *u = skip_blanks(p + 1);
        size_t ul = strcspn(u, ":) \t");
        const char *g = u + ul;
        if (*g == ':') {                          /* (user:group): groups only as ALL */
            const char *ge = skip_blanks(g + 1);
            if (!starts_word(ge, "ALL", &after) || *skip_blanks(after) != ')')
                return NULL;
        } else if (*skip_blanks(g) != ')') {
            return NULL;
        }
        if (!(ul == 3 && !strncmp(u, "ALL", 3))) {
            if (!plain_name(u, ul) || ul >= sizeof target)
                return NULL;
            memcpy(target, u, ul);
            target[ul] = '\0';
        }
        p = skip_blanks(close + 1);
    } else {
        snprintf(target, sizeof target, "root");   /* sudoers: no runas list means root */
    }
    bool nopass = false;
    for (;;) {
        if (starts_word(p, "NOPASSWD", &after) && *after == ':') {
            nopass = true;
        } else if (starts_word(p, "PASSWD", &after) && *after == ':') {
            nopass = false;
        } else {
            break;
        }
        p = skip_blanks(after + 1);
    }
    if (!*p || !plain_name(name, strlen(name)))
        return NULL;
    char prefix[160];
    snprintf(prefix, sizeof prefix, "permit %s%s%s%s", nopass ? "nopass " : "", name,
             *target ? " as " : "", target);
    struct mod_buf out = {0};
    while (*p) {
        size_t len = strcspn(p, ",");
        const char *c = skip_blanks(p);
        bool all = starts_word(c, "ALL", &after) && (*skip_blanks(after) == ',' || !*skip_blanks(after));
        /* Commands must be absolute paths without sudoers wildcards or escapes. */
        if (!all && (*c != '/' || strcspn(c, "*?[]\\\"'!") < len - (size_t)(c - p))) {
            free(out.p);
            return NULL;
        }
        if (add_command(&out, prefix, p, len) < 0) {
            free(out.p);
            return NULL;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return out.p;
}

int doas_set_user_rules(struct ci_context *ctx, const char *name, char *const lines[])
{
    char begin[160], end[160];
    snprintf(begin, sizeof begin, "# cloud-init: rules of user %s", name);
    snprintf(end, sizeof end, "# cloud-init: end of %s", name);
    size_t len = 0;
    char *old = ci_read_file(ctx, "/etc/doas.conf", &len);
    if (!old && errno != ENOENT) {
        ci_error(ctx, "cannot read /etc/doas.conf: %s", strerror(errno));
        return -1;
    }
    struct mod_buf out = {0};
    bool inside = false;
    int r = 0;
    for (const char *p = old ? old : ""; *p && r == 0; ) {
        size_t l = strcspn(p, "\n");
        if (l == strlen(begin) && !strncmp(p, begin, l))
            inside = true;
        else if (inside && l == strlen(end) && !strncmp(p, end, l))
            inside = false;
        else if (!inside)
            r = mod_buf_add(&out, p, l) < 0 || mod_buf_str(&out, "\n") < 0 ? -1 : 0;
        p += l + (p[l] == '\n');
    }
    free(old);
    if (lines && lines[0] && r == 0) {
        r = mod_buf_printf(&out, "%s\n", begin);
        for (size_t i = 0; lines[i] && r == 0; i++)
            r = mod_buf_printf(&out, "%s\n", lines[i]);
        if (r == 0)
            r = mod_buf_printf(&out, "%s\n", end);
    }
    if (r < 0) {
        free(out.p);
        ci_error(ctx, "/etc/doas.conf: out of memory");
        return -1;
    }
    /* doas refuses a doas.conf that is not root's or that others may write. */
    if (ci_mkdir_p(ctx, "/etc", 0755) < 0 ||
        ci_write_file(ctx, "/etc/doas.conf", out.p ? out.p : "", out.len, 0600, 0, 0) < 0) {
        ci_error(ctx, "cannot write /etc/doas.conf: %s", strerror(errno));
        free(out.p);
        return -1;
    }
    free(out.p);
    return 0;
}
