/* VFS objects: inodes, dentries and the dentry cache, superblocks, filesystem types. */
#include "fs.h"
#include "mm.h"
#include "string.h"
#include "kprintf.h"

struct mutex vfs_ns_lock;
spinlock_t dcache_lock = SPINLOCK_INIT("dcache");

/* ---- Time ---- */

void fs_now(struct kernel_timespec *ts)
{
    ktime_real(ts);
}

void inode_touch(struct inode *inode, bool mtime, bool ctime)
{
    struct kernel_timespec now;
    fs_now(&now);
    if (mtime)
        inode->mtime = now;
    if (ctime)
        inode->ctime = now;
}

/* ---- Inodes ---- */

ino_t sb_next_ino(struct super_block *sb)
{
    return __atomic_add_fetch(&sb->next_ino, 1, __ATOMIC_RELAXED);
}

struct inode *inode_new(struct super_block *sb, mode_t mode)
{
    struct inode *inode = kzalloc(sizeof(*inode));
    if (!inode)
        return NULL;
    const struct cred *c = fs_cred();
    inode->sb = sb;
    inode->ino = sb ? sb_next_ino(sb) : 0;
    inode->mode = mode;
    inode->uid = c->fsuid;
    inode->gid = c->fsgid;
    inode->nlink = 1;
    inode->refcount = 1;
    fs_now(&inode->mtime);
    inode->atime = inode->ctime = inode->mtime;
    mutex_init(&inode->lock);
    list_init(&inode->locks);
    wait_queue_init(&inode->lock_wait);
    list_init(&inode->inotify_watches);
    return inode;
}

void iget(struct inode *inode)
{
    atomic_inc_return(&inode->refcount);
}

void iput(struct inode *inode)
{
    if (!inode || atomic_dec_return(&inode->refcount) != 0)
        return;
    if (inode->sb && inode->sb->sops && inode->sb->sops->evict)
        inode->sb->sops->evict(inode);
    kfree(inode);
}

/* ---- Dentries ---- */

#define DHASH_BITS 10
#define DHASH_SIZE (1u << DHASH_BITS)
static struct list_head dentry_hash[DHASH_SIZE];
static bool dhash_ready;

static uint32_t name_hash(const struct dentry *parent, const char *name, size_t len)
{
    /* FNV-1a over the name, mixed with the parent pointer. */
    uint32_t h = 2166136261u ^ (uint32_t)((uintptr_t)parent >> 4);
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)name[i]) * 16777619u;
    return h;
}

static struct list_head *hash_bucket(uint32_t h)
{
    if (unlikely(!dhash_ready)) {
        for (unsigned i = 0; i < DHASH_SIZE; i++)
            list_init(&dentry_hash[i]);
        dhash_ready = true;
    }
    return &dentry_hash[(h ^ (h >> DHASH_BITS)) & (DHASH_SIZE - 1)];
}

static int d_set_name(struct dentry *d, const char *name, size_t len)
{
    char *buf = d->inline_name;
    if (len >= sizeof(d->inline_name)) {
        buf = kmalloc(len + 1);
        if (!buf)
            return -ENOMEM;
    }
    memcpy(buf, name, len);
    buf[len] = 0;
    d->name = buf;
    d->name_len = len;
    return 0;
}

static void d_free_name(struct dentry *d)
{
    if (d->name && d->name != d->inline_name)
        kfree(d->name);
    d->name = NULL;
}

static struct dentry *d_new(void)
{
    struct dentry *d = kzalloc(sizeof(*d));
    if (!d)
        return NULL;
    d->refcount = 1;
    list_init(&d->child);
    list_init(&d->children);
    list_init(&d->hash_link);
    list_init(&d->lru);
    d->next_cookie = 2;     /* 0 and 1 are "." and ".." */
    return d;
}

struct dentry *d_alloc(struct dentry *parent, const char *name, size_t len)
{
    struct dentry *d = d_new();
    if (!d)
        return NULL;
    if (d_set_name(d, name, len) < 0) {
        kfree(d);
        return NULL;
    }
    d->parent = dget(parent);
    d->sb = parent->sb;
    d->hash = name_hash(parent, name, len);
    return d;
}

