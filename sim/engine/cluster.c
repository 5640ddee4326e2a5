/* cluster.c - the nodes of one run and what they do: a node's call (boot, message, timer,
 * command) is made here, and its effects go, in order, to the trace, the checker and the network.
 * Also the run's shared services: the command arena, stopping the run, node references and the
 * cluster queries that actions and expectations ask. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sim/engine/engine.h"

void sim_stop(sim *s, sim_status status, const char *fmt, ...) {
    if (s->done) return;
    s->done = 1;
    s->res->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->res->reason, sizeof s->res->reason, fmt, ap);
    va_end(ap);
}

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

uint32_t sim_cmd_generate(sim *s) {
    ASSERT(s->generated < SIM_CMD_GEN - 2); /* UINT32_MAX stays free (canonical.c's "none") */
    s->generated++;
    if (s->gen_slots < SIM_GEN_HASHES && s->gen_slots < s->generated) {
        /* The hash cache is sized to the commands made, so that a run with few does not clear
         * the whole table; a larger one starts empty (it is only a cache). */
        uint32_t want = s->gen_slots ? 2 * s->gen_slots : 64;
        free(s->gen_hash);
        s->gen_hash = rs_xcalloc(2 * (size_t)want, sizeof *s->gen_hash);
        s->gen_slots = want;
    }
    return SIM_CMD_GEN | (uint32_t)s->generated;
}

const char *sim_cmd_bytes(const sim *s, uint32_t id, char buf[SIM_CMD_BUF], uint32_t *len) {
    if (!(id & SIM_CMD_GEN)) {
        *len = s->cmd_len[id];
        return sim_cmd_str(s, id);
    }
    size_t at = rs_u64_dec(buf + 3, id & ~SIM_CMD_GEN); /* right-aligned in buf + 3 */
    memcpy(buf + at, "cmd", 3);
    *len = (uint32_t)(3 + RS_U64_DEC_CAP - at);
    return buf + at;
}

uint64_t sim_cmd_hash(sim *s, uint32_t id) {
    if (!(id & SIM_CMD_GEN)) return s->cmd_hash[id];
    uint64_t *slot = &s->gen_hash[2 * (id & (s->gen_slots - 1))];
    if (slot[0] == id) return slot[1]; /* handle 0 is never generated: an empty slot misses */
    char buf[SIM_CMD_BUF];
    uint32_t len;
    const char *p = sim_cmd_bytes(s, id, buf, &len);
    slot[0] = id;
    slot[1] = chk_cmd_hash(p, len);
    return slot[1];
}

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
int sim_checked(sim *s, chk_result r) {
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
    char buf[SIM_CMD_BUF];
    uint32_t len;
    const char *cmd = sim_cmd_bytes(s, e->cmd, buf, &len);
    trace_strn(t, "cmd", cmd, len);
    trace_end(t);
}

static void fx_role(sim *s, uint8_t node, uint64_t term, raft_role role) {
    trace_begin_event(s->tr, s->now, "role");
    trace_u64(s->tr, "node", node);
    trace_u64(s->tr, "term", term);
    trace_str(s->tr, "role", raft_role_name(role));
    trace_end(s->tr);
    if (role == RAFT_ROLE_LEADER) s->res->leaders++;
    if (role == RAFT_ROLE_CANDIDATE) s->res->stats.candidates++;
    sim_checked(s, chk_role(s->chk, node, term, (int)role));
}

static void fx_vote(sim *s, uint8_t node, uint64_t term, uint8_t candidate) {
    trace_begin_event(s->tr, s->now, "vote");
    trace_u64(s->tr, "node", node);
    trace_u64(s->tr, "term", term);
    trace_u64(s->tr, "for", candidate);
    trace_end(s->tr);
    sim_checked(s, chk_vote(s->chk, node, term, candidate));
}

