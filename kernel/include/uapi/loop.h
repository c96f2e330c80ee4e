/* Loop devices: Linux's linux/loop.h (ioctls, flags and the status structures, laid out as
 * on riscv64). */
#pragma once
#include "types.h"

#define LO_NAME_SIZE 64
#define LO_KEY_SIZE 32

/* lo_flags */
#define LO_FLAGS_READ_ONLY 1u
#define LO_FLAGS_AUTOCLEAR 4u           /* unbind at the last close */
#define LO_FLAGS_PARTSCAN 8u
#define LO_FLAGS_DIRECT_IO 16u

struct loop_info {                      /* the old one: int offset, 32-bit device numbers */
    int32_t lo_number;                  /* read-only */
    uint32_t lo_device;                 /* __kernel_old_dev_t is unsigned int on riscv64 */
    uint64_t lo_inode;                  /* read-only */
    uint32_t lo_rdevice;                /* read-only */
    int32_t lo_offset;
    int32_t lo_encrypt_type;
    int32_t lo_encrypt_key_size;
    int32_t lo_flags;
    char lo_name[LO_NAME_SIZE];
    uint8_t lo_encrypt_key[LO_KEY_SIZE];
    uint64_t lo_init[2];
    char reserved[4];
};
_Static_assert(sizeof(struct loop_info) == 160, "struct loop_info layout");

struct loop_info64 {
    uint64_t lo_device;                 /* backing file's st_dev (read-only) */
    uint64_t lo_inode;                  /* its inode number (read-only) */
    uint64_t lo_rdevice;                /* its st_rdev (read-only) */
    uint64_t lo_offset;
    uint64_t lo_sizelimit;              /* bytes, 0 = up to the end of the file */
    uint32_t lo_number;                 /* read-only */
    uint32_t lo_encrypt_type;
    uint32_t lo_encrypt_key_size;
    uint32_t lo_flags;
    uint8_t lo_file_name[LO_NAME_SIZE];
    uint8_t lo_crypt_name[LO_NAME_SIZE];
    uint8_t lo_encrypt_key[LO_KEY_SIZE];
    uint64_t lo_init[2];
};
_Static_assert(sizeof(struct loop_info64) == 232, "struct loop_info64 layout");

/* LOOP_CONFIGURE's argument: bind and set the status at once. */
struct loop_config {
    uint32_t fd;
    uint32_t block_size;
    struct loop_info64 info;
    uint64_t reserved[8];
};
_Static_assert(sizeof(struct loop_config) == 304, "struct loop_config layout");

/* ioctls of /dev/loopN */
#define LOOP_SET_FD 0x4C00
#define LOOP_CLR_FD 0x4C01
#define LOOP_SET_STATUS 0x4C02
#define LOOP_GET_STATUS 0x4C03
#define LOOP_SET_STATUS64 0x4C04
#define LOOP_GET_STATUS64 0x4C05
#define LOOP_CHANGE_FD 0x4C06
#define LOOP_SET_CAPACITY 0x4C07
#define LOOP_SET_DIRECT_IO 0x4C08
#define LOOP_SET_BLOCK_SIZE 0x4C09
#define LOOP_CONFIGURE 0x4C0A

/* ioctls of /dev/loop-control */
#define LOOP_CTL_ADD 0x4C80
#define LOOP_CTL_REMOVE 0x4C81
#define LOOP_CTL_GET_FREE 0x4C82
