/* Mount propagation: peer groups and slaves (see pnode.h).
 *
 * A shared mount is in a peer group, a ring linked through `share`; a mount or umount on any
 * member happens on every member where the mountpoint is visible. A slave receives from its
 * master's group but does not send back; `master` points at one mount of that group, and
 * the master's `slaves` list holds it. A group's slaves hang off its members: a mount leaving
 * the group hands its slaves to a remaining peer. The rings are walked by taking a snapshot
 * first, because propagation adds members (the copies) to the groups it walks. */
#include "pnode.h"
#include "mm.h"
#include "errno.h"

static int next_group_id = 1;

void pnode_init(struct mount *m)
{
    list_init(&m->share);
    list_init(&m->slaves);
    list_init(&m->slave_node);
    m->group = 0;
    m->master = NULL;
    m->unbindable = false;
}

static bool is_shared(const struct mount *m)
{
    return m->group != 0;
}

static struct mount *next_peer(struct mount *m)
{
    return list_entry(m->share.next, struct mount, share);
}

static void make_slave_of(struct mount *m, struct mount *master)
{
    m->master = master;
    if (master)
        list_add_tail(&m->slave_node, &master->slaves);
    else
        list_init(&m->slave_node);
}

void pnode_forget(struct mount *m)
{
    struct mount *heir = list_empty(&m->share) ? m->master : next_peer(m);
    while (!list_empty(&m->slaves)) {
        struct mount *s = list_entry(m->slaves.next, struct mount, slave_node);
        list_del(&s->slave_node);
        make_slave_of(s, heir);
    }
    list_del(&m->share);
    m->group = 0;
    if (m->master) {
        list_del(&m->slave_node);
        m->master = NULL;
    }
}

void pnode_set_type(struct mount *m, unsigned long type)
{
    struct mount *master;
    switch (type) {
    case MS_SHARED:
        if (!is_shared(m))
            m->group = next_group_id++;
        m->unbindable = false;
        break;
    case MS_SLAVE:
        /* A shared mount becomes a slave of its former group; a private one stays private. */
        if (is_shared(m)) {
            master = list_empty(&m->share) ? m->master : next_peer(m);
            pnode_forget(m);
            make_slave_of(m, master);
        }
        m->unbindable = false;
        break;
    case MS_PRIVATE:
        pnode_forget(m);
        m->unbindable = false;
        break;
    case MS_UNBINDABLE:
        pnode_forget(m);
        m->unbindable = true;
        break;
    }
}

void pnode_bind(struct mount *src, struct mount *copy)
{
    if (is_shared(src)) {
        list_add(&copy->share, &src->share);
        copy->group = src->group;
    }
    if (src->master)
        make_slave_of(copy, src->master);
}

int pnode_group(const struct mount *m)
{
    return m->group;
}

int pnode_master_group(const struct mount *m)
{
    return m->master ? m->master->group : 0;
}

/* d lies in the part of its filesystem that t shows. */
static bool mount_sees(struct mount *t, struct dentry *d)
{
    if (t->sb != d->sb)
        return false;
    for (struct dentry *x = d; ; x = x->parent) {
        if (x == t->root)
            return true;
        if (x->parent == x)
            return false;
    }
}

/* The members of g's peer group (g alone when it is not shared), or NULL (-ENOMEM). */
static struct mount **group_snapshot(struct mount *g, int *count)
{
    int n = 1;
    for (struct mount *y = next_peer(g); y != g && !list_empty(&g->share); y = next_peer(y))
        n++;
    struct mount **v = kmalloc(sizeof(*v) * (size_t)n);
    if (!v)
        return NULL;
    v[0] = g;
    for (int i = 1; i < n; i++)
        v[i] = next_peer(v[i - 1]);
    *count = n;
    return v;
}

static struct mount **slaves_snapshot(struct mount *y, int *count)
{
    int n = 0;
    struct mount *s;
    list_for_each_entry(s, &y->slaves, slave_node)
        n++;
    *count = n;
    if (n == 0)
        return NULL;
    struct mount **v = kmalloc(sizeof(*v) * (size_t)n);
    if (!v)
        return ERR_PTR(-ENOMEM);
    int i = 0;
    list_for_each_entry(s, &y->slaves, slave_node)
        v[i++] = s;
    return v;
}

