/* Host tests of the iso9660 core (kernel/fs/isofs) on images the real tools make at test
 * time (mkimages.sh: genisoimage -J -R, -J, plain, and cloud-localds), then on damaged
 * copies of them: truncated volumes, bad record lengths, CE areas out of bounds, oversized
 * Rock Ridge names. Every damaged image must give errors, never a crash (ASan/UBSan). */
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
#include "iso_host.h"
#include "uapi/stat.h"

#define MIN(a, b) ((a) < (b) ? (a) : (b))

static void load(struct memdev *md, const char *name)
{
    md->data = slurp(wpath(name), &md->size);
    md->reads = 0;
}

static struct iso_fs *mount_opts(struct memdev *md, const char *opts)
{
    struct iso_options o;
    assert_int_equal(iso_parse_options(opts, &o), 0);
    struct byte_io io = memdev_io(md);
    struct iso_fs *fs = NULL;
    int err = iso_mount(&io, &o, &fs);
    if (err)
        fail_msg("mount failed: %d", err);
    return fs;
}

static int resolve(struct iso_fs *fs, const char *path, struct iso_inode *out)
{
    int err = iso_iget(fs, fs->root_ino, out);
    for (const char *c = path; !err && *c;) {
        if (*c == '/') {
            c++;
            continue;
        }
        size_t n = 0;
        while (c[n] && c[n] != '/')
            n++;
        uint64_t ino;
        err = iso_lookup(fs, out, c, n, &ino);
        if (!err)
            err = iso_iget(fs, ino, out);
        c += n;
    }
    return err;
}

/* The file at path inside the volume has exactly the bytes of host file host. */
static void assert_same(struct iso_fs *fs, const char *path, const char *host)
{
    struct iso_inode in;
    assert_int_equal(resolve(fs, path, &in), 0);
    assert_true(S_ISREG(in.mode));
    size_t len;
    uint8_t *want = slurp(host, &len);
    assert_int_equal(in.size, len);
    uint8_t *got = malloc(len + 100);
    /* Odd-sized reads across sector boundaries. */
    size_t done = 0;
    while (done < len) {
        ssize_t n = iso_read(fs, &in, done, got + done, MIN((size_t)777, len - done + 50));
        assert_true(n > 0);
        done += (size_t)n;
    }
    assert_int_equal(done, len);
    assert_int_equal(iso_read(fs, &in, len, got, 10), 0);
    assert_memory_equal(got, want, len);
    free(got);
    free(want);
}

static void list_dir(struct iso_fs *fs, const char *path, struct names *nm)
{
    struct iso_inode dir;
    memset(nm, 0, sizeof(*nm));
    assert_int_equal(resolve(fs, path, &dir), 0);
    uint64_t pos = 0;
    assert_int_equal(iso_readdir(fs, &dir, &pos, names_collect, nm), 0);
}

static const char *long_name(void)
{
    static char n[201];
    memset(n, 'L', 200);
    return n;
}

