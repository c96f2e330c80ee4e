/* procfs: the superblock, inodes, and the generic operations every node shares (directory
 * lookup and listing, reading generated text, following links). What the nodes contain is
 * in the other files of this directory (proc_internal.h). */
#include "proc_internal.h"
#include "procinfo.h"
#include "mm.h"
#include "string.h"

struct proc_inode {
    const struct proc_entry *entry;
    struct proc_ctx ctx;
};

static inline struct proc_inode *PI(struct inode *inode) { return inode->private; }

static const struct inode_operations proc_link_iops;
static const struct file_operations proc_file_fops, proc_dir_fops;

/* Inode numbers: stable for a (node, process, thread, fd), so `find` and `ls -i` agree
 * between two lookups. Root-level nodes get small numbers. */
static ino_t proc_ino(const struct proc_ctx *c, unsigned slot)
{
    if (!c->pid)
        return 2 + slot;
    return (1ULL << 62) | ((uint64_t)(uint32_t)c->pid << 40) | ((uint64_t)(uint32_t)c->tid << 24) |
           ((uint64_t)(uint32_t)(c->fd + 1) << 10) | (slot & 0x3ff);
}

struct inode *proc_make_inode(struct super_block *sb, const struct proc_entry *e,
                              const struct proc_ctx *c, unsigned ino_slot)
{
    uid_t uid = 0;
    gid_t gid = 0;
    if (c->pid) {
        struct proc_info info;
        if (procinfo_get(c->pid, c->tid, &info) < 0)
            return NULL;
        if (info.state != 'Z') {
            uid = info.cred.euid;
            gid = info.cred.egid;
        }
    }
    struct proc_inode *pi = kmalloc(sizeof *pi);
    struct inode *inode = pi ? inode_new(sb, e->mode) : NULL;
    if (!inode) {
        kfree(pi);
        return NULL;
    }
    pi->entry = e;
    pi->ctx = *c;
    inode->private = pi;
    inode->ino = proc_ino(c, ino_slot);
    inode->uid = uid;
    inode->gid = gid;
    if (S_ISDIR(e->mode)) {
        inode->iops = &proc_dir_iops;
        inode->fops = &proc_dir_fops;
        inode->nlink = 2;
    } else if (S_ISLNK(e->mode)) {
        inode->iops = &proc_link_iops;
        inode->size = 64;
    } else {
        inode->fops = &proc_file_fops;
    }
    return inode;
}

int proc_copy_link(char *buf, size_t size, const char *text)
{
    size_t n = strlen(text);
    if (n + 1 > size)
        return -ENAMETOOLONG;
    memcpy(buf, text, n + 1);
    return (int)n;
}

/* ---- directories ---- */

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

/* The nodes of a process disappear with it. */
static bool ctx_alive(const struct proc_ctx *c)
{
    return !c->pid || procinfo_exists(c->pid, c->tid);
}

/* Inode-number slots within a directory: static entries from 0, numbered children share
 * one slot (the context tells them apart), registered entries from SLOT_EXTRA. */
#define SLOT_NUMBERED 0x3f
#define SLOT_EXTRA 0x40

static bool name_is(const struct proc_entry *e, const struct dentry *d)
{
    return strlen(e->name) == d->name_len && memcmp(e->name, d->name, d->name_len) == 0;
}

static int instantiate(struct inode *dir, struct dentry *d, const struct proc_entry *e,
                       const struct proc_ctx *c, unsigned slot)
{
    struct inode *inode = proc_make_inode(dir->sb, e, c, slot);
    if (!inode)
        return -ENOENT;        /* the process went away meanwhile (or no memory) */
    d_instantiate(d, inode);
    return 0;
}

