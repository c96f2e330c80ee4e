/* Rate limits for messages any user can trigger, as Linux's include/linux/ratelimit.h: at
 * most `burst` events per `interval`; when a new interval starts after some were dropped,
 * "<func>: N callbacks suppressed" is logged once. So no program can flood the console.
 *
 *     printk_ratelimited(KERN_ERR "%s: flush failed (%d)\n", name, err);
 *
 * ratelimit_step() is the pure decision (lib/ratelimit.c, unit-tested on the host);
 * __ratelimit() adds the lock, the clock and the "suppressed" line (kernel/printk.c). */
#pragma once
#include "kernel.h"

#define RATELIMIT_INTERVAL_NS (5ULL * 1000000000ULL)    /* Linux's DEFAULT_RATELIMIT_INTERVAL */
#define RATELIMIT_BURST 10                              /* DEFAULT_RATELIMIT_BURST */

struct ratelimit_state {
    uint64_t interval_ns;
    int burst;
    bool started;
    uint64_t begin_ns;         /* start of the current interval */
    int printed;               /* events let through in it */
    int missed;                /* events dropped since the last report */
};
#define RATELIMIT_STATE_INIT { .interval_ns = RATELIMIT_INTERVAL_NS, .burst = RATELIMIT_BURST }

/* Whether an event at now_ns passes. When it opens a new interval after drops, *suppressed
 * gets how many were dropped (else 0) and the count restarts. */
bool ratelimit_step(struct ratelimit_state *rs, uint64_t now_ns, int *suppressed);

/* ratelimit_step under a lock with the monotonic clock; logs "<func>: N callbacks
 * suppressed" (KERN_WARNING) when it reports drops. */
bool ___ratelimit(struct ratelimit_state *rs, const char *func);
#define __ratelimit(rs) ___ratelimit(rs, __func__)

/* printk once the call site's own limit allows (each call site has its own state). */
#define printk_ratelimited(...)                                                          \
    ({                                                                                   \
        static struct ratelimit_state _rs_ = RATELIMIT_STATE_INIT;                      \
        __ratelimit(&_rs_) ? printk(__VA_ARGS__) : 0;                                    \
    })
#define pr_err_ratelimited(...) printk_ratelimited(KERN_ERR __VA_ARGS__)
#define pr_warn_ratelimited(...) printk_ratelimited(KERN_WARNING __VA_ARGS__)
#define pr_info_ratelimited(...) printk_ratelimited(KERN_INFO __VA_ARGS__)
