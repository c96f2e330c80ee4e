/* Split virtqueues (virtio 1.2 §2.7): descriptor chains from a free list, the available ring
 * we write, the used ring the device writes.
 *
 * The free list and each chain's links live in driver memory (next_free[]), not in the
 * descriptor table, so what a device does to the table cannot corrupt our bookkeeping; and
 * everything read from the used ring is checked before use. Indirect descriptors and
 * VIRTIO_F_EVENT_IDX are not used (neither is negotiated).
 */
#include "kernel.h"
#include "virtio.h"

/* Order ring memory accesses with each other (no device registers involved). */
static inline void ring_fence(void)
{
#if defined(__riscv)
    __asm__ volatile("fence rw, rw" ::: "memory");
#else
    __sync_synchronize();
#endif
}

static void vq_report(struct virtqueue *vq, const char *what, unsigned long long value)
{
    if (!vq->broken)
        pr_err("%s: queue %u: %s (%llu): device not trusted any more\n", vq->vdev->name,
               vq->index, what, value);
    vq->broken = true;
}

int virtqueue_add(struct virtqueue *vq, const struct vq_sg *sg, unsigned out, unsigned in,
                  void *token)
{
    unsigned total = out + in;
    if (vq->broken)
        return -EIO;
    if (!token || total == 0 || total > vq->num)
        return -EINVAL;
    if (vq->num_free < total)
        return -ENOSPC;

    uint16_t head = vq->free_head, idx = head;
    uint32_t writable = 0;
    for (unsigned i = 0; i < total; i++) {
        struct virtq_desc *d = &vq->desc[idx];
        d->addr = sg[i].addr;
        d->len = sg[i].len;
        d->flags = (uint16_t)((i + 1 < total ? VIRTQ_DESC_F_NEXT : 0) |
                              (i >= out ? VIRTQ_DESC_F_WRITE : 0));
        if (i >= out)
            writable += sg[i].len;
        idx = vq->next_free[idx];
        d->next = i + 1 < total ? idx : 0;
    }
    vq->free_head = idx;
    vq->num_free = (uint16_t)(vq->num_free - total);
    vq->chain_len[head] = (uint16_t)total;
    vq->in_bytes[head] = writable;
    vq->tokens[head] = token;

    /* The descriptors and the ring slot must be visible before the index that publishes
     * them (§2.7.13). */
    vq->avail->ring[vq->avail_idx & (vq->num - 1)] = head;
    ring_fence();
    vq->avail_idx++;
    WRITE_ONCE(vq->avail->idx, vq->avail_idx);
    return 0;
}

/* Return the chain at head to the free list (its links are still in next_free[]). */
static void free_chain(struct virtqueue *vq, uint16_t head)
{
    uint16_t n = vq->chain_len[head], last = head;
    for (uint16_t i = 1; i < n; i++)
        last = vq->next_free[last];
    vq->next_free[last] = vq->free_head;
    vq->free_head = head;
    vq->num_free = (uint16_t)(vq->num_free + n);
    vq->chain_len[head] = 0;
    vq->tokens[head] = NULL;
}

void *virtqueue_get_buf(struct virtqueue *vq, uint32_t *len)
{
    if (vq->broken)
        return NULL;
    uint16_t used_idx = READ_ONCE(vq->used->idx);
    if (used_idx == vq->last_used)
        return NULL;
    /* Read the entry only after seeing the index that published it. */
    ring_fence();
    uint16_t pending = (uint16_t)(used_idx - vq->last_used);
    uint16_t in_flight = (uint16_t)(vq->num - vq->num_free);
    if (pending > in_flight) {
        vq_report(vq, "used index ran ahead of the requests in flight", used_idx);
        return NULL;
    }
    struct virtq_used_elem e = vq->used->ring[vq->last_used & (vq->num - 1)];
    vq->last_used++;
    if (e.id >= vq->num || !vq->tokens[e.id]) {
        vq_report(vq, "used entry names a descriptor not in flight", e.id);
        return NULL;
    }
    if (e.len > vq->in_bytes[e.id]) {
        pr_warn("%s: queue %u: device claims %u bytes written into %u\n", vq->vdev->name,
                vq->index, e.len, vq->in_bytes[e.id]);
        e.len = vq->in_bytes[e.id];
    }
    void *token = vq->tokens[e.id];
    free_chain(vq, (uint16_t)e.id);
    if (len)
        *len = e.len;
    return token;
}

unsigned virtqueue_num_free(const struct virtqueue *vq)
{
    return vq->num_free;
}

bool virtqueue_is_broken(const struct virtqueue *vq)
{
    return vq->broken;
}
