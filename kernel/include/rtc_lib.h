/* Calendar arithmetic for the RTC and on-disk dates (lib/rtc_lib.c, pure, unit-tested on the host against
 * gmtime/timegm): seconds since the epoch (UTC) <-> struct rtc_time, as Linux's
 * rtc_time64_to_tm, rtc_tm_to_time64 and rtc_valid_tm. */
#pragma once
#include "types.h"
#include "uapi/rtc.h"

/* Fills every field, tm_wday and tm_yday included; tm_isdst = 0. */
void rtc_time64_to_tm(int64_t secs, struct rtc_time *tm);
/* The seconds a valid tm stands for (tm_wday, tm_yday, tm_isdst ignored). */
int64_t rtc_tm_to_time64(const struct rtc_time *tm);
/* 0, or -EINVAL: a year before 1970, a month, day, hour, minute or second out of range. */
int rtc_valid_tm(const struct rtc_time *tm);
/* Days from 1970-01-01 to y-m(1..12)-d of the proleptic Gregorian calendar (negative before):
 * also what the FAT and iso9660 cores turn their on-disk dates into seconds with. */
int64_t days_from_civil(int64_t y, int m, int d);
