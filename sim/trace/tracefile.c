/* tracefile.c - trace reading, and `raftsim check`: the safety invariants re-judged from a
 * trace file alone, by the same checker a run uses. */
#include "sim/trace/tracefile.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "sim/check/check.h"
#include "sim/kv/histcheck.h"
#include "sim/base/jsonget.h"
#include "sim/base/limits.h"
#include "sim/trace/trace.h"
#include "sim/base/util.h"

static int errf(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int errf(char *err, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return -1;
}

/* The whole file into a malloc'd buffer, for tracefile_parse to take over. */
static int read_all(const char *path, char **data, size_t *size, char *err, size_t cap) {
    FILE *f = fopen(path, "rb");
    if (!f) return errf(err, cap, "%s: cannot read: %s", path, strerror(errno));
    size_t n = 0, c = 1 << 16;
    char *buf = rs_xmalloc(c);
    size_t got;
    while ((got = fread(buf + n, 1, c - n - 1, f)) > 0) {
        n += got;
        if (c - n - 1 == 0) buf = rs_xrealloc(buf, c *= 2);
    }
    int bad = ferror(f);
    int saved = errno; /* fclose may overwrite it */
    fclose(f);
    if (bad) {
        free(buf);
        return errf(err, cap, "%s: cannot read: %s", path, strerror(saved));
    }
    *data = buf;
    *size = n;
    return 0;
}

static char *dup_string(const cJSON *obj, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? rs_xstrdup(v->valuestring) : NULL;
}

static int parse_header(tracefile *tf, const char *line, size_t len, char *err, size_t cap) {
    const char *p = tf->path;
    cJSON *h = cJSON_ParseWithLength(line, len);
    if (!h || !cJSON_IsObject(h)) {
        cJSON_Delete(h);
        return errf(err, cap, "%s: line 1: not a JSON object (is this a raftsim trace?)", p);
    }
    int rc = -1;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(h, "type");
    const cJSON *tool = cJSON_GetObjectItemCaseSensitive(h, "tool");
    uint64_t version = 0;
    const cJSON *bug = cJSON_GetObjectItemCaseSensitive(h, "bug");
    if (!cJSON_IsString(type) || strcmp(type->valuestring, "header") != 0 ||
        !cJSON_IsString(tool) || strcmp(tool->valuestring, "raftsim") != 0)
        errf(err, cap, "%s: line 1: not a raftsim trace header", p);
    else if (json_get_u64(h, "version", &version) || version != TRACE_VERSION)
        errf(err, cap,
             "%s: line 1: version: trace format version %" PRIu64
             " is not the one this build reads (%d)",
             p, version, TRACE_VERSION);
    else if (json_get_u64(h, "seed", &tf->seed))
        errf(err, cap, "%s: line 1: seed: expected a non-negative integer", p);
    else if (!(cJSON_IsNull(bug) || cJSON_IsString(bug)))
        errf(err, cap, "%s: line 1: bug: expected a string or null", p);
    else {
        char origin[1100];
        snprintf(origin, sizeof origin, "%s: line 1", p);
        rc = scn_load_json(cJSON_GetObjectItemCaseSensitive(h, "scenario"), origin, "scenario.",
                           NULL, &tf->scn, err, cap);
        tf->bug = dup_string(h, "bug");
        tf->build = dup_string(h, "build");
        if (rc == 0) tf->scn.seed = tf->seed;
    }
    cJSON_Delete(h);
    return rc;
}

/* The writer prints the hash as 16 hex digits; strtoull alone would read "zz" as 0. */
static int is_hex64(const char *s) {
    size_t n = strspn(s, "0123456789abcdefABCDEF");
    return n >= 1 && n <= 16 && s[n] == '\0';
}

static int parse_end(tracefile *tf, const char *line, size_t len, uint64_t lineno, char *err,
                     size_t cap) {
    cJSON *e = cJSON_ParseWithLength(line, len);
    const cJSON *hash = cJSON_GetObjectItemCaseSensitive(e, "hash");
    if (!e || !cJSON_IsString(hash) || !is_hex64(hash->valuestring) ||
        json_get_u64(e, "events", &tf->end_events)) {
        cJSON_Delete(e);
        return errf(err, cap, "%s: line %" PRIu64 ": malformed end line", tf->path, lineno);
    }
    tf->has_end = 1;
    tf->end_hash = strtoull(hash->valuestring, NULL, 16);
    tf->end_result = dup_string(e, "result");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "violation");
    if (cJSON_IsObject(v)) tf->end_invariant = dup_string(v, "invariant");
    cJSON_Delete(e);
    return 0;
}

