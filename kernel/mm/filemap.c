/* The page cache: include/pagemap.h says what it is for and its rules.
 *
 * Every cached page is a struct cached_page in one global hash table keyed by (mapping,
 * index), on its mapping's clean or dirty list, and on one global LRU list that reclaim walks
 * as a clock (a page found since the last pass gets a second chance). */
#include "kernel.h"
#include "mm.h"
#include "pagemap.h"
#include "spinlock.h"
#include "string.h"

#define FILEMAP_HASH_BITS 12
#define FILEMAP_BUCKETS (1u << FILEMAP_HASH_BITS)

struct cached_page {
    struct list_head hash;        /* in its bucket */
    struct list_head lru;         /* in filemap_lru, oldest first */
    struct list_head list;        /* in its mapping's clean or dirty list */
    struct address_space *mapping;
    uint64_t index;
    void *page;
    bool dirty;
    bool referenced;              /* found since reclaim last passed it */
};

static spinlock_t filemap_lock = SPINLOCK_INIT("filemap");
static struct list_head buckets[FILEMAP_BUCKETS];
static bool buckets_ready;
static LIST_HEAD(filemap_lru);
static size_t nr_cached, nr_dirty, nr_writeback;

static struct list_head *bucket(struct address_space *m, uint64_t index)
{
    uint64_t k = ((uint64_t)(uintptr_t)m >> 6) * 0x9e3779b97f4a7c15ull + index;
    k *= 0x9e3779b97f4a7c15ull;
    return &buckets[k >> (64 - FILEMAP_HASH_BITS)];
}

void mapping_init(struct address_space *m)
{
    list_init(&m->clean);
    list_init(&m->dirty);
    m->nrpages = m->nrdirty = 0;
    spin_lock(&filemap_lock);
    if (!buckets_ready) {
        for (unsigned i = 0; i < FILEMAP_BUCKETS; i++)
            list_init(&buckets[i]);
        buckets_ready = true;
    }
    spin_unlock(&filemap_lock);
}

/* Lock held. */
static struct cached_page *lookup(struct address_space *m, uint64_t index)
{
    struct cached_page *cp;
    struct list_head *b = bucket(m, index);
    list_for_each_entry(cp, b, hash)
        if (cp->mapping == m && cp->index == index)
            return cp;
    return NULL;
}

void *filemap_find(struct address_space *m, uint64_t index)
{
    void *page = NULL;
    spin_lock(&filemap_lock);
    struct cached_page *cp = lookup(m, index);
    if (cp) {
        cp->referenced = true;
        page = cp->page;
        page_get(page);
    }
    spin_unlock(&filemap_lock);
    return page;
}

bool filemap_cached(struct address_space *m, uint64_t index)
{
    spin_lock(&filemap_lock);
    bool found = lookup(m, index) != NULL;
    spin_unlock(&filemap_lock);
    return found;
}

int filemap_add(struct address_space *m, uint64_t index, void *page)
{
    struct cached_page *cp = kmalloc(sizeof(*cp));    /* not under the lock: it may reclaim */
    if (!cp)
        return -ENOMEM;
    cp->mapping = m;
    cp->index = index;
    cp->page = page;
    cp->dirty = false;
    cp->referenced = false;
    spin_lock(&filemap_lock);
    if (lookup(m, index)) {
        spin_unlock(&filemap_lock);
        kfree(cp);
        return -EEXIST;
    }
    list_add(&cp->hash, bucket(m, index));
    list_add_tail(&cp->lru, &filemap_lru);
    list_add_tail(&cp->list, &m->clean);
    m->nrpages++;
    nr_cached++;
    spin_unlock(&filemap_lock);
    return 0;
}

/* Lock held: take cp out of the cache. Returns its page, whose cache reference the caller
 * drops (after unlocking). */
static void *remove_locked(struct cached_page *cp)
{
    void *page = cp->page;
    list_del(&cp->hash);
    list_del(&cp->lru);
    list_del(&cp->list);
    cp->mapping->nrpages--;
    nr_cached--;
    if (cp->dirty) {
        cp->mapping->nrdirty--;
        nr_dirty--;
    }
    kfree(cp);
    return page;
}

void filemap_update(struct address_space *m, uint64_t off, const void *src, size_t len)
{
    const char *s = src;
    spin_lock(&filemap_lock);
    while (len) {
        size_t in = (size_t)(off % PAGE_SIZE);
        size_t n = MIN(len, PAGE_SIZE - in);
        struct cached_page *cp = lookup(m, off / PAGE_SIZE);
        if (cp) {
            if (s)
                memcpy((char *)cp->page + in, s, n);
            else
                memset((char *)cp->page + in, 0, n);
        }
        if (s)
            s += n;
        off += n;
        len -= n;
    }
    spin_unlock(&filemap_lock);
}

