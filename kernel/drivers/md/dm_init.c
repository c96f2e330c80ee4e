/* Device-mapper devices from the kernel command line, Linux's dm-mod.create= (dm-init.rst):
 *
 *   dm-mod.create="vroot,,,ro,0 98304 verity 1 /dev/vda2 /dev/vda3 4096 4096 12288 1 sha256 <root> <salt>"
 *
 * makes dm-0 (253:0; /dev/dm-0, /sys/block/dm-0, /proc/partitions), and root=/dev/dm-0 mounts
 * it. Made once at boot, after the disks are probed; a device whose table is wrong is not
 * made, with Linux's messages ("device-mapper: table: 253:0: verity: Invalid root digest"),
 * so a root= naming it finds nothing and the boot stops there. Every device is read-only:
 * the only target is verity. */
#include "kernel.h"
#include "mm.h"
#include "string.h"
#include "errno.h"
#include "kprintf.h"
#include "dm.h"

#define DM_DISK_INDEX_BASE 120      /* sysfs keys: after the virtio disks and loop devices */
#define DM_MAX_MINOR 7              /* disk_index stays below sysfs's 128 */
#define DM_MAX_TRANSFER (128u << 10)

static const struct dm_target_type *const dm_targets[] = { &dm_verity_target };

static int dm_submit(struct block_device *disk, struct blk_request *rq)
{
    struct dm_device *md = disk->driver_data;
    int status;
    switch (rq->op) {
    case BLK_OP_READ:
        status = md->type->read(md, rq->sector, rq->buf, rq->len);
        break;
    case BLK_OP_WRITE:
        status = -EROFS;
        break;
    case BLK_OP_FLUSH:
        status = 0;
        break;
    default:
        status = -EOPNOTSUPP;
        break;
    }
    blk_complete(rq, status);
    return 0;
}

static const struct blkdev_ops dm_ops = {
    .driver = "device-mapper",
    .submit = dm_submit,
};

static bool minor_taken(unsigned minor)
{
    return blkdev_lookup_by_devt(MKDEV(DM_MAJOR, minor)) != NULL;
}

static void dm_create_one(struct dm_create_dev *spec)
{
    int minor = spec->minor;
    if (minor < 0)
        for (minor = 0; minor <= DM_MAX_MINOR && minor_taken((unsigned)minor); minor++)
            ;
    if (minor > DM_MAX_MINOR || minor_taken((unsigned)minor)) {
        pr_err("device-mapper: init: %s: no free minor (at most %u devices)", spec->name,
               DM_MAX_MINOR + 1);
        return;
    }
    const struct dm_target_type *type = NULL;
    for (size_t i = 0; i < ARRAY_SIZE(dm_targets); i++)
        if (strcmp(dm_targets[i]->name, spec->target) == 0)
            type = dm_targets[i];
    if (!type) {
        pr_err("device-mapper: table: %u:%d: %s: unknown target type", DM_MAJOR, minor,
               spec->target);
        return;
    }
    struct dm_device *md = kzalloc(sizeof *md);
    if (!md) {
        pr_err("device-mapper: init: %s: out of memory", spec->name);
        return;
    }
    strlcpy(md->name, spec->name, sizeof md->name);
    md->type = type;
    md->read_only = spec->read_only;
    ksnprintf(md->disk.name, sizeof md->disk.name, "dm-%d", minor);
    md->disk.devt = MKDEV(DM_MAJOR, (unsigned)minor);
    const char *err = NULL;
    int r = spec->start ? -EINVAL : 0;
    if (r)
        err = "the table must start at sector 0";
    else
        r = type->ctr(md, spec->args, &err);
    if (!r && spec->len > md->disk.nr_sectors) {
        r = -EINVAL;
        err = "Data device is too small";
    }
    if (r) {
        pr_err("device-mapper: table: %u:%d: %s: %s (%d)", DM_MAJOR, minor, spec->target,
               err ? err : "error", r);
        pr_err("device-mapper: init: %s: not created", spec->name);
        kfree(md);      /* a target that fails its ctr keeps nothing */
        return;
    }
    md->disk.nr_sectors = spec->len;
    md->disk.read_only = true;
    md->disk.max_transfer = DM_MAX_TRANSFER;
    md->disk.irq_driven = true;     /* requests complete inside submit */
    md->disk.no_partscan = true;    /* as Linux's dm disks (GENHD_FL_NO_PART) */
    md->disk.disk_index = DM_DISK_INDEX_BASE + (unsigned)minor;
    md->disk.ops = &dm_ops;
    md->disk.driver_data = md;
    r = blkdev_register_disk(&md->disk);
    if (r) {
        pr_err("device-mapper: init: %s: cannot register %s (%d)", spec->name, md->disk.name, r);
        return;     /* the target holds its devices: leak rather than free under them */
    }
    pr_info("device-mapper: ioctl: dm-%d (%s) is ready", minor, md->name);
}

void dm_init(void)
{
    const char *arg = cmdline_get("dm-mod.create");
    if (!arg)
        return;
    size_t len = strlen(arg);
    char *buf = kmalloc(len + 1);
    struct dm_create_dev *devs = kmalloc(sizeof *devs * DM_MAX_DEVICES);
    if (!buf || !devs) {
        pr_err("device-mapper: init: out of memory");
        kfree(buf);
        kfree(devs);
        return;
    }
    memcpy(buf, arg, len + 1);
    const char *err = NULL;
    int n = dm_parse_create(buf, devs, DM_MAX_DEVICES, &err);
    if (n < 0)
        pr_err("device-mapper: init: invalid dm-mod.create: %s", err);
    for (int i = 0; i < n; i++)
        dm_create_one(&devs[i]);
    kfree(devs);
    kfree(buf);
}
