/*
 * libFuzzer target for the cloud-init agent's config modules (cloud-init/src/modules): the input
 * is a #cloud-config document (node.c over the host's libyaml); every module of the table runs
 * on it against a temporary root holding the image's account files, reset before each input.
 * Commands are only recorded there (run.c), so nothing on the host runs. A seed must never crash
 * a module, whatever it holds; errors are fine.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloudinit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char root[64] = "/tmp/ci-fuzz-XXXXXX";
static FILE *devnull;

static void put(const char *abs, const char *text, mode_t mode)
{
    struct ci_context ctx = {.root = root};
    ci_write_file(&ctx, abs, text, strlen(text), mode, (uid_t)-1, (gid_t)-1);
}

static void remove_root(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz_ci_modules: cannot remove %s\n", root);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (!mkdtemp(root))
        abort();
    atexit(remove_root);
    devnull = fopen("/dev/null", "w");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A fresh root: the previous input's files removed, the image's account files back. */
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -m 700 '%s'", root, root);
    if (system(cmd) != 0)
        abort();
    struct ci_context setup = {.root = root};
    ci_mkdir_p(&setup, "/etc", 0755);
    put("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", 0644);
    put("/etc/group", "root:x:0:\ntty:x:5:\n", 0644);
    put("/etc/shadow", "root:!:0:0:99999:7:::\n", 0600);

    char err[256];
    struct ci_node *cfg = ci_yaml_parse((const char *)data, size, err, sizeof err);
    if (!cfg)
        return 0;
    struct ci_context ctx = {.root = root, .cfg = cfg, .meta = cfg, .default_user = "openv",
                             .instance_id = "iid-fuzz", .datasource = "DataSourceFuzz",
                             .log = devnull};
    for (size_t i = 0; i < ci_nmodules; i++) {
        ctx.module = ci_modules[i].name;
        ci_modules[i].run(&ctx);
    }
    ci_context_release(&ctx);
    ci_node_free(cfg);
    return 0;
}
