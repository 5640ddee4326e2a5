/* tview.c - a trace read into spans, message records, state events and the key-value history
 * (tview.h), for the viewer, the Chrome export and the terminal timeline. */
#include "tools/raftsim/tview.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/jsonget.h"
#include "sim/base/limits.h"
#include "sim/base/util.h"

const char *const tv_fate_names[TV_FATES] = {"delivered", "loss", "partition",
                                             "link",      "down", "in flight"};
const char *const tv_kind_names[TV_KINDS] = {
    "append",  "truncate",  "commit",        "role",         "vote",     "crash",
    "restart", "pause",     "resume",        "timeout",      "snapshot", "restore",
    "submit",  "expect",    "skip",          "partition",    "heal",     "link",
    "network", "violation", "client_invoke", "client_return"};

/* Grows a dynamic array by doubling: *cap elements of size bytes, room for one more. */
static void *grow(void *p, size_t n, size_t *cap, size_t size) {
    if (n < *cap) return p;
    *cap = *cap ? *cap * 2 : 256;
    return rs_xrealloc(p, *cap * size);
}

static uint32_t add_string(tv_model *m, const char *s) {
    m->strings = grow(m->strings, m->n_strings, &m->cap_strings, sizeof *m->strings);
    m->strings[m->n_strings] = rs_xstrdup(s);
    return (uint32_t)m->n_strings++;
}

/* ---- an id -> index map (message ids, client operations) ---------------------------------- */

typedef struct {
    uint64_t *key;
    uint32_t *val;
    size_t cap, n; /* cap a power of two; keys are stored + 1 so that 0 marks a free slot */
} idmap;

static uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

static void idmap_put(idmap *h, uint64_t key, uint32_t val);

static void idmap_grow(idmap *h) {
    idmap old = *h;
    h->cap = old.cap ? old.cap * 2 : 1024;
    h->n = 0;
    h->key = rs_xcalloc(h->cap, sizeof *h->key);
    h->val = rs_xcalloc(h->cap, sizeof *h->val);
    for (size_t i = 0; i < old.cap; i++)
        if (old.key[i]) idmap_put(h, old.key[i] - 1, old.val[i]);
    free(old.key);
    free(old.val);
}

static void idmap_put(idmap *h, uint64_t key, uint32_t val) {
    if (2 * (h->n + 1) > h->cap) idmap_grow(h);
    size_t i = mix(key) & (h->cap - 1);
    while (h->key[i] && h->key[i] != key + 1) i = (i + 1) & (h->cap - 1);
    if (!h->key[i]) h->n++;
    h->key[i] = key + 1;
    h->val[i] = val;
}

static int idmap_get(const idmap *h, uint64_t key, uint32_t *val) {
    if (!h->cap) return 0;
    size_t i = mix(key) & (h->cap - 1);
    while (h->key[i]) {
        if (h->key[i] == key + 1) return *val = h->val[i], 1;
        i = (i + 1) & (h->cap - 1);
    }
    return 0;
}

static void idmap_free(idmap *h) {
    free(h->key);
    free(h->val);
}

/* The string's index, each distinct string stored once (keyed by its FNV-1a hash; on a
 * collision the later string is stored apart). */
static uint32_t intern(idmap *h, tv_model *m, const char *s) {
    uint64_t key = 0xcbf29ce484222325ull;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        key = (key ^ *p) * 0x100000001b3ull;
    uint32_t i = 0;
    if (idmap_get(h, key, &i) && !strcmp(m->strings[i], s)) return i;
    i = add_string(m, s);
    idmap_put(h, key, i);
    return i;
}

/* ---- building ------------------------------------------------------------------------------ */

typedef struct {
    tv_model *m;
    idmap str_of;  /* a command's hash -> its string (commands repeat on every node) */
    idmap msg_of;  /* message id -> its first copy's record */
    idmap op_of;   /* client << 32 | op id -> its operation */
    uint8_t *done; /* per record: the first copy's fate is known */
    size_t cap_done;
    /* Per node: the open role span (index + 1, 0: none) and the open down span. */
    size_t open_span[RS_NODES_MAX + 1], open_down[RS_NODES_MAX + 1];
    const char *err_path;
    uint64_t lineno;
    char *err;
    size_t err_len;
} builder;

