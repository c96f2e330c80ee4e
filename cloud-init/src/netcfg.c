/* network-config version 1 and 2 (NoCloud's network-config file; ConfigDrive's
 * network_data.json is another format, not read), applied to openv's one NIC.
 *
 * What openv's network can do decides what is applied (docs/network.md):
 *  - lwIP holds one IPv4 address per interface and one default route: the first static IPv4
 *    address and its gateway are applied; a second address, IPv6 and routes other than the
 *    default one are reported (ci_warn) and skipped.
 *  - DHCP is the kernel's own client (lwIP), started at boot unless `ip=` says otherwise.
 *    There is no AF_PACKET, so udhcpc cannot run and nothing in user space can restart DHCP
 *    once a manual address has stopped it; "dhcp" therefore means "keep the kernel's DHCP",
 *    which is on at every boot. The kernel starts DHCP again at each boot, so a static
 *    config must be applied at every boot (the core calls us in every `init --local`).
 *  - Addresses and routes go through BusyBox `ip` (rtnetlink), as an administrator would:
 *    `ip addr flush dev D` (a manual change stops the kernel's DHCP), `ip addr add A/N dev
 *    D`, `ip link set D up`, `ip route add default via G`.
 *  - DNS: /etc/resolv.conf is a symlink to /proc/net/pnp (what DHCP gave); nameservers or a
 *    search list in the config replace it with a file.
 *
 * The config is read into a plan first (one struct iface_plan per interface it names), then
 * the plans for interfaces that exist are applied; a bad value makes its interface an error
 * and leaves the others alone. */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cloudinit.h"

#define MAX_DNS 3        /* musl and glibc read three nameservers */
#define MAX_SEARCH 6
#define NAME_LEN 32
#define TEXT_LEN 256

struct dns_plan {
    char servers[MAX_DNS][INET_ADDRSTRLEN];
    size_t nservers;
    char search[MAX_SEARCH][TEXT_LEN];
    size_t nsearch;
};

struct iface_plan {
    char id[NAME_LEN];          /* v1 name or v2 ethernets key: for messages */
    char match_name[NAME_LEN];  /* a name or glob ("" : any) */
    char match_mac[NAME_LEN];   /* "" : any */
    char set_name[NAME_LEN];
    bool dhcp;
    bool have_addr, have_gw;
    struct in_addr addr, gw;
    int prefix;
    bool bad;                   /* a value was wrong: the interface is not touched */
};

#define MAX_IFACES 8

struct net_plan {
    struct iface_plan ifaces[MAX_IFACES];
    size_t n;
    struct dns_plan dns;        /* global (v1 type: nameserver) and per-interface, merged */
};

/* ---- values ---------------------------------------------------------------------------- */

/* "a.b.c.d" or "a.b.c.d/N". -1 when it is not IPv4 (an IPv6 address is 1: not for us). */
static int parse_ipv4(const char *s, struct in_addr *a, int *prefix)
{
    char buf[64];
    if (!s || strlen(s) >= sizeof buf)
        return -1;
    strcpy(buf, s);
    if (strchr(buf, ':'))
        return 1;
    char *slash = strchr(buf, '/');
    if (prefix)
        *prefix = -1;
    if (slash) {
        *slash = '\0';
        char *end;
        long n = strtol(slash + 1, &end, 10);
        if (!prefix || !isdigit((unsigned char)slash[1]) || *end || n < 0 || n > 32)
            return -1;
        *prefix = (int)n;
    }
    return inet_pton(AF_INET, buf, a) == 1 ? 0 : -1;
}

/* A netmask ("255.255.255.0") or a prefix length ("24") into a prefix; -1 if not contiguous. */
static int mask_to_prefix(const char *s)
{
    char *end;
    long n = strtol(s, &end, 10);
    if (*s && !*end && isdigit((unsigned char)*s))
        return n >= 0 && n <= 32 ? (int)n : -1;
    struct in_addr m;
    if (inet_pton(AF_INET, s, &m) != 1)
        return -1;
    uint32_t h = ntohl(m.s_addr);
    int p = 0;
    while (p < 32 && (h & (0x80000000u >> p)))
        p++;
    return (p == 32 || (h << p) == 0) ? p : -1;
}

