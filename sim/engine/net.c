/* net.c - the simulated network: per message loss, duplication and delay drawn from the
 * network's own stream; partitions, per-link settings and the defaults the scenario changes; the
 * message slots that hold a message until its last delivery. It decides what happens to a
 * message and queues its deliveries; it never calls into a node. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine/engine.h"

static link_cfg *link_of(sim *s, uint8_t from, uint8_t to) {
    return s->links ? &s->links[(size_t)from * (s->n + 1) + to] : NULL;
}

const char *net_blocked(sim *s, uint8_t from, uint8_t to) {
    if (s->group[from] != s->group[to]) return "partition";
    const link_cfg *l = link_of(s, from, to);
    if (l && l->down) return "link";
    return NULL;
}

void net_trace_msg(sim *s, const char *ev, const raft_msg *m, uint64_t id, const char *reason) {
    trace_writer *t = s->tr;
    if (!t->on) return;
    trace_begin_event(t, s->now, ev);
    trace_u64(t, "from", m->from);
    trace_u64(t, "to", m->to);
    trace_str(t, "type", node_msg_type_name(m->type));
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
    trace_str(t, "type", node_msg_type_name(m->type));
    trace_u64(t, "id", id);
    trace_u64(t, "term", m->term);
    switch (m->type) {
    case RAFT_MSG_REQUEST_VOTE:
        trace_u64(t, "last_index", m->index);
        trace_u64(t, "last_term", m->log_term);
        if (m->ok) trace_bool(t, "pre_vote", 1); /* node.h: ok marks a pre-vote request */
        break;
    case RAFT_MSG_REQUEST_VOTE_REPLY:
        trace_bool(t, "granted", m->ok);
        if (m->log_term) trace_bool(t, "pre_vote", 1); /* and log_term a pre-vote reply */
        break;
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
    case NODE_MSG_INSTALL_SNAPSHOT:
        trace_u64(t, "last_index", m->index);
        trace_u64(t, "last_term", m->log_term);
        break;
    case NODE_MSG_TIMEOUT_NOW:
        trace_u64(t, "last_index", m->index);
        trace_u64(t, "last_term", m->log_term);
        break;
    default: break;
    }
    trace_end(t);
}

static inline __attribute__((always_inline)) uint32_t slot_alloc(sim *s, const raft_msg *m,
                                                                 uint64_t id) {
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
        ASSERT(m->n_entries <=
               RS_LOG_ENTRIES_MAX); /* the built-in node sends at most RS_AE_ENTRIES_MAX; canonical
                                       raft has no cap */
        if (sl->ebuf_cap < m->n_entries) { /* grows to the largest message it carried */
            sl->ebuf = rs_xrealloc(sl->ebuf, m->n_entries * sizeof *sl->ebuf);
            sl->ebuf_cap = m->n_entries;
        }
        for (uint32_t k = 0; k < m->n_entries; k++) sl->ebuf[k] = m->entries[k];
    }
    sl->m.entries = m->n_entries ? sl->ebuf : NULL;
    return i;
}

void net_slot_release(sim *s, uint32_t i) {
    ASSERT(s->slots[i].refs > 0);
    if (--s->slots[i].refs > 0) return;
    if (s->slots[i].body) {
        s->impl->body_free(s->slots[i].body);
        s->slots[i].body = NULL;
    }
    s->free_slots[s->n_free++] = i;
}

/* What a message promises (SPEC section 7), recorded when it leaves: a granted vote, or an
 * AppendEntries success. */
static void record_promise(sim *s, const raft_msg *m) {
    chk_result r = CHK_OK;
    if (m->type == RAFT_MSG_REQUEST_VOTE_REPLY && m->ok && !m->log_term)
        r = chk_promise_vote(s->chk, m->from, m->term, m->to);
    else if (m->type == RAFT_MSG_APPEND_ENTRIES_REPLY && m->ok)
        r = chk_promise_ack(s->chk, m->from, m->term, m->index);
    ASSERT(r == CHK_OK);
}

