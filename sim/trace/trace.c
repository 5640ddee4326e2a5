/* trace.c - JSON Lines trace formatting, written by hand: building a cJSON tree per event
 * would cost more than simulating it. */
#include "sim/trace/trace.h"

#include <string.h>

#include "sim/base/util.h"

uint64_t trace_fnv1a(uint64_t h, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

void trace_init_off(trace_writer *t) {
    memset(t, 0, sizeof *t);
    t->hash = TRACE_FNV_BASIS;
}

void trace_open(trace_writer *t, trace_sink_fn sink, void *ctx) {
    trace_init_off(t);
    t->on = 1;
    t->sink = sink;
    t->sink_ctx = ctx;
}

int trace_file_sink(void *ctx, const char *line, size_t len) {
    return fwrite(line, 1, len, (FILE *)ctx) == len ? 0 : 1;
}

/* Room for the longest field we write; fields that would overflow are cut (never past the
 * buffer): a line is at most TRACE_LINE_MAX bytes. */
static void put(trace_writer *t, const char *s, size_t n) {
    size_t room = sizeof t->line - 2 - t->len; /* keep space for "}\n" */
    if (n > room) n = room;
    memcpy(t->line + t->len, s, n);
    t->len += n;
}

static void put_u64(trace_writer *t, uint64_t v) {
    char buf[RS_U64_DEC_CAP];
    size_t i = rs_u64_dec(buf, v);
    put(t, buf + i, sizeof buf - i);
}

static void put_key(trace_writer *t, const char *key) {
    if (t->len > 1) put(t, ",", 1);
    put(t, "\"", 1);
    put(t, key, strlen(key));
    put(t, "\":", 2);
}

void trace_begin_raw(trace_writer *t) {
    t->len = 0;
    put(t, "{", 1);
}

void trace_begin_event(trace_writer *t, uint64_t t_us, const char *ev) {
    if (!t->on) return;
    trace_begin_raw(t);
    trace_u64(t, "seq", t->seq);
    trace_u64(t, "t_us", t_us);
    trace_str(t, "ev", ev);
}

void trace_u64(trace_writer *t, const char *key, uint64_t v) {
    if (!t->on) return;
    put_key(t, key);
    put_u64(t, v);
}

size_t trace_escape(char *buf, size_t cap, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    ASSERT(cap >= 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        char tmp[7];
        size_t k = 0;
        if (ch == '"' || ch == '\\') {
            tmp[k++] = '\\';
            tmp[k++] = (char)ch;
        } else if (ch < 0x20) {
            memcpy(tmp, "\\u00", 4);
            tmp[4] = hex[ch >> 4];
            tmp[5] = hex[ch & 15];
            k = 6;
        } else {
            tmp[k++] = (char)ch;
        }
        if (o + k + 1 > cap) break;
        memcpy(buf + o, tmp, k);
        o += k;
    }
    buf[o] = '\0';
    return o;
}

void trace_strn(trace_writer *t, const char *key, const char *s, size_t n) {
    if (!t->on) return;
    char buf[TRACE_LINE_MAX];
    size_t len = trace_escape(buf, sizeof buf, s, n);
    put_key(t, key);
    put(t, "\"", 1);
    put(t, buf, len);
    put(t, "\"", 1);
}

void trace_str(trace_writer *t, const char *key, const char *s) {
    trace_strn(t, key, s, strlen(s));
}

void trace_bool(trace_writer *t, const char *key, int v) {
    if (!t->on) return;
    put_key(t, key);
    if (v)
        put(t, "true", 4);
    else
        put(t, "false", 5);
}

void trace_null(trace_writer *t, const char *key) {
    if (!t->on) return;
    put_key(t, key);
    put(t, "null", 4);
}

void trace_raw(trace_writer *t, const char *key, const char *json) {
    if (!t->on) return;
    put_key(t, key);
    put(t, json, strlen(json));
}

static void finish(trace_writer *t) {
    t->line[t->len++] = '}';
    t->line[t->len++] = '\n';
}

void trace_end(trace_writer *t) {
    if (!t->on) return;
    finish(t);
    t->hash = trace_fnv1a(t->hash, t->line, t->len);
    t->seq++;
    if (!t->stopped && t->sink(t->sink_ctx, t->line, t->len)) t->stopped = 1;
}

void trace_end_raw(trace_writer *t) {
    if (!t->on) return;
    finish(t);
    if (!t->stopped && t->sink(t->sink_ctx, t->line, t->len)) t->stopped = 1;
}

void trace_header(trace_writer *t, const char *scenario_json, uint64_t seed, const char *bug,
                  const char *build, const char *impl, const char *impl_version) {
    if (!t->on) return;
    size_t cap = strlen(scenario_json) + strlen(build) + (bug ? strlen(bug) : 0) + strlen(impl) +
                 strlen(impl_version) + 256;
    char *buf = rs_xmalloc(cap);
    int n = snprintf(buf, cap,
                     "{\"type\":\"header\",\"version\":%d,\"tool\":\"raftsim\",\"build\":\"%s\","
                     "\"scenario\":%s,\"seed\":%llu,\"bug\":%s%s%s,\"implementation\":\"%s\","
                     "\"implementation_version\":\"%s\"}\n",
                     TRACE_VERSION, build, scenario_json, (unsigned long long)seed, bug ? "\"" : "",
                     bug ? bug : "null", bug ? "\"" : "", impl, impl_version);
    ASSERT(n > 0 && (size_t)n < cap);
    if (!t->stopped && t->sink(t->sink_ctx, buf, (size_t)n)) t->stopped = 1;
    free(buf);
}

void trace_f64(trace_writer *t, const char *key, double v) {
    if (!t->on) return;
    char buf[40];
    int n = snprintf(buf, sizeof buf, "%.17g", v);
    put_key(t, key);
    put(t, buf, (size_t)n);
}
