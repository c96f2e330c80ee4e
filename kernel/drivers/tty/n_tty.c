/* The N_TTY line discipline core (see n_tty.h). The shape follows Linux's n_tty.c: one input
 * ring whose tail part is the line being edited, per-byte flags marking line ends, and echoes
 * that go through the same output processing as write(2) so the column stays right.
 *
 * No kernel dependencies: the caller holds its lock around every call. */
#include "n_tty.h"

#define MASK(i) ((size_t)(i) & (N_TTY_BUF_SIZE - 1))
#define CTRL(c) ((unsigned char)((c) & 0x1f))

static bool iflag(const struct n_tty *ld, tcflag_t f) { return (ld->termios.c_iflag & f) != 0; }
static bool oflag(const struct n_tty *ld, tcflag_t f) { return (ld->termios.c_oflag & f) != 0; }
static bool lflag(const struct n_tty *ld, tcflag_t f) { return (ld->termios.c_lflag & f) != 0; }

/* Is c the (enabled) special character termios.c_cc[idx]? */
static bool is_cc(const struct n_tty *ld, unsigned char c, int idx)
{
    cc_t v = ld->termios.c_cc[idx];
    return v != _POSIX_VDISABLE && c == v;
}

static bool is_ctl(unsigned char c) { return c < 0x20 || c == 0x7f; }
static bool is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
/* A UTF-8 continuation byte: erase and column counting skip it under IUTF8. */
static bool is_continuation(const struct n_tty *ld, unsigned char c)
{
    return iflag(ld, IUTF8) && (c & 0xc0) == 0x80;
}

static bool test_flag(const uint8_t *map, size_t i) { return (map[i >> 3] >> (i & 7)) & 1; }
static void put_flag(uint8_t *map, size_t i, bool v)
{
    if (v)
        map[i >> 3] |= (uint8_t)(1u << (i & 7));
    else
        map[i >> 3] &= (uint8_t)~(1u << (i & 7));
}
static void zero_bytes(void *p, size_t n)
{
    unsigned char *b = p;
    while (n--)
        *b++ = 0;
}

static size_t read_cnt(const struct n_tty *ld) { return ld->read_head - ld->read_tail; }

void n_tty_std_termios(struct termios *t)
{
    zero_bytes(t, sizeof(*t));
    t->c_iflag = ICRNL | IXON;
    t->c_oflag = OPOST | ONLCR;
    t->c_cflag = B38400 | CS8 | CREAD | HUPCL;
    t->c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
    t->c_cc[VINTR] = CTRL('C');
    t->c_cc[VQUIT] = CTRL('\\');
    t->c_cc[VERASE] = 0x7f;
    t->c_cc[VKILL] = CTRL('U');
    t->c_cc[VEOF] = CTRL('D');
    t->c_cc[VTIME] = 0;
    t->c_cc[VMIN] = 1;
    t->c_cc[VSTART] = CTRL('Q');
    t->c_cc[VSTOP] = CTRL('S');
    t->c_cc[VSUSP] = CTRL('Z');
    t->c_cc[VREPRINT] = CTRL('R');
    t->c_cc[VDISCARD] = CTRL('O');
    t->c_cc[VWERASE] = CTRL('W');
    t->c_cc[VLNEXT] = CTRL('V');
}

void n_tty_init(struct n_tty *ld, const struct n_tty_ops *ops, void *ctx)
{
    zero_bytes(ld, sizeof(*ld));
    ld->ops = ops;
    ld->ctx = ctx;
    n_tty_std_termios(&ld->termios);
}

/* ---- output ------------------------------------------------------------------------------ */

/* Output-process one byte into out[] (at most 8 bytes), updating *col and *canon_col the way
 * the terminal's cursor moves. Returns the number of bytes to send (0: dropped by ONOCR). */
