/* linz.c - linearizability checking of key-value histories: per-key Wing & Gong search with
 * Lowe's memoization (as Porcupine does it), and a readable minimal explanation of a failure.
 *
 * Layout, in file order: the string table (every value interned to a small id, so that the
 * model state is one uint32 and a model step O(1)); per-key ops; the search workspace: entry
 * lists linked as dancing links, the linearized set as canonical bitset runs, the memo of
 * configurations (with a dominance rule for unknown-outcome ops), the search with its explicit
 * stack and its two orders for unknown-outcome ops; "could this value have been written at
 * all"; when an unknown-outcome op can still matter; the explanation (shortest failing cut,
 * shrinking, text); lz_check (grouping by key, interning, one search per key). */
#include "sim/kv/linz.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/util.h"

#define NONE UINT32_MAX
/* The state id standing for any value no read can match (see ws_usefulness); never a string's. */
#define GARBAGE (NONE - 1)
/* Ops accepted in one call: op positions travel in uint32_t with room for the list sentinel. */
#define LZ_OPS_MAX (1u << 28)
/* Memo entries per search. Past this the search goes on without remembering new states: still
 * correct (the memo only prunes), bounded by the step budget, and memory stays bounded. */
#define LZ_MEMO_MAX (1u << 23)
/* Base of the polynomial string hash; substrings of a value then hash in O(1) from its prefix
 * hashes, which the "was this value ever written" test needs. */
#define POLY_B 0x100000001B3ull

enum { S_YES, S_NO, S_GAVE_UP };

/* ---- small helpers ------------------------------------------------------------------------ */

/* Room for `need` elements of `size` bytes, doubling so that appends are amortized O(1). Never
 * NULL, even for 0 elements: pointer arithmetic on NULL, even + 0, is undefined. */
static void *grow(void *p, size_t *cap, size_t need, size_t size) {
    if (need == 0) need = 1;
    if (need <= *cap) return p;
    size_t c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    ASSERT(c <= SIZE_MAX / size);
    *cap = c;
    return rs_xrealloc(p, c * size);
}
#define GROW(p, cap, need) ((p) = grow((p), &(cap), (need), sizeof *(p)))

static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static size_t pow2_at_least(size_t n) {
    size_t p = 64;
    while (p < n) p *= 2;
    return p;
}

static uint64_t poly_pow(size_t e) {
    uint64_t r = 1, b = POLY_B;
    for (; e; e >>= 1, b *= b)
        if (e & 1) r *= b;
    return r;
}

static uint64_t poly_hash(const char *s, size_t len) {
    uint64_t h = 0;
    for (size_t i = 0; i < len; i++) h = h * POLY_B + (unsigned char)s[i];
    return h;
}

/* ---- string table: every value of the history, interned; id 0 is "absent" --------------- */

typedef struct {
    size_t off, len; /* the bytes are tab.bytes[off .. off+len) */
    uint64_t h;      /* poly_hash of the bytes */
} lz_str;

typedef struct {
    char *bytes; /* all strings, back to back; offsets stay valid when it moves */
    size_t nbytes, bytes_cap;
    lz_str *v; /* v[0] stands for absent */
    size_t n, v_cap;
    uint32_t *slot; /* open addressing over ids, 0 = empty */
    size_t nslot, slot_cap;
    uint64_t *memo_key; /* append transitions: (state << 32 | value) -> memo_val; 0 = empty */
    uint32_t *memo_val;
    size_t nmemo, memo_slots, memo_cap;
} lz_strtab;

static const char *str_at(const lz_strtab *t, uint32_t id) {
    return t->bytes + t->v[id].off;
}

static size_t str_slot(uint64_t h, size_t len) {
    return (size_t)mix64(h ^ ((uint64_t)len * 0x9E3779B97F4A7C15ull));
}

/* The id of the bytes s[0..len) with hash h, or 0 with *pos the free slot where it belongs. */
static uint32_t strtab_probe(const lz_strtab *t, const char *s, size_t len, uint64_t h,
                             size_t *pos) {
    size_t mask = t->nslot - 1;
    for (size_t i = str_slot(h, len) & mask;; i = (i + 1) & mask) {
        uint32_t id = t->slot[i];
        if (id == 0) {
            if (pos) *pos = i;
            return 0;
        }
        const lz_str *e = &t->v[id];
        if (e->h == h && e->len == len && memcmp(t->bytes + e->off, s, len) == 0) return id;
    }
}

static void strtab_rehash(lz_strtab *t) {
    t->nslot *= 2;
    GROW(t->slot, t->slot_cap, t->nslot);
    memset(t->slot, 0, t->nslot * sizeof *t->slot);
    for (uint32_t id = 1; id < t->n; id++) {
        size_t mask = t->nslot - 1, i = str_slot(t->v[id].h, t->v[id].len) & mask;
        while (t->slot[i]) i = (i + 1) & mask;
        t->slot[i] = id;
    }
}

/* Interns the `len` bytes staged at bytes[nbytes..]: an existing id, or a new one that keeps
 * them. Staging first lets append build the new value in place without a temporary copy. */
static uint32_t strtab_commit(lz_strtab *t, size_t len, uint64_t h) {
    size_t pos;
    uint32_t id = strtab_probe(t, t->bytes + t->nbytes, len, h, &pos);
    if (id) return id;
    ASSERT(t->n < GARBAGE);
    GROW(t->v, t->v_cap, t->n + 1);
    id = (uint32_t)t->n++;
    t->v[id] = (lz_str){.off = t->nbytes, .len = len, .h = h};
    t->nbytes += len;
    t->slot[pos] = id;
    if (t->n * 2 > t->nslot) strtab_rehash(t);
    return id;
}

static uint32_t strtab_intern(lz_strtab *t, const char *s) {
    size_t len = strlen(s);
    GROW(t->bytes, t->bytes_cap, t->nbytes + len + 1);
    memcpy(t->bytes + t->nbytes, s, len);
    return strtab_commit(t, len, poly_hash(s, len));
}

/* An empty table sized for about `expect` strings. */
static void strtab_init(lz_strtab *t, size_t expect) {
    t->nbytes = 0;
    GROW(t->bytes, t->bytes_cap, 1);
    GROW(t->v, t->v_cap, 1);
    t->v[0] = (lz_str){0, 0, 0};
    t->n = 1;
    t->nslot = pow2_at_least(2 * expect);
    GROW(t->slot, t->slot_cap, t->nslot);
    memset(t->slot, 0, t->nslot * sizeof *t->slot);
    t->nmemo = 0;
    t->memo_slots = pow2_at_least(expect);
    size_t old = t->memo_cap;
    GROW(t->memo_key, t->memo_cap, t->memo_slots);
    if (t->memo_cap != old)
        t->memo_val = rs_xrealloc(t->memo_val, t->memo_cap * sizeof *t->memo_val);
    memset(t->memo_key, 0, t->memo_slots * sizeof *t->memo_key);
}

static void memo_put(lz_strtab *t, uint64_t key, uint32_t val) {
    size_t mask = t->memo_slots - 1, i = (size_t)mix64(key) & mask;
    while (t->memo_key[i]) i = (i + 1) & mask;
    t->memo_key[i] = key;
    t->memo_val[i] = val;
    t->nmemo++;
}

static void memo_grow(lz_strtab *t) {
    size_t old = t->memo_slots;
    uint64_t *k = rs_xmalloc(old * sizeof *k);
    uint32_t *v = rs_xmalloc(old * sizeof *v);
    memcpy(k, t->memo_key, old * sizeof *k);
    memcpy(v, t->memo_val, old * sizeof *v);
    t->memo_slots *= 2;
    GROW(t->memo_key, t->memo_cap, t->memo_slots);
    t->memo_val = rs_xrealloc(t->memo_val, t->memo_cap * sizeof *t->memo_val);
    memset(t->memo_key, 0, t->memo_slots * sizeof *t->memo_key);
    t->nmemo = 0;
    for (size_t i = 0; i < old; i++)
        if (k[i]) memo_put(t, k[i], v[i]);
    free(k);
    free(v);
}

/* The id of (value of state s) + (value of id v); transitions are remembered, so backtracking
 * over the same append costs a lookup, not a copy of an ever longer string. */
static uint32_t strtab_append(lz_strtab *t, uint32_t s, uint32_t v) {
    ASSERT(v != 0 && s < t->n && v < t->n);
    uint64_t key = (uint64_t)s << 32 | v;
    size_t mask = t->memo_slots - 1;
    for (size_t i = (size_t)mix64(key) & mask; t->memo_key[i]; i = (i + 1) & mask)
        if (t->memo_key[i] == key) return t->memo_val[i];
    size_t ls = t->v[s].len, lv = t->v[v].len;
    GROW(t->bytes, t->bytes_cap, t->nbytes + ls + lv + 1);
    memcpy(t->bytes + t->nbytes, t->bytes + t->v[s].off, ls);
    memcpy(t->bytes + t->nbytes + ls, t->bytes + t->v[v].off, lv);
    uint64_t h = t->v[s].h * poly_pow(lv) + t->v[v].h;
    uint32_t id = strtab_commit(t, ls + lv, h);
    if ((t->nmemo + 1) * 2 > t->memo_slots) memo_grow(t);
    memo_put(t, key, id);
    return id;
}

static void strtab_free(lz_strtab *t) {
    free(t->bytes);
    free(t->v);
    free(t->slot);
    free(t->memo_key);
    free(t->memo_val);
}

/* ---- per-key ops and selections ----------------------------------------------------------- */

typedef struct {
    size_t orig; /* index into the caller's ops */
    uint64_t inv;
    uint64_t ret;  /* meaningless when outcome is LZ_UNKNOWN */
    uint32_t val;  /* put, append, cas: the new value's id */
    uint32_t from; /* cas: the expected value's id (never 0, so absent never matches) */
    uint32_t res;  /* get: the value read, 0 = absent */
    uint8_t kind, outcome;
} lz_kop;

/* One op of a sub-history being searched: kop index k, and whether its outcome is taken as
 * unknown (for an op still running at the cut-off time of a prefix). */
typedef struct {
    uint32_t k;
    uint8_t unknown;
} lz_sel;

/* ---- search workspace ---------------------------------------------------------------------- */

