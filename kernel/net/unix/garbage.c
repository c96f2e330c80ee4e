/* AF_UNIX: garbage collection of sockets in flight.
 *
 * A socket passed over a socket lives as long as the message holding it. When such sockets
 * only hold each other (A's queue holds B, B's holds A, and no process has either open), no
 * reference is ever dropped: a cycle. Like Linux, look for them whenever a unix socket is
 * released while sockets are in flight:
 *  1. candidates: sockets whose every file reference is a queued message (refcount ==
 *     inflight);
 *  2. subtract the references that candidates' queues (and their embryos' queues) hold on
 *     candidates; one left over means a message outside the set holds it: alive;
 *  3. everything reachable from an alive candidate's queue is alive too;
 *  4. the rest is garbage: empty its queues. Freeing those messages drops the last file
 *     references, and the sockets are released the ordinary way. */
#include "unix_internal.h"

static void gc_scan_queue(struct unix_sock *q, void (*fn)(struct unix_sock *v, void *arg),
                          void *arg)
{
    struct unix_skb *skb;
    list_for_each_entry(skb, &q->rq, link)
        for (unsigned i = 0; i < skb->nfds; i++) {
            struct unix_sock *v = unix_of_file(skb->fds[i]);
            if (v)
                fn(v, arg);
        }
}

/* Call fn for every unix socket queued on u or on its not yet accepted connections. */
static void gc_for_each_queued_unix(struct unix_sock *u,
                                    void (*fn)(struct unix_sock *v, void *arg), void *arg)
{
    gc_scan_queue(u, fn, arg);
    struct unix_sock *e;
    list_for_each_entry(e, &u->accept_q, accept_link)
        gc_scan_queue(e, fn, arg);
}

static void gc_dec_ref(struct unix_sock *v, void *arg)
{
    (void)arg;
    if (v->gc_candidate)
        v->gc_refs--;
}

static void gc_mark(struct unix_sock *v, void *arg)
{
    bool *changed = arg;
    if (v->gc_candidate && !v->gc_alive) {
        v->gc_alive = true;
        *changed = true;
    }
}

static void gc_purge_queue(struct unix_sock *u, struct unix_deferred *d)
{
    while (!list_empty(&u->rq)) {
        struct unix_skb *skb = list_first_entry(&u->rq, struct unix_skb, link);
        list_del(&skb->link);
        list_add_tail(&skb->link, &d->skbs);
    }
    u->rq_bytes = u->rq_mem = 0;
    u->rq_count = 0;
}

void unix_gc_locked(struct unix_deferred *d)
{
    struct unix_sock *u;
    bool any = false;
    list_for_each_entry(u, &unix_all, all_link) {
        u->gc_candidate = u->gc_alive = false;
        unsigned inflight = __atomic_load_n(&u->inflight, __ATOMIC_RELAXED);
        if (u->dead || !u->sock || !u->sock->file || !inflight)
            continue;
        int refs = __atomic_load_n(&u->sock->file->refcount, __ATOMIC_ACQUIRE);
        if (refs == (int)inflight) {
            u->gc_candidate = true;
            u->gc_refs = refs;
            any = true;
        }
    }
    if (!any)
        return;
    list_for_each_entry(u, &unix_all, all_link)
        if (u->gc_candidate)
            gc_for_each_queued_unix(u, gc_dec_ref, NULL);
    list_for_each_entry(u, &unix_all, all_link)
        if (u->gc_candidate && u->gc_refs > 0)
            u->gc_alive = true;
    /* Propagate until nothing changes (the sets are small; simplicity over speed). */
    bool changed = true;
    while (changed) {
        changed = false;
        list_for_each_entry(u, &unix_all, all_link)
            if (u->gc_candidate && u->gc_alive)
                gc_for_each_queued_unix(u, gc_mark, &changed);
    }
    list_for_each_entry(u, &unix_all, all_link) {
        if (!u->gc_candidate || u->gc_alive)
            continue;
        gc_purge_queue(u, d);
        struct unix_sock *e;
        list_for_each_entry(e, &u->accept_q, accept_link)
            gc_purge_queue(e, d);
    }
    list_for_each_entry(u, &unix_all, all_link)
        u->gc_candidate = u->gc_alive = false;
}

/* Senders of files also collect once many sockets are in flight, so cycles made by a process
 * that never releases a unix socket stay bounded (Linux: wait_for_unix_gc). */
#define UNIX_GC_TRIGGER 1024
void unix_gc_maybe(void)
{
    if (__atomic_load_n(&unix_socks_inflight, __ATOMIC_RELAXED) < UNIX_GC_TRIGGER)
        return;
    struct unix_deferred d = { .inode = NULL };
    list_init(&d.skbs);
    mutex_lock(&unix_mutex);
    if (!unix_draining)
        unix_gc_locked(&d);
    mutex_unlock(&unix_mutex);
    unix_deferred_run(&d);
}
