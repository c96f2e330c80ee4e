/*
 * ELF64 header validation and "#!" parsing.  See elf.h for the contract.
 *
 * All header fields are read byte by byte (little-endian), so the buffer
 * may have any alignment, and all range checks are written as
 * "off <= limit && len <= limit - off" so that no sum can wrap.
 */
#include "elf.h"
#include "errno.h"
#include "byteorder.h"

/* ---- Helpers ------------------------------------------------------------ */

/* Is [off, off + len) inside [0, limit)? */
static bool range_ok(uint64_t off, uint64_t len, uint64_t limit)
{
	return off <= limit && len <= limit - off;
}

static bool is_pow2(uint64_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

static uint64_t align_down(uint64_t x, uint64_t align)
{
	return x & ~(align - 1);
}

/* Round @x up to @align (a power of two); false if that wraps. */
static bool align_up(uint64_t x, uint64_t align, uint64_t *out)
{
	if (x > UINT64_MAX - (align - 1))
		return false;
	*out = align_down(x + align - 1, align);
	return true;
}

static void zero_bytes(void *p, size_t n)
{
	volatile uint8_t *b = p;   /* volatile: never turned into a memset call */
	while (n--)
		*b++ = 0;
}

/* ---- Decoding ----------------------------------------------------------- */

static void read_ehdr(const uint8_t *p, Elf64_Ehdr *eh)
{
	for (int i = 0; i < EI_NIDENT; i++)
		eh->e_ident[i] = p[i];
	eh->e_type = get_le16(p + 16);
	eh->e_machine = get_le16(p + 18);
	eh->e_version = get_le32(p + 20);
	eh->e_entry = get_le64(p + 24);
	eh->e_phoff = get_le64(p + 32);
	eh->e_shoff = get_le64(p + 40);
	eh->e_flags = get_le32(p + 48);
	eh->e_ehsize = get_le16(p + 52);
	eh->e_phentsize = get_le16(p + 54);
	eh->e_phnum = get_le16(p + 56);
	eh->e_shentsize = get_le16(p + 58);
	eh->e_shnum = get_le16(p + 60);
	eh->e_shstrndx = get_le16(p + 62);
}

static void read_phdr(const uint8_t *p, Elf64_Phdr *ph)
{
	ph->p_type = get_le32(p);
	ph->p_flags = get_le32(p + 4);
	ph->p_offset = get_le64(p + 8);
	ph->p_vaddr = get_le64(p + 16);
	ph->p_paddr = get_le64(p + 24);
	ph->p_filesz = get_le64(p + 32);
	ph->p_memsz = get_le64(p + 40);
	ph->p_align = get_le64(p + 48);
}

/* ---- Validation --------------------------------------------------------- */

static int check_ehdr(const Elf64_Ehdr *eh, uint64_t avail)
{
	const unsigned char *id = eh->e_ident;

	if (id[0] != ELFMAG[0] || id[1] != ELFMAG[1] ||
	    id[2] != ELFMAG[2] || id[3] != ELFMAG[3])
		return -ENOEXEC;
	if (id[EI_CLASS] != ELFCLASS64 || id[EI_DATA] != ELFDATA2LSB ||
	    id[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
		return -ENOEXEC;
	if (eh->e_machine != EM_RISCV)
		return -ENOEXEC;
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		return -ENOEXEC;
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return -ENOEXEC;
	if (eh->e_phnum < 1 || eh->e_phnum > ELF_MAX_PHNUM)
		return -ENOEXEC;
	/* phnum * phentsize <= 64 * 56: no overflow possible. */
	if (!range_ok(eh->e_phoff, (uint64_t)eh->e_phnum * eh->e_phentsize, avail))
		return -ENOEXEC;
	return 0;
}

/* Bytes [offset, offset + size) must exist in the file. */
static bool in_file(uint64_t offset, uint64_t size, uint64_t file_size)
{
	return range_ok(offset, size, file_size);
}

static int check_load(const Elf64_Phdr *ph, uint64_t file_size,
		      uint64_t user_limit)
{
	if (ph->p_filesz > ph->p_memsz)
		return -ENOEXEC;
	if (!in_file(ph->p_offset, ph->p_filesz, file_size))
		return -ENOEXEC;
	if (!range_ok(ph->p_vaddr, ph->p_memsz, user_limit))
		return -ENOEXEC;
	/* mmap() needs file offset and address congruent modulo a page. */
	if ((ph->p_vaddr - ph->p_offset) % ELF_PAGE_SIZE != 0)
		return -ENOEXEC;
	if (ph->p_align > 1 && !is_pow2(ph->p_align))
		return -ENOEXEC;
	return 0;
}

static uint32_t flags_to_prot(uint32_t flags)
{
	return (flags & PF_R ? ELF_PROT_R : 0) |
	       (flags & PF_W ? ELF_PROT_W : 0) |
	       (flags & PF_X ? ELF_PROT_X : 0);
}

static int add_load(struct elf_image *img, const Elf64_Phdr *ph,
		    uint64_t file_size, uint64_t user_limit)
{
	int err = check_load(ph, file_size, user_limit);
	if (err)
		return err;
	if (ph->p_memsz == 0)
		return 0;   /* maps nothing; ignore like Linux does */
	if (img->nsegs == ELF_MAX_SEGMENTS)
		return -ENOEXEC;

	/* The gABI requires PT_LOADs sorted by p_vaddr; also refuse overlap,
	 * which would let one segment's file data clobber another's. */
	if (img->nsegs > 0) {
		const struct elf_segment *prev = &img->segs[img->nsegs - 1];
		if (ph->p_vaddr < prev->vaddr + prev->memsz)
			return -ENOEXEC;
	}

	struct elf_segment *seg = &img->segs[img->nsegs++];
	seg->vaddr = ph->p_vaddr;
	seg->memsz = ph->p_memsz;
	seg->offset = ph->p_offset;
	seg->filesz = ph->p_filesz;
	seg->prot = flags_to_prot(ph->p_flags);
	if (ph->p_align > img->max_align)
		img->max_align = ph->p_align;
	return 0;
}

static int note_interp(struct elf_image *img, const Elf64_Phdr *ph,
		       uint64_t file_size)
{
	/* A path plus its NUL, at most PATH_MAX (4096) bytes. */
	if (ph->p_filesz < 2 || ph->p_filesz > 4096 ||
	    !in_file(ph->p_offset, ph->p_filesz, file_size))
		return -ENOEXEC;
	if (!img->has_interp) {
		img->has_interp = true;
		img->interp_offset = ph->p_offset;
		img->interp_size = ph->p_filesz;
	}
	return 0;
}

static int note_tls(struct elf_image *img, const Elf64_Phdr *ph,
		    uint64_t file_size)
{
	if (ph->p_filesz > ph->p_memsz ||
	    !in_file(ph->p_offset, ph->p_filesz, file_size) ||
	    (ph->p_align > 1 && !is_pow2(ph->p_align)))
		return -ENOEXEC;
	img->has_tls = true;
	img->tls_vaddr = ph->p_vaddr;
	img->tls_filesz = ph->p_filesz;
	img->tls_memsz = ph->p_memsz;
	img->tls_align = ph->p_align;
	return 0;
}

static int handle_phdr(struct elf_image *img, const Elf64_Phdr *ph,
		       uint64_t file_size, uint64_t user_limit)
{
	switch (ph->p_type) {
	case PT_LOAD:
		return add_load(img, ph, file_size, user_limit);
	case PT_INTERP:
		return note_interp(img, ph, file_size);
	case PT_TLS:
		return note_tls(img, ph, file_size);
	case PT_GNU_STACK:
		img->has_gnu_stack = true;
		img->exec_stack = (ph->p_flags & PF_X) != 0;
		return 0;
	case PT_PHDR:
		img->phdr_mapped = true;
		img->phdr_vaddr = ph->p_vaddr;
		return 0;
	default:
		return 0;
	}
}

/* Without PT_PHDR, the headers are where the PT_LOAD holding e_phoff
 * puts them (how Linux computes AT_PHDR). */
static void locate_phdrs(struct elf_image *img)
{
	uint64_t size = (uint64_t)img->phnum * img->phentsize;

	for (unsigned i = 0; i < img->nsegs && !img->phdr_mapped; i++) {
		const struct elf_segment *seg = &img->segs[i];
		if (img->phoff >= seg->offset &&
		    range_ok(img->phoff - seg->offset, size, seg->filesz)) {
			img->phdr_mapped = true;
			img->phdr_vaddr = seg->vaddr + (img->phoff - seg->offset);
		}
	}
}

static void compute_bounds(struct elf_image *img)
{
	const struct elf_segment *last = &img->segs[img->nsegs - 1];

	if (img->max_align < ELF_PAGE_SIZE)
		img->max_align = ELF_PAGE_SIZE;
	img->vaddr_min = align_down(img->segs[0].vaddr, ELF_PAGE_SIZE);
	/* check_load() bounded the end by user_limit; rounding it up can
	 * still wrap only for a limit in the top page, so saturate. */
	if (!align_up(last->vaddr + last->memsz, ELF_PAGE_SIZE, &img->vaddr_max))
		img->vaddr_max = align_down(UINT64_MAX, ELF_PAGE_SIZE);
}

int elf_parse(const void *buf, size_t buflen, uint64_t file_size,
	      uint64_t user_limit, struct elf_image *img)
{
	const uint8_t *p = buf;
	uint64_t avail = buflen < file_size ? buflen : file_size;
	Elf64_Ehdr eh;

	zero_bytes(img, sizeof(*img));
	if (p == NULL || avail < sizeof(Elf64_Ehdr))
		return -ENOEXEC;
	read_ehdr(p, &eh);
	int err = check_ehdr(&eh, avail);
	if (err)
		return err;

	img->type = eh.e_type;
	img->entry = eh.e_entry;
	img->phoff = eh.e_phoff;
	img->phnum = eh.e_phnum;
	img->phentsize = eh.e_phentsize;

	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		read_phdr(p + eh.e_phoff + (uint64_t)i * eh.e_phentsize, &ph);
		err = handle_phdr(img, &ph, file_size, user_limit);
		if (err)
			return err;
	}
	if (img->nsegs == 0)
		return -ENOEXEC;

	locate_phdrs(img);
	compute_bounds(img);
	return 0;
}

int elf_load_bias(const struct elf_image *img, uint64_t preferred_base,
		  uint64_t user_limit, uint64_t *bias)
{
	if (img->type == ET_EXEC) {
		*bias = 0;
		return img->vaddr_max <= user_limit ? 0 : -ENOMEM;
	}

	/* Keep every segment's alignment: move the image by a multiple of
	 * the largest p_align.  The bias is added modulo 2^64, so it may
	 * "wrap" when the image asks for addresses above @preferred_base. */
	uint64_t align = img->max_align, base;
	if (!is_pow2(align) || !align_up(preferred_base, align, &base))
		return -ENOMEM;
	uint64_t start = align_down(img->vaddr_min, align);
	uint64_t span = img->vaddr_max - start;
	if (!range_ok(base, span, user_limit))
		return -ENOMEM;
	*bias = base - start;
	return 0;
}

/* ---- "#!" scripts (Linux fs/binfmt_script.c semantics) ------------------- */

/*
 * Linux reads the first SHEBANG_BUF bytes of the file into a zeroed
 * buffer; at() gives the byte at @i of that buffer.
 */
struct script_buf {
	const char *data;
	size_t len;
};

static char at(const struct script_buf *sb, size_t i)
{
	return i < sb->len ? sb->data[i] : '\0';
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* First index in [first, last] that is not a blank; SIZE_MAX if none. */
static size_t skip_blanks(const struct script_buf *sb, size_t first, size_t last)
{
	for (; first <= last; first++)
		if (!is_blank(at(sb, first)))
			return first;
	return SIZE_MAX;
}

/* First index in [first, last] holding a blank or NUL; SIZE_MAX if none. */
static size_t find_terminator(const struct script_buf *sb, size_t first,
			      size_t last)
{
	for (; first <= last; first++)
		if (is_blank(at(sb, first)) || at(sb, first) == '\0')
			return first;
	return SIZE_MAX;
}

/* Index where the "#!" line ends (exclusive), or SIZE_MAX if the line is
 * cut so early that the interpreter name itself may be truncated. */
static size_t line_end(const struct script_buf *sb)
{
	const size_t last = SHEBANG_BUF - 1;

	for (size_t i = 0; i < SHEBANG_BUF; i++)
		if (at(sb, i) == '\n')
			return i;

	size_t name = skip_blanks(sb, 2, last);
	if (name == SIZE_MAX || find_terminator(sb, name, last) == SIZE_MAX)
		return SIZE_MAX;
	return last;   /* the argument may be cut; the interpreter is whole */
}

int shebang_parse(const char *buf, size_t len,
		  const char **interp, size_t *interp_len,
		  const char **arg, size_t *arg_len)
{
	struct script_buf sb = { buf, len };

	if (buf == NULL || at(&sb, 0) != '#' || at(&sb, 1) != '!')
		return -ENOEXEC;

	size_t end = line_end(&sb);
	if (end == SIZE_MAX)
		return -ENOEXEC;
	while (is_blank(at(&sb, end - 1)))   /* stops at the '!' at worst */
		end--;

	size_t name = skip_blanks(&sb, 2, end);
	if (name == SIZE_MAX || name == end)
		return -ENOEXEC;

	size_t sep = find_terminator(&sb, name, end);
	size_t name_end = sep == SIZE_MAX ? end : sep;
	if (name_end == name)
		return -ENOEXEC;   /* "#!" then NUL: Linux fails the open later */
	*interp = buf + name;
	*interp_len = name_end - name;

	*arg = NULL;
	*arg_len = 0;
	if (sep != SIZE_MAX && at(&sb, sep) != '\0') {
		size_t start = skip_blanks(&sb, sep, end);
		if (start != SIZE_MAX) {
			/* The argument runs to the line end or an embedded NUL. */
			size_t stop = start;
			while (stop < end && at(&sb, stop) != '\0')
				stop++;
			*arg = buf + start;
			*arg_len = stop - start;
		}
	}
	return 0;
}
