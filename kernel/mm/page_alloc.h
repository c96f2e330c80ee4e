/* mm-internal: the page allocator's setup and kmalloc's side table. */
#pragma once
#include "fdt.h"
void page_alloc_init(const struct fdt_region *mem, unsigned nmem, const struct fdt_region *excl,
                     unsigned nexcl);
bool page_is_managed(const void *page);
void page_set_large(void *page, size_t npages);
size_t page_get_large(void *page);
