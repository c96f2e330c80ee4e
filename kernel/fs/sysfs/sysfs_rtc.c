/* /sys/class/rtc/rtcN: the registered real-time clocks (include/rtc.h) with Linux's
 * attributes: name ("<driver> <device>"), date (YYYY-MM-DD), time (HH:MM:SS), since_epoch
 * (seconds, UTC) and hctosys (1 if the system time was set from it at boot). Each read asks
 * the clock. In Linux rtcN is a link into /sys/devices; here it is the directory itself. */
#include "sysfs_internal.h"
#include "rtc.h"
#include "rtc_lib.h"
#include "string.h"

static int read_tm(const struct sysfs_ctx *c, int64_t *secs, struct rtc_time *tm)
{
    int err = rtc_read_secs(c->rtc, secs);
    if (err)
        return err;
    rtc_time64_to_tm(*secs, tm);
    return 0;
}

static int show_name(const struct sysfs_ctx *c, char *buf, size_t size)
{
    return ksnprintf(buf, size, "%s\n", c->rtc->name);
}

static int show_date(const struct sysfs_ctx *c, char *buf, size_t size)
{
    int64_t secs;
    struct rtc_time tm;
    int err = read_tm(c, &secs, &tm);
    return err ? err : ksnprintf(buf, size, "%04d-%02d-%02d\n", tm.tm_year + 1900,
                                 tm.tm_mon + 1, tm.tm_mday);
}

static int show_time(const struct sysfs_ctx *c, char *buf, size_t size)
{
    int64_t secs;
    struct rtc_time tm;
    int err = read_tm(c, &secs, &tm);
    return err ? err : ksnprintf(buf, size, "%02d:%02d:%02d\n", tm.tm_hour, tm.tm_min,
                                 tm.tm_sec);
}

static int show_since_epoch(const struct sysfs_ctx *c, char *buf, size_t size)
{
    int64_t secs;
    int err = rtc_read_secs(c->rtc, &secs);
    return err ? err : ksnprintf(buf, size, "%lld\n", (long long)secs);
}

static int show_hctosys(const struct sysfs_ctx *c, char *buf, size_t size)
{
    return ksnprintf(buf, size, "%d\n", c->rtc->hctosys ? 1 : 0);
}

#define ATTR(n, fn) { .base = { n, S_IFREG | 0444 }, .show = fn }
static const struct sysfs_entry rtc_entries[] = {
    ATTR("date", show_date),
    ATTR("hctosys", show_hctosys),
    ATTR("name", show_name),
    ATTR("since_epoch", show_since_epoch),
    ATTR("time", show_time),
};
static const struct sysfs_dir rtc_dir = { rtc_entries, ARRAY_SIZE(rtc_entries), NULL };
static const struct sysfs_entry rtc_entry = {
    .base = { "<rtc>", S_IFDIR | 0555 }, .dir = &rtc_dir,
};

static long next_rtc(const struct sysfs_ctx *parent, long from, char name[SYSFS_NAME_MAX],
                     struct sysfs_ctx *child, const struct sysfs_entry **entry)
{
    (void)parent;
    struct rtc_device *rtc = from < RTC_MAX ? rtc_get((int)from) : NULL;
    if (!rtc)
        return -1;
    memset(child, 0, sizeof *child);
    child->rtc = rtc;
    ksnprintf(name, SYSFS_NAME_MAX, "rtc%d", rtc->id);
    *entry = &rtc_entry;
    return from;
}

const struct sysfs_dir sysfs_class_rtc_dir = { NULL, 0, next_rtc };
