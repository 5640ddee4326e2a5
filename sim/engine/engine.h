/* engine.h - the engine's internal state and the functions its parts share: cluster.c (the
 * nodes and their effects), net.c (the network), actions.c and expect.c (the scenario's events),
 * run.c (the loop), and the layers built on the engine (sim/kv/clients.c). Not for programs:
 * they use sim/raftsim.h. */
#ifndef RAFTSIM_ENGINE_H
#define RAFTSIM_ENGINE_H

#include <stdint.h>

#include "raft/raft.h"
#include "sim/check/check.h"
#include "sim/base/limits.h"
#include "sim/base/rng.h"
#include "sim/base/util.h"
#include "sim/engine/queue.h"
#include "sim/node/node.h"
#include "sim/scenario/scenario.h"
#include "sim/raftsim.h"
#include "sim/trace/trace.h"

enum {
    EV_TIMER,
    EV_DELIVER,
    EV_SCENARIO,
    EV_EXPECT_DEADLINE,
    EV_CLIENT_MSG,
    EV_CLIENT_TIMER,
    EV_DISK,   /* a node's disk completes writes (disk.c) */
    EV_DEPART, /* a message held for its writes leaves (arg: its slot) */
};

/* ---- state ----------------------------------------------------------------------------- */

#define TIME_NEVER UINT64_MAX

typedef struct {
    raft_msg m;
    uint64_t id;
    raft_entry *ebuf; /* the message's entries; kept with the slot and reused */
    uint32_t ebuf_cap;
    uint32_t refs;  /* pending deliveries (2 when duplicated) */
    void *body;     /* the implementation's message body, NULL for the built-in node */
    uint64_t epoch; /* a held message (EV_DEPART): its sender's disk epoch */
    /* ... and its sender's failed writes so far (disk_failures) */
    uint64_t failures;
} net_slot;

/* A snapshot a node took (SPEC section 8): what it covers, and the state machine it saved. */
typedef struct {
    uint64_t index, term;
    uint8_t node;          /* the node that took it */
    void *kv;              /* the key-value layer's copy of the node's store, or NULL */
    uint8_t *watch;        /* [n_watch]: which watched commands its state had applied */
    raft_conf conf;        /* the configuration in force at index (node_impl.conf), for a restart */
} sim_snapshot;

typedef struct {
    uint32_t kind; /* EV_DELIVER or EV_CLIENT_MSG */
    uint32_t arg;
} held_msg;

typedef struct {
    void *node;            /* the implementation's node (node.h) */
    struct sim_disk *disk; /* disk.c, when the engine models this node's disk */
    uint8_t up;
    uint8_t paused;
    uint64_t timer_at; /* time of this node's pending timer event, TIME_NEVER if none */
    uint8_t untold;    /* writes completed while paused: the node hears of them on resume */
    /* a write failed and the node has not been told yet (paused) */
    uint8_t fail_untold;
    held_msg *held;    /* deliveries that arrived while paused, in arrival order */
    size_t n_held, cap_held;
    /* Membership (SPEC section 8): a spare id not added yet, or a node retired after its
     * removal committed (SIM_ABSENT_*); absent nodes are down and never restart. joined: the
     * node is in a committed configuration (the starting nodes from the start). */
    uint8_t absent;
    uint8_t joined;
    uint8_t removed; /* a committed configuration no longer has it */
    uint8_t retire;  /* removed and it knows: retired at the end of the current step */
} sim_node;

enum { SIM_ABSENT_SPARE = 1, SIM_ABSENT_RETIRED = 2 };

typedef struct {
    uint8_t has_drop, has_delay, down;
    uint64_t drop_threshold; /* rs_rng_threshold32 of the link's drop rate */
    scn_range delay;
} link_cfg;

