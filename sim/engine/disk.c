/* disk.c - the simulated disk (SPEC section 7) for implementations that do not keep their own
 * (the built-in node). Only when the scenario's disk.write_ms is above [0, 0]: with writes
 * that complete at once, nothing here runs and a run is exactly v1's.
 *
 * The persistent writes of one call of a node (term and vote, entries appended, a truncation)
 * form one batch: it starts when the disk has finished the batches before it, and takes a
 * time drawn from write_ms on the node's disk stream; writes made while a batch still waits
 * for the disk join that batch (group commit). A message the call sends leaves only
 * when every write submitted so far is durable (persist before send, against a disk that
 * takes time). A crash loses the batches not yet complete; with torn_writes the batch in
 * progress may keep a prefix of its records. The durable image is what a restart loads.
 *
 * Failed writes (disk.fail, fail_writes): a batch due may fail instead, drawn on a stream of
 * its own when it comes due. Its records never become durable; the node is told (cluster.c)
 * and stops, or under ignore_write_error carries on. A log write past the hole a failed one
 * left is unreadable, as in a log file read back up to its first bad record: the durable log
 * ends at the hole until the node writes over it again. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine/engine.h"

enum { REC_TERM, REC_ENTRY, REC_TRUNCATE, REC_SNAP_TAKE, REC_SNAP_INSTALL };

typedef struct {
    uint8_t kind;
    uint8_t vote; /* REC_TERM */
    uint64_t a;   /* REC_TERM: term; REC_ENTRY: index; REC_TRUNCATE: from; REC_SNAP_*: index */
    raft_entry e; /* REC_ENTRY; REC_SNAP_*: term and, in cmd, the snapshot id */
} disk_rec;

typedef struct {
    uint64_t start_us, done_us;
    size_t first, n; /* its records, in recs[] */
} disk_batch;

typedef struct sim_disk {
    /* The durable image. */
    uint64_t term;
    uint8_t vote;
    raft_entry *log; /* [1..len - off]: the entries off + 1..len */
    uint64_t len, cap;
    /* The durable snapshot (SPEC section 8; index 0: none). The log image keeps only the
     * entries after it (off == snap_index): a restart loads the snapshot and those. */
    uint64_t off, snap_index, snap_term, snap_id;
    /* Pending batches, oldest first, and their records. */
    disk_batch *batches;
    size_t b_head, b_n, b_cap;
    disk_rec *recs;
    size_t r_head, r_n, r_cap;
    size_t open_first; /* records of the batch being built (the current call) */
    uint64_t rec_term; /* the term of the latest write, durable or not */
    uint64_t busy_until;
    uint64_t epoch; /* crashes so far: held messages of an earlier life never leave */
    rs_rng rng;
    uint32_t fail_next; /* fail_writes: batches still to fail */
    uint64_t failures;  /* batches that failed so far */
    uint8_t failed_life; /* a batch failed since the last crash */
    rs_rng fail_rng;    /* disk.fail's draws, a stream of their own */
} sim_disk;

static void apply_rec(sim_disk *d, const disk_rec *r);

/* After the scenario's initial state is loaded: that state is durable. */
void disk_init(sim *s) {
    if (!s->disk_on) return;
    for (uint32_t i = 1; i <= s->n; i++) {
        sim_disk *d = rs_xcalloc(1, sizeof *d);
        rs_rng_seed(&d->rng, s->cfg->seed, 0xD15C0000u + i);
        rs_rng_seed(&d->fail_rng, s->cfg->seed, 0xFA110000u + i);
        node_status st = sim_node_status(s, (uint8_t)i);
        apply_rec(d, &(disk_rec){.kind = REC_TERM, .a = st.term, .vote = st.voted_for});
        for (uint64_t k = 1; k <= st.last_index; k++)
            apply_rec(d, &(disk_rec){
                             .kind = REC_ENTRY, .a = k, .e = *s->impl->entry(s->nodes[i].node, k)});
        d->rec_term = st.term;
        s->nodes[i].disk = d;
    }
}

void disk_free(sim *s) {
    for (uint32_t i = 1; i <= s->n; i++) {
        sim_disk *d = s->nodes[i].disk;
        if (!d) continue;
        free(d->log);
        free(d->batches);
        free(d->recs);
        free(d);
    }
}

static void rec_push(sim_disk *d, disk_rec r) {
    if (d->r_head + d->r_n == d->r_cap) {
        if (d->r_head > 0) { /* compact */
            memmove(d->recs, d->recs + d->r_head, d->r_n * sizeof *d->recs);
            for (size_t i = 0; i < d->b_n; i++) d->batches[d->b_head + i].first -= d->r_head;
            d->open_first -= d->r_head;
            d->r_head = 0;
        }
        if (d->r_n == d->r_cap) {
            d->r_cap = d->r_cap ? d->r_cap * 2 : 64;
            d->recs = rs_xrealloc(d->recs, d->r_cap * sizeof *d->recs);
        }
    }
    d->recs[d->r_head + d->r_n++] = r;
}

