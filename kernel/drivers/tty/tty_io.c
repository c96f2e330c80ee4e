/* The tty layer: registration and device nodes, open/read/write/poll/ioctl on top of the
 * n_tty line discipline, the controlling terminal and job control (Linux's tty_io.c,
 * tty_jobctrl.c and the sleeping half of n_tty.c).
 *
 * Locking: tty->lock (irqsave; tty_receive takes it from the UART interrupt) covers the line
 * discipline and the tty's small state. It is never held across a sleep, a user copy or a
 * signal delivery: input is bounced through small kernel buffers. */
#include "tty_internal.h"
#include "mm.h"
#include "string.h"
#include "time.h"
#include "uaccess.h"

static spinlock_t tty_list_lock = SPINLOCK_INIT("tty_list");
static struct tty *tty_list;
static struct tty *console_tty;
static bool tty_inited;
static struct tty_dev ctty_dev, console_dev, ptmx_dev;

/* ---- allocation and registration -------------------------------------------------------- */

static void ld_write(void *ctx, const unsigned char *buf, size_t n)
{
    struct tty *tty = ctx;
    tty->ops->write(tty, (const char *)buf, n);
}
static const struct n_tty_ops ld_ops = { .write = ld_write };

void tty_dev_init(struct tty_dev *d, enum tty_dev_kind kind, struct tty *tty)
{
    d->fops = tty_fops_template;
    d->magic = TTY_DEV_MAGIC;
    d->kind = kind;
    d->tty = tty;
}

struct tty *tty_alloc(const char *name, unsigned major, unsigned minor,
                      const struct tty_driver_ops *ops, void *driver_data)
{
    struct tty *tty = kzalloc(sizeof(*tty));
    if (!tty)
        return NULL;
    strlcpy(tty->name, name, sizeof(tty->name));
    tty->major = major;
    tty->minor = minor;
    tty->ops = ops;
    tty->driver_data = driver_data;
    spin_init(&tty->lock, "tty");
    n_tty_init(&tty->ld, &ld_ops, tty);
    wait_queue_init(&tty->read_wait);
    wait_queue_init(&tty->write_wait);
    /* A sane default so full-screen programs work before anyone sets it. */
    tty->winsize.ws_row = 24;
    tty->winsize.ws_col = 80;
    tty_dev_init(&tty->dev, DEV_TTY, tty);
    return tty;
}

void tty_free(struct tty *tty) { kfree(tty); }

void tty_register_dev(struct tty_dev *d, unsigned major, unsigned minor, const char *name)
{
    if (d->registered)
        return;
    int err = register_chrdev(major, minor, name, &d->fops);
    if (err == 0)
        d->registered = true;
    else if (tty_inited)
        pr_err("tty: cannot make /dev/%s (%u:%u): %d\n", name, major, minor, err);
}

/* The console= name without options ("ttyS0,115200n8" -> "ttyS0"). */
static bool is_console_name(const char *name)
{
    const char *want = cmdline_get("console");
    if (!want || !*want)
        want = "ttyS0";
    size_t n = 0;
    while (want[n] && want[n] != ',')
        n++;
    return strlen(name) == n && strncmp(name, want, n) == 0;
}

/* /dev/tty, /dev/console and /dev/ptmx; their tty_dev is set up on first use because
 * tty_register() may run before tty_init(). */
static void register_aux_nodes(void)
{
    if (!ctty_dev.magic) {
        tty_dev_init(&ctty_dev, DEV_CTTY, NULL);
        tty_dev_init(&console_dev, DEV_CONSOLE, NULL);
        tty_dev_init(&ptmx_dev, DEV_PTMX, NULL);
    }
    tty_register_dev(&ctty_dev, 5, 0, "tty");
    if (console_tty)
        tty_register_dev(&console_dev, 5, 1, "console");
    tty_register_dev(&ptmx_dev, 5, 2, "ptmx");
}

