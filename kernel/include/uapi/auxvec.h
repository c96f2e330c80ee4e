/* The auxiliary vector execve() puts above envp: Linux's linux/auxvec.h (the AT_* types) and
 * riscv64's asm/hwcap.h (the AT_HWCAP bits, one per single-letter ISA extension). */
#pragma once

#define AT_NULL 0           /* the end of the vector */
#define AT_IGNORE 1
#define AT_EXECFD 2
#define AT_PHDR 3           /* the program headers, as mapped */
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define AT_BASE 7           /* the interpreter's load address */
#define AT_FLAGS 8
#define AT_ENTRY 9          /* the program's entry point */
#define AT_NOTELF 10
#define AT_UID 11
#define AT_EUID 12
#define AT_GID 13
#define AT_EGID 14
#define AT_PLATFORM 15      /* a string: "riscv64" */
#define AT_HWCAP 16
#define AT_CLKTCK 17        /* the unit of times() */
#define AT_SECURE 23        /* set-id program: libc must not trust the environment */
#define AT_BASE_PLATFORM 24
#define AT_RANDOM 25        /* 16 random bytes */
#define AT_HWCAP2 26
#define AT_EXECFN 31        /* the path given to execve() */
#define AT_MINSIGSTKSZ 51

#define COMPAT_HWCAP_ISA_I (1 << ('I' - 'A'))
#define COMPAT_HWCAP_ISA_M (1 << ('M' - 'A'))
#define COMPAT_HWCAP_ISA_A (1 << ('A' - 'A'))
#define COMPAT_HWCAP_ISA_F (1 << ('F' - 'A'))
#define COMPAT_HWCAP_ISA_D (1 << ('D' - 'A'))
#define COMPAT_HWCAP_ISA_C (1 << ('C' - 'A'))
