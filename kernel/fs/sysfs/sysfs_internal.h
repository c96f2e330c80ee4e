/* sysfs internals: a small, read-only, table-driven synthetic filesystem with Linux's layout
 * for the few things tools read (/sys/class/net, /sys/block, /sys/devices/system/cpu,
 * /sys/bus/pci).
 *
 * A node is a `struct sysfs_entry`: a directory (with a `struct sysfs_dir`) or a read-only
 * attribute file (0444) whose one-line text a `show` function generates. A directory lists its
 * static entries, then children that come from the system (interfaces, disks, partitions,
 * PCI functions), each found by a key (ifindex, disk index, partition number, position in
 * the PCI device list) and carrying a `struct
 * sysfs_ctx` saying what it is about. The generic operations (lookup, listing, reading,
 * the superblock) are the pseudofs core's (../pseudofs.h), as for procfs.
 *
 * A symlink (S_IFLNK | 0777) has a `link` function that writes its target, relative as in
 * Linux (/sys/bus/pci/devices/X -> ../../../devices/pci0000:00/X).
 *
 * Files: sysfs_fs.c (sysfs's part of the pseudofs operations), sysfs_root.c (/sys and the
 * directories on the way), sysfs_net.c, sysfs_block.c, sysfs_cpu.c, sysfs_pci.c, sysfs_rtc.c
 * (the attributes). */
#pragma once
#include "../pseudofs.h"
#include "uapi/statfs.h"

#define SYSFS_NAME_MAX 32
#define SYSFS_ATTR_MAX 4096        /* an attribute's text is at most a page, as in Linux */

struct block_device;
struct rtc_device;
struct pci_dev;
struct pci_driver;

/* What a node is about. */
struct sysfs_ctx {
    char ifname[16];               /* /sys/class/net/<ifname> */
    union {                        /* all never freed */
        struct block_device *bdev;         /* /sys/block/<disk>[/<part>] */
        struct pci_dev *pdev;              /* a PCI function, or its host (sysfs_pci.c) */
        const struct pci_driver *pdrv;     /* /sys/bus/pci/drivers/<driver> */
        struct rtc_device *rtc;            /* /sys/class/rtc/rtcN */
    };
};

struct sysfs_dir;
struct sysfs_entry {
    struct pseudo_entry base;      /* name; mode S_IFDIR | 0555 or S_IFREG | 0444 */
    /* Files: write the text like snprintf (at most size bytes, NUL-terminated) and return
     * its length, or -errno (the object is gone, the value does not exist now). */
    int (*show)(const struct sysfs_ctx *c, char *buf, size_t size);
    /* Binary files (PCI config space): show fills up to size bytes, no NUL, and returns how
     * many. */
    bool binary;
    const struct sysfs_dir *dir;   /* directories */
    /* Symlinks: the target, like show (NUL-terminated); its length or -errno. */
    int (*link)(const struct sysfs_ctx *c, char *buf, size_t size);
};

struct sysfs_dir {
    const struct sysfs_entry *entries;
    size_t nentries;
    /* Children from the system, optional: the one with the smallest key >= from (keys are
     * below SYSFS_MAX_KEY): its name, context and entry; returns the key, or -1 if none. */
    long (*next_child)(const struct sysfs_ctx *parent, long from, char name[SYSFS_NAME_MAX],
                       struct sysfs_ctx *child, const struct sysfs_entry **entry);
};
#define SYSFS_MAX_KEY 128

/* The directories (sysfs_root.c, sysfs_net.c, sysfs_block.c, sysfs_cpu.c, sysfs_pci.c). */
extern const struct sysfs_dir sysfs_root_dir;
extern const struct sysfs_dir sysfs_class_net_dir;
extern const struct sysfs_dir sysfs_class_rtc_dir;
extern const struct sysfs_dir sysfs_block_dir;
extern const struct sysfs_dir sysfs_cpu_dir;
extern const struct sysfs_dir sysfs_bus_dir;
/* /sys/devices/pciDDDD:BB, one per PCI root bus: a next_child for /sys/devices. */
long sysfs_next_pci_root(const struct sysfs_ctx *parent, long from, char name[SYSFS_NAME_MAX],
                         struct sysfs_ctx *child, const struct sysfs_entry **entry);
