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

/* ---- termios as riscv64 Linux defines it (asm-generic/termbits.h) ---------------------- */
typedef unsigned int tcflag_t;
typedef unsigned char cc_t;
typedef unsigned int speed_t;
#define NCCS 19

/* What TCGETS/TCSETS copy: the kernel's struct termios, without speed fields (36 bytes). */
struct ktermios {
    tcflag_t c_iflag, c_oflag, c_cflag, c_lflag;
    cc_t c_line;
    cc_t c_cc[NCCS];
};

#define VINTR 0
#define VQUIT 1
#define VERASE 2
#define VKILL 3
#define VEOF 4
#define VTIME 5
#define VMIN 6
#define VSWTC 7
#define VSTART 8
#define VSTOP 9
#define VSUSP 10
#define VEOL 11
#define VREPRINT 12
#define VDISCARD 13
#define VWERASE 14
#define VLNEXT 15
#define VEOL2 16
#define _POSIX_VDISABLE 0

/* c_iflag */
#define IGNBRK 0x001
#define BRKINT 0x002
#define IGNPAR 0x004
#define PARMRK 0x008
#define INPCK 0x010
#define ISTRIP 0x020
#define INLCR 0x040
#define IGNCR 0x080
#define ICRNL 0x100
#define IUCLC 0x0200
#define IXON 0x0400
#define IXANY 0x0800
#define IXOFF 0x1000
#define IMAXBEL 0x2000
#define IUTF8 0x4000
/* c_oflag */
#define OPOST 0x01
#define OLCUC 0x02
#define ONLCR 0x04
#define OCRNL 0x08
#define ONOCR 0x10
#define ONLRET 0x20
#define OFILL 0x40
#define OFDEL 0x80
#define TABDLY 0x01800
#define TAB0 0x00000
#define TAB3 0x01800
#define XTABS 0x01800
/* c_cflag */
#define CBAUD 0x0000100f
#define B0 0x00000000
#define B9600 0x0000000d
#define B38400 0x0000000f
#define B115200 0x00001002
#define CSIZE 0x00000030
#define CS7 0x00000020
#define CS8 0x00000030
#define CSTOPB 0x00000040
#define CREAD 0x00000080
#define PARENB 0x00000100
#define HUPCL 0x00000400
#define CLOCAL 0x00000800
/* c_lflag */
#define ISIG 0x00001
#define ICANON 0x00002
#define XCASE 0x00004
#define ECHO 0x00008
#define ECHOE 0x00010
#define ECHOK 0x00020
#define ECHONL 0x00040
#define NOFLSH 0x00080
#define TOSTOP 0x00100
#define ECHOCTL 0x00200
#define ECHOPRT 0x00400
#define ECHOKE 0x00800
#define FLUSHO 0x01000
#define PENDIN 0x04000
#define IEXTEN 0x08000
#define EXTPROC 0x10000

/* The signals the special characters raise (Linux numbers). */
#define N_TTY_SIGINT 2
#define N_TTY_SIGQUIT 3
#define N_TTY_SIGTSTP 20

/* Linux's tty_std_termios. */
void n_tty_std_termios(struct ktermios *t);

/* ---- the line discipline --------------------------------------------------------------- */
#define N_TTY_BUF_SIZE 4096   /* a power of two: indices below run free and are masked */

struct n_tty_ops {
    /* Bytes to the device (echoes and processed output). Called with the caller's lock held. */
    void (*write)(void *ctx, const unsigned char *buf, size_t n);
};

struct n_tty {
    struct ktermios termios;
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
bool n_tty_set_termios(struct n_tty *ld, const struct ktermios *t);

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
bool n_tty_read_policy(const struct ktermios *t, size_t *minimum, uint64_t *first_ns,
                       uint64_t *inter_ns);

/* Output processing (OPOST and friends) of write(2) data. Emits at most `room` device bytes
 * through ops->write and returns how many source bytes that consumed. */
size_t n_tty_write(struct n_tty *ld, const unsigned char *buf, size_t n, size_t room);

/* Discard unread input (TCFLSH, ISIG without NOFLSH, hang-up). */
void n_tty_flush_input(struct n_tty *ld);
/* TCXONC: stop or restart output as STOP/START would. */
void n_tty_stop(struct n_tty *ld, bool stop);