static int is_end_line(const char *line, size_t len) {
    static const char tag[] = "{\"type\":\"end\"";
    return len >= sizeof tag - 1 && memcmp(line, tag, sizeof tag - 1) == 0;
}

int tracefile_parse(const char *origin, char *data, size_t size, tracefile *tf, char *err,
                    size_t err_len) {
    ASSERT(origin != NULL && tf != NULL && (data != NULL || size == 0));
    memset(tf, 0, sizeof *tf);
    tf->path = origin;
    tf->data = rs_xrealloc(data, size + 1); /* room for the NUL that ends the last line */
    tf->data[size] = '\0';
    tf->size = size;
    if (tf->size == 0) return errf(err, err_len, "%s: empty file, not a trace", origin);
    const char *nul = memchr(tf->data, '\0', size);
    if (nul != NULL) { /* cJSON would take it inside a string and cut the string there */
        uint64_t at_line = 1;
        for (const char *q = tf->data; q < nul; q++) at_line += *q == '\n';
        return errf(err, err_len, "%s: line %" PRIu64 ": a NUL byte (a trace is text)", origin,
                    at_line);
    }
    size_t cap = 1024, pos = 0;
    uint64_t lineno = 0;
    tf->off = rs_xmalloc(cap * sizeof *tf->off);
    tf->len = rs_xmalloc(cap * sizeof *tf->len);
    while (pos < tf->size) {
        const char *nl = memchr(tf->data + pos, '\n', tf->size - pos);
        size_t len = nl ? (size_t)(nl - (tf->data + pos)) : tf->size - pos;
        const char *line = tf->data + pos;
        lineno++;
        if (tf->has_end)
            return errf(err, err_len, "%s: line %" PRIu64 ": text after the end line", origin,
                        lineno);
        if (lineno == 1) {
            if (parse_header(tf, line, len, err, err_len)) return -1;
        } else if (is_end_line(line, len)) {
            if (parse_end(tf, line, len, lineno, err, err_len)) return -1;
        } else {
            if (!nl)
                return errf(err, err_len,
                            "%s: line %" PRIu64 ": truncated (no newline): "
                            "the run that wrote it was cut off",
                            origin, lineno);
            if (tf->n_events == cap) {
                cap *= 2;
                tf->off = rs_xrealloc(tf->off, cap * sizeof *tf->off);
                tf->len = rs_xrealloc(tf->len, cap * sizeof *tf->len);
            }
            tf->off[tf->n_events] = pos;
            tf->len[tf->n_events++] = len;
        }
        pos += len + (nl ? 1 : 0);
    }
    return 0;
}

int tracefile_load(const char *path, tracefile *tf, char *err, size_t err_len) {
    memset(tf, 0, sizeof *tf);
    tf->path = path;
    char *data = NULL;
    size_t size = 0;
    if (read_all(path, &data, &size, err, err_len)) return -1;
    return tracefile_parse(path, data, size, tf, err, err_len);
}

void tracefile_free(tracefile *tf) {
    free(tf->data);
    free(tf->off);
    free(tf->len);
    free(tf->bug);
    free(tf->build);
    free(tf->end_result);
    free(tf->end_invariant);
    scn_free(&tf->scn);
    memset(tf, 0, sizeof *tf);
}

/* ---- check ------------------------------------------------------------------------------ */

static int role_of(const char *s) {
    if (!strcmp(s, "follower")) return 0;
    if (!strcmp(s, "candidate")) return 1;
    if (!strcmp(s, "leader")) return 2;
    return -1;
}

/* A send line's promise (SPEC section 7): a granted vote that is not a pre-vote, or an
 * AppendEntries success. Other sends say nothing to the checker. */
static chk_result feed_promise(chk *c, const cJSON *ev, const char **why) {
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(ev, "type");
    uint64_t from = 0, to = 0, term = 0, index = 0;
    if (!cJSON_IsString(type)) return CHK_MALFORMED;
    int vote = !strcmp(type->valuestring, "RequestVoteReply");
    int ack = !strcmp(type->valuestring, "AppendEntriesReply");
    if (!vote && !ack) return CHK_OK;
    const cJSON *yes = cJSON_GetObjectItemCaseSensitive(ev, vote ? "granted" : "success");
    if (!cJSON_IsTrue(yes) || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "pre_vote")))
        return CHK_OK;
    if (json_get_u64(ev, "from", &from) || json_get_u64(ev, "to", &to) ||
        json_get_u64(ev, "term", &term) || from < 1 || from > RS_NODES_MAX || to < 1 ||
        to > RS_NODES_MAX || (ack && json_get_u64(ev, "index", &index)))
        return CHK_MALFORMED;
    *why = NULL;
    if (vote) return chk_promise_vote(c, (uint8_t)from, term, (uint8_t)to);
    return chk_promise_ack(c, (uint8_t)from, term, index);
}

