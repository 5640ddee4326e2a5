/* check.h - the safety invariant checker (SPEC section 4), fed event by event.
 *
 * It sees only what the trace records (role, vote, append, truncate, commit, apply, crash,
 * restart), keeps its own shadow of every node, and judges each event in O(1) amortized time
 * whatever the log length: every log position carries a chain hash of the whole prefix, so
 * "these two logs agree up to i" is one comparison. The simulator calls it after every step
 * of a run; `raftsim check` feeds it a trace file. */
#ifndef RAFTSIM_CHECK_H
#define RAFTSIM_CHECK_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    CHK_OK = 0,
    CHK_VIOLATION = 1, /* an invariant broke: see chk_violation() */
    CHK_MALFORMED = 2, /* the event sequence itself is impossible (bad trace) */
} chk_result;

/* Invariant names as they appear in traces and reports. */
#define CHK_ELECTION_SAFETY "election_safety"
#define CHK_LEADER_APPEND_ONLY "leader_append_only"
#define CHK_LOG_MATCHING "log_matching"
#define CHK_LEADER_COMPLETENESS "leader_completeness"
#define CHK_STATE_MACHINE_SAFETY "state_machine_safety"
#define CHK_TERM_MONOTONIC "term_monotonic"
#define CHK_SINGLE_VOTE "single_vote"
#define CHK_COMMIT_WITHIN_LOG "commit_within_log"
#define CHK_COMMIT_MONOTONIC "commit_monotonic"
#define CHK_COMMITTED_NEVER_LOST "committed_never_lost"
#define CHK_DURABLE_VOTE "durable_vote" /* a vote sent to a candidate is never forgotten */
#define CHK_DURABLE_ACK "durable_ack"   /* entries acknowledged to a leader are never lost */

typedef struct {
    const char *invariant; /* one of the CHK_* names */
    uint8_t node;          /* the node whose event broke it */
    uint8_t other;         /* the other node involved, 0 if none */
    uint64_t term;
    uint64_t index;
    char detail[256]; /* one sentence a person can act on */
} chk_violation;

typedef struct chk chk;

chk *chk_new(uint32_t n_nodes);
void chk_free(chk *c);

/* The fingerprint of a command string (FNV-1a 64), as the checker's log entries hold it. */
uint64_t chk_cmd_hash(const char *cmd, size_t len);

chk_result chk_role(chk *c, uint8_t node, uint64_t term, int role /* raft_role */);
chk_result chk_vote(chk *c, uint8_t node, uint64_t term, uint8_t candidate);
chk_result chk_append(chk *c, uint8_t node, uint64_t index, uint64_t term, uint64_t cmd_hash);
chk_result chk_truncate(chk *c, uint8_t node, uint64_t from);
chk_result chk_commit(chk *c, uint8_t node, uint64_t index);
chk_result chk_apply(chk *c, uint8_t node, uint64_t index, uint64_t term, uint64_t cmd_hash);
chk_result chk_crash(chk *c, uint8_t node);
chk_result chk_restart(chk *c, uint8_t node);

/* Durability (SPEC section 7). A node promises what its messages say: a granted vote (a
 * RequestVote reply, not a pre-vote) binds it to that candidate in that term, and an
 * AppendEntries success in a term says its log is durable through index. */
chk_result chk_promise_vote(chk *c, uint8_t node, uint64_t term, uint8_t candidate);
chk_result chk_promise_ack(chk *c, uint8_t node, uint64_t term, uint64_t index);
/* A restart after a crash that may have lost writes: term and vote are the node's durable ones,
 * and the first `keep` entries of its log survived (a truncate from keep + 1 and appends of
 * the durable entries follow). Judges the promises (a lost vote or a lost acknowledged entry
 * is a violation; losing what was never promised is not), then takes the durable term and
 * vote as the node's, even if lower. */
chk_result chk_restore(chk *c, uint8_t node, uint64_t term, uint8_t vote, uint64_t keep);
/* A write of the node failed and the node carried on, sending a promise that waited for the
 * write: its durable term and vote are term and vote, and its first `keep` entries are durable
 * (what is not durable now never will be: a failed write is not retried). Judges the promises
 * as chk_restore does (durable_vote, durable_ack), without changing the node's state. */
chk_result chk_durable(chk *c, uint8_t node, uint64_t term, uint8_t vote, uint64_t keep);

/* Snapshots (SPEC section 8). A node's log positions at or below a snapshot's index are
 * covered by it: the checker keeps their chain hashes, so every guarantee holds across
 * compaction.
 * - CHK_SNAP_TAKE: the node saved its state machine through index (it must have applied that
 *   far; its log is unchanged, the part behind the snapshot may be compacted away).
 * - CHK_SNAP_INSTALL: the node replaced its whole log by a snapshot through index that it
 *   received: the snapshot must hold exactly the committed entries through index, and the
 *   node's log is then that committed prefix (its entries after index are gone).
 * - CHK_SNAP_RESTORE: the node reset its state machine from a snapshot through index (after an
 *   install completes, or at a restart): its log must hold the committed entries through index
 *   there, and it has then applied through index. */
typedef enum { CHK_SNAP_TAKE = 0, CHK_SNAP_INSTALL = 1, CHK_SNAP_RESTORE = 2 } chk_snap_kind;
chk_result chk_snapshot(chk *c, uint8_t node, chk_snap_kind kind, uint64_t index, uint64_t term);

/* Membership (SPEC section 8). chk_start_voters: ids 1..n vote at the start, ids above are
 * spares (without it every node votes). chk_config: the node's log gained a configuration entry
 * at index (just appended; or, after a snapshot installed through index, the snapshot's
 * configuration, which replaces the node's records from index on), whose voters are the bit set
 * voters (bit i of voters[i / 64]). The
 * majority that must still hold the committed entries (committed_never_lost) is then counted
 * over the voters of the configuration the latest commit was decided under: the one in force
 * in the log of the node that extended the committed prefix. */
void chk_start_voters(chk *c, uint32_t n);
chk_result chk_config(chk *c, uint8_t node, uint64_t index, const uint64_t voters[4]);

/* The violation (or, after CHK_MALFORMED, the reason) of the last failing call. */
const chk_violation *chk_violation_get(const chk *c);

/* The chain hash of a node's log through index (<= its length): equal hashes, equal logs. */
uint64_t chk_chain(const chk *c, uint8_t node, uint64_t index);
/* The chain hash of a prefix extended by one entry, and the length of a node's log. */
uint64_t chk_chain_next(uint64_t prev, uint64_t term, uint64_t cmd_hash);
uint64_t chk_log_len(const chk *c, uint8_t node);

/* Highest index committed by any node so far. */
uint64_t chk_committed_max(const chk *c);

#endif
