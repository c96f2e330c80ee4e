/* The kernel command line, Linux style: space-separated `key=value` or bare `flag` words,
 * double quotes keeping spaces in a value (dm-mod.create="..."; the quotes are not part of
 * the value).
 *
 * It comes from two places. The built-in command line below is an empty region of the
 * kernel image that the image builder fills in (image/mkimage.py) before it puts the kernel
 * in the FIT, so the FIT's hash (and, with the signed boot loader, its signature) covers it,
 * like Linux's CONFIG_CMDLINE. /chosen/bootargs comes from the boot loader (extlinux.conf,
 * U-Boot's environment), which whoever can write the boot partition controls. With a built-in
 * command line, only harmless options of the boot loader's are added (lib/bootargs.c: the
 * allowlist, docs/kernel.md); without one (a kernel started by -kernel, as built), bootargs is
 * the whole command line. */
#include "kernel.h"
#include "string.h"
#include "bootargs.h"

#define CMDLINE_SIZE 2048
#define BUILTIN_CMDLINE_SIZE 2048

/* The image builder finds the region by its magic (exactly once in the image), checks the
 * capacity and that the text is all zero, and writes the command line there. Initialised,
 * so it is in .data and thus in the Image file; not const, so the compiler cannot assume
 * the text stays empty. */
struct builtin_cmdline {
    char magic[16];
    uint32_t capacity;              /* bytes of text, the NUL included */
    uint32_t reserved;
    char text[BUILTIN_CMDLINE_SIZE];
};
extern struct builtin_cmdline openv_builtin_cmdline;
__attribute__((used, aligned(8))) struct builtin_cmdline openv_builtin_cmdline = {
    .magic = { 'o', 'p', 'e', 'n', 'v', ':', 'c', 'm', 'd', 'l', 'i', 'n', 'e', ':', 'v', '1' },
    .capacity = BUILTIN_CMDLINE_SIZE,
};

static char cmdline[CMDLINE_SIZE];
static char builtin[BUILTIN_CMDLINE_SIZE];
static char value_buf[CMDLINE_SIZE];
static bool have_builtin;

static void report_dropped(const char *w, size_t len)
{
    pr_warn("Kernel command line: ignoring \"%.*s\" from the boot loader (the built-in command "
            "line decides it)", (int)len, w);
}

void cmdline_init(const char *bootargs)
{
    const volatile char *t = openv_builtin_cmdline.text;
    size_t n = 0;
    while (n < sizeof builtin - 1 && t[n]) {
        builtin[n] = t[n];
        n++;
    }
    builtin[n] = 0;
    have_builtin = n > 0;
    if (have_builtin)
        pr_notice("Kernel command line: built in; the boot loader may add only console=, "
                  "earlycon, quiet, loglevel=, ignore_loglevel, ds=");
    size_t len = bootargs_merge(builtin, bootargs, cmdline, sizeof cmdline, report_dropped);
    if (len >= sizeof cmdline)
        pr_warn("Kernel command line: truncated to %zu bytes", sizeof cmdline - 1);
}

const char *cmdline_raw(void) { return cmdline; }

/* The value of `key=value` (last occurrence wins, as in Linux; surrounding double quotes
 * removed), "" for a bare `key`, or NULL. The returned string is valid until the next call. */
const char *cmdline_get(const char *key)
{
    size_t klen = strlen(key);
    const char *found = NULL;
    size_t flen = 0, wlen;
    const char *p = cmdline, *w;
    while ((w = bootargs_next_word(&p, &wlen))) {
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
    if (flen >= 2 && found[0] == '"' && found[flen - 1] == '"') {
        found++;
        flen -= 2;
    }
    flen = MIN(flen, sizeof value_buf - 1);
    memcpy(value_buf, found, flen);
    value_buf[flen] = 0;
    return value_buf;
}