static size_t opost_char(const struct n_tty *ld, unsigned char c, unsigned *col,
                         unsigned *canon_col, unsigned char *out)
{
    if (!oflag(ld, OPOST)) {
        out[0] = c;
        return 1;
    }
    switch (c) {
    case '\n':
        if (oflag(ld, ONLRET))
            *col = *canon_col = 0;
        if (oflag(ld, ONLCR)) {
            *col = *canon_col = 0;
            out[0] = '\r';
            out[1] = '\n';
            return 2;
        }
        out[0] = c;
        return 1;
    case '\r':
        if (oflag(ld, ONOCR) && *col == 0)
            return 0;
        if (oflag(ld, OCRNL)) {
            c = '\n';
            if (oflag(ld, ONLRET))
                *col = *canon_col = 0;
        } else {
            *col = *canon_col = 0;
        }
        out[0] = c;
        return 1;
    case '\t': {
        unsigned spaces = 8 - (*col & 7);
        *col += spaces;
        if ((ld->termios.c_oflag & TABDLY) == XTABS) {
            for (unsigned i = 0; i < spaces; i++)
                out[i] = ' ';
            return spaces;
        }
        out[0] = c;
        return 1;
    }
    case '\b':
        if (*col > 0)
            (*col)--;
        out[0] = c;
        return 1;
    default:
        if (!is_ctl(c)) {
            if (oflag(ld, OLCUC) && c >= 'a' && c <= 'z')
                c = (unsigned char)(c - 'a' + 'A');
            if (!is_continuation(ld, c))
                (*col)++;
        }
        out[0] = c;
        return 1;
    }
}

static void device_write(struct n_tty *ld, const unsigned char *buf, size_t n)
{
    if (n && ld->ops && ld->ops->write)
        ld->ops->write(ld->ctx, buf, n);
}

size_t n_tty_write(struct n_tty *ld, const unsigned char *buf, size_t n, size_t room)
{
    unsigned char out[64];
    size_t olen = 0, done = 0;

    while (done < n) {
        unsigned char tmp[8];
        unsigned col = ld->column, canon_col = ld->canon_column;
        size_t k = opost_char(ld, buf[done], &col, &canon_col, tmp);
        if (k > room)
            break;
        if (olen + k > sizeof(out)) {
            device_write(ld, out, olen);
            olen = 0;
        }
        for (size_t i = 0; i < k; i++)
            out[olen++] = tmp[i];
        room -= k;
        ld->column = col;
        ld->canon_column = canon_col;
        done++;
    }
    device_write(ld, out, olen);
    return done;
}

/* ---- echo -------------------------------------------------------------------------------- */

/* Echo one byte as is (through output processing). */
static void echo_raw(struct n_tty *ld, unsigned char c)
{
    n_tty_write(ld, &c, 1, (size_t)-1);
}

/* Echo a received character: control characters as ^X under ECHOCTL (not tab or newline). */
static void echo_char(struct n_tty *ld, unsigned char c)
{
    if (lflag(ld, ECHOCTL) && is_ctl(c) && c != '\t' && c != '\n') {
        unsigned char s[2] = { '^', (unsigned char)(c ^ 0x40) };
        n_tty_write(ld, s, 2, (size_t)-1);
    } else {
        echo_raw(ld, c);
    }
}

/* Close an ECHOPRT "\erased/" sequence. */
static void finish_erasing(struct n_tty *ld)
{
    if (ld->erasing) {
        echo_raw(ld, '/');
        ld->erasing = false;
    }
}

/* ---- the input queue --------------------------------------------------------------------- */

static void put_queue(struct n_tty *ld, unsigned char c, bool delim, bool eof)
{
    size_t i = MASK(ld->read_head);
    ld->buf[i] = c;
    put_flag(ld->delim, i, delim);
    put_flag(ld->eof, i, eof);
    ld->read_head++;
}

size_t n_tty_room(const struct n_tty *ld) { return N_TTY_BUF_SIZE - read_cnt(ld); }

/* A byte that ends a line (newline, EOL, EOF): completes the line for canonical readers. */
static void end_line(struct n_tty *ld, unsigned char c, bool eof)
{
    if (read_cnt(ld) >= N_TTY_BUF_SIZE)
        return;
    put_queue(ld, c, true, eof);
    ld->canon_head = ld->read_head;
}

/* An ordinary character: echo it and queue it. In canonical mode the last slot is kept for a
 * line end, so a full line can still be terminated (and erased). */
