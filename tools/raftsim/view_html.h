/* view_html.h - the trace viewer page: one self-contained HTML file (tools/view/viewer.html
 * with the trace's data embedded as compact arrays), built from the trace alone. */
#ifndef RAFTSIM_VIEW_HTML_H
#define RAFTSIM_VIEW_HTML_H

#include <stdio.h>

#include "tools/raftsim/tview.h"

/* Writes the page for the model to out; 0, or -1 on a write error. The same trace gives the
 * same bytes (nothing of the moment or the machine goes in). */
int vh_write(FILE *out, const tv_model *m);

/* Loads the trace at trace_path and writes its page to html_path (under a temporary name,
 * renamed when complete): 0, or 2 after printing the error. */
int vh_write_file(const char *trace_path, const char *html_path);
/* The same from a trace already in memory (origin names it in messages; data is taken over,
 * as tracefile_parse does). */
int vh_write_file_from(const char *origin, char *data, size_t size, const char *html_path);

/* The template, embedded at build time from tools/view/viewer.html. */
extern const char vh_template[];
extern const unsigned long vh_template_len;

#endif
