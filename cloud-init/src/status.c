/* /var/lib/cloud/data/status.json and result.json (cloud-init's format: v1 -> one object per
 * stage with start, finished, errors, recoverable_errors) and `cloud-init status`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core.h"

const char *const ci_stage_names[] = {"init-local", "init", "modules-init", "modules-config",
                                      "modules-final"};

static const char STATUS_JSON[] = "/var/lib/cloud/data/status.json";
static const char RESULT_JSON[] = "/var/lib/cloud/data/result.json";

double ci_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A growable output buffer. */
struct buf { char *s; size_t len, cap; bool oom; };

static void put(struct buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 1024) + n;
        char *g = realloc(b->s, cap);
        if (!g) {
            b->oom = true;
            return;
        }
        b->s = g;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s) { put(b, s, strlen(s)); }

static void putf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* A JSON string (also a valid YAML double-quoted scalar, so status.json reads back through
 * ci_yaml_parse). */
static void put_json_str(struct buf *b, const char *s)
{
    puts_(b, "\"");
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            putf(b, "\\%c", c);
        else if (c == '\n')
            puts_(b, "\\n");
        else if (c < 0x20 || c == 0x7f)
            putf(b, "\\u%04x", c);
        else
            put(b, (const char *)&c, 1);
    }
    puts_(b, "\"");
}

static void put_list(struct buf *b, const char *const *v, size_t n)
{
    puts_(b, "[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            puts_(b, ", ");
        put_json_str(b, v[i]);
    }
    puts_(b, "]");
}

/* The current status.json, or NULL. */
static struct ci_node *load(const struct ci_context *ctx, const char *abs)
{
    size_t len;
    char *s = ci_read_file(ctx, abs, &len);
    if (!s)
        return NULL;
    char err[128];
    struct ci_node *n = ci_yaml_parse(s, len, err, sizeof err);
    free(s);
    if (n && n->type != CI_MAP) {
        ci_node_free(n);
        n = NULL;
    }
    return n;
}

static size_t list_of(const struct ci_node *seq, const char **out, size_t max)
{
    size_t k = 0;
    for (size_t i = 0; seq && seq->type == CI_SEQ && i < seq->n && k < max; i++)
        if (ci_scalar(seq->items[i]))
            out[k++] = ci_scalar(seq->items[i]);
    return k;
}

/* Writes one stage object from the old document (other stages) or from ctx (this stage). */
static void put_stage(struct buf *b, const struct ci_node *old, struct ci_context *ctx, bool mine,
                      bool finished, double now)
{
    if (!mine) {
        const char *start = ci_scalar(ci_map_get(old, "start"));
        const char *fin = ci_scalar(ci_map_get(old, "finished"));
        const char *errs[64], *warns[64];
        size_t ne = list_of(ci_map_get(old, "errors"), errs, 64);
        size_t nw = list_of(ci_map_get(ci_map_get(old, "recoverable_errors"), "WARNING"), warns, 64);
        putf(b, "{\"start\": %s, \"finished\": %s, \"errors\": ", start ? start : "null",
             fin ? fin : "null");
        put_list(b, errs, ne);
        puts_(b, ", \"recoverable_errors\": {");
        if (nw) {
            puts_(b, "\"WARNING\": ");
            put_list(b, warns, nw);
        }
        puts_(b, "}}");
        return;
    }
    const char *start = ci_scalar(ci_map_get(old, "start"));
    char sbuf[32];
    if (!start || !finished) {
        snprintf(sbuf, sizeof sbuf, "%.3f", now);
        start = sbuf;
    }
    putf(b, "{\"start\": %s, \"finished\": ", start);
    if (finished)
        putf(b, "%.3f", now);
    else
        puts_(b, "null");
    puts_(b, ", \"errors\": ");
    put_list(b, (const char *const *)ctx->error_msgs, ctx->n_error_msgs);
    puts_(b, ", \"recoverable_errors\": {");
    if (ctx->n_warning_msgs) {
        puts_(b, "\"WARNING\": ");
        put_list(b, (const char *const *)ctx->warning_msgs, ctx->n_warning_msgs);
    }
    puts_(b, "}}");
}