static void put_normal(struct n_tty *ld, unsigned char c)
{
    size_t limit = lflag(ld, ICANON) ? N_TTY_BUF_SIZE - 1 : N_TTY_BUF_SIZE;
    if (read_cnt(ld) >= limit)
        return;
    if (lflag(ld, ECHO)) {
        finish_erasing(ld);
        if (c == '\n') {
            echo_raw(ld, c);
        } else {
            if (ld->canon_head == ld->read_head)
                ld->canon_column = ld->column;
            echo_char(ld, c);
        }
    }
    put_queue(ld, c, false, false);
}

void n_tty_flush_input(struct n_tty *ld)
{
    ld->read_tail = ld->canon_head = ld->read_head;
    ld->lnext = false;
    ld->erasing = false;
}

unsigned n_tty_take_signals(struct n_tty *ld)
{
    unsigned s = ld->pending_signals;
    ld->pending_signals = 0;
    return s;
}

/* INTR, QUIT, SUSP: record the signal for the caller, flush unless NOFLSH, echo "^C". */
static void raise_signal(struct n_tty *ld, int sig, unsigned char c)
{
    ld->pending_signals |= 1u << sig;
    if (!lflag(ld, NOFLSH))
        n_tty_flush_input(ld);
    if (iflag(ld, IXON))
        ld->stopped = false;
    if (lflag(ld, ECHO))
        echo_char(ld, c);
}

/* Echo the erasure of one character (already removed from the queue). */
static void echo_erase(struct n_tty *ld, unsigned char c, bool is_erase_char,
                       unsigned char erase_cc)
{
    static const unsigned char bsb[3] = { '\b', ' ', '\b' };

    if (lflag(ld, ECHOPRT)) {
        if (!ld->erasing) {
            echo_raw(ld, '\\');
            ld->erasing = true;
        }
        echo_char(ld, c);
    } else if (is_erase_char && !lflag(ld, ECHOE)) {
        echo_char(ld, erase_cc);
    } else if (c == '\t') {
        /* Where did the tab start? Count the columns from the line start, or from the
         * previous tab (which ends on a multiple of 8), up to the erased tab. */
        unsigned cols = 0;
        bool after_tab = false;
        for (size_t i = ld->read_head; i != ld->canon_head;) {
            unsigned char p = ld->buf[MASK(--i)];
            if (p == '\t') {
                after_tab = true;
                break;
            }
            if (is_ctl(p)) {
                if (lflag(ld, ECHOCTL))
                    cols += 2;
            } else if (!is_continuation(ld, p)) {
                cols++;
            }
        }
        if (!after_tab)
            cols += ld->canon_column;
        unsigned n = 8 - (cols & 7);
        while (n--)
            echo_raw(ld, '\b');
    } else {
        /* A control character echoed as ^X takes two columns. */
        if (is_ctl(c) && lflag(ld, ECHOCTL))
            n_tty_write(ld, bsb, 3, (size_t)-1);
        if (!is_ctl(c) || lflag(ld, ECHOCTL))
            n_tty_write(ld, bsb, 3, (size_t)-1);
    }
}

enum kill_type { ERASE, WERASE, KILL };

/* ERASE, WERASE and KILL in canonical mode; never erases past the start of the line. */
static void eraser(struct n_tty *ld, unsigned char c)
{
    enum kill_type type;

    if (ld->read_head == ld->canon_head)
        return;
    if (is_cc(ld, c, VERASE)) {
        type = ERASE;
    } else if (is_cc(ld, c, VWERASE)) {
        type = WERASE;
    } else {
        if (!lflag(ld, ECHO)) {
            ld->read_head = ld->canon_head;
            return;
        }
        if (!lflag(ld, ECHOK) || !lflag(ld, ECHOKE) || !lflag(ld, ECHOE)) {
            /* Without ECHOKE the line is not visibly erased: echo the KILL character. */
            ld->read_head = ld->canon_head;
            finish_erasing(ld);
            echo_char(ld, c);
            if (lflag(ld, ECHOK))
                echo_raw(ld, '\n');
            return;
        }
        type = KILL;
    }

    unsigned seen_alnums = 0;
    while (ld->read_head != ld->canon_head) {
        /* One possibly multi-byte character: back over continuation bytes to its lead. */
        size_t head = ld->read_head;
        unsigned char ch;
        do {
            ch = ld->buf[MASK(--head)];
        } while (is_continuation(ld, ch) && head != ld->canon_head);
        if (is_continuation(ld, ch))
            break;   /* a stray continuation at line start: do not erase partially */
        if (type == WERASE) {
            /* BSD's ALTWERASE: erase trailing blanks, then one word of alnums and '_'. */
            if (is_alnum(ch) || ch == '_')
                seen_alnums++;
            else if (seen_alnums)
                break;
        }
        ld->read_head = head;
        if (lflag(ld, ECHO))
            echo_erase(ld, ch, type == ERASE, c);
        if (type == ERASE)
            break;
    }
    if (ld->read_head == ld->canon_head && lflag(ld, ECHO))
        finish_erasing(ld);
}