/* Feeds one event to the checker. A line that lacks what its kind needs gives CHK_MALFORMED
 * with *why set; the checker's own verdicts leave *why NULL. */
static chk_result feed(chk *c, const cJSON *ev, const char **why) {
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(ev, "ev");
    uint64_t node = 0, term = 0, index = 0, x = 0;
    *why = "missing or invalid field";
    if (!cJSON_IsString(kind)) return CHK_MALFORMED;
    const char *k = kind->valuestring;
    int has_node = json_get_u64(ev, "node", &node) == 0 && node >= 1 && node <= RS_NODES_MAX;
    if (!strcmp(k, "role")) {
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(ev, "role");
        int role = cJSON_IsString(r) ? role_of(r->valuestring) : -1;
        if (!has_node || json_get_u64(ev, "term", &term) || role < 0) return CHK_MALFORMED;
        *why = NULL;
        return chk_role(c, (uint8_t)node, term, role);
    }
    if (!strcmp(k, "vote")) {
        if (!has_node || json_get_u64(ev, "term", &term) || json_get_u64(ev, "for", &x) ||
            x > RS_NODES_MAX)
            return CHK_MALFORMED;
        *why = NULL;
        return chk_vote(c, (uint8_t)node, term, (uint8_t)x);
    }
    if (!strcmp(k, "append") || !strcmp(k, "apply")) {
        const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(ev, "cmd");
        if (!has_node || json_get_u64(ev, "index", &index) || json_get_u64(ev, "term", &term) ||
            !cJSON_IsString(cmd))
            return CHK_MALFORMED;
        uint64_t h = chk_cmd_hash(cmd->valuestring, strlen(cmd->valuestring));
        *why = NULL;
        if (!strcmp(k, "append")) return chk_append(c, (uint8_t)node, index, term, h);
        return chk_apply(c, (uint8_t)node, index, term, h);
    }
    if (!strcmp(k, "send")) return feed_promise(c, ev, why);
    if (!strcmp(k, "restore")) {
        if (!has_node || json_get_u64(ev, "term", &term) || json_get_u64(ev, "from", &index) ||
            index < 1)
            return CHK_MALFORMED;
        if (json_get_u64(ev, "vote", &x)) x = 0;
        *why = NULL;
        return chk_restore(c, (uint8_t)node, term, (uint8_t)(x <= RS_NODES_MAX ? x : 0), index - 1);
    }
    if (!strcmp(k, "disk_state")) { /* a promise left behind a failed write */
        if (!has_node || json_get_u64(ev, "term", &term) || json_get_u64(ev, "index", &index))
            return CHK_MALFORMED;
        if (json_get_u64(ev, "vote", &x)) x = 0;
        *why = NULL;
        return chk_durable(c, (uint8_t)node, term, (uint8_t)(x <= RS_NODES_MAX ? x : 0), index);
    }
    if (!strcmp(k, "snapshot")) {
        const cJSON *how = cJSON_GetObjectItemCaseSensitive(ev, "how");
        int sk = !cJSON_IsString(how)                         ? -1
                   : !strcmp(how->valuestring, "take")        ? CHK_SNAP_TAKE
                   : !strcmp(how->valuestring, "install")     ? CHK_SNAP_INSTALL
                   : !strcmp(how->valuestring, "restore")     ? CHK_SNAP_RESTORE
                                                              : -1;
        if (!has_node || sk < 0 || json_get_u64(ev, "index", &index) ||
            json_get_u64(ev, "term", &term))
            return CHK_MALFORMED;
        *why = NULL;
        return chk_snapshot(c, (uint8_t)node, (chk_snap_kind)sk, index, term);
    }
    if (!strcmp(k, "config")) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(ev, "voters");
        uint64_t voters[4] = {0};
        if (!has_node || json_get_u64(ev, "index", &index) || !cJSON_IsArray(v))
            return CHK_MALFORMED;
        for (const cJSON *it = v->child; it; it = it->next) {
            if (!cJSON_IsNumber(it) || it->valuedouble < 1 || it->valuedouble > RS_NODES_MAX)
                return CHK_MALFORMED;
            uint32_t id = (uint32_t)it->valuedouble;
            voters[id >> 6] |= 1ull << (id & 63);
        }
        *why = NULL;
        return chk_config(c, (uint8_t)node, index, voters);
    }
    int truncate = !strcmp(k, "truncate"), commit = !strcmp(k, "commit");
    int crash = !strcmp(k, "crash"), restart = !strcmp(k, "restart");
    if (!(truncate || commit || crash || restart)) return CHK_OK; /* no safety content */
    if (!has_node || ((truncate || commit) && json_get_u64(ev, truncate ? "from" : "index", &x)))
        return CHK_MALFORMED;
    *why = NULL;
    if (truncate) return chk_truncate(c, (uint8_t)node, x);
    if (commit) return chk_commit(c, (uint8_t)node, x);
    return crash ? chk_crash(c, (uint8_t)node) : chk_restart(c, (uint8_t)node);
}

