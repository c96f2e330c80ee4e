/* fsck.ofs repair (ofs_repair.h).
 *
 * 1. Check the newest commit (a read-only mount plus ofs_check). Clean: done.
 * 2. Check the older commit, seen through a device that shows the newest superblock slot
 *    as zeros. Not valid or not clean: nothing safe can be done.
 * 3. Compare the two commits' trees object by object (one digest per inode number over its
 *    items, one over its extents), walking the newest tree as far as it is readable, and
 *    report what going back loses.
 * 4. With write: store the older commit's superblock with sequence number bad+1 in its own
 *    slot (the slot parity rule holds: the older commit has the other parity), FLUSH, then
 *    the same with bad+2 over the damaged commit's slot, FLUSH. A crash after the first
 *    write leaves bad+1 as the newest valid commit (already the repaired state); a torn
 *    write fails its checksum and leaves what was there. Finally the result is checked.
 *
 * Nothing but the two superblocks is written, so a repair never makes anything worse: the
 * blocks of the damaged commit are simply free in the older commit's space map. */
#include <stdlib.h>
#include <string.h>
#include "ofs_repair.h"
#include "ofs_check.h"
#include "crc32.h"

/* ---- The older commit, seen alone ---- */

struct hidden_dev {
    const struct ofs_io *io;
    uint64_t hide;          /* this superblock slot reads as zeros; UINT64_MAX: none */
};

static int hidden_read(void *ctx, uint64_t blk, void *buf)
{
    struct hidden_dev *h = ctx;
    if (blk == h->hide) {
        memset(buf, 0, OFS_BLOCK_SIZE);
        return 0;
    }
    return h->io->read(h->io->ctx, blk, buf);
}

/* Mount (read-only) what the device shows with slot `hide` hidden, and check it. Returns the
 * error count (UINT_MAX: not mountable); the mounted filesystem in *out if out. Bad file
 * data does not count: going back to another commit cannot bring it back (unchanged data is
 * shared by the commits), and in the older commit it is data the damaged commit released and
 * later writes reused, which the report flags ("its data may have been overwritten"); fsck
 * reports each bad block after the repair. */
static unsigned check_commit(struct hidden_dev *h, struct ofs_fs **out)
{
    struct ofs_io io = { .ctx = h, .read = hidden_read, .nblocks = h->io->nblocks };
    struct ofs_fs *fs;
    int saved = ofs_host_verbose;
    ofs_host_verbose = 0;       /* the damage has been reported already */
    int r = ofs_mount(&io, OFS_MOUNT_RDONLY, &fs);
    unsigned errors = (unsigned)-1;
    if (r == 0) {
        struct ofs_check_result res;
        errors = ofs_check(fs, NULL, 0, &res);
        errors -= res.bad_data_blocks < errors ? (unsigned)res.bad_data_blocks : errors;
        if (out && errors == 0)
            *out = fs;
        else
            ofs_unmount(fs);
    }
    ofs_host_verbose = saved;
    return errors;
}

/* ---- One commit's content, per inode number ---- */

struct objsum {
    uint64_t obj;
    uint32_t all;           /* digest of every item of the object */
    uint32_t ext;           /* digest of its extent items */
    bool has_ext;
};

struct name {
    uint64_t child, dir;
    uint8_t len;
    char name[OFS_NAME_MAX];
};

struct range {              /* keys of a node that could not be read: [lo, hi) */
    struct ofs_key lo, hi;
    bool has_lo, has_hi;
};

struct extent {
    uint64_t obj, pblk, len;
};

struct content {
    struct objsum *objs;
    size_t nobjs, capobjs;
    struct extent *exts;    /* in key order, so sorted by obj */
    size_t nexts, capexts;
    struct name *names;
    size_t nnames, capnames;
    struct range *bad;
    size_t nbad, capbad;
    uint8_t *seen;          /* node blocks visited (a damaged tree might share a subtree) */
};

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return p;
    size_t nc = *cap ? *cap * 2 : 64;
    void *q = realloc(p, nc * size);
    if (!q) {
        fprintf(stderr, "ofs_repair: out of memory\n");
        exit(2);
    }
    *cap = nc;
    return q;
}

