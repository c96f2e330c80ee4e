/* vfat core: mount options, the boot sector (BIOS parameter block) of FAT12/16/32 as the
 * Microsoft FAT specification defines it (the FAT type follows from the count of clusters
 * alone), the FAT itself and cluster chains. */
#include "fat.h"
#include "mount_opts.h"
#include "kernel.h"
#include "kprintf.h"
#include "ratelimit.h"
#include "mm.h"
#include "string.h"

int fat_error(struct fat_fs *fs, uint64_t ino, const char *fmt, ...)
{
    (void)fs;
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (ino)
        pr_err_ratelimited("vfat: error: entry at %llu: %s\n", (unsigned long long)ino, msg);
    else
        pr_err_ratelimited("vfat: error: %s\n", msg);
    return -EIO;
}

int fat_read_bytes(struct fat_fs *fs, uint64_t off, void *buf, size_t len)
{
    if (off > fs->limit || len > fs->limit - off)
        return -EIO;
    return fs->io.read(fs->io.ctx, off, buf, len);
}

uint64_t fat_cluster_off(const struct fat_fs *fs, uint32_t cl)
{
    return fs->data_start + (uint64_t)(cl - 2) * fs->cluster_size;
}

int fat_next(struct fat_fs *fs, uint32_t cl, uint32_t *next)
{
    uint8_t b[4] = { 0 };
    uint32_t v;
    int err;
    if (fs->bits == 12) {
        err = fat_read_bytes(fs, fs->fat_start + cl + cl / 2, b, 2);
        v = get_le16(b);
        v = (cl & 1) ? v >> 4 : v & 0xfff;
        if (v >= 0xff8)
            v = 0x0ffffff8;
        else if (v == 0xff7)
            v = 0x0ffffff7;
    } else if (fs->bits == 16) {
        err = fat_read_bytes(fs, fs->fat_start + (uint64_t)cl * 2, b, 2);
        v = get_le16(b);
        if (v >= 0xfff8)
            v = 0x0ffffff8;
        else if (v == 0xfff7)
            v = 0x0ffffff7;
    } else {
        err = fat_read_bytes(fs, fs->fat_start + (uint64_t)cl * 4, b, 4);
        v = get_le32(b) & 0x0fffffff;
    }
    if (err)
        return fat_error(fs, 0, "cannot read the FAT entry of cluster %u", (unsigned)cl);
    if (v >= 0x0ffffff8) {
        *next = 0;
        return 0;
    }
    if (v == 0x0ffffff7)
        return fat_error(fs, 0, "chain runs into bad cluster after %u", (unsigned)cl);
    if (v < 2 || v > fs->nclusters + 1)
        return fat_error(fs, 0, "cluster %u links to %u, outside the data area", (unsigned)cl,
                         (unsigned)v);
    *next = v;
    return 0;
}

/* Brent's algorithm: the tortoise jumps to the hare at each power of two, so a loop is met
 * within a few times its own length past its start; the volume's cluster count bounds the
 * rest. */
int fat_chain_len(struct fat_fs *fs, uint64_t ino, uint32_t start, uint32_t *len)
{
    *len = 0;
    if (start == 0)
        return 0;
    if (start < 2 || start > fs->nclusters + 1)
        return fat_error(fs, ino, "first cluster %u outside the data area", (unsigned)start);
    uint32_t tortoise = start, hare = start, power = 1, lam = 0, count = 1;
    for (;;) {
        uint32_t next;
        int err = fat_next(fs, hare, &next);
        if (err)
            return err;
        if (!next)
            break;
        hare = next;
        if (hare == tortoise || ++count > fs->nclusters)
            return fat_error(fs, ino, "cluster chain from %u loops", (unsigned)start);
        if (++lam == power) {
            tortoise = hare;
            power *= 2;
            lam = 0;
        }
    }
    *len = count;
    return 0;
}

/* ---- Options ---- */

static bool is(const char *s, const char *what) { return s && !strcmp(s, what); }

int fat_parse_options(const char *data, struct fat_options *o)
{
    *o = (struct fat_options){ .fmask = 022, .dmask = 022 };
    struct mount_opts it;
    char *opt, *val;
    int more;
    mount_opts_init(&it, data);
    while ((more = mount_opts_next(&it, &opt, &val)) > 0) {
        /* What we do anyway. */
        if ((!val && (is(opt, "ro") || is(opt, "utf8"))) ||
            (is(opt, "iocharset") && is(val, "utf8")) || (is(opt, "utf8") && is(val, "1")))
            continue;
        int err = -EINVAL;
        uint32_t m;
        if (val && !strcmp(opt, "uid"))
            err = mount_opt_u32(val, 10, &o->uid);
        else if (val && !strcmp(opt, "gid"))
            err = mount_opt_u32(val, 10, &o->gid);
        else if (val && !strcmp(opt, "umask") && !(err = mount_opt_u32(val, 8, &m)))
            o->fmask = o->dmask = m & 0777;
        else if (val && !strcmp(opt, "fmask") && !(err = mount_opt_u32(val, 8, &m)))
            o->fmask = m & 0777;
        else if (val && !strcmp(opt, "dmask") && !(err = mount_opt_u32(val, 8, &m)))
            o->dmask = m & 0777;
        if (err) {
            pr_err("vfat: bad mount option '%s'\n", opt);
            return -EINVAL;
        }
    }
    return more;
}

