/* test_scenario.c - unit tests of the scenario loader and writer (sim/scenario/scenario.c, SPEC
 * section 2).
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* mkdtemp; the Makefile may already define it */
#endif

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/scenario/scenario.h"

#define ERR_CAP 512

/* Loads a scenario from JSON text with origin "t.json" and default name "dflt". */
static int load_str(const char *json, scenario *s, char *err) {
    cJSON *root = cJSON_Parse(json);
    assert_non_null(root); /* the test's own JSON must be well formed */
    int rc = scn_load_json(root, "t.json", "", "dflt", s, err, ERR_CAP);
    cJSON_Delete(root);
    return rc;
}

static void load_ok(const char *json, scenario *s) {
    char err[ERR_CAP];
    int rc = load_str(json, s, err);
    if (rc != 0) print_error("unexpected error: %s\n", err);
    assert_int_equal(rc, 0);
}

/* A failed load must report exactly this message and leave the scenario empty. */
static void expect_error(const char *json, const char *message) {
    scenario s;
    char err[ERR_CAP];
    memset(&s, 0xAB, sizeof s); /* the loader must not rely on a zeroed output */
    assert_int_equal(load_str(json, &s, err), -1);
    assert_string_equal(err, message);
    assert_null(s.name);
    assert_null(s.events);
    assert_int_equal(s.n_events, 0);
}

static bool str_eq(const char *a, const char *b) {
    if (a == NULL || b == NULL) return a == b;
    return strcmp(a, b) == 0;
}

static bool expect_eq(const scn_expect *a, const scn_expect *b) {
    if (a->has_leader != b->has_leader || a->leader != b->leader ||
        a->has_leader_not != b->has_leader_not || a->leader_not != b->leader_not ||
        a->has_term_at_most != b->has_term_at_most || a->term_at_most != b->term_at_most ||
        a->has_term_at_least != b->has_term_at_least || a->term_at_least != b->term_at_least ||
        a->has_committed_at_least != b->has_committed_at_least ||
        a->committed_at_least != b->committed_at_least ||
        a->has_committed_at_most != b->has_committed_at_most ||
        a->committed_at_most != b->committed_at_most || a->n_on != b->n_on ||
        a->has_logs_match != b->has_logs_match || a->has_role != b->has_role ||
        a->role_node != b->role_node || a->role_is != b->role_is || a->has_kv != b->has_kv ||
        !str_eq(a->kv_key, b->kv_key) || !str_eq(a->kv_value, b->kv_value) ||
        a->has_leaders != b->has_leaders || a->leaders != b->leaders ||
        !str_eq(a->applied_cmd, b->applied_cmd)) {
        return false;
    }
    return a->n_on == 0 || memcmp(a->on, b->on, a->n_on * sizeof *a->on) == 0;
}

static bool event_eq(const scn_event *a, const scn_event *b) {
    if (a->at_us != b->at_us || a->kind != b->kind || a->has_within != b->has_within ||
        a->within_us != b->within_us || a->node != b->node || a->n_groups != b->n_groups ||
        a->from != b->from || a->to != b->to || a->has_up != b->has_up || a->up != b->up ||
        a->has_drop_rate != b->has_drop_rate || a->has_delay != b->has_delay ||
        a->has_duplicate_rate != b->has_duplicate_rate || a->drop_rate != b->drop_rate ||
        a->duplicate_rate != b->duplicate_rate || a->delay.min_us != b->delay.min_us ||
        a->delay.max_us != b->delay.max_us || !str_eq(a->command, b->command) ||
        a->count != b->count || a->client != b->client || a->kv_op != b->kv_op ||
        !str_eq(a->key, b->key) || !str_eq(a->value, b->value) ||
        !str_eq(a->from_value, b->from_value) || !expect_eq(&a->expect, &b->expect)) {
        return false;
    }
    for (uint32_t g = 0; g < a->n_groups; g++) {
        if (a->group_len[g] != b->group_len[g]) return false;
        if (memcmp(a->groups[g], b->groups[g], a->group_len[g] * sizeof(scn_ref)) != 0) {
            return false;
        }
    }
    return true;
}

static bool initial_eq(const scn_initial *a, const scn_initial *b) {
    if (a->node != b->node || a->term != b->term || a->voted_for != b->voted_for ||
        a->n_log != b->n_log) {
        return false;
    }
    for (uint32_t k = 0; k < a->n_log; k++) {
        if (a->log[k].term != b->log[k].term || !str_eq(a->log[k].cmd, b->log[k].cmd)) {
            return false;
        }
    }
    return true;
}

/* Field-by-field equality, doubles compared exactly: the round trip must lose nothing. */
static bool scn_equal(const scenario *a, const scenario *b) {
    if (!str_eq(a->name, b->name) || !str_eq(a->description, b->description) ||
        a->seed != b->seed || a->nodes != b->nodes ||
        a->election_timeout.min_us != b->election_timeout.min_us ||
        a->election_timeout.max_us != b->election_timeout.max_us ||
        a->heartbeat_us != b->heartbeat_us || a->delay.min_us != b->delay.min_us ||
        a->delay.max_us != b->delay.max_us || a->drop_rate != b->drop_rate ||
        a->duplicate_rate != b->duplicate_rate || a->run_us != b->run_us ||
        a->n_initial != b->n_initial || a->n_events != b->n_events) {
        return false;
    }
    for (uint32_t i = 0; i < a->n_initial; i++) {
        if (!initial_eq(&a->initial[i], &b->initial[i])) return false;
    }
    for (uint32_t i = 0; i < a->n_events; i++) {
        if (!event_eq(&a->events[i], &b->events[i])) return false;
    }
    return true;
}

