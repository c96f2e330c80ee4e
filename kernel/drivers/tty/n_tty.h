/* The N_TTY line discipline core: termios, the input buffer with canonical line editing and
 * echo, input and output processing, and the signal characters.
 *
 * It has no kernel dependencies, so tests/unit/tty builds it on the host. The caller (tty_io.c)
 * serialises every call with its own lock, does all sleeping, and delivers signals and wake-ups
 * after dropping that lock: n_tty only records them (n_tty_take_signals()).
 *
 * Device output leaves through ops->write, already processed (OPOST): echoes and write(2) data.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- termios: the user ABI (uapi/termios.h) ------------------------------------------- */
#include "uapi/termios.h"
/* A c_cc value that disables its special character (Linux's __DISABLED_CHAR). */
#define _POSIX_VDISABLE 0

/* The signals the special characters raise (Linux numbers). */
#define N_TTY_SIGINT 2
#define N_TTY_SIGQUIT 3
#define N_TTY_SIGTSTP 20

/* Linux's tty_std_termios. */
void n_tty_std_termios(struct termios *t);

/* ---- the line discipline --------------------------------------------------------------- */
#define N_TTY_BUF_SIZE 4096   /* a power of two: indices below run free and are masked */

struct n_tty_ops {
    /* Bytes to the device (echoes and processed output). Called with the caller's lock held. */
    void (*write)(void *ctx, const unsigned char *buf, size_t n);
};

struct n_tty {
    struct termios termios;
    const struct n_tty_ops *ops;
    void *ctx;

    /* Input ring. read_tail <= canon_head <= read_head, free-running. Bytes before canon_head
     * form complete lines (canonical mode); after it, the line being edited. In non-canonical
     * mode everything before read_head is readable. */
    size_t read_tail, canon_head, read_head;
    unsigned char buf[N_TTY_BUF_SIZE];
    uint8_t delim[N_TTY_BUF_SIZE / 8];   /* byte ends a line (newline, EOL, EOF) */
    uint8_t eof[N_TTY_BUF_SIZE / 8];     /* ... and is an EOF mark, never returned to read() */

    unsigned column;          /* output column, for tabs and erase */
    unsigned canon_column;    /* column where the line being edited started */
    bool lnext;               /* the previous character was LNEXT: take the next literally */
    bool erasing;             /* inside an ECHOPRT "\...." erase sequence */
    bool stopped;             /* output stopped by STOP (IXON) */
    unsigned pending_signals; /* bit n: signal n raised by input, for the caller to send */
};

void n_tty_init(struct n_tty *ld, const struct n_tty_ops *ops, void *ctx);

/* Replace the termios, as TCSETS does. Switching ICANON re-frames pending input the way Linux
 * does (to canonical: what is pending becomes a line). Returns true when readers or writers
 * should be woken (data became readable, output restarted). */
bool n_tty_set_termios(struct n_tty *ld, const struct termios *t);

/* Feed received bytes through input processing. Returns how many were consumed: all of them,
 * except in non-canonical mode when the buffer fills (a PTY master then waits; a UART drops
 * the rest). Canonical mode always consumes, discarding what does not fit. */
size_t n_tty_receive(struct n_tty *ld, const unsigned char *buf, size_t n);

/* Signals raised since the last call (bit n = signal n); the caller sends them to the
 * foreground process group after dropping its lock. */
unsigned n_tty_take_signals(struct n_tty *ld);

/* Is there something for read() (canonical: a complete line or EOF; otherwise at least
 * `min` bytes, min >= 1)? */
bool n_tty_input_available(const struct n_tty *ld, size_t min);
/* Bytes FIONREAD reports: canonical mode counts complete lines only, without EOF marks. */
size_t n_tty_inq(const struct n_tty *ld);
/* Free room in the input buffer. */
size_t n_tty_room(const struct n_tty *ld);

/* Canonical read: copy at most n bytes of the first line into dst. Returns the bytes copied;
 * *line_done is set once the line's delimiter has been consumed (an EOF mark is consumed
 * without being copied, so a read at EOF returns 0 with *line_done set). */
size_t n_tty_read_canon(struct n_tty *ld, unsigned char *dst, size_t n, bool *line_done);
/* Non-canonical read: copy what is available, at most n bytes. */
size_t n_tty_read_raw(struct n_tty *ld, unsigned char *dst, size_t n);

/* VMIN/VTIME: how many bytes a non-canonical read waits for, and its timers in ns (0: none).
 * `first` runs from the start of the read (VMIN == 0), `inter` restarts after each byte.
 * Returns false when the read must not wait at all (VMIN == VTIME == 0). */
bool n_tty_read_policy(const struct termios *t, size_t *minimum, uint64_t *first_ns,
                       uint64_t *inter_ns);

/* Output processing (OPOST and friends) of write(2) data. Emits at most `room` device bytes
 * through ops->write and returns how many source bytes that consumed. */
size_t n_tty_write(struct n_tty *ld, const unsigned char *buf, size_t n, size_t room);

/* Discard unread input (TCFLSH, ISIG without NOFLSH, hang-up). */
void n_tty_flush_input(struct n_tty *ld);
/* TCXONC: stop or restart output as STOP/START would. */
void n_tty_stop(struct n_tty *ld, bool stop);
