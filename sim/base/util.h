/* util.h - assertions that never compile out, and small helpers shared by sim/ and raft/. */
#ifndef RAFTSIM_UTIL_H
#define RAFTSIM_UTIL_H

#include <stdio.h>
#include <stdlib.h>

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

#endif
