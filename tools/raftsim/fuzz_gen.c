/* fuzz_gen.c - one generated scenario per seed: a pure function of (seed, options). Swarm
 * testing: each seed draws which fault kinds are on and how hard, then a fault window, then a
 * settled phase that must elect a leader and apply a new command (liveness). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/raftsim/fuzz.h"
#include "sim/base/limits.h"
#include "sim/base/rng.h"
#include "sim/base/util.h"

const fuzz_profile fuzz_profiles[] = {
    {"default", "swarm: every seed draws its own mix of faults, rates and load"},
    {"calm", "client load on a healthy network, no faults"},
    {"crashes", "crashes, restarts and pauses under client load"},
    {"partitions", "partitions and one-way links under client load"},
    {"lossy", "drops, duplicates and wide delays under client load"},
    {"chaos", "every fault kind at once, at high rates"},
    {"disks", "slow disks, crashes that lose incomplete (or tear) writes, restarts, load"},
};
const unsigned fuzz_profile_count = sizeof fuzz_profiles / sizeof fuzz_profiles[0];

int fuzz_profile_valid(const char *name) {
    for (unsigned i = 0; i < fuzz_profile_count; i++)
        if (!strcmp(fuzz_profiles[i].name, name)) return 1;
    return 0;
}

static uint32_t profile_features(const char *profile, rs_rng *r) {
    if (!strcmp(profile, "calm")) return FZ_LOAD | FZ_KV;
    if (!strcmp(profile, "crashes")) return FZ_CRASH | FZ_RESTART | FZ_PAUSE | FZ_LOAD | FZ_KV;
    if (!strcmp(profile, "partitions")) return FZ_PARTITION | FZ_LINK | FZ_LOAD | FZ_KV;
    if (!strcmp(profile, "lossy"))
        return FZ_DROP | FZ_DUP | FZ_DELAY | FZ_LOAD | FZ_NETCHANGE | FZ_KV;
    if (!strcmp(profile, "chaos")) return 0xfff;
    if (!strcmp(profile, "disks")) return FZ_CRASH | FZ_RESTART | FZ_LOAD | FZ_KV;
    /* default: swarm. Each kind on with probability 1/2; load nearly always, since most
     * safety bugs need entries to disagree about. */
    uint32_t f = 0;
    for (uint32_t bit = 0; bit < 12; bit++)
        if (rs_rng_chance(r, 0.5)) f |= 1u << bit;
    if (rs_rng_chance(r, 0.9)) f |= FZ_LOAD;
    if (rs_rng_chance(r, 0.7))
        f |= FZ_KV;
    else
        f &= ~(uint32_t)FZ_KV;
    return f;
}

/* A growable event list. */
typedef struct {
    scn_event *v;
    uint32_t n, cap;
} ev_list;

static scn_event *ev_add(ev_list *l, uint64_t at_ms, scn_kind kind) {
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = rs_xrealloc(l->v, l->cap * sizeof *l->v);
    }
    scn_event *e = &l->v[l->n++];
    memset(e, 0, sizeof *e);
    e->at_us = at_ms * 1000;
    e->kind = kind;
    return e;
}

static scn_ref any_node(rs_rng *r, uint32_t nodes) {
    return (scn_ref)rs_rng_range(r, 1, nodes);
}

/* Two or three groups from a random assignment; the nodes of group 0 stay unlisted. */
static void gen_partition(rs_rng *r, uint32_t nodes, scn_event *e) {
    uint32_t k = (uint32_t)rs_rng_range(r, 2, 3);
    uint8_t g[RS_NODES_MAX + 1];
    uint32_t count[3] = {0, 0, 0};
    for (uint32_t i = 1; i <= nodes; i++) count[g[i] = (uint8_t)rs_rng_range(r, 0, k - 1)]++;
    e->n_groups = k - 1;
    e->group_len = rs_xcalloc(e->n_groups, sizeof *e->group_len);
    e->groups = rs_xcalloc(e->n_groups, sizeof *e->groups);
    for (uint32_t gi = 0; gi < e->n_groups; gi++) {
        e->groups[gi] = rs_xcalloc(count[gi + 1] + 1, sizeof **e->groups);
        for (uint32_t i = 1; i <= nodes; i++)
            if (g[i] == gi + 1) e->groups[gi][e->group_len[gi]++] = (scn_ref)i;
    }
}

/* A network change of the fault window: delays up to a few heartbeats in the default profile
 * (its timings are drawn; see gen_cluster_swarm), up to 150 ms in the others. */
