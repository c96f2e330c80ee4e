/* OFS core: mount (choosing the superblock), the commit, format, statfs, errors.
 *
 * Commit protocol (docs/ofs.md):
 *   1. write every dirty tree node and the changed space map to blocks that the last commit
 *      does not use;
 *   2. FLUSH;
 *   3. write the superblock with sequence number seq+1 into slot (seq+1) % 2, i.e. over the
 *      older of the two superblocks, never over the one describing the last commit;
 *   4. FLUSH.
 * A crash before 3 is durable leaves the last commit's superblock as the newest valid one, and
 * everything it points to untouched; a torn superblock fails its checksum. After 4 the new
 * commit is the newest valid superblock. */
#include "ofs.h"
#include "crc32.h"
#include "kernel.h"
#include "ratelimit.h"
#include "mm.h"
#include "string.h"

/* Clean nodes kept cached after a commit before the cache is trimmed. */
#define OFS_CACHE_NODE_LIMIT 2048u
/* Commit on our own once this many tree nodes are dirty (bounds transaction memory). */
#define OFS_DIRTY_NODE_LIMIT 1024u

int ofs_error(struct ofs_fs *fs, uint64_t ino, int err, const char *what)
{
    /* Any reader of a damaged file gets here at every access: rate-limited. */
    if (ino)
        pr_err_ratelimited("ofs: error %d: inode %llu: %s\n", err, (unsigned long long)ino, what);
    else
        pr_err_ratelimited("ofs: error %d: %s\n", err, what);
    if (!fs->readonly)
        pr_err("ofs: the filesystem is now read-only; the last commit stays intact on disk\n");
    fs->errors = true;
    fs->readonly = true;
    return err;
}

int ofs_data_error(struct ofs_fs *fs, uint64_t ino, uint64_t lblk, uint64_t pblk)
{
    fs->data_errors++;
    pr_err_ratelimited("ofs: inode %llu block %llu (physical %llu): data checksum mismatch\n",
                       (unsigned long long)ino, (unsigned long long)lblk,
                       (unsigned long long)pblk);
    return -EIO;
}

void ofs_now(struct ofs_fs *fs, struct ofs_timespec *ts)
{
    ts->sec = 0;
    ts->nsec = 0;
    if (fs->io.now)
        fs->io.now(fs->io.ctx, ts);
    if (ts->nsec >= 1000000000u)
        ts->nsec = 0;
}

static struct ofs_fs *fs_alloc(const struct ofs_io *io)
{
    struct ofs_fs *fs = kzalloc(sizeof(*fs));
    if (!fs)
        return NULL;
    fs->io = *io;
    fs->dirty_limit = OFS_DIRTY_NODE_LIMIT;
    fs->blockbuf = kmalloc(OFS_BLOCK_SIZE);
    fs->iobuf = kmalloc(OFS_BLOCK_SIZE);
    if (!fs->blockbuf || !fs->iobuf) {
        kfree(fs->blockbuf);
        kfree(fs->iobuf);
        kfree(fs);
        return NULL;
    }
    return fs;
}

static void fs_free(struct ofs_fs *fs)
{
    ofs_tree_free(fs);
    ofs_space_free(fs);
    kfree(fs->blockbuf);
    kfree(fs->iobuf);
    kfree(fs);
}

int ofs_commit(struct ofs_fs *fs)
{
    if (fs->errors)
        return -EIO;
    if (fs->readonly || !fs->dirty)
        return 0;
    struct ofs_super nsb = fs->sb;
    unsigned level;
    int r = ofs_tree_write(fs, &nsb.root, &level);
    if (r == 0)
        r = ofs_space_write(fs, &nsb.bmap);
    if (r == 0)
        r = fs->io.flush(fs->io.ctx);
    if (r == 0) {
        nsb.seq = fs->sb.seq + 1;
        nsb.root_level = level;
        nsb.next_ino = fs->next_ino;
        nsb.inode_count = fs->inode_count;
        nsb.free_blocks = fs->free_work;
        ofs_super_encode(&nsb, fs->blockbuf);
        r = fs->io.write(fs->io.ctx, nsb.seq % OFS_SB_SLOTS, fs->blockbuf);
    }
    if (r == 0)
        r = fs->io.flush(fs->io.ctx);
    if (r < 0) {
        ofs_error(fs, 0, r, "commit failed");
        return -EIO;
    }
    fs->sb = nsb;
    ofs_space_committed(fs);
    fs->dirty = false;
    fs->commits++;
    fs->alloc_cursor = OFS_SB_SLOTS;
    if (fs->cached_nodes > OFS_CACHE_NODE_LIMIT)
        ofs_shrink_cache(fs);
    if (fs->io.committed)
        fs->io.committed(fs->io.ctx, fs->sb.seq);
    return 0;
}

