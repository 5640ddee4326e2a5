/* clients.c - the replicated key-value store's clients and the nodes' client service.
 *
 * A client runs its operations one at a time, in the order the scenario gives them. It sends
 * each to the node it believes is leader; a node that is not leader answers with a redirect
 * (and its leader hint); a client that hears nothing for a while tries the next node. Every
 * retry carries the same (client, sequence number), so the state machine's sessions apply a
 * write once however often it is committed. The leader puts every operation, reads included,
 * through the log (Raft thesis 6.3, 6.4: a read through the log is linearizable), and the node
 * that proposed it answers once it applies it. At the end of the run the history of invokes
 * and returns is checked for linearizability.
 *
 * Clients stand outside the partitions (they can reach every node, as a client that talks to
 * an isolated old leader does); their messages see the network's delay, loss and
 * duplication; a crashed node loses them. A paused node keeps them until it resumes. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim/base/bugs.h"
#include "sim/kv/kvstore.h"
#include "sim/kv/linz.h"
#include "sim/engine/engine.h"
#include "sim/kv/clients.h"
#include "sim/base/util.h"

/* A client that hears nothing this long tries the next node; one redirected without a hint
 * waits a little before it does. */
#define CLIENT_TIMEOUT_US 500000
#define CLIENT_BACKOFF_US 20000

enum { ST_QUEUED, ST_RUNNING, ST_DONE };
enum { R_OK, R_FAIL, R_REDIRECT };

typedef struct {
    uint32_t client; /* dense client number */
    uint64_t seq;    /* the client's op number, from 1: the session number and the op_id */
    const scn_event *ev;
    int state;
    uint64_t invoke_us, return_us;
    uint64_t invoke_seq, return_seq; /* kv_state.clock at the invoke and the return */
    lz_outcome outcome;
    char *result; /* a get's answer (owned), NULL = absent */
} kv_hist;

typedef struct {
    uint32_t id; /* as the scenario names it */
    uint32_t *queue;
    uint32_t n_queue, cap_queue, head;
    int64_t current; /* history index of the operation in flight, -1 if none */
    uint64_t next_seq;
    uint8_t target;
    uint64_t timer_at;
} kv_client;

typedef struct {
    uint64_t id;
    uint32_t op; /* history index */
    uint8_t node;
    uint8_t is_reply;
    uint8_t status; /* replies */
    uint8_t hint;
    char *value; /* a get's answer (owned), NULL = absent */
} kv_msg;

typedef struct {
    uint32_t client;
    uint64_t seq;
} pending_req;

typedef struct {
    uint64_t id; /* the read's id at the node (kv_state.read_seq) */
    uint32_t op; /* history index */
} pending_read;

typedef struct {
    kv_store *store;
    pending_req *pending; /* requests this node proposed and will answer when applied */
    uint32_t n_pending, cap_pending;
    pending_read *reads; /* ReadIndex gets this node took and will answer when told */
    uint32_t n_reads, cap_reads;
} kv_node;

struct kv_state {
    kv_hist *hist;
    uint32_t n_hist, cap_hist;
    kv_client *clients;
    uint32_t n_clients;
    kv_msg *msgs;
    uint32_t n_msgs, cap_msgs;
    uint32_t *free_msgs;
    uint32_t n_free;
    kv_node *nodes; /* [n + 1] */
    rs_rng rng;     /* the clients' own stream: client traffic leaves the nodes' draws alone */
    uint64_t msg_id;
    uint64_t read_seq; /* ReadIndex read ids */
    uint64_t clock;    /* counts invokes and returns: their order within a microsecond */
    int dedup, stale_read, read_index;
};

/* ---- setup ------------------------------------------------------------------------------ */

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Clients get dense numbers in the order of their ids. */
static void init_clients(sim *s, struct kv_state *k) {
    uint32_t *ids = rs_xmalloc(((size_t)s->scn->n_events + 1) * sizeof *ids), n = 0;
    for (uint32_t i = 0; i < s->scn->n_events; i++)
        if (s->scn->events[i].kind == SCN_DO_KV) ids[n++] = s->scn->events[i].client;
    qsort(ids, n, sizeof *ids, cmp_u32);
    uint32_t u = 0;
    for (uint32_t i = 0; i < n; i++)
        if (u == 0 || ids[u - 1] != ids[i]) ids[u++] = ids[i];
    k->n_clients = u;
    k->clients = rs_xcalloc(u + 1, sizeof *k->clients);
    for (uint32_t i = 0; i < u; i++)
        k->clients[i] = (kv_client){.id = ids[i],
                                    .current = -1,
                                    .next_seq = 1,
                                    .target = (uint8_t)(i % s->n + 1),
                                    .timer_at = UINT64_MAX};
    free(ids);
}

