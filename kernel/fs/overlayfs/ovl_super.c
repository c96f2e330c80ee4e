/* overlayfs: the mount (Linux's type name and options: lowerdir=a[:b...], upperdir=,
 * workdir=) and the superblock operations. */
#include "ovl_internal.h"
#include "mm.h"
#include "string.h"

static void put_layers(struct ovl_sb *o)
{
    if (o->upper.mnt)
        path_put(&o->upper);
    if (o->work.mnt)
        path_put(&o->work);
    for (int i = 0; i < o->nlower; i++)
        path_put(&o->lower[i]);
    o->upper.mnt = o->work.mnt = NULL;
    o->nlower = 0;
}

static void ovl_evict(struct inode *inode)
{
    struct ovl_dir *od = OVL_DIR(inode);
    if (!od)
        return;
    /* chmod/chown of a directory change the overlay inode (its upper directory was made by
     * the copy_up hook first): hand the result to the upper directory. */
    if (od->upper.mnt) {
        struct inode *u = od->upper.dentry->inode;
        mutex_lock(&u->lock);
        if ((u->mode & 07777) != (inode->mode & 07777) || u->uid != inode->uid ||
            u->gid != inode->gid) {
            u->mode = (u->mode & S_IFMT) | (inode->mode & 07777);
            u->uid = inode->uid;
            u->gid = inode->gid;
            u->ctime = inode->ctime;
        }
        mutex_unlock(&u->lock);
        path_put(&od->upper);
    }
    for (int i = 0; i < od->nlower; i++)
        path_put(&od->lower[i]);
    kfree(od);
    inode->private = NULL;
}

static void ovl_statfs(struct super_block *sb, struct kstatfs *st)
{
    struct path *top = OVL(sb)->upper.mnt ? &OVL(sb)->upper : &OVL(sb)->lower[0];
    struct super_block *real = top->dentry->sb;
    if (real->sops && real->sops->statfs)
        real->sops->statfs(real, st);
    st->namelen = NAME_MAX;
}

static void ovl_put_super(struct super_block *sb)
{
    for (struct ovl_retired *r = OVL(sb)->retired, *next; r; r = next) {
        next = r->next;
        iput(r->inode);
        kfree(r);
    }
    OVL(sb)->retired = NULL;
    put_layers(OVL(sb));
}

static const struct super_operations ovl_sops = {
    .evict = ovl_evict,
    .statfs = ovl_statfs,
    .put_super = ovl_put_super,
    .copy_up = ovl_copy_up,
};

static int layer_path(const char *name, struct path *out)
{
    if (!*name)
        return -EINVAL;
    return path_lookupat(AT_FDCWD, name, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, out);
}

/* Options: "lowerdir=/a:/b,upperdir=/u,workdir=/w". The paths are resolved now, as Linux
 * does: lowerdir=/etc mounted on /etc means the /etc underneath. */
static int parse_options(struct ovl_sb *o, const char *data)
{
    if (!data)
        return -EINVAL;
    char *copy = kmalloc(strlen(data) + 1);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, data, strlen(data) + 1);
    int err = 0;
    bool have_work = false;
    for (char *opt = copy, *next; opt && !err; opt = next) {
        next = strchr(opt, ',');
        if (next)
            *next++ = 0;
        if (!*opt)
            continue;
        char *val = strchr(opt, '=');
        if (val)
            *val++ = 0;
        if (!val) {
            err = -EINVAL;
        } else if (!strcmp(opt, "lowerdir") && !o->nlower) {
            for (char *l = val, *ln; l && !err; l = ln) {
                ln = strchr(l, ':');
                if (ln)
                    *ln++ = 0;
                if (o->nlower == OVL_MAX_LOWER)
                    err = -EINVAL;
                else if (!(err = layer_path(l, &o->lower[o->nlower])))
                    o->nlower++;
            }
        } else if (!strcmp(opt, "upperdir") && !o->upper.mnt) {
            err = layer_path(val, &o->upper);
        } else if (!strcmp(opt, "workdir") && !have_work) {
            err = layer_path(val, &o->work);
            have_work = !err;
        } else {
            err = -EINVAL;        /* unknown or repeated */
        }
    }
    kfree(copy);
    if (err)
        return err;
    if (!o->nlower || (!o->upper.mnt != !o->work.mnt))
        return -EINVAL;
    if (o->upper.mnt) {
        /* Copy-up renames from workdir into upperdir: one mount, one filesystem. */
        if (o->work.mnt != o->upper.mnt || o->work.dentry == o->upper.dentry ||
            d_is_ancestor(o->upper.dentry, o->work.dentry) ||
            d_is_ancestor(o->work.dentry, o->upper.dentry))
            return -EINVAL;
        if (mnt_readonly(o->upper.mnt))
            return -EROFS;
    }
    return 0;
}

