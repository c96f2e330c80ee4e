/* /sys/class/net/<ifname>/: one directory per network interface (lo, eth0) with the
 * attributes tools read, printed as Linux prints them. (Linux makes each a symlink into
 * /sys/devices; here it is the directory itself.) */
#include "sysfs_internal.h"
#include "netinfo.h"
#include "string.h"
#include "uapi/if_arp.h"

static int iface(const struct sysfs_ctx *c, struct net_iface_info *info)
{
    return net_iface_by_name(c->ifname, info);
}

static int show_address(const struct sysfs_ctx *c, char *buf, size_t size)
{
    struct net_iface_info i;
    int r = iface(c, &i);
    if (r < 0)
        return r;
    return ksnprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x\n", i.mac[0], i.mac[1], i.mac[2],
                     i.mac[3], i.mac[4], i.mac[5]);
}

/* Linux: EINVAL while the interface is down (the carrier is unknown then). */
static int show_carrier(const struct sysfs_ctx *c, char *buf, size_t size)
{
    struct net_iface_info i;
    int r = iface(c, &i);
    if (r < 0)
        return r;
    if (!i.up)
        return -EINVAL;
    return ksnprintf(buf, size, "%d\n", i.carrier ? 1 : 0);
}

static int show_flags(const struct sysfs_ctx *c, char *buf, size_t size)
{
    struct net_iface_info i;
    int r = iface(c, &i);
    return r < 0 ? r : ksnprintf(buf, size, "0x%x\n", i.flags);
}

static int show_ifindex(const struct sysfs_ctx *c, char *buf, size_t size)
{
    struct net_iface_info i;
    int r = iface(c, &i);
    return r < 0 ? r : ksnprintf(buf, size, "%d\n", i.ifindex);
}

static int show_mtu(const struct sysfs_ctx *c, char *buf, size_t size)
{
    struct net_iface_info i;
    int r = iface(c, &i);
    return r < 0 ? r : ksnprintf(buf, size, "%u\n", i.mtu);
}

/* RFC 2863 states as Linux names them: the loopback driver never reports one ("unknown"). */
static int show_operstate(const struct sysfs_ctx *c, char *buf, size_t size)
{
    struct net_iface_info i;
    int r = iface(c, &i);
    if (r < 0)
        return r;
    const char *state = i.loopback ? "unknown" : i.up && i.carrier ? "up" : "down";
    return ksnprintf(buf, size, "%s\n", state);
}

static int show_type(const struct sysfs_ctx *c, char *buf, size_t size)
{
    struct net_iface_info i;
    int r = iface(c, &i);
    return r < 0 ? r : ksnprintf(buf, size, "%d\n", i.loopback ? ARPHRD_LOOPBACK : ARPHRD_ETHER);
}

#define ATTR(n, fn) { .base = { n, S_IFREG | 0444 }, .show = fn }
static const struct sysfs_entry iface_entries[] = {
    ATTR("address", show_address),
    ATTR("carrier", show_carrier),
    ATTR("flags", show_flags),
    ATTR("ifindex", show_ifindex),
    ATTR("mtu", show_mtu),
    ATTR("operstate", show_operstate),
    ATTR("type", show_type),
};
static const struct sysfs_dir iface_dir = { iface_entries, ARRAY_SIZE(iface_entries), NULL };
static const struct sysfs_entry iface_entry = {
    .base = { "<ifname>", S_IFDIR | 0555 }, .dir = &iface_dir,
};

/* Interfaces by ifindex. */
static long next_iface(const struct sysfs_ctx *parent, long from, char name[SYSFS_NAME_MAX],
                       struct sysfs_ctx *child, const struct sysfs_entry **entry)
{
    (void)parent;
    struct net_iface_info i;
    int idx = net_iface_next((int)from, &i);
    if (idx < 0 || idx >= SYSFS_MAX_KEY)
        return -1;
    memset(child, 0, sizeof *child);
    strlcpy(child->ifname, i.name, sizeof child->ifname);
    strlcpy(name, i.name, SYSFS_NAME_MAX);
    *entry = &iface_entry;
    return idx;
}

const struct sysfs_dir sysfs_class_net_dir = { NULL, 0, next_iface };
