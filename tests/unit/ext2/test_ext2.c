/* Host tests for the ext2 core (kernel/fs/ext2): images made by mke2fs from a known tree are
 * read back byte for byte; write workloads leave images e2fsck calls clean; corrupted and
 * truncated images give errors, never crashes or hangs (ASan/UBSan on). Needs mke2fs, e2fsck
 * and debugfs (e2fsprogs) on the host. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <cmocka.h>
#include "workdir.h"
#include "ext2_host.h"

static void load(struct memdev *md, const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    md->size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    md->data = malloc(md->size);
    assert_int_equal(fread(md->data, 1, md->size, f), md->size);
    fclose(f);
    md->reads = md->writes = 0;
    md->fail_after = 0;
}

static void save(struct memdev *md, const char *path)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(md->data, 1, md->size, f), md->size);
    fclose(f);
}

/* Build tree-<bs> and img-<bs> once per block size. */
static const char *image_for(unsigned bs)
{
    static bool made[3];
    int k = bs == 1024 ? 0 : bs == 2048 ? 1 : 2;
    char tree[64], img[64];
    snprintf(tree, sizeof(tree), "tree-%u", bs);
    snprintf(img, sizeof(img), "img-%u", bs);
    if (!made[k]) {
        sh("sh tests/unit/ext2/mkimage.sh %s %s %u 32M", wpath(tree), wpath(img), bs);
        made[k] = true;
    }
    return wpath(img);
}

/* Resolve an absolute path through the core (no symlink following). */
static int resolve(struct ext2_fs *fs, const char *path, struct ext2_inode_mem *out)
{
    int err = ext2_iget(fs, EXT2_ROOT_INO, out);
    if (err)
        return err;
    for (const char *c = path; *c;) {
        if (*c == '/') {
            c++;
            continue;
        }
        size_t n = 0;
        while (c[n] && c[n] != '/')
            n++;
        uint32_t ino;
        err = ext2_lookup(fs, out, c, n, &ino);
        c += n;
        if (err)
            return err;
        if ((err = ext2_iget(fs, ino, out)))
            return err;
    }
    return 0;
}

static struct ext2_fs *mount_md(struct memdev *md, bool ro)
{
    struct ext2_io io = memdev_io(md);
    struct ext2_fs *fs = NULL;
    int err = ext2_mount(&io, ro ? EXT2_MOUNT_RDONLY : 0, &fs);
    if (err)
        fail_msg("mount failed: %d", err);
    return fs;
}

/* ---- Reading mke2fs images ---- */

struct count_ctx {
    unsigned n;
};

static bool count_fill(void *ctx, const char *name, size_t len, uint64_t next, uint32_t ino,
                       unsigned ft)
{
    (void)name; (void)len; (void)next; (void)ino; (void)ft;
    ((struct count_ctx *)ctx)->n++;
    return true;
}

static void compare_file(struct ext2_fs *fs, struct ext2_inode_mem *in, const char *hostpath)
{
    FILE *f = fopen(hostpath, "rb");
    assert_non_null(f);
    static char a[1 << 20], b[1 << 20];
    uint64_t off = 0;
    for (;;) {
        size_t n = fread(a, 1, sizeof(a), f);
        ssize_t m = ext2_read(fs, in, off, b, sizeof(b));
        assert_int_equal((ssize_t)n, m);
        if (n == 0)
            break;
        if (memcmp(a, b, n) != 0)
            fail_msg("content differs in %s near offset %llu", hostpath, (unsigned long long)off);
        off += n;
    }
    fclose(f);
}

