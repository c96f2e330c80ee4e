/*
 * libFuzzer target for network-config (cloud-init/src/netcfg.c): the input parsed by node.c
 * over the host's libyaml and applied against a temporary root with an eth0, where ci_run only
 * records the `ip` commands (run.c) and /etc/resolv.conf is written. Errors are fine; crashes,
 * leaks and overruns are not, and every recorded command must be one of the four netcfg.c
 * runs, with no argument that could be taken for an option or another word.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloudinit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[] = "/tmp/ci-fuzz-netcfg-XXXXXX";

static void remove_root(void)
{
    char cmd[sizeof root + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz_ci_netcfg: could not remove %s\n", root);
}

static void setup(struct ci_context *ctx)
{
    if (!mkdtemp(root))
        abort();
    atexit(remove_root);
    ctx->root = root;
    static const char mac[] = "52:54:00:12:34:56\n";
    if (ci_mkdir_p(ctx, "/sys/class/net/eth0", 0755) < 0 || ci_mkdir_p(ctx, "/etc", 0755) < 0 ||
        ci_write_file(ctx, "/sys/class/net/eth0/address", mac, sizeof mac - 1, 0644, (uid_t)-1,
                      (gid_t)-1) < 0)
        abort();
}

/* Each recorded line starts with one of netcfg.c's commands and has no option-like word. */
static void check_commands(struct ci_context *ctx)
{
    char *s = ci_read_file(ctx, "/.ci-commands", NULL);
    if (!s)
        return;
    static const char *const ok[] = {"ip addr flush dev ", "ip addr add ", "ip link set ",
                                     "ip route add default via "};
    for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n")) {
        bool known = false;
        for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
            known |= !strncmp(line, ok[i], strlen(ok[i]));
        if (!known || strstr(line, " -"))
            __builtin_trap();
    }
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *devnull;
    static struct ci_context base;
    if (!devnull) {
        devnull = fopen("/dev/null", "w");
        setup(&base);
    }
    struct ci_context ctx = {.root = base.root, .log = devnull};
    char cmds[sizeof root + 16];
    snprintf(cmds, sizeof cmds, "%s/.ci-commands", root);
    unlink(cmds);
    char err[200];
    struct ci_node *n = ci_yaml_parse((const char *)data, size, err, sizeof err);
    if (n) {
        ci_netcfg_apply(&ctx, n->type == CI_NULL ? NULL : n);
        ci_node_free(n);
        check_commands(&ctx);
    }
    ci_context_release(&ctx);
    return 0;
}
