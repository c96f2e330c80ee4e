/* overlayfs: looking names up through the layers, and the namespace operations of merged
 * directories (create, mkdir, symlink, link, unlink, rmdir, rename). Every change lands in the
 * upper layer; a lower entry that goes away is hidden by a whiteout. */
#include "ovl_internal.h"
#include "mm.h"
#include "string.h"

bool ovl_is_whiteout(const struct inode *inode)
{
    /* Linux's format: a character device 0/0. */
    return inode && S_ISCHR(inode->mode) && inode->rdev == 0;
}

struct dentry *ovl_real_lookup(struct dentry *dir, const char *name, size_t len, int *err)
{
    return lookup_child(dir, name, len, err);
}

bool ovl_is_opaque(struct dentry *upper_dir)
{
    int err;
    struct dentry *m = ovl_real_lookup(upper_dir, OVL_OPAQUE_NAME, strlen(OVL_OPAQUE_NAME), &err);
    if (!m)
        return false;
    dput(m);
    return true;
}

static bool is_hidden_name(const char *name, size_t len)
{
    return len == strlen(OVL_OPAQUE_NAME) && !memcmp(name, OVL_OPAQUE_NAME, len);
}

static void ovl_dir_put(struct ovl_dir *od)
{
    if (od->upper.mnt)
        path_put(&od->upper);
    for (int i = 0; i < od->nlower; i++)
        path_put(&od->lower[i]);
    od->upper.mnt = NULL;
    od->nlower = 0;
}

/* A new overlay directory inode that takes over od's references (od is copied). */
struct inode *ovl_dir_inode(struct super_block *sb, struct ovl_dir *od)
{
    struct ovl_dir *copy = kmalloc(sizeof(*copy));
    struct inode *inode = copy ? inode_new(sb, S_IFDIR) : NULL;
    if (!inode) {
        kfree(copy);
        ovl_dir_put(od);
        return NULL;
    }
    *copy = *od;
    struct inode *top = od->upper.mnt ? od->upper.dentry->inode : od->lower[0].dentry->inode;
    inode->ino = top->ino;
    inode->mode = top->mode;
    inode->uid = top->uid;
    inode->gid = top->gid;
    inode->nlink = top->nlink;
    inode->size = top->size;
    inode->blocks = top->blocks;
    inode->atime = top->atime;
    inode->mtime = top->mtime;
    inode->ctime = top->ctime;
    inode->iops = &ovl_dir_iops;
    inode->fops = &ovl_dir_fops;
    inode->private = copy;
    return inode;
}

/* Does a lower layer show `name` under the overlay directory pd? */
static bool lower_has(struct ovl_dir *pd, const char *name, size_t len)
{
    if (pd->opaque)
        return false;
    for (int i = 0; i < pd->nlower; i++) {
        int err;
        struct dentry *c = ovl_real_lookup(pd->lower[i].dentry, name, len, &err);
        if (!c)
            continue;
        bool wh = ovl_is_whiteout(c->inode);
        dput(c);
        return !wh;
    }
    return false;
}

