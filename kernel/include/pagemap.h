/* The page cache (mm/filemap.c): the pages of a file's contents, indexed by file page number,
 * shared by read(2), write(2) and every mapping of the file (Linux's address_space in spirit).
 *
 * A filesystem owns one struct address_space per file it caches and fills it itself (the cache
 * never calls a filesystem): it looks a page up, and on a miss reads it and adds it. A cached
 * page holds one reference of its own (mm.h's page refcounts); everyone who maps or copies it
 * takes another, so a page whose count is 1 is used by nobody but the cache.
 *
 * Dirty pages are the ones a shared mapping wrote (write(2) writes through to the filesystem
 * and into the cached page at once): shared mappings map a page read-only until the first
 * write faults and marks it dirty. Write-back first write-protects the file's shared mappings
 * (vm.h's wrprotect_file_pages), then cleans each page just before writing it, so a write
 * that comes later faults and dirties it again. Clean pages nobody maps are dropped under
 * memory pressure (filemap_reclaim, least recently used first) and by drop_caches; mapped
 * ones once mm/reclaim.c has unmapped them (after write-back if they were dirty).
 *
 * Locking: one spinlock inside filemap.c; nothing here sleeps or allocates under it, and no
 * callback runs under it. Filling a page and adding it must be serialised against writes of
 * the same file by the filesystem (diskfs does both under its lock), so a stale page never
 * enters the cache. */
#pragma once
#include "types.h"
#include "list.h"

struct address_space {
    struct list_head clean, dirty;    /* its struct cached_page's */
    size_t nrpages, nrdirty;
};

void mapping_init(struct address_space *m);
/* The cached page `index` with a new reference for the caller (page_free drops it), or NULL. */
void *filemap_find(struct address_space *m, uint64_t index);
/* Whether page `index` is cached (no reference, no second chance for reclaim): read-ahead's
 * look around. */
bool filemap_cached(struct address_space *m, uint64_t index);
/* Put `page` in the cache at `index`; the cache takes over the caller's reference. 0, or
 * -ENOMEM (the page is then still the caller's), -EEXIST (already cached: the caller's). */
int filemap_add(struct address_space *m, uint64_t index, void *page);
/* Copy len bytes of src (NULL: zeros) over the cached bytes of [off, off+len): keeps cached
 * pages equal to what write(2) or a size change put in the file. Uncached pages are skipped. */
void filemap_update(struct address_space *m, uint64_t off, const void *src, size_t len);
/* Forget the pages from `index` on (truncate), dirty or not; mappings keep their references. */
void filemap_truncate(struct address_space *m, uint64_t index);
/* A shared mapping is about to write page `index`. */
void filemap_mark_dirty(struct address_space *m, uint64_t index);
/* Write every dirty page through write(ctx, index, page) (0 or -errno); each is clean from
 * just before its write, dirty again if the write fails. The caller has write-protected the
 * file's shared mappings. Returns the first error. */
int filemap_writeback(struct address_space *m, int (*write)(void *ctx, uint64_t index, void *page),
                      void *ctx);
size_t filemap_nrpages(struct address_space *m);
size_t filemap_nrdirty(struct address_space *m);

/* Drop up to `want` clean pages nobody maps, least recently used first. Returns how many. */
size_t filemap_reclaim(size_t want);
/* For /proc/meminfo: pages cached, of those dirty, and being written right now. */
struct filemap_stats {
    size_t cached, dirty, writeback;
};
void filemap_get_stats(struct filemap_stats *s);

/* Write-back requests (mm/writeback.c). Besides sync, fsync and msync, dirty pages are written
 * by the flusher: every few seconds, when a writer dirties more than a background share of
 * RAM, and when memory runs out. A writer past the dirty limit waits (bounded) for the
 * flusher, as Linux's balance_dirty_pages, so dirty pages, which only write-back can free,
 * never crowd out the rest of memory. */
/* The flusher: sleep until write-back is asked for or the deadline (monotonic ns)... */
void filemap_flusher_wait(uint64_t deadline_ns);
/* ...and say when the round it then made (every dirty page written once) is over. */
void filemap_flusher_done(void);
/* Ask the flusher for a round and wait for its end, at most timeout_ns. Call it holding no
 * lock the flusher takes (mm->lock, a filesystem's). */
void filemap_writeback_wait(uint64_t timeout_ns);
/* A shared mapping dirtied a page (call it holding no lock): wake the flusher past the
 * background share, and wait for it past the dirty limit. */
void balance_dirty_pages(void);