/* Compare the host tree under `root` (relative `rel`) with the image, recursively. */
static unsigned compare_tree(struct ext2_fs *fs, const char *root, const char *rel)
{
    char hp[1024];
    snprintf(hp, sizeof(hp), "%s%s", root, rel);
    struct stat st;
    assert_int_equal(lstat(hp, &st), 0);
    struct ext2_inode_mem in;
    int err = resolve(fs, rel[0] ? rel : "/", &in);
    if (err)
        fail_msg("%s: lookup failed %d", rel, err);
    assert_int_equal(in.d.i_mode, st.st_mode & 0177777);
    /* The image root also holds lost+found. */
    assert_int_equal(in.d.i_links_count, st.st_nlink + (rel[0] == 0));
    unsigned n = 1;
    if (S_ISREG(st.st_mode)) {
        assert_int_equal(ext2_isize(&in), (uint64_t)st.st_size);
        compare_file(fs, &in, hp);
    } else if (S_ISLNK(st.st_mode)) {
        char a[4096], b[4096];
        ssize_t len = readlink(hp, a, sizeof(a) - 1);
        assert_true(len > 0);
        a[len] = 0;
        assert_int_equal(ext2_readlink(fs, &in, b, sizeof(b)), len);
        assert_string_equal(a, b);
        assert_int_equal(ext2_is_fast_symlink(fs, &in), len < 60);
    } else if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(hp);
        assert_non_null(d);
        unsigned host_entries = 0;
        struct dirent *e;
        char names[400][300];
        unsigned nn = 0;
        while ((e = readdir(d))) {
            host_entries++;
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && nn < 400)
                snprintf(names[nn++], sizeof(names[0]), "%s", e->d_name);
        }
        closedir(d);
        struct count_ctx c = { 0 };
        uint64_t pos = 0;
        assert_int_equal(ext2_readdir(fs, &in, &pos, count_fill, &c), 0);
        /* The image root also has lost+found and the debugfs device nodes. */
        if (c.n != host_entries + (rel[0] == 0 ? 3 : 0))
            fail_msg("%s: %u entries in the image, %u on the host", rel, c.n, host_entries);
        for (unsigned i = 0; i < nn; i++) {
            char sub[1024];
            snprintf(sub, sizeof(sub), "%s/%s", rel, names[i]);
            n += compare_tree(fs, root, sub);
        }
    }
    return n;
}

static void check_read_image(unsigned bs)
{
    const char *img = image_for(bs);
    struct memdev md;
    load(&md, img);
    struct ext2_fs *fs = mount_md(&md, true);
    assert_int_equal(fs->block_size, bs);
    char tree[64];
    snprintf(tree, sizeof(tree), "tree-%u", bs);
    unsigned n = compare_tree(fs, wpath(tree), "");
    assert_true(n > 300);
    /* Device nodes: old (8:8) and new encodings. */
    struct ext2_inode_mem in;
    unsigned ma, mi;
    assert_int_equal(resolve(fs, "/null", &in), 0);
    assert_true(S_ISCHR(in.d.i_mode));
    ext2_get_dev(&in, &ma, &mi);
    assert_int_equal(ma, 1);
    assert_int_equal(mi, 3);
    assert_int_equal(resolve(fs, "/bigdev", &in), 0);
    assert_true(S_ISBLK(in.d.i_mode));
    ext2_get_dev(&in, &ma, &mi);
    assert_int_equal(ma, 300);
    assert_int_equal(mi, 700);
    /* The sparse file reaches the triple-indirect tree at 1 KiB blocks. */
    assert_int_equal(resolve(fs, "/sparse", &in), 0);
    if (bs == 1024)
        assert_int_not_equal(in.d.i_block[EXT2_TIND_BLOCK], 0);
    char buf[16];
    assert_int_equal(ext2_read(fs, &in, 73400320, buf, 15), 15);
    assert_memory_equal(buf, "TRIPLE-INDIRECT", 15);
    /* statfs */
    struct ext2_statfs sf;
    ext2_statfs(fs, &sf);
    assert_int_equal(sf.bsize, bs);
    assert_true(sf.bfree > 0 && sf.bfree < sf.blocks && sf.bavail <= sf.bfree);
    assert_int_equal(sf.files, fs->sb.s_inodes_count);
    assert_int_equal(ext2_unmount(fs), 0);
    free(md.data);
}

static void test_read_1k(void **s) { (void)s; check_read_image(1024); }
static void test_read_2k(void **s) { (void)s; check_read_image(2048); }
static void test_read_4k(void **s) { (void)s; check_read_image(4096); }

/* ---- Write workloads ---- */