struct dentry *d_alloc_root(struct super_block *sb, struct inode *inode)
{
    struct dentry *d = d_new();
    if (!d)
        return NULL;
    d_set_name(d, "/", 1);
    d->parent = d;
    d->sb = sb;
    d->inode = inode;
    return d;
}

void d_instantiate(struct dentry *d, struct inode *inode)
{
    d->inode = inode;
}

static void __d_hash(struct dentry *d)
{
    list_add(&d->hash_link, hash_bucket(d->hash));
    list_add_tail(&d->child, &d->parent->children);
    d->cookie = d->parent->next_cookie++;
    d->flags |= DENTRY_HASHED;
}

/* Cached dentries nobody uses, oldest first (dcache_lock). A dentry with children is never
 * on it: each child holds a reference on its parent. */
static LIST_HEAD(dentry_lru);
static size_t nr_unused;
#define DENTRY_PRUNE_BATCH 32

/* About 1 KiB each with their inodes: at most 1/64 of RAM, at least 512. */
static size_t max_unused(void)
{
    return MAX((size_t)512, pages_total() * PAGE_SIZE / 1024 / 64);
}

/* dcache_lock held. */
static void lru_del(struct dentry *d)
{
    if (!list_empty(&d->lru)) {
        list_del(&d->lru);
        nr_unused--;
    }
}

static void __d_unhash(struct dentry *d)
{
    if (!(d->flags & DENTRY_HASHED))
        return;
    list_del(&d->hash_link);
    list_del(&d->child);
    d->flags &= ~DENTRY_HASHED;
}

void d_add(struct dentry *d)
{
    spin_lock(&dcache_lock);
    __d_hash(d);
    spin_unlock(&dcache_lock);
}

void d_drop(struct dentry *d)
{
    spin_lock(&dcache_lock);
    __d_unhash(d);
    spin_unlock(&dcache_lock);
}

void d_pin(struct dentry *d)
{
    d->flags |= DENTRY_PINNED;
    dget(d);
}

void d_unpin(struct dentry *d)
{
    if (d->flags & DENTRY_PINNED) {
        d->flags &= ~DENTRY_PINNED;
        dput(d);
    }
}

struct dentry *d_lookup(struct dentry *parent, const char *name, size_t len)
{
    uint32_t h = name_hash(parent, name, len);
    struct dentry *d, *found = NULL;
    spin_lock(&dcache_lock);
    struct list_head *bucket = hash_bucket(h);
    list_for_each_entry(d, bucket, hash_link) {
        if (d->hash == h && d->parent == parent && d->name_len == len &&
            memcmp(d->name, name, len) == 0) {
            found = d;
            atomic_inc_return(&found->refcount);
            lru_del(found);
            break;
        }
    }
    spin_unlock(&dcache_lock);
    return found;
}

struct dentry *dget(struct dentry *d)
{
    if (d)
        atomic_inc_return(&d->refcount);
    return d;
}

/* Free d, which is unhashed and unused; returns its parent, whose reference the caller
 * drops (NULL for a root). */
static struct dentry *d_kill(struct dentry *d)
{
    struct dentry *parent = d->parent == d ? NULL : d->parent;
    if (d->inode) {
        fsnotify_last_dput(d->inode);     /* IN_DELETE_SELF of an unlinked inode */
        iput(d->inode);
    }
    d_free_name(d);
    kfree(d);
    return parent;
}

/* dput, but for pruning: true when the unused dentries are over their limit. */
static bool dput_unpruned(struct dentry *d)
{
    bool over = false;
    while (d) {
        spin_lock(&dcache_lock);
        if (atomic_dec_return(&d->refcount) > 0) {
            spin_unlock(&dcache_lock);
            break;
        }
        if ((d->flags & DENTRY_HASHED) && !(d->flags & DENTRY_NOCACHE) &&
            d->sb->cache_dentries) {
            /* Cached but unused: it stays for the next lookup, its inode with it. */
            if (list_empty(&d->lru)) {
                list_add_tail(&d->lru, &dentry_lru);
                nr_unused++;
            }
            over = nr_unused > max_unused();
            spin_unlock(&dcache_lock);
            break;
        }
        lru_del(d);
        __d_unhash(d);
        spin_unlock(&dcache_lock);
        d = d_kill(d);
    }
    return over;
}