void kv_init(sim *s) {
    struct kv_state *k = rs_xcalloc(1, sizeof *k);
    s->kv = k;
    const bug_info *sr = bug_find("stale_read"), *da = bug_find("dup_apply");
    k->stale_read = sr && (s->cfg->bugs & sr->bit);
    k->dedup = !(da && (s->cfg->bugs & da->bit));
    k->read_index = s->scn->read_index;
    rs_rng_seed(&k->rng, s->cfg->seed, 0xC11E);
    k->nodes = rs_xcalloc(s->n + 1, sizeof *k->nodes);
    init_clients(s, k);
    if (k->n_clients == 0) return;
    for (uint32_t i = 1; i <= s->n; i++) k->nodes[i].store = kv_store_new();
}

void kv_free(sim *s) {
    struct kv_state *k = s->kv;
    if (!k) return;
    for (uint32_t i = 0; i < k->n_hist; i++) free(k->hist[i].result);
    for (uint32_t i = 0; i < k->n_msgs; i++) free(k->msgs[i].value);
    for (uint32_t i = 0; i < k->n_clients; i++) free(k->clients[i].queue);
    for (uint32_t i = 1; i <= s->n; i++) {
        kv_store_free(k->nodes[i].store);
        free(k->nodes[i].pending);
        free(k->nodes[i].reads);
    }
    free(k->hist);
    free(k->clients);
    free(k->msgs);
    free(k->free_msgs);
    free(k->nodes);
    free(k);
    s->kv = NULL;
}

