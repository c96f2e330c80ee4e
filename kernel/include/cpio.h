/*
 * Iterator over cpio archives in memory, "newc" (magic 070701) and "crc"
 * (070702) formats, as used for Linux initramfs images.
 *
 * Layout of one entry: a 110-byte ASCII header (magic + 13 fields of
 * exactly 8 hex digits), the name (namesize bytes including its NUL),
 * padding to a multiple of 4, the data (filesize bytes), padding to a
 * multiple of 4.  Alignment is counted from the start of the buffer.
 * An entry named "TRAILER!!!" ends an archive; like Linux, the iterator
 * then skips NUL padding and carries on with the next archive if one
 * starts at a 4-byte boundary.  The buffer may end without the last
 * entry's padding, but not without a trailer.
 *
 * The input is untrusted.  Errors come in two kinds:
 *  - per-entry (the framing is intact, the iterator moves on): a name
 *    with a ".." component or an embedded NUL, an unknown file type, a
 *    crc-format checksum mismatch.  cpio_next() returns -EINVAL with the
 *    entry filled in (name as found) so the caller can report it;
 *  - fatal (the framing is lost: bad magic, non-hex digit, truncation,
 *    garbage after a trailer): cpio_next() returns -EINVAL once, records
 *    it in it->error, and returns 0 (end) from then on.
 * So "while ((r = cpio_next(&it, &e)) != 0)" always terminates; check
 * it.error afterwards to tell a clean end from a broken archive.
 */
#ifndef OPENV_CPIO_H
#define OPENV_CPIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* File type bits of cpio_entry.mode (the Linux S_IF* values). */
#define CPIO_S_IFMT   0170000u
#define CPIO_S_IFSOCK 0140000u
#define CPIO_S_IFLNK  0120000u
#define CPIO_S_IFREG  0100000u
#define CPIO_S_IFBLK  0060000u
#define CPIO_S_IFDIR  0040000u
#define CPIO_S_IFCHR  0020000u
#define CPIO_S_IFIFO  0010000u

#define CPIO_HEADER_SIZE 110u

struct cpio_entry {
	/* Normalised: leading "/" and "./" removed, so "" is the archive
	 * root (the "." entry).  NUL-terminated, name_len excludes the NUL.
	 * Points into the archive. */
	const char *name;
	size_t name_len;

	const void *data;   /* file contents, or the target of a symlink */
	size_t size;

	uint32_t ino, mode, uid, gid, nlink, mtime;
	uint32_t devmajor, devminor, rdevmajor, rdevminor;
	uint32_t check;     /* crc format: sum of the data bytes */
	bool crc_format;    /* magic was 070702 */
};

struct cpio_iter {
	const uint8_t *base;
	size_t len;
	size_t pos;          /* offset of the next header */
	bool in_archive;     /* seen a header since the last trailer */
	bool done;
	int error;           /* 0, or the fatal error that ended iteration */
};

void cpio_iter_init(struct cpio_iter *it, const void *archive, size_t len);

/*
 * Next entry.  Returns 1 with @entry filled, 0 at the end (after the last
 * trailer and any padding, or after a fatal error), or -EINVAL (see the
 * two kinds of error above).  Trailers are consumed, never returned.
 */
int cpio_next(struct cpio_iter *it, struct cpio_entry *entry);

/* File type helpers. */
static inline bool cpio_is_dir(const struct cpio_entry *e)
{
	return (e->mode & CPIO_S_IFMT) == CPIO_S_IFDIR;
}

static inline bool cpio_is_reg(const struct cpio_entry *e)
{
	return (e->mode & CPIO_S_IFMT) == CPIO_S_IFREG;
}

static inline bool cpio_is_symlink(const struct cpio_entry *e)
{
	return (e->mode & CPIO_S_IFMT) == CPIO_S_IFLNK;
}

#endif /* OPENV_CPIO_H */
