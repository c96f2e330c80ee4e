/* What ppoll/pselect6 (poll.c) share with epoll_pwait (eventpoll.c). */
#pragma once
#include "types.h"

/* A deadline on CLOCK_MONOTONIC in ns; 0 = wait forever; NO_WAIT = do not wait. */
#define NO_WAIT UINT64_MAX
/* A relative struct timespec from user space (0: NULL = forever) to a deadline: 0 or -errno. */
int poll_timeout_to_deadline(uaddr_t uts, uint64_t *deadline);
/* Install a sigset (size must be 8) for the wait; *installed says whether to restore it with
 * sigmask_restore_after_wait(). 0 or -errno. */
int poll_install_sigmask(uaddr_t umask, size_t size, bool *installed);