static void gen_netchange(rs_rng *r, uint32_t f, const scenario *base, int swarm, scn_event *e) {
    e->has_delay = 1;
    uint64_t hb = base->heartbeat_us / 1000, max;
    if (swarm)
        max = (f & FZ_DELAY) ? rs_rng_range(r, hb / 4 + 1, 3 * hb) : base->delay.max_us / 1000;
    else
        max = (f & FZ_DELAY) ? rs_rng_range(r, 10, 150) : 10;
    e->delay = (scn_range){1000, (max > 1 ? max : 1) * 1000};
    e->has_drop_rate = 1;
    e->drop_rate = (f & FZ_DROP) ? (double)rs_rng_range(r, 0, 40) / 100.0 : 0.0;
    e->has_duplicate_rate = 1;
    e->duplicate_rate = (f & FZ_DUP) ? (double)rs_rng_range(r, 0, 30) / 100.0 : 0.0;
}

/* One fault episode starting at t and ending at end (both in the fault window). */
static void gen_episode(rs_rng *r, uint32_t f, uint32_t nodes, uint64_t t, uint64_t end,
                        const scenario *base, int swarm, ev_list *l) {
    uint32_t kinds[6], nk = 0;
    if (f & FZ_CRASH) kinds[nk++] = FZ_CRASH;
    if (f & FZ_PARTITION) kinds[nk++] = FZ_PARTITION;
    if (f & FZ_LINK) kinds[nk++] = FZ_LINK;
    if (f & FZ_PAUSE) kinds[nk++] = FZ_PAUSE;
    if (f & FZ_NETCHANGE) kinds[nk++] = FZ_NETCHANGE;
    if (nk == 0) return;
    uint32_t kind = kinds[rs_rng_range(r, 0, nk - 1)];
    scn_ref node = any_node(r, nodes);
    /* Faults aimed at the leader find the most bugs; "optional" skips them when there is
     * none at that moment, instead of failing the scenario. */
    int at_leader = rs_rng_chance(r, 0.5);
    if (kind == FZ_CRASH) {
        scn_event *e = ev_add(l, t, SCN_DO_CRASH);
        e->node = at_leader ? SCN_REF_LEADER : node;
        e->optional = (uint8_t)at_leader;
        if (f & FZ_RESTART) {
            e = ev_add(l, end, SCN_DO_RESTART);
            e->node = at_leader ? SCN_REF_CRASHED : node;
            e->optional = (uint8_t)at_leader;
        }
    } else if (kind == FZ_PARTITION) {
        scn_event *e = ev_add(l, t, SCN_DO_PARTITION);
        if (at_leader) { /* the leader alone, or with one other node, in a minority */
            e->n_groups = 1;
            e->group_len = rs_xcalloc(1, sizeof *e->group_len);
            e->groups = rs_xcalloc(1, sizeof *e->groups);
            e->groups[0] = rs_xcalloc(2, sizeof **e->groups);
            e->groups[0][e->group_len[0]++] = SCN_REF_LEADER;
            if (nodes >= 5 && rs_rng_chance(r, 0.5))
                e->groups[0][e->group_len[0]++] = SCN_REF_FOLLOWER;
            e->optional = 1;
        } else {
            gen_partition(r, nodes, e);
        }
        ev_add(l, end, SCN_DO_HEAL);
    } else if (kind == FZ_LINK && nodes >= 2) {
        scn_ref to = any_node(r, nodes - 1);
        if (to >= node) to++;
        scn_event *e = ev_add(l, t, SCN_DO_LINK);
        e->from = node, e->to = to, e->has_up = 1, e->up = 0;
        e = ev_add(l, end, SCN_DO_LINK);
        e->from = node, e->to = to, e->has_up = 1, e->up = 1;
    } else if (kind == FZ_PAUSE) {
        scn_event *e = ev_add(l, t, SCN_DO_PAUSE);
        e->node = at_leader ? SCN_REF_LEADER : node;
        e->optional = (uint8_t)at_leader;
        if (!at_leader)
            ev_add(l, end, SCN_DO_RESUME)->node = node;
        else /* resume every node: who the leader was is not known in advance */
            for (uint32_t i = 1; i <= nodes; i++) ev_add(l, end, SCN_DO_RESUME)->node = (scn_ref)i;
    } else if (kind == FZ_NETCHANGE) {
        gen_netchange(r, f, base, swarm, ev_add(l, t, SCN_DO_NETWORK));
        scn_event *e = ev_add(l, end, SCN_DO_NETWORK);
        e->has_delay = e->has_drop_rate = e->has_duplicate_rate = 1;
        e->delay = base->delay;
        e->drop_rate = base->drop_rate;
        e->duplicate_rate = base->duplicate_rate;
    }
}

/* The profiles other than default: 3, 5 or 7 nodes and one timing model (heartbeat a third of
 * the election timeout's minimum, delays up to 10 ms, or 80 with FZ_DELAY). */
