/* OFS core: directories and the namespace operations.
 *
 * A directory's entries are tree items keyed (dir, DIRENT, crc32c(name)); names whose hashes
 * collide share one item (a list of entries). Lookup is one tree search, so a directory with
 * 100k entries costs what a tree of 100k items costs (a few node visits). Positions for
 * getdents are ((hash + 1) << 8 | index in the item), stable across other insertions.
 *
 * Every operation validates everything and reserves space before its first change (see
 * ofs.h: errors); a failure after that is corruption or an I/O error and makes the
 * filesystem read-only, dropping the transaction. */
#include "ofs.h"
#include "kernel.h"
#include "mm.h"
#include "string.h"
#include "uapi/stat.h"

#define OFS_LINK_MAX 65000u
#define OFS_DIR_LINK_MAX 0x7fffffffu

static int check_name(const char *name, size_t len)
{
    if (len == 0)
        return -ENOENT;
    if (len > OFS_NAME_MAX)
        return -ENAMETOOLONG;
    for (size_t i = 0; i < len; i++)
        if (name[i] == '/' || name[i] == 0)
            return -EINVAL;
    if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
        return -EINVAL;
    return 0;
}

/* Read the entry item for name's hash into buf (OFS_MAX_VALUE bytes): its length, 0 if none. */
static int read_item(struct ofs_fs *fs, uint64_t dir, const char *name, size_t len, uint8_t *buf,
                     size_t *vlen)
{
    struct ofs_key k = { dir, OFS_TYPE_DIRENT, ofs_name_hash(name, len) };
    int r = ofs_tree_lookup(fs, &k, buf, OFS_MAX_VALUE, vlen);
    if (r == -ENOENT) {
        *vlen = 0;
        return 0;
    }
    if (r == 0 && *vlen > OFS_MAX_VALUE)
        return ofs_error(fs, dir, -EUCLEAN, "directory entry item too long");
    return r;
}

/* Find name in dir: 0 with its inode number and type, -ENOENT, or -errno. */
static int dir_find(struct ofs_fs *fs, uint64_t dir, const char *name, size_t len,
                    uint64_t *ino, uint8_t *type)
{
    uint8_t *buf = kmalloc(OFS_MAX_VALUE);
    if (!buf)
        return -ENOMEM;
    size_t vlen, pos = 0;
    int r = read_item(fs, dir, name, len, buf, &vlen);
    if (r == 0)
        r = -ENOENT;
    if (vlen == 0)
        goto out;
    for (;;) {
        uint64_t i;
        uint8_t t;
        const char *n;
        size_t nl;
        int e = ofs_dirent_next(buf, vlen, &pos, &i, &t, &n, &nl);
        if (e < 0) {
            r = ofs_error(fs, dir, -EUCLEAN, "invalid directory entry");
            break;
        }
        if (e == 0)
            break;
        if (nl == len && memcmp(n, name, len) == 0) {
            *ino = i;
            *type = t;
            r = 0;
            break;
        }
    }
out:
    kfree(buf);
    return r;
}

/* Would one more entry for name fit in its hash item? */
static int dir_can_add(struct ofs_fs *fs, uint64_t dir, const char *name, size_t len)
{
    uint8_t *buf = kmalloc(OFS_MAX_VALUE);
    if (!buf)
        return -ENOMEM;
    size_t vlen;
    int r = read_item(fs, dir, name, len, buf, &vlen);
    kfree(buf);
    if (r < 0)
        return r;
    if (vlen + OFS_DIRENT_HDR + len > OFS_MAX_VALUE) {
        pr_warn("ofs: directory %llu: too many names with the same hash\n",
                (unsigned long long)dir);
        return -ENOSPC;
    }
    return 0;
}

