/* Filesystem seeds: the kernel's /dev/disk/by-label/<label>, mounted read-only (iso9660, then
 * vfat) under /run/cloud-init/seed, read, and unmounted again. Order: cidata, CIDATA, config-2. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"

static const struct {
    const char *label;
    bool configdrive;
} labels[] = {
    {"cidata", false},
    {"CIDATA", false},
    {"config-2", true},
    {"CONFIG-2", true},
};

static const char *const fstypes[] = {"iso9660", "vfat"};
static const char MNT[] = "/run/cloud-init/seed";

int ci_find_local_seed(struct ci_context *ctx, struct ci_seed *s)
{
    for (size_t i = 0; i < sizeof labels / sizeof *labels; i++) {
        char dev[128], devpath[4096], mnt[4096];
        snprintf(dev, sizeof dev, "/dev/disk/by-label/%s", labels[i].label);
        struct stat st;
        if (ci_path(ctx, dev, devpath, sizeof devpath) < 0 || stat(devpath, &st) < 0)
            continue;
        if (ci_mkdir_p(ctx, MNT, 0700) < 0 || ci_path(ctx, MNT, mnt, sizeof mnt) < 0) {
            ci_error(ctx, "cannot make %s: %s", MNT, strerror(errno));
            return -1;
        }
        /* Under a test root the "device" is a directory holding the seed's files. */
        const char *dir = MNT;
        bool mounted = false;
        if (S_ISDIR(st.st_mode)) {
            dir = dev;
        } else {
            int e = 0;
            for (size_t t = 0; t < sizeof fstypes / sizeof *fstypes && !mounted; t++) {
                if (mount(devpath, mnt, fstypes[t], MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                          NULL) == 0)
                    mounted = true;
                else
                    e = errno;
            }
            if (!mounted) {
                ci_error(ctx, "seed %s: cannot mount it (iso9660 or vfat): %s", dev, strerror(e));
                return -1;
            }
        }
        char err[200];
        int r = labels[i].configdrive ? ci_configdrive_read_dir(ctx, dir, s, err, sizeof err)
                                      : ci_nocloud_read_dir(ctx, dir, s, err, sizeof err);
        if (mounted && umount(mnt) < 0)
            ci_log(ctx, CI_WARNING, "cannot unmount %s: %s", MNT, strerror(errno));
        if (r < 0) {
            ci_error(ctx, "seed %s: %s", dev, err);
            ci_seed_free(s);
            return -1;
        }
        snprintf(s->name, sizeof s->name, "DataSource%s [seed=%s]",
                 labels[i].configdrive ? "ConfigDrive" : "NoCloud", dev);
        ci_log(ctx, CI_INFO, "found %s", s->name);
        return 1;
    }
    return 0;
}
