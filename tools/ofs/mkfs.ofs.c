/* mkfs.ofs: write an empty OFS filesystem (docs/ofs.md) to an image file or device.
 *
 *   mkfs.ofs [-s SIZE] [-U UUID] [-L LABEL] [-d DIR] [-q] IMAGE
 *
 * -s SIZE   create or resize IMAGE to SIZE bytes first (suffixes K, M, G; a multiple of 4 KiB),
 *           zero-filled, so the whole image is reproducible; without -s the existing size is
 *           used and blocks OFS does not write keep their old contents.
 * -U UUID   the filesystem UUID (8-4-4-4-12 hex). Default: derived from the size and label,
 *           so the same command always writes the same bytes.
 * -L LABEL  up to 32 bytes.
 * -d DIR    copy DIR's tree in (regular files, directories, symlinks, hard links; modes kept,
 *           owner root:root, names in byte order), like mke2fs -d.
 * Timestamps (the root directory's, mkfs_time) are SOURCE_DATE_EPOCH if set, else 0: the
 * output never depends on the clock. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ofs_host.h"
#include "crc32.h"

static void usage(void)
{
    fprintf(stderr, "usage: mkfs.ofs [-s SIZE] [-U UUID] [-L LABEL] [-d DIR] [-q] IMAGE\n");
    exit(2);
}

/* ---- -d DIR ---- */

static int64_t fixed_time;

static void fixed_now(void *ctx, struct ofs_timespec *ts)
{
    (void)ctx;
    ts->sec = fixed_time;
    ts->nsec = 0;
}

struct hardlink {
    dev_t dev;
    ino_t ino;
    uint64_t ofs_ino;
};
static struct hardlink *links;
static size_t nlinks;

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int populate(struct ofs_fs *fs, struct ofs_inode *dir, const char *path, unsigned depth)
{
    if (depth > 64) {
        fprintf(stderr, "mkfs.ofs: %s: too deep\n", path);
        return -1;
    }
    DIR *d = opendir(path);
    if (!d) {
        perror(path);
        return -1;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        names = realloc(names, (n + 1) * sizeof(*names));
        names[n++] = strdup(de->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), cmp_names);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char *p = malloc(strlen(path) + strlen(names[i]) + 2);
        sprintf(p, "%s/%s", path, names[i]);
        struct stat st;
        size_t len = strlen(names[i]);
        struct ofs_attrs a = { .mode = 0 };
        struct ofs_inode in;
        int r = 0;
        if (lstat(p, &st) < 0) {
            perror(p);
            rc = -1;
        } else if (S_ISDIR(st.st_mode)) {
            a.mode = st.st_mode & 0177777u;
            r = ofs_mkdir(fs, dir, names[i], len, &a, &in);
            if (r == 0)
                rc = populate(fs, &in, p, depth + 1);
        } else if (S_ISLNK(st.st_mode)) {
            char target[OFS_BLOCK_SIZE];
            ssize_t tl = readlink(p, target, sizeof(target));
            if (tl <= 0 || tl >= (ssize_t)sizeof(target)) {
                fprintf(stderr, "mkfs.ofs: %s: unusable symlink\n", p);
                rc = -1;
            } else {
                r = ofs_symlink(fs, dir, names[i], len, target, (size_t)tl, &a, &in);
            }
        } else if (S_ISREG(st.st_mode)) {
            size_t k;
            for (k = 0; k < nlinks; k++)
                if (st.st_nlink > 1 && links[k].dev == st.st_dev && links[k].ino == st.st_ino)
                    break;
            if (k < nlinks) {
                in.ino = links[k].ofs_ino;
                r = ofs_link(fs, dir, names[i], len, &in);
            } else {
                a.mode = st.st_mode & 0177777u;
                r = ofs_create(fs, dir, names[i], len, &a, &in);
                int fd = r == 0 ? open(p, O_RDONLY) : -1;
                if (r == 0 && fd < 0) {
                    perror(p);
                    rc = -1;
                }
                static uint8_t buf[1 << 20];
                uint64_t off = 0;
                for (ssize_t got; fd >= 0 && (got = read(fd, buf, sizeof(buf))) > 0; off += (uint64_t)got) {
                    ssize_t w = ofs_write(fs, &in, off, buf, (size_t)got);
                    if (w != got) {
                        r = w < 0 ? (int)w : -ENOSPC;
                        break;
                    }
                }
                if (fd >= 0)
                    close(fd);
                if (r == 0 && st.st_nlink > 1) {
                    links = realloc(links, (nlinks + 1) * sizeof(*links));
                    links[nlinks++] = (struct hardlink){ st.st_dev, st.st_ino, in.ino };
                }
            }
        } else {
            fprintf(stderr, "mkfs.ofs: %s: skipped (device, FIFO or socket)\n", p);
        }
        if (r < 0) {
            fprintf(stderr, "mkfs.ofs: %s: %s\n", p, strerror(-r));
            rc = -1;
        }
        free(p);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return -1;
    uint64_t mult = 1;
    if (*end == 'K' || *end == 'k')
        mult = 1024, end++;
    else if (*end == 'M' || *end == 'm')
        mult = 1024 * 1024, end++;
    else if (*end == 'G' || *end == 'g')
        mult = 1024ull * 1024 * 1024, end++;
    if (*end || v > UINT64_MAX / mult)
        return -1;
    *out = v * mult;
    return 0;
}