void dput(struct dentry *d)
{
    if (dput_unpruned(d))
        d_prune_unused(NULL, DENTRY_PRUNE_BATCH);
}

size_t d_prune_unused(struct super_block *sb, size_t max)
{
    size_t freed = 0;
    while (freed < max) {
        struct dentry *victim = NULL, *d, *next;
        spin_lock(&dcache_lock);
        list_for_each_entry_safe(d, next, &dentry_lru, lru) {
            if (READ_ONCE(d->refcount) > 0) {
                lru_del(d);         /* taken again without d_lookup (a readdir cursor) */
                continue;
            }
            if (sb && d->sb != sb)
                continue;
            lru_del(d);
            __d_unhash(d);
            victim = d;
            break;
        }
        spin_unlock(&dcache_lock);
        if (!victim)
            break;
        dput_unpruned(d_kill(victim));    /* the parent may become unused, and join it */
        freed++;
    }
    return freed;
}

void d_move(struct dentry *d, struct dentry *newparent, struct dentry *target)
{
    /* Copy the new name first: allocation may fail, and then nothing has changed. */
    char *oldname = d->name;
    bool old_inline = oldname == d->inline_name;
    char tmp[sizeof(d->inline_name)];
    if (old_inline) {
        memcpy(tmp, d->inline_name, sizeof(tmp));
    }
    struct dentry *oldparent = d->parent;
    spin_lock(&dcache_lock);
    __d_unhash(d);
    spin_unlock(&dcache_lock);
    d->name = NULL;
    if (d_set_name(d, target->name, target->name_len) < 0) {
        /* Out of memory: keep the old name (the rename has been done in the filesystem
         * already, but this only happens with names longer than the inline buffer). */
        if (old_inline) {
            memcpy(d->inline_name, tmp, sizeof(tmp));
            d->name = d->inline_name;
        } else {
            d->name = oldname;
        }
        oldname = NULL;
    } else if (!old_inline) {
        kfree(oldname);
    }
    d->parent = dget(newparent);
    d->hash = name_hash(newparent, d->name, d->name_len);
    spin_lock(&dcache_lock);
    __d_hash(d);
    spin_unlock(&dcache_lock);
    dput(oldparent);
}

void d_exchange(struct dentry *a, struct dentry *b)
{
    spin_lock(&dcache_lock);
    __d_unhash(a);
    __d_unhash(b);
    struct dentry *pa = a->parent;
    a->parent = b->parent;
    b->parent = pa;
    /* Swap names (inline buffers must be copied, heap names swapped). */
    struct dentry tmp;
    memcpy(tmp.inline_name, a->inline_name, sizeof(tmp.inline_name));
    char *na = a->name == a->inline_name ? NULL : a->name;
    char *nb = b->name == b->inline_name ? NULL : b->name;
    size_t la = a->name_len, lb = b->name_len;
    memcpy(a->inline_name, b->inline_name, sizeof(a->inline_name));
    memcpy(b->inline_name, tmp.inline_name, sizeof(b->inline_name));
    a->name = nb ? nb : a->inline_name;
    b->name = na ? na : b->inline_name;
    a->name_len = lb;
    b->name_len = la;
    a->hash = name_hash(a->parent, a->name, a->name_len);
    b->hash = name_hash(b->parent, b->name, b->name_len);
    __d_hash(a);
    __d_hash(b);
    spin_unlock(&dcache_lock);
}

bool d_is_ancestor(struct dentry *ancestor, struct dentry *d)
{
    for (;;) {
        if (d == ancestor)
            return true;
        if (d->parent == d)
            return false;
        d = d->parent;
    }
}

