/* Physical pages and the kernel heap. */
#pragma once
#include "types.h"
#include "memlayout.h"

/* Physical page allocator. Pages are returned as kernel virtual addresses (direct map). */
struct fdt_region;
/* Boot: manage the RAM regions `mem` minus the `excl` ranges (kernel, FDT, initrd, reserved). */
void page_alloc_init(const struct fdt_region *mem, unsigned nmem, const struct fdt_region *excl,
                     unsigned nexcl);
void *page_alloc(void);              /* one zeroed page, NULL if memory is exhausted */
void *page_alloc_contig(size_t npages); /* physically contiguous zeroed pages (drivers) */
/* The same without zeroing, for callers that overwrite every byte (copies, stacks, kmalloc):
 * clearing a page is most of the cost of a fork or exec under emulation. */
void *page_alloc_raw(void);
void *page_alloc_contig_raw(size_t npages);
void page_free(void *page);
void page_free_contig(void *pages, size_t npages);
/* Reference counts for pages shared by several mappings (COW, page cache). page_alloc
 * returns a page with count 1; page_free drops one reference and frees at 0. */
void page_get(void *page);
unsigned page_refcount(void *page);
size_t pages_free(void);
size_t pages_total(void);

/* Kernel heap: any size; small sizes come from slabs, large ones from whole pages. */
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);
