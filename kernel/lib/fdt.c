/*
 * Read-only flattened device tree parser.  See fdt.h for the contract.
 *
 * Strategy: fdt_init() walks the whole structure block once and rejects
 * anything malformed (bad tokens, unbalanced nodes, names running off the
 * end, property names outside the strings block).  The accessors below
 * still bounds-check every offset they touch, so a caller that skips
 * fdt_init() or passes a made-up node offset gets -EINVAL, not a crash.
 */
#include "fdt.h"
#include "errno.h"
#include "byteorder.h"

/* Structure block tokens (spec 5.4.1). */
#define FDT_BEGIN_NODE 0x1u
#define FDT_END_NODE   0x2u
#define FDT_PROP       0x3u
#define FDT_NOP        0x4u
#define FDT_END        0x9u

/* Header layout (spec 5.2): ten big-endian u32 fields. */
enum {
	HDR_MAGIC = 0, HDR_TOTALSIZE = 4, HDR_OFF_STRUCT = 8,
	HDR_OFF_STRINGS = 12, HDR_OFF_RSVMAP = 16, HDR_VERSION = 20,
	HDR_LAST_COMP = 24, HDR_BOOT_CPUID = 28, HDR_SIZE_STRINGS = 32,
	HDR_SIZE_STRUCT = 36,
};
#define HDR_SIZE_V16 36u   /* v16 lacks size_dt_struct */
#define HDR_SIZE_V17 40u
#define RSV_ENTRY_SIZE 16u

/* Keeps every offset computation (offset + 12 + len + 3) inside an int. */
#define FDT_MAX_TOTALSIZE 0x7fff0000u

/* ---- Small helpers ---------------------------------------------------- */

/* One or two big-endian cells as a u64. */
static uint64_t read_cells(const uint8_t *p, int cells)
{
	return cells == 2 ? get_be64(p) : get_be32(p);
}

static uint32_t align4(uint32_t x)
{
	return (x + 3u) & ~3u;
}

/* Is [off, off + len) inside [0, limit)? Overflow-safe. */
static bool range_ok(uint64_t off, uint64_t len, uint64_t limit)
{
	return off <= limit && len <= limit - off;
}

/* Length of the NUL-terminated string at @s, which may not run past @max
 * bytes; -1 if there is no NUL in range. */
static int64_t bounded_strlen(const uint8_t *s, uint32_t max)
{
	for (uint32_t i = 0; i < max; i++)
		if (s[i] == '\0')
			return i;
	return -1;
}

static size_t c_strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

