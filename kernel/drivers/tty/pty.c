/* Unix98 pseudo-terminals (Linux's pty.c): /dev/ptmx opens a new master, /dev/pts/N (136:N)
 * is its slave. The slave is an ordinary tty with the n_tty line discipline; the master is a
 * plain byte pipe around it:
 *   master write -> slave input (as a UART receives it)  -> slave read
 *   slave write  -> output processing -> pty->obuf       -> master read
 * Termios, window size and foreground-group ioctls on the master act on the slave.
 *
 * Locking: pty->lock covers obuf and the open state; it nests inside slave->lock (the slave's
 * echoes are written to obuf with the slave locked). */
#include "tty_internal.h"
#include "kprintf.h"
#include "mm.h"
#include "string.h"
#include "uaccess.h"

#define PTY_MAX 64
#define PTY_BUF 8192                 /* slave output waiting for the master; a power of two */
#define PTY_SLAVE_MAJOR 136
#define PTY_GID 5                    /* group "tty" */

struct pty {
    unsigned index;
    struct tty *slave;
    spinlock_t lock;
    struct wait_queue master_wait;   /* master readers, writers and pollers */
    size_t ohead, otail;             /* free-running indices into obuf */
    bool locked;                     /* TIOCSPTLCK: the slave cannot be opened yet */
    bool master_open;
    bool slave_closed;               /* every slave file closed after one was opened */
    unsigned slave_opens;
    unsigned char obuf[PTY_BUF];
};

static spinlock_t pty_table_lock = SPINLOCK_INIT("pty_table");
static struct pty *pty_table[PTY_MAX];
static struct tty_dev pts_dev[PTY_MAX];

static size_t obuf_count(const struct pty *pty) { return pty->ohead - pty->otail; }

/* ---- the slave's driver --------------------------------------------------------------- */

/* Called with the slave's lock held, maybe from a master writer's echo: must not sleep. */
static void pts_write(struct tty *tty, const char *buf, size_t n)
{
    struct pty *pty = tty_driver_data(tty);
    irqflags_t fl = spin_lock_irqsave(&pty->lock);
    /* Nobody will read once the master is gone; echoes beyond the room are dropped. */
    size_t room = pty->master_open ? PTY_BUF - obuf_count(pty) : 0;
    n = MIN(n, room);
    for (size_t i = 0; i < n; i++)
        pty->obuf[pty->ohead++ & (PTY_BUF - 1)] = (unsigned char)buf[i];
    spin_unlock_irqrestore(&pty->lock, fl);
    if (n)
        wake_up(&pty->master_wait);
}

static size_t pts_write_room(struct tty *tty)
{
    struct pty *pty = tty_driver_data(tty);
    return PTY_BUF - obuf_count(pty);
}

/* Opening the slave: refused while locked (TIOCSPTLCK) or once the master is closed. */
static int pts_open(struct tty *tty)
{
    struct pty *pty = tty_driver_data(tty);
    int err = 0;
    irqflags_t fl = spin_lock_irqsave(&pty->lock);
    if (!pty->master_open || pty->locked) {
        err = -EIO;
    } else {
        pty->slave_opens++;
        pty->slave_closed = false;
    }
    spin_unlock_irqrestore(&pty->lock, fl);
    return err;
}

static void pty_free_index(unsigned index);
static void pts_remove_node(unsigned index);

/* Both sides closed: the node goes (as devpts's does) and the number is free again. */
static void pty_free(struct pty *pty)
{
    pts_remove_node(pty->index);
    pty_free_index(pty->index);
    tty_free(pty->slave);
    kfree(pty);
}

/* The last slave file closed: the master reads EIO (after what is buffered). */
static void pts_close(struct tty *tty)
{
    struct pty *pty = tty_driver_data(tty);
    irqflags_t fl = spin_lock_irqsave(&pty->lock);
    bool last = --pty->slave_opens == 0;
    if (last)
        pty->slave_closed = true;
    bool gone = last && !pty->master_open;
    spin_unlock_irqrestore(&pty->lock, fl);
    wake_up(&pty->master_wait);
    if (gone)
        pty_free(pty);
}

/* A slave reader made room in the slave's input: wake master writers. */
static void pts_unthrottle(struct tty *tty)
{
    struct pty *pty = tty_driver_data(tty);
    wake_up(&pty->master_wait);
}

static const struct tty_driver_ops pts_ops = {
    .write = pts_write,
    .write_room = pts_write_room,
    .open = pts_open,
    .close = pts_close,
    .unthrottle = pts_unthrottle,
};

/* ---- open and close --------------------------------------------------------------------- */

