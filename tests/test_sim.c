/* test_sim.c - the simulator as a whole: determinism, the trace not influencing the run,
 * expectations that fail, node references, limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "raft/raft.h"
#include "sim/scenario/scenario.h"
#include "sim/raftsim.h"

static void load(scenario *s, const char *json) {
    char err[512];
    cJSON *root = cJSON_Parse(json);
    assert_non_null(root);
    int rc = scn_load_json(root, "test", "", "test", s, err, sizeof err);
    if (rc) fail_msg("%s", err);
    cJSON_Delete(root);
}

static int count_sink(void *ctx, const char *line, size_t len) {
    (void)line;
    *(size_t *)ctx += len;
    return 0;
}

/* Runs with the trace on; returns the event hash. */
static uint64_t traced_run(const scenario *s, uint64_t seed, uint32_t bugs, sim_result *r) {
    trace_writer tw;
    size_t bytes = 0;
    trace_open(&tw, count_sink, &bytes);
    sim_config cfg = {.scn = s, .seed = seed, .bugs = bugs, .build = "test", .trace = &tw};
    sim_run(&cfg, r);
    assert_true(bytes > 0);
    return tw.hash;
}

static const char *busy =
    "{\"cluster\":{\"nodes\":5},\"network\":{\"delay_ms\":[1,30],\"drop_rate\":0.1,"
    "\"duplicate_rate\":0.1},\"run_ms\":6000,\"events\":["
    "{\"at_ms\":1000,\"do\":\"submit\",\"node\":\"leader\",\"count\":5},"
    "{\"at_ms\":1500,\"do\":\"crash\",\"node\":\"leader\"},"
    "{\"at_ms\":2000,\"do\":\"partition\",\"groups\":[[1,2]]},"
    "{\"at_ms\":3000,\"do\":\"heal\"},"
    "{\"at_ms\":3000,\"do\":\"restart\",\"node\":\"crashed\"},"
    "{\"at_ms\":3500,\"do\":\"pause\",\"node\":\"leader\"},"
    "{\"at_ms\":4000,\"do\":\"resume\",\"node\":1},{\"at_ms\":4000,\"do\":\"resume\",\"node\":2},"
    "{\"at_ms\":4000,\"do\":\"resume\",\"node\":3},{\"at_ms\":4000,\"do\":\"resume\",\"node\":4},"
    "{\"at_ms\":4000,\"do\":\"resume\",\"node\":5},"
    "{\"at_ms\":5000,\"do\":\"submit\",\"node\":\"leader\",\"count\":3},"
    "{\"at_ms\":5000,\"expect\":{\"committed_at_least\":8,\"logs_match\":true},\"within_ms\":1000}]"
    "}";

static void same_seed_same_hash(void **state) {
    (void)state;
    scenario s;
    load(&s, busy);
    sim_result a, b;
    uint64_t h1 = traced_run(&s, 42, 0, &a), h2 = traced_run(&s, 42, 0, &b);
    assert_int_equal(a.status, SIM_PASS);
    assert_int_equal(h1, h2);
    assert_int_equal(a.steps, b.steps);
    assert_int_equal(a.msgs_sent, b.msgs_sent);
    scn_free(&s);
}

static void other_seed_other_run(void **state) {
    (void)state;
    scenario s;
    load(&s, busy);
    sim_result a, b;
    assert_int_not_equal(traced_run(&s, 1, 0, &a), traced_run(&s, 2, 0, &b));
    scn_free(&s);
}

/* Tracing must only observe: the same run with the trace off takes the same steps. */
static void trace_does_not_change_run(void **state) {
    (void)state;
    scenario s;
    load(&s, busy);
    sim_result traced, plain;
    traced_run(&s, 9, 0, &traced);
    sim_config cfg = {.scn = &s, .seed = 9, .build = "test"};
    sim_run(&cfg, &plain);
    assert_int_equal(traced.status, plain.status);
    assert_int_equal(traced.steps, plain.steps);
    assert_int_equal(traced.msgs_dropped, plain.msgs_dropped);
    assert_int_equal(traced.committed, plain.committed);
    scn_free(&s);
}

static sim_result run_json(const char *json, uint32_t bugs) {
    scenario s;
    load(&s, json);
    sim_result r;
    sim_config cfg = {.scn = &s, .seed = s.seed, .bugs = bugs, .build = "test"};
    sim_run(&cfg, &r);
    scn_free(&s);
    return r;
}

static void expectation_can_fail(void **state) {
    (void)state;
    sim_result r = run_json("{\"run_ms\":2000,\"events\":[{\"at_ms\":1000,\"expect\":"
                            "{\"leader\":\"none\"}}]}",
                            0);
    assert_int_equal(r.status, SIM_EXPECT_FAILED);
    assert_non_null(strstr(r.reason, "events[0]"));
    assert_non_null(strstr(r.reason, "is leader"));
}

