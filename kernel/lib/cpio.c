/*
 * cpio newc/crc iterator.  See cpio.h for the format and error contract.
 */
#include "cpio.h"
#include "errno.h"

/* Header fields after the 6-byte magic, in archive order. */
enum cpio_field {
	F_INO, F_MODE, F_UID, F_GID, F_NLINK, F_MTIME, F_FILESIZE,
	F_DEVMAJOR, F_DEVMINOR, F_RDEVMAJOR, F_RDEVMINOR, F_NAMESIZE, F_CHECK,
	NR_FIELDS
};

#define MAGIC_LEN 6
#define FIELD_LEN 8

static const char trailer_name[] = "TRAILER!!!";

/* ---- Helpers ------------------------------------------------------------ */

static bool range_ok(size_t off, size_t len, size_t limit)
{
	return off <= limit && len <= limit - off;
}

/* Round @x up to a multiple of 4; false if that wraps. */
static bool align4(size_t x, size_t *out)
{
	if (x > SIZE_MAX - 3)
		return false;
	*out = (x + 3) & ~(size_t)3;
	return true;
}

static int hex_value(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly FIELD_LEN hex digits, no sign, no spaces. */
static bool parse_field(const uint8_t *p, uint32_t *out)
{
	uint32_t value = 0;
	for (int i = 0; i < FIELD_LEN; i++) {
		int digit = hex_value(p[i]);
		if (digit < 0)
			return false;
		value = value << 4 | (uint32_t)digit;
	}
	*out = value;
	return true;
}

static bool bytes_equal(const uint8_t *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != (uint8_t)b[i])
			return false;
	return true;
}

/* ---- Iterator state ------------------------------------------------------ */

void cpio_iter_init(struct cpio_iter *it, const void *archive, size_t len)
{
	it->base = archive;
	it->len = archive ? len : 0;
	it->pos = 0;
	it->in_archive = false;
	it->done = false;
	it->error = 0;
}

/* The framing is lost: report once, then behave as finished. */
static int fail(struct cpio_iter *it)
{
	it->error = -EINVAL;
	it->done = true;
	return -EINVAL;
}

/* Between archives Linux accepts any run of NUL bytes. */
static void skip_nul_padding(struct cpio_iter *it)
{
	while (it->pos < it->len && it->base[it->pos] == '\0')
		it->pos++;
}

/* ---- One header ------------------------------------------------------------ */

/* Where the parts of the entry at it->pos lie in the buffer. */
struct entry_layout {
	uint32_t field[NR_FIELDS];
	bool crc_format;
	size_t name_off;
	size_t data_off;
	size_t next;        /* the following header (may be it->len) */
};

static int parse_magic(const uint8_t *p, bool *crc_format)
{
	if (bytes_equal(p, "070701", MAGIC_LEN))
		*crc_format = false;
	else if (bytes_equal(p, "070702", MAGIC_LEN))
		*crc_format = true;
	else
		return -EINVAL;   /* includes "070707" (odc) and garbage */
	return 0;
}

static int parse_header(const struct cpio_iter *it, struct entry_layout *lay)
{
	const uint8_t *hdr = it->base + it->pos;

	if (!range_ok(it->pos, CPIO_HEADER_SIZE, it->len) ||
	    parse_magic(hdr, &lay->crc_format))
		return -EINVAL;
	for (int i = 0; i < NR_FIELDS; i++)
		if (!parse_field(hdr + MAGIC_LEN + i * FIELD_LEN, &lay->field[i]))
			return -EINVAL;

	size_t namesize = lay->field[F_NAMESIZE];
	size_t filesize = lay->field[F_FILESIZE];
	lay->name_off = it->pos + CPIO_HEADER_SIZE;
	if (namesize == 0 || !range_ok(lay->name_off, namesize, it->len))
		return -EINVAL;
	if (!align4(lay->name_off + namesize, &lay->data_off))
		return -EINVAL;

	/* The buffer may end without the final padding (typically right
	 * after "TRAILER!!!"): harmless, as nothing else follows. */
	if (filesize == 0 && lay->data_off > it->len)
		lay->data_off = it->len;
	if (!range_ok(lay->data_off, filesize, it->len))
		return -EINVAL;
	if (!align4(lay->data_off + filesize, &lay->next) || lay->next > it->len)
		lay->next = it->len;
	return 0;
}