void filemap_truncate(struct address_space *m, uint64_t index)
{
    struct list_head *lists[] = { &m->clean, &m->dirty };
    for (;;) {
        /* In batches, so the pages are freed outside the lock. */
        void *batch[64];
        size_t n = 0;
        spin_lock(&filemap_lock);
        for (size_t i = 0; i < 2; i++) {
            struct cached_page *cp, *next;
            list_for_each_entry_safe(cp, next, lists[i], list) {
                if (n == ARRAY_SIZE(batch))
                    break;
                if (cp->index >= index)
                    batch[n++] = remove_locked(cp);
            }
        }
        spin_unlock(&filemap_lock);
        for (size_t i = 0; i < n; i++)
            page_free(batch[i]);
        if (n < ARRAY_SIZE(batch))
            return;
    }
}

/* Lock held: make cp dirty. */
static void dirty_locked(struct cached_page *cp)
{
    struct address_space *m = cp->mapping;
    cp->dirty = true;
    list_del(&cp->list);
    list_add_tail(&cp->list, &m->dirty);
    m->nrdirty++;
    nr_dirty++;
}

void filemap_mark_dirty(struct address_space *m, uint64_t index)
{
    spin_lock(&filemap_lock);
    struct cached_page *cp = lookup(m, index);
    if (cp && !cp->dirty)
        dirty_locked(cp);
    spin_unlock(&filemap_lock);
}

/* Lock held: make cp clean. */
static void clean_locked(struct cached_page *cp)
{
    struct address_space *m = cp->mapping;
    cp->dirty = false;
    list_del(&cp->list);
    list_add_tail(&cp->list, &m->clean);
    m->nrdirty--;
    nr_dirty--;
}

int filemap_writeback(struct address_space *m, int (*write)(void *ctx, uint64_t index, void *page),
                      void *ctx)
{
    int err = 0;
    /* Each page once: one whose write fails goes back to the end of the dirty list. */
    for (size_t todo = filemap_nrdirty(m); todo; todo--) {
        spin_lock(&filemap_lock);
        if (list_empty(&m->dirty)) {
            spin_unlock(&filemap_lock);
            break;
        }
        struct cached_page *cp = list_first_entry(&m->dirty, struct cached_page, list);
        uint64_t index = cp->index;
        void *page = cp->page;
        page_get(page);
        /* Clean before the write: a write through a mapping from now on faults (the caller
         * write-protected them) and dirties it again, for the next write-back. */
        clean_locked(cp);
        nr_writeback++;
        spin_unlock(&filemap_lock);
        int e = write(ctx, index, page);
        spin_lock(&filemap_lock);
        nr_writeback--;
        cp = e ? lookup(m, index) : NULL;
        if (cp && cp->page == page && !cp->dirty)
            dirty_locked(cp);
        spin_unlock(&filemap_lock);
        page_free(page);
        if (e && !err)
            err = e;
    }
    return err;
}

size_t filemap_nrpages(struct address_space *m)
{
    spin_lock(&filemap_lock);
    size_t n = m->nrpages;
    spin_unlock(&filemap_lock);
    return n;
}

size_t filemap_nrdirty(struct address_space *m)
{
    spin_lock(&filemap_lock);
    size_t n = m->nrdirty;
    spin_unlock(&filemap_lock);
    return n;
}

size_t filemap_reclaim(size_t want)
{
    size_t freed = 0;
    while (freed < want) {
        void *page = NULL;
        spin_lock(&filemap_lock);
        /* One pass of the clock at most: each page is looked at twice (once to clear its
         * referenced bit), then we give up. */
        for (size_t look = 2 * nr_cached; look && !list_empty(&filemap_lru); look--) {
            struct cached_page *cp = list_first_entry(&filemap_lru, struct cached_page, lru);
            if (!cp->dirty && !cp->referenced && page_refcount(cp->page) == 1) {
                page = remove_locked(cp);
                break;
            }
            cp->referenced = false;
            list_del(&cp->lru);
            list_add_tail(&cp->lru, &filemap_lru);
        }
        spin_unlock(&filemap_lock);
        if (!page)
            break;
        page_free(page);
        freed++;
    }
    return freed;
}

void filemap_get_stats(struct filemap_stats *s)
{
    spin_lock(&filemap_lock);
    s->cached = nr_cached;
    s->dirty = nr_dirty;
    s->writeback = nr_writeback;
    spin_unlock(&filemap_lock);
}