static void add_names(struct content *c, uint64_t dir, const uint8_t *v, size_t len)
{
    size_t off = 0;
    while (off + 10 <= len) {
        uint64_t ino = ofs_get64(v + off);
        uint8_t nlen = v[off + 9];
        if (nlen == 0 || off + 10 + nlen > len)
            return;
        c->names = grow(c->names, &c->capnames, c->nnames, sizeof(*c->names));
        struct name *n = &c->names[c->nnames++];
        n->child = ino;
        n->dir = dir;
        n->len = nlen;
        memcpy(n->name, v + off + 10, nlen);
        off += 10 + (size_t)nlen;
    }
}

static int collect(void *ctx, uint64_t blk, const uint8_t *block, unsigned level,
                   const struct ofs_key *lo, const struct ofs_key *hi, const char *why)
{
    (void)why;
    struct content *c = ctx;
    if (!block) {
        c->bad = grow(c->bad, &c->capbad, c->nbad, sizeof(*c->bad));
        struct range *r = &c->bad[c->nbad++];
        memset(r, 0, sizeof(*r));
        if ((r->has_lo = lo != NULL))
            r->lo = *lo;
        if ((r->has_hi = hi != NULL))
            r->hi = *hi;
        return 0;
    }
    if (c->seen[blk >> 3] & (1u << (blk & 7)))
        return 1;
    c->seen[blk >> 3] |= (uint8_t)(1u << (blk & 7));
    if (level > 0)
        return 0;
    /* A leaf (structure validated by the walk): key, u16 length, value; in key order. */
    unsigned n = ofs_get16(block + 6);
    size_t off = OFS_NODE_HDR;
    for (unsigned i = 0; i < n; i++) {
        struct ofs_key k;
        ofs_key_get(block + off, &k);
        size_t vlen = ofs_get16(block + off + OFS_KEY_SIZE);
        const uint8_t *item = block + off;
        off += OFS_LEAF_ITEM_HDR + vlen;
        if (k.obj == OFS_ORPHAN_OBJ)
            continue;       /* orphans are about inodes on their way out */
        if (c->nobjs == 0 || c->objs[c->nobjs - 1].obj != k.obj) {
            c->objs = grow(c->objs, &c->capobjs, c->nobjs, sizeof(*c->objs));
            c->objs[c->nobjs++] = (struct objsum){ .obj = k.obj };
        }
        struct objsum *o = &c->objs[c->nobjs - 1];
        o->all = crc32c(o->all, item, OFS_LEAF_ITEM_HDR + vlen);
        if (k.type == OFS_TYPE_EXTENT) {
            o->ext = crc32c(o->ext, item, OFS_LEAF_ITEM_HDR + vlen);
            o->has_ext = true;
            if (vlen >= 16) {
                c->exts = grow(c->exts, &c->capexts, c->nexts, sizeof(*c->exts));
                c->exts[c->nexts++] = (struct extent){
                    k.obj, ofs_get64(item + OFS_LEAF_ITEM_HDR),
                    ofs_get64(item + OFS_LEAF_ITEM_HDR + 8) };
            }
        }
        if (k.type == OFS_TYPE_DIRENT)
            add_names(c, k.obj, item + OFS_LEAF_ITEM_HDR, vlen);
    }
    return 0;
}

static int cmp_name(const void *a, const void *b)
{
    const struct name *x = a, *y = b;
    return x->child < y->child ? -1 : x->child > y->child;
}

static void read_content(struct ofs_fs *fs, const struct ofs_super *sb, struct content *c)
{
    memset(c, 0, sizeof(*c));
    c->seen = calloc(1, (size_t)(sb->total_blocks / 8 + 1));
    if (!c->seen) {
        fprintf(stderr, "ofs_repair: out of memory\n");
        exit(2);
    }
    ofs_tree_walk_disk(fs, &sb->root, sb->root_level, collect, c);
    if (c->nnames)
        qsort(c->names, c->nnames, sizeof(*c->names), cmp_name);
}

static void free_content(struct content *c)
{
    free(c->objs);
    free(c->exts);
    free(c->names);
    free(c->bad);
    free(c->seen);
}

static const struct name *find_name(const struct content *c, uint64_t child)
{
    if (!c->nnames)
        return NULL;
    struct name key = { .child = child };
    const struct name *n = bsearch(&key, c->names, c->nnames, sizeof(*c->names), cmp_name);
    while (n && n > c->names && n[-1].child == child)
        n--;        /* the first of several (hard links): deterministic */
    return n;
}

