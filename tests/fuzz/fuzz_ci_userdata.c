/*
 * libFuzzer target for what the cloud-init agent makes of a seed: the input as user-data (with
 * its second half as vendor-data too; gzip input goes through the inflater), as NoCloud and ConfigDrive meta-data, and as an HTTP
 * response from a NoCloud server. Errors are fine; crashes, leaks and overruns are not. YAML
 * comes through node.c over the host's libyaml, with node.c's limits (aliases, depth).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *devnull;
    if (!devnull)
        devnull = fopen("/dev/null", "w");
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    struct ci_context ctx = {.root = "/nonexistent", .log = devnull};
    struct ci_userdata u;
    ci_userdata_process(&ctx, buf, size, buf + size / 2, size - size / 2, &u);
    if (u.cfg && u.cfg->type != CI_MAP)
        __builtin_trap();   /* the merged config is always a map */
    ci_userdata_free(&u);
    ci_context_release(&ctx);
    struct ci_meta m;
    char err[200];
    for (int cd = 0; cd < 2; cd++) {
        if (ci_meta_parse(buf, size, cd, &m, err, sizeof err) == 0) {
            if (!m.instance_id || !m.instance_id[0])
                __builtin_trap();
            char safe[256];
            (void)ci_iid_sanitize(m.instance_id, safe, sizeof safe);
            ci_meta_free(&m);
        }
    }
    int status;
    char *body;
    size_t blen;
    if (ci_http_parse_response(buf, size, &status, &body, &blen, err, sizeof err) == 0) {
        if (blen > size || body[blen] != '\0')
            __builtin_trap();
        free(body);
    }
    free(buf);
    return 0;
}