static int write_status(struct ci_context *ctx, int stage, bool finished, const char *disabled)
{
    double now = ci_now();
    struct ci_node *old = load(ctx, STATUS_JSON);
    const struct ci_node *v1 = ci_map_get(old, "v1");
    struct buf b = {0};
    puts_(&b, "{\"v1\": {\"datasource\": ");
    const char *ds = ctx->datasource ? ctx->datasource : ci_scalar(ci_map_get(v1, "datasource"));
    if (ds)
        put_json_str(&b, ds);
    else
        puts_(&b, "null");
    if (disabled) {
        puts_(&b, ", \"disabled\": ");
        put_json_str(&b, disabled);
    }
    for (int s = 0; s < CI_ST_COUNT; s++) {
        putf(&b, ", \"%s\": ", ci_stage_names[s]);
        const struct ci_node *o = ci_map_get(v1, ci_stage_names[s]);
        if (s == stage)
            put_stage(&b, o, ctx, true, finished, now);
        else if (o && o->type == CI_MAP)
            put_stage(&b, o, ctx, false, false, now);
        else
            puts_(&b, "{\"start\": null, \"finished\": null, \"errors\": [], \"recoverable_errors\": {}}");
    }
    puts_(&b, ", \"stage\": ");
    if (stage >= 0 && !finished)
        put_json_str(&b, ci_stage_names[stage]);
    else
        puts_(&b, "null");
    puts_(&b, "}}\n");
    ci_node_free(old);
    int r = -1;
    if (!b.oom && ci_mkdir_p(ctx, "/var/lib/cloud/data", 0755) == 0)
        r = ci_write_file(ctx, STATUS_JSON, b.s, b.len, 0644, (uid_t)-1, (gid_t)-1);
    free(b.s);
    return r;
}

int ci_status_update(struct ci_context *ctx, enum ci_status_stage st, bool finished, double now)
{
    (void)now;
    int r = write_status(ctx, (int)st, finished, NULL);
    if (st == CI_ST_MODULES_FINAL && finished) {
        /* result.json: the run's outcome, every stage's errors. */
        struct ci_node *doc = load(ctx, STATUS_JSON);
        const struct ci_node *v1 = ci_map_get(doc, "v1");
        struct buf b = {0};
        puts_(&b, "{\"v1\": {\"datasource\": ");
        put_json_str(&b, ctx->datasource ? ctx->datasource : "");
        puts_(&b, ", \"errors\": [");
        bool first = true;
        for (int s = 0; s < CI_ST_COUNT; s++) {
            const char *errs[64];
            size_t ne = list_of(ci_map_get(ci_map_get(v1, ci_stage_names[s]), "errors"), errs, 64);
            for (size_t i = 0; i < ne; i++) {
                if (!first)
                    puts_(&b, ", ");
                first = false;
                put_json_str(&b, errs[i]);
            }
        }
        puts_(&b, "]}}\n");
        if (!b.oom && ci_write_file(ctx, RESULT_JSON, b.s, b.len, 0644, (uid_t)-1, (gid_t)-1) < 0)
            r = -1;
        free(b.s);
        ci_node_free(doc);
    }
    return r;
}

int ci_status_disabled(struct ci_context *ctx, const char *why)
{
    return write_status(ctx, -1, true, why);
}

/* ---- `cloud-init status` -------------------------------------------------------------------- */

struct summary {
    const char *status;          /* not run | running | done | error | disabled */
    const char *extended;        /* cloud-init's extended_status */
    const char *detail;
    const char *datasource;
    const char *errors[256];
    size_t n_errors;
    const char *warnings[256];
    size_t n_warnings;
    double last_update;
};

static void summarize(const struct ci_node *doc, struct summary *s)
{
    memset(s, 0, sizeof *s);
    const struct ci_node *v1 = ci_map_get(doc, "v1");
    if (!v1) {
        s->status = s->extended = "not started";
        s->status = "not run";
        s->detail = "Cloud-init has not run yet";
        return;
    }
    const char *disabled = ci_scalar(ci_map_get(v1, "disabled"));
    s->datasource = ci_scalar(ci_map_get(v1, "datasource"));
    if (disabled) {
        s->status = s->extended = "disabled";
        s->detail = disabled;
        return;
    }
    bool running = false, final_done = false;
    for (int st = 0; st < CI_ST_COUNT; st++) {
        const struct ci_node *o = ci_map_get(v1, ci_stage_names[st]);
        const char *start = ci_scalar(ci_map_get(o, "start"));
        const char *fin = ci_scalar(ci_map_get(o, "finished"));
        if (start && !fin)
            running = true;
        if (st == CI_ST_MODULES_FINAL && fin)
            final_done = true;
        if (fin && atof(fin) > s->last_update)
            s->last_update = atof(fin);
        if (start && atof(start) > s->last_update)
            s->last_update = atof(start);
        s->n_errors += list_of(ci_map_get(o, "errors"), s->errors + s->n_errors,
                               256 - s->n_errors);
        s->n_warnings += list_of(ci_map_get(ci_map_get(o, "recoverable_errors"), "WARNING"),
                                 s->warnings + s->n_warnings, 256 - s->n_warnings);
    }
    bool degraded = s->n_warnings > 0;
    if (!final_done || running) {
        s->status = "running";
        s->extended = degraded ? "degraded running" : "running";
        s->detail = "Running in stage";
    } else if (s->n_errors) {
        s->status = "error";
        s->extended = "error - done";
        s->detail = s->datasource;
    } else {
        s->status = "done";
        s->extended = degraded ? "degraded done" : "done";
        s->detail = s->datasource;
    }
}

