/* SysV shared memory (Linux's uapi/linux/shm.h and asm-generic/shmbuf.h, 64-bit). */
#pragma once
#include "uapi/ipc.h"

#define SHMMIN 1
#define SHMMNI 4096
#define SHMMAX (UINT64_MAX - (1ULL << 24))
#define SHMALL (UINT64_MAX - (1ULL << 24))   /* pages */
#define SHMLBA 4096                          /* asm-generic: PAGE_SIZE */

/* shmget flags beyond the mode */
#define SHM_HUGETLB 04000
#define SHM_NORESERVE 010000

/* mode bits IPC_STAT reports */
#define SHM_DEST 01000     /* segment will be destroyed on last detach */
#define SHM_LOCKED 02000   /* segment will not be swapped */

/* shmat flags */
#define SHM_RDONLY 010000   /* read-only access */
#define SHM_RND 020000      /* round attach address to SHMLBA boundary */
#define SHM_REMAP 040000    /* take-over region on attach */
#define SHM_EXEC 0100000    /* execution access */

/* shmctl commands */
#define SHM_LOCK 11
#define SHM_UNLOCK 12
#define SHM_STAT 13
#define SHM_INFO 14
#define SHM_STAT_ANY 15

struct shmid64_ds {
    struct ipc64_perm shm_perm;
    uint64_t shm_segsz;
    int64_t shm_atime, shm_dtime, shm_ctime;
    int32_t shm_cpid, shm_lpid;
    uint64_t shm_nattch;
    uint64_t __unused4, __unused5;
};

struct shminfo64 {
    uint64_t shmmax, shmmin, shmmni, shmseg, shmall;
    uint64_t __unused1, __unused2, __unused3, __unused4;
};

struct shm_info {
    int32_t used_ids;
    uint64_t shm_tot, shm_rss, shm_swp, swap_attempts, swap_successes;
};