static void copy_name(char *dst, const char *src)
{
    snprintf(dst, NAME_LEN, "%s", src ? src : "");
}

/* A scalar or a list of scalars, as cloud-init accepts for dns_nameservers and friends. */
static size_t scalars(const struct ci_node *n, const char **out, size_t max)
{
    if (ci_scalar(n)) {
        out[0] = ci_scalar(n);
        return 1;
    }
    size_t k = 0;
    if (n && n->type == CI_SEQ)
        for (size_t i = 0; i < n->n && k < max; i++)
            if (ci_scalar(n->items[i]))
                out[k++] = ci_scalar(n->items[i]);
    return k;
}

static void add_nameservers(struct ci_context *ctx, struct dns_plan *d, const struct ci_node *n)
{
    const char *v[16];
    size_t k = scalars(n, v, 16);
    for (size_t i = 0; i < k; i++) {
        struct in_addr a;
        int r = parse_ipv4(v[i], &a, NULL);
        if (r != 0) {
            if (r > 0)
                ci_warn(ctx, "nameserver %s: IPv6 is not supported: skipped", v[i]);
            else
                ci_error(ctx, "nameserver %s: not an IPv4 address: skipped", v[i]);
            continue;
        }
        bool dup = false;
        for (size_t j = 0; j < d->nservers; j++)
            dup |= !strcmp(d->servers[j], v[i]);
        if (dup)
            continue;
        if (d->nservers == MAX_DNS) {
            ci_warn(ctx, "nameserver %s: only %d nameservers are used: skipped", v[i], MAX_DNS);
            continue;
        }
        inet_ntop(AF_INET, &a, d->servers[d->nservers++], INET_ADDRSTRLEN);
    }
}

static void add_search(struct ci_context *ctx, struct dns_plan *d, const struct ci_node *n)
{
    const char *v[16];
    size_t k = scalars(n, v, 16);
    for (size_t i = 0; i < k; i++) {
        bool ok = *v[i] && strlen(v[i]) < TEXT_LEN;
        for (const char *c = v[i]; *c; c++)
            ok &= isalnum((unsigned char)*c) || *c == '.' || *c == '-' || *c == '_';
        if (!ok) {
            ci_error(ctx, "search domain '%s' is not a domain name: skipped", v[i]);
            continue;
        }
        bool dup = false;
        for (size_t j = 0; j < d->nsearch; j++)
            dup |= !strcmp(d->search[j], v[i]);
        if (dup)
            continue;
        if (d->nsearch == MAX_SEARCH) {
            ci_warn(ctx, "search domain %s: only %d are used: skipped", v[i], MAX_SEARCH);
            continue;
        }
        snprintf(d->search[d->nsearch++], TEXT_LEN, "%s", v[i]);
    }
}

static struct iface_plan *new_iface(struct ci_context *ctx, struct net_plan *p, const char *id)
{
    if (p->n == MAX_IFACES) {
        ci_warn(ctx, "interface %s: more than %d interfaces: skipped", id, MAX_IFACES);
        return NULL;
    }
    struct iface_plan *f = &p->ifaces[p->n++];
    memset(f, 0, sizeof *f);
    copy_name(f->id, id);
    f->prefix = -1;
    return f;
}