static int exit_code(const struct summary *s)
{
    if (!strcmp(s->status, "error"))
        return 1;
    if (s->n_warnings)
        return 2;
    return 0;
}

/* cloud-init's short datasource name: "DataSourceNoCloudNet [seed=...]" -> "nocloud". */
static void short_name(const char *ds, char *out, size_t outlen)
{
    size_t k = 0;
    if (ds && !strncmp(ds, "DataSource", 10))
        ds += 10;
    for (; ds && *ds && *ds != ' ' && k + 1 < outlen; ds++)
        out[k++] = (char)(*ds >= 'A' && *ds <= 'Z' ? *ds - 'A' + 'a' : *ds);
    out[k] = '\0';
    if (!strcmp(out, "nocloudnet"))
        out[7] = '\0';
}

static void print_json(const struct summary *s, bool wait_dots)
{
    (void)wait_dots;
    struct buf b = {0};
    char ds[64];
    short_name(s->datasource, ds, sizeof ds);
    puts_(&b, "{\n  \"boot_status_code\": ");
    put_json_str(&b, strcmp(s->status, "disabled") ? "enabled-by-sysvinit" : "disabled-by-no-datasource");
    puts_(&b, ",\n  \"datasource\": ");
    put_json_str(&b, ds);
    puts_(&b, ",\n  \"detail\": ");
    put_json_str(&b, s->detail ? s->detail : "");
    puts_(&b, ",\n  \"errors\": ");
    put_list(&b, s->errors, s->n_errors);
    puts_(&b, ",\n  \"extended_status\": ");
    put_json_str(&b, s->extended);
    putf(&b, ",\n  \"last_update\": %.3f", s->last_update);
    puts_(&b, ",\n  \"recoverable_errors\": {");
    if (s->n_warnings) {
        puts_(&b, "\"WARNING\": ");
        put_list(&b, s->warnings, s->n_warnings);
    }
    puts_(&b, "},\n  \"status\": ");
    put_json_str(&b, s->status);
    puts_(&b, "\n}\n");
    if (b.s)
        fputs(b.s, stdout);
    free(b.s);
}

int ci_status_command(struct ci_context *ctx, int argc, char **argv)
{
    bool wait = false, lng = false, json = false;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--wait") || !strcmp(argv[i], "-w"))
            wait = true;
        else if (!strcmp(argv[i], "--long") || !strcmp(argv[i], "-l"))
            lng = true;
        else if (!strcmp(argv[i], "--format") && i + 1 < argc &&
                 (!strcmp(argv[i + 1], "json") || !strcmp(argv[i + 1], "yaml") ||
                  !strcmp(argv[i + 1], "tabular"))) {
            json = strcmp(argv[++i], "tabular") != 0;
        } else if (!strcmp(argv[i], "--format=json")) {
            json = true;
        } else {
            fprintf(stderr, "usage: cloud-init status [--wait] [--long] [--format json|tabular]\n");
            return 1;
        }
    }
    struct summary s;
    struct ci_node *doc;
    for (;;) {
        doc = load(ctx, STATUS_JSON);
        summarize(doc, &s);
        if (!wait || strcmp(s.status, "running"))
            break;
        ci_node_free(doc);
        if (!json) {
            fputc('.', stdout);
            fflush(stdout);
        }
        usleep(250000);
    }
    if (wait && !json)
        fputc('\n', stdout);
    if (json) {
        print_json(&s, wait);
    } else {
        printf("status: %s\n", s.status);
        if (lng) {
            char when[64] = "";
            time_t t = (time_t)s.last_update;
            struct tm tm;
            if (s.last_update > 0 && gmtime_r(&t, &tm))
                strftime(when, sizeof when, "%a, %d %b %Y %H:%M:%S +0000", &tm);
            printf("extended_status: %s\n", s.extended);
            printf("boot_status_code: %s\n",
                   strcmp(s.status, "disabled") ? "enabled-by-sysvinit" : "disabled-by-no-datasource");
            if (when[0])
                printf("last_update: %s\n", when);
            printf("detail: %s\n", s.detail ? s.detail : "");
            printf("errors:%s\n", s.n_errors ? "" : " []");
            for (size_t i = 0; i < s.n_errors; i++)
                printf("\t- %s\n", s.errors[i]);
            printf("recoverable_errors:%s\n", s.n_warnings ? "" : " {}");
            if (s.n_warnings)
                printf("WARNING:\n");
            for (size_t i = 0; i < s.n_warnings; i++)
                printf("\t- %s\n", s.warnings[i]);
        }
    }
    int code = exit_code(&s);
    ci_node_free(doc);
    return code;
}
