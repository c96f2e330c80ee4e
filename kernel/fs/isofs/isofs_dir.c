/* iso9660 core: directories. A directory is a sequence of records in its extent, never
 * crossing a 2048-byte sector (a zero length byte skips to the next one); "." and ".." come
 * first. The name each entry gets depends on the tree in use: Rock Ridge NM, Joliet UCS-2,
 * or the plain name mapped as Linux's map=normal. Entries we cannot name safely (a '/' or
 * NUL inside, too long, a bad SUSP area) are skipped with a log line, never handed out. */
#include "isofs.h"
#include "kernel.h"
#include "mm.h"
#include "string.h"
#include "uapi/stat.h"
#include "uapi/dirent.h"

struct entry {
    char name[ISO_NAME_MAX + 1];
    size_t len;
    uint64_t ino;
    unsigned dtype;
};

/* map=normal: lowercase, drop a trailing ";1" (and the "." before it), other ';' -> '.'. */
static size_t plain_name(const uint8_t *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = in[i];
        if (!c)
            break;
        if (c == '.' && i + 3 == n && in[i + 1] == ';' && in[i + 2] == '1')
            break;
        if (c == ';' && i + 2 == n && in[i + 1] == '1')
            break;
        if (c >= 'A' && c <= 'Z')
            c |= 0x20;
        if (c == ';' || c == '/')
            c = '.';
        out[o++] = (char)c;
    }
    return o;
}

static size_t put_utf8(char *out, size_t o, uint32_t cp, bool *overflow)
{
    uint8_t b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (uint8_t)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (uint8_t)(0xc0 | cp >> 6);
        b[1] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (uint8_t)(0xe0 | cp >> 12);
        b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        b[0] = (uint8_t)(0xf0 | cp >> 18);
        b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        b[3] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 4;
    }
    if (o + n > ISO_NAME_MAX) {
        *overflow = true;
        return o;
    }
    memcpy(out + o, b, n);
    return o + n;
}

/* Joliet: UCS-2 (UTF-16) big-endian to UTF-8; a trailing ";1" and trailing dots dropped.
 * 0 if the name does not fit. */
static size_t joliet_name(const uint8_t *in, size_t n, char *out)
{
    size_t o = 0;
    bool overflow = false;
    for (size_t i = 0; i + 1 < n && !overflow; i += 2) {
        uint32_t u = (uint32_t)in[i] << 8 | in[i + 1];
        if (u >= 0xd800 && u < 0xdc00 && i + 3 < n) {
            uint32_t lo = (uint32_t)in[i + 2] << 8 | in[i + 3];
            if (lo >= 0xdc00 && lo < 0xe000) {
                u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                i += 2;
            }
        }
        o = put_utf8(out, o, u, &overflow);
    }
    if (overflow)
        return 0;
    if (o > 2 && out[o - 2] == ';' && out[o - 1] == '1')
        o -= 2;
    while (o >= 2 && out[o - 1] == '.')
        o--;
    return o;
}

static bool name_ok(const char *s, size_t n)
{
    if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
        return false;
    return memchr(s, '/', n) == NULL && memchr(s, 0, n) == NULL;
}

/* The inode number of the directory a record (not a file's) points to: its extent's first
 * record, ".", as Linux's isofs_normalize_block_and_offset, so that every name of one
 * directory (a damaged record naming an ancestor, too) is one inode. 0: past the volume. */
static uint64_t dir_ino(struct iso_fs *fs, const uint8_t *rec)
{
    uint64_t ino = (uint64_t)(get_le32(rec + ISO_DR_EXTENT) + rec[ISO_DR_EXT_ATTR_LEN]) *
                   fs->block_size;
    return ino && ino < fs->limit ? ino : 0;
}

/* Name the ordinary record rec (at dev offset off): true and *e, false to skip it. */
static bool name_entry(struct iso_fs *fs, const uint8_t *rec, size_t len, uint64_t off,
                       struct entry *e, struct iso_rr *rr)
{
    const uint8_t *nm = rec + ISO_DR_NAME;
    size_t nl = rec[ISO_DR_NAME_LEN];
    bool dir = rec[ISO_DR_FLAGS] & ISO_FLAG_DIR;
    e->ino = off;
    if (dir && !(e->ino = dir_ino(fs, rec))) {
        iso_error(fs, off, "directory extent past the volume");
        return false;
    }
    e->dtype = dir ? DT_DIR : DT_REG;
    e->len = 0;
    if (fs->names == ISO_NAMES_ROCK) {
        if (iso_rr_parse(fs, rec, len, rr, NULL, 0) != 0)
            return false;
        if (rr->relocated)
            return false;             /* shown where its CL placeholder is */
        if (rr->name_bad) {
            iso_error(fs, off, "Rock Ridge name too long");
            return false;
        }
        if (rr->name_len) {
            memcpy(e->name, rr->name, rr->name_len);
            e->len = rr->name_len;
        }
        if (rr->has_cl) {
            uint64_t target = (uint64_t)rr->cl_block * fs->block_size;
            if (target == 0 || target >= fs->limit) {
                iso_error(fs, off, "CL points past the volume");
                return false;
            }
            e->ino = target;
            e->dtype = DT_DIR;
        } else if (rr->has_px && !dir) {
            uint32_t t = rr->mode & S_IFMT;
            e->dtype = t && t != S_IFDIR ? t >> 12 : DT_REG;
        }
    }
    if (!e->len) {
        e->len = fs->names == ISO_NAMES_JOLIET ? joliet_name(nm, nl, e->name)
                                               : plain_name(nm, nl, e->name);
    }
    if (!name_ok(e->name, e->len)) {
        iso_error(fs, off, "unusable file name");
        return false;
    }
    e->name[e->len] = 0;
    return true;
}

