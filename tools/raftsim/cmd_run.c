/* cmd_run.c - `raftsim run`, `raftsim check` and `raftsim replay`. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tools/raftsim/cli.h"
#include "tools/raftsim/timeline.h"
#include "tools/raftsim/view_html.h"
#include "sim/raftsim.h"
#include "sim/base/util.h"

typedef struct {
    const char **files;
    int n_files;
    int has_seed;
    uint64_t seed;
    const char *trace;
    const char *html; /* --html: the viewer page too */
    const char *bug_name;
    const char *impl; /* --impl, NULL: the scenario's own */
    uint32_t bugs;
    int quiet, verbose;
} run_opts;

/* A trace file written under a temporary name and renamed when complete, so that a killed
 * run never leaves a half-written trace under the final name. */
typedef struct {
    FILE *f;
    char path[1024], tmp[1040];
} trace_out;

static int trace_out_open(trace_out *o, const char *path) {
    snprintf(o->path, sizeof o->path, "%s", path);
    snprintf(o->tmp, sizeof o->tmp, "%s.tmp", path);
    o->f = fopen(o->tmp, "wb");
    if (!o->f) fprintf(stderr, "raftsim: cannot write %s: %s\n", o->tmp, strerror(errno));
    return o->f ? 0 : -1;
}

static int trace_out_close(trace_out *o) {
    int bad = ferror(o->f);
    bad |= fclose(o->f);
    if (!bad && rename(o->tmp, o->path) == 0) return 0;
    fprintf(stderr, "raftsim: writing %s failed: %s\n", o->path, strerror(errno));
    return -1;
}

static int parse_run_args(int argc, char **argv, run_opts *o) {
    memset(o, 0, sizeof *o);
    o->files = rs_xcalloc((size_t)argc + 1, sizeof *o->files);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--seed")) {
            if (cli_parse_u64("--seed", next, &o->seed)) return 2;
            o->has_seed = 1;
            i++;
        } else if (!strcmp(a, "--impl")) {
            if (!next) return cli_usage_error("%s needs a value", a);
            int rc = cli_parse_impl(next, &o->impl);
            if (rc == 1) return -1; /* listed: done, success */
            if (rc) return rc;
            i++;
        } else if (!strcmp(a, "--trace") || !strcmp(a, "--bug") || !strcmp(a, "--html")) {
            if (!next) return cli_usage_error("%s needs a value", a);
            if (a[2] == 't')
                o->trace = next;
            else if (a[2] == 'h')
                o->html = next;
            else {
                int rc = cli_parse_bug(next, &o->bugs);
                if (rc == 1) return -1; /* listed: done, success */
                if (rc) return rc;
                o->bug_name = next;
            }
            i++;
        } else if (!strcmp(a, "--quiet")) {
            o->quiet = 1;
        } else if (!strcmp(a, "--verbose")) {
            o->verbose = 1;
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error("unknown option '%s'", a);
        } else {
            o->files[o->n_files++] = a;
        }
    }
    if (o->n_files == 0) return cli_usage_error("%s", "run needs at least one scenario file");
    return 0;
}

static void print_figures(const scenario *s, const sim_result *r, const trace_writer *t) {
    printf("  seed %" PRIu64 ": %" PRIu64 " events, %" PRIu64 " ms simulated, %" PRIu64
           " messages sent (%" PRIu64 " dropped), %" PRIu64 " leaders elected, committed "
           "through %" PRIu64 "\n",
           s->seed, r->steps, r->end_us / 1000, r->msgs_sent, r->msgs_dropped, r->leaders,
           r->committed);
    if (t && t->on)
        printf("  trace hash %016" PRIx64 ", %" PRIu64 " event lines\n", t->hash, t->seq);
}

/* Runs one scenario, writing its trace to path (NULL: none) and its page to html (NULL:
 * none); the verdict is in *r. Returns 0, -1 if the trace or the page could not be written
 * (the run happened, *r holds its verdict), or -2 if the trace file could not be opened
 * (nothing ran, *r is untouched). */
