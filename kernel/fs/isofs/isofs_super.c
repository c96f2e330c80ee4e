/* iso9660 core: mount options, the volume descriptors (ECMA-119 8; Joliet's supplementary
 * descriptor), the shared record and date helpers. */
#include "isofs.h"
#include "rtc_lib.h"
#include "mount_opts.h"
#include "kernel.h"
#include "kprintf.h"
#include "ratelimit.h"
#include "mm.h"
#include "string.h"

#define VD_START 16u                  /* the descriptor set starts at logical sector 16 */
#define VD_MAX 64u                    /* descriptors we look at before giving up */
#define VD_PRIMARY 1
#define VD_SUPPLEMENTARY 2
#define VD_TERMINATOR 255

int iso_error(struct iso_fs *fs, uint64_t ino, const char *fmt, ...)
{
    (void)fs;
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (ino)
        pr_err_ratelimited("isofs: error: record at %llu: %s\n", (unsigned long long)ino, msg);
    else
        pr_err_ratelimited("isofs: error: %s\n", msg);
    return -EIO;
}

static int64_t to_epoch(int64_t year, unsigned mon, unsigned day, unsigned h, unsigned mi,
                        unsigned s, int8_t gmtoff)
{
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || h > 23 || mi > 59 || s > 60)
        return 0;                     /* unset or nonsense: the epoch, as Linux */
    int64_t t = days_from_civil(year, (int)mon, (int)day) * 86400 + h * 3600 + mi * 60 + s;
    if (gmtoff >= -52 && gmtoff <= 52)
        t -= (int64_t)gmtoff * 15 * 60;
    return t;
}

int64_t iso_date7(const uint8_t *p)
{
    return to_epoch(1900 + p[0], p[1], p[2], p[3], p[4], p[5], (int8_t)p[6]);
}

static unsigned digits(const uint8_t *p, unsigned n)
{
    unsigned v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v * 10 + (p[i] >= '0' && p[i] <= '9' ? (unsigned)(p[i] - '0') : 0);
    return v;
}

int64_t iso_date17(const uint8_t *p)
{
    return to_epoch(digits(p, 4), digits(p + 4, 2), digits(p + 6, 2), digits(p + 8, 2),
                    digits(p + 10, 2), digits(p + 12, 2), (int8_t)p[16]);
}

int iso_read_bytes(struct iso_fs *fs, uint64_t off, void *buf, size_t len)
{
    if (off > fs->limit || len > fs->limit - off)
        return -EIO;
    return fs->io.read(fs->io.ctx, off, buf, len);
}

int iso_read_record(struct iso_fs *fs, uint64_t off, uint8_t rec[255])
{
    size_t room = ISO_SECTOR - (size_t)(off % ISO_SECTOR);
    size_t want = MIN(room, (size_t)255);
    if (off >= fs->limit)
        return iso_error(fs, off, "record past the end of the volume");
    want = (size_t)MIN((uint64_t)want, fs->limit - off);
    int err = iso_read_bytes(fs, off, rec, want);
    if (err)
        return err;
    size_t len = rec[ISO_DR_LEN];
    if (len < ISO_DR_MIN || len > want || ISO_DR_NAME + (size_t)rec[ISO_DR_NAME_LEN] > len ||
        rec[ISO_DR_NAME_LEN] == 0)
        return iso_error(fs, off, "bad directory record length %zu", len);
    return (int)len;
}

/* ---- Options ---- */

int iso_parse_options(const char *data, struct iso_options *o)
{
    *o = (struct iso_options){ .fmode = 0555, .dmode = 0555 };
    struct mount_opts it;
    char *opt, *val;
    int more;
    mount_opts_init(&it, data);
    while ((more = mount_opts_next(&it, &opt, &val)) > 0) {
        if (!val && !strcmp(opt, "ro"))
            continue;
        int err = 0;
        if (!strcmp(opt, "norock") && !val)
            o->norock = true;
        else if (!strcmp(opt, "nojoliet") && !val)
            o->nojoliet = true;
        else if (!strcmp(opt, "uid") && val)
            err = mount_opt_u32(val, 10, &o->uid);
        else if (!strcmp(opt, "gid") && val)
            err = mount_opt_u32(val, 10, &o->gid);
        else if (!strcmp(opt, "mode") && val)
            err = mount_opt_u32(val, 8, &o->fmode);
        else if (!strcmp(opt, "dmode") && val)
            err = mount_opt_u32(val, 8, &o->dmode);
        else
            err = -EINVAL;
        if (err) {
            pr_err("isofs: bad mount option '%s'\n", opt);
            return -EINVAL;
        }
        o->fmode &= 07777;
        o->dmode &= 07777;
    }
    return more;
}

/* ---- Volume descriptors ---- */

/* Joliet: a supplementary descriptor whose escape sequences name UCS-2 level 1, 2 or 3. */
static bool is_joliet(const uint8_t *vd)
{
    const uint8_t *esc = vd + 88;
    return esc[0] == '%' && esc[1] == '/' && (esc[2] == '@' || esc[2] == 'C' || esc[2] == 'E');
}

/* Look at the root's "." record of the primary tree for SUSP's SP and a Rock Ridge marker
 * (ER, or RRIP 1.09's RR, or any PX/NM). */
