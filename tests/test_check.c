/* test_check.c - unit tests of the incremental safety checker (sim/check/check.c, SPEC section 4).
 *
 * Every violation test first drives the checker through a legal history, asserting CHK_OK at
 * every step, and then breaks one property with one event, asserting the exact result, the
 * invariant name and the node/term/index (and where meaningful the other node) reported. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sim/check/check.h"
#include "raft/raft.h"

#define FOL RAFT_ROLE_FOLLOWER
#define CAND RAFT_ROLE_CANDIDATE
#define LEAD RAFT_ROLE_LEADER

/* The fingerprint of a literal command string. */
#define H(s) chk_cmd_hash((s), sizeof(s) - 1)

/* ---- helpers --------------------------------------------------------------------------- */

static int teardown(void **state) {
    chk_free(*state);
    *state = NULL;
    return 0;
}

/* A fresh checker of n nodes, freed by teardown even when the test fails. */
static chk *mk(void **state, uint32_t n) {
    chk *c = chk_new(n);
    assert_non_null(c);
    *state = c;
    return c;
}

static const char *result_name(chk_result r) {
    switch (r) {
    case CHK_OK: return "CHK_OK";
    case CHK_VIOLATION: return "CHK_VIOLATION";
    case CHK_MALFORMED: return "CHK_MALFORMED";
    }
    return "?";
}

static void ok_at(const chk *c, chk_result r, const char *expr, const char *file, int line) {
    if (r == CHK_OK) return;
    const chk_violation *v = chk_violation_get(c);
    print_error("%s:%d: %s returned %s, expected CHK_OK: %s (node %u, term %llu, index %llu): "
                "%s\n",
                file, line, expr, result_name(r), v->invariant ? v->invariant : "(null)", v->node,
                (unsigned long long)v->term, (unsigned long long)v->index, v->detail);
    _fail(file, line);
}

static void viol_at(const chk *c, chk_result r, const char *expr, const char *inv, unsigned node,
                    uint64_t term, uint64_t index, const char *file, int line) {
    const chk_violation *v = chk_violation_get(c);
    if (r != CHK_VIOLATION) {
        print_error("%s:%d: %s returned %s, expected CHK_VIOLATION of %s\n", file, line, expr,
                    result_name(r), inv);
        _fail(file, line);
    }
    if (!v->invariant || strcmp(v->invariant, inv) != 0 || v->node != node || v->term != term ||
        v->index != index || v->detail[0] == '\0') {
        print_error("%s:%d: %s: expected %s (node %u, term %llu, index %llu), got %s (node %u, "
                    "term %llu, index %llu): %s\n",
                    file, line, expr, inv, node, (unsigned long long)term,
                    (unsigned long long)index, v->invariant ? v->invariant : "(null)", v->node,
                    (unsigned long long)v->term, (unsigned long long)v->index, v->detail);
        _fail(file, line);
    }
}

static void malformed_at(const chk *c, chk_result r, const char *expr, unsigned node,
                         const char *file, int line) {
    const chk_violation *v = chk_violation_get(c);
    if (r != CHK_MALFORMED || v->node != node || v->detail[0] == '\0') {
        print_error("%s:%d: %s returned %s (node %u: %s), expected CHK_MALFORMED for node %u\n",
                    file, line, expr, result_name(r), v->node, v->detail, node);
        _fail(file, line);
    }
}

/* These expect a local `chk *c`. */
#define OK(call) ok_at(c, (call), #call, __FILE__, __LINE__)
#define VIOL(call, inv, node, term, index)                                                         \
    viol_at(c, (call), #call, (inv), (node), (term), (index), __FILE__, __LINE__)
#define MALF(call, node) malformed_at(c, (call), #call, (node), __FILE__, __LINE__)

/* A legal election: candidate in `term`, votes for itself, then the voters (0-terminated)
 * move to the term and vote for it, then it becomes leader. */
static void elect_at(chk *c, uint8_t node, uint64_t term, const uint8_t *voters, const char *file,
                     int line) {
    ok_at(c, chk_role(c, node, term, CAND), "role candidate", file, line);
    ok_at(c, chk_vote(c, node, term, node), "self vote", file, line);
    for (; voters && *voters; voters++) {
        ok_at(c, chk_role(c, *voters, term, FOL), "voter role follower", file, line);
        ok_at(c, chk_vote(c, *voters, term, node), "vote", file, line);
    }
    ok_at(c, chk_role(c, node, term, LEAD), "role leader", file, line);
}
#define ELECT(node, term, ...)                                                                     \
    elect_at(c, (node), (term), (const uint8_t[]){__VA_ARGS__, 0}, __FILE__, __LINE__)

/* Appends one entry to each listed node (0-terminated), each append must be accepted. */
static void put_at(chk *c, const uint8_t *nodes, uint64_t index, uint64_t term, const char *cmd,
                   const char *file, int line) {
    for (; *nodes; nodes++)
        ok_at(c, chk_append(c, *nodes, index, term, chk_cmd_hash(cmd, strlen(cmd))), cmd, file,
              line);
}
#define PUT(index, term, cmd, ...)                                                                 \
    put_at(c, (const uint8_t[]){__VA_ARGS__, 0}, (index), (term), (cmd), __FILE__, __LINE__)

#define APPLY(node, index, term, cmd)                                                              \
    OK(chk_apply(c, (node), (index), (term), chk_cmd_hash((cmd), strlen(cmd))))

/* ---- election safety ------------------------------------------------------------------- */

static void test_election_safety_two_leaders_same_term(void **state) {
    chk *c = mk(state, 3);
    ELECT(2, 2, 1);
    OK(chk_role(c, 3, 2, CAND));
    OK(chk_vote(c, 3, 2, 3));
    VIOL(chk_role(c, 3, 2, LEAD), CHK_ELECTION_SAFETY, 3, 2, 0);
    assert_int_equal(chk_violation_get(c)->other, 2);
}

/* The first leader crashing does not free its term for someone else. */
static void test_election_safety_after_leader_crash(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    ELECT(2, 2, 3);
    OK(chk_crash(c, 2));
    OK(chk_restart(c, 2));
    OK(chk_role(c, 2, 2, FOL));
    OK(chk_role(c, 1, 2, CAND)); /* a candidacy in term 2: legal, it cannot win it */
    VIOL(chk_role(c, 1, 2, LEAD), CHK_ELECTION_SAFETY, 1, 2, 0);
    assert_int_equal(chk_violation_get(c)->other, 2);
}

/* One leader per term, over many terms and with stale leaders around, is fine. */
static void test_election_safety_distinct_terms_ok(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    ELECT(2, 2, 3);
    ELECT(3, 3, 1); /* node 1 steps down from term 1 to vote in term 3 */
    ELECT(1, 4, 2);
    OK(chk_role(c, 1, 4, LEAD)); /* the same leader reported twice in its term */
    OK(chk_role(c, 3, 4, FOL));
}

/* ---- leader append-only ---------------------------------------------------------------- */

static void test_leader_append_only_wrong_term_entry(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 2, 2);
    PUT(1, 2, "a", 1, 2);
    VIOL(chk_append(c, 1, 2, 1, H("b")), CHK_LEADER_APPEND_ONLY, 1, 1, 2);
}

static void test_leader_append_only_future_term_entry(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 2, 2);
    VIOL(chk_append(c, 1, 1, 3, H("a")), CHK_LEADER_APPEND_ONLY, 1, 3, 1);
}

static void test_leader_append_only_leader_truncates(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "a", 1);
    PUT(2, 1, "b", 1);
    PUT(3, 1, "c", 1);
    VIOL(chk_truncate(c, 1, 2), CHK_LEADER_APPEND_ONLY, 1, 1, 2);
}

/* A leader's log may hold entries of older terms; it only appends its own. */
static void test_leader_appends_own_term_after_older_entries_ok(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "a", 1, 2);
    ELECT(2, 2, 3); /* node 2 leads term 2 holding a term-1 entry */
    PUT(2, 2, "b", 2);
    PUT(3, 2, "c", 2);
    PUT(1, 1, "a", 3);
    PUT(2, 2, "b", 3);
    OK(chk_commit(c, 2, 2));
    VIOL(chk_append(c, 2, 4, 1, H("d")), CHK_LEADER_APPEND_ONLY, 2, 1, 4);
}

