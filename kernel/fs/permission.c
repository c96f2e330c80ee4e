/* Unix permission checks with the caller's filesystem credentials (fsuid, fsgid, groups).
 * Root (fsuid 0) has CAP_DAC_OVERRIDE semantics as in Linux: it may read and write anything,
 * search any directory, and execute a non-directory if any execute bit is set. */
#include "fs.h"
#include "perm_logic.h"

/* Before the first task exists (boot), the kernel acts as root. */
static const struct cred boot_cred = { .ngroups = 0 };

const struct cred *fs_cred(void)
{
    struct task *t = current;
    return t ? &t->cred : &boot_cred;
}

bool in_group(const struct cred *c, gid_t gid)
{
    if (c->fsgid == gid)
        return true;
    int n = c->ngroups < NGROUPS_MAX ? c->ngroups : NGROUPS_MAX;
    for (int i = 0; i < n; i++)
        if (c->groups[i] == gid)
            return true;
    return false;
}

bool fs_capable(void)
{
    return fs_cred()->fsuid == 0;
}

bool inode_owner_or_capable(struct inode *inode)
{
    const struct cred *c = fs_cred();
    return c->fsuid == 0 || c->fsuid == inode->uid;
}

int inode_permission(struct inode *inode, int mask)
{
    if (inode->iops && inode->iops->permission) {
        int err = inode->iops->permission(inode, mask);
        if (err)
            return err;
    }
    const struct cred *c = fs_cred();
    struct perm_subject s = {
        .uid = c->fsuid,
        .is_root = c->fsuid == 0,
        .in_group = in_group(c, inode->gid),
    };
    return perm_check(inode->mode, inode->uid, &s, mask) ? 0 : -EACCES;
}
