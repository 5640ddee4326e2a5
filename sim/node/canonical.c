/* canonical.c - canonical raft (Debian's libraft-dev, the library behind LXD and dqlite) behind
 * node.h, run through its own struct raft_io implemented on raftsim's machinery: the virtual
 * clock (io->time), the node's seeded stream (io->random), the engine's network (io->send: a
 * deep copy of the message travels as the message body), and a simulated disk that this file
 * keeps per node (io->load, append, truncate, set_term, set_vote, snapshot_put/get). No
 * threads, no libuv, no wall clock.
 *
 * The library is asynchronous: append, send, snapshot and work requests complete through
 * callbacks. None fires inside the method that started it: each is queued here with its
 * completion time and fired from tick() when due, or at the end of the current call when due
 * at once, after the library's own call has returned (as the library requires).
 *
 * What the engine sees (node.h effects) is read off the io calls and the library's public
 * state after each callback: set_term and set_vote are the term and vote (durable on return,
 * as the library's contract says), append and truncate are log writes (the mirror log that
 * entry() reads), commit and apply come from r->commit_index and r->last_applied, and the role
 * from raft_state(). An entry the library writes itself (its bootstrap configuration at index
 * 1, a barrier) gets a command handle from the engine by its bytes ("config(1,2,3)").
 *
 * Crash: a real crash runs no library code at all, but in one process the closed library's
 * memory must be given back. So: raft_close() (the node is unavailable from then on), then
 * every pending request is completed on the library's discard paths: writes as if done (an
 * unavailable node ignores the result; nothing reaches the simulated disk, which keeps only
 * what completed before the crash), sends and reads as cancelled; then the library's close
 * callback frees it. Completing writes as failed instead would be a graceful shutdown's
 * cancellation, which is not a crash, and in 0.15.0 corrupts the heap when a leader's pending
 * append was truncated away meanwhile (appendLeaderCb truncates the log at the failed
 * append's index). The disk survives; a restart is raft_init() + raft_start() from it.
 *
 * Failed writes (disk.fail, fail_writes): a write may fail when it completes (drawn on a
 * stream of its own). The library is told as its raft_io contract says: append and
 * snapshot_put callbacks with RAFT_IOERR, set_term and set_vote returning RAFT_IOERR; a failed
 * write never reaches the disk. The disk addresses entries by index: 0.15.0's appendLeaderCb
 * drops the failed entries from its in-memory log without io->truncate, so a write already
 * queued behind the failed one lands past a hole; a write past a hole is unreadable (as in a
 * log file read back up to its first gap), and the durable log ends at the hole. What the
 * library then does is the library's: a leader's log losing entries shows as a truncate; a
 * library that went unavailable (a failed term or vote write) is reported stopped, and the
 * engine crashes it. */
#include <raft.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/rng.h"
#include "sim/base/util.h"
#include "sim/node/node.h"

#define CMD_BYTES 8 /* a command entry's payload: the engine's command handle, little-endian */

enum { OP_APPEND, OP_TRUNCATE, OP_SEND, OP_PUT, OP_GET, OP_WORK };

/* A request of the library that completes later. */
typedef struct {
    uint64_t at_us;
    uint64_t start_us; /* a disk write: when the disk started on it */
    uint64_t seq;
    int kind;
    int disk;   /* on the disk's queue (FIFO, completes in order) */
    int status; /* a send: its result */
    union {
        struct {
            struct raft_io_append *req;
            const struct raft_entry *entries;
            unsigned n;
            raft_io_append_cb cb;
            raft_index index; /* of entries[0] */
        } append;
        raft_index truncate_from;
        struct {
            struct raft_io_send *req;
            raft_io_send_cb cb;
        } send;
        struct {
            struct raft_io_snapshot_put *req;
            const struct raft_snapshot *snap;
            unsigned trailing;
            raft_io_snapshot_put_cb cb;
        } put;
        struct {
            struct raft_io_snapshot_get *req;
            raft_io_snapshot_get_cb cb;
        } get;
        struct {
            struct raft_io_async_work *req;
            raft_io_async_work_cb cb;
        } work;
    } u;
} pending_op;

/* A node's disk: what survives a crash. Entries own their buffers. */
typedef struct {
    raft_term term;
    raft_id vote;
    raft_index start; /* index of entries[0] */
    struct raft_entry *entries;
    size_t n, cap;
    struct raft_snapshot *snap; /* NULL, or a copy with one buffer */
} disk;

typedef struct {
    uint8_t id, n_nodes;
    uint64_t rng;      /* splitmix64 state: the node's own stream */
    uint64_t disk_rng; /* and its disk's (write latency, torn writes) */
    uint64_t write_min_us, write_max_us;
    int torn_writes;
    bool prevote;
    unsigned snapshot_every, snapshot_trailing; /* 0: no snapshots */
    const node_env *env;
    uint64_t heartbeat_ms, election_ms, election_max_ms;
    uint32_t clock_ppm; /* how fast its clock runs (clock drift): io->time and its ticks */
    disk d;
    /* The incarnation: NULL while crashed. */
    struct raft *r;
    struct raft_io io;
    struct raft_fsm fsm;
    struct raft_tracer tracer;
    unsigned tick_ms;
    raft_io_tick_cb tick_cb;
    raft_io_recv_cb recv_cb;
    raft_io_close_cb close_cb;
    uint64_t next_tick_us;
    pending_op *ops; /* sorted by (at_us, seq) */
    size_t n_ops, cap_ops;
    uint64_t op_seq;
    uint64_t disk_free_us; /* when the disk has finished everything queued */
    uint64_t disk_wait_us; /* when the last write queued starts (later writes join it) */
    /* The log as the library has written it (durable or not), for entry(); [0] unused, and
     * below log_start the entries are covered by a snapshot (their slots unused). */
    raft_entry *log;
    uint64_t log_len, log_cap, log_start;
    uint64_t call_high; /* highest index appended or applied in the current call */
    /* What the engine has been told. */
    int told_role;
    uint64_t told_term, told_commit, told_applied;
    /* The current call. */
    uint64_t now_us;
    node_out *out;
    uint32_t cmd_barrier;
    /* Failed writes: the rate (rs_rng_threshold32 of disk.fail), the writes still to fail
     * (fail_writes), their own stream, and whether the engine was told the node stopped. */
    uint64_t fail_threshold, fail_rng;
    uint32_t fail_next;
    int stopped_told;
    /* Membership (SPEC section 8): the starting cluster (ids 1..voters0 bootstrap) and the
     * configuration entries of the mirror log in index order. */
    uint8_t voters0;
    struct conf_at {
        uint64_t index;
        raft_conf conf;
    } *confs;
    size_t n_confs, cap_confs;
} cnode;

/* ---- small helpers --------------------------------------------------------------------- */

static uint64_t splitmix(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t rng_range(uint64_t *state, uint64_t lo, uint64_t hi) {
    ASSERT(lo <= hi);
    return lo + splitmix(state) % (hi - lo + 1);
}

static void *xraft_malloc(size_t n) {
    void *p = raft_malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "raftsim: out of memory (canonical raft)\n");
        abort();
    }
    return p;
}

/* The address the library knows node id by: its decimal id, in a static table. */
static char address_buf[256][4];
static const char *address_of(raft_id id) {
    ASSERT(id >= 1 && id <= 255);
    if (!address_buf[id][0]) snprintf(address_buf[id], sizeof address_buf[id], "%u", (unsigned)id);
    return address_buf[id];
}

static int role_of(int state) {
    switch (state) {
    case RAFT_LEADER: return RAFT_ROLE_LEADER;
    case RAFT_CANDIDATE: return RAFT_ROLE_CANDIDATE;
    default: return RAFT_ROLE_FOLLOWER;
    }
}