static void fsck_clean(const char *img)
{
    int rc = sh_rc("e2fsck -fn %s >%s 2>&1", img, wpath("fsck.log"));
    if (rc != 0) {
        sh_rc("cat %s >&2", wpath("fsck.log"));
        fail_msg("e2fsck -fn %s: exit %d", img, rc);
    }
}

static void debugfs_cat_equals(const char *img, const char *path, const void *want, size_t n)
{
    sh("debugfs -R 'cat %s' %s >%s 2>/dev/null", path, img, wpath("cat.out"));
    struct memdev got;
    load(&got, wpath("cat.out"));
    assert_int_equal(got.size, n);
    assert_memory_equal(got.data, want, n);
    free(got.data);
}

static struct ext2_new_attrs attrs(uint32_t mode)
{
    struct ext2_new_attrs a = { .mode = mode, .uid = 1000, .gid = 100000 };
    return a;
}

static void lookup_in(struct ext2_fs *fs, const char *path, struct ext2_inode_mem *in)
{
    int err = resolve(fs, path, in);
    if (err)
        fail_msg("resolve %s: %d", path, err);
}

/* Remove `name` from `dir` (a file) and free it like the VFS does on last close. */
static void rm(struct ext2_fs *fs, struct ext2_inode_mem *dir, const char *name)
{
    uint32_t ino;
    assert_int_equal(ext2_lookup(fs, dir, name, strlen(name), &ino), 0);
    struct ext2_inode_mem in;
    assert_int_equal(ext2_iget(fs, ino, &in), 0);
    assert_int_equal(ext2_unlink(fs, dir, name, strlen(name), &in), 0);
    if (in.d.i_links_count == 0)
        assert_int_equal(ext2_free_inode(fs, &in), 0);
}

