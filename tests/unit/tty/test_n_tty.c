/* Host tests for the N_TTY line discipline core (kernel/drivers/tty/n_tty.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "n_tty.h"

/* Everything the line discipline sends to the "device". */
static char out[65536];
static size_t out_len;

static void cap_write(void *ctx, const unsigned char *buf, size_t n)
{
    (void)ctx;
    assert_true(out_len + n <= sizeof(out));
    memcpy(out + out_len, buf, n);
    out_len += n;
}
static const struct n_tty_ops cap_ops = { .write = cap_write };

static struct n_tty *ld;

static int setup(void **state)
{
    (void)state;
    ld = calloc(1, sizeof(*ld));
    n_tty_init(ld, &cap_ops, NULL);
    out_len = 0;
    return 0;
}
static int teardown(void **state)
{
    (void)state;
    free(ld);
    return 0;
}

static void feed(const char *s) { assert_int_equal(n_tty_receive(ld, (const unsigned char *)s, strlen(s)), strlen(s)); }
static void feed_n(const void *s, size_t n) { n_tty_receive(ld, s, n); }

static void assert_echo(const char *want)
{
    assert_int_equal(out_len, strlen(want));
    assert_memory_equal(out, want, out_len);
    out_len = 0;
}

/* Read one canonical line into a static buffer; returns its length. */
static char line[8192];
static size_t read_line(void)
{
    bool done;
    size_t n = n_tty_read_canon(ld, (unsigned char *)line, sizeof(line) - 1, &done);
    line[n] = 0;
    assert_true(done);
    return n;
}

static void set_lflag(tcflag_t on, tcflag_t off)
{
    struct termios t = ld->termios;
    t.c_lflag = (t.c_lflag | on) & ~off;
    n_tty_set_termios(ld, &t);
}
static void set_iflag(tcflag_t on, tcflag_t off)
{
    struct termios t = ld->termios;
    t.c_iflag = (t.c_iflag | on) & ~off;
    n_tty_set_termios(ld, &t);
}
static void set_oflag(tcflag_t on, tcflag_t off)
{
    struct termios t = ld->termios;
    t.c_oflag = (t.c_oflag | on) & ~off;
    n_tty_set_termios(ld, &t);
}

/* ---- tests ---- */

static void test_std_termios(void **state)
{
    (void)state;
    const struct termios *t = &ld->termios;
    assert_int_equal(sizeof(struct termios), 36);
    assert_int_equal(t->c_iflag, ICRNL | IXON);
    assert_int_equal(t->c_oflag, OPOST | ONLCR);
    assert_int_equal(t->c_cflag, B38400 | CS8 | CREAD | HUPCL);
    assert_int_equal(t->c_lflag, ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN);
    assert_int_equal(t->c_cc[VINTR], 3);
    assert_int_equal(t->c_cc[VQUIT], 0x1c);
    assert_int_equal(t->c_cc[VERASE], 0x7f);
    assert_int_equal(t->c_cc[VKILL], 0x15);
    assert_int_equal(t->c_cc[VEOF], 4);
    assert_int_equal(t->c_cc[VMIN], 1);
    assert_int_equal(t->c_cc[VTIME], 0);
    assert_int_equal(t->c_cc[VSUSP], 0x1a);
    assert_int_equal(t->c_cc[VWERASE], 0x17);
    assert_int_equal(t->c_cc[VLNEXT], 0x16);
    assert_int_equal(t->c_cc[VREPRINT], 0x12);
    assert_int_equal(t->c_cc[VSTART], 0x11);
    assert_int_equal(t->c_cc[VSTOP], 0x13);
}

static void test_canon_line_and_echo(void **state)
{
    (void)state;
    feed("abc");
    assert_false(n_tty_input_available(ld, 1));
    feed("\r");                         /* ICRNL */
    assert_true(n_tty_input_available(ld, 1));
    assert_echo("abc\r\n");             /* ONLCR on the echo */
    assert_int_equal(read_line(), 4);
    assert_string_equal(line, "abc\n");
    assert_false(n_tty_input_available(ld, 1));
}

static void test_canon_one_line_per_read(void **state)
{
    (void)state;
    feed("one\ntwo\n");
    assert_int_equal(n_tty_inq(ld), 8);
    assert_int_equal(read_line(), 4);
    assert_string_equal(line, "one\n");
    assert_int_equal(read_line(), 4);
    assert_string_equal(line, "two\n");
}

static void test_canon_short_buffer(void **state)
{
    (void)state;
    unsigned char b[4];
    bool done;
    feed("abcdef\n");
    assert_int_equal(n_tty_read_canon(ld, b, 4, &done), 4);
    assert_false(done);
    assert_memory_equal(b, "abcd", 4);
    assert_int_equal(n_tty_read_canon(ld, b, 4, &done), 3);
    assert_true(done);
    assert_memory_equal(b, "ef\n", 3);
}

