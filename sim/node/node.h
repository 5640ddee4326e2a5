/* node.h - the one interface between the engine and a Raft implementation (SPEC section 6).
 *
 * An implementation is a table of functions (node_impl). The engine creates one node per id,
 * boots it, hands it messages and fires its timer, offers it client commands, crashes and
 * restarts it, and reads what it did from a node_out: the same ordered list of effects the
 * built-in node produces (raft/raft.h: role and term changes, votes, appends, truncations,
 * commits, applies, messages to send), plus for each message an optional body that only the
 * implementation understands (the engine carries it through the network and frees it through
 * the table). An implementation translates; it never decides a protocol question, so a failure
 * found under it belongs to the node (STYLE point 17).
 *
 * Implementations: sim/node/builtin.c (raft/ through its pure interface) and
 * sim/node/canonical.c (canonical raft, libraft, through its struct raft_io). Nothing else in
 * sim/ knows which one runs. */
#ifndef RAFTSIM_NODE_H
#define RAFTSIM_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "raft/raft.h"
#include "sim/scenario/scenario.h"

/* Message types beyond the built-in node's four (raft_msg_type), for implementations that
 * have them. The envelope (raft_msg) carries the fields the trace shows, as raft/raft.h lays
 * them out, plus: a RequestVote with ok set is a pre-vote request, and a RequestVote reply
 * with log_term set answers a pre-vote (neither binds a vote). */
enum {
    NODE_MSG_INSTALL_SNAPSHOT = RAFT_MSG_TYPE_COUNT, /* index: last index, log_term: its term */
    NODE_MSG_TIMEOUT_NOW,                            /* index/log_term: the sender's last entry */
    NODE_MSG_TYPE_COUNT
};
_Static_assert(NODE_MSG_TIMEOUT_NOW == (int)RAFT_MSG_TIMEOUT_NOW, "one TimeoutNow for all");
const char *node_msg_type_name(unsigned type);

/* An effect beyond raft_fx_kind, for implementations that keep their own disk (SPEC section
 * 7): writes completed, the log is durable through a, and b = term * 256 + vote is durable. */
#define NODE_FX_PERSIST (RAFT_FX_READ + 1)

/* Snapshots (SPEC section 8 cluster.snapshot), for implementations that have them. A snapshot's
 * state machine is the engine's to keep (the key-value store): the implementation asks the
 * engine for an id (node_env.snapshot_id) when it takes one, carries that id in the snapshot's
 * bytes, and names it when the snapshot comes back:
 * - NODE_FX_SNAP_TAKE, a = index, b = id: the node saved its state machine, applied through
 *   index (every apply through index was reported before), as snapshot id.
 * - NODE_FX_SNAP_INSTALL, a = index, b = id: the node replaced its whole log by snapshot id,
 *   received from a leader; entry() then starts after index.
 * - NODE_FX_SNAP_RESTORE, a = id: the node reset its state machine from snapshot id (an
 *   install completed, or a restart loaded it); it has applied through the snapshot's index. */
#define NODE_FX_SNAP_TAKE (RAFT_FX_READ + 2)
#define NODE_FX_SNAP_INSTALL (RAFT_FX_READ + 3)
#define NODE_FX_SNAP_RESTORE (RAFT_FX_READ + 4)
_Static_assert(NODE_FX_SNAP_TAKE == RAFT_FX_SNAP_TAKE && NODE_FX_SNAP_INSTALL == RAFT_FX_SNAP_INSTALL &&
                   NODE_FX_SNAP_RESTORE == RAFT_FX_SNAP_RESTORE,
               "raft/ emits the snapshot effects as node.h numbers them");
_Static_assert(NODE_MSG_INSTALL_SNAPSHOT == (int)RAFT_MSG_INSTALL_SNAPSHOT,
               "one InstallSnapshot for all");

/* Failed writes (disk.fail, fail_writes), for an implementation that keeps its own disk:
 * - NODE_FX_DISK_FAIL, a = what (NODE_FAIL_*), b = its index (append: the first entry;
 *   truncate: from; snapshot: its index) or its term (term) or vote (vote): a write failed,
 *   and the node was told so.
 * - NODE_FX_STOPPED: the node stopped serving (canonical raft: unavailable, as it becomes when
 *   a write of its term or vote fails); the engine crashes it, and a restart brings it back. */
#define NODE_FX_DISK_FAIL (RAFT_FX_READ + 9)
#define NODE_FX_STOPPED (RAFT_FX_READ + 10)
enum {
    NODE_FAIL_APPEND = 1,
    NODE_FAIL_TRUNCATE,
    NODE_FAIL_SNAPSHOT,
    NODE_FAIL_TERM,
    NODE_FAIL_VOTE
};

