/* Futex operations and the robust-list ABI: Linux's linux/futex.h. */
#pragma once
#include "types.h"

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_FD 2
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_LOCK_PI 6
#define FUTEX_UNLOCK_PI 7
#define FUTEX_TRYLOCK_PI 8
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_WAIT_REQUEUE_PI 11
#define FUTEX_CMP_REQUEUE_PI 12
#define FUTEX_LOCK_PI2 13

#define FUTEX_PRIVATE_FLAG 128      /* the futex is not shared between processes */
#define FUTEX_CLOCK_REALTIME 256    /* FUTEX_WAIT_BITSET: the timeout is CLOCK_REALTIME */
#define FUTEX_CMD_MASK ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)

#define FUTEX_BITSET_MATCH_ANY 0xffffffffu

/* The futex word of a robust lock: the owner's tid and two flags. */
#define FUTEX_WAITERS 0x80000000u
#define FUTEX_OWNER_DIED 0x40000000u
#define FUTEX_TID_MASK 0x3fffffffu

/* set_robust_list()'s head, with user pointers as 64-bit values: a circular list of the
 * locks a thread holds (each entry points at the next), and the futex word of an entry at
 * entry + futex_offset. */
struct robust_list_head {
    uint64_t list;               /* struct robust_list *next: the first entry */
    int64_t futex_offset;
    uint64_t list_op_pending;    /* a lock being taken or released right now */
};
_Static_assert(sizeof(struct robust_list_head) == 24, "robust_list_head is 24 bytes on 64-bit");
