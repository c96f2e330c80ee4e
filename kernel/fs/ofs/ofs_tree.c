/* OFS core: the copy-on-write B+tree that holds all metadata.
 *
 * Nodes are cached in memory as their on-disk bytes (plus room for one item of overflow).
 * A node that changes becomes "dirty": its committed block is released to the transaction's
 * space map at once (the committed map still protects it until the next commit), and it gets
 * a new block only when the commit writes it. Since every change descends from the root and
 * makes each node on the path dirty, a dirty node's parent is always dirty, and the commit
 * writes children before parents so each parent stores its children's new addresses and
 * checksums.
 *
 * Interior nodes: key[i] bounds child i from below for i >= 1 (key[0] is not used for
 * searching); leaves: items in key order. Splits happen on overflow; a node that becomes
 * empty is removed and a root with one child is replaced by it. */
#include "ofs.h"
#include "crc32.h"
#include "kernel.h"
#include "mm.h"
#include "string.h"

#define NODE_BUF (OFS_BLOCK_SIZE + OFS_LEAF_ITEM_HDR + OFS_MAX_VALUE + 64)

struct ofs_node {
    uint64_t blk;               /* the committed copy's block (0 while dirty) */
    uint32_t crc;               /* its checksum (valid when clean) */
    uint8_t level;
    bool dirty;
    unsigned n;                 /* items or children */
    size_t used;                /* bytes of buf in use, header included */
    uint8_t *buf;
    struct ofs_node **child;    /* interior: cached children (NULL: not loaded) */
};

/* ---- Node memory ---- */

static struct ofs_node *node_alloc(struct ofs_fs *fs, unsigned level)
{
    struct ofs_node *nd = kzalloc(sizeof(*nd));
    if (!nd)
        return NULL;
    nd->buf = kzalloc(NODE_BUF);
    if (level > 0)
        nd->child = kzalloc(sizeof(struct ofs_node *) * (OFS_MAX_FANOUT + 2));
    if (!nd->buf || (level > 0 && !nd->child)) {
        kfree(nd->buf);
        kfree(nd->child);
        kfree(nd);
        return NULL;
    }
    nd->level = (uint8_t)level;
    nd->used = OFS_NODE_HDR;
    fs->cached_nodes++;
    return nd;
}

static void node_free_tree(struct ofs_fs *fs, struct ofs_node *nd)
{
    if (!nd)
        return;
    if (nd->level > 0)
        for (unsigned i = 0; i < nd->n; i++)
            node_free_tree(fs, nd->child[i]);
    if (nd->dirty && fs->dirty_nodes)
        fs->dirty_nodes--;
    kfree(nd->buf);
    kfree(nd->child);
    kfree(nd);
    fs->cached_nodes--;
}

/* Free one node whose children (if any) are already gone or moved. */
static void node_free_one(struct ofs_fs *fs, struct ofs_node *nd)
{
    if (nd->dirty && fs->dirty_nodes)
        fs->dirty_nodes--;
    kfree(nd->buf);
    kfree(nd->child);
    kfree(nd);
    fs->cached_nodes--;
}

static int load_node(struct ofs_fs *fs, uint64_t blk, uint32_t crc, unsigned level,
                     struct ofs_node **out)
{
    const char *why = "";
    if (blk < OFS_SB_SLOTS || blk >= fs->sb.total_blocks)
        return ofs_error(fs, 0, -EUCLEAN, "tree pointer out of range");
    struct ofs_node *nd = node_alloc(fs, level);
    if (!nd)
        return -ENOMEM;
    int r = fs->io.read(fs->io.ctx, blk, nd->buf);
    if (r < 0) {
        node_free_one(fs, nd);
        return ofs_error(fs, 0, r, "I/O error reading a tree node");
    }
    if (!ofs_crc_ok(crc, nd->buf, OFS_BLOCK_SIZE)) {
        node_free_one(fs, nd);
        return ofs_error(fs, 0, -EUCLEAN, "tree node checksum mismatch");
    }
    if (ofs_node_validate(nd->buf, blk, level, fs->sb.total_blocks, &why) < 0) {
        node_free_one(fs, nd);
        return ofs_error(fs, 0, -EUCLEAN, why);
    }
    nd->blk = blk;
    nd->crc = crc;
    nd->n = ofs_get16(nd->buf + 6);
    if (level == 0) {
        size_t off = OFS_NODE_HDR;
        for (unsigned i = 0; i < nd->n; i++)
            off += OFS_LEAF_ITEM_HDR + ofs_get16(nd->buf + off + OFS_KEY_SIZE);
        nd->used = off;
    } else {
        nd->used = OFS_NODE_HDR + (size_t)nd->n * OFS_PTR_ITEM;
    }
    *out = nd;
    return 0;
}

