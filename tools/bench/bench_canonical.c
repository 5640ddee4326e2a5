/* bench_canonical.c - `make bench`, side by side: canonical raft run by raftsim (every
 * invariant checked after every step, trace off) and by the library's own deterministic
 * fixture (raft/fixture.h, its raft_fixture_step loop), on the same two workloads, measured in
 * this one process, medians of RUNS runs, ratio printed. The built-in node on the same
 * workloads is shown too.
 *   idle hour: 5 nodes, 100 ms heartbeat, 1 s election timeout, 15 ms links, no load;
 *   10,000 entries: the same cluster, one entry at a time (each waits until applied).
 * An "event" is one step of the loop: raftsim's handled events, the fixture's steps (a tick,
 * a disk completion, a delivery). Both count a node's tick as an event. */
#include <raft.h>
#include <raft/fixture.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/base/util.h"
#include "sim/raftsim.h"
#include "tools/bench/timing.h"

#define RUNS 5
#define ENTRIES 10000

/* ---- raftsim ----------------------------------------------------------------------------- */

/* The workload as a scenario: the fixture's timing (100 ms heartbeat, 1 s election timeout,
 * 15 ms links); with entries > 0, one key-value client writes them one after another (a
 * client runs one operation at a time) from 5 s on, and the run lasts until it is done. */
static void make_scenario(scenario *s, const char *impl, uint32_t entries, uint64_t run_s) {
    memset(s, 0, sizeof *s);
    s->name = rs_xstrdup("bench-canonical");
    s->description = rs_xstrdup("");
    s->implementation = rs_xstrdup(impl);
    s->seed = 1;
    s->nodes = 5;
    s->election_timeout = (scn_range){1000000, 2000000};
    s->heartbeat_us = 100000;
    s->delay = (scn_range){15000, 15000};
    s->run_us = run_s * 1000000;
    s->n_events = entries;
    s->events = rs_xcalloc(entries ? entries : 1, sizeof *s->events);
    for (uint32_t i = 0; i < entries; i++) {
        scn_event *e = &s->events[i];
        e->at_us = 5000000;
        e->kind = SCN_DO_KV;
        e->client = 1;
        e->kv_op = SCN_KV_PUT;
        e->key = rs_xstrdup("k");
        char v[16];
        snprintf(v, sizeof v, "%u", i);
        e->value = rs_xstrdup(v);
    }
}

typedef struct {
    double events_per_s, wall_s;
    uint64_t events, virt_ms;
} figure;

/* With entries, a first run finds when the last one is applied; the measured runs end 1 ms
 * later, as the fixture's loop stops at the last apply. */
static figure run_raftsim(const char *impl, uint32_t entries, uint64_t run_s) {
    double rate[RUNS], wall[RUNS];
    figure f = {0};
    uint64_t run_us = run_s * 1000000;
    if (entries) {
        scenario s;
        make_scenario(&s, impl, entries, run_s);
        sim_config cfg = {.scn = &s, .seed = 1, .build = "bench"};
        sim_result res;
        sim_run(&cfg, &res);
        if (res.status != SIM_PASS || res.kv_last_return_us == 0) {
            fprintf(stderr, "bench_canonical: %s run failed: %s\n", impl, res.reason);
            exit(1);
        }
        run_us = res.kv_last_return_us + 1000;
        scn_free(&s);
    }
    for (int r = 0; r < RUNS; r++) {
        scenario s;
        make_scenario(&s, impl, entries, run_s);
        s.run_us = run_us;
        sim_config cfg = {.scn = &s, .seed = 1, .build = "bench"};
        sim_result res;
        double t0 = now_s();
        sim_run(&cfg, &res);
        double t1 = now_s();
        if (res.status != SIM_PASS) {
            fprintf(stderr, "bench_canonical: %s run failed: %s\n", impl, res.reason);
            exit(1);
        }
        wall[r] = t1 - t0;
        rate[r] = (double)res.steps / wall[r];
        f.events = res.steps;
        f.virt_ms = (res.end_us - (entries ? 5000000 : 0)) / 1000;
        scn_free(&s);
    }
    f.events_per_s = median(rate, RUNS);
    f.wall_s = median(wall, RUNS);
    return f;
}

/* ---- the library's fixture ------------------------------------------------------------------ */

static int fsm_apply(struct raft_fsm *fsm, const struct raft_buffer *buf, void **result) {
    (void)fsm;
    (void)buf;
    *result = NULL;
    return 0;
}

