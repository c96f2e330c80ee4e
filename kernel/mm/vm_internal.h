/* mm-internal helpers shared by vma.c, fault.c and mmap.c. */
#pragma once
#include "vm.h"
struct vma *vma_alloc(void);
void vma_free(struct vma *v);
struct vma *find_vma(struct mm_struct *mm, uaddr_t addr);
void vma_insert(struct mm_struct *mm, struct vma *v);
struct vma *vma_split(struct vma *v, uaddr_t addr);
void unmap_pages(struct mm_struct *mm, uaddr_t start, uaddr_t end);
bool range_is_free(struct mm_struct *mm, uaddr_t start, uaddr_t end);
