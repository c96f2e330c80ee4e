/* Host tests for the kernel side of the tty layer (tty_io.c, pty.c): device nodes, open and
 * the controlling tty, job control, ioctls, PTY data flow and hang-up. The kernel services
 * they call are stubbed below; nothing may sleep (a test that would block fails). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "tty_internal.h"
#include "uaccess.h"
#include "time.h"
#include "string.h"

/* ---- fake processes ------------------------------------------------------------------ */

struct fake_proc {
    struct task task;
    pid_t pgid, sid;
    struct tty *ctty;
    bool ignore_ttin, ignore_ttou, orphaned;
};
static struct fake_proc procs[4];
struct task *host_current;

static struct fake_proc *fp(struct task *t) { return container_of(t, struct fake_proc, task); }
static void run_as(int i) { host_current = &procs[i].task; }

pid_t task_pgid(struct task *t) { return fp(t)->pgid; }
pid_t task_sid(struct task *t) { return fp(t)->sid; }
struct tty *task_ctty(struct task *t) { return fp(t)->ctty; }
void task_set_ctty(struct task *t, struct tty *tty) { fp(t)->ctty = tty; }
bool pgrp_exists_in_session(pid_t pgrp, pid_t sid)
{
    for (size_t i = 0; i < 4; i++)
        if (procs[i].pgid == pgrp && procs[i].sid == sid)
            return true;
    return false;
}
bool pgrp_is_orphaned(pid_t pgrp)
{
    for (size_t i = 0; i < 4; i++)
        if (procs[i].pgid == pgrp && procs[i].orphaned)
            return true;
    return false;
}
bool signal_is_ignored_or_blocked(struct task *t, int sig)
{
    return sig == SIGTTIN ? fp(t)->ignore_ttin : sig == SIGTTOU ? fp(t)->ignore_ttou : false;
}
void session_clear_ctty(pid_t sid)
{
    for (size_t i = 0; i < 4; i++)
        if (procs[i].sid == sid)
            procs[i].ctty = NULL;
}

static struct { pid_t pgrp; int sig; } kills[32];
static int nkills;
int kill_pgrp(pid_t pgrp, int sig)
{
    assert_true(nkills < 32);
    kills[nkills].pgrp = pgrp;
    kills[nkills].sig = sig;
    nkills++;
    return 0;
}
static bool killed(pid_t pgrp, int sig)
{
    for (int i = 0; i < nkills; i++)
        if (kills[i].pgrp == pgrp && kills[i].sig == sig)
            return true;
    return false;
}
void send_signal(struct task *t, int sig) { (void)t, (void)sig; }
bool signal_pending(struct task *t) { (void)t; return false; }

/* ---- locks, sleeping, time ------------------------------------------------------------- */

void spin_init(spinlock_t *l, const char *name) { l->locked = 0; l->name = name; }
void spin_lock(spinlock_t *l) { assert_false(l->locked); l->locked = 1; }
void spin_unlock(spinlock_t *l) { assert_true(l->locked); l->locked = 0; }
bool spin_is_locked(spinlock_t *l) { return l->locked; }
irqflags_t local_irq_save(void) { return 0; }
void local_irq_restore(irqflags_t f) { (void)f; }
irqflags_t spin_lock_irqsave(spinlock_t *l) { spin_lock(l); return 0; }
void spin_unlock_irqrestore(spinlock_t *l, irqflags_t f) { (void)f; spin_unlock(l); }
void wait_queue_init(struct wait_queue *wq) { list_init(&wq->waiters); }
void prepare_to_wait(struct wait_queue *wq, struct wait_entry *e, int state) { (void)wq, (void)e, (void)state; }
void finish_wait(struct wait_queue *wq, struct wait_entry *e) { (void)wq, (void)e; }
void wake_up(struct wait_queue *wq) { (void)wq; }
void schedule(void) { fail_msg("would sleep"); }
int schedule_timeout(uint64_t d) { (void)d; fail_msg("would sleep"); return 0; }
void set_current_state(int s) { (void)s; }
uint64_t ktime_mono_ns(void) { return 1000; }

/* ---- memory, strings, log ------------------------------------------------------------- */