/* to_json, load again, compare; writing the reloaded one must give the same text. */
static void assert_round_trip(const scenario *s) {
    char *text = scn_to_json(s);
    assert_non_null(text);
    scenario back;
    load_ok(text, &back);
    assert_true(scn_equal(s, &back));
    char *again = scn_to_json(&back);
    assert_string_equal(text, again);
    free(again);
    free(text);
    scn_free(&back);
}

static void test_defaults(void **state) {
    (void)state;
    scenario s;
    load_ok("{\"events\": []}", &s);
    assert_string_equal(s.name, "dflt");
    assert_string_equal(s.description, "");
    assert_int_equal(s.seed, 7);
    assert_int_equal(s.nodes, 5);
    assert_int_equal(s.election_timeout.min_us, 150000);
    assert_int_equal(s.election_timeout.max_us, 300000);
    assert_int_equal(s.heartbeat_us, 50000);
    assert_int_equal(s.delay.min_us, 1000);
    assert_int_equal(s.delay.max_us, 10000);
    assert_true(s.drop_rate == 0.0 && s.duplicate_rate == 0.0);
    assert_int_equal(s.run_us, 10000000);
    assert_int_equal(s.n_initial, 0);
    assert_null(s.initial);
    assert_int_equal(s.n_events, 0);
    assert_round_trip(&s);
    scn_free(&s);
}

static void test_default_name_null(void **state) {
    (void)state;
    cJSON *root = cJSON_Parse("{\"events\": []}");
    scenario s;
    char err[ERR_CAP];
    assert_int_equal(scn_load_json(root, "t.json", "", NULL, &s, err, sizeof err), 0);
    assert_string_equal(s.name, "unnamed");
    scn_free(&s);
    cJSON_Delete(root);
}

static void test_to_json_exact(void **state) {
    (void)state;
    scenario s;
    load_ok("{\"events\": [{\"at_ms\": 2000, \"do\": \"crash\", \"node\": \"leader\"}]}", &s);
    char *text = scn_to_json(&s);
    assert_string_equal(
        text, "{\"name\":\"dflt\",\"description\":\"\",\"implementation\":\"builtin\",\"seed\":7,"
              "\"cluster\":{\"nodes\":5,"
              "\"election_timeout_ms\":[150,300],\"heartbeat_ms\":50},\"network\":{\"delay_ms\":"
              "[1,10],\"drop_rate\":0,\"duplicate_rate\":0},\"disk\":{\"write_ms\":[0,0],\"torn_"
              "writes\":false},\"run_ms\":10000,\"events\":"
              "[{\"at_ms\":2000,\"do\":\"crash\",\"node\":\"leader\"}]}");
    free(text);
    scn_free(&s);
}

static const char SPEC_EXAMPLE[] =
    "{\"name\": \"leader-crash\", \"description\": \"free text\", \"seed\": 7,"
    " \"cluster\": {\"nodes\": 5, \"election_timeout_ms\": [150, 300], \"heartbeat_ms\": 50},"
    " \"network\": {\"delay_ms\": [1, 10], \"drop_rate\": 0.0, \"duplicate_rate\": 0.0},"
    " \"run_ms\": 10000,"
    " \"initial\": [{\"node\": 1, \"term\": 3, \"voted_for\": 1, \"log\": [1, 1, 2, 3]}],"
    " \"events\": [{\"at_ms\": 2000, \"do\": \"crash\", \"node\": \"leader\"},"
    "  {\"at_ms\": 2000, \"expect\": {\"leader\": \"any\"}, \"within_ms\": 1000}]}";

static void test_spec_example(void **state) {
    (void)state;
    scenario s;
    load_ok(SPEC_EXAMPLE, &s);
    assert_string_equal(s.name, "leader-crash");
    assert_string_equal(s.description, "free text");
    assert_int_equal(s.n_initial, 1);
    const scn_initial *in = &s.initial[0];
    assert_int_equal(in->node, 1);
    assert_int_equal(in->term, 3);
    assert_int_equal(in->voted_for, 1);
    assert_int_equal(in->n_log, 4);
    assert_int_equal(in->log[2].term, 2);
    assert_string_equal(in->log[0].cmd, "1:1");
    assert_string_equal(in->log[3].cmd, "4:3");
    assert_int_equal(s.n_events, 2);
    assert_int_equal(s.events[0].kind, SCN_DO_CRASH);
    assert_int_equal(s.events[0].at_us, 2000000);
    assert_int_equal(s.events[0].node, SCN_REF_LEADER);
    assert_int_equal(s.events[1].kind, SCN_EXPECT);
    assert_true(s.events[1].expect.has_leader);
    assert_int_equal(s.events[1].expect.leader, SCN_LEADER_ANY);
    assert_true(s.events[1].has_within);
    assert_int_equal(s.events[1].within_us, 1000000);
    assert_round_trip(&s);
    scn_free(&s);
}

static void test_refs(void **state) {
    (void)state;
    scenario s;
    load_ok("{\"cluster\": {\"nodes\": 7}, \"events\": ["
            " {\"at_ms\": 1, \"do\": \"crash\", \"node\": \"leader\"},"
            " {\"at_ms\": 1, \"do\": \"pause\", \"node\": \"follower\"},"
            " {\"at_ms\": 1, \"do\": \"restart\", \"node\": \"crashed\"},"
            " {\"at_ms\": 1, \"do\": \"resume\", \"node\": 7},"
            " {\"at_ms\": 1, \"expect\": {\"leader\": \"none\"}},"
            " {\"at_ms\": 1, \"expect\": {\"leader\": 6, \"leader_not\": 7}}]}",
            &s);
    assert_int_equal(s.events[0].node, SCN_REF_LEADER);
    assert_int_equal(s.events[1].node, SCN_REF_FOLLOWER);
    assert_int_equal(s.events[2].node, SCN_REF_CRASHED);
    assert_int_equal(s.events[3].node, 7);
    assert_int_equal(s.events[3].kind, SCN_DO_RESUME);
    assert_int_equal(s.events[4].expect.leader, SCN_LEADER_NONE);
    assert_int_equal(s.events[5].expect.leader, 6);
    assert_int_equal(s.events[5].expect.leader_not, 7);
    assert_false(s.events[4].has_within);
    assert_round_trip(&s);
    scn_free(&s);
}

