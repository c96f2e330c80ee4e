/* Reclaim of page-cache pages that processes map (docs/kernel.md, "The page cache"). Clean
 * pages nobody maps are the cache's own business (filemap_reclaim); pages that shared
 * mappings map are held by the page tables, so reclaim first unmaps the clean ones (they
 * fault back in), and dirty ones must be written back (by the flusher) before that. */
#include "kernel.h"
#include "mm.h"
#include "pagemap.h"
#include "time.h"
#include "vm_internal.h"

/* Freed for a fault that found no memory, before the OOM killer is considered: enough for
 * the fault to go on, few enough that the cache survives a brief squeeze. */
#define OOM_RECLAIM_PAGES 64
/* How long such a fault waits for the flusher to write dirty pages back. */
#define OOM_WRITEBACK_WAIT_NS (5 * NSEC_PER_SEC)
/* Below this share of RAM free, a fault of a shared file mapping frees mapped clean pages
 * (the same reserve get_cached_page keeps), in batches of this many. */
#define RESERVE_FRACTION 16
#define RESERVE_BATCH 512

bool reclaim_file_pages(void)
{
    if (filemap_reclaim(OOM_RECLAIM_PAGES))
        return true;
    if (unmap_clean_file_pages(OOM_RECLAIM_PAGES) && filemap_reclaim(OOM_RECLAIM_PAGES))
        return true;
    struct filemap_stats st;
    filemap_get_stats(&st);
    if (!st.dirty && !st.writeback)
        return false;
    filemap_writeback_wait(OOM_WRITEBACK_WAIT_NS);
    unmap_clean_file_pages(OOM_RECLAIM_PAGES);
    return filemap_reclaim(OOM_RECLAIM_PAGES) != 0;
}

void balance_file_pages(bool dirtied)
{
    if (dirtied)
        balance_dirty_pages();
    /* A big shared mapping fills memory with pages nobody else can free: one batch at a
     * time, so the page cache's clock is not walked fruitlessly at every fault. */
    if (pages_free() < pages_total() / RESERVE_FRACTION &&
        unmap_clean_file_pages(RESERVE_BATCH))
        filemap_reclaim(RESERVE_BATCH);
}