/* Switches of SPEC section 8 an implementation may have. */
enum {
    NODE_FEAT_PREVOTE = 1u << 0,
    NODE_FEAT_SNAPSHOT = 1u << 1,
    NODE_FEAT_CHECK_QUORUM = 1u << 2,
    NODE_FEAT_NOOP = 1u << 3,
    NODE_FEAT_TRANSFER = 1u << 4,   /* the transfer action; node_impl.transfer */
    NODE_FEAT_READ_INDEX = 1u << 5, /* cluster.reads "read_index"; node_impl.read */
    /* disk.fail, fail_writes and disk events */
    NODE_FEAT_FAILED_WRITES = 1u << 10,
    NODE_FEAT_MEMBERS = 1u << 6,    /* the add and remove actions; node_impl.change and conf */
};

/* A membership change asked of a leader (SPEC section 8). */
typedef enum { NODE_CHANGE_ADD = 1, NODE_CHANGE_REMOVE = 2 } node_change_op;

/* What one call of a node produced: the effects and messages (raft_out), and one body pointer
 * per message (NULL for the built-in node, whose messages are plain raft_msg). */
typedef struct {
    raft_out r;
    void **body; /* [r.n_msgs] when the implementation has bodies */
    size_t cap_body;
} node_out;

void node_out_init(node_out *o);
void node_out_clear(node_out *o);
void node_out_free(node_out *o);
/* For implementations that are not raft/: append an effect, or a message with its body. */
void node_out_fx(node_out *o, raft_fx_kind kind, uint64_t a, uint64_t b);
void node_out_send(node_out *o, const raft_msg *m, void *body);

/* Services of the engine an implementation may call (function pointers: an implementation
 * never calls into the engine's files directly). */
typedef struct {
    void *ctx;
    /* The command handle of an entry's bytes (an entry the library made itself, such as a
     * configuration or a barrier, gets its own handle and shows in the trace by these bytes). */
    uint32_t (*cmd_intern)(void *ctx, const char *bytes, size_t len);
    /* A new snapshot id, for NODE_FX_SNAP_TAKE (1, 2, 3, ... in the order asked). */
    uint64_t (*snapshot_id)(void *ctx);
} node_env;

typedef struct {
    uint8_t id;
    uint8_t n_nodes;
    raft_config cfg;    /* timing in microseconds, bugs */
    uint64_t rng_seed;  /* the node's own stream */
    uint64_t disk_seed; /* its disk's stream (write latencies, torn writes) */
    /* How fast the node's clock runs, in millionths of real time (1000000: true). Every time
     * the engine passes is real; the node's timers run on its own clock. */
    uint32_t clock_ppm;
    const scenario *scn;
    const node_env *env;
} node_params;

/* What the engine asks of a node between calls: scenario references, expectations, clients. */
typedef struct {
    raft_role role;
    uint64_t term;
    uint64_t commit;
    uint64_t last_index;
    uint8_t voted_for;
    uint8_t leader_hint; /* the leader this node believes in, 0 if none */
    /* The index of the node's latest snapshot (after a crash: its durable one), 0 if none:
     * entry() may not read at or below it. */
    uint64_t snap_index;
} node_status;