static int proc_lookup(struct inode *dir, struct dentry *d)
{
    struct proc_inode *pi = PI(dir);
    const struct proc_dir *pd = pi->entry->dir;
    if (!ctx_alive(&pi->ctx))
        return -ENOENT;
    for (size_t i = 0; i < pd->nentries; i++)
        if (name_is(&pd->entries[i], d))
            return instantiate(dir, d, &pd->entries[i], &pi->ctx, pd->ino_base + (unsigned)i);
    const struct proc_entry *e;
    for (size_t i = 0; pd->extra && i < PROC_MAX_EXTRA && (e = pd->extra(i)); i++)
        if (name_is(e, d))
            return instantiate(dir, d, e, &pi->ctx, pd->ino_base + SLOT_EXTRA + (unsigned)i);
    long key;
    if (!pd->key_child || !parse_key(d->name, d->name_len, &key))
        return -ENOENT;
    struct proc_ctx child;
    int r = pd->key_child(&pi->ctx, key, &child, &e);
    if (r < 0)
        return r;
    return instantiate(dir, d, e, &child, pd->ino_base + SLOT_NUMBERED);
}

const struct inode_operations proc_dir_iops = {
    .lookup = proc_lookup,
};

/* Positions: 0 and 1 are the dots, then the static entries, then up to PROC_MAX_EXTRA
 * registered ones, then numbered children at 2 + nentries + PROC_MAX_EXTRA + key (so a
 * position survives children coming and going). */
static int proc_iterate(struct file *f, struct dir_context *ctx)
{
    if (!dir_emit_dots(f, ctx))
        return 0;
    struct proc_inode *pi = PI(f->inode);
    const struct proc_dir *pd = pi->entry->dir;
    if (!ctx_alive(&pi->ctx))
        return 0;
    loff_t extra_base = 2 + (loff_t)pd->nentries, base = extra_base + PROC_MAX_EXTRA;
    while (ctx->pos < extra_base) {
        size_t i = (size_t)(ctx->pos - 2);
        const struct proc_entry *e = &pd->entries[i];
        ino_t ino = proc_ino(&pi->ctx, pd->ino_base + (unsigned)i);
        if (!ctx->actor(ctx, e->name, strlen(e->name), ctx->pos + 1, ino, mode_to_dtype(e->mode)))
            return 0;
        ctx->pos++;
    }
    while (ctx->pos < base) {
        size_t i = (size_t)(ctx->pos - extra_base);
        const struct proc_entry *e = pd->extra ? pd->extra(i) : NULL;
        if (!e) {
            ctx->pos = base;
            break;
        }
        ino_t ino = proc_ino(&pi->ctx, pd->ino_base + SLOT_EXTRA + (unsigned)i);
        if (!ctx->actor(ctx, e->name, strlen(e->name), ctx->pos + 1, ino, mode_to_dtype(e->mode)))
            return 0;
        ctx->pos++;
    }
    if (!pd->next_key)
        return 0;
    for (;;) {
        long key = pd->next_key(&pi->ctx, (long)(ctx->pos - base));
        if (key < 0) {
            ctx->pos = base + (1L << 40);   /* the end */
            return 0;
        }
        struct proc_ctx child;
        const struct proc_entry *e;
        if (pd->key_child(&pi->ctx, key, &child, &e) < 0) {
            ctx->pos = base + key + 1;      /* gone meanwhile */
            continue;
        }
        char name[16];
        int n = ksnprintf(name, sizeof name, "%ld", key);
        ino_t ino = proc_ino(&child, pd->ino_base + SLOT_NUMBERED);
        if (!ctx->actor(ctx, name, (size_t)n, base + key + 1, ino, mode_to_dtype(e->mode)))
            return 0;
        ctx->pos = base + key + 1;
    }
}

static const struct file_operations proc_dir_fops = {
    .iterate = proc_iterate,
};

/* ---- files ---- */

static int proc_file_open(struct inode *inode, struct file *f)
{
    (void)inode;
    if (f->fmode & FMODE_WRITE)
        return -EACCES;            /* nothing in this procfs is writable */
    struct proc_buf *b = kmalloc(sizeof *b);
    if (!b)
        return -ENOMEM;
    pb_init(b);
    f->private_data = b;
    return 0;
}

static void proc_file_release(struct file *f)
{
    struct proc_buf *b = f->private_data;
    if (b) {
        pb_free(b);
        kfree(b);
    }
}

