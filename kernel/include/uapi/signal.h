/* Signals: Linux's asm-generic/signal.h, asm-generic/signal-defs.h and asm-generic/siginfo.h
 * (riscv64 uses the generic ones: numbers, sigaction flags, sigprocmask's how, sigaltstack,
 * siginfo_t and its si_code values), and riscv64's asm/ucontext.h, asm/sigcontext.h and
 * arch/riscv/kernel/signal.c (the rt_sigframe a handler is entered with). The structures
 * carry openv's names, so host unit tests can include them next to libc. */
#pragma once
#include "types.h"

#define _NSIG 64            /* signals are 1.._NSIG; a sigset_t is one 64-bit word */
#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGSTKFLT 16
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGURG 23
#define SIGXCPU 24
#define SIGXFSZ 25
#define SIGVTALRM 26
#define SIGPROF 27
#define SIGWINCH 28
#define SIGIO 29
#define SIGPWR 30
#define SIGSYS 31
#define SIGRTMIN 32
#define SIGRTMAX _NSIG

#define SA_NOCLDSTOP 0x00000001
#define SA_NOCLDWAIT 0x00000002
#define SA_SIGINFO 0x00000004
/* Not in riscv64's Linux ABI, but musl up to 1.2.3 defines it for riscv64 and passes a
 * restorer with it (struct user_sigaction below). */
#define SA_RESTORER 0x04000000
#define SA_ONSTACK 0x08000000
#define SA_RESTART 0x10000000
#define SA_NODEFER 0x40000000
#define SA_RESETHAND 0x80000000UL

#define SIG_DFL 0UL
#define SIG_IGN 1UL

#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2

#define SS_ONSTACK 1
#define SS_DISABLE 2
#define SS_AUTODISARM (1U << 31)
#define MINSIGSTKSZ 2048
#define SIGSTKSZ 8192

/* si_code values */
#define SI_USER 0
#define SI_KERNEL 0x80
#define SI_QUEUE (-1)
#define SI_TIMER (-2)
#define SI_SIGIO (-5)
#define SI_TKILL (-6)
#define SEGV_MAPERR 1
#define SEGV_ACCERR 2
#define BUS_ADRALN 1
#define BUS_ADRERR 2
#define ILL_ILLOPC 1
#define TRAP_BRKPT 1
#define CLD_EXITED 1
#define CLD_KILLED 2
#define CLD_DUMPED 3
#define CLD_TRAPPED 4
#define CLD_STOPPED 5
#define CLD_CONTINUED 6

typedef uint64_t ksigset_t;   /* the kernel's sigset_t: bit n - 1 is signal n */

/* siginfo_t: 128 bytes; the union starts at offset 16 on 64-bit. */
struct ksiginfo {
    int32_t si_signo;
    int32_t si_errno;
    int32_t si_code;
    int32_t __pad;
    union {
        struct {
            int32_t pid;
            uint32_t uid;
            union {
                int32_t status;   /* SIGCHLD */
                uint64_t value;   /* sigval: rt_sigqueueinfo, timers */
            };
            int64_t utime, stime; /* SIGCHLD */
        } proc;
        uint64_t addr;            /* SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE */
        uint8_t raw[112];
    };
};
_Static_assert(sizeof(struct ksiginfo) == 128, "siginfo_t is 128 bytes");

/* The riscv64 kernel sigaction is {handler, flags, mask}. musl up to 1.2.3 defines SA_RESTORER
 * for riscv64 and passes {handler, flags | SA_RESTORER, restorer, mask} instead; the flag tells
 * the layouts apart (sys_rt_sigaction). Either way the caller's buffer is 32 bytes in musl. */
struct user_sigaction {
    uint64_t handler;
    uint64_t flags;
    uint64_t word2;   /* mask, or the restorer when flags has SA_RESTORER */
    uint64_t word3;   /* the mask when flags has SA_RESTORER */
};
#define USER_SIGACTION_SIZE_LINUX 24

struct user_stack {   /* stack_t */
    uint64_t ss_sp;
    int32_t ss_flags;
    int32_t __pad;
    uint64_t ss_size;
};

/* struct rt_sigframe { siginfo_t info; ucontext_t uc; } with riscv64's ucontext. */
struct user_fpstate {   /* union __riscv_fp_state: sized as its largest member, q */
    uint64_t f[32];
    uint32_t fcsr;
    uint8_t __rest[528 - 32 * 8 - 4];
} __attribute__((aligned(16)));
struct user_mcontext {
    uint64_t gregs[32];   /* pc, x1..x31 */
    struct user_fpstate fp;
};
struct user_ucontext {
    uint64_t uc_flags;
    uint64_t uc_link;
    struct user_stack uc_stack;
    uint64_t uc_sigmask;
    uint8_t __unused[128 - 8];   /* user space's sigset_t is 1024 bits */
    struct user_mcontext uc_mcontext;
};
struct rt_sigframe {
    struct ksiginfo info;
    struct user_ucontext uc;
};
_Static_assert(sizeof(struct user_fpstate) == 528, "riscv fp state");
_Static_assert(__builtin_offsetof(struct user_ucontext, uc_mcontext) == 176, "ucontext layout");
_Static_assert(sizeof(struct rt_sigframe) == 128 + 960, "rt_sigframe layout");
