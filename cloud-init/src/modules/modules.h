/*
 * Helpers shared by the config modules (modules/): reading cloud-config values, the
 * /etc/passwd + /etc/shadow + /etc/group editor, doas.conf rules, and each module's entry point
 * for table.c. The core's contract is ../cloudinit.h; nothing here is used outside modules/.
 */
#ifndef CI_MODULES_H
#define CI_MODULES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../cloudinit.h"

/* ---- cloud-config values (cfg.c) ------------------------------------------------------------ */

/* A boolean option of map m (cloud-init's YAML 1.1 booleans); def when absent or null. A value
 * that is not a boolean is a warning naming the key, and gives def. */
bool mod_bool(struct ci_context *ctx, const struct ci_node *m, const char *key, bool def);
/* A string list as cloud-init accepts it: a sequence of scalars, or one scalar split at commas
 * (surrounding blanks trimmed). NULL-terminated, malloc'd (free with mod_strv_free); *n items.
 * Items that are not scalars are skipped with a warning naming what. NULL only on ENOMEM. */
char **mod_str_list(struct ci_context *ctx, const struct ci_node *n, const char *what, size_t *count);
void mod_strv_free(char **v);
/* Appends src to a growable buffer; -1 on ENOMEM. */
struct mod_buf {
    char *p;
    size_t len, cap;
};
int mod_buf_add(struct mod_buf *b, const void *src, size_t len);
int mod_buf_str(struct mod_buf *b, const char *s);
int mod_buf_printf(struct mod_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One POSIX-shell word: 'it''s' style single quoting (plain words unquoted). */
int mod_buf_shell_word(struct mod_buf *b, const char *word);
/* A bootcmd/runcmd entry as one shell line: a string as it is, a sequence as quoted words.
 * -1 (and a warning naming what) when the entry is neither. */
int mod_cmd_line(struct ci_context *ctx, const struct ci_node *entry, const char *what,
                 struct mod_buf *out);
/* Writes text to the console (/dev/console under ctx->root), else to stderr: what cloud-init's
 * multi_log shows users (random passwords, power_state's message). */
void mod_console(struct ci_context *ctx, const char *text);
/* cloud-init's shellify: "#!/bin/sh" and one line per entry (mod_cmd_line) of a list (or of
 * one string). 0, 1 when some entries were skipped (warned), -1 on ENOMEM. */
int mod_shellify(struct ci_context *ctx, const struct ci_node *list, const char *what,
                 struct mod_buf *out);
/* Checks that a path a seed names is absolute, has no ".." component and no NUL. */
bool mod_safe_path(const char *path);
/* Hostname and fqdn as cloud-init picks them (util.get_hostname_fqdn): cfg fqdn, cfg hostname,
 * then meta-data local-hostname. Both NULL when nothing names one. Copies into the buffers. */
void mod_hostname_fqdn(const struct ci_context *ctx, char *host, size_t hostlen, char *fqdn,
                       size_t fqdnlen);

/* ---- write_files encodings (decode.c) ------------------------------------------------------ */

/* Standard or URL-safe base64, blanks and newlines ignored; -1 on anything else. */
int mod_base64_decode(const char *in, size_t len, struct mod_buf *out);
/* gzip data through the core's inflate (ci_gunzip); -1 when it is not valid gzip or inflates
 * past 64 MiB. */
int mod_gunzip(const void *in, size_t len, struct mod_buf *out);

/* ---- /etc/passwd, /etc/shadow, /etc/group (accounts.c) ------------------------------------- */

/* One file as its lines (without "\n"); lines nobody changes are written back byte for byte. */
struct acct_file {
    const char *path;      /* "/etc/passwd" */
    char **lines;
    size_t n;
    bool dirty;            /* changed since read: written by acct_commit */
    bool exists;
    mode_t mode;
    uid_t uid;
    gid_t gid;
};

struct acct_db {
    struct acct_file passwd, shadow, group;
    int lock_fd;
};

/* Takes /etc/.pwd.lock (as lckpwdf: an fcntl write lock, waiting at most 15 s) and reads the
 * three files (a missing shadow or group is empty). 0, or -1 with errno. */
int acct_open(struct ci_context *ctx, struct acct_db *db);
/* Writes every changed file atomically (keeping its mode and owner; new ones root 0644, shadow
 * 0600), then drops the lock and frees db. 0, or -1 with errno (db freed either way). */
int acct_commit(struct ci_context *ctx, struct acct_db *db);
/* Drops the lock and frees db without writing. */
void acct_close(struct acct_db *db);

/* Index of the line whose first field is name, or -1. */
long acct_find(const struct acct_file *f, const char *name);
/* Field idx (0-based) of line i, malloc'd; NULL when the line has fewer fields. */
char *acct_field(const struct acct_file *f, long i, int idx);
/* Replaces field idx of line i; -1 on ENOMEM or a line with fewer fields. */
int acct_set_field(struct acct_file *f, long i, int idx, const char *value);
int acct_append(struct acct_file *f, const char *line);
/* Numeric id (field 2) of name in passwd or group: 0 and *id, or -1. Also accepts a number. */
int acct_uid(const struct acct_db *db, const char *user, uid_t *uid);
int acct_gid(const struct acct_db *db, const char *group, gid_t *gid);
/* A free id as useradd/groupadd pick one: regular ids above the largest in 1000..59999, system
 * ids the largest free one in 100..999, free in each file of which. -1: none. */
enum { ACCT_IN_PASSWD = 1, ACCT_IN_GROUP = 2 };
long acct_free_id(const struct acct_db *db, bool system, unsigned which);
/* Adds user to group's member list (no-op if already a member); -1 when no such group. */
int acct_add_member(struct acct_db *db, const char *group, const char *user);
/* Days since the epoch, shadow's lastchg. */
long acct_today(void);

/* ---- sudo rules and doas.conf (doas.c) ------------------------------------------------------ */

/* Maps one sudoers-style rule of user name ("ALL=(ALL) NOPASSWD:ALL") to a doas.conf line
 * (malloc'd, no "\n"); NULL when it cannot be mapped faithfully. */
char *doas_rule_from_sudo(const char *name, const char *rule);
/* Replaces the block of lines for user name in /etc/doas.conf ("# cloud-init: NAME" ...) with
 * lines (NULL-terminated; none removes the block). Mode 0600 root. 0, or -1 after ci_error. */
int doas_set_user_rules(struct ci_context *ctx, const char *name, char *const lines[]);

/* ---- Passwords (passwd.c) ------------------------------------------------------------------- */

/* SHA-512 crypt ("$6$") of plain with 16 random salt characters from /dev/urandom (under the
 * real root, not ctx->root). malloc'd, or NULL with errno. */
char *mod_hash_password(const char *plain);
/* Sets user's shadow hash (and lastchg to today, or 0 to force a change at next login). */
int mod_set_shadow_hash(struct acct_db *db, const char *user, const char *hash, bool expire);

/* ---- Files for users (users_groups.c, ssh.c) --------------------------------------------- */

/* Adds keys (not already there) to ~user/.ssh/authorized_keys, each with prefix options when
 * prefix is not NULL; makes ~/.ssh 0700 and the file 0600, owned by the user. Lines already
 * in the file are kept as they are. 0, or -1 after ci_error. */
int mod_add_authorized_keys(struct ci_context *ctx, const char *user, char *const keys[],
                            const char *prefix);

/* ---- Dropbear (ssh.c) ---------------------------------------------------------------------- */

/* S50dropbear's host key directory: /data/etc/dropbear when /data is mounted (OFS, rw), else
 * /run/dropbear. */
const char *mod_dropbear_keydir(struct ci_context *ctx);
/* Sets VAR="value" in /etc/default/dropbear (read by S50dropbear), keeping its other lines. */
int mod_dropbear_default(struct ci_context *ctx, const char *var, const char *value);

/* ---- Module entry points (one file each) ---------------------------------------------------- */

int cc_bootcmd(struct ci_context *ctx);
int cc_write_files(struct ci_context *ctx);
int cc_set_hostname(struct ci_context *ctx);
int cc_update_hostname(struct ci_context *ctx);
int cc_update_etc_hosts(struct ci_context *ctx);
int cc_users_groups(struct ci_context *ctx);
int cc_ssh(struct ci_context *ctx);
int cc_set_passwords(struct ci_context *ctx);
int cc_apt_configure(struct ci_context *ctx);
int cc_ntp(struct ci_context *ctx);
int cc_timezone(struct ci_context *ctx);
int cc_runcmd(struct ci_context *ctx);
int cc_package_update_upgrade_install(struct ci_context *ctx);
int cc_write_files_deferred(struct ci_context *ctx);
int cc_final_message(struct ci_context *ctx);
int cc_power_state_change(struct ci_context *ctx);

/* The keys of write_files entries shared by write_files and write_files_deferred. */
int mod_write_files(struct ci_context *ctx, bool deferred);

#endif
