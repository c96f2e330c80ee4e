/* Character devices and devtmpfs.
 *
 * Drivers register (major, minor) -> file_operations with register_chrdev(); opening any
 * character-device inode with that number (in /dev or made with mknod on tmpfs) reaches them
 * through chrdev_open_fops. devtmpfs is one shared tmpfs superblock: every mount of it shows the
 * same tree, and registering a device creates its node there, as in Linux. Registration may
 * happen before vfs_init(): the node is created when the tree is. */
#include "fs.h"
#include "mm.h"
#include "string.h"
#include "blkdev.h"

struct chrdev {
    unsigned major, minor;
    char name[32];
    const struct file_operations *ops;
    struct chrdev *next;
};

/* The modes devtmpfs gives character-device nodes, as Linux's devnode callbacks do (mem_devnode,
 * tty_devnode): crw------- root:root unless listed. So a user cannot open the serial line or
 * the console (whose TIOCSTI would type commands into a root shell), while the memory devices,
 * /dev/tty (one's own controlling terminal) and /dev/ptmx stay open to all. login and getty
 * chown the line to whoever logs in there; pty slaves get their owner from pty.c. */
struct chrdev_mode {
    const char *name;
    mode_t perm;
};
static const struct chrdev_mode chrdev_modes[] = {
    { "null", 0666 }, { "zero", 0666 }, { "full", 0666 }, { "random", 0666 },
    { "urandom", 0666 }, { "kmsg", 0644 }, { "tty", 0666 }, { "ptmx", 0666 },
};
#define CHRDEV_DEFAULT_PERM 0600

static mode_t chrdev_perm(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(chrdev_modes); i++)
        if (strcmp(chrdev_modes[i].name, name) == 0)
            return chrdev_modes[i].perm;
    return CHRDEV_DEFAULT_PERM;
}

static struct chrdev *chrdevs;
static spinlock_t chrdev_lock = SPINLOCK_INIT("chrdev");
static struct super_block *devfs_sb;
static struct file_system_type devtmpfs_type;

static const struct file_operations *chrdev_find(dev_t rdev)
{
    const struct file_operations *ops = NULL;
    spin_lock(&chrdev_lock);
    for (struct chrdev *c = chrdevs; c; c = c->next) {
        if (c->major == MAJOR(rdev) && c->minor == MINOR(rdev)) {
            ops = c->ops;
            break;
        }
    }
    spin_unlock(&chrdev_lock);
    return ops;
}

static int chrdev_open(struct inode *inode, struct file *f)
{
    const struct file_operations *ops = chrdev_find(inode->rdev);
    if (!ops)
        return -ENXIO;
    f->ops = ops;
    return ops->open ? ops->open(inode, f) : 0;
}

const struct file_operations chrdev_open_fops = {
    .open = chrdev_open,
};

/* ---- The /dev tree ---- */

/* Find or make the directory `name` in dir (devfs_sb, vfs_ns_lock held). +1 ref. */
static struct dentry *devfs_dir(struct dentry *dir, const char *name, size_t len)
{
    int err;
    struct dentry *d = lookup_child(dir, name, len, &err);
    if (d)
        return d;
    d = d_alloc(dir, name, len);
    if (!d)
        return NULL;
    if (dir->inode->iops->mkdir(dir->inode, d, 0755) < 0) {
        dput(d);
        return NULL;
    }
    d->inode->uid = 0;
    d->inode->gid = 0;
    return d;
}

/* Split "pts/0" into the directory and the last name; returns the parent (+1 ref). */
static struct dentry *devfs_parent(const char *name, const char **last)
{
    struct dentry *dir = dget(devfs_sb->root);
    const char *slash;
    while ((slash = strchr(name, '/')) != NULL) {
        struct dentry *sub = devfs_dir(dir, name, (size_t)(slash - name));
        dput(dir);
        if (!sub)
            return NULL;
        dir = sub;
        name = slash + 1;
    }
    *last = name;
    return dir;
}

