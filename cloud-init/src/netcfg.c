/* network-config version 1 and 2. */
#include "cloudinit.h"

int ci_netcfg_apply(struct ci_context *ctx, const struct ci_node *netcfg)
{
    if (netcfg)
        ci_warn(ctx, "network-config is not supported yet: ignored (eth0 keeps the kernel's DHCP)");
    return 0;
}