struct tty *tty_register(const char *name, unsigned major, unsigned minor,
                         const struct tty_driver_ops *ops, void *driver_data)
{
    struct tty *tty = tty_alloc(name, major, minor, ops, driver_data);
    if (!tty)
        return NULL;
    spin_lock(&tty_list_lock);
    tty->next = tty_list;
    tty_list = tty;
    /* The console is the tty console= names; failing that, the first one registered. */
    if (!console_tty || (is_console_name(name) && !is_console_name(console_tty->name)))
        console_tty = tty;
    spin_unlock(&tty_list_lock);
    tty_register_dev(&tty->dev, major, minor, name);
    register_aux_nodes();
    return tty;
}

void tty_init(void)
{
    tty_inited = true;
    for (struct tty *t = tty_list; t; t = t->next)
        tty_register_dev(&t->dev, t->major, t->minor, t->name);
    register_aux_nodes();
    if (console_tty)
        pr_info("tty: console is /dev/%s\n", console_tty->name);
}

void *tty_driver_data(struct tty *tty) { return tty->driver_data; }

/* ---- input ------------------------------------------------------------------------------- */

static void send_signals(pid_t pgrp, unsigned sigs)
{
    for (int sig = 1; sigs && sig < 32; sig++) {
        if (sigs & (1u << sig)) {
            sigs &= ~(1u << sig);
            if (pgrp > 0)
                kill_pgrp(pgrp, sig);
        }
    }
}

size_t tty_receive_bytes(struct tty *tty, const unsigned char *buf, size_t n)
{
    irqflags_t fl = spin_lock_irqsave(&tty->lock);
    size_t done = n_tty_receive(&tty->ld, buf, n);
    unsigned sigs = n_tty_take_signals(&tty->ld);
    pid_t pgrp = tty->pgrp;
    spin_unlock_irqrestore(&tty->lock, fl);

    wake_up(&tty->read_wait);
    wake_up(&tty->write_wait);   /* START may have restarted output */
    send_signals(pgrp, sigs);
    return done;
}

/* From the UART interrupt: what the line discipline cannot take is lost, as on real lines
 * without flow control. */
void tty_receive(struct tty *tty, const char *buf, size_t n)
{
    tty_receive_bytes(tty, (const unsigned char *)buf, n);
}

void tty_wakeup(struct tty *tty) { wake_up(&tty->write_wait); }

/* ---- job control (Linux tty_jobctrl.c) --------------------------------------------------- */

bool tty_capable(void) { return current->cred.euid == 0; }

/* May the caller read (SIGTTIN) or change/write (SIGTTOU) the tty? Only a background process
 * group of the tty's own session is stopped: it gets the signal and the call restarts once it
 * is continued in the foreground. An ignored or blocked signal lets SIGTTOU operations
 * proceed but makes reads fail; an orphaned group cannot be continued, so it gets EIO. */
static int tty_check_change(struct tty *tty, int sig)
{
    struct task *t = current;
    if (task_ctty(t) != tty)
        return 0;
    irqflags_t fl = spin_lock_irqsave(&tty->lock);
    pid_t fg = tty->pgrp;
    spin_unlock_irqrestore(&tty->lock, fl);
    pid_t pgrp = task_pgid(t);
    if (!fg || pgrp == fg)
        return 0;
    if (signal_is_ignored_or_blocked(t, sig))
        return sig == SIGTTIN ? -EIO : 0;
    if (pgrp_is_orphaned(pgrp))
        return -EIO;
    kill_pgrp(pgrp, sig);
    return -ERESTARTSYS;
}

/* Make tty the controlling tty of the caller's session (it leads it; checked by callers). */
static void tty_set_ctty(struct tty *tty)
{
    irqflags_t fl = spin_lock_irqsave(&tty->lock);
    tty->session = task_sid(current);
    tty->pgrp = task_pgid(current);
    spin_unlock_irqrestore(&tty->lock, fl);
    task_set_ctty(current, tty);
}

/* Forget the session; returns the old session and foreground group. */
static void tty_clear_session(struct tty *tty, pid_t *sid, pid_t *pgrp)
{
    irqflags_t fl = spin_lock_irqsave(&tty->lock);
    *sid = tty->session;
    *pgrp = tty->pgrp;
    tty->session = 0;
    tty->pgrp = 0;
    spin_unlock_irqrestore(&tty->lock, fl);
}

