/* SHA-256's compression function built with Zbb (kernel.mk adds it to -march for this file
 * only): its rotates become single ror/rori instructions, about a quarter fewer instructions
 * per block than the rv64imac build of the same C (lib/sha256_compress.h), which dm-verity
 * pays on every root block it reads. Only ever called when every hart's riscv,isa names zbb
 * (kernel/kernel/main.c); never by the host builds, which do not compile this file. */
#include "sha256.h"
#include "string.h"

#define SHA256_COMPRESS_NAME sha256_compress_zbb
#define SHA256_COMPRESS_LINKAGE
#include "sha256_compress.h"
