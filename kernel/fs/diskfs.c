/* The VFS side of a disk filesystem (ext2, OFS): include/fs.h ("diskfs.c") says what it does and
 * what a filesystem supplies. Everything a filesystem's core needs from the VFS goes through
 * struct diskfs_operations, so the operation tables below serve every disk filesystem. */
#include "fs.h"
#include "blkdev.h"
#include "mm.h"
#include "pagemap.h"
#include "kprintf.h"
#include "kthread.h"
#include "ratelimit.h"
#include "vm.h"

#define DIRTY_WRITEBACK_SECONDS 5
#define CACHE_RESERVE_FRACTION 16    /* of RAM kept free of page-cache pages */
#define CACHE_RECLAIM_BATCH 32

/* A regular file's page cache. It outlives the file's inode, which goes as soon as nobody
 * uses the file, so a program run again maps the very pages its last run read; it goes when
 * the file is deleted, when reclaim has emptied it, or at unmount. */
struct diskfs_mapping {
    struct address_space as;
    struct list_head link;            /* in diskfs_sb.mappings */
    struct list_head hash;            /* in diskfs_sb.mapping_hash */
    ino_t ino;
    struct inode *inode;              /* the live inode, or NULL */
    /* 1 + a page a read-ahead window stopped short of (0: none): a miss there reads it
     * alone, so a bad block costs one failed request per read, not a window's and a page's. */
    uint64_t ra_stop;
};

struct diskfs_inode {
    struct inode *inode;
    struct diskfs_mapping *map;       /* regular files: the page cache */
    struct list_head link;            /* in diskfs_sb.inodes */
    struct list_head hash;            /* in diskfs_sb.inode_hash */
    uint64_t core[];                  /* ops->core_inode_size bytes */
};

static const struct super_operations diskfs_sops;
static const struct inode_operations diskfs_dir_iops, diskfs_file_iops, diskfs_symlink_iops,
    diskfs_special_iops;
static const struct file_operations diskfs_dir_fops, diskfs_file_fops;

static const struct diskfs_operations *OPS(struct super_block *sb) { return DISKFS(sb)->ops; }

void *diskfs_core(struct inode *inode)
{
    return ((struct diskfs_inode *)inode->private)->core;
}

/* ---- Live inodes ---- */

static void set_ops(struct inode *inode)
{
    switch (inode->mode & S_IFMT) {
    case S_IFREG:
        inode->iops = &diskfs_file_iops;
        inode->fops = &diskfs_file_fops;
        break;
    case S_IFDIR:
        inode->iops = &diskfs_dir_iops;
        inode->fops = &diskfs_dir_fops;
        break;
    case S_IFLNK:
        inode->iops = &diskfs_symlink_iops;
        break;
    default:
        inode->iops = &diskfs_special_iops;
        init_special_inode(inode, inode->mode, inode->rdev);
    }
}

/* The live inode numbered ino with a new reference, or NULL. One whose count is 0 is being
 * evicted right now (iput waits for our lock): it is skipped, the caller's copy from the core
 * is current. */
static unsigned ino_bucket(ino_t ino)
{
    return (unsigned)(((uint64_t)ino * 0x9e3779b97f4a7c15ull) >> 32) % DISKFS_HASH_BUCKETS;
}

static struct inode *find_live(struct super_block *sb, ino_t ino)
{
    struct diskfs_inode *di;
    list_for_each_entry(di, &DISKFS(sb)->inode_hash[ino_bucket(ino)], hash)
        if (di->inode->ino == ino && atomic_inc_not_zero(&di->inode->refcount))
            return di->inode;
    return NULL;
}

static struct diskfs_mapping *MAP(struct inode *inode)
{
    return ((struct diskfs_inode *)inode->private)->map;
}

static void free_mapping(struct diskfs_mapping *map)
{
    filemap_truncate(&map->as, 0);
    list_del(&map->link);
    list_del(&map->hash);
    kfree(map);
}

/* Mappings looked at per new one for being empty and unused: at least the one added, so the
 * empty ones reclaim leaves behind never outnumber the live ones for long, at O(1) a call. */
#define MAPPING_SWEEP 2

/* The page cache of regular file ino (lock held): the one kept from its last use, or a new
 * one. Mappings that reclaim emptied and no inode uses are freed on the way, a few a call,
 * oldest first. NULL: no memory. */