/* The first free index. */
static int pty_alloc_index(struct pty *pty)
{
    int index = -ENOSPC;
    spin_lock(&pty_table_lock);
    for (int i = 0; i < PTY_MAX; i++) {
        if (!pty_table[i]) {
            pty_table[i] = pty;
            index = i;
            break;
        }
    }
    spin_unlock(&pty_table_lock);
    return index;
}

static void pty_free_index(unsigned index)
{
    spin_lock(&pty_table_lock);
    pty_table[index] = NULL;
    spin_unlock(&pty_table_lock);
}

/* /dev/pts/N, owned by the opener like Linux's devpts mounted with gid=5,mode=620 (the
 * usual setup: the group "tty" may write, so write(1) and wall work). */
static int pts_make_node(unsigned index)
{
    char name[16];
    struct tty_dev *d = &pts_dev[index];
    ksnprintf(name, sizeof(name), "pts/%u", index);
    tty_dev_init(d, DEV_PTS, NULL);
    d->index = index;
    d->registered = false;
    int err = register_chrdev(PTY_SLAVE_MAJOR, index, name, &d->fops);
    if (err)
        return err;
    d->registered = true;
    return devfs_set_owner(PTY_SLAVE_MAJOR, index, 0620, current->cred.fsuid, PTY_GID);
}

static void pts_remove_node(unsigned index)
{
    if (pts_dev[index].registered) {
        unregister_chrdev(PTY_SLAVE_MAJOR, index);
        pts_dev[index].registered = false;
    }
}

int pty_open_master(struct file *f)
{
    struct pty *pty = kzalloc(sizeof(*pty));
    struct tty_file *tf = kzalloc(sizeof(*tf));
    if (!pty || !tf) {
        kfree(pty);
        kfree(tf);
        return -ENOMEM;
    }
    spin_init(&pty->lock, "pty");
    wait_queue_init(&pty->master_wait);
    pty->locked = true;   /* until unlockpt(), as in Linux */
    pty->master_open = true;

    int index = pty_alloc_index(pty);
    if (index < 0) {
        kfree(pty);
        kfree(tf);
        return index;
    }
    char name[16];
    ksnprintf(name, sizeof(name), "pts/%d", index);
    pty->index = (unsigned)index;
    pty->slave = tty_alloc(name, PTY_SLAVE_MAJOR, (unsigned)index, &pts_ops, pty);
    int err = pty->slave ? pts_make_node(pty->index) : -ENOMEM;
    if (err) {
        pts_remove_node(pty->index);
        pty_free_index(pty->index);
        if (pty->slave)
            tty_free(pty->slave);
        kfree(pty);
        kfree(tf);
        return err;
    }
    pty->slave->is_pty = true;
    tf->kind = TF_PTY_MASTER;
    tf->tty = pty->slave;
    tf->pty = pty;
    f->private_data = tf;
    return 0;
}

int pty_open_slave(unsigned index, struct file *f)
{
    if (index >= PTY_MAX)
        return -ENXIO;
    spin_lock(&pty_table_lock);
    struct pty *pty = pty_table[index];
    spin_unlock(&pty_table_lock);
    if (!pty)
        return -EIO;   /* closed while being opened */
    return tty_open_file(pty->slave, f, TF_TTY, false);
}

/* Closing the master hangs the slave up (SIGHUP to its session); the pty goes away when the
 * last slave file is closed too. */
void pty_master_release(struct tty_file *tf)
{
    struct pty *pty = tf->pty;
    irqflags_t fl = spin_lock_irqsave(&pty->lock);
    pty->master_open = false;
    bool gone = pty->slave_opens == 0;
    spin_unlock_irqrestore(&pty->lock, fl);
    tty_hangup(pty->slave);
    wake_up(&pty->master_wait);
    if (gone)
        pty_free(pty);
}

/* ---- the master's file operations ------------------------------------------------------ */

static bool master_readable(struct pty *pty)
{
    return obuf_count(pty) || READ_ONCE(pty->slave_closed);
}

ssize_t pty_master_read(struct tty_file *tf, struct file *f, struct uio *to)
{
    struct pty *pty = tf->pty;
    unsigned char kbuf[256];
    size_t copied = 0;

    while (to->resid) {
        irqflags_t fl = spin_lock_irqsave(&pty->lock);
        size_t n = MIN(MIN(to->resid, sizeof(kbuf)), obuf_count(pty));
        for (size_t i = 0; i < n; i++)
            kbuf[i] = pty->obuf[pty->otail++ & (PTY_BUF - 1)];
        bool closed = pty->slave_closed;
        spin_unlock_irqrestore(&pty->lock, fl);
        if (n) {
            wake_up(&pty->slave->write_wait);   /* room for slave writers */
            if (uio_copyout(to, kbuf, n))
                return copied ? (ssize_t)copied : -EFAULT;
            copied += n;
            continue;
        }
        if (copied)
            break;
        if (closed)
            return -EIO;
        if (f->flags & O_NONBLOCK)
            return -EAGAIN;
        int err = wait_event_interruptible(&pty->master_wait, master_readable(pty));
        if (err)
            return err;
    }
    return (ssize_t)copied;
}

