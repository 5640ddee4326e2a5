/* raft.h - one Raft node as a pure state machine (Raft paper, Figure 2).
 *
 * No clock, no randomness of its own, no IO, no globals: the simulator passes the current
 * virtual time in, seeds the node's generator, delivers messages with raft_step(), fires the
 * timer with raft_tick() when raft_deadline() is reached, and collects what the node did from
 * a raft_out: an ordered list of effects (state changes and messages to send). Persistent
 * state (currentTerm, votedFor, log) is changed and reported before any message that depends
 * on it is put in the outbox, so the simulator can persist it first (etcd's Ready rule). */
#ifndef RAFTSIM_RAFT_H
#define RAFTSIM_RAFT_H

#include <stddef.h>
#include <stdint.h>

#define RAFT_NODE_NONE 0

typedef enum { RAFT_ROLE_FOLLOWER, RAFT_ROLE_CANDIDATE, RAFT_ROLE_LEADER } raft_role;

/* Deliberately broken variants (SPEC section 5), one bit each; 0 is correct Raft. */
typedef enum {
    RAFT_BUG_VOTE_IGNORES_LOG = 1u << 0,  /* vote without the up-to-date check (5.4.1) */
    RAFT_BUG_COMMIT_OLD_TERM = 1u << 1,   /* count replicas for earlier-term entries (Fig. 8) */
    RAFT_BUG_FORGET_VOTE = 1u << 2,       /* votedFor not persisted across a crash */
    RAFT_BUG_TRUNCATE_ON_MATCH = 1u << 3, /* follower drops entries after prevLogIndex always */
    RAFT_BUG_NO_STEPDOWN = 1u << 4,       /* reply handlers ignore the reply's term */
    RAFT_BUG_PREVOTE_WINS = 1u << 5,      /* a won pre-vote round is taken as a won election */
    RAFT_BUG_NOOP_SELF_COMMIT = 1u << 6,  /* a new leader counts its no-op committed at once */
    RAFT_BUG_TRANSFER_HANDOFF = 1u << 7,  /* a transfer hands leadership over without election */
    RAFT_BUG_READ_INDEX_NO_ROUND = 1u << 8, /* ReadIndex without the heartbeat round */
    RAFT_BUG_IGNORE_WRITE_ERROR = 1u << 12, /* a failed write is ignored: the node carries on */
    RAFT_BUG_INSTALL_OLD_SNAPSHOT = 1u << 9, /* a follower installs any snapshot over its log */
    RAFT_BUG_TWO_CHANGES = 1u << 10, /* a leader takes a membership change while one is in flight */
} raft_bug;

/* What an entry is: a client command, or a membership change (thesis 4.1: one server at a
 * time). A configuration entry names one change of the configuration in force before it, so it
 * fits in the entry's spare bytes; the configuration at an index is the initial one with every
 * change up to that index applied in log order. */
typedef enum { RAFT_ENTRY_COMMAND = 0, RAFT_ENTRY_CONFIG = 1 } raft_entry_kind;
typedef enum {
    RAFT_CONF_ADD_LEARNER = 1, /* conf_node joins as a learner: replicated to, does not vote */
    RAFT_CONF_PROMOTE = 2,     /* the learner conf_node becomes a voter */
    RAFT_CONF_REMOVE = 3,      /* conf_node leaves (voter or learner) */
} raft_conf_op;

typedef struct {
    uint64_t term;
    uint32_t cmd; /* opaque to Raft: the simulator's handle of the command */
    uint8_t kind; /* raft_entry_kind */
    uint8_t conf_op;   /* configuration entries: raft_conf_op */
    uint8_t conf_node; /* configuration entries: the server it adds, promotes or removes */
    uint8_t reserved;
} raft_entry;

/* A configuration: who votes and who only learns, as bit sets over ids 0..255. */
typedef struct {
    uint64_t voters[4];
    uint64_t learners[4];
} raft_conf;

static inline int raft_conf_is_voter(const raft_conf *c, uint8_t id) {
    return (int)((c->voters[id >> 6] >> (id & 63)) & 1u);
}
static inline int raft_conf_is_learner(const raft_conf *c, uint8_t id) {
    return (int)((c->learners[id >> 6] >> (id & 63)) & 1u);
}
/* The configuration after one change; returns 0 (and leaves *c) if the change does not apply
 * (adding a member, promoting a non-learner, removing a non-member). */
