/* GUID Partition Table parser (see gpt.h). Every on-disk number is treated as hostile: all
 * arithmetic on it is overflow-checked before use. */
#include "gpt.h"
#include "crc32.h"
#include "errno.h"
#include "byteorder.h"

/* On-disk header offsets (UEFI 2.x table 5-5). */
#define H_SIGNATURE 0
#define H_REVISION 8
#define H_HEADER_SIZE 12
#define H_HEADER_CRC 16
#define H_RESERVED 20
#define H_MY_LBA 24
#define H_ALTERNATE_LBA 32
#define H_FIRST_USABLE 40
#define H_LAST_USABLE 48
#define H_DISK_GUID 56
#define H_ENTRIES_LBA 72
#define H_NUM_ENTRIES 80
#define H_ENTRY_SIZE 84
#define H_ENTRIES_CRC 88

/* On-disk entry offsets (table 5-6). */
#define E_TYPE 0
#define E_UUID 16
#define E_FIRST 32
#define E_LAST 40
#define E_ATTRS 48
#define E_NAME 56

static void copy_bytes(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    while (n--)
        *d++ = *s++;
}

static bool is_pow2(uint32_t x) { return x && !(x & (x - 1)); }

/* [a0, a1] and [b0, b1] (inclusive) share a sector. */
static bool ranges_overlap(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
    return a0 <= b1 && b0 <= a1;
}

size_t gpt_entries_bytes(const struct gpt_header *h)
{
    return (size_t)h->num_entries * h->entry_size;
}

uint64_t gpt_entries_sectors(const struct gpt_header *h, uint32_t sector_size)
{
    uint64_t bytes = (uint64_t)h->num_entries * h->entry_size;
    return (bytes + sector_size - 1) / sector_size;
}

int gpt_parse_header(const void *buf, uint32_t sector_size, uint64_t lba, uint64_t disk_sectors,
                     struct gpt_header *out)
{
    const uint8_t *p = buf;
    static const char sig[8] = GPT_SIGNATURE;

    for (unsigned i = 0; i < 8; i++)
        if (p[H_SIGNATURE + i] != (uint8_t)sig[i])
            return -ENOENT;
    if (!is_pow2(sector_size) || sector_size < 512)
        return -EINVAL;
    /* Smallest disk that can hold a pMBR, two headers and one usable sector. */
    if (disk_sectors < 4 || lba >= disk_sectors)
        return -EINVAL;

    struct gpt_header h;
    h.revision = get_le32(p + H_REVISION);
    h.header_size = get_le32(p + H_HEADER_SIZE);
    if ((h.revision >> 16) != 1)
        return -EINVAL;
    if (h.header_size < GPT_HEADER_MIN_SIZE || h.header_size > sector_size)
        return -EINVAL;

    /* The CRC covers header_size bytes with its own field read as zero. */
    static const uint8_t zero[4];
    uint32_t crc = crc32(0, p, H_HEADER_CRC);
    crc = crc32(crc, zero, sizeof zero);
    crc = crc32(crc, p + H_RESERVED, h.header_size - H_RESERVED);
    if (crc != get_le32(p + H_HEADER_CRC))
        return -EINVAL;

    h.my_lba = get_le64(p + H_MY_LBA);
    h.alternate_lba = get_le64(p + H_ALTERNATE_LBA);
    h.first_usable = get_le64(p + H_FIRST_USABLE);
    h.last_usable = get_le64(p + H_LAST_USABLE);
    copy_bytes(h.disk_guid.b, p + H_DISK_GUID, 16);
    h.entries_lba = get_le64(p + H_ENTRIES_LBA);
    h.num_entries = get_le32(p + H_NUM_ENTRIES);
    h.entry_size = get_le32(p + H_ENTRY_SIZE);
    h.entries_crc = get_le32(p + H_ENTRIES_CRC);

    /* A header copied from elsewhere (or from the other copy) names another location. */
    if (h.my_lba != lba)
        return -EINVAL;
    if (h.alternate_lba == h.my_lba || h.alternate_lba == 0 || h.alternate_lba >= disk_sectors)
        return -EINVAL;
    if (h.first_usable > h.last_usable || h.last_usable >= disk_sectors || h.first_usable < 2)
        return -EINVAL;
    /* Neither header may sit in the usable range. */
    if (ranges_overlap(h.first_usable, h.last_usable, h.my_lba, h.my_lba) ||
        ranges_overlap(h.first_usable, h.last_usable, h.alternate_lba, h.alternate_lba))
        return -EINVAL;

