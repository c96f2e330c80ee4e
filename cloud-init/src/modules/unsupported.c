/* Modules for what openv does not have: no package manager (apt_configure,
 * package_update_upgrade_install), no NTP client configuration (ntp), no zoneinfo (timezone).
 * A seed that asks for them is told so (a warning: status "degraded"), never silently. */
#include <string.h>

#include "modules.h"

/* Warns about each of keys present in the cloud-config; 0. */
static int refuse(struct ci_context *ctx, const char *const keys[], const char *why)
{
    for (size_t i = 0; keys[i]; i++) {
        const struct ci_node *v = ci_map_get(ctx->cfg, keys[i]);
        bool b;
        /* package_update: false and the like ask for nothing. */
        if (!v || v->type == CI_NULL || (ci_bool(v, &b) == 0 && !b))
            continue;
        ci_warn(ctx, "%s: not supported on openv (%s): ignored", keys[i], why);
    }
    return 0;
}

int cc_apt_configure(struct ci_context *ctx)
{
    static const char *const keys[] = {"apt", "apt_pipelining", NULL};
    return refuse(ctx, keys, "it has no package manager");
}

int cc_package_update_upgrade_install(struct ci_context *ctx)
{
    static const char *const keys[] = {"packages", "package_update", "package_upgrade",
                                       "package_reboot_if_required", "apt_update", "apt_upgrade",
                                       NULL};
    return refuse(ctx, keys, "it has no package manager");
}

int cc_ntp(struct ci_context *ctx)
{
    static const char *const keys[] = {"ntp", NULL};
    return refuse(ctx, keys, "it has no NTP client to configure; the clock comes from the RTC");
}

int cc_timezone(struct ci_context *ctx)
{
    const char *tz = ci_scalar(ci_map_get(ctx->cfg, "timezone"));
    /* openv runs in UTC (no zoneinfo): asking for UTC is already done. */
    if (tz && (!strcmp(tz, "UTC") || !strcmp(tz, "Etc/UTC") || !strcmp(tz, "Etc/Universal") ||
               !strcmp(tz, "Universal") || !strcmp(tz, "Zulu"))) {
        ci_log(ctx, CI_INFO, "timezone %s: openv runs in UTC already", tz);
        return 0;
    }
    static const char *const keys[] = {"timezone", NULL};
    return refuse(ctx, keys, "it has no zoneinfo and runs in UTC");
}
