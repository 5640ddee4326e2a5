/* util.c - allocation helpers that abort on exhaustion. */
#include "sim/base/util.h"

#include <string.h>

void *rs_xmalloc(size_t size) {
    void *p = malloc(size ? size : 1);
    if (!p) {
        fprintf(stderr, "raftsim: out of memory (%zu bytes)\n", size);
        abort();
    }
    return p;
}

void *rs_xcalloc(size_t count, size_t size) {
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) {
        fprintf(stderr, "raftsim: out of memory (%zu x %zu bytes)\n", count, size);
        abort();
    }
    return p;
}

void *rs_xrealloc(void *ptr, size_t size) {
    void *p = realloc(ptr, size ? size : 1);
    if (!p) {
        fprintf(stderr, "raftsim: out of memory (%zu bytes)\n", size);
        abort();
    }
    return p;
}

char *rs_xstrdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = rs_xmalloc(n);
    memcpy(p, s, n);
    return p;
}