static int dir_add(struct ofs_fs *fs, uint64_t dir, const char *name, size_t len, uint64_t ino,
                   uint8_t type)
{
    uint8_t *buf = kmalloc(OFS_MAX_VALUE);
    if (!buf)
        return -ENOMEM;
    size_t vlen;
    int r = read_item(fs, dir, name, len, buf, &vlen);
    if (r == 0 && vlen + OFS_DIRENT_HDR + len > OFS_MAX_VALUE)
        r = -ENOSPC;
    if (r == 0) {
        uint8_t *e = buf + vlen;
        ofs_put64(e, ino);
        e[8] = type;
        e[9] = (uint8_t)len;
        memcpy(e + OFS_DIRENT_HDR, name, len);
        struct ofs_key k = { dir, OFS_TYPE_DIRENT, ofs_name_hash(name, len) };
        r = ofs_tree_insert(fs, &k, buf, vlen + OFS_DIRENT_HDR + len, true);
    }
    kfree(buf);
    return r;
}

static int dir_remove(struct ofs_fs *fs, uint64_t dir, const char *name, size_t len)
{
    uint8_t *buf = kmalloc(OFS_MAX_VALUE);
    if (!buf)
        return -ENOMEM;
    size_t vlen, pos = 0;
    int r = read_item(fs, dir, name, len, buf, &vlen);
    if (r < 0)
        goto out;
    r = -ENOENT;
    for (;;) {
        size_t start = pos;
        uint64_t i;
        uint8_t t;
        const char *n;
        size_t nl;
        int e = ofs_dirent_next(buf, vlen, &pos, &i, &t, &n, &nl);
        if (e <= 0) {
            if (e < 0)
                r = -EUCLEAN;
            break;
        }
        if (nl == len && memcmp(n, name, len) == 0) {
            memmove(buf + start, buf + pos, vlen - pos);
            vlen -= pos - start;
            struct ofs_key k = { dir, OFS_TYPE_DIRENT, ofs_name_hash(name, len) };
            r = vlen ? ofs_tree_insert(fs, &k, buf, vlen, true) : ofs_tree_delete(fs, &k);
            break;
        }
    }
out:
    kfree(buf);
    return r;
}

int ofs_dir_empty(struct ofs_fs *fs, uint64_t dir)
{
    struct ofs_key k = { dir, OFS_TYPE_DIRENT, 0 }, found;
    int r = ofs_tree_next(fs, &k, &found, NULL, 0, NULL);
    if (r == -ENOENT)
        return 0;
    if (r < 0)
        return r;
    return found.obj == dir && found.type == OFS_TYPE_DIRENT ? -ENOTEMPTY : 0;
}

/* Refresh a directory argument from the tree and check it can take changes. */
static int get_dir(struct ofs_fs *fs, struct ofs_inode *dir)
{
    int r = ofs_iget(fs, dir->ino, dir);
    if (r < 0)
        return r == -ENOENT ? ofs_error(fs, dir->ino, -EUCLEAN, "directory inode missing") : r;
    if (!S_ISDIR(dir->d.mode))
        return -ENOTDIR;
    if (dir->d.nlink == 0)
        return -ENOENT;     /* removed while in use */
    return 0;
}

int ofs_lookup(struct ofs_fs *fs, struct ofs_inode *dir, const char *name, size_t len,
               uint64_t *ino)
{
    int r = get_dir(fs, dir);
    if (r < 0)
        return r;
    if (len == 1 && name[0] == '.') {
        *ino = dir->ino;
        return 0;
    }
    if (len == 2 && name[0] == '.' && name[1] == '.') {
        *ino = dir->d.parent;
        return 0;
    }
    if ((r = check_name(name, len)) < 0)
        return r == -EINVAL ? -ENOENT : r;
    uint8_t t;
    return dir_find(fs, dir->ino, name, len, ino, &t);
}