/* Every event kind and every optional field, with fractional times and odd doubles. */
static const char ALL_KINDS[] =
    "{\"seed\": 9007199254740991, \"run_ms\": 5000.25,"
    " \"network\": {\"drop_rate\": 0.30000000000000004, \"duplicate_rate\": 1e-5,"
    "  \"delay_ms\": [0.5, 2.5004]},"
    " \"initial\": [{\"node\": 2, \"term\": 4, \"log\": [1, {\"term\": 2, \"cmd\": \"x\"},"
    "  {\"term\": 4, \"cmd\": \"3:4\"}]}, {\"node\": 3}],"
    " \"events\": ["
    "  {\"at_ms\": 1.5, \"do\": \"partition\", \"groups\": [[\"leader\", 1], [], [2, "
    "\"crashed\"]]},"
    "  {\"at_ms\": 3, \"do\": \"link\", \"from\": \"follower\", \"to\": 2, \"delay_ms\": [1, 2],"
    "   \"up\": false, \"drop_rate\": 0.5},"
    "  {\"at_ms\": 3, \"do\": \"link\", \"from\": 4, \"to\": 5, \"up\": true},"
    "  {\"at_ms\": 3, \"do\": \"network\", \"duplicate_rate\": 0.1},"
    "  {\"at_ms\": 4, \"do\": \"submit\", \"node\": \"leader\", \"count\": 10},"
    "  {\"at_ms\": 4, \"do\": \"submit\", \"node\": 3, \"command\": \"hello\"},"
    "  {\"at_ms\": 5, \"do\": \"kv\", \"client\": 1, \"op\": \"cas\", \"key\": \"k\","
    "   \"value\": \"v\", \"from\": \"\"},"
    "  {\"at_ms\": 5, \"do\": \"kv\", \"client\": 2, \"op\": \"get\", \"key\": \"k\"},"
    "  {\"at_ms\": 5, \"do\": \"kv\", \"client\": 3, \"op\": \"append\", \"key\": \"k\","
    "   \"value\": \"w\"},"
    "  {\"at_ms\": 6, \"do\": \"heal\"},"
    "  {\"at_ms\": 7, \"do\": \"restart\", \"node\": \"crashed\"},"
    "  {\"at_ms\": 8, \"within_ms\": 0.001, \"expect\": {\"kv\": {\"key\": \"k\", \"value\": null},"
    "   \"role\": {\"node\": \"leader\", \"is\": \"candidate\"}, \"logs_match\": true,"
    "   \"on\": [1, \"leader\"], \"committed_at_most\": 9, \"committed_at_least\": 2,"
    "   \"term_at_least\": 1, \"term_at_most\": 5, \"leader_not\": 3, \"leader\": 2}},"
    "  {\"at_ms\": 9, \"expect\": {\"kv\": {\"key\": \"k\", \"value\": \"w\"}}}]}";

static void test_all_kinds(void **state) {
    (void)state;
    scenario s;
    load_ok(ALL_KINDS, &s);
    assert_int_equal(s.run_us, 5000250);
    assert_int_equal(s.delay.max_us, 2500);
    assert_true(s.drop_rate == 0.30000000000000004);
    const scn_event *e = s.events;
    assert_int_equal(e[0].at_us, 1500);
    assert_int_equal(e[0].n_groups, 3);
    assert_int_equal(e[0].group_len[1], 0);
    assert_int_equal(e[0].groups[0][0], SCN_REF_LEADER);
    assert_int_equal(e[0].groups[2][1], SCN_REF_CRASHED);
    assert_true(e[1].has_up && !e[1].up && e[1].has_drop_rate && e[1].has_delay);
    assert_int_equal(e[1].from, SCN_REF_FOLLOWER);
    assert_false(e[2].has_drop_rate || e[2].has_delay);
    assert_true(e[3].has_duplicate_rate && !e[3].has_delay && !e[3].has_drop_rate);
    assert_null(e[4].command);
    assert_int_equal(e[4].count, 10);
    assert_string_equal(e[5].command, "hello");
    assert_int_equal(e[6].kv_op, SCN_KV_CAS);
    assert_string_equal(e[6].from_value, "");
    assert_null(e[7].value);
    assert_int_equal(e[8].kv_op, SCN_KV_APPEND);
    assert_int_equal(e[11].within_us, 1);
    assert_int_equal(e[11].expect.n_on, 2);
    assert_int_equal(e[11].expect.role_is, SCN_ROLE_CANDIDATE);
    assert_null(e[11].expect.kv_value);
    assert_string_equal(e[12].expect.kv_value, "w");
    assert_round_trip(&s);
    scn_free(&s);
}

/* The switches of SPEC section 8, the transfer action and the leaders expectation: read,
 * written back, read again. */
