/* The physical page allocator: a bitmap of free pages over the span of RAM, a reference count
 * per page (COW and shared mappings), and a next-fit hint so the common case is a short scan.
 * All memory the FDT describes is usable except the kernel image, the FDT blob, the initrd,
 * the reserved regions (OpenSBI's) and this allocator's own tables. */
#include "kernel.h"
#include "mm.h"
#include "string.h"
#include "spinlock.h"
#include "fdt.h"
#include "page_alloc.h"

static paddr_t ram_base;            /* lowest RAM address (page aligned) */
static size_t ram_pages;            /* pages from ram_base to the end of the highest region */
static uint64_t *free_map;          /* bit set = page free */
static uint32_t *refcounts;
static uint16_t *large_npages;      /* kmalloc: pages of a page-backed allocation */
static size_t free_count, total_count, hint;
static spinlock_t page_lock = SPINLOCK_INIT("pages");

/* Recently freed single pages, reused first (last in, first out), like Linux's per-cpu page
 * lists: a page that was just in use is still in the host's caches, which matters more under
 * emulation than anywhere, and taking it is O(1). They stay marked used in free_map with a
 * reference count of 0, and count as free. */
#define HOT_PAGES 128
static size_t hot[HOT_PAGES];
static unsigned nhot;

struct range {
    paddr_t start, end;
};

static bool overlaps(paddr_t s, paddr_t e, const struct range *r, int n, paddr_t *skip_to)
{
    for (int i = 0; i < n; i++)
        if (s < r[i].end && r[i].start < e) {
            *skip_to = r[i].end;
            return true;
        }
    return false;
}

static inline size_t pfn_of(const void *va) { return (size_t)((va_to_pa(va) - ram_base) >> PAGE_SHIFT); }
static inline void *va_of(size_t pfn) { return pa_to_va(ram_base + ((paddr_t)pfn << PAGE_SHIFT)); }
static inline bool is_free(size_t pfn) { return (free_map[pfn / 64] >> (pfn % 64)) & 1; }
static inline void set_free(size_t pfn) { free_map[pfn / 64] |= 1UL << (pfn % 64); }
static inline void set_used(size_t pfn) { free_map[pfn / 64] &= ~(1UL << (pfn % 64)); }

void page_alloc_init(const struct fdt_region *mem, unsigned nmem, const struct fdt_region *excl,
                     unsigned nexcl)
{
    struct range ex[FDT_MAX_RESERVED + 8];
    int nex = 0;
    paddr_t lo = ~0UL, hi = 0;
    for (unsigned i = 0; i < nmem; i++) {
        lo = MIN(lo, mem[i].base);
        hi = MAX(hi, mem[i].base + mem[i].size);
    }
    for (unsigned i = 0; i < nexcl && nex < (int)ARRAY_SIZE(ex) - 1; i++)
        if (excl[i].size)
            ex[nex++] = (struct range){ ALIGN_DOWN(excl[i].base, PAGE_SIZE),
                                        ALIGN_UP(excl[i].base + excl[i].size, PAGE_SIZE) };
    ram_base = ALIGN_UP(lo, PAGE_SIZE);
    hi = ALIGN_DOWN(hi, PAGE_SIZE);
    if (hi > 16UL << 30)   /* the direct map covers 16 GiB */
        hi = 16UL << 30;
    ram_pages = (hi - ram_base) >> PAGE_SHIFT;

    /* Place the tables in the first free spot of the first region. */
    size_t words = (ram_pages + 63) / 64;
    size_t meta = ALIGN_UP(words * 8 + ram_pages * 4 + ram_pages * 2, PAGE_SIZE);
    paddr_t at = ram_base, skip;
    while (overlaps(at, at + meta, ex, nex, &skip))
        at = ALIGN_UP(skip, PAGE_SIZE);
    if (at + meta > hi)
        panic("no room for the page tables of %zu pages", ram_pages);
    ex[nex++] = (struct range){ at, at + meta };
    uint8_t *m = pa_to_va(at);
    memset(m, 0, meta);
    free_map = (uint64_t *)m;
    refcounts = (uint32_t *)(m + words * 8);
    large_npages = (uint16_t *)(m + words * 8 + ram_pages * 4);

    for (unsigned i = 0; i < nmem; i++) {
        paddr_t s = ALIGN_UP(mem[i].base, PAGE_SIZE);
        paddr_t e = MIN(ALIGN_DOWN(mem[i].base + mem[i].size, PAGE_SIZE), hi);
        for (paddr_t p = s; p < e; p += PAGE_SIZE) {
            if (overlaps(p, p + PAGE_SIZE, ex, nex, &skip))
                continue;
            set_free((p - ram_base) >> PAGE_SHIFT);
            free_count++;
        }
    }
    total_count = free_count;
}

