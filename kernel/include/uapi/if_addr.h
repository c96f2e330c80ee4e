/* Address messages (RTM_*ADDR): Linux's linux/if_addr.h. */
#pragma once
#include "types.h"

struct ifaddrmsg {
    uint8_t ifa_family;
    uint8_t ifa_prefixlen;
    uint8_t ifa_flags;                /* IFA_F_* */
    uint8_t ifa_scope;
    uint32_t ifa_index;
};

#define IFA_UNSPEC 0
#define IFA_ADDRESS 1
#define IFA_LOCAL 2
#define IFA_LABEL 3
#define IFA_BROADCAST 4
#define IFA_ANYCAST 5
#define IFA_CACHEINFO 6
#define IFA_FLAGS 8

#define IFA_F_SECONDARY 0x01
#define IFA_F_PERMANENT 0x80

struct ifa_cacheinfo {
    uint32_t ifa_prefered;
    uint32_t ifa_valid;
    uint32_t cstamp;                  /* created, hundredths of seconds since boot */
    uint32_t tstamp;                  /* updated */
};
