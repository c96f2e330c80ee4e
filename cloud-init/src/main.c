/* The `cloud-init` command: init [--local], modules --mode init|config|final, status, clean,
 * --version. Each stage is its own process (rcS runs them in order); they share the state under
 * /var/lib/cloud and, for this boot only, markers under /run/cloud-init. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core.h"

#ifndef CI_VERSION
#define CI_VERSION "dev"
#endif

static const char RUN_DIR[] = "/run/cloud-init";
static const char DISABLED[] = "/run/cloud-init/disabled";      /* no datasource this boot */
static const char READY[] = "/run/cloud-init/instance-ready";   /* a seed was read this boot */
static const char NEED_NET[] = "/run/cloud-init/need-network";  /* the seed is the HTTP one */
static const char INSTANCE[] = "/var/lib/cloud/instance";

static bool exists(const struct ci_context *ctx, const char *abs)
{
    char p[4096];
    struct stat st;
    return ci_path(ctx, abs, p, sizeof p) == 0 && lstat(p, &st) == 0;
}

static void touch(struct ci_context *ctx, const char *abs, const char *text)
{
    ci_mkdir_p(ctx, RUN_DIR, 0755);
    if (ci_write_file(ctx, abs, text, strlen(text), 0644, (uid_t)-1, (gid_t)-1) < 0)
        ci_log(ctx, CI_WARNING, "cannot write %s: %s", abs, strerror(errno));
}

static void open_logs(struct ci_context *ctx, const char *stage)
{
    char p[4096];
    ci_mkdir_p(ctx, "/var/log", 0755);
    /* Readable by root only (cloud-init: root and group adm): messages may quote a seed, and
     * the output log holds what user scripts print. */
    if (ci_path(ctx, "/var/log/cloud-init.log", p, sizeof p) == 0) {
        int fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        if (fd >= 0 && !(ctx->log = fdopen(fd, "a")))
            close(fd);
    }
    ctx->output_log = "/var/log/cloud-init-output.log";
    if (ci_path(ctx, ctx->output_log, p, sizeof p) == 0) {
        int fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        FILE *o = fd >= 0 ? fdopen(fd, "a") : NULL;
        if (fd >= 0 && !o)
            close(fd);
        if (o) {
            char when[64] = "";
            time_t t = time(NULL);
            struct tm tm;
            if (gmtime_r(&t, &tm))
                strftime(when, sizeof when, "%a, %d %b %Y %H:%M:%S +0000", &tm);
            fprintf(o, "Cloud-init v. %s (openv) running '%s' at %s.\n", CI_VERSION, stage, when);
            fclose(o);
        }
    }
}

/* What init and the module stages need: the instance's meta-data and config. */
struct instance {
    char iid[256];
    char datasource[200];
    struct ci_meta meta;
    struct ci_userdata ud;
    bool loaded;
};

static void instance_free(struct instance *in)
{
    ci_meta_free(&in->meta);
    ci_userdata_free(&in->ud);
}

static char *instance_file(const struct ci_context *ctx, const char *name, size_t *len)
{
    char abs[256];
    snprintf(abs, sizeof abs, "%s/%s", INSTANCE, name);
    return ci_read_file(ctx, abs, len);
}

/* Sets meta-data's local-hostname to host (the command line's h=). */
static void set_local_hostname(struct instance *in, const char *host)
{
    struct ci_node *doc = in->meta.doc;
    char *copy = strdup(host), *copy2 = strdup(host);
    struct ci_node *v = calloc(1, sizeof *v);
    if (!copy || !copy2 || !v) {
        free(copy);
        free(copy2);
        free(v);
        return;
    }
    v->type = CI_SCALAR;
    v->scalar = copy;
    v->quoted = true;
    v->line = 1;
    free(in->meta.hostname);
    in->meta.hostname = copy2;
    for (size_t i = 0; i < doc->n; i++) {
        if (!strcmp(doc->keys[i], "local-hostname")) {
            ci_node_free(doc->items[i]);
            doc->items[i] = v;
            return;
        }
    }
    char **k = realloc(doc->keys, (doc->n + 1) * sizeof *k);
    if (k)
        doc->keys = k;
    struct ci_node **it = k ? realloc(doc->items, (doc->n + 1) * sizeof *it) : NULL;
    char *key = strdup("local-hostname");
    if (!it || !key) {
        free(key);
        ci_node_free(v);
        return;
    }
    doc->items = it;
    doc->keys[doc->n] = key;
    doc->items[doc->n++] = v;
}

/* Loads /var/lib/cloud/instance; report: user-data problems go to ctx (the init stage), else
 * they are only logged (they were reported once already). */
