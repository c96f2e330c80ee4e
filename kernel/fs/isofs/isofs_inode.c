/* iso9660 core: inodes from directory records (plain attributes, or Rock Ridge's), file data
 * over the record's extents (several for a multi-extent file), symlink targets. */
#include "isofs.h"
#include "kernel.h"
#include "mm.h"
#include "string.h"
#include "uapi/stat.h"

#define LINK_MAX_LEN 4096u

/* Rock Ridge's file type, unless it contradicts the record's directory flag (then the flag
 * wins: it decides whether the extent is walked as a directory). */
static uint32_t rock_mode(uint32_t px_mode, bool dir_flag)
{
    uint32_t type = px_mode & S_IFMT;
    bool known = type == S_IFREG || type == S_IFDIR || type == S_IFLNK || type == S_IFCHR ||
                 type == S_IFBLK || type == S_IFIFO || type == S_IFSOCK;
    if (!known || (type == S_IFDIR) != dir_flag)
        type = dir_flag ? S_IFDIR : S_IFREG;
    return type | (px_mode & 07777);
}

int iso_next_record(struct iso_fs *fs, uint64_t off, size_t len, uint64_t *next)
{
    uint64_t n = off + len;
    if (n % ISO_SECTOR) {
        uint8_t b;
        int err = iso_read_bytes(fs, n, &b, 1);
        if (err)
            return err;
        if (b == 0)
            n = ALIGN_UP(n, (uint64_t)ISO_SECTOR);
    }
    *next = n;
    return 0;
}

static int add_extent(struct iso_fs *fs, struct iso_inode *out, const uint8_t *rec)
{
    if (out->nextents == ISO_MAX_EXTENTS)
        return iso_error(fs, out->ino, "more than %u extents", ISO_MAX_EXTENTS);
    struct iso_extent *x = &out->ext[out->nextents++];
    x->block = get_le32(rec + ISO_DR_EXTENT) + rec[ISO_DR_EXT_ATTR_LEN];
    x->len = get_le32(rec + ISO_DR_SIZE);
    out->size += x->len;
    return 0;
}

/* A multi-extent file: its further records follow with the same name. */
static int more_extents(struct iso_fs *fs, struct iso_inode *out, const uint8_t *first,
                        size_t first_len, uint8_t *rec)
{
    uint64_t off = out->ino;
    size_t len = first_len;
    uint8_t flags = first[ISO_DR_FLAGS];
    while (flags & ISO_FLAG_MULTI) {
        int err = iso_next_record(fs, off, len, &off);
        if (err)
            return err;
        int n = iso_read_record(fs, off, rec);
        if (n < 0)
            return n;
        if (rec[ISO_DR_NAME_LEN] != first[ISO_DR_NAME_LEN] ||
            memcmp(rec + ISO_DR_NAME, first + ISO_DR_NAME, first[ISO_DR_NAME_LEN]) != 0)
            return iso_error(fs, out->ino, "multi-extent file without its last extent");
        if ((err = add_extent(fs, out, rec)))
            return err;
        len = (size_t)n;
        flags = rec[ISO_DR_FLAGS];
    }
    return 0;
}