/* Leftovers of an interrupted copy-up or removal in workdir: never visible, removed now. */
static void clean_workdir(struct ovl_sb *o)
{
    struct ovl_dir wd = { .upper = o->work };
    struct ovl_list l;
    if (ovl_collect(&wd, &l) < 0)
        return;
    /* Hidden entries (whiteouts) are removed as well: walk the raw list. */
    for (size_t off = 0; off < l.used;) {
        struct ovl_ent *e = (struct ovl_ent *)(l.buf + off);
        off += (sizeof(struct ovl_ent) + e->len + 1 + 7) & ~(size_t)7;
        int err;
        struct dentry *c = ovl_real_lookup(o->work.dentry, e->name, e->len, &err);
        if (!c)
            continue;
        if (S_ISDIR(c->inode->mode)) {
            struct path p = { o->work.mnt, c };
            struct ovl_dir sub = { .upper = p };
            struct ovl_list sl;
            if (ovl_collect(&sub, &sl) == 0) {
                for (size_t so = 0; so < sl.used;) {
                    struct ovl_ent *se = (struct ovl_ent *)(sl.buf + so);
                    so += (sizeof(struct ovl_ent) + se->len + 1 + 7) & ~(size_t)7;
                    struct dentry *g = ovl_real_lookup(c, se->name, se->len, &err);
                    if (g) {
                        if (!S_ISDIR(g->inode->mode))
                            ovl_real_remove(c, g);
                        dput(g);
                    }
                }
                ovl_list_free(&sl);
            }
        }
        ovl_real_remove(o->work.dentry, c);
        dput(c);
    }
    ovl_list_free(&l);
}

static int ovl_get_sb(struct file_system_type *type, const char *source, unsigned long flags,
                      const void *data, struct super_block **out)
{
    (void)source;
    struct super_block *sb = sb_new_with_info(type, OVERLAYFS_SUPER_MAGIC, &ovl_sops,
                                              sizeof(struct ovl_sb));
    if (!sb)
        return -ENOMEM;
    struct ovl_sb *o = OVL(sb);
    spin_init(&o->retired_lock, "overlay");
    int err = parse_options(o, data);
    if (err) {
        put_layers(o);
        kfree(sb);
        return err;
    }
    if (!o->upper.mnt)
        sb->flags |= MS_RDONLY;      /* lower layers only: read-only, as Linux */
    else
        clean_workdir(o);
    (void)flags;
    struct ovl_dir root = { 0 };
    if (o->upper.mnt) {
        root.upper = o->upper;
        path_get(&root.upper);
        root.opaque = ovl_is_opaque(o->upper.dentry);
    }
    for (int i = 0; i < o->nlower; i++) {
        root.lower[i] = o->lower[i];
        path_get(&root.lower[i]);
    }
    root.nlower = o->nlower;
    struct inode *inode = ovl_dir_inode(sb, &root);
    if (inode && !(sb->root = d_alloc_root(sb, inode)))
        iput(inode);
    if (!sb->root) {
        put_layers(o);
        kfree(sb);
        return -ENOMEM;
    }
    *out = sb;
    return 0;
}

static struct file_system_type ovl_type = {
    .name = "overlay",
    .get_sb = ovl_get_sb,
    .nodev = true,
};

void overlayfs_init(void)
{
    register_filesystem(&ovl_type);
}
