/* ext2 core: directories (the linked-record format) and the namespace operations on top of
 * them. Shape after Linux's fs/ext2/dir.c and namei.c.
 *
 * A directory is a sequence of blocks, each a chain of records that exactly covers it:
 * inode, rec_len (to the next record), name_len, file_type, name. Adding a name takes an
 * unused record or splits the slack off the end of a used one; removing one merges it into
 * the previous record, or (first in its block) sets its inode to 0. That is what e2fsck
 * expects. Hashed (dir_index) directories are valid linear directories (the index hides in
 * records e2fsck and we both skip); we read them linearly and, when we change one, clear
 * EXT2_INDEX_FL like Linux does, since we do not maintain the index. */
#include "ext2.h"
#include "kernel.h"
#include "mm.h"
#include "string.h"
#include "fs.h"

typedef struct ext2_dir_entry_2 dirent_t;

static dirent_t *de_at(void *blk, uint32_t off) { return (dirent_t *)((char *)blk + off); }

static bool has_filetype(struct ext2_fs *fs)
{
    return (fs->sb.s_feature_incompat & EXT2_FEATURE_INCOMPAT_FILETYPE) != 0;
}

unsigned ext2_mode_to_ft(uint32_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG: return EXT2_FT_REG_FILE;
    case S_IFDIR: return EXT2_FT_DIR;
    case S_IFCHR: return EXT2_FT_CHRDEV;
    case S_IFBLK: return EXT2_FT_BLKDEV;
    case S_IFIFO: return EXT2_FT_FIFO;
    case S_IFSOCK: return EXT2_FT_SOCK;
    case S_IFLNK: return EXT2_FT_SYMLINK;
    default: return EXT2_FT_UNKNOWN;
    }
}

/* Check every record of directory block lblk (like Linux's ext2_check_page): records stay
 * inside the block, are 4-aligned, hold their names, and name valid inodes. */
static int check_block(struct ext2_fs *fs, struct ext2_inode_mem *dir, uint64_t lblk, void *blk)
{
    uint32_t off = 0;
    while (off < fs->block_size) {
        const char *why = NULL;
        dirent_t *de = de_at(blk, off);
        if (fs->block_size - off < EXT2_DIR_ENTRY_HEADER)
            why = "record header crosses the block end";
        else if (de->rec_len < EXT2_DIR_REC_LEN(1))
            why = "rec_len too small";
        else if (de->rec_len & 3)
            why = "unaligned rec_len";
        else if (de->rec_len > fs->block_size - off)
            why = "record crosses the block end";
        else if (de->inode && de->rec_len < EXT2_DIR_REC_LEN(de->name_len))
            why = "rec_len too small for the name";
        else if (de->inode && de->name_len == 0)
            why = "empty name";
        else if (de->inode > fs->sb.s_inodes_count)
            why = "inode number out of range";
        if (why)
            return ext2_error(fs, dir->ino, "directory block %llu offset %u: %s",
                              (unsigned long long)lblk, (unsigned)off, why);
        off += de->rec_len;
    }
    return 0;
}

static uint64_t dir_blocks(struct ext2_fs *fs, struct ext2_inode_mem *dir)
{
    return ext2_isize(dir) >> fs->log_block_size;
}

/* Read and check directory block lblk; *pblk gets its number. */
static int read_dir_block(struct ext2_fs *fs, struct ext2_inode_mem *dir, uint64_t lblk,
                          void *blk, uint32_t *pblk)
{
    int err = ext2_bmap(fs, dir, lblk, false, pblk);
    if (err)
        return err;
    if (*pblk == 0)
        return ext2_error(fs, dir->ino, "hole in directory at block %llu",
                          (unsigned long long)lblk);
    if ((err = ext2_read_block(fs, *pblk, blk)))
        return err;
    return check_block(fs, dir, lblk, blk);
}