static disk_rec snap_rec(uint8_t kind, uint64_t index, uint64_t term, uint64_t id) {
    ASSERT(id <= UINT32_MAX);
    return (disk_rec){.kind = kind, .a = index, .e = {.term = term, .cmd = (uint32_t)id}};
}

/* Records the persistent effects of the node's last call (before its effects are handed on),
 * as one batch. */
void disk_record(sim *s, uint8_t node) {
    sim_disk *d = s->nodes[node].disk;
    const raft_out *o = &s->out.r;
    d->open_first = d->r_head + d->r_n;
    for (size_t i = 0; i < o->n_fx; i++) {
        const raft_fx *f = &o->fx[i];
        switch (f->kind) {
        case RAFT_FX_ROLE: /* a new term resets the vote (Figure 2: votedFor in currentTerm) */
            if (f->a == d->rec_term) break;
            rec_push(d, (disk_rec){.kind = REC_TERM, .a = f->a, .vote = 0});
            d->rec_term = f->a;
            break;
        case RAFT_FX_VOTE:
            rec_push(d, (disk_rec){.kind = REC_TERM, .a = f->a, .vote = (uint8_t)f->b});
            break;
        case RAFT_FX_APPEND: {
            const raft_entry *es = s->impl->entry(s->nodes[node].node, f->a); /* contiguous */
            for (uint64_t k = f->a; k <= f->b; k++)
                rec_push(d, (disk_rec){.kind = REC_ENTRY, .a = k, .e = es[k - f->a]});
            break;
        }
        case RAFT_FX_TRUNCATE: rec_push(d, (disk_rec){.kind = REC_TRUNCATE, .a = f->a}); break;
        case NODE_FX_SNAP_TAKE: /* its entry is still in the node's log until its next call */
            rec_push(d, snap_rec(REC_SNAP_TAKE, f->a,
                                 s->impl->entry(s->nodes[node].node, f->a)->term, f->b));
            break;
        case NODE_FX_SNAP_INSTALL: /* taken by another node earlier: the engine knows its term */
            ASSERT(f->b >= 1 && f->b <= s->n_snaps);
            rec_push(d, snap_rec(REC_SNAP_INSTALL, f->a, s->snaps[f->b - 1].term, f->b));
            break;
        default: break;
        }
    }
    size_t n = d->r_head + d->r_n - d->open_first;
    if (n == 0) return;
    /* Group commit: writes made while a batch waits for the disk join it (its records are the
     * last ones), so that a disk slower than the load does not fall ever further behind. */
    if (d->b_n > 0 && d->batches[d->b_head + d->b_n - 1].start_us > s->now) {
        d->batches[d->b_head + d->b_n - 1].n += n;
        return;
    }
    if (d->b_head + d->b_n == d->b_cap) {
        if (d->b_head > 0) {
            memmove(d->batches, d->batches + d->b_head, d->b_n * sizeof *d->batches);
            d->b_head = 0;
        }
        if (d->b_n == d->b_cap) {
            d->b_cap = d->b_cap ? d->b_cap * 2 : 16;
            d->batches = rs_xrealloc(d->batches, d->b_cap * sizeof *d->batches);
        }
    }
    uint64_t start = d->busy_until > s->now ? d->busy_until : s->now;
    uint64_t took = rs_rng_range(&d->rng, s->scn->disk_write.min_us, s->scn->disk_write.max_us);
    d->batches[d->b_head + d->b_n++] =
        (disk_batch){.start_us = start, .done_us = start + took, .first = d->open_first, .n = n};
    d->busy_until = start + took;
    sim_push(s, d->busy_until, EV_DISK, node);
}

/* A snapshot is durable: the log image drops what it covers (all of it for an install, which
 * replaces the log), and gives memory back once the image is a quarter of its array. */
static void apply_snap(sim_disk *d, const disk_rec *r) {
    uint64_t index = r->a;
    d->snap_index = index;
    d->snap_term = r->e.term;
    d->snap_id = r->e.cmd;
    if (r->kind == REC_SNAP_INSTALL || index >= d->len) {
        d->off = d->len = index;
    } else if (index > d->off) {
        memmove(d->log + 1, d->log + 1 + (index - d->off), (d->len - index) * sizeof *d->log);
        d->off = index;
    }
    uint64_t keep = d->len - d->off + 1;
    if (d->cap > 256 && keep * 4 < d->cap) {
        d->cap = keep * 2 > 256 ? keep * 2 : 256;
        d->log = rs_xrealloc(d->log, d->cap * sizeof *d->log);
    }
}

