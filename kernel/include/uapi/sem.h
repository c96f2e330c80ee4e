/* SysV semaphores (Linux's uapi/linux/sem.h and asm-generic/sembuf.h, 64-bit). */
#pragma once
#include "uapi/ipc.h"

#define SEM_UNDO 0x1000   /* undo the operation on exit */

#define GETPID 11
#define GETVAL 12
#define GETALL 13
#define GETNCNT 14
#define GETZCNT 15
#define SETVAL 16
#define SETALL 17
#define SEM_STAT 18
#define SEM_INFO 19
#define SEM_STAT_ANY 20

#define SEMMNI 32000             /* <= IPCMNI: max # of semaphore identifiers */
#define SEMMSL 32000             /* <= INT_MAX: max num of semaphores per id */
#define SEMMNS (SEMMNI * SEMMSL) /* <= INT_MAX: max # of semaphores in system */
#define SEMOPM 500               /* <= 1000: max num of ops per semop call */
#define SEMVMX 32767             /* <= 32767: semaphore maximum value */
#define SEMAEM SEMVMX            /* adjust on exit max value */
#define SEMUME SEMOPM
#define SEMMNU SEMMNS
#define SEMMAP SEMMNS
#define SEMUSZ 20

struct semid64_ds {
    struct ipc64_perm sem_perm;
    int64_t sem_otime, sem_ctime;
    uint64_t sem_nsems;
    uint64_t __unused3, __unused4;
};

struct sembuf {
    uint16_t sem_num;
    int16_t sem_op;
    int16_t sem_flg;
};

struct seminfo {
    int32_t semmap, semmni, semmns, semmnu, semmsl, semopm, semume, semusz, semvmx, semaem;
};