static void put_le64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static uint64_t cmd_of_payload(const struct raft_buffer *b) {
    ASSERT(b->len == CMD_BYTES);
    return get_le64(b->base);
}

/* A snapshot's bytes: the engine's id of the state machine it saved, and the index it covers
 * (little-endian); the engine keeps the state itself. */
#define SNAP_BYTES 16

static void snap_decode(const struct raft_buffer *b, uint64_t *id, uint64_t *index) {
    if (b->len != SNAP_BYTES) {
        fprintf(stderr, "raftsim: canonical raft restores a snapshot of %zu bytes, not ours\n",
                (size_t)b->len);
        abort();
    }
    *id = get_le64(b->base);
    *index = get_le64((const unsigned char *)b->base + 8);
}

/* "config(1,2,3)" for a configuration entry (0.15.0's encoding: format byte 1, a 64-bit
 * count, then per server a 64-bit id, its address and a role byte; little-endian), with "~"
 * after a server that is not a voter; "config(?N)" for bytes that do not parse. */
static size_t describe_config(const struct raft_buffer *b, char *text, size_t cap) {
    const unsigned char *p = b->base, *end = p + b->len;
    size_t o = (size_t)snprintf(text, cap, "config(");
    uint64_t n = 0;
    int ok = b->len >= 9 && p[0] == 1;
    if (ok) n = get_le64(p + 1);
    p += 9;
    for (uint64_t i = 0; ok && i < n; i++) {
        if (end - p < 8) {
            ok = 0;
            break;
        }
        uint64_t id = get_le64(p);
        p += 8;
        while (p < end && *p) p++; /* the address */
        if (end - p < 2) {
            ok = 0;
            break;
        }
        unsigned role = p[1];
        p += 2;
        if (o < cap - 32)
            o += (size_t)snprintf(text + o, cap - o, "%s%llu%s", i ? "," : "",
                                  (unsigned long long)id, role == RAFT_VOTER ? "" : "~");
    }
    if (!ok) o = (size_t)snprintf(text, cap, "config(?%zu", (size_t)b->len);
    o += (size_t)snprintf(text + o, cap - o, ")");
    return o < cap ? o : cap - 1;
}

/* The engine's command handle of an entry the library wrote: ours carry it in their payload,
 * the library's own get one by a description of their bytes. */
static uint32_t cmd_of_entry(cnode *c, const struct raft_entry *e) {
    if (e->type == RAFT_COMMAND) return (uint32_t)cmd_of_payload(&e->buf);
    if (e->type == RAFT_BARRIER) {
        if (c->cmd_barrier == UINT32_MAX)
            c->cmd_barrier = c->env->cmd_intern(c->env->ctx, "barrier", 7);
        return c->cmd_barrier;
    }
    ASSERT(e->type == RAFT_CHANGE);
    char text[1400];
    size_t o = describe_config(&e->buf, text, sizeof text);
    return c->env->cmd_intern(c->env->ctx, text, o);
}

/* ---- effects for the engine ---------------------------------------------------------------- */

static void fx(cnode *c, raft_fx_kind kind, uint64_t a, uint64_t b) {
    ASSERT(c->out); /* no effect outside a call of the engine's */
    node_out_fx(c->out, kind, a, b);
}

/* Tells the engine what changed in the library's public state: role (and term), commit,
 * applies. Called after every callback into the library and at the end of every call. */
static void report(cnode *c) {
    struct raft *r = c->r;
    if (!r || !c->out) return;
    if (raft_state(r) == RAFT_UNAVAILABLE && !c->stopped_told) { /* a failed write's end */
        fx(c, (raft_fx_kind)NODE_FX_STOPPED, 0, 0);
        c->stopped_told = 1;
        return;
    }
    int role = role_of(raft_state(r));
    if (role != c->told_role || r->current_term != c->told_term) {
        fx(c, RAFT_FX_ROLE, r->current_term, (uint64_t)role);
        c->told_role = role;
        c->told_term = r->current_term;
    }
    if (r->commit_index > c->told_commit) {
        fx(c, RAFT_FX_COMMIT, r->commit_index, 0);
        c->told_commit = r->commit_index;
    }
    if (r->last_applied > c->told_applied) {
        ASSERT(r->last_applied <= c->log_len);
        if (r->last_applied > c->call_high) c->call_high = r->last_applied;
        fx(c, RAFT_FX_APPLY, c->told_applied + 1, r->last_applied);
        c->told_applied = r->last_applied;
    }
}

/* ---- configurations ------------------------------------------------------------------------ */

/* A configuration entry's bytes (the library's encoding, as describe_config reads it) as
 * voters and learners (stand-bys, which are replicated to); a spare (raft_add's role until
 * raft_assign) is neither, since the library sends it nothing. 0 if malformed. */
static int conf_decode(const struct raft_buffer *b, raft_conf *out) {
    const unsigned char *p = b->base, *end = p + b->len;
    memset(out, 0, sizeof *out);
    if (b->len < 9 || p[0] != 1) return 0;
    uint64_t n = get_le64(p + 1);
    p += 9;
    for (uint64_t i = 0; i < n; i++) {
        if (end - p < 8) return 0;
        uint64_t id = get_le64(p);
        p += 8;
        while (p < end && *p) p++;
        if (end - p < 2 || id < 1 || id > 255) return 0;
        uint64_t bit = 1ull << (id & 63);
        if (p[1] == RAFT_VOTER)
            out->voters[id >> 6] |= bit;
        else if (p[1] == RAFT_STANDBY)
            out->learners[id >> 6] |= bit;
        p += 2;
    }
    return 1;
}

/* The mirror log gained entry e at index: a configuration entry is recorded. */
static void conf_note(cnode *c, uint64_t index, const struct raft_entry *e) {
    if (e->type != RAFT_CHANGE) return;
    raft_conf conf;
    if (!conf_decode(&e->buf, &conf)) return;
    while (c->n_confs > 0 && c->confs[c->n_confs - 1].index >= index) c->n_confs--;
    if (c->n_confs == c->cap_confs) {
        c->cap_confs = c->cap_confs ? 2 * c->cap_confs : 8;
        c->confs = rs_xrealloc(c->confs, c->cap_confs * sizeof *c->confs);
    }
    c->confs[c->n_confs++] = (struct conf_at){.index = index, .conf = conf};
}

/* An installed snapshot's configuration (the library's struct) becomes the one at its index: the
 * log it replaces had no other. Roles as conf_decode reads them. */
static void conf_install(cnode *c, uint64_t index, const struct raft_configuration *cfg) {
    raft_conf conf = {0};
    for (unsigned i = 0; i < cfg->n; i++) {
        uint64_t id = cfg->servers[i].id;
        if (id < 1 || id > 255) continue;
        if (cfg->servers[i].role == RAFT_VOTER)
            conf.voters[id >> 6] |= 1ull << (id & 63);
        else if (cfg->servers[i].role == RAFT_STANDBY)
            conf.learners[id >> 6] |= 1ull << (id & 63);
    }
    c->n_confs = 0;
    if (c->cap_confs == 0) {
        c->cap_confs = 8;
        c->confs = rs_xrealloc(c->confs, c->cap_confs * sizeof *c->confs);
    }
    c->confs[c->n_confs++] = (struct conf_at){.index = index, .conf = conf};
}

static void conf_drop_from(cnode *c, uint64_t index) {
    while (c->n_confs > 0 && c->confs[c->n_confs - 1].index >= index) c->n_confs--;
}

/* ---- the mirror log ------------------------------------------------------------------------ */

static void log_reserve(cnode *c, uint64_t need) {
    if (need < c->log_cap) return;
    uint64_t cap = c->log_cap ? c->log_cap : 256;
    while (cap <= need) cap *= 2;
    c->log = rs_xrealloc(c->log, cap * sizeof *c->log);
    c->log_cap = cap;
}