/* An address for the interface (CIDR, or plain with a separate netmask/prefix). */
static void set_address(struct ci_context *ctx, struct iface_plan *f, const char *addr,
                        const char *netmask)
{
    struct in_addr a;
    int prefix;
    int r = parse_ipv4(addr, &a, &prefix);
    if (r > 0) {
        ci_warn(ctx, "%s: address %s: IPv6 is not supported: skipped", f->id, addr);
        return;
    }
    if (r < 0) {
        ci_error(ctx, "%s: address '%s' is not an IPv4 address", f->id, addr ? addr : "");
        f->bad = true;
        return;
    }
    if (netmask) {
        int m = mask_to_prefix(netmask);
        if (m < 0) {
            ci_error(ctx, "%s: netmask '%s' is not a netmask", f->id, netmask);
            f->bad = true;
            return;
        }
        if (prefix >= 0 && prefix != m)
            ci_warn(ctx, "%s: address %s and netmask %s disagree: /%d used", f->id, addr,
                    netmask, prefix);
        else
            prefix = m;
    }
    if (prefix < 0) {
        ci_error(ctx, "%s: address %s has no prefix length or netmask", f->id, addr);
        f->bad = true;
        return;
    }
    if (f->have_addr) {
        ci_warn(ctx, "%s: address %s: openv holds one IPv4 address per interface: skipped",
                f->id, addr);
        return;
    }
    f->have_addr = true;
    f->addr = a;
    f->prefix = prefix;
}

static void set_gateway(struct ci_context *ctx, struct iface_plan *f, const char *gw)
{
    struct in_addr a;
    int r = parse_ipv4(gw, &a, NULL);
    if (r > 0) {
        ci_warn(ctx, "%s: gateway %s: IPv6 is not supported: skipped", f->id, gw);
        return;
    }
    if (r < 0) {
        ci_error(ctx, "%s: gateway '%s' is not an IPv4 address", f->id, gw ? gw : "");
        f->bad = true;
        return;
    }
    if (f->have_gw && f->gw.s_addr != a.s_addr) {
        ci_warn(ctx, "%s: gateway %s: openv holds one default route: skipped", f->id, gw);
        return;
    }
    f->have_gw = true;
    f->gw = a;
}

static bool is_default_dest(const char *to)
{
    return to && (!strcmp(to, "default") || !strcmp(to, "0.0.0.0/0") || !strcmp(to, "0.0.0.0"));
}

/* A route: the default one becomes the gateway; others are not supported by openv's stack. */
static void add_route(struct ci_context *ctx, struct iface_plan *f, const char *to,
                      const char *netmask, const char *via)
{
    bool dflt = is_default_dest(to) && (!netmask || mask_to_prefix(netmask) == 0);
    if (!dflt) {
        ci_warn(ctx, "%s: route to %s%s%s: openv has only the default route: skipped", f->id,
                to ? to : "?", netmask ? "/" : "", netmask ? netmask : "");
        return;
    }
    if (!via) {
        ci_error(ctx, "%s: default route without a gateway", f->id);
        f->bad = true;
        return;
    }
    set_gateway(ctx, f, via);
}

static void warn_unknown_keys(struct ci_context *ctx, const char *what, const struct ci_node *m,
                              const char *const *known, const char *const *ignored)
{
    for (size_t i = 0; m && m->type == CI_MAP && i < m->n; i++) {
        bool ok = false;
        for (size_t k = 0; known[k] && !ok; k++)
            ok = !strcmp(m->keys[i], known[k]);
        for (size_t k = 0; ignored && ignored[k] && !ok; k++)
            if (!strcmp(m->keys[i], ignored[k])) {
                ci_log(ctx, CI_INFO, "%s: %s ignored (no meaning on openv)", what, m->keys[i]);
                ok = true;
            }
        if (!ok)
            ci_warn(ctx, "%s: key '%s' is not supported: ignored", what, m->keys[i]);
    }
}

/* ---- version 1 ------------------------------------------------------------------------- */

