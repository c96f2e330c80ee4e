/*
 * Read-only flattened device tree (DTB) parser.
 *
 * Follows the Devicetree Specification v0.4, chapter 5 ("Flattened
 * Devicetree (DTB) Format").  Everything in a DTB is big-endian.
 *
 * The blob is untrusted: fdt_init() validates the header and block
 * layout once, and every later access re-checks its own offsets against
 * the validated block sizes, so a malformed tree yields a negative errno
 * (-EINVAL for malformed data, -ENOENT for "not there") and never an
 * out-of-bounds read or an endless loop.
 *
 * Nodes are named by their offset inside the structure block (an int >= 0,
 * pointing at the node's FDT_BEGIN_NODE token), as in libfdt.  Functions
 * returning a node return a negative errno instead when there is none.
 *
 * Strings handed out (names, property strings) point into the blob, which
 * must therefore outlive every user of them.
 */
#ifndef OPENV_FDT_H
#define OPENV_FDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FDT_MAGIC 0xd00dfeedu

/* Deepest node nesting fdt_parent_offset() can follow. */
#define FDT_MAX_DEPTH 32

/* A validated blob.  Fill it with fdt_init(); treat it as read-only. */
struct fdt {
	const uint8_t *blob;
	uint32_t totalsize;
	uint32_t struct_off, struct_size;   /* structure block */
	uint32_t strings_off, strings_size; /* strings block */
	uint32_t rsvmap_off;                /* memory reservation block */
	uint32_t rsvmap_count;              /* entries before the 0,0 end */
	uint32_t version;
	uint32_t boot_cpuid;
};

/*
 * Validate the blob at @blob, of which at most @maxlen bytes may be read.
 * Header: magic, version >= 16 and last_comp_version <= 17, totalsize
 * <= maxlen, the structure, strings and reservation blocks inside
 * totalsize and after the header, the reservation map 8-byte aligned and
 * terminated.  Structure block: only known tokens, every name and value
 * inside the block, property names inside the strings block, exactly one
 * root, balanced and at most FDT_MAX_DEPTH deep, ending with FDT_END.
 * Returns 0 or -EINVAL.
 */
int fdt_check(const void *blob, size_t maxlen);

/*
 * fdt_check() and fill @fdt.  Returns 0 or -EINVAL; after a failure @fdt
 * describes an empty blob, so any accessor used on it fails cleanly.
 */
int fdt_init(struct fdt *fdt, const void *blob, size_t maxlen);

/* Entry @index of the memory reservation block.  0, -ENOENT or -EINVAL. */
int fdt_get_mem_rsv(const struct fdt *fdt, unsigned index,
		    uint64_t *addr, uint64_t *size);

/* ---- Walking the tree ---------------------------------------------- */

/* The root node ("/"). */
int fdt_root(const struct fdt *fdt);

/* First child of @node, or -ENOENT if it has none. */
int fdt_first_child(const struct fdt *fdt, int node);

/* Next sibling of @node, or -ENOENT after the last one. */
int fdt_next_sibling(const struct fdt *fdt, int node);

/*
 * The node following @node in document order (depth first), whatever its
 * depth; pass @node < 0 to get the root.  If @depth is not NULL it is
 * adjusted by the change in depth (root = 0 when starting from -1).
 * Returns -ENOENT at the end of the tree.
 */
int fdt_next_node(const struct fdt *fdt, int node, int *depth);

/* The parent of @node; -ENOENT for the root. */
int fdt_parent_offset(const struct fdt *fdt, int node);

/*
 * Child of @parent called @name (@len bytes, not necessarily
 * NUL-terminated).  A name without '@' also matches "name@unit-address".
 */
int fdt_subnode_offset(const struct fdt *fdt, int parent,
		       const char *name, size_t len);

/*
 * The node at an absolute path such as "/soc/serial@10000000", or, if the
 * path does not start with '/', at an alias from /aliases ("serial0" or
 * "serial0/child").  Only the first @len bytes of @path are used, so a
 * stdout-path like "/soc/serial@10000000:115200" can be cut at the ':'.
 */
int fdt_path_offset_len(const struct fdt *fdt, const char *path, size_t len);
int fdt_path_offset(const struct fdt *fdt, const char *path);

/* Name of @node ("" for the root, "cpu@0", ...), NULL if malformed. */
const char *fdt_node_name(const struct fdt *fdt, int node, size_t *len);

/* ---- Properties ----------------------------------------------------- */

/*
 * Value of property @name of @node, or NULL.  *lenp (if not NULL) gets the
 * value's length, or -ENOENT / -EINVAL when NULL is returned.
 */
const void *fdt_getprop(const struct fdt *fdt, int node, const char *name,
			int *lenp);

/* Property iteration: offsets of FDT_PROP tokens, -ENOENT at the end. */
int fdt_first_prop(const struct fdt *fdt, int node);
int fdt_next_prop(const struct fdt *fdt, int prop);
/* Name and value of the property at @prop.  0 or -EINVAL. */
int fdt_prop_info(const struct fdt *fdt, int prop, const char **name,
		  const void **value, uint32_t *len);

/* A property holding exactly one u32 cell.  0, -ENOENT or -EINVAL. */
int fdt_read_u32(const struct fdt *fdt, int node, const char *name,
		 uint32_t *out);
