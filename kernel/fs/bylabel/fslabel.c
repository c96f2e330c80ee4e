/* Filesystem labels (see fslabel.h): ext2's superblock, then iso9660, then vfat, each
 * recognised only by what would also mount. */
#include "fslabel.h"
#include "errno.h"
#include "kernel.h"
#include "string.h"
#include "kprintf.h"
#include "../isofs/isofs.h"
#include "../fat/fat.h"

#define EXT2_SB_OFF 1024u
#define EXT2_MAGIC_OFF 56u
#define EXT2_VOLNAME_OFF 120u

static void set_label(struct fslabel *out, const char *type, const char *label, size_t n)
{
    out->type = type;
    n = MIN(n, sizeof(out->label) - 1);
    memcpy(out->label, label, n);
    out->label[n] = 0;
}

static bool probe_ext2(const struct byte_io *io, struct fslabel *out)
{
    uint8_t sb[EXT2_VOLNAME_OFF + 16];
    if (io->dev_size < EXT2_SB_OFF + 1024 || io->read(io->ctx, EXT2_SB_OFF, sb, sizeof sb))
        return false;
    if (sb[EXT2_MAGIC_OFF] != 0x53 || sb[EXT2_MAGIC_OFF + 1] != 0xef)
        return false;
    const char *name = (const char *)sb + EXT2_VOLNAME_OFF;
    set_label(out, "ext2", name, strnlen(name, 16));
    return true;
}

static bool probe_iso(const struct byte_io *io, struct fslabel *out)
{
    struct iso_options opt;
    struct iso_fs *fs;
    iso_parse_options(NULL, &opt);
    if (iso_mount(io, &opt, &fs))
        return false;
    set_label(out, "iso9660", fs->label, strlen(fs->label));
    iso_unmount(fs);
    return true;
}

static bool probe_fat(const struct byte_io *io, struct fslabel *out)
{
    struct fat_options opt;
    struct fat_fs *fs;
    fat_parse_options(NULL, &opt);
    if (fat_mount(io, &opt, &fs))
        return false;
    set_label(out, "vfat", fs->label, strlen(fs->label));
    fat_unmount(fs);
    return true;
}

int fslabel_probe(const struct byte_io *io, struct fslabel *out)
{
    out->type = NULL;
    out->label[0] = 0;
    if (probe_ext2(io, out) || probe_iso(io, out) || probe_fat(io, out))
        return 0;
    return 0;
}

static bool plain(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("#+-.:=@_", c) != NULL;
}

size_t fslabel_devname(const char *label, char *out, size_t size)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    if (!label[0] || !strcmp(label, ".") || !strcmp(label, ".."))
        return 0;
    for (const char *p = label; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c && plain((char)c)) {
            if (o + 2 > size)
                return 0;
            out[o++] = (char)c;
        } else {
            if (o + 5 > size)
                return 0;
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = 0;
    return o;
}