static int devfs_make(const char *name, mode_t mode, dev_t rdev, const char *symlink_target)
{
    if (!devfs_sb)
        return 0;
    mutex_lock(&vfs_ns_lock);
    const char *last;
    int err = -ENOMEM;
    struct dentry *dir = devfs_parent(name, &last);
    if (dir) {
        int lerr;
        struct dentry *old = lookup_child(dir, last, strlen(last), &lerr);
        if (old) {
            /* Replace a stale node (a pty number reused, an initramfs placeholder). */
            if (!S_ISDIR(old->inode->mode))
                dir->inode->iops->unlink(dir->inode, old);
            dput(old);
        }
        struct dentry *d = d_alloc(dir, last, strlen(last));
        if (d) {
            if (symlink_target)
                err = dir->inode->iops->symlink(dir->inode, d, symlink_target);
            else if (S_ISDIR(mode))
                err = dir->inode->iops->mkdir(dir->inode, d, mode & 07777);
            else
                err = dir->inode->iops->create(dir->inode, d, mode, rdev);
            if (!err) {
                d->inode->uid = 0;
                d->inode->gid = 0;
            }
            dput(d);
        }
        dput(dir);
    }
    mutex_unlock(&vfs_ns_lock);
    return err;
}

static struct dentry *devfs_find(const char *name)
{
    if (!devfs_sb)
        return NULL;
    const char *last;
    struct dentry *dir = devfs_parent(name, &last);
    if (!dir)
        return NULL;
    int err;
    struct dentry *d = lookup_child(dir, last, strlen(last), &err);
    dput(dir);
    return d;
}