static int bad(builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(builder *b, const char *fmt, ...) {
    int n = snprintf(b->err, b->err_len, "%s: line %" PRIu64 ": ", b->err_path, b->lineno);
    if (n < 0 || (size_t)n >= b->err_len) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->err + n, b->err_len - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static tv_event *add_event(builder *b, uint64_t t, uint64_t seq, uint8_t node, tv_kind kind) {
    tv_model *m = b->m;
    m->ev = grow(m->ev, m->n_ev, &m->cap_ev, sizeof *m->ev);
    tv_event *e = &m->ev[m->n_ev++];
    *e = (tv_event){.t_us = t, .seq = seq, .node = node, .kind = (uint8_t)kind};
    return e;
}

static void close_span(builder *b, uint8_t node, uint64_t t) {
    if (b->open_span[node]) b->m->spans[b->open_span[node] - 1].t1_us = t;
    b->open_span[node] = 0;
}

static void open_span(builder *b, uint8_t node, uint64_t t, uint64_t term, uint8_t role) {
    tv_model *m = b->m;
    close_span(b, node, t);
    m->spans = grow(m->spans, m->n_spans, &m->cap_spans, sizeof *m->spans);
    m->spans[m->n_spans++] =
        (tv_span){.t0_us = t, .t1_us = t, .term = term, .node = node, .role = role};
    b->open_span[node] = m->n_spans;
}

static void down_begin(builder *b, uint8_t node, uint64_t t, int paused) {
    tv_model *m = b->m;
    if (b->open_down[node]) return; /* already down: the engine ignores it too */
    m->downs = grow(m->downs, m->n_downs, &m->cap_downs, sizeof *m->downs);
    m->downs[m->n_downs++] =
        (tv_down){.t0_us = t, .t1_us = t, .node = node, .paused = (uint8_t)paused};
    b->open_down[node] = m->n_downs;
}

static void down_end(builder *b, uint8_t node, uint64_t t) {
    if (b->open_down[node]) b->m->downs[b->open_down[node] - 1].t1_us = t;
    b->open_down[node] = 0;
}

/* The type's index; past TV_MSG_TYPES_MAX names (a hostile trace), the last one stands for
 * the rest. */
static uint16_t msg_type(tv_model *m, const char *name) {
    for (size_t i = 0; i < m->n_msg_types; i++)
        if (!strcmp(m->msg_types[i], name)) return (uint16_t)i;
    if (m->n_msg_types == TV_MSG_TYPES_MAX - 1) name = "(other types)";
    if (m->n_msg_types == TV_MSG_TYPES_MAX) return TV_MSG_TYPES_MAX - 1;
    m->msg_types = rs_xrealloc(m->msg_types, (m->n_msg_types + 1) * sizeof *m->msg_types);
    m->msg_types[m->n_msg_types] = rs_xstrdup(name);
    return (uint16_t)m->n_msg_types++;
}

/* A node id field in 1..nodes, or -1 after setting the error. */
static int get_node(builder *b, const cJSON *ev, const char *key, const char *kind, uint8_t *out) {
    uint64_t v;
    if (json_get_u64(ev, key, &v) || v < 1 || v > b->m->nodes)
        return bad(b, "%s: %s: expected a node id in 1..%u (the scenario's nodes)", kind, key,
                   b->m->nodes);
    *out = (uint8_t)v;
    return 0;
}

static int get_u64(builder *b, const cJSON *ev, const char *key, const char *kind, uint64_t *out) {
    if (json_get_u64(ev, key, out))
        return bad(b, "%s: %s: expected a non-negative integer", kind, key);
    return 0;
}

/* A copy's fate: delivered, or dropped for the event's reason. */
static void set_fate(tv_msg *r, const cJSON *ev, const char *k, uint64_t t) {
    r->t_end_us = t;
    r->fate = TV_DELIVERED;
    if (strcmp(k, "drop") != 0) return;
    const cJSON *why = cJSON_GetObjectItemCaseSensitive(ev, "reason");
    r->fate = TV_LOSS;
    for (int f = TV_LOSS; f <= TV_DOWN; f++)
        if (cJSON_IsString(why) && !strcmp(why->valuestring, tv_fate_names[f]))
            r->fate = (uint8_t)f;
}

/* The message events: a record per copy, from send to its fate. A deliver or drop of a
 * message whose first copy already met its fate is a second copy (the network duplicated
 * it); one without a send (a cut trace) gets a record of its own too. */
static int on_message(builder *b, const cJSON *ev, const char *k, uint64_t t, uint64_t seq) {
    tv_model *m = b->m;
    uint8_t from = 0, to = 0;
    uint64_t id = 0;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(ev, "type");
    if (get_node(b, ev, "from", k, &from) || get_node(b, ev, "to", k, &to) ||
        get_u64(b, ev, "id", k, &id))
        return -1;
    if (!cJSON_IsString(type)) return bad(b, "%s: type: expected a string", k);
    uint32_t first = 0;
    int known = idmap_get(&b->msg_of, id, &first);
    int is_send = !strcmp(k, "send");
    if (!is_send && known && !b->done[first]) {
        b->done[first] = 1;
        set_fate(&m->msgs[first], ev, k, t);
        return 0;
    }
    m->msgs = grow(m->msgs, m->n_msgs, &m->cap_msgs, sizeof *m->msgs);
    b->done = grow(b->done, m->n_msgs, &b->cap_done, 1);
    tv_msg *r = &m->msgs[m->n_msgs];
    *r = (tv_msg){.t_send_us = t,
                  .t_end_us = t,
                  .id = id,
                  .seq = seq,
                  .type = msg_type(m, type->valuestring),
                  .from = from,
                  .to = to,
                  .fate = TV_INFLIGHT};
    b->done[m->n_msgs] = !is_send;
    uint64_t n_entries = 1;
    r->empty = !strcmp(type->valuestring, "AppendEntries") &&
               json_get_u64(ev, "entries", &n_entries) == 0 && n_entries == 0;
    if (is_send) {
        idmap_put(&b->msg_of, id, (uint32_t)m->n_msgs);
    } else {
        if (known) {
            r->empty = m->msgs[first].empty;
            r->t_send_us = m->msgs[first].t_send_us;
            r->seq = m->msgs[first].seq;
            r->dup = 1;
        }
        set_fate(r, ev, k, t);
    }
    m->n_msgs++;
    return 0;
}

/* Every field but seq, t_us and ev, as "key value" pairs: what a link or network event set. */
static uint32_t fields_text(tv_model *m, const cJSON *ev) {
    char buf[512];
    size_t o = 0;
    buf[0] = '\0';
    for (const cJSON *f = ev->child; f && o < sizeof buf - 1; f = f->next) {
        if (!strcmp(f->string, "seq") || !strcmp(f->string, "t_us") || !strcmp(f->string, "ev") ||
            !strcmp(f->string, "node"))
            continue;
        char *v = cJSON_PrintUnformatted(f);
        int n = snprintf(buf + o, sizeof buf - o, "%s%s %s", o ? ", " : "", f->string, v ? v : "");
        free(v);
        if (n < 0) break;
        o += (size_t)n < sizeof buf - o ? (size_t)n : sizeof buf - o - 1;
    }
    return add_string(m, buf);
}

static const char *str_field(const cJSON *ev, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(ev, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* "put(x, "1")", as the linearizability report writes an operation. */
static int on_invoke(builder *b, const cJSON *ev, uint64_t t, uint64_t seq) {
    tv_model *m = b->m;
    uint64_t client = 0, op_id = 0;
    const char *op = str_field(ev, "op"), *key = str_field(ev, "key");
    const char *value = str_field(ev, "value"), *from = str_field(ev, "from");
    if (get_u64(b, ev, "client", "client_invoke", &client) ||
        get_u64(b, ev, "op_id", "client_invoke", &op_id))
        return -1;
    if (!op || !key) return bad(b, "client_invoke: op, key: expected strings");
    char what[256];
    if (!strcmp(op, "cas"))
        snprintf(what, sizeof what, "cas(%.40s, \"%.40s\" -> \"%.40s\")", key, from ? from : "",
                 value ? value : "");
    else if (!strcmp(op, "get"))
        snprintf(what, sizeof what, "get(%.40s)", key);
    else
        snprintf(what, sizeof what, "%.16s(%.40s, \"%.40s\")", op, key, value ? value : "");
    m->ops = grow(m->ops, m->n_ops, &m->cap_ops, sizeof *m->ops);
    m->ops[m->n_ops] =
        (tv_op){.client = client, .op_id = op_id, .t_invoke_us = t, .what = add_string(m, what)};
    idmap_put(&b->op_of, client << 32 ^ op_id, (uint32_t)m->n_ops++);
    tv_event *e = add_event(b, t, seq, 0, TV_INVOKE);
    e->a = client, e->b = op_id, e->text = m->ops[m->n_ops - 1].what;
    return 0;
}

static int on_return(builder *b, const cJSON *ev, uint64_t t, uint64_t seq) {
    tv_model *m = b->m;
    uint64_t client = 0, op_id = 0;
    const char *outcome = str_field(ev, "outcome");
    if (get_u64(b, ev, "client", "client_return", &client) ||
        get_u64(b, ev, "op_id", "client_return", &op_id))
        return -1;
    if (!outcome) return bad(b, "client_return: outcome: expected a string");
    uint32_t i = 0;
    if (!idmap_get(&b->op_of, client << 32 ^ op_id, &i))
        return bad(b, "client_return: client %" PRIu64 " op %" PRIu64 " was never invoked", client,
                   op_id);
    tv_op *op = &m->ops[i];
    char res[160];
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(ev, "value");
    if (!strcmp(outcome, "ok") && !strncmp(m->strings[op->what], "get(", 4))
        snprintf(res, sizeof res, cJSON_IsString(v) ? "-> \"%.60s\"" : "-> absent",
                 cJSON_IsString(v) ? v->valuestring : "");
    else
        snprintf(res, sizeof res, "%.32s", outcome);
    op->returned = 1;
    op->t_return_us = t;
    op->outcome = add_string(m, res);
    tv_event *e = add_event(b, t, seq, 0, TV_RETURN);
    e->a = client, e->b = op_id, e->text = op->outcome;
    return 0;
}

static int on_role(builder *b, const cJSON *ev, uint64_t t, uint64_t seq) {
    uint8_t node = 0;
    uint64_t term = 0;
    const char *r = str_field(ev, "role");
    if (get_node(b, ev, "node", "role", &node) || get_u64(b, ev, "term", "role", &term)) return -1;
    int role = !r                        ? -1
               : !strcmp(r, "follower")  ? TV_FOLLOWER
               : !strcmp(r, "candidate") ? TV_CANDIDATE
               : !strcmp(r, "leader")    ? TV_LEADER
                                         : -1;
    if (role < 0) return bad(b, "role: role: expected follower, candidate or leader");
    tv_event *e = add_event(b, t, seq, node, TV_ROLE);
    e->a = term, e->b = (uint64_t)role;
    if (b->open_down[node] && !b->m->downs[b->open_down[node] - 1].paused) return 0;
    open_span(b, node, t, term, (uint8_t)role);
    return 0;
}

/* The events with a node and up to two numbers. */
static int on_node_event(builder *b, const cJSON *ev, const char *k, uint64_t t, uint64_t seq) {
    static const struct {
        const char *name;
        tv_kind kind;
        const char *a, *b;
    } shapes[] = {
        {"append", TV_APPEND, "index", "term"}, {"truncate", TV_TRUNCATE, "from", NULL},
        {"commit", TV_COMMIT, "index", NULL},   {"vote", TV_VOTE, "term", "for"},
        {"crash", TV_CRASH, NULL, NULL},        {"restart", TV_RESTART, NULL, NULL},
        {"pause", TV_PAUSE, NULL, NULL},        {"resume", TV_RESUME, NULL, NULL},
        {"timeout", TV_TIMEOUT, NULL, NULL},    {"snapshot", TV_SNAPSHOT, "index", "term"},
        {"restore", TV_RESTORE, "term", NULL}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        if (strcmp(k, shapes[i].name)) continue;
        uint8_t node = 0;
        uint64_t a = 0, bb = 0;
        if (get_node(b, ev, "node", k, &node)) return -1;
        if (shapes[i].a && get_u64(b, ev, shapes[i].a, k, &a)) return -1;
        if (shapes[i].b && get_u64(b, ev, shapes[i].b, k, &bb)) return -1;
        if (shapes[i].kind == TV_SNAPSHOT) { /* as raftsim check reads it: how it came */
            const char *how = str_field(ev, "how");
            if (!how || (strcmp(how, "take") && strcmp(how, "install") && strcmp(how, "restore")))
                return bad(b, "%s: how: expected \"take\", \"install\" or \"restore\"", k);
        }
        tv_event *e = add_event(b, t, seq, node, shapes[i].kind);
        e->a = a, e->b = bb;
        if (shapes[i].kind == TV_RESTORE || shapes[i].kind == TV_SNAPSHOT)
            e->text = fields_text(b->m, ev);
        if (shapes[i].kind == TV_APPEND) {
            const char *cmd = str_field(ev, "cmd");
            e->text = cmd ? intern(&b->str_of, b->m, cmd) : 0;
        }
        if (shapes[i].kind == TV_CRASH) {
            down_end(b, node, t); /* a paused node that crashes: the crash span takes over */
            close_span(b, node, t);
            down_begin(b, node, t, 0);
        } else if (shapes[i].kind == TV_RESTART || shapes[i].kind == TV_RESUME) {
            down_end(b, node, t);
        } else if (shapes[i].kind == TV_PAUSE) {
            down_begin(b, node, t, 1);
        }
        return 1;
    }
    return 0;
}

static int on_other(builder *b, const cJSON *ev, const char *k, uint64_t t, uint64_t seq) {
    tv_model *m = b->m;
    if (!strcmp(k, "partition") || !strcmp(k, "heal")) {
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(ev, "groups");
        if (!cJSON_IsArray(g)) return bad(b, "%s: groups: expected an array", k);
        char *s = cJSON_PrintUnformatted(g);
        tv_event *e = add_event(b, t, seq, 0, k[0] == 'p' ? TV_PARTITION : TV_HEAL);
        e->text = add_string(m, s ? s : "[]");
        free(s);
    } else if (!strcmp(k, "link")) {
        uint8_t from, to;
        if (get_node(b, ev, "from", k, &from) || get_node(b, ev, "to", k, &to)) return -1;
        tv_event *e = add_event(b, t, seq, from, TV_LINK);
        e->a = from, e->b = to, e->text = fields_text(m, ev);
    } else if (!strcmp(k, "network")) {
        add_event(b, t, seq, 0, TV_NETWORK)->text = fields_text(m, ev);
    } else if (!strcmp(k, "submit")) {
        uint8_t node = 0;
        const char *cmd = str_field(ev, "cmd");
        if (get_node(b, ev, "node", k, &node)) return -1;
        tv_event *e = add_event(b, t, seq, node, TV_SUBMIT);
        e->text = add_string(m, cmd ? cmd : "");
        e->b = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "accepted"));
    } else if (!strcmp(k, "expect")) {
        uint64_t idx = 0;
        const char *why = str_field(ev, "why");
        json_get_u64(ev, "event", &idx);
        tv_event *e = add_event(b, t, seq, 0, TV_EXPECT);
        e->a = idx, e->b = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "ok"));
        if (why) e->text = add_string(m, why);
        if (!e->b && !m->has_failed_expect)
            m->has_failed_expect = 1, m->fx_seq = seq, m->fx_t_us = t;
    } else if (!strcmp(k, "skip")) {
        add_event(b, t, seq, 0, TV_SKIP)->text = fields_text(m, ev);
    } else if (!strcmp(k, "violation")) {
        const char *inv = str_field(ev, "invariant"), *detail = str_field(ev, "detail");
        if (!inv || !detail) return bad(b, "violation: invariant, detail: expected strings");
        tv_event *e = add_event(b, t, seq, 0, TV_VIOLATION);
        e->text = add_string(m, detail);
        if (!m->has_violation) {
            m->has_violation = 1;
            m->v_seq = seq, m->v_t_us = t;
            json_get_u64(ev, "node", &m->v_node);
            json_get_u64(ev, "other", &m->v_other);
            json_get_u64(ev, "term", &m->v_term);
            json_get_u64(ev, "index", &m->v_index);
            if (m->v_node > m->nodes || m->v_other > m->nodes) m->v_node = m->v_other = 0;
            m->v_invariant = rs_xstrdup(inv);
            m->v_detail = rs_xstrdup(detail);
        }
    } else if (!strcmp(k, "client_invoke")) {
        return on_invoke(b, ev, t, seq);
    } else if (!strcmp(k, "client_return")) {
        return on_return(b, ev, t, seq);
    }
    return 0; /* heartbeats, ticks, applies, persists, client messages: not drawn */
}