static bool name_eq(const dirent_t *de, const char *name, size_t len)
{
    return de->inode && de->name_len == len && memcmp(de->name, name, len) == 0;
}

/* Where a name is: block, the record's offset and its predecessor's (-1 if first). */
struct dir_slot {
    uint64_t lblk;
    uint32_t pblk;
    uint32_t off;
    int64_t prev;
};

/* Find name; blk holds its block on success. 0, -ENOENT or -errno. */
static int find_entry(struct ext2_fs *fs, struct ext2_inode_mem *dir, const char *name,
                      size_t len, void *blk, struct dir_slot *slot)
{
    if (!S_ISDIR(dir->d.i_mode))
        return -ENOTDIR;
    uint64_t n = dir_blocks(fs, dir);
    for (uint64_t lblk = 0; lblk < n; lblk++) {
        int err = read_dir_block(fs, dir, lblk, blk, &slot->pblk);
        if (err)
            return err;
        int64_t prev = -1;
        for (uint32_t off = 0; off < fs->block_size; off += de_at(blk, off)->rec_len) {
            if (name_eq(de_at(blk, off), name, len)) {
                slot->lblk = lblk;
                slot->off = off;
                slot->prev = prev;
                return 0;
            }
            prev = off;
        }
    }
    return -ENOENT;
}

int ext2_lookup(struct ext2_fs *fs, struct ext2_inode_mem *dir, const char *name, size_t len,
                uint32_t *ino)
{
    if (len == 0 || len > EXT2_NAME_LEN)
        return len ? -ENAMETOOLONG : -ENOENT;
    void *blk = ext2_blk_alloc(fs);
    if (!blk)
        return -ENOMEM;
    struct dir_slot s;
    int err = find_entry(fs, dir, name, len, blk, &s);
    if (err == 0) {
        *ino = de_at(blk, s.off)->inode;
        if (*ino == 0)
            err = -ENOENT;
    }
    kfree(blk);
    return err;
}

int ext2_readdir(struct ext2_fs *fs, struct ext2_inode_mem *dir, uint64_t *pos,
                 ext2_filldir_t fill, void *ctx)
{
    if (!S_ISDIR(dir->d.i_mode))
        return -ENOTDIR;
    uint64_t size = ext2_isize(dir);
    if (*pos >= size)
        return 0;
    void *blk = ext2_blk_alloc(fs);
    if (!blk)
        return -ENOMEM;
    int err = 0;
    uint64_t n = dir_blocks(fs, dir);
    for (uint64_t lblk = *pos >> fs->log_block_size; lblk < n; lblk++) {
        uint32_t pblk;
        if ((err = read_dir_block(fs, dir, lblk, blk, &pblk)))
            break;
        uint64_t base = lblk << fs->log_block_size;
        /* Positions are byte offsets. One that no longer starts a record (the directory
         * changed since) resumes at the next record, as Linux does. */
        uint32_t start = (uint32_t)(*pos > base ? *pos - base : 0);
        for (uint32_t off = 0; off < fs->block_size; off += de_at(blk, off)->rec_len) {
            dirent_t *de = de_at(blk, off);
            if (off < start || !de->inode)
                continue;
            unsigned ft = has_filetype(fs) && de->file_type < EXT2_FT_MAX ? de->file_type : 0;
            if (!fill(ctx, de->name, de->name_len, base + off + de->rec_len, de->inode, ft)) {
                *pos = base + off;
                kfree(blk);
                return 0;
            }
        }
        *pos = base + fs->block_size;
    }
    kfree(blk);
    return err;
}