static void check_workload(unsigned bs, bool htree)
{
    const char *src = image_for(bs);
    const char *img = wpath("work.img");
    sh("cp %s %s", src, img);
    if (htree)
        sh_rc("e2fsck -fyD %s >/dev/null 2>&1", img);    /* index the big directories */
    struct memdev md;
    load(&md, img);
    struct ext2_fs *fs = mount_md(&md, false);
    uint32_t free_blocks0 = fs->sb.s_free_blocks_count;
    struct ext2_inode_mem root, f, d1, d2, many, x;
    lookup_in(fs, "/", &root);

    /* create, write, overwrite, extend sparsely, truncate */
    static char data[300000];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (char)(i * 7 + i / 1000);
    struct ext2_new_attrs a = attrs(S_IFREG | 0644);
    assert_int_equal(ext2_create(fs, &root, "new.txt", 7, &a, &f), 0);
    assert_int_equal(ext2_create(fs, &root, "new.txt", 7, &a, &x), -EEXIST);
    assert_int_equal(ext2_write(fs, &f, 0, data, sizeof(data)), (ssize_t)sizeof(data));
    assert_int_equal(ext2_write(fs, &f, 1000, "OVERWRITE", 9), 9);
    memcpy(data + 1000, "OVERWRITE", 9);
    assert_int_equal(ext2_truncate(fs, &f, 123457), 0);
    assert_int_equal(ext2_write(fs, &f, 200000, "tail", 4), 4);
    static char expect[200004];
    memcpy(expect, data, 123457);
    memset(expect + 123457, 0, 200000 - 123457);
    memcpy(expect + 200000, "tail", 4);

    /* a large file past 4 GiB (i_size_high, large_file) and its removal */
    struct ext2_inode_mem big;
    assert_int_equal(ext2_create(fs, &root, "huge", 4, &a, &big), 0);
    uint64_t far = (5ull << 30) + 12345;
    assert_int_equal(ext2_write(fs, &big, far, "far away", 8), 8);
    assert_int_equal(ext2_isize(&big), far + 8);
    char buf[16];
    assert_int_equal(ext2_read(fs, &big, far, buf, 8), 8);
    assert_memory_equal(buf, "far away", 8);
    assert_int_equal(ext2_read(fs, &big, far - 8, buf, 8), 8);
    assert_memory_equal(buf, "\0\0\0\0\0\0\0\0", 8);
    struct ext2_inode_mem big2;
    assert_int_equal(ext2_create(fs, &root, "huge2", 5, &a, &big2), 0);
    assert_int_equal(ext2_write(fs, &big2, far, "x", 1), 1);
    assert_int_equal(ext2_truncate(fs, &big2, 0), 0);
    assert_int_equal(big2.d.i_blocks, 0);
    rm(fs, &root, "huge2");

    /* directories: mkdir, nested, rename across directories, rmdir */
    struct ext2_new_attrs da = attrs(0755);
    assert_int_equal(ext2_mkdir(fs, &root, "d1", 2, &da, &d1), 0);
    assert_int_equal(ext2_mkdir(fs, &d1, "d2", 2, &da, &d2), 0);
    for (int i = 0; i < 40; i++) {
        char name[32];
        snprintf(name, sizeof(name), "file%d", i);
        assert_int_equal(ext2_create(fs, &d2, name, strlen(name), &a, &x), 0);
        assert_int_equal(ext2_write(fs, &x, 0, name, strlen(name)), (ssize_t)strlen(name));
    }
    assert_int_equal(ext2_rmdir(fs, &d1, "d2", 2, &d2), -ENOTEMPTY);
    lookup_in(fs, "/", &root);
    assert_int_equal(ext2_rename(fs, &d1, "d2", 2, &root, "d3", 2, &d2, NULL), 0);
    lookup_in(fs, "/d3", &d2);
    uint32_t ino;
    assert_int_equal(ext2_lookup(fs, &d2, "..", 2, &ino), 0);
    assert_int_equal(ino, EXT2_ROOT_INO);
    assert_int_equal(d1.d.i_links_count, 2);
    /* rename a file over another (the victim loses its link) and within a directory */
    struct ext2_inode_mem f1, f2;
    lookup_in(fs, "/d3/file1", &f1);
    lookup_in(fs, "/d3/file2", &f2);
    assert_int_equal(ext2_rename(fs, &d2, "file1", 5, &d2, "file2", 5, &f1, &f2), 0);
    assert_int_equal(f2.d.i_links_count, 0);
    assert_int_equal(ext2_free_inode(fs, &f2), 0);
    lookup_in(fs, "/d3/file3", &f1);
    assert_int_equal(ext2_rename(fs, &d2, "file3", 5, &d2, "renamed-with-a-much-longer-name", 31, &f1, NULL), 0);
    lookup_in(fs, "/d3/renamed-with-a-much-longer-name", &f1);
    assert_int_equal(ext2_read(fs, &f1, 0, buf, 5), 5);
    assert_memory_equal(buf, "file3", 5);
    /* move a directory over an empty one in another directory */
    struct ext2_inode_mem e1, e2;
    lookup_in(fs, "/", &root);
    assert_int_equal(ext2_mkdir(fs, &root, "e1", 2, &da, &e1), 0);
    lookup_in(fs, "/d1", &d1);
    assert_int_equal(ext2_mkdir(fs, &d1, "e2", 2, &da, &e2), 0);
    lookup_in(fs, "/", &root);
    assert_int_equal(ext2_rename(fs, &root, "e1", 2, &d1, "e2", 2, &e1, &e2), 0);
    assert_int_equal(ext2_free_inode(fs, &e2), 0);
    lookup_in(fs, "/d1/e2", &e1);
    assert_int_equal(ext2_rmdir(fs, &d1, "e2", 2, &e1), 0);
    assert_int_equal(ext2_free_inode(fs, &e1), 0);

    /* symlinks and hard links */
    struct ext2_inode_mem l;
    lookup_in(fs, "/", &root);
    assert_int_equal(ext2_symlink(fs, &root, "fast", 4, "new.txt", &a, &l), 0);
    assert_true(ext2_is_fast_symlink(fs, &l));
    char longt[200];
    memset(longt, 'y', sizeof(longt) - 1);
    longt[sizeof(longt) - 1] = 0;
    assert_int_equal(ext2_symlink(fs, &root, "slow", 4, longt, &a, &l), 0);
    assert_false(ext2_is_fast_symlink(fs, &l));
    lookup_in(fs, "/new.txt", &f);
    lookup_in(fs, "/d1", &d1);
    assert_int_equal(ext2_link(fs, &d1, "nlink", 5, &f), 0);
    assert_int_equal(f.d.i_links_count, 2);
    lookup_in(fs, "/medium.txt", &x);
    assert_int_equal(x.d.i_links_count, 3);
    lookup_in(fs, "/", &root);
    rm(fs, &root, "hardlink1");
    lookup_in(fs, "/medium.txt", &x);
    assert_int_equal(x.d.i_links_count, 2);

    /* the 300-entry directory: delete every third, add new names (merging and splitting) */
    lookup_in(fs, "/many", &many);
    for (int i = 0; i < 300; i += 3) {
        char name[64];
        snprintf(name, sizeof(name), "file-with-a-longish-name-%d", i);
        rm(fs, &many, name);
    }
    for (int i = 0; i < 150; i++) {
        char name[64];
        snprintf(name, sizeof(name), "n%d", i);
        assert_int_equal(ext2_create(fs, &many, name, strlen(name), &a, &x), 0);
    }
    if (htree)
        assert_int_equal(many.d.i_flags & EXT2_INDEX_FL, 0);

    /* device nodes, FIFO, socket */
    struct ext2_new_attrs dev = attrs(S_IFCHR | 0600);
    dev.major = 4;
    dev.minor = 64;
    lookup_in(fs, "/", &root);
    assert_int_equal(ext2_create(fs, &root, "ttyS0", 5, &dev, &x), 0);
    dev.mode = S_IFBLK | 0600;
    dev.major = 259;
    dev.minor = 1000;
    assert_int_equal(ext2_create(fs, &root, "nvme", 4, &dev, &x), 0);
    dev = attrs(S_IFIFO | 0644);
    assert_int_equal(ext2_create(fs, &root, "pipe", 4, &dev, &x), 0);
    dev = attrs(S_IFSOCK | 0644);
    assert_int_equal(ext2_create(fs, &root, "sock", 4, &dev, &x), 0);
    /* remove the big file of the image (double indirect at 1 KiB) and the sparse one */
    rm(fs, &root, "big.txt");
    rm(fs, &root, "sparse");

    assert_int_equal(ext2_unmount(fs), 0);
    save(&md, img);
    free(md.data);
    fsck_clean(img);
    debugfs_cat_equals(img, "/new.txt", expect, sizeof(expect));
    debugfs_cat_equals(img, "/d1/nlink", expect, sizeof(expect));
    debugfs_cat_equals(img, "/d3/file5", "file5", 5);
    sh("debugfs -R 'stat /nvme' %s 2>/dev/null | grep -q '259:1000'", img);
    sh("debugfs -R 'stat /ttyS0' %s 2>/dev/null | grep -q '04:40'", img);
    debugfs_cat_equals(img, "/slow", longt, strlen(longt));
    sh("debugfs -R 'stat /fast' %s 2>/dev/null | grep -q 'Fast link dest: \"new.txt\"'", img);
    /* The space comes back. */
    load(&md, img);
    fs = mount_md(&md, true);
    assert_true(fs->sb.s_free_blocks_count > free_blocks0);
    ext2_unmount(fs);
    free(md.data);
}

