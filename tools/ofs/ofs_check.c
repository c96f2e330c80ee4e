/* The OFS consistency checker (ofs_check.h). It reads the committed state from the device
 * (not the core's cache), so it also validates what a fresh mount would see.
 *
 * Pass 1 walks the tree from the superblock's root, checking each node's checksum (held by
 * its parent), structure and key range, and collects inodes, directory entries, extents and
 * orphans (items arrive in key order). Pass 2 cross-checks: every block is used exactly once
 * and the space map says so, link counts match the entries, entries name existing inodes of
 * the right type, directory parents, block counts, counters in the superblock. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "ofs_check.h"
#include "crc32.h"

struct ichk {
    uint64_t ino;
    uint32_t mode, nlink;
    uint64_t size, blocks, parent;
    uint64_t refs, subdirs, ext_blocks, ext_end;
    uint64_t ref_parent;    /* for directories: the directory whose entry names it */
    int orphan;
};

struct dref {
    uint64_t dir, ino;
    uint8_t type;
};

struct checker {
    struct ofs_fs *fs;
    FILE *out;
    unsigned max_msgs, msgs;
    struct ofs_check_result *res;
    uint8_t *seen;          /* blocks referenced so far */
    struct ichk *inodes;
    size_t ninodes, cap_inodes;
    struct dref *refs;
    size_t nrefs, cap_refs;
    uint64_t *orphans;
    size_t norphans, cap_orphans;
    uint64_t last_ext_ino, last_ext_end;
    uint8_t databuf[OFS_BLOCK_SIZE];    /* the scrub's block */
};

static void err(struct checker *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void err(struct checker *c, const char *fmt, ...)
{
    c->res->errors++;
    if (!c->out || c->msgs >= c->max_msgs) {
        if (c->out && c->msgs == c->max_msgs) {
            fprintf(c->out, "error: (further errors not shown)\n");
            c->msgs++;
        }
        return;
    }
    c->msgs++;
    va_list ap;
    va_start(ap, fmt);
    fprintf(c->out, "error: ");
    vfprintf(c->out, fmt, ap);
    fprintf(c->out, "\n");
    va_end(ap);
}

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return p;
    size_t nc = *cap ? *cap * 2 : 256;
    void *q = realloc(p, nc * size);
    if (!q) {
        fprintf(stderr, "ofs_check: out of memory\n");
        exit(2);
    }
    *cap = nc;
    return q;
}

/* Mark b referenced: false (and an error) if it is out of range or was referenced before. */
static bool use_block(struct checker *c, uint64_t b, const char *what, uint64_t owner)
{
    if (b >= c->fs->sb.total_blocks) {
        err(c, "%s (inode %llu): block %llu past the end", what, (unsigned long long)owner,
            (unsigned long long)b);
        return false;
    }
    if (c->seen[b >> 3] & (1u << (b & 7))) {
        err(c, "%s (inode %llu): block %llu is used twice", what, (unsigned long long)owner,
            (unsigned long long)b);
        return false;
    }
    c->seen[b >> 3] |= (uint8_t)(1u << (b & 7));
    c->res->used_blocks++;
    return true;
}

static struct ichk *find_inode(struct checker *c, uint64_t ino)
{
    size_t lo = 0, hi = c->ninodes;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->inodes[mid].ino == ino)
            return &c->inodes[mid];
        if (c->inodes[mid].ino < ino)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* The data scrub: read every block of a checksummed extent and compare. */
static void scrub(struct checker *c, uint64_t ino, uint64_t lstart, const struct ofs_extent *x)
{
    if (!x->has_sums)
        return;
    for (uint64_t i = 0; i < x->nblocks; i++) {
        c->res->scrubbed_blocks++;
        if (c->fs->io.read(c->fs->io.ctx, x->pblk + i, c->databuf) < 0) {
            c->res->bad_data_blocks++;
            err(c, "inode %llu block %llu (physical %llu): read error", (unsigned long long)ino,
                (unsigned long long)(lstart + i), (unsigned long long)(x->pblk + i));
        } else if (!ofs_crc_ok(x->sum[i], c->databuf, OFS_BLOCK_SIZE)) {
            c->res->bad_data_blocks++;
            err(c, "inode %llu block %llu (physical %llu): data checksum mismatch",
                (unsigned long long)ino, (unsigned long long)(lstart + i),
                (unsigned long long)(x->pblk + i));
        }
    }
}