static int run_one(const scenario *s, const run_opts *o, const char *path, const char *html,
                   sim_result *r, trace_writer *tw) {
    trace_out out;
    sim_config cfg = {.scn = s,
                      .seed = s->seed,
                      .bugs = o->bugs,
                      .bug_name = o->bug_name,
                      .build = RAFTSIM_BUILD,
                      .trace = NULL};
    cli_membuf mem = {0};
    if (path) {
        if (trace_out_open(&out, path)) return -2;
        trace_open(tw, trace_file_sink, out.f);
        cfg.trace = tw;
    } else if (html) { /* no trace file: the page is built from the trace in memory */
        trace_open(tw, cli_membuf_sink, &mem);
        cfg.trace = tw;
    }
    sim_run(&cfg, r);
    int rc = path ? trace_out_close(&out) : 0;
    if (html && path && rc == 0)
        rc = vh_write_file(path, html) ? -1 : 0;
    else if (html && !path)
        rc = vh_write_file_from(s->name, mem.data, mem.len, html) ? -1 : 0;
    return rc;
}

/* --trace F or --html F: F itself for one scenario, else F/NAME<suffix>. */
static void path_for(char *buf, size_t cap, const run_opts *o, const char *given, const scenario *s,
                     const char *suffix) {
    if (o->n_files == 1)
        snprintf(buf, cap, "%s", given);
    else
        snprintf(buf, cap, "%s/%s%s", given, s->name, suffix);
}

/* A failure must never lose its trace: without --trace, run it again (same input, same run)
 * into raftsim-traces/. A violation's timeline comes first, read from that trace. */
static void save_failure(const scenario *s, const run_opts *o, const char *given,
                         const sim_result *res) {
    char path[1024];
    sim_result r;
    trace_writer tw;
    if (!given) {
        mkdir("raftsim-traces", 0777);
        snprintf(path, sizeof path, "raftsim-traces/%s-seed%" PRIu64 ".trace.jsonl", s->name,
                 s->seed);
        if (run_one(s, o, path, NULL, &r, &tw) == -2) return;
        given = path;
    }
    if (res->status == SIM_VIOLATION) tl_print_file(stdout, given);
    printf("  trace:  %s\n  replay: raftsim replay %s\n", given, given);
}

/* Peak resident memory of this process image (VmHWM), in MiB; -1 if unknown. Read after the
 * runs, never inside one. */
static double peak_rss_mib(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6)) kib = strtod(line + 6, NULL);
    if (f) fclose(f);
    return kib < 0 ? -1 : kib / 1024.0;
}

static int run_all(scenario *scns, const run_opts *o) {
    int failed = 0, passed = 0, io_error = 0;
    if (o->trace && o->n_files > 1) mkdir(o->trace, 0777);
    if (o->html && o->n_files > 1) mkdir(o->html, 0777);
    for (int i = 0; i < o->n_files; i++) {
        scenario *s = &scns[i];
        char path[1024], html[1024];
        if (o->trace) path_for(path, sizeof path, o, o->trace, s, ".trace.jsonl");
        if (o->html) path_for(html, sizeof html, o, o->html, s, ".html");
        sim_result r;
        trace_writer tw;
        int wrote = run_one(s, o, o->trace ? path : NULL, o->html ? html : NULL, &r, &tw);
        if (wrote) io_error = 1;
        if (wrote == -2) {
            printf("ERROR %s: not run, its trace cannot be written\n", s->name);
            continue;
        }
        if (r.status == SIM_PASS) {
            passed++;
            if (!o->quiet) printf("PASS %s\n", s->name);
        } else {
            failed++;
            printf("FAIL %s: %s\n", s->name, r.reason);
        }
        if (o->verbose) print_figures(s, &r, o->trace ? &tw : NULL);
        if (r.status != SIM_PASS) save_failure(s, o, o->trace ? path : NULL, &r);
    }
    if (o->verbose) printf("peak memory: %.1f MiB\n", peak_rss_mib());
    printf("%d passed, %d failed\n", passed, failed);
    if (io_error) return 2;
    return failed ? 1 : 0;
}