static uint8_t *ptr_at(struct ofs_node *nd, unsigned i)
{
    return nd->buf + OFS_NODE_HDR + (size_t)i * OFS_PTR_ITEM;
}

static int get_child(struct ofs_fs *fs, struct ofs_node *nd, unsigned i, struct ofs_node **out)
{
    if (!nd->child[i]) {
        uint8_t *p = ptr_at(nd, i);
        int r = load_node(fs, ofs_get64(p + OFS_KEY_SIZE), ofs_get32(p + OFS_KEY_SIZE + 8),
                          nd->level - 1u, &nd->child[i]);
        if (r < 0)
            return r;
    }
    *out = nd->child[i];
    return 0;
}

/* The child of an interior node whose range holds key. */
static unsigned ptr_search(struct ofs_node *nd, const struct ofs_key *key)
{
    unsigned i = 0;
    for (unsigned j = 1; j < nd->n; j++) {
        struct ofs_key k;
        ofs_key_get(ptr_at(nd, j), &k);
        if (ofs_key_cmp(&k, key) > 0)
            break;
        i = j;
    }
    return i;
}

/* In a leaf: the byte offset and index of the first item >= key; true if equal. */
static bool leaf_search(struct ofs_node *nd, const struct ofs_key *key, size_t *off_out,
                        unsigned *idx_out)
{
    size_t off = OFS_NODE_HDR;
    unsigned i;
    bool exact = false;
    for (i = 0; i < nd->n; i++) {
        struct ofs_key k;
        ofs_key_get(nd->buf + off, &k);
        int c = ofs_key_cmp(&k, key);
        if (c >= 0) {
            exact = c == 0;
            break;
        }
        off += OFS_LEAF_ITEM_HDR + ofs_get16(nd->buf + off + OFS_KEY_SIZE);
    }
    *off_out = off;
    *idx_out = i;
    return exact;
}

static size_t leaf_item_size(struct ofs_node *nd, size_t off)
{
    return OFS_LEAF_ITEM_HDR + ofs_get16(nd->buf + off + OFS_KEY_SIZE);
}

static void mark_dirty(struct ofs_fs *fs, struct ofs_node *nd)
{
    if (nd->dirty)
        return;
    nd->dirty = true;
    fs->dirty_nodes++;
    fs->dirty = true;
    if (nd->blk) {
        ofs_free_block(fs, nd->blk);
        nd->blk = 0;
    }
}

/* ---- Lookups ---- */

static int find_leaf(struct ofs_fs *fs, const struct ofs_key *key, struct ofs_node **path,
                     unsigned *pos, bool cow)
{
    struct ofs_node *nd = fs->root;
    if (!nd)
        return -EIO;
    if (cow)
        mark_dirty(fs, nd);
    while (nd->level > 0) {
        unsigned i = ptr_search(nd, key);
        struct ofs_node *c;
        int r = get_child(fs, nd, i, &c);
        if (r < 0)
            return r;
        if (c->level + 1u != nd->level)
            return ofs_error(fs, 0, -EUCLEAN, "tree level mismatch");
        path[nd->level] = nd;
        pos[nd->level] = i;
        if (cow)
            mark_dirty(fs, c);
        nd = c;
    }
    path[0] = nd;
    pos[0] = 0;
    return 0;
}

int ofs_tree_lookup(struct ofs_fs *fs, const struct ofs_key *key, void *val, size_t cap,
                    size_t *len)
{
    struct ofs_node *path[OFS_MAX_LEVEL];
    unsigned pos[OFS_MAX_LEVEL];
    int r = find_leaf(fs, key, path, pos, false);
    if (r < 0)
        return r;
    size_t off;
    unsigned idx;
    if (!leaf_search(path[0], key, &off, &idx))
        return -ENOENT;
    size_t vlen = ofs_get16(path[0]->buf + off + OFS_KEY_SIZE);
    if (val)
        memcpy(val, path[0]->buf + off + OFS_LEAF_ITEM_HDR, MIN(vlen, cap));
    if (len)
        *len = vlen;
    return 0;
}

