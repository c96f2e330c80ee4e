/* vfat core: directories. A directory is an array of 32-byte entries (the fixed root region
 * of FAT12/16, else a cluster chain) ending at the first entry whose first byte is 0. A file's
 * VFAT long name sits in the entries before its 8.3 entry, last piece first, each with the
 * checksum of the 8.3 name: a sequence that is out of order, incomplete or has the wrong
 * checksum is ignored (the 8.3 name is used), as the specification says.
 *
 * Names: the long name as UTF-8, else the 8.3 name with the case Windows NT records in the
 * entry (Linux's shortname=mixed). Lookups ignore ASCII case, as on Windows and in Linux. */
#include "fat.h"
#include "kernel.h"
#include "mm.h"
#include "string.h"
#include "uapi/dirent.h"
#include "uapi/stat.h"

#define LFN_MAX_PARTS 20u             /* 20 x 13 UTF-16 units >= 255 characters */
#define NT_LOWER_BASE 0x08
#define NT_LOWER_EXT 0x10

struct lfn {
    uint16_t u[LFN_MAX_PARTS * 13];
    unsigned parts;                   /* 0: no sequence in progress */
    unsigned next_ord;                /* the order number the next entry must have */
    uint8_t csum;
};

struct entry {
    char name[FAT_NAME_MAX + 1];      /* what readdir shows */
    size_t len;
    char short_name[13];
    size_t short_len;
    uint64_t ino;
    unsigned dtype;
};

static uint8_t short_csum(const uint8_t *n)
{
    uint8_t s = 0;
    for (unsigned i = 0; i < 11; i++)
        s = (uint8_t)(((s & 1) << 7) + (s >> 1) + n[i]);
    return s;
}

static void lfn_add(struct lfn *l, const uint8_t *de)
{
    static const uint8_t offs[13] = { 1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30 };
    unsigned ord = de[0] & 0x1f;
    if (de[0] & 0x40) {
        if (ord == 0 || ord > LFN_MAX_PARTS) {
            l->parts = 0;
            return;
        }
        l->parts = ord;
        l->next_ord = ord;
        l->csum = de[13];
    }
    if (!l->parts || ord != l->next_ord || de[13] != l->csum || ord == 0) {
        l->parts = 0;
        return;
    }
    for (unsigned i = 0; i < 13; i++)
        l->u[(ord - 1) * 13 + i] = get_le16(de + offs[i]);
    l->next_ord = ord - 1;
}

/* UTF-16 to UTF-8 up to the terminating 0 (or 0xffff padding): length, 0 if unusable. */
static size_t lfn_utf8(const struct lfn *l, char *out)
{
    size_t o = 0, n = l->parts * 13;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = l->u[i];
        if (c == 0 || c == 0xffff)
            break;
        if (c >= 0xd800 && c < 0xdc00 && i + 1 < n && l->u[i + 1] >= 0xdc00 &&
            l->u[i + 1] < 0xe000)
            c = 0x10000 + ((c - 0xd800) << 10) + (l->u[++i] - 0xdc00u);
        uint8_t b[4];
        size_t k;
        if (c < 0x80) {
            b[0] = (uint8_t)c;
            k = 1;
        } else if (c < 0x800) {
            b[0] = (uint8_t)(0xc0 | c >> 6);
            b[1] = (uint8_t)(0x80 | (c & 0x3f));
            k = 2;
        } else if (c < 0x10000) {
            b[0] = (uint8_t)(0xe0 | c >> 12);
            b[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
            b[2] = (uint8_t)(0x80 | (c & 0x3f));
            k = 3;
        } else {
            b[0] = (uint8_t)(0xf0 | c >> 18);
            b[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3f));
            b[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
            b[3] = (uint8_t)(0x80 | (c & 0x3f));
            k = 4;
        }
        if (o + k > FAT_NAME_MAX)
            return 0;
        memcpy(out + o, b, k);
        o += k;
    }
    return o;
}

/* The 8.3 name: length, 0 if it has bytes outside ASCII (a code page we do not carry). */
static size_t short_name(const uint8_t *de, char *out)
{
    size_t o = 0;
    int base = 8, ext = 3;
    while (base > 0 && de[base - 1] == ' ')
        base--;
    while (ext > 0 && de[8 + ext - 1] == ' ')
        ext--;
    for (int i = 0; i < base + (ext ? ext + 1 : 0); i++) {
        uint8_t c;
        bool in_ext = i > base;
        if (i == base) {
            out[o++] = '.';
            continue;
        }
        c = in_ext ? de[8 + (i - base - 1)] : de[i];
        if (i == 0 && c == 0x05)
            c = 0xe5;
        if (c < 0x20 || c >= 0x7f)
            return 0;
        if (c >= 'A' && c <= 'Z' && (de[12] & (in_ext ? NT_LOWER_EXT : NT_LOWER_BASE)))
            c |= 0x20;
        out[o++] = (char)c;
    }
    return o;
}

static bool name_ok(const char *s, size_t n)
{
    if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
        return false;
    return memchr(s, '/', n) == NULL && memchr(s, 0, n) == NULL;
}

typedef bool (*visit_t)(void *ctx, const struct entry *e, uint64_t next_off);

/* Entries of dir from byte offset off; visit returns false to stop (off is left at that
 * entry). *offp follows the entries visit accepted, and skipped ones. */
