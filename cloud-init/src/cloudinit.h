/*
 * openv's cloud-init agent: the interfaces shared by the core (datasources, user-data formats,
 * per-instance state, the `cloud-init` command, logs) and the config modules (modules/).
 *
 * Everything the agent touches on the system is reached through ctx->root ("/" on openv, a
 * temporary directory in the host unit tests), so modules run unchanged on the host.
 */
#ifndef CLOUDINIT_H
#define CLOUDINIT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* ---- Parsed YAML/JSON documents (node.c, over libyaml) ------------------------------------ */

enum ci_node_type { CI_NULL, CI_SCALAR, CI_SEQ, CI_MAP };

struct ci_node {
    enum ci_node_type type;
    char *scalar;            /* CI_SCALAR: the text, NUL-terminated */
    bool quoted;             /* a quoted scalar is always a string, never a bool/int/null */
    size_t n;                /* CI_SEQ: items; CI_MAP: key/value pairs */
    char **keys;             /* CI_MAP: keys (scalars) */
    struct ci_node **items;  /* CI_SEQ: items; CI_MAP: values */
    int line;                /* 1-based line in the source, for messages */
};

/* Parses one YAML (or JSON) document. NULL on error, with a message ("line 3: ...") in err.
 * An empty document gives a CI_NULL node. Aliases are resolved; anchors nested too deep or
 * expanding past a size limit are an error (no billion laughs). */
struct ci_node *ci_yaml_parse(const char *buf, size_t len, char *err, size_t errlen);
void ci_node_free(struct ci_node *n);
/* The value of key in a map; NULL when n is not a map or has no such key. */
const struct ci_node *ci_map_get(const struct ci_node *n, const char *key);
/* The text of a scalar; NULL for anything else (a CI_NULL node too). */
const char *ci_scalar(const struct ci_node *n);
/* YAML 1.1 booleans as cloud-init reads them (true/false, yes/no, on/off, any case); an
 * unquoted scalar only. 0 and *out set, or -1 when n is not a boolean. */
int ci_bool(const struct ci_node *n, bool *out);
/* A decimal integer scalar; 0 and *out set, or -1. */
int ci_long(const struct ci_node *n, long *out);

/* ---- Run context ---------------------------------------------------------------------------- */

enum ci_level { CI_DEBUG, CI_INFO, CI_WARNING, CI_ERROR };

struct ci_context {
    const char *root;              /* prefix of every system path: "/" or a test directory */
    const struct ci_node *cfg;     /* the merged #cloud-config (a CI_MAP, or NULL: none) */
    const struct ci_node *meta;    /* meta-data (a CI_MAP, or NULL) */
    const char *instance_id;
    const char *datasource;        /* "DataSourceNoCloud [seed=/dev/vdb]", for status */
    const char *default_user;      /* the distro's default user: "openv" */
    const char *module;            /* the module running now, for log lines */
    int errors;                    /* ci_error() calls: status "error" */
    int warnings;                  /* ci_warn() calls: status "degraded" */
    char **error_msgs;             /* the messages, for status --long / status.json */
    size_t n_error_msgs;
    char **warning_msgs;
    size_t n_warning_msgs;
    void *log;                     /* FILE * of cloud-init.log, or NULL: stderr */
    const char *output_log;        /* path (under root) of cloud-init-output.log */
};

void ci_log(struct ci_context *ctx, enum ci_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A failure that status reports as "error" (a module that could not do what it was asked). */
void ci_error(struct ci_context *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Something skipped or ignored (an unknown key, an unsupported option): status "degraded". */
void ci_warn(struct ci_context *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Frees the remembered error and warning messages. */
void ci_context_release(struct ci_context *ctx);

/* ---- Files under ctx->root (util.c) --------------------------------------------------------- */

/* root + abs into out (abs must start with '/'); -1 (ENAMETOOLONG) when it does not fit. */
int ci_path(const struct ci_context *ctx, const char *abs, char *out, size_t outlen);
/* Whole file into a malloc'd, NUL-terminated buffer (*len without the NUL); NULL and errno. */
char *ci_read_file(const struct ci_context *ctx, const char *abs, size_t *len);
/* Writes atomically (temp file in the same directory, fsync, rename), then owner and mode.
 * uid/gid (uid_t)-1 keep the writer's. 0, or -1 with errno. */
int ci_write_file(const struct ci_context *ctx, const char *abs, const void *data, size_t len,
                  mode_t mode, uid_t uid, gid_t gid);
/* mkdir -p with mode for the directories it creates. */
int ci_mkdir_p(const struct ci_context *ctx, const char *abs, mode_t mode);

/* ---- Commands (run.c) ------------------------------------------------------------------------ */

/* Runs argv (argv[0] looked up in PATH) with stdout and stderr appended to the output log;
 * stdin from /dev/null. Returns the exit status (0..255), 128+signal, or -1 if it could not
 * start. In unit tests (ctx->root not "/") commands are recorded, not run: see run.c. */
int ci_run(struct ci_context *ctx, char *const argv[]);
/* The same for a shell command line (sh -c). */
int ci_run_shell(struct ci_context *ctx, const char *cmd);

/* ---- network-config (netcfg.c) ------------------------------------------------------------ */

/* Applies a NoCloud/ConfigDrive network-config (version 1 or 2; netcfg is the document's root
 * map, with or without a top-level "network:" key) to the machine's interfaces and
 * /etc/resolv.conf. Runs in `cloud-init init --local`, before anything uses the network.
 * 0 (applied, or nothing to do), or -1 after ci_error with the reason. */
int ci_netcfg_apply(struct ci_context *ctx, const struct ci_node *netcfg);

/* ---- Modules (modules/) ---------------------------------------------------------------------- */

/* cloud-init's frequencies: once per instance-id, every boot, once per machine ever. */
enum ci_freq { CI_PER_INSTANCE, CI_PER_ALWAYS, CI_PER_ONCE };
/* cloud-init's stages: init (cloud_init_modules), config (cloud_config_modules), final. */
enum ci_stage { CI_STAGE_INIT, CI_STAGE_CONFIG, CI_STAGE_FINAL };

struct ci_module {
    const char *name;              /* cloud-init's name without "cc_": "write_files" */
    enum ci_stage stage;
    enum ci_freq freq;
    const char *const *keys;       /* the top-level cloud-config keys it reads, NULL-terminated */
    /* 0: done (or nothing to do); -1: failed (it called ci_error with the reason). */
    int (*run)(struct ci_context *ctx);
};

/* In run order within each stage (modules/table.c). The core runs them, keeps the per-instance
 * semaphores, and warns about top-level keys that no module lists. */
extern const struct ci_module ci_modules[];
extern const size_t ci_nmodules;

#endif