static void check_item(struct checker *c, uint64_t blk, const struct ofs_key *k, const uint8_t *v,
                       size_t len)
{
    switch (k->type) {
    case OFS_TYPE_INODE: {
        struct ofs_dinode d;
        if (k->off != 0 || k->obj == 0 || ofs_dinode_decode(v, len, &d) < 0) {
            err(c, "node %llu: invalid inode item for inode %llu", (unsigned long long)blk,
                (unsigned long long)k->obj);
            return;
        }
        if (k->obj >= c->fs->sb.next_ino)
            err(c, "inode %llu: number not below next_ino %llu", (unsigned long long)k->obj,
                (unsigned long long)c->fs->sb.next_ino);
        c->inodes = grow(c->inodes, &c->cap_inodes, c->ninodes, sizeof(*c->inodes));
        struct ichk *i = &c->inodes[c->ninodes++];
        memset(i, 0, sizeof(*i));
        i->ino = k->obj;
        i->mode = d.mode;
        i->nlink = d.nlink;
        i->size = d.size;
        i->blocks = d.blocks;
        i->parent = d.parent;
        c->res->inodes++;
        break;
    }
    case OFS_TYPE_DIRENT: {
        struct ichk *dir = c->ninodes ? &c->inodes[c->ninodes - 1] : NULL;
        if (!dir || dir->ino != k->obj) {
            err(c, "directory entries for inode %llu, which does not exist",
                (unsigned long long)k->obj);
            return;
        }
        if ((dir->mode & 0170000u) != 0040000u) {
            err(c, "inode %llu: directory entries in a non-directory", (unsigned long long)k->obj);
            return;
        }
        size_t pos = 0, starts[OFS_MAX_VALUE];
        unsigned n = 0;
        for (;;) {
            uint64_t ino;
            uint8_t t;
            const char *name;
            size_t nl;
            size_t start = pos;
            int e = ofs_dirent_next(v, len, &pos, &ino, &t, &name, &nl);
            if (e < 0) {
                err(c, "directory %llu: malformed entry in item %llu", (unsigned long long)k->obj,
                    (unsigned long long)k->off);
                return;
            }
            if (e == 0)
                break;
            if (ofs_name_hash(name, nl) != k->off)
                err(c, "directory %llu: entry '%.*s' filed under the wrong hash",
                    (unsigned long long)k->obj, (int)nl, name);
            for (unsigned j = 0; j < n; j++) {
                const uint8_t *o = v + starts[j];
                if (o[9] == nl && memcmp(o + OFS_DIRENT_HDR, name, nl) == 0)
                    err(c, "directory %llu: duplicate entry '%.*s'", (unsigned long long)k->obj,
                        (int)nl, name);
            }
            starts[n++] = start;
            c->refs = grow(c->refs, &c->cap_refs, c->nrefs, sizeof(*c->refs));
            c->refs[c->nrefs++] = (struct dref){ k->obj, ino, t };
        }
        if (n == 0)
            err(c, "directory %llu: empty entry item", (unsigned long long)k->obj);
        break;
    }
    case OFS_TYPE_EXTENT: {
        struct ichk *in = c->ninodes ? &c->inodes[c->ninodes - 1] : NULL;
        if (!in || in->ino != k->obj) {
            err(c, "extent for inode %llu, which does not exist", (unsigned long long)k->obj);
            return;
        }
        struct ofs_extent x;
        bool legacy = c->fs->sb.version == OFS_VERSION_NO_DATASUMS;
        if (len < OFS_EXTENT_HDR || (len == OFS_EXTENT_HDR && !legacy) ||
            (len > OFS_EXTENT_HDR && (len - OFS_EXTENT_HDR) % 4 != 0) ||
            (len > OFS_EXTENT_HDR &&
             (len - OFS_EXTENT_HDR) / 4 != ofs_get64(v + 8))) {
            err(c, "inode %llu: extent item of %zu bytes", (unsigned long long)k->obj, len);
            return;
        }
        uint64_t pblk = ofs_get64(v), n = ofs_get64(v + 8);
        if (n == 0 || n > k->off || (len > OFS_EXTENT_HDR && n > OFS_EXTENT_MAX_BLOCKS)) {
            err(c, "inode %llu: extent ending at %llu has bad length %llu",
                (unsigned long long)k->obj, (unsigned long long)k->off, (unsigned long long)n);
            return;
        }
        uint64_t start = k->off - n;
        if (in->ext_blocks && start < in->ext_end)
            err(c, "inode %llu: extents overlap at logical block %llu", (unsigned long long)k->obj,
                (unsigned long long)start);
        in->ext_end = k->off;
        in->ext_blocks += n;
        if ((in->mode & 0170000u) != 0100000u && (in->mode & 0170000u) != 0120000u)
            err(c, "inode %llu: data extents on a special file or directory",
                (unsigned long long)k->obj);
        if (pblk < OFS_SB_SLOTS || pblk >= c->fs->sb.total_blocks ||
            n > c->fs->sb.total_blocks - pblk) {
            err(c, "inode %llu: extent points outside the filesystem", (unsigned long long)k->obj);
            return;
        }
        for (uint64_t b = 0; b < n; b++)
            use_block(c, pblk + b, "file data", k->obj);
        c->res->data_blocks += n;
        if (ofs_extent_decode(v, len, k->off, c->fs->sb.total_blocks, legacy, &x) == 0)
            scrub(c, k->obj, k->off - n, &x);
        break;
    }
    case OFS_TYPE_ORPHAN:
        if (k->obj != OFS_ORPHAN_OBJ || len != 0) {
            err(c, "malformed orphan item");
            return;
        }
        c->orphans = grow(c->orphans, &c->cap_orphans, c->norphans, sizeof(*c->orphans));
        c->orphans[c->norphans++] = k->off;
        break;
    default:
        err(c, "node %llu: unknown item type %u", (unsigned long long)blk, k->type);
    }
}