/* Could an unreadable node of c hold items of object obj? */
static bool unknown(const struct content *c, uint64_t obj)
{
    struct ofs_key first = { obj, 0, 0 }, past = { obj + 1, 0, 0 };
    for (size_t i = 0; i < c->nbad; i++) {
        const struct range *r = &c->bad[i];
        if ((!r->has_lo || obj == UINT64_MAX || ofs_key_cmp(&r->lo, &past) < 0) &&
            (!r->has_hi || ofs_key_cmp(&r->hi, &first) > 0))
            return true;
    }
    return false;
}

/* The path of ino in c (or in alt when c does not name it), into buf. */
static void path_of(const struct content *c, const struct content *alt, uint64_t ino,
                    char *buf, size_t size)
{
    if (ino == OFS_ROOT_INO) {
        snprintf(buf, size, "/");
        return;
    }
    const struct content *src = find_name(c, ino) ? c : alt;
    char tmp[4096] = "";
    uint64_t cur = ino;
    for (unsigned depth = 0; cur != OFS_ROOT_INO; depth++) {
        const struct name *n = find_name(src, cur);
        if (!n || depth >= 64) {
            snprintf(buf, size, "(no name)");
            return;
        }
        char part[OFS_NAME_MAX + 2];
        snprintf(part, sizeof(part), "/%.*s", n->len, n->name);
        size_t pl = strlen(part), tl = strlen(tmp);
        if (pl + tl + 1 > sizeof(tmp)) {
            snprintf(buf, size, "(path too long)");
            return;
        }
        memmove(tmp + pl, tmp, tl + 1);
        memcpy(tmp, part, pl);
        cur = n->dir;
    }
    snprintf(buf, size, "%s", tmp);
}

/* The space map of commit sb (1 = in use), or NULL if any of it is unreadable or damaged. */
static uint8_t *load_map(const struct ofs_io *io, const struct ofs_super *sb)
{
    uint8_t *idx = malloc(OFS_BLOCK_SIZE);
    uint8_t *map = calloc(sb->bmap_chunks, OFS_BLOCK_SIZE);
    bool ok = idx && map && sb->bmap.blk < sb->total_blocks &&
              io->read(io->ctx, sb->bmap.blk, idx) == 0 &&
              ofs_crc_ok(sb->bmap.crc, idx, OFS_BLOCK_SIZE) &&
              memcmp(idx, OFS_BMAP_MAGIC, 8) == 0 && ofs_get32(idx + 8) == sb->bmap_chunks;
    for (uint32_t i = 0; ok && i < sb->bmap_chunks; i++) {
        const uint8_t *e = idx + OFS_BMAP_HDR + (size_t)i * OFS_BMAP_ENTRY;
        uint64_t b = ofs_get64(e);
        uint8_t *m = map + (size_t)i * OFS_BLOCK_SIZE;
        ok = b < sb->total_blocks && io->read(io->ctx, b, m) == 0 &&
             ofs_crc_ok(ofs_get32(e + 8), m, OFS_BLOCK_SIZE);
    }
    free(idx);
    if (!ok) {
        free(map);
        return NULL;
    }
    return map;
}

/* Can obj's data in the older commit have been overwritten? Only blocks the newer commit
 * released (free in its space map) could be reused after it. */
static bool data_suspect(const struct content *older, const uint8_t *newer_map,
                         uint64_t total_blocks, uint64_t obj)
{
    size_t lo = 0, hi = older->nexts;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (older->exts[mid].obj < obj)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < older->nexts && older->exts[i].obj == obj; i++) {
        const struct extent *e = &older->exts[i];
        for (uint64_t b = e->pblk; b < e->pblk + e->len && b < total_blocks; b++)
            if (!ofs_bit(newer_map, b))
                return true;
    }
    return false;
}

/* ---- The report ---- */

struct reporter {
    FILE *out;
    unsigned max_msgs, msgs;
};

