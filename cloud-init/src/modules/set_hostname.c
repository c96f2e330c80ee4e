/* cc_set_hostname (per instance) and cc_update_hostname (every boot): /etc/hostname and the
 * running hostname from `fqdn`, `hostname` or meta-data local-hostname; the short name unless
 * `prefer_fqdn_over_hostname`. `preserve_hostname: true` leaves both alone. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modules.h"

/* RFC 1123 labels: what hostname(1) and /etc/hostname should hold. */
static bool valid_hostname(const char *h)
{
    size_t len = strlen(h);
    if (!len || len > 253)
        return false;
    for (const char *p = h; *p; ) {
        size_t l = strcspn(p, ".");
        if (l == 0 || l > 63 || p[0] == '-' || p[l - 1] == '-')
            return false;
        for (size_t i = 0; i < l; i++) {
            char c = p[i];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-'))
                return false;
        }
        p += l;
        if (*p == '.' && !*++p)
            break;                              /* a trailing dot */
    }
    return true;
}

/* The name to set (cfg and meta-data, as cloud-init picks it) into out; 0 none, 1 one, -1 bad. */
static int wanted_name(struct ci_context *ctx, char *out, size_t len)
{
    if (mod_bool(ctx, ctx->cfg, "preserve_hostname", false)) {
        ci_log(ctx, CI_DEBUG, "preserve_hostname is set: hostname left alone");
        return 0;
    }
    char host[256], fqdn[256];
    mod_hostname_fqdn(ctx, host, sizeof host, fqdn, sizeof fqdn);
    const char *name = mod_bool(ctx, ctx->cfg, "prefer_fqdn_over_hostname", false) ? fqdn : host;
    if (!*name) {
        ci_log(ctx, CI_DEBUG, "no hostname in the cloud-config or meta-data: left alone");
        return 0;
    }
    if (!valid_hostname(name)) {
        ci_error(ctx, "hostname \"%s\" is not a valid host name: not set", name);
        return -1;
    }
    snprintf(out, len, "%s", name);
    return 1;
}

/* The first line of a hostname file, or "" when there is none. */
static void read_name(struct ci_context *ctx, const char *abs, char *out, size_t len)
{
    char *text = ci_read_file(ctx, abs, NULL);
    snprintf(out, len, "%.*s", text ? (int)strcspn(text, "\n") : 0, text ? text : "");
    free(text);
}

static int write_name(struct ci_context *ctx, const char *abs, const char *name)
{
    char line[300];
    int n = snprintf(line, sizeof line, "%s\n", name);
    const char *slash = strrchr(abs, '/');
    char dir[256];
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - abs), abs);
    if ((dir[0] && ci_mkdir_p(ctx, dir, 0755) < 0) ||
        ci_write_file(ctx, abs, line, (size_t)n, 0644, (uid_t)-1, (gid_t)-1) < 0) {
        ci_error(ctx, "cannot write %s: %s", abs, strerror(errno));
        return -1;
    }
    return 0;
}

static int apply_name(struct ci_context *ctx, const char *name)
{
    char *argv[] = {"hostname", (char *)name, NULL};
    int st = ci_run(ctx, argv);
    if (st != 0) {
        ci_error(ctx, "hostname %s failed (exit status %d)", name, st);
        return -1;
    }
    ci_log(ctx, CI_INFO, "hostname set to %s", name);
    return 0;
}

static const char previous[] = "/var/lib/cloud/data/previous-hostname";

/* Per instance: /etc/hostname and the running name, whatever they were. */
int cc_set_hostname(struct ci_context *ctx)
{
    char name[256], cur[256];
    int r = wanted_name(ctx, name, sizeof name);
    if (r <= 0)
        return r;
    read_name(ctx, "/etc/hostname", cur, sizeof cur);
    if (strcmp(cur, name) && write_name(ctx, "/etc/hostname", name) < 0)
        return -1;
    return apply_name(ctx, name);
}

/* Every boot, as cloud-init's update_hostname: the name cloud-init last set is remembered in
 * previous-hostname; /etc/hostname is changed only while it still holds that name (or is
 * missing), so a name the user set by hand (hostname(1) and /etc/hostname) is kept. */
int cc_update_hostname(struct ci_context *ctx)
{
    char name[256], prev[256], sys[256];
    int r = wanted_name(ctx, name, sizeof name);
    if (r <= 0)
        return r;
    read_name(ctx, previous, prev, sizeof prev);
    read_name(ctx, "/etc/hostname", sys, sizeof sys);
    if (sys[0] && prev[0] && strcmp(sys, prev))
        ci_log(ctx, CI_INFO, "%s differs from /etc/hostname: assuming a user-maintained hostname",
               previous);
    int rc = 0;
    if ((!prev[0] || strcmp(prev, name)) && write_name(ctx, previous, name) < 0)
        rc = -1;
    if (!sys[0] || (!strcmp(sys, prev) && strcmp(sys, name))) {
        if (write_name(ctx, "/etc/hostname", name) < 0 || apply_name(ctx, name) < 0)
            rc = -1;
    }
    return rc;
}
