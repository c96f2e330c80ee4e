/* /sys/devices/system/cpu/{online,possible,present}: cpu lists in Linux's range format
 * ("0-3\n", "0,2-3\n"). openv has no cpu hotplug: the harts it started at boot are all it
 * will ever run, so possible and present equal online (Linux counts every hart the device
 * tree lists, even those maxcpus= leaves stopped). */
#include "sysfs_internal.h"
#include "smp.h"

static int show_cpu_list(const struct sysfs_ctx *c, char *buf, size_t size)
{
    (void)c;
    unsigned long mask = cpus_online_mask();
    size_t len = 0;
#define EMIT(...) (len += (size_t)ksnprintf(len < size ? buf + len : NULL,                  \
                                            len < size ? size - len : 0, __VA_ARGS__))
    for (int cpu = 0; cpu < (int)(8 * sizeof mask); cpu++) {
        if (!(mask >> cpu & 1))
            continue;
        int last = cpu;
        while (last + 1 < (int)(8 * sizeof mask) && (mask >> (last + 1) & 1))
            last++;
        if (len)
            EMIT(",");
        if (last == cpu)
            EMIT("%d", cpu);
        else
            EMIT("%d-%d", cpu, last);
        cpu = last;
    }
    EMIT("\n");
#undef EMIT
    return (int)len;
}

#define ATTR(n, fn) { .base = { n, S_IFREG | 0444 }, .show = fn }
static const struct sysfs_entry cpu_entries[] = {
    ATTR("online", show_cpu_list),
    ATTR("possible", show_cpu_list),
    ATTR("present", show_cpu_list),
};
const struct sysfs_dir sysfs_cpu_dir = { cpu_entries, ARRAY_SIZE(cpu_entries), NULL };