void tty_hangup(struct tty *tty)
{
    pid_t sid, pgrp;
    irqflags_t fl = spin_lock_irqsave(&tty->lock);
    tty->hangup_gen++;
    n_tty_flush_input(&tty->ld);
    spin_unlock_irqrestore(&tty->lock, fl);
    tty_clear_session(tty, &sid, &pgrp);
    wake_up(&tty->read_wait);
    wake_up(&tty->write_wait);
    if (sid) {
        /* The session leader leads a process group with its own pid as id. */
        kill_pgrp(sid, SIGHUP);
        kill_pgrp(sid, SIGCONT);
    }
    if (pgrp && pgrp != sid) {
        kill_pgrp(pgrp, SIGHUP);
        kill_pgrp(pgrp, SIGCONT);
    }
    if (sid)
        session_clear_ctty(sid);
}

void tty_session_leader_exit(struct tty *tty)
{
    if (!tty)
        return;
    if (!tty->is_pty) {
        /* A serial line: hang it up, so a getty respawned on it starts clean. */
        tty_hangup(tty);
        return;
    }
    pid_t sid, pgrp;
    tty_clear_session(tty, &sid, &pgrp);
    if (pgrp)
        kill_pgrp(pgrp, SIGHUP);
    if (sid)
        session_clear_ctty(sid);
}

uint64_t tty_user_devnum(struct tty *tty)
{
    return dev_to_user(MKDEV(tty->major, tty->minor));
}

pid_t tty_foreground_pgrp(struct tty *tty)
{
    pid_t pgrp = READ_ONCE(tty->pgrp);
    return pgrp ? pgrp : -1;
}

/* TIOCNOTTY: a session leader gives the tty up for the whole session (its foreground group
 * gets SIGHUP and SIGCONT); anyone else just detaches itself. */
static long tiocnotty(struct tty *tty)
{
    if (task_ctty(current) != tty)
        return -ENOTTY;
    if (task_sid(current) != current->tgid) {
        task_set_ctty(current, NULL);
        return 0;
    }
    pid_t sid, pgrp;
    tty_clear_session(tty, &sid, &pgrp);
    if (pgrp) {
        kill_pgrp(pgrp, SIGHUP);
        kill_pgrp(pgrp, SIGCONT);
    }
    session_clear_ctty(sid ? sid : task_sid(current));
    return 0;
}

static long tiocsctty(struct tty *tty, struct file *f, unsigned long steal)
{
    pid_t sid = task_sid(current);
    bool leader = sid == current->tgid;

    if (leader && tty->session == sid)
        return 0;
    if (!leader || task_ctty(current))
        return -EPERM;
    if (tty->session) {
        /* Another session has it: only root may take it, with arg 1 (cttyhack, getty). */
        if (steal != 1 || !tty_capable())
            return -EPERM;
        pid_t old = tty->session, pgrp;
        tty_clear_session(tty, &old, &pgrp);
        session_clear_ctty(old);
    }
    if ((f->flags & O_ACCMODE) == O_WRONLY && !tty_capable())
        return -EPERM;
    tty_set_ctty(tty);
    return 0;
}

static long tiocspgrp(struct tty *tty, uaddr_t arg)
{
    if (task_ctty(current) != tty || tty->session != task_sid(current))
        return -ENOTTY;
    int ret = tty_check_change(tty, SIGTTOU);
    if (ret == -EIO)
        return -ENOTTY;
    if (ret)
        return ret;
    uint32_t v;
    if (get_user_u32(&v, arg))
        return -EFAULT;
    pid_t pgrp = (pid_t)v;
    if (pgrp < 0)
        return -EINVAL;
    if (!pgrp_exists_in_session(pgrp, tty->session))
        return -EPERM;
    irqflags_t fl = spin_lock_irqsave(&tty->lock);
    tty->pgrp = pgrp;
    spin_unlock_irqrestore(&tty->lock, fl);
    return 0;
}

