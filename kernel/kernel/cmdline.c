/* The kernel command line (the FDT's /chosen/bootargs), Linux style: space-separated
 * `key=value` or bare `flag` words. */
#include "kernel.h"
#include "string.h"

static char cmdline[1024];
static char value_buf[256];

void cmdline_init(const char *bootargs)
{
    if (bootargs)
        strlcpy(cmdline, bootargs, sizeof cmdline);
}

const char *cmdline_raw(void) { return cmdline; }

/* The value of `key=value` (last occurrence wins, as in Linux), "" for a bare `key`, or NULL.
 * The returned string is valid until the next call. */
const char *cmdline_get(const char *key)
{
    size_t klen = strlen(key);
    const char *found = NULL;
    size_t flen = 0;
    for (const char *p = cmdline; *p;) {
        while (*p == ' ')
            p++;
        const char *w = p;
        while (*p && *p != ' ')
            p++;
        size_t wlen = (size_t)(p - w);
        if (wlen >= klen && strncmp(w, key, klen) == 0) {
            if (wlen == klen) {
                found = w + klen;
                flen = 0;
            } else if (w[klen] == '=') {
                found = w + klen + 1;
                flen = wlen - klen - 1;
            }
        }
    }
    if (!found)
        return NULL;
    flen = MIN(flen, sizeof value_buf - 1);
    memcpy(value_buf, found, flen);
    value_buf[flen] = 0;
    return value_buf;
}
