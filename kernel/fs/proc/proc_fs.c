/* procfs: its part of the pseudofs operations (inode numbers, owners, registered and
 * numbered children, links); the generic lookup, listing and reading are in ../pseudofs.c.
 * What the nodes contain is in the other files of this directory (proc_internal.h). */
#include "proc_internal.h"
#include "procinfo.h"
#include "string.h"

_Static_assert(sizeof(struct proc_ctx) <= PSEUDO_CTX_MAX, "proc_ctx must fit a pseudofs context");

#define PE(e) container_of(e, const struct proc_entry, base)
#define PCTX(inode) ((const struct proc_ctx *)PSI(inode)->ctx)

/* Inode-number slots within a directory: static entries from 0, numbered children share
 * one slot (the context tells them apart), registered entries from SLOT_EXTRA. */
#define SLOT_NUMBERED 0x3f
#define SLOT_EXTRA 0x40

/* Inode numbers: stable for a (node, process, thread, fd), so `find` and `ls -i` agree
 * between two lookups. Root-level nodes get small numbers. */
static ino_t proc_ino(struct inode *dir, const void *ctx, unsigned slot)
{
    const struct proc_ctx *c = ctx;
    slot += PE(PSI(dir)->entry)->dir->ino_base;
    if (!c->pid)
        return 2 + slot;
    return (1ULL << 62) | ((uint64_t)(uint32_t)c->pid << 40) | ((uint64_t)(uint32_t)c->tid << 24) |
           ((uint64_t)(uint32_t)(c->fd + 1) << 10) | (slot & 0x3ff);
}

/* A process's nodes belong to its euid/egid (root once it is a zombie). */
static int proc_owner(const void *ctx, uid_t *uid, gid_t *gid)
{
    const struct proc_ctx *c = ctx;
    struct proc_info info;
    if (!c->pid)
        return 0;
    if (procinfo_get(c->pid, c->tid, &info) < 0)
        return -ESRCH;
    if (info.state != 'Z') {
        *uid = info.cred.euid;
        *gid = info.cred.egid;
    }
    return 0;
}

/* The nodes of a process disappear with it. */
static bool proc_alive(const void *ctx)
{
    const struct proc_ctx *c = ctx;
    return !c->pid || procinfo_exists(c->pid, c->tid);
}

static const struct pseudo_entry *proc_entry_at(const struct pseudo_entry *dir, size_t i)
{
    const struct proc_dir *pd = PE(dir)->dir;
    return i < pd->nentries ? &pd->entries[i].base : NULL;
}

int proc_copy_link(char *buf, size_t size, const char *text)
{
    size_t n = strlen(text);
    if (n + 1 > size)
        return -ENAMETOOLONG;
    memcpy(buf, text, n + 1);
    return (int)n;
}

/* ---- registered and numbered children ---- */

static bool parse_key(const char *name, size_t len, long *key)
{
    if (len == 0 || len > 9 || (name[0] == '0' && len > 1))
        return false;
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (name[i] < '0' || name[i] > '9')
            return false;
        v = v * 10 + (name[i] - '0');
    }
    *key = v;
    return true;
}

static int numbered_child(struct inode *dir, long key, struct pseudo_child *out)
{
    const struct proc_dir *pd = PE(PSI(dir)->entry)->dir;
    const struct proc_entry *e;
    int r = pd->key_child(PCTX(dir), key, (struct proc_ctx *)out->ctx, &e);
    if (r < 0)
        return r;
    out->entry = &e->base;
    out->slot = SLOT_NUMBERED;
    return 0;
}

static void extra_child(struct inode *dir, const struct proc_entry *e, size_t i,
                        struct pseudo_child *out)
{
    out->name = e->base.name;
    out->entry = &e->base;
    out->slot = SLOT_EXTRA + (unsigned)i;
    memcpy(out->ctx, PCTX(dir), sizeof(struct proc_ctx));
}

/* Positions: registered entries at 0 .. PROC_MAX_EXTRA - 1, numbered children at
 * PROC_MAX_EXTRA + key. */
