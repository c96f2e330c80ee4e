/* The root filesystem from the kernel command line, after Linux's prepare_namespace():
 *
 *   root=PARTUUID=<guid> | PARTLABEL=<name> | /dev/vda2 | vda2 | 254:2   the device
 *   rootfstype=ext2[,...]   the types to try (default: every disk filesystem type)
 *   ro / rw                 mount read-only (the default, as in Linux) or read-write
 *   rootwait[=<seconds>]    wait for the device to appear (forever without a value)
 *   rootdelay=<seconds>     sleep before looking
 *
 * The filesystem is mounted over the initial rootfs's "/" and becomes the calling process's
 * root and working directory (Linux mounts it on /root, moves it to / and chroots: the effect
 * is the same), so the rootfs and anything unpacked into it are hidden. Then, like Linux with
 * CONFIG_DEVTMPFS_MOUNT, devtmpfs is mounted on the new root's /dev.
 *
 * Failing to find or mount the root is unrecoverable: like Linux, report what was tried and
 * the block devices there are, then panic. */
#include "fs.h"
#include "blkdev.h"
#include "kprintf.h"
#include "string.h"
#include "time.h"
#include "mm.h"

/* "6f70656e-..." for a partition's GUID. */
static void format_guid(const struct gpt_guid *g, char *buf, size_t size)
{
    const uint8_t *b = (const uint8_t *)g;
    /* GPT GUIDs are mixed-endian: the first three fields are little-endian on disk. */
    ksnprintf(buf, size, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
              b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12],
              b[13], b[14], b[15]);
}

/* Linux's printk_all_partitions(): "fe00   333824 vda" then each partition with its PARTUUID.
 * Like Linux it leaves out empty disks (the unbound loop devices) and what is on them. */
static void list_block_devices(void)
{
    bool any = false;
    for (struct block_device *b = blkdev_next(NULL); b; b = blkdev_next(b)) {
        if (b->disk->nr_sectors == 0)
            continue;
        any = true;
        char uuid[40] = "";
        if (b->partno && b->has_uuid)
            format_guid(&b->part_uuid, uuid, sizeof uuid);
        char devt[16];      /* Linux's bdevt_str(): "fe02" padded to 9 */
        ksnprintf(devt, sizeof devt, "%02x%02x", MAJOR(b->devt), MINOR(b->devt));
        const char *driver = b->disk->ops ? b->disk->ops->driver : NULL;
        char owner[40] = "";
        if (!b->partno)
            ksnprintf(owner, sizeof owner, driver ? " driver: %s" : " (driver?)", driver);
        pr_err("%s%-9s %10llu %s %s%s", b->partno ? "  " : "", devt,
               (unsigned long long)(b->nr_sectors >> 1), b->name, uuid, owner);
    }
    if (!any)
        pr_err("(no block devices found)");
}

static void sleep_ns(uint64_t ns)
{
    uint64_t deadline = ktime_mono_ns() + ns;
    while (ktime_mono_ns() < deadline) {
        set_current_state(TASK_UNINTERRUPTIBLE);
        schedule_timeout(deadline);
    }
}

static unsigned long parse_seconds(const char *s)
{
    unsigned long v = 0;
    for (; *s >= '0' && *s <= '9' && v < 100000; s++)
        v = v * 10 + (unsigned long)(*s - '0');
    return v;
}

/* The root device, waiting for it per rootwait/rootdelay; NULL if it never shows up. */
static struct block_device *find_root_device(const char *spec)
{
    const char *delay = cmdline_get("rootdelay");
    if (delay && *delay) {
        unsigned long s = parse_seconds(delay);
        pr_info("Waiting %lu sec before mounting root device...", s);
        sleep_ns(s * NSEC_PER_SEC);
    }
    struct block_device *b = blkdev_resolve(spec);
    const char *wait = cmdline_get("rootwait");
    if (b || !wait)
        return b;
    /* rootwait: forever; rootwait=N: at most N seconds (Linux 6.5's form). */
    uint64_t limit = *wait ? parse_seconds(wait) * NSEC_PER_SEC : 0;
    uint64_t start = ktime_mono_ns();
    pr_info("Waiting for root device %s...", spec);
    while (!(b = blkdev_resolve(spec))) {
        if (limit && ktime_mono_ns() - start >= limit) {
            pr_err("Disabling rootwait; root device still not ready after %s seconds.", wait);
            break;
        }
        sleep_ns(NSEC_PER_SEC / 10);
    }
    return b;
}

/* Make (mnt, root of mnt) current's root and working directory. */
static void set_root(struct mount *m)
{
    struct fs_struct *fs = current->fs;
    struct path np = { m, m->root };
    path_get(&np);
    path_get(&np);
    spin_lock(&fs->lock);
    struct path oldroot = fs->root, oldcwd = fs->cwd;
    fs->root = np;
    fs->cwd = np;
    spin_unlock(&fs->lock);
    path_put(&oldroot);
    path_put(&oldcwd);
}

