/* cli.h - the subcommands of the command line and their shared helpers. */
#ifndef RAFTSIM_CLI_H
#define RAFTSIM_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/raftsim.h"

#ifndef RAFTSIM_VERSION
#define RAFTSIM_VERSION "0.1.0"
#endif
#ifndef RAFTSIM_BUILD
#define RAFTSIM_BUILD RAFTSIM_VERSION
#endif

/* Each returns the process exit code (SPEC section 1). */
int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_replay(int argc, char **argv);

/* Prints "raftsim: <fmt with arg>" and a hint to stderr; returns 2. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* 0 and *out set, or an error printed and 2. */
int cli_parse_u64(const char *opt, const char *s, uint64_t *out);
/* 0 and *bits set; 1 after printing the list for "list"; 2 after an error. */
int cli_parse_bug(const char *name, uint32_t *bits);

/* 0 and *out set; 1 after printing the list for "list"; 2 after an error. */
int cli_parse_impl(const char *name, const char **out);
/* Sets the scenario's implementation (when impl is not NULL), then asks whether that
 * implementation can run it with these bugs: 0, or 2 after printing "ORIGIN: FIELD: why"
 * (SPEC section 6). */
int cli_set_impl(const char *origin, scenario *s, const char *impl, uint32_t bugs);

/* "CMD TRACE [OPT VALUE] [OPT2 VALUE2]": the one trace path, and the values of the options
 * (NULL if not given; opt2 may be NULL: no second option). 0, or 2 after a usage error. */
int cli_trace_args(int argc, char **argv, const char *cmd, const char *opt, const char **path,
                   const char **value, const char *opt2, const char **value2);
/* Loads a trace and the bug its header names. 0, or 2 after printing the error. */
int cli_load_trace(const char *path, tracefile *tf, uint32_t *bugs);

/* A trace sink that keeps the lines in memory (for a page built from a run), and writes them
 * to tee too when it is not NULL. */
typedef struct {
    char *data;
    size_t len, cap;
    FILE *tee;
} cli_membuf;
int cli_membuf_sink(void *ctx, const char *line, size_t len);

#endif
