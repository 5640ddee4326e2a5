/* histcheck.h - the key-value history of a trace file (client_invoke / client_return events),
 * rebuilt and checked for linearizability, so that `raftsim check` judges it from the trace
 * alone as the run did. */
#ifndef RAFTSIM_HISTCHECK_H
#define RAFTSIM_HISTCHECK_H

#include <stddef.h>
#include <stdint.h>

struct cJSON;
typedef struct hist_collector hist_collector;

hist_collector *hist_new(void);
void hist_free(hist_collector *h);

/* Takes one event line (any kind: only client_invoke and client_return matter). Returns 0, or
 * -1 with *why set when a client event lacks a field or does not fit the history. */
int hist_feed(hist_collector *h, const struct cJSON *ev, uint64_t t_us, const char **why);

/* At the end of the trace: operations without a return count as unknown. Returns 1 if the
 * history is linearizable (or empty), 0 if not (explain says why), -1 if the check gave up. */
int hist_check(hist_collector *h, char *explain, size_t cap);

#endif
