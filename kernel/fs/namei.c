/* Path resolution: absolute and relative names, dirfds, ".", ".." (never above the process
 * root, across mounts both ways), symlinks (at most 40 per resolution), trailing slashes,
 * search permission on every directory walked. */
#include "fs.h"
#include "mm.h"
#include "string.h"
#include "uaccess.h"
#include "syscall.h"

#define MAX_SYMLINKS 40

struct nameidata {
    struct path path;       /* where we are */
    struct path root;       /* the process root: ".." stops here */
    int links;              /* symlinks followed so far */
};

/* ---- Process root and cwd ---- */

static void boot_root(struct path *p)
{
    p->mnt = root_mount;
    p->dentry = root_mount->root;
    path_get(p);
}

int fs_get_root(struct path *root)
{
    struct task *t = current;
    struct fs_struct *fs = t ? t->fs : NULL;
    if (!fs) {
        boot_root(root);
        return 0;
    }
    spin_lock(&fs->lock);
    *root = fs->root;
    path_get(root);
    spin_unlock(&fs->lock);
    return 0;
}

int fs_get_cwd(struct path *cwd)
{
    struct task *t = current;
    struct fs_struct *fs = t ? t->fs : NULL;
    if (!fs) {
        boot_root(cwd);
        return 0;
    }
    spin_lock(&fs->lock);
    *cwd = fs->cwd;
    path_get(cwd);
    spin_unlock(&fs->lock);
    return 0;
}

int dirfd_path(int dirfd, struct path *out)
{
    if (dirfd == AT_FDCWD)
        return fs_get_cwd(out);
    struct file *f = fget_raw(dirfd);
    if (!f)
        return -EBADF;
    if (!f->dentry || !f->mnt) {
        file_put(f);
        return -ENOTDIR;
    }
    out->mnt = f->mnt;
    out->dentry = f->dentry;
    path_get(out);
    file_put(f);
    return 0;
}

/* ---- Walking ---- */

void follow_mounts(struct path *p)
{
    while (READ_ONCE(p->dentry->mounted)) {
        struct mount *m = lookup_mnt(p->mnt, p->dentry);
        if (!m)
            break;
        dput(p->dentry);
        mntput(p->mnt);
        p->mnt = m;
        p->dentry = dget(m->root);
    }
}

static void follow_dotdot(struct nameidata *nd)
{
    for (;;) {
        if (nd->path.dentry == nd->root.dentry && nd->path.mnt == nd->root.mnt)
            break;
        if (nd->path.dentry != nd->path.mnt->root) {
            struct dentry *parent = dget(nd->path.dentry->parent);
            dput(nd->path.dentry);
            nd->path.dentry = parent;
            break;
        }
        /* At the root of a mount: continue from its mountpoint in the parent mount. */
        struct mount *m = nd->path.mnt;
        if (m->parent == m || !m->attached)
            break;
        struct path up = { mntget(m->parent), dget(m->mountpoint) };
        path_put(&nd->path);
        nd->path = up;
    }
    follow_mounts(&nd->path);
}

struct dentry *lookup_child(struct dentry *dir, const char *name, size_t len, int *err)
{
    *err = 0;
    struct dentry *d = d_lookup(dir, name, len);
    if (d)
        return d;
    struct inode *di = dir->inode;
    if (!di || !di->iops || !di->iops->lookup)
        return NULL;
    /* Not cached: make the dentry; a synthetic filesystem's goes when unused. */
    d = d_alloc(dir, name, len);
    if (!d) {
        *err = -ENOMEM;
        return NULL;
    }
    int r = di->iops->lookup(di, d);
    if (r < 0 || !d->inode) {
        dput(d);
        *err = r == -ENOENT ? 0 : r;
        return NULL;
    }
    if (!d->sb->cache_dentries)
        d->flags |= DENTRY_NOCACHE;
    return d;
}

static int walk(struct nameidata *nd, const char *name, unsigned flags,
                struct last_component *last);

