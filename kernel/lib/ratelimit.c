/* The decision of a rate limit (include/ratelimit.h), as Linux's ___ratelimit: the first
 * event opens an interval; `burst` events pass in it; the first event after it has ended
 * opens the next one and reports what the last dropped. Pure: the caller locks and reads the
 * clock. */
#include "ratelimit.h"

bool ratelimit_step(struct ratelimit_state *rs, uint64_t now_ns, int *suppressed)
{
    *suppressed = 0;
    if (!rs->started) {
        rs->started = true;
        rs->begin_ns = now_ns;
    }
    if (now_ns - rs->begin_ns >= rs->interval_ns) {
        *suppressed = rs->missed;
        rs->missed = 0;
        rs->begin_ns = now_ns;
        rs->printed = 0;
    }
    if (rs->burst > 0 && rs->printed < rs->burst) {
        rs->printed++;
        return true;
    }
    rs->missed++;
    return false;
}