void *kzalloc(size_t n) { return calloc(1, n); }
void *kmalloc(size_t n) { return malloc(n); }
void kfree(void *p) { free(p); }
size_t strlcpy(char *d, const char *s, size_t n)
{
    size_t len = strlen(s);
    if (n) {
        size_t c = len < n - 1 ? len : n - 1;
        memcpy(d, s, c);
        d[c] = 0;
    }
    return len;
}
int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
int printk(const char *fmt, ...) { (void)fmt; return 0; }
const char *cmdline_get(const char *key) { (void)key; return "ttyS0,115200"; }

/* ---- user memory is plain memory here ------------------------------------------------ */

int copy_from_user(void *dst, uaddr_t src, size_t n) { memcpy(dst, (const void *)src, n); return 0; }
int copy_to_user(uaddr_t dst, const void *src, size_t n) { memcpy((void *)dst, src, n); return 0; }
int get_user_u32(uint32_t *v, uaddr_t a) { return copy_from_user(v, a, sizeof *v); }
int put_user_u32(uint32_t v, uaddr_t a) { return copy_to_user(a, &v, sizeof v); }
int uio_copyout(struct uio *to, const void *src, size_t n)
{
    assert_true(n <= to->resid);
    memcpy((void *)to->ubase, src, n);
    to->ubase += n;
    to->resid -= n;
    return 0;
}
int uio_copyin(void *dst, struct uio *from, size_t n)
{
    assert_true(n <= from->resid);
    memcpy(dst, (const void *)from->ubase, n);
    from->ubase += n;
    from->resid -= n;
    return 0;
}

/* ---- devfs ------------------------------------------------------------------------------ */

static struct node {
    unsigned major, minor;
    const struct file_operations *ops;
    mode_t mode;
    uid_t uid;
    gid_t gid;
    bool live;
} nodes[32];

int register_chrdev(unsigned major, unsigned minor, const char *name,
                    const struct file_operations *ops)
{
    (void)name;
    for (int i = 0; i < 32; i++)
        if (nodes[i].live && nodes[i].major == major && nodes[i].minor == minor)
            return -EBUSY;
    for (int i = 0; i < 32; i++) {
        if (!nodes[i].live) {
            nodes[i] = (struct node){ major, minor, ops, 0666, 0, 0, true };
            return 0;
        }
    }
    return -ENOMEM;
}
static struct node *node_find(unsigned major, unsigned minor)
{
    for (int i = 0; i < 32; i++)
        if (nodes[i].live && nodes[i].major == major && nodes[i].minor == minor)
            return &nodes[i];
    return NULL;
}
void unregister_chrdev(unsigned major, unsigned minor)
{
    struct node *n = node_find(major, minor);
    if (n)
        n->live = false;
}
int devfs_set_owner(unsigned major, unsigned minor, mode_t perm, uid_t uid, gid_t gid)
{
    struct node *n = node_find(major, minor);
    if (!n)
        return -ENODEV;
    n->mode = perm, n->uid = uid, n->gid = gid;
    return 0;
}
void poll_wait(struct file *f, struct wait_queue *wq, struct poll_table *pt) { (void)f, (void)wq, (void)pt; }

/* Open (major, minor) as devfs's chrdev_open does: f->ops = the registered ops, then open. */
static struct file *dev_open(unsigned major, unsigned minor, unsigned flags, int *err)
{
    struct node *n = node_find(major, minor);
    if (!n) {
        *err = -ENXIO;
        return NULL;
    }
    struct file *f = calloc(1, sizeof(*f));
    f->flags = flags;
    f->ops = n->ops;
    *err = f->ops->open(NULL, f);
    if (*err) {
        free(f);
        return NULL;
    }
    return f;
}
static struct file *must_open(unsigned major, unsigned minor, unsigned flags)
{
    int err;
    struct file *f = dev_open(major, minor, flags, &err);
    assert_int_equal(err, 0);
    return f;
}
static void dev_close(struct file *f)
{
    f->ops->release(f);
    free(f);
}
static ssize_t do_read(struct file *f, char *buf, size_t n)
{
    struct uio u = uio_user((uaddr_t)buf, n);
    ssize_t r = f->ops->read(f, &u, NULL);
    if (r >= 0 && (size_t)r < n)
        buf[r] = 0;
    return r;
}
static ssize_t do_write(struct file *f, const char *s)
{
    struct uio u = uio_user((uaddr_t)s, strlen(s));
    return f->ops->write(f, &u, NULL);
}
static long do_ioctl(struct file *f, unsigned cmd, void *arg)
{
    return f->ops->ioctl(f, cmd, (unsigned long)arg);
}