static int ovl_lookup(struct inode *dir, struct dentry *d)
{
    struct ovl_dir *pd = OVL_DIR(dir);
    if (is_hidden_name(d->name, d->name_len))
        return -ENOENT;
    struct ovl_dir nd = { 0 };
    struct inode *real = NULL;
    bool isdir = false, stop = pd->opaque;
    int err = 0;
    if (pd->upper.mnt) {
        struct dentry *u = ovl_real_lookup(pd->upper.dentry, d->name, d->name_len, &err);
        if (err)
            return err;
        if (u && ovl_is_whiteout(u->inode)) {
            dput(u);
            return -ENOENT;
        }
        if (u && S_ISDIR(u->inode->mode)) {
            nd.upper.mnt = mntget(pd->upper.mnt);
            nd.upper.dentry = u;
            nd.opaque = ovl_is_opaque(u);
            isdir = true;
            stop = stop || nd.opaque;
        } else if (u) {
            real = u->inode;
            iget(real);
            dput(u);
            stop = true;
        }
    }
    for (int i = 0; !stop && i < pd->nlower; i++) {
        struct dentry *c = ovl_real_lookup(pd->lower[i].dentry, d->name, d->name_len, &err);
        if (err) {
            ovl_dir_put(&nd);
            return err;
        }
        if (!c)
            continue;
        if (ovl_is_whiteout(c->inode)) {
            dput(c);
            break;
        }
        if (S_ISDIR(c->inode->mode)) {
            nd.lower[nd.nlower].mnt = mntget(pd->lower[i].mnt);
            nd.lower[nd.nlower++].dentry = c;
            isdir = true;
            if (ovl_is_opaque(c))     /* a lower layer made by another overlay */
                break;
            continue;
        }
        /* A non-directory: the entry itself when it is on top, else the end of merging. */
        if (!isdir) {
            real = c->inode;
            iget(real);
        }
        dput(c);
        break;
    }
    if (!real && !isdir)
        return -ENOENT;
    if (!real && !(real = ovl_dir_inode(dir->sb, &nd)))
        return -ENOMEM;
    d_instantiate(d, real);
    /* Hashed while in use: every user of the name shares the dentry (and its copy-up). */
    d_add(d);
    return 0;
}

static void link_dentry(struct dentry *d, struct inode *inode)
{
    d_instantiate(d, inode);
    d_add(d);
    d->flags |= DENTRY_NOCACHE;
}

/* A new object named d in the overlay directory dir. Over a whiteout it is made in workdir
 * and renamed over the whiteout (one atomic step); a directory made there is opaque. */
static int ovl_make(struct inode *dir, struct dentry *d, mode_t mode, dev_t rdev,
                    const char *target)
{
    struct super_block *sb = dir->sb;
    int err = ovl_copy_up_dir(d->parent);
    if (err)
        return err;
    struct ovl_dir *pd = OVL_DIR(dir);
    struct dentry *w = ovl_real_lookup(pd->upper.dentry, d->name, d->name_len, &err);
    if (err)
        return err;
    struct dentry *made = NULL;
    if (!w) {
        err = ovl_real_create(pd->upper.dentry, d->name, d->name_len, mode, rdev, target, &made);
    } else {
        dput(w);
        char tmp[32];
        int n = ovl_tmp_name(sb, tmp, sizeof(tmp));
        struct dentry *work = OVL(sb)->work.dentry;
        err = ovl_real_create(work, tmp, n, mode, rdev, target, &made);
        if (!err && S_ISDIR(mode)) {
            struct dentry *m;
            err = ovl_real_create(made, OVL_OPAQUE_NAME, strlen(OVL_OPAQUE_NAME),
                                  S_IFREG | 0600, 0, NULL, &m);
            if (!err)
                dput(m);
        }
        if (!err)
            err = ovl_real_rename(work, made, pd->upper.dentry, d->name, d->name_len);
        if (made) {
            if (err)
                ovl_real_remove(work, made);
            dput(made);
            made = NULL;
        }
        if (!err && !(made = ovl_real_lookup(pd->upper.dentry, d->name, d->name_len, &err)))
            err = err ? err : -ENOENT;
    }
    if (err)
        return err;
    struct inode *inode;
    if (S_ISDIR(made->inode->mode)) {
        struct ovl_dir nd = { .upper = { mntget(pd->upper.mnt), made } };
        nd.opaque = ovl_is_opaque(made);
        inode = ovl_dir_inode(sb, &nd);
        if (!inode)
            return -ENOMEM;
    } else {
        inode = made->inode;
        iget(inode);
        dput(made);
    }
    link_dentry(d, inode);
    return 0;
}

static int ovl_create(struct inode *dir, struct dentry *d, mode_t mode, dev_t rdev)
{
    return ovl_make(dir, d, mode, rdev, NULL);
}

static int ovl_mkdir(struct inode *dir, struct dentry *d, mode_t mode)
{
    return ovl_make(dir, d, S_IFDIR | (mode & 07777), 0, NULL);
}

static int ovl_symlink(struct inode *dir, struct dentry *d, const char *target)
{
    return ovl_make(dir, d, S_IFLNK | 0777, 0, target);
}