int register_chrdev(unsigned major, unsigned minor, const char *name,
                    const struct file_operations *ops)
{
    if (!name || !*name || strlen(name) >= sizeof(((struct chrdev *)0)->name) || !ops)
        return -EINVAL;
    struct chrdev *c = kzalloc(sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->major = major;
    c->minor = minor;
    c->ops = ops;
    strlcpy(c->name, name, sizeof(c->name));
    spin_lock(&chrdev_lock);
    for (struct chrdev *o = chrdevs; o; o = o->next) {
        if (o->major == major && o->minor == minor) {
            spin_unlock(&chrdev_lock);
            kfree(c);
            return -EBUSY;
        }
    }
    c->next = chrdevs;
    chrdevs = c;
    spin_unlock(&chrdev_lock);
    return devfs_make(name, S_IFCHR | chrdev_perm(name), MKDEV(major, minor), NULL);
}

void unregister_chrdev(unsigned major, unsigned minor)
{
    struct chrdev *victim = NULL;
    spin_lock(&chrdev_lock);
    for (struct chrdev **pp = &chrdevs; *pp; pp = &(*pp)->next) {
        if ((*pp)->major == major && (*pp)->minor == minor) {
            victim = *pp;
            *pp = victim->next;
            break;
        }
    }
    spin_unlock(&chrdev_lock);
    if (!victim)
        return;
    if (devfs_sb) {
        mutex_lock(&vfs_ns_lock);
        const char *last;
        struct dentry *dir = devfs_parent(victim->name, &last);
        if (dir) {
            int err;
            struct dentry *d = lookup_child(dir, last, strlen(last), &err);
            if (d) {
                if (S_ISCHR(d->inode->mode) && d->inode->rdev == MKDEV(major, minor))
                    dir->inode->iops->unlink(dir->inode, d);
                dput(d);
            }
            dput(dir);
        }
        mutex_unlock(&vfs_ns_lock);
    }
    kfree(victim);
}

int devfs_set_owner(unsigned major, unsigned minor, mode_t perm, uid_t uid, gid_t gid)
{
    char name[32] = "";
    spin_lock(&chrdev_lock);
    for (struct chrdev *c = chrdevs; c; c = c->next)
        if (c->major == major && c->minor == minor)
            strlcpy(name, c->name, sizeof(name));
    spin_unlock(&chrdev_lock);
    if (!name[0])
        return -ENODEV;
    mutex_lock(&vfs_ns_lock);
    struct dentry *d = devfs_find(name);
    int err = -ENOENT;
    if (d) {
        struct inode *inode = d->inode;
        mutex_lock(&inode->lock);
        inode->mode = (inode->mode & S_IFMT) | (perm & 07777);
        inode->uid = uid;
        inode->gid = gid;
        inode_touch(inode, false, true);
        mutex_unlock(&inode->lock);
        dput(d);
        err = 0;
    }
    mutex_unlock(&vfs_ns_lock);
    return err;
}

/* ---- Block devices ---- */

/* The block layer's accessor for a device inode's number (blkdev_file.c opens by it). */
dev_t inode_rdev(const struct inode *inode)
{
    return inode->rdev;
}

/* /dev/vda, /dev/vda1...: brw------- root:root, as Linux's devtmpfs makes them (udev or mdev
 * would then apply a policy such as root:disk 0660). */
int devfs_register_blkdev(const char *name, dev_t devt)
{
    if (!name || !*name || strchr(name, '/'))
        return -EINVAL;
    return devfs_make(name, S_IFBLK | 0600, devt, NULL);
}

/* /dev/<name> (subdirectories made as needed) as a symlink to target, replacing what was
 * there: /dev/disk/by-label (fs/bylabel). */
int devfs_symlink(const char *name, const char *target)
{
    if (!name || !*name || name[0] == '/' || !target || !*target)
        return -EINVAL;
    return devfs_make(name, 0, 0, target);
}

/* ---- devtmpfs ---- */

static int devtmpfs_get_sb(struct file_system_type *type, const char *source, unsigned long flags,
                           const void *data, struct super_block **out)
{
    (void)type; (void)source; (void)flags; (void)data;
    if (!devfs_sb)
        return -ENODEV;
    atomic_inc_return(&devfs_sb->refcount);
    *out = devfs_sb;
    return 0;
}

static struct file_system_type devtmpfs_type = {
    .name = "devtmpfs",
    .get_sb = devtmpfs_get_sb,
    .nodev = true,
};

void devfs_init(void)
{
    register_filesystem(&devtmpfs_type);
    devfs_sb = tmpfs_new_sb(&devtmpfs_type);
    if (!devfs_sb)
        panic("devfs: out of memory");
    devfs_sb->root->inode->mode = S_IFDIR | 0755;
    /* The shared tree lives as long as the kernel. */
    devfs_sb->refcount++;
    /* Nodes for devices registered before the tree existed. */
    struct chrdev *list[64];
    int n = 0;
    spin_lock(&chrdev_lock);
    for (struct chrdev *c = chrdevs; c && n < 64; c = c->next)
        list[n++] = c;
    spin_unlock(&chrdev_lock);
    for (int i = n - 1; i >= 0; i--)
        devfs_make(list[i]->name, S_IFCHR | chrdev_perm(list[i]->name),
                   MKDEV(list[i]->major, list[i]->minor), NULL);
    memdev_init();
    devfs_make("pts", S_IFDIR | 0755, 0, NULL);
    devfs_make("shm", S_IFDIR | 01777, 0, NULL);
    devfs_make("fd", 0, 0, "/proc/self/fd");
    devfs_make("stdin", 0, 0, "/proc/self/fd/0");
    devfs_make("stdout", 0, 0, "/proc/self/fd/1");
    devfs_make("stderr", 0, 0, "/proc/self/fd/2");
}

/* Mount devtmpfs on /dev of the root filesystem. */
void devfs_mount_boot(void)
{
    if (vfs_mkdir_at(AT_FDCWD, "/dev", 0755) < 0)
        pr_warn("devfs: cannot create /dev\n");
    struct path dev;
    if (path_lookupat(AT_FDCWD, "/dev", LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &dev) < 0)
        return;
    mutex_lock(&vfs_ns_lock);
    int err = vfs_kern_mount(&dev, "devtmpfs", "devtmpfs", MS_NOSUID);
    mutex_unlock(&vfs_ns_lock);
    if (err < 0)
        pr_warn("devfs: cannot mount /dev: %d\n", err);
    path_put(&dev);
}