static struct diskfs_mapping *get_mapping(struct super_block *sb, ino_t ino)
{
    struct diskfs_sb *dfs = DISKFS(sb);
    struct diskfs_mapping *map;
    list_for_each_entry(map, &dfs->mapping_hash[ino_bucket(ino)], hash)
        if (map->ino == ino)
            return map;
    for (int i = 0; i < MAPPING_SWEEP && !list_empty(&dfs->mappings); i++) {
        map = list_first_entry(&dfs->mappings, struct diskfs_mapping, link);
        if (!map->inode && !filemap_nrpages(&map->as)) {
            free_mapping(map);
        } else {
            list_del(&map->link);                   /* the next sweep starts further on */
            list_add_tail(&map->link, &dfs->mappings);
        }
    }
    if (!(map = kzalloc(sizeof(*map))))
        return NULL;
    mapping_init(&map->as);
    map->ino = ino;
    list_add_tail(&map->link, &dfs->mappings);
    list_add(&map->hash, &dfs->mapping_hash[ino_bucket(ino)]);
    return map;
}

static struct diskfs_inode *alloc_core(struct super_block *sb)
{
    return kzalloc(sizeof(struct diskfs_inode) + OPS(sb)->core_inode_size);
}

/* The VFS inode for the core's inode in di (lock held): the live one (+1 ref; di is freed)
 * or a new one that takes di. NULL: no memory. */
static struct inode *inode_for(struct super_block *sb, struct diskfs_inode *di)
{
    ino_t ino = OPS(sb)->core_ino(di->core);
    struct inode *inode = find_live(sb, ino);
    if (inode) {
        kfree(di);
        return inode;
    }
    inode = inode_new(sb, 0);
    if (!inode) {
        kfree(di);
        return NULL;
    }
    di->inode = inode;
    inode->private = di;
    inode->ino = ino;
    OPS(sb)->to_vfs(inode);
    if (S_ISREG(inode->mode)) {
        if (!(di->map = get_mapping(sb, ino))) {
            inode->private = NULL;
            kfree(di);
            iput(inode);
            return NULL;
        }
        di->map->inode = inode;
    }
    set_ops(inode);
    list_add(&di->link, &DISKFS(sb)->inodes);
    list_add(&di->hash, &DISKFS(sb)->inode_hash[ino_bucket(ino)]);
    return inode;
}

/* Inode ino (lock held). */
static int diskfs_iget(struct super_block *sb, ino_t ino, struct inode **out)
{
    if ((*out = find_live(sb, ino)))
        return 0;
    struct diskfs_inode *di = alloc_core(sb);
    if (!di)
        return -ENOMEM;
    int err = OPS(sb)->read_inode(sb, ino, di->core);
    if (err) {
        kfree(di);
        return err;
    }
    *out = inode_for(sb, di);
    return *out ? 0 : -ENOMEM;
}

/* Lock held: 0 if the filesystem may change now. */
static int begin_change(struct super_block *sb)
{
    return DISKFS(sb)->mounted ? OPS(sb)->writable(sb) : -EIO;
}

/* Write one page of the cache back through the core (lock held): the part inside the file. */
static int writeback_page(void *ctx, uint64_t index, void *page)
{
    struct inode *inode = ctx;
    struct super_block *sb = inode->sb;
    uint64_t off = index * PAGE_SIZE;
    if ((loff_t)off >= inode->size)
        return 0;
    size_t len = (size_t)MIN((uint64_t)PAGE_SIZE, (uint64_t)inode->size - off);
    int err = begin_change(sb);
    if (err)
        return err;
    OPS(sb)->write_attrs(inode);
    for (size_t done = 0; done < len && !err;) {
        ssize_t w = OPS(sb)->write(inode, off + done, (char *)page + done,
                                   MIN(len - done, OPS(sb)->io_chunk));
        if (w <= 0)
            err = w ? (int)w : -EIO;
        else
            done += (size_t)w;
    }
    OPS(sb)->to_vfs(inode);
    return err;
}

/* The dirty pages of a regular file into the core (lock held): the first error. */
static int writeback_locked(struct inode *inode)
{
    struct diskfs_mapping *map = S_ISREG(inode->mode) ? MAP(inode) : NULL;
    if (!map || !filemap_nrdirty(&map->as))
        return 0;
    return filemap_writeback(&map->as, writeback_page, inode);
}

