/* /etc/passwd, /etc/shadow and /etc/group edited in place under ctx->root.
 *
 * Like shadow-utils: the lckpwdf lock file /etc/.pwd.lock is held while editing (BusyBox's
 * adduser and passwd running at the same time cannot interleave with us), each file is replaced
 * atomically, and the lines we do not change are written back byte for byte. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "modules.h"

static void file_free(struct acct_file *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->lines[i]);
    free(f->lines);
    f->lines = NULL;
    f->n = 0;
}

static int file_read(struct ci_context *ctx, struct acct_file *f, const char *path, mode_t mode)
{
    memset(f, 0, sizeof *f);
    f->path = path;
    f->mode = mode;
    f->uid = 0;
    f->gid = 0;
    char full[4096];
    struct stat st;
    if (ci_path(ctx, path, full, sizeof full) == 0 && stat(full, &st) == 0) {
        f->mode = st.st_mode & 07777;
        f->uid = st.st_uid;
        f->gid = st.st_gid;
    }
    size_t len;
    char *text = ci_read_file(ctx, path, &len);
    if (!text)
        return errno == ENOENT ? 0 : -1;
    f->exists = true;
    for (char *p = text; p < text + len; ) {
        char *nl = memchr(p, '\n', (size_t)(text + len - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(text + len - p);
        char *line = strndup(p, l);
        if (!line || acct_append(f, line) < 0) {
            free(line);
            free(text);
            file_free(f);
            errno = ENOMEM;
            return -1;
        }
        free(line);
        p += l + 1;
    }
    free(text);
    f->dirty = false;
    return 0;
}

static void on_alarm(int sig)
{
    (void)sig;
}

int acct_open(struct ci_context *ctx, struct acct_db *db)
{
    memset(db, 0, sizeof *db);
    db->lock_fd = -1;
    char lock[4096];
    if (ci_path(ctx, "/etc/.pwd.lock", lock, sizeof lock) < 0)
        return -1;
    int fd = open(lock, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    /* lckpwdf waits 15 s for the lock: the same here, through an interrupted F_SETLKW. */
    struct sigaction sa = {.sa_handler = on_alarm}, old;
    sigaction(SIGALRM, &sa, &old);
    unsigned left = alarm(15);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    int r = fcntl(fd, F_SETLKW, &fl);
    int e = errno;
    alarm(left);
    sigaction(SIGALRM, &old, NULL);
    if (r < 0) {
        close(fd);
        errno = e == EINTR ? ETIMEDOUT : e;
        return -1;
    }
    db->lock_fd = fd;
    if (file_read(ctx, &db->passwd, "/etc/passwd", 0644) < 0 ||
        file_read(ctx, &db->shadow, "/etc/shadow", 0600) < 0 ||
        file_read(ctx, &db->group, "/etc/group", 0644) < 0) {
        e = errno;
        acct_close(db);
        errno = e;
        return -1;
    }
    return 0;
}

void acct_close(struct acct_db *db)
{
    file_free(&db->passwd);
    file_free(&db->shadow);
    file_free(&db->group);
    if (db->lock_fd >= 0)
        close(db->lock_fd);   /* closing drops the fcntl lock */
    db->lock_fd = -1;
}

static int file_write(struct ci_context *ctx, const struct acct_file *f)
{
    struct mod_buf b = {0};
    for (size_t i = 0; i < f->n; i++) {
        if (mod_buf_str(&b, f->lines[i]) < 0 || mod_buf_str(&b, "\n") < 0) {
            free(b.p);
            errno = ENOMEM;
            return -1;
        }
    }
    int r = ci_write_file(ctx, f->path, b.p ? b.p : "", b.len, f->mode, f->uid, f->gid);
    free(b.p);
    return r;
}

int acct_commit(struct ci_context *ctx, struct acct_db *db)
{
    /* group before passwd: a user line never names a gid that is not there yet. */
    struct acct_file *order[] = {&db->group, &db->shadow, &db->passwd};
    int r = 0, e = 0;
    for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
        if (order[i]->dirty && file_write(ctx, order[i]) < 0 && r == 0) {
            r = -1;
            e = errno;
        }
    }
    acct_close(db);
    errno = e;
    return r;
}

long acct_find(const struct acct_file *f, const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < f->n; i++) {
        if (!strncmp(f->lines[i], name, nl) && f->lines[i][nl] == ':')
            return (long)i;
    }
    return -1;
}