int ext2_dir_empty(struct ext2_fs *fs, struct ext2_inode_mem *dir)
{
    void *blk = ext2_blk_alloc(fs);
    if (!blk)
        return -ENOMEM;
    int err = 0;
    uint64_t n = dir_blocks(fs, dir);
    for (uint64_t lblk = 0; lblk < n && !err; lblk++) {
        uint32_t pblk;
        if ((err = read_dir_block(fs, dir, lblk, blk, &pblk)))
            break;
        for (uint32_t off = 0; off < fs->block_size; off += de_at(blk, off)->rec_len) {
            dirent_t *de = de_at(blk, off);
            if (!de->inode)
                continue;
            bool dot = de->name_len == 1 && de->name[0] == '.';
            bool dotdot = de->name_len == 2 && de->name[0] == '.' && de->name[1] == '.';
            if (!dot && !dotdot) {
                err = -ENOTEMPTY;
                break;
            }
        }
    }
    kfree(blk);
    return err;
}

/* The directory changed: new times, and the hash index (which we do not update) is off. */
static int dir_changed(struct ext2_fs *fs, struct ext2_inode_mem *dir)
{
    dir->d.i_flags &= ~(uint32_t)EXT2_INDEX_FL;
    dir->d.i_mtime = dir->d.i_ctime = ext2_now(fs);
    return ext2_iwrite(fs, dir);
}

static void fill_entry(struct ext2_fs *fs, dirent_t *de, const char *name, size_t len,
                       uint32_t ino, uint32_t mode)
{
    de->inode = ino;
    de->name_len = (uint8_t)len;
    de->file_type = has_filetype(fs) ? (uint8_t)ext2_mode_to_ft(mode) : 0;
    memcpy(de->name, name, len);
}

/* Add name -> ino (the caller checked the name is absent). */
static int add_entry(struct ext2_fs *fs, struct ext2_inode_mem *dir, const char *name,
                     size_t len, uint32_t ino, uint32_t mode)
{
    if (len == 0)
        return -ENOENT;
    if (len > EXT2_NAME_LEN)
        return -ENAMETOOLONG;
    uint32_t need = EXT2_DIR_REC_LEN(len);
    void *blk = ext2_blk_alloc(fs);
    if (!blk)
        return -ENOMEM;
    int err = 0;
    uint64_t n = dir_blocks(fs, dir);
    for (uint64_t lblk = 0; lblk < n; lblk++) {
        uint32_t pblk;
        if ((err = read_dir_block(fs, dir, lblk, blk, &pblk)))
            goto out;
        for (uint32_t off = 0; off < fs->block_size; off += de_at(blk, off)->rec_len) {
            dirent_t *de = de_at(blk, off);
            if (!de->inode && de->rec_len >= need) {
                fill_entry(fs, de, name, len, ino, mode);
            } else if (de->inode && de->rec_len >= EXT2_DIR_REC_LEN(de->name_len) + need) {
                /* Split the slack at the end of a used record into a new one. */
                uint32_t used = EXT2_DIR_REC_LEN(de->name_len);
                dirent_t *nd = de_at(blk, off + used);
                nd->rec_len = (uint16_t)(de->rec_len - used);
                de->rec_len = (uint16_t)used;
                fill_entry(fs, nd, name, len, ino, mode);
            } else {
                continue;
            }
            if (!(err = ext2_write_block(fs, pblk, blk)))
                err = dir_changed(fs, dir);
            goto out;
        }
    }
    /* No room: a new block with one record covering it. */
    uint32_t pblk;
    if ((err = ext2_bmap(fs, dir, n, true, &pblk)))
        goto out;
    memset(blk, 0, fs->block_size);
    dirent_t *de = de_at(blk, 0);
    de->rec_len = (uint16_t)fs->block_size;
    fill_entry(fs, de, name, len, ino, mode);
    ext2_set_isize(fs, dir, (n + 1) << fs->log_block_size);
    if (!(err = ext2_write_block(fs, pblk, blk)))
        err = dir_changed(fs, dir);
    else
        ext2_iwrite(fs, dir);    /* the block is allocated either way */
out:
    kfree(blk);
    return err;
}