int raft_conf_apply(raft_conf *c, raft_conf_op op, uint8_t node);
uint32_t raft_conf_voter_count(const raft_conf *c);

typedef enum {
    RAFT_MSG_REQUEST_VOTE,
    RAFT_MSG_REQUEST_VOTE_REPLY,
    RAFT_MSG_APPEND_ENTRIES,
    RAFT_MSG_APPEND_ENTRIES_REPLY,
    RAFT_MSG_TYPE_COUNT,
    /* Leadership transfer (thesis 3.10), numbered as sim/node/node.h numbers it for every
     * implementation: index/log_term are the sender's last entry. */
    RAFT_MSG_TIMEOUT_NOW = RAFT_MSG_TYPE_COUNT + 1,
    /* InstallSnapshot (paper section 7, Figure 13), numbered as node.h numbers it: index/log_term
     * [lastIncludedIndex/lastIncludedTerm], snap_id the state machine it carries. Answered by an
     * AppendEntries reply (ok, index: the snapshot's index), so the leader has one reply path. */
    RAFT_MSG_INSTALL_SNAPSHOT = RAFT_MSG_TYPE_COUNT,
} raft_msg_type;

/* One message. Field use by type (Figure 2 names in brackets):
 *   RequestVote:        index [lastLogIndex], log_term [lastLogTerm]; ok set: a pre-vote
 *                       request (thesis 9.6) for term, the term the sender would stand in
 *   RequestVote reply:  ok [voteGranted]; log_term set: it answers a pre-vote (term is then the
 *                       request's term if granted, the voter's own if not)
 *   AppendEntries:      index [prevLogIndex], log_term [prevLogTerm], commit [leaderCommit],
 *                       entries/n_entries [entries[]]
 *   AppendEntries reply: ok [success]; on success index is the last index the follower now
 *                       matches; on a log mismatch index/log_term are the conflict hints
 *                       (first index of the conflicting term, and that term; term 0 when the
 *                       follower's log is too short); both 0 when refused for its term. */
typedef struct {
    uint8_t type; /* raft_msg_type */
    uint8_t from;
    uint8_t to;
    uint8_t ok;
    uint32_t n_entries;
    uint32_t round; /* AppendEntries: the leader's ReadIndex round; its reply echoes it */
    uint64_t term;
    uint64_t index;
    uint64_t log_term;
    uint64_t commit;
    const raft_entry *entries; /* valid for the duration of the call that carries it */
    uint64_t snap_id;          /* InstallSnapshot: the snapshot's id (raft_snapshot_meta) */
} raft_msg;

typedef enum {
    RAFT_FX_ROLE,     /* role or term changed: a = term, b = raft_role */
    RAFT_FX_VOTE,     /* vote granted (persisted): a = term, b = candidate */
    RAFT_FX_APPEND,   /* entries a..b written to the log (persisted) */
    RAFT_FX_TRUNCATE, /* entries from a on deleted (persisted) */
    RAFT_FX_COMMIT,   /* commit index advanced to a */
    RAFT_FX_APPLY,    /* entries a..b to be applied to the state machine, in order */
    RAFT_FX_SEND,     /* message msgs[a] to be sent */
    RAFT_FX_READ,     /* read a (raft_node_read) may be answered now: applied through index b */
    /* Snapshots (paper section 7), numbered as sim/node/node.h's NODE_FX_SNAP_* (what they mean
     * is said there): a = index, b = id taken; a = index, b = id installed from a leader (the
     * whole log replaced); a = id the state machine is reset from. */
    RAFT_FX_SNAP_TAKE = RAFT_FX_READ + 2,
    RAFT_FX_SNAP_INSTALL = RAFT_FX_READ + 3,
    RAFT_FX_SNAP_RESTORE = RAFT_FX_READ + 4,
} raft_fx_kind;

typedef struct {
    uint8_t kind;
    uint64_t a;
    uint64_t b;
} raft_fx;

/* What one call produced. The caller owns it, clears it with raft_out_clear() before each
 * call, and reuses it: its arrays grow to the largest step seen and are then never
 * reallocated, so the hot path does not allocate. */
