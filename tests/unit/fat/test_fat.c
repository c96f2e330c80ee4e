/* Host tests of the FAT core (kernel/fs/fat) on images the real tools make at test time
 * (mkimages.sh: mkfs.vfat -F 12/16/32 + mcopy, cloud-localds -f vfat), then on damaged copies:
 * FAT chains that loop (short and long loops), leave the data area, end early; truncated
 * volumes; bad boot sectors; long-name entries with a wrong checksum. Every damaged image
 * must give errors, never a crash or a hang (ASan/UBSan). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "workdir.h"
#include "fat_host.h"
#include "uapi/stat.h"

#define MIN(a, b) ((a) < (b) ? (a) : (b))

static const char *const LONG = "A file with a rather long name, to need several LFN entries.text";

static void load(struct memdev *md, const char *name)
{
    md->data = slurp(wpath(name), &md->size);
    md->reads = 0;
}

static struct fat_fs *mount_opts(struct memdev *md, const char *opts)
{
    struct fat_options o;
    assert_int_equal(fat_parse_options(opts, &o), 0);
    struct byte_io io = memdev_io(md);
    struct fat_fs *fs = NULL;
    int err = fat_mount(&io, &o, &fs);
    if (err)
        fail_msg("mount failed: %d", err);
    return fs;
}

static int resolve(struct fat_fs *fs, const char *path, struct fat_inode *out)
{
    int err = fat_iget(fs, FAT_ROOT_INO, out);
    for (const char *c = path; !err && *c;) {
        if (*c == '/') {
            c++;
            continue;
        }
        size_t n = 0;
        while (c[n] && c[n] != '/')
            n++;
        uint64_t ino;
        err = fat_lookup(fs, out, c, n, &ino);
        if (!err)
            err = fat_iget(fs, ino, out);
        c += n;
    }
    return err;
}

static void assert_same(struct fat_fs *fs, const char *path, const char *host)
{
    struct fat_inode in;
    assert_int_equal(resolve(fs, path, &in), 0);
    assert_true(S_ISREG(in.mode));
    size_t len;
    uint8_t *want = slurp(host, &len);
    assert_int_equal(in.size, len);
    uint8_t *got = malloc(len + 100);
    size_t done = 0;
    while (done < len) {
        ssize_t n = fat_read(fs, &in, done, got + done, MIN((size_t)777, len - done + 50));
        assert_true(n > 0);
        done += (size_t)n;
    }
    assert_int_equal(fat_read(fs, &in, len, got, 10), 0);
    /* A backwards read after forwards ones (the chain position cache restarts). */
    if (len > 10)
        assert_int_equal(fat_read(fs, &in, 1, got + 1, 5), 5);
    assert_memory_equal(got, want, len);
    free(got);
    free(want);
}

static void list_dir(struct fat_fs *fs, const char *path, struct names *nm)
{
    struct fat_inode dir;
    memset(nm, 0, sizeof(*nm));
    assert_int_equal(resolve(fs, path, &dir), 0);
    uint64_t pos = 0;
    assert_int_equal(fat_readdir(fs, &dir, &pos, names_collect, nm), 0);
}

/* Stop after one entry each call: positions must resume exactly. */
static bool one(void *ctx, const char *name, size_t len, uint64_t ino, unsigned dtype,
                uint64_t next_pos)
{
    struct names *nm = ctx;
    if (nm->n & 0x100000)
        return false;
    names_collect(ctx, name, len, ino, dtype, next_pos);
    nm->n |= 0x100000;
    return true;
}