static void test_write_1k(void **s) { (void)s; check_workload(1024, false); }
static void test_write_2k(void **s) { (void)s; check_workload(2048, false); }
static void test_write_4k(void **s) { (void)s; check_workload(4096, false); }
static void test_write_htree(void **s) { (void)s; check_workload(1024, true); }

/* Fill a small disk to ENOSPC (files and directories), then delete everything. */
static void test_enospc(void **s)
{
    (void)s;
    const char *img = wpath("small.img");
    sh("rm -f %s && mke2fs -q -F -t ext2 -b 1024 -N 64 %s 2M >/dev/null", img, img);
    struct memdev md;
    load(&md, img);
    struct ext2_fs *fs = mount_md(&md, false);
    uint32_t fb0 = fs->sb.s_free_blocks_count, fi0 = fs->sb.s_free_inodes_count;
    struct ext2_inode_mem root, x, dd;
    lookup_in(fs, "/", &root);
    struct ext2_new_attrs a = attrs(S_IFREG | 0644);
    static char chunk[50000];
    memset(chunk, 'z', sizeof(chunk));
    int files = 0, err = 0;
    for (; files < 1000; files++) {
        char name[32];
        snprintf(name, sizeof(name), "f%d", files);
        err = ext2_create(fs, &root, name, strlen(name), &a, &x);
        if (err)
            break;
        ssize_t n = ext2_write(fs, &x, 0, chunk, sizeof(chunk));
        if (n < (ssize_t)sizeof(chunk)) {
            assert_true(n >= 0 || n == -ENOSPC);
            files++;
            break;
        }
    }
    assert_true(err == 0 || err == -ENOSPC);
    /* inode exhaustion too */
    struct ext2_new_attrs da = attrs(0755);
    for (int i = 0; i < 100; i++) {
        char name[32];
        snprintf(name, sizeof(name), "dir%d", i);
        err = ext2_mkdir(fs, &root, name, strlen(name), &da, &dd);
        if (err) {
            assert_int_equal(err, -ENOSPC);
            break;
        }
    }
    assert_int_equal(err, -ENOSPC);
    ext2_sync(fs);
    save(&md, img);
    /* The full image is consistent too (a snapshot after sync, marked clean for fsck). */
    struct memdev snap;
    load(&snap, img);
    ((struct ext2_super_block *)(snap.data + 1024))->s_state |= EXT2_VALID_FS;
    save(&snap, wpath("full.img"));
    free(snap.data);
    fsck_clean(wpath("full.img"));
    /* Delete everything. */
    for (int i = 0; i < files; i++) {
        char name[32];
        snprintf(name, sizeof(name), "f%d", i);
        uint32_t ino;
        if (ext2_lookup(fs, &root, name, strlen(name), &ino) == 0)
            rm(fs, &root, name);
    }
    for (int i = 0; i < 100; i++) {
        char name[32];
        snprintf(name, sizeof(name), "dir%d", i);
        uint32_t ino;
        if (ext2_lookup(fs, &root, name, strlen(name), &ino) != 0)
            break;
        assert_int_equal(ext2_iget(fs, ino, &dd), 0);
        assert_int_equal(ext2_rmdir(fs, &root, name, strlen(name), &dd), 0);
        assert_int_equal(ext2_free_inode(fs, &dd), 0);
    }
    assert_int_equal(fs->sb.s_free_inodes_count, fi0);
    /* The root directory grew a block or more; everything else came back. */
    assert_true(fs->sb.s_free_blocks_count + 4 >= fb0);
    assert_int_equal(ext2_unmount(fs), 0);
    save(&md, img);
    free(md.data);
    fsck_clean(img);
}

