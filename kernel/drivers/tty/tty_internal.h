/* Private to drivers/tty: struct tty and what tty_io.c and pty.c share. */
#pragma once
#include "kernel.h"
#include "fs.h"
#include "sched.h"
#include "signal.h"
#include "spinlock.h"
#include "tty.h"
#include "n_tty.h"
#include "uapi/ioctls.h"

/* What a device number opens. One is registered per node: tty_open() finds it from f->ops,
 * because the open hook gets no device number. */
enum tty_dev_kind { DEV_TTY, DEV_CTTY, DEV_CONSOLE, DEV_PTMX, DEV_PTS };
struct tty_dev {
    struct file_operations fops;   /* first: the registered pointer leads back here */
    uint32_t magic;
    enum tty_dev_kind kind;
    struct tty *tty;               /* DEV_TTY */
    unsigned index;                /* DEV_PTS */
    bool registered;
};
#define TTY_DEV_MAGIC 0x74747964u

struct tty {
    char name[16];
    unsigned major, minor;
    const struct tty_driver_ops *ops;
    void *driver_data;

    /* Protects ld, winsize, pgrp, session, hangup_gen, reading, writing. Taken from IRQs. */
    spinlock_t lock;
    struct n_tty ld;
    struct winsize winsize;
    pid_t pgrp;                    /* foreground process group (0: none) */
    pid_t session;                 /* session it is the controlling tty of (0: none) */
    unsigned hangup_gen;           /* bumped by a hang-up: older files are hung up */
    bool reading, writing;         /* one reader and one writer at a time, as in Linux */
    unsigned opens;

    struct wait_queue read_wait;   /* input, hang-up; also the read "lock" */
    struct wait_queue write_wait;  /* output room, restart; also the write "lock" */

    bool is_pty;                   /* a PTY slave (jobs: no hang-up on leader exit) */
    struct tty_dev dev;            /* its /dev node (not used by PTY slaves) */
    struct tty *next;              /* registered ttys */
};

/* An open file of a tty: f->private_data. */
enum tty_file_kind { TF_TTY, TF_CONSOLE, TF_PTY_MASTER };
struct tty_file {
    enum tty_file_kind kind;
    struct tty *tty;               /* the PTY slave for a master */
    struct pty *pty;               /* TF_PTY_MASTER */
    unsigned hangup_gen;
};

struct tty *tty_alloc(const char *name, unsigned major, unsigned minor,
                      const struct tty_driver_ops *ops, void *driver_data);
void tty_free(struct tty *tty);
/* Feed input; returns how many bytes the line discipline took. Delivers ISIG signals. */
size_t tty_receive_bytes(struct tty *tty, const unsigned char *buf, size_t n);
/* Open a file of `tty` (driver open hook, controlling-tty rules); fills f->private_data. */
int tty_open_file(struct tty *tty, struct file *f, enum tty_file_kind kind, bool noctty);
/* The ioctls on a tty's termios, window size and job control (master: on the slave). */
long tty_ioctl_common(struct tty_file *tf, struct file *f, unsigned cmd, unsigned long arg);
bool tty_file_hung_up(const struct tty_file *tf);
bool tty_capable(void);
void tty_dev_init(struct tty_dev *d, enum tty_dev_kind kind, struct tty *tty);
/* register_chrdev() for d, once; a failure before tty_init() is retried there. */
void tty_register_dev(struct tty_dev *d, unsigned major, unsigned minor, const char *name);

/* pty.c */
int pty_open_master(struct file *f);
int pty_open_slave(unsigned index, struct file *f);
void pty_master_release(struct tty_file *tf);
ssize_t pty_master_read(struct tty_file *tf, struct file *f, struct uio *to);
ssize_t pty_master_write(struct tty_file *tf, struct file *f, struct uio *from);
unsigned pty_master_poll(struct tty_file *tf, struct file *f, struct poll_table *pt);
long pty_master_ioctl(struct tty_file *tf, struct file *f, unsigned cmd, unsigned long arg);
extern const struct file_operations tty_fops_template;