static void check_volume(const char *img, unsigned bits, const char *label)
{
    struct memdev md;
    load(&md, img);
    struct fat_fs *fs = mount_opts(&md, NULL);
    assert_int_equal(fs->bits, bits);
    assert_string_equal(fs->label, label);
    assert_same(fs, "small.txt", wpath("tree/small.txt"));
    assert_same(fs, "medium.txt", wpath("tree/medium.txt"));
    assert_same(fs, "empty", wpath("tree/empty"));
    assert_same(fs, "sub/deeper/file", wpath("tree/sub/deeper/file"));
    assert_same(fs, "UPPER.TXT", wpath("tree/UPPER.TXT"));
    char p[300];
    snprintf(p, sizeof p, "tree/%s", LONG);
    assert_same(fs, LONG, wpath(p));
    assert_same(fs, "many/entry-number-59", wpath("tree/many/entry-number-59"));
    /* Case-insensitive, and by the 8.3 alias. */
    assert_same(fs, "SMALL.TXT", wpath("tree/small.txt"));
    assert_same(fs, "Sub/DEEPER/File", wpath("tree/sub/deeper/file"));
    assert_same(fs, "AFILEW~1.TEX", wpath(p));

    struct fat_inode in;
    assert_int_equal(resolve(fs, "small.txt", &in), 0);
    assert_int_equal(in.mode, S_IFREG | 0755);
    assert_true(in.mtime > 1600000000);
    assert_int_equal(resolve(fs, "sub", &in), 0);
    assert_int_equal(in.mode, S_IFDIR | 0755);
    assert_int_equal(resolve(fs, "nonexistent", &in), -ENOENT);
    assert_int_equal(resolve(fs, "small.txt/x", &in), -ENOTDIR);

    struct names nm;
    list_dir(fs, "", &nm);
    assert_true(names_has(&nm, "."));
    assert_true(names_has(&nm, ".."));
    assert_true(names_has(&nm, "small.txt"));
    assert_true(names_has(&nm, "UPPER.TXT"));
    assert_true(names_has(&nm, LONG));
    assert_int_equal(nm.n, 9);
    list_dir(fs, "many", &nm);
    assert_int_equal(nm.n, 62);
    assert_true(names_has(&nm, "entry-number-0"));
    assert_true(names_has(&nm, "entry-number-59"));

    /* One entry per call gives the same list. */
    struct names one_by_one = { 0 };
    struct fat_inode dir;
    assert_int_equal(resolve(fs, "many", &dir), 0);
    uint64_t pos = 0;
    for (unsigned i = 0; i < 100; i++) {
        one_by_one.n &= ~0x100000u;
        assert_int_equal(fat_readdir(fs, &dir, &pos, one, &one_by_one), 0);
        if (!(one_by_one.n & 0x100000))
            break;
    }
    assert_int_equal(one_by_one.n & 0xfffff, 62);
    fat_unmount(fs);

    fs = mount_opts(&md, "uid=1000,gid=100,fmask=0133,dmask=0022");
    assert_int_equal(resolve(fs, "small.txt", &in), 0);
    assert_int_equal(in.mode, S_IFREG | 0644);
    assert_int_equal(in.uid, 1000);
    assert_int_equal(in.gid, 100);
    fat_unmount(fs);
    free(md.data);
}

static void test_fat12(void **state) { (void)state; check_volume("fat12.img", 12, "F12LABEL"); }
static void test_fat16(void **state) { (void)state; check_volume("fat16.img", 16, "F16LABEL"); }
static void test_fat32(void **state) { (void)state; check_volume("fat32.img", 32, "F32LABEL"); }

static void test_cloud_localds(void **state)
{
    (void)state;
    struct memdev md;
    load(&md, "seed-vfat.img");
    struct fat_fs *fs = mount_opts(&md, NULL);
    assert_string_equal(fs->label, "cidata");
    assert_same(fs, "user-data", wpath("user-data"));
    assert_same(fs, "meta-data", wpath("meta-data"));
    fat_unmount(fs);
    free(md.data);
}

static void test_options(void **state)
{
    (void)state;
    struct fat_options o;
    assert_int_equal(fat_parse_options("ro,umask=077,utf8", &o), 0);
    assert_int_equal(o.fmask, 077);
    assert_int_equal(o.dmask, 077);
    assert_int_equal(fat_parse_options("bogus", &o), -EINVAL);
    assert_int_equal(fat_parse_options("umask=8", &o), -EINVAL);
    assert_int_equal(fat_parse_options("uid=", &o), -EINVAL);
}

static void set_fat(struct fat_fs *fs, struct memdev *md, uint32_t cl, uint32_t v)
{
    uint8_t *f = md->data + fs->fat_start;
    if (fs->bits == 12) {
        uint8_t *p = f + cl + cl / 2;
        if (cl & 1) {
            p[0] = (uint8_t)((p[0] & 0x0f) | (v << 4));
            p[1] = (uint8_t)(v >> 4);
        } else {
            p[0] = (uint8_t)v;
            p[1] = (uint8_t)((p[1] & 0xf0) | ((v >> 8) & 0x0f));
        }
    } else if (fs->bits == 16) {
        f[cl * 2] = (uint8_t)v;
        f[cl * 2 + 1] = (uint8_t)(v >> 8);
    } else {
        memcpy(f + cl * 4, &v, 4);
    }
}

static void damage_chain(const char *img, const char *file, unsigned at, uint32_t to, int want)
{
    struct memdev md;
    load(&md, img);
    struct fat_fs *fs = mount_opts(&md, NULL);
    struct fat_inode in;
    assert_int_equal(resolve(fs, file, &in), 0);
    uint32_t cl = in.start, first = in.start;
    for (unsigned i = 0; i < at; i++)
        assert_int_equal(fat_next(fs, cl, &cl), 0);
    set_fat(fs, &md, cl, to == 1 ? first : to);
    assert_int_equal(resolve(fs, file, &in), want);
    fat_walk_all(fs, 1000);
    fat_unmount(fs);
    free(md.data);
}

