/* Defining a system call: SYSCALL_DEFINEn(name, type1, arg1, ..., typen, argn) { body }.
 *
 * The shape is Linux's. The macro writes two functions:
 *   - `long sys_NAME(long, long, long, long, long, long)`, the register-width entry point that
 *     the table in kernel/syscall.c calls (and host unit tests call directly), and
 *   - a static inline body with typed parameters, into which each register is converted once
 *     by a cast: an `int` argument is truncated exactly as Linux truncates it, a user pointer
 *     stays a `uaddr_t` for copy_from_user/copy_to_user.
 * The compiler inlines the body, so a typed call costs nothing over the old untyped one.
 *
 * Build-time checks, both ways:
 *   - SYSCALL_DEFINEn(name) refers to `__NR_name`, declared only for calls that syscalls.def
 *     marks implemented (SYSCALL, not SYSCALL_NI): a misspelled or unlisted handler does not
 *     compile.
 *   - kernel/syscall.c's table refers to sys_NAME of every implemented entry without `weak`:
 *     a listed handler that nobody defines does not link.
 * Each argument type must fit in a register (checked too). */
#pragma once
#include "types.h"

/* The numbers of the implemented calls (SYSCALL entries), and their entry points. */
#define SYSCALL(n, name) __NR_##name = (n),
#define SYSCALL_NI(n, name)
enum {
#include "syscalls.def"
};
#undef SYSCALL
#undef SYSCALL_NI

#define SYSCALL(n, name) long sys_##name(long, long, long, long, long, long);
#define SYSCALL_NI(n, name)
#include "syscalls.def"
#undef SYSCALL
#undef SYSCALL_NI

/* The entry from trap_entry (arch/riscv/entry.S) for an ecall from user mode. */
struct trapframe;
void syscall_from_user(struct trapframe *tf);

/* __SC_MAPn(m, sep, t1, a1, ..., tn, an) applies m(type, arg, register index) to each pair and
 * puts sep() between the results. */
#define __SC_MAP1(m, s, t, a) m(t, a, 0)
#define __SC_MAP2(m, s, t, a, ...) m(t, a, 0) s() __SC_MAP1_AT1(m, s, __VA_ARGS__)
#define __SC_MAP3(m, s, t, a, ...) m(t, a, 0) s() __SC_MAP2_AT1(m, s, __VA_ARGS__)
#define __SC_MAP4(m, s, t, a, ...) m(t, a, 0) s() __SC_MAP3_AT1(m, s, __VA_ARGS__)
#define __SC_MAP5(m, s, t, a, ...) m(t, a, 0) s() __SC_MAP4_AT1(m, s, __VA_ARGS__)
#define __SC_MAP6(m, s, t, a, ...) m(t, a, 0) s() __SC_MAP5_AT1(m, s, __VA_ARGS__)
/* The same, starting at register 1, 2, ...: each level knows its own index. */
#define __SC_MAP1_AT1(m, s, t, a) m(t, a, 1)
#define __SC_MAP2_AT1(m, s, t, a, ...) m(t, a, 1) s() __SC_MAP1_AT2(m, s, __VA_ARGS__)
#define __SC_MAP3_AT1(m, s, t, a, ...) m(t, a, 1) s() __SC_MAP2_AT2(m, s, __VA_ARGS__)
#define __SC_MAP4_AT1(m, s, t, a, ...) m(t, a, 1) s() __SC_MAP3_AT2(m, s, __VA_ARGS__)
#define __SC_MAP5_AT1(m, s, t, a, ...) m(t, a, 1) s() __SC_MAP4_AT2(m, s, __VA_ARGS__)
#define __SC_MAP1_AT2(m, s, t, a) m(t, a, 2)
#define __SC_MAP2_AT2(m, s, t, a, ...) m(t, a, 2) s() __SC_MAP1_AT3(m, s, __VA_ARGS__)
#define __SC_MAP3_AT2(m, s, t, a, ...) m(t, a, 2) s() __SC_MAP2_AT3(m, s, __VA_ARGS__)
#define __SC_MAP4_AT2(m, s, t, a, ...) m(t, a, 2) s() __SC_MAP3_AT3(m, s, __VA_ARGS__)
#define __SC_MAP1_AT3(m, s, t, a) m(t, a, 3)
#define __SC_MAP2_AT3(m, s, t, a, ...) m(t, a, 3) s() __SC_MAP1_AT4(m, s, __VA_ARGS__)
#define __SC_MAP3_AT3(m, s, t, a, ...) m(t, a, 3) s() __SC_MAP2_AT4(m, s, __VA_ARGS__)
#define __SC_MAP1_AT4(m, s, t, a) m(t, a, 4)
#define __SC_MAP2_AT4(m, s, t, a, ...) m(t, a, 4) s() __SC_MAP1_AT5(m, s, __VA_ARGS__)
#define __SC_MAP1_AT5(m, s, t, a) m(t, a, 5)

