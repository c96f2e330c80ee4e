/* tmpfs: the root filesystem, /tmp, /run and the store behind devtmpfs.
 *
 * The directory tree is the dentry tree itself (every linked dentry is pinned), so there is no
 * separate directory structure. Regular files keep their pages in a small radix tree (512
 * slots per level, one page per node): sparse files cost nothing for their holes. The tree is
 * guarded by a spinlock so mmap faults (get_page) never wait for a writer holding the inode
 * mutex while it copies from a user buffer.
 *
 * Limits. A tmpfs mount holds at most `size` bytes of file data and `nr_inodes` inodes, by
 * default half of RAM each as in Linux (pages and inodes), so a full /tmp cannot take the
 * memory the rest of the system (and the OOM killer) needs; beyond them, ENOSPC. Mount
 * options size=, nr_blocks=, nr_inodes=, mode=, uid=, gid= are Linux's; 0 means no limit.
 * ramfs, memfd files and the root filesystem of the initramfs have no limit. */
#include "fs.h"
#include "mm.h"
#include "string.h"
#include "mount_opts.h"
#include "blkdev.h"
#include "uapi/falloc.h"
#include "uapi/statfs.h"

#define RADIX_SHIFT 9
#define RADIX_SLOTS (1u << RADIX_SHIFT)
#define RADIX_MAX_HEIGHT 4
#define TMPFS_MAX_BYTES ((loff_t)1 << (PAGE_SHIFT + RADIX_SHIFT * RADIX_MAX_HEIGHT - 1))
#define BOGO_DIRENT_SIZE 20

struct tmpfs_sb_info {
    uint64_t max_pages, max_inodes;     /* 0: no limit */
    uint64_t pages, inodes;             /* in use (atomic) */
};

struct tmpfs_inode {
    spinlock_t tree_lock;
    void **root;
    int height;
    uint64_t npages;
    char *symlink;
    struct tmpfs_sb_info *sbi;
};

static struct tmpfs_sb_info *TSB(struct super_block *sb) { return sb->fs_info; }

/* Take one of `max` (0: unlimited) counted in *used; false when none is left. */
static bool charge(uint64_t *used, uint64_t max)
{
    uint64_t n = __atomic_add_fetch(used, 1, __ATOMIC_RELAXED);
    if (max && n > max) {
        __atomic_sub_fetch(used, 1, __ATOMIC_RELAXED);
        return false;
    }
    return true;
}

static void uncharge(uint64_t *used)
{
    __atomic_sub_fetch(used, 1, __ATOMIC_RELAXED);
}

static const struct inode_operations tmpfs_dir_iops;
static const struct inode_operations tmpfs_file_iops;
static const struct inode_operations tmpfs_symlink_iops;
static const struct inode_operations tmpfs_special_iops;
static const struct file_operations tmpfs_file_fops;
static const struct super_operations tmpfs_sops;

static struct tmpfs_inode *TI(struct inode *inode) { return inode->private; }

/* ---- The page tree ---- */

static uint64_t radix_capacity(int height)
{
    return height == 0 ? 0 : (uint64_t)1 << (RADIX_SHIFT * height);
}

/* Data pages held by every tmpfs file (/proc/meminfo's Shmem and Cached). */
static size_t tmpfs_data_pages;
size_t tmpfs_pages_used(void) { return __atomic_load_n(&tmpfs_data_pages, __ATOMIC_RELAXED); }

/* The slot for page idx; NULL if absent (create false) or out of memory. tree_lock held. */
static void **radix_slot(struct tmpfs_inode *ti, uint64_t idx, bool create)
{
    while (idx >= radix_capacity(ti->height)) {
        if (!create || ti->height >= RADIX_MAX_HEIGHT)
            return NULL;
        void **node = page_alloc();
        if (!node)
            return NULL;
        node[0] = ti->root;
        ti->root = node;
        ti->height++;
    }
    void **node = ti->root;
    for (int level = ti->height - 1; level > 0; level--) {
        unsigned i = (idx >> (RADIX_SHIFT * level)) & (RADIX_SLOTS - 1);
        if (!node[i]) {
            if (!create)
                return NULL;
            node[i] = page_alloc();
            if (!node[i])
                return NULL;
        }
        node = node[i];
    }
    return &node[idx & (RADIX_SLOTS - 1)];
}

