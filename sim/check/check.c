/* check.c - incremental checker of Raft's safety invariants (Raft paper, Figure 3, plus the
 * extra ones of SPEC section 4). See check.h for the model. */
#include "sim/check/check.h"

#include <stdarg.h>
#include <string.h>

#include "sim/base/util.h"

enum { ROLE_FOLLOWER = 0, ROLE_CANDIDATE = 1, ROLE_LEADER = 2 };

/* A growable array of per-index values, from index base on (a sentinel at 0 when base is 0).
 * A node's shadow log drops what it shares with the committed prefix (compact_node): its
 * entries at or below base are the committed prefix's, so it keeps per-entry state only for
 * its uncommitted tail, whatever the length of the run. */
typedef struct {
    uint64_t *chain; /* chain[i - base]: hash of entries 1..i */
    uint64_t *term;  /* term[i - base]: term of entry i */
    uint64_t len, cap;
    uint64_t base;
} shadow_log;

/* A node's shadow log goes this far behind its commit index before it drops what it shares with
 * the committed prefix (and at most twice what it keeps, so the copy is amortized O(1)). */
#define CHK_COMPACT_MIN 4096u

typedef struct {
    shadow_log log;
    uint64_t term;
    uint64_t vote_term; /* term of the last vote granted, with vote_for; survives crashes */
    uint8_t vote_for;
    uint8_t role;
    uint8_t up;
    uint8_t holds_committed; /* log agrees with the committed prefix through its end */
    uint64_t commit;
    uint64_t applied;
    /* Promises (SPEC section 7): the latest granted vote sent, and the latest acknowledgement
     * (its term, the index it covers and the chain hash there when sent). */
    uint64_t promised_vote_term;
    uint8_t promised_vote_for;
    uint64_t promised_ack_term, promised_ack_index, promised_ack_chain;
    /* Membership: the configuration entries of its log, in index order. */
    struct conf_rec *confs;
    uint32_t n_confs, cap_confs;
} shadow_node;

struct conf_rec {
    uint64_t index;
    uint64_t voters[4];
};

/* Open-addressing map from a (key1, key2) pair to a value; never iterated, so its layout
 * cannot leak into any output. */
typedef struct {
    uint64_t *k1, *k2, *val;
    uint8_t *used;
    size_t cap, n;
} pair_map;

/* A value per log index kept as runs of equal values (the committed prefix's terms change
 * once per term, not per entry): index i has val[k] of the last run k with first[k] <= i, and
 * 0 before the first run. Runs are added at the end only. */
typedef struct {
    uint64_t *first, *val;
    uint32_t n, cap;
} step_list;

typedef struct {
    uint64_t term;
    uint64_t first; /* index of chain[0] */
    uint64_t n, cap;
    uint64_t *chain;
} term_run;

struct chk {
    uint32_t n_nodes;
    shadow_node *nodes;    /* [n_nodes + 1] */
    shadow_log committed;  /* the committed prefix, as first committed by any node (its chain
                              only: its terms are in committed_terms) */
    step_list committed_terms; /* the term of committed entry i */
    step_list commit_terms;    /* the term of the node that first committed index i */
    uint64_t commit_term_max;
    uint32_t holding; /* nodes whose log holds the whole committed prefix */
    /* Log Matching across all time: the chain hash every (index, term) pair has ever named.
     * A term's entries are created by its one leader at consecutive indices, so they are kept
     * as one contiguous run per term, appended in order (sequential memory, no hashing per
     * entry); the rare entries outside their term's run go to a map. */
    term_run *runs;
    uint32_t n_runs, cap_runs;
    uint32_t last_run;    /* the run used last: consecutive appends share a term */
    pair_map run_of_term; /* (term, 0) -> index in runs */
    pair_map entries;     /* (index, term) -> chain hash, outside the runs */
    pair_map leaders;     /* (term, 0) -> leader id: Election Safety */
    chk_violation violation;
    /* Membership (chk_start_voters / chk_config): set once configurations are known; then
     * commit_voters are the voters the latest commit decision counted. */
    uint8_t dynamic;
    uint64_t voters0[4];
    uint64_t commit_voters[4];
};

/* Index i and the indices after it have value v (i above every run's first). */
static void steps_set(step_list *l, uint64_t i, uint64_t v) {
    if (l->n > 0 && l->val[l->n - 1] == v) return;
    ASSERT(l->n == 0 || i > l->first[l->n - 1]);
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->first = rs_xrealloc(l->first, l->cap * sizeof *l->first);
        l->val = rs_xrealloc(l->val, l->cap * sizeof *l->val);
    }
    l->first[l->n] = i;
    l->val[l->n++] = v;
}

static uint64_t steps_get(const step_list *l, uint64_t i) {
    uint32_t lo = 0, hi = l->n; /* the first run with first > i */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (l->first[mid] <= i)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? l->val[lo - 1] : 0;
}

