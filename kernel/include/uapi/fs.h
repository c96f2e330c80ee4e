/* Files and block devices: Linux's linux/fs.h (the lseek whence values and the block device
 * ioctls). The _IO/_IOR numbers are written out, with the expression Linux writes beside them.
 * (The RENAME_* flags of linux/fs.h are in uapi/fcntl.h, next to the other *at() flags.) */
#pragma once
#include "types.h"

/* lseek(2) whence */
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define SEEK_DATA 3
#define SEEK_HOLE 4
#define SEEK_MAX SEEK_HOLE

/* Block device ioctls */
#define BLKROSET 0x125d                 /* _IO(0x12, 93): set read-only (int) */
#define BLKROGET 0x125e                 /* _IO(0x12, 94): get read-only (int) */
#define BLKRRPART 0x125f                /* _IO(0x12, 95): re-read the partition table */
#define BLKGETSIZE 0x1260               /* _IO(0x12, 96): size in 512-byte sectors (long) */
#define BLKFLSBUF 0x1261                /* _IO(0x12, 97): flush the buffer cache */
#define BLKSSZGET 0x1268                /* _IO(0x12, 104): logical block size (int) */
#define BLKBSZGET 0x80081270            /* _IOR(0x12, 112, size_t): soft block size */
#define BLKGETSIZE64 0x80081272         /* _IOR(0x12, 114, size_t): size in bytes (u64) */
#define BLKPBSZGET 0x127b               /* _IO(0x12, 123): physical block size */