static ssize_t proc_file_read(struct file *f, struct uio *to, loff_t *pos)
{
    struct proc_inode *pi = PI(f->inode);
    struct proc_buf *b = f->private_data;
    mutex_lock(&f->inode->lock);
    if (*pos == 0 || !b->buf) {
        /* A read from the start takes a fresh snapshot. */
        pb_reset(b);
        int r = 0;
        if (pi->entry->fill)
            pb_fill(b, pi->entry->fill);
        else
            r = pi->entry->show(b, &pi->ctx);
        if (!r)
            r = b->error;
        if (r < 0) {
            pb_reset(b);
            mutex_unlock(&f->inode->lock);
            return r;
        }
        if (!b->buf)
            pb_write(b, "", 0);
    }
    ssize_t n = 0;
    if ((uint64_t)*pos < b->len) {
        size_t len = MIN(to->resid, b->len - (size_t)*pos);
        if (uio_copyout(to, b->buf + *pos, len) < 0) {
            mutex_unlock(&f->inode->lock);
            return -EFAULT;
        }
        *pos += (loff_t)len;
        n = (ssize_t)len;
    }
    mutex_unlock(&f->inode->lock);
    return n;
}

static const struct file_operations proc_file_fops = {
    .open = proc_file_open,
    .read = proc_file_read,
    .release = proc_file_release,
};

/* ---- links ---- */

static int proc_get_link(struct dentry *d, char *buf, size_t size)
{
    struct proc_inode *pi = PI(d->inode);
    if (!ctx_alive(&pi->ctx))
        return -ENOENT;
    return pi->entry->link(&pi->ctx, buf, size);
}

static int proc_get_link_path(const struct path *link, struct path *out)
{
    struct proc_inode *pi = PI(link->dentry->inode);
    if (!pi->entry->link_path)
        return -EOPNOTSUPP;
    return pi->entry->link_path(link, &pi->ctx, out);
}

static const struct inode_operations proc_link_iops = {
    .get_link = proc_get_link,
    .get_link_path = proc_get_link_path,
};

/* ---- the superblock ---- */

static void proc_evict(struct inode *inode)
{
    kfree(inode->private);
    inode->private = NULL;
}

static void proc_statfs(struct super_block *sb, struct kstatfs *st)
{
    (void)sb;
    st->type = PROC_SUPER_MAGIC;
    st->bsize = PAGE_SIZE;
    st->frsize = PAGE_SIZE;
    st->namelen = NAME_MAX;
}

static const struct super_operations proc_sops = {
    .evict = proc_evict,
    .statfs = proc_statfs,
};

static const struct proc_entry proc_root_entry = {
    .name = "/", .mode = S_IFDIR | 0555, .dir = &proc_root_dir,
};

/* One tree for every mount, as Linux has one per pid namespace. */
static struct super_block *proc_sb;

static int proc_get_sb(struct file_system_type *type, const char *source, unsigned long flags,
                       const void *data, struct super_block **out)
{
    (void)source; (void)flags; (void)data;
    if (!proc_sb) {
        struct super_block *sb = sb_new(type, PROC_SUPER_MAGIC, &proc_sops);
        if (!sb)
            return -ENOMEM;
        struct proc_ctx none = { .fd = -1 };
        struct inode *root = proc_make_inode(sb, &proc_root_entry, &none, 0);
        if (root)
            root->ino = 1;
        sb->root = root ? d_alloc_root(sb, root) : NULL;
        if (!sb->root) {
            if (root)
                iput(root);
            kfree(sb);
            return -ENOMEM;
        }
        sb->refcount++;            /* kept for the kernel's lifetime */
        proc_sb = sb;
    }
    atomic_inc_return(&proc_sb->refcount);
    *out = proc_sb;
    return 0;
}

static struct file_system_type proc_type = {
    .name = "proc",
    .get_sb = proc_get_sb,
    .nodev = true,
};

void procfs_init(void)
{
    proc_extra_init();
    register_filesystem(&proc_type);
}