static void fx_append(sim *s, uint8_t node, uint64_t first, uint64_t last) {
    /* node.h: a node's entries are contiguous, so one call finds them all */
    const raft_entry *es = s->impl->entry(s->nodes[node].node, first);
    for (uint64_t i = first; i <= last && !s->done; i++) {
        const raft_entry *e = &es[i - first];
        if (s->tr->on) trace_entry(s, "append", node, i, e);
        sim_checked(s, chk_append(s->chk, node, i, e->term, sim_cmd_hash(s, e->cmd)));
    }
    s->appended += last + 1 - first;
    if (s->members_on) members_on_append(s, node, first, last);
    if (last > RS_LOG_ENTRIES_MAX)
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
    sim_checked(s, chk_truncate(s->chk, node, from));
}

static void fx_commit(sim *s, uint8_t node, uint64_t index) {
    trace_begin_event(s->tr, s->now, "commit");
    trace_u64(s->tr, "node", node);
    trace_u64(s->tr, "index", index);
    trace_end(s->tr);
    if (sim_checked(s, chk_commit(s->chk, node, index)) && s->members_on)
        members_on_commit(s, node, index);
}

static void watch_applied(sim *s, uint8_t node, uint32_t cmd) {
    char buf[SIM_CMD_BUF];
    uint32_t len;
    const char *bytes = sim_cmd_bytes(s, cmd, buf, &len);
    uint64_t hash = sim_cmd_hash(s, cmd);
    for (uint32_t w = 0; w < s->n_watch; w++)
        if (s->watch_hash[w] == hash && strlen(s->watch[w]) == len &&
            memcmp(s->watch[w], bytes, len) == 0)
            s->watch_applied[w * (s->n + 1) + node] = 1;
}

static void fx_apply(sim *s, uint8_t node, uint64_t first, uint64_t last) {
    const raft_entry *es = s->impl->entry(s->nodes[node].node, first);
    for (uint64_t i = first; i <= last && !s->done; i++) {
        const raft_entry *e = &es[i - first];
        if (s->tr->on) trace_entry(s, "apply", node, i, e);
        sim_checked(s, chk_apply(s->chk, node, i, e->term, sim_cmd_hash(s, e->cmd)));
        if (s->n_watch) watch_applied(s, node, e->cmd);
        if (sim_cmd_kv(s, e->cmd) && !s->done) s->on_kv_apply(s, node, e->cmd);
    }
}

/* ---- membership change (SPEC section 8): spare ids, config events, joining and leaving ----- */

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

/* The node's configuration at index is c (trace event config, and the checker). */
static void config_event(sim *s, uint8_t node, uint64_t index, const raft_conf *c) {
    trace_begin_event(s->tr, s->now, "config");
    trace_u64(s->tr, "node", node);
    trace_u64(s->tr, "index", index);
    trace_voters(s->tr, "voters", c->voters, s->n);
    trace_voters(s->tr, "learners", c->learners, s->n);
    trace_end(s->tr);
    sim_checked(s, chk_config(s->chk, node, index, c->voters));
}