typedef struct {
    uint32_t val, from, res;
    uint8_t kind, outcome;
} lz_sop;

typedef struct {
    uint64_t inv, ret;
    uint32_t pos; /* position in the selection */
    uint8_t unknown;
} lz_ord;

typedef struct {
    uint64_t t;
    uint32_t bit;
    uint8_t is_ret;
} lz_ent;

/* A run of bitset words kept in canonical form: words [0, lo) are full, words [hi, nw) are
 * zero, so a memo entry stores only [lo, hi). Bits are numbered in invoke order, so [lo, hi)
 * spans only the ops concurrent with the oldest pending one: a few words, whatever the history
 * length. Unknown-outcome ops, which may stay pending to the end, get a run of their own so
 * that they do not pin lo at the start. */
typedef struct {
    uint32_t base, nw, lo, hi;
    uint64_t lastmask; /* the valid bits of word nw-1 */
} lz_seg;

/* A visited configuration. Entries with the same known-op set and state are chained, one per
 * set of unknown-outcome ops linearized; see memo_visit. */
typedef struct {
    uint64_t h; /* of the known-op set and the state only */
    size_t off; /* words[off ..]: the known run, then the unknown run */
    uint32_t state, klo, kn, ulo, un;
    uint32_t next; /* the next entry of the chain, + 1; 0 ends it */
    uint8_t head;  /* first of its chain: the one the hash table points to */
    uint8_t done;  /* explored to the end (and failed): no longer on the search stack */
} lz_memo;

typedef struct {
    lz_sop *op; /* by bit: known ops first (bits [0, mk)), then unknown ones */
    size_t op_cap;
    lz_ord *ord;
    size_t ord_cap;
    lz_ent *ent, *ent2;
    size_t ent_cap, ent2_cap;
    /* Three circular entry lists in one set of arrays: node 0 heads the calls and returns of
     * known-outcome ops (and the calls of unknown-outcome ones in the eager order); in the
     * lazy order, node usent heads the calls of unknown-outcome ops that may matter, gsent
     * those no read can see (see ws_usefulness). Unknown ops have no return entry. */
    uint32_t *nxt, *prv, *ebit;
    uint64_t *etime;
    uint8_t *eret;
    size_t list_cap;
    uint32_t usent, gsent;
    int lazy; /* unknown-outcome calls in lists of their own (see ws_build_list) */
    uint32_t *call_e, *ret_e, *st_bit, *st_state, *st_memo;
    uint64_t *st_limit;
    size_t bit_cap;
    uint64_t *bits;
    size_t bits_cap;
    lz_seg known, unk;
    uint64_t zob; /* Zobrist hash of the known-op bits, kept up to date on every set and clear */
    uint32_t mk, m;
    uint64_t frontier_us; /* the latest first-pending return time of any configuration */
    uint64_t *useful_us;  /* lazy order, by unknown bit - mk: see ws_usefulness */
    uint8_t *useless;     /* idem */
    size_t useful_cap, useless_cap;
    lz_memo *memo;
    size_t nmemo, memo_cap;
    uint32_t *mslot; /* chain heads, + 1; 0 = empty */
    size_t nmslot, mslot_cap;
    uint64_t *words;
    size_t nwords, words_cap;
} lz_ws;

/* ---- scratch of the "could this value have been written" test ----------------------------- */

typedef struct {
    uint32_t *put_gen, *app_gen, *ok_gen; /* == gen: id is a whole value written / appended /
                                             already found writable, in this test */
    size_t gen_cap;
    uint32_t gen;
    size_t *put_len, *app_len;
    uint64_t *put_pow, *app_pow;
    size_t nput, napp, put_cap, app_cap, ppow_cap, apow_cap;
    int empty_app; /* some append adds "" */
    uint64_t *pre;
    uint8_t *reach, *ext;
    uint32_t *cost;
    size_t pre_cap, reach_cap, ext_cap, cost_cap;
} lz_just;

typedef struct {
    const lz_op *ops;
    uint64_t budget, steps;
    uint64_t limit; /* the step count at which the current search stops */
    lz_order order;
    lz_strtab tab;
    lz_kop *kop; /* the current key's ops, by (invoke time, input index); not owned */
    size_t nk;
    lz_ws ws;
    lz_just js;
    lz_sel *s1, *s2; /* selections for the explanation */
    size_t s1_cap, s2_cap;
    uint64_t *times;
    size_t times_cap;
} lz_ctx;

/* ---- the entry list ------------------------------------------------------------------------ */

/* Entry order: by time; at equal times calls before returns, so that an op returning at t and
 * one invoked at t are both pending at once, i.e. concurrent, as linz.h promises; then by bit,
 * only to make the order total. */
static int ent_before(const lz_ent *x, const lz_ent *y) {
    if (x->t != y->t) return x->t < y->t;
    if (x->is_ret != y->is_ret) return x->is_ret < y->is_ret;
    return x->bit < y->bit;
}

static void ent_merge(const lz_ent *a, size_t na, const lz_ent *b, size_t nb, lz_ent *out) {
    size_t i = 0, j = 0, k = 0;
    while (i < na && j < nb) out[k++] = ent_before(&b[j], &a[i]) ? b[j++] : a[i++];
    while (i < na) out[k++] = a[i++];
    while (j < nb) out[k++] = b[j++];
}

/* Bottom-up merge sort of a[0..n) with tmp[0..n) as scratch: a few times faster than qsort
 * here, whose comparator calls dominated the checking of many small keys. */
static void ent_sort(lz_ent *a, lz_ent *tmp, size_t n) {
    lz_ent *src = a, *dst = tmp;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            ent_merge(src + lo, mid - lo, src + mid, hi - mid, dst + lo);
        }
        lz_ent *t = src;
        src = dst;
        dst = t;
    }
    if (src != a) memcpy(a, src, n * sizeof *a);
}

/* Numbers the selected ops as bits: known outcomes first, then unknown ones, each in invoke
 * order (the selection is in invoke order already); fills op[]. */
static void ws_number_ops(lz_ctx *c, const lz_sel *sel, size_t n) {
    lz_ws *w = &c->ws;
    GROW(w->ord, w->ord_cap, n);
    uint32_t m = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            const lz_kop *k = &c->kop[sel[i].k];
            int unknown = sel[i].unknown || k->outcome == LZ_UNKNOWN;
            ASSERT(i == 0 || c->kop[sel[i - 1].k].inv <= k->inv);
            if (unknown != pass) continue;
            if (k->kind == LZ_GET && unknown) continue; /* observes nothing, changes nothing */
            w->ord[m++] = (lz_ord){k->inv, k->ret, (uint32_t)i, (uint8_t)unknown};
        }
        if (pass == 0) w->mk = m;
    }
    GROW(w->op, w->op_cap, m);
    w->m = m;
    for (uint32_t b = 0; b < m; b++) {
        const lz_kop *k = &c->kop[sel[w->ord[b].pos].k];
        uint8_t out = w->ord[b].unknown ? LZ_UNKNOWN : k->outcome;
        w->op[b] = (lz_sop){k->val, k->from, k->res, k->kind, out};
    }
}

/* The entries of the main list in order into ent2: the calls of the known-outcome ops, and of
 * the unknown-outcome ones too if `eager`, and the returns. The calls come in two sorted runs
 * (bits are numbered in invoke order, known ones first); only the returns need sorting. */
static size_t ws_sort_entries(lz_ws *w, int eager) {
    size_t mk = w->mk, mc = eager ? w->m : mk, ne = mc + mk;
    GROW(w->ent, w->ent_cap, ne);
    GROW(w->ent2, w->ent2_cap, ne);
    for (uint32_t b = 0; b < mc; b++) w->ent2[b] = (lz_ent){w->ord[b].inv, b, 0};
    ent_merge(w->ent2, mk, w->ent2 + mk, mc - mk, w->ent);
    for (uint32_t b = 0; b < mk; b++) w->ent[mc + b] = (lz_ent){w->ord[b].ret, b, 1};
    ent_sort(w->ent + mc, w->ent2, mk);
    ent_merge(w->ent, mc, w->ent + mc, mk, w->ent2);
    return ne;
}

static void ws_alloc_list(lz_ws *w, size_t nodes) {
    size_t old_cap = w->list_cap;
    GROW(w->nxt, w->list_cap, nodes);
    if (w->list_cap != old_cap) {
        w->prv = rs_xrealloc(w->prv, w->list_cap * sizeof *w->prv);
        w->ebit = rs_xrealloc(w->ebit, w->list_cap * sizeof *w->ebit);
        w->etime = rs_xrealloc(w->etime, w->list_cap * sizeof *w->etime);
        w->eret = rs_xrealloc(w->eret, w->list_cap * sizeof *w->eret);
    }
    old_cap = w->bit_cap;
    GROW(w->call_e, w->bit_cap, w->m);
    if (w->bit_cap != old_cap) {
        w->ret_e = rs_xrealloc(w->ret_e, w->bit_cap * sizeof *w->ret_e);
        w->st_bit = rs_xrealloc(w->st_bit, w->bit_cap * sizeof *w->st_bit);
        w->st_state = rs_xrealloc(w->st_state, w->bit_cap * sizeof *w->st_state);
        w->st_limit = rs_xrealloc(w->st_limit, w->bit_cap * sizeof *w->st_limit);
        w->st_memo = rs_xrealloc(w->st_memo, w->bit_cap * sizeof *w->st_memo);
    }
}

/* Links nodes [first, first + n) after sentinel `sent` into a circular list, in order. */
static void list_chain(lz_ws *w, uint32_t sent, uint32_t first, uint32_t n) {
    for (uint32_t j = first; j < first + n; j++) {
        w->nxt[j] = j + 1 == first + n ? sent : j + 1;
        w->prv[j] = j == first ? sent : j - 1;
    }
    w->nxt[sent] = n ? first : sent;
    w->prv[sent] = n ? first + n - 1 : sent;
    w->etime[sent] = UINT64_MAX;
    w->eret[sent] = 0;
}

/* Links the calls of the unknown-outcome ops into the lists after sentinels usent (those that
 * may matter) and gsent (those no read can see: see ws_usefulness), each in invoke order. */
