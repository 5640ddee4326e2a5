/* shrink.c - reduces a failing scenario to a smaller one that fails the same way (the same
 * invariant, or the same kind of failure): fewer events, fewer nodes, a shorter run, lower
 * fault rates. Greedy passes, each keeping only the reductions that still fail, repeated
 * until a whole round changes nothing or the run budget is spent. */
#include <string.h>

#include "tools/raftsim/fuzz.h"
#include "sim/base/limits.h"
#include "sim/base/util.h"

typedef struct {
    const sim_result *target;
    const shrink_opts *o;
    uint32_t runs;
    scenario best;
    /* An expectation that failed is judged on what happens from its time on (a liveness
     * check after the heal): events from then on stay, or the failure would change cause. */
    uint64_t keep_from_us;
} shrinker;

static int same_failure(const sim_result *r, const sim_result *target) {
    if (r->status != target->status) return 0;
    if (r->status == SIM_VIOLATION)
        return strcmp(r->violation.invariant, target->violation.invariant) == 0;
    return 1;
}

/* Membership: an id above the cluster is valid only while an add event brings it in. */
static int id_known(scn_ref r, uint32_t nodes, const uint8_t *added) {
    return r <= 0 || (uint32_t)r <= nodes || added[r];
}

/* Whether event e still names only known ids (ids of adds that were cut, or that the cluster
 * now starts with, are not); group members that are not are dropped from their group. */
static int members_fit(scn_event *e, uint32_t nodes, const uint8_t *added) {
    if (e->kind == SCN_DO_ADD) return (uint32_t)e->node > nodes;
    for (uint32_t g = 0; g < e->n_groups; g++) {
        uint32_t m = 0;
        for (uint32_t j = 0; j < e->group_len[g]; j++)
            if (id_known(e->groups[g][j], nodes, added)) e->groups[g][m++] = e->groups[g][j];
        e->group_len[g] = m;
    }
    for (uint32_t j = 0; j < e->expect.n_on; j++)
        if (!id_known(e->expect.on[j], nodes, added)) return 0;
    for (uint32_t id = nodes + 1; e->expect.has_members && id <= RS_NODES_MAX; id++)
        if (((e->expect.members[id >> 6] >> (id & 63)) & 1u) && !added[id]) return 0;
    return id_known(e->node, nodes, added) && id_known(e->from, nodes, added) &&
           id_known(e->to, nodes, added) && id_known(e->expect.role_node, nodes, added) &&
           (!e->expect.has_leader || e->expect.leader < 0 ||
            id_known(e->expect.leader, nodes, added)) &&
           (!e->expect.has_leader_not || id_known(e->expect.leader_not, nodes, added));
}

/* A copy of the best without events [from, from + count), and without events that no longer
 * fit in the run (an expectation's window included) or name a node no add brings in. */
static void without_events(const scenario *s, uint32_t from, uint32_t count, scenario *out) {
    scn_copy(out, s);
    uint8_t added[RS_NODES_MAX + 1] = {0};
    for (uint32_t i = 0; i < out->n_events; i++)
        if (out->events[i].kind == SCN_DO_ADD && !(i >= from && i < from + count) &&
            (uint32_t)out->events[i].node > out->nodes)
            added[out->events[i].node] = 1;
    uint32_t k = 0;
    for (uint32_t i = 0; i < out->n_events; i++) {
        scn_event *e = &out->events[i];
        int fits =
            e->at_us <= out->run_us && (!e->has_within || e->within_us <= out->run_us - e->at_us);
        if ((i >= from && i < from + count) || !fits || !members_fit(e, out->nodes, added)) {
            scn_event_free(e);
            continue;
        }
        out->events[k++] = *e;
    }
    out->n_events = k;
}

/* Runs a candidate; if it fails the same way it becomes the best, and 1 is returned. The
 * candidate is consumed either way. */
