/* raftsim.h - the engine's public interface, the one header a program needs: load a scenario
 * (sim/scenario), run it (sim_run: a cluster of Raft nodes, a simulated network, a virtual clock
 * and the scenario's events, with the invariant checker after every step), observe it (a trace
 * writer receives every event; an observer is called every few steps), read its result, and
 * read a trace back (sim/trace/tracefile.h). The run is a pure function of (scenario, seed,
 * bugs): same input, same trace, byte for byte. */
#ifndef RAFTSIM_RAFTSIM_H
#define RAFTSIM_RAFTSIM_H

#include <stdint.h>

#include "sim/base/bugs.h"
#include "sim/check/check.h"
#include "sim/node/node.h"
#include "sim/scenario/scenario.h"
#include "sim/trace/trace.h"
#include "sim/trace/tracefile.h"

typedef enum {
    SIM_PASS,          /* every expectation held, no invariant broke */
    SIM_VIOLATION,     /* a safety invariant broke: result.violation says which */
    SIM_EXPECT_FAILED, /* a scenario expectation (or an event's node reference) failed */
    SIM_LIMIT,         /* a per-run resource cap was hit */
    SIM_STOPPED,       /* the trace sink asked to stop (replay divergence, write error) */
} sim_status;

typedef struct {
    const scenario *scn;
    uint64_t seed;        /* the run's seed (the scenario's unless overridden) */
    uint32_t bugs;        /* raft_bug bits */
    const char *bug_name; /* recorded in the trace header; NULL when no bug */
    const char *build;    /* recorded in the trace header */
    trace_writer *trace;  /* NULL: no trace */
    uint64_t max_steps;   /* 0: RS_RUN_EVENTS_MAX */
    /* Optional observer, called every observe_every steps with the virtual time and the steps;
     * it must not touch the run (benchmarks read the wall clock here, outside the run). */
    void (*observe)(void *ctx, uint64_t now_us, uint64_t steps);
    void *observe_ctx;
    uint32_t observe_every; /* steps between calls, a power of two; 0: 4096 */
} sim_config;

/* What a run exercised, for `raftsim fuzz --stats`: a few counters, bumped where the thing
 * happens. */
enum { SIM_DROP_LOSS, SIM_DROP_PARTITION, SIM_DROP_LINK, SIM_DROP_DOWN, SIM_DROP_KINDS };
enum {
    SIM_FAULT_CRASH,
    SIM_FAULT_RESTART,
    SIM_FAULT_PAUSE,
    SIM_FAULT_PARTITION,
    SIM_FAULT_LINK,
    SIM_FAULT_NETWORK,
    SIM_FAULT_TRANSFER, /* leadership transfers a leader took */
    SIM_FAULT_DISK_FAIL, /* persistent write batches that failed */
    SIM_FAULT_KINDS
};
#define SIM_MSG_KINDS 6 /* node.h's message types: the built-in node's four and two more */
typedef struct {
    uint64_t sent[SIM_MSG_KINDS];     /* messages sent, by type */
    uint64_t dropped[SIM_DROP_KINDS]; /* messages dropped, by reason */
    uint64_t duplicated;              /* messages the network delivered twice */
    uint64_t faults[SIM_FAULT_KINDS]; /* scenario actions that took effect */
    uint64_t candidates;              /* times a node became candidate */
    uint64_t kv_ops;                  /* key-value operations started */
    uint64_t snapshots[3];            /* snapshots taken, installed, restored from */
} sim_stats;

typedef struct {
    sim_status status;
    char reason[2560];  /* why it did not pass (a linearizability report may take lines) */
    int64_t fail_event; /* index of the scenario event that failed the run, -1 if none */
    chk_violation violation;
    uint64_t steps;  /* events handled */
    uint64_t end_us; /* virtual time when the run stopped */
    uint64_t msgs_sent, msgs_delivered, msgs_dropped;
    uint64_t committed; /* highest index committed by any node */
    uint64_t leaders;   /* times some node became leader */
    uint64_t submitted, accepted;
    uint64_t kv_last_return_us; /* when the last key-value operation returned (0: none) */
    sim_stats stats;
} sim_result;

void sim_run(const sim_config *cfg, sim_result *res);

/* 0 if the scenario's implementation can run it; otherwise writes "FIELD: why" (e.g.
 * "initial: ...") into why and returns 2. sim_run must only be given scenarios that pass. */
int sim_refusal(const scenario *scn, uint32_t bugs, char *why, size_t cap);

const char *sim_status_name(sim_status status);

#endif
