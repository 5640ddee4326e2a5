/* test_parsers.c - replays the fuzz corpus (tests/fuzz/corpus/) and every kept fuzz finding
 * (tests/fuzz/crashes/) through both input parsers, the scenario loader and the trace reader,
 * with the checks of the libFuzzer harnesses (tests/fuzz/parsers_oneshot.h); and unit tests of
 * tracefile_parse and of the loaders' answers to hostile input. Run from the repository root
 * (as `make unit` does), or set RAFTSIM_ROOT. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* dup, fileno, mkdtemp; the Makefile may already define it */
#endif

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/fuzz/parsers_oneshot.h"
#include "sim/scenario/scenario.h"
#include "sim/trace/tracefile.h"

#define PATH_CAP 4096

static const char *root(void) {
    const char *r = getenv("RAFTSIM_ROOT");
    return r != NULL && r[0] != '\0' ? r : ".";
}

/* The whole file, NUL-terminated; *size excludes the NUL. */
static char *slurp(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t cap = 4096, n = 0, got;
    char *buf = malloc(cap);
    assert_non_null(buf);
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    assert_int_equal(ferror(f), 0);
    fclose(f);
    buf[n] = '\0';
    *size = n;
    return buf;
}

/* The checker prints a verdict per trace on stdout: keep it out of the test's report. stderr
 * stays, so that a sanitizer's report is seen. */
static int quiet_stdout(void) {
    fflush(stdout);
    int saved = dup(1);
    int null = open("/dev/null", O_WRONLY);
    assert_true(saved >= 0 && null >= 0);
    dup2(null, 1);
    close(null);
    return saved;
}

static void restore_stdout(int saved) {
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
}

/* Every parser on one file: as a file and as bytes, as a scenario and as a trace. */
static void replay_file(const char *path) {
    size_t size = 0;
    char *bytes = slurp(path, &size);
    const char *why[4];
    int saved = quiet_stdout();
    why[0] = pf_scenario_file(path);
    if (why[0] == NULL) why[1] = pf_scenario_bytes(path, (const uint8_t *)bytes, size);
    why[2] = pf_trace_file(path);
    if (why[2] == NULL) why[3] = pf_trace_bytes(path, (const uint8_t *)bytes, size);
    restore_stdout(saved);
    free(bytes);
    for (int i = 0; i < 4; i++) {
        if (i % 2 == 1 && why[i - 1] != NULL) continue;
        if (why[i] != NULL) fail_msg("%s: %s", path, why[i]);
    }
}

/* Replays every regular file of ROOT/dir; returns how many there were. */
static size_t replay_dir(const char *dir) {
    char path[PATH_CAP];
    snprintf(path, sizeof path, "%s/%s", root(), dir);
    DIR *d = opendir(path);
    if (d == NULL)
        fail_msg("%s: cannot open (run from the repository root or set RAFTSIM_ROOT)", path);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        snprintf(path, sizeof path, "%s/%s/%s", root(), dir, e->d_name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
        replay_file(path);
        n++;
    }
    closedir(d);
    return n;
}

static void test_corpus_scenario(void **state) {
    (void)state;
    assert_true(replay_dir("tests/fuzz/corpus/scenario") >= 20);
}

static void test_corpus_trace(void **state) {
    (void)state;
    assert_true(replay_dir("tests/fuzz/corpus/trace") >= 4);
}

/* Findings of `make fuzz-parsers`, kept after their fix; the directory may hold none. */
static void test_crashes(void **state) {
    (void)state;
    replay_dir("tests/fuzz/crashes");
}

/* ---- tracefile_parse ---------------------------------------------------------------------- */

static char *dup_text(const char *s) {
    char *p = malloc(strlen(s) + 1);
    assert_non_null(p);
    memcpy(p, s, strlen(s) + 1);
    return p;
}