/* Free the pages with index >= first under `node` (covering base.. at `level`). Returns true if
 * the node became empty. */
static bool radix_trim(struct tmpfs_inode *ti, void **node, int level, uint64_t base, uint64_t first)
{
    uint64_t span = (uint64_t)1 << (RADIX_SHIFT * level);
    bool empty = true;
    for (unsigned i = 0; i < RADIX_SLOTS; i++) {
        if (!node[i])
            continue;
        uint64_t start = base + i * span;
        if (start + span <= first) {
            empty = false;
            continue;
        }
        if (level == 0) {
            page_free(node[i]);
            uncharge(&ti->sbi->pages);
            ti->npages--;
            __atomic_sub_fetch(&tmpfs_data_pages, 1, __ATOMIC_RELAXED);
            node[i] = NULL;
        } else if (radix_trim(ti, node[i], level - 1, start, first)) {
            page_free(node[i]);
            node[i] = NULL;
        } else {
            empty = false;
        }
    }
    return empty;
}

static void radix_truncate(struct tmpfs_inode *ti, uint64_t first_page)
{
    if (!ti->root)
        return;
    if (radix_trim(ti, ti->root, ti->height - 1, 0, first_page)) {
        page_free(ti->root);
        ti->root = NULL;
        ti->height = 0;
    }
}

/* A referenced page for idx (allocated if create), or NULL. */
static void *tmpfs_page(struct inode *inode, uint64_t idx, bool create)
{
    struct tmpfs_inode *ti = TI(inode);
    void *page = NULL;
    spin_lock(&ti->tree_lock);
    void **slot = radix_slot(ti, idx, create);
    if (slot) {
        if (!*slot && create && charge(&ti->sbi->pages, ti->sbi->max_pages)) {
            *slot = page_alloc();
            if (!*slot)
                uncharge(&ti->sbi->pages);
            if (*slot) {
                ti->npages++;
                __atomic_add_fetch(&tmpfs_data_pages, 1, __ATOMIC_RELAXED);
                inode->blocks = ti->npages * (PAGE_SIZE / 512);
            }
        }
        page = *slot;
        if (page)
            page_get(page);
    }
    spin_unlock(&ti->tree_lock);
    return page;
}

/* ---- Inodes ---- */

/* A new inode, or NULL: out of memory or over the mount's inode limit (ENOSPC, as in Linux). */
static struct inode *tmpfs_inode_new(struct super_block *sb, struct inode *dir, mode_t mode, dev_t rdev)
{
    struct tmpfs_sb_info *sbi = TSB(sb);
    if (!charge(&sbi->inodes, sbi->max_inodes))
        return NULL;
    struct inode *inode = inode_new(sb, mode);
    if (!inode) {
        uncharge(&sbi->inodes);
        return NULL;
    }
    struct tmpfs_inode *ti = kzalloc(sizeof(*ti));
    if (!ti) {
        uncharge(&sbi->inodes);
        kfree(inode);
        return NULL;
    }
    ti->sbi = sbi;
    spin_init(&ti->tree_lock, "tmpfs-tree");
    inode->private = ti;
    /* Set-group-ID directories pass on their group (and the bit, to subdirectories). */
    if (dir && (dir->mode & S_ISGID)) {
        inode->gid = dir->gid;
        if (S_ISDIR(mode))
            inode->mode |= S_ISGID;
    }
    switch (mode & S_IFMT) {
    case S_IFREG:
        inode->iops = &tmpfs_file_iops;
        inode->fops = &tmpfs_file_fops;
        break;
    case S_IFDIR:
        inode->iops = &tmpfs_dir_iops;
        inode->fops = &tmpfs_dir_fops;
        inode->nlink = 2;
        inode->size = 2 * BOGO_DIRENT_SIZE;
        break;
    case S_IFLNK:
        inode->iops = &tmpfs_symlink_iops;
        break;
    default:
        inode->iops = &tmpfs_special_iops;
        init_special_inode(inode, mode, rdev);
        break;
    }
    return inode;
}

static void tmpfs_evict(struct inode *inode)
{
    struct tmpfs_inode *ti = TI(inode);
    if (!ti)
        return;
    radix_truncate(ti, 0);
    uncharge(&ti->sbi->inodes);
    kfree(ti->symlink);
    kfree(ti);
    inode->private = NULL;
    if (inode->pipe)
        pipe_release_inode(inode);
}

