/* view_html.c - writes the viewer page: the template (tools/view/viewer.html, embedded at build
 * time) with the trace's model in place of its data marker, as one JSON object of flat number
 * arrays (times as deltas) that the page reads with one JSON.parse. */
#include "tools/raftsim/view_html.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/util.h"

#define DATA_MARKER "/*RAFTSIM-DATA*/"

/* JSON string, with <, > and & escaped too: the data sits inside a <script> element. */
static void put_str(FILE *f, const char *s) {
    static const char hex[] = "0123456789abcdef";
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\') {
            fputc('\\', f);
            fputc(*p, f);
        } else if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&') {
            fprintf(f, "\\u00%c%c", hex[*p >> 4], hex[*p & 15]);
        } else {
            fputc(*p, f);
        }
    }
    fputc('"', f);
}

static void put_u64(FILE *f, uint64_t v) {
    char buf[RS_U64_DEC_CAP];
    size_t i = rs_u64_dec(buf, v);
    fwrite(buf + i, 1, sizeof buf - i, f);
}

/* A flat array of numbers: put_num after put_open writes the separators. */
typedef struct {
    FILE *f;
    int first;
} arr;

static void put_open(arr *a, FILE *f, const char *key) {
    fprintf(f, ",\n\"%s\":[", key);
    a->f = f;
    a->first = 1;
}

static void put_num(arr *a, uint64_t v) {
    if (!a->first) fputc(',', a->f);
    a->first = 0;
    put_u64(a->f, v);
}

static void put_close(arr *a) {
    fputc(']', a->f);
}

static void put_meta(FILE *f, const tv_model *m) {
    fputs("{\"v\":1,\"file\":", f);
    put_str(f, m->path);
    fputs(",\"name\":", f);
    put_str(f, m->name);
    fputs(",\"bug\":", f);
    if (m->bug)
        put_str(f, m->bug);
    else
        fputs("null", f);
    fputs(",\"impl\":", f);
    put_str(f, m->impl);
    fprintf(f, ",\"seed\":%" PRIu64 ",\"nodes\":%u,\"end\":%" PRIu64 ",\"events\":%" PRIu64,
            m->seed, m->nodes, m->end_us, m->n_events);
    fputs(",\"result\":", f);
    put_str(f, m->result);
    fputs(",\"reason\":", f);
    if (m->reason)
        put_str(f, m->reason);
    else
        fputs("null", f);
    fputs(",\n\"violation\":", f);
    if (m->has_violation) {
        fputs("{\"invariant\":", f);
        put_str(f, m->v_invariant);
        fputs(",\"detail\":", f);
        put_str(f, m->v_detail);
        fprintf(f,
                ",\"t\":%" PRIu64 ",\"seq\":%" PRIu64 ",\"node\":%" PRIu64 ",\"other\":%" PRIu64
                ",\"term\":%" PRIu64 ",\"index\":%" PRIu64 "}",
                m->v_t_us, m->v_seq, m->v_node, m->v_other, m->v_term, m->v_index);
    } else {
        fputs("null", f);
    }
    fputs(",\n\"failed_expect\":", f);
    if (m->has_failed_expect)
        fprintf(f, "{\"t\":%" PRIu64 ",\"seq\":%" PRIu64 "}", m->fx_t_us, m->fx_seq);
    else
        fputs("null", f);
}

static void put_names(FILE *f, const char *key, const char *const *names, size_t n) {
    fprintf(f, ",\n\"%s\":[", key);
    for (size_t i = 0; i < n; i++) {
        if (i) fputc(',', f);
        put_str(f, names[i]);
    }
    fputc(']', f);
}

/* spans: node, t0, duration, role, term. downs: node, t0, duration, paused. */
static void put_spans(FILE *f, const tv_model *m) {
    arr a;
    put_open(&a, f, "spans");
    for (size_t i = 0; i < m->n_spans; i++) {
        const tv_span *s = &m->spans[i];
        put_num(&a, s->node), put_num(&a, s->t0_us), put_num(&a, s->t1_us - s->t0_us);
        put_num(&a, s->role), put_num(&a, s->term);
    }
    put_close(&a);
    put_open(&a, f, "downs");
    for (size_t i = 0; i < m->n_downs; i++) {
        const tv_down *d = &m->downs[i];
        put_num(&a, d->node), put_num(&a, d->t0_us), put_num(&a, d->t1_us - d->t0_us);
        put_num(&a, d->paused);
    }
    put_close(&a);
}

