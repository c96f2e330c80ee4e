/* Commands the agent runs (bootcmd, runcmd, scripts, key generation): output to
 * cloud-init-output.log, as cloud-init does.
 *
 * When ctx->root is not "/" (host unit tests) nothing is run: each command line is appended to
 * <root>/.ci-commands, one per line, and the status is 0 (or CI_FAKE_STATUS from the environment),
 * so tests check what would run without running it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cloudinit.h"

static bool is_real_root(const struct ci_context *ctx)
{
    return !ctx->root || !strcmp(ctx->root, "/");
}

static int record(struct ci_context *ctx, char *const argv[])
{
    char path[4096];
    if (ci_path(ctx, "/.ci-commands", path, sizeof path) < 0)
        return -1;
    FILE *f = fopen(path, "a");
    if (!f)
        return -1;
    for (size_t i = 0; argv[i]; i++)
        fprintf(f, "%s%s", i ? " " : "", argv[i]);
    fputc('\n', f);
    fclose(f);
    const char *fake = getenv("CI_FAKE_STATUS");
    return fake ? atoi(fake) : 0;
}

int ci_run(struct ci_context *ctx, char *const argv[])
{
    if (!is_real_root(ctx))
        return record(ctx, argv);
    char out[4096];
    if (ci_path(ctx, ctx->output_log ? ctx->output_log : "/var/log/cloud-init-output.log", out,
                sizeof out) < 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        ci_log(ctx, CI_ERROR, "cannot run %s: fork: %s", argv[0], strerror(errno));
        return -1;
    }
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        int o = open(out, O_WRONLY | O_APPEND | O_CREAT, 0600);
        if (in >= 0)
            dup2(in, 0);
        if (o >= 0) {
            dup2(o, 1);
            dup2(o, 2);
        }
        execvp(argv[0], argv);
        dprintf(2, "cloud-init: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    return 128 + WTERMSIG(st);
}

int ci_run_shell(struct ci_context *ctx, const char *cmd)
{
    char *argv[] = {"sh", "-c", (char *)cmd, NULL};
    return ci_run(ctx, argv);
}