/* A deposed leader (a follower of a higher term) may drop its uncommitted tail. */
static void test_deposed_leader_truncates_ok(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "a", 1, 2);
    PUT(2, 1, "lost", 1);
    ELECT(2, 2, 3);
    PUT(2, 2, "b", 2);
    OK(chk_role(c, 1, 2, FOL));
    OK(chk_truncate(c, 1, 2));
    PUT(2, 2, "b", 1);
    OK(chk_commit(c, 2, 2));
}

/* A crash ends leadership: after a restart the node may truncate like any follower. */
static void test_crashed_leader_truncates_after_restart_ok(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "a", 1, 2);
    PUT(2, 1, "lost", 1);
    OK(chk_crash(c, 1));
    OK(chk_restart(c, 1));
    OK(chk_truncate(c, 1, 2));
    ELECT(2, 2, 3);
    PUT(2, 2, "b", 2);
    PUT(2, 2, "b", 1); /* a term-2 entry on node 1, still in term 1: it is no leader now */
    OK(chk_commit(c, 2, 2));
}

/* ---- log matching ---------------------------------------------------------------------- */

static void test_log_matching_same_index_term_different_command(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "x", 1, 2, 3);
    PUT(2, 1, "y", 1);
    VIOL(chk_append(c, 3, 2, 1, H("z")), CHK_LOG_MATCHING, 3, 1, 2);
}

static void test_log_matching_first_entry_different_command(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "x", 1);
    VIOL(chk_append(c, 2, 1, 1, chk_cmd_hash("y", 1)), CHK_LOG_MATCHING, 2, 1, 1);
}

static void test_log_matching_same_index_term_different_prefix(void **state) {
    chk *c = mk(state, 3);
    /* 1 leads term 1 and writes (1,1,"a") alone; 2 leads term 2 and writes (1,2,"c"),
     * (2,2,"b"); then 1 takes (2,2,"b") on top of its own (1,1,"a"): same command, same
     * index and term, different earlier entries. */
    ELECT(1, 1, 3);
    PUT(1, 1, "a", 1);
    ELECT(2, 2, 3);
    PUT(1, 2, "c", 2, 3);
    PUT(2, 2, "b", 2, 3);
    OK(chk_role(c, 1, 2, FOL));
    VIOL(chk_append(c, 1, 2, 2, H("b")), CHK_LOG_MATCHING, 1, 2, 2);
}

/* Log matching is over all time: the entry (index, term) is unique even after every copy of
 * it was deleted. */
static void test_log_matching_across_time_after_truncation(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "x", 1);
    ELECT(2, 2, 3);
    OK(chk_role(c, 1, 2, FOL));
    OK(chk_truncate(c, 1, 1));
    PUT(1, 1, "x", 1); /* the very same entry again is fine */
    OK(chk_truncate(c, 1, 1));
    VIOL(chk_append(c, 3, 1, 1, H("z")), CHK_LOG_MATCHING, 3, 1, 1);
}

static void test_log_matching_identical_logs_same_chain(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "a", 1, 2, 3);
    PUT(2, 1, "b", 1, 2, 3);
    ELECT(2, 2, 3);
    PUT(3, 2, "c", 2, 3);
    OK(chk_role(c, 1, 2, FOL));
    PUT(3, 2, "c", 1);
    assert_true(chk_chain(c, 1, 0) == chk_chain(c, 2, 0));
    assert_true(chk_chain(c, 1, 3) == chk_chain(c, 2, 3));
    assert_true(chk_chain(c, 2, 3) == chk_chain(c, 3, 3));
    assert_true(chk_chain(c, 1, 2) != chk_chain(c, 1, 3));
    assert_true(chk_chain(c, 1, 1) != chk_chain(c, 1, 2));
}

static void test_chain_differs_for_different_logs(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "a", 1);
    ELECT(2, 2, 3);
    PUT(1, 2, "a", 2); /* same command, other term */
    assert_true(chk_chain(c, 1, 1) != chk_chain(c, 2, 1));
    ELECT(3, 3, 1);
    PUT(1, 3, "b", 3);
    assert_true(chk_chain(c, 3, 1) != chk_chain(c, 1, 1));
    assert_true(chk_chain(c, 3, 1) != chk_chain(c, 2, 1));
}

/* Many entries: the shadow logs, the committed prefix and the (index, term) map all grow. */
static void test_log_matching_long_logs(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    char cmd[32];
    for (uint64_t i = 1; i <= 1500; i++) {
        snprintf(cmd, sizeof cmd, "set k%llu", (unsigned long long)i);
        uint64_t h = chk_cmd_hash(cmd, strlen(cmd));
        OK(chk_append(c, 1, i, 1, h));
        OK(chk_append(c, 2, i, 1, h));
        OK(chk_append(c, 3, i, 1, h));
    }
    OK(chk_commit(c, 1, 1000));
    assert_int_equal(chk_committed_max(c), 1000);
    assert_true(chk_chain(c, 1, 1500) == chk_chain(c, 3, 1500));
    OK(chk_commit(c, 2, 1000));
    OK(chk_truncate(c, 3, 1001)); /* uncommitted, a majority still holds 1..1000 */
    OK(chk_append(c, 3, 1001, 1, H("set k1001")));
    OK(chk_truncate(c, 3, 1001));
    VIOL(chk_append(c, 3, 1001, 1, H("other")), CHK_LOG_MATCHING, 3, 1, 1001);
}

/* ---- leader completeness --------------------------------------------------------------- */

static void test_leader_completeness_new_leader_lacks_committed(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "x", 1, 2);
    OK(chk_commit(c, 1, 1));
    OK(chk_role(c, 3, 2, CAND));
    OK(chk_vote(c, 3, 2, 3));
    VIOL(chk_role(c, 3, 2, LEAD), CHK_LEADER_COMPLETENESS, 3, 2, 1);
}

/* A leader with the committed prefix and more (uncommitted) entries is fine. */
static void test_leader_completeness_holder_ok(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "x", 1, 2, 3);
    PUT(2, 1, "y", 1, 2, 3);
    OK(chk_commit(c, 1, 1));
    ELECT(3, 2, 2);
    PUT(3, 2, "z", 3, 2);
    OK(chk_commit(c, 3, 3));
}

/* A candidate of term 2 whose vote arrives after a term-3 leader committed an entry becomes
 * a (stale) leader of term 2 without that entry: legal, it is not owed entries committed in
 * term 3. */
static void test_leader_completeness_stale_leader_elected_late_ok(void **state) {
    chk *c = mk(state, 3);
    OK(chk_role(c, 3, 2, CAND));
    OK(chk_vote(c, 3, 2, 3));
    OK(chk_role(c, 2, 2, FOL));
    OK(chk_vote(c, 2, 2, 3)); /* this vote's reply is delayed */
    ELECT(1, 3, 2);
    PUT(1, 3, "x", 1, 2);
    OK(chk_commit(c, 1, 1));
    APPLY(1, 1, 3, "x");
    OK(chk_role(c, 3, 2, LEAD)); /* elected late, lacking the term-3 entry */
    PUT(1, 2, "y", 3);           /* the stale leader appends in its own term */
    OK(chk_commit(c, 2, 1));
    APPLY(2, 1, 3, "x");
    OK(chk_role(c, 3, 3, FOL));
    OK(chk_truncate(c, 3, 1));
    PUT(1, 3, "x", 3);
    OK(chk_commit(c, 3, 1));
    APPLY(3, 1, 3, "x");
    assert_int_equal(chk_committed_max(c), 1);
}

/* A stale leader of term 2 still owes entries committed in term 1, but not those committed in
 * term 3. */
static void test_leader_completeness_stale_leader_owes_older_terms_ok(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "a", 1, 2, 3);
    OK(chk_commit(c, 1, 1));
    OK(chk_role(c, 3, 2, CAND));
    OK(chk_vote(c, 3, 2, 3));
    ELECT(2, 3, 1);
    PUT(2, 3, "b", 2, 1);
    OK(chk_commit(c, 2, 2));
    OK(chk_role(c, 3, 2, LEAD)); /* holds entry 1 (term-1 commit), lacks 2 (term-3 commit) */
}

