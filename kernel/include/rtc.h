/* Real-time clocks (drivers/rtc): a driver fills a struct rtc_device and calls
 * rtc_register(); the core gives it the number N and makes /dev/rtcN (with Linux's ioctls;
 * /dev/rtc links to rtc0), /sys/class/rtc/rtcN, and sets the system time from rtc0 (Linux's
 * hctosys). Time crosses this interface as seconds since the epoch, UTC. */
#pragma once
#include "types.h"

struct rtc_device;
struct rtc_class_ops {
    int (*read_time)(struct rtc_device *rtc, int64_t *secs);
    int (*set_time)(struct rtc_device *rtc, int64_t secs);
};

struct rtc_device {
    char name[48];                 /* sysfs "name": "<driver> <device>", as Linux's */
    const struct rtc_class_ops *ops;
    void *priv;
    int id;                        /* N of rtcN, set by rtc_register */
    bool hctosys;                  /* the system time was set from it at boot */
    int busy;                      /* /dev/rtcN is open (one opener at a time); an int for amoswap */
};

#define RTC_MAX 4
/* 0 or -errno (-ENOSPC past RTC_MAX). Never unregistered. */
int rtc_register(struct rtc_device *rtc);
/* rtcN, or NULL. */
struct rtc_device *rtc_get(int id);
/* The driver's read and write, serialised; 0 or -errno. */
int rtc_read_secs(struct rtc_device *rtc, int64_t *secs);
int rtc_set_secs(struct rtc_device *rtc, int64_t secs);

/* The goldfish RTC of QEMU virt (device tree "google,goldfish-rtc"); 0: none. */
void goldfish_rtc_init(uint64_t phys);