static void test_rock(void **state)
{
    (void)state;
    struct memdev md;
    load(&md, "rock.iso");
    struct iso_fs *fs = mount_opts(&md, NULL);
    assert_int_equal(fs->names, ISO_NAMES_ROCK);
    assert_true(fs->has_joliet);
    assert_string_equal(fs->label, "ROCKVOL");
    assert_same(fs, "small.txt", wpath("tree/small.txt"));
    assert_same(fs, "medium.txt", wpath("tree/medium.txt"));
    assert_same(fs, "empty", wpath("tree/empty"));
    assert_same(fs, "sub/deeper/file", wpath("tree/sub/deeper/file"));
    assert_same(fs, "MixedCase.Name", wpath("tree/MixedCase.Name"));
    char p[300];
    snprintf(p, sizeof p, "tree/%s", long_name());
    assert_same(fs, long_name(), wpath(p));     /* NM continued in a CE area */

    struct iso_inode in;
    assert_int_equal(resolve(fs, "small.txt", &in), 0);
    assert_int_equal(in.mode, S_IFREG | 0640);
    assert_int_equal(resolve(fs, "sub", &in), 0);
    assert_int_equal(in.mode, S_IFDIR | 0750);
    assert_true(in.mtime > 1600000000);

    char link[256];
    assert_int_equal(resolve(fs, "rel-link", &in), 0);
    assert_true(S_ISLNK(in.mode));
    assert_int_equal(iso_readlink(fs, &in, link, sizeof link), 9);
    assert_string_equal(link, "small.txt");
    assert_int_equal(in.size, 9);
    assert_int_equal(resolve(fs, "abs-link", &in), 0);
    iso_readlink(fs, &in, link, sizeof link);
    assert_string_equal(link, "/etc/hostname");
    assert_int_equal(resolve(fs, "sub/deeper/up-link", &in), 0);
    iso_readlink(fs, &in, link, sizeof link);
    assert_string_equal(link, "../../small.txt");
    assert_int_equal(iso_readlink(fs, &in, link, 5), -ENAMETOOLONG);

    struct names nm;
    list_dir(fs, "", &nm);
    assert_true(names_has(&nm, "."));
    assert_true(names_has(&nm, ".."));
    assert_true(names_has(&nm, "MixedCase.Name"));
    assert_true(names_has(&nm, long_name()));
    assert_true(names_has(&nm, "empty-dir"));
    assert_int_equal(nm.n, 11);
    list_dir(fs, "empty-dir", &nm);
    assert_int_equal(nm.n, 2);

    assert_int_equal(resolve(fs, "nonexistent", &in), -ENOENT);
    assert_int_equal(resolve(fs, "small.txt/x", &in), -ENOTDIR);
    assert_int_equal(resolve(fs, "SMALL.TXT", &in), -ENOENT);
    iso_unmount(fs);

    /* norock: the Joliet tree of the same volume; norock,nojoliet: plain names. */
    fs = mount_opts(&md, "norock");
    assert_int_equal(fs->names, ISO_NAMES_JOLIET);
    assert_same(fs, "MixedCase.Name", wpath("tree/MixedCase.Name"));
    assert_same(fs, "sub/deeper/file", wpath("tree/sub/deeper/file"));
    assert_int_equal(resolve(fs, "small.txt", &in), 0);
    assert_int_equal(in.mode, S_IFREG | 0555);
    iso_unmount(fs);
    fs = mount_opts(&md, "norock,nojoliet,uid=1000,gid=100,mode=0444,dmode=0500");
    assert_int_equal(fs->names, ISO_NAMES_PLAIN);
    assert_same(fs, "small.txt", wpath("tree/small.txt"));
    assert_int_equal(resolve(fs, "small.txt", &in), 0);
    assert_int_equal(in.mode, S_IFREG | 0444);
    assert_int_equal(in.uid, 1000);
    assert_int_equal(in.gid, 100);
    assert_int_equal(resolve(fs, "sub", &in), 0);
    assert_int_equal(in.mode, S_IFDIR | 0500);
    iso_unmount(fs);
    free(md.data);
}

static void test_joliet_and_plain(void **state)
{
    (void)state;
    struct memdev md;
    load(&md, "joliet.iso");
    struct iso_fs *fs = mount_opts(&md, NULL);
    assert_int_equal(fs->names, ISO_NAMES_JOLIET);
    assert_false(fs->has_rock);
    assert_same(fs, "MixedCase.Name", wpath("tree/MixedCase.Name"));
    assert_same(fs, "medium.txt", wpath("tree/medium.txt"));
    struct names nm;
    list_dir(fs, "sub/deeper", &nm);
    assert_true(names_has(&nm, "file"));
    iso_unmount(fs);
    free(md.data);

    load(&md, "plain.iso");
    fs = mount_opts(&md, NULL);
    assert_int_equal(fs->names, ISO_NAMES_PLAIN);
    assert_string_equal(fs->label, "PLAINVOL");
    assert_same(fs, "small.txt", wpath("tree/small.txt"));
    assert_same(fs, "sub/deeper/file", wpath("tree/sub/deeper/file"));
    list_dir(fs, "", &nm);
    assert_true(names_has(&nm, "medium.txt"));
    for (unsigned i = 0; i < nm.n; i++)
        for (const char *c = nm.list[i]; *c; c++)
            assert_false(*c >= 'A' && *c <= 'Z');
    iso_unmount(fs);
    free(md.data);
}

static void test_cloud_localds(void **state)
{
    (void)state;
    struct memdev md;
    load(&md, "seed.iso");
    struct iso_fs *fs = mount_opts(&md, NULL);
    assert_string_equal(fs->label, "cidata");
    assert_same(fs, "user-data", wpath("user-data"));
    assert_same(fs, "meta-data", wpath("meta-data"));
    iso_unmount(fs);
    free(md.data);
}