static void diskfs_evict(struct inode *inode)
{
    struct diskfs_inode *di = inode->private;
    if (!di)
        return;
    struct diskfs_sb *dfs = DISKFS(inode->sb);
    mutex_lock(&dfs->lock);
    if (di->map) {
        /* What shared mappings wrote reaches the file before the inode goes; a deleted
         * file's pages go with it, a live file's stay cached. */
        if (dfs->mounted && inode->nlink)
            writeback_locked(inode);
        di->map->inode = NULL;
        if (!dfs->mounted || !inode->nlink || !filemap_nrpages(&di->map->as))
            free_mapping(di->map);
    }
    if (dfs->mounted)
        dfs->ops->evict_inode(inode);
    list_del(&di->link);
    list_del(&di->hash);
    mutex_unlock(&dfs->lock);
    if (inode->pipe)
        pipe_release_inode(inode);
    kfree(di);
    inode->private = NULL;
}

int diskfs_write_inodes(struct super_block *sb)
{
    int err = 0;
    struct diskfs_inode *di;
    list_for_each_entry(di, &DISKFS(sb)->inodes, link) {
        int e = OPS(sb)->write_attrs(di->inode);
        if (!err)
            err = e;
    }
    return err;
}

/* ---- Directory operations ---- */

/* A damaged directory entry can name a directory that is already on the path to it (its own
 * ancestor): a name for it there would make the tree a loop that every walk goes round until
 * its paths are too long. Linux's d_splice_alias refuses it with ELOOP and this message. */
static bool dir_loops(struct dentry *d, struct inode *inode)
{
    if (!S_ISDIR(inode->mode))
        return false;
    for (struct dentry *p = d->parent;; p = p->parent) {
        if (p->inode == inode) {
            pr_warn_ratelimited("VFS: Lookup of '%s' in %s %s would have caused loop\n", d->name,
                                inode->sb->type->name, inode->sb->bdev ? inode->sb->bdev->name : "");
            return true;
        }
        if (p->parent == p)
            return false;
    }
}

static int diskfs_lookup(struct inode *dir, struct dentry *d)
{
    struct super_block *sb = dir->sb;
    diskfs_lock(sb);
    ino_t ino;
    struct inode *inode = NULL;
    int err = DISKFS(sb)->mounted ? OPS(sb)->lookup(dir, d->name, d->name_len, &ino) : -EIO;
    if (!err)
        err = diskfs_iget(sb, ino, &inode);
    diskfs_unlock(sb);
    if (err)
        return err;
    if (dir_loops(d, inode)) {
        iput(inode);
        return -ELOOP;
    }
    d_instantiate(d, inode);
    /* Hashed, so a mount on it (or a second lookup) finds this very dentry; it stays cached
     * after its last user (struct super_block's cache_dentries) until pruned. */
    d_add(d);
    return 0;
}

/* A new name made by create, mkdir, symlink or link: in the cache while in use. */
static void link_dentry(struct dentry *d, struct inode *inode)
{
    d_instantiate(d, inode);
    d_add(d);
    d->flags |= DENTRY_NOCACHE;
}

static int make_node(struct inode *dir, struct dentry *d, mode_t mode, dev_t rdev,
                     const char *target)
{
    const struct cred *c = fs_cred();
    struct diskfs_new a = { .mode = mode, .uid = c->fsuid, .gid = c->fsgid, .rdev = rdev,
                            .target = target };
    /* Set-group-ID directories pass on their group (and the bit, to subdirectories). */
    if (dir->mode & S_ISGID) {
        a.gid = dir->gid;
        if (S_ISDIR(mode))
            a.mode |= S_ISGID;
    }
    struct super_block *sb = dir->sb;
    struct diskfs_inode *di = alloc_core(sb);
    if (!di)
        return -ENOMEM;
    diskfs_lock(sb);
    int err = begin_change(sb);
    if (!err) {
        OPS(sb)->write_attrs(dir);
        err = OPS(sb)->create(dir, d->name, d->name_len, &a, di->core);
        OPS(sb)->to_vfs(dir);
    }
    struct inode *inode = NULL;
    if (err)
        kfree(di);
    else if (!(inode = inode_for(sb, di)))
        err = -ENOMEM;      /* the entry exists on disk; a later lookup finds it */
    diskfs_unlock(sb);
    if (err)
        return err;
    link_dentry(d, inode);
    return 0;
}

static int diskfs_create(struct inode *dir, struct dentry *d, mode_t mode, dev_t rdev)
{
    return make_node(dir, d, mode, (S_ISCHR(mode) || S_ISBLK(mode)) ? rdev : 0, NULL);
}