static void say(struct reporter *r, const char *what, const char *path, uint64_t ino,
                const char *how, bool data)
{
    if (!r->out)
        return;
    if (r->msgs++ == r->max_msgs) {
        fprintf(r->out, "(further changes not shown)\n");
        return;
    }
    if (r->msgs > r->max_msgs)
        return;
    fprintf(r->out, "%s: %s (inode %llu): %s%s\n", what, path, (unsigned long long)ino, how,
            data ? "; its data may have been overwritten since" : "");
}

/* newer_map: the damaged commit's space map, if readable (NULL: judge data by the extents
 * the damaged commit shows, and suspect every file whose extents it does not show). */
static void compare(const struct content *older, const struct content *newer, uint64_t bad_seq,
                    const uint8_t *newer_map, uint64_t total_blocks, struct reporter *rep,
                    struct ofs_repair_result *res)
{
    char path[4096], how[128];
    size_t i = 0, j = 0;
    while (i < older->nobjs || j < newer->nobjs) {
        const struct objsum *o = i < older->nobjs ? &older->objs[i] : NULL;
        const struct objsum *n = j < newer->nobjs ? &newer->objs[j] : NULL;
        if (o && n && o->obj != n->obj) {
            if (o->obj < n->obj)
                n = NULL;
            else
                o = NULL;
        }
        uint64_t obj = o ? o->obj : n->obj;
        i += o != NULL;
        j += n != NULL;
        bool unk = unknown(newer, obj);
        if (o && n && o->all == n->all && !unk)
            continue;
        path_of(o ? older : newer, o ? newer : older, obj, path, sizeof(path));
        bool data = o && o->has_ext &&
                    (newer_map ? data_suspect(older, newer_map, total_blocks, obj)
                               : unk || !n || o->ext != n->ext);
        if (!o) {
            snprintf(how, sizeof(how), "created by commit %llu: lost", (unsigned long long)bad_seq);
            say(rep, "lost", path, obj, how, false);
            res->lost++;
        } else if (unk) {
            snprintf(how, sizeof(how), "unreadable in commit %llu: back to its state at commit %llu",
                     (unsigned long long)bad_seq, (unsigned long long)res->good_seq);
            say(rep, "uncertain", path, obj, how, data);
            res->uncertain++;
            res->data_suspect += data;
        } else if (!n) {
            snprintf(how, sizeof(how), "removed by commit %llu: it comes back",
                     (unsigned long long)bad_seq);
            say(rep, "restored", path, obj, how, data);
            res->restored++;
            res->data_suspect += data;
        } else {
            snprintf(how, sizeof(how), "changed by commit %llu: back to its older state",
                     (unsigned long long)bad_seq);
            say(rep, "reverted", path, obj, how, data);
            res->reverted++;
            res->data_suspect += data;
        }
    }
    for (size_t k = 0; k < newer->nbad && rep->out; k++) {
        const struct range *r = &newer->bad[k];
        unsigned long long lo = r->has_lo ? (unsigned long long)r->lo.obj : 0ull;
        if (r->has_hi)
            fprintf(rep->out, "commit %llu: a damaged node held the items of inodes %llu to %llu",
                    (unsigned long long)bad_seq, lo, (unsigned long long)r->hi.obj);
        else
            fprintf(rep->out, "commit %llu: a damaged node held the items of inodes %llu and up",
                    (unsigned long long)bad_seq, lo);
        fprintf(rep->out, "; inodes it created there are lost without a name\n");
    }
    if (rep->out)
        fprintf(rep->out, "data: %s\n", newer_map
                ? "judged by the damaged commit's space map (readable): a file is suspect if "
                  "its blocks were released by that commit"
                : "the damaged commit's space map is unreadable: a file is suspect unless "
                  "that commit shows it with the same extents");
}

/* ---- Repair ---- */

static int write_super(const struct ofs_io *io, const struct ofs_super *sb)
{
    uint8_t *blk = calloc(1, OFS_BLOCK_SIZE);
    if (!blk)
        return -ENOMEM;
    ofs_super_encode(sb, blk);
    int r = io->write(io->ctx, sb->seq % OFS_SB_SLOTS, blk);
    if (r == 0)
        r = io->flush(io->ctx);
    free(blk);
    return r;
}

