/* run.c - one whole run (sim_run): builds the cluster and the key-value layer, writes the
 * trace's header, then the loop: take the next event (the scenario's, or the queue's first),
 * hand it to its handler, check what must be checked after a step; at the end, the history
 * check and the trace's end line. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sim/engine/engine.h"
#include "sim/kv/clients.h"
#include "sim/raftsim.h"

static void write_header(sim *s) {
    if (!s->tr->on) return;
    scenario as_run = *s->scn; /* shallow: only read by scn_to_json */
    as_run.seed = s->cfg->seed;
    char *json = scn_to_json(&as_run);
    trace_header(s->tr, json, s->cfg->seed, s->cfg->bug_name, s->cfg->build, s->impl->name,
                 s->impl->version);
    free(json);
}

static void write_end(sim *s) {
    trace_writer *t = s->tr;
    if (!t->on) return;
    static const char *const results[] = {"ok", "violation", "expect_failed", "limit", "stopped"};
    char hash[24];
    snprintf(hash, sizeof hash, "%016" PRIx64, t->hash);
    trace_begin_raw(t);
    trace_str(t, "type", "end");
    trace_str(t, "result", results[s->res->status]);
    trace_u64(t, "events", t->seq);
    trace_str(t, "hash", hash);
    if (s->res->status == SIM_VIOLATION) {
        const chk_violation *v = &s->res->violation;
        char vbuf[700], det[600];
        trace_escape(det, sizeof det, v->detail, strlen(v->detail));
        snprintf(vbuf, sizeof vbuf,
                 "{\"invariant\":\"%s\",\"node\":%u,\"term\":%" PRIu64 ",\"index\":%" PRIu64
                 ",\"detail\":\"%s\"}",
                 v->invariant, v->node, v->term, v->index, det);
        trace_raw(t, "violation", vbuf);
    } else if (s->res->status != SIM_PASS) {
        trace_str(t, "reason", s->res->reason);
    }
    trace_end_raw(t);
}

/* Handles one queued event; returns 1 if it was a step of the run. */
static int handle(sim *s, const sim_ev *ev) {
    switch (ev->kind) {
    case EV_TIMER: return sim_on_timer(s, (uint8_t)ev->arg, ev->t_us);
    case EV_DELIVER: sim_on_deliver(s, ev->arg); return 1;
    case EV_SCENARIO: sim_action(s, ev->arg); return 1;
    case EV_EXPECT_DEADLINE: sim_expect_deadline(s, ev->arg); return 1;
    case EV_CLIENT_MSG: return kv_on_msg(s, ev->arg);
    case EV_CLIENT_TIMER: return kv_on_timer(s, ev->arg, ev->t_us);
    case EV_DISK: return sim_on_disk(s, (uint8_t)ev->arg);
    case EV_DEPART: return sim_on_depart(s, ev->arg);
    default: ASSERT(!"unknown event kind"); return 0;
    }
}

/* Stable merge sort of the scenario's event indices by time. */
static void sort_events(sim *s) {
    uint32_t n = s->scn->n_events;
    const scn_event *ev = s->scn->events;
    uint32_t *a = rs_xmalloc(((size_t)n + 1) * sizeof *a),
             *tmp = rs_xmalloc(((size_t)n + 1) * sizeof *tmp);
    for (uint32_t i = 0; i < n; i++) a[i] = i;
    for (uint32_t width = 1; width < n; width *= 2) {
        for (uint32_t lo = 0; lo < n; lo += 2 * width) {
            uint32_t mid = lo + width < n ? lo + width : n,
                     hi = lo + 2 * width < n ? lo + 2 * width : n;
            uint32_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) tmp[k++] = ev[a[j]].at_us < ev[a[i]].at_us ? a[j++] : a[i++];
            while (i < mid) tmp[k++] = a[i++];
            while (j < hi) tmp[k++] = a[j++];
        }
        memcpy(a, tmp, (size_t)n * sizeof *a);
    }
    free(tmp);
    s->order = a;
}

