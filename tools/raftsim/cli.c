/* cli.c - helpers the subcommands share: usage errors, option values, the bug catalogue, and
 * loading the trace that replay, shrink and check read. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/util.h"
#include "sim/raftsim.h"
#include "tools/raftsim/cli.h"

int cli_usage_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "raftsim: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'raftsim --help'.\n");
    va_end(ap);
    return 2;
}

int cli_parse_u64(const char *opt, const char *s, uint64_t *out) {
    char *end;
    errno = 0;
    if (!s || !*s || *s == '-') return cli_usage_error("%s expects a non-negative integer", opt);
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) return cli_usage_error("%s expects a non-negative integer", opt);
    *out = v;
    return 0;
}

int cli_parse_bug(const char *name, uint32_t *bits) {
    if (!strcmp(name, "list")) {
        for (unsigned i = 0; i < bug_count; i++)
            printf("%-18s %s\n", bug_catalogue[i].name, bug_catalogue[i].what);
        return 1;
    }
    const bug_info *b = bug_find(name);
    if (!b) return cli_usage_error("unknown bug '%s' (raftsim fuzz --bug list shows them)", name);
    *bits = b->bit;
    return 0;
}

int cli_parse_impl(const char *name, const char **out) {
    if (!strcmp(name, "list")) {
        for (unsigned i = 0; i < node_impl_count; i++)
            printf("%-10s %-8s %s%s\n", node_impls[i]->name, node_impls[i]->version,
                   node_impls[i]->what, i == 0 ? " (default)" : "");
        return 1;
    }
    if (!node_impl_find(name))
        return cli_usage_error("unknown implementation '%s' (raftsim run --impl list shows them)",
                               name);
    *out = name;
    return 0;
}

int cli_set_impl(const char *origin, scenario *s, const char *impl, uint32_t bugs) {
    if (impl) {
        free(s->implementation);
        s->implementation = rs_xstrdup(impl);
    }
    char why[512];
    if (sim_refusal(s, bugs, why, sizeof why) == 0) return 0;
    fprintf(stderr, "%s: %s\n", origin, why);
    return 2;
}

int cli_trace_args(int argc, char **argv, const char *cmd, const char *opt, const char **path,
                   const char **value, const char *opt2, const char **value2) {
    *path = *value = NULL;
    if (value2) *value2 = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], opt) || (opt2 && !strcmp(argv[i], opt2))) {
            if (i + 1 >= argc) return cli_usage_error("%s needs a value", argv[i]);
            if (!strcmp(argv[i], opt))
                *value = argv[++i];
            else
                *value2 = argv[++i];
        } else if (argv[i][0] == '-') {
            return cli_usage_error("unknown option '%s'", argv[i]);
        } else if (*path) {
            return cli_usage_error("%s takes exactly one trace file", cmd);
        } else {
            *path = argv[i];
        }
    }
    return *path ? 0 : cli_usage_error("%s needs a trace file", cmd);
}

int cli_load_trace(const char *path, tracefile *tf, uint32_t *bugs) {
    char err[1024];
    *bugs = 0;
    if (tracefile_load(path, tf, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        tracefile_free(tf);
        return 2;
    }
    if (tf->bug && cli_parse_bug(tf->bug, bugs)) {
        tracefile_free(tf);
        return 2;
    }
    return 0;
}

int cli_membuf_sink(void *ctx, const char *line, size_t len) {
    cli_membuf *b = ctx;
    if (b->len + len > b->cap) {
        while (b->len + len > b->cap) b->cap = b->cap ? b->cap * 2 : 1 << 16;
        b->data = rs_xrealloc(b->data, b->cap);
    }
    memcpy(b->data + b->len, line, len);
    b->len += len;
    return b->tee && fwrite(line, 1, len, b->tee) != len;
}
