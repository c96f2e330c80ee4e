/* The module runner: one stage of a module table, frequencies through semaphores, one module's
 * failure never stopping the next; and scripts_user, the core's own final-stage module. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core.h"

static const char *const freq_names[] = {"once-per-instance", "always", "once"};

/* Keys the core itself reads (or cloud-init's merging syntax), never "unknown". */
static const char *const core_keys[] = {"merge_how", "merge_type", NULL};

/* Final-stage modules cloud-init runs after scripts_user (its cloud.cfg order). */
static const char *const after_scripts_user[] = {
    "ssh_authkey_fingerprints", "keys_to_console", "install_hotplug", "phone_home",
    "final_message", "power_state_change", "power_state", NULL};

static bool in_list(const char *const *list, const char *s)
{
    for (size_t i = 0; list && list[i]; i++)
        if (!strcmp(list[i], s))
            return true;
    return false;
}

static const struct ci_module scripts_user = {"scripts_user", CI_STAGE_FINAL, CI_PER_INSTANCE,
                                              NULL, ci_scripts_user};

static void run_one(struct ci_context *ctx, const struct ci_module *m)
{
    if (ci_sem_done(ctx, m->name, m->freq)) {
        ci_log(ctx, CI_DEBUG, "%s already ran (freq %s)", m->name, freq_names[m->freq]);
        return;
    }
    const char *outer = ctx->module;
    ctx->module = m->name;
    ci_log(ctx, CI_INFO, "running %s (freq %s)", m->name, freq_names[m->freq]);
    int errors = ctx->errors;
    int r = m->run(ctx);
    if (r < 0 && ctx->errors == errors)
        ci_error(ctx, "module %s failed", m->name);
    ctx->module = outer;
    /* A module that ran, even failing, is not retried within its frequency (as cloud-init). */
    if (ci_sem_mark(ctx, m->name, m->freq) < 0)
        ci_log(ctx, CI_WARNING, "cannot record that %s ran: %s", m->name, strerror(errno));
}

void ci_run_stage(struct ci_context *ctx, enum ci_stage stage, const struct ci_module *table,
                  size_t n)
{
    bool table_has_scripts_user = false;
    for (size_t i = 0; i < n; i++)
        if (table[i].name && !strcmp(table[i].name, "scripts_user"))
            table_has_scripts_user = true;
    bool need_scripts_user = stage == CI_STAGE_FINAL && !table_has_scripts_user;
    for (size_t i = 0; i < n; i++) {
        const struct ci_module *m = &table[i];
        if (!m->name || !m->run || m->stage != stage)
            continue;
        if (need_scripts_user && in_list(after_scripts_user, m->name)) {
            run_one(ctx, &scripts_user);
            need_scripts_user = false;
        }
        run_one(ctx, m);
    }
    if (need_scripts_user)
        run_one(ctx, &scripts_user);
}

void ci_check_keys(struct ci_context *ctx, const struct ci_module *table, size_t n)
{
    const struct ci_node *cfg = ctx->cfg;
    if (!cfg || cfg->type != CI_MAP)
        return;
    for (size_t k = 0; k < cfg->n; k++) {
        const char *key = cfg->keys[k];
        bool known = in_list(core_keys, key);
        for (size_t i = 0; i < n && !known; i++)
            known = table[i].name && in_list(table[i].keys, key);
        if (!known)
            ci_warn(ctx, "unknown cloud-config key '%s' (line %d): ignored", key,
                    cfg->items[k]->line);
    }
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int ci_scripts_user(struct ci_context *ctx)
{
    char dir[4096];
    if (ci_path(ctx, "/var/lib/cloud/instance/scripts", dir, sizeof dir) < 0)
        return -1;
    DIR *d = opendir(dir);
    if (!d)
        return 0;                       /* no scripts: nothing to do */
    char *names[512];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < sizeof names / sizeof *names) {
        if (e->d_name[0] == '.' || strstr(e->d_name, ".ci-new"))
            continue;
        names[n] = strdup(e->d_name);
        if (names[n])
            n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    int failed = 0;
    for (size_t i = 0; i < n; i++) {
        char path[4096 + 256];
        struct stat st;
        snprintf(path, sizeof path, "/var/lib/cloud/instance/scripts/%s", names[i]);
        char real[8192];
        if (ci_path(ctx, path, real, sizeof real) < 0 || stat(real, &st) < 0 ||
            !S_ISREG(st.st_mode)) {
            free(names[i]);
            continue;
        }
        chmod(real, 0700);
        ci_log(ctx, CI_INFO, "running script %s", names[i]);
        char *argv[] = {real, NULL};
        int status = ci_run(ctx, argv);
        if (status != 0) {
            ci_error(ctx, "script %s failed with exit status %d", names[i], status);
            failed++;
        }
        free(names[i]);
    }
    return failed ? -1 : 0;
}
