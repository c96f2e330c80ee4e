/* cc_power_state_change (per instance, last): `power_state` {mode: poweroff|reboot|halt,
 * delay: "now" | "+N" | N (minutes, default now), message, timeout (seconds to wait for the
 * agent to exit, default 30), condition (true, false, or a command that must exit 0)}.
 *
 * As cloud-init: a detached child waits until the agent has exited (or the timeout passed),
 * then checks the condition and runs BusyBox's poweroff/reboot/halt (-d for the delay), so
 * the final stage, its logs and status are complete first. Under a test root nothing forks:
 * the condition and the command are recorded in <root>/.ci-commands. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "modules.h"

static const char *const modes[] = {"poweroff", "reboot", "halt", NULL};

/* The delay in minutes: "now" 0, "+N" or N. -1 when it is neither. */
static long parse_delay(const struct ci_node *v)
{
    const char *s = ci_scalar(v);
    if (!v || v->type == CI_NULL)
        return 0;
    if (!s)
        return -1;
    if (!strcmp(s, "now"))
        return 0;
    if (*s == '+')
        s++;
    char *end;
    errno = 0;
    long m = strtol(s, &end, 10);
    if (!*s || *end || errno || m < 0 || m > 60L * 24 * 365)
        return -1;
    return m;
}

/* 1: go ahead, 0: do not (cloud-init's check_condition). */
static int check_condition(struct ci_context *ctx, const struct ci_node *cond)
{
    bool b;
    if (!cond || cond->type == CI_NULL)
        return 1;
    if (ci_bool(cond, &b) == 0)
        return b;
    struct mod_buf cmd = {0};
    if (mod_cmd_line(ctx, cond, "power_state: condition", &cmd) < 0) {
        free(cmd.p);
        return 0;
    }
    int st = ci_run_shell(ctx, cmd.p);
    free(cmd.p);
    if (st == 0)
        return 1;
    if (st != 1)
        ci_log(ctx, CI_WARNING, "power_state: condition exited %d: not acting", st);
    return 0;
}

static void act(struct ci_context *ctx, const char *mode, long delay_min, const char *message,
                const struct ci_node *cond)
{
    if (!check_condition(ctx, cond)) {
        ci_log(ctx, CI_INFO, "power_state: condition not met: no %s", mode);
        return;
    }
    if (message) {
        struct mod_buf line = {0};
        if (mod_buf_printf(&line, "%s\n", message) == 0)
            mod_console(ctx, line.p);
        free(line.p);
    }
    char delay[32];
    snprintf(delay, sizeof delay, "%ld", delay_min * 60);
    char *argv[] = {(char *)mode, "-d", delay, NULL};
    if (delay_min == 0)
        argv[1] = NULL;
    ci_log(ctx, CI_INFO, "power_state: %s%s%s s", mode, delay_min ? " in " : " now",
           delay_min ? delay : "");
    ci_run(ctx, argv);
}

int cc_power_state_change(struct ci_context *ctx)
{
    const struct ci_node *ps = ci_map_get(ctx->cfg, "power_state");
    if (!ps || ps->type == CI_NULL)
        return 0;
    if (ps->type != CI_MAP) {
        ci_error(ctx, "power_state: expected a map (line %d)", ps->line);
        return -1;
    }
    const char *mode = ci_scalar(ci_map_get(ps, "mode"));
    size_t i;
    for (i = 0; mode && modes[i]; i++)
        if (!strcmp(mode, modes[i]))
            break;
    if (!mode || !modes[i]) {
        ci_error(ctx, "power_state: mode \"%s\" is none of poweroff, reboot, halt",
                 mode ? mode : "(missing)");
        return -1;
    }
    long delay = parse_delay(ci_map_get(ps, "delay"));
    if (delay < 0) {
        ci_error(ctx, "power_state: delay is none of now, +N, N (minutes)");
        return -1;
    }
    long timeout = 30;
    const struct ci_node *tn = ci_map_get(ps, "timeout");
    if (tn && tn->type != CI_NULL && (ci_long(tn, &timeout) < 0 || timeout < 0)) {
        ci_error(ctx, "power_state: timeout (line %d) is not a number of seconds", tn->line);
        return -1;
    }
    const char *message = ci_scalar(ci_map_get(ps, "message"));
    const struct ci_node *cond = ci_map_get(ps, "condition");
    if (ctx->root && strcmp(ctx->root, "/")) {
        act(ctx, mode, delay, message, cond);
        return 0;
    }
    pid_t agent = getpid();
    pid_t child = fork();
    if (child < 0) {
        ci_error(ctx, "power_state: fork: %s", strerror(errno));
        return -1;
    }
    if (child > 0) {
        ci_log(ctx, CI_INFO, "power_state: %s once cloud-init has exited (timeout %ld s)", mode,
               timeout);
        return 0;
    }
    /* The child: its own session, so the agent's exit (and a hangup) does not end it. */
    setsid();
    signal(SIGHUP, SIG_IGN);
    struct timespec step = {0, 100 * 1000 * 1000};
    for (long waited = 0; waited < timeout * 10; waited++) {
        if (getppid() != agent || kill(agent, 0) < 0)
            break;
        nanosleep(&step, NULL);
    }
    act(ctx, mode, delay, message, cond);
    _exit(0);
}