static void ws_build_unknown_lists(lz_ws *w, uint32_t first) {
    uint32_t mu = w->m - w->mk, nu = 0, ng = 0;
    for (uint32_t b = w->mk; b < w->m; b++) ng += w->useless[b - w->mk];
    nu = mu - ng;
    w->usent = first;
    w->gsent = first + 1 + nu;
    uint32_t ju = w->usent + 1, jg = w->gsent + 1;
    for (uint32_t b = w->mk; b < w->m; b++) {
        uint32_t j = w->useless[b - w->mk] ? jg++ : ju++;
        ASSERT(b == w->mk || w->ord[b - 1].inv <= w->ord[b].inv);
        w->ebit[j] = b;
        w->etime[j] = w->ord[b].inv;
        w->eret[j] = 0;
        w->call_e[b] = j;
    }
    list_chain(w, w->usent, w->usent + 1, nu);
    list_chain(w, w->gsent, w->gsent + 1, ng);
}

/* Builds the entry lists. Eager: unknown-outcome calls in the main list with the others, so
 * they are tried in invoke order like any op (as Porcupine does). Lazy: in lists of their
 * own, tried only once the known calls before the first pending return have failed. */
static void ws_build_list(lz_ws *w, int eager) {
    w->lazy = !eager;
    uint32_t ne = (uint32_t)ws_sort_entries(w, eager), mu = eager ? 0 : w->m - w->mk;
    ws_alloc_list(w, (size_t)ne + mu + 3);
    for (uint32_t j = 1; j <= ne; j++) {
        const lz_ent *e = &w->ent2[j - 1];
        ASSERT(j == 1 || !ent_before(e, e - 1));
        w->ebit[j] = e->bit;
        w->etime[j] = e->t;
        w->eret[j] = e->is_ret;
        if (e->is_ret)
            w->ret_e[e->bit] = j;
        else
            w->call_e[e->bit] = j;
    }
    list_chain(w, 0, 1, ne);
    if (eager) {
        w->usent = ne + 1;
        w->gsent = ne + 2;
        list_chain(w, w->usent, w->usent + 1, 0);
        list_chain(w, w->gsent, w->gsent + 1, 0);
    } else {
        ws_build_unknown_lists(w, ne + 1);
    }
}

/* Takes op b's call and return entries out of the list; they keep their own links, so
 * list_unlift can put them back (in the reverse order) in O(1). */
static void list_lift(lz_ws *w, uint32_t b) {
    uint32_t e = w->call_e[b];
    w->nxt[w->prv[e]] = w->nxt[e];
    w->prv[w->nxt[e]] = w->prv[e];
    if (b < w->mk) {
        e = w->ret_e[b];
        w->nxt[w->prv[e]] = w->nxt[e];
        w->prv[w->nxt[e]] = w->prv[e];
    }
}

static void list_unlift(lz_ws *w, uint32_t b) {
    uint32_t e;
    if (b < w->mk) {
        e = w->ret_e[b];
        w->nxt[w->prv[e]] = e;
        w->prv[w->nxt[e]] = e;
    }
    e = w->call_e[b];
    w->nxt[w->prv[e]] = e;
    w->prv[w->nxt[e]] = e;
}

/* ---- the linearized set -------------------------------------------------------------------- */

static void seg_init(lz_seg *s, uint32_t base, uint32_t nbits) {
    s->base = base;
    s->nw = (nbits + 63) / 64;
    s->lo = s->hi = 0;
    s->lastmask = nbits % 64 ? (1ull << (nbits % 64)) - 1 : ~0ull;
}

static uint64_t seg_full(const lz_seg *s, uint32_t i) {
    return i + 1 == s->nw ? s->lastmask : ~0ull;
}

static void ws_init_bits(lz_ws *w) {
    seg_init(&w->known, 0, w->mk);
    seg_init(&w->unk, w->known.nw, w->m - w->mk);
    size_t nw = (size_t)w->known.nw + w->unk.nw;
    GROW(w->bits, w->bits_cap, nw + 1);
    memset(w->bits, 0, (nw + 1) * sizeof *w->bits);
    w->zob = 0;
}

static lz_seg *bit_pos(lz_ws *w, uint32_t b, uint32_t *wi, uint64_t *mask) {
    uint32_t i = b < w->mk ? b : b - w->mk;
    *wi = i / 64;
    *mask = 1ull << (i % 64);
    return b < w->mk ? &w->known : &w->unk;
}

static uint64_t zkey(uint32_t b) {
    return mix64((uint64_t)b + 0x632BE59BD9B4E019ull);
}

static void bit_set(lz_ws *w, uint32_t b) {
    uint32_t wi;
    uint64_t mask;
    lz_seg *s = bit_pos(w, b, &wi, &mask);
    uint64_t *words = w->bits + s->base;
    ASSERT(wi < s->nw && !(words[wi] & mask));
    words[wi] |= mask;
    if (b < w->mk) w->zob ^= zkey(b);
    if (wi >= s->hi) s->hi = wi + 1;
    while (s->lo < s->nw && words[s->lo] == seg_full(s, s->lo)) s->lo++;
}

static void bit_clear(lz_ws *w, uint32_t b) {
    uint32_t wi;
    uint64_t mask;
    lz_seg *s = bit_pos(w, b, &wi, &mask);
    uint64_t *words = w->bits + s->base;
    ASSERT(wi < s->nw && (words[wi] & mask));
    words[wi] &= ~mask;
    if (b < w->mk) w->zob ^= zkey(b);
    if (wi < s->lo) s->lo = wi;
    while (s->hi > s->lo && words[s->hi - 1] == 0) s->hi--;
}

/* ---- the memo of visited configurations (Lowe, section 3), with dominance ------------------ */

/* A configuration is (set of ops linearized, state). Lowe prunes one that was seen before. For
 * unknown-outcome ops we prune more: such an op may be linearized at any later point or never,
 * so (K, U, s) can do whatever (K, U', s) can when U is a subset of U' (K the known-outcome ops,
 * U the unknown ones linearized, s the state). So a configuration is pruned when one with the
 * same K and s and a subset of its U was seen. Without this, every unknown op left pending
 * doubles the configurations a refutation must visit; with it, applying an unknown op and then
 * overwriting its value leads straight back to a configuration already judged. */

static uint64_t memo_hash(const lz_ws *w, uint32_t state) {
    return w->zob ^ mix64(((uint64_t)state << 1 | 1) * 0xD6E8FEB86659FD93ull);
}

static int memo_same_known(const lz_ws *w, const lz_memo *e, uint64_t h, uint32_t state) {
    const lz_seg *k = &w->known;
    if (e->h != h || e->state != state || e->klo != k->lo || e->kn != k->hi - k->lo) return 0;
    return memcmp(w->words + e->off, w->bits + k->base + k->lo, e->kn * sizeof *w->words) == 0;
}

/* Word i of a canonical run: full below lo, stored in [lo, lo + n), zero above. */
static uint64_t run_word(const lz_seg *shape, const uint64_t *stored, uint32_t lo, uint32_t n,
                         uint32_t i) {
    if (i < lo) return seg_full(shape, i);
    return i < lo + n ? stored[i - lo] : 0;
}

/* Whether run x (words from xlo, xn of them) is a subset of run y, both of segment shape. */
static int run_subset(const lz_seg *shape, const uint64_t *x, uint32_t xlo, uint32_t xn,
                      const uint64_t *y, uint32_t ylo, uint32_t yn) {
    for (uint32_t i = xlo < ylo ? xlo : ylo; i < xlo + xn; i++)
        if (run_word(shape, x, xlo, xn, i) & ~run_word(shape, y, ylo, yn, i)) return 0;
    return 1;
}

/* Whether entry e (same known ops and state) makes the current configuration redundant: its
 * unknown ops are a subset of the current ones, and it is finished (it failed), or the search
 * is lazy, or the sets are equal. An unfinished entry is an ancestor on the stack; pruning
 * below it is sound, since the ancestor can do all the pruned one could, but in the eager
 * order it would put off a linearization found in the pruned subtree until the ancestor's
 * other branches are exhausted. */
static int memo_dominates(const lz_ws *w, const lz_memo *e) {
    const lz_seg *u = &w->unk;
    const uint64_t *mine = w->words + e->off + e->kn, *cur = w->bits + u->base + u->lo;
    uint32_t cn = u->hi - u->lo;
    if (!run_subset(u, mine, e->ulo, e->un, cur, u->lo, cn)) return 0;
    return w->lazy || e->done || run_subset(u, cur, u->lo, cn, mine, e->ulo, e->un);
}

static void memo_rehash(lz_ws *w) {
    w->nmslot *= 2;
    GROW(w->mslot, w->mslot_cap, w->nmslot);
    memset(w->mslot, 0, w->nmslot * sizeof *w->mslot);
    size_t mask = w->nmslot - 1;
    for (size_t j = 0; j < w->nmemo; j++) {
        if (!w->memo[j].head) continue;
        size_t i = (size_t)w->memo[j].h & mask;
        while (w->mslot[i]) i = (i + 1) & mask;
        w->mslot[i] = (uint32_t)(j + 1);
    }
}

/* Stores the current configuration: as the head of a new chain at free slot `slot` when
 * head is 0, else right after the chain head `head` (an entry index + 1). */
static void memo_insert(lz_ws *w, size_t slot, uint32_t head, uint64_t h, uint32_t state) {
    const lz_seg *k = &w->known, *u = &w->unk;
    uint32_t kn = k->hi - k->lo, un = u->hi - u->lo;
    GROW(w->words, w->words_cap, w->nwords + kn + un);
    memcpy(w->words + w->nwords, w->bits + k->base + k->lo, kn * sizeof *w->words);
    memcpy(w->words + w->nwords + kn, w->bits + u->base + u->lo, un * sizeof *w->words);
    GROW(w->memo, w->memo_cap, w->nmemo + 1);
    lz_memo *e = &w->memo[w->nmemo];
    *e = (lz_memo){h, w->nwords, state, k->lo, kn, u->lo, un, 0, head == 0, 0};
    w->nwords += kn + un;
    uint32_t id = (uint32_t)++w->nmemo;
    if (head) {
        e->next = w->memo[head - 1].next;
        w->memo[head - 1].next = id;
        return;
    }
    w->mslot[slot] = id;
    if (w->nmemo * 2 > w->nmslot) memo_rehash(w);
}