/* ---- open and release -------------------------------------------------------------------- */

bool tty_file_hung_up(const struct tty_file *tf)
{
    /* /dev/console files survive hang-ups, as in Linux. */
    return tf->kind != TF_CONSOLE && tf->hangup_gen != READ_ONCE(tf->tty->hangup_gen);
}

int tty_open_file(struct tty *tty, struct file *f, enum tty_file_kind kind, bool noctty)
{
    struct tty_file *tf = kzalloc(sizeof(*tf));
    if (!tf)
        return -ENOMEM;
    if (tty->ops->open) {
        int err = tty->ops->open(tty);
        if (err) {
            kfree(tf);
            return err;
        }
    }
    tf->kind = kind;
    tf->tty = tty;
    tf->hangup_gen = tty->hangup_gen;
    f->private_data = tf;
    tty->opens++;

    /* A session leader without a controlling tty acquires the first tty it opens that no
     * other session has. */
    noctty = noctty || (f->flags & O_NOCTTY);
    if (!noctty && task_sid(current) == current->tgid && !task_ctty(current) && !tty->session)
        tty_set_ctty(tty);
    return 0;
}

static int tty_open(struct inode *inode, struct file *f)
{
    (void)inode;
    struct tty_dev *d = container_of(f->ops, struct tty_dev, fops);
    if (d->magic != TTY_DEV_MAGIC) {
        pr_err("tty: open without the registered file_operations\n");
        return -ENXIO;
    }
    switch (d->kind) {
    case DEV_TTY:
        return tty_open_file(d->tty, f, TF_TTY, false);
    case DEV_CTTY: {
        struct tty *tty = task_ctty(current);
        if (!tty)
            return -ENXIO;
        return tty_open_file(tty, f, TF_TTY, true);
    }
    case DEV_CONSOLE:
        if (!console_tty)
            return -ENODEV;
        return tty_open_file(console_tty, f, TF_CONSOLE, true);
    case DEV_PTMX:
        return pty_open_master(f);
    case DEV_PTS:
        return pty_open_slave(d->index, f);
    }
    return -ENXIO;
}

static void tty_release(struct file *f)
{
    struct tty_file *tf = f->private_data;
    if (!tf)
        return;
    f->private_data = NULL;
    if (tf->kind == TF_PTY_MASTER) {
        pty_master_release(tf);
    } else {
        struct tty *tty = tf->tty;
        tty->opens--;
        if (tty->ops->close)
            tty->ops->close(tty);   /* may free a PTY slave: last use of tty */
    }
    kfree(tf);
}

/* ---- read -------------------------------------------------------------------------------- */

/* One reader (or writer) at a time, so lines are not split between them; interruptible. */
static int excl_enter(struct tty *tty, bool *busy, struct wait_queue *wq)
{
    for (;;) {
        irqflags_t fl = spin_lock_irqsave(&tty->lock);
        if (!*busy) {
            *busy = true;
            spin_unlock_irqrestore(&tty->lock, fl);
            return 0;
        }
        spin_unlock_irqrestore(&tty->lock, fl);
        int err = wait_event_interruptible(wq, !READ_ONCE(*busy));
        if (err)
            return err;
    }
}
static void excl_leave(struct tty *tty, bool *busy, struct wait_queue *wq)
{
    irqflags_t fl = spin_lock_irqsave(&tty->lock);
    *busy = false;
    spin_unlock_irqrestore(&tty->lock, fl);
    wake_up(wq);
}

/* Sleep until input, hang-up, a signal or the deadline (ns, 0: none). */
static int wait_for_input(struct tty_file *tf, uint64_t deadline)
{
    struct tty *tty = tf->tty;
    struct wait_entry we;
    int ret = 0;
    for (;;) {
        prepare_to_wait(&tty->read_wait, &we, TASK_INTERRUPTIBLE);
        if (n_tty_input_available(&tty->ld, 1) || tty_file_hung_up(tf))
            break;
        if (signal_pending(current)) {
            ret = -ERESTARTSYS;
            break;
        }
        if (deadline) {
            if (ktime_mono_ns() >= deadline || !schedule_timeout(deadline))
                break;
        } else {
            schedule();
        }
    }
    finish_wait(&tty->read_wait, &we);
    return ret;
}

