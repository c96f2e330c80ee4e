/* The saved register state of a trap, and its offsets for entry.S.
 *
 * regs[0] is the program counter (sepc) and regs[i] is x<i>, exactly the layout of Linux's
 * user_regs_struct and of the signal frame's __gregs, so signal delivery copies it in one go. */
#pragma once

#define TF_REG(i) ((i) * 8)
#define TF_STATUS (32 * 8)
#define TF_BADADDR (33 * 8)
#define TF_CAUSE (34 * 8)
#define TF_ORIG_A0 (35 * 8)
#define TF_SIZE (36 * 8)

/* struct cpu offsets (asm/cpu.h). */
#define CPU_SCRATCH_SP 0
#define CPU_KERNEL_SP 8
#define CPU_CURRENT 16

#ifndef __ASSEMBLER__
#include "types.h"

struct trapframe {
    unsigned long regs[32];     /* [0] = epc, [i] = x_i */
    unsigned long status;       /* sstatus */
    unsigned long badaddr;      /* stval */
    unsigned long cause;        /* scause */
    unsigned long orig_a0;      /* a0 at system-call entry, for restarts */
};
_Static_assert(sizeof(struct trapframe) == TF_SIZE, "trapframe layout");

#define tf_epc regs[0]
#define tf_ra regs[1]
#define tf_sp regs[2]
#define tf_gp regs[3]
#define tf_tp regs[4]
#define tf_a(n) regs[10 + (n)]
#define tf_a7 regs[17]

static inline bool tf_from_user(const struct trapframe *tf) { return !(tf->status & (1UL << 8)); }
#endif
