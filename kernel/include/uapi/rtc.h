/* Linux's RTC interface (include/uapi/linux/rtc.h): the broken-down time and the ioctls of
 * /dev/rtcN. The _IOR/_IOW numbers are written out, with the expression Linux writes beside
 * them. */
#pragma once

struct rtc_time {
    int tm_sec;
    int tm_min;
    int tm_hour;
    int tm_mday;
    int tm_mon;        /* 0..11 */
    int tm_year;       /* years since 1900 */
    int tm_wday;
    int tm_yday;
    int tm_isdst;
};

struct rtc_wkalrm {
    unsigned char enabled;
    unsigned char pending;
    struct rtc_time time;
};

#define RTC_AIE_ON 0x7001u            /* _IO('p', 0x01) */
#define RTC_AIE_OFF 0x7002u           /* _IO('p', 0x02) */
#define RTC_UIE_ON 0x7003u            /* _IO('p', 0x03) */
#define RTC_UIE_OFF 0x7004u           /* _IO('p', 0x04) */
#define RTC_PIE_ON 0x7005u            /* _IO('p', 0x05) */
#define RTC_PIE_OFF 0x7006u           /* _IO('p', 0x06) */
#define RTC_WIE_ON 0x700fu            /* _IO('p', 0x0f) */
#define RTC_WIE_OFF 0x7010u           /* _IO('p', 0x10) */
#define RTC_ALM_SET 0x40247007u       /* _IOW('p', 0x07, struct rtc_time) */
#define RTC_ALM_READ 0x80247008u      /* _IOR('p', 0x08, struct rtc_time) */
#define RTC_RD_TIME 0x80247009u       /* _IOR('p', 0x09, struct rtc_time) */
#define RTC_SET_TIME 0x4024700au      /* _IOW('p', 0x0a, struct rtc_time) */
#define RTC_IRQP_READ 0x8008700bu     /* _IOR('p', 0x0b, unsigned long) */
#define RTC_IRQP_SET 0x4008700cu      /* _IOW('p', 0x0c, unsigned long) */
#define RTC_EPOCH_READ 0x8008700du    /* _IOR('p', 0x0d, unsigned long) */
#define RTC_EPOCH_SET 0x4008700eu     /* _IOW('p', 0x0e, unsigned long) */
#define RTC_WKALM_SET 0x4028700fu     /* _IOW('p', 0x0f, struct rtc_wkalrm) */
#define RTC_WKALM_RD 0x80287010u      /* _IOR('p', 0x10, struct rtc_wkalrm) */
