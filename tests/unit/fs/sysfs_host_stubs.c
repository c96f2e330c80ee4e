/* Host stand-ins for what sysfs reads from the network stack (netinfo.h) and the SMP code
 * (smp.h): two fake interfaces and a cpu mask that tests can change. */
#include "kernel.h"
#include "netinfo.h"
#include "smp.h"
#include "string.h"

struct net_iface_info host_ifaces[2] = {
    { .name = "lo", .ifindex = 1, .loopback = true, .up = true, .carrier = true,
      .mtu = 65536, .flags = 0x9 },
    { .name = "eth0", .ifindex = 2, .up = true, .carrier = true, .mtu = 1500, .flags = 0x1003,
      .mac = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 } },
};
int host_nifaces = 2;
unsigned long host_cpu_mask = 1;

int net_iface_next(int from, struct net_iface_info *info)
{
    int best = -1;
    for (int i = 0; i < host_nifaces; i++)
        if (host_ifaces[i].ifindex >= from &&
            (best < 0 || host_ifaces[i].ifindex < host_ifaces[best].ifindex))
            best = i;
    if (best < 0)
        return -1;
    *info = host_ifaces[best];
    return info->ifindex;
}

int net_iface_by_name(const char *name, struct net_iface_info *info)
{
    for (int i = 0; i < host_nifaces; i++)
        if (!strcmp(host_ifaces[i].name, name)) {
            *info = host_ifaces[i];
            return 0;
        }
    return -ENODEV;
}

unsigned long cpus_online_mask(void) { return host_cpu_mask; }