static int parse_uuid(const char *s, uint8_t *u)
{
    unsigned n = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '-')
            continue;
        char hex[3] = { p[0], p[1], 0 };
        if (!p[1] || n >= OFS_UUID_LEN)
            return -1;
        char *end;
        unsigned long v = strtoul(hex, &end, 16);
        if (*end)
            return -1;
        u[n++] = (uint8_t)v;
        p++;
    }
    return n == OFS_UUID_LEN ? 0 : -1;
}

int main(int argc, char **argv)
{
    uint64_t size = 0;
    const char *uuid = NULL, *label = "", *srcdir = NULL;
    int quiet = 0, opt;
    while ((opt = getopt(argc, argv, "s:U:L:d:q")) != -1) {
        switch (opt) {
        case 's':
            if (parse_size(optarg, &size) < 0 || size % OFS_BLOCK_SIZE) {
                fprintf(stderr, "mkfs.ofs: bad size '%s' (a multiple of 4096)\n", optarg);
                return 2;
            }
            break;
        case 'U': uuid = optarg; break;
        case 'L': label = optarg; break;
        case 'd': srcdir = optarg; break;
        case 'q': quiet = 1; break;
        default: usage();
        }
    }
    if (optind + 1 != argc)
        usage();
    const char *path = argv[optind];
    if (strlen(label) > OFS_LABEL_LEN) {
        fprintf(stderr, "mkfs.ofs: label longer than %u bytes\n", OFS_LABEL_LEN);
        return 2;
    }
    if (size) {
        int fd = open(path, O_RDWR | O_CREAT, 0644);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) {
            perror(path);
            return 1;
        }
        if (S_ISREG(st.st_mode) && (ftruncate(fd, 0) < 0 || ftruncate(fd, (off_t)size) < 0)) {
            perror(path);
            return 1;
        }
        close(fd);
    }
    struct ofs_filedev dev;
    int r = ofs_filedev_open(&dev, path, 1);
    if (r < 0) {
        fprintf(stderr, "mkfs.ofs: %s: %s\n", path, strerror(-r));
        return 1;
    }
    struct ofs_format_params p;
    memset(&p, 0, sizeof(p));
    p.blocks = dev.nblocks;
    memcpy(p.label, label, strlen(label));
    if (uuid) {
        if (parse_uuid(uuid, p.uuid) < 0) {
            fprintf(stderr, "mkfs.ofs: bad UUID '%s'\n", uuid);
            return 2;
        }
    } else {
        /* Deterministic default: a hash of the size and label, shaped as a version-4 UUID. */
        uint8_t seed[8 + OFS_LABEL_LEN];
        ofs_put64(seed, dev.nblocks);
        memcpy(seed + 8, p.label, OFS_LABEL_LEN);
        uint32_t h = 0;
        for (int i = 0; i < 4; i++) {
            h = crc32c(h + (uint32_t)i, seed, sizeof(seed));
            ofs_put32(p.uuid + 4 * i, h);
        }
        p.uuid[6] = (uint8_t)((p.uuid[6] & 0x0f) | 0x40);
        p.uuid[8] = (uint8_t)((p.uuid[8] & 0x3f) | 0x80);
    }
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde && *sde)
        p.time.sec = strtoll(sde, NULL, 10);
    if (dev.nblocks < OFS_MIN_BLOCKS) {
        fprintf(stderr, "mkfs.ofs: %s: too small (at least %u blocks of 4 KiB)\n", path,
                OFS_MIN_BLOCKS);
        return 1;
    }
    if (dev.nblocks > OFS_MAX_BLOCKS && !quiet)
        fprintf(stderr, "mkfs.ofs: warning: using the first %llu blocks (the OFS v1 limit)\n",
                (unsigned long long)OFS_MAX_BLOCKS);
    struct ofs_io io = ofs_filedev_io(&dev);
    io.now = NULL;
    r = ofs_format(&io, &p);
    if (r < 0) {
        fprintf(stderr, "mkfs.ofs: %s: format failed: %s\n", path, strerror(-r));
        return 1;
    }
    if (srcdir) {
        fixed_time = p.time.sec;
        io.now = fixed_now;
        struct ofs_fs *fs;
        r = ofs_mount(&io, 0, &fs);
        if (r < 0) {
            fprintf(stderr, "mkfs.ofs: %s: cannot mount the new filesystem: %s\n", path,
                    strerror(-r));
            return 1;
        }
        struct ofs_inode root;
        int rc = ofs_iget(fs, OFS_ROOT_INO, &root) < 0 ? -1 : populate(fs, &root, srcdir, 0);
        r = ofs_unmount(fs);
        if (rc < 0 || r < 0) {
            fprintf(stderr, "mkfs.ofs: %s: copying %s failed\n", path, srcdir);
            return 1;
        }
    }
    ofs_filedev_close(&dev);
    if (!quiet)
        printf("mkfs.ofs: %s: %llu blocks of 4096 bytes, label '%s'\n", path,
               (unsigned long long)(dev.nblocks > OFS_MAX_BLOCKS ? OFS_MAX_BLOCKS : dev.nblocks),
               label);
    return 0;
}
