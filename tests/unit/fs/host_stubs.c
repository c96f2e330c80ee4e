/* Host stand-ins for the core kernel services the VFS uses, so fs/ can run in a host process
 * (tests/unit/fs/test_vfs.c). Single-threaded: locks are no-ops, sleeping never happens. */
#include "ratelimit.h"
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include "kernel.h"
#include "mm.h"
#include "mutex.h"
#include "sched.h"
#include "string.h"
#include "uaccess.h"
#include "time.h"
#include "ktimer.h"
#include "signal.h"

void *kmalloc(size_t n) { return malloc(n ? n : 1); }
void *kzalloc(size_t n) { return calloc(1, n ? n : 1); }
void kfree(void *p) { free(p); }
int current_nofile_limit(void) { return 1024; }

/* Page refcounts in a small side table. */
#define MAXPAGES 65536
static void *pg[MAXPAGES];
static unsigned pgref[MAXPAGES];
size_t host_pages_in_use;
static int pg_find(void *p) { for (int i = 0; i < MAXPAGES; i++) if (pg[i] == p) return i; return -1; }
void *page_alloc(void)
{
    void *p = aligned_alloc(4096, 4096);
    memset(p, 0, 4096);
    int i = pg_find(NULL);
    if (i < 0) abort();
    pg[i] = p; pgref[i] = 1; host_pages_in_use++;
    return p;
}
void page_get(void *p) { pgref[pg_find(p)]++; }
void page_free(void *p)
{
    int i = pg_find(p);
    if (i < 0) abort();
    if (--pgref[i] == 0) { pg[i] = NULL; free(p); host_pages_in_use--; }
}
unsigned page_refcount(void *p) { return pgref[pg_find(p)]; }
size_t pages_free(void) { return 100000; }
size_t pages_total(void) { return 131072; }

void spin_init(spinlock_t *l, const char *name) { l->locked = 0; l->name = name; }
void spin_lock(spinlock_t *l) { if (l->locked) { fprintf(stderr, "spinlock %s recursion\n", l->name); abort(); } l->locked = 1; }
void spin_unlock(spinlock_t *l) { l->locked = 0; }
void mutex_init(struct mutex *m) { m->owner = NULL; spin_init(&m->lock, "m"); }
void mutex_lock(struct mutex *m) { if (m->owner) { fprintf(stderr, "mutex recursion\n"); abort(); } m->owner = (struct task *)1; }
void mutex_unlock(struct mutex *m) { m->owner = NULL; }

struct task host_task;
struct task *host_get_current(void) { return &host_task; }
void schedule(void) {}
void set_current_state(int s) { (void)s; }
int schedule_timeout(uint64_t d) { (void)d; return 0; }
void wait_queue_init(struct wait_queue *wq) { list_init(&wq->waiters); }
void prepare_to_wait(struct wait_queue *wq, struct wait_entry *e, int s) { (void)wq; (void)s; e->task = &host_task; }
void add_wait_queue(struct wait_queue *wq, struct wait_entry *e) { (void)wq; e->task = &host_task; }
void finish_wait(struct wait_queue *wq, struct wait_entry *e) { (void)wq; (void)e; }
void wake_up(struct wait_queue *wq) { (void)wq; }
void add_wait_queue_func(struct wait_queue *wq, struct wait_entry *e, wait_func_t func, bool excl)
{ (void)wq; e->task = NULL; e->func = func; e->exclusive = excl; }
void remove_wait_queue(struct wait_queue *wq, struct wait_entry *e) { (void)wq; (void)e; }
irqflags_t spin_lock_irqsave(spinlock_t *l) { spin_lock(l); return 0; }
void spin_unlock_irqrestore(spinlock_t *l, irqflags_t f) { (void)f; spin_unlock(l); }
/* timerfd, signalfd: the VFS tests do not create them */
void ktimer_init(struct ktimer *t, void (*fn)(struct ktimer *)) { t->fn = fn; t->armed = false; }
void ktimer_arm(struct ktimer *t, uint64_t d) { t->deadline = d; t->armed = true; }
void ktimer_cancel(struct ktimer *t) { t->armed = false; }
void ktimer_cancel_sync(struct ktimer *t) { t->armed = false; }
int64_t ktime_real_offset_ns(void) { return 0; }
struct wait_queue signalfd_wait;
ksigset_t signal_pending_in(ksigset_t mask) { (void)mask; return 0; }
int signal_dequeue_in(ksigset_t mask, struct ksiginfo *info) { (void)mask; (void)info; return 0; }
int host_signal_pending = 1;    /* a blocking wait returns -ERESTARTSYS at once */
bool signal_pending(struct task *t) { (void)t; return host_signal_pending; }
int host_last_signal;
void send_signal(struct task *t, int sig) { (void)t; host_last_signal = sig; }

