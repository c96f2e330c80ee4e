/* Words of the kernel command line and the merge rule of the built-in command line.
 *
 * The built-in command line (patched into the kernel image by the image builder, so the FIT's
 * hash, and later its signature, covers it) decides everything that matters for a verified
 * boot: root=, dm-mod.create=, init=, rdinit=, the verity policy... Only options that change
 * nothing of that kind may still come from /chosen/bootargs, which anybody who can edit the
 * boot partition (extlinux.conf) or the U-Boot environment controls. It is an allowlist, so
 * an option added later is refused from the boot loader until someone decides otherwise.
 *
 * ds= is cloud-init's datasource option (ds=nocloud;s=http://10.0.2.2:8000/): it tells the agent
 * where to fetch a seed. It grants nothing that attaching a cidata disk (the same physical
 * access as editing extlinux.conf) does not already grant, the agent treats an HTTP seed like
 * any other seed, and the kernel itself ignores it. */
#include "bootargs.h"
#include "string.h"

static const char *const bootloader_allowed[] = {
    "console", "earlycon", "quiet", "loglevel", "ignore_loglevel",
    "ds",
};

const char *bootargs_next_word(const char **p, size_t *len)
{
    const char *s = *p;
    while (*s == ' ' || *s == '\t' || *s == '\n')
        s++;
    if (!*s) {
        *p = s;
        return NULL;
    }
    const char *w = s;
    bool quoted = false;
    for (; *s && (quoted || (*s != ' ' && *s != '\t' && *s != '\n')); s++)
        if (*s == '"')
            quoted = !quoted;
    *len = (size_t)(s - w);
    *p = s;
    return w;
}

bool bootargs_allowed_from_bootloader(const char *word, size_t len)
{
    size_t klen = 0;
    while (klen < len && word[klen] != '=')
        klen++;
    for (size_t i = 0; i < sizeof bootloader_allowed / sizeof bootloader_allowed[0]; i++)
        if (strlen(bootloader_allowed[i]) == klen &&
            strncmp(word, bootloader_allowed[i], klen) == 0)
            return true;
    return false;
}

static size_t append(char *out, size_t size, size_t at, const char *w, size_t len)
{
    size_t need = (at ? 1 : 0) + len;
    if (size && at + need < size) {
        if (at)
            out[at] = ' ';
        memcpy(out + at + (at ? 1 : 0), w, len);
        out[at + need] = 0;
    }
    return at + need;
}

static bool has_word(const char *line, const char *word, size_t len)
{
    const char *w;
    size_t wlen;
    while ((w = bootargs_next_word(&line, &wlen)))
        if (wlen == len && strncmp(w, word, len) == 0)
            return true;
    return false;
}

size_t bootargs_merge(const char *builtin, const char *bootloader, char *out, size_t size,
                      void (*dropped)(const char *word, size_t len))
{
    size_t at = 0, len;
    const char *w, *p = builtin ? builtin : "";
    bool have_builtin = false;
    if (size)
        out[0] = 0;
    while ((w = bootargs_next_word(&p, &len))) {
        have_builtin = true;
        at = append(out, size, at, w, len);
    }
    p = bootloader ? bootloader : "";
    while ((w = bootargs_next_word(&p, &len))) {
        /* The same word in both (extlinux.conf repeats the built-in line, so kernels
         * without one read the same parameters): once, silently. */
        if (have_builtin && has_word(builtin, w, len))
            continue;
        if (have_builtin && !bootargs_allowed_from_bootloader(w, len)) {
            if (dropped)
                dropped(w, len);
            continue;
        }
        at = append(out, size, at, w, len);
    }
    return at;
}