static void test_erase(void **state)
{
    (void)state;
    feed("abx\x7f");
    assert_echo("abx\b \b");
    feed("c\n");
    read_line();
    assert_string_equal(line, "abc\n");
    /* Nothing to erase at the start of a line. */
    out_len = 0;
    feed("\x7f\x7f");
    assert_echo("");
}

static void test_erase_without_echoe(void **state)
{
    (void)state;
    set_lflag(0, ECHOE);
    feed("ab\x7f");
    assert_echo("ab^?");
}

static void test_kill_echoke(void **state)
{
    (void)state;
    feed("hello\x15");
    assert_echo("hello\b \b\b \b\b \b\b \b\b \b");
    feed("bye\n");
    read_line();
    assert_string_equal(line, "bye\n");
}

static void test_kill_echok_only(void **state)
{
    (void)state;
    set_lflag(0, ECHOKE);
    feed("hello\x15");
    assert_echo("hello^U\r\n");
    feed("x\n");
    read_line();
    assert_string_equal(line, "x\n");
}

static void test_werase(void **state)
{
    (void)state;
    feed("foo bar  \x17");
    feed("baz\n");
    read_line();
    assert_string_equal(line, "foo baz\n");
    feed("foo.bar\x17\n");   /* ALTWERASE: punctuation ends the word */
    read_line();
    assert_string_equal(line, "foo.\n");
}

static void test_eof(void **state)
{
    (void)state;
    bool done;
    unsigned char b[16];
    feed("\x04");
    assert_echo("");                    /* EOF is not echoed */
    assert_true(n_tty_input_available(ld, 1));
    assert_int_equal(n_tty_inq(ld), 0);
    assert_int_equal(n_tty_read_canon(ld, b, sizeof(b), &done), 0);
    assert_true(done);
    /* After text, EOF pushes the line without a newline. */
    feed("ab\x04");
    assert_int_equal(n_tty_inq(ld), 2);
    assert_int_equal(n_tty_read_canon(ld, b, sizeof(b), &done), 2);
    assert_true(done);
    assert_memory_equal(b, "ab", 2);
    assert_false(n_tty_input_available(ld, 1));
}

static void test_eol(void **state)
{
    (void)state;
    struct termios t = ld->termios;
    t.c_cc[VEOL] = ';';
    n_tty_set_termios(ld, &t);
    feed("ls;");
    assert_true(n_tty_input_available(ld, 1));
    read_line();
    assert_string_equal(line, "ls;");
    /* NUL is not EOL while VEOL is disabled. */
    t.c_cc[VEOL] = 0;
    n_tty_set_termios(ld, &t);
    feed_n("\0", 1);
    assert_false(n_tty_input_available(ld, 1));
}

static void test_isig(void **state)
{
    (void)state;
    feed("partial\x03");
    assert_echo("partial^C");
    assert_int_equal(n_tty_take_signals(ld), 1u << N_TTY_SIGINT);
    assert_int_equal(n_tty_take_signals(ld), 0);
    assert_int_equal(ld->read_head - ld->read_tail, 0);   /* flushed */
    feed("\x1a\x1c");
    assert_int_equal(n_tty_take_signals(ld), (1u << N_TTY_SIGTSTP) | (1u << N_TTY_SIGQUIT));
}

static void test_isig_noflsh_and_off(void **state)
{
    (void)state;
    set_lflag(NOFLSH, 0);
    feed("keep\x03\n");
    assert_int_equal(n_tty_take_signals(ld), 1u << N_TTY_SIGINT);
    read_line();
    assert_string_equal(line, "keep\n");
    set_lflag(0, ISIG);
    feed("\x03\n");
    assert_int_equal(n_tty_take_signals(ld), 0);
    read_line();
    assert_string_equal(line, "\x03\n");
}

static void test_echoctl(void **state)
{
    (void)state;
    feed("\x01");
    assert_echo("^A");
    feed("\x7f");   /* two columns to erase */
    assert_echo("\b \b\b \b");
    set_lflag(0, ECHOCTL);
    feed("\x01");
    assert_echo("\x01");
}

static void test_echonl(void **state)
{
    (void)state;
    set_lflag(ECHONL, ECHO);
    feed("secret\n");
    assert_echo("\r\n");
    read_line();
    assert_string_equal(line, "secret\n");
}

static void test_lnext(void **state)
{
    (void)state;
    feed("\x16");
    assert_echo("^\b");
    feed("\x03");
    assert_int_equal(n_tty_take_signals(ld), 0);
    assert_echo("^C");
    feed("\x16\x7f\x16\r\n");   /* literal DEL and CR (no ICRNL) */
    read_line();
    assert_memory_equal(line, "\x03\x7f\r\n", 4);
}

