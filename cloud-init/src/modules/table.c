/* The config modules in cloud-init's order (its cloud.cfg: cloud_init_modules,
 * cloud_config_modules, cloud_final_modules), with cloud-init's frequencies. Modules of
 * cloud.cfg that have nothing to act on in openv (growpart, mounts, snap, ...) are not listed;
 * the core warns about their keys as unknown. The core's scripts_user (the runcmd script and
 * user-data scripts) belongs between write_files_deferred and final_message. */
#include "modules.h"

#define KEYS(...) ((const char *const[]){__VA_ARGS__, NULL})

const struct ci_module ci_modules[] = {
    /* cloud_init_modules */
    {"bootcmd", CI_STAGE_INIT, CI_PER_ALWAYS, KEYS("bootcmd"), cc_bootcmd},
    {"write_files", CI_STAGE_INIT, CI_PER_INSTANCE, KEYS("write_files"), cc_write_files},
    {"set_hostname", CI_STAGE_INIT, CI_PER_INSTANCE,
     KEYS("hostname", "fqdn", "prefer_fqdn_over_hostname", "preserve_hostname"),
     cc_set_hostname},
    {"update_hostname", CI_STAGE_INIT, CI_PER_ALWAYS,
     KEYS("hostname", "fqdn", "prefer_fqdn_over_hostname", "preserve_hostname"),
     cc_update_hostname},
    {"update_etc_hosts", CI_STAGE_INIT, CI_PER_ALWAYS,
     KEYS("manage_etc_hosts", "hostname", "fqdn"), cc_update_etc_hosts},
    {"users_groups", CI_STAGE_INIT, CI_PER_INSTANCE, KEYS("users", "groups", "user"),
     cc_users_groups},
    {"ssh", CI_STAGE_INIT, CI_PER_INSTANCE,
     KEYS("ssh_authorized_keys", "disable_root", "disable_root_opts", "ssh_keys",
          "ssh_deletekeys", "ssh_genkeytypes", "allow_public_ssh_keys", "ssh_quiet_keygen",
          "ssh_publish_hostkeys"),
     cc_ssh},
    {"set_passwords", CI_STAGE_INIT, CI_PER_INSTANCE, KEYS("ssh_pwauth", "chpasswd", "password"),
     cc_set_passwords},
    /* cloud_config_modules */
    {"apt_configure", CI_STAGE_CONFIG, CI_PER_INSTANCE, KEYS("apt", "apt_pipelining"),
     cc_apt_configure},
    {"ntp", CI_STAGE_CONFIG, CI_PER_INSTANCE, KEYS("ntp"), cc_ntp},
    {"timezone", CI_STAGE_CONFIG, CI_PER_INSTANCE, KEYS("timezone"), cc_timezone},
    {"runcmd", CI_STAGE_CONFIG, CI_PER_INSTANCE, KEYS("runcmd"), cc_runcmd},
    /* cloud_final_modules */
    {"package_update_upgrade_install", CI_STAGE_FINAL, CI_PER_INSTANCE,
     KEYS("packages", "package_update", "package_upgrade", "package_reboot_if_required",
          "apt_update", "apt_upgrade"),
     cc_package_update_upgrade_install},
    {"write_files_deferred", CI_STAGE_FINAL, CI_PER_INSTANCE, KEYS("write_files"),
     cc_write_files_deferred},
    {"final_message", CI_STAGE_FINAL, CI_PER_ALWAYS, KEYS("final_message"), cc_final_message},
    {"power_state_change", CI_STAGE_FINAL, CI_PER_INSTANCE, KEYS("power_state"),
     cc_power_state_change},
};
const size_t ci_nmodules = sizeof ci_modules / sizeof *ci_modules;