static void v1_subnet(struct ci_context *ctx, struct net_plan *p, struct iface_plan *f,
                      const struct ci_node *s)
{
    static const char *const known[] = {"type", "address", "netmask", "gateway",
                                        "dns_nameservers", "dns_search", "routes", "prefix",
                                        NULL};
    static const char *const ignored[] = {"control", "metric", "mtu", NULL};
    const char *type = ci_scalar(ci_map_get(s, "type"));
    if (!type) {
        ci_error(ctx, "%s: a subnet without a type", f->id);
        f->bad = true;
        return;
    }
    warn_unknown_keys(ctx, f->id, s, known, ignored);
    if (!strcmp(type, "dhcp") || !strcmp(type, "dhcp4")) {
        f->dhcp = true;
    } else if (!strcmp(type, "static") || !strcmp(type, "static4")) {
        const char *mask = ci_scalar(ci_map_get(s, "netmask"));
        if (!mask)
            mask = ci_scalar(ci_map_get(s, "prefix"));
        set_address(ctx, f, ci_scalar(ci_map_get(s, "address")), mask);
        const char *gw = ci_scalar(ci_map_get(s, "gateway"));
        if (gw)
            set_gateway(ctx, f, gw);
    } else if (!strcmp(type, "dhcp6") || !strcmp(type, "static6") ||
               !strcmp(type, "ipv6_slaac") || !strcmp(type, "ipv6_dhcpv6-stateless") ||
               !strcmp(type, "ipv6_dhcpv6-stateful")) {
        ci_warn(ctx, "%s: subnet type %s: IPv6 is not supported: skipped", f->id, type);
        return;
    } else {
        ci_error(ctx, "%s: subnet type '%s' is not known", f->id, type);
        f->bad = true;
        return;
    }
    add_nameservers(ctx, &p->dns, ci_map_get(s, "dns_nameservers"));
    add_search(ctx, &p->dns, ci_map_get(s, "dns_search"));
    const struct ci_node *routes = ci_map_get(s, "routes");
    for (size_t i = 0; routes && routes->type == CI_SEQ && i < routes->n; i++) {
        const struct ci_node *r = routes->items[i];
        const char *to = ci_scalar(ci_map_get(r, "destination"));
        if (!to)
            to = ci_scalar(ci_map_get(r, "network"));
        add_route(ctx, f, to, ci_scalar(ci_map_get(r, "netmask")),
                  ci_scalar(ci_map_get(r, "gateway")));
    }
}

static void v1_parse(struct ci_context *ctx, struct net_plan *p, const struct ci_node *config)
{
    if (!config || config->type != CI_SEQ) {
        ci_error(ctx, "network-config v1: 'config' is not a list");
        return;
    }
    for (size_t i = 0; i < config->n; i++) {
        const struct ci_node *e = config->items[i];
        const char *type = ci_scalar(ci_map_get(e, "type"));
        if (!type) {
            ci_error(ctx, "network-config v1: entry %zu has no type", i + 1);
            continue;
        }
        if (!strcmp(type, "nameserver")) {
            add_nameservers(ctx, &p->dns, ci_map_get(e, "address"));
            add_search(ctx, &p->dns, ci_map_get(e, "search"));
            continue;
        }
        if (strcmp(type, "physical")) {
            ci_warn(ctx, "network-config v1: type %s is not supported (openv has one NIC): "
                    "skipped", type);
            continue;
        }
        const char *name = ci_scalar(ci_map_get(e, "name"));
        struct iface_plan *f = new_iface(ctx, p, name ? name : "physical");
        if (!f)
            continue;
        static const char *const known[] = {"type", "name", "mac_address", "subnets", NULL};
        static const char *const ignored[] = {"mtu", "accept-ra", "keep_configuration", NULL};
        warn_unknown_keys(ctx, f->id, e, known, ignored);
        /* v1 names the interface to create: matched by MAC if given, else by name. */
        copy_name(f->match_mac, ci_scalar(ci_map_get(e, "mac_address")));
        if (f->match_mac[0])
            copy_name(f->set_name, name);
        else
            copy_name(f->match_name, name);
        const struct ci_node *subnets = ci_map_get(e, "subnets");
        for (size_t k = 0; subnets && subnets->type == CI_SEQ && k < subnets->n; k++)
            v1_subnet(ctx, p, f, subnets->items[k]);
    }
}

/* ---- version 2 (netplan) --------------------------------------------------------------- */