/* The upper dentry of a (copied-up) non-directory d. */
static struct dentry *upper_of(struct dentry *d, int *err)
{
    struct ovl_dir *pd = OVL_DIR(d->parent->inode);
    if (!pd->upper.mnt) {
        *err = -ENOENT;
        return NULL;
    }
    struct dentry *u = ovl_real_lookup(pd->upper.dentry, d->name, d->name_len, err);
    if (u && u->inode != d->inode) {
        dput(u);
        u = NULL;
    }
    if (!u && !*err)
        *err = -ESTALE;
    return u;
}

static int ovl_link(struct dentry *old, struct inode *dir, struct dentry *d)
{
    int err = ovl_copy_up_locked(old);
    if (!err)
        err = ovl_copy_up_dir(d->parent);
    if (err)
        return err;
    struct dentry *uo = upper_of(old, &err);
    if (!uo)
        return err;
    struct ovl_dir *pd = OVL_DIR(dir);
    struct dentry *udir = pd->upper.dentry;
    struct dentry *w = ovl_real_lookup(udir, d->name, d->name_len, &err);
    if (w) {        /* a whiteout: the new link replaces it */
        err = ovl_real_remove(udir, w);
        dput(w);
    }
    struct dentry *nd = err ? NULL : d_alloc(udir, d->name, d->name_len);
    if (!err && !nd)
        err = -ENOMEM;
    if (!err)
        err = udir->inode->iops->link ? udir->inode->iops->link(uo, udir->inode, nd) : -EPERM;
    if (nd)
        dput(nd);
    if (!err) {
        iget(uo->inode);
        link_dentry(d, uo->inode);
    }
    dput(uo);
    return err;
}

/* Remove the upper entry u of a name that a lower layer also has: a whiteout made in
 * workdir replaces it in one rename. */
static int replace_with_whiteout(struct super_block *sb, struct dentry *udir, struct dentry *u,
                                 const char *name, size_t len)
{
    char tmp[32];
    int n = ovl_tmp_name(sb, tmp, sizeof(tmp));
    struct dentry *work = OVL(sb)->work.dentry, *w;
    int err = ovl_real_create(work, tmp, n, S_IFCHR, 0, NULL, &w);
    if (err)
        return err;
    if (S_ISDIR(u->inode->mode)) {
        /* A file cannot be renamed over a directory: move it out of the way first. */
        char gone[32];
        int g = ovl_tmp_name(sb, gone, sizeof(gone));
        err = ovl_real_rename(udir, u, work, gone, g);
    }
    if (!err)
        err = ovl_real_rename(work, w, udir, name, len);
    if (err)
        ovl_real_remove(work, w);
    dput(w);
    return err;
}

static int ovl_unlink(struct inode *dir, struct dentry *d)
{
    struct super_block *sb = dir->sb;
    int err = ovl_copy_up_dir(d->parent);
    if (err)
        return err;
    struct ovl_dir *pd = OVL_DIR(dir);
    struct dentry *udir = pd->upper.dentry;
    struct dentry *u = ovl_real_lookup(udir, d->name, d->name_len, &err);
    if (err)
        return err;
    bool from_upper = u && u->inode == d->inode;
    if (!from_upper)
        err = ovl_make_whiteout(sb, udir, d->name, d->name_len);
    else if (lower_has(pd, d->name, d->name_len))
        err = replace_with_whiteout(sb, udir, u, d->name, d->name_len);
    else
        err = ovl_real_remove(udir, u);
    if (u)
        dput(u);
    if (!err)
        d_drop(d);
    return err;
}

/* Empty a removed upper directory (now in workdir) of its whiteouts and marker. */
static void clear_dir(struct dentry *dir, struct path *where)
{
    struct ovl_dir tmp = { .upper = *where };
    struct ovl_list l;
    if (ovl_collect(&tmp, &l) < 0)
        return;
    size_t off = 0;
    for (struct ovl_ent *e; (e = ovl_list_next(&l, &off));) {
        int err;
        struct dentry *c = ovl_real_lookup(dir, e->name, e->len, &err);
        if (c) {
            if (!S_ISDIR(c->inode->mode))
                ovl_real_remove(dir, c);
            dput(c);
        }
    }
    ovl_list_free(&l);
}