static void gen_cluster_classic(rs_rng *r, uint32_t f, const fuzz_gen_opts *o, scenario *s) {
    static const uint32_t sizes[] = {3, 3, 5, 5, 5, 7};
    s->nodes = o->nodes ? o->nodes : sizes[rs_rng_range(r, 0, 5)];
    uint64_t lo = rs_rng_range(r, 100, 200);
    /* Tight still leaves a spread above twice the settled network's 10 ms delay: with less,
     * split votes can repeat for seconds (a property of Raft, section 5.2), not a bug. */
    uint64_t spread = (f & FZ_TIGHT_TIMEOUTS) ? rs_rng_range(r, 20, 40) : rs_rng_range(r, 50, 200);
    /* With a slow disk an election's round trip holds two writes (the candidate's term and
     * vote, then the voter's vote) besides two network delays: the spread keeps above twice
     * that, as the paper's timing requirement asks (broadcastTime << electionTimeout, section
     * 5.6, where broadcastTime includes persisting). With less, split votes repeat for long. */
    uint64_t disk_ms = s->disk_write.max_us / 1000;
    if ((f & FZ_DISK) && spread < 4 * disk_ms + 40) spread = 4 * disk_ms + 40;
    s->election_timeout = (scn_range){lo * 1000, (lo + spread) * 1000};
    s->heartbeat_us = (lo / 3) * 1000;
    uint64_t dmax = (f & FZ_DELAY) ? rs_rng_range(r, 10, 80) : 10;
    s->delay = (scn_range){1000, dmax * 1000};
}

/* The default profile (swarm over the configuration): the cluster's size, 1 to 7 nodes, even
 * sizes included, and every timing drawn per seed over wide ranges, in whole milliseconds:
 *   heartbeat 5 to 150 ms (mostly 16 to 80);
 *   election timeout minimum barely above the heartbeat (by 1 ms to an eighth of it) for
 *   15% of the seeds, else 2 to 8 heartbeats (at most 400 ms); its range from 1 ms to a
 *   quarter of its minimum wide (FZ_TIGHT_TIMEOUTS: split votes), else from a quarter of its
 *   minimum, and at least an election's round trip on the settled network with a slow disk,
 *   to as wide again as its minimum; at most 500 ms in all;
 *   network delay from 1 to 3 ms at least, and at most a third of a heartbeat more, or with
 *   FZ_DELAY half a heartbeat to three heartbeats (at most 400 ms): longer than the heartbeat.
 * Whatever the loader accepts may come out; the settled phase claims liveness only where
 * Raft's timing requirement holds (plan_settle). */
static void gen_cluster_swarm(rs_rng *r, uint32_t f, const fuzz_gen_opts *o, scenario *s) {
    s->nodes = o->nodes ? o->nodes : (uint32_t)rs_rng_range(r, 1, 7);
    uint64_t dice = rs_rng_range(r, 0, 99);
    uint64_t hb = dice < 15   ? rs_rng_range(r, 5, 15)
                  : dice < 85 ? rs_rng_range(r, 16, 80)
                              : rs_rng_range(r, 81, 150);
    uint64_t lo = rs_rng_chance(r, 0.15) ? hb + rs_rng_range(r, 1, 1 + hb / 8)
                                         : hb * rs_rng_range(r, 20, 80) / 10;
    if (lo > 400) lo = hb < 400 ? 400 : hb + 1;
    uint64_t round_trip = 2 * (s->disk_write.max_us / 1000) + 25, least = lo / 4 + 1;
    if (least < round_trip) least = round_trip;
    uint64_t spread = (f & FZ_TIGHT_TIMEOUTS) ? rs_rng_range(r, 1, lo / 4 + 1)
                                              : rs_rng_range(r, least, least > lo ? least : lo);
    if (lo + spread > 500) spread = lo < 500 ? 500 - lo : 0;
    s->heartbeat_us = hb * 1000;
    s->election_timeout = (scn_range){lo * 1000, (lo + spread) * 1000};
    /* Not 0: with every delay 0 a client's operations start and end in the same microsecond,
     * all concurrent with each other, and the linearizability search explodes. */
    uint64_t dmin = rs_rng_range(r, 1, 3);
    uint64_t dmax = (f & FZ_DELAY) ? rs_rng_range(r, hb / 2 + 1, 3 * hb)
                                   : rs_rng_range(r, dmin, dmin + hb / 3);
    if (dmax > 400) dmax = 400;
    if (dmax < dmin) dmax = dmin;
    s->delay = (scn_range){dmin * 1000, dmax * 1000};
}

static void gen_cluster(rs_rng *r, uint32_t f, const fuzz_gen_opts *o, int swarm, scenario *s) {
    if (swarm)
        gen_cluster_swarm(r, f, o, s);
    else
        gen_cluster_classic(r, f, o, s);
    s->drop_rate = (f & FZ_DROP) ? (double)rs_rng_range(r, 1, 25) / 100.0 : 0.0;
    s->duplicate_rate = (f & FZ_DUP) ? (double)rs_rng_range(r, 1, 20) / 100.0 : 0.0;
}

/* The disk (SPEC section 7), from a stream of its own so that every other draw of a seed is
 * what it was before disks were drawn: write latency comparable to the network's delays, and
 * torn writes half of the time. The default profile draws it for half of the seeds; "disks"
 * and "chaos" always. */