int ofs_readdir(struct ofs_fs *fs, struct ofs_inode *dir, uint64_t *pos, ofs_filldir_t fill,
                void *ctx)
{
    int r = ofs_iget(fs, dir->ino, dir);
    if (r < 0)
        return r;
    if (!S_ISDIR(dir->d.mode))
        return -ENOTDIR;
    if (*pos == 0) {
        if (!fill(ctx, ".", 1, dir->ino, OFS_DT_DIR, 1))
            return 0;
        *pos = 1;
    }
    if (*pos == 1) {
        if (!fill(ctx, "..", 2, dir->d.parent, OFS_DT_DIR, 2))
            return 0;
        *pos = 2;
    }
    if (*pos >= OFS_DIR_EOF)
        return 0;
    uint64_t h = *pos < 256 ? 0 : (*pos >> 8) - 1;
    unsigned first = *pos < 256 ? 0 : (unsigned)(*pos & 0xff);
    uint8_t *buf = kmalloc(OFS_MAX_VALUE);
    if (!buf)
        return -ENOMEM;
    r = 0;
    for (;;) {
        struct ofs_key k = { dir->ino, OFS_TYPE_DIRENT, h }, found;
        size_t vlen;
        r = ofs_tree_next(fs, &k, &found, buf, OFS_MAX_VALUE, &vlen);
        if (r == -ENOENT || (r == 0 && (found.obj != dir->ino || found.type != OFS_TYPE_DIRENT))) {
            *pos = OFS_DIR_EOF;
            r = 0;
            break;
        }
        if (r < 0)
            break;
        if (found.off > 0xffffffffu || vlen > OFS_MAX_VALUE) {
            r = ofs_error(fs, dir->ino, -EUCLEAN, "invalid directory entry item");
            break;
        }
        if (found.off != h)
            first = 0;
        h = found.off;
        size_t p = 0;
        bool stop = false;
        for (unsigned idx = 0;; idx++) {
            uint64_t ino;
            uint8_t t;
            const char *n;
            size_t nl;
            int e = ofs_dirent_next(buf, vlen, &p, &ino, &t, &n, &nl);
            if (e < 0) {
                r = ofs_error(fs, dir->ino, -EUCLEAN, "invalid directory entry");
                stop = true;
                break;
            }
            if (e == 0)
                break;
            if (idx < first)
                continue;
            uint64_t here = ((h + 1) << 8) | idx;
            uint64_t next = p < vlen ? here + 1 : (h + 2) << 8;
            if (!fill(ctx, n, nl, ino, t, next)) {
                *pos = here;
                stop = true;
                break;
            }
            *pos = next;
        }
        if (stop)
            break;
        h++;
        first = 0;
    }
    kfree(buf);
    return r;
}

/* Create an inode and its entry (the common part of create, mkdir, symlink). */
static int new_inode(struct ofs_fs *fs, struct ofs_inode *dir, const char *name, size_t len,
                     const struct ofs_attrs *a, uint64_t data_blocks, struct ofs_inode *out)
{
    int r = check_name(name, len);
    if (r < 0)
        return r;
    if ((r = get_dir(fs, dir)) < 0)
        return r;
    if (ofs_mode_to_dt(a->mode) == OFS_DT_UNKNOWN)
        return -EINVAL;
    uint64_t ino;
    uint8_t t;
    r = dir_find(fs, dir->ino, name, len, &ino, &t);
    if (r == 0)
        return -EEXIST;
    if (r != -ENOENT)
        return r;
    bool isdir = S_ISDIR(a->mode);
    if (isdir && dir->d.nlink >= OFS_DIR_LINK_MAX)
        return -EMLINK;
    if ((r = dir_can_add(fs, dir->ino, name, len)) < 0)
        return r;
    if ((r = ofs_begin(fs, data_blocks, 4 + 6 * (unsigned)data_blocks)) < 0)
        return r;
    struct ofs_inode in = { .ino = fs->next_ino };
    in.d.mode = a->mode;
    in.d.uid = a->uid;
    in.d.gid = a->gid;
    in.d.nlink = isdir ? 2 : 1;
    in.d.rdev = a->rdev;
    in.d.parent = isdir ? dir->ino : 0;
    ofs_now(fs, &in.d.mtime);
    in.d.atime = in.d.ctime = in.d.btime = in.d.mtime;
    r = ofs_iput(fs, &in);
    if (r == 0)
        r = dir_add(fs, dir->ino, name, len, in.ino, ofs_mode_to_dt(a->mode));
    if (r == 0) {
        fs->next_ino++;
        fs->inode_count++;
        if (isdir)
            dir->d.nlink++;
        dir->d.mtime = dir->d.ctime = in.d.mtime;
        r = ofs_iput(fs, dir);
    }
    if (r < 0)
        return ofs_error(fs, dir->ino, r, "cannot create a directory entry");
    *out = in;
    return 0;
}

