/*
 * Unit tests for the wait queues (kernel/kernel/waitqueue.c): who a wake-up reaches. Every
 * task entry and every plain function entry, and exclusive function entries (epoll's
 * EPOLLEXCLUSIVE) only up to the first that takes the event, wherever each sits in the queue.
 * The queue code runs as is; locks, `current` and wake_up_process are host stand-ins that
 * record what happened.
 */
#include "test_util.h"

#include "kernel.h"
#include "sched.h"

/* ---- host stand-ins ---- */

static struct task tasks[4];
static struct task *host_current_task = &tasks[0];
struct task *host_get_current(void) { return host_current_task; }

void spin_init(spinlock_t *l, const char *name) { l->locked = 0; l->name = name; }
irqflags_t spin_lock_irqsave(spinlock_t *l)
{
	assert_int_equal(l->locked, 0);
	l->locked = 1;
	return 0;
}
void spin_unlock_irqrestore(spinlock_t *l, irqflags_t f)
{
	(void)f;
	l->locked = 0;
}

static int woken[4];
void wake_up_process(struct task *t)
{
	woken[t - tasks]++;
	t->state = TASK_RUNNING;
}

/* Function entries: each records its calls and the key, and answers `takes`. */
struct probe {
	struct wait_entry we;
	int takes;
	int calls;
	unsigned key;
};
static int probe_fn(struct wait_entry *e, unsigned key)
{
	struct probe *p = container_of(e, struct probe, we);
	p->calls++;
	p->key = key;
	return p->takes;
}

static struct wait_queue wq;
static int setup(void **state)
{
	(void)state;
	wait_queue_init(&wq);
	memset(woken, 0, sizeof(woken));
	memset(tasks, 0, sizeof(tasks));
	return 0;
}

/* Task t sleeps on wq, as a blocking read() or poll() does. */
static void sleep_on(int t, struct wait_entry *e)
{
	host_current_task = &tasks[t];
	prepare_to_wait(&wq, e, TASK_INTERRUPTIBLE);
	assert_int_equal(tasks[t].state, TASK_INTERRUPTIBLE);
}

/* The bug this file was written for: an epoll EPOLLEXCLUSIVE entry that takes the event used
 * to end the walk, and a poll() sleeper queued after it never woke. */
static void test_task_behind_exclusive_taker_wakes(void **state)
{
	(void)state;
	struct probe ex = { .takes = 1 };
	struct wait_entry sleeper;
	add_wait_queue_func(&wq, &ex.we, probe_fn, true);
	sleep_on(1, &sleeper);
	wake_up_key(&wq, 0x1);
	assert_int_equal(ex.calls, 1);
	assert_int_equal(ex.key, 0x1);
	assert_int_equal(woken[1], 1);
	assert_int_equal(tasks[1].state, TASK_RUNNING);
	finish_wait(&wq, &sleeper);
	remove_wait_queue(&wq, &ex.we);
	assert_true(list_empty(&wq.waiters));
}

static void test_only_first_exclusive_taker_runs(void **state)
{
	(void)state;
	struct probe a = { .takes = 1 }, b = { .takes = 1 }, plain = { .takes = 0 };
	struct wait_entry before, after;
	sleep_on(1, &before);
	add_wait_queue_func(&wq, &a.we, probe_fn, true);
	add_wait_queue_func(&wq, &b.we, probe_fn, true);
	add_wait_queue_func(&wq, &plain.we, probe_fn, false);
	sleep_on(2, &after);
	wake_up(&wq);
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 0);
	assert_int_equal(plain.calls, 1);
	assert_int_equal(woken[1], 1);
	assert_int_equal(woken[2], 1);
	/* The next wake-up again goes to the first exclusive taker only. */
	wake_up(&wq);
	assert_int_equal(a.calls, 2);
	assert_int_equal(b.calls, 0);
	assert_int_equal(plain.calls, 2);
}

/* An exclusive entry that woke nobody (its epoll had no sleeper, or the event was not one it
 * watches) passes the event on to the next exclusive entry. */
static void test_declining_exclusive_passes_on(void **state)
{
	(void)state;
	struct probe no = { .takes = 0 }, yes = { .takes = 1 }, last = { .takes = 1 };
	add_wait_queue_func(&wq, &no.we, probe_fn, true);
	add_wait_queue_func(&wq, &yes.we, probe_fn, true);
	add_wait_queue_func(&wq, &last.we, probe_fn, true);
	wake_up_key(&wq, 0x4);
	assert_int_equal(no.calls, 1);
	assert_int_equal(yes.calls, 1);
	assert_int_equal(last.calls, 0);
}

/* Plain function entries all run, whatever they answer. */
static void test_every_plain_function_runs(void **state)
{
	(void)state;
	struct probe p[3] = { { .takes = 1 }, { .takes = 0 }, { .takes = 1 } };
	for (int i = 0; i < 3; i++)
		add_wait_queue_func(&wq, &p[i].we, probe_fn, false);
	wake_up_key(&wq, 0x41);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(p[i].calls, 1);
		assert_int_equal(p[i].key, 0x41);
	}
}

/* A task that finished waiting is off the queue; prepare_to_wait twice queues it once. */
static void test_finish_wait_dequeues(void **state)
{
	(void)state;
	struct wait_entry e;
	sleep_on(3, &e);
	sleep_on(3, &e);
	wake_up(&wq);
	assert_int_equal(woken[3], 1);
	finish_wait(&wq, &e);
	assert_true(list_empty(&wq.waiters));
	wake_up(&wq);
	assert_int_equal(woken[3], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_task_behind_exclusive_taker_wakes, setup),
		cmocka_unit_test_setup(test_only_first_exclusive_taker_runs, setup),
		cmocka_unit_test_setup(test_declining_exclusive_passes_on, setup),
		cmocka_unit_test_setup(test_every_plain_function_runs, setup),
		cmocka_unit_test_setup(test_finish_wait_dequeues, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
