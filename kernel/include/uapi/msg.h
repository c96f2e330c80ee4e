/* SysV message queues (Linux's uapi/linux/msg.h and asm-generic/msgbuf.h, 64-bit). */
#pragma once
#include "uapi/ipc.h"

#define MSG_STAT 11
#define MSG_INFO 12
#define MSG_STAT_ANY 13

#define MSG_NOERROR 010000   /* no error if message is too big */
#define MSG_EXCEPT 020000    /* recv any msg except of specified type */
#define MSG_COPY 040000      /* copy (not remove) all queue messages */

#define MSGMNI 32000   /* default max # of msg queue identifiers */
#define MSGMAX 8192    /* default max size of a message (bytes) */
#define MSGMNB 16384   /* default max size of a message queue */
#define MSGPOOL (MSGMNI * MSGMNB / 1024)
#define MSGTQL MSGMNB
#define MSGMAP MSGMNB
#define MSGSSZ 16
#define MSGSEG 0xffff

struct msqid64_ds {
    struct ipc64_perm msg_perm;
    int64_t msg_stime, msg_rtime, msg_ctime;
    uint64_t msg_cbytes, msg_qnum, msg_qbytes;
    int32_t msg_lspid, msg_lrpid;
    uint64_t __unused4, __unused5;
};

struct msginfo {
    int32_t msgpool, msgmap, msgmax, msgmnb, msgmni, msgssz, msgtql;
    uint16_t msgseg;
};
