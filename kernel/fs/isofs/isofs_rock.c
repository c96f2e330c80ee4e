/* iso9660 core: the System Use Sharing Protocol (SUSP 1.12) and the Rock Ridge entries in it
 * (RRIP 1.12: PX, PN, NM, SL, TF, CL, RE) of one directory record, with CE continuation
 * areas. Each entry is length-checked against its area before a byte of it is used; a
 * malformed entry ends the area, as in Linux. */
#include "isofs.h"
#include "kernel.h"
#include "mm.h"
#include "string.h"

#define CE_MAX 32u                    /* continuation areas followed per record */

#define SIG(a, b) ((uint16_t)((a) << 8 | (b)))

struct rr_state {
    struct iso_rr *rr;
    char *link;
    size_t link_size, link_len;
    bool need_slash, link_overflow;
    bool stop;                        /* ST */
    bool ce_pending;
    uint32_t ce_block, ce_off, ce_len;
};

size_t iso_su_start(const struct iso_fs *fs, const uint8_t *rec, size_t rec_len)
{
    size_t nl = rec[ISO_DR_NAME_LEN];
    size_t start = ISO_DR_NAME + nl + !(nl & 1) + fs->susp_skip;
    return start + 4 <= rec_len ? start : 0;
}

static void link_add(struct rr_state *st, const char *s, size_t n)
{
    if (!st->link)
        return;
    if (st->link_len + n >= st->link_size) {
        st->link_overflow = true;
        return;
    }
    memcpy(st->link + st->link_len, s, n);
    st->link_len += n;
}

static void parse_sl(struct rr_state *st, const uint8_t *e, size_t len)
{
    st->rr->is_link = true;
    size_t p = 5;
    while (p + 2 <= len) {
        uint8_t cflags = e[p], clen = e[p + 1];
        if (p + 2 + clen > len)
            break;                    /* a component past its entry */
        if (st->need_slash)
            link_add(st, "/", 1);
        bool root = false;
        switch (cflags & ~1u) {
        case 0x00: link_add(st, (const char *)e + p + 2, clen); break;
        case 0x02: link_add(st, ".", 1); break;
        case 0x04: link_add(st, "..", 2); break;
        case 0x08: link_add(st, "/", 1); root = true; break;
        default: break;               /* volume root, host name: nothing portable */
        }
        st->need_slash = !root && !(cflags & 1);
        p += 2 + (size_t)clen;
    }
}

static void parse_nm(struct rr_state *st, const uint8_t *e, size_t len)
{
    struct iso_rr *rr = st->rr;
    uint8_t flags = e[4];
    rr->rock_seen = true;
    if (flags & 0x02) {
        rr->name_dot = true;
        return;
    }
    if (flags & 0x04) {
        rr->name_dotdot = true;
        return;
    }
    size_t n = len - 5;
    if (rr->name_len + n > ISO_NAME_MAX) {
        rr->name_bad = true;
        return;
    }
    memcpy(rr->name + rr->name_len, e + 5, n);
    rr->name_len += n;
    rr->name[rr->name_len] = 0;
}

static void parse_tf(struct iso_rr *rr, const uint8_t *e, size_t len)
{
    uint8_t flags = e[4];
    size_t sz = (flags & 0x80) ? 17 : 7, p = 5;
    for (unsigned bit = 0; bit < 7; bit++) {
        if (!(flags & (1u << bit)))
            continue;
        if (p + sz > len)
            break;
        int64_t t = sz == 17 ? iso_date17(e + p) : iso_date7(e + p);
        if (bit == 1)
            rr->mtime = t;
        else if (bit == 2)
            rr->atime = t;
        else if (bit == 3)
            rr->ctime = t;
        p += sz;
    }
    rr->has_tf = true;
}

/* One SUSP area: entries until its end, ST, or a malformed one. */
static void parse_area(struct iso_fs *fs, struct rr_state *st, const uint8_t *a, size_t n)
{
    struct iso_rr *rr = st->rr;
    size_t p = 0;
    while (p + 4 <= n && !st->stop) {
        const uint8_t *e = a + p;
        size_t len = e[2];
        if (len < 4 || len > n - p)
            break;
        switch (SIG(e[0], e[1])) {
        case SIG('C', 'E'):
            if (len >= 28) {
                st->ce_pending = true;
                st->ce_block = get_le32(e + 4);
                st->ce_off = get_le32(e + 12);
                st->ce_len = get_le32(e + 20);
            }
            break;
        case SIG('S', 'T'):
            st->stop = true;
            break;
        case SIG('E', 'R'):
        case SIG('R', 'R'):
            rr->rock_seen = true;
            break;
        case SIG('P', 'X'):
            if (len >= 36) {
                rr->rock_seen = rr->has_px = true;
                rr->mode = get_le32(e + 4);
                rr->nlink = get_le32(e + 12);
                rr->uid = get_le32(e + 20);
                rr->gid = get_le32(e + 28);
            }
            break;
        case SIG('P', 'N'):
            if (len >= 20) {
                rr->has_pn = true;
                rr->dev_high = get_le32(e + 4);
                rr->dev_low = get_le32(e + 12);
            }
            break;
        case SIG('N', 'M'):
            if (len >= 5)
                parse_nm(st, e, len);
            break;
        case SIG('S', 'L'):
            if (len >= 5)
                parse_sl(st, e, len);
            break;
        case SIG('T', 'F'):
            if (len >= 5)
                parse_tf(rr, e, len);
            break;
        case SIG('C', 'L'):
            if (len >= 12) {
                rr->has_cl = true;
                rr->cl_block = get_le32(e + 4);
            }
            break;
        case SIG('R', 'E'):
            rr->relocated = true;
            break;
        default:
            break;                    /* SP, PD, AA, ZF, ...: nothing we use */
        }
        p += len;
    }
    (void)fs;
}

int iso_rr_parse(struct iso_fs *fs, const uint8_t *rec, size_t rec_len, struct iso_rr *rr,
                 char *link, size_t link_size)
{
    memset(rr, 0, sizeof(*rr));
    struct rr_state st = { .rr = rr, .link = link, .link_size = link_size };
    if (link && link_size)
        link[0] = 0;
    size_t start = iso_su_start(fs, rec, rec_len);
    if (start)
        parse_area(fs, &st, rec + start, rec_len - start);
    uint8_t *buf = NULL;
    int err = 0;
    for (unsigned hops = 0; st.ce_pending && !st.stop; hops++) {
        st.ce_pending = false;
        uint64_t off = (uint64_t)st.ce_block * fs->block_size + st.ce_off;
        if (hops >= CE_MAX || st.ce_off >= fs->block_size || st.ce_len == 0 ||
            st.ce_len > fs->block_size - st.ce_off || off >= fs->limit) {
            err = iso_error(fs, 0, "bad SUSP continuation area (block %u offset %u length %u)",
                            (unsigned)st.ce_block, (unsigned)st.ce_off, (unsigned)st.ce_len);
            break;
        }
        if (!buf && !(buf = kmalloc(fs->block_size))) {
            err = -ENOMEM;
            break;
        }
        err = iso_read_bytes(fs, off, buf, st.ce_len);
        if (err)
            break;
        parse_area(fs, &st, buf, st.ce_len);
    }
    kfree(buf);
    if (err)
        return err;
    if (link && link_size)
        link[st.link_len] = 0;
    if (st.link_overflow)
        return -ENAMETOOLONG;
    return 0;
}
