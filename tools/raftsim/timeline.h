/* timeline.h - the short text timeline a failing run, replay or shrink prints under its FAIL
 * line: the last events that matter for the violation, one column per node. */
#ifndef RAFTSIM_TIMELINE_H
#define RAFTSIM_TIMELINE_H

#include <stdio.h>

#include "tools/raftsim/tview.h"

/* Prints nothing when the trace records no failure with events that matter. */
void tl_print(FILE *out, const tv_model *m);

/* The same for a trace file, or a trace in memory (origin names it; data is taken over, as
 * tracefile_parse does). A trace that cannot be read prints nothing: the failure was already
 * reported, and the timeline only adds to it. */
void tl_print_file(FILE *out, const char *path);
void tl_print_data(FILE *out, const char *origin, char *data, size_t size);

#endif