static void test_leader_completeness_stale_leader_lacks_older_term(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "a", 1, 2);
    OK(chk_commit(c, 1, 1));
    OK(chk_role(c, 3, 2, CAND));
    OK(chk_vote(c, 3, 2, 3));
    ELECT(2, 3, 1);
    PUT(2, 3, "b", 2, 1);
    OK(chk_commit(c, 2, 2));
    /* lacks entry 1, committed in term 1 < 2: owed, even though entry 2 is not */
    VIOL(chk_role(c, 3, 2, LEAD), CHK_LEADER_COMPLETENESS, 3, 2, 1);
}

/* A stale leader of a lower term commits an entry that the current, higher-term leader lacks:
 * the higher-term leader is now incomplete. */
static void test_leader_completeness_late_commit_by_stale_leader(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "x", 1, 2);
    OK(chk_role(c, 3, 2, CAND));
    OK(chk_vote(c, 3, 2, 3));
    OK(chk_role(c, 3, 2, LEAD)); /* nothing committed yet: fine so far */
    VIOL(chk_commit(c, 1, 1), CHK_LEADER_COMPLETENESS, 3, 2, 1);
}

/* A stale leader of term 2 commits its entry after the term-3 leader (which holds it) was
 * elected: legal, and the two leaders coexist. */
static void test_new_leader_while_stale_leader_exists_ok(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 2, 2);
    PUT(1, 2, "a", 1, 2, 3);
    ELECT(2, 3, 3); /* 1 is still leader of term 2 */
    OK(chk_commit(c, 1, 1));
    APPLY(1, 1, 2, "a");
    PUT(2, 2, "stale", 1);
    PUT(2, 3, "b", 2, 3);
    OK(chk_commit(c, 2, 2));
    APPLY(2, 1, 2, "a");
    APPLY(2, 2, 3, "b");
    OK(chk_role(c, 1, 3, FOL));
    OK(chk_truncate(c, 1, 2));
    PUT(2, 3, "b", 1);
    OK(chk_commit(c, 1, 2));
    APPLY(1, 2, 3, "b");
    assert_int_equal(chk_committed_max(c), 2);
}

/* Raft Figure 8 under the commit_old_term bug: S1 (term 4) commits an entry of term 2 by
 * counting replicas; S5 (log term 3) is then elected in term 5 without it. */
static void test_leader_completeness_figure8(void **state) {
    chk *c = mk(state, 5);
    ELECT(1, 2, 2);
    PUT(1, 2, "a", 1, 2);
    ELECT(5, 3, 3, 4);
    PUT(1, 3, "b", 5);
    ELECT(1, 4, 2, 3);
    PUT(1, 2, "a", 3);
    OK(chk_commit(c, 1, 1)); /* the bug: a term-2 entry committed in term 4 */
    OK(chk_crash(c, 1));
    OK(chk_role(c, 5, 5, CAND));
    OK(chk_vote(c, 5, 5, 5));
    OK(chk_role(c, 2, 5, FOL));
    OK(chk_vote(c, 2, 5, 5));
    OK(chk_role(c, 3, 5, FOL));
    OK(chk_vote(c, 3, 5, 5));
    VIOL(chk_role(c, 5, 5, LEAD), CHK_LEADER_COMPLETENESS, 5, 5, 1);
}

/* ---- state machine safety -------------------------------------------------------------- */

static void test_state_machine_apply_beyond_own_commit(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "a", 1, 2);
    PUT(2, 1, "b", 1, 2);
    OK(chk_commit(c, 1, 1));
    APPLY(1, 1, 1, "a");
    VIOL(chk_apply(c, 1, 2, 1, H("b")), CHK_STATE_MACHINE_SAFETY, 1, 1, 2);
}

/* Committed by the leader, but the follower has not learned it yet. */
static void test_state_machine_apply_before_node_learned_commit(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "a", 1, 2);
    OK(chk_commit(c, 1, 1));
    APPLY(1, 1, 1, "a");
    VIOL(chk_apply(c, 2, 1, 1, H("a")), CHK_STATE_MACHINE_SAFETY, 2, 1, 1);
}

static void test_state_machine_apply_other_command(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "a", 1, 2);
    OK(chk_commit(c, 1, 1));
    VIOL(chk_apply(c, 1, 1, 1, H("b")), CHK_STATE_MACHINE_SAFETY, 1, 1, 1);
}

static void test_state_machine_apply_other_term(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 2, 2);
    PUT(1, 2, "a", 1, 2);
    OK(chk_commit(c, 1, 1));
    VIOL(chk_apply(c, 1, 1, 1, H("a")), CHK_STATE_MACHINE_SAFETY, 1, 1, 1);
}

/* Node 3 holds a different entry at an index already committed, and commits it. */
static void test_state_machine_commit_differs_at_committed_index(void **state) {
    chk *c = mk(state, 3);
    ELECT(3, 1, 2);
    PUT(1, 1, "z", 3);
    ELECT(1, 2, 2);
    PUT(1, 2, "a", 1, 2);
    OK(chk_commit(c, 1, 1));
    OK(chk_role(c, 3, 2, FOL));
    VIOL(chk_commit(c, 3, 1), CHK_STATE_MACHINE_SAFETY, 3, 1, 1);
}

/* Node 3 commits past the committed prefix, but its log disagrees inside that prefix. */
static void test_state_machine_commit_extends_over_different_prefix(void **state) {
    chk *c = mk(state, 3);
    ELECT(3, 1, 2);
    PUT(1, 1, "z", 3);
    PUT(2, 1, "w", 3);
    ELECT(1, 2, 2);
    PUT(1, 2, "a", 1, 2);
    OK(chk_commit(c, 1, 1));
    OK(chk_role(c, 3, 2, FOL));
    VIOL(chk_commit(c, 3, 2), CHK_STATE_MACHINE_SAFETY, 3, 1, 1);
}

/* ---- term monotonic -------------------------------------------------------------------- */

static void test_term_monotonic_back_after_restart(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 3, 2);
    OK(chk_crash(c, 1));
    OK(chk_restart(c, 1));
    OK(chk_role(c, 1, 3, FOL)); /* back as a follower of the same term: fine */
    VIOL(chk_role(c, 1, 2, FOL), CHK_TERM_MONOTONIC, 1, 2, 0);
}

static void test_term_monotonic_back_without_crash(void **state) {
    chk *c = mk(state, 3);
    OK(chk_role(c, 2, 3, CAND));
    OK(chk_role(c, 2, 4, CAND));
    VIOL(chk_role(c, 2, 2, CAND), CHK_TERM_MONOTONIC, 2, 2, 0);
}

static void test_term_monotonic_vote_in_older_term(void **state) {
    chk *c = mk(state, 3);
    OK(chk_role(c, 1, 3, FOL));
    OK(chk_vote(c, 1, 3, 2));
    VIOL(chk_vote(c, 1, 2, 3), CHK_TERM_MONOTONIC, 1, 2, 0);
    assert_int_equal(chk_violation_get(c)->other, 3);
}

/* A vote is cast in the voter's current term (the simulator reports the term change first),
 * so a vote in a term below the node's current term means its term went back. */
static void test_term_monotonic_vote_below_current_term(void **state) {
    chk *c = mk(state, 3);
    OK(chk_role(c, 1, 2, FOL));
    OK(chk_vote(c, 1, 2, 2));
    OK(chk_role(c, 1, 5, FOL)); /* learned of term 5, did not vote in it */
    VIOL(chk_vote(c, 1, 3, 3), CHK_TERM_MONOTONIC, 1, 3, 0);
}

static void test_terms_rise_and_repeat_ok(void **state) {
    chk *c = mk(state, 3);
    OK(chk_role(c, 1, 1, FOL));
    OK(chk_role(c, 1, 1, FOL));
    OK(chk_role(c, 1, 2, CAND));
    OK(chk_role(c, 1, 7, FOL)); /* jumps are fine */
    OK(chk_crash(c, 1));
    OK(chk_restart(c, 1));
    OK(chk_role(c, 1, 7, FOL));
    OK(chk_role(c, 1, 8, CAND));
}

/* ---- single vote ----------------------------------------------------------------------- */

static void test_single_vote_two_candidates(void **state) {
    chk *c = mk(state, 3);
    OK(chk_role(c, 1, 2, FOL));
    OK(chk_vote(c, 1, 2, 2));
    VIOL(chk_vote(c, 1, 2, 3), CHK_SINGLE_VOTE, 1, 2, 0);
    assert_int_equal(chk_violation_get(c)->other, 3);
}

