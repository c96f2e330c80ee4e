/* Mounting: Linux's linux/mount.h (the mount(2) flags, MS_*) and the umount2(2) flags that
 * Linux keeps in include/linux/fs.h and user space gets from sys/mount.h (MNT_*,
 * UMOUNT_NOFOLLOW). */
#pragma once
#include "types.h"

#define MS_RDONLY 1ul               /* mount read-only */
#define MS_NOSUID 2ul               /* ignore set-user-ID and set-group-ID bits */
#define MS_NODEV 4ul                /* no access to device special files */
#define MS_NOEXEC 8ul               /* no program execution */
#define MS_SYNCHRONOUS 16ul         /* writes are synced at once */
#define MS_REMOUNT 32ul             /* change the flags of a mounted filesystem */
#define MS_MANDLOCK 64ul
#define MS_DIRSYNC 128ul            /* directory changes are synchronous */
#define MS_NOSYMFOLLOW 256ul        /* do not follow symlinks */
#define MS_NOATIME 1024ul
#define MS_NODIRATIME 2048ul
#define MS_BIND 4096ul
#define MS_MOVE 8192ul
#define MS_REC 16384ul
#define MS_SILENT 32768ul
#define MS_POSIXACL (1ul << 16)
#define MS_UNBINDABLE (1ul << 17)
#define MS_PRIVATE (1ul << 18)
#define MS_SLAVE (1ul << 19)
#define MS_SHARED (1ul << 20)
#define MS_RELATIME (1ul << 21)
#define MS_KERNMOUNT (1ul << 22)
#define MS_I_VERSION (1ul << 23)
#define MS_STRICTATIME (1ul << 24)
#define MS_LAZYTIME (1ul << 25)

/* Old programs put this magic number in the high 16 bits of the flags. */
#define MS_MGC_VAL 0xc0ed0000ul
#define MS_MGC_MSK 0xffff0000ul

/* umount2(2) */
#define MNT_FORCE 1                 /* force unmounting */
#define MNT_DETACH 2                /* just detach from the tree */
#define MNT_EXPIRE 4                /* mark for expiry */
#define UMOUNT_NOFOLLOW 8           /* do not follow a final symlink */