/* Finish removing inodes that were unlinked while open when the system stopped. */
static int process_orphans(struct ofs_fs *fs)
{
    for (unsigned n = 0; n < (1u << 24); n++) {
        struct ofs_key k = { OFS_ORPHAN_OBJ, OFS_TYPE_ORPHAN, 0 }, found;
        int r = ofs_tree_next(fs, &k, &found, NULL, 0, NULL);
        if (r == -ENOENT || (r == 0 && (found.obj != OFS_ORPHAN_OBJ || found.type != OFS_TYPE_ORPHAN)))
            return 0;
        if (r < 0)
            return r;
        r = ofs_evict(fs, found.off);
        if (r < 0)
            return r;
    }
    return 0;
}

/* Convert a version-1 filesystem to version 2 (docs/ofs.md: "Upgrading from version 1").
 * Without the space for it, the filesystem stays version 1 and is mounted read-only. */
static int upgrade(struct ofs_fs *fs)
{
    uint64_t n;
    pr_info("ofs: format version 1: adding data checksums (version 2); the data as it is now "
            "is taken as good\n");
    int r = ofs_add_datasums(fs, &n);
    if (r == -ENOSPC) {
        pr_err("ofs: no space to add data checksums: mounted read-only, still version 1\n");
        fs->readonly = true;
        return 0;
    }
    if (r < 0)
        return r;
    fs->sb.version = OFS_VERSION;
    fs->dirty = true;
    pr_info("ofs: format version 2: %llu data blocks checksummed\n", (unsigned long long)n);
    return 0;
}

int ofs_mount(const struct ofs_io *io, unsigned flags, struct ofs_fs **out)
{
    struct ofs_fs *fs = fs_alloc(io);
    if (!fs)
        return -ENOMEM;
    struct ofs_super cand[OFS_SB_SLOTS];
    int best = -1;
    for (unsigned s = 0; s < OFS_SB_SLOTS; s++) {
        const char *why = "";
        int r = io->read(io->ctx, s, fs->blockbuf);
        if (r < 0) {
            pr_warn("ofs: superblock slot %u: read error %d\n", s, r);
            continue;
        }
        if (ofs_super_decode(fs->blockbuf, s, io->nblocks, &cand[s], &why) < 0) {
            /* An all-zero slot is normal (a new filesystem has one commit). */
            bool zero = true;
            for (size_t i = 0; i < OFS_BLOCK_SIZE && zero; i++)
                zero = fs->blockbuf[i] == 0;
            if (!zero)
                pr_warn("ofs: superblock slot %u ignored: %s\n", s, why);
            continue;
        }
        if (best < 0 || cand[s].seq > cand[best].seq)
            best = (int)s;
    }
    if (best < 0) {
        pr_err("ofs: no valid superblock\n");
        fs_free(fs);
        return -EUCLEAN;
    }
    fs->sb = cand[best];
    fs->next_ino = fs->sb.next_ino;
    fs->inode_count = fs->sb.inode_count;
    fs->alloc_cursor = OFS_SB_SLOTS;
    fs->readonly = (flags & OFS_MOUNT_RDONLY) != 0;
    int r = ofs_space_init(fs, fs->sb.total_blocks);
    if (r == 0)
        r = ofs_space_load(fs);
    if (r == 0)
        r = ofs_tree_load_root(fs, &fs->sb.root, fs->sb.root_level);
    if (r == 0) {
        struct ofs_inode root;
        r = ofs_iget(fs, OFS_ROOT_INO, &root);
        if (r == 0 && !(root.d.mode & 0040000u))
            r = ofs_error(fs, OFS_ROOT_INO, -EUCLEAN, "the root is not a directory");
    }
    if (r == 0 && fs->sb.version == OFS_VERSION_NO_DATASUMS && fs->readonly)
        pr_warn("ofs: format version 1: file data is not checksummed (a read-write mount "
                "converts the filesystem to version 2)\n");
    if (r == 0 && !fs->readonly) {
        r = process_orphans(fs);
        if (r == 0 && fs->sb.version == OFS_VERSION_NO_DATASUMS)
            r = upgrade(fs);
        if (r == 0)
            r = ofs_commit(fs);
    }
    if (r < 0) {
        fs_free(fs);
        return r;
    }
    *out = fs;
    return 0;
}

