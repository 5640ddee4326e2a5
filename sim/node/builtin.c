/* builtin.c - the built-in node (raft/) behind node.h: every call goes straight to raft/'s pure
 * interface, and its outbox is the engine's. Messages have no body. */
#include <stdio.h>
#include <stdlib.h>

#include "raft/raft.h"
#include "sim/base/bugs.h"
#include "sim/base/util.h"
#include "sim/node/node.h"

static int builtin_check(const scenario *scn, char *why, size_t cap) {
    (void)scn;
    (void)why;
    (void)cap;
    return 0;
}

/* The node and its clock. raft/ sees only its own clock's time: real time times its rate
 * (clock drift), so its timers fire early on a fast clock and late on a slow one; deadlines
 * go back to real time for the engine. The raft_node comes first: status() and entry() read
 * the node through a pointer to it. */
typedef struct {
    raft_node n;
    uint32_t clock_ppm;
    const node_env *env; /* snapshot ids (cluster.snapshot) */
} bnode;

static uint64_t local_of(const void *node, uint64_t real_us) {
    const bnode *b = node;
    if (b->clock_ppm == 1000000) return real_us;
    return (uint64_t)((unsigned __int128)real_us * b->clock_ppm / 1000000);
}

/* The first real time at which the node's clock reads local_us. */
static uint64_t real_of(const bnode *b, uint64_t local_us) {
    if (b->clock_ppm == 1000000) return local_us;
    unsigned __int128 r = ((unsigned __int128)local_us * 1000000 + b->clock_ppm - 1) / b->clock_ppm;
    return r > UINT64_MAX ? UINT64_MAX : (uint64_t)r;
}

/* raft/ takes a snapshot under an id handed in beforehand (it cannot ask the engine itself):
 * after every call, a node that used its id gets the next one. */
static void give_snapshot_id(bnode *b) {
    if (b->n.cfg.snapshot_every && b->n.snap_id_next == 0)
        raft_give_snapshot_id(&b->n, b->env->snapshot_id(b->env->ctx));
}

static void *builtin_create(const node_params *p) {
    bnode *b = rs_xcalloc(1, sizeof *b);
    ASSERT(p->clock_ppm > 0);
    b->clock_ppm = p->clock_ppm;
    raft_config cfg = p->cfg;
    cfg.snapshot_every = p->scn->snapshot_every;
    cfg.snapshot_trailing = p->scn->snapshot_trailing;
    raft_node_init(&b->n, p->id, p->n_nodes, &cfg, p->rng_seed);
    b->env = p->env;
    give_snapshot_id(b);
    return b;
}

static void builtin_destroy(void *node) {
    raft_node_free(node);
    free(node);
}

static void builtin_load(void *node, uint64_t term, uint8_t voted_for, const raft_entry *entries,
                         uint64_t n_entries) {
    raft_load(node, term, voted_for, entries, n_entries);
}

static void builtin_start(void *node, uint64_t now_us, node_out *out) {
    raft_node_start(node, local_of(node, now_us), &out->r);
    give_snapshot_id(node);
}

/* raft/ keeps its persistent and volatile state in one struct; raft_node_start() at the restart
 * resets the volatile part (role, commit, timers), so a crash itself has nothing to do. */
static void builtin_crash(void *node, uint64_t now_us) {
    (void)node;
    (void)now_us;
}

static void builtin_step(void *node, uint64_t now_us, const raft_msg *m, const void *body,
                         node_out *out) {
    (void)body;
    raft_step(node, local_of(node, now_us), m, &out->r);
    give_snapshot_id(node);
}

static void builtin_persisted(void *node, uint64_t now_us, uint64_t index, uint64_t term,
                              node_out *out) {
    raft_persisted(node, local_of(node, now_us), index, term, &out->r);
    give_snapshot_id(node);
}

static int builtin_write_failed(void *node, uint64_t now_us) {
    (void)now_us;
    return raft_write_failed(node);
}

static void builtin_tick(void *node, uint64_t now_us, node_out *out) {
    raft_tick(node, local_of(node, now_us), &out->r);
    give_snapshot_id(node);
}

static uint64_t builtin_deadline(const void *node) {
    return real_of(node, raft_deadline(node));
}

/* A leader's timer is its heartbeat (or its check-quorum count); anyone else's is an election
 * timeout. */
static const char *builtin_timer_name(const void *node) {
    const raft_node *n = node;
    if (n->role != RAFT_ROLE_LEADER) return "timeout";
    return raft_deadline(n) < n->heartbeat_deadline_us ? "quorum_check" : "heartbeat";
}

