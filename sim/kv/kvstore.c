/* kvstore.c - the key-value state machine: an open-addressing table of keys, and one session
 * record per client. Never iterated, so addresses cannot leak into any output. */
#include "sim/kv/kvstore.h"

#include <string.h>

#include "sim/base/util.h"

typedef struct {
    char *key;
    char *val; /* NULL: absent (never written, or the slot is free) */
    size_t len, cap;
} kv_slot;

typedef struct {
    uint64_t seq; /* last applied operation, 0 = none */
    int ok;
    int has_value;
    char *value; /* the last get's answer, for a retry of it */
} kv_session;

struct kv_store {
    kv_slot *slots;
    size_t cap, n;
    kv_session *sessions;
    uint32_t n_sessions;
};

static uint64_t key_hash(const char *k) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *k; k++) h = (h ^ (unsigned char)*k) * 0x100000001b3ull;
    return h;
}

kv_store *kv_store_new(void) {
    kv_store *s = rs_xcalloc(1, sizeof *s);
    s->cap = 16;
    s->slots = rs_xcalloc(s->cap, sizeof *s->slots);
    return s;
}

void kv_store_reset(kv_store *s) {
    for (size_t i = 0; i < s->cap; i++) {
        free(s->slots[i].key);
        free(s->slots[i].val);
        s->slots[i] = (kv_slot){0};
    }
    s->n = 0;
    for (uint32_t i = 0; i < s->n_sessions; i++) free(s->sessions[i].value);
    free(s->sessions);
    s->sessions = NULL;
    s->n_sessions = 0;
}

void kv_store_free(kv_store *s) {
    if (!s) return;
    kv_store_reset(s);
    free(s->slots);
    free(s);
}

kv_store *kv_store_clone(const kv_store *s) {
    kv_store *d = rs_xcalloc(1, sizeof *d);
    d->cap = s->cap;
    d->n = s->n;
    d->slots = rs_xcalloc(d->cap, sizeof *d->slots);
    for (size_t i = 0; i < s->cap; i++) {
        const kv_slot *a = &s->slots[i];
        kv_slot *b = &d->slots[i];
        if (!a->key) continue;
        b->key = rs_xstrdup(a->key);
        if (a->val) {
            b->val = rs_xmalloc(a->cap);
            memcpy(b->val, a->val, a->len + 1);
            b->len = a->len;
            b->cap = a->cap;
        }
    }
    d->n_sessions = s->n_sessions;
    d->sessions = s->n_sessions ? rs_xcalloc(s->n_sessions, sizeof *d->sessions) : NULL;
    for (uint32_t i = 0; i < s->n_sessions; i++) {
        d->sessions[i] = s->sessions[i];
        if (s->sessions[i].value) d->sessions[i].value = rs_xstrdup(s->sessions[i].value);
    }
    return d;
}

static kv_slot *find(const kv_store *s, const char *key) {
    size_t i = (size_t)key_hash(key) & (s->cap - 1);
    while (s->slots[i].key && strcmp(s->slots[i].key, key) != 0) i = (i + 1) & (s->cap - 1);
    return &s->slots[i];
}

static kv_slot *find_or_add(kv_store *s, const char *key) {
    if ((s->n + 1) * 2 > s->cap) {
        kv_slot *old = s->slots;
        size_t old_cap = s->cap;
        s->cap *= 2;
        s->slots = rs_xcalloc(s->cap, sizeof *s->slots);
        for (size_t i = 0; i < old_cap; i++)
            if (old[i].key) *find(s, old[i].key) = old[i];
        free(old);
    }
    kv_slot *sl = find(s, key);
    if (!sl->key) {
        sl->key = rs_xstrdup(key);
        s->n++;
    }
    return sl;
}

const char *kv_store_get(const kv_store *s, const char *key) {
    return find(s, key)->val;
}

static void set_value(kv_slot *sl, const char *prefix, size_t plen, const char *v) {
    size_t vlen = strlen(v), len = plen + vlen;
    if (len + 1 > sl->cap || !sl->val) {
        size_t cap = sl->cap ? sl->cap : 16;
        while (cap < len + 1) cap *= 2;
        char *nv = rs_xmalloc(cap);
        if (plen) memcpy(nv, prefix, plen);
        free(sl->val);
        sl->val = nv;
        sl->cap = cap;
    } else if (plen && prefix != sl->val) {
        memmove(sl->val, prefix, plen);
    }
    memcpy(sl->val + plen, v, vlen + 1);
    sl->len = len;
}

static kv_session *session(kv_store *s, uint32_t client) {
    if (client >= s->n_sessions) {
        uint32_t n = client + 1;
        s->sessions = rs_xrealloc(s->sessions, n * sizeof *s->sessions);
        memset(s->sessions + s->n_sessions, 0, (n - s->n_sessions) * sizeof *s->sessions);
        s->n_sessions = n;
    }
    return &s->sessions[client];
}

/* The operation itself, on the table. */
static void execute(kv_store *s, const kv_op *op, kv_result *res) {
    kv_slot *sl = find_or_add(s, op->key);
    res->ok = 1;
    switch (op->kind) {
    case SCN_KV_PUT: set_value(sl, NULL, 0, op->value); break;
    case SCN_KV_APPEND:
        if (sl->val)
            set_value(sl, sl->val, sl->len, op->value);
        else
            set_value(sl, NULL, 0, op->value);
        break;
    case SCN_KV_CAS:
        res->ok = sl->val && strcmp(sl->val, op->from) == 0;
        if (res->ok) set_value(sl, NULL, 0, op->value);
        break;
    case SCN_KV_GET: break;
    }
    res->value = op->kind == SCN_KV_GET ? sl->val : NULL;
}

void kv_store_apply(kv_store *s, const kv_op *op, int dedup, kv_result *res) {
    kv_session *se = session(s, op->client);
    *res = (kv_result){0};
    if (dedup && op->seq <= se->seq) {
        /* Already applied: a retry. Answer as the first time (only the last operation can be
         * retried: a client has one in flight). */
        res->duplicate = 1;
        res->ok = se->ok;
        res->value = se->has_value ? se->value : NULL;
        return;
    }
    execute(s, op, res);
    se->seq = op->seq > se->seq ? op->seq : se->seq;
    se->ok = res->ok;
    free(se->value);
    se->value = res->value ? rs_xstrdup(res->value) : NULL;
    se->has_value = res->value != NULL;
}
