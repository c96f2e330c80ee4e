/* cc_update_etc_hosts (every boot): `manage_etc_hosts`, as cloud-init on Debian:
 *   true / "template": /etc/hosts rendered from Debian's hosts template (127.0.1.1 FQDN HOST);
 *   "localhost": the 127.0.1.1 line of the existing /etc/hosts made "127.0.1.1 FQDN HOST",
 *                every other line kept;
 *   false (the default): /etc/hosts left alone. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modules.h"

static const char loopback[] = "127.0.1.1";

static int render_template(struct ci_context *ctx, const char *fqdn, const char *host)
{
    struct mod_buf b = {0};
    int r = mod_buf_printf(&b,
        "# Your system has configured 'manage_etc_hosts' as True.\n"
        "# As a result, if you wish for changes to this file to persist\n"
        "# then you will need to either\n"
        "# a.) change the hostname or fqdn in the cloud-config (user-data), or\n"
        "# b.) change or remove the value of 'manage_etc_hosts' in the cloud-config\n"
        "#\n"
        "%s %s %s\n"
        "127.0.0.1 localhost\n"
        "\n"
        "# The following lines are desirable for IPv6 capable hosts\n"
        "::1 localhost ip6-localhost ip6-loopback\n"
        "ff02::1 ip6-allnodes\n"
        "ff02::2 ip6-allrouters\n", loopback, fqdn, host);
    if (r == 0)
        r = ci_write_file(ctx, "/etc/hosts", b.p, b.len, 0644, (uid_t)-1, (gid_t)-1);
    free(b.p);
    return r;
}

/* Does the line give loopback the names fqdn then host among its aliases? */
static bool line_is(const char *p, size_t l, const char *fqdn, const char *host, bool *is_lo)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%.*s", (int)l, p);
    char *hash = strchr(buf, '#');
    if (hash)
        *hash = '\0';
    char *save = NULL, *ip = strtok_r(buf, " \t", &save);
    *is_lo = ip && !strcmp(ip, loopback);
    if (!*is_lo)
        return false;
    char *first = strtok_r(NULL, " \t", &save);
    if (!first || strcmp(first, fqdn))
        return false;
    for (char *a = strtok_r(NULL, " \t", &save); a; a = strtok_r(NULL, " \t", &save))
        if (!strcmp(a, host))
            return true;
    return false;
}

static int update_localhost(struct ci_context *ctx, const char *fqdn, const char *host)
{
    size_t len = 0;
    char *old = ci_read_file(ctx, "/etc/hosts", &len);
    if (!old && errno != ENOENT)
        return -1;
    struct mod_buf b = {0};
    bool done = false, changed = false;
    int r = 0;
    for (const char *p = old ? old : ""; *p && r == 0; ) {
        size_t l = strcspn(p, "\n");
        bool is_lo;
        if (line_is(p, l, fqdn, host, &is_lo) && !done) {
            done = true;
            r = mod_buf_add(&b, p, l) < 0 || mod_buf_str(&b, "\n") < 0 ? -1 : 0;
        } else if (is_lo) {
            /* As cloud-init: every other loopback line goes, one right one is written. */
            if (!done)
                r = mod_buf_printf(&b, "%s %s %s\n", loopback, fqdn, host);
            done = changed = true;
        } else {
            r = mod_buf_add(&b, p, l) < 0 || mod_buf_str(&b, "\n") < 0 ? -1 : 0;
        }
        p += l + (p[l] == '\n');
    }
    if (!done && r == 0) {
        r = mod_buf_printf(&b, "%s %s %s\n", loopback, fqdn, host);
        changed = true;
    }
    free(old);
    if (r == 0 && changed)
        r = ci_write_file(ctx, "/etc/hosts", b.p, b.len, 0644, (uid_t)-1, (gid_t)-1);
    free(b.p);
    return r;
}

int cc_update_etc_hosts(struct ci_context *ctx)
{
    const struct ci_node *v = ci_map_get(ctx->cfg, "manage_etc_hosts");
    bool b = false, render;
    const char *s = ci_scalar(v);
    if (!v || v->type == CI_NULL || (ci_bool(v, &b) == 0 && !b)) {
        ci_log(ctx, CI_DEBUG, "manage_etc_hosts is not set: /etc/hosts left alone");
        return 0;
    }
    if (b || (s && !strcmp(s, "template"))) {
        render = true;
    } else if (s && !strcmp(s, "localhost")) {
        render = false;
    } else {
        ci_warn(ctx, "manage_etc_hosts: \"%s\" is none of true, false, template, localhost: "
                "/etc/hosts left alone", s ? s : "(not a string)");
        return 0;
    }
    char host[256], fqdn[256];
    mod_hostname_fqdn(ctx, host, sizeof host, fqdn, sizeof fqdn);
    if (!*host) {
        ci_warn(ctx, "manage_etc_hosts: no hostname or fqdn known: /etc/hosts left alone");
        return 0;
    }
    if (strpbrk(host, " \t\n#") || strpbrk(fqdn, " \t\n#")) {
        ci_error(ctx, "manage_etc_hosts: the hostname contains blanks or '#'");
        return -1;
    }
    if ((render ? render_template(ctx, fqdn, host) : update_localhost(ctx, fqdn, host)) < 0) {
        ci_error(ctx, "cannot write /etc/hosts: %s", strerror(errno));
        return -1;
    }
    return 0;
}