static void steps_free(step_list *l) {
    free(l->first);
    free(l->val);
}

static inline uint64_t committed_term(const chk *c, uint64_t i) {
    return steps_get(&c->committed_terms, i);
}

/* A node's chain hash and term at index i (<= its length): below its log's base, the committed
 * prefix's. */
static inline uint64_t node_chain(const chk *c, const shadow_node *s, uint64_t i) {
    return i >= s->log.base ? s->log.chain[i - s->log.base] : c->committed.chain[i];
}

static inline uint64_t node_term(const chk *c, const shadow_node *s, uint64_t i) {
    return i >= s->log.base ? s->log.term[i - s->log.base] : committed_term(c, i);
}

/* The node's log now starts at base (<= the committed prefix's length), which it holds as
 * committed: a truncation into the committed part, or an installed snapshot. */
static void node_rebase(chk *c, shadow_node *s, uint64_t base) {
    s->log.base = base;
    s->log.chain[0] = c->committed.chain[base];
    s->log.term[0] = committed_term(c, base);
}

/* The node's log agrees with the committed prefix through upto (its chain there was just found
 * equal): what it keeps at or below upto is dropped, once that is worth a copy. */
static void compact_node(shadow_node *s, uint64_t upto) {
    shadow_log *l = &s->log;
    if (upto <= l->base || upto - l->base < CHK_COMPACT_MIN ||
        2 * (upto - l->base) < l->len - l->base)
        return;
    uint64_t drop = upto - l->base, keep = l->len - upto + 1;
    memmove(l->chain, l->chain + drop, keep * sizeof *l->chain);
    memmove(l->term, l->term + drop, keep * sizeof *l->term);
    l->base = upto;
    if (l->cap > 256 && keep * 4 < l->cap) { /* give memory back */
        l->cap = keep * 2 > 256 ? keep * 2 : 256;
        l->chain = rs_xrealloc(l->chain, l->cap * sizeof *l->chain);
        l->term = rs_xrealloc(l->term, l->cap * sizeof *l->term);
    }
}

static int in_set(const uint64_t set[4], uint32_t id) {
    return (int)((set[id >> 6] >> (id & 63)) & 1u);
}

/* The voters of the configuration in force in the node's log. */
static const uint64_t *voters_of(const chk *c, const shadow_node *s) {
    return s->n_confs ? s->confs[s->n_confs - 1].voters : c->voters0;
}

/* ---- helpers --------------------------------------------------------------------------- */

