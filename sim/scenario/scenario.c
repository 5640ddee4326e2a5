/* scenario.c - loads and validates scenario JSON (SPEC section 2) and writes it back. */
#include "sim/scenario/scenario.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/limits.h"
#include "sim/base/util.h"
#include "sim/node/node.h"

/* JSON numbers are doubles: above 2^53 an integer silently becomes a neighbour, so seeds,
 * terms and indexes are refused there instead of being changed. */
#define SCN_INT_MAX ((UINT64_C(1) << 53) - 1)
#define SCN_MS_MAX ((uint64_t)(RS_RUN_US_MAX / 1000u))
/* Local bounds the brief fixes for submit counts and kv client ids; candidates for limits.h. */
#define SCN_SUBMIT_COUNT_MAX 1000000u
#define SCN_CLIENT_MAX 65535u
#define SCN_SNAPSHOT_MAX 1000000000u /* cluster.snapshot every and trailing: fit the libraries' unsigned */
#define SCN_PATH_CAP 512 /* a longer JSON path is cut in messages, never overflowed */
#define SCN_MSG_CAP 320  /* one error's text after ORIGIN and PATH */
#define SCN_SHOW_CAP 48  /* bytes of a user's string quoted back in a message */
#define SCN_MS_TEXT_CAP 32

#define SCN_DEFAULT_SEED 7u
#define SCN_DEFAULT_NODES 5u

_Static_assert(SCN_MS_MAX <= SCN_INT_MAX, "every accepted time must be exact as a double");
_Static_assert(RS_NODES_MAX < INT16_MAX, "node ids must fit scn_ref");

/* Where the loader is in the document, and what it knows so far that later fields depend on. */
typedef struct {
    const char *origin;
    char *err;
    size_t err_len;
    char path[SCN_PATH_CAP];
    size_t path_len;
    size_t prefix_len; /* the caller's path_prefix, e.g. "scenario." */
    uint32_t nodes;    /* bounds node ids; cluster is read before anything that names a node */
    uint32_t start_nodes; /* the cluster's nodes; ids above it up to nodes are spares (add) */
    uint8_t added[RS_NODES_MAX + 1]; /* spare ids some add event adds */
    uint64_t run_us;   /* bounds event times; run_ms is read before events */
} scn_ctx;

static const char *const KIND_NAMES[SCN_KIND_COUNT] = {
    [SCN_DO_CRASH] = "crash",   [SCN_DO_RESTART] = "restart",     [SCN_DO_PAUSE] = "pause",
    [SCN_DO_RESUME] = "resume", [SCN_DO_PARTITION] = "partition", [SCN_DO_HEAL] = "heal",
    [SCN_DO_LINK] = "link",     [SCN_DO_NETWORK] = "network",     [SCN_DO_SUBMIT] = "submit",
    [SCN_DO_KV] = "kv",         [SCN_DO_TRANSFER] = "transfer", [SCN_EXPECT] = "expect",
    [SCN_DO_FAIL_WRITES] = "fail_writes", [SCN_DO_DISK] = "disk",
    [SCN_DO_ADD] = "add",       [SCN_DO_REMOVE] = "remove",
};
static const char *const ROLE_NAMES[] = {"follower", "candidate", "leader"};
static const char *const KV_OP_NAMES[] = {"put", "get", "append", "cas"};

static const char *const TOP_FIELDS[] = {
    "name",    "description", "implementation", "implementations", "seed",  "cluster",
    "network", "disk",        "run_ms",         "initial",         "events"};
static const char *const CLUSTER_FIELDS[] = {"nodes", "election_timeout_ms", "heartbeat_ms",
                                             "prevote", "check_quorum", "noop", "snapshot",
                                             "reads",   "clock_drift"};
static const char *const READS_NAMES[] = {"log", "read_index"};
static const char *const SNAPSHOT_FIELDS[] = {"every", "trailing"};
static const char *const NETWORK_FIELDS[] = {"delay_ms", "drop_rate", "duplicate_rate"};
static const char *const DISK_FIELDS[] = {"write_ms", "torn_writes", "fail"};
static const char *const INITIAL_FIELDS[] = {"node", "term", "voted_for", "log"};
static const char *const ENTRY_FIELDS[] = {"term", "cmd"};
static const char *const EXPECT_FIELDS[] = {"leader",
                                            "leader_not",
                                            "term_at_most",
                                            "term_at_least",
                                            "committed_at_least",
                                            "committed_at_most",
                                            "on",
                                            "logs_match",
                                            "role",
                                            "kv",
                                            "applied_cmd",
                                            "leaders",
                                            "members"};
static const char *const ROLE_FIELDS[] = {"node", "is"};
static const char *const KV_FIELDS[] = {"key", "value"};

/* Every field any event may have; which kind takes which is KIND_FIELDS below. */
enum {
    EF_AT_MS,
    EF_DO,
    EF_EXPECT,
    EF_WITHIN_MS,
    EF_NODE,
    EF_GROUPS,
    EF_FROM,
    EF_TO,
    EF_DROP_RATE,
    EF_DELAY_MS,
    EF_DUPLICATE_RATE,
    EF_UP,
    EF_COMMAND,
    EF_COUNT,
    EF_CLIENT,
    EF_OP,
    EF_KEY,
    EF_VALUE,
    EF_OPTIONAL,
    EF_FAIL,
    EF_N
};
static const char *const EVENT_FIELDS[EF_N] = {
    "at_ms",  "do",        "expect",   "within_ms",      "node",    "groups",  "from",
    "to",     "drop_rate", "delay_ms", "duplicate_rate", "up",      "command", "count",
    "client", "op",        "key",      "value",          "optional", "fail"};
#define EF_BIT(f) (UINT32_C(1) << (f))
static const uint32_t KIND_FIELDS[SCN_KIND_COUNT] = {
    [SCN_DO_CRASH] = EF_BIT(EF_NODE) | EF_BIT(EF_OPTIONAL),
    [SCN_DO_RESTART] = EF_BIT(EF_NODE) | EF_BIT(EF_OPTIONAL),
    [SCN_DO_PAUSE] = EF_BIT(EF_NODE) | EF_BIT(EF_OPTIONAL),
    [SCN_DO_RESUME] = EF_BIT(EF_NODE) | EF_BIT(EF_OPTIONAL),
    [SCN_DO_PARTITION] = EF_BIT(EF_GROUPS) | EF_BIT(EF_OPTIONAL),
    [SCN_DO_HEAL] = 0,
    [SCN_DO_LINK] = EF_BIT(EF_FROM) | EF_BIT(EF_TO) | EF_BIT(EF_DROP_RATE) | EF_BIT(EF_DELAY_MS) |
                    EF_BIT(EF_UP) | EF_BIT(EF_OPTIONAL),
    [SCN_DO_NETWORK] = EF_BIT(EF_DELAY_MS) | EF_BIT(EF_DROP_RATE) | EF_BIT(EF_DUPLICATE_RATE),
    [SCN_DO_SUBMIT] = EF_BIT(EF_NODE) | EF_BIT(EF_COMMAND) | EF_BIT(EF_COUNT) | EF_BIT(EF_OPTIONAL),
    [SCN_DO_KV] =
        EF_BIT(EF_CLIENT) | EF_BIT(EF_OP) | EF_BIT(EF_KEY) | EF_BIT(EF_VALUE) | EF_BIT(EF_FROM),
    [SCN_DO_TRANSFER] = EF_BIT(EF_TO) | EF_BIT(EF_OPTIONAL),
    [SCN_DO_FAIL_WRITES] = EF_BIT(EF_NODE) | EF_BIT(EF_COUNT) | EF_BIT(EF_OPTIONAL),
    [SCN_DO_DISK] = EF_BIT(EF_FAIL),
    [SCN_DO_ADD] = EF_BIT(EF_NODE),
    [SCN_DO_REMOVE] = EF_BIT(EF_NODE) | EF_BIT(EF_OPTIONAL),
    [SCN_EXPECT] = EF_BIT(EF_EXPECT) | EF_BIT(EF_WITHIN_MS),
};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

_Static_assert(SCN_DO_REMOVE + 1 == SCN_EXPECT && SCN_EXPECT + 1 == SCN_KIND_COUNT,
               "parse_kind takes the kinds before SCN_EXPECT as the \"do\" actions");
_Static_assert(EF_N <= 32, "event fields must fit a uint32_t mask");
_Static_assert(COUNT_OF(EXPECT_FIELDS) <= 32, "expect fields must fit a uint32_t mask");

/* ---- Paths and messages ------------------------------------------------------------------ */

/* The length (1..4) of the well-formed UTF-8 character at p, or 0 if the bytes there are not
 * one (stray continuation byte, overlong form, surrogate, beyond U+10FFFF, cut short). p is
 * NUL-terminated, and NUL is never a continuation byte, so this never reads past the end. */