static int on_line(builder *b, const char *line, size_t len, uint64_t i) {
    cJSON *ev = cJSON_ParseWithLength(line, len);
    b->lineno = i + 2;
    if (!ev || !cJSON_IsObject(ev)) {
        cJSON_Delete(ev);
        return bad(b, "not a JSON object");
    }
    uint64_t t = 0, seq = 0;
    const char *k = str_field(ev, "ev");
    int rc = 0;
    if (json_get_u64(ev, "t_us", &t) || json_get_u64(ev, "seq", &seq) || !k)
        rc = bad(b, "seq, t_us, ev: missing or invalid");
    else if (t < b->m->end_us) /* the pictures draw along time: events come in time order */
        rc = bad(b, "t_us: %" PRIu64 " goes back in time (an earlier line has %" PRIu64 ")", t,
                 b->m->end_us);
    else if (!strcmp(k, "send") || !strcmp(k, "deliver") || !strcmp(k, "drop"))
        rc = on_message(b, ev, k, t, seq);
    else if (!strcmp(k, "role"))
        rc = on_role(b, ev, t, seq);
    else if ((rc = on_node_event(b, ev, k, t, seq)) == 0)
        rc = on_other(b, ev, k, t, seq);
    if (rc >= 0 && t > b->m->end_us) b->m->end_us = t;
    cJSON_Delete(ev);
    return rc < 0 ? -1 : 0;
}

