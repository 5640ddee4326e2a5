/* rng.c - xoshiro256** seeded through splitmix64 (public-domain algorithms by Vigna). */
#include "rng.h"

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

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t rs_rng_next(rs_rng *rng) {
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t rs_rng_range(rs_rng *rng, uint64_t lo, uint64_t hi) {
    if (lo >= hi) return lo;
    uint64_t span = hi - lo + 1;
    if (span == 0) return rs_rng_next(rng); /* full 64-bit range */
    /* Rejection sampling: no modulo bias, and the same draws on every platform. */
    uint64_t limit = UINT64_MAX - (UINT64_MAX % span);
    uint64_t x;
    do x = rs_rng_next(rng);
    while (x >= limit);
    return lo + x % span;
}

double rs_rng_unit(rs_rng *rng) { return (double)(rs_rng_next(rng) >> 11) * 0x1.0p-53; }

int rs_rng_chance(rs_rng *rng, double p) {
    /* Always draw, whatever p is: lowering a rate (as shrink does) keeps later draws aligned. */
    return rs_rng_unit(rng) < p;
}