static int fsm_snapshot(struct raft_fsm *fsm, struct raft_buffer *bufs[], unsigned *n_bufs) {
    (void)fsm;
    *bufs = raft_malloc(sizeof **bufs);
    (*bufs)[0].base = raft_malloc(1);
    (*bufs)[0].len = 1;
    *n_bufs = 1;
    return 0;
}

static int fsm_restore(struct raft_fsm *fsm, struct raft_buffer *buf) {
    (void)fsm;
    raft_free(buf->base);
    return 0;
}

typedef struct {
    struct raft_fixture f;
    struct raft_fsm fsms[5];
} fixture;

static void fixture_setup(fixture *b) {
    memset(b, 0, sizeof *b);
    if (raft_fixture_initialize(&b->f) != 0) abort();
    for (int i = 0; i < 5; i++) {
        b->fsms[i] = (struct raft_fsm){
            .version = 1, .apply = fsm_apply, .snapshot = fsm_snapshot, .restore = fsm_restore};
        if (raft_fixture_grow(&b->f, &b->fsms[i]) != 0) abort();
    }
    struct raft_configuration conf;
    raft_fixture_configuration(&b->f, 5, &conf);
    raft_fixture_bootstrap(&b->f, &conf);
    raft_configuration_close(&conf);
    raft_fixture_start(&b->f);
}

static int applied;
static void apply_done(struct raft_apply *req, int status, void *result) {
    (void)result;
    applied = status == 0 ? 1 : -1;
    free(req);
}

/* The fixture's defaults are the workload's timing: 100 ms heartbeat, 1 s election timeout,
 * 15 ms network latency (its disk takes 10 ms). */
static figure run_fixture(uint32_t entries) {
    double rate[RUNS], wall[RUNS];
    figure f = {0};
    for (int r = 0; r < RUNS; r++) {
        fixture *b = malloc(sizeof *b);
        fixture_setup(b);
        uint64_t steps = 0, start_ms = raft_fixture_time(&b->f);
        double t0 = now_s();
        if (entries == 0) {
            while (raft_fixture_time(&b->f) < 3600ull * 1000) {
                raft_fixture_step(&b->f);
                steps++;
            }
        } else {
            if (!raft_fixture_step_until_has_leader(&b->f, 10000)) abort();
            unsigned leader = raft_fixture_leader_index(&b->f);
            for (uint32_t k = 0; k < entries; k++) {
                struct raft_apply *req = malloc(sizeof *req);
                struct raft_buffer buf = {raft_malloc(8), 8};
                memcpy(buf.base, &k, sizeof k);
                applied = 0;
                if (raft_apply(raft_fixture_get(&b->f, leader), req, &buf, 1, apply_done) != 0)
                    abort();
                while (applied == 0) {
                    raft_fixture_step(&b->f);
                    steps++;
                }
            }
        }
        double t1 = now_s();
        wall[r] = t1 - t0;
        rate[r] = (double)steps / wall[r];
        f.events = steps;
        f.virt_ms = raft_fixture_time(&b->f) - start_ms;
        raft_fixture_close(&b->f);
        free(b);
    }
    f.events_per_s = median(rate, RUNS);
    f.wall_s = median(wall, RUNS);
    return f;
}

static void row(const char *what, figure f) {
    printf("%-44s %10.2f %10.3f %10llu %10.1f\n", what, f.events_per_s / 1e6, f.wall_s,
           (unsigned long long)f.events, (double)f.virt_ms / 1000.0);
}

int main(void) {
    printf("canonical raft side by side: 5 nodes, 100 ms heartbeat, 1 s election timeout, 15 ms "
           "links; median of %d runs\n\n",
           RUNS);
    printf("%-44s %10s %10s %10s %10s\n", "workload / driver", "M ev/s", "wall s", "events",
           "virtual s");
    figure ri = run_raftsim("canonical", 0, 3600), fi = run_fixture(0);
    figure bi = run_raftsim("builtin", 0, 3600);
    row("idle hour: canonical under raftsim", ri);
    row("idle hour: canonical under its fixture", fi);
    row("idle hour: built-in node under raftsim", bi);
    figure ra = run_raftsim("canonical", ENTRIES, 3600), fa = run_fixture(ENTRIES);
    figure ba = run_raftsim("builtin", ENTRIES, 3600);
    row("10,000 entries: canonical under raftsim", ra);
    row("10,000 entries: canonical under its fixture", fa);
    row("10,000 entries: built-in node under raftsim", ba);
    printf("\nwall-time ratio fixture / raftsim: idle hour %.2fx, 10,000 entries %.1fx\n",
           fi.wall_s / ri.wall_s, fa.wall_s / ra.wall_s);
    return 0;
}