/* Adds bit b to the set; keeps it and returns 1 if the configuration (set, state) is new and
 * not dominated, else undoes it and returns 0: what it could lead to is explored elsewhere.
 * *entry: the new memo entry, NONE if the memo is full. */
static int memo_visit(lz_ws *w, uint32_t b, uint32_t state, uint32_t *entry) {
    bit_set(w, b);
    uint64_t h = memo_hash(w, state);
    size_t mask = w->nmslot - 1, i = (size_t)h & mask;
    uint32_t head = 0;
    for (; w->mslot[i]; i = (i + 1) & mask) {
        if (memo_same_known(w, &w->memo[w->mslot[i] - 1], h, state)) {
            head = w->mslot[i];
            break;
        }
    }
    for (uint32_t e = head; e; e = w->memo[e - 1].next) {
        if (memo_dominates(w, &w->memo[e - 1])) {
            bit_clear(w, b);
            return 0;
        }
    }
    *entry = NONE;
    if (w->nmemo < LZ_MEMO_MAX) {
        *entry = (uint32_t)w->nmemo;
        memo_insert(w, i, head, h, state);
    }
    return 1;
}

static void ws_reset_memo(lz_ws *w) {
    w->nmemo = 0;
    w->nwords = 0;
    w->nmslot = pow2_at_least(4 * (size_t)w->m);
    GROW(w->mslot, w->mslot_cap, w->nmslot);
    memset(w->mslot, 0, w->nmslot * sizeof *w->mslot);
    GROW(w->words, w->words_cap, 1);
}

/* ---- the model ----------------------------------------------------------------------------- */

static int cas_step(const lz_sop *o, uint32_t s, uint32_t *ns) {
    int match = s == o->from;
    *ns = s;
    switch (o->outcome) {
    case LZ_OK:
        if (match) *ns = o->val;
        return match;
    case LZ_FAIL: return !match;
    default:
        if (match) *ns = o->val; /* unknown: whatever the compare gave, nobody saw it */
        return 1;
    }
}

/* Applies op o to state s: 1 and *ns the new state if the outcome recorded is possible. */
static int model_step(lz_ctx *c, const lz_sop *o, uint32_t s, uint32_t *ns) {
    switch (o->kind) {
    case LZ_PUT: *ns = o->val; return 1;
    case LZ_GET: *ns = s; return s == o->res;
    case LZ_APPEND: *ns = strtab_append(&c->tab, s, o->val); return 1;
    case LZ_CAS: return cas_step(o, s, ns);
    }
    ASSERT(0 && "unreachable op kind");
    return 0;
}

/* ---- the search (Wing & Gong; Lowe's memoization; the shape of Porcupine's checkSingle) --- */

/* Whether op b is a put and the last op placed has an unknown outcome. A put right after it
 * overwrites its effect unseen, so that order is never needed: the same put without the
 * unknown op before it (which may then never happen) is tried from the configuration below.
 * Without this rule a refutation tries runs of unknown puts in every combination. Lazy order
 * only: there the put is tried below before the unknown op; the eager order would first search
 * the whole subtree above the unknown op, which is what makes a linearization quick to find. */
static int blind_after_unknown(const lz_ws *w, uint32_t depth, uint32_t b) {
    return w->lazy && depth > 0 && w->op[b].kind == LZ_PUT && w->st_bit[depth - 1] >= w->mk;
}

/* Takes the last op off the stack, back to the configuration before it; returns its bit. */
static uint32_t ws_pop(lz_ws *w, uint32_t *depth, uint32_t *state, uint64_t *limit) {
    uint32_t b = w->st_bit[--*depth];
    if (w->st_memo[*depth] != NONE) w->memo[w->st_memo[*depth]].done = 1;
    *state = w->st_state[*depth];
    *limit = w->st_limit[*depth];
    bit_clear(w, b);
    list_unlift(w, b);
    return b;
}

/* The model step of op b in the search: as model_step, but in the lazy order an unknown op no
 * read can see leads to GARBAGE, and appending to GARBAGE stays there. */
static int ws_step(lz_ctx *c, uint32_t b, uint32_t s, uint32_t *ns) {
    lz_ws *w = &c->ws;
    if (w->lazy && b >= w->mk && w->useless[b - w->mk]) {
        *ns = GARBAGE;
        return 1;
    }
    if (s == GARBAGE && w->op[b].kind == LZ_APPEND) {
        *ns = GARBAGE;
        return 1;
    }
    return model_step(c, &w->op[b], s, ns);
}

/* Which list op b's call is in: 0 known, 1 unknown that may matter, 2 unknown unseen. */
static int ws_list_of(const lz_ws *w, uint32_t b) {
    uint32_t e = w->call_e[b];
    return e < w->usent ? 0 : e < w->gsent ? 1 : 2;
}

/* Whether the candidate at e is to be passed over: see blind_after_unknown; in phase 1 an
 * unknown op that can no longer matter; in phase 2 any but the first unseen unknown op (they
 * all lead to GARBAGE, and the first is available whenever a later one is). */
static int ws_skip(const lz_ws *w, int phase, uint32_t e, uint32_t depth, uint64_t limit) {
    uint32_t b = w->ebit[e];
    if (blind_after_unknown(w, depth, b)) return 1;
    if (phase == 1) return w->useful_us[b - w->mk] < limit;
    return phase == 2 && w->prv[e] != w->gsent;
}

/* Walks the known list from its head: at a call, tries to linearize that op now (model step
 * possible, configuration not pruned by the memo), then lifts it out and restarts from the
 * head. At the first return, whose op has not been linearized and cannot be any later, the
 * calls of the unknown-outcome ops invoked by then are tried too (phases 1 and 2), and after
 * them it backtracks. Trying unknown ops last means they are taken only when needed, and lets
 * the memo's dominance rule prune the detours through them. The explicit stack holds (op,
 * state and time limit before it): depth is bounded by the op count, never by the C stack.
 * Success as soon as every known-outcome op is placed: unknown ones then go at the end, where
 * nobody observes them, which is the same as never taking effect. */
static int ws_search(lz_ctx *c) {
    lz_ws *w = &c->ws;
    uint32_t state = 0, depth = 0, left = w->mk, e = w->nxt[0];
    uint64_t limit = 0; /* in phases 1 and 2: the time of the first pending return */
    int phase = 0;
    while (left > 0) {
        if (phase == 0 && w->eret[e]) {
            limit = w->etime[e];
            if (limit > w->frontier_us) w->frontier_us = limit;
            phase = 1;
            e = w->nxt[w->usent];
            continue;
        }
        ASSERT(phase || e != 0); /* a pending known op still has its return entry ahead */
        if (phase && w->etime[e] > limit) { /* also the end: a sentinel's time is max */
            if (phase == 1) {
                phase = 2;
                e = w->nxt[w->gsent];
                continue;
            }
            if (depth == 0) return S_NO;
            uint32_t b = ws_pop(w, &depth, &state, &limit);
            left += b < w->mk;
            e = w->nxt[w->call_e[b]];
            phase = ws_list_of(w, b); /* resume in the list b's call is in */
            continue;
        }
        if (ws_skip(w, phase, e, depth, limit)) {
            e = phase == 2 ? w->gsent : w->nxt[e];
            continue;
        }
        if (c->steps >= c->limit) return S_GAVE_UP;
        c->steps++;
        uint32_t b = w->ebit[e], ns, entry;
        if (ws_step(c, b, state, &ns) && memo_visit(w, b, ns, &entry)) {
            ASSERT(depth < w->m);
            w->st_memo[depth] = entry;
            w->st_bit[depth] = b;
            w->st_limit[depth] = limit;
            w->st_state[depth++] = state;
            state = ns;
            list_lift(w, b);
            left -= b < w->mk;
            e = w->nxt[0];
            phase = 0;
        } else {
            e = w->nxt[e];
        }
    }
    return S_YES;
}

static int ws_run(lz_ctx *c, int eager, uint64_t limit) {
    lz_ws *w = &c->ws;
    ws_build_list(w, eager);
    ws_init_bits(w);
    ws_reset_memo(w);
    c->limit = limit;
    return ws_search(c);
}

static void ws_usefulness(lz_ctx *c, const lz_sel *sel, size_t n);

/* Searches the sub-history `sel` of the current key: S_YES, S_NO or S_GAVE_UP. With unknown
 * outcomes, the eager order finds a linearization fast when one exists (an op that did take
 * effect is placed near its invoke time, where it belongs) but refuting one can take time
 * exponential in the unknown ops pending: every subset of them makes configurations of its
 * own. The lazy order refutes in about the time a history without them takes, times the few
 * pending ones that some read could still see (dominance, GARBAGE and the deadlines of
 * ws_usefulness deal with the rest), but finds an op that took effect long before it was read
 * only by backtracking to it. So eager first, for a few steps per op, then lazy with the rest
 * of the budget. Both are complete: only the time differs. */
static int search_sel(lz_ctx *c, const lz_sel *sel, size_t n) {
    lz_ws *w = &c->ws;
    ws_number_ops(c, sel, n);
    w->frontier_us = 0;
    if (w->mk == w->m || c->order == LZ_ORDER_EAGER) return ws_run(c, 1, c->budget);
    if (c->order == LZ_ORDER_AUTO) {
        uint64_t allow = 100000 + 16 * (uint64_t)w->m;
        uint64_t first = c->budget - c->steps < allow ? c->budget : c->steps + allow;
        int r = ws_run(c, 1, first);
        if (r != S_GAVE_UP || c->steps >= c->budget) return r;
    }
    ws_usefulness(c, sel, n);
    return ws_run(c, 0, c->budget);
}

/* ---- could a value have been written? ------------------------------------------------------ */

/* A value v read by a get (or matched by a successful cas) is writable by a set of writes if v
 * is a value some put or cas writes, or v = base + a1 + ... + ak with k >= 1, base "" or such a
 * value, and each ai the value of some append. Each append may be counted more than once here:
 * the test is an over-approximation, so "not writable" is certain, and it costs O(|v| times
 * the number of distinct value lengths) with substring hashes, whatever the number of writes. */