int ofs_repair(const struct ofs_io *io, bool write, FILE *out, unsigned max_msgs,
               struct ofs_repair_result *res)
{
    memset(res, 0, sizeof(*res));
    struct ofs_super sb[OFS_SB_SLOTS];
    bool valid[OFS_SB_SLOTS];
    uint8_t *blk = malloc(OFS_BLOCK_SIZE);
    if (!blk)
        return -ENOMEM;
    for (unsigned s = 0; s < OFS_SB_SLOTS; s++) {
        const char *why;
        int r = io->read(io->ctx, s, blk);
        if (r < 0) {
            free(blk);
            return r;
        }
        valid[s] = ofs_super_decode(blk, s, io->nblocks, &sb[s], &why) == 0;
    }
    free(blk);
    int newest = -1;
    for (unsigned s = 0; s < OFS_SB_SLOTS; s++)
        if (valid[s] && (newest < 0 || sb[s].seq > sb[newest].seq))
            newest = (int)s;
    struct hidden_dev all = { io, UINT64_MAX };
    if (check_commit(&all, NULL) == 0) {
        res->status = OFS_REPAIR_CLEAN;
        return 0;
    }
    res->status = OFS_REPAIR_IMPOSSIBLE;
    if (newest < 0) {
        if (out)
            fprintf(out, "repair: no valid superblock: nothing to go back to\n");
        return 0;
    }
    unsigned older_slot = (unsigned)newest ^ 1u;
    res->bad_seq = sb[newest].seq;
    if (!valid[older_slot] || sb[older_slot].seq >= sb[newest].seq ||
        sb[older_slot].total_blocks != sb[newest].total_blocks) {
        if (out)
            fprintf(out, "repair: commit %llu is damaged and there is no older commit to go "
                    "back to\n", (unsigned long long)res->bad_seq);
        return 0;
    }
    res->good_seq = sb[older_slot].seq;
    struct hidden_dev older_only = { io, (uint64_t)newest };
    struct ofs_fs *ofs = NULL;
    if (check_commit(&older_only, &ofs) != 0) {
        if (out)
            fprintf(out, "repair: commit %llu is damaged and the older commit %llu is damaged "
                    "too (or was partly reused): not repairable\n",
                    (unsigned long long)res->bad_seq, (unsigned long long)res->good_seq);
        return 0;
    }
    res->status = OFS_REPAIR_POSSIBLE;
    if (out)
        fprintf(out, "repair: commit %llu (%llu inodes) is damaged; the older commit %llu "
                "(%llu inodes) is intact. Going back to it loses the changes of commit %llu:\n",
                (unsigned long long)res->bad_seq, (unsigned long long)sb[newest].inode_count,
                (unsigned long long)res->good_seq,
                (unsigned long long)sb[older_slot].inode_count, (unsigned long long)res->bad_seq);
    struct content older, newer;
    read_content(ofs, &sb[older_slot], &older);
    read_content(ofs, &sb[newest], &newer);     /* as far as it is readable */
    struct reporter rep = { out, max_msgs, 0 };
    uint8_t *newer_map = load_map(io, &sb[newest]);
    compare(&older, &newer, res->bad_seq, newer_map, sb[newest].total_blocks, &rep, res);
    free(newer_map);
    free_content(&older);
    free_content(&newer);
    ofs_unmount(ofs);
    if (out)
        fprintf(out, "repair: %u lost, %u reverted, %u restored, %u uncertain; data suspect in "
                "%u\n", res->lost, res->reverted, res->restored,
                res->uncertain, res->data_suspect);
    if (!write)
        return 0;
    if (!io->write || !io->flush)
        return -EROFS;
    struct ofs_super nsb = sb[older_slot];
    nsb.seq = res->bad_seq + 1;         /* the older commit's own slot */
    int r = write_super(io, &nsb);
    if (r == 0) {
        nsb.seq = res->bad_seq + 2;     /* over the damaged commit */
        r = write_super(io, &nsb);
    }
    if (r < 0)
        return r;
    res->new_seq = nsb.seq;
    if (check_commit(&all, NULL) != 0) {
        if (out)
            fprintf(out, "repair: the repaired filesystem does not check clean\n");
        res->status = OFS_REPAIR_IMPOSSIBLE;
        return 0;
    }
    res->status = OFS_REPAIR_DONE;
    if (out)
        fprintf(out, "repair: done: the filesystem is commit %llu's state, now commit %llu\n",
                (unsigned long long)res->good_seq, (unsigned long long)res->new_seq);
    return 0;
}