/* forget_vote: the vote must survive a crash. */
static void test_single_vote_across_crash_restart(void **state) {
    chk *c = mk(state, 3);
    OK(chk_role(c, 1, 2, FOL));
    OK(chk_vote(c, 1, 2, 2));
    OK(chk_crash(c, 1));
    OK(chk_restart(c, 1));
    VIOL(chk_vote(c, 1, 2, 3), CHK_SINGLE_VOTE, 1, 2, 0);
    assert_int_equal(chk_violation_get(c)->other, 3);
}

/* A candidate voted for itself cannot then vote for another in that term. */
static void test_single_vote_candidate_votes_for_other(void **state) {
    chk *c = mk(state, 5);
    OK(chk_role(c, 4, 6, CAND));
    OK(chk_vote(c, 4, 6, 4));
    VIOL(chk_vote(c, 4, 6, 5), CHK_SINGLE_VOTE, 4, 6, 0);
    assert_int_equal(chk_violation_get(c)->other, 5);
}

static void test_single_vote_revote_same_candidate_ok(void **state) {
    chk *c = mk(state, 3);
    OK(chk_role(c, 1, 2, FOL));
    OK(chk_vote(c, 1, 2, 2));
    OK(chk_vote(c, 1, 2, 2)); /* a retried RequestVote */
    OK(chk_crash(c, 1));
    OK(chk_restart(c, 1));
    OK(chk_vote(c, 1, 2, 2)); /* and again after a restart */
    OK(chk_role(c, 1, 3, FOL));
    OK(chk_vote(c, 1, 3, 3)); /* a new term, a new vote */
    OK(chk_role(c, 1, 4, CAND));
    OK(chk_vote(c, 1, 4, 1));
}

/* ---- commit within log ----------------------------------------------------------------- */

static void test_commit_within_log_past_end(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "a", 1, 2);
    OK(chk_commit(c, 1, 1));
    VIOL(chk_commit(c, 1, 2), CHK_COMMIT_WITHIN_LOG, 1, 1, 2);
}

/* A follower whose conflicting tail was just deleted must not commit past what is left. */
static void test_commit_within_log_after_truncation(void **state) {
    chk *c = mk(state, 3);
    ELECT(2, 1, 3);
    PUT(1, 1, "a", 2, 3, 1);
    PUT(2, 1, "b", 2);
    PUT(3, 1, "c", 2);
    ELECT(1, 2, 3);
    PUT(2, 2, "d", 1, 3);
    OK(chk_commit(c, 1, 2));
    OK(chk_role(c, 2, 2, FOL));
    OK(chk_truncate(c, 2, 2));
    VIOL(chk_commit(c, 2, 2), CHK_COMMIT_WITHIN_LOG, 2, 2, 2);
}

static void test_commit_within_log_empty_log(void **state) {
    chk *c = mk(state, 3);
    OK(chk_role(c, 2, 1, FOL));
    OK(chk_commit(c, 2, 0));
    VIOL(chk_commit(c, 2, 1), CHK_COMMIT_WITHIN_LOG, 2, 1, 1);
}

/* ---- commit monotonic ------------------------------------------------------------------ */

static void test_commit_monotonic_goes_back(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "a", 1, 2);
    PUT(2, 1, "b", 1, 2);
    OK(chk_commit(c, 1, 1));
    OK(chk_commit(c, 1, 2));
    OK(chk_commit(c, 1, 2)); /* the same again is fine */
    VIOL(chk_commit(c, 1, 1), CHK_COMMIT_MONOTONIC, 1, 1, 1);
}

/* A follower's commit index also never goes back (without a restart). */
static void test_commit_monotonic_follower(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 4, 2);
    PUT(1, 4, "a", 1, 2);
    PUT(2, 4, "b", 1, 2);
    OK(chk_commit(c, 1, 2));
    OK(chk_commit(c, 2, 2));
    VIOL(chk_commit(c, 2, 0), CHK_COMMIT_MONOTONIC, 2, 4, 0);
}

/* Commit is volatile: after a restart it starts again from 0, and applying from index 1. */
static void test_restart_resets_commit_and_apply_ok(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "a", 1, 2);
    PUT(2, 1, "b", 1, 2);
    PUT(3, 1, "c", 1, 2);
    OK(chk_commit(c, 1, 3));
    APPLY(1, 1, 1, "a");
    APPLY(1, 2, 1, "b");
    APPLY(1, 3, 1, "c");
    OK(chk_commit(c, 2, 3));
    APPLY(2, 1, 1, "a");
    APPLY(2, 2, 1, "b");
    OK(chk_crash(c, 2));
    OK(chk_restart(c, 2));
    OK(chk_role(c, 2, 1, FOL));
    OK(chk_commit(c, 2, 0));
    OK(chk_commit(c, 2, 1)); /* below its pre-crash commit: fine after a restart */
    APPLY(2, 1, 1, "a");     /* applies again from 1 */
    OK(chk_commit(c, 2, 3));
    APPLY(2, 2, 1, "b");
    APPLY(2, 3, 1, "c");
    /* the leader too */
    OK(chk_crash(c, 1));
    OK(chk_restart(c, 1));
    OK(chk_role(c, 1, 1, FOL));
    OK(chk_commit(c, 1, 2));
    APPLY(1, 1, 1, "a");
    APPLY(1, 2, 1, "b");
    assert_int_equal(chk_committed_max(c), 3);
}

/* After a restart the node must re-learn the commit before applying again. */
static void test_restart_apply_before_recommit(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "a", 1, 2);
    OK(chk_commit(c, 1, 1));
    OK(chk_commit(c, 2, 1));
    APPLY(2, 1, 1, "a");
    OK(chk_crash(c, 2));
    OK(chk_restart(c, 2));
    VIOL(chk_apply(c, 2, 1, 1, H("a")), CHK_STATE_MACHINE_SAFETY, 2, 1, 1);
}

static void test_restart_apply_not_from_one_malformed(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "a", 1, 2);
    PUT(2, 1, "b", 1, 2);
    OK(chk_commit(c, 1, 2));
    APPLY(1, 1, 1, "a");
    OK(chk_crash(c, 1));
    OK(chk_restart(c, 1));
    OK(chk_commit(c, 1, 2));
    MALF(chk_apply(c, 1, 2, 1, H("b")), 1); /* restarted state machine starts at 1 */
    APPLY(1, 1, 1, "a");
    APPLY(1, 2, 1, "b");
}

/* ---- committed never lost -------------------------------------------------------------- */

/* A node deletes entries it has itself committed, even though a majority still holds them. */
static void test_committed_never_lost_truncate_below_own_commit(void **state) {
    chk *c = mk(state, 5);
    ELECT(1, 1, 2, 3);
    PUT(1, 1, "a", 1, 2, 3, 4);
    PUT(2, 1, "b", 1, 2, 3, 4);
    PUT(3, 1, "c", 1, 2);
    OK(chk_commit(c, 1, 2));
    OK(chk_commit(c, 2, 2));
    VIOL(chk_truncate(c, 2, 2), CHK_COMMITTED_NEVER_LOST, 2, 1, 2);
}

static void test_committed_never_lost_truncate_own_commit_exactly(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 2, 2);
    PUT(1, 2, "a", 1, 2);
    OK(chk_commit(c, 1, 1));
    OK(chk_commit(c, 2, 1));
    VIOL(chk_truncate(c, 2, 1), CHK_COMMITTED_NEVER_LOST, 2, 2, 1);
}

/* truncate_on_match: the only other holder, which never learned the commit, drops the entry.
 * The checker reports the cluster-wide loss with term 0 (it names no single entry term). */
static void test_committed_never_lost_unaware_follower_breaks_majority(void **state) {
    chk *c = mk(state, 3);
    ELECT(2, 1, 3);
    PUT(1, 1, "old", 2);
    ELECT(1, 2, 3);
    PUT(1, 2, "a", 1);
    PUT(2, 2, "b", 1);
    OK(chk_role(c, 2, 2, FOL));
    OK(chk_truncate(c, 2, 1)); /* conflicting, uncommitted: legal */
    PUT(1, 2, "a", 2);
    PUT(2, 2, "b", 2);
    OK(chk_commit(c, 1, 2));
    VIOL(chk_truncate(c, 2, 2), CHK_COMMITTED_NEVER_LOST, 2, 2, 2);
}