static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t chk_cmd_hash(const char *cmd, size_t len) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)cmd[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static uint64_t chain_next(uint64_t prev, uint64_t term, uint64_t cmd_hash) {
    return mix64(prev ^ mix64(term + 0x9E3779B97F4A7C15ull) ^ (cmd_hash * 0xD6E8FEB86659FD93ull));
}

static void log_reserve_slow(shadow_log *l, uint64_t need) {
    uint64_t cap = l->cap ? l->cap : 64;
    while (cap <= need) cap *= 2;
    l->chain = rs_xrealloc(l->chain, cap * sizeof *l->chain);
    l->term = rs_xrealloc(l->term, cap * sizeof *l->term);
    l->cap = cap;
}

static inline void log_reserve(shadow_log *l, uint64_t need) {
    if (need >= l->cap) log_reserve_slow(l, need);
}

static void log_init(shadow_log *l) {
    memset(l, 0, sizeof *l);
    log_reserve(l, 1);
    l->chain[0] = 0;
    l->term[0] = 0;
}

static void log_free(shadow_log *l) {
    free(l->chain);
    free(l->term);
}

static size_t map_slot(const pair_map *m, uint64_t k1, uint64_t k2) {
    return (size_t)(mix64(k1 * 0x9E3779B97F4A7C15ull ^ k2) & (m->cap - 1));
}

static void map_put(pair_map *m, uint64_t k1, uint64_t k2, uint64_t val);

static void map_grow(pair_map *m) {
    pair_map old = *m;
    m->cap = old.cap ? old.cap * 2 : 64;
    m->n = 0;
    m->k1 = rs_xcalloc(m->cap, sizeof *m->k1);
    m->k2 = rs_xcalloc(m->cap, sizeof *m->k2);
    m->val = rs_xcalloc(m->cap, sizeof *m->val);
    m->used = rs_xcalloc(m->cap, 1);
    for (size_t i = 0; i < old.cap; i++)
        if (old.used[i]) map_put(m, old.k1[i], old.k2[i], old.val[i]);
    free(old.k1);
    free(old.k2);
    free(old.val);
    free(old.used);
}

/* Returns the value's slot for (k1, k2), or the empty slot where it would go. */
static size_t map_find(const pair_map *m, uint64_t k1, uint64_t k2) {
    size_t i = map_slot(m, k1, k2);
    while (m->used[i] && (m->k1[i] != k1 || m->k2[i] != k2)) i = (i + 1) & (m->cap - 1);
    return i;
}

static void map_put(pair_map *m, uint64_t k1, uint64_t k2, uint64_t val) {
    if ((m->n + 1) * 2 > m->cap) map_grow(m);
    size_t i = map_find(m, k1, k2);
    if (!m->used[i]) {
        m->used[i] = 1;
        m->k1[i] = k1;
        m->k2[i] = k2;
        m->n++;
    }
    m->val[i] = val;
}

/* One probe: inserts (k1, k2) -> val if absent; returns the value now stored. */
static uint64_t map_put_new(pair_map *m, uint64_t k1, uint64_t k2, uint64_t val) {
    if ((m->n + 1) * 2 > m->cap) map_grow(m);
    size_t i = map_find(m, k1, k2);
    if (m->used[i]) return m->val[i];
    m->used[i] = 1;
    m->k1[i] = k1;
    m->k2[i] = k2;
    m->val[i] = val;
    m->n++;
    return val;
}

/* 1 and *val set if present. */
static int map_get(const pair_map *m, uint64_t k1, uint64_t k2, uint64_t *val) {
    if (m->cap == 0) return 0;
    size_t i = map_find(m, k1, k2);
    if (!m->used[i]) return 0;
    *val = m->val[i];
    return 1;
}

static void map_free(pair_map *m) {
    free(m->k1);
    free(m->k2);
    free(m->val);
    free(m->used);
}

static chk_result fail(chk *c, chk_result kind, const char *invariant, uint8_t node, uint8_t other,
                       uint64_t term, uint64_t index, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

static chk_result fail(chk *c, chk_result kind, const char *invariant, uint8_t node, uint8_t other,
                       uint64_t term, uint64_t index, const char *fmt, ...) {
    chk_violation *v = &c->violation;
    v->invariant = invariant;
    v->node = node;
    v->other = other;
    v->term = term;
    v->index = index;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->detail, sizeof v->detail, fmt, ap);
    va_end(ap);
    return kind;
}

#define MALFORMED(c, node, ...)                                                                    \
    fail((c), CHK_MALFORMED, "malformed_trace", (node), 0, 0, 0, __VA_ARGS__)

/* ---- the committed prefix -------------------------------------------------------------- */

static int node_holds_committed(const chk *c, const shadow_node *s) {
    uint64_t cm = c->committed.len;
    return s->log.len >= cm && node_chain(c, s, cm) == c->committed.chain[cm];
}

static void set_holding(chk *c, shadow_node *s, int holds) {
    if (s->holds_committed == holds) return;
    s->holds_committed = (uint8_t)holds;
    if (holds)
        c->holding++;
    else
        c->holding--;
}

/* With membership: a majority of the voters the latest commit was decided under. */
static chk_result check_holding_dynamic(chk *c, uint8_t node) {
    uint32_t voters = 0, holding = 0;
    for (uint32_t n = 1; n <= c->n_nodes; n++) {
        if (!in_set(c->commit_voters, n)) continue;
        voters++;
        holding += c->nodes[n].holds_committed;
    }
    if (c->committed.len == 0 || holding >= voters / 2 + 1) return CHK_OK;
    return fail(c, CHK_VIOLATION, CHK_COMMITTED_NEVER_LOST, node, 0,
                committed_term(c, c->committed.len), c->committed.len,
                "only %u of the %u voters the commit was decided under still hold the committed "
                "entries through index %llu",
                holding, voters, (unsigned long long)c->committed.len);
}

static chk_result check_holding(chk *c, uint8_t node) {
    if (c->dynamic) return check_holding_dynamic(c, node);
    uint32_t need = c->n_nodes / 2 + 1;
    if (c->committed.len == 0 || c->holding >= need) return CHK_OK;
    return fail(c, CHK_VIOLATION, CHK_COMMITTED_NEVER_LOST, node, 0,
                committed_term(c, c->committed.len), c->committed.len,
                "only %u of %u nodes still hold the committed entries through index %llu",
                c->holding, c->n_nodes, (unsigned long long)c->committed.len);
}

/* Leader Completeness: a leader of term T holds every entry committed in a term below T.
 * Entries committed in terms >= T (by a stale leader elsewhere) are not owed to it. */
static chk_result check_leader_complete(chk *c, uint8_t node) {
    const shadow_node *s = &c->nodes[node];
    uint64_t i = c->committed.len;
    if (c->commit_term_max >= s->term) { /* the end of the last run committed below its term */
        const step_list *l = &c->commit_terms;
        uint32_t k = l->n;
        while (k > 0 && l->val[k - 1] >= s->term) k--;
        i = k == 0 ? 0 : k < l->n ? l->first[k] - 1 : c->committed.len;
    }
    if (i == 0) return CHK_OK;
    if (s->log.len >= i && node_chain(c, s, i) == c->committed.chain[i]) return CHK_OK;
    return fail(c, CHK_VIOLATION, CHK_LEADER_COMPLETENESS, node, 0, s->term, i,
                "leader %u of term %llu lacks committed entry %llu (committed in term %llu)", node,
                (unsigned long long)s->term, (unsigned long long)i,
                (unsigned long long)steps_get(&c->commit_terms, i));
}

/* The committed prefix keeps its chain hashes only (its terms are runs). */
static void committed_reserve(shadow_log *cl, uint64_t need) {
    if (need < cl->cap) return;
    uint64_t cap = cl->cap ? cl->cap : 64;
    while (cap <= need) cap *= 2;
    cl->chain = rs_xrealloc(cl->chain, cap * sizeof *cl->chain);
    cl->cap = cap;
}

/* The node committed past every commit seen so far: its entries extend the prefix. */
static chk_result extend_committed(chk *c, uint8_t node, uint64_t index) {
    shadow_node *s = &c->nodes[node];
    shadow_log *cl = &c->committed;
    uint64_t old = cl->len;
    if (node_chain(c, s, old) != cl->chain[old])
        return fail(c, CHK_VIOLATION, CHK_STATE_MACHINE_SAFETY, node, 0, node_term(c, s, old), old,
                    "node %u commits index %llu, but its entry at %llu (term %llu) differs from "
                    "the one committed earlier (term %llu)",
                    node, (unsigned long long)index, (unsigned long long)old,
                    (unsigned long long)node_term(c, s, old),
                    (unsigned long long)committed_term(c, old));
    committed_reserve(cl, index);
    for (uint64_t i = old + 1; i <= index; i++) {
        cl->chain[i] = node_chain(c, s, i);
        steps_set(&c->committed_terms, i, node_term(c, s, i));
    }
    steps_set(&c->commit_terms, old + 1, s->term);
    cl->len = index;
    if (s->term > c->commit_term_max) c->commit_term_max = s->term;
    if (c->dynamic) memcpy(c->commit_voters, voters_of(c, s), sizeof c->commit_voters);
    for (uint32_t n = 1; n <= c->n_nodes; n++) {
        shadow_node *o = &c->nodes[n];
        set_holding(c, o, node_holds_committed(c, o));
        if (o->up && o->role == ROLE_LEADER && o->term > s->term) {
            chk_result r = check_leader_complete(c, n);
            if (r != CHK_OK) return r;
        }
    }
    return check_holding(c, node);
}

static term_run *run_for_term(chk *c, uint64_t term) {
    if (c->n_runs && c->runs[c->last_run].term == term) return &c->runs[c->last_run];
    uint64_t k = map_put_new(&c->run_of_term, term, 0, c->n_runs);
    if (k == c->n_runs) { /* a term not seen before */
        if (c->n_runs == c->cap_runs) {
            c->cap_runs = c->cap_runs ? c->cap_runs * 2 : 16;
            c->runs = rs_xrealloc(c->runs, c->cap_runs * sizeof *c->runs);
        }
        c->runs[c->n_runs++] = (term_run){.term = term};
    }
    c->last_run = (uint32_t)k;
    return &c->runs[k];
}

/* Records that (index, term) names the prefix with this chain hash, unless it was named
 * before; returns the chain hash it names (the first one recorded). */
static uint64_t record_entry(chk *c, uint64_t index, uint64_t term, uint64_t chain) {
    term_run *r = run_for_term(c, term);
    if (r->n == 0) r->first = index;
    if (index >= r->first && index - r->first < r->n) return r->chain[index - r->first];
    if (index != r->first + r->n) return map_put_new(&c->entries, index, term, chain);
    uint64_t seen;
    if (c->entries.n && map_get(&c->entries, index, term, &seen)) return seen;
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->chain = rs_xrealloc(r->chain, r->cap * sizeof *r->chain);
    }
    r->chain[r->n++] = chain;
    return chain;
}

