/* rng.c - xoshiro256** seeded through splitmix64 (public-domain algorithms by Vigna). */
#include "sim/base/rng.h"

uint64_t rs_splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void rs_rng_seed(rs_rng *rng, uint64_t seed, uint64_t stream) {
    uint64_t st = seed ^ (stream * 0xD1B54A32D192ED03ull);
    for (int i = 0; i < 4; i++) rng->s[i] = rs_splitmix64(&st);
}

/* The rare rejection path of rs_rng_range: returns the final high word. */
uint64_t rs_rng_range_slow(rs_rng *rng, uint64_t span, unsigned __int128 m) {
    uint64_t threshold = (0 - span) % span;
    while ((uint64_t)m < threshold) m = (unsigned __int128)rs_rng_next(rng) * span;
    return (uint64_t)(m >> 64);
}

double rs_rng_unit(rs_rng *rng) {
    return (double)(rs_rng_next(rng) >> 11) * 0x1.0p-53;
}

uint64_t rs_rng_threshold32(double p) {
    if (!(p > 0.0)) return 0;
    if (p >= 1.0) return 1ull << 32;
    double t = p * 4294967296.0;
    uint64_t k = (uint64_t)t;
    return (double)k < t ? k + 1 : k;
}

int rs_rng_chance(rs_rng *rng, double p) {
    /* Always draw, whatever p is: lowering a rate (as shrink does) keeps later draws aligned. */
    return rs_rng_unit(rng) < p;
}
