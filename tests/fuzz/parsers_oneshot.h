/* parsers_oneshot.h - one input through a parser and the checks every result must pass; shared
 * by the libFuzzer harnesses (tests/fuzz/fuzz_*.c), which abort on a complaint, and by
 * tests/test_parsers.c, which replays the corpus and the kept crash inputs under cmocka.
 *
 * Each pf_* function returns NULL when the parser behaved, or a sentence saying what went
 * wrong (in a static buffer, valid until the next call). "Behaved" means: no crash, no leak,
 * no undefined behaviour (the sanitizers' part), and a sane result: 0, or -1 with a message
 * that starts with the origin it was given. A scenario that loads must also survive the round
 * trip scn_to_json -> cJSON -> scn_load_json -> scn_to_json with the same text both times. */
#ifndef RAFTSIM_PARSERS_ONESHOT_H
#define RAFTSIM_PARSERS_ONESHOT_H

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/scenario/scenario.h"
#include "sim/trace/tracefile.h"

#define PF_ERR_CAP 1024

static char pf_why[2048];

/* rc must be 0, or -1 with a message "ORIGIN: ...". */
static inline const char *pf_sane(const char *parser, const char *origin, int rc,
                                  const char *err) {
    size_t n = strlen(origin);
    if (rc == 0) return NULL;
    if (rc != -1) {
        snprintf(pf_why, sizeof pf_why, "%s returned %d, neither 0 nor -1", parser, rc);
        return pf_why;
    }
    if (strncmp(err, origin, n) != 0 || strncmp(err + n, ": ", 2) != 0 || err[n + 2] == '\0') {
        snprintf(pf_why, sizeof pf_why, "%s failed with a message that does not start with "
                 "\"%.300s: \" and say why: \"%.900s\"", parser, origin, err);
        return pf_why;
    }
    return NULL;
}

/* A loaded scenario written back, read again and written again gives the same text. */
static inline const char *pf_roundtrip(const scenario *s) {
    char *j1 = scn_to_json(s);
    cJSON *root = cJSON_Parse(j1);
    if (root == NULL) {
        snprintf(pf_why, sizeof pf_why, "cJSON cannot parse what scn_to_json wrote: %.600s", j1);
        free(j1);
        return pf_why;
    }
    scenario s2;
    char err[PF_ERR_CAP];
    int rc = scn_load_json(root, "roundtrip", "", NULL, &s2, err, sizeof err);
    cJSON_Delete(root);
    if (rc != 0) {
        snprintf(pf_why, sizeof pf_why,
                 "the loader refuses what scn_to_json wrote (%.600s): %.600s", err, j1);
        free(j1);
        return pf_why;
    }
    char *j2 = scn_to_json(&s2);
    scn_free(&s2);
    const char *why = NULL;
    if (strcmp(j1, j2) != 0) {
        snprintf(pf_why, sizeof pf_why, "the round trip changed the text:\n  %.500s\n  %.500s",
                 j1, j2);
        why = pf_why;
    }
    free(j1);
    free(j2);
    return why;
}

/* A failed load must leave the scenario empty, as scenario.h promises. */
static inline const char *pf_scenario_result(const char *parser, const char *origin, int rc,
                                             const char *err, scenario *s) {
    const char *why = pf_sane(parser, origin, rc, err);
    if (why == NULL && rc == 0) why = pf_roundtrip(s);
    if (why == NULL && rc != 0 && (s->events != NULL || s->name != NULL || s->n_events != 0)) {
        snprintf(pf_why, sizeof pf_why, "%s failed but left the scenario holding data", parser);
        why = pf_why;
    }
    scn_free(s);
    return why;
}

/* The scenario file loader, on a file. */
static inline const char *pf_scenario_file(const char *path) {
    scenario s;
    char err[PF_ERR_CAP] = "";
    int rc = scn_load_file(path, &s, err, sizeof err);
    return pf_scenario_result("scn_load_file", path, rc, err, &s);
}

/* cJSON and scn_load_json on bytes, both as a scenario file's root ("" prefix) and as a trace
 * header's "scenario" member ("scenario." prefix). */
static inline const char *pf_scenario_bytes(const char *origin, const uint8_t *data,
                                            size_t size) {
    cJSON *root = cJSON_ParseWithLength((const char *)data, size);
    if (root == NULL) return NULL; /* cJSON's own verdict: nothing of ours ran */
    const char *why = NULL;
    static const char *const prefixes[] = {"", "scenario."};
    for (size_t i = 0; i < 2 && why == NULL; i++) {
        scenario s;
        char err[PF_ERR_CAP] = "";
        int rc = scn_load_json(root, origin, prefixes[i], "fuzz", &s, err, sizeof err);
        why = pf_scenario_result("scn_load_json", origin, rc, err, &s);
    }
    cJSON_Delete(root);
    return why;
}

/* After a good load: the checker over the events, as `raftsim check` runs it. It prints its
 * verdict (0 clean, 1 violation or hash mismatch, 2 malformed event line) on stdout and
 * stderr, which the harnesses close (-close_fd_mask=3) and the unit test redirects. */
static inline const char *pf_check(const tracefile *tf) {
    int rc = tracefile_check_loaded(tf, 1);
    if (rc < 0 || rc > 2) {
        snprintf(pf_why, sizeof pf_why, "tracefile_check_loaded returned %d, not 0, 1 or 2", rc);
        return pf_why;
    }
    return NULL;
}

static inline const char *pf_trace_result(const char *parser, const char *origin, int rc,
                                          const char *err, tracefile *tf) {
    const char *why = pf_sane(parser, origin, rc, err);
    if (why == NULL && rc == 0) why = pf_check(tf);
    tracefile_free(tf);
    return why;
}

/* The trace reader on bytes: tracefile_parse takes a malloc'd copy. */
static inline const char *pf_trace_bytes(const char *origin, const uint8_t *data,
                                         size_t size) {
    char *copy = NULL;
    if (size > 0) {
        copy = malloc(size);
        if (copy == NULL) abort();
        memcpy(copy, data, size);
    }
    tracefile tf;
    char err[PF_ERR_CAP] = "";
    int rc = tracefile_parse(origin, copy, size, &tf, err, sizeof err);
    return pf_trace_result("tracefile_parse", origin, rc, err, &tf);
}

/* The trace reader on a file, as `raftsim check` reads it. */
static inline const char *pf_trace_file(const char *path) {
    tracefile tf;
    char err[PF_ERR_CAP] = "";
    int rc = tracefile_load(path, &tf, err, sizeof err);
    return pf_trace_result("tracefile_load", path, rc, err, &tf);
}

#endif