static int ovl_rmdir(struct inode *dir, struct dentry *d)
{
    struct super_block *sb = dir->sb;
    struct ovl_dir *cd = OVL_DIR(d->inode);
    struct ovl_list l;
    int err = ovl_collect(cd, &l);
    if (err)
        return err;
    size_t visible = l.count;
    ovl_list_free(&l);
    if (visible)
        return -ENOTEMPTY;
    if ((err = ovl_copy_up_dir(d->parent)))
        return err;
    struct ovl_dir *pd = OVL_DIR(dir);
    struct dentry *udir = pd->upper.dentry;
    bool lower = lower_has(pd, d->name, d->name_len);
    if (!cd->upper.mnt)
        err = ovl_make_whiteout(sb, udir, d->name, d->name_len);
    else if (lower)
        err = replace_with_whiteout(sb, udir, cd->upper.dentry, d->name, d->name_len);
    else {
        char gone[32];
        int g = ovl_tmp_name(sb, gone, sizeof(gone));
        err = ovl_real_rename(udir, cd->upper.dentry, OVL(sb)->work.dentry, gone, g);
    }
    if (!err && cd->upper.mnt) {
        /* Now in workdir: drop what it held and the directory itself. */
        clear_dir(cd->upper.dentry, &cd->upper);
        ovl_real_remove(OVL(sb)->work.dentry, cd->upper.dentry);
    }
    if (!err)
        d_drop(d);
    return err;
}

static int ovl_rename(struct inode *odir, struct dentry *od, struct inode *ndir,
                      struct dentry *nd, unsigned flags)
{
    struct super_block *sb = odir->sb;
    if (flags & (RENAME_EXCHANGE | RENAME_WHITEOUT))
        return -EINVAL;
    /* Without Linux's redirect_dir, a directory with lower parts cannot move: EXDEV makes
     * mv copy it instead, as on Linux. */
    if (S_ISDIR(od->inode->mode) && OVL_DIR(od->inode)->nlower)
        return -EXDEV;
    if (nd->inode && S_ISDIR(nd->inode->mode) && OVL_DIR(nd->inode)->nlower)
        return -EXDEV;
    int err = S_ISDIR(od->inode->mode) ? ovl_copy_up_dir(od) : ovl_copy_up_locked(od);
    if (!err)
        err = ovl_copy_up_dir(nd->parent);
    if (err)
        return err;
    struct ovl_dir *opd = OVL_DIR(odir), *npd = OVL_DIR(ndir);
    struct dentry *uo = ovl_real_lookup(opd->upper.dentry, od->name, od->name_len, &err);
    if (!uo)
        return err ? err : -ESTALE;
    bool old_lower = lower_has(opd, od->name, od->name_len);
    struct dentry *w = NULL;
    char tmp[32];
    int n = 0;
    if (old_lower) {        /* the old name must stay hidden: a whiteout, ready in workdir */
        n = ovl_tmp_name(sb, tmp, sizeof(tmp));
        err = ovl_real_create(OVL(sb)->work.dentry, tmp, n, S_IFCHR, 0, NULL, &w);
    }
    if (!err)
        err = ovl_real_rename(opd->upper.dentry, uo, npd->upper.dentry, nd->name, nd->name_len);
    if (!err && w)
        err = ovl_real_rename(OVL(sb)->work.dentry, w, opd->upper.dentry, od->name,
                              od->name_len);
    else if (w)
        ovl_real_remove(OVL(sb)->work.dentry, w);
    if (w)
        dput(w);
    dput(uo);
    if (err)
        return err;
    if (nd->inode)
        d_drop(nd);
    d_move(od, nd->parent, nd);
    return 0;
}

const struct inode_operations ovl_dir_iops = {
    .lookup = ovl_lookup,
    .create = ovl_create,
    .mkdir = ovl_mkdir,
    .symlink = ovl_symlink,
    .link = ovl_link,
    .unlink = ovl_unlink,
    .rmdir = ovl_rmdir,
    .rename = ovl_rename,
};