static int diskfs_mkdir(struct inode *dir, struct dentry *d, mode_t mode)
{
    return make_node(dir, d, S_IFDIR | (mode & 07777), 0, NULL);
}

static int diskfs_symlink(struct inode *dir, struct dentry *d, const char *target)
{
    return make_node(dir, d, S_IFLNK | 0777, 0, target);
}

static int diskfs_link(struct dentry *old, struct inode *dir, struct dentry *d)
{
    struct super_block *sb = dir->sb;
    struct inode *inode = old->inode;
    diskfs_lock(sb);
    int err = begin_change(sb);
    if (!err) {
        OPS(sb)->write_attrs(inode);
        OPS(sb)->write_attrs(dir);
        err = OPS(sb)->link(dir, d->name, d->name_len, inode);
        OPS(sb)->to_vfs(inode);
        OPS(sb)->to_vfs(dir);
    }
    diskfs_unlock(sb);
    if (err)
        return err;
    iget(inode);
    link_dentry(d, inode);
    return 0;
}

static int remove_name(struct inode *dir, struct dentry *d, bool isdir)
{
    struct super_block *sb = dir->sb;
    struct inode *inode = d->inode;
    diskfs_lock(sb);
    int err = begin_change(sb);
    if (!err) {
        OPS(sb)->write_attrs(inode);
        OPS(sb)->write_attrs(dir);
        err = OPS(sb)->unlink(dir, d->name, d->name_len, inode, isdir);
        OPS(sb)->to_vfs(inode);
        OPS(sb)->to_vfs(dir);
    }
    diskfs_unlock(sb);
    if (!err)
        d_drop(d);     /* the inode is freed when its last user goes (evict) */
    return err;
}

static int diskfs_unlink(struct inode *dir, struct dentry *d)
{
    return remove_name(dir, d, false);
}

static int diskfs_rmdir(struct inode *dir, struct dentry *d)
{
    return remove_name(dir, d, true);
}

static int diskfs_rename(struct inode *odir, struct dentry *od, struct inode *ndir,
                         struct dentry *nd, unsigned flags)
{
    if (flags & (RENAME_EXCHANGE | RENAME_WHITEOUT))
        return -EINVAL;
    struct super_block *sb = odir->sb;
    const struct diskfs_operations *ops = OPS(sb);
    struct inode *changed[] = { od->inode, odir, ndir, nd->inode };
    size_t n = nd->inode ? 4 : 3;
    diskfs_lock(sb);
    int err = begin_change(sb);
    if (!err) {
        for (size_t i = 0; i < n; i++)
            ops->write_attrs(changed[i]);
        err = ops->rename(odir, od, ndir, nd);
        for (size_t i = 0; i < n; i++)
            ops->to_vfs(changed[i]);
    }
    diskfs_unlock(sb);
    if (err)
        return err;
    if (nd->inode)
        d_drop(nd);
    d_move(od, nd->parent, nd);
    return 0;
}

static int diskfs_get_link(struct dentry *d, char *buf, size_t size)
{
    struct super_block *sb = d->inode->sb;
    diskfs_lock(sb);
    int n = DISKFS(sb)->mounted ? OPS(sb)->readlink(d->inode, buf, size) : -EIO;
    diskfs_unlock(sb);
    return n;
}

/* Bytes of the cached page at `from` from there to the page's end, as a count. */
static size_t to_page_end(loff_t from)
{
    return (size_t)(PAGE_SIZE - (uint64_t)from % PAGE_SIZE) % PAGE_SIZE;
}

/* Keep the cache equal to the file after its size went from old to size (lock held): pages
 * past the new end go, and the bytes past the end of the last page read as zeros (a shared
 * mapping may have written there; growing the file must not bring that back). */
static void cache_resized(struct inode *inode, loff_t old, loff_t size)
{
    struct address_space *as = &MAP(inode)->as;
    if (size < old)
        filemap_truncate(as, ((uint64_t)size + PAGE_SIZE - 1) / PAGE_SIZE);
    loff_t from = MIN(old, size);
    filemap_update(as, (uint64_t)from, NULL, to_page_end(from));
}

