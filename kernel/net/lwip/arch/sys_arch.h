/* lwIP port: NO_SYS=1, so lwIP needs no threads, semaphores or mailboxes from us. All lwIP
 * calls are serialised by one kernel lock (kernel/net/lwip/lock.c, net_lock()), so lwIP's own
 * SYS_ARCH_PROTECT is not needed either (SYS_LIGHTWEIGHT_PROT 0). */
#pragma once
