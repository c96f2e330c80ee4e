/* cc_final_message (every boot, last): cloud-init's final message, to stderr and the log. The text is
 * `final_message` or cloud-init's default; {{version}}, {{ uptime }}, $timestamp, ${datasource}
 * (each of version, uptime, timestamp, datasource) are substituted. The core writes
 * boot-finished after the stage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "modules.h"

#ifndef CI_VERSION
#define CI_VERSION "dev"   /* the build passes release/VERSION */
#endif

static const char default_message[] =
    "Cloud-init v. {{version}} finished at {{timestamp}}. Datasource {{datasource}}.  "
    "Up {{uptime}} seconds";

static void read_uptime(struct ci_context *ctx, char *out, size_t len)
{
    snprintf(out, len, "unknown");
    char *up = ci_read_file(ctx, "/proc/uptime", NULL);
    if (up)
        snprintf(out, len, "%.*s", (int)strcspn(up, " \n"), up);
    free(up);
}

struct var {
    const char *name;
    const char *value;
};

/* Replaces {{ name }}, ${name} and $name of the variables in text. */
static int render(const char *text, const struct var *vars, size_t nvars, struct mod_buf *out)
{
    for (const char *p = text; *p; ) {
        size_t i, skip = 0, nl;
        const char *name = NULL;
        if (p[0] == '{' && p[1] == '{') {
            const char *q = p + 2;
            while (*q == ' ')
                q++;
            const char *end = strstr(q, "}}");
            if (end) {
                const char *e = end;
                while (e > q && e[-1] == ' ')
                    e--;
                name = q;
                nl = (size_t)(e - q);
                skip = (size_t)(end + 2 - p);
            }
        } else if (p[0] == '$' && p[1] == '{') {
            const char *end = strchr(p + 2, '}');
            if (end) {
                name = p + 2;
                nl = (size_t)(end - name);
                skip = (size_t)(end + 1 - p);
            }
        } else if (p[0] == '$') {
            name = p + 1;
            nl = strspn(name, "abcdefghijklmnopqrstuvwxyz_");
            skip = nl + 1;
        }
        for (i = 0; name && i < nvars; i++)
            if (strlen(vars[i].name) == nl && !strncmp(vars[i].name, name, nl))
                break;
        if (name && i < nvars) {
            if (mod_buf_str(out, vars[i].value) < 0)
                return -1;
            p += skip;
        } else if (mod_buf_add(out, p++, 1) < 0) {
            return -1;
        }
    }
    return 0;
}

int cc_final_message(struct ci_context *ctx)
{
    const struct ci_node *v = ci_map_get(ctx->cfg, "final_message");
    const char *text = ci_scalar(v);
    if (v && v->type != CI_NULL && !text)
        ci_warn(ctx, "final_message (line %d) is not a string: the default is used", v->line);
    if (!text)
        text = default_message;
    /* A jinja header line, as cloud-init's templates have, is not part of the message. */
    if (!strncmp(text, "## template:", 12)) {
        const char *nl = strchr(text, '\n');
        text = nl ? nl + 1 : "";
    }
    char uptime[32], stamp[64] = "";
    read_uptime(ctx, uptime, sizeof uptime);
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm))
        strftime(stamp, sizeof stamp, "%a, %d %b %Y %H:%M:%S +0000", &tm);   /* RFC 2822 */
    const struct var vars[] = {
        {"version", CI_VERSION},
        {"uptime", uptime},
        {"timestamp", stamp},
        {"datasource", ctx->datasource ? ctx->datasource : "None"},
    };
    struct mod_buf msg = {0};
    if (render(text, vars, sizeof vars / sizeof *vars, &msg) < 0) {
        free(msg.p);
        ci_error(ctx, "final_message: out of memory");
        return -1;
    }
    /* stderr, not /dev/console: the final stage runs in the background while the console is in
     * use (S60cloud-final chooses where its stderr goes). */
    fprintf(stderr, "%s\n", msg.p ? msg.p : "");
    fflush(stderr);
    ci_log(ctx, CI_INFO, "%s", msg.p ? msg.p : "");
    free(msg.p);
    return 0;
}