static long proc_next(struct inode *dir, long from, struct pseudo_child *out)
{
    const struct proc_dir *pd = PE(PSI(dir)->entry)->dir;
    const struct proc_entry *e;
    if (from < PROC_MAX_EXTRA && pd->extra && (e = pd->extra((size_t)from))) {
        extra_child(dir, e, (size_t)from, out);
        return from;
    }
    if (!pd->next_key)
        return -1;
    for (long key = MAX(from - PROC_MAX_EXTRA, 0);; key++) {
        if ((key = pd->next_key(PCTX(dir), key)) < 0)
            return -1;
        if (numbered_child(dir, key, out) < 0)
            continue;                           /* gone meanwhile */
        ksnprintf(out->namebuf, sizeof out->namebuf, "%ld", key);
        out->name = out->namebuf;
        return PROC_MAX_EXTRA + key;
    }
}

static int proc_lookup(struct inode *dir, const char *name, size_t len, struct pseudo_child *out)
{
    const struct proc_dir *pd = PE(PSI(dir)->entry)->dir;
    const struct proc_entry *e;
    for (size_t i = 0; pd->extra && i < PROC_MAX_EXTRA && (e = pd->extra(i)); i++)
        if (strlen(e->base.name) == len && memcmp(e->base.name, name, len) == 0) {
            extra_child(dir, e, i, out);
            return 0;
        }
    long key;
    if (!pd->key_child || !parse_key(name, len, &key))
        return -ENOENT;
    return numbered_child(dir, key, out);
}

/* ---- files and links ---- */

static int proc_show(struct inode *inode, struct pseudo_buf *b)
{
    const struct proc_entry *e = PE(PSI(inode)->entry);
    if (e->fill) {
        pb_fill(b, e->fill);
        return 0;
    }
    return e->show ? e->show(b, PCTX(inode)) : -EACCES;     /* write-only (drop_caches) */
}

static int proc_store(struct inode *inode, const char *buf, size_t len)
{
    const struct proc_entry *e = PE(PSI(inode)->entry);
    return e->store ? e->store(buf, len) : -EACCES;
}

static int proc_get_link(struct dentry *d, char *buf, size_t size)
{
    if (!pseudofs_alive(d->inode))
        return -ENOENT;
    return PE(PSI(d->inode)->entry)->link(PCTX(d->inode), buf, size);
}

static int proc_get_link_path(const struct path *link, struct path *out)
{
    struct inode *inode = link->dentry->inode;
    const struct proc_entry *e = PE(PSI(inode)->entry);
    if (!e->link_path)
        return -EOPNOTSUPP;
    return e->link_path(link, PCTX(inode), out);
}

static int proc_dir_permission(struct inode *dir, int mask)
{
    (void)mask;
    const struct proc_dir *pd = PE(PSI(dir)->entry)->dir;
    return pd && pd->may_access && !pd->may_access(PCTX(dir)) ? -EACCES : 0;
}

static const struct inode_operations proc_link_iops = {
    .get_link = proc_get_link,
    .get_link_path = proc_get_link_path,
};

/* ---- the filesystem ---- */

static const struct proc_entry proc_root_entry = {
    .base = { "/", S_IFDIR | 0555 }, .dir = &proc_root_dir,
};
static const struct proc_ctx proc_root_ctx = { .fd = -1 };

static struct pseudofs procfs = {
    .type = { .name = "proc" },
    .magic = PROC_SUPER_MAGIC,
    .ctx_size = sizeof(struct proc_ctx),
    .root = &proc_root_entry.base,
    .root_ctx = &proc_root_ctx,
    .entry_at = proc_entry_at,
    .ino = proc_ino,
    .next = proc_next,
    .lookup = proc_lookup,
    .alive = proc_alive,
    .owner = proc_owner,
    .show = proc_show,
    .store = proc_store,
    .link_iops = &proc_link_iops,
    .dir_permission = proc_dir_permission,
};

void procfs_init(void)
{
    proc_extra_init();
    pseudofs_register(&procfs);
}
