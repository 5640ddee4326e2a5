/* test_raft.c - unit tests of one Raft node (raft/raft.h) against the Raft paper (Ongaro and
 * Ousterhout, "In Search of an Understandable Consensus Algorithm"), section by section: 5.1
 * terms, 5.2 leader election, 5.3 log replication, 5.4.1 election restriction, 5.4.2 committing
 * entries from previous terms, persistence across a crash, and the injected RAFT_BUG_* variants.
 *
 * Every test drives real nodes through the small harness below (tn_*), which checks after every
 * call that the effect list obeys "persist before send" (no VOTE, APPEND or TRUNCATE, and no
 * ROLE that changes the term, after the first SEND), that the effects agree with the node's new
 * state, that APPLY ranges are contiguous from 1, and that every message sent is well formed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raft/raft.h"

#define MIN_US 150000u
#define MAX_US 300000u
#define HB_US 50000u
#define MAX_ENTS 64u
#define T0 1000000u /* boot time of every node */
#define MAX_NODES 7

/* A test: static, with the cmocka signature, and without unused-parameter noise. */
#define TEST(name)                                                                                 \
    static void name##_body(void);                                                                 \
    static void name(void **state) {                                                               \
        (void)state;                                                                               \
        name##_body();                                                                             \
    }                                                                                              \
    static void name##_body(void)

/* An array of log terms and its length, e.g. TERMS(1, 1, 2). */
#define TERMS(...)                                                                                 \
    (const uint64_t[]){__VA_ARGS__}, sizeof((const uint64_t[]){__VA_ARGS__}) / sizeof(uint64_t)

/* The command stored at a log index written in a term: the same in every log that holds it. */
static uint32_t cmd_of(uint64_t index, uint64_t term) {
    return (uint32_t)(term * 1000u + index);
}

static raft_config cfg_make(uint32_t bugs) {
    raft_config c = {.election_timeout_min_us = MIN_US,
                     .election_timeout_max_us = MAX_US,
                     .heartbeat_us = HB_US,
                     .max_entries_per_msg = MAX_ENTS,
                     .bugs = bugs};
    return c;
}

/* ---- effect lists ---------------------------------------------------------------------- */

/* Persist before send: no VOTE, APPEND or TRUNCATE and no ROLE that changes the term may come
 * after the first SEND of one effect list. term_before is the node's term before the call. */
static int persist_before_send_ok(const raft_out *o, uint64_t term_before) {
    int sent = 0;
    uint64_t term = term_before;
    for (size_t i = 0; i < o->n_fx; i++) {
        const raft_fx *f = &o->fx[i];
        switch ((raft_fx_kind)f->kind) {
        case RAFT_FX_SEND: sent = 1; break;
        case RAFT_FX_VOTE:
        case RAFT_FX_APPEND:
        case RAFT_FX_TRUNCATE:
        case RAFT_FX_SNAP_TAKE:
        case RAFT_FX_SNAP_INSTALL:
            if (sent) return 0;
            break;
        case RAFT_FX_ROLE:
            if (f->a != term) {
                if (sent) return 0;
                term = f->a;
            }
            break;
        case RAFT_FX_COMMIT:
        case RAFT_FX_APPLY:
        case RAFT_FX_READ:
        case RAFT_FX_SNAP_RESTORE: break;
        }
    }
    return 1;
}

static size_t fx_count(const raft_out *o, raft_fx_kind kind) {
    size_t c = 0;
    for (size_t i = 0; i < o->n_fx; i++) c += o->fx[i].kind == kind;
    return c;
}

/* Position in the list of the nth effect of a kind, or -1. */
static long fx_pos(const raft_out *o, raft_fx_kind kind, size_t nth) {
    for (size_t i = 0; i < o->n_fx; i++)
        if (o->fx[i].kind == kind && nth-- == 0) return (long)i;
    return -1;
}

static int has_fx(const raft_out *o, raft_fx_kind kind, uint64_t a, uint64_t b) {
    for (size_t i = 0; i < o->n_fx; i++)
        if (o->fx[i].kind == kind && o->fx[i].a == a && o->fx[i].b == b) return 1;
    return 0;
}

static void assert_fx(const raft_out *o, raft_fx_kind kind, uint64_t a, uint64_t b) {
    if (!has_fx(o, kind, a, b))
        fail_msg("missing effect kind %d (%llu, %llu)", (int)kind, (unsigned long long)a,
                 (unsigned long long)b);
}

/* The only message of the outbox. */
static raft_msg only_msg(const raft_out *o) {
    assert_int_equal(o->n_msgs, 1);
    return raft_out_msg(o, 0);
}

/* The first message to a node; 0 if there is none. */
static int msg_to(const raft_out *o, uint8_t to, raft_msg *m) {
    memset(m, 0, sizeof *m);
    for (size_t i = 0; i < o->n_msgs; i++) {
        raft_msg x = raft_out_msg(o, i);
        if (x.to == to) {
            *m = x;
            return 1;
        }
    }
    return 0;
}

static size_t msgs_to(const raft_out *o, uint8_t to) {
    size_t c = 0;
    for (size_t i = 0; i < o->n_msgs; i++) c += o->msgs[i].to == to;
    return c;
}

/* ---- messages -------------------------------------------------------------------------- */

static raft_msg rv(uint8_t from, uint8_t to, uint64_t term, uint64_t last_index,
                   uint64_t last_term) {
    raft_msg m = {.type = RAFT_MSG_REQUEST_VOTE,
                  .from = from,
                  .to = to,
                  .term = term,
                  .index = last_index,
                  .log_term = last_term};
    return m;
}

static raft_msg rv_reply(uint8_t from, uint8_t to, uint64_t term, int granted) {
    raft_msg m = {.type = RAFT_MSG_REQUEST_VOTE_REPLY,
                  .from = from,
                  .to = to,
                  .term = term,
                  .ok = (uint8_t)granted};
    return m;
}

static raft_msg ae(uint8_t from, uint8_t to, uint64_t term, uint64_t prev, uint64_t prev_term,
                   uint64_t commit, const raft_entry *entries, uint32_t n_entries) {
    raft_msg m = {.type = RAFT_MSG_APPEND_ENTRIES,
                  .from = from,
                  .to = to,
                  .term = term,
                  .index = prev,
                  .log_term = prev_term,
                  .commit = commit,
                  .entries = entries,
                  .n_entries = n_entries};
    return m;
}

static raft_msg ae_reply(uint8_t from, uint8_t to, uint64_t term, int ok, uint64_t index,
                         uint64_t log_term) {
    raft_msg m = {.type = RAFT_MSG_APPEND_ENTRIES_REPLY,
                  .from = from,
                  .to = to,
                  .term = term,
                  .ok = (uint8_t)ok,
                  .index = index,
                  .log_term = log_term};
    return m;
}

/* Entries for the log positions first, first+1, ... with the given terms. */
typedef struct {
    raft_entry e[MAX_ENTS];
    uint32_t n;
} ebuf;

static ebuf mk_entries(uint64_t first, const uint64_t *terms, size_t k) {
    ebuf b;
    memset(&b, 0, sizeof b);
    assert_true(k <= MAX_ENTS);
    for (size_t i = 0; i < k; i++)
        b.e[i] = (raft_entry){.term = terms[i], .cmd = cmd_of(first + i, terms[i])};
    b.n = (uint32_t)k;
    return b;
}

/* ---- the harness node ------------------------------------------------------------------ */

typedef struct {
    raft_node n;
    raft_out out;
    uint64_t now;
    uint64_t applied; /* last index of the APPLY effects since the last raft_node_start */
    uint64_t hash;    /* FNV-1a over every effect and message produced */
} tnode;

typedef struct {
    uint64_t term, log_len;
    uint8_t voted_for;
    raft_role role;
} snap;

static void hash_u64(uint64_t *h, uint64_t v) {
    for (int i = 0; i < 8; i++) {
        *h ^= (v >> (8 * i)) & 0xff;
        *h *= 1099511628211ull;
    }
}

static snap snap_of(const tnode *t) {
    snap s = {
        .term = t->n.term, .log_len = t->n.log_len, .voted_for = t->n.voted_for, .role = t->n.role};
    return s;
}

/* Checks the effect list of the call just made on t (state before it in b). */
static void check_call(tnode *t, const snap *b) {
    const raft_out *o = &t->out;
    const raft_node *n = &t->n;
    if (!persist_before_send_ok(o, b->term))
        fail_msg("node %u: persistent-state effect after the first SEND", n->id);
    uint64_t term = b->term, min_trunc = UINT64_MAX, sends = 0, installed = 0;
    const raft_fx *last_role = NULL, *last_vote = NULL, *last_append = NULL;
    for (size_t i = 0; i < o->n_fx; i++) {
        const raft_fx *f = &o->fx[i];
        hash_u64(&t->hash, f->kind);
        hash_u64(&t->hash, f->a);
        hash_u64(&t->hash, f->b);
        switch ((raft_fx_kind)f->kind) {
        case RAFT_FX_ROLE:
            assert_true(f->a >= term);
            assert_true(f->b <= RAFT_ROLE_LEADER);
            term = f->a;
            last_role = f;
            break;
        case RAFT_FX_VOTE:
            assert_int_equal(f->a, term);
            assert_in_range(f->b, 1, n->n_nodes);
            last_vote = f;
            break;
        case RAFT_FX_APPEND:
            assert_true(f->a >= 1 && f->a <= f->b);
            last_append = f;
            break;
        case RAFT_FX_TRUNCATE:
            assert_true(f->a >= 1);
            if (f->a < min_trunc) min_trunc = f->a;
            break;
        case RAFT_FX_COMMIT: break;
        case RAFT_FX_APPLY:
            /* Applied in order, each index exactly once (since the last boot). */
            assert_int_equal(f->a, t->applied + 1);
            assert_true(f->b >= f->a);
            t->applied = f->b;
            break;
        case RAFT_FX_SEND:
            assert_int_equal(f->a, sends);
            sends++;
            break;
        case RAFT_FX_READ: assert_true(f->b <= n->commit && f->b <= t->applied); break;
        case RAFT_FX_SNAP_TAKE: /* a snapshot of what is applied, under the id handed in */
            assert_true(f->a <= t->applied && f->a == n->snap.index && f->b == n->snap.id);
            assert_true(f->b != 0);
            break;
        case RAFT_FX_SNAP_INSTALL:
            assert_true(f->a == n->snap.index && f->b == n->snap.id && f->b != 0);
            installed = f->a;
            break;
        case RAFT_FX_SNAP_RESTORE: /* the state machine is the snapshot's: applied through it */
            assert_int_equal(f->a, n->snap.id);
            t->applied = n->snap.index;
            break;
        default: fail_msg("unknown effect kind %u", f->kind);
        }
    }
    assert_int_equal(sends, o->n_msgs);
    assert_true(t->applied <= n->commit);
    /* The effects describe the state change. */
    if (n->term != b->term || n->role != b->role) {
        assert_non_null(last_role);
        assert_int_equal(last_role->a, n->term);
        assert_int_equal(last_role->b, n->role);
    }
    if (n->voted_for != RAFT_NODE_NONE && (n->voted_for != b->voted_for || n->term != b->term)) {
        assert_non_null(last_vote);
        assert_int_equal(last_vote->a, n->term);
        assert_int_equal(last_vote->b, n->voted_for);
    }
    if (n->log_len < b->log_len) assert_true(min_trunc <= n->log_len + 1 || installed);
    if (n->log_len > b->log_len && !installed) {
        assert_non_null(last_append);
        assert_int_equal(last_append->b, n->log_len);
    }
    for (size_t i = 0; i < o->n_msgs; i++) {
        raft_msg m = raft_out_msg(o, i);
        hash_u64(&t->hash, m.type);
        hash_u64(&t->hash, m.to);
        hash_u64(&t->hash, m.ok);
        hash_u64(&t->hash, m.term);
        hash_u64(&t->hash, m.index);
        hash_u64(&t->hash, m.log_term);
        hash_u64(&t->hash, m.commit);
        hash_u64(&t->hash, m.n_entries);
        hash_u64(&t->hash, m.snap_id);
        assert_true(m.type < RAFT_MSG_TYPE_COUNT || m.type == RAFT_MSG_TIMEOUT_NOW ||
                    m.type == RAFT_MSG_INSTALL_SNAPSHOT);
        if (m.type == RAFT_MSG_INSTALL_SNAPSHOT)
            assert_true(m.index == n->snap.index && m.log_term == n->snap.term &&
                        m.snap_id == n->snap.id && m.index > 0);
        assert_int_equal(m.from, n->id);
        assert_in_range(m.to, 1, n->n_nodes);
        assert_int_not_equal(m.to, n->id);
        /* Every message carries the sender's term, but pre-votes (thesis 9.6): a request asks
         * for the next term, and a granted answer carries the term it grants. */
        if (m.type == RAFT_MSG_REQUEST_VOTE && m.ok)
            assert_int_equal(m.term, n->term + 1);
        else if (m.type == RAFT_MSG_REQUEST_VOTE_REPLY && m.log_term && m.ok)
            assert_true(m.term > n->term);
        else
            assert_int_equal(m.term, n->term);
        if (m.type == RAFT_MSG_INSTALL_SNAPSHOT) {
            /* Its entries are the snapshot's configuration, one per member. */
            assert_true(m.n_entries >= 1 && m.n_entries <= n->n_nodes);
            for (uint32_t k = 0; k < m.n_entries; k++) {
                assert_int_equal(m.entries[k].kind, RAFT_ENTRY_CONFIG);
                assert_true(m.entries[k].conf_op == RAFT_CONF_PROMOTE ||
                            m.entries[k].conf_op == RAFT_CONF_ADD_LEARNER);
            }
        } else {
            assert_true(m.n_entries <= n->cfg.max_entries_per_msg);
            if (m.n_entries > 0) assert_int_equal(m.type, RAFT_MSG_APPEND_ENTRIES);
        }
        if (m.n_entries > 0) assert_non_null(m.entries);
        for (uint32_t k = 0; k < m.n_entries; k++) {
            hash_u64(&t->hash, m.entries[k].term);
            hash_u64(&t->hash, m.entries[k].cmd);
            assert_true(m.entries[k].term <= m.term);
        }
    }
}

static void tn_init_cfg(tnode *t, uint8_t id, uint8_t n_nodes, const raft_config *cfg,
                        uint64_t seed) {
    memset(t, 0, sizeof *t);
    raft_node_init(&t->n, id, n_nodes, cfg, seed);
    raft_out_init(&t->out);
    t->now = T0;
    t->hash = 1469598103934665603ull;
}

static void tn_init(tnode *t, uint8_t id, uint8_t n_nodes, uint32_t bugs) {
    raft_config cfg = cfg_make(bugs);
    tn_init_cfg(t, id, n_nodes, &cfg, 0x5eed0000u + id);
}

static void tn_free(tnode *t) {
    raft_node_free(&t->n);
    raft_out_free(&t->out);
}

/* Persisted state; the entry at index i carries cmd_of(i, term). */
static void tn_load(tnode *t, uint64_t term, uint8_t vote, const uint64_t *terms, size_t k) {
    raft_entry e[MAX_ENTS] = {{0}};
    assert_true(k <= MAX_ENTS);
    for (size_t i = 0; i < k; i++)
        e[i] = (raft_entry){.term = terms[i], .cmd = cmd_of(i + 1, terms[i])};
    raft_load(&t->n, term, vote, e, k);
}

static void tn_start(tnode *t) {
    snap b = snap_of(t);
    raft_out_clear(&t->out);
    t->applied = 0;
    raft_node_start(&t->n, t->now, &t->out);
    check_call(t, &b);
}

static void tn_step(tnode *t, raft_msg m) {
    snap b = snap_of(t);
    raft_out_clear(&t->out);
    raft_step(&t->n, t->now, &m, &t->out);
    check_call(t, &b);
}

/* Fires the timer, first moving the clock to the deadline if it is not there yet. */
static void tn_tick(tnode *t) {
    uint64_t d = raft_deadline(&t->n);
    if (t->now < d) t->now = d;
    snap b = snap_of(t);
    raft_out_clear(&t->out);
    raft_tick(&t->n, t->now, &t->out);
    check_call(t, &b);
}

static int tn_propose(tnode *t, uint32_t cmd) {
    snap b = snap_of(t);
    raft_out_clear(&t->out);
    int r = raft_propose(&t->n, t->now, cmd, &t->out);
    check_call(t, &b);
    return r;
}

/* A booted node with pre-vote and check-quorum switched as given, and no persisted state. */
static void tn_boot_features(tnode *t, uint8_t id, uint8_t n_nodes, uint32_t bugs, int prevote,
                             int check_quorum) {
    raft_config cfg = cfg_make(bugs);
    cfg.prevote = (uint8_t)prevote;
    cfg.check_quorum = (uint8_t)check_quorum;
    tn_init_cfg(t, id, n_nodes, &cfg, 0x5eed0000u + id);
    tn_start(t);
}

/* A node with this persisted state, booted. */
static void tn_boot(tnode *t, uint8_t id, uint8_t n_nodes, uint32_t bugs, uint64_t term,
                    uint8_t vote, const uint64_t *terms, size_t k) {
    tn_init(t, id, n_nodes, bugs);
    tn_load(t, term, vote, terms, k);
    tn_start(t);
}

/* Times the node out and feeds it granted votes until it leads. */
static void tn_elect(tnode *t) {
    tn_tick(t);
    uint64_t term = t->n.term;
    for (uint8_t p = 1; p <= t->n.n_nodes && t->n.role != RAFT_ROLE_LEADER; p++)
        if (p != t->n.id) tn_step(t, rv_reply(p, t->n.id, term, 1));
    assert_int_equal(t->n.role, RAFT_ROLE_LEADER);
    assert_int_equal(t->n.term, term);
}

static void assert_log(const tnode *t, const uint64_t *terms, size_t k) {
    assert_int_equal(t->n.log_len, k);
    for (size_t i = 0; i < k; i++) {
        assert_int_equal(t->n.log[i + 1].term, terms[i]);
        assert_int_equal(t->n.log[i + 1].cmd, cmd_of(i + 1, terms[i]));
    }
}

/* The two logs agree on indexes 1..upto. */
static void assert_same_prefix(const tnode *a, const tnode *b, uint64_t upto) {
    assert_true(a->n.log_len >= upto && b->n.log_len >= upto);
    for (uint64_t i = 1; i <= upto; i++) {
        assert_int_equal(a->n.log[i].term, b->n.log[i].term);
        assert_int_equal(a->n.log[i].cmd, b->n.log[i].cmd);
    }
}

/* Round trips between a leader and one follower: delivers the leader's AppendEntries for f,
 * then f's reply, while the leader keeps sending f something. Returns the round trips. */
static int ping_pong(tnode *leader, tnode *f, int max_rounds) {
    int rounds = 0;
    raft_msg m;
    while (rounds < max_rounds && msg_to(&leader->out, f->n.id, &m)) {
        tn_step(f, m); /* m's entries live in leader->out, untouched by this step */
        raft_msg r = only_msg(&f->out);
        rounds++;
        tn_step(leader, r); /* r carries no entries */
    }
    return rounds;
}

/* ---- a tiny lossless FIFO network, for the multi-node checks --------------------------- */

typedef struct {
    raft_msg m;
    raft_entry e[MAX_ENTS];
} qmsg;

typedef struct {
    tnode nodes[MAX_NODES + 1];
    uint8_t n;
    qmsg *q;
    size_t head, tail, cap;
    uint64_t now;
} net;

static void net_init(net *w, uint8_t n, uint32_t bugs) {
    memset(w, 0, sizeof *w);
    w->n = n;
    w->cap = 4096;
    w->q = calloc(w->cap, sizeof *w->q);
    assert_non_null(w->q);
    w->now = T0;
    for (uint8_t i = 1; i <= n; i++) {
        tn_init(&w->nodes[i], i, n, bugs);
        tn_start(&w->nodes[i]);
    }
}

