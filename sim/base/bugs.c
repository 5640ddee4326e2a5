/* bugs.c - the injected-bug catalogue. */
#include "sim/base/bugs.h"

#include <string.h>

#include "raft/raft.h"

const bug_info bug_catalogue[] = {
    {"vote_ignores_log", RAFT_BUG_VOTE_IGNORES_LOG,
     "votes are granted without the up-to-date log check (Raft 5.4.1)"},
    {"commit_old_term", RAFT_BUG_COMMIT_OLD_TERM,
     "a leader commits entries of earlier terms by counting replicas (Raft Figure 8)"},
    {"forget_vote", RAFT_BUG_FORGET_VOTE, "votedFor is not persisted: a restart forgets the vote"},
    {"truncate_on_match", RAFT_BUG_TRUNCATE_ON_MATCH,
     "followers delete every entry after prevLogIndex, even matching ones"},
    {"no_stepdown", RAFT_BUG_NO_STEPDOWN,
     "reply handlers ignore the reply's term: no step-down on a higher one, stale replies counted"},
    {"prevote_wins", RAFT_BUG_PREVOTE_WINS,
     "a node that wins a pre-vote round leads the next term without the real election "
     "(needs cluster.prevote)"},
    {"noop_self_commit", RAFT_BUG_NOOP_SELF_COMMIT,
     "a new leader counts its no-op entry committed at once, before a majority holds it "
     "(needs cluster.noop)"},
    {"transfer_handoff", RAFT_BUG_TRANSFER_HANDOFF,
     "a leadership transfer hands over at once: TimeoutNow before the target's log is caught "
     "up, and the target takes the next term without an election"},
    {"read_index_no_round", RAFT_BUG_READ_INDEX_NO_ROUND,
     "ReadIndex without the heartbeat round: a deposed leader that does not know it yet answers "
     "reads from its stale state (needs cluster.reads read_index)"},
    {"ack_before_persist", BUG_ACK_BEFORE_PERSIST,
     "votes and AppendEntries successes are sent before the writes they depend on are durable "
     "(only a crash that loses the write shows it)"},
    {"stale_read", BUG_STALE_READ,
     "a leader answers reads from its own state without confirming it is still leader"},
    {"dup_apply", BUG_DUP_APPLY,
     "no client sessions: a retried write committed twice is applied twice"},
    {"ignore_write_error", RAFT_BUG_IGNORE_WRITE_ERROR,
     "a failed disk write is ignored: the node carries on as if it were durable, and its votes "
     "and acknowledgements behind the write leave (needs disk.fail or fail_writes)"},
    {"install_old_snapshot", RAFT_BUG_INSTALL_OLD_SNAPSHOT,
     "a follower installs an InstallSnapshot older than its commit index over its log, dropping "
     "committed entries (needs cluster.snapshot)"},
    {"two_changes", RAFT_BUG_TWO_CHANGES,
     "a leader takes a membership change while another is in flight: the configurations on "
     "either side of two changes can have disjoint majorities"},
};
const unsigned bug_count = sizeof bug_catalogue / sizeof bug_catalogue[0];

const bug_info *bug_find(const char *name) {
    for (unsigned i = 0; i < bug_count; i++)
        if (!strcmp(bug_catalogue[i].name, name)) return &bug_catalogue[i];
    return 0;
}
