/* sim.c - the discrete-event loop: scenario events, node timers and message deliveries from
 * one queue ordered by (virtual time, sequence number), each handed to one node; the node's
 * effects go to the trace and the checker, its messages into the simulated network. */
#include "sim/raftsim.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "sim/engine/engine.h"
#include "sim/base/util.h"

static int ev_before(const sim_ev *a, const sim_ev *b) {
    return a->t_us < b->t_us || (a->t_us == b->t_us && a->seq < b->seq);
}

static void heap_push(ev_heap *h, uint64_t t_us, uint32_t kind, uint32_t arg) {
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
static sim_ev heap_pop(ev_heap *h) {
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

void sim_push(sim *s, uint64_t t_us, uint32_t kind, uint32_t arg) {
    heap_push(&s->heap, t_us, kind, arg);
}

void sim_stop(sim *s, sim_status status, const char *fmt, ...) {
    if (s->done) return;
    s->done = 1;
    s->res->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->res->reason, sizeof s->res->reason, fmt, ap);
    va_end(ap);
}

/* ---- commands ---------------------------------------------------------------------------- */

uint32_t sim_cmd_add(sim *s, const char *str, size_t len) {
    if (s->n_cmds == s->cap_cmds) {
        s->cap_cmds = s->cap_cmds ? s->cap_cmds * 2 : 256;
        s->cmd_off = rs_xrealloc(s->cmd_off, s->cap_cmds * sizeof *s->cmd_off);
        s->cmd_hash = rs_xrealloc(s->cmd_hash, s->cap_cmds * sizeof *s->cmd_hash);
        s->cmd_len = rs_xrealloc(s->cmd_len, s->cap_cmds * sizeof *s->cmd_len);
        s->cmd_kv = rs_xrealloc(s->cmd_kv, s->cap_cmds * sizeof *s->cmd_kv);
    }
    if (s->arena_len + len > s->arena_cap) {
        while (s->arena_len + len > s->arena_cap)
            s->arena_cap = s->arena_cap ? s->arena_cap * 2 : 4096;
        s->cmd_arena = rs_xrealloc(s->cmd_arena, s->arena_cap);
    }
    memcpy(s->cmd_arena + s->arena_len, str, len);
    uint32_t id = s->n_cmds++;
    s->cmd_kv[id] = 0;
    s->cmd_off[id] = s->arena_len;
    s->cmd_len[id] = (uint32_t)len;
    s->cmd_hash[id] = chk_cmd_hash(str, len);
    s->arena_len += len;
    return id;
}

static const char *cmd_str(const sim *s, uint32_t id) {
    return s->cmd_arena + s->cmd_off[id];
}

/* ---- effects: trace, check, send --------------------------------------------------------- */

static void report_violation(sim *s, const chk_violation *v) {
    trace_writer *t = s->tr;
    trace_begin_event(t, s->now, "violation");
    trace_str(t, "invariant", v->invariant);
    trace_str(t, "detail", v->detail);
    trace_u64(t, "node", v->node);
    if (v->other) trace_u64(t, "other", v->other);
    trace_u64(t, "term", v->term);
    trace_u64(t, "index", v->index);
    trace_end(t);
    s->res->violation = *v;
    sim_stop(s, SIM_VIOLATION, "invariant %s violated at %" PRIu64 " us: %s", v->invariant, s->now,
             v->detail);
}

/* Every checker verdict goes through here: a violation ends the run at once. */
static int checked(sim *s, chk_result r) {
    if (r == CHK_OK) return 1;
    ASSERT(r == CHK_VIOLATION); /* the simulator never feeds the checker a malformed sequence */
    report_violation(s, chk_violation_get(s->chk));
    return 0;
}

static void trace_entry(sim *s, const char *ev, uint8_t node, uint64_t index, const raft_entry *e) {
    trace_writer *t = s->tr;
    if (!t->on) return;
    trace_begin_event(t, s->now, ev);
    trace_u64(t, "node", node);
    trace_u64(t, "index", index);
    trace_u64(t, "term", e->term);
    trace_strn(t, "cmd", cmd_str(s, e->cmd), s->cmd_len[e->cmd]);
    trace_end(t);
}

static void fx_role(sim *s, uint8_t node, uint64_t term, raft_role role) {
    trace_begin_event(s->tr, s->now, "role");
    trace_u64(s->tr, "node", node);
    trace_u64(s->tr, "term", term);
    trace_str(s->tr, "role", raft_role_name(role));
    trace_end(s->tr);
    if (role == RAFT_LEADER) s->res->leaders++;
    checked(s, chk_role(s->chk, node, term, (int)role));
}

static void fx_vote(sim *s, uint8_t node, uint64_t term, uint8_t candidate) {
    trace_begin_event(s->tr, s->now, "vote");
    trace_u64(s->tr, "node", node);
    trace_u64(s->tr, "term", term);
    trace_u64(s->tr, "for", candidate);
    trace_end(s->tr);
    checked(s, chk_vote(s->chk, node, term, candidate));
}

static void fx_append(sim *s, uint8_t node, uint64_t first, uint64_t last) {
    const raft_node *r = &s->nodes[node].raft;
    for (uint64_t i = first; i <= last && !s->done; i++) {
        const raft_entry *e = &r->log[i];
        if (s->tr->on) trace_entry(s, "append", node, i, e);
        checked(s, chk_append(s->chk, node, i, e->term, s->cmd_hash[e->cmd]));
    }
    s->appended += last + 1 - first;
    if (r->log_len > RS_LOG_ENTRIES_MAX)
        sim_stop(s, SIM_LIMIT, "node %u's log passed the limit of %u entries", node,
                 RS_LOG_ENTRIES_MAX);
    else if (s->appended > RS_RUN_ENTRIES_MAX)
        sim_stop(s, SIM_LIMIT, "the nodes appended more than %llu entries in all",
                 (unsigned long long)RS_RUN_ENTRIES_MAX);
}

static void fx_truncate(sim *s, uint8_t node, uint64_t from) {
    trace_begin_event(s->tr, s->now, "truncate");
    trace_u64(s->tr, "node", node);
    trace_u64(s->tr, "from", from);
    trace_end(s->tr);
    checked(s, chk_truncate(s->chk, node, from));
}

static void fx_commit(sim *s, uint8_t node, uint64_t index) {
    trace_begin_event(s->tr, s->now, "commit");
    trace_u64(s->tr, "node", node);
    trace_u64(s->tr, "index", index);
    trace_end(s->tr);
    checked(s, chk_commit(s->chk, node, index));
}

static void watch_applied(sim *s, uint8_t node, uint32_t cmd) {
    for (uint32_t w = 0; w < s->n_watch; w++)
        if (s->watch_hash[w] == s->cmd_hash[cmd] && strlen(s->watch[w]) == s->cmd_len[cmd] &&
            memcmp(s->watch[w], cmd_str(s, cmd), s->cmd_len[cmd]) == 0)
            s->watch_applied[w * (s->n + 1) + node] = 1;
}

static void fx_apply(sim *s, uint8_t node, uint64_t first, uint64_t last) {
    const raft_node *r = &s->nodes[node].raft;
    for (uint64_t i = first; i <= last && !s->done; i++) {
        const raft_entry *e = &r->log[i];
        if (s->tr->on) trace_entry(s, "apply", node, i, e);
        checked(s, chk_apply(s->chk, node, i, e->term, s->cmd_hash[e->cmd]));
        if (s->n_watch) watch_applied(s, node, e->cmd);
        if (s->cmd_kv[e->cmd] && !s->done) kv_on_apply(s, node, e->cmd);
    }
}

static void net_send(sim *s, const raft_msg *m);

/* Hands one node's effects, in order, to the trace, the checker and the network. Persist
 * before send: once a message of the step has left, no persistent state may change. */
void sim_apply_out(sim *s, uint8_t node) {
    const raft_out *o = &s->out;
    int sent = 0;
    uint64_t term = s->nodes[node].raft.term;
    for (size_t i = 0; i < o->n_fx && !s->done; i++) {
        const raft_fx *f = &o->fx[i];
        ASSERT(!sent ||
               (f->kind != RAFT_FX_VOTE && f->kind != RAFT_FX_APPEND &&
                f->kind != RAFT_FX_TRUNCATE && !(f->kind == RAFT_FX_ROLE && f->a != term)));
        switch ((raft_fx_kind)f->kind) {
        case RAFT_FX_ROLE:
            fx_role(s, node, f->a, (raft_role)f->b);
            term = f->a;
            break;
        case RAFT_FX_VOTE: fx_vote(s, node, f->a, (uint8_t)f->b); break;
        case RAFT_FX_APPEND: fx_append(s, node, f->a, f->b); break;
        case RAFT_FX_TRUNCATE: fx_truncate(s, node, f->a); break;
        case RAFT_FX_COMMIT: fx_commit(s, node, f->a); break;
        case RAFT_FX_APPLY: fx_apply(s, node, f->a, f->b); break;
        case RAFT_FX_SEND: {
            raft_msg m = raft_out_msg(o, (size_t)f->a);
            net_send(s, &m);
            sent = 1;
            break;
        }
        }
    }
}

/* After a node's step its deadline may have moved earlier: schedule a timer event then. A
 * later deadline needs nothing: the pending event fires early, sees it, and re-arms. */
void sim_arm_timer(sim *s, uint8_t node) {
    sim_node *n = &s->nodes[node];
    uint64_t d = raft_deadline(&n->raft);
    if (d < s->now) d = s->now;
    if (d >= n->timer_at) return;
    n->timer_at = d;
    heap_push(&s->heap, d, EV_TIMER, node);
}

/* ---- the network ------------------------------------------------------------------------- */

static link_cfg *link_of(sim *s, uint8_t from, uint8_t to) {
    return s->links ? &s->links[(size_t)from * (s->n + 1) + to] : NULL;
}

static const char *blocked(sim *s, uint8_t from, uint8_t to) {
    if (s->group[from] != s->group[to]) return "partition";
    const link_cfg *l = link_of(s, from, to);
    if (l && l->down) return "link";
    return NULL;
}

static void trace_msg(sim *s, const char *ev, const raft_msg *m, uint64_t id, const char *reason) {
    trace_writer *t = s->tr;
    if (!t->on) return;
    trace_begin_event(t, s->now, ev);
    trace_u64(t, "from", m->from);
    trace_u64(t, "to", m->to);
    trace_str(t, "type", raft_msg_type_name((raft_msg_type)m->type));
    trace_u64(t, "id", id);
    if (reason) trace_str(t, "reason", reason);
    trace_end(t);
}

/* The send line carries the message's fields too, so a trace reads without the code. */
static void trace_send(sim *s, const raft_msg *m, uint64_t id) {
    trace_writer *t = s->tr;
    if (!t->on) return;
    trace_begin_event(t, s->now, "send");
    trace_u64(t, "from", m->from);
    trace_u64(t, "to", m->to);
    trace_str(t, "type", raft_msg_type_name((raft_msg_type)m->type));
    trace_u64(t, "id", id);
    trace_u64(t, "term", m->term);
    switch ((raft_msg_type)m->type) {
    case RAFT_MSG_REQUEST_VOTE:
        trace_u64(t, "last_index", m->index);
        trace_u64(t, "last_term", m->log_term);
        break;
    case RAFT_MSG_REQUEST_VOTE_REPLY: trace_bool(t, "granted", m->ok); break;
    case RAFT_MSG_APPEND_ENTRIES:
        trace_u64(t, "prev_index", m->index);
        trace_u64(t, "prev_term", m->log_term);
        trace_u64(t, "entries", m->n_entries);
        trace_u64(t, "commit", m->commit);
        break;
    case RAFT_MSG_APPEND_ENTRIES_REPLY:
        trace_bool(t, "success", m->ok);
        trace_u64(t, "index", m->index);
        if (!m->ok) trace_u64(t, "conflict_term", m->log_term);
        break;
    case RAFT_MSG_TYPE_COUNT: break;
    }
    trace_end(t);
}

static uint32_t slot_alloc(sim *s, const raft_msg *m, uint64_t id) {
    uint32_t i;
    if (s->n_free > 0) {
        i = s->free_slots[--s->n_free];
    } else {
        if (s->n_slots == s->cap_slots) {
            s->cap_slots = s->cap_slots ? s->cap_slots * 2 : 256;
            s->slots = rs_xrealloc(s->slots, s->cap_slots * sizeof *s->slots);
            s->free_slots = rs_xrealloc(s->free_slots, s->cap_slots * sizeof *s->free_slots);
        }
        i = s->n_slots++;
        s->slots[i].ebuf = NULL;
        s->slots[i].ebuf_cap = 0;
    }
    net_slot *sl = &s->slots[i];
    sl->m = *m;
    sl->id = id;
    sl->refs = 1;
    if (m->n_entries > 0) {
        ASSERT(m->n_entries <= RS_AE_ENTRIES_MAX);
        if (sl->ebuf_cap < m->n_entries) { /* grows to the largest message it carried */
            sl->ebuf = rs_xrealloc(sl->ebuf, m->n_entries * sizeof *sl->ebuf);
            sl->ebuf_cap = m->n_entries;
        }
        for (uint32_t k = 0; k < m->n_entries; k++) sl->ebuf[k] = m->entries[k];
    }
    sl->m.entries = m->n_entries ? sl->ebuf : NULL;
    return i;
}

static void slot_release(sim *s, uint32_t i) {
    ASSERT(s->slots[i].refs > 0);
    if (--s->slots[i].refs == 0) s->free_slots[s->n_free++] = i;
}

static void net_send(sim *s, const raft_msg *m) {
    uint64_t id = ++s->msg_id;
    s->res->msgs_sent++;
    if (s->tr->on) trace_send(s, m, id);
    /* Two draws per message whatever happens to it (loss and duplication; the two delays), so
     * that removing one fault keeps the rest of the run's random choices aligned (shrinking
     * relies on it). */
    const link_cfg *l = link_of(s, m->from, m->to);
    scn_range d = (l && l->has_delay) ? l->delay : s->delay;
    uint64_t drop = (l && l->has_drop) ? l->drop_threshold : s->drop_threshold;
    uint64_t u = rs_rng_next(&s->net_rng), v = rs_rng_next(&s->net_rng);
    int lost = (u & 0xffffffffu) < drop;
    int dup = (u >> 32) < s->duplicate_threshold;
    uint64_t d1 = rs_rng_scale32((uint32_t)v, d.min_us, d.max_us);
    uint64_t d2 = rs_rng_scale32((uint32_t)(v >> 32), d.min_us, d.max_us);
    const char *why = blocked(s, m->from, m->to);
    if (!why && lost) why = "loss";
    if (why) {
        s->res->msgs_dropped++;
        trace_msg(s, "drop", m, id, why);
        return;
    }
    if (s->heap.n >= RS_QUEUE_MAX) { /* checked here: one step may send very many */
        sim_stop(s, SIM_LIMIT, "more than %u events queued at once (a message flood)",
                 RS_QUEUE_MAX);
        return;
    }
    uint32_t slot = slot_alloc(s, m, id);
    heap_push(&s->heap, s->now + d1, EV_DELIVER, slot);
    if (dup) {
        s->slots[slot].refs++;
        heap_push(&s->heap, s->now + d2, EV_DELIVER, slot);
    }
}

static void on_deliver(sim *s, uint32_t slot) {
    net_slot *sl = &s->slots[slot];
    const raft_msg *m = &sl->m;
    sim_node *to = &s->nodes[m->to];
    const char *why = blocked(s, m->from, m->to);
    if (!why && !to->up) why = "down";
    if (why) {
        s->res->msgs_dropped++;
        trace_msg(s, "drop", m, sl->id, why);
        slot_release(s, slot);
        return;
    }
    if (to->paused) { /* held until resume, still counted in refs */
        sim_hold(s, m->to, EV_DELIVER, slot);
        return;
    }
    uint8_t dst = m->to;
    s->res->msgs_delivered++;
    if (s->tr->on) trace_msg(s, "deliver", m, sl->id, NULL);
    raft_out_clear(&s->out);
    raft_step(&to->raft, s->now, m, &s->out);
    slot_release(s, slot); /* the node copied what it kept: m must not be used from here */
    sim_apply_out(s, dst);
    sim_arm_timer(s, dst);
}

static void trace_node_event(sim *s, const char *ev, uint8_t node) {
    trace_begin_event(s->tr, s->now, ev);
    trace_u64(s->tr, "node", node);
    trace_end(s->tr);
}

/* Returns 1 if the event was a step (it did something), 0 if it was a stale timer. */
static int on_timer(sim *s, uint8_t node, uint64_t t_us) {
    sim_node *n = &s->nodes[node];
    if (t_us != n->timer_at) return 0; /* superseded by an earlier one */
    n->timer_at = TIME_NEVER;
    if (!n->up || n->paused) return 0; /* restart and resume re-arm */
    if (raft_deadline(&n->raft) > s->now) {
        sim_arm_timer(s, node);
        return 0;
    }
    /* A leader's timer is its heartbeat; anyone else's is an election timeout. */
    trace_node_event(s, n->raft.role == RAFT_LEADER ? "heartbeat" : "timeout", node);
    raft_out_clear(&s->out);
    raft_tick(&n->raft, s->now, &s->out);
    sim_apply_out(s, node);
    sim_arm_timer(s, node);
    return 1;
}

/* ---- node references and cluster queries --------------------------------------------------- */

/* The leader in the highest term among live nodes, 0 if none. Paused nodes are live. */
uint8_t sim_leader_now(const sim *s) {
    uint8_t best = 0;
    for (uint32_t i = 1; i <= s->n; i++) {
        const sim_node *n = &s->nodes[i];
        if (!n->up || n->raft.role != RAFT_LEADER) continue;
        if (!best || n->raft.term > s->nodes[best].raft.term) best = i;
    }
    return best;
}

static uint64_t highest_term(const sim *s) {
    uint64_t t = 0;
    for (uint32_t i = 1; i <= s->n; i++)
        if (s->nodes[i].up && s->nodes[i].raft.term > t) t = s->nodes[i].raft.term;
    return t;
}

static const char *ref_name(scn_ref r) {
    switch (r) {
    case SCN_REF_LEADER: return "leader";
    case SCN_REF_FOLLOWER: return "follower";
    case SCN_REF_CRASHED: return "crashed";
    default: return "node";
    }
}

/* Resolves a reference when its event runs; 0 if it names no node now. */
static uint8_t resolve(const sim *s, scn_ref r) {
    if (r > 0) return (uint8_t)r;
    uint8_t leader = sim_leader_now(s);
    switch (r) {
    case SCN_REF_LEADER: return leader;
    case SCN_REF_FOLLOWER:
        for (uint32_t i = 1; i <= s->n; i++)
            if (s->nodes[i].up && i != leader) return i;
        return 0;
    case SCN_REF_CRASHED: return s->n_crashed ? s->crashed[s->n_crashed - 1] : 0;
    default: ASSERT(!"unknown node reference"); return 0;
    }
}

/* Resolves the reference of scenario event idx, or fails the run naming the event; an
 * optional event is skipped instead (0 is returned either way, and the caller gives up). */
static uint8_t resolve_or_fail(sim *s, uint32_t idx, scn_ref r) {
    uint8_t id = resolve(s, r);
    if (!id && s->scn->events[idx].optional) {
        trace_begin_event(s->tr, s->now, "skip");
        trace_u64(s->tr, "event", idx);
        trace_str(s->tr, "why", ref_name(r));
        trace_end(s->tr);
        return 0;
    }
    if (!id) s->res->fail_event = idx;
    if (!id)
        sim_stop(s, SIM_EXPECT_FAILED, "events[%u] at %" PRIu64 " us: no %s node to act on", idx,
                 s->now, ref_name(r));
    return id;
}

/* ---- scenario actions ------------------------------------------------------------------------ */

void sim_hold(sim *s, uint8_t node, uint32_t kind, uint32_t arg) {
    sim_node *n = &s->nodes[node];
    if (n->n_held == n->cap_held) {
        n->cap_held = n->cap_held ? n->cap_held * 2 : 16;
        n->held = rs_xrealloc(n->held, n->cap_held * sizeof *n->held);
    }
    n->held[n->n_held++] = (held_msg){.kind = kind, .arg = arg};
}

static void crashed_remove(sim *s, uint8_t node) {
    uint32_t k = 0;
    for (uint32_t i = 0; i < s->n_crashed; i++)
        if (s->crashed[i] != node) s->crashed[k++] = s->crashed[i];
    s->n_crashed = k;
}

static void do_crash(sim *s, uint8_t node) {
    sim_node *n = &s->nodes[node];
    if (!n->up) return;
    trace_node_event(s, "crash", node);
    n->up = 0;
    n->paused = 0;
    for (size_t i = 0; i < n->n_held; i++) {
        const held_msg *h = &n->held[i];
        if (h->kind == EV_CLIENT_MSG) {
            kv_drop_held(s, h->arg);
            continue;
        }
        net_slot *sl = &s->slots[h->arg];
        s->res->msgs_dropped++;
        trace_msg(s, "drop", &sl->m, sl->id, "down");
        slot_release(s, h->arg);
    }
    n->n_held = 0;
    kv_on_crash(s, node);
    s->crashed[s->n_crashed++] = node;
    checked(s, chk_crash(s->chk, node));
}

static void do_restart(sim *s, uint8_t node) {
    sim_node *n = &s->nodes[node];
    if (n->up) return;
    trace_node_event(s, "restart", node);
    n->up = 1;
    crashed_remove(s, node);
    for (uint32_t w = 0; w < s->n_watch; w++) /* the state machine is rebuilt from index 1 */
        s->watch_applied[w * (s->n + 1) + node] = 0;
    kv_on_restart(s, node);
    if (!checked(s, chk_restart(s->chk, node))) return;
    raft_out_clear(&s->out);
    raft_start(&n->raft, s->now, &s->out);
    sim_apply_out(s, node);
    sim_arm_timer(s, node);
}

static void do_pause(sim *s, uint8_t node) {
    sim_node *n = &s->nodes[node];
    if (!n->up || n->paused) return;
    trace_node_event(s, "pause", node);
    n->paused = 1;
}

/* A resumed node first fires the timers that came due while it was frozen, then handles the
 * messages that waited for it, in arrival order: all at the resume instant. */
static void do_resume(sim *s, uint8_t node) {
    sim_node *n = &s->nodes[node];
    if (!n->up || !n->paused) return;
    trace_node_event(s, "resume", node);
    n->paused = 0;
    n->timer_at = TIME_NEVER;
    sim_arm_timer(s, node);
    for (size_t i = 0; i < n->n_held; i++)
        heap_push(&s->heap, s->now, n->held[i].kind, n->held[i].arg);
    n->n_held = 0;
}

static void trace_groups(sim *s, const char *ev) {
    trace_writer *t = s->tr;
    if (!t->on) return;
    /* Groups by id (1.., then the unlisted nodes' group 0 last), members in id order. */
    char buf[RS_NODES_MAX * 6 + 8];
    size_t o = 0;
    buf[o++] = '[';
    uint8_t max_group = 0;
    for (uint32_t i = 1; i <= s->n; i++)
        if (s->group[i] > max_group) max_group = s->group[i];
    for (uint32_t k = 1; k <= (uint32_t)max_group + 1; k++) {
        uint8_t g = (uint8_t)(k == (uint32_t)max_group + 1 ? 0 : k);
        size_t start = o;
        if (o > 1) buf[o++] = ',';
        buf[o++] = '[';
        int any = 0;
        for (uint32_t i = 1; i <= s->n; i++) {
            if (s->group[i] != g) continue;
            o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%u", any ? "," : "", i);
            any = 1;
        }
        buf[o++] = ']';
        if (!any) o = start; /* skip empty groups */
    }
    buf[o++] = ']';
    buf[o] = '\0';
    trace_begin_event(t, s->now, ev);
    trace_raw(t, "groups", buf);
    trace_end(t);
}

static void do_partition(sim *s, uint32_t idx, const scn_event *e) {
    uint8_t group[RS_NODES_MAX + 1] = {0};
    for (uint32_t g = 0; g < e->n_groups; g++) {
        for (uint32_t k = 0; k < e->group_len[g]; k++) {
            uint8_t id = resolve_or_fail(s, idx, e->groups[g][k]);
            if (!id) return;
            if (group[id]) {
                sim_stop(s, SIM_EXPECT_FAILED,
                         "events[%u] at %" PRIu64 " us: node %u is in two groups once references "
                         "are resolved",
                         idx, s->now, id);
                return;
            }
            group[id] = (uint8_t)(g + 1);
        }
    }
    memcpy(s->group, group, sizeof group);
    trace_groups(s, "partition");
}

static void do_heal(sim *s) {
    memset(s->group, 0, sizeof s->group);
    if (s->links) memset(s->links, 0, (size_t)(s->n + 1) * (s->n + 1) * sizeof *s->links);
    trace_groups(s, "heal");
}

static void do_link(sim *s, uint32_t idx, const scn_event *e) {
    uint8_t from = resolve_or_fail(s, idx, e->from), to = from ? resolve_or_fail(s, idx, e->to) : 0;
    if (!from || !to) return;
    if (!s->links) s->links = rs_xcalloc((size_t)(s->n + 1) * (s->n + 1), sizeof *s->links);
    link_cfg *l = link_of(s, from, to);
    trace_begin_event(s->tr, s->now, "link");
    trace_u64(s->tr, "from", from);
    trace_u64(s->tr, "to", to);
    if (e->has_up) {
        l->down = !e->up;
        trace_bool(s->tr, "up", e->up);
    }
    if (e->has_drop_rate) {
        l->has_drop = 1;
        l->drop_threshold = rs_rng_threshold32(e->drop_rate);
        trace_f64(s->tr, "drop_rate", e->drop_rate);
    }
    if (e->has_delay) {
        l->has_delay = 1;
        l->delay = e->delay;
        trace_u64(s->tr, "delay_min_us", e->delay.min_us);
        trace_u64(s->tr, "delay_max_us", e->delay.max_us);
    }
    trace_end(s->tr);
}

static void do_network(sim *s, const scn_event *e) {
    if (e->has_delay) s->delay = e->delay;
    if (e->has_drop_rate) s->drop_rate = e->drop_rate;
    if (e->has_duplicate_rate) s->duplicate_rate = e->duplicate_rate;
    s->drop_threshold = rs_rng_threshold32(s->drop_rate);
    s->duplicate_threshold = rs_rng_threshold32(s->duplicate_rate);
    trace_begin_event(s->tr, s->now, "network");
    trace_u64(s->tr, "delay_min_us", s->delay.min_us);
    trace_u64(s->tr, "delay_max_us", s->delay.max_us);
    trace_f64(s->tr, "drop_rate", s->drop_rate);
    trace_f64(s->tr, "duplicate_rate", s->duplicate_rate);
    trace_end(s->tr);
}

static void submit_one(sim *s, uint8_t node, uint32_t cmd) {
    sim_node *n = &s->nodes[node];
    int ok = 0;
    raft_out_clear(&s->out);
    if (n->up && !n->paused) ok = raft_propose(&n->raft, s->now, cmd, &s->out);
    s->res->submitted++;
    s->res->accepted += (uint64_t)ok;
    trace_begin_event(s->tr, s->now, "submit");
    trace_u64(s->tr, "node", node);
    trace_strn(s->tr, "cmd", cmd_str(s, cmd), s->cmd_len[cmd]);
    trace_bool(s->tr, "accepted", ok);
    trace_end(s->tr);
    if (!ok) return;
    sim_apply_out(s, node);
    sim_arm_timer(s, node);
}

static void do_submit(sim *s, uint8_t node, const scn_event *e) {
    if (e->command) {
        submit_one(s, node, sim_cmd_add(s, e->command, strlen(e->command)));
        return;
    }
    for (uint32_t i = 0; i < e->count && !s->done; i++) {
        char buf[32]; /* "cmd<n>", formatted by hand: snprintf costs more than the step */
        size_t len = sizeof buf;
        uint64_t v = ++s->generated;
        do buf[--len] = (char)('0' + v % 10);
        while ((v /= 10) > 0);
        memcpy(buf + len - 3, "cmd", 3);
        len -= 3;
        submit_one(s, node, sim_cmd_add(s, buf + len, sizeof buf - len));
    }
}

/* ---- expectations ---------------------------------------------------------------------------- */

/* Checks a commit bound on the nodes `on` names (all live nodes if none); a named node that is
 * down fails it. Writes the first offender into why. */
static int commit_bound_holds(const sim *s, const scn_expect *e, int at_least, uint64_t bound,
                              char *why, size_t cap) {
    uint32_t count = e->n_on ? e->n_on : s->n;
    for (uint32_t k = 0; k < count; k++) {
        uint8_t id = e->n_on ? resolve(s, e->on[k]) : (uint8_t)(k + 1);
        if (!e->n_on && !s->nodes[id].up) continue;
        if (!id || !s->nodes[id].up) {
            snprintf(why, cap, "committed_at_%s %" PRIu64 ": %s %u is down or absent",
                     at_least ? "least" : "most", bound, ref_name(e->on[k]), id);
            return 0;
        }
        uint64_t c = s->nodes[id].raft.commit;
        if (at_least ? c < bound : c > bound) {
            snprintf(why, cap, "committed_at_%s %" PRIu64 ": node %u has commit index %" PRIu64,
                     at_least ? "least" : "most", bound, id, c);
            return 0;
        }
    }
    return 1;
}

static int applied_holds(const sim *s, const scn_expect *e, char *why, size_t cap) {
    uint32_t w = 0;
    while (w < s->n_watch && strcmp(s->watch[w], e->applied_cmd) != 0) w++;
    ASSERT(w < s->n_watch);
    uint32_t count = e->n_on ? e->n_on : s->n;
    for (uint32_t k = 0; k < count; k++) {
        uint8_t id = e->n_on ? resolve(s, e->on[k]) : (uint8_t)(k + 1);
        if (!e->n_on && !s->nodes[id].up) continue;
        if (!id || !s->nodes[id].up || !s->watch_applied[w * (s->n + 1) + id]) {
            snprintf(why, cap, "applied_cmd \"%s\": node %u has not applied it%s", e->applied_cmd,
                     id, id && !s->nodes[id].up ? " (down)" : "");
            return 0;
        }
    }
    return 1;
}

static int logs_match_holds(const sim *s, char *why, size_t cap) {
    uint8_t first = 0;
    for (uint32_t i = 1; i <= s->n; i++) {
        const raft_node *r = &s->nodes[i].raft;
        if (!s->nodes[i].up) continue;
        if (!first) {
            first = i;
            continue;
        }
        const raft_node *f = &s->nodes[first].raft;
        if (r->commit != f->commit) {
            snprintf(why, cap, "logs_match: node %u commit index %" PRIu64 ", node %u %" PRIu64,
                     first, f->commit, i, r->commit);
            return 0;
        }
        if (chk_chain(s->chk, i, r->commit) != chk_chain(s->chk, first, f->commit)) {
            snprintf(why, cap, "logs_match: nodes %u and %u differ within index %" PRIu64, first, i,
                     r->commit);
            return 0;
        }
    }
    return 1;
}

static int leader_holds(const sim *s, const scn_expect *e, char *why, size_t cap) {
    uint8_t l = sim_leader_now(s);
    if (e->has_leader) {
        int ok = e->leader == SCN_LEADER_ANY    ? l != 0
                 : e->leader == SCN_LEADER_NONE ? l == 0
                                                : l == e->leader;
        if (!ok) {
            if (l)
                snprintf(why, cap, "leader: node %u is leader (term %" PRIu64 ")", l,
                         s->nodes[l].raft.term);
            else
                snprintf(why, cap, "leader: no live node is leader");
            return 0;
        }
    }
    if (e->has_leader_not && l == e->leader_not) {
        snprintf(why, cap, "leader_not %u: node %u is leader", e->leader_not, l);
        return 0;
    }
    return 1;
}

static int role_holds(const sim *s, const scn_expect *e, char *why, size_t cap) {
    uint8_t id = resolve(s, e->role_node);
    static const raft_role want[] = {RAFT_FOLLOWER, RAFT_CANDIDATE, RAFT_LEADER};
    if (!id || !s->nodes[id].up) {
        snprintf(why, cap, "role: %s %u is down or absent", ref_name(e->role_node), id);
        return 0;
    }
    raft_role r = s->nodes[id].raft.role;
    if (r == want[e->role_is]) return 1;
    snprintf(why, cap, "role: node %u is %s, not %s", id, raft_role_name(r),
             raft_role_name(want[e->role_is]));
    return 0;
}

/* Does the condition hold now? If not, why says what was seen instead. */
static int expect_holds(const sim *s, const scn_expect *e, char *why, size_t cap) {
    if (!leader_holds(s, e, why, cap)) return 0;
    /* Evaluated after every step while an expectation waits: walk the nodes only if asked. */
    uint64_t term = e->has_term_at_most || e->has_term_at_least ? highest_term(s) : 0;
    if (e->has_term_at_most && term > e->term_at_most) {
        snprintf(why, cap, "term_at_most %" PRIu64 ": highest term is %" PRIu64, e->term_at_most,
                 term);
        return 0;
    }
    if (e->has_term_at_least && term < e->term_at_least) {
        snprintf(why, cap, "term_at_least %" PRIu64 ": highest term is %" PRIu64, e->term_at_least,
                 term);
        return 0;
    }
    if (e->has_committed_at_least && !commit_bound_holds(s, e, 1, e->committed_at_least, why, cap))
        return 0;
    if (e->has_committed_at_most && !commit_bound_holds(s, e, 0, e->committed_at_most, why, cap))
        return 0;
    if (e->has_logs_match && !logs_match_holds(s, why, cap)) return 0;
    if (e->has_role && !role_holds(s, e, why, cap)) return 0;
    if (e->applied_cmd && !applied_holds(s, e, why, cap)) return 0;
    if (e->has_kv && !kv_expect_holds(s, e, why, cap)) return 0;
    return 1;
}

static void trace_expect(sim *s, uint32_t idx, int ok, const char *why) {
    trace_begin_event(s->tr, s->now, "expect");
    trace_u64(s->tr, "event", idx);
    trace_bool(s->tr, "ok", ok);
    if (!ok) trace_str(s->tr, "why", why);
    trace_end(s->tr);
}

static void expect_failed(sim *s, uint32_t idx, const char *why) {
    const scn_event *e = &s->scn->events[idx];
    s->res->fail_event = idx;
    trace_expect(s, idx, 0, why);
    if (e->has_within)
        sim_stop(s, SIM_EXPECT_FAILED, "events[%u] (expect at %g ms within %g ms): %s", idx,
                 (double)e->at_us / 1000.0, (double)e->within_us / 1000.0, why);
    else
        sim_stop(s, SIM_EXPECT_FAILED, "events[%u] (expect at %g ms): %s", idx,
                 (double)e->at_us / 1000.0, why);
}

static void on_expect(sim *s, uint32_t idx) {
    const scn_event *e = &s->scn->events[idx];
    char why[256];
    if (expect_holds(s, &e->expect, why, sizeof why)) {
        trace_expect(s, idx, 1, NULL);
    } else if (e->has_within) {
        s->pending[s->n_pending++] = idx;
        heap_push(&s->heap, e->at_us + e->within_us, EV_EXPECT_DEADLINE, idx);
    } else {
        expect_failed(s, idx, why);
    }
}

/* After every step: the pending expectations that now hold are met. */
static void check_pending(sim *s) {
    uint32_t k = 0;
    char why[256];
    for (uint32_t i = 0; i < s->n_pending; i++) {
        uint32_t idx = s->pending[i];
        if (expect_holds(s, &s->scn->events[idx].expect, why, sizeof why))
            trace_expect(s, idx, 1, NULL);
        else
            s->pending[k++] = idx;
    }
    s->n_pending = k;
}

static void on_expect_deadline(sim *s, uint32_t idx) {
    for (uint32_t i = 0; i < s->n_pending; i++) {
        if (s->pending[i] != idx) continue;
        char why[256];
        s->pending[i] = s->pending[--s->n_pending];
        if (expect_holds(s, &s->scn->events[idx].expect, why, sizeof why))
            trace_expect(s, idx, 1, NULL);
        else
            expect_failed(s, idx, why);
        return;
    }
}

/* ---- the run -----------------------------------------------------------------------------------
 */

static void on_scenario_event(sim *s, uint32_t idx) {
    const scn_event *e = &s->scn->events[idx];
    uint8_t node = 0;
    switch (e->kind) {
    case SCN_DO_CRASH:
    case SCN_DO_RESTART:
    case SCN_DO_PAUSE:
    case SCN_DO_RESUME:
    case SCN_DO_SUBMIT:
        node = resolve_or_fail(s, idx, e->node);
        if (!node) return;
        break;
    default: break;
    }
    switch (e->kind) {
    case SCN_DO_CRASH: do_crash(s, node); break;
    case SCN_DO_RESTART: do_restart(s, node); break;
    case SCN_DO_PAUSE: do_pause(s, node); break;
    case SCN_DO_RESUME: do_resume(s, node); break;
    case SCN_DO_PARTITION: do_partition(s, idx, e); break;
    case SCN_DO_HEAL: do_heal(s); break;
    case SCN_DO_LINK: do_link(s, idx, e); break;
    case SCN_DO_NETWORK: do_network(s, e); break;
    case SCN_DO_SUBMIT: do_submit(s, node, e); break;
    case SCN_EXPECT: on_expect(s, idx); break;
    case SCN_DO_KV: kv_start_op(s, idx); break;
    case SCN_KIND_COUNT: ASSERT(!"bad event kind"); break;
    }
}

/* Initial persisted state, written at t = 0 as SPEC section 3 says, and shown to the checker. */
static void load_initial(sim *s) {
    for (uint32_t k = 0; k < s->scn->n_initial && !s->done; k++) {
        const scn_initial *in = &s->scn->initial[k];
        raft_entry *es = rs_xcalloc(in->n_log ? in->n_log : 1, sizeof *es);
        for (uint32_t i = 0; i < in->n_log; i++)
            es[i] = (raft_entry){.term = in->log[i].term,
                                 .cmd = sim_cmd_add(s, in->log[i].cmd, strlen(in->log[i].cmd))};
        raft_load(&s->nodes[in->node].raft, in->term, in->voted_for, es, in->n_log);
        free(es);
        fx_role(s, in->node, in->term, RAFT_FOLLOWER);
        if (in->voted_for && !s->done) fx_vote(s, in->node, in->term, in->voted_for);
        if (in->n_log && !s->done) fx_append(s, in->node, 1, in->n_log);
    }
}

/* Collects the commands that applied_cmd expectations name, each once. */
static void init_watch(sim *s) {
    const scenario *scn = s->scn;
    for (uint32_t i = 0; i < scn->n_events; i++) {
        const char *c = scn->events[i].expect.applied_cmd;
        if (scn->events[i].kind != SCN_EXPECT || !c) continue;
        uint32_t w = 0;
        while (w < s->n_watch && strcmp(s->watch[w], c) != 0) w++;
        if (w < s->n_watch) continue;
        s->watch = rs_xrealloc(s->watch, (s->n_watch + 1) * sizeof *s->watch);
        s->watch_hash = rs_xrealloc(s->watch_hash, (s->n_watch + 1) * sizeof *s->watch_hash);
        s->watch[s->n_watch] = c;
        s->watch_hash[s->n_watch++] = chk_cmd_hash(c, strlen(c));
    }
    s->watch_applied = rs_xcalloc((size_t)s->n_watch * (s->n + 1) + 1, 1);
}

static void sim_init(sim *s, const sim_config *cfg, sim_result *res) {
    const scenario *scn = cfg->scn;
    memset(s, 0, sizeof *s);
    memset(res, 0, sizeof *res);
    res->fail_event = -1;
    s->scn = scn;
    s->cfg = cfg;
    s->res = res;
    s->n = scn->nodes;
    ASSERT(s->n >= 1 && s->n <= RS_NODES_MAX);
    trace_init_off(&s->off);
    s->tr = cfg->trace ? cfg->trace : &s->off;
    s->chk = chk_new(s->n);
    raft_out_init(&s->out);
    rs_rng_seed(&s->net_rng, cfg->seed, 0);
    s->delay = scn->delay;
    s->drop_rate = scn->drop_rate;
    s->duplicate_rate = scn->duplicate_rate;
    s->drop_threshold = rs_rng_threshold32(s->drop_rate);
    s->duplicate_threshold = rs_rng_threshold32(s->duplicate_rate);
    s->crashed = rs_xcalloc(s->n + 1, 1);
    s->pending = rs_xcalloc(scn->n_events + 1, sizeof *s->pending);
    s->nodes = rs_xcalloc(s->n + 1, sizeof *s->nodes);
    init_watch(s);
    kv_init(s);
    raft_config rc = {.election_timeout_min_us = scn->election_timeout.min_us,
                      .election_timeout_max_us = scn->election_timeout.max_us,
                      .heartbeat_us = scn->heartbeat_us,
                      .max_entries_per_msg = RS_AE_ENTRIES_MAX,
                      .bugs = cfg->bugs};
    for (uint32_t i = 1; i <= s->n; i++) {
        rs_rng seeder;
        rs_rng_seed(&seeder, cfg->seed, i); /* one independent stream per node */
        raft_init(&s->nodes[i].raft, (uint8_t)i, (uint8_t)s->n, &rc, rs_rng_next(&seeder));
        s->nodes[i].up = 1;
        s->nodes[i].timer_at = TIME_NEVER;
    }
}

static void sim_destroy(sim *s) {
    for (uint32_t i = 1; i <= s->n; i++) {
        raft_free(&s->nodes[i].raft);
        free(s->nodes[i].held);
    }
    free(s->nodes);
    for (uint32_t i = 0; i < s->n_slots; i++) free(s->slots[i].ebuf);
    free(s->slots);
    free(s->free_slots);
    free(s->links);
    free(s->heap.v);
    free(s->cmd_arena);
    free(s->cmd_off);
    free(s->cmd_hash);
    free(s->cmd_len);
    free(s->crashed);
    free(s->pending);
    free(s->order);
    free(s->watch);
    free(s->watch_hash);
    free(s->watch_applied);
    kv_free(s);
    free(s->cmd_kv);
    chk_free(s->chk);
    raft_out_free(&s->out);
}

static void write_header(sim *s) {
    if (!s->tr->on) return;
    scenario as_run = *s->scn; /* shallow: only read by scn_to_json */
    as_run.seed = s->cfg->seed;
    char *json = scn_to_json(&as_run);
    trace_header(s->tr, json, s->cfg->seed, s->cfg->bug_name, s->cfg->build);
    free(json);
}

static void write_end(sim *s) {
    trace_writer *t = s->tr;
    if (!t->on) return;
    static const char *const results[] = {"ok", "violation", "expect_failed", "limit", "stopped"};
    char hash[24];
    snprintf(hash, sizeof hash, "%016" PRIx64, t->hash);
    trace_begin_raw(t);
    trace_str(t, "type", "end");
    trace_str(t, "result", results[s->res->status]);
    trace_u64(t, "events", t->seq);
    trace_str(t, "hash", hash);
    if (s->res->status == SIM_VIOLATION) {
        const chk_violation *v = &s->res->violation;
        char vbuf[700], det[600];
        trace_escape(det, sizeof det, v->detail, strlen(v->detail));
        snprintf(vbuf, sizeof vbuf,
                 "{\"invariant\":\"%s\",\"node\":%u,\"term\":%" PRIu64 ",\"index\":%" PRIu64
                 ",\"detail\":\"%s\"}",
                 v->invariant, v->node, v->term, v->index, det);
        trace_raw(t, "violation", vbuf);
    } else if (s->res->status != SIM_PASS) {
        trace_str(t, "reason", s->res->reason);
    }
    trace_end_raw(t);
}

/* Handles one queued event; returns 1 if it was a step of the run. */
static int handle(sim *s, const sim_ev *ev) {
    switch (ev->kind) {
    case EV_TIMER: return on_timer(s, (uint8_t)ev->arg, ev->t_us);
    case EV_DELIVER: on_deliver(s, ev->arg); return 1;
    case EV_SCENARIO: on_scenario_event(s, ev->arg); return 1;
    case EV_EXPECT_DEADLINE: on_expect_deadline(s, ev->arg); return 1;
    case EV_CLIENT_MSG: return kv_on_msg(s, ev->arg);
    case EV_CLIENT_TIMER: return kv_on_timer(s, ev->arg, ev->t_us);
    default: ASSERT(!"unknown event kind"); return 0;
    }
}

/* Stable merge sort of the scenario's event indices by time. */
static void sort_events(sim *s) {
    uint32_t n = s->scn->n_events;
    const scn_event *ev = s->scn->events;
    uint32_t *a = rs_xmalloc(((size_t)n + 1) * sizeof *a),
             *tmp = rs_xmalloc(((size_t)n + 1) * sizeof *tmp);
    for (uint32_t i = 0; i < n; i++) a[i] = i;
    for (uint32_t width = 1; width < n; width *= 2) {
        for (uint32_t lo = 0; lo < n; lo += 2 * width) {
            uint32_t mid = lo + width < n ? lo + width : n,
                     hi = lo + 2 * width < n ? lo + 2 * width : n;
            uint32_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) tmp[k++] = ev[a[j]].at_us < ev[a[i]].at_us ? a[j++] : a[i++];
            while (i < mid) tmp[k++] = a[i++];
            while (j < hi) tmp[k++] = a[j++];
        }
        memcpy(a, tmp, (size_t)n * sizeof *a);
    }
    free(tmp);
    s->order = a;
}

