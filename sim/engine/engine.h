/* sim_impl.h - the simulator's internal state, shared by sim.c (the loop, the network, the
 * scenario events) and clients.c (key-value clients and the nodes' client service). Not part of
 * the public interface: nothing outside sim/sim.c and sim/clients.c includes it. */
#ifndef RAFTSIM_SIM_IMPL_H
#define RAFTSIM_SIM_IMPL_H

#include <stdint.h>

#include "raft/raft.h"
#include "sim/check/check.h"
#include "sim/base/limits.h"
#include "sim/base/rng.h"
#include "sim/scenario/scenario.h"
#include "sim/raftsim.h"
#include "sim/trace/trace.h"

/* ---- the event queue: a binary heap ordered by (t_us, seq) ------------------------------ */

enum { EV_TIMER, EV_DELIVER, EV_SCENARIO, EV_EXPECT_DEADLINE, EV_CLIENT_MSG, EV_CLIENT_TIMER };

typedef struct {
    uint64_t t_us;
    uint64_t seq;
    uint32_t kind;
    uint32_t arg; /* node id, message slot, or scenario event index */
} sim_ev;

typedef struct {
    sim_ev *v;
    size_t n, cap;
    uint64_t next_seq;
} ev_heap;

/* ---- state ----------------------------------------------------------------------------- */

#define TIME_NEVER UINT64_MAX

typedef struct {
    raft_msg m;
    uint64_t id;
    raft_entry *ebuf; /* the message's entries; kept with the slot and reused */
    uint32_t ebuf_cap;
    uint32_t refs; /* pending deliveries (2 when duplicated) */
} net_slot;

typedef struct {
    uint32_t kind; /* EV_DELIVER or EV_CLIENT_MSG */
    uint32_t arg;
} held_msg;

typedef struct {
    raft_node raft;
    uint8_t up;
    uint8_t paused;
    uint64_t timer_at; /* time of this node's pending timer event, TIME_NEVER if none */
    held_msg *held;    /* deliveries that arrived while paused, in arrival order */
    size_t n_held, cap_held;
} sim_node;

typedef struct {
    uint8_t has_drop, has_delay, down;
    uint64_t drop_threshold; /* rs_rng_threshold32 of the link's drop rate */
    scn_range delay;
} link_cfg;

typedef struct {
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
    raft_out out;
    struct kv_state *kv; /* clients.c */
} sim;

/* Shared helpers, defined in sim.c. */
void sim_push(sim *s, uint64_t t_us, uint32_t kind, uint32_t arg);
void sim_stop(sim *s, sim_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
uint32_t sim_cmd_add(sim *s, const char *str, size_t len);
/* Hands the effects in s->out of the node's last call to trace, checker and network. */
void sim_apply_out(sim *s, uint8_t node);
void sim_arm_timer(sim *s, uint8_t node);
uint8_t sim_leader_now(const sim *s);
/* Holds a delivery (EV_DELIVER or EV_CLIENT_MSG) for a paused node until it resumes. */
void sim_hold(sim *s, uint8_t node, uint32_t kind, uint32_t arg);

/* Key-value clients and service, defined in clients.c. */
void kv_init(sim *s);
void kv_free(sim *s);
void kv_start_op(sim *s, uint32_t event_idx);            /* a scenario kv event */
int kv_on_msg(sim *s, uint32_t slot);                    /* 1 if it was a step */
int kv_on_timer(sim *s, uint32_t client, uint64_t t_us); /* 1 if it was a step */
void kv_on_apply(sim *s, uint8_t node, uint32_t cmd);    /* cmd is a kv command */
void kv_on_crash(sim *s, uint8_t node);
void kv_on_restart(sim *s, uint8_t node);
void kv_drop_held(sim *s, uint32_t slot); /* a held client message is lost */
void kv_finish(sim *s);                   /* end of run: outcomes, history check */
int kv_expect_holds(const sim *s, const scn_expect *e, char *why, size_t cap);

#endif
