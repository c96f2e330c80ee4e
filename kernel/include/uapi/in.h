/* IPv4 protocols, options and addresses: Linux's linux/in.h. */
#pragma once
#include "types.h"
#include "socket.h"

#define IPPROTO_IP 0
#define IPPROTO_ICMP 1
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_RAW 255

/* IPPROTO_IP options. */
#define IP_TOS 1
#define IP_TTL 2
#define IP_HDRINCL 3
#define IP_OPTIONS 4
#define IP_MTU_DISCOVER 10
#define IP_RECVERR 11

struct in_addr {
    uint32_t s_addr;                  /* network order */
};

struct sockaddr_in {
    sa_family_t sin_family;
    uint16_t sin_port;                /* network order */
    struct in_addr sin_addr;
    unsigned char __pad[8];           /* to the size of struct sockaddr */
};
#define sin_zero __pad
