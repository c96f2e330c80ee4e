/* user-data and vendor-data: #cloud-config, #! scripts, MIME multi-part; merged into one
 * config (later cloud-config parts, then user-data over vendor-data, win per top-level key). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core.h"

void ci_userdata_free(struct ci_userdata *u)
{
    ci_node_free(u->cfg);
    for (size_t i = 0; i < u->n_scripts; i++) {
        free(u->scripts[i].name);
        free(u->scripts[i].body);
    }
    free(u->scripts);
    memset(u, 0, sizeof *u);
}

/* Moves over's keys into base (replacing same-named ones); frees over. */
static void merge_into(struct ci_node *base, struct ci_node *over)
{
    for (size_t i = 0; i < over->n; i++) {
        bool replaced = false;
        for (size_t j = 0; j < base->n; j++) {
            if (!strcmp(base->keys[j], over->keys[i])) {
                ci_node_free(base->items[j]);
                base->items[j] = over->items[i];
                replaced = true;
                break;
            }
        }
        if (!replaced) {
            char **k = realloc(base->keys, (base->n + 1) * sizeof *k);
            if (k)
                base->keys = k;
            struct ci_node **it = k ? realloc(base->items, (base->n + 1) * sizeof *it) : NULL;
            if (!it) {
                ci_node_free(over->items[i]);
                free(over->keys[i]);
                continue;
            }
            base->items = it;
            base->keys[base->n] = over->keys[i];
            base->items[base->n++] = over->items[i];
        } else {
            free(over->keys[i]);
        }
        over->items[i] = NULL;
        over->keys[i] = NULL;
    }
    over->n = 0;
    ci_node_free(over);
}

static void add_config(struct ci_context *ctx, struct ci_node **cfg, const char *what,
                       const char *text, size_t len)
{
    char err[200];
    struct ci_node *n = ci_yaml_parse(text, len, err, sizeof err);
    if (!n) {
        ci_error(ctx, "%s: invalid cloud-config: %s", what, err);
        return;
    }
    if (n->type == CI_NULL) {
        ci_node_free(n);
        return;
    }
    if (n->type != CI_MAP) {
        ci_error(ctx, "%s: cloud-config is not a mapping (line %d)", what, n->line);
        ci_node_free(n);
        return;
    }
    if (!*cfg)
        *cfg = n;
    else
        merge_into(*cfg, n);
}

static void add_script(struct ci_context *ctx, struct ci_userdata *u, const char *filename,
                       const char *body, size_t len)
{
    char name[64];
    /* Our own names, never the seed's: a filename from a seed must not choose a path. */
    snprintf(name, sizeof name, "part-%03zu", u->n_scripts + 1);
    struct ci_script *s = realloc(u->scripts, (u->n_scripts + 1) * sizeof *s);
    if (!s)
        return;
    u->scripts = s;
    s[u->n_scripts].name = strdup(name);
    s[u->n_scripts].body = malloc(len + 1);
    if (!s[u->n_scripts].name || !s[u->n_scripts].body) {
        free(s[u->n_scripts].name);
        free(s[u->n_scripts].body);
        return;
    }
    memcpy(s[u->n_scripts].body, body, len);
    s[u->n_scripts].body[len] = '\0';
    s[u->n_scripts].len = len;
    u->n_scripts++;
    ci_log(ctx, CI_INFO, "user-data script %s%s%s%s", name, filename ? " (" : "",
           filename ? filename : "", filename ? ")" : "");
}

static bool starts(const char *s, size_t len, const char *prefix)
{
    size_t pl = strlen(prefix);
    return len >= pl && !strncasecmp(s, prefix, pl);
}

static bool blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            return false;
    return true;
}

/* Text as a seed's author writes it: no NUL and no control bytes but tab, CR, LF and FF
 * (UTF-8 is fine: its bytes are all >= 0x80). */
static bool looks_like_text(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') || c == 0x7f)
            return false;
    }
    return true;
}