/* ---- the UART stand-in ------------------------------------------------------------------ */

static char uart_out[4096];
static size_t uart_len;
static void uart_write(struct tty *tty, const char *buf, size_t n)
{
    (void)tty;
    memcpy(uart_out + uart_len, buf, n);
    uart_len += n;
}
static const struct tty_driver_ops uart_ops = { .write = uart_write };
static struct tty *serial;

static int setup(void **state)
{
    (void)state;
    memset(procs, 0, sizeof(procs));
    /* 0: a shell leading session 100; 1: a background job of it; 2: outside any session. */
    procs[0] = (struct fake_proc){ .task = { .tid = 100, .tgid = 100 }, .pgid = 100, .sid = 100 };
    procs[1] = (struct fake_proc){ .task = { .tid = 200, .tgid = 200 }, .pgid = 200, .sid = 100 };
    procs[2] = (struct fake_proc){ .task = { .tid = 300, .tgid = 300 }, .pgid = 300, .sid = 300 };
    run_as(0);
    nkills = 0;
    uart_len = 0;
    if (!serial) {
        serial = tty_register("ttyS0", 4, 64, &uart_ops, NULL);
        tty_init();
    }
    serial->session = serial->pgrp = 0;   /* independent of earlier tests */
    return 0;
}

static void test_nodes(void **state)
{
    (void)state;
    assert_non_null(node_find(4, 64));
    assert_non_null(node_find(5, 0));
    assert_non_null(node_find(5, 1));
    assert_non_null(node_find(5, 2));
}

static void test_console_gives_no_ctty(void **state)
{
    (void)state;
    struct file *f = must_open(5, 1, O_RDWR);
    assert_null(procs[0].ctty);
    struct termios t;
    assert_int_equal(do_ioctl(f, TCGETS, &t), 0);
    assert_int_equal(t.c_lflag & ICANON, ICANON);
    struct { int type, line; char rest[64]; } ss;
    assert_int_equal(do_ioctl(f, TIOCGSERIAL, &ss), 0);   /* cttyhack finds ttyS0 */
    assert_int_equal(ss.line, 0);
    assert_int_equal(do_write(f, "boot\n"), 5);
    assert_int_equal(uart_len, 6);
    assert_memory_equal(uart_out, "boot\r\n", 6);
    /* /dev/tty without a controlling tty. */
    int err;
    assert_null(dev_open(5, 0, O_RDWR, &err));
    assert_int_equal(err, -ENXIO);
    dev_close(f);
}

static void test_ctty_and_canonical_io(void **state)
{
    (void)state;
    struct file *f = must_open(4, 64, O_RDWR | O_NONBLOCK);
    assert_ptr_equal(procs[0].ctty, serial);
    uint32_t v = 0;
    assert_int_equal(do_ioctl(f, TIOCGPGRP, &v), 0);
    assert_int_equal(v, 100);
    assert_int_equal(do_ioctl(f, TIOCGSID, &v), 0);
    assert_int_equal(v, 100);

    char buf[64];
    assert_int_equal(do_read(f, buf, sizeof(buf)), -EAGAIN);
    tty_receive(serial, "ls -l\r", 6);
    assert_int_equal(do_ioctl(f, FIONREAD, &v), 0);
    assert_int_equal(v, 6);
    assert_int_equal(do_read(f, buf, sizeof(buf)), 6);
    assert_string_equal(buf, "ls -l\n");
    assert_memory_equal(uart_out, "ls -l\r\n", 7);

    /* ^C: SIGINT to the foreground group. */
    tty_receive(serial, "x\x03", 2);
    assert_true(killed(100, 2));

    /* /dev/tty reaches it now. */
    struct file *t = must_open(5, 0, O_RDWR);
    assert_int_equal(do_write(t, "ok"), 2);
    dev_close(t);

    /* Outsiders cannot ask for the foreground group. */
    run_as(2);
    assert_int_equal(do_ioctl(f, TIOCGPGRP, &v), -ENOTTY);
    dev_close(f);
    serial->session = 0, serial->pgrp = 0;   /* forget, for the next tests */
}

