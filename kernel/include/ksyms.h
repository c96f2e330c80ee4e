/* The kernel's own symbol table (for backtraces). */
#pragma once
const char *ksym_lookup(unsigned long addr, unsigned long *offset);   /* NULL if unknown */