/* Without a limit, RAM is the limit. */
static void tmpfs_statfs(struct super_block *sb, struct kstatfs *st)
{
    struct tmpfs_sb_info *sbi = TSB(sb);
    uint64_t pages = READ_ONCE(sbi->pages), inodes = READ_ONCE(sbi->inodes);
    st->type = TMPFS_MAGIC;
    st->bsize = PAGE_SIZE;
    st->frsize = PAGE_SIZE;
    st->blocks = sbi->max_pages ? sbi->max_pages : pages_total();
    st->bfree = st->bavail = sbi->max_pages ? sbi->max_pages - MIN(pages, sbi->max_pages)
                                            : pages_free();
    st->files = sbi->max_inodes ? sbi->max_inodes : pages_total();
    st->ffree = sbi->max_inodes ? sbi->max_inodes - MIN(inodes, sbi->max_inodes) : pages_free();
    st->namelen = NAME_MAX;
}

/* Unlink everything (umount of the last mount): deepest entries first, without recursion. */
static void tmpfs_put_super(struct super_block *sb)
{
    struct dentry *d = sb->root;
    for (;;) {
        spin_lock(&dcache_lock);
        if (!list_empty(&d->children)) {
            struct dentry *c = list_first_entry(&d->children, struct dentry, child);
            spin_unlock(&dcache_lock);
            d = c;
            continue;
        }
        spin_unlock(&dcache_lock);
        if (d == sb->root)
            break;
        struct dentry *parent = d->parent;
        d_drop(d);
        d_unpin(d);
        d = parent;
    }
}

static const struct super_operations tmpfs_sops = {
    .evict = tmpfs_evict,
    .statfs = tmpfs_statfs,
    .put_super = tmpfs_put_super,
};

static struct file_system_type ramfs_type;

/* A superblock with Linux's default limits (half of RAM), none for ramfs. */
struct super_block *tmpfs_new_sb(struct file_system_type *type)
{
    struct super_block *sb = sb_new_with_info(type, TMPFS_MAGIC, &tmpfs_sops,
                                              sizeof(struct tmpfs_sb_info));
    if (!sb)
        return NULL;
    if (type != &ramfs_type) {
        TSB(sb)->max_pages = pages_total() / 2;
        TSB(sb)->max_inodes = pages_total() / 2;
    }
    struct inode *root = tmpfs_inode_new(sb, NULL, S_IFDIR | 01777, 0);
    if (!root) {
        kfree(sb);
        return NULL;
    }
    root->uid = 0;
    root->gid = 0;
    sb->root = d_alloc_root(sb, root);
    if (!sb->root) {
        iput(root);
        kfree(sb);
        return NULL;
    }
    return sb;
}

/* "123", "64k", "10m", "1g", "2t"; with percent_of, also "50%" of it. */
static int parse_size(const char *v, uint64_t percent_of, uint64_t *out)
{
    if (!*v)
        return -EINVAL;
    uint64_t n = 0;
    for (; *v >= '0' && *v <= '9'; v++) {
        if (n > (UINT64_MAX - 9) / 10)
            return -EINVAL;
        n = n * 10 + (uint64_t)(*v - '0');
    }
    int shift = 0;
    switch (*v) {
    case 'k': case 'K': shift = 10; v++; break;
    case 'm': case 'M': shift = 20; v++; break;
    case 'g': case 'G': shift = 30; v++; break;
    case 't': case 'T': shift = 40; v++; break;
    case '%':
        if (!percent_of || n > 100)
            return -EINVAL;
        n = percent_of * n / 100;
        v++;
        break;
    }
    if (*v || (shift && n > (UINT64_MAX >> shift)))
        return -EINVAL;
    *out = n << shift;
    return 0;
}