static int diskfs_setsize(struct inode *inode, loff_t size)
{
    if (size < 0)
        return -EINVAL;
    struct super_block *sb = inode->sb;
    diskfs_lock(sb);
    loff_t old = inode->size;
    int err = begin_change(sb);
    if (!err) {
        OPS(sb)->write_attrs(inode);
        err = OPS(sb)->setsize(inode, (uint64_t)size);
        OPS(sb)->to_vfs(inode);
    }
    if (!err)
        cache_resized(inode, old, size);
    diskfs_unlock(sb);
    return err;
}

/* ---- Files ---- */

/* How many pages to read from `index` on a miss: a read-ahead window when the file is read
 * from its start or the page before is cached (a sequential reader), otherwise one; never
 * past the end of the file or over a page already cached. */
static unsigned window(struct inode *inode, struct address_space *as, uint64_t index)
{
    if (!DISKFS(inode->sb)->data_bsize || MAP(inode)->ra_stop == index + 1)
        return 1;
    unsigned want = index == 0 || filemap_cached(as, index - 1) ? DISKFS_READAHEAD_PAGES : 1;
    uint64_t end = ((uint64_t)inode->size + PAGE_SIZE - 1) / PAGE_SIZE;
    unsigned n = 1;
    while (n < want && index + n < end && !filemap_cached(as, index + n))
        n++;
    return n;
}

/* Page `index` through the core's read (lock held): the rest past the end stays zero. */
static int read_page(struct inode *inode, uint64_t index, void *page)
{
    struct super_block *sb = inode->sb;
    size_t chunk = OPS(sb)->io_chunk;
    for (size_t done = 0; done < PAGE_SIZE;) {
        ssize_t n = OPS(sb)->read(inode, index * PAGE_SIZE + done, (char *)page + done,
                                  MIN(chunk, PAGE_SIZE - done));
        if (n < 0)
            return (int)n;
        if (n == 0)
            break;
        done += (size_t)n;
    }
    return 0;
}

/* Page `index` of regular file inode from the page cache, read from the disk on a miss
 * (with the pages after it, for a sequential reader), with a reference for the caller
 * (page_free drops it). -ERANGE: the page lies past the end of the file (a truncate came
 * first); no page past the end is ever added. */
static int get_cached_page(struct inode *inode, uint64_t index, void **out)
{
    struct address_space *as = &MAP(inode)->as;
    if ((*out = filemap_find(as, index)))
        return 0;
    /* The cache keeps a reserve free for everything else (fork, exec, the heap), which do not
     * reclaim themselves: below it, it recycles its own least recently used pages. */
    size_t reserve = pages_total() / CACHE_RESERVE_FRACTION;
    if (pages_free() < reserve)
        filemap_reclaim(CACHE_RECLAIM_BATCH);
    void *pages[DISKFS_READAHEAD_PAGES] = { page_alloc() };
    if (!pages[0] && filemap_reclaim(1))
        pages[0] = page_alloc();
    if (!pages[0])
        return -ENOMEM;
    struct super_block *sb = inode->sb;
    int err = 0;
    unsigned n = 0;
    /* Filled and added under the lock that writes take, so no write falls in between. */
    diskfs_lock(sb);
    if ((*out = filemap_find(as, index)) || (loff_t)(index * PAGE_SIZE) >= inode->size) {
        /* Someone filled it while we waited, or truncated the file. */
        diskfs_unlock(sb);
        page_free(pages[0]);
        return *out ? 0 : -ERANGE;
    }
    /* Read-ahead takes only memory above the reserve. */
    unsigned want = window(inode, as, index);
    for (n = 1; n < want && pages_free() > reserve; n++)
        if (!(pages[n] = page_alloc()))
            break;
    unsigned filled = 1;
    if (!DISKFS(sb)->mounted) {
        err = -EIO;
    } else if (DISKFS(sb)->data_bsize) {
        int r = diskfs_fill_pages(inode, index, pages, n);
        if (r < 0)
            err = r;
        else
            filled = (unsigned)r;
        MAP(inode)->ra_stop = r < 0 ? index + 1 : (unsigned)r < n ? index + (unsigned)r + 1 : 0;
    } else {
        err = read_page(inode, index, pages[0]);
    }
    for (unsigned i = 0; !err && i < filled; i++) {
        int e = filemap_add(as, index + i, pages[i]);
        if (e && i == 0)
            err = e;
        if (e)
            break;
        if (i == 0) {
            page_get(pages[0]);  /* the cache keeps the page's first reference, this is ours */
            *out = pages[0];
        }
        pages[i] = NULL;
    }
    diskfs_unlock(sb);
    for (unsigned i = 0; i < n; i++)
        if (pages[i])
            page_free(pages[i]);
    return err;
}