/* Visits g's peer group and then, depth first, the group of every slave of its members (the
 * receivers of a mount event on g). visit() gets the members and the value its caller level
 * returned (`up`), and returns what the levels below it get. */
typedef void *(*group_visit)(struct mount **members, int n, void *up, void *ctx, int *err);

static int walk_receivers(struct mount *g, group_visit visit, void *up, void *ctx)
{
    int n, err = 0;
    struct mount **members = group_snapshot(g, &n);
    if (!members)
        return -ENOMEM;
    void *down = visit(members, n, up, ctx, &err);
    for (int i = 0; i < n && err == 0; i++) {
        int ns;
        struct mount **slaves = slaves_snapshot(members[i], &ns);
        if (IS_ERR(slaves)) {
            err = PTR_ERR(slaves);
            break;
        }
        for (int j = 0; j < ns && err == 0; j++)
            err = walk_receivers(slaves[j], visit, down, ctx);
        kfree(slaves);
    }
    kfree(members);
    return err;
}

struct mount_walk {
    struct mount *src;          /* the new mount */
    struct dentry *d;           /* where it sits */
    struct mount *skip, *first; /* origin group only: the parent, which has src already */
};

/* Mount a copy of src at d on every member of a group that shows d. The copies in one group
 * are peers of each other (a new group when the members are shared), and slaves of `up`, the
 * copy in the group this one receives from (NULL at the origin). Returns this group's copy. */
static void *copy_into_group(struct mount **members, int n, void *up, void *ctx, int *err)
{
    struct mount_walk *w = ctx;
    struct mount *master = up, *first = w->first, *skip = w->skip;
    w->first = w->skip = NULL;
    bool shared = is_shared(members[0]);
    for (int i = 0; i < n; i++) {
        struct mount *y = members[i];
        if (y == skip || y == w->src || !mount_sees(y, w->d))
            continue;
        struct mount *c = mount_copy_at(w->src, y, w->d);
        if (!c) {
            *err = -ENOMEM;
            break;
        }
        if (first && shared) {
            list_add(&c->share, &first->share);
            c->group = first->group;
        } else if (!first) {
            first = c;
            if (shared)
                c->group = next_group_id++;
        }
        if (master)
            make_slave_of(c, master);
    }
    return first ? first : master;
}

int pnode_propagate_mount(struct mount *m)
{
    struct mount *parent = m->parent;
    if (!is_shared(parent))
        return 0;
    if (!is_shared(m))
        m->group = next_group_id++;
    struct mount_walk w = { .src = m, .d = m->mountpoint, .skip = parent, .first = m };
    return walk_receivers(parent, copy_into_group, NULL, &w);
}

struct umount_walk {
    struct mount *origin, **out;
    struct dentry *d;
    int count, max;
};

/* The mount on top of d in each member (but the origin's parent), if it has none itself. */
static void *collect_tops(struct mount **members, int n, void *up, void *ctx, int *err)
{
    (void)err;
    struct umount_walk *w = ctx;
    for (int i = 0; i < n; i++) {
        struct mount *y = members[i];
        if (y == w->origin->parent)
            continue;
        struct mount *c = lookup_mnt(y, w->d);
        if (!c)
            continue;
        if (c == w->origin || mount_has_children(c) || w->count == w->max)
            mntput(c);
        else
            w->out[w->count++] = c;
    }
    return up;
}

int pnode_umount_list(struct mount *m, struct mount **out, int max)
{
    if (!is_shared(m->parent))
        return 0;
    struct umount_walk w = { .origin = m, .out = out, .d = m->mountpoint, .count = 0,
                             .max = max };
    int err = walk_receivers(m->parent, collect_tops, NULL, &w);
    if (err < 0) {
        for (int i = 0; i < w.count; i++)
            mntput(out[i]);
        return err;
    }
    return w.count;
}