typedef bool (*visit_t)(void *ctx, const struct entry *e, uint64_t next_pos);

/* Walk dir from *pos; visit gets every entry it may see. *pos advances past entries the
 * visitor accepted. */
static int walk(struct iso_fs *fs, const struct iso_inode *dir, uint64_t *pos, visit_t visit,
                void *ctx)
{
    if (!S_ISDIR(dir->mode) || dir->nextents == 0)
        return -ENOTDIR;
    uint64_t start = (uint64_t)dir->ext[0].block * fs->block_size;
    uint64_t size = dir->ext[0].len;
    uint8_t *rec = kmalloc(255);
    struct entry *e = kmalloc(sizeof(*e));
    struct iso_rr *rr = kmalloc(sizeof(*rr));
    int err = -ENOMEM;
    if (!rec || !e || !rr)
        goto out;
    err = 0;
    uint64_t p = *pos;
    while (p < size) {
        uint8_t b;
        if ((err = iso_read_bytes(fs, start + p, &b, 1)))
            break;
        if (b == 0) {
            p = ALIGN_UP(p + 1, (uint64_t)ISO_SECTOR);
            *pos = MIN(p, size);
            continue;
        }
        int len = iso_read_record(fs, start + p, rec);
        if (len < 0) {
            err = len;
            break;
        }
        if (p + (uint64_t)len > size) {
            err = iso_error(fs, start + p, "record past the end of its directory");
            break;
        }
        uint64_t next = p + (uint64_t)len;
        /* A multi-extent file is one entry: skip to after its last record. */
        uint8_t flags = rec[ISO_DR_FLAGS];
        for (unsigned i = 0; (flags & ISO_FLAG_MULTI) && i <= ISO_MAX_EXTENTS && next < size; i++) {
            uint64_t n;
            uint8_t r2[ISO_DR_MIN];
            if ((err = iso_next_record(fs, start + next, 0, &n)))
                break;
            next = n - start;
            if (next >= size || (err = iso_read_bytes(fs, n, r2, sizeof r2)))
                break;
            flags = r2[ISO_DR_FLAGS];
            if (r2[ISO_DR_LEN] < ISO_DR_MIN)
                break;
            next += r2[ISO_DR_LEN];
        }
        if (err)
            break;
        bool show = true;
        uint8_t nl = rec[ISO_DR_NAME_LEN];
        if (nl == 1 && rec[ISO_DR_NAME] == 0) {
            memcpy(e->name, ".", 2);
            e->len = 1;
            e->ino = dir->ino;
            e->dtype = DT_DIR;
        } else if (nl == 1 && rec[ISO_DR_NAME] == 1) {
            memcpy(e->name, "..", 3);
            e->len = 2;
            e->ino = dir_ino(fs, rec) ? dir_ino(fs, rec) : start + p;
            e->dtype = DT_DIR;
        } else if (rec[ISO_DR_FLAGS] & ISO_FLAG_ASSOC) {
            show = false;             /* associated files stay hidden, as in Linux */
        } else {
            show = name_entry(fs, rec, (size_t)len, start + p, e, rr);
        }
        if (show && !visit(ctx, e, MIN(next, size)))
            break;
        p = MIN(next, size);
        *pos = p;
    }
out:
    kfree(rec);
    kfree(e);
    kfree(rr);
    return err;
}

struct fill_ctx {
    iso_filldir_t fill;
    void *ctx;
};

static bool fill_visit(void *c, const struct entry *e, uint64_t next_pos)
{
    struct fill_ctx *f = c;
    return f->fill(f->ctx, e->name, e->len, e->ino, e->dtype, next_pos);
}

int iso_readdir(struct iso_fs *fs, const struct iso_inode *dir, uint64_t *pos,
                iso_filldir_t fill, void *ctx)
{
    struct fill_ctx f = { fill, ctx };
    return walk(fs, dir, pos, fill_visit, &f);
}

struct lookup_ctx {
    const char *name;
    size_t len;
    uint64_t ino;
    bool found;
};

static bool lookup_visit(void *c, const struct entry *e, uint64_t next_pos)
{
    (void)next_pos;
    struct lookup_ctx *l = c;
    if (e->len == l->len && memcmp(e->name, l->name, l->len) == 0) {
        l->ino = e->ino;
        l->found = true;
        return false;
    }
    return true;
}

int iso_lookup(struct iso_fs *fs, const struct iso_inode *dir, const char *name, size_t len,
               uint64_t *ino)
{
    struct lookup_ctx l = { .name = name, .len = len };
    uint64_t pos = 0;
    int err = walk(fs, dir, &pos, lookup_visit, &l);
    if (l.found) {
        *ino = l.ino;
        return 0;
    }
    return err ? err : -ENOENT;
}