static int msg_order(const void *pa, const void *pb) {
    const tv_msg *a = pa, *b = pb;
    if (a->t_send_us != b->t_send_us) return a->t_send_us < b->t_send_us ? -1 : 1;
    if (a->seq != b->seq) return a->seq < b->seq ? -1 : 1;
    if (a->dup != b->dup) return a->dup < b->dup ? -1 : 1;
    return a->t_end_us < b->t_end_us ? -1 : a->t_end_us > b->t_end_us;
}

/* The operations a linearizability failure names: "client C op K:" lines of its detail. */
static void mark_culprits(tv_model *m, const idmap *op_of) {
    if (!m->has_violation || strcmp(m->v_invariant, "linearizability") != 0) return;
    for (const char *p = strstr(m->v_detail, "client "); p; p = strstr(p + 1, "client ")) {
        unsigned long long c, k;
        uint32_t i;
        if (sscanf(p, "client %llu op %llu:", &c, &k) == 2 && idmap_get(op_of, c << 32 ^ k, &i))
            m->ops[i].culprit = 1;
    }
}

/* The end line, which tracefile keeps only in part: its result and reason. */
static void read_end(const tracefile *tf, tv_model *m) {
    if (!tf->has_end) {
        m->result = rs_xstrdup("cut off");
        return;
    }
    size_t n = tf->size;
    while (n > 0 && tf->data[n - 1] == '\n') n--;
    size_t s = n;
    while (s > 0 && tf->data[s - 1] != '\n') s--;
    cJSON *e = cJSON_ParseWithLength(tf->data + s, n - s);
    const char *reason = e ? str_field(e, "reason") : NULL;
    m->result = rs_xstrdup(tf->end_result ? tf->end_result : "?");
    if (reason) m->reason = rs_xstrdup(reason);
    cJSON_Delete(e);
}