typedef struct sim {
    const scenario *scn;
    const sim_config *cfg;
    sim_result *res;
    uint32_t n;
    sim_node *nodes; /* [n + 1] */
    ev_heap heap;
    uint64_t now;
    int done;
    /* network */
    rs_rng net_rng;
    scn_range delay;
    double drop_rate, duplicate_rate;
    uint64_t drop_threshold, duplicate_threshold; /* the rates, as rs_rng_threshold32 */
    uint8_t group[RS_NODES_MAX + 1];              /* partition group per node; 0 = not listed */
    link_cfg *links;                              /* [(n+1) * (n+1)], NULL until a link event */
    net_slot *slots;
    uint32_t n_slots, cap_slots;
    uint32_t *free_slots;
    uint32_t n_free;
    uint64_t msg_id;
    /* commands: strings in one arena, referenced by raft entries through their index */
    char *cmd_arena;
    size_t arena_len, arena_cap;
    uint64_t *cmd_off, *cmd_hash;
    uint32_t *cmd_len;
    uint32_t *cmd_kv; /* 0, or 1 + the index of the kv operation the command carries */
    uint32_t n_cmds, cap_cmds;
    uint64_t generated; /* commands made by submit.count so far */
    uint64_t appended;  /* entries appended by all nodes, for RS_RUN_ENTRIES_MAX */
    /* scenario bookkeeping */
    uint8_t *crashed; /* crash order of nodes still down, for the "crashed" reference */
    uint32_t n_crashed;
    /* Scenario events stay out of the heap (which then holds only what is in flight): they
     * are taken in time order from this list, and before queued events of the same time. */
    uint32_t *order; /* event indices, stably sorted by at_us: file order breaks ties */
    uint32_t next_event;
    uint32_t *pending; /* expectations with within_ms not yet met */
    uint32_t n_pending;
    /* commands named by applied_cmd expectations, and which nodes' state machines hold them */
    const char **watch;
    uint64_t *watch_hash;
    uint8_t *watch_applied; /* [w * (n + 1) + node] */
    uint32_t n_watch;
    chk *chk;
    trace_writer *tr;
    trace_writer off;
    const node_impl *impl;
    uint8_t disk_on;    /* the engine models the disk (disk.c) */
    uint8_t durability; /* writes take time: promises are recorded, restarts reconciled */
    node_env env;
    node_out out;
    struct kv_state *kv; /* the key-value layer (sim/kv/clients.c) */
    /* The layer above that owns commands with cmd_kv set: called when a node applies one. The
     * engine calls the key-value layer only through this pointer (run.c sets it), so the
     * layer can use the engine without a loop between the two. */
    void (*on_kv_apply)(struct sim *s, uint8_t node, uint32_t cmd);
    /* ReadIndex: the node may answer read id now (RAFT_FX_READ), through index. */
    void (*on_kv_read)(struct sim *s, uint8_t node, uint64_t id, uint64_t index);
    /* Snapshots: the layer saves a node's state machine, resets a node's from a saved one, and
     * frees a saved one. */
    void *(*on_kv_save)(struct sim *s, uint8_t node);
    void (*on_kv_load)(struct sim *s, uint8_t node, const void *saved);
    void (*on_kv_free)(void *saved);
    sim_snapshot *snaps; /* snapshot id i is snaps[i - 1] (node_env.snapshot_id) */
    uint64_t n_snaps, cap_snaps;
    /* Failed writes (disk.fail, fail_writes): on when the scenario may fail one; the rate now,
     * as rs_rng_threshold32. */
    uint8_t disk_fail_on;
    uint64_t disk_fail_threshold;
    /* A node stops on a failed write: crashed as by the crash action (actions.c; run.c sets
     * it, so that cluster.c does not call the actions). */
    void (*on_fail_stop)(struct sim *s, uint8_t node);
    /* The hashes of the generated commands seen last (each is hashed at every append and apply
     * of every node), by handle modulo gen_slots; NULL until the first one. */
    uint64_t *gen_hash; /* [2 * gen_slots]: handle, hash */
    uint32_t gen_slots; /* a power of 2 up to SIM_GEN_HASHES, grown with the handles made */
    /* Membership (SPEC section 8), on when the scenario has add or remove events: n is then the
     * id space (spares included) and n_start the starting cluster. */
    uint8_t members_on;
    uint8_t n_retire; /* nodes marked retire */
    uint32_t n_start;
    uint32_t *conf_cmds; /* the command handle of each configuration entry (raft_config) */
    /* The index of the newest configuration entry a commit was judged under (members_on_commit):
     * a node that commits behind it (a joiner's installed snapshot) tells nothing newer. */
    uint64_t members_conf_at;
} sim;

static inline void sim_push(sim *s, uint64_t t_us, uint32_t kind, uint32_t arg) {
    heap_push(&s->heap, t_us, kind, arg);
}

