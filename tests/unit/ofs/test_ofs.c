/* Host tests for OFS (kernel/fs/ofs): the format code, the core's file and directory
 * operations over an in-memory device, fsck (tools/ofs/ofs_check.c) on good and damaged
 * images, and crash consistency: every write the core issues is recorded, and the image is
 * rebuilt for every cut point (each write boundary, with and without the writes after the
 * last flush, and with a torn superblock write); each must mount, check clean, and hold
 * exactly the state of a commit no older than the last one that completed. ASan/UBSan on. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ofs_dump.h"
#include "../../../tools/ofs/ofs_check.h"
#include "../../../tools/ofs/ofs_repair.h"
#include "crc32.h"

#define MIB (1024u * 1024u)

/* ---- A device that records what the core writes ---- */

struct snapshot {
    uint64_t seq;
    char *dump;
};
#define MAX_SNAPS 4096

struct rec {
    uint64_t blk;           /* UINT64_MAX: a flush */
    uint8_t *data;
};

struct dev {
    uint8_t *data;
    uint64_t nblocks;
    bool recording;
    struct rec *log;
    size_t nlog, caplog;
    uint64_t fail_writes_after;   /* >0: writes fail once this many were done */
    uint64_t writes;
    int64_t clock;
    /* Crash tests: snapshot every commit of `fs` (its content as ofs_dump shows it). */
    struct ofs_fs *fs;
    struct snapshot *snaps;
    size_t nsnaps;
};

static int dev_read(void *ctx, uint64_t blk, void *buf)
{
    struct dev *d = ctx;
    if (blk >= d->nblocks)
        return -EIO;
    memcpy(buf, d->data + blk * OFS_BLOCK_SIZE, OFS_BLOCK_SIZE);
    return 0;
}

static void dev_log(struct dev *d, uint64_t blk, const void *buf)
{
    if (!d->recording)
        return;
    if (d->nlog == d->caplog) {
        d->caplog = d->caplog ? d->caplog * 2 : 1024;
        d->log = realloc(d->log, d->caplog * sizeof(*d->log));
    }
    d->log[d->nlog].blk = blk;
    d->log[d->nlog].data = NULL;
    if (buf) {
        d->log[d->nlog].data = malloc(OFS_BLOCK_SIZE);
        memcpy(d->log[d->nlog].data, buf, OFS_BLOCK_SIZE);
    }
    d->nlog++;
}

static int dev_write(void *ctx, uint64_t blk, const void *buf)
{
    struct dev *d = ctx;
    if (blk >= d->nblocks)
        return -EIO;
    if (d->fail_writes_after && d->writes >= d->fail_writes_after)
        return -EIO;
    d->writes++;
    memcpy(d->data + blk * OFS_BLOCK_SIZE, buf, OFS_BLOCK_SIZE);
    dev_log(d, blk, buf);
    return 0;
}

static int dev_flush(void *ctx)
{
    dev_log(ctx, UINT64_MAX, NULL);
    return 0;
}

static void dev_now(void *ctx, struct ofs_timespec *ts)
{
    struct dev *d = ctx;
    ts->sec = 1700000000 + d->clock++;
    ts->nsec = 123456789;
}

static void dev_committed(void *ctx, uint64_t seq)
{
    struct dev *d = ctx;
    if (!d->fs || !d->snaps || d->nsnaps >= MAX_SNAPS)
        return;
    d->snaps[d->nsnaps].seq = seq;
    d->snaps[d->nsnaps].dump = ofs_dump(d->fs, 100000, NULL);
    d->nsnaps++;
}

static struct dev *dev_new(uint64_t bytes)
{
    struct dev *d = calloc(1, sizeof(*d));
    d->nblocks = bytes / OFS_BLOCK_SIZE;
    d->data = calloc(1, bytes);
    return d;
}

static void dev_free(struct dev *d)
{
    for (size_t i = 0; i < d->nlog; i++)
        free(d->log[i].data);
    free(d->log);
    free(d->data);
    free(d);
}

static struct ofs_io dev_io(struct dev *d)
{
    struct ofs_io io = { .ctx = d, .read = dev_read, .write = dev_write, .flush = dev_flush,
                         .nblocks = d->nblocks, .now = dev_now, .committed = dev_committed };
    return io;
}

static void format(struct dev *d)
{
    struct ofs_format_params p;
    memset(&p, 0, sizeof(p));
    memcpy(p.label, "test", 4);
    struct ofs_io io = dev_io(d);
    assert_int_equal(ofs_format(&io, &p), 0);
}

static struct ofs_fs *mount_rw(struct dev *d)
{
    struct ofs_io io = dev_io(d);
    struct ofs_fs *fs = NULL;
    assert_int_equal(ofs_mount(&io, 0, &fs), 0);
    return fs;
}

/* fsck the device's current contents (a read-only mount); returns the error count. */
static unsigned fsck_dev(struct dev *d, unsigned *orphans)
{
    struct ofs_io io = dev_io(d);
    io.write = NULL;
    struct ofs_fs *fs;
    int r = ofs_mount(&io, OFS_MOUNT_RDONLY, &fs);
    if (r < 0)
        return 1000;
    struct ofs_check_result res;
    unsigned e = ofs_check(fs, getenv("OFS_VERBOSE") ? stderr : NULL, 20, &res);
    if (orphans)
        *orphans = res.orphans;
    ofs_unmount(fs);
    return e;
}

static struct ofs_inode root_of(struct ofs_fs *fs)
{
    struct ofs_inode r;
    assert_int_equal(ofs_iget(fs, OFS_ROOT_INO, &r), 0);
    return r;
}

static const struct ofs_attrs file_attrs = { .mode = 0100644, .uid = 1000, .gid = 100 };
static const struct ofs_attrs dir_attrs = { .mode = 0040755 };

static void fill(uint8_t *buf, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 9));
}

/* ---- Format code ---- */

/* CRC-32C one bit at a time: the definition crc32.c's tables must agree with. */
static uint32_t crc32c_bitwise(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0x82f63b78u & -(crc & 1u));
    }
    return ~crc;
}

static void test_crc_and_superblock(void **state)
{
    (void)state;
    assert_int_equal(crc32c(0, "123456789", 9), 0xe3069283u);
    /* The 8-bytes-at-a-time path, every alignment and tail length, chained. */
    static uint8_t data[OFS_BLOCK_SIZE + 64];
    fill(data, sizeof(data), 5);
    for (size_t off = 0; off < 16; off++)
        for (size_t len = 0; len < 80; len++)
            assert_int_equal(crc32c(off * 77u, data + off, len),
                             crc32c_bitwise(off * 77u, data + off, len));
    assert_int_equal(crc32c(0, data + 3, OFS_BLOCK_SIZE), crc32c_bitwise(0, data + 3, OFS_BLOCK_SIZE));
    assert_int_equal(crc32c(crc32c(0, data, 1000), data + 1000, 3000),
                     crc32c_bitwise(0, data, 4000));
    assert_int_equal(crc32c_le(~0u, data, 4000), ~crc32c_bitwise(0, data, 4000));
    struct ofs_super sb = { .version = OFS_VERSION, .block_size = OFS_BLOCK_SIZE, .seq = 7,
                            .total_blocks = 1000, .root = { 5, 0x1234 }, .bmap = { 6, 9 },
                            .bmap_chunks = 1, .next_ino = 10, .inode_count = 3,
                            .free_blocks = 900, .mkfs_time = 42 };
    memcpy(sb.label, "lbl", 3);
    uint8_t b[OFS_BLOCK_SIZE];
    ofs_super_encode(&sb, b);
    struct ofs_super out;
    const char *why = NULL;
    assert_int_equal(ofs_super_decode(b, 1, 1000, &out, &why), 0);
    assert_int_equal(out.seq, 7);
    assert_int_equal(out.root.crc, 0x1234);
    assert_memory_equal(out.label, sb.label, OFS_LABEL_LEN);
    /* The slot must match the sequence number's parity. */
    assert_int_equal(ofs_super_decode(b, 0, 1000, &out, &why), -EUCLEAN);
    /* Every bit is covered by the checksum. */
    for (size_t i = 0; i < OFS_BLOCK_SIZE; i += 97) {
        b[i] ^= 0x10;
        assert_int_equal(ofs_super_decode(b, 1, 1000, &out, &why), -EUCLEAN);
        b[i] ^= 0x10;
    }
    /* Larger than the device. */
    assert_int_equal(ofs_super_decode(b, 1, 999, &out, &why), -EUCLEAN);
}