int ofs_create(struct ofs_fs *fs, struct ofs_inode *dir, const char *name, size_t len,
               const struct ofs_attrs *a, struct ofs_inode *out)
{
    uint32_t type = a->mode & S_IFMT;
    if (type == S_IFDIR || type == S_IFLNK)
        return -EINVAL;
    return new_inode(fs, dir, name, len, a, 0, out);
}

int ofs_mkdir(struct ofs_fs *fs, struct ofs_inode *dir, const char *name, size_t len,
              const struct ofs_attrs *a, struct ofs_inode *out)
{
    struct ofs_attrs da = *a;
    da.mode = S_IFDIR | (a->mode & 07777u);
    da.rdev = 0;
    return new_inode(fs, dir, name, len, &da, 0, out);
}

int ofs_symlink(struct ofs_fs *fs, struct ofs_inode *dir, const char *name, size_t len,
                const char *target, size_t tlen, const struct ofs_attrs *a,
                struct ofs_inode *out)
{
    if (tlen == 0)
        return -ENOENT;
    if (tlen >= OFS_BLOCK_SIZE)
        return -ENAMETOOLONG;
    struct ofs_attrs la = *a;
    la.mode = S_IFLNK | 0777u;
    la.rdev = 0;
    int r = new_inode(fs, dir, name, len, &la, 1, out);
    if (r < 0)
        return r;
    ssize_t w = ofs_write_reserved(fs, out, 0, target, tlen);
    if (w != (ssize_t)tlen)
        return ofs_error(fs, out->ino, w < 0 ? (int)w : -EIO, "cannot write a symlink target");
    return 0;
}

int ofs_readlink(struct ofs_fs *fs, struct ofs_inode *in, char *buf, size_t size)
{
    int r = ofs_iget(fs, in->ino, in);
    if (r < 0)
        return r;
    if ((in->d.mode & S_IFMT) != S_IFLNK)
        return -EINVAL;
    if (in->d.size == 0 || in->d.size >= OFS_BLOCK_SIZE)
        return ofs_error(fs, in->ino, -EUCLEAN, "symlink target length invalid");
    if (size <= in->d.size)
        return -ENAMETOOLONG;
    ssize_t n = ofs_read(fs, in, 0, buf, (size_t)in->d.size);
    if (n < 0)
        return (int)n;
    buf[n] = 0;
    return (int)n;
}