/* A node's status (role, term, commit, last index, leader hint). */
static inline node_status sim_node_status(const sim *s, uint8_t id) {
    node_status st;
    s->impl->status(s->nodes[id].node, &st);
    return st;
}

static inline const char *sim_cmd_str(const sim *s, uint32_t id) {
    return s->cmd_arena + s->cmd_off[id];
}

/* Commands made by submit.count ("cmd<n>") are not stored, since a long run makes millions:
 * handle SIM_CMD_GEN | n stands for one, and its bytes and hash are made again when asked. The
 * functions below take either kind; sim_cmd_str and the cmd_* arrays only stored ones. */
#define SIM_CMD_GEN 0x80000000u
#define SIM_CMD_BUF (3 + RS_U64_DEC_CAP) /* "cmd" and a decimal number */
#define SIM_GEN_HASHES 4096u
/* The command's bytes and length (a generated one written into buf). */
const char *sim_cmd_bytes(const sim *s, uint32_t id, char buf[SIM_CMD_BUF], uint32_t *len);
uint64_t sim_cmd_hash(sim *s, uint32_t id);
/* The next generated command's handle. */
uint32_t sim_cmd_generate(sim *s);

/* 0, or 1 + the index of the key-value operation the command carries. */
static inline uint32_t sim_cmd_kv(const sim *s, uint32_t id) {
    return (id & SIM_CMD_GEN) ? 0 : s->cmd_kv[id];
}

/* ---- cluster.c: the nodes, their effects, the run's shared services ---------------------- */