/* ---- events ---------------------------------------------------------------------------- */

chk_result chk_role(chk *c, uint8_t node, uint64_t term, int role) {
    if (node < 1 || node > c->n_nodes) return MALFORMED(c, node, "role: no node %u", node);
    shadow_node *s = &c->nodes[node];
    if (term < s->term)
        return fail(c, CHK_VIOLATION, CHK_TERM_MONOTONIC, node, 0, term, 0,
                    "node %u went from term %llu back to term %llu", node,
                    (unsigned long long)s->term, (unsigned long long)term);
    s->term = term;
    s->role = (uint8_t)role;
    if (role != ROLE_LEADER) return CHK_OK;
    uint64_t other;
    if (map_get(&c->leaders, term, 0, &other) && other != node)
        return fail(c, CHK_VIOLATION, CHK_ELECTION_SAFETY, node, (uint8_t)other, term, 0,
                    "nodes %llu and %u are both leader in term %llu", (unsigned long long)other,
                    node, (unsigned long long)term);
    map_put(&c->leaders, term, 0, node);
    return check_leader_complete(c, node);
}

chk_result chk_vote(chk *c, uint8_t node, uint64_t term, uint8_t candidate) {
    if (node < 1 || node > c->n_nodes || candidate < 1 || candidate > c->n_nodes)
        return MALFORMED(c, node, "vote: node %u or candidate %u out of range", node, candidate);
    shadow_node *s = &c->nodes[node];
    if (term == s->vote_term && s->vote_for != 0 && s->vote_for != candidate)
        return fail(c, CHK_VIOLATION, CHK_SINGLE_VOTE, node, candidate, term, 0,
                    "node %u voted for %u and then for %u in term %llu", node, s->vote_for,
                    candidate, (unsigned long long)term);
    if (term < s->vote_term || term < s->term)
        return fail(c, CHK_VIOLATION, CHK_TERM_MONOTONIC, node, candidate, term, 0,
                    "node %u voted in term %llu after reaching term %llu", node,
                    (unsigned long long)term,
                    (unsigned long long)(s->term > s->vote_term ? s->term : s->vote_term));
    s->vote_term = term;
    s->term = term; /* a vote is cast in the voter's current term */
    s->vote_for = candidate;
    return CHK_OK;
}

