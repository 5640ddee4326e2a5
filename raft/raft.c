/* raft.c - the Raft node of raft.h: Figure 2 of the Raft paper, with conflict-term hints for
 * fast nextIndex backup. Every function is a pure step from (state, input) to (state, out). */
#include "raft/raft.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Internal invariants stay checked in every build; raft/ has no IO otherwise. */
#define RAFT_ASSERT(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "raftsim: raft assertion failed: %s (%s:%d)\n", #cond, __FILE__,       \
                    __LINE__);                                                                     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void *raft_grow_slow(void *ptr, size_t *cap, size_t need, size_t elem) {
    size_t new_cap = *cap ? *cap : 16;
    while (new_cap < need) new_cap *= 2;
    void *p = realloc(ptr, new_cap * elem);
    if (!p) {
        fprintf(stderr, "raftsim: out of memory growing raft state\n");
        abort();
    }
    *cap = new_cap;
    return p;
}

/* The common case (room left) inline; growth out of line. */
static inline void *raft_grow(void *ptr, size_t *cap, size_t need, size_t elem) {
    return need <= *cap ? ptr : raft_grow_slow(ptr, cap, need, elem);
}

/* ---- outbox ---------------------------------------------------------------------------- */

void raft_out_init(raft_out *out) {
    memset(out, 0, sizeof *out);
}

void raft_out_clear(raft_out *out) {
    out->n_fx = 0;
    out->n_msgs = 0;
    out->n_entries = 0;
}

void raft_out_free(raft_out *out) {
    free(out->fx);
    free(out->msgs);
    free(out->entries);
    free(out->msg_entry_off);
    memset(out, 0, sizeof *out);
}

static inline void fx_push(raft_out *out, raft_fx_kind kind, uint64_t a, uint64_t b) {
    out->fx = raft_grow(out->fx, &out->cap_fx, out->n_fx + 1, sizeof *out->fx);
    out->fx[out->n_fx++] = (raft_fx){.kind = (uint8_t)kind, .a = a, .b = b};
}

void raft_out_fx(raft_out *out, raft_fx_kind kind, uint64_t a, uint64_t b) {
    fx_push(out, kind, a, b);
}

/* Queues a message. Its entries are copied into the outbox, so that later log changes in the
 * same step cannot alter it; raft_out_msg() hands the message out with its entries. */
void raft_out_send(raft_out *out, const raft_msg *m) {
    out->msgs = raft_grow(out->msgs, &out->cap_msgs, out->n_msgs + 1, sizeof *out->msgs);
    out->msg_entry_off =
        raft_grow(out->msg_entry_off, &out->cap_off, out->n_msgs + 1, sizeof *out->msg_entry_off);
    raft_msg *slot = &out->msgs[out->n_msgs];
    *slot = *m;
    slot->entries = NULL;
    out->msg_entry_off[out->n_msgs] = out->n_entries;
    if (m->n_entries > 0) {
        out->entries = raft_grow(out->entries, &out->cap_entries, out->n_entries + m->n_entries,
                                 sizeof *out->entries);
        for (uint32_t k = 0; k < m->n_entries; k++)
            out->entries[out->n_entries + k] = m->entries[k];
        out->n_entries += m->n_entries;
    }
    fx_push(out, RAFT_FX_SEND, out->n_msgs, 0);
    out->n_msgs++;
}

raft_msg raft_out_msg(const raft_out *out, size_t i) {
    RAFT_ASSERT(i < out->n_msgs);
    raft_msg m = out->msgs[i];
    m.entries = m.n_entries ? &out->entries[out->msg_entry_off[i]] : NULL;
    return m;
}

/* A read waiting (raft_node_read): answered once a majority answered a heartbeat round at
 * least as new as its own, and the node applied through its index. */
struct raft_read {
    uint64_t id, index;
    uint32_t round;
};

/* ---- small helpers --------------------------------------------------------------------- */