/* The holder count follows catch-up appends: with 4 of 5 holding, one unaware follower's
 * deletion still leaves a majority (the entry is not lost, so this invariant tolerates it);
 * a second deletion breaks the majority. */
static void test_committed_never_lost_counts_holders(void **state) {
    chk *c = mk(state, 5);
    ELECT(1, 1, 2, 3);
    PUT(1, 1, "x", 1, 2, 3);
    OK(chk_commit(c, 1, 1));
    PUT(1, 1, "x", 4); /* catches up: 4 of 5 hold it */
    OK(chk_truncate(c, 2, 1));
    VIOL(chk_truncate(c, 3, 1), CHK_COMMITTED_NEVER_LOST, 3, 1, 1);
}

/* Truncating only above the committed prefix leaves the holder count alone: 2 of 3 still
 * hold it until the last truncation. */
static void test_committed_never_lost_truncate_above_prefix_uncounted(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "a", 1, 2);
    PUT(2, 1, "b", 1, 2);
    PUT(3, 1, "c", 2);
    OK(chk_commit(c, 1, 1));
    OK(chk_truncate(c, 2, 3));
    OK(chk_truncate(c, 2, 2));
    VIOL(chk_truncate(c, 2, 1), CHK_COMMITTED_NEVER_LOST, 2, 1, 1);
}

/* A leader that commits an entry only it stores has not made it durable. */
static void test_committed_never_lost_commit_without_majority(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "a", 1);
    VIOL(chk_commit(c, 1, 1), CHK_COMMITTED_NEVER_LOST, 1, 1, 1);
}

/* In a cluster of 4 a majority is 3: 2 holders are not enough. */
static void test_committed_never_lost_even_cluster(void **state) {
    chk *c = mk(state, 4);
    ELECT(1, 1, 2, 3);
    PUT(1, 1, "a", 1, 2, 3);
    PUT(2, 1, "b", 1, 2);
    OK(chk_commit(c, 1, 1));
    VIOL(chk_commit(c, 1, 2), CHK_COMMITTED_NEVER_LOST, 1, 1, 2);
}

/* A follower deleting uncommitted entries that conflict with the leader's, then catching up:
 * legal, whether the deleted range starts above or inside the committed prefix. */
static void test_follower_truncates_uncommitted_conflict_ok(void **state) {
    chk *c = mk(state, 3);
    ELECT(3, 1, 2);
    PUT(1, 1, "s1", 3, 2, 1);
    PUT(2, 1, "s2", 3);
    PUT(3, 1, "s3", 3);
    ELECT(1, 2, 2);
    PUT(2, 2, "a", 1, 2);
    PUT(3, 2, "b", 1, 2);
    OK(chk_commit(c, 1, 3));
    OK(chk_role(c, 3, 2, FOL));
    OK(chk_truncate(c, 3, 2)); /* inside the committed prefix but never committed here */
    PUT(2, 2, "a", 3);
    PUT(3, 2, "b", 3);
    OK(chk_commit(c, 3, 3));
    APPLY(3, 1, 1, "s1");
    APPLY(3, 2, 2, "a");
    APPLY(3, 3, 2, "b");
    PUT(4, 2, "c", 1, 3);
    OK(chk_commit(c, 1, 4));
    OK(chk_commit(c, 2, 3));
    assert_int_equal(chk_committed_max(c), 4);
}

/* ---- malformed sequences --------------------------------------------------------------- */

static void test_malformed_append_gap(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "a", 1);
    MALF(chk_append(c, 1, 3, 1, H("c")), 1);
    MALF(chk_append(c, 2, 2, 1, H("b")), 2);
    PUT(2, 1, "b", 1); /* the checker state is unharmed */
}

static void test_malformed_append_overwrite(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "a", 1, 2);
    MALF(chk_append(c, 2, 1, 1, H("a")), 2); /* must truncate first */
    MALF(chk_append(c, 2, 0, 1, H("a")), 2);
}

static void test_malformed_truncate_range(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "a", 2);
    MALF(chk_truncate(c, 2, 0), 2);
    MALF(chk_truncate(c, 2, 2), 2);
    MALF(chk_truncate(c, 3, 1), 3);
    OK(chk_truncate(c, 2, 1));
}

static void test_malformed_apply_gap(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "a", 1, 2);
    PUT(2, 1, "b", 1, 2);
    OK(chk_commit(c, 1, 2));
    MALF(chk_apply(c, 1, 2, 1, H("b")), 1);
    APPLY(1, 1, 1, "a");
    MALF(chk_apply(c, 1, 1, 1, H("a")), 1); /* twice */
    APPLY(1, 2, 1, "b");
}

static void test_malformed_node_out_of_range(void **state) {
    chk *c = mk(state, 3);
    MALF(chk_role(c, 0, 1, FOL), 0);
    MALF(chk_role(c, 4, 1, FOL), 4);
    MALF(chk_vote(c, 4, 1, 1), 4);
    MALF(chk_vote(c, 1, 1, 0), 1);
    MALF(chk_vote(c, 1, 1, 4), 1);
    MALF(chk_append(c, 0, 1, 1, H("a")), 0);
    MALF(chk_truncate(c, 4, 1), 4);
    MALF(chk_commit(c, 4, 0), 4);
    MALF(chk_apply(c, 0, 1, 1, H("a")), 0);
    MALF(chk_crash(c, 4), 4);
    MALF(chk_restart(c, 0), 0);
    /* nothing was recorded: node 1 can still vote for anyone in term 1 */
    OK(chk_vote(c, 1, 1, 2));
}

/* ---- whole histories ------------------------------------------------------------------- */

static void test_cmd_hash_is_fnv1a(void **state) {
    (void)state;
    assert_true(chk_cmd_hash("", 0) == 0xcbf29ce484222325ull);
    assert_true(chk_cmd_hash("a", 1) == 0xaf63dc4c8601ec8cull);
    assert_true(chk_cmd_hash("x", 1) != chk_cmd_hash("y", 1));
    assert_true(chk_cmd_hash("ab", 1) == chk_cmd_hash("a", 1));
}

static void test_single_node_cluster_ok(void **state) {
    chk *c = mk(state, 1);
    OK(chk_role(c, 1, 1, CAND));
    OK(chk_vote(c, 1, 1, 1));
    OK(chk_role(c, 1, 1, LEAD));
    PUT(1, 1, "a", 1);
    OK(chk_commit(c, 1, 1));
    APPLY(1, 1, 1, "a");
    OK(chk_crash(c, 1));
    OK(chk_restart(c, 1));
    OK(chk_role(c, 1, 2, CAND));
    OK(chk_vote(c, 1, 2, 1));
    OK(chk_role(c, 1, 2, LEAD));
    PUT(2, 2, "b", 1);
    OK(chk_commit(c, 1, 2));
    APPLY(1, 1, 1, "a");
    APPLY(1, 2, 2, "b");
    assert_int_equal(chk_committed_max(c), 2);
}

/* A longer legal run over five nodes: three leaders, crashes, restarts, catch-up. */
static void test_full_legal_history_ok(void **state) {
    chk *c = mk(state, 5);
    assert_int_equal(chk_committed_max(c), 0);
    ELECT(1, 1, 2, 3);
    PUT(1, 1, "a", 1, 2, 3, 4);
    OK(chk_commit(c, 1, 1));
    assert_int_equal(chk_committed_max(c), 1);
    PUT(2, 1, "b", 1, 2, 3, 4);
    OK(chk_commit(c, 1, 2));
    PUT(3, 1, "c", 1); /* never replicated */
    OK(chk_commit(c, 2, 2));
    OK(chk_commit(c, 3, 1));
    APPLY(1, 1, 1, "a");
    APPLY(1, 2, 1, "b");
    OK(chk_crash(c, 1));
    ELECT(2, 2, 3, 4);
    PUT(3, 2, "d", 2, 3, 4);
    OK(chk_commit(c, 2, 3));
    APPLY(2, 1, 1, "a");
    APPLY(2, 2, 1, "b");
    APPLY(2, 3, 2, "d");
    PUT(1, 1, "a", 5);
    PUT(2, 1, "b", 5);
    PUT(3, 2, "d", 5);
    OK(chk_commit(c, 5, 3));
    APPLY(5, 1, 1, "a");
    OK(chk_restart(c, 1));
    OK(chk_role(c, 1, 2, FOL));
    OK(chk_truncate(c, 1, 3));
    PUT(3, 2, "d", 1);
    OK(chk_commit(c, 1, 3));
    APPLY(1, 1, 1, "a");
    OK(chk_crash(c, 2));
    ELECT(4, 3, 1, 3);
    PUT(4, 3, "e", 4, 1, 3);
    OK(chk_commit(c, 4, 4));
    OK(chk_restart(c, 2));
    OK(chk_role(c, 2, 3, FOL));
    PUT(4, 3, "e", 2);
    OK(chk_commit(c, 2, 4));
    APPLY(2, 1, 1, "a");
    APPLY(2, 2, 1, "b");
    APPLY(2, 3, 2, "d");
    APPLY(2, 4, 3, "e");
    assert_int_equal(chk_committed_max(c), 4);
    assert_true(chk_chain(c, 2, 4) == chk_chain(c, 4, 4));
    assert_true(chk_chain(c, 1, 4) == chk_chain(c, 3, 4));
}

