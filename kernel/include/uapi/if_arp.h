/* ARP hardware types (ifi_type, the family of SIOCGIFHWADDR, /sys/class/net/X/type): Linux's
 * linux/if_arp.h. */
#pragma once

#define ARPHRD_ETHER 1
#define ARPHRD_LOOPBACK 772