static uint32_t gen_disk(uint64_t seed, const char *profile, scenario *s) {
    rs_rng r;
    rs_rng_seed(&r, seed, 0xD15C);
    int on = !strcmp(profile, "disks") || !strcmp(profile, "chaos") ||
             (!strcmp(profile, "default") && rs_rng_chance(&r, 0.5));
    if (!on) return 0;
    uint64_t lo = rs_rng_range(&r, 0, 5), hi = lo + rs_rng_range(&r, 1, 40);
    s->disk_write = (scn_range){lo * 1000, hi * 1000};
    s->torn_writes = (uint8_t)rs_rng_chance(&r, 0.5);
    return FZ_DISK;
}

/* Failed writes, for a quarter of the default profile's seeds that draw a disk (half in "disks"
 * and "chaos"), when the implementation can fail its writes: each write batch fails with a
 * probability of 0.2% to 3%. From a stream of its own, so that every other draw of a seed is
 * what it was before. Returns 1 when drawn. */
static int gen_disk_fail(uint64_t seed, const char *profile, const fuzz_gen_opts *o, scenario *s) {
    const node_impl *impl = node_impl_find(o->impl ? o->impl : node_impls[0]->name);
    if (!impl || !(impl->features & NODE_FEAT_FAILED_WRITES) || s->disk_write.max_us == 0) return 0;
    rs_rng r;
    rs_rng_seed(&r, seed, 0xFA11);
    if (!rs_rng_chance(&r, strcmp(profile, "default") ? 0.5 : 0.25)) return 0;
    s->disk_fail = (double)rs_rng_range(&r, 2, 30) / 1000.0;
    return 1;
}

/* A node that fails a write stops until restarted: with failed writes drawn, the crashed
 * nodes are restarted now and then in the window (every 100 to 600 ms), from the same stream
 * as the rate. */
static void gen_fail_restarts(uint64_t seed, uint64_t h, ev_list *l);

/* cluster.snapshot for half of the seeds. */
static void gen_snapshot(rs_rng *r, scenario *s) {
    if (!rs_rng_chance(r, 0.5)) return;
    s->snapshot_every = (uint32_t)rs_rng_range(r, 1, 40);
    s->snapshot_trailing = (uint32_t)rs_rng_range(r, 1, 2 * (uint64_t)s->snapshot_every);
}

/* The switches of SPEC section 8 the implementation has, each on for half of the seeds, from a
 * stream of their own (the other draws stay what they were). */
static void gen_switches(uint64_t seed, const fuzz_gen_opts *o, scenario *s) {
    const node_impl *impl = node_impl_find(o->impl ? o->impl : node_impls[0]->name);
    rs_rng r, own;
    rs_rng_seed(&r, seed, 0x5317C4);
    rs_rng_seed(&own, seed, 0x5A4B);
    if (impl && (impl->features & NODE_FEAT_PREVOTE)) s->prevote = (uint8_t)rs_rng_chance(&r, 0.5);
    /* Snapshots often enough that a lagging follower gets one installed: every 1 to 40
     * applied entries, keeping 1 to twice that many behind. Canonical raft draws them here, as
     * it always did; the built-in node, which gained them later, from a stream of their own
     * (gen_snapshot), so that its other switches keep the values its seeds had. */
    int own_stream = impl && strcmp(impl->name, "canonical") != 0;
    if (impl && (impl->features & NODE_FEAT_SNAPSHOT))
        gen_snapshot(own_stream ? &own : &r, s);
    if (impl && (impl->features & NODE_FEAT_CHECK_QUORUM))
        s->check_quorum = (uint8_t)rs_rng_chance(&r, 0.5);
    if (impl && (impl->features & NODE_FEAT_NOOP)) s->noop = (uint8_t)rs_rng_chance(&r, 0.5);
    if (impl && (impl->features & NODE_FEAT_READ_INDEX))
        s->read_index = (uint8_t)rs_rng_chance(&r, 0.5);
}

/* Clock drift, for a quarter of the default profile's seeds: each node's clock runs at 0.8 to
 * 1.25 times real time; from a stream of its own (the other draws stay what they were). */
static void gen_drift(uint64_t seed, const char *profile, scenario *s) {
    rs_rng r;
    rs_rng_seed(&r, seed, 0xC10C);
    if (strcmp(profile, "default") != 0 || !rs_rng_chance(&r, 0.25)) return;
    s->clock_ppm = rs_xcalloc((size_t)s->nodes + 1, sizeof *s->clock_ppm);
    for (uint32_t i = 1; i <= s->nodes; i++)
        s->clock_ppm[i] = (uint32_t)rs_rng_range(&r, 800000, 1250000);
}

/* Client load: a command to a random node every period (a non-leader refuses it). */
static void gen_load(rs_rng *r, uint32_t nodes, uint64_t from, uint64_t to, ev_list *l) {
    uint64_t period = rs_rng_range(r, 5, 60);
    for (uint64_t t = from; t < to; t += period) {
        scn_event *e = ev_add(l, t, SCN_DO_SUBMIT);
        e->node = any_node(r, nodes);
        e->count = 1;
    }
}

