/* mm-internal helpers shared by vma.c, fault.c and mmap.c. */
#pragma once
#include "vm.h"
struct vma *vma_alloc(void);
void vma_free(struct vma *v);
void vma_insert(struct mm_struct *mm, struct vma *v);
struct vma *vma_split(struct vma *v, uaddr_t addr);
void unmap_pages(struct mm_struct *mm, uaddr_t start, uaddr_t end);
bool range_is_free(struct mm_struct *mm, uaddr_t start, uaddr_t end);
/* oom.c: memory for a user page ran out. Kills the process with the largest resident set (or
 * waits for the last victim to die); true if the caller should retry the allocation, false
 * if it should fail with -ENOMEM (the caller is the victim, or no victim could be found). */
bool out_of_memory(void);
/* reclaim.c: free page-cache pages for a fault that found no memory, writing dirty ones
 * back first if need be; true if some were freed (the fault retries). No lock held. */
bool reclaim_file_pages(void);
/* reclaim.c: after a fault mapped a page of a shared file mapping (no lock held): keep the
 * free reserve by unmapping and freeing clean mapped cache pages, and throttle dirtiers. */
void balance_file_pages(bool dirtied);