/* ---- Mount-time checks ---- */

static void test_features(void **s)
{
    (void)s;
    const char *img = wpath("feat.img");
    struct memdev md;
    struct ext2_fs *fs;
    /* ext4 (extents, 64bit...) is refused. */
    sh("rm -f %s && mke2fs -q -F -t ext4 %s 8M >/dev/null", img, img);
    load(&md, img);
    struct ext2_io io = memdev_io(&md);
    assert_int_equal(ext2_mount(&io, EXT2_MOUNT_RDONLY, &fs), -EINVAL);
    free(md.data);
    /* ext3 without needs_recovery: has_journal is a COMPAT feature, it mounts. */
    sh("rm -f %s && mke2fs -q -F -t ext3 %s 8M >/dev/null", img, img);
    load(&md, img);
    io = memdev_io(&md);
    assert_int_equal(ext2_mount(&io, EXT2_MOUNT_RDONLY, &fs), 0);
    ext2_unmount(fs);
    /* An unknown RO_COMPAT feature forces read-only. */
    ((struct ext2_super_block *)(md.data + 1024))->s_feature_ro_compat |= 0x8000;
    assert_int_equal(ext2_mount(&io, 0, &fs), 0);
    assert_true(fs->readonly);
    struct ext2_inode_mem root, x;
    assert_int_equal(ext2_iget(fs, EXT2_ROOT_INO, &root), 0);
    struct ext2_new_attrs a = attrs(S_IFREG | 0644);
    assert_int_equal(ext2_create(fs, &root, "x", 1, &a, &x), -EROFS);
    ext2_unmount(fs);
    /* Bad magic, block size, counts. */
    struct ext2_super_block *sb = (struct ext2_super_block *)(md.data + 1024);
    struct ext2_super_block orig = *sb;
    sb->s_magic = 0x1234;
    assert_int_equal(ext2_mount(&io, 0, &fs), -EINVAL);
    *sb = orig;
    sb->s_log_block_size = 7;
    assert_int_equal(ext2_mount(&io, 0, &fs), -EINVAL);
    *sb = orig;
    sb->s_inodes_count += 1;
    assert_int_equal(ext2_mount(&io, 0, &fs), -EINVAL);
    *sb = orig;
    sb->s_inode_size = 200;
    assert_int_equal(ext2_mount(&io, 0, &fs), -EINVAL);
    *sb = orig;
    sb->s_blocks_count *= 2;      /* larger than the device */
    assert_int_equal(ext2_mount(&io, 0, &fs), -EINVAL);
    *sb = orig;
    sb->s_feature_incompat |= EXT3_FEATURE_INCOMPAT_RECOVER;
    assert_int_equal(ext2_mount(&io, 0, &fs), -EINVAL);
    free(md.data);
}

