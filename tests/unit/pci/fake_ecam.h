/* A fake PCI configuration space for the host tests: functions with 4 KiB of config space each
 * and a write mask per byte, so BAR sizing (all ones in, size mask out), bridge bus numbers
 * and windows behave as on hardware. A function sits on the root bus or behind a bridge
 * function, and answers only when the bridges above it forward the bus number asked for, so a
 * wrong bus numbering finds nothing. Functions can be built by hand or loaded from a recorded
 * QEMU fixture (fixtures/NAME.cfg, written by record_config.py). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "pci_core.h"
#include "log_host.h"

#define FAKE_MAX_FNS 64

struct fake_fn {
    int behind;                 /* -1: root bus; else the index of the bridge above it */
    unsigned devfn;
    uint8_t cfg[4096];
    uint8_t wmask[4096];
    bool vanished;              /* reads as all ones except the id: pulled out mid-scan */
};

struct fake_ecam {
    struct fake_fn fn[FAKE_MAX_FNS];
    unsigned nfn;
    unsigned bus_start;         /* the root bus number */
    bool all_ones;              /* nothing answers at all */
    bool any_bus;               /* root-bus functions answer on every bus (a broken host) */
    unsigned reads, writes;
    unsigned bad_args;          /* accesses the core should never make (misaligned, ...) */
    unsigned sized_decoding;    /* all ones written to a BAR while the function decodes */
};

/* The accessor to put in pci_host.ops, with the fake as ops_ctx. */
extern const struct pci_cfg_ops fake_ops;

struct fake_ecam *fake_new(unsigned bus_start);
/* QEMU virt's host: buses 0-255, its ECAM size and I/O, 32- and 64-bit memory windows, named
 * @name; no interrupt-map. */
void fake_qemu_windows(struct pci_host_info *info, const char *name);
/* A function with the given identity; BARs, capabilities, pin added separately. Returns its
 * index. Writable like QEMU's: command, cache line, latency, interrupt line; bus numbers of a
 * bridge. */
int fake_add(struct fake_ecam *e, int behind, unsigned slot, unsigned func, uint16_t vendor,
             uint16_t device, uint32_t class, uint8_t hdr_type);
/* BAR @bar of @size bytes, @flags from PCI_RES_IO / MEM / MEM64 / PREFETCH / IO16. */
void fake_bar(struct fake_ecam *e, int idx, unsigned bar, unsigned flags, uint64_t size);
/* Which windows a bridge implements (the memory window always). */
void fake_bridge_windows(struct fake_ecam *e, int idx, bool io, bool io32, bool pref,
                         bool pref64);
/* A capability list: @n capabilities at @offs with @ids, linked in that order. */
void fake_caps(struct fake_ecam *e, int idx, const uint8_t *offs, const uint8_t *ids,
               unsigned n);
/* Load every function of a recorded fixture onto the root bus. Returns how many or -1. */
int fake_load(struct fake_ecam *e, const char *path);
/* Index of the function at @slot.@func among those loaded/added, or -1. */
int fake_find(const struct fake_ecam *e, int behind, unsigned slot, unsigned func);
/* Move function @idx behind bridge @bridge (or -1: the root bus), at @slot.@func. */
void fake_move(struct fake_ecam *e, int idx, int bridge, unsigned slot, unsigned func);

uint8_t fake_cfg8(const struct fake_ecam *e, int idx, unsigned off);
uint16_t fake_cfg16(const struct fake_ecam *e, int idx, unsigned off);
uint32_t fake_cfg32(const struct fake_ecam *e, int idx, unsigned off);
void fake_set8(struct fake_ecam *e, int idx, unsigned off, uint8_t v);
void fake_set16(struct fake_ecam *e, int idx, unsigned off, uint16_t v);
void fake_set32(struct fake_ecam *e, int idx, unsigned off, uint32_t v);