static void v2_ethernet(struct ci_context *ctx, struct net_plan *p, const char *id,
                        const struct ci_node *e)
{
    struct iface_plan *f = new_iface(ctx, p, id);
    if (!f)
        return;
    static const char *const known[] = {"match", "set-name", "dhcp4", "dhcp6", "addresses",
                                        "gateway4", "gateway6", "routes", "nameservers", NULL};
    static const char *const ignored[] = {"mtu", "dhcp4-overrides", "dhcp6-overrides",
                                          "accept-ra", "optional", "critical", "wakeonlan",
                                          "renderer", NULL};
    warn_unknown_keys(ctx, id, e, known, ignored);
    const struct ci_node *match = ci_map_get(e, "match");
    if (match) {
        static const char *const mknown[] = {"macaddress", "name", NULL};
        static const char *const mignored[] = {"driver", NULL};
        warn_unknown_keys(ctx, id, match, mknown, mignored);
        copy_name(f->match_mac, ci_scalar(ci_map_get(match, "macaddress")));
        copy_name(f->match_name, ci_scalar(ci_map_get(match, "name")));
    } else {
        copy_name(f->match_name, id);   /* no match: the key is the interface name */
    }
    copy_name(f->set_name, ci_scalar(ci_map_get(e, "set-name")));
    const struct ci_node *d4 = ci_map_get(e, "dhcp4");
    if (d4) {
        bool on;
        if (ci_bool(d4, &on) < 0) {
            ci_error(ctx, "%s: dhcp4 is not a boolean", id);
            f->bad = true;
        } else {
            f->dhcp = on;
        }
    }
    bool on6;
    if (ci_bool(ci_map_get(e, "dhcp6"), &on6) == 0 && on6)
        ci_warn(ctx, "%s: dhcp6: IPv6 is not supported: skipped", id);
    const struct ci_node *addrs = ci_map_get(e, "addresses");
    if (addrs && addrs->type != CI_SEQ) {
        ci_error(ctx, "%s: addresses is not a list", id);
        f->bad = true;
    }
    for (size_t i = 0; addrs && addrs->type == CI_SEQ && i < addrs->n; i++)
        set_address(ctx, f, ci_scalar(addrs->items[i]), NULL);
    const char *gw4 = ci_scalar(ci_map_get(e, "gateway4"));
    if (gw4)
        set_gateway(ctx, f, gw4);
    if (ci_map_get(e, "gateway6"))
        ci_warn(ctx, "%s: gateway6: IPv6 is not supported: skipped", id);
    const struct ci_node *routes = ci_map_get(e, "routes");
    for (size_t i = 0; routes && routes->type == CI_SEQ && i < routes->n; i++) {
        const struct ci_node *r = routes->items[i];
        add_route(ctx, f, ci_scalar(ci_map_get(r, "to")), NULL, ci_scalar(ci_map_get(r, "via")));
    }
    const struct ci_node *ns = ci_map_get(e, "nameservers");
    add_nameservers(ctx, &p->dns, ci_map_get(ns, "addresses"));
    add_search(ctx, &p->dns, ci_map_get(ns, "search"));
}

static void v2_parse(struct ci_context *ctx, struct net_plan *p, const struct ci_node *net)
{
    static const char *const known[] = {"version", "ethernets", NULL};
    static const char *const ignored[] = {"renderer", NULL};
    warn_unknown_keys(ctx, "network-config v2", net, known, ignored);
    const struct ci_node *eth = ci_map_get(net, "ethernets");
    if (!eth)
        return;
    if (eth->type != CI_MAP) {
        ci_error(ctx, "network-config v2: 'ethernets' is not a map");
        return;
    }
    for (size_t i = 0; i < eth->n; i++)
        v2_ethernet(ctx, p, eth->keys[i], eth->items[i]);
}

/* ---- the machine's interfaces ---------------------------------------------------------- */