static void net_free(net *w) {
    for (uint8_t i = 1; i <= w->n; i++) tn_free(&w->nodes[i]);
    free(w->q);
}

static void net_collect(net *w, const tnode *t) {
    for (size_t i = 0; i < t->out.n_msgs; i++) {
        assert_true(w->tail < w->cap);
        qmsg *qm = &w->q[w->tail++];
        qm->m = raft_out_msg(&t->out, i);
        if (qm->m.n_entries > 0) memcpy(qm->e, qm->m.entries, qm->m.n_entries * sizeof *qm->e);
        qm->m.entries = qm->e;
    }
}

static void net_run(net *w) {
    while (w->head < w->tail) {
        raft_msg m = w->q[w->head].m;
        w->head++;
        tnode *d = &w->nodes[m.to];
        d->now = w->now;
        tn_step(d, m);
        net_collect(w, d);
    }
}

static void net_tick(net *w, uint8_t id) {
    tnode *t = &w->nodes[id];
    if (w->now < raft_deadline(&t->n)) w->now = raft_deadline(&t->n);
    t->now = w->now;
    tn_tick(t);
    net_collect(w, t);
    net_run(w);
}

static void net_propose(net *w, uint8_t id, uint32_t cmd) {
    tnode *t = &w->nodes[id];
    t->now = w->now;
    assert_int_equal(tn_propose(t, cmd), 1);
    net_collect(w, t);
}

/* Two leaders in turn over a lossless network: node 1 wins term 1 and commits three commands,
 * then node 2 times out, wins term 2 and commits one more. Nothing in it depends on any of
 * the injected bugs. Returns a hash of every effect and message of every node. */
static uint64_t run_two_leaders(uint32_t bugs) {
    net w;
    net_init(&w, 3, bugs);
    net_tick(&w, 1);
    for (uint32_t c = 1; c <= 3; c++) net_propose(&w, 1, 100 + c);
    net_run(&w);
    net_tick(&w, 1); /* heartbeat: carries the commit index */
    for (uint8_t i = 1; i <= 3; i++) {
        assert_int_equal(w.nodes[i].n.term, 1);
        assert_int_equal(w.nodes[i].n.commit, 3);
        assert_int_equal(w.nodes[i].applied, 3);
        assert_int_equal(w.nodes[i].n.leader_hint, 1);
        assert_int_equal(w.nodes[i].n.role, i == 1 ? RAFT_ROLE_LEADER : RAFT_ROLE_FOLLOWER);
    }
    net_tick(&w, 2);
    net_propose(&w, 2, 200);
    net_run(&w);
    net_tick(&w, 2);
    uint64_t h = 0;
    for (uint8_t i = 1; i <= 3; i++) {
        const tnode *t = &w.nodes[i];
        assert_int_equal(t->n.term, 2);
        assert_int_equal(t->n.role, i == 2 ? RAFT_ROLE_LEADER : RAFT_ROLE_FOLLOWER);
        assert_int_equal(t->n.log_len, 4);
        assert_int_equal(t->n.commit, 4);
        assert_int_equal(t->n.log[4].cmd, 200);
        assert_int_equal(t->n.log[4].term, 2);
        assert_int_equal(t->n.log[1].cmd, 101);
        assert_int_equal(t->n.voted_for, 2);
        hash_u64(&h, t->hash);
    }
    net_free(&w);
    return h;
}

/* ===== the harness itself ================================================================ */

TEST(test_harness_persist_before_send_checker) {
    raft_fx fx[4];
    raft_out o;
    memset(&o, 0, sizeof o);
    o.fx = fx;
#define LIST(...)                                                                                  \
    do {                                                                                           \
        raft_fx tmp_[] = {__VA_ARGS__};                                                            \
        memcpy(fx, tmp_, sizeof tmp_);                                                             \
        o.n_fx = sizeof tmp_ / sizeof tmp_[0];                                                     \
    } while (0)
#define FX(k, x, y) {.kind = (k), .a = (x), .b = (y)}
    LIST(FX(RAFT_FX_ROLE, 3, RAFT_ROLE_CANDIDATE), FX(RAFT_FX_VOTE, 3, 1), FX(RAFT_FX_SEND, 0, 0));
    assert_true(persist_before_send_ok(&o, 2));
    LIST(FX(RAFT_FX_SEND, 0, 0), FX(RAFT_FX_VOTE, 3, 1));
    assert_false(persist_before_send_ok(&o, 3));
    LIST(FX(RAFT_FX_SEND, 0, 0), FX(RAFT_FX_APPEND, 1, 1));
    assert_false(persist_before_send_ok(&o, 3));
    LIST(FX(RAFT_FX_SEND, 0, 0), FX(RAFT_FX_TRUNCATE, 1, 0));
    assert_false(persist_before_send_ok(&o, 3));
    LIST(FX(RAFT_FX_SEND, 0, 0), FX(RAFT_FX_ROLE, 4, RAFT_ROLE_FOLLOWER));
    assert_false(persist_before_send_ok(&o, 3));
    /* A role change within the term, and commit/apply, may follow a send. */
    LIST(FX(RAFT_FX_SEND, 0, 0), FX(RAFT_FX_ROLE, 3, RAFT_ROLE_LEADER), FX(RAFT_FX_COMMIT, 2, 0),
         FX(RAFT_FX_APPLY, 1, 2));
    assert_true(persist_before_send_ok(&o, 3));
#undef FX
#undef LIST
}

/* ===== 5.1 Raft basics: terms ============================================================ */

/* "If a server's current term is smaller than the other's, it updates its current term to the
 * larger value. If a candidate or leader discovers that its term is out of date, it
 * immediately reverts to follower state." - for each of the four message types. */
TEST(test_5_1_higher_term_in_any_message_makes_leader_follower) {
    for (int type = 0; type < RAFT_MSG_TYPE_COUNT; type++) {
        tnode t;
        tn_boot(&t, 1, 3, 0, 1, RAFT_NODE_NONE, TERMS(1));
        tn_elect(&t);
        assert_int_equal(t.n.term, 2);
        raft_msg m;
        switch (type) {
        case RAFT_MSG_REQUEST_VOTE: m = rv(2, 1, 3, 0, 0); break; /* log too old: refused */
        case RAFT_MSG_REQUEST_VOTE_REPLY: m = rv_reply(2, 1, 3, 0); break;
        case RAFT_MSG_APPEND_ENTRIES: m = ae(2, 1, 3, 1, 1, 0, NULL, 0); break;
        default: m = ae_reply(2, 1, 3, 0, 0, 0); break;
        }
        tn_step(&t, m);
        assert_int_equal(t.n.role, RAFT_ROLE_FOLLOWER);
        assert_int_equal(t.n.term, 3);
        assert_int_equal(t.n.voted_for, RAFT_NODE_NONE);
        assert_int_equal(fx_pos(&t.out, RAFT_FX_ROLE, 0), 0);
        assert_fx(&t.out, RAFT_FX_ROLE, 3, RAFT_ROLE_FOLLOWER);
        tn_free(&t);
    }
}

TEST(test_5_1_higher_term_clears_vote_of_follower) {
    tnode t;
    tn_boot(&t, 1, 3, 0, 2, 3, TERMS(1, 1));
    /* A RequestVote of term 3 from a candidate with a shorter log: the term is adopted (and the
     * old vote, for term 2, dropped) even though this vote is refused. */
    tn_step(&t, rv(2, 1, 3, 1, 1));
    assert_int_equal(t.n.term, 3);
    assert_int_equal(t.n.voted_for, RAFT_NODE_NONE);
    assert_int_equal(t.n.role, RAFT_ROLE_FOLLOWER);
    assert_fx(&t.out, RAFT_FX_ROLE, 3, RAFT_ROLE_FOLLOWER);
    assert_int_equal(fx_count(&t.out, RAFT_FX_VOTE), 0);
    raft_msg r = only_msg(&t.out);
    assert_int_equal(r.type, RAFT_MSG_REQUEST_VOTE_REPLY);
    assert_int_equal(r.term, 3);
    assert_int_equal(r.ok, 0);
    /* With the vote free again, another candidate of term 3 with a good log gets it. */
    tn_step(&t, rv(3, 1, 3, 2, 1));
    assert_int_equal(only_msg(&t.out).ok, 1);
    assert_int_equal(t.n.voted_for, 3);
    tn_free(&t);
}

/* "If a server receives a request with a stale term number, it rejects the request." */
TEST(test_5_1_stale_request_vote_rejected_with_current_term) {
    tnode t;
    tn_boot(&t, 1, 3, 0, 5, RAFT_NODE_NONE, TERMS(1));
    uint64_t deadline = raft_deadline(&t.n);
    t.now += 10;
    tn_step(&t, rv(2, 1, 4, 10, 4)); /* a better log, but an old term */
    raft_msg r = only_msg(&t.out);
    assert_int_equal(r.type, RAFT_MSG_REQUEST_VOTE_REPLY);
    assert_int_equal(r.to, 2);
    assert_int_equal(r.ok, 0);
    assert_int_equal(r.term, 5);
    assert_int_equal(t.n.term, 5);
    assert_int_equal(t.n.voted_for, RAFT_NODE_NONE);
    assert_int_equal(t.out.n_fx, 1);
    assert_int_equal(raft_deadline(&t.n), deadline);
    tn_free(&t);
}

TEST(test_5_1_stale_append_entries_rejected_with_current_term) {
    tnode t;
    tn_boot(&t, 1, 3, 0, 5, RAFT_NODE_NONE, TERMS(1, 2));
    uint64_t deadline = raft_deadline(&t.n);
    t.now += 10;
    ebuf e = mk_entries(3, TERMS(3));
    tn_step(&t, ae(2, 1, 3, 2, 2, 3, e.e, e.n));
    raft_msg r = only_msg(&t.out);
    assert_int_equal(r.type, RAFT_MSG_APPEND_ENTRIES_REPLY);
    assert_int_equal(r.ok, 0);
    assert_int_equal(r.term, 5);
    assert_int_equal(r.index, 0); /* refused for its term: both hints 0 */
    assert_int_equal(r.log_term, 0);
    assert_int_equal(t.out.n_fx, 1);
    assert_log(&t, TERMS(1, 2));
    assert_int_equal(t.n.commit, 0);
    assert_int_equal(t.n.leader_hint, RAFT_NODE_NONE);
    assert_int_equal(raft_deadline(&t.n), deadline); /* not a valid leader: no timer reset */
    tn_free(&t);
}

TEST(test_5_1_stale_append_does_not_depose_candidate) {
    tnode t;
    tn_boot(&t, 1, 3, 0, 1, RAFT_NODE_NONE, NULL, 0);
    tn_tick(&t);
    assert_int_equal(t.n.term, 2);
    tn_step(&t, ae(2, 1, 1, 0, 0, 0, NULL, 0));
    assert_int_equal(t.n.role, RAFT_ROLE_CANDIDATE);
    assert_int_equal(t.n.term, 2);
    assert_int_equal(t.n.voted_for, 1);
    assert_int_equal(only_msg(&t.out).ok, 0);
    tn_free(&t);
}

/* Replies of an earlier term answer requests of a past role and are ignored. */
TEST(test_5_1_stale_replies_ignored) {
    tnode l;
    tn_boot(&l, 1, 3, 0, 2, RAFT_NODE_NONE, TERMS(1, 2));
    tn_elect(&l);
    assert_int_equal(l.n.term, 3);
    assert_int_equal(tn_propose(&l, 7), 1);
    tn_step(&l, ae_reply(2, 1, 2, 1, 3, 0)); /* success, but of term 2 */
    assert_int_equal(l.n.match_index[2], 0);
    assert_int_equal(l.n.commit, 0);
    assert_int_equal(l.out.n_fx, 0);
    tn_free(&l);

    tnode c;
    tn_boot(&c, 1, 5, 0, 2, RAFT_NODE_NONE, NULL, 0);
    tn_tick(&c);
    assert_int_equal(c.n.term, 3);
    tn_step(&c, rv_reply(2, 1, 2, 1));
    tn_step(&c, rv_reply(3, 1, 2, 1)); /* with self, 3 of 5 - but of an old election */
    assert_int_equal(c.n.role, RAFT_ROLE_CANDIDATE);
    assert_int_equal(c.n.votes, 1);
    tn_free(&c);
}

/* ===== 5.2 Leader election =============================================================== */

/* "To begin an election, a follower increments its current term and transitions to candidate
 * state. It then votes for itself and issues RequestVote RPCs in parallel to each of the other
 * servers." */
TEST(test_5_2_timeout_starts_election) {
    tnode t;
    tn_boot(&t, 1, 5, 0, 2, RAFT_NODE_NONE, TERMS(1, 1, 2));
    tn_tick(&t);
    assert_int_equal(t.n.role, RAFT_ROLE_CANDIDATE);
    assert_int_equal(t.n.term, 3);
    assert_int_equal(t.n.voted_for, 1);
    assert_int_equal(t.out.n_fx, 2 + 4);
    assert_int_equal(t.out.fx[0].kind, RAFT_FX_ROLE);
    assert_int_equal(t.out.fx[0].a, 3);
    assert_int_equal(t.out.fx[0].b, RAFT_ROLE_CANDIDATE);
    assert_int_equal(t.out.fx[1].kind, RAFT_FX_VOTE);
    assert_int_equal(t.out.fx[1].a, 3);
    assert_int_equal(t.out.fx[1].b, 1);
    assert_int_equal(t.out.n_msgs, 4);
    for (uint8_t p = 2; p <= 5; p++) {
        raft_msg m;
        assert_int_equal(msgs_to(&t.out, p), 1);
        assert_true(msg_to(&t.out, p, &m));
        assert_int_equal(m.type, RAFT_MSG_REQUEST_VOTE);
        assert_int_equal(m.term, 3);
        assert_int_equal(m.index, 3);    /* lastLogIndex */
        assert_int_equal(m.log_term, 2); /* lastLogTerm */
    }
    assert_int_equal(msgs_to(&t.out, 1), 0);
    assert_in_range(raft_deadline(&t.n), t.now + MIN_US, t.now + MAX_US);
    tn_free(&t);
}

/* A candidate that neither wins nor loses times out and starts a new election (split vote). */
TEST(test_5_2_candidate_timeout_starts_new_election) {
    tnode t;
    tn_boot(&t, 1, 5, 0, 0, RAFT_NODE_NONE, NULL, 0);
    tn_tick(&t);
    tn_step(&t, rv_reply(2, 1, 1, 1));
    assert_int_equal(t.n.votes, 2);
    tn_tick(&t);
    assert_int_equal(t.n.role, RAFT_ROLE_CANDIDATE);
    assert_int_equal(t.n.term, 2);
    assert_int_equal(t.n.voted_for, 1);
    assert_fx(&t.out, RAFT_FX_ROLE, 2, RAFT_ROLE_CANDIDATE);
    assert_fx(&t.out, RAFT_FX_VOTE, 2, 1);
    assert_int_equal(t.out.n_msgs, 4);
    assert_int_equal(raft_out_msg(&t.out, 0).term, 2);
    /* Votes of the previous election do not carry over: one new grant is not a majority. */
    tn_step(&t, rv_reply(3, 1, 2, 1));
    assert_int_equal(t.n.role, RAFT_ROLE_CANDIDATE);
    tn_step(&t, rv_reply(2, 1, 2, 1));
    assert_int_equal(t.n.role, RAFT_ROLE_LEADER);
    tn_free(&t);
}

/* "A candidate wins an election if it receives votes from a majority of the servers in the
 * full cluster for the same term." It then sends heartbeats to establish its authority. */
TEST(test_5_2_candidate_wins_with_majority) {
    tnode t;
    tn_boot(&t, 1, 5, 0, 1, RAFT_NODE_NONE, TERMS(1));
    tn_tick(&t);
    tn_step(&t, rv_reply(2, 1, 2, 1));
    assert_int_equal(t.n.role, RAFT_ROLE_CANDIDATE);
    assert_int_equal(t.out.n_fx, 0);
    tn_step(&t, rv_reply(3, 1, 2, 1));
    assert_int_equal(t.n.role, RAFT_ROLE_LEADER);
    assert_int_equal(t.n.term, 2);
    assert_int_equal(t.n.leader_hint, 1);
    assert_int_equal(t.out.fx[0].kind, RAFT_FX_ROLE);
    assert_int_equal(t.out.fx[0].a, 2);
    assert_int_equal(t.out.fx[0].b, RAFT_ROLE_LEADER);
    assert_int_equal(t.out.n_msgs, 4);
    for (uint8_t p = 2; p <= 5; p++) {
        raft_msg m;
        assert_true(msg_to(&t.out, p, &m));
        assert_int_equal(m.type, RAFT_MSG_APPEND_ENTRIES);
        assert_int_equal(m.index, 1); /* prevLogIndex: nextIndex starts after the last entry */
        assert_int_equal(m.log_term, 1);
        assert_int_equal(m.n_entries, 0);
        assert_int_equal(m.commit, 0);
        assert_int_equal(t.n.next_index[p], 2);
        assert_int_equal(t.n.match_index[p], 0);
    }
    /* Later votes change nothing. */
    tn_step(&t, rv_reply(4, 1, 2, 1));
    assert_int_equal(t.out.n_fx, 0);
    assert_int_equal(t.n.role, RAFT_ROLE_LEADER);
    tn_free(&t);
}

TEST(test_5_2_duplicate_and_refused_votes_do_not_count) {
    tnode t;
    tn_boot(&t, 1, 5, 0, 0, RAFT_NODE_NONE, NULL, 0);
    tn_tick(&t);
    tn_step(&t, rv_reply(2, 1, 1, 1));
    tn_step(&t, rv_reply(2, 1, 1, 1));
    tn_step(&t, rv_reply(2, 1, 1, 1));
    assert_int_equal(t.n.role, RAFT_ROLE_CANDIDATE);
    for (uint8_t p = 3; p <= 5; p++) tn_step(&t, rv_reply(p, 1, 1, 0));
    assert_int_equal(t.n.role, RAFT_ROLE_CANDIDATE);
    assert_int_equal(t.n.votes, 2);
    assert_int_equal(t.n.term, 1);
    tn_free(&t);
}

/* "If the leader's term is at least as large as the candidate's current term, then the
 * candidate recognizes the leader as legitimate and returns to follower state." */
TEST(test_5_2_candidate_steps_down_on_append_of_its_term) {
    tnode t;
    tn_boot(&t, 1, 3, 0, 0, RAFT_NODE_NONE, NULL, 0);
    tn_tick(&t);
    assert_int_equal(t.n.term, 1);
    ebuf e = mk_entries(1, TERMS(1));
    tn_step(&t, ae(2, 1, 1, 0, 0, 0, e.e, e.n));
    assert_int_equal(t.n.role, RAFT_ROLE_FOLLOWER);
    assert_int_equal(t.n.term, 1);
    assert_int_equal(t.n.voted_for, 1); /* the vote of term 1 stays */
    assert_int_equal(t.n.leader_hint, 2);
    assert_fx(&t.out, RAFT_FX_ROLE, 1, RAFT_ROLE_FOLLOWER);
    raft_msg r = only_msg(&t.out);
    assert_int_equal(r.ok, 1);
    assert_int_equal(r.index, 1);
    assert_log(&t, TERMS(1));
    /* A vote reply arriving afterwards does not make it leader. */
    tn_step(&t, rv_reply(3, 1, 1, 1));
    assert_int_equal(t.n.role, RAFT_ROLE_FOLLOWER);
    tn_free(&t);
}