static int try_candidate(shrinker *sh, scenario *cand) {
    if (sh->runs >= sh->o->max_runs) {
        scn_free(cand);
        return 0;
    }
    sh->runs++;
    sim_result r;
    sim_config cfg = {.scn = cand,
                      .seed = cand->seed,
                      .bugs = sh->o->bugs,
                      .build = "shrink",
                      .max_steps = 20000000};
    sim_run(&cfg, &r);
    if (!same_failure(&r, sh->target)) {
        scn_free(cand);
        return 0;
    }
    /* Nothing after the failure ran: cutting the run there changes nothing before it. */
    if (r.end_us + 1000 < cand->run_us) cand->run_us = r.end_us + 1000;
    scn_free(&sh->best);
    without_events(cand, 0, 0, &sh->best);
    scn_free(cand);
    return 1;
}

/* For an expectation that failed (a liveness failure, say), the actions that end faults (heal,
 * restart, resume) stay: without them the expectation fails trivially, for another reason
 * (a partition never healed), and the shrunk scenario would no longer show the failure. */
static int pinned_in(const shrinker *sh, uint32_t from, uint32_t chunk) {
    if (sh->target->status != SIM_EXPECT_FAILED) return 0;
    for (uint32_t i = from; i < from + chunk && i < sh->best.n_events; i++) {
        scn_kind k = sh->best.events[i].kind;
        if (k == SCN_DO_HEAL || k == SCN_DO_RESTART || k == SCN_DO_RESUME) return 1;
    }
    return 0;
}

/* Delta debugging over the event list: remove chunks, halving their size. */
static int pass_events(shrinker *sh) {
    int progress = 0;
    uint32_t n = sh->best.n_events;
    for (uint32_t chunk = n / 2 ? n / 2 : 1; chunk >= 1; chunk /= 2) {
        for (uint32_t from = 0; from < sh->best.n_events;) {
            if (sh->best.events[from].at_us >= sh->keep_from_us) break;
            if (pinned_in(sh, from, chunk)) {
                from += chunk;
                continue;
            }
            scenario cand;
            without_events(&sh->best, from, chunk, &cand);
            if (try_candidate(sh, &cand))
                progress = 1; /* same index now holds new events */
            else
                from += chunk;
        }
        if (chunk == 1) break;
    }
    return progress;
}

static int ref_fits(scn_ref r, uint32_t nodes) {
    return r <= 0 || (uint32_t)r <= nodes;
}

/* The scenario on fewer nodes: events about removed nodes go, groups lose them. */
static void with_nodes(const scenario *s, uint32_t nodes, scenario *out) {
    scenario tmp;
    scn_copy(&tmp, s);
    tmp.nodes = nodes;
    uint32_t k = 0;
    for (uint32_t i = 0; i < tmp.n_initial; i++)
        if (tmp.initial[i].node <= nodes)
            tmp.initial[k++] = tmp.initial[i];
        else {
            for (uint32_t j = 0; j < tmp.initial[i].n_log; j++) free(tmp.initial[i].log[j].cmd);
            free(tmp.initial[i].log);
        }
    tmp.n_initial = k;
    for (uint32_t i = 0; i < tmp.n_initial; i++)
        if (tmp.initial[i].voted_for > nodes) tmp.initial[i].voted_for = 0;
    for (uint32_t i = 0; i < tmp.n_events; i++) {
        scn_event *e = &tmp.events[i];
        for (uint32_t g = 0; g < e->n_groups; g++) {
            uint32_t m = 0;
            for (uint32_t j = 0; j < e->group_len[g]; j++)
                if (ref_fits(e->groups[g][j], nodes)) e->groups[g][m++] = e->groups[g][j];
            e->group_len[g] = m;
        }
        uint32_t m = 0, had_on = e->expect.n_on;
        for (uint32_t j = 0; j < e->expect.n_on; j++)
            if (ref_fits(e->expect.on[j], nodes)) e->expect.on[m++] = e->expect.on[j];
        e->expect.n_on = m;
        int keep = ref_fits(e->node, nodes) && ref_fits(e->from, nodes) && ref_fits(e->to, nodes) &&
                   ref_fits(e->expect.role_node, nodes) &&
                   (!e->expect.has_leader || ref_fits(e->expect.leader, nodes)) &&
                   (!e->expect.has_leader_not || e->expect.leader_not <= nodes) &&
                   !(had_on > 0 && m == 0); /* an emptied `on` would mean every node */
        if (!keep) e->at_us = UINT64_MAX;   /* marked: dropped below */
    }
    without_events(&tmp, 0, 0, out);
    scn_free(&tmp);
}

