/* The kernel's random numbers: a ChaCha20-based generator seeded from timer jitter at boot;
 * drivers (virtio-rng) add entropy with rng_add_entropy(). */
#pragma once
#include "types.h"
void rng_add_entropy(const void *data, size_t len);
void get_random_bytes(void *buf, size_t len);
uint64_t get_random_u64(void);
void random_init(void);   /* boot: the first seed */
