/* Things every kernel file needs: logging, panics, small helpers. */
#pragma once
#include "types.h"
#include "errno.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define READ_ONCE(x) (*(volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))
#define barrier() __asm__ volatile("" ::: "memory")
#define __maybe_unused __attribute__((unused))
#define __noreturn __attribute__((noreturn))
#define __printf(a, b) __attribute__((format(printf, a, b)))

/* Log levels as in Linux: printk(KERN_INFO "...") or the pr_* helpers. */
#define KERN_EMERG "<0>"
#define KERN_ERR "<3>"
#define KERN_WARNING "<4>"
#define KERN_NOTICE "<5>"
#define KERN_INFO "<6>"
#define KERN_DEBUG "<7>"

/* Appends to the kernel log ring (dmesg) and, below the console log level, prints it. */
int printk(const char *fmt, ...) __printf(1, 2);
void printk_set_console_level(int level);   /* loglevel=, quiet */
void printk_init_late(void);                /* boot: syslog(2) readers may sleep from now on */
/* /dev/kmsg, /proc/kmsg: the log bytes from *seq on (what the ring has overwritten is
 * skipped) into buf, advancing *seq; returns how many, 0 when there is nothing new. */
int log_read(uint64_t *seq, char *buf, size_t size);
/* /proc/sys/kernel/dmesg_restrict (0 or 1) and what it decides for opening /dev/kmsg to
 * read: 0 or -EPERM. */
extern int dmesg_restrict;
int kmsg_open_permitted(void);
/* The panic path: straight to the console, past the lock and the log level. */
void printk_panic_emit(const char *s, size_t n);
#define pr_err(...) printk(KERN_ERR __VA_ARGS__)
#define pr_warn(...) printk(KERN_WARNING __VA_ARGS__)
#define pr_notice(...) printk(KERN_NOTICE __VA_ARGS__)
#define pr_info(...) printk(KERN_INFO __VA_ARGS__)
#define pr_debug(...) printk(KERN_DEBUG __VA_ARGS__)

/* The frame-pointer chain from fp, kept inside [lo, hi): fn gets each return address. */
void backtrace_walk(unsigned long fp, unsigned long lo, unsigned long hi,
                    void (*fn)(unsigned long ra, void *arg), void *arg);
/* Prints the message, the registers and a symbolized backtrace, then stops all harts. */
__noreturn void panic(const char *fmt, ...) __printf(1, 2);
/* A trap handler about to panic on a trap sets this: panic() prints its registers. */
struct trapframe;
extern struct trapframe *panic_trapframe;
#define BUG_ON(cond)                                                                     \
    do {                                                                                 \
        if (unlikely(cond))                                                              \
            panic("BUG: %s at %s:%d", #cond, __FILE__, __LINE__);                        \
    } while (0)

/* The kernel command line (Linux style: console=, root=, init=, rdinit=, quiet, loglevel=).
 * Returns the value of key=value, "" for a bare key, NULL if absent; the string is valid until
 * the next call (copy it). */
const char *cmdline_get(const char *key);
const char *cmdline_raw(void);
void cmdline_init(const char *bootargs);   /* boot: the FDT's /chosen/bootargs */

/* Power-off and reset: after SBI's SRST, the FDT's syscon-poweroff / syscon-reboot register
 * (addr, written as (old & ~mask) | (value & mask)) is tried. */
void reboot_set_syscon(bool poweroff, uint64_t addr, uint32_t value, uint32_t mask);
/* Reset the machine now, logging `why` (Linux's kernel_restart). */
__noreturn void kernel_restart(const char *why);