static bool bytes_equal(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

static bool str_equal(const char *a, const char *b)
{
	size_t n = c_strlen(b);
	return bytes_equal(a, b, n) && a[n] == '\0';
}

static void zero_bytes(void *p, size_t n)
{
	volatile uint8_t *b = p;   /* volatile: never turned into a memset call */
	while (n--)
		*b++ = 0;
}

static const uint8_t *struct_ptr(const struct fdt *fdt, uint32_t off)
{
	return fdt->blob + fdt->struct_off + off;
}

/* ---- Tokens ------------------------------------------------------------- */

/*
 * Decode the token at structure offset @off: its tag and the offset of the
 * token after it.  Every byte the token spans is checked to be inside the
 * structure block, and *next > off always, so loops over tokens end.
 */
static int read_token(const struct fdt *fdt, int off, uint32_t *tag, int *next)
{
	uint32_t size = fdt->struct_size;

	if (off < 0 || (off & 3) || !range_ok((uint32_t)off, 4, size))
		return -EINVAL;
	uint32_t pos = (uint32_t)off + 4;
	*tag = get_be32(struct_ptr(fdt, (uint32_t)off));

	switch (*tag) {
	case FDT_BEGIN_NODE: {
		int64_t len = bounded_strlen(struct_ptr(fdt, pos), size - pos);
		if (len < 0)
			return -EINVAL;
		pos = align4(pos + (uint32_t)len + 1);
		break;
	}
	case FDT_PROP: {
		if (!range_ok(pos, 8, size))
			return -EINVAL;
		uint32_t len = get_be32(struct_ptr(fdt, pos));
		pos += 8;
		if (!range_ok(pos, len, size))
			return -EINVAL;
		pos = align4(pos + len);
		break;
	}
	case FDT_END_NODE:
	case FDT_NOP:
	case FDT_END:
		break;
	default:
		return -EINVAL;
	}
	*next = (int)pos;
	return 0;
}

/* Skip FDT_NOP tokens; returns the offset of the next other token. */
static int skip_nops(const struct fdt *fdt, int off, uint32_t *tag)
{
	int next = 0;
	for (;;) {
		int err = read_token(fdt, off, tag, &next);
		if (err)
			return err;
		if (*tag != FDT_NOP)
			return off;
		off = next;
	}
}

/* Offset just past the name of the node at @node (where its properties
 * start); -EINVAL if @node is not a node. */
static int node_body(const struct fdt *fdt, int node)
{
	uint32_t tag = 0;
	int next = 0;
	int err = read_token(fdt, node, &tag, &next);
	if (err)
		return err;
	return tag == FDT_BEGIN_NODE ? next : -EINVAL;
}

/* Name of the property at @prop (a FDT_PROP token read_token() accepted)
 * inside the strings block; NULL if it is not NUL-terminated there. */
static const char *prop_name(const struct fdt *fdt, int prop)
{
	uint32_t nameoff = get_be32(struct_ptr(fdt, (uint32_t)prop + 8));
	if (nameoff >= fdt->strings_size)
		return NULL;
	const uint8_t *s = fdt->blob + fdt->strings_off + nameoff;
	if (bounded_strlen(s, fdt->strings_size - nameoff) < 0)
		return NULL;
	return (const char *)s;
}

/* ---- Header and structure validation ---------------------------------- */

static int check_header(const uint8_t *b, size_t maxlen)
{
	if (b == NULL || maxlen < HDR_SIZE_V16 || get_be32(b + HDR_MAGIC) != FDT_MAGIC)
		return -EINVAL;

	uint32_t version = get_be32(b + HDR_VERSION);
	uint32_t hdr_size = version >= 17 ? HDR_SIZE_V17 : HDR_SIZE_V16;
	uint32_t total = get_be32(b + HDR_TOTALSIZE);
	if (version < 16 || get_be32(b + HDR_LAST_COMP) > 17 || maxlen < hdr_size)
		return -EINVAL;
	if (total < hdr_size || total > maxlen || total > FDT_MAX_TOTALSIZE)
		return -EINVAL;

	uint32_t st_off = get_be32(b + HDR_OFF_STRUCT);
	uint32_t st_size = version >= 17 ? get_be32(b + HDR_SIZE_STRUCT)
					 : (st_off <= total ? total - st_off : 0);
	uint32_t str_off = get_be32(b + HDR_OFF_STRINGS);
	uint32_t str_size = get_be32(b + HDR_SIZE_STRINGS);
	uint32_t rsv_off = get_be32(b + HDR_OFF_RSVMAP);

	if ((st_off & 3) || st_off < hdr_size || !range_ok(st_off, st_size, total))
		return -EINVAL;
	if (str_off < hdr_size || !range_ok(str_off, str_size, total))
		return -EINVAL;
	if ((rsv_off & 7) || rsv_off < hdr_size || rsv_off > total)
		return -EINVAL;
	return 0;
}

/* Count reservation entries; the list must end with a 0,0 entry. */
static int count_rsvmap(const struct fdt *fdt)
{
	uint32_t off = fdt->rsvmap_off;
	for (uint32_t n = 0; range_ok(off, RSV_ENTRY_SIZE, fdt->totalsize); n++) {
		const uint8_t *e = fdt->blob + off;
		if (get_be64(e) == 0 && get_be64(e + 8) == 0)
			return (int)n;
		off += RSV_ENTRY_SIZE;
	}
	return -EINVAL;
}

/* One pass over all tokens: exactly one root, balanced nodes, at most
 * FDT_MAX_DEPTH deep, properties only inside nodes, FDT_END last. */
static int check_structure(const struct fdt *fdt)
{
	int off = 0, next, depth = 0;
	bool seen_root = false;
	uint32_t tag = 0;

	for (;; off = next) {
		if (read_token(fdt, off, &tag, &next))
			return -EINVAL;
		switch (tag) {
		case FDT_BEGIN_NODE:
			if (depth == 0 && seen_root)
				return -EINVAL;
			seen_root = true;
			if (++depth > FDT_MAX_DEPTH)
				return -EINVAL;
			break;
		case FDT_END_NODE:
			if (depth-- == 0)
				return -EINVAL;
			break;
		case FDT_PROP:
			if (depth == 0 || prop_name(fdt, off) == NULL)
				return -EINVAL;
			break;
		case FDT_END:
			return depth == 0 && seen_root ? 0 : -EINVAL;
		}
	}
}

static void load_header(struct fdt *fdt, const uint8_t *b)
{
	fdt->blob = b;
	fdt->totalsize = get_be32(b + HDR_TOTALSIZE);
	fdt->version = get_be32(b + HDR_VERSION);
	fdt->boot_cpuid = get_be32(b + HDR_BOOT_CPUID);
	fdt->struct_off = get_be32(b + HDR_OFF_STRUCT);
	fdt->struct_size = fdt->version >= 17 ? get_be32(b + HDR_SIZE_STRUCT)
					      : fdt->totalsize - fdt->struct_off;
	fdt->strings_off = get_be32(b + HDR_OFF_STRINGS);
	fdt->strings_size = get_be32(b + HDR_SIZE_STRINGS);
	fdt->rsvmap_off = get_be32(b + HDR_OFF_RSVMAP);
	fdt->rsvmap_count = 0;
}

int fdt_init(struct fdt *fdt, const void *blob, size_t maxlen)
{
	const uint8_t *b = blob;
	zero_bytes(fdt, sizeof(*fdt));   /* a failed init leaves no blocks */
	int err = check_header(b, maxlen);
	if (err)
		return err;

	load_header(fdt, b);
	int count = count_rsvmap(fdt);
	if (count >= 0) {
		fdt->rsvmap_count = (uint32_t)count;
		err = check_structure(fdt);
	}
	if (count < 0 || err) {
		fdt->struct_size = 0;   /* every later access fails cleanly */
		fdt->rsvmap_count = 0;
		return -EINVAL;
	}
	return 0;
}

int fdt_check(const void *blob, size_t maxlen)
{
	struct fdt fdt;
	return fdt_init(&fdt, blob, maxlen);
}

int fdt_get_mem_rsv(const struct fdt *fdt, unsigned index,
		    uint64_t *addr, uint64_t *size)
{
	if (index >= fdt->rsvmap_count)
		return -ENOENT;
	uint64_t off = fdt->rsvmap_off + (uint64_t)index * RSV_ENTRY_SIZE;
	if (!range_ok(off, RSV_ENTRY_SIZE, fdt->totalsize))
		return -EINVAL;
	*addr = get_be64(fdt->blob + off);
	*size = get_be64(fdt->blob + off + 8);
	return 0;
}

/* ---- Walking the tree ------------------------------------------------- */

int fdt_root(const struct fdt *fdt)
{
	uint32_t tag = 0;
	int off = skip_nops(fdt, 0, &tag);
	if (off < 0)
		return off;
	return tag == FDT_BEGIN_NODE ? off : -EINVAL;
}

/* From @off, skip properties and NOPs; returns the offset of the next
 * node-level token (BEGIN_NODE, END_NODE or END) and its tag. */
static int skip_props(const struct fdt *fdt, int off, uint32_t *tag)
{
	int next = 0;
	for (;;) {
		int err = read_token(fdt, off, tag, &next);
		if (err)
			return err;
		if (*tag != FDT_PROP && *tag != FDT_NOP)
			return off;
		off = next;
	}
}

int fdt_first_child(const struct fdt *fdt, int node)
{
	uint32_t tag = 0;
	int off = node_body(fdt, node);
	if (off >= 0)
		off = skip_props(fdt, off, &tag);
	if (off < 0)
		return off;
	if (tag == FDT_BEGIN_NODE)
		return off;
	return tag == FDT_END_NODE ? -ENOENT : -EINVAL;
}

/* Offset just past the FDT_END_NODE that closes @node. */
static int skip_subtree(const struct fdt *fdt, int node)
{
	int off = node_body(fdt, node), next, depth = 1;
	uint32_t tag = 0;

	for (; off >= 0; off = next) {
		if (read_token(fdt, off, &tag, &next))
			return -EINVAL;
		if (tag == FDT_BEGIN_NODE)
			depth++;
		else if (tag == FDT_END_NODE && --depth == 0)
			return next;
		else if (tag == FDT_END)
			return -EINVAL;
	}
	return off;
}

int fdt_next_sibling(const struct fdt *fdt, int node)
{
	uint32_t tag = 0;
	int off = skip_subtree(fdt, node);
	if (off >= 0)
		off = skip_props(fdt, off, &tag);
	if (off < 0)
		return off;
	if (tag == FDT_BEGIN_NODE)
		return off;
	return -ENOENT;   /* parent's END_NODE, or FDT_END after the root */
}

int fdt_next_node(const struct fdt *fdt, int node, int *depth)
{
	if (node < 0) {
		if (depth)
			*depth = 0;
		return fdt_root(fdt);
	}

	int off = node_body(fdt, node), next, delta = 0;
	uint32_t tag = 0;
	for (; off >= 0; off = next) {
		if (read_token(fdt, off, &tag, &next))
			return -EINVAL;
		if (tag == FDT_BEGIN_NODE) {
			if (depth)
				*depth += delta + 1;
			return off;
		}
		if (tag == FDT_END_NODE)
			delta--;
		else if (tag == FDT_END)
			return -ENOENT;
	}
	return off;
}

int fdt_parent_offset(const struct fdt *fdt, int node)
{
	int stack[FDT_MAX_DEPTH];
	int depth = 0;

	for (int off = fdt_next_node(fdt, -1, &depth); off >= 0;
	     off = fdt_next_node(fdt, off, &depth)) {
		if (depth < 0 || depth >= FDT_MAX_DEPTH)
			return -EINVAL;
		stack[depth] = off;
		if (off == node)
			return depth > 0 ? stack[depth - 1] : -ENOENT;
		if (off > node)
			break;
	}
	return -EINVAL;   /* @node is not the offset of a node */
}

const char *fdt_node_name(const struct fdt *fdt, int node, size_t *len)
{
	if (node_body(fdt, node) < 0)
		return NULL;
	const char *name = (const char *)struct_ptr(fdt, (uint32_t)node + 4);
	if (len)
		*len = c_strlen(name);   /* NUL checked by read_token */
	return name;
}

/* Does node name @cname match @name/@len, with "@unit" optional when
 * @name has no unit address? */
static bool node_name_matches(const char *cname, const char *name, size_t len)
{
	size_t clen = c_strlen(cname);
	if (clen == len)
		return bytes_equal(cname, name, len);
	for (size_t i = 0; i < len; i++)
		if (name[i] == '@')
			return false;
	return clen > len && cname[len] == '@' && bytes_equal(cname, name, len);
}

int fdt_subnode_offset(const struct fdt *fdt, int parent,
		       const char *name, size_t len)
{
	int child;
	for (child = fdt_first_child(fdt, parent); child >= 0;
	     child = fdt_next_sibling(fdt, child)) {
		const char *cname = fdt_node_name(fdt, child, NULL);
		if (cname && node_name_matches(cname, name, len))
			return child;
	}
	return child;
}

/* Walk the '/'-separated components of path[0..len) starting at @node. */
static int walk_path(const struct fdt *fdt, int node, const char *path,
		     size_t len)
{
	size_t i = 0;
	while (node >= 0 && i < len) {
		if (path[i] == '/') {
			i++;
			continue;
		}
		size_t end = i;
		while (end < len && path[end] != '/')
			end++;
		node = fdt_subnode_offset(fdt, node, path + i, end - i);
		i = end;
	}
	return node;
}

/* Resolve the alias at the head of a relative path, e.g. "serial0/x". */
static int resolve_alias(const struct fdt *fdt, const char *path, size_t len)
{
	size_t name_len = 0;
	while (name_len < len && path[name_len] != '/')
		name_len++;

	int aliases = fdt_path_offset_len(fdt, "/aliases", 8);
	if (aliases < 0)
		return aliases;

	/* Property names are C strings; compare them by hand since the alias
	 * name here is not NUL-terminated. */
	for (int prop = fdt_first_prop(fdt, aliases); prop >= 0;
	     prop = fdt_next_prop(fdt, prop)) {
		const char *pname;
		const void *value;
		uint32_t vlen;
		if (fdt_prop_info(fdt, prop, &pname, &value, &vlen))
			return -EINVAL;
		if (c_strlen(pname) != name_len || !bytes_equal(pname, path, name_len))
			continue;
		const char *target = value;
		if (vlen < 2 || target[0] != '/' || target[vlen - 1] != '\0')
			return -EINVAL;   /* aliases must be absolute paths */
		int node = walk_path(fdt, fdt_root(fdt), target, c_strlen(target));
		return walk_path(fdt, node, path + name_len, len - name_len);
	}
	return -ENOENT;
}

int fdt_path_offset_len(const struct fdt *fdt, const char *path, size_t len)
{
	if (len == 0)
		return -EINVAL;
	if (path[0] != '/')
		return resolve_alias(fdt, path, len);
	return walk_path(fdt, fdt_root(fdt), path, len);
}

int fdt_path_offset(const struct fdt *fdt, const char *path)
{
	return fdt_path_offset_len(fdt, path, c_strlen(path));
}

/* ---- Properties --------------------------------------------------------- */

/* From @off, skip NOPs; the offset of the property there or -ENOENT. */
static int prop_at(const struct fdt *fdt, int off)
{
	uint32_t tag = 0;
	off = skip_nops(fdt, off, &tag);
	if (off < 0)
		return off;
	return tag == FDT_PROP ? off : -ENOENT;
}

int fdt_first_prop(const struct fdt *fdt, int node)
{
	int off = node_body(fdt, node);
	return off < 0 ? off : prop_at(fdt, off);
}

int fdt_next_prop(const struct fdt *fdt, int prop)
{
	uint32_t tag = 0;
	int next = 0;
	int err = read_token(fdt, prop, &tag, &next);
	if (err)
		return err;
	if (tag != FDT_PROP)
		return -EINVAL;
	return prop_at(fdt, next);
}

int fdt_prop_info(const struct fdt *fdt, int prop, const char **name,
		  const void **value, uint32_t *len)
{
	uint32_t tag = 0;
	int next = 0;
	if (read_token(fdt, prop, &tag, &next) || tag != FDT_PROP)
		return -EINVAL;
	const char *pname = prop_name(fdt, prop);
	if (pname == NULL)
		return -EINVAL;
	if (name)
		*name = pname;
	if (value)
		*value = struct_ptr(fdt, (uint32_t)prop + 12);
	if (len)
		*len = get_be32(struct_ptr(fdt, (uint32_t)prop + 4));
	return 0;
}

const void *fdt_getprop(const struct fdt *fdt, int node, const char *name,
			int *lenp)
{
	int prop;
	for (prop = fdt_first_prop(fdt, node); prop >= 0;
	     prop = fdt_next_prop(fdt, prop)) {
		const char *pname;
		const void *value;
		uint32_t len;
		if (fdt_prop_info(fdt, prop, &pname, &value, &len)) {
			prop = -EINVAL;
			break;
		}
		if (str_equal(pname, name)) {
			if (lenp)
				*lenp = (int)len;   /* < FDT_MAX_TOTALSIZE */
			return value;
		}
	}
	if (lenp)
		*lenp = prop;
	return NULL;
}

int fdt_read_u32(const struct fdt *fdt, int node, const char *name,
		 uint32_t *out)
{
	int len;
	const uint8_t *p = fdt_getprop(fdt, node, name, &len);
	if (p == NULL)
		return len;
	if (len != 4)
		return -EINVAL;
	*out = get_be32(p);
	return 0;
}

int fdt_read_u64(const struct fdt *fdt, int node, const char *name,
		 uint64_t *out)
{
	int len;
	const uint8_t *p = fdt_getprop(fdt, node, name, &len);
	if (p == NULL)
		return len;
	if (len != 4 && len != 8)
		return -EINVAL;
	*out = read_cells(p, len / 4);
	return 0;
}

int fdt_read_string(const struct fdt *fdt, int node, const char *name,
		    const char **out)
{
	int len;
	const char *p = fdt_getprop(fdt, node, name, &len);
	if (p == NULL)
		return len;
	if (len < 1 || p[len - 1] != '\0')
		return -EINVAL;
	*out = p;
	return 0;
}

bool fdt_stringlist_contains(const char *list, int len, const char *str)
{
	size_t want = c_strlen(str);
	int i = 0;

	while (i < len) {
		int64_t n = bounded_strlen((const uint8_t *)list + i,
					   (uint32_t)(len - i));
		if (n < 0)
			return false;   /* unterminated tail: malformed */
		if ((size_t)n == want && bytes_equal(list + i, str, want))
			return true;
		i += (int)n + 1;
	}
	return false;
}

bool fdt_node_is_compatible(const struct fdt *fdt, int node,
			    const char *compat)
{
	int len;
	const char *list = fdt_getprop(fdt, node, "compatible", &len);
	return list && fdt_stringlist_contains(list, len, compat);
}

int fdt_find_compatible(const struct fdt *fdt, int start, const char *compat)
{
	int node;
	for (node = fdt_next_node(fdt, start, NULL); node >= 0;
	     node = fdt_next_node(fdt, node, NULL))
		if (fdt_node_is_compatible(fdt, node, compat))
			return node;
	return node;
}

int fdt_find_phandle(const struct fdt *fdt, uint32_t phandle)
{
	int node;
	if (phandle == 0 || phandle == 0xffffffffu)
		return -ENOENT;   /* reserved values, never a real phandle */
	for (node = fdt_next_node(fdt, -1, NULL); node >= 0;
	     node = fdt_next_node(fdt, node, NULL)) {
		uint32_t value = 0;
		if ((fdt_read_u32(fdt, node, "phandle", &value) == 0 ||
		     fdt_read_u32(fdt, node, "linux,phandle", &value) == 0) &&
		    value == phandle)
			return node;
	}
	return node;
}

bool fdt_node_is_enabled(const struct fdt *fdt, int node)
{
	const char *status = NULL;
	int err = fdt_read_string(fdt, node, "status", &status);
	if (err == -ENOENT)
		return true;
	return err == 0 && (str_equal(status, "okay") || str_equal(status, "ok"));
}

/* ---- Addresses ---------------------------------------------------------- */

static int read_cell_count(const struct fdt *fdt, int node, const char *name,
			   int fallback)
{
	uint32_t cells = 0;
	int err = fdt_read_u32(fdt, node, name, &cells);
	if (err == -ENOENT)
		return fallback;
	if (err)
		return err;
	return cells <= 2 ? (int)cells : -EINVAL;
}

int fdt_address_cells(const struct fdt *fdt, int node)
{
	return read_cell_count(fdt, node, "#address-cells", 2);
}

int fdt_size_cells(const struct fdt *fdt, int node)
{
	return read_cell_count(fdt, node, "#size-cells", 1);
}

int fdt_read_reg_cells(const struct fdt *fdt, int node, unsigned index,
		       int address_cells, int size_cells,
		       uint64_t *addr, uint64_t *size)
{
	if (address_cells < 1 || address_cells > 2 ||
	    size_cells < 0 || size_cells > 2)
		return -EINVAL;

	int len;
	const uint8_t *reg = fdt_getprop(fdt, node, "reg", &len);
	if (reg == NULL)
		return len;

	unsigned entry = 4u * (unsigned)(address_cells + size_cells);
	if ((unsigned)len % entry != 0)
		return -EINVAL;
	if (index >= (unsigned)len / entry)
		return -ENOENT;

	const uint8_t *p = reg + (size_t)index * entry;
	*addr = read_cells(p, address_cells);
	*size = size_cells ? read_cells(p + 4 * address_cells, size_cells) : 0;
	return 0;
}

int fdt_read_reg(const struct fdt *fdt, int node, unsigned index,
		 uint64_t *addr, uint64_t *size)
{
	int parent = fdt_parent_offset(fdt, node);
	if (parent < 0)
		return parent == -ENOENT ? -EINVAL : parent;

	int ac = fdt_address_cells(fdt, parent);
	int sc = fdt_size_cells(fdt, parent);
	if (ac < 0 || sc < 0)
		return -EINVAL;
	return fdt_read_reg_cells(fdt, node, index, ac, sc, addr, size);
}

/* ---- Platform description ---------------------------------------------- */

static void add_region(struct fdt_region *array, unsigned *count,
		       unsigned max, unsigned *dropped,
		       uint64_t base, uint64_t size)
{
	if (size == 0)
		return;
	if (*count >= max) {
		(*dropped)++;
		return;
	}
	array[*count].base = base;
	array[*count].size = size;
	(*count)++;
}

/* Every reg entry of @node, in @parent's cell format, into @array. */
static void add_reg_regions(const struct fdt *fdt, int parent, int node,
			    struct fdt_region *array, unsigned *count,
			    unsigned max, unsigned *dropped)
{
	int ac = fdt_address_cells(fdt, parent);
	int sc = fdt_size_cells(fdt, parent);
	uint64_t base = 0, size = 0;

	for (unsigned i = 0;
	     fdt_read_reg_cells(fdt, node, i, ac, sc, &base, &size) == 0; i++)
		add_region(array, count, max, dropped, base, size);
}

static bool has_device_type(const struct fdt *fdt, int node, const char *type)
{
	const char *value = NULL;
	return fdt_read_string(fdt, node, "device_type", &value) == 0 &&
	       str_equal(value, type);
}

static void parse_memory(const struct fdt *fdt, struct fdt_platform *out)
{
	int root = fdt_root(fdt);
	for (int node = fdt_first_child(fdt, root); node >= 0;
	     node = fdt_next_sibling(fdt, node))
		if (has_device_type(fdt, node, "memory") &&
		    fdt_node_is_enabled(fdt, node))
			add_reg_regions(fdt, root, node, out->mem, &out->mem_count,
					FDT_MAX_MEM_REGIONS, &out->dropped);
}

static void parse_reserved(const struct fdt *fdt, struct fdt_platform *out)
{
	uint64_t base = 0, size = 0;
	for (unsigned i = 0; fdt_get_mem_rsv(fdt, i, &base, &size) == 0; i++)
		add_region(out->reserved, &out->reserved_count,
			   FDT_MAX_RESERVED, &out->dropped, base, size);

	int parent = fdt_path_offset(fdt, "/reserved-memory");
	for (int node = fdt_first_child(fdt, parent); node >= 0;
	     node = fdt_next_sibling(fdt, node))
		if (fdt_node_is_enabled(fdt, node))
			add_reg_regions(fdt, parent, node, out->reserved,
					&out->reserved_count, FDT_MAX_RESERVED,
					&out->dropped);
}

static bool is_cpu_node(const struct fdt *fdt, int node)
{
	if (has_device_type(fdt, node, "cpu"))
		return true;
	const char *name = fdt_node_name(fdt, node, NULL);
	return name && node_name_matches(name, "cpu", 3);
}

static void add_hart(const struct fdt *fdt, int cpus, int node,
		     struct fdt_platform *out)
{
	int ac = fdt_address_cells(fdt, cpus);
	int sc = fdt_size_cells(fdt, cpus);
	uint64_t hartid = 0, unused = 0;

	if (fdt_read_reg_cells(fdt, node, 0, ac, sc, &hartid, &unused))
		return;   /* a cpu without a hart id is unusable */
	if (out->hart_count >= FDT_MAX_HARTS) {
		out->dropped++;
		return;
	}
	struct fdt_hart *hart = &out->harts[out->hart_count++];
	hart->hartid = hartid;
	hart->enabled = fdt_node_is_enabled(fdt, node);
	if (fdt_read_string(fdt, node, "riscv,isa", &hart->isa))
		hart->isa = NULL;
	if (out->timebase_frequency == 0)   /* older trees put it per cpu */
		fdt_read_u64(fdt, node, "timebase-frequency",
			     &out->timebase_frequency);
}

static void parse_cpus(const struct fdt *fdt, struct fdt_platform *out)
{
	int cpus = fdt_path_offset(fdt, "/cpus");
	if (fdt_read_u64(fdt, cpus, "timebase-frequency",
			 &out->timebase_frequency))
		out->timebase_frequency = 0;
	for (int node = fdt_first_child(fdt, cpus); node >= 0;
	     node = fdt_next_sibling(fdt, node))
		if (is_cpu_node(fdt, node))
			add_hart(fdt, cpus, node, out);
}

static void parse_chosen(const struct fdt *fdt, struct fdt_platform *out)
{
	int chosen = fdt_path_offset(fdt, "/chosen");
	if (chosen < 0)
		return;
	if (fdt_read_string(fdt, chosen, "bootargs", &out->bootargs))
		out->bootargs = NULL;
	if (fdt_read_string(fdt, chosen, "stdout-path", &out->stdout_path) &&
	    fdt_read_string(fdt, chosen, "linux,stdout-path", &out->stdout_path))
		out->stdout_path = NULL;

	uint64_t start = 0, end = 0;
	if (fdt_read_u64(fdt, chosen, "linux,initrd-start", &start) == 0 &&
	    fdt_read_u64(fdt, chosen, "linux,initrd-end", &end) == 0 &&
	    start <= end) {
		out->has_initrd = true;
		out->initrd_start = start;
		out->initrd_end = end;
	}
}

/* Base, size and first interrupt of @node; false if it has no usable reg. */
static bool fill_device(const struct fdt *fdt, int node, struct fdt_device *dev)
{
	zero_bytes(dev, sizeof(*dev));
	if (fdt_read_reg(fdt, node, 0, &dev->base, &dev->size))
		return false;

	int len;
	const uint8_t *irqs = fdt_getprop(fdt, node, "interrupts", &len);
	if (irqs && len >= 4) {
		dev->has_irq = true;
		dev->irq = get_be32(irqs);
	}
	dev->present = true;
	return true;
}

/* First enabled node compatible with one of the NULL-terminated @compats. */
static int find_enabled(const struct fdt *fdt, const char *const *compats)
{
	int node;
	for (node = fdt_next_node(fdt, -1, NULL); node >= 0;
	     node = fdt_next_node(fdt, node, NULL)) {
		if (!fdt_node_is_enabled(fdt, node))
			continue;
		for (const char *const *c = compats; *c; c++)
			if (fdt_node_is_compatible(fdt, node, *c))
				return node;
	}
	return node;
}

static void find_device(const struct fdt *fdt, const char *const *compats,
			struct fdt_device *dev)
{
	int node = find_enabled(fdt, compats);
	if (node >= 0)
		fill_device(fdt, node, dev);
}

static const char *const uart_compats[] = { "ns16550a", "ns16550", NULL };

/* The console UART: the stdout-path node if it is an NS16550, else the
 * first enabled NS16550. */
static int find_uart(const struct fdt *fdt, const char *stdout_path)
{
	if (stdout_path) {
		size_t len = 0;
		while (stdout_path[len] && stdout_path[len] != ':')
			len++;   /* "path:115200n8" carries console options */
		int node = fdt_path_offset_len(fdt, stdout_path, len);
		for (const char *const *c = uart_compats; node >= 0 && *c; c++)
			if (fdt_node_is_compatible(fdt, node, *c))
				return node;
	}
	return find_enabled(fdt, uart_compats);
}

static void parse_uart(const struct fdt *fdt, struct fdt_platform *out)
{
	struct fdt_uart *uart = &out->uart;
	int node = find_uart(fdt, out->stdout_path);
	if (node < 0 || !fill_device(fdt, node, &uart->dev))
		return;

	/* QEMU writes clock-frequency as raw bytes; any 4-byte value works. */
	if (fdt_read_u32(fdt, node, "clock-frequency", &uart->clock_frequency))
		uart->clock_frequency = 0;
	if (fdt_read_u32(fdt, node, "reg-shift", &uart->reg_shift))
		uart->reg_shift = 0;
	if (fdt_read_u32(fdt, node, "reg-io-width", &uart->reg_io_width))
		uart->reg_io_width = 1;
}

static void parse_plic(const struct fdt *fdt, struct fdt_platform *out)
{
	static const char *const compats[] = {
		"riscv,plic0", "sifive,plic-1.0.0", NULL };
	int node = find_enabled(fdt, compats);
	if (node < 0 || !fill_device(fdt, node, &out->plic.dev))
		return;
	if (fdt_read_u32(fdt, node, "riscv,ndev", &out->plic.ndev))
		out->plic.ndev = 0;
}

static void parse_timers(const struct fdt *fdt, struct fdt_platform *out)
{
	static const char *const clint[] = {
		"riscv,clint0", "sifive,clint0", NULL };
	static const char *const mtimer[] = { "riscv,aclint-mtimer", NULL };
	static const char *const mswi[] = { "riscv,aclint-mswi", NULL };
	static const char *const rtc[] = { "google,goldfish-rtc", NULL };

	find_device(fdt, clint, &out->clint);
	find_device(fdt, mtimer, &out->aclint_mtimer);
	find_device(fdt, mswi, &out->aclint_mswi);
	find_device(fdt, rtc, &out->rtc);
}

static void parse_syscon(const struct fdt *fdt, const char *compat,
			 struct fdt_syscon_action *act)
{
	const char *const compats[] = { compat, NULL };
	int node = find_enabled(fdt, compats);
	if (node < 0 || fdt_read_u32(fdt, node, "regmap", &act->regmap))
		return;
	if (fdt_read_u32(fdt, node, "offset", &act->offset))
		return;

	/* As in Linux: "value" and "mask" are each optional, not both. */
	bool has_value = fdt_read_u32(fdt, node, "value", &act->value) == 0;
	bool has_mask = fdt_read_u32(fdt, node, "mask", &act->mask) == 0;
	if (!has_value && !has_mask)
		return;
	if (!has_value)
		act->value = act->mask;
	if (!has_mask)
		act->mask = 0xffffffffu;
	act->present = true;

	uint64_t size = 0;
	int syscon = fdt_find_phandle(fdt, act->regmap);
	act->base_valid = syscon >= 0 &&
			  fdt_read_reg(fdt, syscon, 0, &act->base, &size) == 0;
}

/* Field by field: a struct assignment may become a memcpy() call. */
static void copy_device(struct fdt_device *dst, const struct fdt_device *src)
{
	dst->present = src->present;
	dst->has_irq = src->has_irq;
	dst->base = src->base;
	dst->size = src->size;
	dst->irq = src->irq;
}

/* Insert keeping virtio[] sorted by base; past the end, keep the lowest. */
static void add_virtio(struct fdt_platform *out, const struct fdt_device *dev)
{
	unsigned n = out->virtio_count;
	if (n == FDT_MAX_VIRTIO) {
		out->dropped++;
		if (dev->base >= out->virtio[n - 1].base)
			return;
		n--;   /* the highest one makes room */
	} else {
		out->virtio_count++;
	}
	while (n > 0 && out->virtio[n - 1].base > dev->base) {
		copy_device(&out->virtio[n], &out->virtio[n - 1]);
		n--;
	}
	copy_device(&out->virtio[n], dev);
}

static void parse_virtio(const struct fdt *fdt, struct fdt_platform *out)
{
	struct fdt_device dev;
	for (int node = fdt_find_compatible(fdt, -1, "virtio,mmio"); node >= 0;
	     node = fdt_find_compatible(fdt, node, "virtio,mmio"))
		if (fdt_node_is_enabled(fdt, node) && fill_device(fdt, node, &dev))
			add_virtio(out, &dev);
}

int fdt_parse_platform(const void *blob, size_t maxlen,
		       struct fdt_platform *out)
{
	struct fdt fdt;
	zero_bytes(out, sizeof(*out));
	int err = fdt_init(&fdt, blob, maxlen);
	if (err)
		return err;

	out->boot_hartid = fdt.boot_cpuid;
	parse_memory(&fdt, out);
	parse_reserved(&fdt, out);
	parse_cpus(&fdt, out);
	parse_chosen(&fdt, out);
	parse_uart(&fdt, out);
	parse_plic(&fdt, out);
	parse_timers(&fdt, out);
	parse_syscon(&fdt, "syscon-poweroff", &out->poweroff);
	parse_syscon(&fdt, "syscon-reboot", &out->reboot);
	parse_virtio(&fdt, out);
	return 0;
}
