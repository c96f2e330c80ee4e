/* Socket ioctls: Linux's linux/sockios.h (and asm-generic/sockios.h). */
#pragma once
#include "ioctls.h"

#define SIOCINQ FIONREAD                /* bytes readable */
#define SIOCOUTQ TIOCOUTQ               /* bytes not yet sent */

/* Routing table. */
#define SIOCADDRT 0x890B
#define SIOCDELRT 0x890C

/* Interface configuration (struct ifreq, struct ifconf: if.h). */
#define SIOCGIFNAME 0x8910
#define SIOCGIFCONF 0x8912
#define SIOCGIFFLAGS 0x8913
#define SIOCSIFFLAGS 0x8914
#define SIOCGIFADDR 0x8915
#define SIOCSIFADDR 0x8916
#define SIOCGIFDSTADDR 0x8917
#define SIOCGIFBRDADDR 0x8919
#define SIOCGIFNETMASK 0x891b
#define SIOCSIFNETMASK 0x891c
#define SIOCGIFMETRIC 0x891d
#define SIOCGIFMTU 0x8921
#define SIOCGIFHWADDR 0x8927
#define SIOCGIFINDEX 0x8933
#define SIOCGIFTXQLEN 0x8942
#define SIOCGIFMAP 0x8970