static char *fmt_value(uint32_t client, uint32_t n) {
    char buf[48];
    rs_text t = {buf, 0, sizeof buf}; /* "client.n;": unique, and readable once appended */
    rs_text_u64(&t, client);
    rs_text_str(&t, ".");
    rs_text_u64(&t, n);
    rs_text_str(&t, ";");
    return rs_xstrdup(buf);
}

/* Key-value clients: each issues operations at random moments of the window on a few keys,
 * with values unique per operation so that a lost or doubled write shows in what is read. */
static void gen_kv(rs_rng *r, uint64_t h, ev_list *l) {
    static const char *const keys[] = {"k1", "k2", "k3"};
    uint32_t clients = (uint32_t)rs_rng_range(r, 1, 4), n_keys = (uint32_t)rs_rng_range(r, 1, 3);
    uint64_t period = rs_rng_range(r, 20, 200);
    for (uint32_t c = 1; c <= clients; c++) {
        uint32_t n = 0;
        for (uint64_t t = rs_rng_range(r, 0, period); t < h; t += rs_rng_range(r, 1, 2 * period)) {
            scn_event *e = ev_add(l, t, SCN_DO_KV);
            e->client = c;
            e->key = rs_xstrdup(keys[rs_rng_range(r, 0, n_keys - 1)]);
            uint64_t dice = rs_rng_range(r, 0, 9);
            e->kv_op = dice < 3   ? SCN_KV_PUT
                       : dice < 6 ? SCN_KV_APPEND
                       : dice < 9 ? SCN_KV_GET
                                  : SCN_KV_CAS;
            if (e->kv_op != SCN_KV_GET) e->value = fmt_value(c, ++n);
            if (e->kv_op == SCN_KV_CAS) /* expect a value this client may have written */
                e->from_value = fmt_value(c, (uint32_t)rs_rng_range(r, 1, n));
        }
    }
}

/* The settled phase's network, and whether Raft promises a leader under the seed's timings.
 * Raft is live only where its timing requirement holds (broadcastTime << electionTimeout <<
 * MTBF, section 5.6), and the draws above reach past it on purpose; so the settled phase
 * checks liveness only where, on the settled network (delays from 1 ms to 1 ms + jitter, no
 * loss), both of these hold with a tenth of the election timeout to spare:
 *   - a healthy leader is heard often enough: the longest gap between what a follower hears
 *     from it stays below the election timeout's minimum. Built-in node: a heartbeat
 *     interval, plus a disk write (a message waits for the writes before it), plus jitter.
 *     canonical raft: two heartbeat intervals (it sends a heartbeat on a tick only once a
 *     whole interval has passed since its last message to that follower), plus the round
 *     trip of the follower's answer with its write (a leader that hears from no majority
 *     within an election timeout steps down);
 *   - elections end: the randomized range (canonical raft: [min, 2 min]) is at least an
 *     election's round trip (request and answer, each behind a write; twice with pre-vote),
 *     and three rounds fit in the 2 s the phase gives for a leader.
 * With clock drift every duration is taken on the clock that makes it worst: heartbeats on the
 * slowest clock, election timeouts on the fastest (and their range narrowed by it), election
 * rounds on the slowest. Where they do not hold, the phase still heals and restarts
 * everything (safety is checked as ever), but expects no leader; the description says why. */
typedef struct {
    uint64_t delay_max_us;
    int live;
    char why[200];
} settle_plan;

