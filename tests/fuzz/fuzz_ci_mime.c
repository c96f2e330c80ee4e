/*
 * libFuzzer target for the cloud-init agent's MIME multi-part splitter (cloud-init/src/mime.c):
 * split an exactly-sized copy of the input, then touch every byte of every part so ASan checks
 * each one's bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

static volatile uint8_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    struct ci_part *parts;
    size_t n;
    char err[200];
    if (ci_mime_split(buf, size, &parts, &n, err, sizeof err) == 0) {
        for (size_t i = 0; i < n; i++) {
            for (size_t j = 0; j <= parts[i].len; j++)
                sink ^= (uint8_t)parts[i].body[j];       /* the NUL too */
            sink ^= (uint8_t)strlen(parts[i].type);
            if (parts[i].filename)
                sink ^= (uint8_t)strlen(parts[i].filename);
        }
        ci_parts_free(parts, n);
    } else if (!memchr(err, '\0', sizeof err)) {
        __builtin_trap();   /* an error always comes with a message */
    }
    free(buf);
    return 0;
}
