/*
 * check.h - tiny self-checking harness shared by the guest tests.
 *
 * Every check prints exactly one line:
 *   PASS <test>: <check>
 *   FAIL <test>: <check>: <details>
 *   SKIP <test>: <check>: <reason>
 * and check_done() prints "DONE <test> <npass> passed, <nfail> failed" and
 * returns the process exit status (0 only when nothing failed).
 *
 * Output goes straight to fd 1 with write(2), never through stdio buffers:
 * the tests fork a lot, and a buffered line would otherwise be printed
 * twice (once by the parent, once by each child that exits via exit()).
 *
 * Checks run in the process that called check_begin(). A forked child that
 * wants to verify something reports through its exit status instead; the
 * parent turns that into a check with check_child().
 */
#ifndef OPENV_CHECK_H
#define OPENV_CHECK_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *check_test __attribute__((unused)) = "?";
static int check_npass __attribute__((unused)), check_nfail __attribute__((unused)),
    check_nskip __attribute__((unused));

static inline void check_emit(const char *kind, const char *what, const char *fmt,
                       va_list ap)
{
    char buf[768];
    int n = snprintf(buf, sizeof buf, "%s %s: %s", kind, check_test, what);
    if (n < 0 || n >= (int)sizeof buf)
        n = (int)sizeof buf - 2;
    if (fmt && *fmt && n < (int)sizeof buf - 2) {
        n += snprintf(buf + n, sizeof buf - n, ": ");
        if (n < (int)sizeof buf - 2) {
            int m = vsnprintf(buf + n, sizeof buf - n, fmt, ap);
            n = (m < 0 || n + m >= (int)sizeof buf - 1) ? (int)sizeof buf - 2
                                                      : n + m;
        }
    }
    buf[n++] = '\n';
    for (int off = 0; off < n;) {
        ssize_t w = write(1, buf + off, (size_t)(n - off));
        if (w <= 0) {
            if (w < 0 && errno == EINTR)
                continue;
            break;
        }
        off += (int)w;
    }
}

static inline void check_begin(const char *test)
{
    check_test = test;
    check_npass = check_nfail = check_nskip = 0;
}

/* Record one check; `fmt` describes the failure and is only printed on FAIL.
 * Returns `ok` so callers can bail out of dependent checks. */
__attribute__((format(printf, 3, 4)))
static inline int check_result(int ok, const char *what, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (ok) {
        check_npass++;
        check_emit("PASS", what, NULL, ap);
    } else {
        check_nfail++;
        check_emit("FAIL", what, fmt, ap);
    }
    va_end(ap);
    return ok;
}

__attribute__((format(printf, 2, 3)))
static inline void check_skip(const char *what, const char *reason, ...)
{
    va_list ap;
    va_start(ap, reason);
    check_nskip++;
    check_emit("SKIP", what, reason, ap);
    va_end(ap);
}

/* Free-form note, e.g. a measured value worth seeing in the log. */
__attribute__((format(printf, 1, 2)))
static inline void check_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    check_emit("NOTE", "info", fmt, ap);
    va_end(ap);
}

static inline int check_done(void)
{
    char buf[160];
    int n = snprintf(buf, sizeof buf, "DONE %s %d passed, %d failed\n",
                     check_test, check_npass, check_nfail);
    if (write(1, buf, (size_t)n) < 0) { /* nothing sensible to do */ }
    return check_nfail ? 1 : 0;
}

/* CHECK(cond, what): details are the stringified condition and errno. */
#define CHECK(cond, what)                                                    \
    check_result(!!(cond), (what), "%s (errno=%d %s) at line %d", #cond,     \
                 errno, strerror(errno), __LINE__)

/* CHECKF(cond, what, fmt, ...): caller-supplied failure details. */
#define CHECKF(cond, what, ...) check_result(!!(cond), (what), __VA_ARGS__)

/* The macros below are expressions returning 1 on pass, 0 on fail, so a
 * caller can skip checks that depend on an earlier one. */

static inline int check_eq_impl(long long a, long long b, const char *sa,
                                const char *sb, const char *what, int line)
{
    return check_result(a == b, what, "%s == %lld, expected %s == %lld "
                        "(line %d)", sa, a, sb, b, line);
}

static inline int check_err_impl(long r, int e, int want, const char *expr,
                                 const char *what, int line)
{
    return check_result(r == -1 && e == want, what,
                        "%s returned %ld errno=%d (%s), expected -1 errno=%d "
                        "(%s) (line %d)", expr, r, e, strerror(e), want,
                        strerror(want), line);
}

static inline int check_ok_impl(long r, int e, const char *expr,
                                const char *what, int line)
{
    return check_result(r != -1, what, "%s failed: errno=%d (%s) (line %d)",
                        expr, e, strerror(e), line);
}

/* Result of the last CHECK_ERR/CHECK_OK expression; the comma operator
 * sequences "evaluate expr" before "read errno". */
static long check_last_r __attribute__((unused));

/* CHECK_EQ(a, b, what): integer equality, both values printed on failure. */
#define CHECK_EQ(a, b, what)                                                 \
    check_eq_impl((long long)(a), (long long)(b), #a, #b, (what), __LINE__)

/* CHECK_ERR(expr, err, what): expr must return -1 with errno == err. */
#define CHECK_ERR(expr, err, what)                                           \
    (errno = 0, check_last_r = (long)(expr),                                 \
     check_err_impl(check_last_r, errno, (err), #expr, (what), __LINE__))

/* CHECK_OK(expr, what): expr must not return -1 (a syscall wrapper). */
#define CHECK_OK(expr, what)                                                 \
    (errno = 0, check_last_r = (long)(expr),                                 \
     check_ok_impl(check_last_r, errno, #expr, (what), __LINE__))

/* True when the runner told us we run under qemu-user (qemu-riscv64-static),
 * where a few things (execve of a guest binary, vfork memory sharing) do not
 * behave like a real kernel. */
static inline int under_qemu_user(void)
{
    const char *v = getenv("OPENV_UNDER_QEMU_USER");
    return v && *v && strcmp(v, "0") != 0;
}

/* Describe a wait status for failure messages. */
static inline const char *check_wstatus(int st)
{
    static char buf[64];
    if (WIFEXITED(st))
        snprintf(buf, sizeof buf, "exited %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(buf, sizeof buf, "killed by signal %d", WTERMSIG(st));
    else
        snprintf(buf, sizeof buf, "status 0x%x", st);
    return buf;
}

/* Reap `pid` and check it exited with status 0 (a child reporting success). */
static inline int check_child(pid_t pid, const char *what)
{
    int st = 0;
    pid_t r;
    do
        r = waitpid(pid, &st, 0);
    while (r < 0 && errno == EINTR);
    if (r != pid)
        return check_result(0, what, "waitpid(%d) returned %d errno=%d",
                            (int)pid, (int)r, errno);
    return check_result(WIFEXITED(st) && WEXITSTATUS(st) == 0, what, "child %s",
                        check_wstatus(st));
}

/* Reap `pid` and check it was killed by signal `sig`. */
static inline int check_child_signaled(pid_t pid, int sig, const char *what)
{
    int st = 0;
    pid_t r;
    do
        r = waitpid(pid, &st, 0);
    while (r < 0 && errno == EINTR);
    if (r != pid)
        return check_result(0, what, "waitpid(%d) returned %d errno=%d",
                            (int)pid, (int)r, errno);
    return check_result(WIFSIGNALED(st) && WTERMSIG(st) == sig, what,
                        "child %s, expected signal %d", check_wstatus(st), sig);
}

#endif /* OPENV_CHECK_H */
