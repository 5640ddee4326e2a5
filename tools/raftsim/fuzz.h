/* fuzz.h - generated scenarios (a pure function of seed and options, swarm-style fault
 * mixes), the fuzzing campaign with parallel workers, and shrinking of failing runs. */
#ifndef RAFTSIM_FUZZ_H
#define RAFTSIM_FUZZ_H

#include <stdint.h>

#include "sim/raftsim.h"

/* Fault and load kinds a generated scenario may use; swarm testing turns a random subset on
 * per seed so that rare combinations get explored. */
enum {
    FZ_DROP = 1u << 0,
    FZ_DUP = 1u << 1,
    FZ_DELAY = 1u << 2,
    FZ_PARTITION = 1u << 3,
    FZ_LINK = 1u << 4,
    FZ_CRASH = 1u << 5,
    FZ_RESTART = 1u << 6,
    FZ_PAUSE = 1u << 7,
    FZ_LOAD = 1u << 8,
    FZ_NETCHANGE = 1u << 9,
    FZ_TIGHT_TIMEOUTS = 1u << 10, /* narrow election timeout range: more split votes */
    FZ_KV = 1u << 11,             /* key-value clients, checked for linearizability */
    FZ_DISK = 1u << 12,           /* writes take time; a crash loses the incomplete ones */
};

typedef struct {
    uint32_t nodes;   /* 0: drawn per seed */
    uint64_t time_ms; /* total simulated time per seed */
    const char *profile;
    const char *impl; /* NULL: the default implementation */
} fuzz_gen_opts;

typedef struct {
    const char *name;
    const char *what;
} fuzz_profile;

extern const fuzz_profile fuzz_profiles[];
extern const unsigned fuzz_profile_count;

/* The settled phase after the last fault: this long for a leader, then for a new command to
 * be applied everywhere. time_ms must leave room for it. */
#define FUZZ_SETTLE_MS 3000
#define FUZZ_TIME_MS_DEFAULT 5000
#define FUZZ_LIVENESS_CMD "liveness-check"

/* 1 if the profile name is known. */
int fuzz_profile_valid(const char *name);

/* Fills out with the scenario of this seed; same (seed, opts), same scenario. */
void fuzz_generate(uint64_t seed, const fuzz_gen_opts *opts, scenario *out);

/* Does the scenario's settled phase check liveness (the timings let Raft promise it)? */
int fuzz_checks_liveness(const scenario *s);

/* Is this failed result a liveness failure of the settled phase (not a safety violation)? */
int fuzz_is_liveness(const scenario *s, const sim_result *r);

/* Shrinks a failing scenario to a smaller one that fails the same way. Returns the number of
 * candidate runs tried. out receives the smallest failing scenario found. */
typedef struct {
    uint32_t bugs;
    uint32_t max_runs;
    int verbose;
} shrink_opts;
uint32_t fuzz_shrink(const scenario *in, const sim_result *failure, const shrink_opts *o,
                     scenario *out);

/* Commands. */
int cmd_fuzz(int argc, char **argv);
int cmd_shrink(int argc, char **argv);

#endif
