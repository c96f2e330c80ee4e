/* Sockets: Linux's linux/socket.h, uapi/linux/socket.h and asm-generic/socket.h (riscv64 uses
 * the generic one). */
#pragma once
#include "types.h"

/* Address families. */
#define AF_UNSPEC 0
#define AF_UNIX 1
#define AF_LOCAL AF_UNIX
#define AF_INET 2
#define AF_INET6 10
#define AF_NETLINK 16
#define AF_PACKET 17
#define AF_MAX 46

/* Socket types; socket()'s type argument may also carry SOCK_NONBLOCK | SOCK_CLOEXEC. */
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define SOCK_RDM 4
#define SOCK_SEQPACKET 5
#define SOCK_DCCP 6
#define SOCK_PACKET 10
#define SOCK_NONBLOCK 00004000          /* O_NONBLOCK */
#define SOCK_CLOEXEC 02000000           /* O_CLOEXEC */

/* send/recv flags. */
#define MSG_OOB 0x1
#define MSG_PEEK 0x2
#define MSG_DONTROUTE 0x4
#define MSG_CTRUNC 0x8
#define MSG_PROBE 0x10
#define MSG_TRUNC 0x20
#define MSG_DONTWAIT 0x40
#define MSG_EOR 0x80
#define MSG_WAITALL 0x100
#define MSG_FIN 0x200
#define MSG_SYN 0x400
#define MSG_CONFIRM 0x800
#define MSG_RST 0x1000
#define MSG_ERRQUEUE 0x2000
#define MSG_NOSIGNAL 0x4000
#define MSG_MORE 0x8000
#define MSG_WAITFORONE 0x10000
#define MSG_ZEROCOPY 0x4000000
#define MSG_FASTOPEN 0x20000000
#define MSG_CMSG_CLOEXEC 0x40000000

/* shutdown(how) */
#define SHUT_RD 0
#define SHUT_WR 1
#define SHUT_RDWR 2

/* listen(): the largest backlog. */
#define SOMAXCONN 4096

/* Option levels. */
#define SOL_IP 0
#define SOL_SOCKET 1
#define SOL_TCP 6
#define SOL_UDP 17
#define SOL_RAW 255
#define SOL_NETLINK 270

/* Socket-level options. riscv64 has 64-bit time, so the _OLD and _NEW timeouts share struct
 * timeval's layout. */
#define SO_DEBUG 1
#define SO_REUSEADDR 2
#define SO_TYPE 3
#define SO_ERROR 4
#define SO_DONTROUTE 5
#define SO_BROADCAST 6
#define SO_SNDBUF 7
#define SO_RCVBUF 8
#define SO_KEEPALIVE 9
#define SO_OOBINLINE 10
#define SO_NO_CHECK 11
#define SO_PRIORITY 12
#define SO_LINGER 13
#define SO_BSDCOMPAT 14
#define SO_REUSEPORT 15
#define SO_PASSCRED 16
#define SO_PEERCRED 17
#define SO_RCVLOWAT 18
#define SO_SNDLOWAT 19
#define SO_RCVTIMEO_OLD 20
#define SO_SNDTIMEO_OLD 21
#define SO_BINDTODEVICE 25
#define SO_TIMESTAMP_OLD 29
#define SO_ACCEPTCONN 30
#define SO_PEERSEC 31
#define SO_SNDBUFFORCE 32
#define SO_RCVBUFFORCE 33
#define SO_PASSSEC 34
#define SO_MARK 36
#define SO_PROTOCOL 38
#define SO_DOMAIN 39
#define SO_RCVTIMEO_NEW 66
#define SO_SNDTIMEO_NEW 67

/* Control messages at SOL_SOCKET. */
#define SCM_RIGHTS 1
#define SCM_CREDENTIALS 2

/* Generic addresses. */
typedef unsigned short sa_family_t;
struct sockaddr {
    sa_family_t sa_family;
    char sa_data[14];
};
#define _K_SS_MAXSIZE 128
struct sockaddr_storage {
    sa_family_t ss_family;
    char __data[_K_SS_MAXSIZE - sizeof(sa_family_t)];
} __attribute__((aligned(8)));

/* SO_PEERCRED / SCM_CREDENTIALS payload. */
struct ucred {
    int32_t pid;
    uint32_t uid;
    uint32_t gid;
};

/* SO_LINGER payload. */
struct linger {
    int32_t l_onoff;
    int32_t l_linger;
};

/* sendmsg/recvmsg's message header as user space lays it out (pointers are user addresses). */
struct user_msghdr {
    uint64_t msg_name;
    int32_t msg_namelen;
    int32_t __pad0;
    uint64_t msg_iov;                 /* struct iovec[msg_iovlen] */
    uint64_t msg_iovlen;
    uint64_t msg_control;
    uint64_t msg_controllen;
    uint32_t msg_flags;
    uint32_t __pad1;
};

/* sendmmsg/recvmmsg's vector element. */
struct mmsghdr {
    struct user_msghdr msg_hdr;
    uint32_t msg_len;
    uint32_t __pad;
};

/* A control message header: cmsg_len counts the header and the data (unaligned); the next
 * header starts at the 8-byte aligned end. */
struct cmsghdr {
    uint64_t cmsg_len;
    int32_t cmsg_level;
    int32_t cmsg_type;
};