int cmd_run(int argc, char **argv) {
    run_opts o;
    int rc = parse_run_args(argc, argv, &o);
    if (rc) {
        free(o.files);
        return rc < 0 ? 0 : rc;
    }
    scenario *scns = rs_xcalloc((size_t)o.n_files, sizeof *scns);
    int bad = 0;
    for (int i = 0; i < o.n_files; i++) {
        char err[1024];
        if (scn_load_file(o.files[i], &scns[i], err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            bad = 1;
            continue;
        }
        if (o.has_seed) scns[i].seed = o.seed;
        if (cli_set_impl(o.files[i], &scns[i], o.impl, o.bugs)) bad = 1;
    }
    rc = bad ? 2 : run_all(scns, &o);
    for (int i = 0; i < o.n_files; i++) scn_free(&scns[i]);
    free(scns);
    free(o.files);
    return rc;
}

int cmd_check(int argc, char **argv) {
    if (argc != 1 || argv[0][0] == '-')
        return cli_usage_error("%s", "check takes exactly one trace file");
    return tracefile_check(argv[0], 0);
}

/* ---- replay ------------------------------------------------------------------------------ */

typedef struct {
    const tracefile *tf;
    FILE *tee;       /* the new trace, if --trace */
    cli_membuf *mem; /* the new trace in memory, for --html */
    uint64_t next;   /* index of the next event line expected */
    int seen_header;
    int diverged;
    char *actual; /* the first differing line of the new run */
} replay_ctx;

static int replay_sink(void *ctx, const char *line, size_t len) {
    replay_ctx *c = ctx;
    if (c->tee) fwrite(line, 1, len, c->tee);
    if (c->mem) cli_membuf_sink(c->mem, line, len);
    if (c->diverged) return 0;
    if (!c->seen_header) {
        c->seen_header = 1;
        return 0;
    }
    if (strncmp(line, "{\"type\":\"end\"", 13) == 0) return 0;
    const tracefile *tf = c->tf;
    size_t n = len - 1; /* without the newline */
    if (c->next < tf->n_events && tf->len[c->next] == n &&
        memcmp(tf->data + tf->off[c->next], line, n) == 0) {
        c->next++;
        return 0;
    }
    c->diverged = 1;
    c->actual = rs_xmalloc(n + 1);
    memcpy(c->actual, line, n);
    c->actual[n] = '\0';
    return c->tee || c->mem ? 0 : 1; /* with a tee, finish writing the new run */
}

static int replay_report(const replay_ctx *c, const sim_result *r) {
    const tracefile *tf = c->tf;
    if (!c->diverged && c->next < tf->n_events) {
        printf("DIVERGED at seq %" PRIu64 ": the recorded run goes on, the new one ended\n"
               "  expected: %.*s\n",
               c->next, (int)tf->len[c->next], tf->data + tf->off[c->next]);
        return 1;
    }
    if (c->diverged) {
        printf("DIVERGED at seq %" PRIu64 "\n", c->next);
        if (c->next < tf->n_events)
            printf("  expected: %.*s\n", (int)tf->len[c->next], tf->data + tf->off[c->next]);
        else
            printf("  expected: (the recorded run ended here)\n");
        printf("  actual:   %s\n", c->actual);
        return 1;
    }
    printf("IDENTICAL: %" PRIu64 " events replayed, as recorded\n", c->next);
    if (r->status == SIM_PASS) {
        printf("the run passes\n");
        return 0;
    }
    if (r->status == SIM_VIOLATION) {
        printf("VIOLATION %s reproduced: %s\n", r->violation.invariant, r->violation.detail);
        tl_print_file(stdout, tf->path);
    } else {
        printf("FAIL reproduced: %s\n", r->reason);
    }
    return 1;
}

int cmd_replay(int argc, char **argv) {
    const char *path, *tee_path, *html;
    int rc = cli_trace_args(argc, argv, "replay", "--trace", &path, &tee_path, "--html", &html);
    if (rc) return rc;
    tracefile tf;
    uint32_t bugs;
    if (cli_load_trace(path, &tf, &bugs)) return 2;
    if (tf.build && strcmp(tf.build, RAFTSIM_BUILD) != 0)
        fprintf(stderr,
                "raftsim: warning: %s was written by raftsim %s, this is %s; a changed "
                "build may legitimately change the run\n",
                path, tf.build, RAFTSIM_BUILD);
    replay_ctx ctx = {.tf = &tf};
    trace_out out;
    if (tee_path && trace_out_open(&out, tee_path)) {
        tracefile_free(&tf);
        return 2;
    }
    if (tee_path) ctx.tee = out.f;
    cli_membuf mem = {0};
    if (html) ctx.mem = &mem;
    trace_writer tw;
    trace_open(&tw, replay_sink, &ctx);
    sim_config cfg = {.scn = &tf.scn,
                      .seed = tf.seed,
                      .bugs = bugs,
                      .bug_name = tf.bug,
                      .build = RAFTSIM_BUILD,
                      .trace = &tw};
    sim_result r;
    sim_run(&cfg, &r);
    rc = replay_report(&ctx, &r);
    if (tee_path && trace_out_close(&out)) rc = 2;
    if (html && vh_write_file_from(path, mem.data, mem.len, html)) rc = 2;
    free(ctx.actual);
    tracefile_free(&tf);
    return rc;
}