static void just_mark_len(size_t **arr, size_t *n, size_t *cap, size_t len) {
    for (size_t i = 0; i < *n; i++)
        if ((*arr)[i] == len) return;
    *arr = grow(*arr, cap, *n + 1, sizeof **arr);
    (*arr)[(*n)++] = len;
}

static void just_begin(lz_ctx *c) {
    lz_just *j = &c->js;
    size_t old = j->gen_cap;
    if (old < c->tab.n) {
        GROW(j->put_gen, j->gen_cap, c->tab.n);
        j->app_gen = rs_xrealloc(j->app_gen, j->gen_cap * sizeof *j->app_gen);
        j->ok_gen = rs_xrealloc(j->ok_gen, j->gen_cap * sizeof *j->ok_gen);
    }
    /* Stamps below gen are stale; new room and a wrapped counter start from zero. */
    size_t from = j->gen == UINT32_MAX ? 0 : old;
    if (j->gen == UINT32_MAX) j->gen = 0;
    if (from < j->gen_cap) {
        memset(j->put_gen + from, 0, (j->gen_cap - from) * sizeof *j->put_gen);
        memset(j->app_gen + from, 0, (j->gen_cap - from) * sizeof *j->app_gen);
        memset(j->ok_gen + from, 0, (j->gen_cap - from) * sizeof *j->ok_gen);
    }
    j->gen++;
    j->nput = j->napp = 0;
    j->empty_app = 0;
}

/* Records the writes among `sel`. An unknown write may have happened, so it counts; a cas that
 * really failed does not, even when a cut takes its outcome as unknown: a failed cas named as
 * the writer of a value would explain nothing. */
static void just_writes(lz_ctx *c, const lz_sel *sel, size_t n) {
    lz_just *j = &c->js;
    for (size_t i = 0; i < n; i++) {
        const lz_kop *k = &c->kop[sel[i].k];
        if (k->kind == LZ_GET || (k->kind == LZ_CAS && k->outcome == LZ_FAIL)) continue;
        size_t len = c->tab.v[k->val].len;
        if (k->kind == LZ_APPEND) {
            j->app_gen[k->val] = j->gen;
            if (len == 0)
                j->empty_app = 1;
            else
                just_mark_len(&j->app_len, &j->napp, &j->app_cap, len);
        } else {
            j->put_gen[k->val] = j->gen;
            if (len) just_mark_len(&j->put_len, &j->nput, &j->put_cap, len);
        }
    }
    GROW(j->put_pow, j->ppow_cap, j->nput + 1);
    GROW(j->app_pow, j->apow_cap, j->napp + 1);
    for (size_t i = 0; i < j->nput; i++) j->put_pow[i] = poly_pow(j->put_len[i]);
    for (size_t i = 0; i < j->napp; i++) j->app_pow[i] = poly_pow(j->app_len[i]);
}

/* The id of s[a..a+len) given the prefix hashes of s, or 0 if no such string is interned. */
static uint32_t just_sub(const lz_ctx *c, const char *s, size_t a, size_t len, uint64_t pw) {
    const uint64_t *pre = c->js.pre;
    return strtab_probe(&c->tab, s + a, len, pre[a + len] - pre[a] * pw, NULL);
}

/* The prefix hashes of value id into js.pre and, in js.reach, the prefixes that are a base:
 * "" or a whole value written. Returns the value's bytes. */
static const char *just_prepare(lz_ctx *c, uint32_t id) {
    lz_just *j = &c->js;
    size_t len = c->tab.v[id].len;
    GROW(j->pre, j->pre_cap, len + 1);
    GROW(j->reach, j->reach_cap, len + 1);
    const char *s = str_at(&c->tab, id);
    j->pre[0] = 0;
    for (size_t i = 0; i < len; i++) j->pre[i + 1] = j->pre[i] * POLY_B + (unsigned char)s[i];
    memset(j->reach, 0, len + 1);
    j->reach[0] = 1; /* the base "": absent, or put "" */
    for (size_t p = 0; p < j->nput; p++) {
        size_t l = j->put_len[p];
        if (l <= len && j->put_gen[just_sub(c, s, 0, l, j->put_pow[p])] == j->gen) j->reach[l] = 1;
    }
    return s;
}

static int just_value(lz_ctx *c, uint32_t id) {
    lz_just *j = &c->js;
    if (j->put_gen[id] == j->gen) return 1;
    if (j->napp == 0 && !j->empty_app) return 0;
    size_t len = c->tab.v[id].len;
    const char *s = just_prepare(c, id);
    GROW(j->ext, j->ext_cap, len + 1);
    memset(j->ext, 0, len + 1);
    for (size_t e = 0; e <= len; e++) {
        for (size_t a = 0; a < j->napp && !j->ext[e]; a++) {
            size_t l = j->app_len[a];
            if (l > e || !(j->reach[e - l] || j->ext[e - l])) continue;
            if (j->app_gen[just_sub(c, s, e - l, l, j->app_pow[a])] == j->gen) j->ext[e] = 1;
        }
        if (j->empty_app && j->reach[e]) j->ext[e] = 1;
    }
    return j->ext[len];
}

/* The fewest pieces equal to value `frag` (non-empty) among the appends that form value id from
 * the writes recorded, UINT32_MAX if no way forms it: more than there are appends of frag
 * proves an append applied twice. */
static uint32_t just_min_uses(lz_ctx *c, uint32_t id, uint32_t frag) {
    lz_just *j = &c->js;
    size_t len = c->tab.v[id].len;
    const char *s = just_prepare(c, id);
    GROW(j->cost, j->cost_cap, len + 1);
    for (size_t e = 0; e <= len; e++) {
        j->cost[e] = j->reach[e] ? 0 : UINT32_MAX;
        for (size_t a = 0; a < j->napp; a++) {
            size_t l = j->app_len[a];
            if (l > e || j->cost[e - l] == UINT32_MAX) continue;
            uint32_t piece = just_sub(c, s, e - l, l, j->app_pow[a]);
            if (j->app_gen[piece] != j->gen) continue;
            uint32_t k = j->cost[e - l] + (piece == frag);
            if (k < j->cost[e]) j->cost[e] = k;
        }
    }
    return j->cost[len];
}

/* The value an op of `sel` reads and needs written (get ok, cas ok), or 0 if none. */
static uint32_t sel_reads(const lz_ctx *c, lz_sel s) {
    const lz_kop *k = &c->kop[s.k];
    if (s.unknown || k->outcome != LZ_OK) return 0;
    if (k->kind == LZ_GET) return k->res;
    return k->kind == LZ_CAS ? k->from : 0;
}

/* The position in `sel` of the first op reading a value its writes cannot form, or NONE. */
static uint32_t first_unwritable(lz_ctx *c, const lz_sel *sel, size_t n) {
    just_begin(c);
    just_writes(c, sel, n);
    lz_just *j = &c->js;
    for (size_t i = 0; i < n; i++) {
        uint32_t id = sel_reads(c, sel[i]);
        if (id == 0 || j->ok_gen[id] == j->gen) continue;
        if (!just_value(c, id)) return (uint32_t)i;
        j->ok_gen[id] = j->gen;
    }
    return NONE;
}

/* Removes from sel the ops reading a value its writes cannot form, until none is left (a
 * successful cas removed so is also a write, which others may have needed). Returns the count. */
static size_t drop_unwritable(lz_ctx *c, lz_sel *sel, size_t n) {
    for (;;) {
        just_begin(c);
        just_writes(c, sel, n);
        lz_just *j = &c->js;
        size_t m = 0;
        int lost_write = 0;
        for (size_t i = 0; i < n; i++) {
            uint32_t id = sel_reads(c, sel[i]);
            if (id && j->ok_gen[id] != j->gen) {
                if (!just_value(c, id)) {
                    lost_write |= c->kop[sel[i].k].kind == LZ_CAS;
                    continue;
                }
                j->ok_gen[id] = j->gen;
            }
            sel[m++] = sel[i];
        }
        if (!lost_write) return m;
        n = m;
    }
}

/* ---- when an unknown-outcome op can still matter ----------------------------------------- */

/* An unknown op u writing v (put, cas) or appending a can make a difference only to an op that
 * observes it: a read (get, successful cas) of a value starting with v (containing a), an
 * unknown cas expecting such a value (it may apply because of u, and what it writes may be
 * read), or a failed cas whose expected value could be the state (u may be why it failed).
 * Two uses in the lazy order:
 *  - once every such op is linearized, placing u changes nothing anyone saw, so it is not
 *    tried any more (useful_us: the latest return of one of them);
 *  - an unknown put or append whose value no get result and no cas expected value contains
 *    (as a prefix for a put) is "unseen": from then on the value holds it until the next put,
 *    so no get or successful cas can follow and every failed cas can; all such states behave
 *    alike, so they are one state, GARBAGE, and unseen ops are interchangeable. In a history
 *    with many timed-out requests this removes most of the work of a refutation. */

typedef struct {
    uint64_t *pre_us, *sub_us;  /* by value id: latest ok read with it as prefix / substring */
    uint8_t *pre_any, *sub_any; /* by value id: some get or cas value has it so */
    uint8_t *is_pre, *is_sub;   /* by value id: the value of an unknown put or cas / append */
    size_t *plen, *alen, np, na, pcap, acap;
} lz_useful;

static void useful_lengths(lz_ctx *c, lz_useful *u) {
    lz_ws *w = &c->ws;
    for (uint32_t b = w->mk; b < w->m; b++) {
        const lz_sop *o = &w->op[b];
        size_t len = c->tab.v[o->val].len;
        if (o->kind == LZ_APPEND) {
            u->is_sub[o->val] = 1;
            just_mark_len(&u->alen, &u->na, &u->acap, len);
        } else {
            u->is_pre[o->val] = 1;
            just_mark_len(&u->plen, &u->np, &u->pcap, len);
        }
    }
}

static void useful_mark(uint64_t *t_us, uint8_t *any, uint32_t id, uint64_t ret_us, int timed) {
    any[id] = 1;
    if (timed && t_us[id] < ret_us) t_us[id] = ret_us;
}

/* Records value r, seen by an op returning at ret_us (a deadline only if `timed`), against the
 * unknown ops' values it starts with or contains. */