int ofs_tree_next(struct ofs_fs *fs, const struct ofs_key *key, struct ofs_key *found,
                  void *val, size_t cap, size_t *len)
{
    struct ofs_node *path[OFS_MAX_LEVEL];
    unsigned pos[OFS_MAX_LEVEL];
    struct ofs_key k = *key;
    /* Bounded: each round either returns or moves to the next leaf, whose first key is
     * larger than every key seen so far. */
    for (unsigned rounds = 0; rounds < (1u << 30); rounds++) {
        int r = find_leaf(fs, &k, path, pos, false);
        if (r < 0)
            return r;
        size_t off;
        unsigned idx;
        leaf_search(path[0], &k, &off, &idx);
        if (idx < path[0]->n) {
            size_t vlen = ofs_get16(path[0]->buf + off + OFS_KEY_SIZE);
            ofs_key_get(path[0]->buf + off, found);
            if (val)
                memcpy(val, path[0]->buf + off + OFS_LEAF_ITEM_HDR, MIN(vlen, cap));
            if (len)
                *len = vlen;
            return 0;
        }
        /* Past this leaf: continue from the separator of the next subtree up the path. */
        unsigned lvl;
        for (lvl = 1; lvl <= fs->root->level; lvl++)
            if (pos[lvl] + 1 < path[lvl]->n)
                break;
        if (lvl > fs->root->level)
            return -ENOENT;
        struct ofs_key next;
        ofs_key_get(ptr_at(path[lvl], pos[lvl] + 1), &next);
        if (ofs_key_cmp(&next, &k) <= 0)
            return ofs_error(fs, 0, -EUCLEAN, "tree separators out of order");
        k = next;
    }
    return -ELOOP;
}

/* ---- Changes ---- */

static void ptr_insert(struct ofs_node *nd, unsigned j, const struct ofs_key *key,
                       struct ofs_node *child)
{
    uint8_t *p = ptr_at(nd, j);
    memmove(p + OFS_PTR_ITEM, p, (size_t)(nd->n - j) * OFS_PTR_ITEM);
    memmove(&nd->child[j + 1], &nd->child[j], sizeof(nd->child[0]) * (nd->n - j));
    memset(p, 0, OFS_PTR_ITEM);
    ofs_key_put(p, key);
    nd->child[j] = child;
    nd->n++;
    nd->used += OFS_PTR_ITEM;
}

static void ptr_remove(struct ofs_node *nd, unsigned j)
{
    uint8_t *p = ptr_at(nd, j);
    memmove(p, p + OFS_PTR_ITEM, (size_t)(nd->n - j - 1) * OFS_PTR_ITEM);
    memmove(&nd->child[j], &nd->child[j + 1], sizeof(nd->child[0]) * (nd->n - j - 1));
    nd->n--;
    nd->used -= OFS_PTR_ITEM;
    nd->child[nd->n] = NULL;
    memset(nd->buf + nd->used, 0, OFS_PTR_ITEM);
}

static bool overfull(struct ofs_node *nd)
{
    return nd->level == 0 ? nd->used > OFS_BLOCK_SIZE : nd->n > OFS_MAX_FANOUT;
}

