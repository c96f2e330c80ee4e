/* write_files content encodings: base64 here; gzip through the core's inflate (gunzip.c,
 * fuzzed with the user-data it also serves). */
#include <stdlib.h>
#include <string.h>

#include "../core.h"
#include "modules.h"

int mod_base64_decode(const char *in, size_t len, struct mod_buf *out)
{
    unsigned acc = 0;
    int bits = 0, pad = 0;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        int v;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
            continue;
        if (c == '=') {
            pad++;
            continue;
        }
        if (pad)
            return -1;                          /* data after padding */
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            v = c - '0' + 52;
        else if (c == '+' || c == '-')
            v = 62;
        else if (c == '/' || c == '_')
            v = 63;
        else
            return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            unsigned char byte = (unsigned char)(acc >> bits);
            if (mod_buf_add(out, &byte, 1) < 0)
                return -1;
        }
    }
    /* 2 or 4 leftover bits are padding of a well-formed input; 6 means a lone character. */
    if (bits >= 6 || pad > 2 || (pad && bits == 0))
        return -1;
    return 0;
}

/* Decompressed output larger than this is refused (a small seed must not fill /data). */
#define GUNZIP_LIMIT (64u << 20)

int mod_gunzip(const void *in, size_t len, struct mod_buf *out)
{
    char *data, err[128];
    size_t n;
    if (ci_gunzip(in, len, GUNZIP_LIMIT, &data, &n, err, sizeof err) < 0)
        return -1;
    int r = mod_buf_add(out, data, n);
    free(data);
    return r;
}