int tv_build(const tracefile *tf, tv_model *m, char *err, size_t err_len) {
    memset(m, 0, sizeof *m);
    m->path = tf->path;
    m->name = rs_xstrdup(tf->scn.name ? tf->scn.name : "");
    m->bug = tf->bug ? rs_xstrdup(tf->bug) : NULL;
    m->impl = rs_xstrdup(tf->scn.implementation ? tf->scn.implementation : "builtin");
    m->seed = tf->seed;
    m->nodes = scn_id_space(&tf->scn); /* spares that add events bring in included */
    m->n_events = tf->n_events;
    m->has_end = tf->has_end;
    add_string(m, "");
    builder b = {.m = m, .err_path = tf->path, .err = err, .err_len = err_len};
    int rc = 0;
    for (uint64_t i = 0; i < tf->n_events && rc == 0; i++)
        rc = on_line(&b, tf->data + tf->off[i], tf->len[i], i);
    if (rc == 0) {
        for (uint32_t n = 1; n <= RS_NODES_MAX; n++) {
            close_span(&b, (uint8_t)n, m->end_us);
            down_end(&b, (uint8_t)n, m->end_us);
        }
        for (size_t i = 0; i < m->n_msgs; i++)
            if (m->msgs[i].fate == TV_INFLIGHT) m->msgs[i].t_end_us = m->end_us;
        if (m->n_msgs) qsort(m->msgs, m->n_msgs, sizeof *m->msgs, msg_order);
        for (size_t i = 0; i < m->n_ops; i++)
            if (!m->ops[i].returned) m->ops[i].t_return_us = m->end_us;
        read_end(tf, m);
        mark_culprits(m, &b.op_of);
    }
    idmap_free(&b.msg_of);
    idmap_free(&b.str_of);
    idmap_free(&b.op_of);
    free(b.done);
    return rc;
}