/* ---- Corruption ---- */

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Mount, walk, try writes, unmount: anything but a crash or hang is fine. */
static void abuse(struct memdev *md)
{
    struct ext2_io io = memdev_io(md);
    struct ext2_fs *fs;
    for (int ro = 1; ro >= 0; ro--) {
        if (ext2_mount(&io, ro ? EXT2_MOUNT_RDONLY : 0, &fs) < 0)
            continue;
        ext2_walk_all(fs, 2000);
        if (!ro) {
            struct ext2_inode_mem root, x, d;
            if (ext2_iget(fs, EXT2_ROOT_INO, &root) == 0) {
                struct ext2_new_attrs a = attrs(S_IFREG | 0644);
                if (ext2_create(fs, &root, "fuzzfile", 8, &a, &x) == 0) {
                    static char junk[20000];
                    ext2_write(fs, &x, 0, junk, sizeof(junk));
                    ext2_truncate(fs, &x, 10);
                    if (ext2_unlink(fs, &root, "fuzzfile", 8, &x) == 0)
                        ext2_free_inode(fs, &x);
                }
                struct ext2_new_attrs da = attrs(0755);
                ext2_mkdir(fs, &root, "fuzzdir", 7, &da, &d);
                uint32_t ino;
                if (ext2_lookup(fs, &root, "big.txt", 7, &ino) == 0 &&
                    ext2_iget(fs, ino, &x) == 0) {
                    ext2_write(fs, &x, 5000, "abc", 3);
                    ext2_truncate(fs, &x, 1000);
                }
                if (ext2_lookup(fs, &root, "many", 4, &ino) == 0 && ext2_iget(fs, ino, &d) == 0) {
                    if (ext2_lookup(fs, &d, "file-with-a-longish-name-7", 26, &ino) == 0 &&
                        ext2_iget(fs, ino, &x) == 0)
                        ext2_unlink(fs, &d, "file-with-a-longish-name-7", 26, &x);
                    ext2_create(fs, &d, "zz", 2, &a, &x);
                }
            }
        }
        ext2_unmount(fs);
    }
}

static void corrupt_region(const char *what, uint64_t start, uint64_t len, int rounds, int flips)
{
    const char *src = image_for(1024);
    struct memdev orig;
    load(&orig, src);
    if (start >= orig.size)
        fail_msg("%s: region outside image", what);
    if (start + len > orig.size)
        len = orig.size - start;
    struct memdev md = { .data = malloc(orig.size), .size = orig.size };
    for (int r = 0; r < rounds; r++) {
        memcpy(md.data, orig.data, orig.size);
        for (int i = 0; i < flips; i++) {
            uint64_t off = start + rnd() % len;
            md.data[off] = (rnd() & 1) ? (uint8_t)rnd() : (uint8_t)(md.data[off] ^ (1u << (rnd() % 8)));
        }
        md.reads = md.writes = 0;
        abuse(&md);
    }
    free(md.data);
    free(orig.data);
}

