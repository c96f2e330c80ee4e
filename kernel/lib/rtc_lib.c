/* Calendar arithmetic for the RTC (include/rtc_lib.h). Days <-> civil dates by Howard
 * Hinnant's algorithms (proleptic Gregorian calendar, exact for any year an int holds). */
#include "rtc_lib.h"
#include "errno.h"

#define SECS_PER_DAY 86400

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t year, int mon)
{
    static const unsigned char days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return days[mon] + (mon == 1 && is_leap(year));
}

int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void rtc_time64_to_tm(int64_t secs, struct rtc_time *tm)
{
    int64_t days = secs / SECS_PER_DAY, rem = secs % SECS_PER_DAY;
    if (rem < 0) {
        rem += SECS_PER_DAY;
        days--;
    }
    tm->tm_hour = (int)(rem / 3600);
    tm->tm_min = (int)(rem % 3600 / 60);
    tm->tm_sec = (int)(rem % 60);
    int64_t wday = (days + 4) % 7;            /* 1970-01-01 was a Thursday */
    tm->tm_wday = (int)(wday < 0 ? wday + 7 : wday);

    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    int64_t y = yoe + era * 400 + (m <= 2);
    tm->tm_year = (int)(y - 1900);
    tm->tm_mon = m - 1;
    tm->tm_mday = d;
    tm->tm_yday = (int)(days - days_from_civil(y, 1, 1));
    tm->tm_isdst = 0;
}

int64_t rtc_tm_to_time64(const struct rtc_time *tm)
{
    int64_t days = days_from_civil((int64_t)tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday);
    return days * SECS_PER_DAY + tm->tm_hour * 3600 + tm->tm_min * 60 + tm->tm_sec;
}

int rtc_valid_tm(const struct rtc_time *tm)
{
    if (tm->tm_year < 70 || tm->tm_year > 0x7fffffff - 1900 || tm->tm_mon < 0 ||
        tm->tm_mon >= 12 || tm->tm_mday < 1 ||
        tm->tm_mday > days_in_month((int64_t)tm->tm_year + 1900, tm->tm_mon) ||
        tm->tm_hour < 0 || tm->tm_hour >= 24 || tm->tm_min < 0 || tm->tm_min >= 60 ||
        tm->tm_sec < 0 || tm->tm_sec >= 60)
        return -EINVAL;
    return 0;
}