/* Through the page cache; no lock is held while user memory is touched. */
static ssize_t diskfs_file_read(struct file *f, struct uio *to, loff_t *pos)
{
    struct inode *inode = f->inode;
    if (*pos < 0)
        return -EINVAL;
    size_t done = 0;
    ssize_t ret = 0;
    while (to->resid > 0 && *pos < inode->size) {
        uint64_t index = (uint64_t)*pos / PAGE_SIZE;
        size_t in = (size_t)((uint64_t)*pos % PAGE_SIZE);
        size_t n = MIN(PAGE_SIZE - in, to->resid);
        n = (size_t)MIN((loff_t)n, inode->size - *pos);
        void *page;
        if ((ret = get_cached_page(inode, index, &page))) {
            if (ret == -ERANGE)
                ret = 0;        /* truncated meanwhile: the end of the file */
            break;
        }
        int e = uio_copyout(to, (char *)page + in, n);
        page_free(page);
        if (e < 0) {
            ret = -EFAULT;
            break;
        }
        done += n;
        *pos += (loff_t)n;
    }
    return done ? (ssize_t)done : ret;
}

static ssize_t write_chunk(struct inode *inode, uint64_t pos, const void *buf, size_t len)
{
    struct super_block *sb = inode->sb;
    diskfs_lock(sb);
    loff_t old = inode->size;
    ssize_t w = begin_change(sb);
    if (w == 0) {
        OPS(sb)->write_attrs(inode);
        w = OPS(sb)->write(inode, pos, buf, len);
        OPS(sb)->to_vfs(inode);
    }
    if (w > 0) {
        /* Written through: the cached pages show it at once (read, every mapping). */
        struct address_space *as = &MAP(inode)->as;
        if ((loff_t)pos > old)
            filemap_update(as, (uint64_t)old, NULL, to_page_end(old));
        filemap_update(as, pos, buf, (size_t)w);
    }
    diskfs_unlock(sb);
    return w;
}

static ssize_t diskfs_file_write(struct file *f, struct uio *from, loff_t *pos)
{
    struct inode *inode = f->inode;
    size_t chunk = OPS(inode->sb)->io_chunk;
    char *buf = kmalloc(chunk);
    if (!buf)
        return -ENOMEM;
    mutex_lock(&inode->lock);
    loff_t p = (f->flags & O_APPEND) ? inode->size : *pos;
    size_t done = 0;
    ssize_t ret = p < 0 ? -EINVAL : 0;
    while (ret == 0 && from->resid > 0) {
        size_t n = MIN(chunk, from->resid);
        if (uio_copyin(buf, from, n) < 0) {
            ret = -EFAULT;
            break;
        }
        ssize_t w = write_chunk(inode, (uint64_t)p, buf, n);
        if (w <= 0) {
            ret = w ? w : -ENOSPC;
            break;
        }
        done += (size_t)w;
        p += w;
        if ((size_t)w < n)
            break;
    }
    if (done) {
        /* A write by someone else clears the set-user-ID bit, as in Linux. */
        if ((inode->mode & (S_ISUID | S_ISGID)) && !fs_capable())
            inode->mode &= ~(mode_t)(S_ISUID | ((inode->mode & 010) ? S_ISGID : 0));
    }
    *pos = p;
    mutex_unlock(&inode->lock);
    kfree(buf);
    return done ? (ssize_t)done : ret;
}

static int diskfs_fsync(struct file *f)
{
    struct super_block *sb = f->inode->sb;
    if (S_ISREG(f->inode->mode) && filemap_nrdirty(&MAP(f->inode)->as))
        wrprotect_file_pages(sb, f->inode);
    diskfs_lock(sb);
    int err = DISKFS(sb)->mounted ? writeback_locked(f->inode) : -EIO;
    int e = DISKFS(sb)->mounted ? OPS(sb)->fsync(f->inode) : -EIO;
    diskfs_unlock(sb);
    return err ? err : e;
}

/* mmap: the page-cache page itself, for shared and private mappings alike (a private
 * mapping copies it when it writes). */
static int diskfs_get_page(struct file *f, uint64_t pgoff, void **page)
{
    if ((loff_t)(pgoff * PAGE_SIZE) >= f->inode->size)
        return -EIO;       /* past the end of the file: SIGBUS */
    int err = get_cached_page(f->inode, pgoff, page);
    return err == -ERANGE ? -EIO : err;
}