static long find_run(size_t n)
{
    for (int pass = 0; pass < 2; pass++) {
        size_t start = pass == 0 ? hint : 0, end = pass == 0 ? ram_pages : MIN(hint + n, ram_pages);
        size_t run = 0;
        for (size_t pfn = start; pfn < end; pfn++) {
            if (run == 0 && n == 1) {   /* skip whole used words quickly */
                while (pfn % 64 == 0 && pfn + 64 <= end && free_map[pfn / 64] == 0)
                    pfn += 64;
                if (pfn >= end)
                    break;
            }
            if (is_free(pfn)) {
                if (++run == n)
                    return (long)(pfn + 1 - n);
            } else {
                run = 0;
            }
        }
    }
    return -1;
}

static void *alloc_pages(size_t n, bool zero)
{
    irqflags_t f = spin_lock_irqsave(&page_lock);
    if (n == 1 && nhot) {
        size_t pfn = hot[--nhot];
        refcounts[pfn] = 1;
        free_count--;
        spin_unlock_irqrestore(&page_lock, f);
        void *p = va_of(pfn);
        if (zero)
            memset(p, 0, PAGE_SIZE);
        return p;
    }
    long pfn = free_count >= n ? find_run(n) : -1;
    if (pfn < 0 && nhot) {   /* a contiguous run may need the cached pages back */
        while (nhot)
            set_free(hot[--nhot]);
        pfn = find_run(n);
    }
    if (pfn < 0) {
        spin_unlock_irqrestore(&page_lock, f);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        set_used((size_t)pfn + i);
        refcounts[pfn + i] = 1;
    }
    free_count -= n;
    hint = (size_t)pfn + n;
    spin_unlock_irqrestore(&page_lock, f);
    void *p = va_of((size_t)pfn);
    if (zero)
        memset(p, 0, n * PAGE_SIZE);
    return p;
}

void *page_alloc(void) { return alloc_pages(1, true); }
void *page_alloc_contig(size_t npages) { return npages ? alloc_pages(npages, true) : NULL; }
void *page_alloc_raw(void) { return alloc_pages(1, false); }
void *page_alloc_contig_raw(size_t npages) { return npages ? alloc_pages(npages, false) : NULL; }

static void free_one_locked(size_t pfn)
{
    if (is_free(pfn) || refcounts[pfn] == 0)
        panic("page_free: page %lx is not allocated", (unsigned long)(ram_base + (pfn << PAGE_SHIFT)));
    if (--refcounts[pfn] == 0) {
        if (nhot < HOT_PAGES)
            hot[nhot++] = pfn;
        else
            set_free(pfn);
        free_count++;
    }
}

static bool managed(const void *page)
{
    paddr_t pa = va_to_pa(page);
    return pa >= ram_base && ((pa - ram_base) >> PAGE_SHIFT) < ram_pages;
}

void page_free(void *page)
{
    if (!page)
        return;
    BUG_ON(!managed(page) || ((uintptr_t)page & (PAGE_SIZE - 1)));
    irqflags_t f = spin_lock_irqsave(&page_lock);
    free_one_locked(pfn_of(page));
    spin_unlock_irqrestore(&page_lock, f);
}

void page_free_contig(void *pages, size_t npages)
{
    irqflags_t f = spin_lock_irqsave(&page_lock);
    for (size_t i = 0; i < npages; i++)
        free_one_locked(pfn_of((char *)pages + i * PAGE_SIZE));
    spin_unlock_irqrestore(&page_lock, f);
}

void page_get(void *page)
{
    BUG_ON(!managed(page));
    __atomic_add_fetch(&refcounts[pfn_of(page)], 1, __ATOMIC_RELAXED);
}

unsigned page_refcount(void *page) { return READ_ONCE(refcounts[pfn_of(page)]); }
bool page_is_managed(const void *page) { return managed(page); }
size_t pages_free(void) { return free_count; }
size_t pages_total(void) { return total_count; }

void page_set_large(void *page, size_t npages) { large_npages[pfn_of(page)] = (uint16_t)npages; }
size_t page_get_large(void *page) { return large_npages[pfn_of(page)]; }
