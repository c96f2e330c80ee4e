/* lwIP port: time, memory, the network lock and the lwIP timers (NO_SYS mode).
 *
 * lwIP's timeouts (TCP fast/slow timers, ARP ageing, DHCP, IP reassembly) are run by
 * sys_check_timeouts(). One ktimer is kept armed for the earliest pending timeout; it is
 * re-armed on every net_unlock(), which is after any lwIP call that may have added one.
 */
#include "kernel.h"
#include "ktimer.h"
#include "time.h"
#include "mm.h"
#include "string.h"
#include "netlock.h"
#include "netdev.h"

#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/timeouts.h"
#include "lwip/sys.h"

static spinlock_t net_spin = SPINLOCK_INIT("net");
static struct ktimer lwip_timer;
static bool lwip_started;
static bool in_unlock;      /* net_unlock's own loopback delivery must not recurse into it */

u32_t sys_now(void)
{
    return (u32_t)(ktime_mono_ns() / 1000000u);
}

void *lwip_port_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    return kzalloc(n * size);
}

irqflags_t net_lock(void)
{
    return spin_lock_irqsave(&net_spin);
}

static void rearm_timer(void)
{
    u32_t sleep = sys_timeouts_sleeptime();
    if (sleep == SYS_TIMEOUTS_SLEEPTIME_INFINITE)
        return;
    uint64_t deadline = ktime_mono_ns() + (uint64_t)sleep * 1000000u;
    /* Re-arming costs a list walk: skip it when the armed deadline is already as early. */
    if (lwip_timer.armed && lwip_timer.deadline <= deadline)
        return;
    ktimer_arm(&lwip_timer, deadline);
}

void net_unlock(irqflags_t f)
{
    if (lwip_started && !in_unlock) {
        in_unlock = true;
        /* Loopback packets (127.0.0.1 and our own addresses) wait in the interface queue
         * until polled; delivering them can queue more (a reply), hence the loop bound by
         * what is queued. */
        netif_poll_all();
        rearm_timer();
        /* What was queued for the devices under the lock goes out now: one notification
         * per burst of frames. */
        netdev_flush_all();
        in_unlock = false;
    }
    spin_unlock_irqrestore(&net_spin, f);
}

static void lwip_timer_fn(struct ktimer *t)
{
    (void)t;
    irqflags_t f = net_lock();
    sys_check_timeouts();
    net_unlock(f);
}

void lwip_port_init(void)
{
    if (lwip_started)
        return;
    ktimer_init(&lwip_timer, lwip_timer_fn);
    irqflags_t f = net_lock();
    lwip_init();
    lwip_started = true;
    net_unlock(f);
}