static void plan_settle(const scenario *s, const fuzz_gen_opts *o, settle_plan *p) {
    int canonical = o->impl && !strcmp(o->impl, "canonical");
    int64_t slow = 1000000, fast = 1000000; /* the slowest and fastest clocks, in ppm */
    for (uint32_t i = 1; s->clock_ppm && i <= s->nodes; i++) {
        if (s->clock_ppm[i] < slow) slow = s->clock_ppm[i];
        if (s->clock_ppm[i] > fast) fast = s->clock_ppm[i];
    }
    int64_t hb = (int64_t)s->heartbeat_us * 1000000 / slow, disk = (int64_t)s->disk_write.max_us;
    int64_t emin_own = (int64_t)s->election_timeout.min_us;
    int64_t emax_own = canonical ? 2 * emin_own : (int64_t)s->election_timeout.max_us;
    int64_t emin = emin_own * 1000000 / fast;
    int64_t emax = emin + (emax_own - emin_own) * 1000000 / fast; /* the narrowest range */
    int64_t emax_slow = emax_own * 1000000 / slow;
    int64_t margin = emin / 10 > 1000 ? emin / 10 : 1000;
    int64_t gap = canonical ? 2 * hb + 2000 + disk : hb + disk;
    int64_t budget = emin - margin - gap;
    p->live = 1;
    p->why[0] = '\0';
    p->delay_max_us = 10000;
    if (s->nodes == 1) {
        /* A lone node elects itself, once its vote is durable: a disk slower than its election
         * timeout makes it stand again before it can count its own vote, for ever. */
        if (disk > 0 && disk + margin >= emin) {
            p->live = 0;
            snprintf(p->why, sizeof p->why,
                     "a lone node's vote takes up to %.0f ms to be durable, not within its "
                     "election timeout's %.0f ms",
                     (double)disk / 1000, (double)(emin - margin) / 1000);
        }
        return;
    }
    if (budget < 0) {
        p->live = 0, p->delay_max_us = 1000;
        snprintf(p->why, sizeof p->why,
                 "a healthy leader may be silent for %.0f ms, not within the election "
                 "timeout's %.0f ms",
                 (double)gap / 1000, (double)(emin - margin) / 1000);
        return;
    }
    int64_t jitter = budget / (canonical ? 3 : 1);
    if (jitter > 9000) jitter = 9000;
    p->delay_max_us = 1000 + (uint64_t)jitter;
    int64_t rtt = (2 * (int64_t)p->delay_max_us + 2 * disk) * (s->prevote ? 2 : 1);
    int64_t round = emax_slow + rtt + (canonical ? hb : 0); /* canonical: timers on ticks */
    /* In an even cluster two candidates at once can tie (one in two nodes, two in four): any
     * overlap within a round trip wastes the round, so the range must be wider. */
    int64_t need = s->nodes == 2 ? 3 * rtt : s->nodes % 2 == 0 ? 2 * rtt : rtt;
    if (emax - emin < need) {
        p->live = 0;
        snprintf(p->why, sizeof p->why,
                 "the election timeout's range (%.0f ms) is narrower than %.0f ms (%s an "
                 "election's round trip): split votes may repeat",
                 (double)(emax - emin) / 1000, (double)need / 1000,
                 need == rtt ? "" : s->nodes == 2 ? "three times" : "twice");
    } else if (3 * round > 2000000) {
        p->live = 0;
        snprintf(p->why, sizeof p->why,
                 "an election round may take %.0f ms: three do not fit in the 2 s for a leader",
                 (double)round / 1000);
    }
}

static int has_kind(const ev_list *l, scn_kind kind) {
    for (uint32_t i = 0; i < l->n; i++)
        if (l->v[i].kind == kind) return 1;
    return 0;
}

/* With membership changes the settled cluster's voters are not known in advance (a change may
 * be refused, or lost with its leader): anything from one voter to every id. The election
 * timeout's range must then do for the worst of those sizes, two voters (plan_settle's rule);
 * one voter elects itself at once. */
static void plan_members(const scenario *s, const fuzz_gen_opts *o, settle_plan *p) {
    if (!p->live) return;
    scenario two = *s;
    two.nodes = 2;
    /* The slowest and the fastest clock of any voter: spares run on true time. */
    uint32_t ppm[3] = {1000000, 1000000, 1000000};
    for (uint32_t i = 1; s->clock_ppm && i <= s->nodes; i++) {
        if (s->clock_ppm[i] < ppm[1]) ppm[1] = s->clock_ppm[i];
        if (s->clock_ppm[i] > ppm[2]) ppm[2] = s->clock_ppm[i];
    }
    two.clock_ppm = s->clock_ppm ? ppm : NULL;
    settle_plan q;
    plan_settle(&two, o, &q);
    if (!q.live) {
        p->live = 0;
        snprintf(p->why, sizeof p->why, "membership changes may leave two voters: %.140s", q.why);
    }
    /* A lone node's plan allows any delay; two voters need the settled network's bound. */
    if (q.delay_max_us < p->delay_max_us) p->delay_max_us = q.delay_max_us;
}

/* After the window: everything healed and back up, the settled network; where the plan
 * promises liveness, a leader within 2 s, and a new command, offered to every node a few
 * times, applied everywhere within the run. */
static void gen_settle(uint32_t nodes, uint64_t h, const scenario *s, const settle_plan *p,
                       ev_list *l) {
    ev_add(l, h, SCN_DO_HEAL);
    if (s->disk_fail > 0) ev_add(l, h, SCN_DO_DISK)->fail = 0.0; /* no more failed writes */
    scn_event *e = ev_add(l, h, SCN_DO_NETWORK);
    e->has_delay = e->has_drop_rate = e->has_duplicate_rate = 1;
    e->delay = (scn_range){1000, p->delay_max_us};
    for (uint32_t i = 1; i <= nodes; i++) ev_add(l, h, SCN_DO_RESTART)->node = (scn_ref)i;
    for (uint32_t i = 1; i <= nodes; i++) ev_add(l, h, SCN_DO_RESUME)->node = (scn_ref)i;
    if (!p->live) return;
    e = ev_add(l, h, SCN_EXPECT);
    e->has_within = 1, e->within_us = 2000000, e->expect.has_leader = 1;
    e->expect.leader = SCN_LEADER_ANY;
    for (uint64_t t = h + 1000; t <= h + 2000; t += 500)
        for (uint32_t i = 1; i <= nodes; i++) {
            e = ev_add(l, t, SCN_DO_SUBMIT);
            e->node = (scn_ref)i;
            e->command = rs_xstrdup(FUZZ_LIVENESS_CMD);
        }
    e = ev_add(l, h + 1000, SCN_EXPECT);
    e->has_within = 1, e->within_us = s->run_us - (h + 1000) * 1000;
    e->expect.applied_cmd = rs_xstrdup(FUZZ_LIVENESS_CMD);
}