static size_t utf8_char_len(const char *p) {
    const unsigned char *u = (const unsigned char *)p;
    unsigned lo = 0x80, hi = 0xBF;
    size_t n;
    if (u[0] < 0x80) return 1;
    if (u[0] >= 0xC2 && u[0] <= 0xDF) {
        n = 2;
    } else if (u[0] >= 0xE0 && u[0] <= 0xEF) {
        n = 3;
        if (u[0] == 0xE0) lo = 0xA0; /* overlong */
        if (u[0] == 0xED) hi = 0x9F; /* UTF-16 surrogates */
    } else if (u[0] >= 0xF0 && u[0] <= 0xF4) {
        n = 4;
        if (u[0] == 0xF0) lo = 0x90; /* overlong */
        if (u[0] == 0xF4) hi = 0x8F; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (u[1] < lo || u[1] > hi) return 0;
    for (size_t i = 2; i < n; i++) {
        if ((u[i] & 0xC0) != 0x80) return 0;
    }
    return n;
}

/* The offset of the first byte of s that is not well-formed UTF-8, or strlen(s). */
static size_t utf8_bad_at(const char *s) {
    size_t i = 0, k;
    while (s[i] != '\0' && (k = utf8_char_len(s + i)) > 0) i += k;
    return i;
}

/* Copies a user's string for a message: cut to SCN_SHOW_CAP bytes (never inside a character),
 * with control bytes and malformed UTF-8 replaced by '?', so a hostile key cannot garble the
 * terminal. */
static void show_user(char *dst, size_t cap, const char *s) {
    ASSERT(cap >= 8);
    size_t limit = cap - 4 < SCN_SHOW_CAP ? cap - 4 : SCN_SHOW_CAP;
    size_t n = 0, i = 0;
    while (s[i] != '\0') {
        size_t k = utf8_char_len(s + i);
        size_t w = k > 0 ? k : 1; /* source bytes taken; a malformed byte becomes one '?' */
        if (n + w > limit) break;
        unsigned char ch = (unsigned char)s[i];
        if (k == 0 || (k == 1 && (ch < 0x20 || ch == 0x7f))) {
            dst[n++] = '?';
        } else {
            memcpy(dst + n, s + i, k);
            n += k;
        }
        i += w;
    }
    if (s[i] != '\0') {
        memcpy(dst + n, "...", 3);
        n += 3;
    }
    dst[n] = '\0';
}

static size_t path_append(scn_ctx *c, const char *text) {
    size_t old = c->path_len;
    size_t room = sizeof c->path - c->path_len;
    int n = snprintf(c->path + c->path_len, room, "%s", text);
    ASSERT(n >= 0);
    c->path_len += (size_t)n < room ? (size_t)n : room - 1;
    return old;
}

/* Points the path at an object member; returns the length to restore with path_pop. */
static size_t path_key(scn_ctx *c, const char *key) {
    char part[SCN_SHOW_CAP + 8];
    size_t k = 0;
    if (c->path_len > 0 && c->path[c->path_len - 1] != '.') part[k++] = '.';
    if (key[0] == '\0') {
        memcpy(part + k, "\"\"", 3);
    } else {
        show_user(part + k, sizeof part - k, key);
    }
    return path_append(c, part);
}

static size_t path_index(scn_ctx *c, size_t i) {
    char part[32];
    snprintf(part, sizeof part, "[%zu]", i);
    return path_append(c, part);
}

static void path_pop(scn_ctx *c, size_t old) {
    ASSERT(old <= c->path_len);
    c->path_len = old;
    c->path[old] = '\0';
}

#if defined(__GNUC__) || defined(__clang__)
#define SCN_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SCN_PRINTF(f, a)
#endif

/* Writes "ORIGIN: PATH: message" and returns -1. Callers return at once and leave the path
 * as it is: the loader stops at the first error, so nothing reads the path afterwards. */
SCN_PRINTF(2, 3) static int fail(scn_ctx *c, const char *fmt, ...) {
    char msg[SCN_MSG_CAP];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t n = c->path_len;
    if (n == c->prefix_len && n > 0 && c->path[n - 1] == '.') n--; /* "scenario." -> "scenario" */
    if (n == 0) {
        snprintf(c->err, c->err_len, "%s: %s", c->origin, msg);
    } else {
        snprintf(c->err, c->err_len, "%s: %.*s: %s", c->origin, (int)n, c->path, msg);
    }
    return -1;
}

/* Writes a time held in microseconds as exact decimal milliseconds ("150", "1.5"). */
static const char *fmt_ms(char *buf, size_t cap, uint64_t us) {
    if (us % 1000u == 0) {
        snprintf(buf, cap, "%" PRIu64, us / 1000u);
        return buf;
    }
    snprintf(buf, cap, "%" PRIu64 ".%03" PRIu64, us / 1000u, us % 1000u);
    size_t n = strlen(buf);
    while (buf[n - 1] == '0') buf[--n] = '\0';
    return buf;
}

/* ---- Field names ------------------------------------------------------------------------- */

static size_t name_index(const char *const *names, size_t count, const char *name) {
    for (size_t i = 0; i < count; i++) {
        if (strcmp(names[i], name) == 0) return i;
    }
    return count;
}

/* Levenshtein distance for "did you mean"; long strings are never close to a field name. */
static size_t edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 32 || lb > 32) return SIZE_MAX;
    size_t row[33];
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (size_t)(a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best) best = row[j] + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static const char *closest_name(const char *const *names, size_t count, const char *name) {
    const char *best = NULL;
    size_t best_d = 3; /* more than two edits away is a different word, not a typo */
    for (size_t i = 0; i < count; i++) {
        size_t d = edit_distance(name, names[i]);
        if (d < best_d && d * 3 <= strlen(names[i])) { /* short names need closer matches */
            best = names[i];
            best_d = d;
        }
    }
    return best;
}

/* Rejects unknown and repeated keys: cJSON keeps both copies of a repeated key, and a typo
 * must not silently change a test (SPEC section 2). */
static int check_fields(scn_ctx *c, const cJSON *obj, const char *const *names, size_t count) {
    ASSERT(cJSON_IsObject(obj));
    ASSERT(count <= 32);
    uint32_t seen = 0;
    for (const cJSON *f = obj->child; f != NULL; f = f->next) {
        ASSERT(f->string != NULL);
        size_t k = name_index(names, count, f->string);
        if (k == count) {
            const char *hint = closest_name(names, count, f->string);
            path_key(c, f->string);
            if (hint != NULL) return fail(c, "unknown field (did you mean \"%s\"?)", hint);
            return fail(c, "unknown field");
        }
        if (seen & (UINT32_C(1) << k)) {
            path_key(c, f->string);
            return fail(c, "duplicate field");
        }
        seen |= UINT32_C(1) << k;
    }
    return 0;
}

/* A cJSON tree is no deeper than 1000; ours must stay within RS_JSON_DEPTH_MAX. */
static int check_depth(scn_ctx *c, const cJSON *item, int depth) {
    if (depth > RS_JSON_DEPTH_MAX) {
        return fail(c, "nested deeper than %d levels", RS_JSON_DEPTH_MAX);
    }
    size_t i = 0;
    for (const cJSON *ch = item->child; ch != NULL; ch = ch->next, i++) {
        if (!cJSON_IsArray(ch) && !cJSON_IsObject(ch)) continue;
        size_t old = cJSON_IsArray(item) ? path_index(c, i) : path_key(c, ch->string);
        if (check_depth(c, ch, depth + 1) != 0) return -1;
        path_pop(c, old);
    }
    return 0;
}

static size_t array_len(const cJSON *arr) {
    size_t n = 0;
    for (const cJSON *it = arr->child; it != NULL; it = it->next) n++;
    return n;
}

/* ---- Values ------------------------------------------------------------------------------ */

static bool is_whole(const cJSON *it) {
    return cJSON_IsNumber(it) && isfinite(it->valuedouble) &&
           it->valuedouble == floor(it->valuedouble);
}

static int val_uint(scn_ctx *c, const cJSON *it, uint64_t lo, uint64_t hi, uint64_t *out) {
    ASSERT(lo <= hi);
    ASSERT(hi <= SCN_INT_MAX);
    if (is_whole(it) && it->valuedouble >= (double)lo && it->valuedouble <= (double)hi) {
        *out = (uint64_t)it->valuedouble;
        return 0;
    }
    if (hi != SCN_INT_MAX) {
        return fail(c, "expected an integer in %" PRIu64 "..%" PRIu64, lo, hi);
    }
    if (cJSON_IsNumber(it) && it->valuedouble > (double)hi) { /* 1e400 reads as infinity */
        return fail(c, "expected an integer below 2^53 (larger ones do not survive JSON)");
    }
    if (lo == 0) return fail(c, "expected a non-negative integer");
    return fail(c, "expected an integer of at least %" PRIu64, lo);
}

static int val_time(scn_ctx *c, const cJSON *it, uint64_t *us) {
    if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble) || it->valuedouble < 0) {
        return fail(c, "expected a non-negative number");
    }
    if (it->valuedouble > (double)SCN_MS_MAX) {
        return fail(c, "%.15g ms is longer than the longest run (%" PRIu64 " ms)", it->valuedouble,
                    SCN_MS_MAX);
    }
    /* Resolved to the nearest microsecond; the bound above keeps the product exact enough. */
    *us = (uint64_t)round(it->valuedouble * 1000.0);
    ASSERT(*us <= RS_RUN_US_MAX);
    return 0;
}

static int val_rate(scn_ctx *c, const cJSON *it, double *out) {
    if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble) || it->valuedouble < 0 ||
        it->valuedouble > 1) {
        return fail(c, "expected a number in 0..1");
    }
    *out = it->valuedouble > 0 ? it->valuedouble : 0.0; /* -0 becomes 0, for exact equality */
    return 0;
}

static int val_range(scn_ctx *c, const cJSON *it, scn_range *out) {
    if (!cJSON_IsArray(it) || array_len(it) != 2) return fail(c, "expected [min, max] in ms");
    size_t old = path_index(c, 0);
    if (val_time(c, it->child, &out->min_us) != 0) return -1;
    path_pop(c, old);
    old = path_index(c, 1);
    if (val_time(c, it->child->next, &out->max_us) != 0) return -1;
    path_pop(c, old);
    if (out->min_us > out->max_us) {
        char a[SCN_MS_TEXT_CAP], b[SCN_MS_TEXT_CAP];
        return fail(c, "min must not exceed max (%s > %s)", fmt_ms(a, sizeof a, out->min_us),
                    fmt_ms(b, sizeof b, out->max_us));
    }
    return 0;
}

/* Copies a string of min_len..max_len bytes; *out must not own one yet. */
static int val_string(scn_ctx *c, const cJSON *it, size_t min_len, size_t max_len, char **out) {
    ASSERT(*out == NULL);
    ASSERT(min_len <= max_len);
    if (!cJSON_IsString(it)) {
        if (max_len == SIZE_MAX) return fail(c, "expected a string");
        return fail(c, "expected a string of %zu..%zu bytes", min_len, max_len);
    }
    size_t n = strlen(it->valuestring);
    if (n < min_len || n > max_len) {
        return fail(c, "expected a string of %zu..%zu bytes, got %zu", min_len, max_len, n);
    }
    size_t bad = utf8_bad_at(it->valuestring);
    if (bad < n) return fail(c, "not valid UTF-8 (byte %zu of the string)", bad + 1);
    *out = rs_xstrdup(it->valuestring);
    return 0;
}

static int val_bool(scn_ctx *c, const cJSON *it, uint8_t *out) {
    if (!cJSON_IsBool(it)) return fail(c, "expected true or false");
    *out = cJSON_IsTrue(it) ? 1 : 0;
    return 0;
}

/* A literal node id; ids out of range get their own message since that is the usual slip. */
static int val_id(scn_ctx *c, const cJSON *it, uint8_t *out) {
    ASSERT(c->nodes >= 1 && c->nodes <= RS_NODES_MAX);
    if (!is_whole(it)) return fail(c, "expected a node id in 1..%" PRIu32, c->nodes);
    if (it->valuedouble < 1 || it->valuedouble > (double)c->nodes) {
        return fail(c, "node %.15g out of range 1..%" PRIu32, it->valuedouble, c->nodes);
    }
    *out = (uint8_t)it->valuedouble;
    return 0;
}

/* A node reference: an id, or a keyword the simulator resolves when the event runs. */
static int val_ref(scn_ctx *c, const cJSON *it, scn_ref *out) {
    static const char *const words[] = {"leader", "follower", "crashed"};
    static const scn_ref refs[] = {SCN_REF_LEADER, SCN_REF_FOLLOWER, SCN_REF_CRASHED};
    if (cJSON_IsString(it)) {
        size_t k = name_index(words, COUNT_OF(words), it->valuestring);
        if (k < COUNT_OF(words)) {
            *out = refs[k];
            return 0;
        }
        char shown[SCN_SHOW_CAP + 4];
        show_user(shown, sizeof shown, it->valuestring);
        return fail(c,
                    "expected a node id (1..%" PRIu32 ") or \"leader\", \"follower\" or "
                    "\"crashed\", not \"%s\"",
                    c->nodes, shown);
    }
    if (!cJSON_IsNumber(it)) {
        return fail(c,
                    "expected a node id (1..%" PRIu32 ") or \"leader\", \"follower\" or "
                    "\"crashed\"",
                    c->nodes);
    }
    uint8_t id = 0;
    if (val_id(c, it, &id) != 0) return -1;
    *out = (scn_ref)id;
    return 0;
}

