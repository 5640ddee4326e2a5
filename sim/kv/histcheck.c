/* histcheck.c - rebuilding a key-value history from trace events for the linearizability
 * checker. */
#include "sim/kv/histcheck.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "sim/base/jsonget.h"
#include "sim/kv/linz.h"
#include "sim/scenario/scenario.h"
#include "sim/base/util.h"

typedef struct {
    lz_op op;
    int returned;
    char *key, *value, *from, *result; /* owned copies */
} hist_op;

struct hist_collector {
    hist_op *ops;
    size_t n, cap;
};

hist_collector *hist_new(void) {
    return rs_xcalloc(1, sizeof(hist_collector));
}

void hist_free(hist_collector *h) {
    if (!h) return;
    for (size_t i = 0; i < h->n; i++) {
        free(h->ops[i].key);
        free(h->ops[i].value);
        free(h->ops[i].from);
        free(h->ops[i].result);
    }
    free(h->ops);
    free(h);
}

/* A string field, or NULL for null/absent; -1 for another type. */
static int get_opt_str(const cJSON *o, const char *k, char **out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    *out = NULL;
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsString(v)) return -1;
    *out = rs_xstrdup(v->valuestring);
    return 0;
}

static hist_op *find_op(hist_collector *h, uint64_t client, uint64_t op_id) {
    for (size_t i = h->n; i-- > 0;) /* the latest first: a return follows its invoke closely */
        if (h->ops[i].op.client == client && h->ops[i].op.op_id == op_id) return &h->ops[i];
    return NULL;
}

static int feed_invoke(hist_collector *h, const cJSON *ev, uint64_t t_us, const char **why) {
    uint64_t client, op_id, seq;
    const cJSON *op = cJSON_GetObjectItemCaseSensitive(ev, "op");
    *why = "client_invoke: missing or invalid field";
    if (json_get_u64(ev, "client", &client) || json_get_u64(ev, "op_id", &op_id) ||
        json_get_u64(ev, "seq", &seq) || !cJSON_IsString(op))
        return -1;
    int kind = scn_kv_op_parse(op->valuestring);
    if (kind < 0 || find_op(h, client, op_id)) return -1;
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 64;
        h->ops = rs_xrealloc(h->ops, h->cap * sizeof *h->ops);
    }
    hist_op *o = &h->ops[h->n];
    memset(o, 0, sizeof *o);
    if (get_opt_str(ev, "key", &o->key) || !o->key || get_opt_str(ev, "value", &o->value) ||
        get_opt_str(ev, "from", &o->from)) {
        free(o->key), free(o->value), free(o->from);
        return -1;
    }
    h->n++;
    o->op = (lz_op){.client = (uint32_t)client,
                    .op_id = op_id,
                    .kind = (lz_kind)kind,
                    .invoke_us = t_us,
                    .invoke_seq = seq + 1, /* 0 stands for "no order" */
                    .outcome = LZ_UNKNOWN};
    return 0;
}

static int feed_return(hist_collector *h, const cJSON *ev, uint64_t t_us, const char **why) {
    uint64_t client, op_id, seq;
    const cJSON *outcome = cJSON_GetObjectItemCaseSensitive(ev, "outcome");
    *why = "client_return: missing or invalid field, or no matching client_invoke";
    if (json_get_u64(ev, "client", &client) || json_get_u64(ev, "op_id", &op_id) ||
        json_get_u64(ev, "seq", &seq) || !cJSON_IsString(outcome))
        return -1;
    hist_op *o = find_op(h, client, op_id);
    if (!o || o->returned) return -1;
    const char *s = outcome->valuestring;
    if (!strcmp(s, "ok"))
        o->op.outcome = LZ_OK;
    else if (!strcmp(s, "fail"))
        o->op.outcome = LZ_FAIL;
    else if (!strcmp(s, "unknown"))
        o->op.outcome = LZ_UNKNOWN;
    else
        return -1;
    if (get_opt_str(ev, "value", &o->result)) return -1;
    o->returned = 1;
    o->op.return_us = t_us;
    o->op.return_seq = seq + 1;
    return 0;
}

int hist_feed(hist_collector *h, const cJSON *ev, uint64_t t_us, const char **why) {
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(ev, "ev");
    if (!cJSON_IsString(kind)) return 0;
    if (!strcmp(kind->valuestring, "client_invoke")) return feed_invoke(h, ev, t_us, why);
    if (!strcmp(kind->valuestring, "client_return")) return feed_return(h, ev, t_us, why);
    return 0;
}

int hist_check(hist_collector *h, char *explain, size_t cap) {
    if (h->n == 0) return 1;
    lz_op *ops = rs_xcalloc(h->n, sizeof *ops);
    for (size_t i = 0; i < h->n; i++) {
        hist_op *o = &h->ops[i];
        ops[i] = o->op;
        ops[i].key = o->key;
        ops[i].value = o->value;
        ops[i].from = o->from;
        ops[i].result = o->result;
    }
    lz_result lr;
    lz_check(ops, h->n, 0, &lr);
    int rc = lr.linearizable == LZ_YES ? 1 : lr.linearizable == LZ_NO ? 0 : -1;
    snprintf(explain, cap, "%s", lr.explain);
    lz_result_free(&lr);
    free(ops);
    return rc;
}