typedef struct {
    raft_fx *fx;
    size_t n_fx, cap_fx;
    raft_msg *msgs;
    size_t n_msgs, cap_msgs;
    raft_entry *entries; /* storage for the entries of the messages in msgs */
    size_t n_entries, cap_entries;
    size_t *msg_entry_off; /* msgs[i]'s entries start at entries[msg_entry_off[i]] */
    size_t cap_off;
} raft_out;

/* Message i of the outbox, its entries pointer valid until the outbox is next written. */
raft_msg raft_out_msg(const raft_out *out, size_t i);

typedef struct {
    uint64_t election_timeout_min_us;
    uint64_t election_timeout_max_us;
    uint64_t heartbeat_us;
    uint32_t max_entries_per_msg;
    uint32_t bugs; /* raft_bug bits */
    /* Beyond Figure 2 (SPEC section 8), off by default. */
    uint8_t prevote;      /* a pre-vote round before a real election (thesis 9.6) */
    uint8_t check_quorum; /* a leader not heard from a majority in an election timeout steps
                             down (thesis 6.2) */
    uint8_t noop;         /* a new leader appends an entry of its term at once (thesis 6.4) */
    uint32_t noop_cmd;    /* the command handle that entry carries */
    /* Set when the node's writes complete later than the call that makes them (a disk that
     * takes time): a leader then counts its own copy of an entry towards a majority only once
     * raft_persisted() says it is durable. Unset, every write is durable when the call
     * returns. */
    uint8_t persist_async;
    /* Snapshots (paper section 7): after every snapshot_every applied entries (0: never) the
     * node saves its state machine and drops its log up to snapshot_trailing entries behind. */
    uint32_t snapshot_every, snapshot_trailing;
    /* Membership (thesis 4.1-4.3). The starting cluster: ids 1..voters0 vote before the first
     * entry of the log (0: all of 1..n_nodes); ids above it are spares, which join by a
     * configuration entry. conf_cmds, if set, holds the command handle of each configuration
     * entry, [op * (n_nodes + 1) + node] (unset: handle 0). */
    uint8_t voters0;
    const uint32_t *conf_cmds;
    /* Thesis 4.2.3: a RequestVote that comes within the minimum election timeout of hearing
     * from a current leader (or to the leader itself) is ignored: the term is not taken, no vote
     * is granted. Removed servers that never learn of their removal then cannot depose the
     * leader of the cluster they left. Set by the simulator when membership changes. */
    uint8_t disruption_guard;
} raft_config;

/* A configuration entry of the log, and the configuration in force from its index on. */
struct raft_conf_rec {
    uint64_t index;
    raft_conf conf;
};

/* A snapshot's metadata: the last entry it covers, and the id of the state machine it saved.
 * The state machine itself is the caller's (raft/ keeps no application state): the node only
 * carries the id, and the configuration in force at its last entry (the entries that set it are
 * compacted away). */
typedef struct {
    uint64_t index; /* lastIncludedIndex; 0: no snapshot */
    uint64_t term;  /* lastIncludedTerm */
    uint64_t id;    /* the caller's handle of the saved state machine */
    raft_conf conf; /* the configuration in force at index (membership) */
} raft_snapshot_meta;