/* REPRINT: echo ^R, a newline, and the line being edited. */
static void reprint(struct n_tty *ld, unsigned char c)
{
    finish_erasing(ld);
    echo_char(ld, c);
    echo_raw(ld, '\n');
    for (size_t i = ld->canon_head; i != ld->read_head; i++)
        echo_char(ld, ld->buf[MASK(i)]);
}

/* The special characters of canonical mode. Returns true if c was consumed. */
static bool receive_canon_special(struct n_tty *ld, unsigned char c)
{
    if (is_cc(ld, c, VERASE) || is_cc(ld, c, VKILL) ||
        (is_cc(ld, c, VWERASE) && lflag(ld, IEXTEN))) {
        eraser(ld, c);
        return true;
    }
    if (is_cc(ld, c, VLNEXT) && lflag(ld, IEXTEN)) {
        ld->lnext = true;
        if (lflag(ld, ECHO)) {
            finish_erasing(ld);
            if (lflag(ld, ECHOCTL)) {
                /* "^" then back over it: the literal character overwrites it. */
                echo_raw(ld, '^');
                echo_raw(ld, '\b');
            }
        }
        return true;
    }
    if (is_cc(ld, c, VREPRINT) && lflag(ld, ECHO) && lflag(ld, IEXTEN)) {
        reprint(ld, c);
        return true;
    }
    if (c == '\n') {
        if (lflag(ld, ECHO) || lflag(ld, ECHONL)) {
            finish_erasing(ld);
            echo_raw(ld, '\n');
        }
        end_line(ld, c, false);
        return true;
    }
    if (is_cc(ld, c, VEOF)) {
        /* Not echoed; read() returns the line so far, or 0 at the start of a line. */
        end_line(ld, 0, true);
        return true;
    }
    if (is_cc(ld, c, VEOL) || (is_cc(ld, c, VEOL2) && lflag(ld, IEXTEN))) {
        if (lflag(ld, ECHO)) {
            finish_erasing(ld);
            if (ld->canon_head == ld->read_head)
                ld->canon_column = ld->column;
            echo_char(ld, c);
        }
        end_line(ld, c, false);
        return true;
    }
    return false;
}

static void receive_char(struct n_tty *ld, unsigned char c)
{
    if (iflag(ld, ISTRIP))
        c &= 0x7f;
    if (ld->lnext) {
        /* Taken literally: no signal, flow control, CR mapping or editing. */
        ld->lnext = false;
        put_normal(ld, c);
        return;
    }
    if (iflag(ld, IXON)) {
        if (is_cc(ld, c, VSTART)) {
            ld->stopped = false;
            return;
        }
        if (is_cc(ld, c, VSTOP)) {
            ld->stopped = true;
            return;
        }
    }
    if (lflag(ld, ISIG)) {
        if (is_cc(ld, c, VINTR)) {
            raise_signal(ld, N_TTY_SIGINT, c);
            return;
        }
        if (is_cc(ld, c, VQUIT)) {
            raise_signal(ld, N_TTY_SIGQUIT, c);
            return;
        }
        if (is_cc(ld, c, VSUSP)) {
            raise_signal(ld, N_TTY_SIGTSTP, c);
            return;
        }
    }
    if (ld->stopped && iflag(ld, IXON) && iflag(ld, IXANY))
        ld->stopped = false;
    if (c == '\r') {
        if (iflag(ld, IGNCR))
            return;
        if (iflag(ld, ICRNL))
            c = '\n';
    } else if (c == '\n' && iflag(ld, INLCR)) {
        c = '\r';
    }
    if (lflag(ld, ICANON) && receive_canon_special(ld, c))
        return;
    put_normal(ld, c);
}