/* Remove the record of name (which must name ino). */
static int delete_entry(struct ext2_fs *fs, struct ext2_inode_mem *dir, const char *name,
                        size_t len, uint32_t ino)
{
    void *blk = ext2_blk_alloc(fs);
    if (!blk)
        return -ENOMEM;
    struct dir_slot s;
    int err = find_entry(fs, dir, name, len, blk, &s);
    if (err == 0 && de_at(blk, s.off)->inode != ino)
        err = -ENOENT;      /* changed under us: should not happen with the caller's lock */
    if (err == 0) {
        dirent_t *de = de_at(blk, s.off);
        if (s.prev >= 0) {
            dirent_t *pd = de_at(blk, (uint32_t)s.prev);
            pd->rec_len = (uint16_t)(pd->rec_len + de->rec_len);
        } else {
            de->inode = 0;
        }
        if (!(err = ext2_write_block(fs, s.pblk, blk)))
            err = dir_changed(fs, dir);
    }
    kfree(blk);
    return err;
}

/* Point an existing record at another inode (rename over a name, a moved directory's ".."). */
static int retarget_entry(struct ext2_fs *fs, struct ext2_inode_mem *dir, const char *name,
                          size_t len, uint32_t ino, uint32_t mode)
{
    void *blk = ext2_blk_alloc(fs);
    if (!blk)
        return -ENOMEM;
    struct dir_slot s;
    int err = find_entry(fs, dir, name, len, blk, &s);
    if (err == 0) {
        dirent_t *de = de_at(blk, s.off);
        de->inode = ino;
        de->file_type = has_filetype(fs) ? (uint8_t)ext2_mode_to_ft(mode) : 0;
        if (!(err = ext2_write_block(fs, s.pblk, blk)))
            err = dir_changed(fs, dir);
    }
    kfree(blk);
    return err;
}

static int check_new_name(struct ext2_fs *fs, struct ext2_inode_mem *dir, const char *name,
                          size_t len)
{
    int err = ext2_check_writable(fs);
    if (err)
        return err;
    if (len == 0)
        return -ENOENT;
    if (len > EXT2_NAME_LEN)
        return -ENAMETOOLONG;
    if (dir->d.i_links_count == 0)
        return -ENOENT;         /* a removed directory */
    uint32_t ino;
    err = ext2_lookup(fs, dir, name, len, &ino);
    if (err == 0)
        return -EEXIST;
    return err == -ENOENT ? 0 : err;
}

/* A fresh inode for `a` (not yet linked anywhere). */
static int new_inode(struct ext2_fs *fs, struct ext2_inode_mem *dir,
                     const struct ext2_new_attrs *a, struct ext2_inode_mem *out)
{
    bool is_dir = S_ISDIR(a->mode);
    int err = ext2_new_inode_nr(fs, dir->ino, is_dir, &out->ino);
    if (err)
        return err;
    memset(&out->d, 0, sizeof(out->d));
    out->d.i_mode = (uint16_t)a->mode;
    ext2_set_iuid(out, a->uid);
    ext2_set_igid(out, a->gid);
    out->d.i_atime = out->d.i_ctime = out->d.i_mtime = ext2_now(fs);
    out->d.i_links_count = 1;
    /* Directories pass on the flags Linux inherits (sync, noatime, ...), never the index. */
    out->d.i_flags = dir->d.i_flags & (EXT2_SYNC_FL | EXT2_NODUMP_FL | EXT2_NOATIME_FL);
    if (S_ISCHR(a->mode) || S_ISBLK(a->mode))
        ext2_set_dev(out, a->major, a->minor);
    return 0;
}

/* Undo new_inode (+ any blocks) after a later step failed. */
static void discard_inode(struct ext2_fs *fs, struct ext2_inode_mem *in)
{
    in->d.i_links_count = 0;
    ext2_free_inode(fs, in);
}