static void test_dinode_and_dirent(void **state)
{
    (void)state;
    struct ofs_dinode d = { .mode = 0100600, .uid = 5, .gid = 6, .nlink = 2, .size = 1ull << 40,
                            .blocks = 3, .mtime = { -5, 999999999 }, .rdev = 0 };
    uint8_t b[OFS_DINODE_SIZE];
    ofs_dinode_encode(&d, b);
    struct ofs_dinode o;
    assert_int_equal(ofs_dinode_decode(b, sizeof(b), &o), 0);
    assert_int_equal(o.size, 1ull << 40);
    assert_int_equal(o.mtime.sec, -5);
    assert_int_equal(ofs_dinode_decode(b, sizeof(b) - 1, &o), -EUCLEAN);
    ofs_put32(b, 0170644);       /* no such file type */
    assert_int_equal(ofs_dinode_decode(b, sizeof(b), &o), -EUCLEAN);

    uint8_t v[32] = { 0 };
    ofs_put64(v, 9);
    v[8] = OFS_DT_REG;
    v[9] = 3;
    memcpy(v + 10, "abc", 3);
    size_t pos = 0, nl;
    uint64_t ino;
    uint8_t t;
    const char *n;
    assert_int_equal(ofs_dirent_next(v, 13, &pos, &ino, &t, &n, &nl), 1);
    assert_int_equal(ino, 9);
    assert_int_equal(ofs_dirent_next(v, 13, &pos, &ino, &t, &n, &nl), 0);
    pos = 0;
    assert_int_equal(ofs_dirent_next(v, 12, &pos, &ino, &t, &n, &nl), -EUCLEAN);
    v[11] = '/';
    pos = 0;
    assert_int_equal(ofs_dirent_next(v, 13, &pos, &ino, &t, &n, &nl), -EUCLEAN);
}

/* ---- Core operations ---- */

static void test_format_mount_fsck(void **state)
{
    (void)state;
    struct dev *d = dev_new(8 * MIB);
    format(d);
    assert_int_equal(fsck_dev(d, NULL), 0);
    struct ofs_fs *fs = mount_rw(d);
    struct ofs_inode root = root_of(fs);
    assert_int_equal(root.d.mode, 040755);
    assert_int_equal(root.d.nlink, 2);
    struct ofs_statfs st;
    ofs_statfs(fs, &st);
    assert_int_equal(st.blocks, 2048);
    assert_true(st.bfree > 2030);
    assert_int_equal(ofs_unmount(fs), 0);
    /* Both superblocks gone: no filesystem. */
    memset(d->data, 0, 2 * OFS_BLOCK_SIZE);
    struct ofs_io io = dev_io(d);
    struct ofs_fs *fs2;
    assert_int_equal(ofs_mount(&io, 0, &fs2), -EUCLEAN);
    dev_free(d);
}

static void test_files(void **state)
{
    (void)state;
    struct dev *d = dev_new(16 * MIB);
    format(d);
    struct ofs_fs *fs = mount_rw(d);
    struct ofs_inode root = root_of(fs), f, g;
    assert_int_equal(ofs_create(fs, &root, "a", 1, &file_attrs, &f), 0);
    assert_int_equal(ofs_create(fs, &root, "a", 1, &file_attrs, &g), -EEXIST);
    size_t n = 300000;
    uint8_t *buf = malloc(n), *back = malloc(n);
    fill(buf, n, 1);
    /* Unaligned pieces, out of order. */
    assert_int_equal(ofs_write(fs, &f, 100000, buf + 100000, 200000), 200000);
    assert_int_equal(ofs_write(fs, &f, 0, buf, 77777), 77777);
    assert_int_equal(ofs_write(fs, &f, 77777, buf + 77777, 100000 - 77777), 100000 - 77777);
    assert_int_equal(f.d.size, n);
    assert_int_equal(ofs_read(fs, &f, 0, back, n), (ssize_t)n);
    assert_memory_equal(buf, back, n);
    assert_int_equal(ofs_commit(fs), 0);
    /* Overwrite committed data (copy on write), then remount and compare. */
    fill(buf + 5000, 10000, 9);
    assert_int_equal(ofs_write(fs, &f, 5000, buf + 5000, 10000), 10000);
    assert_int_equal(ofs_unmount(fs), 0);
    assert_int_equal(fsck_dev(d, NULL), 0);
    fs = mount_rw(d);
    f.ino = f.ino;
    memset(back, 0, n);
    assert_int_equal(ofs_read(fs, &f, 0, back, n + 10), (ssize_t)n);
    assert_memory_equal(buf, back, n);
    assert_int_equal(f.d.uid, 1000);
    assert_int_equal(f.d.mtime.nsec, 123456789);
    /* Contiguous appends make few extents: the file should need a handful of blocks of
     * metadata at most. */
    assert_true(f.d.blocks == (n + 4095) / 4096);

    /* Truncate down and up: the tail reads as zeros. */
    struct ofs_setattr sa = { .mask = OFS_SET_SIZE, .size = 5000 };
    assert_int_equal(ofs_setattr(fs, &f, &sa), 0);
    sa.size = 20000;
    assert_int_equal(ofs_setattr(fs, &f, &sa), 0);
    assert_int_equal(ofs_read(fs, &f, 0, back, 20000), 20000);
    assert_memory_equal(back, buf, 5000);
    for (size_t i = 5000; i < 20000; i++)
        assert_int_equal(back[i], 0);
    assert_int_equal(f.d.blocks, 2);
    assert_int_equal(ofs_unmount(fs), 0);
    assert_int_equal(fsck_dev(d, NULL), 0);
    free(buf);
    free(back);
    dev_free(d);
}

static void test_sparse_large(void **state)
{
    (void)state;
    struct dev *d = dev_new(16 * MIB);
    format(d);
    struct ofs_fs *fs = mount_rw(d);
    struct ofs_inode root = root_of(fs), f;
    assert_int_equal(ofs_create(fs, &root, "big", 3, &file_attrs, &f), 0);
    uint64_t far = 6ull << 30;      /* 6 GiB: past every 32-bit offset */
    assert_int_equal(ofs_write(fs, &f, far, "tail", 4), 4);
    assert_int_equal(ofs_write(fs, &f, 4096 * 3 + 10, "mid", 3), 3);
    assert_int_equal(f.d.size, far + 4);
    assert_int_equal(f.d.blocks, 2);
    assert_int_equal(ofs_unmount(fs), 0);
    assert_int_equal(fsck_dev(d, NULL), 0);
    fs = mount_rw(d);
    char b[16];
    assert_int_equal(ofs_read(fs, &f, far - 2, b, 16), 6);
    assert_memory_equal(b, "\0\0tail", 6);
    assert_int_equal(ofs_read(fs, &f, 1ull << 32, b, 4), 4);
    assert_memory_equal(b, "\0\0\0\0", 4);
    assert_int_equal(ofs_read(fs, &f, 4096 * 3 + 10, b, 3), 3);
    assert_memory_equal(b, "mid", 3);
    /* Beyond the limit. */
    assert_int_equal(ofs_write(fs, &f, OFS_MAX_FILE_SIZE, "x", 1), -EFBIG);
    assert_int_equal(ofs_unmount(fs), 0);
    dev_free(d);
}