/* A directory 10 levels down is relocated by genisoimage: found through its CL placeholder,
 * and the relocated copy (RE) is not listed a second time. */
static void test_relocated(void **state)
{
    (void)state;
    struct memdev md;
    load(&md, "deep.iso");
    struct iso_fs *fs = mount_opts(&md, NULL);
    assert_same(fs, "1/2/3/4/5/6/7/8/9/10/file", wpath("deep/1/2/3/4/5/6/7/8/9/10/file"));
    struct iso_inode in;
    assert_int_equal(resolve(fs, "1/2/3/4/5/6/7/8", &in), 0);
    assert_true(S_ISDIR(in.mode));
    struct names nm;
    list_dir(fs, "1/2/3/4/5/6/7/8", &nm);
    assert_true(names_has(&nm, "9"));
    list_dir(fs, "rr_moved", &nm);
    assert_int_equal(nm.n, 2);
    iso_unmount(fs);
    free(md.data);
}

/* A file in several extents (what genisoimage -iso-level 3 writes for files over 4 GiB) is too
 * big to make here, so this volume is built by hand: a primary descriptor, a root directory with
 * `nparts` records named BIG.DAT;1, all but the last flagged multi-extent, each pointing at its
 * own block of data (byte i of the file is i % 251). */
static void put_both32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i)), p[7 - i] = (uint8_t)(v >> (8 * i));
}

static void put_record(uint8_t *p, uint32_t extent, uint32_t size, uint8_t flags,
                       const char *name, size_t nlen)
{
    p[0] = (uint8_t)(33 + nlen + !(nlen & 1));
    put_both32(p + 2, extent);
    put_both32(p + 10, size);
    p[25] = flags;
    p[28] = 1;                                   /* volume sequence number */
    p[32] = (uint8_t)nlen;
    memcpy(p + 33, name, nlen);
}

static struct memdev multi_extent_volume(unsigned nparts, const uint32_t *sizes)
{
    unsigned blocks = 19 + nparts;
    struct memdev md = { .data = calloc(blocks, 2048), .size = (size_t)blocks * 2048 };
    uint8_t *pvd = md.data + 16 * 2048, *term = pvd + 2048, *root = term + 2048;
    pvd[0] = 1, memcpy(pvd + 1, "CD001", 5), pvd[6] = 1;
    memset(pvd + 40, ' ', 32), memcpy(pvd + 40, "MULTI", 5);
    put_both32(pvd + 80, blocks);
    pvd[128] = 0x00, pvd[129] = 0x08, pvd[130] = 0x08, pvd[131] = 0x00;
    put_record(pvd + 156, 18, 2048, ISO_FLAG_DIR, "\0", 1);
    term[0] = 255, memcpy(term + 1, "CD001", 5), term[6] = 1;
    uint8_t *r = root;
    put_record(r, 18, 2048, ISO_FLAG_DIR, "\0", 1), r += r[0];
    put_record(r, 18, 2048, ISO_FLAG_DIR, "\1", 1), r += r[0];
    uint32_t pos = 0;
    for (unsigned i = 0; i < nparts; i++) {
        put_record(r, 19 + i, sizes[i], i + 1 < nparts ? ISO_FLAG_MULTI : 0, "BIG.DAT;1", 9);
        r += r[0];
        for (uint32_t k = 0; k < sizes[i]; k++, pos++)
            md.data[(19 + i) * 2048 + k] = (uint8_t)(pos % 251);
    }
    return md;
}

static void test_multi_extent(void **state)
{
    (void)state;
    static const uint32_t sizes[] = { 2048, 2048, 1000 };
    struct memdev md = multi_extent_volume(3, sizes);
    struct iso_fs *fs = mount_opts(&md, NULL);
    assert_int_equal(fs->names, ISO_NAMES_PLAIN);
    assert_string_equal(fs->label, "MULTI");
    struct iso_inode in;
    assert_int_equal(resolve(fs, "big.dat", &in), 0);
    assert_int_equal(in.nextents, 3);
    assert_int_equal(in.size, 5096);
    uint8_t buf[6000];
    assert_int_equal(iso_read(fs, &in, 0, buf, sizeof buf), 5096);
    for (unsigned i = 0; i < 5096; i++)
        assert_int_equal(buf[i], i % 251);
    assert_int_equal(iso_read(fs, &in, 2000, buf, 100), 100);   /* across extents */
    for (unsigned i = 0; i < 100; i++)
        assert_int_equal(buf[i], (2000 + i) % 251);
    struct names nm;
    list_dir(fs, "", &nm);
    assert_int_equal(nm.n, 3);                                   /* ".", "..", big.dat once */
    iso_unmount(fs);
    free(md.data);

    /* More extents than the core follows: an error, not a truncated file. */
    uint32_t many[ISO_MAX_EXTENTS + 1];
    for (unsigned i = 0; i <= ISO_MAX_EXTENTS; i++)
        many[i] = 100;
    md = multi_extent_volume(ISO_MAX_EXTENTS + 1, many);
    fs = mount_opts(&md, NULL);
    assert_int_equal(resolve(fs, "big.dat", &in), -EIO);
    iso_unmount(fs);
    free(md.data);
}

