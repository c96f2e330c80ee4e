/* MIME multi-part user-data, as `cloud-init devel make-mime` and Python's email package write
 * it: headers, a multipart/mixed boundary, parts with Content-Type (and optionally base64
 * Content-Transfer-Encoding and a filename). Nested multiparts are flattened. Untrusted input:
 * every step is bounded by the buffer, nesting by MAX_NEST, parts by MAX_PARTS. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core.h"

enum { MAX_NEST = 8, MAX_PARTS = 256 };

struct headers {
    char type[128], boundary[128], filename[256], encoding[32];
};

void ci_parts_free(struct ci_part *parts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(parts[i].type);
        free(parts[i].filename);
        free(parts[i].body);
    }
    free(parts);
}

/* Copies the value of parameter name (e.g. boundary) from a header value, quoted or not. */
static void param(const char *v, size_t vlen, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i + nl < vlen; i++) {
        if ((i == 0 || v[i - 1] == ';' || isspace((unsigned char)v[i - 1])) &&
            !strncasecmp(v + i, name, nl) && v[i + nl] == '=') {
            size_t j = i + nl + 1, k = 0;
            bool q = j < vlen && v[j] == '"';
            if (q)
                j++;
            while (j < vlen && k + 1 < outlen) {
                if (q ? v[j] == '"' : (v[j] == ';' || isspace((unsigned char)v[j])))
                    break;
                out[k++] = v[j++];
            }
            out[k] = '\0';
            return;
        }
    }
}

