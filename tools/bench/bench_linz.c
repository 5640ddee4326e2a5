/* bench_linz.c - `make bench`: time of lz_check (sim/kv/linz.h) on linearizable key-value
 * histories of 10^3 to 10^5 ops from a few concurrent clients, and on one hot key (the worst
 * case: nothing to partition). Histories come from a simulated sequential map with its own
 * fixed-seed splitmix64, so every run and platform checks the same ops; each figure is the
 * median of RUNS runs in this one process. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/kv/linz.h"
#include "sim/base/util.h"

#define RUNS 5

static uint64_t bl_next(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi]; the modulo bias is irrelevant to a benchmark. */
static uint64_t bl_range(uint64_t *s, uint64_t lo, uint64_t hi) {
    return lo + bl_next(s) % (hi - lo + 1);
}

typedef struct {
    lz_op *ops;
    size_t n;
    char **strs; /* every string the ops point to */
    size_t nstrs, cap;
    uint64_t *lin_us; /* when each op took effect in the simulated map */
} bl_hist;

static const char *bl_keep(bl_hist *h, char *s) {
    if (h->nstrs == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 1024;
        h->strs = rs_xrealloc(h->strs, h->cap * sizeof *h->strs);
    }
    h->strs[h->nstrs++] = s;
    return s;
}

static const char *bl_name(bl_hist *h, char prefix, uint64_t x) {
    char buf[32];
    snprintf(buf, sizeof buf, "%c%" PRIu64, prefix, x);
    return bl_keep(h, rs_xstrdup(buf));
}

static const bl_hist *bl_sorting;
static int bl_cmp_lin(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    uint64_t lx = bl_sorting->lin_us[x], ly = bl_sorting->lin_us[y];
    if (lx != ly) return lx < ly ? -1 : 1;
    return (x > y) - (x < y);
}

/* What op o observes and does when it takes effect on the map value *val. */
static void bl_apply(bl_hist *h, lz_op *o, const char **val, int applied, uint64_t *seed) {
    switch (o->kind) {
    case LZ_GET: o->result = *val; break;
    case LZ_PUT:
        if (applied) *val = o->value;
        break;
    case LZ_APPEND:
        if (applied) {
            size_t a = *val ? strlen(*val) : 0, b = strlen(o->value);
            char *s = rs_xmalloc(a + b + 1);
            memcpy(s, *val ? *val : "", a);
            memcpy(s + a, o->value, b + 1);
            *val = bl_keep(h, s);
        }
        break;
    case LZ_CAS: {
        if (*val && bl_range(seed, 0, 2)) o->from = *val; /* most cas calls expect the truth */
        int match = *val && strcmp(*val, o->from) == 0;
        if (o->outcome != LZ_UNKNOWN) o->outcome = match ? LZ_OK : LZ_FAIL;
        if (match && applied) *val = o->value;
        break;
    }
    }
}

/* One op of client c starting after *t: think time, then a request whose latency is that of
 * a round trip through a replicated log (0.1 to 2 ms), taking effect somewhere inside it. */
static void bl_make_op(bl_hist *h, size_t i, uint32_t c, uint64_t *t, const char **keys,
                       uint32_t nkeys, uint64_t *seed) {
    uint64_t inv = *t + bl_range(seed, 0, 50), dur = bl_range(seed, 100, 2000);
    uint64_t r = bl_range(seed, 0, 99);
    lz_kind kind = r < 25 ? LZ_PUT : r < 75 ? LZ_GET : r < 90 ? LZ_APPEND : LZ_CAS;
    lz_op *o = &h->ops[i];
    memset(o, 0, sizeof *o);
    *o = (lz_op){.client = c,
                 .op_id = i,
                 .kind = kind,
                 .key = keys[bl_range(seed, 0, nkeys - 1)],
                 .invoke_us = inv,
                 .return_us = inv + dur,
                 .outcome = LZ_OK};
    if (kind != LZ_GET) o->value = bl_name(h, kind == LZ_APPEND ? '+' : 'v', i);
    if (kind == LZ_CAS) o->from = bl_name(h, 'v', bl_range(seed, 0, i));
    h->lin_us[i] = inv + bl_range(seed, 0, dur);
    *t = inv + dur;
}

/* n ops on nkeys keys from nclients clients, linearizable by construction; 1% of the ops time
 * out (outcome unknown), half of those having taken effect anyway. */
