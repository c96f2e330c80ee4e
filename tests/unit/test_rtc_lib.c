/*
 * Unit tests for the RTC's calendar arithmetic (kernel/lib/rtc_lib.c), compared with the
 * host's gmtime_r/timegm: every day over 1900..2200 and pseudo-random seconds far beyond,
 * and rtc_valid_tm's ranges (Linux's rtc_valid_tm).
 */
#define _GNU_SOURCE
#include "test_util.h"

/* The C library's time.h: kernel/include has its own time.h on the include path. */
#include "/usr/include/time.h"

#include "errno.h"
#include "rtc_lib.h"

static void same_as_gmtime(int64_t secs)
{
	struct rtc_time tm;
	rtc_time64_to_tm(secs, &tm);
	time_t t = (time_t)secs;
	struct tm h;
	assert_non_null(gmtime_r(&t, &h));
	if (tm.tm_year != h.tm_year || tm.tm_mon != h.tm_mon || tm.tm_mday != h.tm_mday ||
	    tm.tm_hour != h.tm_hour || tm.tm_min != h.tm_min || tm.tm_sec != h.tm_sec ||
	    tm.tm_wday != h.tm_wday || tm.tm_yday != h.tm_yday || tm.tm_isdst != 0)
		fail_msg("%lld: got %d-%d-%d %d:%d:%d wday %d yday %d, gmtime %d-%d-%d %d:%d:%d "
			 "wday %d yday %d", (long long)secs, tm.tm_year, tm.tm_mon, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_wday, tm.tm_yday, h.tm_year,
			 h.tm_mon, h.tm_mday, h.tm_hour, h.tm_min, h.tm_sec, h.tm_wday, h.tm_yday);
	assert_int_equal(rtc_tm_to_time64(&tm), secs);
}

static void test_every_day(void **state)
{
	(void)state;
	for (int64_t s = -2208988800LL; s < 7258118400LL; s += 86400 - 1)
		same_as_gmtime(s);
}

static void test_random_seconds(void **state)
{
	(void)state;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		same_as_gmtime((int64_t)(x % 400000000000ull) - 100000000000LL);
	}
	same_as_gmtime(0);
	same_as_gmtime(-1);
	same_as_gmtime(951782400);      /* 2000-02-29 */
	same_as_gmtime(4107542399LL);   /* 2100-02-28 23:59:59 */
}

static void test_valid_tm(void **state)
{
	(void)state;
	struct rtc_time ok = { .tm_year = 126, .tm_mon = 11, .tm_mday = 6, .tm_hour = 21 };
	assert_int_equal(rtc_valid_tm(&ok), 0);
	struct rtc_time t = ok;
	t.tm_year = 69;
	assert_int_equal(rtc_valid_tm(&t), -EINVAL);
	t = ok; t.tm_mon = 12;
	assert_int_equal(rtc_valid_tm(&t), -EINVAL);
	t = ok; t.tm_mon = -1;
	assert_int_equal(rtc_valid_tm(&t), -EINVAL);
	t = ok; t.tm_mday = 0;
	assert_int_equal(rtc_valid_tm(&t), -EINVAL);
	t = ok; t.tm_mon = 1; t.tm_mday = 29; t.tm_year = 100;   /* 2000: leap */
	assert_int_equal(rtc_valid_tm(&t), 0);
	t.tm_year = 200;                                          /* 2100: not */
	assert_int_equal(rtc_valid_tm(&t), -EINVAL);
	t = ok; t.tm_hour = 24;
	assert_int_equal(rtc_valid_tm(&t), -EINVAL);
	t = ok; t.tm_min = 60;
	assert_int_equal(rtc_valid_tm(&t), -EINVAL);
	t = ok; t.tm_sec = 60;
	assert_int_equal(rtc_valid_tm(&t), -EINVAL);
	t = ok; t.tm_sec = -1;
	assert_int_equal(rtc_valid_tm(&t), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_day),
		cmocka_unit_test(test_random_seconds),
		cmocka_unit_test(test_valid_tm),
	};
	return cmocka_run_group_tests_name("rtc_lib", tests, NULL, NULL);
}
