/* export_chrome.c - a trace in Chrome's trace-event format (JSON object form), which Perfetto
 * and chrome://tracing open. Each node is a process with two threads: "state" (role spans as
 * complete slices, crashed and paused spans, timeouts, votes, commits and faults as instant
 * events) and "messages" (a 1 us slice per send and per receipt, joined by a flow arrow s -> f;
 * drops as instant events with the reason). The network's actions and the violation are
 * instant events of a "cluster" process; the key-value clients are a process of their own,
 * one thread per client, an operation a slice. Timestamps are the run's virtual microseconds. */
#include "tools/raftsim/export_chrome.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#define PID_CLUSTER 1000
#define PID_CLIENTS 1001
#define TID_STATE 1
#define TID_MSGS 2

typedef struct {
    FILE *f;
    int first;
} out;

static void str(FILE *f, const char *s) {
    static const char hex[] = "0123456789abcdef";
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fputc('\\', f), fputc(*p, f);
        else if (*p < 0x20)
            fprintf(f, "\\u00%c%c", hex[*p >> 4], hex[*p & 15]);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

/* Starts one event object: "{" after the separator, with ph, pid and tid. */
static void begin(out *o, const char *ph, unsigned pid, unsigned tid) {
    fputs(o->first ? "\n" : ",\n", o->f);
    o->first = 0;
    fprintf(o->f, "{\"ph\":\"%s\",\"pid\":%u,\"tid\":%u", ph, pid, tid);
}

static void name(out *o, const char *cat, const char *n) {
    if (cat) fprintf(o->f, ",\"cat\":\"%s\"", cat);
    fputs(",\"name\":", o->f);
    str(o->f, n);
}

static void meta(out *o, unsigned pid, unsigned tid, const char *what, const char *value,
                 int sort_index) {
    begin(o, "M", pid, tid);
    fprintf(o->f, ",\"name\":\"%s\",\"args\":{\"name\":", what);
    str(o->f, value);
    fputs("}}", o->f);
    begin(o, "M", pid, tid);
    fprintf(o->f, ",\"name\":\"%s_sort_index\",\"args\":{\"sort_index\":%d}}",
            tid ? "thread" : "process", sort_index);
}

static void slice(out *o, unsigned pid, unsigned tid, const char *cat, const char *n, uint64_t ts,
                  uint64_t dur) {
    begin(o, "X", pid, tid);
    name(o, cat, n);
    fprintf(o->f, ",\"ts\":%" PRIu64 ",\"dur\":%" PRIu64, ts, dur);
}

static void instant(out *o, unsigned pid, unsigned tid, const char *cat, const char *n, uint64_t ts,
                    const char *scope) {
    begin(o, "i", pid, tid);
    name(o, cat, n);
    fprintf(o->f, ",\"ts\":%" PRIu64 ",\"s\":\"%s\"", ts, scope);
}

static void put_metadata(out *o, const tv_model *m) {
    char buf[300];
    for (uint32_t n = 1; n <= m->nodes; n++) {
        snprintf(buf, sizeof buf, "node %u", n);
        meta(o, n, 0, "process_name", buf, (int)n);
        meta(o, n, TID_STATE, "thread_name", "state", 1);
        meta(o, n, TID_MSGS, "thread_name", "messages", 2);
    }
    snprintf(buf, sizeof buf, "cluster: %.200s (seed %" PRIu64 ")", m->name, m->seed);
    meta(o, PID_CLUSTER, 0, "process_name", buf, 0);
    meta(o, PID_CLUSTER, 0, "thread_name", "network and checker", 0);
    if (m->n_ops) meta(o, PID_CLIENTS, 0, "process_name", "key-value clients", 1000);
}

static void put_state(out *o, const tv_model *m) {
    static const char *const roles[] = {"follower", "candidate", "leader"};
    char buf[600];
    for (size_t i = 0; i < m->n_spans; i++) {
        const tv_span *s = &m->spans[i];
        snprintf(buf, sizeof buf, "%s t%" PRIu64, roles[s->role % 3], s->term);
        slice(o, s->node, TID_STATE, "role", buf, s->t0_us, s->t1_us - s->t0_us);
        fprintf(o->f, ",\"args\":{\"term\":%" PRIu64 "}}", s->term);
    }
    for (size_t i = 0; i < m->n_downs; i++) {
        const tv_down *d = &m->downs[i];
        slice(o, d->node, TID_STATE, "fault", d->paused ? "paused" : "crashed", d->t0_us,
              d->t1_us - d->t0_us);
        fputs("}", o->f);
    }
    for (size_t i = 0; i < m->n_ev; i++) {
        const tv_event *e = &m->ev[i];
        int node_instant = e->kind == TV_TIMEOUT || e->kind == TV_VOTE || e->kind == TV_COMMIT ||
                           e->kind == TV_TRUNCATE || e->kind == TV_CRASH || e->kind == TV_RESTART ||
                           e->kind == TV_PAUSE || e->kind == TV_RESUME || e->kind == TV_RESTORE ||
                           e->kind == TV_SNAPSHOT;
        int global = e->kind == TV_PARTITION || e->kind == TV_HEAL || e->kind == TV_LINK ||
                     e->kind == TV_NETWORK || e->kind == TV_VIOLATION ||
                     (e->kind == TV_EXPECT && !e->b);
        if (!node_instant && !global) continue;
        tv_event_text(m, e, buf, sizeof buf);
        int fault = e->kind == TV_CRASH || e->kind == TV_RESTART || e->kind == TV_PAUSE ||
                    e->kind == TV_RESUME || global;
        if (node_instant)
            instant(o, e->node, TID_STATE, fault ? "fault" : "raft", buf, e->t_us, "t");
        else
            instant(o, PID_CLUSTER, 0,
                    e->kind == TV_VIOLATION || e->kind == TV_EXPECT ? "check" : "fault", buf,
                    e->t_us, "g");
        fprintf(o->f, ",\"args\":{\"seq\":%" PRIu64, e->seq);
        if (e->kind == TV_VIOLATION) {
            fputs(",\"detail\":", o->f);
            str(o->f, m->strings[e->text]);
        }
        fputs("}}", o->f);
    }
}

/* Every copy: a send slice; delivered, a receipt slice and the flow between them; dropped, an
 * instant with the reason where it died. */
static void put_messages(out *o, const tv_model *m) {
    char buf[200];
    for (size_t i = 0; i < m->n_msgs; i++) {
        const tv_msg *g = &m->msgs[i];
        const char *type = m->msg_types[g->type];
        snprintf(buf, sizeof buf, "send %.60s to %u%s", type, g->to, g->dup ? " (copy)" : "");
        slice(o, g->from, TID_MSGS, "msg", buf, g->t_send_us, 1);
        fprintf(o->f, ",\"args\":{\"id\":%" PRIu64 ",\"fate\":\"%s\"}}", g->id,
                tv_fate_names[g->fate]);
        if (g->fate == TV_DELIVERED) {
            snprintf(buf, sizeof buf, "recv %.60s from %u%s", type, g->from,
                     g->dup ? " (duplicate)" : "");
            slice(o, g->to, TID_MSGS, "msg", buf, g->t_end_us, 1);
            fprintf(o->f, ",\"args\":{\"id\":%" PRIu64 "}}", g->id);
            begin(o, "s", g->from, TID_MSGS);
            name(o, "msg", type);
            fprintf(o->f, ",\"id\":%zu,\"ts\":%" PRIu64 "}", i + 1, g->t_send_us);
            begin(o, "f", g->to, TID_MSGS);
            name(o, "msg", type);
            fprintf(o->f, ",\"id\":%zu,\"ts\":%" PRIu64 ",\"bp\":\"e\"}", i + 1, g->t_end_us);
        } else if (g->fate != TV_INFLIGHT) {
            snprintf(buf, sizeof buf, "drop %.60s %u->%u (%s)", type, g->from, g->to,
                     tv_fate_names[g->fate]);
            instant(o, g->t_end_us == g->t_send_us ? g->from : g->to, TID_MSGS, "drop", buf,
                    g->t_end_us, "t");
            fprintf(o->f, ",\"args\":{\"id\":%" PRIu64 ",\"reason\":\"%s\"}}", g->id,
                    tv_fate_names[g->fate]);
        }
    }
}

static void put_clients(out *o, const tv_model *m) {
    char buf[600];
    for (size_t i = 0; i < m->n_ops; i++) {
        const tv_op *op = &m->ops[i];
        snprintf(buf, sizeof buf, "%s %s", m->strings[op->what],
                 op->returned ? m->strings[op->outcome] : "unknown");
        slice(o, PID_CLIENTS, (unsigned)op->client, op->culprit ? "culprit" : "kv", buf,
              op->t_invoke_us, op->t_return_us - op->t_invoke_us);
        fprintf(o->f, ",\"args\":{\"op_id\":%" PRIu64 ",\"culprit\":%s}}", op->op_id,
                op->culprit ? "true" : "false");
    }
}

int ec_write(FILE *f, const tv_model *m) {
    out o = {.f = f, .first = 1};
    fputs("{\"displayTimeUnit\":\"ms\",\"otherData\":{\"tool\":\"raftsim\",\"scenario\":", f);
    str(f, m->name);
    fprintf(f, ",\"seed\":%" PRIu64 ",\"result\":", m->seed);
    str(f, m->result);
    fputs(",\"timestamps\":\"virtual microseconds\"},\"traceEvents\":[", f);
    put_metadata(&o, m);
    put_state(&o, m);
    put_messages(&o, m);
    put_clients(&o, m);
    fputs("\n]}\n", f);
    return ferror(f) ? -1 : 0;
}