/* "Election timeouts are chosen randomly from a fixed interval (e.g., 150-300ms)." */
TEST(test_5_2_election_timeout_randomized_within_bounds) {
    raft_config cfg = cfg_make(0);
    uint64_t lo = UINT64_MAX, hi = 0;
    for (uint64_t seed = 1; seed <= 300; seed++) {
        tnode t;
        tn_init_cfg(&t, 1, 3, &cfg, seed * 0x9E3779B97F4A7C15ull);
        tn_start(&t);
        uint64_t d = raft_deadline(&t.n) - t.now;
        assert_in_range(d, MIN_US, MAX_US);
        if (d < lo) lo = d;
        if (d > hi) hi = d;
        for (int k = 0; k < 3; k++) { /* and every new election picks a new one */
            tn_tick(&t);
            assert_in_range(raft_deadline(&t.n) - t.now, MIN_US, MAX_US);
        }
        tn_free(&t);
    }
    assert_true(hi - lo > (MAX_US - MIN_US) / 2); /* spread over the interval */
    cfg.election_timeout_min_us = cfg.election_timeout_max_us = 200000;
    tnode t;
    tn_init_cfg(&t, 1, 3, &cfg, 42);
    tn_start(&t);
    assert_int_equal(raft_deadline(&t.n), t.now + 200000);
    tn_free(&t);
}

/* "A server remains in follower state as long as it receives valid RPCs from a leader or
 * candidate"; the timer restarts on a valid AppendEntries or a granted vote only. */
TEST(test_5_2_election_timer_reset_by_valid_rpcs_only) {
    tnode t;
    tn_boot(&t, 1, 3, 0, 1, RAFT_NODE_NONE, TERMS(1));
    uint64_t d0 = raft_deadline(&t.n);
    t.now = d0 - 1;
    tn_step(&t, ae(2, 1, 1, 1, 1, 0, NULL, 0));
    uint64_t d1 = raft_deadline(&t.n);
    assert_in_range(d1, t.now + MIN_US, t.now + MAX_US);
    /* A rejected AppendEntries of the current term (log mismatch) still comes from the
     * legitimate leader, so it also resets the timer. */
    t.now = d1 - 1;
    tn_step(&t, ae(2, 1, 1, 5, 1, 0, NULL, 0));
    assert_int_equal(only_msg(&t.out).ok, 0);
    uint64_t d2 = raft_deadline(&t.n);
    assert_in_range(d2, t.now + MIN_US, t.now + MAX_US);
    /* A stale AppendEntries does not. */
    t.now = d2 - 1;
    tn_step(&t, ae(3, 1, 0, 0, 0, 0, NULL, 0));
    assert_int_equal(raft_deadline(&t.n), d2);
    /* A refused vote does not. */
    tn_step(&t, rv(3, 1, 1, 0, 0));
    assert_int_equal(only_msg(&t.out).ok, 0);
    assert_int_equal(raft_deadline(&t.n), d2);
    /* A granted vote does. */
    tn_step(&t, rv(3, 1, 2, 1, 1));
    assert_int_equal(only_msg(&t.out).ok, 1);
    assert_in_range(raft_deadline(&t.n), t.now + MIN_US, t.now + MAX_US);
    tn_free(&t);
}

TEST(test_5_2_single_node_cluster_elects_itself_and_commits_at_once) {
    tnode t;
    tn_boot(&t, 1, 1, 0, 0, RAFT_NODE_NONE, NULL, 0);
    tn_tick(&t);
    assert_int_equal(t.n.role, RAFT_ROLE_LEADER);
    assert_int_equal(t.n.term, 1);
    assert_int_equal(t.out.n_msgs, 0);
    assert_fx(&t.out, RAFT_FX_ROLE, 1, RAFT_ROLE_CANDIDATE);
    assert_fx(&t.out, RAFT_FX_VOTE, 1, 1);
    assert_fx(&t.out, RAFT_FX_ROLE, 1, RAFT_ROLE_LEADER);
    for (uint32_t c = 1; c <= 3; c++) {
        assert_int_equal(tn_propose(&t, 50 + c), 1);
        assert_int_equal(t.n.commit, c);
        assert_int_equal(t.out.n_fx, 3);
        assert_fx(&t.out, RAFT_FX_APPEND, c, c);
        assert_int_equal(t.out.fx[1].kind, RAFT_FX_COMMIT);
        assert_int_equal(t.out.fx[1].a, c);
        assert_int_equal(t.out.fx[2].kind, RAFT_FX_APPLY);
        assert_int_equal(t.out.fx[2].a, c);
        assert_int_equal(t.out.fx[2].b, c);
        assert_int_equal(t.n.log[c].cmd, 50 + c);
    }
    /* Its heartbeat timer fires with nobody to send to. */
    tn_tick(&t);
    assert_int_equal(t.n.role, RAFT_ROLE_LEADER);
    assert_int_equal(t.out.n_fx, 0);
    tn_free(&t);
}

static void tn_persisted(tnode *t, uint64_t index, uint64_t term) {
    snap b = snap_of(t);
    raft_out_clear(&t->out);
    raft_persisted(&t->n, t->now, index, term, &t->out);
    check_call(t, &b);
}

/* With a disk that takes time (persist_async), a node counts on its writes only once they are
 * durable (etcd; thesis 10.2.1): a lone candidate leads once its term and vote are, a leader
 * counts its own copy of an entry once it is. Otherwise a crash that loses the write loses a
 * committed entry, or lets the node lead the same term twice. */
TEST(test_persist_async_lone_node_waits_for_its_disk) {
    tnode t;
    raft_config cfg = cfg_make(0);
    cfg.persist_async = 1;
    tn_init_cfg(&t, 1, 1, &cfg, 0x5eed0001u);
    tn_start(&t);
    tn_tick(&t);
    assert_int_equal(t.n.role, RAFT_ROLE_CANDIDATE);
    assert_fx(&t.out, RAFT_FX_VOTE, 1, 1);
    tn_persisted(&t, 0, 0); /* an earlier write: not yet the vote */
    assert_int_equal(t.n.role, RAFT_ROLE_CANDIDATE);
    tn_persisted(&t, 0, 1);
    assert_int_equal(t.n.role, RAFT_ROLE_LEADER);
    assert_fx(&t.out, RAFT_FX_ROLE, 1, RAFT_ROLE_LEADER);
    assert_int_equal(tn_propose(&t, 51), 1);
    assert_int_equal(tn_propose(&t, 52), 1);
    assert_int_equal(t.n.commit, 0);
    assert_int_equal(fx_count(&t.out, RAFT_FX_COMMIT), 0);
    tn_persisted(&t, 1, 1);
    assert_int_equal(t.n.commit, 1);
    assert_fx(&t.out, RAFT_FX_COMMIT, 1, 0);
    assert_fx(&t.out, RAFT_FX_APPLY, 1, 1);
    tn_persisted(&t, 2, 1);
    assert_int_equal(t.n.commit, 2);
    tn_free(&t);
}

/* In a larger cluster the leader's own durable copy is one of the majority: with one
 * follower's acknowledgement of three nodes, nothing commits until the leader's write is done. */
TEST(test_persist_async_leader_counts_itself_once_durable) {
    tnode t;
    raft_config cfg = cfg_make(0);
    cfg.persist_async = 1;
    tn_init_cfg(&t, 1, 3, &cfg, 0x5eed0001u);
    tn_start(&t);
    tn_tick(&t);
    tn_persisted(&t, 0, 1);
    assert_int_equal(t.n.role, RAFT_ROLE_CANDIDATE); /* its own vote alone is no majority */
    tn_step(&t, rv_reply(2, 1, 1, 1));
    assert_int_equal(t.n.role, RAFT_ROLE_LEADER);
    assert_int_equal(tn_propose(&t, 51), 1);
    tn_step(&t, ae_reply(2, 1, 1, 1, 1, 0));
    assert_int_equal(t.n.commit, 0);
    tn_persisted(&t, 1, 1);
    assert_int_equal(t.n.commit, 1);
    tn_free(&t);
}

/* A failed write (fsyncgate): the node must stop, so that what it promised behind the write
 * never leaves; under ignore_write_error it carries on. Telling it changes nothing in it: the
 * engine crashes it. */
TEST(test_write_failed_stops_the_node) {
    tnode t;
    raft_config cfg = cfg_make(0);
    cfg.persist_async = 1;
    tn_init_cfg(&t, 1, 3, &cfg, 0x5eed0001u);
    tn_start(&t);
    tn_tick(&t);
    uint64_t term = t.n.term;
    assert_int_equal(raft_write_failed(&t.n), 1);
    assert_int_equal(t.n.role, RAFT_ROLE_CANDIDATE);
    assert_int_equal(t.n.term, term);
    tn_free(&t);
    cfg.bugs = RAFT_BUG_IGNORE_WRITE_ERROR;
    tn_init_cfg(&t, 1, 3, &cfg, 0x5eed0001u);
    tn_start(&t);
    assert_int_equal(raft_write_failed(&t.n), 0);
    tn_free(&t);
}

/* A leader sends heartbeats every heartbeat interval, and does not time out itself. */
TEST(test_5_2_leader_heartbeats_at_interval) {
    tnode t;
    tn_boot(&t, 1, 3, 0, 1, RAFT_NODE_NONE, TERMS(1, 1));
    tn_elect(&t);
    uint64_t elected = t.now;
    assert_int_equal(raft_deadline(&t.n), elected + HB_US);
    for (int k = 1; k <= 5; k++) {
        tn_tick(&t);
        assert_int_equal(t.now, elected + (uint64_t)k * HB_US);
        assert_int_equal(t.n.role, RAFT_ROLE_LEADER);
        assert_int_equal(t.n.term, 2);
        assert_int_equal(t.out.n_msgs, 2);
        assert_int_equal(t.out.n_fx, 2); /* nothing but the two sends */
        for (uint8_t p = 2; p <= 3; p++) {
            raft_msg m;
            assert_true(msg_to(&t.out, p, &m));
            assert_int_equal(m.type, RAFT_MSG_APPEND_ENTRIES);
            assert_int_equal(m.n_entries, 0);
            assert_int_equal(m.index, 2);
            assert_int_equal(m.log_term, 1);
        }
        assert_int_equal(raft_deadline(&t.n), t.now + HB_US);
    }
    tn_free(&t);
}

/* A leader that learns of a higher term becomes a follower; as a follower it has heard from no
 * leader yet, so it must wait out a whole election timeout before it stands again (LogCabin
 * and etcd both restart the timer on stepping down). Otherwise it disrupts the new leader at
 * once with an election for a yet higher term. */
TEST(test_5_2_deposed_leader_waits_an_election_timeout) {
    int bad = 0;
    char why[256] = "";
    for (int how = 0; how < 3; how++) {
        tnode t;
        tn_boot(&t, 1, 3, 0, 1, RAFT_NODE_NONE, TERMS(1));
        tn_elect(&t);
        /* Lead for a while (longer than any election timeout). */
        for (int k = 0; k < 20; k++) tn_tick(&t);
        assert_true(t.now > T0 + 2 * MAX_US);
        static const char *const via[] = {"AppendEntries reply", "RequestVote reply",
                                          "refused RequestVote"};
        if (how == 0)
            tn_step(&t, ae_reply(2, 1, 3, 0, 0, 0)); /* replies of a higher term */
        else if (how == 1)
            tn_step(&t, rv_reply(2, 1, 3, 0));
        else
            tn_step(&t, rv(2, 1, 3, 0, 0)); /* a RequestVote of a higher term, refused */
        assert_int_equal(t.n.role, RAFT_ROLE_FOLLOWER);
        assert_int_equal(t.n.term, 3);
        uint64_t d = raft_deadline(&t.n);
        if (d < t.now + MIN_US || d > t.now + MAX_US) {
            size_t used = strlen(why);
            snprintf(why + used, sizeof why - used, " [via %s: deadline now%+lld us]", via[how],
                     (long long)(d - t.now));
            bad++;
        }
        tn_free(&t);
    }
    if (bad) fail_msg("deposed leader times out at once:%s", why);
}

/* A lossless three-node cluster elects one leader, which all others recognise. */
TEST(test_5_2_cluster_elects_one_leader_then_another) {
    (void)run_two_leaders(0); /* asserts on every node after each phase */
}

/* ===== 5.3 Log replication =============================================================== */

TEST(test_5_3_propose_only_on_leader) {
    tnode t;
    tn_boot(&t, 1, 3, 0, 1, RAFT_NODE_NONE, TERMS(1));
    assert_int_equal(tn_propose(&t, 9), 0);
    assert_int_equal(t.out.n_fx, 0);
    assert_int_equal(t.n.log_len, 1);
    tn_tick(&t);
    assert_int_equal(tn_propose(&t, 9), 0); /* a candidate neither */
    assert_int_equal(t.out.n_fx, 0);
    assert_int_equal(t.n.log_len, 1);
    tn_free(&t);
}

/* "The leader appends the command to its log as a new entry, then issues AppendEntries RPCs in
 * parallel to each of the other servers to replicate the entry." */
TEST(test_5_3_leader_appends_and_replicates_proposal) {
    tnode t;
    tn_boot(&t, 1, 3, 0, 0, RAFT_NODE_NONE, NULL, 0);
    tn_elect(&t);
    assert_int_equal(tn_propose(&t, 77), 1);
    assert_int_equal(t.n.log_len, 1);
    assert_int_equal(t.n.log[1].term, 1);
    assert_int_equal(t.n.log[1].cmd, 77);
    assert_int_equal(t.n.match_index[1], 1);
    assert_int_equal(t.out.fx[0].kind, RAFT_FX_APPEND);
    assert_int_equal(t.out.fx[0].a, 1);
    assert_int_equal(t.out.fx[0].b, 1);
    assert_int_equal(fx_count(&t.out, RAFT_FX_COMMIT), 0); /* not on a majority yet */
    assert_int_equal(t.out.n_msgs, 2);
    for (uint8_t p = 2; p <= 3; p++) {
        raft_msg m;
        assert_true(msg_to(&t.out, p, &m));
        assert_int_equal(m.type, RAFT_MSG_APPEND_ENTRIES);
        assert_int_equal(m.index, 0);
        assert_int_equal(m.log_term, 0);
        assert_int_equal(m.n_entries, 1);
        assert_int_equal(m.entries[0].term, 1);
        assert_int_equal(m.entries[0].cmd, 77);
    }
    /* A second proposal goes out after the first (nextIndex advanced past it). */
    assert_int_equal(tn_propose(&t, 78), 1);
    raft_msg m;
    assert_true(msg_to(&t.out, 2, &m));
    assert_int_equal(m.index, 1);
    assert_int_equal(m.log_term, 1);
    assert_int_equal(m.n_entries, 1);
    assert_int_equal(m.entries[0].cmd, 78);
    tn_free(&t);
}

/* Consistency check: "If the follower does not find an entry in its log with the same index
 * and term, then it refuses the new entries." Log too short: hint = (len + 1, 0). */
TEST(test_5_3_reject_missing_prev_index) {
    tnode t;
    tn_boot(&t, 1, 3, 0, 1, RAFT_NODE_NONE, TERMS(1, 1));
    ebuf e = mk_entries(6, TERMS(1));
    tn_step(&t, ae(2, 1, 1, 5, 1, 0, e.e, e.n));
    raft_msg r = only_msg(&t.out);
    assert_int_equal(r.type, RAFT_MSG_APPEND_ENTRIES_REPLY);
    assert_int_equal(r.ok, 0);
    assert_int_equal(r.term, 1);
    assert_int_equal(r.index, 3);
    assert_int_equal(r.log_term, 0);
    assert_int_equal(t.out.n_fx, 1);
    assert_log(&t, TERMS(1, 1));
    assert_int_equal(t.n.leader_hint, 2); /* it still is the leader of the term */
    tn_free(&t);
}

/* Term mismatch at prevLogIndex: the hint is the first index of the conflicting term. */
TEST(test_5_3_reject_prev_term_mismatch_with_conflict_hint) {
    tnode t;
    tn_boot(&t, 1, 3, 0, 2, RAFT_NODE_NONE, TERMS(1, 2, 2, 2));
    ebuf e = mk_entries(5, TERMS(3));
    tn_step(&t, ae(2, 1, 3, 4, 3, 4, e.e, e.n));
    raft_msg r = only_msg(&t.out);
    assert_int_equal(r.ok, 0);
    assert_int_equal(r.term, 3);
    assert_int_equal(r.index, 2);
    assert_int_equal(r.log_term, 2);
    assert_int_equal(fx_count(&t.out, RAFT_FX_TRUNCATE), 0);
    assert_int_equal(fx_count(&t.out, RAFT_FX_APPEND), 0);
    assert_int_equal(fx_count(&t.out, RAFT_FX_COMMIT), 0);
    assert_log(&t, TERMS(1, 2, 2, 2));
    assert_int_equal(t.n.commit, 0);
    tn_free(&t);
}

TEST(test_5_3_conflict_hints_table) {
    static const struct {
        uint64_t log[8];
        size_t len;
        uint64_t prev, prev_term;
        uint64_t hint_index, hint_term;
    } cases[] = {
        {{0}, 0, 1, 1, 1, 0},                /* empty log */
        {{1, 1}, 2, 3, 1, 3, 0},             /* one short */
        {{1, 1}, 2, 7, 2, 3, 0},             /* far short */
        {{1, 1, 1}, 3, 2, 2, 1, 1},          /* term 1 from index 1 */
        {{1, 2, 3, 3, 3}, 5, 5, 4, 3, 3},    /* at the end of a run */
        {{1, 2, 3, 3, 3}, 5, 4, 2, 3, 3},    /* inside a run */
        {{1, 2, 3, 3, 3}, 5, 2, 1, 2, 2},    /* a run of one */
        {{1, 1, 2, 2, 4, 4}, 6, 6, 5, 5, 4}, /* leader has term 5 there */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        tnode t;
        tn_boot(&t, 1, 3, 0, 5, RAFT_NODE_NONE, cases[c].log, cases[c].len);
        tn_step(&t, ae(2, 1, 6, cases[c].prev, cases[c].prev_term, 0, NULL, 0));
        raft_msg r = only_msg(&t.out);
        if (r.ok != 0 || r.index != cases[c].hint_index || r.log_term != cases[c].hint_term)
            fail_msg("case %zu: reply ok=%u hint (%llu, %llu), want (%llu, %llu)", c, r.ok,
                     (unsigned long long)r.index, (unsigned long long)r.log_term,
                     (unsigned long long)cases[c].hint_index,
                     (unsigned long long)cases[c].hint_term);
        assert_int_equal(t.n.log_len, cases[c].len);
        tn_free(&t);
    }
}

/* "If the follower's log matches the leader's at prevLogIndex, the new entries are appended."*/
TEST(test_5_3_append_new_entries) {
    tnode t;
    tn_boot(&t, 1, 3, 0, 1, RAFT_NODE_NONE, TERMS(1));
    ebuf e = mk_entries(2, TERMS(1, 2));
    tn_step(&t, ae(2, 1, 2, 1, 1, 0, e.e, e.n));
    assert_log(&t, TERMS(1, 1, 2));
    assert_int_equal(fx_count(&t.out, RAFT_FX_APPEND), 1);
    assert_fx(&t.out, RAFT_FX_APPEND, 2, 3);
    assert_int_equal(fx_count(&t.out, RAFT_FX_TRUNCATE), 0);
    raft_msg r = only_msg(&t.out);
    assert_int_equal(r.ok, 1);
    assert_int_equal(r.index, 3); /* the last index it now matches */
    assert_int_equal(r.term, 2);
    assert_int_equal(t.n.commit, 0);
    tn_free(&t);
}

/* "If an existing entry conflicts with a new one (same index but different terms), delete the
 * existing entry and all that follow it." Then append the new ones. */