void sim_init(sim *s, const sim_config *cfg, sim_result *res);
void sim_destroy(sim *s);
/* Ends the run (the first call wins) with a status and a reason. */
void sim_stop(sim *s, sim_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Every checker verdict goes through here: 1 if it holds; a violation ends the run, 0. */
int sim_checked(sim *s, chk_result r);
uint32_t sim_cmd_add(sim *s, const char *str, size_t len);
/* Hands the effects in s->out of the node's last call to trace, checker and network. */
void sim_apply_out(sim *s, uint8_t node);
void sim_arm_timer(sim *s, uint8_t node);
/* A message's delivery (EV_DELIVER), and a node's timer (EV_TIMER: 1 if it was a step). */
void sim_on_deliver(sim *s, uint32_t slot);
int sim_on_timer(sim *s, uint8_t node, uint64_t t_us);
/* The scenario's initial persisted state, written at t = 0 (SPEC section 3). */
void sim_load_initial(sim *s);
void sim_trace_node(sim *s, const char *ev, uint8_t node);
uint8_t sim_leader_now(const sim *s);
uint64_t sim_highest_term(const sim *s);
const char *sim_ref_name(scn_ref r);
/* Resolves a node reference now; 0 if it names no node. */
uint8_t sim_resolve(const sim *s, scn_ref r);
/* Resolves the reference of scenario event idx, or fails the run naming the event (an
 * optional event is skipped instead); 0 either way when there is no such node. */
uint8_t sim_resolve_or_fail(sim *s, uint32_t idx, scn_ref r);
/* Holds a delivery (EV_DELIVER or EV_CLIENT_MSG) for a paused node until it resumes. */
void sim_hold(sim *s, uint8_t node, uint32_t kind, uint32_t arg);
/* Before a restart with writes lost: the node's log, term and vote as its implementation now
 * holds them (what is durable) are shown as truncate, append and restore events. */
void sim_reconcile(sim *s, uint8_t node);
/* EV_DEPART: a held message leaves, or never if its sender crashed meanwhile (1: a step). */
int sim_on_depart(sim *s, uint32_t slot);
/* EV_DISK: the node's disk completes writes, and the node hears of it (1: a step). */
int sim_on_disk(sim *s, uint8_t node);

/* ---- membership change (SPEC section 8): cluster.c, actions.c, expect.c -------------------- */

/* Before the nodes are created: spares, and the configuration entries' command handles. */
void members_init(sim *s, raft_config *rc);
/* The node's log gained entries first..last: config events (and the checker) for the
 * configuration entries among them. */
void members_on_append(sim *s, uint8_t node, uint64_t first, uint64_t last);
/* The node committed through index: nodes in that configuration have joined; nodes that had
 * joined and are no longer in it are retired at the end of the step. */
void members_on_commit(sim *s, uint8_t node, uint64_t index);
/* Counted by expectations over "every live node": up, and (with membership) joined. */
static inline int sim_counted(const sim *s, uint32_t id) {
    return s->nodes[id].up && (!s->members_on || s->nodes[id].joined);
}
/* The add and remove actions (actions.c), and the retirement of removed nodes (run.c calls it
 * at the end of every step that marked one). */
void sim_do_change(sim *s, uint32_t idx, const scn_event *e);
void sim_retire(sim *s);
/* The members expectation: 1 if it holds, else why is written. */
int members_expect_holds(const sim *s, const scn_expect *x, char *why, size_t cap);

/* ---- net.c: the network ------------------------------------------------------------------ */

void net_init(sim *s);
void net_free(sim *s);
/* Decides the message's fate and queues its deliveries; 0 when the queue is full (the caller
 * stops the run). */
int net_send(sim *s, const raft_msg *m, void *body);
/* Why a message from -> to cannot pass now ("partition", "link"), NULL if it can. */
const char *net_blocked(sim *s, uint8_t from, uint8_t to);
void net_trace_msg(sim *s, const char *ev, const raft_msg *m, uint64_t id, const char *reason);
/* A message lost for `why` ("loss", "partition", "link", "down"): counted and traced. */
void net_drop(sim *s, const raft_msg *m, uint64_t id, const char *why);
/* One delivery of the slot's message is done (or lost). */
void net_slot_release(sim *s, uint32_t slot);
/* A message that leaves later (EV_DEPART at t_us): kept in a slot until then. */
uint32_t net_hold(sim *s, const raft_msg *m, void *body, uint64_t t_us, uint64_t epoch);
/* The held message leaves now (0: the queue is full, as net_send). */
int net_depart(sim *s, uint32_t slot);
void net_set_groups(sim *s, const uint8_t group[RS_NODES_MAX + 1]);
void net_heal(sim *s);
void net_link(sim *s, uint8_t from, uint8_t to, const scn_event *e);
void net_set_defaults(sim *s, const scn_event *e);

/* ---- disk.c: the disk of an implementation without its own ---------------------------- */

void disk_init(sim *s);
void disk_free(sim *s);
void disk_record(sim *s, uint8_t node);
int disk_on_event(sim *s, uint8_t node);
/* The index through which the node's log is durable, and the durable term. */
uint64_t disk_durable(const sim *s, uint8_t node, uint64_t *term);
uint64_t disk_ready_at(const sim *s, uint8_t node);
uint64_t disk_epoch(const sim *s, uint8_t node);
void disk_crash(sim *s, uint8_t node);
void disk_load(sim *s, uint8_t node);
/* The trace's persist event: the node's log is durable through index, with term and vote
 * (the engine's disk, and implementations with their own, report through it). */
void disk_trace_persist(sim *s, uint8_t node, uint64_t index, uint64_t term, uint8_t vote);
/* Failed writes. disk_on_event's result has DISK_WROTE when batches completed, DISK_FAILED
 * when one failed (traced as disk_fail; its records are never durable). */
enum { DISK_WROTE = 1, DISK_FAILED = 2 };
/* Whether the scenario can fail a write (disk.fail above 0, or a fail_writes or disk event). */
int disk_fail_wanted(const scenario *scn);
void disk_fail_writes(sim *s, uint8_t node, uint32_t count); /* the next count batches fail */
void disk_set_fail(sim *s, double rate);                     /* the disk event */
uint64_t disk_failures(const sim *s, uint8_t node);          /* failed batches so far */
/* The durable term and vote, and how much of the node's log is durable, for judging a promise
 * that left behind a write that failed (the node carried on). */
void disk_durable_state(const sim *s, uint8_t node, uint64_t *term, uint8_t *vote,
                        uint64_t *keep);
/* Whether a message the node sends now must wait for its disk (a write is pending). */
int disk_must_hold(const sim *s, uint8_t node);

/* ---- actions.c and expect.c: the scenario's events ----------------------------------------- */

void sim_action(sim *s, uint32_t idx); /* scenario event idx is due */
/* A node that stops on a failed write: crashed as by the crash action. */
void sim_fail_stop(sim *s, uint8_t node);
void sim_expect_begin(sim *s, uint32_t idx);
void sim_expect_recheck(sim *s); /* after every step while expectations wait */
void sim_expect_deadline(sim *s, uint32_t idx);

#endif