/* A string naming one of names[]; the message lists them all. */
static int val_choice(scn_ctx *c, const cJSON *it, const char *const *names, size_t count,
                      size_t *out) {
    if (cJSON_IsString(it)) {
        *out = name_index(names, count, it->valuestring);
        if (*out < count) return 0;
    }
    char list[160] = "";
    for (size_t i = 0; i < count; i++) {
        size_t len = strlen(list);
        snprintf(list + len, sizeof list - len, "%s\"%s\"", i == 0 ? "" : ", ", names[i]);
    }
    return fail(c, "expected one of %s", list);
}

/* ---- Fields: look up, point the path at it, read it -------------------------------------- */

/* Returns 1 when the field is there (the path then names it, *old restores it), 0 when it is
 * absent and optional, -1 when it is absent and required. has == NULL means required. */
static int lookup(scn_ctx *c, const cJSON *obj, const char *name, uint8_t *has, const cJSON **it,
                  size_t *old) {
    *it = cJSON_GetObjectItemCaseSensitive(obj, name);
    *old = c->path_len;
    if (has != NULL) *has = *it != NULL;
    if (*it != NULL) {
        *old = path_key(c, name);
        return 1;
    }
    if (has != NULL) return 0;
    path_key(c, name);
    return fail(c, "missing required field");
}

static int get_uint(scn_ctx *c, const cJSON *obj, const char *name, uint64_t lo, uint64_t hi,
                    uint64_t *out, uint8_t *has) {
    const cJSON *it;
    size_t old;
    int r = lookup(c, obj, name, has, &it, &old);
    if (r <= 0) return r;
    if (val_uint(c, it, lo, hi, out) != 0) return -1;
    path_pop(c, old);
    return 0;
}

static int get_time(scn_ctx *c, const cJSON *obj, const char *name, uint64_t *us, uint8_t *has) {
    const cJSON *it;
    size_t old;
    int r = lookup(c, obj, name, has, &it, &old);
    if (r <= 0) return r;
    if (val_time(c, it, us) != 0) return -1;
    path_pop(c, old);
    return 0;
}

static int get_rate(scn_ctx *c, const cJSON *obj, const char *name, double *out, uint8_t *has) {
    const cJSON *it;
    size_t old;
    int r = lookup(c, obj, name, has, &it, &old);
    if (r <= 0) return r;
    if (val_rate(c, it, out) != 0) return -1;
    path_pop(c, old);
    return 0;
}

static int get_range(scn_ctx *c, const cJSON *obj, const char *name, scn_range *out, uint8_t *has) {
    const cJSON *it;
    size_t old;
    int r = lookup(c, obj, name, has, &it, &old);
    if (r <= 0) return r;
    if (val_range(c, it, out) != 0) return -1;
    path_pop(c, old);
    return 0;
}

static int get_string(scn_ctx *c, const cJSON *obj, const char *name, size_t min_len,
                      size_t max_len, char **out, uint8_t *has) {
    const cJSON *it;
    size_t old;
    int r = lookup(c, obj, name, has, &it, &old);
    if (r <= 0) return r;
    if (val_string(c, it, min_len, max_len, out) != 0) return -1;
    path_pop(c, old);
    return 0;
}

static int get_bool(scn_ctx *c, const cJSON *obj, const char *name, uint8_t *out, uint8_t *has) {
    const cJSON *it;
    size_t old;
    int r = lookup(c, obj, name, has, &it, &old);
    if (r <= 0) return r;
    if (val_bool(c, it, out) != 0) return -1;
    path_pop(c, old);
    return 0;
}

static int get_id(scn_ctx *c, const cJSON *obj, const char *name, uint8_t *out, uint8_t *has) {
    const cJSON *it;
    size_t old;
    int r = lookup(c, obj, name, has, &it, &old);
    if (r <= 0) return r;
    if (val_id(c, it, out) != 0) return -1;
    path_pop(c, old);
    return 0;
}

static int get_ref(scn_ctx *c, const cJSON *obj, const char *name, scn_ref *out, uint8_t *has) {
    const cJSON *it;
    size_t old;
    int r = lookup(c, obj, name, has, &it, &old);
    if (r <= 0) return r;
    if (val_ref(c, it, out) != 0) return -1;
    path_pop(c, old);
    return 0;
}

static int get_choice(scn_ctx *c, const cJSON *obj, const char *name, const char *const *names,
                      size_t count, size_t *out) {
    const cJSON *it;
    size_t old;
    if (lookup(c, obj, name, NULL, &it, &old) < 0) return -1;
    if (val_choice(c, it, names, count, out) != 0) return -1;
    path_pop(c, old);
    return 0;
}

/* An optional object member: 1 and the path at it when present and an object, 0 when absent. */
static int get_object(scn_ctx *c, const cJSON *obj, const char *name, const char *const *fields,
                      size_t n_fields, const cJSON **it, size_t *old) {
    uint8_t has = 0;
    int r = lookup(c, obj, name, &has, it, old);
    if (r <= 0) return r;
    if (!cJSON_IsObject(*it)) return fail(c, "expected an object");
    if (check_fields(c, *it, fields, n_fields) != 0) return -1;
    return 1;
}

/* Refs must not repeat: a literal id twice, or a keyword twice (it resolves to one node),
 * is always a mistake. seen[] is indexed by ref + 3 and holds the group index + 1. */
#define SCN_REF_SLOTS (RS_NODES_MAX + 4)
static int ref_once(scn_ctx *c, scn_ref ref, uint32_t group, uint32_t seen[SCN_REF_SLOTS]) {
    ASSERT(ref >= SCN_REF_CRASHED && ref <= RS_NODES_MAX && ref != SCN_REF_NONE);
    size_t slot = (size_t)(ref + 3);
    if (seen[slot] == 0) {
        seen[slot] = group + 1;
        return 0;
    }
    char who[24];
    if (ref > 0) {
        snprintf(who, sizeof who, "node %d", (int)ref);
    } else {
        snprintf(who, sizeof who, "\"%s\"",
                 ref == SCN_REF_LEADER     ? "leader"
                 : ref == SCN_REF_FOLLOWER ? "follower"
                                           : "crashed");
    }
    if (seen[slot] == group + 1) return fail(c, "%s appears twice in the same list", who);
    return fail(c, "%s appears in more than one group (also in groups[%" PRIu32 "])", who,
                seen[slot] - 1);
}

/* Reads a JSON array of at least min_len node references into a fresh array. */
static int val_ref_list(scn_ctx *c, const cJSON *arr, size_t min_len, uint32_t group,
                        uint32_t seen[SCN_REF_SLOTS], scn_ref **out, uint32_t *n_out) {
    if (!cJSON_IsArray(arr)) return fail(c, "expected an array of node references");
    size_t n = array_len(arr);
    if (n < min_len) return fail(c, "expected at least %zu node reference", min_len);
    if (n > RS_NODES_MAX) return fail(c, "expected at most %d node references", RS_NODES_MAX);
    *out = rs_xcalloc(n, sizeof **out);
    *n_out = (uint32_t)n;
    size_t i = 0;
    for (const cJSON *it = arr->child; it != NULL; it = it->next, i++) {
        size_t old = path_index(c, i);
        if (val_ref(c, it, &(*out)[i]) != 0) return -1;
        if (ref_once(c, (*out)[i], group, seen) != 0) return -1;
        path_pop(c, old);
    }
    return 0;
}

/* ---- Cluster, network, initial state ----------------------------------------------------- */

/* Timeouts of zero would make the event loop fire a timer again without time passing, and a
 * heartbeat not below the election minimum lets healthy followers start elections. */
static int check_timeouts(scn_ctx *c, const scenario *s, bool election_given,
                          bool heartbeat_given) {
    char a[SCN_MS_TEXT_CAP], b[SCN_MS_TEXT_CAP];
    if (election_given && s->election_timeout.min_us == 0) {
        path_key(c, "election_timeout_ms");
        return fail(c, "min must be above 0: a zero election timeout would fire again and again "
                       "without time passing");
    }
    if (heartbeat_given && s->heartbeat_us == 0) {
        path_key(c, "heartbeat_ms");
        return fail(c, "must be above 0: a zero heartbeat would repeat without time passing");
    }
    if (s->heartbeat_us < s->election_timeout.min_us) return 0;
    fmt_ms(a, sizeof a, s->election_timeout.min_us);
    fmt_ms(b, sizeof b, s->heartbeat_us);
    if (heartbeat_given) {
        path_key(c, "heartbeat_ms");
        return fail(c,
                    "must be below election_timeout_ms min (%s), or followers time out "
                    "between heartbeats",
                    a);
    }
    path_key(c, "election_timeout_ms");
    return fail(c, "min (%s) must be above heartbeat_ms (%s, the default)", a, b);
}

/* "clock_drift": one factor per node, how fast its clock runs against real time (its timers
 * fire after their duration divided by it), 0.5 to 2. */
static int parse_clock_drift(scn_ctx *c, const cJSON *obj, scenario *s) {
    const cJSON *arr;
    size_t old;
    uint8_t given;
    if (lookup(c, obj, "clock_drift", &given, &arr, &old) <= 0) return given ? -1 : 0;
    if (!cJSON_IsArray(arr) || array_len(arr) != s->nodes)
        return fail(c, "expected an array of one clock rate per node (%u numbers in 0.5..2)",
                    s->nodes);
    s->clock_ppm = rs_xcalloc((size_t)s->nodes + 1, sizeof *s->clock_ppm);
    size_t i = 0;
    for (const cJSON *it = arr->child; it != NULL; it = it->next, i++) {
        size_t o = path_index(c, i);
        if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble) || it->valuedouble < 0.5 ||
            it->valuedouble > 2)
            return fail(c, "expected a number in 0.5..2 (how fast node %zu's clock runs: 1 is "
                           "true time, 1.1 fires its timers 10%% early)",
                        i + 1);
        s->clock_ppm[i + 1] = (uint32_t)llround(it->valuedouble * 1e6);
        path_pop(c, o);
    }
    path_pop(c, old);
    return 0;
}

static int parse_cluster(scn_ctx *c, const cJSON *root, scenario *s) {
    const cJSON *obj;
    size_t old;
    int r = get_object(c, root, "cluster", CLUSTER_FIELDS, COUNT_OF(CLUSTER_FIELDS), &obj, &old);
    if (r <= 0) return r;
    uint64_t nodes = s->nodes;
    uint8_t has_nodes, has_election, has_heartbeat;
    if (get_uint(c, obj, "nodes", 1, RS_NODES_MAX, &nodes, &has_nodes) != 0) return -1;
    s->nodes = (uint32_t)nodes;
    c->nodes = s->nodes;
    uint8_t has_prevote;
    if (get_range(c, obj, "election_timeout_ms", &s->election_timeout, &has_election) != 0 ||
        get_time(c, obj, "heartbeat_ms", &s->heartbeat_us, &has_heartbeat) != 0 ||
        get_bool(c, obj, "prevote", &s->prevote, &has_prevote) != 0 ||
        get_bool(c, obj, "check_quorum", &s->check_quorum, &has_prevote) != 0 ||
        get_bool(c, obj, "noop", &s->noop, &has_prevote) != 0 ||
        parse_clock_drift(c, obj, s) != 0) {
        return -1;
    }
    if (check_timeouts(c, s, has_election, has_heartbeat) != 0) return -1;
    if (cJSON_GetObjectItemCaseSensitive(obj, "reads")) {
        size_t reads = 0;
        if (get_choice(c, obj, "reads", READS_NAMES, COUNT_OF(READS_NAMES), &reads) != 0)
            return -1;
        s->read_index = (uint8_t)reads;
    }
    const cJSON *snap;
    size_t old_snap;
    r = get_object(c, obj, "snapshot", SNAPSHOT_FIELDS, COUNT_OF(SNAPSHOT_FIELDS), &snap,
                   &old_snap);
    if (r < 0) return -1;
    if (r > 0) {
        uint64_t every = 0, trailing = 0;
        uint8_t given;
        if (get_uint(c, snap, "every", 1, SCN_SNAPSHOT_MAX, &every, NULL) != 0 ||
            get_uint(c, snap, "trailing", 0, SCN_SNAPSHOT_MAX, &trailing, &given) != 0)
            return -1;
        s->snapshot_every = (uint32_t)every;
        s->snapshot_trailing = (uint32_t)trailing;
        path_pop(c, old_snap);
    }
    path_pop(c, old);
    return 0;
}