typedef struct {
    /* Identity and configuration. */
    uint8_t id;
    uint8_t n_nodes;
    raft_config cfg;
    uint64_t rng; /* splitmix64 state, seeded by the simulator */
    /* Persistent state on all servers (Figure 2). */
    uint64_t term;
    uint8_t voted_for;
    raft_entry *log; /* log[k] is the entry at index log_off + k (raft_entry_at); log[0] is the
                        entry at log_off, a sentinel of term 0 when log_off is 0, and the
                        entries are log[1..log_len - log_off] */
    uint64_t log_len, log_cap;
    /* Volatile state. */
    uint64_t now_us; /* virtual time of the call being handled */
    raft_role role;
    uint8_t leader_hint;
    uint64_t commit;
    uint64_t applied;
    uint64_t persisted; /* the log is durable through this index (persist_async) */
    uint64_t election_deadline_us;
    uint64_t heartbeat_deadline_us;
    uint32_t votes;        /* granted votes (or pre-votes) counted this round */
    uint8_t prevoting;     /* a pre-vote round for term + 1 is under way (still a follower) */
    uint64_t leader_contact_us; /* when a current leader was last heard from */
    uint64_t quorum_deadline_us; /* check-quorum: when the leader counts who it heard from */
    uint8_t *heard;              /* [n_nodes + 1], leader with check-quorum: heard this round */
    uint8_t transfer_to;         /* leader: the target of a leadership transfer, 0 if none */
    uint8_t transfer_sent;       /* ... and TimeoutNow has been sent to it */
    uint64_t transfer_deadline_us; /* ... given up at the first heartbeat after this */
    /* ReadIndex (thesis 6.4): reads waiting for their heartbeat round and their index. */
    struct raft_read *reads;
    size_t n_reads, cap_reads;
    uint32_t round;      /* the leader's latest heartbeat round */
    uint32_t *acked;     /* [n_nodes + 1]: the latest round each peer answered, this term */
    uint8_t *voted_me;     /* [n_nodes + 1]: who granted this candidacy */
    uint64_t *next_index;  /* [n_nodes + 1], leader only */
    uint64_t *match_index; /* [n_nodes + 1], leader only */
    uint64_t *scratch;     /* [n_nodes + 1], for the commit median */
    /* Snapshots (paper section 7). Entries at or below log_off are compacted away (log_off <=
     * snap.index: up to snapshot_trailing entries behind the snapshot are kept). */
    raft_snapshot_meta snap; /* the latest snapshot, taken or installed (persistent) */
    uint64_t log_off;
    /* A snapshot taken compacts the log at the start of the node's next call, not in the call
     * that takes it: the caller reads the entries that call applied after it returns. */
    uint64_t compact_to;
    /* The id the next snapshot taken will carry, handed in by the caller (raft_give_snapshot_id);
     * 0: none, and a snapshot that falls due waits for one. */
    uint64_t snap_id_next;
    /* Membership (thesis 4.1): the configuration in force is that of the log's latest
     * configuration entry (it takes effect when appended, and reverts when truncated), or
     * conf_base before the first one. conf_base is the configuration in force before the log's
     * first entry (the starting cluster; a snapshot would set it). */
    raft_conf conf_base;
    raft_conf conf;                /* in force */
    struct raft_conf_rec *confs;   /* the log's configuration entries, in index order */
    size_t n_confs, cap_confs;
    uint8_t *member;               /* [n_nodes + 1]: in conf, 0 no, 1 learner, 2 voter */
    uint32_t n_voters;             /* voters in conf */
    uint32_t n_learners;           /* learners in conf (a leader promotes them, caught up) */
    /* An InstallSnapshot's configuration, as entries (one per member), until it is sent. */
    raft_entry *scratch_entries;
    size_t n_scratch_entries, cap_scratch_entries;
} raft_node;

/* Creates a follower in term 0 with an empty log; call raft_node_start() before stepping it. */
void raft_node_init(raft_node *n, uint8_t id, uint8_t n_nodes, const raft_config *cfg,
                    uint64_t rng_seed);
void raft_node_free(raft_node *n);
/* Sets persisted state before the run (scenario "initial"); emits no effects. */
void raft_load(raft_node *n, uint64_t term, uint8_t voted_for, const raft_entry *entries,
               uint64_t n_entries);
/* Boots (or reboots after a crash) from persisted state: follower, commit 0, new timeout.
 * Emits RAFT_FX_ROLE if the node was not a follower. Under RAFT_BUG_FORGET_VOTE the vote is lost
 * here. */
void raft_node_start(raft_node *n, uint64_t now_us, raft_out *out);

/* Handles one delivered message addressed to this node. */
void raft_step(raft_node *n, uint64_t now_us, const raft_msg *m, raft_out *out);
/* Fires the node's timer; call when now_us >= raft_deadline(n). */
void raft_tick(raft_node *n, uint64_t now_us, raft_out *out);
/* With persist_async: the node's log is durable through index (<= its last index), and its
 * term is durable up to term. A leader may now count its own copy of those entries, and a
 * candidate its own vote (etcd counts both only once they are on disk: a node that leads,
 * or commits, on a write a crash can still lose could lead the same term twice). */