static void test_switches(void **state) {
    (void)state;
    scenario s;
    load_ok("{\"implementation\": \"canonical\", \"cluster\": {\"prevote\": true, "
            "\"check_quorum\": true, \"snapshot\": {\"every\": 7}}, \"events\": [{\"at_ms\": "
            "1, \"expect\": {\"leaders\": 0}}, {\"at_ms\": 2, \"do\": \"transfer\", \"to\": "
            "\"follower\", \"optional\": true}]}",
            &s);
    assert_true(s.prevote && s.check_quorum);
    assert_int_equal(s.snapshot_every, 7);
    assert_int_equal(s.snapshot_trailing, 0);
    assert_true(s.events[0].expect.has_leaders);
    assert_int_equal(s.events[0].expect.leaders, 0);
    assert_int_equal(s.events[1].kind, SCN_DO_TRANSFER);
    assert_int_equal(s.events[1].to, SCN_REF_FOLLOWER);
    assert_true(s.events[1].optional);
    char *text = scn_to_json(&s);
    assert_non_null(strstr(text, "\"snapshot\":{\"every\":7,\"trailing\":0}"));
    assert_non_null(strstr(text, "\"check_quorum\":true"));
    assert_non_null(strstr(text, "\"leaders\":0"));
    assert_non_null(strstr(text, "\"do\":\"transfer\",\"to\":\"follower\""));
    free(text);
    assert_round_trip(&s);
    scn_free(&s);
}

/* Bare terms get "<index>:<term>"; an object whose cmd has that form is written back bare. */
static void test_initial_log(void **state) {
    (void)state;
    scenario s;
    load_ok(ALL_KINDS, &s);
    const scn_initial *in = &s.initial[0];
    assert_string_equal(in->log[0].cmd, "1:1");
    assert_string_equal(in->log[1].cmd, "x");
    assert_string_equal(in->log[2].cmd, "3:4");
    assert_int_equal(s.initial[1].term, 0);
    assert_int_equal(s.initial[1].voted_for, 0);
    assert_int_equal(s.initial[1].n_log, 0);
    char *text = scn_to_json(&s);
    assert_non_null(strstr(text, "\"log\":[1,{\"term\":2,\"cmd\":\"x\"},4]"));
    free(text);
    scn_free(&s);
}

static void test_times(void **state) {
    (void)state;
    scenario s;
    load_ok("{\"run_ms\": 1.0006, \"network\": {\"delay_ms\": [0.0004, 0.0006]}, \"events\": []}",
            &s);
    assert_int_equal(s.run_us, 1001);
    assert_int_equal(s.delay.min_us, 0);
    assert_int_equal(s.delay.max_us, 1);
    char *text = scn_to_json(&s);
    assert_non_null(strstr(text, "\"run_ms\":1.001"));
    assert_non_null(strstr(text, "\"delay_ms\":[0,0.001]"));
    free(text);
    assert_round_trip(&s);
    scn_free(&s);
    load_ok("{\"run_ms\": 1000000000, \"events\": [{\"at_ms\": 1e9, \"do\": \"heal\"}]}", &s);
    assert_int_equal(s.run_us, 1000000000000ull);
    assert_round_trip(&s);
    scn_free(&s);
}

static void test_large_seed(void **state) {
    (void)state;
    scenario s;
    load_ok("{\"seed\": 9007199254740991, \"events\": []}", &s);
    assert_int_equal(s.seed, 9007199254740991ull);
    char *text = scn_to_json(&s);
    assert_non_null(strstr(text, "\"seed\":9007199254740991,"));
    free(text);
    scn_free(&s);
    expect_error("{\"seed\": 9007199254740992, \"events\": []}",
                 "t.json: seed: expected an integer below 2^53 (larger ones do not survive "
                 "JSON)");
}

static void test_copy(void **state) {
    (void)state;
    scenario s, copy;
    load_ok(ALL_KINDS, &s);
    scn_copy(&copy, &s);
    assert_true(scn_equal(&s, &copy));
    assert_ptr_not_equal(copy.events, s.events);
    assert_ptr_not_equal(copy.events[0].groups[0], s.events[0].groups[0]);
    scn_free(&s); /* the copy must not share anything with the original */
    assert_round_trip(&copy);
    scn_free(&copy);
}

static void test_free_zeroed(void **state) {
    (void)state;
    scenario s;
    memset(&s, 0, sizeof s);
    scn_free(&s);
    load_ok(SPEC_EXAMPLE, &s);
    scn_free(&s);
    assert_null(s.events);
    scn_free(&s); /* a freed scenario is zeroed, so freeing it again is harmless */
}

static void test_kind_names(void **state) {
    (void)state;
    static const char *const names[SCN_KIND_COUNT] = {"crash",     "restart", "pause", "resume",
                                                      "partition", "heal",    "link",  "network",
                                                      "submit",    "kv",      "transfer", "fail_writes",
                                                      "disk",      "add",     "remove",   "expect"};
    for (int k = 0; k < SCN_KIND_COUNT; k++) {
        assert_string_equal(scn_kind_name((scn_kind)k), names[k]);
    }
}

static void test_prefix_and_origin(void **state) {
    (void)state;
    scenario s;
    char err[ERR_CAP];
    cJSON *root = cJSON_Parse("{\"events\": [{\"at_ms\": -1, \"do\": \"heal\"}]}");
    assert_int_equal(scn_load_json(root, "t.jsonl: header", "scenario.", NULL, &s, err, sizeof err),
                     -1);
    assert_string_equal(
        err, "t.jsonl: header: scenario.events[0].at_ms: expected a non-negative number");
    cJSON_Delete(root);
    root = cJSON_Parse("[1]");
    assert_int_equal(scn_load_json(root, "t.jsonl: header", "scenario.", NULL, &s, err, sizeof err),
                     -1);
    assert_string_equal(err, "t.jsonl: header: scenario: expected an object");
    cJSON_Delete(root);
}