/* The body of read(2): canonical (one line) or VMIN/VTIME. Linux's n_tty_read. */
static ssize_t tty_do_read(struct tty_file *tf, struct file *f, struct uio *to)
{
    struct tty *tty = tf->tty;
    unsigned char kbuf[128];
    size_t copied = 0, minimum;
    uint64_t first_ns, inter_ns, deadline = 0;

    irqflags_t fl = spin_lock_irqsave(&tty->lock);
    bool may_wait = n_tty_read_policy(&tty->ld.termios, &minimum, &first_ns, &inter_ns);
    spin_unlock_irqrestore(&tty->lock, fl);
    if (first_ns)
        deadline = ktime_mono_ns() + first_ns;

    for (;;) {
        size_t want = MIN(to->resid, sizeof(kbuf)), n;
        bool line_done = false, canon;

        fl = spin_lock_irqsave(&tty->lock);
        canon = (tty->ld.termios.c_lflag & ICANON) != 0;
        if (canon)
            n = n_tty_read_canon(&tty->ld, kbuf, want, &line_done);
        else
            n = n_tty_read_raw(&tty->ld, kbuf, want);
        spin_unlock_irqrestore(&tty->lock, fl);

        if (n || line_done) {
            if (tty->ops->unthrottle)
                tty->ops->unthrottle(tty);
            if (uio_copyout(to, kbuf, n))
                return copied ? (ssize_t)copied : -EFAULT;
            copied += n;
            if (!to->resid || (canon && line_done))
                break;
            if (canon || copied < minimum) {
                if (!canon && inter_ns)
                    deadline = ktime_mono_ns() + inter_ns;
                continue;
            }
            break;
        }
        if (tty_file_hung_up(tf))
            break;
        if (!canon && !may_wait)
            break;
        if (f->flags & O_NONBLOCK)
            return copied ? (ssize_t)copied : -EAGAIN;
        if (!canon && deadline && ktime_mono_ns() >= deadline)
            break;
        int err = wait_for_input(tf, canon ? 0 : deadline);
        if (err)
            return copied ? (ssize_t)copied : err;
    }
    return (ssize_t)copied;
}

static ssize_t tty_read_file(struct tty_file *tf, struct file *f, struct uio *to)
{
    struct tty *tty = tf->tty;
    if (tty_file_hung_up(tf))
        return 0;
    /* /dev/console readers are exempt from job control, as in Linux. */
    int err = tf->kind == TF_CONSOLE ? 0 : tty_check_change(tty, SIGTTIN);
    if (err)
        return err;
    err = excl_enter(tty, &tty->reading, &tty->read_wait);
    if (err)
        return err;
    ssize_t ret = tty_do_read(tf, f, to);
    excl_leave(tty, &tty->reading, &tty->read_wait);
    return ret;
}

/* ---- write ------------------------------------------------------------------------------- */

static size_t tty_write_room(struct tty *tty)
{
    if (tty->ld.stopped)
        return 0;
    return tty->ops->write_room ? tty->ops->write_room(tty) : (size_t)-1;
}

/* Room for any one output-processed byte (a tab expands to 8). */
static bool tty_can_write(struct tty_file *tf)
{
    return tty_file_hung_up(tf) || tty_write_room(tf->tty) >= 8;
}

