/* bench.c - `make bench`: the speed figures of the README. Every figure is a median of several
 * runs measured in this one process (or, for peak memory and the fuzz rate, in child
 * processes), with every invariant checked and the trace off:
 *   - events/s and simulated seconds per wall second, 5 nodes under client load;
 *   - per-event cost as the log grows from 10^3 to 10^6 entries;
 *   - events/s for clusters of 51 and 101 nodes;
 *   - peak memory of each case;
 *   - peak memory of a 5-node run of 10^7 entries with snapshots (the raftsim binary, if given);
 *   - fuzz seeds/s of the default profile with 2 jobs (the raftsim binary, if given). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim/raftsim.h"
#include "tools/bench/timing.h"
#include "sim/base/util.h"

#define RUNS 5

/* A cluster of `nodes` for run_s simulated seconds, a command to the leader every every_ms
 * from 1 s on (after the first election: a submit to "leader" when there is none fails), and
 * optionally every node starting with the same log of log_len entries. every_ms 0: one
 * command only, at 1 s (it commits the initial log, since it is of the leader's term). */
static void make_case(scenario *s, uint32_t nodes, uint64_t run_s, uint64_t every_ms,
                      uint32_t log_len) {
    memset(s, 0, sizeof *s);
    s->name = rs_xstrdup("bench");
    s->description = rs_xstrdup("");
    s->seed = 1;
    s->nodes = nodes;
    s->election_timeout = (scn_range){150000, 300000};
    s->heartbeat_us = 50000;
    s->delay = (scn_range){1000, 10000};
    s->run_us = run_s * 1000000;
    s->n_events = every_ms ? (uint32_t)((run_s - 1) * 1000 / every_ms) : 1;
    s->events = rs_xcalloc(s->n_events, sizeof *s->events);
    for (uint32_t i = 0; i < s->n_events; i++) {
        scn_event *e = &s->events[i];
        e->at_us = 1000000 + (uint64_t)i * every_ms * 1000;
        e->kind = SCN_DO_SUBMIT;
        e->node = SCN_REF_LEADER;
        e->count = 1;
    }
    if (!log_len) return;
    s->n_initial = nodes;
    s->initial = rs_xcalloc(nodes, sizeof *s->initial);
    for (uint32_t n = 0; n < nodes; n++) {
        scn_initial *in = &s->initial[n];
        in->node = (uint8_t)(n + 1);
        in->term = 1;
        in->n_log = log_len;
        in->log = rs_xcalloc(log_len, sizeof *in->log);
        for (uint32_t i = 0; i < log_len; i++) in->log[i] = (scn_entry){1, rs_xstrdup("x")};
    }
}

typedef struct {
    double wall_s;  /* median */
    uint64_t steps; /* the same in every run: runs are deterministic */
    uint64_t committed;
} timing;

static timing time_runs(const scenario *s, int runs) {
    double wall[RUNS];
    timing t = {0};
    for (int r = 0; r < runs; r++) {
        sim_config cfg = {.scn = s, .seed = s->seed, .build = "bench"};
        sim_result res;
        double t0 = now_s();
        sim_run(&cfg, &res);
        wall[r] = now_s() - t0;
        if (res.status != SIM_PASS) {
            fprintf(stderr, "bench: run failed: %s\n", res.reason);
            exit(1);
        }
        t.steps = res.steps;
        t.committed = res.committed;
    }
    t.wall_s = median(wall, runs);
    return t;
}

/* Peak resident memory of `raftsim run` on the scenario, in MiB, as it reports it (VmHWM of
 * its own image: loading the scenario file included); -1 without a raftsim binary. */
static const char *raftsim_bin;

