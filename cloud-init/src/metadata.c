/* meta-data: NoCloud's YAML/JSON (instance-id, local-hostname, public-keys) and OpenStack
 * ConfigDrive's meta_data.json (uuid, hostname, public_keys). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

void ci_meta_free(struct ci_meta *m)
{
    ci_node_free(m->doc);
    free(m->instance_id);
    free(m->hostname);
    memset(m, 0, sizeof *m);
}

int ci_meta_parse(const char *buf, size_t len, bool configdrive, struct ci_meta *m, char *err,
                  size_t errlen)
{
    memset(m, 0, sizeof *m);
    char perr[200];
    m->doc = ci_yaml_parse(buf, len, perr, sizeof perr);
    if (!m->doc) {
        snprintf(err, errlen, "meta-data: %s", perr);
        return -1;
    }
    if (m->doc->type != CI_MAP) {
        snprintf(err, errlen, "meta-data: not a mapping (line %d)", m->doc->line);
        ci_meta_free(m);
        return -1;
    }
    const char *iid = ci_scalar(ci_map_get(m->doc, configdrive ? "uuid" : "instance-id"));
    if (!iid && !configdrive)
        iid = ci_scalar(ci_map_get(m->doc, "instance_id"));
    const char *host = ci_scalar(ci_map_get(m->doc, configdrive ? "hostname" : "local-hostname"));
    if (!host)
        host = ci_scalar(ci_map_get(m->doc, configdrive ? "name" : "hostname"));
    if (!iid || !*iid) {
        snprintf(err, errlen, "meta-data: no %s", configdrive ? "uuid" : "instance-id");
        ci_meta_free(m);
        return -1;
    }
    m->instance_id = strdup(iid);
    m->hostname = host ? strdup(host) : NULL;
    if (!m->instance_id || (host && !m->hostname)) {
        snprintf(err, errlen, "meta-data: out of memory");
        ci_meta_free(m);
        return -1;
    }
    return 0;
}
