/* OpenStack ConfigDrive v2: a filesystem labelled config-2 with openstack/latest/meta_data.json
 * (uuid, hostname, public_keys) and user_data. network_data.json is not read (warned). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

int ci_configdrive_read_dir(const struct ci_context *ctx, const char *dir, struct ci_seed *s,
                            char *err, size_t errlen)
{
    bool big_meta, big_user;
    s->meta = ci_seed_file(ctx, dir, "openstack/latest/meta_data.json", &s->meta_len, &big_meta);
    s->user = ci_seed_file(ctx, dir, "openstack/latest/user_data", &s->user_len, &big_user);
    if (big_meta || big_user) {
        snprintf(err, errlen, "openstack/latest/%s is larger than %d bytes",
                 big_meta ? "meta_data.json" : "user_data", CI_SEED_FILE_MAX);
        return -1;
    }
    if (!s->meta) {
        snprintf(err, errlen, "the config drive has no openstack/latest/meta_data.json");
        return -1;
    }
    /* user_data is optional on a config drive. */
    s->meta_is_configdrive = true;
    return 0;
}