static void within_waits_for_condition(void **state) {
    (void)state;
    /* No leader at 1 ms, one within 1 s: passes only because of within_ms. */
    sim_result r = run_json("{\"run_ms\":2000,\"events\":[{\"at_ms\":1,\"expect\":"
                            "{\"leader\":\"any\"},\"within_ms\":1000}]}",
                            0);
    assert_int_equal(r.status, SIM_PASS);
    r = run_json("{\"run_ms\":2000,\"events\":[{\"at_ms\":1,\"expect\":"
                 "{\"leader\":\"any\"}}]}",
                 0);
    assert_int_equal(r.status, SIM_EXPECT_FAILED);
}

static void missing_leader_reference_fails(void **state) {
    (void)state;
    sim_result r = run_json("{\"run_ms\":2000,\"events\":[{\"at_ms\":1,\"do\":\"crash\","
                            "\"node\":\"leader\"}]}",
                            0);
    assert_int_equal(r.status, SIM_EXPECT_FAILED);
    assert_non_null(strstr(r.reason, "no leader"));
}

static void optional_event_is_skipped(void **state) {
    (void)state;
    sim_result r = run_json("{\"run_ms\":2000,\"events\":[{\"at_ms\":1,\"do\":\"crash\","
                            "\"node\":\"leader\",\"optional\":true},{\"at_ms\":1500,"
                            "\"expect\":{\"leader\":\"any\"}}]}",
                            0);
    assert_int_equal(r.status, SIM_PASS);
    /* Optional only when nothing resolves: with a leader there, it is crashed. */
    r = run_json("{\"run_ms\":2000,\"events\":[{\"at_ms\":1000,\"do\":\"crash\",\"node\":"
                 "\"leader\",\"optional\":true},{\"at_ms\":1000,\"expect\":{\"leader\":"
                 "\"none\"}}]}",
                 0);
    assert_int_equal(r.status, SIM_PASS);
}

/* A follower's write of a new entry fails: it stops at once (crashed, counted as such), its
 * acknowledgement never leaves, and the entry commits on the other two. With the bug it carries
 * on, is not crashed, and its acknowledgement breaks durable_ack when it leaves. With write_ms
 * [0, 0] too (the acknowledgement waits for the write due now). */
static sim_result run_follower_write_fails(const char *write_ms, uint32_t bugs) {
    char json[1024];
    snprintf(json, sizeof json, "%s%s%s",
             "{\"seed\":5,\"cluster\":{\"nodes\":3},\"network\":{\"delay_ms\":[2,2]},"
             "\"disk\":{\"write_ms\":",
             write_ms,
             "},\"run_ms\":2000,\"events\":["
             "{\"at_ms\":1000,\"do\":\"fail_writes\",\"node\":\"follower\",\"count\":1},"
             "{\"at_ms\":1000,\"do\":\"submit\",\"node\":\"leader\",\"command\":\"x\"},"
             "{\"at_ms\":1000,\"expect\":{\"committed_at_least\":1},\"within_ms\":500}]}");
    return run_json(json, bugs);
}

static void failed_write_stops_the_node(void **state) {
    (void)state;
    static const char *const write_ms[] = {"[0,0]", "[5,5]"};
    for (int k = 0; k < 2; k++) {
        sim_result r = run_follower_write_fails(write_ms[k], 0);
        assert_int_equal(r.status, SIM_PASS);
        assert_int_equal(r.stats.faults[SIM_FAULT_DISK_FAIL], 1);
        assert_int_equal(r.stats.faults[SIM_FAULT_CRASH], 1);
        r = run_follower_write_fails(write_ms[k], RAFT_BUG_IGNORE_WRITE_ERROR);
        assert_int_equal(r.status, SIM_VIOLATION);
        assert_string_equal(r.violation.invariant, "durable_ack");
        assert_int_equal(r.stats.faults[SIM_FAULT_CRASH], 0);
    }
}

static void two_nodes_cannot_elect_in_five(void **state) {
    (void)state;
    sim_result r = run_json(
        "{\"run_ms\":5000,\"events\":[{\"at_ms\":0,\"do\":\"crash\",\"node\":3},"
        "{\"at_ms\":0,\"do\":\"crash\",\"node\":4},{\"at_ms\":0,\"do\":\"crash\",\"node\":5},"
        "{\"at_ms\":4999,\"expect\":{\"leader\":\"none\",\"term_at_least\":3}}]}",
        0);
    assert_int_equal(r.status, SIM_PASS);
}

static void step_limit_stops_run(void **state) {
    (void)state;
    scenario s;
    load(&s, busy);
    sim_result r;
    sim_config cfg = {.scn = &s, .seed = 1, .build = "test", .max_steps = 100};
    sim_run(&cfg, &r);
    assert_int_equal(r.status, SIM_LIMIT);
    assert_int_equal(r.steps, 100);
    scn_free(&s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_seed_same_hash),
        cmocka_unit_test(other_seed_other_run),
        cmocka_unit_test(trace_does_not_change_run),
        cmocka_unit_test(expectation_can_fail),
        cmocka_unit_test(within_waits_for_condition),
        cmocka_unit_test(missing_leader_reference_fails),
        cmocka_unit_test(optional_event_is_skipped),
        cmocka_unit_test(two_nodes_cannot_elect_in_five),
        cmocka_unit_test(failed_write_stops_the_node),
        cmocka_unit_test(step_limit_stops_run),
    };
    return cmocka_run_group_tests_name("sim", tests, NULL, NULL);
}
