/* cc_bootcmd: every boot, early, the bootcmd list as one sh script (strings as lines, argv
 * lists shell-quoted), with INSTANCE_ID in its environment, as cloud-init runs it. */
#include <stdlib.h>
#include <string.h>

#include "modules.h"

int cc_bootcmd(struct ci_context *ctx)
{
    const struct ci_node *cmds = ci_map_get(ctx->cfg, "bootcmd");
    if (!cmds || cmds->type == CI_NULL)
        return 0;
    if (cmds->type != CI_SEQ && !ci_scalar(cmds)) {
        ci_error(ctx, "bootcmd: expected a list of commands (line %d)", cmds->line);
        return -1;
    }
    struct mod_buf script = {0};
    if (mod_shellify(ctx, cmds, "bootcmd", &script) < 0) {
        free(script.p);
        ci_error(ctx, "bootcmd: out of memory");
        return -1;
    }
    if (setenv("INSTANCE_ID", ctx->instance_id ? ctx->instance_id : "", 1) < 0) {
        free(script.p);
        ci_error(ctx, "bootcmd: cannot set INSTANCE_ID");
        return -1;
    }
    int st = ci_run_shell(ctx, script.p);
    unsetenv("INSTANCE_ID");
    free(script.p);
    if (st != 0) {
        ci_error(ctx, "bootcmd: the commands failed (exit status %d)", st);
        return -1;
    }
    return 0;
}