static bool is_trailer(const struct cpio_iter *it, const struct entry_layout *lay)
{
	return lay->field[F_NAMESIZE] == sizeof(trailer_name) &&
	       bytes_equal(it->base + lay->name_off, trailer_name,
			   sizeof(trailer_name));
}

/* ---- Entry checks -------------------------------------------------------- */

static bool valid_type(uint32_t mode)
{
	switch (mode & CPIO_S_IFMT) {
	case CPIO_S_IFREG: case CPIO_S_IFDIR: case CPIO_S_IFLNK:
	case CPIO_S_IFCHR: case CPIO_S_IFBLK: case CPIO_S_IFIFO:
	case CPIO_S_IFSOCK:
		return true;
	default:
		return false;
	}
}

/* Drop leading "/" and "./" so names are relative to the archive root. */
static const char *normalise_name(const char *name)
{
	for (;;) {
		if (name[0] == '/')
			name++;
		else if (name[0] == '.' && name[1] == '/')
			name += 2;
		else if (name[0] == '.' && name[1] == '\0')
			name++;   /* "." itself is the root: "" */
		else
			return name;
	}
}

/* Would the path escape its root through a ".." component? */
static bool has_dotdot(const char *name)
{
	const char *c = name;
	for (;;) {
		if (c[0] == '.' && c[1] == '.' && (c[2] == '/' || c[2] == '\0'))
			return true;
		while (*c && *c != '/')
			c++;
		if (*c == '\0')
			return false;
		c++;
	}
}

static uint32_t byte_sum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += p[i];
	return sum;
}

static void fill_entry(const struct cpio_iter *it,
		       const struct entry_layout *lay, struct cpio_entry *e)
{
	const uint32_t *f = lay->field;

	e->name = (const char *)it->base + lay->name_off;
	e->name_len = f[F_NAMESIZE] - 1;
	e->data = it->base + lay->data_off;
	e->size = f[F_FILESIZE];
	e->ino = f[F_INO];
	e->mode = f[F_MODE];
	e->uid = f[F_UID];
	e->gid = f[F_GID];
	e->nlink = f[F_NLINK];
	e->mtime = f[F_MTIME];
	e->devmajor = f[F_DEVMAJOR];
	e->devminor = f[F_DEVMINOR];
	e->rdevmajor = f[F_RDEVMAJOR];
	e->rdevminor = f[F_RDEVMINOR];
	e->check = f[F_CHECK];
	e->crc_format = lay->crc_format;
}

/* Per-entry validation; the framing is already known to be sound. */
static int check_entry(struct cpio_entry *e)
{
	/* namesize counts the NUL, which must be the only one. */
	for (size_t i = 0; i < e->name_len; i++)
		if (e->name[i] == '\0')
			return -EINVAL;
	if (e->name[e->name_len] != '\0')
		return -EINVAL;

	const char *norm = normalise_name(e->name);
	e->name_len -= (size_t)(norm - e->name);
	e->name = norm;
	if (has_dotdot(e->name))
		return -EINVAL;

	if (!valid_type(e->mode))
		return -EINVAL;
	if (e->crc_format && cpio_is_reg(e) &&
	    byte_sum(e->data, e->size) != e->check)
		return -EINVAL;
	return 0;
}

/* ---- Iteration ------------------------------------------------------------ */

int cpio_next(struct cpio_iter *it, struct cpio_entry *entry)
{
	while (!it->done) {
		if (!it->in_archive)
			skip_nul_padding(it);
		if (it->pos == it->len) {
			it->done = true;
			if (it->in_archive)   /* ended without a trailer */
				return fail(it);
			return 0;
		}
		if (it->pos % 4 != 0)
			return fail(it);   /* junk after a trailer */

		struct entry_layout lay;
		if (parse_header(it, &lay))
			return fail(it);
		it->pos = lay.next;
		if (is_trailer(it, &lay)) {
			it->in_archive = false;
			continue;
		}
		it->in_archive = true;
		fill_entry(it, &lay, entry);
		return check_entry(entry) ? -EINVAL : 1;
	}
	return 0;
}