int tv_load(const char *path, tv_model *m) {
    tracefile tf;
    char err[1024];
    memset(m, 0, sizeof *m);
    if (tracefile_load(path, &tf, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        tracefile_free(&tf);
        return 2;
    }
    int rc = tv_build(&tf, m, err, sizeof err);
    tracefile_free(&tf);
    m->path = path;
    if (rc) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    return 0;
}

int tv_write_file(const tv_model *m, const char *path, int (*write)(FILE *, const tv_model *)) {
    if (!strcmp(path, "-")) return write(stdout, m) || fflush(stdout) ? 2 : 0;
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%.1100s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        fprintf(stderr, "raftsim: cannot write %s: %s\n", tmp, strerror(errno));
        return 2;
    }
    int bad = write(f, m);
    bad |= fclose(f);
    if (bad || rename(tmp, path) != 0) {
        fprintf(stderr, "raftsim: writing %s failed: %s\n", path, strerror(errno));
        remove(tmp);
        return 2;
    }
    return 0;
}

void tv_free(tv_model *m) {
    free(m->name);
    free(m->bug);
    free(m->impl);
    free(m->result);
    free(m->reason);
    free(m->v_invariant);
    free(m->v_detail);
    free(m->ev);
    free(m->spans);
    free(m->downs);
    free(m->msgs);
    free(m->ops);
    for (size_t i = 0; i < m->n_strings; i++) free(m->strings[i]);
    free(m->strings);
    for (size_t i = 0; i < m->n_msg_types; i++) free(m->msg_types[i]);
    free(m->msg_types);
    memset(m, 0, sizeof *m);
}