static double peak_mib(const scenario *s) {
    if (!raftsim_bin) return -1;
    char path[] = "/tmp/raftsim-bench-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    char *json = scn_to_json(s);
    FILE *f = fdopen(fd, "w");
    fputs(json, f);
    fclose(f);
    free(json);
    char cmd[1200], line[256];
    snprintf(cmd, sizeof cmd, "%s run %s --quiet --verbose", raftsim_bin, path);
    double mib = -1;
    FILE *p = popen(cmd, "r");
    while (p && fgets(line, sizeof line, p))
        if (!strncmp(line, "peak memory: ", 13))
            mib = strtod(line + 13, NULL);
        else if (!strncmp(line, "FAIL ", 5))
            fprintf(stderr, "bench: %s", line);
    if (p) pclose(p);
    unlink(path);
    return mib;
}

static void load_figures(void) {
    static const struct {
        const char *label;
        uint32_t nodes;
        uint64_t run_s, every_ms;
    } cases[] = {
        {"5 nodes, 1000 cmds/s", 5, 60, 1},
        {"5 nodes, 100 cmds/s", 5, 300, 10},
        {"5 nodes, idle (heartbeats only)", 5, 600, 0},
        {"51 nodes, 100 cmds/s", 51, 30, 10},
        {"101 nodes, 100 cmds/s", 101, 20, 10},
    };
    printf("\n%-32s %14s %16s %10s %10s\n", "load (invariants on, trace off)", "M events/s",
           "sim s / wall s", "events", "peak MiB");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        scenario s;
        make_case(&s, cases[i].nodes, cases[i].run_s, cases[i].every_ms, 0);
        timing t = time_runs(&s, RUNS);
        printf("%-32s %14.2f %16.0f %10" PRIu64 " %10.1f\n", cases[i].label,
               (double)t.steps / t.wall_s / 1e6, (double)s.run_us / 1e6 / t.wall_s, t.steps,
               peak_mib(&s));
        scn_free(&s);
    }
}

/* Wall time and steps seen by the observer from virtual time `from_us` on. */
typedef struct {
    uint64_t from_us;
    int started;
    double t0, t1;
    uint64_t steps0, steps1;
} window;

static void observe(void *ctx, uint64_t now_us, uint64_t steps) {
    window *w = ctx;
    if (now_us < w->from_us) return;
    if (!w->started) {
        w->started = 1;
        w->t0 = now_s();
        w->steps0 = steps;
    }
    w->t1 = now_s();
    w->steps1 = steps;
}

/* Per-event cost with a log of log_len entries on every node, measured from 3 s of virtual
 * time on (after loading the log, the election, and the first commit, which applies the whole
 * initial log), so that only steady-state steps count. The load (1000 commands/s) runs until
 * every log has doubled (at least 10^5 commands), so that each size pays its share of array
 * growth, amortized, as a long run does: no size is measured in a window that happens to hold
 * a doubling, or none. */
static void log_growth_figures(void) {
    static const uint32_t lens[] = {1000, 10000, 100000, 1000000};
    double base_ns = 0;
    printf("\n%-32s %14s %14s %10s\n", "log length (5 nodes, 1000 cmds/s)", "ns / event", "vs 10^3",
           "peak MiB");
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        scenario s;
        uint64_t load_s = (lens[i] > 100000 ? lens[i] : 100000) / 1000;
        make_case(&s, 5, load_s + 3, 1, lens[i]);
        int runs = 3;
        double ns[RUNS];
        for (int r = 0; r < runs; r++) {
            window w = {.from_us = 3000000};
            sim_config cfg = {
                .scn = &s, .seed = s.seed, .build = "bench", .observe = observe, .observe_ctx = &w};
            sim_result res;
            sim_run(&cfg, &res);
            ns[r] = (w.t1 - w.t0) * 1e9 / (double)(w.steps1 - w.steps0);
        }
        double m = median(ns, runs);
        if (i == 0) base_ns = m;
        scenario small; /* peak memory: the same start, 40 s of load */
        make_case(&small, 5, 40, 1, lens[i]);
        printf("%-32" PRIu32 " %14.1f %13.2fx %10.1f\n", lens[i], m, m / base_ns, peak_mib(&small));
        scn_free(&small);
        scn_free(&s);
    }
}