/* A final read of every key by a fresh client once settled: an acknowledged write that was
 * lost then shows in the history. */
static void gen_final_reads(uint64_t h, ev_list *l) {
    static const char *const keys[] = {"k1", "k2", "k3"};
    for (uint32_t i = 0; i < 3; i++) {
        scn_event *e = ev_add(l, h + 2000, SCN_DO_KV);
        e->client = 100;
        e->kv_op = SCN_KV_GET;
        e->key = rs_xstrdup(keys[i]);
    }
}

/* Leadership transfers (SPEC section 8), for an implementation that has them: half of the seeds
 * ask the leader of the moment to hand over to a random node (itself, or a crashed one,
 * included) one to four times in the window; from a stream of their own, so a seed's other
 * draws are what they were. */
static void gen_transfers(uint64_t seed, const fuzz_gen_opts *o, uint32_t nodes, uint64_t h,
                          ev_list *l) {
    const node_impl *impl = node_impl_find(o->impl ? o->impl : node_impls[0]->name);
    if (!impl || !(impl->features & NODE_FEAT_TRANSFER)) return;
    rs_rng r;
    rs_rng_seed(&r, seed, 0x7A45F);
    if (!rs_rng_chance(&r, 0.5)) return;
    for (uint64_t n = rs_rng_range(&r, 1, 4); n > 0; n--) {
        scn_event *e = ev_add(l, rs_rng_range(&r, 0, h - 1), SCN_DO_TRANSFER);
        e->to = (scn_ref)rs_rng_range(&r, 1, nodes);
        e->optional = 1;
    }
}

static void gen_fail_restarts(uint64_t seed, uint64_t h, ev_list *l) {
    rs_rng r;
    rs_rng_seed(&r, seed, 0xFA11 + 1);
    for (uint64_t t = rs_rng_range(&r, 100, 600); t < h; t += rs_rng_range(&r, 100, 600)) {
        scn_event *e = ev_add(l, t, SCN_DO_RESTART);
        e->node = SCN_REF_CRASHED;
        e->optional = 1;
    }
}

/* Membership changes (SPEC section 8), for an implementation that has them: a third of the
 * default profile's seeds (and every chaos seed) ask the leader of the moment for changes in one
 * to four bursts in the window, each of one to three changes at the same instant (a second
 * change then comes while the first is surely still in flight, which is what two_changes
 * needs): remove a node (an id, or the leader), or add a spare (ids above the cluster, at most
 * two). From a stream of their own, so a seed's other draws are what they were. Returns the id
 * space (nodes, or the highest spare added). */
static uint32_t gen_members(uint64_t seed, const fuzz_gen_opts *o, const char *profile,
                            uint32_t nodes, uint64_t h, ev_list *l) {
    const node_impl *impl = node_impl_find(o->impl ? o->impl : node_impls[0]->name);
    if (!impl || !(impl->features & NODE_FEAT_MEMBERS)) return nodes;
    rs_rng r;
    rs_rng_seed(&r, seed, 0x3E3B3E5);
    int on = !strcmp(profile, "chaos") || (!strcmp(profile, "default") && rs_rng_chance(&r, 0.33));
    if (!on) return nodes;
    uint32_t space = nodes, spares_max = nodes + 2 <= RS_NODES_MAX ? nodes + 2 : RS_NODES_MAX;
    for (uint64_t b = rs_rng_range(&r, 1, 4); b > 0; b--) {
        uint64_t t = rs_rng_range(&r, 0, h - 1);
        for (uint64_t n = rs_rng_range(&r, 1, 3); n > 0; n--) {
            if (space < spares_max && rs_rng_chance(&r, 0.3)) {
                ev_add(l, t, SCN_DO_ADD)->node = (scn_ref)++space;
                continue;
            }
            scn_event *e = ev_add(l, t, SCN_DO_REMOVE);
            e->node = rs_rng_chance(&r, 0.2) ? SCN_REF_LEADER : (scn_ref)rs_rng_range(&r, 1, space);
            e->optional = 1;
        }
    }
    return space;
}

/* Stable merge sort by time: equal times keep generation order (an episode's own order). The
 * keys (time, position) are sorted, then the events moved once: an event is a large struct. */
typedef struct {
    uint64_t at_us;
    uint32_t pos;
} ev_key;