static int visit(void *ctx, uint64_t blk, const uint8_t *b, unsigned level,
                 const struct ofs_key *lo, const struct ofs_key *hi, const char *why)
{
    struct checker *c = ctx;
    if (why) {
        err(c, "tree node at block %llu (level %u): %s", (unsigned long long)blk, level, why);
        return 0;
    }
    if (!use_block(c, blk, "tree node", 0))
        return 1;       /* do not walk a shared subtree twice */
    c->res->tree_nodes++;
    unsigned n = ofs_get16(b + 6);
    size_t off = OFS_NODE_HDR;
    for (unsigned i = 0; i < n; i++) {
        struct ofs_key k;
        ofs_key_get(b + off, &k);
        if ((lo && ofs_key_cmp(&k, lo) < 0) || (hi && ofs_key_cmp(&k, hi) >= 0))
            err(c, "tree node at block %llu: key (%llu,%u,%llu) outside the range its parent gives",
                (unsigned long long)blk, (unsigned long long)k.obj, k.type,
                (unsigned long long)k.off);
        if (level == 0) {
            size_t vlen = ofs_get16(b + off + OFS_KEY_SIZE);
            check_item(c, blk, &k, b + off + OFS_LEAF_ITEM_HDR, vlen);
            off += OFS_LEAF_ITEM_HDR + vlen;
        } else {
            off += OFS_PTR_ITEM;
        }
    }
    if (level == 0 && n == 0 && blk != c->fs->sb.root.blk)
        err(c, "tree node at block %llu: empty leaf", (unsigned long long)blk);
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

unsigned ofs_check(struct ofs_fs *fs, FILE *out, unsigned max_msgs, struct ofs_check_result *res)
{
    struct checker c = { .fs = fs, .out = out, .max_msgs = max_msgs, .res = res };
    memset(res, 0, sizeof(*res));
    uint64_t total = fs->sb.total_blocks;
    c.seen = calloc(1, (size_t)fs->sb.bmap_chunks * OFS_BLOCK_SIZE);
    if (!c.seen) {
        fprintf(stderr, "ofs_check: out of memory\n");
        exit(2);
    }
    /* Fixed and space-map blocks (their checksums were verified by the mount). */
    use_block(&c, 0, "superblock", 0);
    use_block(&c, 1, "superblock", 0);
    use_block(&c, fs->sb.bmap.blk, "space map index", 0);
    for (uint32_t i = 0; i < fs->sb.bmap_chunks; i++)
        use_block(&c, fs->chunk_blk[i], "space map block", 0);
    res->tree_height = fs->sb.root_level + 1;

    ofs_tree_walk_disk(fs, &fs->sb.root, fs->sb.root_level, visit, &c);

    /* Space map against what is referenced. */
    unsigned shown_leak = 0, shown_lost = 0;
    uint64_t leaked = 0, lost = 0;
    for (uint64_t b = 0; b < total; b++) {
        bool used = c.seen[b >> 3] & (1u << (b & 7));
        bool mapped = ofs_bit(fs->bm_commit, b);
        if (used && !mapped) {
            lost++;
            if (shown_lost++ < 8)
                err(&c, "block %llu is in use but the space map says free", (unsigned long long)b);
            else
                res->errors++;
        } else if (!used && mapped) {
            leaked++;
            if (shown_leak++ < 8)
                err(&c, "block %llu is marked used but nothing references it (leak)",
                    (unsigned long long)b);
            else
                res->errors++;
        }
    }
    if (leaked > 8 || lost > 8)
        err(&c, "space map: %llu blocks wrongly free, %llu leaked in total", (unsigned long long)lost,
            (unsigned long long)leaked);

    /* Directory entries. */
    for (size_t i = 0; i < c.nrefs; i++) {
        struct dref *d = &c.refs[i];
        struct ichk *t = find_inode(&c, d->ino);
        if (!t) {
            err(&c, "directory %llu: entry names inode %llu, which does not exist",
                (unsigned long long)d->dir, (unsigned long long)d->ino);
            continue;
        }
        if (ofs_mode_to_dt(t->mode) != d->type)
            err(&c, "directory %llu: entry type %u does not match inode %llu's mode %o",
                (unsigned long long)d->dir, d->type, (unsigned long long)d->ino, t->mode);
        t->refs++;
        if ((t->mode & 0170000u) == 0040000u) {
            t->ref_parent = d->dir;
            struct ichk *p = find_inode(&c, d->dir);
            if (p)
                p->subdirs++;
        }
    }
    if (c.norphans)
        qsort(c.orphans, c.norphans, sizeof(uint64_t), cmp_u64);
    struct ichk *root = find_inode(&c, OFS_ROOT_INO);
    if (!root || (root->mode & 0170000u) != 0040000u)
        err(&c, "the root directory (inode 1) is missing or not a directory");
    for (size_t i = 0; i < c.ninodes; i++) {
        struct ichk *in = &c.inodes[i];
        unsigned long long ino = (unsigned long long)in->ino;
        bool isdir = (in->mode & 0170000u) == 0040000u;
        in->orphan = c.norphans &&
                     bsearch(&in->ino, c.orphans, c.norphans, sizeof(uint64_t), cmp_u64) != NULL;
        if (in->nlink == 0) {
            if (!in->orphan)
                err(&c, "inode %llu: no links and not an orphan", ino);
            else
                res->orphans++;
            if (in->refs)
                err(&c, "inode %llu: no links but named by %llu entries", ino,
                    (unsigned long long)in->refs);
        } else {
            if (in->orphan)
                err(&c, "inode %llu: orphan item but %u links", ino, in->nlink);
            if (isdir) {
                uint64_t want_refs = in->ino == OFS_ROOT_INO ? 0 : 1;
                if (in->refs != want_refs)
                    err(&c, "directory %llu: named by %llu entries", ino,
                        (unsigned long long)in->refs);
                if (in->nlink != 2 + in->subdirs)
                    err(&c, "directory %llu: link count %u, expected %llu", ino, in->nlink,
                        (unsigned long long)(2 + in->subdirs));
                uint64_t want_parent = in->ino == OFS_ROOT_INO ? OFS_ROOT_INO : in->ref_parent;
                if (in->parent != want_parent)
                    err(&c, "directory %llu: parent field %llu, but its entry is in %llu", ino,
                        (unsigned long long)in->parent, (unsigned long long)want_parent);
            } else if (in->refs != in->nlink) {
                err(&c, "inode %llu: link count %u, but %llu entries name it", ino, in->nlink,
                    (unsigned long long)in->refs);
            }
        }
        if (!isdir && in->parent != 0)
            err(&c, "inode %llu: parent field set on a non-directory", ino);
        if (in->blocks != in->ext_blocks)
            err(&c, "inode %llu: block count %llu, extents map %llu", ino,
                (unsigned long long)in->blocks, (unsigned long long)in->ext_blocks);
        if ((in->mode & 0170000u) == 0120000u && in->nlink &&
            (in->size == 0 || in->size >= OFS_BLOCK_SIZE))
            err(&c, "symlink %llu: target length %llu", ino, (unsigned long long)in->size);
        if (isdir && in->size != 0)
            err(&c, "directory %llu: size %llu (must be 0)", ino, (unsigned long long)in->size);
        if (isdir)
            res->dirs++;
        else if ((in->mode & 0170000u) == 0120000u)
            res->symlinks++;
        else
            res->files++;
    }
    for (size_t i = 0; i < c.norphans; i++)
        if (!find_inode(&c, c.orphans[i]))
            err(&c, "orphan item for inode %llu, which does not exist",
                (unsigned long long)c.orphans[i]);
    if (res->inodes != fs->sb.inode_count)
        err(&c, "superblock counts %llu inodes, the tree holds %llu",
            (unsigned long long)fs->sb.inode_count, (unsigned long long)res->inodes);
    free(c.seen);
    free(c.inodes);
    free(c.refs);
    free(c.orphans);
    return res->errors;
}
