/* PCI configuration space layout (PCI Local Bus 3.0 ch. 6, PCI-to-PCI Bridge 1.2 ch. 3), with
 * Linux's names so code and datasheets read alike. Only what openv uses. */
#pragma once

/* Every function's header (types 0 and 1). */
#define PCI_VENDOR_ID 0x00              /* 16 bits; 0xffff: no function here */
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04                /* 16 bits */
#define PCI_COMMAND_IO 0x0001           /* decode I/O BARs */
#define PCI_COMMAND_MEMORY 0x0002       /* decode memory BARs */
#define PCI_COMMAND_MASTER 0x0004       /* may issue DMA */
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS 0x06                 /* 16 bits */
#define PCI_STATUS_CAP_LIST 0x0010      /* PCI_CAPABILITY_LIST is valid */
#define PCI_CLASS_REVISION 0x08         /* 32 bits: class << 8 | revision */
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_CLASS_DEVICE 0x0a           /* 16 bits: base class << 8 | sub class */
#define PCI_CACHE_LINE_SIZE 0x0c
#define PCI_LATENCY_TIMER 0x0d
#define PCI_HEADER_TYPE 0x0e
#define PCI_HEADER_TYPE_MASK 0x7f
#define PCI_HEADER_TYPE_NORMAL 0
#define PCI_HEADER_TYPE_BRIDGE 1
#define PCI_HEADER_TYPE_CARDBUS 2
#define PCI_HEADER_TYPE_MFD 0x80        /* functions 1..7 may exist */
#define PCI_BASE_ADDRESS_0 0x10         /* 6 BARs in type 0, 2 in type 1 */
#define PCI_BASE_ADDRESS_SPACE_IO 0x01
#define PCI_BASE_ADDRESS_MEM_TYPE_MASK 0x06
#define PCI_BASE_ADDRESS_MEM_TYPE_32 0x00
#define PCI_BASE_ADDRESS_MEM_TYPE_1M 0x02   /* "below 1 MiB", obsolete: treated as 32-bit */
#define PCI_BASE_ADDRESS_MEM_TYPE_64 0x04
#define PCI_BASE_ADDRESS_MEM_PREFETCH 0x08
#define PCI_BASE_ADDRESS_MEM_MASK 0xfffffff0u
#define PCI_BASE_ADDRESS_IO_MASK 0xfffffffcu
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d          /* 0 none, 1..4 = INTA..INTD */

/* Type 0 (endpoints). */
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_ROM_ADDRESS 0x30

/* Type 1 (PCI-to-PCI bridges). */
#define PCI_PRIMARY_BUS 0x18            /* 32 bits: primary, secondary, subordinate, latency */
#define PCI_SECONDARY_BUS 0x19
#define PCI_SUBORDINATE_BUS 0x1a
#define PCI_SEC_LATENCY_TIMER 0x1b
#define PCI_IO_BASE 0x1c                /* bits 7:4 = address 15:12 */
#define PCI_IO_LIMIT 0x1d
#define PCI_IO_RANGE_TYPE_MASK 0x0f
#define PCI_IO_RANGE_TYPE_32 0x01       /* the UPPER16 registers exist */
#define PCI_MEMORY_BASE 0x20            /* 16 bits; bits 15:4 = address 31:20 */
#define PCI_MEMORY_LIMIT 0x22
#define PCI_PREF_MEMORY_BASE 0x24
#define PCI_PREF_MEMORY_LIMIT 0x26
#define PCI_PREF_RANGE_TYPE_MASK 0x0f
#define PCI_PREF_RANGE_TYPE_64 0x01     /* the UPPER32 registers exist */
#define PCI_PREF_BASE_UPPER32 0x28
#define PCI_PREF_LIMIT_UPPER32 0x2c
#define PCI_IO_BASE_UPPER16 0x30
#define PCI_IO_LIMIT_UPPER16 0x32
#define PCI_ROM_ADDRESS1 0x38
#define PCI_BRIDGE_CONTROL 0x3e

/* Capability list entries: id, next pointer, then the capability's own registers. */
#define PCI_CAP_LIST_ID 0
#define PCI_CAP_LIST_NEXT 1
#define PCI_CAP_ID_PM 0x01
#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_VNDR 0x09            /* vendor specific (virtio's transport structures) */
#define PCI_CAP_ID_SHPC 0x0c
#define PCI_CAP_ID_SSVID 0x0d           /* a bridge's subsystem ids */
#define PCI_CAP_ID_EXP 0x10
#define PCI_CAP_ID_MSIX 0x11

/* Class codes (dev->class >> 8). */
#define PCI_CLASS_BRIDGE_HOST 0x0600
#define PCI_CLASS_BRIDGE_PCI 0x0604

#define PCI_VENDOR_ID_REDHAT_QUMRANET 0x1af4   /* virtio */
#define PCI_VENDOR_ID_REDHAT 0x1b36            /* QEMU's host and PCI bridges */

/* Device and function number of a slot: devfn = slot << 3 | function. */
#define PCI_DEVFN(slot, func) ((((slot) & 0x1f) << 3) | ((func) & 0x07))
#define PCI_SLOT(devfn) (((devfn) >> 3) & 0x1f)
#define PCI_FUNC(devfn) ((devfn) & 0x07)

#define PCI_CFG_SPACE_SIZE 256          /* conventional */
#define PCI_CFG_SPACE_EXP_SIZE 4096     /* PCIe, what ECAM maps per function */