static void test_namespace(void **state)
{
    (void)state;
    struct dev *d = dev_new(16 * MIB);
    format(d);
    struct ofs_fs *fs = mount_rw(d);
    struct ofs_inode root = root_of(fs), a, b, sub, l, x;
    uint64_t ino, victim;
    assert_int_equal(ofs_mkdir(fs, &root, "sub", 3, &dir_attrs, &sub), 0);
    assert_int_equal(root.d.nlink, 3);
    assert_int_equal(ofs_create(fs, &sub, "a", 1, &file_attrs, &a), 0);
    assert_int_equal(ofs_write(fs, &a, 0, "AAAA", 4), 4);
    assert_int_equal(ofs_create(fs, &root, "b", 1, &file_attrs, &b), 0);
    assert_int_equal(ofs_write(fs, &b, 0, "BB", 2), 2);
    /* Hard link, then symlink. */
    assert_int_equal(ofs_link(fs, &root, "a2", 2, &a), 0);
    assert_int_equal(a.d.nlink, 2);
    assert_int_equal(ofs_link(fs, &root, "subl", 4, &sub), -EPERM);
    assert_int_equal(ofs_symlink(fs, &root, "l", 1, "sub/a", 5, &file_attrs, &l), 0);
    char t[64];
    assert_int_equal(ofs_readlink(fs, &l, t, sizeof(t)), 5);
    assert_string_equal(t, "sub/a");
    /* Rename over an existing file: b's data goes to an orphan that evict frees. */
    assert_int_equal(ofs_rename(fs, &root, "a2", 2, &root, "b", 1, &victim), 0);
    assert_int_equal(victim, b.ino);
    assert_int_equal(ofs_evict(fs, victim), 0);
    assert_int_equal(ofs_lookup(fs, &root, "b", 1, &ino), 0);
    assert_int_equal(ino, a.ino);
    assert_int_equal(ofs_lookup(fs, &root, "a2", 2, &ino), -ENOENT);
    /* Directory rules. */
    assert_int_equal(ofs_rmdir(fs, &root, "sub", 3, &x), -ENOTEMPTY);
    assert_int_equal(ofs_unlink(fs, &root, "sub", 3, &x), -EISDIR);
    assert_int_equal(ofs_rename(fs, &root, "sub", 3, &sub, "inside", 6, &victim), -EINVAL);
    assert_int_equal(ofs_rename(fs, &root, "b", 1, &root, "sub", 3, &victim), -EISDIR);
    struct ofs_inode sub2;
    assert_int_equal(ofs_mkdir(fs, &root, "sub2", 4, &dir_attrs, &sub2), 0);
    assert_int_equal(ofs_rename(fs, &root, "sub", 3, &sub2, "moved", 5, &victim), 0);
    assert_int_equal(ofs_iget(fs, sub.ino, &sub), 0);
    assert_int_equal(sub.d.parent, sub2.ino);
    assert_int_equal(ofs_iget(fs, sub2.ino, &sub2), 0);
    assert_int_equal(sub2.d.nlink, 3);
    assert_int_equal(ofs_lookup(fs, &sub, "..", 2, &ino), 0);
    assert_int_equal(ino, sub2.ino);
    /* Unlink the last names of a: it is evicted after being "closed". */
    assert_int_equal(ofs_unlink(fs, &root, "b", 1, &x), 0);
    assert_int_equal(x.d.nlink, 1);
    assert_int_equal(ofs_unlink(fs, &sub, "a", 1, &x), 0);
    assert_int_equal(x.d.nlink, 0);
    /* Still readable while open. */
    assert_int_equal(ofs_read(fs, &x, 0, t, 10), 4);
    assert_int_equal(ofs_commit(fs), 0);
    unsigned orphans = 0;
    assert_int_equal(fsck_dev(d, &orphans), 0);
    assert_int_equal(orphans, 1);
    assert_int_equal(ofs_evict(fs, x.ino), 0);
    assert_int_equal(ofs_rmdir(fs, &sub2, "moved", 5, &x), 0);
    assert_int_equal(ofs_evict(fs, x.ino), 0);
    assert_int_equal(ofs_unmount(fs), 0);
    assert_int_equal(fsck_dev(d, &orphans), 0);
    assert_int_equal(orphans, 0);
    /* An orphan left by a "crash" is removed by the next read-write mount. */
    fs = mount_rw(d);
    root = root_of(fs);
    assert_int_equal(ofs_create(fs, &root, "tmp", 3, &file_attrs, &x), 0);
    assert_int_equal(ofs_write(fs, &x, 0, "data", 4), 4);
    assert_int_equal(ofs_unlink(fs, &root, "tmp", 3, &x), 0);
    assert_int_equal(ofs_commit(fs), 0);
    assert_int_equal(fsck_dev(d, &orphans), 0);
    assert_int_equal(orphans, 1);
    ofs_tree_free(fs);          /* drop it without unmounting: the crash */
    ofs_space_free(fs);
    free(fs->blockbuf);         /* kmalloc is malloc on the host */
    free(fs->iobuf);
    free(fs);
    fs = mount_rw(d);
    assert_int_equal(ofs_unmount(fs), 0);
    assert_int_equal(fsck_dev(d, &orphans), 0);
    assert_int_equal(orphans, 0);
    dev_free(d);
}

struct count_ctx {
    unsigned n;
    uint64_t last_pos;
    bool stop_after_one;
};

static bool count_fill(void *ctx, const char *name, size_t len, uint64_t ino, unsigned dtype,
                       uint64_t next)
{
    (void)name;
    (void)len;
    (void)ino;
    (void)dtype;
    struct count_ctx *c = ctx;
    c->n++;
    c->last_pos = next;
    return true;
}

static void test_big_directory(void **state)
{
    (void)state;
    const unsigned N = 100000;
    struct dev *d = dev_new(256 * MIB);
    format(d);
    struct ofs_fs *fs = mount_rw(d);
    struct ofs_inode root = root_of(fs), dir, f;
    assert_int_equal(ofs_mkdir(fs, &root, "d", 1, &dir_attrs, &dir), 0);
    char name[32];
    for (unsigned i = 0; i < N; i++) {
        int len = snprintf(name, sizeof(name), "file-%u", i);
        assert_int_equal(ofs_create(fs, &dir, name, (size_t)len, &file_attrs, &f), 0);
    }
    assert_int_equal(ofs_commit(fs), 0);
    uint64_t ino;
    for (unsigned i = 0; i < N; i += 997) {
        int len = snprintf(name, sizeof(name), "file-%u", i);
        assert_int_equal(ofs_lookup(fs, &dir, name, (size_t)len, &ino), 0);
        assert_int_equal(ino, dir.ino + 1 + i);
    }
    /* readdir in small batches (resuming from positions) sees every name once. */
    struct count_ctx c = { 0 };
    uint64_t pos = 0;
    assert_int_equal(ofs_readdir(fs, &dir, &pos, count_fill, &c), 0);
    assert_int_equal(c.n, N + 2);
    assert_int_equal(pos, OFS_DIR_EOF);
    /* Remove every other one. */
    for (unsigned i = 0; i < N; i += 2) {
        int len = snprintf(name, sizeof(name), "file-%u", i);
        assert_int_equal(ofs_unlink(fs, &dir, name, (size_t)len, &f), 0);
        assert_int_equal(ofs_evict(fs, f.ino), 0);
    }
    assert_int_equal(ofs_unmount(fs), 0);
    assert_int_equal(fsck_dev(d, NULL), 0);
    fs = mount_rw(d);
    c = (struct count_ctx){ 0 };
    pos = 0;
    assert_int_equal(ofs_readdir(fs, &dir, &pos, count_fill, &c), 0);
    assert_int_equal(c.n, N / 2 + 2);
    assert_int_equal(ofs_unmount(fs), 0);
    dev_free(d);
}

static uint64_t tree_nodes(struct dev *d)
{
    struct ofs_io io = dev_io(d);
    struct ofs_fs *fs;
    assert_int_equal(ofs_mount(&io, OFS_MOUNT_RDONLY, &fs), 0);
    struct ofs_check_result res;
    assert_int_equal(ofs_check(fs, NULL, 0, &res), 0);
    ofs_unmount(fs);
    return res.tree_nodes;
}

/* Deleting most entries merges the leaves they leave nearly empty. */
static void test_tree_shrinks(void **state)
{
    (void)state;
    struct dev *d = dev_new(64 * MIB);
    format(d);
    struct ofs_fs *fs = mount_rw(d);
    struct ofs_inode root = root_of(fs), f;
    char name[32];
    for (unsigned i = 0; i < 6000; i++) {
        int len = snprintf(name, sizeof(name), "entry-%u", i);
        assert_int_equal(ofs_create(fs, &root, name, (size_t)len, &file_attrs, &f), 0);
    }
    assert_int_equal(ofs_commit(fs), 0);
    uint64_t before = tree_nodes(d);
    for (unsigned i = 0; i < 6000; i++) {
        if (i % 20 == 0)
            continue;
        int len = snprintf(name, sizeof(name), "entry-%u", i);
        assert_int_equal(ofs_unlink(fs, &root, name, (size_t)len, &f), 0);
        assert_int_equal(ofs_evict(fs, f.ino), 0);
    }
    assert_int_equal(ofs_unmount(fs), 0);
    uint64_t after = tree_nodes(d);
    assert_true(before > 100);
    assert_true(after * 4 < before);
    dev_free(d);
}