/* Checks every event line; 0 clean, 1 violation, 2 malformed. */
/* The key-value history's verdict, once every line is read. 0 linearizable, 1 not. */
static int check_history(const tracefile *tf, hist_collector *h) {
    char explain[2048];
    int lin = hist_check(h, explain, sizeof explain);
    if (lin == 1) return 0;
    if (lin < 0) {
        printf("note: %s: the linearizability check gave up: %s\n", tf->path, explain);
        return 0;
    }
    printf("VIOLATION linearizability at the end of the trace: %s\n", explain);
    return 1;
}

static int check_events(const tracefile *tf, int quiet) {
    chk *c = chk_new(scn_id_space(&tf->scn));
    if (scn_id_space(&tf->scn) > tf->scn.nodes) chk_start_voters(c, tf->scn.nodes);
    hist_collector *hist = hist_new();
    uint64_t hash = TRACE_FNV_BASIS;
    int rc = 0;
    for (uint64_t i = 0; i < tf->n_events && rc == 0; i++) {
        const char *line = tf->data + tf->off[i];
        hash = trace_fnv1a(trace_fnv1a(hash, line, tf->len[i]), "\n", 1);
        cJSON *ev = cJSON_ParseWithLength(line, tf->len[i]);
        const char *why = "not a JSON object";
        chk_result r = ev ? feed(c, ev, &why) : CHK_MALFORMED;
        uint64_t t_us = 0;
        if (ev && json_get_u64(ev, "t_us", &t_us) != 0) t_us = 0;
        if (r == CHK_OK && hist_feed(hist, ev, t_us, &why) != 0) r = CHK_MALFORMED;
        if (r == CHK_MALFORMED) {
            const chk_violation *v = chk_violation_get(c);
            fprintf(stderr, "%s: line %" PRIu64 ": %s\n", tf->path, i + 2, why ? why : v->detail);
            rc = 2;
        } else if (r == CHK_VIOLATION) {
            const chk_violation *v = chk_violation_get(c);
            printf("VIOLATION %s at line %" PRIu64 " (seq %" PRIu64 "): %s\n", v->invariant, i + 2,
                   i, v->detail);
            rc = 1;
        }
        cJSON_Delete(ev);
    }
    if (rc == 0) rc = check_history(tf, hist);
    if (rc == 0 && tf->has_end && hash != tf->end_hash) {
        printf("HASH MISMATCH: the end line records %016" PRIx64 ", the event lines hash to "
               "%016" PRIx64 " (the trace was edited or corrupted)\n",
               tf->end_hash, hash);
        rc = 1;
    }
    if (rc == 0 && !quiet)
        printf("OK %s: %" PRIu64 " events, every safety invariant holds, and the key-value "
               "history (if any) is linearizable%s\n",
               tf->path, tf->n_events, tf->has_end ? "" : " (no end line: the run was cut off)");
    chk_free(c);
    hist_free(hist);
    return rc;
}

int tracefile_check_loaded(const tracefile *tf, int quiet) {
    ASSERT(tf != NULL && tf->data != NULL && tf->scn.nodes >= 1);
    int rc = check_events(tf, quiet);
    if (rc != 2 && tf->end_invariant && rc == 0)
        printf("note: the trace records a violation of %s that these events do not show\n",
               tf->end_invariant);
    return rc;
}

int tracefile_check(const char *path, int quiet) {
    tracefile tf;
    char err[1024];
    if (tracefile_load(path, &tf, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        tracefile_free(&tf);
        return 2;
    }
    int rc = tracefile_check_loaded(&tf, quiet);
    tracefile_free(&tf);
    return rc;
}