size_t n_tty_receive(struct n_tty *ld, const unsigned char *buf, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        /* Non-canonical input that does not fit waits (or is dropped) in the driver. */
        if (!lflag(ld, ICANON) && read_cnt(ld) >= N_TTY_BUF_SIZE)
            break;
        receive_char(ld, buf[i]);
    }
    return i;
}

/* ---- termios ----------------------------------------------------------------------------- */

bool n_tty_set_termios(struct n_tty *ld, const struct termios *t)
{
    tcflag_t old_lflag = ld->termios.c_lflag;
    bool wake = false;

    ld->termios = *t;
    if ((old_lflag ^ t->c_lflag) & ICANON) {
        zero_bytes(ld->delim, sizeof(ld->delim));
        zero_bytes(ld->eof, sizeof(ld->eof));
        if (!(t->c_lflag & ICANON) || read_cnt(ld) == 0) {
            ld->canon_head = ld->read_tail;
        } else {
            /* To canonical with input pending: it becomes a line, as in Linux. */
            put_flag(ld->delim, MASK(ld->read_head - 1), true);
            ld->canon_head = ld->read_head;
        }
        ld->erasing = false;
        ld->lnext = false;
        wake = true;
    }
    if (ld->stopped && !(t->c_iflag & IXON)) {
        ld->stopped = false;
        wake = true;
    }
    return wake;
}

void n_tty_stop(struct n_tty *ld, bool stop) { ld->stopped = stop; }

/* ---- reading ----------------------------------------------------------------------------- */

bool n_tty_input_available(const struct n_tty *ld, size_t min)
{
    if (lflag(ld, ICANON))
        return ld->canon_head != ld->read_tail;
    return read_cnt(ld) >= (min ? min : 1);
}

size_t n_tty_inq(const struct n_tty *ld)
{
    if (!lflag(ld, ICANON))
        return read_cnt(ld);
    size_t n = 0;
    for (size_t i = ld->read_tail; i != ld->canon_head; i++)
        if (!test_flag(ld->eof, MASK(i)))
            n++;
    return n;
}

size_t n_tty_read_canon(struct n_tty *ld, unsigned char *dst, size_t n, bool *line_done)
{
    size_t copied = 0;

    *line_done = false;
    while (ld->read_tail != ld->canon_head) {
        size_t i = MASK(ld->read_tail);
        if (test_flag(ld->eof, i)) {
            ld->read_tail++;
            *line_done = true;
            break;
        }
        if (copied == n)
            break;
        dst[copied++] = ld->buf[i];
        ld->read_tail++;
        if (test_flag(ld->delim, i)) {
            *line_done = true;
            break;
        }
    }
    return copied;
}

size_t n_tty_read_raw(struct n_tty *ld, unsigned char *dst, size_t n)
{
    size_t copied = 0;
    while (copied < n && ld->read_tail != ld->read_head)
        dst[copied++] = ld->buf[MASK(ld->read_tail++)];
    /* canon_head has no meaning here; keep it inside the queue for a later ICANON switch. */
    ld->canon_head = ld->read_tail;
    return copied;
}

bool n_tty_read_policy(const struct termios *t, size_t *minimum, uint64_t *first_ns,
                       uint64_t *inter_ns)
{
    uint64_t time = (uint64_t)t->c_cc[VTIME] * 100000000ull;   /* VTIME is in 0.1 s */
    unsigned min = t->c_cc[VMIN];

    if (min) {
        /* Wait for VMIN bytes; with VTIME, the timer starts at the first byte. */
        *minimum = min;
        *first_ns = 0;
        *inter_ns = time;
    } else {
        /* One byte, or VTIME from the start (both zero: do not wait at all). */
        *minimum = 1;
        *first_ns = time;
        *inter_ns = 0;
    }
    return min || time;
}
