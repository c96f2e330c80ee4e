/* Sleeping locks for process context (may be held across blocking I/O). */
#pragma once
#include "spinlock.h"
#include "list.h"

struct task;
struct mutex {
    spinlock_t lock;
    struct task *owner;
    struct list_head waiters;
};
void mutex_init(struct mutex *m);
void mutex_lock(struct mutex *m);
void mutex_unlock(struct mutex *m);