typedef struct node_impl {
    const char *name;
    const char *version; /* recorded in the trace header */
    const char *what;    /* one line for --impl list */
    /* Set when the implementation reports its persistent changes before any message that
     * depends on them, within one call (the engine then asserts that order). */
    int persist_before_send;
    /* Set when the implementation keeps its own disk (write latency, crash loss, torn writes
     * from the scenario's "disk"); otherwise the engine models the disk for it, holding each
     * message until the writes before it are durable. After crash() the node's log, term and
     * vote (entry(), status()) are what is durable. */
    int own_disk;
    /* Entries the implementation writes before the first command (canonical raft: its
     * bootstrap configuration at index 1). Index-based expectations (committed_at_least,
     * committed_at_most) count commands, so they are shifted by this much. */
    uint32_t index_base;
    /* The term every node starts in (canonical raft: 1, its bootstrap term). term_at_most and
     * term_at_least count terms from it, so a scenario reads the same on every implementation. */
    uint32_t term_base;
    /* The injected bugs (SPEC section 5) it has; the key-value layer's work under any. */
    uint32_t bugs;
    /* The switches of SPEC section 8 it has (NODE_FEAT_*); a scenario that turns on another
     * is refused, naming the field. */
    uint32_t features;
    /* 0 if the implementation can run the scenario; otherwise writes "FIELD: why" into why and
     * returns 2 (the run is refused with exit 2, never skipped silently). */
    int (*check_scenario)(const scenario *scn, char *why, size_t cap);
    void *(*create)(const node_params *p);
    void (*destroy)(void *node);
    /* Persisted state before the run (scenario "initial"); no effects. */
    void (*load)(void *node, uint64_t term, uint8_t voted_for, const raft_entry *entries,
                 uint64_t n_entries);
    /* Optional: the implementation's own persisted state before the run (canonical raft: its
     * bootstrap configuration entry), reported as effects at time 0 before any node starts. */
    void (*bootstrap)(void *node, node_out *out);
    /* Boots, or reboots after crash(), from persisted state. */
    void (*start)(void *node, uint64_t now_us, node_out *out);
    /* Loses every volatile state at now_us; persisted state survives for the next start(). */
    void (*crash)(void *node, uint64_t now_us);
    void (*step)(void *node, uint64_t now_us, const raft_msg *m, const void *body, node_out *out);
    /* Optional, for an implementation whose disk the engine models: its log is durable
     * through index, its term up to term (the node may now count on them). */
    void (*persisted)(void *node, uint64_t now_us, uint64_t index, uint64_t term, node_out *out);
    /* Optional, likewise: a persistent write failed (scenario disk.fail, fail_writes). 1: the
     * node stops, and the engine crashes it (what is not durable is lost, the messages behind
     * the write never leave); 0: it carries on. NULL: it stops. */
    int (*write_failed)(void *node, uint64_t now_us);
    /* Optional, for an implementation with its own disk and NODE_FEAT_FAILED_WRITES: its next
     * count write batches fail (fail_writes), and the rate at which they fail from now on, as
     * rs_rng_threshold32 (disk.fail, the disk event). */
    void (*fail_writes)(void *node, uint32_t count);
    void (*fail_rate)(void *node, uint64_t threshold);
    /* Fires whatever is due: called when now_us >= deadline(). */
    void (*tick)(void *node, uint64_t now_us, node_out *out);
    uint64_t (*deadline)(const void *node);
    /* The trace's name for the timer about to fire (e.g. "heartbeat", "timeout"). */
    const char *(*timer_name)(const void *node);
    /* Leadership transfer to target (NODE_FEAT_TRANSFER; NULL otherwise): 1 if the node took
     * the request (it is leader and target another voter), 0 if refused, with no effects. */
    int (*transfer)(void *node, uint64_t now_us, uint8_t target, node_out *out);
    /* A linearizable read (NODE_FEAT_READ_INDEX; NULL otherwise): 1 if the node took it; it
     * reports RAFT_FX_READ (a = id) when the read may be answered from its state machine, or
     * never (it stopped leading). 0 if refused, with no effects. */
    int (*read)(void *node, uint64_t now_us, uint64_t id, node_out *out);
    /* A client command: 1 if accepted (the node is leader), 0 if refused, with no effects. */
    int (*propose)(void *node, uint64_t now_us, uint32_t cmd, node_out *out);
    void (*status)(const void *node, node_status *st);
    /* Entry `index` of the node's log (1..last_index), valid until the node's next call; the
     * entries from index to last_index follow it in memory (the engine reads a range from one
     * call). */
    const raft_entry *(*entry)(const void *node, uint64_t index);
    /* Frees a message body once the network is done with every copy of it. */
    void (*body_free)(void *body);
    /* Optional, for an implementation whose disk the engine models and that takes snapshots:
     * at a restart, before load(), its durable snapshot (index 0: none); load()'s entries then
     * follow index. conf: the configuration in force at index, as the node reported it when the
     * snapshot was taken (node_impl.conf; NULL for an implementation without it). */
    void (*load_snapshot)(void *node, uint64_t index, uint64_t term, uint64_t id,
                          const raft_conf *conf);
    /* Membership (NODE_FEAT_MEMBERS; NULL otherwise). change: a leader is asked to add a new
     * server (it catches up as a non-voter, then votes) or to remove one; 1 if it took the
     * request, 0 if refused, with no effects. conf: the configuration in force at index
     * (0..last_index) of the node's log; returns the index of the configuration entry that set
     * it (index itself when entry index is a configuration entry), 0 for the initial one. */
    int (*change)(void *node, uint64_t now_us, node_change_op op, uint8_t target, node_out *out);
    uint64_t (*conf)(const void *node, uint64_t index, raft_conf *c);
} node_impl;

/* The implementations compiled in, in the order --impl list shows them; the first is the
 * default. */
extern const node_impl *const node_impls[];
extern const unsigned node_impl_count;
const node_impl *node_impl_find(const char *name);

#endif