/* ---- durability (SPEC section 7) ------------------------------------------------------ */

/* A granted vote that was sent binds across a crash: restarting below its term breaks it. */
static void test_durable_vote_lost_after_sending(void **state) {
    chk *c = mk(state, 3);
    OK(chk_role(c, 2, 4, FOL));
    OK(chk_vote(c, 2, 4, 1));
    OK(chk_promise_vote(c, 2, 4, 1));
    OK(chk_crash(c, 2));
    OK(chk_restart(c, 2));
    VIOL(chk_restore(c, 2, 3, 0, 0), CHK_DURABLE_VOTE, 2, 4, 0);
}

/* ... and restarting in its term but voting for someone else (or no one) breaks it too. */
static void test_durable_vote_forgotten_in_same_term(void **state) {
    chk *c = mk(state, 3);
    OK(chk_role(c, 2, 4, FOL));
    OK(chk_vote(c, 2, 4, 1));
    OK(chk_promise_vote(c, 2, 4, 1));
    OK(chk_crash(c, 2));
    OK(chk_restart(c, 2));
    VIOL(chk_restore(c, 2, 4, 0, 0), CHK_DURABLE_VOTE, 2, 4, 0);
}

/* A vote never sent may be lost with the write, and the node may then vote again in that
 * term for another candidate: no one ever counted the first one. */
static void test_unsent_vote_may_be_lost(void **state) {
    chk *c = mk(state, 3);
    OK(chk_role(c, 2, 4, FOL));
    OK(chk_vote(c, 2, 4, 1));
    OK(chk_crash(c, 2));
    OK(chk_restart(c, 2));
    OK(chk_restore(c, 2, 3, 0, 0)); /* the term-4 write was lost too: term goes back to 3 */
    OK(chk_role(c, 2, 4, FOL));
    OK(chk_vote(c, 2, 4, 3));
}

/* Entries acknowledged to a leader are durable: a restart without them breaks it. */
static void test_durable_ack_lost(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "a", 1, 2);
    PUT(2, 1, "b", 1, 2);
    PUT(3, 1, "c", 1, 2);
    OK(chk_promise_ack(c, 2, 1, 3));
    OK(chk_crash(c, 2));
    OK(chk_restart(c, 2));
    VIOL(chk_restore(c, 2, 1, 1, 1), CHK_DURABLE_ACK, 2, 1, 3);
}

/* Entries written but not acknowledged may be lost; acknowledged ones kept are fine. */
static void test_unacked_entries_may_be_lost(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "a", 1, 2);
    PUT(2, 1, "b", 1, 2);
    PUT(3, 1, "c", 1, 2);
    OK(chk_promise_ack(c, 2, 1, 1));
    OK(chk_crash(c, 2));
    OK(chk_restart(c, 2));
    OK(chk_restore(c, 2, 1, 1, 1));
    OK(chk_truncate(c, 2, 2));
}

/* A node's own truncation (on a leader's word) releases what it had acknowledged there. */
static void test_ack_released_by_truncation(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "a", 1, 2);
    OK(chk_role(c, 3, 1, FOL));
    OK(chk_append(c, 2, 2, 1, H("stale")));
    OK(chk_promise_ack(c, 2, 1, 2));
    OK(chk_truncate(c, 2, 2));
    OK(chk_crash(c, 2));
    OK(chk_restart(c, 2));
    OK(chk_restore(c, 2, 1, 1, 1));
}

/* An acknowledgement binds only while no later term is durable: a later leader may have
 * replaced the entries, durably. */
static void test_ack_binds_in_its_term_only(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "a", 1, 2);
    PUT(2, 1, "b", 1, 2);
    OK(chk_promise_ack(c, 2, 1, 2));
    OK(chk_role(c, 2, 2, FOL));
    OK(chk_crash(c, 2));
    OK(chk_restart(c, 2));
    OK(chk_restore(c, 2, 2, 0, 1));
}

/* A write failed and the node carried on: what it acknowledged behind the write is not on its
 * disk, and never will be (chk_durable, no restart needed). */
static void test_failed_write_ack_judged(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "a", 1, 2);
    PUT(2, 1, "b", 1, 2);
    OK(chk_promise_ack(c, 2, 1, 2));
    VIOL(chk_durable(c, 2, 1, 1, 1), CHK_DURABLE_ACK, 2, 1, 2);
}

/* ... a vote sent whose write failed likewise; and what the disk does hold passes, without
 * changing the node (a later restart is judged on its own). */
static void test_failed_write_vote_judged(void **state) {
    chk *c = mk(state, 3);
    OK(chk_role(c, 2, 4, FOL));
    OK(chk_vote(c, 2, 4, 1));
    OK(chk_promise_vote(c, 2, 4, 1));
    OK(chk_durable(c, 2, 4, 1, 0));
    VIOL(chk_durable(c, 2, 3, 0, 0), CHK_DURABLE_VOTE, 2, 4, 0);
}

/* A failed write of entries never acknowledged breaks nothing: the ack covers what is durable. */
static void test_failed_write_unacked_ok(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "a", 1, 2);
    PUT(2, 1, "b", 1, 2);
    OK(chk_promise_ack(c, 2, 1, 1));
    OK(chk_durable(c, 2, 1, 1, 1));
    OK(chk_durable(c, 2, 2, 0, 0)); /* a later term durable: a later leader may replace them */
}

/* ---- snapshots (SPEC section 8) ------------------------------------------------------------ */

/* Leader 1 of term 1 and followers 2, 3 hold "a", "b"; 1 and 2 commit and apply both. */
static void two_committed(chk *c) {
    ELECT(1, 1, 2);
    PUT(1, 1, "a", 1, 2);
    PUT(2, 1, "b", 1, 2);
    OK(chk_role(c, 3, 1, FOL));
    OK(chk_commit(c, 1, 2));
    OK(chk_commit(c, 2, 2));
    APPLY(1, 1, 1, "a");
    APPLY(1, 2, 1, "b");
    APPLY(2, 1, 1, "a");
    APPLY(2, 2, 1, "b");
}

/* A lagging follower gets the leader's snapshot: its log is the committed prefix, it restores
 * its state from it, and goes on appending and applying after it. */
static void test_snapshot_install_then_append_ok(void **state) {
    chk *c = mk(state, 3);
    two_committed(c);
    OK(chk_snapshot(c, 1, CHK_SNAP_TAKE, 2, 1));
    OK(chk_snapshot(c, 3, CHK_SNAP_INSTALL, 2, 1));
    assert_int_equal(chk_log_len(c, 3), 2);
    assert_true(chk_chain(c, 3, 2) == chk_chain(c, 1, 2));
    OK(chk_snapshot(c, 3, CHK_SNAP_RESTORE, 2, 1));
    PUT(3, 1, "c", 1, 3);
    OK(chk_commit(c, 1, 3));
    OK(chk_commit(c, 3, 3));
    APPLY(3, 3, 1, "c");
}