static int parse_network(scn_ctx *c, const cJSON *root, scenario *s) {
    const cJSON *obj;
    size_t old;
    int r = get_object(c, root, "network", NETWORK_FIELDS, COUNT_OF(NETWORK_FIELDS), &obj, &old);
    if (r <= 0) return r;
    uint8_t given;
    if (get_range(c, obj, "delay_ms", &s->delay, &given) != 0 ||
        get_rate(c, obj, "drop_rate", &s->drop_rate, &given) != 0 ||
        get_rate(c, obj, "duplicate_rate", &s->duplicate_rate, &given) != 0) {
        return -1;
    }
    path_pop(c, old);
    return 0;
}

static int parse_disk(scn_ctx *c, const cJSON *root, scenario *s) {
    const cJSON *obj;
    size_t old;
    int r = get_object(c, root, "disk", DISK_FIELDS, COUNT_OF(DISK_FIELDS), &obj, &old);
    if (r <= 0) return r;
    uint8_t given;
    if (get_range(c, obj, "write_ms", &s->disk_write, &given) != 0 ||
        get_bool(c, obj, "torn_writes", &s->torn_writes, &given) != 0 ||
        get_rate(c, obj, "fail", &s->disk_fail, &given) != 0) {
        return -1;
    }
    path_pop(c, old);
    return 0;
}

/* Raft logs never go down in term, and no entry is newer than the term its node is in. */
static int check_entry_term(scn_ctx *c, uint64_t term, uint64_t prev_term, uint64_t node_term) {
    if (term < prev_term) {
        return fail(c,
                    "entry term %" PRIu64 " is below the previous entry's term %" PRIu64
                    " (terms never decrease along a log)",
                    term, prev_term);
    }
    if (term > node_term) {
        return fail(c, "entry term %" PRIu64 " exceeds the node's term %" PRIu64, term, node_term);
    }
    return 0;
}

/* One log entry at 1-based index: a bare term, or {"term": t, "cmd": "..."}. */
static int parse_entry(scn_ctx *c, const cJSON *it, uint32_t index, uint64_t prev_term,
                       uint64_t node_term, scn_entry *e) {
    if (cJSON_IsNumber(it)) {
        if (val_uint(c, it, 0, SCN_INT_MAX, &e->term) != 0) return -1;
        if (check_entry_term(c, e->term, prev_term, node_term) != 0) return -1;
        char cmd[48];
        snprintf(cmd, sizeof cmd, "%" PRIu32 ":%" PRIu64, index, e->term);
        e->cmd = rs_xstrdup(cmd);
        return 0;
    }
    if (!cJSON_IsObject(it)) {
        return fail(c, "expected a term number or {\"term\": t, \"cmd\": \"...\"}");
    }
    if (check_fields(c, it, ENTRY_FIELDS, COUNT_OF(ENTRY_FIELDS)) != 0 ||
        get_uint(c, it, "term", 0, SCN_INT_MAX, &e->term, NULL) != 0) {
        return -1;
    }
    size_t old = path_key(c, "term");
    if (check_entry_term(c, e->term, prev_term, node_term) != 0) return -1;
    path_pop(c, old);
    return get_string(c, it, "cmd", 1, RS_CMD_LEN_MAX, &e->cmd, NULL);
}

static int parse_log(scn_ctx *c, const cJSON *obj, scn_initial *in) {
    const cJSON *arr;
    size_t old;
    uint8_t has = 0;
    int r = lookup(c, obj, "log", &has, &arr, &old);
    if (r <= 0) return r;
    if (!cJSON_IsArray(arr)) return fail(c, "expected an array of entries");
    size_t n = array_len(arr);
    if (n > RS_INITIAL_LOG_MAX) {
        return fail(c, "expected at most %d entries, got %zu", RS_INITIAL_LOG_MAX, n);
    }
    in->log = rs_xcalloc(n, sizeof *in->log);
    in->n_log = (uint32_t)n;
    uint64_t prev_term = 0;
    size_t i = 0;
    for (const cJSON *it = arr->child; it != NULL; it = it->next, i++) {
        size_t o = path_index(c, i);
        if (parse_entry(c, it, (uint32_t)(i + 1), prev_term, in->term, &in->log[i]) != 0) {
            return -1;
        }
        prev_term = in->log[i].term;
        path_pop(c, o);
    }
    path_pop(c, old);
    return 0;
}

/* One node's persisted state; where[id] remembers which initial[] entry named it (+1). */
static int parse_initial_node(scn_ctx *c, const cJSON *obj, uint32_t at, uint32_t *where,
                              scn_initial *in) {
    if (!cJSON_IsObject(obj)) return fail(c, "expected an object");
    if (check_fields(c, obj, INITIAL_FIELDS, COUNT_OF(INITIAL_FIELDS)) != 0 ||
        get_id(c, obj, "node", &in->node, NULL) != 0) {
        return -1;
    }
    if (where[in->node] != 0) {
        path_key(c, "node");
        return fail(c, "node %u already appears in initial[%" PRIu32 "]", (unsigned)in->node,
                    where[in->node] - 1);
    }
    where[in->node] = at + 1;
    uint8_t given;
    if (get_uint(c, obj, "term", 0, SCN_INT_MAX, &in->term, &given) != 0 ||
        get_id(c, obj, "voted_for", &in->voted_for, &given) != 0) {
        return -1;
    }
    return parse_log(c, obj, in);
}

static int parse_initial(scn_ctx *c, const cJSON *root, scenario *s) {
    const cJSON *arr;
    size_t old;
    uint8_t has = 0;
    int r = lookup(c, root, "initial", &has, &arr, &old);
    if (r <= 0) return r;
    if (!cJSON_IsArray(arr)) return fail(c, "expected an array");
    size_t n = array_len(arr);
    if (n > s->nodes) {
        return fail(c, "expected at most %" PRIu32 " entries, one per node", s->nodes);
    }
    s->initial = rs_xcalloc(n, sizeof *s->initial);
    s->n_initial = (uint32_t)n;
    uint32_t where[RS_NODES_MAX + 1] = {0};
    size_t i = 0;
    for (const cJSON *it = arr->child; it != NULL; it = it->next, i++) {
        size_t o = path_index(c, i);
        if (parse_initial_node(c, it, (uint32_t)i, where, &s->initial[i]) != 0) return -1;
        path_pop(c, o);
    }
    path_pop(c, old);
    return 0;
}

/* ---- Events ------------------------------------------------------------------------------ */

static int parse_partition(scn_ctx *c, const cJSON *ev, scn_event *e) {
    const cJSON *arr;
    size_t old;
    if (lookup(c, ev, "groups", NULL, &arr, &old) < 0) return -1;
    if (!cJSON_IsArray(arr)) return fail(c, "expected an array of groups, e.g. [[1, 2], [3]]");
    size_t n = array_len(arr);
    if (n == 0) return fail(c, "expected at least one group");
    if (n > RS_NODES_MAX) return fail(c, "expected at most %d groups", RS_NODES_MAX);
    e->groups = rs_xcalloc(n, sizeof *e->groups);
    e->group_len = rs_xcalloc(n, sizeof *e->group_len);
    e->n_groups = (uint32_t)n;
    uint32_t seen[SCN_REF_SLOTS] = {0};
    size_t g = 0;
    for (const cJSON *grp = arr->child; grp != NULL; grp = grp->next, g++) {
        size_t o = path_index(c, g);
        /* An empty group is allowed: it adds nothing but harms nothing either. */
        if (val_ref_list(c, grp, 0, (uint32_t)g, seen, &e->groups[g], &e->group_len[g]) != 0) {
            return -1;
        }
        path_pop(c, o);
    }
    path_pop(c, old);
    return 0;
}

static int parse_link(scn_ctx *c, const cJSON *ev, scn_event *e) {
    if (get_ref(c, ev, "from", &e->from, NULL) != 0 || get_ref(c, ev, "to", &e->to, NULL) != 0) {
        return -1;
    }
    if (e->from == e->to) {
        path_key(c, "to");
        return fail(c, "a link joins two different nodes, but from and to are the same");
    }
    if (get_rate(c, ev, "drop_rate", &e->drop_rate, &e->has_drop_rate) != 0 ||
        get_range(c, ev, "delay_ms", &e->delay, &e->has_delay) != 0 ||
        get_bool(c, ev, "up", &e->up, &e->has_up) != 0) {
        return -1;
    }
    if (!e->has_drop_rate && !e->has_delay && !e->has_up) {
        return fail(c, "a link event needs at least one of \"drop_rate\", \"delay_ms\", \"up\"");
    }
    return 0;
}

static int parse_network_event(scn_ctx *c, const cJSON *ev, scn_event *e) {
    if (get_range(c, ev, "delay_ms", &e->delay, &e->has_delay) != 0 ||
        get_rate(c, ev, "drop_rate", &e->drop_rate, &e->has_drop_rate) != 0 ||
        get_rate(c, ev, "duplicate_rate", &e->duplicate_rate, &e->has_duplicate_rate) != 0) {
        return -1;
    }
    if (!e->has_delay && !e->has_drop_rate && !e->has_duplicate_rate) {
        return fail(c, "a network event needs at least one of \"delay_ms\", \"drop_rate\", "
                       "\"duplicate_rate\"");
    }
    return 0;
}

static int parse_submit(scn_ctx *c, const cJSON *ev, scn_event *e) {
    uint8_t has_command, has_count;
    uint64_t count = 0;
    if (get_ref(c, ev, "node", &e->node, NULL) != 0 ||
        get_string(c, ev, "command", 1, RS_CMD_LEN_MAX, &e->command, &has_command) != 0 ||
        get_uint(c, ev, "count", 1, SCN_SUBMIT_COUNT_MAX, &count, &has_count) != 0) {
        return -1;
    }
    if (has_command && has_count) {
        return fail(c, "a submit takes either \"command\" or \"count\", not both");
    }
    if (!has_command && !has_count) {
        return fail(c, "a submit needs \"command\" (a string) or \"count\" (how many commands "
                       "to generate)");
    }
    e->count = (uint32_t)count;
    return 0;
}