static void test_enospc(void **state)
{
    (void)state;
    struct dev *d = dev_new(4 * MIB);
    format(d);
    struct ofs_fs *fs = mount_rw(d);
    struct ofs_inode root = root_of(fs), f, g;
    assert_int_equal(ofs_create(fs, &root, "fill", 4, &file_attrs, &f), 0);
    uint8_t *buf = malloc(MIB);
    fill(buf, MIB, 3);
    uint64_t total = 0;
    for (int i = 0; i < 10; i++) {
        ssize_t n = ofs_write(fs, &f, total, buf, MIB);
        if (n < 0) {
            assert_int_equal(n, -ENOSPC);
            break;
        }
        total += (uint64_t)n;
        if ((size_t)n < MIB)
            break;
    }
    assert_true(total > 2 * MIB && total < 4 * MIB);
    assert_false(fs->readonly);
    /* Small operations fail cleanly too; nothing is corrupted. */
    assert_int_equal(ofs_commit(fs), 0);
    assert_int_equal(fsck_dev(d, NULL), 0);
    /* Deleting frees the space (after the commit the reservation makes). */
    assert_int_equal(ofs_unlink(fs, &root, "fill", 4, &f), 0);
    assert_int_equal(ofs_evict(fs, f.ino), 0);
    assert_int_equal(ofs_create(fs, &root, "again", 5, &file_attrs, &g), 0);
    assert_int_equal(ofs_write(fs, &g, 0, buf, MIB), (ssize_t)MIB);
    assert_int_equal(ofs_unmount(fs), 0);
    assert_int_equal(fsck_dev(d, NULL), 0);
    free(buf);
    dev_free(d);
}

/* ---- Damage ---- */

static void test_corruption_detected(void **state)
{
    (void)state;
    struct dev *d = dev_new(8 * MIB);
    format(d);
    struct ofs_fs *fs = mount_rw(d);
    struct ofs_inode root = root_of(fs), f;
    char name[16];
    for (int i = 0; i < 300; i++) {
        int len = snprintf(name, sizeof(name), "n%d", i);
        assert_int_equal(ofs_create(fs, &root, name, (size_t)len, &file_attrs, &f), 0);
        assert_int_equal(ofs_write(fs, &f, 0, name, (size_t)len), len);
    }
    uint64_t root_blk = 0;
    assert_int_equal(ofs_unmount(fs), 0);
    assert_int_equal(fsck_dev(d, NULL), 0);
    /* Flip one bit in every used metadata block in turn: fsck or mount must notice, and a
     * read-write mount plus a walk must not crash (it may fail with an error). */
    uint8_t *pristine = malloc(d->nblocks * OFS_BLOCK_SIZE);
    memcpy(pristine, d->data, d->nblocks * OFS_BLOCK_SIZE);
    struct ofs_io io = dev_io(d);
    struct ofs_fs *ro;
    assert_int_equal(ofs_mount(&io, OFS_MOUNT_RDONLY, &ro), 0);
    root_blk = ro->sb.root.blk;
    uint8_t *used = malloc(d->nblocks);
    for (uint64_t b = 0; b < d->nblocks; b++)
        used[b] = ofs_bit(ro->bm_commit, b);
    ofs_unmount(ro);
    unsigned tried = 0;
    for (uint64_t b = 2; b < d->nblocks; b++) {
        if (!used[b])
            continue;
        memcpy(d->data, pristine, d->nblocks * OFS_BLOCK_SIZE);
        d->data[b * OFS_BLOCK_SIZE + 100] ^= 4;
        tried++;
        /* Data blocks too, since version 2 (their checksums are in the extent items). */
        unsigned e = fsck_dev(d, NULL);
        assert_true(e > 0);
        struct ofs_fs *w;
        if (ofs_mount(&io, 0, &w) == 0) {
            int err = 0;
            free(ofs_dump(w, 10000, &err));
            ofs_unmount(w);
        }
    }
    assert_true(tried > 5);
    assert_true(root_blk >= 2);
    /* A stale superblock with a higher sequence number but bad checksum is ignored. */
    memcpy(d->data, pristine, d->nblocks * OFS_BLOCK_SIZE);
    free(pristine);
    free(used);
    dev_free(d);
}

/* ---- Data checksums (format version 2) ---- */

static void test_extent_format(void **state)
{
    (void)state;
    struct ofs_extent x = { .pblk = 10, .nblocks = 3, .has_sums = true, .sum = { 1, 2, 0xdeadbeef } };
    uint8_t v[OFS_EXTENT_MAX_SIZE];
    size_t len = ofs_extent_encode(&x, v);
    assert_int_equal(len, OFS_EXTENT_HDR + 12);
    struct ofs_extent y;
    assert_int_equal(ofs_extent_decode(v, len, 3, 100, false, &y), 0);
    assert_true(y.has_sums);
    assert_int_equal(y.pblk, 10);
    assert_int_equal(y.nblocks, 3);
    assert_int_equal(y.sum[2], 0xdeadbeef);
    /* The value length must match the block count. */
    assert_int_equal(ofs_extent_decode(v, len - 4, 3, 100, false, &y), -EUCLEAN);
    assert_int_equal(ofs_extent_decode(v, len + 4, 3, 100, true, &y), -EUCLEAN);
    /* Longer than the end, outside the device. */
    assert_int_equal(ofs_extent_decode(v, len, 2, 100, false, &y), -EUCLEAN);
    assert_int_equal(ofs_extent_decode(v, len, 3, 12, false, &y), -EUCLEAN);
    /* Version-1 items (no checksums) only where the superblock says version 1. */
    x.has_sums = false;
    len = ofs_extent_encode(&x, v);
    assert_int_equal(len, OFS_EXTENT_HDR);
    assert_int_equal(ofs_extent_decode(v, len, 3, 100, false, &y), -EUCLEAN);
    assert_int_equal(ofs_extent_decode(v, len, 3, 100, true, &y), 0);
    assert_false(y.has_sums);
    /* A checksummed extent holds at most OFS_EXTENT_MAX_BLOCKS blocks. */
    uint8_t big[OFS_EXTENT_HDR + 4 * (OFS_EXTENT_MAX_BLOCKS + 1)];
    memset(big, 0, sizeof(big));
    ofs_put64(big, 10);
    ofs_put64(big + 8, OFS_EXTENT_MAX_BLOCKS + 1);
    assert_int_equal(ofs_extent_decode(big, sizeof(big), 1000, 10000, false, &y), -EUCLEAN);
    uint8_t blk[OFS_BLOCK_SIZE];
    memset(blk, 0, sizeof(blk));
    assert_int_equal(ofs_data_sum(blk), crc32c(0, blk, sizeof(blk)));
}

/* fsck with the full result. */
static unsigned fsck_result(struct dev *d, struct ofs_check_result *res)
{
    struct ofs_io io = dev_io(d);
    io.write = NULL;
    struct ofs_fs *fs;
    assert_int_equal(ofs_mount(&io, OFS_MOUNT_RDONLY, &fs), 0);
    unsigned e = ofs_check(fs, getenv("OFS_VERBOSE") ? stderr : NULL, 20, res);
    ofs_unmount(fs);
    return e;
}

/* Lengths of the extents of ino, in order; returns how many. */
static size_t extent_lengths(struct ofs_fs *fs, uint64_t ino, uint64_t *out, size_t cap)
{
    struct ofs_key k = { ino, OFS_TYPE_EXTENT, 0 }, found;
    uint8_t v[OFS_MAX_VALUE];
    size_t len, n = 0;
    while (ofs_tree_next(fs, &k, &found, v, sizeof(v), &len) == 0 && found.obj == ino &&
           found.type == OFS_TYPE_EXTENT && n < cap) {
        out[n++] = ofs_get64(v + 8);
        assert_int_equal(len, OFS_EXTENT_HDR + 4 * ofs_get64(v + 8));
        k.off = found.off + 1;
    }
    return n;
}

/* File blocks [lblk, lblk + n) of ino as the device holds them (holes as zeros), the way the
 * kernel's page cache reads them before ofs_check_data. */
static void raw_blocks(struct dev *d, struct ofs_fs *fs, uint64_t ino, uint64_t lblk, size_t n,
                       uint8_t *out)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t p, run;
        assert_int_equal(ofs_bmap(fs, ino, lblk + i, &p, &run), 0);
        if (p)
            memcpy(out + i * OFS_BLOCK_SIZE, d->data + p * OFS_BLOCK_SIZE, OFS_BLOCK_SIZE);
        else
            memset(out + i * OFS_BLOCK_SIZE, 0, OFS_BLOCK_SIZE);
    }
}