static int walk(struct fat_fs *fs, struct fat_inode *dir, uint64_t *offp, visit_t visit,
                void *ctx)
{
    if (!S_ISDIR(dir->mode))
        return -ENOTDIR;
    struct lfn *l = kzalloc(sizeof(*l));
    struct entry *e = kmalloc(sizeof(*e));
    int err = -ENOMEM;
    if (!l || !e)
        goto out;
    err = 0;
    for (uint64_t off = *offp; off + FAT_DE_SIZE <= dir->size; off += FAT_DE_SIZE) {
        uint8_t de[FAT_DE_SIZE];
        uint64_t dev;
        if ((err = fat_map(fs, dir, off, &dev)) || (err = fat_read_bytes(fs, dev, de, sizeof de)))
            break;
        if (de[0] == 0)
            break;                    /* the end of the directory */
        uint8_t attr = de[11];
        if (de[0] == 0xe5) {
            l->parts = 0;
        } else if ((attr & 0x3f) == FAT_ATTR_LFN) {
            lfn_add(l, de);
        } else if (attr & FAT_ATTR_VOLUME) {
            l->parts = 0;
        } else if (de[0] == '.' && (!memcmp(de, ".          ", 11) || !memcmp(de, "..         ", 11))) {
            l->parts = 0;             /* "." and ".." are made up by readdir */
        } else {
            bool lfn_ok = l->parts && l->next_ord == 0 && l->csum == short_csum(de);
            l->parts = lfn_ok ? l->parts : 0;
            e->short_len = short_name(de, e->short_name);
            e->short_name[e->short_len] = 0;
            e->len = lfn_ok ? lfn_utf8(l, e->name) : 0;
            if (!e->len) {
                memcpy(e->name, e->short_name, e->short_len);
                e->len = e->short_len;
            }
            l->parts = 0;
            e->ino = dev;
            e->dtype = (attr & FAT_ATTR_DIR) ? DT_DIR : DT_REG;
            if (!name_ok(e->name, e->len)) {
                fat_error(fs, dev, "unusable file name");
            } else if (!visit(ctx, e, off + FAT_DE_SIZE)) {
                break;
            }
        }
        *offp = off + FAT_DE_SIZE;
    }
out:
    kfree(l);
    kfree(e);
    return err;
}

/* ---- readdir: positions 0 and 1 are "." and "..", then 2 + the byte offset ---- */

struct fill_ctx {
    fat_filldir_t fill;
    void *ctx;
};

static bool fill_visit(void *c, const struct entry *e, uint64_t next_off)
{
    struct fill_ctx *f = c;
    return f->fill(f->ctx, e->name, e->len, e->ino, e->dtype, next_off + 2);
}

int fat_readdir(struct fat_fs *fs, struct fat_inode *dir, uint64_t *pos, fat_filldir_t fill,
                void *ctx)
{
    if (!S_ISDIR(dir->mode))
        return -ENOTDIR;
    if (*pos == 0) {
        if (!fill(ctx, ".", 1, dir->ino, DT_DIR, 1))
            return 0;
        *pos = 1;
    }
    if (*pos == 1) {
        /* The parent's number is not in the entry; readdir's d_ino for ".." is advisory. */
        if (!fill(ctx, "..", 2, FAT_ROOT_INO, DT_DIR, 2))
            return 0;
        *pos = 2;
    }
    uint64_t off = ALIGN_UP(*pos - 2, (uint64_t)FAT_DE_SIZE);
    struct fill_ctx f = { fill, ctx };
    int err = walk(fs, dir, &off, fill_visit, &f);
    *pos = off + 2;
    return err;
}

/* ---- lookup ---- */

struct lookup_ctx {
    const char *name;
    size_t len;
    uint64_t ino;
    bool found;
};

static bool same_ci(const char *a, size_t an, const char *b, size_t bn)
{
    if (an != bn)
        return false;
    for (size_t i = 0; i < an; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x |= 0x20;
        if (y >= 'A' && y <= 'Z')
            y |= 0x20;
        if (x != y)
            return false;
    }
    return true;
}

static bool lookup_visit(void *c, const struct entry *e, uint64_t next_off)
{
    (void)next_off;
    struct lookup_ctx *l = c;
    if (same_ci(e->name, e->len, l->name, l->len) ||
        (e->short_len && same_ci(e->short_name, e->short_len, l->name, l->len))) {
        l->ino = e->ino;
        l->found = true;
        return false;
    }
    return true;
}

int fat_lookup(struct fat_fs *fs, struct fat_inode *dir, const char *name, size_t len,
               uint64_t *ino)
{
    struct lookup_ctx l = { .name = name, .len = len };
    uint64_t off = 0;
    int err = walk(fs, dir, &off, lookup_visit, &l);
    if (l.found) {
        *ino = l.ino;
        return 0;
    }
    return err ? err : -ENOENT;
}

/* ---- The volume label entry ---- */

int fat_read_root_label(struct fat_fs *fs)
{
    struct fat_inode *root = kmalloc(sizeof(*root));
    if (!root)
        return -ENOMEM;
    int err = fat_iget(fs, FAT_ROOT_INO, root);
    for (uint64_t off = 0; !err && off + FAT_DE_SIZE <= root->size; off += FAT_DE_SIZE) {
        uint8_t de[FAT_DE_SIZE];
        uint64_t dev;
        if ((err = fat_map(fs, root, off, &dev)) || (err = fat_read_bytes(fs, dev, de, sizeof de)))
            break;
        if (de[0] == 0)
            break;
        if (de[0] == 0xe5 || (de[11] & 0x3f) == FAT_ATTR_LFN || !(de[11] & FAT_ATTR_VOLUME))
            continue;
        size_t n = 11;
        while (n && de[n - 1] == ' ')
            n--;
        bool ok = n > 0;
        for (size_t i = 0; i < n; i++)
            ok = ok && de[i] >= 0x20 && de[i] < 0x7f && de[i] != '/';
        if (ok) {
            memcpy(fs->label, de, n);
            fs->label[n] = 0;
        }
        break;
    }
    kfree(root);
    return err;
}