static void test_reprint(void **state)
{
    (void)state;
    feed("abc");
    out_len = 0;
    feed("\x12");
    assert_echo("^R\r\nabc");
}

static void test_input_mapping(void **state)
{
    (void)state;
    set_iflag(INLCR, ICRNL);
    feed("a\r");   /* CR stays CR: no line yet */
    assert_false(n_tty_input_available(ld, 1));
    feed("\n");    /* INLCR: NL becomes CR, still no line */
    assert_false(n_tty_input_available(ld, 1));
    n_tty_flush_input(ld);
    set_iflag(IGNCR, INLCR);
    feed("b\r\n");
    read_line();
    assert_string_equal(line, "b\n");
    set_iflag(ISTRIP, 0);
    feed_n("\xe1\n", 2);
    read_line();
    assert_string_equal(line, "a\n");
}

static void test_iutf8_erase(void **state)
{
    (void)state;
    set_iflag(IUTF8, 0);
    feed("x\xc3\xa9");   /* x, e-acute */
    assert_int_equal(ld->column, 2);
    out_len = 0;
    feed("\x7f");
    assert_echo("\b \b");
    feed("\n");
    read_line();
    assert_string_equal(line, "x\n");
    /* Without IUTF8 each byte is erased separately. */
    set_iflag(0, IUTF8);
    feed("\xc3\xa9\x7f\n");
    read_line();
    assert_string_equal(line, "\xc3\n");
}

static void test_tab_erase(void **state)
{
    (void)state;
    feed("ab\t");
    assert_int_equal(ld->column, 8);
    out_len = 0;
    feed("\x7f");
    assert_echo("\b\b\b\b\b\b");
    assert_int_equal(ld->column, 2);
}

static void test_tab_erase_after_prompt(void **state)
{
    (void)state;
    /* A prompt written before the line moves the line's start column. */
    assert_int_equal(n_tty_write(ld, (const unsigned char *)"$ ", 2, 100), 2);
    feed("a\t");
    assert_int_equal(ld->column, 8);
    out_len = 0;
    feed("\x7f");
    assert_echo("\b\b\b\b\b");
}

static void test_output_processing(void **state)
{
    (void)state;
    const unsigned char *s = (const unsigned char *)"a\nb";
    assert_int_equal(n_tty_write(ld, s, 3, 100), 3);
    assert_echo("a\r\nb");
    /* Room is counted after expansion: "\n" needs two bytes. */
    assert_int_equal(n_tty_write(ld, (const unsigned char *)"x\n", 2, 2), 1);
    assert_echo("x");
    set_oflag(XTABS, 0);
    assert_int_equal(n_tty_write(ld, (const unsigned char *)"\tz", 2, 100), 2);
    assert_echo("      z");   /* "bx" left the column at 2: 6 spaces */
    set_oflag(OCRNL, ONLCR);
    n_tty_write(ld, (const unsigned char *)"\r\n", 2, 100);
    assert_echo("\n\n");
    set_oflag(0, OPOST);
    n_tty_write(ld, (const unsigned char *)"\n\t", 2, 100);
    assert_echo("\n\t");
}

static void test_onlret_onocr(void **state)
{
    (void)state;
    set_oflag(ONOCR | ONLRET, ONLCR);
    n_tty_write(ld, (const unsigned char *)"\rab\n\r", 5, 100);
    assert_echo("ab\n");   /* CR at column 0 dropped; NL returns the carriage */
    assert_int_equal(ld->column, 0);
}

static void test_raw_mode(void **state)
{
    (void)state;
    unsigned char b[16];
    feed("ab");
    set_lflag(0, ICANON | ECHO);   /* the pending partial line becomes readable */
    assert_true(n_tty_input_available(ld, 1));
    out_len = 0;
    feed("\x7f\x15");              /* no editing in raw mode */
    assert_echo("");
    assert_int_equal(n_tty_read_raw(ld, b, sizeof(b)), 4);
    assert_memory_equal(b, "ab\x7f\x15", 4);
    feed("xyz");
    assert_true(n_tty_input_available(ld, 3));
    assert_false(n_tty_input_available(ld, 4));
    assert_int_equal(n_tty_read_raw(ld, b, 2), 2);
    assert_int_equal(n_tty_read_raw(ld, b, 2), 1);
    assert_int_equal(b[0], 'z');
}

static void test_raw_to_canon_pushes_line(void **state)
{
    (void)state;
    set_lflag(0, ICANON);
    feed("pend");
    set_lflag(ICANON, 0);
    assert_true(n_tty_input_available(ld, 1));
    bool done;
    unsigned char b[16];
    assert_int_equal(n_tty_read_canon(ld, b, sizeof(b), &done), 4);
    assert_true(done);
    assert_memory_equal(b, "pend", 4);
}