int ofs_link(struct ofs_fs *fs, struct ofs_inode *dir, const char *name, size_t len,
             struct ofs_inode *in)
{
    int r = check_name(name, len);
    if (r < 0)
        return r;
    if ((r = get_dir(fs, dir)) < 0)
        return r;
    if ((r = ofs_iget(fs, in->ino, in)) < 0)
        return r;
    if (S_ISDIR(in->d.mode))
        return -EPERM;
    if (in->d.nlink == 0)
        return -ENOENT;
    if (in->d.nlink >= OFS_LINK_MAX)
        return -EMLINK;
    uint64_t ino;
    uint8_t t;
    r = dir_find(fs, dir->ino, name, len, &ino, &t);
    if (r == 0)
        return -EEXIST;
    if (r != -ENOENT)
        return r;
    if ((r = dir_can_add(fs, dir->ino, name, len)) < 0)
        return r;
    if ((r = ofs_begin(fs, 0, 3)) < 0)
        return r;
    r = dir_add(fs, dir->ino, name, len, in->ino, ofs_mode_to_dt(in->d.mode));
    if (r == 0) {
        in->d.nlink++;
        ofs_now(fs, &in->d.ctime);
        dir->d.mtime = dir->d.ctime = in->d.ctime;
        r = ofs_iput(fs, in);
    }
    if (r == 0)
        r = ofs_iput(fs, dir);
    if (r < 0)
        return ofs_error(fs, dir->ino, r, "cannot add a link");
    return 0;
}

/* Drop one link of `in` (all of them for a directory); an inode left without links becomes
 * an orphan until ofs_evict. */
static int drop_link(struct ofs_fs *fs, struct ofs_inode *in, const struct ofs_timespec *now)
{
    if (S_ISDIR(in->d.mode) || in->d.nlink <= 1)
        in->d.nlink = 0;
    else
        in->d.nlink--;
    in->d.ctime = *now;
    if (in->d.nlink == 0) {
        struct ofs_key k = { OFS_ORPHAN_OBJ, OFS_TYPE_ORPHAN, in->ino };
        int r = ofs_tree_insert(fs, &k, NULL, 0, true);
        if (r < 0)
            return r;
    }
    return ofs_iput(fs, in);
}

static int remove_common(struct ofs_fs *fs, struct ofs_inode *dir, const char *name, size_t len,
                         struct ofs_inode *in, bool want_dir)
{
    int r = check_name(name, len);
    if (r < 0)
        return r == -EINVAL && len <= 2 && name[0] == '.' ? (want_dir ? -EINVAL : -EISDIR) : r;
    if ((r = get_dir(fs, dir)) < 0)
        return r;
    uint64_t ino;
    uint8_t t;
    if ((r = dir_find(fs, dir->ino, name, len, &ino, &t)) < 0)
        return r;
    if ((r = ofs_iget(fs, ino, in)) < 0)
        return r == -ENOENT ? ofs_error(fs, dir->ino, -EUCLEAN, "entry names a missing inode") : r;
    if (want_dir && !S_ISDIR(in->d.mode))
        return -ENOTDIR;
    if (!want_dir && S_ISDIR(in->d.mode))
        return -EISDIR;
    if (want_dir && (r = ofs_dir_empty(fs, ino)) < 0)
        return r;
    if ((r = ofs_begin(fs, 0, 4)) < 0)
        return r;
    struct ofs_timespec now;
    ofs_now(fs, &now);
    r = dir_remove(fs, dir->ino, name, len);
    if (r == 0)
        r = drop_link(fs, in, &now);
    if (r == 0) {
        if (want_dir && dir->d.nlink > 2)
            dir->d.nlink--;
        dir->d.mtime = dir->d.ctime = now;
        r = ofs_iput(fs, dir);
    }
    if (r < 0)
        return ofs_error(fs, dir->ino, r, "cannot remove a directory entry");
    return 0;
}

int ofs_unlink(struct ofs_fs *fs, struct ofs_inode *dir, const char *name, size_t len,
               struct ofs_inode *in)
{
    return remove_common(fs, dir, name, len, in, false);
}

int ofs_rmdir(struct ofs_fs *fs, struct ofs_inode *dir, const char *name, size_t len,
              struct ofs_inode *in)
{
    return remove_common(fs, dir, name, len, in, true);
}