TEST(test_5_3_conflicting_entries_deleted_and_replaced) {
    tnode t;
    tn_boot(&t, 1, 3, 0, 2, RAFT_NODE_NONE, TERMS(1, 1, 2, 2));
    ebuf e = mk_entries(3, TERMS(3, 3, 3));
    tn_step(&t, ae(2, 1, 3, 2, 1, 0, e.e, e.n));
    assert_log(&t, TERMS(1, 1, 3, 3, 3));
    assert_int_equal(fx_count(&t.out, RAFT_FX_TRUNCATE), 1);
    assert_fx(&t.out, RAFT_FX_TRUNCATE, 3, 0);
    assert_int_equal(fx_count(&t.out, RAFT_FX_APPEND), 1);
    assert_fx(&t.out, RAFT_FX_APPEND, 3, 5);
    assert_true(fx_pos(&t.out, RAFT_FX_TRUNCATE, 0) < fx_pos(&t.out, RAFT_FX_APPEND, 0));
    raft_msg r = only_msg(&t.out);
    assert_int_equal(r.ok, 1);
    assert_int_equal(r.index, 5);
    tn_free(&t);
}

/* A conflict at index 1 replaces the whole log. */
TEST(test_5_3_conflict_at_first_entry_replaces_whole_log) {
    tnode t;
    tn_boot(&t, 1, 3, 0, 2, RAFT_NODE_NONE, TERMS(2, 2, 2));
    ebuf e = mk_entries(1, TERMS(3));
    tn_step(&t, ae(2, 1, 3, 0, 0, 0, e.e, e.n));
    assert_log(&t, TERMS(3));
    assert_int_equal(t.out.fx[0].kind, RAFT_FX_ROLE); /* term 3 adopted first */
    assert_fx(&t.out, RAFT_FX_TRUNCATE, 1, 0);
    assert_fx(&t.out, RAFT_FX_APPEND, 1, 1);
    assert_int_equal(only_msg(&t.out).index, 1);
    assert_int_equal(raft_last_term(&t.n), 3);
    tn_free(&t);
}

/* A conflict in the middle of the batch: the matching prefix is neither deleted nor rewritten. */
TEST(test_5_3_conflict_inside_batch_keeps_matching_prefix) {
    tnode t;
    tn_boot(&t, 1, 3, 0, 2, RAFT_NODE_NONE, TERMS(1, 1, 1, 2, 2));
    ebuf e = mk_entries(2, TERMS(1, 1, 3));
    tn_step(&t, ae(2, 1, 3, 1, 1, 0, e.e, e.n));
    assert_log(&t, TERMS(1, 1, 1, 3));
    assert_int_equal(fx_count(&t.out, RAFT_FX_TRUNCATE), 1);
    assert_fx(&t.out, RAFT_FX_TRUNCATE, 4, 0);
    assert_int_equal(fx_count(&t.out, RAFT_FX_APPEND), 1);
    assert_fx(&t.out, RAFT_FX_APPEND, 4, 4);
    assert_int_equal(only_msg(&t.out).index, 4);
    tn_free(&t);
}

/* Delivering the same AppendEntries twice changes nothing the second time. */
TEST(test_5_3_duplicate_append_is_idempotent) {
    tnode t;
    tn_boot(&t, 1, 3, 0, 1, RAFT_NODE_NONE, NULL, 0);
    ebuf e = mk_entries(1, TERMS(1, 1, 1));
    raft_msg m = ae(2, 1, 1, 0, 0, 0, e.e, e.n);
    tn_step(&t, m);
    assert_fx(&t.out, RAFT_FX_APPEND, 1, 3);
    for (int k = 0; k < 2; k++) {
        tn_step(&t, m);
        assert_int_equal(fx_count(&t.out, RAFT_FX_APPEND), 0);
        assert_int_equal(fx_count(&t.out, RAFT_FX_TRUNCATE), 0);
        assert_int_equal(t.out.n_fx, 1);
        raft_msg r = only_msg(&t.out);
        assert_int_equal(r.ok, 1);
        assert_int_equal(r.index, 3);
        assert_log(&t, TERMS(1, 1, 1));
    }
    tn_free(&t);
}

/* A delayed, shorter AppendEntries of the same leader (a prefix of what the follower has) must
 * not delete the entries after it: they match, and only a conflict deletes. */
TEST(test_5_3_stale_shorter_append_does_not_truncate) {
    tnode t;
    tn_boot(&t, 1, 3, 0, 1, RAFT_NODE_NONE, NULL, 0);
    ebuf all = mk_entries(1, TERMS(1, 1, 1, 1));
    tn_step(&t, ae(2, 1, 1, 0, 0, 0, all.e, all.n));
    assert_int_equal(t.n.log_len, 4);
    /* The first entry only. */
    tn_step(&t, ae(2, 1, 1, 0, 0, 0, all.e, 1));
    assert_log(&t, TERMS(1, 1, 1, 1));
    assert_int_equal(fx_count(&t.out, RAFT_FX_TRUNCATE), 0);
    raft_msg r = only_msg(&t.out);
    assert_int_equal(r.ok, 1);
    assert_int_equal(r.index, 1); /* only what this message proved to match */
    /* A stale heartbeat. */
    tn_step(&t, ae(2, 1, 1, 2, 1, 0, NULL, 0));
    assert_log(&t, TERMS(1, 1, 1, 1));
    assert_int_equal(t.out.n_fx, 1);
    assert_int_equal(only_msg(&t.out).index, 2);
    /* Entries 2..3 again. */
    tn_step(&t, ae(2, 1, 1, 1, 1, 0, all.e + 1, 2));
    assert_log(&t, TERMS(1, 1, 1, 1));
    assert_int_equal(t.out.n_fx, 1);
    assert_int_equal(only_msg(&t.out).index, 3);
    tn_free(&t);
}

/* "If leaderCommit > commitIndex, set commitIndex = min(leaderCommit, index of last new
 * entry)". The commit index never goes back. */
TEST(test_5_3_follower_commit_is_min_of_leader_commit_and_last_new) {
    tnode t;
    tn_boot(&t, 1, 3, 0, 1, RAFT_NODE_NONE, NULL, 0);
    ebuf e = mk_entries(1, TERMS(1, 1));
    tn_step(&t, ae(2, 1, 1, 0, 0, 5, e.e, e.n));
    assert_int_equal(t.n.commit, 2);
    assert_fx(&t.out, RAFT_FX_COMMIT, 2, 0);
    assert_fx(&t.out, RAFT_FX_APPLY, 1, 2);
    assert_true(fx_pos(&t.out, RAFT_FX_COMMIT, 0) < fx_pos(&t.out, RAFT_FX_APPLY, 0));
    ebuf e3 = mk_entries(3, TERMS(1));
    tn_step(&t, ae(2, 1, 1, 2, 1, 1, e3.e, e3.n)); /* leaderCommit 1 < commitIndex */
    assert_int_equal(t.n.commit, 2);
    assert_int_equal(fx_count(&t.out, RAFT_FX_COMMIT), 0);
    assert_int_equal(t.n.log_len, 3);
    tn_step(&t, ae(2, 1, 1, 3, 1, 3, NULL, 0));
    assert_int_equal(t.n.commit, 3);
    assert_fx(&t.out, RAFT_FX_APPLY, 3, 3);
    tn_free(&t);
}

/* The entries after the last one the message proved to match may differ from the leader's, so
 * a follower must not commit them even if leaderCommit covers them. */
TEST(test_5_3_follower_commit_not_beyond_verified_prefix) {
    tnode t;
    tn_boot(&t, 1, 3, 0, 2, RAFT_NODE_NONE, TERMS(1, 1, 2, 2));
    tn_step(&t, ae(2, 1, 3, 1, 1, 4, NULL, 0)); /* leader log might be [1,1,3,3] */
    assert_int_equal(only_msg(&t.out).ok, 1);
    assert_int_equal(t.n.commit, 1);
    assert_fx(&t.out, RAFT_FX_COMMIT, 1, 0);
    assert_fx(&t.out, RAFT_FX_APPLY, 1, 1);
    assert_int_equal(t.n.log_len, 4);
    tn_free(&t);
}

/* "A log entry is committed once the leader that created the entry has replicated it on a
 * majority of the servers." */
TEST(test_5_3_leader_commits_when_majority_matched) {
    tnode t;
    tn_boot(&t, 1, 5, 0, 0, RAFT_NODE_NONE, NULL, 0);
    tn_elect(&t);
    assert_int_equal(tn_propose(&t, 5), 1);
    tn_step(&t, ae_reply(2, 1, 1, 1, 1, 0));
    assert_int_equal(t.n.match_index[2], 1);
    assert_int_equal(t.n.commit, 0);
    tn_step(&t, ae_reply(2, 1, 1, 1, 1, 0)); /* the same follower twice is not a majority */
    assert_int_equal(t.n.commit, 0);
    assert_int_equal(t.out.n_fx, 0);
    tn_step(&t, ae_reply(3, 1, 1, 1, 1, 0));
    assert_int_equal(t.n.commit, 1);
    assert_fx(&t.out, RAFT_FX_COMMIT, 1, 0);
    assert_fx(&t.out, RAFT_FX_APPLY, 1, 1);
    /* Followers learn it from the next AppendEntries. */
    tn_tick(&t);
    for (uint8_t p = 2; p <= 5; p++) {
        raft_msg m;
        assert_true(msg_to(&t.out, p, &m));
        assert_int_equal(m.commit, 1);
    }
    tn_free(&t);
}

/* matchIndex only grows; nextIndex stays past it; an outdated failure cannot move nextIndex
 * back to or below what the follower is known to match. */
TEST(test_5_3_leader_match_and_next_index_tracking) {
    tnode t;
    tn_boot(&t, 1, 3, 0, 1, RAFT_NODE_NONE, TERMS(1, 1, 1, 1, 1));
    tn_elect(&t);
    assert_int_equal(t.n.next_index[2], 6);
    assert_int_equal(tn_propose(&t, 1), 1);
    assert_int_equal(t.n.next_index[2], 7);
    tn_step(&t, ae_reply(2, 1, 2, 1, 6, 0));
    assert_int_equal(t.n.match_index[2], 6);
    assert_int_equal(t.n.next_index[2], 7);
    assert_int_equal(t.n.commit, 6);
    tn_step(&t, ae_reply(2, 1, 2, 1, 5, 0)); /* older success */
    assert_int_equal(t.n.match_index[2], 6);
    tn_step(&t, ae_reply(2, 1, 2, 0, 2, 0)); /* older failure */
    assert_int_equal(t.n.next_index[2], 7);
    assert_int_equal(t.out.n_msgs, 0);
    tn_free(&t);
}

/* Majorities for every cluster size from 1 to 7: an election needs floor(n/2) grants besides
 * the candidate's own, and an entry floor(n/2) acknowledgements besides the leader's. */
TEST(test_5_3_majority_for_cluster_sizes) {
    for (uint8_t n = 1; n <= MAX_NODES; n++) {
        tnode t;
        tn_boot(&t, 1, n, 0, 0, RAFT_NODE_NONE, NULL, 0);
        tn_tick(&t);
        uint8_t need = n / 2;
        for (uint8_t p = 2; p <= need; p++) tn_step(&t, rv_reply(p, 1, 1, 1));
        if (need > 0) {
            assert_int_equal(t.n.role, RAFT_ROLE_CANDIDATE);
            tn_step(&t, rv_reply((uint8_t)(need + 1), 1, 1, 1));
        }
        assert_int_equal(t.n.role, RAFT_ROLE_LEADER);
        assert_int_equal(tn_propose(&t, 1), 1);
        for (uint8_t p = 2; p <= need; p++) tn_step(&t, ae_reply(p, 1, 1, 1, 1, 0));
        if (need > 0) {
            assert_int_equal(t.n.commit, 0);
            tn_step(&t, ae_reply((uint8_t)(need + 1), 1, 1, 1, 1, 0));
        }
        if (t.n.commit != 1) fail_msg("cluster of %u: not committed after %u acks", n, need);
        tn_free(&t);
    }
}

/* A lost AppendEntries is recovered: the next heartbeat fails the consistency check and the
 * failure makes the leader send the missing entries again. */
TEST(test_5_3_lost_append_recovered_after_heartbeat) {
    tnode l, f;
    tn_boot(&l, 1, 3, 0, 0, RAFT_NODE_NONE, NULL, 0);
    tn_elect(&l);
    tn_boot(&f, 2, 3, 0, 0, RAFT_NODE_NONE, NULL, 0);
    assert_int_equal(ping_pong(&l, &f, 5), 1); /* the initial heartbeat */
    assert_int_equal(tn_propose(&l, 31), 1);
    assert_int_equal(tn_propose(&l, 32), 1); /* both AppendEntries are lost */
    tn_tick(&l);
    raft_msg hb;
    assert_true(msg_to(&l.out, 2, &hb));
    assert_int_equal(hb.index, 2);
    assert_int_equal(hb.n_entries, 0);
    assert_int_equal(ping_pong(&l, &f, 5), 2);
    assert_int_equal(f.n.log_len, 2);
    assert_int_equal(f.n.log[1].cmd, 31);
    assert_int_equal(f.n.log[2].cmd, 32);
    assert_int_equal(l.n.commit, 2);
    tn_free(&l);
    tn_free(&f);
}

/* Figure 7: a leader of term 8 and followers (a)-(f). With the conflict hints the leader finds
 * the point of agreement in at most three round trips (one entry at a time it would take up
 * to eight), and the follower ends with the leader's log (an extra matching tail is kept). */
TEST(test_5_3_next_index_backup_figure7) {
    static const uint64_t leader_log[] = {1, 1, 1, 4, 4, 5, 5, 6, 6, 6};
    static const struct {
        uint64_t log[12];
        size_t len;
        uint64_t term;
        int rounds;
        uint64_t final_len;
    } f[] = {
        {{1, 1, 1, 4, 4, 5, 5, 6, 6}, 9, 6, 2, 10},           /* (a) */
        {{1, 1, 1, 4}, 4, 4, 2, 10},                          /* (b) */
        {{1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6}, 11, 6, 1, 11},    /* (c) keeps its extra entry */
        {{1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7}, 12, 7, 1, 12}, /* (d) keeps its extra entries */
        {{1, 1, 1, 4, 4, 4, 4}, 7, 4, 3, 10},                 /* (e) */
        {{1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3}, 11, 3, 3, 10},    /* (f) */
    };
    for (size_t c = 0; c < sizeof f / sizeof f[0]; c++) {
        tnode l, fo;
        tn_boot(&l, 1, 3, 0, 7, RAFT_NODE_NONE, leader_log, 10);
        tn_elect(&l);
        assert_int_equal(l.n.term, 8);
        tn_boot(&fo, 2, 3, 0, f[c].term, RAFT_NODE_NONE, f[c].log, f[c].len);
        int rounds = ping_pong(&l, &fo, 20);
        if (rounds != f[c].rounds)
            fail_msg("follower (%c): %d round trips, want %d", (char)('a' + c), rounds,
                     f[c].rounds);
        assert_same_prefix(&l, &fo, 10);
        assert_int_equal(l.n.match_index[2], 10);
        assert_int_equal(l.n.next_index[2], 11);
        assert_int_equal(fo.n.term, 8);
        assert_int_equal(fo.n.log_len, f[c].final_len);
        tn_free(&l);
        tn_free(&fo);
    }
}

/* A follower whose log is too short: one failed round tells the leader where its log ends. */
TEST(test_5_3_too_short_hint_jumps_to_follower_end) {
    tnode t;
    tn_boot(&t, 1, 3, 0, 1, RAFT_NODE_NONE, TERMS(1, 1, 1, 1, 1, 1, 1, 1, 1, 1));
    tn_elect(&t);
    tn_step(&t, ae_reply(2, 1, 2, 0, 3, 0)); /* follower 2 has 2 entries */
    assert_int_equal(t.n.next_index[2], 11); /* advanced past what was sent */
    raft_msg m = only_msg(&t.out);
    assert_int_equal(m.to, 2);
    assert_int_equal(m.type, RAFT_MSG_APPEND_ENTRIES);
    assert_int_equal(m.index, 2);
    assert_int_equal(m.log_term, 1);
    assert_int_equal(m.n_entries, 8);
    assert_int_equal(m.entries[0].cmd, cmd_of(3, 1));
    assert_int_equal(m.entries[7].cmd, cmd_of(10, 1));
    tn_free(&t);
}

/* An empty follower catches up in batches of max_entries_per_msg, each success triggering the
 * next batch without waiting for a heartbeat. */
TEST(test_5_3_far_behind_follower_catches_up_in_batches) {
    raft_config cfg = cfg_make(0);
    cfg.max_entries_per_msg = 3;
    tnode l, f;
    tn_init_cfg(&l, 1, 3, &cfg, 11);
    tn_load(&l, 1, RAFT_NODE_NONE, TERMS(1, 1, 1, 1, 1, 1, 1, 1, 1, 1));
    tn_start(&l);
    tn_elect(&l);
    assert_int_equal(tn_propose(&l, 999), 1); /* index 11, term 2 */
    tn_init_cfg(&f, 2, 3, &cfg, 12);
    tn_start(&f);
    /* Hint round, then batches 1-3, 4-6, 7-9, 10-11. */
    int rounds = ping_pong(&l, &f, 50);
    assert_int_equal(rounds, 5);
    assert_same_prefix(&l, &f, 11);
    assert_int_equal(f.n.log_len, 11);
    assert_int_equal(l.n.match_index[2], 11);
    assert_int_equal(l.n.commit, 11); /* with its own term's entry on a majority */
    tn_free(&l);
    tn_free(&f);
}

/* "Once a follower learns that a log entry is committed, it applies the entry to its local
 * state machine (in log order)." */
TEST(test_5_3_apply_effects_in_order) {
    tnode t;
    tn_boot(&t, 1, 3, 0, 1, RAFT_NODE_NONE, NULL, 0);
    ebuf e = mk_entries(1, TERMS(1, 1, 1, 1, 1));
    tn_step(&t, ae(2, 1, 1, 0, 0, 2, e.e, e.n));
    assert_int_equal(fx_count(&t.out, RAFT_FX_APPLY), 1);
    assert_fx(&t.out, RAFT_FX_APPLY, 1, 2);
    tn_step(&t, ae(2, 1, 1, 5, 1, 5, NULL, 0));
    assert_int_equal(fx_count(&t.out, RAFT_FX_APPLY), 1);
    assert_fx(&t.out, RAFT_FX_APPLY, 3, 5);
    tn_step(&t, ae(2, 1, 1, 5, 1, 4, NULL, 0));
    assert_int_equal(fx_count(&t.out, RAFT_FX_APPLY), 0);
    assert_int_equal(t.n.applied, 5);
    assert_int_equal(t.applied, 5);
    tn_free(&t);
}

/* The outbox copies the entries of the messages it holds: they stay intact while the log
 * grows (and is reallocated) within the same, uncleared outbox. */
TEST(test_outbox_messages_own_their_entries) {
    tnode t;
    tn_boot(&t, 1, 2, 0, 0, RAFT_NODE_NONE, NULL, 0);
    tn_elect(&t);
    raft_out_clear(&t.out);
    for (uint32_t c = 1; c <= 100; c++) assert_int_equal(raft_propose(&t.n, t.now, c, &t.out), 1);
    assert_int_equal(t.n.log_len, 100);
    assert_int_equal(t.out.n_msgs, 100);
    for (size_t i = 0; i < t.out.n_msgs; i++) {
        raft_msg m = raft_out_msg(&t.out, i);
        assert_int_equal(m.index, i);
        assert_int_equal(m.n_entries, 1);
        assert_int_equal(m.entries[0].cmd, i + 1);
        assert_int_equal(m.entries[0].term, 1);
    }
    raft_out_clear(&t.out);
    assert_int_equal(t.out.n_fx, 0);
    assert_int_equal(t.out.n_msgs, 0);
    tn_free(&t);
}

/* ===== 5.4.1 Election restriction ======================================================== */

/* "If the logs have last entries with different terms, then the log with the later term is
 * more up-to-date. If the logs end with the same term, then whichever log is longer is more
 * up-to-date." The voter refuses a candidate whose log is less up-to-date than its own. */