static int pass_nodes(shrinker *sh) {
    for (uint32_t n = 1; n < sh->best.nodes; n++) {
        scenario cand;
        with_nodes(&sh->best, n, &cand);
        if (try_candidate(sh, &cand)) return 1;
    }
    return 0;
}

/* Calmer network: each rate to zero, delay ranges narrowed, submit counts halved; then the
 * switches of SPEC section 8 off (snapshots, pre-vote, check-quorum, no-op, ReadIndex), so the minimal
 * scenario names only the features the failure needs; and no more failed writes (disk.fail). */
static int pass_rates(shrinker *sh) {
    int progress = 0;
    for (int what = 0; what < 10; what++) {
        scenario cand;
        scn_copy(&cand, &sh->best);
        int changed = 0;
        if (what == 0 && cand.drop_rate > 0) cand.drop_rate = 0, changed = 1;
        if (what == 1 && cand.duplicate_rate > 0) cand.duplicate_rate = 0, changed = 1;
        if (what == 2 && cand.delay.max_us > cand.delay.min_us)
            cand.delay.max_us = cand.delay.min_us + (cand.delay.max_us - cand.delay.min_us) / 2,
            changed = 1;
        if (what == 4 && cand.snapshot_every) cand.snapshot_every = cand.snapshot_trailing = 0, changed = 1;
        if (what == 5 && cand.prevote) cand.prevote = 0, changed = 1;
        if (what == 6 && cand.check_quorum) cand.check_quorum = 0, changed = 1;
        if (what == 7 && cand.noop) cand.noop = 0, changed = 1;
        if (what == 8 && cand.read_index) cand.read_index = 0, changed = 1;
        if (what == 9 && cand.disk_fail > 0) cand.disk_fail = 0, changed = 1; /* failed writes */
        for (uint32_t i = 0; i < cand.n_events; i++) {
            scn_event *e = &cand.events[i];
            if (what == 0 && e->has_drop_rate && e->drop_rate > 0) e->drop_rate = 0, changed = 1;
            if (what == 1 && e->has_duplicate_rate && e->duplicate_rate > 0)
                e->duplicate_rate = 0, changed = 1;
            if (what == 3 && e->kind == SCN_DO_SUBMIT && !e->command && e->count > 1)
                e->count /= 2, changed = 1;
        }
        if (!changed) {
            scn_free(&cand);
            continue;
        }
        if (try_candidate(sh, &cand)) progress = 1;
    }
    return progress;
}

uint32_t fuzz_shrink(const scenario *in, const sim_result *failure, const shrink_opts *o,
                     scenario *out) {
    shrinker sh = {.target = failure, .o = o, .keep_from_us = UINT64_MAX};
    if (failure->status == SIM_EXPECT_FAILED && failure->fail_event >= 0)
        sh.keep_from_us = in->events[failure->fail_event].at_us;
    scn_copy(&sh.best, in);
    scenario first;
    scn_copy(&first, in);
    try_candidate(&sh, &first); /* the input itself, cut at its failure */
    for (int round = 0; round < 8; round++) {
        int progress = pass_events(&sh);
        progress |= pass_nodes(&sh);
        progress |= pass_rates(&sh);
        if (!progress || sh.runs >= o->max_runs) break;
    }
    /* Never hand out a scenario that does not fail: verify the result once more. */
    sim_result r;
    sim_config cfg = {.scn = &sh.best, .seed = sh.best.seed, .bugs = o->bugs, .build = "shrink"};
    sim_run(&cfg, &r);
    if (!same_failure(&r, failure)) {
        scn_free(&sh.best);
        scn_copy(&sh.best, in);
    }
    *out = sh.best;
    return sh.runs + 1;
}