/* Start and length of field idx in line, or -1. */
static int field_span(const char *line, int idx, size_t *start, size_t *len)
{
    const char *p = line;
    for (int k = 0; k < idx; k++) {
        p = strchr(p, ':');
        if (!p)
            return -1;
        p++;
    }
    *start = (size_t)(p - line);
    *len = strcspn(p, ":");
    return 0;
}

char *acct_field(const struct acct_file *f, long i, int idx)
{
    size_t s, l;
    if (i < 0 || (size_t)i >= f->n || field_span(f->lines[i], idx, &s, &l) < 0)
        return NULL;
    return strndup(f->lines[i] + s, l);
}

int acct_set_field(struct acct_file *f, long i, int idx, const char *value)
{
    size_t s, l;
    if (i < 0 || (size_t)i >= f->n || field_span(f->lines[i], idx, &s, &l) < 0)
        return -1;
    const char *line = f->lines[i];
    if (strlen(value) == l && !memcmp(line + s, value, l))
        return 0;
    char *nl = NULL;
    if (asprintf(&nl, "%.*s%s%s", (int)s, line, value, line + s + l) < 0)
        return -1;
    free(f->lines[i]);
    f->lines[i] = nl;
    f->dirty = true;
    return 0;
}

int acct_append(struct acct_file *f, const char *line)
{
    char **grown = realloc(f->lines, (f->n + 1) * sizeof *grown);
    if (!grown)
        return -1;
    f->lines = grown;
    grown[f->n] = strdup(line);
    if (!grown[f->n])
        return -1;
    f->n++;
    f->dirty = true;
    return 0;
}

static int lookup_id(const struct acct_file *f, const char *name, long *id)
{
    char *end;
    errno = 0;
    long v = strtol(name, &end, 10);
    if (*name && !*end && !errno && v >= 0) {
        *id = v;
        return 0;
    }
    long i = acct_find(f, name);
    char *s = acct_field(f, i, 2);
    if (!s)
        return -1;
    v = strtol(s, &end, 10);
    int ok = *s && !*end && v >= 0;
    free(s);
    if (!ok)
        return -1;
    *id = v;
    return 0;
}

int acct_uid(const struct acct_db *db, const char *user, uid_t *uid)
{
    long id;
    if (lookup_id(&db->passwd, user, &id) < 0)
        return -1;
    *uid = (uid_t)id;
    return 0;
}

int acct_gid(const struct acct_db *db, const char *group, gid_t *gid)
{
    long id;
    if (lookup_id(&db->group, group, &id) < 0)
        return -1;
    *gid = (gid_t)id;
    return 0;
}

static bool id_used(const struct acct_file *f, long id)
{
    for (size_t i = 0; i < f->n; i++) {
        char *s = acct_field(f, (long)i, 2);
        bool used = s && strtol(s, NULL, 10) == id && *s;
        free(s);
        if (used)
            return true;
    }
    return false;
}

long acct_free_id(const struct acct_db *db, bool system, unsigned which)
{
    const struct acct_file *files[2];
    size_t nf = 0;
    if (which & ACCT_IN_PASSWD)
        files[nf++] = &db->passwd;
    if (which & ACCT_IN_GROUP)
        files[nf++] = &db->group;
    if (system) {
        for (long id = 999; id >= 100; id--) {
            bool used = false;
            for (size_t k = 0; k < nf; k++)
                used = used || id_used(files[k], id);
            if (!used)
                return id;
        }
        return -1;
    }
    long max = 999;
    for (size_t k = 0; k < nf; k++) {
        for (size_t i = 0; i < files[k]->n; i++) {
            char *s = acct_field(files[k], (long)i, 2);
            long v = s && *s ? strtol(s, NULL, 10) : -1;
            free(s);
            if (v >= 1000 && v <= 59999 && v > max)
                max = v;
        }
    }
    return max < 59999 ? max + 1 : -1;
}

int acct_add_member(struct acct_db *db, const char *group, const char *user)
{
    long i = acct_find(&db->group, group);
    char *members = acct_field(&db->group, i, 3);
    if (!members)
        return -1;
    size_t ul = strlen(user);
    for (const char *p = members; *p; ) {
        size_t l = strcspn(p, ",");
        if (l == ul && !memcmp(p, user, ul)) {
            free(members);
            return 0;
        }
        p += l + (p[l] == ',');
    }
    char *nm = NULL;
    int r = asprintf(&nm, "%s%s%s", members, *members ? "," : "", user);
    free(members);
    if (r < 0)
        return -1;
    r = acct_set_field(&db->group, i, 3, nm);
    free(nm);
    return r;
}

long acct_today(void)
{
    return (long)(time(NULL) / 86400);
}
