/* util.h - assertions that never compile out, and small helpers shared by sim/ and raft/. */
#ifndef RAFTSIM_UTIL_H
#define RAFTSIM_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A broken internal invariant is a bug in raftsim: report where and abort. NDEBUG does not
 * remove it, on purpose (STYLE point 8). Bad user input never reaches an ASSERT. */
#define ASSERT(cond)                                                                               \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "raftsim: internal assertion failed: %s (%s:%d)\n", #cond, __FILE__,   \
                    __LINE__);                                                                     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Allocation that aborts on failure: memory exhaustion is not an input error. */
void *rs_xmalloc(size_t size);
void *rs_xcalloc(size_t count, size_t size);
void *rs_xrealloc(void *ptr, size_t size);
char *rs_xstrdup(const char *s);

/* v in decimal, written at the end of buf (no terminator): returns where the digits start.
 * By hand, since snprintf costs more than a step of the run on the paths that format ids. */
#define RS_U64_DEC_CAP 20
static inline size_t rs_u64_dec(char buf[RS_U64_DEC_CAP], uint64_t v) {
    size_t i = RS_U64_DEC_CAP;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return i;
}

/* Text appended to a fixed buffer by hand, for the same reason; what does not fit is cut, and
 * buf stays terminated (cap >= 1). */
typedef struct {
    char *buf;
    size_t len, cap;
} rs_text;

static inline void rs_text_str(rs_text *t, const char *s) {
    size_t n = strlen(s), room = t->cap - 1 - t->len;
    if (n > room) n = room;
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

static inline void rs_text_u64(rs_text *t, uint64_t v) {
    char d[RS_U64_DEC_CAP + 1];
    size_t at = rs_u64_dec(d, v);
    d[RS_U64_DEC_CAP] = '\0';
    rs_text_str(t, d + at);
}

#endif