/* One piece of user-data whose type comes from its first line (or its MIME type). */
static void handle(struct ci_context *ctx, struct ci_userdata *u, struct ci_node **cfg,
                   const char *what, const char *type, const char *filename, const char *buf,
                   size_t len)
{
    if (blank(buf, len))
        return;
    if ((type && !strcmp(type, "text/cloud-config")) || starts(buf, len, "#cloud-config")) {
        add_config(ctx, cfg, what, buf, len);
    } else if ((type && !strcmp(type, "text/x-shellscript")) || starts(buf, len, "#!")) {
        add_script(ctx, u, filename, buf, len);
    } else if (len >= 2 && (unsigned char)buf[0] == 0x1f && (unsigned char)buf[1] == 0x8b) {
        ci_error(ctx, "%s: gzip inside gzip is not supported", what);
    } else if (type && strcmp(type, "text/plain") && strcmp(type, "text/x-not-multipart")) {
        ci_warn(ctx, "%s: MIME part of type %s is not supported: skipped", what, type);
    } else if (!looks_like_text(buf, len)) {
        /* Text of an unknown kind is cloud-init's warning; bytes that are no text at all
         * are no seed anyone meant: nothing of it can be applied. */
        ci_error(ctx, "%s: binary data of no known format (not #cloud-config, #!, MIME or "
                 "gzip): ignored", what);
    } else {
        char first[40];
        size_t l = 0;
        while (l < len && l + 1 < sizeof first && buf[l] != '\n' && buf[l] != '\r')
            l++;
        memcpy(first, buf, l);
        first[l] = '\0';
        for (size_t i = 0; i < l; i++)
            if ((unsigned char)first[i] < 0x20 || (unsigned char)first[i] >= 0x7f)
                first[i] = '?';
        ci_warn(ctx, "%s: unhandled format (first line \"%s\"): skipped", what, first);
    }
}

static bool is_mime(const char *buf, size_t len)
{
    return starts(buf, len, "Content-Type:") || starts(buf, len, "MIME-Version:");
}

enum { GUNZIP_MAX = 4 << 20 };   /* what compressed user-data may expand to */

static void process_one(struct ci_context *ctx, struct ci_userdata *u, struct ci_node **cfg,
                        const char *what, const char *buf, size_t len)
{
    if (!buf || !len)
        return;
    /* Compressed user-data (cloud-init accepts it: some clouds limit its size): once. */
    char *plain = NULL;
    if (len >= 2 && (unsigned char)buf[0] == 0x1f && (unsigned char)buf[1] == 0x8b) {
        size_t plen;
        char err[200];
        if (ci_gunzip(buf, len, GUNZIP_MAX, &plain, &plen, err, sizeof err) < 0) {
            ci_error(ctx, "%s: %s", what, err);
            return;
        }
        buf = plain;
        len = plen;
        if (!len) {
            free(plain);
            return;
        }
    }
    if (!is_mime(buf, len)) {
        handle(ctx, u, cfg, what, NULL, NULL, buf, len);
        free(plain);
        return;
    }
    struct ci_part *parts;
    size_t n;
    char err[200];
    if (ci_mime_split(buf, len, &parts, &n, err, sizeof err) < 0) {
        ci_error(ctx, "%s: invalid MIME multi-part: %s", what, err);
        free(plain);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char label[64];
        snprintf(label, sizeof label, "%s part %zu", what, i + 1);
        handle(ctx, u, cfg, label, parts[i].type, parts[i].filename, parts[i].body, parts[i].len);
    }
    ci_parts_free(parts, n);
    free(plain);
}

void ci_userdata_process(struct ci_context *ctx, const char *user, size_t ulen,
                         const char *vendor, size_t vlen, struct ci_userdata *out)
{
    memset(out, 0, sizeof *out);
    struct ci_node *vcfg = NULL, *ucfg = NULL;
    /* Vendor scripts are run as cloud-init's scripts_vendor would only with opt-in: here
     * vendor-data contributes configuration only, and says so. */
    struct ci_userdata vendor_scripts = {0};
    process_one(ctx, &vendor_scripts, &vcfg, "vendor-data", vendor, vlen);
    if (vendor_scripts.n_scripts)
        ci_warn(ctx, "vendor-data: %zu script(s) not run (vendor scripts are not supported)",
                vendor_scripts.n_scripts);
    ci_userdata_free(&vendor_scripts);
    process_one(ctx, out, &ucfg, "user-data", user, ulen);
    if (vcfg && ucfg) {
        merge_into(vcfg, ucfg);
        out->cfg = vcfg;
    } else {
        out->cfg = vcfg ? vcfg : ucfg;
    }
}
