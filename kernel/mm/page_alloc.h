/* mm-internal: kmalloc's side table in the page allocator (page_alloc_init is in mm.h). */
#pragma once
#include "types.h"
bool page_is_managed(const void *page);
void page_set_large(void *page, size_t npages);
size_t page_get_large(void *page);