/* From memory, a trace reads exactly as tracefile_load reads the same file. */
static void test_parse_matches_load(void **state) {
    (void)state;
    char path[PATH_CAP];
    snprintf(path, sizeof path, "%s/tests/fuzz/corpus/trace/pass-one-node.jsonl", root());
    size_t size = 0;
    char *bytes = slurp(path, &size);
    tracefile a, b;
    char err[256] = "";
    assert_int_equal(tracefile_load(path, &a, err, sizeof err), 0);
    assert_int_equal(tracefile_parse("mem", bytes, size, &b, err, sizeof err), 0);
    assert_string_equal(b.path, "mem");
    assert_int_equal(a.size, b.size);
    assert_int_equal(a.n_events, b.n_events);
    assert_true(a.n_events > 0);
    assert_memory_equal(a.off, b.off, a.n_events * sizeof *a.off);
    assert_memory_equal(a.len, b.len, a.n_events * sizeof *a.len);
    assert_int_equal(a.has_end, 1);
    assert_int_equal(b.has_end, 1);
    assert_int_equal(a.end_hash, b.end_hash);
    assert_int_equal(a.seed, b.seed);
    char *ja = scn_to_json(&a.scn), *jb = scn_to_json(&b.scn);
    assert_string_equal(ja, jb);
    free(ja);
    free(jb);
    int saved = quiet_stdout();
    int rc = tracefile_check_loaded(&b, 0);
    restore_stdout(saved);
    assert_int_equal(rc, 0);
    tracefile_free(&a);
    tracefile_free(&b);
}

