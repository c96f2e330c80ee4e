/* sysfs: its part of the pseudofs operations (inode numbers, children from the system,
 * attribute text, symlink targets); the generic lookup, listing and reading are in
 * ../pseudofs.c. What the nodes contain is in the other files of this directory
 * (sysfs_internal.h). Nothing here is writable: opening an attribute for writing fails with EACCES, as Linux's kernfs does for a
 * file without a store method, and directories have no create/mkdir/unlink operations. */
#include "sysfs_internal.h"
#include "mm.h"
#include "string.h"

_Static_assert(sizeof(struct sysfs_ctx) <= PSEUDO_CTX_MAX, "sysfs_ctx must fit a pseudofs context");

#define SE(e) container_of(e, const struct sysfs_entry, base)
#define SCTX(inode) ((const struct sysfs_ctx *)PSI(inode)->ctx)

/* Inode numbers: a child's number is its parent's followed by one base-256 digit (static
 * entries 1..64, system children 65 + key), so they are stable and distinct in a tree that
 * is at most five levels deep. */
#define SLOT_STATIC_MAX 64
static ino_t sysfs_ino(struct inode *dir, const void *ctx, unsigned slot)
{
    (void)ctx;
    return dir->ino * 256 + 1 + slot;
}

static const struct pseudo_entry *sysfs_entry_at(const struct pseudo_entry *dir, size_t i)
{
    const struct sysfs_dir *sd = SE(dir)->dir;
    return i < sd->nentries ? &sd->entries[i].base : NULL;
}

/* Positions are the children's keys. */
static long sysfs_next(struct inode *dir, long from, struct pseudo_child *out)
{
    const struct sysfs_dir *sd = SE(PSI(dir)->entry)->dir;
    const struct sysfs_entry *e;
    if (!sd->next_child || from >= SYSFS_MAX_KEY)
        return -1;
    _Static_assert(sizeof out->namebuf >= SYSFS_NAME_MAX, "sysfs names fit a pseudo_child");
    long key = sd->next_child(SCTX(dir), from, out->namebuf, (struct sysfs_ctx *)out->ctx, &e);
    if (key < 0)
        return -1;
    out->name = out->namebuf;
    out->entry = &e->base;
    out->slot = SLOT_STATIC_MAX + (unsigned)key;
    return key;
}

/* An attribute's text is at most a page, as in Linux (a binary one: a page of bytes). */
static int sysfs_show(struct inode *inode, struct pseudo_buf *b)
{
    const struct sysfs_entry *e = SE(PSI(inode)->entry);
    char *page = kmalloc(SYSFS_ATTR_MAX);
    if (!page)
        return -ENOMEM;
    int n = e->show(SCTX(inode), page, SYSFS_ATTR_MAX);
    if (n >= 0)
        pb_write(b, page, MIN((size_t)n, e->binary ? SYSFS_ATTR_MAX : SYSFS_ATTR_MAX - 1));
    kfree(page);
    return n < 0 ? n : 0;
}

static int sysfs_get_link(struct dentry *d, char *buf, size_t size)
{
    return SE(PSI(d->inode)->entry)->link(SCTX(d->inode), buf, size);
}

static const struct inode_operations sysfs_link_iops = {
    .get_link = sysfs_get_link,
};

static const struct sysfs_entry sysfs_root_entry = {
    .base = { "/", S_IFDIR | 0555 }, .dir = &sysfs_root_dir,
};
static const struct sysfs_ctx sysfs_root_ctx;

static struct pseudofs sysfs = {
    .type = { .name = "sysfs" },
    .magic = SYSFS_MAGIC,
    .ctx_size = sizeof(struct sysfs_ctx),
    .root = &sysfs_root_entry.base,
    .root_ctx = &sysfs_root_ctx,
    .entry_at = sysfs_entry_at,
    .ino = sysfs_ino,
    .next = sysfs_next,
    .show = sysfs_show,
    .link_iops = &sysfs_link_iops,
};

void sysfs_init(void)
{
    pseudofs_register(&sysfs);
}
