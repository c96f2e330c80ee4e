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

static int set_hostname(struct ci_context *ctx)
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
    char line[300];
    int n = snprintf(line, sizeof line, "%s\n", name);
    size_t len = 0;
    char *old = ci_read_file(ctx, "/etc/hostname", &len);
    bool same = old && len == (size_t)n && !memcmp(old, line, len);
    free(old);
    if (!same && ci_write_file(ctx, "/etc/hostname", line, (size_t)n, 0644, (uid_t)-1,
                               (gid_t)-1) < 0) {
        ci_error(ctx, "cannot write /etc/hostname: %s", strerror(errno));
        return -1;
    }
    char *argv[] = {"hostname", (char *)name, NULL};
    int st = ci_run(ctx, argv);
    if (st != 0) {
        ci_error(ctx, "hostname %s failed (exit status %d)", name, st);
        return -1;
    }
    ci_log(ctx, CI_INFO, "hostname set to %s", name);
    return 0;
}

int cc_set_hostname(struct ci_context *ctx)
{
    return set_hostname(ctx);
}

int cc_update_hostname(struct ci_context *ctx)
{
    return set_hostname(ctx);
}