static void test_data_checksums(void **state)
{
    (void)state;
    struct dev *d = dev_new(8 * MIB);
    format(d);
    struct ofs_fs *fs = mount_rw(d);
    struct ofs_inode root = root_of(fs), f;
    assert_int_equal(ofs_create(fs, &root, "f", 1, &file_attrs, &f), 0);
    size_t nblk = OFS_EXTENT_MAX_BLOCKS + 6, n = nblk * OFS_BLOCK_SIZE;
    uint8_t *buf = malloc(n), *back = malloc(n);
    fill(buf, n, 3);
    assert_int_equal(ofs_write(fs, &f, 0, buf, n), (ssize_t)n);
    /* Rewritten before any commit: in place, and its checksum follows. */
    fill(buf + 5 * OFS_BLOCK_SIZE, OFS_BLOCK_SIZE, 4);
    assert_int_equal(ofs_write(fs, &f, 5 * OFS_BLOCK_SIZE, buf + 5 * OFS_BLOCK_SIZE,
                               OFS_BLOCK_SIZE), OFS_BLOCK_SIZE);
    uint64_t lens[8];
    assert_int_equal(extent_lengths(fs, f.ino, lens, 8), 2);
    assert_int_equal(lens[0], OFS_EXTENT_MAX_BLOCKS);
    assert_int_equal(lens[1], 6);
    assert_int_equal(ofs_unmount(fs), 0);
    struct ofs_check_result res;
    assert_int_equal(fsck_result(d, &res), 0);
    assert_int_equal(res.scrubbed_blocks, nblk);
    assert_int_equal(res.bad_data_blocks, 0);

    /* Damage one byte of logical block 65. */
    fs = mount_rw(d);
    uint64_t p, run;
    assert_int_equal(ofs_bmap(fs, f.ino, 65, &p, &run), 0);
    assert_true(p >= 2);
    d->data[p * OFS_BLOCK_SIZE + 1234] ^= 0x01;
    /* The block reads as EIO, with no byte of it copied; the rest reads; the filesystem
     * stays writable. */
    memset(back, 0xaa, n);
    assert_int_equal(ofs_read(fs, &f, 65 * OFS_BLOCK_SIZE + 100, back, 10), -EIO);
    for (size_t i = 0; i < 10; i++)
        assert_int_equal(back[i], 0xaa);
    assert_int_equal(ofs_read(fs, &f, 0, back, n), 65 * OFS_BLOCK_SIZE);
    assert_memory_equal(back, buf, 65 * OFS_BLOCK_SIZE);
    assert_int_equal(ofs_read(fs, &f, 66 * OFS_BLOCK_SIZE, back, 4 * OFS_BLOCK_SIZE),
                     4 * OFS_BLOCK_SIZE);
    assert_memory_equal(back, buf + 66 * OFS_BLOCK_SIZE, 4 * OFS_BLOCK_SIZE);
    assert_false(fs->readonly);
    assert_true(fs->data_errors >= 2);
    /* The kernel's page cache reads blocks itself and checks them with ofs_check_data: a
     * window ending in the bad block is good up to it, one starting there is EIO. */
    uint64_t errors = fs->data_errors;
    raw_blocks(d, fs, f.ino, 62, 4, back);
    assert_int_equal(ofs_check_data(fs, f.ino, 62, 4, back), 3);
    assert_int_equal(fs->data_errors, errors);
    assert_int_equal(ofs_check_data(fs, f.ino, 65, 1, back + 3 * OFS_BLOCK_SIZE), -EIO);
    assert_int_equal(fs->data_errors, errors + 1);
    raw_blocks(d, fs, f.ino, 66, 5, back);       /* the last one past the end: a hole */
    assert_int_equal(ofs_check_data(fs, f.ino, 66, 5, back), 5);
    /* A partial write must read the block first: EIO, nothing written. */
    assert_int_equal(ofs_write(fs, &f, 65 * OFS_BLOCK_SIZE + 5, "x", 1), -EIO);
    assert_false(fs->readonly);
    assert_int_equal(ofs_unmount(fs), 0);
    /* fsck's scrub names the block and fails. */
    assert_int_equal(fsck_result(d, &res), 1);
    assert_int_equal(res.bad_data_blocks, 1);
    /* Overwriting the whole block replaces it (copy on write): clean again. */
    fs = mount_rw(d);
    assert_int_equal(ofs_write(fs, &f, 65 * OFS_BLOCK_SIZE, buf + 65 * OFS_BLOCK_SIZE,
                               OFS_BLOCK_SIZE), OFS_BLOCK_SIZE);
    assert_int_equal(ofs_read(fs, &f, 0, back, n), (ssize_t)n);
    assert_memory_equal(back, buf, n);
    assert_int_equal(ofs_unmount(fs), 0);
    assert_int_equal(fsck_result(d, &res), 0);
    free(buf);
    free(back);
    dev_free(d);
}

/* A version-1 filesystem the way version 1 wrote it (extent items without checksums, one
 * of them longer than a checksummed extent may be), checked, read read-only, converted by a
 * read-write mount, and verified from then on. */
static void test_upgrade_from_v1(void **state)
{
    (void)state;
    struct dev *d = dev_new(8 * MIB);
    format(d);
    struct ofs_fs *fs = mount_rw(d);
    fs->sb.version = OFS_VERSION_NO_DATASUMS;
    struct ofs_inode root = root_of(fs), f;
    assert_int_equal(ofs_create(fs, &root, "old", 3, &file_attrs, &f), 0);
    uint64_t nblk = 2 * OFS_EXTENT_MAX_BLOCKS + 10;
    size_t n = nblk * OFS_BLOCK_SIZE - 100;
    uint8_t *buf = calloc(1, nblk * OFS_BLOCK_SIZE), *back = malloc(n);
    fill(buf, n, 7);
    assert_int_equal(ofs_begin(fs, nblk, 4), 0);
    uint64_t first = 0, prev = 0;
    for (uint64_t i = 0; i < nblk; i++) {
        uint64_t q;
        assert_int_equal(ofs_alloc_block(fs, i ? prev + 1 : 100, &q), 0);
        if (i == 0)
            first = q;
        else
            assert_int_equal(q, prev + 1);
        prev = q;
        assert_int_equal(dev_write(d, q, buf + i * OFS_BLOCK_SIZE), 0);
    }
    uint8_t v[OFS_EXTENT_HDR];
    ofs_put64(v, first);
    ofs_put64(v + 8, nblk);
    struct ofs_key k = { f.ino, OFS_TYPE_EXTENT, nblk };
    assert_int_equal(ofs_tree_insert(fs, &k, v, sizeof(v), false), 0);
    f.d.size = n;
    f.d.blocks = nblk;
    assert_int_equal(ofs_iput(fs, &f), 0);
    assert_int_equal(ofs_unmount(fs), 0);
    struct ofs_check_result res;
    assert_int_equal(fsck_result(d, &res), 0);
    assert_int_equal(res.scrubbed_blocks, 0);

    /* Read-only: readable, unchanged, still version 1. */
    struct ofs_io io = dev_io(d);
    struct ofs_fs *ro;
    assert_int_equal(ofs_mount(&io, OFS_MOUNT_RDONLY, &ro), 0);
    assert_int_equal(ro->sb.version, OFS_VERSION_NO_DATASUMS);
    assert_int_equal(ofs_read(ro, &f, 0, back, n), (ssize_t)n);
    assert_memory_equal(back, buf, n);
    ofs_unmount(ro);

    /* Read-write: converted in place, nothing moved. */
    fs = mount_rw(d);
    assert_int_equal(fs->sb.version, OFS_VERSION);
    uint64_t lens[8];
    assert_int_equal(extent_lengths(fs, f.ino, lens, 8), 3);
    assert_int_equal(lens[0], OFS_EXTENT_MAX_BLOCKS);
    assert_int_equal(lens[1], OFS_EXTENT_MAX_BLOCKS);
    assert_int_equal(lens[2], 10);
    uint64_t p, run;
    assert_int_equal(ofs_bmap(fs, f.ino, 0, &p, &run), 0);
    assert_int_equal(p, first);
    assert_int_equal(ofs_read(fs, &f, 0, back, n), (ssize_t)n);
    assert_memory_equal(back, buf, n);
    assert_int_equal(ofs_unmount(fs), 0);
    assert_int_equal(fsck_result(d, &res), 0);
    assert_int_equal(res.scrubbed_blocks, nblk);
    /* From now on damage is found. */
    d->data[(first + 100) * OFS_BLOCK_SIZE] ^= 0x80;
    assert_int_equal(fsck_result(d, &res), 1);
    assert_int_equal(res.bad_data_blocks, 1);
    fs = mount_rw(d);
    assert_int_equal(ofs_read(fs, &f, 100 * OFS_BLOCK_SIZE, back, 1), -EIO);
    assert_int_equal(ofs_unmount(fs), 0);
    free(buf);
    free(back);
    dev_free(d);
}