static void test_small_error_buffer(void **state) {
    (void)state;
    scenario s;
    char err[8];
    cJSON *root = cJSON_Parse("{\"events\": 3}");
    assert_int_equal(scn_load_json(root, "t.json", "", NULL, &s, err, sizeof err), -1);
    assert_string_equal(err, "t.json:"); /* cut, but always terminated */
    assert_int_equal(scn_load_json(root, "t.json", "", NULL, &s, NULL, 0), -1);
    cJSON_Delete(root);
}

/* Builds {"events": [], "description": [[[...]]]} nested depth arrays deep. */
static char *nested(int depth) {
    size_t len = (size_t)depth * 2 + 64;
    char *text = malloc(len);
    assert_non_null(text);
    int n = snprintf(text, len, "{\"events\": [], \"description\": ");
    for (int i = 0; i < depth; i++) text[n++] = '[';
    for (int i = 0; i < depth; i++) text[n++] = ']';
    text[n++] = '}';
    text[n] = '\0';
    return text;
}

static void test_depth(void **state) {
    (void)state;
    char *ok_depth = nested(63); /* 63 arrays under the top-level object: 64 levels */
    expect_error(ok_depth, "t.json: description: expected a string");
    free(ok_depth);
    char *deep = nested(64);
    scenario s;
    char err[ERR_CAP];
    assert_int_equal(load_str(deep, &s, err), -1);
    assert_non_null(strstr(err, "t.json: description[0][0]"));
    assert_non_null(strstr(err, "[0]: nested deeper than 64 levels"));
    free(deep);
}

/* ---- Files ---- */

static char tmp_dir[64];

