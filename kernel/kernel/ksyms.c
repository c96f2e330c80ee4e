/* Address -> symbol lookup for backtraces, over the table tools/gen-ksyms.sh generates at
 * build time (the .ksyms section). */
#include "kernel.h"
#include "ksyms.h"

const char *ksym_lookup(unsigned long addr, unsigned long *offset)
{
    uint64_t lo = 0, hi = ksyms_count;
    if (hi == 0 || addr < ksyms_addr[0])
        return NULL;
    while (hi - lo > 1) {     /* the last entry with ksyms_addr <= addr */
        uint64_t mid = (lo + hi) / 2;
        if (ksyms_addr[mid] <= addr)
            lo = mid;
        else
            hi = mid;
    }
    if (offset)
        *offset = addr - ksyms_addr[lo];
    return &ksyms_names[ksyms_name_off[lo]];
}