#define __SC_COMMA() ,
#define __SC_AND() &&
#define __SC_DECL(t, a, i) t a
#define __SC_CAST(t, a, i) (t)__sc_r##i
#define __SC_FITS(t, a, i) (sizeof(t) <= sizeof(long))

#define __SYSCALL_ENTRY(name)                                                                \
    long sys_##name(long __sc_r0, long __sc_r1, long __sc_r2, long __sc_r3, long __sc_r4,   \
                    long __sc_r5)

#define SYSCALL_DEFINE0(name)                                                                \
    _Static_assert(__NR_##name >= 0, "sys_" #name " is listed in syscalls.def");             \
    static inline long __do_sys_##name(void);                                                \
    __SYSCALL_ENTRY(name)                                                                    \
    {                                                                                        \
        (void)__sc_r0; (void)__sc_r1; (void)__sc_r2;                                         \
        (void)__sc_r3; (void)__sc_r4; (void)__sc_r5;                                         \
        return __do_sys_##name();                                                            \
    }                                                                                        \
    static inline long __do_sys_##name(void)

#define __SYSCALL_DEFINEx(n, name, ...)                                                      \
    _Static_assert(__NR_##name >= 0, "sys_" #name " is listed in syscalls.def");             \
    _Static_assert(__SC_MAP##n(__SC_FITS, __SC_AND, __VA_ARGS__),                            \
                   "sys_" #name ": every argument fits in a register");                      \
    static inline long __do_sys_##name(__SC_MAP##n(__SC_DECL, __SC_COMMA, __VA_ARGS__));     \
    __SYSCALL_ENTRY(name)                                                                    \
    {                                                                                        \
        (void)__sc_r0; (void)__sc_r1; (void)__sc_r2;                                         \
        (void)__sc_r3; (void)__sc_r4; (void)__sc_r5;                                         \
        return __do_sys_##name(__SC_MAP##n(__SC_CAST, __SC_COMMA, __VA_ARGS__));             \
    }                                                                                        \
    static inline long __do_sys_##name(__SC_MAP##n(__SC_DECL, __SC_COMMA, __VA_ARGS__))

#define SYSCALL_DEFINE1(name, ...) __SYSCALL_DEFINEx(1, name, __VA_ARGS__)
#define SYSCALL_DEFINE2(name, ...) __SYSCALL_DEFINEx(2, name, __VA_ARGS__)
#define SYSCALL_DEFINE3(name, ...) __SYSCALL_DEFINEx(3, name, __VA_ARGS__)
#define SYSCALL_DEFINE4(name, ...) __SYSCALL_DEFINEx(4, name, __VA_ARGS__)
#define SYSCALL_DEFINE5(name, ...) __SYSCALL_DEFINEx(5, name, __VA_ARGS__)
#define SYSCALL_DEFINE6(name, ...) __SYSCALL_DEFINEx(6, name, __VA_ARGS__)