static int builtin_transfer(void *node, uint64_t now_us, uint8_t target, node_out *out) {
    return raft_node_transfer(node, now_us, target, &out->r);
}

static int builtin_read(void *node, uint64_t now_us, uint64_t id, node_out *out) {
    return raft_node_read(node, now_us, id, &out->r);
}

static int builtin_propose(void *node, uint64_t now_us, uint32_t cmd, node_out *out) {
    int taken = raft_propose(node, local_of(node, now_us), cmd, &out->r);
    give_snapshot_id(node); /* a one-node cluster commits, and may snapshot, at once */
    return taken;
}

static void builtin_status(const void *node, node_status *st) {
    const raft_node *n = node;
    st->role = n->role;
    st->term = n->term;
    st->commit = n->commit;
    st->last_index = n->log_len;
    st->voted_for = n->voted_for;
    st->leader_hint = n->leader_hint;
    st->snap_index = n->snap.index;
}

static const raft_entry *builtin_entry(const void *node, uint64_t index) {
    const raft_node *n = node;
    ASSERT(index > n->log_off && index <= n->log_len);
    return raft_entry_at(n, index);
}

/* At a restart from the disk the engine models: the durable snapshot, before load(). */
static void builtin_load_snapshot(void *node, uint64_t index, uint64_t term, uint64_t id,
                                  const raft_conf *conf) {
    ASSERT(index == 0 || conf);
    raft_snapshot_meta meta = {.index = index, .term = term, .id = id};
    if (index) meta.conf = *conf;
    raft_load_snapshot(node, &meta);
}

static int builtin_change(void *node, uint64_t now_us, node_change_op op, uint8_t target,
                          node_out *out) {
    raft_conf_op rop = op == NODE_CHANGE_ADD ? RAFT_CONF_ADD_LEARNER : RAFT_CONF_REMOVE;
    return raft_node_change(node, local_of(node, now_us), rop, target, &out->r);
}

static uint64_t builtin_conf(const void *node, uint64_t index, raft_conf *c) {
    return raft_conf_at(node, index, c);
}

static void builtin_body_free(void *body) {
    ASSERT(body == NULL);
}

const node_impl node_builtin = {
    .name = "builtin",
    .version = "0.1.0",
    .what = "raftsim's own node (raft/): Figure 2, no-op, pre-vote, check-quorum, transfer, "
            "ReadIndex, snapshots",
    .persist_before_send = 1,
    .index_base = 0,
    .term_base = 0,
    .features = NODE_FEAT_PREVOTE | NODE_FEAT_CHECK_QUORUM | NODE_FEAT_NOOP | NODE_FEAT_TRANSFER |
                NODE_FEAT_READ_INDEX | NODE_FEAT_FAILED_WRITES | NODE_FEAT_SNAPSHOT |
                NODE_FEAT_MEMBERS,
    .bugs = RAFT_BUG_VOTE_IGNORES_LOG | RAFT_BUG_COMMIT_OLD_TERM | RAFT_BUG_FORGET_VOTE |
            RAFT_BUG_TRUNCATE_ON_MATCH | RAFT_BUG_NO_STEPDOWN | RAFT_BUG_PREVOTE_WINS |
            RAFT_BUG_NOOP_SELF_COMMIT | RAFT_BUG_TRANSFER_HANDOFF | RAFT_BUG_READ_INDEX_NO_ROUND |
            BUG_ACK_BEFORE_PERSIST | RAFT_BUG_IGNORE_WRITE_ERROR | RAFT_BUG_INSTALL_OLD_SNAPSHOT |
            RAFT_BUG_TWO_CHANGES,
    .check_scenario = builtin_check,
    .create = builtin_create,
    .destroy = builtin_destroy,
    .load = builtin_load,
    .start = builtin_start,
    .crash = builtin_crash,
    .step = builtin_step,
    .persisted = builtin_persisted,
    .write_failed = builtin_write_failed,
    .tick = builtin_tick,
    .deadline = builtin_deadline,
    .timer_name = builtin_timer_name,
    .transfer = builtin_transfer,
    .read = builtin_read,
    .propose = builtin_propose,
    .status = builtin_status,
    .entry = builtin_entry,
    .body_free = builtin_body_free,
    .load_snapshot = builtin_load_snapshot,
    .change = builtin_change,
    .conf = builtin_conf,
};