/* The next event: the next scenario event if it is due no later than the queue's first. */
static int next_event(sim *s, sim_ev *ev) {
    const scn_event *se =
        s->next_event < s->scn->n_events ? &s->scn->events[s->order[s->next_event]] : NULL;
    if (se && (s->heap.n == 0 || se->at_us <= s->heap.v[0].t_us)) {
        *ev = (sim_ev){.t_us = se->at_us, .kind = EV_SCENARIO, .arg = s->order[s->next_event++]};
        return ev->t_us <= s->scn->run_us;
    }
    if (s->heap.n == 0 || s->heap.v[0].t_us > s->scn->run_us) return 0;
    *ev = heap_pop(&s->heap);
    return 1;
}

static void main_loop(sim *s) {
    uint64_t max_steps = s->cfg->max_steps ? s->cfg->max_steps : RS_RUN_EVENTS_MAX;
    uint64_t observe_every = s->cfg->observe_every ? s->cfg->observe_every : 4096;
    ASSERT((observe_every & (observe_every - 1)) == 0);
    sim_ev ev;
    while (!s->done && next_event(s, &ev)) {
        ASSERT(ev.t_us >= s->now); /* virtual time never runs backwards */
        s->now = ev.t_us;
        if (!handle(s, &ev)) continue;
        if (++s->res->steps >= max_steps)
            sim_stop(s, SIM_LIMIT, "run passed the limit of %" PRIu64 " events", max_steps);
        if (s->cfg->observe && (s->res->steps & (observe_every - 1)) == 0)
            s->cfg->observe(s->cfg->observe_ctx, s->now, s->res->steps);
        if (s->n_pending && !s->done) check_pending(s);

        if (s->tr->stopped) sim_stop(s, SIM_STOPPED, "trace output stopped the run");
    }
}

void sim_run(const sim_config *cfg, sim_result *res) {
    sim s;
    sim_init(&s, cfg, res);
    write_header(&s);
    load_initial(&s);
    for (uint32_t i = 1; i <= s.n && !s.done; i++) {
        raft_out_clear(&s.out);
        raft_start(&s.nodes[i].raft, 0, &s.out);
        sim_apply_out(&s, (uint8_t)i);
        sim_arm_timer(&s, (uint8_t)i);
    }
    sort_events(&s);
    main_loop(&s);
    if (!s.done) s.now = s.scn->run_us;
    kv_finish(&s);
    res->end_us = s.now;
    res->committed = chk_committed_max(s.chk);
    write_end(&s);
    sim_destroy(&s);
}

const char *sim_status_name(sim_status status) {
    switch (status) {
    case SIM_PASS: return "pass";
    case SIM_VIOLATION: return "violation";
    case SIM_EXPECT_FAILED: return "expect_failed";
    case SIM_LIMIT: return "limit";
    case SIM_STOPPED: return "stopped";
    }
    return "?";
}
