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
    /* Lemire's multiply-shift with rejection: unbiased, no division on the common path, and
     * the same draws on every platform (exact 128-bit integer arithmetic). */
    unsigned __int128 m = (unsigned __int128)rs_rng_next(rng) * span;
    uint64_t low = (uint64_t)m;
    if (low < span) {
        uint64_t threshold = (0 - span) % span;
        while (low < threshold) {
            m = (unsigned __int128)rs_rng_next(rng) * span;
            low = (uint64_t)m;
        }
    }
    return lo + (uint64_t)(m >> 64);
}

double rs_rng_unit(rs_rng *rng) { return (double)(rs_rng_next(rng) >> 11) * 0x1.0p-53; }

/* u = k * 2^-53 < p  <=>  k < p * 2^-(-53)  <=>  k < ceil(p * 2^53), k an integer; the
 * product is exact (a power of two), so the threshold is exact too. */
uint64_t rs_rng_threshold(double p) {
    if (!(p > 0.0)) return 0;
    if (p >= 1.0) return 1ull << 53;
    double t = p * 9007199254740992.0;
    uint64_t k = (uint64_t)t;
    return (double)k < t ? k + 1 : k;
}

int rs_rng_chance(rs_rng *rng, double p) {
    /* Always draw, whatever p is: lowering a rate (as shrink does) keeps later draws aligned. */
    return rs_rng_unit(rng) < p;
}