/* An install replaces divergent entries the follower had (never committed). */
static void test_snapshot_install_replaces_divergent_log_ok(void **state) {
    chk *c = mk(state, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "a", 1, 2, 3);
    ELECT(2, 2, 3);
    PUT(2, 2, "x", 2, 3); /* never committed */
    ELECT(1, 3, 2);
    OK(chk_truncate(c, 2, 2));
    PUT(2, 3, "b", 1, 2);
    OK(chk_commit(c, 1, 2));
    OK(chk_snapshot(c, 3, CHK_SNAP_INSTALL, 2, 3));
    assert_true(chk_chain(c, 3, 2) == chk_chain(c, 1, 2));
    PUT(3, 3, "c", 1, 3);
}

/* A snapshot taken through an index the node has not applied holds state it does not have. */
static void test_snapshot_take_beyond_applied(void **state) {
    chk *c = mk(state, 3);
    two_committed(c);
    PUT(3, 1, "c", 1);
    VIOL(chk_snapshot(c, 1, CHK_SNAP_TAKE, 3, 1), CHK_STATE_MACHINE_SAFETY, 1, 1, 3);
}

/* A snapshot holds committed state only: installing one through an uncommitted index breaks
 * State Machine Safety. */
static void test_snapshot_install_uncommitted(void **state) {
    chk *c = mk(state, 3);
    two_committed(c);
    PUT(3, 1, "c", 1);
    VIOL(chk_snapshot(c, 3, CHK_SNAP_INSTALL, 3, 1), CHK_STATE_MACHINE_SAFETY, 3, 1, 3);
}

/* A snapshot whose last entry is not the committed one there. */
static void test_snapshot_install_other_term(void **state) {
    chk *c = mk(state, 3);
    two_committed(c);
    VIOL(chk_snapshot(c, 3, CHK_SNAP_INSTALL, 2, 2), CHK_STATE_MACHINE_SAFETY, 3, 2, 2);
}

/* A follower that installs an older snapshot over entries it had committed loses them. */
static void test_snapshot_install_older_over_committed(void **state) {
    chk *c = mk(state, 3);
    two_committed(c);
    VIOL(chk_snapshot(c, 2, CHK_SNAP_INSTALL, 1, 1), CHK_COMMITTED_NEVER_LOST, 2, 1, 1);
}

/* A leader never replaces its log. */
static void test_snapshot_install_by_leader(void **state) {
    chk *c = mk(state, 3);
    two_committed(c);
    VIOL(chk_snapshot(c, 1, CHK_SNAP_INSTALL, 2, 1), CHK_LEADER_APPEND_ONLY, 1, 1, 2);
}

/* Installing a snapshot that leaves too few holders of the committed prefix is a loss too:
 * here node 2 trades its committed entry 3 for a snapshot through 2. */
static void test_snapshot_install_breaks_majority(void **state) {
    chk *c = mk(state, 3);
    two_committed(c);
    PUT(3, 1, "c", 1, 2);
    OK(chk_commit(c, 1, 3));
    OK(chk_role(c, 2, 2, FOL));
    VIOL(chk_snapshot(c, 2, CHK_SNAP_INSTALL, 2, 1), CHK_COMMITTED_NEVER_LOST, 2, 1, 3);
}

/* A restart restores the state machine from the durable snapshot: applying resumes after it;
 * a snapshot the node's log does not back is refused. */
static void test_snapshot_restore_at_restart(void **state) {
    chk *c = mk(state, 3);
    two_committed(c);
    OK(chk_snapshot(c, 2, CHK_SNAP_TAKE, 2, 1));
    OK(chk_crash(c, 2));
    OK(chk_restart(c, 2));
    OK(chk_snapshot(c, 2, CHK_SNAP_RESTORE, 2, 1));
    OK(chk_commit(c, 2, 2));
    PUT(3, 1, "c", 1, 2);
    OK(chk_commit(c, 2, 3));
    APPLY(2, 3, 1, "c");
    VIOL(chk_snapshot(c, 3, CHK_SNAP_RESTORE, 2, 1), CHK_STATE_MACHINE_SAFETY, 3, 1, 2);
}

/* An install is the node's own write: what it acknowledged after the snapshot's index is no
 * longer promised. */
static void test_snapshot_install_releases_ack(void **state) {
    chk *c = mk(state, 3);
    two_committed(c);
    OK(chk_append(c, 3, 1, 1, H("a")));
    OK(chk_append(c, 3, 2, 1, H("b")));
    OK(chk_append(c, 3, 3, 1, H("c")));
    OK(chk_promise_ack(c, 3, 1, 3));
    OK(chk_snapshot(c, 3, CHK_SNAP_INSTALL, 2, 1));
    OK(chk_crash(c, 3));
    OK(chk_restart(c, 3));
    OK(chk_restore(c, 3, 1, 0, 2));
}


/* ---- compaction: shadow logs keep only what is not yet known committed ------------------- */

#define LONG_LOG 10000u /* well past the checker's compaction threshold */

/* Entries 1..to of term 1 (command hash i) on the listed nodes (0-terminated). */
static void put_range(chk *c, const uint8_t *nodes, uint64_t from, uint64_t to, uint64_t salt) {
    for (; *nodes; nodes++)
        for (uint64_t i = from; i <= to; i++)
            assert_int_equal(chk_append(c, *nodes, i, 1, i * 7919u + salt), CHK_OK);
}
#define PUT_RANGE(from, to, salt, ...)                                                             \
    put_range(c, (const uint8_t[]){__VA_ARGS__, 0}, (from), (to), (salt))

/* Three logs of LONG_LOG committed entries: every node's shadow has dropped them. */
static void long_committed(chk *c) {
    ELECT(1, 1, 2);
    PUT_RANGE(1, LONG_LOG, 0, 1, 2, 3);
    OK(chk_commit(c, 1, LONG_LOG));
    OK(chk_commit(c, 2, LONG_LOG));
    OK(chk_commit(c, 3, LONG_LOG));
}

/* Chains below a compacted shadow's base are the committed prefix's; a truncation into it (after
 * a restart) and the appends after it rebuild the same chain. */
static void test_compacted_logs_keep_chains(void **state) {
    chk *c = mk(state, 3);
    long_committed(c);
    assert_true(chk_chain(c, 3, 5000) == chk_chain(c, 1, 5000));
    assert_true(chk_chain(c, 2, LONG_LOG) == chk_chain(c, 1, LONG_LOG));
    OK(chk_crash(c, 3));
    OK(chk_restart(c, 3));
    OK(chk_truncate(c, 3, 9000)); /* lost writes: commit is 0 after the restart */
    assert_int_equal(chk_log_len(c, 3), 8999);
    PUT_RANGE(9000, LONG_LOG, 0, 3);
    assert_true(chk_chain(c, 3, LONG_LOG) == chk_chain(c, 1, LONG_LOG));
    OK(chk_commit(c, 3, LONG_LOG));
    for (uint64_t i = 1; i <= 20; i++) OK(chk_apply(c, 3, i, 1, i * 7919u));
    OK(chk_snapshot(c, 3, CHK_SNAP_TAKE, 20, 1));
}

/* Every guarantee holds across compaction: a committed entry deleted below the base, a leader
 * lacking compacted entries, a different entry at a compacted (index, term), a wrong apply. */
static void test_compacted_logs_keep_guarantees(void **state) {
    chk *c = mk(state, 3);
    long_committed(c);
    VIOL(chk_truncate(c, 2, 5000), CHK_COMMITTED_NEVER_LOST, 2, 1, 5000);
}

static void test_compacted_log_matching(void **state) {
    chk *c = mk(state, 3);
    long_committed(c);
    OK(chk_crash(c, 3));
    OK(chk_restart(c, 3));
    OK(chk_truncate(c, 3, 4000));
    VIOL(chk_append(c, 3, 4000, 1, 12345), CHK_LOG_MATCHING, 3, 1, 4000);
}

static void test_compacted_leader_completeness(void **state) {
    chk *c = mk(state, 3);
    long_committed(c);
    OK(chk_crash(c, 3));
    OK(chk_restart(c, 3));
    OK(chk_truncate(c, 3, 9000));
    OK(chk_role(c, 3, 2, CAND));
    OK(chk_vote(c, 3, 2, 3));
    OK(chk_role(c, 2, 2, FOL));
    OK(chk_vote(c, 2, 2, 3));
    VIOL(chk_role(c, 3, 2, LEAD), CHK_LEADER_COMPLETENESS, 3, 2, LONG_LOG);
}