static void apply_rec(sim_disk *d, const disk_rec *r) {
    switch (r->kind) {
    case REC_TERM:
        d->term = r->a;
        d->vote = r->vote;
        break;
    case REC_ENTRY: {
        if (r->a > d->len + 1) { /* past the hole of a failed write: unreadable */
            ASSERT(d->failures > 0);
            break;
        }
        ASSERT(r->a > d->off);
        uint64_t k = r->a - d->off;
        if (k >= d->cap) {
            d->cap = d->cap ? d->cap * 2 : 256;
            while (d->cap <= k) d->cap *= 2;
            d->log = rs_xrealloc(d->log, d->cap * sizeof *d->log);
        }
        d->log[k] = r->e;
        d->len = r->a;
        break;
    }
    case REC_TRUNCATE: /* never into the snapshot: what it covers stays */
        if (r->a <= d->len) d->len = r->a > d->off ? r->a - 1 : d->off;
        break;
    case REC_SNAP_TAKE:
    case REC_SNAP_INSTALL: apply_snap(d, r); break;
    }
}

static void pop_batch(sim_disk *d, size_t keep) {
    disk_batch *b = &d->batches[d->b_head];
    for (size_t i = 0; i < keep; i++) apply_rec(d, &d->recs[b->first + i]);
    ASSERT(b->first == d->r_head);
    d->r_head += b->n;
    d->r_n -= b->n;
    d->b_head++;
    d->b_n--;
}

static int batch_fails(const sim *s, sim_disk *d) {
    if (d->fail_next > 0) {
        d->fail_next--;
        return 1;
    }
    return s->disk_fail_threshold > 0 &&
           (rs_rng_next(&d->fail_rng) & 0xffffffffu) < s->disk_fail_threshold;
}

/* disk_fail: what the failed batch held (its entries, its latest term and vote, a truncation, a
 * snapshot taken or installed). */
static void trace_fail(sim *s, uint8_t node, const sim_disk *d, const disk_batch *b) {
    trace_writer *t = s->tr;
    if (!t->on) return;
    uint64_t first = 0, last = 0, from = 0, snap = 0;
    const disk_rec *term = NULL;
    for (size_t i = 0; i < b->n; i++) {
        const disk_rec *r = &d->recs[b->first + i];
        if (r->kind == REC_TERM) term = r;
        if (r->kind == REC_TRUNCATE && !from) from = r->a;
        if (r->kind == REC_ENTRY && !first) first = r->a;
        if (r->kind == REC_ENTRY) last = r->a;
        if (r->kind == REC_SNAP_TAKE || r->kind == REC_SNAP_INSTALL) snap = r->a;
    }
    trace_begin_event(t, s->now, "disk_fail");
    trace_u64(t, "node", node);
    trace_u64(t, "records", b->n);
    if (first) trace_u64(t, "first", first);
    if (first) trace_u64(t, "last", last);
    if (term) trace_u64(t, "term", term->a);
    if (term && term->vote) trace_u64(t, "vote", term->vote);
    if (from) trace_u64(t, "truncate", from);
    if (snap) trace_u64(t, "snapshot", snap);
    trace_end(t);
}

/* EV_DISK: the batches due by now are durable (0: none, their batches were lost in a crash),
 * up to one that fails (DISK_FAILED: it is dropped, and the batches after it wait for the
 * caller to call again once the node has heard). */
int disk_on_event(sim *s, uint8_t node) {
    sim_disk *d = s->nodes[node].disk;
    if (!d || d->b_n == 0 || d->batches[d->b_head].done_us > s->now) return 0;
    int r = 0;
    while (d->b_n > 0 && d->batches[d->b_head].done_us <= s->now) {
        if (s->disk_fail_on && batch_fails(s, d)) {
            trace_fail(s, node, d, &d->batches[d->b_head]);
            pop_batch(d, 0);
            d->failures++;
            d->failed_life = 1;
            s->res->stats.faults[SIM_FAULT_DISK_FAIL]++;
            r |= DISK_FAILED;
            break;
        }
        pop_batch(d, d->batches[d->b_head].n);
        r |= DISK_WROTE;
    }
    if (r & DISK_WROTE) disk_trace_persist(s, node, d->len, d->term, d->vote);
    return r;
}

int disk_fail_wanted(const scenario *scn) {
    if (scn->disk_fail > 0) return 1;
    for (uint32_t i = 0; i < scn->n_events; i++)
        if (scn->events[i].kind == SCN_DO_FAIL_WRITES || scn->events[i].kind == SCN_DO_DISK)
            return 1;
    return 0;
}