/* A property holding one or two cells (u32 or u64).  0, -ENOENT, -EINVAL. */
int fdt_read_u64(const struct fdt *fdt, int node, const char *name,
		 uint64_t *out);
/* A NUL-terminated string property.  0, -ENOENT or -EINVAL. */
int fdt_read_string(const struct fdt *fdt, int node, const char *name,
		    const char **out);

/* Does the stringlist @list (@len bytes) contain @str? */
bool fdt_stringlist_contains(const char *list, int len, const char *str);

/* Is @compat one of the strings of @node's "compatible" property? */
bool fdt_node_is_compatible(const struct fdt *fdt, int node,
			    const char *compat);

/*
 * The first node after @start (in document order; pass -1 to search from
 * the root) compatible with @compat, or -ENOENT.
 */
int fdt_find_compatible(const struct fdt *fdt, int start, const char *compat);

/* The node whose "phandle" property is @phandle, or -ENOENT. */
int fdt_find_phandle(const struct fdt *fdt, uint32_t phandle);

/* "status" absent, "okay" or "ok" (disabled/fail/... are not). */
bool fdt_node_is_enabled(const struct fdt *fdt, int node);

/* ---- Addresses ------------------------------------------------------- */

/*
 * #address-cells / #size-cells that @node declares for its children
 * (defaults 2 and 1).  Returns -EINVAL for values above 2, which this
 * parser cannot fold into 64 bits.
 */
int fdt_address_cells(const struct fdt *fdt, int node);
int fdt_size_cells(const struct fdt *fdt, int node);

/*
 * Entry @index of @node's "reg", using the cell counts of its parent.
 * Addresses are returned as written: bus "ranges" are not applied (they
 * are identity maps on the platforms openv runs on).
 * Returns 0, -ENOENT (no such entry) or -EINVAL.
 */
int fdt_read_reg(const struct fdt *fdt, int node, unsigned index,
		 uint64_t *addr, uint64_t *size);

/* Same with explicit cell counts (address 1..2, size 0..2). */
int fdt_read_reg_cells(const struct fdt *fdt, int node, unsigned index,
		       int address_cells, int size_cells,
		       uint64_t *addr, uint64_t *size);

/* ---- The platform description openv boots from ---------------------- */

#define FDT_MAX_MEM_REGIONS   8
#define FDT_MAX_RESERVED     16
#define FDT_MAX_HARTS         8
#define FDT_MAX_VIRTIO       32

struct fdt_region {
	uint64_t base;
	uint64_t size;
};

/* A memory-mapped device: its first reg entry and first interrupt. */
struct fdt_device {
	bool present;
	bool has_irq;
	uint64_t base;
	uint64_t size;
	uint32_t irq;
};

struct fdt_hart {
	uint64_t hartid;   /* from reg */
	bool enabled;      /* status absent/"okay" */
	const char *isa;   /* "riscv,isa", NULL if absent */
};

/* syscon-poweroff / syscon-reboot: write @value (under @mask) at
 * @base + @offset, where @base is the reg of the @regmap syscon node. */
struct fdt_syscon_action {
	bool present;
	bool base_valid;   /* regmap phandle resolved to a node with reg */
	uint32_t regmap;   /* phandle */
	uint64_t base;
	uint32_t offset;
	uint32_t value;
	uint32_t mask;     /* 0xffffffff when absent */
};

struct fdt_uart {
	struct fdt_device dev;
	uint32_t clock_frequency;  /* 0 if absent */
	uint32_t reg_shift;        /* 0 if absent */
	uint32_t reg_io_width;     /* 1 if absent */
};

struct fdt_plic {
	struct fdt_device dev;
	uint32_t ndev;             /* riscv,ndev */
};

struct fdt_platform {
	uint32_t boot_hartid;      /* header boot_cpuid_phys */

	struct fdt_region mem[FDT_MAX_MEM_REGIONS];
	unsigned mem_count;

	/* mem_rsvmap entries first, then /reserved-memory children. */
	struct fdt_region reserved[FDT_MAX_RESERVED];
	unsigned reserved_count;

	uint64_t timebase_frequency;   /* 0 if absent */

	struct fdt_hart harts[FDT_MAX_HARTS];
	unsigned hart_count;

	const char *bootargs;          /* NULL if absent */
	const char *stdout_path;       /* NULL if absent */

	bool has_initrd;
	uint64_t initrd_start, initrd_end;

	struct fdt_uart uart;          /* stdout-path's if it is ns16550a */
	struct fdt_plic plic;
	struct fdt_device clint;       /* riscv,clint0 / sifive,clint0 */
	struct fdt_device aclint_mtimer;
	struct fdt_device aclint_mswi;
	struct fdt_device rtc;         /* google,goldfish-rtc */
	struct fdt_syscon_action poweroff, reboot;

	/* virtio,mmio transports sorted by base address (the lowest ones if
	 * there are more than fit). */
	struct fdt_device virtio[FDT_MAX_VIRTIO];
	unsigned virtio_count;

	/* Entries that did not fit in the arrays above. */
	unsigned dropped;
};

/*
 * Validate the blob and fill @out.  Missing optional parts are left
 * zero/absent; the call fails (-EINVAL) only if the blob is malformed in
 * a way that stops the walk.  Nodes with status "disabled" are skipped
 * (except harts, which are listed with enabled = false).
 */
int fdt_parse_platform(const void *blob, size_t maxlen,
		       struct fdt_platform *out);

#endif /* OPENV_FDT_H */
