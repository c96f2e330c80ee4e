/* The network lock: every lwIP call and every piece of socket state that lwIP callbacks touch
 * is under it. It is a spinlock taken with interrupts off, because lwIP also runs from the
 * virtio-net receive interrupt and from the lwIP timer (a ktimer, interrupt context).
 *
 * Never sleep or copy user memory while holding it (copy into a kernel buffer first).
 * net_unlock() also delivers packets queued on the loopback interface, re-arms the lwIP timer
 * and has the network devices send the frames queued under the lock (netdev flush), so any
 * lwIP call made under the lock has its side effects completed on unlock.
 */
#pragma once
#include "spinlock.h"

irqflags_t net_lock(void);
void net_unlock(irqflags_t f);
/* Start lwIP and its timers (once). */
void lwip_port_init(void);
