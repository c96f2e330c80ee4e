/* cloud-init's util.shellify: a bootcmd/runcmd list as one sh script. */
#include <stdlib.h>

#include "modules.h"

int mod_shellify(struct ci_context *ctx, const struct ci_node *list, const char *what,
                 struct mod_buf *out)
{
    if (mod_buf_str(out, "#!/bin/sh\n") < 0)
        return -1;
    const struct ci_node *one[] = {list};
    const struct ci_node *const *items = one;
    size_t n = 1;
    if (list->type == CI_SEQ) {
        items = (const struct ci_node *const *)list->items;
        n = list->n;
    }
    int skipped = 0;
    for (size_t i = 0; i < n; i++) {
        struct mod_buf line = {0};
        if (mod_cmd_line(ctx, items[i], what, &line) < 0) {
            free(line.p);
            skipped++;
            continue;
        }
        int r = mod_buf_add(out, line.p, line.len);
        free(line.p);
        if (r < 0 || mod_buf_str(out, "\n") < 0)
            return -1;
    }
    return skipped ? 1 : 0;
}