/* devtmpfs on /dev of the new root, if it has one (CONFIG_DEVTMPFS_MOUNT). */
static void mount_dev(void)
{
    struct path dev;
    if (path_lookupat(AT_FDCWD, "/dev", LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &dev) < 0) {
        pr_warn("devtmpfs: the root filesystem has no /dev");
        return;
    }
    mutex_lock(&vfs_ns_lock);
    int err = vfs_kern_mount(&dev, "devtmpfs", "devtmpfs", MS_NOSUID);
    mutex_unlock(&vfs_ns_lock);
    path_put(&dev);
    if (err < 0)
        pr_warn("devtmpfs: error mounting %d", err);
    else
        pr_info("devtmpfs: mounted");
}

/* Try one filesystem type on the device: 0, or -errno. */
static int try_mount(const char *type, struct block_device *bdev, unsigned long flags,
                     struct mount **out)
{
    struct path where;
    int err = fs_get_root(&where);
    if (err < 0)
        return err;
    mutex_lock(&vfs_ns_lock);
    err = vfs_mount_bdev(&where, type, bdev, "/dev/root", flags, out);
    mutex_unlock(&vfs_ns_lock);
    path_put(&where);
    return err;
}

/* Disk filesystem types ("ext2,..." from rootfstype=, else every registered one) into a
 * NUL-separated list in buf; returns the number of names. */
static int root_fs_types(char *buf, size_t size)
{
    const char *want = cmdline_get("rootfstype");
    int n = 0;
    size_t len = 0;
    if (want && *want) {
        strlcpy(buf, want, size);
        for (char *p = buf; *p; p++)
            if (*p == ',')
                *p = 0;
        len = strlen(want) + 1;
        for (size_t i = 0; i < len && i < size; i += strlen(buf + i) + 1)
            if (buf[i])
                n++;
        return n;
    }
    return filesystem_disk_types(buf, size);
}

int mount_root(void)
{
    char spec[128];
    const char *r = cmdline_get("root");
    strlcpy(spec, r ? r : "", sizeof spec);
    /* Read-only unless rw is given; the last of ro/rw wins (Linux's root_mountflags). */
    unsigned long flags = MS_RDONLY;
    for (const char *w = cmdline_raw(); *w;) {
        size_t n = 0;
        while (w[n] && w[n] != ' ')
            n++;
        if (n == 2 && (w[0] == 'r') && (w[1] == 'o' || w[1] == 'w'))
            flags = w[1] == 'o' ? MS_RDONLY : 0;
        w += n;
        while (*w == ' ')
            w++;
    }

    struct block_device *b = spec[0] ? find_root_device(spec) : NULL;
    if (!b) {
        pr_err("VFS: Cannot open root device \"%s\" or unknown-block(0,0): error %d", spec,
               -ENXIO);
        pr_err("Please append a correct \"root=\" boot option; here are the available partitions:");
        list_block_devices();
        panic("VFS: Unable to mount root fs on unknown-block(0,0)");
    }

    char types[128];
    int ntypes = root_fs_types(types, sizeof types);
    int err = -EINVAL;
    const char *t = types;
    for (int i = 0; i < ntypes; i++, t += strlen(t) + 1) {
        struct mount *m = NULL;
        err = try_mount(t, b, flags, &m);
        if (err == 0) {
            pr_info("VFS: Mounted root (%s filesystem) %s on device %u:%u.", t,
                    mnt_readonly(m) ? "readonly" : "read-write", MAJOR(b->devt), MINOR(b->devt));
            set_root(m);
            mount_dev();
            return 0;
        }
        /* A filesystem that does not recognise the device says so with -EINVAL (or
         * -EUCLEAN for a damaged one): try the next type. Anything else is final. */
        if (err != -EINVAL && err != -EACCES && err != -EUCLEAN && err != -ENODEV)
            break;
    }
    pr_err("VFS: Cannot open root device \"%s\" or unknown-block(%u,%u): error %d", spec,
           MAJOR(b->devt), MINOR(b->devt), err);
    char tried[128] = "";
    t = types;
    for (int i = 0; i < ntypes; i++, t += strlen(t) + 1) {
        size_t l = strlen(tried);
        ksnprintf(tried + l, sizeof tried - l, " %s", t);
    }
    pr_err("No filesystem could mount root, tried:%s", ntypes ? tried : " (no disk filesystem types)");
    pr_err("List of all partitions:");
    list_block_devices();
    panic("VFS: Unable to mount root fs on unknown-block(%u,%u)", MAJOR(b->devt), MINOR(b->devt));
}