static void test_options(void **state)
{
    (void)state;
    struct iso_options o;
    assert_int_equal(iso_parse_options("ro,norock", &o), 0);
    assert_true(o.norock);
    assert_int_equal(iso_parse_options("bogus", &o), -EINVAL);
    assert_int_equal(iso_parse_options("uid=x", &o), -EINVAL);
    assert_int_equal(iso_parse_options("mode=9", &o), -EINVAL);
    assert_int_equal(iso_parse_options("norock=1", &o), -EINVAL);
    assert_int_equal(iso_parse_options("uid=99999999999", &o), -EINVAL);
}

/* Find the first occurrence of a 2-letter SUSP signature with a plausible length. */
static uint8_t *find_sig(struct memdev *md, const char *sig, size_t from)
{
    for (size_t i = from; i + 4 < md->size; i++)
        if (md->data[i] == (uint8_t)sig[0] && md->data[i + 1] == (uint8_t)sig[1] &&
            md->data[i + 2] >= 4 && md->data[i + 3] == 1)
            return md->data + i;
    return NULL;
}

/* A directory's inode number is its own "." record, whichever name reaches it (Linux's
 * normalization): a damaged record naming the root is the root's inode, so the VFS can see
 * the loop (ELOOP) instead of walking round it. */
static void test_directory_inode_numbers(void **state)
{
    (void)state;
    struct memdev md;
    load(&md, "rock.iso");
    struct iso_fs *fs = mount_opts(&md, NULL);
    struct iso_inode sub, root;
    assert_int_equal(resolve(fs, "sub", &sub), 0);
    assert_int_equal(sub.ino, (uint64_t)sub.ext[0].block * 2048);
    assert_int_equal(iso_iget(fs, fs->root_ino, &root), 0);
    /* "sub/deeper" pointed at the root's extent. */
    uint8_t *rec = md.data + (size_t)sub.ext[0].block * 2048;
    uint8_t *end = rec + sub.ext[0].len;
    bool patched = false;
    for (; rec < end && rec[ISO_DR_LEN]; rec += rec[ISO_DR_LEN]) {
        if (rec[ISO_DR_NAME_LEN] == 6 && !memcmp(rec + ISO_DR_NAME, "DEEPER", 6)) {
            uint32_t b = root.ext[0].block;
            uint8_t le[4] = { b, b >> 8, b >> 16, b >> 24 }, be[4] = { b >> 24, b >> 16, b >> 8, b };
            memcpy(rec + ISO_DR_EXTENT, le, 4);
            memcpy(rec + ISO_DR_EXTENT + 4, be, 4);
            patched = true;
        }
    }
    assert_true(patched);
    uint64_t ino;
    assert_int_equal(iso_lookup(fs, &sub, "deeper", 6, &ino), 0);
    assert_int_equal(ino, fs->root_ino);
    iso_unmount(fs);
    free(md.data);
}