/* A shared mapping writes the page: it is dirty until written back. */
static void diskfs_page_mkwrite(struct file *f, uint64_t pgoff)
{
    filemap_mark_dirty(&MAP(f->inode)->as, pgoff);
}

/* ---- Directories ---- */

bool diskfs_emit(void *c, const char *name, size_t len, uint64_t ino, unsigned dtype,
                 uint64_t next_pos)
{
    struct dir_context *ctx = c;
    if (!ctx->actor(ctx, name, len, (loff_t)next_pos, ino, dtype))
        return false;
    ctx->pos = (loff_t)next_pos;
    return true;
}

static int diskfs_iterate(struct file *f, struct dir_context *ctx)
{
    struct super_block *sb = f->inode->sb;
    if (ctx->pos < 0)
        return -EINVAL;
    uint64_t pos = (uint64_t)ctx->pos;
    diskfs_lock(sb);
    int err = DISKFS(sb)->mounted ? OPS(sb)->readdir(f->inode, &pos, ctx) : -EIO;
    diskfs_unlock(sb);
    ctx->pos = (loff_t)pos;
    return err;
}

/* A directory has no read: read(2) says EISDIR (vfs_read). */
static const struct file_operations diskfs_dir_fops = {
    .iterate = diskfs_iterate,
    .fsync = diskfs_fsync,
};

static const struct file_operations diskfs_file_fops = {
    .read = diskfs_file_read,
    .write = diskfs_file_write,
    .fsync = diskfs_fsync,
    .get_page = diskfs_get_page,
    .page_mkwrite = diskfs_page_mkwrite,
};

static const struct inode_operations diskfs_dir_iops = {
    .lookup = diskfs_lookup,
    .create = diskfs_create,
    .mkdir = diskfs_mkdir,
    .symlink = diskfs_symlink,
    .link = diskfs_link,
    .unlink = diskfs_unlink,
    .rmdir = diskfs_rmdir,
    .rename = diskfs_rename,
};

static const struct inode_operations diskfs_file_iops = {
    .setsize = diskfs_setsize,
};

static const struct inode_operations diskfs_symlink_iops = {
    .get_link = diskfs_get_link,
};

static const struct inode_operations diskfs_special_iops = { 0 };

/* ---- The superblock ---- */

static void diskfs_statfs(struct super_block *sb, struct kstatfs *st)
{
    diskfs_lock(sb);
    if (DISKFS(sb)->mounted)
        OPS(sb)->statfs(sb, st);
    diskfs_unlock(sb);
    st->type = (long)sb->magic;
}

/* Every live file's dirty pages into the core (lock held): the first error. */
static int writeback_all(struct super_block *sb)
{
    int err = 0;
    struct diskfs_inode *di;
    list_for_each_entry(di, &DISKFS(sb)->inodes, link) {
        int e = writeback_locked(di->inode);
        if (!err)
            err = e;
    }
    return err;
}

static int diskfs_sync_fs(struct super_block *sb)
{
    struct filemap_stats st;
    filemap_get_stats(&st);
    if (st.dirty)
        wrprotect_file_pages(sb, NULL);
    diskfs_lock(sb);
    int err = 0;
    if (DISKFS(sb)->mounted) {
        err = writeback_all(sb);
        int e = OPS(sb)->sync_fs(sb);
        if (!err)
            err = e;
    }
    diskfs_unlock(sb);
    return err;
}

static int diskfs_remount(struct super_block *sb, unsigned long flags)
{
    diskfs_lock(sb);
    int err = DISKFS(sb)->mounted ? OPS(sb)->remount(sb, flags) : -EIO;
    diskfs_unlock(sb);
    return err;
}

/* ---- The page flusher ---- */

/* Mounted disk filesystems, for the flusher; the mutex also keeps a superblock from going
 * while the flusher writes its pages. */
static struct mutex flush_list_lock = {
    .lock = SPINLOCK_INIT("diskfs-flush"), .waiters = LIST_HEAD_INIT(flush_list_lock.waiters),
};
static LIST_HEAD(flush_list);
static bool flusher_started;

/* What shared mappings wrote reaches the filesystem within DIRTY_WRITEBACK_SECONDS, as
 * Linux's dirty_writeback, and sooner when the cache asks (too many dirty pages, memory
 * running out: include/pagemap.h): every mounted filesystem's dirty pages go to its core
 * (which makes them durable by its own rules: ext2's sync of the device, OFS's commits). */
