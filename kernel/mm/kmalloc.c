/* The kernel heap. Sizes up to 1 KiB come from per-size-class slabs (one page each, a header
 * at the start, objects after it, so a slab object is never page aligned); larger requests
 * get whole contiguous pages, page aligned, their page count kept in the allocator's table.
 * kfree() tells the two apart by the alignment. */
#include "kernel.h"
#include "mm.h"
#include "list.h"
#include "string.h"
#include "spinlock.h"
#include "page_alloc.h"

#define SLAB_MAGIC 0x51ab51abu
#define SLAB_HEADER 64
#define NCLASSES 7   /* 16 .. 1024 */

struct slab {
    uint32_t magic;
    uint32_t size;
    uint32_t inuse;
    uint32_t total;
    void *freelist;
    struct list_head node;       /* in the class's partial list while it has free objects */
    struct kmem_class *cls;
};
_Static_assert(sizeof(struct slab) <= SLAB_HEADER, "slab header");

struct kmem_class {
    uint32_t size;
    struct list_head partial;
    spinlock_t lock;
};

static struct kmem_class classes[NCLASSES];

static void kmalloc_init_once(void)
{
    for (int i = 0; i < NCLASSES; i++) {
        classes[i].size = 16u << i;
        list_init(&classes[i].partial);
        spin_init(&classes[i].lock, "kmalloc");
    }
}

static struct slab *slab_new(struct kmem_class *c)
{
    struct slab *s = page_alloc();
    if (!s)
        return NULL;
    s->magic = SLAB_MAGIC;
    s->size = c->size;
    s->cls = c;
    s->total = (uint32_t)((PAGE_SIZE - SLAB_HEADER) / c->size);
    s->inuse = 0;
    s->freelist = NULL;
    for (int i = (int)s->total - 1; i >= 0; i--) {
        void **obj = (void **)((char *)s + SLAB_HEADER + (size_t)i * c->size);
        *obj = s->freelist;
        s->freelist = obj;
    }
    list_add(&s->node, &c->partial);
    return s;
}

void *kmalloc(size_t size)
{
    static bool ready;
    if (unlikely(!ready)) {
        kmalloc_init_once();
        ready = true;
    }
    if (size == 0)
        size = 1;
    if (size > 1024) {
        size_t n = ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE;
        if (n > 0xffff)
            return NULL;
        void *p = page_alloc_contig_raw(n);
        if (p)
            page_set_large(p, n);
        return p;
    }
    int ci = 0;
    while ((16u << ci) < size)
        ci++;
    struct kmem_class *c = &classes[ci];
    irqflags_t f = spin_lock_irqsave(&c->lock);
    struct slab *s = list_empty(&c->partial) ? slab_new(c)
                                             : list_first_entry(&c->partial, struct slab, node);
    if (!s) {
        spin_unlock_irqrestore(&c->lock, f);
        return NULL;
    }
    void **obj = s->freelist;
    s->freelist = *obj;
    if (++s->inuse == s->total)
        list_del(&s->node);
    spin_unlock_irqrestore(&c->lock, f);
    /* Slab pages come zeroed; a recycled object has only its link word dirty, but callers
     * must not rely on that: kzalloc zeroes. */
    return obj;
}

void *kzalloc(size_t size)
{
    void *p = kmalloc(size);
    if (p)
        memset(p, 0, size);
    return p;
}

void kfree(void *p)
{
    if (!p)
        return;
    if (((uintptr_t)p & (PAGE_SIZE - 1)) == 0) {
        page_free_contig(p, page_get_large(p));
        return;
    }
    struct slab *s = (struct slab *)ALIGN_DOWN((uintptr_t)p, PAGE_SIZE);
    if (s->magic != SLAB_MAGIC)
        panic("kfree: %p is not a heap object", p);
    struct kmem_class *c = s->cls;
    irqflags_t f = spin_lock_irqsave(&c->lock);
    *(void **)p = s->freelist;
    s->freelist = p;
    if (s->inuse-- == s->total)
        list_add(&s->node, &c->partial);
    if (s->inuse == 0 && c->partial.next != &s->node) {   /* keep one empty slab per class */
        list_del(&s->node);
        s->magic = 0;
        spin_unlock_irqrestore(&c->lock, f);
        page_free(s);
        return;
    }
    spin_unlock_irqrestore(&c->lock, f);
}