static void test_vmin_vtime_policy(void **state)
{
    (void)state;
    struct termios t = ld->termios;
    size_t min;
    uint64_t first, inter;

    t.c_cc[VMIN] = 0, t.c_cc[VTIME] = 0;   /* poll */
    assert_false(n_tty_read_policy(&t, &min, &first, &inter));
    t.c_cc[VMIN] = 3, t.c_cc[VTIME] = 0;   /* block for 3 */
    assert_true(n_tty_read_policy(&t, &min, &first, &inter));
    assert_int_equal(min, 3);
    assert_int_equal(first, 0);
    assert_int_equal(inter, 0);
    t.c_cc[VMIN] = 2, t.c_cc[VTIME] = 5;   /* inter-byte timer after the first byte */
    assert_true(n_tty_read_policy(&t, &min, &first, &inter));
    assert_int_equal(min, 2);
    assert_int_equal(first, 0);
    assert_int_equal(inter, 500000000ull);
    t.c_cc[VMIN] = 0, t.c_cc[VTIME] = 10;  /* one byte or 1 s */
    assert_true(n_tty_read_policy(&t, &min, &first, &inter));
    assert_int_equal(min, 1);
    assert_int_equal(first, 1000000000ull);
    assert_int_equal(inter, 0);
}

static void test_canon_buffer_full(void **state)
{
    (void)state;
    static char big[5000];
    memset(big, 'a', sizeof(big));
    set_lflag(0, ECHO);
    assert_int_equal(n_tty_receive(ld, (const unsigned char *)big, sizeof(big)), sizeof(big));
    assert_false(n_tty_input_available(ld, 1));
    feed("\n");   /* the last slot is kept for the line end */
    assert_int_equal(read_line(), N_TTY_BUF_SIZE);
    assert_int_equal(line[N_TTY_BUF_SIZE - 1], '\n');
    /* Erase still works on a full line. */
    n_tty_receive(ld, (const unsigned char *)big, sizeof(big));
    feed("\x15ok\n");
    read_line();
    assert_string_equal(line, "ok\n");
}

static void test_raw_buffer_full(void **state)
{
    (void)state;
    static unsigned char big[5000], b[5000];
    memset(big, 'r', sizeof(big));
    set_lflag(0, ICANON | ECHO);
    assert_int_equal(n_tty_receive(ld, big, sizeof(big)), N_TTY_BUF_SIZE);
    assert_int_equal(n_tty_room(ld), 0);
    assert_int_equal(n_tty_read_raw(ld, b, 100), 100);
    assert_int_equal(n_tty_room(ld), 100);
    assert_int_equal(n_tty_receive(ld, big, sizeof(big)), 100);
    /* The ring wraps correctly. */
    assert_int_equal(n_tty_read_raw(ld, b, sizeof(b)), N_TTY_BUF_SIZE);
}

static void test_wraparound_lines(void **state)
{
    (void)state;
    set_lflag(0, ECHO);
    for (int i = 0; i < 3000; i++) {
        feed("line\n");
        read_line();
        assert_string_equal(line, "line\n");
    }
}

static void test_ixon(void **state)
{
    (void)state;
    feed("\x13");
    assert_true(ld->stopped);
    feed("\x11");
    assert_false(ld->stopped);
    feed("\x13");
    set_iflag(0, IXON);   /* turning IXON off restarts output */
    assert_false(ld->stopped);
    feed("\x13\n");
    read_line();
    assert_string_equal(line, "\x13\n");
}

static void test_flush(void **state)
{
    (void)state;
    feed("abc\ndef");
    n_tty_flush_input(ld);
    assert_false(n_tty_input_available(ld, 1));
    assert_int_equal(n_tty_inq(ld), 0);
    feed("\x7f");   /* nothing left to erase */
    feed("g\n");
    read_line();
    assert_string_equal(line, "g\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_std_termios),
        T(test_canon_line_and_echo),
        T(test_canon_one_line_per_read),
        T(test_canon_short_buffer),
        T(test_erase),
        T(test_erase_without_echoe),
        T(test_kill_echoke),
        T(test_kill_echok_only),
        T(test_werase),
        T(test_eof),
        T(test_eol),
        T(test_isig),
        T(test_isig_noflsh_and_off),
        T(test_echoctl),
        T(test_echonl),
        T(test_lnext),
        T(test_reprint),
        T(test_input_mapping),
        T(test_iutf8_erase),
        T(test_tab_erase),
        T(test_tab_erase_after_prompt),
        T(test_output_processing),
        T(test_onlret_onocr),
        T(test_raw_mode),
        T(test_raw_to_canon_pushes_line),
        T(test_vmin_vtime_policy),
        T(test_canon_buffer_full),
        T(test_raw_buffer_full),
        T(test_wraparound_lines),
        T(test_ixon),
        T(test_flush),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