static ssize_t tty_do_write(struct tty_file *tf, struct file *f, struct uio *from)
{
    struct tty *tty = tf->tty;
    unsigned char kbuf[256];
    size_t written = 0, off = 0, len = 0;

    while (off < len || from->resid) {
        if (off == len) {
            len = MIN(from->resid, sizeof(kbuf));
            off = 0;
            if (uio_copyin(kbuf, from, len))
                return written ? (ssize_t)written : -EFAULT;
        }
        if (tty_file_hung_up(tf))
            return written ? (ssize_t)written : -EIO;
        irqflags_t fl = spin_lock_irqsave(&tty->lock);
        size_t room = tty_write_room(tty), done = 0;
        if (room)
            done = n_tty_write(&tty->ld, kbuf + off, len - off, room);
        spin_unlock_irqrestore(&tty->lock, fl);
        if (done) {
            off += done;
            written += done;
            continue;
        }
        if (f->flags & O_NONBLOCK)
            return written ? (ssize_t)written : -EAGAIN;
        int err = wait_event_interruptible(&tty->write_wait, tty_can_write(tf));
        if (err)
            return written ? (ssize_t)written : err;
    }
    return (ssize_t)written;
}

static ssize_t tty_write_file(struct tty_file *tf, struct file *f, struct uio *from)
{
    struct tty *tty = tf->tty;
    if (tty_file_hung_up(tf))
        return -EIO;
    /* Console writes are exempt, as Linux's redirected console writes are. */
    if ((tty->ld.termios.c_lflag & TOSTOP) && tf->kind != TF_CONSOLE) {
        int err = tty_check_change(tty, SIGTTOU);
        if (err)
            return err;
    }
    int err = excl_enter(tty, &tty->writing, &tty->write_wait);
    if (err)
        return err;
    ssize_t ret = tty_do_write(tf, f, from);
    excl_leave(tty, &tty->writing, &tty->write_wait);
    return ret;
}

/* ---- poll -------------------------------------------------------------------------------- */

static unsigned tty_poll_file(struct tty_file *tf, struct file *f, struct poll_table *pt)
{
    struct tty *tty = tf->tty;
    poll_wait(f, &tty->read_wait, pt);
    poll_wait(f, &tty->write_wait, pt);
    if (tty_file_hung_up(tf))
        return POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLHUP;

    unsigned mask = 0;
    irqflags_t fl = spin_lock_irqsave(&tty->lock);
    const struct termios *t = &tty->ld.termios;
    /* Like Linux: with VTIME 0, poll waits for VMIN bytes, as the read would. */
    size_t min = (!t->c_cc[VTIME] && t->c_cc[VMIN]) ? t->c_cc[VMIN] : 1;
    if (n_tty_input_available(&tty->ld, min))
        mask |= POLLIN | POLLRDNORM;
    spin_unlock_irqrestore(&tty->lock, fl);
    if (tty_can_write(tf))
        mask |= POLLOUT | POLLWRNORM;
    return mask;
}

/* ---- ioctl ------------------------------------------------------------------------------- */

static long set_termios(struct tty_file *tf, unsigned cmd, uaddr_t arg)
{
    struct tty *tty = tf->tty;
    struct termios t;

    if (tf->kind != TF_PTY_MASTER) {
        int err = tty_check_change(tty, SIGTTOU);
        if (err)
            return err;
    }
    if (copy_from_user(&t, arg, sizeof(t)))
        return -EFAULT;
    /* TCSETSW/TCSETSF would wait for output to drain: ours is written synchronously. */
    irqflags_t fl = spin_lock_irqsave(&tty->lock);
    if (cmd == TCSETSF)
        n_tty_flush_input(&tty->ld);
    n_tty_set_termios(&tty->ld, &t);
    spin_unlock_irqrestore(&tty->lock, fl);
    wake_up(&tty->read_wait);
    wake_up(&tty->write_wait);
    return 0;
}

static long set_winsize(struct tty *tty, uaddr_t arg)
{
    struct winsize ws;
    if (copy_from_user(&ws, arg, sizeof(ws)))
        return -EFAULT;
    irqflags_t fl = spin_lock_irqsave(&tty->lock);
    bool changed = memcmp(&ws, &tty->winsize, sizeof(ws)) != 0;
    tty->winsize = ws;
    pid_t pgrp = tty->pgrp;
    spin_unlock_irqrestore(&tty->lock, fl);
    if (changed && pgrp)
        kill_pgrp(pgrp, SIGWINCH);
    return 0;
}