chk_result chk_append(chk *c, uint8_t node, uint64_t index, uint64_t term, uint64_t cmd_hash) {
    if (node < 1 || node > c->n_nodes) return MALFORMED(c, node, "append: no node %u", node);
    shadow_node *s = &c->nodes[node];
    if (index != s->log.len + 1)
        return MALFORMED(c, node, "append: node %u writes index %llu but its log ends at %llu",
                         node, (unsigned long long)index, (unsigned long long)s->log.len);
    if (s->role == ROLE_LEADER && s->up && term != s->term)
        return fail(c, CHK_VIOLATION, CHK_LEADER_APPEND_ONLY, node, 0, term, index,
                    "leader %u of term %llu appended an entry of term %llu at index %llu", node,
                    (unsigned long long)s->term, (unsigned long long)term,
                    (unsigned long long)index);
    log_reserve(&s->log, index - s->log.base);
    uint64_t chain = chain_next(node_chain(c, s, index - 1), term, cmd_hash);
    s->log.chain[index - s->log.base] = chain;
    s->log.term[index - s->log.base] = term;
    s->log.len = index;
    if (record_entry(c, index, term, chain) != chain)
        return fail(c, CHK_VIOLATION, CHK_LOG_MATCHING, node, 0, term, index,
                    "node %u has an entry at index %llu, term %llu, whose log (or command) "
                    "differs from another log's entry with the same index and term",
                    node, (unsigned long long)index, (unsigned long long)term);
    if (index == c->committed.len) set_holding(c, s, node_holds_committed(c, s));
    return CHK_OK;
}

chk_result chk_truncate(chk *c, uint8_t node, uint64_t from) {
    if (node < 1 || node > c->n_nodes) return MALFORMED(c, node, "truncate: no node %u", node);
    shadow_node *s = &c->nodes[node];
    if (from < 1 || from > s->log.len)
        return MALFORMED(c, node, "truncate: node %u from %llu but its log ends at %llu", node,
                         (unsigned long long)from, (unsigned long long)s->log.len);
    if (s->role == ROLE_LEADER && s->up)
        return fail(c, CHK_VIOLATION, CHK_LEADER_APPEND_ONLY, node, 0, s->term, from,
                    "leader %u of term %llu deleted its entries from index %llu", node,
                    (unsigned long long)s->term, (unsigned long long)from);
    if (from <= s->commit)
        return fail(c, CHK_VIOLATION, CHK_COMMITTED_NEVER_LOST, node, 0, node_term(c, s, from),
                    from,
                    "node %u deleted entries from index %llu though it had committed through %llu",
                    node, (unsigned long long)from, (unsigned long long)s->commit);
    if (from - 1 < s->log.base) node_rebase(c, s, from - 1);
    s->log.len = from - 1;
    while (s->n_confs > 0 && s->confs[s->n_confs - 1].index >= from) s->n_confs--;
    /* A truncation is a write of the node's own: entries it acknowledged and now deletes
     * (on a leader's word) are no longer promised. */
    if (s->promised_ack_index >= from) {
        s->promised_ack_index = from - 1;
        s->promised_ack_chain = node_chain(c, s, from - 1);
    }
    if (from <= c->committed.len) {
        set_holding(c, s, 0);
        return check_holding(c, node);
    }
    return CHK_OK;
}