static int instance_load(struct ci_context *ctx, struct instance *in, bool report)
{
    memset(in, 0, sizeof *in);
    size_t len = 0, ulen = 0, vlen = 0;
    bool cd = false;
    char *meta = instance_file(ctx, "meta-data", &len);
    if (!meta) {
        meta = instance_file(ctx, "meta_data.json", &len);
        cd = meta != NULL;
    }
    char err[300];
    if (!meta || ci_meta_parse(meta, len, cd, &in->meta, err, sizeof err) < 0) {
        free(meta);
        ci_log(ctx, CI_WARNING, "no usable instance data in %s", INSTANCE);
        return -1;
    }
    free(meta);
    char *host = instance_file(ctx, "hostname-override", &len);
    if (host) {
        set_local_hostname(in, host);
        free(host);
    }
    /* The cmdline's i=/h= overrides were applied when the instance was recorded: the id here
     * is the recorded one. */
    if (ci_state_instance_id(ctx, in->iid, sizeof in->iid) < 0)
        ci_iid_sanitize(in->meta.instance_id, in->iid, sizeof in->iid);
    char *ds = instance_file(ctx, "datasource", &len);
    snprintf(in->datasource, sizeof in->datasource, "%s", ds ? ds : "");
    in->datasource[strcspn(in->datasource, "\n")] = '\0';
    free(ds);
    char *user = instance_file(ctx, "user-data.txt", &ulen);
    char *vendor = instance_file(ctx, "vendor-data.txt", &vlen);
    struct ci_context quiet = *ctx;
    quiet.errors = quiet.warnings = 0;
    quiet.error_msgs = quiet.warning_msgs = NULL;
    quiet.n_error_msgs = quiet.n_warning_msgs = 0;
    struct ci_context *c = report ? ctx : &quiet;
    ci_userdata_process(c, user, ulen, vendor, vlen, &in->ud);
    if (!report)
        ci_context_release(&quiet);
    free(user);
    free(vendor);
    ctx->cfg = in->ud.cfg;
    ctx->meta = in->meta.doc;
    ctx->instance_id = in->iid;
    ctx->datasource = in->datasource;
    in->loaded = true;
    return 0;
}

static int save(struct ci_context *ctx, const char *dir, const char *name, const char *data,
                size_t len, mode_t mode)
{
    char abs[600];
    snprintf(abs, sizeof abs, "%s/%s", dir, name);
    if (!data) {
        char p[4096];
        if (ci_path(ctx, abs, p, sizeof p) == 0)
            unlink(p);
        return 0;
    }
    if (ci_write_file(ctx, abs, data, len, mode, (uid_t)-1, (gid_t)-1) < 0) {
        ci_error(ctx, "cannot write %s: %s", abs, strerror(errno));
        return -1;
    }
    return 0;
}

/* Records a freshly read seed as the current instance. 0, or -1 (ci_error called). */
static int record_seed(struct ci_context *ctx, struct ci_seed *s, const struct ci_cmdline *cl)
{
    struct ci_meta m;
    char err[300];
    if (ci_meta_parse(s->meta, s->meta_len, s->meta_is_configdrive, &m, err, sizeof err) < 0) {
        ci_error(ctx, "%s: %s", s->name, err);
        return -1;
    }
    const char *iid = cl->nocloud && cl->instance_id[0] ? cl->instance_id : m.instance_id;
    char safe[256];
    if (ci_iid_sanitize(iid, safe, sizeof safe) < 0) {
        ci_error(ctx, "%s: instance-id '%s' cannot be used", s->name, iid);
        ci_meta_free(&m);
        return -1;
    }
    int isnew = ci_state_set_instance(ctx, safe);
    if (isnew < 0) {
        ci_error(ctx, "cannot record instance %s under /var/lib/cloud: %s", safe, strerror(errno));
        ci_meta_free(&m);
        return -1;
    }
    ci_log(ctx, CI_INFO, "%s: instance %s (%s)", s->name, safe,
           isnew ? "new: per-instance modules run" : "seen before");
    char dir[300];
    snprintf(dir, sizeof dir, "/var/lib/cloud/instances/%s", safe);
    /* The cmdline's h= wins over the seed's local-hostname (as in cloud-init's NoCloud);
     * kept beside the seed's meta-data, applied when the instance is loaded. */
    char *meta = s->meta;
    size_t mlen = s->meta_len;
    int r = 0;
    r |= save(ctx, dir, s->meta_is_configdrive ? "meta_data.json" : "meta-data", meta, mlen, 0600);
    r |= save(ctx, dir, s->meta_is_configdrive ? "meta-data" : "meta_data.json", NULL, 0, 0);
    r |= save(ctx, dir, "user-data.txt", s->user ? s->user : "", s->user ? s->user_len : 0, 0600);
    r |= save(ctx, dir, "vendor-data.txt", s->vendor, s->vendor_len, 0600);
    r |= save(ctx, dir, "network-config", s->netcfg, s->netcfg_len, 0600);
    char line[200];
    int l = snprintf(line, sizeof line, "%s\n", s->name);
    r |= save(ctx, dir, "datasource", line, (size_t)l, 0644);
    if (cl->nocloud && cl->hostname[0])
        r |= save(ctx, dir, "hostname-override", cl->hostname, strlen(cl->hostname), 0644);
    else
        r |= save(ctx, dir, "hostname-override", NULL, 0, 0);
    ci_meta_free(&m);
    if (r)
        return -1;
    touch(ctx, READY, safe);
    return 0;
}