/* nd->path is the directory holding the link; on success it becomes the link's target. */
static int follow_link(struct nameidata *nd, struct path *link)
{
    if (++nd->links > MAX_SYMLINKS) {
        path_put(link);
        return -ELOOP;
    }
    if (link->mnt->flags & MS_NOSYMFOLLOW) {
        path_put(link);
        return -ELOOP;
    }
    struct inode *inode = link->dentry->inode;
    if (inode->iops && inode->iops->get_link_path) {
        struct path target;
        int r = inode->iops->get_link_path(link, &target);
        if (r != -EOPNOTSUPP) {
            path_put(link);
            if (r == 0) {
                path_put(&nd->path);
                nd->path = target;
            }
            return r;
        }
    }
    if (!inode->iops || !inode->iops->get_link) {
        path_put(link);
        return -EINVAL;
    }
    char *target = kmalloc(PATH_MAX);
    if (!target) {
        path_put(link);
        return -ENOMEM;
    }
    int n = inode->iops->get_link(link->dentry, target, PATH_MAX);
    path_put(link);
    int err;
    if (n < 0)
        err = n;
    else if (n == 0)
        err = -ENOENT;
    else
        err = walk(nd, target, LOOKUP_FOLLOW, NULL);
    kfree(target);
    return err;
}

static int component_type(const char *c, size_t len)
{
    if (c[0] == '.' && len == 1)
        return LAST_DOT;
    if (c[0] == '.' && c[1] == '.' && len == 2)
        return LAST_DOTDOT;
    return LAST_NORM;
}

/* Walk `name` from nd->path. With `last`, stop before the final component and describe it. */
static int walk(struct nameidata *nd, const char *name, unsigned flags,
                struct last_component *last)
{
    if (*name == '/') {
        path_put(&nd->path);
        nd->path = nd->root;
        path_get(&nd->path);
        while (*name == '/')
            name++;
        if (!*name) {
            if (last) {
                last->name = name;
                last->len = 0;
                last->type = LAST_ROOT;
                last->trailing_slash = true;
            }
            return 0;
        }
    }
    for (;;) {
        const char *comp = name;
        size_t len = 0;
        while (comp[len] && comp[len] != '/')
            len++;
        if (len > NAME_MAX)
            return -ENAMETOOLONG;
        const char *next = comp + len;
        bool slash = false;
        while (*next == '/') {
            next++;
            slash = true;
        }
        bool is_last = *next == 0;
        struct inode *dir = nd->path.dentry->inode;
        if (!S_ISDIR(dir->mode))
            return -ENOTDIR;
        int err = inode_permission(dir, MAY_EXEC);
        if (err)
            return err;
        int type = component_type(comp, len);
        if (is_last && last) {
            last->name = comp;
            last->len = len;
            last->type = type;
            last->trailing_slash = slash;
            return 0;
        }
        if (type == LAST_DOTDOT) {
            follow_dotdot(nd);
        } else if (type == LAST_NORM) {
            struct dentry *child = lookup_child(nd->path.dentry, comp, len, &err);
            if (!child)
                return err ? err : -ENOENT;
            struct path np = { mntget(nd->path.mnt), child };
            follow_mounts(&np);
            if (S_ISLNK(np.dentry->inode->mode) &&
                (!is_last || slash || (flags & LOOKUP_FOLLOW))) {
                err = follow_link(nd, &np);
                if (err)
                    return err;
            } else {
                path_put(&nd->path);
                nd->path = np;
            }
        }
        if (is_last) {
            if ((slash || (flags & LOOKUP_DIRECTORY)) && !S_ISDIR(nd->path.dentry->inode->mode))
                return -ENOTDIR;
            return 0;
        }
        name = next;
    }
}

static int start_walk(struct nameidata *nd, int dirfd, const char *name)
{
    nd->links = 0;
    if (strnlen(name, PATH_MAX) >= PATH_MAX)
        return -ENAMETOOLONG;
    fs_get_root(&nd->root);
    int err;
    if (name[0] == '/') {
        nd->path = nd->root;
        path_get(&nd->path);
        err = 0;
    } else {
        err = dirfd_path(dirfd, &nd->path);
    }
    if (err)
        path_put(&nd->root);
    return err;
}

