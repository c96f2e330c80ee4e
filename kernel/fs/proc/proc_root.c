/* The /proc directory: the system-wide files, /proc/self and /proc/thread-self, /proc/sys,
 * and one directory per process. */
#include "proc_internal.h"
#include "procinfo.h"
#include "sysrq.h"

static int self_link(const struct proc_ctx *c, char *buf, size_t size)
{
    (void)c;
    int n = ksnprintf(buf, size, "%d", procinfo_self_pid());
    return n < (int)size ? n : -ENAMETOOLONG;
}

static int thread_self_link(const struct proc_ctx *c, char *buf, size_t size)
{
    (void)c;
    int n = ksnprintf(buf, size, "%d/task/%d", procinfo_self_pid(), procinfo_self_tid());
    return n < (int)size ? n : -ENAMETOOLONG;
}

static int mounts_link(const struct proc_ctx *c, char *buf, size_t size)
{
    (void)c;
    return proc_copy_link(buf, size, "self/mounts");
}

/* Root writes a key (the first byte) to make the kernel report its state (include/sysrq.h). */
static int store_sysrq_trigger(const char *buf, size_t len)
{
    if (len)
        handle_sysrq(buf[0], true);
    return 0;
}

#define FILE(n, fn) { .base = { n, S_IFREG | 0444 }, .show = fn }
static const struct proc_entry root_entries[] = {
    { .base = { "self", S_IFLNK | 0777 }, .link = self_link },
    { .base = { "thread-self", S_IFLNK | 0777 }, .link = thread_self_link },
    { .base = { "mounts", S_IFLNK | 0777 }, .link = mounts_link },
    { .base = { "sys", S_IFDIR | 0555 }, .dir = &proc_sys_dir },
    { .base = { "net", S_IFDIR | 0555 }, .dir = &proc_net_dir },
    { .base = { "sysvipc", S_IFDIR | 0555 }, .dir = &proc_sysvipc_dir },
    FILE("cmdline", proc_show_cmdline),
    FILE("cpuinfo", proc_show_cpuinfo),
    FILE("filesystems", proc_show_filesystems),
    FILE("interrupts", proc_show_interrupts),
    FILE("loadavg", proc_show_loadavg),
    FILE("meminfo", proc_show_meminfo),
    FILE("partitions", proc_show_partitions),
    FILE("stat", proc_show_stat),
    FILE("swaps", proc_show_swaps),
    { .base = { "sysrq-trigger", S_IFREG | 0200 }, .store = store_sysrq_trigger },
    FILE("uptime", proc_show_uptime),
    FILE("version", proc_show_version),
};

static long next_pid(const struct proc_ctx *c, long from)
{
    (void)c;
    pid_t pid;
    if (from > 0x7fffffffL)
        return -1;
    return procinfo_list_pids((pid_t)from, &pid, 1) == 1 ? pid : -1;
}

static int pid_child(const struct proc_ctx *c, long key, struct proc_ctx *child,
                     const struct proc_entry **entry)
{
    (void)c;
    if (key <= 0 || key > 0x7fffffffL)
        return -ENOENT;
    child->fd = -1;
    if (procinfo_exists((pid_t)key, 0)) {
        child->pid = (pid_t)key;
        child->tid = 0;
        *entry = &proc_pid_entry;
        return 0;
    }
    /* A thread that is not a group leader: found by lookup, not listed (Linux). */
    pid_t tgid = procinfo_tgid_of((pid_t)key);
    if (tgid <= 0 || !procinfo_exists(tgid, (pid_t)key))
        return -ENOENT;
    child->pid = tgid;
    child->tid = (pid_t)key;
    *entry = &proc_tid_entry;
    return 0;
}

const struct proc_dir proc_root_dir = {
    .entries = root_entries,
    .nentries = ARRAY_SIZE(root_entries),
    .ino_base = 0,
    .next_key = next_pid,
    .key_child = pid_child,
    .extra = proc_root_extra,
};