_Static_assert(NODE_MSG_TYPE_COUNT == SIM_MSG_KINDS, "sim_stats counts every message type");

static int drop_kind(const char *why) {
    switch (why[0]) {
    case 'p': return SIM_DROP_PARTITION;
    case 'd': return SIM_DROP_DOWN;
    default: return why[1] == 'o' ? SIM_DROP_LOSS : SIM_DROP_LINK; /* "loss", "link" */
    }
}

void net_drop(sim *s, const raft_msg *m, uint64_t id, const char *why) {
    s->res->msgs_dropped++;
    s->res->stats.dropped[drop_kind(why)]++;
    net_trace_msg(s, "drop", m, id, why);
}

int net_send(sim *s, const raft_msg *m, void *body) {
    uint64_t id = ++s->msg_id;
    s->res->stats.sent[m->type < SIM_MSG_KINDS ? m->type : 0]++;
    if (s->durability) record_promise(s, m);
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
    const char *why = net_blocked(s, m->from, m->to);
    if (!why && lost) why = "loss";
    if (why) {
        net_drop(s, m, id, why);
        if (body) s->impl->body_free(body);
        return 1;
    }
    if (s->heap.n >= RS_QUEUE_MAX) { /* checked here: one step may send very many */
        if (body) s->impl->body_free(body);
        return 0;
    }
    uint32_t slot = slot_alloc(s, m, id);
    s->slots[slot].body = body;
    heap_push(&s->heap, s->now + d1, EV_DELIVER, slot);
    if (dup) {
        s->res->stats.duplicated++;
        s->slots[slot].refs++;
        heap_push(&s->heap, s->now + d2, EV_DELIVER, slot);
    }
    return 1;
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

uint32_t net_hold(sim *s, const raft_msg *m, void *body, uint64_t t_us, uint64_t epoch) {
    uint32_t slot = slot_alloc(s, m, 0);
    s->slots[slot].body = body;
    s->slots[slot].epoch = epoch;
    s->slots[slot].failures = 0;
    heap_push(&s->heap, t_us, EV_DEPART, slot);
    return slot;
}

int net_depart(sim *s, uint32_t slot) {
    raft_msg m = s->slots[slot].m; /* its entries stay in the slot's buffer until released */
    void *body = s->slots[slot].body;
    s->slots[slot].body = NULL;
    int ok = net_send(s, &m, body);
    net_slot_release(s, slot);
    return ok;
}

void net_set_groups(sim *s, const uint8_t group[RS_NODES_MAX + 1]) {
    memcpy(s->group, group, sizeof s->group);
    trace_groups(s, "partition");
}

void net_link(sim *s, uint8_t from, uint8_t to, const scn_event *e) {
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

void net_heal(sim *s) {
    memset(s->group, 0, sizeof s->group);
    if (s->links) memset(s->links, 0, (size_t)(s->n + 1) * (s->n + 1) * sizeof *s->links);
    trace_groups(s, "heal");
}

void net_set_defaults(sim *s, const scn_event *e) {
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

void net_init(sim *s) {
    rs_rng_seed(&s->net_rng, s->cfg->seed, 0);
    s->delay = s->scn->delay;
    s->drop_rate = s->scn->drop_rate;
    s->duplicate_rate = s->scn->duplicate_rate;
    s->drop_threshold = rs_rng_threshold32(s->drop_rate);
    s->duplicate_threshold = rs_rng_threshold32(s->duplicate_rate);
}

void net_free(sim *s) {
    for (uint32_t i = 0; i < s->n_slots; i++) {
        free(s->slots[i].ebuf);
        if (s->slots[i].refs > 0 && s->slots[i].body) s->impl->body_free(s->slots[i].body);
    }
    free(s->slots);
    free(s->free_slots);
    free(s->links);
}