static void bl_generate(bl_hist *h, uint64_t seed, size_t n, uint32_t nkeys, uint32_t nclients) {
    memset(h, 0, sizeof *h);
    h->ops = rs_xcalloc(n, sizeof *h->ops);
    h->lin_us = rs_xcalloc(n, sizeof *h->lin_us);
    uint64_t *t = rs_xcalloc(nclients, sizeof *t);
    int *applied = rs_xcalloc(n, sizeof *applied);
    size_t *order = rs_xcalloc(n, sizeof *order);
    const char **keys = rs_xcalloc(nkeys, sizeof *keys), **val = rs_xcalloc(nkeys, sizeof *val);
    for (uint32_t k = 0; k < nkeys; k++) keys[k] = bl_name(h, 'k', k);
    for (size_t i = 0; i < n; i++) {
        uint32_t c = (uint32_t)bl_range(&seed, 0, nclients - 1);
        bl_make_op(h, i, c + 1, &t[c], keys, nkeys, &seed);
        applied[i] = 1;
        if (bl_range(&seed, 0, 99) == 0) {
            h->ops[i].outcome = LZ_UNKNOWN;
            applied[i] = (int)bl_range(&seed, 0, 1);
        }
        order[i] = i;
    }
    bl_sorting = h;
    qsort(order, n, sizeof *order, bl_cmp_lin);
    for (size_t j = 0; j < n; j++) {
        lz_op *o = &h->ops[order[j]];
        bl_apply(h, o, &val[strtoul(o->key + 1, NULL, 10)], applied[order[j]], &seed);
    }
    h->n = n;
    free(t);
    free(applied);
    free(order);
    free(keys);
    free(val);
}

static void bl_free(bl_hist *h) {
    for (size_t i = 0; i < h->nstrs; i++) free(h->strs[i]);
    free(h->strs);
    free(h->ops);
    free(h->lin_us);
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Makes the first ok get from the middle of the run on return the first value ever put on
 * its key: a stale read (values are unique, so that one was overwritten long before). */
static void bl_break(bl_hist *h) {
    for (size_t i = h->n / 2; i < h->n; i++) {
        lz_op *g = &h->ops[i];
        if (g->kind != LZ_GET || g->outcome != LZ_OK || !g->result) continue;
        for (size_t j = 0; j < i; j++) {
            const lz_op *p = &h->ops[j];
            if (p->kind != LZ_PUT || strcmp(p->key, g->key) != 0) continue;
            if (strcmp(p->value, g->result) == 0) break; /* not stale: try the next get */
            g->result = p->value;
            return;
        }
    }
    fprintf(stderr, "bench_linz: found no get to make stale\n");
    exit(1);
}

/* One line: the median time of lz_check on a history of n ops, linearizable or (broken) with
 * one stale read half-way. */
static void bl_row(size_t n, uint32_t nkeys, uint32_t nclients, int broken) {
    bl_hist h;
    bl_generate(&h, 0x5EED0000u + n + nkeys, n, nkeys, nclients);
    if (broken) bl_break(&h);
    double ms[RUNS];
    lz_result res;
    for (int r = 0; r < RUNS; r++) {
        double t0 = now_ms();
        lz_check(h.ops, h.n, 0, &res);
        ms[r] = now_ms() - t0;
        if (res.linearizable != (broken ? LZ_NO : LZ_YES)) {
            fprintf(stderr, "bench_linz: history judged %d:\n%s", res.linearizable, res.explain);
            exit(1);
        }
        if (r + 1 < RUNS) lz_result_free(&res);
    }
    qsort(ms, RUNS, sizeof *ms, cmp_double);
    printf("%8zu %6u %8u %10.2f %12" PRIu64, n, nkeys, nclients, ms[RUNS / 2], res.states_explored);
    if (broken) printf(" %9zu", res.n_culprits);
    printf("\n");
    lz_result_free(&res);
    bl_free(&h);
}

int main(void) {
    printf("lz_check on linearizable histories (median of %d runs; 1%% of ops time out)\n", RUNS);
    printf("%8s %6s %8s %10s %12s\n", "ops", "keys", "clients", "median_ms", "states");
    bl_row(1000, 10, 5, 0);
    bl_row(10000, 100, 5, 0);
    bl_row(100000, 1000, 5, 0);
    bl_row(100000, 100, 5, 0);
    bl_row(100000, 10, 5, 0);
    bl_row(100000, 100, 16, 0);
    printf("one hot key (the worst case: nothing to partition):\n");
    bl_row(1000, 1, 4, 0);
    bl_row(10000, 1, 4, 0);
    bl_row(100000, 1, 4, 0);
    printf("with a stale read half-way: detection, cut, shrink and explanation\n");
    printf("%8s %6s %8s %10s %12s %9s\n", "ops", "keys", "clients", "median_ms", "states",
           "culprits");
    bl_row(100000, 1000, 5, 1);
    bl_row(100000, 10, 5, 1);
    bl_row(10000, 1, 4, 1);
    return 0;
}