/* The interface (under /sys/class/net, loopback aside) that f matches, into dev. */
static bool find_device(struct ci_context *ctx, const struct iface_plan *f, char *dev)
{
    char dir[4096];
    if (ci_path(ctx, "/sys/class/net", dir, sizeof dir) < 0)
        return false;
    DIR *d = opendir(dir);
    if (!d)
        return false;
    struct dirent *de;
    bool found = false;
    while (!found && (de = readdir(d))) {
        if (de->d_name[0] == '.' || !strcmp(de->d_name, "lo") || strlen(de->d_name) >= NAME_LEN)
            continue;
        if (f->match_name[0] && fnmatch(f->match_name, de->d_name, 0) != 0)
            continue;
        if (f->match_mac[0]) {
            char path[300];
            snprintf(path, sizeof path, "/sys/class/net/%s/address", de->d_name);
            char *mac = ci_read_file(ctx, path, NULL);
            if (!mac)
                continue;
            mac[strcspn(mac, "\n")] = '\0';
            bool same = !strcasecmp(mac, f->match_mac);
            free(mac);
            if (!same)
                continue;
        }
        strcpy(dev, de->d_name);
        found = true;
    }
    closedir(d);
    return found;
}

/* dhcp keeps the kernel's client, which `ip=` on the command line may have switched off. */
static void check_kernel_dhcp(struct ci_context *ctx, const char *dev)
{
    char *cmdline = ci_read_file(ctx, "/proc/cmdline", NULL);
    if (!cmdline)
        return;
    const char *w = cmdline;
    while ((w = strstr(w, "ip="))) {
        if (w == cmdline || w[-1] == ' ') {
            const char *v = w + 3;
            size_t len = strcspn(v, " \n");
            if (!(len == 4 && !strncmp(v, "dhcp", 4)))
                ci_warn(ctx, "%s: dhcp requested, but the kernel command line has ip=%.*s and "
                        "openv cannot start DHCP from user space", dev, (int)len, v);
        }
        w += 3;
    }
    free(cmdline);
}

static int run(struct ci_context *ctx, char *const argv[])
{
    int st = ci_run(ctx, argv);
    if (st != 0) {
        char line[512] = "";
        for (size_t i = 0; argv[i]; i++) {
            size_t at = strlen(line);
            snprintf(line + at, sizeof line - at, "%s%s", i ? " " : "", argv[i]);
        }
        ci_error(ctx, "'%s' failed (status %d)", line, st);
        return -1;
    }
    return 0;
}

static int apply_iface(struct ci_context *ctx, const struct iface_plan *f, const char *dev)
{
    char devname[NAME_LEN];
    copy_name(devname, dev);
    if (f->set_name[0] && strcmp(f->set_name, dev))
        ci_warn(ctx, "%s: renaming %s to %s is not supported: configured as %s", f->id, dev,
                f->set_name, dev);
    if (!f->have_addr) {
        if (f->have_gw)
            ci_warn(ctx, "%s: a gateway without a static address: skipped", f->id);
        if (f->dhcp) {
            check_kernel_dhcp(ctx, dev);
            ci_log(ctx, CI_INFO, "%s: dhcp: the kernel's DHCP client configures it", dev);
        }
        char *up[] = {"ip", "link", "set", devname, "up", NULL};
        return run(ctx, up);
    }
    if (f->dhcp)
        ci_warn(ctx, "%s: dhcp4 and a static address: openv holds one address, the static "
                "one is used", f->id);
    char addr[INET_ADDRSTRLEN + 4], gw[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &f->addr, addr, INET_ADDRSTRLEN);
    snprintf(addr + strlen(addr), 4, "/%d", f->prefix);
    char *flush[] = {"ip", "addr", "flush", "dev", devname, NULL};
    char *add[] = {"ip", "addr", "add", addr, "dev", devname, NULL};
    char *up[] = {"ip", "link", "set", devname, "up", NULL};
    if (run(ctx, flush) < 0 || run(ctx, add) < 0 || run(ctx, up) < 0)
        return -1;
    ci_log(ctx, CI_INFO, "%s: static address %s", dev, addr);
    if (f->have_gw) {
        inet_ntop(AF_INET, &f->gw, gw, sizeof gw);
        char *route[] = {"ip", "route", "add", "default", "via", gw, "dev", devname, NULL};
        if (run(ctx, route) < 0)
            return -1;
    }
    return 0;
}