static void page_flusher(void *arg)
{
    (void)arg;
    for (;;) {
        filemap_flusher_wait(ktime_mono_ns() + DIRTY_WRITEBACK_SECONDS * NSEC_PER_SEC);
        struct filemap_stats st;
        filemap_get_stats(&st);
        if (!st.dirty) {
            filemap_flusher_done();
            continue;
        }
        mutex_lock(&flush_list_lock);
        struct diskfs_sb *dfs;
        list_for_each_entry(dfs, &flush_list, flush_link) {
            wrprotect_file_pages(dfs->sb, NULL);
            mutex_lock(&dfs->lock);
            if (dfs->mounted && !(dfs->sb->flags & MS_RDONLY))
                writeback_all(dfs->sb);     /* errors stay: the pages stay dirty */
            mutex_unlock(&dfs->lock);
        }
        mutex_unlock(&flush_list_lock);
        filemap_flusher_done();
    }
}

static void flush_list_add(struct super_block *sb)
{
    if (!flusher_started) {
        flusher_started = true;
        if (!kthread_run("page-flush", page_flusher, NULL))
            pr_warn("diskfs: no memory for the page flusher: mapped writes reach the "
                    "filesystem only at sync, fsync, msync and unmount\n");
    }
    mutex_lock(&flush_list_lock);
    list_add_tail(&DISKFS(sb)->flush_link, &flush_list);
    mutex_unlock(&flush_list_lock);
}

static void diskfs_put_super(struct super_block *sb)
{
    struct diskfs_sb *dfs = DISKFS(sb);
    mutex_lock(&flush_list_lock);
    list_del(&dfs->flush_link);     /* (linked to itself if the mount never completed) */
    list_init(&dfs->flush_link);
    mutex_unlock(&flush_list_lock);
    if (dfs->ops->before_unmount)
        dfs->ops->before_unmount(sb);
    mutex_lock(&dfs->lock);
    int err = writeback_all(sb);
    if (err)
        pr_err("%s: %s: unmount: writing back cached pages: error %d\n", sb->type->name,
               sb->bdev->name, err);
    diskfs_write_inodes(sb);
    err = dfs->ops->unmount(sb);
    if (err)
        pr_err("%s: %s: unmount: error %d\n", sb->type->name, sb->bdev->name, err);
    dfs->mounted = false;
    /* The cache goes with the filesystem; an inode still alive frees its own at eviction. */
    struct diskfs_mapping *map, *next;
    list_for_each_entry_safe(map, next, &dfs->mappings, link) {
        if (map->inode)
            filemap_truncate(&map->as, 0);
        else
            free_mapping(map);
    }
    mutex_unlock(&dfs->lock);
}

static const struct super_operations diskfs_sops = {
    .evict = diskfs_evict,
    .statfs = diskfs_statfs,
    .put_super = diskfs_put_super,
    .sync_fs = diskfs_sync_fs,
    .remount = diskfs_remount,
};

void diskfs_init(struct super_block *sb, const struct diskfs_operations *ops)
{
    struct diskfs_sb *dfs = DISKFS(sb);
    mutex_init(&dfs->lock);
    list_init(&dfs->inodes);
    list_init(&dfs->mappings);
    for (unsigned i = 0; i < DISKFS_HASH_BUCKETS; i++) {
        list_init(&dfs->inode_hash[i]);
        list_init(&dfs->mapping_hash[i]);
    }
    list_init(&dfs->flush_link);
    dfs->ops = ops;
    sb->sops = &diskfs_sops;
}

int diskfs_set_root(struct super_block *sb, unsigned long magic, ino_t ino)
{
    struct diskfs_sb *dfs = DISKFS(sb);
    sb->magic = magic;
    struct inode *root = NULL;
    sb->cache_dentries = true;
    mutex_lock(&dfs->lock);
    dfs->mounted = true;
    int err = diskfs_iget(sb, ino, &root);
    if (!err && !S_ISDIR(root->mode))
        err = -EUCLEAN;
    else if (!err && !(sb->root = d_alloc_root(sb, root)))
        err = -ENOMEM;
    if (err)
        dfs->mounted = false;   /* the root's eviction below must not write */
    mutex_unlock(&dfs->lock);
    if (!err) {
        dfs->sb = sb;
        flush_list_add(sb);
    }
    if (err && root)
        iput(root);
    return err;
}