static void log_push(cnode *c, uint64_t term, uint32_t cmd) {
    log_reserve(c, c->log_len + 1);
    c->log[++c->log_len] = (raft_entry){.term = term, .cmd = cmd};
}

/* The log now starts after a snapshot through index (an install, or a restart). */
static void log_restart_after(cnode *c, uint64_t index) {
    conf_drop_from(c, index + 1);
    log_reserve(c, index + 1);
    c->log_len = index;
    c->log_start = index + 1;
}

/* The engine reads appended and applied entries after the call; a later change to the same
 * index within the call would be misread, and the library never does that. */
static void log_truncate(cnode *c, uint64_t from) {
    if (from > c->log_len) return;
    if (from <= c->call_high) {
        fprintf(stderr,
                "raftsim: canonical adapter: index %llu written and truncated in one "
                "step (not supported)\n",
                (unsigned long long)from);
        abort();
    }
    c->log_len = from - 1;
}

/* ---- the disk ------------------------------------------------------------------------------ */

static void disk_free_range(disk *d, size_t from, size_t to) {
    for (size_t i = from; i < to; i++) raft_free(d->entries[i].buf.base);
}

static void disk_append(disk *d, const struct raft_entry *es, unsigned n) {
    if (d->n + n > d->cap) {
        while (d->n + n > d->cap) d->cap = d->cap ? d->cap * 2 : 64;
        d->entries = rs_xrealloc(d->entries, d->cap * sizeof *d->entries);
    }
    for (unsigned i = 0; i < n; i++) {
        struct raft_entry *e = &d->entries[d->n + i];
        e->term = es[i].term;
        e->type = es[i].type;
        e->buf.len = es[i].buf.len;
        e->buf.base = xraft_malloc(e->buf.len);
        memcpy(e->buf.base, es[i].buf.base, e->buf.len);
        e->batch = NULL;
    }
    d->n += n;
}

/* Deletes the entries from index on. */
static void disk_truncate(disk *d, raft_index index) {
    size_t keep = index <= d->start ? 0 : (size_t)(index - d->start);
    if (keep >= d->n) return;
    disk_free_range(d, keep, d->n);
    d->n = keep;
    if (keep == 0) d->start = index;
}

/* Writes n entries at index: over what the disk holds from there, or after its last entry. A
 * write past the end (the hole a failed write left) is unreadable and keeps nothing; entries
 * below the disk's start are covered by its snapshot. */
static void disk_write_at(disk *d, raft_index index, const struct raft_entry *es, unsigned n) {
    raft_index end = d->start + d->n;
    if (index > end) return;
    if (index < d->start) {
        raft_index skip = d->start - index;
        if (skip >= n) return;
        es += skip, n -= (unsigned)skip, index = d->start;
    }
    disk_truncate(d, index);
    disk_append(d, es, n);
}

static void conf_copy(const struct raft_configuration *src, struct raft_configuration *dst) {
    raft_configuration_init(dst);
    for (unsigned i = 0; i < src->n; i++)
        if (raft_configuration_add(dst, src->servers[i].id, src->servers[i].address,
                                   src->servers[i].role) != 0)
            abort();
}

/* A copy with its buffers joined into one: the library requires n_bufs == 1 on restore. */
static struct raft_snapshot *snapshot_copy(const struct raft_snapshot *src) {
    struct raft_snapshot *dst = xraft_malloc(sizeof *dst);
    size_t size = 0;
    dst->index = src->index;
    dst->term = src->term;
    dst->configuration_index = src->configuration_index;
    conf_copy(&src->configuration, &dst->configuration);
    for (unsigned i = 0; i < src->n_bufs; i++) size += src->bufs[i].len;
    dst->bufs = xraft_malloc(sizeof *dst->bufs);
    dst->n_bufs = 1;
    dst->bufs[0].base = xraft_malloc(size);
    dst->bufs[0].len = size;
    unsigned char *p = dst->bufs[0].base;
    for (unsigned i = 0; i < src->n_bufs; i++) {
        if (src->bufs[i].len) memcpy(p, src->bufs[i].base, src->bufs[i].len);
        p += src->bufs[i].len;
    }
    return dst;
}

static void snapshot_free(struct raft_snapshot *s) {
    raft_configuration_close(&s->configuration);
    for (unsigned i = 0; i < s->n_bufs; i++) raft_free(s->bufs[i].base);
    raft_free(s->bufs);
    raft_free(s);
}

static void disk_put_snapshot(disk *d, const struct raft_snapshot *snap, unsigned trailing) {
    if (d->snap) snapshot_free(d->snap);
    d->snap = snapshot_copy(snap);
    if (trailing == 0) { /* an installed snapshot replaces the whole log */
        disk_free_range(d, 0, d->n);
        d->n = 0;
        d->start = snap->index + 1;
    } else if (snap->index > trailing && snap->index - trailing >= d->start) {
        size_t k = (size_t)(snap->index - trailing - d->start + 1);
        if (k > d->n) k = d->n;
        disk_free_range(d, 0, k);
        memmove(d->entries, d->entries + k, (d->n - k) * sizeof *d->entries);
        d->n -= k;
        d->start += k;
    }
}

/* The log as a restart reads it back: one that ends before the snapshot (a hole a failed write
 * left, the entries past it unreadable) is read as the snapshot alone, as the library's own
 * libuv io does (uvFilterSegments discards closed segments behind the last snapshot). Handing
 * the library entries that stop short of its snapshot would have it append after them, at
 * indices its snapshot already covers. */
static void disk_read_back(disk *d) {
    if (!d->snap || d->start + d->n > d->snap->index) return;
    disk_free_range(d, 0, d->n);
    d->n = 0;
    d->start = d->snap->index + 1;
}

static void disk_free(disk *d) {
    disk_free_range(d, 0, d->n);
    free(d->entries);
    if (d->snap) snapshot_free(d->snap);
    memset(d, 0, sizeof *d);
}

/* Entries in one batch: on receipt and at load the library takes the array and the batch,
 * and frees only entries[0].batch. */
static struct raft_entry *entries_batch(const struct raft_entry *src, size_t n) {
    if (n == 0) return NULL;
    size_t size = 0;
    for (size_t i = 0; i < n; i++) size += src[i].buf.len;
    unsigned char *batch = xraft_malloc(size), *p = batch;
    struct raft_entry *dst = xraft_malloc(n * sizeof *dst);
    for (size_t i = 0; i < n; i++) {
        dst[i].term = src[i].term;
        dst[i].type = src[i].type;
        dst[i].buf.base = p;
        dst[i].buf.len = src[i].buf.len;
        dst[i].batch = batch;
        if (src[i].buf.len) memcpy(p, src[i].buf.base, src[i].buf.len);
        p += src[i].buf.len;
    }
    return dst;
}

/* ---- pending requests ------------------------------------------------------------------------ */

static void op_insert(cnode *c, pending_op op);

static void op_add(cnode *c, pending_op op) {
    op.seq = c->op_seq++;
    op_insert(c, op);
}

/* In (at_us, seq) order. */
static void op_insert(cnode *c, pending_op op) {
    if (c->n_ops == c->cap_ops) {
        c->cap_ops = c->cap_ops ? c->cap_ops * 2 : 16;
        c->ops = rs_xrealloc(c->ops, c->cap_ops * sizeof *c->ops);
    }
    size_t i = c->n_ops++;
    while (i > 0 && (c->ops[i - 1].at_us > op.at_us ||
                     (c->ops[i - 1].at_us == op.at_us && c->ops[i - 1].seq > op.seq))) {
        c->ops[i] = c->ops[i - 1];
        i--;
    }
    c->ops[i] = op;
}

