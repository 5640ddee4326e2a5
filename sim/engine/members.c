/* members.c - membership change in the engine (SPEC section 8): spare ids, the config trace
 * event, who has joined and who is retired, and the members expectation. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim/engine/engine.h"

static const char *const CONF_OP_NAMES[] = {"", "learner", "voter", "remove"};

/* Spares are created with the other nodes but start absent (down, no timer) until an add
 * brings them in; each configuration entry the built-in node makes has its command handle,
 * interned here so the trace shows it as "conf:<op> <id>". Nothing happens without add and
 * remove events: the run is then exactly what it was before membership existed. */
void members_init(sim *s, raft_config *rc) {
    const scenario *scn = s->scn;
    for (uint32_t i = 0; i < scn->n_events && !s->members_on; i++)
        s->members_on = scn->events[i].kind == SCN_DO_ADD || scn->events[i].kind == SCN_DO_REMOVE;
    s->n_start = scn->nodes;
    if (!s->members_on) return;
    rc->voters0 = (uint8_t)scn->nodes;
    rc->disruption_guard = 1;
    s->conf_cmds = rs_xcalloc(4 * ((size_t)s->n + 1), sizeof *s->conf_cmds);
    for (uint32_t op = RAFT_CONF_ADD_LEARNER; op <= RAFT_CONF_REMOVE; op++)
        for (uint32_t id = 1; id <= s->n; id++) {
            char buf[32];
            int len = snprintf(buf, sizeof buf, "conf:%s %u", CONF_OP_NAMES[op], id);
            s->conf_cmds[op * (s->n + 1) + id] = sim_cmd_add(s, buf, (size_t)len);
        }
    rc->conf_cmds = s->conf_cmds;
}

static void trace_voters(trace_writer *t, const char *key, const uint64_t set[4], uint32_t n) {
    char buf[4 * RS_NODES_MAX + 3];
    size_t o = 0;
    buf[o++] = '[';
    for (uint32_t id = 1; id <= n; id++) {
        if (!((set[id >> 6] >> (id & 63)) & 1u)) continue;
        if (o > 1) buf[o++] = ',';
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%u", id);
    }
    buf[o++] = ']';
    buf[o] = '\0';
    trace_raw(t, key, buf);
}

static void maybe_retire(sim *s, uint8_t id);

void members_on_append(sim *s, uint8_t node, uint64_t first, uint64_t last) {
    if (!s->members_on) return;
    for (uint64_t i = first; i <= last && !s->done; i++) {
        raft_conf c;
        if (s->impl->conf(s->nodes[node].node, i, &c) != i) continue;
        trace_begin_event(s->tr, s->now, "config");
        trace_u64(s->tr, "node", node);
        trace_u64(s->tr, "index", i);
        trace_voters(s->tr, "voters", c.voters, s->n);
        trace_voters(s->tr, "learners", c.learners, s->n);
        trace_end(s->tr);
        sim_checked(s, chk_config(s->chk, node, i, c.voters));
    }
    maybe_retire(s, node);
}

/* Thesis 4.2.3: a removed server is shut down, once its removal is committed and it knows of it
 * (its own log holds a configuration without it); one that never hears of it stays up. */
static void maybe_retire(sim *s, uint8_t id) {
    sim_node *n = &s->nodes[id];
    if (!n->removed || n->retire || n->absent || !n->up) return;
    raft_conf c;
    s->impl->conf(n->node, sim_node_status(s, id).last_index, &c);
    if (raft_conf_is_voter(&c, id) || raft_conf_is_learner(&c, id)) return;
    n->retire = 1;
    s->n_retire++;
}

void members_on_commit(sim *s, uint8_t node, uint64_t index) {
    if (!s->members_on) return;
    raft_conf c;
    s->impl->conf(s->nodes[node].node, index, &c);
    for (uint32_t id = 1; id <= s->n; id++) {
        sim_node *n = &s->nodes[id];
        int in = raft_conf_is_voter(&c, (uint8_t)id) || raft_conf_is_learner(&c, (uint8_t)id);
        if (in && n->absent != SIM_ABSENT_SPARE && !n->removed) n->joined = 1;
        if (!in && n->joined) { /* no longer a member: expectations stop counting it */
            n->joined = 0;
            n->removed = 1;
        }
        maybe_retire(s, (uint8_t)id);
    }
}

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