/* The next event: the next scenario event if it is due no later than the queue's first. */
static int next_event(sim *s, sim_ev *ev) {
    const scn_event *se =
        s->next_event < s->scn->n_events ? &s->scn->events[s->order[s->next_event]] : NULL;
    if (se && (s->heap.n == 0 || se->at_us <= s->heap.v[0].t_us)) {
        *ev = (sim_ev){.t_us = se->at_us, .kind = EV_SCENARIO, .arg = s->order[s->next_event++]};
        return ev->t_us <= s->scn->run_us;
    }
    if (s->heap.n == 0 || s->heap.v[0].t_us > s->scn->run_us) return 0;
    *ev = heap_pop(&s->heap);
    return 1;
}

static void main_loop(sim *s) {
    uint64_t max_steps = s->cfg->max_steps ? s->cfg->max_steps : RS_RUN_EVENTS_MAX;
    uint64_t observe_every = s->cfg->observe_every ? s->cfg->observe_every : 4096;
    ASSERT((observe_every & (observe_every - 1)) == 0);
    sim_ev ev;
    while (!s->done && next_event(s, &ev)) {
        ASSERT(ev.t_us >= s->now); /* virtual time never runs backwards */
        s->now = ev.t_us;
        if (!handle(s, &ev)) continue;
        if (s->n_retire) sim_retire(s);
        if (++s->res->steps >= max_steps)
            sim_stop(s, SIM_LIMIT, "run passed the limit of %" PRIu64 " events", max_steps);
        if (s->cfg->observe && (s->res->steps & (observe_every - 1)) == 0)
            s->cfg->observe(s->cfg->observe_ctx, s->now, s->res->steps);
        if (s->n_pending && !s->done) sim_expect_recheck(s);

        if (s->tr->stopped) sim_stop(s, SIM_STOPPED, "trace output stopped the run");
    }
}

void sim_run(const sim_config *cfg, sim_result *res) {
    sim s;
    sim_init(&s, cfg, res);
    kv_init(&s);
    s.on_kv_apply = kv_on_apply;
    s.on_kv_read = kv_on_read;
    s.on_kv_save = kv_on_snapshot_save;
    s.on_kv_load = kv_on_snapshot_load;
    s.on_kv_free = kv_snapshot_free;
    s.on_fail_stop = sim_fail_stop;
    write_header(&s);
    sim_load_initial(&s);
    disk_init(&s);
    for (uint32_t i = 1; i <= s.n && !s.done && s.impl->bootstrap; i++) {
        if (s.nodes[i].absent) continue; /* a spare joins empty, with no configuration */
        node_out_clear(&s.out);
        s.impl->bootstrap(s.nodes[i].node, &s.out);
        sim_apply_out(&s, (uint8_t)i);
    }
    for (uint32_t i = 1; i <= s.n && !s.done; i++) {
        if (s.nodes[i].absent) continue;
        node_out_clear(&s.out);
        s.impl->start(s.nodes[i].node, 0, &s.out);
        sim_apply_out(&s, (uint8_t)i);
        sim_arm_timer(&s, (uint8_t)i);
    }
    sort_events(&s);
    main_loop(&s);
    if (!s.done) s.now = s.scn->run_us;
    kv_finish(&s);
    res->end_us = s.now;
    res->committed = chk_committed_max(s.chk);
    write_end(&s);
    kv_free(&s);
    sim_destroy(&s);
}