static int apply_rock(struct iso_fs *fs, struct iso_inode *out, const uint8_t *rec, size_t len,
                      bool dir)
{
    struct iso_rr *rr = kmalloc(sizeof(*rr));
    char *link = NULL;
    int err = -ENOMEM;
    if (!rr)
        goto out;
    err = iso_rr_parse(fs, rec, len, rr, NULL, 0);
    if (err)
        goto out;
    if (rr->has_px) {
        out->mode = rock_mode(rr->mode, dir);
        out->nlink = rr->nlink ? rr->nlink : 1;
        out->uid = rr->uid;
        out->gid = rr->gid;
    }
    if (rr->has_tf) {
        out->mtime = rr->mtime;
        out->atime = rr->atime;
        out->ctime = rr->ctime;
    }
    if (rr->has_pn && (S_ISCHR(out->mode) || S_ISBLK(out->mode))) {
        if (rr->dev_high == 0 && (rr->dev_low & ~0xffu)) {
            out->rdev_major = (rr->dev_low >> 8) & 0xff;
            out->rdev_minor = rr->dev_low & 0xff;
        } else {
            out->rdev_major = rr->dev_high;
            out->rdev_minor = rr->dev_low;
        }
    }
    if (S_ISLNK(out->mode)) {
        err = -ENOMEM;
        if (!(link = kmalloc(LINK_MAX_LEN)))
            goto out;
        err = iso_rr_parse(fs, rec, len, rr, link, LINK_MAX_LEN);
        if (err == -ENAMETOOLONG)
            err = iso_error(fs, out->ino, "symlink target too long");
        if (err)
            goto out;
        out->size = strlen(link);
        out->nextents = 0;
    }
    err = 0;
out:
    kfree(link);
    kfree(rr);
    return err;
}

int iso_iget(struct iso_fs *fs, uint64_t ino, struct iso_inode *out)
{
    uint8_t *rec = kmalloc(2 * 255);
    if (!rec)
        return -ENOMEM;
    memset(out, 0, sizeof(*out));
    out->ino = ino;
    int len = iso_read_record(fs, ino, rec);
    int err = len < 0 ? len : 0;
    if (err)
        goto out;
    bool dir = rec[ISO_DR_FLAGS] & ISO_FLAG_DIR;
    out->mode = dir ? S_IFDIR | fs->opt.dmode : S_IFREG | fs->opt.fmode;
    out->nlink = dir ? 2 : 1;
    out->uid = fs->opt.uid;
    out->gid = fs->opt.gid;
    out->atime = out->mtime = out->ctime = iso_date7(rec + ISO_DR_DATE);
    if ((err = add_extent(fs, out, rec)))
        goto out;
    if (!dir && (err = more_extents(fs, out, rec, (size_t)len, rec + 255)))
        goto out;
    if (fs->names == ISO_NAMES_ROCK)
        err = apply_rock(fs, out, rec, (size_t)len, dir);
out:
    kfree(rec);
    return err;
}

ssize_t iso_read(struct iso_fs *fs, const struct iso_inode *in, uint64_t off, void *buf,
                 size_t len)
{
    if (!S_ISREG(in->mode) && !S_ISDIR(in->mode))
        return -EINVAL;
    size_t done = 0;
    uint64_t base = 0;                /* file offset of extent i */
    for (uint32_t i = 0; i < in->nextents && done < len; i++) {
        const struct iso_extent *x = &in->ext[i];
        uint64_t pos = off + done;
        if (pos >= base + x->len) {
            base += x->len;
            continue;
        }
        size_t n = (size_t)MIN((uint64_t)(len - done), base + x->len - pos);
        uint64_t dev = (uint64_t)x->block * fs->block_size + (pos - base);
        int err = iso_read_bytes(fs, dev, (char *)buf + done, n);
        if (err) {
            if (!done)
                iso_error(fs, in->ino, "cannot read %zu bytes at %llu", n,
                          (unsigned long long)dev);
            return done ? (ssize_t)done : -EIO;
        }
        done += n;
        base += x->len;
    }
    return (ssize_t)done;
}

int iso_readlink(struct iso_fs *fs, const struct iso_inode *in, char *buf, size_t size)
{
    if (!S_ISLNK(in->mode))
        return -EINVAL;
    uint8_t *rec = kmalloc(255);
    struct iso_rr *rr = kmalloc(sizeof(*rr));
    int err = -ENOMEM;
    if (rec && rr) {
        int len = iso_read_record(fs, in->ino, rec);
        err = len < 0 ? len : iso_rr_parse(fs, rec, (size_t)len, rr, buf, size);
    }
    kfree(rec);
    kfree(rr);
    return err ? err : (int)strlen(buf);
}
