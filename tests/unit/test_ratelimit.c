/*
 * Unit tests for the rate-limit decision (kernel/lib/ratelimit.c), the rule behind
 * printk_ratelimited and /dev/kmsg writers: Linux's burst 10 per 5 s, and the count of
 * what was dropped reported once when the next interval opens.
 */
#include "test_util.h"

#include "ratelimit.h"

#define SEC 1000000000ULL

static void test_burst_then_drops(void **state)
{
	(void)state;
	struct ratelimit_state rs = RATELIMIT_STATE_INIT;
	int suppressed;
	uint64_t t = 123 * SEC;
	for (int i = 0; i < RATELIMIT_BURST; i++) {
		assert_true(ratelimit_step(&rs, t + (uint64_t)i, &suppressed));
		assert_int_equal(suppressed, 0);
	}
	for (int i = 0; i < 1000; i++) {
		assert_false(ratelimit_step(&rs, t + 4 * SEC, &suppressed));
		assert_int_equal(suppressed, 0);
	}
	/* The next interval: passes again, and reports the 1000 dropped once. */
	assert_true(ratelimit_step(&rs, t + 5 * SEC, &suppressed));
	assert_int_equal(suppressed, 1000);
	assert_true(ratelimit_step(&rs, t + 5 * SEC + 1, &suppressed));
	assert_int_equal(suppressed, 0);
}

static void test_quiet_source_never_limited(void **state)
{
	(void)state;
	struct ratelimit_state rs = RATELIMIT_STATE_INIT;
	int suppressed;
	/* One event a second for a minute: 5 per interval, under the burst. */
	for (uint64_t s = 0; s < 60; s++) {
		assert_true(ratelimit_step(&rs, s * SEC, &suppressed));
		assert_int_equal(suppressed, 0);
	}
}

static void test_interval_starts_at_first_event(void **state)
{
	(void)state;
	/* An event at time 0 (early boot) opens the interval like any other. */
	struct ratelimit_state rs = RATELIMIT_STATE_INIT;
	int suppressed;
	for (int i = 0; i < RATELIMIT_BURST; i++)
		assert_true(ratelimit_step(&rs, 0, &suppressed));
	assert_false(ratelimit_step(&rs, 1, &suppressed));
	assert_true(ratelimit_step(&rs, RATELIMIT_INTERVAL_NS, &suppressed));
	assert_int_equal(suppressed, 1);
}

static void test_zero_burst_drops_all(void **state)
{
	(void)state;
	struct ratelimit_state rs = { .interval_ns = SEC, .burst = 0 };
	int suppressed;
	assert_false(ratelimit_step(&rs, 5, &suppressed));
	assert_false(ratelimit_step(&rs, 6, &suppressed));
	assert_false(ratelimit_step(&rs, 5 + SEC, &suppressed));
	assert_int_equal(suppressed, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_drops),
		cmocka_unit_test(test_quiet_source_never_limited),
		cmocka_unit_test(test_interval_starts_at_first_event),
		cmocka_unit_test(test_zero_burst_drops_all),
	};
	return cmocka_run_group_tests_name("ratelimit", tests, NULL, NULL);
}