/* Split path[lvl] in two and hang the right half in its parent (or a new root). */
static int split(struct ofs_fs *fs, struct ofs_node **path, unsigned *pos, unsigned lvl)
{
    struct ofs_node *nd = path[lvl];
    struct ofs_node *right = node_alloc(fs, nd->level);
    if (!right)
        return -ENOMEM;
    right->dirty = true;
    fs->dirty_nodes++;
    unsigned k;
    if (nd->level == 0) {
        size_t target = OFS_NODE_HDR + (nd->used - OFS_NODE_HDR) / 2;
        size_t off = OFS_NODE_HDR;
        k = 0;
        while (k < nd->n && off + leaf_item_size(nd, off) <= target) {
            off += leaf_item_size(nd, off);
            k++;
        }
        if (k == 0) {
            off += leaf_item_size(nd, off);
            k = 1;
        }
        size_t rbytes = nd->used - off;
        memcpy(right->buf + OFS_NODE_HDR, nd->buf + off, rbytes);
        right->used = OFS_NODE_HDR + rbytes;
        right->n = nd->n - k;
        memset(nd->buf + off, 0, rbytes);
        nd->used = off;
        nd->n = k;
    } else {
        k = nd->n / 2;
        size_t rbytes = (size_t)(nd->n - k) * OFS_PTR_ITEM;
        memcpy(right->buf + OFS_NODE_HDR, ptr_at(nd, k), rbytes);
        memcpy(right->child, &nd->child[k], sizeof(nd->child[0]) * (nd->n - k));
        memset(&nd->child[k], 0, sizeof(nd->child[0]) * (nd->n - k));
        memset(ptr_at(nd, k), 0, rbytes);
        right->n = nd->n - k;
        right->used = OFS_NODE_HDR + rbytes;
        nd->n = k;
        nd->used = OFS_NODE_HDR + (size_t)k * OFS_PTR_ITEM;
    }
    struct ofs_key sep, first;
    ofs_key_get(right->buf + OFS_NODE_HDR, &sep);
    if (nd == fs->root) {
        if (fs->root->level + 1u >= OFS_MAX_LEVEL)
            return ofs_error(fs, 0, -EFBIG, "tree too tall");
        struct ofs_node *root = node_alloc(fs, nd->level + 1u);
        if (!root)
            return -ENOMEM;
        root->dirty = true;
        fs->dirty_nodes++;
        ofs_key_get(nd->buf + OFS_NODE_HDR, &first);
        ptr_insert(root, 0, &first, nd);
        ptr_insert(root, 1, &sep, right);
        fs->root = root;
        fs->height = root->level + 1u;
        return 0;
    }
    struct ofs_node *parent = path[lvl + 1];
    ptr_insert(parent, pos[lvl + 1] + 1, &sep, right);
    return 0;
}

int ofs_tree_insert(struct ofs_fs *fs, const struct ofs_key *key, const void *val, size_t len,
                    bool replace)
{
    if (len > OFS_MAX_VALUE)
        return -EINVAL;
    if (fs->readonly)
        return -EROFS;
    if (!replace && ofs_tree_lookup(fs, key, NULL, 0, NULL) == 0)
        return -EEXIST;
    struct ofs_node *path[OFS_MAX_LEVEL];
    unsigned pos[OFS_MAX_LEVEL];
    int r = find_leaf(fs, key, path, pos, true);
    if (r < 0)
        return r;
    struct ofs_node *leaf = path[0];
    size_t off;
    unsigned idx;
    if (leaf_search(leaf, key, &off, &idx)) {
        size_t old = leaf_item_size(leaf, off);
        if (old == OFS_LEAF_ITEM_HDR + len) {
            memcpy(leaf->buf + off + OFS_LEAF_ITEM_HDR, val, len);
            return 0;
        }
        memmove(leaf->buf + off, leaf->buf + off + old, leaf->used - off - old);
        leaf->used -= old;
        memset(leaf->buf + leaf->used, 0, old);
        leaf->n--;
    }
    size_t sz = OFS_LEAF_ITEM_HDR + len;
    memmove(leaf->buf + off + sz, leaf->buf + off, leaf->used - off);
    ofs_key_put(leaf->buf + off, key);
    ofs_put16(leaf->buf + off + OFS_KEY_SIZE, (uint16_t)len);
    if (len)
        memcpy(leaf->buf + off + OFS_LEAF_ITEM_HDR, val, len);
    leaf->used += sz;
    leaf->n++;
    unsigned height = fs->height;     /* a root split raises fs->height: stop there */
    for (unsigned lvl = 0; lvl < height && overfull(path[lvl]); lvl++) {
        r = split(fs, path, pos, lvl);
        if (r < 0)
            return ofs_error(fs, 0, r, "cannot split a tree node");
    }
    return 0;
}

/* A leaf that fell below a quarter full absorbs, or is absorbed by, a neighbour under the
 * same parent when both fit in one block, so deletions do not leave the tree sparse. */