static char *write_tmp(const char *name, const char *content, size_t len) {
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", tmp_dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(content, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

static void expect_file_error(const char *name, const char *content, size_t len,
                              const char *message_after_path) {
    char *path = write_tmp(name, content, len);
    char want[256], err[ERR_CAP];
    snprintf(want, sizeof want, "%s: %s", path, message_after_path);
    scenario s;
    assert_int_equal(scn_load_file(path, &s, err, sizeof err), -1);
    assert_string_equal(err, want);
    assert_null(s.events);
    remove(path);
}

static void test_load_file(void **state) {
    (void)state;
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/test_scenario.XXXXXX");
    assert_non_null(mkdtemp(tmp_dir));
    scenario s;
    char err[ERR_CAP];
    const char *text = "{\"events\": []}";
    char *path = write_tmp("leader-crash.json", text, strlen(text));
    assert_int_equal(scn_load_file(path, &s, err, sizeof err), 0);
    assert_string_equal(s.name, "leader-crash");
    scn_free(&s);
    remove(path);
    text = "{\"name\": \"given\", \"events\": []}";
    path = write_tmp("other.json", text, strlen(text));
    assert_int_equal(scn_load_file(path, &s, err, sizeof err), 0);
    assert_string_equal(s.name, "given");
    scn_free(&s);
    remove(path);
    expect_file_error("empty.json", "", 0, "empty file");
    expect_file_error("blank.json", " \n\t\n", 4, "empty file");
    expect_file_error("bad.json", "{\"events\": }", 12,
                      "not valid JSON near byte 12 (line 1, column 12)");
    text = "{\n  \"events\": [\n  ]\n,\n}"; /* a comma with no member after it */
    expect_file_error("lines.json", text, strlen(text),
                      "not valid JSON near byte 23 (line 5, column 1)");
    expect_file_error("trailing.json", "{\"events\": []} x", 16,
                      "not valid JSON near byte 16 (line 1, column 16)");
    expect_file_error("nul.json", "{\"events\": []}\0x", 16,
                      "not valid JSON near byte 15 (line 1, column 15): a NUL byte");
    expect_file_error("x.json", "{\"events\": [], \"run_ms\": -5}", 28,
                      "run_ms: expected a non-negative number");
    char missing[128];
    snprintf(missing, sizeof missing, "%s/missing.json", tmp_dir);
    assert_int_equal(scn_load_file(missing, &s, err, sizeof err), -1);
    char want[256];
    snprintf(want, sizeof want, "%s: cannot read: No such file or directory", missing);
    assert_string_equal(err, want);
    assert_int_equal(scn_load_file(tmp_dir, &s, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: cannot read: Is a directory", tmp_dir);
    assert_string_equal(err, want);
    assert_int_equal(rmdir(tmp_dir), 0);
}

/* ---- Bad input: exact messages ---- */

typedef struct {
    const char *json;
    const char *message;
} bad_case;

#define EV(body) "{\"events\": [" body "]}"

static const bad_case BAD[] = {
    {"[1, 2]", "t.json: expected a JSON object at the top level"},
    {"{}", "t.json: events: missing required field"},
    {"{\"events\": {}}", "t.json: events: expected an array"},
    {"{\"events\": [], \"evnets\": []}",
     "t.json: evnets: unknown field (did you mean \"events\"?)"},
    {"{\"events\": [], \"colour\": 1}", "t.json: colour: unknown field"},
    {"{\"events\": [], \"seed\": 1, \"seed\": 2}", "t.json: seed: duplicate field"},
    {"{\"events\": [], \"seed\": 1.5}", "t.json: seed: expected a non-negative integer"},
    {"{\"events\": [], \"seed\": \"7\"}", "t.json: seed: expected a non-negative integer"},
    {"{\"events\": [], \"name\": 3}", "t.json: name: expected a string"},
    {"{\"events\": [], \"cluster\": {\"nodes\": 0}}",
     "t.json: cluster.nodes: expected an integer in 1..255"},
    {"{\"events\": [], \"cluster\": {\"nodes\": 256}}",
     "t.json: cluster.nodes: expected an integer in 1..255"},
    {"{\"events\": [], \"cluster\": []}", "t.json: cluster: expected an object"},
    {"{\"events\": [], \"cluster\": {\"heartbeat_ms\": 150}}",
     "t.json: cluster.heartbeat_ms: must be below election_timeout_ms min (150), or followers "
     "time out between heartbeats"},
    {"{\"events\": [], \"cluster\": {\"election_timeout_ms\": [40, 80]}}",
     "t.json: cluster.election_timeout_ms: min (40) must be above heartbeat_ms (50, the "
     "default)"},
    {"{\"events\": [], \"cluster\": {\"election_timeout_ms\": [0, 80], \"heartbeat_ms\": 0}}",
     "t.json: cluster.election_timeout_ms: min must be above 0: a zero election timeout would "
     "fire again and again without time passing"},
    {"{\"events\": [], \"cluster\": {\"heartbeat_ms\": 0}}",
     "t.json: cluster.heartbeat_ms: must be above 0: a zero heartbeat would repeat without time "
     "passing"},
    {"{\"events\": [], \"cluster\": {\"election_timeout_ms\": [300, 150.5]}}",
     "t.json: cluster.election_timeout_ms: min must not exceed max (300 > 150.5)"},
    {"{\"events\": [], \"cluster\": {\"election_timeout_ms\": [300, -1]}}",
     "t.json: cluster.election_timeout_ms[1]: expected a non-negative number"},
    {"{\"events\": [], \"cluster\": {\"election_timeout_ms\": [300]}}",
     "t.json: cluster.election_timeout_ms: expected [min, max] in ms"},
    {"{\"events\": [], \"network\": {\"drop_rate\": 1.5}}",
     "t.json: network.drop_rate: expected a number in 0..1"},
    {"{\"events\": [], \"network\": {\"duplicate_rate\": true}}",
     "t.json: network.duplicate_rate: expected a number in 0..1"},
    {"{\"events\": [], \"run_ms\": 1e10}",
     "t.json: run_ms: 10000000000 ms is longer than the longest run (1000000000 ms)"},
    {"{\"events\": [], \"run_ms\": 1e400}", "t.json: run_ms: expected a non-negative number"},
    {EV("{\"at_ms\": -1, \"do\": \"heal\"}"),
     "t.json: events[0].at_ms: expected a non-negative number"},
    {EV("{\"do\": \"heal\"}"), "t.json: events[0].at_ms: missing required field"},
    {EV("3"), "t.json: events[0]: expected an object"},
    {EV("{\"at_ms\": 1, \"do\": \"heal\"}, {\"att_ms\": 1, \"do\": \"heal\"}"),
     "t.json: events[1].att_ms: unknown field (did you mean \"at_ms\"?)"},
    {EV("{\"at_ms\": 1}"), "t.json: events[0]: an event needs either \"do\" or \"expect\""},
    {EV("{\"at_ms\": 1, \"do\": \"heal\", \"expect\": {\"leader\": \"any\"}}"),
     "t.json: events[0]: an event needs either \"do\" or \"expect\", not both"},
    {EV("{\"at_ms\": 20000, \"do\": \"heal\"}"),
     "t.json: events[0].at_ms: 20000 exceeds run_ms (10000)"},
    {EV("{\"at_ms\": 2000, \"expect\": {\"leader\": \"any\"}, \"within_ms\": 9000}"),
     "t.json: events[0].within_ms: at_ms + within_ms exceeds run_ms (10000): 2000 + 9000"},
    {EV("{\"at_ms\": 1, \"do\": \"heal\", \"within_ms\": 5}"),
     "t.json: events[0].within_ms: only \"expect\" events take within_ms"},
    {EV("{\"at_ms\": 1, \"do\": \"crsh\", \"node\": 1}"),
     "t.json: events[0].do: unknown action \"crsh\" (did you mean \"crash\"?); expected one of "
     "crash, restart, pause, resume, partition, heal, link, network, submit, kv"},
    {EV("{\"at_ms\": 1, \"do\": \"expect\"}"),
     "t.json: events[0].do: \"expect\" is not an action: write {\"at_ms\": ..., \"expect\": "
     "{...}} without \"do\""},
    {EV("{\"at_ms\": 1, \"do\": \"heal\", \"node\": 1}"),
     "t.json: events[0].node: not a field of a \"heal\" event"},
    {EV("{\"at_ms\": 1, \"expect\": {\"leader\": \"any\"}, \"node\": 1}"),
     "t.json: events[0].node: not a field of an \"expect\" event"},
    {EV("{\"at_ms\": 1, \"do\": \"crash\", \"node\": 6}"),
     "t.json: events[0].node: node 6 out of range 1..5"},
    {EV("{\"at_ms\": 1, \"do\": \"crash\", \"node\": 1.5}"),
     "t.json: events[0].node: expected a node id in 1..5"},
    {EV("{\"at_ms\": 1, \"do\": \"crash\", \"node\": \"leadr\"}"),
     "t.json: events[0].node: expected a node id (1..5) or \"leader\", \"follower\" or "
     "\"crashed\", not \"leadr\""},
    {EV("{\"at_ms\": 1, \"do\": \"restart\"}"), "t.json: events[0].node: missing required field"},
    {EV("{\"at_ms\": 1, \"do\": \"partition\", \"groups\": []}"),
     "t.json: events[0].groups: expected at least one group"},
    {EV("{\"at_ms\": 1, \"do\": \"partition\", \"groups\": [[1, 2], [3, 2]]}"),
     "t.json: events[0].groups[1][1]: node 2 appears in more than one group (also in "
     "groups[0])"},
    {EV("{\"at_ms\": 1, \"do\": \"partition\", \"groups\": [[1, \"leader\", 1]]}"),
     "t.json: events[0].groups[0][2]: node 1 appears twice in the same list"},
    {EV("{\"at_ms\": 1, \"do\": \"partition\", \"groups\": [[1, 9]]}"),
     "t.json: events[0].groups[0][1]: node 9 out of range 1..5"},
    {EV("{\"at_ms\": 1, \"do\": \"link\", \"from\": 1, \"to\": 1, \"up\": false}"),
     "t.json: events[0].to: a link joins two different nodes, but from and to are the same"},
    {EV("{\"at_ms\": 1, \"do\": \"link\", \"from\": 1, \"to\": 2}"),
     "t.json: events[0]: a link event needs at least one of \"drop_rate\", \"delay_ms\", "
     "\"up\""},
    {EV("{\"at_ms\": 1, \"do\": \"link\", \"from\": 1, \"to\": 2, \"up\": 1}"),
     "t.json: events[0].up: expected true or false"},
    {EV("{\"at_ms\": 1, \"do\": \"network\"}"),
     "t.json: events[0]: a network event needs at least one of \"delay_ms\", \"drop_rate\", "
     "\"duplicate_rate\""},
    {EV("{\"at_ms\": 1, \"do\": \"submit\", \"node\": 1, \"command\": \"a\", \"count\": 2}"),
     "t.json: events[0]: a submit takes either \"command\" or \"count\", not both"},
    {EV("{\"at_ms\": 1, \"do\": \"submit\", \"node\": 1}"),
     "t.json: events[0]: a submit needs \"command\" (a string) or \"count\" (how many commands "
     "to generate)"},
    {EV("{\"at_ms\": 1, \"do\": \"submit\", \"node\": 1, \"command\": \"\"}"),
     "t.json: events[0].command: expected a string of 1..256 bytes, got 0"},
    {EV("{\"at_ms\": 1, \"do\": \"submit\", \"node\": 1, \"count\": 0}"),
     "t.json: events[0].count: expected an integer in 1..1000000"},
    {EV("{\"at_ms\": 1, \"do\": \"kv\", \"client\": 1, \"op\": \"del\", \"key\": \"k\"}"),
     "t.json: events[0].op: expected one of \"put\", \"get\", \"append\", \"cas\""},
    {EV("{\"at_ms\": 1, \"do\": \"kv\", \"client\": 1, \"op\": \"get\", \"key\": \"k\","
        " \"value\": \"v\"}"),
     "t.json: events[0].value: a get takes no value"},
    {EV("{\"at_ms\": 1, \"do\": \"kv\", \"client\": 1, \"op\": \"put\", \"key\": \"k\"}"),
     "t.json: events[0].value: missing required field"},
    {EV("{\"at_ms\": 1, \"do\": \"kv\", \"client\": 1, \"op\": \"put\", \"key\": \"k\","
        " \"value\": \"v\", \"from\": \"x\"}"),
     "t.json: events[0].from: only a cas takes \"from\" (the expected old value)"},
    {EV("{\"at_ms\": 1, \"do\": \"kv\", \"client\": 1, \"op\": \"cas\", \"key\": \"k\","
        " \"value\": \"v\"}"),
     "t.json: events[0].from: missing required field"},
    {EV("{\"at_ms\": 1, \"do\": \"kv\", \"client\": 0, \"op\": \"get\", \"key\": \"k\"}"),
     "t.json: events[0].client: expected an integer in 1..65535"},
    {EV("{\"at_ms\": 1, \"expect\": {}}"),
     "t.json: events[0].expect: expected at least one condition (leader, leader_not, "
     "term_at_most, term_at_least, committed_at_least, committed_at_most, logs_match, role, "
     "kv, applied_cmd, leaders, members)"},
    {EV("{\"at_ms\": 1, \"expect\": {\"leader\": \"some\"}}"),
     "t.json: events[0].expect.leader: expected a node id (1..5), \"any\" or \"none\""},
    {EV("{\"at_ms\": 1, \"expect\": {\"leader_not\": \"leader\"}}"),
     "t.json: events[0].expect.leader_not: expected a node id in 1..5"},
    {EV("{\"at_ms\": 1, \"expect\": {\"on\": [1], \"leader\": \"any\"}}"),
     "t.json: events[0].expect.on: only allowed together with committed_at_least, "
     "committed_at_most or applied_cmd"},
    {EV("{\"at_ms\": 1, \"expect\": {\"committed_at_least\": 1, \"on\": []}}"),
     "t.json: events[0].expect.on: expected at least 1 node reference"},
    {EV("{\"at_ms\": 1, \"expect\": {\"logs_match\": false}}"),
     "t.json: events[0].expect.logs_match: expected true (the only value logs_match takes)"},
    {EV("{\"at_ms\": 1, \"expect\": {\"role\": {\"node\": 1, \"is\": \"boss\"}}}"),
     "t.json: events[0].expect.role.is: expected one of \"follower\", \"candidate\", "
     "\"leader\""},
    {EV("{\"at_ms\": 1, \"expect\": {\"kv\": {\"key\": \"k\"}}}"),
     "t.json: events[0].expect.kv.value: missing required field"},
    {EV("{\"at_ms\": 1, \"expect\": {\"term_at_least\": 5, \"term_at_most\": 3}}"),
     "t.json: events[0].expect.term_at_least: 5 exceeds term_at_most (3): no value can "
     "satisfy both"},
    {EV("{\"at_ms\": 1, \"expect\": {\"leadr\": \"any\"}}"),
     "t.json: events[0].expect.leadr: unknown field (did you mean \"leader\"?)"},
    {"{\"events\": [], \"initial\": [{\"term\": 1}]}",
     "t.json: initial[0].node: missing required field"},
    {"{\"events\": [], \"initial\": [{\"node\": 1}, {\"node\": 1}]}",
     "t.json: initial[1].node: node 1 already appears in initial[0]"},
    {"{\"events\": [], \"initial\": [{\"node\": 1, \"term\": 3, \"log\": [1, 3, 2]}]}",
     "t.json: initial[0].log[2]: entry term 2 is below the previous entry's term 3 (terms never "
     "decrease along a log)"},
    {"{\"events\": [], \"initial\": [{\"node\": 1, \"term\": 3, \"log\": [1, 2, 3, "
     "{\"term\": 4, \"cmd\": \"x\"}]}]}",
     "t.json: initial[0].log[3].term: entry term 4 exceeds the node's term 3"},
    {"{\"events\": [], \"initial\": [{\"node\": 1, \"term\": 3, \"log\": [{\"term\": 2}]}]}",
     "t.json: initial[0].log[0].cmd: missing required field"},
    {"{\"events\": [], \"initial\": [{\"node\": 1, \"log\": [\"1\"]}]}",
     "t.json: initial[0].log[0]: expected a term number or {\"term\": t, \"cmd\": \"...\"}"},
    {"{\"events\": [], \"initial\": [{\"node\": 1, \"voted_for\": 7}]}",
     "t.json: initial[0].voted_for: node 7 out of range 1..5"},
    {"{\"events\": [], \"initial\": [{\"node\": 1, \"log\": [{\"term\": 0, \"cmd\": \"a\","
     " \"cmd\": \"b\"}]}]}",
     "t.json: initial[0].log[0].cmd: duplicate field"},
};

static void test_bad_inputs(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        expect_error(BAD[i].json, BAD[i].message);
    }
}

/* Node ids are checked against the cluster size even when "cluster" comes last in the file. */
static void test_field_order_independent(void **state) {
    (void)state;
    scenario s;
    load_ok("{\"events\": [{\"at_ms\": 9000, \"do\": \"crash\", \"node\": 8}],"
            " \"run_ms\": 9000, \"cluster\": {\"nodes\": 8}}",
            &s);
    assert_int_equal(s.events[0].node, 8);
    scn_free(&s);
}

/* Membership (SPEC section 8): add takes a new id above the cluster, once; any event may then
 * name it; remove takes a reference; members a list of ids. */
static void test_members_fields(void **state) {
    (void)state;
    scenario s;
    load_ok("{\"cluster\":{\"nodes\":3},\"events\":[{\"at_ms\":1,\"do\":\"add\",\"node\":5},"
            "{\"at_ms\":2,\"do\":\"partition\",\"groups\":[[5]]},"
            "{\"at_ms\":3,\"do\":\"remove\",\"node\":\"leader\"},"
            "{\"at_ms\":4,\"expect\":{\"members\":[1,5]}}]}",
            &s);
    assert_int_equal(s.nodes, 3);
    assert_int_equal(scn_id_space(&s), 5);
    assert_int_equal(s.events[0].kind, SCN_DO_ADD);
    assert_int_equal(s.events[0].node, 5);
    assert_int_equal(s.events[2].kind, SCN_DO_REMOVE);
    assert_true(s.events[3].expect.has_members);
    assert_int_equal(s.events[3].expect.members[0], (1u << 1) | (1u << 5));
    char *json = scn_to_json(&s);
    scenario back;
    load_ok(json, &back);
    assert_int_equal(scn_id_space(&back), 5);
    assert_int_equal(back.events[3].expect.members[0], s.events[3].expect.members[0]);
    free(json);
    scn_free(&back);
    scn_free(&s);
    expect_error("{\"cluster\":{\"nodes\":3},\"events\":[{\"at_ms\":1,\"do\":\"add\",\"node\":2}]}",
                 "t.json: events[0].node: node 2 is already in the cluster (nodes 1..3 start in "
                 "it); add takes a new id");
    expect_error("{\"cluster\":{\"nodes\":3},\"events\":[{\"at_ms\":1,\"do\":\"add\",\"node\":4},"
                 "{\"at_ms\":2,\"do\":\"add\",\"node\":4}]}",
                 "t.json: events[1].node: node 4 is added twice (add takes a new id)");
    expect_error("{\"cluster\":{\"nodes\":3},\"events\":[{\"at_ms\":1,\"do\":\"remove\",\"node\":4}]}",
                 "t.json: events[0].node: node 4 out of range 1..3");
    expect_error("{\"cluster\":{\"nodes\":3},\"events\":[{\"at_ms\":1,\"do\":\"add\",\"node\":4},"
                 "{\"at_ms\":2,\"do\":\"crash\",\"node\":5}]}",
                 "t.json: events[1].node: node 5 out of range 1..4");
    expect_error("{\"cluster\":{\"nodes\":3},\"events\":[{\"at_ms\":1,\"do\":\"add\",\"node\":\"leader\"}]}",
                 "t.json: events[0].node: expected a new node id in 4..255 (add takes an id, not a "
                 "reference)");
    expect_error("{\"cluster\":{\"nodes\":3},\"events\":[{\"at_ms\":1,\"expect\":{\"members\":[1,1]}}]}",
                 "t.json: events[0].expect.members[1]: node 1 listed twice");
    expect_error("{\"cluster\":{\"nodes\":3},\"events\":[{\"at_ms\":1,\"expect\":{\"members\":[]}}]}",
                 "t.json: events[0].expect.members: expected a non-empty list of node ids (the "
                 "voters)");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_members_fields),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_default_name_null),
        cmocka_unit_test(test_to_json_exact),
        cmocka_unit_test(test_spec_example),
        cmocka_unit_test(test_refs),
        cmocka_unit_test(test_all_kinds),
        cmocka_unit_test(test_switches),
        cmocka_unit_test(test_initial_log),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_large_seed),
        cmocka_unit_test(test_copy),
        cmocka_unit_test(test_free_zeroed),
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_prefix_and_origin),
        cmocka_unit_test(test_small_error_buffer),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_field_order_independent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
