/* actions.c - the scenario's `do` events (SPEC section 2): crash, restart, pause, resume,
 * partition, heal, link, network and submit, with their node references resolved when they run. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sim/engine/engine.h"
#include "sim/kv/clients.h"

static void crashed_remove(sim *s, uint8_t node) {
    uint32_t k = 0;
    for (uint32_t i = 0; i < s->n_crashed; i++)
        if (s->crashed[i] != node) s->crashed[k++] = s->crashed[i];
    s->n_crashed = k;
}

static void do_crash(sim *s, uint8_t node) {
    sim_node *n = &s->nodes[node];
    if (!n->up) return;
    sim_trace_node(s, "crash", node);
    s->res->stats.faults[SIM_FAULT_CRASH]++;
    n->up = 0;
    n->paused = 0;
    for (size_t i = 0; i < n->n_held; i++) {
        const held_msg *h = &n->held[i];
        if (h->kind == EV_CLIENT_MSG) {
            kv_drop_held(s, h->arg);
            continue;
        }
        if (h->kind == EV_DISK) continue; /* the news of a completed write: nobody to tell */
        if (h->kind == EV_DEPART) { /* it never left */
            net_slot_release(s, h->arg);
            continue;
        }
        net_slot *sl = &s->slots[h->arg];
        net_drop(s, &sl->m, sl->id, "down");
        net_slot_release(s, h->arg);
    }
    n->n_held = 0;
    n->untold = 0;
    n->fail_untold = 0;
    s->impl->crash(n->node, s->now);
    disk_crash(s, node);
    kv_on_crash(s, node);
    s->crashed[s->n_crashed++] = node;
    sim_checked(s, chk_crash(s->chk, node));
}

static void do_restart(sim *s, uint8_t node) {
    sim_node *n = &s->nodes[node];
    if (n->up || n->absent) return; /* a spare not added, or a retired node, stays out */
    sim_trace_node(s, "restart", node);
    s->res->stats.faults[SIM_FAULT_RESTART]++;
    n->up = 1;
    crashed_remove(s, node);
    for (uint32_t w = 0; w < s->n_watch; w++) /* the state machine is rebuilt from index 1 */
        s->watch_applied[w * (s->n + 1) + node] = 0;
    kv_on_restart(s, node);
    if (!sim_checked(s, chk_restart(s->chk, node))) return;
    if (s->durability) { /* writes may have been lost: the node restarts from what is durable */
        disk_load(s, node);
        sim_reconcile(s, node);
        if (s->done) return;
    }
    node_out_clear(&s->out);
    s->impl->start(n->node, s->now, &s->out);
    sim_apply_out(s, node);
    sim_arm_timer(s, node);
}

static void do_pause(sim *s, uint8_t node) {
    sim_node *n = &s->nodes[node];
    if (!n->up || n->paused) return;
    sim_trace_node(s, "pause", node);
    s->res->stats.faults[SIM_FAULT_PAUSE]++;
    n->paused = 1;
}

/* A resumed node first fires the timers that came due while it was frozen, then handles the
 * messages that waited for it, in arrival order: all at the resume instant. */
static void do_resume(sim *s, uint8_t node) {
    sim_node *n = &s->nodes[node];
    if (!n->up || !n->paused) return;
    sim_trace_node(s, "resume", node);
    n->paused = 0;
    /* A write failed while it was paused: it hears of that first, before anything held for it
     * (a message it takes would be answered on a disk that lost a write), and may stop. */
    if (n->fail_untold) {
        n->fail_untold = 0;
        if (!s->impl->write_failed || s->impl->write_failed(n->node, s->now)) {
            s->on_fail_stop(s, node);
            return;
        }
    }
    n->timer_at = TIME_NEVER;
    sim_arm_timer(s, node);
    for (size_t i = 0; i < n->n_held; i++)
        heap_push(&s->heap, s->now, n->held[i].kind, n->held[i].arg);
    n->n_held = 0;
}