    if (h.entry_size < GPT_ENTRY_MIN_SIZE || h.entry_size > GPT_ENTRY_MAX_SIZE ||
        h.entry_size % GPT_ENTRY_MIN_SIZE)
        return -EINVAL;
    /* Both factors are bounded (entry_size above, num_entries is 32-bit): no overflow. */
    uint64_t array_bytes = (uint64_t)h.num_entries * h.entry_size;
    if (array_bytes > GPT_MAX_ARRAY_BYTES)
        return -EINVAL;
    if (h.num_entries > 0) {
        uint64_t nsect = gpt_entries_sectors(&h, sector_size);
        if (h.entries_lba < 2 || h.entries_lba >= disk_sectors ||
            nsect > disk_sectors - h.entries_lba)
            return -EINVAL;
        uint64_t last = h.entries_lba + nsect - 1;
        if (ranges_overlap(h.entries_lba, last, h.first_usable, h.last_usable) ||
            ranges_overlap(h.entries_lba, last, h.my_lba, h.my_lba) ||
            ranges_overlap(h.entries_lba, last, h.alternate_lba, h.alternate_lba))
            return -EINVAL;
    }
    *out = h;
    return 0;
}

static bool entry_used(const uint8_t *e)
{
    for (unsigned i = 0; i < 16; i++)
        if (e[E_TYPE + i])
            return true;
    return false;
}

int gpt_check_entries(const struct gpt_header *h, const void *entries, size_t len)
{
    size_t bytes = gpt_entries_bytes(h);
    const uint8_t *base = entries;

    if (len < bytes || h->entry_size < GPT_ENTRY_MIN_SIZE)
        return -EINVAL;
    if (crc32(0, entries, bytes) != h->entries_crc)
        return -EINVAL;

    int used = 0;
    for (uint32_t i = 0; i < h->num_entries; i++) {
        const uint8_t *e = base + (size_t)i * h->entry_size;
        if (!entry_used(e))
            continue;
        uint64_t first = get_le64(e + E_FIRST), last = get_le64(e + E_LAST);
        if (first > last || first < h->first_usable || last > h->last_usable)
            return -EINVAL;
        /* Quadratic, but only in used entries, and the array is at most 1 MiB. */
        for (uint32_t j = 0; j < i; j++) {
            const uint8_t *o = base + (size_t)j * h->entry_size;
            if (entry_used(o) &&
                ranges_overlap(first, last, get_le64(o + E_FIRST), get_le64(o + E_LAST)))
                return -EINVAL;
        }
        used++;
    }
    return used;
}

/* UTF-16LE to ASCII: stop at the first NUL; anything outside printable ASCII becomes '?'
 * (a surrogate pair is one character, so it becomes one '?'). */