chk_result chk_commit(chk *c, uint8_t node, uint64_t index) {
    if (node < 1 || node > c->n_nodes) return MALFORMED(c, node, "commit: no node %u", node);
    shadow_node *s = &c->nodes[node];
    if (index > s->log.len)
        return fail(c, CHK_VIOLATION, CHK_COMMIT_WITHIN_LOG, node, 0, s->term, index,
                    "node %u commit index %llu passes its log end %llu", node,
                    (unsigned long long)index, (unsigned long long)s->log.len);
    if (index < s->commit)
        return fail(c, CHK_VIOLATION, CHK_COMMIT_MONOTONIC, node, 0, s->term, index,
                    "node %u commit index went back from %llu to %llu", node,
                    (unsigned long long)s->commit, (unsigned long long)index);
    s->commit = index;
    if (index > c->committed.len) {
        chk_result r = extend_committed(c, node, index);
        if (r == CHK_OK) compact_node(s, index);
        return r;
    }
    if (node_chain(c, s, index) != c->committed.chain[index])
        return fail(c, CHK_VIOLATION, CHK_STATE_MACHINE_SAFETY, node, 0, node_term(c, s, index),
                    index,
                    "node %u committed index %llu with an entry of term %llu, but the entry "
                    "committed there earlier has term %llu (or another command)",
                    node, (unsigned long long)index, (unsigned long long)node_term(c, s, index),
                    (unsigned long long)committed_term(c, index));
    compact_node(s, index);
    return CHK_OK;
}

chk_result chk_apply(chk *c, uint8_t node, uint64_t index, uint64_t term, uint64_t cmd_hash) {
    if (node < 1 || node > c->n_nodes) return MALFORMED(c, node, "apply: no node %u", node);
    shadow_node *s = &c->nodes[node];
    if (index != s->applied + 1)
        return MALFORMED(c, node, "apply: node %u applies index %llu after %llu", node,
                         (unsigned long long)index, (unsigned long long)s->applied);
    if (index > s->commit || index > c->committed.len)
        return fail(c, CHK_VIOLATION, CHK_STATE_MACHINE_SAFETY, node, 0, term, index,
                    "node %u applied index %llu before it was committed", node,
                    (unsigned long long)index);
    uint64_t chain = chain_next(c->committed.chain[index - 1], term, cmd_hash);
    if (index > s->log.len || node_chain(c, s, index) != c->committed.chain[index] ||
        chain != c->committed.chain[index])
        return fail(c, CHK_VIOLATION, CHK_STATE_MACHINE_SAFETY, node, 0, term, index,
                    "node %u applied an entry at index %llu (term %llu) that differs from the "
                    "entry committed there (term %llu)",
                    node, (unsigned long long)index, (unsigned long long)term,
                    (unsigned long long)committed_term(c, index));
    s->applied = index;
    return CHK_OK;
}

chk_result chk_crash(chk *c, uint8_t node) {
    if (node < 1 || node > c->n_nodes) return MALFORMED(c, node, "crash: no node %u", node);
    shadow_node *s = &c->nodes[node];
    s->up = 0;
    s->role = ROLE_FOLLOWER;
    return CHK_OK;
}

chk_result chk_restart(chk *c, uint8_t node) {
    if (node < 1 || node > c->n_nodes) return MALFORMED(c, node, "restart: no node %u", node);
    shadow_node *s = &c->nodes[node];
    s->up = 1;
    s->commit = 0;
    s->applied = 0;
    return CHK_OK;
}

chk_result chk_promise_vote(chk *c, uint8_t node, uint64_t term, uint8_t candidate) {
    if (node < 1 || node > c->n_nodes || candidate < 1 || candidate > c->n_nodes)
        return MALFORMED(c, node, "vote promise: node %u or candidate %u out of range", node,
                         candidate);
    shadow_node *s = &c->nodes[node];
    if (term >= s->promised_vote_term) {
        s->promised_vote_term = term;
        s->promised_vote_for = candidate;
    }
    return CHK_OK;
}

chk_result chk_promise_ack(chk *c, uint8_t node, uint64_t term, uint64_t index) {
    if (node < 1 || node > c->n_nodes) return MALFORMED(c, node, "ack promise: no node %u", node);
    shadow_node *s = &c->nodes[node];
    /* A message held for its writes may leave after a later write of the node truncated its
     * log: what it acknowledged past the truncation is no longer promised. */
    if (index > s->log.len) index = s->log.len;
    if (term > s->promised_ack_term ||
        (term == s->promised_ack_term && index >= s->promised_ack_index)) {
        s->promised_ack_term = term;
        s->promised_ack_index = index;
        s->promised_ack_chain = node_chain(c, s, index);
    }
    return CHK_OK;
}

/* The promises a node made (the vote it sent, the entries it acknowledged) against its durable
 * state: at a restart (at_restart), or when a write they depended on failed. */