int path_lookupat(int dirfd, const char *name, unsigned flags, struct path *out)
{
    struct nameidata nd;
    if (!*name && !(flags & LOOKUP_EMPTY))
        return -ENOENT;
    int err = start_walk(&nd, dirfd, name);
    if (err)
        return err;
    if (*name)
        err = walk(&nd, name, flags, NULL);
    else if ((flags & LOOKUP_DIRECTORY) && !S_ISDIR(nd.path.dentry->inode->mode))
        err = -ENOTDIR;
    path_put(&nd.root);
    if (err) {
        path_put(&nd.path);
        return err;
    }
    *out = nd.path;
    return 0;
}

int path_parentat(int dirfd, const char *name, struct path *parent, struct last_component *last)
{
    struct nameidata nd;
    if (!*name)
        return -ENOENT;
    int err = start_walk(&nd, dirfd, name);
    if (err)
        return err;
    err = walk(&nd, name, 0, last);
    path_put(&nd.root);
    if (err) {
        path_put(&nd.path);
        return err;
    }
    *parent = nd.path;
    return 0;
}

int user_path_at(int dirfd, uaddr_t upath, unsigned flags, struct path *out)
{
    char *name = getname(upath);
    if (IS_ERR(name))
        return (int)PTR_ERR(name);
    int err = path_lookupat(dirfd, name, flags, out);
    kfree(name);
    return err;
}

/* ---- Names of paths ---- */

int path_to_string(const struct path *p, const struct path *root, char *buf, size_t size)
{
    if (size < 2)
        return -ENAMETOOLONG;
    size_t pos = size;
    buf[--pos] = 0;
    struct mount *m = p->mnt;
    struct dentry *d = p->dentry;
    int err = 0;
    spin_lock(&dcache_lock);
    while (!(d == root->dentry && m == root->mnt)) {
        if (d == m->root) {
            if (m->parent == m || !m->attached) {
                err = -ENOENT;      /* not below our root */
                break;
            }
            d = m->mountpoint;
            m = m->parent;
            continue;
        }
        if (d->parent == d) {
            err = -ENOENT;
            break;
        }
        if (pos < d->name_len + 1) {
            err = -ENAMETOOLONG;
            break;
        }
        pos -= d->name_len;
        memcpy(buf + pos, d->name, d->name_len);
        buf[--pos] = '/';
        d = d->parent;
    }
    spin_unlock(&dcache_lock);
    if (err)
        return err;
    if (pos == size - 1)
        buf[--pos] = '/';
    return (int)pos;
}

int vfs_getcwd(char *buf, size_t size)
{
    struct path root, cwd;
    fs_get_root(&root);
    fs_get_cwd(&cwd);
    int ret;
    bool deleted = cwd.dentry != cwd.mnt->root &&
                   !(cwd.dentry->flags & (DENTRY_HASHED | DENTRY_NOCACHE));
    char *tmp = kmalloc(PATH_MAX);
    if (!tmp) {
        ret = -ENOMEM;
    } else if (deleted) {
        ret = -ENOENT;
    } else {
        int off = path_to_string(&cwd, &root, tmp, PATH_MAX);
        if (off < 0) {
            ret = off;
        } else {
            size_t len = PATH_MAX - (size_t)off;     /* including the NUL */
            if (len > size) {
                ret = -ERANGE;
            } else {
                memcpy(buf, tmp + off, len);
                ret = (int)len;
            }
        }
    }
    kfree(tmp);
    path_put(&cwd);
    path_put(&root);
    return ret;
}

SYSCALL_DEFINE2(getcwd, uaddr_t, buf, unsigned long, size)
{
    if (size == 0)
        return -EINVAL;
    char *kbuf = kmalloc(PATH_MAX);
    if (!kbuf)
        return -ENOMEM;
    int len = vfs_getcwd(kbuf, size < PATH_MAX ? size : PATH_MAX);
    if (len > 0 && copy_to_user(buf, kbuf, (size_t)len) < 0)
        len = -EFAULT;
    kfree(kbuf);
    return len;
}