/* Errors name the origin; the buffer is owned (and freed by tracefile_free) in every case. */
static void test_parse_errors(void **state) {
    (void)state;
    static const struct {
        const char *text, *err;
    } cases[] = {
        {"", "m.jsonl: empty file, not a trace"},
        {"nope\n", "m.jsonl: line 1: not a JSON object (is this a raftsim trace?)"},
        {"{\"type\":\"header\",\"version\":1,\"tool\":\"other\"}\n",
         "m.jsonl: line 1: not a raftsim trace header"},
        {"{\"type\":\"header\",\"version\":2,\"tool\":\"raftsim\"}\n",
         "m.jsonl: line 1: version: trace format version 2 is not the one this build reads (1)"},
        {"{\"type\":\"header\",\"version\":1,\"tool\":\"raftsim\",\"seed\":1,\"bug\":null,"
         "\"scenario\":{\"events\":[]}}\n{\"seq\":0",
         "m.jsonl: line 2: truncated (no newline): the run that wrote it was cut off"},
        {"{\"type\":\"header\",\"version\":1,\"tool\":\"raftsim\",\"seed\":1,\"bug\":null,"
         "\"scenario\":{\"events\":[]}}\n{\"type\":\"end\",\"events\":0,\"hash\":\"xyz\"}\n",
         "m.jsonl: line 2: malformed end line"},
        {"{\"type\":\"header\",\"version\":1,\"tool\":\"raftsim\",\"seed\":1,\"bug\":null,"
         "\"scenario\":{\"events\":[]}}\n{\"type\":\"end\",\"events\":0,\"hash\":\"0\"}\nx\n",
         "m.jsonl: line 3: text after the end line"},
        {"{\"type\":\"header\",\"version\":1,\"tool\":\"raftsim\",\"seed\":1,\"bug\":null,"
         "\"scenario\":{\"name\":\"\xff\",\"events\":[]}}\n",
         "m.jsonl: line 1: scenario.name: not valid UTF-8 (byte 1 of the string)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tracefile tf;
        char err[256] = "";
        size_t n = strlen(cases[i].text);
        int rc = tracefile_parse("m.jsonl", n > 0 ? dup_text(cases[i].text) : NULL, n, &tf, err,
                                 sizeof err);
        assert_int_equal(rc, -1);
        assert_string_equal(err, cases[i].err);
        tracefile_free(&tf);
    }
    /* A NUL byte, which strlen-based test data cannot hold. */
    static const char with_nul[] = "{\"type\":\"header\"}\n{\"a\":\"\0\"}\n";
    char *p = malloc(sizeof with_nul - 1);
    assert_non_null(p);
    memcpy(p, with_nul, sizeof with_nul - 1);
    tracefile tf;
    char err[256] = "";
    assert_int_equal(tracefile_parse("m.jsonl", p, sizeof with_nul - 1, &tf, err, sizeof err), -1);
    assert_string_equal(err, "m.jsonl: line 2: a NUL byte (a trace is text)");
    tracefile_free(&tf);
}

/* A header-only trace (a run cut off before its first event) is accepted and checks clean. */
static void test_parse_header_only(void **state) {
    (void)state;
    const char *text = "{\"type\":\"header\",\"version\":1,\"tool\":\"raftsim\",\"seed\":3,"
                       "\"bug\":null,\"scenario\":{\"cluster\":{\"nodes\":2},\"events\":[]}}\n";
    tracefile tf;
    char err[256] = "";
    assert_int_equal(tracefile_parse("h.jsonl", dup_text(text), strlen(text), &tf, err, sizeof err),
                     0);
    assert_int_equal(tf.n_events, 0);
    assert_int_equal(tf.has_end, 0);
    assert_int_equal(tf.seed, 3);
    assert_int_equal(tf.scn.seed, 3);
    assert_int_equal(tf.scn.nodes, 2);
    assert_null(tf.bug);
    int saved = quiet_stdout();
    int rc = tracefile_check_loaded(&tf, 0);
    restore_stdout(saved);
    assert_int_equal(rc, 0);
    tracefile_free(&tf);
}

/* ---- the scenario file loader on hostile bytes -------------------------------------------- */

static char tmpdir[64];

/* Writes bytes to a file in a fresh directory and loads it; returns the loader's result. */
static int load_bytes(const char *bytes, size_t n, char *err, size_t cap) {
    if (tmpdir[0] == '\0') {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/test_parsers.XXXXXX");
        assert_non_null(mkdtemp(tmpdir));
    }
    char path[128];
    snprintf(path, sizeof path, "%s/x.json", tmpdir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
    scenario s;
    char msg[512];
    int rc = scn_load_file(path, &s, msg, sizeof msg);
    scn_free(&s);
    unlink(path);
    /* Report without the temporary directory: "x.json: ...". */
    const char *base = strstr(msg, "x.json");
    snprintf(err, cap, "%s", rc == 0 ? "" : base != NULL ? base : msg);
    return rc;
}

static void expect_refused(const char *bytes, size_t n, const char *message) {
    char err[512];
    assert_int_equal(load_bytes(bytes, n, err, sizeof err), -1);
    assert_string_equal(err, message);
}

#define REFUSED(lit, message) expect_refused(lit, sizeof lit - 1, message)

static void test_scenario_hostile_bytes(void **state) {
    (void)state;
    REFUSED("", "x.json: empty file");
    REFUSED(" \n\t", "x.json: empty file");
    REFUSED("{\"name\":\"a\0\",\"events\":[]}",
            "x.json: not valid JSON near byte 11 (line 1, column 11): a NUL byte");
    REFUSED("{\"name\":\"a\\u0000b\",\"events\":[]}",
            "x.json: \\u0000 in a string near byte 11 (line 1, column 11): raftsim strings "
            "cannot hold a NUL character");
    REFUSED("{\"events\":[]} 1", "x.json: not valid JSON near byte 15 (line 1, column 15)");
    REFUSED("{\"name\":\"\xc3\",\"events\":[]}", "x.json: name: not valid UTF-8 (byte 1 of the "
                                                 "string)");
    REFUSED("{\"name\":\"\xe0\x80\x80\",\"events\":[]}", "x.json: name: not valid UTF-8 (byte 1 "
                                                         "of the string)");
    REFUSED("{\"name\":\"ok \xf4\x90\x80\x80\",\"events\":[]}",
            "x.json: name: not valid UTF-8 (byte 4 of the string)");
    REFUSED("{\"events\":[{\"at_ms\":1e400,\"do\":\"heal\"}]}",
            "x.json: events[0].at_ms: expected a non-negative number");
    REFUSED("{\"seed\":1e400,\"events\":[]}",
            "x.json: seed: expected an integer below 2^53 (larger ones do not survive JSON)");
    REFUSED("{\"events\":[],\"n\xff\":1}", "x.json: n?: unknown field");
    /* An escaped backslash before u0000 is a literal backslash, not a NUL. */
    char err[512];
    static const char ok[] = "{\"name\":\"a\\\\u0000\xc3\xa9\xf0\x9f\x98\x80\",\"events\":[]}";
    assert_int_equal(load_bytes(ok, sizeof ok - 1, err, sizeof err), 0);
}

static void test_scenario_deep_nesting(void **state) {
    (void)state;
    size_t depth = 5000;
    char *text = malloc(2 * depth + 1);
    assert_non_null(text);
    memset(text, '[', depth);
    memset(text + depth, ']', depth);
    text[2 * depth] = '\0';
    char err[512];
    assert_int_equal(load_bytes(text, 2 * depth, err, sizeof err), -1);
    free(text);
    assert_non_null(strstr(err, ": nested deeper than 1000 levels"));
}

static int cleanup(void **state) {
    (void)state;
    if (tmpdir[0] != '\0') rmdir(tmpdir);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_scenario),
        cmocka_unit_test(test_corpus_trace),
        cmocka_unit_test(test_crashes),
        cmocka_unit_test(test_parse_matches_load),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_header_only),
        cmocka_unit_test(test_scenario_hostile_bytes),
        cmocka_unit_test(test_scenario_deep_nesting),
    };
    return cmocka_run_group_tests(tests, NULL, cleanup);
}