/* The completion time of a new disk write (SPEC section 7): in order, after everything
 * queued, taking a time drawn from the scenario's disk.write_ms; a write queued while the
 * last one still waits for the disk completes with it (group commit). With [0, 0], at once
 * (at the end of the current call). */
static uint64_t disk_done_at(cnode *c, uint64_t *start_us) {
    if (c->disk_wait_us > c->now_us) { /* group commit: join the write waiting for the disk */
        *start_us = c->disk_wait_us;
        return c->disk_free_us;
    }
    uint64_t start = c->now_us > c->disk_free_us ? c->now_us : c->disk_free_us;
    *start_us = c->disk_wait_us = start;
    if (c->write_max_us > 0) start += rng_range(&c->disk_rng, c->write_min_us, c->write_max_us);
    c->disk_free_us = start;
    return start;
}

/* What is durable now, for the trace's persist event: the log through its last index, the
 * term and the vote. */
static void tell_persist(cnode *c) {
    if (c->out && c->write_max_us > 0)
        fx(c, (raft_fx_kind)NODE_FX_PERSIST, c->d.start + c->d.n - 1, c->d.term * 256 + c->d.vote);
}

/* Whether a write fails (fail_writes first, then disk.fail's rate). */
static int write_fails(cnode *c) {
    if (c->fail_next > 0) {
        c->fail_next--;
        return 1;
    }
    return c->fail_threshold > 0 && (splitmix(&c->fail_rng) & 0xffffffffu) < c->fail_threshold;
}

/* The mirror after the library dropped entries from its log on its own (0.15.0's
 * appendLeaderCb after a failed write): the engine sees the truncation. */
static void sync_mirror(cnode *c) {
    if (!c->r || raft_last_index(c->r) >= c->log_len) return;
    uint64_t from = raft_last_index(c->r) + 1;
    log_truncate(c, from);
    fx(c, RAFT_FX_TRUNCATE, from, 0);
}

/* A disk write that fails: the library hears RAFT_IOERR; nothing reaches the disk. */
static void op_fail(cnode *c, const pending_op *op) {
    switch (op->kind) {
    case OP_APPEND:
        fx(c, (raft_fx_kind)NODE_FX_DISK_FAIL, NODE_FAIL_APPEND, op->u.append.index);
        op->u.append.cb(op->u.append.req, RAFT_IOERR);
        sync_mirror(c);
        break;
    case OP_TRUNCATE:
        fx(c, (raft_fx_kind)NODE_FX_DISK_FAIL, NODE_FAIL_TRUNCATE, op->u.truncate_from);
        break;
    case OP_PUT:
        fx(c, (raft_fx_kind)NODE_FX_DISK_FAIL, NODE_FAIL_SNAPSHOT, op->u.put.snap->index);
        op->u.put.cb(op->u.put.req, RAFT_IOERR);
        break;
    default: ASSERT(!"only disk writes fail");
    }
}

/* An append whose entries the library has since dropped from its log (a later leader's
 * truncation): 0.15.0 corrupts its heap when told that such a write failed (appendLeaderCb
 * truncates its log at the write's index again: removeSuffix on entries already gone), so
 * its failure is not drawn: it completes, and no entry of it is in the log to count. */
static int append_dropped(const cnode *c, const pending_op *op) {
    raft_index i = op->u.append.index;
    return i > c->log_len || (i >= c->log_start && c->log[i].term != op->u.append.entries[0].term);
}

static void op_fire(cnode *c, const pending_op *op) {
    if (op->disk && (c->fail_threshold || c->fail_next) &&
        !(op->kind == OP_APPEND && append_dropped(c, op)) && write_fails(c)) {
        op_fail(c, op);
        return;
    }
    switch (op->kind) {
    case OP_APPEND:
        disk_write_at(&c->d, op->u.append.index, op->u.append.entries, op->u.append.n);
        tell_persist(c);
        op->u.append.cb(op->u.append.req, 0);
        break;
    case OP_TRUNCATE:
        disk_truncate(&c->d, op->u.truncate_from);
        tell_persist(c);
        break;
    case OP_SEND: /* the library passes no callback for TimeoutNow */
        if (op->u.send.cb) op->u.send.cb(op->u.send.req, op->status);
        break;
    case OP_PUT:
        disk_put_snapshot(&c->d, op->u.put.snap, op->u.put.trailing);
        op->u.put.cb(op->u.put.req, 0);
        break;
    case OP_GET:
        if (c->d.snap)
            op->u.get.cb(op->u.get.req, snapshot_copy(c->d.snap), 0);
        else
            op->u.get.cb(op->u.get.req, NULL, RAFT_NOTFOUND);
        break;
    case OP_WORK: op->u.work.cb(op->u.work.req, op->u.work.req->work(op->u.work.req)); break;
    }
}

/* Fires every request due by now, in (time, submission) order; callbacks may queue more. */
static void drain(cnode *c) {
    while (c->r && c->n_ops > 0 && c->ops[0].at_us <= c->now_us) {
        pending_op op = c->ops[0];
        memmove(c->ops, c->ops + 1, (c->n_ops - 1) * sizeof *c->ops);
        c->n_ops--;
        /* A write that may fail completes in a call of its own when this one wrote the log:
         * the library may drop entries on a failure, and the engine reads the entries a
         * call appended once the call is over. */
        if (op.disk && (c->fail_threshold || c->fail_next) && c->call_high > 0) {
            op.at_us = c->now_us + 1;
            op_insert(c, op); /* its place among the disk's writes kept */
            continue;
        }
        op_fire(c, &op);
        report(c);
    }
}

/* ---- struct raft_io ---------------------------------------------------------------------- */

static cnode *C(struct raft_io *io) {
    return io->impl;
}

/* A tick interval of the node's clock, in real microseconds. */
static uint64_t tick_real_us(const cnode *c) {
    return (uint64_t)c->tick_ms * 1000 * 1000000 / c->clock_ppm;
}

static int io_init(struct raft_io *io, raft_id id, const char *address) {
    (void)address;
    ASSERT(id == C(io)->id);
    return 0;
}

static void io_close(struct raft_io *io, raft_io_close_cb cb) {
    C(io)->close_cb = cb;
}

static int io_load(struct raft_io *io, raft_term *term, raft_id *voted_for,
                   struct raft_snapshot **snapshot, raft_index *start_index,
                   struct raft_entry *entries[], size_t *n_entries) {
    disk *d = &C(io)->d;
    *term = d->term;
    *voted_for = d->vote;
    *snapshot = d->snap ? snapshot_copy(d->snap) : NULL;
    *start_index = d->start;
    *entries = entries_batch(d->entries, d->n);
    *n_entries = d->n;
    return 0;
}

static int io_start(struct raft_io *io, unsigned msecs, raft_io_tick_cb tick,
                    raft_io_recv_cb recv) {
    cnode *c = C(io);
    c->tick_ms = msecs ? msecs : 1;
    c->tick_cb = tick;
    c->recv_cb = recv;
    /* The first tick at a random phase within one interval: nodes do not tick in step. */
    c->next_tick_us = c->now_us + rng_range(&c->rng, 1, tick_real_us(c));
    return 0;
}

static int io_bootstrap(struct raft_io *io, const struct raft_configuration *conf) {
    cnode *c = C(io);
    if (c->d.term != 0 || c->d.n != 0 || c->d.snap) return RAFT_CANTBOOTSTRAP;
    struct raft_entry e = {.term = 1, .type = RAFT_CHANGE};
    int rv = raft_configuration_encode(conf, &e.buf);
    if (rv != 0) return rv;
    disk_append(&c->d, &e, 1);
    raft_free(e.buf.base);
    c->d.term = 1;
    c->d.vote = 0;
    return 0;
}

static int io_recover(struct raft_io *io, const struct raft_configuration *conf) {
    (void)io;
    (void)conf;
    return RAFT_NOTFOUND; /* never used: raftsim does not force configurations */
}