/* fail_writes: the node's next `count` write batches fail (default 1). */
static int parse_fail_writes(scn_ctx *c, const cJSON *ev, scn_event *e) {
    uint64_t count = 1;
    uint8_t has_count;
    if (get_ref(c, ev, "node", &e->node, NULL) != 0 ||
        get_uint(c, ev, "count", 1, SCN_SUBMIT_COUNT_MAX, &count, &has_count) != 0)
        return -1;
    e->count = (uint32_t)count;
    return 0;
}

static int parse_kv(scn_ctx *c, const cJSON *ev, scn_event *e) {
    uint64_t client = 0;
    size_t op = 0;
    if (get_uint(c, ev, "client", 1, SCN_CLIENT_MAX, &client, NULL) != 0 ||
        get_choice(c, ev, "op", KV_OP_NAMES, COUNT_OF(KV_OP_NAMES), &op) != 0 ||
        get_string(c, ev, "key", 1, RS_CMD_LEN_MAX, &e->key, NULL) != 0) {
        return -1;
    }
    e->client = (uint32_t)client;
    e->kv_op = (scn_kv_op)op;
    if (e->kv_op == SCN_KV_GET && cJSON_GetObjectItemCaseSensitive(ev, "value") != NULL) {
        path_key(c, "value");
        return fail(c, "a get takes no value");
    }
    if (e->kv_op != SCN_KV_CAS && cJSON_GetObjectItemCaseSensitive(ev, "from") != NULL) {
        path_key(c, "from");
        return fail(c, "only a cas takes \"from\" (the expected old value)");
    }
    if (e->kv_op != SCN_KV_GET &&
        get_string(c, ev, "value", 0, RS_CMD_LEN_MAX, &e->value, NULL) != 0) {
        return -1;
    }
    if (e->kv_op == SCN_KV_CAS &&
        get_string(c, ev, "from", 0, RS_CMD_LEN_MAX, &e->from_value, NULL) != 0) {
        return -1;
    }
    return 0;
}

static int parse_expect_leader(scn_ctx *c, const cJSON *x, scn_expect *e) {
    const cJSON *it;
    size_t old;
    int r = lookup(c, x, "leader", &e->has_leader, &it, &old);
    if (r < 0) return -1;
    if (r > 0) {
        if (cJSON_IsString(it) && strcmp(it->valuestring, "any") == 0) {
            e->leader = SCN_LEADER_ANY;
        } else if (cJSON_IsString(it) && strcmp(it->valuestring, "none") == 0) {
            e->leader = SCN_LEADER_NONE;
        } else if (!cJSON_IsNumber(it)) {
            return fail(c, "expected a node id (1..%" PRIu32 "), \"any\" or \"none\"", c->nodes);
        } else {
            uint8_t id = 0;
            if (val_id(c, it, &id) != 0) return -1;
            e->leader = id;
        }
        path_pop(c, old);
    }
    return get_id(c, x, "leader_not", &e->leader_not, &e->has_leader_not);
}

/* Reads an "at least"/"at most" pair; a pair no value can satisfy is surely a typo. */
static int parse_bounds(scn_ctx *c, const cJSON *x, const char *least_name, const char *most_name,
                        uint64_t *least, uint8_t *has_least, uint64_t *most, uint8_t *has_most) {
    if (get_uint(c, x, least_name, 0, SCN_INT_MAX, least, has_least) != 0 ||
        get_uint(c, x, most_name, 0, SCN_INT_MAX, most, has_most) != 0) {
        return -1;
    }
    if (*has_least && *has_most && *least > *most) {
        path_key(c, least_name);
        return fail(c, "%" PRIu64 " exceeds %s (%" PRIu64 "): no value can satisfy both", *least,
                    most_name, *most);
    }
    return 0;
}

static int x_has_applied(const cJSON *x) {
    return cJSON_GetObjectItemCaseSensitive(x, "applied_cmd") != NULL;
}

static int parse_expect_on(scn_ctx *c, const cJSON *x, scn_expect *e) {
    const cJSON *arr;
    size_t old;
    uint8_t has = 0;
    int r = lookup(c, x, "on", &has, &arr, &old);
    if (r <= 0) return r;
    if (!e->has_committed_at_least && !e->has_committed_at_most && !x_has_applied(x)) {
        return fail(c, "only allowed together with committed_at_least, committed_at_most or "
                       "applied_cmd");
    }
    uint32_t seen[SCN_REF_SLOTS] = {0};
    if (val_ref_list(c, arr, 1, 0, seen, &e->on, &e->n_on) != 0) return -1;
    path_pop(c, old);
    return 0;
}

static int parse_expect_role(scn_ctx *c, const cJSON *x, scn_expect *e) {
    const cJSON *obj;
    size_t old;
    int r = get_object(c, x, "role", ROLE_FIELDS, COUNT_OF(ROLE_FIELDS), &obj, &old);
    if (r <= 0) return r;
    size_t role = 0;
    if (get_ref(c, obj, "node", &e->role_node, NULL) != 0 ||
        get_choice(c, obj, "is", ROLE_NAMES, COUNT_OF(ROLE_NAMES), &role) != 0) {
        return -1;
    }
    e->role_is = (scn_role)role;
    e->has_role = 1;
    path_pop(c, old);
    return 0;
}

static int parse_expect_kv(scn_ctx *c, const cJSON *x, scn_expect *e) {
    const cJSON *obj, *value;
    size_t old, old_value;
    int r = get_object(c, x, "kv", KV_FIELDS, COUNT_OF(KV_FIELDS), &obj, &old);
    if (r <= 0) return r;
    e->has_kv = 1;
    if (get_string(c, obj, "key", 1, RS_CMD_LEN_MAX, &e->kv_key, NULL) != 0 ||
        lookup(c, obj, "value", NULL, &value, &old_value) < 0) {
        return -1;
    }
    if (!cJSON_IsNull(value)) { /* null: the key must be absent */
        if (!cJSON_IsString(value)) return fail(c, "expected a string, or null for \"absent\"");
        if (val_string(c, value, 0, RS_CMD_LEN_MAX, &e->kv_value) != 0) return -1;
    }
    path_pop(c, old_value);
    path_pop(c, old);
    return 0;
}

/* "members": a non-empty list of node ids, each once (SPEC section 8). */
static int parse_expect_members(scn_ctx *c, const cJSON *x, scn_expect *e) {
    const cJSON *arr;
    size_t old;
    int r = lookup(c, x, "members", &e->has_members, &arr, &old);
    if (r <= 0) return r;
    if (!cJSON_IsArray(arr) || array_len(arr) == 0)
        return fail(c, "expected a non-empty list of node ids (the voters)");
    size_t i = 0;
    for (const cJSON *it = arr->child; it != NULL; it = it->next, i++) {
        size_t o = path_index(c, i);
        uint8_t id = 0;
        if (val_id(c, it, &id) != 0) return -1;
        if ((e->members[id >> 6] >> (id & 63)) & 1u) return fail(c, "node %u listed twice", id);
        e->members[id >> 6] |= 1ull << (id & 63);
        path_pop(c, o);
    }
    path_pop(c, old);
    return 0;
}

/* add: a literal spare id (above the starting cluster), added once. */
static int parse_add(scn_ctx *c, const cJSON *ev, scn_event *e) {
    const cJSON *it;
    size_t old;
    if (lookup(c, ev, "node", NULL, &it, &old) < 0) return -1;
    if (!is_whole(it) || it->valuedouble < 1 || it->valuedouble > RS_NODES_MAX)
        return fail(c, "expected a new node id in %" PRIu32 "..%d (add takes an id, not a "
                    "reference)", c->start_nodes + 1, RS_NODES_MAX);
    uint32_t id = (uint32_t)it->valuedouble;
    if (id <= c->start_nodes)
        return fail(c, "node %" PRIu32 " is already in the cluster (nodes 1..%" PRIu32 " start in "
                    "it); add takes a new id", id, c->start_nodes);
    e->node = (scn_ref)id;
    path_pop(c, old);
    return 0;
}

/* remove: a node reference; a spare id must have been added by then. */
static int parse_remove(scn_ctx *c, const cJSON *ev, scn_event *e) {
    if (get_ref(c, ev, "node", &e->node, NULL) != 0) return -1;
    if (e->node > 0 && (uint32_t)e->node > c->start_nodes && !c->added[e->node]) {
        path_key(c, "node");
        return fail(c, "node %d is not in the cluster: no add event adds it", e->node);
    }
    return 0;
}

static int parse_expect(scn_ctx *c, const cJSON *x, scn_expect *e) {
    if (!cJSON_IsObject(x)) {
        return fail(c, "expected an object of conditions, e.g. {\"leader\": \"any\"}");
    }
    if (check_fields(c, x, EXPECT_FIELDS, COUNT_OF(EXPECT_FIELDS)) != 0) return -1;
    if (x->child == NULL) {
        return fail(c, "expected at least one condition (leader, leader_not, term_at_most, "
                       "term_at_least, committed_at_least, committed_at_most, logs_match, "
                       "role, kv, applied_cmd, leaders, members)");
    }
    if (parse_expect_leader(c, x, e) != 0 ||
        parse_bounds(c, x, "term_at_least", "term_at_most", &e->term_at_least,
                     &e->has_term_at_least, &e->term_at_most, &e->has_term_at_most) != 0 ||
        parse_bounds(c, x, "committed_at_least", "committed_at_most", &e->committed_at_least,
                     &e->has_committed_at_least, &e->committed_at_most,
                     &e->has_committed_at_most) != 0 ||
        parse_expect_on(c, x, e) != 0) {
        return -1;
    }
    const cJSON *it;
    size_t old;
    int r = lookup(c, x, "logs_match", &e->has_logs_match, &it, &old);
    if (r < 0) return -1;
    if (r > 0) {
        if (!cJSON_IsTrue(it)) return fail(c, "expected true (the only value logs_match takes)");
        path_pop(c, old);
    }
    uint8_t has_applied = 0;
    if (get_string(c, x, "applied_cmd", 0, RS_CMD_LEN_MAX, &e->applied_cmd, &has_applied) != 0)
        return -1;
    uint64_t leaders = 0;
    if (get_uint(c, x, "leaders", 0, RS_NODES_MAX, &leaders, &e->has_leaders) != 0) return -1;
    e->leaders = (uint32_t)leaders;
    if (parse_expect_members(c, x, e) != 0) return -1;
    return parse_expect_role(c, x, e) != 0 ? -1 : parse_expect_kv(c, x, e);
}

static int parse_expect_event(scn_ctx *c, const cJSON *ev, scn_event *e) {
    const cJSON *x;
    size_t old;
    if (lookup(c, ev, "expect", NULL, &x, &old) < 0) return -1;
    if (parse_expect(c, x, &e->expect) != 0) return -1;
    path_pop(c, old);
    if (get_time(c, ev, "within_ms", &e->within_us, &e->has_within) != 0) return -1;
    if (e->has_within && e->at_us + e->within_us > c->run_us) {
        char a[SCN_MS_TEXT_CAP], w[SCN_MS_TEXT_CAP], run[SCN_MS_TEXT_CAP];
        path_key(c, "within_ms");
        return fail(c, "at_ms + within_ms exceeds run_ms (%s): %s + %s",
                    fmt_ms(run, sizeof run, c->run_us), fmt_ms(a, sizeof a, e->at_us),
                    fmt_ms(w, sizeof w, e->within_us));
    }
    return 0;
}

