/* overlayfs: merged directory listings. At open the entries of every layer are gathered,
 * top first: a name seen in a higher layer hides the same name below, whiteouts and the
 * opaque marker hide themselves, and an opaque directory shows its upper layer only. */
#include "ovl_internal.h"
#include "mm.h"
#include "string.h"

static size_t ent_size(size_t len)
{
    return (sizeof(struct ovl_ent) + len + 1 + 7) & ~(size_t)7;
}

struct ovl_ent *ovl_list_next(struct ovl_list *l, size_t *off)
{
    while (*off < l->used) {
        struct ovl_ent *e = (struct ovl_ent *)(l->buf + *off);
        *off += ent_size(e->len);
        if (!e->hidden)
            return e;
    }
    return NULL;
}

void ovl_list_free(struct ovl_list *l)
{
    kfree(l->buf);
    l->buf = NULL;
}

static struct ovl_ent *find(struct ovl_list *l, const char *name, size_t len)
{
    for (size_t off = 0; off < l->used;) {
        struct ovl_ent *e = (struct ovl_ent *)(l->buf + off);
        if (e->len == len && !memcmp(e->name, name, len))
            return e;
        off += ent_size(e->len);
    }
    return NULL;
}

struct collect_ctx {
    struct dir_context ctx;
    struct ovl_list *l;
    int err;
    bool added;
};

static bool collect_actor(struct dir_context *ctx, const char *name, size_t len, loff_t next_pos,
                          ino_t ino, unsigned type)
{
    (void)next_pos;
    struct collect_ctx *c = container_of(ctx, struct collect_ctx, ctx);
    struct ovl_list *l = c->l;
    if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
        return true;
    if (len > NAME_MAX || find(l, name, len))
        return true;
    size_t need = ent_size(len);
    if (l->used + need > l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4096;
        while (cap < l->used + need)
            cap *= 2;
        char *nb = kmalloc(cap);
        if (!nb) {
            c->err = -ENOMEM;
            return false;
        }
        if (l->used)
            memcpy(nb, l->buf, l->used);
        kfree(l->buf);
        l->buf = nb;
        l->cap = cap;
    }
    struct ovl_ent *e = (struct ovl_ent *)(l->buf + l->used);
    e->ino = ino;
    e->type = (unsigned char)type;
    e->len = (unsigned short)len;
    e->hidden = len == strlen(OVL_OPAQUE_NAME) && !memcmp(name, OVL_OPAQUE_NAME, len);
    memcpy(e->name, name, len);
    e->name[len] = 0;
    l->used += need;
    c->added = true;
    return true;
}

/* Add one layer's entries; its whiteouts (seen as DT_CHR, checked once the listing is done,
 * since the layer's filesystem may hold its lock while it emits) become hidden names. */
static int add_layer(struct ovl_list *l, struct path *layer)
{
    size_t start = l->used;
    struct path p = *layer;
    path_get(&p);
    struct file *f;
    int err = file_open_path(&p, O_RDONLY | O_DIRECTORY, &f);
    if (err)
        return err;
    struct collect_ctx c = { .ctx = { .actor = collect_actor, .pos = 0 }, .l = l };
    if (!f->ops->iterate) {
        file_put(f);
        return -ENOTDIR;
    }
    do {
        c.added = false;
        loff_t before = c.ctx.pos;
        err = f->ops->iterate(f, &c.ctx);
        if (err < 0 || c.err || c.ctx.pos == before)
            break;
    } while (c.added);
    file_put(f);
    if (err < 0)
        return err;
    if (c.err)
        return c.err;
    for (size_t off = start; off < l->used;) {
        struct ovl_ent *e = (struct ovl_ent *)(l->buf + off);
        off += ent_size(e->len);
        if (e->type != DT_CHR || e->hidden)
            continue;
        int lerr;
        struct dentry *d = ovl_real_lookup(layer->dentry, e->name, e->len, &lerr);
        if (d) {
            e->hidden = ovl_is_whiteout(d->inode);
            dput(d);
        }
    }
    return 0;
}

int ovl_collect(struct ovl_dir *od, struct ovl_list *out)
{
    *out = (struct ovl_list){ 0 };
    int err = 0;
    if (od->upper.mnt)
        err = add_layer(out, &od->upper);
    for (int i = 0; !err && !od->opaque && i < od->nlower; i++)
        err = add_layer(out, &od->lower[i]);
    if (err) {
        ovl_list_free(out);
        return err;
    }
    size_t off = 0;
    while (ovl_list_next(out, &off))
        out->count++;
    return 0;
}

/* ---- The directory file: the listing is taken at open, as Linux's ovl_dir_open ---- */

static int ovl_dir_open(struct inode *inode, struct file *f)
{
    struct ovl_list *l = kmalloc(sizeof(*l));
    if (!l)
        return -ENOMEM;
    int err = ovl_collect(OVL_DIR(inode), l);
    if (err) {
        kfree(l);
        return err;
    }
    f->private_data = l;
    return 0;
}

static void ovl_dir_release(struct file *f)
{
    struct ovl_list *l = f->private_data;
    if (l) {
        ovl_list_free(l);
        kfree(l);
    }
}

static int ovl_iterate(struct file *f, struct dir_context *ctx)
{
    if (!dir_emit_dots(f, ctx))
        return 0;
    struct ovl_list *l = f->private_data;
    size_t off = 0;
    loff_t pos = 2;
    for (struct ovl_ent *e; (e = ovl_list_next(l, &off)); pos++) {
        if (pos < ctx->pos)
            continue;
        if (!ctx->actor(ctx, e->name, e->len, pos + 1, e->ino, e->type))
            return 0;
        ctx->pos = pos + 1;
    }
    return 0;
}

const struct file_operations ovl_dir_fops = {
    .open = ovl_dir_open,
    .release = ovl_dir_release,
    .iterate = ovl_iterate,
};