static int io_set_term(struct raft_io *io, raft_term term) {
    cnode *c = C(io);
    c->d.term = term;
    c->d.vote = 0;
    /* Whoever learns a higher term is a follower in it from now on, except a candidate that
     * starts an election: its vote for itself follows at once (io_set_vote), and a candidate
     * that only learned a higher term shows as a follower at the end of the call. */
    if (c->out && c->r && raft_state(c->r) != RAFT_CANDIDATE) {
        fx(c, RAFT_FX_ROLE, term, RAFT_ROLE_FOLLOWER);
        c->told_role = RAFT_ROLE_FOLLOWER;
        c->told_term = term;
    }
    return 0;
}

static int io_set_vote(struct raft_io *io, raft_id id) {
    cnode *c = C(io);
    c->d.vote = id;
    if (!c->out || id == 0) return 0;
    if (id == c->id && c->r && raft_state(c->r) == RAFT_CANDIDATE &&
        (c->told_term != c->d.term || c->told_role != RAFT_ROLE_CANDIDATE)) {
        fx(c, RAFT_FX_ROLE, c->d.term, RAFT_ROLE_CANDIDATE);
        c->told_role = RAFT_ROLE_CANDIDATE;
        c->told_term = c->d.term;
    }
    fx(c, RAFT_FX_VOTE, c->d.term, id);
    return 0;
}

/* The envelope the engine's network and trace read (node.h, raft_msg field use). */
static raft_msg envelope(cnode *c, const struct raft_message *m, raft_entry *ebuf) {
    raft_msg e = {.from = c->id, .to = (uint8_t)m->server_id};
    switch (m->type) {
    case RAFT_IO_REQUEST_VOTE:
        e.type = RAFT_MSG_REQUEST_VOTE;
        e.term = m->request_vote.term;
        e.index = m->request_vote.last_log_index;
        e.log_term = m->request_vote.last_log_term;
        e.ok = m->request_vote.pre_vote; /* RequestVote: ok marks a pre-vote */
        break;
    case RAFT_IO_REQUEST_VOTE_RESULT:
        e.type = RAFT_MSG_REQUEST_VOTE_REPLY;
        e.term = m->request_vote_result.term;
        e.ok = m->request_vote_result.vote_granted;
        e.log_term = m->request_vote_result.pre_vote == raft_tribool_true; /* pre-vote reply */
        break;
    case RAFT_IO_APPEND_ENTRIES:
        e.type = RAFT_MSG_APPEND_ENTRIES;
        e.term = m->append_entries.term;
        e.index = m->append_entries.prev_log_index;
        e.log_term = m->append_entries.prev_log_term;
        e.commit = m->append_entries.leader_commit;
        e.n_entries = m->append_entries.n_entries;
        for (unsigned i = 0; i < e.n_entries; i++)
            ebuf[i] = (raft_entry){.term = m->append_entries.entries[i].term,
                                   .cmd = cmd_of_entry(c, &m->append_entries.entries[i])};
        e.entries = ebuf;
        break;
    case RAFT_IO_APPEND_ENTRIES_RESULT:
        e.type = RAFT_MSG_APPEND_ENTRIES_REPLY;
        e.term = m->append_entries_result.term;
        e.ok = m->append_entries_result.rejected == 0;
        e.index =
            e.ok ? m->append_entries_result.last_log_index : m->append_entries_result.rejected;
        break;
    case RAFT_IO_INSTALL_SNAPSHOT:
        e.type = NODE_MSG_INSTALL_SNAPSHOT;
        e.term = m->install_snapshot.term;
        e.index = m->install_snapshot.last_index;
        e.log_term = m->install_snapshot.last_term;
        break;
    case RAFT_IO_TIMEOUT_NOW:
        e.type = NODE_MSG_TIMEOUT_NOW;
        e.term = m->timeout_now.term;
        e.index = m->timeout_now.last_log_index;
        e.log_term = m->timeout_now.last_log_term;
        break;
    default:
        fprintf(stderr, "raftsim: canonical raft sent a message of unknown type %u\n", m->type);
        abort();
    }
    return e;
}

/* A deep copy of a message, as the body that travels: the library's own may be freed once
 * the send completes. */
static struct raft_message *message_copy(const struct raft_message *src) {
    struct raft_message *m = xraft_malloc(sizeof *m);
    *m = *src;
    m->server_address = NULL;
    if (src->type == RAFT_IO_APPEND_ENTRIES) {
        m->append_entries.entries =
            entries_batch(src->append_entries.entries, src->append_entries.n_entries);
    } else if (src->type == RAFT_IO_INSTALL_SNAPSHOT) {
        conf_copy(&src->install_snapshot.conf, &m->install_snapshot.conf);
        m->install_snapshot.data.base = xraft_malloc(src->install_snapshot.data.len);
        if (src->install_snapshot.data.len)
            memcpy(m->install_snapshot.data.base, src->install_snapshot.data.base,
                   src->install_snapshot.data.len);
    }
    return m;
}

static void message_free(struct raft_message *m) {
    if (m->type == RAFT_IO_APPEND_ENTRIES && m->append_entries.entries) {
        raft_free(m->append_entries.entries[0].batch);
        raft_free(m->append_entries.entries);
    } else if (m->type == RAFT_IO_INSTALL_SNAPSHOT) {
        raft_configuration_close(&m->install_snapshot.conf);
        raft_free(m->install_snapshot.data.base);
    }
    raft_free(m);
}

static int io_send(struct raft_io *io, struct raft_io_send *req, const struct raft_message *m,
                   raft_io_send_cb cb) {
    cnode *c = C(io);
    ASSERT(c->out);
    req->cb = cb;
    if (m->server_id < 1 || m->server_id > c->n_nodes) {
        /* A message to no server (0.15.0 answers an AppendEntries to a leader it no longer
         * knows, id 0, when the write completes after a term change): as a real transport
         * would, the send fails; nothing goes on the network. */
        op_add(c, (pending_op){.at_us = c->now_us,
                               .kind = OP_SEND,
                               .status = RAFT_NOCONNECTION,
                               .u.send = {req, cb}});
        return 0;
    }
    raft_entry small[64], *ebuf = small;
    if (m->type == RAFT_IO_APPEND_ENTRIES && m->append_entries.n_entries > 64)
        ebuf = rs_xmalloc(m->append_entries.n_entries * sizeof *ebuf);
    raft_msg e = envelope(c, m, ebuf);
    node_out_send(c->out, &e, message_copy(m));
    if (ebuf != small) free(ebuf);
    /* Handed to the network: the send completes now, after the library's call returns. */
    op_add(c, (pending_op){.at_us = c->now_us, .kind = OP_SEND, .u.send = {req, cb}});
    return 0;
}

static int io_append(struct raft_io *io, struct raft_io_append *req,
                     const struct raft_entry entries[], unsigned n, raft_io_append_cb cb) {
    cnode *c = C(io);
    ASSERT(c->out && n > 0);
    req->cb = cb;
    /* The library appends the last n entries of its log (it may have dropped entries of its
     * own without io->truncate: sync_mirror). */
    ASSERT(raft_last_index(c->r) + 1 >= n);
    raft_index index = raft_last_index(c->r) + 1 - n;
    if (index <= c->log_len) {
        log_truncate(c, index);
        fx(c, RAFT_FX_TRUNCATE, index, 0);
    }
    uint64_t first = c->log_len + 1;
    ASSERT(first == index);
    for (unsigned i = 0; i < n; i++) {
        log_push(c, entries[i].term, cmd_of_entry(c, &entries[i]));
        conf_note(c, c->log_len, &entries[i]);
    }
    c->call_high = c->log_len;
    fx(c, RAFT_FX_APPEND, first, c->log_len);
    uint64_t start, at = disk_done_at(c, &start);
    op_add(c, (pending_op){.at_us = at,
                           .start_us = start,
                           .kind = OP_APPEND,
                           .disk = 1,
                           .u.append = {req, entries, n, cb, index}});
    return 0;
}