/* "do" names the kind; "expect" is not a "do" value, so only the action kinds are offered. */
static int parse_kind(scn_ctx *c, const cJSON *ev, scn_kind *kind) {
    const cJSON *d;
    size_t old;
    if (lookup(c, ev, "do", NULL, &d, &old) < 0) return -1;
    size_t n = SCN_EXPECT; /* the action kinds come first in scn_kind */
    size_t k = cJSON_IsString(d) ? name_index(KIND_NAMES, n, d->valuestring) : n;
    if (k < n) {
        *kind = (scn_kind)k;
        path_pop(c, old);
        return 0;
    }
    if (!cJSON_IsString(d)) {
        return fail(c, "expected a string: crash, restart, pause, resume, partition, heal, "
                       "link, network, submit or kv");
    }
    if (strcmp(d->valuestring, "expect") == 0) {
        return fail(c, "\"expect\" is not an action: write {\"at_ms\": ..., \"expect\": {...}} "
                       "without \"do\"");
    }
    const char *hint = closest_name(KIND_NAMES, n, d->valuestring);
    char shown[SCN_SHOW_CAP + 4], suggest[48] = "";
    show_user(shown, sizeof shown, d->valuestring);
    if (hint != NULL) snprintf(suggest, sizeof suggest, " (did you mean \"%s\"?)", hint);
    return fail(c,
                "unknown action \"%s\"%s; expected one of crash, restart, pause, resume, "
                "partition, heal, link, network, submit, kv",
                shown, suggest);
}

/* Each kind takes its own fields; one that belongs to another kind gets a pointed message. */
static int check_kind_fields(scn_ctx *c, const cJSON *ev, scn_kind kind) {
    uint32_t allowed = KIND_FIELDS[kind] | EF_BIT(EF_AT_MS);
    if (kind != SCN_EXPECT) allowed |= EF_BIT(EF_DO);
    for (const cJSON *f = ev->child; f != NULL; f = f->next) {
        size_t k = name_index(EVENT_FIELDS, EF_N, f->string);
        ASSERT(k < EF_N); /* check_fields let only event fields through */
        if (allowed & EF_BIT(k)) continue;
        path_key(c, f->string);
        if (k == EF_WITHIN_MS) return fail(c, "only \"expect\" events take within_ms");
        return fail(c, "not a field of %s \"%s\" event", kind == SCN_EXPECT ? "an" : "a",
                    KIND_NAMES[kind]);
    }
    return 0;
}

static int parse_event_body(scn_ctx *c, const cJSON *ev, scn_event *e) {
    switch (e->kind) {
    case SCN_DO_CRASH:
    case SCN_DO_RESTART:
    case SCN_DO_PAUSE:
    case SCN_DO_RESUME: return get_ref(c, ev, "node", &e->node, NULL);
    case SCN_DO_PARTITION: return parse_partition(c, ev, e);
    case SCN_DO_HEAL: return 0;
    case SCN_DO_LINK: return parse_link(c, ev, e);
    case SCN_DO_NETWORK: return parse_network_event(c, ev, e);
    case SCN_DO_SUBMIT: return parse_submit(c, ev, e);
    case SCN_DO_KV: return parse_kv(c, ev, e);
    case SCN_DO_TRANSFER: return get_ref(c, ev, "to", &e->to, NULL);
    case SCN_DO_FAIL_WRITES: return parse_fail_writes(c, ev, e);
    case SCN_DO_DISK: return get_rate(c, ev, "fail", &e->fail, NULL);
    case SCN_DO_ADD: return parse_add(c, ev, e);
    case SCN_DO_REMOVE: return parse_remove(c, ev, e);
    case SCN_EXPECT: return parse_expect_event(c, ev, e);
    case SCN_KIND_COUNT: break;
    }
    ASSERT(0 && "parse_kind yields only real kinds");
    return -1;
}

static int parse_event(scn_ctx *c, const cJSON *ev, scn_event *e) {
    if (!cJSON_IsObject(ev)) return fail(c, "expected an object");
    if (check_fields(c, ev, EVENT_FIELDS, EF_N) != 0) return -1;
    bool has_do = cJSON_GetObjectItemCaseSensitive(ev, "do") != NULL;
    bool has_expect = cJSON_GetObjectItemCaseSensitive(ev, "expect") != NULL;
    if (has_do && has_expect) {
        return fail(c, "an event needs either \"do\" or \"expect\", not both");
    }
    if (!has_do && !has_expect) return fail(c, "an event needs either \"do\" or \"expect\"");
    if (get_time(c, ev, "at_ms", &e->at_us, NULL) != 0) return -1;
    if (e->at_us > c->run_us) {
        char a[SCN_MS_TEXT_CAP], run[SCN_MS_TEXT_CAP];
        path_key(c, "at_ms");
        return fail(c, "%s exceeds run_ms (%s)", fmt_ms(a, sizeof a, e->at_us),
                    fmt_ms(run, sizeof run, c->run_us));
    }
    e->kind = SCN_EXPECT;
    if (has_do && parse_kind(c, ev, &e->kind) != 0) return -1;
    if (check_kind_fields(c, ev, e->kind) != 0) return -1;
    uint8_t has_optional = 0;
    if (get_bool(c, ev, "optional", &e->optional, &has_optional) != 0) return -1;
    return parse_event_body(c, ev, e);
}

/* Before the events are read: which spare ids add events bring in, and when, so that any event
 * may name them (node ids then run to the highest added). Each id is added at most once. */
static int scan_adds(scn_ctx *c, const cJSON *arr) {
    c->start_nodes = c->nodes;
    memset(c->added, 0, sizeof c->added);
    uint32_t top = c->nodes;
    size_t i = 0;
    for (const cJSON *ev = arr->child; ev != NULL; ev = ev->next, i++) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(ev, "do");
        const cJSON *nd = cJSON_GetObjectItemCaseSensitive(ev, "node");
        if (!cJSON_IsObject(ev) || !cJSON_IsString(d) || strcmp(d->valuestring, "add") != 0 ||
            !is_whole(nd) || nd->valuedouble <= c->start_nodes || nd->valuedouble > RS_NODES_MAX)
            continue; /* anything wrong is reported when the event itself is read */
        uint32_t id = (uint32_t)nd->valuedouble;
        if (c->added[id]) {
            path_index(c, i);
            path_key(c, "node");
            return fail(c, "node %" PRIu32 " is added twice (add takes a new id)", id);
        }
        c->added[id] = 1;
        if (id > top) top = id;
    }
    c->nodes = top;
    return 0;
}

static int parse_events(scn_ctx *c, const cJSON *root, scenario *s) {
    const cJSON *arr;
    size_t old;
    if (lookup(c, root, "events", NULL, &arr, &old) < 0) return -1;
    if (!cJSON_IsArray(arr)) return fail(c, "expected an array");
    size_t n = array_len(arr);
    if (n > (size_t)RS_EVENTS_MAX) {
        return fail(c, "expected at most %d events, got %zu", RS_EVENTS_MAX, n);
    }
    /* Counts are set before the elements are read: scn_free then cleans up after an error. */
    s->events = rs_xcalloc(n, sizeof *s->events);
    s->n_events = (uint32_t)n;
    if (scan_adds(c, arr) != 0) return -1;
    size_t i = 0;
    for (const cJSON *ev = arr->child; ev != NULL; ev = ev->next, i++) {
        size_t o = path_index(c, i);
        if (parse_event(c, ev, &s->events[i]) != 0) return -1;
        path_pop(c, o);
    }
    path_pop(c, old);
    return 0;
}

/* ---- Whole scenario ---------------------------------------------------------------------- */

static void set_defaults(scenario *s) {
    s->seed = SCN_DEFAULT_SEED;
    s->nodes = SCN_DEFAULT_NODES;
    s->election_timeout = (scn_range){.min_us = 150000, .max_us = 300000};
    s->heartbeat_us = 50000;
    s->delay = (scn_range){.min_us = 1000, .max_us = 10000};
    s->drop_rate = 0.0;
    s->duplicate_rate = 0.0;
    s->run_us = 10000000;
}

/* SPEC section 6: the implementation's name, one of those compiled in. */
static int parse_implementation(scn_ctx *c, const cJSON *root, scenario *s) {
    uint8_t given;
    if (get_string(c, root, "implementation", 1, 64, &s->implementation, &given) != 0) return -1;
    if (!given) return 0;
    if (node_impl_find(s->implementation)) return 0;
    char shown[SCN_SHOW_CAP + 8];
    show_user(shown, sizeof shown, s->implementation);
    path_key(c, "implementation");
    return fail(c, "unknown implementation \"%s\" (raftsim run --impl list shows them)", shown);
}

/* "implementations": a non-empty list of known implementation names, each at most once. */
static int parse_implementations(scn_ctx *c, const cJSON *root, scenario *s) {
    const cJSON *arr;
    size_t old;
    uint8_t given;
    if (lookup(c, root, "implementations", &given, &arr, &old) <= 0) return given ? -1 : 0;
    if (!cJSON_IsArray(arr) || array_len(arr) == 0)
        return fail(c, "expected a non-empty array of implementation names");
    size_t i = 0;
    for (const cJSON *it = arr->child; it != NULL; it = it->next, i++) {
        size_t o = path_index(c, i);
        char *name = NULL;
        if (val_string(c, it, 1, 64, &name) != 0) return -1;
        unsigned k = 0;
        while (k < node_impl_count && strcmp(node_impls[k]->name, name) != 0) k++;
        free(name);
        if (k == node_impl_count)
            return fail(c, "unknown implementation (raftsim run --impl list shows them)");
        if (s->impl_mask & (1u << k)) return fail(c, "implementation listed twice");
        s->impl_mask |= 1u << k;
        path_pop(c, o);
    }
    path_pop(c, old);
    return 0;
}

/* Fields are read in dependency order (cluster, then run_ms, then what refers to them),
 * whatever order the file has them in. */
static int parse_scenario(scn_ctx *c, const cJSON *root, const char *default_name, scenario *s) {
    if (!cJSON_IsObject(root)) {
        return fail(c, c->path_len == 0 ? "expected a JSON object at the top level"
                                        : "expected an object");
    }
    if (check_depth(c, root, 1) != 0) return -1;
    if (check_fields(c, root, TOP_FIELDS, COUNT_OF(TOP_FIELDS)) != 0) return -1;
    set_defaults(s);
    c->nodes = s->nodes;
    uint8_t given;
    if (get_string(c, root, "name", 0, SIZE_MAX, &s->name, &given) != 0 ||
        get_string(c, root, "description", 0, SIZE_MAX, &s->description, &given) != 0 ||
        parse_implementation(c, root, s) != 0 || parse_implementations(c, root, s) != 0 ||
        get_uint(c, root, "seed", 0, SCN_INT_MAX, &s->seed, &given) != 0 ||
        parse_cluster(c, root, s) != 0 || parse_network(c, root, s) != 0 ||
        parse_disk(c, root, s) != 0 || get_time(c, root, "run_ms", &s->run_us, &given) != 0) {
        return -1;
    }
    c->run_us = s->run_us;
    if (parse_initial(c, root, s) != 0 || parse_events(c, root, s) != 0) return -1;
    if (s->name == NULL) s->name = rs_xstrdup(default_name != NULL ? default_name : "unnamed");
    if (s->description == NULL) s->description = rs_xstrdup("");
    return 0;
}