static void do_partition(sim *s, uint32_t idx, const scn_event *e) {
    uint8_t group[RS_NODES_MAX + 1] = {0};
    for (uint32_t g = 0; g < e->n_groups; g++) {
        for (uint32_t k = 0; k < e->group_len[g]; k++) {
            uint8_t id = sim_resolve_or_fail(s, idx, e->groups[g][k]);
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
    net_set_groups(s, group);
    s->res->stats.faults[SIM_FAULT_PARTITION]++;
}

static void do_link(sim *s, uint32_t idx, const scn_event *e) {
    uint8_t from = sim_resolve_or_fail(s, idx, e->from),
            to = from ? sim_resolve_or_fail(s, idx, e->to) : 0;
    if (!from || !to) return;
    net_link(s, from, to, e);
    s->res->stats.faults[SIM_FAULT_LINK]++;
}

static void submit_one(sim *s, uint8_t node, uint32_t cmd) {
    sim_node *n = &s->nodes[node];
    int ok = 0;
    node_out_clear(&s->out);
    if (n->up && !n->paused) ok = s->impl->propose(n->node, s->now, cmd, &s->out);
    s->res->submitted++;
    s->res->accepted += (uint64_t)ok;
    if (s->tr->on) {
        char buf[SIM_CMD_BUF];
        uint32_t len;
        const char *bytes = sim_cmd_bytes(s, cmd, buf, &len);
        trace_begin_event(s->tr, s->now, "submit");
        trace_u64(s->tr, "node", node);
        trace_strn(s->tr, "cmd", bytes, len);
        trace_bool(s->tr, "accepted", ok);
        trace_end(s->tr);
    }
    if (!ok) return;
    sim_apply_out(s, node);
    sim_arm_timer(s, node);
}

static void do_submit(sim *s, uint8_t node, const scn_event *e) {
    if (e->command) {
        submit_one(s, node, sim_cmd_add(s, e->command, strlen(e->command)));
        return;
    }
    for (uint32_t i = 0; i < e->count && !s->done; i++) submit_one(s, node, sim_cmd_generate(s));
}

/* transfer (SPEC section 8): the current leader is asked to hand leadership to `to`. A paused
 * leader handles nothing, so it does not take the request either. */
static void do_transfer(sim *s, uint32_t idx, const scn_event *e) {
    uint8_t leader = sim_resolve_or_fail(s, idx, SCN_REF_LEADER);
    if (!leader) return;
    uint8_t to = sim_resolve_or_fail(s, idx, e->to);
    if (!to) return;
    sim_node *n = &s->nodes[leader];
    int accepted = 0;
    node_out_clear(&s->out);
    if (!n->paused) accepted = s->impl->transfer(n->node, s->now, to, &s->out);
    trace_begin_event(s->tr, s->now, "transfer");
    trace_u64(s->tr, "from", leader);
    trace_u64(s->tr, "to", to);
    trace_bool(s->tr, "accepted", accepted);
    trace_end(s->tr);
    if (!accepted) return;
    s->res->stats.faults[SIM_FAULT_TRANSFER]++;
    sim_apply_out(s, leader);
    sim_arm_timer(s, leader);
}

void sim_fail_stop(sim *s, uint8_t node) {
    do_crash(s, node);
}

/* fail_writes: the node's next `count` write batches fail. */
static void do_fail_writes(sim *s, uint8_t node, const scn_event *e) {
    trace_begin_event(s->tr, s->now, "fail_writes");
    trace_u64(s->tr, "node", node);
    trace_u64(s->tr, "count", e->count);
    trace_end(s->tr);
    if (s->disk_on)
        disk_fail_writes(s, node, e->count);
    else if (s->impl->fail_writes)
        s->impl->fail_writes(s->nodes[node].node, e->count);
}

/* disk: the failure rate from now on. */
static void do_disk(sim *s, const scn_event *e) {
    trace_begin_event(s->tr, s->now, "disk");
    trace_f64(s->tr, "fail", e->fail);
    trace_end(s->tr);
    disk_set_fail(s, e->fail);
    for (uint32_t i = 1; i <= s->n && !s->disk_on && s->impl->fail_rate; i++)
        s->impl->fail_rate(s->nodes[i].node, s->disk_fail_threshold);
}

/* add and remove (SPEC section 8): the current leader is asked for the change; a refusal (no
 * leader, a change in flight, ...) is recorded, as a submit's is, and is not a failure. A spare
 * that is added starts, empty, once the leader has taken it. */
void sim_do_change(sim *s, uint32_t idx, const scn_event *e) {
    uint8_t target = e->kind == SCN_DO_ADD ? (uint8_t)e->node : sim_resolve_or_fail(s, idx, e->node);
    if (!target) return;
    uint8_t leader = sim_leader_now(s);
    sim_node *l = &s->nodes[leader], *t = &s->nodes[target];
    int add = e->kind == SCN_DO_ADD, accepted = 0;
    node_out_clear(&s->out);
    /* Removing the last voter would leave a cluster that can never elect a leader: an
     * operator's mistake, refused here whatever the implementation would do. */
    int last = 0;
    if (leader && !add) {
        raft_conf c;
        s->impl->conf(l->node, sim_node_status(s, leader).last_index, &c);
        last = raft_conf_is_voter(&c, target) && raft_conf_voter_count(&c) == 1;
    }
    if (leader && !l->paused && !last && (add ? t->absent == SIM_ABSENT_SPARE : !t->absent))
        accepted = s->impl->change(l->node, s->now, add ? NODE_CHANGE_ADD : NODE_CHANGE_REMOVE,
                                   target, &s->out);
    trace_begin_event(s->tr, s->now, "change");
    trace_str(s->tr, "op", add ? "add" : "remove");
    trace_u64(s->tr, "node", target);
    trace_u64(s->tr, "leader", leader);
    trace_bool(s->tr, "accepted", accepted);
    trace_end(s->tr);
    if (!accepted) return;
    sim_apply_out(s, leader);
    sim_arm_timer(s, leader);
    if (!add || s->done) return;
    t->absent = 0;
    t->up = 1;
    sim_trace_node(s, "join", target);
    node_out_clear(&s->out);
    s->impl->start(t->node, s->now, &s->out);
    sim_apply_out(s, target);
    sim_arm_timer(s, target);
}

/* Nodes whose removal a node committed in this step leave: shut down for good. */
void sim_retire(sim *s) {
    for (uint32_t id = 1; id <= s->n && s->n_retire && !s->done; id++) {
        sim_node *n = &s->nodes[id];
        if (!n->retire) continue;
        n->retire = 0;
        s->n_retire--;
        n->absent = SIM_ABSENT_RETIRED;
        sim_trace_node(s, "leave", (uint8_t)id);
        if (!n->up) {
            crashed_remove(s, (uint8_t)id);
            continue;
        }
        do_crash(s, (uint8_t)id);
        crashed_remove(s, (uint8_t)id); /* not a crash to restart */
    }
}

void sim_action(sim *s, uint32_t idx) {
    const scn_event *e = &s->scn->events[idx];
    uint8_t node = 0;
    switch (e->kind) {
    case SCN_DO_CRASH:
    case SCN_DO_RESTART:
    case SCN_DO_PAUSE:
    case SCN_DO_RESUME:
    case SCN_DO_SUBMIT:
    case SCN_DO_FAIL_WRITES:
        node = sim_resolve_or_fail(s, idx, e->node);
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
    case SCN_DO_HEAL: net_heal(s); break;
    case SCN_DO_LINK: do_link(s, idx, e); break;
    case SCN_DO_NETWORK:
        net_set_defaults(s, e);
        s->res->stats.faults[SIM_FAULT_NETWORK]++;
        break;
    case SCN_DO_SUBMIT: do_submit(s, node, e); break;
    case SCN_EXPECT: sim_expect_begin(s, idx); break;
    case SCN_DO_KV:
        kv_start_op(s, idx);
        s->res->stats.kv_ops++;
        break;
    case SCN_DO_TRANSFER: do_transfer(s, idx, e); break;
    case SCN_DO_FAIL_WRITES: do_fail_writes(s, node, e); break;
    case SCN_DO_DISK: do_disk(s, e); break;
    case SCN_DO_ADD:
    case SCN_DO_REMOVE: sim_do_change(s, idx, e); break;
    case SCN_KIND_COUNT: ASSERT(!"bad event kind"); break;
    }
}