/* msgs: send time (delta from the previous message's), duration, and one number packing
 * from + 256 to + 65536 type + 2^24 (fate * 2 + dup) + 2^28 empty. */
static void put_msgs(FILE *f, const tv_model *m) {
    arr a;
    uint64_t prev = 0;
    put_open(&a, f, "msgs");
    for (size_t i = 0; i < m->n_msgs; i++) {
        const tv_msg *g = &m->msgs[i];
        put_num(&a, g->t_send_us - prev), put_num(&a, g->t_end_us - g->t_send_us);
        put_num(&a, g->from + ((uint64_t)g->to << 8) + ((uint64_t)g->type << 16) +
                        (((uint64_t)g->fate * 2 + g->dup) << 24) + ((uint64_t)g->empty << 28));
        prev = g->t_send_us;
    }
    put_close(&a);
}

/* ev: time (delta), node + 256 kind, a, b, text. */
static void put_events(FILE *f, const tv_model *m) {
    arr a;
    uint64_t prev = 0;
    put_open(&a, f, "ev");
    for (size_t i = 0; i < m->n_ev; i++) {
        const tv_event *e = &m->ev[i];
        put_num(&a, e->t_us - prev), put_num(&a, e->node + ((uint64_t)e->kind << 8));
        put_num(&a, e->a), put_num(&a, e->b), put_num(&a, e->text);
        prev = e->t_us;
    }
    put_close(&a);
    /* ops: client, op id, invoke, return, returned, what, outcome, culprit. */
    put_open(&a, f, "ops");
    for (size_t i = 0; i < m->n_ops; i++) {
        const tv_op *o = &m->ops[i];
        put_num(&a, o->client), put_num(&a, o->op_id), put_num(&a, o->t_invoke_us);
        put_num(&a, o->t_return_us), put_num(&a, (uint64_t)o->returned), put_num(&a, o->what);
        put_num(&a, o->outcome), put_num(&a, (uint64_t)o->culprit);
    }
    put_close(&a);
    size_t idx[64];
    size_t n = (m->has_violation || m->has_failed_expect) ? tv_relevant(m, idx, 30) : 0;
    put_open(&a, f, "relevant");
    for (size_t i = 0; i < n; i++) put_num(&a, idx[i]);
    put_close(&a);
}

int vh_write(FILE *out, const tv_model *m) {
    const char *at = strstr(vh_template, DATA_MARKER);
    ASSERT(at != NULL);
    fwrite(vh_template, 1, (size_t)(at - vh_template), out);
    put_meta(out, m);
    put_names(out, "types", (const char *const *)m->msg_types, m->n_msg_types);
    put_names(out, "fates", tv_fate_names, TV_FATES);
    put_names(out, "kinds", tv_kind_names, TV_KINDS);
    put_spans(out, m);
    put_msgs(out, m);
    put_events(out, m);
    put_names(out, "strings", (const char *const *)m->strings, m->n_strings);
    fputs("}\n", out);
    const char *rest = at + strlen(DATA_MARKER);
    fwrite(rest, 1, vh_template_len - (size_t)(rest - vh_template), out);
    return ferror(out) ? -1 : 0;
}

int vh_write_file(const char *trace_path, const char *html_path) {
    tv_model m;
    if (tv_load(trace_path, &m)) {
        tv_free(&m);
        return 2;
    }
    int rc = tv_write_file(&m, html_path, vh_write);
    tv_free(&m);
    return rc;
}

int vh_write_file_from(const char *origin, char *data, size_t size, const char *html_path) {
    tracefile tf;
    tv_model m;
    char err[1024];
    int rc = 2;
    memset(&m, 0, sizeof m);
    if (tracefile_parse(origin, data, size, &tf, err, sizeof err) == 0 &&
        tv_build(&tf, &m, err, sizeof err) == 0)
        rc = tv_write_file(&m, html_path, vh_write);
    else
        fprintf(stderr, "%s\n", err);
    tv_free(&m);
    tracefile_free(&tf);
    return rc;
}