int ofs_unmount(struct ofs_fs *fs)
{
    int r = 0;
    if (!fs->readonly)
        r = ofs_commit(fs);
    fs_free(fs);
    return r;
}

int ofs_format(const struct ofs_io *io, const struct ofs_format_params *p)
{
    uint64_t blocks = p->blocks ? p->blocks : io->nblocks;
    if (blocks < OFS_MIN_BLOCKS || blocks > io->nblocks)
        return -EINVAL;
    if (blocks > OFS_MAX_BLOCKS)
        blocks = OFS_MAX_BLOCKS;    /* use the part of the device OFS can address */
    struct ofs_fs *fs = fs_alloc(io);
    if (!fs)
        return -ENOMEM;
    struct ofs_super *sb = &fs->sb;
    sb->version = OFS_VERSION;
    sb->block_size = OFS_BLOCK_SIZE;
    sb->seq = 0;
    sb->total_blocks = blocks;
    sb->mkfs_time = p->time.sec;
    memcpy(sb->uuid, p->uuid, OFS_UUID_LEN);
    memcpy(sb->label, p->label, OFS_LABEL_LEN);
    fs->next_ino = OFS_FIRST_INO;
    fs->inode_count = 1;
    fs->alloc_cursor = OFS_SB_SLOTS;
    int r = ofs_space_init(fs, blocks);
    if (r < 0)
        goto out;
    /* Superblock slots and the padding past the end are permanently in use, in both maps. */
    for (uint64_t b = 0; b < (uint64_t)sb->bmap_chunks * OFS_BITS_PER_CHUNK; b++) {
        if (b < OFS_SB_SLOTS || b >= blocks) {
            fs->bm_work[b >> 3] |= (uint8_t)(1u << (b & 7));
            fs->bm_commit[b >> 3] |= (uint8_t)(1u << (b & 7));
        }
    }
    fs->free_work = fs->avail = blocks - OFS_SB_SLOTS;
    memset(fs->chunk_state, 1 /* CHUNK_DIRTY */, sb->bmap_chunks);
    r = ofs_tree_init_empty(fs);
    if (r < 0)
        goto out;
    struct ofs_inode root = { .ino = OFS_ROOT_INO };
    root.d.mode = 0040000u | (p->root_mode ? (p->root_mode & 07777u) : 0755u);
    root.d.uid = p->root_uid;
    root.d.gid = p->root_gid;
    root.d.nlink = 2;
    root.d.parent = OFS_ROOT_INO;
    root.d.atime = root.d.mtime = root.d.ctime = root.d.btime = p->time;
    r = ofs_iput(fs, &root);
    if (r < 0)
        goto out;
    /* Slot 0 must not hold an older filesystem's (possibly newer-numbered) superblock. */
    memset(fs->blockbuf, 0, OFS_BLOCK_SIZE);
    r = io->write(io->ctx, 0, fs->blockbuf);
    if (r == 0)
        r = io->flush(io->ctx);
    if (r == 0)
        r = ofs_commit(fs);
out:
    fs_free(fs);
    return r;
}

void ofs_statfs(struct ofs_fs *fs, struct ofs_statfs *st)
{
    st->bsize = OFS_BLOCK_SIZE;
    st->namelen = OFS_NAME_MAX;
    st->blocks = fs->sb.total_blocks;
    st->bfree = fs->free_work;
    st->bavail = fs->free_work;
    /* Inodes are tree items: as many more as there is space for (one leaf item each). */
    st->ffree = fs->free_work;
    st->files = fs->inode_count + st->ffree;
}
