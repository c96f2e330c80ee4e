/* Where assembly and C meet: the labels of head.S, entry.S, smp_head.S, switch.S, fpu.S and
 * kernel.ld that C refers to, the C functions only assembly calls, and the trap entry and
 * exit of trap.c. (syscall_from_user, the ecall path, is in syscall.h.) */
#pragma once
#include "kernel.h"

struct trapframe;
struct context;
struct fpstate;
struct cpu;

/* head.S: the kernel's root page table, and the boot stack, hart 0's idle stack. */
extern unsigned long kernel_pgdir[512];
extern char boot_stack_top[];

/* kernel.ld: the image's bounds, and the user-access fixups uaccess.S lists (a fault at
 * insn resumes at fixup). */
extern char _start_image[], _end[];
struct exception_entry {
    unsigned long insn, fixup;
};
extern const struct exception_entry __ex_table_start[], __ex_table_end[];

/* head.S calls kmain on hart 0 (paging on, bss cleared); smp_head.S calls secondary_main on
 * the other harts, on their idle task's stack. */
__noreturn void kmain(unsigned long hartid, paddr_t fdt_pa);
__noreturn void secondary_main(struct cpu *cpu);
void secondary_entry(void);           /* smp_head.S: where SBI HSM starts a hart */

/* entry.S */
void trap_entry(void);                /* stvec */
void ret_from_trap(void);             /* sp = the trapframe to resume */
void task_entry(void);                /* a forked task's first instruction (its context's ra) */
void kthread_entry(void);             /* a kernel thread's: s2 = function, s3 = argument */
/* C called from entry.S: a trap that is not an ecall from user mode; a forked task's first
 * C code; the scheduler's tail of a switch, which a new task finishes itself. */
void trap_handler(struct trapframe *tf);
void fork_child_start(void);
void schedule_tail(void);

/* switch.S: save the callee-saved registers in *prev, load *next's. */
void switch_context(struct context *prev, struct context *next);

/* fpu.S: a task's f0-f31 and fcsr to and from memory; sstatus.FS must not be Off. */
void fpu_save(struct fpstate *fp);
void fpu_restore(struct fpstate *fp);

/* uaccess.S: the only instructions that touch user memory (mm/uaccess.c checks the range
 * first). Each returns what it could not copy: 0 on success. */
unsigned long __uaccess_copy(void *dst, const void *src, unsigned long n);
unsigned long __uaccess_clear(void *dst, unsigned long n);
long __uaccess_strncpy(char *dst, const char *src, unsigned long max);
/* Atomic compare-and-swap of a 4-aligned user word; *found gets the value seen. 0, or 1 on a
 * fault. */
unsigned long __uaccess_cmpxchg32(uint32_t *uaddr, uint32_t old, uint32_t new, uint32_t *found);
/* One naturally aligned user word by a single load or store (never torn). 0, or 1 on a fault. */
unsigned long __uaccess_get32(const uint32_t *uaddr, uint32_t *val);
unsigned long __uaccess_get64(const uint64_t *uaddr, uint64_t *val);
unsigned long __uaccess_put32(uint32_t *uaddr, uint32_t val);
unsigned long __uaccess_put64(uint64_t *uaddr, uint64_t val);

/* trap.c */
void trap_init(void);                 /* this hart's trap vector */
/* Last work before sret (reschedule, signals), interrupts off; drops the big kernel lock. */
void exit_to_user_irqs_off(struct trapframe *tf);
/* Into user mode through a fresh trapframe (PID 1 after its execve). */
__noreturn void enter_user(struct trapframe *tf);