static kv_client *client_of(struct kv_state *k, uint32_t id) {
    uint32_t lo = 0, hi = k->n_clients;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (k->clients[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    ASSERT(lo < k->n_clients && k->clients[lo].id == id);
    return &k->clients[lo];
}

/* ---- client messages ------------------------------------------------------------------------ */

static uint32_t msg_new(struct kv_state *k) {
    if (k->n_free) return k->free_msgs[--k->n_free];
    if (k->n_msgs == k->cap_msgs) {
        k->cap_msgs = k->cap_msgs ? k->cap_msgs * 2 : 64;
        k->msgs = rs_xrealloc(k->msgs, k->cap_msgs * sizeof *k->msgs);
        k->free_msgs = rs_xrealloc(k->free_msgs, k->cap_msgs * sizeof *k->free_msgs);
    }
    k->msgs[k->n_msgs].value = NULL;
    return k->n_msgs++;
}

static void msg_free(struct kv_state *k, uint32_t slot) {
    free(k->msgs[slot].value);
    k->msgs[slot].value = NULL;
    k->free_msgs[k->n_free++] = slot;
}

static void trace_client_msg(sim *s, const char *ev, const kv_msg *m, const char *extra_key,
                             const char *extra) {
    trace_writer *t = s->tr;
    if (!t->on) return;
    const kv_hist *h = &s->kv->hist[m->op];
    trace_begin_event(t, s->now, ev);
    trace_u64(t, "client", s->kv->clients[h->client].id);
    trace_u64(t, "node", m->node);
    trace_u64(t, "op_id", h->seq);
    trace_u64(t, "id", m->id);
    if (extra_key) trace_str(t, extra_key, extra);
    trace_end(t);
}

/* Sends a request or a reply through the network: its current loss and delay, no partitions. */
static void msg_send(sim *s, uint32_t slot) {
    struct kv_state *k = s->kv;
    kv_msg *m = &k->msgs[slot];
    m->id = ++k->msg_id;
    /* Loss and delay, then duplication and the copy's delay: the network's own rules. */
    uint64_t u = rs_rng_next(&k->rng), v = rs_rng_next(&k->rng);
    int lost = (u & 0xffffffffu) < s->drop_threshold;
    uint64_t delay = rs_rng_scale32((uint32_t)(u >> 32), s->delay.min_us, s->delay.max_us);
    int dup = (v & 0xffffffffu) < s->duplicate_threshold;
    uint64_t delay2 = rs_rng_scale32((uint32_t)(v >> 32), s->delay.min_us, s->delay.max_us);
    trace_client_msg(s, m->is_reply ? "client_reply_send" : "client_send", m, NULL, NULL);
    if (lost) {
        trace_client_msg(s, "client_drop", m, "reason", "loss");
        msg_free(k, slot);
        return;
    }
    sim_push(s, s->now + delay, EV_CLIENT_MSG, slot);
    if (!dup) return;
    uint32_t copy = msg_new(k); /* may move k->msgs: m is not used from here */
    k->msgs[copy] = k->msgs[slot];
    if (k->msgs[slot].value) k->msgs[copy].value = rs_xstrdup(k->msgs[slot].value);
    sim_push(s, s->now + delay2, EV_CLIENT_MSG, copy);
}

static void send_request(sim *s, kv_client *c) {
    struct kv_state *k = s->kv;
    uint32_t slot = msg_new(k);
    k->msgs[slot] = (kv_msg){.op = (uint32_t)c->current, .node = c->target};
    msg_send(s, slot);
    c->timer_at = s->now + CLIENT_TIMEOUT_US;
    sim_push(s, c->timer_at, EV_CLIENT_TIMER, (uint32_t)(c - k->clients));
}

static void reply(sim *s, uint8_t node, uint32_t op, int status, uint8_t hint, const char *value) {
    struct kv_state *k = s->kv;
    uint32_t slot = msg_new(k);
    k->msgs[slot] = (kv_msg){.op = op,
                             .node = node,
                             .is_reply = 1,
                             .status = (uint8_t)status,
                             .hint = hint,
                             .value = value ? rs_xstrdup(value) : NULL};
    msg_send(s, slot);
}

/* ---- the client side ------------------------------------------------------------------------- */

static void trace_invoke(sim *s, const kv_hist *h) {
    trace_writer *t = s->tr;
    if (!t->on) return;
    const scn_event *e = h->ev;
    trace_begin_event(t, s->now, "client_invoke");
    trace_u64(t, "client", e->client);
    trace_u64(t, "op_id", h->seq);
    trace_str(t, "op", scn_kv_op_name(e->kv_op));
    trace_str(t, "key", e->key);
    if (e->value)
        trace_str(t, "value", e->value);
    else
        trace_null(t, "value");
    if (e->from_value)
        trace_str(t, "from", e->from_value);
    else
        trace_null(t, "from");
    trace_end(t);
}

static void trace_return(sim *s, const kv_hist *h) {
    trace_writer *t = s->tr;
    if (!t->on) return;
    static const char *const outcomes[] = {"ok", "fail", "unknown"};
    trace_begin_event(t, s->now, "client_return");
    trace_u64(t, "client", h->ev->client);
    trace_u64(t, "op_id", h->seq);
    trace_str(t, "outcome", outcomes[h->outcome]);
    if (h->result)
        trace_str(t, "value", h->result);
    else
        trace_null(t, "value");
    trace_end(t);
}

static void start_next(sim *s, kv_client *c) {
    struct kv_state *k = s->kv;
    if (c->current >= 0 || c->head == c->n_queue) return;
    c->current = c->queue[c->head++];
    kv_hist *h = &k->hist[c->current];
    h->state = ST_RUNNING;
    h->invoke_us = s->now;
    h->invoke_seq = ++k->clock;
    trace_invoke(s, h);
    send_request(s, c);
}

void kv_start_op(sim *s, uint32_t event_idx) {
    struct kv_state *k = s->kv;
    const scn_event *e = &s->scn->events[event_idx];
    kv_client *c = client_of(k, e->client);
    if (k->n_hist == k->cap_hist) {
        k->cap_hist = k->cap_hist ? k->cap_hist * 2 : 64;
        k->hist = rs_xrealloc(k->hist, k->cap_hist * sizeof *k->hist);
    }
    uint32_t op = k->n_hist++;
    k->hist[op] = (kv_hist){.client = (uint32_t)(c - k->clients), .seq = c->next_seq++, .ev = e};
    if (c->n_queue == c->cap_queue) {
        c->cap_queue = c->cap_queue ? c->cap_queue * 2 : 16;
        c->queue = rs_xrealloc(c->queue, c->cap_queue * sizeof *c->queue);
    }
    c->queue[c->n_queue++] = op;
    start_next(s, c);
}

static void complete(sim *s, kv_client *c, const kv_msg *m) {
    kv_hist *h = &s->kv->hist[c->current];
    h->state = ST_DONE;
    h->return_us = s->now;
    h->return_seq = ++s->kv->clock;
    s->res->kv_last_return_us = s->now;
    h->outcome = m->status == R_OK ? LZ_OK : LZ_FAIL;
    h->result = m->value ? rs_xstrdup(m->value) : NULL;
    trace_return(s, h);
    c->current = -1;
    c->timer_at = UINT64_MAX;
    start_next(s, c);
}

static void on_reply(sim *s, const kv_msg *m) {
    struct kv_state *k = s->kv;
    kv_client *c = &k->clients[k->hist[m->op].client];
    static const char *const names[] = {"ok", "fail", "redirect"};
    trace_client_msg(s, "client_reply", m, "status", names[m->status]);
    if (c->current != (int64_t)m->op) return; /* an answer to an earlier attempt, already done */
    if (m->status != R_REDIRECT) {
        complete(s, c, m);
        return;
    }
    if (m->hint && m->hint != m->node) {
        c->target = m->hint;
        send_request(s, c);
    } else { /* no leader known: wait a little, then the timer moves on to the next node */
        c->timer_at = s->now + CLIENT_BACKOFF_US;
        sim_push(s, c->timer_at, EV_CLIENT_TIMER, (uint32_t)(c - k->clients));
    }
}

int kv_on_timer(sim *s, uint32_t client, uint64_t t_us) {
    kv_client *c = &s->kv->clients[client];
    if (t_us != c->timer_at || c->current < 0) return 0; /* superseded */
    c->timer_at = UINT64_MAX;
    c->target = (uint8_t)(c->target % s->n + 1);
    send_request(s, c);
    return 1;
}

/* ---- the node side -----------------------------------------------------------------------------
 */

static void add_pending(kv_node *kn, uint32_t client, uint64_t seq) {
    if (kn->n_pending == kn->cap_pending) {
        kn->cap_pending = kn->cap_pending ? kn->cap_pending * 2 : 8;
        kn->pending = rs_xrealloc(kn->pending, kn->cap_pending * sizeof *kn->pending);
    }
    kn->pending[kn->n_pending++] = (pending_req){client, seq};
}

/* The command text shown in the trace, e.g. `append(k1, "x") c2#5`. */
static uint32_t kv_command(sim *s, uint32_t op) {
    const kv_hist *h = &s->kv->hist[op];
    const scn_event *e = h->ev;
    char buf[3 * RS_CMD_LEN_MAX + 64];
    rs_text t = {buf, 0, sizeof buf};
    rs_text_str(&t, scn_kv_op_name(e->kv_op));
    rs_text_str(&t, "(");
    rs_text_str(&t, e->key);
    if (e->kv_op == SCN_KV_CAS) {
        rs_text_str(&t, ", \"");
        rs_text_str(&t, e->from_value);
        rs_text_str(&t, "\" -> \"");
        rs_text_str(&t, e->value);
        rs_text_str(&t, "\"");
    } else if (e->kv_op != SCN_KV_GET) {
        rs_text_str(&t, ", \"");
        rs_text_str(&t, e->value);
        rs_text_str(&t, "\"");
    }
    rs_text_str(&t, ") c");
    rs_text_u64(&t, e->client);
    rs_text_str(&t, "#");
    rs_text_u64(&t, h->seq);
    uint32_t cmd = sim_cmd_add(s, buf, t.len);
    s->cmd_kv[cmd] = op + 1;
    return cmd;
}

static void on_request(sim *s, uint32_t slot) {
    struct kv_state *k = s->kv;
    kv_msg *m = &k->msgs[slot];
    node_status st = sim_node_status(s, m->node);
    const kv_hist *h = &k->hist[m->op];
    if (st.role != RAFT_ROLE_LEADER) {
        trace_client_msg(s, "client_request", m, "action", "redirect");
        reply(s, m->node, m->op, R_REDIRECT, st.leader_hint, NULL);
        return;
    }
    if (k->stale_read && h->ev->kv_op == SCN_KV_GET) {
        /* The bug: a leader answers a read from its own state, without making sure it still
         * is the leader (no log round, no heartbeat round). */
        trace_client_msg(s, "client_request", m, "action", "local_read");
        reply(s, m->node, m->op, R_OK, 0, kv_store_get(k->nodes[m->node].store, h->ev->key));
        return;
    }
    if (k->read_index && h->ev->kv_op == SCN_KV_GET) {
        /* ReadIndex (thesis 6.4): no log entry; answered when the node says it may be. */
        kv_node *kn = &k->nodes[m->node];
        uint64_t id = ++k->read_seq;
        node_out_clear(&s->out);
        if (!s->impl->read(s->nodes[m->node].node, s->now, id, &s->out)) {
            trace_client_msg(s, "client_request", m, "action", "refuse_read");
            reply(s, m->node, m->op, R_REDIRECT, 0, NULL);
            return;
        }
        trace_client_msg(s, "client_request", m, "action", "read_index");
        if (kn->n_reads == kn->cap_reads) {
            kn->cap_reads = kn->cap_reads ? kn->cap_reads * 2 : 8;
            kn->reads = rs_xrealloc(kn->reads, kn->cap_reads * sizeof *kn->reads);
        }
        kn->reads[kn->n_reads++] = (pending_read){.id = id, .op = m->op};
        sim_apply_out(s, m->node);
        sim_arm_timer(s, m->node);
        return;
    }
    trace_client_msg(s, "client_request", m, "action", "propose");
    uint32_t cmd = kv_command(s, m->op);
    add_pending(&k->nodes[m->node], h->client, h->seq);
    node_out_clear(&s->out);
    int ok = s->impl->propose(s->nodes[m->node].node, s->now, cmd, &s->out);
    s->res->submitted++;
    if (!ok) { /* a leader may still refuse (canonical raft during a leadership transfer) */
        k->nodes[m->node].n_pending--;
        reply(s, m->node, m->op, R_REDIRECT, 0, NULL);
        return;
    }
    s->res->accepted++;
    sim_apply_out(s, m->node);
    sim_arm_timer(s, m->node);
}

int kv_on_msg(sim *s, uint32_t slot) {
    struct kv_state *k = s->kv;
    kv_msg *m = &k->msgs[slot];
    if (m->is_reply) {
        on_reply(s, m);
        msg_free(k, slot);
        return 1;
    }
    sim_node *n = &s->nodes[m->node];
    if (!n->up) {
        trace_client_msg(s, "client_drop", m, "reason", "down");
        msg_free(k, slot);
        return 1;
    }
    if (n->paused) {
        sim_hold(s, m->node, EV_CLIENT_MSG, slot);
        return 0;
    }
    on_request(s, slot);
    msg_free(k, slot);
    return 1;
}

void kv_drop_held(sim *s, uint32_t slot) {
    trace_client_msg(s, "client_drop", &s->kv->msgs[slot], "reason", "down");
    msg_free(s->kv, slot);
}

void kv_on_apply(sim *s, uint8_t node, uint32_t cmd) {
    struct kv_state *k = s->kv;
    const kv_hist *h = &k->hist[s->cmd_kv[cmd] - 1];
    const scn_event *e = h->ev;
    kv_node *kn = &k->nodes[node];
    kv_op op = {.client = h->client,
                .seq = h->seq,
                .kind = e->kv_op,
                .key = e->key,
                .value = e->value,
                .from = e->from_value};
    kv_result res;
    kv_store_apply(kn->store, &op, k->dedup, &res);
    for (uint32_t i = 0; i < kn->n_pending; i++) {
        if (kn->pending[i].client != h->client || kn->pending[i].seq != h->seq) continue;
        kn->pending[i] = kn->pending[--kn->n_pending];
        reply(s, node, s->cmd_kv[cmd] - 1, res.ok ? R_OK : R_FAIL, 0, res.value);
        return;
    }
}

void kv_on_read(sim *s, uint8_t node, uint64_t id, uint64_t index) {
    kv_node *kn = &s->kv->nodes[node];
    for (uint32_t i = 0; i < kn->n_reads; i++) {
        if (kn->reads[i].id != id) continue;
        uint32_t op = kn->reads[i].op;
        kn->reads[i] = kn->reads[--kn->n_reads];
        const kv_hist *h = &s->kv->hist[op];
        trace_writer *t = s->tr;
        trace_begin_event(t, s->now, "read_index");
        trace_u64(t, "node", node);
        trace_u64(t, "client", s->kv->clients[h->client].id);
        trace_u64(t, "op_id", h->seq);
        trace_u64(t, "index", index);
        trace_end(t);
        reply(s, node, op, R_OK, 0, kv_store_get(kn->store, h->ev->key));
        return;
    }
    ASSERT(!"a node answered a read it was not asked");
}

void kv_on_crash(sim *s, uint8_t node) {
    s->kv->nodes[node].n_pending = 0;
    s->kv->nodes[node].n_reads = 0;
}

void kv_on_restart(sim *s, uint8_t node) {
    kv_node *kn = &s->kv->nodes[node];
    kn->n_pending = 0;
    if (kn->store) kv_store_reset(kn->store); /* rebuilt from index 1 as entries apply again */
}

void *kv_on_snapshot_save(sim *s, uint8_t node) {
    const kv_store *st = s->kv->nodes[node].store;
    return st ? kv_store_clone(st) : NULL;
}

void kv_on_snapshot_load(sim *s, uint8_t node, const void *saved) {
    kv_node *kn = &s->kv->nodes[node];
    if (!kn->store) return;
    kv_store_free(kn->store);
    kn->store = saved ? kv_store_clone(saved) : kv_store_new();
}

void kv_snapshot_free(void *saved) {
    kv_store_free(saved);
}

int kv_expect_holds(const sim *s, const scn_expect *e, char *why, size_t cap) {
    for (uint32_t i = 1; i <= s->n; i++) {
        if (!s->nodes[i].up) continue;
        const kv_store *st = s->kv->nodes[i].store;
        const char *v = st ? kv_store_get(st, e->kv_key) : NULL;
        int same = v && e->kv_value ? strcmp(v, e->kv_value) == 0 : v == e->kv_value;
        if (same) continue;
        snprintf(why, cap, "kv %s: node %u has %s%s%s", e->kv_key, i, v ? "\"" : "",
                 v ? v : "no value", v ? "\"" : "");
        return 0;
    }
    return 1;
}

/* ---- end of run -------------------------------------------------------------------------------
 */

static void report_not_linearizable(sim *s, const lz_result *lr) {
    chk_violation v = {.invariant = "linearizability"};
    snprintf(v.detail, sizeof v.detail,
             "the key-value history is not linearizable (key \"%.64s\", "
             "%zu operations cannot be ordered)",
             lr->key, lr->n_culprits);
    trace_writer *t = s->tr;
    trace_begin_event(t, s->now, "violation");
    trace_str(t, "invariant", v.invariant);
    trace_str(t, "detail", lr->explain);
    trace_end(t);
    s->res->violation = v;
    sim_stop(s, SIM_VIOLATION, "invariant linearizability violated at the end of the run: %s",
             lr->explain);
}

static lz_op to_lz(const struct kv_state *k, const kv_hist *h) {
    const scn_event *e = h->ev;
    return (lz_op){.client = k->clients[h->client].id,
                   .op_id = h->seq,
                   .kind = (lz_kind)e->kv_op,
                   .key = e->key,
                   .value = e->value,
                   .from = e->from_value,
                   .invoke_us = h->invoke_us,
                   .return_us = h->return_us,
                   .invoke_seq = h->invoke_seq,
                   .return_seq = h->return_seq,
                   .outcome = h->outcome,
                   .result = h->result};
}

void kv_finish(sim *s) {
    struct kv_state *k = s->kv;
    if (k->n_hist == 0) return;
    for (uint32_t i = 0; i < k->n_clients; i++) {
        kv_client *c = &k->clients[i];
        if (c->current < 0) continue;
        kv_hist *h = &k->hist[c->current];
        h->state = ST_DONE;
        h->outcome = LZ_UNKNOWN;
        trace_return(s, h);
        c->current = -1;
    }
    if (s->done) return; /* the run failed already; its history is cut short */
    lz_op *ops = rs_xcalloc(k->n_hist, sizeof *ops);
    size_t n = 0;
    for (uint32_t i = 0; i < k->n_hist; i++)
        if (k->hist[i].state == ST_DONE) ops[n++] = to_lz(k, &k->hist[i]);
    lz_result lr;
    lz_check(ops, n, 0, &lr);
    if (lr.linearizable == LZ_NO)
        report_not_linearizable(s, &lr);
    else if (lr.linearizable != LZ_YES)
        sim_stop(s, SIM_LIMIT, "the linearizability check gave up: %s", lr.explain);
    lz_result_free(&lr);
    free(ops);
}