static bool master_writable(struct pty *pty)
{
    return READ_ONCE(pty->slave_opens) == 0 || n_tty_room(&pty->slave->ld) > 0;
}

ssize_t pty_master_write(struct tty_file *tf, struct file *f, struct uio *from)
{
    struct pty *pty = tf->pty;
    unsigned char kbuf[256];
    size_t written = 0, off = 0, len = 0;

    while (off < len || from->resid) {
        /* Like Linux: writing while no slave file is open is an I/O error. */
        if (READ_ONCE(pty->slave_opens) == 0)
            return written ? (ssize_t)written : -EIO;
        if (off == len) {
            len = MIN(from->resid, sizeof(kbuf));
            off = 0;
            if (uio_copyin(kbuf, from, len))
                return written ? (ssize_t)written : -EFAULT;
        }
        size_t done = tty_receive_bytes(pty->slave, kbuf + off, len - off);
        if (done) {
            off += done;
            written += done;
            continue;
        }
        if (f->flags & O_NONBLOCK)
            return written ? (ssize_t)written : -EAGAIN;
        int err = wait_event_interruptible(&pty->master_wait, master_writable(pty));
        if (err)
            return written ? (ssize_t)written : err;
    }
    return (ssize_t)written;
}

unsigned pty_master_poll(struct tty_file *tf, struct file *f, struct poll_table *pt)
{
    struct pty *pty = tf->pty;
    unsigned mask = 0;
    poll_wait(f, &pty->master_wait, pt);
    irqflags_t fl = spin_lock_irqsave(&pty->lock);
    if (obuf_count(pty))
        mask |= POLLIN | POLLRDNORM;
    /* POLLIN too, so select() callers read and see the EIO. */
    if (pty->slave_closed)
        mask |= POLLHUP | POLLIN | POLLRDNORM;
    spin_unlock_irqrestore(&pty->lock, fl);
    if (n_tty_room(&pty->slave->ld) > 0)
        mask |= POLLOUT | POLLWRNORM;
    return mask;
}

long pty_master_ioctl(struct tty_file *tf, struct file *f, unsigned cmd, unsigned long arg)
{
    struct pty *pty = tf->pty;
    struct tty *slave = pty->slave;
    irqflags_t fl;

    switch (cmd) {
    case TIOCGPTN:
        return put_user_u32(pty->index, arg) ? -EFAULT : 0;
    case TIOCSPTLCK: {
        uint32_t v;
        if (get_user_u32(&v, arg))
            return -EFAULT;
        fl = spin_lock_irqsave(&pty->lock);
        pty->locked = v != 0;
        spin_unlock_irqrestore(&pty->lock, fl);
        return 0;
    }
    case TIOCGPTLCK:
        return put_user_u32(pty->locked, arg) ? -EFAULT : 0;
    case TIOCSIG: {
        /* Signal the slave's foreground group, as its INTR character would. */
        if (arg == 0 || arg >= 65)
            return -EINVAL;
        pid_t pgrp = READ_ONCE(slave->pgrp);
        if (pgrp)
            kill_pgrp(pgrp, (int)arg);
        return 0;
    }
    case FIONREAD: {
        fl = spin_lock_irqsave(&pty->lock);
        size_t n = obuf_count(pty);
        spin_unlock_irqrestore(&pty->lock, fl);
        return put_user_u32((uint32_t)n, arg) ? -EFAULT : 0;
    }
    case TCFLSH:
        if (arg > TCIOFLUSH)
            return -EINVAL;
        if (arg == TCIFLUSH || arg == TCIOFLUSH) {
            fl = spin_lock_irqsave(&pty->lock);
            pty->otail = pty->ohead;
            spin_unlock_irqrestore(&pty->lock, fl);
            wake_up(&slave->write_wait);
        }
        if (arg == TCOFLUSH || arg == TCIOFLUSH) {
            /* The master's output is the slave's input. */
            fl = spin_lock_irqsave(&slave->lock);
            n_tty_flush_input(&slave->ld);
            spin_unlock_irqrestore(&slave->lock, fl);
            wake_up(&pty->master_wait);
        }
        return 0;
    }
    return tty_ioctl_common(tf, f, cmd, arg);
}