static void test_io_errors_go_readonly(void **state)
{
    (void)state;
    struct dev *d = dev_new(8 * MIB);
    format(d);
    struct ofs_fs *fs = mount_rw(d);
    struct ofs_inode root = root_of(fs), f;
    assert_int_equal(ofs_create(fs, &root, "a", 1, &file_attrs, &f), 0);
    assert_int_equal(ofs_commit(fs), 0);
    char *before = ofs_dump(fs, 100, NULL);
    assert_int_equal(ofs_create(fs, &root, "b", 1, &file_attrs, &f), 0);
    d->fail_writes_after = d->writes + 1;      /* the commit's second write fails */
    assert_int_equal(ofs_commit(fs), -EIO);
    assert_true(fs->readonly);
    assert_int_equal(ofs_create(fs, &root, "c", 1, &file_attrs, &f), -EROFS);
    ofs_unmount(fs);
    d->fail_writes_after = 0;
    /* The disk still holds the last commit. */
    assert_int_equal(fsck_dev(d, NULL), 0);
    fs = mount_rw(d);
    char *after = ofs_dump(fs, 100, NULL);
    assert_string_equal(before, after);
    free(before);
    free(after);
    ofs_unmount(fs);
    dev_free(d);
}

/* ---- Crash consistency ---- */

/* Rebuild the image: base, then log entries [0, upto), plus (if extra) the entries in
 * [upto, upto_extra) whose index bit is set in mask, and optionally a torn write. */
static void replay(struct dev *d, const uint8_t *base, const struct dev *rec, size_t upto)
{
    memcpy(d->data, base, d->nblocks * OFS_BLOCK_SIZE);
    for (size_t i = 0; i < upto; i++)
        if (rec->log[i].blk != UINT64_MAX)
            memcpy(d->data + rec->log[i].blk * OFS_BLOCK_SIZE, rec->log[i].data, OFS_BLOCK_SIZE);
}

static void check_recovered(struct dev *d, struct snapshot *snaps, size_t nsnaps,
                            uint64_t min_seq, const char *what, size_t cut)
{
    struct ofs_io io = dev_io(d);
    struct ofs_fs *fs;
    int r = ofs_mount(&io, OFS_MOUNT_RDONLY, &fs);
    if (r < 0)
        fail_msg("%s cut %zu: mount failed: %d", what, cut, r);
    uint64_t seq = fs->sb.seq;
    if (seq < min_seq)
        fail_msg("%s cut %zu: commit %llu is older than the acknowledged %llu", what, cut,
                 (unsigned long long)seq, (unsigned long long)min_seq);
    struct ofs_check_result res;
    unsigned e = ofs_check(fs, stderr, 10, &res);
    if (e)
        fail_msg("%s cut %zu: fsck found %u errors", what, cut, e);
    int err = 0;
    char *dump = ofs_dump(fs, 100000, &err);
    if (!dump)
        fail_msg("%s cut %zu: walk failed: %d", what, cut, err);
    ofs_unmount(fs);
    bool found = false;
    for (size_t i = 0; i < nsnaps; i++) {
        if (snaps[i].seq == seq) {
            found = true;
            if (strcmp(snaps[i].dump, dump) != 0)
                fail_msg("%s cut %zu: content differs from commit %llu:\n--- expected\n%s--- got\n%s",
                         what, cut, (unsigned long long)seq, snaps[i].dump, dump);
        }
    }
    if (!found)
        fail_msg("%s cut %zu: commit %llu has no snapshot", what, cut, (unsigned long long)seq);
    free(dump);
    /* A read-write mount (orphan removal) then a clean check. */
    assert_int_equal(ofs_mount(&io, 0, &fs), 0);
    assert_int_equal(ofs_unmount(fs), 0);
    unsigned orphans = 9;
    assert_int_equal(fsck_dev(d, &orphans), 0);
    assert_int_equal(orphans, 0);
}

static void crash_workload(struct ofs_fs *fs)
{
    struct ofs_inode root = root_of(fs), f, g, h, dir, x;
    uint64_t victim;
    uint8_t *buf = malloc(64 * 1024);
    char name[32];
#define SNAP() assert_int_equal(ofs_commit(fs), 0)    /* the device snapshots commits */
    assert_int_equal(ofs_create(fs, &root, "log", 3, &file_attrs, &f), 0);
    for (int i = 0; i < 6; i++) {
        fill(buf, 5000, (unsigned)i);
        assert_int_equal(ofs_write(fs, &f, f.d.size, buf, 5000), 5000);     /* append */
        SNAP();
    }
    assert_int_equal(ofs_mkdir(fs, &root, "dir", 3, &dir_attrs, &dir), 0);
    for (int i = 0; i < 12; i++) {
        int len = snprintf(name, sizeof(name), "f%d", i);
        assert_int_equal(ofs_create(fs, &dir, name, (size_t)len, &file_attrs, &g), 0);
        fill(buf, (size_t)(i * 3000 + 1), (unsigned)i + 50);
        assert_int_equal(ofs_write(fs, &g, 0, buf, (size_t)(i * 3000 + 1)), i * 3000 + 1);
        if (i % 3 == 2)
            SNAP();
    }
    /* Overwrite in the middle of committed data. */
    fill(buf, 9000, 77);
    assert_int_equal(ofs_write(fs, &f, 3000, buf, 9000), 9000);
    SNAP();
    /* Atomic replace: write a new version, rename it over the old one. */
    for (int v = 0; v < 4; v++) {
        assert_int_equal(ofs_create(fs, &root, "cfg.tmp", 7, &file_attrs, &h), 0);
        fill(buf, 6000, (unsigned)v + 100);
        assert_int_equal(ofs_write(fs, &h, 0, buf, 6000), 6000);
        assert_int_equal(ofs_rename(fs, &root, "cfg.tmp", 7, &root, "cfg", 3, &victim), 0);
        if (victim)
            assert_int_equal(ofs_evict(fs, victim), 0);
        SNAP();
    }
    /* Unlink while "open", then evict; truncate; rmdir. */
    assert_int_equal(ofs_unlink(fs, &dir, "f5", 2, &x), 0);
    SNAP();
    assert_int_equal(ofs_evict(fs, x.ino), 0);
    struct ofs_setattr sa = { .mask = OFS_SET_SIZE, .size = 7000 };
    assert_int_equal(ofs_setattr(fs, &f, &sa), 0);
    SNAP();
    for (int i = 0; i < 12; i++) {
        if (i == 5)
            continue;
        int len = snprintf(name, sizeof(name), "f%d", i);
        assert_int_equal(ofs_unlink(fs, &dir, name, (size_t)len, &x), 0);
        assert_int_equal(ofs_evict(fs, x.ino), 0);
    }
    assert_int_equal(ofs_rmdir(fs, &root, "dir", 3, &x), 0);
    assert_int_equal(ofs_evict(fs, x.ino), 0);
    SNAP();
#undef SNAP
    free(buf);
}

/* Rebuild the image for every cut of d's write log (see the file comment) and check each. */
static void replay_all(struct dev *d, const uint8_t *base, const char *name)
{
    struct dev *img = dev_new(d->nblocks * OFS_BLOCK_SIZE);
    struct snapshot *snaps = d->snaps;
    size_t nsnaps = d->nsnaps;
    /* min_seq after each prefix: commits whose closing flush is inside it. The commit
     * protocol is write..., flush, superblock, flush; count superblock writes followed by a
     * flush. */
    uint64_t acked = snaps[0].seq;
    bool sb_pending = false;
    size_t last_flush = 0;
    unsigned cuts = 0;
    uint32_t rng = 12345;
    for (size_t cut = 0; cut <= d->nlog; cut++) {
        /* 1. Everything up to the cut reached the disk, in order. */
        replay(img, base, d, cut);
        check_recovered(img, snaps, nsnaps, acked, "in-order", cut);
        cuts++;
        /* 2. Only a random subset of the writes since the last flush reached the disk (a
         *    volatile cache that reorders and drops unflushed writes). */
        if (cut > last_flush + 1) {
            replay(img, base, d, last_flush);
            for (size_t i = last_flush; i < cut; i++) {
                rng = rng * 1103515245u + 12345u;
                if (d->log[i].blk != UINT64_MAX && (rng >> 16) & 1)
                    memcpy(img->data + d->log[i].blk * OFS_BLOCK_SIZE, d->log[i].data,
                           OFS_BLOCK_SIZE);
            }
            check_recovered(img, snaps, nsnaps, acked, "dropped-unflushed", cut);
            cuts++;
        }
        if (cut == d->nlog)
            break;
        /* 3. The next write is torn: half of it reached the disk. */
        if (d->log[cut].blk != UINT64_MAX) {
            replay(img, base, d, cut);
            memcpy(img->data + d->log[cut].blk * OFS_BLOCK_SIZE, d->log[cut].data,
                   OFS_BLOCK_SIZE / 2);
            check_recovered(img, snaps, nsnaps, acked, "torn", cut);
            cuts++;
        }
        /* Advance the acknowledged commit past entry `cut`. */
        if (d->log[cut].blk == UINT64_MAX) {
            last_flush = cut + 1;
            if (sb_pending) {
                acked++;
                sb_pending = false;
            }
        } else if (d->log[cut].blk < OFS_SB_SLOTS) {
            sb_pending = true;
        }
    }
    assert_int_equal(acked, snaps[nsnaps - 1].seq);
    assert_true(cuts > 100);
    if (getenv("OFS_VERBOSE"))
        fprintf(stderr, "%s: %u images over %zu writes, %zu commits\n", name, cuts, d->nlog,
                nsnaps);
    dev_free(img);
}

