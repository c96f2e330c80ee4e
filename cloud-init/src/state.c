/* Per-instance state under /var/lib/cloud, laid out as cloud-init lays it out:
 *   instances/<iid>/{sem/,scripts/,user-data.txt,...}  instance -> instances/<iid>
 *   data/{instance-id,previous-instance-id,status.json,result.json}  sem/ (per-once) */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core.h"

int ci_iid_sanitize(const char *iid, char *out, size_t outlen)
{
    size_t n = strlen(iid);
    if (!n || n >= outlen || n > 200)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char c = iid[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || c == '_' || c == ':';
        out[i] = ok ? c : '_';
    }
    out[n] = '\0';
    if (!strcmp(out, ".") || !strcmp(out, ".."))
        return -1;
    return 0;
}

int ci_state_instance_id(const struct ci_context *ctx, char *out, size_t outlen)
{
    size_t len;
    char *s = ci_read_file(ctx, "/var/lib/cloud/data/instance-id", &len);
    if (!s)
        return -1;
    while (len && (s[len - 1] == '\n' || s[len - 1] == '\r'))
        s[--len] = '\0';
    int r = len && len < outlen ? 0 : -1;
    if (!r)
        memcpy(out, s, len + 1);
    free(s);
    return r;
}

int ci_state_set_instance(struct ci_context *ctx, const char *iid)
{
    char safe[256], dir[512], prev[256] = "";
    if (ci_iid_sanitize(iid, safe, sizeof safe) < 0) {
        errno = EINVAL;
        return -1;
    }
    bool had = ci_state_instance_id(ctx, prev, sizeof prev) == 0;
    snprintf(dir, sizeof dir, "/var/lib/cloud/instances/%s/sem", safe);
    if (ci_mkdir_p(ctx, dir, 0755) < 0 || ci_mkdir_p(ctx, "/var/lib/cloud/data", 0755) < 0 ||
        ci_mkdir_p(ctx, "/var/lib/cloud/sem", 0755) < 0)
        return -1;
    snprintf(dir, sizeof dir, "/var/lib/cloud/instances/%s/scripts", safe);
    if (ci_mkdir_p(ctx, dir, 0700) < 0)
        return -1;
    /* The instance link, relative so that it also holds under a test root. */
    char link[4096], tmp[4096 + 8], target[300];
    if (ci_path(ctx, "/var/lib/cloud/instance", link, sizeof link) < 0)
        return -1;
    snprintf(tmp, sizeof tmp, "%s.new", link);
    snprintf(target, sizeof target, "instances/%s", safe);
    unlink(tmp);
    if (symlink(target, tmp) < 0 || rename(tmp, link) < 0)
        return -1;
    bool same = had && !strcmp(prev, safe);
    if (had && !same &&
        ci_write_file(ctx, "/var/lib/cloud/data/previous-instance-id", prev, strlen(prev), 0644,
                      (uid_t)-1, (gid_t)-1) < 0)
        return -1;
    if (!same) {
        char line[260];
        int l = snprintf(line, sizeof line, "%s\n", safe);
        if (ci_write_file(ctx, "/var/lib/cloud/data/instance-id", line, (size_t)l, 0644,
                          (uid_t)-1, (gid_t)-1) < 0)
            return -1;
    }
    return same ? 0 : 1;
}

static int sem_path(const struct ci_context *ctx, const char *name, enum ci_freq freq, char *out,
                    size_t outlen)
{
    char iid[256];
    if (freq == CI_PER_ONCE) {
        snprintf(out, outlen, "/var/lib/cloud/sem/config_%s.once", name);
        return 0;
    }
    if (ci_state_instance_id(ctx, iid, sizeof iid) < 0)
        return -1;
    snprintf(out, outlen, "/var/lib/cloud/instances/%s/sem/config_%s", iid, name);
    return 0;
}

bool ci_sem_done(const struct ci_context *ctx, const char *name, enum ci_freq freq)
{
    char abs[600], path[4096];
    struct stat st;
    if (freq == CI_PER_ALWAYS || sem_path(ctx, name, freq, abs, sizeof abs) < 0 ||
        ci_path(ctx, abs, path, sizeof path) < 0)
        return false;
    return stat(path, &st) == 0;
}

int ci_sem_mark(const struct ci_context *ctx, const char *name, enum ci_freq freq)
{
    char abs[600], line[64];
    if (freq == CI_PER_ALWAYS)
        return 0;
    if (sem_path(ctx, name, freq, abs, sizeof abs) < 0)
        return -1;
    int l = snprintf(line, sizeof line, "%ld: %lld\n", (long)getpid(), (long long)time(NULL));
    return ci_write_file(ctx, abs, line, (size_t)l, 0644, (uid_t)-1, (gid_t)-1);
}

/* rm -r of path's contents (and path itself when self); symlinks are removed, never followed. */
static int remove_tree(const char *path, bool self)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : -1;
    int r = 0;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (!d)
            return -1;
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char sub[4096];
            if (snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) >= (int)sizeof sub) {
                r = -1;
                continue;
            }
            if (remove_tree(sub, true) < 0)
                r = -1;
        }
        closedir(d);
        if (self && rmdir(path) < 0)
            r = -1;
    } else if (self && unlink(path) < 0) {
        r = -1;
    }
    return r;
}

int ci_state_clean(const struct ci_context *ctx, bool logs)
{
    char path[4096];
    int r = 0;
    /* /var/lib/cloud itself may be a link into /data: only its contents go. */
    if (ci_path(ctx, "/var/lib/cloud/", path, sizeof path) < 0 || remove_tree(path, false) < 0)
        r = -1;
    if (logs) {
        static const char *const files[] = {"/var/log/cloud-init.log",
                                            "/var/log/cloud-init-output.log"};
        for (size_t i = 0; i < sizeof files / sizeof *files; i++)
            if (ci_path(ctx, files[i], path, sizeof path) < 0 ||
                (unlink(path) < 0 && errno != ENOENT))
                r = -1;
    }
    return r;
}
