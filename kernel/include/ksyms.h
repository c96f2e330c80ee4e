/* The kernel's own symbol table (for backtraces). */
#pragma once
#include "types.h"

const char *ksym_lookup(unsigned long addr, unsigned long *offset);   /* NULL if unknown */

/* The table (the .ksyms section, tools/gen-ksyms.sh): ksyms_count addresses, ascending, and
 * the offset of each one's name in ksyms_names. */
extern const uint64_t ksyms_count;
extern const uint64_t ksyms_addr[];
extern const uint32_t ksyms_name_off[];
extern const char ksyms_names[];