int ofs_rename(struct ofs_fs *fs, struct ofs_inode *odir, const char *oname, size_t olen,
               struct ofs_inode *ndir, const char *nname, size_t nlen, uint64_t *victim)
{
    *victim = 0;
    int r = check_name(oname, olen);
    if (r == 0)
        r = check_name(nname, nlen);
    if (r < 0)
        return r == -EINVAL ? -EBUSY : r;   /* "." and ".." cannot be renamed or replaced */
    bool same = odir->ino == ndir->ino;
    struct ofs_inode *const caller_ndir = ndir;
    if (same)
        ndir = odir;        /* one inode: change one copy, copy it back at the end */
    if ((r = get_dir(fs, odir)) < 0 || (r = get_dir(fs, ndir)) < 0)
        return r;
    uint64_t sino, vino = 0;
    uint8_t st, vt;
    if ((r = dir_find(fs, odir->ino, oname, olen, &sino, &st)) < 0)
        return r;
    r = dir_find(fs, ndir->ino, nname, nlen, &vino, &vt);
    if (r < 0 && r != -ENOENT)
        return r;
    if (r == -ENOENT)
        vino = 0;
    if (vino == sino)
        return 0;       /* two names of one inode: nothing to do (POSIX) */
    struct ofs_inode s, v;
    if ((r = ofs_iget(fs, sino, &s)) < 0)
        return r == -ENOENT ? ofs_error(fs, odir->ino, -EUCLEAN, "entry names a missing inode") : r;
    bool sdir = S_ISDIR(s.d.mode);
    if (vino) {
        if ((r = ofs_iget(fs, vino, &v)) < 0)
            return r == -ENOENT ? ofs_error(fs, ndir->ino, -EUCLEAN, "entry names a missing inode") : r;
        if (sdir && !S_ISDIR(v.d.mode))
            return -ENOTDIR;
        if (!sdir && S_ISDIR(v.d.mode))
            return -EISDIR;
        if (sdir && (r = ofs_dir_empty(fs, vino)) < 0)
            return r;
    } else if ((r = dir_can_add(fs, ndir->ino, nname, nlen)) < 0) {
        return r;
    }
    if (sdir && !same) {
        /* Not into its own subtree: walk up from the new parent. */
        uint64_t x = ndir->ino;
        for (unsigned depth = 0; x != OFS_ROOT_INO; depth++) {
            if (x == sino)
                return -EINVAL;
            struct ofs_inode p;
            if (depth > 100000 || (r = ofs_iget(fs, x, &p)) < 0)
                return ofs_error(fs, x, -EUCLEAN, "directory parent chain broken");
            x = p.d.parent;
        }
        if (ndir->d.nlink >= OFS_DIR_LINK_MAX)
            return -EMLINK;
    }
    if ((r = ofs_begin(fs, 0, 10)) < 0)
        return r;
    struct ofs_timespec now;
    ofs_now(fs, &now);
    r = dir_remove(fs, odir->ino, oname, olen);
    if (r == 0 && vino)
        r = dir_remove(fs, ndir->ino, nname, nlen);
    if (r == 0)
        r = dir_add(fs, ndir->ino, nname, nlen, sino, st);
    if (r == 0 && vino) {
        r = drop_link(fs, &v, &now);
        if (S_ISDIR(v.d.mode) && ndir->d.nlink > 2)
            ndir->d.nlink--;
        if (v.d.nlink == 0)
            *victim = vino;
    }
    if (r == 0) {
        if (sdir && !same) {
            s.d.parent = ndir->ino;
            odir->d.nlink--;
            ndir->d.nlink++;
        }
        s.d.ctime = now;
        r = ofs_iput(fs, &s);
    }
    if (r == 0) {
        odir->d.mtime = odir->d.ctime = now;
        ndir->d.mtime = ndir->d.ctime = now;
        r = ofs_iput(fs, odir);
        if (r == 0 && !same)
            r = ofs_iput(fs, ndir);
        if (same)
            caller_ndir->d = odir->d;
    }
    if (r < 0)
        return ofs_error(fs, odir->ino, r, "cannot rename");
    return 0;
}
