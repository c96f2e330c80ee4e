/* What the core's own files share (datasources, formats, state, runner, command). The modules
 * need none of it: their interface is cloudinit.h. */
#ifndef CI_CORE_H
#define CI_CORE_H

#include "cloudinit.h"

/* ---- A seed as read from a datasource (datasource.c and one file per source) -------------- */
struct ci_seed {
    char *meta, *user, *vendor, *netcfg;   /* file contents (NUL-terminated) or NULL: absent */
    size_t meta_len, user_len, vendor_len, netcfg_len;
    char name[160];                        /* "DataSourceNoCloud [seed=/dev/disk/by-label/cidata]" */
    bool meta_is_configdrive;              /* meta is OpenStack's meta_data.json */
};
void ci_seed_free(struct ci_seed *s);
/* The largest seed file read (meta-data, user-data, ...): bigger ones are an error. */
#define CI_SEED_FILE_MAX (16 << 20)
/* dir/name under ctx->root, or NULL (absent, unreadable, or *too_big). */
char *ci_seed_file(const struct ci_context *ctx, const char *dir, const char *name, size_t *len,
                   bool *too_big);
/* Reads meta-data, user-data, vendor-data, network-config from a directory under ctx->root
 * (a mounted NoCloud seed). 0, or -1 when meta-data or user-data is missing (err says which). */
int ci_nocloud_read_dir(const struct ci_context *ctx, const char *dir, struct ci_seed *s,
                        char *err, size_t errlen);
/* The same for a ConfigDrive v2 tree: openstack/latest/meta_data.json and user_data. */
int ci_configdrive_read_dir(const struct ci_context *ctx, const char *dir, struct ci_seed *s,
                            char *err, size_t errlen);
/* Finds and reads a filesystem seed (labels cidata, CIDATA, config-2): 1 found, 0 none, -1
 * a seed that could not be read (ci_error called). */
int ci_find_local_seed(struct ci_context *ctx, struct ci_seed *s);

/* The kernel command line's NoCloud keys: ds=nocloud[-net];s=URL;h=HOST;i=IID. */
struct ci_cmdline {
    bool nocloud;
    char url[512], hostname[256], instance_id[256];
};
void ci_cmdline_parse(const char *cmdline, struct ci_cmdline *out);
/* Fetches meta-data, user-data (required), vendor-data, network-config (optional) from url. */
int ci_nocloud_http(struct ci_context *ctx, const char *url, struct ci_seed *s);

/* ---- HTTP (http.c) ------------------------------------------------------------------------- */
/* Splits an HTTP response (status line, headers, Content-Length or chunked body). 0 with the
 * status and a malloc'd body, or -1 and err. */
int ci_http_parse_response(const char *buf, size_t len, int *status, char **body, size_t *blen,
                           char *err, size_t errlen);
/* GET url (http:// only): 0 with *status and the body (<= max bytes), -1 and err. */
int ci_http_get(const char *url, int timeout_ms, size_t max, int *status, char **body,
                size_t *blen, char *err, size_t errlen);

/* ---- meta-data (metadata.c) ---------------------------------------------------------------- */
struct ci_meta {
    struct ci_node *doc;       /* the parsed document (a map), owned */
    char *instance_id, *hostname;
};
/* Parses meta-data (NoCloud YAML/JSON or ConfigDrive meta_data.json) into m; -1 and err when it
 * is not a map or has no instance-id. */
int ci_meta_parse(const char *buf, size_t len, bool configdrive, struct ci_meta *m, char *err,
                  size_t errlen);
void ci_meta_free(struct ci_meta *m);

/* ---- user-data (userdata.c, mime.c) -------------------------------------------------------- */
struct ci_part {
    char *type;        /* "text/cloud-config", "text/x-shellscript", ... */
    char *filename;    /* may be NULL */
    char *body;
    size_t len;
};
/* Splits a MIME multi-part message into its leaf parts (nested multipart flattened; base64
 * bodies decoded). 0, or -1 and err. */
int ci_mime_split(const char *buf, size_t len, struct ci_part **parts, size_t *n, char *err,
                  size_t errlen);
void ci_parts_free(struct ci_part *parts, size_t n);

struct ci_script { char *name; char *body; size_t len; };
struct ci_userdata {
    struct ci_node *cfg;           /* merged #cloud-config map, or NULL */
    struct ci_script *scripts;
    size_t n_scripts;
};
/* user-data and vendor-data to one config (user-data wins per top-level key) and scripts.
 * Problems go to ci_error/ci_warn; what was valid is kept. */
void ci_userdata_process(struct ci_context *ctx, const char *user, size_t ulen,
                         const char *vendor, size_t vlen, struct ci_userdata *out);
void ci_userdata_free(struct ci_userdata *u);
/* gzip data (one member) inflated into a malloc'd, NUL-terminated buffer of at most max bytes;
 * 0, or -1 and err (bad or truncated data, CRC mismatch, too large). */
int ci_gunzip(const void *data, size_t len, size_t max, char **out, size_t *outlen, char *err,
              size_t errlen);

/* ---- state under /var/lib/cloud (state.c) -------------------------------------------------- */
/* instance-id made safe as a directory name; -1 when it cannot be. */
int ci_iid_sanitize(const char *iid, char *out, size_t outlen);
/* Records iid as the current instance: dirs, the instance symlink, data/instance-id and
 * previous-instance-id. Returns 1 for a new instance (first boot of it), 0 for the same. */
int ci_state_set_instance(struct ci_context *ctx, const char *iid);
/* The recorded instance-id into out; -1 when none. */
int ci_state_instance_id(const struct ci_context *ctx, char *out, size_t outlen);
/* Semaphores: true when name at freq has already run (per-always: never). */
bool ci_sem_done(const struct ci_context *ctx, const char *name, enum ci_freq freq);
int ci_sem_mark(const struct ci_context *ctx, const char *name, enum ci_freq freq);
/* Removes /var/lib/cloud's contents (and the logs with logs): the next boot is a first boot. */
int ci_state_clean(const struct ci_context *ctx, bool logs);

/* ---- status (status.c) ----------------------------------------------------------------------- */
/* Stage names as status.json has them. */
extern const char *const ci_stage_names[];   /* indexed by enum ci_status_stage */
enum ci_status_stage { CI_ST_INIT_LOCAL, CI_ST_INIT, CI_ST_MODULES_INIT, CI_ST_MODULES_CONFIG,
                       CI_ST_MODULES_FINAL, CI_ST_COUNT };
/* Marks a stage started (finished false) or finished with ctx's errors and warnings. */
int ci_status_update(struct ci_context *ctx, enum ci_status_stage st, bool finished, double now);
/* Marks the whole run disabled (no datasource). */
int ci_status_disabled(struct ci_context *ctx, const char *why);
/* `cloud-init status` (args after "status"): prints, returns the exit code. */
int ci_status_command(struct ci_context *ctx, int argc, char **argv);
double ci_now(void);

/* ---- runner (runner.c) --------------------------------------------------------------------- */
/* Runs the modules of stage from table (then the core's scripts_user in the final stage),
 * honouring frequencies. A failing module never stops the others. */
void ci_run_stage(struct ci_context *ctx, enum ci_stage stage, const struct ci_module *table,
                  size_t n);
/* Warns (degraded) about every top-level key of ctx->cfg that no module of table reads. */
void ci_check_keys(struct ci_context *ctx, const struct ci_module *table, size_t n);
/* The core's module: runs every file in /var/lib/cloud/instance/scripts, in name order. */
int ci_scripts_user(struct ci_context *ctx);

#endif