/* ---- the events that matter for a failure --------------------------------------------------- */

static int is_culprit_event(const tv_model *m, const tv_event *e) {
    for (size_t i = 0; i < m->n_ops; i++)
        if (m->ops[i].culprit && m->ops[i].client == e->a && m->ops[i].op_id == e->b) return 1;
    return 0;
}

size_t tv_relevant(const tv_model *m, size_t *idx, size_t max) {
    uint64_t stop_seq = m->has_violation ? m->v_seq : m->has_failed_expect ? m->fx_seq : UINT64_MAX;
    uint64_t at = m->has_violation ? m->v_index : 0;
    uint8_t role[RS_NODES_MAX + 1] = {0};
    uint64_t commit[RS_NODES_MAX + 1] = {0};
    size_t n = 0, total = 0; /* a ring of the last max indices */
    if (max == 0) return 0;
    for (size_t i = 0; i < m->n_ev && m->ev[i].seq <= stop_seq; i++) {
        const tv_event *e = &m->ev[i];
        int keep = 0;
        switch ((tv_kind)e->kind) {
        case TV_ROLE:
            keep = e->b != TV_FOLLOWER || role[e->node] != TV_FOLLOWER;
            role[e->node] = (uint8_t)e->b;
            break;
        case TV_VOTE: keep = e->b != e->node; break;
        case TV_APPEND: keep = at && e->a == at; break;
        case TV_TRUNCATE: keep = at && e->a <= at; break;
        case TV_COMMIT:
            keep = at && e->a >= at && commit[e->node] < at;
            commit[e->node] = e->a;
            break;
        case TV_CRASH:
            commit[e->node] = 0;
            role[e->node] = TV_FOLLOWER;
            keep = 1;
            break;
        case TV_RESTART:
        case TV_PAUSE:
        case TV_RESUME:
        case TV_RESTORE:
        case TV_PARTITION:
        case TV_HEAL:
        case TV_LINK:
        case TV_VIOLATION: keep = 1; break;
        case TV_EXPECT: keep = !e->b; break;
        case TV_INVOKE:
        case TV_RETURN: keep = is_culprit_event(m, e); break;
        default: break;
        }
        if (!keep) continue;
        idx[n] = i;
        n = (n + 1) % max;
        total++;
    }
    if (total <= max) return total;
    /* rotate the ring so that the oldest comes first */
    size_t *tmp = rs_xmalloc(max * sizeof *tmp);
    for (size_t k = 0; k < max; k++) tmp[k] = idx[(n + k) % max];
    memcpy(idx, tmp, max * sizeof *tmp);
    free(tmp);
    return max;
}