int scn_load_json(const struct cJSON *root, const char *origin, const char *path_prefix,
                  const char *default_name, scenario *out, char *err, size_t err_len) {
    ASSERT(origin != NULL && path_prefix != NULL && out != NULL);
    ASSERT(err != NULL || err_len == 0);
    memset(out, 0, sizeof *out);
    if (err_len > 0) err[0] = '\0';
    scn_ctx c = {.origin = origin, .err = err, .err_len = err_len, .nodes = SCN_DEFAULT_NODES};
    c.path[0] = '\0';
    path_append(&c, path_prefix);
    c.prefix_len = c.path_len;
    int rc = parse_scenario(&c, root, default_name, out);
    if (rc != 0) scn_free(out);
    ASSERT(rc == 0 || out->events == NULL);
    return rc;
}

/* ---- Files ------------------------------------------------------------------------------- */

static int read_whole_file(const char *path, char **buf, size_t *len, char *err, size_t err_len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, err_len, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0, got;
    char *b = rs_xmalloc(cap);
    do {
        if (cap - n < 2) {
            ASSERT(cap <= SIZE_MAX / 2);
            cap *= 2;
            b = rs_xrealloc(b, cap);
        }
        got = fread(b + n, 1, cap - n - 1, f);
        n += got;
    } while (got > 0);
    int failed = ferror(f);
    int saved = errno; /* fclose may overwrite it */
    fclose(f);
    if (failed) {
        free(b);
        snprintf(err, err_len, "%s: cannot read: %s", path, strerror(saved));
        return -1;
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return 0;
}

/* Says where the parser gave up, as a byte, line and column counted from 1. */
static void report_bad_json(const char *path, const char *buf, size_t len, size_t offset,
                            const char *what, const char *why, char *err, size_t err_len) {
    if (offset >= len) offset = len > 0 ? len - 1 : 0;
    size_t line = 1, col = 1;
    for (size_t i = 0; i < offset; i++) {
        if (buf[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    snprintf(err, err_len, "%s: %s near byte %zu (line %zu, column %zu)%s", path, what, offset + 1,
             line, col, why);
}

/* Brackets open at offset, outside strings: past CJSON_NESTING_LIMIT cJSON gives up, and
 * saying so beats a bare "not valid JSON". */
static size_t depth_at(const char *buf, size_t offset) {
    size_t depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < offset; i++) {
        char ch = buf[i];
        if (in_string) {
            if (ch == '\\') {
                i++;
            } else if (ch == '"') {
                in_string = false;
            }
        } else if (ch == '"') {
            in_string = true;
        } else if (ch == '[' || ch == '{') {
            depth++;
        } else if ((ch == ']' || ch == '}') && depth > 0) {
            depth--;
        }
    }
    return depth;
}

/* The offset of the first "\u0000" escape inside a string, or len. cJSON would turn it into a
 * NUL that silently cuts the string short. buf is NUL-terminated and holds no other NUL. */
static size_t escaped_nul_at(const char *buf, size_t len) {
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        if (!in_string) {
            in_string = buf[i] == '"';
        } else if (buf[i] == '"') {
            in_string = false;
        } else if (buf[i] == '\\') {
            if (strncmp(buf + i + 1, "u0000", 5) == 0) return i;
            i++;
        }
    }
    return len;
}

/* The default name: the file's basename without a trailing ".json". */
static char *name_from_path(const char *path) {
    const char *slash = strrchr(path, '/');
    const char *base = slash != NULL ? slash + 1 : path;
    size_t n = strlen(base);
    if (n > 5 && strcmp(base + n - 5, ".json") == 0) n -= 5;
    char *name = rs_xmalloc(n + 1);
    memcpy(name, base, n);
    name[n] = '\0';
    return name;
}

int scn_load_file(const char *path, scenario *out, char *err, size_t err_len) {
    ASSERT(path != NULL && out != NULL);
    ASSERT(err != NULL || err_len == 0);
    memset(out, 0, sizeof *out);
    char *buf = NULL;
    size_t len = 0;
    if (read_whole_file(path, &buf, &len, err, err_len) != 0) return -1;
    if (strspn(buf, " \t\r\n") == len) {
        snprintf(err, err_len, "%s: empty file", path);
        free(buf);
        return -1;
    }
    const char *nul = memchr(buf, '\0', len);
    if (nul != NULL) { /* cJSON would stop there and ignore the rest */
        report_bad_json(path, buf, len, (size_t)(nul - buf), "not valid JSON", ": a NUL byte", err,
                        err_len);
        free(buf);
        return -1;
    }
    size_t esc = escaped_nul_at(buf, len);
    if (esc < len) {
        report_bad_json(path, buf, len, esc, "\\u0000 in a string",
                        ": raftsim strings cannot hold a NUL character", err, err_len);
        free(buf);
        return -1;
    }
    const char *end = NULL;
    /* The length includes the terminating NUL so that require_null_terminated can see it. */
    cJSON *root = cJSON_ParseWithLengthOpts(buf, len + 1, &end, 1);
    if (root == NULL) {
        size_t at = end != NULL && end >= buf ? (size_t)(end - buf) : 0;
        if (at > len) at = len;
        char why[64] = "";
        if (depth_at(buf, at) >= CJSON_NESTING_LIMIT) {
            snprintf(why, sizeof why, ": nested deeper than %d levels", CJSON_NESTING_LIMIT);
        }
        report_bad_json(path, buf, len, at, "not valid JSON", why, err, err_len);
        free(buf);
        return -1;
    }
    char *name = name_from_path(path);
    int rc = scn_load_json(root, path, "", name[0] != '\0' ? name : NULL, out, err, err_len);
    free(name);
    cJSON_Delete(root);
    free(buf);
    return rc;
}

/* ---- Writing back ------------------------------------------------------------------------ */

/* cJSON's own number printer may drop the last digits of a double (9007199254740991 comes out
 * as 9.00719925474099e+15), so numbers are written as raw text that reads back exactly. */
static cJSON *json_u64(uint64_t v) {
    char b[24];
    snprintf(b, sizeof b, "%" PRIu64, v);
    return cJSON_CreateRaw(b);
}

static cJSON *json_ms(uint64_t us) {
    char b[SCN_MS_TEXT_CAP];
    return cJSON_CreateRaw(fmt_ms(b, sizeof b, us));
}

/* The shortest of %.15g..%.17g that reads back as the same double. */
static cJSON *json_double(double v) {
    ASSERT(isfinite(v));
    char b[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(b, sizeof b, "%.*g", prec, v);
        if (strtod(b, NULL) == v) break;
    }
    return cJSON_CreateRaw(b);
}

static cJSON *json_str(const char *s) {
    return cJSON_CreateString(s != NULL ? s : "");
}

static cJSON *json_ref(scn_ref r) {
    ASSERT(r != SCN_REF_NONE && r >= SCN_REF_CRASHED);
    if (r > 0) return json_u64((uint64_t)r);
    return cJSON_CreateString(r == SCN_REF_LEADER     ? "leader"
                              : r == SCN_REF_FOLLOWER ? "follower"
                                                      : "crashed");
}

static cJSON *json_range(scn_range r) {
    cJSON *a = cJSON_CreateArray();
    ASSERT(a != NULL);
    cJSON *lo = json_ms(r.min_us), *hi = json_ms(r.max_us);
    ASSERT(lo != NULL && hi != NULL);
    cJSON_bool ok = cJSON_AddItemToArray(a, lo) && cJSON_AddItemToArray(a, hi);
    ASSERT(ok);
    return a;
}

/* Out of memory while building is not an input error: abort like rs_xmalloc does. */
static void add(cJSON *obj, const char *key, cJSON *value) {
    ASSERT(obj != NULL && value != NULL);
    cJSON_bool ok = cJSON_AddItemToObject(obj, key, value);
    ASSERT(ok);
}

static void push(cJSON *arr, cJSON *value) {
    ASSERT(arr != NULL && value != NULL);
    cJSON_bool ok = cJSON_AddItemToArray(arr, value);
    ASSERT(ok);
}

static cJSON *new_object(void) {
    cJSON *o = cJSON_CreateObject();
    ASSERT(o != NULL);
    return o;
}

static cJSON *new_array(void) {
    cJSON *a = cJSON_CreateArray();
    ASSERT(a != NULL);
    return a;
}

static cJSON *json_refs(const scn_ref *refs, uint32_t n) {
    cJSON *a = new_array();
    for (uint32_t i = 0; i < n; i++) push(a, json_ref(refs[i]));
    return a;
}

static cJSON *json_entry(const scn_entry *e, uint32_t index) {
    char bare[48];
    snprintf(bare, sizeof bare, "%" PRIu32 ":%" PRIu64, index, e->term);
    if (strcmp(bare, e->cmd) == 0) return json_u64(e->term);
    cJSON *o = new_object();
    add(o, "term", json_u64(e->term));
    add(o, "cmd", json_str(e->cmd));
    return o;
}

static cJSON *json_initial(const scenario *s) {
    cJSON *a = new_array();
    for (uint32_t i = 0; i < s->n_initial; i++) {
        const scn_initial *in = &s->initial[i];
        cJSON *o = new_object();
        add(o, "node", json_u64(in->node));
        add(o, "term", json_u64(in->term));
        if (in->voted_for != 0) add(o, "voted_for", json_u64(in->voted_for));
        cJSON *log = new_array();
        for (uint32_t k = 0; k < in->n_log; k++) push(log, json_entry(&in->log[k], k + 1));
        add(o, "log", log);
        push(a, o);
    }
    return a;
}

static cJSON *json_expect(const scn_expect *x) {
    cJSON *o = new_object();
    if (x->has_leader) {
        add(o, "leader",
            x->leader == SCN_LEADER_ANY    ? cJSON_CreateString("any")
            : x->leader == SCN_LEADER_NONE ? cJSON_CreateString("none")
                                           : json_u64((uint64_t)x->leader));
    }
    if (x->has_leader_not) add(o, "leader_not", json_u64(x->leader_not));
    if (x->has_term_at_most) add(o, "term_at_most", json_u64(x->term_at_most));
    if (x->has_term_at_least) add(o, "term_at_least", json_u64(x->term_at_least));
    if (x->has_committed_at_least) {
        add(o, "committed_at_least", json_u64(x->committed_at_least));
    }
    if (x->has_committed_at_most) add(o, "committed_at_most", json_u64(x->committed_at_most));
    if (x->n_on > 0) add(o, "on", json_refs(x->on, x->n_on));
    if (x->has_logs_match) add(o, "logs_match", cJSON_CreateTrue());
    if (x->has_role) {
        ASSERT((unsigned)x->role_is < COUNT_OF(ROLE_NAMES));
        cJSON *role = new_object();
        add(role, "node", json_ref(x->role_node));
        add(role, "is", cJSON_CreateString(ROLE_NAMES[x->role_is]));
        add(o, "role", role);
    }
    if (x->applied_cmd) add(o, "applied_cmd", json_str(x->applied_cmd));
    if (x->has_leaders) add(o, "leaders", json_u64(x->leaders));
    if (x->has_members) {
        cJSON *m = new_array();
        for (uint32_t id = 1; id <= RS_NODES_MAX; id++)
            if ((x->members[id >> 6] >> (id & 63)) & 1u) push(m, json_u64(id));
        add(o, "members", m);
    }
    if (x->has_kv) {
        cJSON *kv = new_object();
        add(kv, "key", json_str(x->kv_key));
        add(kv, "value", x->kv_value != NULL ? json_str(x->kv_value) : cJSON_CreateNull());
        add(o, "kv", kv);
    }
    return o;
}

/* The fields of link and network events, each only when the event sets it. */
static void add_link_settings(cJSON *o, const scn_event *e) {
    if (e->kind == SCN_DO_NETWORK && e->has_delay) add(o, "delay_ms", json_range(e->delay));
    if (e->has_drop_rate) add(o, "drop_rate", json_double(e->drop_rate));
    if (e->kind == SCN_DO_LINK && e->has_delay) add(o, "delay_ms", json_range(e->delay));
    if (e->has_duplicate_rate) add(o, "duplicate_rate", json_double(e->duplicate_rate));
    if (e->has_up) add(o, "up", cJSON_CreateBool(e->up != 0));
}

static void add_event_body(cJSON *o, const scn_event *e) {
    switch (e->kind) {
    case SCN_DO_CRASH:
    case SCN_DO_RESTART:
    case SCN_DO_PAUSE:
    case SCN_DO_RESUME: add(o, "node", json_ref(e->node)); return;
    case SCN_DO_PARTITION: {
        cJSON *groups = new_array();
        for (uint32_t g = 0; g < e->n_groups; g++) {
            push(groups, json_refs(e->groups[g], e->group_len[g]));
        }
        add(o, "groups", groups);
        return;
    }
    case SCN_DO_HEAL: return;
    case SCN_DO_LINK:
        add(o, "from", json_ref(e->from));
        add(o, "to", json_ref(e->to));
        add_link_settings(o, e);
        return;
    case SCN_DO_NETWORK: add_link_settings(o, e); return;
    case SCN_DO_SUBMIT:
        add(o, "node", json_ref(e->node));
        add(o, e->command != NULL ? "command" : "count",
            e->command != NULL ? json_str(e->command) : json_u64(e->count));
        return;
    case SCN_DO_KV:
        ASSERT((unsigned)e->kv_op < COUNT_OF(KV_OP_NAMES));
        add(o, "client", json_u64(e->client));
        add(o, "op", cJSON_CreateString(KV_OP_NAMES[e->kv_op]));
        add(o, "key", json_str(e->key));
        if (e->kv_op != SCN_KV_GET) add(o, "value", json_str(e->value));
        if (e->kv_op == SCN_KV_CAS) add(o, "from", json_str(e->from_value));
        return;
    case SCN_DO_TRANSFER: add(o, "to", json_ref(e->to)); return;
    case SCN_DO_FAIL_WRITES:
        add(o, "node", json_ref(e->node));
        add(o, "count", json_u64(e->count));
        return;
    case SCN_DO_DISK: add(o, "fail", json_double(e->fail)); return;
    case SCN_DO_ADD:
    case SCN_DO_REMOVE: add(o, "node", json_ref(e->node)); return;
    case SCN_EXPECT:
    case SCN_KIND_COUNT: break;
    }
    ASSERT(0 && "expectations are written by json_event");
}

static cJSON *json_event(const scn_event *e) {
    cJSON *o = new_object();
    add(o, "at_ms", json_ms(e->at_us));
    if (e->kind == SCN_EXPECT) {
        add(o, "expect", json_expect(&e->expect));
        if (e->has_within) add(o, "within_ms", json_ms(e->within_us));
        return o;
    }
    add(o, "do", cJSON_CreateString(scn_kind_name(e->kind)));
    add_event_body(o, e);
    if (e->optional) add(o, "optional", cJSON_CreateTrue());
    return o;
}

char *scn_to_json(const scenario *s) {
    ASSERT(s != NULL);
    cJSON *root = new_object();
    add(root, "name", json_str(s->name));
    add(root, "description", json_str(s->description));
    add(root, "implementation",
        json_str(s->implementation ? s->implementation : node_impls[0]->name));
    if (s->impl_mask) {
        cJSON *list = new_array();
        for (unsigned k = 0; k < node_impl_count; k++)
            if (s->impl_mask & (1u << k)) push(list, cJSON_CreateString(node_impls[k]->name));
        add(root, "implementations", list);
    }
    add(root, "seed", json_u64(s->seed));
    cJSON *cluster = new_object();
    add(cluster, "nodes", json_u64(s->nodes));
    add(cluster, "election_timeout_ms", json_range(s->election_timeout));
    add(cluster, "heartbeat_ms", json_ms(s->heartbeat_us));
    if (s->prevote) add(cluster, "prevote", cJSON_CreateTrue());
    if (s->check_quorum) add(cluster, "check_quorum", cJSON_CreateTrue());
    if (s->noop) add(cluster, "noop", cJSON_CreateTrue());
    if (s->read_index) add(cluster, "reads", cJSON_CreateString(READS_NAMES[1]));
    if (s->snapshot_every) {
        cJSON *snap = new_object();
        add(snap, "every", json_u64(s->snapshot_every));
        add(snap, "trailing", json_u64(s->snapshot_trailing));
        add(cluster, "snapshot", snap);
    }
    if (s->clock_ppm) {
        cJSON *drift = new_array();
        for (uint32_t i = 1; i <= s->nodes; i++) push(drift, json_double(s->clock_ppm[i] / 1e6));
        add(cluster, "clock_drift", drift);
    }
    add(root, "cluster", cluster);
    cJSON *network = new_object();
    add(network, "delay_ms", json_range(s->delay));
    add(network, "drop_rate", json_double(s->drop_rate));
    add(network, "duplicate_rate", json_double(s->duplicate_rate));
    add(root, "network", network);
    cJSON *disk = new_object();
    add(disk, "write_ms", json_range(s->disk_write));
    add(disk, "torn_writes", s->torn_writes ? cJSON_CreateTrue() : cJSON_CreateFalse());
    /* Only when set: a trace header of a run without failed writes stays what it was. */
    if (s->disk_fail > 0) add(disk, "fail", json_double(s->disk_fail));
    add(root, "disk", disk);
    add(root, "run_ms", json_ms(s->run_us));
    if (s->n_initial > 0) add(root, "initial", json_initial(s));
    cJSON *events = new_array();
    for (uint32_t i = 0; i < s->n_events; i++) push(events, json_event(&s->events[i]));
    add(root, "events", events);
    char *text = cJSON_PrintUnformatted(root);
    ASSERT(text != NULL);
    cJSON_Delete(root);
    return text;
}

/* ---- Ownership --------------------------------------------------------------------------- */

void scn_event_free(scn_event *e) {
    for (uint32_t g = 0; g < e->n_groups; g++) free(e->groups[g]);
    free(e->groups);
    free(e->group_len);
    free(e->command);
    free(e->key);
    free(e->value);
    free(e->from_value);
    free(e->expect.on);
    free(e->expect.kv_key);
    free(e->expect.kv_value);
    free(e->expect.applied_cmd);
}

void scn_free(scenario *s) {
    ASSERT(s != NULL);
    for (uint32_t i = 0; i < s->n_initial; i++) {
        for (uint32_t k = 0; k < s->initial[i].n_log; k++) free(s->initial[i].log[k].cmd);
        free(s->initial[i].log);
    }
    for (uint32_t i = 0; i < s->n_events; i++) scn_event_free(&s->events[i]);
    free(s->initial);
    free(s->events);
    free(s->name);
    free(s->description);
    free(s->implementation);
    free(s->clock_ppm);
    memset(s, 0, sizeof *s);
}

static void *dup_mem(const void *p, size_t n) {
    if (p == NULL) return NULL;
    void *q = rs_xmalloc(n);
    if (n > 0) memcpy(q, p, n);
    return q;
}

static char *dup_str(const char *s) {
    return s != NULL ? rs_xstrdup(s) : NULL;
}

void scn_event_copy(scn_event *dst, const scn_event *src) {
    *dst = *src;
    dst->group_len = dup_mem(src->group_len, src->n_groups * sizeof *src->group_len);
    dst->groups = src->groups != NULL ? rs_xcalloc(src->n_groups, sizeof *dst->groups) : NULL;
    for (uint32_t g = 0; g < src->n_groups && src->groups != NULL; g++) {
        dst->groups[g] = dup_mem(src->groups[g], src->group_len[g] * sizeof **src->groups);
    }
    dst->command = dup_str(src->command);
    dst->key = dup_str(src->key);
    dst->value = dup_str(src->value);
    dst->from_value = dup_str(src->from_value);
    dst->expect.on = dup_mem(src->expect.on, src->expect.n_on * sizeof *src->expect.on);
    dst->expect.kv_key = dup_str(src->expect.kv_key);
    dst->expect.kv_value = dup_str(src->expect.kv_value);
    dst->expect.applied_cmd = dup_str(src->expect.applied_cmd);
}

void scn_copy(scenario *dst, const scenario *src) {
    ASSERT(dst != NULL && src != NULL && dst != src);
    *dst = *src;
    dst->name = dup_str(src->name);
    dst->description = dup_str(src->description);
    dst->implementation = dup_str(src->implementation);
    dst->clock_ppm =
        src->clock_ppm ? dup_mem(src->clock_ppm, ((size_t)src->nodes + 1) * sizeof *src->clock_ppm)
                       : NULL;
    dst->initial = dup_mem(src->initial, src->n_initial * sizeof *src->initial);
    for (uint32_t i = 0; i < src->n_initial; i++) {
        const scn_initial *in = &src->initial[i];
        dst->initial[i].log = dup_mem(in->log, in->n_log * sizeof *in->log);
        for (uint32_t k = 0; k < in->n_log; k++) {
            dst->initial[i].log[k].cmd = dup_str(in->log[k].cmd);
        }
    }
    dst->events = src->events != NULL ? rs_xcalloc(src->n_events, sizeof *dst->events) : NULL;
    for (uint32_t i = 0; i < src->n_events; i++) scn_event_copy(&dst->events[i], &src->events[i]);
}

const char *scn_kv_op_name(scn_kv_op op) {
    ASSERT((unsigned)op < COUNT_OF(KV_OP_NAMES));
    return KV_OP_NAMES[op];
}

int scn_kv_op_parse(const char *name) {
    for (size_t i = 0; i < COUNT_OF(KV_OP_NAMES); i++)
        if (strcmp(KV_OP_NAMES[i], name) == 0) return (int)i;
    return -1;
}

uint32_t scn_id_space(const scenario *s) {
    uint32_t top = s->nodes;
    for (uint32_t i = 0; i < s->n_events; i++) {
        const scn_event *e = &s->events[i];
        if (e->kind == SCN_DO_ADD && e->node > 0 && (uint32_t)e->node > top)
            top = (uint32_t)e->node;
    }
    return top;
}

const char *scn_kind_name(scn_kind kind) {
    ASSERT((unsigned)kind < SCN_KIND_COUNT);
    ASSERT(KIND_NAMES[kind] != NULL);
    return KIND_NAMES[kind];
}