/* ---- The boot sector ---- */

static bool pow2(uint32_t v) { return v && !(v & (v - 1)); }

static void bpb_label(struct fat_fs *fs, const uint8_t *bs, unsigned sig_off)
{
    if (bs[sig_off] != 0x29)
        return;
    const uint8_t *l = bs + sig_off + 5;
    size_t n = 11;
    while (n && (l[n - 1] == ' ' || l[n - 1] == 0))
        n--;
    if (n == 7 && !memcmp(l, "NO NAME", 7))
        return;
    for (size_t i = 0; i < n; i++)
        if (l[i] < 0x20 || l[i] == '/' || l[i] >= 0x7f)
            return;
    memcpy(fs->label, l, n);
    fs->label[n] = 0;
}

int fat_mount(const struct byte_io *io, const struct fat_options *opt, struct fat_fs **out)
{
    struct fat_fs *fs = kzalloc(sizeof(*fs));
    uint8_t *bs = kmalloc(512);
    int err = -ENOMEM;
    if (!fs || !bs)
        goto fail;
    fs->io = *io;
    if (opt)
        fs->opt = *opt;
    else
        fat_parse_options(NULL, &fs->opt);
    fs->limit = io->dev_size ? io->dev_size : UINT64_MAX;
    err = -EINVAL;                    /* anything unlike a FAT boot sector: not ours, silently */
    if (fat_read_bytes(fs, 0, bs, 512))
        goto fail;
    uint32_t bps = get_le16(bs + 11), spc = bs[13], reserved = get_le16(bs + 14);
    uint32_t nfats = bs[16], root_entries = get_le16(bs + 17);
    uint32_t total = get_le16(bs + 19), fatsz = get_le16(bs + 22);
    uint8_t media = bs[21];
    if (!total)
        total = get_le32(bs + 32);
    bool fat32_layout = fatsz == 0;
    if (fat32_layout)
        fatsz = get_le32(bs + 36);
    if ((bs[0] != 0xeb && bs[0] != 0xe9) || !pow2(bps) || bps < 512 || bps > 4096 ||
        !pow2(spc) || spc > 128 || reserved == 0 || nfats == 0 || nfats > 4 ||
        (media < 0xf8 && media != 0xf0) || fatsz == 0 || total == 0)
        goto fail;
    fs->sector_size = bps;
    fs->cluster_size = bps * spc;
    fs->fat_start = (uint64_t)reserved * bps;
    fs->root_entries = root_entries;
    fs->root_start = fs->fat_start + (uint64_t)nfats * fatsz * bps;
    uint64_t root_sectors = ((uint64_t)root_entries * FAT_DE_SIZE + bps - 1) / bps;
    uint64_t data_sector = (uint64_t)reserved + (uint64_t)nfats * fatsz + root_sectors;
    if (data_sector >= total)
        goto fail;
    fs->data_start = data_sector * bps;
    uint64_t clusters = (total - data_sector) / spc;
    fs->bits = clusters < 4085 ? 12 : clusters < 65525 ? 16 : 32;
    if ((fs->bits == 32) != fat32_layout || (fs->bits == 32 && root_entries != 0) ||
        (fs->bits != 32 && root_entries == 0) || clusters > 0x0ffffff5 || clusters == 0)
        goto fail;
    /* A FAT too small for the clusters: the clusters it cannot describe do not exist. */
    uint64_t fat_entries = (uint64_t)fatsz * bps * 8 / fs->bits;
    if (fat_entries < 3)
        goto fail;
    fs->nclusters = (uint32_t)MIN(clusters, fat_entries - 2);
    fs->total_bytes = (uint64_t)total * bps;
    fs->limit = MIN(fs->limit, fs->total_bytes);
    if (fs->bits == 32) {
        fs->root_cluster = get_le32(bs + 44);
        if (fs->root_cluster < 2 || fs->root_cluster > fs->nclusters + 1) {
            err = fat_error(fs, 0, "root cluster %u outside the data area",
                            (unsigned)fs->root_cluster);
            goto fail;
        }
        bpb_label(fs, bs, 66);
    } else {
        bpb_label(fs, bs, 38);
    }
    if (fs->data_start >= fs->limit) {
        err = fat_error(fs, 0, "device smaller than the FAT and root directory");
        goto fail;
    }
    if ((err = fat_read_root_label(fs)))
        goto fail;
    kfree(bs);
    *out = fs;
    return 0;
fail:
    kfree(bs);
    kfree(fs);
    return err;
}

void fat_unmount(struct fat_fs *fs)
{
    kfree(fs);
}