static chk_result judge_promises(chk *c, uint8_t node, uint64_t term, uint8_t vote, uint64_t keep,
                                 int at_restart) {
    const char *what = at_restart ? "restore" : "disk state";
    if (node < 1 || node > c->n_nodes || vote > c->n_nodes)
        return MALFORMED(c, node, "%s: node %u or vote %u out of range", what, node, vote);
    if (keep > c->nodes[node].log.len)
        return MALFORMED(c, node, "%s: node %u keeps %llu entries of %llu", what, node,
                         (unsigned long long)keep, (unsigned long long)c->nodes[node].log.len);
    const shadow_node *s = &c->nodes[node];
    if (s->promised_vote_term > term || (s->promised_vote_term == term && term > 0 &&
                                         s->promised_vote_for && vote != s->promised_vote_for))
        return fail(c, CHK_VIOLATION, CHK_DURABLE_VOTE, node, s->promised_vote_for,
                    s->promised_vote_term, 0,
                    at_restart ? "node %u granted its vote to %u in term %llu, but restarted in "
                                 "term %llu voting for %u: the vote was not durable when it was "
                                 "sent"
                               : "node %u granted its vote to %u in term %llu, but its disk "
                                 "holds term %llu voting for %u: the write of the vote failed "
                                 "and the node sent it anyway",
                    node, s->promised_vote_for, (unsigned long long)s->promised_vote_term,
                    (unsigned long long)term, vote);
    /* An acknowledgement binds while no later term is durable (a later leader may legally
     * have replaced the entries, durably, in its term). */
    if (s->promised_ack_index > keep && term <= s->promised_ack_term)
        return fail(c, CHK_VIOLATION, CHK_DURABLE_ACK, node, 0, s->promised_ack_term,
                    s->promised_ack_index,
                    at_restart ? "node %u told the leader of term %llu that its log held index "
                                 "%llu, but restarted with only %llu of them: the entries were "
                                 "not durable when acknowledged"
                               : "node %u told the leader of term %llu that its log held index "
                                 "%llu, but its disk holds only %llu of them: the write failed "
                                 "and the node acknowledged anyway",
                    node, (unsigned long long)s->promised_ack_term,
                    (unsigned long long)s->promised_ack_index, (unsigned long long)keep);
    return CHK_OK;
}

chk_result chk_restore(chk *c, uint8_t node, uint64_t term, uint8_t vote, uint64_t keep) {
    chk_result r = judge_promises(c, node, term, vote, keep, 1);
    if (r != CHK_OK) return r;
    shadow_node *s = &c->nodes[node];
    s->term = term;
    s->vote_term = term;
    s->vote_for = vote;
    return CHK_OK;
}

chk_result chk_durable(chk *c, uint8_t node, uint64_t term, uint8_t vote, uint64_t keep) {
    return judge_promises(c, node, term, vote, keep, 0);
}

chk_result chk_snapshot(chk *c, uint8_t node, chk_snap_kind kind, uint64_t index, uint64_t term) {
    if (node < 1 || node > c->n_nodes || index == 0 || kind > CHK_SNAP_RESTORE)
        return MALFORMED(c, node, "snapshot: node %u, index %llu", node, (unsigned long long)index);
    shadow_node *s = &c->nodes[node];
    shadow_log *cl = &c->committed;
    if (kind == CHK_SNAP_TAKE) {
        if (index > s->applied || node_term(c, s, index) != term)
            return fail(c, CHK_VIOLATION, CHK_STATE_MACHINE_SAFETY, node, 0, term, index,
                        "node %u took a snapshot through index %llu (term %llu) but has applied "
                        "only through %llu%s",
                        node, (unsigned long long)index, (unsigned long long)term,
                        (unsigned long long)s->applied,
                        index <= s->applied ? ", and its entry there has another term" : "");
        return CHK_OK;
    }
    /* Install and restore: a snapshot holds applied, hence committed, state. */
    if (index > cl->len || committed_term(c, index) != term)
        return fail(c, CHK_VIOLATION, CHK_STATE_MACHINE_SAFETY, node, 0, term, index,
                    "node %u %s a snapshot through index %llu (term %llu), but %s", node,
                    kind == CHK_SNAP_INSTALL ? "installed" : "restored its state from",
                    (unsigned long long)index, (unsigned long long)term,
                    index > cl->len ? "no node has committed that far"
                                    : "the entry committed there has another term");
    if (kind == CHK_SNAP_RESTORE) {
        if (index > s->log.len || node_chain(c, s, index) != cl->chain[index])
            return fail(c, CHK_VIOLATION, CHK_STATE_MACHINE_SAFETY, node, 0, term, index,
                        "node %u restored its state from a snapshot through index %llu, but its "
                        "log does not hold the committed entries there",
                        node, (unsigned long long)index);
        s->applied = index;
        return CHK_OK;
    }
    if (s->role == ROLE_LEADER && s->up)
        return fail(c, CHK_VIOLATION, CHK_LEADER_APPEND_ONLY, node, 0, s->term, index,
                    "leader %u of term %llu replaced its log by a snapshot through index %llu",
                    node, (unsigned long long)s->term, (unsigned long long)index);
    if (s->commit > index)
        return fail(c, CHK_VIOLATION, CHK_COMMITTED_NEVER_LOST, node, 0, term, index,
                    "node %u replaced its log by a snapshot through index %llu though it had "
                    "committed through %llu",
                    node, (unsigned long long)index, (unsigned long long)s->commit);
    /* The log becomes the committed prefix through index: the snapshot covers it (and the
     * configurations of entries after it go with them). */
    node_rebase(c, s, index);
    s->log.len = index;
    while (s->n_confs && s->confs[s->n_confs - 1].index > index) s->n_confs--;
    if (s->promised_ack_index > index) { /* its own write dropped what it acknowledged after */
        s->promised_ack_index = index;
        s->promised_ack_chain = node_chain(c, s, index);
    }
    set_holding(c, s, node_holds_committed(c, s));
    return check_holding(c, node);
}