int ext2_create(struct ext2_fs *fs, struct ext2_inode_mem *dir, const char *name, size_t len,
                const struct ext2_new_attrs *a, struct ext2_inode_mem *out)
{
    int err = check_new_name(fs, dir, name, len);
    if (err)
        return err;
    if (S_ISDIR(a->mode) || S_ISLNK(a->mode) || !ext2_mode_to_ft(a->mode))
        return -EINVAL;
    if ((err = new_inode(fs, dir, a, out)))
        return err;
    if ((err = ext2_iwrite_new(fs, out)) || (err = add_entry(fs, dir, name, len, out->ino, a->mode))) {
        discard_inode(fs, out);
        return err;
    }
    return 0;
}

int ext2_mkdir(struct ext2_fs *fs, struct ext2_inode_mem *dir, const char *name, size_t len,
               const struct ext2_new_attrs *a, struct ext2_inode_mem *out)
{
    int err = check_new_name(fs, dir, name, len);
    if (err)
        return err;
    if (dir->d.i_links_count >= EXT2_LINK_MAX)
        return -EMLINK;
    struct ext2_new_attrs da = *a;
    da.mode = S_IFDIR | (a->mode & 07777);
    if ((err = new_inode(fs, dir, &da, out)))
        return err;
    out->d.i_links_count = 2;
    uint32_t pblk;
    void *blk = ext2_blk_alloc(fs);
    if (!blk) {
        err = -ENOMEM;
        goto fail;
    }
    if ((err = ext2_bmap(fs, out, 0, true, &pblk)))
        goto fail;
    dirent_t *dot = de_at(blk, 0);
    dot->rec_len = (uint16_t)EXT2_DIR_REC_LEN(1);
    fill_entry(fs, dot, ".", 1, out->ino, S_IFDIR);
    dirent_t *dotdot = de_at(blk, dot->rec_len);
    dotdot->rec_len = (uint16_t)(fs->block_size - dot->rec_len);
    fill_entry(fs, dotdot, "..", 2, dir->ino, S_IFDIR);
    ext2_set_isize(fs, out, fs->block_size);
    if ((err = ext2_write_block(fs, pblk, blk)) || (err = ext2_iwrite_new(fs, out)) ||
        (err = add_entry(fs, dir, name, len, out->ino, S_IFDIR)))
        goto fail;
    kfree(blk);
    dir->d.i_links_count++;
    return ext2_iwrite(fs, dir);
fail:
    kfree(blk);
    discard_inode(fs, out);
    return err;
}

int ext2_symlink(struct ext2_fs *fs, struct ext2_inode_mem *dir, const char *name, size_t len,
                 const char *target, const struct ext2_new_attrs *a, struct ext2_inode_mem *out)
{
    size_t tlen = strlen(target);
    if (tlen == 0)
        return -ENOENT;
    if (tlen >= fs->block_size || tlen >= 4096)
        return -ENAMETOOLONG;
    int err = check_new_name(fs, dir, name, len);
    if (err)
        return err;
    struct ext2_new_attrs sa = *a;
    sa.mode = S_IFLNK | 0777;
    if ((err = new_inode(fs, dir, &sa, out)))
        return err;
    if (tlen < sizeof(out->d.i_block)) {
        /* Fast symlink: the target lives in i_block (no data block). */
        memcpy(out->d.i_block, target, tlen);
        ext2_set_isize(fs, out, tlen);
        err = ext2_iwrite_new(fs, out);
    } else if (!(err = ext2_iwrite_new(fs, out))) {
        err = ext2_write_slow_symlink(fs, out, target, tlen);
    }
    if (!err)
        err = add_entry(fs, dir, name, len, out->ino, S_IFLNK);
    if (err)
        discard_inode(fs, out);
    return err;
}