static int merge_leaf(struct ofs_fs *fs, struct ofs_node *parent, unsigned idx,
                      struct ofs_node **survivor)
{
    if (parent->n < 2)
        return 0;
    unsigned j = idx + 1 < parent->n ? idx : idx - 1;
    struct ofs_node *l, *r;
    int err = get_child(fs, parent, j, &l);
    if (err == 0)
        err = get_child(fs, parent, j + 1, &r);
    if (err < 0)
        return err;
    if (l->level != 0 || r->level != 0)
        return ofs_error(fs, 0, -EUCLEAN, "tree level mismatch");
    size_t rbytes = r->used - OFS_NODE_HDR;
    if (l->used + rbytes > OFS_BLOCK_SIZE)
        return 0;
    mark_dirty(fs, l);
    mark_dirty(fs, r);
    memcpy(l->buf + l->used, r->buf + OFS_NODE_HDR, rbytes);
    l->used += rbytes;
    l->n += r->n;
    ptr_remove(parent, j + 1);
    node_free_one(fs, r);
    *survivor = l;
    return 0;
}

int ofs_tree_delete(struct ofs_fs *fs, const struct ofs_key *key)
{
    if (fs->readonly)
        return -EROFS;
    int r = ofs_tree_lookup(fs, key, NULL, 0, NULL);
    if (r < 0)
        return r;
    struct ofs_node *path[OFS_MAX_LEVEL];
    unsigned pos[OFS_MAX_LEVEL];
    r = find_leaf(fs, key, path, pos, true);
    if (r < 0)
        return r;
    struct ofs_node *leaf = path[0];
    size_t off;
    unsigned idx;
    if (!leaf_search(leaf, key, &off, &idx))
        return ofs_error(fs, 0, -EUCLEAN, "tree item vanished");
    size_t sz = leaf_item_size(leaf, off);
    memmove(leaf->buf + off, leaf->buf + off + sz, leaf->used - off - sz);
    leaf->used -= sz;
    memset(leaf->buf + leaf->used, 0, sz);
    leaf->n--;
    if (leaf->n > 0 && fs->height > 1 && leaf->used < OFS_BLOCK_SIZE / 4) {
        r = merge_leaf(fs, path[1], pos[1], &path[0]);  /* the leaf may be the one freed */
        if (r < 0)
            return r;
    }
    /* Remove emptied nodes bottom-up (never the root). */
    for (unsigned lvl = 0; lvl + 1 < fs->height && path[lvl]->n == 0; lvl++) {
        struct ofs_node *parent = path[lvl + 1];
        ptr_remove(parent, pos[lvl + 1]);
        node_free_one(fs, path[lvl]);
    }
    /* Shrink the tree while the root has a single child; an interior root with none
     * becomes an empty leaf. */
    while (fs->root->level > 0 && fs->root->n <= 1) {
        struct ofs_node *old = fs->root;
        if (old->n == 0) {
            struct ofs_node *leafroot = node_alloc(fs, 0);
            if (!leafroot)
                return ofs_error(fs, 0, -ENOMEM, "out of memory shrinking the tree");
            leafroot->dirty = true;
            fs->dirty_nodes++;
            fs->root = leafroot;
        } else {
            struct ofs_node *c;
            r = get_child(fs, old, 0, &c);
            if (r < 0)
                return r;
            mark_dirty(fs, c);
            old->child[0] = NULL;
            old->n = 0;
            fs->root = c;
        }
        node_free_one(fs, old);
        fs->height = fs->root->level + 1u;
    }
    return 0;
}

/* ---- Commit ---- */

static int write_node(struct ofs_fs *fs, struct ofs_node *nd, uint64_t gen)
{
    if (nd->level > 0) {
        for (unsigned i = 0; i < nd->n; i++) {
            struct ofs_node *c = nd->child[i];
            if (!c || !c->dirty)
                continue;
            int r = write_node(fs, c, gen);
            if (r < 0)
                return r;
            uint8_t *p = ptr_at(nd, i);
            ofs_put64(p + OFS_KEY_SIZE, c->blk);
            ofs_put32(p + OFS_KEY_SIZE + 8, c->crc);
        }
    }
    uint64_t blk;
    int r = ofs_alloc_block(fs, fs->alloc_cursor, &blk);
    if (r < 0)
        return r;
    fs->alloc_cursor = blk + 1;
    memcpy(nd->buf, OFS_NODE_MAGIC, 4);
    nd->buf[4] = nd->level;
    nd->buf[5] = 0;
    ofs_put16(nd->buf + 6, (uint16_t)nd->n);
    ofs_put64(nd->buf + 8, gen);
    ofs_put64(nd->buf + 16, blk);
    memset(nd->buf + nd->used, 0, NODE_BUF - nd->used);
    nd->crc = crc32c(0, nd->buf, OFS_BLOCK_SIZE);
    r = fs->io.write(fs->io.ctx, blk, nd->buf);
    if (r < 0)
        return r;
    nd->blk = blk;
    nd->dirty = false;
    fs->dirty_nodes--;
    return 0;
}