static void test_compacted_apply_and_install(void **state) {
    chk *c = mk(state, 3);
    long_committed(c);
    OK(chk_crash(c, 3));
    OK(chk_restart(c, 3));
    OK(chk_truncate(c, 3, 7000));
    OK(chk_snapshot(c, 3, CHK_SNAP_INSTALL, LONG_LOG, 1)); /* back to the committed prefix */
    assert_int_equal(chk_log_len(c, 3), LONG_LOG);
    assert_true(chk_chain(c, 3, LONG_LOG) == chk_chain(c, 1, LONG_LOG));
    OK(chk_snapshot(c, 3, CHK_SNAP_RESTORE, LONG_LOG, 1));
    VIOL(chk_apply(c, 2, 1, 1, 42), CHK_STATE_MACHINE_SAFETY, 2, 1, 1);
}

#define T(f) cmocka_unit_test_teardown(f, teardown)

/* ---- membership: majorities over the configuration of the commit decision ---------------- */

static const uint64_t VOTERS_12[4] = {(1u << 1) | (1u << 2), 0, 0, 0};

/* Four voters at the start; nodes 1 and 2 hold a configuration of {1, 2} (two removals) and
 * commit under it. Counted over the configuration the commit was decided under, 2 of 2 hold
 * the entries: no violation, where counting over the starting cluster (2 of 4) would report
 * one. */
static void test_members_commit_counts_decision_conf(void **state) {
    chk *c = mk(state, 4);
    chk_start_voters(c, 4);
    ELECT(1, 1, 2, 3);
    PUT(1, 1, "a", 1, 2);
    PUT(2, 1, "conf", 1, 2);
    OK(chk_config(c, 1, 2, VOTERS_12));
    OK(chk_config(c, 2, 2, VOTERS_12));
    OK(chk_commit(c, 1, 2));
}

/* The same commit without the configurations: the starting cluster's majority is missing. */
static void test_members_commit_without_conf_fires(void **state) {
    chk *c = mk(state, 4);
    chk_start_voters(c, 4);
    ELECT(1, 1, 2, 3);
    PUT(1, 1, "a", 1, 2);
    PUT(2, 1, "conf", 1, 2);
    VIOL(chk_commit(c, 1, 2), CHK_COMMITTED_NEVER_LOST, 1, 1, 2);
}

/* Under the configuration {1, 2} the commit is safe only while both hold it: node 2 losing the
 * entries breaks it (it would not, counted over the starting four, where it already was). */
static void test_members_losing_decision_majority_fires(void **state) {
    chk *c = mk(state, 4);
    chk_start_voters(c, 4);
    ELECT(1, 1, 2, 3);
    PUT(1, 1, "a", 1, 2);
    PUT(2, 1, "conf", 1, 2);
    OK(chk_config(c, 1, 2, VOTERS_12));
    OK(chk_config(c, 2, 2, VOTERS_12));
    OK(chk_commit(c, 1, 2));
    OK(chk_role(c, 2, 2, CAND));
    VIOL(chk_truncate(c, 2, 1), CHK_COMMITTED_NEVER_LOST, 2, 1, 2);
}

/* A spare (id above the starting voters) does not count until a configuration has it. */
static void test_members_spare_not_counted(void **state) {
    chk *c = mk(state, 4);
    chk_start_voters(c, 3);
    ELECT(1, 1, 2);
    PUT(1, 1, "a", 1, 2);
    OK(chk_commit(c, 1, 1)); /* 2 of the 3 voters; node 4, empty, is no voter */
    MALF(chk_config(c, 3, 1, VOTERS_12), 3); /* node 3's log has no index 1 */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_members_commit_counts_decision_conf),
        T(test_members_commit_without_conf_fires),
        T(test_members_losing_decision_majority_fires),
        T(test_members_spare_not_counted),
        T(test_election_safety_two_leaders_same_term),
        T(test_election_safety_after_leader_crash),
        T(test_election_safety_distinct_terms_ok),
        T(test_leader_append_only_wrong_term_entry),
        T(test_leader_append_only_future_term_entry),
        T(test_leader_append_only_leader_truncates),
        T(test_leader_appends_own_term_after_older_entries_ok),
        T(test_deposed_leader_truncates_ok),
        T(test_crashed_leader_truncates_after_restart_ok),
        T(test_log_matching_same_index_term_different_command),
        T(test_log_matching_first_entry_different_command),
        T(test_log_matching_same_index_term_different_prefix),
        T(test_log_matching_across_time_after_truncation),
        T(test_log_matching_identical_logs_same_chain),
        T(test_chain_differs_for_different_logs),
        T(test_log_matching_long_logs),
        T(test_leader_completeness_new_leader_lacks_committed),
        T(test_leader_completeness_holder_ok),
        T(test_leader_completeness_stale_leader_elected_late_ok),
        T(test_leader_completeness_stale_leader_owes_older_terms_ok),
        T(test_leader_completeness_stale_leader_lacks_older_term),
        T(test_leader_completeness_late_commit_by_stale_leader),
        T(test_new_leader_while_stale_leader_exists_ok),
        T(test_leader_completeness_figure8),
        T(test_state_machine_apply_beyond_own_commit),
        T(test_state_machine_apply_before_node_learned_commit),
        T(test_state_machine_apply_other_command),
        T(test_state_machine_apply_other_term),
        T(test_state_machine_commit_differs_at_committed_index),
        T(test_state_machine_commit_extends_over_different_prefix),
        T(test_term_monotonic_back_after_restart),
        T(test_term_monotonic_back_without_crash),
        T(test_term_monotonic_vote_in_older_term),
        T(test_term_monotonic_vote_below_current_term),
        T(test_terms_rise_and_repeat_ok),
        T(test_single_vote_two_candidates),
        T(test_single_vote_across_crash_restart),
        T(test_single_vote_candidate_votes_for_other),
        T(test_single_vote_revote_same_candidate_ok),
        T(test_commit_within_log_past_end),
        T(test_commit_within_log_after_truncation),
        T(test_commit_within_log_empty_log),
        T(test_commit_monotonic_goes_back),
        T(test_commit_monotonic_follower),
        T(test_restart_resets_commit_and_apply_ok),
        T(test_restart_apply_before_recommit),
        T(test_restart_apply_not_from_one_malformed),
        T(test_committed_never_lost_truncate_below_own_commit),
        T(test_committed_never_lost_truncate_own_commit_exactly),
        T(test_committed_never_lost_unaware_follower_breaks_majority),
        T(test_committed_never_lost_counts_holders),
        T(test_committed_never_lost_truncate_above_prefix_uncounted),
        T(test_committed_never_lost_commit_without_majority),
        T(test_committed_never_lost_even_cluster),
        T(test_follower_truncates_uncommitted_conflict_ok),
        T(test_malformed_append_gap),
        T(test_malformed_append_overwrite),
        T(test_malformed_truncate_range),
        T(test_malformed_apply_gap),
        T(test_malformed_node_out_of_range),
        T(test_cmd_hash_is_fnv1a),
        T(test_single_node_cluster_ok),
        T(test_full_legal_history_ok),
        T(test_durable_vote_lost_after_sending),
        T(test_durable_vote_forgotten_in_same_term),
        T(test_unsent_vote_may_be_lost),
        T(test_durable_ack_lost),
        T(test_unacked_entries_may_be_lost),
        T(test_ack_released_by_truncation),
        T(test_ack_binds_in_its_term_only),
        T(test_failed_write_ack_judged),
        T(test_failed_write_vote_judged),
        T(test_failed_write_unacked_ok),
        T(test_snapshot_install_then_append_ok),
        T(test_snapshot_install_replaces_divergent_log_ok),
        T(test_snapshot_take_beyond_applied),
        T(test_snapshot_install_uncommitted),
        T(test_snapshot_install_other_term),
        T(test_snapshot_install_older_over_committed),
        T(test_snapshot_install_by_leader),
        T(test_snapshot_install_breaks_majority),
        T(test_snapshot_restore_at_restart),
        T(test_snapshot_install_releases_ack),
        T(test_compacted_logs_keep_chains),
        T(test_compacted_logs_keep_guarantees),
        T(test_compacted_log_matching),
        T(test_compacted_leader_completeness),
        T(test_compacted_apply_and_install),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