void members_on_append(sim *s, uint8_t node, uint64_t first, uint64_t last) {
    if (!s->members_on) return;
    for (uint64_t i = first; i <= last && !s->done; i++) {
        raft_conf c;
        if (s->impl->conf(s->nodes[node].node, i, &c) != i) continue;
        config_event(s, node, i, &c);
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
    uint64_t at = s->impl->conf(s->nodes[node].node, index, &c);
    /* A node committing under an older configuration than one already seen committed (a learner
     * that installed a snapshot taken before its own addition) must not undo that one: its
     * configuration would call the learner, and anyone added since, removed. */
    if (at < s->members_conf_at) return;
    s->members_conf_at = at;
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

/* ---- snapshots (SPEC section 8) ---------------------------------------------------------- */

static void trace_snapshot(sim *s, uint8_t node, const char *how, const sim_snapshot *sn) {
    trace_writer *t = s->tr;
    if (!t->on) return;
    trace_begin_event(t, s->now, "snapshot");
    trace_u64(t, "node", node);
    trace_u64(t, "index", sn->index);
    trace_u64(t, "term", sn->term);
    trace_str(t, "how", how);
    if (node != sn->node) trace_u64(t, "taken_by", sn->node);
    trace_end(t);
}

static sim_snapshot *snapshot_of(sim *s, uint64_t id) {
    if (id < 1 || id > s->n_snaps) {
        fprintf(stderr, "raftsim: %s names snapshot %llu, which no node took\n", s->impl->name,
                (unsigned long long)id);
        abort();
    }
    return &s->snaps[id - 1];
}

static uint64_t env_snapshot_id(void *ctx) {
    sim *s = ctx;
    if (s->n_snaps == s->cap_snaps) {
        s->cap_snaps = s->cap_snaps ? s->cap_snaps * 2 : 16;
        s->snaps = rs_xrealloc(s->snaps, s->cap_snaps * sizeof *s->snaps);
    }
    s->snaps[s->n_snaps] = (sim_snapshot){0};
    return ++s->n_snaps;
}

/* The node saved its state machine, applied through index, as snapshot id. */
static void fx_snap_take(sim *s, uint8_t node, uint64_t index, uint64_t id) {
    sim_snapshot *sn = snapshot_of(s, id);
    ASSERT(sn->index == 0); /* taken once */
    sn->index = index;
    sn->term = s->impl->entry(s->nodes[node].node, index)->term;
    sn->node = node;
    if (s->impl->conf && s->impl->load_snapshot) /* kept for a restart from it */
        (void)s->impl->conf(s->nodes[node].node, index, &sn->conf);
    sn->kv = s->kv ? s->on_kv_save(s, node) : NULL;
    if (s->n_watch) {
        sn->watch = rs_xmalloc(s->n_watch);
        for (uint32_t w = 0; w < s->n_watch; w++)
            sn->watch[w] = s->watch_applied[w * (s->n + 1) + node];
    }
    s->res->stats.snapshots[0]++;
    trace_snapshot(s, node, "take", sn);
    sim_checked(s, chk_snapshot(s->chk, node, CHK_SNAP_TAKE, sn->index, sn->term));
}

static void fx_snap_install(sim *s, uint8_t node, uint64_t index, uint64_t id) {
    const sim_snapshot *sn = snapshot_of(s, id);
    ASSERT(sn->index == index);
    s->res->stats.snapshots[1]++;
    trace_snapshot(s, node, "install", sn);
    sim_checked(s, chk_snapshot(s->chk, node, CHK_SNAP_INSTALL, sn->index, sn->term));
    if (s->members_on && !s->done) { /* the configuration the snapshot carries */
        raft_conf c;
        (void)s->impl->conf(s->nodes[node].node, index, &c);
        config_event(s, node, index, &c);
    }
}

static void fx_snap_restore(sim *s, uint8_t node, uint64_t id) {
    const sim_snapshot *sn = snapshot_of(s, id);
    s->res->stats.snapshots[2]++;
    trace_snapshot(s, node, "restore", sn);
    if (!sim_checked(s, chk_snapshot(s->chk, node, CHK_SNAP_RESTORE, sn->index, sn->term)))
        return;
    if (s->kv) s->on_kv_load(s, node, sn->kv);
    for (uint32_t w = 0; w < s->n_watch; w++)
        s->watch_applied[w * (s->n + 1) + node] = sn->watch[w];
}

/* A write of an implementation with its own disk failed (NODE_FX_DISK_FAIL). */
static void fx_disk_fail(sim *s, uint8_t node, uint64_t what, uint64_t value) {
    static const char *const names[] = {"?", "append", "truncate", "snapshot", "term", "vote"};
    static const char *const keys[] = {"index", "first", "truncate", "index", "term", "vote"};
    if (what >= sizeof names / sizeof names[0]) what = 0;
    s->res->stats.faults[SIM_FAULT_DISK_FAIL]++;
    trace_begin_event(s->tr, s->now, "disk_fail");
    trace_u64(s->tr, "node", node);
    trace_str(s->tr, "what", names[what]);
    trace_u64(s->tr, keys[what], value);
    trace_end(s->tr);
}

static void flood(sim *s) {
    sim_stop(s, SIM_LIMIT, "more than %u events queued at once (a message flood)", RS_QUEUE_MAX);
}

/* A message of the node's call: it leaves now, or once the writes before it are durable. */
static void send_or_hold(sim *s, uint8_t node, const raft_msg *m, void *body) {
    if (s->disk_on) {
        uint64_t at = disk_ready_at(s, node);
        /* The bug: what promises durability leaves at once (the writes behind it may be lost). */
        int promise = m->ok && (m->type == RAFT_MSG_REQUEST_VOTE_REPLY ||
                                m->type == RAFT_MSG_APPEND_ENTRIES_REPLY);
        /* With failed writes possible, a message waits for a write due now too (it may
         * fail). */
        int wait = at > s->now || (s->disk_fail_on && disk_must_hold(s, node));
        if (wait && !(promise && (s->cfg->bugs & BUG_ACK_BEFORE_PERSIST))) {
            uint32_t slot = net_hold(s, m, body, at, disk_epoch(s, node));
            s->slots[slot].failures = disk_failures(s, node);
            return;
        }
    }
    if (!net_send(s, m, body)) flood(s);
}

/* Hands one node's effects, in order, to the trace, the checker and the network. Persist
 * before send (for an implementation that promises it): once a message of the step has left,
 * no persistent state may change. */
void sim_apply_out(sim *s, uint8_t node) {
    const raft_out *o = &s->out.r;
    if (s->disk_on) disk_record(s, node);
    int sent = 0, stopped = 0;
    uint64_t term = 0; /* the node's term when its first message of the call left */
    size_t i = 0;
    for (; i < o->n_fx && !s->done; i++) {
        const raft_fx *f = &o->fx[i];
        ASSERT(!sent || !s->impl->persist_before_send ||
               (f->kind != RAFT_FX_VOTE && f->kind != RAFT_FX_APPEND &&
                f->kind != RAFT_FX_TRUNCATE && !(f->kind == RAFT_FX_ROLE && f->a != term)));
        switch (f->kind) {
        case RAFT_FX_ROLE: fx_role(s, node, f->a, (raft_role)f->b); break;
        case RAFT_FX_VOTE: fx_vote(s, node, f->a, (uint8_t)f->b); break;
        case RAFT_FX_APPEND: fx_append(s, node, f->a, f->b); break;
        case RAFT_FX_TRUNCATE: fx_truncate(s, node, f->a); break;
        case RAFT_FX_COMMIT: fx_commit(s, node, f->a); break;
        case RAFT_FX_APPLY: fx_apply(s, node, f->a, f->b); break;
        case RAFT_FX_SEND: {
            raft_msg m = raft_out_msg(o, (size_t)f->a);
            if (!sent) term = m.term; /* every message carries its sender's current term */
            send_or_hold(s, node, &m, s->out.body ? s->out.body[f->a] : NULL);
            sent = 1;
            break;
        }
        case NODE_FX_PERSIST:
            disk_trace_persist(s, node, f->a, f->b >> 8, (uint8_t)(f->b & 0xff));
            break;
        case RAFT_FX_READ:
            if (s->kv) s->on_kv_read(s, node, f->a, f->b);
            break;
        case NODE_FX_SNAP_TAKE: fx_snap_take(s, node, f->a, f->b); break;
        case NODE_FX_SNAP_INSTALL: fx_snap_install(s, node, f->a, f->b); break;
        case NODE_FX_SNAP_RESTORE: fx_snap_restore(s, node, f->a); break;
        case NODE_FX_DISK_FAIL: fx_disk_fail(s, node, f->a, f->b); break;
        case NODE_FX_STOPPED: stopped = 1; break;
        }
    }
    /* A run stopped part-way: the bodies of the messages that never left are freed here. */
    for (; i < o->n_fx && s->out.body; i++)
        if (o->fx[i].kind == RAFT_FX_SEND && s->out.body[o->fx[i].a])
            s->impl->body_free(s->out.body[o->fx[i].a]);
    if (stopped && !s->done) s->on_fail_stop(s, node);
}

/* After a node's step its deadline may have moved earlier: schedule a timer event then. A
 * later deadline needs nothing: the pending event fires early, sees it, and re-arms. */
void sim_arm_timer(sim *s, uint8_t node) {
    sim_node *n = &s->nodes[node];
    uint64_t d = s->impl->deadline(n->node);
    if (d < s->now) d = s->now;
    if (d >= n->timer_at) return;
    n->timer_at = d;
    heap_push(&s->heap, d, EV_TIMER, node);
}

void sim_on_deliver(sim *s, uint32_t slot) {
    net_slot *sl = &s->slots[slot];
    const raft_msg *m = &sl->m;
    sim_node *to = &s->nodes[m->to];
    const char *why = net_blocked(s, m->from, m->to);
    if (!why && !to->up) why = "down";
    if (why) {
        net_drop(s, m, sl->id, why);
        net_slot_release(s, slot);
        return;
    }
    if (to->paused) { /* held until resume, still counted in refs */
        sim_hold(s, m->to, EV_DELIVER, slot);
        return;
    }
    uint8_t dst = m->to;
    s->res->msgs_delivered++;
    if (s->tr->on) net_trace_msg(s, "deliver", m, sl->id, NULL);
    node_out_clear(&s->out);
    s->impl->step(to->node, s->now, m, sl->body, &s->out);
    net_slot_release(s, slot); /* the node copied what it kept: m must not be used from here */
    sim_apply_out(s, dst);
    sim_arm_timer(s, dst);
}

/* A vote or an acknowledgement left behind a write that failed: the node's durable state is
 * traced (disk_state) and its promises judged against it (what is not durable now never will
 * be), as a restart would judge them. */
static void judge_promise(sim *s, uint8_t node) {
    uint64_t term, keep;
    uint8_t vote;
    disk_durable_state(s, node, &term, &vote, &keep);
    trace_begin_event(s->tr, s->now, "disk_state");
    trace_u64(s->tr, "node", node);
    trace_u64(s->tr, "term", term);
    if (vote) trace_u64(s->tr, "vote", vote);
    trace_u64(s->tr, "index", keep);
    trace_end(s->tr);
    sim_checked(s, chk_durable(s->chk, node, term, vote, keep));
}

int sim_on_depart(sim *s, uint32_t slot) {
    net_slot *sl = &s->slots[slot];
    uint8_t node = sl->m.from;
    sim_node *n = &s->nodes[node];
    if (!n->up || sl->epoch != disk_epoch(s, node)) { /* crashed before its writes were durable */
        net_slot_release(s, slot);
        return 0;
    }
    if (n->paused) {
        sim_hold(s, node, EV_DEPART, slot);
        return 0;
    }
    /* A write it waited for failed, and the node carried on (ignore_write_error). */
    const raft_msg *m = &sl->m;
    int judge = sl->failures != disk_failures(s, node) && m->ok &&
                ((m->type == RAFT_MSG_REQUEST_VOTE_REPLY && !m->log_term) ||
                 m->type == RAFT_MSG_APPEND_ENTRIES_REPLY);
    if (!net_depart(s, slot)) flood(s);
    if (judge && !s->done) judge_promise(s, node);
    return 1;
}

/* EV_DISK: writes completed; the node hears that its log is durable through some index and
 * its term up to some term (a leader counts its own copy from then on, a candidate its own
 * vote). A paused node hears on resume: the news waits with its messages. */
int sim_on_disk(sim *s, uint8_t node) {
    sim_node *n = &s->nodes[node];
    int r = disk_on_event(s, node);
    if (r & DISK_FAILED) n->fail_untold = n->up;
    if (!r && !n->untold && !n->fail_untold) return 0;
    if (!n->up || (!s->impl->persisted && !n->fail_untold)) return 1;
    if (n->paused) {
        if (!n->untold) sim_hold(s, node, EV_DISK, node);
        n->untold = 1;
        return 1;
    }
    /* A write failed: the node stops (the engine crashes it), or carries on, and then hears
     * of the batches due after the failed one. */
    while (n->fail_untold) {
        n->fail_untold = 0;
        if (!s->impl->write_failed || s->impl->write_failed(n->node, s->now)) {
            s->on_fail_stop(s, node);
            return 1;
        }
        if (disk_on_event(s, node) & DISK_FAILED) n->fail_untold = 1;
    }
    if (!s->impl->persisted) return 1;
    n->untold = 0;
    uint64_t term, index = disk_durable(s, node, &term);
    node_out_clear(&s->out);
    s->impl->persisted(n->node, s->now, index, term, &s->out);
    sim_apply_out(s, node);
    sim_arm_timer(s, node);
    return 1;
}

/* The log the implementation holds now (durable, after a crash) against the checker's shadow of
 * it: the first differing index d; a "restore" event with the durable term and vote and d
 * (chk_restore judges what the node had promised), then truncate and append bring the shadow
 * to the durable log. */
void sim_reconcile(sim *s, uint8_t node) {
    node_status st = sim_node_status(s, node);
    uint64_t shadow = chk_log_len(s->chk, node), d = 1, chain = 0;
    /* Entries through its durable snapshot are covered by it: compare what follows. The
     * snapshot's own chain is the shadow's there (the checker judges the snapshot when the
     * node restores its state from it). */
    if (st.snap_index > 0 && st.snap_index <= shadow) {
        d = st.snap_index + 1;
        chain = chk_chain(s->chk, node, st.snap_index);
    }
    uint64_t first = d;
    const raft_entry *es = st.last_index >= d ? s->impl->entry(s->nodes[node].node, d) : NULL;
    while (d <= shadow && d <= st.last_index) {
        const raft_entry *e = &es[d - first]; /* node.h: entries first..last_index are contiguous */
        chain = chk_chain_next(chain, e->term, sim_cmd_hash(s, e->cmd));
        if (chain != chk_chain(s->chk, node, d)) break;
        d++;
    }
    trace_writer *t = s->tr;
    trace_begin_event(t, s->now, "restore");
    trace_u64(t, "node", node);
    trace_u64(t, "term", st.term);
    if (st.voted_for) trace_u64(t, "vote", st.voted_for);
    trace_u64(t, "index", st.last_index);
    trace_u64(t, "from", d);
    trace_end(t);
    if (!sim_checked(s, chk_restore(s->chk, node, st.term, st.voted_for, d - 1))) return;
    if (d <= shadow) fx_truncate(s, node, d);
    if (d <= st.last_index && !s->done) fx_append(s, node, d, st.last_index);
}

void sim_trace_node(sim *s, const char *ev, uint8_t node) {
    trace_begin_event(s->tr, s->now, ev);
    trace_u64(s->tr, "node", node);
    trace_end(s->tr);
}

/* Returns 1 if the event was a step (it did something), 0 if it was a stale timer. */
int sim_on_timer(sim *s, uint8_t node, uint64_t t_us) {
    sim_node *n = &s->nodes[node];
    if (t_us != n->timer_at) return 0; /* superseded by an earlier one */
    n->timer_at = TIME_NEVER;
    if (!n->up || n->paused) return 0; /* restart and resume re-arm */
    if (s->impl->deadline(n->node) > s->now) {
        sim_arm_timer(s, node);
        return 0;
    }
    /* A leader's timer is its heartbeat; anyone else's is an election timeout. */
    sim_trace_node(s, s->impl->timer_name(n->node), node);
    node_out_clear(&s->out);
    s->impl->tick(n->node, s->now, &s->out);
    sim_apply_out(s, node);
    sim_arm_timer(s, node);
    return 1;
}

/* The leader in the highest term among live nodes, 0 if none. Paused nodes are live. */
uint8_t sim_leader_now(const sim *s) {
    uint8_t best = 0;
    uint64_t best_term = 0;
    for (uint32_t i = 1; i <= s->n; i++) {
        if (!s->nodes[i].up) continue;
        node_status st = sim_node_status(s, (uint8_t)i);
        if (st.role != RAFT_ROLE_LEADER) continue;
        if (!best || st.term > best_term) {
            best = (uint8_t)i;
            best_term = st.term;
        }
    }
    return best;
}

uint64_t sim_highest_term(const sim *s) {
    uint64_t t = 0;
    for (uint32_t i = 1; i <= s->n; i++) {
        if (!s->nodes[i].up) continue;
        uint64_t term = sim_node_status(s, (uint8_t)i).term;
        if (term > t) t = term;
    }
    return t;
}

const char *sim_ref_name(scn_ref r) {
    switch (r) {
    case SCN_REF_LEADER: return "leader";
    case SCN_REF_FOLLOWER: return "follower";
    case SCN_REF_CRASHED: return "crashed";
    default: return "node";
    }
}

/* Resolves a reference when its event runs; 0 if it names no node now. */
uint8_t sim_resolve(const sim *s, scn_ref r) {
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
uint8_t sim_resolve_or_fail(sim *s, uint32_t idx, scn_ref r) {
    uint8_t id = sim_resolve(s, r);
    if (!id && s->scn->events[idx].optional) {
        trace_begin_event(s->tr, s->now, "skip");
        trace_u64(s->tr, "event", idx);
        trace_str(s->tr, "why", sim_ref_name(r));
        trace_end(s->tr);
        return 0;
    }
    if (!id) s->res->fail_event = idx;
    if (!id)
        sim_stop(s, SIM_EXPECT_FAILED, "events[%u] at %" PRIu64 " us: no %s node to act on", idx,
                 s->now, sim_ref_name(r));
    return id;
}

void sim_hold(sim *s, uint8_t node, uint32_t kind, uint32_t arg) {
    sim_node *n = &s->nodes[node];
    if (n->n_held == n->cap_held) {
        n->cap_held = n->cap_held ? n->cap_held * 2 : 16;
        n->held = rs_xrealloc(n->held, n->cap_held * sizeof *n->held);
    }
    n->held[n->n_held++] = (held_msg){.kind = kind, .arg = arg};
}

/* Initial persisted state, written at t = 0 as SPEC section 3 says, and shown to the checker. */
void sim_load_initial(sim *s) {
    for (uint32_t k = 0; k < s->scn->n_initial && !s->done; k++) {
        const scn_initial *in = &s->scn->initial[k];
        raft_entry *es = rs_xcalloc(in->n_log ? in->n_log : 1, sizeof *es);
        for (uint32_t i = 0; i < in->n_log; i++)
            es[i] = (raft_entry){.term = in->log[i].term,
                                 .cmd = sim_cmd_add(s, in->log[i].cmd, strlen(in->log[i].cmd))};
        s->impl->load(s->nodes[in->node].node, in->term, in->voted_for, es, in->n_log);
        free(es);
        fx_role(s, in->node, in->term, RAFT_ROLE_FOLLOWER);
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

static uint32_t env_cmd_intern(void *ctx, const char *bytes, size_t len) {
    return sim_cmd_add(ctx, bytes, len);
}

void sim_init(sim *s, const sim_config *cfg, sim_result *res) {
    const scenario *scn = cfg->scn;
    memset(s, 0, sizeof *s);
    memset(res, 0, sizeof *res);
    res->fail_event = -1;
    s->scn = scn;
    s->cfg = cfg;
    s->res = res;
    s->n = scn_id_space(scn); /* the starting nodes, and spares that add events bring in */
    ASSERT(s->n >= 1 && s->n <= RS_NODES_MAX);
    trace_init_off(&s->off);
    s->tr = cfg->trace ? cfg->trace : &s->off;
    s->chk = chk_new(s->n);
    node_out_init(&s->out);
    s->impl = node_impl_find(scn->implementation ? scn->implementation : "builtin");
    ASSERT(s->impl); /* the loader accepts only names it knows */
    s->env = (node_env){.ctx = s, .cmd_intern = env_cmd_intern, .snapshot_id = env_snapshot_id};
    s->disk_fail_on = (uint8_t)disk_fail_wanted(scn);
    s->disk_fail_threshold = rs_rng_threshold32(scn->disk_fail);
    s->durability = scn->disk_write.max_us > 0 || s->disk_fail_on;
    s->disk_on = s->durability && !s->impl->own_disk;
    net_init(s);
    s->crashed = rs_xcalloc(s->n + 1, 1);
    s->pending = rs_xcalloc(scn->n_events + 1, sizeof *s->pending);
    s->nodes = rs_xcalloc(s->n + 1, sizeof *s->nodes);
    init_watch(s);
    raft_config rc = {.election_timeout_min_us = scn->election_timeout.min_us,
                      .election_timeout_max_us = scn->election_timeout.max_us,
                      .heartbeat_us = scn->heartbeat_us,
                      .max_entries_per_msg = RS_AE_ENTRIES_MAX,
                      .bugs = cfg->bugs,
                      .prevote = scn->prevote,
                      .check_quorum = scn->check_quorum,
                      .noop = scn->noop,
                      .persist_async = s->disk_on};
    if (scn->noop) rc.noop_cmd = sim_cmd_add(s, "noop", 4);
    members_init(s, &rc);
    if (s->members_on) chk_start_voters(s->chk, s->n_start);
    for (uint32_t i = 1; i <= s->n; i++) {
        rs_rng seeder;
        rs_rng_seed(&seeder, cfg->seed, i); /* one independent stream per node */
        uint64_t node_seed = rs_rng_next(&seeder);
        uint64_t disk_seed = rs_rng_next(&seeder); /* its disk's: latency draws move no other */
        node_params p = {.id = (uint8_t)i,
                         .n_nodes = (uint8_t)s->n,
                         .cfg = rc,
                         .rng_seed = node_seed,
                         .disk_seed = disk_seed,
                         .clock_ppm = scn->clock_ppm && i <= scn->nodes ? scn->clock_ppm[i]
                                                                        : 1000000,
                         .scn = scn,
                         .env = &s->env};
        s->nodes[i].node = s->impl->create(&p);
        s->nodes[i].up = i <= s->n_start;
        s->nodes[i].absent = i <= s->n_start ? 0 : SIM_ABSENT_SPARE;
        s->nodes[i].joined = i <= s->n_start;
        s->nodes[i].timer_at = TIME_NEVER;
    }
}

void sim_destroy(sim *s) {
    for (uint32_t i = 1; i <= s->n; i++) {
        s->impl->destroy(s->nodes[i].node);
        free(s->nodes[i].held);
    }
    disk_free(s);
    free(s->nodes);
    net_free(s);
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
    free(s->cmd_kv);
    for (uint64_t i = 0; i < s->n_snaps; i++) {
        if (s->snaps[i].kv) s->on_kv_free(s->snaps[i].kv);
        free(s->snaps[i].watch);
    }
    free(s->snaps);
    free(s->gen_hash);
    free(s->conf_cmds);
    chk_free(s->chk);
    node_out_free(&s->out);
}
