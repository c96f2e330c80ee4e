/* The TTY layer (drivers/tty/): one line discipline shared by the serial console and PTYs.
 * A low-level driver (the NS16550 UART, a PTY master) registers a struct tty with its output
 * function and feeds received bytes in with tty_receive(), from interrupt context.
 *
 * Device nodes: each registered tty gets /dev/<name> (its major:minor); the tty layer also
 * makes /dev/tty (5:0, the caller's controlling tty), /dev/console (5:1, the tty named by
 * console= on the command line, default ttyS0), /dev/ptmx (5:2) and /dev/pts/N (136:N). */
#pragma once
#include "types.h"

struct tty;
struct tty_driver_ops {
    /* Write bytes to the device; may be called with interrupts off; must not sleep. */
    void (*write)(struct tty *tty, const char *buf, size_t n);
    /* Optional. How many bytes write() can take now (NULL: any number). Writers wait while
     * it is 0; the driver calls tty_wakeup() when room appears. */
    size_t (*write_room)(struct tty *tty);
    /* Optional. A file of the tty is opened / its last file is closed (open may refuse with
     * -errno). Called without the tty's lock, in process context. */
    int (*open)(struct tty *tty);
    void (*close)(struct tty *tty);
    /* Optional. A reader took input: the input buffer has room again. */
    void (*unthrottle)(struct tty *tty);
};

/* Register a tty and its /dev node (now, or at tty_init() if the VFS is not up yet). */
struct tty *tty_register(const char *name, unsigned major, unsigned minor,
                         const struct tty_driver_ops *ops, void *driver_data);
void tty_receive(struct tty *tty, const char *buf, size_t n);   /* IRQ-safe */
void *tty_driver_data(struct tty *tty);
/* The line hung up (modem gone, PTY master closed): SIGHUP and SIGCONT to the session leader
 * and the foreground process group, the session loses its controlling tty, and files opened
 * before now read 0 and fail writes with EIO. Process context. */
void tty_hangup(struct tty *tty);
/* The driver can take output again (after write_room() returned 0): wake writers. IRQ-safe. */
void tty_wakeup(struct tty *tty);

/* Boot: call once after vfs_init(). Makes /dev/tty, /dev/console, /dev/ptmx and the nodes
 * of ttys registered before the VFS was up. */
void tty_init(void);

/* The process code calls this when a session leader whose controlling tty is `tty` exits
 * (Linux's disassociate_ctty(1)): SIGHUP to the foreground process group (for a serial line
 * the line is hung up), the tty forgets its session, and session_clear_ctty() is called for
 * the session, so the caller need not call it again. Process context, no locks held. */
void tty_session_leader_exit(struct tty *tty);

/* For process reports (/proc/<pid>/stat's tty_nr and tpgid): the tty's device number in the
 * user-space dev_t encoding, and its foreground process group (-1: none). Callable with
 * proc_lock held (they take no lock). */
uint64_t tty_user_devnum(struct tty *tty);
pid_t tty_foreground_pgrp(struct tty *tty);
