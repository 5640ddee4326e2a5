/* tracefile.h - reading a trace file back (SPEC section 3): its header, its event lines as
 * written, and its end line. Used by `check`, `replay` and `shrink`. */
#ifndef RAFTSIM_TRACEFILE_H
#define RAFTSIM_TRACEFILE_H

#include <stddef.h>
#include <stdint.h>

#include "sim/scenario/scenario.h"

typedef struct {
    const char *path;
    char *data; /* the whole file; lines point into it */
    size_t size;
    scenario scn; /* from the header, seed included */
    uint64_t seed;
    char *bug;   /* NULL when the run had no bug */
    char *build; /* the raftsim build that wrote it */
    /* Event lines, in order: line[i] starts at data + off[i], len[i] bytes without '\n'. */
    size_t *off, *len;
    uint64_t n_events;
    /* The end line, if the trace has one (a run killed mid-way leaves none). */
    int has_end;
    char *end_result;    /* "ok", "violation", "expect_failed", ... */
    char *end_invariant; /* the recorded violation's invariant, or NULL */
    uint64_t end_events;
    uint64_t end_hash;
} tracefile;

/* Reads and validates the header and the line structure. -1 and err ("FILE: line N: ...")
 * on bad input. Either way *tf is then the caller's to release with tracefile_free. */
int tracefile_load(const char *path, tracefile *tf, char *err, size_t err_len);

/* tracefile_load from memory: the same checks and messages, with origin naming the data in
 * them (and kept in tf->path, so it must outlive *tf). Takes ownership of data, a malloc'd
 * buffer of size bytes (NULL when size is 0), whatever it returns: it becomes tf->data (it
 * may be realloc'd to add a terminating NUL) and tracefile_free frees it. */
int tracefile_parse(const char *origin, char *data, size_t size, tracefile *tf, char *err,
                    size_t err_len);
void tracefile_free(tracefile *tf);

/* `raftsim check`: re-checks the invariants from the events alone, and the end line's hash.
 * Prints its verdict; returns the exit code (0 clean, 1 violation or hash mismatch, 2 bad
 * input). */
int tracefile_check(const char *path, int quiet);

/* The same on a trace already loaded without error: the event lines, the end line's hash and
 * the recorded verdict. Prints like tracefile_check; returns 0, 1 or 2 likewise. */
int tracefile_check_loaded(const tracefile *tf, int quiet);

#endif
