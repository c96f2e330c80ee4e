/* OpenStack ConfigDrive v2: a filesystem labelled config-2 with openstack/latest/meta_data.json
 * (uuid, hostname, public_keys) and user_data. network_data.json is not read (warned). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

int ci_configdrive_read_dir(const struct ci_context *ctx, const char *dir, struct ci_seed *s,
                            char *err, size_t errlen)
{
    char abs[1024];
    snprintf(abs, sizeof abs, "%s/openstack/latest/meta_data.json", dir);
    s->meta = ci_read_file(ctx, abs, &s->meta_len);
    if (!s->meta) {
        snprintf(err, errlen, "the config drive has no openstack/latest/meta_data.json");
        return -1;
    }
    snprintf(abs, sizeof abs, "%s/openstack/latest/user_data", dir);
    s->user = ci_read_file(ctx, abs, &s->user_len);   /* optional on a config drive */
    s->meta_is_configdrive = true;
    return 0;
}