static void test_job_control(void **state)
{
    (void)state;
    struct file *f = must_open(4, 64, O_RDWR | O_NONBLOCK);
    procs[1].ctty = serial;   /* inherited by the job */
    char buf[16];

    run_as(1);   /* background: read stops it */
    assert_int_equal(do_read(f, buf, sizeof(buf)), -ERESTARTSYS);
    assert_true(killed(200, SIGTTIN));
    procs[1].ignore_ttin = true;
    assert_int_equal(do_read(f, buf, sizeof(buf)), -EIO);
    procs[1].ignore_ttin = false;
    procs[1].orphaned = true;
    assert_int_equal(do_read(f, buf, sizeof(buf)), -EIO);
    procs[1].orphaned = false;
    /* Writes pass until TOSTOP. */
    assert_int_equal(do_write(f, "bg"), 2);
    struct termios t;
    do_ioctl(f, TCGETS, &t);
    run_as(0);
    t.c_lflag |= TOSTOP;
    assert_int_equal(do_ioctl(f, TCSETS, &t), 0);
    run_as(1);
    nkills = 0;
    assert_int_equal(do_write(f, "bg"), -ERESTARTSYS);
    assert_true(killed(200, SIGTTOU));
    /* A background tcsetattr stops too; with SIGTTOU ignored it goes through. */
    assert_int_equal(do_ioctl(f, TCSETS, &t), -ERESTARTSYS);
    procs[1].ignore_ttou = true;
    assert_int_equal(do_ioctl(f, TCSETS, &t), 0);
    assert_int_equal(do_write(f, "bg"), 2);

    /* The shell puts the job in the foreground; then it may read. */
    run_as(0);
    uint32_t pg = 200;
    assert_int_equal(do_ioctl(f, TIOCSPGRP, &pg), 0);
    pg = 100;   /* now in the background itself, the shell is stopped ... */
    assert_int_equal(do_ioctl(f, TIOCSPGRP, &pg), -ERESTARTSYS);
    procs[0].ignore_ttou = true;   /* ... unless it ignores SIGTTOU, as ash does */
    pg = 300;   /* another session's group */
    assert_int_equal(do_ioctl(f, TIOCSPGRP, &pg), -EPERM);
    run_as(1);
    tty_receive(serial, "y\n", 2);
    assert_int_equal(do_read(f, buf, sizeof(buf)), 2);

    /* Window size change: SIGWINCH to the foreground group. */
    struct winsize ws = { 50, 132, 0, 0 }, got;
    nkills = 0;
    assert_int_equal(do_ioctl(f, TIOCSWINSZ, &ws), 0);
    assert_true(killed(200, SIGWINCH));
    assert_int_equal(do_ioctl(f, TIOCGWINSZ, &got), 0);
    assert_int_equal(got.ws_col, 132);

    /* The leader exits: serial line hung up, session loses it, old files read EOF. */
    run_as(0);
    nkills = 0;
    tty_session_leader_exit(serial);
    assert_true(killed(200, SIGHUP));
    assert_null(procs[0].ctty);
    assert_null(procs[1].ctty);
    assert_int_equal(do_read(f, buf, sizeof(buf)), 0);
    assert_int_equal(do_write(f, "x"), -EIO);
    dev_close(f);
    t.c_lflag &= ~(tcflag_t)TOSTOP;
    serial->ld.termios = t;
}

static void test_tiocsctty_and_notty(void **state)
{
    (void)state;
    struct file *f = must_open(4, 64, O_RDWR | O_NOCTTY);
    assert_null(procs[0].ctty);
    run_as(1);   /* not a session leader */
    assert_int_equal(do_ioctl(f, TIOCSCTTY, (void *)0), -EPERM);
    run_as(0);
    assert_int_equal(do_ioctl(f, TIOCSCTTY, (void *)0), 0);
    assert_ptr_equal(procs[0].ctty, serial);
    /* Another leader steals it (arg 1, root). */
    run_as(2);
    assert_int_equal(do_ioctl(f, TIOCSCTTY, (void *)0), -EPERM);
    assert_int_equal(do_ioctl(f, TIOCSCTTY, (void *)1), 0);
    assert_ptr_equal(procs[2].ctty, serial);
    assert_null(procs[0].ctty);
    assert_int_equal(do_ioctl(f, TIOCNOTTY, NULL), 0);
    assert_null(procs[2].ctty);
    assert_int_equal(serial->session, 0);
    dev_close(f);
}

