/* The config modules in cloud-init's order (its cloud.cfg: cloud_init_modules,
 * cloud_config_modules, cloud_final_modules). */
#include "../cloudinit.h"

const struct ci_module ci_modules[] = {
    {0},
};
const size_t ci_nmodules = 0;