bool access_ok(uaddr_t a, size_t n) { (void)a; (void)n; return true; }   /* host addresses */
int copy_from_user(void *dst, uaddr_t src, size_t n) { if (!src) return -EFAULT; memcpy(dst, (void *)src, n); return 0; }
int copy_to_user(uaddr_t dst, const void *src, size_t n) { if (!dst) return -EFAULT; memcpy((void *)dst, src, n); return 0; }
int get_user_u32(uint32_t *v, uaddr_t a) { return copy_from_user(v, a, sizeof *v); }
int put_user_u32(uint32_t v, uaddr_t a) { return copy_to_user(a, &v, sizeof v); }
int clear_user(uaddr_t dst, size_t n) { if (!dst) return -EFAULT; memset((void *)dst, 0, n); return 0; }
long strncpy_from_user(char *dst, uaddr_t src, size_t max)
{
    if (!src) return -EFAULT;
    size_t n = strnlen((const char *)src, max);
    if (n == max) return -ENAMETOOLONG;
    memcpy(dst, (void *)src, n + 1);
    return (long)n;
}
char *getname(uaddr_t u)
{
    char *b = kmalloc(4096);
    long n = strncpy_from_user(b, u, 4096);
    if (n < 0) { kfree(b); return (char *)n; }
    return b;
}
size_t strlcpy(char *dst, const char *src, size_t size)
{
    size_t n = strlen(src);
    if (size) { size_t c = n < size - 1 ? n : size - 1; memcpy(dst, src, c); dst[c] = 0; }
    return n;
}
char *kstrdup(const char *s) { size_t n = strlen(s) + 1; char *d = kmalloc(n); memcpy(d, s, n); return d; }

struct host_timespec { long tv_sec, tv_nsec; };
extern int clock_gettime(int clk, struct host_timespec *ts);
uint64_t ktime_mono_ns(void) { struct host_timespec t; clock_gettime(1, &t); return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec; }
void ktime_real(struct kernel_timespec *ts) { struct host_timespec t; clock_gettime(0, &t); ts->tv_sec = t.tv_sec; ts->tv_nsec = t.tv_nsec; }

int printk(const char *fmt, ...)
{
    va_list ap; va_start(ap, fmt);
    if (getenv("VFS_VERBOSE")) vfprintf(stderr, fmt, ap);
    va_end(ap);
    return 0;
}
void panic(const char *fmt, ...) { va_list ap; va_start(ap, fmt); vfprintf(stderr, fmt, ap); va_end(ap); abort(); }

/* The block layer and the kernel command line, as on a machine with no disks and no options:
 * disk filesystems find no device (the root mount and block device nodes are tested in QEMU,
 * tests/integration/test_disk.py). */
#include "blkdev.h"
#include "fs.h"
static int host_blkdev_open(struct inode *inode, struct file *f) { (void)inode; (void)f; return -ENXIO; }
const struct file_operations blkdev_fops = { .open = host_blkdev_open };
struct block_device *blkdev_resolve(const char *spec) { (void)spec; return NULL; }
struct block_device *blkdev_lookup_by_devt(dev_t devt) { (void)devt; return NULL; }
struct block_device *blkdev_next(struct block_device *prev) { (void)prev; return NULL; }
int blkdev_claim(struct block_device *bdev, void *holder, unsigned flags) { (void)bdev; (void)holder; (void)flags; return 0; }
void blkdev_unclaim(struct block_device *bdev, void *holder, unsigned flags) { (void)bdev; (void)holder; (void)flags; }
int sync_all_block_devices(void) { return 0; }
int bread_bytes(struct block_device *bdev, uint32_t bs, uint64_t off, void *buf, size_t len) { (void)bdev; (void)bs; (void)off; (void)buf; (void)len; return -EIO; }
int blkdev_read(struct block_device *bdev, uint64_t sector, void *buf, size_t len) { (void)bdev; (void)sector; (void)buf; (void)len; return -EIO; }
int blkdev_write(struct block_device *bdev, uint64_t sector, const void *buf, size_t len) { (void)bdev; (void)sector; (void)buf; (void)len; return -EIO; }
int bcache_forget(struct block_device *bdev, uint64_t block, uint64_t n, uint32_t size, bool write_dirty) { (void)bdev; (void)block; (void)n; (void)size; (void)write_dirty; return 0; }
const char *cmdline_get(const char *key) { (void)key; return NULL; }
const char *cmdline_raw(void) { return ""; }

/* The core's randomness, kernel log and wait-time signal masks, and the socket layer's
 * readv/writev: test_vfs links no core, signal or net code (/dev/urandom only needs bytes,
 * /dev/kmsg an empty log, ppoll/pselect6 a mask they could not install, readv no sockets). */
#include "random.h"
#include "signal.h"
void get_random_bytes(void *buf, size_t n)
{
    static uint64_t state = 0x9e3779b97f4a7c15ull;
    uint8_t *p = buf;
    for (size_t i = 0; i < n; i++) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        p[i] = (uint8_t)(state >> 32);
    }
}
int log_read(uint64_t *seq, char *buf, size_t size) { (void)seq; (void)buf; (void)size; return 0; }
int dmesg_restrict = 1;
int kmsg_open_permitted(void) { return 0; }
bool ___ratelimit(struct ratelimit_state *rs, const char *func) { (void)rs; (void)func; return true; }
int sysctl_ip_unprivileged_port_start = 1024;
int sigmask_swap_for_wait(uint64_t mask) { (void)mask; return -ENOSYS; }
void sigmask_restore_after_wait(bool interrupted) { (void)interrupted; }
ssize_t sock_iov_rw(struct file *f, const void *iov, unsigned n, bool write)
{
    (void)f; (void)iov; (void)n; (void)write;
    return -ENOTSOCK;
}
/* No address spaces on the host: nothing maps a file. */
void unmap_file_pages(struct inode *inode, uint64_t from) { (void)inode; (void)from; }
void wrprotect_file_pages(struct super_block *sb, struct inode *inode) { (void)sb; (void)inode; }
/* No kernel threads on the host: the page flusher does not run (sync and fsync write back). */
struct task *kthread_run(const char *name, void (*fn)(void *arg), void *arg) { (void)name; (void)fn; (void)arg; return NULL; }
