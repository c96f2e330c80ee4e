/*
 * Host stand-ins for the kernel services the block layer calls (printk, into a buffer the
 * tests can search, is ../log_host.c): libc allocation, no-op locks, and wait queues that are never slept on
 * (blk_can_sleep() is false, as in early boot, so every wait polls the driver).
 */
#include "ratelimit.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "blkdev.h"
#include "kstubs.h"
#include "mm.h"
#include "sched.h"
#include "spinlock.h"

/* Every message is printed on the host. */
bool ___ratelimit(struct ratelimit_state *rs, const char *func)
{
    (void)rs;
    (void)func;
    return true;
}

void panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	abort();
}

void *kmalloc(size_t size) { return malloc(size ? size : 1); }
void *kzalloc(size_t size) { return calloc(1, size ? size : 1); }
void kfree(void *p) { free(p); }

void spin_init(spinlock_t *l, const char *name) { l->locked = 0; l->name = name; }
void spin_lock(spinlock_t *l)
{
	if (l->locked)
		panic("spinlock %s: recursive lock", l->name);
	l->locked = 1;
}
void spin_unlock(spinlock_t *l)
{
	if (!l->locked)
		panic("spinlock %s: unlock while unlocked", l->name);
	l->locked = 0;
}
irqflags_t spin_lock_irqsave(spinlock_t *l) { spin_lock(l); return 0; }
void spin_unlock_irqrestore(spinlock_t *l, irqflags_t f) { (void)f; spin_unlock(l); }

void wait_queue_init(struct wait_queue *wq)
{
	spin_init(&wq->lock, "wq");
	list_init(&wq->waiters);
}
void prepare_to_wait(struct wait_queue *wq, struct wait_entry *e, int state)
{
	(void)wq; (void)e; (void)state;
	panic("prepare_to_wait: the host tests never sleep");
}
void finish_wait(struct wait_queue *wq, struct wait_entry *e) { (void)wq; (void)e; }
void schedule(void) { panic("schedule: the host tests never sleep"); }
void wake_up(struct wait_queue *wq) { (void)wq; }
void wake_up_process(struct task *t) { (void)t; }

bool blk_can_sleep(void) { return false; }

/* No devtmpfs on the host: device nodes are not made. */
int devfs_register_blkdev(const char *name, dev_t devt) { (void)name; (void)devt; return 0; }
void devfs_probe_labels(struct block_device *disk) { (void)disk; }
