/* queue.h - the event queue: a binary heap of events ordered by (virtual time, sequence number),
 * so that events of equal time run in the order they were queued, never in an order that depends
 * on the heap's layout. Header-only: the loop pushes and pops on every step. */
#ifndef RAFTSIM_ENGINE_QUEUE_H
#define RAFTSIM_ENGINE_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "sim/base/util.h"

typedef struct {
    uint64_t t_us;
    uint64_t seq;
    uint32_t kind;
    uint32_t arg; /* node id, message slot, or scenario event index */
} sim_ev;

typedef struct {
    sim_ev *v;
    size_t n, cap;
    uint64_t next_seq;
} ev_heap;

static inline int ev_before(const sim_ev *a, const sim_ev *b) {
    return a->t_us < b->t_us || (a->t_us == b->t_us && a->seq < b->seq);
}

static inline void heap_push(ev_heap *h, uint64_t t_us, uint32_t kind, uint32_t arg) {
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 1024;
        h->v = rs_xrealloc(h->v, h->cap * sizeof *h->v);
    }
    sim_ev e = {.t_us = t_us, .seq = h->next_seq++, .kind = kind, .arg = arg};
    size_t i = h->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!ev_before(&e, &h->v[parent])) break;
        h->v[i] = h->v[parent];
        i = parent;
    }
    h->v[i] = e;
}

/* Floyd's bottom-up pop: the hole left by the top walks down to a leaf along the smaller
 * children (one comparison a level), then the last element climbs back up from there (rarely
 * far: it came from the bottom). About half the comparisons of the textbook sift-down. */
static inline sim_ev heap_pop(ev_heap *h) {
    ASSERT(h->n > 0);
    sim_ev *v = h->v;
    sim_ev top = v[0];
    size_t n = --h->n;
    if (n == 0) return top;
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && ev_before(&v[c + 1], &v[c])) c++;
        v[i] = v[c];
        i = c;
    }
    sim_ev last = v[n];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!ev_before(&last, &v[parent])) break;
        v[i] = v[parent];
        i = parent;
    }
    v[i] = last;
    return top;
}

#endif