static uint64_t rng_next(raft_node *n) {
    uint64_t z = (n->rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Randomized election timeout (5.2): uniform in [min, max]. */
static void reset_election_timer(raft_node *n, uint64_t now_us) {
    uint64_t lo = n->cfg.election_timeout_min_us, hi = n->cfg.election_timeout_max_us;
    uint64_t span = hi - lo + 1;
    n->election_deadline_us = now_us + lo + (span ? rng_next(n) % span : 0);
}

/* A majority of the voters of the configuration in force (thesis 4.1). */
static uint32_t majority(const raft_node *n) {
    return n->n_voters / 2u + 1u;
}

/* The entry at index, writable (log_off <= index <= log_len). */
static inline raft_entry *ent(raft_node *n, uint64_t index) {
    return &n->log[index - n->log_off];
}

/* ---- membership (thesis 4.1-4.3) --------------------------------------------------------- */

int raft_conf_apply(raft_conf *c, raft_conf_op op, uint8_t node) {
    uint64_t bit = 1ull << (node & 63);
    unsigned w = node >> 6;
    int voter = raft_conf_is_voter(c, node), learner = raft_conf_is_learner(c, node);
    switch (op) {
    case RAFT_CONF_ADD_LEARNER:
        if (voter || learner || node == RAFT_NODE_NONE) return 0;
        c->learners[w] |= bit;
        return 1;
    case RAFT_CONF_PROMOTE:
        if (!learner) return 0;
        c->learners[w] &= ~bit;
        c->voters[w] |= bit;
        return 1;
    case RAFT_CONF_REMOVE:
        if (!voter && !learner) return 0;
        c->learners[w] &= ~bit;
        c->voters[w] &= ~bit;
        return 1;
    }
    return 0;
}

uint32_t raft_conf_voter_count(const raft_conf *c) {
    uint32_t k = 0;
    for (unsigned w = 0; w < 4; w++) k += (uint32_t)__builtin_popcountll(c->voters[w]);
    return k;
}

/* Makes c the configuration in force: the per-id membership table and the counts. */
static void conf_set(raft_node *n, const raft_conf *c) {
    n->conf = *c;
    n->n_voters = 0;
    n->n_learners = 0;
    for (uint32_t p = 0; p <= n->n_nodes; p++) {
        uint8_t id = (uint8_t)p;
        n->member[p] = raft_conf_is_voter(c, id) ? 2 : raft_conf_is_learner(c, id) ? 1 : 0;
        n->n_voters += n->member[p] == 2;
        n->n_learners += n->member[p] == 1;
    }
}

/* A configuration entry was appended at index: it takes effect at once (thesis 4.1). Out of
 * line and cold, so that log_append, on every entry's path, stays small enough to inline. */
__attribute__((noinline, cold)) static void conf_appended(raft_node *n, uint64_t index, const raft_entry *e) {
    raft_conf c = n->conf;
    /* A change that does not apply (only an injected bug or a hand-made log writes one) leaves
     * the configuration as it was: every node reads the same log the same way. */
    (void)raft_conf_apply(&c, (raft_conf_op)e->conf_op, e->conf_node);
    n->confs = raft_grow(n->confs, &n->cap_confs, n->n_confs + 1, sizeof *n->confs);
    n->confs[n->n_confs++] = (struct raft_conf_rec){.index = index, .conf = c};
    conf_set(n, &c);
}

/* Entries from `from` on were deleted: their configurations no longer hold. */
static void conf_truncated(raft_node *n, uint64_t from) {
    if (n->n_confs == 0 || n->confs[n->n_confs - 1].index < from) return;
    while (n->n_confs > 0 && n->confs[n->n_confs - 1].index >= from) n->n_confs--;
    conf_set(n, n->n_confs ? &n->confs[n->n_confs - 1].conf : &n->conf_base);
}

/* The starting cluster's configuration: ids 1..voters0 (all, if unset) vote. */
static raft_conf conf_initial(const raft_node *n) {
    raft_conf c = {0};
    uint32_t voters = n->cfg.voters0 ? n->cfg.voters0 : n->n_nodes;
    for (uint32_t p = 1; p <= voters; p++) c.voters[p >> 6] |= 1ull << (p & 63);
    return c;
}

/* The log now starts after index `to` (compaction, a snapshot installed or loaded), whose
 * configuration is c: it becomes conf_base, and the records of entries at or below `to` go. */
static void conf_rebase(raft_node *n, uint64_t to, const raft_conf *c) {
    size_t k = 0;
    while (k < n->n_confs && n->confs[k].index <= to) k++;
    if (k > 0) { /* (confs may be NULL when there is none) */
        memmove(n->confs, n->confs + k, (n->n_confs - k) * sizeof *n->confs);
        n->n_confs -= k;
    }
    n->conf_base = *c;
    conf_set(n, n->n_confs ? &n->confs[n->n_confs - 1].conf : &n->conf_base);
}

static uint64_t conf_latest_index(const raft_node *n) {
    return n->n_confs ? n->confs[n->n_confs - 1].index : 0;
}

uint64_t raft_conf_at(const raft_node *n, uint64_t index, raft_conf *c) {
    RAFT_ASSERT(index <= n->log_len);
    for (size_t k = n->n_confs; k-- > 0;)
        if (n->confs[k].index <= index) {
            *c = n->confs[k].conf;
            return n->confs[k].index;
        }
    *c = n->conf_base;
    return 0;
}

static inline void log_append(raft_node *n, raft_entry e) {
    uint64_t k = ++n->log_len - n->log_off;
    n->log = raft_grow(n->log, &n->log_cap, k + 1, sizeof *n->log);
    n->log[k] = e;
    if (__builtin_expect(e.kind == RAFT_ENTRY_CONFIG, 0)) conf_appended(n, n->log_len, &e);
}

/* The one place where role and term change, checked against the allowed transitions. */
static void become(raft_node *n, raft_role role, uint64_t term, raft_out *out) {
    RAFT_ASSERT(term >= n->term);
    RAFT_ASSERT(role != RAFT_ROLE_LEADER || (n->role == RAFT_ROLE_CANDIDATE && term == n->term));
    RAFT_ASSERT(role != RAFT_ROLE_CANDIDATE || term == n->term + 1);
    if (role == n->role && term == n->term) return;
    /* A deposed leader's election deadline is from before it led: restart it, or it would
     * stand for election the instant it steps down and depose the leader that just won. */
    if (n->role == RAFT_ROLE_LEADER && role == RAFT_ROLE_FOLLOWER)
        reset_election_timer(n, n->now_us);
    if (term > n->term) {
        n->term = term;
        n->voted_for = RAFT_NODE_NONE;
        n->leader_hint = RAFT_NODE_NONE; /* whoever leads the new term is not known yet */
    }
    n->prevoting = 0;
    n->role = role;
    if (role != RAFT_ROLE_LEADER) {
        n->transfer_to = RAFT_NODE_NONE;
        n->n_reads = 0; /* no longer sure to lead: the reads are dropped, unanswered */
    }
    fx_push(out, RAFT_FX_ROLE, n->term, (uint64_t)role);
}

static void grant_vote(raft_node *n, uint8_t candidate, raft_out *out) {
    RAFT_ASSERT(n->voted_for == RAFT_NODE_NONE || n->voted_for == candidate);
    if (n->voted_for == candidate) return;
    n->voted_for = candidate;
    fx_push(out, RAFT_FX_VOTE, n->term, candidate);
}

/* Rules for all servers: a higher term seen anywhere turns the node into a follower. */
static void observe_term(raft_node *n, uint64_t term, raft_out *out) {
    if (term > n->term) become(n, RAFT_ROLE_FOLLOWER, term, out);
}

/* ---- snapshots (paper section 7) ----------------------------------------------------------- */

/* The node saves its state machine through its last applied entry (the caller keeps it, under
 * the id it handed in), and drops its log up to snapshot_trailing entries behind it: at the start
 * of its next call (compact), since the caller reads this call's applied entries afterwards. */
static void take_snapshot(raft_node *n, raft_out *out) {
    if (n->snap_id_next == 0) return; /* no id yet: taken once one is given */
    n->snap = (raft_snapshot_meta){
        .index = n->applied, .term = ent(n, n->applied)->term, .id = n->snap_id_next};
    (void)raft_conf_at(n, n->applied, &n->snap.conf);
    n->snap_id_next = 0;
    fx_push(out, RAFT_FX_SNAP_TAKE, n->snap.index, n->snap.id);
    uint64_t keep = n->cfg.snapshot_trailing;
    if (n->snap.index > keep && n->snap.index - keep > n->log_off)
        n->compact_to = n->snap.index - keep;
}

/* Frees the entries at or below compact_to (the entry there stays, as log[0], for its term). */
static void compact(raft_node *n) {
    uint64_t to = n->compact_to;
    n->compact_to = 0;
    RAFT_ASSERT(to > n->log_off && to <= n->snap.index && to <= n->log_len);
    uint64_t keep = n->log_len - to + 1;
    if (n->n_confs && n->confs[0].index <= to) { /* configuration entries compacted away */
        raft_conf c;
        (void)raft_conf_at(n, to, &c);
        conf_rebase(n, to, &c);
    }
    memmove(n->log, ent(n, to), keep * sizeof *n->log);
    n->log_off = to;
    if (n->log_cap > 64 && keep * 4 < n->log_cap) { /* give memory back: the log shrank */
        size_t cap = keep * 2 > 64 ? (size_t)keep * 2 : 64;
        raft_entry *p = realloc(n->log, cap * sizeof *n->log);
        RAFT_ASSERT(p);
        n->log = p;
        n->log_cap = cap;
    }
}

/* Every public call starts here: the call's time, and a compaction due from the last call. */
static inline void begin(raft_node *n, uint64_t now_us) {
    n->now_us = now_us;
    if (n->compact_to) compact(n);
}

/* The node's log becomes the snapshot (Figure 13 step 7: the whole log is discarded), and its
 * state machine is reset from it (step 8): committed and applied through its index. */
static void install_snapshot(raft_node *n, const raft_snapshot_meta *sm, raft_out *out) {
    n->snap = *sm;
    n->log_off = n->log_len = sm->index;
    n->log[0] = (raft_entry){.term = sm->term};
    n->compact_to = 0;
    n->n_confs = 0;
    conf_rebase(n, sm->index, &sm->conf);
    if (n->persisted > sm->index) n->persisted = sm->index;
    fx_push(out, RAFT_FX_SNAP_INSTALL, sm->index, sm->id);
    fx_push(out, RAFT_FX_SNAP_RESTORE, sm->id, 0);
    n->applied = sm->index;
    if (sm->index > n->commit) fx_push(out, RAFT_FX_COMMIT, sm->index, 0);
    n->commit = sm->index;
}

static void advance_commit(raft_node *n, uint64_t commit, raft_out *out) {
    RAFT_ASSERT(commit <= n->log_len);
    if (commit <= n->commit) return;
    n->commit = commit;
    fx_push(out, RAFT_FX_COMMIT, commit, 0);
    fx_push(out, RAFT_FX_APPLY, n->applied + 1, commit);
    n->applied = commit;
    if (n->cfg.snapshot_every && n->applied - n->snap.index >= n->cfg.snapshot_every)
        take_snapshot(n, out);
}

/* ---- leader: replication --------------------------------------------------------------- */

/* A snapshot's configuration travels in its InstallSnapshot as entries, one per member: a
 * configuration entry whose op says what the member is (RAFT_CONF_PROMOTE: a voter,
 * RAFT_CONF_ADD_LEARNER: a learner). The entries live in the node's scratch until its next send
 * (raft_out_send copies them). */
static raft_entry *conf_as_entries(raft_node *n, const raft_conf *c, uint64_t term) {
    n->scratch_entries = raft_grow(n->scratch_entries, &n->cap_scratch_entries, (size_t)n->n_nodes + 1,
                                   sizeof *n->scratch_entries);
    uint32_t k = 0;
    for (uint32_t p = 1; p <= n->n_nodes; p++) {
        uint8_t id = (uint8_t)p;
        int voter = raft_conf_is_voter(c, id);
        if (!voter && !raft_conf_is_learner(c, id)) continue;
        n->scratch_entries[k++] = (raft_entry){.term = term,
                                               .kind = RAFT_ENTRY_CONFIG,
                                               .conf_op = voter ? RAFT_CONF_PROMOTE
                                                                : RAFT_CONF_ADD_LEARNER,
                                               .conf_node = id};
    }
    n->n_scratch_entries = k;
    return n->scratch_entries;
}

static raft_conf conf_of_entries(const raft_msg *m) {
    raft_conf c = {0};
    for (uint32_t k = 0; k < m->n_entries; k++) {
        uint8_t id = m->entries[k].conf_node;
        uint64_t *set = m->entries[k].conf_op == RAFT_CONF_PROMOTE ? c.voters : c.learners;
        set[id >> 6] |= 1ull << (id & 63);
    }
    return c;
}

/* Paper section 7: the entries the peer needs next are compacted away, so it gets the snapshot.
 * nextIndex stays until the reply (an AppendEntries success through the snapshot's index). */
__attribute__((cold, noinline)) static void send_snapshot(raft_node *n, uint8_t peer,
                                                           raft_out *out) {
    RAFT_ASSERT(n->snap.index >= n->log_off && n->snap.index > 0);
    raft_entry *members = conf_as_entries(n, &n->snap.conf, n->snap.term);
    raft_msg m = {.type = RAFT_MSG_INSTALL_SNAPSHOT,
                  .from = n->id,
                  .to = peer,
                  .term = n->term,
                  .index = n->snap.index,
                  .log_term = n->snap.term,
                  .commit = n->commit,
                  .round = n->round,
                  .snap_id = n->snap.id,
                  .n_entries = (uint32_t)n->n_scratch_entries,
                  .entries = members};
    raft_out_send(out, &m);
}

/* Sends the peer an AppendEntries from its nextIndex (at most max_entries_per_msg entries),
 * and advances nextIndex optimistically past them; a failure reply moves it back. */
static void send_append(raft_node *n, uint8_t peer, raft_out *out) {
    uint64_t next = n->next_index[peer];
    RAFT_ASSERT(next >= 1 && next <= n->log_len + 1);
    if (next <= n->log_off) {
        send_snapshot(n, peer, out);
        return;
    }
    uint64_t count = n->log_len + 1 - next;
    if (count > n->cfg.max_entries_per_msg) count = n->cfg.max_entries_per_msg;
    raft_msg m = {.type = RAFT_MSG_APPEND_ENTRIES,
                  .from = n->id,
                  .to = peer,
                  .term = n->term,
                  .index = next - 1,
                  .log_term = ent(n, next - 1)->term,
                  .commit = n->commit,
                  .n_entries = (uint32_t)count,
                  .round = n->round,
                  .entries = count ? ent(n, next) : NULL};
    n->next_index[peer] = next + count;
    raft_out_send(out, &m);
}

/* To every other member of the configuration in force, learners included. */
static void broadcast_append(raft_node *n, raft_out *out) {
    for (uint32_t p = 1; p <= n->n_nodes; p++)
        if (p != n->id && n->member[p]) send_append(n, p, out);
}

/* ReadIndex: answers, in order, the reads whose round a majority (the leader included) has
 * answered and whose index is applied. Under RAFT_BUG_READ_INDEX_NO_ROUND the round is not
 * waited for: a deposed leader that does not know it yet answers from its stale state. */
static void check_reads(raft_node *n, raft_out *out) {
    size_t done = 0;
    for (; done < n->n_reads; done++) {
        const struct raft_read *r = &n->reads[done];
        if (!(n->cfg.bugs & RAFT_BUG_READ_INDEX_NO_ROUND)) {
            uint32_t acks = n->member[n->id] == 2;
            for (uint32_t p = 1; p <= n->n_nodes; p++)
                acks += p != n->id && n->member[p] == 2 && n->acked[p] >= r->round;
            if (acks < majority(n)) break;
        }
        if (n->applied < r->index) break;
        fx_push(out, RAFT_FX_READ, r->id, r->index);
    }
    if (done == 0) return;
    memmove(n->reads, n->reads + done, (n->n_reads - done) * sizeof *n->reads);
    n->n_reads -= done;
}

/* Leaders: the largest N replicated on a majority, if log[N] is of the current term (5.4.2:
 * entries of earlier terms are committed only indirectly). */
static void leader_update_commit(raft_node *n, raft_out *out) {
    /* Cheap test first: fewer than a majority past the commit index means nothing to do. */
    uint32_t ahead = 0, k = 0;
    uint64_t *m = n->scratch;
    if (n->n_voters == n->n_nodes) { /* every id votes (no membership change): no lookups */
        for (uint32_t p = 1; p <= n->n_nodes; p++) ahead += n->match_index[p] > n->commit;
        if (ahead < majority(n)) return;
        for (uint32_t p = 1; p <= n->n_nodes; p++) m[k++] = n->match_index[p];
    } else {
        for (uint32_t p = 1; p <= n->n_nodes; p++)
            ahead += n->member[p] == 2 && n->match_index[p] > n->commit;
        if (ahead < majority(n)) return;
        for (uint32_t p = 1; p <= n->n_nodes; p++)
            if (n->member[p] == 2) m[k++] = n->match_index[p];
    }
    /* Insertion sort, descending: clusters are small and the values mostly sorted already. */
    for (uint32_t i = 1; i < k; i++) {
        uint64_t v = m[i];
        uint32_t j = i;
        for (; j > 0 && m[j - 1] < v; j--) m[j] = m[j - 1];
        m[j] = v;
    }
    uint64_t replicated = m[majority(n) - 1];
    if (replicated <= n->commit) return;
    if (ent(n, replicated)->term != n->term && !(n->cfg.bugs & RAFT_BUG_COMMIT_OLD_TERM)) return;
    advance_commit(n, replicated, out);
    if (n->n_reads) check_reads(n, out);
    /* Thesis 4.2.2: a leader removed from the configuration manages the cluster until the
     * removal is committed, then steps down. */
    if (!n->member[n->id] && conf_latest_index(n) <= n->commit)
        become(n, RAFT_ROLE_FOLLOWER, n->term, out);
}

/* A leader's own copy counts towards a majority once it is durable (thesis 10.2.1: the
 * leader writes in parallel with its followers, and counts itself when its write is done). */
static uint64_t own_match(const raft_node *n) {
    return n->cfg.persist_async ? n->persisted : n->log_len;
}

static void become_leader(raft_node *n, uint64_t now_us, raft_out *out) {
    become(n, RAFT_ROLE_LEADER, n->term, out);
    n->leader_hint = n->id;
    for (uint32_t p = 1; p <= n->n_nodes; p++) {
        n->next_index[p] = n->log_len + 1;
        n->match_index[p] = 0;
    }
    if (n->cfg.noop) { /* thesis 6.4: an entry of its own term, so earlier ones can commit */
        log_append(n, (raft_entry){.term = n->term, .cmd = n->cfg.noop_cmd});
        fx_push(out, RAFT_FX_APPEND, n->log_len, n->log_len);
        /* The bug: a no-op carries nothing, so it is taken for committed without a majority. */
        if (n->cfg.bugs & RAFT_BUG_NOOP_SELF_COMMIT) advance_commit(n, n->log_len, out);
    }
    n->match_index[n->id] = own_match(n);
    n->heartbeat_deadline_us = now_us + n->cfg.heartbeat_us;
    memset(n->heard, 0, (size_t)n->n_nodes + 1);
    n->quorum_deadline_us = now_us + n->cfg.election_timeout_min_us;
    broadcast_append(n, out);
    leader_update_commit(n, out); /* a one-node cluster commits at once */
}

/* ---- elections ------------------------------------------------------------------------- */

static void count_vote(raft_node *n, uint8_t voter, uint64_t now_us, raft_out *out) {
    if (n->voted_me[voter] || n->member[voter] != 2) return; /* voters of the conf in force */
    n->voted_me[voter] = 1;
    n->votes++;
    if (n->votes >= majority(n)) become_leader(n, now_us, out);
}

/* Sends RequestVote for the node's term (real) or for the next one (pre-vote) to every peer. */
static void request_votes(raft_node *n, uint64_t term, int pre, raft_out *out) {
    raft_msg m = {.type = RAFT_MSG_REQUEST_VOTE,
                  .from = n->id,
                  .term = term,
                  .ok = (uint8_t)pre,
                  .index = n->log_len,
                  .log_term = raft_last_term(n)};
    for (uint32_t p = 1; p <= n->n_nodes; p++) {
        if (p == n->id || n->member[p] != 2) continue;
        m.to = p;
        raft_out_send(out, &m);
    }
}

static void start_election(raft_node *n, uint64_t now_us, raft_out *out);

/* Pre-vote (thesis 9.6): a majority would vote for us in term + 1. Nothing persistent has
 * changed yet; now the real election. Under RAFT_BUG_PREVOTE_WINS the pre-votes are taken for
 * votes: the node leads term + 1 without asking, and nothing stops another node from winning
 * that term for real. */
static void count_prevote(raft_node *n, uint8_t voter, uint64_t now_us, raft_out *out) {
    if (n->voted_me[voter] || n->member[voter] != 2) return;
    n->voted_me[voter] = 1;
    n->votes++;
    if (n->votes < majority(n)) return;
    n->prevoting = 0;
    if (!(n->cfg.bugs & RAFT_BUG_PREVOTE_WINS)) {
        start_election(n, now_us, out);
        return;
    }
    become(n, RAFT_ROLE_CANDIDATE, n->term + 1, out);
    grant_vote(n, n->id, out);
    become_leader(n, now_us, out);
}

/* With pre-vote, an election timeout starts a pre-vote round for term + 1 instead: the node
 * stays a follower in its term (a candidate whose election failed goes back to follower). */
static void start_prevote(raft_node *n, uint64_t now_us, raft_out *out) {
    if (n->role == RAFT_ROLE_CANDIDATE) become(n, RAFT_ROLE_FOLLOWER, n->term, out);
    n->leader_hint = RAFT_NODE_NONE;
    n->prevoting = 1;
    memset(n->voted_me, 0, (size_t)n->n_nodes + 1);
    n->votes = 0;
    reset_election_timer(n, now_us);
    request_votes(n, n->term + 1, 1, out);
    count_prevote(n, n->id, now_us, out);
}

/* Followers and candidates whose election timeout elapses start an election (5.2). */
static void start_election(raft_node *n, uint64_t now_us, raft_out *out) {
    become(n, RAFT_ROLE_CANDIDATE, n->term + 1, out);
    n->leader_hint = RAFT_NODE_NONE;
    grant_vote(n, n->id, out);
    memset(n->voted_me, 0, (size_t)n->n_nodes + 1);
    n->votes = 0;
    reset_election_timer(n, now_us);
    request_votes(n, n->term, 0, out);
    if (!n->cfg.persist_async) count_vote(n, n->id, now_us, out); /* else once durable */
}

/* 5.4.1: the candidate's log is at least as up-to-date as ours. */
static int log_up_to_date(const raft_node *n, uint64_t last_index, uint64_t last_term) {
    uint64_t my_term = raft_last_term(n);
    return last_term > my_term || (last_term == my_term && last_index >= n->log_len);
}

/* A pre-vote request changes nothing here. It is granted if the sender could win term m->term:
 * that term is above ours, its log is up to date, and we have not heard from a current leader
 * within an election timeout (a leader counts itself). */
static void on_prevote_request(raft_node *n, uint64_t now_us, const raft_msg *m, raft_out *out) {
    int leader_recent = n->role == RAFT_ROLE_LEADER ||
                        (n->leader_hint != RAFT_NODE_NONE &&
                         now_us - n->leader_contact_us < n->cfg.election_timeout_min_us);
    int granted = m->term > n->term && !leader_recent && log_up_to_date(n, m->index, m->log_term);
    raft_msg r = {.type = RAFT_MSG_REQUEST_VOTE_REPLY,
                  .from = n->id,
                  .to = m->from,
                  .term = granted ? m->term : n->term,
                  .ok = (uint8_t)granted,
                  .log_term = 1};
    raft_out_send(out, &r);
}

static void on_request_vote(raft_node *n, uint64_t now_us, const raft_msg *m, raft_out *out) {
    if (m->ok) {
        on_prevote_request(n, now_us, m, out);
        return;
    }
    if (n->cfg.disruption_guard && m->term > n->term &&
        (n->role == RAFT_ROLE_LEADER ||
         (n->leader_hint != RAFT_NODE_NONE &&
          now_us - n->leader_contact_us < n->cfg.election_timeout_min_us)))
        return;
    observe_term(n, m->term, out);
    int granted = 0;
    if (m->term == n->term && (n->voted_for == RAFT_NODE_NONE || n->voted_for == m->from)) {
        int log_ok =
            log_up_to_date(n, m->index, m->log_term) || (n->cfg.bugs & RAFT_BUG_VOTE_IGNORES_LOG);
        if (log_ok) {
            grant_vote(n, m->from, out);
            reset_election_timer(n, now_us);
            granted = 1;
        }
    }
    raft_msg r = {.type = RAFT_MSG_REQUEST_VOTE_REPLY,
                  .from = n->id,
                  .to = m->from,
                  .term = n->term,
                  .ok = (uint8_t)granted};
    raft_out_send(out, &r);
}

/* Replies answer a request of the current term only; a higher term ends our role. Under
 * RAFT_BUG_NO_STEPDOWN the handler never looks at the reply's term at all. */
static int reply_is_current(raft_node *n, const raft_msg *m, raft_out *out) {
    if (n->cfg.bugs & RAFT_BUG_NO_STEPDOWN) return 1;
    observe_term(n, m->term, out);
    return m->term == n->term;
}

static void on_vote_reply(raft_node *n, uint64_t now_us, const raft_msg *m, raft_out *out) {
    if (m->log_term) { /* a pre-vote answer: a granted one carries the term we would stand in */
        if (!m->ok) {
            observe_term(n, m->term, out);
            return;
        }
        if (n->prevoting && m->term == n->term + 1) count_prevote(n, m->from, now_us, out);
        return;
    }
    if (!reply_is_current(n, m, out)) return;
    if (n->role != RAFT_ROLE_CANDIDATE || !m->ok) return;
    count_vote(n, m->from, now_us, out);
}

/* ---- followers: AppendEntries ---------------------------------------------------------- */

static void reply_append(raft_node *n, const raft_msg *m, int ok, uint64_t index, uint64_t log_term,
                         raft_out *out) {
    raft_msg r = {.type = RAFT_MSG_APPEND_ENTRIES_REPLY,
                  .from = n->id,
                  .to = m->from,
                  .term = n->term,
                  .ok = (uint8_t)ok,
                  .index = index,
                  .log_term = log_term,
                  .round = m->round};
    raft_out_send(out, &r);
}

static void truncate_from(raft_node *n, uint64_t from, raft_out *out) {
    RAFT_ASSERT(from > n->log_off && from <= n->log_len);
    n->log_len = from - 1;
    if (n->persisted > n->log_len) n->persisted = n->log_len;
    conf_truncated(n, from);
    fx_push(out, RAFT_FX_TRUNCATE, from, 0);
}

/* Figure 2, AppendEntries receiver steps 3 and 4: delete only on a real conflict, then
 * append what is new. Returns the index of the last entry the message carried. */
static uint64_t merge_entries(raft_node *n, const raft_msg *m, raft_out *out) {
    uint64_t idx = m->index + 1;
    uint32_t i = 0;
    if ((n->cfg.bugs & RAFT_BUG_TRUNCATE_ON_MATCH) && n->log_len > m->index)
        truncate_from(n, m->index + 1, out);
    for (; i < m->n_entries && idx <= n->log_len; i++, idx++) {
        if (ent(n, idx)->term == m->entries[i].term) continue;
        truncate_from(n, idx, out);
        break;
    }
    if (i < m->n_entries) {
        uint64_t first = n->log_len + 1;
        for (; i < m->n_entries; i++) log_append(n, m->entries[i]);
        fx_push(out, RAFT_FX_APPEND, first, n->log_len);
    }
    return m->index + m->n_entries;
}

/* An AppendEntries that starts inside the part of our log compacted into a snapshot: those
 * entries are committed, so they match every current leader's; the message is taken as starting
 * at log_off, without the entries before. */
static const raft_msg *skip_compacted(raft_node *n, const raft_msg *m, raft_msg *cut) {
    uint64_t skip = n->log_off - m->index;
    *cut = *m;
    cut->index = n->log_off;
    cut->log_term = ent(n, n->log_off)->term;
    cut->n_entries = skip < m->n_entries ? m->n_entries - (uint32_t)skip : 0;
    cut->entries = cut->n_entries ? m->entries + skip : NULL;
    return cut;
}

/* An AppendEntries or an InstallSnapshot: a message of a leader's. One of an older term is
 * refused (returns 0); otherwise the node follows the sender in its term, and its election timer
 * starts again. */
static inline int heard_from_leader(raft_node *n, uint64_t now_us, const raft_msg *m,
                                    raft_out *out) {
    observe_term(n, m->term, out);
    if (m->term < n->term) {
        reply_append(n, m, 0, 0, 0, out);
        return 0;
    }
    if (n->role == RAFT_ROLE_CANDIDATE) become(n, RAFT_ROLE_FOLLOWER, n->term, out);
    RAFT_ASSERT(n->role == RAFT_ROLE_FOLLOWER);
    n->leader_hint = m->from;
    n->leader_contact_us = now_us;
    n->prevoting = 0;
    reset_election_timer(n, now_us);
    return 1;
}

/* Figure 13, InstallSnapshot receiver: reply at once to an older term (step 1); if the log holds
 * the snapshot's last entry with its term, keep the entries after it (step 6: they are committed
 * through it, and applied one by one); else discard the whole log (step 7) and reset the state
 * machine from the snapshot (step 8). A snapshot through an index already committed here is
 * older than what the node has, and is ignored: installing it would drop committed entries, as
 * RAFT_BUG_INSTALL_OLD_SNAPSHOT does (it installs every snapshot over the whole log). The reply
 * is an AppendEntries success through the snapshot's index. */
static void on_install(raft_node *n, uint64_t now_us, const raft_msg *m, raft_out *out) {
    if (!heard_from_leader(n, now_us, m, out)) return;
    RAFT_ASSERT(m->index > 0);
    int bug = (n->cfg.bugs & RAFT_BUG_INSTALL_OLD_SNAPSHOT) != 0;
    if (!bug && m->index <= n->log_len && m->index > n->commit &&
        ent(n, m->index)->term == m->log_term)
        advance_commit(n, m->index, out);
    else if (bug || m->index > n->commit) /* (at or below the commit index: older, ignored) */
        install_snapshot(n,
                         &(raft_snapshot_meta){m->index, m->log_term, m->snap_id,
                                               conf_of_entries(m)},
                         out);
    reply_append(n, m, 1, m->index, 0, out);
}

static void on_append(raft_node *n, uint64_t now_us, const raft_msg *m, raft_out *out) {
    if (!heard_from_leader(n, now_us, m, out)) return;
    raft_msg cut;
    if (m->index < n->log_off) m = skip_compacted(n, m, &cut);
    if (m->index > n->log_len) {
        reply_append(n, m, 0, n->log_len + 1, 0, out);
        return;
    }
    uint64_t have_term = ent(n, m->index)->term;
    if (have_term != m->log_term) {
        /* Entries up to our commit index match every current leader, so the scan for the
         * first index of the conflicting term stops there: bounded by the uncommitted tail. */
        uint64_t first = m->index;
        while (first > n->commit + 1 && ent(n, first - 1)->term == have_term) first--;
        reply_append(n, m, 0, first, have_term, out);
        return;
    }
    uint64_t last_new = merge_entries(n, m, out);
    uint64_t commit = m->commit < last_new ? m->commit : last_new;
    if (commit > n->log_len) commit = n->log_len;
    advance_commit(n, commit, out);
    reply_append(n, m, 1, last_new, 0, out);
}

/* The last index whose term is <= term (0 if none); log terms never decrease along a log. */
static uint64_t last_index_upto_term(raft_node *n, uint64_t below, uint64_t term) {
    uint64_t lo = n->log_off, hi = below; /* invariant: lo is log_off or log[lo].term <= term */
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo + 1) / 2;
        if (ent(n, mid)->term <= term)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* Leader side of a failed AppendEntries: jump nextIndex with the conflict hints. If we have
 * entries of the follower's conflicting term, resume after our last one; else skip the term. */
static uint64_t backup_next(raft_node *n, const raft_msg *m) {
    if (m->index == 0) return 1; /* refused for its term (only seen under a bug) */
    if (m->log_term == 0) return m->index;
    uint64_t below = n->log_len < m->index ? n->log_len : m->index;
    if (below < n->log_off) return m->index; /* compacted: a snapshot will be sent */
    uint64_t i = last_index_upto_term(n, below, m->log_term);
    if (i > 0 && ent(n, i)->term == m->log_term) return i + 1;
    return m->index;
}

static void send_timeout_now(raft_node *n, raft_out *out) {
    raft_msg m = {.type = RAFT_MSG_TIMEOUT_NOW,
                  .from = n->id,
                  .to = n->transfer_to,
                  .term = n->term,
                  .index = n->log_len,
                  .log_term = raft_last_term(n)};
    n->transfer_sent = 1;
    raft_out_send(out, &m);
}

/* The target of a transfer is ready when it matches the leader's whole log (under
 * RAFT_BUG_TRANSFER_HANDOFF, at once). */
static void maybe_send_timeout_now(raft_node *n, raft_out *out) {
    if (n->transfer_to == RAFT_NODE_NONE || n->transfer_sent) return;
    if (n->match_index[n->transfer_to] == n->log_len ||
        (n->cfg.bugs & RAFT_BUG_TRANSFER_HANDOFF))
        send_timeout_now(n, out);
}

static int change(raft_node *n, raft_conf_op op, uint8_t node, raft_out *out);

/* Thesis 4.2.1: a learner that has caught up (its log holds every committed entry) becomes a
 * voter, by a configuration entry of the leader's, once no other change is in flight. */
static void maybe_promote(raft_node *n, raft_out *out) {
    if (conf_latest_index(n) > n->commit || ent(n, n->commit)->term != n->term) return;
    for (uint32_t p = 1; p <= n->n_nodes; p++) {
        if (n->member[p] != 1 || n->match_index[p] < n->commit) continue;
        change(n, RAFT_CONF_PROMOTE, (uint8_t)p, out);
        return;
    }
}

static void on_append_reply(raft_node *n, const raft_msg *m, raft_out *out) {
    if (!reply_is_current(n, m, out)) return;
    if (n->role != RAFT_ROLE_LEADER) return;
    uint8_t p = m->from;
    n->heard[p] = 1;
    if (m->round > n->acked[p]) {
        n->acked[p] = m->round;
        if (n->n_reads) check_reads(n, out);
        if (n->role != RAFT_ROLE_LEADER) return;
    }
    if (m->ok) {
        uint64_t match = m->index <= n->log_len ? m->index : n->log_len;
        if (match > n->match_index[p]) n->match_index[p] = match;
        if (n->next_index[p] <= n->match_index[p]) n->next_index[p] = n->match_index[p] + 1;
        leader_update_commit(n, out);
        if (n->role == RAFT_ROLE_LEADER && p == n->transfer_to) maybe_send_timeout_now(n, out);
    } else {
        /* Refused for its term (index 0): only a leader that ignores the reply's term (under
         * RAFT_BUG_NO_STEPDOWN) gets here; answering it with a resend would ping-pong with the
         * follower for ever, one exchange per heartbeat, and flood the run. */
        if (m->index == 0) return;
        uint64_t next = backup_next(n, m);
        if (next <= n->match_index[p]) next = n->match_index[p] + 1;
        if (next > n->log_len + 1) next = n->log_len + 1;
        n->next_index[p] = next;
    }
    if (n->role == RAFT_ROLE_LEADER && n->n_learners) maybe_promote(n, out);
    if (n->role == RAFT_ROLE_LEADER && n->member[p] && n->next_index[p] <= n->log_len)
        send_append(n, p, out);
}

/* ---- public API ------------------------------------------------------------------------ */

void raft_node_init(raft_node *n, uint8_t id, uint8_t n_nodes, const raft_config *cfg,
                    uint64_t rng_seed) {
    RAFT_ASSERT(id >= 1 && id <= n_nodes);
    RAFT_ASSERT(cfg->election_timeout_min_us <= cfg->election_timeout_max_us);
    RAFT_ASSERT(cfg->max_entries_per_msg >= 1);
    memset(n, 0, sizeof *n);
    n->id = id;
    n->n_nodes = n_nodes;
    n->cfg = *cfg;
    n->rng = rng_seed;
    n->log_cap = 16;
    n->log = calloc(n->log_cap, sizeof *n->log);
    size_t per = (size_t)n_nodes + 1;
    n->voted_me = calloc(per, 1);
    n->next_index = calloc(per, sizeof *n->next_index);
    n->match_index = calloc(per, sizeof *n->match_index);
    n->scratch = calloc(per, sizeof *n->scratch);
    n->heard = calloc(per, 1);
    n->acked = calloc(per, sizeof *n->acked);
    n->member = calloc(per, 1);
    RAFT_ASSERT(n->log && n->voted_me && n->next_index && n->match_index && n->scratch &&
                n->heard && n->acked && n->member);
    RAFT_ASSERT(cfg->voters0 <= n_nodes);
    n->conf_base = conf_initial(n);
    conf_set(n, &n->conf_base);
    n->role = RAFT_ROLE_FOLLOWER;
}

void raft_node_free(raft_node *n) {
    free(n->log);
    free(n->voted_me);
    free(n->next_index);
    free(n->match_index);
    free(n->scratch);
    free(n->heard);
    free(n->acked);
    free(n->reads);
    free(n->confs);
    free(n->scratch_entries);
    free(n->member);
    memset(n, 0, sizeof *n);
}

void raft_load(raft_node *n, uint64_t term, uint8_t voted_for, const raft_entry *entries,
               uint64_t n_entries) {
    RAFT_ASSERT(voted_for <= n->n_nodes);
    /* An entry of a later term than the durable one: only a node that ignored a failed write
     * of its term (RAFT_BUG_IGNORE_WRITE_ERROR) and wrote on leaves that. The entry proves its
     * term began, so the node takes it, with no vote (the vote of that term is what was lost:
     * it may now vote twice in it, which single_vote catches). */
    for (uint64_t i = 0; i < n_entries; i++)
        if (entries[i].term > term) {
            RAFT_ASSERT(n->cfg.bugs & RAFT_BUG_IGNORE_WRITE_ERROR);
            term = entries[i].term;
            voted_for = RAFT_NODE_NONE;
        }
    n->term = term;
    n->voted_for = voted_for;
    n->log_len = n->log_off;
    conf_truncated(n, n->log_off + 1);
    for (uint64_t i = 0; i < n_entries; i++) log_append(n, entries[i]);
    n->persisted = n->log_len;
}

void raft_node_start(raft_node *n, uint64_t now_us, raft_out *out) {
    begin(n, now_us);
    if (n->cfg.bugs & RAFT_BUG_FORGET_VOTE) n->voted_for = RAFT_NODE_NONE;
    if (n->role != RAFT_ROLE_FOLLOWER) fx_push(out, RAFT_FX_ROLE, n->term, RAFT_ROLE_FOLLOWER);
    n->role = RAFT_ROLE_FOLLOWER;
    n->leader_hint = RAFT_NODE_NONE;
    n->commit = n->snap.index;
    n->applied = n->snap.index;
    n->votes = 0;
    n->prevoting = 0;
    n->n_reads = 0;
    n->round = 0;
    memset(n->acked, 0, ((size_t)n->n_nodes + 1) * sizeof *n->acked);
    reset_election_timer(n, now_us);
    if (n->snap.index) { /* the state machine starts from the snapshot, committed */
        fx_push(out, RAFT_FX_SNAP_RESTORE, n->snap.id, 0);
        fx_push(out, RAFT_FX_COMMIT, n->snap.index, 0);
    }
}

void raft_load_snapshot(raft_node *n, const raft_snapshot_meta *snap) {
    n->snap = snap->index ? *snap : (raft_snapshot_meta){0};
    n->log_off = n->log_len = n->snap.index;
    n->log[0] = (raft_entry){.term = n->snap.term};
    n->compact_to = 0;
    n->n_confs = 0;
    raft_conf c = n->snap.index ? n->snap.conf : conf_initial(n);
    conf_rebase(n, n->snap.index, &c);
    n->persisted = n->log_len;
}

void raft_give_snapshot_id(raft_node *n, uint64_t id) {
    RAFT_ASSERT(id != 0 && n->snap_id_next == 0);
    n->snap_id_next = id;
}

/* TimeoutNow from the leader of our term: stand for election now (no pre-vote: the leader asked
 * for it). Under RAFT_BUG_TRANSFER_HANDOFF the target takes the next term's leadership as
 * handed over, without asking anyone. */
static int may_stand(const raft_node *n);

static void on_timeout_now(raft_node *n, uint64_t now_us, const raft_msg *m, raft_out *out) {
    observe_term(n, m->term, out);
    if (m->term != n->term || n->role == RAFT_ROLE_LEADER || !may_stand(n)) return;
    if (!(n->cfg.bugs & RAFT_BUG_TRANSFER_HANDOFF)) {
        if (n->role == RAFT_ROLE_CANDIDATE) become(n, RAFT_ROLE_FOLLOWER, n->term, out);
        start_election(n, now_us, out);
        return;
    }
    if (n->role == RAFT_ROLE_CANDIDATE) become(n, RAFT_ROLE_FOLLOWER, n->term, out);
    become(n, RAFT_ROLE_CANDIDATE, n->term + 1, out);
    grant_vote(n, n->id, out);
    become_leader(n, now_us, out);
}

int raft_node_read(raft_node *n, uint64_t now_us, uint64_t id, raft_out *out) {
    begin(n, now_us);
    if (n->role != RAFT_ROLE_LEADER || n->transfer_to != RAFT_NODE_NONE ||
        ent(n, n->commit)->term != n->term)
        return 0;
    n->reads = raft_grow(n->reads, &n->cap_reads, n->n_reads + 1, sizeof *n->reads);
    n->reads[n->n_reads++] = (struct raft_read){.id = id, .index = n->commit, .round = ++n->round};
    if (n->n_nodes > 1) broadcast_append(n, out); /* the round: heartbeats that carry it */
    check_reads(n, out);
    return 1;
}

int raft_node_transfer(raft_node *n, uint64_t now_us, uint8_t target, raft_out *out) {
    begin(n, now_us);
    if (n->role != RAFT_ROLE_LEADER || target < 1 || target > n->n_nodes || target == n->id ||
        n->member[target] != 2)
        return 0;
    n->transfer_to = target;
    n->transfer_sent = 0;
    n->transfer_deadline_us = now_us + n->cfg.election_timeout_min_us;
    maybe_send_timeout_now(n, out);
    if (!n->transfer_sent && n->next_index[target] <= n->log_len) send_append(n, target, out);
    return 1;
}

void raft_step(raft_node *n, uint64_t now_us, const raft_msg *m, raft_out *out) {
    RAFT_ASSERT(m->to == n->id && m->from >= 1 && m->from <= n->n_nodes && m->from != n->id);
    RAFT_ASSERT(m->type < RAFT_MSG_TYPE_COUNT || m->type == RAFT_MSG_TIMEOUT_NOW ||
                m->type == RAFT_MSG_INSTALL_SNAPSHOT);
    begin(n, now_us);
    switch (m->type) { /* every type, by the assertion above */
    case RAFT_MSG_REQUEST_VOTE: on_request_vote(n, now_us, m, out); break;
    case RAFT_MSG_REQUEST_VOTE_REPLY: on_vote_reply(n, now_us, m, out); break;
    case RAFT_MSG_APPEND_ENTRIES: on_append(n, now_us, m, out); break;
    case RAFT_MSG_APPEND_ENTRIES_REPLY: on_append_reply(n, m, out); break;
    case RAFT_MSG_TIMEOUT_NOW: on_timeout_now(n, now_us, m, out); break;
    case RAFT_MSG_INSTALL_SNAPSHOT: on_install(n, now_us, m, out); break;
    }
}

/* Check-quorum (thesis 6.2): every election timeout the leader counts the peers it heard from
 * since the last count; without a majority (itself included) it steps down. */
static void check_quorum(raft_node *n, uint64_t now_us, raft_out *out) {
    uint32_t heard = n->member[n->id] == 2;
    for (uint32_t p = 1; p <= n->n_nodes; p++)
        heard += p != n->id && n->member[p] == 2 && n->heard[p];
    memset(n->heard, 0, (size_t)n->n_nodes + 1);
    n->quorum_deadline_us = now_us + n->cfg.election_timeout_min_us;
    if (heard < majority(n)) become(n, RAFT_ROLE_FOLLOWER, n->term, out);
}

/* Who stands for election (thesis 4.2.2): a voter of its latest configuration; and a node that
 * the latest configuration entry removed while it is not yet known committed, since its vote
 * (not counted by itself) may be what the cluster needs to commit that removal. A learner, a
 * spare, and a node that knows its removal is committed never stand. */
static int may_stand(const raft_node *n) {
    if (n->member[n->id] == 2) return 1;
    if (n->member[n->id] == 1 || conf_latest_index(n) <= n->commit) return 0;
    const raft_conf *before = n->n_confs > 1 ? &n->confs[n->n_confs - 2].conf : &n->conf_base;
    return raft_conf_is_voter(before, n->id);
}

void raft_tick(raft_node *n, uint64_t now_us, raft_out *out) {
    RAFT_ASSERT(now_us >= raft_deadline(n));
    begin(n, now_us);
    if (n->role == RAFT_ROLE_LEADER) {
        if (n->cfg.check_quorum && now_us >= n->quorum_deadline_us) {
            check_quorum(n, now_us, out);
            if (n->role != RAFT_ROLE_LEADER) return;
        }
        if (now_us < n->heartbeat_deadline_us) return;
        if (n->transfer_to != RAFT_NODE_NONE && now_us >= n->transfer_deadline_us)
            n->transfer_to = RAFT_NODE_NONE; /* given up: take commands again */
        n->heartbeat_deadline_us = now_us + n->cfg.heartbeat_us;
        broadcast_append(n, out);
    } else if (!may_stand(n)) {
        reset_election_timer(n, now_us);
    } else if (n->cfg.prevote) {
        start_prevote(n, now_us, out);
    } else {
        start_election(n, now_us, out);
    }
}

void raft_persisted(raft_node *n, uint64_t now_us, uint64_t index, uint64_t term, raft_out *out) {
    RAFT_ASSERT(n->cfg.persist_async && index <= n->log_len && term <= n->term);
    begin(n, now_us);
    if (index > n->persisted) n->persisted = index;
    if (n->role == RAFT_ROLE_CANDIDATE && term == n->term) count_vote(n, n->id, now_us, out);
    if (n->role != RAFT_ROLE_LEADER || n->persisted <= n->match_index[n->id]) return;
    n->match_index[n->id] = n->persisted;
    leader_update_commit(n, out);
}

int raft_write_failed(raft_node *n) {
    RAFT_ASSERT(n->cfg.persist_async);
    /* The bug: the error code is dropped, the write taken as done. */
    if (n->cfg.bugs & RAFT_BUG_IGNORE_WRITE_ERROR) return 0;
    return 1;
}

uint64_t raft_deadline(const raft_node *n) {
    if (n->role != RAFT_ROLE_LEADER) return n->election_deadline_us;
    if (n->cfg.check_quorum && n->quorum_deadline_us < n->heartbeat_deadline_us)
        return n->quorum_deadline_us;
    return n->heartbeat_deadline_us;
}

int raft_propose(raft_node *n, uint64_t now_us, uint32_t cmd, raft_out *out) {
    begin(n, now_us);
    if (n->role != RAFT_ROLE_LEADER || n->transfer_to != RAFT_NODE_NONE) return 0;
    log_append(n, (raft_entry){.term = n->term, .cmd = cmd});
    fx_push(out, RAFT_FX_APPEND, n->log_len, n->log_len);
    n->match_index[n->id] = own_match(n);
    broadcast_append(n, out);
    leader_update_commit(n, out);
    return 1;
}

int raft_node_change(raft_node *n, uint64_t now_us, raft_conf_op op, uint8_t node, raft_out *out) {
    begin(n, now_us); /* a public entry point: a compaction due from the last call first */
    return change(n, op, node, out);
}

/* A change asked within a call (the leader's own promotion of a learner, or raft_node_change):
 * no compaction here, since the caller reads this call's entries after it returns. */
static int change(raft_node *n, raft_conf_op op, uint8_t node, raft_out *out) {
    if (n->role != RAFT_ROLE_LEADER || n->transfer_to != RAFT_NODE_NONE || node < 1 ||
        node > n->n_nodes)
        return 0;
    /* Thesis 4.1: one change at a time. And a leader's first change waits for an entry of its
     * own term to commit (the fix of the single-server bug of 2015): a change of an earlier
     * leader that it has not seen committed could otherwise still be in flight. */
    if (conf_latest_index(n) > n->commit && !(n->cfg.bugs & RAFT_BUG_TWO_CHANGES)) return 0;
    if (ent(n, n->commit)->term != n->term) return 0;
    raft_conf c = n->conf;
    if (!raft_conf_apply(&c, op, node) || raft_conf_voter_count(&c) == 0) return 0;
    uint32_t cmd = n->cfg.conf_cmds ? n->cfg.conf_cmds[op * ((uint32_t)n->n_nodes + 1) + node] : 0;
    log_append(n, (raft_entry){.term = n->term,
                               .cmd = cmd,
                               .kind = RAFT_ENTRY_CONFIG,
                               .conf_op = (uint8_t)op,
                               .conf_node = node});
    fx_push(out, RAFT_FX_APPEND, n->log_len, n->log_len);
    if (op == RAFT_CONF_ADD_LEARNER) {
        n->next_index[node] = n->log_len + 1;
        n->match_index[node] = 0;
    }
    n->match_index[n->id] = own_match(n);
    broadcast_append(n, out);
    leader_update_commit(n, out);
    return 1;
}

/* Names by table: every value has one, and no unreachable fallback is left to test. */
const char *raft_role_name(raft_role role) {
    static const char *const names[] = {"follower", "candidate", "leader"};
    RAFT_ASSERT((unsigned)role < sizeof names / sizeof names[0]);
    return names[role];
}

const char *raft_msg_type_name(raft_msg_type type) {
    static const char *const names[RAFT_MSG_TIMEOUT_NOW + 1] = {
        [RAFT_MSG_REQUEST_VOTE] = "RequestVote",
        [RAFT_MSG_REQUEST_VOTE_REPLY] = "RequestVoteReply",
        [RAFT_MSG_APPEND_ENTRIES] = "AppendEntries",
        [RAFT_MSG_APPEND_ENTRIES_REPLY] = "AppendEntriesReply",
        [RAFT_MSG_TIMEOUT_NOW] = "TimeoutNow",
        [RAFT_MSG_INSTALL_SNAPSHOT] = "InstallSnapshot",
    };
    RAFT_ASSERT((unsigned)type <= RAFT_MSG_TIMEOUT_NOW && names[type]);
    return names[type];
}