/* Start recording: snapshot the state as it is, then every commit. */
static uint8_t *record(struct dev *d, struct ofs_fs *fs)
{
    d->snaps = calloc(MAX_SNAPS, sizeof(*d->snaps));
    d->fs = fs;
    d->snaps[0].seq = fs->sb.seq;
    d->snaps[0].dump = ofs_dump(fs, 100000, NULL);
    d->nsnaps = 1;
    uint8_t *base = malloc(d->nblocks * OFS_BLOCK_SIZE);
    memcpy(base, d->data, d->nblocks * OFS_BLOCK_SIZE);
    d->recording = true;
    return base;
}

static void finish(struct dev *d, uint8_t *base, const char *name)
{
    d->recording = false;
    d->fs = NULL;
    replay_all(d, base, name);
    for (size_t i = 0; i < d->nsnaps; i++)
        free(d->snaps[i].dump);
    free(d->snaps);
    free(base);
    dev_free(d);
}

static void test_crash_consistency(void **state)
{
    (void)state;
    struct dev *d = dev_new(8 * MIB);
    format(d);
    struct ofs_fs *fs = mount_rw(d);
    uint8_t *base = record(d, fs);
    crash_workload(fs);
    ofs_unmount(fs);
    finish(d, base, "crash test");
}

/* The same with commits the core makes on its own: a tiny dirty-node limit (commits at the
 * start of operations and between the rounds of long writes, truncates and evictions) and
 * a nearly full device (commits to reuse freed space). */
static void test_crash_internal_commits(void **state)
{
    (void)state;
    struct dev *d = dev_new(1 * MIB);
    format(d);
    struct ofs_fs *fs = mount_rw(d);
    fs->dirty_limit = 3;
    uint8_t *base = record(d, fs);
    struct ofs_inode root = root_of(fs), f, x;
    uint8_t *buf = malloc(512 * 1024);
    char name[32];
    uint64_t victim;
    for (int i = 0; i < 24; i++) {
        int len = snprintf(name, sizeof(name), "small%d", i);
        assert_int_equal(ofs_create(fs, &root, name, (size_t)len, &file_attrs, &f), 0);
        fill(buf, (size_t)(100 + i * 37), (unsigned)i);
        assert_int_equal(ofs_write(fs, &f, 0, buf, (size_t)(100 + i * 37)), 100 + i * 37);
    }
    /* Fill the device: the write ends short or with ENOSPC, after commits made to reuse
     * space. */
    assert_int_equal(ofs_create(fs, &root, "big", 3, &file_attrs, &f), 0);
    fill(buf, 512 * 1024, 99);
    ssize_t n = ofs_write(fs, &f, 0, buf, 512 * 1024);
    assert_true(n > 0);
    n = ofs_write(fs, &f, (uint64_t)n, buf, 512 * 1024);
    assert_true(n == -ENOSPC || n < 512 * 1024);
    for (int i = 0; i < 24; i += 2) {
        int len = snprintf(name, sizeof(name), "small%d", i);
        assert_int_equal(ofs_unlink(fs, &root, name, (size_t)len, &x), 0);
        assert_int_equal(ofs_evict(fs, x.ino), 0);
    }
    struct ofs_setattr sa = { .mask = OFS_SET_SIZE, .size = 5000 };
    assert_int_equal(ofs_setattr(fs, &f, &sa), 0);
    assert_int_equal(ofs_rename(fs, &root, "small1", 6, &root, "big", 3, &victim), 0);
    assert_int_equal(ofs_evict(fs, victim), 0);
    assert_int_equal(ofs_commit(fs), 0);
    free(buf);
    ofs_unmount(fs);
    assert_true(d->nsnaps > 20);
    finish(d, base, "crash test, internal commits");
}

/* Same image for the same parameters. */
static void test_format_deterministic(void **state)
{
    (void)state;
    struct dev *a = dev_new(8 * MIB), *b = dev_new(8 * MIB);
    memset(b->data, 0x5a, 8 * MIB);
    format(a);
    format(b);
    /* Blocks the format wrote are identical; block 0 is zeroed in both. */
    struct ofs_io io = dev_io(a);
    struct ofs_fs *fs;
    assert_int_equal(ofs_mount(&io, OFS_MOUNT_RDONLY, &fs), 0);
    for (uint64_t blk = 0; blk < a->nblocks; blk++)
        if (blk < 2 || ofs_bit(fs->bm_commit, blk))
            assert_memory_equal(a->data + blk * OFS_BLOCK_SIZE, b->data + blk * OFS_BLOCK_SIZE,
                                OFS_BLOCK_SIZE);
    ofs_unmount(fs);
    dev_free(a);
    dev_free(b);
}

/* ---- fsck.ofs repair (tools/ofs/ofs_repair.c) ---- */

/* The content of name in the root directory into buf (NUL-terminated); -ENOENT if absent. */
static int read_root_file(struct ofs_fs *fs, const char *name, char *buf, size_t cap)
{
    struct ofs_inode root = root_of(fs), f;
    uint64_t ino;
    int r = ofs_lookup(fs, &root, name, strlen(name), &ino);
    if (r < 0)
        return r;
    assert_int_equal(ofs_iget(fs, ino, &f), 0);
    ssize_t n = ofs_read(fs, &f, 0, buf, cap - 1);
    assert_true(n >= 0);
    buf[n] = 0;
    return 0;
}

static void write_root_file(struct ofs_fs *fs, const char *name, const char *text)
{
    struct ofs_inode root = root_of(fs), f;
    uint64_t ino;
    if (ofs_lookup(fs, &root, name, strlen(name), &ino) == 0)
        assert_int_equal(ofs_iget(fs, ino, &f), 0);
    else
        assert_int_equal(ofs_create(fs, &root, name, strlen(name), &file_attrs, &f), 0);
    assert_int_equal(ofs_write(fs, &f, 0, text, strlen(text)), (ssize_t)strlen(text));
}

static uint64_t newest_root_block(struct dev *d, uint64_t *seq)
{
    struct ofs_io io = dev_io(d);
    io.write = NULL;
    struct ofs_fs *fs;
    assert_int_equal(ofs_mount(&io, OFS_MOUNT_RDONLY, &fs), 0);
    uint64_t b = fs->sb.root.blk;
    if (seq)
        *seq = fs->sb.seq;
    ofs_unmount(fs);
    return b;
}

