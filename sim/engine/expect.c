/* expect.c - the scenario's expectations (SPEC section 2): a condition checked at its time, or
 * waited for until its deadline, re-evaluated after every step while it waits. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sim/engine/engine.h"
#include "sim/kv/clients.h"

/* Checks a commit bound on the nodes `on` names (all live nodes if none); a named node that is
 * down fails it. Writes the first offender into why. */
static int commit_bound_holds(const sim *s, const scn_expect *e, int at_least, uint64_t bound,
                              char *why, size_t cap) {
    uint32_t count = e->n_on ? e->n_on : s->n;
    for (uint32_t k = 0; k < count; k++) {
        uint8_t id = e->n_on ? sim_resolve(s, e->on[k]) : (uint8_t)(k + 1);
        if (!e->n_on && !sim_counted(s, id)) continue;
        if (!id || !s->nodes[id].up) {
            snprintf(why, cap, "committed_at_%s %" PRIu64 ": %s %u is down or absent",
                     at_least ? "least" : "most", bound, sim_ref_name(e->on[k]), id);
            return 0;
        }
        uint64_t c = sim_node_status(s, id).commit, base = s->impl->index_base;
        c = c > base ? c - base : 0; /* commands, whatever the implementation wrote first */
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
        uint8_t id = e->n_on ? sim_resolve(s, e->on[k]) : (uint8_t)(k + 1);
        if (!e->n_on && !sim_counted(s, id)) continue;
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
        if (!sim_counted(s, i)) continue;
        node_status r = sim_node_status(s, (uint8_t)i);
        if (!first) {
            first = i;
            continue;
        }
        node_status f = sim_node_status(s, first);
        if (r.commit != f.commit) {
            snprintf(why, cap, "logs_match: node %u commit index %" PRIu64 ", node %u %" PRIu64,
                     first, f.commit, i, r.commit);
            return 0;
        }
        if (chk_chain(s->chk, i, r.commit) != chk_chain(s->chk, first, f.commit)) {
            snprintf(why, cap, "logs_match: nodes %u and %u differ within index %" PRIu64, first, i,
                     r.commit);
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
                         sim_node_status(s, l).term);
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
    uint8_t id = sim_resolve(s, e->role_node);
    static const raft_role want[] = {RAFT_ROLE_FOLLOWER, RAFT_ROLE_CANDIDATE, RAFT_ROLE_LEADER};
    if (!id || !s->nodes[id].up) {
        snprintf(why, cap, "role: %s %u is down or absent", sim_ref_name(e->role_node), id);
        return 0;
    }
    raft_role r = sim_node_status(s, id).role;
    if (r == want[e->role_is]) return 1;
    snprintf(why, cap, "role: node %u is %s, not %s", id, raft_role_name(r),
             raft_role_name(want[e->role_is]));
    return 0;
}

/* How many live nodes believe they lead, whatever their term (a stale leader included). */
static int leaders_holds(const sim *s, const scn_expect *e, char *why, size_t cap) {
    uint32_t n = 0;
    for (uint32_t i = 1; i <= s->n; i++)
        n += s->nodes[i].up && sim_node_status(s, (uint8_t)i).role == RAFT_ROLE_LEADER;
    if (n == e->leaders) return 1;
    snprintf(why, cap, "leaders %u: %u live nodes are leader", e->leaders, n);
    return 0;
}

/* members (SPEC section 8): the voters of the leader's committed configuration. */
int members_expect_holds(const sim *s, const scn_expect *x, char *why, size_t cap) {
    uint8_t leader = sim_leader_now(s);
    if (!leader) {
        snprintf(why, cap, "members: no leader");
        return 0;
    }
    raft_conf c;
    s->impl->conf(s->nodes[leader].node, sim_node_status(s, leader).commit, &c);
    if (!memcmp(c.voters, x->members, sizeof c.voters)) return 1;
    char have[4 * RS_NODES_MAX + 3];
    size_t o = 0;
    for (uint32_t id = 1; id <= RS_NODES_MAX && o + 5 < sizeof have; id++)
        if (raft_conf_is_voter(&c, (uint8_t)id))
            o += (size_t)snprintf(have + o, sizeof have - o, "%s%u", o ? "," : "", id);
    have[o] = '\0';
    snprintf(why, cap, "members: leader %u's committed configuration has voters [%s]", leader,
             have);
    return 0;
}

/* Does the condition hold now? If not, why says what was seen instead. */
static int expect_holds(const sim *s, const scn_expect *e, char *why, size_t cap) {
    if (!leader_holds(s, e, why, cap)) return 0;
    if (e->has_members && !members_expect_holds(s, e, why, cap)) return 0;
    /* Evaluated after every step while an expectation waits: walk the nodes only if asked. */
    uint64_t term = e->has_term_at_most || e->has_term_at_least ? sim_highest_term(s) : 0;
    /* Terms count from the implementation's first one (canonical raft bootstraps in term 1). */
    uint64_t base = s->impl->term_base;
    term = term > base ? term - base : 0;
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
    if (e->has_leaders && !leaders_holds(s, e, why, cap)) return 0;
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

void sim_expect_begin(sim *s, uint32_t idx) {
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
void sim_expect_recheck(sim *s) {
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

void sim_expect_deadline(sim *s, uint32_t idx) {
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