static void detect_rock(struct iso_fs *fs, uint64_t root_dot)
{
    uint8_t rec[255];
    int len = iso_read_record(fs, root_dot, rec);
    if (len < 0)
        return;
    size_t su = ISO_DR_NAME + rec[ISO_DR_NAME_LEN] + !(rec[ISO_DR_NAME_LEN] & 1);
    if (su + 7 > (size_t)len)
        return;
    const uint8_t *sp = rec + su;
    if (sp[0] != 'S' || sp[1] != 'P' || sp[2] < 7 || sp[4] != 0xbe || sp[5] != 0xef)
        return;
    fs->susp_skip = sp[6];
    struct iso_rr *rr = kzalloc(sizeof(*rr));
    if (!rr)
        return;
    if (iso_rr_parse(fs, rec, (size_t)len, rr, NULL, 0) == 0 && rr->rock_seen)
        fs->has_rock = true;
    kfree(rr);
}

int iso_mount(const struct byte_io *io, const struct iso_options *opt, struct iso_fs **out)
{
    struct iso_fs *fs = kzalloc(sizeof(*fs));
    uint8_t *vd = kmalloc(ISO_SECTOR);
    uint8_t *pvd = kmalloc(ISO_SECTOR);
    int err = -ENOMEM;
    if (!fs || !vd || !pvd)
        goto fail;
    fs->io = *io;
    if (opt)
        fs->opt = *opt;
    else
        iso_parse_options(NULL, &fs->opt);
    fs->limit = io->dev_size ? io->dev_size : UINT64_MAX;
    bool have_pvd = false, have_joliet = false;
    uint8_t joliet_root[34];
    err = -EINVAL;
    for (uint32_t i = 0; i < VD_MAX; i++) {
        uint64_t off = (uint64_t)(VD_START + i) * ISO_SECTOR;
        int e = iso_read_bytes(fs, off, vd, ISO_SECTOR);
        if (e) {
            err = have_pvd ? -EIO : -EINVAL;
            break;
        }
        if (memcmp(vd + 1, "CD001", 5) != 0)
            break;                    /* not (or no longer) a descriptor set */
        if (vd[0] == VD_TERMINATOR) {
            err = 0;
            break;
        }
        if (vd[0] == VD_PRIMARY && !have_pvd) {
            memcpy(pvd, vd, ISO_SECTOR);
            have_pvd = true;
        } else if (vd[0] == VD_SUPPLEMENTARY && is_joliet(vd) && !have_joliet) {
            memcpy(joliet_root, vd + 156, sizeof joliet_root);
            have_joliet = true;
        }
    }
    if (!have_pvd) {
        err = -EINVAL;                /* silently: mount tries every type */
        goto fail;
    }
    if (err == -EINVAL)
        err = 0;                      /* no terminator within VD_MAX: use what we found */
    if (err)
        goto fail;
    err = -EIO;
    uint32_t bs = get_le16(pvd + 128);
    if (bs != 512 && bs != 1024 && bs != 2048) {
        iso_error(fs, 0, "logical block size %u", (unsigned)bs);
        goto fail;
    }
    fs->block_size = bs;
    fs->volume_blocks = get_le32(pvd + 80);
    uint64_t vol_bytes = fs->volume_blocks * bs;
    if (vol_bytes < (uint64_t)(VD_START + 1) * ISO_SECTOR) {
        iso_error(fs, 0, "volume space size %llu blocks", (unsigned long long)fs->volume_blocks);
        goto fail;
    }
    /* A volume larger than its device is truncated: read what there is, refuse the rest. */
    fs->limit = MIN(fs->limit, vol_bytes);
    size_t n = 32;
    while (n && (pvd[40 + n - 1] == ' ' || pvd[40 + n - 1] == 0))
        n--;
    memcpy(fs->label, pvd + 40, n);
    fs->label[n] = 0;
    fs->has_joliet = have_joliet;

    const uint8_t *root = pvd + 156;
    if (root[0] < ISO_DR_MIN || !(root[ISO_DR_FLAGS] & ISO_FLAG_DIR)) {
        iso_error(fs, 0, "bad root directory record");
        goto fail;
    }
    uint64_t primary_root = (uint64_t)(get_le32(root + ISO_DR_EXTENT) + root[ISO_DR_EXT_ATTR_LEN]) * bs;
    detect_rock(fs, primary_root);
    if (fs->has_rock && !fs->opt.norock) {
        fs->names = ISO_NAMES_ROCK;
        fs->root_ino = primary_root;
    } else if (have_joliet && !fs->opt.nojoliet && joliet_root[0] >= ISO_DR_MIN &&
               (joliet_root[ISO_DR_FLAGS] & ISO_FLAG_DIR)) {
        fs->names = ISO_NAMES_JOLIET;
        fs->root_ino = (uint64_t)(get_le32(joliet_root + ISO_DR_EXTENT) +
                                  joliet_root[ISO_DR_EXT_ATTR_LEN]) * bs;
    } else {
        fs->names = ISO_NAMES_PLAIN;
        fs->root_ino = primary_root;
    }
    if (fs->root_ino == 0 || fs->root_ino >= fs->limit) {
        iso_error(fs, 0, "root directory past the end of the volume");
        goto fail;
    }
    kfree(vd);
    kfree(pvd);
    *out = fs;
    return 0;
fail:
    kfree(vd);
    kfree(pvd);
    kfree(fs);
    return err;
}

void iso_unmount(struct iso_fs *fs)
{
    kfree(fs);
}