/* A long run with snapshots: 5 nodes, 10^7 commands (1000 every 100 ms, from 1 s on), a
 * snapshot every 10^4 applied entries keeping 10^3. Memory must not follow the log: the nodes'
 * logs are compacted, the checker keeps per-node state only for what is not known committed,
 * and generated commands are not stored. Peak memory of `raftsim run --verbose`, and its wall
 * time (one run: it takes minutes). */
static void snapshot_memory_figure(void) {
    const uint64_t entries = 10000000, per = 1000, period_ms = 100;
    scenario s;
    make_case(&s, 5, 1, 0, 0);
    free(s.events);
    uint32_t submits = (uint32_t)(entries / per);
    s.n_events = submits + 1;
    s.events = rs_xcalloc(s.n_events, sizeof *s.events);
    for (uint32_t i = 0; i < submits; i++)
        s.events[i] = (scn_event){.at_us = 1000000 + (uint64_t)i * period_ms * 1000,
                                  .kind = SCN_DO_SUBMIT,
                                  .node = SCN_REF_LEADER,
                                  .count = (uint32_t)per};
    s.run_us = 1000000 + (uint64_t)submits * period_ms * 1000 + 2000000;
    scn_event *last = &s.events[submits]; /* every entry committed: else the run FAILs */
    last->at_us = s.run_us - 500000;
    last->kind = SCN_EXPECT;
    last->expect.has_committed_at_least = 1;
    last->expect.committed_at_least = entries;
    s.snapshot_every = 10000;
    s.snapshot_trailing = 1000;
    double t0 = now_s(), mib = peak_mib(&s);
    printf("\n5 nodes, 10^7 entries, snapshot every 10^4 keeping 10^3: peak %.1f MiB, %.0f s "
           "(one raftsim run --verbose)\n",
           mib, now_s() - t0);
    scn_free(&s);
}

/* Seeds per second of `raftsim fuzz` with 2 jobs, default profile: median of 3 campaigns. */
static void fuzz_figures(const char *raftsim) {
    double rate[3];
    const uint64_t count = 20000;
    for (int r = 0; r < 3; r++) {
        char cmd[1200];
        snprintf(cmd, sizeof cmd,
                 "%s fuzz --count %" PRIu64 " --jobs 2 --quiet --out /tmp/raftsim-bench-fuzz "
                 ">/dev/null 2>&1",
                 raftsim, count);
        double t0 = now_s();
        int rc = system(cmd);
        rate[r] = (double)count / (now_s() - t0);
        if (rc != 0) fprintf(stderr, "bench: the fuzz campaign did not pass (status %d)\n", rc);
    }
    printf("\nfuzz, default profile, 2 jobs: %.0f seeds/s (median of 3 campaigns of %" PRIu64
           " seeds)\n",
           median(rate, 3), count);
}

/* `bench profile [LOG_LEN]`: one run of the loaded case, for perf or callgrind. */
static int profile_once(uint32_t log_len) {
    scenario s;
    make_case(&s, 5, 20, 1, log_len);
    sim_config cfg = {.scn = &s, .seed = s.seed, .build = "bench"};
    sim_result res;
    sim_run(&cfg, &res);
    printf("%" PRIu64 " events\n", res.steps);
    scn_free(&s);
    return res.status == SIM_PASS ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc > 2 && !strcmp(argv[1], "snapshot-memory")) { /* that figure alone */
        raftsim_bin = argv[2];
        snapshot_memory_figure();
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], "profile"))
        return profile_once(argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 0);
    printf("raftsim bench: invariants on, trace off, one core per run, median of %d runs\n", RUNS);
    raftsim_bin = argc > 1 ? argv[1] : NULL;
    load_figures();
    log_growth_figures();
    if (raftsim_bin) snapshot_memory_figure();
    if (raftsim_bin) fuzz_figures(raftsim_bin);
    return 0;
}