static long tcxonc(struct tty *tty, unsigned long arg)
{
    irqflags_t fl = spin_lock_irqsave(&tty->lock);
    const struct termios *t = &tty->ld.termios;
    switch (arg) {
    case TCOOFF:
    case TCOON:
        n_tty_stop(&tty->ld, arg == TCOOFF);
        break;
    case TCIOFF:
    case TCION: {
        /* Ask the other end to stop or resume sending. */
        char c = (char)t->c_cc[arg == TCIOFF ? VSTOP : VSTART];
        if (c != _POSIX_VDISABLE)
            tty->ops->write(tty, &c, 1);
        break;
    }
    default:
        spin_unlock_irqrestore(&tty->lock, fl);
        return -EINVAL;
    }
    spin_unlock_irqrestore(&tty->lock, fl);
    wake_up(&tty->write_wait);
    return 0;
}

/* TIOCGSERIAL: enough of struct serial_struct for BusyBox cttyhack to find /dev/ttyS<line>. */
static long tiocgserial(struct tty *tty, uaddr_t arg)
{
    struct {
        int type, line;
        unsigned port;
        int irq, flags, xmit_fifo_size, custom_divisor, baud_base;
        unsigned short close_delay;
        char io_type, reserved_char;
        int hub6;
        unsigned short closing_wait, closing_wait2;
        uint64_t iomem_base;
        unsigned short iomem_reg_shift;
        unsigned port_high;
        uint64_t iomap_base;
    } ss;
    if (tty->major != 4 || tty->minor < 64)
        return -ENOTTY;
    memset(&ss, 0, sizeof(ss));
    ss.type = 4;   /* PORT_16550A */
    ss.line = (int)(tty->minor - 64);
    ss.xmit_fifo_size = 16;
    ss.baud_base = 115200;
    return copy_to_user(arg, &ss, sizeof(ss)) ? -EFAULT : 0;
}

/* The ioctls a master shares with its slave act on the slave (Linux's real_tty). */
long tty_ioctl_common(struct tty_file *tf, struct file *f, unsigned cmd, unsigned long arg)
{
    struct tty *tty = tf->tty;
    bool master = tf->kind == TF_PTY_MASTER;
    bool is_ctty = task_ctty(current) == tty;
    irqflags_t fl;

    switch (cmd) {
    case TCGETS: {
        struct termios t;
        fl = spin_lock_irqsave(&tty->lock);
        t = tty->ld.termios;
        spin_unlock_irqrestore(&tty->lock, fl);
        return copy_to_user(arg, &t, sizeof(t)) ? -EFAULT : 0;
    }
    case TCSETS:
    case TCSETSW:
    case TCSETSF:
        return set_termios(tf, cmd, arg);
    case TIOCGWINSZ: {
        struct winsize ws;
        fl = spin_lock_irqsave(&tty->lock);
        ws = tty->winsize;
        spin_unlock_irqrestore(&tty->lock, fl);
        return copy_to_user(arg, &ws, sizeof(ws)) ? -EFAULT : 0;
    }
    case TIOCSWINSZ:
        return set_winsize(tty, arg);
    case TIOCGPGRP:
        if (!master && !is_ctty)
            return -ENOTTY;
        return put_user_u32((uint32_t)tty->pgrp, arg) ? -EFAULT : 0;
    case TIOCSPGRP:
        return tiocspgrp(tty, arg);
    case TIOCGSID:
        if (!is_ctty || !tty->session)
            return -ENOTTY;
        return put_user_u32((uint32_t)tty->session, arg) ? -EFAULT : 0;
    case TIOCSCTTY:
        return tiocsctty(tty, f, arg);
    case TIOCNOTTY:
        return tiocnotty(tty);
    case FIONBIO: {
        uint32_t on;
        if (get_user_u32(&on, arg))
            return -EFAULT;
        spin_lock(&f->lock);
        f->flags = on ? (f->flags | O_NONBLOCK) : (f->flags & ~(unsigned)O_NONBLOCK);
        spin_unlock(&f->lock);
        return 0;
    }
    case TIOCEXCL:
    case TIOCNXCL:
    case TCSBRK:
    case TCSBRKP:
        return 0;   /* exclusive mode is not enforced; output is always drained */
    case TIOCGETD:
        return put_user_u32(0, arg) ? -EFAULT : 0;   /* N_TTY */
    case TIOCVHANGUP:
        if (!tty_capable())
            return -EPERM;
        tty_hangup(tty);
        return 0;
    }
    return -ENOTTY;
}