/* Locate metadata in the clean 1 KiB image. */
struct layout {
    uint64_t inode_table, root_dir, many_dir, big_ind, big_dind, sparse_tind;
};

static void find_layout(struct layout *l)
{
    struct memdev md;
    load(&md, image_for(1024));
    struct ext2_fs *fs = mount_md(&md, true);
    struct ext2_inode_mem in;
    uint32_t p;
    l->inode_table = (uint64_t)fs->gd[0].bg_inode_table * 1024;
    lookup_in(fs, "/", &in);
    ext2_bmap(fs, &in, 0, false, &p);
    l->root_dir = (uint64_t)p * 1024;
    lookup_in(fs, "/many", &in);
    ext2_bmap(fs, &in, 0, false, &p);
    l->many_dir = (uint64_t)p * 1024;
    lookup_in(fs, "/big.txt", &in);
    l->big_ind = (uint64_t)in.d.i_block[EXT2_IND_BLOCK] * 1024;
    l->big_dind = (uint64_t)in.d.i_block[EXT2_DIND_BLOCK] * 1024;
    lookup_in(fs, "/sparse", &in);
    l->sparse_tind = (uint64_t)in.d.i_block[EXT2_TIND_BLOCK] * 1024;
    ext2_unmount(fs);
    free(md.data);
}

static void test_corrupt(void **s)
{
    (void)s;
    struct layout l;
    find_layout(&l);
    alarm(600);
    corrupt_region("superblock", 1024, 1024, 300, 2);
    corrupt_region("descriptors", 2048, 1024, 200, 3);
    corrupt_region("inode table", l.inode_table, 64 * 256, 300, 8);
    corrupt_region("root dir", l.root_dir, 1024, 200, 4);
    corrupt_region("many dir", l.many_dir, 1024, 200, 4);
    corrupt_region("indirect", l.big_ind, 1024, 100, 6);
    corrupt_region("double indirect", l.big_dind, 1024, 100, 6);
    corrupt_region("triple indirect", l.sparse_tind, 1024, 100, 6);
    corrupt_region("anywhere", 0, 1u << 30, 100, 64);
    alarm(0);
}

static void test_truncated_and_io_errors(void **s)
{
    (void)s;
    struct memdev orig;
    load(&orig, image_for(1024));
    alarm(300);
    static const size_t sizes[] = { 0, 1000, 2047, 2048, 4096, 100000, 1u << 20, 5u << 20, 20u << 20 };
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        struct memdev md = { .data = malloc(sizes[i] + 1), .size = sizes[i] };
        memcpy(md.data, orig.data, sizes[i]);
        abuse(&md);
        /* Lie about the size: the device says it is whole but reads past the cut fail. */
        struct memdev md2 = md;
        struct ext2_io io = memdev_io(&md2);
        io.dev_size = orig.size;
        struct ext2_fs *fs;
        if (ext2_mount(&io, 0, &fs) == 0) {
            ext2_walk_all(fs, 2000);
            ext2_unmount(fs);
        }
        free(md.data);
    }
    /* I/O errors at every point of a mount + walk + write. */
    struct memdev md = { .data = malloc(orig.size), .size = orig.size };
    for (int n = 1; n < 400; n += 7) {
        memcpy(md.data, orig.data, orig.size);
        md.reads = md.writes = 0;
        md.fail_after = n;
        abuse(&md);
    }
    alarm(0);
    free(md.data);
    free(orig.data);
}

static int setup(void **s)
{
    (void)s;
    if (workdir_make("ext2-test"))
        return -1;
    return 0;
}

static int teardown(void **s)
{
    (void)s;
    workdir_remove("EXT2_TEST_KEEP");
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_1k),
        cmocka_unit_test(test_read_2k),
        cmocka_unit_test(test_read_4k),
        cmocka_unit_test(test_write_1k),
        cmocka_unit_test(test_write_2k),
        cmocka_unit_test(test_write_4k),
        cmocka_unit_test(test_write_htree),
        cmocka_unit_test(test_enospc),
        cmocka_unit_test(test_features),
        cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_truncated_and_io_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