/* Parses the header block at buf; returns the offset of the body (after the blank line). */
static size_t parse_headers(const char *buf, size_t len, struct headers *h)
{
    memset(h, 0, sizeof *h);
    size_t i = 0;
    while (i < len) {
        size_t e = i;
        while (e < len && buf[e] != '\n')
            e++;
        size_t le = e > i && buf[e - 1] == '\r' ? e - 1 : e;
        if (le == i)
            return e < len ? e + 1 : e;            /* the blank line */
        /* Folded continuation lines belong to the header before: join them logically by
         * taking the value up to the next unfolded line. */
        size_t ve = le, ne = e;
        while (ne + 1 < len && (buf[ne + 1] == ' ' || buf[ne + 1] == '\t')) {
            size_t x = ne + 1;
            while (x < len && buf[x] != '\n')
                x++;
            ve = x > 0 && buf[x - 1] == '\r' ? x - 1 : x;
            ne = x;
        }
        const char *colon = memchr(buf + i, ':', le - i);
        if (colon) {
            size_t nl = (size_t)(colon - (buf + i));
            const char *v = colon + 1;
            size_t vl = (size_t)(buf + ve - v);
            while (vl && isspace((unsigned char)*v)) {
                v++;
                vl--;
            }
            if (nl == 12 && !strncasecmp(buf + i, "Content-Type", 12)) {
                size_t t = 0;
                while (t < vl && t + 1 < sizeof h->type && v[t] != ';' && !isspace((unsigned char)v[t])) {
                    h->type[t] = (char)tolower((unsigned char)v[t]);
                    t++;
                }
                h->type[t] = '\0';
                param(v, vl, "boundary", h->boundary, sizeof h->boundary);
            } else if (nl == 19 && !strncasecmp(buf + i, "Content-Disposition", 19)) {
                param(v, vl, "filename", h->filename, sizeof h->filename);
            } else if (nl == 25 && !strncasecmp(buf + i, "Content-Transfer-Encoding", 25)) {
                size_t t = 0;
                while (t < vl && t + 1 < sizeof h->encoding && !isspace((unsigned char)v[t])) {
                    h->encoding[t] = (char)tolower((unsigned char)v[t]);
                    t++;
                }
                h->encoding[t] = '\0';
            }
        }
        i = ne < len ? ne + 1 : ne;
    }
    return len;
}

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* base64 with whitespace skipped; stops at '='. The output is never longer than the input. */
static char *b64decode(const char *s, size_t len, size_t *outlen)
{
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len && s[i] != '='; i++) {
        int v = b64val((unsigned char)s[i]);
        if (v < 0) {
            if (isspace((unsigned char)s[i]))
                continue;
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

struct split {
    struct ci_part *parts;
    size_t n;
    char *err;
    size_t errlen;
};

static int add_part(struct split *sp, const struct headers *h, const char *body, size_t blen)
{
    if (sp->n >= MAX_PARTS) {
        snprintf(sp->err, sp->errlen, "more than %d MIME parts", MAX_PARTS);
        return -1;
    }
    struct ci_part *grown = realloc(sp->parts, (sp->n + 1) * sizeof *grown);
    if (!grown)
        goto oom;
    sp->parts = grown;
    struct ci_part *p = &sp->parts[sp->n];
    memset(p, 0, sizeof *p);
    if (!strcmp(h->encoding, "base64")) {
        p->body = b64decode(body, blen, &p->len);
        if (!p->body) {
            snprintf(sp->err, sp->errlen, "a MIME part's base64 is invalid");
            return -1;
        }
    } else {
        p->body = malloc(blen + 1);
        if (!p->body)
            goto oom;
        memcpy(p->body, body, blen);
        p->body[blen] = '\0';
        p->len = blen;
    }
    p->type = strdup(h->type[0] ? h->type : "text/plain");
    p->filename = h->filename[0] ? strdup(h->filename) : NULL;
    sp->n++;
    if (!p->type || (h->filename[0] && !p->filename))
        goto oom;
    return 0;
oom:
    snprintf(sp->err, sp->errlen, "out of memory");
    return -1;
}

/* Finds "\n--boundary" (or the boundary at the very start) at or after from. */
static const char *find_delim(const char *buf, size_t len, size_t from, const char *b, size_t bl)
{
    for (size_t i = from; i + 2 + bl <= len; i++) {
        if ((i == 0 || buf[i - 1] == '\n') && buf[i] == '-' && buf[i + 1] == '-' &&
            !memcmp(buf + i + 2, b, bl))
            return buf + i;
    }
    return NULL;
}

static int split_entity(struct split *sp, const char *buf, size_t len, int depth)
{
    struct headers h;
    size_t body = parse_headers(buf, len, &h);
    if (strncmp(h.type, "multipart/", 10))
        return add_part(sp, &h, buf + body, len - body);
    if (depth >= MAX_NEST) {
        snprintf(sp->err, sp->errlen, "MIME parts nested too deep");
        return -1;
    }
    size_t bl = strlen(h.boundary);
    if (!bl) {
        snprintf(sp->err, sp->errlen, "a multipart without a boundary");
        return -1;
    }
    const char *d = find_delim(buf, len, body, h.boundary, bl);
    while (d) {
        const char *after = d + 2 + bl;
        if (after + 2 <= buf + len && after[0] == '-' && after[1] == '-')
            return 0;                                   /* the closing delimiter */
        const char *nl = memchr(after, '\n', (size_t)(buf + len - after));
        if (!nl)
            break;
        size_t start = (size_t)(nl + 1 - buf);
        const char *next = find_delim(buf, len, start, h.boundary, bl);
        size_t end = next ? (size_t)(next - buf) : len;
        /* The line break before a delimiter belongs to it. */
        size_t pend = end;
        if (next && pend > start && buf[pend - 1] == '\n')
            pend--;
        if (next && pend > start && buf[pend - 1] == '\r')
            pend--;
        if (split_entity(sp, buf + start, pend - start, depth + 1) < 0)
            return -1;
        d = next;
    }
    return 0;   /* no closing delimiter: what was found is kept, as Python's parser does */
}

int ci_mime_split(const char *buf, size_t len, struct ci_part **parts, size_t *n, char *err,
                  size_t errlen)
{
    struct split sp = {NULL, 0, err, errlen};
    if (split_entity(&sp, buf, len, 0) < 0) {
        ci_parts_free(sp.parts, sp.n);
        *parts = NULL;
        *n = 0;
        return -1;
    }
    *parts = sp.parts;
    *n = sp.n;
    return 0;
}