static int parse_number(const char *v, int base, uint64_t *out)
{
    if (!*v)
        return -EINVAL;
    uint64_t n = 0;
    for (; *v; v++) {
        int d = *v >= '0' && *v <= '9' ? *v - '0' : 99;
        if (d >= base || n > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
            return -EINVAL;
        n = n * (uint64_t)base + (uint64_t)d;
    }
    *out = n;
    return 0;
}

/* Linux's tmpfs options; anything else is refused, with the reason in the log. ramfs, like
 * Linux's, takes mode= and ignores the rest. */
static int tmpfs_parse_options(struct super_block *sb, const char *data, bool ramfs)
{
    struct tmpfs_sb_info *sbi = TSB(sb);
    struct inode *root = sb->root->inode;
    struct mount_opts it;
    char *opt, *val;
    int more;
    mount_opts_init(&it, data);
    while ((more = mount_opts_next(&it, &opt, &val)) > 0) {
        uint64_t n;
        int err = -EINVAL;
        if (ramfs && strcmp(opt, "mode") != 0)
            continue;
        if (!val) {
            err = -EINVAL;
        } else if (!strcmp(opt, "size")) {
            err = parse_size(val, (uint64_t)pages_total() * PAGE_SIZE, &n);
            if (!err)
                sbi->max_pages = (n + PAGE_SIZE - 1) / PAGE_SIZE;
        } else if (!strcmp(opt, "nr_blocks")) {
            err = parse_size(val, 0, &n);
            if (!err)
                sbi->max_pages = n;
        } else if (!strcmp(opt, "nr_inodes")) {
            err = parse_size(val, 0, &n);
            if (!err)
                sbi->max_inodes = n;
        } else if (!strcmp(opt, "mode")) {
            err = parse_number(val, 8, &n);
            if (!err && n > 07777)
                err = -EINVAL;
            if (!err)
                root->mode = (root->mode & S_IFMT) | (mode_t)n;
        } else if (!strcmp(opt, "uid") || !strcmp(opt, "gid")) {
            err = parse_number(val, 10, &n);
            if (!err && n > 0xfffffffeu)
                err = -EINVAL;
            if (!err && opt[0] == 'u')
                root->uid = (uid_t)n;
            else if (!err)
                root->gid = (gid_t)n;
        }
        if (err) {
            pr_warn("tmpfs: bad mount option %s%s%s", opt, val ? "=" : "", val ? val : "");
            return err;
        }
    }
    if (more < 0)
        pr_warn("tmpfs: mount option too long");
    return more;
}

static int tmpfs_get_sb(struct file_system_type *type, const char *source, unsigned long flags,
                        const void *data, struct super_block **out)
{
    (void)source;
    struct super_block *sb = tmpfs_new_sb(type);
    if (!sb)
        return -ENOMEM;
    int err = tmpfs_parse_options(sb, data, type == &ramfs_type);
    if (err < 0) {
        dput(sb->root);
        kfree(sb);
        return err;
    }
    sb->flags = flags & MS_RDONLY;
    *out = sb;
    return 0;
}

static struct file_system_type tmpfs_type = {
    .name = "tmpfs",
    .get_sb = tmpfs_get_sb,
    .nodev = true,
};

static struct file_system_type ramfs_type = {
    .name = "ramfs",
    .get_sb = tmpfs_get_sb,
    .nodev = true,
};

void tmpfs_init(void)
{
    register_filesystem(&tmpfs_type);
    register_filesystem(&ramfs_type);
}

/* ---- Directory operations ---- */

static void dir_changed(struct inode *dir, int size_delta)
{
    dir->size += size_delta;
    inode_touch(dir, true, true);
}

static void link_new(struct inode *dir, struct dentry *d, struct inode *inode)
{
    d_instantiate(d, inode);
    d_add(d);
    d_pin(d);
    dir_changed(dir, BOGO_DIRENT_SIZE);
}

static int tmpfs_create(struct inode *dir, struct dentry *d, mode_t mode, dev_t rdev)
{
    struct inode *inode = tmpfs_inode_new(dir->sb, dir, mode, rdev);
    if (!inode)
        return -ENOSPC;
    link_new(dir, d, inode);
    return 0;
}

static int tmpfs_mkdir(struct inode *dir, struct dentry *d, mode_t mode)
{
    struct inode *inode = tmpfs_inode_new(dir->sb, dir, S_IFDIR | (mode & 07777), 0);
    if (!inode)
        return -ENOSPC;
    dir->nlink++;
    link_new(dir, d, inode);
    return 0;
}

static int tmpfs_symlink(struct inode *dir, struct dentry *d, const char *target)
{
    struct inode *inode = tmpfs_inode_new(dir->sb, dir, S_IFLNK | 0777, 0);
    if (!inode)
        return -ENOSPC;
    TI(inode)->symlink = kstrdup(target);
    if (!TI(inode)->symlink) {
        iput(inode);
        return -ENOSPC;
    }
    inode->size = (loff_t)strlen(target);
    link_new(dir, d, inode);
    return 0;
}

static int tmpfs_link(struct dentry *old, struct inode *dir, struct dentry *d)
{
    struct inode *inode = old->inode;
    inode->nlink++;
    inode_touch(inode, false, true);
    iget(inode);
    link_new(dir, d, inode);
    return 0;
}

static bool dir_is_empty(struct dentry *d)
{
    spin_lock(&dcache_lock);
    bool empty = list_empty(&d->children);
    spin_unlock(&dcache_lock);
    return empty;
}

static void unlink_dentry(struct inode *dir, struct dentry *d)
{
    dir_changed(dir, -BOGO_DIRENT_SIZE);
    d_drop(d);
    d_unpin(d);
}

static int tmpfs_unlink(struct inode *dir, struct dentry *d)
{
    struct inode *inode = d->inode;
    inode->nlink--;
    inode_touch(inode, false, true);
    unlink_dentry(dir, d);
    return 0;
}

static int tmpfs_rmdir(struct inode *dir, struct dentry *d)
{
    if (!dir_is_empty(d))
        return -ENOTEMPTY;
    d->inode->nlink = 0;
    inode_touch(d->inode, false, true);
    dir->nlink--;
    unlink_dentry(dir, d);
    return 0;
}

static int tmpfs_rename(struct inode *odir, struct dentry *od, struct inode *ndir, struct dentry *nd,
                        unsigned flags)
{
    struct inode *inode = od->inode;
    bool old_is_dir = S_ISDIR(inode->mode);
    if (flags & RENAME_EXCHANGE) {
        bool new_is_dir = S_ISDIR(nd->inode->mode);
        if (odir != ndir && old_is_dir != new_is_dir) {
            if (old_is_dir) {
                odir->nlink--;
                ndir->nlink++;
            } else {
                ndir->nlink--;
                odir->nlink++;
            }
        }
        d_exchange(od, nd);
        inode_touch(inode, false, true);
        inode_touch(nd->inode, false, true);
        inode_touch(odir, true, true);
        inode_touch(ndir, true, true);
        return 0;
    }
    if (nd->inode) {
        struct inode *victim = nd->inode;
        if (S_ISDIR(victim->mode)) {
            if (!dir_is_empty(nd))
                return -ENOTEMPTY;
            victim->nlink = 0;
            ndir->nlink--;
        } else {
            victim->nlink--;
        }
        inode_touch(victim, false, true);
        unlink_dentry(ndir, nd);
    }
    if (old_is_dir && odir != ndir) {
        odir->nlink--;
        ndir->nlink++;
    }
    dir_changed(odir, -BOGO_DIRENT_SIZE);
    d_move(od, nd->parent, nd);
    dir_changed(ndir, BOGO_DIRENT_SIZE);
    inode_touch(inode, false, true);
    return 0;
}

static int tmpfs_get_link(struct dentry *d, char *buf, size_t size)
{
    const char *target = TI(d->inode)->symlink;
    if (!target)
        return -EINVAL;
    size_t n = strlcpy(buf, target, size);
    if (n >= size)
        return -ENAMETOOLONG;
    return (int)n;
}

/* ---- Regular files ---- */

static int tmpfs_setsize(struct inode *inode, loff_t size)
{
    if (size < 0)
        return -EINVAL;
    if (size > TMPFS_MAX_BYTES)
        return -EFBIG;
    struct tmpfs_inode *ti = TI(inode);
    if (size < inode->size) {
        uint64_t first = (uint64_t)(size + PAGE_SIZE - 1) >> PAGE_SHIFT;
        spin_lock(&ti->tree_lock);
        radix_truncate(ti, first);
        inode->blocks = ti->npages * (PAGE_SIZE / 512);
        spin_unlock(&ti->tree_lock);
        /* Zero the tail of the last partial page so a later extension reads zeros. */
        size_t off = (size_t)size & (PAGE_SIZE - 1);
        if (off) {
            char *page = tmpfs_page(inode, (uint64_t)size >> PAGE_SHIFT, false);
            if (page) {
                memset(page + off, 0, PAGE_SIZE - off);
                page_free(page);
            }
        }
    }
    inode->size = size;
    return 0;
}

static int tmpfs_fallocate(struct inode *inode, int mode, loff_t off, loff_t len)
{
    if (off + len > TMPFS_MAX_BYTES || off + len < off)
        return -EFBIG;
    if (mode & FALLOC_FL_PUNCH_HOLE) {
        /* Zero the range; whole pages inside it are simply zeroed too (still allocated). */
        loff_t end = MIN(off + len, inode->size);
        for (loff_t p = off; p < end;) {
            size_t in = (size_t)p & (PAGE_SIZE - 1);
            size_t n = MIN(PAGE_SIZE - in, (size_t)(end - p));
            char *page = tmpfs_page(inode, (uint64_t)p >> PAGE_SHIFT, false);
            if (page) {
                memset(page + in, 0, n);
                page_free(page);
            }
            p += (loff_t)n;
        }
        return 0;
    }
    for (uint64_t idx = (uint64_t)off >> PAGE_SHIFT; idx <= (uint64_t)(off + len - 1) >> PAGE_SHIFT; idx++) {
        void *page = tmpfs_page(inode, idx, true);
        if (!page)
            return -ENOSPC;
        page_free(page);
    }
    if (!(mode & FALLOC_FL_KEEP_SIZE) && off + len > inode->size)
        inode->size = off + len;
    return 0;
}

static void *zero_page;

static ssize_t tmpfs_read(struct file *f, struct uio *to, loff_t *pos)
{
    struct inode *inode = f->inode;
    loff_t size = READ_ONCE(inode->size);
    loff_t p = *pos;
    if (p < 0)
        return -EINVAL;
    size_t done = 0;
    while (to->resid > 0 && p < size) {
        size_t in = (size_t)p & (PAGE_SIZE - 1);
        size_t n = MIN(PAGE_SIZE - in, to->resid);
        if ((loff_t)n > size - p)
            n = (size_t)(size - p);
        char *page = tmpfs_page(inode, (uint64_t)p >> PAGE_SHIFT, false);
        int err;
        if (page) {
            err = uio_copyout(to, page + in, n);
            page_free(page);
        } else {
            if (!zero_page)
                zero_page = page_alloc();
            err = zero_page ? uio_copyout(to, zero_page, n) : -ENOMEM;
        }
        if (err) {
            if (done)
                break;
            return err;
        }
        done += n;
        p += (loff_t)n;
    }
    *pos = p;
    return (ssize_t)done;
}

static ssize_t tmpfs_write(struct file *f, struct uio *from, loff_t *pos)
{
    struct inode *inode = f->inode;
    mutex_lock(&inode->lock);
    loff_t p = (f->flags & O_APPEND) ? inode->size : *pos;
    ssize_t ret = 0;
    if (p < 0) {
        ret = -EINVAL;
        goto out;
    }
    if (p >= TMPFS_MAX_BYTES) {
        ret = from->resid ? -EFBIG : 0;
        goto out;
    }
    if ((loff_t)from->resid > TMPFS_MAX_BYTES - p)
        from->resid = (size_t)(TMPFS_MAX_BYTES - p);
    size_t done = 0;
    while (from->resid > 0) {
        size_t in = (size_t)p & (PAGE_SIZE - 1);
        size_t n = MIN(PAGE_SIZE - in, from->resid);
        char *page = tmpfs_page(inode, (uint64_t)p >> PAGE_SHIFT, true);
        if (!page) {
            ret = done ? 0 : -ENOSPC;
            break;
        }
        int err = uio_copyin(page + in, from, n);
        page_free(page);
        if (err) {
            ret = done ? 0 : err;
            break;
        }
        done += n;
        p += (loff_t)n;
        if (p > inode->size)
            inode->size = p;
    }
    if (done) {
        ret = (ssize_t)done;
        inode_touch(inode, true, true);
        /* A write by someone else clears the set-user-ID bit, as in Linux. */
        if ((inode->mode & (S_ISUID | S_ISGID)) && !fs_capable())
            inode->mode &= ~(mode_t)(S_ISUID | ((inode->mode & 010) ? S_ISGID : 0));
    }
    *pos = p;
out:
    mutex_unlock(&inode->lock);
    return ret;
}

static int tmpfs_get_page(struct file *f, uint64_t pgoff, void **page)
{
    if (pgoff >= radix_capacity(RADIX_MAX_HEIGHT))
        return -EFBIG;
    void *p = tmpfs_page(f->inode, pgoff, true);
    if (!p)
        return -ENOMEM;
    *page = p;
    return 0;
}

static int tmpfs_fsync(struct file *f)
{
    (void)f;
    return 0;
}

static const struct file_operations tmpfs_file_fops = {
    .read = tmpfs_read,
    .write = tmpfs_write,
    .fsync = tmpfs_fsync,
    .get_page = tmpfs_get_page,
};

static ssize_t dir_read(struct file *f, struct uio *to, loff_t *pos)
{
    (void)f; (void)to; (void)pos;
    return -EISDIR;
}

static void dir_release(struct file *f)
{
    /* dcache_readdir's resume point. */
    if (f->private_data)
        dput(f->private_data);
}

const struct file_operations tmpfs_dir_fops = {
    .read = dir_read,
    .iterate = dcache_readdir,
    .release = dir_release,
    .fsync = tmpfs_fsync,
};

static const struct inode_operations tmpfs_dir_iops = {
    .create = tmpfs_create,
    .mkdir = tmpfs_mkdir,
    .symlink = tmpfs_symlink,
    .link = tmpfs_link,
    .unlink = tmpfs_unlink,
    .rmdir = tmpfs_rmdir,
    .rename = tmpfs_rename,
};

static const struct inode_operations tmpfs_file_iops = {
    .setsize = tmpfs_setsize,
    .fallocate = tmpfs_fallocate,
};

static const struct inode_operations tmpfs_symlink_iops = {
    .get_link = tmpfs_get_link,
};

static const struct inode_operations tmpfs_special_iops = { 0 };

/* ---- Unnamed files (memfd_create) ---- */

static struct super_block *anon_tmpfs_sb;

struct file *tmpfs_anon_file(const char *name, unsigned flags)
{
    if (!anon_tmpfs_sb) {
        anon_tmpfs_sb = tmpfs_new_sb(&tmpfs_type);
        if (!anon_tmpfs_sb)
            return NULL;
        TSB(anon_tmpfs_sb)->max_pages = 0;      /* memfd: only RAM limits it, as in Linux */
        TSB(anon_tmpfs_sb)->max_inodes = 0;
    }
    struct inode *inode = tmpfs_inode_new(anon_tmpfs_sb, NULL, S_IFREG | 0777, 0);
    if (!inode)
        return NULL;
    inode->nlink = 0;
    /* A dentry named "memfd:NAME" that is never hashed: file_path shows it. */
    char buf[NAME_MAX + 1];
    size_t n = strlcpy(buf, "memfd:", sizeof(buf));
    strlcpy(buf + n, name, sizeof(buf) - n);
    struct dentry *d = d_alloc(anon_tmpfs_sb->root, buf, strlen(buf));
    if (!d) {
        iput(inode);
        return NULL;
    }
    d_instantiate(d, inode);
    struct path p = { mntget(root_mount), d };
    struct file *f;
    if (file_open_path(&p, (flags & ~O_ACCMODE) | O_RDWR, &f) < 0)
        return NULL;
    return f;
}

/* ---- Special files ---- */

static int bad_open(struct inode *inode, struct file *f)
{
    (void)inode; (void)f;
    return -ENXIO;
}

static const struct file_operations no_open_fops = { .open = bad_open };

void init_special_inode(struct inode *inode, mode_t mode, dev_t rdev)
{
    inode->mode = mode;
    inode->rdev = 0;
    if (S_ISCHR(mode)) {
        inode->rdev = rdev;
        inode->fops = &chrdev_open_fops;
    } else if (S_ISBLK(mode)) {
        inode->rdev = rdev;
        inode->fops = &blkdev_fops;       /* its open() finds the device by rdev */
    } else if (S_ISFIFO(mode)) {
        inode->fops = &fifo_fops;
    } else {
        inode->fops = &no_open_fops;      /* sockets: connect(), not open() */
    }
}