int sim_refusal(const scenario *scn, uint32_t bugs, char *why, size_t cap) {
    const char *name = scn->implementation ? scn->implementation : node_impls[0]->name;
    unsigned k = 0;
    while (k < node_impl_count && strcmp(node_impls[k]->name, name) != 0) k++;
    if (k == node_impl_count) {
        snprintf(why, cap, "implementation: unknown implementation \"%s\"", name);
        return 2;
    }
    if (scn->impl_mask && !(scn->impl_mask & (1u << k))) {
        size_t o = (size_t)snprintf(why, cap, "implementations: written for");
        for (unsigned i = 0; i < node_impl_count && o < cap; i++)
            if (scn->impl_mask & (1u << i))
                o += (size_t)snprintf(why + o, cap - o, " %s", node_impls[i]->name);
        if (o < cap) snprintf(why + o, cap - o, " only, not %s", name);
        return 2;
    }
    uint32_t foreign = bugs & ~(BUGS_OF_KV | node_impls[k]->bugs);
    for (unsigned i = 0; i < bug_count && foreign; i++)
        if (foreign & bug_catalogue[i].bit) {
            snprintf(why, cap, "--bug %s: a bug of the built-in node; %s runs without it",
                     bug_catalogue[i].name, name);
            return 2;
        }
    /* The switches of SPEC section 8 the scenario turns on, against those the implementation
     * has (the transfer action is named by its event). */
    static const struct {
        uint32_t feature;
        const char *field, *lacks;
    } switches[] = {
        {NODE_FEAT_PREVOTE, "cluster.prevote", "has no pre-vote round"},
        {NODE_FEAT_NOOP, "cluster.noop", "appends no entry at the start of a term"},
        {NODE_FEAT_READ_INDEX, "cluster.reads", "has no ReadIndex reads"},
        {NODE_FEAT_CHECK_QUORUM, "cluster.check_quorum", "has no check-quorum"},
        {NODE_FEAT_SNAPSHOT, "cluster.snapshot", "takes no snapshots"},
    };
    uint32_t asked = (scn->prevote ? NODE_FEAT_PREVOTE : 0) | (scn->noop ? NODE_FEAT_NOOP : 0) |
                     (scn->read_index ? NODE_FEAT_READ_INDEX : 0) |
                     (scn->check_quorum ? NODE_FEAT_CHECK_QUORUM : 0) |
                     (scn->snapshot_every ? NODE_FEAT_SNAPSHOT : 0);
    uint32_t lacking = asked & ~node_impls[k]->features;
    for (size_t i = 0; i < sizeof switches / sizeof switches[0]; i++)
        if (lacking & switches[i].feature) {
            snprintf(why, cap, "%s: %s %s", switches[i].field, name, switches[i].lacks);
            return 2;
        }
    if (!(node_impls[k]->features & NODE_FEAT_FAILED_WRITES) && scn->disk_fail > 0) {
        snprintf(why, cap, "disk.fail: %s cannot fail its writes", name);
        return 2;
    }
    for (uint32_t i = 0; i < scn->n_events && !(node_impls[k]->features & NODE_FEAT_FAILED_WRITES);
         i++)
        if (scn->events[i].kind == SCN_DO_FAIL_WRITES || scn->events[i].kind == SCN_DO_DISK) {
            snprintf(why, cap, "events[%u].do: %s cannot fail its writes", i, name);
            return 2;
        }
    for (uint32_t i = 0; i < scn->n_events && !(node_impls[k]->features & NODE_FEAT_TRANSFER); i++)
        if (scn->events[i].kind == SCN_DO_TRANSFER) {
            snprintf(why, cap, "events[%u].do: %s has no leadership transfer", i, name);
            return 2;
        }
    for (uint32_t i = 0; i < scn->n_events && !(node_impls[k]->features & NODE_FEAT_MEMBERS); i++)
        if (scn->events[i].kind == SCN_DO_ADD || scn->events[i].kind == SCN_DO_REMOVE) {
            snprintf(why, cap, "events[%u].do: %s has no membership change", i, name);
            return 2;
        }
    for (uint32_t i = 0; i < scn->n_events && !(node_impls[k]->features & NODE_FEAT_MEMBERS); i++)
        if (scn->events[i].kind == SCN_EXPECT && scn->events[i].expect.has_members) {
            snprintf(why, cap, "events[%u].expect.members: %s has no membership change", i, name);
            return 2;
        }
    return node_impls[k]->check_scenario(scn, why, cap);
}

const char *sim_status_name(sim_status status) {
    switch (status) {
    case SIM_PASS: return "pass";
    case SIM_VIOLATION: return "violation";
    case SIM_EXPECT_FAILED: return "expect_failed";
    case SIM_LIMIT: return "limit";
    case SIM_STOPPED: return "stopped";
    }
    return "?";
}