static void test_damaged_chains(void **state)
{
    (void)state;
    static const char *const imgs[] = { "fat12.img", "fat16.img", "fat32.img" };
    for (unsigned i = 0; i < 3; i++) {
        damage_chain(imgs[i], "medium.txt", 0, 1, -EIO);          /* loop onto itself */
        damage_chain(imgs[i], "medium.txt", 20, 1, -EIO);         /* a long loop */
        damage_chain(imgs[i], "medium.txt", 5, 0, -EIO);          /* link to a free cluster */
        damage_chain(imgs[i], "medium.txt", 5, 0x0ffffff0, -EIO); /* outside the data area */
        damage_chain(imgs[i], "medium.txt", 3, 0x0ffffff8, -EIO); /* ends before the size */
        damage_chain(imgs[i], "many", 0, 1, -EIO);                /* a directory's loop */
    }
    /* The FAT32 root directory's chain looping: the mount fails. */
    struct memdev md;
    load(&md, "fat32.img");
    struct fat_fs *fs = mount_opts(&md, NULL);
    set_fat(fs, &md, fs->root_cluster, fs->root_cluster);
    fat_unmount(fs);
    struct byte_io io = memdev_io(&md);
    assert_int_equal(fat_mount(&io, NULL, &fs), -EIO);
    free(md.data);
}

static void test_damaged(void **state)
{
    (void)state;
    struct memdev md;
    struct fat_fs *fs;
    struct byte_io io;

    /* Not FAT: an ISO, zeros, each boot sector field out of range. */
    load(&md, "fat16.img");
    io = memdev_io(&md);
    static const struct { unsigned off; uint8_t val; } bad[] = {
        { 0, 0 }, { 11, 1 }, { 12, 3 }, { 13, 3 }, { 13, 0 }, { 14, 0 }, { 16, 0 },
        { 16, 9 }, { 21, 0x12 }, { 22, 0 }, { 17, 0 },
    };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t old = md.data[bad[i].off], old2 = md.data[bad[i].off + 1];
        md.data[bad[i].off] = bad[i].val;
        if (bad[i].off == 22 || bad[i].off == 17 || bad[i].off == 14)
            md.data[bad[i].off + 1] = 0;
        int err = fat_mount(&io, NULL, &fs);
        if (err == 0) {
            fat_walk_all(fs, 1000);
            fat_unmount(fs);
        }
        if (err != -EINVAL && err != -EIO)
            fail_msg("boot sector byte %u = %u: mount gave %d", bad[i].off, bad[i].val, err);
        md.data[bad[i].off] = old;
        md.data[bad[i].off + 1] = old2;
    }
    /* Truncated: mounts while the FAT and root fit; reads past the end fail with EIO. */
    md.size = 200 * 1024;
    fs = mount_opts(&md, NULL);
    struct fat_inode in;
    int r = resolve(fs, "medium.txt", &in);
    if (r == 0) {
        char buf[4096];
        ssize_t n = 0;
        for (uint64_t off = 0; off < in.size; off += sizeof buf)
            if ((n = fat_read(fs, &in, off, buf, sizeof buf)) < 0)
                break;
        assert_int_equal(n, -EIO);
    } else {
        assert_int_equal(r, -EIO);
    }
    fat_walk_all(fs, 1000);
    fat_unmount(fs);
    md.size = 1000;
    io = memdev_io(&md);
    assert_int_equal(fat_mount(&io, NULL, &fs), -EIO);
    free(md.data);

    /* A long name whose checksum does not match: the 8.3 name is shown instead. */
    load(&md, "fat12.img");
    fs = mount_opts(&md, NULL);
    uint8_t *root = md.data + fs->root_start;
    for (unsigned i = 0; i < fs->root_entries; i++)
        if (root[i * 32 + 11] == 0x0f)
            root[i * 32 + 13] ^= 0x55;
    struct names nm;
    list_dir(fs, "", &nm);
    assert_false(names_has(&nm, LONG));
    assert_true(names_has(&nm, "AFILEW~1.TEX"));
    fat_unmount(fs);
    free(md.data);
}

static int setup(void **state)
{
    (void)state;
    if (workdir_make("fat-test"))
        return -1;
    sh("sh tests/unit/fat/mkimages.sh %s", workdir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    workdir_remove("FAT_TEST_KEEP");
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fat12),
        cmocka_unit_test(test_fat16),
        cmocka_unit_test(test_fat32),
        cmocka_unit_test(test_cloud_localds),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_damaged_chains),
        cmocka_unit_test(test_damaged),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
