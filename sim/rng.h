/* rng.h - the run's own seeded generator (splitmix64 seeding xoshiro256**): same numbers on
 * every platform and compiler, never rand(). */
#ifndef RAFTSIM_RNG_H
#define RAFTSIM_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t s[4];
} rs_rng;

/* Seeds a stream from (seed, stream id): distinct streams are independent, so the draws of
 * one node's timers do not shift when the network draws more or fewer numbers. */
void rs_rng_seed(rs_rng *rng, uint64_t seed, uint64_t stream);
uint64_t rs_rng_next(rs_rng *rng);
/* Uniform in [lo, hi] inclusive; lo <= hi. */
uint64_t rs_rng_range(rs_rng *rng, uint64_t lo, uint64_t hi);
/* True with probability p in [0, 1] (0: never, 1: always); draws one number either way. */
int rs_rng_chance(rs_rng *rng, double p);
/* The same test as rs_rng_chance, split for speed: a threshold computed once per rate, then
 * one integer comparison per draw. rs_rng_below(r, rs_rng_threshold(p)) == rs_rng_chance(r, p)
 * for every draw. */
uint64_t rs_rng_threshold(double p);
static inline int rs_rng_below(rs_rng *rng, uint64_t threshold) {
    return (rs_rng_next(rng) >> 11) < threshold;
}
/* Uniform double in [0, 1). */
double rs_rng_unit(rs_rng *rng);
uint64_t rs_splitmix64(uint64_t *state);

#endif