static void apply_netcfg(struct ci_context *ctx, const struct ci_seed *s)
{
    if (!s->netcfg)
        return;
    char err[200];
    struct ci_node *n = ci_yaml_parse(s->netcfg, s->netcfg_len, err, sizeof err);
    if (!n) {
        ci_error(ctx, "network-config: %s", err);
        return;
    }
    ctx->module = "network-config";
    ci_netcfg_apply(ctx, n->type == CI_NULL ? NULL : n);
    ctx->module = NULL;
    ci_node_free(n);
}

/* Writes the user-data scripts to the instance's scripts/ for scripts_user. */
static void write_scripts(struct ci_context *ctx, const struct ci_userdata *ud)
{
    for (size_t i = 0; i < ud->n_scripts; i++) {
        char abs[600];
        snprintf(abs, sizeof abs, "%s/scripts/%s", INSTANCE, ud->scripts[i].name);
        if (ci_write_file(ctx, abs, ud->scripts[i].body, ud->scripts[i].len, 0700, (uid_t)-1,
                          (gid_t)-1) < 0)
            ci_error(ctx, "cannot write %s: %s", abs, strerror(errno));
    }
}

static void read_cmdline(const struct ci_context *ctx, struct ci_cmdline *cl)
{
    size_t len;
    char *s = ci_read_file(ctx, "/proc/cmdline", &len);
    ci_cmdline_parse(s ? s : "", cl);
    free(s);
}

static int finish(struct ci_context *ctx, enum ci_status_stage st)
{
    ci_status_update(ctx, st, true, ci_now());
    int r = ctx->errors ? 1 : 0;
    ci_log(ctx, CI_INFO, "%s done: %d error(s), %d warning(s)", ci_stage_names[st], ctx->errors,
           ctx->warnings);
    return r;
}

static int cmd_init(struct ci_context *ctx, bool local)
{
    enum ci_status_stage st = local ? CI_ST_INIT_LOCAL : CI_ST_INIT;
    open_logs(ctx, local ? "init-local" : "init");
    if (local) {
        /* A new boot: forget the last boot's markers if /run survived (it does not: tmpfs). */
        char p[4096];
        /* and the last boot's status: this boot's starts afresh, as cloud-init's does. */
        static const char *const marks[] = {DISABLED, READY, NEED_NET,
                                            "/var/lib/cloud/data/status.json",
                                            "/var/lib/cloud/data/result.json"};
        for (size_t i = 0; i < sizeof marks / sizeof *marks; i++)
            if (ci_path(ctx, marks[i], p, sizeof p) == 0)
                unlink(p);
    } else if (exists(ctx, DISABLED)) {
        return 0;
    }
    struct ci_cmdline cl;
    read_cmdline(ctx, &cl);
    ci_status_update(ctx, st, false, ci_now());
    struct ci_seed s = {0};
    if (local) {
        int found = ci_find_local_seed(ctx, &s);
        if (found == 0) {
            if (cl.nocloud && cl.url[0]) {
                ci_log(ctx, CI_INFO, "no local seed; the network stage fetches %s", cl.url);
                touch(ctx, NEED_NET, cl.url);
                return finish(ctx, st);
            }
            ci_log(ctx, CI_INFO, "no datasource (no cidata/config-2 disk, no ds=nocloud on the "
                                 "command line): cloud-init is disabled for this boot");
            touch(ctx, DISABLED, "no datasource\n");
            ci_status_disabled(ctx, "Cloud-init disabled: no datasource found");
            return 0;
        }
        if (found > 0) {
            ctx->datasource = s.name;
            if (record_seed(ctx, &s, &cl) == 0)
                apply_netcfg(ctx, &s);
        }
        ci_seed_free(&s);
        return finish(ctx, st);
    }
    /* The network stage: the HTTP seed, when init --local found none but the command line
     * named one. */
    if (exists(ctx, NEED_NET)) {
        if (ci_nocloud_http(ctx, cl.url, &s) == 0) {
            ctx->datasource = s.name;
            if (record_seed(ctx, &s, &cl) == 0)
                apply_netcfg(ctx, &s);
        }
        ci_seed_free(&s);
    }
    struct instance in;
    if (!exists(ctx, READY) || instance_load(ctx, &in, true) < 0)
        return finish(ctx, st);
    write_scripts(ctx, &in.ud);
    ci_check_keys(ctx, ci_modules, ci_nmodules);
    ci_run_stage(ctx, CI_STAGE_INIT, ci_modules, ci_nmodules);
    int r = finish(ctx, st);
    instance_free(&in);
    return r;
}

