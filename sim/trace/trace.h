/* trace.h - the JSON Lines trace writer of SPEC section 3: fast hand-formatted lines, an
 * FNV-1a 64 hash over every event line, and a pluggable sink (a file, or replay's comparer). */
#ifndef RAFTSIM_TRACE_H
#define RAFTSIM_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TRACE_VERSION 1
#define TRACE_LINE_MAX 4096

/* Receives each finished line (with its '\n'); returns 0 to go on, nonzero to stop the run. */
typedef int (*trace_sink_fn)(void *ctx, const char *line, size_t len);

typedef struct {
    int on; /* 0: every call is a no-op (fuzzing, benchmarks) */
    trace_sink_fn sink;
    void *sink_ctx;
    uint64_t seq;  /* next event's sequence number */
    uint64_t hash; /* FNV-1a 64 over the event lines so far */
    int stopped;   /* the sink asked to stop */
    char line[TRACE_LINE_MAX];
    size_t len;
} trace_writer;

/* A writer that is off; trace_open_* turn it on. */
void trace_init_off(trace_writer *t);
void trace_open(trace_writer *t, trace_sink_fn sink, void *ctx);
int trace_file_sink(void *ctx, const char *line, size_t len); /* ctx is a FILE * */

/* Building one line: begin, fields, end. An event line starts with seq, t_us and ev. */
void trace_begin_event(trace_writer *t, uint64_t t_us, const char *ev);
void trace_begin_raw(trace_writer *t); /* header and end lines: not hashed, no seq */
void trace_u64(trace_writer *t, const char *key, uint64_t v);
void trace_str(trace_writer *t, const char *key, const char *s);
void trace_strn(trace_writer *t, const char *key, const char *s, size_t n);
void trace_bool(trace_writer *t, const char *key, int v);
void trace_null(trace_writer *t, const char *key);
void trace_raw(trace_writer *t, const char *key, const char *json); /* preformatted value */
void trace_end(trace_writer *t);     /* an event line: hashed, seq advanced */
void trace_end_raw(trace_writer *t); /* header or end line */

/* JSON-escapes s[0..n) into buf (NUL-terminated, truncated to fit); returns bytes written. */
size_t trace_escape(char *buf, size_t cap, const char *s, size_t n);

uint64_t trace_fnv1a(uint64_t h, const char *s, size_t n);
#define TRACE_FNV_BASIS 0xcbf29ce484222325ull

#endif

/* Writes the header line (SPEC section 3); scenario_json is the full scenario object. */
void trace_header(trace_writer *t, const char *scenario_json, uint64_t seed, const char *bug,
                  const char *build, const char *impl, const char *impl_version);
/* A rate or other fraction, printed with %.17g (exact, and the same on every glibc). */
void trace_f64(trace_writer *t, const char *key, double v);