void chk_start_voters(chk *c, uint32_t n) {
    ASSERT(n >= 1 && n <= c->n_nodes);
    c->dynamic = 1;
    memset(c->voters0, 0, sizeof c->voters0);
    for (uint32_t id = 1; id <= n; id++) c->voters0[id >> 6] |= 1ull << (id & 63);
    memcpy(c->commit_voters, c->voters0, sizeof c->voters0);
}

chk_result chk_config(chk *c, uint8_t node, uint64_t index, const uint64_t voters[4]) {
    if (node < 1 || node > c->n_nodes) return MALFORMED(c, node, "config: no node %u", node);
    shadow_node *s = &c->nodes[node];
    if (index < 1 || index > s->log.len)
        return MALFORMED(c, node, "config: node %u at index %llu, its log ends at %llu", node,
                         (unsigned long long)index, (unsigned long long)s->log.len);
    /* At or below the latest one only from a snapshot installed (its configuration, at its last
     * index, replaces what the node's log had from there). */
    while (s->n_confs && s->confs[s->n_confs - 1].index >= index) s->n_confs--;
    if (!c->dynamic) chk_start_voters(c, c->n_nodes);
    if (s->n_confs == s->cap_confs) {
        s->cap_confs = s->cap_confs ? s->cap_confs * 2 : 8;
        s->confs = rs_xrealloc(s->confs, s->cap_confs * sizeof *s->confs);
    }
    struct conf_rec *r = &s->confs[s->n_confs++];
    r->index = index;
    memcpy(r->voters, voters, sizeof r->voters);
    return CHK_OK;
}

/* ---- lifetime -------------------------------------------------------------------------- */

chk *chk_new(uint32_t n_nodes) {
    ASSERT(n_nodes >= 1 && n_nodes <= 255);
    chk *c = rs_xcalloc(1, sizeof *c);
    c->n_nodes = n_nodes;
    c->nodes = rs_xcalloc(n_nodes + 1, sizeof *c->nodes);
    for (uint32_t i = 0; i <= n_nodes; i++) {
        log_init(&c->nodes[i].log);
        c->nodes[i].up = 1;
        c->nodes[i].holds_committed = i > 0; /* every node holds the empty prefix */
    }
    c->holding = n_nodes;
    log_init(&c->committed);
    free(c->committed.term); /* committed_terms holds them */
    c->committed.term = NULL;
    return c;
}

void chk_free(chk *c) {
    if (!c) return;
    for (uint32_t i = 0; i <= c->n_nodes; i++) {
        log_free(&c->nodes[i].log);
        free(c->nodes[i].confs);
    }
    free(c->nodes);
    log_free(&c->committed);
    steps_free(&c->committed_terms);
    steps_free(&c->commit_terms);
    map_free(&c->entries);
    map_free(&c->run_of_term);
    for (uint32_t i = 0; i < c->n_runs; i++) free(c->runs[i].chain);
    free(c->runs);
    map_free(&c->leaders);
    free(c);
}

const chk_violation *chk_violation_get(const chk *c) {
    return &c->violation;
}

uint64_t chk_chain(const chk *c, uint8_t node, uint64_t index) {
    ASSERT(node >= 1 && node <= c->n_nodes && index <= c->nodes[node].log.len);
    return node_chain(c, &c->nodes[node], index);
}

uint64_t chk_chain_next(uint64_t prev, uint64_t term, uint64_t cmd_hash) {
    return chain_next(prev, term, cmd_hash);
}

uint64_t chk_log_len(const chk *c, uint8_t node) {
    ASSERT(node >= 1 && node <= c->n_nodes);
    return c->nodes[node].log.len;
}

uint64_t chk_committed_max(const chk *c) {
    return c->committed.len;
}