static void useful_read(lz_ctx *c, lz_useful *u, uint32_t r, uint64_t ret_us, int timed) {
    size_t len = c->tab.v[r].len;
    const char *s = str_at(&c->tab, r);
    GROW(c->js.pre, c->js.pre_cap, len + 1);
    c->js.pre[0] = 0;
    for (size_t i = 0; i < len; i++) c->js.pre[i + 1] = c->js.pre[i] * POLY_B + (unsigned char)s[i];
    for (size_t p = 0; p < u->np; p++) {
        if (u->plen[p] > len) continue;
        uint32_t id = just_sub(c, s, 0, u->plen[p], poly_pow(u->plen[p]));
        if (u->is_pre[id]) useful_mark(u->pre_us, u->pre_any, id, ret_us, timed);
    }
    for (size_t a = 0; a < u->na; a++) {
        size_t l = u->alen[a];
        uint64_t pw = poly_pow(l);
        for (size_t i = 0; l <= len && i <= len - l; i++) {
            uint32_t id = just_sub(c, s, i, l, pw);
            if (u->is_sub[id]) useful_mark(u->sub_us, u->sub_any, id, ret_us, timed);
        }
    }
}

/* Records every value seen (gets, cas of any outcome) into u, with deadlines for ok reads and
 * none for unknown cas; returns the latest return of a failed cas whose expected value could
 * be the state: until then any unknown op may be why it failed. */
static uint64_t useful_scan(lz_ctx *c, const lz_sel *sel, size_t n, lz_useful *u) {
    lz_ws *w = &c->ws;
    uint64_t all_us = 0;
    just_begin(c);
    just_writes(c, sel, n);
    for (uint32_t b = 0; b < w->m; b++) {
        const lz_sop *o = &w->op[b];
        uint64_t ret = b < w->mk ? w->ord[b].ret : UINT64_MAX;
        if (o->kind == LZ_GET && o->res) useful_read(c, u, o->res, ret, 1);
        if (o->kind != LZ_CAS) continue;
        if (o->outcome == LZ_FAIL && ret > all_us && just_value(c, o->from)) all_us = ret;
        useful_read(c, u, o->from, ret, o->outcome != LZ_FAIL);
    }
    return all_us;
}

static void ws_usefulness(lz_ctx *c, const lz_sel *sel, size_t n) {
    lz_ws *w = &c->ws;
    uint32_t mu = w->m - w->mk;
    GROW(w->useful_us, w->useful_cap, mu);
    GROW(w->useless, w->useless_cap, mu);
    lz_useful u;
    memset(&u, 0, sizeof u);
    u.pre_us = rs_xcalloc(c->tab.n, sizeof *u.pre_us);
    u.sub_us = rs_xcalloc(c->tab.n, sizeof *u.sub_us);
    u.pre_any = rs_xcalloc(c->tab.n, 1);
    u.sub_any = rs_xcalloc(c->tab.n, 1);
    u.is_pre = rs_xcalloc(c->tab.n, 1);
    u.is_sub = rs_xcalloc(c->tab.n, 1);
    useful_lengths(c, &u);
    uint64_t all_us = useful_scan(c, sel, n, &u);
    for (uint32_t b = w->mk; b < w->m; b++) {
        const lz_sop *o = &w->op[b];
        int app = o->kind == LZ_APPEND;
        uint64_t t = app ? u.sub_us[o->val] : u.pre_us[o->val];
        w->useful_us[b - w->mk] = t > all_us ? t : all_us;
        w->useless[b - w->mk] = o->kind != LZ_CAS && !(app ? u.sub_any : u.pre_any)[o->val];
    }
    void *ptrs[] = {u.pre_us, u.sub_us, u.pre_any, u.sub_any, u.is_pre, u.is_sub, u.plen, u.alen};
    for (size_t i = 0; i < sizeof ptrs / sizeof ptrs[0]; i++) free(ptrs[i]);
}

/* ---- explanation text ----------------------------------------------------------------------- */

typedef struct {
    char *buf;
    size_t size, len;
} lz_out;

