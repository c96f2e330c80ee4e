/* cc_runcmd: writes the runcmd list as /var/lib/cloud/instance/scripts/runcmd (strings as
 * lines, argv lists shell-quoted); the final stage's scripts_user runs it, as in cloud-init. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "modules.h"

int cc_runcmd(struct ci_context *ctx)
{
    const struct ci_node *cmds = ci_map_get(ctx->cfg, "runcmd");
    if (!cmds || cmds->type == CI_NULL)
        return 0;
    if (cmds->type != CI_SEQ && !ci_scalar(cmds)) {
        ci_error(ctx, "runcmd: expected a list of commands (line %d)", cmds->line);
        return -1;
    }
    struct mod_buf script = {0};
    if (mod_shellify(ctx, cmds, "runcmd", &script) < 0) {
        free(script.p);
        ci_error(ctx, "runcmd: out of memory");
        return -1;
    }
    const char *dir = "/var/lib/cloud/instance/scripts";
    if (ci_mkdir_p(ctx, dir, 0755) < 0 ||
        ci_write_file(ctx, "/var/lib/cloud/instance/scripts/runcmd", script.p, script.len, 0700,
                      (uid_t)-1, (gid_t)-1) < 0) {
        ci_error(ctx, "runcmd: cannot write %s/runcmd: %s", dir, strerror(errno));
        free(script.p);
        return -1;
    }
    free(script.p);
    return 0;
}
