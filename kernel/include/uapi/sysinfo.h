/* sysinfo(): Linux's linux/sysinfo.h, riscv64 layout (64-bit long). */
#pragma once
#include "types.h"

#define SI_LOAD_SHIFT 16     /* loads[] are fixed point with this many fraction bits */

struct sysinfo {
    int64_t uptime;          /* seconds since boot */
    uint64_t loads[3];       /* 1, 5 and 15 minute load averages */
    uint64_t totalram;
    uint64_t freeram;
    uint64_t sharedram;
    uint64_t bufferram;
    uint64_t totalswap;
    uint64_t freeswap;
    uint16_t procs;          /* current number of threads */
    uint16_t pad;
    uint32_t __pad2;         /* implicit in Linux: written out, so it is zeroed */
    uint64_t totalhigh;
    uint64_t freehigh;
    uint32_t mem_unit;       /* the *ram, *swap and *high fields count this many bytes */
    char _f[4];              /* Linux's _f[] is empty on 64-bit: this is the tail padding */
};
_Static_assert(sizeof(struct sysinfo) == 112, "struct sysinfo is 112 bytes on riscv64");