static void out_printf(lz_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_printf(lz_out *o, const char *fmt, ...) {
    if (o->len + 1 >= o->size) return;
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
    va_end(ap);
    if (r < 0) return;
    o->len += (size_t)r;
    if (o->len >= o->size) o->len = o->size - 1;
}

/* A string with quotes, backslashes and non-printing bytes escaped, cut after `max` bytes. */
static void out_str(lz_out *o, const char *s, size_t max) {
    size_t i = 0;
    for (; s[i] && i < max; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\')
            out_printf(o, "\\%c", ch);
        else if (ch < 0x20 || ch >= 0x7f)
            out_printf(o, "\\x%02x", ch);
        else
            out_printf(o, "%c", ch);
    }
    if (s[i]) out_printf(o, "...(%zu bytes)", strlen(s));
}

static void out_quoted(lz_out *o, const char *s) {
    out_printf(o, "\"");
    out_str(o, s, 40);
    out_printf(o, "\"");
}

static void out_op_call(lz_out *o, const lz_op *op) {
    static const char *const names[] = {"put", "get", "append", "cas"};
    out_printf(o, "%s(", names[op->kind]);
    out_str(o, op->key, 32);
    if (op->kind == LZ_CAS) {
        out_printf(o, ", ");
        out_quoted(o, op->from);
        out_printf(o, " -> ");
        out_quoted(o, op->value);
    } else if (op->kind != LZ_GET) {
        out_printf(o, ", ");
        out_quoted(o, op->value);
    }
    out_printf(o, ")");
}

/* "client 1 op 3: put(x, "b") ok, 1000..1100 us" */
static void out_op(lz_out *o, const lz_op *op) {
    static const char *const outcomes[] = {"ok", "fail", "unknown"};
    out_printf(o, "client %u op %llu: ", (unsigned)op->client, (unsigned long long)op->op_id);
    out_op_call(o, op);
    if (op->kind == LZ_GET && op->outcome == LZ_OK) {
        out_printf(o, " -> ");
        if (op->result)
            out_quoted(o, op->result);
        else
            out_printf(o, "absent");
    } else {
        out_printf(o, " %s", outcomes[op->outcome]);
    }
    if (op->outcome == LZ_UNKNOWN)
        out_printf(o, ", %llu.. us (never returned)", (unsigned long long)op->invoke_us);
    else
        out_printf(o, ", %llu..%llu us", (unsigned long long)op->invoke_us,
                   (unsigned long long)op->return_us);
}

static void copy_key(lz_result *res, const char *key) {
    size_t len = strlen(key);
    if (len >= sizeof res->key) len = sizeof res->key - 1;
    memcpy(res->key, key, len);
    res->key[len] = '\0';
}

/* Whether stamp (us, seq) comes before stamp (vs, vq): see Time in linz.h. */
static int stamp_before(uint64_t us, uint64_t seq, uint64_t vs, uint64_t vq) {
    return us < vs || (us == vs && seq < vq);
}

/* The culprit that returned last strictly before culprit i was invoked, or NONE: the real-time
 * edge a reader needs to see why i cannot move earlier. */
static size_t latest_before(const lz_op *ops, const size_t *cul, size_t n, size_t i) {
    size_t best = NONE;
    const lz_op *o = &ops[cul[i]];
    for (size_t j = 0; j < n; j++) {
        const lz_op *p = &ops[cul[j]];
        if (p->outcome == LZ_UNKNOWN ||
            !stamp_before(p->return_us, p->return_seq, o->invoke_us, o->invoke_seq))
            continue;
        const lz_op *b = best == NONE ? NULL : &ops[cul[best]];
        if (!b || stamp_before(b->return_us, b->return_seq, p->return_us, p->return_seq))
            best = j;
    }
    return best;
}

/* One line per culprit, stopping with "... and N more" before the buffer would overflow. */
static void explain_lines(const lz_op *ops, lz_result *res, lz_out *o) {
    for (size_t i = 0; i < res->n_culprits; i++) {
        char line[640];
        lz_out l = {line, sizeof line, 0};
        out_printf(&l, "  ");
        out_op(&l, &ops[res->culprits[i]]);
        size_t p = latest_before(ops, res->culprits, res->n_culprits, i);
        if (p != NONE)
            out_printf(&l, "  (invoked after client %u op %llu returned)",
                       (unsigned)ops[res->culprits[p]].client,
                       (unsigned long long)ops[res->culprits[p]].op_id);
        if (o->len + l.len + 48 >= o->size) {
            out_printf(o, "  ... and %zu more\n", res->n_culprits - i);
            return;
        }
        out_printf(o, "%s\n", line);
    }
}

static void set_culprits(lz_ctx *c, lz_result *res, const lz_sel *sel, size_t n) {
    res->culprits = rs_xmalloc(n * sizeof *res->culprits);
    res->n_culprits = n;
    for (size_t i = 0; i < n; i++) res->culprits[i] = c->kop[sel[i].k].orig;
}

static void report_unwritable(lz_ctx *c, lz_result *res, lz_sel s) {
    const lz_op *op = &c->ops[c->kop[s.k].orig];
    res->linearizable = LZ_NO;
    res->culprits_minimal = 1;
    set_culprits(c, res, &s, 1);
    lz_out o = {res->explain, sizeof res->explain, 0};
    out_printf(&o, "key \"");
    out_str(&o, op->key, 64);
    out_printf(&o, "\": not linearizable; %s ",
               op->kind == LZ_GET ? "a get read" : "a cas matched");
    out_quoted(&o, op->kind == LZ_GET ? op->result : op->from);
    out_printf(&o, ", a value never written to this key by any operation:\n");
    explain_lines(c->ops, res, &o);
}

/* The key's appends of value id, whatever their outcome. */
static uint32_t appends_of(const lz_ctx *c, uint32_t id) {
    uint32_t n = 0;
    for (size_t k = 0; k < c->nk; k++) n += c->kop[k].kind == LZ_APPEND && c->kop[k].val == id;
    return n;
}

/* A line per culprit read whose value needs some culprit append's value more times than the
 * key has appends of it (an append applied twice), at most three. */
static void explain_duplicates(lz_ctx *c, const lz_sel *sel, size_t n, lz_out *o) {
    GROW(c->s2, c->s2_cap, c->nk);
    for (uint32_t k = 0; k < c->nk; k++) c->s2[k] = (lz_sel){k, 0};
    just_begin(c);
    just_writes(c, c->s2, c->nk);
    int lines = 0;
    for (size_t r = 0; r < n && lines < 3; r++) {
        uint32_t rid = sel_reads(c, (lz_sel){sel[r].k, 0});
        for (size_t a = 0; rid && a < n && lines < 3; a++) {
            const lz_kop *ap = &c->kop[sel[a].k];
            if (ap->kind != LZ_APPEND || c->tab.v[ap->val].len == 0) continue;
            uint32_t need = just_min_uses(c, rid, ap->val), have = appends_of(c, ap->val);
            if (need == UINT32_MAX || need <= have) continue;
            const lz_op *op = &c->ops[c->kop[sel[r].k].orig];
            out_printf(o, "  client %u op %llu read a value that needs ", (unsigned)op->client,
                       (unsigned long long)op->op_id);
            out_quoted(o, c->ops[ap->orig].value);
            out_printf(o, " appended %u times, but only %u operation%s append%s it\n", need, have,
                       have == 1 ? "" : "s", have == 1 ? "s" : "");
            lines++;
        }
    }
}

static void report_culprits(lz_ctx *c, lz_result *res, const lz_sel *sel, size_t n, int minimal) {
    res->linearizable = LZ_NO;
    res->culprits_minimal = minimal;
    set_culprits(c, res, sel, n);
    lz_out o = {res->explain, sizeof res->explain, 0};
    out_printf(&o, "key \"");
    out_str(&o, c->ops[res->culprits[0]].key, 64);
    if (n == 1)
        out_printf(&o, "\": not linearizable; this operation cannot be placed:\n");
    else
        out_printf(&o, "\": not linearizable; these %zu operations cannot be ordered:\n", n);
    explain_lines(c->ops, res, &o);
    explain_duplicates(c, sel, n, &o);
    if (!minimal) out_printf(&o, "  (the step budget ran out before this set was minimal)\n");
}

/* ---- finding the culprits ------------------------------------------------------------------ */

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The key's history cut at time t into c->s1: ops invoked by t; those not returned by t are
 * taken as unknown, since at t nobody knew their outcome. Returns the count. */
static size_t sel_prefix(lz_ctx *c, uint64_t t) {
    GROW(c->s1, c->s1_cap, c->nk);
    size_t n = 0;
    for (uint32_t k = 0; k < c->nk && c->kop[k].inv <= t; k++)
        c->s1[n++] = (lz_sel){k, c->kop[k].outcome == LZ_UNKNOWN || c->kop[k].ret > t};
    return n;
}

/* The earliest return time T at which the history cut at T is already not linearizable.
 * Linearizability is prefix-closed, so a binary search over the return times finds it. The
 * search of the whole history bounds it from below: it reached a configuration with every op
 * returning before `frontier_us` linearized, so every earlier cut is linearizable; and the
 * first pending return of its furthest configuration is nearly always T itself, so that cut is
 * tried first. If the budget runs out the latest time is kept: that cut is the whole history. */
static uint64_t failing_cut(lz_ctx *c, uint64_t frontier_us) {
    size_t nt = 0;
    GROW(c->times, c->times_cap, c->nk);
    for (size_t k = 0; k < c->nk; k++)
        if (c->kop[k].outcome != LZ_UNKNOWN) c->times[nt++] = c->kop[k].ret;
    ASSERT(nt > 0); /* with no known outcome, any history is linearizable */
    qsort(c->times, nt, sizeof *c->times, cmp_u64);
    size_t lo = 0, hi = nt - 1;
    while (lo < hi && c->times[lo] < frontier_us) lo++;
    for (int first = 1; lo < hi; first = 0) {
        size_t mid = first ? lo : lo + (hi - lo) / 2;
        size_t n = sel_prefix(c, c->times[mid]);
        int r = search_sel(c, c->s1, n);
        if (r == S_GAVE_UP) break;
        if (r == S_NO)
            hi = mid;
        else
            lo = mid + 1;
    }
    return c->times[hi];
}

/* Keeps c->s1[0..n) minus [at, at+cnt) if it is still a failure: 1 kept, 0 not, -1 budget
 * gone. Reads left without a writer go too: dropping the put that wrote a stale value must
 * not turn the stale read into a "read of a value nobody wrote", a failure that explains
 * nothing; so a write stays exactly when the failure needs it or a read it feeds. */
static int try_drop(lz_ctx *c, size_t *n, size_t at, size_t cnt) {
    GROW(c->s2, c->s2_cap, *n);
    size_t m = 0;
    for (size_t i = 0; i < *n; i++)
        if (i < at || i >= at + cnt) c->s2[m++] = c->s1[i];
    m = drop_unwritable(c, c->s2, m);
    int r = search_sel(c, c->s2, m);
    if (r == S_GAVE_UP) return -1;
    if (r == S_YES) return 0;
    memcpy(c->s1, c->s2, m * sizeof *c->s1);
    *n = m;
    return 1;
}

/* One pass over c->s1[0..*n) trying to drop `chunk` consecutive ops at a time (with
 * `unknown_only`, single unknown-outcome ops only): 1 if some went, 0 if none, -1 budget gone. */
static int drop_pass(lz_ctx *c, size_t *n, size_t chunk, int unknown_only) {
    int changed = 0;
    for (size_t i = 0; i < *n;) {
        size_t cnt = *n - i < chunk ? *n - i : chunk;
        const lz_sel *s = &c->s1[i];
        int r = 0;
        if (!unknown_only || s->unknown || c->kop[s->k].outcome == LZ_UNKNOWN)
            r = try_drop(c, n, i, cnt);
        if (r < 0) return -1;
        if (r)
            changed = 1;
        else
            i += cnt;
    }
    return changed;
}

/* Shrinks the failing set c->s1[0..*n): chunks of halving size first (as delta debugging does:
 * a long prefix whose failure lies near its end goes in O(log n) searches, each on less than
 * the last), then single ops, unknown-outcome ones first so that they stay only if needed,
 * until no single op can go. 1 if minimal so, 0 if the budget ran out first. */
static int shrink(lz_ctx *c, size_t *n) {
    for (size_t chunk = *n / 2; chunk >= 2; chunk /= 2)
        if (drop_pass(c, n, chunk, 0) < 0) return 0;
    for (;;) {
        int unk = drop_pass(c, n, 1, 1);
        int all = unk < 0 ? -1 : drop_pass(c, n, 1, 0);
        if (all < 0) return 0;
        if (!unk && !all) return 1;
    }
}

/* Adds the writes invoked after t, as unknown, to the cut c->s1[0..n): a read from the future
 * (of a value first written after it returned) needs its writer in the set. The set stays a
 * failure: such ops come after every op completed by t in any order, where only unknown ops
 * could see their effect. */
static size_t add_later_writes(lz_ctx *c, size_t n, uint64_t t) {
    GROW(c->s1, c->s1_cap, c->nk);
    for (uint32_t k = 0; k < c->nk; k++) {
        const lz_kop *o = &c->kop[k];
        if (o->inv > t && o->kind != LZ_GET && !(o->kind == LZ_CAS && o->outcome == LZ_FAIL))
            c->s1[n++] = (lz_sel){k, 1};
    }
    return n;
}

/* The current key is not linearizable: find culprits and explain them in res. */
static void explain_key(lz_ctx *c, lz_result *res, uint64_t frontier_us) {
    GROW(c->s1, c->s1_cap, c->nk);
    for (uint32_t k = 0; k < c->nk; k++) c->s1[k] = (lz_sel){k, 0};
    uint32_t bad = first_unwritable(c, c->s1, c->nk);
    if (bad != NONE) {
        report_unwritable(c, res, c->s1[bad]);
        return;
    }
    uint64_t t = failing_cut(c, frontier_us);
    size_t n = sel_prefix(c, t);
    if (first_unwritable(c, c->s1, n) != NONE) {
        n = add_later_writes(c, n, t);
        ASSERT(first_unwritable(c, c->s1, n) == NONE);
        int r = search_sel(c, c->s1, n);
        ASSERT(r != S_YES);
    }
    int minimal = shrink(c, &n);
    ASSERT(n > 0);
    report_culprits(c, res, c->s1, n, minimal);
}

/* ---- lz_check -------------------------------------------------------------------------------- */

static const char *op_malformed(const lz_op *op) {
    if (!op->key) return "has no key";
    if ((unsigned)op->kind > LZ_CAS) return "has an unknown kind";
    if ((unsigned)op->outcome > LZ_UNKNOWN) return "has an unknown outcome";
    if (op->kind != LZ_GET && !op->value) return "writes no value (value is NULL)";
    if (op->kind == LZ_CAS && !op->from) return "is a cas without a from value";
    if (op->outcome != LZ_UNKNOWN &&
        stamp_before(op->return_us, op->return_seq, op->invoke_us, op->invoke_seq))
        return "returns before it is invoked";
    return NULL;
}

static int validate(const lz_op *ops, size_t n, lz_result *res) {
    lz_out o = {res->explain, sizeof res->explain, 0};
    if (n > LZ_OPS_MAX) {
        out_printf(&o, "history of %zu ops: more than the %u accepted", n, LZ_OPS_MAX);
        res->linearizable = LZ_MALFORMED;
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        const char *why = op_malformed(&ops[i]);
        if (!why) continue;
        out_printf(&o, "op %zu (client %u op %llu) %s", i, (unsigned)ops[i].client,
                   (unsigned long long)ops[i].op_id, why);
        res->linearizable = LZ_MALFORMED;
        res->culprits = rs_xmalloc(sizeof *res->culprits);
        res->culprits[0] = i;
        res->n_culprits = 1;
        return 0;
    }
    return 1;
}

/* The history's ops grouped by key: all[start[g] .. start[g+1]) are those of the g-th key in
 * strcmp order. Keys are told apart by hashing their bytes (never by address) and only the
 * distinct keys are sorted: O(n + k log k). Strings are interned in input order, one pass, so
 * memory is read in the order it was most likely written: in grouped order, the cache misses
 * of reading scattered ops and strings cost more than all the searching. */
typedef struct {
    lz_kop *all;
    size_t *start;
    size_t ngroups;
} lz_groups;

typedef struct {
    const char *key;
    uint64_t h;
    size_t count, rank;
} lz_keyinfo;

/* Whether the op takes part: unknown or failed gets observed nothing, and failed puts and
 * appends were refused requests; none of them can have had an effect. */
static int op_kept(const lz_op *op) {
    if (op->kind == LZ_GET) return op->outcome == LZ_OK;
    return op->kind == LZ_CAS || op->outcome != LZ_FAIL;
}

static int cmp_keyinfo_ptr(const void *a, const void *b) {
    const lz_keyinfo *x = *(const lz_keyinfo *const *)a, *y = *(const lz_keyinfo *const *)b;
    return strcmp(x->key, y->key);
}

static uint64_t key_hash(const char *s) {
    uint64_t h = 0xCBF29CE484222325ull; /* FNV-1a 64 */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001B3ull;
    return h;
}

/* The key id of each op into gid[], one lz_keyinfo (with its count of kept ops) per distinct
 * key; returns the number of keys. */
static size_t keys_identify(const lz_op *ops, size_t n, uint32_t *gid, lz_keyinfo **info) {
    size_t nslot = pow2_at_least(2 * n), ng = 0, cap = 0;
    uint32_t *slot = rs_xcalloc(nslot, sizeof *slot);
    lz_keyinfo *ki = NULL;
    for (size_t i = 0; i < n; i++) {
        uint64_t h = key_hash(ops[i].key);
        size_t j = (size_t)mix64(h) & (nslot - 1);
        while (slot[j] && (ki[slot[j] - 1].h != h || strcmp(ki[slot[j] - 1].key, ops[i].key)))
            j = (j + 1) & (nslot - 1);
        if (!slot[j]) {
            GROW(ki, cap, ng + 1);
            ki[ng] = (lz_keyinfo){ops[i].key, h, 0, 0};
            slot[j] = (uint32_t)++ng;
        }
        gid[i] = slot[j] - 1;
        ki[gid[i]].count += (size_t)op_kept(&ops[i]);
    }
    free(slot);
    *info = ki;
    return ng;
}

static lz_kop kop_make(lz_strtab *t, const lz_op *op, size_t i) {
    lz_kop k = {.orig = i,
                .inv = op->invoke_us,
                .ret = op->return_us,
                .kind = (uint8_t)op->kind,
                .outcome = (uint8_t)op->outcome};
    if (op->kind != LZ_GET) k.val = strtab_intern(t, op->value);
    if (op->kind == LZ_CAS) k.from = strtab_intern(t, op->from);
    if (op->kind == LZ_GET && op->result) k.res = strtab_intern(t, op->result);
    return k;
}

/* One invoke or return of a kept op, for ranking: (us, seq) orders them, see linz.h. */
typedef struct {
    uint64_t us, seq;
    uint64_t *at; /* the kop's inv or ret, to receive the rank */
} lz_stamp;

static int cmp_stamp(const void *a, const void *b) {
    const lz_stamp *x = a, *y = b;
    if (x->us != y->us) return x->us < y->us ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Replaces the kept ops' times by one integer each in (us, seq) order, equal stamps equal, so
 * that the search orders events by one comparison: us and seq side by side when they fit in
 * 40 and 24 bits (a run's first 12 days, 16 M invokes and returns), else their ranks. Without
 * seqs the microsecond times already are that order and are kept (an unknown op's return is
 * never read). */
static void stamps_rank(const lz_op *ops, lz_kop *all, size_t n) {
    uint64_t seqs = 0, us = 0;
    for (size_t i = 0; i < n; i++) {
        const lz_op *op = &ops[all[i].orig];
        seqs |= op->invoke_seq | op->return_seq;
        us |= op->invoke_us | op->return_us;
    }
    if (!seqs) return;
    if (us >> 40 == 0 && seqs >> 24 == 0) {
        for (size_t i = 0; i < n; i++) {
            const lz_op *op = &ops[all[i].orig];
            all[i].inv = op->invoke_us << 24 | op->invoke_seq;
            all[i].ret = op->return_us << 24 | op->return_seq;
        }
        return;
    }
    lz_stamp *st = rs_xmalloc((2 * n + 1) * sizeof *st);
    for (size_t i = 0; i < n; i++) {
        const lz_op *op = &ops[all[i].orig];
        st[2 * i] = (lz_stamp){op->invoke_us, op->invoke_seq, &all[i].inv};
        st[2 * i + 1] = (lz_stamp){op->return_us, op->return_seq, &all[i].ret};
    }
    qsort(st, 2 * n, sizeof *st, cmp_stamp);
    uint64_t rank = 0;
    for (size_t j = 0; j < 2 * n; j++) {
        if (j > 0 && cmp_stamp(&st[j - 1], &st[j]) != 0) rank++;
        *st[j].at = rank;
    }
    free(st);
}

static void groups_build(lz_ctx *c, size_t n, lz_groups *g) {
    uint32_t *gid = rs_xmalloc(n * sizeof *gid);
    lz_keyinfo *ki;
    size_t ng = keys_identify(c->ops, n, gid, &ki);
    lz_keyinfo **byname = rs_xmalloc(ng * sizeof *byname);
    for (size_t k = 0; k < ng; k++) byname[k] = &ki[k];
    qsort(byname, ng, sizeof *byname, cmp_keyinfo_ptr);
    g->start = rs_xmalloc((ng + 1) * sizeof *g->start);
    g->start[0] = 0;
    for (size_t r = 0; r < ng; r++) {
        byname[r]->rank = r;
        g->start[r + 1] = g->start[r] + byname[r]->count;
    }
    ASSERT(g->start[ng] <= n);
    size_t *fill = rs_xcalloc(ng, sizeof *fill);
    g->all = rs_xmalloc((g->start[ng] + 1) * sizeof *g->all);
    strtab_init(&c->tab, n + 16);
    for (size_t i = 0; i < n; i++) {
        if (!op_kept(&c->ops[i])) continue;
        size_t r = ki[gid[i]].rank;
        g->all[g->start[r] + fill[r]++] = kop_make(&c->tab, &c->ops[i], i);
    }
    stamps_rank(c->ops, g->all, g->start[ng]);
    g->ngroups = ng;
    free(fill);
    free(byname);
    free(ki);
    free(gid);
}

static int cmp_kop(const void *a, const void *b) {
    const lz_kop *x = a, *y = b;
    if (x->inv != y->inv) return x->inv < y->inv ? -1 : 1;
    return (x->orig > y->orig) - (x->orig < y->orig);
}

/* Makes key k current: its ops in invoke order (input order among equal invoke times). */
static void key_select(lz_ctx *c, lz_groups *g, size_t k) {
    c->kop = g->all + g->start[k];
    c->nk = g->start[k + 1] - g->start[k];
    if (c->nk > 1) qsort(c->kop, c->nk, sizeof *c->kop, cmp_kop);
}

/* Checks the loaded key; fills res unless it is linearizable. Returns the S_* answer. */
static int key_check(lz_ctx *c, lz_result *res) {
    GROW(c->s1, c->s1_cap, c->nk);
    for (uint32_t k = 0; k < c->nk; k++) c->s1[k] = (lz_sel){k, 0};
    int r = search_sel(c, c->s1, c->nk);
    if (r == S_YES) return r;
    copy_key(res, c->ops[c->kop[0].orig].key);
    if (r == S_NO) {
        explain_key(c, res, c->ws.frontier_us);
        return r;
    }
    uint32_t bad = first_unwritable(c, c->s1, c->nk); /* a plain "no" needs no search */
    if (bad != NONE) {
        report_unwritable(c, res, c->s1[bad]);
        return S_NO;
    }
    res->linearizable = LZ_GAVE_UP;
    lz_out o = {res->explain, sizeof res->explain, 0};
    out_printf(&o, "key \"");
    out_str(&o, res->key, 64);
    out_printf(&o, "\": gave up after %llu search steps in all (budget %llu)\n",
               (unsigned long long)c->steps, (unsigned long long)c->budget);
    return r;
}

static void ctx_free(lz_ctx *c) {
    lz_ws *w = &c->ws;
    lz_just *j = &c->js;
    strtab_free(&c->tab);
    void *ptrs[] = {c->s1,      c->s2,      c->times,   w->op,        w->ord,      w->ent,
                    w->ent2,    w->nxt,     w->prv,     w->ebit,      w->etime,    w->eret,
                    w->call_e,  w->ret_e,   w->st_bit,  w->st_state,  w->st_limit, w->bits,
                    w->memo,    w->mslot,   w->words,   j->put_gen,   j->app_gen,  j->ok_gen,
                    j->put_len, j->app_len, j->put_pow, j->app_pow,   j->pre,      j->reach,
                    j->ext,     j->cost,    w->st_memo, w->useful_us, w->useless};
    for (size_t i = 0; i < sizeof ptrs / sizeof ptrs[0]; i++) free(ptrs[i]);
}

void lz_check_opts(const lz_op *ops, size_t n, const lz_options *opt, lz_result *res) {
    ASSERT(opt != NULL && (unsigned)opt->order <= LZ_ORDER_LAZY);
    ASSERT(res != NULL);
    ASSERT(ops != NULL || n == 0);
    memset(res, 0, sizeof *res);
    res->linearizable = LZ_YES;
    if (!validate(ops, n, res) || n == 0) return;
    lz_ctx c;
    memset(&c, 0, sizeof c);
    c.ops = ops;
    c.budget = opt->budget ? opt->budget : LZ_BUDGET_DEFAULT;
    c.order = opt->order;
    lz_groups g;
    groups_build(&c, n, &g);
    for (size_t k = 0; k < g.ngroups; k++) {
        key_select(&c, &g, k);
        if (key_check(&c, res) != S_YES) break;
    }
    res->states_explored = c.steps;
    free(g.all);
    free(g.start);
    ctx_free(&c);
}

void lz_check(const lz_op *ops, size_t n, uint64_t budget, lz_result *res) {
    lz_options opt = {budget, LZ_ORDER_AUTO};
    lz_check_opts(ops, n, &opt, res);
}

void lz_result_free(lz_result *res) {
    if (!res) return;
    free(res->culprits);
    res->culprits = NULL;
    res->n_culprits = 0;
}
