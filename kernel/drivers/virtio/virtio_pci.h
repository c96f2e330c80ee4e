/* The virtio-pci transport's private interface (virtio 1.2 §4.1): the layout of a modern
 * device's register blocks, found through its vendor-specific capabilities.
 *
 * virtio_pci_caps.c reads and checks the capabilities (pure: configuration reads and the BAR
 * table only, so it runs on the host in tests/unit/pci); virtio_pci.c maps the blocks and
 * drives the registers for the virtio core. */
#pragma once
#include "types.h"
#include "pci.h"

#define VIRTIO_PCI_VENDOR 0x1af4
/* Device ids (§4.1.2): 0x1000..0x103f transitional (the virtio type is the subsystem device
 * id), 0x1040 + type for modern-only devices. */
#define VIRTIO_PCI_TRANSITIONAL_FIRST 0x1000
#define VIRTIO_PCI_TRANSITIONAL_LAST 0x103f
#define VIRTIO_PCI_MODERN_FIRST 0x1040
#define VIRTIO_PCI_MODERN_LAST 0x107f

/* struct virtio_pci_cap (§4.1.4): byte offsets from the capability's start. */
#define VIRTIO_PCI_CAP_LEN 2
#define VIRTIO_PCI_CAP_CFG_TYPE 3
#define VIRTIO_PCI_CAP_BAR 4
#define VIRTIO_PCI_CAP_OFFSET 8
#define VIRTIO_PCI_CAP_LENGTH 12
#define VIRTIO_PCI_CAP_SIZE 16
#define VIRTIO_PCI_NOTIFY_MULTIPLIER 16     /* struct virtio_pci_notify_cap */
#define VIRTIO_PCI_NOTIFY_CAP_SIZE 20

/* cfg_type values. */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4

/* struct virtio_pci_common_cfg (§4.1.4.3). */
#define VP_DEVICE_FEATURE_SELECT 0x00   /* le32 */
#define VP_DEVICE_FEATURE 0x04          /* le32, read-only */
#define VP_DRIVER_FEATURE_SELECT 0x08   /* le32 */
#define VP_DRIVER_FEATURE 0x0c          /* le32 */
#define VP_CONFIG_MSIX_VECTOR 0x10      /* le16 */
#define VP_NUM_QUEUES 0x12              /* le16, read-only */
#define VP_DEVICE_STATUS 0x14           /* u8 */
#define VP_CONFIG_GENERATION 0x15       /* u8, read-only */
#define VP_QUEUE_SELECT 0x16            /* le16 */
#define VP_QUEUE_SIZE 0x18              /* le16 */
#define VP_QUEUE_MSIX_VECTOR 0x1a       /* le16 */
#define VP_QUEUE_ENABLE 0x1c            /* le16 */
#define VP_QUEUE_NOTIFY_OFF 0x1e        /* le16, read-only */
#define VP_QUEUE_DESC 0x20              /* le64, written as two le32 */
#define VP_QUEUE_DRIVER 0x28            /* le64 */
#define VP_QUEUE_DEVICE 0x30            /* le64 */
#define VP_COMMON_CFG_MIN 0x38          /* the virtio 1.0 structure: all we use */

/* Where one register block is: bytes [offset, offset + len) of BAR bar. */
struct virtio_pci_region {
    bool present;
    unsigned bar;
    uint64_t offset, len;
};

struct virtio_pci_layout {
    struct virtio_pci_region common, notify, isr, device;
    uint32_t notify_multiplier;     /* even (0: every queue notifies at the same address) */
};

/* The virtio device type of a function (VIRTIO_ID_*), or 0 if it is not a virtio device. */
uint32_t virtio_pci_device_type(const struct pci_dev *dev);

/* Read the capabilities of @dev into @out: the first usable instance of each structure type
 * (§4.1.4: a driver uses the first it can). Each is checked against its BAR (assigned, the
 * range inside it, aligned, long enough); unusable ones are logged and skipped.
 * 0; -ENODEV: no virtio capability at all (a legacy-only device); -EINVAL: the common,
 * notify or ISR structure is missing or unusable, or a device configuration structure is
 * offered but none is usable (logged). */
int virtio_pci_parse_caps(const struct pci_dev *dev, struct virtio_pci_layout *out);