TEST(test_5_4_1_vote_refused_for_lower_last_term) {
    tnode t;
    tn_boot(&t, 1, 3, 0, 3, RAFT_NODE_NONE, TERMS(1, 1, 3));
    tn_step(&t, rv(2, 1, 4, 10, 2)); /* longer, but ends with term 2 */
    raft_msg r = only_msg(&t.out);
    assert_int_equal(r.ok, 0);
    assert_int_equal(r.term, 4);
    assert_int_equal(t.n.voted_for, RAFT_NODE_NONE);
    assert_int_equal(fx_count(&t.out, RAFT_FX_VOTE), 0);
    tn_free(&t);
}

TEST(test_5_4_1_vote_refused_for_same_last_term_shorter_log) {
    tnode t;
    tn_boot(&t, 1, 3, 0, 2, RAFT_NODE_NONE, TERMS(1, 1, 2, 2));
    tn_step(&t, rv(2, 1, 3, 3, 2));
    assert_int_equal(only_msg(&t.out).ok, 0);
    assert_int_equal(t.n.voted_for, RAFT_NODE_NONE);
    assert_int_equal(fx_count(&t.out, RAFT_FX_VOTE), 0);
    tn_free(&t);
}

TEST(test_5_4_1_vote_granted_when_at_least_as_up_to_date) {
    static const struct {
        uint64_t last_index, last_term;
        int granted;
    } cases[] = {
        {4, 2, 1}, /* identical */
        {9, 2, 1}, /* longer, same last term */
        {1, 3, 1}, /* shorter, later last term */
        {3, 2, 0}, /* shorter, same last term */
        {9, 1, 0}, /* longer, earlier last term */
        {0, 0, 0}, /* empty */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        tnode t;
        tn_boot(&t, 1, 3, 0, 2, RAFT_NODE_NONE, TERMS(1, 1, 2, 2));
        tn_step(&t, rv(3, 1, 3, cases[c].last_index, cases[c].last_term));
        raft_msg r = only_msg(&t.out);
        if (r.ok != cases[c].granted) fail_msg("case %zu: ok=%u", c, r.ok);
        assert_int_equal(r.term, 3);
        if (cases[c].granted) {
            assert_int_equal(t.n.voted_for, 3);
            assert_fx(&t.out, RAFT_FX_VOTE, 3, 3);
        } else {
            assert_int_equal(t.n.voted_for, RAFT_NODE_NONE);
        }
        tn_free(&t);
    }
}

/* "Each server will vote for at most one candidate in a given term, on a first-come-first-
 * served basis." */
TEST(test_5_4_1_at_most_one_vote_per_term) {
    tnode t;
    tn_boot(&t, 1, 5, 0, 1, RAFT_NODE_NONE, NULL, 0);
    tn_step(&t, rv(2, 1, 2, 0, 0));
    assert_int_equal(only_msg(&t.out).ok, 1);
    for (uint8_t c = 3; c <= 5; c++) {
        tn_step(&t, rv(c, 1, 2, 5, 2)); /* even with a better log */
        raft_msg r = only_msg(&t.out);
        assert_int_equal(r.ok, 0);
        assert_int_equal(r.term, 2);
        assert_int_equal(fx_count(&t.out, RAFT_FX_VOTE), 0);
        assert_int_equal(t.n.voted_for, 2);
    }
    tn_free(&t);
}

/* A repeated RequestVote (the reply was lost) from the candidate voted for is granted again,
 * without a new VOTE effect. */
TEST(test_5_4_1_vote_regranted_to_same_candidate) {
    tnode t;
    tn_boot(&t, 1, 3, 0, 1, RAFT_NODE_NONE, TERMS(1));
    tn_step(&t, rv(2, 1, 2, 1, 1));
    assert_fx(&t.out, RAFT_FX_VOTE, 2, 2);
    tn_step(&t, rv(2, 1, 2, 1, 1));
    raft_msg r = only_msg(&t.out);
    assert_int_equal(r.ok, 1);
    assert_int_equal(fx_count(&t.out, RAFT_FX_VOTE), 0);
    assert_int_equal(t.n.voted_for, 2);
    tn_free(&t);
}

/* A vote binds one term only. */
TEST(test_5_4_1_new_term_allows_new_vote) {
    tnode t;
    tn_boot(&t, 1, 3, 0, 1, RAFT_NODE_NONE, NULL, 0);
    tn_step(&t, rv(2, 1, 2, 0, 0));
    assert_int_equal(t.n.voted_for, 2);
    tn_step(&t, rv(3, 1, 3, 0, 0));
    assert_int_equal(only_msg(&t.out).ok, 1);
    assert_int_equal(t.n.voted_for, 3);
    assert_int_equal(t.n.term, 3);
    assert_int_equal(fx_pos(&t.out, RAFT_FX_ROLE, 0), 0);
    assert_int_equal(fx_pos(&t.out, RAFT_FX_VOTE, 0), 1);
    assert_fx(&t.out, RAFT_FX_VOTE, 3, 3);
    tn_free(&t);
}

/* A candidate has voted for itself, and so has a leader, in their term. */
TEST(test_5_4_1_candidate_and_leader_refuse_votes_in_their_term) {
    tnode t;
    tn_boot(&t, 1, 3, 0, 0, RAFT_NODE_NONE, NULL, 0);
    tn_tick(&t);
    tn_step(&t, rv(2, 1, 1, 0, 0));
    assert_int_equal(only_msg(&t.out).ok, 0);
    assert_int_equal(t.n.role, RAFT_ROLE_CANDIDATE);
    assert_int_equal(t.n.voted_for, 1);
    tn_step(&t, rv_reply(3, 1, 1, 1));
    assert_int_equal(t.n.role, RAFT_ROLE_LEADER);
    tn_step(&t, rv(2, 1, 1, 5, 1));
    assert_int_equal(only_msg(&t.out).ok, 0);
    assert_int_equal(t.n.role, RAFT_ROLE_LEADER);
    tn_free(&t);
}

/* ===== 5.4.2 Committing entries from previous terms ====================================== */

/* Figure 8: S1 leads term 4 with [1, 2] (index 2 from its own term-2 leadership). Index 2 on a
 * majority must not be committed by counting replicas. */
static void figure8_leader(tnode *t, uint32_t bugs) {
    tn_boot(t, 1, 5, bugs, 3, RAFT_NODE_NONE, TERMS(1, 2));
    tn_elect(t);
    assert_int_equal(t->n.term, 4);
}

TEST(test_5_4_2_old_term_entry_not_committed_by_counting) {
    tnode t;
    figure8_leader(&t, 0);
    for (uint8_t p = 2; p <= 5; p++) {
        tn_step(&t, ae_reply(p, 1, 4, 1, 2, 0));
        assert_int_equal(t.n.match_index[p], 2);
        assert_int_equal(t.n.commit, 0);
        assert_int_equal(fx_count(&t.out, RAFT_FX_COMMIT), 0);
    }
    tn_free(&t);
}

TEST(test_5_4_2_old_term_entry_committed_with_current_term_entry) {
    tnode t;
    figure8_leader(&t, 0);
    tn_step(&t, ae_reply(2, 1, 4, 1, 2, 0));
    tn_step(&t, ae_reply(3, 1, 4, 1, 2, 0));
    assert_int_equal(tn_propose(&t, 4), 1);
    tn_step(&t, ae_reply(2, 1, 4, 1, 3, 0));
    assert_int_equal(t.n.commit, 0);
    tn_step(&t, ae_reply(3, 1, 4, 1, 3, 0));
    assert_int_equal(t.n.commit, 3);
    assert_fx(&t.out, RAFT_FX_COMMIT, 3, 0);
    assert_fx(&t.out, RAFT_FX_APPLY, 1, 3);
    tn_free(&t);
}

/* ===== Persistence (Figure 2: currentTerm, votedFor, log[] on stable storage) =============== */

TEST(test_persist_restart_keeps_term_vote_log) {
    tnode t;
    tn_boot(&t, 1, 3, 0, 1, RAFT_NODE_NONE, TERMS(1));
    tn_elect(&t);
    assert_int_equal(tn_propose(&t, cmd_of(2, 2)), 1);
    tn_step(&t, ae_reply(2, 1, 2, 1, 2, 0));
    assert_int_equal(t.n.commit, 2);
    t.now += 12345;
    tn_start(&t); /* crash and reboot */
    assert_int_equal(t.out.n_fx, 1);
    assert_fx(&t.out, RAFT_FX_ROLE, 2, RAFT_ROLE_FOLLOWER);
    assert_int_equal(t.n.role, RAFT_ROLE_FOLLOWER);
    assert_int_equal(t.n.term, 2);
    assert_int_equal(t.n.voted_for, 1);
    assert_log(&t, TERMS(1, 2));
    assert_int_equal(t.n.commit, 0);
    assert_int_equal(t.n.applied, 0);
    assert_int_equal(t.n.leader_hint, RAFT_NODE_NONE);
    assert_in_range(raft_deadline(&t.n), t.now + MIN_US, t.now + MAX_US);
    /* It does not lead any more: no proposals. */
    assert_int_equal(tn_propose(&t, 1), 0);
    tn_free(&t);
}

/* After a reboot the state machine starts empty: committed entries are applied again from 1. */
TEST(test_persist_restart_reapplies_from_first_entry) {
    tnode t;
    tn_boot(&t, 1, 3, 0, 1, RAFT_NODE_NONE, NULL, 0);
    ebuf e = mk_entries(1, TERMS(1, 1, 1));
    tn_step(&t, ae(2, 1, 1, 0, 0, 3, e.e, e.n));
    assert_fx(&t.out, RAFT_FX_APPLY, 1, 3);
    tn_start(&t);
    assert_int_equal(t.out.n_fx, 0); /* a follower reboots silently */
    assert_int_equal(t.n.commit, 0);
    tn_step(&t, ae(2, 1, 1, 3, 1, 3, NULL, 0));
    assert_int_equal(t.n.commit, 3);
    assert_fx(&t.out, RAFT_FX_APPLY, 1, 3);
    tn_free(&t);
}

/* The vote survives the crash, so a second candidate of the same term is refused. */
TEST(test_persist_restart_keeps_vote_of_term) {
    tnode t;
    tn_boot(&t, 1, 3, 0, 4, RAFT_NODE_NONE, NULL, 0);
    tn_step(&t, rv(2, 1, 5, 0, 0));
    assert_int_equal(t.n.voted_for, 2);
    tn_start(&t);
    assert_int_equal(t.n.voted_for, 2);
    tn_step(&t, rv(3, 1, 5, 0, 0));
    assert_int_equal(only_msg(&t.out).ok, 0);
    assert_int_equal(t.n.voted_for, 2);
    tn_free(&t);
}

/* raft_load sets the persisted state; raft_node_start of a follower emits nothing. */
TEST(test_persist_load_then_start) {
    tnode t;
    tn_init(&t, 2, 3, 0);
    tn_load(&t, 7, 3, TERMS(1, 4, 7));
    tn_start(&t);
    assert_int_equal(t.out.n_fx, 0);
    assert_int_equal(t.n.term, 7);
    assert_int_equal(t.n.voted_for, 3);
    assert_int_equal(t.n.role, RAFT_ROLE_FOLLOWER);
    assert_int_equal(t.n.commit, 0);
    assert_log(&t, TERMS(1, 4, 7));
    assert_int_equal(raft_last_term(&t.n), 7);
    tn_tick(&t);
    raft_msg m;
    assert_true(msg_to(&t.out, 1, &m));
    assert_int_equal(m.term, 8);
    assert_int_equal(m.index, 3);
    assert_int_equal(m.log_term, 7);
    tn_free(&t);
}

/* ===== Injected bugs: each bit changes exactly its own behaviour ========================== */

TEST(test_bug_vote_ignores_log) {
    for (int bug = 0; bug <= 1; bug++) {
        tnode t;
        tn_boot(&t, 1, 3, bug ? RAFT_BUG_VOTE_IGNORES_LOG : 0, 3, RAFT_NODE_NONE, TERMS(1, 1, 3));
        tn_step(&t, rv(2, 1, 4, 10, 2)); /* less up-to-date candidate */
        assert_int_equal(only_msg(&t.out).ok, bug);
        assert_int_equal(t.n.voted_for, bug ? 2 : RAFT_NODE_NONE);
        /* Still one vote per term, and no vote for stale terms. */
        tn_step(&t, rv(3, 1, 4, 3, 3)); /* an up-to-date candidate, second in the term */
        assert_int_equal(only_msg(&t.out).ok, !bug);
        tn_step(&t, rv(3, 1, 3, 10, 3));
        assert_int_equal(only_msg(&t.out).ok, 0);
        tn_free(&t);
    }
}

TEST(test_bug_commit_old_term) {
    tnode t;
    figure8_leader(&t, RAFT_BUG_COMMIT_OLD_TERM);
    tn_step(&t, ae_reply(2, 1, 4, 1, 2, 0));
    assert_int_equal(t.n.commit, 0); /* still needs a majority */
    tn_step(&t, ae_reply(3, 1, 4, 1, 2, 0));
    assert_int_equal(t.n.commit, 2); /* the term-2 entry commits by counting */
    assert_fx(&t.out, RAFT_FX_COMMIT, 2, 0);
    assert_fx(&t.out, RAFT_FX_APPLY, 1, 2);
    tn_free(&t);
}

TEST(test_bug_forget_vote) {
    for (int bug = 0; bug <= 1; bug++) {
        tnode t;
        tn_boot(&t, 1, 3, bug ? RAFT_BUG_FORGET_VOTE : 0, 4, RAFT_NODE_NONE, TERMS(1, 4));
        tn_step(&t, rv(2, 1, 5, 2, 4));
        assert_int_equal(t.n.voted_for, 2);
        tn_start(&t);
        assert_int_equal(t.n.voted_for, bug ? RAFT_NODE_NONE : 2);
        assert_int_equal(t.n.term, 5); /* the term and log are kept either way */
        assert_log(&t, TERMS(1, 4));
        tn_step(&t, rv(3, 1, 5, 2, 4));
        assert_int_equal(only_msg(&t.out).ok, bug); /* with the bug: two votes in term 5 */
        tn_free(&t);
    }
}

TEST(test_bug_truncate_on_match) {
    for (int bug = 0; bug <= 1; bug++) {
        tnode t;
        tn_boot(&t, 1, 3, bug ? RAFT_BUG_TRUNCATE_ON_MATCH : 0, 1, RAFT_NODE_NONE,
                TERMS(1, 1, 1, 1));
        tn_step(&t, ae(2, 1, 1, 4, 1, 0, NULL, 0)); /* up to date: nothing to drop */
        assert_int_equal(t.n.log_len, 4);
        assert_int_equal(fx_count(&t.out, RAFT_FX_TRUNCATE), 0);
        tn_step(&t, ae(2, 1, 1, 2, 1, 0, NULL, 0)); /* stale heartbeat */
        assert_int_equal(only_msg(&t.out).ok, 1);
        if (bug) {
            assert_fx(&t.out, RAFT_FX_TRUNCATE, 3, 0);
            assert_log(&t, TERMS(1, 1));
        } else {
            assert_int_equal(fx_count(&t.out, RAFT_FX_TRUNCATE), 0);
            assert_log(&t, TERMS(1, 1, 1, 1));
        }
        tn_free(&t);
    }
}

TEST(test_bug_no_stepdown) {
    for (int bug = 0; bug <= 1; bug++) {
        uint32_t bits = bug ? RAFT_BUG_NO_STEPDOWN : 0;
        tnode l;
        tn_boot(&l, 1, 3, bits, 1, RAFT_NODE_NONE, TERMS(1));
        tn_elect(&l);
        tn_step(&l, ae_reply(2, 1, 5, 0, 0, 0));
        assert_int_equal(l.n.term, bug ? 2 : 5);
        assert_int_equal(l.n.role, bug ? RAFT_ROLE_LEADER : RAFT_ROLE_FOLLOWER);
        /* Requests of a higher term still depose it. */
        tn_step(&l, rv(3, 1, 6, 0, 0));
        assert_int_equal(l.n.term, 6);
        assert_int_equal(l.n.role, RAFT_ROLE_FOLLOWER);
        tn_free(&l);

        tnode c;
        tn_boot(&c, 1, 3, bits, 1, RAFT_NODE_NONE, TERMS(1));
        tn_tick(&c);
        tn_step(&c, rv_reply(2, 1, 5, 0));
        assert_int_equal(c.n.term, bug ? 2 : 5);
        assert_int_equal(c.n.role, bug ? RAFT_ROLE_CANDIDATE : RAFT_ROLE_FOLLOWER);
        tn_free(&c);
    }
}

/* ===== Thesis 9.6: pre-vote ============================================================== */

static raft_msg prevote_req(uint8_t from, uint8_t to, uint64_t term, uint64_t last_index,
                            uint64_t last_term) {
    raft_msg m = rv(from, to, term, last_index, last_term);
    m.ok = 1;
    return m;
}

static raft_msg prevote_reply(uint8_t from, uint8_t to, uint64_t term, int granted) {
    raft_msg m = rv_reply(from, to, term, granted);
    m.log_term = 1;
    return m;
}

/* A timeout with pre-vote asks for term + 1 without taking it: no term change, no vote, still
 * a follower; a majority of pre-votes starts the real election. */
TEST(test_prevote_round_changes_nothing_until_won) {
    tnode t;
    tn_boot_features(&t, 1, 3, 0, 1, 0);
    tn_tick(&t);
    assert_int_equal(t.n.term, 0);
    assert_int_equal(t.n.role, RAFT_ROLE_FOLLOWER);
    assert_int_equal(t.n.voted_for, RAFT_NODE_NONE);
    assert_int_equal(fx_count(&t.out, RAFT_FX_VOTE) + fx_count(&t.out, RAFT_FX_ROLE), 0);
    assert_int_equal(t.out.n_msgs, 2);
    raft_msg m = raft_out_msg(&t.out, 0);
    assert_int_equal(m.type, RAFT_MSG_REQUEST_VOTE);
    assert_int_equal(m.ok, 1);
    assert_int_equal(m.term, 1);
    tn_step(&t, prevote_reply(2, 1, 1, 1));
    assert_int_equal(t.n.role, RAFT_ROLE_CANDIDATE);
    assert_int_equal(t.n.term, 1);
    assert_int_equal(t.n.voted_for, 1);
    m = raft_out_msg(&t.out, 0);
    assert_int_equal(m.ok, 0); /* the real RequestVote */
    tn_free(&t);
}

/* A refusal in a higher term makes the pre-candidate a follower there; a stale or repeated
 * pre-vote does not count. */
TEST(test_prevote_refusal_and_stale_answers) {
    tnode t;
    tn_boot_features(&t, 1, 5, 0, 1, 0);
    tn_tick(&t);
    tn_step(&t, prevote_reply(2, 1, 1, 1));
    tn_step(&t, prevote_reply(2, 1, 1, 1));
    assert_int_equal(t.n.role, RAFT_ROLE_FOLLOWER);
    tn_step(&t, prevote_reply(3, 1, 7, 1)); /* granted for another term: not ours */
    assert_int_equal(t.n.role, RAFT_ROLE_FOLLOWER);
    assert_int_equal(t.n.term, 0);
    tn_step(&t, prevote_reply(4, 1, 4, 0));
    assert_int_equal(t.n.term, 4);
    assert_int_equal(t.n.prevoting, 0);
    tn_step(&t, prevote_reply(5, 1, 1, 1)); /* too late */
    assert_int_equal(t.n.role, RAFT_ROLE_FOLLOWER);
    tn_free(&t);
}

/* A voter grants a pre-vote only for a term above its own and an up-to-date log, and changes
 * nothing persistent either way. */
