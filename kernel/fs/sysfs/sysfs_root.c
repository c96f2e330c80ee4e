/* /sys and the directories on the way to the attributes, named as in Linux. Only what openv
 * fills is here: /sys/block, /sys/bus/pci, /sys/class/net, /sys/class/rtc, /sys/devices/pciDDDD:BB and
 * /sys/devices/system/cpu. */
#include "sysfs_internal.h"

#define DIR(n, d) { .base = { n, S_IFDIR | 0555 }, .dir = &d }

static const struct sysfs_entry class_entries[] = {
    DIR("net", sysfs_class_net_dir),
    DIR("rtc", sysfs_class_rtc_dir),
};
static const struct sysfs_dir class_dir = { class_entries, ARRAY_SIZE(class_entries), NULL };

static const struct sysfs_entry system_entries[] = {
    DIR("cpu", sysfs_cpu_dir),
};
static const struct sysfs_dir system_dir = { system_entries, ARRAY_SIZE(system_entries), NULL };

static const struct sysfs_entry devices_entries[] = {
    DIR("system", system_dir),
};
static const struct sysfs_dir devices_dir = { devices_entries, ARRAY_SIZE(devices_entries),
                                              sysfs_next_pci_root };

static const struct sysfs_entry root_entries[] = {
    DIR("block", sysfs_block_dir),
    DIR("bus", sysfs_bus_dir),
    DIR("class", class_dir),
    DIR("devices", devices_dir),
};
const struct sysfs_dir sysfs_root_dir = { root_entries, ARRAY_SIZE(root_entries), NULL };