static int io_truncate(struct raft_io *io, raft_index index) {
    cnode *c = C(io);
    ASSERT(c->out);
    log_truncate(c, index);
    conf_drop_from(c, index);
    fx(c, RAFT_FX_TRUNCATE, index, 0);
    uint64_t start, at = disk_done_at(c, &start);
    op_add(c, (pending_op){.at_us = at,
                           .start_us = start,
                           .kind = OP_TRUNCATE,
                           .disk = 1,
                           .u.truncate_from = index});
    return 0;
}

static int io_snapshot_put(struct raft_io *io, unsigned trailing, struct raft_io_snapshot_put *req,
                           const struct raft_snapshot *snap, raft_io_snapshot_put_cb cb) {
    cnode *c = C(io);
    req->cb = cb;
    if (req->data != c->r) {
        /* An install (the library marks its own takes with itself): its whole log is replaced
         * now, in memory; the disk follows when the write completes. */
        ASSERT(trailing == 0 && snap->n_bufs == 1);
        uint64_t id, index;
        snap_decode(&snap->bufs[0], &id, &index);
        ASSERT(index == snap->index);
        log_restart_after(c, snap->index);
        conf_install(c, snap->index, &snap->configuration);
        fx(c, (raft_fx_kind)NODE_FX_SNAP_INSTALL, snap->index, id);
    }
    uint64_t start, at = disk_done_at(c, &start);
    op_add(c, (pending_op){.at_us = at,
                           .start_us = start,
                           .kind = OP_PUT,
                           .disk = 1,
                           .u.put = {req, snap, trailing, cb}});
    return 0;
}

static int io_snapshot_get(struct raft_io *io, struct raft_io_snapshot_get *req,
                           raft_io_snapshot_get_cb cb) {
    cnode *c = C(io);
    req->cb = cb;
    op_add(c, (pending_op){.at_us = c->now_us, .kind = OP_GET, .u.get = {req, cb}});
    return 0;
}

static int io_async_work(struct raft_io *io, struct raft_io_async_work *req,
                         raft_io_async_work_cb cb) {
    cnode *c = C(io);
    req->cb = cb;
    op_add(c, (pending_op){.at_us = c->now_us, .kind = OP_WORK, .u.work = {req, cb}});
    return 0;
}

/* The node's own clock, in milliseconds: real time times its rate. */
static raft_time io_time(struct raft_io *io) {
    const cnode *c = C(io);
    return (raft_time)((unsigned __int128)c->now_us * c->clock_ppm / 1000000 / 1000);
}

static int io_random(struct raft_io *io, int min, int max) {
    ASSERT(min <= max && min >= 0);
    return (int)rng_range(&C(io)->rng, (uint64_t)min, (uint64_t)max);
}

/* ---- the state machine: the engine applies through the effects; nothing to keep here --- */

static int fsm_apply(struct raft_fsm *fsm, const struct raft_buffer *buf, void **result) {
    (void)fsm;
    (void)buf;
    *result = NULL;
    return 0;
}

/* The library takes a snapshot at its last applied index: every apply through it is reported
 * first, then the take, whose state the engine saves under a new id. */
static int fsm_snapshot(struct raft_fsm *fsm, struct raft_buffer *bufs[], unsigned *n_bufs) {
    cnode *c = fsm->data;
    report(c);
    uint64_t id = c->env->snapshot_id(c->env->ctx), index = c->r->last_applied;
    unsigned char *p = xraft_malloc(SNAP_BYTES);
    put_le64(p, id);
    put_le64(p + 8, index);
    *bufs = xraft_malloc(sizeof **bufs);
    (*bufs)[0].base = p;
    (*bufs)[0].len = SNAP_BYTES;
    *n_bufs = 1;
    fx(c, (raft_fx_kind)NODE_FX_SNAP_TAKE, index, id);
    return 0;
}

/* The library resets its state machine from a snapshot (an install completed, or a restart):
 * the engine resets the node's from the state it saved; nothing through the index is applied
 * one by one. */
static int fsm_restore(struct raft_fsm *fsm, struct raft_buffer *buf) {
    cnode *c = fsm->data;
    uint64_t id, index;
    snap_decode(buf, &id, &index);
    raft_free(buf->base);
    if (index > c->told_applied) c->told_applied = index;
    fx(c, (raft_fx_kind)NODE_FX_SNAP_RESTORE, id, 0);
    return 0;
}

static void tracer_emit(struct raft_tracer *t, const char *file, int line, const char *msg) {
    (void)t;
    (void)file;
    (void)line;
    (void)msg;
}

/* ---- node.h ---------------------------------------------------------------------------- */

/* Everything the library may do in one engine call happens between begin() and end(). */
static void begin(cnode *c, uint64_t now_us, node_out *out) {
    c->now_us = now_us;
    c->out = out;
    c->call_high = 0;
}

static int promote_spare(cnode *c);

static void end(cnode *c) {
    report(c);
    drain(c);
    report(c);
    if (promote_spare(c)) {
        drain(c);
        report(c);
    }
    c->out = NULL;
}

static int canonical_check(const scenario *scn, char *why, size_t cap) {
    if (scn->n_initial > 0) {
        snprintf(why, cap,
                 "initial: canonical raft starts every node from its bootstrap "
                 "configuration (entry 1); a preset log or term cannot be loaded");
        return 2;
    }
    if (scn->heartbeat_us < 1000) {
        snprintf(why, cap,
                 "cluster.heartbeat_ms: canonical raft counts whole milliseconds; "
                 "the heartbeat must be at least 1 ms");
        return 2;
    }
    return 0;
}

static void *canonical_create(const node_params *p) {
    cnode *c = rs_xcalloc(1, sizeof *c);
    c->id = p->id;
    c->n_nodes = p->n_nodes;
    c->voters0 = p->cfg.voters0 ? p->cfg.voters0 : p->n_nodes;
    c->rng = p->rng_seed;
    c->disk_rng = p->disk_seed;
    c->write_min_us = p->scn->disk_write.min_us;
    c->write_max_us = p->scn->disk_write.max_us;
    c->torn_writes = p->scn->torn_writes;
    c->fail_threshold = rs_rng_threshold32(p->scn->disk_fail);
    c->fail_rng = p->disk_seed ^ 0xFA11FA11FA11FA11ull; /* a stream of its own */
    c->prevote = p->scn->prevote;
    c->snapshot_every = p->scn->snapshot_every;
    c->snapshot_trailing = p->scn->snapshot_trailing;
    c->clock_ppm = p->clock_ppm;
    c->env = p->env;
    c->heartbeat_ms = p->cfg.heartbeat_us / 1000;
    c->election_ms = p->cfg.election_timeout_min_us / 1000;
    c->election_max_ms = p->cfg.election_timeout_max_us / 1000;
    if (c->election_ms <= c->heartbeat_ms) c->election_ms = c->heartbeat_ms + 1;
    c->d.start = 1;
    c->log_start = 1;
    c->cmd_barrier = UINT32_MAX;
    return c;
}

static void canonical_load(void *node, uint64_t term, uint8_t voted_for, const raft_entry *entries,
                           uint64_t n_entries) {
    (void)node;
    (void)term;
    (void)voted_for;
    (void)entries;
    (void)n_entries;
    ASSERT(!"canonical_check refuses initial state");
}

/* The mirror log becomes what the disk holds: after a crash, the node's log is its durable
 * one (node.h: entry() and status() then show what a restart loads). */