TEST(test_prevote_grant_rules) {
    tnode v;
    tn_boot(&v, 2, 3, 0, 3, RAFT_NODE_NONE, TERMS(1, 3));
    tn_step(&v, prevote_req(1, 2, 4, 2, 3));
    raft_msg r = only_msg(&v.out);
    assert_int_equal(r.ok, 1);
    assert_int_equal(r.log_term, 1);
    assert_int_equal(r.term, 4);
    assert_int_equal(v.n.term, 3);
    assert_int_equal(v.n.voted_for, RAFT_NODE_NONE);
    assert_int_equal(fx_count(&v.out, RAFT_FX_VOTE) + fx_count(&v.out, RAFT_FX_ROLE), 0);
    tn_step(&v, prevote_req(1, 2, 4, 2, 2)); /* log behind */
    assert_int_equal(only_msg(&v.out).ok, 0);
    tn_step(&v, prevote_req(1, 2, 3, 5, 3)); /* no term above ours */
    r = only_msg(&v.out);
    assert_int_equal(r.ok, 0);
    assert_int_equal(r.term, 3);
    tn_step(&v, prevote_req(1, 2, 9, 2, 3)); /* a pre-vote never raises the voter's term */
    assert_int_equal(v.n.term, 3);
    tn_free(&v);
}

/* A voter that heard from a leader within an election timeout refuses pre-votes: the
 * disruptive rejoin (thesis 9.6); once the leader is silent that long, it grants again. */
TEST(test_prevote_refused_while_leader_is_heard) {
    tnode v;
    tn_boot(&v, 2, 3, 0, 1, RAFT_NODE_NONE, TERMS(1));
    tn_step(&v, ae(1, 2, 1, 1, 1, 0, NULL, 0));
    v.now += MIN_US - 1;
    tn_step(&v, prevote_req(3, 2, 2, 1, 1));
    assert_int_equal(only_msg(&v.out).ok, 0);
    v.now += 1;
    tn_step(&v, prevote_req(3, 2, 2, 1, 1));
    assert_int_equal(only_msg(&v.out).ok, 1);
    tn_free(&v);
}

/* A leader refuses pre-votes: it is the leader that is heard. */
TEST(test_prevote_refused_by_leader) {
    tnode l;
    tn_boot_features(&l, 1, 3, 0, 1, 0);
    tn_tick(&l);
    tn_step(&l, prevote_reply(2, 1, 1, 1));
    tn_step(&l, rv_reply(2, 1, 1, 1));
    assert_int_equal(l.n.role, RAFT_ROLE_LEADER);
    l.now += 10 * MAX_US;
    tn_step(&l, prevote_req(3, 1, 2, 9, 1));
    assert_int_equal(only_msg(&l.out).ok, 0);
    assert_int_equal(l.n.role, RAFT_ROLE_LEADER);
    tn_free(&l);
}

/* A leader's AppendEntries ends a pre-vote round. */
TEST(test_prevote_round_ends_on_leader_contact) {
    tnode t;
    tn_boot_features(&t, 1, 3, 0, 1, 0);
    tn_tick(&t);
    tn_step(&t, ae(2, 1, 0, 0, 0, 0, NULL, 0));
    tn_step(&t, prevote_reply(3, 1, 1, 1));
    assert_int_equal(t.n.role, RAFT_ROLE_FOLLOWER);
    assert_int_equal(t.n.term, 0);
    tn_free(&t);
}

/* A candidate whose election fails goes back to a pre-vote round, as a follower of its term. */
TEST(test_prevote_after_failed_election) {
    tnode t;
    tn_boot_features(&t, 1, 3, 0, 1, 0);
    tn_tick(&t);
    tn_step(&t, prevote_reply(2, 1, 1, 1));
    assert_int_equal(t.n.role, RAFT_ROLE_CANDIDATE);
    tn_tick(&t);
    assert_int_equal(t.n.role, RAFT_ROLE_FOLLOWER);
    assert_int_equal(t.n.term, 1);
    assert_int_equal(t.n.voted_for, 1);
    assert_int_equal(raft_out_msg(&t.out, 0).term, 2);
    tn_free(&t);
}

/* RAFT_BUG_PREVOTE_WINS: the won pre-vote round is taken for an election. */
TEST(test_bug_prevote_wins) {
    for (int bug = 0; bug <= 1; bug++) {
        tnode t;
        tn_boot_features(&t, 1, 3, bug ? RAFT_BUG_PREVOTE_WINS : 0, 1, 0);
        tn_tick(&t);
        tn_step(&t, prevote_reply(2, 1, 1, 1));
        assert_int_equal(t.n.role, bug ? RAFT_ROLE_LEADER : RAFT_ROLE_CANDIDATE);
        assert_int_equal(t.n.term, 1);
        tn_free(&t);
    }
}

/* ===== Thesis 6.4: the no-op at the start of a term ====================================== */

#define NOOP_CMD 777u

static void noop_leader(tnode *t, uint32_t bugs) {
    raft_config cfg = cfg_make(bugs);
    cfg.noop = 1;
    cfg.noop_cmd = NOOP_CMD;
    tn_init_cfg(t, 1, 3, &cfg, 0x5eed0001u);
    tn_load(t, 3, RAFT_NODE_NONE, TERMS(1, 2));
    tn_start(t);
    tn_elect(t);
}

/* A new leader appends an entry of its own term before anything else, and sends it. */
TEST(test_noop_appended_on_election) {
    tnode l;
    noop_leader(&l, 0);
    assert_int_equal(l.n.term, 4);
    assert_int_equal(l.n.log_len, 3);
    assert_int_equal(l.n.log[3].term, 4);
    assert_int_equal(l.n.log[3].cmd, NOOP_CMD);
    assert_fx(&l.out, RAFT_FX_APPEND, 3, 3);
    raft_msg m;
    assert_true(msg_to(&l.out, 2, &m));
    assert_int_equal(m.n_entries, 1);
    assert_int_equal(m.entries[0].cmd, NOOP_CMD);
    assert_int_equal(l.n.commit, 0);
    tn_free(&l);
}

/* Once a majority holds the no-op, it commits, and the earlier term's entries with it (5.4.2:
 * indirectly), with no client command. */
TEST(test_noop_commits_earlier_terms) {
    tnode l;
    noop_leader(&l, 0);
    tn_step(&l, ae_reply(2, 1, 4, 1, 3, 0));
    assert_int_equal(l.n.commit, 3);
    assert_fx(&l.out, RAFT_FX_APPLY, 1, 3);
    tn_free(&l);
}

/* RAFT_BUG_NOOP_SELF_COMMIT: the no-op (and all before it) committed with only the leader. */
TEST(test_bug_noop_self_commit) {
    tnode l;
    noop_leader(&l, RAFT_BUG_NOOP_SELF_COMMIT);
    assert_int_equal(l.n.commit, 3);
    tn_free(&l);
}

/* ===== Thesis 3.10: leadership transfer ================================================== */

static raft_msg timeout_now(uint8_t from, uint8_t to, uint64_t term, uint64_t last_index,
                            uint64_t last_term) {
    raft_msg m = {.type = RAFT_MSG_TIMEOUT_NOW,
                  .from = from,
                  .to = to,
                  .term = term,
                  .index = last_index,
                  .log_term = last_term};
    return m;
}

/* Leader 1 of a 3-node cluster, term 2, log [1, 2]; follower 2 matched through 2 (caught up),
 * follower 3 through 1. */
static void transfer_leader(tnode *l, uint32_t bugs) {
    tn_boot(l, 1, 3, bugs, 1, RAFT_NODE_NONE, TERMS(1));
    tn_elect(l);
    assert_int_equal(tn_propose(l, cmd_of(2, 2)), 1);
    tn_step(l, ae_reply(2, 1, 2, 1, 2, 0));
    tn_step(l, ae_reply(3, 1, 2, 1, 1, 0));
    assert_int_equal(l->n.match_index[2], 2);
    assert_int_equal(l->n.match_index[3], 1);
}

/* To a caught-up follower: TimeoutNow at once, carrying the leader's last entry; commands are
 * refused while the transfer runs. */
TEST(test_transfer_to_caught_up_target) {
    tnode l;
    transfer_leader(&l, 0);
    assert_int_equal(raft_node_transfer(&l.n, l.now, 2, &l.out), 1);
    raft_msg m = only_msg(&l.out);
    assert_int_equal(m.type, RAFT_MSG_TIMEOUT_NOW);
    assert_int_equal(m.to, 2);
    assert_int_equal(m.index, 2);
    assert_int_equal(m.log_term, 2);
    assert_int_equal(tn_propose(&l, 99), 0);
    assert_int_equal(l.n.log_len, 2);
    tn_free(&l);
}

/* To a lagging follower: no TimeoutNow while it lacks entries (they are in flight already),
 * and one as soon as it matches the leader's log. */
TEST(test_transfer_waits_for_target_log) {
    tnode l;
    transfer_leader(&l, 0);
    raft_out_clear(&l.out);
    assert_int_equal(raft_node_transfer(&l.n, l.now, 3, &l.out), 1);
    assert_int_equal(l.out.n_msgs, 0);
    tn_step(&l, ae_reply(3, 1, 2, 1, 1, 0)); /* a stale answer: still behind */
    assert_int_equal(l.out.n_msgs, 0);
    tn_step(&l, ae_reply(3, 1, 2, 1, 2, 0));
    raft_msg m = only_msg(&l.out);
    assert_int_equal(m.type, RAFT_MSG_TIMEOUT_NOW);
    assert_int_equal(m.to, 3);
    tn_step(&l, ae_reply(3, 1, 2, 1, 2, 0)); /* sent once */
    assert_int_equal(l.out.n_msgs, 0);
    tn_free(&l);
}

/* A leader that is not one, or a transfer to itself or to no node, is refused. */
TEST(test_transfer_refused) {
    tnode l;
    transfer_leader(&l, 0);
    raft_out_clear(&l.out);
    assert_int_equal(raft_node_transfer(&l.n, l.now, 1, &l.out), 0);
    assert_int_equal(raft_node_transfer(&l.n, l.now, 4, &l.out), 0);
    assert_int_equal(l.out.n_fx, 0);
    tnode f;
    tn_boot(&f, 2, 3, 0, 1, RAFT_NODE_NONE, TERMS(1));
    assert_int_equal(raft_node_transfer(&f.n, f.now, 3, &f.out), 0);
    tn_free(&f);
    tn_free(&l);
}

/* Not done within an election timeout: given up at the next heartbeat; commands are taken
 * again. */
TEST(test_transfer_given_up) {
    tnode l;
    transfer_leader(&l, 0);
    assert_int_equal(raft_node_transfer(&l.n, l.now, 3, &l.out), 1);
    uint64_t until = l.now + MIN_US;
    while (l.now < until) tn_tick(&l);
    tn_tick(&l);
    assert_int_equal(l.n.role, RAFT_ROLE_LEADER);
    assert_int_equal(tn_propose(&l, 99), 1);
    tn_free(&l);
}

/* The target stands for election at once, with no pre-vote round: the leader asked. A
 * TimeoutNow of an older term is ignored. */
TEST(test_timeout_now_starts_election) {
    tnode f;
    tn_boot_features(&f, 2, 3, 0, 1, 0);
    tn_step(&f, ae(1, 2, 0, 0, 0, 0, NULL, 0));
    tn_step(&f, timeout_now(1, 2, 0, 0, 0));
    assert_int_equal(f.n.role, RAFT_ROLE_CANDIDATE);
    assert_int_equal(f.n.term, 1);
    raft_msg m = raft_out_msg(&f.out, 0);
    assert_int_equal(m.type, RAFT_MSG_REQUEST_VOTE);
    assert_int_equal(m.ok, 0);
    tnode g;
    tn_boot(&g, 3, 3, 0, 5, RAFT_NODE_NONE, NULL, 0);
    tn_step(&g, timeout_now(1, 3, 4, 0, 0));
    assert_int_equal(g.n.role, RAFT_ROLE_FOLLOWER);
    assert_int_equal(g.n.term, 5);
    tn_free(&g);
    tn_free(&f);
}

/* RAFT_BUG_TRANSFER_HANDOFF: TimeoutNow to a lagging target at once, and the target leads the
 * next term without an election. */
TEST(test_bug_transfer_handoff) {
    tnode l;
    transfer_leader(&l, RAFT_BUG_TRANSFER_HANDOFF);
    raft_out_clear(&l.out);
    assert_int_equal(raft_node_transfer(&l.n, l.now, 3, &l.out), 1);
    raft_msg m;
    assert_true(msg_to(&l.out, 3, &m));
    assert_int_equal(m.type, RAFT_MSG_TIMEOUT_NOW);
    tnode f;
    tn_boot(&f, 3, 3, RAFT_BUG_TRANSFER_HANDOFF, 2, RAFT_NODE_NONE, TERMS(1));
    tn_step(&f, timeout_now(1, 3, 2, 2, 2));
    assert_int_equal(f.n.role, RAFT_ROLE_LEADER);
    assert_int_equal(f.n.term, 3);
    tn_free(&f);
    tn_free(&l);
}

/* ===== Thesis 6.4: ReadIndex reads ======================================================= */

/* Leader 1 of 3 in term 2 that has committed its no-op (index 2). */
static void read_leader(tnode *l, uint32_t bugs) {
    raft_config cfg = cfg_make(bugs);
    cfg.noop = 1;
    cfg.noop_cmd = NOOP_CMD;
    tn_init_cfg(l, 1, 3, &cfg, 0x5eed0001u);
    tn_load(l, 1, RAFT_NODE_NONE, TERMS(1));
    tn_start(l);
    tn_elect(l);
    tn_step(l, ae_reply(2, 1, 2, 1, 2, 0));
    assert_int_equal(l->n.commit, 2);
}

static raft_msg ae_reply_round(uint8_t from, uint64_t term, uint64_t index, uint32_t round) {
    raft_msg m = ae_reply(from, 1, term, 1, index, 0);
    m.round = round;
    return m;
}

/* The read takes the commit index, starts a heartbeat round (every AppendEntries carries it),
 * and is answered once a majority answered that round. */
TEST(test_read_index_waits_for_round) {
    tnode l;
    read_leader(&l, 0);
    raft_out_clear(&l.out);
    assert_int_equal(raft_node_read(&l.n, l.now, 42, &l.out), 1);
    assert_int_equal(fx_count(&l.out, RAFT_FX_READ), 0);
    assert_int_equal(l.out.n_msgs, 2);
    uint32_t round = raft_out_msg(&l.out, 0).round;
    assert_true(round > 0);
    tn_step(&l, ae_reply_round(2, 2, 2, round - 1)); /* an older round proves nothing */
    assert_int_equal(fx_count(&l.out, RAFT_FX_READ), 0);
    tn_step(&l, ae_reply_round(3, 2, 2, round));
    assert_fx(&l.out, RAFT_FX_READ, 42, 2);
    tn_step(&l, ae_reply_round(2, 2, 2, round)); /* answered once */
    assert_int_equal(fx_count(&l.out, RAFT_FX_READ), 0);
    tn_free(&l);
}

/* Followers, and a leader that has committed nothing of its term, refuse reads. */
TEST(test_read_index_refused) {
    tnode f;
    tn_boot(&f, 2, 3, 0, 1, RAFT_NODE_NONE, TERMS(1));
    assert_int_equal(raft_node_read(&f.n, f.now, 1, &f.out), 0);
    tn_free(&f);
    tnode l;
    tn_boot(&l, 1, 3, 0, 1, RAFT_NODE_NONE, TERMS(1));
    tn_elect(&l);
    raft_out_clear(&l.out);
    assert_int_equal(raft_node_read(&l.n, l.now, 1, &l.out), 0);
    assert_int_equal(l.out.n_fx, 0);
    tn_free(&l);
}

/* A leader that steps down drops its reads unanswered. */
TEST(test_read_index_dropped_on_stepdown) {
    tnode l;
    read_leader(&l, 0);
    assert_int_equal(raft_node_read(&l.n, l.now, 7, &l.out), 1);
    uint32_t round = l.n.round;
    tn_step(&l, ae_reply(2, 1, 9, 0, 0, 0));
    assert_int_equal(l.n.role, RAFT_ROLE_FOLLOWER);
    tn_step(&l, ae_reply_round(3, 9, 2, round));
    assert_int_equal(fx_count(&l.out, RAFT_FX_READ), 0);
    assert_int_equal(l.n.n_reads, 0);
    tn_free(&l);
}

/* RAFT_BUG_READ_INDEX_NO_ROUND: answered at once, with no round. */
TEST(test_bug_read_index_no_round) {
    tnode l;
    read_leader(&l, RAFT_BUG_READ_INDEX_NO_ROUND);
    raft_out_clear(&l.out);
    assert_int_equal(raft_node_read(&l.n, l.now, 5, &l.out), 1);
    assert_fx(&l.out, RAFT_FX_READ, 5, 2);
    tn_free(&l);
}

/* ===== Thesis 6.2: check-quorum ========================================================== */

static void cq_leader(tnode *l, int check_quorum) {
    tn_boot_features(l, 1, 5, 0, 0, check_quorum);
    tn_elect(l);
}

/* A leader that heard from no majority within an election timeout steps down (same term);
 * without check-quorum it stays leader. */
TEST(test_check_quorum_steps_down_without_majority) {
    for (int cq = 0; cq <= 1; cq++) {
        tnode l;
        cq_leader(&l, cq);
        uint64_t term = l.n.term;
        tn_step(&l, ae_reply(2, 1, term, 1, 0, 0)); /* one peer: 2 of 5 with itself */
        uint64_t until = l.now + 3 * MIN_US;
        while (l.now < until && l.n.role == RAFT_ROLE_LEADER) tn_tick(&l);
        assert_int_equal(l.n.role, cq ? RAFT_ROLE_FOLLOWER : RAFT_ROLE_LEADER);
        assert_int_equal(l.n.term, term);
        tn_free(&l);
    }
}

/* Answers from a majority within each election timeout keep it leader; its count starts over
 * every timeout, so old answers do not carry it. */
TEST(test_check_quorum_majority_keeps_leader) {
    tnode l;
    cq_leader(&l, 1);
    uint64_t term = l.n.term;
    for (int round = 0; round < 4; round++) {
        tn_step(&l, ae_reply(2, 1, term, 1, 0, 0));
        tn_step(&l, ae_reply(3, 1, term, 1, 0, 0));
        uint64_t next = l.n.quorum_deadline_us;
        while (l.now < next) tn_tick(&l);
        assert_int_equal(l.n.role, RAFT_ROLE_LEADER);
    }
    uint64_t next = l.n.quorum_deadline_us;
    while (l.now < next && l.n.role == RAFT_ROLE_LEADER) tn_tick(&l);
    assert_int_equal(l.n.role, RAFT_ROLE_FOLLOWER);
    tn_free(&l);
}

/* Its timer fires for the count as well as for heartbeats; a count alone sends nothing. */
TEST(test_check_quorum_deadline) {
    tnode l;
    cq_leader(&l, 1);
    assert_true(raft_deadline(&l.n) <= l.n.heartbeat_deadline_us);
    tn_step(&l, ae_reply(2, 1, l.n.term, 1, 0, 0));
    tn_step(&l, ae_reply(3, 1, l.n.term, 1, 0, 0));
    l.n.heartbeat_deadline_us = l.n.quorum_deadline_us + 1; /* a count due alone */
    tn_tick(&l);
    assert_int_equal(l.n.role, RAFT_ROLE_LEADER);
    assert_int_equal(l.out.n_msgs, 0);
    tn_free(&l);
}

/* With no trigger present, every bug bit (alone or all together) produces exactly the same
 * effects and messages as correct Raft. */
TEST(test_bugs_change_nothing_else) {
    uint64_t want = run_two_leaders(0);
    static const uint32_t bits[] = {RAFT_BUG_VOTE_IGNORES_LOG, RAFT_BUG_COMMIT_OLD_TERM,
                                    RAFT_BUG_FORGET_VOTE,      RAFT_BUG_TRUNCATE_ON_MATCH,
                                    RAFT_BUG_NO_STEPDOWN,      RAFT_BUG_PREVOTE_WINS,
                                    RAFT_BUG_NOOP_SELF_COMMIT, RAFT_BUG_TRANSFER_HANDOFF,
                                    RAFT_BUG_READ_INDEX_NO_ROUND, 0x1ff};
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
        if (run_two_leaders(bits[i]) != want) fail_msg("bugs 0x%x change the trace", bits[i]);
}

