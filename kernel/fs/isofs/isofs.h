/* iso9660 core: the on-disk logic of ISO 9660 (ECMA-119) volumes with the Rock Ridge (SUSP,
 * RRIP) and Joliet extensions, read-only, independent of the VFS and of the block layer.
 *
 * The core reaches storage only through struct byte_io (any byte range by offset) and memory
 * only through kmalloc/kfree, so it runs unchanged in a host process (tests/unit/isofs,
 * tests/fuzz/fuzz_isofs.c) and in the kernel (isofs_vfs.c maps the I/O onto the buffer cache).
 *
 * Inode numbers are the byte offset of the directory record that describes the file (as in
 * Linux): a file's record in its parent; for a directory, its own "." record (the first of
 * its extent, as Linux normalizes it), so all names of one directory are one inode and a
 * damaged record that names an ancestor makes a loop the VFS refuses (ELOOP). Every record is re-read and re-validated from the disk
 * when its inode is read, so no in-memory state can go stale or be trusted too far.
 *
 * Names: Rock Ridge (NM) when the volume has it, else Joliet (UCS-2 from the supplementary
 * descriptor, as UTF-8), else the plain ISO name lowercased with ";1" dropped (Linux's
 * map=normal); "norock" and "nojoliet" step down the list.
 *
 * Errors: every on-disk number is range-checked before use; corruption gives -EIO and a log
 * line. Every loop is bounded by the volume size or a fixed limit. Not reentrant: the caller
 * serialises calls on one struct iso_fs. */
#pragma once
#include "types.h"
#include "errno.h"
#include "byte_io.h"
#include "byteorder.h"

#define ISO_SECTOR 2048u              /* records never cross a 2048-byte logical sector */
#define ISO_NAME_MAX 255u             /* longest name handed out (bytes of UTF-8) */
#define ISO_MAX_EXTENTS 8u            /* a multi-extent file's pieces we follow */
#define ISOFS_SUPER_MAGIC 0x9660

/* Mount options, spelled as Linux's: norock, nojoliet, uid=, gid=, mode=, dmode=
 * (the last four for files without Rock Ridge attributes); ro is accepted. */
struct iso_options {
    bool norock, nojoliet;
    uint32_t uid, gid;
    uint32_t fmode, dmode;            /* permission bits of plain/Joliet files, directories */
};
/* Parse a comma-separated option string (NULL: defaults). 0 or -EINVAL for an unknown
 * option or a bad value. */
int iso_parse_options(const char *data, struct iso_options *out);

enum iso_names { ISO_NAMES_PLAIN, ISO_NAMES_JOLIET, ISO_NAMES_ROCK };

struct iso_fs {
    struct byte_io io;
    struct iso_options opt;
    uint32_t block_size;              /* logical block size: 512, 1024 or 2048 */
    uint64_t limit;                   /* bytes: nothing at or past this is read */
    uint64_t volume_blocks;           /* volume space size (logical blocks) */
    uint64_t root_ino;                /* the "." record of the root of the tree in use */
    enum iso_names names;
    bool has_rock, has_joliet;        /* what the volume offers (whatever is in use) */
    uint8_t susp_skip;                /* SP's LEN_SKP: bytes before SUSP entries */
    char label[33];                   /* the volume identifier, trailing spaces trimmed */
};

struct iso_extent {
    uint32_t block;                   /* first logical block of the data */
    uint32_t len;                     /* bytes */
};

struct iso_inode {
    uint64_t ino;
    uint32_t mode;                    /* with the file type */
    uint32_t nlink, uid, gid;
    uint32_t rdev_major, rdev_minor;
    uint64_t size;
    int64_t atime, mtime, ctime;      /* seconds since the epoch */
    uint32_t nextents;
    struct iso_extent ext[ISO_MAX_EXTENTS];
};

/* ---- isofs_super.c ---- */
/* Find and validate the volume descriptors and the root: 0 or -EINVAL (not iso9660), -EIO,
 * -ENOMEM. */