static void mirror_from_disk(cnode *c) {
    log_restart_after(c, c->d.start - 1);
    for (size_t i = 0; i < c->d.n; i++) {
        log_push(c, c->d.entries[i].term, cmd_of_entry(c, &c->d.entries[i]));
        conf_note(c, c->log_len, &c->d.entries[i]);
    }
}

static void close_done(struct raft *r) {
    raft_free(r);
}

/* Loses the incarnation: the library is closed, every pending request cancelled (reads and
 * sends first, disk writes newest first), writes not yet complete are lost. */
static void canonical_crash(void *node, uint64_t now_us) {
    cnode *c = node;
    if (!c->r) return;
    struct raft *r = c->r;
    c->out = NULL;
    c->now_us = now_us;
    /* With torn writes, the disk write in progress may leave a prefix of its entries. */
    for (size_t i = 0; i < c->n_ops && c->torn_writes; i++) {
        const pending_op *op = &c->ops[i];
        if (!op->disk) continue;
        if (op->kind == OP_APPEND && op->start_us <= c->now_us && op->u.append.n > 1)
            disk_write_at(&c->d, op->u.append.index, op->u.append.entries,
                          (unsigned)rng_range(&c->disk_rng, 0, op->u.append.n - 1));
        break; /* only the first disk write can be in progress */
    }
    raft_close(r, close_done);
    for (size_t i = 0; i < c->n_ops; i++) {
        const pending_op *op = &c->ops[i];
        if (op->kind == OP_SEND && op->u.send.cb) op->u.send.cb(op->u.send.req, RAFT_CANCELED);
        if (op->kind == OP_GET) op->u.get.cb(op->u.get.req, NULL, RAFT_CANCELED);
        if (op->kind == OP_WORK) op->u.work.cb(op->u.work.req, RAFT_CANCELED);
    }
    for (size_t i = c->n_ops; i-- > 0;) {
        const pending_op *op = &c->ops[i];
        if (op->kind == OP_APPEND) op->u.append.cb(op->u.append.req, 0);
        if (op->kind == OP_PUT) op->u.put.cb(op->u.put.req, 0);
    }
    c->n_ops = 0;
    ASSERT(c->close_cb);
    raft_io_close_cb cb = c->close_cb;
    c->close_cb = NULL;
    c->r = NULL;
    cb(&c->io); /* the library frees its log, then calls close_done */
    disk_read_back(&c->d);
    mirror_from_disk(c);
}

static void canonical_destroy(void *node) {
    cnode *c = node;
    canonical_crash(c, c->now_us);
    disk_free(&c->d);
    free(c->ops);
    free(c->log);
    free(c->confs);
    free(c);
}

static void setup_io(cnode *c) {
    memset(&c->io, 0, sizeof c->io);
    c->io.version = 2;
    c->io.impl = c;
    c->io.init = io_init;
    c->io.close = io_close;
    c->io.load = io_load;
    c->io.start = io_start;
    c->io.bootstrap = io_bootstrap;
    c->io.recover = io_recover;
    c->io.set_term = io_set_term;
    c->io.set_vote = io_set_vote;
    c->io.send = io_send;
    c->io.append = io_append;
    c->io.truncate = io_truncate;
    c->io.snapshot_put = io_snapshot_put;
    c->io.snapshot_get = io_snapshot_get;
    c->io.time = io_time;
    c->io.random = io_random;
    c->io.async_work = io_async_work;
    memset(&c->fsm, 0, sizeof c->fsm);
    c->fsm.version = 1;
    c->fsm.data = c;
    c->fsm.apply = fsm_apply;
    c->fsm.snapshot = fsm_snapshot;
    c->fsm.restore = fsm_restore;
    c->tracer = (struct raft_tracer){.enabled = false, .emit = tracer_emit};
}

static void fail_lib(cnode *c, const char *what, int rv) {
    fprintf(stderr, "raftsim: canonical raft node %u: %s failed: %s (%d)\n", c->id, what,
            raft_strerror(rv), rv);
    abort();
}

/* The disk before the run: what raft_bootstrap() has the io write (io_bootstrap): the whole
 * cluster's configuration as entry 1, in term 1. Written here for every node before any
 * starts, as the scenario's initial state is, so that no node commits entry 1 before the
 * others hold it. */
static void canonical_bootstrap(void *node, node_out *out) {
    cnode *c = node;
    ASSERT(!c->r && c->d.n == 0);
    begin(c, 0, out);
    struct raft_configuration conf;
    raft_configuration_init(&conf);
    for (unsigned i = 1; i <= c->voters0; i++) /* spares join later, with no configuration */
        if (raft_configuration_add(&conf, i, address_of(i), RAFT_VOTER) != 0) abort();
    struct raft_entry e = {.term = 1, .type = RAFT_CHANGE};
    int rv = raft_configuration_encode(&conf, &e.buf);
    raft_configuration_close(&conf);
    if (rv != 0) fail_lib(c, "raft_configuration_encode", rv);
    disk_append(&c->d, &e, 1);
    raft_free(e.buf.base);
    c->d.term = 1;
    c->d.vote = 0;
    fx(c, RAFT_FX_ROLE, 1, RAFT_ROLE_FOLLOWER);
    log_push(c, 1, cmd_of_entry(c, &c->d.entries[0]));
    conf_note(c, 1, &c->d.entries[0]);
    fx(c, RAFT_FX_APPEND, 1, 1);
    c->out = NULL;
}

/* Boots from the disk. */
static void canonical_start(void *node, uint64_t now_us, node_out *out) {
    cnode *c = node;
    ASSERT(!c->r);
    begin(c, now_us, out);
    setup_io(c);
    c->r = xraft_malloc(sizeof *c->r);
    int rv = raft_init(c->r, &c->io, &c->fsm, c->id, address_of(c->id));
    if (rv != 0) fail_lib(c, "raft_init", rv);
    c->r->tracer = &c->tracer; /* the default one reads the environment and the wall clock */
    raft_set_election_timeout(c->r, (unsigned)c->election_ms);
    raft_set_heartbeat_timeout(c->r, (unsigned)c->heartbeat_ms);
    /* SPEC section 8 cluster.snapshot; without it, never. */
    raft_set_snapshot_threshold(c->r, c->snapshot_every ? c->snapshot_every : UINT32_MAX);
    raft_set_snapshot_trailing(c->r, c->snapshot_trailing);
    /* A leader waits this long for a follower to install a snapshot before it sends another (a
     * lost InstallSnapshot is otherwise never resent: the follower's rejections of the leader's
     * heartbeats meanwhile name the wrong index to end the wait). The library's default is 30
     * s against its 1 s election timeout; raftsim's timings are shorter, so two election
     * timeouts (the range's max), which a run's liveness phase can outwait. */
    raft_set_install_snapshot_timeout(c->r, (unsigned)(2 * c->election_max_ms));
    raft_set_pre_vote(c->r, c->prevote);
    mirror_from_disk(c); /* the library loads what the disk holds */
    c->stopped_told = 0;
    c->told_role = RAFT_ROLE_FOLLOWER;
    c->told_term = c->d.term;
    c->told_commit = 0;
    c->told_applied = 0;
    c->disk_free_us = now_us;
    c->disk_wait_us = 0;
    rv = raft_start(c->r);
    if (rv != 0) fail_lib(c, "raft_start", rv);
    end(c);
}

static void canonical_step(void *node, uint64_t now_us, const raft_msg *m, const void *body,
                           node_out *out) {
    cnode *c = node;
    ASSERT(c->r && body);
    begin(c, now_us, out);
    struct raft_message *copy = message_copy(body); /* the library takes its heap parts */
    copy->server_id = m->from;
    copy->server_address = address_of(m->from);
    c->recv_cb(&c->io, copy);
    raft_free(copy);
    end(c);
}