/* ---- snapshots and log compaction (paper section 7, Figure 13) ---------------------------- */

static void tn_init_snap(tnode *t, uint8_t id, uint8_t n_nodes, uint32_t bugs, uint32_t every,
                         uint32_t trailing) {
    raft_config cfg = cfg_make(bugs);
    cfg.snapshot_every = every;
    cfg.snapshot_trailing = trailing;
    tn_init_cfg(t, id, n_nodes, &cfg, 0x5eed0000u + id);
}

static raft_msg install(uint8_t from, uint8_t to, uint64_t term, uint64_t index,
                        uint64_t last_term, uint64_t id) {
    raft_msg m = {.type = RAFT_MSG_INSTALL_SNAPSHOT,
                  .from = from,
                  .to = to,
                  .term = term,
                  .index = index,
                  .log_term = last_term,
                  .snap_id = id};
    return m;
}

/* A follower (node 2 of 3) with this persisted state, snapshots every `every` entries. */
static void tn_boot_snap(tnode *t, uint32_t bugs, uint32_t every, uint64_t term,
                         const uint64_t *terms, size_t k) {
    tn_init_snap(t, 2, 3, bugs, every, 0);
    tn_load(t, term, RAFT_NODE_NONE, terms, k);
    tn_start(t);
}

static void assert_snap(const tnode *t, uint64_t index, uint64_t term, uint64_t id) {
    assert_int_equal(t->n.snap.index, index);
    assert_int_equal(t->n.snap.term, term);
    assert_int_equal(t->n.snap.id, id);
}

TEST(test_snapshot_taken_every_n_applied) {
    tnode t;
    tn_init_snap(&t, 1, 1, 0, 5, 2);
    raft_give_snapshot_id(&t.n, 7);
    tn_start(&t);
    tn_tick(&t); /* a one-node cluster elects itself and commits at once */
    assert_int_equal(t.n.role, RAFT_ROLE_LEADER);
    for (uint32_t c = 1; c <= 4; c++) assert_true(tn_propose(&t, 100 + c));
    assert_int_equal(t.n.snap.index, 0);
    assert_true(tn_propose(&t, 105));
    assert_fx(&t.out, RAFT_FX_SNAP_TAKE, 5, 7);
    assert_true(fx_pos(&t.out, RAFT_FX_APPLY, 0) < fx_pos(&t.out, RAFT_FX_SNAP_TAKE, 0));
    assert_snap(&t, 5, 1, 7);
    assert_int_equal(t.n.snap_id_next, 0);
    assert_int_equal(t.n.log_off, 0); /* the caller still reads the entries applied */
    /* No id handed in: the next snapshot waits for one. */
    for (uint32_t c = 6; c <= 10; c++) {
        assert_true(tn_propose(&t, 100 + c));
        assert_int_equal(fx_count(&t.out, RAFT_FX_SNAP_TAKE), 0);
    }
    assert_int_equal(t.n.log_off, 3); /* compacted at the next call, 2 entries kept behind */
    assert_int_equal(raft_entry_at(&t.n, 4)->cmd, 104);
    assert_int_equal(raft_entry_at(&t.n, 10)->cmd, 110);
    raft_give_snapshot_id(&t.n, 8);
    assert_true(tn_propose(&t, 111));
    assert_fx(&t.out, RAFT_FX_SNAP_TAKE, 11, 8);
    assert_true(tn_propose(&t, 112));
    assert_int_equal(t.n.log_off, 9);
    assert_int_equal(t.n.log_len, 12);
    assert_int_equal(raft_entry_at(&t.n, 10)->cmd, 110);
    assert_int_equal(raft_entry_at(&t.n, 12)->cmd, 112);
    tn_free(&t);
}

TEST(test_snapshot_compaction_bounds_the_log) {
    tnode t;
    tn_init_snap(&t, 1, 1, 0, 10, 0);
    tn_start(&t);
    tn_tick(&t);
    size_t takes = 0;
    for (uint32_t c = 1; c <= 10000; c++) {
        if (t.n.snap_id_next == 0) raft_give_snapshot_id(&t.n, c);
        assert_true(tn_propose(&t, c));
        takes += fx_count(&t.out, RAFT_FX_SNAP_TAKE);
    }
    assert_int_equal(takes, 1000);
    assert_int_equal(t.n.log_len, 10000);
    assert_true(t.n.log_off >= 9990);
    assert_true(t.n.log_cap <= 64); /* memory follows what is kept, not the run */
    assert_int_equal(t.n.commit, 10000);
    tn_free(&t);
}

TEST(test_leader_sends_snapshot_when_entries_are_compacted) {
    tnode l;
    tn_init_snap(&l, 1, 3, 0, 4, 0);
    raft_give_snapshot_id(&l.n, 50);
    tn_start(&l);
    tn_elect(&l);
    uint64_t term = l.n.term;
    for (uint32_t c = 1; c <= 4; c++) assert_true(tn_propose(&l, c));
    tn_step(&l, ae_reply(2, 1, term, 1, 4, 0)); /* a majority: committed, applied, snapshot */
    assert_fx(&l.out, RAFT_FX_SNAP_TAKE, 4, 50);
    /* Node 3 lacks everything: the entries it needs are gone, so it gets the snapshot. */
    tn_step(&l, ae_reply(3, 1, term, 0, 1, 0));
    assert_int_equal(l.n.log_off, 4);
    raft_msg m = only_msg(&l.out);
    assert_int_equal(m.type, RAFT_MSG_INSTALL_SNAPSHOT);
    assert_int_equal(m.to, 3);
    assert_int_equal(m.index, 4);
    assert_int_equal(m.log_term, term);
    assert_int_equal(m.snap_id, 50);
    /* The snapshot's configuration comes with it: the three voters, as entries. */
    assert_int_equal(m.n_entries, 3);
    for (uint32_t k = 0; k < 3; k++) {
        assert_int_equal(m.entries[k].conf_op, RAFT_CONF_PROMOTE);
        assert_int_equal(m.entries[k].conf_node, k + 1);
    }
    assert_int_equal(l.n.next_index[3], 1); /* until the reply */
    /* The heartbeat sends it again while no reply came. */
    tn_tick(&l);
    raft_msg h;
    assert_true(msg_to(&l.out, 3, &h));
    assert_int_equal(h.type, RAFT_MSG_INSTALL_SNAPSHOT);
    assert_true(msg_to(&l.out, 2, &h));
    assert_int_equal(h.type, RAFT_MSG_APPEND_ENTRIES);
    /* A conflict hint inside the compacted part sends the snapshot too. */
    tn_step(&l, ae_reply(3, 1, term, 0, 2, 1));
    m = only_msg(&l.out);
    assert_int_equal(m.type, RAFT_MSG_INSTALL_SNAPSHOT);
    /* Installed: replication goes on after the snapshot. */
    tn_step(&l, ae_reply(3, 1, term, 1, 4, 0));
    assert_int_equal(l.n.match_index[3], 4);
    assert_int_equal(l.n.next_index[3], 5);
    assert_true(tn_propose(&l, 5));
    assert_true(msg_to(&l.out, 3, &h));
    assert_int_equal(h.type, RAFT_MSG_APPEND_ENTRIES);
    assert_int_equal(h.index, 4);
    assert_int_equal(h.log_term, term); /* the term of the compacted entry is kept */
    assert_int_equal(h.n_entries, 1);
    tn_free(&l);
}

/* Figure 13 step 7: a log that does not hold the snapshot's last entry is discarded whole. */
TEST(test_install_snapshot_replaces_the_log) {
    tnode t;
    tn_boot_snap(&t, 0, 5, 2, TERMS(1, 1, 2));
    tn_step(&t, install(1, 2, 3, 5, 3, 42));
    assert_true(fx_pos(&t.out, RAFT_FX_SNAP_INSTALL, 0) < fx_pos(&t.out, RAFT_FX_SNAP_RESTORE, 0));
    assert_true(fx_pos(&t.out, RAFT_FX_SNAP_RESTORE, 0) < fx_pos(&t.out, RAFT_FX_COMMIT, 0));
    assert_fx(&t.out, RAFT_FX_SNAP_INSTALL, 5, 42);
    assert_fx(&t.out, RAFT_FX_SNAP_RESTORE, 42, 0);
    assert_fx(&t.out, RAFT_FX_COMMIT, 5, 0);
    assert_int_equal(fx_count(&t.out, RAFT_FX_APPLY), 0);
    assert_int_equal(fx_count(&t.out, RAFT_FX_TRUNCATE), 0);
    raft_msg r = only_msg(&t.out);
    assert_int_equal(r.type, RAFT_MSG_APPEND_ENTRIES_REPLY);
    assert_int_equal(r.ok, 1);
    assert_int_equal(r.index, 5);
    assert_int_equal(r.term, 3);
    assert_snap(&t, 5, 3, 42);
    assert_int_equal(t.n.log_off, 5);
    assert_int_equal(t.n.log_len, 5);
    assert_int_equal(t.n.commit, 5);
    assert_int_equal(t.n.applied, 5);
    assert_int_equal(raft_last_term(&t.n), 3);
    assert_int_equal(t.n.leader_hint, 1);
    /* Replication continues after the snapshot. */
    ebuf e = mk_entries(6, TERMS(3));
    tn_step(&t, ae(1, 2, 3, 5, 3, 6, e.e, e.n));
    assert_fx(&t.out, RAFT_FX_APPEND, 6, 6);
    assert_fx(&t.out, RAFT_FX_APPLY, 6, 6);
    r = only_msg(&t.out);
    assert_int_equal(r.ok, 1);
    assert_int_equal(r.index, 6);
    /* An up-to-date check against the snapshot's term: a shorter log of that term loses. */
    tn_step(&t, rv(3, 2, 4, 5, 3));
    r = only_msg(&t.out);
    assert_int_equal(r.ok, 0);
    tn_free(&t);
}

/* Figure 13 step 6: the log holds the snapshot's last entry with its term: the entries after it
 * stay, and those through it are committed (applied one by one, no state machine reset). */
TEST(test_install_snapshot_keeps_matching_suffix) {
    tnode t;
    tn_boot_snap(&t, 0, 0, 2, TERMS(1, 1, 1, 2, 2));
    tn_step(&t, install(1, 2, 2, 3, 1, 9));
    assert_int_equal(fx_count(&t.out, RAFT_FX_SNAP_INSTALL), 0);
    assert_int_equal(fx_count(&t.out, RAFT_FX_SNAP_RESTORE), 0);
    assert_fx(&t.out, RAFT_FX_COMMIT, 3, 0);
    assert_fx(&t.out, RAFT_FX_APPLY, 1, 3);
    raft_msg r = only_msg(&t.out);
    assert_int_equal(r.ok, 1);
    assert_int_equal(r.index, 3);
    assert_log(&t, TERMS(1, 1, 1, 2, 2));
    assert_int_equal(t.n.commit, 3);
    /* The same index with another term is a conflict: the log goes. */
    tnode u;
    tn_boot_snap(&u, 0, 0, 2, TERMS(1, 1, 1, 2, 2));
    tn_step(&u, install(1, 2, 2, 4, 1, 9));
    assert_fx(&u.out, RAFT_FX_SNAP_INSTALL, 4, 9);
    assert_int_equal(u.n.log_len, 4);
    tn_free(&t);
    tn_free(&u);
}

/* A snapshot older than what the node has committed is ignored (it would drop committed
 * entries), and one from an older term is refused. */
TEST(test_install_snapshot_older_or_stale_ignored) {
    tnode t;
    tn_boot_snap(&t, 0, 0, 1, TERMS(1, 1, 1, 1, 1, 1));
    tn_step(&t, ae(1, 2, 1, 6, 1, 6, NULL, 0));
    assert_int_equal(t.n.commit, 6);
    tn_step(&t, install(1, 2, 1, 4, 1, 3));
    assert_int_equal(t.out.n_fx, 1); /* the reply alone */
    raft_msg r = only_msg(&t.out);
    assert_int_equal(r.type, RAFT_MSG_APPEND_ENTRIES_REPLY);
    assert_int_equal(r.ok, 1);
    assert_int_equal(r.index, 4);
    assert_log(&t, TERMS(1, 1, 1, 1, 1, 1));
    assert_int_equal(t.n.snap.index, 0);
    /* A snapshot from a leader of an older term. */
    tn_step(&t, rv(3, 2, 5, 6, 1)); /* term 5 */
    tn_step(&t, install(1, 2, 4, 9, 4, 3));
    assert_int_equal(t.out.n_fx, 1);
    r = only_msg(&t.out);
    assert_int_equal(r.ok, 0);
    assert_int_equal(r.term, 5);
    assert_int_equal(t.n.log_len, 6);
    tn_free(&t);
}

/* The injected bug: the older snapshot is installed over the committed entries. */
TEST(test_bug_install_old_snapshot) {
    tnode t;
    tn_boot_snap(&t, RAFT_BUG_INSTALL_OLD_SNAPSHOT, 0, 1, TERMS(1, 1, 1, 1, 1, 1));
    tn_step(&t, ae(1, 2, 1, 6, 1, 6, NULL, 0));
    tn_step(&t, install(1, 2, 1, 4, 1, 3));
    assert_fx(&t.out, RAFT_FX_SNAP_INSTALL, 4, 3);
    assert_int_equal(t.n.log_len, 4);
    assert_int_equal(t.n.commit, 4);
    tn_free(&t);
}

/* A restart from a durable snapshot: the log follows it, the state machine starts from it. */
TEST(test_restart_from_snapshot) {
    tnode t;
    tn_init_snap(&t, 2, 3, 0, 5, 0);
    raft_load_snapshot(&t.n, &(raft_snapshot_meta){.index = 10, .term = 2, .id = 33});
    raft_entry es[2] = {{.term = 3, .cmd = cmd_of(11, 3)}, {.term = 3, .cmd = cmd_of(12, 3)}};
    raft_load(&t.n, 3, RAFT_NODE_NONE, es, 2);
    assert_int_equal(t.n.log_off, 10);
    assert_int_equal(t.n.log_len, 12);
    tn_start(&t);
    assert_fx(&t.out, RAFT_FX_SNAP_RESTORE, 33, 0);
    assert_fx(&t.out, RAFT_FX_COMMIT, 10, 0);
    assert_int_equal(t.n.commit, 10);
    assert_int_equal(t.n.applied, 10);
    assert_int_equal(raft_last_term(&t.n), 3);
    /* Commits after the snapshot apply from its index on. */
    tn_step(&t, ae(1, 2, 3, 12, 3, 12, NULL, 0));
    assert_fx(&t.out, RAFT_FX_APPLY, 11, 12);
    /* An AppendEntries from inside the snapshot: the compacted part is taken as matching. */
    ebuf e = mk_entries(9, TERMS(2, 2, 3, 3, 3));
    tn_step(&t, ae(1, 2, 3, 8, 2, 12, e.e, e.n));
    assert_fx(&t.out, RAFT_FX_APPEND, 13, 13);
    raft_msg r = only_msg(&t.out);
    assert_int_equal(r.ok, 1);
    assert_int_equal(r.index, 13);
    /* One wholly inside it changes nothing and succeeds. */
    e = mk_entries(3, TERMS(1, 1));
    tn_step(&t, ae(1, 2, 3, 2, 1, 12, e.e, e.n));
    r = only_msg(&t.out);
    assert_int_equal(r.ok, 1);
    assert_int_equal(r.index, 10);
    assert_int_equal(t.n.log_len, 13);
    /* Without a snapshot (index 0) the log starts at 1 again. */
    raft_load_snapshot(&t.n, &(raft_snapshot_meta){0});
    tn_load(&t, 3, RAFT_NODE_NONE, TERMS(1, 1));
    tn_start(&t);
    assert_int_equal(fx_count(&t.out, RAFT_FX_SNAP_RESTORE), 0);
    assert_int_equal(t.n.commit, 0);
    assert_log(&t, TERMS(1, 1));
    tn_free(&t);
}

/* ---- membership change, one server at a time (thesis 4.1-4.3) ----------------------------- */

/* A leader of ids 1..4 where 1..3 start as voters (4 a spare), that has committed an entry of
 * its own term (its first change waits for one). */
static void members_leader(tnode *l, uint32_t bugs) {
    raft_config cfg = cfg_make(bugs);
    cfg.voters0 = 3;
    tn_init_cfg(l, 1, 4, &cfg, 0x5eed0001u);
    tn_start(l);
    assert_int_equal(l->n.n_voters, 3);
    assert_int_equal(l->n.member[4], 0);
    tn_elect(l);
    assert_int_equal(msgs_to(&l->out, 4), 0); /* a spare is not in the configuration */
    assert_int_equal(tn_propose(l, 7), 1);
    tn_step(l, ae_reply(2, 1, l->n.term, 1, 1, 0));
    assert_int_equal(l->n.commit, 1);
}

static int change(tnode *t, raft_conf_op op, uint8_t node) {
    snap b = snap_of(t);
    raft_out_clear(&t->out);
    int r = raft_node_change(&t->n, t->now, op, node, &t->out);
    check_call(t, &b);
    return r;
}

/* Thesis 4.2.1: the new server joins as a learner (replicated to, not counted), one change at a
 * time; once it has caught up the leader promotes it, and from then on majorities are 3 of 4. */
TEST(test_members_add_learner_then_promote) {
    tnode l;
    members_leader(&l, 0);
    uint64_t term = l.n.term;
    assert_int_equal(change(&l, RAFT_CONF_ADD_LEARNER, 4), 1);
    assert_int_equal(l.n.log_len, 2);
    assert_int_equal(l.n.log[2].kind, RAFT_ENTRY_CONFIG);
    assert_int_equal(l.n.log[2].conf_op, RAFT_CONF_ADD_LEARNER);
    assert_int_equal(l.n.member[4], 1); /* in force once appended, before it commits */
    assert_int_equal(l.n.n_voters, 3);
    raft_msg m;
    assert_true(msg_to(&l.out, 4, &m)); /* the learner is replicated to */
    assert_int_equal(change(&l, RAFT_CONF_REMOVE, 3), 0); /* one change in flight already */
    assert_int_equal(l.out.n_fx, 0);
    tn_step(&l, ae_reply(4, 1, term, 1, 2, 0)); /* a learner's copy does not count */
    assert_int_equal(l.n.commit, 1);
    tn_step(&l, ae_reply(2, 1, term, 1, 2, 0));
    assert_int_equal(l.n.commit, 2);
    tn_step(&l, ae_reply(4, 1, term, 1, 2, 0)); /* caught up: promoted */
    assert_int_equal(l.n.log_len, 3);
    assert_int_equal(l.n.log[3].conf_op, RAFT_CONF_PROMOTE);
    assert_int_equal(l.n.log[3].conf_node, 4);
    assert_int_equal(l.n.n_voters, 4);
    assert_int_equal(l.n.member[4], 2);
    tn_step(&l, ae_reply(2, 1, term, 1, 3, 0)); /* 2 of 4: no majority any more */
    assert_int_equal(l.n.commit, 2);
    tn_step(&l, ae_reply(4, 1, term, 1, 3, 0));
    assert_int_equal(l.n.commit, 3);
    raft_conf c;
    assert_int_equal(raft_conf_at(&l.n, 1, &c), 0);
    assert_false(raft_conf_is_learner(&c, 4) || raft_conf_is_voter(&c, 4));
    assert_int_equal(raft_conf_at(&l.n, 2, &c), 2);
    assert_true(raft_conf_is_learner(&c, 4));
    assert_int_equal(raft_conf_at(&l.n, 3, &c), 3);
    assert_true(raft_conf_is_voter(&c, 4));
    tn_free(&l);
}