static void decode_name(const uint8_t *p, char *out)
{
    unsigned n = 0;
    for (unsigned i = 0; i < GPT_NAME_UNITS; i++) {
        uint16_t c = (uint16_t)(p[2 * i] | p[2 * i + 1] << 8);
        if (c == 0)
            break;
        if (c >= 0xdc00 && c <= 0xdfff)     /* low surrogate: already counted */
            continue;
        out[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    out[n] = '\0';
}

int gpt_get_entry(const struct gpt_header *h, const void *entries, size_t len, unsigned index,
                  struct gpt_part *out)
{
    if (index >= h->num_entries || h->entry_size < GPT_ENTRY_MIN_SIZE ||
        (uint64_t)(index + 1) * h->entry_size > len)
        return -EINVAL;
    const uint8_t *e = (const uint8_t *)entries + (size_t)index * h->entry_size;
    if (!entry_used(e))
        return 0;
    out->number = index + 1;
    copy_bytes(out->type.b, e + E_TYPE, 16);
    copy_bytes(out->uuid.b, e + E_UUID, 16);
    out->first_lba = get_le64(e + E_FIRST);
    out->last_lba = get_le64(e + E_LAST);
    out->attributes = get_le64(e + E_ATTRS);
    decode_name(e + E_NAME, out->name);
    return 1;
}

/* ---- Whole table ---- */

/* Read and check one copy (header at `lba`). On success *arrayp holds its entry array
 * (io->alloc'd; the caller frees). Returns 0, -ENOENT (no signature), -EINVAL, or -errno. */
static int read_copy(const struct gpt_io *io, uint64_t lba, uint8_t *sector,
                     struct gpt_header *h, bool *hdr_ok, uint8_t **arrayp, int *used)
{
    *hdr_ok = false;
    int err = io->read(io->ctx, lba, 1, sector);
    if (err)
        return err;
    err = gpt_parse_header(sector, io->sector_size, lba, io->disk_sectors, h);
    if (err)
        return err;
    *hdr_ok = true;

    uint64_t nsect = gpt_entries_sectors(h, io->sector_size);
    size_t bytes = (size_t)nsect * io->sector_size;  /* <= 1 MiB + one sector */
    uint8_t *array = io->alloc(bytes ? bytes : 1);
    if (!array)
        return -ENOMEM;
    if (nsect)
        err = io->read(io->ctx, h->entries_lba, (uint32_t)nsect, array);
    if (!err) {
        int n = gpt_check_entries(h, array, bytes);
        if (n < 0)
            err = n;
        else
            *used = n;
    }
    if (err) {
        io->free(array);
        return err;
    }
    *arrayp = array;
    return 0;
}

static void fill_parts(const struct gpt_header *h, const uint8_t *array, struct gpt_table *t,
                       struct gpt_part *parts, unsigned max_parts)
{
    size_t bytes = gpt_entries_bytes(h);
    t->stored = 0;
    for (unsigned i = 0; i < h->num_entries && t->stored < max_parts; i++)
        if (gpt_get_entry(h, array, bytes, i, &parts[t->stored]) == 1)
            t->stored++;
}

int gpt_read(const struct gpt_io *io, struct gpt_table *t, struct gpt_part *parts,
             unsigned max_parts)
{
    struct gpt_table zero = { 0 };
    *t = zero;
    if (!is_pow2(io->sector_size) || io->sector_size < 512 || io->disk_sectors < 4)
        return -EINVAL;

    uint8_t *sector = io->alloc(io->sector_size);
    if (!sector)
        return -ENOMEM;

    struct gpt_header ph, bh;
    uint8_t *parray = NULL, *barray = NULL;
    int pused = 0, bused = 0;
    bool phdr_ok, bhdr_ok;

    int perr = read_copy(io, 1, sector, &ph, &phdr_ok, &parray, &pused);
    /* If the primary header itself is sound it says where the backup is; otherwise the
     * backup is where it must be on an unresized disk: the last sector. */
    uint64_t backup_lba = phdr_ok ? ph.alternate_lba : io->disk_sectors - 1;
    int berr = perr == -ENOMEM
                   ? -ENOMEM
                   : read_copy(io, backup_lba, sector, &bh, &bhdr_ok, &barray, &bused);

    t->primary_ok = perr == 0;
    t->backup_ok = berr == 0;
    t->found = perr != -ENOENT || berr != -ENOENT;

    int ret = 0;
    if (t->primary_ok) {
        t->hdr = ph;
        t->nparts = (unsigned)pused;
        fill_parts(&ph, parray, t, parts, max_parts);
    } else if (t->backup_ok) {
        t->hdr = bh;
        t->using_backup = true;
        t->nparts = (unsigned)bused;
        fill_parts(&bh, barray, t, parts, max_parts);
    } else if (perr == -ENOMEM || berr == -ENOMEM) {
        ret = -ENOMEM;
    } else if (!t->found) {
        ret = -ENOENT;
    } else if (perr != -EINVAL && perr != -ENOENT) {
        ret = perr;     /* a read error, worth reporting as such */
    } else if (berr != -EINVAL && berr != -ENOENT) {
        ret = berr;
    } else {
        ret = -EINVAL;
    }

    if (parray)
        io->free(parray);
    if (barray)
        io->free(barray);
    io->free(sector);
    return ret;
}

/* ---- GUIDs ---- */

/* Text position of each byte of the 16: fields 1-3 are little-endian on disk. */
static const uint8_t guid_text_order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };

void gpt_guid_to_str(const struct gpt_guid *g, char out[GPT_GUID_STR_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned n = 0;
    for (unsigned i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[n++] = '-';
        uint8_t b = g->b[guid_text_order[i]];
        out[n++] = hex[b >> 4];
        out[n++] = hex[b & 15];
    }
    out[n] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int gpt_guid_parse(const char *s, size_t len, struct gpt_guid *out)
{
    struct gpt_guid g;
    unsigned pos = 0;

    for (unsigned i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            if (pos >= len || s[pos] != '-')
                return -EINVAL;
            pos++;
        }
        if (pos + 1 >= len)
            return -EINVAL;
        int hi = hexval(s[pos]), lo = hexval(s[pos + 1]);
        if (hi < 0 || lo < 0)
            return -EINVAL;
        g.b[guid_text_order[i]] = (uint8_t)(hi << 4 | lo);
        pos += 2;
    }
    if (pos < len && s[pos] != '\0')
        return -EINVAL;
    *out = g;
    return 0;
}

bool gpt_guid_equal(const struct gpt_guid *a, const struct gpt_guid *b)
{
    for (unsigned i = 0; i < 16; i++)
        if (a->b[i] != b->b[i])
            return false;
    return true;
}

bool gpt_guid_is_zero(const struct gpt_guid *g)
{
    for (unsigned i = 0; i < 16; i++)
        if (g->b[i])
            return false;
    return true;
}