static void test_pty(void **state)
{
    (void)state;
    struct file *m = must_open(5, 2, O_RDWR | O_NONBLOCK);
    uint32_t n = 99, zero = 0;
    assert_int_equal(do_ioctl(m, TIOCGPTN, &n), 0);
    assert_int_equal(n, 0);
    struct node *node = node_find(136, 0);
    assert_non_null(node);
    assert_int_equal(node->mode, 0620);
    assert_int_equal(node->gid, 5);

    int err;
    assert_null(dev_open(136, 0, O_RDWR, &err));   /* locked */
    assert_int_equal(err, -EIO);
    char buf[64];
    assert_int_equal(do_write(m, "early"), -EIO);  /* no slave yet */
    assert_int_equal(do_ioctl(m, TIOCSPTLCK, &zero), 0);
    struct file *s = must_open(136, 0, O_RDWR | O_NONBLOCK);
    assert_ptr_equal(procs[0].ctty, m->private_data ? ((struct tty_file *)m->private_data)->tty : NULL);

    /* Keystrokes in, echo and output back. */
    assert_int_equal(do_write(m, "echo hi\r"), 8);
    assert_int_equal(do_read(s, buf, sizeof(buf)), 8);
    assert_string_equal(buf, "echo hi\n");
    assert_int_equal(do_read(m, buf, sizeof(buf)), 9);
    assert_string_equal(buf, "echo hi\r\n");
    assert_int_equal(do_write(s, "hi\n"), 3);
    assert_int_equal(do_read(m, buf, sizeof(buf)), 4);
    assert_string_equal(buf, "hi\r\n");
    assert_int_equal(do_read(m, buf, sizeof(buf)), -EAGAIN);

    /* Termios and window size through the master act on the slave. */
    struct termios t;
    assert_int_equal(do_ioctl(m, TCGETS, &t), 0);
    t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
    assert_int_equal(do_ioctl(m, TCSETS, &t), 0);
    struct winsize ws = { 40, 100, 0, 0 }, got;
    nkills = 0;
    assert_int_equal(do_ioctl(m, TIOCSWINSZ, &ws), 0);
    assert_true(killed(100, SIGWINCH));
    assert_int_equal(do_ioctl(s, TIOCGWINSZ, &got), 0);
    assert_int_equal(got.ws_row, 40);
    assert_int_equal(do_write(m, "q"), 1);
    assert_int_equal(do_read(s, buf, sizeof(buf)), 1);
    assert_int_equal(do_read(m, buf, sizeof(buf)), -EAGAIN);   /* no echo */

    /* Slave closed: master reads EIO and polls HUP. */
    dev_close(s);
    assert_int_equal(do_read(m, buf, sizeof(buf)), -EIO);
    assert_true(m->ops->poll(m, NULL) & POLLHUP);
    dev_close(m);
    assert_null(node_find(136, 0));   /* the node goes with the pty */
    procs[0].ctty = NULL;
}

static void test_pty_master_close_hangs_up(void **state)
{
    (void)state;
    struct file *m = must_open(5, 2, O_RDWR | O_NONBLOCK);
    uint32_t zero = 0;
    do_ioctl(m, TIOCSPTLCK, &zero);
    struct file *s = must_open(136, 0, O_RDWR | O_NONBLOCK);
    assert_non_null(procs[0].ctty);
    nkills = 0;
    dev_close(m);
    assert_true(killed(100, SIGHUP));
    assert_true(killed(100, SIGCONT));
    assert_null(procs[0].ctty);
    char buf[8];
    assert_int_equal(do_read(s, buf, sizeof(buf)), 0);
    assert_int_equal(do_write(s, "x"), -EIO);
    assert_true(s->ops->poll(s, NULL) & POLLHUP);
    int err;
    assert_null(dev_open(136, 0, O_RDWR, &err));
    dev_close(s);
    assert_null(node_find(136, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_nodes, setup),
        cmocka_unit_test_setup(test_console_gives_no_ctty, setup),
        cmocka_unit_test_setup(test_ctty_and_canonical_io, setup),
        cmocka_unit_test_setup(test_job_control, setup),
        cmocka_unit_test_setup(test_tiocsctty_and_notty, setup),
        cmocka_unit_test_setup(test_pty, setup),
        cmocka_unit_test_setup(test_pty_master_close_hangs_up, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