void disk_fail_writes(sim *s, uint8_t node, uint32_t count) {
    sim_disk *d = s->nodes[node].disk;
    ASSERT(d);
    d->fail_next = count;
}

void disk_set_fail(sim *s, double rate) {
    s->disk_fail_threshold = rs_rng_threshold32(rate);
}

uint64_t disk_failures(const sim *s, uint8_t node) {
    return s->nodes[node].disk ? s->nodes[node].disk->failures : 0;
}

int disk_must_hold(const sim *s, uint8_t node) {
    const sim_disk *d = s->nodes[node].disk;
    return d && d->b_n > 0;
}

/* The durable state a promise that left behind a failed write is held to: the durable term and
 * vote, and how much of the node's log is durable (disk_durable: its durable log's last entry
 * that the node's log holds too, a snapshot's index included). */
void disk_durable_state(const sim *s, uint8_t node, uint64_t *term, uint8_t *vote,
                        uint64_t *keep) {
    const sim_disk *d = s->nodes[node].disk;
    uint64_t node_term;
    *keep = disk_durable(s, node, &node_term); /* the log part, snapshots included */
    *term = d->term;
    *vote = d->vote;
}

/* What the node may count on: the durable log's last entry that the node's log holds too
 * (the durable image can still hold entries the node has since cut), and the durable term.
 * Batches complete whole (only a crash tears one), so a durable term comes with its vote. */
uint64_t disk_durable(const sim *s, uint8_t node, uint64_t *term) {
    const sim_disk *d = s->nodes[node].disk;
    node_status st = sim_node_status(s, node);
    *term = d->term < st.term ? d->term : st.term;
    /* A snapshot of the node's not durable yet: only what the durable one covers is sure (both
     * cover committed entries). Else compare the entries after the snapshot. */
    if (d->snap_index != st.snap_index)
        return d->snap_index < st.snap_index ? d->snap_index : st.snap_index;
    uint64_t lo = d->off, k = d->len < st.last_index ? d->len : st.last_index;
    const raft_entry *es = k > lo ? s->impl->entry(s->nodes[node].node, lo + 1) : NULL;
    while (k > lo && es[k - lo - 1].term != d->log[k - lo].term) k--; /* es: contiguous */
    return k;
}

void disk_trace_persist(sim *s, uint8_t node, uint64_t index, uint64_t term, uint8_t vote) {
    trace_writer *t = s->tr;
    trace_begin_event(t, s->now, "persist");
    trace_u64(t, "node", node);
    trace_u64(t, "index", index);
    trace_u64(t, "term", term);
    if (vote) trace_u64(t, "vote", vote);
    trace_end(t);
}

/* When a message the node sends now may leave: once every write so far is durable. */
uint64_t disk_ready_at(const sim *s, uint8_t node) {
    const sim_disk *d = s->nodes[node].disk;
    return d && d->busy_until > s->now ? d->busy_until : s->now;
}

uint64_t disk_epoch(const sim *s, uint8_t node) {
    return s->nodes[node].disk ? s->nodes[node].disk->epoch : 0;
}

/* A crash: the batches not yet durable are lost; with torn_writes the one in progress may
 * keep a prefix of its records, unless a batch failed in this life (the node stops at a failed
 * write: what it queued behind it never reaches the disk, which would otherwise hold entries of
 * a term whose write failed). */
void disk_crash(sim *s, uint8_t node) {
    sim_disk *d = s->nodes[node].disk;
    if (!d) return;
    d->epoch++;
    int tear = s->scn->torn_writes && !d->failed_life;
    d->failed_life = 0;
    if (d->b_n > 0 && tear) {
        const disk_batch *b = &d->batches[d->b_head];
        if (b->start_us <= s->now && b->n > 1)
            pop_batch(d, (size_t)rs_rng_range(&d->rng, 0, b->n - 1));
    }
    d->b_head = d->b_n = 0;
    d->r_head = d->r_n = 0;
    d->busy_until = s->now;
    d->rec_term = d->term;
}

/* Before a restart: the node's persistent state becomes the durable image. */
void disk_load(sim *s, uint8_t node) {
    sim_disk *d = s->nodes[node].disk;
    if (!d) return;
    if (s->impl->load_snapshot)
        s->impl->load_snapshot(s->nodes[node].node, d->snap_index, d->snap_term, d->snap_id,
                               d->snap_index ? &s->snaps[d->snap_id - 1].conf : NULL);
    ASSERT(d->snap_index == 0 || s->impl->load_snapshot);
    s->impl->load(s->nodes[node].node, d->term, d->vote, d->len > d->off ? d->log + 1 : NULL,
                  d->len - d->off);
}
