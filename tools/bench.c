/* bench.c - `make bench`: simulated events per second with every invariant checked and the
 * trace off, for a 5-node cluster under steady client load; each figure is the median of
 * several runs, measured in this one process. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scenario.h"
#include "sim.h"
#include "util.h"

#define RUNS 7

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A cluster of `nodes` under a client load of `per_tick` commands to the leader every
 * `every_ms`, for run_s simulated seconds. */
static void make_load(scenario *s, uint32_t nodes, uint64_t run_s, uint64_t every_ms,
                      uint32_t per_tick) {
    memset(s, 0, sizeof *s);
    s->name = rs_xstrdup("bench-load");
    s->description = rs_xstrdup("");
    s->seed = 1;
    s->nodes = nodes;
    s->election_timeout = (scn_range){150000, 300000};
    s->heartbeat_us = 50000;
    s->delay = (scn_range){1000, 10000};
    s->run_us = run_s * 1000000;
    /* Load starts after the first election (about 0.3 s in): a submit to "leader" when there
     * is none fails the scenario. */
    s->n_events = (uint32_t)((run_s - 1) * 1000 / every_ms);
    s->events = rs_xcalloc(s->n_events, sizeof *s->events);
    for (uint32_t i = 0; i < s->n_events; i++) {
        scn_event *e = &s->events[i];
        e->at_us = 1000000 + (uint64_t)i * every_ms * 1000;
        e->kind = SCN_DO_SUBMIT;
        e->node = SCN_REF_LEADER;
        e->count = per_tick;
    }
}

typedef struct {
    double events_per_s, sim_s_per_s, wall_s;
    uint64_t events, committed;
} figures;

static figures measure(const scenario *s) {
    double eps[RUNS], sps[RUNS], wall[RUNS];
    figures f = {0};
    for (int r = 0; r < RUNS; r++) {
        sim_config cfg = {.scn = s, .seed = s->seed, .build = "bench"};
        sim_result res;
        double t0 = now_s();
        sim_run(&cfg, &res);
        double dt = now_s() - t0;
        if (res.status != SIM_PASS) {
            fprintf(stderr, "bench: run failed: %s\n", res.reason);
            exit(1);
        }
        eps[r] = (double)res.steps / dt;
        sps[r] = (double)s->run_us / 1e6 / dt;
        wall[r] = dt;
        f.events = res.steps;
        f.committed = res.committed;
    }
    qsort(eps, RUNS, sizeof *eps, cmp_double);
    qsort(sps, RUNS, sizeof *sps, cmp_double);
    qsort(wall, RUNS, sizeof *wall, cmp_double);
    f.events_per_s = eps[RUNS / 2];
    f.sim_s_per_s = sps[RUNS / 2];
    f.wall_s = wall[RUNS / 2];
    return f;
}

static void report(const char *label, const scenario *s) {
    figures f = measure(s);
    printf("%-34s %10.2f M events/s  %9.1f sim s/wall s  (%" PRIu64 " events, committed %" PRIu64
           ", median wall %.3f s of %d runs)\n",
           label, f.events_per_s / 1e6, f.sim_s_per_s, f.events, f.committed, f.wall_s, RUNS);
}

/* `bench profile`: one run of the loaded case, for perf or callgrind. */
static int profile_once(void) {
    scenario s;
    make_load(&s, 5, 20, 1, 1);
    sim_config cfg = {.scn = &s, .seed = s.seed, .build = "bench"};
    sim_result res;
    sim_run(&cfg, &res);
    printf("%" PRIu64 " events\n", res.steps);
    scn_free(&s);
    return res.status == SIM_PASS ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "profile")) return profile_once();
    printf("raftsim bench: invariants on, trace off, one core, median of %d runs\n", RUNS);
    scenario s;
    make_load(&s, 5, 60, 10, 1);
    report("5 nodes, 100 cmds/s, 60 sim s", &s);
    scn_free(&s);
    make_load(&s, 5, 60, 1, 1);
    report("5 nodes, 1000 cmds/s, 60 sim s", &s);
    scn_free(&s);
    make_load(&s, 5, 600, 1000, 0 + 1);
    report("5 nodes, idle (1 cmd/s), 600 sim s", &s);
    scn_free(&s);
    return 0;
}