static void test_damaged(void **state)
{
    (void)state;
    struct memdev md;
    struct iso_fs *fs;
    struct byte_io io;

    /* Not an ISO at all, and cut before the descriptors. */
    load(&md, "rock.iso");
    md.size = 16 * 2048 + 100;
    io = memdev_io(&md);
    assert_int_equal(iso_mount(&io, NULL, &fs), -EINVAL);
    memset(md.data + 16 * 2048, 0, 2048);
    md.size = 64 * 2048;
    io = memdev_io(&md);
    assert_int_equal(iso_mount(&io, NULL, &fs), -EINVAL);
    free(md.data);

    /* Truncated after the directories: mounts, names resolve, data past the end is EIO. */
    load(&md, "rock.iso");
    md.size = 40 * 2048;
    fs = mount_opts(&md, NULL);
    iso_walk_all(fs, 1000);
    struct iso_inode in;
    if (resolve(fs, "medium.txt", &in) == 0) {
        char buf[4096];
        ssize_t n = 0;
        for (uint64_t off = 0; off < in.size; off += sizeof buf)
            if ((n = iso_read(fs, &in, off, buf, sizeof buf)) < 0)
                break;
        assert_int_equal(n, -EIO);
    }
    iso_unmount(fs);
    free(md.data);

    /* A bad logical block size and a root record that is too short. */
    load(&md, "rock.iso");
    md.data[16 * 2048 + 128] = 3;
    io = memdev_io(&md);
    assert_int_equal(iso_mount(&io, NULL, &fs), -EIO);
    md.data[16 * 2048 + 128] = 0;
    md.data[16 * 2048 + 156] = 5;
    assert_int_equal(iso_mount(&io, NULL, &fs), -EIO);
    free(md.data);

    /* Every CE pointing far past the volume, or with a length past its block. */
    for (int variant = 0; variant < 2; variant++) {
        load(&md, "rock.iso");
        unsigned n = 0;
        for (uint8_t *ce = find_sig(&md, "CE", 0); ce; ce = find_sig(&md, "CE", (size_t)(ce - md.data) + 1)) {
            if (ce[2] != 28)
                continue;
            n++;
            if (variant == 0)
                memset(ce + 4, 0x7f, 4);        /* block */
            else
                ce[20] = 0xff, ce[21] = 0xff;   /* length */
        }
        assert_true(n > 0);
        fs = mount_opts(&md, NULL);
        iso_walk_all(fs, 1000);
        assert_int_equal(resolve(fs, long_name(), &in), -ENOENT);
        assert_int_equal(resolve(fs, "small.txt", &in), 0);
        iso_unmount(fs);
        free(md.data);
    }

    /* NM and SL entries whose lengths run past their area, and directory records whose
     * length bytes lie: each ends that entry or directory with an error, nothing more. */
    load(&md, "rock.iso");
    for (uint8_t *e = find_sig(&md, "NM", 0); e; e = find_sig(&md, "NM", (size_t)(e - md.data) + 1))
        e[2] = 0xff;
    for (uint8_t *e = find_sig(&md, "SL", 0); e; e = find_sig(&md, "SL", (size_t)(e - md.data) + 1))
        e[6] = 0xfe;                             /* first component's length */
    fs = mount_opts(&md, NULL);
    iso_walk_all(fs, 1000);
    iso_unmount(fs);
    free(md.data);

    load(&md, "rock.iso");
    fs = mount_opts(&md, NULL);
    uint64_t root = fs->root_ino;
    iso_unmount(fs);
    for (unsigned i = 0; i < 6; i++) {
        static const uint8_t lens[] = { 1, 33, 200, 255, 0x22, 0 };
        md.data[root + 34 + 34 + 0] ^= 0;        /* keep "." and ".." */
        size_t third = root + md.data[root] + md.data[root + md.data[root]];
        md.data[third] = lens[i];
        md.data[third + ISO_DR_NAME_LEN] = (uint8_t)(lens[i] + 7);
        fs = mount_opts(&md, NULL);
        iso_walk_all(fs, 1000);
        iso_unmount(fs);
    }
    free(md.data);

    /* A name longer than 255 bytes once NM pieces are joined: the entry is skipped. */
    load(&md, "rock.iso");
    uint8_t *nm = NULL;
    for (uint8_t *e = find_sig(&md, "NM", 0); e; e = find_sig(&md, "NM", (size_t)(e - md.data) + 1))
        if (e[2] > 100)
            nm = e;
    assert_non_null(nm);
    /* Claim the first piece continues and duplicate it into the continuation: 2 x ~200. */
    nm[4] |= 1;
    fs = mount_opts(&md, NULL);
    iso_walk_all(fs, 1000);
    iso_unmount(fs);
    free(md.data);
}

static int setup(void **state)
{
    (void)state;
    if (workdir_make("isofs-test"))
        return -1;
    sh("sh tests/unit/isofs/mkimages.sh %s", workdir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    workdir_remove("ISOFS_TEST_KEEP");
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rock),
        cmocka_unit_test(test_joliet_and_plain),
        cmocka_unit_test(test_cloud_localds),
        cmocka_unit_test(test_relocated),
        cmocka_unit_test(test_multi_extent),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_directory_inode_numbers),
        cmocka_unit_test(test_damaged),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
