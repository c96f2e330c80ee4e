/* GUID Partition Table parsing (UEFI 2.x, chapter 5). Freestanding: needs only types, errno
 * and crc32, so the same file runs in the kernel, in host unit tests and under libFuzzer.
 *
 * All LBAs and sector counts are in the disk's logical sectors (`sector_size` bytes).
 *
 * Typical use (the block layer does this for every disk it registers):
 *     struct gpt_io io = { read, alloc, free, ctx, 512, nsectors };
 *     struct gpt_part parts[16];
 *     struct gpt_table t;
 *     int err = gpt_read(&io, &t, parts, 16);
 * Nothing on a disk is trusted: both headers and the entry array are CRC-checked, every field
 * is range-checked against the disk size, and a copy whose partitions leave the usable range or
 * overlap is rejected as a whole. */
#ifndef OPENV_GPT_H
#define OPENV_GPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GPT_SIGNATURE "EFI PART"
#define GPT_REVISION_1 0x00010000u
#define GPT_HEADER_MIN_SIZE 92u
#define GPT_ENTRY_MIN_SIZE 128u
#define GPT_ENTRY_MAX_SIZE 4096u            /* spec: 128 * 2^n; bounded here */
#define GPT_MAX_ARRAY_BYTES (1u << 20)      /* entry array: count * size <= 1 MiB */
#define GPT_NAME_UNITS 36u                  /* UTF-16 code units in a name */
#define GPT_NAME_LEN (GPT_NAME_UNITS + 1)   /* ASCII name buffer, NUL included */
#define GPT_GUID_STR_LEN 36u                /* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" */

/* A GUID as stored on disk: 16 bytes, the first three fields little-endian. */
struct gpt_guid {
    uint8_t b[16];
};

/* A validated header, fields in host order. */
struct gpt_header {
    uint32_t revision;
    uint32_t header_size;
    uint64_t my_lba;
    uint64_t alternate_lba;
    uint64_t first_usable;
    uint64_t last_usable;           /* inclusive */
    struct gpt_guid disk_guid;
    uint64_t entries_lba;
    uint32_t num_entries;
    uint32_t entry_size;
    uint32_t entries_crc;
};

/* One used partition entry. */
struct gpt_part {
    unsigned number;                /* 1-based: entry index + 1 (the "N" in vdaN) */
    struct gpt_guid type;
    struct gpt_guid uuid;           /* unique partition GUID (PARTUUID) */
    uint64_t first_lba;
    uint64_t last_lba;              /* inclusive */
    uint64_t attributes;
    char name[GPT_NAME_LEN];        /* UTF-16LE name as ASCII; other characters become '?' */
};

/* ---- Pieces (each validates exactly what it is given) ---- */

/* Check the header in `buf` (one sector of `sector_size` bytes, read from `lba` of a disk of
 * `disk_sectors` sectors): signature, revision 1.x, header size 92..sector_size, header CRC
 * (with the CRC field taken as zero), my LBA == lba, the alternate LBA, the usable range and
 * the entry array's geometry (entry size a multiple of 128 up to GPT_ENTRY_MAX_SIZE, array at
 * most GPT_MAX_ARRAY_BYTES, inside the disk and outside the usable range and both headers).
 * Returns 0, -ENOENT (no signature: not a GPT) or -EINVAL (a GPT header that is corrupt). */
int gpt_parse_header(const void *buf, uint32_t sector_size, uint64_t lba, uint64_t disk_sectors,
                     struct gpt_header *out);

/* Bytes and sectors the header's entry array occupies. */
size_t gpt_entries_bytes(const struct gpt_header *h);
uint64_t gpt_entries_sectors(const struct gpt_header *h, uint32_t sector_size);

/* Check an entry array (`len` >= gpt_entries_bytes(h) bytes) against its header: CRC of the
 * num_entries * entry_size bytes, and for every used entry (type GUID not zero) first <= last,
 * both inside [first_usable, last_usable], and no two used entries overlapping.
 * Returns the number of used entries, or -EINVAL. */
int gpt_check_entries(const struct gpt_header *h, const void *entries, size_t len);

/* Decode entry `index` (0-based) of a checked array. Returns 1 (used; *out filled), 0 (unused)
 * or -EINVAL (index out of range). */
int gpt_get_entry(const struct gpt_header *h, const void *entries, size_t len, unsigned index,
                  struct gpt_part *out);

/* ---- The whole table ---- */

struct gpt_io {
    /* Read `count` sectors from `lba` into buf: 0 or -errno. */
    int (*read)(void *ctx, uint64_t lba, uint32_t count, void *buf);
    void *(*alloc)(size_t size);    /* NULL when out of memory */
    void (*free)(void *p);
    void *ctx;
    uint32_t sector_size;           /* 512 or 4096 (any power of two 512..65536) */
    uint64_t disk_sectors;
};

struct gpt_table {
    struct gpt_header hdr;          /* the copy in use */
    bool primary_ok;                /* primary header + array valid */
    bool backup_ok;                 /* backup header + array valid */
    bool using_backup;              /* the primary was bad: the backup is in use */
    bool found;                     /* some header carried the signature */
    unsigned nparts;                /* used entries in the table */
    unsigned stored;                /* of which stored in parts[] (lowest numbers first) */
};

/* Read and validate the primary table (LBA 1) and the backup (the primary's alternate LBA, or
 * the last LBA if the primary header is unusable). The primary is used if valid, else the
 * backup. Fills *t and up to max_parts entries of parts (in entry order).
 * Returns 0; -ENOENT if neither location has a GPT signature (an unpartitioned disk); -EINVAL
 * if a GPT is present but neither copy is valid (not to be trusted); -ENOMEM; or a read
 * error. The caller logs (this file has no printk): t->found/primary_ok/backup_ok say what. */
int gpt_read(const struct gpt_io *io, struct gpt_table *t, struct gpt_part *parts,
             unsigned max_parts);

/* ---- GUIDs ---- */

/* The standard text form, lower case, as sgdisk/blkid print it: the first three fields are
 * stored little-endian, the last two as bytes. `out` gets 36 characters and a NUL. */
void gpt_guid_to_str(const struct gpt_guid *g, char out[GPT_GUID_STR_LEN + 1]);
/* Parse that form (either case, exactly 36 characters, then NUL or `len` limit). 0 or -EINVAL. */
int gpt_guid_parse(const char *s, size_t len, struct gpt_guid *out);
bool gpt_guid_equal(const struct gpt_guid *a, const struct gpt_guid *b);
bool gpt_guid_is_zero(const struct gpt_guid *g);

#endif /* OPENV_GPT_H */