int ext2_link(struct ext2_fs *fs, struct ext2_inode_mem *dir, const char *name, size_t len,
              struct ext2_inode_mem *in)
{
    int err = check_new_name(fs, dir, name, len);
    if (err)
        return err;
    if (S_ISDIR(in->d.i_mode))
        return -EPERM;
    if (in->d.i_links_count >= EXT2_LINK_MAX)
        return -EMLINK;
    if ((err = add_entry(fs, dir, name, len, in->ino, in->d.i_mode)))
        return err;
    in->d.i_links_count++;
    in->d.i_ctime = ext2_now(fs);
    return ext2_iwrite(fs, in);
}

static void drop_link(struct ext2_fs *fs, struct ext2_inode_mem *in)
{
    if (in->d.i_links_count)
        in->d.i_links_count--;
    in->d.i_ctime = ext2_now(fs);
}

int ext2_unlink(struct ext2_fs *fs, struct ext2_inode_mem *dir, const char *name, size_t len,
                struct ext2_inode_mem *in)
{
    int err = ext2_check_writable(fs);
    if (err)
        return err;
    if ((err = delete_entry(fs, dir, name, len, in->ino)))
        return err;
    drop_link(fs, in);
    return ext2_iwrite(fs, in);
}

int ext2_rmdir(struct ext2_fs *fs, struct ext2_inode_mem *dir, const char *name, size_t len,
               struct ext2_inode_mem *in)
{
    int err = ext2_check_writable(fs);
    if (err)
        return err;
    if (!S_ISDIR(in->d.i_mode))
        return -ENOTDIR;
    if ((err = ext2_dir_empty(fs, in)))
        return err;
    if ((err = delete_entry(fs, dir, name, len, in->ino)))
        return err;
    in->d.i_links_count = 0;
    in->d.i_ctime = ext2_now(fs);
    if ((err = ext2_iwrite(fs, in)))
        return err;
    drop_link(fs, dir);         /* its ".." is gone */
    return ext2_iwrite(fs, dir);
}

int ext2_rename(struct ext2_fs *fs, struct ext2_inode_mem *odir, const char *oname, size_t olen,
                struct ext2_inode_mem *ndir, const char *nname, size_t nlen,
                struct ext2_inode_mem *in, struct ext2_inode_mem *victim)
{
    int err = ext2_check_writable(fs);
    if (err)
        return err;
    bool is_dir = S_ISDIR(in->d.i_mode);
    bool moved_dir = is_dir && odir->ino != ndir->ino;
    if (victim) {
        if (S_ISDIR(victim->d.i_mode) != is_dir)
            return is_dir ? -ENOTDIR : -EISDIR;
        if (is_dir && (err = ext2_dir_empty(fs, victim)))
            return err;
        if ((err = retarget_entry(fs, ndir, nname, nlen, in->ino, in->d.i_mode)))
            return err;
        if (is_dir) {
            victim->d.i_links_count = 0;
            victim->d.i_ctime = ext2_now(fs);
            drop_link(fs, ndir);       /* the victim's ".." */
        } else {
            drop_link(fs, victim);
        }
        if ((err = ext2_iwrite(fs, victim)))
            return err;
    } else {
        if (moved_dir && ndir->d.i_links_count >= EXT2_LINK_MAX)
            return -EMLINK;
        if ((err = check_new_name(fs, ndir, nname, nlen)) ||
            (err = add_entry(fs, ndir, nname, nlen, in->ino, in->d.i_mode)))
            return err;
    }
    if ((err = delete_entry(fs, odir, oname, olen, in->ino)))
        return err;
    in->d.i_ctime = ext2_now(fs);
    if (moved_dir) {
        if ((err = retarget_entry(fs, in, "..", 2, ndir->ino, S_IFDIR)))
            return err;
        drop_link(fs, odir);
        ndir->d.i_links_count++;
    }
    if ((err = ext2_iwrite(fs, in)) || (err = ext2_iwrite(fs, odir)))
        return err;
    return odir == ndir ? 0 : ext2_iwrite(fs, ndir);
}