/* A leader's first change waits for an entry of its own term to commit (the 2015 fix); adding a
 * member, removing a stranger, or removing the last voter is refused. */
TEST(test_members_change_refused) {
    tnode l;
    raft_config cfg = cfg_make(0);
    cfg.voters0 = 3;
    tn_init_cfg(&l, 1, 4, &cfg, 7);
    tn_start(&l);
    tn_elect(&l);
    assert_int_equal(change(&l, RAFT_CONF_ADD_LEARNER, 4), 0);
    assert_int_equal(tn_propose(&l, 7), 1);
    tn_step(&l, ae_reply(2, 1, l.n.term, 1, 1, 0));
    assert_int_equal(change(&l, RAFT_CONF_ADD_LEARNER, 2), 0);
    assert_int_equal(change(&l, RAFT_CONF_REMOVE, 4), 0);
    assert_int_equal(change(&l, RAFT_CONF_PROMOTE, 4), 0);
    tn_free(&l);
    tnode one;
    tn_init(&one, 1, 1, 0);
    tn_start(&one);
    tn_tick(&one);
    assert_int_equal(one.n.role, RAFT_ROLE_LEADER);
    assert_int_equal(tn_propose(&one, 7), 1);
    assert_int_equal(change(&one, RAFT_CONF_REMOVE, 1), 0);
    tn_free(&one);
}

/* A configuration takes effect when appended, on a follower too, and reverts when its entry
 * is deleted. */
TEST(test_members_conf_reverts_on_truncate) {
    tnode f;
    raft_config cfg = cfg_make(0);
    cfg.voters0 = 3;
    tn_init_cfg(&f, 2, 4, &cfg, 9);
    tn_start(&f);
    raft_entry e[2] = {{.term = 1, .cmd = 1},
                       {.term = 1, .kind = RAFT_ENTRY_CONFIG, .conf_op = RAFT_CONF_ADD_LEARNER,
                        .conf_node = 4}};
    tn_step(&f, ae(1, 2, 1, 0, 0, 0, e, 2));
    assert_int_equal(f.n.log_len, 2);
    assert_int_equal(f.n.member[4], 1);
    raft_entry x = {.term = 2, .cmd = 5};
    tn_step(&f, ae(3, 2, 2, 1, 1, 0, &x, 1));
    assert_fx(&f.out, RAFT_FX_TRUNCATE, 2, 0);
    assert_int_equal(f.n.member[4], 0);
    assert_int_equal(f.n.n_voters, 3);
    assert_int_equal(f.n.n_confs, 0);
    tn_free(&f);
}

/* Thesis 4.2.2: a leader that removes itself goes on leading without counting itself, steps
 * down once the removal is committed, and then never stands for election. */
TEST(test_members_removed_leader_steps_down) {
    tnode l;
    members_leader(&l, 0);
    uint64_t term = l.n.term;
    assert_int_equal(change(&l, RAFT_CONF_REMOVE, 1), 1);
    assert_int_equal(l.n.member[1], 0);
    assert_int_equal(l.n.role, RAFT_ROLE_LEADER);
    tn_step(&l, ae_reply(2, 1, term, 1, 2, 0)); /* 1 of {2, 3}: itself no longer counts */
    assert_int_equal(l.n.commit, 1);
    assert_int_equal(l.n.role, RAFT_ROLE_LEADER);
    tn_step(&l, ae_reply(3, 1, term, 1, 2, 0));
    assert_int_equal(l.n.commit, 2);
    assert_int_equal(l.n.role, RAFT_ROLE_FOLLOWER);
    assert_fx(&l.out, RAFT_FX_ROLE, term, RAFT_ROLE_FOLLOWER);
    for (int i = 0; i < 3; i++) {
        tn_tick(&l);
        assert_int_equal(l.n.role, RAFT_ROLE_FOLLOWER);
        assert_int_equal(l.n.term, term);
        assert_int_equal(l.out.n_msgs, 0);
    }
    tn_free(&l);
}

/* Thesis 4.2.2: a node removed by an entry not yet known committed still stands for election
 * (the cluster may need it to commit the removal), without counting its own vote. */
TEST(test_members_removed_uncommitted_still_stands) {
    tnode l;
    members_leader(&l, 0);
    uint64_t term = l.n.term;
    assert_int_equal(change(&l, RAFT_CONF_REMOVE, 1), 1);
    tn_step(&l, ae_reply(2, 1, term + 1, 0, 0, 0)); /* deposed before the removal commits */
    assert_int_equal(l.n.role, RAFT_ROLE_FOLLOWER);
    tn_tick(&l);
    assert_int_equal(l.n.role, RAFT_ROLE_CANDIDATE);
    assert_int_equal(l.n.votes, 0); /* its own vote does not count */
    assert_int_equal(msgs_to(&l.out, 2) + msgs_to(&l.out, 3), 2);
    tn_step(&l, rv_reply(2, 1, l.n.term, 1));
    assert_int_equal(l.n.role, RAFT_ROLE_CANDIDATE); /* 1 of {2, 3} */
    tn_step(&l, rv_reply(3, 1, l.n.term, 1));
    assert_int_equal(l.n.role, RAFT_ROLE_LEADER);
    tn_free(&l);
}

/* Thesis 4.2.3, with the disruption guard: a RequestVote within the minimum election timeout of
 * hearing from the leader, or to the leader, is ignored (no term taken, no vote, no answer);
 * later it is handled as usual. */
TEST(test_members_disruption_guard) {
    tnode f;
    raft_config cfg = cfg_make(0);
    cfg.disruption_guard = 1;
    tn_init_cfg(&f, 2, 3, &cfg, 21);
    tn_start(&f);
    tn_step(&f, ae(1, 2, 1, 0, 0, 0, NULL, 0));
    tn_step(&f, rv(3, 2, 5, 0, 0));
    assert_int_equal(f.n.term, 1);
    assert_int_equal(f.out.n_fx, 0);
    f.now += MIN_US;
    tn_step(&f, rv(3, 2, 5, 0, 0));
    assert_int_equal(f.n.term, 5);
    assert_fx(&f.out, RAFT_FX_VOTE, 5, 3);
    tn_free(&f);
    tnode l;
    members_leader(&l, 0);
    l.n.cfg.disruption_guard = 1;
    uint64_t term = l.n.term;
    tn_step(&l, rv(4, 1, term + 3, 0, 0));
    assert_int_equal(l.n.role, RAFT_ROLE_LEADER);
    assert_int_equal(l.n.term, term);
    tn_free(&l);
}

/* Votes count over the voters of the candidate's configuration: a learner's does not, and a
 * node that is not a voter never stands. */
TEST(test_members_votes_over_conf) {
    tnode c;
    raft_config cfg = cfg_make(0);
    cfg.voters0 = 3;
    tn_init_cfg(&c, 1, 4, &cfg, 11);
    raft_entry e = {.term = 1, .kind = RAFT_ENTRY_CONFIG, .conf_op = RAFT_CONF_ADD_LEARNER,
                    .conf_node = 4};
    raft_load(&c.n, 1, 0, &e, 1);
    tn_start(&c);
    tn_tick(&c);
    assert_int_equal(c.n.role, RAFT_ROLE_CANDIDATE);
    assert_int_equal(msgs_to(&c.out, 4), 0); /* a learner is not asked */
    tn_step(&c, rv_reply(4, 1, c.n.term, 1));
    assert_int_equal(c.n.role, RAFT_ROLE_CANDIDATE);
    tn_step(&c, rv_reply(3, 1, c.n.term, 1));
    assert_int_equal(c.n.role, RAFT_ROLE_LEADER);
    tn_free(&c);
    tnode s;
    tn_init_cfg(&s, 4, 4, &cfg, 12); /* a spare, not in its own configuration */
    tn_start(&s);
    tn_tick(&s);
    tn_tick(&s);
    assert_int_equal(s.n.role, RAFT_ROLE_FOLLOWER);
    assert_int_equal(s.n.term, 0);
    assert_int_equal(s.out.n_msgs, 0);
    tn_free(&s);
}

/* The injected bug: a second change is taken while the first is in flight. */
TEST(test_bug_two_changes) {
    tnode l;
    members_leader(&l, RAFT_BUG_TWO_CHANGES);
    assert_int_equal(change(&l, RAFT_CONF_ADD_LEARNER, 4), 1);
    assert_int_equal(change(&l, RAFT_CONF_REMOVE, 3), 1);
    assert_int_equal(l.n.n_voters, 2);
    assert_int_equal(l.n.n_confs, 2);
    tn_free(&l);
}

/* A snapshot carries the configuration in force at its index (the entries that set it are
 * compacted away): the leader's own configuration survives its compaction, an InstallSnapshot
 * sends it (one entry per member), the follower that installs it and a node restarted from it
 * are under it. */
TEST(test_members_snapshot_carries_configuration) {
    tnode l;
    raft_config cfg = cfg_make(0);
    cfg.voters0 = 3;
    cfg.snapshot_every = 3;
    tn_init_cfg(&l, 1, 4, &cfg, 0x5eed0002u);
    raft_give_snapshot_id(&l.n, 60);
    tn_start(&l);
    tn_elect(&l);
    uint64_t term = l.n.term;
    assert_int_equal(tn_propose(&l, 7), 1);
    tn_step(&l, ae_reply(2, 1, term, 1, 1, 0));
    assert_int_equal(change(&l, RAFT_CONF_REMOVE, 3), 1); /* index 2: {1, 2} */
    tn_step(&l, ae_reply(2, 1, term, 1, 2, 0));
    assert_int_equal(l.n.commit, 2);
    assert_int_equal(tn_propose(&l, 8), 1);
    tn_step(&l, ae_reply(2, 1, term, 1, 3, 0)); /* commits 3: the snapshot at 3 */
    assert_fx(&l.out, RAFT_FX_SNAP_TAKE, 3, 60);
    assert_true(raft_conf_is_voter(&l.n.snap.conf, 2) && !raft_conf_is_voter(&l.n.snap.conf, 3));
    /* Spare 4 joins as a learner (index 4, after the compaction) and lacks everything: the
     * entries it needs are compacted, so it gets the snapshot, with the configuration at 3. */
    assert_int_equal(change(&l, RAFT_CONF_ADD_LEARNER, 4), 1);
    assert_int_equal(l.n.log_off, 3);
    assert_int_equal(l.n.n_confs, 1); /* the removal's entry went with the compaction */
    assert_true(raft_conf_is_voter(&l.n.conf_base, 1) && !raft_conf_is_voter(&l.n.conf_base, 3));
    assert_int_equal(l.n.n_voters, 2);
    assert_int_equal(l.n.member[4], 1);
    tn_step(&l, ae_reply(4, 1, term, 0, 1, 0));
    raft_msg m = only_msg(&l.out);
    assert_int_equal(m.type, RAFT_MSG_INSTALL_SNAPSHOT);
    assert_int_equal(m.n_entries, 2);
    assert_int_equal(m.entries[0].conf_node, 1);
    assert_int_equal(m.entries[1].conf_node, 2);
    /* The spare, which knows only the starting three, installs it and is under {1, 2}. */
    tnode f;
    raft_config fcfg = cfg_make(0);
    fcfg.voters0 = 3;
    tn_init_cfg(&f, 4, 4, &fcfg, 0x5eed0003u);
    tn_start(&f);
    assert_int_equal(f.n.n_voters, 3);
    tn_step(&f, m);
    assert_fx(&f.out, RAFT_FX_SNAP_INSTALL, 3, 60);
    assert_int_equal(f.n.n_voters, 2);
    assert_int_equal(f.n.member[3], 0);
    raft_conf c;
    assert_int_equal(raft_conf_at(&f.n, 3, &c), 0);
    assert_true(raft_conf_is_voter(&c, 2) && !raft_conf_is_voter(&c, 3));
    /* A node restarted from the snapshot is under its configuration too. */
    tnode r;
    tn_init_cfg(&r, 2, 4, &fcfg, 0x5eed0004u);
    raft_load_snapshot(&r.n, &l.n.snap);
    tn_load(&r, term, RAFT_NODE_NONE, NULL, 0);
    tn_start(&r);
    assert_int_equal(r.n.n_voters, 2);
    assert_int_equal(r.n.member[3], 0);
    tn_free(&l);
    tn_free(&f);
    tn_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_harness_persist_before_send_checker),
        cmocka_unit_test(test_members_add_learner_then_promote),
        cmocka_unit_test(test_members_snapshot_carries_configuration),
        cmocka_unit_test(test_members_change_refused),
        cmocka_unit_test(test_members_conf_reverts_on_truncate),
        cmocka_unit_test(test_members_removed_leader_steps_down),
        cmocka_unit_test(test_members_removed_uncommitted_still_stands),
        cmocka_unit_test(test_members_disruption_guard),
        cmocka_unit_test(test_members_votes_over_conf),
        cmocka_unit_test(test_bug_two_changes),
        cmocka_unit_test(test_5_1_higher_term_in_any_message_makes_leader_follower),
        cmocka_unit_test(test_5_1_higher_term_clears_vote_of_follower),
        cmocka_unit_test(test_5_1_stale_request_vote_rejected_with_current_term),
        cmocka_unit_test(test_5_1_stale_append_entries_rejected_with_current_term),
        cmocka_unit_test(test_5_1_stale_append_does_not_depose_candidate),
        cmocka_unit_test(test_5_1_stale_replies_ignored),
        cmocka_unit_test(test_5_2_timeout_starts_election),
        cmocka_unit_test(test_5_2_candidate_timeout_starts_new_election),
        cmocka_unit_test(test_5_2_candidate_wins_with_majority),
        cmocka_unit_test(test_5_2_duplicate_and_refused_votes_do_not_count),
        cmocka_unit_test(test_5_2_candidate_steps_down_on_append_of_its_term),
        cmocka_unit_test(test_5_2_election_timeout_randomized_within_bounds),
        cmocka_unit_test(test_5_2_election_timer_reset_by_valid_rpcs_only),
        cmocka_unit_test(test_5_2_single_node_cluster_elects_itself_and_commits_at_once),
        cmocka_unit_test(test_persist_async_lone_node_waits_for_its_disk),
        cmocka_unit_test(test_persist_async_leader_counts_itself_once_durable),
        cmocka_unit_test(test_write_failed_stops_the_node),
        cmocka_unit_test(test_5_2_leader_heartbeats_at_interval),
        cmocka_unit_test(test_5_2_deposed_leader_waits_an_election_timeout),
        cmocka_unit_test(test_5_2_cluster_elects_one_leader_then_another),
        cmocka_unit_test(test_5_3_propose_only_on_leader),
        cmocka_unit_test(test_5_3_leader_appends_and_replicates_proposal),
        cmocka_unit_test(test_5_3_reject_missing_prev_index),
        cmocka_unit_test(test_5_3_reject_prev_term_mismatch_with_conflict_hint),
        cmocka_unit_test(test_5_3_conflict_hints_table),
        cmocka_unit_test(test_5_3_append_new_entries),
        cmocka_unit_test(test_5_3_conflicting_entries_deleted_and_replaced),
        cmocka_unit_test(test_5_3_conflict_at_first_entry_replaces_whole_log),
        cmocka_unit_test(test_5_3_conflict_inside_batch_keeps_matching_prefix),
        cmocka_unit_test(test_5_3_duplicate_append_is_idempotent),
        cmocka_unit_test(test_5_3_stale_shorter_append_does_not_truncate),
        cmocka_unit_test(test_5_3_follower_commit_is_min_of_leader_commit_and_last_new),
        cmocka_unit_test(test_5_3_follower_commit_not_beyond_verified_prefix),
        cmocka_unit_test(test_5_3_leader_commits_when_majority_matched),
        cmocka_unit_test(test_5_3_leader_match_and_next_index_tracking),
        cmocka_unit_test(test_5_3_majority_for_cluster_sizes),
        cmocka_unit_test(test_5_3_lost_append_recovered_after_heartbeat),
        cmocka_unit_test(test_5_3_next_index_backup_figure7),
        cmocka_unit_test(test_5_3_too_short_hint_jumps_to_follower_end),
        cmocka_unit_test(test_5_3_far_behind_follower_catches_up_in_batches),
        cmocka_unit_test(test_5_3_apply_effects_in_order),
        cmocka_unit_test(test_outbox_messages_own_their_entries),
        cmocka_unit_test(test_5_4_1_vote_refused_for_lower_last_term),
        cmocka_unit_test(test_5_4_1_vote_refused_for_same_last_term_shorter_log),
        cmocka_unit_test(test_5_4_1_vote_granted_when_at_least_as_up_to_date),
        cmocka_unit_test(test_5_4_1_at_most_one_vote_per_term),
        cmocka_unit_test(test_5_4_1_vote_regranted_to_same_candidate),
        cmocka_unit_test(test_5_4_1_new_term_allows_new_vote),
        cmocka_unit_test(test_5_4_1_candidate_and_leader_refuse_votes_in_their_term),
        cmocka_unit_test(test_5_4_2_old_term_entry_not_committed_by_counting),
        cmocka_unit_test(test_5_4_2_old_term_entry_committed_with_current_term_entry),
        cmocka_unit_test(test_persist_restart_keeps_term_vote_log),
        cmocka_unit_test(test_persist_restart_reapplies_from_first_entry),
        cmocka_unit_test(test_persist_restart_keeps_vote_of_term),
        cmocka_unit_test(test_persist_load_then_start),
        cmocka_unit_test(test_bug_vote_ignores_log),
        cmocka_unit_test(test_bug_commit_old_term),
        cmocka_unit_test(test_bug_forget_vote),
        cmocka_unit_test(test_bug_truncate_on_match),
        cmocka_unit_test(test_bug_no_stepdown),
        cmocka_unit_test(test_bugs_change_nothing_else),
        cmocka_unit_test(test_prevote_round_changes_nothing_until_won),
        cmocka_unit_test(test_prevote_refusal_and_stale_answers),
        cmocka_unit_test(test_prevote_grant_rules),
        cmocka_unit_test(test_prevote_refused_while_leader_is_heard),
        cmocka_unit_test(test_prevote_refused_by_leader),
        cmocka_unit_test(test_prevote_round_ends_on_leader_contact),
        cmocka_unit_test(test_prevote_after_failed_election),
        cmocka_unit_test(test_bug_prevote_wins),
        cmocka_unit_test(test_noop_appended_on_election),
        cmocka_unit_test(test_noop_commits_earlier_terms),
        cmocka_unit_test(test_bug_noop_self_commit),
        cmocka_unit_test(test_transfer_to_caught_up_target),
        cmocka_unit_test(test_transfer_waits_for_target_log),
        cmocka_unit_test(test_transfer_refused),
        cmocka_unit_test(test_transfer_given_up),
        cmocka_unit_test(test_timeout_now_starts_election),
        cmocka_unit_test(test_bug_transfer_handoff),
        cmocka_unit_test(test_read_index_waits_for_round),
        cmocka_unit_test(test_read_index_refused),
        cmocka_unit_test(test_read_index_dropped_on_stepdown),
        cmocka_unit_test(test_bug_read_index_no_round),
        cmocka_unit_test(test_check_quorum_steps_down_without_majority),
        cmocka_unit_test(test_check_quorum_majority_keeps_leader),
        cmocka_unit_test(test_check_quorum_deadline),
        cmocka_unit_test(test_snapshot_taken_every_n_applied),
        cmocka_unit_test(test_snapshot_compaction_bounds_the_log),
        cmocka_unit_test(test_leader_sends_snapshot_when_entries_are_compacted),
        cmocka_unit_test(test_install_snapshot_replaces_the_log),
        cmocka_unit_test(test_install_snapshot_keeps_matching_suffix),
        cmocka_unit_test(test_install_snapshot_older_or_stale_ignored),
        cmocka_unit_test(test_bug_install_old_snapshot),
        cmocka_unit_test(test_restart_from_snapshot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
