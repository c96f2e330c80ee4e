/* /proc/sys: the few kernel parameters programs read, and the few integer ones root may set
 * (as Linux's proc_dointvec_minmax: one decimal number per write, EINVAL out of range). */
#include "proc_internal.h"
#include "procinfo.h"
#include "net.h"
#include "pagemap.h"

/* Parses "  -12\n": optional blanks, an optional sign, digits, optional blanks. */
static int parse_int(const char *t, long *out)
{
    while (*t == ' ' || *t == '\t' || *t == '\n')
        t++;
    bool neg = *t == '-';
    if (*t == '-' || *t == '+')
        t++;
    if (*t < '0' || *t > '9')
        return -EINVAL;
    long v = 0;
    for (; *t >= '0' && *t <= '9'; t++) {
        v = v * 10 + (*t - '0');
        if (v > (1L << 40))
            return -EINVAL;
    }
    while (*t == ' ' || *t == '\t' || *t == '\n')
        t++;
    if (*t)
        return -EINVAL;
    *out = neg ? -v : v;
    return 0;
}

static int store_int(const char *text, int *var, long min, long max)
{
    long v;
    int err = parse_int(text, &v);
    if (err)
        return err;
    if (v < min || v > max)
        return -EINVAL;
    WRITE_ONCE(*var, (int)v);
    return 0;
}

/* A show and a store for an int variable with its range. */
#define SYSCTL_INT(fn, var, min, max)                                                     \
    static int show_##fn(struct pseudo_buf *b, const struct proc_ctx *c)                 \
    {                                                                                    \
        (void)c;                                                                         \
        pb_printf(b, "%d\n", READ_ONCE(var));                                           \
        return 0;                                                                        \
    }                                                                                    \
    static int store_##fn(const char *text, size_t len)                                  \
    {                                                                                    \
        (void)len;                                                                       \
        return store_int(text, &(var), min, max);                                        \
    }

SYSCTL_INT(dmesg_restrict, dmesg_restrict, 0, 1)
SYSCTL_INT(ip_unprivileged_port_start, sysctl_ip_unprivileged_port_start, 0, 65535)

static int show_hostname(struct pseudo_buf *b, const struct proc_ctx *c)
{
    (void)c;
    char host[65], domain[65];
    uts_get_names(host, domain, sizeof host);
    pb_printf(b, "%s\n", host);
    return 0;
}

static int show_domainname(struct pseudo_buf *b, const struct proc_ctx *c)
{
    (void)c;
    char host[65], domain[65];
    uts_get_names(host, domain, sizeof host);
    pb_printf(b, "%s\n", domain);
    return 0;
}

static int show_ostype(struct pseudo_buf *b, const struct proc_ctx *c)
{
    (void)c;
    pb_printf(b, "Linux\n");
    return 0;
}

static int show_osrelease(struct pseudo_buf *b, const struct proc_ctx *c)
{
    (void)c;
    pb_printf(b, OPENV_RELEASE "\n");     /* as uname -r */
    return 0;
}

static int show_pid_max(struct pseudo_buf *b, const struct proc_ctx *c)
{
    (void)c;
    pb_printf(b, "32768\n");           /* PID_MAX in task.h */
    return 0;
}

#define FILE(n, fn) { .base = { n, S_IFREG | 0444 }, .show = fn }
#define RW_FILE(n, fn) { .base = { #n, S_IFREG | 0644 }, .show = show_##fn, .store = store_##fn }
static const struct proc_entry kernel_entries[] = {
    RW_FILE(dmesg_restrict, dmesg_restrict),
    FILE("domainname", show_domainname),
    FILE("hostname", show_hostname),
    FILE("osrelease", show_osrelease),
    FILE("ostype", show_ostype),
    FILE("pid_max", show_pid_max),
};

const struct proc_dir proc_sys_kernel_dir = {
    .entries = kernel_entries,
    .nentries = ARRAY_SIZE(kernel_entries),
    .ino_base = 0x240,
    .extra = proc_sys_kernel_extra,   /* registered by other subsystems (SysV IPC limits) */
};

/* 1: drop the clean page-cache pages nobody maps; 2: the unused cached dentries and the
 * inodes they hold; 3: both; 4: Linux only silences its log line. Dirty pages stay: sync
 * first to drop everything, as in Linux. */
static int store_drop_caches(const char *buf, size_t len)
{
    long v = 0;
    size_t i = 0;
    while (i < len && buf[i] >= '0' && buf[i] <= '9' && v < 100)
        v = v * 10 + (buf[i++] - '0');
    while (i < len && (buf[i] == '\n' || buf[i] == ' '))
        i++;
    if (i == 0 || i != len || v < 1 || v > 4)
        return -EINVAL;
    if (v & 2)
        d_prune_unused(NULL, SIZE_MAX);     /* first: inodes going may free page caches */
    if (v & 1)
        filemap_reclaim((size_t)-1);
    return 0;
}

static const struct proc_entry vm_entries[] = {
    /* Write-only, even for root, as in Linux. */
    { .base = { "drop_caches", S_IFREG | 0200 }, .store = store_drop_caches },
};

static const struct proc_dir proc_sys_vm_dir = {
    .entries = vm_entries,
    .nentries = ARRAY_SIZE(vm_entries),
    .ino_base = 0x260,
};

static const struct proc_entry ipv4_entries[] = {
    RW_FILE(ip_unprivileged_port_start, ip_unprivileged_port_start),
};

static const struct proc_dir proc_sys_ipv4_dir = {
    .entries = ipv4_entries,
    .nentries = ARRAY_SIZE(ipv4_entries),
    .ino_base = 0x280,
};

static const struct proc_entry net_entries[] = {
    { .base = { "ipv4", S_IFDIR | 0555 }, .dir = &proc_sys_ipv4_dir },
};

static const struct proc_dir proc_sys_net_dir = {
    .entries = net_entries,
    .nentries = ARRAY_SIZE(net_entries),
    .ino_base = 0x270,
};

static const struct proc_entry sys_entries[] = {
    { .base = { "kernel", S_IFDIR | 0555 }, .dir = &proc_sys_kernel_dir },
    { .base = { "vm", S_IFDIR | 0555 }, .dir = &proc_sys_vm_dir },
    { .base = { "net", S_IFDIR | 0555 }, .dir = &proc_sys_net_dir },
};

const struct proc_dir proc_sys_dir = {
    .entries = sys_entries,
    .nentries = ARRAY_SIZE(sys_entries),
    .ino_base = 0x200,
};