void raft_persisted(raft_node *n, uint64_t now_us, uint64_t index, uint64_t term, raft_out *out);
/* With persist_async: a persistent write failed (the disk said so; what it held is not durable
 * and, after a failed fsync, cannot be made so by trying again). Returns 1: the node must stop
 * at once (fail-stop, as etcd and PostgreSQL do since "fsyncgate"): the caller crashes it, and
 * it comes back from what is durable by a restart. Under RAFT_BUG_IGNORE_WRITE_ERROR it returns
 * 0 and carries on as if the write were durable (its messages behind the write still leave). */
int raft_write_failed(raft_node *n);
/* The time of the node's next timer: election timeout, or heartbeat when leader (or the
 * leader's quorum check, if earlier). */
uint64_t raft_deadline(const raft_node *n);
/* Leadership transfer (thesis 3.10): a leader catches the target up, then sends it TimeoutNow,
 * and refuses client commands meanwhile; the target starts an election at once. Returns 1 if
 * the node is leader and the target another node, 0 (and nothing happens) otherwise. A
 * transfer not done within an election timeout is given up. */
int raft_node_transfer(raft_node *n, uint64_t now_us, uint8_t target, raft_out *out);
/* A linearizable read (ReadIndex, thesis 6.4): a leader that has committed an entry of its term
 * takes its commit index as the read's index, confirms it is still leader by a heartbeat round
 * answered by a majority, and once it has applied through the index emits RAFT_FX_READ (a =
 * id). Returns 1 if taken, 0 if not (not leader, transferring, or nothing of its term committed
 * yet); a read taken is dropped, with no effect, if the node stops leading first. */
int raft_node_read(raft_node *n, uint64_t now_us, uint64_t id, raft_out *out);
/* A client command offered to this node. Returns 1 and appends it (and replicates) if the
 * node is leader and not transferring leadership; returns 0 and does nothing otherwise. */
int raft_propose(raft_node *n, uint64_t now_us, uint32_t cmd, raft_out *out);
/* Membership change, one server at a time (thesis 4.1-4.3), asked of a leader:
 * RAFT_CONF_ADD_LEARNER adds a new server as a learner, which the leader (this one or a later
 * one) promotes to voter by a second configuration entry once it has caught up (its log holds
 * the leader's committed entries); RAFT_CONF_REMOVE removes a server (the leader itself
 * included: it then steps down once the removal is committed). Returns 1 if the entry was
 * appended; 0, with no effect, if the node is not leader, is transferring leadership, has not
 * committed an entry of its term yet, has a change not yet committed (one at a time), or the
 * change does not apply to its configuration. */
int raft_node_change(raft_node *n, uint64_t now_us, raft_conf_op op, uint8_t node, raft_out *out);
/* The configuration in force at index (0..log_len): *c is set; returns the index of the entry
 * that set it, 0 for conf_base. */
uint64_t raft_conf_at(const raft_node *n, uint64_t index, raft_conf *c);

/* The entry at index (log_off <= index <= log_len; at log_off only its term is sure). */
static inline const raft_entry *raft_entry_at(const raft_node *n, uint64_t index) {
    return &n->log[index - n->log_off];
}

static inline uint64_t raft_last_term(const raft_node *n) {
    return n->log[n->log_len - n->log_off].term;
}

/* Snapshots. raft_load_snapshot sets the node's persisted snapshot before raft_load() (a restart
 * from a durable snapshot; index 0: none): the log becomes empty after it, and raft_load's
 * entries follow it. raft_node_start() then resets the state machine from it
 * (RAFT_FX_SNAP_RESTORE) and counts it committed and applied. raft_give_snapshot_id hands the
 * node the id its next snapshot will carry (with snapshot_every set, the caller gives one
 * whenever snap_id_next is 0). */
void raft_load_snapshot(raft_node *n, const raft_snapshot_meta *snap);
void raft_give_snapshot_id(raft_node *n, uint64_t id);

void raft_out_init(raft_out *out);
void raft_out_clear(raft_out *out);
void raft_out_free(raft_out *out);
/* Appends an effect, or a message (its entries copied, and a RAFT_FX_SEND naming it): how the
 * node fills its outbox, open to other producers of the same format. */
void raft_out_fx(raft_out *out, raft_fx_kind kind, uint64_t a, uint64_t b);
void raft_out_send(raft_out *out, const raft_msg *m);

const char *raft_role_name(raft_role role);
const char *raft_msg_type_name(raft_msg_type type);

#endif