int iso_mount(const struct byte_io *io, const struct iso_options *opt, struct iso_fs **out);
void iso_unmount(struct iso_fs *fs);
/* Read len bytes at byte offset off, refusing anything past the volume/device. */
int iso_read_bytes(struct iso_fs *fs, uint64_t off, void *buf, size_t len);
/* Log a corruption and return -EIO. */
int iso_error(struct iso_fs *fs, uint64_t ino, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- isofs_inode.c ---- */
/* The inode whose directory record is at byte offset ino. */
int iso_iget(struct iso_fs *fs, uint64_t ino, struct iso_inode *out);
/* Up to len bytes of file data at off (0 at the end). Bytes read or -errno. */
ssize_t iso_read(struct iso_fs *fs, const struct iso_inode *in, uint64_t off, void *buf,
                 size_t len);
/* A symlink's target (Rock Ridge SL) into buf, NUL-terminated: its length, -ENAMETOOLONG
 * if it does not fit, -EINVAL if in is no symlink. */
int iso_readlink(struct iso_fs *fs, const struct iso_inode *in, char *buf, size_t size);

/* ---- isofs_dir.c ---- */
/* Called for each entry: name (not NUL-terminated), the inode number, a DT_* type, and the
 * position after it. Return false to stop. */
typedef bool (*iso_filldir_t)(void *ctx, const char *name, size_t len, uint64_t ino,
                              unsigned dtype, uint64_t next_pos);
/* Entries from *pos (a byte offset in the directory; "." and ".." come first), updating it. */
int iso_readdir(struct iso_fs *fs, const struct iso_inode *dir, uint64_t *pos,
                iso_filldir_t fill, void *ctx);
/* 0 and *ino, -ENOENT, or another -errno. */
int iso_lookup(struct iso_fs *fs, const struct iso_inode *dir, const char *name, size_t len,
               uint64_t *ino);

/* ---- isofs_rock.c: the System Use area of one directory record ---- */
struct iso_rr {
    bool rock_seen;                   /* ER, RR, PX or NM: the volume speaks Rock Ridge */
    bool has_px, has_pn, has_tf, is_link, relocated, has_cl;
    uint32_t mode, nlink, uid, gid;
    uint32_t dev_high, dev_low;
    int64_t atime, mtime, ctime;
    uint32_t cl_block;                /* CL: where the relocated directory is */
    char name[ISO_NAME_MAX + 1];      /* NM, NUL-terminated; name_len 0: none */
    size_t name_len;
    bool name_bad;                    /* NM too long or unusable: the entry is skipped */
    bool name_dot, name_dotdot;       /* NM's CURRENT/PARENT flags */
};
/* Parse the SUSP entries of rec (its whole length), following CE continuation areas (a
 * bounded number). With link non-NULL, also assemble the SL target there (NUL-terminated;
 * -ENAMETOOLONG if it does not fit in link_size). 0 or -errno (-EIO: a bad CE). */
int iso_rr_parse(struct iso_fs *fs, const uint8_t *rec, size_t rec_len, struct iso_rr *rr,
                 char *link, size_t link_size);
/* The SUSP area inside a record: start offset (0 if there is none) and length. */
size_t iso_su_start(const struct iso_fs *fs, const uint8_t *rec, size_t rec_len);

/* ---- Helpers shared by the core ---- */
/* Directory record fields. */
#define ISO_DR_LEN 0
#define ISO_DR_EXT_ATTR_LEN 1
#define ISO_DR_EXTENT 2
#define ISO_DR_SIZE 10
#define ISO_DR_DATE 18
#define ISO_DR_FLAGS 25
#define ISO_DR_NAME_LEN 32
#define ISO_DR_NAME 33
#define ISO_DR_MIN 34                 /* a record with a one-byte name */

#define ISO_FLAG_HIDDEN 0x01
#define ISO_FLAG_DIR 0x02
#define ISO_FLAG_ASSOC 0x04
#define ISO_FLAG_MULTI 0x80

/* The 7-byte recording date (years since 1900 .. GMT offset) as seconds since the epoch. */
int64_t iso_date7(const uint8_t *p);
/* The 17-byte ASCII date of descriptors and long TF stamps. */
int64_t iso_date17(const uint8_t *p);
/* Read the directory record at byte offset off into rec (up to 255 bytes): its length, or
 * -EIO if it is malformed (too short, crosses its sector, name longer than the record). */
int iso_read_record(struct iso_fs *fs, uint64_t off, uint8_t rec[255]);
/* The offset of the record after the one at off (len bytes) in the same directory: records
 * never cross a sector, and a zero length byte means "continued in the next sector". */
int iso_next_record(struct iso_fs *fs, uint64_t off, size_t len, uint64_t *next);
