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
/* xoshiro256**, inline: the network draws four numbers per message. */
static inline uint64_t rs_rng_rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}
static inline uint64_t rs_rng_next(rs_rng *rng) {
    uint64_t *s = rng->s;
    uint64_t result = rs_rng_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rs_rng_rotl(s[3], 45);
    return result;
}
uint64_t rs_rng_range_slow(rs_rng *rng, uint64_t span, unsigned __int128 m);
/* Uniform in [lo, hi] inclusive; lo <= hi. Lemire's multiply-shift with rejection: unbiased,
 * no division on the common path, the same draws on every platform. */
static inline uint64_t rs_rng_range(rs_rng *rng, uint64_t lo, uint64_t hi) {
    if (lo >= hi) return lo;
    uint64_t span = hi - lo + 1;
    if (span == 0) return rs_rng_next(rng); /* full 64-bit range */
    unsigned __int128 m = (unsigned __int128)rs_rng_next(rng) * span;
    if ((uint64_t)m < span) m = (unsigned __int128)rs_rng_range_slow(rng, span, m) << 64;
    return lo + (uint64_t)(m >> 64);
}
/* True with probability p in [0, 1] (0: never, 1: always); draws one number either way. */
int rs_rng_chance(rs_rng *rng, double p);
/* The network's fast path: one 64-bit draw gives two 32-bit numbers. A rate becomes a
 * threshold on 32 bits (ceil(p * 2^32): 0 never, 2^32 always), and a 32-bit number maps onto
 * [lo, hi] by multiply-shift (bias below span / 2^32: under 10^-5 for any delay range of a
 * few seconds). */
uint64_t rs_rng_threshold32(double p);
static inline uint64_t rs_rng_scale32(uint32_t r, uint64_t lo, uint64_t hi) {
    uint64_t span = hi - lo + 1;
    return lo + (uint64_t)(((unsigned __int128)r * span) >> 32);
}
/* Uniform double in [0, 1). */
double rs_rng_unit(rs_rng *rng);
uint64_t rs_splitmix64(uint64_t *state);

#endif