static void test_fsck_repair(void **state)
{
    (void)state;
    struct dev *d = dev_new(8 * MIB);
    struct ofs_io io = dev_io(d);
    struct ofs_repair_result res;
    FILE *out = getenv("OFS_VERBOSE") ? stderr : NULL;
    format(d);
    /* One commit only: damage cannot be repaired (there is nothing older). */
    uint64_t seq;
    uint64_t only_root = newest_root_block(d, &seq);
    assert_int_equal(seq, 1);
    d->data[only_root * OFS_BLOCK_SIZE + 200] ^= 1;
    assert_int_equal(ofs_repair(&io, true, out, 50, &res), 0);
    assert_int_equal(res.status, OFS_REPAIR_IMPOSSIBLE);
    d->data[only_root * OFS_BLOCK_SIZE + 200] ^= 1;

    /* Commit 2: keep, gone. Commit 3: keep rewritten, gone removed, fresh created. */
    struct ofs_fs *fs = mount_rw(d);
    write_root_file(fs, "keep", "old content");
    write_root_file(fs, "gone", "removed later");
    assert_int_equal(ofs_commit(fs), 0);
    uint64_t older_root = fs->sb.root.blk;
    write_root_file(fs, "keep", "NEW content");
    write_root_file(fs, "fresh", "created by the last commit");
    struct ofs_inode root = root_of(fs), victim;
    assert_int_equal(ofs_unlink(fs, &root, "gone", 4, &victim), 0);
    assert_int_equal(ofs_evict(fs, victim.ino), 0);
    assert_int_equal(ofs_unmount(fs), 0);
    uint64_t bad_root = newest_root_block(d, &seq);
    assert_int_equal(seq, 3);
    assert_int_equal(fsck_dev(d, NULL), 0);
    assert_int_equal(ofs_repair(&io, true, out, 50, &res), 0);
    assert_int_equal(res.status, OFS_REPAIR_CLEAN);

    /* Damage the newest commit's root node: fsck fails; a dry run reports and writes
     * nothing. */
    d->data[bad_root * OFS_BLOCK_SIZE + 300] ^= 0x10;
    assert_true(fsck_dev(d, NULL) > 0);
    size_t bytes = d->nblocks * OFS_BLOCK_SIZE;
    uint8_t *damaged = malloc(bytes);
    memcpy(damaged, d->data, bytes);
    struct ofs_io ro = io;
    ro.write = NULL;
    ro.flush = NULL;
    assert_int_equal(ofs_repair(&ro, false, out, 50, &res), 0);
    assert_int_equal(res.status, OFS_REPAIR_POSSIBLE);
    assert_memory_equal(d->data, damaged, bytes);
    assert_int_equal(res.bad_seq, 3);
    assert_int_equal(res.good_seq, 2);
    /* The root node is gone, so every inode of commit 3 is uncertain except what only the
     * older commit has; nothing of commit 3 can be read at all. */
    assert_true(res.uncertain >= 2);
    /* keep was rewritten and gone removed by commit 3: their old blocks are free in its
     * space map and may have been reused; nothing else has data. */
    assert_int_equal(res.data_suspect, 2);

    /* Repair: back to commit 2, under sequence numbers 4 and 5; fsck clean. */
    assert_int_equal(ofs_repair(&io, true, out, 50, &res), 0);
    assert_int_equal(res.status, OFS_REPAIR_DONE);
    assert_int_equal(res.new_seq, 5);
    assert_int_equal(fsck_dev(d, NULL), 0);
    char buf[64];
    fs = mount_rw(d);
    assert_int_equal(fs->sb.seq, 5);
    assert_int_equal(read_root_file(fs, "keep", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "old content");
    assert_int_equal(read_root_file(fs, "gone", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "removed later");
    assert_int_equal(read_root_file(fs, "fresh", buf, sizeof(buf)), -ENOENT);
    /* The repaired filesystem works on: a new commit, then a clean check. */
    write_root_file(fs, "after", "repair");
    assert_int_equal(ofs_unmount(fs), 0);
    assert_int_equal(fsck_dev(d, NULL), 0);
    assert_int_equal(ofs_repair(&io, true, out, 50, &res), 0);
    assert_int_equal(res.status, OFS_REPAIR_CLEAN);

    /* Both commits damaged: not repairable, nothing written. */
    memcpy(d->data, damaged, bytes);
    d->data[older_root * OFS_BLOCK_SIZE + 300] ^= 0x10;
    memcpy(damaged, d->data, bytes);
    assert_int_equal(ofs_repair(&io, true, out, 50, &res), 0);
    assert_int_equal(res.status, OFS_REPAIR_IMPOSSIBLE);
    assert_memory_equal(d->data, damaged, bytes);
    free(damaged);
    dev_free(d);
}

/* A damaged leaf (not the root) of the newest commit: the report is precise. Many files so
 * that the tree has several leaves; the last commit changes one file in the first leaf and
 * creates one; the leaf holding the created file's items is damaged. */
static void test_fsck_repair_report(void **state)
{
    (void)state;
    struct dev *d = dev_new(8 * MIB);
    struct ofs_io io = dev_io(d);
    format(d);
    struct ofs_fs *fs = mount_rw(d);
    char name[16];
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof(name), "f%03d", i);
        write_root_file(fs, name, name);
    }
    assert_int_equal(ofs_commit(fs), 0);
    write_root_file(fs, "f000", "changed");
    write_root_file(fs, "zz-new", "new");
    struct ofs_inode root = root_of(fs);
    uint64_t new_ino;
    assert_int_equal(ofs_lookup(fs, &root, "zz-new", 6, &new_ino), 0);
    assert_true(fs->height >= 2);
    assert_int_equal(ofs_unmount(fs), 0);
    /* Find the leaf of the newest commit that holds the new inode's item: the last leaf
     * (inode numbers grow); damage it. */
    struct ofs_fs *ro;
    struct ofs_io rio = io;
    rio.write = NULL;
    assert_int_equal(ofs_mount(&rio, OFS_MOUNT_RDONLY, &ro), 0);
    uint64_t leaf = 0;
    for (uint64_t b = 2; b < d->nblocks; b++) {
        const uint8_t *blk = d->data + b * OFS_BLOCK_SIZE;
        if (!ofs_bit(ro->bm_commit, b) || memcmp(blk, "OFSN", 4) != 0 || blk[4] != 0)
            continue;
        unsigned n = ofs_get16(blk + 6);
        size_t off = OFS_NODE_HDR;
        for (unsigned i = 0; i < n; i++) {
            struct ofs_key k;
            ofs_key_get(blk + off, &k);
            if (k.obj == new_ino && k.type == OFS_TYPE_INODE)
                leaf = b;
            off += OFS_LEAF_ITEM_HDR + ofs_get16(blk + off + OFS_KEY_SIZE);
        }
    }
    ofs_unmount(ro);
    assert_true(leaf >= 2);
    d->data[leaf * OFS_BLOCK_SIZE + OFS_BLOCK_SIZE - 1] ^= 0x80;
    assert_true(fsck_dev(d, NULL) > 0);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    struct ofs_repair_result res;
    assert_int_equal(ofs_repair(&io, true, out, 1000, &res), 0);
    fclose(out);
    if (getenv("OFS_VERBOSE"))
        fputs(text, stderr);
    assert_int_equal(res.status, OFS_REPAIR_DONE);
    /* f000 changed in a readable leaf: reverted, its extents changed. The root directory
     * changed (a new entry). The new file's items are in the damaged leaf: what the older
     * commit has there is uncertain, and the new inode cannot even be named. */
    assert_non_null(strstr(text, "reverted: /f000 ("));
    assert_non_null(strstr(text, "reverted: / (inode 1)"));
    assert_non_null(strstr(text, "a damaged node held the items of inodes"));
    assert_null(strstr(text, "lost: /zz-new"));
    assert_true(res.reverted >= 2);
    /* Only f000's old data block was released (rewritten copy-on-write); the uncertain files
     * are still allocated in the damaged commit's space map. */
    assert_int_equal(res.data_suspect, 1);
    assert_int_equal(fsck_dev(d, NULL), 0);
    fs = mount_rw(d);
    char buf[64];
    assert_int_equal(read_root_file(fs, "f000", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "f000");
    assert_int_equal(read_root_file(fs, "zz-new", buf, sizeof(buf)), -ENOENT);
    assert_int_equal(ofs_unmount(fs), 0);
    free(text);
    dev_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc_and_superblock),
        cmocka_unit_test(test_dinode_and_dirent),
        cmocka_unit_test(test_format_mount_fsck),
        cmocka_unit_test(test_format_deterministic),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_sparse_large),
        cmocka_unit_test(test_namespace),
        cmocka_unit_test(test_enospc),
        cmocka_unit_test(test_big_directory),
        cmocka_unit_test(test_tree_shrinks),
        cmocka_unit_test(test_corruption_detected),
        cmocka_unit_test(test_io_errors_go_readonly),
        cmocka_unit_test(test_extent_format),
        cmocka_unit_test(test_data_checksums),
        cmocka_unit_test(test_upgrade_from_v1),
        cmocka_unit_test(test_fsck_repair),
        cmocka_unit_test(test_fsck_repair_report),
        cmocka_unit_test(test_crash_consistency),
        cmocka_unit_test(test_crash_internal_commits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
