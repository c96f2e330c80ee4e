/*
 * ELF64 validation for static riscv64 programs, and "#!" script parsing.
 *
 * elf_parse() looks only at headers: the caller reads the start of the
 * file (ELF_HEADER_BUF bytes is enough for any accepted file, since the
 * program headers must lie inside the supplied buffer) and passes the
 * total file size, and gets back a checked description of what to map.
 * Malformed or unsupported files give -ENOEXEC, as Linux does, so the
 * caller can fall through to the next binary format.
 */
#ifndef OPENV_ELF_H
#define OPENV_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- ELF64 on-disk format (System V gABI) ------------------------------ */

typedef uint64_t Elf64_Addr;
typedef uint64_t Elf64_Off;
typedef uint16_t Elf64_Half;
typedef uint32_t Elf64_Word;
typedef uint64_t Elf64_Xword;

#define EI_NIDENT 16

typedef struct {
	unsigned char e_ident[EI_NIDENT];
	Elf64_Half e_type;
	Elf64_Half e_machine;
	Elf64_Word e_version;
	Elf64_Addr e_entry;
	Elf64_Off e_phoff;
	Elf64_Off e_shoff;
	Elf64_Word e_flags;
	Elf64_Half e_ehsize;
	Elf64_Half e_phentsize;
	Elf64_Half e_phnum;
	Elf64_Half e_shentsize;
	Elf64_Half e_shnum;
	Elf64_Half e_shstrndx;
} Elf64_Ehdr;

typedef struct {
	Elf64_Word p_type;
	Elf64_Word p_flags;
	Elf64_Off p_offset;
	Elf64_Addr p_vaddr;
	Elf64_Addr p_paddr;
	Elf64_Xword p_filesz;
	Elf64_Xword p_memsz;
	Elf64_Xword p_align;
} Elf64_Phdr;

/* e_ident */
#define EI_MAG0 0
#define EI_CLASS 4
#define EI_DATA 5
#define EI_VERSION 6
#define ELFMAG "\177ELF"
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EV_CURRENT 1

/* e_type, e_machine */
#define ET_EXEC 2
#define ET_DYN 3
#define EM_RISCV 243

/* p_type */
#define PT_NULL 0
#define PT_LOAD 1
#define PT_DYNAMIC 2
#define PT_INTERP 3
#define PT_NOTE 4
#define PT_PHDR 6
#define PT_TLS 7
#define PT_GNU_STACK 0x6474e551u

/* p_flags */
#define PF_X 0x1u
#define PF_W 0x2u
#define PF_R 0x4u

/* ---- Validated image ------------------------------------------------------ */

#define ELF_PAGE_SIZE 4096u
#define ELF_MAX_PHNUM 64
#define ELF_MAX_SEGMENTS 16          /* non-empty PT_LOADs accepted */
#define ELF_HEADER_BUF 4096u         /* what a caller should read first */

/* Protection bits for a segment (same values as PROT_READ/WRITE/EXEC). */
#define ELF_PROT_R 0x1u
#define ELF_PROT_W 0x2u
#define ELF_PROT_X 0x4u

/*
 * One PT_LOAD, as in the file: [vaddr, vaddr + memsz) is mapped, its first
 * filesz bytes come from [offset, offset + filesz) of the file, the rest
 * is zero.  Segments are sorted and never overlap byte-wise, but two
 * neighbours may share a page (the loader must merge their protections).
 */
struct elf_segment {
	uint64_t vaddr;
	uint64_t memsz;
	uint64_t offset;
	uint64_t filesz;
	uint32_t prot;    /* ELF_PROT_* */
};

struct elf_image {
	uint16_t type;            /* ET_EXEC or ET_DYN */
	uint64_t entry;           /* unbiased */

	uint64_t phoff;           /* program headers in the file */
	uint16_t phnum;
	uint16_t phentsize;
	bool phdr_mapped;         /* phdr_vaddr is valid */
	uint64_t phdr_vaddr;      /* for AT_PHDR (unbiased) */

	uint64_t vaddr_min;       /* lowest segment start, page aligned down */
	uint64_t vaddr_max;       /* highest segment end, page aligned up */
	uint64_t max_align;       /* largest PT_LOAD p_align, >= page size */

	bool has_interp;          /* PT_INTERP: dynamically linked */
	uint64_t interp_offset, interp_size;

	bool has_gnu_stack;       /* PT_GNU_STACK present */
	bool exec_stack;          /* its PF_X (false when absent) */

	bool has_tls;             /* PT_TLS: template for the TLS block */
	uint64_t tls_vaddr, tls_filesz, tls_memsz, tls_align;

	unsigned nsegs;
	struct elf_segment segs[ELF_MAX_SEGMENTS];
};

/*
 * Validate an ELF header and its program headers.  @buf holds the first
 * @buflen bytes of a file @file_size bytes long; every segment end must
 * lie at or below @user_limit (the end of user address space; for ET_DYN
 * the unbiased addresses are checked, elf_load_bias() checks the rest).
 *
 * Returns 0 and fills @img, or -ENOEXEC when the file is not an
 * acceptable riscv64 ELF executable.  A PT_INTERP is reported, not
 * refused: the caller decides.
 */
int elf_parse(const void *buf, size_t buflen, uint64_t file_size,
	      uint64_t user_limit, struct elf_image *img);

/*
 * The load bias for @img: 0 for ET_EXEC; for ET_DYN the offset that puts
 * vaddr_min at @preferred_base rounded up to the largest segment
 * alignment.  Fails with -ENOMEM if the biased image would not end at or
 * below @user_limit.
 */
int elf_load_bias(const struct elf_image *img, uint64_t preferred_base,
		  uint64_t user_limit, uint64_t *bias);

/* ---- "#!" scripts ---------------------------------------------------------- */

#define SHEBANG_BUF 256u   /* Linux's BINPRM_BUF_SIZE: only this is read */

/*
 * Parse a "#!interpreter [argument]" first line with Linux semantics:
 * only the first SHEBANG_BUF - 1 bytes count; leading blanks (space/tab)
 * are skipped; the interpreter ends at a blank, NUL or newline; the rest
 * of the line, blanks trimmed at both ends, is ONE optional argument.
 * If the line is cut by the size limit it is accepted only when the
 * interpreter itself ended before the cut.  An empty interpreter ("#!"
 * then NUL) is refused here; Linux would fail the later open instead.
 *
 * Returns 0 with pointers into @buf (not NUL-terminated: use the
 * lengths; *arg is NULL if there is no argument), or -ENOEXEC.
 */
int shebang_parse(const char *buf, size_t len,
		  const char **interp, size_t *interp_len,
		  const char **arg, size_t *arg_len);

#endif /* OPENV_ELF_H */