static long tty_ioctl_file(struct tty_file *tf, struct file *f, unsigned cmd, unsigned long arg)
{
    struct tty *tty = tf->tty;
    irqflags_t fl;

    if (tty_file_hung_up(tf))
        return cmd == TIOCSPGRP ? -ENOTTY : -EIO;
    switch (cmd) {
    case FIONREAD: {
        fl = spin_lock_irqsave(&tty->lock);
        size_t n = n_tty_inq(&tty->ld);
        spin_unlock_irqrestore(&tty->lock, fl);
        return put_user_u32((uint32_t)n, arg) ? -EFAULT : 0;
    }
    case TIOCOUTQ:
        return put_user_u32(0, arg) ? -EFAULT : 0;   /* written synchronously */
    case TCFLSH: {
        int err = tty_check_change(tty, SIGTTOU);
        if (err)
            return err;
        if (arg > TCIOFLUSH)
            return -EINVAL;
        if (arg == TCIFLUSH || arg == TCIOFLUSH) {
            fl = spin_lock_irqsave(&tty->lock);
            n_tty_flush_input(&tty->ld);
            spin_unlock_irqrestore(&tty->lock, fl);
            if (tty->ops->unthrottle)
                tty->ops->unthrottle(tty);
        }
        return 0;
    }
    case TCXONC: {
        int err = tty_check_change(tty, SIGTTOU);
        return err ? err : tcxonc(tty, arg);
    }
    case TIOCSTI: {
        /* Fake input: only on one's controlling tty, or as root. */
        unsigned char c;
        if (task_ctty(current) != tty && !tty_capable())
            return -EPERM;
        if (copy_from_user(&c, arg, 1))
            return -EFAULT;
        tty_receive_bytes(tty, &c, 1);
        return 0;
    }
    case TIOCGSERIAL:
        return tiocgserial(tty, arg);
    }
    return tty_ioctl_common(tf, f, cmd, arg);
}

/* ---- file_operations: one set for every tty device, dispatching on the kind of file ---- */

static ssize_t tty_read(struct file *f, struct uio *to, loff_t *pos)
{
    (void)pos;
    struct tty_file *tf = f->private_data;
    if (tf->kind == TF_PTY_MASTER)
        return pty_master_read(tf, f, to);
    return tty_read_file(tf, f, to);
}

static ssize_t tty_write(struct file *f, struct uio *from, loff_t *pos)
{
    (void)pos;
    struct tty_file *tf = f->private_data;
    if (tf->kind == TF_PTY_MASTER)
        return pty_master_write(tf, f, from);
    return tty_write_file(tf, f, from);
}

static unsigned tty_poll(struct file *f, struct poll_table *pt)
{
    struct tty_file *tf = f->private_data;
    if (tf->kind == TF_PTY_MASTER)
        return pty_master_poll(tf, f, pt);
    return tty_poll_file(tf, f, pt);
}

static long tty_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
    struct tty_file *tf = f->private_data;
    if (tf->kind == TF_PTY_MASTER)
        return pty_master_ioctl(tf, f, cmd, arg);
    return tty_ioctl_file(tf, f, cmd, arg);
}

static loff_t tty_llseek(struct file *f, loff_t off, int whence)
{
    (void)f, (void)off, (void)whence;
    return -ESPIPE;
}

const struct file_operations tty_fops_template = {
    .read = tty_read,
    .write = tty_write,
    .llseek = tty_llseek,
    .ioctl = tty_ioctl,
    .poll = tty_poll,
    .open = tty_open,
    .release = tty_release,
};