void tv_event_text(const tv_model *m, const tv_event *e, char *buf, size_t cap) {
    static const char *const roles[] = {"follower", "candidate", "leader"};
    const char *s = m->strings[e->text];
    switch ((tv_kind)e->kind) {
    case TV_ROLE: snprintf(buf, cap, "%s t%" PRIu64, roles[e->b % 3], e->a); break;
    case TV_VOTE: snprintf(buf, cap, "votes n%" PRIu64 " t%" PRIu64, e->b, e->a); break;
    case TV_APPEND: snprintf(buf, cap, "append %" PRIu64 "@t%" PRIu64, e->a, e->b); break;
    case TV_TRUNCATE: snprintf(buf, cap, "truncate %" PRIu64 "..", e->a); break;
    case TV_COMMIT: snprintf(buf, cap, "commit %" PRIu64, e->a); break;
    case TV_CRASH: snprintf(buf, cap, "CRASH"); break;
    case TV_SNAPSHOT: snprintf(buf, cap, "snapshot %" PRIu64, e->a); break;
    case TV_RESTORE: snprintf(buf, cap, "restore t%" PRIu64, e->a); break;
    case TV_LINK: snprintf(buf, cap, "link n%" PRIu64 "->n%" PRIu64 ": %s", e->a, e->b, s); break;
    case TV_PARTITION: snprintf(buf, cap, "partition %s", s); break;
    case TV_EXPECT: snprintf(buf, cap, "expectation failed: %s", s); break;
    case TV_VIOLATION:
        snprintf(buf, cap, "VIOLATION %s", m->v_invariant ? m->v_invariant : "");
        break;
    case TV_INVOKE: snprintf(buf, cap, "c%" PRIu64 " %s", e->a, s); break;
    case TV_RETURN: snprintf(buf, cap, "c%" PRIu64 " %s", e->a, s); break;
    default: snprintf(buf, cap, "%s", tv_kind_names[e->kind]); break;
    }
}