static void sort_by_time(scn_event *v, uint32_t n) {
    ev_key *k = rs_xmalloc((size_t)n * sizeof *k + 1), *tmp = rs_xmalloc((size_t)n * sizeof *tmp + 1);
    for (uint32_t i = 0; i < n; i++) k[i] = (ev_key){v[i].at_us, i};
    for (uint32_t width = 1; width < n; width *= 2) {
        for (uint32_t lo = 0; lo < n; lo += 2 * width) {
            uint32_t mid = lo + width < n ? lo + width : n;
            uint32_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            uint32_t i = lo, j = mid, o = lo;
            while (i < mid && j < hi) tmp[o++] = k[j].at_us < k[i].at_us ? k[j++] : k[i++];
            while (i < mid) tmp[o++] = k[i++];
            while (j < hi) tmp[o++] = k[j++];
        }
        memcpy(k, tmp, (size_t)n * sizeof *k);
    }
    free(tmp);
    scn_event *sorted = rs_xmalloc((size_t)n * sizeof *sorted + 1);
    for (uint32_t i = 0; i < n; i++) sorted[i] = v[k[i].pos];
    memcpy(v, sorted, (size_t)n * sizeof *v);
    free(sorted);
    free(k);
}

void fuzz_generate(uint64_t seed, const fuzz_gen_opts *o, scenario *s) {
    rs_rng r;
    rs_rng_seed(&r, seed, 0xF022);
    memset(s, 0, sizeof *s);
    char name[64];
    snprintf(name, sizeof name, "fuzz-seed-%" PRIu64, seed);
    s->name = rs_xstrdup(name);
    const char *profile = o->profile ? o->profile : "default";
    int swarm = !strcmp(profile, "default");
    uint32_t f = profile_features(profile, &r);
    f |= gen_disk(seed, profile, s);
    gen_switches(seed, o, s);
    s->seed = seed;
    if (o->impl) s->implementation = rs_xstrdup(o->impl);
    scn_range disk = s->disk_write;
    gen_cluster(&r, f, o, swarm, s);
    s->disk_write = disk;
    gen_drift(seed, profile, s);
    int fails = gen_disk_fail(seed, profile, o, s);
    uint64_t total = o->time_ms ? o->time_ms : FUZZ_TIME_MS_DEFAULT;
    ASSERT(total >= FUZZ_SETTLE_MS + 100);
    s->run_us = total * 1000;
    settle_plan plan;
    plan_settle(s, o, &plan);
    char desc[400];
    snprintf(desc, sizeof desc, "generated by raftsim fuzz, profile %s, features 0x%03x%s%s",
             profile, f, plan.live ? "" : "; no liveness check: ", plan.why);
    s->description = rs_xstrdup(desc);
    uint64_t h = total - FUZZ_SETTLE_MS; /* the fault window is [0, h) */
    ev_list l = {0};
    uint32_t episodes = (uint32_t)rs_rng_range(&r, 1, 4 + h / 250);
    for (uint32_t i = 0; i < episodes; i++) {
        uint64_t t = rs_rng_range(&r, 0, h - 1);
        uint64_t end = t + rs_rng_range(&r, 20, 1500);
        gen_episode(&r, f, s->nodes, t, end < h ? end : h - 1, s, swarm, &l);
    }
    if (f & FZ_LOAD) gen_load(&r, s->nodes, 50, h, &l);
    if (f & FZ_KV) gen_kv(&r, h, &l);
    gen_transfers(seed, o, s->nodes, h, &l);
    if (fails) gen_fail_restarts(seed, h, &l);
    uint32_t space = gen_members(seed, o, profile, s->nodes, h, &l);
    if (space != s->nodes || has_kind(&l, SCN_DO_REMOVE)) plan_members(s, o, &plan);
    gen_settle(space, h, s, &plan, &l);
    if (f & FZ_KV) gen_final_reads(h, &l);
    sort_by_time(l.v, l.n);
    s->events = l.v;
    s->n_events = l.n;
}

int fuzz_checks_liveness(const scenario *s) {
    for (uint32_t i = s->n_events; i-- > 0;) {
        const char *c = s->events[i].expect.applied_cmd;
        if (s->events[i].kind == SCN_EXPECT && c && !strcmp(c, FUZZ_LIVENESS_CMD)) return 1;
    }
    return 0;
}

/* The settled phase's expectations are its only ones: a leader (any) within a window, and
 * the liveness command applied. */
int fuzz_is_liveness(const scenario *s, const sim_result *r) {
    if (r->status != SIM_EXPECT_FAILED || r->fail_event < 0 ||
        (uint64_t)r->fail_event >= s->n_events)
        return 0;
    const scn_event *e = &s->events[r->fail_event];
    if (e->kind != SCN_EXPECT) return 0;
    const scn_expect *x = &e->expect;
    return (x->applied_cmd && !strcmp(x->applied_cmd, FUZZ_LIVENESS_CMD)) ||
           (x->has_leader && x->leader == SCN_LEADER_ANY && e->has_within);
}
