/* procfs: placeholder until the per-task directories are written (see the report). Registers
 * the "proc" type so `mount -t proc` succeeds with an empty tree. */
#include "vfs.h"

static int proc_get_sb(struct file_system_type *type, const char *source, unsigned long flags,
                       const void *data, struct super_block **out)
{
    (void)source; (void)flags; (void)data;
    struct super_block *sb = tmpfs_new_sb(type);
    if (!sb)
        return -ENOMEM;
    sb->magic = 0x9fa0;     /* PROC_SUPER_MAGIC */
    sb->root->inode->mode = S_IFDIR | 0555;
    *out = sb;
    return 0;
}

static struct file_system_type proc_type = {
    .name = "proc",
    .get_sb = proc_get_sb,
    .nodev = true,
};

void procfs_init(void)
{
    register_filesystem(&proc_type);
}
