/* Files registered at run time by other subsystems (procfs.h): /proc/<name>,
 * /proc/net/<name>, /proc/sysvipc/<name> and the writable /proc/sys/kernel/<name>. Registration only ever adds, so a reader needs no lock beyond seeing
 * the count after the entry it covers (release/acquire). */
#include "proc_internal.h"
#include "procfs.h"
#include "mm.h"
#include "string.h"

struct extra_table {
    struct proc_entry entries[PROC_MAX_EXTRA];
    size_t count;
};

static struct extra_table root_extra, net_extra, sysvipc_extra, sys_kernel_extra;
static struct mutex register_lock;

void proc_extra_init(void)
{
    mutex_init(&register_lock);
}

static const struct proc_entry *table_entry(struct extra_table *t, size_t i)
{
    return i < __atomic_load_n(&t->count, __ATOMIC_ACQUIRE) ? &t->entries[i] : NULL;
}

const struct proc_entry *proc_root_extra(size_t i) { return table_entry(&root_extra, i); }
static const struct proc_entry *proc_net_extra(size_t i) { return table_entry(&net_extra, i); }
static const struct proc_entry *proc_sysvipc_extra(size_t i) { return table_entry(&sysvipc_extra, i); }
const struct proc_entry *proc_sys_kernel_extra(size_t i) { return table_entry(&sys_kernel_extra, i); }

static bool taken(struct extra_table *t, const struct proc_dir *dir, const char *name)
{
    for (size_t i = 0; i < dir->nentries; i++)
        if (strcmp(dir->entries[i].base.name, name) == 0)
            return true;
    for (size_t i = 0; i < t->count; i++)
        if (strcmp(t->entries[i].base.name, name) == 0)
            return true;
    return false;
}

static int register_entry(struct extra_table *t, const struct proc_dir *pd, const char *name,
                          procfs_show_fn show, procfs_store_fn store)
{
    size_t len = strlen(name);
    /* Names starting with a digit belong to processes. */
    bool digit = name[0] >= '0' && name[0] <= '9';
    if (!show || len == 0 || len > NAME_MAX || strchr(name, '/') || digit)
        return -EINVAL;
    mutex_lock(&register_lock);
    int r = 0;
    char *copy = NULL;
    if (taken(t, pd, name))
        r = -EEXIST;
    else if (t->count == PROC_MAX_EXTRA)
        r = -ENOSPC;
    else if (!(copy = kmalloc(len + 1)))
        r = -ENOMEM;
    if (!r) {
        memcpy(copy, name, len + 1);
        struct proc_entry *e = &t->entries[t->count];
        e->base.name = copy;
        e->base.mode = S_IFREG | (store ? 0644 : 0444);
        e->fill = show;
        e->store = store;
        __atomic_store_n(&t->count, t->count + 1, __ATOMIC_RELEASE);
    }
    mutex_unlock(&register_lock);
    return r;
}

int procfs_register_file(const char *dir, const char *name, procfs_show_fn show)
{
    if (strcmp(dir, "") == 0)
        return register_entry(&root_extra, &proc_root_dir, name, show, NULL);
    if (strcmp(dir, "net") == 0)
        return register_entry(&net_extra, &proc_net_dir, name, show, NULL);
    if (strcmp(dir, "sysvipc") == 0)
        return register_entry(&sysvipc_extra, &proc_sysvipc_dir, name, show, NULL);
    return -EINVAL;
}

int procfs_register_sysctl(const char *dir, const char *name, procfs_show_fn show,
                           procfs_store_fn store)
{
    if (strcmp(dir, "kernel") != 0 || !store)
        return -EINVAL;
    return register_entry(&sys_kernel_extra, &proc_sys_kernel_dir, name, show, store);
}

const struct proc_dir proc_net_dir = {
    .ino_base = 0x100,
    .extra = proc_net_extra,
};

const struct proc_dir proc_sysvipc_dir = {
    .ino_base = 0x280,
    .extra = proc_sysvipc_extra,
};