int ofs_tree_write(struct ofs_fs *fs, struct ofs_ptr *root_out, unsigned *level_out)
{
    if (fs->root->dirty) {
        int r = write_node(fs, fs->root, fs->sb.seq + 1);
        if (r < 0)
            return r;
    }
    root_out->blk = fs->root->blk;
    root_out->crc = fs->root->crc;
    *level_out = fs->root->level;
    return 0;
}

int ofs_tree_load_root(struct ofs_fs *fs, const struct ofs_ptr *root, unsigned level)
{
    struct ofs_node *nd;
    int r = load_node(fs, root->blk, root->crc, level, &nd);
    if (r < 0)
        return r;
    fs->root = nd;
    fs->height = level + 1;
    return 0;
}

void ofs_tree_free(struct ofs_fs *fs)
{
    node_free_tree(fs, fs->root);
    fs->root = NULL;
}

int ofs_tree_init_empty(struct ofs_fs *fs)
{
    struct ofs_node *nd = node_alloc(fs, 0);
    if (!nd)
        return -ENOMEM;
    nd->dirty = true;
    fs->dirty_nodes++;
    fs->dirty = true;
    fs->root = nd;
    fs->height = 1;
    return 0;
}

/* Drop every cached node below the root (all clean: called right after a commit). */
void ofs_shrink_cache(struct ofs_fs *fs)
{
    struct ofs_node *root = fs->root;
    if (!root || root->level == 0 || fs->dirty_nodes)
        return;
    for (unsigned i = 0; i < root->n; i++) {
        node_free_tree(fs, root->child[i]);
        root->child[i] = NULL;
    }
}

/* ---- Walk the committed tree from disk (fsck) ---- */

static int walk(struct ofs_fs *fs, uint64_t blk, uint32_t crc, unsigned level,
                const struct ofs_key *lo, const struct ofs_key *hi, ofs_node_visit_t visit,
                void *ctx, uint8_t *bufs)
{
    uint8_t *b = bufs + (size_t)level * OFS_BLOCK_SIZE;
    const char *why = NULL;
    if (blk < OFS_SB_SLOTS || blk >= fs->sb.total_blocks)
        why = "pointer out of range";
    else if (fs->io.read(fs->io.ctx, blk, b) < 0)
        why = "read error";
    else if (!ofs_crc_ok(crc, b, OFS_BLOCK_SIZE))
        why = "checksum mismatch";
    else
        ofs_node_validate(b, blk, level, fs->sb.total_blocks, &why);
    if (why)
        return visit(ctx, blk, NULL, level, lo, hi, why);
    int r = visit(ctx, blk, b, level, lo, hi, NULL);
    if (r < 0)
        return r;
    if (r > 0 || level == 0)
        return 0;       /* the visitor skips this subtree (a block seen twice: no DAG walks) */
    unsigned n = ofs_get16(b + 6);
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *p = b + OFS_NODE_HDR + (size_t)i * OFS_PTR_ITEM;
        struct ofs_key clo, chi;
        ofs_key_get(p, &clo);
        bool has_hi = i + 1 < n;
        if (has_hi)
            ofs_key_get(p + OFS_PTR_ITEM, &chi);
        r = walk(fs, ofs_get64(p + OFS_KEY_SIZE), ofs_get32(p + OFS_KEY_SIZE + 8), level - 1,
                 i == 0 ? lo : &clo, has_hi ? &chi : hi, visit, ctx, bufs);
        if (r < 0)
            return r;
    }
    return 0;
}

int ofs_tree_walk_disk(struct ofs_fs *fs, const struct ofs_ptr *root, unsigned level,
                       ofs_node_visit_t visit, void *ctx)
{
    if (level >= OFS_MAX_LEVEL)
        return -EUCLEAN;
    uint8_t *bufs = kmalloc((size_t)OFS_MAX_LEVEL * OFS_BLOCK_SIZE);
    if (!bufs)
        return -ENOMEM;
    int r = walk(fs, root->blk, root->crc, level, NULL, NULL, visit, ctx, bufs);
    kfree(bufs);
    return r;
}