static uint64_t canonical_deadline(const void *node) {
    const cnode *c = node;
    if (!c->r) return UINT64_MAX;
    uint64_t d = c->next_tick_us;
    if (c->n_ops > 0 && c->ops[0].at_us < d) d = c->ops[0].at_us;
    return d;
}

static const char *canonical_timer_name(const void *node) {
    const cnode *c = node;
    return c->n_ops > 0 && c->ops[0].at_us < c->next_tick_us ? "io" : "tick";
}

static void canonical_tick(void *node, uint64_t now_us, node_out *out) {
    cnode *c = node;
    ASSERT(c->r);
    begin(c, now_us, out);
    drain(c);
    if (c->r && c->next_tick_us <= now_us) {
        c->next_tick_us += tick_real_us(c);
        if (c->next_tick_us <= now_us) /* late (a paused node): the next one from now */
            c->next_tick_us = now_us + tick_real_us(c);
        c->tick_cb(&c->io);
    }
    end(c);
}

static void transfer_done(struct raft_transfer *req) {
    free(req);
}

/* raft_transfer(): the library catches the target up and sends it TimeoutNow itself; it
 * refuses commands meanwhile, and gives up after an election timeout. */
static int canonical_transfer(void *node, uint64_t now_us, uint8_t target, node_out *out) {
    cnode *c = node;
    if (!c->r || raft_state(c->r) != RAFT_LEADER) return 0;
    begin(c, now_us, out);
    struct raft_transfer *req = rs_xcalloc(1, sizeof *req);
    int rv = raft_transfer(c->r, req, target, transfer_done);
    if (rv != 0) { /* refused (not a voter, itself, a transfer under way): nothing happened */
        free(req);
        c->out = NULL;
        return 0;
    }
    end(c);
    return 1;
}

/* Membership (SPEC section 8): raft_add() brings the server in as a spare; raft_assign
 * (RAFT_VOTER) then has the library catch it up and append the configuration that makes it a
 * voter. The library keeps no record of that wish (a leader that changes before the assign
 * leaves the server a spare for good), and in raftsim a spare only ever stands for an addition
 * under way, so whichever node leads asks it, at the end of a call (the library's callbacks
 * are no place to start a change), as an operator retrying against the new leader would. */
static void change_done(struct raft_change *req, int status) {
    (void)status;
    free(req);
}

/* On a leader whose configuration holds a spare and that can change it now (no change or
 * catch-up in flight, no transfer): asks its promotion. 1 if asked. */
static int promote_spare(cnode *c) {
    if (!c->r || raft_state(c->r) != RAFT_LEADER || c->r->configuration_uncommitted_index != 0 ||
        c->r->leader_state.promotee_id != 0)
        return 0;
    const struct raft_configuration *cfg = &c->r->configuration;
    for (unsigned i = 0; i < cfg->n; i++) {
        if (cfg->servers[i].role != RAFT_SPARE) continue;
        struct raft_change *req = rs_xcalloc(1, sizeof *req);
        if (raft_assign(c->r, req, cfg->servers[i].id, RAFT_VOTER, change_done) == 0) return 1;
        free(req); /* refused (a transfer in flight): asked again at a later call */
        return 0;
    }
    return 0;
}

static int canonical_change(void *node, uint64_t now_us, node_change_op op, uint8_t target,
                            node_out *out) {
    cnode *c = node;
    if (!c->r || raft_state(c->r) != RAFT_LEADER) return 0;
    begin(c, now_us, out);
    struct raft_change *req = rs_xcalloc(1, sizeof *req);
    int rv = op == NODE_CHANGE_ADD ? raft_add(c->r, req, target, address_of(target), change_done)
                                   : raft_remove(c->r, req, target, change_done);
    if (rv != 0) { /* refused (a change in flight, not found, ...): nothing happened */
        free(req);
        c->out = NULL;
        return 0;
    }
    end(c);
    return 1;
}

static uint64_t canonical_conf(const void *node, uint64_t index, raft_conf *conf) {
    const cnode *c = node;
    for (size_t k = c->n_confs; k-- > 0;)
        if (c->confs[k].index <= index) {
            *conf = c->confs[k].conf;
            return c->confs[k].index;
        }
    memset(conf, 0, sizeof *conf); /* before any configuration: a spare's, or none known */
    return 0;
}

static void apply_done(struct raft_apply *req, int status, void *result) {
    (void)status;
    (void)result;
    free(req);
}

static int canonical_propose(void *node, uint64_t now_us, uint32_t cmd, node_out *out) {
    cnode *c = node;
    if (!c->r || raft_state(c->r) != RAFT_LEADER) return 0;
    begin(c, now_us, out);
    struct raft_buffer buf = {.base = xraft_malloc(CMD_BYTES), .len = CMD_BYTES};
    put_le64(buf.base, cmd);
    struct raft_apply *req = rs_xcalloc(1, sizeof *req);
    int rv = raft_apply(c->r, req, &buf, 1, apply_done);
    if (rv != 0) { /* refused (a leadership transfer in progress): nothing happened */
        raft_free(buf.base);
        free(req);
        c->out = NULL;
        return 0;
    }
    end(c);
    return 1;
}

static void canonical_status(const void *node, node_status *st) {
    const cnode *c = node;
    if (!c->r) {
        *st = (node_status){.role = RAFT_ROLE_FOLLOWER,
                            .term = c->d.term,
                            .voted_for = (uint8_t)c->d.vote,
                            .last_index = c->log_len,
                            .snap_index = c->d.snap ? c->d.snap->index : 0};
        return;
    }
    st->role = (raft_role)role_of(raft_state(c->r));
    st->term = c->r->current_term;
    st->commit = c->r->commit_index;
    st->last_index = c->log_len;
    st->voted_for = (uint8_t)c->r->voted_for;
    raft_id leader = 0;
    const char *address = NULL;
    raft_leader(c->r, &leader, &address);
    st->leader_hint = (uint8_t)leader;
    st->snap_index = c->log_start - 1;
}

static const raft_entry *canonical_entry(const void *node, uint64_t index) {
    const cnode *c = node;
    ASSERT(index >= c->log_start && index >= 1 && index <= c->log_len);
    return &c->log[index];
}

static void canonical_fail_writes(void *node, uint32_t count) {
    ((cnode *)node)->fail_next = count;
}

static void canonical_fail_rate(void *node, uint64_t threshold) {
    ((cnode *)node)->fail_threshold = threshold;
}

static void canonical_body_free(void *body) {
    message_free(body);
}

const node_impl node_canonical = {
    .name = "canonical",
    .version = "0.15.0",
    .what = "canonical raft (libraft-dev, the library behind LXD and dqlite) via its raft_io",
    .persist_before_send = 0,
    .own_disk = 1,
    .index_base = 1,
    .term_base = 1,
    .bugs = 0, /* the library runs as Debian ships it */
    /* check-quorum: always on in the library (a scenario cannot turn it off; README) */
    .features = NODE_FEAT_PREVOTE | NODE_FEAT_SNAPSHOT | NODE_FEAT_CHECK_QUORUM |
                NODE_FEAT_TRANSFER | NODE_FEAT_FAILED_WRITES | NODE_FEAT_MEMBERS,
    .check_scenario = canonical_check,
    .create = canonical_create,
    .destroy = canonical_destroy,
    .load = canonical_load,
    .bootstrap = canonical_bootstrap,
    .start = canonical_start,
    .crash = canonical_crash,
    .step = canonical_step,
    .tick = canonical_tick,
    .deadline = canonical_deadline,
    .timer_name = canonical_timer_name,
    .transfer = canonical_transfer,
    .propose = canonical_propose,
    .status = canonical_status,
    .entry = canonical_entry,
    .body_free = canonical_body_free,
    .fail_writes = canonical_fail_writes,
    .fail_rate = canonical_fail_rate,
    .change = canonical_change,
    .conf = canonical_conf,
};