static const struct {
    const char *name;
    enum ci_stage stage;
    enum ci_status_stage status;
} modes[] = {
    {"init", CI_STAGE_INIT, CI_ST_MODULES_INIT},
    {"config", CI_STAGE_CONFIG, CI_ST_MODULES_CONFIG},
    {"final", CI_STAGE_FINAL, CI_ST_MODULES_FINAL},
};

static int cmd_modules(struct ci_context *ctx, const char *mode)
{
    size_t m = 0;
    while (m < sizeof modes / sizeof *modes && strcmp(modes[m].name, mode))
        m++;
    if (m == sizeof modes / sizeof *modes) {
        fprintf(stderr, "cloud-init modules: --mode init|config|final\n");
        return 2;
    }
    if (exists(ctx, DISABLED))
        return 0;
    char stage[32];
    snprintf(stage, sizeof stage, "modules:%s", mode);
    open_logs(ctx, stage);
    ci_status_update(ctx, modes[m].status, false, ci_now());
    struct instance in;
    if (exists(ctx, READY) && instance_load(ctx, &in, false) == 0) {
        ci_run_stage(ctx, modes[m].stage, ci_modules, ci_nmodules);
        if (modes[m].stage == CI_STAGE_FINAL) {
            char line[64];
            int l = snprintf(line, sizeof line, "%.3f\n", ci_now());
            save(ctx, INSTANCE, "boot-finished", line, (size_t)l, 0644);
        }
        instance_free(&in);
    } else {
        ci_log(ctx, CI_INFO, "no instance this boot: no modules run");
    }
    ctx->cfg = NULL;
    ctx->meta = NULL;
    return finish(ctx, modes[m].status);
}

static int usage(void)
{
    fprintf(stderr,
            "usage: cloud-init init [--local]\n"
            "       cloud-init modules --mode init|config|final\n"
            "       cloud-init status [--wait] [--long] [--format json]\n"
            "       cloud-init clean [--logs] [--reboot]\n"
            "       cloud-init --version\n");
    return 2;
}

int main(int argc, char **argv)
{
    struct ci_context ctx = {.root = "/", .default_user = "openv"};
    const char *root = getenv("CLOUD_INIT_ROOT");   /* tests: run against a directory */
    if (root && *root)
        ctx.root = root;
    umask(022);
    if (argc < 2)
        return usage();
    const char *cmd = argv[1];
    int r;
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("cloud-init %s (openv)\n", CI_VERSION);
        return 0;
    } else if (!strcmp(cmd, "init")) {
        bool local = argc > 2 && (!strcmp(argv[2], "--local") || !strcmp(argv[2], "-l"));
        if (argc > 2 + local)
            return usage();
        r = cmd_init(&ctx, local);
    } else if (!strcmp(cmd, "modules")) {
        const char *mode = NULL;
        if (argc == 4 && (!strcmp(argv[2], "--mode") || !strcmp(argv[2], "-m")))
            mode = argv[3];
        else if (argc == 3 && !strncmp(argv[2], "--mode=", 7))
            mode = argv[2] + 7;
        if (!mode)
            return usage();
        r = cmd_modules(&ctx, mode);
    } else if (!strcmp(cmd, "status")) {
        return ci_status_command(&ctx, argc - 2, argv + 2);
    } else if (!strcmp(cmd, "clean")) {
        bool logs = false, reboot = false;
        for (int i = 2; i < argc; i++) {
            if (!strcmp(argv[i], "--logs") || !strcmp(argv[i], "-l"))
                logs = true;
            else if (!strcmp(argv[i], "--reboot") || !strcmp(argv[i], "-r"))
                reboot = true;
            else
                return usage();
        }
        if (ci_state_clean(&ctx, logs) < 0) {
            fprintf(stderr, "cloud-init clean: could not remove everything: %s\n", strerror(errno));
            return 1;
        }
        if (reboot) {
            sync();
            execlp("reboot", "reboot", (char *)NULL);
            fprintf(stderr, "cloud-init clean: cannot run reboot: %s\n", strerror(errno));
            return 1;
        }
        return 0;
    } else {
        return usage();
    }
    if (ctx.log)
        fclose(ctx.log);
    ci_context_release(&ctx);
    return r;
}