static int write_resolv_conf(struct ci_context *ctx, const struct dns_plan *d)
{
    char buf[MAX_DNS * 32 + MAX_SEARCH * (TEXT_LEN + 1) + 128];
    size_t at = (size_t)snprintf(buf, sizeof buf, "# written by cloud-init from network-config\n");
    for (size_t i = 0; i < d->nservers; i++)
        at += (size_t)snprintf(buf + at, sizeof buf - at, "nameserver %s\n", d->servers[i]);
    if (d->nsearch) {
        at += (size_t)snprintf(buf + at, sizeof buf - at, "search");
        for (size_t i = 0; i < d->nsearch; i++)
            at += (size_t)snprintf(buf + at, sizeof buf - at, " %s", d->search[i]);
        at += (size_t)snprintf(buf + at, sizeof buf - at, "\n");
    }
    if (ci_write_file(ctx, "/etc/resolv.conf", buf, at, 0644, (uid_t)-1, (gid_t)-1) < 0) {
        ci_error(ctx, "cannot write /etc/resolv.conf: %m");
        return -1;
    }
    return 0;
}

/* ---- entry point ----------------------------------------------------------------------- */

int ci_netcfg_apply(struct ci_context *ctx, const struct ci_node *netcfg)
{
    const char *saved_module = ctx->module;
    ctx->module = "network-config";
    int rc = 0;
    const struct ci_node *net = netcfg;
    if (net && net->type == CI_MAP && ci_map_get(net, "network"))
        net = ci_map_get(net, "network");
    if (!net || net->type == CI_NULL)
        goto out;
    if (net->type == CI_SCALAR) {
        /* Debian's /etc/network/interfaces text (ENI), which cloud-init also takes. */
        ci_warn(ctx, "the ENI (/etc/network/interfaces) format is not supported: ignored; use "
                "network-config version 1 or 2");
        goto out;
    }
    if (net->type != CI_MAP) {
        ci_error(ctx, "network-config is not a map");
        rc = -1;
        goto out;
    }
    const char *config = ci_scalar(ci_map_get(net, "config"));
    if (config && !strcmp(config, "disabled")) {
        ci_log(ctx, CI_INFO, "network configuration disabled: eth0 keeps the kernel's DHCP");
        goto out;
    }
    long version;
    if (ci_long(ci_map_get(net, "version"), &version) < 0 || (version != 1 && version != 2)) {
        const char *v = ci_scalar(ci_map_get(net, "version"));
        ci_error(ctx, "network-config version %s is not supported (1 or 2)", v ? v : "missing");
        rc = -1;
        goto out;
    }
    struct net_plan *p = calloc(1, sizeof *p);
    if (!p) {
        ci_error(ctx, "out of memory");
        rc = -1;
        goto out;
    }
    int errors_before = ctx->errors;
    if (version == 1)
        v1_parse(ctx, p, ci_map_get(net, "config"));
    else
        v2_parse(ctx, p, net);

    char dev[NAME_LEN], configured[NAME_LEN] = "";
    for (size_t i = 0; i < p->n; i++) {
        const struct iface_plan *f = &p->ifaces[i];
        if (f->bad) {
            ci_log(ctx, CI_WARNING, "%s: not configured (see the errors above)", f->id);
            continue;
        }
        if (!find_device(ctx, f, dev)) {
            ci_warn(ctx, "%s: no interface matches (name %s, MAC %s): skipped", f->id,
                    f->match_name[0] ? f->match_name : "any",
                    f->match_mac[0] ? f->match_mac : "any");
            continue;
        }
        if (!strcmp(configured, dev)) {   /* openv has one NIC: the first entry for it wins */
            ci_warn(ctx, "%s: %s is already configured: skipped", f->id, dev);
            continue;
        }
        copy_name(configured, dev);
        apply_iface(ctx, f, dev);
    }
    if (p->dns.nservers || p->dns.nsearch)
        write_resolv_conf(ctx, &p->dns);
    free(p);
    rc = ctx->errors > errors_before ? -1 : 0;
out:
    ctx->module = saved_module;
    return rc;
}
