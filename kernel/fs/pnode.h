/* Mount propagation ("shared subtrees", Linux's Documentation/filesystems/sharedsubtree.rst):
 * peer groups, slaves, and the copies a mount or umount makes in them. Everything here runs
 * under vfs_ns_lock. Internal to kernel/fs (mount.c and pnode.c). */
#pragma once
#include "fs.h"

/* A new mount starts private. */
void pnode_init(struct mount *m);
/* mount --make-{shared,private,slave,unbindable}: `type` is one of MS_SHARED, MS_PRIVATE,
 * MS_SLAVE, MS_UNBINDABLE. */
void pnode_set_type(struct mount *m, unsigned long type);
/* A bind mount `copy` of `src` receives what src receives: it joins src's peer group and has
 * src's master. */
void pnode_bind(struct mount *src, struct mount *copy);
/* m has just been attached: when its parent is shared, m becomes shared and a copy of it is
 * mounted at the same place in every mount that receives from the parent's peer group
 * (peers, and slaves at any depth). */
int pnode_propagate_mount(struct mount *m);
/* The copies an umount of m takes with it: for every receiver of m's parent, the mount on top
 * of the same place, if it has no mounts of its own. Fills out[] (each with a reference) and
 * returns how many, at most max. */
int pnode_umount_list(struct mount *m, struct mount **out, int max);
/* m leaves the tree: it leaves its peer group and its master, and hands its slaves on to a
 * peer (or to its own master). */
void pnode_forget(struct mount *m);
/* For mountinfo: the peer group m is in (0: none) and the group of its master (0: none). */
int pnode_group(const struct mount *m);
int pnode_master_group(const struct mount *m);

/* mount.c: a copy of src (same superblock and root) attached on `parent` at `d`. */
struct mount *mount_copy_at(struct mount *src, struct mount *parent, struct dentry *d);
/* mount.c: true if some mount sits on a mountpoint inside m. */
bool mount_has_children(struct mount *m);