/* ---- Paths and mounts ---- */

struct mount *mntget(struct mount *m)
{
    if (m)
        atomic_inc_return(&m->refcount);
    return m;
}

void path_get(struct path *p)
{
    mntget(p->mnt);
    dget(p->dentry);
}

void path_put(struct path *p)
{
    dput(p->dentry);
    mntput(p->mnt);
    p->dentry = NULL;
    p->mnt = NULL;
}

/* ---- Superblocks ---- */

dev_t anon_dev_alloc(void)
{
    /* Linux gives in-memory filesystems major 0 and a fresh minor. */
    static unsigned next_minor = 1;
    return MKDEV(0, __atomic_fetch_add(&next_minor, 1, __ATOMIC_RELAXED));
}

struct super_block *sb_new(struct file_system_type *type, unsigned long magic,
                           const struct super_operations *sops)
{
    return sb_new_with_info(type, magic, sops, 0);
}

struct super_block *sb_new_with_info(struct file_system_type *type, unsigned long magic,
                                     const struct super_operations *sops, size_t info_size)
{
    struct super_block *sb = kzalloc(sizeof(*sb) + info_size);
    if (!sb)
        return NULL;
    if (info_size)
        sb->fs_info = sb + 1;
    sb->type = type;
    sb->magic = magic;
    sb->sops = sops;
    sb->dev = anon_dev_alloc();
    sb->refcount = 1;
    sb->next_ino = 1;
    return sb;
}

/* ---- Filesystem types ---- */

static struct file_system_type *filesystems;

int register_filesystem(struct file_system_type *type)
{
    if (find_filesystem(type->name))
        return -EBUSY;
    type->next = filesystems;
    filesystems = type;
    return 0;
}

struct file_system_type *find_filesystem(const char *name)
{
    for (struct file_system_type *t = filesystems; t; t = t->next)
        if (strcmp(t->name, name) == 0)
            return t;
    return NULL;
}

/* Names of the filesystem types that need a block device, NUL-separated, in registration
 * order (the root mount tries them in turn); returns how many. */
int filesystem_disk_types(char *buf, size_t size)
{
    struct file_system_type *list[32];
    int n = 0, out = 0;
    for (struct file_system_type *t = filesystems; t && n < 32; t = t->next)
        list[n++] = t;
    size_t len = 0;
    for (int i = n - 1; i >= 0; i--) {
        size_t l = strlen(list[i]->name) + 1;
        if (list[i]->nodev || len + l > size)
            continue;
        memcpy(buf + len, list[i]->name, l);
        len += l;
        out++;
    }
    return out;
}

/* /proc/filesystems text ("nodev\ttmpfs\n", "\text2\n"), registration order: into buf,
 * returns the full length (may exceed size, like snprintf). */
int vfs_filesystems_show(char *buf, size_t size)
{
    struct file_system_type *list[32];
    int n = 0;
    for (struct file_system_type *t = filesystems; t && n < 32; t = t->next)
        list[n++] = t;
    size_t len = 0;
    for (int i = n - 1; i >= 0; i--)
        len += (size_t)ksnprintf(len < size ? buf + len : NULL, len < size ? size - len : 0,
                                 "%s\t%s\n", list[i]->nodev ? "nodev" : "", list[i]->name);
    return (int)len;
}

/* ---- Boot ---- */

void vfs_init(void)
{
    mutex_init(&vfs_ns_lock);
    tmpfs_init();
    devfs_init();
    procfs_init();
    sysfs_init();
    struct file_system_type *rootfs = find_filesystem("tmpfs");
    struct super_block *sb = NULL;
    if (!rootfs || rootfs->get_sb(rootfs, "rootfs", 0, NULL, &sb) < 0)
        panic("vfs: cannot create the root filesystem");
    sb->root->inode->mode = S_IFDIR | 0755;
    if (mount_attach_root(sb, "rootfs") < 0)
        panic("vfs: cannot mount the root filesystem");
    devfs_mount_boot();
}
