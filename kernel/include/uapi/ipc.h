/* SysV IPC: the common part (Linux's uapi/linux/ipc.h and asm-generic/ipcbuf.h, 64-bit). */
#pragma once
#include "types.h"

#define IPC_PRIVATE 0

#define IPC_CREAT 00001000   /* create if key is nonexistent */
#define IPC_EXCL 00002000    /* fail if key exists */
#define IPC_NOWAIT 00004000  /* return error on wait */

#define IPC_RMID 0   /* remove resource */
#define IPC_SET 1    /* set ipc_perm options */
#define IPC_STAT 2   /* get ipc_perm options */
#define IPC_INFO 3   /* see ipcs */
#define IPC_64 0x0100   /* old/new layout flag (only architectures with both take it) */

/* The kernel's limit on ids per family, and how an id splits into index and sequence. */
#define IPCMNI 32768
#define IPCMNI_SHIFT 15

struct ipc64_perm {
    int32_t key;
    uint32_t uid, gid, cuid, cgid;
    uint32_t mode;
    uint16_t seq;
    uint16_t __pad2;
    uint64_t __unused1, __unused2;
};
